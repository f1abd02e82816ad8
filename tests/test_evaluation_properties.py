"""dlmath.metrics without scikit-learn or TensorFlow: hand-derived values, the identities the notebook
derives (AUC = Mann–Whitney probability, micro average = accuracy, AP = mean precision at the
positives), curve invariants, validation, dtypes, no warnings on degenerate input — and the
chapter's typical mistakes as the learner's checks and the grader see them.

scikit-learn comparisons are in test_evaluation_sklearn.py, Keras's in test_evaluation_tensorflow.py.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_python
from dlmath import losses
from dlmath import metrics as M
from dlmath.checking.calling import run_case
from dlmath.checking.cases import load_chapter_file
from dlmath.checking.compare import judge
from grading import chapters, demo, editions
from grading.judge import judge_submission
from grading.references import evaluation as reference

CHAPTER = "10_evaluation"
SETTINGS = settings(max_examples=60, deadline=None)


# ---- hand-derived values ------------------------------------------------------------------------

def test_confusion_matrix_counts_each_pair_rows_true_columns_predicted():
    # pairs (true, predicted): (0,0) (0,1) (1,1) (1,1) (2,0) (2,2) → C[0] = [1, 1, 0], C[1] = [0, 2, 0], C[2] = [1, 0, 1]
    C = M.confusion_matrix([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 0, 2])
    assert C.dtype == np.int64
    np.testing.assert_array_equal(C, [[1, 1, 0], [0, 2, 0], [1, 0, 1]])
    assert M.confusion_matrix([0, 0], [0, 0]).shape == (1, 1)
    assert M.confusion_matrix([0, 1], [1, 1], num_classes=4).shape == (4, 4)


def test_binary_precision_recall_f1_from_counts():
    # y = 1 1 1 0 0, ŷ = 1 0 1 1 0: TP 2, FP 1, FN 1 → P = 2/3, R = 2/3, F1 = 2·2/(2·2 + 1 + 1) = 2/3
    P, R, F = M.precision_recall_f1([1, 1, 1, 0, 0], [1, 0, 1, 1, 0])
    assert (float(P), float(R), float(F)) == pytest.approx((2 / 3, 2 / 3, 2 / 3), rel=1e-15)
    # y = 1 1 0 0, ŷ = 1 0 1 1: TP 1, FP 2, FN 1 → P = 1/3, R = 1/2, F1 = 2/(2 + 2 + 1) = 0.4
    P, R, F = M.precision_recall_f1([1, 1, 0, 0], [1, 0, 1, 1])
    assert (float(P), float(R), float(F)) == pytest.approx((1 / 3, 1 / 2, 0.4), rel=1e-15)


def test_macro_micro_weighted_by_hand():
    # C = [[2, 1], [0, 1]]: class 0 P = 1, R = 2/3, F = 4/5; class 1 P = 1/2, R = 1, F = 2/3; supports 3, 1
    y, p = [0, 0, 0, 1], [0, 0, 1, 1]
    assert [float(v) for v in M.precision_recall_f1(y, p, "macro")] == pytest.approx([0.75, 5 / 6, (0.8 + 2 / 3) / 2])
    assert [float(v) for v in M.precision_recall_f1(y, p, "weighted")] == pytest.approx(
        [(3 * 1 + 0.5) / 4, (3 * 2 / 3 + 1) / 4, (3 * 0.8 + 2 / 3) / 4])
    assert [float(v) for v in M.precision_recall_f1(y, p, "micro")] == pytest.approx([0.75] * 3)


@pytest.mark.parametrize("zero_division", [0.0, 1.0, np.nan])
def test_zero_division_fills_only_the_undefined_ratios(zero_division):
    # pairs (true, predicted): (0, 0) (0, 1) (2, 0). Class 0: TP 1, predicted twice, 2 samples → P = R = F = 1/2;
    # class 1: predicted once, never true → P = 0/1, R = 0/0, F = 0/(0 + 1 + 0) = 0;
    # class 2: never predicted, one sample → P = 0/0, R = 0/1, F = 0/(0 + 0 + 1) = 0
    P, R, F = M.precision_recall_f1([0, 0, 2], [0, 1, 0], average=None, zero_division=zero_division)
    np.testing.assert_array_equal(P, [0.5, 0.0, zero_division])
    np.testing.assert_array_equal(R, [0.5, zero_division, 0.0])
    np.testing.assert_array_equal(F, [0.5, 0.0, 0.0])
    macro = M.precision_recall_f1([0, 0, 2], [0, 1, 0], average="macro", zero_division=zero_division)[0]
    expected = (0.5 + 0.0) / 2 if np.isnan(zero_division) else (0.5 + 0.0 + zero_division) / 3  # NaN: left out
    assert float(macro) == pytest.approx(expected, rel=1e-15)


def test_all_nan_average_is_nan_and_weighted_falls_back_to_the_plain_mean():
    P, R, F = M.precision_recall_f1([0, 0], [0, 0], average="binary", zero_division=np.nan)
    assert np.isnan(P) and np.isnan(R) and np.isnan(F)
    # weighted precision, zero_division=nan: class 0 (support 2) never predicted → NaN, left out; class 1
    # (support 0) has P = 0/2 = 0 → the weights left sum to 0 → scikit-learn's plain mean of [0] = 0
    assert float(M.precision_recall_f1([0, 0], [1, 1], "weighted", zero_division=np.nan)[0]) == 0.0


def test_roc_and_pr_curves_of_scikit_learns_documented_example():
    # y = 0 0 1 1, s = 0.1 0.4 0.35 0.8. Sorted: 0.8 (+), 0.4 (−), 0.35 (+), 0.1 (−):
    # (FP, TP) = (0,1) (1,1) (1,2) (2,2); all four are corners; with (0,0) at +inf, divided by 2 and 2
    fpr, tpr, thresholds = M.roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    np.testing.assert_array_equal(fpr, [0, 0, 0.5, 0.5, 1])
    np.testing.assert_array_equal(tpr, [0, 0.5, 0.5, 1, 1])
    np.testing.assert_array_equal(thresholds, [np.inf, 0.8, 0.4, 0.35, 0.1])
    assert float(M.roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])) == 0.75   # pairs: 3 of 4 ranked right
    # precision TP/(TP + FP) at 0.8, 0.4, 0.35, 0.1: 1, 1/2, 2/3, 1/2; reversed, then the end point (0, 1)
    precision, recall, thresholds = M.precision_recall_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    np.testing.assert_allclose(precision, [0.5, 2 / 3, 0.5, 1, 1], rtol=1e-15)
    np.testing.assert_array_equal(recall, [1, 1, 0.5, 0.5, 0])
    np.testing.assert_array_equal(thresholds, [0.1, 0.35, 0.4, 0.8])
    # AP: positives found at ranks 1 and 3 with precision 1 and 2/3 → (1 + 2/3)/2
    assert float(M.average_precision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])) == pytest.approx(5 / 6, rel=1e-15)


def test_tied_scores_make_one_diagonal_step():
    # s = 0.5 for one positive and one negative, 0.9 for a positive: (FP, TP) = (0, 1) then (1, 2)
    fpr, tpr, thresholds = M.roc_curve([1, 0, 1], [0.5, 0.5, 0.9])
    np.testing.assert_array_equal(fpr, [0, 0, 1])
    np.testing.assert_array_equal(tpr, [0, 0.5, 1])
    np.testing.assert_array_equal(thresholds, [np.inf, 0.9, 0.5])
    # AUC: the pair (0.9, 0.5) right, the pair (0.5, 0.5) tied → (1 + ½)/2
    assert float(M.roc_auc([1, 0, 1], [0.5, 0.5, 0.9])) == 0.75


def test_drop_intermediate_keeps_corners_only():
    # + + + − −: (FP, TP) = (0,1) (0,2) (0,3) (1,3) (2,3); the 2nd and 4th lie inside straight runs
    _, _, kept = M.roc_curve([1, 1, 1, 0, 0], [5.0, 4, 3, 2, 1])
    _, _, every = M.roc_curve([1, 1, 1, 0, 0], [5.0, 4, 3, 2, 1], drop_intermediate=False)
    np.testing.assert_array_equal(kept, [np.inf, 5, 3, 1])
    np.testing.assert_array_equal(every, [np.inf, 5, 4, 3, 2, 1])


def test_log_loss_by_hand_and_its_clip():
    # binary columns [1 − p, p]: −(log 0.8 + log 0.6)/2
    assert float(M.log_loss([1, 0], [0.8, 0.4])) == pytest.approx(-(np.log(0.8) + np.log(0.6)) / 2, rel=1e-15)
    # a true class given probability 0 costs −log(machine ε) of the dtype
    assert float(M.log_loss([1], [0.0])) == pytest.approx(-np.log(np.finfo(np.float64).eps), rel=1e-15)
    out = M.log_loss([1], np.array([0.0], np.float32))
    assert out.dtype == np.float32 and float(out) == pytest.approx(-np.log(np.finfo(np.float32).eps), rel=1e-6)


def test_top_k_ties_rank_the_larger_index_first():
    scores = np.array([[0.4, 0.4, 0.2]])
    assert float(M.top_k_accuracy([0], scores, k=1)) == 0.0   # class 1 ranks ahead of class 0
    assert float(M.top_k_accuracy([1], scores, k=1)) == 1.0
    assert float(M.accuracy([0], scores)) == 1.0                # argmax takes the first maximum
    assert float(M.top_k_accuracy([2], scores, k=2)) == 0.0 and float(M.top_k_accuracy([2], scores, k=3)) == 1.0


def test_accuracy_turns_scores_into_labels():
    assert float(M.accuracy([1, 0, 0], [0.7, 0.5, 0.2])) == 1.0        # 0.5 is not > 0.5: class 0
    assert float(M.accuracy([2, 0], [[0.1, 0.2, 0.7], [3.0, -1.0, 0.0]])) == 1.0


# ---- identities and invariants (hypothesis) --------------------------------------------------------

@st.composite
def labelled_scores(draw, ties=True):
    n = draw(st.integers(2, 40))
    y = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    values = st.integers(0, 5).map(float) if ties and draw(st.booleans()) else st.integers(-500, 500).map(lambda i: i / 100)
    s = np.array(draw(st.lists(values, min_size=n, max_size=n)))
    return y, s


@SETTINGS
@given(labelled_scores())
def test_auc_is_the_mann_whitney_probability(data):
    y, s = data
    pos, neg = s[y == 1], s[y == 0]
    auc = float(M.roc_auc(y, s))
    if pos.size == 0 or neg.size == 0:
        assert np.isnan(auc)
        return
    pairs = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])   # §3.3's derivation
    assert auc == pytest.approx(pairs.mean(), rel=1e-12, abs=1e-15)


@SETTINGS
@given(labelled_scores())
def test_auc_ignores_increasing_transformations_and_flips_with_the_scores(data):
    y, s = data
    if y.min() == y.max():
        return
    auc = float(M.roc_auc(y, s))
    assert float(M.roc_auc(y, np.exp(s / 3) + 7)) == pytest.approx(auc, rel=1e-12)
    assert float(M.roc_auc(y, -s)) == pytest.approx(1 - auc, rel=1e-12, abs=1e-12)


@SETTINGS
@given(labelled_scores(), st.booleans())
def test_roc_curve_invariants(data, drop):
    y, s = data
    fpr, tpr, thresholds = M.roc_curve(y, s, drop_intermediate=drop)
    assert fpr.shape == tpr.shape == thresholds.shape and fpr.dtype == tpr.dtype == thresholds.dtype == np.float64
    assert thresholds[0] == np.inf and np.all(np.diff(thresholds) < 0)
    assert set(thresholds[1:]) <= set(s)
    for rate in (fpr, tpr):
        if not np.isnan(rate).any():
            assert rate[0] == 0 and rate[-1] == 1 and np.all(np.diff(rate) >= 0)
    if not np.isnan(fpr).any() and not np.isnan(tpr).any():   # dropping collinear points keeps the area
        full_fpr, full_tpr, _ = M.roc_curve(y, s, drop_intermediate=False)
        assert np.trapezoid(tpr, fpr) == pytest.approx(np.trapezoid(full_tpr, full_fpr), rel=1e-12, abs=1e-15)


@SETTINGS
@given(labelled_scores())
def test_precision_recall_curve_invariants(data):
    y, s = data
    precision, recall, thresholds = M.precision_recall_curve(y, s)
    assert precision.size == recall.size == thresholds.size + 1 == np.unique(s).size + 1
    assert precision[-1] == 1 and recall[-1] == 0 and np.all(np.diff(recall) <= 0) and np.all(np.diff(thresholds) > 0)
    assert np.all((precision >= 0) & (precision <= 1))


@SETTINGS
@given(labelled_scores(ties=False))
def test_average_precision_is_the_mean_precision_at_the_positives(data):
    y, s = data
    if y.sum() == 0 or np.unique(s).size < s.size:
        return
    hits = y[np.argsort(-s)]
    at_positives = (np.cumsum(hits) / np.arange(1, hits.size + 1))[hits == 1]   # §4.2, no ties
    assert float(M.average_precision(y, s)) == pytest.approx(at_positives.mean(), rel=1e-12)


@SETTINGS
@given(st.integers(1, 60), st.integers(2, 7), st.integers(0, 2 ** 32 - 1))
def test_confusion_matrix_margins_accuracy_and_the_micro_average(n, k, seed):
    rng = np.random.default_rng(seed)
    y, p = rng.integers(0, k, n), rng.integers(0, k, n)
    C = M.confusion_matrix(y, p, num_classes=k)
    np.testing.assert_array_equal(C.sum(axis=1), np.bincount(y, minlength=k))
    np.testing.assert_array_equal(C.sum(axis=0), np.bincount(p, minlength=k))
    accuracy = float(M.accuracy(y, p))
    assert accuracy == pytest.approx(np.trace(C) / n, rel=1e-15)
    for value in M.precision_recall_f1(y, p, "micro", num_classes=k):   # §2.3: micro = accuracy
        assert float(value) == pytest.approx(accuracy, rel=1e-12)
    balanced = float(M.precision_recall_f1(y, p, "macro", num_classes=k, zero_division=np.nan)[1])
    present = np.unique(y)
    assert balanced == pytest.approx(np.mean([np.mean(p[y == c] == c) for c in present]), rel=1e-12)


@SETTINGS
@given(st.integers(1, 30), st.integers(3, 8), st.integers(0, 2 ** 32 - 1))
def test_top_k_grows_with_k_to_one(n, k, seed):
    rng = np.random.default_rng(seed)
    y, s = rng.integers(0, k, n), np.round(rng.normal(0, 1, (n, k)))
    values = [float(M.top_k_accuracy(y, s, k=j)) for j in range(1, k + 1)]
    assert values == sorted(values) and values[-1] == 1.0


@SETTINGS
@given(st.integers(1, 30), st.integers(2, 6), st.integers(0, 2 ** 32 - 1))
def test_log_loss_is_chapter_04s_categorical_cross_entropy_away_from_the_clips(n, k, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    P = rng.dirichlet(np.ones(k), n) * 0.98 + 0.02 / k   # every probability well inside (1e-7, 1 − 1e-7)
    expected = losses.categorical_cross_entropy(np.eye(k)[y], P)
    assert float(M.log_loss(y, P)) == pytest.approx(float(expected), rel=1e-12)


# ---- degenerate inputs: no warnings; dtypes; purity --------------------------------------------------

DEGENERATE = [
    ("roc_curve", ([0, 0, 0], [0.1, 0.2, 0.2]), {}),
    ("roc_curve", ([1, 1], [0.3, 0.3]), {}),
    ("roc_auc", ([0, 0], [0.5, 0.1]), {}),
    ("roc_auc", ([0, 1, 1], np.eye(3)[[0, 1, 1]]), {}),   # class 2 absent: NaN
    ("precision_recall_curve", ([0, 0, 0], [0.3, 0.1, 0.3]), {}),
    ("average_precision", ([0, 0], [0.3, 0.1]), {}),
    ("precision_recall_f1", ([0, 0, 0], [0, 0, 0]), {"zero_division": np.nan}),
    ("precision_recall_f1", ([0, 1, 2], [0, 0, 0]), {"average": "weighted", "num_classes": 5}),
    ("log_loss", ([0, 1], [[1.0, 0.0], [1.0, 0.0]]), {}),
    ("top_k_accuracy", ([0, 1], np.zeros((2, 3))), {"k": 1}),
]


@pytest.mark.parametrize("function, args, kwargs", DEGENERATE, ids=lambda v: v if isinstance(v, str) else None)
def test_degenerate_inputs_give_values_without_warnings(function, args, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        getattr(M, function)(*args, **kwargs)


def test_undefined_rates_are_nan_as_in_scikit_learn():
    fpr, tpr, _ = M.roc_curve([1, 1, 1], [0.2, 0.5, 0.9])
    assert np.isnan(fpr).all() and not np.isnan(tpr).any()
    assert np.isnan(M.roc_auc([1, 1, 1], [0.2, 0.5, 0.9]))
    np.testing.assert_array_equal(M.precision_recall_curve([0, 0], [0.2, 0.5])[1], [1, 1, 0])   # recall set to 1


def test_dtypes():
    s32 = np.array([0.3, 0.1, 0.8], np.float32)
    assert all(a.dtype == np.float64 for a in M.roc_curve([0, 1, 1], s32))
    assert all(a.dtype == np.float64 for a in M.precision_recall_curve([0, 1, 1], s32))
    assert np.asarray(M.roc_auc([0, 1, 1], s32)).dtype == np.float64
    assert np.asarray(M.accuracy([0, 1, 1], s32)).dtype == np.float64
    assert M.log_loss([0, 1], np.array([[0.9, 0.1], [0.2, 0.8]], np.float32)).dtype == np.float32
    assert M.log_loss([0, 1], np.array([0, 1])).dtype == np.float64
    assert M.confusion_matrix(np.array([0, 1], np.uint8), np.array([1, 1], np.int32)).dtype == np.int64
    assert M.confusion_matrix([True, False], [True, True]).tolist() == [[0, 1], [0, 1]]


def test_inputs_are_not_modified():
    y, s = np.array([0, 1, 1, 0]), np.array([0.4, 0.2, 0.9, 0.4])
    S = np.array([[0.2, 0.8], [0.5, 0.5], [0.9, 0.1], [0.3, 0.7]])
    y0, s0, S0 = y.copy(), s.copy(), S.copy()
    for call in (lambda: M.roc_curve(y, s), lambda: M.precision_recall_curve(y, s), lambda: M.roc_auc(y, S),
                 lambda: M.average_precision(y, S), lambda: M.log_loss(y, S), lambda: M.accuracy(y, S)):
        call()
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(s, s0)
    np.testing.assert_array_equal(S, S0)


# ---- validation ------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, error, message", [
    (lambda: M.confusion_matrix([0.0, 1.0], [0, 1]), TypeError, "probabilities and scores are not labels"),
    (lambda: M.confusion_matrix([0, 1, 1], [0, 1]), ValueError, "one label per sample"),
    (lambda: M.confusion_matrix([0, -1], [0, 1]), ValueError, "class indices"),
    (lambda: M.confusion_matrix([0, 3], [0, 1], num_classes=3), ValueError, "num_classes=3"),
    (lambda: M.confusion_matrix([], []), ValueError, "no samples"),
    (lambda: M.accuracy([0, 1], [0.2, 1.5]), ValueError, r"\[0, 1\]"),
    (lambda: M.accuracy([0, 2], [0.2, 0.5]), ValueError, "binary labels"),
    (lambda: M.precision_recall_f1([0, 1], [0, 1], average="samples"), ValueError, "average must be"),
    (lambda: M.precision_recall_f1([0, 1], [0, 1], zero_division="warn"), TypeError, "zero_division"),
    (lambda: M.precision_recall_f1([0, 1], [0, 1], zero_division=0.5), ValueError, "zero_division"),
    (lambda: M.precision_recall_f1([0, 2], [0, 1]), ValueError, "average='binary'"),
    (lambda: M.roc_curve([0, 2], [0.1, 0.2]), ValueError, "binary labels"),
    (lambda: M.roc_curve([0, 1], [0.1, np.nan]), ValueError, "finite"),
    (lambda: M.roc_curve([0, 1], [[0.1, 0.2], [0.3, 0.4]]), ValueError, r"shape \(N,\)"),
    (lambda: M.roc_auc([0, 3], np.ones((2, 3)) / 3), ValueError, "columns"),
    (lambda: M.log_loss([0, 1], [[0.5, 0.6], [0.5, 0.5]]), ValueError, "sum to 1"),
    (lambda: M.log_loss([0, 1], [[2.0, -1.0], [0.5, 0.5]]), ValueError, r"\[0, 1\]"),
    (lambda: M.top_k_accuracy([0, 1], np.ones((2, 3)), k=0), ValueError, "positive integer"),
    (lambda: M.top_k_accuracy([0, 1], np.ones(2)), ValueError, r"shape \(N, K\)"),
])
def test_bad_input_raises_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ---- the chapter's mistakes as the learner and the grader see them -----------------------------------

PUBLIC = load_chapter_file(chapters.get(CHAPTER).public_cases)
MISTAKES = [(function, index) for function, bodies in reference.MISTAKES.items() for index in range(len(bodies))]


@pytest.mark.parametrize("function, index", MISTAKES, ids=[f"{f}-{i}" for f, i in MISTAKES])
def test_public_checks_fail_each_mistake_and_name_it(function, index):
    # the learner's check machinery (run_case + judge, as dlmath.check uses them) on the wrong body
    hint, body = reference.MISTAKES[function][index]
    wrong = reference.wrong_function(function, body)
    results = [judge(case, run_case(wrong, case), PUBLIC[function].hints) for case in PUBLIC[function].cases]
    assert not all(r.passed for r in results), "no public check fails this mistake"
    assert any(r.hint == hint for r in results if not r.passed), "no failing public check names it"


def learner_10(tmp, bodies: dict[str, str] | None = None):
    """A 10_evaluation learner folder: every solution in place except ``bodies`` (function → wrong body)."""
    editions.write_student_package(CHAPTER, tmp)
    (tmp / "dlmath" / "metrics.py").write_text(demo.solved_module("metrics", bodies, CHAPTER), encoding="utf-8")
    return tmp


@pytest.mark.parametrize("student", sorted(reference.CLASS))
def test_check_names_each_class_mistake(tmp_path, student):
    ((function, body),) = reference.CLASS[student].items()
    hint = next(h for h, b in reference.MISTAKES[function] if b == body)
    done = run_python(["-m", "dlmath", "check", function], learner_10(tmp_path, {function: body}))
    assert done.returncode == 1, done.stdout
    assert f"✗ dlmath.metrics.{function}" in done.stdout
    assert hint[:70] in " ".join(done.stdout.split()), done.stdout


def test_check_passes_the_solved_chapter(tmp_path):
    done = run_python(["-m", "dlmath", "check", CHAPTER], learner_10(tmp_path))
    assert done.returncode == 0, done.stdout
    assert "9/9 functions pass all their checks" in done.stdout


def test_stubs_report_not_implemented_with_their_section(tmp_path):
    editions.write_student_package(CHAPTER, tmp_path)
    done = run_python(["-m", "dlmath", "check", "roc_auc", "top_k_accuracy"], tmp_path)
    assert "· dlmath.metrics.roc_auc: not implemented yet — see 10_evaluation §3.3" in done.stdout
    assert "· dlmath.metrics.top_k_accuracy: not implemented yet — see 10_evaluation §5.2" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.parametrize("student", sorted(reference.CLASS))
def test_each_class_mistake_costs_only_its_own_function(tmp_path, student):
    scores = {name: v.score for name, v in judge_submission(CHAPTER, learner_10(tmp_path, reference.CLASS[student])).items()}
    full = {g.name: g.points for g in chapters.get(CHAPTER).graded}
    lost = {name for name in full if scores[name] < full[name]}
    assert lost == reference.EXPECTED_LOSSES[student], scores


def test_hidden_cases_cover_every_kind_the_notebook_promises():
    hidden = load_chapter_file(chapters.get(CHAPTER).hidden_fixture)
    names = " | ".join(case.name for spec in hidden.values() for case in spec.cases)
    for kind in ["tied", "one class only", "no positive", "10 classes", "zero_division=np.nan", "float32", "integer scores"]:
        assert kind in names, kind
