"""S4: a tiny MLP with one hidden ReLU unit; a pre-activation of exactly 0 is a kink, not a bug."""

import gradcheck
from gradcheck.reference import reference


@gradcheck.case
def s4_correct_at_a_kink():
    """S4 with the first example's pre-activation exactly 0: ReLU'(0) = 0 is a valid subgradient."""
    return reference("S4").problem()


@gradcheck.case
def s4_correct_away_from_kinks():
    """S4 at a point where every pre-activation is away from 0."""
    return reference("S4", kink=False).problem()
