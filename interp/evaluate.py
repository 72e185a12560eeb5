"""Which explanation to trust: checks that measure whether a map explains the network.

:func:`model_randomization` is the model-randomization sanity check of Adebayo et al.
(2018): a map that hardly changes when the network's weights are drawn afresh was never
explaining the network. Maps are compared with :func:`rank_correlation`, Spearman's rank
correlation with tied values sharing their average rank.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import NamedTuple

import keras
import numpy as np

from ._model import InterpWarning, Runner, check_batch_size, clone, reinitialize, walk
from ._validate import check_int, describe


class RandomizationCheck(NamedTuple):
    """Result of :func:`model_randomization`.

    Attributes
    ----------
    trained : numpy.ndarray, shape (n, ...)
        Attributions from the trained model.
    randomized : numpy.ndarray, shape (n, ...)
        Attributions from a copy of the model whose every weight was drawn afresh from its
        layer's own initializer, for the same target classes.
    similarity : numpy.ndarray, shape (n,)
        Spearman rank correlation of ``|trained|`` and ``|randomized|`` per image, ties
        averaged (see :func:`interp.rank_correlation`); NaN where either map is constant,
        e.g. an all-zero Grad-CAM map, since such a map ranks nothing. A method that
        explains the *model* should give low values; values near 1 mean the map mostly
        reflects the input (edges, brightness), not what the network learned.

    """

    trained: np.ndarray
    randomized: np.ndarray
    similarity: np.ndarray


def _average_ranks(row: np.ndarray) -> np.ndarray:
    """Ranks 1..n of *row*, tied values sharing the mean of the ranks they span."""
    _, inverse, counts = np.unique(row, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return (ends - (counts - 1) / 2.0)[inverse]


def rank_correlation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman rank correlation between matching rows of two stacks of maps.

    Tied values get the average of the ranks they span, as in
    ``scipy.stats.spearmanr``, so the many exact zeros of a sparse map do not rank by
    pixel order. A constant map has no ranking: its correlation is undefined and
    returned as NaN.

    Parameters
    ----------
    a, b : array-like, shape (n, ...)
        Two stacks of ``n`` maps of the same size; each map is flattened.

    Returns
    -------
    numpy.ndarray of float, shape (n,)
        In [-1, 1], or NaN where either map is constant.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> x = np.arange(10.0).reshape(1, 10)
    >>> interp.rank_correlation(x, x ** 3).tolist(), interp.rank_correlation(x, -x).tolist()
    ([1.0], [-1.0])
    >>> one_hot = np.eye(2, 4)          # two disjoint single-pixel maps
    >>> interp.rank_correlation(one_hot[:1], one_hot[1:]).round(4).tolist()
    [-0.3333]
    >>> interp.rank_correlation(np.zeros((1, 4)), one_hot[:1]).tolist()
    [nan]

    """
    a = np.asarray(a, dtype=np.float64).reshape(len(a), -1)
    b = np.asarray(b, dtype=np.float64).reshape(len(b), -1)
    out = np.full(len(a), np.nan)
    for i, (row_a, row_b) in enumerate(zip(a, b, strict=True)):
        ra, rb = _average_ranks(row_a), _average_ranks(row_b)
        ra -= ra.mean()
        rb -= rb.mean()
        denominator = np.sqrt((ra**2).sum() * (rb**2).sum())
        if denominator > 0:
            out[i] = np.clip((ra * rb).sum() / denominator, -1.0, 1.0)
    return out


def randomized_copy(func: str, model: keras.Model, runner: Runner, seed: int) -> keras.Model:
    """Return a copy of *model* with every layer's variables drawn afresh, seeded."""
    copy = clone(func, model, runner.spec)
    kept = []
    for index, (_, layer) in enumerate(walk(copy)):
        if not isinstance(layer, keras.Model):
            kept += reinitialize(layer, (seed, index))
    if kept:
        warnings.warn(
            f"{func}: these variables have no initializer to draw from and keep their "
            f"trained values: {kept}",
            InterpWarning,
            stacklevel=3,
        )
    return copy


def model_randomization(
    model: keras.Model,
    images: np.ndarray,
    target: object = None,
    *,
    method: Callable[..., np.ndarray] | None = None,
    seed: int = 0,
    output: object = None,
    batch_size: int = 256,
    **options: object,
) -> RandomizationCheck:
    """Run the model-randomization sanity check of Adebayo et al. (2018).

    The same attribution method is run on the trained model and on a copy of it whose
    every variable is drawn afresh from its layer's own initializer (kernels from
    ``kernel_initializer``, biases from ``bias_initializer``, BatchNormalization's scale
    and moving variance from theirs, i.e. ones), seeded by *seed*, for the same target
    classes. If the two maps look alike, the method is not showing what the network
    learned. The user's model is not changed.

    Parameters
    ----------
    model : keras.Model
        The trained classifier (Sequential or Functional, nested models included).
    images : array-like, shape (n, ...)
        A batch shaped as the model expects.
    target : None, int or array of int, optional
        Classes to explain; default the trained model's predictions, used for both models.
    method : callable, default :func:`interp.saliency`
        ``method(model, images, target=..., **options) -> (n, ...)``; for
        :func:`interp.integrated_gradients` pass a wrapper returning only the attributions.
    seed : int, default 0
        Seeds the re-initialization.
    output : None, int or str, optional
        Which output of a multi-output model; passed on to *method* when given.
    batch_size : int, default 256
        Images per pass when predicting the targets.
    **options
        Passed to *method*.

    Returns
    -------
    RandomizationCheck
        ``trained``, ``randomized`` and their per-image rank correlation ``similarity``.

    Warns
    -----
    InterpWarning
        When a variable has no initializer to draw from (a custom layer) and keeps its
        trained value.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> check = interp.model_randomization(model, np.ones((2, 28, 28, 1)))
    >>> check.similarity.shape
    (2,)

    """
    from .attribution import saliency

    func = "model_randomization"
    method = saliency if method is None else method
    if not callable(method):
        raise TypeError(f"{func}: method must be callable, got {describe(method)}")
    runner = Runner(func, model, output=output, graph=True)
    images = runner.images(images)
    batch_size = check_batch_size(func, batch_size)
    targets = runner.check_target(images, target, batch_size)
    seed = check_int(func, "seed", seed, minimum=0)
    randomized = randomized_copy(func, model, runner, seed)
    if output is not None:
        options = {**options, "output": output}
    trained_maps = np.asarray(method(model, images, target=targets, **options))
    random_maps = np.asarray(method(randomized, images, target=targets, **options))
    similarity = rank_correlation(np.abs(trained_maps), np.abs(random_maps))
    return RandomizationCheck(trained_maps, random_maps, similarity)
