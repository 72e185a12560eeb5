"""The course's network: how it is built, trained once, and cached on disk.

:func:`trained_model` trains on the full Fashion-MNIST training set the first time and
stores the result as a ``.keras`` file whose name carries a hash of everything that decides
the weights. Every later call, in any process, loads that file instead of training.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
import time
import warnings
import zipfile
from pathlib import Path

import keras
import numpy as np

from ._validate import check_int, describe
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

    """

    test_accuracy: float
    test_loss: float
    history: tuple[dict[str, float], ...]
    train_seconds: float
    cache_file: Path
    from_cache: bool
    kernel_times: np.ndarray
    kernel_snapshots: np.ndarray


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
        20 training steps per call into TensorFlow (``steps_per_execution``), which trains
        about 20% faster on a CPU and leaves the result unchanged.

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
        steps_per_execution=RECIPE["steps_per_execution"],
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


def cache_key(model: keras.Model, *, epochs: int, seed: int) -> str:
    """Return a sha256 of everything that decides the trained weights.

    That is the architecture, the training recipe, the number of epochs, the seed, the
    data's checksum and the Keras and TensorFlow versions.

    Examples
    --------
    >>> import interp
    >>> from interp.models import cache_key
    >>> len(cache_key(interp.build_model(), epochs=3, seed=0))
    64

    """
    import tensorflow as tf

    parts = {
        "format": _FORMAT,
        "architecture": model.get_config(),
        "recipe": RECIPE,
        "epochs": epochs,
        "seed": seed,
        "data": data_checksum(),
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
    }
    text = json.dumps(parts, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


class _EpochLine(keras.callbacks.Callback):
    """Print one compact line per epoch, fit for logs."""

    def __init__(self, epochs: int) -> None:
        super().__init__()
        self.epochs = epochs
        self.started = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        print(
            f"interp: epoch {epoch + 1}/{self.epochs}  loss {logs.get('loss', np.nan):.4f}  "
            f"accuracy {logs.get('accuracy', np.nan):.4f}  "
            f"({time.perf_counter() - self.started:.1f} s)",
            flush=True,
        )


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
    )
    return model


def _save_atomically(
    model: keras.Model, info: dict, path: Path, arrays: dict[str, np.ndarray] | None = None
) -> None:
    """Write *model*, *info* and *arrays* to a temporary file beside *path*, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".keras")
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        model.save(tmp)
        with zipfile.ZipFile(tmp, "a") as archive:
            archive.writestr(_INFO_ENTRY, json.dumps(info, indent=1))
            if arrays is not None:
                with archive.open(_KERNELS_ENTRY, "w") as handle:
                    np.savez(handle, **arrays)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def trained_model(
    *,
    epochs: int = 3,
    seed: int = 0,
    cache_dir: str | os.PathLike | None = None,
    verbose: bool = True,
) -> keras.Model:
    """Return the course's network trained on all 60,000 Fashion-MNIST training images.

    The first call trains (about 12 s for 3 epochs on two CPU cores) and caches the model;
    later calls with the same arguments load it in well under a second.

    Parameters
    ----------
    epochs : int, default 3
        Passes over the training set.
    seed : int, default 0
        Seeds weight initialisation and shuffling (via :func:`keras.utils.set_random_seed`,
        which also seeds Python's and numpy's global generators) with TensorFlow's op
        determinism on, so a rerun on the same machine and versions gives the same weights.
    cache_dir : path-like, optional
        Where to cache; default ``interp.models.default_cache_dir()``
        (``$INTERP_CACHE_DIR`` if set).
    verbose : bool, default True
        Print one line per training epoch and the test accuracy. Loading prints nothing.

    Returns
    -------
    keras.Model
        The trained, compiled model. Its attribute ``training_info`` is a
        :class:`TrainingInfo` with the measured test accuracy (about 0.89), the per-epoch
        history, the cache file and the first layer's kernels recorded
        ``SNAPSHOTS_PER_EPOCH`` times per epoch.

    Raises
    ------
    ValueError
        Before any training, if *cache_dir* is a file or the cache path is a directory.
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
    data checksum and Keras/TensorFlow versions (``interp.models.cache_key``), so changing any of
    them trains anew. The file is written to a temporary name and renamed, so a crash or
    a concurrent run never leaves a half-written model behind. Turning on op determinism
    is process-wide and stays on after training.

    Examples
    --------
    >>> import interp
    >>> model = interp.trained_model()  # doctest: +SKIP
    >>> round(model.training_info.test_accuracy, 2)  # doctest: +SKIP
    0.89

    """
    epochs = check_int("trained_model", "epochs", epochs, minimum=1)
    seed = check_int("trained_model", "seed", seed, minimum=0)
    if cache_dir is not None and not isinstance(cache_dir, (str, os.PathLike)):
        raise TypeError(f"trained_model: cache_dir must be a path (str or os.PathLike), "
                        f"got {describe(cache_dir)}")
    directory = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    # Everything that can be known before a minute of training is checked first.
    if directory.exists() and not directory.is_dir():
        raise ValueError(f"trained_model: cache_dir must be a directory, but {directory} is a "
                         "file; pass another cache_dir or set INTERP_CACHE_DIR")

    key = cache_key(build_model(), epochs=epochs, seed=seed)
    path = directory / f"fashion-cnn-e{epochs}-s{seed}-{key[:16]}.keras"
    if path.is_dir():
        raise ValueError(f"trained_model: the cache path {path} is a directory, not a model "
                         "file; remove it or pass another cache_dir")
    cached = _load_cached(path)
    if cached is not None:
        return cached

    import tensorflow as tf

    (x_train, y_train), (x_test, y_test) = load_fashion_mnist()
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    model = build_model()
    if verbose:
        print(f"interp: training the Fashion-MNIST CNN ({epochs} epochs, seed {seed})",
              flush=True)
    kernel_history = KernelHistory("conv1", per_epoch=SNAPSHOTS_PER_EPOCH)
    started = time.perf_counter()
    fit = model.fit(
        x_train, y_train,
        epochs=epochs,
        batch_size=RECIPE["batch_size"],
        shuffle=RECIPE["shuffle"],
        verbose=0,
        callbacks=[kernel_history, _EpochLine(epochs)] if verbose else [kernel_history],
    )
    seconds = time.perf_counter() - started
    test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    history = [
        {"loss": float(fit.history["loss"][e]), "accuracy": float(fit.history["accuracy"][e])}
        for e in range(epochs)
    ]
    info = {
        "test_accuracy": float(test_accuracy),
        "test_loss": float(test_loss),
        "history": history,
        "train_seconds": seconds,
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
            stacklevel=2,
        )
    if verbose:
        print(f"interp: test accuracy {test_accuracy:.4f}; cached as {path.name}", flush=True)
    model.training_info = TrainingInfo(
        test_accuracy=float(test_accuracy),
        test_loss=float(test_loss),
        history=tuple(history),
        train_seconds=seconds,
        cache_file=path,
        from_cache=False,
        kernel_times=snapshots["times"],
        kernel_snapshots=snapshots["kernels"],
    )
    return model
