"""Chapter 09_rnn: inputs, Keras references and typical mistakes.

Expected values:

* forward functions — ``keras.layers.SimpleRNN`` / ``LSTM`` / ``GRU`` (``return_sequences=True,
  return_state=True``, weights set with ``set_weights([W, U, b])``, computing in the case's dtype)
  give the states and final states; the cache's extra arrays (LSTM cell states, the activated
  gates) come from the same recurrence written in TensorFlow ops, checked against the layer's
  output before use. A case without an initial state calls the layer without ``initial_state``.
* backward functions — the cache handed to the learner is the one above; the upstream gradient
  ``dh_seq`` (and ``dc_T``) is what a ``tf.GradientTape`` gives for a loss on the layer's outputs:
  a random linear functional Σ dh ⊙ h (+ Σ dc ⊙ c_T), seed 002's model (a Dense layer and an MSE on
  the final state only, so ``dh_seq`` is zero except at the last step), or the seeds' output layer
  y_t = softmax(V h_t + c) with a categorical cross-entropy at every step. The expected result is the
  tape's gradient w.r.t. the input, the initial state(s), ``kernel``, ``recurrent_kernel`` and
  ``bias``. float32 backward cases are computed in float64 and rounded (the cache is an *input*:
  it must be the same on every machine).
* ``clip_by_global_norm`` — ``tf.clip_by_global_norm``.

Mistake outputs are what typical wrong implementations return on the same inputs, written in
NumPy below (each variant is the recurrence with one thing changed), so the checks can name them.
The simulated class (``CLASS``) hands in the solution with one edit per mistake.
"""
from __future__ import annotations

import functools

import numpy as np

from grading.references import _mistakes as mistakes

F64 = {"rtol": 1e-7, "atol": 1e-10}
F32 = {"rtol": 1e-4, "atol": 1e-5}  # FACTS.md: float32 RNN rtol 1e-4; atol for entries near 0

STATE_ORDER = "Keras's order with return_sequences=True, return_state=True"
LSTM_ORDER = ("Keras's LSTM gate order is i, f, c, o: columns [0:H] input gate, [H:2H] forget gate, [2H:3H] "
              "the candidate g = tanh(·), [3H:4H] output gate.")
GRU_ORDER = "Keras's GRU gate order is z, r, h: columns [0:H] update gate, [H:2H] reset gate, [2H:3H] candidate."
OVERFLOW = ("np.exp overflowed: a gate's pre-activation can be in the hundreds. Use `sigmoid` (chapter 03's "
            "dlmath.activations.sigmoid, imported at the top of recurrent.py): it is stable for any input.")

HINTS = {
    "rnn_forward": {
        "returns": ["h_seq", "h_T", "cache"],
        "structure": "Return the tuple (h_seq, h_T, cache): the states h_1..h_T (B, T, H), the final state (B, H) "
                     "and the dict {'x', 'h0', 'W', 'U', 'b', 'h'}.",
        "shape": "h_seq has shape (batch, time, units); x[:, t] is the input at step t, of shape (batch, features), "
                 "and h @ U has shape (batch, units).",
        "values": "h_t = tanh(x_t W + h_{t-1} U + b), starting from h0 (zeros when h0 is None), with the same W, U, "
                  "b at every step; h_seq[:, t] is h_{t+1} (the states after each step, not h0).",
    },
    "rnn_backward": {
        "returns": ["dx", "dh0", "dW", "dU", "db"],
        "structure": "Return the tuple (dx, dh0, dW, dU, db).",
        "values": "Walk t from T−1 down to 0: δ_t = (dh_seq[:, t] + δ_{t+1} Uᵀ) ⊙ (1 − h_t²); dx_t = δ_t Wᵀ; "
                  "add x_tᵀ δ_t to dW, h_{t−1}ᵀ δ_t to dU (h_{−1} = h0), Σ_batch δ_t to db; dh0 = δ_0 Uᵀ.",
    },
    "clip_by_global_norm": {
        "returns": ["clipped", "global_norm"],
        "structure": "Return (clipped, global_norm): a list of arrays shaped like grads, and the norm before clipping.",
        "values": "global_norm = sqrt(Σ_k Σ g_k²) over *all* the arrays together; every array is multiplied by the "
                  "same factor clip_norm / max(global_norm, clip_norm).",
        "dtype": "Keep the gradients' dtype for the arrays and for the norm (float32 grads give a float32 norm).",
    },
    "lstm_forward": {
        "returns": ["h_seq", "h_T", "c_T", "cache"],
        "warning": OVERFLOW, "nonfinite": OVERFLOW,
        "structure": "Return (h_seq, h_T, c_T, cache) — " + STATE_ORDER + " — with cache the dict "
                     "{'x', 'h0', 'c0', 'W', 'U', 'b', 'h', 'c', 'gates'}.",
        "values": LSTM_ORDER + " c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t); cache['gates'] holds the activated "
                               "[i, f, g, o] of every step.",
    },
    "lstm_backward": {
        "returns": ["dx", "dh0", "dc0", "dW", "dU", "db"],
        "structure": "Return the tuple (dx, dh0, dc0, dW, dU, db).",
        "values": "Per step, back in time: dh = dh_seq[:, t] + (δ_{t+1} Uᵀ); dc = dc_next + dh ⊙ o ⊙ (1 − tanh²c_t); "
                  "δ = [dc·g·i(1−i), dc·c_{t−1}·f(1−f), dc·i·(1−g²), dh·tanh(c_t)·o(1−o)] in the i, f, c, o order; "
                  "dc_next = dc ⊙ f; accumulate dW, dU, db over the steps.",
    },
    "gru_forward": {
        "returns": ["h_seq", "h_T", "cache"],
        "warning": OVERFLOW, "nonfinite": OVERFLOW,
        "structure": "Return (h_seq, h_T, cache) — " + STATE_ORDER + " — with cache the dict "
                     "{'x', 'h0', 'W', 'U', 'b', 'h', 'gates'}.",
        "values": GRU_ORDER + " h_t = z ⊙ h_{t−1} + (1 − z) ⊙ h̃; with reset_after=True "
                              "h̃ = tanh(x W_h + b[0]_h + r ⊙ (h U_h + b[1]_h)), with reset_after=False "
                              "h̃ = tanh(x W_h + b_h + (r ⊙ h) U_h).",
    },
    "gru_backward": {
        "returns": ["dx", "dh0", "dW", "dU", "db"],
        "structure": "Return the tuple (dx, dh0, dW, dU, db).",
        "values": "Per step, back in time: h_{t−1} gets dh ⊙ z directly plus the paths through U; "
                  "dz = dh ⊙ (h_{t−1} − h̃), dh̃ = dh ⊙ (1 − z); the mode is cache['b'].ndim == 2 (reset_after=True: "
                  "dr = δ_h ⊙ (h_{t−1} U_h + b[1]_h), the recurrent side gets [δ_z, δ_r, r ⊙ δ_h]).",
    },
}

NO_RECURRENT = ("BPTT is missing the recurrent term: h_t is also used by step t + 1, so its gradient is "
                "dh_seq[:, t] *plus* the gradient flowing back from step t + 1 (δ_{t+1} Uᵀ). Carry it in a variable "
                "(dh_next) from one step to the one before.")
NOT_ACCUMULATED = ("The gradients of W, U and b are not accumulated over time: the same weights are used at every "
                   "step, so their gradient is the *sum* of every step's contribution (dW += ..., not dW = ...).")


# ---- NumPy versions of the layers, right and with one mistake each (for the mistake outputs) -------

def _sigmoid(z):
    return np.exp(-np.logaddexp(0, -z))


def _prev(seq, first, t):
    return seq[:, t - 1] if t > 0 else first


def np_rnn_forward(x, h0, W, U, b, variant=""):
    h = np.zeros_like(h0) if variant == "h0_ignored" else h0
    Ue = U.T if variant == "U_transposed" else U
    hs = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ W + h @ Ue + b)
        hs.append(h)
    h_seq = np.stack(hs, axis=1)
    h_T = h_seq[:, 0] if variant == "first_as_last" else h_seq[:, -1]
    cached = np.concatenate([h0[:, None], h_seq[:, :-1]], axis=1) if variant == "cache_h_prev" else h_seq
    return h_seq, h_T, {"x": x, "h0": h0, "W": W, "U": U, "b": b, "h": cached}


def np_rnn_backward(dh_seq, cache, variant=""):
    x, h0, W, U, b, h = (cache[k] for k in ("x", "h0", "W", "U", "b", "h"))
    dx = np.zeros_like(x)
    dW, dU, db = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)
    dh_next = np.zeros_like(h0)
    dh = dh_next
    for t in reversed(range(x.shape[1])):
        h_prev = _prev(h, h0, t)
        dh = dh_seq[:, t] if variant == "no_recurrent" else dh_seq[:, t] + dh_next
        derivative = {"tanh_prev": 1 - h_prev ** 2, "tanh_twice": 1 - np.tanh(h[:, t]) ** 2}.get(variant, 1 - h[:, t] ** 2)
        delta = dh * derivative
        dx[:, t] = delta @ W.T
        grads = (x[:, t].T @ delta, delta.T @ h_prev if variant == "dU_transposed" else h_prev.T @ delta, delta.sum(axis=0))
        if variant == "overwrite":
            dW, dU, db = grads
        else:
            dW, dU, db = dW + grads[0], dU + grads[1], db + grads[2]
        dh_next = dh @ U.T if variant == "no_derivative_through_time" else delta @ U.T
    dh0 = dh if variant == "dh0_before_U" else dh_next
    return dx, dh0, dW, dU, db


RNN_FORWARD_MISTAKES = [
    ("h0_ignored", "Start the recurrence from h0: only a missing initial state (h0 = None) means zeros."),
    ("U_transposed", "In the row form the recurrent term is h_{t−1} @ U (U has shape (H, H): rows = the previous "
                     "state's units); h @ U.T is the column form's U h."),
    ("first_as_last", "h_T is the *final* state, h_seq[:, -1], not the first."),
    ("cache_h_prev", "cache['h'] must hold the states h_1..h_T that the forward pass produced (h_seq itself); "
                     "h_0 is cache['h0'], and rnn_backward takes h_{t−1} from h[:, t − 1]."),
]
RNN_BACKWARD_MISTAKES = [
    ("no_recurrent", NO_RECURRENT),
    ("overwrite", NOT_ACCUMULATED),
    ("tanh_prev", "The tanh derivative is taken of the wrong quantity: h_t = tanh(a_t), so ∂h_t/∂a_t = 1 − h_t², "
                  "the state *produced* at step t (h[:, t]), not the previous state h_{t−1}."),
    ("tanh_twice", "The tanh derivative is taken of the wrong quantity: the cache holds h_t = tanh(a_t) already, so "
                   "tanh'(a_t) = 1 − h_t²; 1 − tanh(h_t)² applies tanh twice."),
    ("no_derivative_through_time", "The gradient passed back to h_{t−1} is δ_t Uᵀ with δ_t = (∂L/∂h_t) ⊙ (1 − h_t²): "
                                   "it goes through the tanh derivative first, then through U."),
    ("dU_transposed", "dU = Σ_t h_{t−1}ᵀ δ_t (shape (H, H) like U, rows = previous state): you computed its transpose."),
    ("dh0_before_U", "dh0 is what reaches h_0 from the first step: δ_0 Uᵀ, after the tanh derivative and U — not "
                     "the gradient arriving at h_1."),
]


def np_lstm_forward(x, h0, c0, W, U, b, variant=""):
    H = U.shape[0]
    h, c = h0, np.zeros_like(c0) if variant == "c0_ignored" else c0
    hs, cs, gs = [], [], []
    for t in range(x.shape[1]):
        a = x[:, t] @ W + h @ U + b
        blocks = [a[:, k * H:(k + 1) * H] for k in range(4)]
        if variant == "ifog":  # CS231n's order
            i, f, o, g = _sigmoid(blocks[0]), _sigmoid(blocks[1]), _sigmoid(blocks[2]), np.tanh(blocks[3])
        else:
            i, f, g, o = _sigmoid(blocks[0]), _sigmoid(blocks[1]), np.tanh(blocks[2]), _sigmoid(blocks[3])
        if variant == "forget_bias":
            f = _sigmoid(blocks[1] + 1.0)
        c = f * c + i * g
        h = o * (c if variant == "no_tanh_c" else np.tanh(c))
        hs.append(h)
        cs.append(c)
        gs.append(np.concatenate(blocks if variant == "preactivation_gates" else [i, f, g, o], axis=1))
    h_seq, c_seq, gates = (np.stack(v, axis=1) for v in (hs, cs, gs))
    cache = {"x": x, "h0": h0, "c0": c0, "W": W, "U": U, "b": b, "h": h_seq, "c": c_seq, "gates": gates}
    if variant == "h_c_swapped":
        return h_seq, c, h, cache
    return h_seq, h, c, cache


def np_lstm_backward(dh_seq, cache, dc_T, variant=""):
    x, h0, c0, W, U, b, h, c, gates = (cache[k] for k in ("x", "h0", "c0", "W", "U", "b", "h", "c", "gates"))
    H = U.shape[0]
    dx = np.zeros_like(x)
    dW, dU, db = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)
    dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0) if variant == "dc_T_ignored" else dc_T
    for t in reversed(range(x.shape[1])):
        blocks = [gates[:, t, k * H:(k + 1) * H] for k in range(4)]
        if variant == "ifog":
            i, f, o, g = blocks
        else:
            i, f, g, o = blocks
        h_prev, c_prev = _prev(h, h0, t), _prev(c, c0, t)
        tanh_c = np.tanh(c[:, t])
        dh = dh_seq[:, t] if variant == "no_recurrent" else dh_seq[:, t] + dh_next
        derivative = 1 - c[:, t] ** 2 if variant == "tanh_c_wrong" else 1 - tanh_c ** 2
        dc = dh * o * derivative + (0 if variant == "no_cell_path" else dc_next)
        parts = {"i": dc * g * i * (1 - i), "f": dc * (c[:, t] if variant == "df_current_c" else c_prev) * f * (1 - f),
                 "g": dc * i * (1 - g ** 2), "o": dh * tanh_c * o * (1 - o)}
        delta = np.concatenate([parts[k] for k in ("ifog" if variant == "ifog" else "ifgo")], axis=1)
        dx[:, t] = delta @ W.T
        grads = (x[:, t].T @ delta, h_prev.T @ delta, delta.sum(axis=0))
        if variant == "overwrite":
            dW, dU, db = grads
        else:
            dW, dU, db = dW + grads[0], dU + grads[1], db + grads[2]
        dh_next = delta @ U.T
        dc_next = dc * f
    return dx, dh_next, dc_next, dW, dU, db


LSTM_FORWARD_MISTAKES = [
    ("ifog", "Wrong gate order: " + LSTM_ORDER + " (CS231n and some tutorials use i, f, o, g; Keras's weights "
             "put the candidate third.)"),
    ("forget_bias", "Don't add 1 to the forget gate in the cell: Keras's unit_forget_bias=True puts the 1 into the "
                    "*initial values* of b[H:2H]; the forward pass is f = σ(a_f) with the bias it is given. "
                    "(TF1's BasicLSTMCell(forget_bias=1.0) added it in the cell — a different convention.)"),
    ("h_c_swapped", "h and c are swapped in the return: " + STATE_ORDER + " is (h_seq, h_T, c_T) — the hidden "
                    "state first, then the cell state."),
    ("no_tanh_c", "h_t = o_t ⊙ tanh(c_t): the output gate multiplies the *squashed* cell state, not c_t itself."),
    ("c0_ignored", "Start the cell state from c0: only c0 = None means zeros."),
    ("preactivation_gates", "cache['gates'] must hold the *activated* gates [σ(a_i), σ(a_f), tanh(a_c), σ(a_o)] — "
                            "the backward pass needs i, f, g, o themselves — not the pre-activations."),
]
LSTM_BACKWARD_MISTAKES = [
    ("no_recurrent", NO_RECURRENT),
    ("no_cell_path", "The cell state's additive path is missing: c_{t−1} feeds c_t = f_t ⊙ c_{t−1} + ..., so dc at "
                     "step t − 1 receives dc_t ⊙ f_t (and the last step starts from dc_T)."),
    ("overwrite", NOT_ACCUMULATED),
    ("tanh_c_wrong", "The tanh derivative is taken of the wrong quantity: h_t = o ⊙ tanh(c_t), so ∂h_t/∂c_t = "
                     "o ⊙ (1 − tanh²(c_t)) — the cache holds c_t, not tanh(c_t), so square np.tanh(c[:, t])."),
    ("df_current_c", "∂c_t/∂f_t = c_{t−1}, the *previous* cell state (c[:, t − 1], or c0 at t = 0), not c_t."),
    ("ifog", "Wrong gate order: " + LSTM_ORDER + " Read the gates from cache['gates'] and build δ in that order."),
    ("dc_T_ignored", "The last step's cell gradient starts from dc_T (when given), not from zeros."),
]


def np_gru_forward(x, h0, W, U, b, reset_after=True, variant=""):
    H = U.shape[0]
    h = h0
    hs, gs = [], []
    for t in range(x.shape[1]):
        if reset_after:
            b_in = b[0]
            b_rec = np.zeros_like(b[1]) if variant == "recurrent_bias_ignored" else b[1]
        else:
            b_in, b_rec = b, np.zeros_like(b)
        xp, hp = x[:, t] @ W + b_in, h @ U + b_rec
        zi, ri = (1, 0) if variant == "pytorch_order" else (0, 1)
        z = _sigmoid(xp[:, zi * H:(zi + 1) * H] + hp[:, zi * H:(zi + 1) * H])
        r = _sigmoid(xp[:, ri * H:(ri + 1) * H] + hp[:, ri * H:(ri + 1) * H])
        after = reset_after != (variant == "reset_mode_swapped")
        if variant == "bias_outside_reset":
            candidate = np.tanh(xp[:, 2 * H:] + r * (h @ U[:, 2 * H:]) + b_rec[2 * H:])
        elif after:
            candidate = np.tanh(xp[:, 2 * H:] + r * hp[:, 2 * H:])
        else:
            candidate = np.tanh(xp[:, 2 * H:] + (r * h) @ U[:, 2 * H:] + b_rec[2 * H:])
        h = (1 - z) * h + z * candidate if variant == "z_convention" else z * h + (1 - z) * candidate
        hs.append(h)
        gs.append(np.concatenate([z, r, candidate], axis=1))
    h_seq, gates = np.stack(hs, axis=1), np.stack(gs, axis=1)
    return h_seq, h, {"x": x, "h0": h0, "W": W, "U": U, "b": b, "h": h_seq, "gates": gates}


def np_gru_backward(dh_seq, cache, variant=""):
    x, h0, W, U, b, h, gates = (cache[k] for k in ("x", "h0", "W", "U", "b", "h", "gates"))
    H = U.shape[0]
    reset_after = (b.ndim == 2) != (variant == "reset_mode_swapped")
    b_rec = b[1] if b.ndim == 2 else np.zeros(3 * H, b.dtype)
    dx = np.zeros_like(x)
    dW, dU, db = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)
    db_in, db_rec = np.zeros(3 * H, b.dtype), np.zeros(3 * H, b.dtype)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(x.shape[1])):
        z, r, candidate = gates[:, t, :H], gates[:, t, H:2 * H], gates[:, t, 2 * H:]
        h_prev = _prev(h, h0, t)
        dh = dh_seq[:, t] if variant == "no_recurrent" else dh_seq[:, t] + dh_next
        keep, mix = (1 - z, z) if variant == "z_convention" else (z, 1 - z)
        derivative = 1 - np.tanh(candidate) ** 2 if variant == "tanh_twice" else 1 - candidate ** 2
        d_candidate = dh * mix * derivative
        d_z = dh * (candidate - h_prev if variant == "z_convention" else h_prev - candidate) * z * (1 - z)
        dh_prev = 0 if variant == "no_direct_path" else dh * keep
        if reset_after:
            d_r = d_candidate * (h_prev @ U[:, 2 * H:] + b_rec[2 * H:]) * r * (1 - r)
            delta = np.concatenate([d_z, d_r, d_candidate], axis=1)
            delta_rec = np.concatenate([d_z, d_r, d_candidate * r], axis=1)
            grad_U = h_prev.T @ delta_rec
            db_in, db_rec = db_in + delta.sum(axis=0), db_rec + delta_rec.sum(axis=0)
            dh_prev = dh_prev + delta_rec @ U.T
        else:
            dq = d_candidate @ U[:, 2 * H:].T
            d_r = dq * h_prev * r * (1 - r)
            delta = np.concatenate([d_z, d_r, d_candidate], axis=1)
            grad_U = np.concatenate([h_prev.T @ delta[:, :2 * H], (r * h_prev).T @ d_candidate], axis=1)
            db_in = db_in + delta.sum(axis=0)
            dh_prev = dh_prev + delta[:, :2 * H] @ U[:, :2 * H].T + dq * r
        dx[:, t] = delta @ W.T
        if variant == "overwrite":
            dW, dU = x[:, t].T @ delta, grad_U
        else:
            dW, dU = dW + x[:, t].T @ delta, dU + grad_U
        dh_next = dh_prev
    if b.ndim == 2:
        db = np.stack([db_in, db_rec if reset_after else db_in])
    else:
        db = db_in
    return dx, dh_next, dW, dU, db


GRU_FORWARD_MISTAKES = [
    ("pytorch_order", "Wrong gate order: " + GRU_ORDER + " (PyTorch's GRU uses r, z, n.)"),
    ("z_convention", "Keras (and Cho et al.) keep the old state with z: h_t = z ⊙ h_{t−1} + (1 − z) ⊙ h̃_t. "
                     "(1 − z) ⊙ h_{t−1} + z ⊙ h̃_t is another convention, with z meaning the opposite.)"),
    ("reset_mode_swapped", "The reset gate is applied on the wrong side of the matrix product: reset_after=True "
                           "multiplies r into (h U_h + b[1]_h) *after* the product; reset_after=False multiplies it "
                           "into h *before*: (r ⊙ h) U_h."),
    ("bias_outside_reset", "With reset_after=True the recurrent bias of the candidate is inside the reset product: "
                           "r ⊙ (h U_h + b[1]_h), not r ⊙ (h U_h) + b[1]_h."),
    ("recurrent_bias_ignored", "With reset_after=True, b has two rows: b[0] is added to x W and b[1] to h U "
                               "(both, in all three blocks)."),
]
GRU_BACKWARD_MISTAKES = [
    ("no_recurrent", NO_RECURRENT),
    ("no_direct_path", "h_{t−1} also reaches h_t directly, through z ⊙ h_{t−1}: add dh ⊙ z to its gradient, "
                       "besides the paths through U."),
    ("overwrite", NOT_ACCUMULATED),
    ("z_convention", "Keras's GRU keeps the old state with z: h_t = z ⊙ h_{t−1} + (1 − z) ⊙ h̃_t, so "
                     "∂h_t/∂z = h_{t−1} − h̃_t, ∂h_t/∂h̃ = 1 − z and h_{t−1} gets dh ⊙ z directly."),
    ("reset_mode_swapped", "The reset gate's side of the product is read from cache['b']: shape (2, 3H) is "
                           "reset_after=True (r ⊙ (h U_h + b[1]_h)), shape (3H,) is reset_after=False ((r ⊙ h) U_h)."),
    ("tanh_twice", "The tanh derivative is taken of the wrong quantity: the cache holds h̃ = tanh(·) already, so "
                   "the derivative is 1 − h̃², not 1 − tanh(h̃)²."),
]


def np_clip(grads, clip_norm, variant=""):
    norms = [np.sqrt(np.sum(g * g)) for g in grads]
    norm = np.sqrt(sum(n * n for n in norms))
    if variant == "per_tensor":
        return [g * (clip_norm / max(n, clip_norm)) for g, n in zip(grads, norms)], norm
    if variant == "always_scale":
        return [g * (clip_norm / norm) for g in grads], norm
    if variant == "clipped_norm":
        return [g * (clip_norm / max(norm, clip_norm)) for g in grads], min(norm, clip_norm)
    if variant == "sum_of_norms":
        total = sum(norms)
        return [g * (clip_norm / max(total, clip_norm)) for g in grads], total
    if variant == "squared":
        return [g * (clip_norm / max(norm ** 2, clip_norm)) for g in grads], norm ** 2
    return [g * (clip_norm / max(norm, clip_norm)) for g in grads], norm


CLIP_MISTAKES = [
    ("per_tensor", "Each array was clipped by its own norm (that is tf.clip_by_norm): clip_by_global_norm uses one "
                   "norm over all the arrays and one factor for all of them, so the update keeps its direction."),
    ("always_scale", "Below the threshold the gradients come back unchanged: the factor is "
                     "clip_norm / max(global_norm, clip_norm), never larger than 1."),
    ("clipped_norm", "Return the global norm *before* clipping (tf.clip_by_global_norm does, so that it can be "
                     "logged and watched for explosions)."),
    ("sum_of_norms", "The global norm is sqrt(Σ_k ‖g_k‖²) — the norm of all the entries together — not the sum of "
                     "the arrays' norms."),
    ("squared", "The global norm is the square root of the sum of squares."),
]


# ---- TensorFlow references -----------------------------------------------------------------------

def _keras():
    import keras  # after grading.tensorflow_reference.load() has set the logging environment

    return keras


def keras_layer(kind, W, U, b, dtype, reset_after=True):
    """A Keras recurrent layer with the given weights (return_sequences and return_state on)."""
    keras = _keras()
    units = U.shape[0]
    options = {"return_sequences": True, "return_state": True, "dtype": np.dtype(dtype).name}
    if kind == "rnn":
        layer = keras.layers.SimpleRNN(units, **options)
    elif kind == "lstm":
        layer = keras.layers.LSTM(units, **options)
    else:
        layer = keras.layers.GRU(units, reset_after=reset_after, **options)
    layer.build((None, None, W.shape[0]))
    layer.set_weights([W, U, b])
    return layer


def _tf_cache(tf, kind, x, h0, c0, W, U, b, reset_after=True):
    """The recurrence in TensorFlow ops: {'h', and 'c', 'gates' where the layer has them}."""
    sig, tanh = tf.math.sigmoid, tf.math.tanh
    x, W, U, b = (tf.constant(v) for v in (x, W, U, b))
    H = U.shape[0]
    h = tf.constant(h0)
    c = tf.constant(c0) if c0 is not None else None
    hs, cs, gs = [], [], []
    for t in range(x.shape[1]):
        xt = x[:, t]
        if kind == "rnn":
            h = tanh(xt @ W + h @ U + b)
        elif kind == "lstm":
            a = xt @ W + h @ U + b
            i, f, g, o = sig(a[:, :H]), sig(a[:, H:2 * H]), tanh(a[:, 2 * H:3 * H]), sig(a[:, 3 * H:])
            c = f * c + i * g
            h = o * tanh(c)
            cs.append(c)
            gs.append(tf.concat([i, f, g, o], axis=1))
        else:
            if reset_after:
                xp, hp = xt @ W + b[0], h @ U + b[1]
                rec = hp[:, 2 * H:]
            else:
                xp, hp = xt @ W + b, h @ U[:, :2 * H]
            z = sig(xp[:, :H] + hp[:, :H])
            r = sig(xp[:, H:2 * H] + hp[:, H:2 * H])
            candidate = tanh(xp[:, 2 * H:] + (r * rec if reset_after else (r * h) @ U[:, 2 * H:]))
            h = z * h + (1 - z) * candidate
            gs.append(tf.concat([z, r, candidate], axis=1))
        hs.append(h)
    out = {"h": tf.stack(hs, axis=1).numpy()}
    if cs:
        out["c"] = tf.stack(cs, axis=1).numpy()
    if gs:
        out["gates"] = tf.stack(gs, axis=1).numpy()
    return out


def _float_inputs(x, *others):
    dtype = np.result_type(np.asarray(x).dtype if np.asarray(x).dtype.kind == "f" else np.float64,
                           *[o for o in others if o is not None])
    return dtype, [None if v is None else np.asarray(v, dtype) for v in (x, *others)]


def tf_forward(tf, kind, x, h0, c0, W, U, b, reset_after=True):
    """What the forward function must return, by the Keras layer (states) and TF ops (the cache's extras)."""
    dtype, (x, h0, c0, W, U, b) = _float_inputs(x, h0, c0, W, U, b)
    layer = keras_layer(kind, W, U, b, dtype, reset_after)
    states = [h0] + ([c0] if kind == "lstm" else [])
    outputs = layer(tf.constant(x)) if h0 is None else layer(tf.constant(x), initial_state=[tf.constant(s) for s in states])
    outputs = [np.asarray(o) for o in outputs]
    batch, units = x.shape[0], U.shape[0]
    h0 = np.zeros((batch, units), dtype) if h0 is None else h0
    c0 = np.zeros((batch, units), dtype) if kind == "lstm" and c0 is None else c0
    extra = _tf_cache(tf, kind, x, h0, c0, W, U, b, reset_after)
    # the layer and the TF-ops recurrence are the same computation
    np.testing.assert_allclose(extra["h"], outputs[0], rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)
    cache = {"x": x, "h0": h0, **({"c0": c0} if kind == "lstm" else {}), "W": W, "U": U, "b": b, "h": outputs[0]}
    cache.update({k: v for k, v in extra.items() if k != "h"})
    return (*outputs, cache)


def _dense(keras, rng, n_in, n_out, dtype):
    """A keras Dense layer with weights drawn from ``rng`` (not Keras's unseeded initializer: fixtures must repeat)."""
    layer = keras.layers.Dense(n_out, dtype=np.dtype(dtype).name)
    layer.build((None, n_in))
    layer.set_weights([_normal(rng, 1 / np.sqrt(n_in), (n_in, n_out)), _normal(rng, 0.3, n_out)])
    return layer


def tf_backward(tf, kind, x, h0, c0, W, U, b, reset_after, loss, rng):
    """(upstream gradients, cache, expected gradients) for one loss on the layer's outputs, all by TensorFlow.

    ``loss``: "random" (Σ dh ⊙ h_seq, and Σ dc ⊙ c_T for the LSTM), "final" (seed 002's model: a Dense layer
    on the final state — h_T, and c_T for the LSTM — and an MSE), "softmax" (y_t = softmax(V h_t + c) with a
    categorical cross-entropy at every step).

    The upstream gradients (dh_seq, dc_T) are the head's gradients w.r.t. copies of the layer's outputs
    (``tape.gradient`` w.r.t. the c_T that Keras's LSTM returns is not ∂loss/∂c_T alone: it also counts the
    paths from that tensor inside the layer); the expected result is the tape's gradient of the same loss
    through the layer.
    """
    keras = _keras()
    dtype = x.dtype
    layer = keras_layer(kind, W, U, b, dtype, reset_after)
    B, T, H = x.shape[0], x.shape[1], U.shape[0]
    if loss == "random":
        dh, dc = _normal(rng, 1, (B, T, H)), _normal(rng, 1, (B, H))
        head = lambda out, c_T: tf.reduce_sum(out * dh) + (0 if c_T is None else tf.reduce_sum(c_T * dc))  # noqa: E731
    elif loss == "final":
        dense, targets = _dense(keras, rng, H * (2 if kind == "lstm" else 1), 2, dtype), _normal(rng, 1, (B, 2))
        mse = keras.losses.MeanSquaredError(dtype=dtype.name)
        head = lambda out, c_T: mse(targets, dense(out[:, -1] if c_T is None else tf.concat([out[:, -1], c_T], 1)))  # noqa: E731
    else:
        dense, targets = _dense(keras, rng, H, 3, dtype), np.eye(3)[rng.integers(0, 3, (B, T))]
        cce = keras.losses.CategoricalCrossentropy(from_logits=True, dtype=dtype.name)
        head = lambda out, c_T: cce(targets, dense(out))  # noqa: E731
    xt, h0t = tf.constant(x), tf.constant(h0)
    states = [h0t] + ([tf.constant(c0)] if kind == "lstm" else [])
    with tf.GradientTape() as tape:
        tape.watch([xt] + states)
        outputs = layer(xt, initial_state=states)
        value = head(outputs[0], outputs[2] if kind == "lstm" else None)
    cell = layer.cell
    expected = tuple(g.numpy() for g in tape.gradient(value, [xt] + states + [cell.kernel, cell.recurrent_kernel, cell.bias]))
    copies = [tf.constant(outputs[0].numpy())] + ([tf.constant(outputs[2].numpy())] if kind == "lstm" else [])
    with tf.GradientTape() as tape:
        tape.watch(copies)
        value = head(copies[0], copies[1] if kind == "lstm" else None)
    upstream = [g.numpy() for g in tape.gradient(value, copies, unconnected_gradients=tf.UnconnectedGradients.ZERO)]
    *_, cache = tf_forward(tf, kind, x, h0, c0, W, U, b, reset_after)
    return upstream[0], (upstream[1] if kind == "lstm" else None), cache, expected


def tf_clip(tf, grads, clip_norm):
    clipped, norm = tf.clip_by_global_norm([tf.constant(g) for g in grads], clip_norm)
    return [c.numpy() for c in clipped], np.asarray(norm.numpy())


# ---- inputs --------------------------------------------------------------------------------------

BLOCKS = {"rnn": 1, "lstm": 4, "gru": 3}


def _normal(rng, scale, shape):
    """Random inputs with 3 decimals: exact in float64 and short in the fixtures' JSON."""
    return np.round(rng.normal(0, scale, shape), 3)


def _weights(rng, kind, D, H, scale=1.0, reset_after=True, forget_bias=False):
    k = BLOCKS[kind]
    W = _normal(rng, 0.6, (D, k * H))
    U = _normal(rng, scale / np.sqrt(H), (H, k * H))
    b = _normal(rng, 0.3, (2, k * H) if kind == "gru" and reset_after else k * H)
    if forget_bias and kind == "lstm":  # Keras's unit_forget_bias: the forget gate's bias starts at 1
        b[H:2 * H] = 1.0
    return W, U, b


# Fixture size: every mistake output of a forward case repeats the whole result, cache included, so mistakes
# are stored on the cases a learner's first failure meets (the first one, and the first of each GRU mode);
# the other cases are small, and long sequences have one unit or feature too few to matter.

def _sequence_inputs(rng, kind, audience):
    """(label, x, h0, c0, W, U, b, reset_after, with_mistakes) for a forward function."""
    def seq(label, B, T, D, H, initial=True, dtype=np.float64, scale=1.0, reset_after=True, integer=False,
            forget_bias=False, mistakes=False, x_scale=1.0):
        x = np.round(rng.normal(0, 1.5, (B, T, D))).astype(np.int64) if integer else _normal(rng, x_scale, (B, T, D))
        h0 = _normal(rng, 0.5, (B, H)) if initial else None
        c0 = _normal(rng, 1.0, (B, H)) if initial and kind == "lstm" else None
        W, U, b = _weights(rng, kind, D, H, scale, reset_after, forget_bias)
        cast = lambda v: None if v is None else v.astype(dtype)  # noqa: E731
        return (label, x if integer else cast(x), cast(h0), cast(c0), cast(W), cast(U), cast(b), reset_after, mistakes)

    gru = kind == "gru"
    inputs = [seq("batch 2, 3 steps, 2 features → 2 units, from initial states", 2, 3, 2, 2, mistakes=True)]
    if gru:
        inputs += [seq("reset_after=False (Cho et al. 2014), from an initial state", 2, 3, 2, 2, reset_after=False,
                       mistakes=True)]
    inputs += [
        seq("no initial state (None): the states start at zeros, Keras's default", 2, 3, 2, 3, initial=False),
        seq("a single step, T = 1", 3, 1, 2, 2),
        seq("float32 keeps float32", 2, 3, 2, 2, dtype=np.float32),
        seq("integer inputs x become float64", 2, 2, 2, 2, initial=False, integer=True),
        seq("a long sequence, T = 25, recurrent weights large enough to saturate", 1, 25, 1, 2, scale=2.5,
            forget_bias=True),
        seq("extreme inputs: pre-activations in the thousands, every gate saturated (stability)", 2, 3, 2, 2,
            x_scale=3000.0),
    ]
    if gru:
        inputs += [seq("reset_after=False, no initial state", 2, 2, 2, 2, initial=False, reset_after=False)]
    if audience == "hidden":
        inputs += [
            seq("a batch of one, 4 steps, 3 features → 3 units", 1, 4, 3, 3),
            seq("more units than features, 2 → 4 units, 5 steps", 3, 5, 2, 4),
            seq("float32, no initial state" + (" (reset_after=False)" if gru else ""), 2, 3, 2, 2, initial=False,
                dtype=np.float32, reset_after=not gru),
            seq("a single step, no initial state", 2, 1, 3, 2, initial=False),
            seq("integer inputs, from initial states", 2, 3, 2, 2, integer=True),
            seq("a long sequence, T = 40, small recurrent weights", 1, 40, 1, 2, scale=0.3),
            seq("one feature, one unit", 3, 5, 1, 1),
            seq("extreme inputs of ±5000, from initial states" + (" (reset_after=False)" if gru else ""), 2, 4, 2, 3,
                x_scale=5000.0, reset_after=not gru),
        ]
        if gru:
            inputs += [seq("reset_after=False, 4 steps, 3 → 3 units", 2, 4, 3, 3, reset_after=False),
                       seq("reset_after=False, float32, from an initial state", 2, 3, 2, 2, dtype=np.float32,
                           reset_after=False)]
    return inputs


def _backward_inputs(rng, kind, audience):
    """(label, x, h0, c0, W, U, b, reset_after, loss, dtype, with_mistakes) for a backward function."""
    def seq(label, B, T, D, H, loss, initial=True, dtype=np.float64, scale=1.0, reset_after=True, mistakes=False):
        x = _normal(rng, 1, (B, T, D))
        h0 = _normal(rng, 0.5, (B, H)) if initial else np.zeros((B, H))
        c0 = (_normal(rng, 1.0, (B, H)) if initial else np.zeros((B, H))) if kind == "lstm" else None
        W, U, b = _weights(rng, kind, D, H, scale, reset_after)
        return (label, x, h0, c0, W, U, b, reset_after, loss, dtype, mistakes)

    gru = kind == "gru"
    final = ("seed 002's model: a Dense layer and an MSE on the final state only (h_T"
             + (" and c_T" if kind == "lstm" else "") + ")")
    inputs = [seq("random upstream gradients" + (" for h_seq and c_T" if kind == "lstm" else "") + ", batch 2, 3 steps",
                  2, 3, 2, 2, "random", mistakes=True)]
    if gru:
        inputs += [seq("reset_after=False, random upstream gradients", 2, 3, 2, 2, "random", reset_after=False,
                       mistakes=True)]
    inputs += [
        seq(final + ": dh_seq is zero except at the last step", 2, 4, 2, 2, "final", mistakes=True),
        seq(("reset_after=False, " if gru else "") + "the seeds' output layer y_t = softmax(V h_t + c), "
            "cross-entropy at every step", 2, 3, 2, 3, "softmax", reset_after=not gru),
        seq("initial states of zeros (no initial state given to forward)", 2, 3, 2, 2, "random", initial=False),
        seq("float32 keeps float32", 2, 3, 2, 2, "random", dtype=np.float32),
        seq("a single step, T = 1", 3, 1, 2, 2, "random"),
        seq("a long sequence, T = 20, loss on the final state only", 1, 20, 1, 2, "final", scale=1.5),
    ]
    if audience == "hidden":
        inputs += [
            seq("a batch of one, 5 steps, random upstream gradients", 1, 5, 3, 3, "random"),
            seq(final + ", 2 → 4 units, 5 steps", 3, 5, 2, 4, "final"),
            seq("softmax output at every step, 4 steps", 2, 4, 2, 2, "softmax"),
            seq(("reset_after=False, " if gru else "") + "float32, final state only", 2, 3, 2, 2, "final",
                dtype=np.float32, reset_after=not gru),
            seq("a single step, zero initial states", 2, 1, 3, 2, "random", initial=False),
            seq("a long sequence, T = 30, small recurrent weights (vanishing)", 1, 30, 1, 2, "final", scale=0.4),
            seq("one feature, one unit", 3, 5, 1, 1, "random"),
        ]
        if gru:
            inputs += [seq("reset_after=False, final state only, 4 steps", 2, 4, 3, 3, "final", reset_after=False),
                       seq("reset_after=False, zero initial state", 2, 3, 2, 2, "random", initial=False,
                           reset_after=False)]
    return inputs


def _clip_inputs(rng, audience):
    """(label, grads, clip_norm)."""
    def grads(scale=1.0, shapes=((3, 4), (4, 4), (4,)), dtype=np.float64):
        return [(_normal(rng, 1, s) * scale).astype(dtype) for s in shapes]

    at_threshold = grads()
    at_threshold_norm = float(np.sqrt(sum(np.sum(g * g) for g in at_threshold)))
    inputs = [
        ("[dW, dU, db] above the threshold (global norm ≈ 25, clip_norm = 5)", grads(4.0), 5.0),
        ("below the threshold: returned unchanged (clip_norm = 100)", grads(), 100.0),
        ("exactly at the threshold", at_threshold, at_threshold_norm),
        ("all zeros: norm 0, nothing to clip (no division by zero)", [np.zeros((2, 3)), np.zeros(3)], 1.0),
        ("float32 keeps float32", grads(3.0, dtype=np.float32), 2.0),
        ("a single array in a tuple", (_normal(rng, 2, (5, 2)),), 1.0),
        ("exploding gradients of size 1e6", grads(1e6, ((2, 3), (3,))), 1.0),
        ("a 0-d gradient (a scalar parameter's) among arrays", [np.array(-2.0), _normal(rng, 1, (2, 2))], 1.0),
        ("integer gradients become float64", [np.array([[3, -1], [0, 2]]), np.array([4])], 2.0),
    ]
    if audience == "hidden":
        inputs += [
            ("an LSTM's [dW, dU, db], above the threshold", grads(2.0, ((3, 8), (2, 8), (8,))), 3.0),
            ("below the threshold, float32", grads(0.1, dtype=np.float32), 10.0),
            ("one huge array among small ones", [_normal(rng, 1, (4, 4)) * 0.01, _normal(rng, 50, 3)], 1.0),
            ("integer gradients become float64", [np.arange(6).reshape(2, 3), np.array([1, -2])], 2.0),
            ("a 0-d gradient and a vector", [np.array(3.0), np.array([4.0, 0.0])], 2.5),
            ("zeros, float32", [np.zeros(4, np.float32)], 0.5),
            ("a list of one array above the threshold", [_normal(rng, 5, (3, 3))], 1.5),
            ("tiny gradients, clip_norm = 1e-3", grads(1e-5), 1e-3),
        ]
    return inputs


# ---- comparison helpers ----------------------------------------------------------------------------

def _leaves(value):
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, (tuple, list)):
        return [leaf for v in value for leaf in _leaves(v)]
    return [np.asarray(value)]


def _differs(output, expected, tolerance) -> bool:
    a, b = _leaves(output), _leaves(expected)
    if len(a) != len(b) or any(x.shape != y.shape for x, y in zip(a, b)):
        return True
    return not all(np.allclose(x, y, **tolerance) for x, y in zip(a, b))


def _cast(value, dtype):
    if isinstance(value, dict):
        return {k: _cast(v, dtype) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_cast(v, dtype) for v in value)
    if isinstance(value, list):
        return [_cast(v, dtype) for v in value]
    return np.asarray(value, dtype)


def _mistakes(candidates, expected, tolerance, dtype):
    """The candidates that differ from the expected result (and from each other), as case mistakes."""
    found = []
    with np.errstate(all="ignore"):
        for hint, compute in candidates:
            output = _cast(compute(), dtype)
            if not all(np.all(np.isfinite(v)) for v in _leaves(output)):
                continue
            if _differs(output, expected, tolerance) and not any(
                    not _differs(output, m["output"], {"rtol": 1e-6, "atol": 1e-9}) for m in found):
                found.append({"hint": hint, "output": output})
    return found


def _agrees(ours, expected, tolerance):
    """The NumPy versions above (no variant) must reproduce TensorFlow, or the mistake outputs mean nothing."""
    if _differs(_cast(ours, _leaves(expected)[0].dtype), expected, tolerance):
        raise AssertionError("the reference's NumPy recurrence disagrees with TensorFlow: fix it before using its mistakes")


def _tolerance(dtype):
    return F32 if dtype == np.float32 else F64


# ---- cases ---------------------------------------------------------------------------------------

def _forward_cases(tf, rng, kind, audience):
    name = f"{kind}_forward"
    mistakes = {"rnn": RNN_FORWARD_MISTAKES, "lstm": LSTM_FORWARD_MISTAKES, "gru": GRU_FORWARD_MISTAKES}[kind]
    out = []
    for label, x, h0, c0, W, U, b, reset_after, with_mistakes in _sequence_inputs(rng, kind, audience):
        expected = tf_forward(tf, kind, x, h0, c0, W, U, b, reset_after)
        cache = expected[-1]
        dtype = cache["x"].dtype
        tolerance = _tolerance(dtype)
        xs, h0s, c0s = cache["x"], cache["h0"], cache.get("c0")
        if kind == "rnn":
            args, kwargs = [x, h0, W, U, b], {}
            run = lambda v: np_rnn_forward(xs, h0s, W, U, b, v)  # noqa: E731
        elif kind == "lstm":
            args, kwargs = [x, h0, c0, W, U, b], {}
            run = lambda v: np_lstm_forward(xs, h0s, c0s, W, U, b, v)  # noqa: E731
        else:
            args, kwargs = [x, h0, W, U, b], ({} if reset_after else {"reset_after": False})
            run = lambda v: np_gru_forward(xs, h0s, W, U, b, reset_after, v)  # noqa: E731
        _agrees(run(""), expected, tolerance)
        candidates = [(hint, (lambda v=variant: run(v))) for variant, hint in mistakes] if with_mistakes else []
        out.append({"name": label, "args": args, "kwargs": kwargs, "expected": expected, **tolerance,
                    "mistakes": _mistakes(candidates, expected, tolerance, dtype)})
    return name, out


def _backward_cases(tf, rng, kind, audience):
    name = f"{kind}_backward"
    mistakes = {"rnn": RNN_BACKWARD_MISTAKES, "lstm": LSTM_BACKWARD_MISTAKES, "gru": GRU_BACKWARD_MISTAKES}[kind]
    out = []
    for label, x, h0, c0, W, U, b, reset_after, loss, dtype, with_mistakes in _backward_inputs(rng, kind, audience):
        # always computed in float64; a float32 case gets the rounded inputs and results
        dh_seq, dc_T, cache, expected = _cast(tf_backward(tf, kind, x, h0, c0, W, U, b, reset_after, loss, rng), dtype)
        tolerance = _tolerance(dtype)
        if kind == "lstm":
            args = [dh_seq, cache] + ([dc_T] if loss != "softmax" else [])
            dc = dc_T if loss != "softmax" else np.zeros_like(dc_T)
            run = lambda v: np_lstm_backward(dh_seq, cache, dc, v)  # noqa: E731
        elif kind == "rnn":
            args = [dh_seq, cache]
            run = lambda v: np_rnn_backward(dh_seq, cache, v)  # noqa: E731
        else:
            args = [dh_seq, cache]
            run = lambda v: np_gru_backward(dh_seq, cache, v)  # noqa: E731
        _agrees(run(""), expected, tolerance)
        candidates = [(hint, (lambda v=variant: run(v))) for variant, hint in mistakes] if with_mistakes else []
        out.append({"name": label, "args": args, "kwargs": {}, "expected": expected, **tolerance,
                    "mistakes": _mistakes(candidates, expected, tolerance, dtype)})
    return name, out


def _clip_cases(tf, rng, audience):
    out = []
    for label, grads, clip_norm in _clip_inputs(rng, audience):
        dtype = np.result_type(*[np.asarray(g).dtype if np.asarray(g).dtype.kind == "f" else np.float64 for g in grads])
        floats = [np.asarray(g, dtype) for g in grads]
        expected = tuple(tf_clip(tf, floats, clip_norm))
        expected = ([np.asarray(c, dtype) for c in expected[0]], np.asarray(expected[1], dtype))
        tolerance = _tolerance(dtype)
        _agrees(np_clip(floats, clip_norm), expected, tolerance)
        candidates = [(hint, (lambda v=variant: np_clip(floats, clip_norm, v))) for variant, hint in CLIP_MISTAKES]
        out.append({"name": label, "args": [grads, clip_norm], "kwargs": {}, "expected": expected, **tolerance,
                    "mistakes": _mistakes(candidates, expected, tolerance, dtype)})
    return out


ORDER = ["rnn_forward", "rnn_backward", "clip_by_global_norm", "lstm_forward", "lstm_backward",
         "gru_forward", "gru_backward"]


def cases(tf, rng, audience):
    """``{function: [case, ...]}`` for the ``public`` checks or the ``hidden`` grading fixtures."""
    out = {}
    for kind in ("rnn", "lstm", "gru"):
        for build in (_forward_cases, _backward_cases):
            name, items = build(tf, rng, kind, audience)
            out[name] = items
    out["clip_by_global_norm"] = _clip_cases(tf, rng, audience)
    return {name: out[name] for name in ORDER}


# ---- the simulated class (grading/demo.py): one typical mistake each, costing only its own function ----



_variant = functools.partial(mistakes.variant, "recurrent")


def _class():
    return {
        "rnn_U_transposed": {"rnn_forward": _variant("rnn_forward", ("h @ U)", "h @ U.T)"))},
        "bptt_no_recurrent_term": {"rnn_backward": _variant("rnn_backward", ("(dh_seq[:, t] + dh_next)", "dh_seq[:, t]"))},
        "tanh_derivative_of_h_prev": {"rnn_backward": _variant("rnn_backward", ("(1 - h[:, t] ** 2)", "(1 - h_prev ** 2)"))},
        "clips_each_array": {"clip_by_global_norm": _variant(
            "clip_by_global_norm",
            ("return [g * scale for g in grads], global_norm",
             "return [g * (clip_norm / np.maximum(np.sqrt(np.sum(g * g)), clip_norm)) for g in grads], global_norm"))},
        "lstm_gate_order_ifog": {"lstm_forward": _variant(
            "lstm_forward", ("np.tanh(a[:, 2 * H:3 * H]), s[:, 3 * H:]", "np.tanh(a[:, 3 * H:]), s[:, 2 * H:3 * H]"))},
        "forget_bias_in_the_cell": {"lstm_forward": _variant(
            "lstm_forward", ("s[:, H:2 * H],", "sigmoid(a[:, H:2 * H] + 1.0),"))},
        "returns_c_before_h": {"lstm_forward": _variant(
            "lstm_forward", ("return h_seq, h.copy(), c.copy(), cache", "return h_seq, c.copy(), h.copy(), cache"))},
        "lstm_gradients_not_accumulated": {"lstm_backward": _variant(
            "lstm_backward", ("dW += ", "dW = "), ("dU += ", "dU = "), ("db += ", "db = "))},
        "gru_reset_before_product": {"gru_forward": _variant(
            "gru_forward", ("candidate = np.tanh(xw[:, t, 2 * H:] + r * hp[:, 2 * H:])",
                            "candidate = np.tanh(xw[:, t, 2 * H:] + (r * h) @ U[:, 2 * H:] + b_rec[2 * H:])"))},
        "gru_update_gate_convention": {"gru_backward": _variant(
            "gru_backward", ("dh * (1 - z) * (1 - candidate ** 2)", "dh * z * (1 - candidate ** 2)"),
            ("dh * (h_prev - candidate) * z", "dh * (candidate - h_prev) * z"),
            ("dh_prev = dh * z", "dh_prev = dh * (1 - z)"))},
    }


CLASS = _class()
EXPECTED_LOSSES = {student: set(functions) for student, functions in CLASS.items()}
