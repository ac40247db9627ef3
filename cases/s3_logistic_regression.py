"""S3: logistic regression as a per-example loop and in column layout, and its documented bugs B8–B10."""

import gradcheck
from gradcheck.reference import reference


@gradcheck.case
def s3_loop_correct():
    """S3 as a per-example loop that divides by m at the end."""
    return reference("S3-loop").problem()


@gradcheck.case
def s3_column_layout_correct():
    """S3 vectorized with examples as columns, summed over axis 1."""
    return reference("S3").problem()


@gradcheck.case(expect="fail", kinds={"w": "scaled", "b": "scaled"})
def s3_b8_sum_not_divided_by_m():
    """B8: the loop's sum over the batch is not divided by m."""
    return reference("S3-loop", "B8").problem()


@gradcheck.case(expect="fail", kinds={"w": "ok", "b": "not-reduced-over-batch"})
def s3_b9_bias_not_summed_column_layout():
    """B9: column layout, db = dz, not summed over the examples."""
    return reference("S3", "B9").problem()


@gradcheck.case(expect="fail", kinds={"w": "shape-mismatch", "b": "not-reduced-over-batch"})
def s3_b10_sum_over_the_feature_axis():
    """B10: column layout summed over axis 0, the features, instead of axis 1, the examples."""
    return reference("S3", "B10").problem()
