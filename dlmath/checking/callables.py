"""Functions that check cases pass as arguments, and drivers that exercise classes.

A case can't store a function, so it stores a name: ``{"callable": "sin"}``.
:func:`resolve` turns the name back into a function: a name from
:data:`FUNCTIONS` (fixed test functions), or ``"<module>.<function>"`` for a
dlmath function such as ``"activations.tanh_backward"``.

A graded *method*, such as ``Value.tanh``, is checked through a driver: a
function that takes the class and a case's plain-data input (here, a small
program of operations), builds objects with it and returns arrays to compare.

The grader imports this file from its own installation, by path: it must
import nothing but NumPy and the standard library.
"""
from __future__ import annotations

import importlib

import numpy as np


def _cube(x):
    return x ** 3 - 2 * x


def _sum_of_squares(x):
    return np.sum(x * x)


def _log_sum_exp(x):
    return np.logaddexp.reduce(np.ravel(x))


def _rosenbrock(x):
    v = np.ravel(x)
    return np.sum(100 * (v[1:] - v[:-1] ** 2) ** 2 + (1 - v[:-1]) ** 2)


def _cumsum(x):
    return np.cumsum(np.ravel(x))


def _outer(x):
    v = np.ravel(x)
    return np.multiply.outer(v, v)


def _normalize(x):
    return x / np.sqrt(np.sum(x * x))


def _softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def _polar(x):
    r, theta = x
    return np.array([r * np.cos(theta), r * np.sin(theta)])


FUNCTIONS = {
    # elementwise functions of one variable: numerical_derivative, activations for mlp_forward
    "sin": np.sin,
    "exp": np.exp,
    "tanh": np.tanh,
    "cube": _cube,                      # x³ − 2x
    "softplus": lambda x: np.logaddexp(0, x),
    # scalar functions of an array: numerical_gradient
    "sum_of_squares": _sum_of_squares,  # Σ x²
    "log_sum_exp": _log_sum_exp,        # log Σ e^x over all entries
    "rosenbrock": _rosenbrock,          # Σ 100 (v[i+1] − v[i]²)² + (1 − v[i])², v = x flattened
    # array functions of an array: numerical_jacobian
    "cumsum": _cumsum,                  # running sums of x flattened, shape (x.size,)
    "outer": _outer,                    # v vᵀ with v = x flattened, shape (x.size, x.size)
    "normalize": _normalize,            # x / ‖x‖, shape of x
    "softmax": _softmax,                # softmax along the last axis, shape of x
    "polar": _polar,                    # (r, θ) ↦ (r cos θ, r sin θ), x of shape (2,)
}


def resolve(name: str, modules=None):
    """The function a stored name stands for.

    Args:
        name: a key of :data:`FUNCTIONS`, or ``"<module>.<function>"`` of dlmath.
        modules: optional ``{module name: module}`` to look dlmath functions up in
            (the grader passes its own reference modules); default: import ``dlmath.<module>``.
    """
    if name in FUNCTIONS:
        return FUNCTIONS[name]
    module, _, function = name.partition(".")
    if not function:
        raise KeyError(f"no test function named {name!r}")
    source = modules[module] if modules and module in modules else importlib.import_module(f"dlmath.{module}")
    return getattr(source, function)


# ---- drivers ------------------------------------------------------------------------------------

def value_program(value_class, program: dict):
    """Run a program on the autodiff engine; return every node's value and gradient.

    ``program = {"leaves": [x0, x1, ...], "ops": [[op, i, (j or constant)], ...]}``: the
    leaves become nodes 0, 1, ...; each op appends a node computed from earlier nodes.
    Ops: ``add mul sub div`` (two nodes), ``pow`` (node, constant exponent),
    ``add_const radd_const mul_const rmul_const`` (node + c, c + node, node · c, c · node),
    ``neg tanh exp`` (one node), ``lin`` (``[lin, i, j, ci, cj]``: ci · node i + cj · node j, a node wired
    here — see :func:`weighted_sum` — so a program of ``lin`` nodes exercises ``backward()`` alone).
    ``backward()`` is called on the last node.

    Returns:
        ``(values, grads)``, two float64 arrays with one entry per node, in order.
    """
    nodes = [value_class(float(x)) for x in program["leaves"]]
    for op, *operands in program["ops"]:
        a = nodes[operands[0]]
        if op == "lin":
            nodes.append(weighted_sum(value_class, a, nodes[operands[1]], float(operands[2]), float(operands[3])))
            continue
        b = nodes[operands[1]] if op in ("add", "mul", "sub", "div") else (operands[1] if len(operands) > 1 else None)
        nodes.append({
            "add": lambda: a + b, "mul": lambda: a * b, "sub": lambda: a - b, "div": lambda: a / b,
            "pow": lambda: a ** b, "add_const": lambda: a + b, "radd_const": lambda: b + a,
            "mul_const": lambda: a * b, "rmul_const": lambda: b * a,
            "neg": lambda: -a, "tanh": lambda: a.tanh(), "exp": lambda: a.exp(),
        }[op]())
        if not isinstance(nodes[-1], value_class):
            raise TypeError(f"the operation {op!r} returned a {type(nodes[-1]).__name__}, not a new Value")
    nodes[-1].backward()
    return (np.array([float(n.data) for n in nodes]), np.array([float(n.grad) for n in nodes]))


def weighted_sum(value_class, a, b, ca: float, cb: float):
    """A node ``ca · a + cb · b`` built and wired here, with none of the learner's operators.

    Its ``_backward`` passes ``ca · node.grad`` to ``a`` and ``cb · node.grad`` to ``b`` (the documented
    contract of a node, with fixed coefficients: no graded method's local derivative), so a graph of such
    nodes checks ``Value.backward`` — the order in which it calls ``_backward`` — independently of
    ``__add__`` and ``__mul__``.
    """
    node = value_class(ca * a.data + cb * b.data, (a, b), "lin")

    def pass_on():
        a.grad += ca * node.grad
        b.grad += cb * node.grad

    node._backward = pass_on
    return node


# the graded methods a program's operations call (a - b is a + (-1)·b, a / b is a · b**-1, -a is a · -1)
_OP_METHODS = {
    "add": ("__add__",), "add_const": ("__add__",), "radd_const": ("__add__",),
    "mul": ("__mul__",), "mul_const": ("__mul__",), "rmul_const": ("__mul__",), "neg": ("__mul__",),
    "sub": ("__add__", "__mul__"), "div": ("__mul__", "__pow__"), "pow": ("__pow__",),
    "tanh": ("tanh",), "exp": ("exp",), "lin": (),
}


def value_program_uses(program: dict) -> set[str]:
    """The graded ``Value`` methods a program runs (``Value.backward`` always): a check of one method whose
    program also uses another depends on that one too (see ``dlmath.checking`` for how reports use it)."""
    return {"Value.backward"} | {f"Value.{m}" for op in program["ops"] for m in _OP_METHODS[op[0]]}


DRIVERS = {"value_program": value_program}
# driver → function of a case's arguments giving the graded functions that case runs, where a driver knows
# better than the chapter's builds_on (which holds for every case of a function)
CASE_USES = {"value_program": value_program_uses}

# Later chapters add their test functions and drivers below their own heading, then register them:
# FUNCTIONS.update(...) / DRIVERS.update(...).

# ---- 06_optimizers ----

def draw_twice(initializer, shape, rng):
    """An initializer's draws, then the draws again from a copy of the generator as it was given.

    Returns ``(draws, draws_again)``; the property ``initializer_draws`` judges both (equal draws show
    the function took its random numbers from ``rng`` and nowhere else).
    """
    import copy

    replay = copy.deepcopy(rng)
    return initializer(shape, rng), initializer(shape, replay)


def three_epochs(minibatches, x, y, batch_size, rng):
    """``minibatches`` for two epochs from one generator, then the first epoch again from a copy of it.

    Returns ``(epoch_1, epoch_2, epoch_1_again)``, each a list of (x_batch, y_batch) pairs (a generator
    function is listed); the property ``minibatch_epochs`` judges them.
    """
    import copy

    replay = copy.deepcopy(rng)
    first = list(minibatches(x, y, batch_size, rng))
    second = list(minibatches(x, y, batch_size, rng))
    return first, second, list(minibatches(x, y, batch_size, replay))


DRIVERS.update({"draw_twice": draw_twice, "three_epochs": three_epochs})


# ---- 07_regularization ----


# ---- 08_cnn ----


# ---- 09_rnn ----


# ---- 10_evaluation ----


# ---- 11_capstone ----



# ---- contracts of chapters 01–05 (issue 13) ----
# A value can't show every documented promise: that numerical_gradient perturbs the caller's own x (a closure
# that ignores its argument must see the moves), that unbroadcast returns a new array (never a view of grad).
# These drivers turn each promise into a value the trusted side compares; they decide nothing themselves.

class ReadsCallersArray:
    """A test function that ignores its argument and reads the array the caller passed to the graded function —
    as chapters 01 and 05 call numerical_gradient, ``f = lambda _: loss(W)``. Only :func:`perturbs_in_place`
    can call it: it is bound there to that array."""

    def __init__(self, of):
        self.of = of

    def __call__(self, x):
        raise TypeError("this test function reads the caller's array; call the graded function through its driver")


def _reversed_view(x):
    """x flattened, in reverse order — a *view* of x (a result that must be copied before x moves again)."""
    return np.ravel(x)[::-1]


FUNCTIONS.update({
    "sum_of_squares_of_callers_x": ReadsCallersArray(_sum_of_squares),   # Σ x² of the caller's x, argument ignored
    "log_sum_exp_of_callers_x": ReadsCallersArray(_log_sum_exp),         # log Σ eˣ of the caller's x, argument ignored
    "reversed_view": _reversed_view,                                      # x flattened and reversed, a view of x
})


def perturbs_in_place(function, f, x, **kwargs):
    """``function(f, x, **kwargs)``; an ``f`` that reads the caller's array is bound to this very ``x`` first.

    A gradient that perturbs a copy of ``x`` (or builds ``x + h·e_i``) leaves the caller's array unchanged, so
    such an ``f`` sees no move and the result is 0 — the way chapter 05's closures would see it.
    """
    if isinstance(f, ReadsCallersArray):
        of = f.of
        f = lambda _ignored: of(x)  # noqa: E731
    return function(f, x, **kwargs)


def fresh_result(function, grad, shape):
    """``function(grad, shape)`` on a private copy of ``grad``, which is then overwritten with NaN.

    A result that is a view of ``grad`` (``return grad`` when nothing was broadcast) shows the NaN; a new array
    doesn't. An in-place edit of the copy is passed back to ``grad``, so it is reported as one.
    """
    private = np.array(grad, copy=True)
    result = function(private, shape)
    if not np.array_equal(private, grad, equal_nan=True):
        grad[...] = private
    if private.dtype.kind in "fc":
        private[...] = np.nan
    return result


DRIVERS.update({"perturbs_in_place": perturbs_in_place, "fresh_result": fresh_result})
