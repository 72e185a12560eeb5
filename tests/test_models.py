"""The course network, its training, and the on-disk cache."""

import time

import keras
import numpy as np
import pytest

import interp
import interp.models as models


def test_architecture():
    model = interp.build_model()
    assert [type(layer).__name__ for layer in model.layers] == [
        "Conv2D", "Conv2D", "Flatten", "Dense"]
    conv1, conv2, _, dense = model.layers
    assert (conv1.filters, conv1.kernel_size, conv1.activation.__name__) == (5, (3, 3), "relu")
    assert (conv2.filters, conv2.kernel_size, conv2.activation.__name__) == (15, (3, 3), "relu")
    assert (dense.units, dense.activation.__name__) == (10, "softmax")
    assert model.inputs[0].shape == (None, 28, 28, 1)
    assert model.output_shape == (None, 10)


@pytest.mark.slow
def test_trained_model_accuracy(trained, test_set):
    x_test, y_test = test_set
    assert trained.training_info.test_accuracy >= 0.87
    # measured again here, not taken from the cache's record
    predicted = trained.predict(x_test, batch_size=1000, verbose=0).argmax(axis=1)
    accuracy = float(np.mean(predicted == y_test))
    assert accuracy >= 0.87
    assert accuracy == pytest.approx(trained.training_info.test_accuracy, abs=1e-4)


def test_cache_key_covers_what_decides_the_weights():
    model = interp.build_model()
    base = models.cache_key(model, epochs=3, seed=0)
    assert base == models.cache_key(interp.build_model(), epochs=3, seed=0)
    assert base != models.cache_key(model, epochs=2, seed=0)
    assert base != models.cache_key(model, epochs=3, seed=1)
    other = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(10)])
    assert base != models.cache_key(other, epochs=3, seed=0)
    shuffled = models.cache_key(model, epochs=3, seed=0, labels="shuffled")
    assert shuffled != base
    assert shuffled == models.cache_key(model, epochs=3, seed=0, labels="shuffled")


def test_shuffled_cache_key_covers_its_recipe(monkeypatch):
    model = interp.build_model()
    before = models.cache_key(model, epochs=3, seed=0, labels="shuffled")
    true_before = models.cache_key(model, epochs=3, seed=0)
    monkeypatch.setitem(models.SHUFFLED, "train_images", 4000)
    assert models.cache_key(model, epochs=3, seed=0, labels="shuffled") != before
    assert models.cache_key(model, epochs=3, seed=0) == true_before  # the shared cache stays


def test_cache_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("INTERP_CACHE_DIR", str(tmp_path))
    assert models.default_cache_dir() == tmp_path


def _weights(model):
    return [np.array(w) for w in model.get_weights()]


@pytest.fixture(scope="module")
def one_epoch(tmp_path_factory):
    """A one-epoch model trained into a private cache directory."""
    cache = tmp_path_factory.mktemp("cache")
    model = interp.trained_model(epochs=1, cache_dir=cache, verbose=False)
    return cache, model


@pytest.mark.slow
def test_one_epoch_trains_on_this_backend(one_epoch, test_set):
    """trained_model trains on whichever backend Keras runs on (each session's own)."""
    _, model = one_epoch
    x_test, y_test = test_set
    accuracy = float(np.mean(model.predict(x_test, batch_size=1000, verbose=0).argmax(axis=1)
                             == y_test))
    assert accuracy >= 0.84
    assert accuracy == pytest.approx(model.training_info.test_accuracy, abs=1e-4)
    assert len(model.training_info.kernel_times) == 1 + models.SNAPSHOTS_PER_EPOCH
    assert np.all(np.diff(model.training_info.kernel_snapshots, axis=0) != 0)  # it learned


@pytest.mark.slow
def test_cache_hit_loads_without_training(one_epoch, monkeypatch):
    cache, first = one_epoch
    assert not first.training_info.from_cache
    assert first.training_info.cache_file.parent == cache

    def no_training(*args, **kwargs):
        raise AssertionError("trained again instead of loading the cache")

    monkeypatch.setattr(keras.Model, "fit", no_training)
    again = interp.trained_model(epochs=1, cache_dir=cache, verbose=False)
    assert again.training_info.from_cache
    assert again.training_info.test_accuracy == first.training_info.test_accuracy
    for a, b in zip(_weights(first), _weights(again), strict=True):
        np.testing.assert_array_equal(a, b)
    # one model file, and the (empty) lock file its training held
    name = first.training_info.cache_file.name
    assert sorted(p.name for p in cache.iterdir()) == [name, f"{name}.lock"]


@pytest.mark.slow
def test_corrupt_cache_retrains_with_warning_and_same_seed_same_weights(one_epoch, capsys):
    cache, first = one_epoch
    path = first.training_info.cache_file
    path.write_bytes(b"not a keras file")
    with pytest.warns(models.CacheWarning, match="could not be read"):
        retrained = interp.trained_model(epochs=1, cache_dir=cache, verbose=True)
    assert not retrained.training_info.from_cache
    # a second run with the same seed gives identical weights
    for a, b in zip(_weights(first), _weights(retrained), strict=True):
        np.testing.assert_array_equal(a, b)
    lines = capsys.readouterr().out.splitlines()
    epoch_lines = [line for line in lines if line.startswith("interp: epoch")]
    assert len(epoch_lines) == 1 and "loss" in epoch_lines[0] and "accuracy" in epoch_lines[0]
    # the replaced file is whole again
    assert interp.trained_model(epochs=1, cache_dir=cache).training_info.from_cache


@pytest.mark.parametrize("interruption", [OSError("disk full"), KeyboardInterrupt()])
def test_failed_write_leaves_nothing_behind(tmp_path, monkeypatch, interruption):
    model = interp.build_model()

    def broken_save(self, path, *args, **kwargs):
        with open(path, "wb") as handle:
            handle.write(b"half a model")
        raise interruption

    monkeypatch.setattr(keras.Model, "save", broken_save)
    target = tmp_path / "model.keras"
    with pytest.raises(type(interruption)):
        models._save_atomically(model, {}, target)
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def tiny_data(monkeypatch):
    """64 noise images stand in for the data set, so that training takes a second."""
    rng = np.random.default_rng(0)
    x = rng.random((64, 28, 28, 1)).astype("float32")
    y = np.arange(64) % 10
    monkeypatch.setattr(models, "load_fashion_mnist", lambda: ((x, y), (x[:32], y[:32])))


def _no_training(monkeypatch):
    def fit(*args, **kwargs):
        raise AssertionError("trained before checking the cache location")

    monkeypatch.setattr(keras.Model, "fit", fit)


def test_a_cache_dir_that_is_a_file_is_refused_before_training(tmp_path, monkeypatch):
    _no_training(monkeypatch)
    afile = tmp_path / "cache"
    afile.write_text("")
    with pytest.raises(ValueError, match="trained_model: cache_dir must be a directory"):
        interp.trained_model(epochs=1, cache_dir=afile, verbose=False)
    with pytest.raises(TypeError, match="trained_model: cache_dir must be a path"):
        interp.trained_model(epochs=1, cache_dir=3, verbose=False)


def test_a_cache_path_that_is_a_directory_is_refused_before_training(tmp_path, monkeypatch):
    key = models.cache_key(interp.build_model(), epochs=1, seed=0)
    (tmp_path / f"fashion-cnn{models._backend_tag()}-e1-s0-{key[:16]}.keras").mkdir()
    _no_training(monkeypatch)
    with pytest.raises(ValueError, match="trained_model: the cache path .* is a directory"):
        interp.trained_model(epochs=1, cache_dir=tmp_path, verbose=False)


def test_an_unwritable_cache_returns_the_trained_model_with_a_warning(tmp_path, monkeypatch,
                                                                     tiny_data):
    def read_only(*args, **kwargs):
        raise PermissionError(13, "Read-only file system")

    monkeypatch.setattr(models, "_save_atomically", read_only)
    with pytest.warns(models.CacheWarning, match="could not be cached"):
        model = interp.trained_model(epochs=1, cache_dir=tmp_path, verbose=False)
    assert not model.training_info.from_cache
    assert model.predict(np.zeros((1, 28, 28, 1)), verbose=0).shape == (1, 10)
    # no model file, whole or partial; only the (empty) lock file of the training
    assert [p.suffix for p in tmp_path.iterdir()] == [".lock"]


def test_two_processes_asking_at_once_train_once(tmp_path, monkeypatch):
    """The gallery runs pages in parallel: the second caller waits and reads the cache."""
    import threading

    trained, ready, looked = [], threading.Event(), []

    def slow_train(path, **kwargs):  # stands in for a minute of training
        trained.append(path)
        ready.set()
        deadline = time.monotonic() + 10
        while len(looked) < 3 and time.monotonic() < deadline:  # the second caller looked
            time.sleep(0.01)
        time.sleep(0.3)  # and went on: to the lock, or (without one) to train as well
        path.write_text("a model")
        return "trained"

    def load(path):
        looked.append(path)
        return "from the cache" if path.exists() else None

    monkeypatch.setattr(models, "_train", slow_train)
    monkeypatch.setattr(models, "_load_cached", load)
    got = {}

    def ask(name):
        got[name] = interp.trained_model(cache_dir=tmp_path, verbose=False)

    first = threading.Thread(target=ask, args=("first",))
    first.start()
    assert ready.wait(10), "the first caller never started training"
    second = threading.Thread(target=ask, args=("second",))  # asks while the first trains
    second.start()
    first.join(10)
    second.join(10)
    assert len(trained) == 1, f"trained {len(trained)} times"
    assert got == {"first": "trained", "second": "from the cache"}


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"epochs": 0}, ValueError, "trained_model: epochs must be an int >= 1, got 0"),
    ({"epochs": 2.5}, TypeError, "trained_model: epochs must be an int"),
    ({"seed": -1}, ValueError, "trained_model: seed must be an int >= 0"),
    ({"labels": "random"}, ValueError, "trained_model: labels must be 'true' or 'shuffled'"),
    ({"labels": None}, ValueError, "trained_model: labels must be 'true' or 'shuffled'"),
])
def test_bad_arguments(kwargs, error, words):
    with pytest.raises(error, match=words):
        interp.trained_model(**kwargs)


def test_shuffled_labels_train_until_fit_and_stop(tmp_path, monkeypatch, tiny_data, capsys):
    """On 40 noise images: the labels are permuted, training stops once they are fit."""
    monkeypatch.setitem(models.SHUFFLED, "train_images", 40)
    monkeypatch.setitem(models.SHUFFLED, "stop_accuracy", 0.9)
    seen = {}
    fit = keras.Model.fit

    def recording_fit(self, x, y, *args, **kwargs):
        seen["x"], seen["y"] = x, y
        return fit(self, x, y, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", recording_fit)
    model = interp.trained_model(labels="shuffled", epochs=60, cache_dir=tmp_path)
    info = model.training_info
    (x_all, y_all), _ = models.load_fashion_mnist()
    assert len(seen["x"]) == info.train_images == 40
    # the images are a subset; the labels are theirs, permuted (same counts per class)
    rows = [int(np.flatnonzero((x_all == image).all(axis=(1, 2, 3)))[0]) for image in seen["x"]]
    assert np.array_equal(np.sort(seen["y"]), np.sort(y_all[rows]))
    assert not np.array_equal(seen["y"], y_all[rows])
    # it stopped at the first epoch after which it fits them, measured here again
    predicted = model.predict(seen["x"], verbose=0).argmax(axis=1)
    assert np.mean(predicted == seen["y"]) == pytest.approx(info.train_accuracy)
    assert info.train_accuracy >= 0.9
    assert len(info.history) < 60
    assert info.labels == "shuffled" and "shuffled" in info.cache_file.name
    out = capsys.readouterr().out
    assert "shuffled labels" in out and "training accuracy" in out
    # page 30 prints these lines when it trains the model (a build with no cache): they
    # keep to the house rules' 88 characters with the real 5,000 images, 2 digits more
    assert max(len(line) for line in out.splitlines()) <= 88 - 2, out
    again = interp.trained_model(labels="shuffled", epochs=60, cache_dir=tmp_path)
    assert again.training_info.from_cache
    assert again.training_info.train_accuracy == info.train_accuracy
