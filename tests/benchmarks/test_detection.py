"""The detection benchmark runs, and on a few nets of each family gradcheck's verdicts hold."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import detection  # noqa: E402


@pytest.mark.parametrize("family", sorted(detection.families()))
def test_gradcheck_full_raises_no_false_alarm_and_catches_a_1e_3_error_in_float64(family):
    result = detection.run(nets=3, families=[family], dtypes=["float64"], tool_names=["gradcheck full"])
    rates = result["families"][family]["float64"]["tools"]["gradcheck full"]
    assert rates["false_alarm"] == 0 and rates["errors"] == 0 and rates["detected"][1e-3] == 100


@pytest.mark.parametrize("family", ["smooth", "saturated", "wide-scale"])
def test_float32_nets_raise_no_false_alarm_and_catch_a_1e_2_error(family):
    # Entries far below the loss, and weights on inputs of 1e4, are measured each at a step of its own (a typical
    # entry's step missed two in ten of these nets).
    result = detection.run(nets=10, families=[family], dtypes=["float32"], tool_names=["gradcheck full"])
    rates = result["families"][family]["float32"]["tools"]["gradcheck full"]
    assert rates["false_alarm"] == 0 and rates["detected"][1e-1] == 100 and rates["detected"][1e-2] >= 90


def test_float32_probes_across_kinks_raise_no_false_alarm():
    # float32's steps along a whole tensor cross kinks nearby too: such a direction is unjudged, not wrong.
    result = detection.run(nets=12, families=["relu-near0"], dtypes=["float32"], tool_names=["gradcheck probe"])
    assert result["families"]["relu-near0"]["float32"]["tools"]["gradcheck probe"]["false_alarm"] == 0


def test_probe_mode_catches_a_10_percent_error_among_exact_ties_in_float64():
    # A whole-tensor direction meets every tie at once; its one-sided interval must not swallow a wrong slope.
    result = detection.run(nets=8, families=["relu-exact0"], dtypes=["float64"], tool_names=["gradcheck probe"])
    rates = result["families"]["relu-exact0"]["float64"]["tools"]["gradcheck probe"]
    assert rates["false_alarm"] == 0 and rates["detected"][1e-1] == 100
