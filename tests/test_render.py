"""Rendering: the plain-text report, pinned exactly."""

import numpy as np

import gradcheck


def test_plain_report_of_a_sign_flip_reads_like_numpy_testing():
    report = gradcheck.check(lambda p: float(0.5 * np.sum(p["w"] ** 2)), lambda p: {"w": -p["w"]},
                             {"w": np.array([1.0, 2.0, -4.0])})
    assert str(report) == """\
gradients WRONG: 1 of 1 parameter does not match (central, 21 loss evaluations)
  parameter  shape  kind          mismatched  max abs err  max rel err
  w          (3,)   sign-flipped  3 / 3       8            2

w: sign-flipped
  Mismatched elements: 3 / 3 (100%)
  Max absolute difference: 8
  Max relative difference: 2
  entry        analytic       numerical
  0            -1.000000e+00   1.000000e+00
  1            -2.000000e+00   2.000000e+00
  2             4.000000e+00  -4.000000e+00
  Observed order of the Taylor remainder: 1.00 (2 when right, 1 when wrong)
  analytic = −numerical: the backward computes the negative gradient (an error written y − a instead of a − y)"""


def test_passing_report_is_a_verdict_and_a_table():
    report = gradcheck.check(lambda p: float(np.sum(p**2)), lambda p: 2 * p, np.array([1.0, 2.0]))
    lines = str(report).splitlines()
    assert lines[0] == "gradients OK: the parameter matches (central, 13 loss evaluations)"
    assert lines[1].split() == ["parameter", "shape", "kind", "mismatched", "max", "abs", "err", "max", "rel", "err"]
    assert lines[2].split()[:4] == ["param", "(2,)", "ok", "0"]
