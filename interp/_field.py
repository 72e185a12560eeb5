"""Receptive fields through a model's real graph: the machinery of :func:`interp.receptive_field`.

A field is kept per image axis (rows, then columns) as a *span* ``(size, jump, start)``:
output position ``p`` along that axis sees the input pixels ``start + p * jump`` up to
``size`` pixels further. Every tensor the input reaches gets a field, in the order the
graph runs:

- a convolution or pooling window grows the size by ``(kernel - 1) * jump`` (dilated),
  multiplies the jump by its stride, and moves the start back by the padding that
  ``"same"`` places before the first row, as the backends place it (``total // 2``);
- ``ZeroPadding2D`` and ``Cropping2D`` move the start;
- element-wise layers (activations, batch normalization and ``Normalization`` at
  inference, ``Rescaling``, dropout...) keep the field;
- a merge (``Add``, ``Multiply``, ``Concatenate`` on the channel axis...) takes the
  bounding box of its inputs' fields, which is exact: the union of boxes that move
  together is the box from the first start to the last end;
- a layer that mixes positions (global pooling, ``Flatten``, a ``Dense`` on flattened
  features, a normalization over the spatial axes) makes the field *still*: jump 0, every
  output position sees the same pixels, the union over all positions, clipped to the image.

Nothing is computed: the shapes come from every operation's ``compute_output_spec`` on a
symbolic ``keras.KerasTensor``, which is the same on every backend and adds no node to the
user's layers. A step that cannot be followed is recorded, not raised, so that a layer
after the target that the field cannot pass does not matter.
"""

from __future__ import annotations

import dataclasses

import keras
import numpy as np

from ._model import InputSpec, forward, is_conv, is_graph

Span = tuple  # (size: int | None, jump: int, start: int); size None: all of an open axis
Field = tuple  # (rows span, columns span)

L = keras.layers
_IDENTITY: Field = ((1, 1, 0), (1, 1, 0))

# Layers that compute each position from that position alone, at inference. Batch
# normalization and Normalization use fixed statistics then, on whichever axis.
_ELEMENTWISE = tuple(getattr(L, name) for name in (
    "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "BatchNormalization", "Normalization",
    "Rescaling", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
    "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization", "Identity",
    "Masking",
    # augmentation layers: the identity at inference (checked in the tests)
    "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom", "RandomContrast",
    "RandomBrightness",
) if hasattr(L, name))
_MERGES = (L.Add, L.Subtract, L.Multiply, L.Average, L.Maximum, L.Minimum)
# keras.ops operations of a Functional graph that work element by element (broadcasting)
_ELEMENTWISE_OPS = frozenset((
    "Abs", "Absolute", "Add", "Subtract", "Multiply", "Divide", "TrueDivide", "DivideNoNan",
    "FloorDivide", "Maximum", "Minimum", "Fmax", "Fmin", "Mod", "Power", "Negative", "Exp",
    "Exp2", "Expm1", "Log", "Log1p", "Log2", "Log10", "Logaddexp", "Sqrt", "Square",
    "Reciprocal", "Sign", "Tanh", "Sin", "Cos", "Clip", "Where", "Floor", "Ceil", "Round",
    "NanToNum", "Copy", "Greater", "GreaterEqual", "Less", "LessEqual", "Equal", "NotEqual",
    "LogicalAnd", "LogicalOr", "LogicalNot", "Heaviside",
    "Relu", "Relu6", "Sigmoid", "Silu", "Gelu", "Elu", "Selu", "Celu", "LeakyRelu",
    "Softplus", "Softsign", "HardSigmoid", "HardSilu", "HardTanh", "LogSigmoid", "SparsePlus",
    "Squareplus", "TanhShrink", "HardShrink", "SoftShrink", "Threshold",
    "Erf", "Erfc", "Rsqrt", "Cast", "SaturateCast", "StopGradient", "ConvertToTensor",
))
_REDUCTIONS = frozenset(("Mean", "Sum", "Max", "Min", "Amax", "Amin", "Prod", "Std", "Var"))
_SOFTMAX_NAMES = frozenset(("softmax", "log_softmax"))


def _keras_op(op: object, names: frozenset) -> bool:
    """Whether *op* is one of the ``keras.ops`` operations named in *names*."""
    kind = type(op)
    return kind.__module__.startswith("keras.src.ops.") and kind.__name__ in names


@dataclasses.dataclass(frozen=True)
class Refused:
    """A field that cannot be followed, and the message that says why."""

    message: str


class _Cannot(Exception):
    """Raised inside one step; becomes a :class:`Refused` field."""

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason


class _ShapeError(Exception):
    def __init__(self, op: object, error: Exception) -> None:
        super().__init__(str(error))
        self.op, self.error = op, error


def _name(op: object) -> str:
    return getattr(op, "name", None) or type(op).__name__


def _operations(model: keras.Model, into: dict[int, object]) -> None:
    """Collect every operation of *model*, nested models' included, by id."""
    ops = model.layers if isinstance(model, keras.Sequential) else model.operations
    for op in ops:
        into[id(op)] = op
        if isinstance(op, keras.Model) and is_graph(op):
            _operations(op, into)


def _shape_only(op: object):
    def run(*args, **kwargs):
        try:
            return op.compute_output_spec(*args, **kwargs)
        except Exception as err:  # reported with the layer's name
            raise _ShapeError(op, err) from err
    return run


def _still(span: Span) -> bool:
    return span[1] == 0


def _clip(span: Span, length: int | None) -> Span:
    """Cut a still span to the image: the padding outside it holds no pixels."""
    size, _, start = span
    if size is None:
        return (None, 0, 0)
    if length is None:
        return (size, 0, start)
    low, high = max(start, 0), min(start + size, length)
    return (max(high - low, 0), 0, low)


class Tracer:
    """Follow the field of every tensor from a model's input to *target*."""

    def __init__(self, func: str, model: keras.Model, spec: InputSpec,
                 target: keras.layers.Layer) -> None:
        self.func = func
        self.model = model
        self.spec = spec
        self.target = target
        self.first = spec.data_format == "channels_first"
        # the image's length along rows and columns; None where the model leaves it open
        self.image = spec.map_shape if len(spec.map_shape) == 2 else (None, None)
        self.bare = spec.channel_axis is None  # (n, h, w) images without a channel axis
        self.fields: dict[int, Field | Refused | None] = {}
        self.keep: list[object] = []  # keep tensors alive so their ids stay unique

    # -- running the graph on shapes --
    def field(self) -> Field | None:
        """Return the target's field; ``None`` if its output does not depend on the input."""
        x = keras.KerasTensor((1, *self.spec.shape))
        self.keep.append(x)
        self.fields[id(x)] = _IDENTITY
        replace: dict[int, object] = {}
        _operations(self.model, replace)
        replace = {key: _shape_only(op) for key, op in replace.items()}
        found: dict[int, object] = {}
        try:
            forward(self.model, x, taps=[self.target], found=found, replace=replace,
                    observe=self.observe)
        except _ShapeError as err:  # pragma: no cover - Keras ran the same specs to build
            raise ValueError(
                f"{self.func}: cannot work out the shapes through {type(err.op).__name__} "
                f"{_name(err.op)!r} ({type(err.error).__name__}: {err.error})"
            ) from None
        if id(self.target) not in found:
            if any(layer is self.target for layer in self.model.layers):
                return _IDENTITY  # the model's own InputLayer: the image itself
            if isinstance(self.target, L.InputLayer):
                raise ValueError(
                    f"{self.func}: layer {self.target.name!r} is the input of a nested "
                    "model, which never runs on its own; ask for the layer that feeds "
                    "that model instead"
                )
            raise ValueError(  # pragma: no cover - defensive: every layer of a graph runs
                f"{self.func}: layer {self.target.name!r} is not on the way from the "
                "model's input to its output, so no image reaches it"
            )
        outputs = [t for t in keras.tree.flatten(found[id(self.target)])
                   if isinstance(t, keras.KerasTensor)]
        field = self.fields.get(id(outputs[0])) if outputs else None
        if isinstance(field, Refused):
            raise ValueError(field.message)
        return field

    def observe(self, op: object, args: tuple, out: object) -> None:
        inputs = [t for t in keras.tree.flatten(args) if isinstance(t, keras.KerasTensor)]
        outputs = [t for t in keras.tree.flatten(out) if isinstance(t, keras.KerasTensor)]
        self.keep.extend(inputs)
        self.keep.extend(outputs)
        fed = [(t, self.fields[id(t)]) for t in inputs if self.fields.get(id(t)) is not None]
        if not fed or not outputs:
            return
        refused = [f for _, f in fed if isinstance(f, Refused)]
        if refused:
            field = refused[0]
        else:
            try:
                field = self.step(op, fed, outputs[0])
            except _Cannot as err:
                field = Refused(self.refusal(op, err.reason))
        for tensor in outputs:
            self.fields[id(tensor)] = field

    def refusal(self, op: object, reason: str | None) -> str:
        message = (f"{self.func}: cannot follow the receptive field through "
                   f"{type(op).__name__} {_name(op)!r} on the way to {self.target.name!r}")
        if reason is None:
            reason = ("it moves or mixes positions in a way receptive_field does not model "
                      "(it follows convolutions, pooling, padding, cropping, merges, "
                      "element-wise layers and layers that mix all positions)")
        return f"{message}: {reason}"

    # -- which axes of a tensor are the image's rows and columns --
    def axes(self, tensor: object, data_format: str | None = None) -> tuple[int, int] | None:
        rank = len(tensor.shape)
        if rank == 4:
            first = self.first if data_format is None else data_format == "channels_first"
            return (2, 3) if first else (1, 2)
        if rank == 3 and self.bare:
            return (1, 2)
        return None

    def lengths(self, tensor: object, axes: tuple[int, int] | None) -> tuple:
        if axes is None:
            return (None, None)
        return tuple(None if tensor.shape[a] is None else int(tensor.shape[a]) for a in axes)

    # -- one operation --
    def step(self, op: object, fed: list, out: object) -> Field:
        fields = [f for _, f in fed]
        if all(_still(s) for f in fields for s in f):
            # every input position already sees the same pixels: so does every output
            return self.union(fed, out)
        if isinstance(op, (*_ELEMENTWISE, *_MERGES)) or _keras_op(op, _ELEMENTWISE_OPS):
            field = self.union(fed, out)
        elif isinstance(op, L.Concatenate) or _keras_op(op, frozenset(("Concatenate",))):
            axis = int(op.axis) % len(out.shape)
            if axis in (self.axes(out) or ()):
                raise _Cannot(
                    f"it joins its inputs along a spatial axis (axis {op.axis}), so the "
                    "positions on either side of the seam see different parts of the image; "
                    "receptive_field follows Concatenate on the channel axis only"
                )
            field = self.union(fed, out)
        elif len(fed) > 1:
            raise _Cannot()
        else:
            field = self.single(op, *fed[0], out)
        if _softmax_activation(op):  # a softmax mixes the last axis
            field = self.mix(field, out, {len(out.shape) - 1})
        return field

    def single(self, op: object, tensor: object, field: Field, out: object) -> Field:
        if (is_conv(op) and op.rank == 2) or isinstance(op, (
                L.DepthwiseConv2D, L.SeparableConv2D, L.MaxPooling2D, L.AveragePooling2D)):
            return self.window(op, tensor, field)
        if isinstance(op, (L.ZeroPadding2D, L.Cropping2D)):
            if isinstance(op, L.ZeroPadding2D):
                moves = [-before for before, _ in op.padding]
            else:
                moves = [before for before, _ in op.cropping]
            return tuple((size, jump, start + move * jump)
                         for (size, jump, start), move in zip(field, moves, strict=True))
        if _keras_op(op, frozenset(("Pad",))):
            return self.pad(op, tensor, field)
        if isinstance(op, (L.GlobalAveragePooling2D, L.GlobalMaxPooling2D)):
            return self.mix(field, tensor, set(self.axes(tensor, op.data_format) or ()))
        if isinstance(op, L.Flatten):
            return self.mix(field, tensor, set(range(1, len(tensor.shape))))
        if _keras_op(op, _REDUCTIONS):
            return self.reduce(op, tensor, field, out)
        if isinstance(op, L.Reshape) or _keras_op(op, frozenset(("Reshape", "ExpandDims",
                                                                  "Squeeze"))):
            return self.reshape(tensor, field, out)
        mixed = _mixed_axes(op, tensor)
        if mixed is not None:
            return self.mix(field, tensor, mixed)
        raise _Cannot()

    def window(self, op: object, tensor: object, field: Field) -> Field:
        """Follow a convolution or pooling window."""
        if isinstance(op, (L.MaxPooling2D, L.AveragePooling2D)):
            kernel, strides, dilation = op.pool_size, op.strides, (1, 1)
        else:
            kernel, strides, dilation = op.kernel_size, op.strides, op.dilation_rate
        axes = self.axes(tensor, op.data_format)
        lengths = self.lengths(tensor, axes)
        spans = []
        for i, (size, jump, start) in enumerate(field):
            effective = (kernel[i] - 1) * dilation[i] + 1
            if op.padding == "same":
                length = lengths[i]
                if length is None:  # an open axis: assumed a multiple of the stride
                    total = max(effective - strides[i], 0)
                else:
                    out = -(-length // strides[i])
                    total = max((out - 1) * strides[i] + effective - length, 0)
                start -= (total // 2) * jump
            if size is not None:
                size += (effective - 1) * jump
            spans.append((size, jump * strides[i], start))
        return tuple(spans)

    def pad(self, op: object, tensor: object, field: Field) -> Field:
        axes = self.axes(tensor)
        if axes is None:
            raise _Cannot()
        if op.mode != "constant":
            raise _Cannot(f"it pads in {op.mode!r} mode, which repeats pixels from inside "
                          "the image; receptive_field follows constant padding only")
        widths = np.broadcast_to(np.asarray(op.pad_width, dtype=np.int64),
                                 (len(tensor.shape), 2))
        return tuple((size, jump, start - int(widths[a][0]) * jump)
                     for (size, jump, start), a in zip(field, axes, strict=True))

    def reduce(self, op: object, tensor: object, field: Field, out: object) -> Field:
        rank = len(tensor.shape)
        axis = op.axis
        reduced = set(range(rank)) if axis is None else {
            int(a) % rank for a in (axis if isinstance(axis, (tuple, list)) else (axis,))}
        spatial = set(self.axes(tensor) or ())
        mixed = self.mix(field, tensor, reduced)
        if spatial and spatial <= reduced:
            return mixed  # every position pooled: still on both axes
        if getattr(op, "keepdims", False):
            return mixed
        raise _Cannot()

    def reshape(self, tensor: object, field: Field, out: object) -> Field:
        """Keep the field if the positions stay where they are (only channels regroup).

        A reshape to features without rows and columns is a ``Flatten``.
        """
        axes_in, axes_out = self.axes(tensor), self.axes(out)
        if axes_out is None and len(out.shape) <= 2:
            return self.mix(field, tensor, set(range(1, len(tensor.shape))))
        if axes_in is not None and axes_out is not None:
            same_grid = self.lengths(tensor, axes_in) == self.lengths(out, axes_out)
            trailing = axes_in == (1, 2) and axes_out == (1, 2)
            channels_in = _product(tensor.shape, axes_in)
            channels_out = _product(out.shape, axes_out)
            if same_grid and None not in self.lengths(tensor, axes_in) and (
                    trailing or channels_in == channels_out == 1):
                return field
        raise _Cannot("it moves positions to other places; receptive_field follows a "
                      "Reshape only when it keeps the rows and columns, or after every "
                      "position already sees the same pixels")

    # -- joining and mixing fields --
    def union(self, fed: list, out: object) -> Field:
        """Return the bounding box of the inputs' fields, each input broadcast to *out*."""
        axes_out = self.axes(out)
        lengths_out = self.lengths(out, axes_out)
        per_axis: list[list[Span]] = [[], []]
        for tensor, field in fed:
            axes = self.axes(tensor)
            lengths = self.lengths(tensor, axes)
            for i, span in enumerate(field):
                if not _still(span):
                    if axes is None:
                        raise _Cannot()
                    if lengths[i] == 1 and lengths_out[i] != 1:  # broadcast along axis i
                        span = _clip((span[0], 0, span[2]), self.image[i])
                per_axis[i].append(span)
        return tuple(self.join(spans, lengths_out[i], self.image[i])
                     for i, spans in enumerate(per_axis))

    def join(self, spans: list[Span], positions: int | None, length: int | None) -> Span:
        moving = sorted({jump for _, jump, _ in spans if jump})
        still = [span for span in spans if _still(span)]
        if len(moving) > 1:
            raise _Cannot(
                f"it joins branches whose fields move by different strides "
                f"({' and '.join(str(j) for j in moving)} pixels per output position), "
                "which no one box describes"
            )
        if not still:
            start = min(start for _, _, start in spans)
            end = max(start + size for size, _, start in spans)
            return (end - start, moving[0], start)
        if any(size is None for size, _, _ in still):
            box = (None, 0, 0)
        else:
            low = min(start for _, _, start in still)
            high = max(start + size for size, _, start in still)
            box = (high - low, 0, low)
        if not moving or box[0] is None or (length is not None and box == (length, 0, 0)):
            return box  # the still part already covers all the moving parts can see
        for size, jump, start in spans:
            if jump and (positions is None or length is None
                         or max(start, 0) < box[2]
                         or min(start + (positions - 1) * jump + size, length)
                         > box[2] + box[0]):
                raise _Cannot(
                    "it joins a branch whose positions all see the same pixels with one "
                    f"whose field moves by {jump} pixels per position and reaches beyond "
                    "them, which no one box describes"
                )
        return box

    def mix(self, field: Field, tensor: object, mixed: set[int]) -> Field:
        """Every output position sees every position of *tensor* along the *mixed* axes."""
        axes = self.axes(tensor)
        lengths = self.lengths(tensor, axes)
        spans = []
        for i, span in enumerate(field):
            size, jump, start = span
            if jump and (axes is None or axes[i] in mixed):
                if axes is None:
                    raise _Cannot()
                if lengths[i] is None or size is None:
                    span = (None, 0, 0)
                else:
                    span = _clip((size + (lengths[i] - 1) * jump, 0, start), self.image[i])
            spans.append(span)
        return tuple(spans)


def _product(shape: tuple, skip: tuple[int, int]) -> int | None:
    total = 1
    for axis, dim in enumerate(shape[1:], start=1):
        if axis in skip:
            continue
        if dim is None:
            return None
        total *= int(dim)
    return total


def _softmax_activation(op: object) -> bool:
    activation = getattr(op, "activation", None)
    if activation is None or not isinstance(op, keras.layers.Layer):
        return False
    name = getattr(activation, "__name__", None) or type(activation).__name__
    return str(name).lower() in _SOFTMAX_NAMES


def _mixed_axes(op: object, tensor: object) -> set[int] | None:
    """Return the axes of *tensor* that *op* mixes, for layers that mix a few axes only."""
    rank = len(tensor.shape)

    def normal(axis) -> set[int]:
        axes = axis if isinstance(axis, (tuple, list)) else (axis,)
        return {int(a) % rank for a in axes}

    if isinstance(op, L.Dense):
        return {rank - 1}
    if isinstance(op, (L.LayerNormalization, L.UnitNormalization, L.Softmax)):
        return normal(op.axis)
    if hasattr(L, "RMSNormalization") and isinstance(op, L.RMSNormalization):
        return normal(op.axis)
    if isinstance(op, L.GroupNormalization):
        return set(range(1, rank))  # statistics over every position of a channel group
    if _keras_op(op, frozenset(("Softmax", "LogSoftmax"))):
        return normal(op.axis)
    return None
