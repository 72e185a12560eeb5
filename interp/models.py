"""The course's network: how it is built, trained once, and cached on disk.

:func:`trained_model` trains on the full Fashion-MNIST training set the first time and
stores the result as a ``.keras`` file whose name carries a hash of everything that decides
the weights. Every later call, in any process, loads that file instead of training.
``trained_model(labels="shuffled")`` does the same for the network the data-randomization
check needs: the same architecture, trained on a subset with shuffled labels until it
has memorized them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import tempfile
import time
import warnings
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import keras
import numpy as np

from ._model import backend, backend_version, deterministic
from ._validate import check_choice, check_int, describe
from .callbacks import KernelHistory
from .data import data_checksum, load_fashion_mnist

#: How the network is trained; part of the cache key.
RECIPE = {
    "optimizer": "adam",
    "learning_rate": 1e-3,
    "loss": "sparse_categorical_crossentropy",
    "batch_size": 32,
    "shuffle": True,
    "op_determinism": True,
    "steps_per_execution": 20,
}
_INFO_ENTRY = "interp-training.json"
_KERNELS_ENTRY = "interp-kernel-history.npz"
_FORMAT = 2  # 2: the first layer's kernel history is stored with the model
#: Snapshots of the first layer's kernels per training epoch.
SNAPSHOTS_PER_EPOCH = 4
#: How the shuffled-label network differs from the recipe; part of its cache key. It is
#: trained on ``train_images`` training images drawn at random (seeded), their labels
#: permuted among them (so every class keeps its count), for at most ``max_epochs``
#: epochs, stopping after the first epoch after which its accuracy on them, measured,
#: reaches ``stop_accuracy``.
SHUFFLED = {
    "train_images": 5000,
    "labels": "seeded permutation within the subset",
    "max_epochs": 150,
    "stop_accuracy": 0.98,
    "stop_rule": "measured accuracy on the subset after an epoch",
}
LABELS = ("true", "shuffled")


def recipe() -> dict:
    """Return the training recipe on the backend Keras runs on.

    That is :data:`RECIPE`, except on PyTorch, whose Keras trainer runs one step per call
    (``steps_per_execution=1``); the result is the same, only slower.
    """
    if backend() == "torch":
        return {**RECIPE, "steps_per_execution": 1}
    return dict(RECIPE)


def _backend_tag() -> str:
    """Return the cache file's backend tag: none for TensorFlow, ``-jax`` or ``-torch``."""
    name = backend()
    return "" if name == "tensorflow" else f"-{name}"


class CacheWarning(UserWarning):
    """A cached model could not be read (it is retrained) or written (it is returned uncached)."""


@dataclasses.dataclass(frozen=True, eq=False)
class TrainingInfo:
    """How a model from :func:`trained_model` was trained and how well it does.

    Attributes
    ----------
    test_accuracy : float
        Accuracy on the 10,000 Fashion-MNIST test images, measured after training.
    test_loss : float
        Cross-entropy on the test images.
    history : tuple of dict
        One ``{"loss": ..., "accuracy": ...}`` per epoch, on the training set.
    train_seconds : float
        Wall time the training took (when the model was trained, not when it was loaded).
    cache_file : pathlib.Path
        The ``.keras`` file the model is stored in.
    from_cache : bool
        Whether this call loaded the model instead of training it.
    kernel_times : numpy.ndarray, shape (n_snapshots,)
        When the first layer's kernels were recorded, in epochs (0.0: before training).
    kernel_snapshots : numpy.ndarray, shape (n_snapshots, 3, 3, 1, 5)
        The first layer's kernels at those times (see :class:`interp.KernelHistory`).
    labels : {"true", "shuffled"}
        What the network was trained on.
    train_images : int or None
        How many training images it saw.
    train_accuracy : float or None
        Accuracy on those images, with the labels it was trained on, measured after
        training. For ``labels="shuffled"`` it shows how well the network memorized them.
        ``None`` (as is ``train_images``) for a model cached by interp 0.1.0 before this
        was recorded.

    """

    test_accuracy: float
    test_loss: float
    history: tuple[dict[str, float], ...]
    train_seconds: float
    cache_file: Path
    from_cache: bool
    kernel_times: np.ndarray
    kernel_snapshots: np.ndarray
    labels: str = "true"
    train_images: int | None = None
    train_accuracy: float | None = None


def build_model() -> keras.Sequential:
    """Build the course's (untrained, compiled) convolutional network.

    ``Input(28, 28, 1)`` → ``Conv2D(5, 3, relu)`` → ``Conv2D(15, 3, relu)`` → ``Flatten`` →
    ``Dense(10, softmax)``, with layers named ``conv1``, ``conv2``, ``flatten`` and
    ``dense``. Weights are drawn from Keras's global random state; call
    :func:`keras.utils.set_random_seed` first for a reproducible start.

    Returns
    -------
    keras.Sequential
        Compiled with Adam and sparse categorical cross-entropy, tracking accuracy; it runs
        20 training steps per call into TensorFlow or JAX (``steps_per_execution``), which
        trains about 20% faster on a CPU and leaves the result unchanged. On PyTorch,
        which allows only one, it runs one.

    Examples
    --------
    >>> import interp
    >>> model = interp.build_model()
    >>> [layer.name for layer in model.layers]
    ['conv1', 'conv2', 'flatten', 'dense']
    >>> model.count_params()
    87150

    """
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1), name="image"),
            keras.layers.Conv2D(5, 3, activation="relu", name="conv1"),
            keras.layers.Conv2D(15, 3, activation="relu", name="conv2"),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(10, activation="softmax", name="dense"),
        ],
        name="fashion_cnn",
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=RECIPE["learning_rate"]),
        loss=RECIPE["loss"],
        metrics=["accuracy"],
        steps_per_execution=recipe()["steps_per_execution"],
    )
    return model


def default_cache_dir() -> Path:
    """Return where trained models are cached.

    ``$INTERP_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/interp``, else ``~/.cache/interp``.

    Examples
    --------
    >>> from interp.models import default_cache_dir
    >>> default_cache_dir()  # doctest: +SKIP
    PosixPath('/home/me/.cache/interp')

    """
    if os.environ.get("INTERP_CACHE_DIR"):
        return Path(os.environ["INTERP_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "interp"


def cache_key(model: keras.Model, *, epochs: int, seed: int, labels: str = "true") -> str:
    """Return a sha256 of everything that decides the trained weights.

    That is the architecture, the training recipe, the number of epochs, the seed, the
    data's checksum, the Keras version, and the backend with its version (TensorFlow's
    keys name only its version, as before other backends were supported, so models
    cached then stay valid); for ``labels="shuffled"`` also :data:`SHUFFLED` (the subset,
    the label permutation and the stopping rule).

    Examples
    --------
    >>> import interp
    >>> from interp.models import cache_key
    >>> len(cache_key(interp.build_model(), epochs=3, seed=0))
    64

    """
    parts = {
        "format": _FORMAT,
        "architecture": model.get_config(),
        "recipe": recipe(),
        "epochs": epochs,
        "seed": seed,
        "data": data_checksum(),
        "keras": keras.__version__,
    }
    name = backend()
    if name != "tensorflow":
        parts["backend"] = name
    parts[name] = backend_version()
    if labels != "true":
        parts["labels"] = labels
        parts["shuffled"] = SHUFFLED
    text = json.dumps(parts, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


class _EpochLine(keras.callbacks.Callback):
    """Print one compact line per epoch (or every *every* epochs), fit for logs."""

    def __init__(self, epochs: int, every: int = 1) -> None:
        super().__init__()
        self.epochs = epochs
        self.every = every
        self.started = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if epoch % self.every == 0:
            self.started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if (epoch + 1) % self.every and not self.model.stop_training:
            return
        print(
            f"interp: epoch {epoch + 1}/{self.epochs}  loss {logs.get('loss', np.nan):.4f}  "
            f"accuracy {logs.get('accuracy', np.nan):.4f}  "
            f"({time.perf_counter() - self.started:.1f} s)",
            flush=True,
        )


class _StopWhenFit(keras.callbacks.Callback):
    """Stop training after the first epoch after which the model fits *x*, *y*.

    Fitting means an accuracy of at least *accuracy*, measured on all of *x* with the
    weights as they are at the end of the epoch (Keras's running mean over the epoch
    lags behind them). It is measured only once that running mean is within 0.05 of
    *accuracy*, which saves time and changes nothing.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, accuracy: float) -> None:
        super().__init__()
        self.x, self.y, self.accuracy = x, y, accuracy

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if (logs or {}).get("accuracy", 0.0) < self.accuracy - 0.05:
            return
        predicted = self.model.predict(self.x, batch_size=1000, verbose=0).argmax(axis=1)
        if np.mean(predicted == self.y) >= self.accuracy:
            self.model.stop_training = True


def _load_cached(path: Path) -> keras.Model | None:
    """Return the cached model with its info, or ``None`` (with a warning) if unusable."""
    if not path.exists():
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            info = json.loads(archive.read(_INFO_ENTRY))
            with archive.open(_KERNELS_ENTRY) as handle:
                snapshots = dict(np.load(handle))
        model = keras.saving.load_model(path)
        # a model saved by TensorFlow runs 20 steps per call, which PyTorch refuses
        model.steps_per_execution = min(model.steps_per_execution,
                                        recipe()["steps_per_execution"])
    except Exception as err:  # a damaged file of any kind is a miss, never a crash
        warnings.warn(
            f"trained_model: the cached model {path} could not be read "
            f"({type(err).__name__}: {err}); training a new one",
            CacheWarning,
            stacklevel=3,
        )
        return None
    model.training_info = TrainingInfo(
        test_accuracy=info["test_accuracy"],
        test_loss=info["test_loss"],
        history=tuple(info["history"]),
        train_seconds=info["train_seconds"],
        cache_file=path,
        from_cache=True,
        kernel_times=snapshots["times"],
        kernel_snapshots=snapshots["kernels"],
        labels=info.get("labels", "true"),
        train_images=info.get("train_images"),
        train_accuracy=info.get("train_accuracy"),
    )
    return model


def _write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Have *write* fill a temporary file beside *path*, then rename it to *path*.

    A reader sees the old file or the whole new one, never a part; if *write* fails, the
    temporary file is removed and *path* is left as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _save_atomically(
    model: keras.Model, info: dict, path: Path, arrays: dict[str, np.ndarray] | None = None
) -> None:
    """Write *model*, *info* and *arrays* to a temporary file beside *path*, then rename."""

    def write(tmp: Path) -> None:
        model.save(tmp)
        with zipfile.ZipFile(tmp, "a") as archive:
            archive.writestr(_INFO_ENTRY, json.dumps(info, indent=1))
            if arrays is not None:
                with archive.open(_KERNELS_ENTRY, "w") as handle:
                    np.savez(handle, **arrays)

    _write_atomically(path, write)


def trained_model(
    *,
    epochs: int | None = None,
    seed: int = 0,
    labels: str = "true",
    cache_dir: str | os.PathLike | None = None,
    verbose: bool = True,
) -> keras.Model:
    """Return the course's network trained on Fashion-MNIST, from the cache after the first call.

    With ``labels="true"`` (the default) it is trained on all 60,000 training images; the
    first call takes about 10-20 s for 3 epochs on two CPU cores. With ``labels="shuffled"``
    it is the network of the data-randomization check :cite:p:`adebayo2018`: the same
    architecture and recipe, trained on 5,000 training images whose labels were shuffled
    among them, until it has memorized them (about a minute). It learns nothing about the
    classes, so its test accuracy is at chance, 10%. Later calls with the same arguments
    load the model in well under a second.

    Parameters
    ----------
    epochs : int, optional
        Passes over the training set. Default 3 for true labels; for shuffled labels the
        most it may take (default 150), stopping after the first epoch after which it
        classifies 98% of its training images as labelled (``interp.models.SHUFFLED``).
    seed : int, default 0
        Seeds weight initialisation and shuffling (via :func:`keras.utils.set_random_seed`,
        which also seeds Python's and numpy's global generators) with TensorFlow's op
        determinism on (on that backend), so a rerun on the same machine, backend and
        versions gives the same weights. Each backend draws its own initial weights, so
        the backends train different (equally accurate) networks. For shuffled labels it
        also draws the subset and the permutation of its labels.
    labels : {"true", "shuffled"}, default "true"
        Which labels to train on.
    cache_dir : path-like, optional
        Where to cache; default ``interp.models.default_cache_dir()``
        (``$INTERP_CACHE_DIR`` if set).
    verbose : bool, default True
        Print a line per training epoch (every 10th for shuffled labels, and the last) and
        the accuracies. Loading prints nothing.

    Returns
    -------
    keras.Model
        The trained, compiled model. Its attribute ``training_info`` is a
        :class:`TrainingInfo` with the measured test accuracy (about 0.89 for true labels,
        about 0.10 for shuffled ones), the training accuracy, the per-epoch history, the
        cache file and the first layer's kernels recorded ``SNAPSHOTS_PER_EPOCH`` times
        per epoch.

    Raises
    ------
    ValueError
        Before any training, if *cache_dir* is a file or the cache path is a directory, or
        *labels* is neither ``"true"`` nor ``"shuffled"``.
    TypeError
        If *cache_dir* is not a path.

    Warns
    -----
    CacheWarning
        If a cached file exists but cannot be read (it is then retrained and replaced), or
        the trained model cannot be written (a read-only directory; it is returned
        uncached).

    Notes
    -----
    The cache file name holds a hash of the architecture, training recipe, epochs, seed,
    data checksum, Keras version and backend with its version, and for shuffled labels
    of ``interp.models.SHUFFLED`` (``interp.models.cache_key``), so changing any of them
    trains anew; on JAX and PyTorch the name also says ``-jax`` or ``-torch``. The file is
    written to a temporary name and renamed, so a crash or a concurrent run never leaves a
    half-written model behind. Turning on op determinism is process-wide and stays on
    after training.

    Examples
    --------
    >>> import interp
    >>> model = interp.trained_model()  # doctest: +SKIP
    >>> round(model.training_info.test_accuracy, 2)  # doctest: +SKIP
    0.89
    >>> shuffled = interp.trained_model(labels="shuffled")  # doctest: +SKIP
    >>> info = shuffled.training_info  # doctest: +SKIP
    >>> info.train_accuracy > 0.95, round(info.test_accuracy, 1)  # doctest: +SKIP
    (True, 0.1)

    """
    func = "trained_model"
    labels = check_choice(func, "labels", labels, LABELS)
    shuffled = labels == "shuffled"
    if epochs is None:
        epochs = SHUFFLED["max_epochs"] if shuffled else 3
    epochs = check_int(func, "epochs", epochs, minimum=1)
    seed = check_int(func, "seed", seed, minimum=0)
    if cache_dir is not None and not isinstance(cache_dir, (str, os.PathLike)):
        raise TypeError(f"trained_model: cache_dir must be a path (str or os.PathLike), "
                        f"got {describe(cache_dir)}")
    directory = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    # Everything that can be known before a minute of training is checked first.
    if directory.exists() and not directory.is_dir():
        raise ValueError(f"trained_model: cache_dir must be a directory, but {directory} is a "
                         "file; pass another cache_dir or set INTERP_CACHE_DIR")

    key = cache_key(build_model(), epochs=epochs, seed=seed, labels=labels)
    stem = "fashion-cnn-shuffled" if shuffled else "fashion-cnn"
    path = directory / f"{stem}{_backend_tag()}-e{epochs}-s{seed}-{key[:16]}.keras"
    if path.is_dir():
        raise ValueError(f"trained_model: the cache path {path} is a directory, not a model "
                         "file; remove it or pass another cache_dir")
    cached = _load_cached(path)
    if cached is not None:
        return cached
    # Two processes that ask at once (the gallery runs its pages in parallel) train once:
    # the second waits for the first, then reads what it cached.
    with _training_lock(path):
        cached = _load_cached(path)
        if cached is not None:
            return cached
        return _train(path, epochs=epochs, seed=seed, labels=labels, verbose=verbose)


@contextlib.contextmanager
def _training_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``<path>.lock`` while the model at *path* is trained.

    Advisory (``fcntl.flock``), released by the kernel if the process dies; where there
    is no ``fcntl`` (Windows) or the folder cannot be written, there is no lock and two
    processes may both train, as before (the cache is written atomically either way).
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path.with_name(path.name + ".lock"), "a")
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _train(path: Path, *, epochs: int, seed: int, labels: str,
           verbose: bool) -> keras.Model:
    """Train the network :func:`trained_model` describes and cache it at *path*."""
    shuffled = labels == "shuffled"
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist()
    if shuffled:
        rng = np.random.default_rng([seed, 1])
        chosen = np.sort(rng.permutation(len(x_train))[:SHUFFLED["train_images"]])
        x_train, y_train = x_train[chosen], rng.permutation(y_train[chosen])
    keras.utils.set_random_seed(seed)
    deterministic()
    model = build_model()
    if verbose:
        # a page of the gallery prints these lines: at most 88 characters (house rules)
        what = (f"on {len(x_train)} images with shuffled labels, until it fits "
                f"{SHUFFLED['stop_accuracy']:.0%} of them" if shuffled
                else f"the Fashion-MNIST CNN ({epochs} epochs, seed {seed})")
        print(f"interp: training {what}", flush=True)
    kernel_history = KernelHistory("conv1", per_epoch=SNAPSHOTS_PER_EPOCH)
    callbacks: list[keras.callbacks.Callback] = [kernel_history]
    if shuffled:
        callbacks.insert(0, _StopWhenFit(x_train, y_train, SHUFFLED["stop_accuracy"]))
    if verbose:
        callbacks.append(_EpochLine(epochs, every=10 if shuffled else 1))
    started = time.perf_counter()
    fit = model.fit(
        x_train, y_train,
        epochs=epochs,
        batch_size=RECIPE["batch_size"],
        shuffle=RECIPE["shuffle"],
        verbose=0,
        callbacks=callbacks,
    )
    seconds = time.perf_counter() - started
    _, train_accuracy = model.evaluate(x_train, y_train, batch_size=1000, verbose=0)
    test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    history = [
        {"loss": float(loss), "accuracy": float(accuracy)}
        for loss, accuracy in zip(fit.history["loss"], fit.history["accuracy"], strict=True)
    ]
    info = {
        "test_accuracy": float(test_accuracy),
        "test_loss": float(test_loss),
        "history": history,
        "train_seconds": seconds,
        "labels": labels,
        "train_images": len(x_train),
        "train_accuracy": float(train_accuracy),
    }
    snapshots = {"times": kernel_history.times, "kernels": kernel_history.kernels}
    try:
        _save_atomically(model, info, path, snapshots)
    except OSError as err:  # read-only or full disk: the trained model is still good
        warnings.warn(
            f"trained_model: the trained model could not be cached at {path} "
            f"({type(err).__name__}: {err}); returning it uncached, so the next call trains "
            "again. Pass a writable cache_dir or set INTERP_CACHE_DIR",
            CacheWarning,
            stacklevel=3,
        )
    if verbose:
        print(f"interp: training accuracy {train_accuracy:.4f}, test accuracy "
              f"{test_accuracy:.4f}\ninterp: cached as {path.name}", flush=True)
    model.training_info = TrainingInfo(
        test_accuracy=float(test_accuracy),
        test_loss=float(test_loss),
        history=tuple(history),
        train_seconds=seconds,
        cache_file=path,
        from_cache=False,
        kernel_times=snapshots["times"],
        kernel_snapshots=snapshots["kernels"],
        labels=labels,
        train_images=len(x_train),
        train_accuracy=float(train_accuracy),
    )
    return model


# ---- results computed from the cached models, cached in turn -------------------------------

_RESULT_FORMAT = 1
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_-")


def _fingerprint(func: str, value: object, where: str = "depends_on") -> object:
    """Return a JSON-able stand-in for *value*: arrays and models by a sha256."""
    if isinstance(value, keras.Model):
        digest = hashlib.sha256()
        for weight in value.get_weights():
            digest.update(f"{weight.dtype.str}{weight.shape}".encode())
            digest.update(np.ascontiguousarray(weight).tobytes())
        return {"model weights": digest.hexdigest()}
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise TypeError(f"{func}: {where} holds an array of Python objects, which has no "
                            "stable fingerprint; allowed: numbers, strings, None, lists, "
                            "tuples, dicts with string keys, numeric arrays and Keras models")
        digest = hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()
        return {"array": [value.dtype.str, list(value.shape), digest]}
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_fingerprint(func, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError(f"{func}: {where} holds a dict with keys that are not strings; "
                            "use string keys")
        return {k: _fingerprint(func, v, f"{where}[{k!r}]") for k, v in value.items()}
    raise TypeError(f"{func}: {where} holds {describe(value)}, which has no stable "
                    "fingerprint; allowed: numbers, strings, None, lists, tuples, dicts with "
                    "string keys, numeric arrays and Keras models")


def cached(
    name: str,
    compute: Callable[[], object],
    *,
    depends_on: object,
    cache_dir: str | os.PathLike | None = None,
    refresh: bool = False,
) -> object:
    """Return ``compute()``, from a JSON file in the cache when it was computed before.

    For results computed from the cached models that take long to compute and little
    room to store, such as a table of scores: the gallery's heavy pages use it so that a
    rebuild reads the table instead of computing it again. The file is
    ``<cache_dir>/<name>-<key>.json``, where the key is a sha256 of *depends_on*, of
    interp's version, and of the Keras backend with the versions of Keras and the
    backend. Any change to those gives a new key, so a new file; a file whose content
    does not match its key, or cannot be read, is computed again (with an
    ``interp.models.CacheWarning``). The file is written atomically: to a
    temporary file beside it, then renamed.

    Parameters
    ----------
    name : str
        The start of the file's name: lower-case letters, digits, ``-`` and ``_``.
    compute : callable
        Called with no argument on a miss; returns what to cache: made of dicts with
        string keys, lists, strings, numbers (NaN and infinity included), booleans and
        ``None`` (tuples come back as lists, numpy numbers as Python numbers).
    depends_on : object
        Everything the result depends on: numbers, strings, ``None``, lists, tuples,
        dicts with string keys, numeric numpy arrays (by their dtype, shape and bytes)
        and Keras models (by their weights).
    cache_dir : str or path-like, optional
        Default ``interp.models.default_cache_dir()`` (``$INTERP_CACHE_DIR`` if set).
    refresh : bool, default False
        Compute and write the file even if it exists.

    Returns
    -------
    object
        What *compute* returned, as read back from JSON.

    Raises
    ------
    ValueError
        For a *name* with other characters.
    TypeError
        For *depends_on* holding something else, a *compute* that is not callable, or a
        result that JSON cannot hold.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> import interp
    >>> folder = tempfile.mkdtemp()
    >>> weights, calls = np.arange(3.0), []
    >>> def total():
    ...     calls.append(1)
    ...     return {"sum": float(weights.sum())}
    >>> interp.cached("example", total, depends_on=weights, cache_dir=folder)
    {'sum': 3.0}
    >>> interp.cached("example", total, depends_on=weights, cache_dir=folder)  # read back
    {'sum': 3.0}
    >>> len(calls)
    1

    """
    func = "cached"
    if not isinstance(name, str) or not name or not set(name) <= _NAME_CHARS:
        raise ValueError(f"{func}: name must be lower-case letters, digits, '-' and '_', "
                         f"got {describe(name)}")
    if not callable(compute):
        raise TypeError(f"{func}: compute must be a callable taking no argument, got "
                        f"{describe(compute)}")
    parts = {"format": _RESULT_FORMAT, "depends_on": _fingerprint(func, depends_on),
             "interp": _interp_version(), "keras": keras.__version__,
             "backend": [backend(), backend_version()]}
    key = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
    folder = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    path = folder / f"{name}-{key[:16]}.json"
    if path.exists() and not refresh:
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            if stored["key"] != key:
                raise ValueError("the key stored in the file is not its name's")
            return stored["value"]
        except Exception as err:  # a damaged file of any kind is a miss, never a crash
            warnings.warn(f"{func}: the cached result {path} could not be read "
                          f"({type(err).__name__}: {err}); computing it again",
                          CacheWarning, stacklevel=2)
    value = compute()
    try:
        text = json.dumps({"key": key, "value": value}, indent=1, default=_plain_number)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{func}: compute returned a result JSON cannot hold ({err}); "
                        "return dicts with string keys, lists, strings, numbers, booleans "
                        "and None") from err
    try:
        _write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    except OSError as err:  # read-only or full disk: the result is still good
        warnings.warn(f"{func}: the result could not be cached at {path} "
                      f"({type(err).__name__}: {err}); returning it uncached. Pass a "
                      "writable cache_dir or set INTERP_CACHE_DIR", CacheWarning, stacklevel=2)
    return json.loads(text)["value"]


def _plain_number(value: object) -> object:
    """JSON's fallback: a numpy number as the Python number; anything else refused."""
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return value.item()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _interp_version() -> str:
    from . import __version__

    return __version__
