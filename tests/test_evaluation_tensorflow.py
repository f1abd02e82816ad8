"""The framework view of 10_evaluation against live Keras: the values the notebook stores for a
session without TensorFlow are what Keras computes now, and the claims §7 makes about them hold.
"""
from __future__ import annotations

import nbformat
import numpy as np
import pytest

from dlmath import metrics as M
from grading import chapters

CHAPTER = "10_evaluation"
MARKER = "def measure(keras):"


def framework_cell() -> dict:
    """Run the notebook's framework-view input cell (NumPy only) and return its namespace."""
    notebook = nbformat.read(chapters.get(CHAPTER).notebook, as_version=4)
    (source,) = [c.source for c in notebook.cells if c.cell_type == "code" and MARKER in c.source]
    space = {"np": np, "keras": None}
    exec(compile(source, "<notebook §7.2>", "exec"), space)
    return space


def test_stored_values_are_those_of_the_inputs_in_the_cell():
    space = framework_cell()
    assert space["keras_values"] is space["KERAS_STORED"]   # without TensorFlow the cell falls back to them
    stored = space["KERAS_STORED"]
    # values the notebook's prose relies on, derived by hand: Precision() = 2 TP / 3 predicted (p > 0.5 strictly),
    # Recall() = 2 of 4 positives; one-hot: only 0.6 and 0.7 exceed 0.5, both right → P = 1, R = 2/7
    assert stored["Precision()"] == pytest.approx(2 / 3, rel=1e-6) and stored["Recall()"] == pytest.approx(0.5)
    assert stored["Precision() on one-hot"] == 1.0 and stored["Recall() on one-hot"] == pytest.approx(2 / 7, rel=1e-6)
    assert stored["Precision(), nothing predicted"] == 0.0


@pytest.mark.tensorflow
def test_stored_keras_values_match_live_keras(keras):
    space = framework_cell()
    live = space["measure"](keras)
    update = "if Keras changed, paste into the notebook's §7.2 input cell:\nKERAS_STORED = {\n" + "".join(
        f"    {name!r}: {value!r},\n" for name, value in live.items()) + "}"
    assert live.keys() == space["KERAS_STORED"].keys(), update
    for name, value in live.items():
        assert value == pytest.approx(space["KERAS_STORED"][name], rel=1e-6, abs=1e-7), f"{name}\n{update}"


@pytest.mark.tensorflow
def test_keras_auc_is_the_exact_auc_of_scores_rounded_down_to_its_grid(keras):
    # §7.2: Keras counts `score > threshold` at 200 fixed thresholds, so its ROC AUC (trapezoids) is the exact
    # AUC of every score replaced by the largest grid threshold below it
    rng = np.random.default_rng(11)
    y = (rng.random(2000) < 0.3).astype(np.int64)
    s = 1 / (1 + np.exp(-(rng.normal(0, 1.5, 2000) + 1.2 * y)))
    metric = keras.metrics.AUC()
    metric.update_state(y, s)
    grid = np.asarray(metric.thresholds)
    np.testing.assert_allclose(grid, np.r_[-1e-7, np.arange(1, 199) / 199, 1 + 1e-7], rtol=1e-12)
    rounded = grid[np.searchsorted(grid, s.astype(np.float32), side="left") - 1]
    assert float(metric.result()) == pytest.approx(float(M.roc_auc(y, rounded)), abs=1e-6)
    assert abs(float(metric.result()) - float(M.roc_auc(y, s))) > 1e-7   # ... which is not the exact value


@pytest.mark.tensorflow
def test_keras_precision_pools_batches_and_thresholds_strictly(keras):
    y = np.array([1, 0, 1, 1, 0, 1, 0, 0])
    p = np.array([0.9, 0.5, 0.5, 0.3, 0.7, 0.51, 0.2, 0.0])
    metric = keras.metrics.Precision()
    metric.update_state(y[:4], p[:4])
    metric.update_state(y[4:], p[4:])
    pooled = M.precision_recall_f1(y, (p > 0.5).astype(np.int64))[0]
    assert float(metric.result()) == pytest.approx(float(pooled), rel=1e-6)
    assert float(pooled) != pytest.approx(float(M.precision_recall_f1(y, (p >= 0.5).astype(np.int64))[0]))
