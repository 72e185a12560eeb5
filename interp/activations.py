"""What the layers compute on real images: feature maps and top-activating images.

Both run the model forward in batches and collect the outputs of the requested layers in
one pass, on every Keras 3 model kind: a Sequential with or without ``Input`` (built), a
Functional model and a model nested in another, ``channels_last`` or ``channels_first``.
Layers are named by their unique path (``"inner/conv"`` inside a nested model ``inner``).
"""

from __future__ import annotations

from typing import NamedTuple

import keras
import numpy as np

from ._model import (
    Runner,
    check_batch_size,
    conv_layers,
    forward,
    is_conv,
    is_stream,
    layer_path,
    pick,
    pick_many,
    stream_batches,
)
from ._validate import as_real_array, check_index, check_int, describe


def feature_maps(
    model: keras.Model,
    images: np.ndarray,
    layers: object = None,
    *,
    batch_size: int = 256,
) -> dict[str, np.ndarray]:
    """Return the outputs of several layers for a batch of images, from one forward pass.

    Parameters
    ----------
    model : keras.Model
        A Sequential (with or without ``Input``, built), Functional or nested model.
    images : array-like, shape (n, ...), or an iterable of such batches
        Input images, shaped as the model expects; or batches of them from a generator
        or a ``tf.data.Dataset`` (of images, or of ``(images, labels)``).
    layers : int, str, layer class, layer, or a list of them, optional
        Which layers, each as :func:`interp.pick_layer` accepts it (position, name or
        path, layer object); a layer class means every layer of that class. Default:
        every convolution layer, nested ones included.
    batch_size : int, default 256
        Images per forward pass; the result does not depend on it.

    Returns
    -------
    dict of str to numpy.ndarray
        ``{layer path: output}``, outputs shaped ``(n, ...)``, in the order requested.
        A layer's path is its name, or ``"outer/name"`` inside a nested model. For a
        Conv2D layer the output equals :func:`interp.layer_response` on that layer's input.

    Raises
    ------
    ValueError
        If *images* is not a batch of the shape the model takes, or a layer is unknown.
    IndexError
        If a layer position is out of range.
    TypeError
        For a subclassed model, whose layers cannot be reached.

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
    runner = Runner(func, model, graph=True)
    batch_size = check_batch_size(func, batch_size)
    if layers is None:
        picked = conv_layers(runner.model)
        if not picked:
            raise ValueError(f"{func}: the model has no convolution layer; pass layers=...")
    else:
        picked = pick_many(func, runner.model, layers)
    chunks: list[list[np.ndarray]] = [[] for _ in picked]
    for _, outputs in _layer_outputs(runner, images, picked, batch_size):
        for store, out in zip(chunks, outputs, strict=True):
            store.append(out)
    if not chunks[0]:
        raise ValueError(f"{func}: images must not be empty, got an iterable of no batches")
    return {layer_path(runner.model, layer): np.concatenate(store)
            for layer, store in zip(picked, chunks, strict=True)}


def _layer_outputs(runner: Runner, images: object, layers: list, batch_size: int):
    """Yield ``(start, outputs)`` for an array of images or an iterable of batches."""
    if not is_stream(images):
        yield from runner.layer_outputs(runner.images(images), layers, batch_size)
        return
    offset = 0
    for batch in stream_batches(runner.func, images):
        batch = runner.images(batch)
        for start, outputs in runner.layer_outputs(batch, layers, batch_size):
            yield offset + start, outputs
        offset += len(batch)


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


def _conv2d(func: str, model: keras.Model, layer: object) -> keras.layers.Layer:
    conv = pick(func, model, layer)
    if not is_conv(conv) or conv.rank != 2:
        given = (f"{type(conv).__name__} layer {conv.name!r}"
                 if isinstance(conv, keras.layers.Layer) else describe(conv))
        raise TypeError(
            f"{func}: layer must be a 2-D convolution layer (keras.layers.Conv2D or a "
            f"subclass), got {given}"
        )
    return conv


def top_activating(
    model: keras.Model,
    layer: object,
    images: np.ndarray,
    k: int = 9,
    *,
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
    images : array-like, shape (n, ...), or an iterable of such batches
        Candidate images, e.g. all 60,000 training images; or batches of them from a
        generator or a ``tf.data.Dataset``, read one at a time. Indices count images
        across the batches.
    k : int, default 9
        How many images per kernel; at most ``n``.
    kernel : int, optional
        Only this kernel (negative counts from the end); the leading ``n_kernels`` axis of
        the result is then dropped.
    batch_size : int, default 1024
        Images per forward pass.

    Returns
    -------
    TopActivations
        ``indices`` and ``values`` shaped ``(n_kernels, k)``, ``positions`` shaped
        ``(n_kernels, k, 2)`` as (row, col), whatever the layer's data format. Ties keep
        the lower image index first.

    Raises
    ------
    TypeError
        If the layer is not a 2-D convolution layer.
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
    runner = Runner(func, model, graph=True)
    conv = _conv2d(func, runner.model, layer)
    if not is_stream(images):
        images = runner.images(images)
    k = check_int(func, "k", k, minimum=1)
    if not is_stream(images) and k > len(images):
        raise ValueError(f"{func}: k must be at most the number of images ({len(images)}), got {k}")
    batch_size = check_batch_size(func, batch_size)
    n_kernels = conv.filters
    if kernel is not None:
        kernel = check_index(func, "kernel", kernel, n_kernels, "kernels")
    [result] = _top_many(runner, [conv], images, k, batch_size)
    if kernel is not None:
        result = TopActivations(*(part[kernel] for part in result))
    return result


class _RunningTop:
    """The running top *k* images of every kernel of one 2-D convolution layer."""

    def __init__(self, conv: keras.layers.Layer, k: int) -> None:
        self.k = k
        self.first = conv.data_format == "channels_first"
        n_kernels = conv.filters
        self.values = np.full((n_kernels, 0), -np.inf, dtype=np.float32)
        self.indices = np.zeros((n_kernels, 0), dtype=np.int64)
        self.flat = np.zeros((n_kernels, 0), dtype=np.int64)
        self.width = 1

    def add(self, start: int, maps: np.ndarray) -> None:
        """Merge the feature maps of images ``start, start + 1, ...`` into the top *k*."""
        if self.first:
            maps = np.moveaxis(maps, 1, -1)
        n, h, w, n_kernels = maps.shape
        self.width = w
        flat = maps.reshape(n, h * w, n_kernels)
        where = flat.argmax(axis=1)  # (n, n_kernels): first maximum, row-major
        peak = np.take_along_axis(flat, where[:, np.newaxis, :], axis=1)[:, 0, :]
        values = np.concatenate([self.values, peak.T], axis=1)
        indices = np.concatenate(
            [self.indices, np.broadcast_to(np.arange(start, start + n), (n_kernels, n))], axis=1
        )
        flats = np.concatenate([self.flat, where.T], axis=1)
        order = np.lexsort((indices, -values), axis=1)[:, :self.k]  # value desc, index asc
        self.values = np.take_along_axis(values, order, axis=1)
        self.indices = np.take_along_axis(indices, order, axis=1)
        self.flat = np.take_along_axis(flats, order, axis=1)

    def result(self) -> TopActivations:
        positions = np.stack([self.flat // self.width, self.flat % self.width], axis=-1)
        return TopActivations(self.indices, self.values, positions)


def _top_many(runner: Runner, convs: list, images: object, k: int,
             batch_size: int) -> list[TopActivations]:
    """:func:`top_activating` for several 2-D convolution layers in one streamed pass.

    *convs* are layers of ``runner.model`` (checked by the caller); *images* an array
    checked by ``runner.images`` or an iterable of batches. Every batch goes through the
    model once, to the deepest of the layers, and each layer keeps its running top *k*.
    """
    func = runner.func
    tops = [_RunningTop(conv, k) for conv in convs]
    seen = 0
    for start, outputs in _layer_outputs(runner, images, list(convs), batch_size):
        seen = start + len(outputs[0])
        for top, maps in zip(tops, outputs, strict=True):
            top.add(start, maps)
    if seen < k:
        raise ValueError(f"{func}: k must be at most the number of images ({seen}), got {k}")
    return [top.result() for top in tops]


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
    keras.layers.Activation, keras.layers.ReLU, keras.layers.LeakyReLU,
    keras.layers.BatchNormalization, keras.layers.Dropout, keras.layers.SpatialDropout2D,
    keras.layers.LayerNormalization, keras.layers.GaussianNoise, keras.layers.Rescaling,
)
_POOLING = (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)


def _trace_chain(func: str, runner: Runner, target: keras.layers.Layer) -> list[tuple]:
    """Run one image through the model, recording every operation's input tensors.

    Returns ``[(operation, input spatial size), ...]`` from the model input to *target*,
    or raises if that path is not a single chain (a branch joins on the way).
    """
    shape = (1, *(32 if d is None else d for d in runner.spec.shape))
    producer: dict[int, tuple[object, list]] = {}
    keep: list[object] = []  # keep tensors alive so their ids stay unique

    def observe(op, args, out):
        tensors = [a for a in keras.tree.flatten(args) if keras.ops.is_tensor(a)]
        keep.extend(tensors)
        keep.append(out)
        if any(out is t for t in tensors):
            return  # an identity step (e.g. Dropout at inference) passes the tensor on
        producer[id(out)] = (op, tensors)

    found: dict[int, object] = {}

    def trace(x):
        keep.append(x)
        forward(runner.model, x, taps=[target], found=found, observe=observe)
        return x

    if keras.backend.backend() == "tensorflow":
        # Only the shapes are needed: trace the graph without running it. TensorFlow's
        # CPU kernels cannot run a channels_first model everywhere (see _model._needs_xla).
        import tensorflow as tf

        tf.function(trace, autograph=False).get_concrete_function(
            tf.TensorSpec(shape, tf.float32))
    else:
        trace(keras.ops.zeros(shape))
    x = keep[0]
    current = found[id(target)]
    chain = []
    while id(current) in producer:
        op, inputs = producer[id(current)]
        fed = [t for t in inputs if _depends_on_input(t, producer, x)]
        if len(fed) > 1:
            name = getattr(op, "name", type(op).__name__)
            raise ValueError(
                f"{func}: the path to {target.name!r} is not a chain: {name!r} joins "
                f"{len(fed)} branches, and their receptive fields differ"
            )
        chain.append((op, fed[0] if fed else None))
        if not fed:
            break
        current = fed[0]
    return chain[::-1]


def _depends_on_input(tensor, producer, x) -> bool:
    seen = set()
    stack = [tensor]
    while stack:
        current = stack.pop()
        if current is x:
            return True
        if id(current) in seen or id(current) not in producer:
            continue
        seen.add(id(current))
        stack.extend(producer[id(current)][1])
    return False


def receptive_field(model: keras.Model, layer: object) -> ReceptiveField:
    """Compute the receptive field of a layer's output, following the model's real graph.

    Parameters
    ----------
    model : keras.Model
        A model in which the path from the input to *layer* is a chain of operations
        (branches elsewhere in the graph do not matter).
    layer : int, str, layer class or layer
        The layer, as :func:`interp.pick_layer` accepts it.

    Returns
    -------
    ReceptiveField
        For the course network: 3 x 3 for ``conv1``, 5 x 5 for ``conv2``. ``"same"``
        padding is placed as TensorFlow places it for the model's input size.

    Raises
    ------
    ValueError
        If the path to *layer* joins branches, or a layer on the way changes the image
        in a way this function does not model (anything but 2-D convolutions, pooling
        and layers that keep the spatial layout).

    Examples
    --------
    >>> import interp
    >>> interp.receptive_field(interp.build_model(), "conv2")
    ReceptiveField(size=(5, 5), stride=(1, 1), offset=(0, 0))

    """
    func = "receptive_field"
    runner = Runner(func, model, graph=True)
    target = pick(func, runner.model, layer)
    size, jump, start = [1, 1], [1, 1], [0, 0]
    for op, source in _trace_chain(func, runner, target):
        if isinstance(op, (*_SPATIAL_NEUTRAL, keras.layers.InputLayer)):
            continue
        if (is_conv(op) and op.rank == 2) or isinstance(op, (
                keras.layers.DepthwiseConv2D, keras.layers.SeparableConv2D, *_POOLING)):
            if isinstance(op, _POOLING):
                kernel_size, strides, dilation = op.pool_size, op.strides, (1, 1)
            else:
                kernel_size, strides, dilation = op.kernel_size, op.strides, op.dilation_rate
            axes = (2, 3) if op.data_format == "channels_first" else (1, 2)
            for axis in (0, 1):
                effective = (kernel_size[axis] - 1) * dilation[axis] + 1
                if op.padding == "same":
                    length = int(source.shape[axes[axis]])
                    out = -(-length // strides[axis])
                    total = max((out - 1) * strides[axis] + effective - length, 0)
                    start[axis] -= (total // 2) * jump[axis]
                size[axis] += (effective - 1) * jump[axis]
                jump[axis] *= strides[axis]
            continue
        name = getattr(op, "name", type(op).__name__)
        raise ValueError(
            f"{func}: cannot follow the receptive field through {type(op).__name__} "
            f"{name!r} on the way to {target.name!r}"
        )
    return ReceptiveField(tuple(size), tuple(jump), tuple(start))


def crop_patches(
    images: np.ndarray, top: TopActivations, field: ReceptiveField
) -> np.ndarray:
    """Cut out the input patch that each top activation's position sees.

    Parameters
    ----------
    images : array-like, shape (n, h, w, c)
        The images :func:`top_activating` was run on (channels last).
    top : TopActivations
        Its result, with or without the kernel axis.
    field : ReceptiveField
        From :func:`receptive_field` for the same layer.

    Returns
    -------
    numpy.ndarray
        ``top.indices.shape + (size_h, size_w, c)``; pixels outside the image (in the
        padding of a ``"same"`` layer) are 0.

    Raises
    ------
    ValueError
        If *top* names an image that *images* does not have, or *images* is not a batch
        of images.
    TypeError
        If *top* or *field* is of the wrong kind.

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
    func = "crop_patches"
    if not isinstance(top, TopActivations):
        raise TypeError(f"{func}: top must be the TopActivations that top_activating returns, "
                        f"got {describe(top)}")
    if not isinstance(field, ReceptiveField):
        raise TypeError(f"{func}: field must be the ReceptiveField that receptive_field "
                        f"returns, got {describe(field)}")
    images = as_real_array(func, "images", images)
    if images.ndim != 4:
        raise ValueError(f"{func}: images must be a batch shaped (n, h, w, c), "
                         f"got {describe(images)}")
    if top.indices.size and int(top.indices.max()) >= len(images):
        raise ValueError(
            f"{func}: top names image {int(top.indices.max())}, but images holds only "
            f"{len(images)}; pass the same images top_activating searched"
        )
    (fh, fw), (sh, sw), (oh, ow) = field
    pad = max(fh, fw)
    out = np.zeros((*top.indices.shape, fh, fw, images.shape[-1]), dtype=images.dtype)
    rows = pad + oh + top.positions[..., 0] * sh
    cols = pad + ow + top.positions[..., 1] * sw
    for where in np.ndindex(top.indices.shape):
        padded = np.pad(images[top.indices[where]], ((pad, pad), (pad, pad), (0, 0)))
        r, c = rows[where], cols[where]
        out[where] = padded[r:r + fh, c:c + fw]
    return out
