"""gradcheck: checks hand-written backpropagation against finite differences and names the bug."""

from .cases import Problem, case
from .checker import assert_gradients, check
from .errors import CheckError, GradientError
from .layers import check_layer, check_network
from .numdiff import step_size
from .report import ParamResult, Report

__version__ = "0.1.0"

__all__ = [
    "CheckError",
    "GradientError",
    "ParamResult",
    "Problem",
    "Report",
    "assert_gradients",
    "case",
    "check",
    "check_layer",
    "check_network",
    "step_size",
    "__version__",
]
