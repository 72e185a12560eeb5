"""One offline HTML page about a user's CNN, from its layers to which attribution maps to trust.

The page shows the layers, kernels, feature maps, top-activating patches and attribution
maps, with the measures that say which maps to trust.

:func:`write_report` composes interp's public functions and plots; it computes nothing of
its own, only chooses, slices and lays out. The page and its images are written to a
temporary folder beside the destination and moved into place at the end, so an
interrupted run leaves nothing half-written; in a folder that holds an earlier report,
only that report's own files are replaced (report.json lists them). The page loads
nothing from other hosts and opens from ``file://``. The ``interp report`` command
(:mod:`interp.cli`) is a front end to this function.
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
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from . import _folder, _interrupt
from ._text import printable
from ._validate import check_int, check_number, describe

#: The marker that says a folder holds a report this module wrote (and may replace).
MARKER = "report.json"
GENERATOR = "interp report"
#: Attribution methods the report can draw, by the name the command line uses.
METHOD_NAMES = ("saliency", "smoothgrad", "integrated_gradients", "grad_cam", "occlusion",
                "guided_backprop", "input_x_gradient")
DEFAULT_METHODS = ("saliency", "smoothgrad", "integrated_gradients", "grad_cam", "occlusion")
#: Kernels per figure, and how many input channels of a layer are drawn (of a 1x1
#: convolution, whose kernels are drawn as one matrix of weights: more).
KERNELS_PER_FIGURE = 16
DEEP_CHANNELS = 8
MATRIX_CHANNELS = 16
#: Kernels per layer drawn in the kernel, feature-map and top-activating sections (--kernels).
KERNELS = 16
#: Channels drawn per feature-map figure, and images whose feature maps are drawn.
MAP_CHANNELS = 32
MAP_IMAGES = 3
#: Kernels per top-activating figure, and the largest side of a patch drawn there (pixels;
#: larger patches are shrunk by averaging).
PATCH_ROWS = 16
PATCH_PIXELS = 64
#: At most this many images get their attribution maps drawn (--limit), this many per figure.
MAX_LIMIT = 32
ATTRIBUTION_ROWS = 8
#: No figure is saved larger than this many pixels on a side.
MAX_FIGURE_SIDE = 3600
#: Seconds the report aims to take (--budget), and what it keeps back for the page itself.
BUDGET = 150.0
RESERVE = 5.0
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
            print(printable(f"{self.func}: {text}"), file=sys.stderr, flush=True)

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        _interrupt.check()  # a Ctrl-C lost in a garbage-collection callback stops the run here
        self.say(f"{name} ...")
        started = time.perf_counter()
        yield
        _interrupt.check()
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
        inches = max(fig.get_size_inches())
        # A figure larger than the bound is saved at a lower resolution, shown as large.
        dpi = min(DPI, (MAX_FIGURE_SIDE - 2) / inches)
        try:
            fig.savefig(path, dpi=dpi, facecolor="white")
        finally:
            plt.close(fig)
        _interrupt.check()
        with Image.open(path) as image:
            width, height = image.size
        scale = 96 / dpi
        return Figure(f"figures/{stem}.png", alt, round(width * scale), round(height * scale))


# ---- the destination --------------------------------------------------------------------
#
# A report folder may hold other files: the user's notes, a project. Only the files an
# earlier report wrote are ever removed, and only when they are byte for byte as it wrote
# them: report.json lists them with their sizes and SHA-256 ("files"). The new report is
# built in a hidden sibling folder and moved in file by file at the end; until then the
# folder is not touched, so a failed or interrupted run leaves the old report whole.

#: The paths (inside the folder) of the files a report writes besides report.json: only
#: these may be listed in its manifest, so a report.json copied into a project, or made up,
#: can never name the project's own files.
REPORT_FILES = re.compile(r"index\.html|figures/[A-Za-z0-9_-]+\.png")


class ReportWarning(UserWarning):
    """A file of an earlier report was changed since it was written: it is kept, not replaced."""


# The rules of --out (interp._folder): a new or empty folder, or an earlier report's, whose
# files are replaced only where they are still as the report wrote them.
_OUTPUT = _folder.Output(
    marker=MARKER, generator=GENERATOR, files=REPORT_FILES, noun="report",
    named="interp report", author="an interp report",
    unlisted="was written by an older interp, which did not list the files it wrote",
    folders=("figures",), error=ReportError, warning=ReportWarning)


def _check_destination(func: str, out: Path) -> _folder.Previous | None:
    """Refuse, before any work, a destination that is not ours to write into.

    Returns the earlier report found there (``None`` for a new or empty folder).
    """
    return _folder.check(_OUTPUT, func, out, ["index.html"], _arg(func, "out"))


def _move_into_place(func: str, tmp: Path, out: Path) -> None:
    """Put the report built in *tmp* into *out*, replacing only the earlier report's files.

    See :func:`interp._folder.move_into_place`; a kept file is warned about at the
    caller of :func:`write_report`.
    """
    _folder.move_into_place(_OUTPUT, func, tmp, out, _arg(func, "out"), stacklevel=4)


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


def _kernel_figures(builder: _Builder, path: str, kernels: np.ndarray, chosen: list[int],
                    first: bool, n_channels: int) -> list[Figure]:
    from .plotting import plot_kernels

    figures = []
    shown = kernels[:, :, :n_channels, chosen]
    peak = float(np.abs(shown).max())
    limit = peak if peak > 0 else None  # one scale for every figure of the layer
    n_kernels = len(chosen)
    chunks = -(-n_kernels // KERNELS_PER_FIGURE)
    edges = np.linspace(0, n_kernels, chunks + 1).round().astype(int)
    small = kernels.shape[0] * kernels.shape[1] <= 25
    for start, stop in itertools.pairwise(edges):
        names = [f"kernel {k}" for k in chosen[start:stop]]
        low = chosen[start]
        title = f"{path}: kernels" if n_kernels == kernels.shape[3] else \
            f"{path}: {n_kernels} of its {kernels.shape[3]} kernels"
        if chunks > 1:
            title += f" (figure {len(figures) + 1} of {chunks})"
        fig = plot_kernels(shown[:, :, :, start:stop], kernel_names=names,
                           annotate=first and small and n_kernels <= 8, title=title,
                           vmax=limit)
        figures.append(builder.save(
            fig, f"kernels-{path}-{low}",
            f"Kernels {', '.join(str(k) for k in chosen[start:stop])} of layer {path}, one "
            "column per kernel and one row per input channel, drawn red for positive and "
            "blue for negative weights"))
    return figures


def _matrix_figure(builder: _Builder, path: str, kernels: np.ndarray, chosen: list[int],
                   n_channels: int) -> Figure:
    """Draw the 1x1 kernels of a layer as one matrix of weights.

    A row per input channel and a column per kernel: one heat map instead of a grid of
    one-cell panels.
    """
    import matplotlib.pyplot as plt

    from .plotting import plot_kernel

    matrix = kernels[0, 0, :n_channels, chosen]
    fig, ax = plt.subplots(figsize=(1.6 + 0.32 * len(chosen), 1.2 + 0.32 * n_channels),
                           layout="constrained")
    plot_kernel(matrix, ax=ax, annotate=False,
                title=f"{path}: 1x1 kernels, {len(chosen)} of {kernels.shape[3]}")
    ax.set_xticks(range(len(chosen)), [str(k) for k in chosen], fontsize=8, rotation=90)
    ax.set_yticks(range(n_channels), [str(c) for c in range(n_channels)], fontsize=8)
    ax.set_xlabel("kernel")
    ax.set_ylabel("input channel")
    return builder.save(
        fig, f"kernels-{path}-{chosen[0]}",
        f"The 1x1 kernels {', '.join(str(k) for k in chosen)} of layer {path} as one matrix "
        "of weights, one column per kernel and one row per input channel, red for positive "
        "and blue for negative weights")


def _kernels_section(builder: _Builder, convs: list[tuple[str, object]], first_conv,
                     chosen: dict[str, list[int]]) -> list[dict]:
    """Draw the chosen kernels of each layer; name those of the model's first convolution."""
    from .describe import PERCENTILE, describe_kernel
    from .kernels import get_kernels

    layers = []
    for path, layer in convs:
        entry = {"path": path, "slug": _slug(path), "type": type(layer).__name__,
                 "figures": [], "verdicts": [], "note": "", "shape": None, "shown": []}
        if layer.rank != 2:
            entry["note"] = (f"{type(layer).__name__} kernels are not drawn: interp draws "
                             "and describes 2-D kernels only.")
            layers.append(entry)
            continue
        kernels, _ = get_kernels(layer)
        kh, kw, n_in, n_out = kernels.shape
        entry["shape"] = _shape(kernels.shape)
        first = layer is first_conv
        picked = chosen[path]
        entry["shown"] = list(picked)
        if kh == kw == 1:
            n_channels = min(n_in, MATRIX_CHANNELS)
            entry["figures"] = [_matrix_figure(builder, path, kernels, picked, n_channels)]
        else:
            n_channels = min(n_in, DEEP_CHANNELS)
            entry["figures"] = _kernel_figures(builder, path, kernels, picked, first,
                                               n_channels)
        if len(picked) < n_out or n_channels < n_in:
            entry["note"] = (f"A summary: {len(picked)} of the {n_out} kernels (the rule is "
                             f"in the plan, section 6) and input channels 0-{n_channels - 1} "
                             f"of {n_in} are drawn. Use interp.plot_kernels(interp.pick_layer("
                             f"model, {path!r})) to draw them all.")
        if first:
            initializer = layer.kernel_initializer
            init_name = type(initializer).__name__
            for k in picked:
                for c in range(n_channels):
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
                         batch_size: int, chosen: dict[str, list[int]]) -> list[dict]:
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
        picked = chosen[path]
        entry["shape"] = _shape(maps[path].shape[1:])
        if len(picked) < channels:
            entry["note"] = (f"{len(picked)} of the {channels} channels are drawn, those of "
                             "the kernels drawn above; interp.feature_maps(model, images, "
                             f"{path!r}) returns them all.")
        entry["range"] = [float(out.min()), float(out.max())]
        for i in range(len(x)):
            for start in range(0, len(picked), MAP_CHANNELS):
                part = picked[start:start + MAP_CHANNELS]
                fig = plot_feature_maps(out[i][:, :, part], shown[i], ncols=8,
                                        channel_names=[f"channel {j}" for j in part],
                                        title=f"{path}, image {images.names[i]}")
                entry["figures"].append(builder.save(
                    fig, f"maps-{path}-{i}",
                    f"Feature maps of layer {path} for image {images.names[i]}, one panel "
                    "per channel on one colour scale"))
        layers.append(entry)
    return layers


def _top_search(builder: _Builder, model, convs, images, k: int, batch_size: int) -> dict:
    """Every 2-D layer's top *k* images per kernel, from one streamed pass over the images."""
    from ._model import Runner
    from .activations import _top_many

    two_d = [(path, layer) for path, layer in convs if layer.rank == 2]
    if not two_d:
        return {}
    runner = Runner(builder.func, model, graph=True)
    tops = _top_many(runner, [layer for _, layer in two_d], images, k, batch_size,
                     quiet=builder.quiet)
    return {path: top for (path, _), top in zip(two_d, tops, strict=True)}


def _shrink(patches: np.ndarray, rgb: bool, side: int) -> np.ndarray:
    """Shrink patches ``(..., h, w)`` or ``(..., h, w, 3)`` (*rgb*) to at most *side* pixels.

    By area averaging (Pillow's box filter); patches that fit are returned as they are.
    """
    from PIL import Image

    h, w = patches.shape[-3:-1] if rgb else patches.shape[-2:]
    if max(h, w) <= side:
        return patches
    factor = max(h, w) / side
    width, height = max(1, round(w / factor)), max(1, round(h / factor))
    lead = patches.shape[:-3] if rgb else patches.shape[:-2]
    flat = patches.reshape(-1, h, w, 3) if rgb else patches.reshape(-1, h, w, 1)
    out = np.empty((len(flat), height, width, flat.shape[-1]), dtype=np.float32)
    for i, patch in enumerate(flat):
        for c in range(flat.shape[-1]):
            plane = Image.fromarray(np.ascontiguousarray(patch[:, :, c], dtype=np.float32))
            out[i, :, :, c] = np.asarray(plane.resize((width, height), Image.Resampling.BOX))
    return out.reshape(*lead, height, width, 3) if rgb else \
        out[..., 0].reshape(*lead, height, width)


def _top_section(builder: _Builder, model, convs, images, k: int, found: dict,
                 chosen: dict[str, list[int]], seconds: float) -> list[dict]:
    from .activations import TopActivations, crop_patches, receptive_field
    from .plotting import plot_patches

    layers = []
    for path, layer in convs:
        entry = {"path": path, "slug": _slug(path), "figures": [], "note": "", "kernels": [],
                 "field": None, "seconds": None, "silent": "", "shrunk": None}
        if layer.rank != 2:
            entry["note"] = (f"top_activating works on 2-D convolutions; {path} is a "
                             f"{type(layer).__name__}.")
            layers.append(entry)
            continue
        entry["seconds"] = seconds
        picked = chosen[path]
        top = TopActivations(*(part[picked] for part in found[path]))
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
            if patches.shape[-1] == 1:
                patches = patches[..., 0]
            entry["field"] = f"{field.size[0]}x{field.size[1]} pixels"
        else:
            patches = pictures[local.indices]
        rgb = patches.ndim == 5
        h, w = patches.shape[-3:-1] if rgb else patches.shape[-2:]
        patches = _shrink(patches, rgb, PATCH_PIXELS)
        drawn = patches.shape[-3:-1] if rgb else patches.shape[-2:]
        if tuple(drawn) != (h, w):
            entry["shrunk"] = f"{h}x{w} pixels shown at {drawn[0]}x{drawn[1]}"
        silent = [j for row, j in enumerate(picked) if top.values[row, 0] <= 0]
        if silent:
            which = ", ".join(str(j) for j in silent)
            many = len(silent) > 1
            entry["silent"] = (
                f"Kernel{'s' if many else ''} {which} never rise{'' if many else 's'} "
                f"above 0 on any of the {len(images):,} images (the highest value is at most "
                "0): their rows are ties, shown in image order, and say nothing about "
                "what the kernel detects.")
        what = "patches" if field is not None else "images"
        for start in range(0, len(picked), PATCH_ROWS):
            stop = min(start + PATCH_ROWS, len(picked))
            labels = [f"kernel {picked[row]}: {top.values[row, 0]:.3g}"
                      for row in range(start, stop)]
            fig = plot_patches(patches[start:stop], row_labels=labels,
                               title=f"{path}: the {k} {what} that drive each kernel hardest")
            entry["figures"].append(builder.save(
                fig, f"top-{path}-{picked[start]}",
                f"For kernels {', '.join(str(j) for j in picked[start:stop])} of layer "
                f"{path}, the {k} {what} out of {len(images)} images with the highest "
                "activation, strongest first"))
        for row, j in enumerate(picked):
            entry["kernels"].append({
                "kernel": j, "images": [images.names[i] for i in top.indices[row]],
                "indices": top.indices[row].tolist(),
                "values": [round(float(v), 6) for v in top.values[row]],
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


def _methods(plan) -> dict[str, _Method]:
    """Return the attribution methods with the plan's settings (:class:`interp._plan.Plan`)."""
    from . import attribution as a

    patch, stride, samples, steps = plan.patch, plan.stride, plan.samples, plan.steps

    def integrated(model, x, target, batch_size):
        return a.integrated_gradients(model, x, target, steps=steps, batch_size=batch_size)[0]

    return {
        "saliency": _Method("saliency", "saliency", True,
                            lambda m, x, t, b: a.saliency(m, x, t, batch_size=b),
                            "gradient of the class logit, summed over channels"),
        "smoothgrad": _Method("smoothgrad", "SmoothGrad", True,
                              lambda m, x, t, b: a.smoothgrad(m, x, t, samples=samples,
                                                              batch_size=b),
                              f"{samples} noisy copies, noise 0.15 of each image's range, "
                              "seed 0"),
        "integrated_gradients": _Method("integrated_gradients", "integrated gradients", True,
                                        integrated, f"{steps} steps from a black image"),
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


def _attribution_section(builder: _Builder, model, images, plan, class_names, labels,
                         batch_size: int, predictions: np.ndarray) -> dict:
    """Draw the maps of the first ``plan.n_show`` images; compute them for ``plan.n_maps``."""
    import matplotlib.pyplot as plt

    from .plotting import plot_attributions

    registry = _methods(plan)
    n_show = plan.n_show
    x = images[0:plan.n_maps]
    shown = _display(images, slice(0, n_show))
    predicted = predictions[:plan.n_maps].argmax(axis=1)
    maps: dict[str, np.ndarray] = {}
    used, notes = [], []
    for key in plan.methods:
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
    columns = 1 + len(used)
    for start in range(0, n_show if used else 0, ATTRIBUTION_ROWS):
        stop = min(start + ATTRIBUTION_ROWS, n_show)
        fig, axes = plt.subplots(stop - start, columns, squeeze=False,
                                 figsize=(1.6 * columns, 2.05 * (stop - start)),
                                 layout="constrained")
        fig.get_layout_engine().set(h_pad=0.06)
        for i in range(start, stop):
            row = rows[i]
            title = f"{row['predicted']} {row['probability']:.0%}"
            plot_attributions(shown[i], {m.title: maps[m.key][i] for m in used},
                              signed={m.title: m.signed for m in used},
                              axes=list(axes[i - start]), title=title, colorbar=False)
        figures.append(builder.save(
            fig, f"attributions-{start}" if start else "attributions",
            f"One row per image (images {start + 1} to {stop}): the image with its predicted "
            "class and probability, then each method's map for that class; signed maps red "
            "for positive and blue for negative, Grad-CAM white to red"))
    return {"rows": rows, "figures": figures, "notes": notes,
            "methods": [{"key": m.key, "title": m.title, "signed": m.signed,
                         "settings": m.settings} for m in used],
            "maps": maps, "x": x, "predicted": predicted, "used": used}


def _weighted_paths(model) -> list[tuple[str, object]]:
    """Return the layers with weights, in the model's order (what the cascade randomizes)."""
    import keras

    from ._model import walk

    return [(path, layer) for path, layer in walk(model)
            if not isinstance(layer, keras.Model) and layer.weights]


def _cascade_layers(model, count: int) -> list[str] | None:
    """Return the layers the cascade randomizes: all (None), or *count* paths.

    The *count* are chosen among the layers with a kernel, spread from the output down
    (the output layer and the first always among them).
    """
    from ._plan import spread

    weighted = _weighted_paths(model)
    if count >= len(weighted):
        return None
    kernels = [path for path, layer in weighted
               if hasattr(layer, "kernel") or hasattr(layer, "depthwise_kernel")]
    candidates = (kernels if len(kernels) >= count else [p for p, _ in weighted])[::-1]
    return [candidates[i] for i in spread(len(candidates), count)]


def _trust_section(builder: _Builder, model, attribution: dict, plan, trust: int,
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
    if not used or plan.n_curves == 0:
        why = ("no attribution maps" if not used else
               "the plan (section 6) left them out to fit the time" if trust
               else "no images for the measures (--trust 0)")
        return {"measured": False, "note": f"Not measured: {why}."}
    n = plan.n_curves
    x = attribution["x"][:n]
    targets = attribution["predicted"][:n]
    some_map = attribution["maps"][used[0].key][:n]
    steps = plan.curve_steps
    floor = {"deletion": [], "insertion": []}
    with builder.step(f"which to trust: {plan.floor_seeds} random maps"):
        for seed in range(plan.floor_seeds):
            noise = np.random.default_rng(seed).random(some_map.shape).astype(np.float32)
            floor["deletion"].append(float(np.mean(interp.deletion(
                model, x, noise, targets, steps=steps, batch_size=batch_size).auc)))
            floor["insertion"].append(float(np.mean(interp.insertion(
                model, x, noise, targets, steps=steps, batch_size=batch_size).auc)))
    chosen_layers = _cascade_layers(model, plan.cascade_layers)
    n_weighted = len(_weighted_paths(model))
    x_cascade = attribution["x"][:plan.n_cascade]
    targets_cascade = attribution["predicted"][:plan.n_cascade]
    rows, layers = [], None
    for method in used:
        maps = attribution["maps"][method.key][:n]
        with builder.step(f"which to trust: {method.title}"):
            deleted = interp.deletion(model, x, maps, targets, steps=steps,
                                      batch_size=batch_size)
            inserted = interp.insertion(model, x, maps, targets, steps=steps,
                                        batch_size=batch_size)
            cascade = None
            if method.key in plan.cascade_methods and plan.n_cascade and plan.cascade_layers:
                def explain(m, images, target=None, _method=method, **_):
                    return _method.call(m, images, target, batch_size)

                cascade = interp.cascading_randomization(
                    model, x_cascade, targets_cascade, method=explain, layers=chosen_layers,
                    seed=0, batch_size=batch_size)
        deletion_auc = float(np.mean(deleted.auc))
        insertion_auc = float(np.mean(inserted.auc))
        row = {
            "title": method.title,
            "deletion": deletion_auc,
            "insertion": insertion_auc,
            "below_floor": deletion_auc < min(floor["deletion"]),
            "above_floor": insertion_auc > max(floor["insertion"]),
            "cascade": None, "cascade_abs": None, "passes": None, "cascade_run": False,
        }
        if cascade is not None:
            layers = list(cascade.layers)
            row.update({
                "cascade_run": True,
                "cascade": [_nanmean(r) for r in np.asarray(cascade.similarity)],
                "cascade_abs": [_nanmean(r) for r in np.asarray(cascade.similarity_abs)],
                # None: every map was constant, so the check says nothing either way
                "passes": (interp.passes_sanity_check(cascade)
                           if np.isfinite(cascade.similarity).any()
                           or np.isfinite(cascade.similarity_abs).any() else None),
            })
        rows.append(row)
    return {"measured": True, "n": len(x), "n_cascade": len(x_cascade), "floor": floor,
            "rows": rows, "layers": layers, "n_weighted": n_weighted,
            "all_layers": chosen_layers is None,
            "seeds": plan.floor_seeds, "steps": len(deleted.fractions) - 1,
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
    kernels: int = KERNELS,
    budget: float | None = BUDGET,
    batch_size: int = 256,
    command: str | None = None,
    quiet: bool = True,
    func: str = "write_report",
) -> Path:
    """Write one offline HTML page about *model* on *images* to the folder *out*.

    The page has six sections: the model (its layer table and input spec); the kernels of
    the convolution layers shown, the model's first convolution's named by
    :func:`interp.describe_kernel` against its random null; feature maps for a few images;
    each kernel's top-activating patches over all the images, from one streamed pass;
    attribution maps for the first *limit* images and their predicted classes, with the
    measures of which to trust; and how the page was made (the plan, timings, versions,
    the command).

    A model with many convolution layers shows some of them (the first, and the deepest
    of each size of feature map), and each layer shows its *kernels* strongest kernels.
    The costly sections (attribution and the measures of which to trust) are planned by
    the model's measured cost per image to fit in *budget*: when the full settings do not
    fit, images, samples, steps and randomized layers are cut, down a fixed ladder, and
    the page states each cut (:mod:`interp._plan`).

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
        The folder to write ``index.html``, ``report.json`` and ``figures/`` into: new,
        empty, or one that holds an earlier report. There, only the files that report
        wrote (listed in its ``report.json`` with their sizes and SHA-256) are replaced,
        and only those unchanged since; everything else in the folder is kept.
    class_names : sequence of str, optional
        One name per class; default ``"class 0"``, ``"class 1"``, ...
    labels : array of int, optional
        The true class of each image, shown beside the prediction.
    limit : int, default 6
        Images whose attribution maps are drawn, at most 32 (feature maps: at most 3 of
        them).
    layers : sequence of str, optional
        The convolution layers of the kernel, feature-map and top-activating sections
        (paths, as ``interp layers`` prints them). Default: all of them when the model has
        at most 6; otherwise its first convolution and, for each size of feature map, the
        deepest convolution that outputs it.
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
    kernels : int, default 16
        Kernels drawn per layer in the kernel, feature-map and top-activating sections:
        those whose activation peaks highest over all the images.
    budget : float or None, default 150
        Seconds the report aims to take. The attribution and trust sections are planned
        to fit in what the sections before them leave; None: full settings, whatever the
        time.
    batch_size : int, default 256
        Images per forward pass, at most; fewer for a model whose layer outputs would take
        more than 1.5 GiB for that many images.
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
        *out* is a file, a folder of other files without a report, or the report would
        overwrite a file there that no report wrote or that was changed since (the
        message names it; nothing is changed).
    TypeError
        If an argument is of the wrong kind.
    KeyboardInterrupt
        On Ctrl-C, also one that Python would otherwise drop (raised in a garbage
        collection callback): the earlier report in *out* is left as it was.

    Warns
    -----
    ReportWarning
        When a file of the earlier report was changed since it was written and the new
        report does not write one of that name: it is kept.

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
    if limit > MAX_LIMIT:
        raise ReportError(f"{func}: {_arg(func, 'limit')} must be at most {MAX_LIMIT} (the "
                          f"images whose attribution maps are drawn), got {limit}")
    kernels = check_int(func, "kernels", kernels, minimum=1)
    if budget is not None:
        budget = check_number(func, "budget", budget, minimum=0.0, strict_minimum=True)
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
    layer_rule = "chosen with " + _arg(func, "layers")
    if layers is None:
        chosen, layer_rule = _default_layers(all_convs)
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
    # the first images are read in every section: image files among them are decoded once
    images = images._keeping(min(max(limit, trust), len(images)))

    with _interrupt.catching():
        tmp = _folder.staging(out)
        try:
            builder = _Builder(func, tmp, quiet)
            settings = _Settings(limit=limit, top_k=top_k, methods=tuple(methods), trust=trust,
                                 kernels=kernels, budget=budget, batch_size=batch_size,
                                 layer_rule=layer_rule, all_convs=all_convs)
            page = _build(builder, model, spec, images, convs, class_names, labels, settings,
                          command, started)
            (tmp / "index.html").write_text(page, encoding="utf-8")
            _write_manifest(tmp)
            _interrupt.check()
            _move_into_place(func, tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return out / "index.html"


def _write_manifest(folder: Path) -> None:
    """Add to report.json the files the report wrote, with their sizes and SHA-256."""
    path = folder / MARKER
    record = json.loads(path.read_text(encoding="utf-8"))
    record["files"] = _folder.manifest(_OUTPUT, folder)
    path.write_text(json.dumps(record, indent=1), encoding="utf-8")


@dataclasses.dataclass(frozen=True)
class _Settings:
    """What :func:`write_report` was asked for, checked."""

    limit: int
    top_k: int
    methods: tuple[str, ...]
    trust: int
    kernels: int
    budget: float | None
    batch_size: int
    layer_rule: str
    all_convs: list


def _default_layers(all_convs: list) -> tuple[list, str]:
    """Return the convolution layers shown when --layers is not given, and the rule."""
    from ._model import output_shape
    from ._plan import choose_layers

    sizes = []
    for layer in all_convs:
        shape = output_shape(layer)
        if layer.rank != 2 or shape is None or isinstance(shape[0], tuple) or len(shape) != 3:
            sizes.append(None)
            continue
        sizes.append(shape[1:] if layer.data_format == "channels_first" else shape[:2])
    indices, rule = choose_layers(sizes)
    return [all_convs[i] for i in indices], rule


def _per_image_bytes(model, image_shape: tuple[int, ...]) -> float:
    """Return the float32 bytes of every layer's output for one image (open sizes: the image's)."""
    import keras

    from ._model import output_shape, walk

    side = max(image_shape)
    total = 0
    for _, layer in walk(model):
        if isinstance(layer, (keras.Model, keras.layers.InputLayer)):
            continue
        shape = output_shape(layer)
        if shape is None:
            continue
        for one in (shape if shape and isinstance(shape[0], tuple) else [shape]):
            total += int(np.prod([side if d is None else d for d in one]))
    return 4.0 * total


def _measure_costs(runner, images, batch: int):
    """Time a forward pass and an input gradient, per image, on the first few *images*.

    Each is called twice and the second call timed; the first gradient call's extra time
    is the cost of compiling a function. A cheap model is timed again on twice as many
    images, up to *batch*, until a gradient call takes :data:`MEASURE_SECONDS`: on a few
    images its cost would be mostly the cost of a call. The gradient is the predicted
    class's, as the attribution methods take it.
    """
    from ._plan import Costs

    def timed(call, *args, **kwargs) -> float:
        call(*args, **kwargs)  # compiles, for a new batch size on JAX
        started = time.perf_counter()
        call(*args, **kwargs)
        return time.perf_counter() - started

    # Only the images the report keeps in memory (its first few, decoded once) are used.
    kept = getattr(images, "_keep", None) or batch
    most = min(batch, len(images), max(COST_IMAGES, kept))
    n = min(COST_IMAGES, most)
    compile_seconds = None
    pool = images[0:n]  # read once, not again as the batch grows
    while True:
        if len(pool) < n:
            pool = np.concatenate([pool, images[len(pool):n]])
        x = pool[:n]
        targets = runner.predict(x, kind="probabilities", batch_size=n).argmax(axis=1)
        forward = timed(runner.predict, x, kind="probabilities", batch_size=n)
        if compile_seconds is None:
            started = time.perf_counter()
            runner.gradient(x, targets)
            first = time.perf_counter() - started
        gradient = timed(runner.gradient, x, targets)
        if compile_seconds is None:
            compile_seconds = max(first - gradient, 0.0)
        if gradient >= MEASURE_SECONDS or n >= most:
            return Costs(forward=forward / n, gradient=gradient / n, compile=compile_seconds), n
        n = min(2 * n, most)


#: Images the costs are measured on, at first, and how long a measured gradient call
#: should take.
COST_IMAGES = 4
MEASURE_SECONDS = 0.25


def _build(builder: _Builder, model, spec, images, convs, class_names, labels,
           settings: _Settings, command, started) -> str:
    from ._model import Runner, layer_path
    from ._plan import Request, choose_batch, choose_kernels, plan_work

    runner = Runner(builder.func, model)
    n_classes = runner.head.n_classes
    n_show = min(settings.limit, len(images))
    n_trust = min(settings.trust, len(images))
    k = min(settings.top_k, len(images))
    image_shape = tuple(images[0:1].shape[1:])  # the real size, for a model of any size
    map_shape = tuple(image_shape[a] for a in spec.spatial_axes)
    per_image = _per_image_bytes(model, image_shape)
    batch = choose_batch(per_image, settings.batch_size)
    with builder.step("model"):
        model_info = _model_section(model, spec, images, class_names, n_classes)
        predictions = runner.predict(images[0:n_show], kind="probabilities",
                                     batch_size=batch)
    with builder.step("measuring the model's cost"):
        costs, n_measured = _measure_costs(runner, images, batch)
    two_d = [path for path, layer in convs if layer.rank == 2]
    with builder.step(f"top-activating search ({len(images):,} images, {len(two_d)} layers, "
                      "one pass)"):
        started_top = time.perf_counter()
        found = _top_search(builder, model, convs, images, k, batch)
        top_seconds = time.perf_counter() - started_top
    chosen = {}
    for path, layer in convs:
        if path in found:
            chosen[path] = choose_kernels(found[path].values[:, 0], settings.kernels)
        else:
            chosen[path] = list(range(min(getattr(layer, "filters", 0) or 0,
                                          settings.kernels)))
    first_conv = settings.all_convs[0]
    with builder.step("kernels"):
        kernels = _kernels_section(builder, convs, first_conv, chosen)
    with builder.step("feature maps"):
        maps = _feature_map_section(builder, model, convs, images, min(n_show, MAP_IMAGES),
                                    batch, chosen)
    with builder.step("top-activating patches"):
        top = _top_section(builder, model, convs, images, k, found, chosen, top_seconds)
    elapsed = time.perf_counter() - started
    left = None if settings.budget is None else max(settings.budget - elapsed - RESERVE, 0.0)
    request = Request(methods=settings.methods, n_show=n_show, n_trust=n_trust,
                      map_size=(map_shape[0], map_shape[1]) if len(map_shape) >= 2
                      else (map_shape[0], 1),
                      n_weighted=len(_weighted_paths(model)), budget=left)
    plan = plan_work(request, costs)
    if plan.n_maps > len(predictions):  # the images the measures need besides those drawn
        more = runner.predict(images[len(predictions):plan.n_maps], kind="probabilities",
                              batch_size=batch)
        predictions = np.concatenate([predictions, more])
    attribution = _attribution_section(builder, model, images, plan, class_names, labels,
                                       batch, predictions)
    trust_found = _trust_section(builder, model, attribution, plan, n_trust, batch)
    with builder.step("live view"):
        from .live import report_view

        live = report_view(model, images, class_names, labels)
    total = time.perf_counter() - started
    plan_info = _plan_info(plan, request, costs, settings, convs, chosen, found, batch,
                           per_image, len(images), k, elapsed, n_measured)
    plan_info["first_conv"] = layer_path(model, first_conv)
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
        "plan": plan_info,
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
        "model", "kernels", "maps", "top", "attribution", "trust", "plan", "made")}}
    (builder.folder / MARKER).write_text(json.dumps(record, indent=1, default=_jsonable))
    return _render(context)


def _plan_info(plan, request, costs, settings: _Settings, convs, chosen, found, batch: int,
               per_image: float, n_images: int, k: int, elapsed: float,
               n_measured: int) -> dict:
    """Return the plan as the page states it: per section, what was done and why."""
    from ._plan import ACTIVATION_MEMORY, KERNEL_RULE, TITLES, full_plan

    full = full_plan(request)
    names = TITLES
    planned = "cut to fit the time (the cuts are listed below)"

    def of(done, whole) -> str:
        return f"{done}" if done == whole else f"{done} of {whole}"

    n_all = len(settings.all_convs)
    per_layer = ", ".join(f"{path} {of(len(chosen[path]), getattr(layer, 'filters', 0))}"
                          for path, layer in convs)
    rows = [
        {"section": "Layers shown (sections 2-4)",
         "done": f"{of(len(convs), n_all)} convolution layers: "
                 + ", ".join(path for path, _ in convs),
         "why": f"the rule: {settings.layer_rule}", "full": ""},
        {"section": "Kernels per layer (sections 2-4)",
         "done": f"at most {settings.kernels} a layer: {per_layer}",
         "why": f"the rule: {KERNEL_RULE.format(n=settings.kernels)}", "full": ""},
        {"section": "Images per pass",
         "done": f"{batch}",
         "why": (f"{per_image / 2**20:,.1f} MiB of layer outputs an image, at most "
                 f"{ACTIVATION_MEMORY / 2**30:g} GiB at once"
                 if batch < settings.batch_size else "--batch-size"), "full": ""},
        {"section": "Top-activating search (section 4)",
         "done": f"all {n_images:,} images, {len(found)} layers in one pass, {k} per kernel",
         "why": "always all the images: the search keeps only the running top k", "full": ""},
    ]
    settings_done = []
    settings_full = []
    for key in plan.methods:
        if key == "smoothgrad":
            settings_done.append(f"SmoothGrad {plan.samples} samples")
            settings_full.append(f"SmoothGrad {full.samples} samples")
        elif key == "integrated_gradients":
            settings_done.append(f"integrated gradients {plan.steps} steps")
            settings_full.append(f"integrated gradients {full.steps} steps")
        elif key == "occlusion":
            settings_done.append(f"occlusion {plan.patch}x{plan.patch} in steps of "
                                 f"{plan.stride}")
            settings_full.append(f"occlusion {full.patch}x{full.patch} in steps of "
                                 f"{full.stride}")
    methods = ", ".join(names[m] for m in plan.methods)
    rows.append({
        "section": "Attribution maps (section 5)",
        "done": f"{methods} on {plan.n_maps} images ({plan.n_show} drawn)"
                + (f"; {', '.join(settings_done)}" if settings_done else ""),
        "full": f"{full.n_maps} images" + (f"; {', '.join(settings_full)}"
                                           if settings_full else ""),
        "why": "full settings" if (plan.n_maps, settings_done) == (full.n_maps, settings_full)
               else planned})
    if request.n_trust:
        rows.append({
            "section": "Deletion and insertion",
            "done": f"{plan.n_curves} images, {plan.curve_steps} steps, {plan.floor_seeds} "
                    "random maps" if plan.n_curves else "not run",
            "full": f"{full.n_curves} images, {full.curve_steps} steps, {full.floor_seeds} "
                    "random maps",
            "why": "full settings" if (plan.n_curves, plan.curve_steps, plan.floor_seeds) == (
                full.n_curves, full.curve_steps, full.floor_seeds) else planned})
        left_out = [names[m] for m in plan.methods if m not in plan.cascade_methods]
        n_layers = min(plan.cascade_layers, request.n_weighted)
        if plan.cascade_methods and plan.n_cascade:
            cascade_done = (f"{plan.n_cascade} images, {of(n_layers, request.n_weighted)} "
                            "layers with weights; "
                            + ", ".join(names[m] for m in plan.cascade_methods)
                            + (f" (not run: {', '.join(left_out)})" if left_out else ""))
        else:
            cascade_done = "not run"
        rows.append({
            "section": "Cascading randomization",
            "done": cascade_done,
            "full": f"{full.n_cascade} images, all {request.n_weighted} layers with weights, "
                    "every method",
            "why": "full settings" if (plan.n_cascade, plan.cascade_layers,
                                       plan.cascade_methods) == (
                full.n_cascade, full.cascade_layers, full.cascade_methods) else planned})
    return {
        "rows": rows,
        "cuts": [{"what": c.what, "before": c.before, "after": c.after} for c in plan.cuts],
        "full": not plan.cuts,
        "estimate": plan.estimate, "full_estimate": plan.full_estimate,
        "over_budget": plan.over_budget,
        "budget": settings.budget, "left": request.budget, "elapsed": elapsed,
        "costs": {"forward_ms": 1000 * costs.forward, "gradient_ms": 1000 * costs.gradient,
                  "compile_s": costs.compile, "images": n_measured},
        "settings": dataclasses.asdict(plan) | {"n_maps": plan.n_maps},
    }
