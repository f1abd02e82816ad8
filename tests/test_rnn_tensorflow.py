"""dlmath.recurrent against live Keras and TensorFlow: SimpleRNN, LSTM and GRU (both reset_after modes)
with the same weights, set with ``set_weights([W, U, b])`` and nothing else, in float64 (rtol 1e-10)
and float32; BPTT against ``tf.GradientTape`` through the layers, with and without initial states, for
a random linear loss, a loss on the final state only and a softmax output at every step;
``clip_by_global_norm`` against ``tf.clip_by_global_norm``.
"""
from __future__ import annotations

import numpy as np
import pytest

from dlmath import recurrent as rec
from grading.references import rnn as reference

pytestmark = pytest.mark.tensorflow
RTOL, ATOL = 1e-10, 1e-13
LAYERS = [("rnn", True), ("lstm", True), ("gru", True), ("gru", False)]


def _weights(rng, kind, D, H, reset_after=True, scale=0.7):
    k = reference.BLOCKS[kind]
    b_shape = (2, 3 * H) if kind == "gru" and reset_after else (k * H,)
    return rng.normal(0, scale, (D, k * H)), rng.normal(0, scale, (H, k * H)), rng.normal(0, 0.3, b_shape)


def _ours(kind, x, h0, c0, W, U, b, reset_after):
    if kind == "rnn":
        return rec.rnn_forward(x, h0, W, U, b)
    if kind == "lstm":
        return rec.lstm_forward(x, h0, c0, W, U, b)
    return rec.gru_forward(x, h0, W, U, b, reset_after)


def _keras_outputs(tf, kind, x, h0, c0, W, U, b, reset_after):
    layer = reference.keras_layer(kind, W, U, b, x.dtype, reset_after)
    if h0 is None:
        return [np.asarray(o) for o in layer(tf.constant(x))]
    states = [tf.constant(h0)] + ([tf.constant(c0)] if kind == "lstm" else [])
    return [np.asarray(o) for o in layer(tf.constant(x), initial_state=states)]


def max_relative_difference(ours, theirs) -> float:
    return max(float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-300)) for a, b in zip(ours, theirs))


@pytest.mark.parametrize("kind, reset_after", LAYERS)
@pytest.mark.parametrize("B, T, D, H, initial", [(3, 7, 4, 5, True), (2, 1, 3, 2, True), (4, 6, 2, 3, False),
                                                 (1, 60, 2, 4, True)])
def test_forward_matches_the_keras_layer_with_the_same_weights(tf, kind, reset_after, B, T, D, H, initial):
    rng = np.random.default_rng(B * 100 + T)
    x = rng.normal(size=(B, T, D))
    h0, c0 = (rng.normal(size=(B, H)), rng.normal(size=(B, H))) if initial else (None, None)
    W, U, b = _weights(rng, kind, D, H, reset_after)
    ours = _ours(kind, x, h0, c0, W, U, b, reset_after)
    theirs = _keras_outputs(tf, kind, x, h0, c0, W, U, b, reset_after)
    assert len(ours) - 1 == len(theirs)           # Keras's [output, h_T(, c_T)], then our cache
    for got, want in zip(ours, theirs):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("kind, reset_after", LAYERS)
def test_forward_cache_matches_the_reference_recurrence_in_tensorflow_ops(tf, kind, reset_after):
    rng = np.random.default_rng(11)
    x, h0, c0 = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    W, U, b = _weights(rng, kind, 3, 4, reset_after)
    *_, ours = _ours(kind, x, h0, c0, W, U, b, reset_after)
    *_, theirs = reference.tf_forward(tf, kind, x, h0, c0 if kind == "lstm" else None, W, U, b, reset_after)
    assert set(ours) == set(theirs)
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=RTOL, atol=ATOL, err_msg=key)


@pytest.mark.parametrize("kind, reset_after", LAYERS)
def test_float32_matches_keras_float32(tf, kind, reset_after):
    rng = np.random.default_rng(12)
    x, h0, c0 = (rng.normal(size=s).astype(np.float32) for s in [(3, 8, 4), (3, 5), (3, 5)])
    W, U, b = (v.astype(np.float32) for v in _weights(rng, kind, 4, 5, reset_after))
    ours = _ours(kind, x, h0, c0, W, U, b, reset_after)
    for got, want in zip(ours, _keras_outputs(tf, kind, x, h0, c0, W, U, b, reset_after)):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind, reset_after", LAYERS)
@pytest.mark.parametrize("loss", ["random", "final", "softmax"])
@pytest.mark.parametrize("initial", [True, False])
def test_bptt_matches_gradient_tape_through_the_keras_layer(tf, kind, reset_after, loss, initial):
    rng = np.random.default_rng(13)
    B, T, D, H = 3, 9, 3, 4
    x = rng.normal(size=(B, T, D))
    h0 = rng.normal(size=(B, H)) if initial else np.zeros((B, H))
    c0 = (rng.normal(size=(B, H)) if initial else np.zeros((B, H))) if kind == "lstm" else None
    W, U, b = _weights(rng, kind, D, H, reset_after)
    dh_seq, dc_T, _, expected = reference.tf_backward(tf, kind, x, h0, c0, W, U, b, reset_after, loss, rng)
    if loss == "final":
        assert not np.any(dh_seq[:, :-1]) and np.any(dh_seq[:, -1])
    *_, cache = _ours(kind, x, h0, c0, W, U, b, reset_after)     # our own forward's cache this time
    if kind == "rnn":
        got = rec.rnn_backward(dh_seq, cache)
    elif kind == "lstm":
        got = rec.lstm_backward(dh_seq, cache, dc_T)
    else:
        got = rec.gru_backward(dh_seq, cache)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, rtol=RTOL, atol=ATOL)


def test_the_lstm_direct_cell_gradient_is_not_the_tapes_gradient_of_the_returned_c_T(tf):
    # Why tf_backward takes dc_T from a copy of c_T: the tape's gradient w.r.t. the c_T tensor Keras returns
    # also counts the path from that tensor to h_T inside the layer, so it is not the direct ∂L/∂c_T.
    rng = np.random.default_rng(14)
    W, U, b = _weights(rng, "lstm", 2, 3)
    layer = reference.keras_layer("lstm", W, U, b, np.float64)
    x, dh, dc = rng.normal(size=(2, 4, 2)), rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 3))
    with tf.GradientTape(persistent=True) as tape:
        out, _, c_T = layer(tf.constant(x))
        value = tf.reduce_sum(out * dh) + tf.reduce_sum(c_T * dc)
    _, _, ours_c_T, cache = rec.lstm_forward(x, None, None, W, U, b)
    o_T = cache["gates"][:, -1, 9:12]
    # the tape's answer is the total derivative: dc plus the path c_T → h_T = o_T tanh(c_T) → dh[:, -1]
    np.testing.assert_allclose(tape.gradient(value, c_T).numpy(), dc + dh[:, -1] * o_T * (1 - np.tanh(ours_c_T) ** 2),
                               rtol=1e-12, atol=1e-14)
    assert not np.allclose(tape.gradient(value, c_T).numpy(), dc)
    dh_seq, dc_T, _, _ = reference.tf_backward(tf, "lstm", x, np.zeros((2, 3)), np.zeros((2, 3)), W, U, b, True,
                                               "random", np.random.default_rng(0))
    assert dh_seq.shape == (2, 4, 3) and dc_T.shape == (2, 3)


@pytest.mark.parametrize("shapes, scale, clip_norm", [
    ([(3, 4), (4, 4), (4,)], 4.0, 5.0), ([(3, 4), (4, 4), (4,)], 0.1, 5.0), ([(2, 8)], 1e6, 1.0),
    ([(5,), (), (2, 2, 2)], 1.0, 0.5)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_clip_by_global_norm_matches_tensorflow(tf, shapes, scale, clip_norm, dtype):
    rng = np.random.default_rng(15)
    grads = [rng.normal(0, scale, s).astype(dtype) for s in shapes]
    clipped, norm = rec.clip_by_global_norm(grads, clip_norm)
    tf_clipped, tf_norm = tf.clip_by_global_norm([tf.constant(g) for g in grads], clip_norm)
    rtol = 1e-6 if dtype == np.float32 else 1e-14
    assert np.asarray(norm).dtype == dtype
    np.testing.assert_allclose(norm, tf_norm.numpy(), rtol=rtol)
    for c, t in zip(clipped, tf_clipped):
        assert c.dtype == dtype
        np.testing.assert_allclose(c, t.numpy(), rtol=rtol, atol=0)


def test_clip_of_zero_gradients_matches_tensorflow(tf):
    clipped, norm = rec.clip_by_global_norm([np.zeros((2, 2)), np.zeros(3)], 1.0)
    tf_clipped, tf_norm = tf.clip_by_global_norm([tf.zeros((2, 2), tf.float64), tf.zeros(3, tf.float64)], 1.0)
    assert float(norm) == float(tf_norm) == 0.0
    assert all(np.array_equal(c, t.numpy()) for c, t in zip(clipped, tf_clipped))


def test_the_seed_models_shapes_do_not_match_its_targets(tf, keras):
    # seed 002: SimpleRNN(32) without return_sequences, then Dense(10), trained on targets of shape (B, 10, 10)
    model = keras.Sequential([keras.Input((10, 10)), keras.layers.SimpleRNN(32), keras.layers.Dense(10)])
    x, y = tf.random.uniform((4, 10, 10), seed=1), tf.random.uniform((4, 10, 10), seed=2)
    assert tuple(model(x).shape) == (4, 10)
    with pytest.raises(Exception, match="Incompatible shapes"):
        keras.losses.MeanSquaredError()(y, model(x))


@pytest.mark.parametrize("kind, reset_after", LAYERS)
def test_largest_relative_difference_from_keras_per_layer(tf, kind, reset_after, capsys):
    """The figure the chapter reports: outputs and BPTT gradients of a 32-unit layer on 50 steps."""
    rng = np.random.default_rng(16)
    B, T, D, H = 8, 50, 6, 32
    x, h0, c0 = rng.normal(size=(B, T, D)), rng.normal(0, 0.5, (B, H)), rng.normal(0, 0.5, (B, H))
    W, U, b = _weights(rng, kind, D, H, reset_after, scale=0.3)
    ours = _ours(kind, x, h0, c0 if kind == "lstm" else None, W, U, b, reset_after)
    forward_diff = max_relative_difference(ours[:-1], _keras_outputs(tf, kind, x, h0, c0, W, U, b, reset_after))
    dh_seq, dc_T, _, expected = reference.tf_backward(tf, kind, x, h0, c0 if kind == "lstm" else None, W, U, b,
                                                      reset_after, "random", rng)
    cache = ours[-1]
    got = (rec.rnn_backward(dh_seq, cache) if kind == "rnn" else rec.lstm_backward(dh_seq, cache, dc_T)
           if kind == "lstm" else rec.gru_backward(dh_seq, cache))
    backward_diff = max_relative_difference(got, expected)
    with capsys.disabled():
        print(f"\n{kind}{'' if kind != 'gru' else f' reset_after={reset_after}'}: largest relative difference "
              f"from Keras: forward {forward_diff:.1e}, BPTT {backward_diff:.1e}")
    assert forward_diff < 1e-12 and backward_diff < 1e-10


def test_this_chapters_fixtures_repeat_with_live_tensorflow(tf):
    """Regenerating 09's references gives the stored ones: every input, Dense head included, comes from a seed."""
    from grading.fixtures import generate

    assert generate(["09_rnn"], check=True) == []
