"""Entry labels: one rule for every place a report names an entry."""

import numpy as np
import pytest

import gradcheck
from gradcheck.indexing import entry_index, entry_label, index_label


@pytest.mark.parametrize("flat, shape, label", [(3, (5,), "3"), (5, (2, 3), "(1, 2)"), (7, (2, 2, 2), "(1, 1, 1)"),
                                                (0, (), "()")])
def test_an_entry_is_labelled_as_the_user_indexes_it(flat, shape, label):
    assert entry_label(flat, shape) == label
    assert index_label(entry_index(flat, shape)) == label


def test_every_message_names_a_vector_entry_by_its_number():
    grad = np.array([1.0, np.nan, 3.0])
    report = gradcheck.check(lambda p: float(np.sum(p ** 2)), lambda p: grad, np.ones(3))
    assert report["param"].hint.startswith("1 of 3 entries are NaN or inf, first at 1:")
