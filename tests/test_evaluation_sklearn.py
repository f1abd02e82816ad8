"""dlmath.metrics against live scikit-learn: the stored public and hidden references are what
scikit-learn computes now (drift), and the reference solutions equal scikit-learn on random, tied,
degenerate and multi-class inputs, to the last bit or two.

The conventions that make the comparison exact are grading/references/evaluation.py's
(``labels=np.arange(K)``, one-vs-rest macro means, float64 curves).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlmath import metrics as M
from dlmath.checking.cases import load_chapter_file
from grading import chapters
from grading.references import evaluation as reference

CHAPTER = "10_evaluation"
SETTINGS = settings(max_examples=80, deadline=None)

skm = pytest.importorskip("sklearn.metrics")


def _parts(value):
    return value if isinstance(value, tuple) else (value,)


def assert_same(got, expected, rtol=1e-13):
    for g, e in zip(_parts(got), _parts(expected), strict=True):
        g, e = np.asarray(g), np.asarray(e)
        assert g.shape == e.shape, (g.shape, e.shape)
        np.testing.assert_allclose(g.astype(float), e.astype(float), rtol=rtol, atol=1e-15, equal_nan=True)


# ---- drift: the stored references are scikit-learn's values today -----------------------------------

@pytest.mark.parametrize("audience", ["public", "hidden"])
def test_stored_references_match_live_scikit_learn(audience):
    chapter = chapters.get(CHAPTER)
    specs = load_chapter_file(chapter.public_cases if audience == "public" else chapter.hidden_fixture)
    assert set(specs) == {g.name for g in chapter.graded}
    for name, spec in specs.items():
        for case in spec.cases:
            live = reference.sklearn_reference(name, case.args, case.kwargs)
            for stored, fresh in zip(_parts(case.expected), _parts(live), strict=True):
                assert stored.dtype == np.asarray(fresh).dtype, (name, case.name)
                tolerance = 1e-5 if stored.dtype == np.float32 else 1e-12
                np.testing.assert_allclose(stored, fresh, rtol=tolerance, atol=tolerance * 1e-3, equal_nan=True,
                                           err_msg=f"{name}: {case.name}")


@pytest.mark.parametrize("audience", ["public", "hidden"])
def test_the_reference_solution_passes_every_stored_case(audience):
    chapter = chapters.get(CHAPTER)
    specs = load_chapter_file(chapter.public_cases if audience == "public" else chapter.hidden_fixture)
    for name, spec in specs.items():
        for case in spec.cases:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                got = getattr(M, name)(*case.args, **case.kwargs)
            assert_same(got, case.expected, rtol=max(case.rtol, 1e-13))


# ---- the reference solutions equal scikit-learn on random inputs ------------------------------------

@st.composite
def problems(draw):
    n = draw(st.integers(1, 50))
    k = draw(st.integers(2, 6))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    kind = draw(st.sampled_from(["random", "mostly right", "one class", "constant prediction"]))
    rng = np.random.default_rng(seed)
    y, p = rng.integers(0, k, n), rng.integers(0, k, n)
    if kind == "mostly right":
        p = np.where(rng.random(n) < 0.8, y, p)
    elif kind == "one class":
        y = np.full(n, int(rng.integers(0, k)))
    elif kind == "constant prediction":
        p = np.full(n, int(rng.integers(0, k)))
    return y, p, rng


def quiet(f, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*args, **kwargs)


@SETTINGS
@given(problems(), st.sampled_from(["micro", "macro", "weighted", None]), st.sampled_from([0.0, 1.0, np.nan]))
def test_labels_metrics_match_scikit_learn(problem, average, zero_division):
    y, p, _ = problem
    k = int(max(y.max(), p.max())) + 1
    assert_same(M.confusion_matrix(y, p), quiet(skm.confusion_matrix, y, p, labels=np.arange(k)))
    assert_same(M.accuracy(y, p), skm.accuracy_score(y, p))
    expected = quiet(skm.precision_recall_fscore_support, y, p, average=average, labels=np.arange(k),
                     zero_division=zero_division)[:3]
    assert_same(M.precision_recall_f1(y, p, average=average, zero_division=zero_division), tuple(expected))


@SETTINGS
@given(problems(), st.sampled_from([0.0, 1.0, np.nan]))
def test_binary_precision_recall_f1_matches_scikit_learn(problem, zero_division):
    y, p, _ = problem
    y, p = y % 2, p % 2
    expected = quiet(skm.precision_recall_fscore_support, y, p, average="binary", zero_division=zero_division)[:3]
    assert_same(M.precision_recall_f1(y, p, zero_division=zero_division), tuple(expected))


@SETTINGS
@given(problems(), st.sampled_from(["continuous", "ties", "integers", "float32"]), st.booleans())
def test_ranking_metrics_match_scikit_learn(problem, scores, drop_intermediate):
    y, _, rng = problem
    y = y % 2
    s = {"continuous": lambda: rng.normal(0, 1, y.size) + y,
         "ties": lambda: np.round(rng.uniform(0, 1, y.size), 1),
         "integers": lambda: rng.integers(0, 4, y.size) + y,
         "float32": lambda: (rng.normal(0, 1, y.size) * 1e-3).astype(np.float32)}[scores]()
    assert_same(M.roc_curve(y, s, drop_intermediate=drop_intermediate),
                tuple(quiet(skm.roc_curve, y, s, drop_intermediate=drop_intermediate)))
    assert_same(M.roc_auc(y, s), quiet(skm.roc_auc_score, y, s))
    assert_same(M.precision_recall_curve(y, s), tuple(quiet(skm.precision_recall_curve, y, s)))
    assert_same(M.average_precision(y, s), quiet(skm.average_precision_score, y, s))


@SETTINGS
@given(problems(), st.booleans())
def test_class_score_metrics_match_scikit_learn(problem, ties):
    y, _, rng = problem
    k = int(rng.integers(3, 7))
    y = y % k
    z = rng.normal(0, 1, (y.size, k)) + 1.5 * np.eye(k)[y]
    z = np.round(z) if ties else z
    P = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        per_class = [skm.roc_auc_score(y == c, z[:, c]) if 0 < np.sum(y == c) < y.size else np.nan for c in range(k)]
        assert_same(M.roc_auc(y, z), np.mean(per_class))
        if np.unique(y).size == k:   # scikit-learn's own one-vs-rest needs every class and probabilities
            assert_same(M.roc_auc(y, P), skm.roc_auc_score(y, P, multi_class="ovr"))
        assert_same(M.average_precision(y, z), skm.average_precision_score(np.eye(k)[y], z, average="macro"))
        for j in range(1, k + 1):
            assert_same(M.top_k_accuracy(y, z, k=j), skm.top_k_accuracy_score(y, z, k=j, labels=np.arange(k)))
        assert_same(M.log_loss(y, P), skm.log_loss(y, P, labels=np.arange(k)))
        assert_same(M.accuracy(y, z), skm.accuracy_score(y, np.argmax(z, axis=1)))


@SETTINGS
@given(st.integers(1, 40), st.integers(0, 2 ** 32 - 1))
def test_binary_log_loss_and_float32_match_scikit_learn(n, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p = rng.uniform(0, 1, n)
    p[rng.random(n) < 0.2] = rng.integers(0, 2)            # exact 0s and 1s: the clip
    assert_same(M.log_loss(y, p), quiet(skm.log_loss, y, p, labels=[0, 1]))
    p32 = p.astype(np.float32)
    got = M.log_loss(y, p32)
    assert got.dtype == np.float32
    assert_same(got, quiet(skm.log_loss, y, p32, labels=[0, 1]), rtol=1e-6)
