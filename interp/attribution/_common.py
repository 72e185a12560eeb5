"""What every attribution method shares: checks, streaming, batches made ahead, sums by image."""

from __future__ import annotations

import concurrent.futures
import functools
from collections.abc import Callable, Iterator
from typing import TypeVar

import numpy as np

from .._model import Runner, check_batch_size, is_stream, stream_batches

T = TypeVar("T")


def streams(method: Callable) -> Callable:
    """Let *method* take an iterable of batches as well as one array of images.

    Each incoming batch is explained on its own (a per-image *target* array is sliced to
    match) and the maps are concatenated, so a ``tf.data.Dataset`` or a generator over a
    memory-mapped file is read one batch at a time.
    """

    @functools.wraps(method)
    def wrapper(model, images, target=None, **options):
        if not is_stream(images):
            return method(model, images, target, **options)
        func = method.__name__
        per_image = target is not None and np.ndim(target) == 1
        parts, start = [], 0
        for batch in stream_batches(func, images):
            chosen = target
            if per_image:
                chosen = np.asarray(target)[start:start + len(batch)]
                if len(chosen) != len(batch):
                    raise ValueError(f"{func}: target must have one class per image, but the "
                                     f"images outnumber its {len(np.asarray(target))} entries")
            parts.append(method(model, batch, chosen, **options))
            start += len(batch)
        if not parts:
            raise ValueError(f"{func}: images must not be empty, got an iterable of no batches")
        if per_image and start != len(np.asarray(target)):
            raise ValueError(f"{func}: target must have one class per image ({start}), got "
                             f"{len(np.asarray(target))}")
        if isinstance(parts[0], tuple):
            return tuple(np.concatenate(column) for column in zip(*parts, strict=True))
        return np.concatenate(parts)

    return wrapper


def _setup(func: str, model: object, images: object, target: object, batch_size: object,
           output: object, *, graph: bool = False, in_pass: bool = False):
    """Check everything; with *in_pass*, predicted targets come from the gradient's pass."""
    runner = Runner(func, model, output=output, graph=graph)
    array = runner.images(images)
    batch_size = check_batch_size(func, batch_size)
    targets = runner.check_target(array, target, batch_size, in_pass=in_pass)
    return runner, array, targets, batch_size


def _empty_maps(runner: Runner, images: np.ndarray) -> np.ndarray:
    shape = runner.maps(np.empty((0, *images.shape[1:]), np.float32)).shape[1:]
    return np.zeros((len(images), *shape), dtype=np.float32)


def _two_spatial_axes(func: str, runner: Runner) -> None:
    """Refuse a model whose images do not have exactly two spatial axes."""
    if len(runner.spec.map_shape) != 2:
        raise ValueError(
            f"{func}: needs images with two spatial axes (height, width); this model takes "
            f"{runner.spec.batch()}"
        )




_END = object()


def ahead(batches: Iterator[T]) -> Iterator[T]:
    """Yield the items of *batches*, making the next one in a thread meanwhile.

    Drawing noise or building path points in numpy then overlaps with the backend's
    gradient pass on the batch before (both release the GIL); an exception raised while
    making a batch is raised here, in its turn.
    """
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        source = iter(batches)
        pending = pool.submit(next, source, _END)
        while True:
            item = pending.result()
            if item is _END:
                return
            pending = pool.submit(next, source, _END)
            yield item


def _accumulate(out: np.ndarray, rows: np.ndarray, values: np.ndarray) -> None:
    """``out[rows] += values``, where *rows* repeat in runs (the items of one image).

    Each run is summed first (``np.add.reduceat``), then added once: much faster than
    ``np.add.at``, which adds item by item.
    """
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    out[rows[starts]] += np.add.reduceat(values, starts, axis=0)


