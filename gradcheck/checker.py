"""Checking: plan, measure, diagnose and assemble — the analytic gradient against finite differences, into a Report."""

from __future__ import annotations

import inspect
from dataclasses import replace
from typing import Any, Callable

from . import tracing, verdict
from .diagnosis import across, reconcile
from .errors import CheckError
from .numerics.analytic import Float64Gradients, analytic_gradients, gradients_at
from .numerics.noise import noise_and_notes, unrepeatable
from .numerics.objective import complex_objective, real_objective
from .numerics.parallel import worker_pool
from .numerics.params import as_params
from .numerics.plan import make_plan
from .numerics.probe import GUARANTEE, MISS_PER_PROBE
from .numerics.randomness import NOTE as RANDOM_STATE_NOTE
from .numerics.randomness import Randomness
from .numerics.sampling import Counter, Point
from .options import DEFAULTS, MODES, CheckOptions, Method, Mode
from .report import GradientError, Report, Trace

__all__ = ["MODES", "assert_gradients", "check"]


def check(
    loss: Callable,
    grad: Callable | None,
    params: Any,
    *,
    method: Method = DEFAULTS.method,
    eps: float | None = DEFAULTS.eps,
    rtol: float | None = DEFAULTS.rtol,
    atol: float = DEFAULTS.atol,
    seed: int = DEFAULTS.seed,
    batch_size: int | None = DEFAULTS.batch_size,
    mode: Mode = DEFAULTS.mode,
    budget: float = DEFAULTS.budget,
    probes: int = DEFAULTS.probes,
    workers: int | None = DEFAULTS.workers,
    time_limit: float | None = None,
    progress: Callable[[int, int], None] | None = None,
    trace: bool | str = "auto",
) -> Report:
    """Compare the analytic gradient of ``loss`` with finite differences, parameter by parameter.

    Parameters
    ----------
    loss : callable
        ``loss(params)`` returns a scalar. With ``grad=None`` it returns ``(value, grads)``.
    grad : callable or None
        ``grad(params)`` returns the gradients in the structure of ``params``.
    params : dict, array, or list of arrays
        The point to check at; never modified.
    method : {"central", "richardson", "complex-step", "auto"}
    eps : float, optional
        A fixed step (default: per entry, from the dtype, the magnitude and the loss's noise).
    rtol, atol : float, optional
        Tolerances added to each entry's error estimate.
    seed : int
        Seeds the noise shifts and the probe directions.
    batch_size : int, optional
        Lets the diagnosis name a missing mean.
    mode : {"auto", "full", "probe"}
        "full" checks every entry; "probe" ``probes`` random directions per tensor, at a cost
        independent of the parameter count; "auto" is full when its estimate is within ``budget`` seconds.
    workers : int, optional
        Processes sharing a full check (default: every core when it would take more than a few seconds).
    time_limit : float, optional
        Seconds; a full check that could not finish in time is refused up front.
    progress : callable, optional
        ``progress(done, total)`` is told how many entries have been measured.
    trace : {"auto", True, False}
        Follow the forward's intermediates into the backward and say where a wrong gradient's error enters
        (:mod:`gradcheck.tracing`): "auto" when a gradient is wrong and the functions are Python code.

    Returns
    -------
    Report
        A verdict per parameter. A wrong gradient never raises; only a check that cannot be made
        raises :class:`CheckError`.

    Examples
    --------
    >>> import numpy as np, gradcheck
    >>> report = gradcheck.check(lambda p: float(np.sum(p ** 2)), lambda p: -2 * p, np.array([1.0, 2.0]))
    >>> print(str(report).splitlines()[0])
    gradients WRONG: 1 of 1 parameter does not match (central, 18 loss evaluations)
    >>> print(report["param"].kind)
    sign-flipped
    >>> print(report["param"].hint[:60])
    analytic = −numerical: the backward computes the negative gr
    """
    options = CheckOptions(method=method, eps=eps, rtol=rtol, atol=atol, seed=seed, batch_size=batch_size, mode=mode,
                           budget=budget, probes=probes, workers=workers)
    if trace not in (True, False, "auto"):
        raise CheckError(f"trace is {trace!r}; expected 'auto', True or False", expected=("auto", True, False),
                         found=trace)
    p = as_params(params)
    randomness = Randomness()
    try:
        report = _check(loss, grad, p, options, randomness, time_limit, progress)
        if trace is True or (trace == "auto" and report.failed):
            # a loss drawing from numpy's global random state (a dropout mask) sees the same draws in every run
            followed = _follow(randomness.fixing(loss), None if grad is None else randomness.fixing(grad), p, seed,
                               bool(report.failed), None if trace is True else TRACE_BUDGET)
            # trace="auto" adds the trace only where it judged an intermediate: otherwise it has nothing to say
            if trace is True or any(r.verdict in ("right", "wrong") for r in followed.rows):
                report = replace(report, trace=followed)
        return report
    finally:
        randomness.reset()  # the user's global random state, as it was found


TRACE_BUDGET = 10.0  # seconds trace="auto" may spend following the intermediates


def _follow(loss: Callable, grad: Callable | None, p, seed: int, wrong: bool, budget: float | None):
    """:func:`tracing.follow`, or a trace that says why the functions could not be followed."""
    try:
        return tracing.follow(loss, grad, p, seed, wrong, budget)
    except Exception as exc:  # the user's code under the tracer: say so, keep the parameter-level report
        return Trace((), f"not traced: running the functions under the tracer failed ({type(exc).__name__}: {exc})",
                     traced=False)


def _check(loss: Callable, grad: Callable | None, p: Any, options: CheckOptions, randomness: Randomness,
           time_limit: float | None, progress: Callable[[int, int], None] | None) -> Report:
    """:func:`check` at parsed parameters and options; a loss that draws from the global random state is called with
    it set back every time."""
    def at_the_point(loss, grad):
        """The analytic gradients, the objective and the loss there, and whether the loss repeats itself."""
        mutations: dict[str, str] = {}
        analytic, extras, ignored = analytic_gradients(loss, grad, p, mutations=mutations)
        objective, f0, notes = real_objective(loss, p, returns_grad=grad is None)
        mutations.update(objective.restore_and_list_changes())
        return mutations, analytic, extras, ignored, objective, f0, notes, unrepeatable(objective, f0, analytic)

    mutations, analytic, extras, ignored, objective, f0, notes, why = at_the_point(loss, grad)
    if why is not None:  # a loss drawing from the global random state repeats once the state is set back each time
        loss, grad = randomness.fixing(loss), randomness.fixing(grad)
        mutations, analytic, extras, ignored, objective, f0, notes, again = at_the_point(loss, grad)
        if again is not None:
            return verdict.refusal(p, analytic, objective.calls, why, notes)
        notes = [*notes, RANDOM_STATE_NOTE]
    if ignored:
        notes = [*notes, f"gradients keyed d<name> were matched to the parameters; the other keys name no parameter "
                 f"and were ignored: {', '.join(ignored)}"]
    noise, seconds, noise_notes = noise_and_notes(objective, f0, options.seed)
    total = sum(a.size for a in p.arrays)
    plan = make_plan(options, total, seconds, time_limit, noise / abs(f0) if f0 else 0.0)
    complex_ = complex_objective(loss, p, grad is None, f0, objective) if plan.tries_complex_step else None
    plan = plan.settled(complex_analytic=complex_ is not None)
    counter = Counter(progress, total)
    with worker_pool((objective, complex_), plan.workers, total) as pool:
        at = gradients_at(loss, grad, p)
        point = Point(objective, complex_, f0, noise, options, plan.method, Float64Gradients(at, p.arrays), counter,
                      at, pool)
        results = [verdict.measured(point, plan, i, name, a) for i, (name, a) in enumerate(zip(p.names, analytic))]
        moved = objective.restore_and_list_changes()
        if moved:  # the loss changed its parameters while perturbed: measure again, the loss now gets copies
            mutations.update(moved)
            results = [verdict.measured(point, plan, i, name, a) for i, (name, a) in enumerate(zip(p.names, analytic))]
    results = [verdict.mutated(r, mutations[r.name]) if r.name in mutations else r for r in results]
    results = reconcile(results) + [verdict.extra(name, g) for name, g in extras.items()]
    probes = options.probes
    guaranteed = (GUARANTEE.format(probes=probes, miss=MISS_PER_PROBE ** probes),) if plan.mode == "probe" else ()
    evaluations = objective.calls + (complex_.calls if complex_ else 0) + counter.worker_evaluations
    return Report(results=tuple(results), method=plan.method, evaluations=evaluations, mode=plan.mode,
                  diagnosis=across(results), notes=(*notes, *noise_notes, *plan.notes, *guaranteed),
                  mode_reason=plan.reason)


def assert_gradients(loss: Callable, grad: Callable | None, params: Any, *, strict: bool = False,
                     **options: Any) -> Report:
    """Like :func:`check`, with the same options, but raise :class:`GradientError` when a gradient is wrong.

    With ``strict``, an inconclusive gradient (one the check could not
    certify) fails too. The error's message is the report's plain text;
    ``error.report`` is the report.
    """
    __tracebackhide__ = True
    report = check(loss, grad, params, **options)
    if not report.ok or (strict and not report.certified):
        raise GradientError(report, str(report))
    return report


_CHECKS = list(inspect.signature(check).parameters.values())
_STRICT = inspect.Parameter("strict", inspect.Parameter.KEYWORD_ONLY, default=False, annotation="bool")
assert_gradients.__signature__ = inspect.signature(check).replace(  # type: ignore[attr-defined]
    parameters=[*_CHECKS[:3], _STRICT, *_CHECKS[3:]], return_annotation=Report)
