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
import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from ._validate import check_int, describe

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
    array = np.asarray(array, dtype=np.float64)
    h, w, c = shape
    if array.ndim == 3 and c == 1:
        array = array[..., np.newaxis]
    if array.ndim != 4 or tuple(array.shape[1:]) != (h, w, c):
        raise ValueError(f"{func}: {name} must be images shaped (n, {h}, {w}, {c}) or "
                         f"(n, {h}, {w}) with values in [0, 1], got {describe(array)}")
    if not np.all(np.isfinite(array)) or array.min() < 0 or array.max() > 1:
        raise ValueError(f"{func}: {name} must hold pixel values in [0, 1], got values from "
                         f"{array.min():g} to {array.max():g}")
    return np.round(array * 255).astype(np.uint8)


def _suggestion(func: str, i: int, item: object, shape: list[int], layers: dict) -> dict:
    if not isinstance(item, dict) or not isinstance(item.get("text"), str) or "pixels" not in item:
        raise TypeError(f"{func}: suggestions[{i}] must be a dict with 'text' (str) and "
                        f"'pixels' (an image in [0, 1]), got {describe(item)}")
    out = {"text": item["text"],
           "pixels": _b64(_pixels(func, f"suggestions[{i}]['pixels']",
                                  np.asarray(item["pixels"])[np.newaxis], shape).tobytes())}
    kernel = item.get("kernel")
    if kernel is not None:
        layer = layers.get(kernel.get("layer"))
        if layer is None or layer["type"] != "conv2d":
            raise ValueError(f"{func}: suggestions[{i}]['kernel']['layer'] must name a "
                             f"convolution layer, got {kernel.get('layer')!r}")
        out["kernel"] = {"layer": kernel["layer"], "index": int(kernel["index"]),
                         "weights": [float(v) for v in np.ravel(kernel["weights"])]}
    for key in ("inspect", "watch"):
        if item.get(key) is not None:
            out[key] = {k: (v if isinstance(v, str) else int(v)) for k, v in item[key].items()}
    if item.get("checks"):
        out["checks"] = json.loads(json.dumps(item["checks"], default=float))
    return out


def export_live(
    model,
    images: np.ndarray | None = None,
    labels: Sequence[int] | None = None,
    class_names: Sequence[str] | None = None,
    out_dir: str | os.PathLike | None = None,
    *,
    names: Sequence[str] | None = None,
    suggestions: Sequence[dict] = (),
    scale: Sequence[float] = (0.0, 1.0),
    shown: Sequence[str] | None = None,
    static: bool = True,
    title: str = "The network, live",
    func_name: str = "export_live",
) -> LiveView:
    """Export *model* to run in a web page: every layer's maps, the prediction and its saliency.

    The view lets a reader pick one of *images*, draw on the input or open a PNG/JPEG
    (converted as ``interp.images.load_images`` converts it); it shows the outputs
    of the convolution layers and the class probabilities as the input changes, the
    saliency map of the predicted class (:func:`interp.saliency`, the gradient of its
    logit), the arithmetic of any map pixel (patch x kernel, sum, bias, activation), and
    an editor for the first layer's kernels. The page's API, ``window.interpLive``, is
    described on the gallery page "The network, live".

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
    suggestions : sequence of dict
        What to try, each one click in the page: ``{"text": str, "pixels": image in
        [0, 1]}``, and optionally ``"kernel": {"layer", "index", "weights"}`` (an edited
        kernel, weights in row, column, channel order), ``"inspect": {"layer", "row",
        "col", "channel"}``, ``"watch": {"layer", "channel"}`` (a map outlined) and
        ``"checks"`` (claims a test can verify, carried as they are).
    scale : (low, high), default (0, 1)
        What pixel values 0-1 become as the model's input.
    shown : sequence of str, optional
        The layers whose maps are drawn; default every Conv2D layer.
    static : bool, default True
        Put a static figure of the first image (its maps, probabilities and saliency,
        computed with Keras) in a ``<noscript>`` element, for readers without JavaScript.
    title : str
        The standalone page's title.
    func_name : str
        The name used in messages (``interp report`` passes its own).

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
        For images, labels, names or suggestions of the wrong shape or kind.

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
    func = func_name
    spec, weight_bytes = model_spec(model, scale=scale, func=func)
    shape = spec["input"]["shape"]
    layers = {layer["name"]: layer for layer in spec["layers"]}
    n_classes = spec["head"]["classes"]
    if class_names is None:
        class_names = [f"class {i}" for i in range(n_classes)]
    class_names = [str(name) for name in class_names]
    if len(class_names) != n_classes:
        raise ValueError(f"{func}: class_names must give one name per class ({n_classes}), "
                         f"got {len(class_names)}")
    picks = []
    pixels = None
    if images is not None:
        pixels = _pixels(func, "images", np.asarray(images), shape)
        if labels is not None:
            labels = [check_int(func, "labels", int(v), minimum=0) for v in np.ravel(labels)]
            if len(labels) != len(pixels) or max(labels, default=0) >= n_classes:
                raise ValueError(f"{func}: labels must give one class in 0..{n_classes - 1} "
                                 f"per image ({len(pixels)}), got {labels[:12]}")
        if names is not None and len(names) != len(pixels):
            raise ValueError(f"{func}: names must give one name per image ({len(pixels)}), "
                             f"got {len(names)}")
        for i, image in enumerate(pixels):
            name = (str(names[i]) if names is not None
                    else f"{class_names[labels[i]]} #{i}" if labels is not None
                    else f"image #{i}")
            picks.append({"name": name, "label": None if labels is None else labels[i],
                          "pixels": _b64(image.tobytes())})
    if shown is None:
        shown = [layer["name"] for layer in spec["layers"] if layer["type"] == "conv2d"]
    for name in shown:
        if name not in layers or len(layers[name]["shape"]) != 3:
            raise ValueError(f"{func}: shown must name layers with 2-D maps, got {name!r}")
    tried = [_suggestion(func, i, item, shape, layers) for i, item in enumerate(suggestions)]
    data = {"format": FORMAT, "name": model.name, "model": spec, "classes": class_names,
            "weights": _b64(weight_bytes), "colormap": _b64(colormap().tobytes()),
            "picks": picks, "shown": list(shown), "max_channels": MAX_CHANNELS,
            "suggestions": tried}
    runtime = runtime_files()
    checksums = {"interp-live.js": hashlib.sha256(runtime["interp-live.js"].encode()).hexdigest(),
                 "weights": hashlib.sha256(weight_bytes).hexdigest()}
    noscript = _static_figure(model, pixels[:1] / 255.0, spec, class_names, shown) \
        if static and pixels is not None and len(pixels) else ""
    text = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
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
                   shown: Sequence[str]) -> str:
    """Return a PNG of the first image's maps, probabilities and saliency, as an ``<img>``."""
    import matplotlib.pyplot as plt

    from .activations import feature_maps
    from .attribution import saliency

    x = (spec["input"]["scale"][0] + (spec["input"]["scale"][1] - spec["input"]["scale"][0])
         * image).astype(np.float32)
    maps = feature_maps(model, x, list(shown))
    sal = saliency(model, x)[0]
    probabilities = _probabilities(model, x)
    cols = 8
    counts = [min(MAX_CHANNELS, maps[name].shape[-1]) for name in shown]
    grid_rows = [-(-count // cols) for count in counts]
    fig = plt.figure(figsize=(7.2, 2.2 + 1.15 * sum(grid_rows)), layout="constrained")
    parts = fig.subfigures(1 + len(shown), 1, height_ratios=[2.0, *(1.15 * r for r in grid_rows)])
    parts = np.atleast_1d(parts)
    top = parts[0].subplots(1, 3, width_ratios=[1, 1, 2.4])
    shown_image = image[0] if image.shape[-1] == 3 else image[0, :, :, 0]
    top[0].imshow(shown_image, cmap=None if shown_image.ndim == 3 else "gray", vmin=0, vmax=1)
    top[0].set_title("input", fontsize=8)
    largest = float(np.abs(sal).max()) or 1.0
    best = int(np.argmax(probabilities))
    top[1].imshow(sal, cmap="RdBu_r", vmin=-largest, vmax=largest)
    top[1].set_title(f"saliency of\n{class_names[best]}", fontsize=8)
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
        m = float(np.abs(values).max()) or 1.0
        axes = np.atleast_1d(part.subplots(rows, cols)).ravel()
        for k, ax in enumerate(axes):
            ax.set_axis_off()
            if k < count:
                ax.imshow(values[:, :, k], cmap="RdBu_r", vmin=-m, vmax=m)
                ax.set_title(f"{name} · {k}", fontsize=7)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96)
    plt.close(fig)
    return (f'<p>This view runs the network in the page with JavaScript, which is off. The '
            f'figure shows what it shows for the first image: the maps of '
            f'{", ".join(shown)}, the class probabilities and the saliency of the predicted '
            f'class.</p><img class="il-static" alt="Feature maps, probabilities and saliency '
            f'of the first image" src="data:image/png;base64,{_b64(buffer.getvalue())}">')


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
    pixels = images.display(slice(0, n))
    scale = getattr(images, "_scale", None)
    if scale is None:  # a float array used as it is: the page draws pixels 0-1
        low, high = float(pixels.min()), float(pixels.max())
        if low < 0 or high > 1:
            return {"html": "", "reason": f"the images are used as they are, with values "
                                          f"from {low:g} to {high:g}; the page draws pixel "
                                          f"values 0-1 (give --scale to say what 0-255 become)"}
        scale = (0.0, 1.0)
    view = export_live(model, pixels, None if labels is None else np.asarray(labels)[:n],
                       class_names, names=[str(name) for name in images.names[:n]],
                       scale=scale, static=False, func_name="interp report")
    return {"html": view.html, "reason": ""}
