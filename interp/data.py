"""Find, verify and decode the Fashion-MNIST data set; class names; images by class.

The four IDX files are read from the ``data_dir`` argument when it is given (and only from
there). Otherwise they are looked for, in order, in

1. the directory named by the environment variable ``INTERP_DATA_DIR``,
2. ``/usr/share/datasets/fashion-mnist`` (Debian package ``dataset-fashion-mnist``),
3. the Keras cache (``$KERAS_HOME/datasets/fashion-mnist``, default ``~/.keras``),
4. and finally downloaded with :func:`keras.datasets.fashion_mnist.load_data`.

Each file may be gzip-compressed (``name.gz``) or plain. What is verified is the sha256 of
the *decompressed* bytes: Debian recompresses the files, so their gzip headers differ from
upstream while the contents are identical.
"""

from __future__ import annotations

import functools
import hashlib
import os
import zlib
from pathlib import Path

import numpy as np

from ._validate import check_choice, describe

CLASS_NAMES: tuple[str, ...] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
"""The ten Fashion-MNIST class names, indexed by label: ``CLASS_NAMES[7]`` is ``"Sneaker"``.

A label ``y`` (0-9) names the class ``CLASS_NAMES[y]``; :func:`class_index` goes the other
way, and :func:`images_of` finds the images of a class by its name.

Examples
--------
>>> import interp
>>> interp.CLASS_NAMES[7]
'Sneaker'
>>> len(interp.CLASS_NAMES)
10
"""

#: sha256 of each decompressed IDX file.
SHA256: dict[str, str] = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}

SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
HOW_TO_GET = (
    "Install the Debian package (apt-get install dataset-fashion-mnist), or put the four "
    "files (" + ", ".join(f"{name}.gz" for name in SHA256) + ") in a directory and pass it as "
    "data_dir or set INTERP_DATA_DIR, or connect to the internet so that Keras can download them."
)

_IDX_MAGIC = {"images": 2051, "labels": 2049}


class DataNotFoundError(FileNotFoundError):
    """Fashion-MNIST is in none of the places looked and could not be downloaded."""


class DataIntegrityError(ValueError):
    """A Fashion-MNIST file was found but its contents are not the expected ones."""


def data_checksum() -> str:
    """Return one sha256 that identifies the data set: a hash of the four files' hashes.

    Examples
    --------
    >>> from interp.data import data_checksum
    >>> len(data_checksum())
    64

    """
    joined = "".join(f"{name}:{digest}\n" for name, digest in sorted(SHA256.items()))
    return hashlib.sha256(joined.encode()).hexdigest()


def _keras_cache_dir() -> Path:
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets" / "fashion-mnist"


def _candidate_dirs() -> list[tuple[str, Path]]:
    candidates = []
    if os.environ.get("INTERP_DATA_DIR"):
        candidates.append(("$INTERP_DATA_DIR", Path(os.environ["INTERP_DATA_DIR"])))
    candidates.append(("Debian package dataset-fashion-mnist", SYSTEM_DIR))
    candidates.append(("Keras cache", _keras_cache_dir()))
    return candidates


def _find_file(directory: Path, name: str) -> Path | None:
    for candidate in (directory / f"{name}.gz", directory / name):
        if candidate.is_file():
            return candidate
    return None


def _complete(directory: Path) -> bool:
    return all(_find_file(directory, name) is not None for name in SHA256)


def _read_verified(path: Path, name: str) -> bytes:
    raw = path.read_bytes()
    try:
        data = zlib.decompress(raw, wbits=31) if path.suffix == ".gz" else raw
    except zlib.error as err:
        raise DataIntegrityError(
            f"load_fashion_mnist: {path} is not a readable gzip file ({err}); expected the "
            f"Fashion-MNIST file {name} (decompressed sha256 {SHA256[name]}). "
            "Delete it and fetch it again."
        ) from err
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256[name]:
        raise DataIntegrityError(
            f"load_fashion_mnist: {path} does not hold the Fashion-MNIST file {name}: "
            f"decompressed sha256 is {digest}, expected {SHA256[name]}. "
            "The file is damaged or a different data set; delete it and fetch it again."
        )
    return data


def _decode(data: bytes, kind: str) -> np.ndarray:
    ndim = 3 if kind == "images" else 1
    header = np.frombuffer(data, dtype=">u4", count=1 + ndim)
    if int(header[0]) != _IDX_MAGIC[kind]:  # pragma: no cover - the checksum rules it out
        raise DataIntegrityError(f"load_fashion_mnist: bad IDX magic number {header[0]}")
    shape = tuple(int(n) for n in header[1:])
    array = np.frombuffer(data, dtype=np.uint8, offset=4 * (1 + ndim)).reshape(shape)
    return array


@functools.lru_cache(maxsize=4)
def _load_raw(directory: Path) -> tuple[np.ndarray, ...]:
    """Decode the four files in *directory* once per process; arrays are read-only uint8."""
    arrays = []
    for name in SHA256:
        kind = "images" if "images" in name else "labels"
        array = _decode(_read_verified(_find_file(directory, name), name), kind)
        array.flags.writeable = False
        arrays.append(array)
    return tuple(arrays)


def _download() -> None:
    import keras  # deferred: importing Keras costs seconds

    keras.datasets.fashion_mnist.load_data()


def locate_fashion_mnist(data_dir: str | os.PathLike | None = None) -> Path:
    """Return the directory that :func:`load_fashion_mnist` reads, downloading if needed.

    Parameters
    ----------
    data_dir : path-like, optional
        A directory that holds the four files. When given, it is the only place looked.

    Returns
    -------
    pathlib.Path
        The first directory, in the documented search order, that holds all four files.

    Raises
    ------
    DataNotFoundError
        If *data_dir* lacks a file, or no place has the files and the download fails; the
        message lists every place looked and how to get the data.
    TypeError
        If *data_dir* is not a path.

    Examples
    --------
    >>> from interp.data import locate_fashion_mnist
    >>> locate_fashion_mnist().name
    'fashion-mnist'

    """
    if data_dir is not None:
        if not isinstance(data_dir, (str, os.PathLike)):
            raise TypeError(
                f"load_fashion_mnist: data_dir must be a path (str or os.PathLike), "
                f"got {describe(data_dir)}"
            )
        given = Path(data_dir).expanduser()
        missing = [name for name in SHA256 if _find_file(given, name) is None]
        if missing:
            raise DataNotFoundError(
                f"load_fashion_mnist: data_dir={str(data_dir)!r} lacks "
                + ", ".join(f"{name}(.gz)" for name in missing)
                + ("" if given.is_dir() else " (it is not a directory)")
                + "; pass a directory that holds all four files, or leave data_dir out to "
                "use the standard places"
            )
        return given
    candidates = _candidate_dirs()
    for _, directory in candidates:
        if _complete(directory):
            return directory
    keras_dir = _keras_cache_dir()
    try:
        _download()
    except Exception as err:  # no network, proxy refused, disk full, ...
        download_error = f"{type(err).__name__}: {err}"
    else:
        if _complete(keras_dir):
            return keras_dir
        download_error = f"the download finished but {keras_dir} lacks some files"
    looked = "\n".join(f"  - {label}: {path}" for label, path in candidates)
    raise DataNotFoundError(
        "load_fashion_mnist: could not find Fashion-MNIST. Looked in:\n"
        f"{looked}\n  - Keras download: {download_error}\n{HOW_TO_GET}"
    )


def load_fashion_mnist(
    data_dir: str | os.PathLike | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load the real Fashion-MNIST images and labels, verified against known checksums.

    Parameters
    ----------
    data_dir : path-like, optional
        A directory holding the four IDX files (gzip-compressed or plain). When given, it
        is the only place looked; otherwise ``$INTERP_DATA_DIR``, the Debian package's
        directory, the Keras cache and finally a Keras download are tried in turn.

    Returns
    -------
    (x_train, y_train), (x_test, y_test) : tuple of tuples of numpy.ndarray
        Images as float32 in [0, 1] shaped ``(n, 28, 28, 1)``; labels as int64 shaped
        ``(n,)``. There are 60,000 training and 10,000 test images. The arrays are fresh
        copies: changing them does not change what the next call returns.

    Raises
    ------
    DataNotFoundError
        If *data_dir* lacks a file, or the files are nowhere and cannot be downloaded.
    TypeError
        If *data_dir* is not a path.
    DataIntegrityError
        If a file is found but its decompressed contents have the wrong sha256.

    Notes
    -----
    The files are decompressed, verified and decoded once per process and directory; later
    calls only convert the cached bytes to float32.

    Examples
    --------
    >>> import interp
    >>> (x_train, y_train), (x_test, y_test) = interp.load_fashion_mnist()
    >>> x_test.shape, x_test.dtype, y_test[:3]
    ((10000, 28, 28, 1), dtype('float32'), array([9, 2, 1]))

    """
    directory = locate_fashion_mnist(data_dir)
    train_x, train_y, test_x, test_y = _load_raw(directory.resolve())

    def images(raw: np.ndarray) -> np.ndarray:
        return np.divide(raw[..., np.newaxis], np.float32(255.0), dtype=np.float32)

    return (
        (images(train_x), train_y.astype(np.int64)),
        (images(test_x), test_y.astype(np.int64)),
    )


def class_index(name: str) -> int:
    """Return the label of the class called *name*.

    Parameters
    ----------
    name : str
        One of :data:`CLASS_NAMES`, e.g. ``"Ankle boot"``.

    Raises
    ------
    ValueError
        If *name* is not a class name; the message lists the names.

    Examples
    --------
    >>> import interp
    >>> interp.class_index("Sneaker")
    7

    """
    check_choice("class_index", "name", name, CLASS_NAMES)
    return CLASS_NAMES.index(name)


def images_of(labels: np.ndarray, name: str) -> np.ndarray:
    """Return the indices of the images whose label is the class called *name*.

    Use it to pick images by what they show, never by a fixed position.

    Parameters
    ----------
    labels : array-like of int, shape (n,)
        Labels as returned by :func:`load_fashion_mnist`.
    name : str
        One of :data:`CLASS_NAMES`.

    Returns
    -------
    numpy.ndarray of int
        Indices into *labels*, in increasing order.

    Raises
    ------
    ValueError
        If *name* is not a class name (the message lists them) or *labels* is not 1-D.

    Examples
    --------
    >>> import interp
    >>> _, (x_test, y_test) = interp.load_fashion_mnist()
    >>> first_boot = interp.images_of(y_test, "Ankle boot")[0]
    >>> interp.CLASS_NAMES[y_test[first_boot]]
    'Ankle boot'

    """
    check_choice("images_of", "name", name, CLASS_NAMES)
    target = CLASS_NAMES.index(name)
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(
            f"images_of: labels must be a 1-D array of integer labels, got {describe(labels)}"
        )
    return np.flatnonzero(labels == target)
