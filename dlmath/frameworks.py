"""Optional access to TensorFlow for the notebooks' "framework view" sections.

TensorFlow is the course's reference, but it is heavy (~4 s and ~630 MiB to
import) and not needed to learn: a class's student image may not have it, and
grading must not pay for it. :func:`tensorflow` returns the module when it is
installed and we are not being graded, and None otherwise, so a framework-view
cell can fall back to describing what TensorFlow computes.
"""
from __future__ import annotations

import importlib.util
import os


def tensorflow():
    """Return the ``tensorflow`` module, or None when grading or when it isn't installed."""
    if os.environ.get("NBGRADER_EXECUTION") == "autograde" or os.environ.get("DLMATH_NO_TENSORFLOW"):
        return None
    if importlib.util.find_spec("tensorflow") is None:
        return None
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import tensorflow as tf

    return tf
