"""S2: the bias-free sigmoid network on the 3-input XOR-like table, and its documented bugs B6–B7."""

import gradcheck
from gradcheck.reference import reference


@gradcheck.case
def s2_correct():
    """S2 as the document derives it: every gradient right."""
    return reference("S2").problem()


@gradcheck.case(expect="fail", kinds={"W1": "shape-mismatch", "W2": "wrong-values"})
def s2_b6_delta_as_weight_gradient():
    """B6: the error at the pre-activation used as the weight gradient, without the previous activation."""
    return reference("S2", "B6").problem()


@gradcheck.case(expect="fail", kinds={"W1": "sign-flipped", "W2": "sign-flipped"})
def s2_b7_error_written_y_minus_a():
    """B7: the error written y − a, the negative gradient."""
    return reference("S2", "B7").problem()
