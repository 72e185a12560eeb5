"""Why this class: which pixels a prediction depends on.

Every method takes a batch of images shaped as the model expects and returns one map per
image: the image's shape without its channel axis, ``(n, h, w)`` for ``(n, h, w, c)`` or
``(n, c, h, w)`` inputs. They work on every Keras 3 model kind (a Sequential with or
without ``Input``, a Functional and a nested model, ``channels_last`` or
``channels_first``); gradient methods also on a built subclassed model. The arguments come
in one order everywhere: ``method(model, images, target=None, *, ...)``. ``target`` is the
class explained: ``None`` for each image's predicted class, one int for all images, or one
int per image. ``output`` picks one output of a multi-output model, by index or name.

Gradient methods differentiate the *logit* of the target class: when the model ends in a
softmax or sigmoid (an activation of the last layer, a ``Softmax``/``Activation`` layer or
a ``keras.ops`` call), the value before it is used, because the softmax couples all
classes and saturates (a confident prediction has almost no gradient). The model is never
changed to get there: interp runs its own copy of the last layer without the activation.
A model with one sigmoid unit has two classes: 1 (logit ``z``) and 0 (logit ``-z``).
Occlusion needs no gradient and measures the drop of the target's *probability*, the
softmax of the logits.

A model that computes in float16 or bfloat16 (``mixed_float16``, ``mixed_bfloat16``...)
is run as a float32 copy holding its weights, for every method here: float16 gradients
underflow to zero (below 6e-8) and lose three decimal digits above. The maps are those of
the float32 model; the user's model is not changed.

Memory is bounded by ``batch_size``: every costly axis (images, noisy samples, path
points, occluded copies) is streamed through the model in batches of that many inputs.
"""

from __future__ import annotations

import concurrent.futures
import functools
from collections.abc import Callable, Iterator
from typing import TypeVar

import keras
import numpy as np

from ._model import Runner, check_batch_size, is_conv, is_stream, stream_batches
from ._validate import check_int, check_number, describe

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


#: SmoothGrad draws the noise of this many copies of an image from one generator.
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
    output: object = None,
    batch_size: int = 256,
) -> np.ndarray:
    r"""Saliency averaged over noisy copies of each image :cite:p:`smilkov2017`.

    .. math:: \hat M(x) = \frac{1}{N} \sum_{i=1}^{N} \nabla_x f_t(x + \epsilon_i),
       \qquad \epsilon_i \sim \mathcal{N}(0, \sigma^2)

    with :math:`\sigma` = *noise* times the image's range (max - min).

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
    output : None, int or str, optional
        Which output of a multi-output model.
    batch_size : int, default 256
        Noisy images per pass; copies of several images share a pass.

    Returns
    -------
    numpy.ndarray, shape (n, ...)
        Summed over channels.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> interp.smoothgrad(model, np.zeros((1, 28, 28, 1)), target=0, samples=4).shape
    (1, 28, 28)

    """
    func = "smoothgrad"
    runner, images, targets, batch_size = _setup(func, model, images, target, batch_size, output)
    samples = check_int(func, "samples", samples, minimum=1)
    seed = check_int(func, "seed", seed, minimum=0)
    noise = check_number(func, "noise", noise, minimum=0.0)
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
    for owner, x in ahead(noisy_batches()):
        grads = runner.gradient(x, targets[owner])
        _accumulate(out, owner, runner.maps(grads) / samples)
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


def _conv_for_cam(func: str, runner: Runner, layer: object):
    from ._model import conv_layers, pick

    if layer is None:
        convs = conv_layers(runner.model, rank=2)
        if not convs:
            raise ValueError(f"{func}: the model has no Conv2D layer to weight")
        return convs[-1]
    conv = pick(func, runner.model, layer)
    if not is_conv(conv) or conv.rank != 2:
        given = (f"{type(conv).__name__} layer {conv.name!r}"
                 if isinstance(conv, keras.layers.Layer) else describe(conv))
        raise TypeError(
            f"{func}: layer must be a 2-D convolution layer (keras.layers.Conv2D or a "
            f"subclass), got {given}"
        )
    return conv


def grad_cam(
    model: keras.Model,
    images: np.ndarray,
    target: object = None,
    *,
    layer: object = None,
    output: object = None,
    batch_size: int = 256,
) -> np.ndarray:
    r"""Grad-CAM :cite:p:`selvaraju2017`: a conv layer's maps weighted by their gradients.

    .. math:: L^t = \mathrm{ReLU}\Big(\sum_k w^t_k A^k\Big), \qquad
       w^t_k = \frac{1}{HW} \sum_{i,j} \frac{\partial f_t}{\partial A^k_{ij}}

    for the layer's maps :math:`A^k` (``H x W`` each) and the target logit :math:`f_t`.
    The map is resized bilinearly to the input's height and width. Where every weighted
    sum is negative the map is all zeros: the layer's evidence speaks *against* the
    class everywhere (see the gallery's Grad-CAM page).

    Parameters
    ----------
    model : keras.Model
        A classifier with a graph (Sequential or Functional, nested models included),
        ``channels_last`` or ``channels_first``.
    images : array-like, shape (n, ...), or an iterable of such batches
        A batch shaped as the model expects, or batches of it (see :func:`saliency`).
    target : None, int or array of int, optional
        Class explained per image; default the predicted class.
    layer : int, str, layer class or layer, optional
        A Conv2D layer, as :func:`interp.pick_layer` accepts it; default the last one.
    output : None, int or str, optional
        Which output of a multi-output model.
    batch_size : int, default 256
        Images per pass; the layer's maps and gradients are kept for one batch at a time.

    Returns
    -------
    numpy.ndarray, shape (n, h, w)
        Non-negative.

    Raises
    ------
    TypeError
        If *layer* is not a 2-D convolution layer, or the model is subclassed.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> interp.grad_cam(model, np.zeros((2, 28, 28, 1)), target=1).shape
    (2, 28, 28)
    >>> interp.grad_cam(model, np.zeros((2, 28, 28, 1)), 1, layer="conv1").shape
    (2, 28, 28)

    """
    func = "grad_cam"
    runner, images, targets, batch_size = _setup(
        func, model, images, target, batch_size, output, graph=True, in_pass=True)
    conv = _conv_for_cam(func, runner, layer)
    if len(runner.spec.map_shape) != 2:
        raise ValueError(
            f"{func}: needs images with two spatial axes (height, width); this model takes "
            f"{runner.spec.batch()}"
        )
    first = conv.data_format == "channels_first"
    out = _empty_maps(runner, images)
    size = out.shape[1:]
    for start, x in runner.batches(images, batch_size):
        acts, grads = runner.gradient(x, targets[start:start + len(x)], layer=conv)
        if first:
            acts, grads = np.moveaxis(acts, 1, -1), np.moveaxis(grads, 1, -1)
        weights = grads.mean(axis=(1, 2), keepdims=True)
        cam = np.maximum((weights * acts).sum(axis=-1), 0.0)
        if cam.shape[1:] != size:
            resized = keras.ops.image.resize(cam[..., None], size, "bilinear",
                                             data_format="channels_last")
            cam = keras.ops.convert_to_numpy(resized)[..., 0]
        out[start:start + len(x)] = cam
    return out


def occlusion(
    model: keras.Model,
    images: np.ndarray,
    target: object = None,
    *,
    patch: int = 4,
    stride: int = 2,
    fill: float = 0.0,
    output: object = None,
    batch_size: int = 1024,
) -> np.ndarray:
    """Measure how much the target's probability drops when each part of the image is covered.

    A *patch* x *patch* square of value *fill* slides over the image in steps of
    *stride* :cite:p:`zeiler2014`; each pixel's score is the mean drop of the target's
    probability over the placements that cover it (pixels no placement covers get 0).

    Parameters
    ----------
    model : keras.Model
        A classifier; any model kind, with two spatial axes.
    images : array-like, shape (n, ...), or an iterable of such batches
        A batch shaped as the model expects, or batches of it (see :func:`saliency`).
    target : None, int or array of int, optional
        Class explained per image; default the predicted class.
    patch : int, default 4
        Side of the covering square, in pixels.
    stride : int, default 2
        Step between placements.
    fill : float, default 0.0
        The value of the covering square, in every channel (0 is the black background
        of Fashion-MNIST).
    output : None, int or str, optional
        Which output of a multi-output model.
    batch_size : int, default 1024
        Occluded images per forward pass; copies of several images share a pass, and no
        more than this many exist at once.

    Returns
    -------
    numpy.ndarray, shape (n, h, w)
        Positive where covering the pixel lowers the probability. The probability is the
        softmax of the model's logits (for a sigmoid head, the sigmoid), whether or not
        the model ends in a softmax.

    Raises
    ------
    ValueError
        If *patch* is larger than the image, *stride* < 1, or *fill* is not finite.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> interp.occlusion(model, np.zeros((1, 28, 28, 1)), target=0, patch=7, stride=7).shape
    (1, 28, 28)

    """
    func = "occlusion"
    runner, images, targets, batch_size = _setup(func, model, images, target, batch_size, output)
    patch = check_int(func, "patch", patch, minimum=1)
    stride = check_int(func, "stride", stride, minimum=1)
    fill = check_number(func, "fill", fill)
    spec = runner.spec
    if len(spec.map_shape) != 2:
        raise ValueError(
            f"{func}: needs images with two spatial axes (height, width); this model takes "
            f"{spec.batch()}"
        )
    out = _empty_maps(runner, images)
    h, w = out.shape[1:]
    if patch > min(h, w):
        raise ValueError(f"{func}: patch must be at most the image size {min(h, w)}, got {patch}")
    tops = np.arange(0, h - patch + 1, stride)
    lefts = np.arange(0, w - patch + 1, stride)
    corner_rows = np.repeat(tops, len(lefts))
    corner_cols = np.tile(lefts, len(tops))
    n_corners = len(corner_rows)
    counts = np.zeros((h, w), dtype=np.float32)
    for r, c in zip(corner_rows, corner_cols, strict=True):
        counts[r:r + patch, c:c + patch] += 1
    rows = np.arange(len(images))
    base = runner.predict(images, kind="probabilities", batch_size=batch_size)[rows, targets]
    probabilities = runner.scores_fn("probabilities")
    axis_h, axis_w = spec.spatial_axes
    grid_h, grid_w = np.arange(h), np.arange(w)

    def covered_batches():
        for first in range(0, len(images) * n_corners, batch_size):
            items = np.arange(first, min(first + batch_size, len(images) * n_corners))
            owner, corner = np.divmod(items, n_corners)
            x = np.asarray(images[owner], dtype=np.float32)
            if not np.isfinite(x).all():
                raise ValueError(f"{func}: images must be finite, got NaN or inf values")
            r0, c0 = corner_rows[corner], corner_cols[corner]
            in_rows = (grid_h >= r0[:, None]) & (grid_h < r0[:, None] + patch)
            in_cols = (grid_w >= c0[:, None]) & (grid_w < c0[:, None] + patch)
            covered = in_rows[:, :, None] & in_cols[:, None, :]  # (items, h, w)
            shape = [len(items)] + [1] * len(spec.shape)
            shape[1 + axis_h], shape[1 + axis_w] = h, w
            yield owner, covered, np.where(covered.reshape(shape), np.float32(fill), x)

    for owner, covered, x in ahead(covered_batches()):
        scores = keras.ops.convert_to_numpy(probabilities(x))
        drop = base[owner] - scores[np.arange(len(owner)), targets[owner]]
        _accumulate(out, owner, drop[:, None, None] * covered)
    return np.divide(out, counts, out=np.zeros_like(out), where=counts > 0)


# Every method also takes an iterable of batches. The wrapper is applied here rather than
# with @streams above each definition because mutmut (``nox -s mutants``) leaves decorated
# functions unmutated; this way their bodies are mutation-tested too.
saliency = streams(saliency)
input_x_gradient = streams(input_x_gradient)
guided_backprop = streams(guided_backprop)
smoothgrad = streams(smoothgrad)
integrated_gradients = streams(integrated_gradients)
grad_cam = streams(grad_cam)
occlusion = streams(occlusion)
