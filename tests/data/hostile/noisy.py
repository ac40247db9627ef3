import numpy as np
import gradcheck

rng = np.random.default_rng()
X = np.random.default_rng(0).normal(size=(16, 4))


@gradcheck.case(expect="fail", kinds={"W": "noisy-loss"})
def dropout_without_a_fixed_mask():
    def loss(p):
        mask = rng.uniform(size=(16, 4)) > 0.5  # a new mask on every call
        return float(np.sum(np.tanh((X * mask) @ p["W"]) ** 2))

    return gradcheck.Problem(loss, lambda p: {"W": np.zeros((4, 2))}, {"W": np.ones((4, 2))})
