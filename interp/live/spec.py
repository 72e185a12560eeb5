"""The model as the page runs it: its layer graph and weights, or why it cannot run.

:func:`model_spec` is the only Python code that reads a Keras model for the page: it
walks the layers in the order they run and writes, for each, what ``interp-live.js``
needs (its type, inputs, output shape, padding, activation and where its weights are in
one float32 buffer). :func:`check_live` says in one line why a model cannot run in the
page, and :func:`colormap` gives the page's colours.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._validate import describe

#: Largest input height and width the page runs (pixels); larger models are refused.
MAX_SIDE = 64
#: Largest number of weights the page carries (about 4 MB as float32).
MAX_WEIGHTS = 1_000_000
#: Version of the data format the JavaScript reads.
FORMAT = 1
_ACTIVATIONS = ("linear", "relu", "sigmoid", "tanh", "softmax")


class LiveError(ValueError):
    """The model cannot run in the page (the message names the layer or the shape)."""


# ---- the layer graph -----------------------------------------------------------------------

class _Weights:
    """Float32 arrays appended one after another; a layer refers to [offset, length]."""

    def __init__(self) -> None:
        self.parts: list[np.ndarray] = []
        self.size = 0

    def add(self, array: np.ndarray) -> list[int]:
        flat = np.ascontiguousarray(array, dtype="<f4").ravel()
        self.parts.append(flat)
        self.size += flat.size
        return [self.size - flat.size, int(flat.size)]

    def bytes(self) -> bytes:
        return b"".join(part.tobytes() for part in self.parts)


def _shape(tensor) -> list[int]:
    return [int(d) for d in tuple(tensor.shape)[1:]]


def _edges(func: str, model) -> list[tuple[object, list[str], list[int]]]:
    """Return ``(layer, input layer names, output shape)`` in the order they run."""
    import keras

    if isinstance(model, keras.Sequential):
        found = []
        previous = "input"
        for layer in model.layers:
            if isinstance(layer, keras.Model):
                raise LiveError(f"{func}: layer {layer.name!r} is a nested model; the page runs "
                                "models whose layers are all at the top level")
            found.append((layer, [previous], _shape(layer.output)))
            previous = layer.name
        return found
    found = []
    ops = list(model.operations)
    names = {id(op) for op in ops}
    for op in ops:
        if isinstance(op, keras.layers.InputLayer):
            continue
        if isinstance(op, keras.Model):
            raise LiveError(f"{func}: layer {op.name!r} is a nested model; the page runs "
                            "models whose layers are all at the top level")
        nodes = [node for node in op._inbound_nodes
                 if all(id(t._keras_history.operation) in names for t in node.input_tensors)]
        if len(nodes) != 1:
            raise LiveError(f"{func}: layer {op.name!r} is used {len(nodes)} times in the "
                            "model; the page runs each layer once")
        node = nodes[0]
        inputs = []
        for tensor in node.input_tensors:
            source = tensor._keras_history.operation
            inputs.append("input" if isinstance(source, keras.layers.InputLayer) else source.name)
        if len(node.output_tensors) != 1:
            raise LiveError(f"{func}: layer {op.name!r} has {len(node.output_tensors)} "
                            "outputs; the page runs layers with one")
        found.append((op, inputs, _shape(node.output_tensors[0])))
    return found


def _activation_name(func: str, layer, activation) -> str:
    import keras

    name = getattr(activation, "__name__", None) or str(activation)
    if activation is None or activation is keras.activations.linear:
        name = "linear"
    if name not in _ACTIVATIONS:
        raise LiveError(f"{func}: layer {layer.name!r} ({type(layer).__name__}) has the "
                        f"activation {name!r}; the page runs {', '.join(_ACTIVATIONS)}")
    return name


def _same_pad(size: int, kernel: int, stride: int, dilation: int) -> int:
    effective = (kernel - 1) * dilation + 1
    out = -(-size // stride)
    return max((out - 1) * stride + effective - size, 0) // 2


def _layer_spec(func: str, layer, inputs: list[str], in_shapes: list[list[int]],
                shape: list[int], weights: _Weights) -> dict:
    """Return what the JavaScript needs for one layer, or refuse it."""
    import keras

    L = keras.layers
    kind = type(layer).__name__
    spec: dict = {"name": layer.name, "inputs": inputs, "shape": shape}
    fmt = getattr(layer, "data_format", "channels_last")
    if fmt == "channels_first":
        raise LiveError(f"{func}: layer {layer.name!r} ({kind}) is channels_first; the page "
                        "runs channels_last models")
    if isinstance(layer, L.Conv2D) and not isinstance(layer, (L.Conv2DTranspose,
                                                             L.DepthwiseConv2D)):
        if getattr(layer, "groups", 1) != 1:
            raise LiveError(f"{func}: layer {layer.name!r} is a grouped Conv2D "
                            f"(groups={layer.groups}); the page runs ungrouped convolutions")
        kh, kw = layer.kernel_size
        sh, sw = layer.strides
        dh, dw = layer.dilation_rate
        h, w = in_shapes[0][:2]
        pad = [0, 0] if layer.padding == "valid" else [_same_pad(h, kh, sh, dh),
                                                       _same_pad(w, kw, sw, dw)]
        spec.update(type="conv2d", kernel_size=[kh, kw], strides=[sh, sw],
                    dilation=[dh, dw], pad=pad, padding=layer.padding,
                    activation=_activation_name(func, layer, layer.activation),
                    kernel=weights.add(keras.ops.convert_to_numpy(layer.kernel)),
                    bias=weights.add(keras.ops.convert_to_numpy(layer.bias))
                    if layer.use_bias else None)
        return spec
    if isinstance(layer, L.Dense):
        if len(in_shapes[0]) != 1:
            raise LiveError(f"{func}: layer {layer.name!r} (Dense) takes an input shaped "
                            f"{tuple(in_shapes[0])}; the page runs Dense on flat inputs "
                            "(add a Flatten before it)")
        spec.update(type="dense", activation=_activation_name(func, layer, layer.activation),
                    kernel=weights.add(keras.ops.convert_to_numpy(layer.kernel)),
                    bias=weights.add(keras.ops.convert_to_numpy(layer.bias))
                    if layer.use_bias else None)
        return spec
    if isinstance(layer, L.Flatten):
        spec.update(type="identity")
        return spec
    if isinstance(layer, (L.MaxPooling2D, L.AveragePooling2D)):
        ph, pw = layer.pool_size
        sh, sw = layer.strides
        h, w = in_shapes[0][:2]
        pad = [0, 0] if layer.padding == "valid" else [_same_pad(h, ph, sh, 1),
                                                       _same_pad(w, pw, sw, 1)]
        spec.update(type="pool2d", mode="max" if isinstance(layer, L.MaxPooling2D) else "avg",
                    pool=[ph, pw], strides=[sh, sw], pad=pad)
        return spec
    if isinstance(layer, (L.GlobalMaxPooling2D, L.GlobalAveragePooling2D)):
        spec.update(type="global_pool",
                    mode="max" if isinstance(layer, L.GlobalMaxPooling2D) else "avg")
        return spec
    if isinstance(layer, L.BatchNormalization):
        axis = layer.axis if isinstance(layer.axis, int) else layer.axis[0]
        if axis not in (-1, len(in_shapes[0])):
            raise LiveError(f"{func}: layer {layer.name!r} (BatchNormalization) normalizes "
                            f"axis {layer.axis}; the page runs it on the last axis")
        channels = in_shapes[0][-1]
        gamma = (keras.ops.convert_to_numpy(layer.gamma) if layer.scale
                 else np.ones(channels, np.float32))
        beta = (keras.ops.convert_to_numpy(layer.beta) if layer.center
                else np.zeros(channels, np.float32))
        mean = keras.ops.convert_to_numpy(layer.moving_mean).astype(np.float64)
        var = keras.ops.convert_to_numpy(layer.moving_variance).astype(np.float64)
        scale = gamma / np.sqrt(var + layer.epsilon)
        spec.update(type="affine", scale=weights.add(scale),
                    shift=weights.add(beta - mean * scale))
        return spec
    if isinstance(layer, L.Rescaling):
        channels = in_shapes[0][-1] if in_shapes[0] else 1
        scale = np.broadcast_to(np.asarray(layer.scale, np.float64), (channels,))
        offset = np.broadcast_to(np.asarray(layer.offset, np.float64), (channels,))
        spec.update(type="affine", scale=weights.add(scale), shift=weights.add(offset))
        return spec
    if isinstance(layer, L.Add):
        spec.update(type="add")
        return spec
    if isinstance(layer, L.Concatenate):
        if layer.axis not in (-1, len(shape)):
            raise LiveError(f"{func}: layer {layer.name!r} (Concatenate) joins along axis "
                            f"{layer.axis}; the page joins along the last axis")
        spec.update(type="concatenate")
        return spec
    if isinstance(layer, L.Activation):
        spec.update(type="identity",
                    activation=_activation_name(func, layer, layer.activation))
        return spec
    if isinstance(layer, L.Softmax):
        if layer.axis not in (-1, len(shape) - 1 + 1) and layer.axis != -1:
            raise LiveError(f"{func}: layer {layer.name!r} (Softmax) acts on axis "
                            f"{layer.axis}; the page runs it on the last axis")
        spec.update(type="identity", activation="softmax")
        return spec
    if isinstance(layer, L.ReLU):
        if layer.max_value is not None or float(layer.threshold) != 0.0:
            raise LiveError(f"{func}: layer {layer.name!r} (ReLU) has a max_value or a "
                            "threshold; the page runs plain and leaky ReLUs")
        slope = float(layer.negative_slope)
        spec.update(type="identity", activation="leaky_relu" if slope else "relu",
                    alpha=slope)
        return spec
    if isinstance(layer, L.LeakyReLU):
        spec.update(type="identity", activation="leaky_relu",
                    alpha=float(getattr(layer, "negative_slope", 0.3)))
        return spec
    if isinstance(layer, (L.Dropout, L.SpatialDropout2D, L.GaussianNoise, L.GaussianDropout,
                          L.ActivityRegularization, L.AlphaDropout)):
        spec.update(type="identity")
        return spec
    raise LiveError(f"{func}: layer {layer.name!r} is a {kind}, which the page cannot run; it "
                    "runs Conv2D, Dense, Flatten, pooling, BatchNormalization, Rescaling, Add, "
                    "Concatenate, activations and dropout")


def _head(func: str, model, layers: list[dict]) -> dict:
    """Which values are the logits, and how probabilities come from them (as interp does)."""
    last = layers[-1]
    units = last["shape"]
    if len(units) != 1:
        raise LiveError(f"{func}: the model's output is shaped {tuple(units)}; the page "
                        "explains a model that outputs one score per class")
    act = last.get("activation", "linear")
    if act in ("softmax", "sigmoid"):
        if last["type"] == "identity" and len(layers) > 1:  # a Softmax/Activation layer
            return {"layer": last["inputs"][0], "pre": False, "activation": act,
                    "classes": 2 if units[0] == 1 else units[0]}
        return {"layer": last["name"], "pre": True, "activation": act,
                "classes": 2 if units[0] == 1 else units[0]}
    if units[0] == 1:
        raise LiveError(f"{func}: the model ends in one unit without a sigmoid; the page "
                        "explains class scores")
    return {"layer": last["name"], "pre": False, "activation": None, "classes": units[0]}


def model_spec(model, *, scale: Sequence[float] = (0.0, 1.0),
               func: str = "export_live") -> tuple[dict, bytes]:
    """Return the layer graph the page runs and its weights, or raise :class:`~interp.LiveError`.

    Parameters
    ----------
    model : keras.Model
        A built Sequential or Functional model.
    scale : (low, high), default (0, 1)
        What the page's pixel values 0-1 become as the model's input, linearly (the
        ``scale`` the images were loaded with, ``interp.images.load_images``).
    func : str
        The name used in messages.

    Returns
    -------
    spec : dict
        The input, the layers in the order they run and the head.
    weights : bytes
        Every weight, little-endian float32, one array after another.

    Raises
    ------
    LiveError
        Naming the first layer, shape or activation the page cannot run.

    Examples
    --------
    >>> import interp
    >>> from interp.live import model_spec
    >>> spec, weights = model_spec(interp.build_model())
    >>> [(layer["name"], layer["shape"]) for layer in spec["layers"][1:]]
    [('conv1', [26, 26, 5]), ('conv2', [24, 24, 15]), ('flatten', [8640]), ('dense', [10])]
    >>> len(weights) // 4
    87150

    """
    from .._model import check_model, input_spec, is_graph

    model = check_model(func, model)
    spec = input_spec(func, model)
    if not is_graph(model):
        raise LiveError(f"{func}: model {model.name!r} is a subclassed model; the page needs "
                        "its layers (a Sequential or Functional model)")
    if len(model.outputs) != 1:
        raise LiveError(f"{func}: model {model.name!r} has {len(model.outputs)} outputs; the "
                        "page explains a model with one output of class scores")
    shape = list(spec.shape)
    if (len(shape) != 3 or spec.channel_axis != 2 or shape[2] not in (1, 3)
            or None in shape):
        raise LiveError(f"{func}: model {model.name!r} takes inputs shaped "
                        f"{spec.batch()}; the page runs models that take images of a fixed "
                        "size, (n, height, width, 1 or 3), channels last")
    if max(shape[:2]) > MAX_SIDE:
        raise LiveError(f"{func}: model {model.name!r} takes {shape[0]}x{shape[1]} images; "
                        f"the page runs inputs of at most {MAX_SIDE}x{MAX_SIDE} pixels")
    weights = _Weights()
    layers = [{"name": "input", "type": "input", "inputs": [], "shape": shape}]
    shapes = {"input": shape}
    for layer, inputs, out_shape in _edges(func, model):
        spec_ = _layer_spec(func, layer, inputs, [shapes[n] for n in inputs], out_shape,
                            weights)
        layers.append(spec_)
        shapes[layer.name] = out_shape
        if weights.size > MAX_WEIGHTS:
            raise LiveError(f"{func}: model {model.name!r} has more than "
                            f"{MAX_WEIGHTS:,} weights (at layer {layer.name!r}); the page "
                            f"carries at most {MAX_WEIGHTS:,}")
    low, high = (float(v) for v in scale)
    head = _head(func, model, layers)
    return ({"input": {"shape": shape, "scale": [low, high]}, "layers": layers,
             "head": head}, weights.bytes())


def check_live(model) -> str | None:
    """Return why *model* cannot run in the page, in one line, or ``None`` if it can.

    Parameters
    ----------
    model : keras.Model
        Any model; it is read, never changed.

    Returns
    -------
    str or None
        The :class:`~interp.LiveError` message :func:`model_spec` would raise, or ``None``.

    Examples
    --------
    >>> import interp
    >>> from interp.live import check_live
    >>> check_live(interp.build_model()) is None
    True

    """
    try:
        model_spec(model, func="the live view")
    except LiveError as err:
        return str(err)
    return None


# ---- the data ---------------------------------------------------------------------------------

def colormap() -> np.ndarray:
    """Return the page's diverging colours: matplotlib's ``RdBu_r``, 256 x 3 bytes.

    A value ``v`` on a scale ``m`` gets entry ``round((v / m + 1) / 2 * 255)``, clipped to
    0..255: blue negative, white zero, red positive, as the gallery's static figures.

    Returns
    -------
    numpy.ndarray of uint8, shape (256, 3)
        The RGB colours, negative end first.

    Examples
    --------
    >>> from interp.live import colormap
    >>> table = colormap()
    >>> table.shape, table.dtype.name
    ((256, 3), 'uint8')
    >>> table[0].tolist(), table[255].tolist()  # dark blue, dark red
    ([5, 48, 97], [103, 0, 31])

    """
    import matplotlib

    table = matplotlib.colormaps["RdBu_r"](np.linspace(0.0, 1.0, 256))[:, :3]
    return np.round(table * 255).astype(np.uint8)


def _pixels(func: str, name: str, array: np.ndarray, shape: list[int]) -> np.ndarray:
    """Return images in [0, 1] as 8-bit pixels shaped (n, h, w, c)."""
    h, w, c = shape
    try:
        array = np.asarray(array, dtype=np.float64)
    except (ValueError, TypeError):
        raise TypeError(f"{func}: {name} must be images shaped (n, {h}, {w}, {c}) with values "
                        f"in [0, 1], got {describe(array)}") from None
    if array.ndim == 3 and c == 1:
        array = array[..., np.newaxis]
    if array.ndim != 4 or tuple(array.shape[1:]) != (h, w, c):
        raise ValueError(f"{func}: {name} must be images shaped (n, {h}, {w}, {c}) or "
                         f"(n, {h}, {w}) with values in [0, 1], got {describe(array)}")
    if array.size and (not np.all(np.isfinite(array)) or array.min() < 0 or array.max() > 1):
        raise ValueError(f"{func}: {name} must hold pixel values in [0, 1], got values from "
                         f"{array.min():g} to {array.max():g}")
    return np.round(array * 255).astype(np.uint8)


def _size(shape: Sequence[int]) -> int:
    """Return the number of values in an array of *shape*."""
    return int(np.prod(shape, dtype=np.int64))
