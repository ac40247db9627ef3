"""S1: the two-layer sigmoid network in row layout, and its documented bugs B1–B5."""

import gradcheck
from gradcheck.reference import reference

ALL_WRONG = {"W1": "wrong-values", "b1": "wrong-values", "W2": "wrong-values", "b2": "wrong-values"}


@gradcheck.case
def s1_correct():
    """S1 as the document derives it: every gradient right."""
    return reference("S1").problem()


@gradcheck.case(expect="fail", kinds={**ALL_WRONG, "4.Sigmoid.x": "wrong-values"})
def s1_b1_sigmoid_derivative_on_upstream_error():
    """B1: dz2 = dh2 ⊙ (1 − dh2), the sigmoid derivative applied to the upstream error."""
    return reference("S1", "B1").problem()


@gradcheck.case(expect="fail", kinds={"W1": "ok", "b1": "not-reduced-over-batch", "W2": "ok",
                                      "b2": "not-reduced-over-batch", "1.Linear.b": "not-reduced-over-batch",
                                      "3.Linear.b": "not-reduced-over-batch"})
def s1_b2_bias_not_summed():
    """B2: the bias gradient keeps one row per example."""
    return reference("S1", "B2").problem()


@gradcheck.case(expect="fail", kinds={"W1": "disconnected", "b1": "disconnected", "W2": "wrong-values", "b2": "ok"})
def s1_b3_input_reused_in_layer_2():
    """B3: the forward pass feeds x into layer 2, the backward still uses h1."""
    return reference("S1", "B3").problem()


@gradcheck.case(expect="fail", kinds={"W1": "wrong-values", "b1": "wrong-values", "W2": "ok", "b2": "ok",
                                      "3.Linear.x": "wrong-values", "3.Linear.W": "ok"})
def s1_b4_column_sum_of_dW2():
    """B4: the error sent to layer 1 is the column sum of dW2ᵀ instead of dz2 W2ᵀ."""
    return reference("S1", "B4").problem()


@gradcheck.case(expect="fail", kinds={"W1": "wrong-values", "b1": "wrong-values", "W2": "ok", "b2": "ok",
                                      "2.Sigmoid.x": "wrong-values"})
def s1_b5_sigmoid_derivative_on_preactivation():
    """B5: the hidden sigmoid derivative evaluated on z1 instead of h1."""
    return reference("S1", "B5").problem()
