"""Faithfulness: whether a map ranks first the pixels the prediction depends on.

:func:`deletion` removes the pixels a map ranks highest and records how fast the class
probability falls; :func:`insertion` puts them back into a blurred copy and records how
fast it rises :cite:p:`petsiuk2018`. :func:`mu_fidelity` correlates a map's sum over
random subsets of pixels with the drop of the probability when they are removed
:cite:p:`bhatt2020`; :func:`infidelity` takes the mean squared difference between the
map's prediction of the drop under random perturbations and the drop
:cite:p:`yeh2019`. :func:`road` removes pixels in the map's order like :func:`deletion`,
but imputes them from their neighbours :cite:p:`rong2022`.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import keras
import numpy as np

from .._model import Runner, check_batch_size
from .._validate import check_bool, check_choice, check_int, check_number, describe
from .randomization import rank_correlation


class Curve(NamedTuple):
    """Result of :func:`deletion`, :func:`insertion` and :func:`road`.

    Attributes
    ----------
    fractions : numpy.ndarray, shape (steps + 1,)
        The fraction of pixels deleted (or inserted) at each step, ``0, 1/steps, ..., 1``
        (for :func:`road`, the fractions it was given).
    scores : numpy.ndarray, shape (n, steps + 1)
        The target class's probability at each step, per image.
    auc : numpy.ndarray, shape (n,)
        Area under each image's curve, by the trapezoid rule over ``fractions``; in
        [0, 1]. Lower is better for deletion (and ROAD's MoRF), higher for insertion
        (and ROAD's LeRF).

    """

    fractions: np.ndarray
    scores: np.ndarray
    auc: np.ndarray


class Fidelity(NamedTuple):
    """Result of :func:`mu_fidelity` and :func:`infidelity`.

    Both compare, over ``N`` perturbations of each image, what the map says a
    perturbation should cost with what it costs the model.

    Attributes
    ----------
    scores : numpy.ndarray, shape (n,)
        The measure per image; NaN where it is undefined (see the function).
    mean : float
        The mean of ``scores`` over the images where it is defined; NaN if none is.
    sums : numpy.ndarray, shape (n, N)
        What the map predicts for each perturbation: the sum of the map over the
        removed subset of pixels (:func:`mu_fidelity`), or of the map times the
        perturbation (:func:`infidelity`).
    drops : numpy.ndarray, shape (n, N)
        What the model did: the target's probability on the image minus that on the
        perturbed image.

    """

    scores: np.ndarray
    mean: float
    sums: np.ndarray
    drops: np.ndarray


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


# ---- faithfulness measures beyond the curves ----------------------------------------------

def _mean(scores: np.ndarray) -> float:
    """Return the mean of the finite *scores*, or NaN when none is (without a warning)."""
    finite = scores[np.isfinite(scores)]
    return float(finite.mean()) if finite.size else float("nan")


def _pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson's correlation of matching rows; NaN where either row is constant."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    denominator = np.sqrt((a**2).sum(axis=1) * (b**2).sum(axis=1))
    out = np.full(len(a), np.nan)
    defined = denominator > 0
    out[defined] = np.clip((a * b).sum(axis=1)[defined] / denominator[defined], -1.0, 1.0)
    return out


def _map_shape(runner: Runner, images: np.ndarray) -> tuple[int, ...]:
    """Return the shape of one map of these images: an image without its channel axis."""
    return runner.maps(np.empty((0, *images.shape[1:]), np.float32)).shape[1:]


def _flat_maps(func: str, runner: Runner, images: np.ndarray, array: np.ndarray,
               rows: slice) -> np.ndarray:
    """Rows *rows* of the attributions as finite float64 maps, one flattened map per row."""
    maps = np.asarray(array[rows], dtype=np.float64)
    if maps.shape[1:] == images.shape[1:] and runner.spec.channel_axis is not None:
        maps = runner.maps(maps)
    if not np.isfinite(maps).all():
        raise ValueError(
            f"{func}: attributions must be finite, got NaN or inf values among attributions "
            f"{rows.start}..{rows.start + len(maps) - 1}"
        )
    return maps.reshape(len(maps), -1)


def _copy_scores(func: str, runner: Runner, images: np.ndarray, targets: np.ndarray,
                 copies: int, batch_size: int, perturb) -> np.ndarray:
    """Return the target's probability on *copies* perturbed copies of each image, (n, copies).

    Copy ``k`` of image ``i`` is ``perturb(x, owner, copy)`` for the rows ``x`` of the
    images its items come from; *batch_size* copies of one or more images go through
    the model per pass, and no more exist at once.
    """
    probabilities = runner.scores_fn("probabilities")
    n = len(images)
    out = np.empty((n, copies), dtype=np.float32)
    for first in range(0, n * copies, batch_size):
        items = np.arange(first, min(first + batch_size, n * copies))
        owner, copy = np.divmod(items, copies)
        low, high = int(owner[0]), int(owner[-1]) + 1
        x = np.asarray(images[low:high], dtype=np.float32)
        if not np.isfinite(x).all():
            raise ValueError(
                f"{func}: images must be finite, got NaN or inf values among images "
                f"{low}..{high - 1}"
            )
        batch = perturb(x[owner - low], owner, copy)
        scores = keras.ops.convert_to_numpy(probabilities(keras.ops.convert_to_tensor(batch)))
        out[owner, copy] = scores[np.arange(len(items)), targets[owner]]
    return out


def _subset_size(fraction: float, cells: int) -> int:
    """Return how many of *cells* a subset holds: ``round(fraction * cells)``, in 1..cells-1."""
    return min(max(1, round(fraction * cells)), cells - 1)


def _grid_subsets(map_shape: tuple[int, ...], n_subsets: int, fraction: float,
                  grid: int | None, seed: int) -> np.ndarray:
    """Return random subsets of equally many grid cells, shaped (N, *map_shape)."""
    cells = map_shape if grid is None else (grid,) * len(map_shape)
    draws = np.random.default_rng(seed).random((n_subsets, int(np.prod(cells))))
    rank = np.argsort(np.argsort(draws, axis=1, kind="stable"), axis=1, kind="stable")
    chosen = (rank < _subset_size(fraction, draws.shape[1])).reshape(n_subsets, *cells)
    # nearest-neighbour upsampling as tf.image.resize(method="nearest") does it (half-pixel
    # centres): pixel p of L takes cell floor((p + 1/2) g / L) of g
    index = [np.minimum((2 * np.arange(size) + 1) * g // (2 * size), g - 1)
             for size, g in zip(map_shape, cells, strict=True)]
    return chosen[(slice(None), *np.ix_(*index))]


def _check_subsets(func: str, subsets: object, map_shape: tuple[int, ...]) -> np.ndarray:
    wanted = f"a boolean array shaped (N, {', '.join(map(str, map_shape))}) with N >= 2"
    try:
        array = subsets if isinstance(subsets, np.ndarray) else np.asarray(subsets)
    except (TypeError, ValueError) as err:  # ragged nested lists and the like
        raise TypeError(f"{func}: subsets must be {wanted}, got {describe(subsets)}") from err
    if array.dtype.kind not in "biuf" or isinstance(subsets, (str, bytes)):
        raise TypeError(f"{func}: subsets must be {wanted}, got {describe(subsets)}")
    if array.ndim != len(map_shape) + 1 or array.shape[1:] != map_shape or len(array) < 2:
        raise ValueError(f"{func}: subsets must be {wanted}, got {describe(array)}")
    if array.dtype.kind != "b" and not np.isin(array, (0, 1)).all():
        raise ValueError(f"{func}: subsets must be {wanted} (or of 0s and 1s), got values "
                         "other than 0 and 1")
    return array.astype(bool)


def mu_fidelity(
    model: keras.Model,
    images: np.ndarray,
    attributions: np.ndarray,
    target: object = None,
    *,
    subsets: np.ndarray | None = None,
    n_subsets: int = 128,
    fraction: float = 0.2,
    grid: int | None = None,
    baseline: float = 0.0,
    correlation: str = "pearson",
    seed: int = 0,
    output: object = None,
    batch_size: int = 256,
) -> Fidelity:
    r"""Correlate a map's sums over random subsets of pixels with the drop they cause.

    The faithfulness correlation of :cite:t:`bhatt2020` ("MuFidelity"): for each subset
    :math:`S_k` of the pixels, set them to *baseline* in every channel and compare

    .. math:: s_k = \sum_{p \in S_k} a_p \qquad\text{with}\qquad
       d_k = f_t(x) - f_t(x_{S_k = \text{baseline}}),

    the map's sum over the subset with the drop of the target's probability
    :math:`f_t`. The score of an image is Pearson's correlation of :math:`s` and
    :math:`d` over the ``N`` subsets: 1 when the map predicts, up to scale, how much
    removing any subset costs. The subsets are random and all of one size, as in the
    paper; the same subsets serve every image, and all ``n * N`` perturbed images go
    through the model in batches.

    Parameters
    ----------
    model : keras.Model
        A classifier; any model kind.
    images : array-like, shape (n, ...)
        A batch shaped as the model expects.
    attributions : array-like, shape (n, ...)
        One map per image, shaped like an image without its channel axis (as every
        interp method returns it) or like the image itself (then summed over channels).
    target : None, int or array of int, optional
        Class whose probability is recorded; default the predicted class.
    subsets : array-like of bool, shape (N, ...), optional
        The subsets, each shaped like one map (True: the pixel is removed); N >= 2. When
        given, *n_subsets*, *fraction*, *grid* and *seed* are not used.
    n_subsets : int, default 128
        How many random subsets to draw when *subsets* is None; at least 2.
    fraction : float, default 0.2
        The share of the cells in each drawn subset, in (0, 1): a subset holds
        ``round(fraction * cells)`` of them (at least one, and all but one at most).
    grid : int or None, default None
        None: the cells are single pixels, the paper's definition. An int: each spatial
        axis is cut into *grid* cells, as ``tf.image.resize(method="nearest")`` cuts it
        (pixel ``p`` of ``L`` belongs to cell ``floor((p + 1/2) grid / L)``), and a cell
        is in a subset or out as a whole. Choose a *grid* that divides the image: where
        cells differ in size, a subset of larger cells removes more pixels, and a map
        that is positive everywhere correlates with the drops through that alone.
    baseline : float, default 0.0
        The value removed pixels take (0 is Fashion-MNIST's black background).
    correlation : {"pearson", "spearman"}, default "pearson"
        Pearson's correlation, the paper's; or Spearman's rank correlation (ties
        averaged, see :func:`interp.rank_correlation`), Xplique's.
    seed : int, default 0
        Seeds the subsets: subset ``k`` holds the cells (in row-major order) with the
        ``round(fraction * cells)`` smallest values of row ``k`` of
        ``numpy.random.default_rng(seed).random((n_subsets, cells))``.
    output : None, int or str, optional
        Which output of a multi-output model.
    batch_size : int, default 256
        Perturbed images per forward pass; copies of several images share a pass, and no
        more than this many exist at once.

    Returns
    -------
    Fidelity
        ``scores`` (n,): the correlation per image, in [-1, 1], NaN where the sums or the
        drops are the same for every subset (a constant map, or a model the subsets do
        not move); their ``mean`` over the defined ones; and the ``sums`` and ``drops``
        (n, N) it correlates. Higher is more faithful.

    Raises
    ------
    ValueError, TypeError
        For attributions that are not one finite map per image, *subsets* that are not
        a boolean array of at least two map-shaped subsets, *n_subsets* < 2, a
        *fraction* outside (0, 1), a *grid* < 1 or an unknown *correlation*.

    See Also
    --------
    deletion : removes the pixels in the map's own order instead of at random.
    infidelity : the squared error between the same two quantities, for any perturbation.

    Notes
    -----
    Xplique's ``MuFidelity`` (``xplique/metrics/fidelity.py``), the peer this follows,
    computes the same sums and drops and differs in these ways:

    - it correlates them by Spearman's rank correlation (``correlation="spearman"``
      here), where the paper and the default here use Pearson's;
    - it draws each cell into a subset with probability ``subset_percent``
      (``tf.random.uniform(...) > subset_percent`` keeps a cell), so the subsets' sizes
      vary; here each holds ``round(fraction * cells)`` cells, as in the paper. Sizes
      that vary let a map that is positive everywhere correlate with the drops through
      the sizes alone: on the course network and the first 200 test images, uniformly
      random maps scored +0.03 to +0.05 with Xplique's kind of pixel subsets and -0.007
      to +0.006 with subsets of one size (three seeds);
    - it draws them anew for each batch of images, with TensorFlow's unseeded
      generator, 200 per image (``nb_samples``), from a 9 x 9 grid by default
      (``grid_size=9``; ``grid=9`` here, whose cells on a 28-pixel image are 3 or 4
      pixels wide: random maps then scored +0.055 to +0.077, against -0.013 to +0.008
      with ``grid=7``); here one set of subsets, seeded or given, serves every image;
    - it scores the model's output as it is (``activation=None``) or after a softmax
      it adds; here the probability is the softmax of the logits (for a sigmoid head,
      the sigmoid), whether or not the model ends in a softmax, as :func:`deletion`;
    - it reports a correlation that is undefined as 0 and takes their plain mean; here
      it is NaN and left out of ``mean``.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> images = np.random.default_rng(0).random((2, 28, 28, 1))
    >>> result = interp.mu_fidelity(model, images, interp.saliency(model, images),
    ...                             n_subsets=16)
    >>> result.scores.shape, result.sums.shape, type(result.mean)
    ((2,), (2, 16), <class 'float'>)

    """
    func = "mu_fidelity"
    runner = Runner(func, model, output=output)
    images = runner.images(images)
    batch_size = check_batch_size(func, batch_size)
    array = _check_attributions(func, runner, images, attributions)
    n_subsets = check_int(func, "n_subsets", n_subsets, minimum=2)
    fraction = check_number(func, "fraction", fraction, minimum=0.0, strict_minimum=True)
    if fraction >= 1.0:
        raise ValueError(f"{func}: fraction must be a finite number > 0 and < 1, got "
                         f"{fraction!r}")
    if grid is not None:
        grid = check_int(func, "grid", grid, minimum=1)
    baseline = check_number(func, "baseline", baseline)
    correlation = check_choice(func, "correlation", correlation, ("pearson", "spearman"))
    seed = check_int(func, "seed", seed, minimum=0)
    map_shape = _map_shape(runner, images)
    if subsets is None:
        chosen = _grid_subsets(map_shape, n_subsets, fraction, grid, seed)
    else:
        chosen = _check_subsets(func, subsets, map_shape)
    targets = runner.check_target(images, target, batch_size)
    n, copies = len(images), len(chosen)
    flat = chosen.reshape(copies, -1)
    sums = np.empty((n, copies))
    for start in range(0, n, batch_size):
        rows = slice(start, min(start + batch_size, n))
        sums[rows] = _flat_maps(func, runner, images, array, rows) @ flat.T
    spec = runner.spec
    removed = chosen if spec.channel_axis is None else np.expand_dims(
        chosen, 1 + spec.channel_axis)
    value = np.float32(baseline)

    def perturb(x, owner, copy):
        return np.where(removed[copy], value, x)

    clean = runner.predict(images, kind="probabilities", batch_size=batch_size)
    before = clean[np.arange(n), targets].astype(np.float64)
    after = _copy_scores(func, runner, images, targets, copies, batch_size, perturb)
    drops = before[:, np.newaxis] - after
    if correlation == "pearson":
        scores = _pearson(sums, drops)
    else:
        scores = rank_correlation(sums, drops)
    return Fidelity(scores, _mean(scores), sums, drops)


def _check_perturbations(func: str, perturbations: object, images: np.ndarray,
                         map_shape: tuple[int, ...]) -> np.ndarray:
    """Return *perturbations* as a float array shaped (N, *map) or (N, *image shape)."""
    shapes = {f"(N, {', '.join(map(str, map_shape))})"}
    shapes.add(f"(N, {', '.join(map(str, images.shape[1:]))})")
    wanted = f"an array of perturbations shaped {' or '.join(sorted(shapes))}, N >= 1"
    try:
        array = (perturbations if isinstance(perturbations, np.ndarray)
                 else np.asarray(perturbations))
    except (TypeError, ValueError) as err:  # ragged nested lists and the like
        raise TypeError(f"{func}: perturbations must be {wanted}, got "
                        f"{describe(perturbations)}") from err
    if array.dtype.kind not in "biuf" or isinstance(perturbations, (str, bytes)):
        raise TypeError(f"{func}: perturbations must be {wanted}, got {describe(perturbations)}")
    if array.shape[1:] not in (map_shape, images.shape[1:]) or len(array) < 1:
        raise ValueError(f"{func}: perturbations must be {wanted}, got {describe(array)}")
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise ValueError(f"{func}: perturbations must be finite, got NaN or inf values")
    return array


def infidelity(
    model: keras.Model,
    images: np.ndarray,
    attributions: np.ndarray,
    target: object = None,
    *,
    perturbations: np.ndarray | None = None,
    n: int = 64,
    noise: float = 0.1,
    normalize: bool = False,
    seed: int = 0,
    output: object = None,
    batch_size: int = 256,
) -> Fidelity:
    r"""How far a map is from predicting the drop of the probability under perturbations.

    The infidelity of :cite:t:`yeh2019`: for each perturbation :math:`I_k`, the map
    predicts the drop of the target's probability :math:`f_t` linearly, and the score
    of an image is the mean squared error of that prediction over the ``N``
    perturbations,

    .. math:: \mathrm{INFD} = \frac{1}{N} \sum_k \Big(\sum_p I_{k,p}\, a_p
       - \big(f_t(x) - f_t(x - I_k)\big)\Big)^2 .

    Lower is more faithful; 0 when the map times any perturbation gives the drop
    exactly. The same perturbations serve every image, and all ``n * N`` perturbed
    images go through the model in batches. The perturbed images are not clipped.

    Parameters
    ----------
    model : keras.Model
        A classifier; any model kind.
    images : array-like, shape (n, ...)
        A batch shaped as the model expects.
    attributions : array-like, shape (n, ...)
        One map per image, shaped like an image without its channel axis (as every
        interp method returns it) or like the image itself.
    target : None, int or array of int, optional
        Class whose probability is recorded; default the predicted class.
    perturbations : array-like, shape (N, ...), optional
        The perturbations :math:`I_k`, each shaped like one map (subtracted from every
        channel) or like one image. Perturbations shaped like images with more than one
        channel need attributions shaped like the images. When given, *n*, *noise* and
        *seed* are not used.
    n : int, default 64
        How many perturbations to draw when *perturbations* is None.
    noise : float, default 0.1
        The standard deviation of the drawn perturbations, in the images' units.
    normalize : bool, default False
        Scale the map per image by the factor :math:`\beta` that minimizes the error
        (Yeh et al.'s normalization, Captum's ``normalize=True``):
        :math:`\beta = \sum_k s_k d_k / \sum_k s_k^2` for the sums :math:`s` and drops
        :math:`d` (0 when every sum is 0), and the score is the mean of
        :math:`(\beta s_k - d_k)^2`: a map's scale then no longer counts.
    seed : int, default 0
        Seeds the drawn perturbations:
        ``numpy.random.default_rng(seed).normal(0.0, noise, (n, *map_shape))``, one map's
        shape each, the same in every channel.
    output : None, int or str, optional
        Which output of a multi-output model.
    batch_size : int, default 256
        Perturbed images per forward pass; copies of several images share a pass, and no
        more than this many exist at once.

    Returns
    -------
    Fidelity
        ``scores`` (n,): the infidelity per image, their ``mean``, and the ``sums``
        :math:`\sum_p I_{k,p} a_p` and ``drops`` :math:`f_t(x) - f_t(x - I_k)` (n, N)
        behind them (the sums before any normalization).

    Raises
    ------
    ValueError, TypeError
        For attributions that are not one finite map per image, perturbations that are
        not finite arrays of map or image shape, *n* < 1, or *noise* <= 0.

    See Also
    --------
    mu_fidelity : the correlation between the same two quantities, for removed subsets.

    Notes
    -----
    Captum's ``infidelity`` (``captum/metrics/_core/infidelity.py``), the peer this
    follows, computes the same quantity, with its normalization the same way (its
    ``safe_div`` makes :math:`\beta` 0 when the sums are all 0, as here). It differs in
    these ways:

    - its ``perturb_func`` draws the perturbations for each image anew (10 per image
      by default, ``n_perturb_samples``) and returns them with the perturbed inputs; here
      one set of ``N``, seeded or given, serves every image, and the perturbed input is
      always ``x - I``;
    - its attributions must have the input's shape (a map summed over channels, as
      interp's methods return them, is the same when each perturbation is the same in
      every channel, as the drawn ones are here);
    - it scores whatever ``forward_func`` returns for the target; here the probability
      is the softmax of the logits (for a sigmoid head, the sigmoid), whether or not the
      model ends in a softmax, as :func:`deletion`.

    Captum's docstring and Yeh et al. point out that maps of gradients ("local"
    explanations such as :func:`interp.saliency`) go with small real-valued
    perturbations like the drawn ones, and maps that multiply by the input ("global",
    such as :func:`interp.input_x_gradient`) with perturbations that remove pixels,
    e.g. ``perturbations=subsets * images`` for an image's own values.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> images = np.random.default_rng(0).random((2, 28, 28, 1))
    >>> result = interp.infidelity(model, images, interp.saliency(model, images), n=16)
    >>> result.scores.shape, result.drops.shape
    ((2,), (2, 16))

    """
    func = "infidelity"
    runner = Runner(func, model, output=output)
    images = runner.images(images)
    batch_size = check_batch_size(func, batch_size)
    array = _check_attributions(func, runner, images, attributions)
    n = check_int(func, "n", n, minimum=1)
    noise = check_number(func, "noise", noise, minimum=0.0, strict_minimum=True)
    normalize = check_bool(func, "normalize", normalize)
    seed = check_int(func, "seed", seed, minimum=0)
    spec = runner.spec
    map_shape = _map_shape(runner, images)
    if perturbations is None:
        chosen = np.random.default_rng(seed).normal(0.0, noise, (n, *map_shape))
    else:
        chosen = _check_perturbations(func, perturbations, images, map_shape)
    whole = chosen.shape[1:] == images.shape[1:] and spec.channel_axis is not None
    if whole and array.shape[1:] != images.shape[1:]:
        if images.shape[1 + spec.channel_axis] != 1:
            raise ValueError(
                f"{func}: perturbations shaped like the images {images.shape[1:]} need "
                f"attributions shaped like the images too, got {describe(array)}; give "
                f"perturbations shaped like one map {map_shape}, the same in every channel"
            )
        chosen, whole = np.take(chosen, 0, axis=1 + spec.channel_axis), False
    targets = runner.check_target(images, target, batch_size)
    count = len(chosen)
    flat = chosen.reshape(count, -1)
    sums = np.empty((len(images), count))
    for start in range(0, len(images), batch_size):
        rows = slice(start, min(start + batch_size, len(images)))
        if whole:
            maps = np.asarray(array[rows], dtype=np.float64)
            if not np.isfinite(maps).all():
                raise ValueError(f"{func}: attributions must be finite, got NaN or inf values "
                                 f"among attributions {start}..{start + len(maps) - 1}")
            sums[rows] = maps.reshape(len(maps), -1) @ flat.T
        else:
            sums[rows] = _flat_maps(func, runner, images, array, rows) @ flat.T
    steps = chosen.astype(np.float32)
    if not whole and spec.channel_axis is not None:
        steps = np.expand_dims(steps, 1 + spec.channel_axis)

    def perturb(x, owner, copy):
        return x - steps[copy]

    clean = runner.predict(images, kind="probabilities", batch_size=batch_size)
    before = clean[np.arange(len(images)), targets].astype(np.float64)
    drops = before[:, np.newaxis] - _copy_scores(func, runner, images, targets, count,
                                                 batch_size, perturb)
    predicted = sums
    if normalize:
        squares = (sums**2).sum(axis=1)
        beta = np.divide((sums * drops).sum(axis=1), squares,
                         out=np.zeros(len(sums)), where=squares > 0)
        predicted = beta[:, np.newaxis] * sums
    scores = ((predicted - drops) ** 2).mean(axis=1)
    return Fidelity(scores, _mean(scores), sums, drops)


# ---- ROAD: remove and debias ----------------------------------------------------------------

#: The neighbours of a pixel in ROAD's noisy linear imputation and their weights
#: (row offset, column offset, weight): 1/6 for the four that share a side, 1/12 for the
#: four diagonal ones, as in the authors' code.
ROAD_NEIGHBOURS = (
    (-1, 0, 1 / 6), (1, 0, 1 / 6), (0, -1, 1 / 6), (0, 1, 1 / 6),
    (-1, -1, 1 / 12), (-1, 1, 1 / 12), (1, -1, 1 / 12), (1, 1, 1 / 12),
)


def _linear_imputation(x: np.ndarray, removed: np.ndarray) -> np.ndarray:
    """Fill the *removed* pixels of *x* (B, H, W, C) by ROAD's linear imputation, no noise.

    Each removed pixel takes the weighted mean of its neighbours inside the image
    (:data:`ROAD_NEIGHBOURS`), removed ones included: a sparse linear system per image and
    channel, symmetric and positive definite while one pixel of the image is kept, solved
    by conjugate gradients to a relative residual of 1e-12, all systems at once.
    """
    height, width = x.shape[1:3]
    mask = removed[..., np.newaxis].astype(np.float64)  # (B, H, W, 1)
    known = np.where(mask > 0, 0.0, x)

    def neighbours(values):  # the weighted sum of each pixel's neighbours, one pad
        padded = np.pad(values, ((0, 0), (1, 1), (1, 1), (0, 0)))
        return sum(w * padded[:, 1 + dy:1 + dy + height, 1 + dx:1 + dx + width]
                   for dy, dx, w in ROAD_NEIGHBOURS)

    def apply(v):  # the system's matrix times v (zero at the kept pixels)
        return mask * (degree * v - neighbours(v))

    degree = neighbours(np.ones((1, height, width, 1)))  # the weights inside the image
    rhs = mask * neighbours(known)
    axes = (1, 2)
    v = np.zeros_like(rhs)
    r = rhs.copy()
    p = r.copy()
    rs = (r * r).sum(axis=axes, keepdims=True)
    goal = 1e-24 * rs  # squared: a relative residual of 1e-12
    for _ in range(4 * height * width):
        if np.all(rs <= goal):
            break
        ap = apply(p)
        curvature = (p * ap).sum(axis=axes, keepdims=True)
        alpha = np.divide(rs, curvature, out=np.zeros_like(rs), where=curvature > 0)
        v += alpha * p
        r -= alpha * ap
        new = (r * r).sum(axis=axes, keepdims=True)
        beta = np.divide(new, rs, out=np.zeros_like(rs), where=rs > 0)
        p = r + beta * p
        rs = new
    return np.where(mask > 0, v, x)


def _check_fractions(func: str, fractions: object) -> np.ndarray:
    wanted = "increasing numbers in [0, 1), at least one"
    if isinstance(fractions, (str, bytes)) or not hasattr(fractions, "__len__"):
        raise TypeError(f"{func}: fractions must be {wanted}, got {describe(fractions)}")
    try:
        array = np.asarray(fractions)
    except (TypeError, ValueError) as err:  # ragged nested lists and the like
        raise TypeError(f"{func}: fractions must be {wanted}, got {describe(fractions)}") from err
    if array.dtype.kind not in "iuf" or array.ndim != 1:
        raise TypeError(f"{func}: fractions must be {wanted}, got {describe(fractions)}")
    array = array.astype(np.float64)
    if (len(array) < 1 or not np.isfinite(array).all() or array.min() < 0 or array.max() >= 1
            or np.any(np.diff(array) <= 0)):
        raise ValueError(f"{func}: fractions must be {wanted}, got {describe(fractions)}")
    return array


def road(
    model: keras.Model,
    images: np.ndarray,
    attributions: np.ndarray,
    target: object = None,
    *,
    fractions: object = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9),
    order: str = "morf",
    noise: float = 0.01,
    seed: int = 0,
    output: object = None,
    batch_size: int = 256,
) -> Curve:
    r"""Remove pixels in a map's order, impute them from their neighbours, record the probability.

    ROAD ("remove and debias") of :cite:t:`rong2022`: like :func:`deletion`, but a
    removed pixel is not set to a constant, whose shape would itself tell the model
    where the removed pixels were; it is imputed from the pixels around it. At each
    fraction :math:`f`, the ``round(f * pixels)`` pixels the map ranks highest
    (``order="morf"``, most relevant first) or lowest (``"lerf"``, least relevant
    first) are removed in every channel, and each removed pixel :math:`i` takes the
    value :math:`v_i` that solves, with the kept pixels fixed,

    .. math:: v_i = \frac{\sum_{j \in N(i)} w_{ij} v_j}{\sum_{j \in N(i)} w_{ij}},

    over its neighbours :math:`N(i)` inside the image, removed ones included, with
    weight 1/6 for the four that share a side and 1/12 for the four diagonal ones
    (``interp.evaluate.faithfulness.ROAD_NEIGHBOURS``); then Gaussian noise of standard
    deviation *noise* is added to the imputed values. The model's probability of the
    target class is recorded. With ``"morf"``, a faithful map makes the probability fall
    fast (a low area); with ``"lerf"``, it stays high (a high area).

    Parameters
    ----------
    model : keras.Model
        A classifier whose images have two spatial axes; any model kind.
    images : array-like, shape (n, ...)
        A batch shaped as the model expects.
    attributions : array-like, shape (n, ...)
        One map per image, shaped like an image without its channel axis (as every
        interp method returns it) or like the image itself (then summed over channels).
        Pixels are ranked by the map, ties to the lower flat (row-major) index.
    target : None, int or array of int, optional
        Class whose probability is recorded; default the predicted class.
    fractions : sequence of float, default (0.1, 0.2, ..., 0.9)
        The fractions of pixels removed, increasing, in [0, 1) (at least one pixel must
        stay for the imputation to be defined; 0 gives the image itself).
    order : {"morf", "lerf"}, default "morf"
        Remove the highest-ranked pixels first, or the lowest-ranked.
    noise : float, default 0.01
        Standard deviation of the noise added to the imputed values, in the images'
        units (the authors' default); 0 for none.
    seed : int, default 0
        Seeds the noise: for image ``i`` at fraction number ``k``, the noise is
        ``numpy.random.default_rng([seed, i, k]).normal(0.0, noise, (h, w, channels))``
        at the removed pixels (channels last even for a ``channels_first`` model, and
        one channel for images without a channel axis), whatever *batch_size* is.
    output : None, int or str, optional
        Which output of a multi-output model.
    batch_size : int, default 256
        Imputed images per forward pass; copies of several images share a pass, and no
        more than this many exist at once.

    Returns
    -------
    Curve
        ``fractions`` (k,), ``scores`` (n, k), the target's probability (the softmax of
        the logits, as for :func:`deletion`), and ``auc`` (n,), the trapezoid area over
        the given fractions (``scores.mean(axis=1)`` is pytorch-grad-cam's summary).

    Raises
    ------
    ValueError, TypeError
        For attributions that are not one finite map per image, *fractions* that are
        not increasing numbers in [0, 1) or remove every pixel, an unknown *order*, a
        negative *noise*, or images without two spatial axes.

    See Also
    --------
    deletion : removes pixels by setting them to a constant.

    Notes
    -----
    pytorch-grad-cam's ``ROADMostRelevantFirst`` and ``ROADLeastRelevantFirst``
    (``pytorch_grad_cam/metrics/road.py``, the authors' imputation code), the peer this
    follows, solve the same system (with scipy's sparse solver) and add the same noise,
    and differ in these ways:

    - they take a ``percentile`` ``p`` and keep the pixels whose map is strictly below
      the map's ``p``-th percentile (``ROADMostRelevantFirst(80)`` removes the top 20 %,
      and ties at the threshold are removed together); here ``round(f * pixels)`` pixels
      are removed, ties broken by position;
    - they report the change of the target's score from the unperturbed image, for
      whatever target function is given (often the logit); here the probability itself;
    - their noise comes from torch's global generator; here it is seeded per image and
      fraction.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> images = np.random.default_rng(0).random((2, 28, 28, 1))
    >>> curve = interp.road(model, images, interp.saliency(model, images),
    ...                     fractions=[0.2, 0.5, 0.8])
    >>> curve.fractions.tolist(), curve.scores.shape, curve.auc.shape
    ([0.2, 0.5, 0.8], (2, 3), (2,))

    """
    func = "road"
    runner = Runner(func, model, output=output)
    images = runner.images(images)
    batch_size = check_batch_size(func, batch_size)
    array = _check_attributions(func, runner, images, attributions)
    fractions = _check_fractions(func, fractions)
    order = check_choice(func, "order", order, ("morf", "lerf"))
    noise = check_number(func, "noise", noise, minimum=0.0)
    seed = check_int(func, "seed", seed, minimum=0)
    spec = runner.spec
    map_shape = _map_shape(runner, images)
    if len(map_shape) != 2:
        raise ValueError(f"{func}: the imputation needs images with two spatial axes, got "
                         f"images shaped {images.shape[1:]} (maps shaped {map_shape})")
    pixels = int(np.prod(map_shape))
    counts = np.array([round(f * pixels) for f in fractions])
    if counts.max() >= pixels:
        raise ValueError(f"{func}: fractions must leave at least one of the {pixels} pixels, "
                         f"got {float(fractions.max())!r}, which removes all of them")
    targets = runner.check_target(images, target, batch_size)
    probabilities = runner.scores_fn("probabilities")
    n, per = len(images), len(fractions)
    scores = np.empty((n, per), dtype=np.float32)
    for first in range(0, n * per, batch_size):
        items = np.arange(first, min(first + batch_size, n * per))
        owner, step = np.divmod(items, per)
        low, high = int(owner[0]), int(owner[-1]) + 1
        x = np.asarray(images[low:high], dtype=np.float64)
        if not np.isfinite(x).all():
            raise ValueError(f"{func}: images must be finite, got NaN or inf values among "
                             f"images {low}..{high - 1}")
        flat = _flat_maps(func, runner, images, array, slice(low, high))
        ranked = np.argsort(-flat if order == "morf" else flat, axis=1, kind="stable")
        rank = np.empty_like(ranked)
        np.put_along_axis(rank, ranked, np.arange(pixels)[np.newaxis], axis=1)
        removed = (rank[owner - low] < counts[step][:, np.newaxis]).reshape(
            (len(items), *map_shape))
        batch = x[owner - low]
        if spec.channel_axis is not None:
            batch = np.moveaxis(batch, 1 + spec.channel_axis, -1)
        else:
            batch = batch[..., np.newaxis]
        filled = _linear_imputation(batch, removed)
        if noise > 0:  # drawn channels last, whatever the model's layout
            draws = np.stack([np.random.default_rng([seed, int(i), int(k)]).normal(
                0.0, noise, filled.shape[1:]) for i, k in zip(owner, step, strict=True)])
            filled = filled + removed[..., np.newaxis] * draws
        if spec.channel_axis is not None:
            filled = np.moveaxis(filled, -1, 1 + spec.channel_axis)
        else:
            filled = filled[..., 0]
        out = keras.ops.convert_to_numpy(
            probabilities(keras.ops.convert_to_tensor(filled.astype(np.float32))))
        scores[owner, step] = out[np.arange(len(items)), targets[owner]]
    if per > 1:
        auc = ((scores[:, 1:] + scores[:, :-1]) / 2 * np.diff(fractions)).sum(axis=1)
    else:
        auc = np.zeros(n)
    return Curve(fractions, scores, auc)
