"""dlmath.data.load_mnist on small IDX and NPZ files the tests write: Keras's format back, clear errors otherwise.

The IDX format (LeCun): a big-endian magic number 0x000008DD (0x08 = unsigned bytes, DD = number of
dimensions), then each dimension as a big-endian uint32, then the values row-major. Written here with
``struct`` from the specification, not with the loader's own code.
"""
from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from dlmath.data import load_mnist

NAMES = {"x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
         "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte"}


def idx_bytes(array: np.ndarray) -> bytes:
    return struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def small_mnist(seed=0, n_train=5, n_test=3, size=(28, 28)):
    rng = np.random.default_rng(seed)
    return {"x_train": rng.integers(0, 256, (n_train, *size), dtype=np.uint8),
            "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
            "x_test": rng.integers(0, 256, (n_test, *size), dtype=np.uint8),
            "y_test": rng.integers(0, 10, n_test, dtype=np.uint8)}


def write_idx(folder, arrays, gz=False, dotted=False):
    folder.mkdir(exist_ok=True)
    for part, array in arrays.items():
        name = NAMES[part].replace("-idx", ".idx") if dotted else NAMES[part]
        data = idx_bytes(array)
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return folder


def assert_keras_format(loaded, arrays):
    (x_train, y_train), (x_test, y_test) = loaded
    for got, part in [(x_train, "x_train"), (y_train, "y_train"), (x_test, "x_test"), (y_test, "y_test")]:
        assert got.dtype == np.uint8 and got.shape == arrays[part].shape
        np.testing.assert_array_equal(got, arrays[part])


@pytest.mark.parametrize("gz, dotted", [(False, False), (True, False), (False, True), (True, True)])
def test_reads_the_four_idx_files_raw_or_gzipped(tmp_path, gz, dotted):
    arrays = small_mnist()
    assert_keras_format(load_mnist(write_idx(tmp_path / "mnist", arrays, gz, dotted)), arrays)


def test_reads_a_mix_of_gzipped_and_raw_files_and_a_str_path(tmp_path):
    arrays = small_mnist(1)
    folder = write_idx(tmp_path / "mnist", {k: v for k, v in arrays.items() if k.startswith("x")}, gz=True)
    write_idx(folder, {k: v for k, v in arrays.items() if k.startswith("y")})
    assert_keras_format(load_mnist(str(folder)), arrays)


def test_reads_keras_mnist_npz(tmp_path):
    arrays = small_mnist(2)
    np.savez_compressed(tmp_path / "mnist.npz", **arrays)
    assert_keras_format(load_mnist(tmp_path / "mnist.npz"), arrays)


def test_the_seed_articles_preprocessing_applies_unchanged(tmp_path):
    (x_train, _), _ = load_mnist(write_idx(tmp_path / "m", small_mnist(3)))
    x = x_train.reshape(x_train.shape[0], 28, 28, 1).astype("float32") / 255      # seed 000's lines
    assert x.shape == (5, 28, 28, 1) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1


def test_nothing_there_is_a_file_not_found_error_that_says_no_download(tmp_path):
    with pytest.raises(FileNotFoundError, match="never downloads"):
        load_mnist(tmp_path / "nowhere")


def test_a_missing_file_is_named(tmp_path):
    folder = write_idx(tmp_path / "m", small_mnist())
    (folder / NAMES["y_test"]).unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte"):
        load_mnist(folder)


def test_a_truncated_idx_file_says_so_with_the_sizes(tmp_path):
    folder = write_idx(tmp_path / "m", small_mnist())
    path = folder / NAMES["x_train"]
    data = path.read_bytes()
    path.write_bytes(data[:-100])
    with pytest.raises(ValueError, match=rf"truncated.*5 × 28 × 28.*{len(data)} bytes.*holds {len(data) - 100}"):
        load_mnist(folder)
    path.write_bytes(data[:10])
    with pytest.raises(ValueError, match="truncated.*header"):
        load_mnist(folder)


def test_extra_bytes_are_corrupt(tmp_path):
    folder = write_idx(tmp_path / "m", small_mnist())
    path = folder / NAMES["y_train"]
    path.write_bytes(path.read_bytes() + b"\x00\x01")
    with pytest.raises(ValueError, match="longer than its header says"):
        load_mnist(folder)


def test_a_wrong_magic_number_is_corrupt(tmp_path):
    folder = write_idx(tmp_path / "m", small_mnist())
    path = folder / NAMES["x_test"]
    path.write_bytes(b"\x1f\x8b\x08\x00" + path.read_bytes()[4:])   # a gzip header on a file without .gz
    with pytest.raises(ValueError, match="magic number is 0x1f8b0800, expected 0x00000803"):
        load_mnist(folder)


def test_swapped_image_and_label_files_are_caught_by_their_dimensions(tmp_path):
    arrays = small_mnist()
    folder = write_idx(tmp_path / "m", arrays)
    images, labels = folder / NAMES["x_train"], folder / NAMES["y_train"]
    images_bytes, labels_bytes = images.read_bytes(), labels.read_bytes()
    images.write_bytes(labels_bytes)
    labels.write_bytes(images_bytes)
    with pytest.raises(ValueError, match="3 dimension"):
        load_mnist(folder)


def test_a_cut_gzip_download_says_download_again(tmp_path):
    folder = write_idx(tmp_path / "m", small_mnist(), gz=True)
    path = folder / f"{NAMES['x_train']}.gz"
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(ValueError, match="not a complete gzip file.*download it again"):
        load_mnist(folder)


def test_images_and_labels_that_dont_match(tmp_path):
    arrays = small_mnist()
    arrays["y_test"] = arrays["y_test"][:2]
    with pytest.raises(ValueError, match="test images .* and labels .* don't belong together"):
        load_mnist(write_idx(tmp_path / "m", arrays))
    arrays = small_mnist()
    arrays["y_train"][0] = 12
    with pytest.raises(ValueError, match="labels go up to 12"):
        load_mnist(write_idx(tmp_path / "n", arrays))


def test_npz_errors(tmp_path):
    arrays = small_mnist()
    np.savez(tmp_path / "partial.npz", x_train=arrays["x_train"], y_train=arrays["y_train"])
    with pytest.raises(ValueError, match="no array\\(s\\) x_test, y_test"):
        load_mnist(tmp_path / "partial.npz")
    np.savez(tmp_path / "whole.npz", **arrays)
    data = (tmp_path / "whole.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[:len(data) // 2])
    with pytest.raises(ValueError, match="truncated or corrupt download"):
        load_mnist(tmp_path / "cut.npz")
    (tmp_path / "text.npz").write_text("not an archive")
    with pytest.raises(ValueError, match="neither a folder of IDX files nor a readable .npz"):
        load_mnist(tmp_path / "text.npz")
    np.save(tmp_path / "one.npy", arrays["x_train"])
    with pytest.raises(ValueError, match="single array"):
        load_mnist(tmp_path / "one.npy")
    np.savez(tmp_path / "floats.npz", **{**arrays, "x_train": arrays["x_train"] / 255})
    with pytest.raises(ValueError, match="expected uint8"):
        load_mnist(tmp_path / "floats.npz")
