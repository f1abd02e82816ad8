"""Chapter 02_forward: inputs, Keras references and typical mistakes.

Expected values come from Keras layers with their weights set to the case's
arrays: ``dense_forward`` from one ``keras.layers.Dense`` (``set_weights([W, b])``,
no activation), ``mlp_forward``'s output from a ``keras.Sequential`` of Dense
layers (hidden ones with the matching Keras activation, the last one linear)
and its cache from the same layers applied one at a time (a Dense without
activation gives z, the Keras activation gives the next layer's input). Layers
compute in the case's dtype (``dtype="float64"`` or ``"float32"``). Keras
needs a batch axis, so a single example of shape (in,) is sent as a batch of
one and the batch axis is dropped again.

Mistake outputs are what a typical wrong implementation returns on the same
inputs, written in NumPy below, so the checks can name the mistake.
"""
from __future__ import annotations

import numpy as np

from dlmath.checking.arrays import Named
from dlmath.checking.callables import FUNCTIONS  # the activations cases pass by name
from grading.references._extremes import weigh

F64 = {"rtol": 1e-7, "atol": 1e-12}
F32 = {"rtol": 1e-4, "atol": 1e-5}  # FACTS.md: float32 matmul rtol 1e-4; atol for entries near 0 (sums of ~10 products)

LAYOUT = ("W is stored (in, out), one column per output unit — Keras's kernel layout. The row form is "
          "z = x @ W + b, with no transpose; W @ x and x @ W.T belong to the column form, whose matrix is (out, in).")
LAST_LINEAR = ("The last layer is linear: apply `activation` after every layer except the last, and return its "
               "pre-activation z_L (the logits) as the output.")

HINTS = {
    "dense_forward": {
        "elementwise": False,  # z[n, j] mixes a whole row of x: showing x[n, j] beside it would mislead
        "shape": "z = x @ W + b has shape (batch, out) for x of shape (batch, in), and (out,) for a single "
                 "example x of shape (in,): W is (in, out) and b, of shape (out,), broadcasts along the last "
                 "axis, adding b[j] to column j of every row.",
        "raised": LAYOUT,
        "values": "z[n, j] = Σ_i x[n, i] W[i, j] + b[j]: the bias is added once per output unit, to every row.",
    },
    "mlp_forward": {
        "uses": ["dense_forward"],
        "returns": ["output", "cache"],
        "structure": "Return a tuple (output, cache), where cache is a list with one (a_prev, z) pair per layer, "
                     "in order (len(cache) == len(params)).",
        "shape": "Each layer maps (batch, in_k) to (batch, out_k); a_prev is the layer's input and z its "
                 "pre-activation, both as arrays.",
        "values": "a_0 = x; for each layer z_k = a_{k-1} W_k + b_k, then a_k = activation(z_k) except after the "
                  "last layer. cache[k] = (a_{k-1}, z_k).",
    },
}


# ---- Keras references ----------------------------------------------------------------------------

def _keras():
    import keras  # after grading.tensorflow_reference.load() has set the logging environment

    return keras


def _activation(keras, name: str):
    """The Keras activation standing for a ``callables.FUNCTIONS`` name."""
    return {"tanh": keras.activations.tanh, "softplus": keras.activations.softplus, "sin": keras.ops.sin}[name]


def _dense_layer(keras, W, b, activation=None):
    layer = keras.layers.Dense(W.shape[1], activation=activation, dtype=W.dtype.name)
    layer.build((None, W.shape[0]))
    layer.set_weights([W, b])
    return layer


def keras_dense(tf, x, W, b):
    """z = xW + b by a keras.layers.Dense with kernel W and bias b (in W's dtype)."""
    keras = _keras()
    batch = np.atleast_2d(x).astype(W.dtype)
    z = np.asarray(_dense_layer(keras, W, b)(batch))
    return z[0] if np.ndim(x) == 1 else z


def keras_mlp(tf, x, params, name):
    """(output, cache) of the MLP: output from a keras.Sequential, cache from its layers one at a time."""
    keras = _keras()
    dtype = params[0][0].dtype
    f = _activation(keras, name)
    last = len(params) - 1
    model = keras.Sequential([keras.Input((params[0][0].shape[0],), dtype=dtype.name)] + [
        _dense_layer(keras, W, b, activation=None if k == last else f) for k, (W, b) in enumerate(params)])
    batch = np.atleast_2d(x).astype(dtype)
    output = np.asarray(model(batch))
    cache, a = [], batch
    for k, (W, b) in enumerate(params):
        z = np.asarray(_dense_layer(keras, W, b)(a))
        cache.append((a, z))
        a = z if k == last else np.asarray(f(z))
    # the Sequential and the layer-by-layer pass are the same computation in Keras
    np.testing.assert_allclose(output, cache[-1][1], rtol=1e-6 if dtype == np.float32 else 1e-13)
    if np.ndim(x) == 1:
        output, cache = output[0], [(a_prev[0], z[0]) for a_prev, z in cache]
    return output, cache


# ---- mistakes (what typical wrong implementations return) ---------------------------------------

def _dense_mistakes(x, W, b):
    yield "You used x @ W.T: " + LAYOUT, lambda: x @ W.T + b
    yield "You used W @ x, the column form: " + LAYOUT, lambda: W @ x + b
    yield "You forgot the bias: z = x @ W + b.", lambda: x @ W
    yield ("The bias has one entry per output unit and is added to every row: b broadcasts along the last axis "
           "(b[:, None] adds it down the columns)."), lambda: x @ W + b[:, None]


def _np_mlp(x, params, f, variant=""):
    """mlp_forward in NumPy, right or with one typical mistake (``variant``)."""
    cache, a = [], x
    last = len(params) - 1
    for k, (W, b) in enumerate(params):
        z = a @ W + b
        out = z if k == last else (z if variant == "no_activation" else f(z))
        if variant == "activation_on_last" and k == last:
            out = f(z)
        cache.append({"cache_activation": (a, out), "cache_output": (out, z)}.get(variant, (a, z)))
        a = out
    return a, cache


def _mlp_mistakes(x, params, name):
    f = FUNCTIONS[name]
    yield LAST_LINEAR, lambda: _np_mlp(x, params, f, "activation_on_last")
    yield ("cache[k] must hold the layer's input a_{k-1} and its pre-activation z_k = a_{k-1} W_k + b_k, not "
           "the activation f(z_k): the backward pass needs z to evaluate f'(z)."), \
        lambda: _np_mlp(x, params, f, "cache_activation")
    yield ("cache[k]'s first entry is the layer's *input* a_{k-1} (x itself for the first layer), not its "
           "output: append (a, z) to the cache before moving a on to the next layer."), \
        lambda: _np_mlp(x, params, f, "cache_output")
    yield ("Apply `activation` to z between layers: without it the network is a single linear map."), \
        lambda: _np_mlp(x, params, f, "no_activation")
    if name != "tanh":
        yield (f"Use the `activation` argument, not a fixed np.tanh: this network's activation is {name}."), \
            lambda: _np_mlp(x, params, np.tanh)


def _leaves(value):
    if isinstance(value, (tuple, list)):
        return [leaf for part in value for leaf in _leaves(part)]
    return [np.asarray(value)]


def _differs(output, expected, tolerance) -> bool:
    """Is a (structured) mistake output distinguishable from the expected result?"""
    a, b = _leaves(output), _leaves(expected)
    return len(a) != len(b) or any(p.shape != q.shape or not np.allclose(p, q, **tolerance) for p, q in zip(a, b))


def _mistakes(candidates, expected, tolerance):
    found = []
    with np.errstate(all="ignore"):
        for hint, compute in candidates:
            try:
                output = compute()
            except ValueError:  # shapes that don't line up: the learner sees the error, not a value
                continue
            cast = _cast(output, _leaves(expected)[0].dtype)
            if _differs(cast, expected, tolerance) and not any(_same_output(cast, m["output"]) for m in found):
                found.append({"hint": hint, "output": cast})
    return found


def _cast(value, dtype):
    if isinstance(value, tuple):
        return tuple(_cast(v, dtype) for v in value)
    if isinstance(value, list):
        return [_cast(v, dtype) for v in value]
    return np.asarray(value).astype(dtype)


def _same_output(a, b) -> bool:
    return not _differs(a, b, {"rtol": 0, "atol": 0})


# ---- cases ------------------------------------------------------------------------------------

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])


def _dense_inputs(rng, audience):
    """(label, x, W, b) for dense_forward."""
    def layer(n_in, n_out, dtype=np.float64):
        return rng.normal(0, 1, (n_in, n_out)).astype(dtype), rng.normal(0, 1, n_out).astype(dtype)

    inputs = [
        ("a batch of 4 examples, 3 inputs → 2 units", rng.normal(0, 1, (4, 3)), *layer(3, 2)),
        ("a single example, shape (in,) = (3,), 3 → 4 units", rng.normal(0, 1, 3), *layer(3, 4)),
        ("a square kernel W (3, 3): the layout matters", rng.normal(0, 1, (5, 3)), *layer(3, 3)),
        ("integer inputs (the four XOR points) become float64", XOR_X,
         np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([-0.5, -1.5])),
        ("float32 inputs keep float32", rng.normal(0, 1, (6, 5)).astype(np.float32), *layer(5, 3, np.float32)),
    ]
    if audience == "public":  # one representative of every kind of input the hidden cases use
        inputs += [
            ("large inputs (scale 800)", rng.normal(0, 800, (3, 4)), *layer(4, 2)),
            ("a batch as large as the layer: x (3, 4), 4 → 3 units", rng.normal(0, 1, (3, 4)), *layer(4, 3)),
            ("float32, a single example", rng.normal(0, 1, 6).astype(np.float32), *layer(6, 2, np.float32)),
        ]
    if audience == "hidden":
        inputs += [
            ("a square batch: x (3, 3), W (3, 3)", rng.normal(0, 1, (3, 3)), *layer(3, 3)),
            ("a single example with a square kernel (4, 4)", rng.normal(0, 1, 4), *layer(4, 4)),
            ("a wide batch, 32 examples, 10 inputs → 7 units", rng.normal(0, 2, (32, 10)), *layer(10, 7)),
            ("one output unit, W (6, 1)", rng.normal(0, 1, (5, 6)), *layer(6, 1)),
            ("one input feature, W (1, 4)", rng.normal(0, 1, (5, 1)), *layer(1, 4)),
            ("a batch of one, shape (1, 3)", rng.normal(0, 1, (1, 3)), *layer(3, 2)),
            ("large inputs (scale 1000)", rng.normal(0, 1000, (4, 3)), *layer(3, 5)),
            ("float32, a single example", rng.normal(0, 1, 8).astype(np.float32), *layer(8, 3, np.float32)),
        ]
    return inputs


def _mlp_params(rng, sizes, dtype=np.float64):
    return [(rng.normal(0, 1 / np.sqrt(n_in), (n_in, n_out)).astype(dtype), rng.normal(0, 0.5, n_out).astype(dtype))
            for n_in, n_out in zip(sizes[:-1], sizes[1:])]


# the hand-set XOR network of the notebook (§4.2), smoothed with tanh: an OR unit and an AND unit
XOR_PARAMS = [(np.array([[4.0, 4.0], [4.0, 4.0]]), np.array([-2.0, -6.0])),
              (np.array([[0.5], [-0.5]]), np.array([0.0]))]


def _mlp_inputs(rng, audience):
    """(label, x, params, activation name) for mlp_forward."""
    inputs = [
        ("a 3 → 5 → 2 tanh network, batch of 4", rng.normal(0, 1, (4, 3)), _mlp_params(rng, [3, 5, 2]), "tanh"),
        ("a 4 → 6 → 5 → 3 softplus network (use the `activation` argument)", rng.normal(0, 1, (5, 4)),
         _mlp_params(rng, [4, 6, 5, 3]), "softplus"),
        ("a single example, shape (3,), 3 → 4 → 2, tanh", rng.normal(0, 1, 3), _mlp_params(rng, [3, 4, 2]), "tanh"),
        ("one layer only: no activation at all", rng.normal(0, 1, (4, 3)), _mlp_params(rng, [3, 2]), "tanh"),
        ("a hand-set 2 → 2 → 1 XOR network, tanh", XOR_X, XOR_PARAMS, "tanh"),
        ("float32 keeps float32, 5 → 8 → 3, tanh", rng.normal(0, 1, (6, 5)).astype(np.float32),
         _mlp_params(rng, [5, 8, 3], np.float32), "tanh"),
    ]
    if audience == "public":  # one representative of every kind of input the hidden cases use
        inputs += [
            ("a deep 2 → 3 → 3 → 3 → 3 → 2 tanh network", rng.normal(0, 1, (4, 2)),
             _mlp_params(rng, [2, 3, 3, 3, 3, 2]), "tanh"),
            ("one layer only, single example, float32", rng.normal(0, 1, 3).astype(np.float32),
             _mlp_params(rng, [3, 2], np.float32), "softplus"),
            ("a square network 2 → 2 → 2, batch of 2, tanh", rng.normal(0, 1, (2, 2)), _mlp_params(rng, [2, 2, 2]), "tanh"),
            ("float32, 3 → 4 → 4 → 2, softplus", rng.normal(0, 1, (5, 3)).astype(np.float32),
             _mlp_params(rng, [3, 4, 4, 2], np.float32), "softplus"),
        ]
    if audience == "hidden":
        inputs += [
            ("a deep 3 → 4 → 4 → 4 → 4 → 2 tanh network", rng.normal(0, 1, (5, 3)),
             _mlp_params(rng, [3, 4, 4, 4, 4, 2]), "tanh"),
            ("a 2 → 3 → 3 sin network (square hidden layer)", rng.normal(0, 1, (3, 2)),
             _mlp_params(rng, [2, 3, 3]), "sin"),
            ("a square network 3 → 3 → 3, batch of 3, softplus", rng.normal(0, 1, (3, 3)),
             _mlp_params(rng, [3, 3, 3]), "softplus"),
            ("a single example, 5 → 7 → 1, softplus", rng.normal(0, 1, 5), _mlp_params(rng, [5, 7, 1]), "softplus"),
            ("a wide batch, 16 examples, 8 → 12 → 4, tanh", rng.normal(0, 1, (16, 8)),
             _mlp_params(rng, [8, 12, 4]), "tanh"),
            ("a batch of one, 2 → 3 → 1, sin", rng.normal(0, 1, (1, 2)), _mlp_params(rng, [2, 3, 1]), "sin"),
            ("one layer only, single example, float32", rng.normal(0, 1, 4).astype(np.float32),
             _mlp_params(rng, [4, 3], np.float32), "softplus"),
            ("float32, 4 → 6 → 6 → 2, softplus", rng.normal(0, 1, (8, 4)).astype(np.float32),
             _mlp_params(rng, [4, 6, 6, 2], np.float32), "softplus"),
        ]
    return inputs


def _tolerance(dtype):
    return F32 if dtype == np.float32 else F64


def dense_case(tf, label, x, W, b):
    dtype = np.result_type(np.asarray(x).dtype if np.asarray(x).dtype.kind == "f" else np.float64, W, b)
    W, b = W.astype(dtype), b.astype(dtype)
    expected = keras_dense(tf, np.asarray(x).astype(dtype), W, b)
    tolerance = _tolerance(expected.dtype)
    xf = np.asarray(x).astype(dtype)
    return {"name": label, "args": [x, W, b], "kwargs": {}, "expected": expected, **tolerance,
            "mistakes": _mistakes(_dense_mistakes(xf, W, b), expected, tolerance)}


def mlp_case(tf, label, x, params, name):
    dtype = params[0][0].dtype
    xf = np.asarray(x).astype(dtype)
    output, cache = keras_mlp(tf, xf, params, name)
    expected = (output, cache)
    tolerance = _tolerance(dtype)
    return {"name": label, "args": [x, params, Named(name)], "kwargs": {}, "expected": expected, **tolerance,
            "mistakes": _mistakes(_mlp_mistakes(xf, params, name), expected, tolerance)}


def cases(tf, rng, audience):
    """``{function: [case, ...]}`` for the ``public`` checks or the ``hidden`` grading fixtures; each function's
    documented extremes weigh a third of its points (``_extremes.weigh``)."""
    return weigh(_cases(tf, rng, audience))


def _cases(tf, rng, audience):
    return {
        "dense_forward": [dense_case(tf, *inputs) for inputs in _dense_inputs(rng, audience)],
        "mlp_forward": [mlp_case(tf, *inputs) for inputs in _mlp_inputs(rng, audience)],
    }


# ---- the simulated class (grading/demo.py) ------------------------------------------------------
# Bodies replace the code between the solution markers; they run after the validation lines, so
# x, W, b (dense_forward) and x, params, activation (mlp_forward) are validated float arrays.

CLASS = {
    "column_form": {"dense_forward": "return x @ W.T + b"},
    "forgot_bias": {"dense_forward": "return x @ W"},
    "activation_on_output": {"mlp_forward": (
        "cache, a = [], x\n"
        "for W, b in params:\n"
        "    z = dense_forward(a, W, b)\n"
        "    cache.append((a, z))\n"
        "    a = activation(z)\n"
        "return a, cache")},
    "caches_activations": {"mlp_forward": (
        "cache, a = [], x\n"
        "for k, (W, b) in enumerate(params):\n"
        "    z = dense_forward(a, W, b)\n"
        "    out = z if k == len(params) - 1 else activation(z)\n"
        "    cache.append((a, out))\n"
        "    a = out\n"
        "return a, cache")},
    "hardcoded_tanh": {"mlp_forward": (
        "cache, a = [], x\n"
        "for k, (W, b) in enumerate(params):\n"
        "    z = dense_forward(a, W, b)\n"
        "    cache.append((a, z))\n"
        "    a = z if k == len(params) - 1 else np.tanh(z)\n"
        "return a, cache")},
    "output_only": {"mlp_forward": (
        "a = x\n"
        "for k, (W, b) in enumerate(params):\n"
        "    a = dense_forward(a, W, b)\n"
        "    if k < len(params) - 1:\n"
        "        a = activation(a)\n"
        "return a")},
}
EXPECTED_LOSSES = {student: set(functions) for student, functions in CLASS.items()}
