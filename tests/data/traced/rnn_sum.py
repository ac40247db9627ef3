"""An RNN whose loss reads every step's state: the backward must add the gradient from the next step."""

import numpy as np

rng = np.random.default_rng(6)
T, N, D, H = 4, 3, 2, 3
XS = rng.normal(size=(T, N, D))
TARGETS = rng.normal(size=(T, N, H))
PARAMS = {"Wx": rng.normal(size=(D, H)) * 0.5, "Wh": rng.normal(size=(H, H)) * 0.5}
BUG = False


def forward(p):
    hs = [np.zeros((N, H))]
    for t in range(T):
        h = np.tanh(XS[t] @ p["Wx"] + hs[-1] @ p["Wh"])
        hs.append(h)
    return hs


def loss(p):
    hs = forward(p)
    return 0.5 * sum(np.sum((hs[t + 1] - TARGETS[t]) ** 2) for t in range(T))


def grad(p):
    hs = forward(p)
    dWx, dWh = np.zeros_like(p["Wx"]), np.zeros_like(p["Wh"])
    dh_next = np.zeros((N, H))
    for t in reversed(range(T)):
        dh = (hs[t + 1] - TARGETS[t]) + (0 if BUG else dh_next)  # the bug: the next step's gradient not added
        da = dh * (1 - hs[t + 1] ** 2)
        dWx += XS[t].T @ da
        dWh += hs[t].T @ da
        dh_next = da @ p["Wh"].T
    return {"Wx": dWx, "Wh": dWh}
