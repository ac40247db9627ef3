"""Notebook style (the deep-learning specialisation's assignments): functions on a ``parameters`` dict.

Examples are columns: X is (n_x, m), Y is (1, m), W1 is (n_1, n_x), b1 is (n_1, 1). Gradients come back keyed
``dW1``, ``db1`` beside the activations' ``dA1``, ``dA0``.
"""

import numpy as np


def initialize_parameters(layer_dims, seed=0):
    rng = np.random.default_rng(seed)
    parameters = {}
    for l in range(1, len(layer_dims)):  # noqa: E741 - the course's name
        parameters["W" + str(l)] = rng.standard_normal((layer_dims[l], layer_dims[l - 1])) * 0.5
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters


def linear_forward(A, W, b):
    Z = np.dot(W, A) + b
    return Z, (A, W, b)


def forward_propagation(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):  # noqa: E741
        Z, linear_cache = linear_forward(A, parameters["W" + str(l)], parameters["b" + str(l)])
        A = np.maximum(0, Z)
        caches.append((linear_cache, Z))
    Z, linear_cache = linear_forward(A, parameters["W" + str(L)], parameters["b" + str(L)])
    AL = 1 / (1 + np.exp(-Z))
    caches.append((linear_cache, Z))
    return AL, caches


def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = -np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m
    return np.squeeze(cost)


def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = np.dot(dZ, A_prev.T) / m
    db = np.sum(dZ, axis=1, keepdims=True) / m
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db


def backward_propagation(AL, Y, caches):
    grads = {}
    L = len(caches)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    linear_cache, Z = caches[L - 1]
    s = 1 / (1 + np.exp(-Z))
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = linear_backward(dAL * s * (1 - s),
                                                                                          linear_cache)
    for l in reversed(range(L - 1)):  # noqa: E741
        linear_cache, Z = caches[l]
        dZ = np.array(grads["dA" + str(l + 1)], copy=True)
        dZ[Z <= 0] = 0
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = linear_backward(dZ, linear_cache)
    return grads


def backward_propagation_with_slips(AL, Y, caches):
    """A two-layer backward written out by hand, with the two slips of the course's gradient-checking exercise."""
    ((A0, W1, b1), Z1), ((A1, W2, b2), Z2) = caches
    m = Y.shape[1]
    dZ2 = AL - Y
    dW2 = 1. / m * np.dot(dZ2, A1.T) * 2  # the slip: * 2
    db2 = 1. / m * np.sum(dZ2, axis=1, keepdims=True)
    dA1 = np.dot(W2.T, dZ2)
    dZ1 = np.multiply(dA1, np.int64(Z1 > 0))
    dW1 = 1. / m * np.dot(dZ1, A0.T)
    db1 = 4. / m * np.sum(dZ1, axis=1, keepdims=True)  # the slip: 4 / m
    return {"dZ2": dZ2, "dW2": dW2, "db2": db2, "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}


def loss_and_grad(X, Y, backward=backward_propagation):
    """What a student passes to gradcheck.check: the cost of a parameter dict, and its gradients."""

    def loss(parameters):
        AL, _ = forward_propagation(X, parameters)
        return compute_cost(AL, Y)

    def grad(parameters):
        AL, caches = forward_propagation(X, parameters)
        return backward(AL, Y, caches)

    return loss, grad
