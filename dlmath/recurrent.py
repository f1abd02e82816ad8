r"""Recurrent layers: a plain RNN, LSTM and GRU, forward and backward through time (chapter 09_rnn).

Layout (the one Keras uses, so weights load into ``keras.layers.SimpleRNN``/``LSTM``/``GRU`` with
``layer.set_weights([W, U, b])`` unchanged):

* a batch of sequences ``x`` has shape (batch, time, features) = (B, T, D); row ``x[:, t]`` is
  the input x_t of every sequence at step t;
* a state ``h`` has shape (B, H), H = the number of units;
* ``W`` (the kernel) has shape (D, k·H), ``U`` (the recurrent kernel) (H, k·H), ``b`` (k·H,),
  with k = 1 for the RNN, 4 for the LSTM (gate blocks in the order **i, f, c, o**), 3 for the GRU
  (blocks **z, r, h**); the GRU with ``reset_after=True`` has two bias rows, ``b`` of shape (2, 3H).

The row form h_t = tanh(x_t W + h_{t−1} U + b) is the sources' column form
h_t = f(W' x_t + U' h_{t−1} + b), transposed (W = W'ᵀ, U = U'ᵀ).

Every forward function returns what Keras returns with ``return_sequences=True,
return_state=True`` — the states at every step, then the final state(s) — followed by a
``cache``: a dict of the arrays its backward function needs. The backward functions take
the upstream gradients and that cache only (never the forward function), so they can be
used, and checked, on a cache computed by anyone, TensorFlow included.
"""
from __future__ import annotations

import numbers

import numpy as np

from dlmath._validate import as_float_array
from dlmath.activations import sigmoid

__all__ = ["rnn_forward", "rnn_backward", "clip_by_global_norm",
           "lstm_forward", "lstm_backward", "gru_forward", "gru_backward"]


# ---- validation (given code: not part of any exercise) ---------------------------------------------

def _check_sequence_and_weights(x, h0, W, U, b, blocks: int, bias_rows: int = 1, c0=None, name: str = "rnn"):
    """Validate a forward pass's inputs; return them cast to their common float dtype (h0/c0 zeros if None)."""
    x = as_float_array(x, "x")
    if x.ndim != 3 or 0 in x.shape:
        raise ValueError(f"x must be a batch of sequences of shape (batch, time, features), each at least 1, "
                         f"got shape {x.shape}" + (" (add a batch axis: x[None])" if x.ndim == 2 else ""))
    W, U, b = as_float_array(W, "W"), as_float_array(U, "U"), as_float_array(b, "b")
    batch, _, features = x.shape
    if U.ndim != 2 or U.shape[1] != blocks * U.shape[0] or U.shape[0] == 0:
        raise ValueError(f"U (the recurrent kernel) must have shape (units, {blocks}·units) for {name}, got {U.shape}")
    units = U.shape[0]
    if W.shape != (features, blocks * units):
        raise ValueError(f"W (the kernel) must have shape (features, {blocks}·units) = ({features}, {blocks * units}) "
                         f"to match x of shape {x.shape} and U of shape {U.shape}, got {W.shape}")
    expected_b = (blocks * units,) if bias_rows == 1 else (bias_rows, blocks * units)
    if b.shape != expected_b:
        raise ValueError(f"b must have shape {expected_b} for {name}, got {b.shape}")
    states = []
    for value, label in [(h0, "h0"), (c0, "c0")][:2 if name == "lstm" else 1]:
        if value is not None:
            value = as_float_array(value, label)
            if value.shape != (batch, units):
                raise ValueError(f"{label} must have shape (batch, units) = ({batch}, {units}), got {value.shape}")
        states.append(value)
    dtype = np.result_type(x, W, U, b, *[s for s in states if s is not None])
    states = [np.zeros((batch, units), dtype) if s is None else s.astype(dtype, copy=False) for s in states]
    return (x.astype(dtype, copy=False), *states, W.astype(dtype, copy=False), U.astype(dtype, copy=False),
            b.astype(dtype, copy=False))


def _check_backward(dh_seq, cache, keys: tuple[str, ...], producer: str) -> tuple[np.ndarray, dict]:
    """Validate a backward pass's inputs; return dh_seq and the cache's arrays in their common float dtype."""
    if not isinstance(cache, dict):
        raise TypeError(f"cache must be the dict {producer} returned, got {type(cache).__name__}")
    missing = [k for k in keys if k not in cache]
    if missing:
        raise ValueError(f"cache must hold the keys {list(keys)} ({producer}'s cache), missing {missing}")
    checked = {k: as_float_array(cache[k], f"cache[{k!r}]") for k in keys}
    x, h = checked["x"], checked["h"]
    if x.ndim != 3 or h.ndim != 3 or h.shape[:2] != x.shape[:2] or checked["h0"].shape != (h.shape[0], h.shape[2]):
        raise ValueError(f"cache['x'] must have shape (batch, time, features), cache['h'] (batch, time, units) and "
                         f"cache['h0'] (batch, units); got {x.shape}, {h.shape} and {checked['h0'].shape}")
    dh_seq = as_float_array(dh_seq, "dh_seq")
    if dh_seq.shape != h.shape:
        raise ValueError(f"dh_seq must have the shape of the states cache['h'], (batch, time, units) = {h.shape}, "
                         f"got {dh_seq.shape}")
    dtype = np.result_type(dh_seq, *checked.values())
    return dh_seq.astype(dtype, copy=False), {k: v.astype(dtype, copy=False) for k, v in checked.items()}


# ---- the plain RNN ------------------------------------------------------------------------------------

def rnn_forward(x, h0, W, U, b):
    r"""Forward pass of a plain (Elman) RNN over a batch of sequences, as ``keras.layers.SimpleRNN``.

    .. math:: h_t = \tanh(x_t W + h_{t-1} U + b), \qquad t = 1, \dots, T

    The same W, U and b serve every step (parameter sharing).

    Args:
        x: inputs, shape (batch, time, features) = (B, T, D).
        h0: the initial state h_0, shape (B, H); None means zeros (Keras's default).
        W: kernel, shape (D, H).
        U: recurrent kernel, shape (H, H).
        b: bias, shape (H,).
    Returns:
        ``(h_seq, h_T, cache)``:
        ``h_seq`` the states h_1..h_T, shape (B, T, H) (``return_sequences=True``);
        ``h_T`` the final state, shape (B, H), equal to ``h_seq[:, -1]`` (a copy);
        ``cache`` the dict ``{"x", "h0", "W", "U", "b", "h"}``: the inputs as used (common float
        dtype, h0 as zeros when None) and ``"h"`` = ``h_seq``. :func:`rnn_backward` reads it.

    Derived in: 09_rnn §1.4
    """
    x, h0, W, U, b = _check_sequence_and_weights(x, h0, W, U, b, blocks=1)
    ### BEGIN SOLUTION
    batch, steps, _ = x.shape
    h_seq = np.empty((batch, steps, U.shape[0]), dtype=x.dtype)
    xw = x @ W + b                    # the input projections of every step at once: (B, T, H)
    h = h0
    for t in range(steps):
        h = np.tanh(xw[:, t] + h @ U)
        h_seq[:, t] = h
    cache = {"x": x, "h0": h0, "W": W, "U": U, "b": b, "h": h_seq}
    return h_seq, h.copy(), cache
    ### END SOLUTION


def rnn_backward(dh_seq, cache):
    r"""Backpropagation through time for :func:`rnn_forward`.

    ``dh_seq[:, t]`` is ∂L/∂h_t from the loss *directly* (from an output layer at step t; zero
    where the loss does not look at h_t; a loss on the final state h_T adds to ``dh_seq[:, -1]``).
    Going back in time, each state also receives the gradient from the step that used it:

    .. math::
        \bar h_t = \mathrm{dh\_seq}_t + \delta_{t+1} U^\top, \qquad
        \delta_t = \bar h_t \odot (1 - h_t^2), \\
        dx_t = \delta_t W^\top, \quad
        dW = \sum_t x_t^\top \delta_t, \quad dU = \sum_t h_{t-1}^\top \delta_t, \quad
        db = \sum_t \sum_{\text{batch}} \delta_t, \quad dh_0 = \delta_1 U^\top

    (δ_{T+1} = 0; δ_t = ∂L/∂a_t is the gradient of the pre-activation a_t = x_t W + h_{t−1} U + b.)

    Args:
        dh_seq: ∂L/∂h_t for every step, shape (B, T, H).
        cache: the dict :func:`rnn_forward` returned (``x``, ``h0``, ``W``, ``U``, ``b``, ``h``).
    Returns:
        ``(dx, dh0, dW, dU, db)`` with the shapes of x, h0, W, U and b.

    Derived in: 09_rnn §2.3
    """
    dh_seq, cache = _check_backward(dh_seq, cache, ("x", "h0", "W", "U", "b", "h"), "rnn_forward")
    ### BEGIN SOLUTION
    x, h0, W, U, h = cache["x"], cache["h0"], cache["W"], cache["U"], cache["h"]
    dx = np.empty_like(x, dtype=dh_seq.dtype)
    dW, dU, db = np.zeros_like(W), np.zeros_like(U), np.zeros_like(cache["b"])
    dh_next = np.zeros_like(h0)
    for t in reversed(range(x.shape[1])):
        h_prev = h[:, t - 1] if t > 0 else h0
        delta = (dh_seq[:, t] + dh_next) * (1 - h[:, t] ** 2)
        dx[:, t] = delta @ W.T
        dW += x[:, t].T @ delta
        dU += h_prev.T @ delta
        db += delta.sum(axis=0)
        dh_next = delta @ U.T
    return dx, dh_next, dW, dU, db
    ### END SOLUTION


# ---- gradient clipping ----------------------------------------------------------------------------------

def clip_by_global_norm(grads, clip_norm):
    r"""Rescale a list of gradients so that their global norm is at most ``clip_norm``, as ``tf.clip_by_global_norm``.

    .. math::
        \lVert g \rVert = \sqrt{\textstyle\sum_k \sum_{\text{entries}} g_k^2}, \qquad
        g_k \leftarrow g_k \cdot \frac{\text{clip\_norm}}{\max(\lVert g \rVert, \text{clip\_norm})}

    One factor for all the arrays, so the update keeps its direction; below the threshold the
    gradients come back unchanged (factor 1).

    Args:
        grads: a list (or tuple) of gradient arrays of any shapes, e.g. ``[dW, dU, db]``.
        clip_norm: the largest allowed global norm, a positive number.
    Returns:
        ``(clipped, global_norm)``: ``clipped`` a list of new arrays, shaped like ``grads``;
        ``global_norm`` the norm *before* clipping, a 0-d array (or NumPy scalar) of the
        gradients' float dtype.

    Derived in: 09_rnn §3.3
    """
    if not isinstance(grads, (list, tuple)) or not grads:
        raise TypeError("grads must be a non-empty list of gradient arrays, e.g. [dW, dU, db]")
    if isinstance(clip_norm, (bool, np.bool_)) or not isinstance(clip_norm, numbers.Real):
        raise TypeError(f"clip_norm must be a positive number, got {clip_norm!r}")
    if not np.isfinite(clip_norm) or clip_norm <= 0:
        raise ValueError(f"clip_norm must be a positive finite number, got {clip_norm}")
    grads = [as_float_array(g, f"grads[{k}]") for k, g in enumerate(grads)]
    dtype = np.result_type(*grads)
    grads = [g.astype(dtype, copy=False) for g in grads]
    clip_norm = dtype.type(clip_norm)
    ### BEGIN SOLUTION
    global_norm = np.sqrt(sum(np.sum(g * g) for g in grads))
    scale = clip_norm / np.maximum(global_norm, clip_norm)
    return [g * scale for g in grads], global_norm
    ### END SOLUTION


# ---- LSTM -----------------------------------------------------------------------------------------------

def lstm_forward(x, h0, c0, W, U, b):
    r"""Forward pass of an LSTM over a batch of sequences, as ``keras.layers.LSTM`` (Keras's layout and gate order).

    With the pre-activations a_t = x_t W + h_{t−1} U + b split into four blocks of H columns,
    in Keras's order **i, f, c, o** (input gate, forget gate, candidate, output gate):

    .. math::
        i_t = \sigma(a^{(i)}_t), \quad f_t = \sigma(a^{(f)}_t), \quad
        g_t = \tanh(a^{(c)}_t), \quad o_t = \sigma(a^{(o)}_t), \\
        c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t)

    Args:
        x: inputs, shape (B, T, D).
        h0, c0: initial hidden and cell states, shape (B, H) each; None means zeros.
        W: kernel, shape (D, 4H); U: recurrent kernel, shape (H, 4H); b: bias, shape (4H,) —
            columns ``[0:H]`` for i, ``[H:2H]`` f, ``[2H:3H]`` c, ``[3H:4H]`` o.
    Returns:
        ``(h_seq, h_T, c_T, cache)`` — Keras's ``[output, h_T, c_T]`` order:
        ``h_seq`` the hidden states h_1..h_T, (B, T, H); ``h_T`` and ``c_T`` the final hidden and
        cell states, (B, H) each; ``cache`` the dict ``{"x", "h0", "c0", "W", "U", "b", "h", "c",
        "gates"}``: the inputs as used, ``"h"`` = h_seq, ``"c"`` the cell states c_1..c_T
        (B, T, H), ``"gates"`` the activated gates ``[i, f, g, o]`` concatenated, (B, T, 4H).

    Derived in: 09_rnn §4.2
    """
    x, h0, c0, W, U, b = _check_sequence_and_weights(x, h0, W, U, b, blocks=4, c0=c0, name="lstm")
    ### BEGIN SOLUTION
    batch, steps, _ = x.shape
    H = U.shape[0]
    h_seq = np.empty((batch, steps, H), dtype=x.dtype)
    c_seq = np.empty_like(h_seq)
    gates = np.empty((batch, steps, 4 * H), dtype=x.dtype)
    xw = x @ W + b                    # the input projections of every step at once: (B, T, 4H)
    h, c = h0, c0
    for t in range(steps):
        a = xw[:, t] + h @ U
        s = sigmoid(a)                # the gates i, f, o (σ of the candidate block goes unused)
        i, f, g, o = s[:, :H], s[:, H:2 * H], np.tanh(a[:, 2 * H:3 * H]), s[:, 3 * H:]
        c = f * c + i * g
        h = o * np.tanh(c)
        h_seq[:, t], c_seq[:, t], gates[:, t] = h, c, np.concatenate([i, f, g, o], axis=1)
    cache = {"x": x, "h0": h0, "c0": c0, "W": W, "U": U, "b": b, "h": h_seq, "c": c_seq, "gates": gates}
    return h_seq, h.copy(), c.copy(), cache
    ### END SOLUTION


def lstm_backward(dh_seq, cache, dc_T=None):
    r"""Backpropagation through time for :func:`lstm_forward`.

    Going back in time, with \bar h_t = dh_seq_t + (gradient from step t+1) and \bar c_t the
    gradient of the cell state (``dc_T`` at the last step):

    .. math::
        \bar c_t \mathrel{+}= \bar h_t \odot o_t \odot (1 - \tanh^2 c_t), \qquad
        \bar c_{t-1} = \bar c_t \odot f_t \quad\text{(the additive path)}, \\
        \delta^{(i)} = \bar c_t\, g_t\, i_t(1 - i_t), \quad
        \delta^{(f)} = \bar c_t\, c_{t-1}\, f_t(1 - f_t), \quad
        \delta^{(c)} = \bar c_t\, i_t\, (1 - g_t^2), \quad
        \delta^{(o)} = \bar h_t \tanh(c_t)\, o_t(1 - o_t),

    and with δ_t = [δ^(i), δ^(f), δ^(c), δ^(o)] (B, 4H), as for the RNN:
    dx_t = δ_t Wᵀ, dW = Σ_t x_tᵀ δ_t, dU = Σ_t h_{t−1}ᵀ δ_t, db = Σ_t Σ_batch δ_t, and
    h_{t−1} receives δ_t Uᵀ.

    Args:
        dh_seq: ∂L/∂h_t for every step, (B, T, H) (a loss on h_T adds to ``dh_seq[:, -1]``).
        cache: the dict :func:`lstm_forward` returned.
        dc_T: ∂L/∂c_T, (B, H), when the loss also uses the final cell state; None means zeros.
    Returns:
        ``(dx, dh0, dc0, dW, dU, db)`` with the shapes of x, h0, c0, W, U and b.

    Derived in: 09_rnn §4.4
    """
    dh_seq, cache = _check_backward(dh_seq, cache, ("x", "h0", "c0", "W", "U", "b", "h", "c", "gates"), "lstm_forward")
    if dc_T is None:
        dc_T = np.zeros_like(cache["h0"])
    else:
        dc_T = as_float_array(dc_T, "dc_T")
        if dc_T.shape != cache["h0"].shape:
            raise ValueError(f"dc_T must have the shape of the final cell state (batch, units) = {cache['h0'].shape}, "
                             f"got {dc_T.shape}")
        if dc_T.dtype != dh_seq.dtype:
            dtype = np.result_type(dc_T, dh_seq)
            dh_seq, dc_T = dh_seq.astype(dtype), dc_T.astype(dtype)
            cache = {k: v.astype(dtype, copy=False) for k, v in cache.items()}
    ### BEGIN SOLUTION
    x, h0, c0, W, U, h, c, gates = (cache[k] for k in ("x", "h0", "c0", "W", "U", "h", "c", "gates"))
    H = U.shape[0]
    dx = np.empty_like(x, dtype=dh_seq.dtype)
    dW, dU, db = np.zeros_like(W), np.zeros_like(U), np.zeros_like(cache["b"])
    dh_next, dc_next = np.zeros_like(h0), dc_T
    for t in reversed(range(x.shape[1])):
        i, f, g, o = gates[:, t, :H], gates[:, t, H:2 * H], gates[:, t, 2 * H:3 * H], gates[:, t, 3 * H:]
        h_prev = h[:, t - 1] if t > 0 else h0
        c_prev = c[:, t - 1] if t > 0 else c0
        tanh_c = np.tanh(c[:, t])
        dh = dh_seq[:, t] + dh_next
        dc = dc_next + dh * o * (1 - tanh_c ** 2)
        delta = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                                dc * i * (1 - g ** 2), dh * tanh_c * o * (1 - o)], axis=1)
        dx[:, t] = delta @ W.T
        dW += x[:, t].T @ delta
        dU += h_prev.T @ delta
        db += delta.sum(axis=0)
        dh_next = delta @ U.T
        dc_next = dc * f
    return dx, dh_next, dc_next, dW, dU, db
    ### END SOLUTION


# ---- GRU ------------------------------------------------------------------------------------------------

def gru_forward(x, h0, W, U, b, reset_after=True):
    r"""Forward pass of a GRU over a batch of sequences, as ``keras.layers.GRU`` (Keras's layout and gate order).

    Blocks of H columns in Keras's order **z, r, h** (update gate, reset gate, candidate).
    ``reset_after=True`` (Keras's default; two bias rows, b of shape (2, 3H): b[0] for the input
    projection, b[1] for the recurrent one) applies the reset gate *after* the matrix product:

    .. math::
        x̂_t = x_t W + b_0, \quad ĥ_t = h_{t-1} U + b_1, \quad
        z_t = \sigma(x̂^{(z)}_t + ĥ^{(z)}_t), \quad r_t = \sigma(x̂^{(r)}_t + ĥ^{(r)}_t), \\
        \tilde h_t = \tanh\bigl(x̂^{(h)}_t + r_t \odot ĥ^{(h)}_t\bigr), \qquad
        h_t = z_t \odot h_{t-1} + (1 - z_t) \odot \tilde h_t

    ``reset_after=False`` (Cho et al. 2014; one bias row, b of shape (3H,)) applies it *before*:
    z_t and r_t the same with b in x̂_t and no bias in ĥ_t, and
    :math:`\tilde h_t = \tanh\bigl(x_t W^{(h)} + b^{(h)} + (r_t \odot h_{t-1})\,U^{(h)}\bigr)`.

    Args:
        x: inputs, shape (B, T, D).
        h0: the initial state, (B, H); None means zeros.
        W: kernel, (D, 3H); U: recurrent kernel, (H, 3H); columns ``[0:H]`` z, ``[H:2H]`` r,
            ``[2H:3H]`` h.
        b: bias, (2, 3H) with ``reset_after=True``, (3H,) with ``reset_after=False``.
        reset_after: where the reset gate acts (see above).
    Returns:
        ``(h_seq, h_T, cache)``: the states h_1..h_T, (B, T, H); the final state, (B, H); and the
        dict ``{"x", "h0", "W", "U", "b", "h", "gates"}``: the inputs as used, ``"h"`` = h_seq and
        ``"gates"`` the activated ``[z, r, h̃]`` concatenated, (B, T, 3H). (The mode is the
        shape of ``b``: :func:`gru_backward` reads it from there.)

    Derived in: 09_rnn §5.2
    """
    if not isinstance(reset_after, (bool, np.bool_)):
        raise TypeError(f"reset_after must be True or False, got {reset_after!r}")
    x, h0, W, U, b = _check_sequence_and_weights(x, h0, W, U, b, blocks=3, bias_rows=2 if reset_after else 1,
                                                 name=f"gru with reset_after={bool(reset_after)}")
    ### BEGIN SOLUTION
    batch, steps, _ = x.shape
    H = U.shape[0]
    h_seq = np.empty((batch, steps, H), dtype=x.dtype)
    gates = np.empty((batch, steps, 3 * H), dtype=x.dtype)
    b_in, b_rec = (b[0], b[1]) if reset_after else (b, np.zeros_like(b))
    xw = x @ W + b_in                 # the input projections of every step at once: (B, T, 3H)
    h = h0
    for t in range(steps):
        hp = h @ U + b_rec            # the recurrent projections: (B, 3H)
        zr = sigmoid(xw[:, t, :2 * H] + hp[:, :2 * H])
        z, r = zr[:, :H], zr[:, H:]
        if reset_after:               # r multiplies the product h U_h + b[1]_h
            candidate = np.tanh(xw[:, t, 2 * H:] + r * hp[:, 2 * H:])
        else:                         # r multiplies h before the product
            candidate = np.tanh(xw[:, t, 2 * H:] + (r * h) @ U[:, 2 * H:])
        h = z * h + (1 - z) * candidate
        h_seq[:, t], gates[:, t] = h, np.concatenate([z, r, candidate], axis=1)
    cache = {"x": x, "h0": h0, "W": W, "U": U, "b": b, "h": h_seq, "gates": gates}
    return h_seq, h.copy(), cache
    ### END SOLUTION


def gru_backward(dh_seq, cache):
    r"""Backpropagation through time for :func:`gru_forward`, either mode (read from ``cache["b"]``'s shape).

    With \bar h_t = dh_seq_t + (gradient from step t+1), going back in time:

    .. math::
        \bar z = \bar h_t \odot (h_{t-1} - \tilde h_t), \quad
        \delta^{(h)} = \bar h_t \odot (1 - z_t) \odot (1 - \tilde h_t^2), \quad
        \delta^{(z)} = \bar z \odot z_t (1 - z_t), \quad \delta^{(r)} = \bar r \odot r_t (1 - r_t),

    and h_{t−1} receives \bar h_t ⊙ z_t directly plus what flows back through the matrix products.
    ``reset_after=True`` (b of shape (2, 3H)): \bar r = δ^(h) ⊙ ĥ^(h)_t with ĥ_t = h_{t−1}U + b_1
    (recomputed from the cache); the input side gets δ = [δ^(z), δ^(r), δ^(h)] (dx_t = δ Wᵀ,
    dW += x_tᵀ δ, db[0] += Σ δ), the recurrent side δ̂ = [δ^(z), δ^(r), r_t ⊙ δ^(h)]
    (dU += h_{t−1}ᵀ δ̂, db[1] += Σ δ̂, h_{t−1} receives δ̂ Uᵀ).
    ``reset_after=False`` (b of shape (3H,)): with q = r_t ⊙ h_{t−1} and \bar q = δ^(h) U^(h)ᵀ,
    \bar r = \bar q ⊙ h_{t−1}; dU^(z,r) += h_{t−1}ᵀ [δ^(z), δ^(r)], dU^(h) += qᵀ δ^(h), and h_{t−1}
    receives [δ^(z), δ^(r)] U^(z,r)ᵀ + \bar q ⊙ r_t.

    Args:
        dh_seq: ∂L/∂h_t for every step, (B, T, H) (a loss on h_T adds to ``dh_seq[:, -1]``).
        cache: the dict :func:`gru_forward` returned (``x``, ``h0``, ``W``, ``U``, ``b``, ``h``, ``gates``).
    Returns:
        ``(dx, dh0, dW, dU, db)`` with the shapes of x, h0, W, U and b.

    Derived in: 09_rnn §5.4
    """
    dh_seq, cache = _check_backward(dh_seq, cache, ("x", "h0", "W", "U", "b", "h", "gates"), "gru_forward")
    if cache["b"].shape not in [(3 * cache["U"].shape[0],), (2, 3 * cache["U"].shape[0])]:
        raise ValueError(f"cache['b'] must have shape (2, 3H) (reset_after=True) or (3H,) (reset_after=False), "
                         f"got {cache['b'].shape}")
    ### BEGIN SOLUTION
    x, h0, W, U, b, h, gates = (cache[k] for k in ("x", "h0", "W", "U", "b", "h", "gates"))
    H = U.shape[0]
    reset_after = b.ndim == 2
    dx = np.empty_like(x, dtype=dh_seq.dtype)
    dW, dU, db = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(x.shape[1])):
        z, r, candidate = gates[:, t, :H], gates[:, t, H:2 * H], gates[:, t, 2 * H:]
        h_prev = h[:, t - 1] if t > 0 else h0
        dh = dh_seq[:, t] + dh_next
        d_candidate = dh * (1 - z) * (1 - candidate ** 2)
        d_z = dh * (h_prev - candidate) * z * (1 - z)
        dh_prev = dh * z
        if reset_after:
            hp_h = h_prev @ U[:, 2 * H:] + b[1, 2 * H:]
            d_r = d_candidate * hp_h * r * (1 - r)
            delta = np.concatenate([d_z, d_r, d_candidate], axis=1)
            delta_rec = np.concatenate([d_z, d_r, d_candidate * r], axis=1)
            dU += h_prev.T @ delta_rec
            db[0] += delta.sum(axis=0)
            db[1] += delta_rec.sum(axis=0)
            dh_prev = dh_prev + delta_rec @ U.T
        else:
            q = r * h_prev
            dq = d_candidate @ U[:, 2 * H:].T
            d_r = dq * h_prev * r * (1 - r)
            delta = np.concatenate([d_z, d_r, d_candidate], axis=1)
            dU[:, :2 * H] += h_prev.T @ delta[:, :2 * H]
            dU[:, 2 * H:] += q.T @ d_candidate
            db += delta.sum(axis=0)
            dh_prev = dh_prev + delta[:, :2 * H] @ U[:, :2 * H].T + dq * r
        dx[:, t] = delta @ W.T
        dW += x[:, t].T @ delta
        dh_next = dh_prev
    return dx, dh_next, dW, dU, db
    ### END SOLUTION
