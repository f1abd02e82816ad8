"""Chapter 11_capstone: inputs, Keras/TensorFlow references and typical mistakes.

Expected values:

* ``sequential_forward`` — a float64 (or float32) ``keras.Sequential`` of ``Dense`` and
  ``Activation`` layers holding the case's weights: its output, and each layer's input
  (the caches) from calling its layers one after the other.
* ``sequential_backward`` — ``tape.gradient`` of that Keras model's output with
  ``output_gradients=dout``, with respect to the input and every kernel and bias.
* ``train_epoch`` — the Keras twin trained batch by batch in the case's order: a
  ``GradientTape`` of ``keras.losses.sparse_categorical_crossentropy(from_logits=True)``
  (the batch mean, recorded before the step), then ``optimizer.apply_gradients`` of a Keras
  ``SGD``/``Adam``; the weights after the epoch and the optimizer's slots in dlmath's state
  layout (chapter 06's reference reads them). Hyperparameters are given to dlmath rounded to
  float32, the values Keras computes with (FACTS.md).
* ``input_gradient`` — ``tape.gradient`` of the *sum* of the per-example Keras losses with
  respect to the input.
* ``fgsm`` — ``tf.clip_by_value(x + ε·tf.sign(g), lo, hi)``.

Mistake outputs: each typical mistake is a wrong *body* (the solution with one edit, so it stays
in sync), run on the case's inputs inside a private copy of ``dlmath.model`` — the same bodies
the simulated class hands in.
"""
from __future__ import annotations

import functools
import warnings

import numpy as np

from dlmath.checking.arrays import Named
from grading.references import _mistakes as mistakes
from grading.references.optimizers import _keras_optimizer, _keras_state, _wrap_t, f32

MODULE = "model"
F64 = {"rtol": 1e-9, "atol": 1e-12}
TRAIN = {"rtol": 1e-7, "atol": 1e-10}   # several optimizer steps; Keras's fused float64 kernels differ in the last bits
F32 = {"rtol": 1e-4, "atol": 1e-6}      # FACTS.md: float32 matmul
EXACT = {"rtol": 0.0, "atol": 0.0}

# ---- hints ---------------------------------------------------------------------------------------

HINTS = {
    "sequential_forward": {
        "returns": ["out", "caches"],
        "structure": "Return (out, caches): caches a list with one entry per layer, the input that layer saw.",
        "shape": "caches[k] is layer k's *input* (caches[0] is x itself), not its output.",
    },
    "sequential_backward": {
        "returns": ["dx", "grads"],
        "structure": "Return (dx, grads) with grads a list shaped like params: (dW, db) for a dense layer, () for "
                     "an activation, in layer order.",
        "raised": "Walk the layers from the last to the first (reversed(range(len(layers)))): each backward needs "
                  "the gradient of its *output*, which the layer above has just computed.",
        "shape": "Walk the layers from the last to the first, and store layer k's gradients at grads[k].",
    },
    "train_epoch": {
        "uses": ["sequential_forward", "sequential_backward"],
        "returns": ["params", "states", "losses"],
        "structure": "Return (params, states, losses): params and states shaped like the inputs (one tuple per "
                     "layer), losses one float per batch.",
        "shape": "One loss per batch: ⌈N / batch_size⌉ batches, the last one smaller when batch_size doesn't divide N.",
    },
    "input_gradient": {
        "uses": ["sequential_forward", "sequential_backward"],
        "shape": "The gradient has the shape of x: one row per example.",
    },
    "fgsm": {
        "dtype": "Keep x's float dtype: float32 in, float32 out (np.sign and np.clip keep it).",
    },
}

# ---- the simulated class: each body is the solution with one edit ---------------------------------




_variant = functools.partial(mistakes.variant, "model")


MISTAKES = {
    "sequential_forward": [
        ("caches[k] must be the *input* of layer k (what its backward needs), not its output: append a before "
         "a = forward(a, p).",
         _variant("sequential_forward", ("caches.append(a)\n    a = forward(a, p)", "a = forward(a, p)\n    caches.append(a)"))),
        ("The caches are in reverse order: caches[k] belongs to layer k (append as you go forward).",
         _variant("sequential_forward", ("return a, caches", "return a, caches[::-1]"))),
    ],
    "sequential_backward": [
        ("The layers were walked in forward order: backpropagation goes from the last layer to the first "
         "(reversed(range(len(layers)))), each layer receiving the gradient of its output.",
         _variant("sequential_backward", ("for k in reversed(range(len(layers))):", "for k in range(len(layers)):"))),
        ("grads are in reverse order: grads[k] must hold layer k's gradients, like params[k] (appending while "
         "walking backwards lists the last layer first).",
         _variant("sequential_backward", ("return dout, grads", "return dout, grads[::-1]"))),
        ("Each layer's backward must receive the gradient its upper layer returned (dout = dx of the layer above); "
         "you passed the same dout to every layer.",
         _variant("sequential_backward", ("dout, grads[k] = backward(dout,", "_, grads[k] = backward(dout,"))),
    ],
    "train_epoch": [
        ("The optimizer state was not carried from step to step: each step must get the state the previous step "
         "returned for that array (momentum and Adam's moments accumulate, t counts).",
         _variant("train_epoch", ("params, states = new_params, new_states", "params = new_params"))),
        ("The batches must follow `order`: batch b is x[order[b·B:(b+1)·B]], not x[b·B:(b+1)·B].",
         _variant("train_epoch", ("batch = order[start:start + batch_size]",
                                  "batch = np.arange(len(order))[start:start + batch_size]"))),
        ("The last, smaller batch was dropped: when batch_size doesn't divide N the epoch ends with the "
         "N mod batch_size examples left.",
         _variant("train_epoch", ("range(0, len(order), batch_size)", "range(0, len(order) - batch_size + 1, batch_size)"))),
    ],
    "input_gradient": [
        ("This is the gradient of the batch *mean* (1/N times too small): each row must be the gradient of that "
         "example's own loss, so multiply the loss's backward by N (or build softmax − onehot yourself).",
         _variant("input_gradient", (" * labels.size", ""))),
        ("This is the gradient of the label's logit (−∂z_y/∂x), not of the loss: start backward from "
         "softmax(logits) − onehot(labels).",
         _variant("input_gradient", (
             "losses.sparse_categorical_cross_entropy_with_logits_backward(labels, logits) * labels.size",
             "-(np.arange(logits.shape[-1]) == labels[:, None]).astype(logits.dtype)"))),
    ],
    "fgsm": [
        ("FGSM steps by ε·sign(grad), not ε·grad: every pixel moves by exactly ε (the max-norm ball's corner), "
         "however small its gradient.",
         _variant("fgsm", ("np.sign(grad)", "grad"))),
        ("The attack goes *up* the loss: x + ε·sign(grad). Subtracting is a gradient-descent step that makes "
         "the model more confident.",
         _variant("fgsm", ("x + dtype.type(epsilon)", "x - dtype.type(epsilon)"))),
        ("Clip the result to the valid range `clip` = (lo, hi) (pixels in [0, 1]): an image with pixels outside "
         "it is not an image.",
         _variant("fgsm", ("if clip is not None:", "if False:"))),
    ],
}

CLASS = {
    "caches_outputs": {"sequential_forward": MISTAKES["sequential_forward"][0][1]},
    "backward_in_forward_order": {"sequential_backward": MISTAKES["sequential_backward"][0][1]},
    "grads_of_the_wrong_layer": {"sequential_backward": MISTAKES["sequential_backward"][1][1]},
    "optimizer_state_not_carried": {"train_epoch": MISTAKES["train_epoch"][0][1]},
    "input_gradient_of_the_mean": {"input_gradient": MISTAKES["input_gradient"][0][1]},
    "fgsm_without_sign": {"fgsm": MISTAKES["fgsm"][0][1]},
    "fgsm_wrong_direction": {"fgsm": MISTAKES["fgsm"][1][1]},
    "fgsm_not_clipped": {"fgsm": MISTAKES["fgsm"][2][1]},
}
EXPECTED_LOSSES = {student: set(bodies) for student, bodies in CLASS.items()}


wrong_function = functools.partial(mistakes.wrong_function, "model")


def _resolve(value):
    if isinstance(value, Named):
        from dlmath.checking.callables import resolve
        return resolve(value.name)
    return value.copy() if isinstance(value, np.ndarray) else value


def run_mistake(function: str, body: str, args, kwargs):
    """The output of one wrong body on a case's inputs, or None if it raises."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return wrong_function(function, body)(*[_resolve(a) for a in args],
                                                  **{k: _resolve(v) for k, v in kwargs.items()})
    except Exception:  # noqa: BLE001 — a mistake that crashes on this input has no output to recognise
        return None


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)):
        return isinstance(b, (tuple, list)) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    try:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-6, atol=1e-9, equal_nan=True)


def _wrap_states(states):
    return [tuple(_wrap_t(s) for s in layer) for layer in states]


def mistakes(function: str, args, kwargs, expected, wrap=lambda out: out) -> list[dict]:
    """The typical mistakes whose output on these inputs differs from the expected result."""
    found = []
    for hint, body in MISTAKES[function]:
        out = run_mistake(function, body, args, kwargs)
        if out is None:
            continue
        out = wrap(out)
        if not _same(out, expected):
            found.append({"hint": hint, "output": out})
    return found


# ---- models --------------------------------------------------------------------------------------

ACTIVATIONS = ("relu", "tanh", "sigmoid")


def random_model(rng, layers, sizes, dtype=np.float64, scale=1.0):
    """Random params for ``layers`` with dense widths ``sizes`` = [in, out_1, ...] (biases nonzero)."""
    widths, params = list(sizes), []
    for kind in layers:
        if kind == "dense":
            fan_in, fan_out = widths.pop(0), widths[0]
            W = rng.normal(0, scale / np.sqrt(fan_in), (fan_in, fan_out))
            params.append((W.astype(dtype), rng.normal(0, 0.3, fan_out).astype(dtype)))
        else:
            params.append(())
    return params


def keras_twin(layers, params, dtype="float64"):
    """A ``keras.Sequential`` with the same layers and weights (Dense without activation + Activation layers)."""
    import keras

    width = next(p[0].shape[0] for p in params if p)
    model = keras.Sequential([keras.Input((width,), dtype=dtype)] + [
        keras.layers.Dense(p[0].shape[1], dtype=dtype) if kind == "dense" else keras.layers.Activation(kind, dtype=dtype)
        for kind, p in zip(layers, params)])
    for layer, p in zip(model.layers, params):
        if p:
            layer.set_weights([np.asarray(p[0]), np.asarray(p[1])])
    return model


def _keras_forward(tf, layers, params, x):
    model = keras_twin(layers, params, x.dtype.name)
    caches, a = [], tf.constant(x)
    for layer in model.layers:
        caches.append(a.numpy())
        a = layer(a)
    out = model(tf.constant(x)).numpy()
    assert np.array_equal(out, a.numpy())
    return out, caches


def _keras_backward(tf, layers, params, x, dout):
    model = keras_twin(layers, params, x.dtype.name)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        out = model(xt)
    grads_by_var = tape.gradient(out, [xt] + [v for layer in model.layers for v in layer.trainable_weights],
                                 output_gradients=tf.constant(dout))
    dx, rest = grads_by_var[0].numpy(), [g.numpy() for g in grads_by_var[1:]]
    grads = []
    for p in params:
        grads.append((rest.pop(0), rest.pop(0)) if p else ())
    return dx, grads


def keras_train_epoch(tf, layers, params, x, labels, batch_size, name, hyper, order=None, optimizer=None,
                      model=None):
    """The Keras twin's epoch: ``(params, states, losses, model, optimizer)`` (pass the last two back to go on)."""
    import keras

    model = model or keras_twin(layers, params)
    optimizer = optimizer or _keras_optimizer(name, hyper)
    order = np.arange(len(x)) if order is None else order
    batch_losses, last_grads = [], {}
    variables = [v for layer in model.layers for v in layer.trainable_weights]
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        with tf.GradientTape() as tape:
            logits = model(tf.constant(x[batch]))
            loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(
                tf.constant(labels[batch]), logits, from_logits=True))
        grads = tape.gradient(loss, variables)
        batch_losses.append(float(loss.numpy()))
        optimizer.apply_gradients(zip(grads, variables))
        last_grads = {id(v): g.numpy() for v, g in zip(variables, grads)}
    new_params, states, k = [], [], 0
    for p in params:
        if p:
            pair = variables[k:k + 2]
            k += 2
            new_params.append(tuple(v.numpy().copy() for v in pair))
            states.append(tuple(_keras_state(name, optimizer, v, hyper, None, last_grads[id(v)]) for v in pair))
        else:
            new_params.append(())
            states.append(())
    return new_params, states, np.array(batch_losses), model, optimizer


def _keras_input_gradient(tf, layers, params, x, labels):
    import keras

    model = keras_twin(layers, params, x.dtype.name)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        loss = tf.reduce_sum(keras.losses.sparse_categorical_crossentropy(tf.constant(labels), model(xt),
                                                                          from_logits=True))
    return tape.gradient(loss, xt).numpy()


# ---- cases ---------------------------------------------------------------------------------------

def _architectures(audience):
    """(label, layers, sizes): square hidden widths in the first so a forward-order backward runs (and is named)."""
    if audience == "public":
        return [("dense → tanh → dense, widths 4 → 4 → 4", ["dense", "tanh", "dense"], [4, 4, 4]),
                ("dense → relu → dense → sigmoid → dense, 5 → 6 → 4 → 3", ["dense", "relu", "dense", "sigmoid", "dense"],
                 [5, 6, 4, 3]),
                ("one dense layer 3 → 2", ["dense"], [3, 2])]
    return [("dense → sigmoid → dense, widths 3 → 3 → 3", ["dense", "sigmoid", "dense"], [3, 3, 3]),
            ("dense → relu → dense → tanh → dense → relu → dense, 6 → 8 → 5 → 5 → 4",
             ["dense", "relu", "dense", "tanh", "dense", "relu", "dense"], [6, 8, 5, 5, 4]),
            ("one dense layer 4 → 3", ["dense"], [4, 3]),
            ("dense → tanh → tanh → dense (two activations in a row), 4 → 5 → 2",
             ["dense", "tanh", "tanh", "dense"], [4, 5, 2])]


def _forward_cases(tf, rng, audience):
    out = []
    for label, layers, sizes in _architectures(audience):
        params = random_model(rng, layers, sizes)
        x = rng.normal(0, 1, (5 if audience == "public" else 7, sizes[0]))
        expected = _keras_forward(tf, layers, params, x)
        args = [layers, params, x]
        out.append({"name": f"{label}, batch {len(x)}, float64", "args": args, "kwargs": {}, "expected": expected,
                    **F64, "mistakes": mistakes("sequential_forward", args, {}, expected)})
    label, layers, sizes = _architectures(audience)[1]
    params = random_model(rng, layers, sizes, np.float32)
    x = rng.normal(0, 1, (3 if audience == "public" else 4, sizes[0])).astype(np.float32)
    expected = _keras_forward(tf, layers, params, x)
    args = [layers, params, x]
    out.append({"name": f"float32 stays float32: {label}", "args": args, "kwargs": {}, "expected": expected, **F32,
                "mistakes": mistakes("sequential_forward", args, {}, expected)})
    return out  # bad input is validated outside the fence (given code): tested in tests/, not graded


def _backward_cases(tf, rng, audience):
    out = []
    for label, layers, sizes in _architectures(audience):
        params = random_model(rng, layers, sizes)
        x = rng.normal(0, 1, (5 if audience == "public" else 6, sizes[0]))
        _, caches = _keras_forward(tf, layers, params, x)
        dout = rng.normal(0, 1, (len(x), sizes[-1]))
        expected = _keras_backward(tf, layers, params, x, dout)
        args = [layers, params, caches, dout]
        out.append({"name": f"{label}, batch {len(x)}, float64 (caches from Keras)", "args": args, "kwargs": {},
                    "expected": expected, **F64, "mistakes": mistakes("sequential_backward", args, {}, expected)})
    label, layers, sizes = _architectures(audience)[0]
    params = random_model(rng, layers, sizes, np.float32)
    x = rng.normal(0, 1, (4, sizes[0])).astype(np.float32)
    _, caches = _keras_forward(tf, layers, params, x)
    dout = rng.normal(0, 1, (len(x), sizes[-1])).astype(np.float32)
    expected = _keras_backward(tf, layers, params, x, dout)
    args = [layers, params, caches, dout]
    out.append({"name": f"float32 stays float32: {label}", "args": args, "kwargs": {}, "expected": expected, **F32,
                "mistakes": mistakes("sequential_backward", args, {}, expected)})
    return out


def _optimizers(audience):
    if audience == "public":
        return [("sgd", {"lr": f32(0.1)}), ("sgd", {"lr": f32(0.05), "momentum": f32(0.9)}),
                ("adam", {"lr": f32(0.01), "beta_1": f32(0.9), "beta_2": f32(0.999)})]
    return [("sgd", {"lr": f32(0.2)}), ("sgd", {"lr": f32(0.03), "momentum": f32(0.8)}),
            ("adam", {"lr": f32(0.02), "beta_1": f32(0.8), "beta_2": f32(0.999)}), ("sgd", {"lr": f32(0.1), "momentum": f32(0.5)})]


def _train_cases(tf, rng, audience):
    out = []
    archs = _architectures(audience)
    for index, (name, hyper) in enumerate(_optimizers(audience)):
        label, layers, sizes = archs[index % len(archs)]
        n, batch_size = (10, 4) if audience == "public" else (13, 5)
        params = random_model(rng, layers, sizes)
        x = rng.normal(0, 1, (n, sizes[0]))
        labels = rng.integers(0, sizes[-1], n)
        order = rng.permutation(n) if index != 0 else None
        new_params, states, batch_losses, model, optimizer = keras_train_epoch(
            tf, layers, params, x, labels, batch_size, name, hyper, order)
        expected = (new_params, _wrap_states(states), batch_losses)
        args = [layers, params, x, labels, batch_size, Named(f"optim.{name}")]
        kwargs = {**({"order": order} if order is not None else {}), **hyper}
        describe = ", ".join(f"{k}={v:.6g}" for k, v in hyper.items())
        out.append({"name": f"{label}; {n} examples in batches of {batch_size} "
                            f"({'in order' if order is None else 'in a shuffled order'}), {name}({describe}), "
                            "a first epoch (states None)",
                    "args": args, "kwargs": kwargs, "expected": expected, **TRAIN,
                    "mistakes": mistakes("train_epoch", args, kwargs, expected,
                                         lambda o: (o[0], _wrap_states(o[1]), o[2]))})
        if name in ("adam",) or (audience == "hidden" and index == 1):
            # a second epoch, carrying the Keras optimizer's slots as the states
            order2 = rng.permutation(n)
            params2, states2, losses2, _, _ = keras_train_epoch(tf, layers, new_params, x, labels, batch_size, name,
                                                                hyper, order2, optimizer, model)
            expected2 = (params2, _wrap_states(states2), losses2)
            args2 = [layers, new_params, x, labels, batch_size, Named(f"optim.{name}")]
            kwargs2 = {"states": states, "order": order2, **hyper}
            out.append({"name": f"the second epoch of the case above (states from the first epoch, a new order)",
                        "args": args2, "kwargs": kwargs2, "expected": expected2, **TRAIN,
                        "mistakes": mistakes("train_epoch", args2, kwargs2, expected2,
                                             lambda o: (o[0], _wrap_states(o[1]), o[2]))})
    return out


def _input_gradient_cases(tf, rng, audience):
    out = []
    for label, layers, sizes in _architectures(audience):
        params = random_model(rng, layers, sizes, scale=1.5)
        n = 4 if audience == "public" else 6
        x = rng.uniform(0, 1, (n, sizes[0]))
        labels = rng.integers(0, sizes[-1], n)
        expected = _keras_input_gradient(tf, layers, params, x, labels)
        args = [layers, params, x, labels]
        out.append({"name": f"{label}, {n} examples, float64", "args": args, "kwargs": {}, "expected": expected,
                    **F64, "mistakes": mistakes("input_gradient", args, {}, expected)})
    label, layers, sizes = _architectures(audience)[0]
    params = random_model(rng, layers, sizes, np.float32)
    x = rng.uniform(0, 1, (3, sizes[0])).astype(np.float32)
    labels = rng.integers(0, sizes[-1], 3)
    expected = _keras_input_gradient(tf, layers, params, x, labels)
    args = [layers, params, x, labels]
    out.append({"name": f"float32 stays float32: {label}", "args": args, "kwargs": {}, "expected": expected, **F32,
                "mistakes": mistakes("input_gradient", args, {}, expected)})
    return out


def _tf_fgsm(tf, x, g, epsilon, clip):
    adv = tf.constant(x) + tf.constant(epsilon, dtype=x.dtype) * tf.sign(tf.constant(g))
    if clip is not None:
        adv = tf.clip_by_value(adv, tf.constant(clip[0], x.dtype), tf.constant(clip[1], x.dtype))
    return adv.numpy()


def _fgsm_cases(tf, rng, audience):
    hidden = audience == "hidden"
    out = []

    def gradient(shape, dtype=np.float64):
        g = rng.normal(0, 1e-3, shape) * (rng.uniform(size=shape) < 0.8)  # small values, some exact zeros
        return g.astype(dtype)

    settings = [
        ("a batch of 8×8 images as rows (N, 64), ε = 0.1", (3, 64), 0.1, (0.0, 1.0), np.float64),
        ("images NHWC (2, 8, 8, 1), ε = 0.25", (2, 8, 8, 1), 0.25, (0.0, 1.0), np.float64),
        ("ε = 0 leaves x unchanged", (2, 5), 0.0, (0.0, 1.0), np.float64),
        ("no clipping (clip=None), ε = 0.3", (4, 6), 0.3, None, np.float64),
        ("a range of (−1, 1), ε = 0.5", (3, 7), 0.5, (-1.0, 1.0), np.float64),
        ("float32 stays float32, ε = 0.1", (2, 64), 0.1, (0.0, 1.0), np.float32),
    ]
    if hidden:
        settings = [
            ("a batch of rows (5, 64), ε = 0.05", (5, 64), 0.05, (0.0, 1.0), np.float64),
            ("images NHWC (3, 8, 8, 1), ε = 0.2", (3, 8, 8, 1), 0.2, (0.0, 1.0), np.float64),
            ("a single image (64,), ε = 0.15", (64,), 0.15, (0.0, 1.0), np.float64),
            ("ε = 0 leaves x unchanged", (3, 4), 0.0, (0.0, 1.0), np.float64),
            ("no clipping (clip=None), ε = 0.7", (2, 9), 0.7, None, np.float64),
            ("a range of (−0.5, 2), ε = 0.4", (4, 5), 0.4, (-0.5, 2.0), np.float64),
            ("float32 stays float32, ε = 0.3", (3, 16), 0.3, (0.0, 1.0), np.float32),
            ("float32 images NHWC (1, 8, 8, 1), ε = 0.05", (1, 8, 8, 1), 0.05, (0.0, 1.0), np.float32),
        ]
    for label, shape, epsilon, clip, dtype in settings:
        lo, hi = clip if clip is not None else (0.0, 1.0)
        x = rng.uniform(lo, hi, shape)
        x[rng.uniform(size=shape) < 0.2] = lo  # pixels at the edges of the range: the clip matters
        x[rng.uniform(size=shape) < 0.2] = hi
        x = x.astype(dtype)
        g = gradient(shape, dtype)
        expected = _tf_fgsm(tf, x, g, epsilon, clip)
        args, kwargs = [x, g, epsilon], {"clip": list(clip) if clip is not None else None}
        tolerance = EXACT if dtype == np.float64 else {"rtol": 1e-7, "atol": 0.0}
        out.append({"name": label, "args": args, "kwargs": kwargs, "expected": expected, **tolerance,
                    "mistakes": mistakes("fgsm", args, kwargs, expected)})
    return out  # no 'raises' cases: the validation is given code, and a stub would earn their points


def cases(tf, rng, audience):
    """``{function: [case, ...]}`` for the ``public`` checks or the ``hidden`` grading fixtures."""
    return {
        "sequential_forward": _forward_cases(tf, rng, audience),
        "sequential_backward": _backward_cases(tf, rng, audience),
        "train_epoch": _train_cases(tf, rng, audience),
        "input_gradient": _input_gradient_cases(tf, rng, audience),
        "fgsm": _fgsm_cases(tf, rng, audience),
    }
