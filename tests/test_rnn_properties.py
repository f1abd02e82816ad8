"""dlmath.recurrent without TensorFlow: hand-derived values, BPTT against central differences,
shapes, dtypes, purity and validation, and the chapter's typical mistakes as the learner's checks and
the grader see them. Keras and GradientTape comparisons are in test_rnn_tensorflow.py.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_python
from dlmath import recurrent as rec
from dlmath.calculus import numerical_gradient, relative_error
from grading import demo, editions
from grading.judge import judge_submission
from grading.references import rnn as reference

CHAPTER = "09_rnn"
SETTINGS = settings(max_examples=25, deadline=None)
BLOCKS = {"rnn": 1, "lstm": 4, "gru": 3}


def sig(v):
    return 1 / (1 + math.exp(-v))


def weights(rng, kind, D, H, reset_after=True, scale=0.6):
    k = BLOCKS[kind]
    b_shape = (2, 3 * H) if kind == "gru" and reset_after else (k * H,)
    return rng.normal(0, scale, (D, k * H)), rng.normal(0, scale, (H, k * H)), rng.normal(0, 0.3, b_shape)


def forward(kind, x, h0, c0, W, U, b, reset_after=True):
    """(h_seq, the final states..., cache) of one layer kind."""
    if kind == "rnn":
        return rec.rnn_forward(x, h0, W, U, b)
    if kind == "lstm":
        return rec.lstm_forward(x, h0, c0, W, U, b)
    return rec.gru_forward(x, h0, W, U, b, reset_after)


# ---- hand-derived values -----------------------------------------------------------------------

def test_one_unit_rnn_by_hand():
    x = np.array([[[0.5], [-1.0], [2.0]]])
    h_seq, h_T, cache = rec.rnn_forward(x, np.array([[0.3]]), np.array([[0.8]]), np.array([[-0.5]]), np.array([0.1]))
    h, expected = 0.3, []
    for value in (0.5, -1.0, 2.0):            # h_t = tanh(0.8 x_t − 0.5 h_{t−1} + 0.1)
        h = math.tanh(0.8 * value - 0.5 * h + 0.1)
        expected.append(h)
    np.testing.assert_allclose(h_seq[0, :, 0], expected, rtol=1e-15)
    assert h_T[0, 0] == h_seq[0, -1, 0] and cache["h"] is not None


def test_rnn_without_recurrence_is_a_dense_layer_with_tanh_at_every_step():
    rng = np.random.default_rng(0)
    x, W, b = rng.normal(size=(3, 4, 2)), rng.normal(size=(2, 5)), rng.normal(size=5)
    h_seq, _, _ = rec.rnn_forward(x, rng.normal(size=(3, 5)), W, np.zeros((5, 5)), b)
    np.testing.assert_allclose(h_seq, np.tanh(x @ W + b), rtol=1e-14)


def test_lstm_with_constant_gates_is_a_geometric_series():
    # W = U = 0: every gate is σ(its bias), g = tanh(b_c); c_t = f c_{t−1} + i g, so
    # c_T = f^T c_0 + i g (1 − f^T)/(1 − f) and h_T = o tanh(c_T).
    b = np.array([0.4, 1.5, -0.7, 0.2])
    i, f, g, o = sig(0.4), sig(1.5), math.tanh(-0.7), sig(0.2)
    T, c0 = 7, 0.9
    h_seq, h_T, c_T, cache = rec.lstm_forward(np.zeros((1, T, 2)), None, np.array([[c0]]), np.zeros((2, 4)),
                                              np.zeros((1, 4)), b)
    c_expected = f ** T * c0 + i * g * (1 - f ** T) / (1 - f)
    assert c_T[0, 0] == pytest.approx(c_expected, rel=1e-14)
    assert h_T[0, 0] == pytest.approx(o * math.tanh(c_expected), rel=1e-14)
    np.testing.assert_allclose(cache["gates"][0, 3], [i, f, g, o], rtol=1e-15)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_with_constant_gates_interpolates_geometrically(reset_after):
    # W = U = 0: z = σ(b_z) and the candidate is constant, so h_T = z^T h_0 + (1 − z^T) h̃, with
    # h̃ = tanh(b0_h + r · b1_h) after the product (U = 0 leaves only the bias), tanh(b_h) before it.
    b = np.array([[0.3, -0.2, 0.5], [0.4, 0.1, -0.9]]) if reset_after else np.array([0.7, -0.1, -0.4])
    z_pre = b[:, 0].sum() if reset_after else b[0]
    z = sig(z_pre)
    candidate = math.tanh(0.5 + sig(-0.2 + 0.1) * -0.9) if reset_after else math.tanh(-0.4)
    T, h0 = 6, -0.8
    _, h_T, _ = rec.gru_forward(np.zeros((1, T, 3)), np.array([[h0]]), np.zeros((3, 3)), np.zeros((1, 3)), b, reset_after)
    assert h_T[0, 0] == pytest.approx(z ** T * h0 + (1 - z ** T) * candidate, rel=1e-14)


def test_the_additive_path_gives_the_product_of_the_forget_gates():
    # with U = 0 the cell states form a chain c_t = f_t c_{t−1} + ..., so ∂c_T/∂c_0 = Π f_t (elementwise)
    rng = np.random.default_rng(1)
    W, _, b = weights(rng, "lstm", 2, 3)
    *_, cache = rec.lstm_forward(rng.normal(size=(4, 30, 2)), None, None, W, np.zeros((3, 12)), b)
    _, _, dc0, *_ = rec.lstm_backward(np.zeros((4, 30, 3)), cache, np.ones((4, 3)))
    np.testing.assert_allclose(dc0, np.prod(cache["gates"][:, :, 3:6], axis=1), rtol=1e-13)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_running_a_sequence_in_two_chunks_equals_running_it_at_once(kind):
    rng = np.random.default_rng(2)
    x, h0, c0 = rng.normal(size=(2, 9, 3)), rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    W, U, b = weights(rng, kind, 3, 4)
    whole = forward(kind, x, h0, c0, W, U, b)
    first = forward(kind, x[:, :4], h0, c0, W, U, b)
    states = first[1:-1]                                    # (h_T,) or (h_T, c_T)
    second = forward(kind, x[:, 4:], states[0], states[1] if kind == "lstm" else None, W, U, b)
    np.testing.assert_allclose(np.concatenate([first[0], second[0]], axis=1), whole[0], rtol=1e-14)


# ---- BPTT against central differences ----------------------------------------------------------

def _loss_and_grads(kind, rng, B, T, D, H, reset_after, final_only):
    x, h0, c0 = rng.normal(size=(B, T, D)), rng.normal(0, 0.5, (B, H)), rng.normal(0, 0.5, (B, H))
    W, U, b = weights(rng, kind, D, H, reset_after)
    dh_seq = rng.normal(size=(B, T, H))
    if final_only:
        dh_seq[:, :-1] = 0
    dc_T = rng.normal(size=(B, H)) if kind == "lstm" else None
    values = {"x": x, "h0": h0, "W": W, "U": U, "b": b} | ({"c0": c0} if kind == "lstm" else {})

    def loss():  # L = Σ dh_seq ⊙ h (+ Σ dc_T ⊙ c_T): its direct gradients are dh_seq and dc_T
        out = forward(kind, values["x"], values["h0"], values.get("c0"), values["W"], values["U"], values["b"], reset_after)
        return float(np.sum(dh_seq * out[0]) + (np.sum(dc_T * out[2]) if kind == "lstm" else 0.0))

    cache = forward(kind, x, h0, c0, W, U, b, reset_after)[-1]
    if kind == "rnn":
        grads = dict(zip(["x", "h0", "W", "U", "b"], rec.rnn_backward(dh_seq, cache)))
    elif kind == "lstm":
        grads = dict(zip(["x", "h0", "c0", "W", "U", "b"], rec.lstm_backward(dh_seq, cache, dc_T)))
    else:
        grads = dict(zip(["x", "h0", "W", "U", "b"], rec.gru_backward(dh_seq, cache)))
    return values, loss, grads


@SETTINGS
@given(st.sampled_from(["rnn", "lstm", "gru-after", "gru-before"]), st.integers(1, 3), st.integers(1, 5),
       st.integers(1, 3), st.integers(1, 3), st.booleans(), st.integers(0, 2 ** 31))
def test_bptt_matches_central_differences_for_every_input(variant, B, T, D, H, final_only, seed):
    kind = variant.split("-")[0]
    values, loss, grads = _loss_and_grads(kind, np.random.default_rng(seed), B, T, D, H, variant != "gru-before",
                                          final_only)
    for name, value in values.items():
        assert grads[name].shape == value.shape, name
        numeric = numerical_gradient(lambda _: loss(), value)
        # a gradient that vanished through time (|g| ~ 1e-13) has no meaningful relative error: the central
        # difference's round-off (~1e-11 here) sets an absolute floor instead
        tiny = np.max(np.abs(grads[name] - numeric), initial=0.0) < 1e-9
        assert tiny or relative_error(grads[name], numeric) < 1e-7, name


def test_a_loss_on_the_final_state_only_still_reaches_the_first_input():
    rng = np.random.default_rng(3)
    W, U, b = weights(rng, "rnn", 2, 3)
    _, _, cache = rec.rnn_forward(rng.normal(size=(2, 5, 2)), None, W, U, b)
    dh_seq = np.zeros((2, 5, 3))
    dh_seq[:, -1] = 1.0
    dx = rec.rnn_backward(dh_seq, cache)[0]
    assert np.all(np.abs(dx[:, 0]) > 0)     # BPTT's recurrent term carries it back four steps


# ---- clip_by_global_norm -------------------------------------------------------------------------

GRADS = st.lists(st.tuples(st.integers(1, 4), st.integers(1, 4)), min_size=1, max_size=4)


@SETTINGS
@given(GRADS, st.floats(1e-3, 1e3), st.floats(1e-3, 1e3), st.integers(0, 2 ** 31))
def test_clipping_keeps_direction_and_caps_the_global_norm(shapes, scale, clip_norm, seed):
    rng = np.random.default_rng(seed)
    grads = [rng.normal(0, scale, s) for s in shapes]
    clipped, norm = rec.clip_by_global_norm(grads, clip_norm)
    total = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
    assert float(norm) == pytest.approx(total, rel=1e-12)
    factor = min(1.0, clip_norm / total)                    # one factor for every array
    for c, g in zip(clipped, grads):
        np.testing.assert_allclose(c, g * factor, rtol=1e-12)
    assert math.sqrt(sum(float(np.sum(c * c)) for c in clipped)) <= clip_norm * (1 + 1e-12)


def test_clipping_zeros_and_float32_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clipped, norm = rec.clip_by_global_norm([np.zeros((2, 3)), np.zeros(3)], 1.0)
        assert float(norm) == 0.0 and all(np.array_equal(c, 0 * c) for c in clipped)
        clipped, norm = rec.clip_by_global_norm([np.full(4, 3.0, np.float32)], 1.0)
    assert clipped[0].dtype == np.float32 and np.asarray(norm).dtype == np.float32
    np.testing.assert_allclose(clipped[0], np.full(4, 0.5), rtol=1e-6)   # norm 6 → factor 1/6


def test_clipping_returns_new_arrays_and_leaves_its_inputs_alone():
    grads = [np.ones((2, 2)), np.ones(3)]
    copies = [g.copy() for g in grads]
    clipped, _ = rec.clip_by_global_norm(grads, 100.0)
    for c, g, original in zip(clipped, grads, copies):
        assert c is not g and np.array_equal(g, original)


@pytest.mark.parametrize("grads, clip_norm, error, words", [
    ([], 1.0, TypeError, "non-empty list"),
    (np.ones(3), 1.0, TypeError, "non-empty list"),
    ([np.ones(2)], 0.0, ValueError, "positive"),
    ([np.ones(2)], -1.0, ValueError, "positive"),
    ([np.ones(2)], float("inf"), ValueError, "finite"),
    ([np.ones(2)], True, TypeError, "positive number"),
    ([np.ones(2)], "1", TypeError, "positive number"),
    ([np.array(["a"])], 1.0, TypeError, "real numbers"),
])
def test_clip_rejects_bad_input(grads, clip_norm, error, words):
    with pytest.raises(error, match=words):
        rec.clip_by_global_norm(grads, clip_norm)


# ---- shapes, dtypes, caches, purity -----------------------------------------------------------

CACHE_KEYS = {"rnn": {"x", "h0", "W", "U", "b", "h"}, "lstm": {"x", "h0", "c0", "W", "U", "b", "h", "c", "gates"},
              "gru": {"x", "h0", "W", "U", "b", "h", "gates"}}


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_outputs_and_cache_keep_the_dtype_and_have_keras_shapes(kind, dtype):
    rng = np.random.default_rng(4)
    B, T, D, H = 2, 3, 4, 5
    W, U, b = (v.astype(dtype) for v in weights(rng, kind, D, H))
    out = forward(kind, rng.normal(size=(B, T, D)).astype(dtype), None, None, W, U, b)
    cache = out[-1]
    assert set(cache) == CACHE_KEYS[kind]
    assert out[0].shape == (B, T, H) and all(s.shape == (B, H) for s in out[1:-1])
    assert all(v.dtype == dtype for v in [*out[:-1], *cache.values()])
    np.testing.assert_array_equal(out[1], out[0][:, -1])
    assert np.array_equal(cache["h0"], np.zeros((B, H))) and np.array_equal(cache["h"], out[0])
    if kind != "rnn":
        assert cache["gates"].shape == (B, T, BLOCKS[kind] * H)
    if kind == "lstm":
        np.testing.assert_array_equal(out[2], cache["c"][:, -1])
    dh_seq = rng.normal(size=(B, T, H)).astype(dtype)
    grads = {"rnn": rec.rnn_backward, "lstm": rec.lstm_backward, "gru": rec.gru_backward}[kind](dh_seq, cache)
    expected_shapes = [(B, T, D), (B, H)] + ([(B, H)] if kind == "lstm" else []) + [W.shape, U.shape, b.shape]
    assert [g.shape for g in grads] == expected_shapes
    assert {g.dtype for g in grads} == {np.dtype(dtype)}


def test_integer_inputs_become_float64():
    rng = np.random.default_rng(5)
    W, U, b = weights(rng, "rnn", 2, 3)
    h_seq, _, cache = rec.rnn_forward(np.arange(12).reshape(2, 3, 2), None, W, U, b)
    assert h_seq.dtype == np.float64 and cache["x"].dtype == np.float64


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_forward_and_backward_leave_their_inputs_alone(kind):
    rng = np.random.default_rng(6)
    x, h0, c0 = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 2)), rng.normal(size=(2, 2))
    W, U, b = weights(rng, kind, 3, 2)
    inputs = [x, h0, c0, W, U, b]
    copies = [v.copy() for v in inputs]
    cache = forward(kind, *inputs)[-1]
    stored = {k: v.copy() for k, v in cache.items()}
    dh_seq = rng.normal(size=(2, 4, 2))
    dh_copy = dh_seq.copy()
    {"rnn": rec.rnn_backward, "lstm": rec.lstm_backward, "gru": rec.gru_backward}[kind](dh_seq, cache)
    assert all(np.array_equal(v, c) for v, c in zip(inputs, copies))
    assert np.array_equal(dh_seq, dh_copy) and all(np.array_equal(cache[k], stored[k]) for k in stored)


def test_saturated_states_give_finite_gradients_without_warnings():
    rng = np.random.default_rng(7)
    x = rng.normal(0, 500, (2, 6, 3))                        # pre-activations of hundreds: tanh and σ saturate
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for kind in ["rnn", "lstm", "gru"]:
            W, U, b = weights(rng, kind, 3, 4, scale=3.0)
            cache = forward(kind, x, None, None, W, U, b)[-1]
            grads = {"rnn": rec.rnn_backward, "lstm": rec.lstm_backward, "gru": rec.gru_backward}[kind](
                np.ones((2, 6, 4)), cache)
            assert all(np.all(np.isfinite(g)) for g in grads)


# ---- validation ----------------------------------------------------------------------------------

def _rnn_weights(D=3, H=2):
    return np.ones((D, H)), np.ones((H, H)), np.ones(H)


@pytest.mark.parametrize("call, error, words", [
    (lambda: rec.rnn_forward(np.ones((4, 3)), None, *_rnn_weights()), ValueError, r"\(batch, time, features\).*x\[None\]"),
    (lambda: rec.rnn_forward(np.ones((2, 0, 3)), None, *_rnn_weights()), ValueError, "at least 1"),
    (lambda: rec.rnn_forward(np.ones((2, 4, 5)), None, *_rnn_weights()), ValueError, r"W \(the kernel\) must have shape"),
    (lambda: rec.rnn_forward(np.ones((2, 4, 3)), np.ones((3, 2)), *_rnn_weights()), ValueError, r"h0 must have shape \(batch, units\) = \(2, 2\)"),
    (lambda: rec.rnn_forward(np.ones((2, 4, 3)), None, np.ones((3, 2)), np.ones((2, 3)), np.ones(2)), ValueError, "recurrent kernel"),
    (lambda: rec.rnn_forward(np.ones((2, 4, 3)), None, np.ones((3, 2)), np.ones((2, 2)), np.ones(3)), ValueError, r"b must have shape \(2,\)"),
    (lambda: rec.rnn_forward("x", None, *_rnn_weights()), TypeError, "real numbers"),
    (lambda: rec.lstm_forward(np.ones((2, 4, 3)), None, np.ones((2, 3)), np.ones((3, 8)), np.ones((2, 8)), np.ones(8)),
     ValueError, "c0 must have shape"),
    (lambda: rec.lstm_forward(np.ones((2, 4, 3)), None, None, np.ones((3, 6)), np.ones((2, 6)), np.ones(6)),
     ValueError, r"\(units, 4·units\)"),
    (lambda: rec.gru_forward(np.ones((2, 4, 3)), None, np.ones((3, 6)), np.ones((2, 6)), np.ones(6)),
     ValueError, r"b must have shape \(2, 6\) for gru with reset_after=True"),
    (lambda: rec.gru_forward(np.ones((2, 4, 3)), None, np.ones((3, 6)), np.ones((2, 6)), np.ones((2, 6)), reset_after=False),
     ValueError, r"b must have shape \(6,\) for gru with reset_after=False"),
    (lambda: rec.gru_forward(np.ones((2, 4, 3)), None, np.ones((3, 6)), np.ones((2, 6)), np.ones((2, 6)), reset_after=1),
     TypeError, "reset_after must be True or False"),
])
def test_forward_rejects_bad_input_naming_what_was_expected(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_backward_rejects_a_wrong_cache_or_upstream_gradient():
    rng = np.random.default_rng(8)
    _, _, cache = rec.rnn_forward(rng.normal(size=(2, 3, 2)), None, *weights(rng, "rnn", 2, 4))
    with pytest.raises(TypeError, match="cache must be the dict rnn_forward returned"):
        rec.rnn_backward(np.ones((2, 3, 4)), list(cache.values()))
    with pytest.raises(ValueError, match=r"missing \['h'\]"):
        rec.rnn_backward(np.ones((2, 3, 4)), {k: v for k, v in cache.items() if k != "h"})
    with pytest.raises(ValueError, match=r"dh_seq must have the shape of the states cache\['h'\]"):
        rec.rnn_backward(np.ones((2, 4)), cache)
    *_, lstm_cache = rec.lstm_forward(rng.normal(size=(2, 3, 2)), None, None, *weights(rng, "lstm", 2, 4))
    with pytest.raises(ValueError, match="dc_T must have the shape of the final cell state"):
        rec.lstm_backward(np.ones((2, 3, 4)), lstm_cache, np.ones((2, 3)))
    *_, gru_cache = rec.gru_forward(rng.normal(size=(2, 3, 2)), None, *weights(rng, "gru", 2, 4))
    with pytest.raises(ValueError, match=r"\(2, 3H\) \(reset_after=True\) or \(3H,\)"):
        rec.gru_backward(np.ones((2, 3, 4)), {**gru_cache, "b": np.ones((3, 12))})


# ---- the chapter's mistakes, as the learner and the grader see them -------------------------------

def learner_09(tmp, bodies: dict[str, str] | None = None):
    """A 09_rnn learner folder: every solution in place except ``bodies`` (function → wrong body)."""
    editions.write_student_package(CHAPTER, tmp)
    (tmp / "dlmath" / "recurrent.py").write_text(demo.solved_module("recurrent", bodies, CHAPTER), encoding="utf-8")
    return tmp


def _edit(function, *edits):
    return reference._variant(function, *edits)


MISTAKES = {  # label: (function, wrong body, words the check must print)
    **{f"class {student}": (name, body, None) for student, bodies in reference.CLASS.items()
       for name, body in bodies.items()},
    "h0 ignored": ("rnn_forward", _edit("rnn_forward", ("h = h0\n", "h = np.zeros_like(h0)\n")), "Start the recurrence from h0"),
    "h_T from the first step": ("rnn_forward", _edit("rnn_forward", ("h.copy(), cache", "h_seq[:, 0].copy(), cache")),
                                "h_T is the *final* state"),
    "dW overwritten": ("rnn_backward", _edit("rnn_backward", ("dW += ", "dW = "), ("dU += ", "dU = "), ("db += ", "db = ")),
                       "not accumulated over time"),
    "recurrent term before the tanh derivative": (
        "rnn_backward", _edit("rnn_backward", ("delta = (dh_seq[:, t] + dh_next) * (1 - h[:, t] ** 2)",
                                               "dh = dh_seq[:, t] + dh_next\n    delta = dh * (1 - h[:, t] ** 2)"),
                              ("dh_next = delta @ U.T", "dh_next = dh @ U.T")),
        "through the tanh derivative first"),
    "clip always rescales": ("clip_by_global_norm", _edit("clip_by_global_norm", ("np.maximum(global_norm, clip_norm)", "global_norm")),
                             "never larger than 1"),
    "lstm naive sigmoid": ("lstm_forward", _edit("lstm_forward", ("s = sigmoid(a)", "s = 1 / (1 + np.exp(-a))")),
                           "np.exp overflowed"),
    "gru naive sigmoid": ("gru_forward", _edit("gru_forward", ("zr = sigmoid(xw[:, t, :2 * H] + hp[:, :2 * H])",
                                                               "zr = 1 / (1 + np.exp(-(xw[:, t, :2 * H] + hp[:, :2 * H])))")),
                          "np.exp overflowed"),
    "lstm h = o · c": ("lstm_forward", _edit("lstm_forward", ("h = o * np.tanh(c)", "h = o * c")), "o_t ⊙ tanh(c_t)"),
    "lstm without the cell path": ("lstm_backward", _edit("lstm_backward", ("dc = dc_next + dh", "dc = dh")),
                                   "additive path is missing"),
    "lstm tanh' of c": ("lstm_backward", _edit("lstm_backward", ("(1 - tanh_c ** 2)", "(1 - c[:, t] ** 2)")),
                        "np.tanh(c[:, t])"),
    "lstm BPTT without the recurrent term": ("lstm_backward", _edit("lstm_backward", ("dh = dh_seq[:, t] + dh_next", "dh = dh_seq[:, t]")),
                                             "missing the recurrent term"),
    "gru PyTorch order": ("gru_forward", _edit("gru_forward", ("z, r = zr[:, :H], zr[:, H:]", "r, z = zr[:, :H], zr[:, H:]")),
                          "PyTorch's GRU uses r, z, n"),
    "gru (1 − z) keeps the state": ("gru_forward", _edit("gru_forward", ("h = z * h + (1 - z) * candidate", "h = (1 - z) * h + z * candidate")),
                                    "keep the old state with z"),
    "gru bias outside the reset": ("gru_forward", _edit("gru_forward", (
        "candidate = np.tanh(xw[:, t, 2 * H:] + r * hp[:, 2 * H:])",
        "candidate = np.tanh(xw[:, t, 2 * H:] + r * (h @ U[:, 2 * H:]) + b_rec[2 * H:])")), "inside the reset product"),
    "gru without the direct path": ("gru_backward", _edit("gru_backward", ("dh_prev = dh * z\n", "dh_prev = 0\n")),
                                    "reaches h_t directly"),
    "gru tanh' of the candidate's tanh": ("gru_backward", _edit("gru_backward", ("(1 - candidate ** 2)", "(1 - np.tanh(candidate) ** 2)")),
                                          "1 − tanh(h̃)²"),
}
CLASS_HINTS = {"rnn_U_transposed": "column form", "bptt_no_recurrent_term": "missing the recurrent term",
               "tanh_derivative_of_h_prev": "not the previous state", "clips_each_array": "tf.clip_by_norm",
               "lstm_gate_order_ifog": "CS231n", "forget_bias_in_the_cell": "unit_forget_bias",
               "returns_c_before_h": "h and c are swapped", "lstm_gradients_not_accumulated": "not accumulated over time",
               "gru_reset_before_product": "wrong side of the matrix product",
               "gru_update_gate_convention": "∂h_t/∂z = h_{t−1} − h̃_t"}


@pytest.mark.slow
@pytest.mark.parametrize("label", MISTAKES)
def test_check_names_the_typical_mistake(tmp_path, label):
    name, body, hint = MISTAKES[label]
    hint = hint or CLASS_HINTS[label.removeprefix("class ")]
    done = run_python(["-m", "dlmath", "check", name], learner_09(tmp_path, {name: body}))
    assert done.returncode == 1, done.stdout
    assert f"✗ dlmath.recurrent.{name}" in done.stdout, done.stdout
    assert hint in done.stdout, done.stdout


def test_every_class_student_has_a_hint_words_entry():
    assert set(CLASS_HINTS) == set(reference.CLASS)


@pytest.mark.slow
def test_check_passes_the_solved_chapter(tmp_path):
    done = run_python(["-m", "dlmath", "check", CHAPTER], learner_09(tmp_path))
    assert done.returncode == 0, done.stdout
    assert "7/7 functions pass all their checks" in done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(reference.CLASS))
def test_each_class_mistake_costs_only_its_own_function(tmp_path, student):
    scores = {name: v.score for name, v in judge_submission(CHAPTER, learner_09(tmp_path, reference.CLASS[student])).items()}
    full = {g.name: g.points for g in editions.chapters.get(CHAPTER).graded}
    lost = {name for name in full if scores[name] < full[name]}
    assert lost == reference.EXPECTED_LOSSES[student], scores


@pytest.mark.slow
def test_backward_functions_are_graded_without_the_forward_ones(tmp_path):
    # builds_on is empty: a learner whose forward functions are all stubs loses nothing on the backward ones
    stubs = {name: 'raise NotImplementedError("dlmath.recurrent.%s is not implemented yet")' % name
             for name in ["rnn_forward", "lstm_forward", "gru_forward"]}
    scores = {name: v.score for name, v in judge_submission(CHAPTER, learner_09(tmp_path, stubs)).items()}
    full = {g.name: g.points for g in editions.chapters.get(CHAPTER).graded}
    assert {n for n in full if scores[n] < full[n]} == set(stubs), scores
