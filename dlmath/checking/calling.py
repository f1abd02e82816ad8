"""Run a learner's function on one case inside this process, safely.

Captures NumPy warnings and anything written to stderr (a notebook cell that
writes to stderr loses its points under nbgrader), stops a call that runs too
long (SIGALRM, where available), and hands the function copies of its inputs
so an in-place edit is detected instead of corrupting the case.
"""
from __future__ import annotations

import contextlib
import io
import signal
import threading
import warnings

import numpy as np

from dlmath.checking import arrays, callables
from dlmath.checking.cases import Case
from dlmath.checking.compare import Outcome


GRADING_CPU_SECONDS = 2   # hidden grading: CPU seconds one function gets for all its cases (grading.sandbox)
SLOW_CPU_SECONDS = 0.5    # public checks slower than this in total are flagged: the hidden ones are more


class TimeLimitExceeded(BaseException):
    """Raised inside a call that ran past its time limit (a BaseException, so `except Exception` can't swallow it)."""


@contextlib.contextmanager
def time_limit(seconds: float):
    """Interrupt the body after ``seconds`` (main thread on Unix only; elsewhere no limit)."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable or not seconds:
        yield
        return

    def on_alarm(signum, frame):
        raise TimeLimitExceeded(f"{seconds:g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def prepared_arguments(case: Case, resolve=callables.resolve) -> tuple[tuple, dict]:
    """Fresh copies of the case's inputs (so an in-place edit can't corrupt the case), functions resolved."""
    def prepare(leaf):
        if isinstance(leaf, arrays.Named):
            return resolve(leaf.name)
        if isinstance(leaf, arrays.Seed):
            return leaf.generator()
        return leaf.copy() if isinstance(leaf, np.ndarray) else leaf
    return arrays.map_leaves(prepare, tuple(case.args)), arrays.map_leaves(prepare, dict(case.kwargs))


def run_case(function, case: Case, seconds: float = 5.0) -> Outcome:
    """Call ``function(*case.args, **case.kwargs)`` and describe what happened."""
    args, kwargs = prepared_arguments(case)
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("always")
        try:
            with time_limit(seconds):
                value = function(*args, **kwargs)
        except NotImplementedError as error:
            return Outcome("not_implemented", error=str(error))
        except TimeLimitExceeded as error:
            return Outcome("timeout", error=str(error))
        except Exception as error:
            return Outcome("raised", error=f"{type(error).__name__}: {error}")
    if not _unchanged(args, case.args):
        return Outcome("mutated")
    found = tuple(f"{w.category.__name__}: {w.message}" for w in caught)
    return Outcome("ok", value=value, warnings=found)


def _unchanged(used, stored) -> bool:
    """Did the function leave its (array) inputs as the case has them? Functions passed by name are skipped."""
    if isinstance(stored, (arrays.Named, arrays.Seed)):
        return True
    if isinstance(stored, dict):
        return isinstance(used, dict) and used.keys() == stored.keys() and all(
            _unchanged(used[k], stored[k]) for k in stored)
    if isinstance(stored, (tuple, list)):
        return isinstance(used, (tuple, list)) and len(used) == len(stored) and all(
            _unchanged(u, s) for u, s in zip(used, stored))
    if isinstance(stored, np.ndarray):
        return arrays.same(used, stored)
    return True
