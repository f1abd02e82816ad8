"""Chapter 06_optimizers: inputs, Keras references and typical mistakes.

Expected values:

* update rules (``sgd``, ``adagrad``, ``rmsprop``, ``adam``, ``adamw``) — a ``keras.optimizers``
  optimizer applied eagerly (``apply_gradients``) to a float64 ``tf.Variable`` for 50 steps with
  a new gradient each step. Each case is one step of that trajectory, ``(w, dw, state) → (w_new,
  state_new)``: ``w`` the variable before the step, ``state`` Keras's slot variables before it
  (``state["t"]`` = ``optimizer.iterations``), the expected result the variable and the slots after
  it. Steps 1, 2, 3, a middle one and 50 are sampled. Every hyperparameter is a number float32
  represents exactly (Keras stores lr, β1, β2, momentum, weight decay and Adagrad's initial
  accumulator as float32; with such numbers exact float64 arithmetic agrees with Keras to ~1e-15,
  see FACTS.md). Gradients mix scales from 1e-7 to 1, so ε matters in some coordinates and the
  ε mistakes are told apart. Two state entries Keras doesn't keep are derived by hand from
  Keras's values: SGD's velocity for μ = 0 (m = −η g) and RMSprop's m for μ = 0 (the step
  η g/√(v + ε)).
* initializers — no single right value: a *property* (``initializer_draws`` in
  ``dlmath/checking/properties.py``): bounds, how close the draws come to them, mean and
  variance within a few standard errors of the Keras formulas, and the same draws again from a
  copy of the generator (``draw_twice`` driver). The test suite checks that Keras's own
  initializers pass the same property.
* ``minibatches`` — a property (``minibatch_epochs``) of three epochs drawn through the
  ``three_epochs`` driver.
* schedules — ``keras.optimizers.schedules`` in float64 (the initial rate given as
  ``np.float64`` makes Keras compute in float64).

Mistake outputs are what a typical wrong update rule returns on the same inputs, written in NumPy below.
"""
from __future__ import annotations

import math

import numpy as np

from dlmath.checking.arrays import Seed
from grading.references import _mistakes as mistakes

F64 = {"rtol": 1e-10, "atol": 1e-30}
F32 = {"rtol": 1e-5, "atol": 1e-7}
SCHEDULE = {"rtol": 1e-12, "atol": 0.0}
STEPS_PUBLIC = (1, 2, 50)
STEPS_HIDDEN = (1, 2, 3, 25, 50)
TRUNCATED_STD = 0.87962566103423978


def f32(x: float) -> float:
    """The float32 value nearest to x, as a Python float: what Keras stores for a hyperparameter."""
    return float(np.float32(x))


# ---- hints ---------------------------------------------------------------------------------------

MUTATED = ("You changed the state (or w) you were given in place. Build new arrays — m = beta_1 * state['m'] + ... "
           "— and return a new dict: never state['m'] *= ..., state['m'][...] = ..., or w -= ...; the caller may "
           "still need the old state.")
STATE_STRUCTURE = "Return (w_new, new_state) with new_state a new dict holding exactly the keys the docstring lists."
EPS_INSIDE = ("ε goes *inside* the square root here, as in Keras: g / √(v + ε), not g / (√v + ε).")

HINTS = {
    "glorot_uniform": {"returns": ["draws", "draws again"], "elementwise": False},
    "glorot_normal": {"returns": ["draws", "draws again"], "elementwise": False},
    "he_normal": {"returns": ["draws", "draws again"], "elementwise": False},
    "he_uniform": {"returns": ["draws", "draws again"], "elementwise": False},
    "minibatches": {"elementwise": False,
                    "raised": "Return a list of (x_batch, y_batch) pairs; index x and y with the same slice of one "
                              "permutation: order = rng.permutation(len(x)); x[order[k:k + batch_size]]."},
    "sgd": {"returns": ["w", "state"], "elementwise": False, "mutated": MUTATED, "structure": STATE_STRUCTURE},
    "adagrad": {"returns": ["w", "state"], "elementwise": False, "mutated": MUTATED, "structure": STATE_STRUCTURE},
    "rmsprop": {"returns": ["w", "state"], "elementwise": False, "mutated": MUTATED,
                "structure": STATE_STRUCTURE + " RMSprop: {'v', 'm'} and, when centered=True, also 'g_mean'."},
    "adam": {"returns": ["w", "state"], "elementwise": False, "mutated": MUTATED,
             "structure": STATE_STRUCTURE + " Adam: {'t', 'm', 'v'} and, with amsgrad=True, also 'v_max'.",
             "dtype": "state['t'] is an int step count; w and the moments keep w's float dtype (float32 in, float32 out).",
             "raised": "A ZeroDivisionError? 1 − β₁ᵗ is 0 for t = 0: increment t before using it, so the first step "
                       "has t = 1 (state['t'] counts the steps taken so far)."},
    "adamw": {"returns": ["w", "state"], "elementwise": False, "mutated": MUTATED, "uses": ["adam"],
              "structure": STATE_STRUCTURE + " AdamW: the state of adam, {'t', 'm', 'v'}.",
              "dtype": "state['t'] is an int step count; w and the moments keep w's float dtype (float32 in, float32 out)."},
    "step_decay": {"elementwise": False},
    "exponential_decay": {"elementwise": False},
    "cosine_decay": {"elementwise": False},
}
DRIVERS = {name: "draw_twice" for name in ("glorot_uniform", "glorot_normal", "he_normal", "he_uniform")}
DRIVERS["minibatches"] = "three_epochs"


# ---- the simulated class: each body is the solution with one edit (kept in sync with dlmath) ------

_variant = mistakes.variant


CLASS = {
    "adam_without_bias_correction": {"adam": _variant(  # the seed article's formula
        "optim", "adam", ("alpha = lr * math.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)", "alpha = lr"))},
    "adam_correction_swapped": {"adam": _variant(
        "optim", "adam", ("alpha = lr * math.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)",
                          "alpha = lr * math.sqrt(1 - beta_1 ** t) / (1 - beta_2 ** t)"))},
    "adam_mutates_state": {"adam": _variant(
        "optim", "adam", ("m = beta_1 * state.get(\"m\", zeros) + (1 - beta_1) * dw",
                          "m = state.get(\"m\", np.zeros_like(w))\nm *= beta_1\nm += (1 - beta_1) * dw"))},
    "rmsprop_eps_outside_root": {"rmsprop": _variant(
        "optim", "rmsprop", ("np.sqrt(v + epsilon)", "(np.sqrt(v) + epsilon)"))},
    "adamw_decays_the_gradient": {"adamw": _variant(
        "optim", "adamw", ("decayed = w - lr * weight_decay * w", "decayed = w"),
        ("adam(decayed, dw, state", "adam(decayed, dw + weight_decay * w, state"))},
    "nesterov_as_plain_momentum": {"sgd": _variant(
        "optim", "sgd", ("step = momentum * m - lr * dw if nesterov else m", "step = m"))},
    "adagrad_starts_at_zero": {"adagrad": _variant(
        "optim", "adagrad", ("np.full_like(w, initial_accumulator_value)", "np.zeros_like(w)"))},
    "glorot_std_as_limit": {"glorot_uniform": _variant(
        "initializers", "glorot_uniform", ("math.sqrt(6.0 / (fan_in + fan_out))", "math.sqrt(2.0 / (fan_in + fan_out))"))},
    "he_normal_untruncated": {"he_normal": _variant(
        "initializers", "he_normal", ("stddev = math.sqrt(2.0 / fan_in) / TRUNCATED_STD\n"
                                      "return truncated_normal(shape, stddev, rng)",
                                      "return rng.normal(0.0, math.sqrt(2.0 / fan_in), shape)"))},
    "minibatches_drops_last": {"minibatches": _variant(
        "optim", "minibatches", ("range(0, len(order), batch_size)", "range(0, len(order) - batch_size + 1, batch_size)"))},
    "cosine_ignores_warmup": {"cosine_decay": _variant(
        "schedules", "cosine_decay", ("if warmup_target is None:", "if True:"))},
}
EXPECTED_LOSSES = {student: set(bodies) for student, bodies in CLASS.items()}


# ---- Keras trajectories ------------------------------------------------------------------------------

KERAS = {"sgd": "SGD", "adagrad": "Adagrad", "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW"}


def _keras_optimizer(name: str, hyper: dict):
    import keras

    options = {("learning_rate" if k == "lr" else k): v for k, v in hyper.items()}
    return getattr(keras.optimizers, KERAS[name])(**options)


def _keras_state(name: str, optimizer, variable, hyper: dict, w_before: np.ndarray, g: np.ndarray) -> dict:
    """The optimizer's slots after a step, in dlmath's state layout."""
    index = optimizer._get_variable_index(variable)
    read = lambda slots: slots[index].numpy().copy()  # noqa: E731
    if name == "sgd":
        if hyper.get("momentum", 0.0):
            return {"m": read(optimizer.momentums)}
        return {"m": -hyper["lr"] * g}  # Keras keeps no velocity for μ = 0; by hand: m = 0·m − η g
    if name == "adagrad":
        return {"a": read(optimizer._accumulators)}
    if name == "rmsprop":
        state = {"v": read(optimizer._velocities)}
        if hyper.get("centered"):
            state["g_mean"] = read(optimizer._average_gradients)
        if hyper.get("momentum", 0.0):
            state["m"] = read(optimizer._momentums)
        else:  # no momentum slot in Keras; by hand: the step it took, η g / √(v (− ḡ²) + ε)
            v = state["v"] - (state["g_mean"] ** 2 if hyper.get("centered") else 0)
            state["m"] = hyper["lr"] * g / np.sqrt(v + hyper.get("epsilon", 1e-7))
        return state
    state = {"t": int(optimizer.iterations.numpy()), "m": read(optimizer._momentums), "v": read(optimizer._velocities)}
    if hyper.get("amsgrad"):
        state["v_max"] = read(optimizer._velocity_hats)
    return state


def keras_trajectory(tf, name: str, hyper: dict, w0: np.ndarray, grads: list[np.ndarray]) -> list[tuple]:
    """``[(w, g, state_before, w_after, state_after)]`` for every step of a Keras optimizer, dlmath's state layout."""
    variable = tf.Variable(w0)
    optimizer = _keras_optimizer(name, hyper)
    steps, state = [], {}
    for g in grads:
        w = variable.numpy().copy()
        optimizer.apply_gradients([(tf.constant(g), variable)])
        after = _keras_state(name, optimizer, variable, hyper, w, g)
        steps.append((w, g, state, variable.numpy().copy(), after))
        state = after
    return steps


def gradients(rng, shape, steps: int, dtype=np.float64) -> list[np.ndarray]:
    """A new gradient each step, its coordinates at scales from 1e-7 to 1 (so ε matters in some)."""
    size = int(np.prod(shape))
    scales = rng.permutation(np.logspace(-7, 0, size)).reshape(shape)
    drift = rng.normal(0, 1, shape)  # a persistent direction, so the moments build up
    return [((drift + rng.normal(0, 1, shape)) * scales).astype(dtype) for _ in range(steps)]


# ---- NumPy mistakes of the update rules --------------------------------------------------------------

def _get(state, key, like, fill=0.0):
    return state[key] if key in state else np.full_like(like, fill)


def _adam_parts(w, g, state, h):
    t = int(state.get("t", 0)) + 1
    b1, b2, eps = h.get("beta_1", 0.9), h.get("beta_2", 0.999), h.get("epsilon", 1e-7)
    m = b1 * _get(state, "m", w) + (1 - b1) * g
    v = b2 * _get(state, "v", w) + (1 - b2) * g * g
    return t, b1, b2, eps, m, v


def _adam_mistakes(w, g, state, h, lr):
    t, b1, b2, eps, m, v = _adam_parts(w, g, state, h)
    new = {"t": t, "m": m, "v": v}
    denominator_v = v
    if h.get("amsgrad"):
        denominator_v = np.maximum(_get(state, "v_max", w), v)
        new["v_max"] = denominator_v
        yield ("AMSGrad keeps the running maximum of v and divides by √v_max + ε — you divided by the current v.",
               (w - lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps), new))
        vhat_max = np.maximum(_get(state, "v_max", w), v / (1 - b2 ** t))
        yield ("Keras's AMSGrad keeps the maximum of the raw v (state['v_max'] = max(v_max, v)), not of v̂.",
               (w - lr / (1 - b1 ** t) * m / (np.sqrt(vhat_max) + eps), {**new, "v_max": vhat_max}))
    dv = denominator_v
    yield ("Adam needs bias correction: m and v start at 0, so early on they are (1 − β₁ᵗ) and (1 − β₂ᵗ) times too "
           "small. Step with α_t = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ) (the seed article's formula has no correction).",
           (w - lr * m / (np.sqrt(dv) + eps), new))
    yield ("The bias corrections are applied to the wrong moments: m is divided by 1 − β₁ᵗ and v by 1 − β₂ᵗ, "
           "so α_t = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ).",
           (w - lr * math.sqrt(1 - b1 ** t) / (1 - b2 ** t) * m / (np.sqrt(dv) + eps), new))
    yield ("Only m was bias-corrected: v needs it too — α_t = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ).",
           (w - lr / (1 - b1 ** t) * m / (np.sqrt(dv) + eps), new))
    yield ("Only v was bias-corrected: m needs it too — α_t = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ).",
           (w - lr * math.sqrt(1 - b2 ** t) * m / (np.sqrt(dv) + eps), new))
    yield ("The bias correction of v goes under the square root: √(1 − β₂ᵗ), not (1 − β₂ᵗ).",
           (w - lr * (1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(dv) + eps), new))
    yield ("This is the textbook form m̂/(√v̂ + ε). Keras uses the paper's ε-hat form: α_t = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ), "
           "w − α_t·m/(√v + ε), with ε added to the *uncorrected* √v (see §5.3).",
           (w - lr * (m / (1 - b1 ** t)) / (np.sqrt(dv / (1 - b2 ** t)) + eps), new))
    yield ("ε goes outside the square root in Adam: m/(√v + ε), not m/√(v + ε).",
           (w - lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / np.sqrt(dv + eps), new))
    if t > 1:
        told = t - 1
        yield ("Increment t *before* using it: the first step has t = 1 (state['t'] counts the steps taken so far).",
               (w - lr * math.sqrt(1 - b2 ** told) / (1 - b1 ** told) * m / (np.sqrt(dv) + eps), {**new, "t": told}))


def _mistake_outputs(name, w, g, state, h):
    lr = h["lr"]
    if name == "sgd":
        mu = h.get("momentum", 0.0)
        m_old = _get(state, "m", w)
        m = mu * m_old - lr * g
        if h.get("nesterov"):
            yield ("Nesterov looks ahead: w ← w + μ·m − lr·g with the *new* m — you took the plain momentum step "
                   "w ← w + m.", (w + m, {"m": m}))
            yield ("Nesterov's look-ahead uses the *new* velocity: w ← w + μ·m_new − lr·g.",
                   (w + mu * m_old - lr * g, {"m": m}))
        elif mu:
            yield ("You applied Nesterov's look-ahead; nesterov=False is the heavy-ball step w ← w + m.",
                   (w + mu * m - lr * g, {"m": m}))
        buffer = mu * m_old + g
        yield ("state['m'] is Keras's velocity m ← μm − lr·g (learning rate and minus sign inside, w ← w + m) — "
               "you stored PyTorch's buffer b ← μb + g.", (w - lr * buffer, {"m": buffer}))
        yield ("Keras's velocity carries the step's sign: m ← μm − lr·g and w ← w + m (you stored −m).",
               (w + m, {"m": -m}))
    elif name == "adagrad":
        eps, a0 = h.get("epsilon", 1e-7), h.get("initial_accumulator_value", 0.1)
        a = _get(state, "a", w, a0) + g * g
        if not state:
            a_zero = g * g
            yield ("The accumulator starts at initial_accumulator_value (Keras: 0.1), not at 0.",
                   (w - lr * g / np.sqrt(a_zero + eps), {"a": a_zero}))
        yield EPS_INSIDE, (w - lr * g / (np.sqrt(a) + eps), {"a": a})
        yield "Adagrad divides by the *square root* of the accumulated squares: g / √(a + ε).", (
            w - lr * g / (a + eps), {"a": a})
    elif name == "rmsprop":
        rho, mu, eps, centered = h.get("rho", 0.9), h.get("momentum", 0.0), h.get("epsilon", 1e-7), h.get("centered")
        v = rho * _get(state, "v", w) + (1 - rho) * g * g
        gm = rho * _get(state, "g_mean", w) + (1 - rho) * g
        variance = v - gm * gm if centered else v

        def out(increment, v_=v, extra=None):
            m = mu * _get(state, "m", w) + increment
            new = {"v": v_, "m": m, **({"g_mean": gm} if centered else {}), **(extra or {})}
            return w - m, new

        yield EPS_INSIDE, out(lr * g / (np.sqrt(variance) + eps))
        v_no_decay = rho * _get(state, "v", w) + g * g
        yield "The moving average weighs the new g² by (1 − ρ): v ← ρv + (1 − ρ)g².", out(
            lr * g / np.sqrt(v_no_decay - (gm * gm if centered else 0) + eps), v_no_decay)
        if centered:
            yield ("Centered RMSprop divides by √(v − ḡ² + ε) (an estimate of the gradient's variance) — you left out "
                   "− ḡ².", out(lr * g / np.sqrt(v + eps)))
            with np.errstate(invalid="ignore"):
                yield "Subtract the *square* of the mean gradient: v − ḡ², not v − ḡ.", out(lr * g / np.sqrt(v - gm + eps))
        if mu:
            increment = lr * g / np.sqrt(variance + eps)
            yield ("With momentum the step accumulates: m ← μm + lr·g/√(v + ε), w ← w − m — you left out μm.",
                   (w - increment, {"v": v, "m": increment, **({"g_mean": gm} if centered else {})}))
    elif name == "adam":
        yield from _adam_mistakes(w, g, state, h, lr)
    elif name == "adamw":
        wd = h.get("weight_decay", 0.004)
        adam_h = {k: v for k, v in h.items() if k != "weight_decay"}

        def adam_step(w_, g_):
            return _reference_adam(w_, g_, state, adam_h)

        yield ("Decoupled weight decay shrinks the *weights*, w ← w − lr·λ·w, then takes the Adam step with the "
               "original gradient — you added λ·w to the gradient (that's L2 in the loss, which Adam rescales).",
               adam_step(w, g + wd * w))
        yield "The decay is scaled by the learning rate: w ← w − lr·λ·w (you used w − λ·w).", adam_step(w - wd * w, g)
        yield ("Keras decays the weights *before* the Adam step, from the old w: w' = w − lr·λ·w, then Adam from w'.",
               (lambda s: (s[0] - lr * wd * s[0], s[1]))(adam_step(w, g)))
        yield "You left out the weight decay: AdamW first shrinks the weights, w ← w − lr·λ·w.", adam_step(w, g)


def _reference_adam(w, g, state, h):
    """Adam by the FACTS.md formula (for the AdamW mistakes; expected values come from Keras)."""
    t, b1, b2, eps, m, v = _adam_parts(w, g, state, h)
    new = {"t": t, "m": m, "v": v}
    return w - h["lr"] * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps), new


# ---- comparison helpers -------------------------------------------------------------------------------

def _leaves(value):
    if isinstance(value, dict):
        return [leaf for k in sorted(value) for leaf in _leaves(value[k])]
    if isinstance(value, (tuple, list)):
        return [leaf for v in value for leaf in _leaves(v)]
    return [np.asarray(value)]


def _same_structure(a, b) -> bool:
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys() and all(
            _same_structure(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        return isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)) and len(a) == len(b) and all(
            _same_structure(x, y) for x, y in zip(a, b))
    return np.shape(a) == np.shape(b)


def _matches(a, b) -> bool:
    """The learner-side test (compare._matches): equal within rtol 1e-6, atol 1e-9."""
    return _same_structure(a, b) and all(
        np.allclose(x, y, rtol=1e-6, atol=1e-9) for x, y in zip(_leaves(a), _leaves(b)))


def _cast(value, dtype):
    if isinstance(value, dict):
        return {k: (v if k == "t" else _cast(v, dtype)) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_cast(v, dtype) for v in value)
    if isinstance(value, list):
        return [_cast(v, dtype) for v in value]
    return np.asarray(value, dtype)


def distinguishable(candidates, expected) -> list[dict]:
    """Mistake outputs a learner's check can tell apart from the right answer and from each other.

    A check recognises a mistake when the learner's result equals its output within rtol 1e-6; a
    candidate that close to the expected result, or to a mistake already kept, would give a
    misleading hint, so it is dropped for this case (other cases tell it apart).
    """
    kept = []
    for hint, output in candidates:
        if output is None or not _same_structure(output, expected):
            continue
        if not all(np.all(np.isfinite(leaf)) for leaf in _leaves(output)):
            continue
        if _matches(output, expected) or any(_matches(output, k["output"]) for k in kept):
            continue
        kept.append({"hint": hint, "output": output})
    return kept


def _wrap_t(state: dict) -> dict:
    """The expected state: t as a 0-d int64 array (the comparison needs an array), arrays as they are."""
    return {k: (np.array(v, dtype=np.int64) if k == "t" else v) for k, v in state.items()}


# ---- update-rule cases -----------------------------------------------------------------------------------

def _settings(name: str, audience: str) -> list[tuple[str, dict]]:
    """(label, hyperparameters) per mode of each rule; hidden settings use other values of the same kinds."""
    hidden = audience == "hidden"
    if name == "sgd":
        return [("plain gradient descent", {"lr": f32(0.05 if hidden else 0.1)}),
                ("momentum", {"lr": f32(0.02 if hidden else 0.05), "momentum": f32(0.8 if hidden else 0.9)}),
                ("Nesterov momentum", {"lr": f32(0.03 if hidden else 0.05), "momentum": f32(0.95 if hidden else 0.9),
                                       "nesterov": True})]
    if name == "adagrad":
        # the setting where ε matters comes first: a learner's check reports its first failing case
        return [("a small initial accumulator and a larger ε",
                 {"lr": f32(0.05), "initial_accumulator_value": f32(0.01 if hidden else 0.001), "epsilon": 1e-4}),
                ("Adagrad, Keras's initial accumulator 0.1", {"lr": f32(0.2 if hidden else 0.1),
                                                              "initial_accumulator_value": f32(0.1), "epsilon": 1e-7})]
    if name == "rmsprop":
        lr = f32(0.002 if hidden else 0.01)
        return [("plain RMSprop", {"lr": lr, "rho": f32(0.9), "momentum": 0.0, "epsilon": 1e-7, "centered": False}),
                ("centered", {"lr": lr, "rho": f32(0.95 if hidden else 0.9), "momentum": 0.0, "epsilon": 1e-7,
                              "centered": True}),
                ("with momentum", {"lr": lr, "rho": f32(0.9), "momentum": f32(0.5 if hidden else 0.9),
                                   "epsilon": 1e-7, "centered": False}),
                ("centered with momentum", {"lr": lr, "rho": f32(0.8 if hidden else 0.9), "momentum": f32(0.9),
                                            "epsilon": 1e-6, "centered": True})]
    if name == "adam":
        return [("Adam", {"lr": f32(0.01 if hidden else 0.05), "beta_1": f32(0.9), "beta_2": f32(0.999),
                          "epsilon": 1e-7, "amsgrad": False}),
                ("other betas and ε", {"lr": f32(0.02), "beta_1": f32(0.8 if hidden else 0.85),
                                       "beta_2": f32(0.99 if hidden else 0.95), "epsilon": 1e-5, "amsgrad": False}),
                ("AMSGrad", {"lr": f32(0.02 if hidden else 0.05), "beta_1": f32(0.9), "beta_2": f32(0.99),
                             "epsilon": 1e-7, "amsgrad": True})]
    return [("AdamW", {"lr": f32(0.01 if hidden else 0.05), "weight_decay": f32(0.1 if hidden else 0.2),
                       "beta_1": f32(0.9), "beta_2": f32(0.999), "epsilon": 1e-7}),
            ("AdamW, Keras's default decay 0.004", {"lr": f32(0.02), "weight_decay": f32(0.004), "beta_1": f32(0.9),
                                                   "beta_2": f32(0.99), "epsilon": 1e-7})]


def _rule_cases(tf, rng, name: str, audience: str) -> list[dict]:
    hidden = audience == "hidden"
    out = []
    for index, (label, hyper) in enumerate(_settings(name, audience)):
        shape = [(10,), (3, 4)][index % 2] if not hidden else [(12,), (4, 3), (2, 3, 2)][index % 3]
        w0 = rng.normal(0, 1, shape)
        trajectory = keras_trajectory(tf, name, hyper, w0, gradients(rng, shape, 50))
        for step in (STEPS_HIDDEN if hidden else STEPS_PUBLIC):
            w, g, before, w_after, after = trajectory[step - 1]
            expected = (w_after, _wrap_t(after))
            out.append({
                "name": f"{label}, step {step} of a 50-step Keras run, w of shape {shape} ({_describe(hyper)})",
                "args": [w, g, before], "kwargs": dict(hyper), "expected": expected, **F64,
                "mistakes": distinguishable(((h, (o[0], _wrap_t(o[1]))) for h, o in
                                             _mistake_outputs(name, w, g, before, hyper)), expected)})
    # float32: the same rule on a float32 variable (one mid-run step)
    label, hyper = _settings(name, audience)[-1]
    shape = (5,) if not hidden else (2, 4)
    w0 = rng.normal(0, 1, shape).astype(np.float32)
    trajectory = keras_trajectory(tf, name, hyper, w0, gradients(rng, shape, 5, np.float32))
    w, g, before, w_after, after = trajectory[3 if hidden else 2]
    expected = (w_after, _wrap_t(after))
    out.append({"name": f"float32 w keeps float32 ({label}, step {4 if hidden else 3}, {_describe(hyper)})",
                "args": [w, g, before], "kwargs": dict(hyper), "expected": expected, **F32,
                "mistakes": distinguishable(((h, _cast((o[0], _wrap_t(o[1])), np.float32)) for h, o in
                                             _mistake_outputs(name, w, g, before, hyper)), expected)})
    return out


def _describe(hyper: dict) -> str:
    return ", ".join(f"{k}={v!r}" if not isinstance(v, float) else f"{k}={v:.9g}" for k, v in hyper.items())


# ---- initializers ---------------------------------------------------------------------------------------

def _fans(shape):
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return receptive * shape[-2], receptive * shape[-1]


def initializer_params(name: str, shape: tuple) -> dict:
    """The property's parameters from the Keras formulas (VarianceScaling: scale 1 over the fan average, or 2
    over fan_in; uniform limit √(3·scale'), truncated-normal σ = √scale'/0.8796 cut at ±2σ)."""
    fan_in, fan_out = _fans(shape)
    naive_in, naive_out = shape[-2] if len(shape) > 2 else fan_in, shape[-1] if len(shape) > 2 else fan_out
    glorot, he = 2.0 / (fan_in + fan_out), 2.0 / fan_in
    variance = glorot if name.startswith("glorot") else he
    uniform = name.endswith("uniform")
    bound = math.sqrt(3 * variance) if uniform else 2 * math.sqrt(variance) / TRUNCATED_STD
    alternatives = []
    if len(shape) > 2:
        naive = 2.0 / (naive_in + naive_out) if name.startswith("glorot") else 2.0 / naive_in
        alternatives.append([naive, "For a conv kernel (kh, kw, in, out) the fans include the receptive field: "
                                    "fan_in = kh·kw·in, fan_out = kh·kw·out (use compute_fans(shape))."])
    if name.startswith("glorot"):
        alternatives += [[he, "That's He's variance 2/fan_in; Glorot averages both fans: 2/(fan_in + fan_out)."],
                         [1.0 / (fan_in + fan_out), "Glorot's variance is 2/(fan_in + fan_out): the 2 is missing."]]
    else:
        alternatives += [[glorot, "That's Glorot's variance 2/(fan_in + fan_out); He uses fan_in only: 2/fan_in."],
                         [1.0 / fan_in, "He's variance is 2/fan_in — the 2 compensates ReLU zeroing half the "
                                        "inputs; you used 1/fan_in (LeCun's)."],
                         [2.0 / fan_out, "He's variance uses fan_in (the number of inputs each unit sums), not fan_out."]]
    if uniform:
        alternatives.append([variance / 3, "You used the standard deviation √(var) as the limit. For U(−L, L) the "
                                           "variance is L²/3, so L = √(3·var)."])
        bound_hint = (f"Every draw lies in [−limit, limit] with limit = √(3·var) = {bound:.6g} for this shape — is "
                      "your limit too large, or did you draw from a normal?")
        reach_hint = ("Uniform draws over [−limit, limit] come this close to ±limit for this many draws: is your limit "
                      "too small (or are the draws not uniform)?")
    else:
        alternatives.append([variance * TRUNCATED_STD ** 2,
                             "Truncating at ±2σ shrinks the standard deviation by 0.8796: divide σ by "
                             "TRUNCATED_STD first, σ = √(var)/0.8796, then truncated_normal(shape, σ, rng)."])
        alternatives.append([variance / TRUNCATED_STD ** 2,
                             "You divided σ by 0.8796 but drew from an untruncated normal: use truncated_normal."])
        bound_hint = ("Keras's normal initializers are *truncated* at ±2σ (σ = √(var)/0.8796): draw with "
                      "truncated_normal(shape, σ, rng), not rng.normal.")
        reach_hint = ("A truncated normal reaches close to ±2σ with this many draws; yours stay well inside — did "
                      "you draw from a uniform distribution, or truncate at a smaller bound?")
    # how close the largest of n draws must come to the bound: missed with probability < 1e-9 — for U(−L, L),
    # P(max|w| < (1 − δ)L) = (1 − δ)^n; a normal cut at 2σ has density 0.226/δ-fraction near the cut (2φ(2)·2/0.9545)
    n = math.prod(shape)
    reach = 1 - 21 / n if uniform else 1 - 92 / n
    return {"shape": list(shape), "bound": bound, "variance": variance, "reach": reach,
            "kurtosis": 1.8 if uniform else 2.37, "alternatives": alternatives,
            "bound_hint": bound_hint, "reach_hint": reach_hint}


def _initializer_cases(name, audience):
    shapes = [(64, 256), (3, 3, 32, 64), (2000,)] if audience == "public" else [(300, 100), (5, 5, 8, 16), (2000, 10),
                                                                         (1500,), (3, 3, 64, 32)]
    seeds = [11, 12, 13] if audience == "public" else [101, 102, 103, 104, 105]
    kind = {"glorot_uniform": "Glorot uniform", "glorot_normal": "Glorot truncated normal",
            "he_normal": "He truncated normal", "he_uniform": "He uniform"}[name]
    out = []
    for shape, seed in zip(shapes, seeds):
        params = initializer_params(name, shape)
        what = "a conv kernel" if len(shape) == 4 else ("a vector" if len(shape) == 1 else "a dense kernel")
        out.append({"name": f"{kind} draws for {what} of shape {shape}, rng = default_rng({seed}): bounds, mean and "
                            f"variance {params['variance']:.6g}",
                    "args": [shape, Seed(seed)], "kwargs": {},
                    "check": {"name": "initializer_draws", "params": params}})
    return out


# ---- minibatches ---------------------------------------------------------------------------------------

def _minibatch_cases(rng, audience):
    sizes = [(50, 8), (48, 16), (7, 10)] if audience == "public" else [(103, 10), (64, 64), (30, 7), (5, 2), (41, 40)]
    out = []
    for index, (n, batch) in enumerate(sizes):
        x = rng.normal(0, 1, (n, 3))  # distinct rows: each example can be recognised in the batches
        y = np.arange(n) % 10 if index % 2 == 0 else rng.normal(0, 1, (n, 2)).astype(np.float32)
        remainder = n % batch
        what = (f"{n} examples, batch_size {batch} → {math.ceil(n / batch)} batches"
                + (f", the last one of {remainder}" if remainder else "") + (" (batch_size ≥ n)" if batch >= n else ""))
        out.append({"name": what, "args": [x, y, batch, Seed(200 + index + (0 if audience == 'public' else 50))],
                    "kwargs": {}, "check": {"name": "minibatch_epochs", "params": {}}})
    return out


# ---- schedules -------------------------------------------------------------------------------------------

def _keras_schedule(tf, name, steps, kwargs):
    import keras

    S = keras.optimizers.schedules
    floats = {k: np.float64(v) if isinstance(v, float) else v for k, v in kwargs.items()}
    floats["initial_learning_rate"] = np.float64(kwargs["initial_learning_rate"])  # float64 all the way through
    if name == "step_decay":
        schedule = S.ExponentialDecay(staircase=True, **floats)
    elif name == "exponential_decay":
        schedule = S.ExponentialDecay(**floats)
    else:
        schedule = S.CosineDecay(**floats)
    values = np.array([float(schedule(tf.constant(int(s), tf.int64)).numpy()) for s in np.ravel(steps)])
    return values.reshape(np.shape(steps))


def _schedule_mistakes(name, s, kw):
    with np.errstate(all="ignore"):  # a warm-up of 0 steps divides by 0 in a branch np.where discards
        yield from _schedule_mistake_outputs(name, np.asarray(s, dtype=np.float64), kw)


def _schedule_mistake_outputs(name, s, kw):
    eta0 = kw["initial_learning_rate"]
    k = kw["decay_steps"]
    if name in ("step_decay", "exponential_decay"):
        r = kw["decay_rate"]
        if name == "step_decay":
            yield "Step decay holds the rate constant between drops: r^⌊s/k⌋ (np.floor), not r^(s/k).", eta0 * r ** (s / k)
            yield "The first drop comes after k steps: r^⌊s/k⌋ — you used ⌈s/k⌉.", eta0 * r ** np.ceil(s / k)
        else:
            yield "Exponential decay is smooth, r^(s/k); you floored s/k (that's step decay).", eta0 * r ** np.floor(s / k)
        yield "The exponent is s/k (one factor r per k steps), not s·k.", eta0 * r ** (s * k)
        yield "The rate is η₀·r^(s/k) — the exponent applies to r, not to η₀·r.", (eta0 * r) ** (s / k)
        return
    alpha, target, w = kw.get("alpha", 0.0), kw.get("warmup_target"), kw.get("warmup_steps", 0)

    def cos_decay(peak, steps, clamp=True):
        steps = np.minimum(steps, k) if clamp else steps
        return peak * ((1 - alpha) * 0.5 * (1 + np.cos(np.pi * steps / k)) + alpha)

    if target is None:
        yield "After decay_steps the rate stays at α·η₀: clamp the step, min(s, k).", cos_decay(eta0, s, clamp=False)
        yield "The floor α mixes in as (1 − α)·cosine + α.", eta0 * (0.5 * (1 + np.cos(np.pi * np.minimum(s, k) / k)) + alpha)
        return
    yield ("With a warmup_target, first rise linearly from η₀ to the target over warmup_steps, then decay from the "
           "target.", cos_decay(eta0, s))
    yield ("After the warm-up the cosine clock restarts: decay over (s − warmup_steps)/decay_steps, not s/decay_steps.",
           np.where(s < w, eta0 + (target - eta0) * s / w, cos_decay(target, s)))
    yield "The warm-up starts at initial_learning_rate, not at 0.", np.where(s < w, target * s / w, cos_decay(target, s - w))
    yield ("The decay after the warm-up starts from the warmup_target, not from initial_learning_rate.",
           np.where(s < w, eta0 + (target - eta0) * s / w, cos_decay(eta0, s - w)))


def _schedule_inputs(name, audience):
    hidden = audience == "hidden"
    if name in ("step_decay", "exponential_decay"):
        base = [("a curve of 40 steps", np.arange(40), {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5}),
                ("one step (an int)", 25, {"initial_learning_rate": 0.01, "decay_steps": 7, "decay_rate": 0.96}),
                ("steps at and around the drops", np.array([0, 2, 3, 4, 6, 7, 30]),
                 {"initial_learning_rate": 0.5, "decay_steps": 3, "decay_rate": 0.2})]
        if hidden:
            base = [("a curve of 100 steps", np.arange(100), {"initial_learning_rate": 0.05, "decay_steps": 15,
                                                               "decay_rate": 0.7}),
                    ("one step (an int)", 1000, {"initial_learning_rate": 0.001, "decay_steps": 300, "decay_rate": 0.9}),
                    ("steps at and around the drops", np.array([0, 4, 5, 6, 9, 10, 11, 50]),
                     {"initial_learning_rate": 1.0, "decay_steps": 5, "decay_rate": 0.3}),
                    ("a long run in steps of 250", np.arange(0, 5000, 250),
                     {"initial_learning_rate": 0.2, "decay_steps": 1000, "decay_rate": 0.5})]
        return base
    base = [("cosine decay over 50 steps, followed past its end", np.arange(80),
             {"initial_learning_rate": 0.1, "decay_steps": 50, "alpha": 0.0}),
            ("a floor alpha = 0.1", np.arange(0, 120, 3), {"initial_learning_rate": 0.02, "decay_steps": 100, "alpha": 0.1}),
            ("a linear warm-up from 0 to 0.1 over 10 steps, then cosine decay", np.arange(70),
             {"initial_learning_rate": 0.0, "decay_steps": 50, "alpha": 0.0, "warmup_target": 0.1, "warmup_steps": 10}),
            ("a warm-up from 0.01 to 0.05, alpha 0.2, one step (an int)", 17,
             {"initial_learning_rate": 0.01, "decay_steps": 40, "alpha": 0.2, "warmup_target": 0.05, "warmup_steps": 8})]
    if hidden:
        base = [("cosine decay over 200 steps, followed past its end", np.arange(0, 300, 7),
                 {"initial_learning_rate": 0.3, "decay_steps": 200, "alpha": 0.0}),
                ("a floor alpha = 0.05", np.arange(60), {"initial_learning_rate": 0.01, "decay_steps": 40, "alpha": 0.05}),
                ("a linear warm-up from 0 to 0.2 over 25 steps, then cosine decay", np.arange(0, 150, 2),
                 {"initial_learning_rate": 0.0, "decay_steps": 100, "alpha": 0.0, "warmup_target": 0.2,
                  "warmup_steps": 25}),
                ("a warm-up from 0.001 to 0.01, alpha 0.1, around the peak", np.array([0, 1, 9, 10, 11, 30, 60, 90]),
                 {"initial_learning_rate": 0.001, "decay_steps": 50, "alpha": 0.1, "warmup_target": 0.01,
                  "warmup_steps": 10}),
                ("a warm-up, one step (an int) inside it", 3,
                 {"initial_learning_rate": 0.0, "decay_steps": 20, "alpha": 0.0, "warmup_target": 0.5, "warmup_steps": 6}),
                ("a warm-up of 0 steps with a target (decay from the target at once)", np.arange(30),
                 {"initial_learning_rate": 0.1, "decay_steps": 25, "alpha": 0.0, "warmup_target": 0.4,
                  "warmup_steps": 0})]
    return base


def _schedule_cases(tf, name, audience):
    out = []
    for label, steps, kwargs in _schedule_inputs(name, audience):
        expected = _keras_schedule(tf, name, steps, kwargs)
        if np.ndim(steps) == 0:
            steps = int(steps)
        candidates = [(h, np.asarray(o, dtype=np.float64).reshape(np.shape(expected)))
                      for h, o in _schedule_mistakes(name, steps, kwargs)]
        out.append({"name": label, "args": [steps], "kwargs": kwargs, "expected": np.asarray(expected), **SCHEDULE,
                    "mistakes": distinguishable(candidates, np.asarray(expected))})
    return out


# ---- all cases -------------------------------------------------------------------------------------------

ORDER = ["glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "minibatches",
         "sgd", "adagrad", "rmsprop", "adam", "adamw", "step_decay", "exponential_decay", "cosine_decay"]


def cases(tf, rng, audience):
    """``{function: [case, ...]}`` for the ``public`` checks or the ``hidden`` grading fixtures."""
    out = {name: _initializer_cases(name, audience) for name in ORDER[:4]}
    out["minibatches"] = _minibatch_cases(rng, audience)
    for name in KERAS:
        out[name] = _rule_cases(tf, rng, name, audience)
    for name in ORDER[-3:]:
        out[name] = _schedule_cases(tf, name, audience)
    return {name: out[name] for name in ORDER}
