"""What the layers compute on real images: feature maps and top-activating images.

Both run the model forward in batches and collect the outputs of the requested layers in
one pass, on every Keras 3 model kind: a Sequential with or without ``Input`` (built), a
Functional model and a model nested in another. ``model.input`` (missing on a Sequential
built without ``Input``) and sub-models built from a nested layer's output (which belong
to another graph) are never used; the forward pass is walked layer by layer instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import keras
import numpy as np

from ._validate import as_real_array, check_index, check_int, describe
from .kernels import check_conv_layer
from .layers import check_model, conv_layers, pick_layer, walk_layers


def _input_shape(model: keras.Model) -> tuple[int | None, ...] | None:
    try:
        return tuple(model.inputs[0].shape[1:])
    except (AttributeError, IndexError, TypeError, ValueError):
        return None


def check_images(func: str, model: keras.Model, images: object) -> np.ndarray:
    """Return *images* as a float array shaped for *model*, or raise a clear error."""
    array = as_real_array(func, "images", images)
    expected = _input_shape(model)
    if array.ndim != 4:
        want = f"(n, {', '.join(str(d) for d in expected)})" if expected else "(n, h, w, c)"
        raise ValueError(f"{func}: images must be a batch shaped {want}, got {describe(array)}")
    if expected is not None and any(
        e is not None and e != g for e, g in zip(expected, array.shape[1:], strict=True)
    ):
        raise ValueError(
            f"{func}: images must be shaped (n, {', '.join(str(d) for d in expected)}) for "
            f"this model, got {describe(array)}"
        )
    return array.astype(np.float32, copy=False)


def _resolve_layers(func: str, model: keras.Model, layers: object) -> list[keras.layers.Layer]:
    if layers is None:
        found = conv_layers(model)
        if not found:
            raise ValueError(f"{func}: the model has no Conv2D layer; pass layers=...")
        return found
    if isinstance(layers, (str, int, type, keras.layers.Layer)) or not isinstance(
        layers, Iterable
    ):
        layers = [layers]
    picked = [pick_layer(model, which) for which in layers]
    if not picked:
        raise ValueError(f"{func}: layers must name at least one layer, got {describe(layers)}")
    return picked


def _contains(model: keras.Model, wanted: set[int]) -> bool:
    return any(id(layer) in wanted for layer in walk_layers(model))


def _forward(
    model: keras.Model,
    x,
    wanted: set[int],
    found: dict[int, object],
    *,
    stop_early: bool = True,
    hook=None,
):
    """Run *model* on *x*, storing the output of every layer whose id is in *wanted*.

    With *stop_early*, a Sequential stops as soon as everything wanted is found (a
    nested model always runs to its end, since the outer model goes on with its output).
    *hook*, if given, is called as ``hook(layer, output)`` for each wanted layer and
    returns the output to use from there on (gradient tapes watch tensors this way).
    """

    def run(op, *args, **kwargs):
        if isinstance(op, keras.Model) and _contains(op, wanted):
            out = _forward(op, args[0], wanted, found, stop_early=False, hook=hook)
        else:
            out = op(*args, **kwargs)
        if id(op) in wanted:
            if hook is not None:
                out = hook(op, out)
            found[id(op)] = out
        return out

    if isinstance(model, keras.Sequential):
        for layer in model.layers:
            x = run(layer, x)
            if stop_early and wanted and len(found) == len(wanted):
                break  # nothing further is needed
        return x
    if hasattr(model, "_run_through_graph"):  # Functional: walk its graph node by node
        return model._run_through_graph(x, operation_fn=lambda op: lambda *a, **k: run(op, *a, **k))
    raise TypeError(  # pragma: no cover - subclassed models have no graph to walk
        f"cannot walk a subclassed model of type {type(model).__name__}; "
        "use a Sequential or Functional model"
    )


def _outputs_fn(model, layers, image_shape):
    """Return a function: batch -> outputs of *layers*, compiled when the backend allows."""
    wanted = {id(layer) for layer in layers}

    def outputs(x):
        found: dict[int, object] = {}
        _forward(model, x, wanted, found)
        return [found[id(layer)] for layer in layers]

    if keras.backend.backend() != "tensorflow":  # pragma: no cover - the package needs TF
        return outputs
    import tensorflow as tf

    # One trace for every batch size: the batch axis is left open.
    signature = [tf.TensorSpec((None, *image_shape), tf.float32)]
    return tf.function(outputs, input_signature=signature)


def _batched_outputs(model, images, layers, batch_size):
    """Yield ``(start, [numpy output per layer])`` for consecutive batches."""
    outputs = _outputs_fn(model, layers, images.shape[1:])
    for start in range(0, len(images), batch_size):
        batch = keras.ops.convert_to_tensor(images[start:start + batch_size])
        yield start, [keras.ops.convert_to_numpy(out) for out in outputs(batch)]


def feature_maps(
    model: keras.Model,
    images: np.ndarray,
    layers: object = None,
    batch_size: int = 256,
) -> dict[str, np.ndarray]:
    """Return the outputs of several layers for a batch of images, from one forward pass.

    Parameters
    ----------
    model : keras.Model
        A Sequential (with or without ``Input``, built), Functional or nested model.
    images : array-like, shape (n, h, w, c)
        Input images, shaped as the model expects.
    layers : int, str, layer, or a sequence of them, optional
        Which layers, each as :func:`interp.pick_layer` accepts it (position, name, layer
        class or layer object). Default: every Conv2D layer, nested ones included.
    batch_size : int, default 256
        Images per forward pass; the result does not depend on it.

    Returns
    -------
    dict of str to numpy.ndarray
        ``{layer name: output}``, outputs shaped ``(n, ...)``, in the order requested.
        For a Conv2D layer this equals :func:`interp.layer_response` on that layer's input.

    Raises
    ------
    ValueError
        If *images* is not a batch of the shape the model takes, or a layer is unknown.
    IndexError
        If a layer position is out of range.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> maps = interp.feature_maps(model, np.zeros((4, 28, 28, 1)))
    >>> {name: m.shape for name, m in maps.items()}
    {'conv1': (4, 26, 26, 5), 'conv2': (4, 24, 24, 15)}

    """
    func = "feature_maps"
    check_model(func, model)
    images = check_images(func, model, images)
    batch_size = check_int(func, "batch_size", batch_size, minimum=1)
    picked = _resolve_layers(func, model, layers)
    chunks: list[list[np.ndarray]] = [[] for _ in picked]
    for _, outputs in _batched_outputs(model, images, picked, batch_size):
        for store, out in zip(chunks, outputs, strict=True):
            store.append(out)
    return {layer.name: np.concatenate(store) for layer, store in zip(picked, chunks, strict=True)}


class TopActivations(NamedTuple):
    """The images that drive each kernel hardest, from :func:`top_activating`.

    Attributes
    ----------
    indices : numpy.ndarray of int, shape (n_kernels, k) or (k,)
        Image indices, strongest first.
    values : numpy.ndarray of float, shape (n_kernels, k) or (k,)
        Each image's maximum activation of the kernel, descending.
    positions : numpy.ndarray of int, shape (n_kernels, k, 2) or (k, 2)
        The (row, col) of that maximum in the feature map.

    """

    indices: np.ndarray
    values: np.ndarray
    positions: np.ndarray


def top_activating(
    model: keras.Model,
    layer: object,
    images: np.ndarray,
    k: int = 9,
    kernel: int | None = None,
    batch_size: int = 1024,
) -> TopActivations:
    """Find, for each kernel of a conv layer, the k images with the highest activation.

    An image's score for a kernel is the maximum of that kernel's feature map over all
    positions. The images are streamed in batches, and only the running top k per kernel
    is kept, so memory does not grow with the number of images.

    Parameters
    ----------
    model : keras.Model
        Any model kind :func:`feature_maps` accepts.
    layer : int, str, layer class or layer
        A Conv2D layer of *model*, as :func:`interp.pick_layer` accepts it.
    images : array-like, shape (n, h, w, c)
        Candidate images, e.g. all 60,000 training images.
    k : int, default 9
        How many images per kernel; at most ``n``.
    kernel : int, optional
        Only this kernel; the leading ``n_kernels`` axis of the result is then dropped.
    batch_size : int, default 1024
        Images per forward pass.

    Returns
    -------
    TopActivations
        ``indices`` and ``values`` shaped ``(n_kernels, k)``, ``positions`` shaped
        ``(n_kernels, k, 2)``. Ties keep the lower image index first.

    Raises
    ------
    TypeError
        If the layer is not a convolution layer.
    ValueError
        If *k* exceeds the number of images or *images* has the wrong shape.
    IndexError
        If *kernel* is out of range.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> images = np.random.default_rng(0).random((20, 28, 28, 1))
    >>> top = interp.top_activating(model, "conv1", images, k=3)
    >>> top.indices.shape, top.values.shape, top.positions.shape
    ((5, 3), (5, 3), (5, 3, 2))

    """
    func = "top_activating"
    check_model(func, model)
    conv = check_conv_layer(func, pick_layer(model, layer))
    images = check_images(func, model, images)
    k = check_int(func, "k", k, minimum=1)
    if k > len(images):
        raise ValueError(f"{func}: k must be at most the number of images ({len(images)}), got {k}")
    batch_size = check_int(func, "batch_size", batch_size, minimum=1)
    n_kernels = conv.filters
    if kernel is not None:
        kernel = check_index(func, "kernel", kernel, n_kernels, "kernels")

    best_values = np.full((n_kernels, 0), -np.inf, dtype=np.float32)
    best_indices = np.zeros((n_kernels, 0), dtype=np.int64)
    best_flat = np.zeros((n_kernels, 0), dtype=np.int64)
    width = None
    for start, (maps,) in _batched_outputs(model, images, [conv], batch_size):
        n, h, w, _ = maps.shape
        width = w
        flat = maps.reshape(n, h * w, n_kernels)
        where = flat.argmax(axis=1)  # (n, n_kernels): first maximum, row-major
        peak = np.take_along_axis(flat, where[:, np.newaxis, :], axis=1)[:, 0, :]
        values = np.concatenate([best_values, peak.T], axis=1)
        indices = np.concatenate(
            [best_indices, np.broadcast_to(np.arange(start, start + n), (n_kernels, n))], axis=1
        )
        flats = np.concatenate([best_flat, where.T], axis=1)
        order = np.lexsort((indices, -values), axis=1)[:, :k]  # value desc, then index asc
        best_values = np.take_along_axis(values, order, axis=1)
        best_indices = np.take_along_axis(indices, order, axis=1)
        best_flat = np.take_along_axis(flats, order, axis=1)
    positions = np.stack([best_flat // width, best_flat % width], axis=-1)
    result = TopActivations(best_indices, best_values, positions)
    if kernel is not None:
        result = TopActivations(*(part[kernel] for part in result))
    return result


class ReceptiveField(NamedTuple):
    """Which input pixels one position of a layer's output sees.

    Output position ``(r, c)`` sees input rows ``offset[0] + r * stride[0]`` up to
    ``size[0]`` pixels further (and likewise for columns). A negative offset means the
    field starts in the zero padding.
    """

    size: tuple[int, int]
    stride: tuple[int, int]
    offset: tuple[int, int]


_SPATIAL_NEUTRAL = (
    keras.layers.Activation, keras.layers.ReLU, keras.layers.BatchNormalization,
    keras.layers.Dropout, keras.layers.LayerNormalization, keras.layers.InputLayer,
)


def receptive_field(model: keras.Model, layer: object) -> ReceptiveField:
    """Compute the receptive field of a layer's output in a chain of conv/pool layers.

    Parameters
    ----------
    model : keras.Model
        A model whose layers, up to *layer*, form a chain (each feeding the next).
    layer : int, str, layer class or layer
        The layer, as :func:`interp.pick_layer` accepts it.

    Returns
    -------
    ReceptiveField
        For the course network: 3 × 3 for ``conv1``, 5 × 5 for ``conv2``. With
        ``"same"`` padding the offset assumes stride 1 or an input size divisible by the
        stride (where TensorFlow pads symmetrically but for the odd pixel).

    Raises
    ------
    ValueError
        If a layer on the way changes the image in a way this function does not model
        (anything but Conv2D, pooling and layers that keep the spatial layout).

    Examples
    --------
    >>> import interp
    >>> interp.receptive_field(interp.build_model(), "conv2")
    ReceptiveField(size=(5, 5), stride=(1, 1), offset=(0, 0))

    """
    func = "receptive_field"
    target = pick_layer(model, layer)
    size, jump, start = [1, 1], [1, 1], [0, 0]
    for current in walk_layers(model):
        if isinstance(current, keras.Model):
            continue
        if isinstance(current, (keras.layers.Conv2D, keras.layers.MaxPooling2D,
                                keras.layers.AveragePooling2D)):
            if isinstance(current, keras.layers.Conv2D):
                kernel_size, strides = current.kernel_size, current.strides
                dilation = current.dilation_rate
            else:
                kernel_size, strides, dilation = current.pool_size, current.strides, (1, 1)
            for axis in (0, 1):
                effective = (kernel_size[axis] - 1) * dilation[axis] + 1
                if current.padding == "same":
                    start[axis] -= ((effective - 1) // 2) * jump[axis]
                size[axis] += (effective - 1) * jump[axis]
                jump[axis] *= strides[axis]
        elif not isinstance(current, _SPATIAL_NEUTRAL):
            raise ValueError(
                f"{func}: cannot follow the receptive field through {type(current).__name__} "
                f"layer {current.name!r} on the way to {target.name!r}"
            )
        if current is target:
            return ReceptiveField(tuple(size), tuple(jump), tuple(start))
    raise ValueError(f"{func}: layer {target.name!r} was not reached")  # pragma: no cover


def crop_patches(
    images: np.ndarray, top: TopActivations, field: ReceptiveField
) -> np.ndarray:
    """Cut out the input patch that each top activation's position sees.

    Parameters
    ----------
    images : array-like, shape (n, h, w, c)
        The images :func:`top_activating` was run on.
    top : TopActivations
        Its result, with or without the kernel axis.
    field : ReceptiveField
        From :func:`receptive_field` for the same layer.

    Returns
    -------
    numpy.ndarray
        ``top.indices.shape + (size_h, size_w, c)``; pixels outside the image (in the
        padding of a ``"same"`` layer) are 0.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> images = np.random.default_rng(0).random((10, 28, 28, 1))
    >>> top = interp.top_activating(model, "conv2", images, k=2)
    >>> interp.crop_patches(images, top, interp.receptive_field(model, "conv2")).shape
    (15, 2, 5, 5, 1)

    """
    images = np.asarray(images)
    (fh, fw), (sh, sw), (oh, ow) = field
    pad = max(fh, fw)
    padded = np.pad(images, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    rows = pad + oh + top.positions[..., 0] * sh
    cols = pad + ow + top.positions[..., 1] * sw
    out = np.empty((*top.indices.shape, fh, fw, images.shape[-1]), dtype=images.dtype)
    for where in np.ndindex(top.indices.shape):
        r, c = rows[where], cols[where]
        out[where] = padded[top.indices[where], r:r + fh, c:c + fw]
    return out
