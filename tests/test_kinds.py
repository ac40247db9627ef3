"""The diagnosis vocabulary: a string enum whose values and text never change."""

import json

import pytest

from gradcheck import Kind
from gradcheck.kinds import EXPLANATIONS, KINDS


@pytest.mark.parametrize("kind", list(Kind), ids=str)
def test_a_kind_is_its_string_in_comparisons_text_and_json(kind):
    assert kind == kind.value and str(kind) == kind.value and f"{kind}" == kind.value
    assert f"{kind:>30}" == f"{kind.value:>30}"
    assert json.dumps({"kind": kind}) == json.dumps({"kind": kind.value})
    assert {kind.value: 1}[kind] == 1


def test_every_kind_has_an_explanation_and_the_names_are_in_order():
    assert set(EXPLANATIONS) == set(Kind) and KINDS[0] == "ok" and len(KINDS) == len(Kind)
    assert Kind("sign-flipped").explanation.startswith("analytic ≈ −numerical in every entry.")


def test_every_hypothesis_the_diagnosis_sets_is_explained():
    import re
    from pathlib import Path

    from gradcheck import kinds
    from gradcheck.kinds import HYPOTHESES

    package = Path(kinds.__file__).parent
    source = "".join(p.read_text() for p in package.rglob("*.py"))
    assert set(re.findall(r'"hypothesis": "([a-z-]+)"', source)) <= set(HYPOTHESES)
