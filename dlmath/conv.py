r"""Convolution and pooling, forward and backward (chapter 08_cnn).

Layouts are TensorFlow's: images ``x`` are NHWC arrays of shape (batch, height, width,
channels), kernels ``w`` are HWIO arrays of shape (kh, kw, in_channels, out_channels) — the
layout of ``tf.nn.conv2d`` and of a Keras ``Conv2D`` kernel — so results compare with
TensorFlow's without any transposition.

A "convolution" here is what every framework computes: a **cross-correlation**, the kernel
slid over the image *without* flipping it,

.. math:: y_{n,i,j,f} = b_f + \sum_{a,b,c} x^{\text{pad}}_{n,\; i s_h + a d_h,\; j s_w + b d_w,\; c}\; w_{a,b,c,f}

with stride ``s`` and dilation ``d`` (an int, or a pair (height, width)).

Padding is ``"VALID"`` (none) or ``"SAME"`` (TensorFlow's: out = ⌈n/s⌉; the total padding
goes half to the top/left and the extra row or column to the bottom/right); lower case is
accepted too, as Keras writes it. Pools ignore padding: max-pooling treats it as −∞ and
average-pooling divides by the number of real cells in each window.

Backward functions are vector-Jacobian products: given ``dout`` = ∂L/∂y (the shape of the
forward output) and the inputs the forward pass saw, they return the gradients with the
shapes of those inputs.
"""
from __future__ import annotations

import operator

import numpy as np

from dlmath._validate import as_float_array

__all__ = [
    "conv_output_size", "same_padding",
    "im2col", "col2im",
    "conv2d_forward", "conv2d_backward",
    "max_pool2d_forward", "max_pool2d_backward",
    "avg_pool2d_forward", "avg_pool2d_backward",
]


# ---- input validation (reference code in every edition) ------------------------------------------

def _int(value, name: str, minimum: int = 1) -> int:
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {value!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be an integer ≥ {minimum}, got {value}")
    return value


def _pair(value, name: str, minimum: int = 1) -> tuple[int, int]:
    """An int (used for both axes) or a pair (height, width) of ints ≥ ``minimum``."""
    if isinstance(value, (tuple, list, np.ndarray)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an integer or a pair (height, width), got {value!r}")
        return _int(value[0], f"{name}[0]", minimum), _int(value[1], f"{name}[1]", minimum)
    value = _int(value, name, minimum)
    return value, value


def _padding(padding) -> str:
    if not isinstance(padding, str):
        raise TypeError(f"padding must be the string 'VALID' or 'SAME', got {padding!r}")
    if padding.upper() not in ("VALID", "SAME"):
        raise ValueError(f"padding must be 'VALID' or 'SAME' (either case), got {padding!r}")
    return padding.upper()


def _images(x, name: str = "x") -> np.ndarray:
    x = as_float_array(x, name)
    if x.ndim != 4 or 0 in x.shape:
        raise ValueError(f"{name} must be a non-empty NHWC batch of shape (batch, height, width, channels), "
                         f"got shape {x.shape}" + (" (add a batch axis with x[None])" if x.ndim == 3 else ""))
    return x


def _fits(size: tuple[int, int], kernel: tuple[int, int], dilation: tuple[int, int], padding: str, what: str):
    """VALID needs the dilated kernel (k − 1)·d + 1 to fit inside the input, on both axes."""
    if padding == "VALID":
        for axis, n, k, d in zip(("height", "width"), size, kernel, dilation):
            if (k - 1) * d + 1 > n:
                raise ValueError(f"the {what} (size {k}, dilation {d}: (k − 1)·d + 1 = {(k - 1) * d + 1}) is "
                                 f"larger than the input's {axis} {n}: VALID padding gives no output; "
                                 f"use SAME or a smaller {what}")


def _conv_arrays(x, w):
    x, w = _images(x, "x"), as_float_array(w, "w")
    if w.ndim != 4 or 0 in w.shape:
        raise ValueError(f"w must be a HWIO kernel of shape (kh, kw, in_channels, out_channels), got shape {w.shape}")
    if w.shape[2] != x.shape[3]:
        raise ValueError(f"w has {w.shape[2]} input channels (w.shape[2]) but x has {x.shape[3]} (x.shape[3]): "
                         f"w must have shape (kh, kw, {x.shape[3]}, out_channels) in the HWIO layout")
    dtype = np.result_type(x, w)
    return x.astype(dtype, copy=False), w.astype(dtype, copy=False)


def _pool_arguments(x, pool_size, stride, padding):
    x = _images(x)
    pool = _pair(pool_size, "pool_size")
    stride = pool if stride is None else _pair(stride, "stride")
    padding = _padding(padding)
    _fits(x.shape[1:3], pool, (1, 1), padding, "pool window")
    return x, pool, stride, padding


def _pool_gradient(dout, x, pool, stride, padding, name):
    """dout with the pool's output shape, and both in their common float dtype."""
    dout = as_float_array(dout, "dout")
    if padding == "SAME":
        expected = tuple(-(-n // s) for n, s in zip(x.shape[1:3], stride))
    else:
        expected = tuple((n - k) // s + 1 for n, k, s in zip(x.shape[1:3], pool, stride))
    expected = (x.shape[0], *expected, x.shape[3])
    if dout.shape != expected:
        raise ValueError(f"dout must have the shape of {name}'s output {expected}, got {dout.shape}")
    dtype = np.result_type(dout, x)
    return dout.astype(dtype, copy=False), x.astype(dtype, copy=False)


# ---- output size and padding ----------------------------------------------------------------------

def conv_output_size(input_size, kernel_size, stride=1, padding="VALID", dilation=1):
    r"""Number of output positions of a convolution (or pool) along one axis, as TensorFlow computes it.

    With the dilated ("effective") kernel size :math:`k_\text{eff} = (k - 1)\,d + 1`:

    .. math:: \text{VALID: } \left\lceil \frac{n - k_\text{eff} + 1}{s} \right\rceil
              = \left\lfloor \frac{n - k_\text{eff}}{s} \right\rfloor + 1, \qquad
              \text{SAME: } \left\lceil \frac{n}{s} \right\rceil

    VALID counts the positions where the whole dilated kernel fits, one every ``s``: 0 when it
    does not fit at all (k_eff > n). SAME pads just enough that every ``s``-th position has an
    output, so it depends on neither k nor d.

    Args:
        input_size: n, the input's length along the axis (int ≥ 1).
        kernel_size: k (int ≥ 1).
        stride: s (int ≥ 1).
        padding: ``"VALID"`` or ``"SAME"`` (either case).
        dilation: d (int ≥ 1).
    Returns:
        The output length, a Python ``int`` (≥ 0).

    Derived in: 08_cnn §2.3
    """
    input_size, kernel_size = _int(input_size, "input_size"), _int(kernel_size, "kernel_size")
    stride, dilation, padding = _int(stride, "stride"), _int(dilation, "dilation"), _padding(padding)
    ### BEGIN SOLUTION
    if padding == "SAME":
        return -(-input_size // stride)
    k_eff = (kernel_size - 1) * dilation + 1
    return max(0, -(-(input_size - k_eff + 1) // stride))
    ### END SOLUTION


def same_padding(input_size, kernel_size, stride=1, dilation=1):
    r"""TensorFlow's SAME padding of a 2-D convolution or pool: ``(top, bottom, left, right)``.

    Along each axis, with :math:`k_\text{eff} = (k - 1)\,d + 1` and
    :math:`\text{out} = \lceil n / s \rceil`:

    .. math:: p = \max\big((\text{out} - 1)\,s + k_\text{eff} - n,\; 0\big), \qquad
              p_\text{before} = \lfloor p / 2 \rfloor, \qquad p_\text{after} = p - p_\text{before}

    so when the total is odd the extra row goes to the **bottom** and the extra column to the
    **right** (TensorFlow's convention).

    Args:
        input_size: (height, width) of the input.
        kernel_size: (kh, kw), or one int for both.
        stride: (sh, sw), or one int for both.
        dilation: (dh, dw), or one int for both.
    Returns:
        ``(top, bottom, left, right)``, a tuple of four Python ints ≥ 0.

    Derived in: 08_cnn §2.4
    """
    size, kernel = _pair(input_size, "input_size"), _pair(kernel_size, "kernel_size")
    stride, dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
    ### BEGIN SOLUTION
    pads = []
    for n, k, s, d in zip(size, kernel, stride, dilation):
        k_eff = (k - 1) * d + 1
        out = -(-n // s)
        total = max((out - 1) * s + k_eff - n, 0)
        pads += [total // 2, total - total // 2]
    return tuple(pads)
    ### END SOLUTION


# ---- im2col / col2im ------------------------------------------------------------------------------

def im2col(x, kernel_size, stride=1, padding="VALID", dilation=1):
    r"""Every kernel-sized patch of ``x`` as one row: the convolution becomes a matrix product.

    .. math:: \text{cols}_{n,i,j,\,(a,b,c)} = x^{\text{pad}}_{n,\; i s_h + a d_h,\; j s_w + b d_w,\; c}

    The last axis runs over the patch in (a, b, c) order — kernel row, kernel column, channel,
    row-major — the order of ``w.reshape(kh * kw * C, F)`` for an HWIO kernel, so that
    ``im2col(x, ...) @ w.reshape(-1, F)`` is the convolution (and the order of
    ``tf.image.extract_patches``). For SAME the input is zero-padded as :func:`same_padding` says.

    Args:
        x: images, shape (N, H, W, C).
        kernel_size: (kh, kw), or one int.
        stride, dilation: an int or a pair (height, width).
        padding: ``"VALID"`` or ``"SAME"``.
    Returns:
        ``cols`` of shape (N, OH, OW, kh·kw·C), OH and OW as :func:`conv_output_size` gives them,
        dtype of ``x``. (``cols.reshape(-1, kh * kw * C)`` is the (N·OH·OW) × (kh·kw·C) matrix.)

    Derived in: 08_cnn §3.2
    """
    x = _images(x)
    kernel, stride, dilation = _pair(kernel_size, "kernel_size"), _pair(stride, "stride"), _pair(dilation, "dilation")
    padding = _padding(padding)
    _fits(x.shape[1:3], kernel, dilation, padding, "kernel")
    ### BEGIN SOLUTION
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    if padding == "SAME":
        top, bottom, left, right = same_padding(x.shape[1:3], kernel, stride, dilation)
        x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    n, hp, wp, c = x.shape
    oh, ow = (hp - (kh - 1) * dh - 1) // sh + 1, (wp - (kw - 1) * dw - 1) // sw + 1
    cols = np.empty((n, oh, ow, kh, kw, c), x.dtype)
    for a in range(kh):          # one strided copy per kernel offset: kh·kw copies, never a loop over pixels
        for b in range(kw):
            rows = slice(a * dh, a * dh + (oh - 1) * sh + 1, sh)        # the rows kernel row a meets
            columns = slice(b * dw, b * dw + (ow - 1) * sw + 1, sw)
            cols[:, :, :, a, b, :] = x[:, rows, columns, :]
    return cols.reshape(n, oh, ow, kh * kw * c)
    ### END SOLUTION


def col2im(cols, x_shape, kernel_size, stride=1, padding="VALID", dilation=1):
    r"""The adjoint of :func:`im2col`: add every patch row back into the image it came from.

    .. math:: \text{dx}_{n,h,w,c} = \sum_{i,j,a,b\,:\; i s_h + a d_h - p_\text{top} = h,\;
              j s_w + b d_w - p_\text{left} = w} \text{cols}_{n,i,j,(a,b,c)}

    Where patches overlap, their contributions **add**; cells that fall in the padding are
    dropped. This is the backward pass of im2col: if ``cols`` is ∂L/∂(im2col(x)), the result
    is ∂L/∂x.

    Args:
        cols: shape (N, OH, OW, kh·kw·C), patch axis in (a, b, c) order as :func:`im2col` makes it.
        x_shape: (N, H, W, C), the shape of the image im2col saw.
        kernel_size, stride, padding, dilation: as for :func:`im2col`.
    Returns:
        An array of shape ``x_shape``, dtype of ``cols``.

    Derived in: 08_cnn §4.2
    """
    cols = as_float_array(cols, "cols")
    if not isinstance(x_shape, (tuple, list)) or len(x_shape) != 4:
        raise TypeError(f"x_shape must be the 4-tuple (N, H, W, C) of the image's shape, got {x_shape!r}")
    x_shape = tuple(_int(v, f"x_shape[{i}]") for i, v in enumerate(x_shape))
    kernel, stride, dilation = _pair(kernel_size, "kernel_size"), _pair(stride, "stride"), _pair(dilation, "dilation")
    padding = _padding(padding)
    _fits(x_shape[1:3], kernel, dilation, padding, "kernel")
    depth = kernel[0] * kernel[1] * x_shape[3]
    if cols.ndim != 4 or cols.shape[0] != x_shape[0] or cols.shape[3] != depth:
        raise ValueError(f"cols must have shape ({x_shape[0]}, OH, OW, {depth}) — (N, OH, OW, kh·kw·C) as im2col "
                         f"returns it for x of shape {x_shape} — got {cols.shape}")
    ### BEGIN SOLUTION
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    n, h, w, c = x_shape
    top = bottom = left = right = 0
    if padding == "SAME":
        top, bottom, left, right = same_padding((h, w), kernel, stride, dilation)
    _, oh, ow, _ = cols.shape
    patches = cols.reshape(n, oh, ow, kh, kw, c)
    padded = np.zeros((n, h + top + bottom, w + left + right, c), cols.dtype)
    for a in range(kh):
        for b in range(kw):
            rows = slice(a * dh, a * dh + (oh - 1) * sh + 1, sh)
            columns = slice(b * dw, b * dw + (ow - 1) * sw + 1, sw)
            padded[:, rows, columns, :] += patches[:, :, :, a, b, :]      # overlapping patches add up
    return padded[:, top:top + h, left:left + w, :].copy()
    ### END SOLUTION


# ---- convolution ----------------------------------------------------------------------------------

def conv2d_forward(x, w, b=None, stride=1, padding="VALID", dilation=1):
    r"""2-D convolution (cross-correlation) of a batch of images, as ``tf.nn.conv2d`` computes it, plus a bias.

    .. math:: y_{n,i,j,f} = b_f + \sum_{a=0}^{k_h-1}\sum_{b=0}^{k_w-1}\sum_{c}
              x^{\text{pad}}_{n,\; i s_h + a d_h,\; j s_w + b d_w,\; c}\; w_{a,b,c,f}

    The kernel is **not** flipped. As one matrix product:
    ``y = im2col(x) @ w.reshape(kh·kw·C, F) + b``.

    Args:
        x: images, shape (N, H, W, C).
        w: kernel, shape (kh, kw, C, F) (HWIO).
        b: bias, shape (F,), or None for no bias.
        stride: an int or a pair (sh, sw).
        padding: ``"VALID"`` or ``"SAME"`` (TensorFlow's split, :func:`same_padding`).
        dilation: an int or a pair (dh, dw).
    Returns:
        y of shape (N, OH, OW, F) (OH, OW from :func:`conv_output_size`), in the common float
        dtype of the inputs.

    Derived in: 08_cnn §3.3
    """
    x, w = _conv_arrays(x, w)
    if b is not None:
        b = as_float_array(b, "b")
        if b.shape != (w.shape[3],):
            raise ValueError(f"b must have shape ({w.shape[3]},), one bias per output channel (w.shape[3]), "
                             f"got {b.shape}")
        dtype = np.result_type(x, b)
        x, w, b = x.astype(dtype, copy=False), w.astype(dtype, copy=False), b.astype(dtype, copy=False)
    stride, dilation, padding = _pair(stride, "stride"), _pair(dilation, "dilation"), _padding(padding)
    _fits(x.shape[1:3], w.shape[:2], dilation, padding, "kernel")
    ### BEGIN SOLUTION
    kh, kw, c, f = w.shape
    kernel = w.reshape(kh * kw * c, f)
    # in chunks of images, so each chunk's patch matrix (≤ 16 MiB) stays in the CPU's cache: the same
    # arithmetic as one big im2col, with a bounded peak memory
    per_image = kh * kw * c * x.shape[1] * x.shape[2] * x.itemsize // (stride[0] * stride[1])
    chunk = max(1, (16 << 20) // max(per_image, 1))
    y = None
    for start in range(0, x.shape[0], chunk):
        cols = im2col(x[start:start + chunk], (kh, kw), stride, padding, dilation)
        if y is None:
            y = np.empty((x.shape[0], *cols.shape[1:3], f), x.dtype)
        np.matmul(cols.reshape(-1, kh * kw * c), kernel, out=y[start:start + chunk].reshape(-1, f))
        del cols                                     # free this chunk's matrix before building the next
    if b is not None:
        y += b
    return y
    ### END SOLUTION


def conv2d_backward(dout, x, w, stride=1, padding="VALID", dilation=1):
    r"""Gradients of :func:`conv2d_forward` w.r.t. its input, kernel and bias.

    With dout = ∂L/∂y of shape (N, OH, OW, F) and cols = im2col(x):

    .. math:: \frac{\partial L}{\partial w_{a,b,c,f}} = \sum_{n,i,j}
              x^{\text{pad}}_{n,\, i s_h + a d_h,\, j s_w + b d_w,\, c}\;\mathrm{dout}_{n,i,j,f}
              \quad(\text{cols}^\top \mathrm{dout}: \text{a correlation of } x \text{ with dout}),

    .. math:: \frac{\partial L}{\partial b_f} = \sum_{n,i,j} \mathrm{dout}_{n,i,j,f}, \qquad
              \frac{\partial L}{\partial x} = \mathrm{col2im}\big(\mathrm{dout}\; w^\top\big)

    — for stride 1, a "full" correlation of dout with the kernel flipped in both spatial axes.

    Args:
        dout: ∂L/∂y, shape (N, OH, OW, F), the shape of the forward output.
        x: the images the forward pass saw, (N, H, W, C).
        w: the kernel, (kh, kw, C, F).
        stride, padding, dilation: as the forward pass used them.
    Returns:
        ``(dx, dw, db)`` with the shapes of x, w and (F,), in the common float dtype.

    Derived in: 08_cnn §4.3
    """
    x, w = _conv_arrays(x, w)
    stride, dilation, padding = _pair(stride, "stride"), _pair(dilation, "dilation"), _padding(padding)
    _fits(x.shape[1:3], w.shape[:2], dilation, padding, "kernel")
    dout = as_float_array(dout, "dout")
    if padding == "SAME":
        expected = tuple(-(-n // s) for n, s in zip(x.shape[1:3], stride))
    else:
        expected = tuple(-(-(n - (k - 1) * d) // s) for n, k, s, d in zip(x.shape[1:3], w.shape[:2], stride, dilation))
    expected = (x.shape[0], *expected, w.shape[3])
    if dout.shape != expected:
        raise ValueError(f"dout must have the shape of the convolution's output {expected}, got {dout.shape}")
    dtype = np.result_type(dout, x)
    dout, x, w = dout.astype(dtype, copy=False), x.astype(dtype, copy=False), w.astype(dtype, copy=False)
    ### BEGIN SOLUTION
    kh, kw, c, f = w.shape
    kernel = w.reshape(kh * kw * c, f)
    dx = np.empty_like(x)
    dw = np.zeros((kh * kw * c, f), dtype)
    per_image = kh * kw * c * x.shape[1] * x.shape[2] * x.itemsize // (stride[0] * stride[1])
    chunk = max(1, (16 << 20) // max(per_image, 1))
    for start in range(0, x.shape[0], chunk):      # chunks of images, as in the forward pass
        part = slice(start, start + chunk)
        cols = im2col(x[part], (kh, kw), stride, padding, dilation)
        g = dout[part].reshape(-1, f)
        dw += cols.reshape(-1, kh * kw * c).T @ g
        dcols = (g @ kernel.T).reshape(cols.shape)
        dx[part] = col2im(dcols, x[part].shape, (kh, kw), stride, padding, dilation)
        del cols, dcols
    db = dout.sum(axis=(0, 1, 2))
    return dx, dw.reshape(w.shape), db
    ### END SOLUTION


# ---- pooling --------------------------------------------------------------------------------------

def max_pool2d_forward(x, pool_size=2, stride=None, padding="VALID"):
    r"""Max-pooling of each channel, as ``tf.nn.max_pool2d`` computes it.

    .. math:: y_{n,i,j,c} = \max_{0 \le a < p_h,\; 0 \le b < p_w} x^{\text{pad}}_{n,\; i s_h + a,\; j s_w + b,\; c}

    SAME pads as :func:`same_padding` (with dilation 1) says, with −∞: padding never wins.

    Args:
        x: images, shape (N, H, W, C).
        pool_size: (ph, pw), or one int.
        stride: an int or a pair; None (the default) means ``pool_size``, as in Keras.
        padding: ``"VALID"`` or ``"SAME"``.
    Returns:
        y of shape (N, OH, OW, C), dtype of ``x``.

    Derived in: 08_cnn §5.1
    """
    x, pool, stride, padding = _pool_arguments(x, pool_size, stride, padding)
    ### BEGIN SOLUTION
    (ph, pw), (sh, sw) = pool, stride
    if padding == "SAME":
        top, bottom, left, right = same_padding(x.shape[1:3], pool, stride)
        x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=-np.inf)
    n, hp, wp, c = x.shape
    oh, ow = (hp - ph) // sh + 1, (wp - pw) // sw + 1
    y = np.full((n, oh, ow, c), -np.inf, x.dtype)
    for a in range(ph):
        for b in range(pw):
            np.maximum(y, x[:, a:a + (oh - 1) * sh + 1:sh, b:b + (ow - 1) * sw + 1:sw, :], out=y)
    return y
    ### END SOLUTION


def max_pool2d_backward(dout, x, pool_size=2, stride=None, padding="VALID"):
    r"""Gradient of :func:`max_pool2d_forward` w.r.t. its input.

    Each window passes its dout to the cell that was its maximum — the **first** maximum in
    row-major window order when several cells tie (as TensorFlow does) — and zero to the others:

    .. math:: \frac{\partial L}{\partial x_{n,h,w,c}} = \sum_{i,j\,:\ (h,w) = \text{first argmax of window } (i,j)}
              \mathrm{dout}_{n,i,j,c}

    A cell that is the maximum of several (overlapping) windows receives the sum.

    Args:
        dout: ∂L/∂y, shape of the forward output (N, OH, OW, C).
        x: the images the forward pass saw, (N, H, W, C).
        pool_size, stride, padding: as the forward pass used them.
    Returns:
        ∂L/∂x, shape of ``x``, in the common float dtype.

    Derived in: 08_cnn §5.2
    """
    x, pool, stride, padding = _pool_arguments(x, pool_size, stride, padding)
    dout, x = _pool_gradient(dout, x, pool, stride, padding, "max_pool2d_forward")
    ### BEGIN SOLUTION
    (ph, pw), (sh, sw) = pool, stride
    n, h, w, c = x.shape
    top = left = 0
    if padding == "SAME":
        top, bottom, left, right = same_padding((h, w), pool, stride)
        x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=-np.inf)
    oh, ow = dout.shape[1:3]
    windows = [(a, b) for a in range(ph) for b in range(pw)]          # row-major window order

    def cells(a, b):
        return slice(a, a + (oh - 1) * sh + 1, sh), slice(b, b + (ow - 1) * sw + 1, sw)

    best = np.full(dout.shape, -np.inf, x.dtype)
    winner = np.zeros(dout.shape, np.int64)
    for k, (a, b) in enumerate(windows):
        rows, columns = cells(a, b)
        candidate = x[:, rows, columns, :]
        better = candidate > best                                      # strictly: the first maximum keeps a tie
        best = np.where(better, candidate, best)
        winner[better] = k
    dx = np.zeros(x.shape, dout.dtype)
    for k, (a, b) in enumerate(windows):
        rows, columns = cells(a, b)
        dx[:, rows, columns, :] += np.where(winner == k, dout, 0)      # overlapping windows add up
    return dx[:, top:top + h, left:left + w, :].copy()
    ### END SOLUTION


def avg_pool2d_forward(x, pool_size=2, stride=None, padding="VALID"):
    r"""Average-pooling of each channel, as ``tf.nn.avg_pool2d`` computes it.

    .. math:: y_{n,i,j,c} = \frac{1}{|W_{ij}|} \sum_{(h,w) \in W_{ij}} x_{n,h,w,c}

    where :math:`W_{ij}` is the set of **real** cells of window (i, j): with SAME, a window that
    overlaps the padding divides by the number of cells inside the image, not by ph·pw.

    Args:
        x: images, shape (N, H, W, C).
        pool_size: (ph, pw), or one int.
        stride: an int or a pair; None (the default) means ``pool_size``.
        padding: ``"VALID"`` or ``"SAME"``.
    Returns:
        y of shape (N, OH, OW, C), dtype of ``x``.

    Derived in: 08_cnn §5.3
    """
    x, pool, stride, padding = _pool_arguments(x, pool_size, stride, padding)
    ### BEGIN SOLUTION
    (ph, pw), (sh, sw) = pool, stride
    n, h, w, c = x.shape
    real = np.ones((1, h, w, 1), x.dtype)
    if padding == "SAME":
        top, bottom, left, right = same_padding((h, w), pool, stride)
        widths = ((0, 0), (top, bottom), (left, right), (0, 0))
        x, real = np.pad(x, widths), np.pad(real, widths)
    oh, ow = (x.shape[1] - ph) // sh + 1, (x.shape[2] - pw) // sw + 1
    total = np.zeros((n, oh, ow, c), x.dtype)
    count = np.zeros((1, oh, ow, 1), x.dtype)
    for a in range(ph):
        for b in range(pw):
            rows, columns = slice(a, a + (oh - 1) * sh + 1, sh), slice(b, b + (ow - 1) * sw + 1, sw)
            total += x[:, rows, columns, :]
            count += real[:, rows, columns, :]
    return total / count
    ### END SOLUTION


def avg_pool2d_backward(dout, x, pool_size=2, stride=None, padding="VALID"):
    r"""Gradient of :func:`avg_pool2d_forward` w.r.t. its input.

    Each window spreads its dout evenly over its real cells:

    .. math:: \frac{\partial L}{\partial x_{n,h,w,c}}
              = \sum_{i,j\,:\ (h,w) \in W_{ij}} \frac{\mathrm{dout}_{n,i,j,c}}{|W_{ij}|}

    (``x`` is only needed for its shape; it is an argument so every backward function has
    the same form.)

    Args:
        dout: ∂L/∂y, shape of the forward output (N, OH, OW, C).
        x: the images the forward pass saw, (N, H, W, C).
        pool_size, stride, padding: as the forward pass used them.
    Returns:
        ∂L/∂x, shape of ``x``, in the common float dtype.

    Derived in: 08_cnn §5.3
    """
    x, pool, stride, padding = _pool_arguments(x, pool_size, stride, padding)
    dout, x = _pool_gradient(dout, x, pool, stride, padding, "avg_pool2d_forward")
    ### BEGIN SOLUTION
    (ph, pw), (sh, sw) = pool, stride
    n, h, w, c = x.shape
    top = bottom = left = right = 0
    if padding == "SAME":
        top, bottom, left, right = same_padding((h, w), pool, stride)
    real = np.pad(np.ones((1, h, w, 1), dout.dtype), ((0, 0), (top, bottom), (left, right), (0, 0)))
    oh, ow = dout.shape[1:3]
    windows = [(slice(a, a + (oh - 1) * sh + 1, sh), slice(b, b + (ow - 1) * sw + 1, sw))
               for a in range(ph) for b in range(pw)]
    count = sum(real[:, rows, columns, :] for rows, columns in windows)
    share = dout / count
    dx = np.zeros((n, h + top + bottom, w + left + right, c), dout.dtype)
    for rows, columns in windows:
        dx[:, rows, columns, :] += share
    return dx[:, top:top + h, left:left + w, :].copy()
    ### END SOLUTION
