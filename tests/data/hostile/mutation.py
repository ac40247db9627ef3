import numpy as np
import gradcheck

P = {"W": np.arange(1.0, 7.0).reshape(2, 3)}


def loss(p):
    return float(0.5 * np.sum(p["W"] ** 3))


@gradcheck.case(expect="fail", kinds={"W": "mutates-params"})
def grad_updates_params_in_place():
    def grad(p):
        g = 1.5 * p["W"] ** 2
        p["W"] -= 0.1 * g  # an optimizer step inside the backward
        return {"W": g}

    return gradcheck.Problem(loss, grad, P)


@gradcheck.case(expect="fail", kinds={"W": "mutates-params"})
def grad_returns_a_view_of_params():
    def grad(p):
        W = p["W"]
        W *= 1.5 * W
        return {"W": W}

    return gradcheck.Problem(loss, grad, P)


@gradcheck.case(expect="fail", kinds={"W": "mutates-params"})
def grad_reuses_its_output_buffer():
    buffer = np.zeros((2, 3))

    def grad(p):
        buffer[...] = 1.5 * p["W"] ** 2
        buffer[0, 0] += np.random.default_rng().normal()  # different on every call
        return {"W": buffer}

    return gradcheck.Problem(loss, grad, P)


@gradcheck.case(expect="fail", kinds={"W": "mutates-params"})
def loss_updates_params_in_place():
    def mutating_loss(p):
        value = loss(p)
        p["W"] *= 1.0001
        return value

    return gradcheck.Problem(mutating_loss, lambda p: {"W": 1.5 * p["W"] ** 2}, P)
