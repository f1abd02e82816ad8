"""Data the chapters train on: scikit-learn's digits, split the same way everywhere.

Nothing is downloaded: the 1,797 8×8 digit images ship inside scikit-learn. Every chapter
that trains a network uses :func:`digits`, so results are comparable across chapters (and
with the Keras twins of the framework-view sections).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Split:
    """A train / validation / test split: images as rows of pixels in [0, 1], labels 0–9."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def num_classes(self) -> int:
        return 10


def one_hot(labels, num_classes: int = 10, dtype=np.float64) -> np.ndarray:
    """Rows of the identity matrix: ``one_hot([2, 0], 3) == [[0, 0, 1], [1, 0, 0]]``.

    Raises:
        ValueError: for labels that are not integers in ``[0, num_classes)``.
    """
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu" or (labels.size and (labels.min() < 0 or labels.max() >= num_classes)):
        raise ValueError(f"labels must be integers in [0, {num_classes}), got {labels.dtype} "
                         f"values from {labels.min() if labels.size else '-'} to {labels.max() if labels.size else '-'}")
    return np.eye(num_classes, dtype=dtype)[labels]


def digits(validation: float = 0.2, test: float = 0.2, seed: int = 0, dtype=np.float64, images: bool = False) -> Split:
    """scikit-learn's digits, shuffled with ``seed`` and split per class (stratified).

    Args:
        validation, test: fractions of each class for the validation and test sets.
        seed: the shuffle; the same seed gives the same split on every machine.
        dtype: float dtype of the pixels (scaled from 0–16 to [0, 1]).
        images: ``(N, 8, 8, 1)`` images (NHWC, for convolutions) instead of ``(N, 64)`` rows.

    Returns:
        A :class:`Split`; labels are int64 class indices (see :func:`one_hot`).
    """
    if not (0 <= validation < 1 and 0 <= test < 1 and validation + test < 1):
        raise ValueError(f"validation and test must be fractions with a sum below 1, got {validation} and {test}")
    from sklearn.datasets import load_digits  # imported here: only the chapters that train need it

    data = load_digits()
    x = (data.data / 16.0).astype(dtype)
    y = data.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    parts = {"train": [], "val": [], "test": []}
    for label in range(10):
        index = rng.permutation(np.flatnonzero(y == label))
        n_val, n_test = round(validation * len(index)), round(test * len(index))
        parts["val"].append(index[:n_val])
        parts["test"].append(index[n_val:n_val + n_test])
        parts["train"].append(index[n_val + n_test:])
    chosen = {k: rng.permutation(np.concatenate(v)) for k, v in parts.items()}
    shape = (-1, 8, 8, 1) if images else (-1, 64)
    return Split(*(a for k in ("train", "val", "test") for a in (x[chosen[k]].reshape(shape), y[chosen[k]])))


# ---- MNIST from files you downloaded (never a download here) -------------------------------------

_MNIST_FILES = {  # part → the file's usual names (Yann LeCun's, and the dotted variant of some mirrors)
    "x_train": ("train-images-idx3-ubyte", "train-images.idx3-ubyte"),
    "y_train": ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
    "x_test": ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"),
    "y_test": ("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"),
}
_MNIST_HELP = ("dlmath never downloads: get the four IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
               "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) or Keras's mnist.npz on a machine with internet "
               "access and pass the folder (or the .npz file) to load_mnist")


def _read_bytes(path) -> bytes:
    import gzip
    import zlib
    from pathlib import Path

    path = Path(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as stream:
                return stream.read()
        return path.read_bytes()
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise ValueError(f"{path} is not a complete gzip file ({type(error).__name__}: {error}): "
                         "the download was probably cut short — download it again") from None


def _read_idx(path, ndim: int) -> np.ndarray:
    """An IDX file of unsigned bytes with ``ndim`` dimensions (3 for images, 1 for labels), checked."""
    data = _read_bytes(path)
    header = 4 + 4 * ndim
    if len(data) >= 4 and (data[0], data[1], data[2], data[3]) != (0, 0, 0x08, ndim):
        raise ValueError(f"{path} is not an IDX file of unsigned bytes with {ndim} dimension(s): its magic number is "
                         f"0x{int.from_bytes(data[:4], 'big'):08x}, expected 0x0000080{ndim} "
                         "(a corrupt file, or not the file its name says)")
    if len(data) < header:
        raise ValueError(f"{path} is truncated: {len(data)} bytes, not even the {header}-byte IDX header")
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape)) + header
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "longer than its header says (corrupt)"
        raise ValueError(f"{path} is {what}: its header announces {' × '.join(map(str, shape))} values, "
                         f"{expected} bytes with the header, but the file holds {len(data)}")
    return np.frombuffer(data, np.uint8, offset=header).reshape(shape).copy()


def _mnist_file(folder, part: str):
    from pathlib import Path

    for name in _MNIST_FILES[part]:
        for candidate in (Path(folder) / name, Path(folder) / f"{name}.gz"):
            if candidate.is_file():
                return candidate
    return None


def _checked_mnist(parts: dict, where) -> tuple:
    for split in ("train", "test"):
        x, y = parts[f"x_{split}"], parts[f"y_{split}"]
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise ValueError(f"{where}: the {split} images (shape {x.shape}) and labels (shape {y.shape}) don't belong "
                             "together: expected (n, rows, cols) images and n labels")
        if x.dtype != np.uint8 or y.dtype != np.uint8:
            raise ValueError(f"{where}: the {split} arrays have dtypes {x.dtype} and {y.dtype}, expected uint8 "
                             "(pixels 0–255 and labels 0–9, as MNIST ships them)")
        if y.size and y.max() > 9:
            raise ValueError(f"{where}: the {split} labels go up to {y.max()}; MNIST's labels are digits 0–9 "
                             "(were the image and label files swapped, or is the file corrupt?)")
    return (parts["x_train"], parts["y_train"]), (parts["x_test"], parts["y_test"])


def load_mnist(path):
    """MNIST from files you downloaded yourself, as ``keras.datasets.mnist.load_data()`` returns it.

    Reads either

    * a **folder** holding the four IDX files — ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
      ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each optionally gzipped (``.gz``) and
      also accepted with a dot (``train-images.idx3-ubyte``) — or
    * Keras's **mnist.npz** (arrays ``x_train``, ``y_train``, ``x_test``, ``y_test``).

    Nothing is ever downloaded (the course's machines have no internet).

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: uint8 images of shape (n, 28, 28) with pixels
        0–255 and uint8 labels 0–9 — exactly Keras's format, so the seed articles' preprocessing
        (``x.reshape(-1, 28, 28, 1).astype("float32") / 255``) applies unchanged.

    Raises:
        FileNotFoundError: nothing at ``path``, or a folder missing one of the four files (named).
        ValueError: a truncated, corrupt or mismatched file (saying which, and what was expected).
    """
    import zipfile
    import zlib
    from pathlib import Path

    path = Path(path).expanduser()
    if path.is_dir():
        found = {part: _mnist_file(path, part) for part in _MNIST_FILES}
        missing = [names[0] + "[.gz]" for part, names in _MNIST_FILES.items() if found[part] is None]
        if missing:
            raise FileNotFoundError(f"{path} lacks the MNIST file(s) {', '.join(missing)}. {_MNIST_HELP}.")
        parts = {part: _read_idx(found[part], 3 if part.startswith("x") else 1) for part in _MNIST_FILES}
        return _checked_mnist(parts, path)
    if path.is_file():
        unreadable = (f"{path} is neither a folder of IDX files nor a readable .npz archive: a truncated or "
                      "corrupt download? Download it again")
        try:
            archive = np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
            raise ValueError(f"{unreadable} ({type(error).__name__}: {error})") from None
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError(f"{path} holds a single array, not Keras's mnist.npz (x_train, y_train, x_test, y_test)")
        with archive:
            missing = [key for key in _MNIST_FILES if key not in archive.files]
            if missing:
                raise ValueError(f"{path} has no array(s) {', '.join(missing)}: not Keras's mnist.npz "
                                 f"(it holds {', '.join(archive.files) or 'nothing'})")
            try:
                parts = {key: archive[key] for key in _MNIST_FILES}
            except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:
                raise ValueError(f"{unreadable} ({type(error).__name__}: {error})") from None
        return _checked_mnist(parts, path)
    raise FileNotFoundError(f"no MNIST at {path}: expected a folder with the four IDX files or Keras's mnist.npz. "
                            f"{_MNIST_HELP}.")
