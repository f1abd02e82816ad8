"""Import TensorFlow quietly, for fixture generation and the test suite only.

Grading and learner checks never call this: TensorFlow costs ~4 s and ~630 MiB.
"""
from __future__ import annotations

import os


def load():
    """Return the ``tensorflow`` module with its logging and oneDNN banner silenced."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import tensorflow as tf

    return tf


def vjp(tf, forward, z, dout):
    """∂L/∂z for y = forward(z) given dout = ∂L/∂y, by tf.GradientTape, as a NumPy array."""
    z = tf.constant(z)
    with tf.GradientTape() as tape:
        tape.watch(z)
        y = forward(z)
    return tape.gradient(y, z, output_gradients=tf.constant(dout, dtype=z.dtype)).numpy()
