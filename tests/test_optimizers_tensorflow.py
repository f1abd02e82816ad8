"""dlmath.optim, dlmath.initializers and dlmath.schedules against live Keras.

Update rules: whole 50-step trajectories of ``keras.optimizers.*`` applied eagerly to a float64
``tf.Variable`` with a new gradient each step (coordinates at scales 1e-7 … 1), against the same 50
steps of the dlmath rule, every hyperparameter a number float32 represents exactly (Keras stores them
as float32), compared at rtol 1e-10 at every step, weights and state. The largest relative
difference per optimizer is printed (``-s``). Initializers: Keras's own draws satisfy the property
the checks apply. Schedules: ``keras.optimizers.schedules`` in float64, rtol 1e-12.
"""
from __future__ import annotations

import numpy as np
import pytest

from dlmath import initializers, optim, schedules
from dlmath.checking import properties
from grading.references import optimizers as reference

pytestmark = pytest.mark.tensorflow
RTOL = 1e-10
RULES = {"sgd": optim.sgd, "adagrad": optim.adagrad, "rmsprop": optim.rmsprop, "adam": optim.adam, "adamw": optim.adamw}
SETTINGS = [(name, label, hyper) for name in RULES for audience in ("public", "hidden")
            for label, hyper in reference._settings(name, audience)]
f32 = reference.f32
# Keras's defaults, rounded as Keras stores them
DEFAULTS = {
    "sgd": {"lr": f32(0.01)},
    "adagrad": {"lr": f32(0.001), "initial_accumulator_value": f32(0.1)},
    "rmsprop": {"lr": f32(0.001)},
    "adam": {"lr": f32(0.001), "beta_1": f32(0.9), "beta_2": f32(0.999)},
    "adamw": {"lr": f32(0.001), "weight_decay": f32(0.004), "beta_1": f32(0.9), "beta_2": f32(0.999)},
}


def _relative(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def _run_both(tf, name, hyper, shape=(10,), steps=50, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    w0 = rng.normal(0, 1, shape).astype(dtype)
    grads = reference.gradients(rng, shape, steps, dtype)
    keras_steps = reference.keras_trajectory(tf, name, hyper, w0, grads)
    w, state, worst = w0, {}, 0.0
    for step, (_, g, _, keras_w, keras_state) in enumerate(keras_steps, start=1):
        w, state = RULES[name](w, g, state, **hyper)
        assert set(state) == set(keras_state), step
        for key in keras_state:
            if key == "t":
                assert state["t"] == keras_state["t"] == step
            else:
                worst = max(worst, _relative(state[key], keras_state[key]))
        worst = max(worst, _relative(w, keras_w))
    return worst


@pytest.mark.parametrize("name, label, hyper", SETTINGS, ids=[f"{n}: {l}" for n, l, _ in SETTINGS])
def test_fifty_steps_match_keras_at_every_step(tf, name, label, hyper):
    worst = _run_both(tf, name, hyper, shape=(3, 4))
    print(f"\n{name} ({label}): largest relative difference over 50 steps {worst:.2e}")
    assert worst < RTOL


@pytest.mark.parametrize("name", RULES)
def test_keras_defaults_rounded_to_float32_match_over_fifty_steps(tf, name):
    worst = _run_both(tf, name, DEFAULTS[name], seed=1)
    print(f"\n{name} (Keras defaults, float32-rounded): largest relative difference {worst:.2e}")
    assert worst < RTOL


def test_unrounded_learning_rate_differs_from_keras_by_float32_rounding(tf):
    """Keras's Adam(0.001) is Adam(float32(0.001)): exact 0.001 differs by ~1e-7 relative, as FACTS.md says."""
    worst = 0.0
    rng = np.random.default_rng(2)
    w0, grads = rng.normal(size=6), reference.gradients(rng, (6,), 50)
    keras_steps = reference.keras_trajectory(tf, "adam", {"lr": 0.001, "beta_1": 0.9, "beta_2": 0.999}, w0, grads)
    w, state = w0, {}
    for (_, g, _, keras_w, _) in keras_steps:
        w, state = optim.adam(w, g, state, lr=0.001, beta_1=0.9, beta_2=0.999)
        worst = max(worst, _relative(w, keras_w))
    assert 1e-9 < worst < 1e-4


@pytest.mark.parametrize("name", RULES)
def test_float32_variables_match_keras_float32(tf, name):
    label, hyper = reference._settings(name, "public")[-1]
    worst = _run_both(tf, name, hyper, shape=(6,), steps=20, seed=3, dtype=np.float32)
    assert worst < 1e-4, worst


@pytest.mark.parametrize("name, keras_name", [("glorot_uniform", "GlorotUniform"), ("glorot_normal", "GlorotNormal"),
                                              ("he_normal", "HeNormal"), ("he_uniform", "HeUniform")])
@pytest.mark.parametrize("shape", [(64, 256), (3, 3, 32, 64), (2000,)])
def test_keras_initializers_satisfy_the_checked_property(keras, name, keras_name, shape):
    draws = np.asarray(getattr(keras.initializers, keras_name)(seed=4)(shape, dtype="float64"))
    params = reference.initializer_params(name, shape)
    assert properties.judge({"name": "initializer_draws", "params": params}, (draws, draws)) is None
    ours = getattr(initializers, name)(shape, np.random.default_rng(4))
    assert properties.judge({"name": "initializer_draws", "params": params}, (ours, ours)) is None


@pytest.mark.parametrize("name", ["step_decay", "exponential_decay", "cosine_decay"])
@pytest.mark.parametrize("audience", ["public", "hidden"])
def test_schedules_match_keras_in_float64(tf, name, audience):
    for label, steps, kwargs in reference._schedule_inputs(name, audience):
        expected = reference._keras_schedule(tf, name, steps, kwargs)
        got = getattr(schedules, name)(steps, **kwargs)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0, err_msg=label)
