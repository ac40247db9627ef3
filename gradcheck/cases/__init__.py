"""Case files: defining cases, discovering them, running each (in its own process) against its expectation."""

from .define import CHECK_OPTIONS, EXPECTATIONS, Case, CaseSpec, Problem, case
from .discover import discover, load, select
from .results import CaseResult, RunReport, brief, case_header, closing, failure_line, format_case, summary_line
from .run import run_all, run_case, run_isolated

__all__ = [
    "CHECK_OPTIONS",
    "EXPECTATIONS",
    "Case",
    "CaseResult",
    "CaseSpec",
    "Problem",
    "RunReport",
    "case",
    "case_header",
    "discover",
    "brief",
    "closing",
    "failure_line",
    "format_case",
    "load",
    "run_all",
    "run_case",
    "run_isolated",
    "select",
    "summary_line",
]
