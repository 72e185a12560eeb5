"""Dissect a network over a whole data set: streamed, resumable, exact, data-parallel.

:func:`dissect` runs every image once through the model and keeps, per unit (channel) of
each chosen layer, what network dissection :cite:p:`bau2017` needs: the exact top *k*
images, the mean and extremes, and quantiles of the unit's values from a histogram on a
fixed grid, all in memory that does not grow with the number of images. The pieces:

- :mod:`.tally`: the running top *k* (shared with :func:`interp.top_activating`, which is
  this pass on one layer without quantiles) and the running statistics;
- :mod:`.sketch`: the quantile histogram, which merges exactly;
- :mod:`.checkpoint`: what identifies a run, and atomic checkpoint files;
- :mod:`.engine`: the pass itself, on one device or over a
  ``keras.distribution.DataParallel`` (JAX), in one process or several.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import keras
import numpy as np

from .._model import Runner, check_batch_size, check_distribution, conv_layers, pick_many
from .._validate import check_bool, check_int, describe
from .checkpoint import CheckpointError
from .engine import Pass
from .sketch import MANTISSA_BITS, TINY

__all__ = ["CheckpointError", "Dissection", "LayerDissection", "dissect"]


class LayerDissection(NamedTuple):
    """What :func:`dissect` found for one layer; every array has one row per unit.

    Attributes
    ----------
    indices : numpy.ndarray of int, shape (units, k)
        The *k* images whose peak (the unit's maximum over the positions of its map) is
        highest, strongest first; ties keep the lower image index first. As
        :func:`interp.top_activating` returns them.
    values : numpy.ndarray of float32, shape (units, k)
        Those peaks, descending.
    positions : numpy.ndarray of int, shape (units, k, 2)
        The (row, col) of each peak in the map (the first, row-major, when it is reached
        twice); (0, 0) for a layer without positions (``Dense``).
    mean : numpy.ndarray of float64, shape (units,)
        The unit's mean over every position of every image.
    max, min : numpy.ndarray of float32, shape (units,)
        Its largest and smallest value.
    quantiles : numpy.ndarray of float64, shape (units, len(levels))
        Its quantiles over every position of every image, at the levels asked for,
        estimated from a histogram: each within 0.78% (``2 ** -7``) of the larger of the
        two values ``numpy.quantile`` interpolates between, plus ``2 ** -24``; see
        :func:`dissect`'s Notes.
    rank_error : numpy.ndarray of float64, shape (units, len(levels))
        For each quantile, a bound on the share of the unit's values that lie strictly
        between the estimate and the exact quantile.
    count : int
        The images seen.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> images = np.random.default_rng(0).random((40, 28, 28, 1))
    >>> entry = interp.dissect(model, images, "conv1", k=4, progress=False)["conv1"]
    >>> entry.indices.shape, entry.positions.shape, entry.quantiles.shape, entry.count
    ((5, 4), (5, 4, 2), (5, 2), 40)
    >>> bool((entry.values[:, 0] == entry.max).all())  # the top image holds the maximum
    True

    """

    indices: np.ndarray
    values: np.ndarray
    positions: np.ndarray
    mean: np.ndarray
    max: np.ndarray
    min: np.ndarray
    quantiles: np.ndarray
    rank_error: np.ndarray
    count: int


class Dissection(Mapping):
    """The result of :func:`dissect`: ``{layer path: LayerDissection}``, in layer order.

    Attributes
    ----------
    images : int
        The images seen.
    k : int
        Top images kept per unit.
    levels : tuple of float
        The quantile levels of each entry's ``quantiles`` columns.
    resumed : int
        Images whose tallies were read from the checkpoint rather than computed by this
        call (0 for a fresh run; all of them when the checkpoint was complete).
    seconds : float
        Wall time of the call.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> images = np.random.default_rng(0).random((40, 28, 28, 1))
    >>> found = interp.dissect(model, images, k=4, progress=False)
    >>> found
    <Dissection of 40 images, k=4: {'conv1': 5 units, 'conv2': 15 units}>
    >>> found.levels, found.images, found["conv2"].mean.shape
    ((0.99, 0.995), 40, (15,))

    """

    def __init__(self, entries: dict[str, LayerDissection], *, images: int, k: int,
                 levels: tuple[float, ...], resumed: int = 0, seconds: float = 0.0) -> None:
        self._entries = dict(entries)
        self.images, self.k, self.levels = images, k, tuple(levels)
        self.resumed, self.seconds = resumed, seconds

    def __getitem__(self, path: str) -> LayerDissection:
        try:
            return self._entries[path]
        except KeyError:
            raise KeyError(f"Dissection: no layer {path!r}; it holds {list(self)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        layers = ", ".join(f"{path!r}: {len(entry.mean)} units"
                           for path, entry in self._entries.items())
        return f"<Dissection of {self.images:,} images, k={self.k}: {{{layers}}}>"


def _levels(func: str, quantiles: object) -> tuple[float, ...]:
    if isinstance(quantiles, (str, bytes)) or not isinstance(quantiles, (Sequence, np.ndarray)) \
            or (isinstance(quantiles, np.ndarray) and quantiles.ndim != 1):
        raise TypeError(f"{func}: quantiles must be a sequence of levels in [0, 1], got "
                        f"{describe(quantiles)}")
    levels = []
    for level in quantiles:
        if isinstance(level, bool) or not isinstance(level, numbers.Real):
            raise TypeError(f"{func}: quantiles must be a sequence of levels in [0, 1], got "
                            f"{describe(quantiles)}")
        if not 0.0 <= float(level) <= 1.0:
            raise ValueError(f"{func}: quantiles must be levels in [0, 1], got {level!r}")
        levels.append(float(level))
    return tuple(levels)


def _checkpoint_path(func: str, checkpoint: object) -> Path | None:
    if checkpoint is None:
        return None
    if not isinstance(checkpoint, (str, os.PathLike)):
        raise TypeError(f"{func}: checkpoint must be a file path (str or os.PathLike) or "
                        f"None, got {describe(checkpoint)}")
    path = Path(checkpoint).expanduser()
    if path.is_dir():
        raise ValueError(f"{func}: checkpoint must be a file path, got the folder "
                         f"{str(checkpoint)!r}")
    if not path.parent.is_dir():
        raise ValueError(f"{func}: checkpoint {str(checkpoint)!r} is in a folder that does "
                         "not exist; create it first")
    return path


def dissect(
    model: keras.Model,
    data: object,
    layers: object = None,
    *,
    k: int = 9,
    quantiles: Sequence[float] = (0.99, 0.995),
    batch_size: int = 256,
    checkpoint: str | os.PathLike | None = None,
    distribution: object = None,
    progress: bool = True,
    checkpoint_every: int | None = None,
) -> Dissection:
    """Tally every unit of some layers over a whole data set, in one streamed pass.

    What network dissection :cite:p:`bau2017` needs of a network, for data of any size.
    For each unit (channel) of each layer: the exact top *k* images (index, peak value,
    position), the mean and extremes over every position of every image, quantiles of
    those values, and the number of images seen. Memory depends on the batch size, *k*
    and the units, never on the number of images; the pass can be checkpointed and
    resumed, and sharded over devices and processes with Keras's distribution API.

    Parameters
    ----------
    model : keras.Model
        A Sequential (built), Functional or nested model.
    data : array-like, shape (n, ...), or an iterable of such batches
        The images, shaped as the model takes them: an array (a memory-mapped ``.npy``
        is read a batch at a time), or batches from a generator or a ``tf.data.Dataset``
        (of images, or of ``(images, labels)``; labels are ignored). Indices count
        images across the batches.
    layers : int, str, layer class, layer, or a list of them, optional
        Which layers, as :func:`interp.feature_maps` takes them. Each must output 2-D
        maps ``(n, h, w, c)`` (``(n, c, h, w)`` for ``channels_first``) or vectors
        ``(n, c)``. Default: every 2-D convolution layer, nested ones included.
    k : int, default 9
        Top images per unit; at most the number of images.
    quantiles : sequence of float, default (0.99, 0.995)
        Levels in [0, 1] of the quantiles to estimate (network dissection thresholds a
        unit at its 0.995 quantile); empty to skip them, which saves about half the
        host's work.
    batch_size : int, default 256
        Images per step: per forward pass on one device, or the global batch split over
        the devices and processes of *distribution*. Part of a checkpoint's identity (the
        sums are added batch by batch).
    checkpoint : str or os.PathLike, optional
        A file to save the pass to, atomically, as it goes (see *checkpoint_every*), and
        at the end. If it exists, the pass resumes from it: its tallies are loaded, the
        data already done is compared with the digests it holds, and the pass goes on
        from there, ending with exactly the result of an uninterrupted run. A checkpoint
        of another model, other arguments or other data is refused with an error saying
        which. A complete one returns its result without running the model.
    distribution : keras.distribution.DataParallel, optional
        Run the forward passes data-parallel (JAX backend): each step's batch is sharded
        over the distribution's devices. After ``keras.distribution.initialize`` (JAX's
        distributed runtime) over a mesh that spans several processes, every process runs
        this same call, each reading its own rows of every step (see Notes), and every
        process returns the merged result. Default: the distribution set with
        ``keras.distribution.set_distribution``, if any; else one device.
    progress : bool, default True
        Draw a progress bar, in images per second, on a terminal.
    checkpoint_every : int, optional
        Save the checkpoint every this many steps. Default: once at least 30 seconds of
        work have passed since the last save (and 100 times the time a save took, so
        saving costs at most 1%); every 100 steps with several processes.

    Returns
    -------
    Dissection
        ``{layer path: LayerDissection}`` in the order of *layers*.

    Raises
    ------
    ValueError
        If *data* is empty, not shaped for the model or holds NaN or inf; a layer gives
        NaN or inf; *k* exceeds the number of images; a level is outside [0, 1]; the
        checkpoint belongs to another run (``interp.dissection.CheckpointError``, a
        ``ValueError``); a distribution is given on another backend than JAX.
    TypeError
        For arguments of the wrong kind, a subclassed model, or a distribution that is
        not a ``keras.distribution.DataParallel``.
    IndexError
        If a layer position is out of range.

    See Also
    --------
    interp.top_activating : the top *k* of one convolution layer (this pass, smaller).
    interp.crop_patches : cut out what each top position sees.

    Notes
    -----
    **Top k.** An image's score for a unit is the peak of the unit's map, as
    :func:`interp.top_activating` scores it; the top *k* are kept per batch and merged
    exactly (ties to the lower image index), so any split of the data gives the same
    images, values and positions.

    **Quantiles** are over every position of every image, estimated as
    ``numpy.quantile``'s default (linear) method would compute them, from a histogram
    per unit on a fixed grid of float32 values: each power of two is cut into
    ``2 ** 7`` bins, and values closer to 0 than ``2 ** -24`` share one bin read as 0.
    Histograms merge by adding counts: exactly, in any order, so devices, processes and
    resumed runs give the same counts. Each unit's histogram holds the bins between its
    layer's smallest and largest value: 3,842 (30 KiB) for a ReLU layer whose values
    reach 64, and at most 39,169 (306 KiB) whatever the values.

    *The bounds.* For a level *q*, let ``x[i] <= x[i + 1]`` be the two sorted values
    ``numpy.quantile`` interpolates between (``i = floor(q * (n - 1))``, *n* the
    unit's values). The estimate differs from ``numpy.quantile``'s value by at most
    ``2 ** -7 * max(|x[i]|, |x[i + 1]|) + 2 ** -24`` (0.78% of the larger, plus
    ``interp.dissection.ZERO_BAND``). Its rank error, the share of the unit's values that
    lie strictly between the estimate and the exact quantile, is at most the entry's
    ``rank_error``: the share of values in the one or two bins that hold ``x[i]`` and
    ``x[i + 1]``. That bound is computed, not fixed in advance: a bin holds values
    within 0.78% of each other, so it is small (below 1% in interp's tests, on 16,000
    values per unit of a layer without ReLU, at levels 0.5 to 0.99) unless many values
    are nearly equal, as a ReLU's zeros are at low levels; there the estimate is exact
    (0) or within the relative bound.

    **Mean** is the sum over every position of every image, added per batch in float64,
    over the count.

    **Checkpoints** identify a run by the model (a SHA-256 of its configuration and
    weights), the layers, *k*, *quantiles*, *batch_size*, the backend, the number of
    processes, and the data: an array's shape and dtype, and for every kind of data the
    digest (BLAKE2b) of each batch as it streams (of at most 1,024 values spread over
    each image). On resume an iterable is read again from its start and each batch done
    is compared with its digest as it is skipped; an array is compared on the first and
    last batch done and up to 16 batches between them. Files are written to a temporary
    file, synced and renamed, so a run killed at any moment (``SIGKILL`` too) leaves a
    whole checkpoint (and, if the kill came during a write, a temporary file
    ``.NAME.*.tmp`` beside it, which can be deleted). A checkpoint grows by 16 bytes
    per batch (the digests); the tallies do not grow. With several processes each
    writes its own,
    ``PATH.process-I-of-N`` (and the one before, ``.previous``), and they resume from
    the last step all of them saved.

    **Several processes** (after ``keras.distribution.initialize``): step *s* is the
    global batch of images ``s * batch_size`` up to ``(s + 1) * batch_size``; of an
    array, process *i* reads only its share, rows ``i * ceil(batch_size / N)`` on of
    that batch, so every process passes the same (memory-mapped) array. An iterable is
    each process's own: its batches are cut into chunks of ``ceil(batch_size / N)``
    images, step *s* joins chunk *s* of every process in process order, and image
    indices count the images so joined. The processes run one program (JAX's
    multi-controller model): if one of them fails, the others wait in the next
    collective until JAX's distributed runtime gives up on it.

    **k and the number of images.** *k* larger than the images is refused: before the
    pass for an array, after it for an iterable (whose length is known only then).

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> images = np.random.default_rng(0).random((50, 28, 28, 1))
    >>> found = interp.dissect(model, images, k=3, quantiles=(0.5, 0.99), progress=False)
    >>> list(found)
    ['conv1', 'conv2']
    >>> entry = found["conv2"]
    >>> entry.indices.shape, entry.positions.shape, entry.quantiles.shape, entry.count
    ((15, 3), (15, 3, 2), (15, 2), 50)

    """
    func = "dissect"
    runner = Runner(func, model, graph=True)
    k = check_int(func, "k", k, minimum=1)
    levels = _levels(func, quantiles)
    batch_size = check_batch_size(func, batch_size)
    path = _checkpoint_path(func, checkpoint)
    progress = check_bool(func, "progress", progress)
    if checkpoint_every is not None:
        checkpoint_every = check_int(func, "checkpoint_every", checkpoint_every, minimum=1)
    distribution = check_distribution(func, distribution)
    if layers is None:
        picked = conv_layers(runner.model, rank=2)
        if not picked:
            raise ValueError(f"{func}: the model has no 2-D convolution layer; pass layers=...")
    else:
        picked = pick_many(func, runner.model, layers)
    run = Pass(func, runner, picked, data, k=k, levels=levels, histogram=bool(levels),
               batch_size=batch_size, name="data", distribution=distribution,
               checkpoint=path, checkpoint_every=checkpoint_every, quiet=not progress)
    if hasattr(run.source, "n") and k > run.source.n:
        raise ValueError(f"{func}: k must be at most the number of images ({run.source.n}), "
                         f"got {k}")
    result = run.run()
    return _dissection(func, result, k, levels)


def _dissection(func: str, result, k: int, levels: tuple[float, ...]) -> Dissection:
    """Turn the pass's tallies into a :class:`Dissection`."""
    if result.images == 0:
        raise ValueError(f"{func}: data must not be empty, got an iterable of no batches")
    if result.images < k:
        raise ValueError(f"{func}: k must be at most the number of images ({result.images}), "
                         f"got {k}")
    entries = {}
    for path, tally in zip(result.paths, result.tallies, strict=True):
        if tally.histogram is not None:
            values, errors = tally.histogram.quantiles(levels, tally.low, tally.high)
        else:
            values = errors = np.zeros((tally.units, 0))
        entries[path] = LayerDissection(
            indices=tally.top.indices, values=tally.top.values, positions=tally.positions(),
            mean=tally.total / max(tally.values, 1), max=tally.high.copy(),
            min=tally.low.copy(), quantiles=values, rank_error=errors, count=tally.images)
    return Dissection(entries, images=result.images, k=k, levels=levels,
                      resumed=result.resumed, seconds=result.seconds)


#: The bound on a quantile's relative error (see :func:`dissect`'s Notes).
RELATIVE_ERROR = 2.0 ** -MANTISSA_BITS
#: Values closer to 0 than this are counted as 0 by the quantile histogram.
ZERO_BAND = TINY
