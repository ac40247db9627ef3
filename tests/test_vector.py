"""Checks of Jacobians, their products and second derivatives: each catches a sign, a scale, a transpose and one wrong
entry, and passes a correct implementation in float64 and float32."""

import json

import numpy as np
import pytest

import gradcheck
from gradcheck import check_hessian, check_hvp, check_jacobian, check_jvp, check_vjp

RNG = np.random.default_rng(7)
A = RNG.normal(size=(4, 4))  # square, so that a transpose keeps the shape
B = RNG.normal(size=(3, 4))  # not square
Q = (lambda m: m @ m.T)(RNG.normal(size=(4, 4)))
X = RNG.normal(size=4)
WRONG = (np.arange(16).reshape(4, 4) == 6) * 0.05  # one entry, (1, 2)


def f(x, M=A):
    return np.tanh(M @ x)


def jac(x, M=A):
    return (1 - np.tanh(M @ x) ** 2)[:, None] * M


def grad(x):
    return Q @ x - np.sin(x)  # of ½ xᵀQx + Σ cos x


def hess(x):
    return Q - np.diag(np.cos(x))


BUGS = {  # name: (wrong Jacobian from the right one, the kind it shows)
    "sign": (lambda J: -J, "sign-flipped"),
    "scale": (lambda J: 2.0 * J, "scaled"),
    "transpose": (lambda J: J.T, "transposed"),
    "one entry": (lambda J: J + WRONG, "wrong-values"),
}


@pytest.mark.parametrize("bug", BUGS)
def test_check_jacobian_names_the_mistake(bug):
    wrong, kind = BUGS[bug]
    report = check_jacobian(f, lambda x: wrong(jac(x)), X)
    assert [str(r.kind) for r in report] == [kind]


def test_a_non_square_jacobian_returned_transposed_is_named_by_its_shape():
    report = check_jacobian(lambda x: f(x, B), lambda x: jac(x, B).T, X)
    assert report["jac"].kind == "transposed"
    assert report["jac"].hint.startswith("the Jacobian is returned as its transpose, shape (4, 3)")


def test_one_wrong_entry_is_placed_at_its_output_and_input():
    report = check_jacobian(f, lambda x: jac(x) + WRONG, X)
    assert report["jac"].mismatched == 1
    assert "a single entry at (1, 2)" in report["jac"].hint


@pytest.mark.parametrize("mode", ["probe", "full"])
@pytest.mark.parametrize("bug", BUGS)
def test_check_jvp_catches_the_mistake(bug, mode):
    wrong, kind = BUGS[bug]
    report = check_jvp(f, lambda x, v: wrong(jac(x)) @ v, X, mode=mode)
    assert not report.ok
    if mode == "full" or bug in ("sign", "scale"):  # along directions a transpose or an entry shows as wrong values
        assert [str(r.kind) for r in report] == [kind]


@pytest.mark.parametrize("mode", ["probe", "full"])
@pytest.mark.parametrize("bug", BUGS)
def test_check_vjp_catches_the_mistake(bug, mode):
    wrong, kind = BUGS[bug]
    report = check_vjp(f, lambda x, u: u @ wrong(jac(x)), X, mode=mode)
    assert not report.ok
    if mode == "full" or bug in ("sign", "scale"):
        assert [str(r.kind) for r in report] == [kind]


@pytest.mark.parametrize("bug", ["sign", "scale", "one entry"])
def test_check_hessian_names_the_mistake(bug):
    wrong, kind = BUGS[bug]
    report = check_hessian(grad, lambda x: wrong(hess(x)), X)
    assert [str(r.kind) for r in report] == [kind]


def test_an_asymmetric_hessian_is_said_to_be():
    report = check_hessian(grad, lambda x: hess(x) + WRONG, X)
    assert report["hess"].detail["symmetric"] is False
    assert "the Hessian returned is not symmetric (H[1, 2] ≠ H[2, 1], 1 pairs)" in report["hess"].hint
    assert check_hessian(grad, hess, X)["hess"].detail["symmetric"] is True


@pytest.mark.parametrize("mode", ["probe", "full"])
@pytest.mark.parametrize("bug", ["sign", "scale", "one entry"])
def test_check_hvp_catches_the_mistake_in_its_block(bug, mode):
    wrong, kind = BUGS[bug]
    params = {"a": X[:2].copy(), "b": X[2:].copy()}

    def as_dict(v):
        return {"a": v[:2], "b": v[2:]}

    def g(p):
        return as_dict(grad(np.r_[p["a"], p["b"]]))

    def hvp(p, v):
        return as_dict(wrong(hess(np.r_[p["a"], p["b"]])) @ np.r_[v["a"], v["b"]])

    report = check_hvp(g, hvp, params, mode=mode)
    assert not report.ok
    if mode == "full":
        wrong_blocks = sorted(r.name for r in report.failed)
        assert wrong_blocks == (["a,b"] if bug == "one entry" else ["a,a", "a,b", "b,a", "b,b"])
        assert {str(r.kind) for r in report.failed} == {kind}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_correct_implementations_pass_in_both_dtypes(dtype):
    x, M, Qd = X.astype(dtype), A.astype(dtype), Q.astype(dtype)

    def fd(x):
        return np.tanh(M @ x.astype(dtype))

    def jd(x):
        return ((1 - np.tanh(M @ x.astype(dtype)) ** 2)[:, None] * M).astype(dtype)

    def gd(x):
        return (Qd @ x.astype(dtype) - np.sin(x.astype(dtype))).astype(dtype)

    def hd(x):
        return (Qd - np.diag(np.cos(x.astype(dtype)))).astype(dtype)

    for mode in ("full", "probe"):
        assert check_jacobian(fd, jd, x, mode=mode).ok
        assert check_jvp(fd, lambda x, v: jd(x) @ v.astype(dtype), x, mode=mode).ok
        assert check_vjp(fd, lambda x, u: u.astype(dtype) @ jd(x), x, mode=mode).ok
        assert check_hessian(gd, hd, x, mode=mode).ok
        assert check_hvp(gd, lambda p, v: hd(p) @ v.astype(dtype), x, mode=mode).ok


def test_the_input_is_never_modified_and_the_complex_step_is_exact():
    x = X.copy()

    def f_in_place(v):
        out = np.tanh(A @ v)
        v[:] = 0.0  # a function that scribbles on its input sees a copy
        return out

    report = check_jacobian(f_in_place, jac, x, method="complex-step")
    assert np.array_equal(x, X)
    assert report.ok and report["jac"].max_rel_error < 1e-12


def test_bad_input_is_a_check_error_that_says_what_was_expected():
    with pytest.raises(gradcheck.CheckError, match="f raised ValueError: boom"):
        check_jacobian(lambda x: (_ for _ in ()).throw(ValueError("boom")), jac, X)
    with pytest.raises(gradcheck.CheckError, match="mode is 'fast'; expected one of auto, full, probe"):
        check_jvp(f, lambda x, v: v, X, mode="fast")
    report = check_jacobian(f, lambda x: np.zeros((2, 2)), X)
    assert report["jac"].kind == "shape-mismatch" and report["jac"].hint == "expected shape (4, 4), found shape (2, 2)"


def test_every_renderer_reads_a_jacobian_report():
    report = check_jacobian(f, lambda x: jac(x) + WRONG, X)
    text = str(report)
    assert "jac: wrong-values" in text and "Mismatched elements: 1 / 16" in text
    data = json.loads(json.dumps(report.to_dict()))
    assert data["parameters"][0]["kind"] == "wrong-values"
    assert "<table" in report._repr_html_()


MATRIX = RNG.normal(size=(2, 3))  # a non-square parameter, whose transpose has another shape


def matrix_grad(x):
    return (Q6 @ x.reshape(-1)).reshape(2, 3)


Q6 = (lambda m: m @ m.T)(RNG.normal(size=(6, 6)))


def test_a_hessian_returned_for_the_transposed_parameter_is_named_transposed():
    right = check_hessian(matrix_grad, lambda x: Q6.reshape(2, 3, 2, 3), MATRIX)
    wrong = check_hessian(matrix_grad, lambda x: Q6.reshape(2, 3, 2, 3).transpose(1, 0, 3, 2), MATRIX)
    assert right.ok
    assert wrong["hess"].kind == "transposed"
    assert wrong["hess"].hint == ("the Hessian is returned for the transpose of x, shape (3, 2, 3, 2), where x has "
                                  "shape (2, 3): return it with shape (2, 3, 2, 3)")


@pytest.mark.parametrize("mode, name", [("full", "W,W"), ("probe", "W")])
def test_a_hessian_vector_product_returned_transposed_is_named_transposed(mode, name):
    def grad_w(p):
        return {"W": matrix_grad(p["W"])}

    def hvp_transposed(p, v):
        return {"W": (Q6 @ v["W"].reshape(-1)).reshape(2, 3).T}

    report = check_hvp(grad_w, hvp_transposed, {"W": MATRIX}, mode=mode)
    assert report[name].kind == "transposed"
    assert report[name].hint == ("hvp returns the product for 'W' transposed, shape (3, 2), where it has shape (2, 3): "
                                 "return it with shape (2, 3)")


@pytest.mark.parametrize("returned, hint", [
    (None, "returned None; expected an array of shape (4, 4)"),
    ("abc", "returned a str; expected an array of shape (4, 4)"),
])
def test_a_jacobian_that_is_no_array_says_what_was_expected(returned, hint):
    assert check_jacobian(f, lambda x: returned, X)["jac"].hint == hint


def test_a_point_that_is_not_finite_and_a_product_missing_a_parameter_are_refused():
    with pytest.raises(gradcheck.CheckError, match="x holds nan or inf; a derivative can only be checked at a finite"):
        check_jacobian(f, jac, np.array([np.nan, 0.0, 0.0, 0.0]))
    with pytest.raises(gradcheck.CheckError, match=r"hvp returned no array for \['a'\]"):
        check_hvp(lambda p: {"a": grad(p["a"])}, lambda p, v: {"zz": v["a"]}, {"a": X})


def test_a_right_jacobian_reads_as_one_in_one_line():
    assert check_jacobian(f, jac, X).one_line() == "Jacobian: every block matches"
