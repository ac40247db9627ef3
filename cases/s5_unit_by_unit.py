"""S5: the 2-2-2 network written unit by unit, its 2-4-1 XOR extension, and the documented bugs B11–B13."""

import gradcheck
from gradcheck.reference import reference


@gradcheck.case
def s5_correct():
    """S5, 2-2-2, bias as an appended 1: every gradient right."""
    return reference("S5").problem()


@gradcheck.case
def s5_xor_correct():
    """S5's 2-4-1 extension on the XOR table, column layout."""
    return reference("S5-xor").problem()


@gradcheck.case(expect="fail", kinds={"W_hidden": "wrong-values", "W_out": "wrong-values",
                                      "4.Sigmoid.x": "wrong-values"})
def s5_b11_sigma_for_sigma_prime():
    """B11: the output-layer derivative uses σ(net) where σ'(net) belongs."""
    return reference("S5", "B11").problem()


@gradcheck.case(expect="fail", kinds={"W_hidden": "wrong-values", "W_out": "ok"})
def s5_b12_wrong_output_weight_in_hidden_bias():
    """B12: the hidden-bias derivative of G takes the output weight e where f belongs."""
    return reference("S5", "B12").problem()


@gradcheck.case(expect="fail", kinds={"W_hidden": "ok", "W_out": "wrong-values"})
def s5_b13_hidden_factor_in_output_bias():
    """B13: the output-bias derivative of H carries g·σ'(net_F) where the factor is 1."""
    return reference("S5", "B13").problem()
