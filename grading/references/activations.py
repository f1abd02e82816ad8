"""Chapter 03_activations: inputs, TensorFlow references and typical mistakes.

Expected values come from ``tf.math``/``tf.nn`` ops and ``keras.activations.elu``
(forward) and ``tf.GradientTape`` (backward) — float64 for float64 cases, float32
for float32 ones. One exception, documented in dlmath.activations.gelu and tested
in tests/test_activations_tensorflow.py: ``tf.nn.gelu`` casts its constants 1/√2
and 0.044715 through float32 even for float64 input (a ~1e-8 relative change of
the constant, up to ~1e-6 relative in the result), so float64 GELU cases evaluate
the same formula with TensorFlow ops and float64 constants. Mistake outputs are what a typical wrong formula gives on the same input,
so a learner's wrong answer can be recognised and named.
"""
from __future__ import annotations

import math

import numpy as np

from grading.tensorflow_reference import vjp
from grading.references._extremes import weigh

F64 = {"rtol": 1e-7, "atol": 1e-12}
F32 = {"rtol": 1e-5, "atol": 1e-6}

OVERFLOW_SIGMOID = ("np.exp overflowed. For z < 0 compute e^z / (1 + e^z), for z ≥ 0 compute 1 / (1 + e^-z) "
                    "(or write both with exp(-|z|)), so exp only ever sees a non-positive number.")
NO_MAX_SHIFT = ("exp of a large logit overflowed to inf (inf/inf = NaN). Subtract the maximum along `axis` "
                "first: e^(z - m) ≤ 1 never overflows and the ratio is unchanged.")
ELU_OVERFLOW = ("exp overflowed for a large positive z: np.where(z > 0, z, alpha * (np.exp(z) - 1)) evaluates "
                "exp on *every* entry. Exponentiate only non-positive numbers: np.expm1(np.minimum(z, 0)).")
NUMPY_CONSTANT = ("np.sqrt(2) and np.sqrt(2 / np.pi) are NumPy float64 scalars: they turn a float32 array into "
                  "float64. Use math.sqrt(2) (a Python float) or 2 ** 0.5.")
GELU_TANH = "approximate=True asks for the tanh form 0.5 z (1 + tanh(√(2/π) (z + 0.044715 z³)))."
KEEPDIMS = "Reduce with keepdims=True (e.g. np.max(z, axis=axis, keepdims=True)) so the result broadcasts back against z."

HINTS = {
    "sigmoid": {"warning": OVERFLOW_SIGMOID, "nonfinite": OVERFLOW_SIGMOID},
    "sigmoid_backward": {"uses": ["sigmoid"], "warning": OVERFLOW_SIGMOID, "nonfinite": OVERFLOW_SIGMOID},
    "tanh": {},
    "tanh_backward": {"uses": ["tanh"]},
    "relu": {},
    "relu_backward": {},
    "leaky_relu": {},
    "leaky_relu_backward": {},
    "elu": {"warning": ELU_OVERFLOW, "nonfinite": ELU_OVERFLOW},
    "elu_backward": {"uses": ["elu"], "warning": ELU_OVERFLOW, "nonfinite": ELU_OVERFLOW},
    "silu": {"uses": ["sigmoid"], "warning": OVERFLOW_SIGMOID, "nonfinite": OVERFLOW_SIGMOID},
    "silu_backward": {"uses": ["sigmoid", "silu"], "warning": OVERFLOW_SIGMOID, "nonfinite": OVERFLOW_SIGMOID},
    "gelu": {"dtype": NUMPY_CONSTANT},
    "gelu_backward": {"dtype": NUMPY_CONSTANT},
    "softmax": {"warning": NO_MAX_SHIFT, "nonfinite": NO_MAX_SHIFT, "shape": KEEPDIMS},
    "softmax_backward": {"uses": ["softmax"], "warning": NO_MAX_SHIFT, "nonfinite": NO_MAX_SHIFT, "shape": KEEPDIMS},
    "log_softmax": {
        "warning": "log of 0 or exp overflow: use (z - m) - log Σ e^(z - m) with m the max along `axis`, "
                   "not np.log(softmax(z)).",
        "nonfinite": "np.log(softmax(z)) is -inf where the softmax underflows to 0. Use (z - m) - log Σ e^(z - m).",
        "shape": KEEPDIMS,
    },
}


# ---- inputs -----------------------------------------------------------------------------------

def _elementwise_inputs(rng, audience):
    """(name, z) pairs covering ordinary values, dtypes, shapes, exact zeros and extremes."""
    picked = np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0])
    extreme = np.array([-1000.0, -750.0, -40.0, -1.0, 0.0, 1.0, 40.0, 750.0, 1000.0])
    batch = rng.normal(0, 3, (4, 5))
    batch[0, :2] = 0.0
    inputs = [
        ("a few hand-picked values", picked),
        ("a random batch, shape (4, 5)", batch),
        ("float32 input keeps float32", rng.normal(0, 3, (3, 4)).astype(np.float32)),
        ("extreme inputs ±1000 (stability)", extreme),
    ]
    if audience == "public":  # one representative of every kind of input the hidden cases use
        inputs += [
            ("a 3-D array, shape (2, 2, 3)", rng.normal(0, 2, (2, 2, 3))),
            ("a single number (0-d array)", np.array(-0.75)),
            ("float32 extremes ±90, ±500", np.array([-500, -90, -10, 0, 10, 90, 500], np.float32)),
        ]
    if audience == "hidden":
        inputs += [
            ("a 3-D array, shape (2, 3, 4)", rng.normal(0, 2, (2, 3, 4))),
            ("a single number (0-d array)", np.array(rng.normal())),
            ("float32 extremes ±100, ±1000", np.array([-1000, -100, -20, 0, 20, 100, 1000], np.float32)),
            ("a wide batch, shape (16, 32)", rng.normal(0, 5, (16, 32))),
        ]
    return inputs


def _softmax_inputs(rng, audience):
    """(name, z, kwargs) triples: vectors, batches, other axes, float32, extreme logits."""
    extreme = np.array([[1000.0, 0.0, -1000.0], [-1000.0, -1000.0, -1000.0], [1000.0, 1000.0, 999.0]])
    inputs = [
        ("a single vector of logits", np.array([1.0, 2.0, 3.0, -1.0]), {}),
        ("a batch of logits, shape (4, 5)", rng.normal(0, 3, (4, 5)), {}),
        ("axis=0 on a (4, 3) array", rng.normal(0, 3, (4, 3)), {"axis": 0}),
        ("float32 logits keep float32", rng.normal(0, 3, (3, 4)).astype(np.float32), {}),
        ("extreme logits ±1000 (stability)", extreme, {}),
    ]
    if audience == "public":
        inputs += [
            ("a 3-D array along axis=1", rng.normal(0, 2, (3, 4, 2)), {"axis": 1}),
            ("float32 logits beyond exp's float32 range", np.array([[120.0, 0, -120], [95, 90, 100]], np.float32), {}),
        ]
    if audience == "hidden":
        inputs += [
            ("a 3-D array along axis=1", rng.normal(0, 2, (2, 5, 3)), {"axis": 1}),
            ("large equal logits [800, 800, 800]", np.full((2, 3), 800.0), {}),
            ("float32 extreme logits", np.array([[100.0, 0, -100], [90, 95, 100]], np.float32), {}),
            ("a wide batch, shape (16, 10)", rng.normal(0, 10, (16, 10)), {}),
        ]
    return inputs


def _tolerance(z):
    return F32 if z.dtype == np.float32 else F64


# ---- mistakes (what typical wrong formulas return) ----------------------------------------------

def _np_sigmoid(z):
    return np.exp(-np.logaddexp(0, -z)).astype(z.dtype)


_np_erf = np.vectorize(math.erf, otypes=[np.float64])
_np_erfc = np.vectorize(math.erfc, otypes=[np.float64])


def _np_softmax(z, axis):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _other_axis(z, axis):
    """An axis a confused learner might use instead of ``axis`` (None for 1-D input)."""
    if z.ndim < 2:
        return None
    axis = axis % z.ndim
    return z.ndim - 1 if axis != z.ndim - 1 else 0


def _mistakes(name, args, kwargs):
    with np.errstate(all="ignore"):
        return [(hint, np.asarray(out)) for hint, out in _mistake_outputs(name, args, kwargs)]


def _mistake_outputs(name, args, kwargs):
    if name == "sigmoid_backward":
        dout, z = args
        s = _np_sigmoid(z)
        yield "You returned σ'(z) without multiplying by dout (the chain rule: ∂L/∂z = dout · σ'(z)).", s * (1 - s)
        yield "σ' = σ(1 − σ) is evaluated at σ(z), not at the input z itself.", dout * z * (1 - z)
    elif name == "tanh_backward":
        dout, z = args
        t = np.tanh(z)
        yield "1 − z² uses the input; the derivative is 1 − tanh(z)².", dout * (1 - z * z)
        yield "You returned tanh'(z) without multiplying by dout.", 1 - t * t
        yield "The derivative is 1 − tanh(z)², squared.", dout * (1 - t)
    elif name == "relu_backward":
        dout, z = args
        yield "At z = 0 the gradient is taken as 0 (as TensorFlow does): use z > 0, not z >= 0.", np.where(z >= 0, dout, 0)
        yield "Multiply by dout: the gradient is dout where z > 0, else 0.", (z > 0).astype(z.dtype)
    elif name == "leaky_relu":
        (z,) = args
        alpha = kwargs.get("alpha", 0.2)
        yield "You used slope 0.3 (the keras.layers.LeakyReLU default); use the alpha argument.", np.where(z > 0, z, 0.3 * z)
        if alpha != 0.2:
            yield "You used the default slope 0.2; use the alpha argument.", np.where(z > 0, z, 0.2 * z)
        yield "The slope alpha applies to z ≤ 0, not z > 0.", np.where(z > 0, alpha * z, z)
    elif name == "leaky_relu_backward":
        dout, z = args
        alpha = kwargs.get("alpha", 0.2)
        yield "At z = 0 the gradient is alpha · dout (TensorFlow's convention): use z > 0, not z >= 0.", np.where(z >= 0, dout, alpha * dout)
        yield "Multiply by dout: the gradient is dout where z > 0, alpha · dout elsewhere.", np.where(z > 0, 1.0, alpha)
    elif name == "elu":
        (z,) = args
        alpha = kwargs.get("alpha", 1.0)
        negative = np.expm1(np.minimum(z, 0))
        if alpha != 1.0:
            yield "You used α = 1; use the alpha argument: α (e^z − 1) for z ≤ 0.", np.where(z > 0, z, negative)
        yield "The negative side is α (e^z − 1): the − 1 is missing (ELU must be continuous at 0).", \
            np.where(z > 0, z, alpha * np.exp(np.minimum(z, 0)))
        yield "The negative side is α (e^z − 1), not α z (that is leaky ReLU).", np.where(z > 0, z, alpha * z)
    elif name == "elu_backward":
        dout, z = args
        alpha = kwargs.get("alpha", 1.0)
        slope = alpha * np.exp(np.minimum(z, 0))
        yield "Multiply by dout: the gradient is dout where z > 0, dout · α e^z elsewhere.", np.where(z > 0, 1.0, slope)
        yield ("At z = 0 TensorFlow takes the z ≤ 0 branch, α e⁰ = α: use z > 0, not z >= 0, for the slope-1 branch."), \
            dout * np.where(z >= 0, 1.0, slope)
        if alpha != 1.0:
            yield ("The slope for z ≤ 0 is α e^z. (TensorFlow's y + 1 works only for α = 1: in general it is "
                   "y + α with y = elu(z).)"), dout * np.where(z > 0, 1.0, alpha * np.expm1(np.minimum(z, 0)) + 1)
            yield "You used α = 1; use the alpha argument: the slope for z ≤ 0 is α e^z.", \
                dout * np.where(z > 0, 1.0, np.exp(np.minimum(z, 0)))
        yield "The derivative of α (e^z − 1) is α e^z, not α (e^z − 1).", \
            dout * np.where(z > 0, 1.0, alpha * np.expm1(np.minimum(z, 0)))
    elif name == "silu":
        (z,) = args
        beta = kwargs.get("beta", 1.0)
        yield "SiLU is z · σ(βz): you returned σ(βz) without the factor z.", _np_sigmoid(beta * z)
        if beta != 1.0:
            yield "Use the beta argument: silu(z) = z · σ(βz).", z * _np_sigmoid(z)
            yield "β goes inside the sigmoid: z · σ(βz), not β z σ(z).", beta * z * _np_sigmoid(z)
    elif name == "silu_backward":
        dout, z = args
        beta = kwargs.get("beta", 1.0)
        s = _np_sigmoid(beta * z)
        yield ("The product rule: d/dz [z σ(βz)] = σ(βz) + z · βσ(βz)(1 − σ(βz)). You kept only the first term."), dout * s
        yield "You returned the derivative without multiplying by dout.", s + beta * z * s * (1 - s)
        yield "That is σ'(z); SiLU's derivative is σ(βz) + βz σ(βz)(1 − σ(βz)).", dout * s * (1 - s)
        if beta != 1.0:
            yield "Use the beta argument, in σ(βz) and in the chain-rule factor β.", \
                dout * (_np_sigmoid(z) + z * _np_sigmoid(z) * (1 - _np_sigmoid(z)))
            yield "The chain rule brings a factor β: σ(βz) + βz σ(βz)(1 − σ(βz)).", dout * (s + z * s * (1 - s))
    elif name == "gelu":
        (z,) = args
        approximate = kwargs.get("approximate", False)
        exact = 0.5 * z * _np_erfc(-z / np.sqrt(2))
        tanh_form = 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z ** 3)))
        if approximate:
            yield GELU_TANH + " You returned the exact form.", exact
            yield "The tanh approximation's argument is √(2/π) (z + 0.044715 z³): the cubic term is missing.", \
                0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * z))
        else:
            yield "approximate=False asks for the exact form z Φ(z) = 0.5 z erfc(−z/√2); you returned the tanh approximation.", tanh_form
            yield "Φ(z) = ½ (1 + erf(z/√2)): divide by √2 inside erf.", 0.5 * z * (1 + _np_erf(z))
            yield "Φ(z) = ½ (1 + erf(z/√2)): the factor ½ is missing.", z * (1 + _np_erf(z / np.sqrt(2)))
            yield "GELU is z Φ(z): you returned Φ(z) without the factor z.", 0.5 * _np_erfc(-z / np.sqrt(2))
    elif name == "gelu_backward":
        dout, z = args
        approximate = kwargs.get("approximate", False)
        cdf = 0.5 * _np_erfc(-z / np.sqrt(2))
        pdf = np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)
        c, k = np.sqrt(2 / np.pi), 0.044715
        t = np.tanh(c * (z + k * z ** 3))
        tanh_slope = 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * c * (1 + 3 * k * z * z)
        if approximate:
            yield GELU_TANH + " Differentiate that form; you returned the exact form's derivative.", dout * (cdf + z * pdf)
            yield ("The chain rule through u = √(2/π)(z + 0.044715 z³) brings du/dz = √(2/π)(1 + 3·0.044715 z²)."), \
                dout * (0.5 * (1 + t) + 0.5 * z * (1 - t * t))
            yield "You returned the derivative without multiplying by dout.", tanh_slope
        else:
            yield ("The product rule: d/dz [z Φ(z)] = Φ(z) + z φ(z). You kept only Φ(z)."), dout * cdf
            yield "You returned the derivative without multiplying by dout.", cdf + z * pdf
            yield "approximate=False: differentiate the exact form, Φ(z) + z φ(z).", dout * tanh_slope
    elif name in ("softmax", "log_softmax", "softmax_backward"):
        z = args[-1]
        axis = kwargs.get("axis", -1)
        other = _other_axis(z, axis)
        if name == "softmax":
            if other is not None:
                yield f"Your output is the softmax along axis {other}; normalise along `axis` (default −1).", _np_softmax(z, other)
            yield "You normalised over the whole array; sum along `axis` only.", np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        elif name == "log_softmax":
            if other is not None:
                yield f"Your output is log-softmax along axis {other}; normalise along `axis`.", np.log(_np_softmax(z, other))
            shifted = z - z.max(axis=axis, keepdims=True)
            yield "You subtracted the max but forgot − log Σ e^(z − m).", shifted
        else:
            dout = args[0]
            s = _np_softmax(z, axis)
            yield ("You used only the diagonal of the Jacobian, s(1 − s)·dout. The Jacobian is diag(s) − s sᵀ: "
                   "∂L/∂z = s ⊙ (dout − Σ dout·s)."), s * (1 - s) * dout
            yield "The sum Σ dout·s runs along `axis` for each row, not over the whole array.", s * (dout - np.sum(dout * s))


# ---- cases ------------------------------------------------------------------------------------

def _case(tf, name, label, args, kwargs, reference):
    expected = np.asarray(reference(tf, *args, **kwargs))
    tolerance = _tolerance(args[-1])
    if name == "gelu_backward" and args[-1].dtype == np.float32:
        tolerance = F32_GELU_BACKWARD
    mistakes = [{"hint": h, "output": out.astype(expected.dtype)} for h, out in _mistakes(name, args, kwargs)
                if out.shape == expected.shape and not np.allclose(out, expected, equal_nan=True)]
    return {"name": label, "args": list(args), "kwargs": kwargs, "expected": expected, **tolerance, "mistakes": mistakes}


FORWARD = {
    "sigmoid": lambda tf, z: tf.math.sigmoid(z).numpy(),
    "tanh": lambda tf, z: tf.math.tanh(z).numpy(),
    "relu": lambda tf, z: tf.nn.relu(z).numpy(),
    "leaky_relu": lambda tf, z, alpha=0.2: tf.nn.leaky_relu(z, alpha=alpha).numpy(),
}
BACKWARD = {
    "sigmoid_backward": lambda tf, dout, z: vjp(tf, tf.math.sigmoid, z, dout),
    "tanh_backward": lambda tf, dout, z: vjp(tf, tf.math.tanh, z, dout),
    "relu_backward": lambda tf, dout, z: vjp(tf, tf.nn.relu, z, dout),
    "leaky_relu_backward": lambda tf, dout, z, alpha=0.2: vjp(tf, lambda t: tf.nn.leaky_relu(t, alpha=alpha), z, dout),
}
def _gelu(tf, t, approximate=False):
    """GELU in TensorFlow: tf.nn.gelu in float32; in float64 the same formula with float64 constants.

    tf.nn.gelu casts 1/√2 and 0.044715 through float32 even for float64 input (see the module docstring).
    """
    if t.dtype == tf.float32:
        return tf.nn.gelu(t, approximate=approximate)
    if approximate:
        cubic = t + tf.constant(0.044715, tf.float64) * t ** 3
        return 0.5 * t * (1.0 + tf.math.tanh(tf.constant(math.sqrt(2 / math.pi), tf.float64) * cubic))
    return 0.5 * t * tf.math.erfc(-t * tf.constant(1 / math.sqrt(2), tf.float64))


def _keras_elu(tf, t, alpha=1.0):
    import keras

    return keras.activations.elu(t, alpha=alpha)


NEW_FORWARD = {
    "elu": lambda tf, z, alpha=1.0: np.asarray(_keras_elu(tf, tf.constant(z), alpha)),
    "silu": lambda tf, z, beta=1.0: tf.nn.silu(z, beta=beta).numpy(),
    "gelu": lambda tf, z, approximate=False: _gelu(tf, tf.constant(z), approximate).numpy(),
}
NEW_BACKWARD = {
    "elu_backward": lambda tf, dout, z, alpha=1.0: vjp(tf, lambda t: _keras_elu(tf, t, alpha), z, dout),
    "silu_backward": lambda tf, dout, z, beta=1.0: vjp(tf, lambda t: tf.nn.silu(t, beta=beta), z, dout),
    "gelu_backward": lambda tf, dout, z, approximate=False: vjp(tf, lambda t: _gelu(tf, t, approximate), z, dout),
}
# float32 GELU backward: near z ≈ −3.5 its two terms (≈ ±0.5) cancel, so float32 rounding leaves ~2e-6 absolute
F32_GELU_BACKWARD = {"rtol": 1e-5, "atol": 1e-5}

AXIS = {
    "softmax": lambda tf, z, axis=-1: tf.nn.softmax(z, axis=axis).numpy(),
    "log_softmax": lambda tf, z, axis=-1: tf.nn.log_softmax(z, axis=axis).numpy(),
    "softmax_backward": lambda tf, dout, z, axis=-1: vjp(tf, lambda t: tf.nn.softmax(t, axis=axis), z, dout),
}


def cases(tf, rng, audience):
    """``{function: [case, ...]}`` for the ``public`` checks or the ``hidden`` grading fixtures; each function's
    documented extremes weigh a third of its points (``_extremes.weigh``)."""
    return weigh(_cases(tf, rng, audience))


def _cases(tf, rng, audience):
    out = {}
    for name, reference in FORWARD.items():
        out[name] = [_case(tf, name, label, (z,), {}, reference) for label, z in _elementwise_inputs(rng, audience)]
    for alpha in (0.1, 0.01):
        z = rng.normal(0, 3, (3, 4))
        z[0, 0] = 0.0
        out["leaky_relu"].append(_case(tf, "leaky_relu", f"a custom slope alpha={alpha}", (z,), {"alpha": alpha}, FORWARD["leaky_relu"]))
    for name, reference in BACKWARD.items():
        out[name] = [
            _case(tf, name, label, (rng.normal(0, 1, z.shape).astype(z.dtype), z), {}, reference)
            for label, z in _elementwise_inputs(rng, audience)
        ]
    z = rng.normal(0, 3, (3, 4))
    z[0, :2] = 0.0
    out["leaky_relu_backward"].append(_case(tf, "leaky_relu_backward", "a custom slope alpha=0.1",
                                            (rng.normal(0, 1, z.shape), z), {"alpha": 0.1}, BACKWARD["leaky_relu_backward"]))
    for name in ("softmax", "softmax_backward", "log_softmax"):
        reference = AXIS[name]
        out[name] = []
        for label, z, kwargs in _softmax_inputs(rng, audience):
            args = (rng.normal(0, 1, z.shape).astype(z.dtype), z) if name == "softmax_backward" else (z,)
            out[name].append(_case(tf, name, label, args, kwargs, reference))
    # the functions added in the second edition draw their inputs last, so every earlier case is unchanged
    options = {"elu": ("alpha", [0.5], [2.0, 0.3]), "silu": ("beta", [2.0], [0.5, 1.5]),
               "gelu": ("approximate", [True], [])}
    for name in ("elu", "silu", "gelu"):
        keyword, public, hidden = options[name]
        inputs = [(label, z, {}) for label, z in _elementwise_inputs(rng, audience)]
        values = public + (hidden if audience == "hidden" else [])
        if name == "gelu":  # the tanh approximation gets the same kinds of input as the exact form
            inputs += [(f"{label}, approximate=True", z, {"approximate": True})
                       for label, z in _elementwise_inputs(rng, audience)]
        else:
            for value in values:
                z = rng.normal(0, 3, (3, 4))
                z[0, 0] = 0.0
                inputs.append((f"a custom {keyword}={value}", z, {keyword: value}))
        out[name] = [_case(tf, name, label, (z,), kwargs, NEW_FORWARD[name]) for label, z, kwargs in inputs]
        out[name + "_backward"] = [
            _case(tf, name + "_backward", label, (rng.normal(0, 1, z.shape).astype(z.dtype), z), kwargs,
                  NEW_BACKWARD[name + "_backward"])
            for label, z, kwargs in inputs
        ]
    order = ["sigmoid", "sigmoid_backward", "tanh", "tanh_backward", "relu", "relu_backward",
             "leaky_relu", "leaky_relu_backward", "elu", "elu_backward", "silu", "silu_backward",
             "gelu", "gelu_backward", "softmax", "softmax_backward", "log_softmax"]
    return {name: out[name] for name in order}


# ---- the simulated class (grading/demo.py): typical mistakes, each costing only its own function ----

CLASS = {
    "naive_sigmoid": {"sigmoid": "return 1 / (1 + np.exp(-z))"},
    "softmax_no_shift": {"softmax": "e = np.exp(z)\nreturn e / np.sum(e, axis=axis, keepdims=True)"},
    "softmax_wrong_axis": {"softmax": "e = np.exp(z - np.max(z, axis=0, keepdims=True))\nreturn e / np.sum(e, axis=0, keepdims=True)"},
    "wrong_derivative": {"tanh_backward": "return dout * (1 - z * z)"},
    "elu_exp_overflow": {"elu": "return np.where(z > 0, z, alpha * (np.exp(z) - 1))"},
    "silu_grad_one_term": {"silu_backward": "return dout * sigmoid(beta * z)"},
    "gelu_ignores_approximate": {"gelu": "return 0.5 * z * erfc(-z / 2 ** 0.5)"},
}
EXPECTED_LOSSES = {
    "naive_sigmoid": {"sigmoid"}, "softmax_no_shift": {"softmax"}, "softmax_wrong_axis": {"softmax"},
    "wrong_derivative": {"tanh_backward"},
    "elu_exp_overflow": {"elu"}, "silu_grad_one_term": {"silu_backward"}, "gelu_ignores_approximate": {"gelu"},
}
