r"""A small Sequential framework assembled from the learner's own parts (chapter 11_capstone).

A model is two parallel lists:

* ``layers`` — the kind of each layer, a string: ``"dense"`` (chapter 02's
  :func:`dlmath.layers.dense_forward`, 05's :func:`dlmath.layers.dense_backward`) or an
  activation from chapter 03: ``"relu"``, ``"tanh"``, ``"sigmoid"``;
* ``params`` — each layer's parameters as a tuple: ``(W, b)`` for a dense layer (W of shape
  (in, out), b of shape (out,), Keras's layout), ``()`` for an activation.

Every layer kind obeys one contract, the one chapters 02–05 built:
``forward(x, p) -> y`` and ``backward(dout, x, p) -> (dx, grads)`` where ``x`` is the input the
forward pass saw. :data:`LAYERS` holds that table; the graded functions compose it:

* :func:`sequential_forward` — layers in order, each one's input kept (the caches);
* :func:`sequential_backward` — layers in reverse order, each one's gradients collected;
* :func:`train_epoch` — mini-batches in a given order, one optimizer step (chapter 06's
  contract) per parameter array per batch, the loss of each batch;
* :func:`input_gradient` — the gradient of each example's loss with respect to its input
  (saliency maps, adversarial examples);
* :func:`fgsm` — the fast gradient sign method.

Ungraded, shipped to everyone: :func:`predict`, :func:`fit` (epochs with shuffling, a progress
bar, validation accuracy and early stopping), :func:`save` and :func:`load` (``.npz`` with a
JSON manifest inside, never pickle).

The loss is always the softmax cross-entropy on the last layer's output (the logits) with
integer labels — chapter 04's ``sparse_categorical_cross_entropy_with_logits``, the batch mean.
"""
from __future__ import annotations

import json
import numbers
import zipfile
from pathlib import Path

import numpy as np

from dlmath import activations, layers as dense_layers, losses
from dlmath._validate import as_float_array

__all__ = ["LAYERS", "sequential_forward", "sequential_backward", "train_epoch", "input_gradient", "fgsm",
           "predict", "fit", "save", "load", "init_params"]


# ---- the layer contract: forward(x, p) -> y, backward(dout, x, p) -> (dx, grads) -------------------

def _dense_backward(dout, x, p):
    dx, dW, db = dense_layers.dense_backward(dout, x, p[0])
    return dx, (dW, db)


def _activation(forward, backward):
    return (lambda x, p: forward(x)), (lambda dout, x, p: (backward(dout, x), ()))


LAYERS = {
    "dense": (lambda x, p: dense_layers.dense_forward(x, p[0], p[1]), _dense_backward),
    "relu": _activation(activations.relu, activations.relu_backward),
    "tanh": _activation(activations.tanh, activations.tanh_backward),
    "sigmoid": _activation(activations.sigmoid, activations.sigmoid_backward),
}
"""kind → (forward(x, p) -> y, backward(dout, x, p) -> (dx, grads)); ``x`` is the layer's input."""


def _check_model(layers, params) -> tuple[list[str], list[tuple]]:
    if not isinstance(layers, (list, tuple)) or not layers:
        raise TypeError(f"layers must be a non-empty list of layer kinds ({', '.join(LAYERS)}), got {layers!r}")
    if not isinstance(params, (list, tuple)) or len(params) != len(layers):
        raise ValueError(f"params must be a list with one entry per layer ({len(layers)}): (W, b) for a dense "
                         f"layer, () for an activation; got {type(params).__name__}"
                         + (f" of length {len(params)}" if isinstance(params, (list, tuple)) else ""))
    checked, width = [], None
    for index, (kind, p) in enumerate(zip(layers, params)):
        if kind not in LAYERS:
            raise ValueError(f"layers[{index}] = {kind!r} is not a layer kind; expected one of {', '.join(LAYERS)}")
        if not isinstance(p, (list, tuple)):
            raise TypeError(f"params[{index}] must be a tuple, got {type(p).__name__}")
        if kind != "dense":
            if len(p) != 0:
                raise ValueError(f"layer {index} ({kind}) has no parameters: params[{index}] must be (), got {len(p)} arrays")
            checked.append(())
            continue
        if len(p) != 2:
            raise ValueError(f"layer {index} (dense) needs params[{index}] = (W, b), got {len(p)} arrays")
        W, b = as_float_array(p[0], f"params[{index}][0] (W)"), as_float_array(p[1], f"params[{index}][1] (b)")
        if W.ndim != 2 or b.shape != (W.shape[1],):
            raise ValueError(f"layer {index} (dense): W must have shape (in, out) and b shape (out,), "
                             f"got W.shape = {W.shape}, b.shape = {b.shape}")
        if width is not None and W.shape[0] != width:
            raise ValueError(f"layer {index} (dense) expects {W.shape[0]} inputs but the layers before it give {width}")
        width = W.shape[1]
        checked.append((W, b))
    return list(layers), checked


def _first_width(params):
    return next((p[0].shape[0] for p in params if len(p) == 2), None)


def _check_input(x, params, name="x") -> np.ndarray:
    x = as_float_array(x, name)
    n = _first_width(params)
    if x.ndim != 2 or (n is not None and x.shape[1] != n):
        raise ValueError(f"{name} must have shape (batch, {n if n is not None else 'features'}), got {x.shape}")
    return x


def _check_labels(labels, n: int, name="labels") -> np.ndarray:
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu" or labels.shape != (n,):
        raise ValueError(f"{name} must be {n} integer class indices, shape ({n},), got {labels.dtype} {labels.shape}")
    return labels.astype(np.int64)


# ---- graded: composing the contract -------------------------------------------------------------

def sequential_forward(layers, params, x):
    r"""Forward pass of a Sequential model: each layer applied to the previous one's output.

    .. math:: a_0 = x, \qquad a_k = f_k(a_{k-1};\ p_k)\ (k = 1 \dots L), \qquad \text{out} = a_L

    Args:
        layers: the layer kinds, e.g. ``["dense", "relu", "dense"]`` (keys of :data:`LAYERS`).
        params: one tuple per layer: ``(W, b)`` for a dense layer, ``()`` for an activation.
        x: inputs, shape (batch, in).
    Returns:
        ``(out, caches)``: ``out`` = a_L, shape (batch, out_L); ``caches`` a list with one entry
        per layer, in order: the *input* a_{k-1} that layer k saw (shape (batch, in_k)) — all
        that :func:`sequential_backward` needs.

    Derived in: 11_capstone §2.1
    """
    layers, params = _check_model(layers, params)
    x = _check_input(x, params)
    ### BEGIN SOLUTION
    caches, a = [], x
    for kind, p in zip(layers, params):
        forward, _ = LAYERS[kind]
        caches.append(a)
        a = forward(a, p)
    return a, caches
    ### END SOLUTION


def sequential_backward(layers, params, caches, dout):
    r"""Backward pass of :func:`sequential_forward`: the chain rule, layer by layer, from the top.

    .. math:: \delta_L = \mathrm{dout}, \qquad (\delta_{k-1},\ g_k) = \mathrm{backward}_k(\delta_k,\ a_{k-1};\ p_k)
              \quad (k = L \dots 1), \qquad dx = \delta_0

    Args:
        layers, params: as for :func:`sequential_forward`.
        caches: the list :func:`sequential_forward` returned (layer k's input a_{k-1}).
        dout: ∂L/∂out, shape (batch, out_L).
    Returns:
        ``(dx, grads)``: ``dx`` = ∂L/∂x, shape of x; ``grads`` a list shaped like ``params``:
        ``(dW, db)`` for a dense layer, ``()`` for an activation, **in layer order**.

    Derived in: 11_capstone §2.2
    """
    layers, params = _check_model(layers, params)
    if not isinstance(caches, (list, tuple)) or len(caches) != len(layers):
        raise ValueError(f"caches must be the list sequential_forward returned, one input per layer ({len(layers)})")
    dout = as_float_array(dout, "dout")
    if dout.ndim != 2 or dout.shape[0] != np.shape(caches[0])[0]:
        raise ValueError(f"dout must have shape (batch, out) with the batch of the forward pass "
                         f"({np.shape(caches[0])[0]}), got {dout.shape}")
    ### BEGIN SOLUTION
    grads = [()] * len(layers)
    for k in reversed(range(len(layers))):
        _, backward = LAYERS[layers[k]]
        dout, grads[k] = backward(dout, caches[k], params[k])
    return dout, grads
    ### END SOLUTION


def _check_optimizer(optimizer):
    if not callable(optimizer):
        raise TypeError(f"optimizer must be an update rule such as dlmath.optim.sgd, got {type(optimizer).__name__}")


def train_epoch(layers, params, x, labels, batch_size, optimizer, states=None, order=None, **hyper):
    r"""One epoch of mini-batch training with the softmax cross-entropy loss.

    For each batch :math:`B` — consecutive chunks of ``order`` of ``batch_size`` examples, the last
    one possibly smaller:

    .. math:: L_B = -\frac{1}{|B|}\sum_{n \in B} \log \operatorname{softmax}(\text{out}(x_n))_{y_n}, \qquad
              (w, s) \leftarrow \text{optimizer}(w, \partial L_B/\partial w, s, \text{**hyper})

    for every parameter array w of every layer, each with its own optimizer state s, carried
    from step to step (and from epoch to epoch through ``states``). ``losses`` records each
    batch's loss *before* its step (what Keras's ``train_on_batch`` reports).

    Args:
        layers, params: the model (see :func:`sequential_forward`).
        x: inputs, shape (N, in); labels: integer classes, shape (N,).
        batch_size: a positive int.
        optimizer: an update rule of chapter 06, e.g. ``dlmath.optim.adam``.
        states: the optimizer states, shaped like ``params`` (a tuple of dicts per layer), or
            None before the first step (every state ``{}``).
        order: the order of the examples, a permutation of 0..N−1 (shuffle it yourself);
            None means 0, 1, …, N−1.
        hyper: the optimizer's keyword arguments (``lr=...``, ``momentum=...``).
    Returns:
        ``(params, states, losses)``: new parameter and state lists shaped like the inputs (the
        inputs are not changed), and the batch losses, float64 of shape (number of batches,).

    Derived in: 11_capstone §3.1
    """
    layers, params = _check_model(layers, params)
    x = _check_input(x, params)
    labels = _check_labels(labels, x.shape[0])
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    _check_optimizer(optimizer)
    if states is None:
        states = [tuple({} for _ in p) for p in params]
    if not isinstance(states, (list, tuple)) or len(states) != len(params) or any(
            not isinstance(s, (list, tuple)) or len(s) != len(p) for s, p in zip(states, params)):
        raise ValueError("states must be shaped like params: one tuple of state dicts per layer (or None)")
    order = np.arange(x.shape[0]) if order is None else np.asarray(order)
    if order.dtype.kind not in "iu" or not np.array_equal(np.sort(order), np.arange(x.shape[0])):
        raise ValueError(f"order must be a permutation of 0..{x.shape[0] - 1}")
    ### BEGIN SOLUTION
    per_batch = []
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        logits, caches = sequential_forward(layers, params, x[batch])
        per_batch.append(losses.sparse_categorical_cross_entropy_with_logits(labels[batch], logits))
        dlogits = losses.sparse_categorical_cross_entropy_with_logits_backward(labels[batch], logits)
        _, grads = sequential_backward(layers, params, caches, dlogits)
        new_params, new_states = [], []
        for p, g, s in zip(params, grads, states):
            steps = [optimizer(w, dw, state, **hyper) for w, dw, state in zip(p, g, s)]
            new_params.append(tuple(w for w, _ in steps))
            new_states.append(tuple(state for _, state in steps))
        params, states = new_params, new_states
    return params, states, np.array(per_batch, dtype=np.float64)
    ### END SOLUTION


def input_gradient(layers, params, x, labels):
    r"""The gradient of each example's loss with respect to its own input: saliency and attacks.

    .. math:: g_n = \frac{\partial \ell_n}{\partial x_n}, \qquad
              \ell_n = -\log \operatorname{softmax}(\text{out}(x_n))_{y_n}

    the gradient of the *sum* of the per-example losses, so row n does not depend on the batch
    size: one backward pass from ∂ℓ/∂logits = softmax(logits) − onehot(y), through every layer,
    down to the input.

    Args:
        layers, params: the model (see :func:`sequential_forward`).
        x: inputs, shape (N, in); labels: integer classes, shape (N,).
    Returns:
        g, shape and float dtype of x.

    Derived in: 11_capstone §5.1
    """
    layers, params = _check_model(layers, params)
    x = _check_input(x, params)
    labels = _check_labels(labels, x.shape[0])
    ### BEGIN SOLUTION
    logits, caches = sequential_forward(layers, params, x)
    dlogits = losses.sparse_categorical_cross_entropy_with_logits_backward(labels, logits) * labels.size
    dx, _ = sequential_backward(layers, params, caches, dlogits)
    return dx
    ### END SOLUTION


def fgsm(x, grad, epsilon, clip=(0.0, 1.0)):
    r"""The fast gradient sign method (Goodfellow et al., 2015): one step *up* the loss, in max-norm.

    .. math:: x_{\text{adv}} = \operatorname{clip}_{[lo,\, hi]}\bigl(x + \varepsilon \operatorname{sign}(\nabla_x \ell)\bigr)

    The sign, not the gradient: among all perturbations with every pixel moved by at most ε
    (‖δ‖∞ ≤ ε), ε·sign(g) is the one that raises the loss's linear approximation ℓ + gᵀδ most.
    ``sign(0) = 0``. The clip keeps the image valid (pixels in [0, 1]).

    Args:
        x: inputs, any shape; grad: ∂ℓ/∂x, the same shape.
        epsilon: the step, a real number ≥ 0.
        clip: ``(lo, hi)`` the valid range, or None for no clipping.
    Returns:
        x_adv, shape of x, float dtype of x (and grad).

    Derived in: 11_capstone §5.3
    """
    x = as_float_array(x, "x")
    grad = as_float_array(grad, "grad")
    if grad.shape != x.shape:
        raise ValueError(f"grad must have the shape of x {x.shape}, got {grad.shape}")
    if isinstance(epsilon, (bool, np.bool_)) or not isinstance(epsilon, numbers.Real) or not np.isfinite(epsilon) \
            or epsilon < 0:
        raise ValueError(f"epsilon must be a finite real number >= 0, got {epsilon!r}")
    if clip is not None:
        if not isinstance(clip, (list, tuple)) or len(clip) != 2 or not clip[0] <= clip[1]:
            raise ValueError(f"clip must be a pair (lo, hi) with lo <= hi, or None, got {clip!r}")
    dtype = np.result_type(x, grad)
    x, grad = x.astype(dtype, copy=False), grad.astype(dtype, copy=False)
    ### BEGIN SOLUTION
    x_adv = x + dtype.type(epsilon) * np.sign(grad)
    if clip is not None:
        x_adv = np.clip(x_adv, dtype.type(clip[0]), dtype.type(clip[1]))
    return x_adv
    ### END SOLUTION


# ---- ungraded: built on the graded parts ---------------------------------------------------------

def init_params(layers, sizes, rng, dtype=np.float64):
    """Glorot-uniform kernels and zero biases (Keras's Dense defaults) for ``layers``.

    ``sizes`` = [in, out_1, out_2, ...]: the input width and each dense layer's width, in order.
    """
    from dlmath.initializers import glorot_uniform

    widths, params = list(sizes), []
    for kind in layers:
        if kind == "dense":
            fan_in, fan_out = widths[0], widths[1]
            widths.pop(0)
            params.append((glorot_uniform((fan_in, fan_out), rng).astype(dtype), np.zeros(fan_out, dtype)))
        else:
            params.append(())
    return params


def predict(layers, params, x, batch_size=512):
    """Class probabilities, softmax of the logits, shape (N, classes); batches keep memory small."""
    x = as_float_array(x, "x")
    outs = [sequential_forward(layers, params, x[i:i + batch_size])[0] for i in range(0, len(x), batch_size)]
    return activations.softmax(np.concatenate(outs))


def fit(layers, params, x, labels, *, epochs, batch_size, optimizer, rng, validation=None, patience=None,
        progress=True, **hyper):
    """Train for ``epochs`` epochs (a new shuffle from ``rng`` each epoch); return ``(params, history)``.

    ``validation = (x_val, y_val)`` adds the validation loss and accuracy (chapter 10's ``accuracy``)
    per epoch; ``patience`` (needs ``validation``) stops early as chapter 07's ``early_stopping``
    with ``restore_best_weights=True``. ``history`` holds "loss" (each batch), "epoch_loss",
    "val_loss", "val_accuracy" and "best_epoch".
    """
    from dlmath import metrics
    from dlmath.regularization import early_stopping

    history = {"loss": [], "epoch_loss": [], "val_loss": [], "val_accuracy": []}
    states, kept = None, []
    bar = range(epochs)
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(bar, desc="epochs", leave=False)
    for epoch in bar:
        params, states, batch_losses = train_epoch(layers, params, x, labels, batch_size, optimizer, states,
                                                   rng.permutation(len(x)), **hyper)
        history["loss"].extend(batch_losses.tolist())
        history["epoch_loss"].append(float(np.mean(batch_losses)))
        if validation is not None:
            logits = sequential_forward(layers, params, validation[0])[0]
            history["val_loss"].append(float(losses.sparse_categorical_cross_entropy_with_logits(validation[1], logits)))
            history["val_accuracy"].append(float(metrics.accuracy(validation[1], logits)))
            if patience is not None:
                kept.append(params)
                _, best = early_stopping(np.array(history["val_loss"]), patience=patience, restore_best_weights=True)
                if epoch - best >= max(patience, 1):  # Keras: `patience` epochs in a row without improvement
                    history["best_epoch"] = best
                    return kept[best], history
    if patience is not None and validation is not None:
        _, best = early_stopping(np.array(history["val_loss"]), patience=patience, restore_best_weights=True)
        history["best_epoch"] = best
        return kept[best], history
    return params, history


# ---- save and load: .npz with a JSON manifest, never pickle ------------------------------------------

FORMAT = "dlmath.sequential"
VERSION = 1


def save(path, layers, params):
    """Write the model to ``path`` (a ``.npz``): every array, and a JSON manifest describing them.

    The file is a NumPy ``.npz`` (a zip of ``.npy`` files) holding ``p{k}_{j}`` — array j of
    layer k — and ``manifest``, the UTF-8 bytes of a JSON document::

        {"format": "dlmath.sequential", "version": 1, "layers": ["dense", "relu", ...],
         "arrays": [[{"name": "p0_0", "shape": [64, 32], "dtype": "float64"}, ...], [], ...]}

    Nothing in it is pickled: :func:`load` reads it with ``allow_pickle=False``.
    """
    layers, params = _check_model(layers, params)
    path = Path(path)
    arrays, manifest = {}, {"format": FORMAT, "version": VERSION, "layers": layers, "arrays": []}
    for k, p in enumerate(params):
        entries = []
        for j, array in enumerate(p):
            name = f"p{k}_{j}"
            arrays[name] = np.ascontiguousarray(array)
            entries.append({"name": name, "shape": list(array.shape), "dtype": array.dtype.name})
        manifest["arrays"].append(entries)
    arrays["manifest"] = np.frombuffer(json.dumps(manifest).encode("utf-8"), dtype=np.uint8)
    with open(path, "wb") as file:  # np.savez on a path would append ".npz" to a name without it
        np.savez(file, **arrays)
    return path


def load(path):
    """Read a model :func:`save` wrote; return ``(layers, params)``.

    Raises:
        FileNotFoundError: if there is no such file.
        ValueError: naming what is wrong, for a file that is not such a model (not a zip, no or a
            broken manifest, a missing array, an array whose shape or dtype differs from the
            manifest's, layers whose shapes don't fit together).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path} is not a .npz model file (not a zip archive: truncated, or another format)")
    try:
        with np.load(path, allow_pickle=False) as stored:
            contents = {name: stored[name] for name in stored.files}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError) as error:
        raise ValueError(f"{path} is not a readable .npz model file ({type(error).__name__}: {error})") from None
    if "manifest" not in contents:
        raise ValueError(f"{path} has no manifest: it was not written by dlmath.model.save")
    try:
        manifest = json.loads(contents["manifest"].tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: the manifest is not valid JSON ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError(f"{path}: not a {FORMAT} file (format {manifest.get('format') if isinstance(manifest, dict) else None!r})")
    if manifest.get("version") != VERSION:
        raise ValueError(f"{path}: format version {manifest.get('version')!r}, this dlmath reads version {VERSION}")
    layers, entries = manifest.get("layers"), manifest.get("arrays")
    if not isinstance(layers, list) or not isinstance(entries, list) or len(layers) != len(entries):
        raise ValueError(f"{path}: the manifest needs a list of layers and one list of arrays per layer")
    params = []
    for k, layer_entries in enumerate(entries):
        p = []
        for entry in layer_entries:
            name = entry.get("name") if isinstance(entry, dict) else None
            if name not in contents:
                raise ValueError(f"{path}: layer {k}'s array {name!r} is missing from the file")
            array = contents[name]
            if list(array.shape) != entry.get("shape") or array.dtype.name != entry.get("dtype"):
                raise ValueError(f"{path}: array {name} is {array.dtype.name}{list(array.shape)}, the manifest says "
                                 f"{entry.get('dtype')}{entry.get('shape')}")
            p.append(array)
        params.append(tuple(p))
    try:
        return _check_model(layers, params)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: the stored model is inconsistent: {error}") from None
