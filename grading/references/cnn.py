"""Chapter 08_cnn: inputs, TensorFlow references and typical mistakes.

Expected values, all computed by TensorFlow (float64; float32 for float32 cases):

* ``conv_output_size`` — the height of ``tf.nn.conv2d``'s output on a (1, n, 1, 1) input with a
  (k, 1, 1, 1) kernel, the stride and dilation along the height. A dilated kernel one cell longer
  than the input gives TensorFlow's empty axis (0); a longer one makes TensorFlow refuse ("output
  size would be negative"), so no case goes there.
* ``same_padding`` — found from TensorFlow's output, per axis: the (before, after) padding such
  that ``tf.nn.conv2d(tf.pad(x), VALID)`` equals ``tf.nn.conv2d(x, SAME)`` on random data; of the
  splits that match, the one with the smallest total (rows that no window reaches are no padding).
* ``im2col`` — ``tf.image.extract_patches`` (sizes, strides and rates = dilation), whose patch
  axis is in (kernel row, kernel column, channel) order; ``col2im`` — the tape's gradient of
  ``extract_patches`` w.r.t. its input for ``output_gradients=cols`` (col2im is its adjoint).
* ``conv2d_forward`` — ``tf.nn.conv2d`` with ``dilations`` plus ``tf.nn.bias_add`` (one case
  through a ``keras.layers.Conv2D`` with the same kernel and bias).
* ``conv2d_backward`` — ``tf.GradientTape`` gradients w.r.t. x, w and b for ``output_gradients=dout``.
  TensorFlow's CPU kernels for the conv gradient refuse dilation > 1 ("Current CPU implementations
  do not yet support dilation rates larger than 1"), so a dilated case runs the tape through the
  *equivalent ordinary kernel*: w with d − 1 zeros inserted between its taps (built with TF ops
  from w, so the tape still differentiates w.r.t. w itself); the forward value is asserted equal
  to ``tf.nn.conv2d(..., dilations=d)`` first.
* pools — ``tf.nn.max_pool2d`` / ``tf.nn.avg_pool2d`` and the tape's gradients (one case each
  through ``keras.layers.MaxPooling2D`` / ``AveragePooling2D``).

Mistake outputs are what typical wrong implementations return on the same inputs, from the small
NumPy engine below (written independently of dlmath, with one knob per mistake). The simulated
class's bodies (``CLASS``) are the instructor's solutions with one edit each.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from grading.references import _mistakes as mistakes

F64 = {"rtol": 1e-7, "atol": 1e-10}
F32 = {"rtol": 1e-4, "atol": 1e-5}  # FACTS.md: float32 conv differs from TF's by ~1e-5 relative
EXACT = {"rtol": 0.0, "atol": 0.0}

ORDER = ["conv_output_size", "same_padding", "im2col", "col2im", "conv2d_forward", "conv2d_backward",
         "max_pool2d_forward", "max_pool2d_backward", "avg_pool2d_forward", "avg_pool2d_backward"]

# ---- hints ---------------------------------------------------------------------------------------

K_EFF = "k_eff = (k − 1)·d + 1"
SIZE = (f"With {K_EFF}: VALID gives ⌈(n − k_eff + 1)/s⌉ outputs, SAME ⌈n/s⌉ — the stride divides the number "
        f"of output positions, it is not applied to the input size.")
SIDE = ("TensorFlow's SAME split: before = total // 2 (top/left), after = total − before (bottom/right): "
        "an odd total puts the extra row at the bottom and the extra column at the right.")
FLIP = ("Frameworks compute cross-correlation: don't flip the kernel. y[n, i, j, f] = b[f] + Σ x_pad[n, i·s + a·d, "
        "j·s + b·d, c] · w[a, b, c, f] with w exactly as given (your output is the kernel rotated by 180°).")
DILATION = ("Dilation d spaces the kernel's taps d cells apart: tap (a, b) reads x_pad[i·s + a·d, j·s + b·d], "
            f"and the kernel spans {K_EFF} cells (also for SAME's padding).")
ORDER_ABC = ("Order each patch as (kernel row a, kernel column b, channel c), channel fastest — the order of "
             "w.reshape(-1, F) for an HWIO kernel and of tf.image.extract_patches.")
OVERLAP = ("Overlapping windows share cells: add every window's contribution (+=). With = only the last window "
           "that touches a cell survives.")
NOT_INT = ("Return an int: -(-n // s) or math.ceil give an int; np.ceil and / give a float.")
DW_AXES = ("dw is summed over the wrong axes: dw[a, b, c, f] = Σ over the batch n and the output positions (i, j) of "
           "x_pad[n, i·s + a·d, j·s + b·d, c] · dout[n, i, j, f] — a sum of products (colsᵀ · dout, a correlation "
           "of x with dout), not a product of separate sums.")
DB_SUM = ("db sums dout over the batch *and* both spatial axes: db = dout.sum(axis=(0, 1, 2)) — every output "
          "position of every image used the same bias (a sum, not a mean: dout already carries the loss's 1/N).")
BACKWARD_SHAPE = ("dx has the shape of x, dw the shape of w (kh, kw, C, F), db the shape (F,): db sums dout over the "
                  "batch and both spatial axes (0, 1, 2), dw over the batch and the output positions.")
MAX_TIES = ("Ties: TensorFlow sends a window's whole gradient to its *first* maximum in row-major window order "
            "(compare with a strict >), not to every cell that ties, nor to the last one, nor split between them.")
AVG_REAL = ("With SAME, a window that overlaps the padding averages only its real cells: divide by their number, "
            "not by the window size ph·pw (TensorFlow's avg_pool2d).")

HINTS = {
    "conv_output_size": {"dtype": NOT_INT, "elementwise": False},
    "same_padding": {"returns": ["top", "bottom", "left", "right"], "elementwise": False,
                     "structure": "Return the tuple (top, bottom, left, right) of four ints.",
                     "dtype": NOT_INT},
    "im2col": {"uses": ["same_padding"], "elementwise": False,
               "shape": "cols has shape (N, OH, OW, kh·kw·C), OH and OW as conv_output_size gives them. " + SIZE},
    "col2im": {"uses": ["same_padding"], "elementwise": False,
               "shape": "Return an array of shape x_shape: crop the padding (top, bottom, left, right) off again."},
    "conv2d_forward": {"uses": ["im2col", "same_padding"], "elementwise": False,
                       "shape": "y has shape (N, OH, OW, F). " + SIZE},
    "conv2d_backward": {"uses": ["im2col", "col2im", "same_padding"], "elementwise": False,
                        "returns": ["dx", "dw", "db"], "structure": "Return the tuple (dx, dw, db).",
                        "shape": BACKWARD_SHAPE},
    "max_pool2d_forward": {"uses": ["same_padding"], "elementwise": False,
                           "shape": "y has shape (N, OH, OW, C); stride=None means stride = pool_size. " + SIZE},
    "max_pool2d_backward": {"uses": ["same_padding"], "elementwise": False,
                            "shape": "dx has the shape of x: crop the padding off again."},
    "avg_pool2d_forward": {"uses": ["same_padding"], "elementwise": False,
                           "shape": "y has shape (N, OH, OW, C); stride=None means stride = pool_size. " + SIZE},
    "avg_pool2d_backward": {"uses": ["same_padding"], "elementwise": False,
                            "shape": "dx has the shape of x: crop the padding off again."},
}


# ---- a NumPy engine for the mistakes (independent of dlmath; one knob per typical mistake) ------------

def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _np_out(n, k, s, padding, d, variant=""):
    k_eff = (k - 1) * (1 if variant == "no_dilation" else d) + 1
    if padding == "SAME":
        return {"same_n": n, "same_floor": n // s, "same_like_valid": max(0, -(-(n - k_eff + 1) // s))}.get(
            variant, -(-n // s))
    return {"stride_input": max(0, -(-n // s) - k_eff + 1), "floor": max(0, (n - k_eff + 1) // s),
            "negative": -(-(n - k_eff + 1) // s), "no_plus_one": max(0, (n - k_eff) // s)}.get(
        variant, max(0, -(-(n - k_eff + 1) // s)))


def _np_pads(size, kernel, stride, dilation, padding, side="tf", dilate=True, variant=""):
    """(top, bottom, left, right), correct or with one mistake."""
    if padding == "VALID":
        return 0, 0, 0, 0
    pads = []
    for n, k, s, d in zip(size, _pair(kernel), _pair(stride), _pair(dilation)):
        k_eff = (k - 1) * (d if dilate else 1) + 1
        total = k_eff - 1 if variant == "no_stride" else (-(-n // s) - 1) * s + k_eff - n
        if variant != "no_clamp":
            total = max(total, 0)
        before = total // 2
        pads += [total - before, before] if side == "flipped" else [before, total - before]
    if variant == "order_tlbr":
        return pads[0], pads[2], pads[1], pads[3]
    if variant == "order_lrtb":
        return pads[2], pads[3], pads[0], pads[1]
    return tuple(pads)


def _np_patches(x, kernel, stride, padding, dilation, side="tf", dilate=True, order="abc", flip=False):
    (kh, kw), (sh, sw) = _pair(kernel), _pair(stride)
    dh, dw = _pair(dilation) if dilate else (1, 1)
    t, b, l, r = _np_pads(x.shape[1:3], (kh, kw), (sh, sw), (dh, dw), padding, side)
    xp = np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)))
    n, hp, wp, c = xp.shape
    oh, ow = (hp - (kh - 1) * dh - 1) // sh + 1, (wp - (kw - 1) * dw - 1) // sw + 1
    p = np.empty((n, oh, ow, kh, kw, c), x.dtype)
    for a in range(kh):
        for bb in range(kw):
            p[:, :, :, a, bb, :] = xp[:, a * dh:a * dh + (oh - 1) * sh + 1:sh, bb * dw:bb * dw + (ow - 1) * sw + 1:sw]
    if flip:
        p = p[:, :, :, ::-1, ::-1, :]
    if order == "cab":
        p = p.transpose(0, 1, 2, 5, 3, 4)
    elif order == "bac":
        p = p.transpose(0, 1, 2, 4, 3, 5)
    return p.reshape(n, oh, ow, -1)


def _np_col2im(cols, x_shape, kernel, stride, padding, dilation, side="tf", dilate=True, order="abc",
               accumulate=True):
    (kh, kw), (sh, sw) = _pair(kernel), _pair(stride)
    dh, dw = _pair(dilation) if dilate else (1, 1)
    n, h, w, c = x_shape
    t, b, l, r = _np_pads((h, w), (kh, kw), (sh, sw), (dh, dw), padding, side)
    _, oh, ow, _ = cols.shape
    if order == "cab":
        p = cols.reshape(n, oh, ow, c, kh, kw).transpose(0, 1, 2, 4, 5, 3)
    else:
        p = cols.reshape(n, oh, ow, kh, kw, c)
    xp = np.zeros((n, h + t + b, w + l + r, c), cols.dtype)
    for a in range(kh):
        for bb in range(kw):
            region = (slice(None), slice(a * dh, a * dh + (oh - 1) * sh + 1, sh),
                      slice(bb * dw, bb * dw + (ow - 1) * sw + 1, sw))
            if xp[region].shape[1:3] != (oh, ow):
                return None  # this mistake can't even run on these inputs
            if accumulate:
                xp[region] += p[:, :, :, a, bb, :]
            else:
                xp[region] = p[:, :, :, a, bb, :]
    return xp[:, t:t + h, l:l + w, :]


def _np_conv(x, w, b, stride, padding, dilation, flip=False, side="tf", dilate=True, bias=True,
             stride_after=False):
    if stride_after:
        sh, sw = _pair(stride)
        return _np_conv(x, w, b, 1, padding, dilation)[:, ::sh, ::sw]
    kernel = w[::-1, ::-1] if flip else w
    p = _np_patches(x, w.shape[:2], stride, padding, dilation, side, dilate)
    y = p @ kernel.reshape(-1, w.shape[3])
    return y + b if bias and b is not None else y


def _np_conv_backward(dout, x, w, stride, padding, dilation, variant=""):
    kh, kw, c, f = w.shape
    patches = _np_patches(x, (kh, kw), stride, padding, dilation)
    P, g = patches.reshape(-1, kh * kw * c), dout.reshape(-1, f)
    dw = (P.T @ g).reshape(w.shape)
    if variant == "dw_outer":
        dw = np.outer(P.sum(axis=0), g.sum(axis=0)).reshape(w.shape)
    elif variant == "dw_mean":
        dw = dw / x.shape[0]
    elif variant == "dw_cab":
        dw = (P.T @ g).reshape(c, kh, kw, f).transpose(1, 2, 0, 3)
    elif variant == "dw_flipped":
        dw = dw[::-1, ::-1]
    db = {"db_mean": g.mean(axis=0), "db_batch_mean": dout.sum(axis=(1, 2)).mean(axis=0)}.get(variant, g.sum(axis=0))
    kernel = w[::-1, ::-1] if variant == "dx_unflipped" else w
    dcols = (g @ kernel.reshape(-1, f).T).reshape(patches.shape)
    dx = _np_col2im(dcols, x.shape, (kh, kw), stride, padding, dilation,
                    side="flipped" if variant == "dx_side" else "tf", dilate=variant != "dx_no_dilation",
                    accumulate=variant != "dx_overwrite")
    return None if dx is None else (dx, dw, db)


def _np_windows(x, pool, stride, padding, side="tf", pad_value=-np.inf):
    (ph, pw), (sh, sw) = _pair(pool), _pair(stride)
    t, b, l, r = _np_pads(x.shape[1:3], (ph, pw), (sh, sw), 1, padding, side)
    xp = np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)), constant_values=pad_value)
    oh, ow = (xp.shape[1] - ph) // sh + 1, (xp.shape[2] - pw) // sw + 1
    windows = [(slice(None), slice(a, a + (oh - 1) * sh + 1, sh), slice(bb, bb + (ow - 1) * sw + 1, sw))
               for a in range(ph) for bb in range(pw)]
    return xp, (t, l), windows


def _np_max_pool(x, pool, stride, padding, side="tf", pad_value=-np.inf):
    xp, _, windows = _np_windows(x, pool, stride, padding, side, pad_value)
    return np.max([xp[wn] for wn in windows], axis=0)


def _np_max_pool_backward(dout, x, pool, stride, padding, rule="first", side="tf", pad_value=-np.inf,
                          accumulate=True):
    xp, (t, l), windows = _np_windows(x, pool, stride, padding, side, pad_value)
    values = np.array([xp[wn] for wn in windows])            # (window cell, N, OH, OW, C)
    top = values.max(axis=0)
    ties = values == top
    if rule == "first":
        share = np.zeros_like(values)
        np.put_along_axis(share, np.argmax(values, axis=0)[None], 1.0, axis=0)
    elif rule == "last":
        share = np.zeros_like(values)
        np.put_along_axis(share, (len(values) - 1 - np.argmax(values[::-1], axis=0))[None], 1.0, axis=0)
    elif rule == "all":
        share = ties.astype(values.dtype)
    else:  # split a tie evenly
        share = ties / ties.sum(axis=0)
    dxp = np.zeros(xp.shape, dout.dtype)
    for wn, part in zip(windows, share):
        if accumulate:
            dxp[wn] += part * dout
        else:
            dxp[wn] = np.where(part > 0, part * dout, dxp[wn])
    n, h, w, c = x.shape
    return dxp[:, t:t + h, l:l + w, :]


def _np_avg_counts(x, pool, stride, padding, side="tf", divide="real"):
    real = np.ones((1, *x.shape[1:3], 1), x.dtype)
    rp, _, windows = _np_windows(real, pool, stride, padding, side, 0.0)
    if divide == "window":
        return np.full(rp[windows[0]].shape, float(len(windows)), x.dtype)
    return sum(rp[wn] for wn in windows) if divide == "real" else np.ones_like(rp[windows[0]])


def _np_avg_pool(x, pool, stride, padding, side="tf", divide="real"):
    xp, _, windows = _np_windows(x, pool, stride, padding, side, 0.0)
    return sum(xp[wn] for wn in windows) / _np_avg_counts(x, pool, stride, padding, side, divide)


def _np_avg_pool_backward(dout, x, pool, stride, padding, side="tf", divide="real", accumulate=True):
    xp, (t, l), windows = _np_windows(x, pool, stride, padding, side, 0.0)
    share = dout / _np_avg_counts(x, pool, stride, padding, side, divide)
    dxp = np.zeros(xp.shape, dout.dtype)
    for wn in windows:
        if accumulate:
            dxp[wn] += share
        else:
            dxp[wn] = share
    n, h, w, c = x.shape
    return dxp[:, t:t + h, l:l + w, :]


# mistake tables: (hint, function of the case's arguments → wrong output)

def _size_mistakes():
    return [
        ("The stride divides the number of *output positions*, not the input: VALID gives ⌈(n − k_eff + 1)/s⌉ "
         "(the positions where the kernel fits, one every s), not ⌈n/s⌉ − k_eff + 1.", "stride_input"),
        (f"Dilation d spreads the k taps over {K_EFF} cells: use k_eff, not k.", "no_dilation"),
        ("Round up: ⌈(n − k_eff + 1)/s⌉ = (n − k_eff) // s + 1 — the first position counts, then one more every "
         "s cells.", "floor"),
        ("Off by one: the positions are 0, s, 2s, … up to n − k_eff, which is ⌊(n − k_eff)/s⌋ + 1 of them.",
         "no_plus_one"),
        ("When the dilated kernel is larger than the input nothing fits: return 0, not a negative number.",
         "negative"),
        ("SAME keeps the size only for stride 1: it gives ⌈n/s⌉ outputs.", "same_n"),
        ("SAME gives ⌈n/s⌉, rounded *up* (-(-n // s) or math.ceil): 7 cells with stride 2 give 4 outputs.",
         "same_floor"),
        ("SAME pads the input so that the output is ⌈n/s⌉ whatever the kernel: no k_eff in the SAME count.",
         "same_like_valid"),
    ]


def _padding_mistakes():
    return [
        (SIDE + " (Yours puts the extra on the top/left.)", {"side": "flipped"}),
        (f"Pad for the dilated kernel, {K_EFF}, not for k.", {"dilate": False}),
        ("With stride s, SAME pads for ⌈n/s⌉ outputs: total = max((out − 1)·s + k_eff − n, 0), which is k_eff − 1 "
         "only for s = 1.", {"variant": "no_stride"}),
        ("When the stride skips more cells than the kernel covers the total goes negative: clamp it at 0 "
         "(max(…, 0)).", {"variant": "no_clamp"}),
        ("Return (top, bottom, left, right): both height paddings first, then both width paddings.",
         {"variant": "order_tlbr"}),
        ("Return (top, bottom, left, right): the height paddings first (axis 1 of NHWC), then the width's.",
         {"variant": "order_lrtb"}),
    ]


# ---- TensorFlow references ------------------------------------------------------------------------

def _tf_output_size(tf, n, k, s, padding, d):
    y = tf.nn.conv2d(np.zeros((1, n, 1, 1)), np.zeros((k, 1, 1, 1)), strides=(s, 1), padding=padding,
                     dilations=(d, 1))
    return int(y.shape[1])


def _tf_same_padding_axis(tf, n, k, s, d):
    rng = np.random.default_rng(n * 1000 + k * 100 + s * 10 + d)
    x, w = rng.normal(size=(1, n, 1, 1)), rng.normal(size=(k, 1, 1, 1))
    same = tf.nn.conv2d(x, w, strides=(s, 1), padding="SAME", dilations=(d, 1)).numpy()
    k_eff = (k - 1) * d + 1
    found = []
    for before in range(k_eff):
        for after in range(k_eff):
            padded = np.pad(x, ((0, 0), (before, after), (0, 0), (0, 0)))
            if padded.shape[1] < k_eff:
                continue
            valid = tf.nn.conv2d(padded, w, strides=(s, 1), padding="VALID", dilations=(d, 1)).numpy()
            if valid.shape == same.shape and np.allclose(valid, same, rtol=1e-13, atol=1e-13):
                found.append((before + after, before, after))
    _, before, after = min(found)
    return before, after


def _tf_same_padding(tf, size, kernel, stride, dilation):
    pads = []
    for n, k, s, d in zip(_pair(size), _pair(kernel), _pair(stride), _pair(dilation)):
        pads += _tf_same_padding_axis(tf, n, k, s, d)
    return tuple(np.array(p, np.int64) for p in pads)


def _tf_patches(tf, x, kernel, stride, padding, dilation):
    (kh, kw), (sh, sw), (dh, dw) = _pair(kernel), _pair(stride), _pair(dilation)
    return tf.image.extract_patches(tf.constant(x), [1, kh, kw, 1], [1, sh, sw, 1], [1, dh, dw, 1], padding).numpy()


def _tf_col2im(tf, cols, x_shape, kernel, stride, padding, dilation):
    (kh, kw), (sh, sw), (dh, dw) = _pair(kernel), _pair(stride), _pair(dilation)
    x = tf.zeros(x_shape, dtype=cols.dtype)
    with tf.GradientTape() as tape:
        tape.watch(x)
        patches = tf.image.extract_patches(x, [1, kh, kw, 1], [1, sh, sw, 1], [1, dh, dw, 1], padding)
    return tape.gradient(patches, x, output_gradients=tf.constant(cols)).numpy()


def _tf_dilated_kernel(tf, w, dilation):
    """The ordinary kernel of size (k − 1)·d + 1 with w's taps d apart and zeros between them (TF ops on w)."""
    dh, dw = _pair(dilation)
    kh, kw, c, f = w.shape
    if dh > 1:
        w = tf.reshape(tf.pad(w[:, None], [[0, 0], [0, dh - 1], [0, 0], [0, 0], [0, 0]]), (kh * dh, kw, c, f))
        w = w[:(kh - 1) * dh + 1]
    if dw > 1:
        rows = w.shape[0]
        w = tf.reshape(tf.pad(w[:, :, None], [[0, 0], [0, 0], [0, dw - 1], [0, 0], [0, 0]]), (rows, kw * dw, c, f))
        w = w[:, :(kw - 1) * dw + 1]
    return w


def _tf_conv(tf, x, w, b, stride, padding, dilation, keras_layer=False):
    dtype = np.result_type(x, w, *([] if b is None else [b]))
    x, w = np.asarray(x, dtype), np.asarray(w, dtype)
    if keras_layer:
        import keras

        layer = keras.layers.Conv2D(w.shape[3], w.shape[:2], strides=_pair(stride), padding=padding.lower(),
                                    dilation_rate=_pair(dilation), use_bias=b is not None, dtype=dtype.name)
        layer.build((None, *x.shape[1:]))
        layer.set_weights([w] + ([np.asarray(b, dtype)] if b is not None else []))
        return np.asarray(layer(x))
    y = tf.nn.conv2d(tf.constant(x), tf.constant(w), strides=_pair(stride), padding=padding, dilations=_pair(dilation))
    if b is not None:
        y = tf.nn.bias_add(y, tf.constant(np.asarray(b, dtype)))
    return y.numpy()


def _tf_conv_backward(tf, dout, x, w, stride, padding, dilation):
    dtype = np.result_type(dout, x, w)
    xt, wt = tf.constant(np.asarray(x, dtype)), tf.constant(np.asarray(w, dtype))
    bt = tf.zeros(w.shape[3], dtype=dtype)  # the bias's value enters no gradient
    with tf.GradientTape() as tape:
        tape.watch([xt, wt, bt])
        y = tf.nn.bias_add(tf.nn.conv2d(xt, _tf_dilated_kernel(tf, wt, dilation), strides=_pair(stride),
                                        padding=padding), bt)
    direct = tf.nn.conv2d(xt, wt, strides=_pair(stride), padding=padding, dilations=_pair(dilation))
    np.testing.assert_allclose(y.numpy(), direct.numpy(), rtol=1e-12 if dtype == np.float64 else 1e-5,
                               atol=1e-12 if dtype == np.float64 else 1e-5)
    grads = tape.gradient(y, [xt, wt, bt], output_gradients=tf.constant(np.asarray(dout, dtype)))
    return tuple(g.numpy() for g in grads)


def _tf_pool(tf, kind, x, pool, stride, padding, keras_layer=False):
    stride = pool if stride is None else stride
    if keras_layer:
        import keras

        cls = keras.layers.MaxPooling2D if kind == "max" else keras.layers.AveragePooling2D
        return np.asarray(cls(_pair(pool), strides=_pair(stride), padding=padding.lower(), dtype=x.dtype.name)(x))
    op = tf.nn.max_pool2d if kind == "max" else tf.nn.avg_pool2d
    # tf.constant: once a Keras layer has run, tf.nn.max_pool2d silently computes a NumPy float64 array in float32
    return op(tf.constant(x), _pair(pool), _pair(stride), padding).numpy()


def _tf_pool_backward(tf, kind, dout, x, pool, stride, padding):
    stride = pool if stride is None else stride
    dtype = np.result_type(dout, x)
    op = tf.nn.max_pool2d if kind == "max" else tf.nn.avg_pool2d
    xt = tf.constant(np.asarray(x, dtype))
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = op(xt, _pair(pool), _pair(stride), padding)
    return tape.gradient(y, xt, output_gradients=tf.constant(np.asarray(dout, dtype))).numpy()


def _short(values, dtype=np.float64):
    """Random inputs rounded to 2 decimals: the cases stay exact and their JSON short (copies, sums of few)."""
    return np.round(values, 2).astype(dtype)


# ---- inputs --------------------------------------------------------------------------------------

def _describe(size, kernel, stride, padding, dilation):
    parts = [f"{padding}", f"stride {stride}", f"dilation {dilation}"]
    return f"{size[0]}×{size[1]} input, {kernel[0]}×{kernel[1]} kernel, " + ", ".join(parts)


def _size_inputs(rng, audience):
    """(label, (n, k, s, padding, d))."""
    public = [
        ("VALID, stride 1: n − k + 1", (7, 3, 1, "VALID", 1)),
        ("VALID, stride 2, odd n", (7, 3, 2, "VALID", 1)),
        ("VALID, stride 2, even n", (8, 3, 2, "VALID", 1)),
        ("VALID, stride 3", (10, 2, 3, "VALID", 1)),
        ("VALID, dilation 2", (9, 3, 1, "VALID", 2)),
        ("VALID, stride 2 and dilation 2", (12, 3, 2, "VALID", 2)),
        ("VALID, the kernel just fits", (5, 5, 1, "VALID", 1)),
        ("VALID, the dilated kernel does not fit (k_eff = 7 > n = 6): no output", (6, 4, 1, "VALID", 2)),
        ("SAME, stride 1", (7, 3, 1, "SAME", 1)),
        ("SAME, stride 2, odd n", (7, 3, 2, "SAME", 1)),
        ("SAME, stride 3, dilation 2", (11, 3, 3, "SAME", 2)),
        ("SAME, a kernel larger than the input", (3, 5, 1, "SAME", 1)),
    ]
    if audience == "public":
        return public
    out = []
    for s in (1, 2, 3):
        for padding in ("VALID", "SAME"):
            for d in (1, 2):
                for n in (int(rng.integers(9, 16)) | 1, int(rng.integers(8, 16)) & ~1):  # one odd, one even
                    k = int(rng.integers(2, 5))
                    out.append((f"{padding}, stride {s}, dilation {d}, n = {n}, k = {k}", (n, k, s, padding, d)))
    out += [("VALID, the kernel just fits, stride 2", (6, 6, 2, "VALID", 1)),
            ("VALID, the dilated kernel does not fit (k_eff = 9 > n = 8): no output", (8, 3, 2, "VALID", 4)),
            ("SAME, a kernel larger than the input, stride 2", (4, 7, 2, "SAME", 1))]
    return out


def _padding_inputs(rng, audience):
    """(label, (input_size, kernel_size, stride, dilation))."""
    public = [
        ("stride 1, 3×3: one row and column each side", ((7, 7), (3, 3), 1, 1)),
        ("stride 1, 2×2 kernel: odd total, the extra goes bottom/right", ((6, 6), (2, 2), 1, 1)),
        ("stride 2, even input 8×8, 3×3 kernel", ((8, 8), (3, 3), 2, 1)),
        ("stride 2, odd input 7×9, rectangular 3×2 kernel", ((7, 9), (3, 2), 2, 1)),
        ("dilation 2, 3×3 kernel (k_eff = 5)", ((9, 8), (3, 3), 1, 2)),
        ("stride 3 and dilation 2, 10×11, 2×3 kernel", ((10, 11), (2, 3), 3, 2)),
        ("stride larger than the kernel: 1×1 kernel, stride 3, 8×8 (no padding)", ((8, 8), (1, 1), 3, 1)),
        ("stride and dilation as pairs (2, 1) and (1, 2)", ((7, 8), (3, 3), (2, 1), (1, 2))),
        ("one int for the kernel size: 4", ((6, 5), 4, 1, 1)),
    ]
    if audience == "public":
        return public
    out = []
    for s in (1, 2, 3):
        for d in (1, 2):
            h, w = int(rng.integers(6, 14)) | 1, int(rng.integers(6, 14)) & ~1
            kernel = (int(rng.integers(1, 5)), int(rng.integers(2, 5)))
            out.append((f"{h}×{w} input, {kernel[0]}×{kernel[1]} kernel, stride {s}, dilation {d}", ((h, w), kernel, s, d)))
    out += [
        ("stride larger than the kernel: 2×1 kernel, stride 3, 10×9", ((10, 9), (2, 1), 3, 1)),
        ("a kernel larger than the input: 5×6 kernel on 3×4", ((3, 4), (5, 6), 1, 1)),
        ("stride and dilation as pairs (3, 2) and (2, 1)", ((9, 10), (3, 2), (3, 2), (2, 1))),
        ("one int for the kernel size 3, stride 2", ((8, 7), 3, 2, 1)),
        ("even kernel 4×4, stride 1 (total 3: one before, two after)", ((8, 8), (4, 4), 1, 1)),
    ]
    return out


def _conv_grid(rng, audience, c=2):
    """(label, x, w, b, stride, padding, dilation) problems covering the issue's grid (c channels)."""
    channels = c

    def problem(size, kernel, stride, padding, dilation, batch=2, c=channels, f=3, dtype=np.float64, label=None,
                bias=True):
        x = _short(rng.normal(size=(batch, *size, c)), dtype)
        w = _short(rng.normal(0, 0.5, size=(*kernel, c, f)), dtype)
        b = _short(rng.normal(0, 0.5, size=f), dtype) if bias else None
        return (label or _describe(size, kernel, stride, padding, dilation), x, w, b, stride, padding, dilation)

    public = [
        problem((6, 6), (3, 3), 1, "VALID", 1, label="VALID, stride 1, 3×3 kernel, 6×6 input, batch 2"),
        problem((7, 7), (3, 3), 1, "SAME", 1, label="SAME, stride 1, odd 7×7 input, 3×3 kernel"),
        problem((8, 8), (3, 3), 2, "SAME", 1, label="SAME, stride 2, even 8×8 input (odd total: extra row/column "
                                                    "bottom/right)"),
        problem((7, 9), (3, 2), 2, "VALID", 1, label="VALID, stride 2, odd 7×9 input, rectangular 3×2 kernel"),
        problem((9, 8), (3, 3), 1, "VALID", 2, label="VALID, dilation 2, 9×8 input, 3×3 kernel"),
        problem((7, 8), (2, 3), 1, "SAME", 2, label="SAME, dilation 2, 7×8 input, rectangular 2×3 kernel"),
        problem((10, 9), (3, 2), 3, "SAME", 2, label="SAME, stride 3 and dilation 2, 10×9 input, 3×2 kernel"),
        problem((8, 7), (2, 2), 3, "VALID", 1, label="VALID, stride 3, 8×7 input, 2×2 kernel"),
        problem((9, 9), (2, 2), 2, "VALID", 2, label="VALID, stride 2 and dilation 2, 9×9 input, 2×2 kernel"),
        problem((7, 8), (3, 3), (2, 1), "SAME", (1, 2), label="stride (2, 1) and dilation (1, 2) as pairs, SAME"),
        problem((6, 7), (3, 3), 2, "SAME", 1, batch=3, c=2, f=5, dtype=np.float32,
                label="float32 keeps float32: SAME, stride 2, batch 3"),
    ]
    if audience == "public":
        return public
    kernels = [(3, 3), (3, 2), (2, 3), (2, 2)]
    out = []
    index = 0
    for s in (1, 2, 3):
        for padding in ("VALID", "SAME"):
            for d in (1, 2):
                for parity in ("odd", "even"):
                    kernel = kernels[index % 4]
                    index += 1
                    need = [(k - 1) * d + 1 for k in kernel]
                    base = [int(rng.integers(max(n, 5), 11)) for n in need]
                    size = tuple((v | 1) if parity == "odd" else (v + 1 if v % 2 else v) for v in base)
                    out.append(problem(size, kernel, s, padding, d, batch=int(rng.integers(2, 4)),
                                       c=int(rng.integers(1, channels + 1)), f=int(rng.integers(2, 4)),
                                       label=f"{_describe(size, kernel, s, padding, d)}, {parity} size"))
    out += [
        problem((8, 9), (3, 2), 2, "VALID", 1, batch=2, c=2, f=3, dtype=np.float32,
                label="float32 keeps float32: VALID, stride 2"),
        problem((9, 7), (3, 3), 1, "SAME", 2, batch=4, c=3, f=2, dtype=np.float32,
                label="float32 keeps float32: SAME, dilation 2, batch 4"),
        problem((9, 10), (2, 3), (3, 1), "SAME", (2, 1), label="stride (3, 1) and dilation (2, 1) as pairs, SAME"),
        problem((11, 8), (3, 2), (1, 2), "VALID", (2, 2), label="stride (1, 2), dilation 2, VALID"),
    ]
    return out


def _pool_grid(rng, audience, ties=True):
    """(label, x, pool_size, stride, padding)."""
    def images(size, batch=2, c=2, dtype=np.float64):
        if ties:  # small integers: plenty of ties, and negative values (padding must never win)
            return rng.integers(-4, 3, size=(batch, *size, c)).astype(dtype)
        return _short(rng.normal(size=(batch, *size, c)), dtype)

    public = [
        ("2×2 pool, default stride (= pool size), VALID, 6×6", images((6, 6)), (2, 2), None, "VALID"),
        ("2×2 pool, default stride, VALID, odd 7×7 (the last row and column are dropped)", images((7, 7)),
         2, None, "VALID"),
        ("2×2 pool, default stride, SAME, odd 7×5 (padding bottom/right)", images((7, 5)), (2, 2), None, "SAME"),
        ("3×3 pool, stride 1: overlapping windows, VALID", images((6, 7)), (3, 3), 1, "VALID"),
        ("3×3 pool, stride 2: overlapping windows, SAME, 7×8", images((7, 8)), (3, 3), 2, "SAME"),
        ("rectangular 3×2 pool, stride (2, 1), SAME", images((6, 5)), (3, 2), (2, 1), "SAME"),
        ("2×2 pool, stride 3 (gaps between windows), VALID, 8×8", images((8, 8)), (2, 2), 3, "VALID"),
        ("float32 keeps float32: 2×2 pool, SAME, 5×5", images((5, 5), dtype=np.float32), 2, None, "SAME"),
    ]
    if audience == "public":
        return public
    out = []
    for pool, stride in [((2, 2), None), ((3, 3), 1), ((3, 3), 2), ((2, 3), (1, 2)), ((3, 2), 3), (2, 1)]:
        for padding in ("VALID", "SAME"):
            size = (int(rng.integers(5, 10)), int(rng.integers(5, 10)))
            out.append((f"{_pair(pool)[0]}×{_pair(pool)[1]} pool, stride {stride or 'default'}, {padding}, "
                        f"{size[0]}×{size[1]}", images(size, batch=int(rng.integers(1, 4))), pool, stride, padding))
    out += [
        ("float32 keeps float32: 3×3 pool, stride 2, SAME", images((7, 6), dtype=np.float32), 3, 2, "SAME"),
        ("a window as large as the input, 4×4 pool on 4×4", images((4, 4)), (4, 4), None, "VALID"),
    ]
    return out


# ---- cases ---------------------------------------------------------------------------------------

def _tolerance(dtype):
    return F32 if np.dtype(dtype) == np.float32 else F64


def _leaves(value):
    if isinstance(value, (tuple, list)):
        return [leaf for v in value for leaf in _leaves(v)]
    return [np.asarray(value)]


def _differs(output, expected):
    a, b = _leaves(output), _leaves(expected)
    if len(a) != len(b) or any(x.shape != y.shape for x, y in zip(a, b)):
        return True
    return not all(np.allclose(x, y, rtol=1e-6, atol=1e-9) for x, y in zip(a, b))


GENERIC_CASES = 1  # a mistake that shows on any input is stored with the first few cases only (the file stays small)


def _mistakes(candidates, expected, index=0, dtype=None):
    """The candidates that differ from the expected result (same shape only: the shape hint covers the rest).

    A candidate is ``(hint, output)`` or ``(hint, output, generic)``; a generic one (a mistake that shows on
    every input, such as a flipped kernel) is kept for the first ``GENERIC_CASES`` cases only: the checks stop
    at the first failing case, and the judge names it there.
    """
    found, seen = [], []
    for hint, output, *generic in candidates:
        if output is None or (generic and generic[0] and index >= GENERIC_CASES):
            continue
        output = (tuple(np.asarray(v, dtype or np.asarray(e).dtype) for v, e in zip(output, expected))
                  if isinstance(output, tuple) else np.asarray(output, dtype or np.asarray(expected).dtype))
        same_shape = all(x.shape == y.shape for x, y in zip(_leaves(output), _leaves(expected)))
        if not same_shape or not _differs(output, expected) or not all(np.all(np.isfinite(v)) for v in _leaves(output)):
            continue
        if any(not _differs(output, earlier) for earlier in seen):
            continue  # an earlier, more specific hint already describes this output
        seen.append(output)
        found.append({"hint": hint, "output": output})
    return found


def _case(name, args, expected, tolerance, mistakes, kwargs=None):
    return {"name": name, "args": list(args), "kwargs": kwargs or {}, "expected": expected, **tolerance,
            "mistakes": mistakes}


def _conv_output_size_cases(tf, rng, audience):
    out = []
    for label, (n, k, s, padding, d) in _size_inputs(rng, audience):
        expected = np.array(_tf_output_size(tf, n, k, s, padding, d), np.int64)
        candidates = [(hint, np.array(_np_out(n, k, s, padding, d, variant), np.int64))
                      for hint, variant in _size_mistakes()]
        out.append(_case(label, (n, k, s, padding, d), expected, EXACT, _mistakes(candidates, expected)))
    return out


def _same_padding_cases(tf, rng, audience):
    out = []
    for label, (size, kernel, stride, dilation) in _padding_inputs(rng, audience):
        expected = _tf_same_padding(tf, size, kernel, stride, dilation)
        candidates = [(hint, tuple(np.array(p, np.int64) for p in _np_pads(size, kernel, stride, dilation, "SAME", **kw)))
                      for hint, kw in _padding_mistakes()]
        out.append(_case(label, (size, kernel, stride, dilation), expected, EXACT, _mistakes(candidates, expected)))
    return out


def _im2col_cases(tf, rng, audience):
    out = []
    for index, (label, x, w, _, stride, padding, dilation) in enumerate(_conv_grid(rng, audience, c=2)):
        kernel = w.shape[:2]
        expected = _tf_patches(tf, x, kernel, stride, padding, dilation)
        args = (x, kernel, stride, padding, dilation)
        candidates = [
            (ORDER_ABC + " Yours puts the channel first (c, a, b).", _np_patches(*args, order="cab"), True),
            (ORDER_ABC + " Yours swaps the kernel row and column (b, a, c).", _np_patches(*args, order="bac"), True),
            ("Don't flip the patch: entry (a, b) of row (i, j) is x_pad[i·s + a·d, j·s + b·d].",
             _np_patches(*args, flip=True), True),
            (DILATION, _np_patches(*args, dilate=False)),
            (SIDE, _np_patches(*args, side="flipped")),
        ]
        out.append(_case(label, args, expected, _tolerance(x.dtype), _mistakes(candidates, expected, index)))
    return out


def _col2im_cases(tf, rng, audience):
    out = []
    for index, (label, x, w, _, stride, padding, dilation) in enumerate(_conv_grid(rng, audience, c=2)):
        kernel = w.shape[:2]
        shape = _tf_patches(tf, x, kernel, stride, padding, dilation).shape
        cols = _short(rng.normal(size=shape), x.dtype)
        expected = _tf_col2im(tf, cols, x.shape, kernel, stride, padding, dilation)
        args = (cols, tuple(int(v) for v in x.shape), kernel, stride, padding, dilation)
        candidates = [
            (OVERLAP, _np_col2im(*args, accumulate=False), True),
            ("Crop the padding from the side same_padding put it on: rows top … top + H, columns left … left + W "
             "(the extra row and column are at the bottom/right).", _np_col2im(*args, side="flipped")),
            (DILATION, _np_col2im(*args, dilate=False)),
            (ORDER_ABC + " Yours reads each row as (c, a, b).", _np_col2im(*args, order="cab"), True),
        ]
        out.append(_case(label.replace("input", "image"), args, expected, _tolerance(x.dtype),
                         _mistakes(candidates, expected, index)))
    return out


def _conv_forward_cases(tf, rng, audience):
    """(label, x, w, b, stride, padding, dilation, keras_layer)."""
    problems = [(*p, False) for p in _conv_grid(rng, audience)]
    problems += [
        ("no bias: b=None, SAME, stride 1", _short(rng.normal(size=(2, 7, 7, 2))), _short(rng.normal(0, 0.5, (3, 3, 2, 3))), None,
         1, "SAME", 1, False),
        ("a keras.layers.Conv2D(4, (3, 3), strides=2, padding='same') with the same kernel and bias",
         _short(rng.normal(size=(3, 8, 8, 2))), _short(rng.normal(0, 0.5, (3, 3, 2, 4))), _short(rng.normal(0, 0.5, 4)), 2, "SAME", 1, True),
        ("integer images (int64) become float64, VALID", rng.integers(0, 5, (2, 6, 6, 1)),
         _short(rng.normal(0, 0.5, (2, 2, 1, 3))), _short(rng.normal(0, 0.5, 3)), 1, "VALID", 1, False),
    ]
    if audience == "hidden":
        problems += [
            ("no bias: b=None, VALID, stride 2, dilation 2", _short(rng.normal(size=(3, 9, 10, 2))),
             _short(rng.normal(0, 0.5, (2, 3, 2, 2))), None, 2, "VALID", 2, False),
            ("a keras.layers.Conv2D(3, (2, 3), dilation_rate=2, padding='valid') with the same kernel and bias",
             _short(rng.normal(size=(2, 9, 9, 3))), _short(rng.normal(0, 0.5, (2, 3, 3, 3))), _short(rng.normal(0, 0.5, 3)), 1, "VALID", 2, True),
            ("integer images (int64) become float64, SAME, stride 2", rng.integers(-3, 4, (2, 7, 6, 2)),
             _short(rng.normal(0, 0.5, (3, 3, 2, 2))), _short(rng.normal(0, 0.5, 2)), 2, "SAME", 1, False),
        ]
    out = []
    for index, (label, x, w, b, stride, padding, dilation, keras_layer) in enumerate(problems):
        xf = x if x.dtype.kind == "f" else x.astype(np.float64)
        expected = _tf_conv(tf, xf, w, b, stride, padding, dilation, keras_layer)
        if keras_layer:
            np.testing.assert_allclose(expected, _tf_conv(tf, xf, w, b, stride, padding, dilation), rtol=1e-12)
        fargs = (xf, w, b, stride, padding, dilation)
        candidates = [
            (FLIP, _np_conv(*fargs, flip=True), True),
            (SIDE + " (See same_padding.)", _np_conv(*fargs, side="flipped")),
            (DILATION, _np_conv(*fargs, dilate=False)),
            ("With stride s, SAME pads for ⌈n/s⌉ outputs (same_padding with the stride): a stride-1 convolution "
             "subsampled afterwards is padded differently.", _np_conv(*fargs, stride_after=True)),
            ("Add the bias b[f] to every output of channel f.", _np_conv(*fargs, bias=False), True),
        ]
        out.append(_case(label, (x, w, b, stride, padding, dilation), expected, _tolerance(expected.dtype),
                         _mistakes(candidates, expected, index)))
    return out


CONV_BACKWARD_MISTAKES = [
    (DW_AXES, "dw_outer"),
    ("dw is the *sum* over the batch, not the mean: dout already carries the loss's 1/N.", "dw_mean"),
    ("dw's entries are in the wrong order: colsᵀ · dout has rows in im2col's (a, b, c) order, so reshape it to "
     "(kh, kw, C, F) directly.", "dw_cab"),
    ("dw is not flipped: w[a, b] met x at offset (a·d, b·d), so dw[a, b] correlates x at that offset with dout.",
     "dw_flipped"),
    (DB_SUM, "db_mean"),
    (DB_SUM, "db_batch_mean"),
    ("dx is the *full* correlation of dout with the kernel flipped by 180° — col2im(dout · Wᵀ) — yours matches the "
     "kernel unflipped.", "dx_unflipped"),
    ("dx: crop the padding from the side same_padding put it on (the extra row and column are at the "
     "bottom/right).", "dx_side"),
    ("dx: " + DILATION, "dx_no_dilation"),
    ("dx: " + OVERLAP, "dx_overwrite"),
]


def _conv_backward_cases(tf, rng, audience):
    problems = _conv_grid(rng, audience)
    extra = [("integer images (int64) become float64, SAME", rng.integers(0, 5, (2, 6, 6, 1)),
              _short(rng.normal(0, 0.5, (2, 2, 1, 3))), None, 1, "SAME", 1)]
    if audience == "hidden":
        extra.append(("integer images (int64) become float64, VALID, stride 2", rng.integers(-3, 4, (3, 7, 8, 2)),
                      _short(rng.normal(0, 0.5, (3, 2, 2, 2))), None, 2, "VALID", 1))
    out = []
    for index, (label, x, w, _, stride, padding, dilation) in enumerate(problems + extra):
        dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
        y = _tf_conv(tf, np.asarray(x, dtype), w, None, stride, padding, dilation)
        dout = _short(rng.normal(size=y.shape), dtype)
        expected = _tf_conv_backward(tf, dout, x, w, stride, padding, dilation)
        xf = np.asarray(x, dtype)
        candidates = [(hint, _np_conv_backward(dout, xf, w, stride, padding, dilation, variant), not variant.startswith(
            ("dx_side", "dx_no_dilation"))) for hint, variant in CONV_BACKWARD_MISTAKES]
        out.append(_case(label, (dout, x, w, stride, padding, dilation), expected, _tolerance(dtype),
                         _mistakes(candidates, expected, index)))
    return out


def _pool_mistakes(kind, x, pool, stride, padding):
    if kind == "max":
        return [
            ("Pad with −∞, not 0: a padded cell is not part of the image and must never be the maximum "
             "(with negative inputs, zero padding shows).", _np_max_pool(x, pool, stride, padding, pad_value=0.0)),
            (SIDE + " (See same_padding.)", _np_max_pool(x, pool, stride, padding, side="flipped")),
        ]
    return [
        (AVG_REAL, _np_avg_pool(x, pool, stride, padding, divide="window")),
        (SIDE + " (See same_padding.)", _np_avg_pool(x, pool, stride, padding, side="flipped")),
    ]


def _pool_backward_mistakes(kind, dout, x, pool, stride, padding):
    if kind == "max":
        return [
            (MAX_TIES + " (Yours gives every tied cell the gradient.)",
             _np_max_pool_backward(dout, x, pool, stride, padding, rule="all"), True),
            (MAX_TIES + " (Yours gives it to the last maximum: use > rather than >=.)",
             _np_max_pool_backward(dout, x, pool, stride, padding, rule="last"), True),
            (MAX_TIES + " (Yours splits it between the tied cells.)",
             _np_max_pool_backward(dout, x, pool, stride, padding, rule="split"), True),
            (OVERLAP, _np_max_pool_backward(dout, x, pool, stride, padding, accumulate=False)),
            (SIDE + " (See same_padding.)", _np_max_pool_backward(dout, x, pool, stride, padding, side="flipped")),
            ("Pad with −∞, not 0: a padded cell must never be a window's maximum.",
             _np_max_pool_backward(dout, x, pool, stride, padding, pad_value=0.0)),
        ]
    return [
        (AVG_REAL, _np_avg_pool_backward(dout, x, pool, stride, padding, divide="window")),
        ("Each cell of a window receives dout / (the number of real cells in the window): divide.",
         _np_avg_pool_backward(dout, x, pool, stride, padding, divide="none"), True),
        (OVERLAP, _np_avg_pool_backward(dout, x, pool, stride, padding, accumulate=False)),
        (SIDE + " (See same_padding.)", _np_avg_pool_backward(dout, x, pool, stride, padding, side="flipped")),
    ]


def _pool_cases(tf, rng, audience, kind, backward):
    """Forward cases end with one through the Keras pooling layer (its default stride is the pool size)."""
    problems = [(*p, False) for p in _pool_grid(rng, audience)]
    if not backward:
        x = rng.integers(-4, 3, (2, 7, 8, 2)).astype(np.float64)
        problems.append(("a keras.layers.MaxPooling2D((2, 2)): default stride = pool size, VALID", x, (2, 2), None,
                         "VALID", True) if kind == "max" else
                        ("a keras.layers.AveragePooling2D(3, strides=2, padding='same')", x, 3, 2, "SAME", True))
    out = []
    for index, (label, x, pool, stride, padding, keras_layer) in enumerate(problems):
        y = _tf_pool(tf, kind, x, pool, stride, padding, keras_layer)
        if keras_layer:
            np.testing.assert_array_equal(y, _tf_pool(tf, kind, x, pool, stride, padding))
        st = pool if stride is None else stride
        if backward:
            dout = _short(rng.normal(size=y.shape), x.dtype)
            expected = _tf_pool_backward(tf, kind, dout, x, pool, stride, padding)
            args, candidates = (dout, x, pool, stride, padding), _pool_backward_mistakes(kind, dout, x, pool, st, padding)
        else:
            expected, args, candidates = y, (x, pool, stride, padding), _pool_mistakes(kind, x, pool, st, padding)
        out.append(_case(label, args, expected, _tolerance(x.dtype), _mistakes(candidates, expected, index)))
    return out


def cases(tf, rng, audience):
    """``{function: [case, ...]}`` for the ``public`` checks or the ``hidden`` grading fixtures."""
    out = {
        "conv_output_size": _conv_output_size_cases(tf, rng, audience),
        "same_padding": _same_padding_cases(tf, rng, audience),
        "im2col": _im2col_cases(tf, rng, audience),
        "col2im": _col2im_cases(tf, rng, audience),
        "conv2d_forward": _conv_forward_cases(tf, rng, audience),
        "conv2d_backward": _conv_backward_cases(tf, rng, audience),
        "max_pool2d_forward": _pool_cases(tf, rng, audience, "max", backward=False),
        "max_pool2d_backward": _pool_cases(tf, rng, audience, "max", backward=True),
        "avg_pool2d_forward": _pool_cases(tf, rng, audience, "avg", backward=False),
        "avg_pool2d_backward": _pool_cases(tf, rng, audience, "avg", backward=True),
    }
    return {name: out[name] for name in ORDER}


# ---- the simulated class (grading/demo.py): typical mistakes, each costing only its own function ----



_variant = functools.partial(mistakes.variant, "conv")


CLASS = {
    "stride_on_input": {"conv_output_size": _variant(
        "conv_output_size", ("max(0, -(-(input_size - k_eff + 1) // stride))", "max(0, -(-input_size // stride) - k_eff + 1)"))},
    "padding_wrong_side": {"same_padding": _variant(
        "same_padding", ("[total // 2, total - total // 2]", "[total - total // 2, total // 2]"))},
    "im2col_ignores_dilation": {"im2col": _variant(
        "im2col", ("(dh, dw) = kernel, stride, dilation", "(dh, dw) = kernel, stride, (1, 1)"),
        ("same_padding(x.shape[1:3], kernel, stride, dilation)", "same_padding(x.shape[1:3], kernel, stride)"))},
    "col2im_overwrites": {"col2im": _variant("col2im", ("] += patches[", "] = patches["))},
    "flipped_kernel": {"conv2d_forward": _variant(
        "conv2d_forward", ("kernel = w.reshape(kh * kw * c, f)", "kernel = w[::-1, ::-1].reshape(kh * kw * c, f)"))},
    "dw_wrong_axes": {"conv2d_backward": _variant(
        "conv2d_backward", ("dw += cols.reshape(-1, kh * kw * c).T @ g",
                            "dw += np.outer(cols.reshape(-1, kh * kw * c).sum(axis=0), g.sum(axis=0))"))},
    "db_not_summed": {"conv2d_backward": _variant(
        "conv2d_backward", ("db = dout.sum(axis=(0, 1, 2))", "db = dout.sum(axis=(1, 2)).mean(axis=0)"))},
    "max_zero_padding": {"max_pool2d_forward": _variant(
        "max_pool2d_forward", (", constant_values=-np.inf)", ")"))},
    "max_grad_to_every_max": {"max_pool2d_backward": _variant(
        "max_pool2d_backward", ("np.where(winner == k, dout, 0)", "np.where(x[:, rows, columns, :] == best, dout, 0)"))},
    "avg_same_window": {"avg_pool2d_forward": _variant(
        "avg_pool2d_forward", ("return total / count", "return total / (ph * pw)"))},
    "avg_grad_window": {"avg_pool2d_backward": _variant(
        "avg_pool2d_backward", ("share = dout / count", "share = dout / (ph * pw)"))},
}
EXPECTED_LOSSES = {student: set(functions) for student, functions in CLASS.items()}
