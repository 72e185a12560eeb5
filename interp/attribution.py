"""Why this class: which pixels a prediction depends on.

Every method takes a batch ``(n, h, w, c)`` and returns one ``(n, h, w)`` map per image,
on every Keras 3 model kind (a Sequential with or without ``Input``, a Functional and a
nested model). The class whose score is explained is ``target``: ``None`` for each
image's predicted class, one int for all images, or one int per image.

Gradient methods differentiate the *logit* of the target class: when the model's last
layer ends in a softmax, its pre-softmax output is used, because the softmax couples all
classes and saturates (a confident prediction has almost no gradient). Occlusion, which
needs no gradient, measures the drop of the target's *probability*.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import NamedTuple

import keras
import numpy as np

from ._validate import check_int, describe
from .activations import _forward, check_images
from .kernels import check_conv_layer
from .layers import check_model, conv_layers, pick_layer


def _output_layer(model: keras.Model) -> keras.layers.Layer:
    last = model.layers[-1]
    while isinstance(last, keras.Model):
        last = last.layers[-1]
    return last


@contextlib.contextmanager
def _logits(model: keras.Model) -> Iterator[None]:
    """Run the model with its final softmax, if any, replaced by the identity."""
    last = _output_layer(model)
    activation = getattr(last, "activation", None)
    if activation is not keras.activations.softmax:
        yield
        return
    last.activation = keras.activations.linear
    try:
        yield
    finally:
        last.activation = activation


def _n_classes(model: keras.Model) -> int:
    last = _output_layer(model)
    units = getattr(last, "units", None)
    if units is None:
        units = int(model.outputs[0].shape[-1])
    return int(units)


def _targets(func: str, model: keras.Model, images: np.ndarray, target: object) -> np.ndarray:
    """Return one class index per image (the prediction when *target* is None)."""
    n_classes = _n_classes(model)
    if target is None:
        probabilities = _predict(model, images, logits=False)
        return probabilities.argmax(axis=1)
    array = np.asarray(target)
    if array.dtype.kind not in "iu" or array.ndim > 1:
        raise TypeError(
            f"{func}: target must be None, an int or one int per image, got {describe(target)}"
        )
    if array.ndim == 1 and len(array) != len(images):
        raise ValueError(
            f"{func}: target must have one class per image ({len(images)}), got {len(array)}"
        )
    if array.min() < 0 or array.max() >= n_classes:
        raise ValueError(
            f"{func}: target must be a class index in 0..{n_classes - 1}, got {describe(target)}"
        )
    return np.broadcast_to(array, (len(images),)).astype(np.int64)


def _predict(model: keras.Model, images: np.ndarray, *, logits: bool, batch: int = 512):
    out = []
    context = _logits(model) if logits else contextlib.nullcontext()
    with context:
        for start in range(0, len(images), batch):
            x = keras.ops.convert_to_tensor(images[start:start + batch])
            out.append(keras.ops.convert_to_numpy(_forward(model, x, set(), {}, stop_early=False)))
    return np.concatenate(out)


def _gradients(model, images, targets, batch_size, layer=None):
    """Return d(target logit)/d(input), or a layer's (activations, gradients)."""
    import tensorflow as tf

    wanted = {id(layer)} if layer is not None else set()
    grads, acts = [], []
    with _logits(model):
        for start in range(0, len(images), batch_size):
            x = tf.convert_to_tensor(images[start:start + batch_size])
            t = tf.convert_to_tensor(targets[start:start + batch_size])
            found: dict[int, object] = {}
            with tf.GradientTape() as tape:
                tape.watch(x)

                def hook(op, out, tape=tape):
                    tape.watch(out)
                    return out

                scores = _forward(model, x, wanted, found, stop_early=False, hook=hook)
                chosen = tf.gather(scores, t, axis=1, batch_dims=1)
            source = found[id(layer)] if layer is not None else x
            grads.append(tape.gradient(chosen, source).numpy())
            if layer is not None:
                acts.append(keras.ops.convert_to_numpy(source))
    if layer is not None:
        return np.concatenate(acts), np.concatenate(grads)
    return np.concatenate(grads)


def _prepare(func, model, images, target, batch_size):
    check_model(func, model)
    images = check_images(func, model, images)
    batch_size = check_int(func, "batch_size", batch_size, minimum=1)
    return images, _targets(func, model, images, target), batch_size


def saliency(
    model: keras.Model, images: np.ndarray, target: object = None, *, batch_size: int = 256
) -> np.ndarray:
    """Gradient of the target's logit with respect to each input pixel.

    Parameters
    ----------
    model : keras.Model
        A classifier taking ``(n, h, w, c)`` images.
    images : array-like, shape (n, h, w, c)
        Images shaped as the model expects.
    target : None, int or array of int, optional
        Class explained per image; default the predicted class.
    batch_size : int, default 256
        Images per forward and backward pass; the result does not depend on it.

    Returns
    -------
    numpy.ndarray, shape (n, h, w)
        Signed gradients, summed over channels. Their absolute value is the classic
        saliency map (Simonyan et al., 2014).

    Raises
    ------
    ValueError, TypeError
        For images of the wrong shape, or a target out of range or of the wrong length.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> interp.saliency(model, np.zeros((2, 28, 28, 1)), target=3).shape
    (2, 28, 28)

    """
    images, targets, batch_size = _prepare("saliency", model, images, target, batch_size)
    return _gradients(model, images, targets, batch_size).sum(axis=-1)


def smoothgrad(
    model: keras.Model,
    images: np.ndarray,
    target: object = None,
    noise: float = 0.15,
    samples: int = 25,
    seed: int = 0,
    *,
    batch_size: int = 256,
) -> np.ndarray:
    """Saliency averaged over noisy copies of each image (Smilkov et al., 2017).

    Parameters
    ----------
    model : keras.Model
        A classifier, any model kind.
    images : array-like, shape (n, h, w, c)
        Images shaped as the model expects.
    target : None, int or array of int, optional
        Class explained per image; default the predicted class.
        For SmoothGrad it is fixed from the clean image.
    noise : float, default 0.15
        Standard deviation of the Gaussian noise, as a fraction of each image's range.
    samples : int, default 25
        Noisy copies per image.
    seed : int, default 0
        Seeds the noise; image ``i`` always gets the same noise, whatever the batch size.
    batch_size : int, default 256
        Noisy images per pass.

    Returns
    -------
    numpy.ndarray, shape (n, h, w)

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> interp.smoothgrad(model, np.zeros((1, 28, 28, 1)), target=0, samples=4).shape
    (1, 28, 28)

    """
    func = "smoothgrad"
    images, targets, batch_size = _prepare(func, model, images, target, batch_size)
    samples = check_int(func, "samples", samples, minimum=1)
    seed = check_int(func, "seed", seed, minimum=0)
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"{func}: noise must be a number >= 0, got {describe(noise)}")
    out = np.zeros(images.shape[:3], dtype=np.float32)
    for i, image in enumerate(images):
        spread = float(image.max() - image.min()) or 1.0
        rng = np.random.default_rng([seed, i])
        noisy = image + rng.normal(0.0, noise * spread, (samples, *image.shape))
        grads = _gradients(model, noisy.astype(np.float32), np.full(samples, targets[i]),
                           batch_size)
        out[i] = grads.sum(axis=-1).mean(axis=0)
    return out


def integrated_gradients(
    model: keras.Model,
    images: np.ndarray,
    target: object = None,
    baseline: np.ndarray | None = None,
    steps: int = 50,
    *,
    batch_size: int = 1024,
) -> tuple[np.ndarray, np.ndarray]:
    """Integrated gradients (Sundararajan et al., 2017), with their completeness gap.

    The attribution of a pixel is its difference from the baseline times the average
    gradient along the straight path from the baseline to the image (midpoint rule with
    *steps* points). Summed over pixels, the attributions should equal the change of the
    target's logit between baseline and image; the gap measures how far they are from it,
    and shrinks as *steps* grows.

    Parameters
    ----------
    model : keras.Model
        A classifier, any model kind.
    images : array-like, shape (n, h, w, c)
        Images shaped as the model expects.
    target : None, int or array of int, optional
        Class explained per image; default the predicted class.
    baseline : array-like, shape (h, w, c) or (n, h, w, c), optional
        Default: a black image (all zeros).
    steps : int, default 50
        Points on the path; more points, smaller gap.
    batch_size : int, default 1024
        Path points per forward pass.

    Returns
    -------
    attributions : numpy.ndarray, shape (n, h, w)
        Summed over channels.
    gaps : numpy.ndarray, shape (n,)
        ``|sum(attributions) - (F(image) - F(baseline))|``, F the target's logit.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> attributions, gaps = interp.integrated_gradients(model, np.ones((1, 28, 28, 1)), 0)
    >>> attributions.shape, gaps.shape
    ((1, 28, 28), (1,))

    """
    func = "integrated_gradients"
    images, targets, batch_size = _prepare(func, model, images, target, batch_size)
    steps = check_int(func, "steps", steps, minimum=1)
    if baseline is None:
        base = np.zeros_like(images)
    else:
        base = np.asarray(baseline, dtype=np.float32)
        if base.shape not in (images.shape[1:], images.shape):
            raise ValueError(
                f"{func}: baseline must be shaped {images.shape[1:]} or {images.shape}, "
                f"got {describe(base)}"
            )
        base = np.broadcast_to(base, images.shape)
    alphas = ((np.arange(steps) + 0.5) / steps).astype(np.float32)
    attributions = np.empty(images.shape[:3], dtype=np.float32)
    per_pass = max(1, batch_size // steps)  # whole paths of several images per pass
    for start in range(0, len(images), per_pass):
        x, b = images[start:start + per_pass], base[start:start + per_pass]
        path = b[:, None] + alphas[None, :, None, None, None] * (x - b)[:, None]
        grads = _gradients(model, path.reshape(-1, *images.shape[1:]),
                           np.repeat(targets[start:start + per_pass], steps), batch_size)
        grads = grads.reshape(len(x), steps, *images.shape[1:]).mean(axis=1)
        attributions[start:start + per_pass] = ((x - b) * grads).sum(axis=-1)
    ends = np.concatenate([images, np.ascontiguousarray(base)])
    logits = _predict(model, ends, logits=True)
    rows = np.arange(len(images))
    change = logits[rows, targets] - logits[len(images) + rows, targets]
    gaps = np.abs(attributions.sum(axis=(1, 2)) - change)
    return attributions, gaps


def grad_cam(
    model: keras.Model,
    images: np.ndarray,
    layer: object = None,
    target: object = None,
    *,
    batch_size: int = 256,
) -> np.ndarray:
    """Grad-CAM (Selvaraju et al., 2017): a conv layer's maps weighted by their gradients.

    Each map of the layer gets the spatial mean of the target logit's gradient with
    respect to it as weight; the weighted sum through a ReLU is the class activation map,
    resized (bilinearly) to the input's height and width.

    Parameters
    ----------
    model : keras.Model
        A classifier, any model kind.
    images : array-like, shape (n, h, w, c)
        Images shaped as the model expects.
    target : None, int or array of int, optional
        Class explained per image; default the predicted class.
    layer : int, str, layer class or layer, optional
        A Conv2D layer; default the last one.
    batch_size : int, default 256
        Images per pass.

    Returns
    -------
    numpy.ndarray, shape (n, h, w)
        Non-negative.

    Raises
    ------
    TypeError
        If *layer* is not a convolution layer.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> interp.grad_cam(model, np.zeros((2, 28, 28, 1)), target=1).shape
    (2, 28, 28)

    """
    func = "grad_cam"
    images, targets, batch_size = _prepare(func, model, images, target, batch_size)
    if layer is None:
        convs = conv_layers(model)
        if not convs:
            raise ValueError(f"{func}: the model has no Conv2D layer")
        conv = convs[-1]
    else:
        conv = check_conv_layer(func, pick_layer(model, layer))
    acts, grads = _gradients(model, images, targets, batch_size, layer=conv)
    weights = grads.mean(axis=(1, 2), keepdims=True)
    cam = np.maximum((weights * acts).sum(axis=-1), 0.0)
    if cam.shape[1:] != images.shape[1:3]:
        resized = keras.ops.image.resize(cam[..., None], images.shape[1:3], "bilinear")
        cam = keras.ops.convert_to_numpy(resized)[..., 0]
    return cam.astype(np.float32)


def occlusion(
    model: keras.Model,
    images: np.ndarray,
    target: object = None,
    patch: int = 4,
    stride: int = 2,
    fill: float = 0.0,
    *,
    batch_size: int = 1024,
) -> np.ndarray:
    """Measure how much the target's probability drops when each part of the image is covered.

    A *patch* × *patch* square of value *fill* slides over the image in steps of
    *stride*; each pixel's score is the mean drop of the target's probability over the
    placements that cover it (pixels no placement covers get 0).

    Parameters
    ----------
    model : keras.Model
        A classifier, any model kind.
    images : array-like, shape (n, h, w, c)
        Images shaped as the model expects.
    target : None, int or array of int, optional
        Class explained per image; default the predicted class.
    patch : int, default 4
        Side of the covering square, in pixels.
    stride : int, default 2
        Step between placements.
    fill : float, default 0.0
        The value of the covering square (0 is the black background here).
    batch_size : int, default 1024
        Occluded images per forward pass.

    Returns
    -------
    numpy.ndarray, shape (n, h, w)
        Positive where covering the pixel lowers the probability. "Probability" is the
        model's output for the target class: a probability when the model ends in a
        softmax, otherwise whatever the model outputs.

    Raises
    ------
    ValueError
        If *patch* is larger than the image or *stride* < 1.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> interp.occlusion(model, np.zeros((1, 28, 28, 1)), target=0, patch=7, stride=7).shape
    (1, 28, 28)

    """
    func = "occlusion"
    images, targets, batch_size = _prepare(func, model, images, target, batch_size)
    patch = check_int(func, "patch", patch, minimum=1)
    stride = check_int(func, "stride", stride, minimum=1)
    h, w = images.shape[1:3]
    if patch > min(h, w):
        raise ValueError(f"{func}: patch must be at most the image size {min(h, w)}, got {patch}")
    corners = [(r, c) for r in range(0, h - patch + 1, stride)
               for c in range(0, w - patch + 1, stride)]
    out = np.zeros(images.shape[:3], dtype=np.float32)
    counts = np.zeros((h, w), dtype=np.float32)
    for r, c in corners:
        counts[r:r + patch, c:c + patch] += 1
    rows = np.arange(len(images))
    base = _predict(model, images, logits=False)[rows, targets]
    for i, image in enumerate(images):
        covered = np.repeat(image[np.newaxis], len(corners), axis=0)
        for j, (r, c) in enumerate(corners):
            covered[j, r:r + patch, c:c + patch] = fill
        probabilities = _predict(model, covered, logits=False, batch=batch_size)[:, targets[i]]
        for j, (r, c) in enumerate(corners):
            out[i, r:r + patch, c:c + patch] += base[i] - probabilities[j]
    return np.divide(out, counts, out=np.zeros_like(out), where=counts > 0)



class RandomizationCheck(NamedTuple):
    """Result of :func:`model_randomization`.

    Attributes
    ----------
    trained : numpy.ndarray, shape (n, h, w)
        Attributions from the trained model.
    randomized : numpy.ndarray, shape (n, h, w)
        Attributions from the same architecture with freshly initialized weights, for the
        same target classes.
    similarity : numpy.ndarray, shape (n,)
        Spearman rank correlation of ``|trained|`` and ``|randomized|`` per image, ties
        averaged (see :func:`interp.rank_correlation`); NaN where either map is
        constant, e.g. an all-zero Grad-CAM map, since such a map ranks nothing. A method
        that explains the *model* should give low values; values near 1 mean the map
        mostly reflects the input (edges, brightness), not what the network learned.

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
    :func:`scipy.stats.spearmanr`, so the many exact zeros of a sparse map do not rank by
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


def model_randomization(
    model: keras.Model,
    images: np.ndarray,
    method: Callable[..., np.ndarray] | None = None,
    target: object = None,
    seed: int = 0,
    **options: object,
) -> RandomizationCheck:
    """Run the model-randomization sanity check of Adebayo et al. (2018).

    The same attribution method is run on the trained model and on a copy of its
    architecture whose weights are drawn afresh (Glorot-uniform kernels, zero biases, from
    a generator seeded by *seed*), for the same target classes. If the two maps look
    alike, the method is not showing what the network learned.

    Parameters
    ----------
    model : keras.Model
        The trained classifier, any model kind.
    images : array-like, shape (n, h, w, c)
        Images shaped as the model expects.
    method : callable, default :func:`saliency`
        ``method(model, images, target=..., **options) -> (n, h, w)``; for
        :func:`integrated_gradients` pass a wrapper returning only the attributions.
    target : None, int or array of int, optional
        Classes to explain; default the trained model's predictions, used for both models.
    seed : int, default 0
        Seeds the re-initialization.
    **options
        Passed to *method*.

    Returns
    -------
    RandomizationCheck
        ``trained``, ``randomized`` and their per-image rank correlation ``similarity``.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> check = interp.model_randomization(model, np.ones((2, 28, 28, 1)))
    >>> check.similarity.shape
    (2,)

    """
    func = "model_randomization"
    method = saliency if method is None else method
    if not callable(method):
        raise TypeError(f"{func}: method must be callable, got {describe(method)}")
    images, targets, _ = _prepare(func, model, images, target, 256)
    seed = check_int(func, "seed", seed, minimum=0)
    randomized = keras.models.clone_model(model)
    randomized(images[:1])  # builds every layer
    rng = np.random.default_rng(seed)
    for layer in randomized.layers:
        fresh = []
        for weight in layer.get_weights():
            if weight.ndim >= 2:
                fan_in = int(np.prod(weight.shape[:-1]))
                fan_out = int(weight.shape[-1]) * (
                    int(np.prod(weight.shape[:-2])) if weight.ndim > 2 else 1)
                limit = np.sqrt(6.0 / (fan_in + fan_out))
                fresh.append(rng.uniform(-limit, limit, weight.shape).astype(weight.dtype))
            else:
                fresh.append(np.zeros_like(weight))
        if fresh:
            layer.set_weights(fresh)
    trained_maps = np.asarray(method(model, images, target=targets, **options))
    random_maps = np.asarray(method(randomized, images, target=targets, **options))
    similarity = rank_correlation(np.abs(trained_maps), np.abs(random_maps))
    return RandomizationCheck(trained_maps, random_maps, similarity)
