"""V1–V3: derivatives that are not a loss's gradient — a softmax Jacobian, a least-squares Hessian, an MLP's
Hessian-vector product — each correct and with a documented mistake."""

import numpy as np

import gradcheck

RNG = np.random.default_rng(11)
Z = RNG.normal(size=5)
X = RNG.normal(size=(8, 3))  # least squares: 8 examples, 3 weights
Y = RNG.normal(size=8)
W = RNG.normal(size=3)
XS, YS = RNG.normal(size=(6, 3)), RNG.normal(size=(6, 1))  # the MLP's batch
MLP = {"W1": RNG.normal(size=(3, 4)) / np.sqrt(3), "W2": RNG.normal(size=(4, 1)) / 2}


# V1: s = softmax(z), ∂s_i/∂z_j = s_i (δ_ij − s_j): J = diag(s) − s sᵀ.

def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def softmax_jacobian(z, forget_outer=False):
    s = softmax(z)
    return np.diag(s) if forget_outer else np.diag(s) - np.outer(s, s)  # V1: the − s sᵀ term dropped


@gradcheck.case
def v1_softmax_jacobian():
    """V1: J = diag(s) − s sᵀ."""
    return gradcheck.Problem(None, None, Z, f=softmax, jac=softmax_jacobian)


@gradcheck.case(expect="fail", kinds={"jac": "wrong-values"})
def v1_softmax_jacobian_without_outer_term():
    """V1 mistake: J = diag(s), the − s sᵀ term dropped (every entry off the diagonal is wrong)."""
    return gradcheck.Problem(None, None, Z, f=softmax, jac=lambda z: softmax_jacobian(z, forget_outer=True))


# V2: L(w) = ½‖Xw − y‖², ∇L = Xᵀ(Xw − y), H = XᵀX.

def least_squares_grad(w):
    return X.T @ (X @ w - Y)


@gradcheck.case
def v2_least_squares_hessian():
    """V2: H = XᵀX."""
    return gradcheck.Problem(None, least_squares_grad, W, hess=lambda w: X.T @ X)


@gradcheck.case(expect="fail", kinds={"hess": "scaled"})
def v2_least_squares_hessian_twice():
    """V2 mistake: H = 2·XᵀX, the derivative of ‖Xw − y‖² taken for that of ½‖Xw − y‖²."""
    return gradcheck.Problem(None, least_squares_grad, W, hess=lambda w: 2 * X.T @ X)


# V3: a tanh MLP, z = x W1, a = tanh z, o = a W2, L = ½·mean((o − y)²); its gradient, and H·V by the R-operator
# (Pearlmutter): R{·} is the derivative of each quantity along the direction V = (V1, V2).

def mlp_grad(p):
    a = np.tanh(XS @ p["W1"])
    do = (a @ p["W2"] - YS) / len(XS)  # ∂L/∂o
    da = do @ p["W2"].T
    return {"W1": XS.T @ (da * (1 - a ** 2)), "W2": a.T @ do}


def mlp_hvp(p, v, drop_w2_term=False):
    a = np.tanh(XS @ p["W1"])
    o = a @ p["W2"]
    do = (o - YS) / len(XS)
    da = do @ p["W2"].T
    r_a = (1 - a ** 2) * (XS @ v["W1"])  # R{a} = (1 − a²) ⊙ x V1
    r_o = r_a @ p["W2"] + a @ v["W2"]  # R{o} = R{a} W2 + a V2
    r_do = r_o / len(XS)
    r_da = r_do @ p["W2"].T + (0 if drop_w2_term else do @ v["W2"].T)  # V3: the do V2ᵀ term dropped
    r_dz = r_da * (1 - a ** 2) - 2 * da * a * r_a  # R{da ⊙ (1 − a²)}
    return {"W1": XS.T @ r_dz, "W2": r_a.T @ do + a.T @ r_do}


@gradcheck.case
def v3_mlp_hessian_vector_product():
    """V3: H·V of the MLP's loss by the R-operator."""
    return gradcheck.Problem(None, mlp_grad, MLP, hvp=mlp_hvp)


@gradcheck.case(expect="fail", kinds={"W1,W2": "wrong-values", "W1,W1": "ok", "W2,W2": "ok"})
def v3_mlp_hvp_without_w2_term():
    """V3 mistake: R{da} = R{do} W2ᵀ, the do V2ᵀ term dropped: the block of ∂(dW1)/∂W2 is wrong."""
    return gradcheck.Problem(None, mlp_grad, MLP, hvp=lambda p, v: mlp_hvp(p, v, drop_w2_term=True))
