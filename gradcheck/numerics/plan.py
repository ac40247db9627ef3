"""The plan of a check: which mode, method and workers it runs with, and why, from the options and the cost."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from ..errors import CheckError
from ..options import CheckOptions, Method, Mode

PARALLEL_SECONDS = 2.0  # a full check estimated longer than this uses every core by default
LOW_PRECISION = 1e3 * 2.0 ** -52  # relative noise above this: the loss computes in lower precision than float64


@dataclass(frozen=True)
class Plan:
    """How a check runs: ``mode`` ("full" or "probe"), the ``method`` measured with, ``workers``, and ``reason``."""

    mode: Mode
    method: Method
    workers: int
    reason: str  # why this mode ran, with the cost estimate
    notes: tuple[str, ...] = ()  # what the user should know about the choices made
    tries_complex_step: bool = False  # the method is settled once the loss is known to be complex-analytic (or not)

    def settled(self, complex_analytic: bool) -> Plan:
        """The plan once it is known whether the loss is complex-analytic (asked when it tries the complex step)."""
        if not self.tries_complex_step:
            return self
        if complex_analytic:
            notes = ("auto: the loss is complex-analytic, complex-step used",) if self.method == "auto" else ()
            return replace(self, method="complex-step", notes=self.notes + notes, tries_complex_step=False)
        if self.method == "complex-step":
            raise CheckError("method 'complex-step' needs a loss that accepts complex parameters and returns "
                             "a complex value analytic in them; this loss does not: use method='central'",
                             expected="a complex-analytic loss", found="a real-only loss")
        return replace(self, method="central", tries_complex_step=False,
                       notes=self.notes + ("auto: the loss is not complex-analytic, central differences used",))


def make_plan(options: CheckOptions, entries: int, seconds: float, time_limit: float | None = None,
              relative_noise: float = 0.0) -> Plan:
    """The plan for ``entries`` parameter entries whose loss takes ``seconds`` per evaluation.

    A full check costs two evaluations per entry. mode="auto" runs it when it
    fits the budget (and the time limit), else probes; a full check that
    cannot finish within ``time_limit`` is refused up front. A loss whose
    values carry rounding far above float64's (``relative_noise``: it
    computes in float32 inside) is measured by Richardson differences at
    larger steps, whose error is about five times smaller at that precision.
    """
    estimate = 2 * entries * seconds
    cost = f"a full check is estimated at {estimate:.3g} s ({2 * entries} loss evaluations of {1e3 * seconds:.3g} ms)"
    mode, budget, probes = options.mode, options.budget, options.probes
    if mode == "full" and time_limit is not None and estimate > time_limit:
        raise CheckError(f"a full check of {entries} entries would take about {estimate:.3g} s ({2 * entries} loss "
                         f"evaluations of {1e3 * seconds:.3g} ms), over the time limit of {time_limit:g} s; "
                         "use mode='probe' (--mode probe), mode='auto', or a longer --timeout",
                         expected=f"<= {time_limit:g} s", found=f"{estimate:.3g} s")
    if mode == "auto":
        mode = "full" if estimate <= min(budget, time_limit or budget) else "probe"
        what = "every entry" if mode == "full" else f"{probes} probe directions per tensor"
        reason = f"auto: {what}; {cost}, {'within' if mode == 'full' else 'over'} the budget of {budget:g} s"
    else:
        reason = f"mode={options.mode!r} was asked for; {cost}"
    if mode == "probe":
        notes = ()
        if options.method not in ("central", "auto"):
            notes = (f"probe mode measures slopes by central differences with Richardson; method {options.method!r} "
                     "applies to full checks",)
        return Plan("probe", "central", 1, reason, notes)
    workers = options.workers
    if workers is None:
        workers = (os.cpu_count() or 1) if estimate > PARALLEL_SECONDS else 1
    if options.method == "central" and relative_noise > LOW_PRECISION:
        note = (f"the loss's values carry rounding of {relative_noise:.2g} of the loss, far above float64's: full "
                "mode measures by Richardson differences at larger steps (4 loss evaluations per entry), whose error "
                "stays near that precision's limit")
        return Plan("full", "richardson", int(workers), reason, (note,))
    return Plan("full", options.method, int(workers), reason,
                tries_complex_step=options.method in ("auto", "complex-step"))
