"""The course's chapters: ids, titles and the dlmath functions each one grades.

Chapter ids are stable: they are nbgrader assignment ids and appear in grades.
A function belongs to the chapter that grades it; the student edition of a
chapter stubs its own functions and every later chapter's, and keeps earlier
chapters' functions as reference code.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE_DIR = REPO / "dlmath"
NOTEBOOK_DIR = REPO / "notebooks"
FIXTURE_DIR = Path(__file__).resolve().parent / "fixtures"
PUBLIC_CASE_DIR = PACKAGE_DIR / "checking" / "public"


@dataclass(frozen=True)
class Graded:
    """One graded function (or method) of a chapter.

    ``builds_on`` names the graded functions of the *same* chapter it may legitimately call (or
    that its checks need, e.g. ``Value.tanh`` needs ``Value.backward``). While it is graded, those
    are supplied from the reference, so a mistake in them costs only themselves; every other
    graded function of the chapter is a stub, so no answer is within reach. Earlier chapters'
    functions are given to the learner by the release and always available.
    """
    module: str
    name: str
    points: float
    builds_on: tuple[str, ...] = ()

    @property
    def grade_id(self) -> str:
        """The nbgrader id of its hidden test cell: ``test_sigmoid``, ``test_Value-tanh``.

        nbgrader accepts only letters, digits, ``_`` and ``-`` in a grade_id, so a method's dot becomes a dash.
        """
        return "test_" + self.name.replace(".", "-")


@dataclass(frozen=True)
class Chapter:
    id: str
    title: str
    graded: tuple[Graded, ...] = ()

    @property
    def modules(self) -> list[str]:
        """dlmath modules holding this chapter's graded functions (learner files, never overwritten)."""
        return sorted({g.module for g in self.graded})

    @property
    def notebook(self) -> Path:
        return NOTEBOOK_DIR / f"{self.id}.ipynb"

    @property
    def hidden_fixture(self) -> Path:
        return FIXTURE_DIR / f"{self.id}.json"

    @property
    def public_cases(self) -> Path:
        return PUBLIC_CASE_DIR / f"{self.id}.json"

    def function(self, name: str) -> Graded:
        for graded in self.graded:
            if graded.name == name:
                return graded
        raise KeyError(f"{self.id} grades no function named {name!r}")


def _graded(module: str, names: list[str], points: dict[str, float] | None = None,
            builds_on: dict[str, tuple[str, ...]] | None = None) -> tuple[Graded, ...]:
    return tuple(Graded(module, n, (points or {}).get(n, 1), tuple((builds_on or {}).get(n, ()))) for n in names)


def _activations() -> Chapter:
    names = ["sigmoid", "sigmoid_backward", "tanh", "tanh_backward", "relu", "relu_backward",
             "leaky_relu", "leaky_relu_backward", "elu", "elu_backward", "silu", "silu_backward",
             "gelu", "gelu_backward", "softmax", "softmax_backward", "log_softmax"]
    # a backward pass may be written through its forward's value (σ' = σ(1 − σ), ELU's α e^z = y + α,
    # SiLU's s + y(1 − s)), so it builds on that forward; SiLU is z·σ(βz); the tanh-GELU may use tanh
    return Chapter("03_activations", "Activation functions",
                   _graded("activations", names, {"softmax": 2, "softmax_backward": 2, "log_softmax": 2,
                                                  "gelu": 2, "gelu_backward": 2},
                           {"sigmoid_backward": ("sigmoid",), "tanh_backward": ("tanh",),
                            "elu_backward": ("elu",), "silu": ("sigmoid",), "silu_backward": ("sigmoid", "silu"),
                            "gelu": ("tanh",), "gelu_backward": ("tanh",),
                            "softmax_backward": ("softmax",)}))


def _losses() -> Chapter:
    names = []
    for loss in ["mse", "huber", "binary_cross_entropy", "binary_cross_entropy_with_logits", "categorical_cross_entropy",
                 "categorical_cross_entropy_with_logits", "sparse_categorical_cross_entropy_with_logits",
                 "multiclass_hinge"]:
        names += [loss, f"{loss}_backward"]
    return Chapter("04_losses", "Loss functions", _graded("losses", names))


def _backprop() -> Chapter:
    # the Value checks run small programs through the engine: each method needs backward() and
    # the operations its programs use (a - b is a + (-1)·b, a / b is a · b**-1)
    ops = {
        "Value.__add__": ("Value.__mul__", "Value.backward"),
        "Value.__mul__": ("Value.__add__", "Value.backward"),
        "Value.__pow__": ("Value.__add__", "Value.__mul__", "Value.backward"),
        "Value.tanh": ("Value.__add__", "Value.__mul__", "Value.backward"),
        "Value.exp": ("Value.__add__", "Value.__mul__", "Value.__pow__", "Value.backward"),
        "Value.backward": ("Value.__add__", "Value.__mul__", "Value.__pow__", "Value.tanh", "Value.exp"),
    }
    return Chapter("05_backprop", "Backpropagation",
                   _graded("autodiff", list(ops), {"Value.backward": 2}, ops)
                   + _graded("layers", ["dense_backward", "mlp_backward"], {"dense_backward": 2, "mlp_backward": 3},
                             {"mlp_backward": ("dense_backward",)}))


CHAPTERS: dict[str, Chapter] = {c.id: c for c in [
    Chapter("00_start_here", "Start here"),
    Chapter("01_math_toolkit", "The math toolkit", _graded("calculus", [
        "numerical_derivative", "numerical_gradient", "numerical_jacobian", "relative_error", "unbroadcast"],
        {"numerical_gradient": 2, "numerical_jacobian": 2, "unbroadcast": 2})),
    Chapter("02_forward", "The forward pass", _graded("layers", ["dense_forward", "mlp_forward"], {"mlp_forward": 2},
                                                      {"mlp_forward": ("dense_forward",)})),
    _activations(),
    _losses(),
    _backprop(),
    # later chapters: each replaces its own placeholder line below with its entry (a Chapter or a _function() call)
    Chapter("06_optimizers", "Optimizers and initialization",
            _graded("initializers", ["glorot_uniform", "glorot_normal", "he_normal", "he_uniform"])
            + _graded("optim", ["minibatches", "sgd", "adagrad", "rmsprop", "adam", "adamw"],
                      {"sgd": 2, "rmsprop": 2, "adam": 3, "adamw": 2}, {"adamw": ("adam",)})
            + _graded("schedules", ["step_decay", "exponential_decay", "cosine_decay"], {"cosine_decay": 2})),
    Chapter("07_regularization", "Regularization and normalization", _graded("regularization", [
        "l2_penalty", "l2_penalty_backward", "l1_penalty", "l1_penalty_backward", "dropout_forward",
        "dropout_backward", "batchnorm_forward", "batchnorm_backward", "layernorm_forward", "layernorm_backward",
        "early_stopping"], {"batchnorm_forward": 2, "batchnorm_backward": 3, "layernorm_backward": 2,
                            "early_stopping": 2})),  # each recomputes what it needs (backward from x): no builds_on
    Chapter("08_cnn", "Convolutional networks", _graded("conv", [
        "conv_output_size", "same_padding", "im2col", "col2im", "conv2d_forward", "conv2d_backward",
        "max_pool2d_forward", "max_pool2d_backward", "avg_pool2d_forward", "avg_pool2d_backward"],
        {"im2col": 2, "col2im": 2, "conv2d_forward": 2, "conv2d_backward": 3, "max_pool2d_backward": 2,
         "avg_pool2d_backward": 2},
        {"im2col": ("same_padding",), "col2im": ("same_padding",), "conv2d_forward": ("im2col", "same_padding"),
         "conv2d_backward": ("im2col", "col2im", "same_padding"),
         **{f"{kind}_pool2d_{way}": ("same_padding",) for kind in ("max", "avg") for way in ("forward", "backward")}
         })),  # transitive: the reference im2col calls same_padding, so conv2d_forward builds on both
    Chapter("09_rnn", "Recurrent networks", _graded("recurrent", [
        "rnn_forward", "rnn_backward", "clip_by_global_norm", "lstm_forward", "lstm_backward", "gru_forward",
        "gru_backward"], {"rnn_forward": 2, "rnn_backward": 3, "lstm_forward": 2, "lstm_backward": 3,
                          "gru_forward": 2, "gru_backward": 3})),  # the backward functions read the cache only
    Chapter("10_evaluation", "Evaluation metrics", _graded("metrics", [
        "confusion_matrix", "accuracy", "precision_recall_f1", "roc_curve", "roc_auc", "precision_recall_curve",
        "average_precision", "log_loss", "top_k_accuracy"],
        {"precision_recall_f1": 3, "roc_curve": 2, "roc_auc": 2, "precision_recall_curve": 2},
        {"precision_recall_f1": ("confusion_matrix",), "roc_auc": ("roc_curve",),
         "average_precision": ("precision_recall_curve",)})),  # each calls the function it builds on
    Chapter("11_capstone", "Capstone: a framework of your own", _graded("model", [
        "sequential_forward", "sequential_backward", "train_epoch", "input_gradient", "fgsm"],
        {"sequential_forward": 2, "sequential_backward": 3, "train_epoch": 3, "input_gradient": 2, "fgsm": 2},
        {"train_epoch": ("sequential_forward", "sequential_backward"),
         "input_gradient": ("sequential_forward", "sequential_backward")})),  # backward reads the caches only
]}


def get(chapter_id: str) -> Chapter:
    try:
        return CHAPTERS[chapter_id]
    except KeyError:
        raise SystemExit(f"unknown chapter {chapter_id!r}; chapters: {', '.join(CHAPTERS)}") from None


def owner_of(module: str, function: str) -> Chapter | None:
    """The chapter that grades ``dlmath.<module>.<function>``, or None."""
    for chapter in CHAPTERS.values():
        if any(g.module == module and g.name == function for g in chapter.graded):
            return chapter
    return None


def later_or_same(chapter_id: str) -> list[Chapter]:
    """This chapter and every later one (ids sort in course order)."""
    return [c for c in CHAPTERS.values() if c.id >= chapter_id]
