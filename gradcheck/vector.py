"""Checks of other derivatives: Jacobians and their products for vector-valued functions, Hessians and their products.

Each check compares a hand-written derivative with finite differences of the function (of ``grad`` for second
derivatives) and returns a :class:`Report` in the model every renderer reads. Full mode compares the whole matrix
entry by entry (one column of four evaluations per input entry); probe mode compares products along a few seeded
random directions (four evaluations each).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, Callable

import numpy as np

from .diagnosis.evidence import EntryEvidence
from .diagnosis.locate import locate
from .errors import CheckError, user_code_raised
from .indexing import entry_label
from .kinds import Kind
from .numerics.compare import compare, default_rtol, tolerance
from .numerics.params import as_params
from .numerics.vectorial import VectorFunction, along, jacobian
from .report import ParamResult, Report

__all__ = ["check_hessian", "check_hvp", "check_jacobian", "check_jvp", "check_vjp"]

_BUDGET = 5.0  # seconds of evaluations a full (entry by entry) check may take in mode="auto"
_METHODS = ("central", "richardson", "complex-step", "auto")  # as check's; every difference here is extrapolated


def check_jacobian(f: Callable, jac: Callable, x, *, method: str = "central", rtol: float | None = None,
                   atol: float = 0.0, seed: int = 0, mode: str = "auto", probes: int = 8) -> Report:
    """Compare ``jac(x)``, the Jacobian of ``f`` with shape ``f(x).shape + x.shape``, with finite differences."""
    fn, x = _start(f, x, method, mode, probes)
    a = _call(jac, (x.copy(),), "jac")
    if _full(fn, mode, x.size):
        numerical, error = jacobian(fn, _method(method))
        result = _judge("jac", a, numerical, error, rtol, atol, outputs=fn.y.ndim)
        return _report((result,), method, fn.calls, "full", "Jacobian")
    directions = _directions(x, seed, probes)
    values, errors = _along_each(fn, directions, method)
    a = np.asarray(a)
    products = None
    if a.shape == fn.y.shape + x.shape:
        products = np.stack([np.tensordot(a, w, axes=x.ndim) for w in directions])
    result = _judge("jac·w", products, values, errors,
                    rtol, atol, along_directions=True, expected=f"shape {fn.y.shape + x.shape}", found=a.shape)
    return _report((result,), method, fn.calls, "probe", "Jacobian")


def check_jvp(f: Callable, jvp: Callable, x, *, method: str = "central", rtol: float | None = None,
              atol: float = 0.0, seed: int = 0, mode: str = "probe", probes: int = 8) -> Report:
    """Compare ``jvp(x, v)`` = J·v (with ``f(x)``'s shape) with finite differences of ``f`` along random directions
    v, or (``mode="full"``) the Jacobian it gives column by column, ``jvp(x, e_j)``, entry by entry."""
    fn, x = _start(f, x, method, mode, probes)
    if _full(fn, mode, x.size):
        numerical, error = jacobian(fn, _method(method))
        columns = [np.asarray(_call(jvp, (x.copy(), e), "jvp")) for e in _basis(x)]
        a = _stack_last(columns, fn.y.shape, x.shape)
        result = _judge("jvp", a, numerical, error, rtol, atol, outputs=fn.y.ndim, expected=f"shape {fn.y.shape}",
                        found=columns[0].shape if columns else None)
        return _report((result,), method, fn.calls, "full", "Jacobian-vector products")
    directions = _directions(x, seed, probes)
    values, errors = _along_each(fn, directions, method)
    products = [np.asarray(_call(jvp, (x.copy(), w.copy()), "jvp")) for w in directions]
    a = np.stack(products) if all(p.shape == fn.y.shape for p in products) else None
    result = _judge("jvp", a, values, errors, rtol, atol,
                    along_directions=True, expected=f"shape {fn.y.shape}", found=products[0].shape)
    return _report((result,), method, fn.calls, "probe", "Jacobian-vector products")


def check_vjp(f: Callable, vjp: Callable, x, *, method: str = "central", rtol: float | None = None,
              atol: float = 0.0, seed: int = 0, mode: str = "probe", probes: int = 8) -> Report:
    """Compare ``vjp(x, u)`` = uᵀJ (with ``x``'s shape) with finite differences: ⟨uᵀJ, w⟩ against ⟨u, D_w f⟩ for
    random u and w, or (``mode="full"``) the Jacobian it gives row by row, ``vjp(x, e_i)``, entry by entry."""
    fn, x = _start(f, x, method, mode, probes)
    if _full(fn, mode, x.size):
        numerical, error = jacobian(fn, _method(method))
        rows = [np.asarray(_call(vjp, (x.copy(), e), "vjp")) for e in _basis(fn.y)]
        a = np.stack(rows).reshape(fn.y.shape + rows[0].shape) if all(r.shape == x.shape for r in rows) else None
        result = _judge("vjp", a, numerical, error, rtol, atol, outputs=fn.y.ndim, expected=f"shape {x.shape}",
                        found=rows[0].shape)
        return _report((result,), method, fn.calls, "full", "vector-Jacobian products")
    rng = np.random.default_rng([seed, 1])
    cotangents = [rng.standard_normal(fn.y.shape) for _ in range(probes)]
    directions = _directions(x, seed, probes)
    products = [np.asarray(_call(vjp, (x.copy(), u.copy()), "vjp")) for u in cotangents]
    fits = all(p.shape == x.shape for p in products)
    slopes, errors, analytic = [], [], []
    for u, w, p in zip(cotangents, directions, products):
        d, e = along(fn, w, _method(method))
        slopes.append(float(np.sum(u * d)))
        errors.append(float(np.sum(np.abs(u) * e)))
        analytic.append(float(np.sum(p * w)) if fits else np.nan)
    result = _judge("vjp", np.array(analytic) if fits else None, np.array(slopes), np.array(errors), rtol, atol,
                    along_directions=True, expected=f"shape {x.shape}", found=products[0].shape)
    return _report((result,), method, fn.calls, "probe", "vector-Jacobian products")


def check_hessian(grad: Callable, hess: Callable, x, *, method: str = "central", rtol: float | None = None,
                  atol: float = 0.0, seed: int = 0, mode: str = "full", probes: int = 8) -> Report:
    """Compare ``hess(x)``, the Hessian of one array with shape ``x.shape + x.shape``, with finite differences of
    ``grad`` column by column, and say whether it is symmetric."""
    shape = np.shape(x)
    flipped: list[tuple] = []

    def hess_as_given(v):
        h = np.asarray(hess(v))
        if len(shape) == 2 and shape[0] != shape[1] and h.shape == shape[::-1] * 2:  # the Hessian of xᵀ
            flipped.append(h.shape)
            return h.transpose(1, 0, 3, 2)
        return h

    report = check_jacobian(grad, hess_as_given, x, method=method, rtol=rtol, atol=atol, seed=seed, mode=mode,
                            probes=probes)
    result = report.results[0]
    result = replace(result, name=result.name.replace("jac", "hess"))
    if flipped:
        said = (f"the Hessian is returned for the transpose of x, shape {flipped[0]}, where x has shape {shape}: "
                f"return it with shape {shape * 2}")
        result = replace(result, ok=False, kind=Kind.TRANSPOSED, hint=said) if result.ok else \
            replace(result, hint=f"{result.hint}; {said}")
    a = result.analytic
    if a is None or np.shape(a) != 2 * np.shape(x):  # probe mode, or no Hessian to look at
        return _report((result,), method, report.evaluations, report.mode, "Hessian", "grad")
    n = int(np.size(x))
    square = np.asarray(a, dtype=np.float64).reshape(n, n)
    # symmetric within the relative tolerance of the Hessian's dtype, at the scale of its largest entry
    allowed = atol + default_rtol(np.asarray(a).dtype) * float(np.max(np.abs(square), initial=0.0))
    asymmetric = np.abs(square - square.T) > allowed
    detail = {**result.detail, "symmetric": not bool(asymmetric.any())}
    hint = result.hint
    if asymmetric.any():
        i, j = np.argwhere(asymmetric)[0]
        where = f"H[{entry_label(i, np.shape(x))}, {entry_label(j, np.shape(x))}] ≠ H[{entry_label(j, np.shape(x))}, " \
                f"{entry_label(i, np.shape(x))}]"
        hint = (f"{hint}; " if hint else "") + (f"the Hessian returned is not symmetric ({where}, "
                                                f"{int(asymmetric.sum()) // 2} pairs): a Hessian of a twice "
                                                "continuously differentiable loss is")
    result = replace(result, detail=detail, hint=hint)
    return _report((result,), method, report.evaluations, report.mode, "Hessian", "grad")


def check_hvp(grad: Callable, hvp: Callable, params: Any, *, method: str = "central", rtol: float | None = None,
              atol: float = 0.0, seed: int = 0, mode: str = "auto", probes: int = 8) -> Report:
    """Compare ``hvp(params, v)`` = H·v (in the structure of ``params``) with central differences of ``grad`` along
    random directions v, per parameter; or (full mode, the default for up to 256 entries) exactly along every
    coordinate, per block (output parameter, input parameter) of the Hessian."""
    p = as_params(params)
    sizes = [a.size for a in p.arrays]
    cuts = np.cumsum(sizes)[:-1]

    def split(v: np.ndarray) -> list[np.ndarray]:
        return [part.reshape(a.shape) for part, a in zip(np.split(v, cuts), p.arrays)]

    def flat(structure: Any, what: str) -> np.ndarray:
        return joined(p.read_grads(structure, what)[0], what)

    def joined(found: list, what: str) -> np.ndarray:
        missing = [str(n) for n, g in zip(p.names, found) if g is None]
        if missing:
            raise CheckError(f"{what} returned no array for {missing}; expected one per parameter, keyed by its name "
                             "(or d<name>) as the parameters are", expected=[str(n) for n in p.names], found=missing)
        if any(g.shape != a.shape for g, a in zip(found, p.arrays)):
            shapes = [a.shape for a in p.arrays]
            raise CheckError(f"{what} returned arrays of other shapes than the parameters' {shapes}",
                             expected=shapes, found=[None if g is None else g.shape for g in found])
        return np.concatenate([np.asarray(g).reshape(-1) for g in found])  # in the gradient's own dtype

    transposed: dict[str, tuple] = {}  # parameters whose H·v came back as the transpose of their shape

    def product(structure: Any) -> np.ndarray:
        """``flat`` of hvp's result, a 2-D parameter's block taken back from its transpose (and noted)."""
        found = p.read_grads(structure, "hvp")[0]
        fixed = []
        for name, g, a in zip(p.names, found, p.arrays):
            if g is not None and a.ndim == 2 and g.shape == a.shape[::-1] != a.shape:
                transposed[str(name)] = g.shape
                g = g.T
            fixed.append(g)
        return joined(fixed, "hvp")

    x = np.concatenate([np.asarray(a).reshape(-1) for a in p.arrays])  # in the parameters' dtype
    fn = VectorFunction(lambda v: flat(_call(grad, (p.build(split(v)),), "grad"), "grad"), x, "grad")
    _check_options(method, mode, probes)
    full = mode == "full" or (mode == "auto" and x.size <= 256)
    if full:
        numerical, error = jacobian(fn, _method(method))
        columns = [product(_call(hvp, (p.build(split(x.copy())), p.build(split(e))), "hvp")) for e in _basis(x)]
        a = np.stack(columns, axis=1)
        starts = np.concatenate([[0], np.cumsum(sizes)])
        results = []
        for i, out in enumerate(p.names):
            for j, into in enumerate(p.names):
                block = (slice(starts[i], starts[i + 1]), slice(starts[j], starts[j + 1]))
                shape = p.arrays[i].shape + p.arrays[j].shape
                results.append(_judge(f"{out},{into}", a[block].reshape(shape), numerical[block].reshape(shape),
                                      error[block].reshape(shape), rtol, atol, outputs=p.arrays[i].ndim))
        results = [_as_transposed(r, transposed, p) for r in results]
        return _report(tuple(results), method, fn.calls, "full", "Hessian-vector products", "grad")
    directions = _directions(x, seed, probes)
    values, errors = _along_each(fn, directions, method)
    products = [product(_call(hvp, (p.build(split(x.copy())), p.build(split(w.copy()))), "hvp")) for w in directions]
    results = []
    for i, name in enumerate(p.names):
        part = slice(int(np.sum(sizes[:i])), int(np.sum(sizes[:i + 1])))
        shape = (probes,) + p.arrays[i].shape
        results.append(_judge(name, np.stack([q[part] for q in products]).reshape(shape),
                              values[:, part].reshape(shape), errors[:, part].reshape(shape), rtol, atol,
                              along_directions=True))
    results = [_as_transposed(r, transposed, p) for r in results]
    return _report(tuple(results), method, fn.calls, "probe", "Hessian-vector products", "grad")


def _as_transposed(result: ParamResult, transposed: dict[str, tuple], p) -> ParamResult:
    """A result whose parameter's H·v came back transposed: ``transposed`` when its values are right so, and the
    shape said in the hint either way."""
    name = result.name.split(",")[0]
    if name not in transposed:
        return result
    shape = dict(zip(map(str, p.names), (a.shape for a in p.arrays)))[name]
    said = f"hvp returns the product for {name!r} transposed, shape {transposed[name]}, where it has shape {shape}"
    if result.ok:
        return replace(result, ok=False, kind=Kind.TRANSPOSED, hint=f"{said}: return it with shape {shape}")
    return replace(result, hint=f"{result.hint}; {said}")


# ---------------------------------------------------------------------------------------------------------------

def _check_options(method: str, mode: str, probes: int) -> None:
    if method not in _METHODS:
        raise CheckError(f"method is {method!r}; expected one of {', '.join(_METHODS)}", expected=_METHODS,
                         found=method)
    if mode not in ("auto", "full", "probe"):
        raise CheckError(f"mode is {mode!r}; expected one of auto, full, probe", expected=("auto", "full", "probe"),
                         found=mode)
    if not isinstance(probes, int) or probes < 1:
        raise CheckError(f"probes is {probes!r}; expected at least 1 direction", expected=">= 1", found=probes)


def _method(method: str) -> str:
    """The differences to take: the complex step when asked for, else central differences at two steps,
    extrapolated (Richardson), which is what "central", "richardson" and "auto" get here."""
    return "complex-step" if method == "complex-step" else "central"


def _start(f: Callable, x, method: str, mode: str, probes: int) -> tuple[VectorFunction, np.ndarray]:
    _check_options(method, mode, probes)
    x = np.asarray(x)
    if x.dtype.kind not in "fiu":
        raise CheckError(f"x is a {x.dtype} array; expected a float array", expected="float array", found=str(x.dtype))
    x = x.astype(np.float64) if x.dtype.kind != "f" else x
    if not np.all(np.isfinite(x)):
        raise CheckError("x holds nan or inf; a derivative can only be checked at a finite point",
                         expected="finite values", found="nan or inf")
    fn = VectorFunction(f, x)
    return fn, fn.x


def _full(fn: VectorFunction, mode: str, entries: int) -> bool:
    if mode != "auto":
        return mode == "full"
    began = time.perf_counter()
    fn(fn.x)
    return 4 * entries * (time.perf_counter() - began) <= _BUDGET


def _call(g: Callable, args: tuple, what: str) -> Any:
    try:
        return g(*args)
    except CheckError:
        raise
    except Exception as exc:
        raise user_code_raised(what, exc, "(at the given point)") from exc


def _directions(x: np.ndarray, seed: int, count: int) -> list[np.ndarray]:
    """Seeded Gaussian directions scaled like the entries, max(1, |x|)."""
    rng = np.random.default_rng([seed, 0])
    return [rng.standard_normal(x.shape) * np.maximum(1.0, np.abs(x)) for _ in range(count)]


def _along_each(fn: VectorFunction, directions: list[np.ndarray], method: str) -> tuple[np.ndarray, np.ndarray]:
    """D_w f and its error for every direction w, stacked: shape (directions,) + f(x).shape."""
    measured = [along(fn, w, _method(method)) for w in directions]
    return np.stack([m[0] for m in measured]), np.stack([m[1] for m in measured])


def _basis(x: np.ndarray) -> list[np.ndarray]:
    out = []
    for j in range(x.size):
        e = np.zeros(x.size)
        e[j] = 1.0
        out.append(e.reshape(x.shape))
    return out


def _stack_last(columns: list[np.ndarray], out_shape: tuple, in_shape: tuple) -> np.ndarray | None:
    if not all(c.shape == out_shape for c in columns):
        return None
    return np.stack([c.reshape(-1) for c in columns], axis=1).reshape(out_shape + in_shape)


def _judge(name: str, analytic, numerical: np.ndarray, error: np.ndarray, rtol: float | None, atol: float,
           outputs: int | None = None, along_directions: bool = False, expected: str = "", found=None) -> ParamResult:
    """One comparison as a ParamResult, with the kind the difference shows."""
    shape = numerical.shape
    size = numerical.size
    what = "the products along the probe directions" if along_directions else "the matrix"
    if analytic is not None and not (isinstance(analytic, np.ndarray) or np.asarray(analytic).dtype.kind in "fiuc"):
        return _result(name, Kind.SHAPE_MISMATCH, shape, None, size,
                       hint=f"returned a {type(analytic).__name__}; expected an array of shape {shape}")
    if analytic is None and found is None:
        return _result(name, Kind.SHAPE_MISMATCH, shape, None, size,
                       hint=f"returned None; expected {expected or f'an array of shape {shape}'}")
    if analytic is None or np.shape(analytic) != shape:
        got = np.shape(analytic) if analytic is not None else found
        if (analytic is not None and outputs is not None and np.ndim(analytic) == numerical.ndim
                and np.shape(analytic) == shape[outputs:] + shape[:outputs]):
            moved = np.moveaxis(np.asarray(analytic, dtype=np.float64),
                                list(range(numerical.ndim - outputs, numerical.ndim)), list(range(outputs)))
            tol = tolerance(numerical, error, np.asarray(analytic).dtype, rtol, atol)
            if np.all(np.abs(moved - numerical) <= tol):
                return _result(name, Kind.TRANSPOSED, shape, np.shape(analytic), size, hint=(
                    f"the Jacobian is returned as its transpose, shape {np.shape(analytic)}: return it with shape "
                    f"{shape}, outputs first (J[i, j] = ∂f_i/∂x_j)"))
        return _result(name, Kind.SHAPE_MISMATCH, shape, got, size,
                       hint=f"expected {expected or f'shape {shape}'}, found shape {got}")
    a = np.asarray(analytic)
    a_dtype = a.dtype if a.dtype.kind == "f" else np.dtype(np.float64)
    a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        return _result(name, Kind.NONFINITE, shape, shape, size, hint="the returned values hold nan or inf")
    tol = tolerance(numerical, error, a_dtype, rtol, atol)
    comparison = compare(a.reshape(-1), numerical.reshape(-1), tol.reshape(-1))
    mismatched = comparison.mismatched.reshape(shape)
    evidence = EntryEvidence(numerical, tol, error, mismatched, atol=atol)
    kind, hint, detail = Kind.OK, "", {}
    if mismatched.any():
        kind, hint, detail = _kind(a, numerical, evidence, mismatched, outputs, what)
    excess = None
    if kind != Kind.OK:
        with np.errstate(divide="ignore", invalid="ignore"):
            excess = np.where(mismatched, np.abs(a - numerical) / np.where(tol > 0, tol, np.inf), 0.0)
    finite = tol[np.isfinite(tol)]
    largest = float(np.max(np.abs(numerical), initial=0.0))
    detectable = float(finite.max()) / largest if finite.size and largest > 0 else float("inf")
    return ParamResult(name=name, ok=kind == Kind.OK, kind=kind, shape=shape, grad_shape=shape, size=size,
                       mismatched=comparison.count, max_abs_error=comparison.max_abs_error,
                       max_rel_error=comparison.max_rel_error, hint=hint, detail=detail, detectable=detectable,
                       analytic=a, numerical=numerical, rel_error=comparison.rel_error.reshape(shape),
                       wrong_entries=mismatched if kind != Kind.OK else None, excess=excess)


def _kind(a, numerical, evidence, mismatched, outputs, what) -> tuple[Kind, str, dict]:
    if evidence.matches(-a):
        return (Kind.SIGN_FLIPPED, f"{what} returned {_be(what)} the negative of the finite differences in every "
                "entry", {})
    k, support = evidence.scale(a)
    if support and abs(k - 1.0) > 1e-3 and evidence.matches_scaled(a, k):
        return (Kind.SCALED, f"{what} returned {_be(what)} {k:.6g} times the finite differences in every entry",
                {"scale": k})
    if outputs is not None and a.ndim == 2 and a.shape[0] == a.shape[1] and evidence.matches(a.T):
        return Kind.TRANSPOSED, ("the matrix returned is the transpose of the finite differences: J[i, j] must be "
                                 "∂f_i/∂x_j, output i by input j"), {}
    if outputs is not None:
        rows = int(np.prod(a.shape[:outputs], dtype=int))
        where, detail = locate(mismatched.reshape(rows, -1))
        return Kind.WRONG_VALUES, (f"wrong values {where} (rows: outputs {a.shape[:outputs]}, columns: inputs "
                                   f"{a.shape[outputs:]})"), detail
    where, detail = locate(mismatched)
    return Kind.WRONG_VALUES, f"wrong values along the directions: {where}", detail


def _be(what: str) -> str:
    return "are" if what.startswith("the products") else "is"


def _result(name: str, kind: Kind, shape, got, size: int, hint: str) -> ParamResult:
    return ParamResult(name=name, ok=False, kind=kind, shape=shape, grad_shape=got, size=size, mismatched=size,
                       max_abs_error=float("inf"), max_rel_error=float("inf"), hint=hint)


def _report(results: tuple[ParamResult, ...], method: str, evaluations: int, mode: str, subject: str,
            evaluated: str = "f") -> Report:
    return Report(results=results, method=method, evaluations=evaluations, mode=mode,
                  mode_reason=f"mode={mode!r}: {'every entry' if mode == 'full' else 'products along directions'}",
                  subject=subject, unit="block" if mode == "full" else "result", evaluated=evaluated)

