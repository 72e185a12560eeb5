"""The sanity checks of :cite:t:`adebayo2018`: whether a map changes with the network.

:func:`model_randomization` draws every weight afresh; :func:`cascading_randomization` does
it one layer more at a time, from the output down; :func:`independent_randomization` one
layer alone at a time; :func:`data_randomization` compares with a network trained on
shuffled labels (see :func:`interp.trained_model`). Maps are compared with
:func:`rank_correlation`, and :func:`passes_sanity_check` turns a result into a verdict.
:func:`random_logit` asks the same of the class explained :cite:p:`sixt2020`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import NamedTuple

import keras
import numpy as np

from .._model import (
    InterpWarning,
    Runner,
    check_batch_size,
    clone,
    copy_weights,
    forget,
    pick_many,
    redrawable,
    reinitialize,
    walk,
)
from .._validate import (
    as_real_array,
    check_bool,
    check_choice,
    check_int,
    check_number,
    describe,
)


class RandomizationCheck(NamedTuple):
    """Result of :func:`model_randomization` and :func:`data_randomization`.

    Attributes
    ----------
    trained : numpy.ndarray, shape (n, ...)
        Attributions from the trained model.
    randomized : numpy.ndarray, shape (n, ...)
        Attributions from the other model, for the same target classes: a copy whose every
        weight was drawn afresh (:func:`model_randomization`), or a model trained on
        shuffled labels (:func:`data_randomization`).
    similarity : numpy.ndarray, shape (n,)
        Spearman rank correlation of ``trained`` and ``randomized`` per image, ties
        averaged (see :func:`interp.rank_correlation`); NaN where either map is constant,
        e.g. an all-zero Grad-CAM map, since such a map ranks nothing.
    similarity_abs : numpy.ndarray, shape (n,)
        The same for ``|trained|`` and ``|randomized|``. A method that explains the
        *model* should give low values of both; values near 1 mean the map mostly
        reflects the input (edges, brightness), not what the network learned.

    """

    trained: np.ndarray
    randomized: np.ndarray
    similarity: np.ndarray
    similarity_abs: np.ndarray


class LayerRandomization(NamedTuple):
    """Result of :func:`cascading_randomization` and :func:`independent_randomization`.

    Attributes
    ----------
    layers : tuple of str
        The layers with weights to draw afresh, from the output down (their paths, see
        :func:`interp.layer_paths`). Step ``j`` randomized ``layers[:j + 1]``
        (cascading) or ``layers[j]`` alone (independent).
    trained : numpy.ndarray, shape (n, ...)
        The method's maps for the trained model.
    maps : numpy.ndarray, shape (n_layers, n, ...)
        The maps after each step, for the same target classes.
    similarity : numpy.ndarray, shape (n_layers, n)
        Spearman rank correlation of the signed maps with the trained ones, ties
        averaged; NaN where either map is constant.
    similarity_abs : numpy.ndarray, shape (n_layers, n)
        The same for the absolute values of the maps.

    """

    layers: tuple[str, ...]
    trained: np.ndarray
    maps: np.ndarray
    similarity: np.ndarray
    similarity_abs: np.ndarray


#: The mean rank correlation at or above which a sanity check fails: the maps kept too
#: much of themselves when the network lost what it learned (see
#: :func:`passes_sanity_check`). The gallery's pages and ``interp report`` use it.
SANITY_LINE = 0.25


def passes_sanity_check(
    result: RandomizationCheck | LayerRandomization, line: float = SANITY_LINE
) -> bool:
    """Whether a randomization check finds that a method's maps depend on the network.

    The rule the gallery and ``interp report`` apply: a check passes when the mean rank
    correlation over the images, of the signed maps and of their absolute values, is
    below *line*, at every step of a layer-by-layer check. A map that still correlates
    with its trained self after the weights (or the labels) were taken away shows the
    image more than the network. Images whose correlation is undefined (a constant map,
    NaN) are left out of the means; a step with none defined is left out.

    Parameters
    ----------
    result : RandomizationCheck or LayerRandomization
        What :func:`model_randomization`, :func:`data_randomization`,
        :func:`cascading_randomization` or :func:`independent_randomization` returned.
    line : float, default SANITY_LINE (0.25)
        The mean correlation at which the check fails, in [-1, 1].

    Returns
    -------
    bool
        True when every defined mean is below *line*.

    Raises
    ------
    TypeError
        If *result* is not one of those results, or *line* not a number.
    ValueError
        If *line* is outside [-1, 1], or no correlation is defined at all (every map
        constant): then the check says nothing either way.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> check = interp.RandomizationCheck(
    ...     trained=None, randomized=None, similarity=np.array([0.1, 0.2, np.nan]),
    ...     similarity_abs=np.array([0.3, 0.1, 0.0]))
    >>> interp.passes_sanity_check(check)  # means +0.15 (signed) and +0.13 (absolute)
    True
    >>> interp.passes_sanity_check(check, line=0.14)
    False

    """
    func = "passes_sanity_check"
    if not isinstance(result, (RandomizationCheck, LayerRandomization)):
        raise TypeError(
            f"{func}: result must be what model_randomization, data_randomization, "
            "cascading_randomization or independent_randomization return (a "
            f"RandomizationCheck or a LayerRandomization), got {describe(result)}"
        )
    line = check_number(func, "line", line, minimum=-1.0, maximum=1.0)
    means = []
    for name in ("similarity", "similarity_abs"):
        try:
            values = np.asarray(getattr(result, name), dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{func}: result.{name} must be an array of correlations, got "
                            f"{describe(getattr(result, name))}") from err
        for row in np.atleast_2d(values):
            finite = row[np.isfinite(row)]
            if finite.size:
                means.append(finite.mean())
    if not means:
        raise ValueError(
            f"{func}: no rank correlation in result is defined (every map was constant), "
            "so the check can neither pass nor fail"
        )
    return bool(max(means) < line)


def _average_ranks(row: np.ndarray) -> np.ndarray:
    """Ranks 1..n of *row*, tied values sharing the mean of the ranks they span."""
    _, inverse, counts = np.unique(row, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return (ends - (counts - 1) / 2.0)[inverse]


def _ssim(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Structural similarity of matching maps of two stacks (n, h, w) or (n, h, w, c).

    As ``tf.image.ssim`` computes it, with the settings of Xplique's ``ssim``: an 11 x 11
    Gaussian window of sigma 1.5 (shrunk to the map's shorter side, and odd) placed
    where it fits ("valid"), k1 = 0.01, k2 = 0.03, the dynamic range the two maps span
    together (1 when they span none, and then the similarity is 1), the mean over
    positions and channels.
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.ndim == 3:
        a, b = a[..., None], b[..., None]
    size = min(11, a.shape[1], a.shape[2])
    size = max(size - (size % 2 == 0), 1)
    coords = np.arange(size) - (size - 1) / 2
    bell = np.exp(-coords ** 2 / (2 * 1.5 ** 2))
    window = np.outer(bell, bell) / bell.sum() ** 2

    def local(x: np.ndarray) -> np.ndarray:  # (n, h, w, c) -> weighted window means
        patches = np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(1, 2))
        return np.einsum("nijcuv,uv->nijc", patches, window)

    both = np.concatenate([a.reshape(len(a), -1), b.reshape(len(b), -1)], axis=1)
    span = both.max(axis=1) - both.min(axis=1)
    scale = np.where(span > 0, span, 1.0)[:, None, None, None]
    c1, c2 = (0.01 * scale) ** 2, (0.03 * scale) ** 2
    mean_a, mean_b = local(a), local(b)
    products = 2 * mean_a * mean_b
    squares = mean_a ** 2 + mean_b ** 2
    luminance = (products + c1) / (squares + c1)
    structure = (2 * local(a * b) - products + c2) / (local(a * a + b * b) - squares + c2)
    return np.where(span > 0, (luminance * structure).mean(axis=(1, 2, 3)), 1.0)


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

    Raises
    ------
    ValueError, TypeError
        If *a* and *b* differ in shape, are empty, not finite or not numbers.

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
    func = "rank_correlation"
    a = as_real_array(func, "a", a).astype(np.float64)
    b = as_real_array(func, "b", b).astype(np.float64)
    if a.ndim < 1 or a.shape != b.shape:
        raise ValueError(
            f"{func}: a and b must be stacks of maps of one shape (n, ...), got "
            f"{describe(a)} and {describe(b)}"
        )
    a, b = a.reshape(len(a), -1), b.reshape(len(b), -1)
    out = np.full(len(a), np.nan)
    for i, (row_a, row_b) in enumerate(zip(a, b, strict=True)):
        ra, rb = _average_ranks(row_a), _average_ranks(row_b)
        ra -= ra.mean()
        rb -= rb.mean()
        denominator = np.sqrt((ra**2).sum() * (rb**2).sum())
        if denominator > 0:
            out[i] = np.clip((ra * rb).sum() / denominator, -1.0, 1.0)
    return out


def randomized_copy(func: str, model: keras.Model, runner: Runner, seed: int,
                    images: np.ndarray | None = None) -> keras.Model:
    """Return a copy of *model* with every layer's variables drawn afresh, seeded.

    With *images*, the copy is first checked to predict what *model* predicts on them
    (see :func:`interp._model.clone`). Variables without an initializer keep their values;
    a warning names the trainable ones.
    """
    copy = clone(func, model, runner.spec, images, runner.output)
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


# ---- the sanity checks --------------------------------------------------------------------

def _method(func: str, method: object) -> Callable[..., np.ndarray]:
    from ..attribution import saliency

    method = saliency if method is None else method
    if not callable(method):
        raise TypeError(f"{func}: method must be callable, got {describe(method)}")
    return method


def _first_method(func: str, method: object) -> Callable[..., np.ndarray]:
    """Check the required first argument of a measure called ``func(method, model, ...)``."""
    # a model is callable too: say so when the arguments come in the order of the others
    if isinstance(method, keras.Model) or not callable(method):
        given = (f"a keras model ({type(method).__name__})" if isinstance(method, keras.Model)
                 else describe(method))
        raise TypeError(
            f"{func}: method must be an attribution method (a callable such as "
            f"interp.saliency), got {given}; the call is "
            f"{func}(method, model, images, target=None, ...)"
        )
    return method


def _maps(func: str, method: Callable, model: keras.Model, images: np.ndarray,
          targets: np.ndarray, options: dict) -> np.ndarray:
    """Run *method* and check that it gave one real-valued map per image."""
    result = method(model, images, target=targets, **options)
    try:
        maps = np.asarray(result)
    except (TypeError, ValueError):  # a tuple of unequal arrays, e.g. (attributions, gaps)
        maps = np.asarray(None)
    if maps.dtype.kind not in "biuf" or maps.ndim < 2 or len(maps) != len(images):
        raise TypeError(
            f"{func}: method must return one map per image, an array shaped "
            f"({len(images)}, ...), got {describe(result)}; for a method that returns "
            "more (integrated_gradients), pass a function returning only the maps"
        )
    return maps


def _similarities(trained: np.ndarray, other: np.ndarray,
                  batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Signed and absolute rank correlations, *batch_size* maps at a time (bounded memory)."""
    signed = np.empty(len(trained))
    absolute = np.empty(len(trained))
    for start in range(0, len(trained), batch_size):
        a, b = trained[start:start + batch_size], other[start:start + batch_size]
        signed[start:start + len(a)] = rank_correlation(a, b)
        absolute[start:start + len(a)] = rank_correlation(np.abs(a), np.abs(b))
    return signed, absolute


def _prepare(func: str, model: object, images: object, target: object, method: object,
             seed: object, output: object, batch_size: object, options: dict):
    method = _method(func, method)
    runner = Runner(func, model, output=output, graph=True)
    images = runner.images(images)
    batch_size = check_batch_size(func, batch_size)
    seed = check_int(func, "seed", seed, minimum=0)
    targets = runner.check_target(images, target, batch_size)
    if output is not None:
        options = {**options, "output": output}
    return method, runner, images, targets, seed, options


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
    """Run the model-randomization sanity check of :cite:t:`adebayo2018`.

    The same attribution method is run on the trained model and on a copy of it whose
    every variable is drawn afresh from its layer's own initializer (kernels from
    ``kernel_initializer``, biases from ``bias_initializer``, BatchNormalization's scale
    and moving variance from theirs, i.e. ones), seeded by *seed*, for the same target
    classes. If the two maps look alike, the method is not showing what the network
    learned. The user's model is not changed. It is the last step of
    :func:`cascading_randomization`, with the same random weights for the same *seed*.

    Variables without an initializer keep their values: an adapted ``Normalization``'s
    mean and variance, a custom layer's state. The copy is checked first: before any
    weight is drawn it must predict what the model predicts on the first 16 images, or
    a ``TypeError`` says which layer it cannot copy. Python's, numpy's and Keras's global
    random state are left as they were.

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
        ``trained``, ``randomized`` and their per-image rank correlations ``similarity``
        (signed maps) and ``similarity_abs`` (absolute maps).

    Raises
    ------
    ValueError
        If the model has no layer with weights to draw afresh.
    TypeError
        For a subclassed model, or one whose copy does not predict what it predicts (a
        layer keeps state that neither its config nor its variables carry).

    Warns
    -----
    InterpWarning
        When a trainable variable has no initializer to draw from (a custom layer) and
        keeps its trained value.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> check = interp.model_randomization(model, np.ones((2, 28, 28, 1)))
    >>> check.similarity.shape, check.similarity_abs.shape
    ((2,), (2,))

    """
    func = "model_randomization"
    method, runner, images, targets, seed, options = _prepare(
        func, model, images, target, method, seed, output, batch_size, options)
    _weighted_layers(func, model, None)  # refuses a model with nothing to redraw
    randomized = randomized_copy(func, model, runner, seed, images)
    try:
        trained_maps = _maps(func, method, model, images, targets, options)
        random_maps = _maps(func, method, randomized, images, targets, options)
    finally:
        forget(randomized)  # its compiled functions go with it
    return RandomizationCheck(trained_maps, random_maps,
                              *_similarities(trained_maps, random_maps, batch_size))


def _weighted_layers(func: str, model: keras.Model, layers: object) -> list[tuple[int, str]]:
    """``(walk index, path)`` of the layers to randomize, from the output down.

    Every layer with a variable to draw afresh (see :func:`interp._model.redrawable`), or
    those among *layers* (a nested model stands for its layers). A layer whose variables
    have no initializer (an adapted Normalization's statistics) is no step; naming one
    is an error.
    """
    walked = walk(model)
    found = [(index, path) for index, (path, layer) in enumerate(walked)
             if not isinstance(layer, keras.Model) and redrawable(layer)]
    if layers is not None:
        picked = pick_many(func, model, layers)
        paths = {path for path, layer in walked if any(layer is p for p in picked)}
        for path, layer in walked:
            if path not in paths or isinstance(layer, keras.Model):
                continue
            if not layer.weights:
                raise ValueError(
                    f"{func}: layers must name layers with weights; {path!r} has none. "
                    f"Layers with weights: {[p for _, p in found]}"
                )
            if not redrawable(layer):
                names = [v.name.split("/")[-1] for v in layer.weights]
                raise ValueError(
                    f"{func}: layers must name layers with weights to draw afresh; {path!r} "
                    f"({type(layer).__name__}) has nothing to redraw: its variables {names} "
                    "have no initializer (statistics such as a Normalization's mean and "
                    "variance are kept as they are, not learned). Layers that can be "
                    f"randomized: {[p for _, p in found]}"
                )
        found = [(index, path) for index, path in found
                 if path in paths or any(path.startswith(f"{p}/") for p in paths)]
    if not found:
        raise ValueError(f"{func}: the model has no layer with weights to randomize")
    return found[::-1]


def _layer_randomization(func: str, model: object, images: object, target: object,
                         method: object, layers: object, seed: object, output: object,
                         batch_size: object, options: dict, *,
                         cascade: bool) -> LayerRandomization:
    method, runner, images, targets, seed, options = _prepare(
        func, model, images, target, method, seed, output, batch_size, options)
    chosen = _weighted_layers(func, model, layers)
    copy = clone(func, model, runner.spec, images, runner.output)
    try:
        copy_layers = [layer for _, layer in walk(copy)]
        originals = [layer for _, layer in walk(model)]
        trained = _maps(func, method, model, images, targets, options)
        maps = np.empty((len(chosen), *trained.shape), dtype=trained.dtype)
        kept: list[str] = []
        for step, (index, _) in enumerate(chosen):
            if not cascade and step > 0:  # put the previous layer back as trained
                previous = chosen[step - 1][0]
                copy_weights(originals[previous], copy_layers[previous])
            kept += reinitialize(copy_layers[index], (seed, index))
            randomized = _maps(func, method, copy, images, targets, options)
            if randomized.shape != trained.shape:
                raise TypeError(
                    f"{func}: method returned maps shaped {randomized.shape} for the "
                    f"randomized model but {trained.shape} for the trained one"
                )
            maps[step] = randomized
    finally:
        forget(copy)  # its compiled functions go with it
    if kept:
        warnings.warn(
            f"{func}: these variables have no initializer to draw from and keep their "
            f"trained values: {sorted(set(kept))}",
            InterpWarning,
            stacklevel=3,
        )
    pairs = [_similarities(trained, step, batch_size) for step in maps]
    similarity = np.stack([signed for signed, _ in pairs])
    similarity_abs = np.stack([absolute for _, absolute in pairs])
    layers = tuple(path for _, path in chosen)
    return LayerRandomization(layers, trained, maps, similarity, similarity_abs)


def cascading_randomization(
    model: keras.Model,
    images: np.ndarray,
    target: object = None,
    *,
    method: Callable[..., np.ndarray] | None = None,
    layers: object = None,
    seed: int = 0,
    output: object = None,
    batch_size: int = 256,
    **options: object,
) -> LayerRandomization:
    """Randomize the network's layers from the output down, and watch the maps change.

    The cascading randomization test of :cite:t:`adebayo2018`: step 1 draws the weights
    of the last layer that has any (the output layer) afresh from its own initializers;
    step 2 also the one below it; and so on down to the first. At each step *method*
    explains the same images, for the same target classes, and its maps are compared
    with the trained model's by Spearman's rank correlation. A method that explains the
    network should lose its similarity at the first step already, as the class scores it
    explains are then those of a random layer. The user's model is not changed: a copy
    is randomized, checked first to predict what the model predicts (see
    :func:`model_randomization`). Layer ``k`` gets the same random weights as in
    :func:`independent_randomization` and :func:`model_randomization` for the same *seed*.
    Layers with nothing to draw afresh (no variable with an initializer, such as an
    adapted ``Normalization`` or a ``Rescaling``) are skipped: they are no step.

    Parameters
    ----------
    model : keras.Model
        The trained classifier (Sequential or Functional, nested models included).
    images : array-like, shape (n, ...)
        A batch shaped as the model expects.
    target : None, int or array of int, optional
        Classes to explain; default the trained model's predictions, kept at every step.
    method : callable, default :func:`interp.saliency`
        ``method(model, images, target=..., **options) -> (n, ...)``; for
        :func:`interp.integrated_gradients` pass a wrapper returning only the attributions.
    layers : optional
        Randomize only these layers (names, paths, positions, classes or layers, as
        :func:`interp.pick_layer` accepts them, or a list; a nested model stands for its
        layers), still from the output down; default every layer with weights to draw
        afresh. A layer with nothing to draw afresh is no step, and naming one is an
        error: ``Rescaling`` and ``Flatten`` have no variables, an adapted
        ``Normalization`` only statistics without an initializer (kept as they are).
    seed : int, default 0
        Seeds the re-initialization.
    output : None, int or str, optional
        Which output of a multi-output model; passed on to *method* when given.
    batch_size : int, default 256
        Images per pass when predicting the targets, and maps per step when comparing
        them (*method* uses its own).
    **options
        Passed to *method*.

    Returns
    -------
    LayerRandomization
        ``layers`` (output first), the ``trained`` maps, the ``maps`` after each step and
        their ``similarity`` and ``similarity_abs`` to the trained maps, shaped
        ``(len(layers), n)``.

    Raises
    ------
    ValueError
        If the model has no layer with weights to draw afresh, or *layers* names one
        without.
    TypeError
        For a subclassed model (its layers cannot be reached), a model whose copy does
        not predict what it predicts (see :func:`model_randomization`), or a *method*
        that does not return one map per image.

    Warns
    -----
    InterpWarning
        When a trainable variable of a randomized layer has no initializer to draw from
        and keeps its trained value.

    See Also
    --------
    independent_randomization : one layer at a time, the others kept as trained.
    model_randomization : every layer at once (the last step here).

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> result = interp.cascading_randomization(model, np.ones((2, 28, 28, 1)))
    >>> result.layers
    ('dense', 'conv2', 'conv1')
    >>> result.maps.shape, result.similarity.shape
    ((3, 2, 28, 28), (3, 2))
    >>> interp.cascading_randomization(model, np.ones((2, 28, 28, 1)), layers="dense").layers
    ('dense',)

    """
    return _layer_randomization("cascading_randomization", model, images, target, method,
                                layers, seed, output, batch_size, options, cascade=True)


def independent_randomization(
    model: keras.Model,
    images: np.ndarray,
    target: object = None,
    *,
    method: Callable[..., np.ndarray] | None = None,
    layers: object = None,
    seed: int = 0,
    output: object = None,
    batch_size: int = 256,
    **options: object,
) -> LayerRandomization:
    """Randomize one layer at a time, the others as trained, and watch the maps change.

    The independent randomization test of :cite:t:`adebayo2018`. It asks which single
    layer a method's maps depend on; :func:`cascading_randomization` (whose arguments
    and result it shares) asks how much of the network they depend on. Layer ``k`` gets
    the same random weights as there, for the same *seed*.

    Parameters
    ----------
    model : keras.Model
        The trained classifier (Sequential or Functional, nested models included).
    images : array-like, shape (n, ...)
        A batch shaped as the model expects.
    target : None, int or array of int, optional
        Classes to explain; default the trained model's predictions, kept at every step.
    method : callable, default :func:`interp.saliency`
        ``method(model, images, target=..., **options) -> (n, ...)``.
    layers : optional
        Randomize only these layers, as for :func:`cascading_randomization`.
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
    LayerRandomization
        Step ``j`` randomized ``layers[j]`` alone.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> result = interp.independent_randomization(model, np.ones((2, 28, 28, 1)))
    >>> result.layers, result.similarity_abs.shape
    (('dense', 'conv2', 'conv1'), (3, 2))

    """
    return _layer_randomization("independent_randomization", model, images, target, method,
                                layers, seed, output, batch_size, options, cascade=False)


def data_randomization(
    model: keras.Model,
    images: np.ndarray,
    target: object = None,
    *,
    shuffled_model: keras.Model,
    method: Callable[..., np.ndarray] | None = None,
    output: object = None,
    batch_size: int = 256,
    **options: object,
) -> RandomizationCheck:
    """Run the data-randomization sanity check of :cite:t:`adebayo2018`.

    *method* explains the same images, for the same target classes, with the trained
    model and with a model of the same architecture trained on *shuffled* labels until
    it fits them -- a network that memorized its training set and learned nothing about
    the classes (for the course network, ``interp.trained_model(labels="shuffled")``).
    A method whose maps stay alike does not depend on the relation between the images
    and their labels that the first model learned.

    Parameters
    ----------
    model : keras.Model
        The model trained on the true labels.
    images : array-like, shape (n, ...)
        A batch shaped as both models expect.
    target : None, int or array of int, optional
        Classes to explain; default *model*'s predictions, used for both models.
    shuffled_model : keras.Model
        The model trained on shuffled labels: the same input shape and classes.
    method : callable, default :func:`interp.saliency`
        ``method(model, images, target=..., **options) -> (n, ...)``.
    output : None, int or str, optional
        Which output of multi-output models; passed on to *method* when given.
    batch_size : int, default 256
        Images per pass when predicting the targets.
    **options
        Passed to *method*.

    Returns
    -------
    RandomizationCheck
        ``trained`` (the true-label model's maps), ``randomized`` (the shuffled-label
        model's) and their rank correlations ``similarity`` and ``similarity_abs``.

    Raises
    ------
    ValueError
        If the two models differ in input shape or number of classes.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model, other = interp.build_model(), interp.build_model()
    >>> check = interp.data_randomization(model, np.ones((2, 28, 28, 1)),
    ...                                   shuffled_model=other)
    >>> check.similarity.shape
    (2,)

    """
    func = "data_randomization"
    method = _method(func, method)
    runner = Runner(func, model, output=output)
    images = runner.images(images)
    batch_size = check_batch_size(func, batch_size)
    other = Runner(func, shuffled_model, output=output)
    if other.spec.shape != runner.spec.shape or other.head.n_classes != runner.head.n_classes:
        raise ValueError(
            f"{func}: shuffled_model must take and give what model does, images "
            f"{runner.spec.batch()} and {runner.head.n_classes} classes; got "
            f"{other.spec.batch()} and {other.head.n_classes} classes"
        )
    targets = runner.check_target(images, target, batch_size)
    if output is not None:
        options = {**options, "output": output}
    trained = _maps(func, method, model, images, targets, options)
    shuffled = _maps(func, method, shuffled_model, images, targets, options)
    if shuffled.shape != trained.shape:
        raise TypeError(
            f"{func}: method returned maps shaped {shuffled.shape} for shuffled_model but "
            f"{trained.shape} for model"
        )
    return RandomizationCheck(trained, shuffled, *_similarities(trained, shuffled, batch_size))


# ---- the random-logit check -----------------------------------------------------------------

class RandomLogit(NamedTuple):
    """Result of :func:`random_logit`.

    Attributes
    ----------
    scores : numpy.ndarray, shape (n,)
        Spearman rank correlation per image between the map for the target class and
        the map for the other class, ties averaged (see :func:`rank_correlation`); NaN
        where either map is constant.
    mean : float
        The mean of the defined ``scores``; NaN if none is.
    targets : numpy.ndarray of int, shape (n,)
        The class explained first, per image.
    others : numpy.ndarray of int, shape (n,)
        The other class explained, per image; never the target.

    """

    scores: np.ndarray
    mean: float
    targets: np.ndarray
    others: np.ndarray


def _check_others(func: str, others: object, targets: np.ndarray, n_classes: int) -> np.ndarray:
    wanted = (f"one class index per image ({len(targets)}) in 0..{n_classes - 1}, each "
              "other than the image's target")
    if isinstance(others, (str, bytes)):
        raise TypeError(f"{func}: others must be {wanted}, got {describe(others)}")
    try:
        array = others if isinstance(others, np.ndarray) else np.asarray(others)
    except (TypeError, ValueError) as err:  # ragged nested lists and the like
        raise TypeError(f"{func}: others must be {wanted}, got {describe(others)}") from err
    if array.dtype.kind not in "iu":
        raise TypeError(f"{func}: others must be {wanted}, got {describe(others)}")
    if array.shape != targets.shape:
        raise ValueError(f"{func}: others must be {wanted}, got {describe(array)}")
    if array.size and (array.min() < 0 or array.max() >= n_classes):
        raise ValueError(f"{func}: others must be {wanted}, got {describe(array)}")
    same = np.flatnonzero(array == targets)
    if same.size:
        raise ValueError(f"{func}: others must be {wanted}, got the target itself for "
                         f"image(s) {same[:5].tolist()}")
    return array.astype(np.int64)


def random_logit(
    method: Callable[..., np.ndarray],
    model: keras.Model,
    images: np.ndarray,
    target: object = None,
    *,
    others: np.ndarray | None = None,
    absolute: bool = False,
    similarity: str = "rank",
    seed: int = 0,
    output: object = None,
    batch_size: int = 256,
    **options: object,
) -> RandomLogit:
    r"""Compare the map for the target class with the map for a random other class.

    The random-logit check of :cite:t:`sixt2020`: a map that explains *why this class*
    should change when it is asked about another class. For each image, *method*
    explains the target class :math:`t` and a class :math:`o \ne t` drawn uniformly
    from the others, and the score is the Spearman rank correlation of the two maps (or
    their structural similarity, as the peers compute it). Lower is better: near 1, the
    method shows the same pixels whatever the class (Sixt et al. find this for several
    modified-backpropagation methods).

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
        Class explained first, per image; default the predicted class.
    others : array-like of int, shape (n,), optional
        The other class per image, each different from the image's target. When given,
        *seed* is not used.
    absolute : bool, default False
        Compare the absolute values of the maps instead of the signed maps.
    similarity : {"rank", "ssim"}, default "rank"
        How the two maps are compared: ``"rank"``, Spearman's rank correlation
        (:func:`rank_correlation`); ``"ssim"``, the structural similarity as Xplique's
        ``RandomLogitMetric`` computes it (``tf.image.ssim`` with an 11 x 11 Gaussian
        window of sigma 1.5, shrunk to the map if smaller, k1 = 0.01, k2 = 0.03, and the
        range the two maps span together as the dynamic range; 1 for two equal constant
        maps). SSIM needs maps shaped (n, h, w) or (n, h, w, channels).
    seed : int, default 0
        Seeds the other classes: with ``draw =
        numpy.random.default_rng(seed).integers(0, classes - 1, n)``, image ``i`` gets
        ``draw[i] + (draw[i] >= target[i])``, uniform over the classes but its target.
    output : None, int or str, optional
        Which output of a multi-output model; passed on to *method* when given.
    batch_size : int, default 256
        Images per call of *method* (each call for one of the two classes), and per
        pass when predicting the targets.
    **options
        Passed to *method*.

    Returns
    -------
    RandomLogit
        ``scores`` (n,), their ``mean``, and the ``targets`` and ``others`` explained.

    Raises
    ------
    ValueError, TypeError
        For *others* that are not one valid class per image other than its target, a
        model with fewer than two classes, a *method* that is not callable or does not
        return one map per image, or a *seed* < 0.

    See Also
    --------
    model_randomization : the same question asked of the network's weights.

    Notes
    -----
    Quantus's ``RandomLogit`` and Xplique's ``RandomLogitMetric``, the peers, draw the
    other class the same way (uniform over the classes but the target; Xplique with
    the same shift, from TensorFlow's global generator) and compare the maps by SSIM
    by default (Quantus also offers other similarities); ``similarity="ssim"`` gives
    Xplique's numbers. The rank correlation, the default here, is the one the other
    sanity checks of interp report (:func:`model_randomization`), so
    :data:`SANITY_LINE` reads the same way; it does not depend on the maps' scale,
    which differs between classes.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> images = np.random.default_rng(0).random((3, 28, 28, 1))
    >>> check = interp.random_logit(interp.saliency, model, images, target=[0, 1, 2], seed=1)
    >>> check.scores.shape, bool((check.others != check.targets).all())
    ((3,), True)

    """
    func = "random_logit"
    method = _first_method(func, method)
    runner = Runner(func, model, output=output)
    images = runner.images(images)
    batch_size = check_batch_size(func, batch_size)
    absolute = check_bool(func, "absolute", absolute)
    similarity = check_choice(func, "similarity", similarity, ("rank", "ssim"))
    seed = check_int(func, "seed", seed, minimum=0)
    n_classes = runner.head.n_classes
    if n_classes < 2:
        raise ValueError(f"{func}: the model must have at least two classes to pick another "
                         f"from, got {n_classes}")
    targets = runner.check_target(images, target, batch_size)
    if others is None:
        draw = np.random.default_rng(seed).integers(0, n_classes - 1, len(images))
        others = draw + (draw >= targets)
    else:
        others = _check_others(func, others, targets, n_classes)
    if output is not None:
        options = {**options, "output": output}
    scores = np.empty(len(images))
    for start in range(0, len(images), batch_size):
        rows = slice(start, min(start + batch_size, len(images)))
        x = images[rows]
        first = _maps(func, method, model, x, targets[rows], options)
        second = _maps(func, method, model, x, others[rows], options)
        if first.shape != second.shape:
            raise ValueError(f"{func}: method returned maps shaped {second.shape[1:]} for the "
                             f"other classes but {first.shape[1:]} for the targets")
        for maps, what in ((first, "targets"), (second, "other classes")):
            if not np.isfinite(maps).all():
                raise ValueError(f"{func}: method returned NaN or inf values for the {what} "
                                 f"of images {start}..{start + len(maps) - 1}")
        if absolute:
            first, second = np.abs(first), np.abs(second)
        if similarity == "rank":
            scores[rows] = rank_correlation(first, second)
        elif first.ndim in (3, 4):
            scores[rows] = _ssim(first, second)
        else:
            raise ValueError(f"{func}: similarity='ssim' needs maps shaped (n, h, w) or "
                             f"(n, h, w, channels); method returned maps shaped "
                             f"{first.shape}")
    finite = scores[np.isfinite(scores)]
    mean = float(finite.mean()) if finite.size else float("nan")
    return RandomLogit(scores, mean, targets, others.astype(np.int64))
