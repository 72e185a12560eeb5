"""Robustness: whether a map stays put when the image barely changes.

:func:`max_sensitivity` perturbs each image at random within a small box around it and
reports the largest relative change of the map :cite:p:`yeh2019`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import keras
import numpy as np

from .._model import Runner, check_batch_size
from .._validate import check_int, check_number
from .faithfulness import _check_perturbations, _map_shape, _mean
from .randomization import _first_method, _maps


class Sensitivity(NamedTuple):
    """Result of :func:`max_sensitivity`.

    Attributes
    ----------
    scores : numpy.ndarray, shape (n,)
        The largest relative change of the map per image, over the perturbations.
    mean : float
        The mean of ``scores`` (over the finite ones; NaN if none is).
    ratios : numpy.ndarray, shape (n, N)
        The relative change for each perturbation:
        ``||a(x + d_k) - a(x)|| / ||a(x)||`` (Frobenius norms of the maps).

    """

    scores: np.ndarray
    mean: float
    ratios: np.ndarray


def max_sensitivity(
    method: Callable[..., np.ndarray],
    model: keras.Model,
    images: np.ndarray,
    target: object = None,
    *,
    perturbations: np.ndarray | None = None,
    n: int = 16,
    radius: float = 0.02,
    seed: int = 0,
    output: object = None,
    batch_size: int = 256,
    **options: object,
) -> Sensitivity:
    r"""Measure the largest relative change of a map under small random perturbations.

    The max-sensitivity of :cite:t:`yeh2019`, estimated by Monte Carlo as in their code
    and Captum's ``sensitivity_max``: for ``N`` perturbations :math:`d_k` drawn
    uniformly from the box :math:`\|d\|_\infty \le r` (each pixel and channel on its
    own), the score of an image is

    .. math:: \mathrm{SENS}_{\max} = \max_k
       \frac{\|a(x + d_k) - a(x)\|_2}{\|a(x)\|_2},

    with :math:`a` the map *method* computes for the image's target class and the norms
    over all the map's pixels. The target is chosen once, on the image itself: the
    perturbed copies are explained for the same class even where the model predicts
    another. Lower is more robust; 0 when no perturbation moves the map. A map that is 0
    everywhere is divided by 1 instead, as in Captum.

    The same perturbations serve every image. The perturbed copies go to *method*
    *batch_size* at a time, and the clean maps of the images those copies come from are
    computed alongside, so no more than about *batch_size* maps exist at once.

    Parameters
    ----------
    method : callable
        The attribution method, e.g. :func:`interp.saliency`:
        ``method(model, images, target=..., **options) -> (n, ...)``; for
        :func:`interp.integrated_gradients` pass a wrapper returning only the attributions.
    model : keras.Model
        A classifier; any model kind *method* accepts.
    images : array-like, shape (n, ...)
        A batch shaped as the model expects.
    target : None, int or array of int, optional
        Class explained per image; default the predicted class of the unperturbed image.
    perturbations : array-like, shape (N, ...), optional
        The perturbations :math:`d_k`, each shaped like one image, or like one map (then
        added to every channel); they are added to the images as given (not clipped).
        When given, *n*, *radius* and *seed* are not used.
    n : int, default 16
        How many perturbations to draw when *perturbations* is None.
    radius : float, default 0.02
        The half-width :math:`r` of the box they are drawn from, in the images' units
        (Captum's default ``perturb_radius``).
    seed : int, default 0
        Seeds the drawn perturbations:
        ``numpy.random.default_rng(seed).uniform(-radius, radius, (n, *image_shape))``.
    output : None, int or str, optional
        Which output of a multi-output model; passed on to *method* when given.
    batch_size : int, default 256
        Perturbed images per call of *method*, and images per pass when predicting the
        targets.
    **options
        Passed to *method*.

    Returns
    -------
    Sensitivity
        ``scores`` (n,), their ``mean``, and the ``ratios`` (n, N) whose row maxima
        the scores are.

    Raises
    ------
    ValueError, TypeError
        For perturbations that are not a finite array of image or map shape, *n* < 1,
        *radius* <= 0, a *method* that is not callable or does not return one finite map
        per image, or images that are not finite.

    See Also
    --------
    infidelity : how well the map predicts the model's change under perturbations.

    Notes
    -----
    Captum's ``sensitivity_max`` (``captum/metrics/_core/sensitivity.py``), the peer this
    follows, computes the same quantity with its default ``norm_ord="fro"`` and
    ``perturb_func`` (uniform noise of radius 0.02 added to the input), and also divides
    by 1 where the map's norm is 0. It draws new perturbations for each image (10 by
    default, ``n_perturb_samples``) from torch's global generator; here one seeded (or
    given) set serves every image. It passes the *target* it is given to the explanation
    of every perturbed copy; here a ``None`` target becomes the class predicted for the
    unperturbed image, for the copies too.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> images = np.random.default_rng(0).random((2, 28, 28, 1))
    >>> result = interp.max_sensitivity(interp.saliency, model, images, n=4)
    >>> result.scores.shape, result.ratios.shape
    ((2,), (2, 4))
    >>> bool((result.scores == result.ratios.max(axis=1)).all())
    True

    """
    func = "max_sensitivity"
    method = _first_method(func, method)
    runner = Runner(func, model, output=output)
    images = runner.images(images)
    batch_size = check_batch_size(func, batch_size)
    n = check_int(func, "n", n, minimum=1)
    radius = check_number(func, "radius", radius, minimum=0.0, strict_minimum=True)
    seed = check_int(func, "seed", seed, minimum=0)
    spec = runner.spec
    if perturbations is None:
        steps = np.random.default_rng(seed).uniform(-radius, radius, (n, *images.shape[1:]))
    else:
        steps = _check_perturbations(func, perturbations, images, _map_shape(runner, images))
        if steps.shape[1:] != images.shape[1:]:
            steps = np.expand_dims(steps, 1 + spec.channel_axis)
    steps = steps.astype(np.float32)
    targets = runner.check_target(images, target, batch_size)
    if output is not None:
        options = {**options, "output": output}

    def explain(x: np.ndarray, classes: np.ndarray, what: str) -> np.ndarray:
        maps = np.asarray(_maps(func, method, model, x, classes, options), np.float64)
        if not np.isfinite(maps).all():
            raise ValueError(f"{func}: method returned NaN or inf values for {what}")
        return maps.reshape(len(maps), -1)

    count = len(steps)
    total = len(images) * count
    ratios = np.empty((len(images), count))
    clean = np.empty((0, 0))
    clean_low = 0  # the image whose clean map is clean[0]
    for first in range(0, total, batch_size):
        items = np.arange(first, min(first + batch_size, total))
        owner, copy = np.divmod(items, count)
        low, high = int(owner[0]), int(owner[-1]) + 1
        x = np.asarray(images[low:high], dtype=np.float32)
        if not np.isfinite(x).all():
            raise ValueError(f"{func}: images must be finite, got NaN or inf values among "
                             f"images {low}..{high - 1}")
        have = clean_low + len(clean)
        kept = clean[max(0, low - clean_low):]
        new = max(low, have)
        if new < high:  # the clean maps of the images first met in this batch
            fresh = explain(x[new - low:], targets[new:high], f"images {new}..{high - 1}")
            kept = fresh if not len(kept) else np.concatenate([kept, fresh])
        clean, clean_low = kept, low
        perturbed = explain(x[owner - low] + steps[copy], targets[owner],
                            f"perturbed copies of images {low}..{high - 1}")
        base = clean[owner - low]
        if perturbed.shape != base.shape:
            raise ValueError(
                f"{func}: method returned maps of {perturbed.shape[1]} values for the "
                f"perturbed images but {base.shape[1]} for the images")
        norms = np.linalg.norm(base, axis=1)
        norms[norms == 0] = 1.0
        ratios[owner, copy] = np.linalg.norm(perturbed - base, axis=1) / norms
    scores = ratios.max(axis=1)
    return Sensitivity(scores, _mean(scores), ratios)
