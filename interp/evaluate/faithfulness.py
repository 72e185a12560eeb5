"""Faithfulness: whether a map ranks first the pixels the prediction depends on.

:func:`deletion` removes the pixels a map ranks highest and records how fast the class
probability falls; :func:`insertion` puts them back into a blurred copy and records how
fast it rises :cite:p:`petsiuk2018`.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import keras
import numpy as np

from .._model import Runner, check_batch_size
from .._validate import check_int, check_number, describe


class Curve(NamedTuple):
    """Result of :func:`deletion` and :func:`insertion`.

    Attributes
    ----------
    fractions : numpy.ndarray, shape (steps + 1,)
        The fraction of pixels deleted (or inserted) at each step, ``0, 1/steps, ..., 1``.
    scores : numpy.ndarray, shape (n, steps + 1)
        The target class's probability at each step, per image.
    auc : numpy.ndarray, shape (n,)
        Area under each image's curve, by the trapezoid rule over ``fractions``; in
        [0, 1]. Lower is better for deletion, higher for insertion.

    """

    fractions: np.ndarray
    scores: np.ndarray
    auc: np.ndarray


#: The default start of :func:`insertion`: a Gaussian blur of this many taps per axis ...
BLUR_SIZE = 11
#: ... with this standard deviation in pixels (the kernel of the RISE reference code).
BLUR_SIGMA = 5.0


def _blur(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """Gaussian-blur a float batch along *axes*, zero-padded, kernel normalized to sum 1."""
    radius = BLUR_SIZE // 2
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-(offsets**2) / (2 * BLUR_SIGMA**2))
    kernel = (kernel / kernel.sum()).astype(np.float32)
    out = x
    for axis in axes:
        moved = np.moveaxis(out, axis, -1)
        length = moved.shape[-1]
        padded = np.pad(moved, [(0, 0)] * (moved.ndim - 1) + [(radius, radius)])
        total = np.zeros_like(moved)
        for k, weight in enumerate(kernel):
            total += weight * padded[..., k:k + length]
        out = np.moveaxis(total, -1, axis)
    return out


def _check_attributions(func: str, runner: Runner, images: np.ndarray,
                        attributions: object) -> np.ndarray:
    """Return *attributions* as an array of one map (or one input-shaped array) per image."""
    try:
        array = (attributions if isinstance(attributions, np.ndarray)
                 else np.asarray(attributions))
    except (TypeError, ValueError) as err:  # ragged, e.g. integrated_gradients' tuple
        raise TypeError(
            f"{func}: attributions must be an array of maps, got {describe(attributions)}"
        ) from err
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{func}: attributions must hold real numbers, got {describe(array)}"
        )
    maps_shape = runner.maps(np.empty((0, *images.shape[1:]), np.float32)).shape
    maps_shape = (len(images), *maps_shape[1:])
    if array.shape not in (maps_shape, images.shape):
        raise ValueError(
            f"{func}: attributions must be one map per image, shaped {maps_shape} (or "
            f"shaped like the images, {images.shape}), got {describe(array)}"
        )
    return array


def _check_start(func: str, runner: Runner, images: np.ndarray,
                 start: object) -> np.ndarray | None:
    """Return the start images of :func:`insertion` (None for the blur or a number)."""
    if start is None:
        return None
    if isinstance(start, numbers.Real) and not isinstance(start, (bool, np.bool_)):
        check_number(func, "start", start)
        return None
    shape = images.shape[1:]
    wanted = (f"None, a number, one image shaped {shape} or one per image "
              f"{(len(images), *shape)}")
    if isinstance(start, (str, bytes, bool, np.bool_)) or not hasattr(start, "__len__"):
        raise TypeError(f"{func}: start must be {wanted}, got {describe(start)}")
    try:
        array = start if isinstance(start, np.ndarray) else np.asarray(start)
    except (TypeError, ValueError) as err:  # ragged nested lists and the like
        raise TypeError(f"{func}: start must be {wanted}, got {describe(start)}") from err
    if array.ndim == len(shape):
        array = array[np.newaxis]
    starts = runner.images(array, name="start")
    if len(starts) not in (1, len(images)):
        raise ValueError(f"{func}: start must be {wanted}, got {describe(array)}")
    return starts


def _curve(func: str, model: object, images: object, attributions: object, target: object,
           steps: object, output: object, batch_size: object, *, insert: bool,
           fill: float = 0.0, start: object = None) -> Curve:
    runner = Runner(func, model, output=output)
    images = runner.images(images)
    batch_size = check_batch_size(func, batch_size)
    steps = check_int(func, "steps", steps, minimum=1)
    array = _check_attributions(func, runner, images, attributions)
    spec = runner.spec
    n = len(images)
    starts = _check_start(func, runner, images, start) if insert else None
    if insert and starts is None and start is not None:
        start = float(start)
    targets = runner.check_target(images, target, batch_size)
    summed = array.shape == images.shape and spec.channel_axis is not None
    map_shape = array.shape[1:] if not summed else runner.maps(images[:1]).shape[1:]
    pixels = int(np.prod(map_shape))
    counts = np.array([round(i * pixels / steps) for i in range(steps + 1)])
    fractions = np.arange(steps + 1) / steps
    probabilities = runner.scores_fn("probabilities")
    scores = np.empty((n, steps + 1), dtype=np.float32)
    spatial = tuple(1 + a for a in spec.spatial_axes)
    per = steps + 1
    for first in range(0, n * per, batch_size):
        items = np.arange(first, min(first + batch_size, n * per))
        owner, step = np.divmod(items, per)
        low, high = int(owner[0]), int(owner[-1]) + 1
        x = np.asarray(images[low:high], dtype=np.float32)
        a = np.asarray(array[low:high], dtype=np.float64)
        if summed:
            a = runner.maps(a)
        for name, values in (("images", x), ("attributions", a)):
            if not np.isfinite(values).all():
                raise ValueError(
                    f"{func}: {name} must be finite, got NaN or inf values among {name} "
                    f"{low}..{high - 1}"
                )
        order = np.argsort(-a.reshape(len(a), -1), axis=1, kind="stable")
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(pixels)[np.newaxis], axis=1)
        local = owner - low
        chosen = rank[local] < counts[step][:, np.newaxis]
        chosen = chosen.reshape((len(items), *map_shape))
        if spec.channel_axis is not None:
            chosen = np.expand_dims(chosen, 1 + spec.channel_axis)
        if not insert:
            batch = np.where(chosen, np.float32(fill), x[local])
        else:
            if starts is not None:
                rows = np.arange(low, high) if len(starts) == n else np.zeros(high - low, int)
                base = np.asarray(starts[rows], dtype=np.float32)
                if not np.isfinite(base).all():
                    raise ValueError(f"{func}: start must be finite, got NaN or inf values")
            elif start is not None:
                base = np.full_like(x, start)
            else:
                base = _blur(x, spatial)
            batch = np.where(chosen, x[local], base[local])
        out = keras.ops.convert_to_numpy(probabilities(keras.ops.convert_to_tensor(batch)))
        scores[owner, step] = out[np.arange(len(items)), targets[owner]]
    widths = np.diff(fractions)
    auc = ((scores[:, 1:] + scores[:, :-1]) / 2 * widths).sum(axis=1)
    return Curve(fractions, scores, auc)


def deletion(
    model: keras.Model,
    images: np.ndarray,
    attributions: np.ndarray,
    target: object = None,
    *,
    steps: int = 20,
    fill: float = 0.0,
    output: object = None,
    batch_size: int = 256,
) -> Curve:
    """Delete the pixels a map ranks highest, and record how fast the class probability falls.

    The deletion metric of :cite:t:`petsiuk2018`: pixels are ordered by attribution,
    highest first (summed over channels if the map has them; ties go to the lower flat,
    row-major index). At each fraction ``i / steps`` the top ``round(fraction * pixels)``
    pixels are set to *fill* in every channel, and the model's probability of the target
    class is recorded. A faithful map makes the probability fall fast: a low area under
    the curve. All perturbed images of all steps go through the model in batches.

    Parameters
    ----------
    model : keras.Model
        A classifier; any model kind.
    images : array-like, shape (n, ...)
        A batch shaped as the model expects.
    attributions : array-like, shape (n, ...)
        One map per image, shaped like an image without its channel axis (as every
        interp method returns it) or like the image itself. Higher means more important;
        pass ``np.abs(maps)`` to rank by magnitude.
    target : None, int or array of int, optional
        Class whose probability is recorded; default the predicted class.
    steps : int, default 20
        Steps between nothing and everything deleted; the curve has ``steps + 1`` points.
    fill : float, default 0.0
        The value a deleted pixel takes (0 is Fashion-MNIST's black background).
    output : None, int or str, optional
        Which output of a multi-output model.
    batch_size : int, default 256
        Perturbed images per forward pass; copies of several images share a pass, and no
        more than this many exist at once.

    Returns
    -------
    Curve
        ``fractions`` (steps + 1,), ``scores`` (n, steps + 1) and the area ``auc`` (n,).
        The probability is the softmax of the model's logits (for a sigmoid head, the
        sigmoid), whether or not the model ends in a softmax.

    Raises
    ------
    ValueError, TypeError
        For attributions that are not one finite map per image, *steps* < 1, or a *fill*
        that is not a finite number.

    See Also
    --------
    insertion : the converse: pixels added to a blurred copy, highest first.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> images = np.random.default_rng(0).random((2, 28, 28, 1))
    >>> curve = interp.deletion(model, images, interp.saliency(model, images), steps=4)
    >>> curve.fractions.tolist(), curve.scores.shape, curve.auc.shape
    ([0.0, 0.25, 0.5, 0.75, 1.0], (2, 5), (2,))

    """
    func = "deletion"
    fill = check_number(func, "fill", fill)
    return _curve(func, model, images, attributions, target, steps, output, batch_size,
                  insert=False, fill=fill)


def insertion(
    model: keras.Model,
    images: np.ndarray,
    attributions: np.ndarray,
    target: object = None,
    *,
    steps: int = 20,
    start: object = None,
    output: object = None,
    batch_size: int = 256,
) -> Curve:
    """Insert the pixels a map ranks highest into a blurred copy, and record the probability.

    The insertion metric of :cite:t:`petsiuk2018`, the converse of :func:`deletion`: at
    fraction ``i / steps`` the top ``round(fraction * pixels)`` pixels (ordered as there)
    take the image's values and the rest keep the *start* image's, and the model's
    probability of the target class is recorded. A faithful map brings the class back
    fast: a high area under the curve.

    Parameters
    ----------
    model : keras.Model
        A classifier; any model kind.
    images : array-like, shape (n, ...)
        A batch shaped as the model expects.
    attributions : array-like, shape (n, ...)
        One map per image, as for :func:`deletion`.
    target : None, int or array of int, optional
        Class whose probability is recorded; default the predicted class.
    steps : int, default 20
        Steps between nothing and everything inserted.
    start : None, float or array-like, optional
        What the pixels are inserted into. Default: a blurred copy of each image, as in
        RISE -- each channel convolved along each spatial axis with an 11-tap Gaussian of
        standard deviation 5 pixels (normalized to sum 1; beyond the border the image
        counts as 0). A number: a constant image. An array: one image, or one per image.
    output : None, int or str, optional
        Which output of a multi-output model.
    batch_size : int, default 256
        Perturbed images per forward pass.

    Returns
    -------
    Curve
        ``fractions``, ``scores`` and ``auc``, as for :func:`deletion`; here a higher
        area is better.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> images = np.random.default_rng(0).random((2, 28, 28, 1))
    >>> curve = interp.insertion(model, images, interp.saliency(model, images), steps=4)
    >>> curve.scores.shape
    (2, 5)

    """
    return _curve("insertion", model, images, attributions, target, steps, output,
                  batch_size, insert=True, start=start)
