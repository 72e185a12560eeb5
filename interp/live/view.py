"""The live view: one piece of HTML that runs a model in the page.

:func:`export_live` writes a model's layer graph and weights (:mod:`interp.live.spec`), a
few images to pick from and suggestions of what to try into one self-contained
``<div>``: its style and script (``interp/live/static``) inline, its data as JSON, and a
static figure of the same content for readers without JavaScript. :func:`report_view` is
the same view for ``interp report``, or the one line that says why not.
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

from .._validate import check_bool, check_labels, check_number, describe
from .spec import FORMAT, _pixels, _size, check_live, colormap, model_spec
from .suggestions import LiveSuggestion

#: Feature maps drawn per layer at most (all are computed).
MAX_CHANNELS = 16


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
        """Write a standalone page holding the view; return its path.

        Parameters
        ----------
        path : path-like
            The HTML file to write (its folder must exist).
        title : str, default "The network, live"
            The page's title and heading.

        Returns
        -------
        pathlib.Path
            *path*.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> import numpy as np
        >>> import interp
        >>> view = interp.export_live(interp.build_model(), np.zeros((1, 28, 28)),
        ...                           static=False)
        >>> page = view.save(pathlib.Path(tempfile.mkdtemp()) / "live.html")
        >>> page.read_text().startswith("<!DOCTYPE html>")
        True

        """
        path = Path(path)
        path.write_text(standalone_page(self.html, title), encoding="utf-8")
        return path


#: The view's script and style, in ``interp/live/static/``: inlined into every view.
RUNTIME = ("interp-live.js", "interp-live.css")


def runtime_files() -> dict[str, str]:
    """Return the view's script and style, as shipped in ``interp/live/static/``.

    Every view inlines both; :attr:`LiveView.checksums` holds the script's SHA-256.

    Returns
    -------
    dict of str to str
        ``{"interp-live.js": ..., "interp-live.css": ...}``, the files' text.

    Examples
    --------
    >>> from interp.live import runtime_files
    >>> files = runtime_files()
    >>> sorted(files)
    ['interp-live.css', 'interp-live.js']
    >>> files["interp-live.js"].startswith("/*! interp-live.js")
    True

    """
    folder = resources.files(__package__) / "static"
    return {name: (folder / name).read_text(encoding="utf-8") for name in RUNTIME}


def standalone_page(view_html: str, title: str) -> str:
    """Return an HTML page with *view_html* as its body, under a heading *title*.

    Parameters
    ----------
    view_html : str
        The view (:attr:`LiveView.html`), or any HTML to put in the page's ``<main>``.
    title : str
        The page's title and heading (escaped).

    Returns
    -------
    str
        The whole page, ``<!DOCTYPE html>`` first, in English (``lang="en"``).

    Examples
    --------
    >>> from interp.live import standalone_page
    >>> page = standalone_page("<p>view</p>", "Shoes & sandals")
    >>> "<title>Shoes &amp; sandals</title>" in page
    True

    """
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n</head>\n<body>\n<main>\n"
            f"<h1>{html.escape(title)}</h1>\n{view_html}\n</main>\n</body>\n</html>\n")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


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

    from ..activations import feature_maps
    from ..attribution import saliency
    from ..convolution import convolve
    from ..kernels import get_kernels
    from ..plotting import _LITERAL, OKABE_ITO

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
    top[1].set_title(f"saliency of\n{class_names[best]}", fontsize=8, **_LITERAL)
    bar = parts[0].colorbar(drawn, ax=top[1], shrink=0.8)
    bar.ax.tick_params(labelsize=7)
    for ax in top[:2]:
        ax.set_axis_off()
    top[2].barh(np.arange(len(class_names)), probabilities, color=OKABE_ITO[3])
    top[2].set_yticks(np.arange(len(class_names)), class_names, fontsize=7, **_LITERAL)
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
                ax.set_title(f"{name} · {k}", fontsize=7, **_LITERAL)
        part.suptitle(words[name], fontsize=8, **_LITERAL)
        bar = part.colorbar(drawn, ax=axes, shrink=0.8, aspect=12)
        bar.ax.tick_params(labelsize=7)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96)
    plt.close(fig)
    return (f'<p>This view runs the network in the page with JavaScript, which is off. The '
            f'figure shows what it first shows for the first image: the maps of '
            f'{html.escape(", ".join(words[name] for name in shown))}, each layer on one '
            f'colour scale (blue negative, white 0, red positive); the class probabilities and the '
            f'saliency of the predicted class.</p><img class="il-static" alt="Feature maps, '
            f'probabilities and saliency of the first image" '
            f'src="data:image/png;base64,{_b64(buffer.getvalue())}">')


def _probabilities(model, x: np.ndarray) -> np.ndarray:
    from .._model import Runner

    return Runner("export_live", model).predict(x, kind="probabilities")[0]


def report_view(model, images, class_names: Sequence[str], labels=None,
                max_images: int = 30) -> dict:
    """Return the live view for ``interp report``, or the one line that says why not.

    Parameters
    ----------
    model : keras.Model
        The report's model; it is read, never changed.
    images : interp.images.ImageSet
        The report's images (``interp.images.load_images``); the first *max_images*
        are the picks, named as the report names them. The page's pixels 0-1 become the
        model's input as the images were scaled (``images.scaling``).
    class_names : sequence of str
        One name per class.
    labels : array-like of int, optional
        The images' classes, if known.
    max_images : int, default 30
        How many images the view offers to pick.

    Returns
    -------
    dict
        ``{"html": the view, "reason": ""}``, or ``{"html": "", "reason": why}`` when the
        page cannot run the model (naming the layer or shape) or show the images.

    Examples
    --------
    >>> import numpy as np
    >>> import keras
    >>> import interp
    >>> from interp.images import load_images
    >>> from interp.live import report_view
    >>> model = interp.build_model()
    >>> pixels = np.zeros((2, 28, 28), np.uint8)
    >>> found = report_view(model, load_images(pixels, model), interp.CLASS_NAMES)
    >>> found["reason"], found["html"].startswith('<div class="interp-live"')
    ('', True)
    >>> wide = keras.Sequential([keras.Input((96, 96, 1)), keras.layers.Flatten(),
    ...                          keras.layers.Dense(2)], name="wide")
    >>> print(report_view(wide, load_images(np.zeros((1, 96, 96), np.uint8), wide),
    ...                   ["a", "b"])["reason"])
    model 'wide' takes 96x96 images; the page runs inputs of at most 64x64 pixels

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
