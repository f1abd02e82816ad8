"""Chapter 01_math_toolkit: inputs, TensorFlow references and typical mistakes.

The graded functions take other functions as arguments. A case names them
(``arrays.Named("sin")``, resolved through ``dlmath.checking.callables.FUNCTIONS``),
and this module writes a TensorFlow twin of each (:func:`tf_functions`), from
which the expected values come:

* ``numerical_derivative``, ``numerical_gradient``, ``numerical_jacobian``: the *exact*
  derivative, gradient and Jacobian by ``tf.GradientTape`` (``tape.gradient``,
  ``tape.jacobian`` with its S_out + S_in layout). A central difference with the
  default h = 1e-5 agrees with them to ~1e-10 relative, so the tolerance
  rtol 1e-6 / atol 1e-8 passes it with a margin of 10⁴, while a forward difference
  (error ≈ h/2·f'' ≈ 5e-6 relative) or a missing factor 2 fails. Cases with a large,
  non-default h (so that ignoring the ``h`` argument shows) compare instead with the
  central-difference formula evaluated by TensorFlow on the twin.
* ``relative_error``: ‖a − b‖ / max(‖a‖ + ‖b‖, tiny) with ``tf.norm``.
* ``unbroadcast``: the gradient TensorFlow gives the operand of ``tf.broadcast_to(operand,
  grad.shape)`` for ``output_gradients=grad``.

Mistake outputs are what a typical wrong implementation returns on the same input,
written in NumPy with the NumPy functions the learner's code receives.
"""
from __future__ import annotations

import numpy as np

from dlmath.checking.arrays import Named
from dlmath.checking.callables import FUNCTIONS, ReadsCallersArray
from grading.references._extremes import weigh

DEFAULT_H = 1e-5
FD = {"rtol": 1e-6, "atol": 1e-8}      # finite differences vs exact derivatives (see the module docstring)
F64 = {"rtol": 1e-7, "atol": 1e-12}
F32 = {"rtol": 1e-5, "atol": 1e-6}
# a relative error can itself be 1e-10: compare it relatively, with an atol that only forgives rounding of 0
REL = {"rtol": 1e-7, "atol": 1e-18}
TINY = np.finfo(np.float64).tiny

# ---- hints -------------------------------------------------------------------------------------

CENTRAL = "Use the central difference (f(x + h) − f(x − h)) / (2h): its error is O(h²), a one-sided difference's O(h)."
RESTORE = ("x was not restored exactly. In floating point (x + h) − h is not always x (1e-6 + 1e-5 - 1e-5 gives 1.0000000000000006e-06): save "
           "the entry first and assign the saved value back — old = x[i]; x[i] = old + h; ...; x[i] = old.")
JACOBIAN_SHAPE = ("The Jacobian has shape f(x).shape + x.shape (TensorFlow's tape.jacobian layout: output axes "
                  "first, then input axes); e.g. an output of shape (3,) and an input of shape (2, 4) give (3, 2, 4).")
UNBROADCAST_SHAPE = ("The result must have exactly `shape`. Sum over the leading axes broadcasting added "
                     "(grad.ndim − len(shape) of them), then, with keepdims=True, over every axis where `shape` "
                     "has size 1 and grad does not.")
ZERO_GUARD = ("Two zero arrays give 0/0 = nan. Guard the denominator, max(‖a‖ + ‖b‖, np.finfo(np.float64).tiny): "
              "identical arrays are 0 apart.")

PERTURB_IN_PLACE = ("Perturb the caller's x itself (x[i] = old + h, then put old back), not a copy: chapter 05 passes "
                    "closures such as f = lambda _: loss(W) that ignore their argument and read W, so they see only moves "
                    "made to x in place; with a copy they see none and the gradient comes out 0.")
VIEW = ("Your result is a view of grad (e.g. `return grad` when nothing was broadcast, or a reshape of it): the caller "
        "may change grad afterwards and your result would change with it. Return a new array (grad.copy(), or the sum).")
COPY_F = ("f may return a view of x (here: x flattened and reversed), which changes when x moves. Keep copies of its "
          "results — f_plus = np.array(f(x)), not np.asarray(f(x)) — before you move x again.")

HINTS = {
    "numerical_derivative": {"values": CENTRAL + " Use the `h` argument, not a fixed step.",
                             "shape": "Return an array of the shape of x: one derivative per point."},
    "numerical_gradient": {"mutated": RESTORE,
                           "shape": "The gradient has the shape of x: one partial derivative per entry.",
                           "values": "Perturb one entry at a time, by +h and −h, and divide by 2h. " + CENTRAL},
    "numerical_jacobian": {"mutated": RESTORE, "shape": JACOBIAN_SHAPE,
                           "values": "Entry [o, i] is (f(x + h·e_i)[o] − f(x − h·e_i)[o]) / (2h). " + CENTRAL},
    "relative_error": {"nonfinite": ZERO_GUARD, "warning": ZERO_GUARD,
                       "shape": "Return a single number (a Python float), not an array.",
                       "values": "rel = ‖a − b‖ / max(‖a‖ + ‖b‖, tiny), with the Euclidean norm over all entries "
                                 "(np.linalg.norm)."},
    "unbroadcast": {"shape": UNBROADCAST_SHAPE, "nonfinite": VIEW,
                    "dtype": "Keep grad's float dtype: sums of a float32 array are float32."},
}

# numerical_gradient's "perturbs the caller's x" and unbroadcast's "never a view of grad" become values through drivers
DRIVERS = {"numerical_gradient": "perturbs_in_place", "unbroadcast": "fresh_result"}

# ---- the simulated class (grading/demo.py): typical mistakes, each costing only its own function ----

CLASS = {
    "forward_difference": {"numerical_derivative": "return (np.asarray(f(x + h)) - np.asarray(f(x))) / h"},
    "drifting_restore": {"numerical_gradient": (
        "grad = np.zeros(x.shape)\n"
        "for i in np.ndindex(x.shape):\n"
        "    x[i] += h\n"
        "    f_plus = float(f(x))\n"
        "    x[i] -= 2 * h\n"
        "    f_minus = float(f(x))\n"
        "    x[i] += h\n"
        "    grad[i] = (f_plus - f_minus) / (2 * h)\n"
        "return grad")},
    "rows_only": {"numerical_gradient": (
        "grad = np.zeros(x.shape)\n"
        "for i in range(len(x)):\n"
        "    old = x[i].copy()\n"
        "    x[i] = old + h\n"
        "    f_plus = float(f(x))\n"
        "    x[i] = old - h\n"
        "    f_minus = float(f(x))\n"
        "    x[i] = old\n"
        "    grad[i] = (f_plus - f_minus) / (2 * h)\n"
        "return grad")},
    "jacobian_transposed": {"numerical_jacobian": (
        "out_shape = np.shape(f(x))\n"
        "J = np.zeros(x.shape + out_shape)\n"
        "for i in np.ndindex(x.shape):\n"
        "    old = x[i]\n"
        "    x[i] = old + h\n"
        "    plus = np.array(f(x), dtype=float)\n"
        "    x[i] = old - h\n"
        "    minus = np.array(f(x), dtype=float)\n"
        "    x[i] = old\n"
        "    J[i] = (plus - minus) / (2 * h)\n"
        "return J")},
    "no_zero_guard": {"relative_error":
                      "return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)))"},
    "leading_axes_only": {"unbroadcast": "while grad.ndim > len(shape):\n    grad = grad.sum(axis=0)\nreturn grad"},
}
EXPECTED_LOSSES = {student: set(bodies) for student, bodies in CLASS.items()}


# ---- TensorFlow twins of the named test functions -------------------------------------------------

def tf_functions(tf) -> dict:
    """The TensorFlow version of every ``callables.FUNCTIONS`` entry the cases use."""
    def flat(x):
        return tf.reshape(x, [-1])

    def rosenbrock(x):
        v = flat(x)
        return tf.reduce_sum(100 * (v[1:] - v[:-1] ** 2) ** 2 + (1 - v[:-1]) ** 2)

    def outer(x):
        v = flat(x)
        return v[:, None] * v[None, :]

    return {
        "sin": tf.sin,
        "exp": tf.exp,
        "tanh": tf.tanh,
        "cube": lambda x: x ** 3 - 2 * x,
        "softplus": tf.nn.softplus,
        "sum_of_squares": lambda x: tf.reduce_sum(x * x),
        "log_sum_exp": lambda x: tf.reduce_logsumexp(flat(x)),
        "rosenbrock": rosenbrock,
        "cumsum": lambda x: tf.cumsum(flat(x)),
        "outer": outer,
        "normalize": lambda x: x / tf.sqrt(tf.reduce_sum(x * x)),
        "softmax": lambda x: tf.nn.softmax(x, axis=-1),
        "polar": lambda x: tf.stack([x[0] * tf.cos(x[1]), x[0] * tf.sin(x[1])]),
        # the caller's-array closures compute the same function (of the array the driver binds them to)
        "sum_of_squares_of_callers_x": lambda x: tf.reduce_sum(x * x),
        "log_sum_exp_of_callers_x": lambda x: tf.reduce_logsumexp(flat(x)),
        "reversed_view": lambda x: tf.reverse(flat(x), [0]),
    }


def tf_derivative(tf, name, x):
    """f'(x) elementwise for an elementwise function: the gradient of Σ f(x)."""
    x = tf.constant(np.asarray(x, dtype=np.float64))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf_functions(tf)[name](x)
    return tape.gradient(y, x).numpy()


def tf_gradient(tf, name, x):
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf_functions(tf)[name](x)
    return tape.gradient(y, x).numpy()


def tf_jacobian(tf, name, x):
    x = tf.constant(x)
    with tf.GradientTape(persistent=True) as tape:  # persistent: needed without pfor
        tape.watch(x)
        y = tf_functions(tf)[name](x)
    # pfor (the default) traces a tf.function per call and logs retracing warnings after five
    return tape.jacobian(y, x, experimental_use_pfor=False).numpy()


def tf_central_difference(tf, name, x, h):
    """The central-difference formula evaluated on the TensorFlow twin, one entry of x at a time.

    For an elementwise function (``numerical_derivative``) every entry moves at once, which
    gives the same numbers. Returns an array of shape S_out + S_in (S_in for a scalar f).
    """
    f = tf_functions(tf)[name]
    x = np.asarray(x, dtype=np.float64)
    columns = []
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h
        plus, minus = f(tf.constant(x) + step), f(tf.constant(x) - step)
        columns.append(((plus - minus) / (2 * h)).numpy())
    out_shape = columns[0].shape if columns else ()
    stacked = np.stack(columns, axis=-1) if columns else np.zeros(out_shape + (0,))
    return stacked.reshape(out_shape + x.shape)


def tf_elementwise_central_difference(tf, name, x, h):
    f = tf_functions(tf)[name]
    x = tf.constant(np.asarray(x, dtype=np.float64))
    return ((f(x + h) - f(x - h)) / (2 * h)).numpy()


def tf_relative_error(tf, a, b):
    a = tf.reshape(tf.constant(np.asarray(a, dtype=np.float64)), [-1])
    b = tf.reshape(tf.constant(np.asarray(b, dtype=np.float64)), [-1])
    denominator = tf.maximum(tf.norm(a) + tf.norm(b), tf.constant(TINY, tf.float64))
    return np.asarray((tf.norm(a - b) / denominator).numpy())


def tf_unbroadcast(tf, grad, shape):
    """∂L/∂operand for y = tf.broadcast_to(operand, grad.shape), given ∂L/∂y = grad."""
    operand = tf.constant(np.zeros(shape, dtype=grad.dtype))
    with tf.GradientTape() as tape:
        tape.watch(operand)
        y = tf.broadcast_to(operand, grad.shape)
    return tape.gradient(y, operand, output_gradients=tf.constant(grad)).numpy()


# ---- mistakes (what typical wrong implementations return), in NumPy ----------------------------

def _np(name):
    f = FUNCTIONS[name]
    return f.of if isinstance(f, ReadsCallersArray) else f


def _along(f, x, h, combine):
    """Apply ``combine(f_plus, f_minus, f_x)`` entry by entry, moving one entry of x at a time."""
    x = np.array(x, dtype=np.float64)
    f_x = np.array(f(x), dtype=np.float64)  # copies: f may return a view of x
    columns = []
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + h
        plus = np.array(f(x), dtype=np.float64)
        x[index] = old - h
        minus = np.array(f(x), dtype=np.float64)
        x[index] = old
        columns.append(combine(plus, minus, f_x))
    return np.stack(columns, axis=-1).reshape(f_x.shape + x.shape)


def _derivative_mistakes(name, x, h):
    f, x = _np(name), np.asarray(x, dtype=np.float64)
    yield "You used a forward difference (f(x + h) − f(x)) / h. " + CENTRAL, (f(x + h) - f(x)) / h
    yield "You used a backward difference (f(x) − f(x − h)) / h. " + CENTRAL, (f(x) - f(x - h)) / h
    yield "Divide by 2h: the points x + h and x − h are 2h apart.", (f(x + h) - f(x - h)) / h
    if h != DEFAULT_H:
        yield (f"You used a fixed step; use the h argument (this case passes h = {h:g}).",
               (f(x + DEFAULT_H) - f(x - DEFAULT_H)) / (2 * DEFAULT_H))


def _array_mistakes(name, x, h):
    """Mistakes shared by numerical_gradient and numerical_jacobian."""
    f = _np(name)
    yield ("You used a forward difference (f(x + h·e_i) − f(x)) / h. " + CENTRAL,
           _along(f, x, h, lambda p, m, fx: (p - fx) / h))
    yield "Divide by 2h: x + h·e_i and x − h·e_i are 2h apart.", _along(f, x, h, lambda p, m, fx: (p - m) / h)
    if h != DEFAULT_H:
        yield (f"You used a fixed step; use the h argument (this case passes h = {h:g}).",
               _along(f, x, DEFAULT_H, lambda p, m, fx: (p - m) / (2 * DEFAULT_H)))


def _gradient_mistakes(name, x, h):
    if isinstance(FUNCTIONS[name], ReadsCallersArray):
        yield PERTURB_IN_PLACE, np.zeros(x.shape)
    yield from _array_mistakes(name, x, h)
    f = _np(name)
    whole = (float(f(x + h)) - float(f(x - h))) / (2 * h)
    yield ("You moved every entry of x at once (x + h). Move one entry at a time: entry i of the gradient "
           "is (f(x + h·e_i) − f(x − h·e_i)) / (2h).", np.full(x.shape, whole))
    if x.ndim >= 2:
        rows = np.zeros(x.shape)
        for i in range(len(x)):
            plus, minus = x.copy(), x.copy()
            plus[i] += h
            minus[i] -= h
            rows[i] = (float(f(plus)) - float(f(minus))) / (2 * h)
        yield ("For a 2-D x, x[i] is a whole row: you moved a row at a time. Loop over every index of every "
               "axis, e.g. `for i in np.ndindex(x.shape):`.", rows)


def _jacobian_mistakes(name, x, h):
    if name == "reversed_view":  # results kept as views all show the restored x: every column is 0
        yield COPY_F, np.zeros((x.size,) + x.shape)
    yield from _array_mistakes(name, x, h)
    J = _along(_np(name), x, h, lambda p, m, fx: (p - m) / (2 * h))
    out_ndim = J.ndim - x.ndim
    transposed = np.transpose(J, tuple(range(out_ndim, J.ndim)) + tuple(range(out_ndim)))
    yield ("Your Jacobian has the input axes first (x.shape + f(x).shape). Use TensorFlow's layout, "
           "f(x).shape + x.shape: J[o, i] = ∂f_o/∂x_i, a row per output.", transposed)


def _relative_error_mistakes(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    norm = np.linalg.norm
    yield ZERO_GUARD, norm(a - b) / (norm(a) + norm(b))
    yield "Divide by ‖a‖ + ‖b‖, not by ‖b‖ alone: the measure must be symmetric in a and b.", norm(a - b) / norm(b)
    yield "Divide by ‖a‖ + ‖b‖, not by ‖a‖ alone: the measure must be symmetric in a and b.", norm(a - b) / norm(a)
    yield ("You compared the norms, |‖a‖ − ‖b‖|; take the norm of the difference, ‖a − b‖.",
           abs(norm(a) - norm(b)) / max(norm(a) + norm(b), TINY))
    yield ("Use Euclidean norms (np.linalg.norm), not squared ones.",
           np.sum((a - b) ** 2) / max(np.sum(a * a) + np.sum(b * b), TINY))
    yield ("Use Euclidean norms (np.linalg.norm), not sums of absolute values.",
           np.sum(np.abs(a - b)) / max(np.sum(np.abs(a)) + np.sum(np.abs(b)), TINY))
    yield ("You took the largest elementwise relative error; the measure here is one ratio of norms over all "
           "entries, ‖a − b‖ / (‖a‖ + ‖b‖).", np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), TINY)))


def _unbroadcast_mistakes(grad, shape):
    if tuple(grad.shape) == tuple(shape):  # the driver overwrites grad with NaN after the call: a view shows it
        yield VIEW, np.full(grad.shape, np.nan, grad.dtype)
    leading = grad.ndim - len(shape)
    summed = grad.sum(axis=tuple(range(leading)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and summed.shape[i] != 1)
    averaged = grad.mean(axis=tuple(range(leading))).mean(axis=stretched, keepdims=True)
    yield "Sum, don't average: every copy of an entry passes its full gradient back, so the gradients add up.", averaged
    if len(shape) and grad.ndim > len(shape):
        trailing = tuple(range(len(shape), grad.ndim))
        yield ("Broadcasting aligns shapes at the *right*: the axes it adds are the leading ones, so sum over "
               "the first grad.ndim − len(shape) axes, not the last ones.", grad.sum(axis=trailing))


def _quiet(mistakes):
    with np.errstate(all="ignore"):
        return [(hint, np.asarray(out)) for hint, out in mistakes]


# ---- cases ---------------------------------------------------------------------------------------

def _drifting(rng, x, h, count=1):
    """x with ``count`` entries (at random positions) moved to values that ``x[i] += h; x[i] -= h``
    (and ``x[i] += h; x[i] -= 2h; x[i] += h``) do not give back exactly, so that a learner who
    restores x that way is caught. Such values sit just below a power of two (v + h lands in the
    next binade, where the spacing of floats is twice as coarse, and v's last bit is lost)."""
    x = np.array(x, dtype=np.float64)
    flat = x.reshape(-1)
    for position in rng.choice(flat.size, size=min(count, flat.size), replace=False):
        while True:
            v = float(rng.choice([-1.0, 1.0]) * (2.0 ** rng.integers(-1, 2) - rng.uniform(0.05, 0.95) * h))
            if (v + h) - h != v and ((v + h) - 2 * h) + h != v:
                break
        flat[position] = v
    return flat.reshape(x.shape)


def _case(label, args, kwargs, expected, tolerance, mistakes):
    """One case; a mistake is kept only if its output has the expected shape and fails the tolerance."""
    expected = np.asarray(expected)
    kept = []
    for hint, out in _quiet(mistakes):
        out = out.astype(expected.dtype) if out.dtype.kind == "f" else out
        if out.shape == expected.shape and not np.allclose(out, expected, equal_nan=True, **tolerance):
            kept.append({"hint": hint, "output": out})
    return {"name": label, "args": list(args), "kwargs": kwargs, "expected": expected, **tolerance, "mistakes": kept}


def _derivative_cases(tf, rng, audience):
    inputs = [  # label, function, x, h (None: the default)
        ("sin at hand-picked points", "sin", np.array([-2.0, -1.0, -0.5, 0.3, 1.0, 2.5]), None),
        ("exp on a (3, 4) array", "exp", rng.uniform(-2, 2, (3, 4)), None),
        ("x³ − 2x at a single number", "cube", float(np.round(rng.uniform(0.5, 2), 3)), None),
        ("tanh with a large step h = 0.1 (use the h argument)", "tanh", rng.uniform(-2, 2, 5), 0.1),
        ("softplus at float32 points (computed in float64)", "softplus", rng.uniform(-3, 3, 6).astype(np.float32), None),
    ]
    if audience == "public":  # one representative of every kind of input the hidden cases use
        inputs += [
            ("exp on a 3-D array, shape (2, 2, 3)", "exp", rng.uniform(-3, 3, (2, 2, 3)), None),
            ("sin with a step h = 0.05 on a (2, 3) array (use the h argument)", "sin", rng.uniform(-3, 3, (2, 3)), 0.05),
            ("tanh on a 0-d array", "tanh", np.array(0.4), None),
        ]
    if audience == "hidden":
        inputs += [
            ("exp on a 3-D array, shape (2, 3, 2)", "exp", rng.uniform(-3, 3, (2, 3, 2)), None),
            ("tanh where it saturates, x = ±20, and at 0.5 (absolute accuracy)", "tanh", np.array([-20.0, -15.0, 0.5, 15.0, 20.0]), None),
            ("sin with a step h = 0.01 (use the h argument)", "sin", rng.uniform(-3, 3, (2, 4)), 0.01),
            ("x³ − 2x on 16 points", "cube", rng.uniform(-3, 3, 16), None),
            ("softplus on a 0-d array", "softplus", np.array(rng.uniform(-2, 2)), None),
        ]
    cases = []
    for label, name, x, h in inputs:
        step = DEFAULT_H if h is None else h
        if h is None:
            expected = tf_derivative(tf, name, x)
        else:
            expected = tf_elementwise_central_difference(tf, name, x, h)
        kwargs = {} if h is None else {"h": h}
        cases.append(_case(label, (Named(name), x), kwargs, expected, FD, _derivative_mistakes(name, x, step)))
    return cases


def _gradient_cases(tf, rng, audience):
    inputs = [
        ("Σ x² on a vector of 5", "sum_of_squares", rng.normal(0, 1, 5), None),
        ("log Σ eˣ on a (3, 4) matrix", "log_sum_exp", rng.normal(0, 2, (3, 4)), None),
        ("the Rosenbrock function on a (2, 3) matrix", "rosenbrock", rng.normal(0.5, 0.5, (2, 3)), None),
        ("x³ − 2x at a 0-d array", "cube", np.array(rng.uniform(0.5, 2)), None),
        ("the Rosenbrock function with a step h = 1e-2 (use the h argument)", "rosenbrock", rng.normal(0.5, 0.5, 4), 1e-2),
    ]
    if audience == "public":  # one representative of every kind of input the hidden cases use
        inputs += [
            ("f = lambda _: Σ x² reads the caller's x, not its argument (perturb x in place)",
             "sum_of_squares_of_callers_x", rng.normal(0, 1, (2, 3)), None),
            ("Σ x² on a 3-D array, shape (2, 2, 3)", "sum_of_squares", rng.normal(0, 1, (2, 2, 3)), None),
            ("Σ x² with a step h = 0.2 on a (2, 3) matrix (use the h argument)", "sum_of_squares",
             rng.normal(0, 1, (2, 3)), 0.2),
        ]
    if audience == "hidden":
        inputs += [
            ("log Σ eˣ on a 3-D array, shape (2, 3, 2)", "log_sum_exp", rng.normal(0, 2, (2, 3, 2)), None),
            ("f = lambda _: log Σ eˣ reads the caller's x, not its argument (perturb x in place)",
             "log_sum_exp_of_callers_x", rng.normal(0, 1, (3, 2)), None),
            ("Σ x² on a (4, 5) matrix", "sum_of_squares", rng.normal(0, 3, (4, 5)), None),
            ("the Rosenbrock function on 6 entries", "rosenbrock", rng.normal(1, 0.3, 6), None),
            ("log Σ eˣ on a vector of 1", "log_sum_exp", rng.normal(0, 1, 1), None),
            ("log Σ eˣ with large entries, x ~ N(0, 10²)", "log_sum_exp", rng.normal(0, 10, (2, 4)), None),
            ("Σ x² with a step h = 0.1 on a (2, 2) matrix (use the h argument)", "sum_of_squares",
             rng.normal(0, 1, (2, 2)), 0.1),
        ]
    return _perturbing_cases(tf, rng, inputs, tf_gradient, _gradient_mistakes)


def _perturbing_cases(tf, rng, inputs, exact, mistakes):
    """Cases for the functions that perturb x in place (gradient, Jacobian).

    About a third of x's entries sit just below a power of two, where ``x + h - h != x``,
    so a restore by subtraction is caught. Expected: TensorFlow's exact derivative
    (``exact``), or for an explicit step the central difference itself.
    """
    cases = []
    for label, name, x, h in inputs:
        step = DEFAULT_H if h is None else h
        x = _drifting(rng, x, step, count=max(1, x.size // 3))
        expected = exact(tf, name, x) if h is None else tf_central_difference(tf, name, x, h)
        cases.append(_case(label, (Named(name), x), {} if h is None else {"h": h}, expected, FD,
                           mistakes(name, x, step)))
    return cases


def _jacobian_cases(tf, rng, audience):
    inputs = [
        ("running sums (cumsum) of a vector of 4", "cumsum", rng.normal(0, 1, 4), None),
        ("polar → Cartesian at (r, θ)", "polar", np.array([rng.uniform(1, 2), rng.uniform(0.3, 1.2)]), None),
        ("outer product v vᵀ of a vector of 3: shape (3, 3, 3)", "outer", rng.normal(0, 1, 3), None),
        ("softmax of each row of a (2, 3) matrix: shape (2, 3, 2, 3)", "softmax", rng.normal(0, 1, (2, 3)), None),
        ("cumsum of a (2, 3) matrix, flattened: shape (6, 2, 3)", "cumsum", rng.normal(0, 1, (2, 3)), None),
    ]
    if audience == "public":  # one representative of every kind of input the hidden cases use
        inputs += [
            ("softmax of a vector of 4 with a step h = 0.1 (use the h argument)", "softmax", rng.normal(0, 1, 4), 0.1),
            ("f returns a view of x (x flattened and reversed): keep copies of f(x)", "reversed_view", rng.normal(0, 1, 3), None),
        ]
    if audience == "hidden":
        inputs += [
            ("x / ‖x‖ on a (2, 2) matrix", "normalize", rng.normal(0, 1, (2, 2)), None),
            ("f returns a view of x (a (2, 3) matrix flattened and reversed)", "reversed_view", rng.normal(0, 1, (2, 3)), None),
            ("softmax of a vector of 5", "softmax", rng.normal(0, 2, 5), None),
            ("polar → Cartesian at another (r, θ)", "polar", np.array([rng.uniform(0.5, 3), rng.uniform(-3, 3)]), None),
            ("outer product of a (2, 2) matrix, flattened: shape (4, 4, 2, 2)", "outer", rng.normal(0, 1, (2, 2)), None),
            ("polar → Cartesian with a step h = 0.1 (use the h argument)", "polar",
             np.array([rng.uniform(1, 2), rng.uniform(0.3, 1.2)]), 0.1),
        ]
    return _perturbing_cases(tf, rng, inputs, tf_jacobian, _jacobian_mistakes)


def _relative_error_cases(tf, rng, audience):
    g = rng.normal(0, 1, (3, 4))
    inputs = [
        ("two unrelated random vectors", rng.normal(0, 1, 6), rng.normal(0, 1, 6)),
        ("a gradient and a close approximation (≈ 1e-8 apart)", g, g * (1 + 1e-8 * rng.normal(0, 1, g.shape))),
        ("two zero arrays (0, not 0/0)", np.zeros(4), np.zeros(4)),
        ("a zero array and a non-zero one", np.zeros((2, 2)), rng.normal(0, 1, (2, 2))),
        ("two numbers, 1.0 and 1.001", 1.0, 1.001),
    ]
    if audience == "public":  # one representative of every kind of input the hidden cases use
        u = rng.normal(0, 1, (2, 2, 3))
        u2 = u + 1e-5 * rng.normal(0, 1, u.shape)
        inputs += [
            ("3-D arrays about 1e-5 apart", u, u2),
            ("the same pair scaled by 1e8 (scale-free)", 1e8 * u, 1e8 * u2),
            ("tiny values around 1e-10 (scale-free)", 1e-10 * u, 1e-10 * u2),
            ("float32 inputs (computed in float64)", rng.normal(0, 1, 4).astype(np.float32),
             rng.normal(0, 1, 4).astype(np.float32)),
        ]
    if audience == "hidden":
        v = rng.normal(0, 1, (2, 3, 2))
        w = v + 1e-6 * rng.normal(0, 1, v.shape)
        inputs += [
            ("3-D arrays about 1e-6 apart", v, w),
            ("the same pair scaled by 1e6 (scale-free)", 1e6 * v, 1e6 * w),
            ("float32 inputs (computed in float64)", rng.normal(0, 1, 5).astype(np.float32),
             rng.normal(0, 1, 5).astype(np.float32)),
            ("identical arrays", g, g.copy()),
            ("b = −a", g, -g),
            ("tiny values around 1e-12 (scale-free)", 1e-12 * v, 1e-12 * w),
        ]
    cases = []
    for label, a, b in inputs:
        expected = tf_relative_error(tf, a, b)
        cases.append(_case(label, (a, b), {}, expected, REL, _relative_error_mistakes(a, b)))
    return cases


def _unbroadcast_cases(tf, rng, audience):
    inputs = [  # label, grad, shape
        ("a bias: grad (4, 3) → shape (3,)", rng.normal(0, 1, (4, 3)), (3,)),
        ("a column: grad (4, 5) → shape (4, 1)", rng.normal(0, 1, (4, 5)), (4, 1)),
        ("both kinds: grad (2, 3, 4) → shape (3, 1)", rng.normal(0, 1, (2, 3, 4)), (3, 1)),
        ("a scalar operand: grad (2, 3) → shape ()", rng.normal(0, 1, (2, 3)), ()),
        ("float32 grad (5, 3) → shape (1, 3) keeps float32", rng.normal(0, 1, (5, 3)).astype(np.float32), (1, 3)),
        ("nothing was broadcast: grad (2, 3) → shape (2, 3)", rng.normal(0, 1, (2, 3)), (2, 3)),
    ]
    if audience == "public":  # one representative of every kind of input the hidden cases use
        inputs += [
            ("grad (2, 3, 4, 2, 5) → shape (3, 1, 2, 1)", rng.normal(0, 1, (2, 3, 4, 2, 5)), (3, 1, 2, 1)),
            ("leading size-1 axes: grad (3, 2, 4) → shape (1, 1, 4)", rng.normal(0, 1, (3, 2, 4)), (1, 1, 4)),
            ("float32 grad (3, 2, 5) → shape (5,)", rng.normal(0, 1, (3, 2, 5)).astype(np.float32), (5,)),
        ]
    if audience == "hidden":
        inputs += [
            ("a square bias: grad (3, 3) → shape (3,)", rng.normal(0, 1, (3, 3)), (3,)),
            ("grad (3, 2, 5, 4, 6) → shape (2, 1, 4, 1)", rng.normal(0, 1, (3, 2, 5, 4, 6)), (2, 1, 4, 1)),
            ("leading size-1 axes: grad (2, 4, 3) → shape (1, 1, 3)", rng.normal(0, 1, (2, 4, 3)), (1, 1, 3)),
            ("a square column: grad (3, 3) → shape (3, 1)", rng.normal(0, 1, (3, 3)), (3, 1)),
            ("float32 grad (2, 3, 4) → shape (4,)", rng.normal(0, 1, (2, 3, 4)).astype(np.float32), (4,)),
            ("a batch of 64 biases: grad (64, 10) → shape (10,)", rng.normal(0, 1, (64, 10)), (10,)),
            ("nothing was broadcast: grad (3, 1) → shape (3, 1), a new array", rng.normal(0, 1, (3, 1)), (3, 1)),
        ]
    cases = []
    for label, grad, shape in inputs:
        expected = tf_unbroadcast(tf, grad, shape)
        tolerance = F32 if grad.dtype == np.float32 else F64
        cases.append(_case(label, (grad, shape), {}, expected, tolerance, _unbroadcast_mistakes(grad, shape)))
    return cases


def cases(tf, rng, audience):
    """``{function: [case, ...]}`` for the ``public`` checks or the ``hidden`` grading fixtures; each function's
    documented extremes weigh a third of its points (``_extremes.weigh``)."""
    return weigh(_cases(tf, rng, audience))


def _cases(tf, rng, audience):
    return {
        "numerical_derivative": _derivative_cases(tf, rng, audience),
        "numerical_gradient": _gradient_cases(tf, rng, audience),
        "numerical_jacobian": _jacobian_cases(tf, rng, audience),
        "relative_error": _relative_error_cases(tf, rng, audience),
        "unbroadcast": _unbroadcast_cases(tf, rng, audience),
    }
