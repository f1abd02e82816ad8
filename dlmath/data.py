"""Data the chapters train on: scikit-learn's digits, split the same way everywhere.

Nothing is downloaded: the 1,797 8×8 digit images ship inside scikit-learn. Every chapter
that trains a network uses :func:`digits`, so results are comparable across chapters (and
with the Keras twins of the framework-view sections).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Split:
    """A train / validation / test split: images as rows of pixels in [0, 1], labels 0–9."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def num_classes(self) -> int:
        return 10


def one_hot(labels, num_classes: int = 10, dtype=np.float64) -> np.ndarray:
    """Rows of the identity matrix: ``one_hot([2, 0], 3) == [[0, 0, 1], [1, 0, 0]]``.

    Raises:
        ValueError: for labels that are not integers in ``[0, num_classes)``.
    """
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu" or (labels.size and (labels.min() < 0 or labels.max() >= num_classes)):
        raise ValueError(f"labels must be integers in [0, {num_classes}), got {labels.dtype} "
                         f"values from {labels.min() if labels.size else '-'} to {labels.max() if labels.size else '-'}")
    return np.eye(num_classes, dtype=dtype)[labels]


def digits(validation: float = 0.2, test: float = 0.2, seed: int = 0, dtype=np.float64, images: bool = False) -> Split:
    """scikit-learn's digits, shuffled with ``seed`` and split per class (stratified).

    Args:
        validation, test: fractions of each class for the validation and test sets.
        seed: the shuffle; the same seed gives the same split on every machine.
        dtype: float dtype of the pixels (scaled from 0–16 to [0, 1]).
        images: ``(N, 8, 8, 1)`` images (NHWC, for convolutions) instead of ``(N, 64)`` rows.

    Returns:
        A :class:`Split`; labels are int64 class indices (see :func:`one_hot`).
    """
    if not (0 <= validation < 1 and 0 <= test < 1 and validation + test < 1):
        raise ValueError(f"validation and test must be fractions with a sum below 1, got {validation} and {test}")
    from sklearn.datasets import load_digits  # imported here: only the chapters that train need it

    data = load_digits()
    x = (data.data / 16.0).astype(dtype)
    y = data.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    parts = {"train": [], "val": [], "test": []}
    for label in range(10):
        index = rng.permutation(np.flatnonzero(y == label))
        n_val, n_test = round(validation * len(index)), round(test * len(index))
        parts["val"].append(index[:n_val])
        parts["test"].append(index[n_val:n_val + n_test])
        parts["train"].append(index[n_val + n_test:])
    chosen = {k: rng.permutation(np.concatenate(v)) for k, v in parts.items()}
    shape = (-1, 8, 8, 1) if images else (-1, 64)
    return Split(*(a for k in ("train", "val", "test") for a in (x[chosen[k]].reshape(shape), y[chosen[k]])))
