r"""A tiny scalar reverse-mode automatic differentiation engine (chapter 05_backprop).

Every arithmetic operation on :class:`Value` objects builds a node of a
computational graph. A node stores

* ``data``  — its value (a Python float), computed in the forward pass;
* ``grad``  — ∂L/∂(this node), 0.0 until :meth:`Value.backward` fills it in;
* ``_prev`` — the nodes it was computed from (a tuple; a node used twice appears twice);
* ``_op``   — a label for the operation, for display;
* ``_backward`` — a function of no arguments that, when ``out.grad`` is known,
  *adds* out.grad × ∂out/∂child to each child's ``grad`` (the chain rule, one edge at a time).

Gradients are accumulated with ``+=`` because a node used in several places
receives a contribution from each use (the multivariate chain rule sums over
paths). :meth:`Value.backward` orders the graph topologically, so that a node's
``_backward`` runs only after every node that uses it has finished.
"""
from __future__ import annotations

import math
import numbers

__all__ = ["Value"]


def _real(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number or a Value, got {type(value).__name__}")
    return float(value)


class Value:
    """A scalar node of a computational graph that knows how to pass gradients to its inputs.

    >>> a, b = Value(2.0), Value(-3.0)
    >>> y = (a * b + a).tanh()
    >>> y.backward()
    >>> a.grad, b.grad   # ∂y/∂a = (b + 1)(1 − y²), ∂y/∂b = a (1 − y²)
    """

    def __init__(self, data, _children=(), _op=""):
        self.data = _real(data, "data")
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = tuple(_children)
        self._op = _op

    def __repr__(self):
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"

    @staticmethod
    def _lift(other) -> Value:
        return other if isinstance(other, Value) else Value(_real(other, "the other operand"))

    def __add__(self, other):
        r"""out = self + other.  Local derivatives: ∂out/∂self = 1, ∂out/∂other = 1.

        Returns a new Value with ``_prev = (self, other)`` whose ``_backward`` adds
        ``out.grad`` to both children's ``grad``.

        Derived in: 05_backprop §2.3
        """
        other = self._lift(other)
        ### BEGIN SOLUTION
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def __mul__(self, other):
        r"""out = self · other.  Local derivatives: ∂out/∂self = other, ∂out/∂other = self.

        Graded: its documented extremes (a zero factor) carry at least a third of its points.
        Derived in: 05_backprop §2.3
        """
        other = self._lift(other)
        ### BEGIN SOLUTION
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def __pow__(self, exponent):
        r"""out = self ** k for a constant number k.  Local derivative: k · self^(k−1).

        Graded: its documented extremes (a power at base zero) carry at least a third of its points.
        Derived in: 05_backprop §2.5
        """
        if isinstance(exponent, Value):
            raise TypeError("the exponent must be a constant number, not a Value")
        exponent = _real(exponent, "exponent")
        ### BEGIN SOLUTION
        out = Value(self.data ** exponent, (self,), f"**{exponent:g}")

        def _backward():
            self.grad += exponent * self.data ** (exponent - 1) * out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def tanh(self):
        r"""out = tanh(self).  Local derivative: 1 − tanh²(self) = 1 − out².

        Graded: its documented extremes (saturated and large inputs (tanh(700))) carry at least a third of its
            points.
        Derived in: 05_backprop §2.5
        """
        ### BEGIN SOLUTION
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t * t) * out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def exp(self):
        r"""out = e^self.  Local derivative: e^self = out.

        Graded: its documented extremes (exp(±300)) carry at least a third of its points.
        Derived in: 05_backprop §2.5
        """
        ### BEGIN SOLUTION
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def backward(self):
        r"""Fill in ``grad`` of every node this one depends on: ∂self/∂node.

        Sets ``self.grad = 1`` (∂self/∂self), orders the graph so that every node
        comes after all the nodes it was computed from (a topological order,
        each node once, by depth-first search over ``_prev``), then calls each
        node's ``_backward`` in the reverse of that order.

        Derived in: 05_backprop §2.4
        """
        ### BEGIN SOLUTION
        order, seen = [], set()

        def visit(node):
            if id(node) not in seen:
                seen.add(id(node))
                for child in node._prev:
                    visit(child)
                order.append(node)

        visit(self)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
        ### END SOLUTION

    # Everything below is built from the operations above.
    def __neg__(self):
        return self * -1.0

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-self._lift(other))

    def __rsub__(self, other):
        return self._lift(other) + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * self._lift(other) ** -1

    def __rtruediv__(self, other):
        return self._lift(other) * self ** -1
