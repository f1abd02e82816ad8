"""A held-out catalogue of realistic mistakes in chapters 01–05 (issue 13), written for the mutation test and
``benchmarks/mutations.py`` — none taken from ``grading/references/`` (the demo's ``CLASS`` is added to it
separately) — and alternative-but-correct implementations that must keep full marks.

``MISTAKES[chapter] = [(label, function, body), ...]``: the body replaces the function's solution (between
its solution markers, after the input validation). ``ALTERNATIVES[chapter] = [(label, function, body)]``.
"""
from __future__ import annotations

FD_LOOP = """grad = np.zeros(x.shape)
for i in np.ndindex(x.shape):
    old = x[i]
    x[i] = old + {plus}
    f_plus = float(f(x))
    x[i] = old - {minus}
    f_minus = float(f(x))
    x[i] = old
    grad[i] = (f_plus - f_minus) / ({denominator})
return grad"""

MISTAKES = {
    "01_math_toolkit": [
        ("derivative: step h²", "numerical_derivative", "return (f(x + h * h) - f(x - h * h)) / (2 * h * h)"),
        ("derivative: divides by h", "numerical_derivative", "return (f(x + h) - f(x - h)) / h"),
        ("derivative: one-sided", "numerical_derivative", "return (f(x + h) - f(x)) / h"),
        ("derivative: fixed step 1e-3", "numerical_derivative", "return (f(x + 1e-3) - f(x - 1e-3)) / 2e-3"),
        ("derivative: sign flipped", "numerical_derivative", "return (f(x - h) - f(x + h)) / (2 * h)"),
        ("gradient: divides by h", "numerical_gradient", FD_LOOP.format(plus="h", minus="h", denominator="h")),
        ("gradient: one-sided", "numerical_gradient", """grad = np.zeros(x.shape)
f_x = float(f(x))
for i in np.ndindex(x.shape):
    old = x[i]
    x[i] = old + h
    grad[i] = (float(f(x)) - f_x) / h
    x[i] = old
return grad"""),
        ("gradient: perturbs a copy", "numerical_gradient", """grad = np.zeros(x.shape)
for i in np.ndindex(x.shape):
    xp = x.copy(); xp[i] += h
    xm = x.copy(); xm[i] -= h
    grad[i] = (float(f(xp)) - float(f(xm))) / (2 * h)
return grad"""),
        ("gradient: restores by subtraction", "numerical_gradient", """grad = np.zeros(x.shape)
for i in np.ndindex(x.shape):
    x[i] += h
    f_plus = float(f(x))
    x[i] -= 2 * h
    f_minus = float(f(x))
    x[i] += h
    grad[i] = (f_plus - f_minus) / (2 * h)
return grad"""),
        ("gradient: flat loop over the first axis", "numerical_gradient", """grad = np.zeros(x.shape)
for i in range(x.shape[0]):
    old = x[i].copy()
    x[i] = old + h
    f_plus = float(f(x))
    x[i] = old - h
    f_minus = float(f(x))
    x[i] = old
    grad[i] = (f_plus - f_minus) / (2 * h)
return grad"""),
        ("jacobian: input axes first", "numerical_jacobian", """out = np.shape(f(x))
J = np.zeros(x.shape + out)
for i in np.ndindex(x.shape):
    old = x[i]
    x[i] = old + h
    p = np.array(f(x), dtype=float)
    x[i] = old - h
    m = np.array(f(x), dtype=float)
    x[i] = old
    J[i] = (p - m) / (2 * h)
return J"""),
        ("jacobian: keeps views of f(x)", "numerical_jacobian", """J = np.zeros(np.shape(f(x)) + x.shape)
for i in np.ndindex(x.shape):
    old = x[i]
    x[i] = old + h
    p = np.asarray(f(x))
    x[i] = old - h
    m = np.asarray(f(x))
    x[i] = old
    J[(Ellipsis,) + i] = (p - m) / (2 * h)
return J"""),
        ("jacobian: divides by h", "numerical_jacobian", """J = np.zeros(np.shape(f(x)) + x.shape)
for i in np.ndindex(x.shape):
    old = x[i]
    x[i] = old + h
    p = np.array(f(x), dtype=float)
    x[i] = old - h
    m = np.array(f(x), dtype=float)
    x[i] = old
    J[(Ellipsis,) + i] = (p - m) / h
return J"""),
        ("relative error: no guard against 0/0", "relative_error",
         "return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)))"),
        ("relative error: epsilon in the denominator", "relative_error",
         "return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b) + 1e-12))"),
        ("relative error: divides by ‖b‖", "relative_error",
         "return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), np.finfo(float).tiny))"),
        ("relative error: max norm", "relative_error",
         "return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a), initial=0) + np.max(np.abs(b), initial=0), np.finfo(float).tiny))"),
        ("unbroadcast: averages", "unbroadcast", """leading = grad.ndim - len(shape)
g = grad.mean(axis=tuple(range(leading)))
stretched = tuple(a for a, n in enumerate(shape) if n == 1 and g.shape[a] != 1)
return g.mean(axis=stretched, keepdims=True).reshape(shape)"""),
        ("unbroadcast: leading axes only", "unbroadcast", """g = grad
while g.ndim > len(shape):
    g = g.sum(axis=0)
return g"""),
        ("unbroadcast: returns grad when nothing to do", "unbroadcast", """if grad.shape == tuple(shape):
    return grad
leading = grad.ndim - len(shape)
g = grad.sum(axis=tuple(range(leading)))
stretched = tuple(a for a, n in enumerate(shape) if n == 1 and g.shape[a] != 1)
return g.sum(axis=stretched, keepdims=True).reshape(shape)"""),
        ("unbroadcast: float64 always", "unbroadcast", """leading = grad.ndim - len(shape)
g = grad.astype(np.float64).sum(axis=tuple(range(leading)))
stretched = tuple(a for a, n in enumerate(shape) if n == 1 and g.shape[a] != 1)
return g.sum(axis=stretched, keepdims=True).reshape(shape)"""),
    ],
    "02_forward": [
        ("dense: W transposed", "dense_forward", "return x @ W.T + b if W.shape[0] == W.shape[1] else x @ W + b"),
        ("dense: bias forgotten", "dense_forward", "return x @ W"),
        ("dense: bias subtracted", "dense_forward", "return x @ W - b"),
        ("dense: elementwise product", "dense_forward", "return (x[..., :, None] * W).sum(axis=-2) * 1.0 + b * 2"),
        ("dense: float64 always", "dense_forward", "return x.astype(np.float64) @ W.astype(np.float64) + b"),
        ("dense: bias added per row", "dense_forward", "return x @ W + (b[:, None] if x.ndim == 2 and x.shape[0] == b.shape[0] else b)"),
        ("dense: doubles the bias", "dense_forward", "return x @ W + 2 * b"),
        ("mlp: activation on the last layer", "mlp_forward", """cache, a = [], x
for W, b in params:
    z = dense_forward(a, W, b)
    cache.append((a, z))
    a = activation(z)
return a, cache"""),
        ("mlp: cache holds activations", "mlp_forward", """cache, a = [], x
for index, (W, b) in enumerate(params):
    z = dense_forward(a, W, b)
    a_new = z if index == len(params) - 1 else activation(z)
    cache.append((a, a_new))
    a = a_new
return a, cache"""),
        ("mlp: tanh hard-coded", "mlp_forward", """cache, a = [], x
for index, (W, b) in enumerate(params):
    z = dense_forward(a, W, b)
    cache.append((a, z))
    a = z if index == len(params) - 1 else np.tanh(z)
return a, cache"""),
        ("mlp: cache of z only", "mlp_forward", """cache, a = [], x
for index, (W, b) in enumerate(params):
    z = dense_forward(a, W, b)
    cache.append((z, z))
    a = z if index == len(params) - 1 else activation(z)
return a, cache"""),
        ("mlp: reversed layers", "mlp_forward", """cache, a = [], x
for index, (W, b) in enumerate(params[::-1] if len(params) > 1 and all(p[0].shape[0] == p[0].shape[1] for p in params) else params):
    z = dense_forward(a, W, b)
    cache.append((a, z))
    a = z if index == len(params) - 1 else activation(z)
return a, cache"""),
        ("mlp: output before the loop ends", "mlp_forward", """cache, a = [], x
for index, (W, b) in enumerate(params):
    z = dense_forward(a, W, b)
    cache.append((a, z))
    a = activation(z)
    if index == len(params) - 2:
        W, b = params[-1]
        z = dense_forward(a, W, b)
        cache.append((a, z))
        return z, cache
return a, cache"""),
        ("mlp: cache in reverse order", "mlp_forward", """cache, a = [], x
for index, (W, b) in enumerate(params):
    z = dense_forward(a, W, b)
    cache.insert(0, (a, z))
    a = z if index == len(params) - 1 else activation(z)
return a, cache"""),
        ("mlp: returns the last hidden layer", "mlp_forward", """cache, a = [], x
for index, (W, b) in enumerate(params):
    z = dense_forward(a, W, b)
    cache.append((a, z))
    if index < len(params) - 1:
        a = activation(z)
return a, cache"""),
    ],
    "03_activations": [
        ("sigmoid: exp overflow", "sigmoid", "return 1 / (1 + np.exp(-z))"),
        ("sigmoid: float64 always", "sigmoid", "return 1 / (1 + np.exp(-np.clip(z.astype(np.float64), -500, 500)))"),
        ("sigmoid backward: s(1-s) of z", "sigmoid_backward", "return dout * z * (1 - z)"),
        ("sigmoid backward: forgot dout", "sigmoid_backward", "s = sigmoid(z)\nreturn s * (1 - s)"),
        ("tanh: via exp(2z)", "tanh", "e = np.exp(2 * z)\nreturn (e - 1) / (e + 1)"),
        ("tanh backward: 1 - z²", "tanh_backward", "return dout * (1 - z * z)"),
        ("tanh backward: sign", "tanh_backward", "t = np.tanh(z)\nreturn dout * (t * t - 1)"),
        ("relu: abs", "relu", "return np.abs(z)"),
        ("relu backward: z ≥ 0", "relu_backward", "return np.where(z >= 0, dout, 0).astype(dout.dtype)"),
        ("relu backward: returns the mask", "relu_backward", "return (z > 0).astype(dout.dtype)"),
        ("leaky relu: alpha ignored", "leaky_relu", "return np.where(z > 0, z, 0.2 * z).astype(z.dtype)"),
        ("leaky relu backward: zero slope", "leaky_relu_backward", "return np.where(z > 0, dout, 0).astype(dout.dtype)"),
        ("elu: exp overflow warning", "elu", "return np.where(z > 0, z, alpha * (np.exp(z) - 1)).astype(z.dtype)"),
        ("elu backward: alpha missing", "elu_backward",
         "return (dout * np.where(z > 0, 1, np.exp(np.minimum(z, 0)))).astype(dout.dtype)"),
        ("silu: beta ignored", "silu", "return z * sigmoid(z)"),
        ("silu backward: no beta in the second term", "silu_backward", "s = sigmoid(beta * z)\nreturn dout * (s + z * s * (1 - s))"),
        ("gelu: tanh form always", "gelu", "return 0.5 * z * (1 + np.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z ** 3)))"),
        ("gelu backward: cdf only", "gelu_backward", "return dout * 0.5 * erfc(-z / math.sqrt(2))"),
        ("softmax: no max shift", "softmax", "e = np.exp(z)\nreturn e / np.sum(e, axis=axis, keepdims=True)"),
        ("softmax: no keepdims", "softmax",
         "e = np.exp(z - np.max(z, axis=axis, keepdims=True))\nreturn e / np.expand_dims(np.sum(e, axis=axis), 0)"),
        ("softmax backward: diagonal only", "softmax_backward", "s = softmax(z, axis=axis)\nreturn dout * s * (1 - s)"),
        ("log softmax: log of softmax", "log_softmax", "return np.log(softmax(z, axis=axis))"),
        ("log softmax: last axis always", "log_softmax",
         "shifted = z - np.max(z, axis=-1, keepdims=True)\nreturn shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))"),
    ],
    "04_losses": [
        ("mse: expands the square", "mse", "return np.mean(y_true ** 2 - 2 * y_true * y_pred + y_pred ** 2)"),
        ("mse: sum", "mse", "return np.sum((y_pred - y_true) ** 2)"),
        ("mse: half", "mse", "return 0.5 * np.mean((y_pred - y_true) ** 2)"),
        ("mse backward: divides by the batch size", "mse_backward", "return 2 * (y_pred - y_true) / y_pred.shape[0]"),
        ("mse backward: sign", "mse_backward", "return 2 * (y_true - y_pred) / y_pred.size"),
        ("mse backward: no 2", "mse_backward", "return (y_pred - y_true) / y_pred.size"),
        ("huber: < instead of ≤ and a wrong linear part", "huber",
         "e = y_pred - y_true\na = np.abs(e)\nreturn np.mean(np.where(a < delta, 0.5 * e ** 2, delta * a))"),
        ("huber backward: no 1/n", "huber_backward", "return np.clip(y_pred - y_true, -delta, delta)"),
        ("bce: no clip", "binary_cross_entropy",
         "return -np.mean(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred))"),
        ("bce backward: no 1/n", "binary_cross_entropy_backward",
         "p = np.clip(y_pred, epsilon, 1 - epsilon)\nreturn ((1 - y_true) / (1 - p) - y_true / p).astype(y_pred.dtype)"),
        ("bce logits: naive log sigmoid", "binary_cross_entropy_with_logits",
         "p = 1 / (1 + np.exp(-logits))\nreturn -np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))"),
        ("bce logits backward: sign", "binary_cross_entropy_with_logits_backward", "return (y_true - sigmoid(logits)) / logits.size"),
        ("cce: no renormalisation", "categorical_cross_entropy",
         "p = np.clip(y_pred, epsilon, 1 - epsilon)\nreturn np.mean(-np.sum(y_true * np.log(p), axis=-1))"),
        ("cce backward: samples = shape[0]", "categorical_cross_entropy_backward", """s = np.sum(y_pred, axis=-1, keepdims=True)
q = y_pred / s
unclipped = (q >= epsilon) & (q <= 1 - epsilon)
g = np.where(unclipped, -y_true / np.clip(q, epsilon, 1 - epsilon), 0)
return ((g - np.sum(g * q, axis=-1, keepdims=True)) / s / y_pred.shape[0]).astype(y_pred.dtype)"""),
        ("cce logits: naive softmax", "categorical_cross_entropy_with_logits",
         "e = np.exp(logits)\np = e / e.sum(axis=-1, keepdims=True)\nreturn np.mean(-np.sum(y_true * np.log(p), axis=-1))"),
        ("cce logits backward: sum over the batch", "categorical_cross_entropy_with_logits_backward",
         "return softmax(logits) - y_true"),
        ("sparse: labels as logits index on axis 0", "sparse_categorical_cross_entropy_with_logits",
         "log_p = log_softmax(logits)\nreturn -np.mean(log_p.reshape(-1, log_p.shape[-1])[np.arange(labels.size), labels.reshape(-1)][:1])"),
        ("sparse backward: divides by classes", "sparse_categorical_cross_entropy_with_logits_backward",
         "one_hot = np.arange(logits.shape[-1]) == labels[..., None]\nreturn (softmax(logits) - one_hot) / logits.size"),
        ("hinge: sum of all violations", "multiclass_hinge", """true = np.sum(y_true * y_pred, axis=-1, keepdims=True)
return np.mean(np.sum(np.where(y_true == 1, 0, np.maximum(1 + y_pred - true, 0)), axis=-1))"""),
        ("hinge backward: ties all get the full gradient", "multiclass_hinge_backward", """others = np.where(y_true == 1, -np.inf, y_pred)
best = np.max(others, axis=-1, keepdims=True)
margin = 1 + best - np.sum(y_true * y_pred, axis=-1, keepdims=True)
winners = (others == best).astype(float)
samples = y_pred.size // y_pred.shape[-1]
return (np.where(margin >= 0, winners - y_true, 0) / samples).astype(y_pred.dtype)"""),
    ],
    "05_backprop": [
        ("add: gradient overwritten", "Value.__add__", """out = Value(self.data + other.data, (self, other), "+")

def _backward():
    self.grad = out.grad
    other.grad = out.grad

out._backward = _backward
return out"""),
        ("add: only the left operand", "Value.__add__", """out = Value(self.data + other.data, (self, other), "+")

def _backward():
    self.grad += out.grad

out._backward = _backward
return out"""),
        ("mul: own data", "Value.__mul__", """out = Value(self.data * other.data, (self, other), "*")

def _backward():
    self.grad += self.data * out.grad
    other.grad += other.data * out.grad

out._backward = _backward
return out"""),
        ("mul: forgot out.grad", "Value.__mul__", """out = Value(self.data * other.data, (self, other), "*")

def _backward():
    self.grad += other.data
    other.grad += self.data

out._backward = _backward
return out"""),
        ("pow: exponent not lowered", "Value.__pow__", """out = Value(self.data ** exponent, (self,), "**")

def _backward():
    self.grad += exponent * self.data ** exponent * out.grad

out._backward = _backward
return out"""),
        ("pow: through exp and log", "Value.__pow__", """out = Value(self.data ** exponent, (self,), "**")

def _backward():
    self.grad += exponent * math.exp((exponent - 1) * math.log(abs(self.data))) * out.grad

out._backward = _backward
return out"""),
        ("tanh: derivative of the input", "Value.tanh", """t = math.tanh(self.data)
out = Value(t, (self,), "tanh")

def _backward():
    self.grad += (1 - self.data ** 2) * out.grad

out._backward = _backward
return out"""),
        ("tanh: via exp(2x)", "Value.tanh", """e = math.exp(2 * self.data) if self.data < 350 else float("inf")
t = (e - 1) / (e + 1) if e != float("inf") else float("nan")
out = Value(t, (self,), "tanh")

def _backward():
    self.grad += (1 - t * t) * out.grad

out._backward = _backward
return out"""),
        ("exp: derivative of the input", "Value.exp", """out = Value(math.exp(self.data), (self,), "exp")

def _backward():
    self.grad += self.data * out.grad

out._backward = _backward
return out"""),
        ("exp: overwrites", "Value.exp", """out = Value(math.exp(self.data), (self,), "exp")

def _backward():
    self.grad = out.data * out.grad

out._backward = _backward
return out"""),
        ("backward: no topological order", "Value.backward", """self.grad = 1.0
stack = [self]
while stack:
    node = stack.pop()
    node._backward()
    stack.extend(node._prev)"""),
        ("backward: seeds 0", "Value.backward", """order, seen = [], set()

def visit(node):
    if id(node) not in seen:
        seen.add(id(node))
        for child in node._prev:
            visit(child)
        order.append(node)

visit(self)
for node in reversed(order):
    node._backward()"""),
        ("backward: forward order", "Value.backward", """order, seen = [], set()

def visit(node):
    if id(node) not in seen:
        seen.add(id(node))
        for child in node._prev:
            visit(child)
        order.append(node)

visit(self)
self.grad = 1.0
for node in order:
    node._backward()"""),
        ("dense backward: db not summed", "dense_backward",
         "if x.ndim == 1:\n    return dout @ W.T, np.outer(x, dout), dout.copy()\nreturn dout @ W.T, x.T @ dout, dout.mean(axis=0)"),
        ("dense backward: dW transposed", "dense_backward",
         "if x.ndim == 1:\n    return dout @ W.T, np.outer(dout, x).T, dout.copy()\nreturn dout @ W.T, (dout.T @ x).T * 1.0 if W.shape[0] != W.shape[1] else dout.T @ x, dout.sum(axis=0)"),
        ("mlp backward: activation at the last layer", "mlp_backward", """grads = [None] * len(params)
delta = activation_backward(dout, cache[-1][1])
for index in reversed(range(len(params))):
    a_prev, _ = cache[index]
    dx, dW, db = dense_backward(delta, a_prev, params[index][0])
    grads[index] = (dW, db)
    delta = activation_backward(dx, cache[index - 1][1]) if index > 0 else dx
return delta, grads"""),
        ("mlp backward: derivative at the wrong layer's z", "mlp_backward", """grads = [None] * len(params)
delta = dout
for index in reversed(range(len(params))):
    a_prev, z = cache[index]
    dx, dW, db = dense_backward(delta, a_prev, params[index][0])
    grads[index] = (dW, db)
    delta = activation_backward(dx, z) if index > 0 and dx.shape == z.shape else (activation_backward(dx, cache[index - 1][1]) if index > 0 else dx)
return delta, grads"""),
    ],
}

ALTERNATIVES = {
    "01_math_toolkit": [
        ("derivative via a loop-free stack", "numerical_derivative",
         "xs = np.stack([x + h, x - h])\nvalues = np.asarray(f(xs))\nreturn (values[0] - values[1]) / (2 * h)"),
        ("relative error via np.sqrt of sums", "relative_error",
         "d = np.sqrt(np.sum((a - b) ** 2))\nn = np.sqrt(np.sum(a * a)) + np.sqrt(np.sum(b * b))\nreturn float(d / max(n, np.finfo(np.float64).tiny))"),
        ("unbroadcast in a loop over axes", "unbroadcast", """g = grad
while g.ndim > len(shape):
    g = g.sum(axis=0)
for axis, n in enumerate(shape):
    if n == 1 and g.shape[axis] != 1:
        g = g.sum(axis=axis, keepdims=True)
return np.array(g, copy=True).reshape(shape)"""),
    ],
    "02_forward": [
        ("dense via einsum", "dense_forward", "return np.einsum('...i,ij->...j', x, W) + b"),
        ("dense as (Wᵀ xᵀ)ᵀ", "dense_forward", "return (W.T @ x.T).T + b if x.ndim == 2 else W.T @ x + b"),
    ],
    "03_activations": [
        ("sigmoid via tanh", "sigmoid", "return (0.5 * (1 + np.tanh(0.5 * z))).astype(z.dtype)"),
        ("softmax via logaddexp", "softmax",
         "shifted = z - np.max(z, axis=axis, keepdims=True)\ne = np.exp(shifted)\nreturn e / e.sum(axis=axis, keepdims=True)"),
    ],
    "04_losses": [
        ("mse via a dot product", "mse", "d = (y_pred - y_true).reshape(-1)\nreturn (d @ d) / d.size"),
        ("bce logits via logaddexp", "binary_cross_entropy_with_logits",
         "return np.mean(np.logaddexp(0, logits) - logits * y_true)"),
    ],
    "05_backprop": [
        ("dense backward: one example through atleast_2d", "dense_backward",
         "return dout @ W.T, np.atleast_2d(x).T @ np.atleast_2d(dout), dout.sum(axis=0) if dout.ndim > 1 else dout.copy()"),
        ("backward with an explicit stack", "Value.backward", """order, seen, stack = [], set(), [(self, False)]
while stack:
    node, done = stack.pop()
    if done:
        order.append(node)
    elif id(node) not in seen:
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in node._prev)
self.grad = 1.0
for node in reversed(order):
    node._backward()"""),
    ],
}
