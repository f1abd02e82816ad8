"""Chapter 10_evaluation: inputs, scikit-learn references and typical mistakes.

Expected values come from ``sklearn.metrics`` (FACTS.md: the exact reference for metrics;
TensorFlow's ``keras.metrics`` approximate, and appear only in the notebook's framework
view), with the conventions ``dlmath.metrics`` documents made explicit:

* classes are ``0 .. K-1``: every label-based call passes ``labels=np.arange(K)``;
* ``accuracy`` of scores is ``accuracy_score`` of the labels they give (``p > 0.5``, or the
  argmax over the classes);
* ``roc_auc`` and ``average_precision`` of (N, K) scores are the macro means of the
  one-vs-rest binary scores (``roc_auc_score`` per class; ``average_precision_score`` of the
  one-hot indicator matrix) — equal to ``roc_auc_score(multi_class="ovr")`` where that
  applies (tests/test_evaluation_sklearn.py checks it);
* curves are float64 (``precision_recall_curve``'s thresholds are cast; their values are
  the scores themselves), ``log_loss`` has the probabilities' dtype.

scikit-learn's warnings (UndefinedMetricWarning on 0/0, "single label" in a confusion matrix)
are silenced here: the warning is not part of the value, and dlmath's functions return the
same values without one.

Mistake outputs: each typical mistake is a wrong *body* for one function (most are the
solution with one edit, so they stay in sync with it). Its output on a case is that body run
on the case's inputs inside a copy of ``dlmath.metrics`` — the same bodies the simulated
class (``CLASS``) hands in, so the demo's feedback names them.
"""
from __future__ import annotations

import functools
import textwrap
import warnings

import numpy as np

from grading import chapters, editions
from grading.references import _mistakes as mistakes

EXACT = {"rtol": 1e-12, "atol": 1e-13}   # scikit-learn's own arithmetic, reproduced: equal to the last bit or two
F32 = {"rtol": 1e-5, "atol": 1e-6}       # log_loss of float32 probabilities (float32 sums and logs)

MODULE = "metrics"

# ---- hints ---------------------------------------------------------------------------------------

ZERO_DIVISION = ("0/0: a class that is never predicted has no precision, one that never occurs has no recall. "
                 "Return `zero_division` there without dividing by 0 (e.g. np.where on the denominator).")
RATE_UNDEFINED = ("0/0: with no negatives the false-positive rate is undefined (and with no positives the true-"
                  "positive rate): return np.full(shape, np.nan) for it without dividing, as scikit-learn does.")
RECALL_UNDEFINED = ("0/0: with no positives recall is undefined; scikit-learn sets it to 1 at every threshold "
                    "(np.ones_like), without dividing.")
CURVE_SHAPE = ("One point per *distinct* score: samples with equal scores can't be separated by a threshold, so "
               "they enter the counts together.")
SCORES_TO_LABELS = ("Turn scores into labels before comparing: p > 0.5 for one probability of class 1 per "
                    "sample, np.argmax(y_pred, axis=1) for (N, K) scores.")

HINTS = {
    "confusion_matrix": {
        "dtype": "Return the counts as integers (int64, e.g. from np.bincount), not floats or fractions.",
        "shape": "The matrix is K × K with K = num_classes when it is given (a class may never occur in this "
                 "batch: its row and column are 0), else 1 + the largest label in y_true or y_pred.",
        "raised": "Index the flat (K·K,) count array with K·y_true + y_pred, then reshape to (K, K).",
        "elementwise": False,
    },
    "accuracy": {
        "shape": SCORES_TO_LABELS + " Return one number.",
        "raised": SCORES_TO_LABELS,
        "dtype": "Return a float64 number: np.mean of a boolean array.",
        "elementwise": False,
    },
    "precision_recall_f1": {
        "uses": ["confusion_matrix"],
        "returns": ["precision", "recall", "f1"],
        "structure": "Return the tuple (precision, recall, f1).",
        "shape": "Return three numbers for an average, three arrays of K values for average=None.",
        "warning": ZERO_DIVISION,
        "nonfinite": ZERO_DIVISION,
        "elementwise": False,
    },
    "roc_curve": {
        "returns": ["fpr", "tpr", "thresholds"],
        "structure": "Return the tuple (fpr, tpr, thresholds).",
        "shape": CURVE_SHAPE + " Start with the point (0, 0) at threshold +inf; with drop_intermediate, "
                               "collinear points are removed.",
        "warning": RATE_UNDEFINED,
        "nonfinite": RATE_UNDEFINED,
        "elementwise": False,
    },
    "roc_auc": {
        "uses": ["roc_curve"],
        "warning": "One class only (or a class absent from y_true): the area is undefined. Return NaN without "
                   "dividing by 0 or averaging an empty array.",
        "raised": "For (N, K) scores compute one one-vs-rest area per class: (y_true == k, y_score[:, k]).",
        "elementwise": False,
    },
    "precision_recall_curve": {
        "returns": ["precision", "recall", "thresholds"],
        "structure": "Return the tuple (precision, recall, thresholds).",
        "shape": CURVE_SHAPE + " Thresholds increase; precision and recall have one more entry, the end point "
                               "(recall 0, precision 1).",
        "warning": RECALL_UNDEFINED,
        "nonfinite": RECALL_UNDEFINED,
        "elementwise": False,
    },
    "average_precision": {
        "uses": ["precision_recall_curve"],
        "raised": "For (N, K) scores compute one one-vs-rest AP per class: (y_true == k, y_score[:, k]).",
        "elementwise": False,
    },
    "log_loss": {
        "dtype": "Keep the probabilities' dtype: float32 in, float32 out (np.finfo(y_prob.dtype).eps is a float32 "
                 "number for float32 input; float(...) or np.float64(...) upcasts).",
        "warning": "log(0): clip the probabilities to [eps, 1 − eps] first, eps = np.finfo(y_prob.dtype).eps.",
        "nonfinite": "log(0): clip the probabilities to [eps, 1 − eps] first, eps = np.finfo(y_prob.dtype).eps.",
        "shape": "Return one number: the mean over the samples of −log p(true class).",
        "elementwise": False,
    },
    "top_k_accuracy": {
        "shape": "Return one number: the fraction of samples whose true class ranks among the first k.",
        "elementwise": False,
    },
}


# ---- the mistakes: wrong bodies, mostly the solution with one edit ---------------------------------

def solution(function: str) -> str:
    """The instructor's body of ``dlmath.metrics.<function>``, dedented."""
    source = (chapters.PACKAGE_DIR / f"{MODULE}.py").read_text(encoding="utf-8")
    fence = next(f for f in editions.fences(source) if f.function == function)
    return textwrap.dedent("\n".join(source.splitlines()[fence.begin + 1:fence.end])) + "\n"


def variant(function: str, *edits: tuple[str, str]) -> str:
    """The solution with each (old, new) edit applied; an edit that no longer applies fails loudly."""
    body = solution(function)
    for old, new in edits:
        if old not in body:
            raise ValueError(f"the solution of {function} no longer contains {old!r}: update this mistake")
        body = body.replace(old, new)
    return body


def prepend(function: str, line: str) -> str:
    return line + "\n" + solution(function)


_PRF_SCORES = "scores = (divide(tp, predicted), divide(tp, support), divide(2 * tp, support + predicted))"
_ROC_LAST = "last = np.r_[np.flatnonzero(np.diff(scores)), scores.size - 1]   # the last sample of each distinct score"
_PR_LAST = "last = np.r_[np.flatnonzero(np.diff(scores)), scores.size - 1]\n"
_AP_SUM = "values.append(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))"
_ONE_VS_REST = """if y_score.ndim == 1:
    problems = [(y_true, y_score)]
else:
    problems = [((y_true == k).astype(np.int64), y_score[:, k]) for k in range(y_score.shape[1])]
"""


def _mann_whitney(comparison: str) -> str:
    return _ONE_VS_REST + f"""areas = []
for truth, scores in problems:
    positives, negatives = scores[truth == 1], scores[truth == 0]
    areas.append(np.mean(positives[:, None] {comparison} negatives[None, :]))
return np.mean(areas)
"""


TIES = ("Tied scores count ½: AUC = P(s₊ > s₋) + ½·P(s₊ = s₋), the trapezoid under the ROC curve. Counting a tied "
        "pair as 0 (`>`, or rectangles under the curve's left corners) underestimates it; as 1 (`>=`) overestimates.")
ROC_ORDER = ("Wrong order: the curve starts at (0, 0) with the threshold +inf (nothing predicted positive), and the "
             "thresholds *decrease* from there, so FPR and TPR increase to (1, 1).")
ROC_TIES = ("Equal scores were split into separate points. No threshold can separate samples with the same score: "
            "they enter the counts together, one point per *distinct* score (np.diff of the sorted scores is "
            "nonzero where a new score begins). Split ties make the curve depend on the order of the samples.")
PR_TIES = ROC_TIES.replace("the curve depend", "the curve (and AP) depend")
CONFUSION_TRANSPOSED = ("Rows are the true classes and columns the predictions: C[i, j] counts samples of class i "
                        "predicted as j (scikit-learn's convention; for two classes [[TN, FP], [FN, TP]]).")
PRECISION_RECALL_SWAPPED = ("Precision and recall are swapped: precision = TP/(TP + FP) divides by the number of "
                            "*predicted* members of the class (a column sum of the confusion matrix), recall = "
                            "TP/(TP + FN) by its number of *true* members (a row sum).")
MACRO_MICRO = ("Macro and micro are swapped: macro is the plain mean of the K per-class values (every class counts "
               "the same); micro pools TP, FP and FN over the classes first (every sample counts the same — for "
               "single-label data micro P = R = F1 = accuracy).")
AP_TRAPEZOID = ("That is the trapezoid under the PR points — the seed article's auc(recall, precision). A straight line "
                "between two PR points is not achievable (between thresholds precision follows a hyperbola), and it "
                "credits precision no threshold reaches on tied or coarse scores. AP is the step sum "
                "Σ (R_n − R_{n+1})·P_n: each precision weighted by the recall gained at its threshold.")
KERAS_EPSILON = ("scikit-learn clips with the machine epsilon of the probabilities' dtype, np.finfo(y_prob.dtype).eps "
                 "(2.2e-16 in float64), not Keras's 1e-7: a true class given probability 0 costs −log(2.2e-16) ≈ "
                 "36.04, not 16.12.")
TOP_K_LOW_FIRST = ("Among equal scores scikit-learn ranks the class with the *larger* index first (its sort is "
                   "np.argsort(y_score, kind='stable')[:, ::-1]); a stable sort of −y_score puts the smaller index "
                   "first. Rank of the true class c: #{j: s_j > s_c} + #{j > c: s_j = s_c}.")

# function → [(hint, wrong body)]
MISTAKES = {
    "confusion_matrix": [
        (CONFUSION_TRANSPOSED, variant("confusion_matrix", ("num_classes * y_true + y_pred", "num_classes * y_pred + y_true"))),
        ("Use num_classes when it is given: a class that never occurs in this batch still has its (zero) row and "
         "column.", "k = int(max(y_true.max(), y_pred.max())) + 1\n"
                    "return np.bincount(k * y_true + y_pred, minlength=k * k).reshape(k, k)"),
        ("Return counts, not fractions: the confusion matrix holds integers summing to N (normalise it yourself "
         "when you plot it).", variant("confusion_matrix", (".reshape(num_classes, num_classes)",
                                                            ".reshape(num_classes, num_classes) / y_true.size"))),
    ],
    "accuracy": [
        ("You compared the labels with probabilities (or scores) — a probability is almost never exactly 0 or 1. "
         + SCORES_TO_LABELS, "return np.mean(y_true == y_pred)"),
        ("A probability of exactly 0.5 predicts class 0: use a strict p > 0.5, as Keras's BinaryAccuracy (and the "
         "seed's `predictions > 0.5`).", variant("accuracy", ("(y_pred > 0.5)", "(y_pred >= 0.5)"))),
        ("np.argmax over the classes: axis=1 (each row is one sample's scores), not axis=0.",
         variant("accuracy", ("np.argmax(y_pred, axis=1)", "np.argmax(y_pred, axis=0)"))),
        ("That is the error rate 1 − accuracy: count the samples whose prediction *equals* the truth.",
         variant("accuracy", ("return np.mean(y_true == y_pred)", "return np.mean(y_true != y_pred)"))),
    ],
    "precision_recall_f1": [
        (PRECISION_RECALL_SWAPPED, variant("precision_recall_f1", (
            _PRF_SCORES, "scores = (divide(tp, support), divide(tp, predicted), divide(2 * tp, support + predicted))"))),
        (MACRO_MICRO, prepend("precision_recall_f1", 'average = {"macro": "micro", "micro": "macro"}.get(average, average)')),
        ("Weighted: weight each class's value by its support (TP + FN, the number of samples that truly belong to "
         "it), not every class equally (that is macro).", prepend("precision_recall_f1",
                                                                  'average = "macro" if average == "weighted" else average')),
        ("Weight by the support TP + FN (the true members of each class), not by the number of predictions TP + FP.",
         variant("precision_recall_f1", ("weights=support[kept]", "weights=predicted[kept]"),
                 ("support[kept].sum() == 0", "predicted[kept].sum() == 0"))),
        ("The macro (or weighted) F1 is the mean of the per-class F1 values, not the harmonic mean of the averaged "
         "precision and recall.", variant("precision_recall_f1", (
             "return tuple(mean(s) for s in scores)",
             "p, r = mean(scores[0]), mean(scores[1])\nreturn p, r, 2 * p * r / (p + r)"))),
        ("F1 is the *harmonic* mean 2PR/(P + R) = 2TP/(2TP + FP + FN), not the arithmetic mean (P + R)/2.",
         variant("precision_recall_f1", ("divide(2 * tp, support + predicted))",
                                         "(divide(tp, predicted) + divide(tp, support)) / 2)"))),
        (ZERO_DIVISION, variant("precision_recall_f1", (
            "safe = np.where(denominator == 0, 1.0, denominator)\n    return np.where(denominator == 0, "
            "zero_division, numerator / safe)", "return numerator / denominator"))),
        ("Use the zero_division argument for 0/0 (0.0, 1.0 or np.nan), not a fixed 0.",
         variant("precision_recall_f1", ("zero_division, numerator / safe", "0.0, numerator / safe"))),
        ("F1 = 2TP/(2TP + FP + FN) is 0/0 only for a class that neither occurs nor is predicted. A class that occurs "
         "(or is predicted) but is never hit has F1 = 0, even where its precision (or recall) is zero_division.",
         variant("precision_recall_f1", (_PRF_SCORES,
                                         "p, r = divide(tp, predicted), divide(tp, support)\n"
                                         "scores = (p, r, divide(2 * p * r, p + r))"))),
        ("average='binary' reports the positive class, label 1 — not class 0.",
         variant("precision_recall_f1", ("tp[1:], predicted[1:], support[1:]", "tp[:1], predicted[:1], support[:1]"))),
        ("With zero_division=np.nan the undefined classes are left out of the average (np.nanmean), as scikit-learn "
         "does — not averaged into a NaN.", variant("precision_recall_f1", (
             "    kept = ~np.isnan(values)\n", "    kept = np.ones(values.shape, bool)\n"),
             ("return np.nanmean(values)", "return np.mean(values)"))),
    ],
    "roc_curve": [
        (ROC_ORDER, variant("roc_curve", ("return fpr, tpr, thresholds", "return fpr[::-1], tpr[::-1], thresholds[::-1]"))),
        (ROC_TIES, variant("roc_curve", (_ROC_LAST, "last = np.arange(scores.size)"))),
        ("The curve starts at (0, 0): prepend FP = TP = 0 with the threshold +inf, where nothing is predicted "
         "positive.", variant("roc_curve", ("tps, fps = np.r_[0, tps], np.r_[0, fps]\n", ""),
                              ("thresholds = np.r_[np.inf, thresholds]\n", ""))),
        ("The first threshold is +inf (scikit-learn ≥ 1.3), not max(score) + 1 (its convention before 1.3).",
         variant("roc_curve", ("np.r_[np.inf, thresholds]", "np.r_[thresholds[0] + 1, thresholds]"))),
        ("drop_intermediate=True (the default) removes the points that lie on a straight line between their "
         "neighbours: keep a threshold only where the second difference of FP or of TP is nonzero (and the first "
         "and last).", variant("roc_curve", ("if drop_intermediate and tps.size > 2:", "if False:"))),
        ("With drop_intermediate=False every distinct threshold stays, collinear or not.",
         variant("roc_curve", ("if drop_intermediate and tps.size > 2:", "if tps.size > 2:"))),
        ("Sort the scores in *decreasing* order: the thresholds run from the largest score down.",
         variant("roc_curve", ("np.argsort(-y_score, kind=\"stable\")", "np.argsort(y_score, kind=\"stable\")"))),
        ("FPR and TPR are swapped: the x-axis is the false-positive rate FP/N₋, the y-axis the true-positive rate "
         "TP/P.", variant("roc_curve", ("return fpr, tpr, thresholds", "return tpr, fpr, thresholds"))),
        ("Divide FP by the number of negatives and TP by the number of positives (the last entries of the counts), "
         "not by the number of samples.", variant("roc_curve", ("fps / fps[-1]", "fps / y_true.size"),
                                                   ("tps / tps[-1]", "tps / y_true.size"))),
        ("With no negatives (or no positives) the rate is 0/0: return NaN everywhere for it, as scikit-learn does, "
         "not zeros.", variant("roc_curve", ("np.full(fps.shape, np.nan)", "np.zeros(fps.shape)"),
                               ("np.full(tps.shape, np.nan)", "np.zeros(tps.shape)"))),
    ],
    "roc_auc": [
        (TIES, _mann_whitney(">")),
        (TIES, _mann_whitney(">=")),
        ("np.trapezoid(y, x) takes the heights first: the area under TPR as a function of FPR is "
         "np.trapezoid(tpr, fpr). Swapped, it is the area to the left of the curve, 1 − AUC.",
         variant("roc_auc", ("np.trapezoid(tpr, fpr)", "np.trapezoid(fpr, tpr)"))),
        ("You thresholded the scores before ranking them — the seed article's roc_auc_score(y_test, predictions) on "
         "0/1 predictions. That is the area under a single operating point; AUC ranks the raw scores.",
         variant("roc_auc", ("roc_curve(truth, scores)", "roc_curve(truth, (scores > 0.5).astype(float))"))),
        ("For K classes average the K one-vs-rest areas (macro), each class counting the same; pooling every "
         "(sample, class) pair into one curve is the micro average.",
         "if y_score.ndim == 2:\n"
         "    y_true, y_score = (np.arange(y_score.shape[1]) == y_true[:, None]).ravel().astype(np.int64), y_score.ravel()\n"
         "fpr, tpr, _ = roc_curve(y_true, y_score)\n"
         "return np.trapezoid(tpr, fpr)"),
    ],
    "precision_recall_curve": [
        ("End with the point recall 0, precision 1 (it has no threshold): precision and recall have one entry more "
         "than thresholds.", variant("precision_recall_curve", ("np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0]",
                                                                  "precision[::-1], recall[::-1]"))),
        ("scikit-learn returns the points from the smallest threshold to the largest: thresholds increase, recall "
         "decreases, and the end point (recall 0, precision 1) comes last.",
         variant("precision_recall_curve", ("np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0], scores[last][::-1]",
                                            "np.r_[1.0, precision], np.r_[0.0, recall], scores[last]"))),
        (PR_TIES, variant("precision_recall_curve", (_PR_LAST, "last = np.arange(scores.size)\n"))),
        (RECALL_UNDEFINED, variant("precision_recall_curve", ("tps / tps[-1] if tps[-1] > 0 else np.ones_like(tps)",
                                                             "tps / tps[-1]"))),
        ("Precision and recall are swapped: precision = TP/(TP + FP) (of the samples above the threshold, the "
         "fraction positive), recall = TP/P (of the positives, the fraction found).",
         variant("precision_recall_curve", ("return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0]",
                                            "return np.r_[recall[::-1], 1.0], np.r_[precision[::-1], 0.0]"))),
        ("Recall divides by the number of positives (the last true-positive count), not by the number of samples.",
         variant("precision_recall_curve", ("tps / tps[-1] if", "tps / y_true.size if"))),
    ],
    "average_precision": [
        (AP_TRAPEZOID, variant("average_precision", (_AP_SUM, "values.append(-np.trapezoid(precision, recall))"))),
        ("Weight each recall step by the precision *at that threshold*: np.diff(recall) against precision[:-1], "
         "not precision[1:].", variant("average_precision", ("precision[:-1]", "precision[1:]"))),
        ("Recall *decreases* along scikit-learn's arrays, so np.diff(recall) ≤ 0: the sum needs a minus sign.",
         variant("average_precision", (_AP_SUM, "values.append(np.sum(np.diff(recall) * precision[:-1]))"))),
        ("AP weights each precision by the recall gained at its threshold; a plain mean of the curve's precisions "
         "weights every threshold equally (and counts the end point's 1).",
         variant("average_precision", (_AP_SUM, "values.append(np.mean(precision))"))),
        ("For K classes average the K one-vs-rest APs (macro); pooling every (sample, class) pair into one curve "
         "is the micro average.",
         "if y_score.ndim == 2:\n"
         "    y_true, y_score = (np.arange(y_score.shape[1]) == y_true[:, None]).ravel().astype(np.int64), y_score.ravel()\n"
         "precision, recall, _ = precision_recall_curve(y_true, y_score)\n"
         "return max(0.0, -np.sum(np.diff(recall) * precision[:-1]))"),
    ],
    "log_loss": [
        (KERAS_EPSILON, variant("log_loss", ("eps = np.finfo(y_prob.dtype).eps", "eps = 1e-7"))),
        ("log(0) = −inf: clip the probabilities to [eps, 1 − eps] first, eps = np.finfo(y_prob.dtype).eps.",
         variant("log_loss", ("p = np.clip(y_prob, eps, 1 - eps)", "p = y_prob"))),
        ("You summed over the samples; the log loss is their mean.",
         variant("log_loss", ("-np.mean(np.log(", "-np.sum(np.log("))),
        ("For one probability p of class 1 per sample, a sample of class 0 costs −log(1 − p): build the two "
         "columns [1 − p, p] first.", variant("log_loss", ("y_prob = np.stack([1 - y_prob, y_prob], axis=1)",
                                                           "y_prob = np.stack([y_prob, y_prob], axis=1)"))),
        ("Take the probability of each sample's *true* class y_n, not of its predicted (most probable) class.",
         variant("log_loss", ("p[np.arange(y_true.size), y_true]", "p[np.arange(y_true.size), np.argmax(p, axis=1)]"))),
        ("The log loss uses the natural logarithm (np.log), not log2 or log10.",
         variant("log_loss", ("-np.mean(np.log(", "-np.mean(np.log2("))),
    ],
    "top_k_accuracy": [
        (TOP_K_LOW_FIRST, "top = np.argsort(-y_score, axis=1, kind='stable')[:, :k]\n"
                          "return np.mean(np.any(top == y_true[:, None], axis=1))"),
        ("You counted every class tied with the true one as inside the top k (TensorFlow's in_top_k does); "
         "scikit-learn breaks ties by class index, the larger first: rank = #{s_j > s_c} + #{j > c: s_j = s_c}.",
         variant("top_k_accuracy", (" + np.sum((y_score == true_score) & later, axis=1)", ""))),
        ("The top k are the k *largest* scores.", "top = np.argsort(y_score, axis=1, kind='stable')[:, :k]\n"
                                                   "return np.mean(np.any(top == y_true[:, None], axis=1))"),
        ("Off by one: the true class is in the top k when *fewer than k* classes rank ahead of it (rank < k).",
         variant("top_k_accuracy", ("return np.mean(rank < k)", "return np.mean(rank <= k)"))),
    ],
}

# the simulated class: student id → {graded function: wrong body}; each must cost that function only
CLASS = {
    "cm_transposed": {"confusion_matrix": MISTAKES["confusion_matrix"][0][1]},
    "accuracy_on_probabilities": {"accuracy": MISTAKES["accuracy"][0][1]},
    "precision_recall_swapped": {"precision_recall_f1": MISTAKES["precision_recall_f1"][0][1]},
    "macro_micro_confused": {"precision_recall_f1": MISTAKES["precision_recall_f1"][1][1]},
    "roc_thresholds_ascending": {"roc_curve": MISTAKES["roc_curve"][0][1]},
    "roc_ties_split": {"roc_curve": MISTAKES["roc_curve"][1][1]},
    "auc_ties_ignored": {"roc_auc": MISTAKES["roc_auc"][0][1]},
    "pr_no_end_point": {"precision_recall_curve": MISTAKES["precision_recall_curve"][0][1]},
    "ap_trapezoid": {"average_precision": MISTAKES["average_precision"][0][1]},
    "log_loss_keras_epsilon": {"log_loss": MISTAKES["log_loss"][0][1]},
    "top_k_ties_low_index": {"top_k_accuracy": MISTAKES["top_k_accuracy"][0][1]},
}
EXPECTED_LOSSES = {student: set(bodies) for student, bodies in CLASS.items()}


wrong_function = functools.partial(mistakes.wrong_function, "metrics")


def _copy(value):
    return value.copy() if isinstance(value, np.ndarray) else value


def run_mistake(function: str, body: str, args, kwargs):
    """The output of one wrong body on a case's inputs, or None if it raises."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            out = wrong_function(function, body)(*[_copy(a) for a in args], **{k: _copy(v) for k, v in kwargs.items()})
    except Exception:  # noqa: BLE001 — a mistake that crashes on this input has no output to recognise
        return None
    return out


def _as_expected_structure(out, expected):
    """The mistake's output shaped like the expected result (arrays, tuples), or None if it can't be."""
    if isinstance(expected, tuple):
        if not isinstance(out, (tuple, list)) or len(out) != len(expected):
            return None
        parts = [_as_expected_structure(o, e) for o, e in zip(out, expected)]
        return None if any(p is None for p in parts) else tuple(parts)
    try:
        array = np.asarray(out, dtype=float)
    except (TypeError, ValueError):
        return None
    return array


def _same(a, b) -> bool:
    if isinstance(b, tuple):
        return all(_same(x, y) for x, y in zip(a, b))
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-6, atol=1e-9, equal_nan=True)


def mistakes_for(function: str, args, kwargs, expected) -> list[dict]:
    """The typical mistakes whose output on this case differs from the expected one: {hint, output}."""
    found, seen = [], []
    for hint, body in MISTAKES[function]:
        out = run_mistake(function, body, args, kwargs)
        if out is None:
            continue
        out = _as_expected_structure(out, expected)
        if out is None or _same(out, expected if isinstance(expected, tuple) else np.asarray(expected, dtype=float)):
            continue
        if any(_same(out, earlier) for earlier in seen):  # two mistakes, one output: the first hint names it
            continue
        seen.append(out)
        found.append({"hint": hint, "output": out})
    return found


# ---- scikit-learn references -------------------------------------------------------------------------

def _classes(num_classes, *labels) -> int:
    return num_classes if num_classes is not None else int(max(np.max(y) for y in labels)) + 1


def _one_hot(y, k):
    return (np.arange(k) == np.asarray(y)[:, None]).astype(np.int64)


def sklearn_reference(function: str, args, kwargs):
    """What scikit-learn computes for ``dlmath.metrics.<function>(*args, **kwargs)`` (conventions above)."""
    from sklearn import metrics as M

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if function == "confusion_matrix":
            y_true, y_pred = args
            k = _classes(kwargs.get("num_classes"), y_true, y_pred)
            return M.confusion_matrix(y_true, y_pred, labels=np.arange(k)).astype(np.int64)
        if function == "accuracy":
            y_true, y_pred = args
            if y_pred.dtype.kind == "f":
                y_pred = np.argmax(y_pred, axis=1) if y_pred.ndim == 2 else (y_pred > 0.5).astype(np.int64)
            return np.asarray(M.accuracy_score(y_true, y_pred))
        if function == "precision_recall_f1":
            y_true, y_pred = args
            average = kwargs.get("average", "binary")
            zero_division = kwargs.get("zero_division", 0.0)
            if average == "binary":
                found = M.precision_recall_fscore_support(y_true, y_pred, average="binary", pos_label=1,
                                                          zero_division=zero_division)
            else:
                k = _classes(kwargs.get("num_classes"), y_true, y_pred)
                found = M.precision_recall_fscore_support(y_true, y_pred, average=average, labels=np.arange(k),
                                                          zero_division=zero_division)
            return tuple(np.asarray(v, dtype=np.float64) for v in found[:3])
        if function == "roc_curve":
            y_true, y_score = args
            return tuple(np.asarray(v, dtype=np.float64) for v in M.roc_curve(
                y_true, y_score, drop_intermediate=kwargs.get("drop_intermediate", True)))
        if function == "roc_auc":
            y_true, y_score = args
            if y_score.ndim == 1:
                return np.asarray(M.roc_auc_score(y_true, y_score))
            return np.asarray(np.mean([M.roc_auc_score(y_true == k, y_score[:, k]) if 0 < np.sum(y_true == k) < y_true.size
                                       else np.nan for k in range(y_score.shape[1])]))
        if function == "precision_recall_curve":
            y_true, y_score = args
            return tuple(np.asarray(v, dtype=np.float64) for v in M.precision_recall_curve(y_true, y_score))
        if function == "average_precision":
            y_true, y_score = args
            if y_score.ndim == 1:
                return np.asarray(M.average_precision_score(y_true, y_score))
            return np.asarray(M.average_precision_score(_one_hot(y_true, y_score.shape[1]), y_score, average="macro"))
        if function == "log_loss":
            y_true, y_prob = args
            k = 2 if y_prob.ndim == 1 else y_prob.shape[1]
            dtype = y_prob.dtype if y_prob.dtype.kind == "f" else np.dtype(np.float64)
            return np.asarray(M.log_loss(y_true, y_prob.astype(dtype), labels=np.arange(k)), dtype=dtype)
        if function == "top_k_accuracy":
            y_true, y_score = args
            return np.asarray(M.top_k_accuracy_score(y_true, y_score, k=kwargs.get("k", 5),
                                                     labels=np.arange(y_score.shape[1])))
    raise KeyError(function)


# ---- inputs ------------------------------------------------------------------------------------------

def _noisy(rng, y, k, right=0.7):
    """Predictions that equal y with probability ``right``, else a random class."""
    wrong = rng.random(y.size) > right
    return np.where(wrong, rng.integers(0, k, y.size), y)


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _class_scores(rng, y, k, strength=1.5, ties=False):
    """(N, K) logits that favour each sample's class; rounded to few values with ``ties``."""
    z = rng.normal(0, 1, (y.size, k)) + strength * (np.arange(k) == y[:, None])
    return np.round(z * 2) / 2 if ties else z


def _binary_scores(rng, y, separation=1.0, levels=None):
    """Scores higher for positives; rounded to ``levels`` distinct values in [0, 1] to make ties."""
    s = rng.normal(0, 1, y.size) + separation * y
    if levels:
        s = np.round(1 / (1 + np.exp(-s)) * (levels - 1)) / (levels - 1)
    return s


def _binary(rng, n, p=0.4):
    y = (rng.random(n) < p).astype(np.int64)
    y[:2] = [0, 1]  # both classes present
    return rng.permutation(y)


def _confusion_inputs(rng, audience):
    y = rng.integers(0, 3, 10)
    yb = _binary(rng, 14)
    inputs = [
        ("10 samples, 3 classes", (y, _noisy(rng, y, 3)), {}),
        ("binary labels: [[TN, FP], [FN, TP]]", (yb, _noisy(rng, yb, 2)), {}),
        ("num_classes=5 though class 4 never occurs", (rng.integers(0, 4, 9), rng.integers(0, 4, 9)), {"num_classes": 5}),
        ("one class only: every label 0 (a 1 × 1 matrix)", (np.zeros(6, np.int64), np.zeros(6, np.int64)), {}),
        ("a class that is predicted but never true (label 3 only in y_pred)",
         (np.array([0, 1, 2, 1, 0, 2]), np.array([0, 3, 2, 1, 3, 2])), {}),
        ("int32 and uint8 labels", (rng.integers(0, 4, 8).astype(np.int32), rng.integers(0, 4, 8).astype(np.uint8)), {}),
    ]
    if audience == "hidden":
        y10 = rng.integers(0, 10, 200)
        yb = _binary(rng, 40)
        y6 = rng.choice([0, 1, 3, 4], 25)
        p6 = _noisy(rng, y6, 5, 0.5)
        p6[p6 == 2] = 3
        inputs += [
            ("200 samples, 10 classes, 80% right", (y10, _noisy(rng, y10, 10, 0.8)), {}),
            ("binary, 40 samples", (yb, _noisy(rng, yb, 2, 0.6)), {}),
            ("num_classes=6, classes 2 and 5 never occur", (y6, p6), {"num_classes": 6}),
            ("one class only with num_classes=3", (np.ones(7, np.int64), np.ones(7, np.int64)), {"num_classes": 3}),
            ("every prediction the same class", (rng.integers(0, 4, 15), np.full(15, 2)), {}),
            ("a label only in y_true (class 4 never predicted)", (np.array([4, 0, 1, 4, 2, 1]), np.array([0, 0, 1, 1, 2, 1])), {}),
            ("uint8 and int32 labels, 5 classes", (rng.integers(0, 5, 30).astype(np.uint8), rng.integers(0, 5, 30).astype(np.int32)), {}),
        ]
    return inputs


def _accuracy_inputs(rng, audience):
    y = rng.integers(0, 3, 12)
    yb = _binary(rng, 10)
    p = np.round(rng.uniform(0, 1, 10), 1)
    p[:3] = 0.5
    y4 = rng.integers(0, 3, 8)
    tied = np.round(rng.normal(0, 1, (8, 3)))
    tied[:4] = [[1.0, 1.0, 0.0], [0.0, 2.0, 2.0], [3.0, 0.0, 3.0], [1.0, 1.0, 1.0]]
    ysq = np.array([1, 2, 0, 3])                   # a 3-cycle: argmax over the wrong axis gives other labels
    inputs = [
        ("labels: 12 samples, 3 classes", (y, _noisy(rng, y, 3)), {}),
        ("probabilities of class 1, three of them exactly 0.5", (yb, p), {}),
        ("(N, K) probabilities: 9 samples, 4 classes", (rng.integers(0, 4, 9), _softmax(rng.normal(0, 2, (9, 4)))), {}),
        ("(N, K) logits with tied maxima (the first maximum wins)", (y4, tied), {}),
        ("square scores, N = K = 4 (argmax along the classes)", (ysq, _class_scores(rng, ysq, 4, 3.0) * 0.5), {}),
        ("every prediction wrong", (np.array([0, 1, 2, 0]), np.array([1, 2, 0, 2])), {}),
    ]
    if audience == "hidden":
        y10 = rng.integers(0, 10, 100)
        yb = _binary(rng, 50)
        p = np.round(rng.uniform(0, 1, 50), 2)
        p[rng.permutation(50)[:6]] = [0.5, 0.5, 0.0, 1.0, 0.5, 0.5]
        y5 = rng.integers(0, 5, 20)
        tied = np.round(rng.normal(0, 1, (20, 5)))
        ysq = np.array([1, 2, 0, 4, 5, 3])
        inputs += [
            ("labels: 100 samples, 10 classes", (y10, _noisy(rng, y10, 10, 0.85)), {}),
            ("probabilities of class 1, 50 samples, some exactly 0.5, 0 and 1", (yb, p), {}),
            ("(N, K) softmax outputs: 30 samples, 10 classes", (rng.integers(0, 10, 30), _softmax(rng.normal(0, 2, (30, 10)))), {}),
            ("(N, K) logits with ties: 20 samples, 5 classes", (y5, tied), {}),
            ("square scores, N = K = 6", (ysq, _class_scores(rng, ysq, 6, 3.0)), {}),
            ("perfect labels", (y5, y5.copy()), {}),
            ("int32 labels against uint8 predictions", (y10.astype(np.int32)[:40], _noisy(rng, y10[:40], 10).astype(np.uint8)), {}),
        ]
    return inputs


def _prf_inputs(rng, audience):
    yb = _binary(rng, 20)
    y3 = rng.integers(0, 3, 15)
    y4 = rng.choice([0, 1, 2], 16)            # class 3 never true ...
    p4 = _noisy(rng, y4, 4, 0.6)              # ... but may be predicted
    p4[0] = 3
    yn = rng.integers(0, 4, 12)
    pn = _noisy(rng, yn, 4, 0.6)
    pn[pn == 2] = 0                           # class 2 never predicted
    inputs = [
        ("binary, 20 samples", (yb, _noisy(rng, yb, 2)), {}),
        ("binary, no positive predictions (precision 0/0 → zero_division=0.0)", (yb[:10], np.zeros(10, np.int64)), {}),
        ("binary, no positives at all and none predicted, zero_division=1.0",
         (np.zeros(6, np.int64), np.zeros(6, np.int64)), {"zero_division": 1.0}),
        ("binary, no positive predictions, zero_division=np.nan", (yb[9:], np.zeros(11, np.int64)), {"zero_division": np.nan}),
        ("macro, 3 classes", (y3, _noisy(rng, y3, 3)), {"average": "macro"}),
        ("micro, 3 classes", (y3, _noisy(rng, y3, 3)), {"average": "micro"}),
        ("weighted, 4 classes, class 3 predicted but never true", (y4, p4), {"average": "weighted"}),
        ("average=None: the per-class values", (yn, _noisy(rng, yn, 4)), {"average": None}),
        ("macro, zero_division=np.nan, class 2 never predicted (left out)", (yn, pn), {"average": "macro", "zero_division": np.nan}),
        ("macro, num_classes=5: class 4 neither true nor predicted", (yn, _noisy(rng, yn, 4)), {"average": "macro", "num_classes": 5}),
        ("weighted, zero_division=1.0, class 2 never predicted", (yn, pn), {"average": "weighted", "zero_division": 1.0}),
        ("a class that is true but never hit, zero_division=1.0 (its F1 is 0)",
         (np.array([0, 0, 1, 1, 2, 2]), np.array([0, 0, 1, 1, 0, 1])), {"average": None, "zero_division": 1.0}),
    ]
    if audience == "hidden":
        yb = _binary(rng, 60)
        y10 = rng.integers(0, 10, 120)
        y5 = rng.choice([0, 1, 2, 4], 40)
        p5 = _noisy(rng, y5, 5, 0.5)
        y6 = rng.integers(0, 6, 30)
        p6 = _noisy(rng, y6, 6, 0.5)
        p6[p6 == 1] = 0
        inputs += [
            ("binary, 60 samples", (yb, _noisy(rng, yb, 2, 0.6)), {}),
            ("binary, no positive predictions, 25 samples", (yb[:25], np.zeros(25, np.int64)), {}),
            ("binary, no positives, some predicted, zero_division=1.0", (np.zeros(8, np.int64), np.array([0, 1, 0, 0, 1, 0, 0, 0])),
             {"zero_division": 1.0}),
            ("binary, nothing positive anywhere, zero_division=np.nan", (np.zeros(9, np.int64), np.zeros(9, np.int64)),
             {"zero_division": np.nan}),
            ("macro, 10 classes, 120 samples", (y10, _noisy(rng, y10, 10, 0.7)), {"average": "macro"}),
            ("micro, 10 classes", (y10, _noisy(rng, y10, 10, 0.6)), {"average": "micro"}),
            ("weighted, 5 classes, class 3 never true", (y5, p5), {"average": "weighted"}),
            ("average=None, 6 classes, class 1 never predicted", (y6, p6), {"average": None}),
            ("macro, zero_division=np.nan, 6 classes, class 1 never predicted", (y6, p6), {"average": "macro", "zero_division": np.nan}),
            ("weighted, zero_division=np.nan, 6 classes", (y6, p6), {"average": "weighted", "zero_division": np.nan}),
            ("macro, num_classes=8: classes 6 and 7 absent", (y6, p6), {"average": "macro", "num_classes": 8, "zero_division": 1.0}),
            ("micro, one class only", (np.full(7, 2), np.full(7, 2)), {"average": "micro"}),
            ("weighted, zero_division=1.0, 5 classes", (y5, p5), {"average": "weighted", "zero_division": 1.0}),
            ("average=None, zero_division=1.0, classes never hit",
             (np.array([0, 1, 1, 2, 2, 3, 3, 0]), np.array([0, 2, 2, 1, 1, 0, 0, 0])), {"average": None, "zero_division": 1.0}),
        ]
    return inputs


def _roc_inputs(rng, audience, pr=False):
    yb = _binary(rng, 12)
    yt = _binary(rng, 16, 0.5)
    yd = _binary(rng, 14)
    inputs = [
        ("continuous scores, 12 samples", (yb, _binary_scores(rng, yb)), {}),
        ("tied scores (5 distinct values), 16 samples", (yt, _binary_scores(rng, yt, 1.0, levels=5)), {}),
        ("no positives: every label 0", (np.zeros(7, np.int64), np.round(rng.uniform(0, 1, 7), 1)), {}),
        ("no negatives: every label 1", (np.ones(6, np.int64), np.round(rng.uniform(0, 1, 6), 1)), {}),
        ("perfectly separated", (np.array([0, 0, 1, 0, 1, 1]), np.array([0.1, 0.3, 0.8, 0.2, 0.9, 0.7])), {}),
        ("integer scores with ties", (yd, rng.integers(0, 4, 14) + yd), {}),
        ("float32 scores", (yb, _binary_scores(rng, yb).astype(np.float32)), {}),
        ("every score equal", (np.array([0, 1, 1, 0, 1]), np.full(5, 0.3)), {}),
    ]
    if not pr:
        inputs += [
            ("continuous scores, drop_intermediate=False", (yb, _binary_scores(rng, yb)), {"drop_intermediate": False}),
            ("tied scores, drop_intermediate=False", (yt, _binary_scores(rng, yt, 1.0, levels=5)), {"drop_intermediate": False}),
            ("collinear points: a run of positives, then of negatives", (np.array([1, 1, 1, 0, 0, 1, 0, 0]),
                                                                         np.array([8.0, 7, 6, 5, 4, 3, 2, 1])), {}),
        ]
    if audience == "hidden":
        yb = _binary(rng, 200, 0.3)
        yt = _binary(rng, 60)
        y9 = _binary(rng, 30)
        inputs += [
            ("continuous scores, 200 samples", (yb, _binary_scores(rng, yb, 1.2)), {}),
            ("tied scores (4 distinct values), 60 samples", (yt, _binary_scores(rng, yt, 1.5, levels=4)), {}),
            ("no positives, 10 samples with ties", (np.zeros(10, np.int64), np.round(rng.uniform(0, 1, 10), 1)), {}),
            ("no negatives, 9 samples", (np.ones(9, np.int64), rng.normal(0, 1, 9)), {}),
            ("perfectly separated, 8 samples", (np.array([1, 0, 1, 1, 0, 0, 1, 0]), np.array([3.0, -1, 2, 5, 0, -2, 1.5, 0.5])), {}),
            ("integer scores 0..9 with ties", (y9, rng.integers(0, 8, 30) + 2 * y9), {}),
            ("float32 scores with ties after rounding", (yt, (_binary_scores(rng, yt) * 1e-4).astype(np.float32)), {}),
            ("every score equal, 7 samples", (np.array([1, 0, 0, 1, 0, 1, 1]), np.full(7, -2.5)), {}),
            ("a perfectly wrong ranking", (np.array([0, 0, 0, 1, 1]), np.array([5.0, 4.0, 3.0, 2.0, 1.0])), {}),
        ]
        if not pr:
            inputs += [
                ("200 samples, drop_intermediate=False", (yb, _binary_scores(rng, yb, 1.2)), {"drop_intermediate": False}),
                ("tied scores, 60 samples, drop_intermediate=False", (yt, _binary_scores(rng, yt, 1.5, levels=4)),
                 {"drop_intermediate": False}),
                ("collinear points in runs, 12 samples", (np.array([1, 1, 0, 0, 0, 1, 1, 1, 0, 1, 0, 0]), np.arange(12.0)[::-1]), {}),
            ]
    return inputs


def _auc_inputs(rng, audience):
    yb = _binary(rng, 14)
    yt = _binary(rng, 18, 0.5)
    y3 = rng.integers(0, 3, 15)
    y3[:3] = [0, 1, 2]
    y4 = rng.integers(0, 4, 16)
    y4[:4] = [0, 1, 2, 3]
    inputs = [
        ("continuous scores, 14 samples", (yb, _binary_scores(rng, yb)), {}),
        ("tied scores (4 distinct values): ties count ½", (yt, _binary_scores(rng, yt, 1.0, levels=4)), {}),
        ("perfectly separated: 1.0", (np.array([0, 1, 0, 1, 1]), np.array([0.2, 0.9, 0.1, 0.6, 0.7])), {}),
        ("perfectly wrong: 0.0", (np.array([0, 1, 0, 1]), np.array([0.9, 0.2, 0.7, 0.1])), {}),
        ("every score equal: 0.5", (np.array([0, 1, 1, 0, 1, 0]), np.full(6, 0.4)), {}),
        ("one class only: undefined (NaN)", (np.ones(5, np.int64), np.array([0.1, 0.4, 0.3, 0.8, 0.5])), {}),
        ("binary probabilities, some above 0.5", (yb, 1 / (1 + np.exp(-_binary_scores(rng, yb)))), {}),
        ("3 classes, (N, K) probabilities: macro one-vs-rest", (y3, _softmax(_class_scores(rng, y3, 3))), {}),
        ("4 classes, (N, K) logits with ties", (y4, _class_scores(rng, y4, 4, ties=True)), {}),
    ]
    if audience == "hidden":
        yb = _binary(rng, 150, 0.3)
        yt = _binary(rng, 50)
        y10 = rng.integers(0, 10, 120)
        y10[:10] = np.arange(10)
        y5 = rng.integers(0, 5, 40)
        y5[:5] = np.arange(5)
        inputs += [
            ("continuous scores, 150 samples", (yb, _binary_scores(rng, yb, 0.8)), {}),
            ("tied scores (6 distinct values), 50 samples", (yt, _binary_scores(rng, yt, 0.7, levels=6)), {}),
            ("perfectly separated, 9 samples", (np.array([1, 1, 0, 0, 1, 0, 1, 0, 0]), np.arange(9.0)[[8, 7, 0, 1, 6, 2, 5, 3, 4]]), {}),
            ("every score equal, 9 samples", (np.array([1, 0, 0, 0, 1, 0, 1, 1, 0]), np.zeros(9)), {}),
            ("one class only (no positives)", (np.zeros(6, np.int64), rng.normal(0, 1, 6)), {}),
            ("binary probabilities, 60 samples", (yt[:60], 1 / (1 + np.exp(-_binary_scores(rng, yt[:60], 1.2)))), {}),
            ("10 classes, (N, K) softmax outputs", (y10, _softmax(_class_scores(rng, y10, 10, 1.0))), {}),
            ("5 classes, (N, K) logits with ties", (y5, _class_scores(rng, y5, 5, 1.2, ties=True)), {}),
            ("3 classes, one absent from y_true: NaN", (np.array([0, 1, 0, 1, 1, 0, 0]), _softmax(rng.normal(0, 1, (7, 3)))), {}),
        ]
    return inputs


def _ap_inputs(rng, audience):
    yb = _binary(rng, 14)
    yt = _binary(rng, 18, 0.5)
    y3 = rng.integers(0, 3, 15)
    y3[:3] = [0, 1, 2]
    inputs = [
        ("continuous scores, 14 samples", (yb, _binary_scores(rng, yb)), {}),
        ("tied scores (4 distinct values)", (yt, _binary_scores(rng, yt, 1.0, levels=4)), {}),
        ("no positives: 0.0", (np.zeros(6, np.int64), np.array([0.3, 0.1, 0.8, 0.5, 0.5, 0.2])), {}),
        ("no negatives: 1.0", (np.ones(5, np.int64), np.array([0.3, 0.1, 0.8, 0.5, 0.2])), {}),
        ("every score equal: the fraction of positives", (np.array([1, 0, 0, 1, 0]), np.full(5, 0.7)), {}),
        ("3 classes, (N, K) probabilities: macro one-vs-rest", (y3, _softmax(_class_scores(rng, y3, 3))), {}),
        ("4 classes, class 3 absent from y_true (its AP is 0)", (np.array([0, 1, 2, 1, 0, 2, 1]),
                                                                 _softmax(rng.normal(0, 1, (7, 4)))), {}),
    ]
    if audience == "hidden":
        yb = _binary(rng, 150, 0.2)
        yt = _binary(rng, 50)
        y10 = rng.integers(0, 10, 100)
        inputs += [
            ("continuous scores, 150 samples (20% positive)", (yb, _binary_scores(rng, yb, 1.5)), {}),
            ("tied scores (5 distinct values), 50 samples", (yt, _binary_scores(rng, yt, 0.8, levels=5)), {}),
            ("no positives, 9 samples", (np.zeros(9, np.int64), rng.normal(0, 1, 9)), {}),
            ("no negatives, 7 samples with ties", (np.ones(7, np.int64), np.round(rng.uniform(0, 1, 7), 1)), {}),
            ("every score equal, 8 samples", (np.array([0, 1, 1, 1, 0, 0, 1, 0]), np.full(8, 3.0)), {}),
            ("10 classes, (N, K) softmax outputs", (y10, _softmax(_class_scores(rng, y10, 10, 1.0))), {}),
            ("5 classes, (N, K) logits with ties, class 4 absent", (np.array([0, 1, 2, 3, 0, 1, 2, 3, 1, 0]),
                                                                     _class_scores(rng, np.array([0, 1, 2, 3, 0, 1, 2, 3, 1, 0]), 5,
                                                                                   ties=True)), {}),
            ("a single positive ranked last", (np.array([0, 0, 0, 0, 1]), np.array([0.9, 0.8, 0.7, 0.6, 0.1])), {}),
        ]
    return inputs


def _log_loss_inputs(rng, audience):
    yb = _binary(rng, 10)
    y4 = rng.integers(0, 4, 10)
    y3 = rng.integers(0, 3, 6)
    zero = _softmax(rng.normal(0, 1, (6, 3)))
    zero[0] = [0.0, 0.0, 1.0] if y3[0] != 2 else [1.0, 0.0, 0.0]  # the true class gets probability 0
    zero[1] = np.eye(3)[y3[1]]                                      # and 1
    inputs = [
        ("binary: (N,) probabilities of class 1", (yb, rng.uniform(0.05, 0.95, 10)), {}),
        ("binary with probabilities of exactly 0 and 1 (the clip at machine ε)",
         (np.array([1, 0, 1, 0, 1, 0]), np.array([0.0, 1.0, 1.0, 0.0, 0.6, 1e-9])), {}),
        ("4 classes: (N, K) softmax rows", (y4, _softmax(rng.normal(0, 1.5, (10, 4)))), {}),
        ("3 classes, a true class with probability 0 and one with 1", (y3, zero), {}),
        ("float32 probabilities (ε = 1.2e-7)", (y4[:6], _softmax(rng.normal(0, 1.5, (6, 4))).astype(np.float32)), {}),
        ("float32, binary, with exact 0 and 1", (np.array([1, 0, 0, 1]), np.array([0.0, 0.3, 1.0, 1.0], np.float32)), {}),
        ("4 classes, only classes 0 and 1 occur in y_true", (np.array([0, 1, 1, 0, 1]), _softmax(rng.normal(0, 1, (5, 4)))), {}),
    ]
    if audience == "hidden":
        y10 = rng.integers(0, 10, 40)
        yb = _binary(rng, 30)
        p = rng.uniform(0, 1, 30)
        p[:4] = [0.0, 1.0, 1e-10, 1 - 1e-10]
        y5 = rng.integers(0, 5, 8)
        hard = np.eye(5)[(y5 + 1) % 5]
        hard[:3] = np.eye(5)[y5[:3]]
        inputs += [
            ("binary, 30 samples, some exactly 0 and 1", (yb, p), {}),
            ("10 classes, softmax rows, 40 samples", (y10, _softmax(rng.normal(0, 2, (40, 10)))), {}),
            ("5 classes, one-hot predictions, mostly wrong (probability 0 for the truth)", (y5, hard), {}),
            ("float32, 10 classes", (y10[:20], _softmax(rng.normal(0, 2, (20, 10))).astype(np.float32)), {}),
            ("float32, binary, 12 samples, with 0 and 1", (yb[:12], np.r_[0.0, 1.0, rng.uniform(0, 1, 10)].astype(np.float32)), {}),
            ("6 classes, only class 2 occurs", (np.full(5, 2), _softmax(rng.normal(0, 1, (5, 6)))), {}),
            ("binary, confident and right: probabilities 1e-12 from the truth",
             (np.array([1, 0, 1, 0]), np.array([1 - 1e-12, 1e-12, 1 - 1e-12, 1e-12])), {}),
            ("3 classes, integer 0/1 probabilities", (np.array([0, 2, 1]), np.eye(3, dtype=np.int64)[[0, 2, 0]]), {}),
        ]
    return inputs


def _top_k_inputs(rng, audience):
    y5 = rng.integers(0, 5, 12)
    y4 = rng.integers(0, 4, 8)
    tied = np.round(rng.normal(0, 1, (8, 4)))
    tied[:4] = [[1.0, 1.0, 0.0, 0.0], [2.0, 2.0, 2.0, 0.0], [0.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]]
    y4[:4] = [0, 1, 3, 2]
    inputs = [
        ("5 classes, k=2", (y5, _softmax(_class_scores(rng, y5, 5, 0.5))), {"k": 2}),
        ("tied scores at the boundary, k=1 (the larger index ranks first)", (y4, tied), {"k": 1}),
        ("tied scores, k=2", (y4, tied), {"k": 2}),
        ("k=3 with logits", (y5, _class_scores(rng, y5, 5, 0.3)), {"k": 3}),
        ("the default k=5, 7 classes", (rng.integers(0, 7, 10), rng.normal(0, 1, (10, 7))), {}),
        ("k ≥ K: every sample counts", (y4, tied), {"k": 4}),
    ]
    if audience == "hidden":
        y10 = rng.integers(0, 10, 60)
        y6 = rng.integers(0, 6, 20)
        tied6 = np.round(rng.normal(0, 0.7, (20, 6)))
        inputs += [
            ("10 classes, k=3, 60 samples", (y10, _softmax(_class_scores(rng, y10, 10, 0.8))), {"k": 3}),
            ("tied scores, 6 classes, k=1", (y6, tied6), {"k": 1}),
            ("tied scores, 6 classes, k=2", (y6, tied6), {"k": 2}),
            ("tied scores, 6 classes, k=4", (y6, tied6), {"k": 4}),
            ("the default k=5, 10 classes", (y10[:30], rng.normal(0, 1, (30, 10))), {}),
            ("k=6 ≥ K=5", (y5, rng.normal(0, 1, (12, 5))), {"k": 6}),
            ("all scores equal, 3 classes, k=1", (np.array([0, 1, 2, 2, 1]), np.zeros((5, 3))), {"k": 1}),
        ]
    return inputs


INPUTS = {
    "confusion_matrix": _confusion_inputs,
    "accuracy": _accuracy_inputs,
    "precision_recall_f1": _prf_inputs,
    "roc_curve": _roc_inputs,
    "roc_auc": _auc_inputs,
    "precision_recall_curve": lambda rng, audience: _roc_inputs(rng, audience, pr=True),
    "average_precision": _ap_inputs,
    "log_loss": _log_loss_inputs,
    "top_k_accuracy": _top_k_inputs,
}


# ---- cases ------------------------------------------------------------------------------------------

def _tolerance(function, args):
    if function == "log_loss" and np.asarray(args[1]).dtype == np.float32:
        return F32
    return EXACT


def case(function: str, label: str, args, kwargs) -> dict:
    expected = sklearn_reference(function, args, kwargs)
    return {"name": label, "args": list(args), "kwargs": kwargs, "expected": expected,
            **_tolerance(function, args), "mistakes": mistakes_for(function, args, kwargs, expected)}


def cases(tf, rng, audience):
    """``{function: [case, ...]}`` for the ``public`` checks or the ``hidden`` grading fixtures.

    ``tf`` is unused: scikit-learn is the reference for every metric (the generator passes it to
    every chapter).
    """
    return {function: [case(function, label, args, kwargs) for label, args, kwargs in inputs(rng, audience)]
            for function, inputs in INPUTS.items()}
