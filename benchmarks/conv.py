"""Convolution speed in float32: a naive loop, dlmath's reference conv2d_forward / conv2d_backward, and TensorFlow.

    .venv/bin/python benchmarks/conv.py [--rounds 9] [--layers mnist digits]

For each layer, every method runs on the same inputs, interleaved: each round times every method
once, so a neighbour's load on this shared machine hits all of them alike (the naive loop, seconds
per call on the large layer, only in the first 3 rounds). Printed: the median and the min–max over
the rounds, GFLOP/s (2 FLOPs per multiply-add: forward 2·N·OH·OW·F·kh·kw·C, backward twice that, for
dx and dw), each method's speed relative to TensorFlow's, the largest relative difference from
TensorFlow's result, and memory: the size of the whole batch's im2col matrix and the peak
Python/NumPy allocation (tracemalloc) of the reference functions, which work in chunks of images.
The reference functions are also timed with NumPy's BLAS limited to one thread: on this shared machine
a multithreaded product of small matrices can wait milliseconds for a second core (the digits layer).

The issue's goals: reference forward ≥ 0.5× TensorFlow's speed, backward ≥ 0.4×. A benchmark, not a
test: the figures move with the machine's load, so compare numbers from one run.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from threadpoolctl import ThreadpoolController  # noqa: E402

from dlmath import conv  # noqa: E402

BLAS = ThreadpoolController()

NAIVE_ROUNDS = 3
LAYERS = {  # name → (description, x shape, kernel shape, stride, padding)
    "mnist": ("MNIST-sized layer: 64×28×28×32 → 64 channels, 3×3, SAME, stride 1", (64, 28, 28, 32), (3, 3, 32, 64), 1, "SAME"),
    "digits": ("digits-sized layer (the chapter's CNN, one batch of 64): 64×8×8×1 → 16 channels, 3×3, SAME",
               (64, 8, 8, 1), (3, 3, 1, 16), 1, "SAME"),
}


def naive_conv2d(x, w, b, stride=1):
    """The notebook's first version (§3.1): a Python loop over the output positions, SAME padding for a 3×3
    kernel at stride 1 (one row/column each side), each position one tensordot over its window."""
    kh, kw, _, f = w.shape
    padded = np.pad(x, ((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
    oh, ow = x.shape[1], x.shape[2]
    y = np.empty((x.shape[0], oh, ow, f), x.dtype)
    for i in range(oh):
        for j in range(ow):
            window = padded[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            y[:, i, j, :] = np.tensordot(window, w, axes=3) + b
    return y


def peak_mib(function) -> float:
    tracemalloc.start()
    tracemalloc.reset_peak()
    function()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2 ** 20


def relative_difference(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))) / np.max(np.abs(b)))


def benchmark(tf, name: str, rounds: int) -> None:
    description, x_shape, w_shape, stride, padding = LAYERS[name]
    rng = np.random.default_rng(0)
    x = rng.normal(size=x_shape).astype(np.float32)
    w = (rng.normal(size=w_shape) / np.sqrt(np.prod(w_shape[:3]))).astype(np.float32)
    b = rng.normal(0, 0.1, w_shape[3]).astype(np.float32)
    y_shape = conv.conv2d_forward(x, w, b, stride, padding).shape
    dout = rng.normal(size=y_shape).astype(np.float32)
    xt, wt, bt, dt = (tf.constant(v) for v in (x, w, b, dout))

    def tf_forward():
        return tf.nn.bias_add(tf.nn.conv2d(xt, wt, stride, padding), bt).numpy()

    def tf_backward():  # what tf.GradientTape runs for conv2d + bias_add
        dx = tf.raw_ops.Conv2DBackpropInput(input_sizes=x_shape, filter=wt, out_backprop=dt, strides=[1, stride, stride, 1],
                                            padding=padding)
        dw = tf.raw_ops.Conv2DBackpropFilter(input=xt, filter_sizes=w_shape, out_backprop=dt,
                                             strides=[1, stride, stride, 1], padding=padding)
        return dx.numpy(), dw.numpy(), tf.reduce_sum(dt, axis=[0, 1, 2]).numpy()

    methods = {
        "naive loop over output positions": lambda: naive_conv2d(x, w, b, stride),
        "dlmath conv2d_forward (reference)": lambda: conv.conv2d_forward(x, w, b, stride, padding),
        "dlmath conv2d_forward, 1 BLAS thread": lambda: conv.conv2d_forward(x, w, b, stride, padding),
        "tf.nn.conv2d + bias_add": tf_forward,
        "dlmath conv2d_backward (reference)": lambda: conv.conv2d_backward(dout, x, w, stride, padding),
        "dlmath conv2d_backward, 1 BLAS thread": lambda: conv.conv2d_backward(dout, x, w, stride, padding),
        "tf conv2d gradient (input + filter + bias)": tf_backward,
    }
    single = {label for label in methods if "1 BLAS thread" in label}
    results = {label: method() for label, method in methods.items()}  # warm-up, and the values to compare
    times = {label: [] for label in methods}

    def timed(label):
        start = time.perf_counter()
        methods[label]()
        times[label].append(time.perf_counter() - start)

    for round_ in range(rounds):
        for label in methods:
            if label in single or (label.startswith("naive") and round_ >= NAIVE_ROUNDS):
                continue                                  # the naive loop takes seconds: a few rounds suffice
            timed(label)
        with BLAS.limit(limits=1, user_api="blas"):      # outside the timed region: switching costs ~0.1 ms
            for label in single:
                timed(label)

    n, oh, ow, f = y_shape
    flops = 2 * n * oh * ow * f * int(np.prod(w_shape[:3]))
    print(f"\n{description}, float32 — {flops / 1e9:.3f} GFLOP forward, {2 * flops / 1e9:.3f} GFLOP backward")
    print(f"{'method':<44}{'median':>10}{'min–max (ms)':>18}{'GFLOP/s':>9}{'× TF speed':>12}{'max rel diff':>14}")
    reference = {"forward": np.median(times["tf.nn.conv2d + bias_add"]),
                 "backward": np.median(times["tf conv2d gradient (input + filter + bias)"])}
    for label, spent in times.items():
        kind = "backward" if "backward" in label or "gradient" in label else "forward"
        work = 2 * flops if kind == "backward" else flops
        median = statistics.median(spent)
        tf_result = results["tf conv2d gradient (input + filter + bias)" if kind == "backward" else "tf.nn.conv2d + bias_add"]
        got = results[label]
        diff = max(relative_difference(g, t) for g, t in zip(got, tf_result)) if kind == "backward" else \
            relative_difference(got, tf_result)
        print(f"{label:<44}{median * 1e3:>8.1f} ms{min(spent) * 1e3:>9.1f}–{max(spent) * 1e3:<8.1f}"
              f"{work / median / 1e9:>9.1f}{reference[kind] / median:>11.2f}×{diff:>14.1e}")
    full = int(np.prod((n, oh, ow, *w_shape[:3]))) * 4
    print(f"memory: the whole batch's im2col matrix would be {full / 2 ** 20:.1f} MiB ({n * oh * ow} × "
          f"{int(np.prod(w_shape[:3]))} float32); the reference works in chunks of images — peak allocation "
          f"{peak_mib(methods['dlmath conv2d_forward (reference)']):.1f} MiB in conv2d_forward, "
          f"{peak_mib(methods['dlmath conv2d_backward (reference)']):.1f} MiB in conv2d_backward "
          f"(input {x.nbytes / 2 ** 20:.1f} MiB, output {np.prod(y_shape) * 4 / 2 ** 20:.1f} MiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--layers", nargs="+", choices=sorted(LAYERS), default=list(LAYERS))
    arguments = parser.parse_args()
    from grading.tensorflow_reference import load

    tf = load()
    blas = ", ".join(f"{i['internal_api']} {i['version']} ({i['num_threads']} threads)" for i in BLAS.info()
                     if i["user_api"] == "blas") or "unknown BLAS"
    print(f"NumPy {np.__version__} ({blas}); TensorFlow {tf.__version__} "
          f"(oneDNN {'off' if os.environ.get('TF_ENABLE_ONEDNN_OPTS') == '0' else 'on'}, "
          f"{tf.config.threading.get_intra_op_parallelism_threads() or 'all'} intra-op threads); "
          f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f} at the start")
    for name in arguments.layers:
        benchmark(tf, name, arguments.rounds)
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
