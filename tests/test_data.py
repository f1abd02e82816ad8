"""The digits split every training chapter uses: deterministic, stratified, disjoint, complete."""
from __future__ import annotations

import numpy as np
import pytest

from dlmath import data


def test_digits_split_is_disjoint_complete_stratified_and_reproducible():
    from sklearn.datasets import load_digits

    split = data.digits(seed=3)
    sizes = [len(split.y_train), len(split.y_val), len(split.y_test)]
    assert sum(sizes) == 1797 and split.x_train.shape == (sizes[0], 64)
    rows = np.concatenate([split.x_train, split.x_val, split.x_test]) * 16
    reference = load_digits().data
    # every image exactly once: sort both sets of rows and compare
    assert np.array_equal(rows[np.lexsort(rows.T)], reference[np.lexsort(reference.T)])
    for labels, share in [(split.y_val, 0.2), (split.y_test, 0.2)]:
        counts = np.bincount(labels, minlength=10) / np.bincount(load_digits().target, minlength=10)
        assert np.all(np.abs(counts - share) < 0.01)  # stratified: each class ~20 %
    again = data.digits(seed=3)
    assert np.array_equal(again.x_test, split.x_test) and not np.array_equal(data.digits(seed=4).y_test, split.y_test)
    assert 0 <= split.x_train.min() and split.x_train.max() == 1.0


def test_digits_as_nhwc_images_and_one_hot_labels():
    split = data.digits(images=True, dtype=np.float32)
    assert split.x_train.shape[1:] == (8, 8, 1) and split.x_train.dtype == np.float32
    assert np.array_equal(data.one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match=r"integers in \[0, 3\)"):
        data.one_hot(np.array([3]), 3)
    with pytest.raises(ValueError, match="fractions"):
        data.digits(validation=0.6, test=0.5)
