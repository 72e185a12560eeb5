"""One offline HTML page about a user's CNN, from its layers to which attribution maps to trust.

The page shows the layers, kernels, feature maps, top-activating patches and attribution
maps, with the measures that say which maps to trust.

:func:`write_report` composes interp's public functions and plots; it computes nothing of
its own, only chooses, slices and lays out. The page and its images are written to a
temporary folder beside the destination and renamed into place at the end, so an
interrupted run leaves nothing half-written. The page loads nothing from other hosts and
opens from ``file://``. The ``interp report`` command (:mod:`interp.cli`) is a front end
to this function.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import itertools
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from ._validate import check_int, describe

#: The marker that says a folder holds a report this module wrote (and may replace).
MARKER = "report.json"
GENERATOR = "interp report"
#: Attribution methods the report can draw, by the name the command line uses.
METHOD_NAMES = ("saliency", "smoothgrad", "integrated_gradients", "grad_cam", "occlusion",
                "guided_backprop", "input_x_gradient")
DEFAULT_METHODS = ("saliency", "smoothgrad", "integrated_gradients", "grad_cam", "occlusion")
#: Kernels per figure, and how many kernels and input channels of a deeper layer are drawn.
KERNELS_PER_FIGURE = 16
DEEP_KERNELS = 16
DEEP_CHANNELS = 8
#: Channels drawn per feature-map figure, and images whose feature maps are drawn.
MAP_CHANNELS = 32
MAP_IMAGES = 3
#: Kernels per top-activating figure.
PATCH_ROWS = 16
DPI = 144  # figures are saved at 1.5x and shown at 96 px per inch


class ReportError(ValueError):
    """The report cannot be made from these arguments (the message says why)."""


def _arg(func: str, name: str) -> str:
    """How an argument is spelled for the caller: ``--out`` for the command, ``out`` in Python."""
    return f"--{name}" if func.startswith("interp ") else name


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "layer"


def _shape(shape: object) -> str:
    if shape is None:
        return "unknown"
    if shape and isinstance(shape[0], tuple):
        return ", ".join(_shape(s) for s in shape)
    inside = ", ".join("any" if d is None else str(d) for d in shape)
    return f"({inside},)" if len(shape) == 1 else f"({inside})"


@dataclasses.dataclass
class Figure:
    """One saved figure: where it is and how wide the page shows it."""

    src: str
    alt: str
    width: int
    height: int


def _peak_memory_mib() -> float | None:
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


class _Builder:
    """Holds what the report needs while it is made: where to write, timings, messages."""

    def __init__(self, func: str, folder: Path, quiet: bool) -> None:
        self.func = func
        self.folder = folder
        self.figures = folder / "figures"
        self.figures.mkdir()
        self.quiet = quiet
        self.timings: list[tuple[str, float]] = []
        self.names: set[str] = set()

    def say(self, text: str) -> None:
        if not self.quiet:
            print(f"{self.func}: {text}", file=sys.stderr, flush=True)

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        self.say(f"{name} ...")
        started = time.perf_counter()
        yield
        seconds = time.perf_counter() - started
        self.timings.append((name, seconds))
        self.say(f"{name}: {seconds:.1f} s")

    def save(self, fig, name: str, alt: str) -> Figure:
        import matplotlib.pyplot as plt
        from PIL import Image

        stem, number = _slug(name), 1
        while f"{stem}.png" in self.names:
            number += 1
            stem = f"{_slug(name)}-{number}"
        self.names.add(f"{stem}.png")
        path = self.figures / f"{stem}.png"
        fig.savefig(path, dpi=DPI, facecolor="white")
        plt.close(fig)
        with Image.open(path) as image:
            width, height = image.size
        scale = 96 / DPI
        return Figure(f"figures/{stem}.png", alt, round(width * scale), round(height * scale))


# ---- the destination --------------------------------------------------------------------

def _check_destination(func: str, out: Path) -> None:
    """Refuse, before any work, a destination that is not ours to replace."""
    if out.exists() and not out.is_dir():
        raise ReportError(f"{func}: {_arg(func, 'out')} {str(out)!r} is a file; give a folder "
                          "for the report")
    if out.is_dir() and any(out.iterdir()) and not _is_report(out):
        raise ReportError(f"{func}: {_arg(func, 'out')} {str(out)!r} is a folder that holds "
                          "files but no "
                          "interp report; give a new or empty folder, or an earlier report's "
                          "folder (which is replaced)")


def _is_report(folder: Path) -> bool:
    try:
        data = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("generator") == GENERATOR


def _move_into_place(tmp: Path, out: Path) -> None:
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)


# ---- the sections ---------------------------------------------------------------------

def _model_section(model, spec, images, class_names, n_classes) -> dict:
    from .layers import layer_table

    rows = []
    for row in layer_table(model):
        rows.append({
            "path": row.path, "type": row.type, "output_shape": _shape(row.output_shape),
            "kernel_shape": "" if row.kernel_shape is None else _shape(row.kernel_shape),
            "params": f"{row.params:,}", "conv": row.kernel_shape is not None,
            "depth": row.path.count("/"),
        })
    channel = ("none (a layer adds it)" if spec.channel_axis is None
               else f"axis {spec.channel_axis} of each image")
    return {
        "name": model.name,
        "class": type(model).__name__,
        "rows": rows,
        "params": f"{model.count_params():,}",
        "input_shape": _shape(spec.shape),
        "data_format": spec.data_format,
        "channel_axis": channel,
        "n_classes": n_classes,
        "class_names": list(class_names),
        "n_images": len(images),
        "conversion": list(images.conversion),
    }


def _kernel_figures(builder: _Builder, layer, path: str, kernels: np.ndarray, first: bool,
                    n_kernels: int, n_channels: int) -> list[Figure]:
    from .plotting import plot_kernels

    figures = []
    shown = kernels[:, :, :n_channels, :n_kernels]
    peak = float(np.abs(shown).max())
    limit = peak if peak > 0 else None  # one scale for every figure of the layer
    chunks = -(-n_kernels // KERNELS_PER_FIGURE)
    edges = np.linspace(0, n_kernels, chunks + 1).round().astype(int)
    small = kernels.shape[0] * kernels.shape[1] <= 25
    for start, stop in itertools.pairwise(edges):
        names = [f"kernel {k}" for k in range(start, stop)]
        part = f" {start}-{stop - 1}" if chunks > 1 else "s"
        fig = plot_kernels(shown[:, :, :, start:stop], kernel_names=names,
                           annotate=first and small and n_kernels <= 8,
                           title=f"{path}: kernel{part}", vmax=limit)
        figures.append(builder.save(
            fig, f"kernels-{path}-{start}",
            f"Kernels {start} to {stop - 1} of layer {path}, one column per kernel and one "
            f"row per input channel, drawn red for positive and blue for negative weights"))
    return figures


def _kernels_section(builder: _Builder, convs: list[tuple[str, object]]) -> list[dict]:
    from .describe import PERCENTILE, describe_kernel
    from .kernels import get_kernels

    layers = []
    for index, (path, layer) in enumerate(convs):
        entry = {"path": path, "slug": _slug(path), "type": type(layer).__name__,
                 "figures": [], "verdicts": [], "note": "", "shape": None}
        if layer.rank != 2:
            entry["note"] = (f"{type(layer).__name__} kernels are not drawn: interp draws "
                             "and describes 2-D kernels only.")
            layers.append(entry)
            continue
        kernels, _ = get_kernels(layer)
        kh, kw, n_in, n_out = kernels.shape
        entry["shape"] = _shape(kernels.shape)
        first = index == 0
        if first:
            n_kernels, n_channels = n_out, n_in
        else:
            n_kernels, n_channels = min(n_out, DEEP_KERNELS), min(n_in, DEEP_CHANNELS)
        entry["figures"] = _kernel_figures(builder, layer, path, kernels, first, n_kernels,
                                           n_channels)
        if n_kernels < n_out or n_channels < n_in:
            entry["note"] = (f"A summary: kernels 0-{n_kernels - 1} of {n_out} and input "
                             f"channels 0-{n_channels - 1} of {n_in} are drawn. Use "
                             "interp.plot_kernels(interp.pick_layer(model, "
                             f"{path!r})) to draw them all.")
        if first:
            initializer = layer.kernel_initializer
            init_name = type(initializer).__name__
            for k in range(n_out):
                for c in range(n_in):
                    found = describe_kernel(kernels[:, :, c, k], initializer=initializer)
                    entry["verdicts"].append({
                        "kernel": k, "channel": c, "name": found.name,
                        "matched": found.matched, "best": found.best,
                        "similarity": found.similarity, "percentile": found.percentile,
                        "brightness": found.responds_to_brightness,
                        "text": str(found),
                    })
            entry["rule"] = (
                f"describe_kernel names the classical filter (edge, spot, blur) a kernel is "
                f"closest to, by cosine similarity, when it comes closer than "
                f"{PERCENTILE:.0%} of 10,000 random {kh}x{kw} kernels drawn from this "
                f"layer's own initializer ({init_name}) come to their own best filter; "
                f"otherwise it says \"no close match\".")
            entry["n_named"] = sum(1 for v in entry["verdicts"] if v["matched"])
        layers.append(entry)
    return layers


def _display(images, index) -> np.ndarray:
    """Images for drawing, (n, h, w) or (n, h, w, 3); other channel counts show channel 0."""
    shown = images.display(index)
    if shown.ndim == 4 and shown.shape[-1] not in (1, 3):
        shown = shown[..., 0]
    if shown.ndim == 4 and shown.shape[-1] == 1:
        shown = shown[..., 0]
    return shown


def _channels_last(maps: np.ndarray, layer) -> np.ndarray:
    if getattr(layer, "data_format", "channels_last") == "channels_first":
        return np.moveaxis(maps, 1, -1)
    return maps


def _feature_map_section(builder: _Builder, model, convs, images, n_show: int,
                         batch_size: int) -> list[dict]:
    from .activations import feature_maps
    from .plotting import plot_feature_maps

    x = images[0:n_show]
    shown = _display(images, slice(0, n_show))
    two_d = [(path, layer) for path, layer in convs if layer.rank == 2]
    maps = feature_maps(model, x, [layer for _, layer in two_d], batch_size=batch_size) \
        if two_d else {}
    layers = []
    for path, layer in convs:
        entry = {"path": path, "slug": _slug(path), "figures": [], "note": "", "shape": None,
                 "range": None}
        if layer.rank != 2:
            entry["note"] = (f"{type(layer).__name__} outputs are not drawn: interp draws "
                             "the maps of 2-D convolutions.")
            layers.append(entry)
            continue
        out = _channels_last(maps[path], layer)
        channels = out.shape[-1]
        drawn = min(channels, MAP_CHANNELS)
        entry["shape"] = _shape(maps[path].shape[1:])
        if drawn < channels:
            entry["note"] = (f"Channels 0-{drawn - 1} of {channels} are drawn; "
                             f"interp.feature_maps(model, images, {path!r}) returns them all.")
        entry["range"] = [float(out.min()), float(out.max())]
        for i in range(len(x)):
            fig = plot_feature_maps(out[i, :, :, :drawn], shown[i], ncols=8,
                                    title=f"{path}, image {images.names[i]}")
            entry["figures"].append(builder.save(
                fig, f"maps-{path}-{i}",
                f"Feature maps of layer {path} for image {images.names[i]}, one panel per "
                f"channel on one colour scale"))
        layers.append(entry)
    return layers


def _top_section(builder: _Builder, model, convs, images, k: int, batch_size: int) -> list[dict]:
    from ._progress import progress
    from .activations import TopActivations, crop_patches, receptive_field, top_activating
    from .plotting import plot_patches

    layers = []
    for path, layer in convs:
        entry = {"path": path, "slug": _slug(path), "figures": [], "note": "", "kernels": [],
                 "field": None, "seconds": None, "silent": ""}
        if layer.rank != 2:
            entry["note"] = (f"top_activating works on 2-D convolutions; {path} is a "
                             f"{type(layer).__name__}.")
            layers.append(entry)
            continue
        started = time.perf_counter()
        stream = progress(images.batches(batch_size), desc=f"top-activating {path}",
                          unit="image", total=len(images), quiet=builder.quiet, scale=0)
        top = top_activating(model, layer, stream, k=k, batch_size=batch_size)
        entry["seconds"] = time.perf_counter() - started
        needed = np.unique(top.indices)
        local = TopActivations(np.searchsorted(needed, top.indices), top.values, top.positions)
        pictures = _display(images, needed)
        try:
            field = receptive_field(model, layer)
        except ValueError as err:
            field = None
            entry["note"] = (f"receptive_field cannot follow this layer ({err}); the whole "
                             "images are shown instead of the patches.")
        if field is not None:
            stack = pictures if pictures.ndim == 4 else pictures[..., np.newaxis]
            patches = crop_patches(stack, local, field)
            entry["field"] = f"{field.size[0]}x{field.size[1]} pixels"
        else:
            patches = pictures[local.indices]
        n_kernels = top.indices.shape[0]
        silent = [j for j in range(n_kernels) if top.values[j, 0] <= 0]
        if silent:
            which = ", ".join(str(j) for j in silent)
            many = len(silent) > 1
            entry["silent"] = (
                f"Kernel{'s' if many else ''} {which} never rise{'' if many else 's'} "
                f"above 0 on any of the {len(images):,} images (the highest value is at most "
                "0): their rows are ties, shown in image order, and say nothing about "
                "what the kernel detects.")
        for start in range(0, n_kernels, PATCH_ROWS):
            stop = min(start + PATCH_ROWS, n_kernels)
            labels = [f"kernel {j}: {top.values[j, 0]:.2f}" for j in range(start, stop)]
            what = "patches" if field is not None else "images"
            fig = plot_patches(patches[start:stop], row_labels=labels,
                               title=f"{path}: the {k} {what} that drive each kernel hardest")
            entry["figures"].append(builder.save(
                fig, f"top-{path}-{start}",
                f"For kernels {start} to {stop - 1} of layer {path}, the {k} {what} out of "
                f"{len(images)} images with the highest activation, strongest first"))
        for j in range(n_kernels):
            entry["kernels"].append({
                "kernel": j, "images": [images.names[i] for i in top.indices[j]],
                "indices": top.indices[j].tolist(),
                "values": [round(float(v), 6) for v in top.values[j]],
            })
        layers.append(entry)
    return layers


@dataclasses.dataclass(frozen=True)
class _Method:
    key: str
    title: str
    signed: bool
    call: Callable
    settings: str


def _methods(spec) -> dict[str, _Method]:
    from . import attribution as a

    height, width = (d or 28 for d in spec.map_shape[:2]) if len(spec.map_shape) >= 2 \
        else (28, 28)
    patch = max(2, round(min(height, width) / 7))
    stride = max(1, patch // 2)

    def integrated(model, x, target, batch_size):
        return a.integrated_gradients(model, x, target, batch_size=batch_size)[0]

    return {
        "saliency": _Method("saliency", "saliency", True,
                            lambda m, x, t, b: a.saliency(m, x, t, batch_size=b),
                            "gradient of the class logit, summed over channels"),
        "smoothgrad": _Method("smoothgrad", "SmoothGrad", True,
                              lambda m, x, t, b: a.smoothgrad(m, x, t, batch_size=b),
                              "25 noisy copies, noise 0.15 of each image's range, seed 0"),
        "integrated_gradients": _Method("integrated_gradients", "integrated gradients", True,
                                        integrated, "50 steps from a black image"),
        "grad_cam": _Method("grad_cam", "Grad-CAM", False,
                            lambda m, x, t, b: a.grad_cam(m, x, t, batch_size=b),
                            "the last Conv2D layer"),
        "occlusion": _Method("occlusion", "occlusion", True,
                             lambda m, x, t, b: a.occlusion(m, x, t, patch=patch, stride=stride,
                                                            batch_size=b),
                             f"a {patch}x{patch} black square in steps of {stride}; the drop "
                             "of the class probability"),
        "guided_backprop": _Method("guided_backprop", "guided backprop", True,
                                   lambda m, x, t, b: a.guided_backprop(m, x, t, batch_size=b),
                                   "ReLUs pass back positive gradients only"),
        "input_x_gradient": _Method("input_x_gradient", "input x gradient", True,
                                    lambda m, x, t, b: a.input_x_gradient(m, x, t, batch_size=b),
                                    "the image times its gradient"),
    }


def _attribution_section(builder: _Builder, model, images, methods: Sequence[str],
                         class_names, labels, n_show: int, n_maps: int, batch_size: int,
                         predictions: np.ndarray) -> dict:
    """Draw the maps of the first *n_show* images; compute them for the first *n_maps*."""
    import matplotlib.pyplot as plt

    from ._model import input_spec
    from .plotting import plot_attributions

    spec = input_spec(builder.func, model)
    registry = _methods(spec)
    x = images[0:n_maps]
    shown = _display(images, slice(0, n_show))
    predicted = predictions.argmax(axis=1)
    maps: dict[str, np.ndarray] = {}
    used, notes = [], []
    for key in methods:
        method = registry[key]
        with builder.step(f"attribution: {method.title} ({len(x)} images)"):
            try:
                maps[key] = method.call(model, x, predicted, batch_size)
            except (ValueError, TypeError) as err:
                notes.append(f"{method.title} was not computed: {err}")
                continue
        used.append(method)
    rows = []
    for i in range(n_show):
        rows.append({
            "name": images.names[i],
            "predicted": class_names[predicted[i]],
            "probability": float(predictions[i, predicted[i]]),
            "true": None if labels is None else class_names[int(labels[i])],
        })
    figures = []
    if used:
        columns = 1 + len(used)
        fig, axes = plt.subplots(n_show, columns, squeeze=False,
                                 figsize=(1.6 * columns, 2.05 * n_show), layout="constrained")
        fig.get_layout_engine().set(h_pad=0.06)
        for i in range(n_show):
            row = rows[i]
            title = f"{row['predicted']} {row['probability']:.0%}"
            plot_attributions(shown[i], {m.title: maps[m.key][i] for m in used},
                              signed={m.title: m.signed for m in used}, axes=list(axes[i]),
                              title=title, colorbar=False)
        figures.append(builder.save(
            fig, "attributions",
            "One row per image: the image with its predicted class and probability, then "
            "each method's map for that class; signed maps red for positive and blue for "
            "negative, Grad-CAM white to red"))
    return {"rows": rows, "figures": figures, "notes": notes,
            "methods": [{"key": m.key, "title": m.title, "signed": m.signed,
                         "settings": m.settings} for m in used],
            "maps": maps, "x": x, "predicted": predicted, "used": used}


#: Random maps whose deletion and insertion AUCs make the floor a method must beat.
FLOOR_SEEDS = 5


def _trust_section(builder: _Builder, model, attribution: dict, n_trust: int,
                   batch_size: int) -> dict:
    """Measure deletion, insertion and cascading randomization, where interp provides them."""
    import interp

    needed = ("deletion", "insertion", "cascading_randomization")
    missing = [name for name in needed if not hasattr(interp, name)]
    if missing:
        return {"measured": False,
                "note": ("This version of interp does not have "
                         f"{', '.join(missing)} (the evaluation functions of issue #10), so "
                         "the deletion and insertion AUCs and the cascading-randomization "
                         "similarity are not computed. Read the maps above without a "
                         "measure of which to trust.")}
    used = attribution["used"]
    if n_trust == 0 or not used:
        return {"measured": False,
                "note": "Not measured: no attribution maps, or no images for the measures "
                        "(--trust 0)."}
    x = attribution["x"][:n_trust]
    targets = attribution["predicted"][:n_trust]
    some_map = attribution["maps"][used[0].key][:n_trust]
    floor = {"deletion": [], "insertion": []}
    with builder.step(f"which to trust: {FLOOR_SEEDS} random maps"):
        for seed in range(FLOOR_SEEDS):
            noise = np.random.default_rng(seed).random(some_map.shape).astype(np.float32)
            floor["deletion"].append(float(np.mean(interp.deletion(
                model, x, noise, targets, batch_size=batch_size).auc)))
            floor["insertion"].append(float(np.mean(interp.insertion(
                model, x, noise, targets, batch_size=batch_size).auc)))
    rows, layers = [], None
    for method in used:
        maps = attribution["maps"][method.key][:n_trust]
        with builder.step(f"which to trust: {method.title}"):
            deleted = interp.deletion(model, x, maps, targets, batch_size=batch_size)
            inserted = interp.insertion(model, x, maps, targets, batch_size=batch_size)

            def explain(m, images, target=None, _method=method, **_):
                return _method.call(m, images, target, batch_size)

            cascade = interp.cascading_randomization(model, x, targets, method=explain,
                                                     seed=0, batch_size=batch_size)
        layers = list(cascade.layers)
        deletion_auc = float(np.mean(deleted.auc))
        insertion_auc = float(np.mean(inserted.auc))
        rows.append({
            "title": method.title,
            "deletion": deletion_auc,
            "insertion": insertion_auc,
            "below_floor": deletion_auc < min(floor["deletion"]),
            "above_floor": insertion_auc > max(floor["insertion"]),
            "cascade": [_nanmean(row) for row in np.asarray(cascade.similarity)],
            "cascade_abs": [_nanmean(row) for row in np.asarray(cascade.similarity_abs)],
            # None: every map was constant, so the check says nothing either way
            "passes": (interp.passes_sanity_check(cascade)
                       if np.isfinite(cascade.similarity).any()
                       or np.isfinite(cascade.similarity_abs).any() else None),
        })
    return {"measured": True, "n": len(x), "floor": floor, "rows": rows, "layers": layers,
            "seeds": FLOOR_SEEDS, "steps": len(deleted.fractions) - 1,
            "line": interp.SANITY_LINE}


def _nanmean(values: np.ndarray) -> float | None:
    """Mean over the images where the similarity is defined; None where it never is."""
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else None


# ---- the page -----------------------------------------------------------------------------

def _versions() -> dict[str, str]:
    import keras
    import matplotlib
    import PIL

    import interp

    found = {"interp": interp.__version__, "Keras": keras.__version__,
             "backend": keras.backend.backend()}
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        found["TensorFlow"] = tf.__version__
    found.update({"NumPy": np.__version__, "Matplotlib": matplotlib.__version__,
                  "Pillow": PIL.__version__, "Python": platform.python_version(),
                  "platform": platform.platform(terse=True)})
    return found


def _templates():
    """Return the Jinja2 environment of the report's templates (interp/templates)."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("interp", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )


def _render(context: dict) -> str:
    return _templates().get_template("report.html.j2").render(**context)


def _jsonable(value):
    if isinstance(value, Figure):
        return dataclasses.asdict(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    raise TypeError(f"not serializable: {type(value).__name__}")


def _class_names(func: str, class_names: object, n_classes: int) -> list[str]:
    if func.startswith("interp "):
        func_arg = "classes"
    else:
        func_arg = "class_names"
    if class_names is None:
        return [f"class {i}" for i in range(n_classes)]
    if isinstance(class_names, (str, bytes)) or not isinstance(class_names, Sequence):
        raise TypeError(f"{func}: class_names must be a sequence of {n_classes} strings, got "
                        f"{describe(class_names)}")
    names = [str(name) for name in class_names]
    if len(names) != n_classes:
        raise ReportError(f"{func}: {_arg(func, func_arg)} must give one name per class of "
                          f"the model ({n_classes}), got {len(names)}: {names[:12]}")
    return names


def write_report(
    model: object,
    images: object,
    out: str | os.PathLike,
    *,
    class_names: Sequence[str] | None = None,
    labels: np.ndarray | None = None,
    limit: int = 6,
    layers: Sequence[str] | None = None,
    top_k: int = 9,
    methods: Sequence[str] = DEFAULT_METHODS,
    trust: int = 32,
    batch_size: int = 256,
    command: str | None = None,
    quiet: bool = True,
    func: str = "write_report",
) -> Path:
    """Write one offline HTML page about *model* on *images* to the folder *out*.

    The page has six sections: the model (its layer table and input spec); every
    convolution layer's kernels, the first layer's named by :func:`interp.describe_kernel`
    against its random null; feature maps for a few images; each kernel's top-activating
    patches over all the images, streamed; attribution maps for the first *limit* images
    and their predicted classes, with the measures of which to trust; and how the page was
    made (timings, versions, the command).

    Parameters
    ----------
    model : keras.Model
        A built Sequential or Functional model (nested models included) with one image
        input, one output of class scores and at least one convolution layer.
    images : interp.images.ImageSet or array-like
        The images, as :func:`interp.images.load_images` returns them or as an array
        shaped as the model takes them. Top-activating patches search them all, a batch
        at a time; the other sections use the first few.
    out : path-like
        The folder to write ``index.html``, ``report.json`` and ``figures/`` into. It must
        be new, empty, or an earlier report (which is replaced).
    class_names : sequence of str, optional
        One name per class; default ``"class 0"``, ``"class 1"``, ...
    labels : array of int, optional
        The true class of each image, shown beside the prediction.
    limit : int, default 6
        Images whose attribution maps are drawn (feature maps: at most 3 of them).
    layers : sequence of str, optional
        Restrict the kernel, feature-map and top-activating sections to these convolution
        layers (paths, as ``interp layers`` prints them); default all.
    top_k : int, default 9
        Top-activating images per kernel.
    methods : sequence of str
        Attribution methods, among ``saliency``, ``smoothgrad``,
        ``integrated_gradients``, ``grad_cam``, ``occlusion``, ``guided_backprop``,
        ``input_x_gradient``.
    trust : int, default 32
        Images (the first ones) on which the measures of which map to trust are taken:
        deletion and insertion against random maps, and cascading randomization. 0 skips
        them.
    batch_size : int, default 256
        Images per forward pass.
    command : str, optional
        The command line recorded on the page; default a description of this call.
    quiet : bool, default True
        No progress lines or bars on stderr.
    func : str
        The name used in messages (the command uses ``"interp report"``).

    Returns
    -------
    pathlib.Path
        The written ``index.html``.

    Raises
    ------
    ValueError
        If the model has several inputs or outputs or no convolution layer, a layer is not
        a convolution layer of the model, the class names do not match the classes, or
        *out* is a file or a folder of other files.
    TypeError
        If an argument is of the wrong kind.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> import interp
    >>> from interp.report import write_report
    >>> model = interp.build_model()
    >>> images = np.random.default_rng(0).random((12, 28, 28, 1)).astype("float32")
    >>> folder = tempfile.mkdtemp()
    >>> page = write_report(model, images, f"{folder}/report", limit=2, methods=["saliency"],
    ...                     trust=0)
    >>> sorted(path.name for path in page.parent.iterdir())
    ['figures', 'index.html', 'report.json']

    """
    from ._model import (
        Runner,
        check_model,
        conv_layers,
        input_spec,
        is_graph,
        layer_path,
        pick,
        resolve_output,
    )
    from .images import ImageSet, open_images

    started = time.perf_counter()
    model = check_model(func, model)
    spec = input_spec(func, model)
    if not is_graph(model):
        raise ReportError(f"{func}: model {model.name!r} is a subclassed model; the report "
                          "needs its layers, so rebuild it as a Sequential or Functional "
                          "model")
    outputs = len(model.outputs)
    if outputs > 1:
        raise ReportError(f"{func}: model {model.name!r} has {outputs} outputs; the report "
                          "explains a model with one output of class scores")
    resolve_output(func, model, None)
    n_classes = Runner(func, model).head.n_classes
    class_names = _class_names(func, class_names, n_classes)
    limit = check_int(func, "limit", limit, minimum=1)
    top_k = check_int(func, "top_k", top_k, minimum=1)
    trust = check_int(func, "trust", trust, minimum=0)
    batch_size = check_int(func, "batch_size", batch_size, minimum=1)
    if isinstance(methods, str) or not all(isinstance(m, str) for m in methods):
        raise TypeError(f"{func}: methods must be a sequence of method names, got "
                        f"{describe(methods)}")
    unknown = [m for m in methods if m not in METHOD_NAMES]
    if unknown:
        raise ReportError(f"{func}: unknown attribution methods {unknown}; choose among "
                          f"{', '.join(METHOD_NAMES)}")
    all_convs = conv_layers(model)
    if not all_convs:
        raise ReportError(
            f"{func}: model {model.name!r} has no convolution layer (Conv1D, Conv2D or "
            "Conv3D); the report is about a CNN's kernels, feature maps and top-activating "
            "patches. `interp layers MODEL` lists its layers")
    if layers is None:
        chosen = all_convs
    else:
        if isinstance(layers, str):
            layers = [layers]
        chosen = []
        for which in layers:
            try:
                layer = pick(func, model, which)
            except (ValueError, IndexError, TypeError) as err:
                raise ReportError(str(err).replace(
                    f"{func}: ", f"{func}: {_arg(func, 'layers')}: ", 1)) from err
            if all(layer is not conv for conv in all_convs):
                paths = [layer_path(model, conv) for conv in all_convs]
                raise ReportError(f"{func}: {_arg(func, 'layers')}: layer {which!r} is a "
                                  f"{type(layer).__name__}, not a convolution layer; the "
                                  f"convolution layers are {paths}")
            chosen.append(layer)
    convs = [(layer_path(model, layer), layer) for layer in chosen]
    if not isinstance(images, ImageSet):
        images = open_images(func, "images", np.asarray(images) if not isinstance(
            images, np.ndarray) else images, spec)
    if labels is not None:
        labels = np.asarray(labels)
        if labels.dtype.kind not in "iu" or labels.shape != (len(images),):
            raise ReportError(f"{func}: labels must be one class index per image "
                              f"({len(images)}), got {describe(labels)}")
    out = Path(out).expanduser().absolute()
    _check_destination(func, out)
    out.parent.mkdir(parents=True, exist_ok=True)

    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; a report is an ordinary folder
    try:
        builder = _Builder(func, tmp, quiet)
        page = _build(builder, model, spec, images, convs, class_names, labels, limit, top_k,
                      list(methods), trust, batch_size, command, started)
        (tmp / "index.html").write_text(page, encoding="utf-8")
        _move_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out / "index.html"


def _build(builder: _Builder, model, spec, images, convs, class_names, labels, limit, top_k,
           methods, trust, batch_size, command, started) -> str:
    from ._model import Runner

    runner = Runner(builder.func, model)
    n_classes = runner.head.n_classes
    n_show = min(limit, len(images))
    n_trust = min(trust, len(images))
    n_maps = max(n_show, n_trust)
    k = min(top_k, len(images))
    with builder.step("model"):
        model_info = _model_section(model, spec, images, class_names, n_classes)
        predictions = runner.predict(images[0:n_maps], kind="probabilities",
                                     batch_size=batch_size)
    with builder.step("kernels"):
        kernels = _kernels_section(builder, convs)
    with builder.step("feature maps"):
        maps = _feature_map_section(builder, model, convs, images, min(n_show, MAP_IMAGES),
                                    batch_size)
    with builder.step(f"top-activating ({len(images):,} images)"):
        top = _top_section(builder, model, convs, images, k, batch_size)
    attribution = _attribution_section(builder, model, images, methods, class_names, labels,
                                       n_show, n_maps, batch_size, predictions)
    trust_found = _trust_section(builder, model, attribution, n_trust, batch_size)
    with builder.step("live view"):
        from .live import report_view

        live = report_view(model, images, class_names, labels)
    total = time.perf_counter() - started
    context = {
        "title": f"interp report: {model.name}",
        "model": model_info,
        "kernels": kernels,
        "maps": maps,
        "top": top,
        "top_k": k,
        "attribution": {key: value for key, value in attribution.items()
                        if key not in ("maps", "x", "predicted", "used")},
        "trust": trust_found,
        "live": live,
        "made": {
            "command": command or "interp.report.write_report(...) from Python",
            "timings": [{"step": name, "seconds": seconds} for name, seconds in builder.timings],
            "total": total,
            "peak_memory_mib": _peak_memory_mib(),
            "versions": _versions(),
            "created": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "images": {"source": images.origin,
                       "count": len(images), "shown": n_show},
        },
    }
    record = {"generator": GENERATOR, **{key: context[key] for key in (
        "model", "kernels", "maps", "top", "attribution", "trust", "made")}}
    (builder.folder / MARKER).write_text(json.dumps(record, indent=1, default=_jsonable))
    return _render(context)
