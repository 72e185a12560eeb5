"""Gradient methods: the target logit's gradient, used as it is or combined.

Saliency, gradient x input, guided backpropagation, SmoothGrad and integrated gradients;
each differentiates the target's logit through ``Runner.gradient`` (interp/_model.py).
"""

from __future__ import annotations

import keras
import numpy as np

from .._model import Runner
from .._validate import check_choice, check_int, check_number, describe
from ._common import _accumulate, _empty_maps, _setup, ahead, streams


def _gradient_maps(runner: Runner, images: np.ndarray, targets: np.ndarray, batch_size: int,
                   *, guided: bool = False, times_input: bool = False) -> np.ndarray:
    out = _empty_maps(runner, images)
    for start, x in runner.batches(images, batch_size):
        grads = runner.gradient(x, targets[start:start + len(x)], guided=guided)
        out[start:start + len(x)] = runner.maps(grads * x if times_input else grads)
    return out


def saliency(
    model: keras.Model,
    images: np.ndarray,
    target: object = None,
    *,
    output: object = None,
    batch_size: int = 256,
) -> np.ndarray:
    """Gradient of the target's logit with respect to each input pixel.

    Parameters
    ----------
    model : keras.Model
        A classifier; any model kind.
    images : array-like, shape (n, ...), or an iterable of such batches
        A batch shaped as the model expects, e.g. ``(n, 28, 28, 1)``; or batches from a
        generator or a ``tf.data.Dataset`` (of images, or of ``(images, labels)``), read
        one at a time.
    target : None, int or array of int, optional
        Class explained per image; default the predicted class.
    output : None, int or str, optional
        Which output of a multi-output model (required there).
    batch_size : int, default 256
        Images per forward and backward pass; the result does not depend on it.

    Returns
    -------
    numpy.ndarray, shape (n, ...)
        Signed gradients, summed over the channel axis (so RGB maps add the three
        colours' gradients). Their absolute value is the classic saliency map of
        :cite:t:`simonyan2014`, which takes the maximum of ``|gradient|`` over channels
        instead.

    Raises
    ------
    ValueError, TypeError
        For images of the wrong shape, a target out of range or of the wrong length, a
        multi-output model without ``output``, or a multi-input model.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> interp.saliency(model, np.zeros((2, 28, 28, 1)), target=3).shape
    (2, 28, 28)

    """
    runner, images, targets, batch_size = _setup(
        "saliency", model, images, target, batch_size, output, in_pass=True)
    return _gradient_maps(runner, images, targets, batch_size)


def input_x_gradient(
    model: keras.Model,
    images: np.ndarray,
    target: object = None,
    *,
    output: object = None,
    batch_size: int = 256,
) -> np.ndarray:
    """Gradient times input: each pixel's value times the target logit's gradient there.

    The simplest baseline of the attribution literature; for a network of ReLUs and
    linear layers without biases it equals integrated gradients from a black image.
    :cite:t:`adebayo2018` show it fails the randomization checks: the input's own
    structure dominates the map.

    Parameters
    ----------
    model : keras.Model
        A classifier; any model kind.
    images : array-like, shape (n, ...), or an iterable of such batches
        A batch shaped as the model expects, or batches of it (see :func:`saliency`).
    target : None, int or array of int, optional
        Class explained per image; default the predicted class.
    output : None, int or str, optional
        Which output of a multi-output model.
    batch_size : int, default 256
        Images per pass.

    Returns
    -------
    numpy.ndarray, shape (n, ...)
        ``sum over channels of image * gradient``.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> interp.input_x_gradient(model, np.ones((2, 28, 28, 1)), target=0).shape
    (2, 28, 28)

    """
    runner, images, targets, batch_size = _setup(
        "input_x_gradient", model, images, target, batch_size, output, in_pass=True)
    return _gradient_maps(runner, images, targets, batch_size, times_input=True)


def guided_backprop(
    model: keras.Model,
    images: np.ndarray,
    target: object = None,
    *,
    output: object = None,
    batch_size: int = 256,
) -> np.ndarray:
    """Guided backpropagation :cite:p:`springenberg2015`.

    The gradient of the target logit, except that every ReLU passes back only positive
    gradients, and only where its input was positive. Every ReLU counts: a layer's
    ``activation="relu"``, a ``ReLU`` or ``Activation("relu")`` layer, or a
    ``keras.ops.relu`` call in a Functional graph. The user's model is not changed:
    interp runs its own copies of those layers without their activation.

    The maps look sharp, but :cite:t:`adebayo2018` show they barely change when the
    network's weights are randomized: they reconstruct the image more than they explain
    the network.

    Parameters
    ----------
    model : keras.Model
        A classifier with a graph (Sequential or Functional, nested models included).
    images : array-like, shape (n, ...), or an iterable of such batches
        A batch shaped as the model expects, or batches of it (see :func:`saliency`).
    target : None, int or array of int, optional
        Class explained per image; default the predicted class.
    output : None, int or str, optional
        Which output of a multi-output model.
    batch_size : int, default 256
        Images per pass.

    Returns
    -------
    numpy.ndarray, shape (n, ...)
        Summed over channels.

    Raises
    ------
    TypeError
        For a subclassed model, whose ReLUs cannot be reached.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> interp.guided_backprop(model, np.ones((2, 28, 28, 1)), target=0).shape
    (2, 28, 28)

    """
    runner, images, targets, batch_size = _setup(
        "guided_backprop", model, images, target, batch_size, output, graph=True, in_pass=True)
    return _gradient_maps(runner, images, targets, batch_size, guided=True)


NOISE_GROUP = 16


def _noise(seed: int, owner: np.ndarray, copy: np.ndarray, samples: int,
           shape: tuple[int, ...]) -> np.ndarray:
    """Draw the noise of copy ``copy[k]`` of image ``owner[k]``, the same in any batch.

    Copies ``16 g .. 16 g + 15`` of image ``i`` come from one generator seeded
    ``[seed, i, g]``, so a batch draws at most one group more than it uses at each end.
    """
    group = copy // NOISE_GROUP
    keys = owner * (samples // NOISE_GROUP + 1) + group
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    out = np.empty((len(owner), *shape), dtype=np.float32)
    for a, b in zip(starts, np.r_[starts[1:], len(keys)], strict=True):
        first = int(group[a]) * NOISE_GROUP
        size = min(NOISE_GROUP, samples - first)
        rng = np.random.default_rng([seed, int(owner[a]), int(group[a])])
        out[a:b] = rng.standard_normal((size, *shape), dtype=np.float32)[copy[a:b] - first]
    return out


def smoothgrad(
    model: keras.Model,
    images: np.ndarray,
    target: object = None,
    *,
    noise: float = 0.15,
    samples: int = 25,
    seed: int = 0,
    statistic: str = "mean",
    output: object = None,
    batch_size: int = 256,
) -> np.ndarray:
    r"""Saliency averaged over noisy copies of each image :cite:p:`smilkov2017`.

    .. math:: \hat M(x) = \frac{1}{N} \sum_{i=1}^{N} g_i, \qquad
       g_i = \nabla_x f_t(x + \epsilon_i), \quad \epsilon_i \sim \mathcal{N}(0, \sigma^2)

    with :math:`\sigma` = *noise* times the image's range (max - min). With
    ``statistic="square"`` it is SquareGrad :cite:p:`hooker2019`, the mean of the squared
    gradients :math:`\frac{1}{N} \sum_i g_i^2`; with ``statistic="variance"`` VarGrad
    :cite:p:`adebayo2018b`, their variance
    :math:`\frac{1}{N} \sum_i g_i^2 - \big(\frac{1}{N} \sum_i g_i\big)^2`. Both are
    taken per input value (each colour channel on its own), then summed over channels.

    Parameters
    ----------
    model : keras.Model
        A classifier; any model kind.
    images : array-like, shape (n, ...), or an iterable of such batches
        A batch shaped as the model expects, or batches of it (see :func:`saliency`).
    target : None, int or array of int, optional
        Class explained per image; default the predicted class of the clean image.
    noise : float, default 0.15
        Standard deviation of the Gaussian noise, as a fraction of each image's range.
    samples : int, default 25
        Noisy copies per image.
    seed : int, default 0
        Seeds the noise: copy ``s`` of image ``i`` always gets the same noise, whatever
        the batch size and the backend. (Copies ``16 g`` to ``16 g + 15`` of image ``i``
        are standard normal draws of ``numpy.random.default_rng([seed, i, g])``, in
        order, times ``noise`` times the image's range.)
    statistic : {"mean", "square", "variance"}, default "mean"
        What the gradients of the noisy copies are reduced to: their mean (SmoothGrad),
        the mean of their squares (SquareGrad) or their variance (VarGrad).
    output : None, int or str, optional
        Which output of a multi-output model.
    batch_size : int, default 256
        Noisy images per pass; copies of several images share a pass.

    Returns
    -------
    numpy.ndarray, shape (n, ...)
        Summed over channels. Signed for the mean; non-negative for the other two.

    Notes
    -----
    The three statistics are those of Captum's ``NoiseTunnel`` (``nt_type`` "smoothgrad",
    "smoothgrad_sq" and "vargrad") over a signed gradient (Captum's ``Saliency`` takes
    the absolute value unless ``abs=False``). The variance divides by :math:`N`, as
    Captum's does; Xplique's ``VarGrad`` divides by :math:`N - 1` (larger by
    :math:`N / (N - 1)`). Xplique's noise is an absolute standard deviation, interp's a
    fraction of each image's range.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> interp.smoothgrad(model, np.zeros((1, 28, 28, 1)), target=0, samples=4).shape
    (1, 28, 28)
    >>> vargrad = interp.smoothgrad(model, np.zeros((1, 28, 28, 1)), target=0, samples=4,
    ...                             statistic="variance")
    >>> bool((vargrad >= 0).all())
    True

    """
    func = "smoothgrad"
    runner, images, targets, batch_size = _setup(func, model, images, target, batch_size, output)
    samples = check_int(func, "samples", samples, minimum=1)
    seed = check_int(func, "seed", seed, minimum=0)
    noise = check_number(func, "noise", noise, minimum=0.0)
    statistic = check_choice(func, "statistic", statistic, ("mean", "square", "variance"))
    n, shape = len(images), images.shape[1:]

    def noisy_batches():
        for first in range(0, n * samples, batch_size):
            items = np.arange(first, min(first + batch_size, n * samples))
            owner, copy = np.divmod(items, samples)
            x = np.asarray(images[owner], dtype=np.float32)
            if not np.isfinite(x).all():
                raise ValueError(f"{func}: images must be finite, got NaN or inf values")
            flat = x.reshape(len(x), -1)
            spread = flat.max(axis=1) - flat.min(axis=1)
            spread[spread == 0] = 1.0
            scale = (noise * spread).astype(np.float32).reshape(-1, *([1] * len(shape)))
            x += scale * _noise(seed, owner, copy, samples, shape)
            yield owner, x

    out = _empty_maps(runner, images)
    if statistic == "mean":
        for owner, x in ahead(noisy_batches()):
            grads = runner.gradient(x, targets[owner])
            _accumulate(out, owner, runner.maps(grads) / samples)
        return out
    # sums of g and g**2 per input value, in float64: the variance is their difference
    squares = np.zeros(out.shape, np.float64)
    sums = np.zeros((n, *shape), np.float64) if statistic == "variance" else None
    for owner, x in ahead(noisy_batches()):
        grads = runner.gradient(x, targets[owner]).astype(np.float64)
        _accumulate(squares, owner, runner.maps(grads * grads))
        if sums is not None:
            _accumulate(sums, owner, grads)
    result = squares / samples
    if sums is not None:
        mean = sums / samples
        result = np.maximum(result - runner.maps(mean * mean), 0.0)  # round-off below 0
    out[...] = result
    return out


def integrated_gradients(
    model: keras.Model,
    images: np.ndarray,
    target: object = None,
    *,
    baseline: np.ndarray | None = None,
    steps: int = 50,
    output: object = None,
    batch_size: int = 1024,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Integrated gradients :cite:p:`sundararajan2017`, with their completeness gap.

    .. math:: \mathrm{IG}_i(x) = (x_i - x'_i) \int_0^1
       \frac{\partial f_t(x' + \alpha (x - x'))}{\partial x_i}\, d\alpha

    for the image :math:`x`, baseline :math:`x'` and target logit :math:`f_t`, with the
    integral taken by the midpoint rule on *steps* points. Summed over pixels, the
    attributions should equal :math:`f_t(x) - f_t(x')` (completeness); the gap measures
    how far they are from it.

    Parameters
    ----------
    model : keras.Model
        A classifier; any model kind.
    images : array-like, shape (n, ...), or an iterable of such batches
        A batch shaped as the model expects, or batches of it (see :func:`saliency`).
    target : None, int or array of int, optional
        Class explained per image; default the predicted class.
    baseline : array-like, optional
        One image (shaped like ``images[0]``) or one per image; default all zeros (a
        black image).
    steps : int, default 50
        Points on the path.
    output : None, int or str, optional
        Which output of a multi-output model.
    batch_size : int, default 1024
        Path points per pass; points of several images share a pass.

    Returns
    -------
    attributions : numpy.ndarray, shape (n, ...)
        Summed over channels.
    gaps : numpy.ndarray, shape (n,)
        ``|sum(attributions) - (f_t(image) - f_t(baseline))|``. More steps usually give a
        smaller gap, but not at every doubling: a ReLU network's path integral is a sum
        of linear pieces, and the midpoint rule's error jumps as points cross kinks.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> attributions, gaps = interp.integrated_gradients(model, np.ones((1, 28, 28, 1)),
    ...                                                  target=0)
    >>> attributions.shape, gaps.shape
    ((1, 28, 28), (1,))

    """
    func = "integrated_gradients"
    runner, images, targets, batch_size = _setup(func, model, images, target, batch_size, output)
    steps = check_int(func, "steps", steps, minimum=1)
    n, shape = len(images), images.shape[1:]
    if baseline is None:
        base = np.zeros((1, *shape), dtype=np.float32)
    else:
        base = runner.images(np.asarray(baseline)[np.newaxis] if np.ndim(baseline) ==
                             len(shape) else baseline, name="baseline")
        if len(base) not in (1, n):
            raise ValueError(
                f"{func}: baseline must be one image shaped {shape} or one per image "
                f"{(n, *shape)}, got {describe(base)}"
            )
        base = np.asarray(base, dtype=np.float32)
        if not np.isfinite(base).all():
            raise ValueError(f"{func}: baseline must be finite, got NaN or inf values")

    def base_of(rows: np.ndarray) -> np.ndarray:
        return base[rows] if len(base) == n else np.broadcast_to(base[0], (len(rows), *shape))

    alphas = ((np.arange(steps) + 0.5) / steps).astype(np.float32)
    total = np.zeros((n, *shape), dtype=np.float32)  # sum of gradients along each path

    def path_batches():
        for first in range(0, n * steps, batch_size):
            items = np.arange(first, min(first + batch_size, n * steps))
            owner, step = np.divmod(items, steps)
            x = np.asarray(images[owner], dtype=np.float32)
            if not np.isfinite(x).all():
                raise ValueError(f"{func}: images must be finite, got NaN or inf values")
            b = base_of(owner)
            yield owner, b + alphas[step].reshape(-1, *([1] * len(shape))) * (x - b)

    for owner, path in ahead(path_batches()):
        _accumulate(total, owner, runner.gradient(path, targets[owner]))
    attributions = np.empty((n, *runner.maps(total[:0]).shape[1:]), dtype=np.float32)
    logits_change = np.empty(n, dtype=np.float64)
    rows = np.arange(n)
    for start in range(0, n, batch_size):
        chunk = rows[start:start + batch_size]
        x = np.asarray(images[chunk], dtype=np.float32)
        b = base_of(chunk)
        attributions[chunk] = runner.maps((x - b) * total[chunk] / steps)
        ends = runner.predict(np.concatenate([x, b]), batch_size=batch_size)
        logits_change[chunk] = (ends[np.arange(len(chunk)), targets[chunk]]
                                - ends[len(chunk) + np.arange(len(chunk)), targets[chunk]])
    sums = attributions.reshape(n, -1).sum(axis=1, dtype=np.float64)
    gaps = np.abs(sums - logits_change).astype(np.float32)
    return attributions, gaps


# Every method also takes an iterable of batches. The wrapper is applied here rather than
# with @streams above each definition because mutmut (``nox -s mutants``) leaves decorated
# functions unmutated; this way their bodies are mutation-tested too.
saliency = streams(saliency)
input_x_gradient = streams(input_x_gradient)
guided_backprop = streams(guided_backprop)
smoothgrad = streams(smoothgrad)
integrated_gradients = streams(integrated_gradients)
