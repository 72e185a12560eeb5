"""The network, live: a Keras CNN exported to run in a web page, layer by layer.

:func:`export_live` writes a model's weights and layer graph, a few images to pick from and
suggestions of what to try into one self-contained piece of HTML. Its JavaScript
(``interp/live/interp-live.js``, shipped with the package) runs the forward pass and the
input gradient in the page, with no other script, no WebAssembly and nothing loaded from
anywhere, so the view works from ``file://``, offline and on any static host. The gallery
page "The network, live" and ``interp report`` both call this module: it is the only
Python code that knows the format the JavaScript reads.

What the page can run (anything else is refused with a :class:`LiveError` naming the layer):

- one image input of at most :data:`MAX_SIDE` x :data:`MAX_SIDE` pixels with 1 or 3
  channels, channels last;
- ``Conv2D`` (``valid`` or ``same`` padding, any strides and dilation, no groups),
  ``Dense`` on a flat input, ``Flatten``, ``MaxPooling2D``/``AveragePooling2D``,
  ``GlobalMaxPooling2D``/``GlobalAveragePooling2D``, ``BatchNormalization`` (as the
  per-channel scale and shift it computes at inference), ``Rescaling``, ``Add``,
  ``Concatenate`` (last axis), ``Activation``/``ReLU``/``LeakyReLU``/``Softmax`` and
  ``Dropout``-like layers (identities at inference);
- activations ``linear``, ``relu``, ``sigmoid``, ``tanh``, ``softmax``;
- Sequential and Functional models without nested models or shared layers.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import io
import json
import numbers
import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from ._validate import check_bool, check_labels, check_number, describe

#: Largest input height and width the page runs (pixels); larger models are refused.
MAX_SIDE = 64
#: Largest number of weights the page carries (about 4 MB as float32).
MAX_WEIGHTS = 1_000_000
#: Feature maps drawn per layer at most (all are computed).
MAX_CHANNELS = 16
#: Version of the data format the JavaScript reads.
FORMAT = 1
_ACTIVATIONS = ("linear", "relu", "sigmoid", "tanh", "softmax")


class LiveError(ValueError):
    """The model cannot run in the page (the message names the layer or the shape)."""


@dataclasses.dataclass
class LiveView:
    """The exported view: one piece of HTML that runs the model in the page.

    Attributes
    ----------
    html : str
        The view: a ``<div class="interp-live">`` with its style, its data (model, images,
        suggestions) and its script inline. Put it in any page; only one per page.
    data : dict
        What the JavaScript reads, before it is written as JSON.
    sizes : dict
        Bytes of the page the view adds: ``runtime`` (script and style), ``model`` (the
        weights and graph), ``images``, ``static`` (the ``<noscript>`` figure) and ``total``.
    checksums : dict
        sha256 of the script (``interp-live.js``) and of the weights as written.
    path : pathlib.Path or None
        The standalone page written by ``out_dir``, if any.

    """

    html: str
    data: dict
    sizes: dict
    checksums: dict
    path: Path | None = None

    def _repr_html_(self) -> str:
        return self.html

    def save(self, path: str | os.PathLike, title: str = "The network, live") -> Path:
        """Write a standalone page holding the view; return its path."""
        path = Path(path)
        path.write_text(standalone_page(self.html, title), encoding="utf-8")
        return path


def runtime_files() -> dict[str, str]:
    """Return the view's script and style, as shipped in ``interp/live/``."""
    folder = resources.files("interp") / "live"
    return {name: (folder / name).read_text(encoding="utf-8")
            for name in ("interp-live.js", "interp-live.css")}


def standalone_page(view_html: str, title: str) -> str:
    """Return an HTML page with *view_html* as its body."""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n</head>\n<body>\n<main>\n"
            f"<h1>{html.escape(title)}</h1>\n{view_html}\n</main>\n</body>\n</html>\n")


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
    """Return the layer graph the page runs and its weights, or raise :class:`LiveError`.

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
    from ._model import check_model, input_spec, is_graph

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
    """
    import matplotlib

    table = matplotlib.colormaps["RdBu_r"](np.linspace(0.0, 1.0, 256))[:, :3]
    return np.round(table * 255).astype(np.uint8)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


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


def _suggestion(func: str, i: int, item: object, shape: list[int], layers: dict,
                modes: dict) -> dict:
    """Return one suggestion as the JavaScript reads it, or raise naming what is wrong."""
    where = f"suggestions[{i}]"
    if isinstance(item, LiveSuggestion):
        item = item.as_dict()
    if not isinstance(item, dict) or not isinstance(item.get("text"), str) or "pixels" not in item:
        raise TypeError(f"{func}: {where} must be a dict with 'text' (str) and 'pixels' (an "
                        f"image in [0, 1]), got {describe(item)}")
    image = _pixels(func, f"{where}['pixels']", [item["pixels"]], shape)
    out = {"text": item["text"], "pixels": _b64(image.tobytes())}
    kernel = item.get("kernel")
    if kernel is not None:
        layer = layers.get(kernel.get("layer")) if isinstance(kernel, dict) else None
        if layer is None or layer["type"] != "conv2d":
            raise ValueError(f"{func}: {where}['kernel'] must be a dict whose 'layer' names "
                             f"a convolution layer, got {describe(kernel)}")
        count = _size(layer["kernel_size"]) * layers[layer["inputs"][0]]["shape"][-1]
        index, weights = kernel.get("index"), np.ravel(kernel.get("weights", []))
        if (not isinstance(index, numbers.Integral) or not 0 <= index < layer["shape"][-1]
                or weights.size != count or not np.issubdtype(weights.dtype, np.number)
                or not np.all(np.isfinite(weights))):
            raise ValueError(f"{func}: {where}['kernel'] must give an 'index' in "
                             f"0..{layer['shape'][-1] - 1} and {count} finite 'weights', got "
                             f"{describe(kernel)}")
        out["kernel"] = {"layer": kernel["layer"], "index": int(index),
                         "weights": [float(v) for v in weights]}
    for key in ("inspect", "watch"):
        if item.get(key) is not None:
            value = item[key]
            if not isinstance(value, dict) or not all(
                    isinstance(v, (str, numbers.Integral)) for v in value.values()):
                raise TypeError(f"{func}: {where}['{key}'] must be a dict of layer names and "
                                f"ints, got {describe(value)}")
            out[key] = {k: (v if isinstance(v, str) else int(v)) for k, v in value.items()}
    if item.get("modes"):
        chosen = item["modes"]
        if not isinstance(chosen, dict) or not all(
                name in modes and mode in ("before", "after") for name, mode in chosen.items()):
            raise ValueError(f"{func}: {where}['modes'] must map shown layers with an "
                             f"activation ({', '.join(modes) or 'none'}) to 'before' or "
                             f"'after', got {describe(chosen)}")
        out["modes"] = dict(chosen)
    if item.get("checks"):
        try:
            out["checks"] = json.loads(json.dumps(item["checks"], default=float))
        except (TypeError, ValueError):
            raise TypeError(f"{func}: {where}['checks'] must be a list of dicts of numbers and "
                            f"strings, got {describe(item['checks'])}") from None
    return out


def _size(shape: Sequence[int]) -> int:
    """Return the number of values in an array of *shape*."""
    return int(np.prod(shape, dtype=np.int64))


def export_live(
    model,
    images: np.ndarray | None = None,
    labels: Sequence[int] | None = None,
    class_names: Sequence[str] | None = None,
    out_dir: str | os.PathLike | None = None,
    *,
    names: Sequence[str] | None = None,
    suggestions: Sequence[dict | LiveSuggestion] = (),
    scale: Sequence[float] = (0.0, 1.0),
    shown: Sequence[str] | None = None,
    before: Sequence[str] | None = None,
    static: bool = True,
    title: str = "The network, live",
) -> LiveView:
    """Export *model* to run in a web page: every layer's maps, the prediction and its saliency.

    The view lets a reader pick one of *images*, draw on the input or open a PNG/JPEG
    (converted as ``interp.images.load_images`` converts it); it shows the outputs
    of the convolution layers and the class probabilities as the input changes, the
    saliency map of the predicted class (:func:`interp.saliency`, the gradient of its
    logit), the arithmetic of any map pixel (patch x kernel, sum, bias, activation), and
    an editor for the first layer's kernels. A switch on each layer with an activation of
    its own draws its maps before the activation (the convolution plus the bias) or after
    it (the layer's output), on one colour scale per layer, centred at 0. The page's API,
    ``window.interpLive``, is described on the gallery page "The network, live".

    Parameters
    ----------
    model : keras.Model
        A built Sequential or Functional model of the layers the page runs (see
        ``interp.live``); it is read, never changed.
    images : array-like, shape (n, h, w) or (n, h, w, c), optional
        Images to pick from, pixel values in [0, 1] (8-bit in the page).
    labels : sequence of int, optional
        The true class of each image, for its name in the page.
    class_names : sequence of str, optional
        One name per class; default ``"class 0"``, ``"class 1"``, ...
    out_dir : path-like, optional
        If given, a standalone page ``index.html`` holding the view is written there.
    names : sequence of str, optional
        One name per image (default: its class name and number).
    suggestions : sequence of dict or LiveSuggestion
        What to try, each one click in the page (:func:`live_suggestions` measures the
        course's): ``{"text": str, "pixels": image in [0, 1]}``, and optionally
        ``"kernel": {"layer", "index", "weights"}`` (an edited kernel, weights in row,
        column, channel order), ``"inspect": {"layer", "row", "col", "channel"}``,
        ``"watch": {"layer", "channel"}`` (a map outlined), ``"modes": {layer: "before" or
        "after"}`` (the maps' switch) and ``"checks"`` (claims a test can verify, carried
        as they are).
    scale : (low, high), default (0, 1)
        What pixel values 0-1 become as the model's input.
    shown : sequence of str, optional
        The layers whose maps are drawn; default every Conv2D layer.
    before : sequence of str, optional
        The shown layers whose maps are first drawn before their activation (the reader
        can switch each); default the first shown layer with an activation of its own,
        as pages 05-08 show the first layer: the convolution plus the bias.
    static : bool, default True
        Put a static figure of the first image (its maps, probabilities and saliency,
        computed with Keras) in a ``<noscript>`` element, for readers without JavaScript.
    title : str
        The standalone page's title.

    Returns
    -------
    LiveView
        The HTML (``_repr_html_`` shows it in a notebook), its data, sizes and checksums.

    Raises
    ------
    LiveError
        If the page cannot run the model, naming the layer or shape (see
        ``interp.live.check_live``).
    ValueError, TypeError
        For any other argument of the wrong shape, kind or value, naming it.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> view = interp.export_live(model, np.zeros((2, 28, 28)), static=False)
    >>> view.html.startswith('<div class="interp-live"')
    True
    >>> sorted(view.sizes)
    ['images', 'model', 'runtime', 'static', 'total']

    """
    return _export(model, images, labels, class_names, out_dir, names=names,
                   suggestions=suggestions, scale=scale, shown=shown, before=before,
                   static=static, title=title, func="export_live")


def _layer_names(func: str, name: str, value: object) -> list[str] | None:
    """Return None, or *value* (a layer name or a list of them) as a list of names."""
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    raise TypeError(f"{func}: {name} must be a layer name or a list of them, got "
                    f"{describe(value)}")


def _export(model, images, labels, class_names, out_dir, *, names, suggestions, scale,
            shown, before, static, title, func) -> LiveView:
    """Do :func:`export_live`'s work, naming *func* in every message."""
    if (isinstance(scale, (str, bytes)) or not isinstance(scale, (Sequence, np.ndarray))
            or len(scale) != 2):
        raise TypeError(f"{func}: scale must be a pair (low, high), got {describe(scale)}")
    scale = [check_number(func, "scale", v) for v in scale]
    if out_dir is not None and (not isinstance(out_dir, (str, os.PathLike))
                                or not str(out_dir)):
        raise TypeError(f"{func}: out_dir must be a folder path or None, got "
                        f"{describe(out_dir)}")
    if not isinstance(title, str):
        raise TypeError(f"{func}: title must be a string, got {describe(title)}")
    static = check_bool(func, "static", static)
    shown, before = _layer_names(func, "shown", shown), _layer_names(func, "before", before)
    if not isinstance(suggestions, (list, tuple)):
        raise TypeError(f"{func}: suggestions must be a list of dicts or LiveSuggestion, "
                        f"got {describe(suggestions)}")
    spec, weight_bytes = model_spec(model, scale=scale, func=func)
    shape = spec["input"]["shape"]
    layers = {layer["name"]: layer for layer in spec["layers"]}
    n_classes = spec["head"]["classes"]
    if class_names is None:
        class_names = [f"class {i}" for i in range(n_classes)]
    class_names = check_labels(func, "class_names", class_names)
    if len(class_names) != n_classes:
        raise ValueError(f"{func}: class_names must give one name per class ({n_classes}), "
                         f"got {len(class_names)}")
    picks = []
    pixels = None
    if images is not None:
        pixels = _pixels(func, "images", images, shape)
        if labels is not None:
            found = np.ravel(np.asarray(labels, dtype=object))
            if (len(found) != len(pixels) or not all(
                    isinstance(v, numbers.Integral) and not isinstance(v, bool)
                    and 0 <= v < n_classes for v in found)):
                raise ValueError(f"{func}: labels must give one class in 0..{n_classes - 1} "
                                 f"per image ({len(pixels)}), got {describe(labels)}")
            labels = [int(v) for v in found]
        if names is not None:
            names = check_labels(func, "names", [str(n) for n in names]
                                 if isinstance(names, np.ndarray) else names)
            if len(names) != len(pixels):
                raise ValueError(f"{func}: names must give one name per image "
                                 f"({len(pixels)}), got {len(names)}")
        for i, image in enumerate(pixels):
            name = (names[i] if names is not None
                    else f"{class_names[labels[i]]} #{i}" if labels is not None
                    else f"image #{i}")
            picks.append({"name": name, "label": None if labels is None else labels[i],
                          "pixels": _b64(image.tobytes())})
    if shown is None:
        shown = [layer["name"] for layer in spec["layers"] if layer["type"] == "conv2d"]
    for name in shown:
        if name not in layers or len(layers[name]["shape"]) != 3:
            raise ValueError(f"{func}: shown must name layers with 2-D maps, got {name!r}")
    switchable = [name for name in shown if layers[name].get("activation", "linear")
                  != "linear" and layers[name]["type"] == "conv2d"]
    if before is None:
        before = switchable[:1]
    before = [before] if isinstance(before, str) else list(before)
    for name in before:
        if name not in switchable:
            raise ValueError(f"{func}: before must name shown layers with an activation of "
                             f"their own ({', '.join(switchable) or 'none'}), got {name!r}")
    modes = {name: "before" if name in before else "after" for name in switchable}
    tried = [_suggestion(func, i, item, shape, layers, modes)
             for i, item in enumerate(suggestions)]
    data = {"format": FORMAT, "name": model.name, "model": spec, "classes": class_names,
            "weights": _b64(weight_bytes), "colormap": _b64(colormap().tobytes()),
            "picks": picks, "shown": list(shown), "max_channels": MAX_CHANNELS,
            "modes": modes, "suggestions": tried}
    runtime = runtime_files()
    checksums = {"interp-live.js": hashlib.sha256(runtime["interp-live.js"].encode()).hexdigest(),
                 "weights": hashlib.sha256(weight_bytes).hexdigest()}
    noscript = _static_figure(model, pixels[:1] / 255.0, spec, class_names, shown, modes) \
        if static and pixels is not None and len(pixels) else ""
    # <, > and & as JSON escapes: no user text (a file named "<!--<script>") can end the
    # script element or change how the HTML parser reads it
    text = (json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")
            .replace(">", "\\u003e").replace("&", "\\u0026"))
    view_html = (
        f'<div class="interp-live" data-format="{FORMAT}" '
        f'data-runtime-sha256="{checksums["interp-live.js"]}" '
        f'data-weights-sha256="{checksums["weights"]}">\n'
        f'<style>\n{runtime["interp-live.css"]}</style>\n'
        f'<noscript>{noscript}</noscript>\n'
        f'<script type="application/json" class="interp-live-data">{text}</script>\n'
        f'<script>\n{runtime["interp-live.js"]}</script>\n</div>')
    images_bytes = sum(len(p["pixels"]) for p in picks) + sum(len(s["pixels"]) for s in tried)
    model_bytes = len(data["weights"]) + len(json.dumps(spec, separators=(",", ":")))
    runtime_bytes = len(runtime["interp-live.js"].encode()) + len(
        runtime["interp-live.css"].encode())
    sizes = {"runtime": runtime_bytes, "model": model_bytes, "images": images_bytes,
             "static": len(noscript), "total": len(view_html.encode())}
    view = LiveView(view_html, data, sizes, checksums)
    if out_dir is not None:
        folder = Path(out_dir)
        folder.mkdir(parents=True, exist_ok=True)
        view.path = view.save(folder / "index.html", title)
    return view


def _static_figure(model, image: np.ndarray, spec: dict, class_names: list[str],
                   shown: Sequence[str], modes: dict) -> str:
    """Return a PNG of what the view first shows for the first image, as an ``<img>``.

    The input, the saliency of the predicted class and the probabilities; then each shown
    layer's maps in rows of eight, before or after its activation as the view first draws
    them (*modes*), on one colour scale per layer with its colorbar.
    """
    import matplotlib.pyplot as plt

    from .activations import feature_maps
    from .attribution import saliency
    from .convolution import convolve
    from .kernels import get_kernels

    low, high = spec["input"]["scale"]
    x = (low + (high - low) * image).astype(np.float32)
    maps = feature_maps(model, x, list(shown))
    layers = {item["name"]: item for item in spec["layers"]}
    words = {}
    for name in shown:
        act = layers[name].get("activation", "linear")
        act = "the ReLU" if act == "relu" else act
        words[name] = f"{name}, after {act}" if modes.get(name) == "after" else name
        if modes.get(name) != "before":
            continue
        source = layers[name]["inputs"][0]
        inputs = x if source == "input" else feature_maps(model, x, [source])[source]
        layer = model.get_layer(name)
        kernels, bias = get_kernels(layer)
        maps[name] = convolve(inputs, kernels, padding=layer.padding, strides=layer.strides,
                              dilation=layer.dilation_rate) + bias
        words[name] = f"{name}, before {act} (convolution + bias)"
    sal = saliency(model, x)[0]
    probabilities = _probabilities(model, x)
    cols = 8
    counts = [min(MAX_CHANNELS, maps[name].shape[-1]) for name in shown]
    grid_rows = [-(-count // cols) for count in counts]
    fig = plt.figure(figsize=(7.6, 2.6 + 1.3 * sum(grid_rows)), layout="constrained")
    fig.suptitle("What the live view shows for the first image", fontsize=10)
    parts = fig.subfigures(1 + len(shown), 1, height_ratios=[2.0, *(1.3 * r for r in grid_rows)])
    parts = np.atleast_1d(parts)
    top = parts[0].subplots(1, 3, width_ratios=[1, 1.25, 2.4])
    shown_image = image[0] if image.shape[-1] == 3 else image[0, :, :, 0]
    top[0].imshow(shown_image, cmap=None if shown_image.ndim == 3 else "gray", vmin=0, vmax=1)
    top[0].set_title("input", fontsize=8)
    largest = float(np.abs(sal).max()) or 1.0
    best = int(np.argmax(probabilities))
    drawn = top[1].imshow(sal, cmap="RdBu_r", vmin=-largest, vmax=largest)
    top[1].set_title(f"saliency of\n{class_names[best]}", fontsize=8)
    bar = parts[0].colorbar(drawn, ax=top[1], shrink=0.8)
    bar.ax.tick_params(labelsize=7)
    for ax in top[:2]:
        ax.set_axis_off()
    top[2].barh(np.arange(len(class_names)), probabilities, color="#0072B2")
    top[2].set_yticks(np.arange(len(class_names)), class_names, fontsize=7)
    top[2].invert_yaxis()
    top[2].set_xlim(0, 1)
    top[2].tick_params(axis="x", labelsize=7)
    top[2].set_title("probabilities", fontsize=8)
    for part, name, count, rows in zip(parts[1:], shown, counts, grid_rows, strict=True):
        values = maps[name][0]
        m = float(np.abs(values[..., :count]).max()) or 1.0
        axes = np.atleast_1d(part.subplots(rows, cols)).ravel()
        for k, ax in enumerate(axes):
            ax.set_axis_off()
            if k < count:
                drawn = ax.imshow(values[:, :, k], cmap="RdBu_r", vmin=-m, vmax=m)
                ax.set_title(f"{name} · {k}", fontsize=7)
        part.suptitle(words[name], fontsize=8)
        bar = part.colorbar(drawn, ax=axes, shrink=0.8, aspect=12)
        bar.ax.tick_params(labelsize=7)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96)
    plt.close(fig)
    return (f'<p>This view runs the network in the page with JavaScript, which is off. The '
            f'figure shows what it first shows for the first image: the maps of '
            f'{", ".join(words[name] for name in shown)}, each layer on one colour scale '
            f'(blue negative, white 0, red positive); the class probabilities and the '
            f'saliency of the predicted class.</p><img class="il-static" alt="Feature maps, '
            f'probabilities and saliency of the first image" '
            f'src="data:image/png;base64,{_b64(buffer.getvalue())}">')


def _probabilities(model, x: np.ndarray) -> np.ndarray:
    from ._model import Runner

    return Runner("export_live", model).predict(x, kind="probabilities")[0]


def report_view(model, images, class_names: Sequence[str], labels=None,
                max_images: int = 30) -> dict:
    """Return the live view for ``interp report``: ``{"html": ..., "reason": ...}``.

    *images* is the report's :class:`interp.images.ImageSet`; its first *max_images* are
    the picks, named as the report names them. ``html`` is empty and ``reason`` says in
    one line why when the page cannot run the model or show the images.
    """
    reason = check_live(model)
    if reason is not None:
        return {"html": "", "reason": reason.removeprefix("the live view: ")}
    n = min(len(images), max_images)
    x = np.asarray(images[0:n], dtype=np.float64)  # the model's input, channels last
    target = images.scaling.target
    low, high = (0.0, 1.0) if target is None else (float(target[0]), float(target[1]))
    pixels = (x - low) / (high - low)
    if pixels.size and (pixels.min() < -1e-6 or pixels.max() > 1 + 1e-6):
        found = f"values from {float(x.min()):g} to {float(x.max()):g}"
        if target is None:  # a float array used as it is: the page draws pixel values 0-1
            return {"html": "", "reason": f"the images are used as they are, with {found}; "
                                          "the page draws pixel values 0-1 (give --scale to "
                                          "say what 0-255 become)"}
        return {"html": "", "reason": f"the images, scaled, hold {found}, outside "
                                      f"{low:g}-{high:g}, the range the page draws from "
                                      "black to white"}
    pixels = np.clip(pixels, 0.0, 1.0)
    scale = (low, high)
    view = _export(model, pixels, None if labels is None else np.asarray(labels)[:n],
                   list(class_names), None, names=[str(name) for name in images.names[:n]],
                   suggestions=(), scale=scale, shown=None, before=None, static=False,
                   title="The network, live", func="interp report")
    return {"html": view.html, "reason": ""}


# ---- what to try: the course page's suggestions, measured --------------------------------------

@dataclasses.dataclass
class LiveSuggestion:
    """One thing to try in the live view: a sentence, the state it loads, and its evidence.

    Made by :func:`live_suggestions`; :func:`export_live` takes a list of them (or of
    dicts with the same keys) as ``suggestions``.

    Attributes
    ----------
    text : str
        The sentence on the suggestion's button. Each number in it was measured in Python
        and is the ``says`` of one of *checks*.
    pixels : numpy.ndarray
        The input the suggestion loads, shaped ``(h, w)``, values in [0, 1].
    checks : list of dict
        Claims a test can verify in the page after the suggestion is clicked (see
        :func:`live_suggestions`, Notes).
    numbers : dict of str to float
        The measured numbers behind *text*, by name.
    evidence : list of str
        How they were measured, as lines to print (at most 80 characters each).
    kernel : dict or None
        An edited kernel, ``{"layer", "index", "weights"}`` (weights row-major).
    inspect : dict or None
        The map pixel shown in the arithmetic panel, ``{"layer", "row", "col", "channel"}``.
    watch : dict or None
        The map outlined in the view, ``{"layer", "channel"}``.
    modes : dict of str to str
        The maps to switch to ``"before"`` or ``"after"`` their layer's activation.

    """

    text: str
    pixels: np.ndarray
    checks: list[dict]
    numbers: dict[str, float]
    evidence: list[str]
    kernel: dict | None = None
    inspect: dict | None = None
    watch: dict | None = None
    modes: dict = dataclasses.field(default_factory=dict)

    def as_dict(self) -> dict:
        """Return the keys :func:`export_live` reads, as a dict."""
        return {key: getattr(self, key) for key in ("text", "pixels", "checks", "kernel",
                                                    "inspect", "watch", "modes")}


def _side_box(mask: np.ndarray, offset: tuple[int, int]) -> tuple[list[int], list[int]]:
    """Return the rows and columns ``[start, stop)`` of a rectangular mask, minus *offset*."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    box = np.zeros_like(mask)
    box[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1] = True
    if not np.array_equal(box, mask):  # pragma: no cover - a bar's sides are rectangles
        raise AssertionError("live_suggestions: a side of the bar is not a rectangle")
    return ([int(rows[0]) - offset[0], int(rows[-1]) + 1 - offset[0]],
            [int(cols[0]) - offset[1], int(cols[-1]) + 1 - offset[1]])


def _brush_stroke(shape: tuple[int, int], x: float, top: float, bottom: float,
                  brush: float) -> np.ndarray:
    """Paint a vertical stroke as the view's brush does.

    1 within brush/2 of the line, fading over half a pixel, in steps of 1/255.
    """
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]] + 0.5
    dy = np.maximum(np.maximum(top - yy, yy - bottom), 0.0)
    distance = np.hypot(xx - x, dy)
    return np.round(np.clip(brush / 2 + 0.5 - distance, 0.0, 1.0) * 255) / 255


def live_suggestions(model, images, labels, *, layer: str = "conv1") -> list[LiveSuggestion]:
    """Measure six things to try in the live view of a Fashion-MNIST network, each one true.

    The suggestions of the gallery page "The network, live", measured on *model* with
    Keras. Each carries the numbers its sentence states and machine-checkable claims
    (*checks*), which the site's browser test verifies in the page:

    1. **A vertical bar** (white, 4 pixels wide, on black): the kernel of *layer* that
       treats the bar's two edges most clearly with opposite signs, before the ReLU
       (the convolution plus the bias), by the rule of :func:`outline_response` (pages 05
       and 06): a side is the bar's outermost column and the column just outside it; it
       is *emphasized* when its mean is at least +10% of the map's largest absolute
       value, *suppressed* at -10%. The same verdicts are tried on bars 2 to 8 pixels
       wide and on strokes of every brush size the view offers.
    2. **A sneaker without its sole**: the first sneaker's lowest object rows (brighter
       than 0.05) erased one row at a time until another class gains 10 percentage
       points (at most ten rows).
    3. **A kernel set to zero**: the kernel of *layer* whose zeroing changes the most
       predictions among *images* (on a copy of the model), and the first image that
       changes.
    4. **Black and white swapped**: what the network calls the first t-shirt inverted.
    5. **The arithmetic of one pixel**: the first sneaker's most negative pixel before
       the ReLU on the bar's kernel map (its brightest one if none is negative).
    6. **Where the saliency is strongest**: the first trouser's pixel with the largest
       absolute :func:`saliency` of its predicted class.

    Parameters
    ----------
    model : keras.Model
        A model the view runs (see :func:`export_live`) that takes grayscale images and
        gives the 10 scores of :data:`interp.CLASS_NAMES`; it is read, never changed.
    images : array-like, shape (n, h, w) or (n, h, w, 1)
        The images the view offers to pick, values in [0, 1]; among them at least one
        sneaker, one t-shirt/top and one trouser.
    labels : array-like of int, shape (n,)
        Their classes, indices into :data:`interp.CLASS_NAMES`.
    layer : str, default "conv1"
        The convolution layer the suggestions are about: it reads the input image
        directly and applies a ReLU.

    Returns
    -------
    list of LiveSuggestion
        Six suggestions, in the order above.

    Raises
    ------
    ValueError
        If *images* or *labels* have the wrong shape or values, a class is missing, the
        model's output is not 10 scores, or *layer* is not a convolution with a ReLU that
        reads the image.
    LiveError
        If the view cannot run *model* (naming the layer or shape).

    Notes
    -----
    Every check is a dict with a ``"kind"``; ``"says"``, when present, is the part of the
    sentence the check verifies, and each number in it must equal the measured quantity
    to the digits shown. ``"pick": i`` means the check is made on image *i* of *images*
    rather than on the suggestion's own state; ``"trained": True`` with the trained
    kernels rather than the suggestion's edited one. The kinds and their quantities:

    - ``region``: ``stat`` (``"mean"`` or ``"ptp"``, the range) of map ``channel`` of
      ``layer`` over rows ``[r0, r1)`` and columns ``[c0, c1)``, in the view's
      coordinates; ``values`` is ``"before"`` or ``"after"`` the activation. Compared
      by ``op`` (``">"``, ``"<"``, ``"<="``) to ``value``, and/or to ``says``.
    - ``probability``: the probability of ``class``, in percent when ``says`` has a ``%``.
    - ``predicted``: the predicted class must be ``class``.
    - ``inspect``: ``inspect(layer, row, col, channel)[field]`` (``sum``, ``bias``,
      ``before`` or ``value``).
    - ``inspected``: ``[channel, row, col]``; the arithmetic panel shows that pixel.
    - ``extreme``: pixel ``[row, col]`` holds the ``which`` (``"min"`` or ``"max"``) of
      the map, ``values`` before or after the activation.
    - ``blank_rows``: ``[r1 - r0, r0, r1 - 1]``; rows ``[r0, r1)`` of the input are 0 where
      pick ``source`` had its lowest object rows.
    - ``saliency_peak``: ``[row, col]`` of the largest absolute saliency, of sign ``sign``.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.trained_model(verbose=False)
    >>> _, (x_test, y_test) = interp.load_fashion_mnist()
    >>> picks = np.array([interp.images_of(y_test, name)[0] for name in interp.CLASS_NAMES])
    >>> tries = interp.live_suggestions(model, x_test[picks], y_test[picks])
    >>> tries[0].text.startswith("Draw a vertical bar")
    True
    >>> sorted({check["kind"] for check in tries[0].checks})
    ['region']

    """
    import keras

    from ._model import Runner
    from .attribution import saliency
    from .convolution import convolve
    from .data import CLASS_NAMES
    from .kernels import get_kernels
    from .measure import border_masks, outline_response

    func = "live_suggestions"
    if not isinstance(layer, str):
        raise TypeError(f"{func}: layer must be the name of a Conv2D layer, got "
                        f"{describe(layer)}")
    spec, _ = model_spec(model, func=func)
    h, w, c = spec["input"]["shape"]
    if c != 1 or h < 12 or w < 12:
        raise ValueError(f"{func}: model must take grayscale images of at least 12x12 "
                         f"pixels, got inputs shaped {(h, w, c)}")
    if spec["head"]["classes"] != len(CLASS_NAMES):
        raise ValueError(f"{func}: model must give the {len(CLASS_NAMES)} scores of "
                         f"interp.CLASS_NAMES, got {spec['head']['classes']}")
    found = {item["name"]: item for item in spec["layers"]}
    conv_spec = found.get(layer)
    if (conv_spec is None or conv_spec["type"] != "conv2d" or conv_spec["inputs"] != ["input"]
            or conv_spec["activation"] != "relu" or conv_spec["padding"] != "valid"
            or conv_spec["strides"] != [1, 1] or conv_spec["dilation"] != [1, 1]
            or not all(size % 2 for size in conv_spec["kernel_size"])):
        raise ValueError(f"{func}: layer must name a Conv2D layer that reads the input image "
                         "(valid padding, strides 1, no dilation, odd kernel sizes) and applies "
                         f"a ReLU, got {describe(layer)}")
    pixels = _pixels(func, "images", images, [h, w, 1])[..., 0] / np.float32(255)
    try:
        labels = np.asarray(labels)
    except (ValueError, TypeError):
        labels = np.array(None)
    if (labels.shape != (len(pixels),) or not np.issubdtype(labels.dtype, np.integer)
            or labels.min(initial=0) < 0 or labels.max(initial=0) >= len(CLASS_NAMES)):
        raise ValueError(f"{func}: labels must give one class in 0..{len(CLASS_NAMES) - 1} "
                         f"per image ({len(pixels)}), got {describe(labels)}")
    first = {}
    for name in ("Sneaker", "T-shirt/top", "Trouser"):
        where = np.flatnonzero(labels == CLASS_NAMES.index(name))
        if not len(where):
            raise ValueError(f"{func}: images must hold at least one {name} (label "
                             f"{CLASS_NAMES.index(name)}), got labels {sorted(set(labels))}")
        first[name] = int(where[0])
    conv = model.get_layer(layer)
    kernels, bias = get_kernels(conv)
    kh, kw = kernels.shape[:2]
    offset = (kh // 2, kw // 2)  # a valid map's pixel (i, j) is centred on (i + 1, j + 1)
    runner = Runner(func, model)
    low, high = spec["input"]["scale"]

    def probabilities(batch, net=runner):
        x = (low + (high - low) * np.asarray(batch, np.float32))[..., np.newaxis]
        return net.predict(x, kind="probabilities")

    def before(image):  # the layer's values before its ReLU, in the view's coordinates
        return convolve(low + (high - low) * image[..., np.newaxis], kernels) + bias

    def aligned(image):  # the same, aligned pixel for pixel with the image
        x = low + (high - low) * image[..., np.newaxis]
        return convolve(x, kernels, padding="same") + bias

    names = list(CLASS_NAMES)
    out = []

    # 1. a vertical bar
    bar = np.zeros((h, w), np.float32)
    bar[4:h - 4, w // 2 - 2:w // 2 + 2] = 1.0
    sides = [outline_response(aligned(bar)[:, :, k], bar) for k in range(kernels.shape[3])]
    contrast = np.array([s.contrast("left", "right") for s in sides])
    k_bar = int(np.argmax(np.abs(contrast)))
    verdict = sides[k_bar]
    masks = border_masks(bar, outside=True)
    boxes = {side: _side_box(masks[side], offset) for side in ("left", "right")}
    evidence = [f"a bar, rows 4-{h - 5}, columns {w // 2 - 2}-{w // 2 + 1}; {layer} before "
                "the ReLU, by side:"]
    for k, s in enumerate(sides):
        evidence.append(f"  kernel {k}: left {s.means['left']:+.2f} {s.verdicts['left']:<10} "
                        f"right {s.means['right']:+.2f} {s.verdicts['right']:<10} "
                        f"(10% of max: {s.limit:.2f})")
    lit = "left" if contrast[k_bar] > 0 else "right"
    dark = {"left": "right", "right": "left"}[lit]
    after = {side: float(np.maximum(before(bar)[r0:r1, c0:c1, k_bar], 0).mean())
             for side, ((r0, r1), (c0, c1)) in boxes.items()}
    region = {"kind": "region", "layer": layer, "channel": k_bar, "stat": "mean"}
    if contrast[k_bar] != 0:
        held = 0
        variants = [np.pad(np.ones((h - 8, width), np.float32),
                           ((4, 4), (w // 2 - 2, w - w // 2 + 2 - width)))
                    for width in range(2, 9)]
        variants += [_brush_stroke((h, w), x, 4.5, h - 4.5, brush)
                     for brush in np.arange(0.5, 4.01, 0.5) for x in (w / 2, w / 2 + 0.5)]
        for image in variants:
            s = outline_response(aligned(image)[:, :, k_bar], image)
            held += s.verdicts[lit] == "emphasized" and s.verdicts[dark] == "suppressed"
        means = {side: f"{verdict.means[side]:+.2f}" for side in ("left", "right")}
        text = (f"Draw a vertical bar and watch {layer} map {k_bar} before the ReLU: red "
                f"along the bar's {lit} edge (mean {means[lit]}), blue along its {dark} "
                f"edge (mean {means[dark]}). After the ReLU that edge's mean is "
                f"{after[dark]:.2f}.")
        checks = [{**region, "values": "before", "rows": boxes[lit][0], "cols": boxes[lit][1],
                   "op": ">", "value": verdict.limit, "says": f"mean {means[lit]}"},
                  {**region, "values": "before", "rows": boxes[dark][0],
                   "cols": boxes[dark][1], "op": "<", "value": -verdict.limit,
                   "says": f"mean {means[dark]}"},
                  {**region, "values": "after", "rows": boxes[dark][0],
                   "cols": boxes[dark][1], "says": f"mean is {after[dark]:.2f}"},
                  {"kind": "watched", "layer": layer, "channel": k_bar,
                   "says": f"map {k_bar}"}]
        evidence += [f"-> kernel {k_bar}: {lit} {means[lit]}, {dark} {means[dark]}; after the "
                     f"ReLU, {dark} {after[dark]:.2f}",
                     f"   the same verdicts on {held} of {len(variants)} other bars: 2-8 pixels "
                     "wide, and brush strokes"]
    else:
        held, variants = 0, []
        text = (f"Draw a vertical bar and compare the {len(sides)} maps of {layer} before the "
                "ReLU: none is red along one edge and blue along the other by the chapter's "
                "rule.")
        checks = []
        evidence.append("-> no kernel treats the two edges with clear opposite signs")
    out.append(LiveSuggestion(
        text, bar, checks,
        {"kernel": k_bar, "left": verdict.means["left"], "right": verdict.means["right"],
         "limit": verdict.limit, "contrast": float(contrast[k_bar]), "after": after[dark],
         "held": held, "variants": len(variants)},
        evidence, watch={"layer": layer, "channel": k_bar}, modes={layer: "before"}))

    # 2. a sneaker without its sole
    i_shoe = first["Sneaker"]
    shoe = pixels[i_shoe]
    rows = np.flatnonzero(shoe.max(axis=1) > 0.05)
    erased = []
    for n in range(1, min(10, len(rows)) + 1):
        copy = shoe.copy()
        copy[rows[-1] - n + 1:rows[-1] + 1] = 0.0
        erased.append(copy)
    p = probabilities(np.array([shoe, *erased]))
    gains = p[1:] - p[0]
    gains[:, int(p[0].argmax())] = -1.0
    enough = np.flatnonzero(gains.max(axis=1) >= 0.10)
    n = int(enough[0]) + 1 if len(enough) else len(erased)
    risen = int(np.argmax(gains[n - 1]))
    r0, r1 = int(rows[-1]) - n + 1, int(rows[-1]) + 1
    say_rows = f"bottom {n} rows, {r0}-{r1 - 1}"
    before_p, after_p = f"{p[0, risen]:.1%}", f"{p[n, risen]:.1%}"
    if len(enough):
        text = (f"Erase the sneaker's sole and lower edge (its {say_rows}) and watch "
                f"{names[risen]}'s probability: {before_p} before, {after_p} after.")
    else:
        text = (f"Erase the sneaker's sole and lower edge (its {say_rows}): no other class "
                f"gains ten percentage points; {names[risen]} goes from {before_p} to "
                f"{after_p}.")
    checks = [{"kind": "blank_rows", "rows": [r0, r1], "source": i_shoe, "says": say_rows},
              {"kind": "probability", "class": risen, "pick": i_shoe, "says": before_p},
              {"kind": "probability", "class": risen, "says": after_p}]
    evidence = [f"the first sneaker, rows {r0}-{r1 - 1} erased ({n} rows):"]
    evidence += [f"  {names[k]:<12} {p[0, k]:7.1%} -> {p[n, k]:7.1%}"
                 for k in np.argsort(-np.maximum(p[0], p[n]))[:4]]
    out.append(LiveSuggestion(text, erased[n - 1], checks,
                              {"rows": n, "first_row": r0, "class": risen,
                               "before": float(p[0, risen]), "after": float(p[n, risen])},
                              evidence))

    # 3. a kernel set to zero (on a copy: the model is never changed)
    edited = keras.models.clone_model(model)
    edited.set_weights(model.get_weights())
    edited_runner = Runner(func, edited)
    conv_copy = edited.get_layer(layer)
    trained = p_all = probabilities(pixels)
    changed = []
    for k in range(kernels.shape[3]):
        zeroed = kernels.copy()
        zeroed[..., k] = 0.0
        conv_copy.set_weights([zeroed, bias] if conv.use_bias else [zeroed])
        now = probabilities(pixels, edited_runner)
        changed.append((np.flatnonzero(now.argmax(axis=1) != p_all.argmax(axis=1)), now))
    k_zero = max(range(len(changed)), key=lambda k: (len(changed[k][0]), -k))
    flat_before, flat_after = f"{bias[k_zero]:+.3f}", f"{max(float(bias[k_zero]), 0.0):.3f}"
    whole = {"kind": "region", "layer": layer, "channel": k_zero, "stat": "mean",
             "rows": [0, conv_spec["shape"][0]], "cols": [0, conv_spec["shape"][1]]}
    checks = [{"kind": "watched", "layer": layer, "channel": k_zero,
               "says": f"kernel {k_zero}'s"},
              {**whole, "values": "before", "stat": "ptp", "op": "<=", "value": 1e-6},
              {**whole, "values": "before", "says": f"bias ({flat_before})"},
              {**whole, "values": "after", "says": f"and {flat_after} after"}]
    start = (f"Set kernel {k_zero}'s weights to zero: its map turns flat, the bias "
             f"({flat_before}) before the ReLU and {flat_after} after it")
    evidence = [f"kernel {k} at zero: {len(found_k)} of {len(pixels)} predictions change"
                for k, (found_k, _) in enumerate(changed)]
    if len(changed[k_zero][0]):
        target = int(changed[k_zero][0][0])
        was, now = int(trained[target].argmax()), changed[k_zero][1][target]
        guess = int(now.argmax())
        text = (f"{start}, and this {names[labels[target]]} is no longer called "
                f"{names[was]} but {names[guess]} ({now[guess]:.0%}).")
        checks += [{"kind": "predicted", "class": guess},
                   {"kind": "probability", "class": guess, "says": f"({now[guess]:.0%})"},
                   {"kind": "predicted", "class": was, "pick": target, "trained": True}]
        evidence.append(f"-> kernel {k_zero}; pick {target}, a {names[labels[target]]}: "
                        f"{names[was]} {trained[target, was]:.0%} -> {names[guess]} "
                        f"{now[guess]:.0%}")
    else:
        target = 0
        text = f"{start}; no picture to pick changes its prediction."
    out.append(LiveSuggestion(
        text, pixels[target], checks,
        {"kernel": k_zero, "bias": float(bias[k_zero]), "image": target,
         "changed": len(changed[k_zero][0])}, evidence,
        kernel={"layer": layer, "index": k_zero, "weights": np.zeros(kh * kw)},
        watch={"layer": layer, "channel": k_zero}))

    # 4. black and white swapped
    shirt = pixels[first["T-shirt/top"]]
    inverted = np.round((1.0 - shirt) * 255) / 255
    p = probabilities(np.array([shirt, inverted]))
    guess = int(p[1].argmax())
    text = (f"Invert the t-shirt: the network, which has only seen light objects on black, "
            f"calls it {names[guess]} ({p[1, guess]:.0%}).")
    checks = [{"kind": "predicted", "class": guess},
              {"kind": "probability", "class": guess, "says": f"({p[1, guess]:.0%})"}]
    evidence = [f"t-shirt: {names[int(p[0].argmax())]} {p[0].max():.1%}; inverted: "
                f"{names[guess]} {p[1, guess]:.1%}"]
    out.append(LiveSuggestion(text, inverted, checks,
                              {"class": guess, "probability": float(p[1, guess])}, evidence))

    # 5. the arithmetic of one pixel: the sneaker's most negative pixel on the bar's map
    pre = before(shoe)[:, :, k_bar]
    negative = pre.min() < 0
    row, col = np.unravel_index(int(np.argmin(pre) if negative else np.argmax(pre)), pre.shape)
    patch = (low + (high - low) * shoe)[row:row + kh, col:col + kw]
    products = patch * kernels[:, :, 0, k_bar]
    total = float(products.sum())
    value = float(pre[row, col])
    count = {9: "nine"}.get(products.size, str(products.size))
    where = f"{layer} map {k_bar} at row {row}, column {col}"
    says = {"sum": f"{total:+.2f}", "bias": f"{bias[k_bar]:+.2f}", "before": f"{value:+.2f}",
            "value": f"{max(value, 0.0):.2f}"}
    text = (f"Pick the sneaker and hover {where}, its "
            f"{'most negative' if negative else 'brightest'} pixel: the {count} products "
            f"add up to {says['sum']}, plus the bias {says['bias']}, give {says['before']} "
            f"before the ReLU, and the ReLU makes it {says['value']}.")
    at = {"layer": layer, "row": int(row), "col": int(col), "channel": k_bar}
    checks = [{"kind": "inspected", **at, "says": where},
              {"kind": "extreme", **at, "values": "before",
               "which": "min" if negative else "max"}]
    checks += [{"kind": "inspect", **at, "field": field, "says": token}
               for field, token in says.items()]
    evidence = [f"{where}: the patch times the kernel,",
                *("  " + line for line in np.array2string(
                    products, precision=3, suppress_small=True).splitlines()),
                f"  sum {total:+.3f} + bias {bias[k_bar]:+.3f} = {value:+.3f}; ReLU "
                f"{max(value, 0.0):.3f}"]
    out.append(LiveSuggestion(text, shoe, checks,
                              {"row": int(row), "col": int(col), "sum": total,
                               "bias": float(bias[k_bar]), "before": value,
                               "value": max(value, 0.0)}, evidence,
                              inspect=at, watch={"layer": layer, "channel": k_bar},
                              modes={layer: "before"}))

    # 6. where the saliency is strongest
    i_trouser = first["Trouser"]
    trouser = pixels[i_trouser]
    x = (low + (high - low) * trouser)[np.newaxis, :, :, np.newaxis]
    sal = saliency(model, x)[0]
    r, c = np.unravel_index(int(np.argmax(np.abs(sal))), sal.shape)
    sign = int(np.sign(sal[r, c]))
    colour = "red (raises" if sign > 0 else "blue (lowers"
    guess = int(trained[i_trouser].argmax())
    text = (f"Pick the first trouser and look at the saliency: its strongest pixel, at row "
            f"{r}, column {c}, is {colour} {names[guess]}'s logit). Draw there and watch it "
            "change.")
    checks = [{"kind": "saliency_peak", "row": int(r), "col": int(c), "sign": sign,
               "says": f"row {r}, column {c}"},
              {"kind": "predicted", "class": guess}]
    evidence = [f"the first trouser: largest |saliency| {abs(sal[r, c]):.3f} at row {r}, "
                f"column {c}, sign {sign:+d}"]
    out.append(LiveSuggestion(text, trouser, checks,
                              {"row": int(r), "col": int(c), "sign": sign,
                               "saliency": float(sal[r, c])}, evidence))
    return out
