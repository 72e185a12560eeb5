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

from ._field import Tracer
from ._model import (
    Runner,
    check_batch_size,
    conv_layers,
    is_stream,
    layer_path,
    pick,
    pick_conv2d,
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
    conv = pick_conv2d(func, runner.model, layer)
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


def _top_many(runner: Runner, convs: list, images: object, k: int, batch_size: int, *,
              quiet: bool = True, desc: str = "top-activating search") -> list[TopActivations]:
    """:func:`top_activating` for several layers in one streamed pass.

    The pass of :func:`interp.dissect` without quantiles (:class:`interp.dissection.engine.Pass`):
    *convs* are layers of ``runner.model`` (checked by the caller); *images* an array
    checked by ``runner.images``, an :class:`interp.images.ImageSet` or an iterable of
    batches. Every batch goes through the model once, to the deepest of the layers, and
    each layer keeps its running top *k*.
    """
    from .dissection.engine import Pass

    result = Pass(runner.func, runner, list(convs), images, k=k, levels=(), histogram=False,
                  statistics=False, batch_size=batch_size, name="images", quiet=quiet,
                  desc=desc).run()
    if result.images < k:
        raise ValueError(f"{runner.func}: k must be at most the number of images "
                         f"({result.images}), got {k}")
    return [TopActivations(t.top.indices, t.top.values, t.positions()) for t in result.tallies]


class ReceptiveField(NamedTuple):
    """Which input pixels one position of a layer's output sees.

    Output position ``(r, c)`` sees input rows ``offset[0] + r * stride[0]`` up to
    ``size[0]`` pixels further (and likewise for columns): the bounding box of the pixels
    it depends on. A negative offset, or a box reaching past the last row, means the field
    runs into zero padding. A stride of 0 means every position sees the same pixels (after
    global pooling, ``Flatten``, or a squeeze-and-excitation gate); that box is cut to the
    image, and ``((h, w), (0, 0), (0, 0))`` is the whole image.
    """

    size: tuple[int, int]
    stride: tuple[int, int]
    offset: tuple[int, int]


def receptive_field(model: keras.Model, layer: object) -> ReceptiveField:
    """Compute the receptive field of a layer's output, following the model's real graph.

    The field is followed from the input through every operation on the way to *layer*:

    - convolutions (``Conv2D``, ``DepthwiseConv2D``, ``SeparableConv2D``, dilated or
      strided) and pooling windows (``MaxPooling2D``, ``AveragePooling2D``) widen it;
      ``"same"`` padding is placed as the backends place it for the model's input size
      (``total // 2`` before the first row);
    - ``ZeroPadding2D`` and ``Cropping2D`` (and ``keras.ops.pad`` with zeros) move it;
    - element-wise layers keep it: activations, ``BatchNormalization`` and
      ``Normalization`` (fixed statistics at inference), ``Rescaling``, dropout and noise,
      ``LayerNormalization`` over the channels, and the augmentation layers that are the
      identity at inference (``RandomFlip``, ``RandomRotation``...);
    - where branches merge (``Add``, ``Subtract``, ``Multiply``, ``Average``,
      ``Maximum``, ``Minimum``, ``Concatenate`` on the channel axis, or the same
      ``keras.ops`` functions) the field is the bounding box of the branches' fields,
      which is exact when they move by the same stride;
    - layers that mix all positions (global pooling, ``Flatten``, then ``Dense``) give
      every output the same field: the whole image (stride 0).

    Nested models and Sequential models are followed the same way. Nothing is computed:
    the shapes come from the layers' output specs.

    Parameters
    ----------
    model : keras.Model
        A Sequential (built) or Functional model taking 2-D images, possibly with nested
        models; branches may split and join anywhere.
    layer : int, str, layer class or layer
        The layer, as :func:`interp.pick_layer` accepts it.

    Returns
    -------
    ReceptiveField
        ``size``, ``stride`` and ``offset`` per (row, column) axis. For the course
        network: 3 x 3 for ``conv1``, 5 x 5 for ``conv2``, the whole 28 x 28 image with
        stride 0 for ``dense``. For a model that takes images of any size (``None``),
        each ``"same"`` layer is taken to receive a length that is a multiple of its
        stride (e.g. 224 pixels for a ResNet), which places its padding as
        ``(kernel - stride) // 2`` before the first row.

    Raises
    ------
    ValueError
        If a layer on the way moves positions in a way this function does not model
        (``UpSampling2D``, ``Conv2DTranspose``, a ``Reshape`` of the rows and columns, a
        ``Lambda``...); if a ``Concatenate`` on the way joins along a spatial axis, or a
        merge joins branches whose fields move by different strides (no one box describes
        that); if every position of *layer* sees the whole of an image axis whose length
        the model leaves open (``None``); or if the model does not take 2-D images.
    TypeError
        For a subclassed model, whose layers cannot be reached.

    Notes
    -----
    Padding is counted as more positions of the map, so the box is what a position would
    see if the zeros that padding adds were pixels further out, cut to the image. Where
    those zeros stand for pixels outside the image, that is the exact bounding box of the
    pixels the position depends on: at every convolution of ResNet50, MobileNetV2 and
    EfficientNetB0, for example (the tests check it by differentiation). Where a branch
    pads or crops a map inside the network (a ``"valid"`` convolution padded back to
    size), or a dilated window steps over a map's first rows, a position at the border
    can see fewer pixels than its box, or none; never more.

    Examples
    --------
    >>> import keras
    >>> import interp
    >>> interp.receptive_field(interp.build_model(), "conv2")
    ReceptiveField(size=(5, 5), stride=(1, 1), offset=(0, 0))

    A residual block: the shortcut passes on the stem's 3 x 3 field, two 3 x 3
    convolutions on the stem's half-resolution map widen it to 11 x 11, and the sum sees
    the bounding box of both. After global pooling every output sees the whole image.

    >>> inputs = keras.Input((32, 32, 3))
    >>> stem = keras.layers.Conv2D(8, 3, 2, "same", name="stem")(inputs)
    >>> main = keras.layers.Conv2D(8, 3, padding="same")(stem)
    >>> main = keras.layers.Conv2D(8, 3, padding="same")(main)
    >>> joined = keras.layers.Add(name="join")([stem, main])
    >>> pooled = keras.layers.GlobalAveragePooling2D(name="pool")(joined)
    >>> model = keras.Model(inputs, pooled)
    >>> interp.receptive_field(model, "stem")
    ReceptiveField(size=(3, 3), stride=(2, 2), offset=(0, 0))
    >>> interp.receptive_field(model, "join")
    ReceptiveField(size=(11, 11), stride=(2, 2), offset=(-4, -4))
    >>> interp.receptive_field(model, "pool")
    ReceptiveField(size=(32, 32), stride=(0, 0), offset=(0, 0))

    """
    func = "receptive_field"
    runner = Runner(func, model, output=0, graph=True)  # any output: only layers matter
    target = pick(func, runner.model, layer)
    if len(runner.spec.map_shape) != 2:
        raise ValueError(
            f"{func}: model {runner.model.name!r} takes inputs shaped {runner.spec.batch()}, "
            "not 2-D images; receptive fields are followed over rows and columns"
        )
    field = Tracer(func, runner.model, runner.spec, target).field()
    if field is None:
        raise ValueError(f"{func}: the output of {target.name!r} does not depend on the "
                         "input image")
    for axis, (size, _, _) in zip(("rows", "columns"), field, strict=True):
        if size is None:
            raise ValueError(
                f"{func}: every position of {target.name!r} sees all the image's {axis}, "
                f"and model {runner.model.name!r} takes images of any size along them "
                f"({runner.spec.batch()}), so the field has no size; build the model for "
                "one image size to measure it"
            )
    return ReceptiveField(*(tuple(int(span[k]) for span in field) for k in range(3)))


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
        ``top.indices.shape + (size_h, size_w, c)``: the field's box around each top
        position, pixels outside the image (in the padding of a ``"same"`` layer) set to
        0. A field taller or wider than the image (deep layers, or stride 0) is cut to
        the image along that axis: the patch then holds the image's ``h`` rows in place,
        those outside the position's field set to 0, so a patch is never larger than an
        image.

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
    n_rows, n_cols = images.shape[1:3]
    spans = [_patch_span(field.size[0], field.stride[0], field.offset[0],
                         top.positions[..., 0], n_rows),
             _patch_span(field.size[1], field.stride[1], field.offset[1],
                         top.positions[..., 1], n_cols)]
    (height, rows), (width, cols) = spans
    out = np.zeros((*top.indices.shape, height, width, images.shape[-1]), dtype=images.dtype)
    for where in np.ndindex(top.indices.shape):
        (r0, r1, rp), (c0, c1, cp) = rows[where], cols[where]
        if r0 < r1 and c0 < c1:
            out[where][rp:rp + r1 - r0, cp:cp + c1 - c0] = images[top.indices[where], r0:r1, c0:c1]
    return out


def _patch_span(size: int, stride: int, offset: int, positions: np.ndarray,
                length: int) -> tuple[int, np.ndarray]:
    """Return the patch length along one axis, and ``(first, end, place)`` per position.

    The image pixels ``first:end`` are those the field sees; they go from ``place`` on in
    the patch.
    """
    starts = offset + np.asarray(positions, dtype=np.int64) * stride
    first = np.clip(starts, 0, length)
    end = np.clip(starts + size, 0, length)
    end = np.maximum(end, first)
    if size <= length:  # the patch is the field's box
        return size, np.stack([first, end, first - starts], axis=-1)
    return length, np.stack([first, end, first], axis=-1)  # the patch is the image's axis
