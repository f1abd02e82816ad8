r"""Dense layers and multi-layer perceptrons: forward (chapter 02_forward) and backward (chapter 05_backprop).

Layout (the one Keras uses): a batch of inputs is a matrix ``x`` of shape
(batch, in), one example per row; a dense layer's kernel ``W`` has shape
(in, out) and its bias ``b`` shape (out,), and the layer computes the row form

.. math:: y = xW + b,

which is the column form ``y = W'x + b`` of a single neuron layer, transposed,
with ``W' = Wᵀ``. A single example may also be given as a vector of shape (in,).

An MLP's parameters are a list ``params = [(W1, b1), (W2, b2), ...]``; the
activation is applied after every layer except the last, whose output is left
linear (the logits, to be fed to a loss "with logits").
"""
from __future__ import annotations

import numpy as np

from dlmath._validate import as_float_array

__all__ = ["dense_forward", "mlp_forward", "dense_backward", "mlp_backward"]


def _dense_arrays(x, W, b):
    x, W = as_float_array(x, "x"), as_float_array(W, "W")
    if W.ndim != 2:
        raise ValueError(f"W must be a 2-D kernel of shape (in, out), got shape {W.shape}")
    if x.ndim not in (1, 2) or x.shape[-1] != W.shape[0]:
        raise ValueError(f"x must have shape (batch, {W.shape[0]}) or ({W.shape[0]},) to match W of shape {W.shape}, "
                         f"got x.shape = {x.shape}")
    dtype = np.result_type(x, W)
    if b is not None:
        b = as_float_array(b, "b")
        if b.shape != (W.shape[1],):
            raise ValueError(f"b must have shape ({W.shape[1]},) to match W of shape {W.shape}, got b.shape = {b.shape}")
        dtype = np.result_type(dtype, b)
        b = b.astype(dtype, copy=False)
    return x.astype(dtype, copy=False), W.astype(dtype, copy=False), b


def _check_params(params) -> list[tuple[np.ndarray, np.ndarray]]:
    if not isinstance(params, (list, tuple)) or not params:
        raise TypeError("params must be a non-empty list of (W, b) pairs, one per layer")
    checked = []
    for index, pair in enumerate(params):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise TypeError(f"params[{index}] must be a (W, b) pair, got {type(pair).__name__}")
        W, b = as_float_array(pair[0], f"params[{index}][0] (W)"), as_float_array(pair[1], f"params[{index}][1] (b)")
        if W.ndim != 2 or b.shape != (W.shape[1],):
            raise ValueError(f"layer {index}: W must have shape (in, out) and b shape (out,), "
                             f"got W.shape = {W.shape}, b.shape = {b.shape}")
        if checked and checked[-1][0].shape[1] != W.shape[0]:
            raise ValueError(f"layer {index} expects {W.shape[0]} inputs but layer {index - 1} "
                             f"has {checked[-1][0].shape[1]} outputs")
        checked.append((W, b))
    return checked


def _check_function(f, name: str):
    if not callable(f):
        raise TypeError(f"{name} must be a function, got {type(f).__name__}")


def dense_forward(x, W, b):
    r"""A dense (fully connected) layer, row form.

    .. math:: z = xW + b, \qquad z_{nj} = \sum_i x_{ni} W_{ij} + b_j

    Args:
        x: inputs, shape (batch, in), or one example of shape (in,).
        W: kernel, shape (in, out) — Keras's layout.
        b: bias, shape (out,), broadcast over the batch.
    Returns:
        z, shape (batch, out) (or (out,)), in the common float dtype of the inputs.

    Graded: its documented extremes (inputs of scale 1000) carry at least a third of its points.
    Derived in: 02_forward §2.3
    """
    x, W, b = _dense_arrays(x, W, b)
    ### BEGIN SOLUTION
    return x @ W + b
    ### END SOLUTION


def mlp_forward(x, params, activation):
    r"""Forward pass of a multi-layer perceptron; returns the output and what backward needs.

    .. math:: a_0 = x, \quad z_k = a_{k-1} W_k + b_k, \quad a_k = f(z_k)\ (k < L), \quad \text{output} = z_L

    The last layer is linear: its output ``z_L`` is the network's logits.

    Args:
        x: inputs, shape (batch, in) or (in,).
        params: ``[(W1, b1), ..., (WL, bL)]``, ``Wk`` of shape (in_k, out_k), ``bk`` (out_k,).
        activation: elementwise function applied after every layer but the last (e.g. ``np.tanh``).
    Returns:
        ``(output, cache)``: ``output`` = z_L of shape (batch, out_L) (or (out_L,) for a single
        example); ``cache`` a list with
        one ``(a_prev, z)`` tuple per layer, in order — the layer's input a_{k-1} and its
        pre-activation z_k (so ``cache[-1][1]`` is ``output``). :func:`mlp_backward` reads it.

    Derived in: 02_forward §3.2
    """
    x = as_float_array(x, "x")
    params = _check_params(params)
    _check_function(activation, "activation")
    if x.ndim not in (1, 2) or x.shape[-1] != params[0][0].shape[0]:
        n = params[0][0].shape[0]
        raise ValueError(f"x must have shape (batch, {n}) or ({n},) to match the first layer, got {x.shape}")
    ### BEGIN SOLUTION
    cache, a = [], x
    for index, (W, b) in enumerate(params):
        z = dense_forward(a, W, b)
        cache.append((a, z))
        a = z if index == len(params) - 1 else activation(z)
    return a, cache
    ### END SOLUTION


def dense_backward(dout, x, W):
    r"""Backward pass of a dense layer z = xW + b: gradients w.r.t. x, W and b.

    With dout = ∂L/∂z of shape (batch, out):

    .. math:: \frac{\partial L}{\partial x} = \mathrm{dout}\, W^\top, \qquad
              \frac{\partial L}{\partial W} = x^\top \mathrm{dout}, \qquad
              \frac{\partial L}{\partial b} = \sum_n \mathrm{dout}_{n,:}

    (The column form's δ-rule, ∂L/∂W' = δ xᵀ and ∂L/∂b = δ, transposed and summed
    over the batch: the bias gradient is the unbroadcast of dout.)

    Args:
        dout: ∂L/∂z, shape (batch, out) (or (out,) for a single example).
        x: the input the forward pass saw, shape (batch, in) (or (in,)).
        W: the kernel, shape (in, out).
    Returns:
        ``(dx, dW, db)`` with the shapes of x, W and (out,).

    Derived in: 05_backprop §3.2
    """
    x, W, _ = _dense_arrays(x, W, None)
    dout = as_float_array(dout, "dout")
    if dout.shape != x.shape[:-1] + (W.shape[1],):
        raise ValueError(f"dout must have shape {x.shape[:-1] + (W.shape[1],)} (the layer's output), got {dout.shape}")
    dout = dout.astype(np.result_type(dout, x), copy=False)
    ### BEGIN SOLUTION
    if x.ndim == 1:
        return dout @ W.T, np.outer(x, dout), dout.copy()
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)
    ### END SOLUTION


def mlp_backward(dout, cache, params, activation_backward):
    r"""Backward pass of :func:`mlp_forward`: the gradient of every parameter (and of the input).

    Starting from dout = ∂L/∂output (e.g. a loss's ``_backward``), walk the layers
    from last to first: a dense layer's backward gives (∂L/∂a_{k-1}, ∂L/∂W_k, ∂L/∂b_k),
    and below every layer but the first the activation's backward turns ∂L/∂a_{k-1}
    into ∂L/∂z_{k-1}:

    .. math:: \delta_L = \mathrm{dout}, \qquad \delta_{k-1} = f'(z_{k-1}) \odot (\delta_k W_k^\top)

    Args:
        dout: ∂L/∂output, shape of the network's output.
        cache: the ``cache`` :func:`mlp_forward` returned.
        params: the parameters the forward pass used.
        activation_backward: ``activation_backward(dout, z)`` → ∂L/∂z for the activation the
            forward pass used (e.g. ``dlmath.activations.tanh_backward``).
    Returns:
        ``(dx, grads)``: ``dx`` = ∂L/∂x, shape of x; ``grads`` = ``[(dW1, db1), ..., (dWL, dbL)]``,
        shaped like ``params``.

    Derived in: 05_backprop §4.1
    """
    params = _check_params(params)
    _check_function(activation_backward, "activation_backward")
    if not isinstance(cache, (list, tuple)) or len(cache) != len(params):
        raise ValueError(f"cache must be the list mlp_forward returned, one (a_prev, z) per layer ({len(params)})")
    dout = as_float_array(dout, "dout")
    if dout.shape != np.shape(cache[-1][1]):
        raise ValueError(f"dout must have the shape of the network's output {np.shape(cache[-1][1])}, got {dout.shape}")
    ### BEGIN SOLUTION
    grads = [None] * len(params)
    delta = dout
    for index in reversed(range(len(params))):
        a_prev, _ = cache[index]
        dx, dW, db = dense_backward(delta, a_prev, params[index][0])
        grads[index] = (dW, db)
        delta = activation_backward(dx, cache[index - 1][1]) if index > 0 else dx
    return delta, grads
    ### END SOLUTION
