"""11_capstone without TensorFlow: the Sequential framework's properties against derivations and earlier
chapters, validation, save/load, and the chapter's typical mistakes as the learner's checks and the grader see them."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_python
from dlmath import activations as act
from dlmath import layers, losses, model as M, optim
from dlmath.calculus import numerical_gradient
from grading import editions
from grading.judge import judge_submission
from grading.references import capstone as reference

CHAPTER = "11_capstone"
ACTIVATIONS = {"relu": (act.relu, act.relu_backward), "tanh": (act.tanh, act.tanh_backward),
               "sigmoid": (act.sigmoid, act.sigmoid_backward)}


def stack(activation, widths, rng, dtype=np.float64):
    """A dense stack with ``activation`` between the layers: (layers, params, mlp_params)."""
    kinds, params = [], []
    for k, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:])):
        if k:
            kinds.append(activation)
            params.append(())
        kinds.append("dense")
        params.append((rng.normal(0, 1 / np.sqrt(fan_in), (fan_in, fan_out)).astype(dtype),
                       rng.normal(0, 0.3, fan_out).astype(dtype)))
    return kinds, params, [p for p in params if p]


# ---- forward and backward: the composition of the layer contract ------------------------------------

@settings(max_examples=25, deadline=None)
@given(activation=st.sampled_from(sorted(ACTIVATIONS)), depth=st.integers(1, 4), batch=st.integers(1, 6),
       seed=st.integers(0, 10_000))
def test_forward_is_chapter_02s_mlp_and_backward_is_chapter_05s(activation, depth, batch, seed):
    # a dense stack with one activation between layers is exactly the MLP of 02/05 (same composition)
    rng = np.random.default_rng(seed)
    widths = list(rng.integers(1, 6, depth + 1))
    kinds, params, mlp = stack(activation, widths, rng)
    x = rng.normal(0, 1, (batch, widths[0]))
    out, caches = M.sequential_forward(kinds, params, x)
    expected, mlp_cache = layers.mlp_forward(x, mlp, ACTIVATIONS[activation][0])
    np.testing.assert_allclose(out, expected, rtol=1e-13, atol=1e-14)
    assert len(caches) == len(kinds) and np.array_equal(caches[0], x)
    for k, (a_prev, z) in enumerate(mlp_cache):  # each dense layer's input is its cache entry
        np.testing.assert_allclose(caches[2 * k], a_prev, rtol=1e-13, atol=1e-14)
    dout = rng.normal(0, 1, out.shape)
    dx, grads = M.sequential_backward(kinds, params, caches, dout)
    dx_mlp, grads_mlp = layers.mlp_backward(dout, mlp_cache, mlp, ACTIVATIONS[activation][1])
    np.testing.assert_allclose(dx, dx_mlp, rtol=1e-12, atol=1e-13)
    for got, want in zip([g for g in grads if g], grads_mlp):
        np.testing.assert_allclose(got[0], want[0], rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(got[1], want[1], rtol=1e-12, atol=1e-13)
    assert [len(g) for g in grads] == [len(p) for p in params]


def test_backward_matches_central_differences_for_every_parameter_and_the_input():
    rng = np.random.default_rng(3)
    kinds = ["dense", "tanh", "dense", "relu", "dense", "sigmoid", "dense"]
    _, params, _ = stack("tanh", [4, 5, 5, 3, 2], rng)
    params = [params[0], (), params[2], (), params[4], (), params[6]]
    x, y = rng.normal(0, 1, (6, 4)), rng.integers(0, 2, 6)

    def loss(p, x_=x):
        return float(losses.sparse_categorical_cross_entropy_with_logits(y, M.sequential_forward(kinds, p, x_)[0]))

    logits, caches = M.sequential_forward(kinds, params, x)
    dx, grads = M.sequential_backward(kinds, params, caches,
                                      losses.sparse_categorical_cross_entropy_with_logits_backward(y, logits))
    np.testing.assert_allclose(dx, numerical_gradient(lambda v: loss(params, v), x), rtol=1e-6, atol=1e-9)
    for k, p in enumerate(params):
        for j in range(len(p)):
            def f(a, k=k, j=j):
                changed = list(params)
                changed[k] = tuple(a if i == j else b for i, b in enumerate(params[k]))
                return loss(changed)
            np.testing.assert_allclose(grads[k][j], numerical_gradient(f, p[j]), rtol=1e-6, atol=1e-9)


def test_float32_stays_float32_through_every_graded_function():
    rng = np.random.default_rng(4)
    kinds, params, _ = stack("relu", [3, 4, 2], rng, np.float32)
    x = rng.uniform(0, 1, (5, 3)).astype(np.float32)
    y = rng.integers(0, 2, 5)
    out, caches = M.sequential_forward(kinds, params, x)
    dx, grads = M.sequential_backward(kinds, params, caches, np.ones_like(out))
    assert out.dtype == dx.dtype == grads[0][0].dtype == np.float32
    g = M.input_gradient(kinds, params, x, y)
    assert g.dtype == np.float32 and M.fgsm(x, g, 0.1).dtype == np.float32
    new_params, _, batch_losses = M.train_epoch(kinds, params, x, y, 2, optim.sgd, lr=0.1)
    assert new_params[0][0].dtype == np.float32 and batch_losses.dtype == np.float64


# ---- train_epoch -----------------------------------------------------------------------------------

def test_one_full_batch_of_plain_sgd_is_one_gradient_step():
    # derivation: with batch_size = N and sgd, w_new = w − lr · ∂L/∂w for the loss of the whole set
    rng = np.random.default_rng(5)
    kinds, params, _ = stack("tanh", [3, 4, 3], rng)
    x, y = rng.normal(0, 1, (7, 3)), rng.integers(0, 3, 7)
    logits, caches = M.sequential_forward(kinds, params, x)
    _, grads = M.sequential_backward(kinds, params, caches,
                                     losses.sparse_categorical_cross_entropy_with_logits_backward(y, logits))
    new_params, states, batch_losses = M.train_epoch(kinds, params, x, y, 7, optim.sgd, lr=0.3)
    for p, g, q in zip(params, grads, new_params):
        for a, da, b in zip(p, g, q):
            np.testing.assert_allclose(b, a - 0.3 * da, rtol=1e-14, atol=1e-15)
    assert batch_losses.shape == (1,)
    np.testing.assert_allclose(batch_losses[0], losses.sparse_categorical_cross_entropy_with_logits(y, logits))


@pytest.mark.parametrize("rule, hyper", [(optim.adam, {"lr": 0.01}), (optim.sgd, {"lr": 0.05, "momentum": 0.9})])
def test_two_epochs_with_states_carried_equal_one_epoch_over_the_data_twice(rule, hyper):
    # the state returned by an epoch continues exactly where the last step left it
    rng = np.random.default_rng(6)
    kinds, params, _ = stack("relu", [4, 5, 3], rng)
    x, y = rng.normal(0, 1, (9, 4)), rng.integers(0, 3, 9)
    first, second = rng.permutation(9), rng.permutation(9)
    p1, s1, l1 = M.train_epoch(kinds, params, x, y, 3, rule, None, first, **hyper)
    p2, s2, l2 = M.train_epoch(kinds, p1, x, y, 3, rule, s1, second, **hyper)
    p_once, s_once, l_once = M.train_epoch(kinds, params, np.vstack([x, x]), np.r_[y, y], 3, rule, None,
                                           np.r_[first, second + 9], **hyper)
    np.testing.assert_array_equal(np.r_[l1, l2], l_once)
    for a, b in zip(p2, p_once):
        for u, v in zip(a, b):
            np.testing.assert_array_equal(u, v)
    assert s2[0][0].keys() == s_once[0][0].keys()


def test_the_last_smaller_batch_is_trained_on_and_inputs_are_not_changed():
    rng = np.random.default_rng(7)
    kinds, params, _ = stack("tanh", [2, 3, 2], rng)
    x, y = rng.normal(0, 1, (7, 2)), rng.integers(0, 2, 7)
    copies = [tuple(a.copy() for a in p) for p in params]
    x_copy = x.copy()
    new_params, _, batch_losses = M.train_epoch(kinds, params, x, y, 3, optim.sgd, lr=0.1)
    assert batch_losses.shape == (3,)   # batches of 3, 3 and 1
    assert np.array_equal(x, x_copy) and all(np.array_equal(a, b) for p, q in zip(params, copies) for a, b in zip(p, q))
    # the last batch (example 6 alone) moved the weights: the same epoch on the first six examples differs
    six, _, _ = M.train_epoch(kinds, params, x[:6], y[:6], 3, optim.sgd, lr=0.1)
    assert not np.allclose(six[0][0], new_params[0][0])


# ---- input_gradient and fgsm ---------------------------------------------------------------------------

def test_input_gradient_rows_are_each_examples_own_loss_gradient():
    rng = np.random.default_rng(8)
    kinds, params, _ = stack("sigmoid", [5, 4, 3], rng)
    x, y = rng.uniform(0, 1, (4, 5)), rng.integers(0, 3, 4)
    g = M.input_gradient(kinds, params, x, y)
    for n in range(4):  # alone, its own loss: the mean over one example is that example's loss
        alone = M.input_gradient(kinds, params, x[n:n + 1], y[n:n + 1])
        np.testing.assert_allclose(g[n], alone[0], rtol=1e-13, atol=1e-15)
        f = lambda v, n=n: float(losses.sparse_categorical_cross_entropy_with_logits(  # noqa: E731
            y[n:n + 1], M.sequential_forward(kinds, params, v[None])[0]))
        np.testing.assert_allclose(g[n], numerical_gradient(f, x[n]), rtol=1e-6, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), epsilon=st.floats(0, 1), clip=st.sampled_from([(0.0, 1.0), (-1.0, 2.0), None]))
def test_fgsm_moves_each_pixel_by_epsilon_in_its_gradients_direction_within_the_range(seed, epsilon, clip):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (3, 7))
    g = rng.normal(0, 1e-3, x.shape) * (rng.uniform(size=x.shape) < 0.7)
    adv = M.fgsm(x, g, epsilon, clip=clip)
    assert np.max(np.abs(adv - x)) <= epsilon + 1e-15
    assert np.all(np.sign(adv - x) * np.sign(g) >= 0)        # never against the gradient
    assert np.all(adv[g == 0] == x[g == 0])                  # sign(0) = 0
    if clip is None:
        np.testing.assert_allclose(np.abs(adv - x)[g != 0], epsilon, rtol=1e-12, atol=1e-15)
    else:
        assert adv.min() >= clip[0] and adv.max() <= clip[1]


def test_fgsm_raises_the_loss_on_a_trained_model():
    rng = np.random.default_rng(9)
    kinds, params, _ = stack("relu", [6, 8, 3], rng)
    x, y = rng.uniform(0, 1, (20, 6)), rng.integers(0, 3, 20)
    before = losses.sparse_categorical_cross_entropy_with_logits(y, M.sequential_forward(kinds, params, x)[0])
    adv = M.fgsm(x, M.input_gradient(kinds, params, x, y), 0.01, clip=None)
    after = losses.sparse_categorical_cross_entropy_with_logits(y, M.sequential_forward(kinds, params, adv)[0])
    assert after > before


# ---- validation ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda: M.sequential_forward(["dense", "softmax"], [(np.ones((2, 2)), np.zeros(2)), ()], np.ones((1, 2))),
     "not a layer kind"),
    (lambda: M.sequential_forward(["dense", "relu"], [(np.ones((2, 2)), np.zeros(2))], np.ones((1, 2))),
     "one entry per layer"),
    (lambda: M.sequential_forward(["dense", "dense"], [(np.ones((2, 3)), np.zeros(3)), (np.ones((2, 1)), np.zeros(1))],
                                  np.ones((1, 2))), "expects 2 inputs"),
    (lambda: M.sequential_forward(["dense"], [(np.ones((2, 3)), np.zeros(3))], np.ones((1, 4))), r"shape \(batch, 2\)"),
    (lambda: M.sequential_backward(["dense"], [(np.ones((2, 3)), np.zeros(3))], [], np.ones((1, 3))), "caches"),
    (lambda: M.train_epoch(["dense"], [(np.ones((2, 3)), np.zeros(3))], np.ones((4, 2)), np.zeros(4, int), 0, optim.sgd),
     "batch_size"),
    (lambda: M.train_epoch(["dense"], [(np.ones((2, 3)), np.zeros(3))], np.ones((4, 2)), np.zeros(4, int), 2, optim.sgd,
                           order=np.array([0, 0, 1, 2])), "permutation"),
    (lambda: M.input_gradient(["dense"], [(np.ones((2, 3)), np.zeros(3))], np.ones((4, 2)), np.zeros(4)),
     "integer class"),
    (lambda: M.fgsm(np.zeros(3), np.zeros(3), -0.1), "epsilon"),
    (lambda: M.fgsm(np.zeros(3), np.zeros(4), 0.1), "shape"),
    (lambda: M.fgsm(np.zeros(3), np.zeros(3), 0.1, clip=(1, 0)), "clip"),
])
def test_bad_input_raises_value_error_naming_what_was_expected(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_non_callable_optimizer_is_a_type_error():
    with pytest.raises(TypeError, match="update rule"):
        M.train_epoch(["dense"], [(np.ones((2, 3)), np.zeros(3))], np.ones((4, 2)), np.zeros(4, int), 2, "adam")


# ---- save and load ---------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_round_trip_gives_bit_identical_predictions_and_no_pickle(tmp_path, dtype):
    rng = np.random.default_rng(10)
    kinds, params, _ = stack("tanh", [5, 6, 4, 3], rng, dtype)
    path = M.save(tmp_path / "model", kinds, params)       # no extension: written where asked
    assert path == tmp_path / "model" and path.is_file()
    with np.load(path, allow_pickle=False) as stored:       # pickle-free: loads with allow_pickle=False
        manifest = json.loads(stored["manifest"].tobytes())
    assert manifest["layers"] == kinds and manifest["format"] == "dlmath.sequential"
    loaded_kinds, loaded = M.load(path)
    x = rng.normal(0, 1, (8, 5)).astype(dtype)
    assert loaded_kinds == kinds
    assert np.array_equal(M.predict(kinds, params, x), M.predict(loaded_kinds, loaded, x))
    assert all(a.dtype == dtype for p in loaded for a in p)


def test_broken_files_give_a_clear_value_error(tmp_path):
    rng = np.random.default_rng(11)
    kinds, params, _ = stack("relu", [3, 4, 2], rng)
    good = M.save(tmp_path / "good.npz", kinds, params).read_bytes()
    (tmp_path / "cut.npz").write_bytes(good[:len(good) // 2])
    (tmp_path / "text.npz").write_text("hello")
    np.savez(tmp_path / "plain.npz", a=np.ones(3))                                     # no manifest
    np.savez(tmp_path / "pickled.npz", manifest=np.array([{"format": 1}], dtype=object))  # an object array
    arrays = dict(np.load(tmp_path / "good.npz"))
    manifest = json.loads(arrays["manifest"].tobytes())
    manifest["arrays"][0][0]["dtype"] = "float32"
    np.savez(tmp_path / "mismatch.npz", **{**arrays, "manifest": np.frombuffer(json.dumps(manifest).encode(), np.uint8)})
    manifest["arrays"][0][0]["dtype"] = "float64"
    manifest["layers"][1] = "softmax"
    np.savez(tmp_path / "kind.npz", **{**arrays, "manifest": np.frombuffer(json.dumps(manifest).encode(), np.uint8)})
    for name, words in [("cut.npz", "not a .npz"), ("text.npz", "not a .npz"), ("plain.npz", "no manifest"),
                        ("pickled.npz", "not a readable"), ("mismatch.npz", "the manifest says"),
                        ("kind.npz", "inconsistent")]:
        with pytest.raises(ValueError, match=words):
            M.load(tmp_path / name)
    with pytest.raises(FileNotFoundError):
        M.load(tmp_path / "absent.npz")


def test_fit_stops_early_and_returns_the_best_epochs_weights():
    rng = np.random.default_rng(12)
    kinds, params, _ = stack("relu", [4, 16, 3], rng)
    x, y = rng.normal(0, 1, (30, 4)), rng.integers(0, 3, 30)       # random labels: validation loss soon rises
    xv, yv = rng.normal(0, 1, (30, 4)), rng.integers(0, 3, 30)
    fitted, history = M.fit(kinds, params, x, y, epochs=200, batch_size=5, optimizer=optim.adam,
                            rng=np.random.default_rng(0), validation=(xv, yv), patience=3, progress=False, lr=0.05)
    ran, best = len(history["val_loss"]), history["best_epoch"]
    assert ran < 200 and ran - 1 - best == 3 and best == int(np.argmin(history["val_loss"]))
    val = float(losses.sparse_categorical_cross_entropy_with_logits(yv, M.sequential_forward(kinds, fitted, xv)[0]))
    assert val == pytest.approx(history["val_loss"][best], rel=1e-12)


# ---- the chapter's mistakes, as the learner and the grader see them ---------------------------------

def learner_11(tmp, bodies: dict[str, str] | None = None):
    """An 11_capstone learner folder: every solution in place except ``bodies`` (graded name → wrong body)."""
    editions.write_student_package(CHAPTER, tmp)
    path = editions.chapters.PACKAGE_DIR / "model.py"
    source = path.read_text(encoding="utf-8")
    for name, body in (bodies or {}).items():
        lines = source.splitlines()
        (fence,) = [f for f in editions.fences(source, str(path)) if f.function == name]
        body_lines = [fence.indent + ln if ln.strip() else "" for ln in body.strip("\n").splitlines()]
        source = "\n".join(lines[:fence.begin] + body_lines + lines[fence.end + 1:]) + "\n"
    (tmp / "dlmath" / "model.py").write_text(editions.student_source(source, "model", "99_none"), encoding="utf-8")
    return tmp


MISTAKES = {f"{name}: {hint[:50]}": (name, body, hint[:60])
            for name, found in reference.MISTAKES.items() for hint, body in found}


@pytest.mark.parametrize("label", MISTAKES)
def test_check_names_the_typical_mistake(tmp_path, label):
    name, body, hint = MISTAKES[label]
    done = run_python(["-m", "dlmath", "check", name], learner_11(tmp_path, {name: body}))
    assert done.returncode == 1, done.stdout
    assert f"✗ dlmath.model.{name}" in done.stdout, done.stdout
    assert hint in done.stdout, done.stdout


def test_check_passes_the_solved_chapter(tmp_path):
    done = run_python(["-m", "dlmath", "check", CHAPTER], learner_11(tmp_path))
    assert done.returncode == 0, done.stdout
    assert "5/5 functions pass all their checks" in done.stdout


def test_every_mistake_of_the_class_is_named_by_a_public_case():
    # each wrong body's output is stored with at least one public case, so the check can name it
    document = json.loads((editions.chapters.PUBLIC_CASE_DIR / f"{CHAPTER}.json").read_text())
    for name, found in reference.MISTAKES.items():
        stored = {m["hint"] for case in document["functions"][name]["cases"] for m in case.get("mistakes", [])}
        for hint, _ in found:
            assert hint in stored, (name, hint)


@pytest.mark.parametrize("student", sorted(reference.CLASS))
def test_each_class_mistake_costs_only_its_own_item(tmp_path, student):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        verdicts = judge_submission(CHAPTER, learner_11(tmp_path, reference.CLASS[student]))
    scores = {name: v.score for name, v in verdicts.items()}
    full = {g.name: g.points for g in editions.chapters.get(CHAPTER).graded}
    lost = {name for name in full if scores[name] < full[name]}
    assert lost == reference.EXPECTED_LOSSES[student], scores
