"""Class activation maps: a convolution layer's maps weighted for the target class."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import keras
import numpy as np

from .._model import Runner
from ._common import _empty_maps, _setup, _two_spatial_axes, streams


def _conv_for_cam(func: str, runner: Runner, layer: object):
    from .._model import conv_layers, pick_conv2d

    if layer is None:
        convs = conv_layers(runner.model, rank=2)
        if not convs:
            raise ValueError(f"{func}: the model has no Conv2D layer to weight")
        return convs[-1]
    return pick_conv2d(func, runner.model, layer)


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
    return _gradient_cam("grad_cam", model, images, target, layer, output, batch_size,
                         _grad_cam_weighting)


def _grad_cam_weighting(acts: np.ndarray, grads: np.ndarray) -> np.ndarray:
    weights = grads.mean(axis=(1, 2), keepdims=True)
    return np.maximum((weights * acts).sum(axis=-1), 0.0)



def _resize(cams: np.ndarray, size: tuple[int, ...]) -> np.ndarray:
    """Resize ``(n, H, W)`` maps bilinearly (half-pixel centres) to *size*."""
    if cams.shape[1:] == tuple(size):
        return cams
    resized = keras.ops.image.resize(cams[..., None].astype(np.float32), size, "bilinear",
                                     data_format="channels_last")
    return keras.ops.convert_to_numpy(resized)[..., 0]


def _gradient_cam(func: str, model: object, images: object, target: object, layer: object,
                  output: object, batch_size: object, combine, *,
                  in_graph: bool = False) -> np.ndarray:
    """Return ``combine(activations, gradients)`` of a conv layer, resized to the images.

    *combine* takes a batch's layer outputs and the target logit's gradients with respect
    to them, both ``(n, H, W, channels)``, and returns ``(n, H, W)`` maps: in numpy, or,
    *in_graph*, in keras.ops, inside the gradient's compiled step (resized there too).
    """
    runner, images, targets, batch_size = _setup(
        func, model, images, target, batch_size, output, graph=True, in_pass=True)
    conv = _conv_for_cam(func, runner, layer)
    _two_spatial_axes(func, runner)
    first = conv.data_format == "channels_first"
    out = _empty_maps(runner, images)
    size = out.shape[1:]
    then = _InGraph(combine, tuple(size), first) if in_graph else None
    for start, x in runner.batches(images, batch_size):
        if then is not None:
            out[start:start + len(x)] = runner.gradient(
                x, targets[start:start + len(x)], layer=conv, then=then)
            continue
        acts, grads = runner.gradient(x, targets[start:start + len(x)], layer=conv)
        if first:
            acts, grads = np.moveaxis(acts, 1, -1), np.moveaxis(grads, 1, -1)
        out[start:start + len(x)] = _resize(combine(acts, grads), size)
    return out


@dataclasses.dataclass(frozen=True)
class _InGraph:
    """``combine``, then the bilinear resize, in keras.ops: :meth:`Runner.gradient`'s *then*.

    A frozen dataclass, so equal settings find the same compiled step.
    """

    combine: Callable
    size: tuple[int, ...]
    channels_first: bool

    def __call__(self, acts, grads):
        if self.channels_first:
            acts, grads = keras.ops.moveaxis(acts, 1, -1), keras.ops.moveaxis(grads, 1, -1)
        cams = self.combine(acts, grads)
        if tuple(cams.shape[1:]) == self.size:
            return cams
        resized = keras.ops.image.resize(keras.ops.expand_dims(cams, -1), self.size,
                                         "bilinear", data_format="channels_last")
        return resized[..., 0]


def grad_cam_plus_plus(
    model: keras.Model,
    images: np.ndarray,
    target: object = None,
    *,
    layer: object = None,
    output: object = None,
    batch_size: int = 256,
) -> np.ndarray:
    r"""Grad-CAM++ :cite:p:`chattopadhay2018`: Grad-CAM with each position's gradient weighted.

    .. math:: L^t = \mathrm{ReLU}\Big(\sum_k w^t_k A^k\Big), \qquad
       w^t_k = \sum_{i,j} \alpha^k_{ij}\, \mathrm{ReLU}(g^k_{ij}), \qquad
       \alpha^k_{ij} = \frac{(g^k_{ij})^2}
       {2 (g^k_{ij})^2 + \sum_{a,b} A^k_{ab}\, (g^k_{ij})^3}

    for the layer's maps :math:`A^k` and the target logit's gradients
    :math:`g^k_{ij} = \partial f_t / \partial A^k_{ij}` (the paper's closed form, which
    takes the score as the exponential of the logit). :math:`\alpha^k_{ij}` is 0 where its
    denominator is 0 (where the gradient is 0, in particular). The map is resized
    bilinearly to the input's height and width and not normalised (the plots normalise).

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

    Notes
    -----
    pytorch-grad-cam's ``GradCAMPlusPlus`` adds ``1e-6`` to the denominator of
    :math:`\alpha`; it matters where the gradients are small (below about ``1e-3``).

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> interp.grad_cam_plus_plus(model, np.ones((2, 28, 28, 1)), target=1).shape
    (2, 28, 28)

    """
    return _gradient_cam("grad_cam_plus_plus", model, images, target, layer, output,
                         batch_size, _grad_cam_plus_plus_weighting, in_graph=True)


def _grad_cam_plus_plus_weighting(acts, grads):
    """Grad-CAM++'s maps from ``(n, H, W, channels)`` maps and gradients, in keras.ops.

    ``alpha * ReLU(g)`` is ``g**2 g / (g**2 (2 + S g))`` for ``g > 0`` (``S`` the map's
    sum) and 0 elsewhere: computed as ``ReLU(g) / (2 + S g)``, the ``g**2`` cancelled (so
    it neither underflows nor overflows in float32), and 0 where ``2 + S g`` is 0.
    """
    totals = keras.ops.sum(acts, axis=(1, 2), keepdims=True)
    denominator = 2.0 + totals * grads
    zero = denominator == 0
    shares = keras.ops.where(zero, 0.0, keras.ops.relu(grads)
                             / keras.ops.where(zero, 1.0, denominator))
    weights = keras.ops.sum(shares, axis=(1, 2), keepdims=True)
    return keras.ops.relu(keras.ops.sum(weights * acts, axis=-1))


def layer_cam(
    model: keras.Model,
    images: np.ndarray,
    target: object = None,
    *,
    layer: object = None,
    output: object = None,
    batch_size: int = 256,
) -> np.ndarray:
    r"""LayerCAM :cite:p:`jiang2021`: each position of each map weighted by its own gradient.

    .. math:: L^t_{ij} = \mathrm{ReLU}\Big(\sum_k \mathrm{ReLU}(g^k_{ij})\, A^k_{ij}\Big),
       \qquad g^k_{ij} = \frac{\partial f_t}{\partial A^k_{ij}}

    for the layer's maps :math:`A^k` and the target logit :math:`f_t`. Grad-CAM averages
    each channel's gradients over the positions; LayerCAM keeps them where they are, so
    an early layer's finer maps keep their detail. The map is resized bilinearly to the
    input's height and width and not normalised (the plots normalise).

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
    >>> interp.layer_cam(model, np.ones((2, 28, 28, 1)), target=1, layer="conv1").shape
    (2, 28, 28)

    """
    return _gradient_cam("layer_cam", model, images, target, layer, output, batch_size,
                         _layer_cam_weighting, in_graph=True)


def _layer_cam_weighting(acts, grads):
    """LayerCAM's maps from ``(n, H, W, channels)`` maps and gradients, in keras.ops."""
    return keras.ops.relu(keras.ops.sum(keras.ops.relu(grads) * acts, axis=-1))


def score_cam(
    model: keras.Model,
    images: np.ndarray,
    target: object = None,
    *,
    layer: object = None,
    output: object = None,
    batch_size: int = 256,
) -> np.ndarray:
    r"""Score-CAM :cite:p:`wang2020`: each map weighted by the score of the image it masks.

    .. math:: L^t = \mathrm{ReLU}\Big(\sum_k w^t_k A^k\Big), \qquad
       w^t = \mathrm{softmax}_k\big(f_t(x \odot M^k)\big), \qquad
       M^k = \frac{U(A^k) - \min U(A^k)}{\max U(A^k) - \min U(A^k)}

    for the layer's maps :math:`A^k`, each resized bilinearly to the image
    (:math:`U`) and scaled to [0, 1] (a constant map gives an all-zero mask), and the
    target logit :math:`f_t` of the image multiplied by that mask in every channel. No
    gradient is taken: the model runs once per channel of the layer and image. The map
    is resized bilinearly to the input's height and width and not normalised (the plots
    normalise).

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
        Images per pass: the layer's maps are kept for that many images, and that many
        masked images go through the model at once.

    Returns
    -------
    numpy.ndarray, shape (n, h, w)
        Non-negative.

    Raises
    ------
    TypeError
        If *layer* is not a 2-D convolution layer, or the model is subclassed.

    Notes
    -----
    The weights are those of pytorch-grad-cam's ``ScoreCAM``: the softmax over channels
    of the target's logit (its output, for a model without a softmax), without the
    paper's baseline score, which the softmax cancels. pytorch-grad-cam resizes the maps
    with ``UpsamplingBilinear2d`` (corners aligned); interp, here as in :func:`grad_cam`,
    with half-pixel centres (``keras.ops.image.resize``), so the masks differ slightly.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> interp.score_cam(model, np.ones((1, 28, 28, 1)), target=1, layer="conv1").shape
    (1, 28, 28)

    """
    func = "score_cam"
    runner, images, targets, batch_size = _setup(func, model, images, target, batch_size, output,
                                                 graph=True)
    conv = _conv_for_cam(func, runner, layer)
    _two_spatial_axes(func, runner)
    spec = runner.spec
    out = _empty_maps(runner, images)
    size = out.shape[1:]
    logits = runner.scores_fn("logits")
    axis_h, axis_w = spec.spatial_axes
    mask_shape = [1] * (len(spec.shape) + 1)
    for start, x in runner.batches(images, batch_size):
        (acts,) = runner.layer_outputs_fn([conv])(x)
        acts = keras.ops.convert_to_numpy(acts)
        if conv.data_format == "channels_first":
            acts = np.moveaxis(acts, 1, -1)
        channels = acts.shape[-1]
        scores = np.empty(len(x) * channels, np.float64)
        for first in range(0, len(x) * channels, batch_size):
            items = np.arange(first, min(first + batch_size, len(x) * channels))
            owner, channel = np.divmod(items, channels)
            masks = _resize(acts[owner, :, :, channel], size).astype(np.float64)
            low = masks.min(axis=(1, 2), keepdims=True)
            spread = masks.max(axis=(1, 2), keepdims=True) - low
            masks = np.divide(masks - low, spread, out=np.zeros_like(masks), where=spread > 0)
            shape = [len(items), *mask_shape[1:]]
            shape[1 + axis_h], shape[1 + axis_w] = size
            masked = x[owner] * masks.reshape(shape).astype(np.float32)
            chosen = keras.ops.convert_to_numpy(logits(masked))
            scores[items] = chosen[np.arange(len(items)), targets[start + owner]]
        scores = scores.reshape(len(x), channels)
        weights = np.exp(scores - scores.max(axis=1, keepdims=True))
        weights /= weights.sum(axis=1, keepdims=True)
        cams = np.maximum((weights[:, None, None, :] * acts).sum(axis=-1), 0.0)
        out[start:start + len(x)] = _resize(cams, size)
    return out


# Every method also takes an iterable of batches. The wrapper is applied here rather than
# with @streams above each definition because mutmut (``nox -s mutants``) leaves decorated
# functions unmutated; this way their bodies are mutation-tested too.
grad_cam = streams(grad_cam)
grad_cam_plus_plus = streams(grad_cam_plus_plus)
layer_cam = streams(layer_cam)
score_cam = streams(score_cam)
