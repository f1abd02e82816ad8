"""dlmath.calculus without TensorFlow: hand-derived values, invariants (hypothesis), exact restoring
of x, validation, the chapter's check cases, and that the learner's checks name each simulated mistake.
"""
from __future__ import annotations

import functools

import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from conftest import run_python
from dlmath import calculus
from dlmath.checking.cases import load_chapter_file
from grading import chapters, demo, editions
from grading.references import math_toolkit as ref

CHAPTER = "01_math_toolkit"
SETTINGS = settings(max_examples=40, deadline=None)
SHAPES = array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
MODERATE = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)


def float_arrays(shape=SHAPES, elements=MODERATE):
    return arrays(np.float64, shape, elements=elements)


# ---------------------------------------------------------------------------------------------
# numerical_derivative: hand-derived values and the orders of accuracy
# ---------------------------------------------------------------------------------------------

@SETTINGS
@given(float_arrays(), st.sampled_from([1e-1, 1e-2, 1e-3]))
def test_central_difference_of_a_cube_is_three_x_squared_plus_h_squared(x, h):
    # (x + h)³ − (x − h)³ = 6x²h + 2h³, so the quotient is exactly 3x² + h² (f''' = 6: error h²f'''/6)
    result = calculus.numerical_derivative(lambda t: t ** 3, x, h)
    np.testing.assert_allclose(result, 3 * x ** 2 + h ** 2, rtol=1e-9, atol=1e-9)


def test_central_difference_is_second_order_and_forward_first_order():
    x, exact = 1.0, np.cos(1.0)
    central = [abs(float(calculus.numerical_derivative(np.sin, x, h)) - exact) for h in (1e-2, 1e-3)]
    assert central[0] / central[1] == pytest.approx(100, rel=1e-3)  # O(h²): 10× smaller h, 100× smaller error
    forward = [abs((np.sin(x + h) - np.sin(x)) / h - exact) for h in (1e-2, 1e-3)]
    assert forward[0] / forward[1] == pytest.approx(10, rel=2e-2)   # O(h)


def test_default_step_gives_about_ten_correct_digits_and_a_tiny_step_does_not():
    # notebook §2.3: h ≈ ε^(1/3) balances truncation and round-off; at h = 1e-13 round-off dominates
    assert abs(float(calculus.numerical_derivative(np.sin, 1.0)) - np.cos(1.0)) < 1e-10
    assert abs(float(calculus.numerical_derivative(np.sin, 1.0, 1e-13)) - np.cos(1.0)) > 1e-6


def test_numerical_derivative_accepts_numbers_lists_and_float32_and_returns_float64():
    assert calculus.numerical_derivative(np.exp, 0).dtype == np.float64
    assert float(calculus.numerical_derivative(np.exp, 0)) == pytest.approx(1.0, rel=1e-10)
    result = calculus.numerical_derivative(np.sin, np.array([0.5, 1.0], np.float32))
    assert result.dtype == np.float64
    np.testing.assert_allclose(result, np.cos(np.array([0.5, 1.0], np.float32).astype(np.float64)), rtol=1e-9)
    assert calculus.numerical_derivative(np.sin, [[0.0, 1.0]]).shape == (1, 2)


# ---------------------------------------------------------------------------------------------
# numerical_gradient and numerical_jacobian
# ---------------------------------------------------------------------------------------------

@st.composite
def quadratic(draw):
    """x of any shape and the symmetric A, b of f(x) = ½ xᵀAx + bᵀx over x flattened."""
    x = draw(float_arrays())
    n = x.size
    M = draw(arrays(np.float64, (n, n), elements=MODERATE))
    b = draw(arrays(np.float64, (n,), elements=MODERATE))
    return x, (M + M.T) / 2, b


@SETTINGS
@given(quadratic())
def test_gradient_of_a_quadratic_is_a_x_plus_b_in_the_shape_of_x(case):
    x, A, b = case
    before = x.copy()
    result = calculus.numerical_gradient(lambda v: 0.5 * v.ravel() @ A @ v.ravel() + b @ v.ravel(), x)
    assert result.shape == x.shape and result.dtype == np.float64
    # the central difference of a quadratic is exact; what is left is round-off, ~ε·|f|/h
    np.testing.assert_allclose(result.ravel(), A @ x.ravel() + b, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(x, before)


def _binade_edges(n, h=1e-5):
    """Values just below powers of two, where x + h − h is not x (see grading.references.math_toolkit)."""
    rng = np.random.default_rng(0)
    return ref._drifting(rng, np.zeros(n), h, count=n)


@pytest.mark.parametrize("function", ["numerical_gradient", "numerical_jacobian"])
def test_x_is_restored_bit_for_bit_even_where_adding_and_subtracting_h_is_not_exact(function):
    x = _binade_edges(6).reshape(2, 3)
    naive = x.copy()
    for i in np.ndindex(naive.shape):   # the tempting way back: it drifts on these values
        naive[i] += 1e-5
        naive[i] -= 1e-5
    assert not np.array_equal(naive, x)
    before = x.copy()
    getattr(calculus, function)(lambda v: np.sin(v).sum() if function == "numerical_gradient" else np.sin(v), x)
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_perturbs_the_callers_array_in_place_so_closures_work():
    W = np.arange(6.0).reshape(2, 3) / 10
    X = np.array([[1.0, -2.0], [0.5, 3.0]])

    def loss():
        return np.sum((X @ W) ** 2)

    result = calculus.numerical_gradient(lambda _: loss(), W)
    np.testing.assert_allclose(result, 2 * X.T @ (X @ W), rtol=1e-8)  # d/dW Σ (XW)² = 2Xᵀ(XW)
    column = W[:, 1]  # a view: perturbing it must perturb (and restore) W itself
    np.testing.assert_allclose(calculus.numerical_gradient(lambda _: loss(), column), (2 * X.T @ (X @ W))[:, 1], rtol=1e-8)
    np.testing.assert_array_equal(W, np.arange(6.0).reshape(2, 3) / 10)


@SETTINGS
@given(array_shapes(min_dims=0, max_dims=2, max_side=3), array_shapes(min_dims=1, max_dims=2, max_side=3), st.data())
def test_jacobian_of_a_linear_map_is_its_coefficient_array_output_axes_first(out_shape, in_shape, data):
    # f(x)[o] = Σ_i A[o, i] x[i] has J[o, i] = A[o, i]: the layout S_out + S_in, by construction
    A = data.draw(arrays(np.float64, out_shape + in_shape, elements=MODERATE))
    x = data.draw(float_arrays(in_shape))
    result = calculus.numerical_jacobian(lambda v: np.tensordot(A, v, axes=v.ndim), x)
    assert result.shape == out_shape + in_shape
    np.testing.assert_allclose(result, A, rtol=1e-7, atol=1e-8)


@SETTINGS
@given(float_arrays(array_shapes(min_dims=1, max_dims=2, max_side=4), st.floats(0.2, 3.0)))
def test_jacobian_of_an_elementwise_function_is_diagonal_with_the_derivatives(x):
    J = calculus.numerical_jacobian(np.log, x).reshape(x.size, x.size)
    np.testing.assert_allclose(J, np.diag(1 / x.ravel()), rtol=1e-8, atol=1e-9)


@SETTINGS
@given(float_arrays(array_shapes(min_dims=1, max_dims=1, min_side=2, max_side=4)), st.data())
def test_vector_jacobian_product_is_the_gradient_of_v_dot_f(x, data):
    def f(v):
        return np.sin(v) * np.roll(v, 1)
    u = data.draw(float_arrays(x.shape))
    vjp = u @ calculus.numerical_jacobian(f, x.copy())
    np.testing.assert_allclose(vjp, calculus.numerical_gradient(lambda v: u @ f(v), x.copy()), rtol=1e-6, atol=1e-8)


def test_chain_rule_jacobian_of_a_composition_is_the_product_of_jacobians():
    def f(p):
        return np.array([p[0] * np.cos(p[1]), p[0] * np.sin(p[1])])

    def g(y):
        return np.array([y[0] * y[1], y[0] + y[1] ** 2, np.exp(y[0])])

    p = np.array([1.5, 0.8])
    composed = calculus.numerical_jacobian(lambda q: g(f(q)), p)
    product = calculus.numerical_jacobian(g, f(p)) @ calculus.numerical_jacobian(f, p)
    np.testing.assert_allclose(composed, product, rtol=1e-8, atol=1e-9)


def test_jacobian_of_a_scalar_function_is_its_gradient():
    x = np.array([[0.3, -1.2], [2.0, 0.7]])
    np.testing.assert_array_equal(calculus.numerical_jacobian(lambda v: np.sum(v ** 3), x.copy()),
                                  calculus.numerical_gradient(lambda v: np.sum(v ** 3), x.copy()))


# ---------------------------------------------------------------------------------------------
# relative_error
# ---------------------------------------------------------------------------------------------

@SETTINGS
@given(float_arrays(), st.data(), st.floats(1e-6, 1e6))
def test_relative_error_is_symmetric_scale_free_and_between_0_and_1(a, data, scale):
    b = data.draw(float_arrays(a.shape))
    rel = calculus.relative_error(a, b)
    assert isinstance(rel, float) and 0.0 <= rel <= 1.0
    assert calculus.relative_error(b, a) == rel
    # scale-free up to rounding: scaling rounds a and b (one ulp each), so a − b for b ≈ a moves by ~2ε relative
    # to ‖a‖ + ‖b‖ (hypothesis found a = b·(1 + 1e-16): 1.01e-16 vs 1.06e-16)
    assert calculus.relative_error(scale * a, scale * b) == pytest.approx(rel, rel=1e-9, abs=4 * np.finfo(float).eps)


def test_relative_error_hand_computed_values():
    assert calculus.relative_error([3.0, 0.0], [0.0, 4.0]) == pytest.approx(5 / 7, rel=1e-15)  # ‖(3,−4)‖ / (3 + 4)
    a = np.array([[1.0, -2.0], [0.5, 4.0]])
    assert calculus.relative_error(a, a) == 0.0
    assert calculus.relative_error(a, -a) == 1.0
    assert calculus.relative_error(a, np.zeros_like(a)) == 1.0
    assert calculus.relative_error(1.0, 1.001) == pytest.approx(0.001 / 2.001, rel=1e-12)


def test_relative_error_of_zero_arrays_is_zero_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert calculus.relative_error(np.zeros(3), np.zeros(3)) == 0.0
        assert calculus.relative_error(0, 0) == 0.0


# ---------------------------------------------------------------------------------------------
# unbroadcast
# ---------------------------------------------------------------------------------------------

@st.composite
def operand_and_grad_shapes(draw):
    """An operand shape and a shape it broadcasts to (leading axes added, size-1 axes stretched)."""
    target = draw(array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4))
    keep = draw(st.integers(0, len(target)))
    operand = tuple(1 if draw(st.booleans()) else n for n in target[len(target) - keep:])
    return operand, target


@SETTINGS
@given(operand_and_grad_shapes(), st.data())
def test_unbroadcast_is_the_adjoint_of_broadcasting(shapes, data):
    # for the linear map B: b ↦ broadcast_to(b, S), the VJP is its adjoint: ⟨G, B(b)⟩ = ⟨Bᵀ(G), b⟩
    operand, target = shapes
    G = data.draw(float_arrays(target))
    b = data.draw(float_arrays(operand))
    result = calculus.unbroadcast(G, operand)
    assert result.shape == operand and result.dtype == np.float64
    assert np.sum(G * np.broadcast_to(b, target)) == pytest.approx(np.sum(result * b), rel=1e-9, abs=1e-9)


@SETTINGS
@given(operand_and_grad_shapes(), st.data())
def test_unbroadcast_equals_the_gradient_of_the_bias_by_finite_differences(shapes, data):
    operand, target = shapes
    G = data.draw(float_arrays(target))
    loss = lambda b: np.sum(G * np.broadcast_to(b, target))  # noqa: E731 — dL/d(broadcast) = G
    numeric = calculus.numerical_gradient(loss, np.zeros(operand))
    np.testing.assert_allclose(calculus.unbroadcast(G, operand), numeric, rtol=1e-6, atol=1e-8)


def test_unbroadcast_keeps_float32_turns_ints_into_float64_and_never_returns_a_view():
    assert calculus.unbroadcast(np.ones((2, 3), np.float32), (3,)).dtype == np.float32
    assert calculus.unbroadcast(np.ones((2, 3), np.int64), (1, 3)).dtype == np.float64
    grad = np.arange(6.0).reshape(2, 3)
    for shape in [(2, 3), (3,), ()]:
        result = calculus.unbroadcast(grad, shape)
        assert isinstance(result, np.ndarray) and not np.shares_memory(result, grad)
    np.testing.assert_array_equal(calculus.unbroadcast(grad, [1, 3]), [[3.0, 5.0, 7.0]])  # a list works too


# ---------------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------------

GRADIENT_LIKE = ["numerical_gradient", "numerical_jacobian"]
ALL_DIFFERENCES = ["numerical_derivative"] + GRADIENT_LIKE


@pytest.mark.parametrize("function", ALL_DIFFERENCES)
def test_a_non_callable_f_raises_type_error(function):
    with pytest.raises(TypeError, match="^f must be a function, got ndarray$"):
        getattr(calculus, function)(np.ones(2), np.ones(2))


@pytest.mark.parametrize(("h", "error", "message"), [
    (0.0, ValueError, "h must be a positive step, got 0.0"), (-1e-5, ValueError, "h must be a positive step"),
    (float("nan"), ValueError, "h must be finite"), ("1e-5", TypeError, "h must be a real number"),
    (True, TypeError, "h must be a real number"),
])
@pytest.mark.parametrize("function", ALL_DIFFERENCES)
def test_a_bad_step_raises(function, h, error, message):
    with pytest.raises(error, match="^" + re.escape(message)):
        getattr(calculus, function)(np.sin, np.ones(2), h)


@pytest.mark.parametrize(("x", "error", "message"), [
    ([1.0, 2.0], TypeError, "x must be a NumPy array"),
    (np.ones(2, np.float32), TypeError, "x must have dtype float64"),
    (np.ones(2, np.int64), TypeError, "x must have dtype float64"),
    (np.broadcast_to(np.ones(1), (3,)), ValueError, "x must be writeable"),
])
@pytest.mark.parametrize("function", GRADIENT_LIKE)
def test_x_must_be_a_writeable_float64_array(function, x, error, message):
    with pytest.raises(error, match="^" + re.escape(message)):
        getattr(calculus, function)(np.sum, x)


def test_numerical_gradient_of_a_non_scalar_function_raises_value_error_naming_the_shape():
    with pytest.raises(ValueError, match=re.escape("f must return a single number, got an array of shape (3,)")):
        calculus.numerical_gradient(np.sin, np.ones(3))


def test_relative_error_rejects_different_shapes_and_non_numbers():
    with pytest.raises(ValueError, match=re.escape("a and b must have the same shape, got a.shape = (3,), b.shape = (1, 3)")):
        calculus.relative_error(np.ones(3), np.ones((1, 3)))
    with pytest.raises(TypeError, match="^b must hold real numbers"):
        calculus.relative_error(np.ones(2), ["x", "y"])


@pytest.mark.parametrize(("shape", "error", "message"), [
    ((5,), ValueError, "an operand of shape (5,) does not broadcast to the gradient's shape (2, 3)"),
    ((1, 2, 3), ValueError, "an operand of shape (1, 2, 3) does not broadcast"),
    (3, TypeError, "shape must be a tuple of non-negative integers, got 3"),
    ((2.0, 3), TypeError, "shape must be a tuple of non-negative integers"),
    ((True, 3), TypeError, "shape must be a tuple of non-negative integers"),
    ("23", TypeError, "shape must be a tuple of non-negative integers"),
    ((-1, 3), ValueError, "shape must hold non-negative sizes"),
])
def test_unbroadcast_rejects_shapes_that_do_not_broadcast_or_are_not_shapes(shape, error, message):
    with pytest.raises(error, match="^" + re.escape(message)):
        calculus.unbroadcast(np.ones((2, 3)), shape)


# ---------------------------------------------------------------------------------------------
# the chapter's check cases (public and hidden) catch what they claim to catch
# ---------------------------------------------------------------------------------------------

def _specs(audience):
    chapter = chapters.get(CHAPTER)
    return load_chapter_file(chapter.public_cases if audience == "public" else chapter.hidden_fixture)


@pytest.mark.parametrize("audience", ["public", "hidden"])
def test_instructor_solutions_pass_every_case_with_a_wide_margin(audience):
    from dlmath.checking import callables, calling

    for name, spec in _specs(audience).items():
        function = getattr(calculus, name)
        if spec.driver:  # a contract driver (issue 13): numerical_gradient's closures, unbroadcast's fresh result
            function = functools.partial(callables.DRIVERS[spec.driver], function)
        for case in spec.cases:
            args, kwargs = calling.prepared_arguments(case)
            got = np.asarray(function(*args, **kwargs))
            error = np.abs(got - case.expected) / (case.atol + case.rtol * np.abs(case.expected))
            assert got.shape == case.expected.shape and np.max(error, initial=0) < 0.05, (name, case.name)


@pytest.mark.parametrize("audience", ["public", "hidden"])
def test_every_finite_difference_case_catches_a_restore_by_adding_and_subtracting_h(audience):
    for name in GRADIENT_LIKE:
        for case in _specs(audience)[name].cases:
            x, h = case.args[1], case.kwargs.get("h", 1e-5)
            drifted = x.copy()
            for i in np.ndindex(x.shape):
                drifted[i] += h
                drifted[i] -= h
            assert not np.array_equal(drifted, x), (name, case.name)


@pytest.mark.parametrize("audience", ["public", "hidden"])
def test_forward_differences_and_a_missing_factor_two_fail_the_tolerance(audience):
    specs = _specs(audience)
    for name in ALL_DIFFERENCES:
        hints = [m.hint for case in specs[name].cases for m in case.mistakes]
        assert sum("forward difference" in h for h in hints) >= 3, name
        assert all(any("2h" in m.hint for m in case.mistakes) for case in specs[name].cases
                   if not np.allclose(case.expected, 0, atol=1e-6)), name


def test_only_a_case_with_a_large_step_tells_whether_h_is_used():
    steps = [case.kwargs.get("h") for name in ALL_DIFFERENCES for case in _specs("public")[name].cases]
    assert any(h is not None and h >= 1e-2 for h in steps)


# ---------------------------------------------------------------------------------------------
# the learner's checks name each simulated mistake (grading.references.math_toolkit.CLASS)
# ---------------------------------------------------------------------------------------------

NAMED = {  # student → text the check must print
    "forward_difference": "You used a forward difference",
    "drifting_restore": "x was not restored exactly",
    "rows_only": "x[i] is a whole row",
    "jacobian_transposed": "Your Jacobian has the input axes first",
    "no_zero_guard": "Two zero arrays give 0/0",
    "leading_axes_only": "with keepdims=True, over every axis where `shape`",
}


def test_every_simulated_student_has_a_named_mistake_and_loses_only_its_own_function():
    assert set(NAMED) == set(ref.CLASS)
    for student, bodies in ref.CLASS.items():
        assert ref.EXPECTED_LOSSES[student] == set(bodies)


@pytest.mark.parametrize("student", sorted(ref.CLASS))
def test_check_names_the_simulated_students_mistake(tmp_path, student):
    editions.write_student_package(CHAPTER, tmp_path)
    (tmp_path / "dlmath" / "calculus.py").write_text(demo.solved_module("calculus", ref.CLASS[student], CHAPTER),
                                                       encoding="utf-8")
    (function,) = ref.CLASS[student]
    done = run_python(["-m", "dlmath", "check", function], tmp_path)
    assert done.returncode == 1, done.stdout
    assert f"✗ dlmath.calculus.{function}" in done.stdout
    assert NAMED[student] in done.stdout, done.stdout


def test_check_passes_the_solved_chapter(tmp_path):
    editions.write_student_package(CHAPTER, tmp_path)
    (tmp_path / "dlmath" / "calculus.py").write_text(demo.solved_module("calculus", {}, CHAPTER), encoding="utf-8")
    done = run_python(["-m", "dlmath", "check", CHAPTER], tmp_path)
    assert done.returncode == 0, done.stdout
    assert "5/5 functions pass all their checks" in done.stdout
