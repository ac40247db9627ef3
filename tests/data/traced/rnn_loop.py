"""A vanilla RNN over T steps, the backward running the steps in reverse (the time-loop style)."""

import numpy as np

rng = np.random.default_rng(2)
T, N, D, H = 4, 3, 2, 3
XS = rng.normal(size=(T, N, D))
TARGET = rng.normal(size=(N, H))
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
    return 0.5 * np.sum((hs[-1] - TARGET) ** 2)


def grad(p):
    hs = forward(p)
    dWx, dWh = np.zeros_like(p["Wx"]), np.zeros_like(p["Wh"])
    dh_next = hs[-1] - TARGET
    for t in reversed(range(T)):
        dh = dh_next
        da = dh * (1 - hs[t + 1] ** 2)
        dWx += XS[t].T @ da
        dWh += hs[t].T @ da
        dh_next = da @ p["Wh"].T if not BUG else da @ p["Wh"]  # the bug: Wh, not its transpose
    return {"Wx": dWx, "Wh": dWh}
