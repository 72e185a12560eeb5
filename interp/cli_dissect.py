"""``interp dissect MODEL --images PATH --out DIR``: :func:`interp.dissect` as a command.

The images are read and converted as ``interp report`` reads them (:mod:`interp.images`),
the pass is :func:`interp.dissect` (its progress bar counts images per second), and the
result is written to a hidden folder beside DIR and moved in at the end with the rules of
the report's ``--out`` (:mod:`interp._folder`): a new or empty folder, or one that holds
an earlier dissection, whose files only are replaced.

What DIR holds:

``dissection.npz``
    ``layers`` (the layer paths, in order), ``levels`` (the quantile levels), ``images``
    (the number of images), ``k``; and for each layer path ``P``: ``P/indices``
    (units, k) int64, the top images' indices in the order the images were read;
    ``P/names`` (units, k) str, their file names (or ``#i`` for an array's rows);
    ``P/values`` (units, k) float32, their peaks; ``P/positions`` (units, k, 2) int64,
    the (row, col) of each peak; ``P/mean`` (units,) float64; ``P/max`` and ``P/min``
    (units,) float32; ``P/quantiles`` and ``P/rank_error`` (units, levels) float64.
``index.html``
    A summary: the run, and per layer the units whose peak is highest, with their
    statistics and top images' names. It loads nothing from other hosts.
``dissection.json``
    What was run (the command, the model, the images, the options, the time) and the
    files written, with their sizes and SHA-256.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import time
from pathlib import Path

import numpy as np

from . import _folder
from ._text import printable

COMMAND = "interp dissect"
OUTPUT = _folder.Output(marker="dissection.json", generator=COMMAND,
                        files=re.compile(r"index\.html|dissection\.npz"), noun="dissection")
WRITES = ["index.html", "dissection.npz"]
#: Units per layer listed on the summary page (all of them are in dissection.npz).
SHOWN_UNITS = 16
#: The keys of each layer's arrays in dissection.npz, after ``PATH/``.
FIELDS = ("indices", "names", "values", "positions", "mean", "max", "min", "quantiles",
          "rank_error")


def _cli():
    from . import cli

    return cli


def _levels(text: str) -> tuple[float, ...]:
    if text.strip().lower() in ("", "none"):
        return ()
    levels = []
    for part in text.split(","):
        try:
            level = float(part)
        except ValueError:
            level = float("nan")
        if not 0.0 <= level <= 1.0:
            raise _cli().UsageError(f"{COMMAND}: --quantiles must be levels in [0, 1] "
                                    f"separated by commas (or 'none'), got {text!r}")
        levels.append(level)
    return tuple(levels)


def _checkpoint(text: str | None, out: Path) -> Path | None:
    cli = _cli()
    if text is None:
        return None
    path = Path(text).expanduser()
    if path.is_dir():
        raise cli.CommandError(f"{COMMAND}: --checkpoint {text!r} is a folder; give a file "
                               "(it is made if it does not exist)")
    if not path.parent.is_dir():
        raise cli.CommandError(f"{COMMAND}: --checkpoint {text!r} is in a folder that does "
                               "not exist; create it first")
    if path.absolute().parent == out.absolute() and path.name in (*WRITES, OUTPUT.marker):
        raise cli.CommandError(f"{COMMAND}: --checkpoint {text!r} is a file the dissection "
                               "writes in --out; give another name")
    return path


def _distribution(devices: int, debug: bool):
    """Return a DataParallel over the first *devices* devices (JAX), or None for one device."""
    cli = _cli()
    if devices == 1:
        return None
    import keras

    name = keras.backend.backend()
    if name != "jax":
        raise cli.CommandError(
            f"{COMMAND}: --devices {devices} needs the JAX backend (Keras's distribution "
            f"API shards batches over devices only on JAX), and Keras runs on {name!r}: "
            "set KERAS_BACKEND=jax (pip install jax), or leave out --devices")
    found = keras.distribution.list_devices()
    if len(found) < devices:
        kinds = sorted({str(d).split(":")[0] for d in found})
        raise cli.CommandError(
            f"{COMMAND}: --devices {devices}: JAX sees {len(found)} device(s) "
            f"({', '.join(kinds)}); on a CPU, start the command with XLA_FLAGS="
            f"--xla_force_host_platform_device_count={devices} to split it into {devices}")
    return keras.distribution.DataParallel(devices=found[:devices])


def _own_message(err: Exception) -> str:
    """Reword a message of :func:`interp.dissect` as the command's (its name first)."""
    text = str(err)
    return COMMAND + text[len("dissect"):] if text.startswith("dissect:") else text


def run_dissect(args: argparse.Namespace) -> int:
    """``interp dissect``: run :func:`interp.dissect` and write DIR."""
    cli = _cli()
    out = Path(args.out).expanduser()
    if not Path(args.images).expanduser().exists():
        raise cli.CommandError(f"{COMMAND}: --images: no such file or folder: "
                               f"{args.images!r}")
    try:
        _folder.check(OUTPUT, COMMAND, out.absolute(), WRITES)
    except _folder.FolderError as err:
        raise cli.CommandError(str(err)) from err
    levels = _levels(args.quantiles)
    checkpoint = _checkpoint(args.checkpoint, out)
    from .images import MAX_PIXELS, convert, parse_scale, read_source

    scale = parse_scale(COMMAND, "--scale", args.scale)
    # refuse what is not images before loading a model
    source = read_source(COMMAND, "--images", args.images, max_images=args.max_images,
                         key=args.key, quiet=args.quiet, exclude=[out],
                         max_pixels=args.max_pixels or MAX_PIXELS)
    if args.k > len(source):
        raise cli.CommandError(f"{COMMAND}: --k {args.k} is more than the {len(source)} "
                               f"images; give --k {len(source)} or fewer")
    model = cli.load_model(COMMAND, args.model, unsafe=args.unsafe, debug=args.debug)
    from ._model import input_spec

    images = convert(COMMAND, "--images", source, input_spec(COMMAND, model), scale=scale)
    distribution = _distribution(args.devices, args.debug)
    if distribution is not None and args.batch_size < args.devices:
        raise cli.UsageError(f"{COMMAND}: --batch-size {args.batch_size} is smaller than "
                             f"--devices {args.devices}; give at least one image per device")
    layers = cli._split(args.layers)
    from . import _interrupt
    from .dissection import dissect

    _interrupt.check()  # a Ctrl-C lost while the model loaded
    try:
        found = dissect(model, images, layers, k=args.k, quantiles=levels,
                        batch_size=args.batch_size, checkpoint=checkpoint,
                        distribution=distribution, progress=not args.quiet)
    except (ValueError, TypeError, IndexError) as err:
        if _interrupt.pending():
            raise KeyboardInterrupt from err
        raise type(err)(_own_message(err)) from err
    page = write_output(out, found, images, model, args, levels)
    if not args.quiet:
        fresh = found.images - found.resumed
        rate = fresh / found.seconds if found.seconds > 0 else float("nan")
        done = (f"{found.images:,} images in {found.seconds:.1f} s ({rate:,.0f} images/s)"
                if not found.resumed else
                f"{found.images:,} images, {found.resumed:,} of them read from the "
                f"checkpoint; {fresh:,} run in {found.seconds:.1f} s")
        print(printable(f"{COMMAND}: {done}; wrote {page.parent}"), file=sys.stderr)
    print(page)
    return 0


# ---- the output ------------------------------------------------------------------------------

def arrays(found, names) -> dict[str, np.ndarray]:
    """Return the arrays of dissection.npz (see the module's docstring)."""
    result = {"layers": np.array(list(found), dtype=str),
              "levels": np.asarray(found.levels, dtype=np.float64),
              "images": np.int64(found.images), "k": np.int64(found.k)}
    for path, entry in found.items():
        result[f"{path}/indices"] = np.asarray(entry.indices, dtype=np.int64)
        flat = [names[int(i)] for i in np.asarray(entry.indices).ravel()]
        result[f"{path}/names"] = np.array(flat, dtype=str).reshape(entry.indices.shape)
        result[f"{path}/values"] = np.asarray(entry.values, dtype=np.float32)
        result[f"{path}/positions"] = np.asarray(entry.positions, dtype=np.int64)
        result[f"{path}/mean"] = np.asarray(entry.mean, dtype=np.float64)
        result[f"{path}/max"] = np.asarray(entry.max, dtype=np.float32)
        result[f"{path}/min"] = np.asarray(entry.min, dtype=np.float32)
        result[f"{path}/quantiles"] = np.asarray(entry.quantiles, dtype=np.float64)
        result[f"{path}/rank_error"] = np.asarray(entry.rank_error, dtype=np.float64)
    return result


def _g(value: float) -> str:
    return f"{value:.4g}"


def _layer_html(path: str, entry, levels: tuple[float, ...], names) -> str:
    esc = html.escape
    units = len(entry.mean)
    order = np.argsort(-np.asarray(entry.max, dtype=np.float64), kind="stable")[:SHOWN_UNITS]
    head = "".join(f"<th>q{esc(f'{level:g}')}</th>" for level in levels)
    rows = []
    for unit in order:
        quantiles = "".join(f"<td>{_g(q)}</td>" for q in entry.quantiles[unit])
        top = esc(printable(str(names[int(entry.indices[unit, 0])])))
        rows.append(f"<tr><td>{unit}</td><td>{_g(entry.max[unit])}</td>"
                    f"<td>{_g(entry.mean[unit])}</td>{quantiles}<td class=name>{top}</td></tr>")
    shown = (f"the {len(order)} of its {units} units whose peak is highest"
             if units > len(order) else f"its {units} units, highest peak first")
    key = esc(printable(path))
    return (f"<section><h2>{key}</h2><p>{shown}; every unit is in dissection.npz as "
            f"<code>{key}/…</code>.</p><div class=scroll><table><thead><tr><th>unit</th>"
            f"<th>peak</th><th>mean</th>{head}<th>top image</th></tr></thead><tbody>"
            f"{''.join(rows)}</tbody></table></div></section>")


STYLE = """
body{font:16px/1.45 system-ui,sans-serif;margin:0 auto;max-width:56em;padding:0 .8em;
color:#1a1a1a;background:#fff}
h1{font-size:1.4em;overflow-wrap:anywhere}h2{font-size:1.15em;overflow-wrap:anywhere}
p,li{overflow-wrap:anywhere}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;font-size:.85em;font-variant-numeric:tabular-nums}
th,td{padding:.2em .45em;border-bottom:1px solid #ddd;text-align:right}
td.name{text-align:left;overflow-wrap:anywhere;max-width:12em}
code{overflow-wrap:anywhere}
"""


def summary_html(found, images, model_name: str, record: dict) -> str:
    """Return the summary page: the run, then each layer's strongest units."""
    esc = html.escape
    run = record["run"]
    items = [
        f"{found.images:,} images, {esc(printable(images.origin))}",
        f"top {found.k} images per unit; quantile levels "
        f"{esc(', '.join(f'{level:g}' for level in found.levels) or 'none')} (within "
        "0.78% of numpy.quantile's; rank_error in the npz bounds each)",
        f"{run['seconds']:.1f} s on {run['devices']} device(s), {esc(run['backend'])}"
        + (f", {run['images_per_second']:,.0f} images/s" if run["images_per_second"] else "")
        + (f"; {found.resumed:,} images read from the checkpoint" if found.resumed else ""),
        f"command: <code>{esc(printable(record['command']))}</code>",
    ]
    items += [esc(printable(line)) for line in images.conversion]
    layers = "".join(_layer_html(path, entry, found.levels, images.names)
                     for path, entry in found.items())
    title = esc(printable(f"Dissection of {model_name}"))
    return ("<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width, initial-scale=1'>"
            f"<title>{title}</title><style>{STYLE}</style></head><body><main>"
            f"<h1>{title}</h1><ul>{''.join(f'<li>{item}</li>' for item in items)}</ul>"
            f"{layers}</main></body></html>")


def write_output(out: Path, found, images, model, args, levels) -> Path:
    """Write DIR (through a hidden folder beside it, moved in at the end)."""
    from . import __version__, _interrupt

    parent = out.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = _folder.staging(out.absolute())
    try:
        fresh = found.images - found.resumed
        import keras

        record = {
            "interp": __version__,
            "command": _cli()._command_line(args.argv),
            "model": {"file": str(Path(args.model).expanduser().absolute()),
                      "name": model.name},
            "images": {"count": found.images, "source": images.origin,
                       "conversion": list(images.conversion)},
            "k": found.k, "levels": list(levels),
            "layers": {path: len(entry.mean) for path, entry in found.items()},
            "run": {"seconds": round(found.seconds, 3), "resumed": found.resumed,
                    "images_per_second": (round(fresh / found.seconds, 1)
                                          if fresh and found.seconds > 0 else None),
                    "devices": args.devices, "batch_size": args.batch_size,
                    "backend": keras.backend.backend(),
                    "checkpoint": (str(Path(args.checkpoint).expanduser().absolute())
                                   if args.checkpoint else None),
                    "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")},
            "npz_keys": ["layers", "levels", "images", "k",
                         *(f"PATH/{field}" for field in FIELDS)],
        }
        np.savez(tmp / "dissection.npz", **arrays(found, images.names))
        (tmp / "index.html").write_text(summary_html(found, images, model.name, record),
                                        encoding="utf-8")
        _folder.write_marker(OUTPUT, tmp, record)
        _interrupt.check()
        _folder.move_into_place(OUTPUT, COMMAND, tmp, out.absolute())
    except _folder.FolderError as err:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
        raise _cli().CommandError(str(err)) from err
    except BaseException:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out / "index.html"


def load(path: str | Path) -> dict:
    """Read DIR/dissection.npz back: ``{layer path: {field: array}}`` (for scripts, tests).

    Examples
    --------
    >>> from interp.cli_dissect import load
    >>> found = load("dissection/dissection.npz")  # doctest: +SKIP
    >>> found["conv2"]["indices"].shape  # doctest: +SKIP
    (15, 9)

    """
    with np.load(path, allow_pickle=False) as archive:
        layers = [str(p) for p in archive["layers"]]
        return {layer: {field: archive[f"{layer}/{field}"] for field in FIELDS}
                for layer in layers}

