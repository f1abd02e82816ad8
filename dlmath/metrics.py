r"""Evaluation metrics for classifiers (chapter 10_evaluation), as scikit-learn computes them.

Conventions — scikit-learn's, so that results match ``sklearn.metrics.*`` exactly:

* **Argument order** ``(y_true, y_pred)`` or ``(y_true, y_score)``: the truth first.
* **Labels** are integer class indices ``0 .. K-1`` (any integer dtype, or bool for two
  classes), one per sample, shape ``(N,)``. The number of classes is ``num_classes`` when
  given, else ``1 +`` the largest label in ``y_true`` or ``y_pred``. (scikit-learn's
  default is the *sorted set of labels present*; with ``labels=np.arange(K)`` it computes
  exactly what these functions compute. The two differ only when a class in the middle
  never occurs.)
* **Scores** (``y_score``) are any finite real numbers, higher meaning "more positive":
  probabilities, logits or decision values. The ranking functions (``roc_curve``,
  ``roc_auc``, ``precision_recall_curve``, ``average_precision``) read them as float64, as
  scikit-learn's ``roc_curve`` does, and every curve they return is float64.
* **Binary** problems are labels in {0, 1}; class 1 is the *positive* class.
* **Return values**: a metric is a 0-d float64 value (a ratio of counts); ``log_loss`` keeps
  the probabilities' float dtype (float32 in, float32 out), since it is a function of them;
  ``confusion_matrix`` returns int64 counts; curves return a tuple of 1-D float64 arrays.
* **Undefined values** (0/0) are never a NumPy warning. Where scikit-learn returns NaN (the
  false-positive rate with no negatives), these functions return NaN too, silently; where
  it substitutes a value (``zero_division``, the recall of a PR curve without positives), so
  do they. Each docstring says which.

Validation (before any computation): labels must be integers (a float array is rejected
with a hint: probabilities go to the score functions), ``y_true`` and the prediction must
have the same number of samples, at least one; scores must be finite.
"""
from __future__ import annotations

import numbers
import operator

import numpy as np

from dlmath._validate import as_float_array

__all__ = [
    "confusion_matrix", "accuracy", "precision_recall_f1",
    "roc_curve", "roc_auc", "precision_recall_curve", "average_precision",
    "log_loss", "top_k_accuracy",
]

AVERAGES = ("binary", "micro", "macro", "weighted", None)


# ---- validation (reference code in every edition) -----------------------------------------------

def check_labels(y, name: str) -> np.ndarray:
    """Return ``y`` as a 1-D int64 array of class indices (bools become 0/1).

    Raises:
        TypeError: floats (with a hint: probabilities and scores are not labels), strings, None.
        ValueError: not 1-D, no samples, or a negative label.
    """
    if y is None or isinstance(y, (str, bytes)):
        raise TypeError(f"{name} must be integer class labels, got {y!r}")
    try:
        array = np.asarray(y)
    except (ValueError, TypeError) as error:
        raise TypeError(f"{name} must be a 1-D array of integer class labels: {error}") from None
    if array.size == 0:
        raise ValueError(f"{name} has no samples: there is nothing to evaluate")
    if array.dtype.kind == "f":
        raise TypeError(f"{name} must hold integer class labels, got dtype {array.dtype}: probabilities and "
                        f"scores are not labels (threshold them, or take np.argmax over the classes, first)")
    if array.dtype.kind not in "iub":
        raise TypeError(f"{name} must hold integer class labels, got dtype {array.dtype}")
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, one label per sample, got shape {array.shape}")
    array = array.astype(np.int64)
    if array.min() < 0:
        raise ValueError(f"{name} must hold class indices 0, 1, ..., got {int(array.min())}")
    return array


def check_label_pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    """Both label arrays, checked, with the same number of samples."""
    y_true, y_pred = check_labels(y_true, "y_true"), check_labels(y_pred, "y_pred")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have one label per sample each: "
                         f"got {y_true.shape[0]} and {y_pred.shape[0]} samples")
    return y_true, y_pred


def check_num_classes(num_classes, *labels: np.ndarray) -> int:
    """K: ``num_classes`` if given (checked against the labels), else 1 + the largest label."""
    largest = max(int(y.max()) for y in labels)
    if num_classes is None:
        return largest + 1
    if isinstance(num_classes, (bool, np.bool_)) or not isinstance(num_classes, numbers.Integral):
        raise TypeError(f"num_classes must be a positive integer or None, got {num_classes!r}")
    num_classes = operator.index(num_classes)
    if num_classes <= largest:
        raise ValueError(f"num_classes={num_classes}, but a label {largest} occurs: labels must lie in "
                         f"0 .. num_classes - 1")
    return num_classes


def check_binary_targets(y_true) -> np.ndarray:
    y_true = check_labels(y_true, "y_true")
    if y_true.max() > 1:
        raise ValueError(f"y_true must hold binary labels 0 and 1 (1 = positive) for a score of one "
                         f"column, got a label {int(y_true.max())}; for K classes pass scores of shape (N, K)")
    return y_true


def check_scores(y_score, n: int, name: str = "y_score", two_d: bool = False) -> np.ndarray:
    """``y_score`` as float64, shape (n,) (or (n, K) with ``two_d``), every value finite."""
    y_score = as_float_array(y_score, name).astype(np.float64, copy=False)
    if y_score.ndim not in ((1, 2) if two_d else (1,)):
        allowed = "(N,) or (N, K)" if two_d else "(N,)"
        raise ValueError(f"{name} must have shape {allowed}, got {y_score.shape}")
    if y_score.shape[0] != n:
        raise ValueError(f"y_true and {name} must describe the same samples: got {n} labels and "
                         f"{y_score.shape[0]} rows of scores")
    if y_score.ndim == 2 and y_score.shape[1] < 2:
        raise ValueError(f"{name} of shape (N, K) needs K >= 2 classes, got {y_score.shape}")
    if not np.all(np.isfinite(y_score)):
        raise ValueError(f"{name} must be finite (no NaN or inf): a threshold can't be placed between them")
    return y_score


def check_ranking(y_true, y_score) -> tuple[np.ndarray, np.ndarray]:
    """Binary targets and one float64 score per sample (the curves)."""
    y_true = check_binary_targets(y_true)
    return y_true, check_scores(y_score, y_true.shape[0])


def check_ranking_or_classes(y_true, y_score) -> tuple[np.ndarray, np.ndarray]:
    """(N,) binary targets with (N,) scores, or (N,) labels 0..K-1 with (N, K) scores."""
    y_true = check_labels(y_true, "y_true")
    y_score = check_scores(y_score, y_true.shape[0], two_d=True)
    if y_score.ndim == 1 and y_true.max() > 1:
        check_binary_targets(y_true)  # raises, naming the problem
    if y_score.ndim == 2 and y_true.max() >= y_score.shape[1]:
        raise ValueError(f"y_true holds a label {int(y_true.max())}, but y_score has only {y_score.shape[1]} "
                         f"columns (classes 0 .. {y_score.shape[1] - 1})")
    return y_true, y_score


def check_average(average):
    if average not in AVERAGES:
        raise ValueError(f"average must be one of 'binary', 'micro', 'macro', 'weighted' or None, got {average!r}")
    return average


def check_zero_division(zero_division) -> float:
    if isinstance(zero_division, (bool, np.bool_)) or not isinstance(zero_division, numbers.Real):
        raise TypeError(f"zero_division must be 0.0, 1.0 or np.nan, got {zero_division!r}")
    value = float(zero_division)
    if not (value in (0.0, 1.0) or np.isnan(value)):
        raise ValueError(f"zero_division must be 0.0, 1.0 or np.nan (scikit-learn's choices), got {zero_division!r}")
    return value


def _check_unit_interval(y: np.ndarray, name: str) -> None:
    inside = (y >= 0) & (y <= 1)
    if not inside.all():
        index = tuple(int(i) for i in np.argwhere(~inside)[0])
        raise ValueError(f"{name} must hold probabilities in [0, 1], got {float(y[index])} at index {index}")


# ---- 1. labels: the confusion matrix and accuracy -------------------------------------------------

def confusion_matrix(y_true, y_pred, num_classes=None):
    r"""The confusion matrix: counts of (true class, predicted class) pairs.

    .. math:: C_{ij} = \#\{n : y_n = i,\ \hat y_n = j\}, \qquad i, j = 0, \dots, K-1

    Row i holds the samples whose true class is i, column j those predicted as j
    (scikit-learn's convention): the diagonal counts the correct predictions, each row sums
    to the class's support, each column to the number of times the class was predicted.
    For two classes, ``[[TN, FP], [FN, TP]]``.

    Args:
        y_true: (N,) integer labels.
        y_pred: (N,) integer labels.
        num_classes: K; default 1 + the largest label in ``y_true`` or ``y_pred``.
    Returns:
        (K, K) int64 array; it sums to N.

    Derived in: 10_evaluation §1.2
    """
    y_true, y_pred = check_label_pair(y_true, y_pred)
    num_classes = check_num_classes(num_classes, y_true, y_pred)
    ### BEGIN SOLUTION
    pairs = num_classes * y_true + y_pred
    return np.bincount(pairs, minlength=num_classes * num_classes).reshape(num_classes, num_classes)
    ### END SOLUTION


def accuracy(y_true, y_pred):
    r"""The fraction of samples whose predicted label is the true one.

    .. math:: \mathrm{accuracy} = \frac1N \sum_{n=1}^{N} [\hat y_n = y_n]

    ``y_pred`` may be labels or scores; scores are turned into labels first, as Keras's
    accuracy metrics do:

    * (N,) integer labels: used as they are;
    * (N,) floats: the probability of class 1 — predicted 1 where ``p > 0.5`` (strictly, as
      ``keras.metrics.BinaryAccuracy``), else 0; ``y_true`` must then be binary;
    * (N, K) floats: probabilities or logits of K classes — the predicted label is
      ``np.argmax`` over the classes (the *first* maximum on a tie).

    Args:
        y_true: (N,) integer labels.
        y_pred: (N,) labels, (N,) probabilities of class 1, or (N, K) scores.
    Returns:
        0-d float64 in [0, 1] (scikit-learn's ``accuracy_score`` on the labels).

    Derived in: 10_evaluation §1.3
    """
    y_true = check_labels(y_true, "y_true")
    if np.asarray(y_pred).dtype.kind == "f":
        y_pred = check_scores(y_pred, y_true.shape[0], "y_pred", two_d=True)
        if y_pred.ndim == 1:
            _check_unit_interval(y_pred, "y_pred (one probability of class 1 per sample)")
            check_binary_targets(y_true)
        elif y_true.max() >= y_pred.shape[1]:
            raise ValueError(f"y_true holds a label {int(y_true.max())}, but y_pred has {y_pred.shape[1]} columns")
    else:
        y_true, y_pred = check_label_pair(y_true, y_pred)
    ### BEGIN SOLUTION
    if y_pred.ndim == 2:
        y_pred = np.argmax(y_pred, axis=1)
    elif y_pred.dtype.kind == "f":
        y_pred = (y_pred > 0.5).astype(np.int64)
    return np.mean(y_true == y_pred)
    ### END SOLUTION


# ---- 2. precision, recall, F1 ------------------------------------------------------------------------

def precision_recall_f1(y_true, y_pred, average="binary", zero_division=0.0, num_classes=None):
    r"""Precision, recall and F1 of each class, or their average over the classes.

    For class k, with TP_k, FP_k, FN_k read off the confusion matrix (the diagonal entry,
    the rest of column k, the rest of row k):

    .. math::
        P_k = \frac{TP_k}{TP_k + FP_k}, \qquad
        R_k = \frac{TP_k}{TP_k + FN_k}, \qquad
        F_k = \frac{2\,TP_k}{2\,TP_k + FP_k + FN_k} \;\Bigl(= \frac{2 P_k R_k}{P_k + R_k}\Bigr)

    ``average``:

    * ``"binary"`` — class 1's P, R, F (labels must be 0/1; 1 is the positive class);
    * ``"micro"`` — pool the counts of every class first, then divide:
      P = ΣTP / Σ(TP + FP), R = ΣTP / Σ(TP + FN), F = 2ΣTP / Σ(2TP + FP + FN);
    * ``"macro"`` — the plain mean of the K per-class values (each class counts the same);
    * ``"weighted"`` — their mean weighted by the support TP_k + FN_k (samples of class k);
    * ``None`` — the K per-class values.

    ``zero_division`` (scikit-learn's, made explicit; its default ``"warn"`` computes as 0.0):
    the value of a 0/0 — P_k when class k is never predicted, R_k when it never occurs, F_k
    when both. (F_k is 0/0 only then: a class that occurs or is predicted but is never hit
    has F_k = 0.) With ``np.nan`` the undefined classes are *left out* of the macro and
    weighted means (NaN if nothing is left); if the remaining weights of a weighted mean
    sum to 0, their plain mean is returned, as scikit-learn does.

    Args:
        y_true, y_pred: (N,) integer labels.
        average: ``"binary"``, ``"micro"``, ``"macro"``, ``"weighted"`` or None.
        zero_division: 0.0, 1.0 or np.nan.
        num_classes: K; default 1 + the largest label seen.
    Returns:
        ``(precision, recall, f1)``: three 0-d float64 values, or three (K,) float64 arrays
        for ``average=None``.

    Derived in: 10_evaluation §2.3
    """
    y_true, y_pred = check_label_pair(y_true, y_pred)
    average = check_average(average)
    zero_division = check_zero_division(zero_division)
    num_classes = check_num_classes(num_classes, y_true, y_pred)
    if average == "binary" and num_classes > 2:
        raise ValueError(f"average='binary' needs labels 0 and 1 only (num_classes = {num_classes}); "
                         f"for K classes choose 'micro', 'macro', 'weighted' or None")
    ### BEGIN SOLUTION
    counts = confusion_matrix(y_true, y_pred, max(num_classes, 2) if average == "binary" else num_classes)
    tp = np.diag(counts).astype(np.float64)
    predicted = counts.sum(axis=0).astype(np.float64)   # TP + FP per class
    support = counts.sum(axis=1).astype(np.float64)     # TP + FN per class
    if average == "binary":
        tp, predicted, support = tp[1:], predicted[1:], support[1:]
    elif average == "micro":
        tp, predicted, support = tp.sum(keepdims=True), predicted.sum(keepdims=True), support.sum(keepdims=True)

    def divide(numerator, denominator):
        safe = np.where(denominator == 0, 1.0, denominator)
        return np.where(denominator == 0, zero_division, numerator / safe)

    scores = (divide(tp, predicted), divide(tp, support), divide(2 * tp, support + predicted))
    if average is None:
        return scores
    if average in ("binary", "micro"):
        return tuple(s[0] for s in scores)

    def mean(values):
        kept = ~np.isnan(values)
        if not kept.any():
            return np.float64(np.nan)
        if average == "macro":
            return np.nanmean(values)
        if support[kept].sum() == 0:   # nothing left to weight by: the plain mean
            return np.mean(values[kept])
        return np.average(values[kept], weights=support[kept])

    return tuple(mean(s) for s in scores)
    ### END SOLUTION


# ---- 3. thresholds: the ROC curve and its area -------------------------------------------------------

def roc_curve(y_true, y_score, drop_intermediate=True):
    r"""The receiver operating characteristic: (FPR, TPR) at every distinct threshold.

    Predict "positive" where ``y_score >= t``. For each *distinct* score value t, from the
    largest to the smallest, count TP(t) and FP(t), the positives and negatives scored ≥ t:

    .. math:: \mathrm{TPR}(t) = \frac{TP(t)}{P}, \qquad \mathrm{FPR}(t) = \frac{FP(t)}{N_-}

    with P positives and N₋ negatives. Samples with equal scores are never separated: they
    enter the counts together, at one threshold. The curve starts at (0, 0) with the
    threshold +inf (nothing predicted positive) and ends at (1, 1).

    ``drop_intermediate`` (default True, as scikit-learn): drop every threshold whose point
    lies on a straight line between its neighbours — where both the second difference of
    FP and that of TP (over the thresholds, before the (0, 0) point is added) are 0. Such
    points change neither the plot nor the area. The first and last thresholds are kept.

    Undefined rates: with no negatives FPR is NaN everywhere, with no positives TPR is
    (scikit-learn returns NaN and warns; here, no warning).

    Args:
        y_true: (N,) binary labels, 1 = positive.
        y_score: (N,) finite scores (read as float64).
        drop_intermediate: drop collinear points.
    Returns:
        ``(fpr, tpr, thresholds)``, 1-D float64 arrays of one length: fpr and tpr
        non-decreasing from 0 to 1, thresholds decreasing from +inf.

    Derived in: 10_evaluation §3.2
    """
    y_true, y_score = check_ranking(y_true, y_score)
    ### BEGIN SOLUTION
    order = np.argsort(-y_score, kind="stable")
    scores, truth = y_score[order], y_true[order]
    last = np.r_[np.flatnonzero(np.diff(scores)), scores.size - 1]   # the last sample of each distinct score
    tps = np.cumsum(truth)[last]
    fps = 1 + last - tps
    thresholds = scores[last]
    if drop_intermediate and tps.size > 2:
        corner = np.r_[True, (np.diff(fps, 2) != 0) | (np.diff(tps, 2) != 0), True]
        tps, fps, thresholds = tps[corner], fps[corner], thresholds[corner]
    tps, fps = np.r_[0, tps], np.r_[0, fps]
    thresholds = np.r_[np.inf, thresholds]
    fpr = fps / fps[-1] if fps[-1] > 0 else np.full(fps.shape, np.nan)
    tpr = tps / tps[-1] if tps[-1] > 0 else np.full(tps.shape, np.nan)
    return fpr, tpr, thresholds
    ### END SOLUTION


def roc_auc(y_true, y_score):
    r"""The area under the ROC curve; for K classes, the mean of the one-vs-rest areas.

    The trapezoidal area under :func:`roc_curve`'s points equals the Mann–Whitney
    probability that a random positive scores above a random negative, ties counting ½:

    .. math:: \mathrm{AUC} = \frac{1}{P\,N_-} \sum_{i:\,y_i=1}\ \sum_{j:\,y_j=0}
              \Bigl([s_i > s_j] + \tfrac12 [s_i = s_j]\Bigr)

    For (N, K) scores, class k's area is that of ``(y_true == k, y_score[:, k])`` and the
    result is their plain (macro) mean — scikit-learn's ``roc_auc_score(...,
    multi_class="ovr")``. With only one class present the area is undefined: NaN (as
    scikit-learn, without its warning); a class absent from ``y_true`` makes the mean NaN.

    Args:
        y_true: (N,) binary labels with (N,) scores, or (N,) labels 0..K-1 with (N, K) scores.
        y_score: (N,) or (N, K) finite scores.
    Returns:
        0-d float64 in [0, 1] (or NaN).

    Derived in: 10_evaluation §3.3
    """
    y_true, y_score = check_ranking_or_classes(y_true, y_score)
    ### BEGIN SOLUTION
    if y_score.ndim == 1:
        problems = [(y_true, y_score)]
    else:
        problems = [((y_true == k).astype(np.int64), y_score[:, k]) for k in range(y_score.shape[1])]
    areas = []
    for truth, scores in problems:
        fpr, tpr, _ = roc_curve(truth, scores)
        areas.append(np.trapezoid(tpr, fpr))
    return np.mean(areas)
    ### END SOLUTION


# ---- 4. the precision-recall curve and average precision ---------------------------------------------

def precision_recall_curve(y_true, y_score):
    r"""Precision and recall at every distinct threshold, as scikit-learn returns them.

    Predict "positive" where ``y_score >= t``, for each distinct score t (equal scores enter
    together, as in :func:`roc_curve`):

    .. math:: P(t) = \frac{TP(t)}{TP(t) + FP(t)}, \qquad R(t) = \frac{TP(t)}{P}

    The arrays run from the *smallest* threshold to the largest — recall decreasing — and
    end with the point (recall 0, precision 1), which has no threshold: ``precision`` and
    ``recall`` have one more entry than ``thresholds``. With no positives in ``y_true``,
    recall is 1 at every threshold (scikit-learn's choice; it warns, these functions don't).

    Args:
        y_true: (N,) binary labels, 1 = positive.
        y_score: (N,) finite scores (read as float64).
    Returns:
        ``(precision, recall, thresholds)``: float64 arrays of lengths T + 1, T + 1 and T,
        T the number of distinct scores; thresholds increasing.

    Derived in: 10_evaluation §4.1
    """
    y_true, y_score = check_ranking(y_true, y_score)
    ### BEGIN SOLUTION
    order = np.argsort(-y_score, kind="stable")
    scores, truth = y_score[order], y_true[order]
    last = np.r_[np.flatnonzero(np.diff(scores)), scores.size - 1]
    tps = np.cumsum(truth)[last].astype(np.float64)
    fps = 1 + last - tps
    precision = tps / (tps + fps)
    recall = tps / tps[-1] if tps[-1] > 0 else np.ones_like(tps)
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0], scores[last][::-1]
    ### END SOLUTION


def average_precision(y_true, y_score):
    r"""Average precision: the precision-recall curve summarised as a step-wise sum.

    .. math:: \mathrm{AP} = \sum_{n} (R_n - R_{n+1})\, P_n

    over the points of :func:`precision_recall_curve` (recall decreasing, the last point
    (R, P) = (0, 1) closing the sum): each precision is weighted by the recall gained at its
    threshold. It is the mean, over the positives, of the precision at the rank where each
    is found — no linear interpolation between points (the trapezoid is optimistic, §4.2).

    For (N, K) scores: the plain (macro) mean over the classes of the one-vs-rest AP of
    ``(y_true == k, y_score[:, k])``; a class absent from ``y_true`` has AP 0, as in
    scikit-learn (``average_precision_score(label_binarize(y_true, classes=range(K)), y_score)``).
    A negative zero from the rounding of the sum is returned as 0.0.

    Args:
        y_true: (N,) binary labels with (N,) scores, or (N,) labels 0..K-1 with (N, K) scores.
        y_score: (N,) or (N, K) finite scores.
    Returns:
        0-d float64 in [0, 1].

    Derived in: 10_evaluation §4.2
    """
    y_true, y_score = check_ranking_or_classes(y_true, y_score)
    ### BEGIN SOLUTION
    if y_score.ndim == 1:
        problems = [(y_true, y_score)]
    else:
        problems = [((y_true == k).astype(np.int64), y_score[:, k]) for k in range(y_score.shape[1])]
    values = []
    for truth, scores in problems:
        precision, recall, _ = precision_recall_curve(truth, scores)
        values.append(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))
    return np.mean(values)
    ### END SOLUTION


# ---- 5. probabilities: log loss and top-k accuracy ---------------------------------------------------

def log_loss(y_true, y_prob):
    r"""The mean negative log-probability of the true class (cross-entropy), as scikit-learn.

    .. math:: \mathrm{log\,loss} = -\frac1N \sum_{n=1}^{N} \log \operatorname{clip}(p_{n, y_n}, \varepsilon, 1 - \varepsilon)

    with ε the machine epsilon of the probabilities' dtype (``np.finfo(dtype).eps``:
    2.2e-16 in float64, 1.2e-7 in float32) — not Keras's fixed 1e-7. A (N,) ``y_prob`` is
    the probability of class 1: the two columns are ``[1 - p, p]``, then clipped.

    Args:
        y_true: (N,) integer labels (0/1 for a (N,) ``y_prob``).
        y_prob: (N,) probabilities of class 1, or (N, K) rows of class probabilities, each
            row summing to 1 (within √ε relative, scikit-learn's tolerance).
    Returns:
        0-d value of ``y_prob``'s float dtype (integers become float64).

    Derived in: 10_evaluation §5.1
    """
    y_true = check_labels(y_true, "y_true")
    y_prob = as_float_array(y_prob, "y_prob")
    if y_prob.ndim not in (1, 2) or y_prob.shape[0] != y_true.shape[0]:
        raise ValueError(f"y_prob must have shape (N,) or (N, K) with N = {y_true.shape[0]} samples, "
                         f"got {y_prob.shape}")
    _check_unit_interval(y_prob, "y_prob")
    if y_prob.ndim == 1:
        check_binary_targets(y_true)
    else:
        if y_prob.shape[1] < 2 or y_true.max() >= y_prob.shape[1]:
            raise ValueError(f"y_prob has {y_prob.shape[1]} columns, but y_true holds a label {int(y_true.max())}")
        sums = y_prob.sum(axis=1, dtype=np.float64)
        bad = ~np.isclose(sums, 1.0, rtol=np.sqrt(np.finfo(y_prob.dtype).eps))
        if bad.any():
            row = int(np.argmax(bad))
            raise ValueError(f"y_prob's rows must sum to 1 (probabilities, e.g. a softmax output), but row {row} "
                             f"sums to {float(sums[row])!r}; for logits, take the softmax first")
    ### BEGIN SOLUTION
    if y_prob.ndim == 1:
        y_prob = np.stack([1 - y_prob, y_prob], axis=1)
    eps = np.finfo(y_prob.dtype).eps
    p = np.clip(y_prob, eps, 1 - eps)
    return -np.mean(np.log(p[np.arange(y_true.size), y_true]))
    ### END SOLUTION


def top_k_accuracy(y_true, y_score, k=5):
    r"""The fraction of samples whose true class is among the k highest-scored classes.

    The rank of the true class c of a sample (0 = ranked first) counts the classes ahead
    of it; among equal scores the class with the *larger index* comes first (scikit-learn's
    rule, from its reversed stable sort):

    .. math:: \mathrm{rank}_n = \#\{j : s_{nj} > s_{nc}\} + \#\{j > c : s_{nj} = s_{nc}\},
              \qquad \text{top-}k = \frac1N \sum_n [\mathrm{rank}_n < k]

    So on ties top-1 accuracy can differ from :func:`accuracy`, whose argmax takes the
    first maximum; TensorFlow's ``in_top_k`` counts every tied class as inside (§7.4).
    For k ≥ K every sample counts (1.0).

    Args:
        y_true: (N,) integer labels 0..K-1.
        y_score: (N, K) finite scores (probabilities or logits).
        k: a positive integer (Keras's default 5; scikit-learn's 2).
    Returns:
        0-d float64 in [0, 1].

    Derived in: 10_evaluation §5.2
    """
    y_true = check_labels(y_true, "y_true")
    y_score = check_scores(y_score, y_true.shape[0], two_d=True)
    if y_score.ndim != 2:
        raise ValueError(f"y_score must have shape (N, K), one score per class, got {y_score.shape}")
    if y_true.max() >= y_score.shape[1]:
        raise ValueError(f"y_true holds a label {int(y_true.max())}, but y_score has {y_score.shape[1]} columns")
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    ### BEGIN SOLUTION
    true_score = y_score[np.arange(y_true.size), y_true][:, None]
    later = np.arange(y_score.shape[1]) > y_true[:, None]
    rank = np.sum(y_score > true_score, axis=1) + np.sum((y_score == true_score) & later, axis=1)
    return np.mean(rank < k)
    ### END SOLUTION
