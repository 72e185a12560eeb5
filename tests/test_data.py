"""Fashion-MNIST: real files found, verified, decoded once; damaged or missing data
explained."""

import gzip
import shutil

import numpy as np
import pytest

import interp
import interp.data as data

NAMES = list(data.SHA256)


def test_shapes_dtype_range(fashion):
    (x_train, y_train), (x_test, y_test) = fashion
    assert x_train.shape == (60000, 28, 28, 1) and x_test.shape == (10000, 28, 28, 1)
    assert x_train.dtype == np.float32 and x_test.dtype == np.float32
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert y_train.dtype.kind == "i"
    assert 0.0 <= x_test.min() and x_test.max() <= 1.0
    assert x_test.max() == 1.0  # scaled by 255, not by something else
    np.testing.assert_array_equal(np.bincount(y_train), [6000] * 10)


def test_test_labels_start_as_published(test_set):
    np.testing.assert_array_equal(test_set[1][:10], [9, 2, 1, 1, 6, 1, 4, 6, 5, 7])


def test_class_names_and_images_of(test_set):
    assert len(interp.CLASS_NAMES) == 10
    assert interp.CLASS_NAMES[0] == "T-shirt/top" and interp.CLASS_NAMES[9] == "Ankle boot"
    labels = test_set[1]
    boots = interp.images_of(labels, "Ankle boot")
    assert len(boots) == 1000
    assert np.all(labels[boots] == 9) and np.all(np.diff(boots) > 0)
    assert interp.class_index("Sneaker") == 7


def test_unknown_class_lists_names(test_set):
    with pytest.raises(ValueError, match="images_of|class_index") as info:
        interp.images_of(test_set[1], "Shoe")
    assert "'Ankle boot'" in str(info.value) and "'Shoe'" in str(info.value)


def test_images_of_rejects_images_as_labels(test_set):
    with pytest.raises(ValueError, match="images_of: labels must be a 1-D array"):
        interp.images_of(test_set[0], "Sneaker")


def test_returns_fresh_arrays():
    (_, _), (x_test, y_test) = interp.load_fashion_mnist()
    x_test[:] = -1
    y_test[:] = -1
    (_, _), (again, labels) = interp.load_fashion_mnist()
    assert again.min() == 0.0 and labels.min() == 0


def test_decodes_once_per_process(monkeypatch):
    interp.load_fashion_mnist()
    calls = []
    real = data._read_verified
    monkeypatch.setattr(data, "_read_verified", lambda *a: calls.append(a) or real(*a))
    interp.load_fashion_mnist()
    assert calls == []


@pytest.fixture
def data_copy(tmp_path):
    source = data.locate_fashion_mnist()
    for name in NAMES:
        shutil.copy(source / f"{name}.gz", tmp_path / f"{name}.gz")
    return tmp_path


def test_reads_a_directory_of_plain_files(tmp_path, data_copy, monkeypatch):
    for name in NAMES:
        (tmp_path / name).write_bytes(gzip.decompress((data_copy / f"{name}.gz").read_bytes()))
        (data_copy / f"{name}.gz").unlink()
    monkeypatch.setattr(data, "SYSTEM_DIR", tmp_path / "nowhere")
    assert data.locate_fashion_mnist(tmp_path) == tmp_path
    (_, _), (_, y_test) = interp.load_fashion_mnist(tmp_path)
    assert y_test[0] == 9


def test_environment_variable_is_searched(data_copy, monkeypatch):
    monkeypatch.setenv("INTERP_DATA_DIR", str(data_copy))
    assert data.locate_fashion_mnist() == data_copy


def test_corrupt_file_is_named(data_copy):
    victim = data_copy / "t10k-labels-idx1-ubyte.gz"
    content = bytearray(gzip.decompress(victim.read_bytes()))
    content[100] ^= 0xFF  # one flipped label byte, still a valid gzip file
    victim.write_bytes(gzip.compress(bytes(content)))
    with pytest.raises(data.DataIntegrityError) as info:
        interp.load_fashion_mnist(data_copy)
    message = str(info.value)
    assert str(victim) in message
    assert data.SHA256["t10k-labels-idx1-ubyte"] in message


def test_truncated_gzip_is_named(data_copy):
    victim = data_copy / "train-labels-idx1-ubyte.gz"
    victim.write_bytes(victim.read_bytes()[:1000])
    with pytest.raises(data.DataIntegrityError, match="not a readable gzip file") as info:
        interp.load_fashion_mnist(data_copy)
    assert str(victim) in str(info.value)


def test_nothing_found_and_no_network(tmp_path, monkeypatch):
    import keras

    def offline():
        raise OSError("network is unreachable")

    monkeypatch.setattr(data, "SYSTEM_DIR", tmp_path / "system")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("INTERP_DATA_DIR", str(tmp_path / "env"))
    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", offline)
    with pytest.raises(data.DataNotFoundError) as info:
        interp.load_fashion_mnist()
    message = str(info.value)
    for place in ("env", "system", "keras"):
        assert str(tmp_path / place) in message
    assert "network is unreachable" in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert isinstance(info.value, FileNotFoundError)


def test_a_given_data_dir_is_the_only_place_looked(tmp_path, data_copy):
    """The system copy exists, but a data_dir without the files must not fall back to it."""
    (data_copy / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(data.DataNotFoundError, match=r"load_fashion_mnist: data_dir=.* lacks "
                       r"t10k-labels-idx1-ubyte\(\.gz\)"):
        interp.load_fashion_mnist(data_copy)
    with pytest.raises(data.DataNotFoundError, match="not a directory"):
        interp.load_fashion_mnist(tmp_path / "nowhere")


@pytest.mark.parametrize("bad", [123, 1.5, ["/usr/share"]])
def test_data_dir_must_be_a_path(bad):
    with pytest.raises(TypeError, match="load_fashion_mnist: data_dir must be a path"):
        interp.load_fashion_mnist(bad)


def test_a_wrong_class_name_is_reported_by_images_of(test_set):
    _, y_test = test_set
    with pytest.raises(ValueError, match="images_of: name must be"):
        interp.images_of(y_test, "Sneakers")
