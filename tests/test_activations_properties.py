"""Invariants of dlmath.activations (hypothesis), backward passes against finite differences,
and input validation. No TensorFlow here: see test_activations_tensorflow.py for that.
"""
from __future__ import annotations

import re
import warnings
from functools import partial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from dlmath import activations as act

EPS = np.finfo(np.float64).eps
TINY = np.finfo(np.float64).tiny  # smallest normal float64; below it precision is absolute, not relative

SETTINGS = settings(max_examples=60, deadline=None)

# ---------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------

SHAPES = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
WIDE = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)  # saturation and exp under/overflow
MODERATE = st.floats(-30.0, 30.0, allow_nan=False, allow_infinity=False)  # for finite differences
AWAY_FROM_KINK = st.one_of(st.floats(-30.0, -1e-3), st.floats(1e-3, 30.0))  # relu / leaky_relu
UNIT = st.floats(-1.0, 1.0, allow_nan=False, allow_infinity=False)
ALPHA = st.floats(0.0, 1.0, allow_nan=False, allow_infinity=False)


def float_arrays(elements, shape=SHAPES, dtype=np.float64):
    return arrays(dtype, shape, elements=elements)


@st.composite
def z_and_axis(draw, elements=WIDE):
    z = draw(float_arrays(elements))
    return z, draw(st.integers(-z.ndim, z.ndim - 1))


@st.composite
def z_and_dout(draw, elements, dout_elements=UNIT):
    z = draw(float_arrays(elements))
    return z, draw(float_arrays(dout_elements, shape=z.shape))


@st.composite
def z_dout_axis(draw, elements, dout_elements=UNIT):
    z, dout = draw(z_and_dout(elements, dout_elements))
    return z, dout, draw(st.integers(-z.ndim, z.ndim - 1))


# ---------------------------------------------------------------------------------------------
# softmax / log_softmax invariants
# ---------------------------------------------------------------------------------------------

@SETTINGS
@given(z_and_axis())
def test_softmax_is_in_unit_interval_and_sums_to_one_along_axis(case):
    z, axis = case
    s = act.softmax(z, axis=axis)
    assert s.shape == z.shape
    assert np.all((s >= 0) & (s <= 1))
    np.testing.assert_allclose(s.sum(axis=axis), 1.0, rtol=0, atol=1e-13)


@SETTINGS
@given(z_and_axis(), st.data())
def test_softmax_is_invariant_to_adding_a_constant_per_slice_along_axis(case, data):
    z, axis = case
    # one constant per softmax slice (size 1 along axis), so a max taken over the wrong axis shows up
    shift_shape = tuple(1 if i == axis % z.ndim else n for i, n in enumerate(z.shape))
    c = data.draw(float_arrays(st.floats(-100.0, 100.0), shape=shift_shape))
    # z + c moves each difference z_i − z_j by ≤ ulp(1100) ≈ 2e-13: relative change of s ≤ ~1e-12
    np.testing.assert_allclose(act.softmax(z + c, axis=axis), act.softmax(z, axis=axis), rtol=1e-10, atol=TINY)


@SETTINGS
@given(z_and_axis())
def test_log_softmax_is_log_of_softmax_where_softmax_is_not_tiny(case):
    z, axis = case
    log_s, s = act.log_softmax(z, axis=axis), act.softmax(z, axis=axis)
    assert np.all(log_s <= 0)
    visible = s > 1e-300
    assert np.any(visible)  # the maximum of every slice has s ≥ 1/n
    # absolute error of both sides ≈ ulp(|z_i − max z|) ≤ ulp(700) ≈ 1.1e-13
    np.testing.assert_allclose(log_s[visible], np.log(s[visible]), rtol=1e-12, atol=1e-12)


@SETTINGS
@given(z_and_axis())
def test_exp_of_log_softmax_sums_to_one_along_axis(case):
    z, axis = case
    np.testing.assert_allclose(np.exp(act.log_softmax(z, axis=axis)).sum(axis=axis), 1.0, rtol=0, atol=1e-13)


# ---------------------------------------------------------------------------------------------
# elementwise invariants
# ---------------------------------------------------------------------------------------------

@SETTINGS
@given(float_arrays(WIDE))
def test_sigmoid_of_minus_z_is_one_minus_sigmoid_of_z(z):
    s = act.sigmoid(z)
    assert np.all((s >= 0) & (s <= 1))
    # 1 − σ(z) is only known to ±ulp(1) when σ(z) ≈ 1: absolute tolerance 2 eps
    np.testing.assert_allclose(act.sigmoid(-z), 1 - s, rtol=1e-12, atol=2 * EPS)


@SETTINGS
@given(float_arrays(WIDE))
def test_tanh_is_two_sigmoid_of_two_z_minus_one(z):
    # 2σ(2z) − 1 carries an absolute error of a few ulp(1): absolute tolerance 4 eps
    np.testing.assert_allclose(act.tanh(z), 2 * act.sigmoid(2 * z) - 1, rtol=1e-12, atol=4 * EPS)


@SETTINGS
@given(float_arrays(WIDE))
def test_relu_of_z_minus_relu_of_minus_z_is_z(z):
    np.testing.assert_array_equal(act.relu(z) - act.relu(-z), z)
    assert np.all(act.relu(z) >= 0)


@SETTINGS
@given(float_arrays(WIDE), st.floats(-5.0, 1.0))
def test_leaky_relu_is_max_of_z_and_alpha_z_for_every_alpha_up_to_one_negative_included(z, alpha):
    # 03 §4.3: z ≥ αz for z > 0 and αz ≥ z for z < 0 both hold exactly when α ≤ 1
    np.testing.assert_array_equal(act.leaky_relu(z, alpha=alpha), np.maximum(z, alpha * z))


@pytest.mark.parametrize("alpha", [1.5, 3.0])
def test_max_of_z_and_alpha_z_is_not_leaky_relu_for_alpha_above_one(alpha):
    z = np.array([-2.0, 3.0])
    # max picks αz = 4.5 for z = 3 and z = −2 for z = −2: the wrong branch on both sides
    assert not np.array_equal(act.leaky_relu(z, alpha=alpha), np.maximum(z, alpha * z))
    np.testing.assert_array_equal(act.leaky_relu(z, alpha=alpha), [-2.0 * alpha, 3.0])


@SETTINGS
@given(float_arrays(WIDE))
def test_leaky_relu_default_alpha_is_0_2(z):
    np.testing.assert_array_equal(act.leaky_relu(z), np.maximum(z, 0.2 * z))
    np.testing.assert_array_equal(act.leaky_relu_backward(np.ones_like(z), z), np.where(z > 0, 1.0, 0.2))


# ---------------------------------------------------------------------------------------------
# ELU, SiLU, GELU invariants
# ---------------------------------------------------------------------------------------------

@SETTINGS
@given(float_arrays(WIDE), st.booleans())
def test_gelu_of_z_minus_gelu_of_minus_z_is_z_in_both_forms(z, approximate):
    # Φ(z) + Φ(−z) = 1 (and tanh is odd), so z Φ(z) − (−z) Φ(−z) = z: the two halves add up to the identity
    np.testing.assert_allclose(act.gelu(z, approximate=approximate) - act.gelu(-z, approximate=approximate), z,
                               rtol=1e-14, atol=1e-14)


@SETTINGS
@given(float_arrays(st.floats(-20.0, 20.0)))
def test_tanh_gelu_is_within_5e_4_of_the_exact_gelu(z):
    # measured maximum of |exact − tanh form| over the real line: 4.73e-4, near |z| ≈ 2.1
    assert np.max(np.abs(act.gelu(z) - act.gelu(z, approximate=True))) < 5e-4


def test_exact_and_tanh_gelu_are_different_functions():
    z = np.array([-2.0, -1.0, 1.0, 2.0])
    assert np.all(np.abs(act.gelu(z) - act.gelu(z, approximate=True)) > 1e-5)


@SETTINGS
@given(float_arrays(WIDE), st.floats(-3.0, 3.0))
def test_silu_is_z_times_sigmoid_of_beta_z_and_its_halves_add_up_to_z(z, beta):
    np.testing.assert_array_equal(act.silu(z, beta=beta), z * act.sigmoid(beta * z))
    np.testing.assert_allclose(act.silu(z, beta=beta) - act.silu(-z, beta=beta), z, rtol=1e-14, atol=1e-14)


@SETTINGS
@given(float_arrays(WIDE), st.floats(0.01, 5.0))
def test_elu_is_z_above_zero_and_above_minus_alpha_below(z, alpha):
    y = act.elu(z, alpha=alpha)
    np.testing.assert_array_equal(y[z > 0], z[z > 0])
    assert np.all(y[z <= 0] >= -alpha) and np.all(y[z <= 0] <= 0)


def test_elu_is_continuous_at_zero_and_its_slope_there_is_alpha():
    for alpha in (0.5, 1.0, 2.0):
        assert act.elu(np.array([0.0]), alpha=alpha)[0] == 0.0
        assert act.elu_backward(np.array([1.0]), np.array([0.0]), alpha=alpha)[0] == alpha  # TF's branch at 0


def test_erf_and_erfc_helpers_keep_the_dtype_and_match_math():
    import math
    x = np.array([-3.0, -0.5, 0.0, 0.5, 5.0])
    np.testing.assert_array_equal(act.erf(x), [math.erf(v) for v in x])
    np.testing.assert_array_equal(act.erfc(x), [math.erfc(v) for v in x])
    assert act.erf(x.astype(np.float32)).dtype == np.float32 and act.erfc(np.array(1.0)).shape == ()


# ---------------------------------------------------------------------------------------------
# finite, no RuntimeWarning, dtype
# ---------------------------------------------------------------------------------------------

def every_call(z, dout, axis, alpha):
    """(name, thunk) for each public function on (dout, z)."""
    return [
        ("sigmoid", lambda: act.sigmoid(z)),
        ("sigmoid_backward", lambda: act.sigmoid_backward(dout, z)),
        ("tanh", lambda: act.tanh(z)),
        ("tanh_backward", lambda: act.tanh_backward(dout, z)),
        ("relu", lambda: act.relu(z)),
        ("relu_backward", lambda: act.relu_backward(dout, z)),
        ("leaky_relu", lambda: act.leaky_relu(z, alpha=alpha)),
        ("leaky_relu_backward", lambda: act.leaky_relu_backward(dout, z, alpha=alpha)),
        ("elu", lambda: act.elu(z, alpha=alpha)),
        ("elu_backward", lambda: act.elu_backward(dout, z, alpha=alpha)),
        ("silu", lambda: act.silu(z, beta=alpha)),
        ("silu_backward", lambda: act.silu_backward(dout, z, beta=alpha)),
        ("gelu", lambda: act.gelu(z)),
        ("gelu_backward", lambda: act.gelu_backward(dout, z)),
        ("gelu", lambda: act.gelu(z, approximate=True)),
        ("gelu_backward", lambda: act.gelu_backward(dout, z, approximate=True)),
        ("softmax", lambda: act.softmax(z, axis=axis)),
        ("softmax_backward", lambda: act.softmax_backward(dout, z, axis=axis)),
        ("log_softmax", lambda: act.log_softmax(z, axis=axis)),
    ]


def test_every_call_covers_every_public_function():
    names = [name for name, _ in every_call(None, None, None, None)]
    assert sorted(set(names)) == sorted(act.__all__)


@SETTINGS
@given(z_dout_axis(WIDE, dout_elements=WIDE), ALPHA)
def test_every_output_is_finite_without_runtime_warning_for_finite_input(case, alpha):
    z, dout, axis = case
    for name, call in every_call(z, dout, axis, alpha):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with np.errstate(all="warn", under="ignore"):  # underflow to 0 / subnormal is fine
                result = call()
        assert result.shape == z.shape, name
        assert np.all(np.isfinite(result)), name


@SETTINGS
@given(z_dout_axis(st.floats(-1e3, 1e3, width=32), dout_elements=st.floats(-1.0, 1.0, width=32)), ALPHA)
def test_float32_input_gives_float32_output(case, alpha):
    z, dout, axis = case
    z, dout = z.astype(np.float32), dout.astype(np.float32)
    for name, call in every_call(z, dout, axis, alpha):
        assert call().dtype == np.float32, name


@SETTINGS
@given(
    st.sampled_from([np.int8, np.int32, np.int64, np.uint8, np.bool_]).flatmap(
        lambda dtype: arrays(dtype, SHAPES)
    ),
    ALPHA,
)
def test_integer_and_bool_input_gives_float64_output_equal_to_float_input(z, alpha):
    dout = np.ones(z.shape, dtype=z.dtype)
    as_float = every_call(z.astype(np.float64), dout.astype(np.float64), -1, alpha)
    for (name, call), (_, float_call) in zip(every_call(z, dout, -1, alpha), as_float):
        result = call()
        assert result.dtype == np.float64, name
        np.testing.assert_array_equal(result, float_call(), err_msg=name)


def test_python_scalars_and_lists_are_accepted_as_float64():
    assert act.sigmoid(0).dtype == np.float64 and act.sigmoid(0) == 0.5
    assert act.relu_backward(2, 1).dtype == np.float64 and act.relu_backward(2, 1) == 2.0
    np.testing.assert_allclose(act.softmax([0, 0]), [0.5, 0.5], rtol=0, atol=0)


def test_backward_dtype_is_the_common_float_dtype_of_dout_and_z():
    z32, d64 = np.ones(3, np.float32), np.ones(3, np.float64)
    assert act.sigmoid_backward(d64, z32).dtype == np.float64
    assert act.relu_backward(z32, d64).dtype == np.float64
    assert act.softmax_backward(z32, z32).dtype == np.float32


# ---------------------------------------------------------------------------------------------
# backward passes = central finite differences of L = Σ dout ⊙ f(z)
# ---------------------------------------------------------------------------------------------

def central_difference(forward, z, dout, h=1e-6):
    """∂L/∂z for L = Σ dout ⊙ forward(z), one coordinate at a time by central differences."""
    grad = np.empty_like(z)
    for index in np.ndindex(z.shape):
        plus, minus = z.copy(), z.copy()
        plus[index] += h
        minus[index] -= h
        step = plus[index] - minus[index]  # the step actually taken, after rounding
        # Σ dout ⊙ (f(z+) − f(z−)) rather than L(z+) − L(z−): no cancellation between two big sums
        grad[index] = np.sum(dout * (forward(plus) - forward(minus))) / step
    return grad


FD_TOLERANCE = dict(rtol=1e-5, atol=1e-7)


ELEMENTWISE_PAIRS = {  # backward, forward, inputs (relu keeps away from its kink at 0)
    "sigmoid": (act.sigmoid_backward, act.sigmoid, MODERATE),
    "tanh": (act.tanh_backward, act.tanh, MODERATE),
    "relu": (act.relu_backward, act.relu, AWAY_FROM_KINK),
    "elu": (act.elu_backward, act.elu, MODERATE),  # α = 1: the slope is 1 on both sides of 0
    "silu": (act.silu_backward, act.silu, MODERATE),
    "gelu": (act.gelu_backward, act.gelu, MODERATE),
    "gelu_tanh": (partial(act.gelu_backward, approximate=True), partial(act.gelu, approximate=True), MODERATE),
}


@pytest.mark.parametrize("name", list(ELEMENTWISE_PAIRS))
@SETTINGS
@given(data=st.data())
def test_elementwise_backward_matches_central_differences(name, data):
    backward, forward, elements = ELEMENTWISE_PAIRS[name]
    z, dout = data.draw(z_and_dout(elements))
    np.testing.assert_allclose(backward(dout, z), central_difference(forward, z, dout), **FD_TOLERANCE)


@SETTINGS
@given(z_and_dout(AWAY_FROM_KINK), ALPHA)
def test_leaky_relu_backward_matches_central_differences_away_from_zero(case, alpha):
    z, dout = case
    np.testing.assert_allclose(
        act.leaky_relu_backward(dout, z, alpha=alpha),
        central_difference(lambda x: act.leaky_relu(x, alpha=alpha), z, dout),
        **FD_TOLERANCE,
    )


@SETTINGS
@given(z_and_dout(AWAY_FROM_KINK), st.floats(0.05, 3.0), st.floats(-3.0, 3.0))
def test_elu_and_silu_backward_match_central_differences_for_other_alpha_and_beta(case, alpha, beta):
    z, dout = case
    np.testing.assert_allclose(act.elu_backward(dout, z, alpha=alpha),
                               central_difference(lambda x: act.elu(x, alpha=alpha), z, dout), **FD_TOLERANCE)
    np.testing.assert_allclose(act.silu_backward(dout, z, beta=beta),
                               central_difference(lambda x: act.silu(x, beta=beta), z, dout), **FD_TOLERANCE)


@SETTINGS
@given(z_dout_axis(MODERATE))
def test_softmax_backward_matches_central_differences_along_axis(case):
    z, dout, axis = case
    np.testing.assert_allclose(
        act.softmax_backward(dout, z, axis=axis),
        central_difference(lambda x: act.softmax(x, axis=axis), z, dout),
        **FD_TOLERANCE,
    )


def test_relu_and_leaky_relu_backward_take_the_z_le_0_branch_at_exactly_zero():
    z, dout = np.array([0.0, -0.0]), np.array([3.0, -5.0])
    np.testing.assert_array_equal(act.relu_backward(dout, z), [0.0, 0.0])
    np.testing.assert_array_equal(act.leaky_relu_backward(dout, z, alpha=0.5), [1.5, -2.5])
    np.testing.assert_array_equal(act.leaky_relu(np.array([0.0]), alpha=0.5), [0.0])


# ---------------------------------------------------------------------------------------------
# input validation
# ---------------------------------------------------------------------------------------------

FORWARD = {
    "sigmoid": act.sigmoid,
    "tanh": act.tanh,
    "relu": act.relu,
    "leaky_relu": act.leaky_relu,
    "elu": act.elu,
    "silu": act.silu,
    "gelu": act.gelu,
    "softmax": act.softmax,
    "log_softmax": act.log_softmax,
}
BACKWARD = {
    "sigmoid_backward": act.sigmoid_backward,
    "tanh_backward": act.tanh_backward,
    "relu_backward": act.relu_backward,
    "leaky_relu_backward": act.leaky_relu_backward,
    "elu_backward": act.elu_backward,
    "silu_backward": act.silu_backward,
    "gelu_backward": act.gelu_backward,
    "softmax_backward": act.softmax_backward,
}
AXIS_FUNCTIONS = {
    "softmax": lambda z, axis: act.softmax(z, axis=axis),
    "log_softmax": lambda z, axis: act.log_softmax(z, axis=axis),
    "softmax_backward": lambda z, axis: act.softmax_backward(np.ones_like(z), z, axis=axis),
}
ALPHA_FUNCTIONS = {  # the name of each function's real-number hyperparameter is its own
    "leaky_relu": lambda alpha: act.leaky_relu(np.ones(3), alpha=alpha),
    "leaky_relu_backward": lambda alpha: act.leaky_relu_backward(np.ones(3), np.ones(3), alpha=alpha),
    "elu": lambda alpha: act.elu(np.ones(3), alpha=alpha),
    "elu_backward": lambda alpha: act.elu_backward(np.ones(3), np.ones(3), alpha=alpha),
}
BETA_FUNCTIONS = {
    "silu": lambda beta: act.silu(np.zeros(3), beta=beta),
    "silu_backward": lambda beta: act.silu_backward(np.ones(3), np.zeros(3), beta=beta),
}
APPROXIMATE_FUNCTIONS = {
    "gelu": lambda flag: act.gelu(np.ones(3), approximate=flag),
    "gelu_backward": lambda flag: act.gelu_backward(np.ones(3), np.ones(3), approximate=flag),
}

# (bad value, regex of what follows "<argument name> must ")
BAD_ARRAYS = {
    "string": ("abc", r"hold real numbers \(float or int\), got dtype <U3"),
    "list_of_strings": (["1.0", "2.0"], r"hold real numbers \(float or int\), got dtype <U3"),
    "bytes": (b"abc", r"hold real numbers \(float or int\), got dtype \|S3"),
    "None": (None, r"be a real-valued array or number, got None"),
    "complex": (np.array([1.0 + 2.0j, 3.0]), r"hold real numbers .*complex numbers are not supported"),
    "python_complex": (1j, r"hold real numbers .*complex numbers are not supported"),
    "object_list": ([1.0, None], r"hold real numbers \(float or int\), got dtype object"),
    "ragged_list": ([[1.0, 2.0], [3.0]], r"be a rectangular array of real numbers"),
}


@pytest.mark.parametrize("bad", list(BAD_ARRAYS))
@pytest.mark.parametrize("name", list(FORWARD))
def test_forward_rejects_non_real_z_with_type_error_naming_z(name, bad):
    value, message = BAD_ARRAYS[bad]
    with pytest.raises(TypeError, match="^z must " + message):
        FORWARD[name](value)


@pytest.mark.parametrize("bad", list(BAD_ARRAYS))
@pytest.mark.parametrize("argument", ["dout", "z"])
@pytest.mark.parametrize("name", list(BACKWARD))
def test_backward_rejects_non_real_dout_or_z_with_type_error_naming_it(name, argument, bad):
    value, message = BAD_ARRAYS[bad]
    good = np.ones(3)
    args = {"dout": good, "z": good, argument: value}
    with pytest.raises(TypeError, match=f"^{argument} must " + message):
        BACKWARD[name](args["dout"], args["z"])


@pytest.mark.parametrize(
    ("dout_shape", "z_shape"),
    [((2, 3), (3,)), ((3,), (2, 3)), ((1, 3), (2, 3)), ((3, 2), (2, 3)), ((), (1,)), ((0,), (1,))],
)
@pytest.mark.parametrize("name", list(BACKWARD))
def test_backward_rejects_mismatched_shapes_with_value_error_naming_both_shapes(name, dout_shape, z_shape):
    # also shapes NumPy would happily broadcast: the gradient must have exactly z's shape
    expected = f"z must have the same shape as dout: got z.shape = {z_shape}, dout.shape = {dout_shape}"
    with pytest.raises(ValueError, match=re.escape(expected)):
        BACKWARD[name](np.ones(dout_shape), np.ones(z_shape))


@pytest.mark.parametrize("axis", [2, -3, 10])
@pytest.mark.parametrize("name", list(AXIS_FUNCTIONS))
def test_axis_out_of_range_raises_value_error_listing_valid_axes(name, axis):
    expected = f"axis {axis} is out of range for z with 2 dimension(s) (shape (2, 3)); valid axes are -2..1"
    with pytest.raises(ValueError, match=re.escape(expected)):
        AXIS_FUNCTIONS[name](np.ones((2, 3)), axis)


@pytest.mark.parametrize("axis", [1.0, "1", None, (0, 1), np.float64(0.0)])
@pytest.mark.parametrize("name", list(AXIS_FUNCTIONS))
def test_non_integer_axis_raises_type_error(name, axis):
    with pytest.raises(TypeError, match=re.escape(f"axis must be an integer, got {axis!r}")):
        AXIS_FUNCTIONS[name](np.ones((2, 3)), axis)


@pytest.mark.parametrize("axis", [np.int64(0), np.int8(-1), 1, -2])
@pytest.mark.parametrize("name", list(AXIS_FUNCTIONS))
def test_integer_like_axis_is_accepted_and_normalises_that_axis(name, axis):
    z = np.arange(6.0).reshape(2, 3)
    result = AXIS_FUNCTIONS[name](z, axis)
    assert result.shape == z.shape
    if name == "softmax":
        np.testing.assert_allclose(result.sum(axis=int(axis)), 1.0, rtol=1e-14)


@pytest.mark.parametrize("name", list(AXIS_FUNCTIONS))
def test_zero_dimensional_input_to_softmax_family_raises_value_error(name):
    with pytest.raises(ValueError, match=r"^z must have at least one dimension to normalise over, got a 0-d value"):
        AXIS_FUNCTIONS[name](np.float64(3.0), -1)


@pytest.mark.parametrize("alpha", [float("nan"), float("inf"), -float("inf"), np.float32("nan")])
@pytest.mark.parametrize("name", list(ALPHA_FUNCTIONS))
def test_non_finite_alpha_raises_value_error(name, alpha):
    with pytest.raises(ValueError, match=r"^alpha must be finite, got (nan|inf|-inf)$"):
        ALPHA_FUNCTIONS[name](alpha)


@pytest.mark.parametrize("alpha", ["0.2", None, 0.2j, True, np.True_, [0.2], np.array([0.2])])
@pytest.mark.parametrize("name", list(ALPHA_FUNCTIONS))
def test_non_real_alpha_raises_type_error_naming_alpha(name, alpha):
    with pytest.raises(TypeError, match="^" + re.escape(f"alpha must be a real number, got {alpha!r}")):
        ALPHA_FUNCTIONS[name](alpha)


@pytest.mark.parametrize("alpha", [np.float32(0.5), np.int64(0), 1, 0.5])
@pytest.mark.parametrize("name", list(ALPHA_FUNCTIONS))
def test_real_scalar_alpha_of_any_numeric_type_is_accepted(name, alpha):
    result = ALPHA_FUNCTIONS[name](alpha)
    np.testing.assert_array_equal(result, np.ones(3))  # z = 1 > 0: alpha does not enter


@pytest.mark.parametrize("beta", [float("nan"), float("inf")])
@pytest.mark.parametrize("name", list(BETA_FUNCTIONS))
def test_non_finite_beta_raises_value_error(name, beta):
    with pytest.raises(ValueError, match=r"^beta must be finite"):
        BETA_FUNCTIONS[name](beta)


@pytest.mark.parametrize("beta", ["1", None, [1.0]])
@pytest.mark.parametrize("name", list(BETA_FUNCTIONS))
def test_non_real_beta_raises_type_error_naming_beta(name, beta):
    with pytest.raises(TypeError, match="^" + re.escape(f"beta must be a real number, got {beta!r}")):
        BETA_FUNCTIONS[name](beta)


@pytest.mark.parametrize("flag", [1, 0, "yes", None, 1.0])
@pytest.mark.parametrize("name", list(APPROXIMATE_FUNCTIONS))
def test_approximate_must_be_a_bool(name, flag):
    with pytest.raises(TypeError, match="^" + re.escape(f"approximate must be True or False, got {flag!r}")):
        APPROXIMATE_FUNCTIONS[name](flag)


@pytest.mark.parametrize("flag", [True, False, np.True_])
@pytest.mark.parametrize("name", list(APPROXIMATE_FUNCTIONS))
def test_approximate_accepts_python_and_numpy_bools(name, flag):
    assert APPROXIMATE_FUNCTIONS[name](flag).shape == (3,)


class LearnerCodeRan(AssertionError):
    pass


class Tripwire:
    """Stands in for ``np`` inside dlmath.activations: any use by a function body trips it."""

    def __getattr__(self, attribute):
        raise LearnerCodeRan(f"function body used np.{attribute} before validation rejected the input")


INVALID_CALLS = {
    "sigmoid(str)": lambda: act.sigmoid("abc"),
    "tanh(None)": lambda: act.tanh(None),
    "relu(complex)": lambda: act.relu(np.array([1j])),
    "leaky_relu(alpha=nan)": lambda: act.leaky_relu([1.0], alpha=float("nan")),
    "softmax(0-d)": lambda: act.softmax(1.0),
    "log_softmax(axis=5)": lambda: act.log_softmax([1.0, 2.0], axis=5),
    "sigmoid_backward(shapes)": lambda: act.sigmoid_backward([1.0, 2.0], [1.0]),
    "tanh_backward(ragged)": lambda: act.tanh_backward([[1.0], [1.0, 2.0]], [1.0, 2.0]),
    "relu_backward(None)": lambda: act.relu_backward([1.0], None),
    "leaky_relu_backward(alpha='x')": lambda: act.leaky_relu_backward([1.0], [1.0], alpha="x"),
    "softmax_backward(axis=1.0)": lambda: act.softmax_backward([1.0], [1.0], axis=1.0),
    "elu(alpha=inf)": lambda: act.elu([1.0], alpha=float("inf")),
    "elu_backward(shapes)": lambda: act.elu_backward([1.0, 2.0], [1.0]),
    "silu(beta='x')": lambda: act.silu([1.0], beta="x"),
    "silu_backward(None)": lambda: act.silu_backward(None, [1.0]),
    "gelu(approximate=1)": lambda: act.gelu([1.0], approximate=1),
    "gelu_backward(approximate=None)": lambda: act.gelu_backward([1.0], [1.0], approximate=None),
}


@pytest.mark.parametrize("label", list(INVALID_CALLS))
def test_validation_rejects_bad_input_before_the_function_body_runs(monkeypatch, label):
    monkeypatch.setattr(act, "np", Tripwire())
    # the tripwire is live: a valid call does reach the body
    with pytest.raises(LearnerCodeRan):
        act.sigmoid([0.0])
    with pytest.raises((TypeError, ValueError)) as raised:
        INVALID_CALLS[label]()
    assert not isinstance(raised.value, LearnerCodeRan)


# ---------------------------------------------------------------------------------------------
# Edge cases found while writing these tests (once defects, now fixed).
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(AXIS_FUNCTIONS))
def test_bool_axis_raises_type_error(name):
    with pytest.raises(TypeError, match="axis must be an integer"):
        AXIS_FUNCTIONS[name](np.ones((2, 3)), True)


@pytest.mark.parametrize("shape", [(0,), (2, 0)])
@pytest.mark.parametrize("name", list(AXIS_FUNCTIONS))
def test_empty_normalisation_axis_raises_a_dlmath_message_naming_z(name, shape):
    with pytest.raises(ValueError, match="^z "):
        AXIS_FUNCTIONS[name](np.ones(shape), -1)


def test_softmax_is_exact_and_warning_free_up_to_the_documented_spread_limit():
    # the module promises no warning while max − min along the axis is a float (< ~1.8e308)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(act.softmax(np.array([1e307, -1e307])), [1.0, 0.0])
        np.testing.assert_array_equal(act.log_softmax(np.array([1e307, -1e307])), [0.0, -2e307])
