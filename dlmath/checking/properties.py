"""Properties of a result, for functions whose output is not one fixed array.

Most cases compare a result with the reference value. Some functions have no single right
output: an initializer draws random numbers (``glorot_uniform(shape, rng)`` may draw them in any
order), a shuffle may use any permutation. Their cases carry a *property* instead::

    "check": {"name": "uniform_draws", "params": {"limit": 0.5}}

and are judged by the named function here, which looks at the result (and the case's inputs)
and returns ``(problem, hint)`` — or None when the property holds. The learner's checks and the
grader's judge both call :func:`judge`; the judge does it in its own, trusted process, on the
arrays the sandboxed function returned, so a submission can't make a property pass by
patching this module.

A property function has the signature ``fn(got, args, kwargs, **params)``. It must import
nothing but NumPy and the standard library, and describe a failure the way the other
checks do: what was expected, what came back, and where possible the likely mistake.
"""
from __future__ import annotations

import numpy as np

PROPERTIES: dict = {}


def register(name: str):
    """Decorator: make ``fn`` available to cases as ``{"check": {"name": name, ...}}``."""
    def add(fn):
        if name in PROPERTIES:
            raise ValueError(f"a property named {name!r} exists already")
        PROPERTIES[name] = fn
        return fn
    return add


def judge(check: dict, got, args=(), kwargs=None) -> tuple[str, str] | None:
    """``(problem, hint)`` if ``got`` lacks the property ``check`` names, else None."""
    try:
        function = PROPERTIES[check["name"]]
    except KeyError:
        return f"no property named {check.get('name')!r} (the check data is newer than this dlmath)", ""
    if got is None:
        return "returned None — is a `return` statement missing?", ""
    try:
        return function(got, tuple(args), dict(kwargs or {}), **check.get("params", {}))
    except Exception as error:  # a result of an unexpected kind: say so rather than crash the check
        return f"the result could not be checked ({type(error).__name__}: {error})", ""


def as_float_array(got, what: str = "the result") -> tuple[np.ndarray | None, str]:
    """``got`` as a float array, or (None, problem) for something that is not an array of numbers."""
    if not isinstance(got, np.ndarray):
        return None, f"{what} is a {type(got).__name__}, expected a NumPy array"
    if got.dtype.kind not in "fiu":
        return None, f"{what} has dtype {got.dtype}, expected a float array"
    return got, ""


# ---- properties of chapters' results (each chapter adds its own below its heading) -----------------

# ---- 06_optimizers ----

def _float_draws(got, what):
    array, problem = as_float_array(got, what)
    if array is None:
        return None, problem
    return array, ""


@register("initializer_draws")
def initializer_draws(got, args, kwargs, shape, bound, variance, reach, kurtosis, alternatives, bound_hint, reach_hint):
    """Random weights from an initializer, drawn twice from copies of one generator (driver ``draw_twice``).

    Checks, in order: a pair of float64 arrays of ``shape``; every draw within ``±bound``; the largest
    ``|w|`` at least ``reach · bound`` (the distribution fills its range); the mean within 6 standard
    errors of 0 and the variance within 6 standard errors of ``variance`` (the standard error of the
    sample variance from the distribution's ``kurtosis``); a wrong variance is matched against
    ``alternatives`` ([variance, hint], the typical mistakes); and the second draw equal to the first
    (the draws come from the generator passed in, nothing else).
    """
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return f"the driver expected your draws twice, got a {type(got).__name__}", ""
    draws, problem = _float_draws(got[0], "your result")
    if draws is None:
        return problem, "Return the array of draws (e.g. rng.uniform(-limit, limit, shape))."
    if draws.shape != tuple(shape):
        return f"returned shape {draws.shape}, expected {tuple(shape)}", "Draw exactly `shape` numbers: pass shape to the generator."
    if draws.dtype != np.float64:
        return f"returned dtype {draws.dtype}, expected float64", "Return the generator's float64 draws."
    if not np.all(np.isfinite(draws)):
        return "the draws contain NaN or inf", ""
    n, largest = draws.size, float(np.max(np.abs(draws)))
    observed = float(np.mean(draws * draws))

    def spread(v):  # six standard errors of the mean of n squared draws with variance v
        return 6 * np.sqrt((kurtosis - 1) / n) * v

    # a known mistake's variance names it, whichever check below notices it first
    known = next((hint for other, hint in alternatives if abs(observed - other) <= spread(other)), "")
    if largest > bound * (1 + 1e-12):
        outside = int(np.sum(np.abs(draws) > bound * (1 + 1e-12)))
        return (f"{outside} of {n} draws lie outside ±{bound:.6g} (largest |w| = {largest:.6g})", known or bound_hint)
    if largest < reach * bound:
        return (f"the largest |w| is {largest:.6g}, but {n} draws from this distribution reach at least "
                f"{reach * bound:.6g} (the bound is ±{bound:.6g})", known or reach_hint)
    mean = float(np.mean(draws))
    if abs(mean) > 6 * np.sqrt(variance / n):
        return (f"the draws have mean {mean:.4g}, expected 0 (±{6 * np.sqrt(variance / n):.2g} for {n} draws)",
                "The distribution is symmetric around 0: U(−limit, limit) or a normal with mean 0.")
    if abs(observed - variance) > spread(variance):
        return (f"the draws have variance {observed:.6g}, expected {variance:.6g} (±{spread(variance):.2g} for {n} "
                f"draws; ratio {observed / variance:.3f})", known)
    again, problem = _float_draws(got[1], "your second result")
    if again is None or again.shape != draws.shape or not np.array_equal(again, draws):
        return ("two calls with generators in the same state gave different draws",
                "Draw every number from the `rng` argument (rng.uniform, rng.normal, truncated_normal(..., rng)), "
                "not from np.random or a generator of your own: the caller's seed must decide the weights.")
    return None


def _epoch_order(epoch, x, y, batch_size, which):
    """The example indices of one epoch in batch order, or (None, (problem, hint))."""
    n = x.shape[0]
    if not isinstance(epoch, (list, tuple)):
        return None, (f"{which}: returned a {type(epoch).__name__}, expected a list of (x_batch, y_batch) pairs", "")
    expected_batches = -(-n // batch_size)
    if len(epoch) != expected_batches:
        hint = ("Keep the last, smaller batch: range(0, n, batch_size) covers every example."
                if len(epoch) == expected_batches - 1 and n % batch_size else "")
        return None, (f"{which}: {len(epoch)} batches, expected ⌈{n}/{batch_size}⌉ = {expected_batches}", hint)
    rows = {x[i].tobytes(): i for i in range(n)}
    order = []
    for k, pair in enumerate(epoch):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            return None, (f"{which}: batch {k} is not an (x_batch, y_batch) pair", "")
        xb, yb = (np.asarray(part) for part in pair)
        size = min(batch_size, n - k * batch_size)
        if xb.shape != (size,) + x.shape[1:] or yb.shape != (size,) + y.shape[1:]:
            return None, (f"{which}: batch {k} has shapes {xb.shape} and {yb.shape}, expected "
                          f"{(size,) + x.shape[1:]} and {(size,) + y.shape[1:]}",
                          "Every batch has batch_size examples except the last, which holds the rest.")
        if xb.dtype != x.dtype or yb.dtype != y.dtype:
            return None, (f"{which}: batch {k} has dtypes {xb.dtype} and {yb.dtype}, expected {x.dtype} and {y.dtype}",
                          "Index the arrays (x[indices]); don't convert them.")
        for j in range(size):
            index = rows.get(xb[j].tobytes())
            if index is None:
                return None, (f"{which}: batch {k} row {j} is not a row of x", "Batches hold rows of x, unchanged.")
            if not np.array_equal(yb[j], y[index]):
                return None, (f"{which}: batch {k} row {j} is x[{index}] but its target is not y[{index}]",
                              "Shuffle x and y with the *same* permutation: x[order[...]], y[order[...]].")
            order.append(index)
    if len(set(order)) != n:
        repeated = n - len(set(order))
        return None, (f"{which}: {repeated} examples appear more than once and as many never",
                      "An epoch visits every example exactly once: cut one permutation (rng.permutation(n)) into "
                      "batches; don't draw indices with replacement.")
    return order, None


CHANCE_FREE = 8


@register("minibatch_epochs")
def minibatch_epochs(got, args, kwargs):
    """Three epochs from ``three_epochs``: each a partition of the examples into batches of ``batch_size``
    (the last one smaller), rows of x paired with their y; shuffled; a new order in the second epoch; the
    first order again from a copy of the generator."""
    x, y, batch_size = np.asarray(args[0]), np.asarray(args[1]), int(args[2])
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        return f"the driver expected three epochs, got a {type(got).__name__}", ""
    orders = []
    for which, epoch in zip(("epoch 1", "epoch 2", "epoch 1 again"), got):
        order, problem = _epoch_order(epoch, x, y, batch_size, which)
        if problem:
            return problem
        orders.append(order)
    n = x.shape[0]
    # a fair shuffle of n examples keeps their order (or repeats the last epoch's) with chance 1/n!: judged
    # only from 8 examples on (1 in 40 320), so that a correct function is never failed for bad luck
    if n >= CHANCE_FREE and orders[0] == list(range(n)):
        return ("the examples come in their original order",
                "Shuffle each epoch: order = rng.permutation(len(x)), then cut order into batches.")
    if orders[2] != orders[0]:
        return ("two calls with generators in the same state gave different orders",
                "Draw the permutation from the `rng` argument, not from np.random or a generator of your own.")
    if n >= CHANCE_FREE and orders[1] == orders[0]:
        return ("the second epoch repeats the first one's order",
                "Each epoch needs a new order: draw it from rng on every call (don't re-seed or cache it).")
    return None


# ---- 07_regularization ----


# ---- 08_cnn ----


# ---- 09_rnn ----


# ---- 10_evaluation ----


# ---- 11_capstone ----
