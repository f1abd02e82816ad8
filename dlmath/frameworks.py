"""Optional access to TensorFlow for the notebooks' "framework view" sections.

TensorFlow is the course's reference, but it is heavy (~4 s and ~630 MiB to
import) and not needed to learn: a class's student image may not have it, grading
must not pay for it, and a Binder session (~2 GB) must hold several chapters'
kernels at once. So the live view is **opt-in**: :func:`tensorflow` returns the
module only when the learner asked for it — ``dlmath.frameworks.live()`` in the
notebook, or ``DLMATH_TENSORFLOW=1`` in the environment (the test suite sets it) —
and TensorFlow is installed and we are not being graded. Otherwise it returns
None, and a framework-view cell shows, from stored values, what TensorFlow computes.
"""
from __future__ import annotations

import importlib.util
import os

LIVE_ENV = "DLMATH_TENSORFLOW"
_live: bool | None = None  # set by live(); None: the environment decides
_told = False


def live(on: bool = True) -> None:
    """Turn the live framework view on (or off): the next framework-view cell imports TensorFlow."""
    global _live
    _live = on


def wanted() -> bool:
    """Whether the learner asked for the live view."""
    return _live if _live is not None else os.environ.get(LIVE_ENV, "").strip() not in ("", "0")


def tensorflow():
    """Return the ``tensorflow`` module when the live view is on, else None (also when grading or not installed)."""
    global _told
    if os.environ.get("NBGRADER_EXECUTION") == "autograde" or os.environ.get("DLMATH_NO_TENSORFLOW"):
        return None
    if importlib.util.find_spec("tensorflow") is None:
        return None
    if not wanted():
        if not _told:
            _told = True
            print("(TensorFlow's live view is off: importing it costs ~650 MB per open notebook. The stored values "
                  "show what it computes; for the live view run `dlmath.frameworks.live()`, then this cell again.)")
        return None
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import tensorflow as tf

    return tf
