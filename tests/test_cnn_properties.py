"""dlmath.conv without TensorFlow: hand-derived values, a seven-loop definition, finite differences,
adjointness, shapes, dtypes and validation; then the chapter's typical mistakes as the learner's checks and
the grader see them. The comparisons with live TensorFlow are in test_cnn_tensorflow.py.
"""
from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_python
from dlmath import conv
from dlmath.calculus import numerical_gradient, relative_error
from grading import chapters, demo, editions
from grading.judge import judge_submission
from grading.references import cnn as reference

CHAPTER = "08_cnn"
SETTINGS = settings(max_examples=30, deadline=None)
GRID = list(itertools.product((1, 2, 3), ("VALID", "SAME"), (1, 2)))  # stride × padding × dilation


# ---- a definition to compare with: seven loops, straight from the formula ---------------------------

def loop_conv(x, w, b, stride, padding, dilation):
    """y[n,i,j,f] = b[f] + Σ_{a,b,c} x_pad[n, i·s + a·d, j·s + b·d, c] · w[a,b,c,f], padding per TF's rule
    (out = ⌈n/s⌉, total = max((out − 1)s + (k − 1)d + 1 − n, 0), the extra at the bottom/right)."""
    N, H, W, C = x.shape
    kh, kw, _, F = w.shape
    pads, outs = [], []
    for n, k in ((H, kh), (W, kw)):
        k_eff = (k - 1) * dilation + 1
        if padding == "SAME":
            out = math.ceil(n / stride)
            total = max((out - 1) * stride + k_eff - n, 0)
            pads.append((total // 2, total - total // 2))
        else:
            out = math.ceil((n - k_eff + 1) / stride)
            pads.append((0, 0))
        outs.append(out)
    xp = np.pad(x, ((0, 0), *pads, (0, 0)))
    y = np.zeros((N, *outs, F))
    for n, i, j, f in itertools.product(range(N), range(outs[0]), range(outs[1]), range(F)):
        total = 0.0 if b is None else b[f]
        for a, bb, c in itertools.product(range(kh), range(kw), range(C)):
            total += xp[n, i * stride + a * dilation, j * stride + bb * dilation, c] * w[a, bb, c, f]
        y[n, i, j, f] = total
    return y


@pytest.mark.parametrize("stride, padding, dilation", GRID)
def test_conv2d_forward_equals_the_seven_loop_definition(stride, padding, dilation):
    rng = np.random.default_rng(stride * 10 + dilation)
    for size, kernel in [((7, 8), (3, 2)), ((8, 6), (2, 3))]:
        x, w, b = rng.normal(size=(2, *size, 3)), rng.normal(size=(*kernel, 3, 2)), rng.normal(size=2)
        np.testing.assert_allclose(conv.conv2d_forward(x, w, b, stride, padding, dilation),
                                   loop_conv(x, w, b, stride, padding, dilation), rtol=1e-12, atol=1e-12)


def test_convolution_is_correlation_a_hand_computed_example():
    # x = 1..9 in a 3×3 grid, w = [[1, 0], [0, -1]]: y[i, j] = x[i, j] − x[i+1, j+1] = −4 everywhere
    x = np.arange(1.0, 10.0).reshape(1, 3, 3, 1)
    w = np.array([[1.0, 0.0], [0.0, -1.0]]).reshape(2, 2, 1, 1)
    np.testing.assert_array_equal(conv.conv2d_forward(x, w, None)[0, :, :, 0], [[-4, -4], [-4, -4]])
    # a flipped kernel (true convolution) would give +4: the frameworks' "convolution" does not flip
    np.testing.assert_array_equal(conv.conv2d_forward(x, w[::-1, ::-1], None)[0, :, :, 0], [[4, 4], [4, 4]])


def test_same_padding_hand_values():
    assert conv.same_padding((7, 7), (3, 3)) == (1, 1, 1, 1)          # total 2: one each side
    assert conv.same_padding((6, 6), (2, 2)) == (0, 1, 0, 1)          # total 1: the extra bottom/right
    assert conv.same_padding((8, 8), (3, 3), 2) == (0, 1, 0, 1)       # out 4: (4−1)·2 + 3 − 8 = 1
    assert conv.same_padding((7, 7), (3, 3), 2) == (1, 1, 1, 1)       # out 4: (4−1)·2 + 3 − 7 = 2
    assert conv.same_padding((9, 9), (3, 3), 1, 2) == (2, 2, 2, 2)    # k_eff 5: total 4
    assert conv.same_padding((8, 8), (1, 1), 3) == (0, 0, 0, 0)       # (3−1)·3 + 1 − 8 = −1 → 0
    assert conv.same_padding((7, 8), (3, 2), (2, 1), (1, 2)) == (1, 1, 1, 1)
    assert all(type(p) is int for p in conv.same_padding((7, 8), 3, 2))


@pytest.mark.parametrize("n, k, s, padding, d, expected", [
    (7, 3, 1, "VALID", 1, 5), (7, 3, 2, "VALID", 1, 3), (8, 3, 2, "VALID", 1, 3), (10, 2, 3, "VALID", 1, 3),
    (9, 3, 1, "VALID", 2, 5), (12, 3, 2, "VALID", 2, 4), (6, 4, 1, "VALID", 2, 0), (5, 9, 2, "VALID", 1, 0),
    (7, 3, 1, "SAME", 1, 7), (7, 3, 2, "same", 1, 4), (11, 3, 3, "SAME", 2, 4), (3, 5, 1, "SAME", 1, 3),
])
def test_conv_output_size_hand_values(n, k, s, padding, d, expected):
    # VALID: ⌈(n − (k − 1)d)/s⌉, at least 0; SAME: ⌈n/s⌉
    got = conv.conv_output_size(n, k, s, padding, d)
    assert got == expected and type(got) is int


@SETTINGS
@given(st.integers(1, 12), st.integers(1, 5), st.integers(1, 4), st.sampled_from(["VALID", "SAME"]), st.integers(1, 3))
def test_output_size_and_padding_agree_with_the_arrays(n, k, s, padding, d):
    """conv_output_size is the length im2col produces; SAME's padding makes exactly out windows fit."""
    k_eff = (k - 1) * d + 1
    out = conv.conv_output_size(n, k, s, padding, d)
    if padding == "VALID" and k_eff > n:
        assert out == 0
        return
    cols = conv.im2col(np.zeros((1, n, 1, 1)), (k, 1), (s, 1), padding, (d, 1))
    assert cols.shape[1] == out
    if padding == "SAME":
        top, bottom, _, _ = conv.same_padding((n, 1), (k, 1), (s, 1), (d, 1))
        assert (n + top + bottom - k_eff) // s + 1 == out and 0 <= bottom - top <= 1
        assert top + bottom < k_eff  # never a window made of padding only


# ---- im2col and col2im ------------------------------------------------------------------------------

@pytest.mark.parametrize("stride, padding, dilation", GRID)
def test_conv_is_one_matrix_product_of_im2col(stride, padding, dilation):
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(2, 9, 8, 3)), rng.normal(size=(3, 2, 3, 4))
    cols = conv.im2col(x, (3, 2), stride, padding, dilation)
    np.testing.assert_allclose(cols @ w.reshape(-1, 4), loop_conv(x, w, None, stride, padding, dilation),
                               rtol=1e-12, atol=1e-12)


@SETTINGS
@given(st.integers(0, 2 ** 31), st.sampled_from(GRID), st.sampled_from([(1, 1), (2, 2), (3, 2), (2, 3)]))
def test_col2im_is_the_adjoint_of_im2col(seed, grid, kernel):
    """⟨im2col(x), C⟩ = ⟨x, col2im(C)⟩ for all x and C: col2im is im2col's transpose (its backward pass)."""
    stride, padding, dilation = grid
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, 7, 6, 2))
    cols = conv.im2col(x, kernel, stride, padding, dilation)
    c = rng.normal(size=cols.shape)
    back = conv.col2im(c, x.shape, kernel, stride, padding, dilation)
    assert back.shape == x.shape
    assert np.sum(cols * c) == pytest.approx(np.sum(x * back), rel=1e-12, abs=1e-12)


def test_col2im_counts_how_often_each_pixel_is_used():
    # col2im of all-ones columns: how many windows cover each pixel (3×3 kernel, stride 1 on 4×4: 1 2 2 1 per axis)
    counts = conv.col2im(np.ones((1, 2, 2, 9)), (1, 4, 4, 1), 3)[0, :, :, 0]
    np.testing.assert_array_equal(counts, np.outer([1, 2, 2, 1], [1, 2, 2, 1]))


# ---- conv2d_backward ---------------------------------------------------------------------------------

@pytest.mark.parametrize("stride, padding, dilation", GRID)
def test_conv2d_backward_matches_central_differences(stride, padding, dilation):
    rng = np.random.default_rng(stride + 3 * dilation)
    x, w, b = rng.normal(size=(2, 7, 6, 2)), rng.normal(size=(3, 2, 2, 3)), rng.normal(size=3)
    dout = rng.normal(size=conv.conv2d_forward(x, w, b, stride, padding, dilation).shape)
    loss = lambda: float(np.sum(dout * conv.conv2d_forward(x, w, b, stride, padding, dilation)))  # noqa: E731
    dx, dw, db = conv.conv2d_backward(dout, x, w, stride, padding, dilation)
    assert relative_error(dx, numerical_gradient(lambda _: loss(), x)) < 1e-8
    assert relative_error(dw, numerical_gradient(lambda _: loss(), w)) < 1e-8
    assert relative_error(db, numerical_gradient(lambda _: loss(), b)) < 1e-8


def test_stride_one_dx_is_a_full_correlation_with_the_flipped_kernel():
    """§4.2: for stride 1, VALID, dx = 'full' correlation of dout (padded by k − 1) with w rotated by 180°, wᵀ on channels."""
    rng = np.random.default_rng(2)
    x, w = rng.normal(size=(2, 6, 7, 3)), rng.normal(size=(3, 2, 3, 4))
    dout = rng.normal(size=(2, 4, 6, 4))
    flipped = w[::-1, ::-1].transpose(0, 1, 3, 2)                      # (kh, kw, F, C)
    padded = np.pad(dout, ((0, 0), (2, 2), (1, 1), (0, 0)))
    np.testing.assert_allclose(conv.conv2d_backward(dout, x, w)[0], loop_conv(padded, flipped, None, 1, "VALID", 1),
                               rtol=1e-12, atol=1e-12)


def test_db_sums_over_batch_and_space_and_dw_over_batch():
    rng = np.random.default_rng(3)
    x, w = rng.normal(size=(3, 5, 5, 2)), rng.normal(size=(2, 2, 2, 2))
    dout = rng.normal(size=(3, 4, 4, 2))
    _, dw, db = conv.conv2d_backward(dout, x, w)
    np.testing.assert_allclose(db, dout.sum(axis=(0, 1, 2)), rtol=1e-14)
    per_image = sum(conv.conv2d_backward(dout[n:n + 1], x[n:n + 1], w)[1] for n in range(3))
    np.testing.assert_allclose(dw, per_image, rtol=1e-12)


def test_conv2d_processes_a_large_batch_in_chunks_like_a_small_one():
    rng = np.random.default_rng(4)
    x, w, b = rng.normal(size=(40, 28, 28, 8)), rng.normal(size=(3, 3, 8, 5)), rng.normal(size=5)  # several chunks
    y = conv.conv2d_forward(x, w, b, 1, "SAME")
    np.testing.assert_allclose(y[17:19], conv.conv2d_forward(x[17:19], w, b, 1, "SAME"), rtol=1e-12, atol=1e-12)
    dout = rng.normal(size=y.shape)
    dx, dw, db = conv.conv2d_backward(dout, x, w, 1, "SAME")
    halves = [conv.conv2d_backward(dout[s], x[s], w, 1, "SAME") for s in (slice(0, 20), slice(20, 40))]
    np.testing.assert_allclose(dx, np.concatenate([h[0] for h in halves]), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dw, halves[0][1] + halves[1][1], rtol=1e-10)


# ---- pooling -----------------------------------------------------------------------------------------

def test_max_pool_ties_go_to_the_first_maximum_in_row_major_order():
    x = np.array([[1, 3, 3, 0], [3, 2, 1, 3], [0, 0, 0, 0], [0, 0, 0, 0]], float).reshape(1, 4, 4, 1)
    np.testing.assert_array_equal(conv.max_pool2d_forward(x, 2)[0, :, :, 0], [[3, 3], [0, 0]])
    dx = conv.max_pool2d_backward(np.ones((1, 2, 2, 1)), x, 2)[0, :, :, 0]
    # each window's gradient goes to its first maximum: (0,1), (0,2), (2,0), (2,2)
    np.testing.assert_array_equal(dx, [[0, 1, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]])
    # overlapping windows (3×3, stride 1) add up at a shared first maximum
    dx = conv.max_pool2d_backward(np.ones((1, 2, 2, 1)), x, 3, 1)[0, :, :, 0]
    np.testing.assert_array_equal(dx, [[0, 2, 0, 0], [1, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]])


def test_pools_ignore_the_padding():
    x = -np.arange(1.0, 10.0).reshape(1, 3, 3, 1)           # all negative: zero padding would win a max
    np.testing.assert_array_equal(conv.max_pool2d_forward(x, 2, 2, "SAME")[0, :, :, 0], [[-1, -3], [-7, -9]])
    ones = np.ones((1, 3, 3, 1))
    np.testing.assert_array_equal(conv.avg_pool2d_forward(ones, 2, 2, "SAME"), np.ones((1, 2, 2, 1)))
    x = np.arange(1.0, 10.0).reshape(1, 3, 3, 1)            # windows {1,2,4,5}, {3,6}, {7,8}, {9}
    np.testing.assert_array_equal(conv.avg_pool2d_forward(x, 2, 2, "SAME")[0, :, :, 0], [[3, 4.5], [7.5, 9]])
    np.testing.assert_array_equal(conv.avg_pool2d_backward(np.ones((1, 2, 2, 1)), x, 2, 2, "SAME")[0, :, :, 0],
                                  [[0.25, 0.25, 0.5], [0.25, 0.25, 0.5], [0.5, 0.5, 1.0]])


@pytest.mark.parametrize("pool, stride, padding", [(2, None, "VALID"), (3, 1, "SAME"), ((3, 2), (2, 1), "SAME"),
                                                   (2, 3, "VALID"), (3, 2, "VALID")])
def test_pool_backward_matches_central_differences(pool, stride, padding):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 7, 6, 2))                        # distinct values: no ties, max is differentiable
    for forward, backward in [(conv.max_pool2d_forward, conv.max_pool2d_backward),
                              (conv.avg_pool2d_forward, conv.avg_pool2d_backward)]:
        dout = rng.normal(size=forward(x, pool, stride, padding).shape)
        numeric = numerical_gradient(lambda v: float(np.sum(dout * forward(v, pool, stride, padding))), x.copy())
        assert relative_error(backward(dout, x, pool, stride, padding), numeric) < 1e-8


def test_pool_stride_defaults_to_the_pool_size():
    x = np.random.default_rng(6).normal(size=(1, 6, 6, 1))
    np.testing.assert_array_equal(conv.max_pool2d_forward(x, 3), conv.max_pool2d_forward(x, 3, 3))
    assert conv.avg_pool2d_forward(x, (2, 3)).shape == (1, 3, 2, 1)


# ---- dtypes, purity, validation ----------------------------------------------------------------------

def test_float32_stays_float32_and_integers_become_float64():
    x32, w32 = np.ones((1, 5, 5, 2), np.float32), np.ones((3, 3, 2, 2), np.float32)
    dout = np.ones((1, 3, 3, 2), np.float32)
    assert conv.conv2d_forward(x32, w32, np.zeros(2, np.float32)).dtype == np.float32
    assert {g.dtype for g in conv.conv2d_backward(dout, x32, w32)} == {np.dtype(np.float32)}
    assert conv.im2col(x32, 3).dtype == np.float32 and conv.col2im(np.ones((1, 3, 3, 18), np.float32), x32.shape, 3).dtype == np.float32
    for forward, backward in [(conv.max_pool2d_forward, conv.max_pool2d_backward),
                              (conv.avg_pool2d_forward, conv.avg_pool2d_backward)]:
        assert forward(x32, 2, 1, "SAME").dtype == np.float32
        assert backward(np.ones((1, 5, 5, 2), np.float32), x32, 2, 1, "SAME").dtype == np.float32
        assert forward(np.ones((1, 4, 4, 1), np.int64), 2).dtype == np.float64
    assert conv.conv2d_forward(np.ones((1, 4, 4, 1), np.int64), np.ones((2, 2, 1, 1), np.int64), None).dtype == np.float64


def test_functions_do_not_change_their_inputs():
    rng = np.random.default_rng(7)
    x, w, b = rng.normal(size=(2, 6, 6, 2)), rng.normal(size=(3, 3, 2, 2)), rng.normal(size=2)
    dout = rng.normal(size=(2, 3, 3, 2))
    copies = [a.copy() for a in (x, w, b, dout)]
    conv.conv2d_forward(x, w, b, 2, "SAME")
    conv.conv2d_backward(dout, x, w, 2, "SAME")
    conv.max_pool2d_backward(dout, x, 2, 2, "SAME")
    conv.avg_pool2d_backward(dout, x, 2, 2, "SAME")
    for a, c in zip((x, w, b, dout), copies):
        np.testing.assert_array_equal(a, c)


def test_no_warning_for_float32_pools_with_infinite_padding():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = np.random.default_rng(8).normal(size=(1, 5, 5, 1)).astype(np.float32)
        conv.max_pool2d_backward(np.ones((1, 3, 3, 1), np.float32), x, 3, 2, "SAME")


@pytest.mark.parametrize("call, error, words", [
    (lambda: conv.conv2d_forward(np.ones((5, 5, 2)), np.ones((3, 3, 2, 1)), None), ValueError, "x\\[None\\]"),
    (lambda: conv.conv2d_forward(np.ones((1, 5, 5, 2)), np.ones((3, 3, 3, 1)), None), ValueError, "input channels"),
    (lambda: conv.conv2d_forward(np.ones((1, 5, 5, 2)), np.ones((3, 3, 2, 4)), np.ones(3)), ValueError, r"b must have shape \(4,\)"),
    (lambda: conv.conv2d_forward(np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 1)), None, 1, "VALID", 2), ValueError, "larger than"),
    (lambda: conv.conv2d_forward(np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 1)), None, 1, "FULL"), ValueError, "'VALID' or 'SAME'"),
    (lambda: conv.conv2d_forward(np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 1)), None, 0), ValueError, "stride must be"),
    (lambda: conv.conv2d_forward(np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 1)), None, 1.5), TypeError, "stride must be an integer"),
    (lambda: conv.conv2d_forward(np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 1)), None, (1, 2, 3)), ValueError, "pair"),
    (lambda: conv.conv2d_backward(np.ones((1, 3, 3, 1)), np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 1))), ValueError,
     r"dout must have the shape of the convolution's output \(1, 2, 2, 1\)"),
    (lambda: conv.conv_output_size(5, True), TypeError, "kernel_size must be an integer"),
    (lambda: conv.same_padding(7, 3, 1, 0), ValueError, "dilation"),
    (lambda: conv.col2im(np.ones((1, 2, 2, 8)), (1, 4, 4, 1), 3), ValueError, r"\(1, OH, OW, 9\)"),
    (lambda: conv.col2im(np.ones((1, 2, 2, 9)), (4, 4), 3), TypeError, "x_shape"),
    (lambda: conv.max_pool2d_forward(np.ones((1, 3, 3, 1)), 4), ValueError, "pool window"),
    (lambda: conv.max_pool2d_backward(np.ones((1, 2, 2, 1)), np.ones((1, 6, 6, 1)), 2), ValueError, r"\(1, 3, 3, 1\)"),
    (lambda: conv.avg_pool2d_forward(np.array([["a"]]), 2), TypeError, "real numbers"),
])
def test_bad_input_is_rejected_with_a_clear_message(call, error, words):
    with pytest.raises(error, match=words):
        call()


# ---- the chapter's mistakes, as the learner and the grader see them ----------------------------------

def learner_08(tmp, bodies: dict[str, str] | None = None):
    """An 08_cnn learner folder: every solution of conv.py in place except ``bodies`` (function → wrong body)."""
    editions.write_student_package(CHAPTER, tmp)
    (tmp / "dlmath" / "conv.py").write_text(demo.solved_module("conv", bodies, CHAPTER), encoding="utf-8")
    return tmp


CLASS_HINTS = {  # student → words the check must print (the hint the mistake deserves)
    "stride_on_input": "not the input",
    "padding_wrong_side": "the extra row at the bottom",
    "im2col_ignores_dilation": "k_eff = (k − 1)·d + 1",
    "col2im_overwrites": "add every window's contribution",
    "flipped_kernel": "don't flip the kernel",
    "dw_wrong_axes": "dw is summed over the wrong axes",
    "db_not_summed": "db sums dout over the batch *and* both spatial axes",
    "max_zero_padding": "Pad with −∞, not 0",
    "max_grad_to_every_max": "*first* maximum",
    "avg_same_window": "not by the window size",
    "avg_grad_window": "not by the window size",
}
EXTRA_MISTAKES = {  # label: (function, wrong body, words the check must print)
    "im2col channel-first patches": ("im2col", reference._variant(
        "im2col", ("cols.reshape(n, oh, ow, kh * kw * c)", "cols.transpose(0, 1, 2, 5, 3, 4).reshape(n, oh, ow, kh * kw * c)")),
        "Yours puts the channel first"),
    "conv without bias": ("conv2d_forward", reference._variant("conv2d_forward", ("    y += b\n", "    pass\n")),
                          "Add the bias"),
    "SAME padded like stride 1": ("same_padding", reference._variant(
        "same_padding", ("total = max((out - 1) * s + k_eff - n, 0)", "total = k_eff - 1")), "only for s = 1"),
    "conv_output_size ignores dilation": ("conv_output_size", reference._variant(
        "conv_output_size", ("k_eff = (kernel_size - 1) * dilation + 1", "k_eff = kernel_size")), "not k"),
    "dx with the unflipped kernel": ("conv2d_backward", reference._variant(
        "conv2d_backward", ("dcols = (g @ kernel.T)", "dcols = (g @ w[::-1, ::-1].reshape(-1, f).T)")),
        "flipped by 180°"),
    "max-pool gradient to the last maximum": ("max_pool2d_backward", reference._variant(
        "max_pool2d_backward", ("better = candidate > best", "better = candidate >= best")), "last maximum"),
    "avg gradient not divided": ("avg_pool2d_backward", reference._variant(
        "avg_pool2d_backward", ("share = dout / count", "share = dout")), "divide"),
}


@pytest.mark.parametrize("student", sorted(reference.CLASS))
def test_check_names_each_class_mistake(tmp_path, student):
    ((name, body),) = reference.CLASS[student].items()
    done = run_python(["-m", "dlmath", "check", name], learner_08(tmp_path, {name: body}))
    assert done.returncode == 1, done.stdout
    assert f"✗ dlmath.conv.{name}" in done.stdout, done.stdout
    assert CLASS_HINTS[student] in done.stdout, done.stdout


@pytest.mark.parametrize("label", sorted(EXTRA_MISTAKES))
def test_check_names_other_typical_mistakes(tmp_path, label):
    name, body, words = EXTRA_MISTAKES[label]
    done = run_python(["-m", "dlmath", "check", name], learner_08(tmp_path, {name: body}))
    assert f"✗ dlmath.conv.{name}" in done.stdout, done.stdout
    assert words in done.stdout, done.stdout


def test_check_passes_the_solved_chapter(tmp_path):
    done = run_python(["-m", "dlmath", "check", CHAPTER], learner_08(tmp_path))
    assert done.returncode == 0, done.stdout
    assert "10/10 functions pass all their checks" in done.stdout


@pytest.mark.parametrize("student", sorted(reference.CLASS))
def test_each_class_mistake_costs_only_its_own_function(tmp_path, student):
    scores = {name: v.score for name, v in judge_submission(CHAPTER, learner_08(tmp_path, reference.CLASS[student])).items()}
    full = {g.name: g.points for g in chapters.get(CHAPTER).graded}
    lost = {name for name in full if scores[name] < full[name]}
    assert lost == reference.EXPECTED_LOSSES[student], scores


def test_the_solution_gets_full_marks_and_the_stubs_none(tmp_path):
    full = {g.name: g.points for g in chapters.get(CHAPTER).graded}
    solved = judge_submission(CHAPTER, learner_08(tmp_path / "solved"))
    assert {n: v.score for n, v in solved.items()} == full
    (tmp_path / "stubs").mkdir()
    editions.write_student_package(CHAPTER, tmp_path / "stubs")
    assert sum(v.score for v in judge_submission(CHAPTER, tmp_path / "stubs").values()) == 0
