"""Chapter 05_backprop: inputs, TensorFlow references and typical mistakes.

Expected values:

* ``Value.*`` — every case is a small *program* for the autodiff engine (see
  ``dlmath.checking.callables.value_program``). The same program runs on float64
  TensorFlow tensors under a ``tf.GradientTape``, and the tape gives the gradient of
  the last node with respect to *every* node, leaves and intermediates alike
  (unconnected nodes: 0).
* ``dense_backward`` — ``tape.gradient`` of z = xW + b with ``output_gradients=dout``
  (one case through a ``keras.layers.Dense`` with the same kernel and bias).
* ``mlp_backward`` — a network evaluated in TensorFlow (one case a ``keras.Sequential``
  with the same weights), a Keras loss on its logits; ``dout`` is the tape's gradient of
  that loss w.r.t. the logits, the expected result the tape's gradients w.r.t. the input
  and every kernel and bias. The ``cache`` handed to the learner is the forward pass's
  (a_prev, z) pairs as TensorFlow computed them.

Mistake outputs are what typical wrong implementations return on the same input: for
the layers, the wrong formula in NumPy; for the ``Value`` methods, the engine with that
one method replaced by the wrong body below (the same bodies the simulated class hands
in), run through the same driver.
"""
from __future__ import annotations

import math
import types

import numpy as np

from dlmath.checking.arrays import Named
from dlmath.checking.callables import value_program
from grading import editions
from grading.references import _mistakes as mistakes
from grading.references._extremes import weigh

F64 = {"rtol": 1e-7, "atol": 1e-12}
F32 = {"rtol": 1e-4, "atol": 1e-6}  # FACTS.md: float32 matmul differs from TF's by ~1e-5 relative

VALUE_METHODS = ["Value.__add__", "Value.__mul__", "Value.__pow__", "Value.tanh", "Value.exp", "Value.backward"]
DRIVERS = {name: "value_program" for name in VALUE_METHODS}

NODES = ("`grads` are ∂(last node)/∂(node) for the program's nodes in the order of the case's name: "
         "index (k,) is node k.")
ACCUMULATE = ("A node used more than once (a + a, a · a, or in two places of a diamond) receives a contribution "
              "from every use: accumulate with `self.grad += ...`, never `self.grad = ...`.")

# "uses": the registry's builds_on (grading/chapters.py) — the methods the checks' programs run; the learner's
# report names one of them that fails its own checks instead of a hint aimed at correct code
HINTS = {
    "Value.__add__": {"uses": ["Value.__mul__", "Value.backward"], "returns": ["values", "grads"], "values": NODES},
    "Value.__mul__": {"uses": ["Value.__add__", "Value.backward"], "returns": ["values", "grads"], "values": NODES},
    "Value.__pow__": {"uses": ["Value.__add__", "Value.__mul__", "Value.backward"], "returns": ["values", "grads"],
                      "values": NODES},
    "Value.tanh": {"uses": ["Value.__add__", "Value.__mul__", "Value.backward"], "returns": ["values", "grads"],
                   "values": NODES,
                   "nonfinite": "tanh written through exp(2x) overflows for a large x (inf/inf = NaN): use math.tanh, "
                                "or the form (1 − e^(−2|x|)) / (1 + e^(−2|x|)) with the sign of x."},
    "Value.exp": {"uses": ["Value.__add__", "Value.__mul__", "Value.__pow__", "Value.backward"],
                  "returns": ["values", "grads"], "values": NODES},
    "Value.backward": {"uses": ["Value.__add__", "Value.__mul__", "Value.__pow__", "Value.tanh", "Value.exp"],
                       "returns": ["values", "grads"], "values": NODES},
    "dense_backward": {
        "returns": ["dx", "dW", "db"],
        "structure": "Return the tuple (dx, dW, db).",
        "raised": "Check the shapes of each product: dx = dout · Wᵀ is (batch, out)·(out, in), dW = xᵀ · dout is "
                  "(in, batch)·(batch, out), and one example (1-D x) needs np.outer(x, dout) for dW.",
        "shape": "dx has the shape of x, dW the shape of W (in, out) = xᵀ · dout, db the shape of b (out,): "
                 "sum dout over the batch.",
    },
    "mlp_backward": {
        "returns": ["dx", "grads"],
        "uses": ["dense_backward"],
        "structure": "Return (dx, grads) with grads = [(dW1, db1), ..., (dWL, dbL)], in layer order, one (dW, db) "
                     "tuple per layer.",
        "shape": "Each (dW, db) has the shapes of that layer's (W, b); the activation's backward needs the z of the "
                 "layer *below* (cache[k - 1][1]), which has the shape of the gradient arriving there.",
    },
}


# ---- the simulated class's mistakes (also the source of the Value mistake outputs) ------------

def _variant(function: str, *edits: tuple[str, str], module: str = "autodiff") -> str:
    return mistakes.variant(module, function, *edits)


_OVERWRITE_ADD = _variant("Value.__add__", ("self.grad +=", "self.grad ="), ("other.grad +=", "other.grad ="))
_FORGET_OTHER_ADD = _variant("Value.__add__", ("    other.grad += out.grad\n", ""))
_OVERWRITE_MUL = _variant("Value.__mul__", ("self.grad +=", "self.grad ="), ("other.grad +=", "other.grad ="))
_SWAPPED_MUL = _variant("Value.__mul__", ("self.grad += other.data", "self.grad += self.data"),
                        ("other.grad += self.data", "other.grad += other.data"))
_NO_UPSTREAM_MUL = _variant("Value.__mul__", ("other.data * out.grad", "other.data"), ("self.data * out.grad", "self.data"))
_POW_NO_K = _variant("Value.__pow__", ("self.grad += exponent * ", "self.grad += "))
_POW_SAME_EXPONENT = _variant("Value.__pow__", ("self.data ** (exponent - 1)", "self.data ** exponent"))
_POW_OVERWRITE = _variant("Value.__pow__", ("self.grad +=", "self.grad ="))
_TANH_FROM_INPUT = _variant("Value.tanh", ("(1 - t * t)", "(1 - self.data ** 2)"))
_TANH_NOT_SQUARED = _variant("Value.tanh", ("(1 - t * t)", "(1 - t)"))
_TANH_OVERWRITE = _variant("Value.tanh", ("self.grad +=", "self.grad ="))
_EXP_INPUT = _variant("Value.exp", ("out.data * out.grad", "self.data * out.grad"))
_EXP_NO_UPSTREAM = _variant("Value.exp", ("out.data * out.grad", "out.data"))
_EXP_OVERWRITE = _variant("Value.exp", ("self.grad +=", "self.grad ="))
_BACKWARD_NAIVE_RECURSION = """self.grad = 1.0

def push(node):
    node._backward()
    for child in node._prev:
        push(child)

push(self)
"""
_BACKWARD_FORWARD_ORDER = _variant("Value.backward", ("for node in reversed(order):", "for node in order:"))
_BACKWARD_NO_SEED = _variant("Value.backward", ("self.grad = 1.0\n", ""))
_BACKWARD_NO_VISITED_SET = _variant(
    "Value.backward", ("order, seen = [], set()", "order = []"),
    ("    if id(node) not in seen:\n        seen.add(id(node))\n        for child in node._prev:\n"
     "            visit(child)\n        order.append(node)",
     "    for child in node._prev:\n        visit(child)\n    order.append(node)"))

# method → [(hint, wrong body)]
VALUE_MISTAKES = {
    "Value.__add__": [
        (ACCUMULATE + " (Your __add__ overwrites the children's grad.)", _OVERWRITE_ADD),
        ("Both operands of a + b get ∂out/∂operand · out.grad = out.grad: you passed it to self only.",
         _FORGET_OTHER_ADD),
    ],
    "Value.__mul__": [
        (ACCUMULATE + " (Your __mul__ overwrites the children's grad.)", _OVERWRITE_MUL),
        ("The local derivatives are swapped: ∂(a·b)/∂a = b, so self.grad += other.data · out.grad and "
         "other.grad += self.data · out.grad.", _SWAPPED_MUL),
        ("Multiply the local derivative by out.grad (the chain rule): self.grad += other.data · out.grad.",
         _NO_UPSTREAM_MUL),
    ],
    "Value.__pow__": [
        ("The derivative of x^k is k·x^(k−1): the factor k is missing.", _POW_NO_K),
        ("The derivative of x^k is k·x^(k−1), not k·x^k.", _POW_SAME_EXPONENT),
        (ACCUMULATE + " (Your __pow__ overwrites self.grad.)", _POW_OVERWRITE),
    ],
    "Value.tanh": [
        ("tanh'(x) = 1 − tanh²(x): square the *output* t = tanh(x), not the input self.data.", _TANH_FROM_INPUT),
        ("tanh'(x) = 1 − t² with t = tanh(x): t is squared.", _TANH_NOT_SQUARED),
        (ACCUMULATE + " (Your tanh overwrites self.grad.)", _TANH_OVERWRITE),
    ],
    "Value.exp": [
        ("The derivative of e^x is e^x (= out.data), not x.", _EXP_INPUT),
        ("Multiply the local derivative e^x by out.grad (the chain rule).", _EXP_NO_UPSTREAM),
        (ACCUMULATE + " (Your exp overwrites self.grad.)", _EXP_OVERWRITE),
    ],
    "Value.backward": [
        ("A node reached along several paths had its _backward called once per path, so its gradient was "
         "passed on several times (double counting). Order the nodes topologically first — each node once, "
         "using a visited set — then call _backward in reverse order.", _BACKWARD_NAIVE_RECURSION),
        ("Call _backward in *reverse* topological order, from the output back to the leaves: a node may pass "
         "its gradient on only after every node that uses it has added to it.", _BACKWARD_FORWARD_ORDER),
        ("Seed the output first: self.grad = 1 (∂self/∂self), or every gradient stays 0.", _BACKWARD_NO_SEED),
        ("Your topological order lists a node once per path that reaches it: keep a visited set so each node "
         "appears (and passes its gradient on) exactly once.", _BACKWARD_NO_VISITED_SET),
    ],
}

# student id → {graded function: wrong body}; each must cost that function only
CLASS = {
    "overwrites_grad": {"Value.__mul__": _OVERWRITE_MUL},
    "tanh_from_input": {"Value.tanh": _TANH_FROM_INPUT},
    "no_topological_order": {"Value.backward": _BACKWARD_NAIVE_RECURSION},
    "dW_transposed": {"dense_backward": "return dout @ W.T, dout.T @ x, dout.sum(axis=0)"},
    "derivative_on_output": {"mlp_backward": _variant(  # f' of the layer's input (an activation), not of z
        "mlp_backward", ("activation_backward(dx, cache[index - 1][1])", "activation_backward(dx, a_prev)"),
        module="layers")},
}
EXPECTED_LOSSES = {student: set(functions) for student, functions in CLASS.items()}


def _wrong_class(method: str, body: str):
    """dlmath's Value with one method's solution replaced by ``body`` (as a learner's file would have it)."""
    from pathlib import Path

    from grading.editions import fences

    path = Path(__file__).resolve().parents[2] / "dlmath" / "autodiff.py"
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    (fence,) = [f for f in fences(source, str(path)) if f.function == method]
    body_lines = [fence.indent + ln if ln.strip() else "" for ln in body.strip("\n").splitlines()]
    patched = "\n".join(lines[:fence.begin] + body_lines + lines[fence.end + 1:]) + "\n"
    module = types.ModuleType(f"_wrong_autodiff_{method.replace('.', '_')}")
    exec(compile(patched, f"<{method} mistake>", "exec"), module.__dict__)
    return module.Value


# ---- Value programs ------------------------------------------------------------------------------

def _program(leaves, ops):
    return {"leaves": [float(x) for x in leaves], "ops": [list(op) for op in ops]}


def _tf_program(tf, program):
    """(values, grads) of every node, by TensorFlow float64 ops and a GradientTape."""
    with tf.GradientTape() as tape:
        nodes = [tf.constant(x, dtype=tf.float64) for x in program["leaves"]]
        for node in nodes:
            tape.watch(node)
        for op, *operands in program["ops"]:
            a = nodes[operands[0]]
            if op in ("add", "mul", "sub", "div"):
                b = nodes[operands[1]]
                nodes.append({"add": a + b, "mul": a * b, "sub": a - b, "div": a / b}[op])
            elif op == "pow":
                nodes.append(tf.pow(a, tf.constant(float(operands[1]), tf.float64)))
            elif op in ("add_const", "radd_const"):
                nodes.append(a + operands[1] if op == "add_const" else operands[1] + a)
            elif op in ("mul_const", "rmul_const"):
                nodes.append(a * operands[1] if op == "mul_const" else operands[1] * a)
            elif op == "neg":
                nodes.append(-a)
            elif op == "lin":  # ci · a + cj · b, a node the checker wires itself (callables.weighted_sum)
                nodes.append(float(operands[2]) * a + float(operands[3]) * nodes[operands[1]])
            elif op == "tanh":
                nodes.append(tf.math.tanh(a))
            elif op == "exp":
                nodes.append(tf.math.exp(a))
            else:
                raise ValueError(f"unknown op {op!r}")
    grads = tape.gradient(nodes[-1], nodes, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    return (np.array([float(n.numpy()) for n in nodes]), np.array([float(g.numpy()) for g in grads]))


def _value_cases(rng, audience):
    """{method: [(label, program)]}: programs that lean on that method, reused nodes included."""
    r = lambda lo=-2.0, hi=2.0: float(np.round(rng.uniform(lo, hi), 4))  # noqa: E731
    a, b, c = r(), r(), r()
    out = {
        "Value.__add__": [
            (f"y = a + b (nodes: a = {a}, b = {b}, y)", _program([a, b], [("add", 0, 1)])),
            ("y = a + a, a node used twice (nodes: a = 1.5, y)", _program([1.5], [("add", 0, 0)])),
            (f"constants: u = a + 3, v = 2 + a, y = u · v (nodes: a = {a}, u, v, y)",
             _program([a], [("add_const", 0, 3.0), ("radd_const", 0, 2.0), ("mul", 1, 2)])),
            (f"diamond: u = a + b, v = u + a, y = v + u (nodes: a = {a}, b = {b}, u, v, y)",
             _program([a, b], [("add", 0, 1), ("add", 2, 0), ("add", 3, 2)])),
            (f"y = a − b (a + (−b)) (nodes: a = {a}, b = {b}, y)", _program([a, b], [("sub", 0, 1)])),
        ],
        "Value.__mul__": [
            (f"y = a · b (nodes: a = {a}, b = {b}, y)", _program([a, b], [("mul", 0, 1)])),
            ("y = a · a, a node used twice (nodes: a = 1.5, y)", _program([1.5], [("mul", 0, 0)])),
            (f"constants: u = 3 · a, v = a · −0.5, y = u · v (nodes: a = {a}, u, v, y)",
             _program([a], [("rmul_const", 0, 3.0), ("mul_const", 0, -0.5), ("mul", 1, 2)])),
            (f"a shared factor: u = a · b, v = a · c, y = u + v (nodes: a = {a}, b = {b}, c = {c}, u, v, y)",
             _program([a, b, c], [("mul", 0, 1), ("mul", 0, 2), ("add", 3, 4)])),
            ("a product chain y = x1 · x2 · x3 · x4 · x5 (nodes: x1..x5, then the partial products)",
             _program([r() for _ in range(5)], [("mul", 0, 1), ("mul", 5, 2), ("mul", 6, 3), ("mul", 7, 4)])),
        ],
        "Value.__pow__": [
            (f"y = a ** 2 (nodes: a = {a}, y)", _program([a], [("pow", 0, 2.0)])),
            ("y = a ** 3 at a negative a (nodes: a = -1.5, y)", _program([-1.5], [("pow", 0, 3.0)])),
            ("negative and fractional powers: u = a ** −1, v = a ** −2, w = a ** 0.5, y = (u + v) + w "
             "(nodes: a = 1.7, u, v, w, u + v, y)",
             _program([1.7], [("pow", 0, -1.0), ("pow", 0, -2.0), ("pow", 0, 0.5), ("add", 1, 2), ("add", 4, 3)])),
            (f"composed and reused: u = a ** 2, y = u ** 3 + u (nodes: a = {a}, u, u ** 3, y)",
             _program([a], [("pow", 0, 2.0), ("pow", 1, 3.0), ("add", 2, 1)])),
            (f"division y = a / b = a · b ** −1 (nodes: a = {a}, b = 1.25, y)",
             _program([a, 1.25], [("div", 0, 1)])),
        ],
        "Value.tanh": [
            (f"y = tanh(a) (nodes: a = {a}, y)", _program([a], [("tanh", 0)])),
            ("saturated: u = tanh(20), v = tanh(−20), y = u + v (nodes: 20, −20, u, v, y)",
             _program([20.0, -20.0], [("tanh", 0), ("tanh", 1), ("add", 2, 3)])),
            (f"a neuron y = tanh(w1 · x1 + w2 · x2 + b) (nodes: x1, x2, w1, w2, b, w1·x1, w2·x2, sum, sum + b, y)",
             _program([r(), r(), r(-1, 1), r(-1, 1), r(-0.5, 0.5)],
                      [("mul", 2, 0), ("mul", 3, 1), ("add", 5, 6), ("add", 7, 4), ("tanh", 8)])),
            (f"a used by two tanh: u = tanh(a), v = tanh(a), y = u · v + u (nodes: a = {b}, u, v, u · v, y)",
             _program([b], [("tanh", 0), ("tanh", 0), ("mul", 1, 2), ("add", 3, 1)])),
            (f"reused: t = tanh(a), y = t · t + tanh(t) (nodes: a = {a}, t, t · t, tanh(t), y)",
             _program([a], [("tanh", 0), ("mul", 1, 1), ("tanh", 1), ("add", 2, 3)])),
        ],
        "Value.exp": [
            (f"y = exp(a) (nodes: a = {a}, y)", _program([a], [("exp", 0)])),
            ("u = exp(5), v = exp(−30), y = u + v (nodes: 5, −30, u, v, y)",
             _program([5.0, -30.0], [("exp", 0), ("exp", 1), ("add", 2, 3)])),
            (f"reused: e = exp(a), y = e · e (nodes: a = {a}, e, y)", _program([a], [("exp", 0), ("mul", 1, 1)])),
            (f"a used by two exp: u = exp(a), v = exp(a), y = u · v + u (nodes: a = {b}, u, v, u · v, y)",
             _program([b], [("exp", 0), ("exp", 0), ("mul", 1, 2), ("add", 3, 1)])),
            (f"the sigmoid y = 1 / (1 + exp(−a)) (nodes: a = {a}, −a, exp(−a), 1 + exp(−a), y)",
             _program([a], [("neg", 0), ("exp", 1), ("radd_const", 2, 1.0), ("pow", 3, -1.0)])),
        ],
        "Value.backward": [
            ("a single leaf, no operations: ∂a/∂a = 1 (nodes: a = 0.7)", _program([0.7], [])),
            (f"diamond: u = 2 · a, v = a + 1, y = u · v (nodes: a = {a}, u, v, y)",
             _program([a], [("rmul_const", 0, 2.0), ("add_const", 0, 1.0), ("mul", 1, 2)])),
            ("a leaf the output does not depend on: y = a · b (nodes: a = 1.5, b = −2, c = 4, y)",
             _program([1.5, -2.0, 4.0], [("mul", 0, 1)])),
            ("a node used 8 times: p = a · b, y = p + p + ... + p (nodes: a, b, p, then the partial sums)",
             _program([r(), r()], [("mul", 0, 1), ("add", 2, 2)] + [("add", 3 + k, 2) for k in range(6)])),
            ("a doubling ladder y_{k+1} = y_k + y_k, 12 levels (naive recursion double counts)",
             _program([r(0.5, 1.0)], [("add", k, k) for k in range(12)])),
            ("a deep chain of 150 nodes: y_{k+1} = 0.97 · y_k + 0.1 (nodes: y_0, then y_k · 0.97, y_k · 0.97 + 0.1, ...)",
             _program([r()], [op for k in range(75) for op in (("mul_const", 2 * k, 0.97), ("add_const", 2 * k + 1, 0.1))])),
            ("a random graph of 40 nodes built from +, −, · and constants (nodes: 4 leaves, then the ops in order)",
             _random_program(rng, 4, 36, unary=False)),
        ],
    }
    zero_base = {"public": ("a power at base zero: y = a ** 2 + a ** 3 at a = 0 (nodes: 0, a ** 2, a ** 3, y)",
                            _program([0.0], [("pow", 0, 2.0), ("pow", 0, 3.0), ("add", 1, 2)])),
                 "hidden": ("a power at base zero: y = a ** 4 + a ** 2 at a = 0 (nodes: 0, a ** 4, a ** 2, y)",
                            _program([0.0], [("pow", 0, 4.0), ("pow", 0, 2.0), ("add", 1, 2)]))}
    out["Value.__pow__"].append(zero_base[audience])
    if audience == "public":  # one representative of every kind of input the hidden cases use
        out["Value.__add__"].append(("a random graph of 20 nodes (nodes: 3 leaves, then the ops in order)",
                                     _random_program(rng, 3, 17, unary=False)))
        out["Value.__mul__"].append(("a random graph of 20 nodes (nodes: 3 leaves, then the ops in order)",
                                     _random_program(rng, 3, 17, unary=False)))
        out["Value.__pow__"].append(("a squared error y = (p − t) ** 2 (nodes: p, t, p − t, y)",
                                     _program([r(), r()], [("sub", 0, 1), ("pow", 2, 2.0)])))
        out["Value.tanh"].append(("tanh of a large value: y = tanh(400) (nodes: 400, y)", _program([400.0], [("tanh", 0)])))
        out["Value.exp"].append(("large: y = exp(200) · exp(−200) (nodes: 200, −200, exp(200), exp(−200), y)",
                                 _program([200.0, -200.0], [("exp", 0), ("exp", 1), ("mul", 2, 3)])))
        out["Value.backward"].append(("a random graph of 40 nodes with tanh, exp and powers (nodes: 3 leaves, then the ops in order)",
                                      _random_program(rng, 3, 37, unary=True)))
        # the wired programs take the place of their operator versions (which a wrong __add__ or __mul__ would fail)
        replaced = ("diamond:", "a node used 8 times", "a doubling ladder", "a random graph of 40 nodes built from")
        out["Value.backward"] = [p for p in out["Value.backward"] if not p[0].startswith(replaced)]
        out["Value.backward"][1:1] = _wired_programs(np.random.default_rng(505))  # own stream: the others stay put
        out["Value.backward"].append(("powers in a graph: u = a ** 2, v = a ** −1, y = u · v − u ** 0.5 (nodes: a = 1.3, u, v, "
                                      "u · v, u ** 0.5, y)",
                                      _program([1.3], [("pow", 0, 2.0), ("pow", 0, -1.0), ("mul", 1, 2), ("pow", 1, 0.5),
                                                       ("sub", 3, 4)])))
    if audience == "hidden":
        d = r()
        out["Value.__add__"] += [
            ("a chain of 20 additions y = ((a + b) + a) + b ... (nodes: a, b, then each partial sum)",
             _program([r(), r()], [("add", 0, 1)] + [("add", 2 + k, k % 2) for k in range(19)])),
            (f"u = a + 0.25, y = 0.5 + u + u (nodes: a = {d}, u, 0.5 + u, y)",
             _program([d], [("add_const", 0, 0.25), ("radd_const", 1, 0.5), ("add", 2, 1)])),
            ("a random graph of 30 nodes (nodes: 3 leaves, then the ops in order)", _random_program(rng, 3, 27, unary=False)),
        ]
        out["Value.__mul__"] += [
            ("y = (a · a) · a, a cube from products (nodes: a = -1.3, a · a, y)",
             _program([-1.3], [("mul", 0, 0), ("mul", 1, 0)])),
            (f"a zero factor: y = a · 0 + a · b (nodes: a = {d}, 0, b = 2.5, a · 0, a · b, y)",
             _program([d, 0.0, 2.5], [("mul", 0, 1), ("mul", 0, 2), ("add", 3, 4)])),
            ("a random graph of 30 nodes (nodes: 3 leaves, then the ops in order)", _random_program(rng, 3, 27, unary=False)),
        ]
        out["Value.__pow__"] += [
            ("y = a ** 0 + a ** 1 (nodes: a = 2.5, a ** 0, a ** 1, y)",
             _program([2.5], [("pow", 0, 0.0), ("pow", 0, 1.0), ("add", 1, 2)])),
            ("y = a ** −3 at a negative a (nodes: a = -0.8, y)", _program([-0.8], [("pow", 0, -3.0)])),
            ("y = a ** 2.5 (nodes: a = 3.1, y)", _program([3.1], [("pow", 0, 2.5)])),
            ("a squared error y = (p − t) ** 2 (nodes: p, t, p − t, y)", _program([r(), r()], [("sub", 0, 1), ("pow", 2, 2.0)])),
        ]
        out["Value.tanh"] += [
            ("tanh of a large value: y = tanh(700) (nodes: 700, y)", _program([700.0], [("tanh", 0)])),
            ("nested: y = tanh(tanh(tanh(a))) (nodes: a, three tanh)", _program([r(-3, 3)], [("tanh", 0), ("tanh", 1), ("tanh", 2)])),
            ("u = tanh(a) at a = −0.001 and a = 3, y = u1 · u2 (nodes: −0.001, 3, u1, u2, y)",
             _program([-0.001, 3.0], [("tanh", 0), ("tanh", 1), ("mul", 2, 3)])),
        ]
        out["Value.exp"] += [
            ("large: y = exp(300) · exp(−300) (nodes: 300, −300, exp(300), exp(−300), y)",
             _program([300.0, -300.0], [("exp", 0), ("exp", 1), ("mul", 2, 3)])),
            ("nested: y = exp(exp(a)) (nodes: a, exp(a), y)", _program([r(-1, 1)], [("exp", 0), ("exp", 1)])),
            ("y = exp(a) + exp(a) + a (nodes: a, exp(a), exp(a) + exp(a), y)",
             _program([r()], [("exp", 0), ("add", 1, 1), ("add", 2, 0)])),
        ]
        out["Value.backward"] += [
            ("a random graph of 60 nodes with tanh, exp and powers (nodes: 5 leaves, then the ops in order)",
             _random_program(rng, 5, 55, unary=True)),
            ("a random graph of 80 nodes (nodes: 6 leaves, then the ops in order)", _random_program(rng, 6, 74, unary=True)),
            ("a tanh MLP neuron reused by two outputs: h = tanh(w · x + b), y = h · h + 2 · h",
             _program([r(), r(), r()], [("mul", 1, 0), ("add", 3, 2), ("tanh", 4), ("mul", 5, 5),
                                         ("rmul_const", 5, 2.0), ("add", 6, 7)])),
            ("a doubling ladder with products y_{k+1} = y_k · y_k · 0.9 ... 8 levels",
             _program([r(0.9, 1.1)], [op for k in range(8) for op in (("mul", 2 * k, 2 * k), ("mul_const", 2 * k + 1, 0.9))])),
        ]
    return out


WIRED = "wired by the checker, none of your operators"


def _wired_programs(rng):
    """Public programs of ``lin`` nodes only (ci · u + cj · v, wired by ``callables.weighted_sum``): they check
    ``backward`` — seed, topological order, each node once — without the learner's ``__add__`` or ``__mul__``,
    so a failure there is ``backward``'s own (and a wrong ``__add__`` can't make them fail)."""
    r = lambda lo=-2.0, hi=2.0: float(np.round(rng.uniform(lo, hi), 4))  # noqa: E731
    a, b = r(), r()
    programs = [
        (f"{WIRED}: diamond u = 2a + b, v = a − 0.5b, y = 1.5u + v (nodes: a = {a}, b = {b}, u, v, y)",
         _program([a, b], [("lin", 0, 1, 2.0, 1.0), ("lin", 0, 1, 1.0, -0.5), ("lin", 2, 3, 1.5, 1.0)])),
        (f"{WIRED}: p = 0.5a + 2b used 8 times, y = p + p + ... + p (nodes: a, b, p, then the partial sums)",
         _program([r(), r()], [("lin", 0, 1, 0.5, 2.0), ("lin", 2, 2, 1.0, 1.0)]
                  + [("lin", 3 + k, 2, 1.0, 1.0) for k in range(6)])),
        (f"{WIRED}: a doubling ladder y_(k+1) = y_k + y_k, 12 levels (nodes: y_0, then each level)",
         _program([r(0.5, 1.0)], [("lin", k, k, 1.0, 1.0) for k in range(12)])),
        (f"{WIRED}: a deep chain of 150 nodes y_(k+1) = 0.97 · y_k + 0.1 · c (nodes: y_0, c = 1, then each y_k)",
         _program([r(), 1.0], [("lin", 0 if k == 0 else k + 1, 1, 0.97, 0.1) for k in range(148)])),
        (f"{WIRED}: a random graph of 40 nodes (nodes: 4 leaves, then the weighted sums in order)",
         _random_wired_program(rng, 4, 36)),
    ]
    return programs


def _random_wired_program(rng, n_leaves, n_ops):
    leaves = [float(np.round(x, 4)) for x in rng.uniform(-1, 1, n_leaves)]
    ops = []
    for _ in range(n_ops):
        n = n_leaves + len(ops)
        i = max(int(rng.integers(0, n)), n - 1 - int(rng.integers(0, 4)))  # lean on recent nodes: deeper paths
        j = int(rng.integers(0, n))
        ops.append(("lin", i, j, float(np.round(rng.uniform(-0.9, 0.9), 2)), float(np.round(rng.uniform(-0.9, 0.9), 2))))
    return _program(leaves, ops)


def _random_program(rng, n_leaves, n_ops, unary):
    """A random DAG whose values stay in a moderate range: mixes of +, −, ·, constants (and tanh/exp/pow)."""
    leaves = [float(np.round(x, 4)) for x in rng.uniform(-1, 1, n_leaves)]
    values = list(leaves)
    ops = []
    kinds = ["add", "mul", "sub", "add_const", "rmul_const", "neg"] + (["tanh", "exp", "pow"] if unary else [])
    while len(ops) < n_ops:
        kind = str(rng.choice(kinds))
        i, j = (int(k) for k in rng.integers(0, len(values), 2))
        i = max(i, len(values) - 1 - int(rng.integers(0, 4)))  # lean on recent nodes: deeper paths
        if kind in ("add", "sub"):
            op, v = (kind, i, j), values[i] + values[j] if kind == "add" else values[i] - values[j]
        elif kind == "mul":
            op, v = ("mul", i, j), values[i] * values[j]
        elif kind == "add_const":
            c = float(np.round(rng.uniform(-1, 1), 2))
            op, v = ("add_const", i, c), values[i] + c
        elif kind == "rmul_const":
            c = float(np.round(rng.uniform(-1, 1), 2))
            op, v = ("rmul_const", i, c), c * values[i]
        elif kind == "neg":
            op, v = ("neg", i), -values[i]
        elif kind == "tanh":
            op, v = ("tanh", i), math.tanh(values[i])
        elif kind == "exp":
            if abs(values[i]) > 3:
                continue
            op, v = ("exp", i), math.exp(values[i])
        else:
            if values[i] <= 0.1:
                continue
            k = float(rng.choice([2.0, -1.0, 0.5, 3.0]))
            op, v = ("pow", i, k), values[i] ** k
        if not 1e-3 < abs(v) < 20:  # keep every value moderate (and away from 0 for powers)
            continue
        ops.append(op)
        values.append(v)
    return _program(leaves, ops)


def _value_mistakes(method, program, expected):
    found = []
    for hint, body in VALUE_MISTAKES[method]:
        try:
            with np.errstate(all="ignore"):
                output = value_program(_wrong_class(method, body), program)
        except (ArithmeticError, RecursionError, ValueError, TypeError):
            continue
        if all(np.all(np.isfinite(part)) for part in output) and _differs(output, expected, F64):
            found.append({"hint": hint, "output": output})
    return found


# ---- dense layer ---------------------------------------------------------------------------------

def _tf_dense(tf, dout, x, W, keras_layer=False):
    """(dx, dW, db) of z = xW + b for upstream gradient dout, by GradientTape (optionally through keras Dense)."""
    dtype = np.result_type(x, W, dout)
    x, W, dout = (np.asarray(v, dtype) for v in (x, W, dout))
    b = np.zeros(W.shape[1], dtype)  # the bias's value does not enter any gradient
    single = x.ndim == 1
    xt = tf.constant(x[None] if single else x)
    if keras_layer:
        import keras

        layer = keras.layers.Dense(W.shape[1], dtype=dtype.name)
        layer.build((None, W.shape[0]))
        layer.set_weights([W, b])
        Wt, bt = layer.kernel, layer.bias
        with tf.GradientTape() as tape:
            tape.watch(xt)
            z = layer(xt)
        grads = tape.gradient(z, [xt, Wt, bt], output_gradients=tf.constant(dout[None] if single else dout))
    else:
        Wt, bt = tf.constant(W), tf.constant(b)
        with tf.GradientTape() as tape:
            tape.watch([xt, Wt, bt])
            z = tf.linalg.matmul(xt, Wt) + bt
        grads = tape.gradient(z, [xt, Wt, bt], output_gradients=tf.constant(dout[None] if single else dout))
    dx, dW, db = (np.asarray(g.numpy(), dtype) for g in grads)
    return (dx[0] if single else dx), dW, db


def _dense_mistakes(dout, x, W):
    if x.ndim == 1:
        yield "dW = xᵀ · dout is an outer product for one example: np.outer(x, dout), shape (in, out).", (
            dout @ W.T, np.outer(dout, x), dout)
        return
    yield "dW is xᵀ · dout, of shape (in, out) like W — you computed doutᵀ · x (its transpose).", (
        dout @ W.T, dout.T @ x, dout.sum(axis=0))
    yield "db is dout summed over the batch (the bias was broadcast to every row), shape (out,).", (
        dout @ W.T, x.T @ dout, dout)
    yield "db is the *sum* of dout over the batch, not the mean: the loss's 1/n is already inside dout.", (
        dout @ W.T, x.T @ dout, dout.mean(axis=0))
    yield "dW is xᵀ · dout without dividing by the batch size: dout already carries the loss's 1/n.", (
        dout @ W.T, x.T @ dout / x.shape[0], dout.sum(axis=0))
    if W.shape[0] == W.shape[1]:
        yield "dx = dout · Wᵀ (the transpose of W), not dout · W.", (dout @ W, x.T @ dout, dout.sum(axis=0))


def _dense_inputs(rng, audience):
    def layer(batch, n_in, n_out, dtype=np.float64):
        x = rng.normal(0, 1, (batch, n_in) if batch else (n_in,))
        W = rng.normal(0, 0.5, (n_in, n_out))
        dout = rng.normal(0, 1, (batch, n_out) if batch else (n_out,))
        return tuple(v.astype(dtype) for v in (dout, x, W))

    inputs = [
        ("a batch of 4 examples, 3 inputs → 2 outputs", layer(4, 3, 2), False),
        ("a square kernel, 3 → 3, batch of 5 (transposes show)", layer(5, 3, 3), False),
        ("a single example, x of shape (3,)", layer(0, 3, 4), False),
        ("float32 keeps float32, batch of 6, 5 → 3", layer(6, 5, 3, np.float32), False),
        ("a keras.layers.Dense with the same kernel, batch of 8, 4 → 6", layer(8, 4, 6), True),
    ]
    if audience == "public":  # one representative of every kind of input the hidden cases use
        dout, x, W = layer(4, 3, 2)
        inputs += [
            ("integer inputs x become float64", (dout, np.round(x * 3).astype(np.int64), W), False),
            ("float32, a single example (4,) → (3,)", layer(0, 4, 3, np.float32), False),
        ]
    if audience == "hidden":
        dout, x, W = layer(7, 5, 2)
        inputs += [
            ("a batch of 1", layer(1, 4, 3), False),
            ("a wide layer, batch of 32, 20 → 10", layer(32, 20, 10), False),
            ("a square kernel 6 → 6, batch of 3", layer(3, 6, 6), False),
            ("integer inputs x become float64", (dout, np.round(x * 3).astype(np.int64), W), False),
            ("float32, a single example (5,) → (2,)", layer(0, 5, 2, np.float32), False),
            ("a keras.layers.Dense, batch of 16, 7 → 1", layer(16, 7, 1), True),
        ]
    return inputs


# ---- MLP -----------------------------------------------------------------------------------------

NP_ACTIVATION_BACKWARD = {  # NumPy versions, for the mistake outputs only
    "tanh": lambda dout, z: dout * (1 - np.tanh(z) ** 2),
    "sigmoid": lambda dout, z: dout * (1 / (1 + np.exp(-z))) * (1 - 1 / (1 + np.exp(-z))),
    "relu": lambda dout, z: dout * (z > 0),
}


def _tf_activation(tf, name):
    return {"tanh": tf.math.tanh, "sigmoid": tf.math.sigmoid, "relu": tf.nn.relu}[name]


def _tf_loss(tf, name, y, logits):
    import keras

    if name == "mse":
        return keras.losses.MeanSquaredError(dtype=logits.dtype.name)(y, logits)
    if name == "bce_logits":
        return keras.losses.BinaryCrossentropy(from_logits=True, dtype=logits.dtype.name)(y, logits)
    if name == "cce_logits":
        return keras.losses.CategoricalCrossentropy(from_logits=True, dtype=logits.dtype.name)(y, logits)
    raise ValueError(name)


def _targets(rng, name, shape, dtype):
    if name == "mse":
        return rng.normal(0, 1, shape).astype(dtype)
    if name == "bce_logits":
        return (rng.random(shape) < 0.5).astype(dtype)
    classes = rng.integers(0, shape[-1], shape[:-1])
    return np.eye(shape[-1], dtype=dtype)[classes]


def _tf_mlp(tf, x, params, activation, loss, y, keras_model=False):
    """(dout, cache, (dx, grads)) for the MLP and loss, all computed by TensorFlow."""
    f = _tf_activation(tf, activation)
    single = x.ndim == 1
    xt = tf.constant(x[None] if single else x)
    yt = tf.constant(y[None] if single else y)
    if keras_model:
        import keras

        last = len(params) - 1
        model = keras.Sequential([keras.Input((params[0][0].shape[0],), dtype=x.dtype.name)] + [
            keras.layers.Dense(W.shape[1], activation=None if k == last else activation, dtype=x.dtype.name)
            for k, (W, _) in enumerate(params)])
        for layer, (W, b) in zip(model.layers, params):
            layer.set_weights([W, b])
        variables = [v for layer in model.layers for v in (layer.kernel, layer.bias)]
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(xt)
            logits = model(xt)
            value = _tf_loss(tf, loss, yt, logits)
        dout = tape.gradient(value, logits)
        grads = tape.gradient(value, [xt] + variables)
        del tape
        # the cache: each layer's input and pre-activation, by TF ops on the model's own weights
        cache, a = [], xt
        for k, (Wv, bv) in enumerate(zip(variables[::2], variables[1::2])):
            z = tf.linalg.matmul(a, Wv) + bv
            cache.append((a, z))
            a = z if k == last else f(z)
        np.testing.assert_allclose(cache[-1][1].numpy(), logits.numpy(), rtol=1e-12 if x.dtype == np.float64 else 1e-5)
    else:
        tensors = [(tf.constant(W), tf.constant(b)) for W, b in params]
        with tf.GradientTape(persistent=True) as tape:
            tape.watch([xt] + [t for pair in tensors for t in pair])
            cache, a = [], xt
            for k, (Wt, bt) in enumerate(tensors):
                z = tf.linalg.matmul(a, Wt) + bt
                cache.append((a, z))
                a = z if k == len(tensors) - 1 else f(z)
            value = _tf_loss(tf, loss, yt, a)
        dout = tape.gradient(value, a)
        grads = tape.gradient(value, [xt] + [t for pair in tensors for t in pair])
        del tape
    squeeze = (lambda v: v.numpy()[0]) if single else (lambda v: v.numpy())
    dx = squeeze(grads[0])
    pairs = [(grads[1 + 2 * k].numpy(), grads[2 + 2 * k].numpy()) for k in range(len(params))]
    cache = [(squeeze(a_prev), squeeze(z)) for a_prev, z in cache]
    return squeeze(dout), cache, (dx, pairs)


def _np_mlp_backward(dout, cache, params, backward, variant=""):
    grads, delta = [None] * len(params), dout
    if variant == "last_layer":
        delta = backward(dout, cache[-1][1])
    for k in reversed(range(len(params))):
        a_prev, z = cache[k]
        W = params[k][0]
        dx = delta @ W.T
        grads[k] = (np.outer(a_prev, delta) if a_prev.ndim == 1 else a_prev.T @ delta,
                    delta if delta.ndim == 1 else delta.sum(axis=0))
        if k == 0:
            delta = dx
        elif variant == "post_activation":
            delta = backward(dx, a_prev)
        elif variant == "no_derivative":
            delta = dx
        elif variant == "own_z":
            if z.shape != dx.shape:
                return None
            delta = backward(dx, z)
        else:
            delta = backward(dx, cache[k - 1][1])
    if variant == "reversed":
        grads = grads[::-1]
    return delta, grads


MLP_MISTAKES = [
    ("last_layer", "The last layer is linear (its output is the logits): dout is already ∂L/∂z_L — don't apply "
                   "the activation's backward to it."),
    ("post_activation", "activation_backward needs the pre-activation z_{k−1} = cache[k − 1][1], not the "
                        "layer's input a_{k−1} = f(z_{k−1}) (that evaluates f' at f(z): the source's XOR bug)."),
    ("no_derivative", "Between layers the gradient passes through the activation: "
                      "δ_{k−1} = activation_backward(dx, z_{k−1}) — you passed dx on unchanged."),
    ("own_z", "activation_backward needs the z of the layer *below* (cache[k − 1][1]), not the current "
              "layer's own z (cache[k][1])."),
    ("reversed", "grads must be in layer order [(dW1, db1), ..., (dWL, dbL)] — you collected them from the last "
                 "layer back; fill grads[k] (or reverse the list)."),
]


def _mlp_params(rng, sizes, dtype=np.float64):
    return [(rng.normal(0, 1 / np.sqrt(n_in), (n_in, n_out)).astype(dtype), rng.normal(0, 0.3, n_out).astype(dtype))
            for n_in, n_out in zip(sizes[:-1], sizes[1:])]


def _mlp_inputs(rng, audience):
    """(label, x, params, activation, loss, keras_model)."""
    def net(batch, sizes, activation, loss, keras_model=False, dtype=np.float64, label=""):
        x = rng.normal(0, 1, (batch, sizes[0]) if batch else (sizes[0],)).astype(dtype)
        return (label, x, _mlp_params(rng, sizes, dtype), activation, loss, keras_model)

    inputs = [
        net(5, [3, 4, 2], "tanh", "mse", label="2 layers 3 → 4 → 2, tanh, batch of 5, dout from Keras MSE"),
        net(6, [2, 5, 4, 1], "sigmoid", "bce_logits",
            label="3 layers 2 → 5 → 4 → 1, sigmoid, dout from Keras BinaryCrossentropy(from_logits=True)"),
        net(4, [4, 4, 4, 4], "tanh", "mse", label="equal widths 4 → 4 → 4 → 4, tanh (catches using the wrong layer's z)"),
        net(3, [3, 2], "tanh", "mse", label="one layer 3 → 2 (no activation: dense_backward alone)"),
        net(8, [2, 8, 1], "tanh", "bce_logits", keras_model=True,
            label="a keras.Sequential 2 → 8 → 1 (tanh) with the same weights, BinaryCrossentropy(from_logits=True)"),
    ]
    if audience == "public":  # one representative of every kind of input the hidden cases use
        inputs += [
            net(0, [2, 3, 2], "tanh", "mse", label="a single example x of shape (2,), 2 → 3 → 2"),
            net(4, [3, 4, 2], "sigmoid", "mse", dtype=np.float32, label="float32 network keeps float32, 3 → 4 → 2"),
            net(8, [2, 4, 4, 4, 4, 1], "tanh", "bce_logits", label="5 layers deep, equal hidden widths 4, tanh"),
        ]
    if audience == "hidden":
        inputs += [
            net(10, [5, 6, 6, 3], "relu", "cce_logits",
                label="relu, 5 → 6 → 6 → 3, dout from Keras CategoricalCrossentropy(from_logits=True)"),
            net(0, [3, 4, 2], "tanh", "mse", label="a single example x of shape (3,), 3 → 4 → 2"),
            net(6, [4, 5, 3], "sigmoid", "mse", dtype=np.float32, label="float32 network keeps float32, 4 → 5 → 3"),
            net(16, [2, 6, 6, 6, 6, 1], "tanh", "bce_logits", label="5 layers deep, equal hidden widths 6, tanh"),
            net(12, [3, 7, 2], "relu", "cce_logits", keras_model=True,
                label="a keras.Sequential 3 → 7 → 2 (relu), CategoricalCrossentropy(from_logits=True)"),
        ]
    return inputs


# ---- comparison helpers --------------------------------------------------------------------------

def _leaves(value):
    if isinstance(value, (tuple, list)):
        return [leaf for v in value for leaf in _leaves(v)]
    return [np.asarray(value)]


def _differs(output, expected, tolerance) -> bool:
    a, b = _leaves(output), _leaves(expected)
    if len(a) != len(b) or any(x.shape != y.shape for x, y in zip(a, b)):
        return True
    return not all(np.allclose(x, y, **tolerance) for x, y in zip(a, b))


def _cast(value, dtype):
    if isinstance(value, tuple):
        return tuple(_cast(v, dtype) for v in value)
    if isinstance(value, list):
        return [_cast(v, dtype) for v in value]
    return np.asarray(value, dtype)


def _mistakes(candidates, expected, tolerance, dtype):
    found = []
    for hint, output in candidates:
        if output is None:
            continue
        output = _cast(output, dtype)
        if _differs(output, expected, tolerance) and all(np.all(np.isfinite(v)) for v in _leaves(output)):
            found.append({"hint": hint, "output": output})
    return found


# ---- cases ---------------------------------------------------------------------------------------

def cases(tf, rng, audience):
    """``{function: [case, ...]}`` for the ``public`` checks or the ``hidden`` grading fixtures; each function's
    documented extremes weigh a third of its points (``_extremes.weigh``)."""
    return weigh(_cases(tf, rng, audience))


def _cases(tf, rng, audience):
    out = {}
    for method, programs in _value_cases(rng, audience).items():
        out[method] = []
        for label, program in programs:
            expected = _tf_program(tf, program)
            out[method].append({"name": label, "args": [program], "kwargs": {}, "expected": expected, **F64,
                                "mistakes": _value_mistakes(method, program, expected)})

    out["dense_backward"] = []
    for label, (dout, x, W), keras_layer in _dense_inputs(rng, audience):
        dtype = np.result_type(np.asarray(x).dtype if np.asarray(x).dtype.kind == "f" else np.float64, W, dout)
        expected = _tf_dense(tf, dout, np.asarray(x, dtype), W, keras_layer)
        tolerance = F32 if dtype == np.float32 else F64
        xf = np.asarray(x, dtype)
        out["dense_backward"].append({
            "name": label, "args": [dout, x, W], "kwargs": {}, "expected": expected, **tolerance,
            "mistakes": _mistakes(_dense_mistakes(dout, xf, W), expected, tolerance, dtype)})

    out["mlp_backward"] = []
    for label, x, params, activation, loss, keras_model in _mlp_inputs(rng, audience):
        y = _targets(rng, loss, (x.shape[0], params[-1][0].shape[1]) if x.ndim == 2 else (params[-1][0].shape[1],),
                     x.dtype)
        if x.dtype == np.float32:
            # TF's float32 matmul differs across CPUs (BLAS kernels) in the last bit; the cache is an *input*
            # here, so compute the network in float64 and round: the same float32 inputs on every machine
            x64, params64, y64 = _cast((x, params, y), np.float64)
            dout, cache, expected = _cast(_tf_mlp(tf, x64, params64, activation, loss, y64, keras_model), np.float32)
        else:
            dout, cache, expected = _tf_mlp(tf, x, params, activation, loss, y, keras_model)
        tolerance = F32 if x.dtype == np.float32 else F64
        backward = NP_ACTIVATION_BACKWARD[activation]
        candidates = [(hint, _np_mlp_backward(dout, cache, params, backward, variant)) for variant, hint in MLP_MISTAKES]
        out["mlp_backward"].append({
            "name": label,
            "args": [dout, cache, params, Named(f"activations.{activation}_backward")],
            "kwargs": {}, "expected": expected, **tolerance,
            "mistakes": _mistakes(candidates, expected, tolerance, x.dtype)})
    order = VALUE_METHODS + ["dense_backward", "mlp_backward"]
    return {name: out[name] for name in order}
