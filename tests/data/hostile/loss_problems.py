import numpy as np
import gradcheck

X = np.array([1.0, 2.0, 3.0])


def problem(loss, grad=lambda p: 2 * p):
    return gradcheck.Problem(loss, grad, X.copy())


@gradcheck.case
def loss_raises_at_the_point():
    return problem(lambda p: 1 / 0)


@gradcheck.case
def loss_raises_when_perturbed():
    def loss(p):
        if p[2] != 3.0:
            raise ArithmeticError("only defined at the given point")
        return float(np.sum(p ** 2))

    return problem(loss)


@gradcheck.case
def loss_returns_an_array():
    return problem(lambda p: p ** 2)


@gradcheck.case
def loss_returns_a_string():
    return problem(lambda p: "0.5")


@gradcheck.case
def loss_returns_nan():
    return problem(lambda p: float("nan"))


@gradcheck.case
def loss_returns_inf():
    return problem(lambda p: float("inf"))
