"""The ``interp`` command: list a model's layers, write an HTML report, or dissect it.

``interp layers MODEL.keras`` prints one row per layer; ``interp report MODEL.keras --images
PATH --out DIR`` writes ``DIR/index.html``; ``interp report --course`` does the same for the
course's network on Fashion-MNIST; ``interp dissect MODEL.keras --images PATH --out DIR``
writes every unit's top images and statistics (:mod:`interp.cli_dissect`). Also run as
``python -m interp``.

Errors are one line on stderr naming the command, and a non-zero exit status; ``--debug``
shows the traceback instead. Nothing heavy is imported until a command runs, so ``interp
--help`` is quick.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from . import _interrupt
from ._text import printable

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

DESCRIPTION = """\
Take a Keras CNN apart: list its layers, write one offline HTML page with its kernels,
feature maps, top-activating patches and attribution maps on your own images, or dissect
it over a whole data set (every unit's top images and quantiles, resumable, on N devices).
"""

EPILOG = """\
examples:
  interp layers model.keras
  interp report model.keras --images photos/ --out report
  interp report model.keras --images x_test.npy --classes classes.txt --limit 8
  interp report --course --out course-report
  interp dissect model.keras --images x_train.npy --out dissection --checkpoint run.ckpt

Run `interp COMMAND --help` for a command's options.
"""


class CommandError(Exception):
    """A failure the user can fix; its message is printed without a traceback."""


class UsageError(CommandError):
    """The command line itself is incomplete or contradictory (exit status 2)."""


class _Formatter(argparse.HelpFormatter):
    """Wraps paragraphs to the terminal (at most 100 columns)."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=30, width=min(100, _columns()))


class _RawFormatter(argparse.RawDescriptionHelpFormatter, _Formatter):
    """Keeps the top-level description and examples as written."""


def _columns() -> int:
    try:
        return os.get_terminal_size().columns
    except OSError:
        return 100


def _version() -> str:
    from . import __version__

    return __version__


def build_parser() -> argparse.ArgumentParser:
    """Return the ``interp`` argument parser (its help text is the command's documentation)."""
    parser = argparse.ArgumentParser(
        prog="interp", description=DESCRIPTION, epilog=EPILOG, formatter_class=_RawFormatter)
    parser.add_argument("--version", action="version", version=f"interp {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument("--unsafe", action="store_true",
                        help="load a model that holds Python code (a Lambda layer): Keras's "
                             "safe_mode is turned off, and that code runs. Only for files "
                             "you trust")
    shared.add_argument("--debug", action="store_true",
                        help="on failure, show the full traceback instead of one line")

    layers = commands.add_parser(
        "layers", parents=[shared], formatter_class=_Formatter,
        help="print one row per layer: path, type, output shape, kernel shape, parameters",
        description="Print one row per layer of a Keras model: its path (unique, nested "
                    "models included), type and output shape, and for convolutions the "
                    "kernel shape (kh, kw, in, out) and the number of parameters. The paths "
                    "are the names `interp report --layers` and every interp function accept.",
    )
    layers.add_argument("model", metavar="MODEL", help="a Keras model file (.keras or .h5)")

    report = commands.add_parser(
        "report", parents=[shared], formatter_class=_Formatter,
        help="write an offline HTML report on a model and your images",
        description="Write DIR/index.html and its figures: the model's layers, the conv "
                    "layers' kernels, feature maps, top-activating patches over all the "
                    "images, and attribution maps with the measures of which to trust, "
                    "planned by the model's measured cost to fit in --budget. The "
                    "page loads nothing from other hosts; open it from the file system. It "
                    "is written to a temporary folder beside DIR and moved in at the end, so "
                    "an interrupted run (Ctrl-C: exit status 130) leaves DIR as it was.",
        epilog="The images are converted to what the model takes: to grayscale or RGB, "
               "resized to its input size, and scaled: the range of the pixels' type "
               "(0-255 for 8 bits, 0-65535 for 16) becomes 0-1 unless --scale says "
               "otherwise; the report states what was done. A .npy array is "
               "memory-mapped and every section reads the images a batch at a time, so "
               "100,000 images run in flat memory.",
    )
    report.add_argument("model", metavar="MODEL", nargs="?",
                        help="a Keras model file (.keras or .h5); not with --course")
    source = report.add_argument_group("images")
    source.add_argument("--images", metavar="PATH",
                        help="a folder of PNG/JPEG files (subfolders too), one image file, "
                             "or a .npy/.npz array of images")
    source.add_argument("--course", nargs="?", const="test", choices=("test", "train"),
                        help="use the course's network and Fashion-MNIST instead of MODEL "
                             "and --images: its 10,000 test images (default) or 60,000 "
                             "training images")
    source.add_argument("--scale", metavar="[FROM_LOW,FROM_HIGH:]LOW,HIGH",
                        help="what the pixel values become, linearly: LOW,HIGH for the range "
                             "of their type (0-255 for 8-bit files and uint8, 0-65535 for "
                             "16-bit PNGs and uint16; default 0,1; e.g. -1,1), or "
                             "FROM_LOW,FROM_HIGH:LOW,HIGH for other values (0,4095:0,1 for "
                             "12-bit data). Arrays of other integer types (int16, int32, "
                             "...) are refused without FROM_LOW,FROM_HIGH; float arrays are "
                             "used as they are unless this is given")
    source.add_argument("--max-images", type=_positive, metavar="N",
                        help="use only the first N images (default: all)")
    source.add_argument("--max-pixels", type=_positive, metavar="N", default=None,
                        help="refuse images larger than N pixels (height x width), before "
                             "decoding them (default 64000000: 8000 x 8000)")
    source.add_argument("--key", metavar="NAME",
                        help="the array of a .npz that holds the images (default: its only "
                             "array, or 'images', 'x' or 'x_test')")
    source.add_argument("--classes", "--labels", dest="classes", metavar="NAMES|FILE",
                        help="class names: a text file with one name per line, or the names "
                             "separated by commas (default: class 0, class 1, ...)")
    shown = report.add_argument_group("what the report shows")
    shown.add_argument("--limit", type=_limit, default=6, metavar="N",
                       help="images whose attribution maps are drawn (default 6, at most "
                            f"{MAX_LIMIT}; feature maps: 3 of them)")
    shown.add_argument("--layers", action="append", metavar="PATHS",
                       help="these conv layers, comma-separated paths as `interp layers` "
                            "prints them (default: all of them if there are at most 6; else "
                            "the first and the deepest of each feature-map size); may be "
                            "repeated")
    shown.add_argument("--kernels", type=_positive, default=16, metavar="N",
                       help="kernels drawn per layer: those whose activation peaks highest "
                            "over the images (default 16)")
    shown.add_argument("--methods", metavar="NAMES",
                       help="attribution methods, comma-separated, among saliency, "
                            "smoothgrad, integrated_gradients, grad_cam, occlusion, "
                            "guided_backprop, input_x_gradient (default: the first five)")
    shown.add_argument("--top", type=_positive, default=9, metavar="K",
                       help="top-activating images per kernel (default 9)")
    shown.add_argument("--trust", type=_count, default=32, metavar="N",
                       help="images on which the measures of which map to trust are taken "
                            "(deletion, insertion, cascading randomization; default 32; 0 "
                            "skips them)")
    shown.add_argument("--budget", type=_seconds, default=150.0, metavar="SECONDS",
                       help="the time the report aims to take (default 150): the attribution "
                            "maps and the measures of which to trust are planned by the "
                            "model's measured cost to fit, and the page says what was cut; "
                            "0 runs them in full, however long that takes")
    output = report.add_argument_group("output")
    output.add_argument("--out", metavar="DIR", default="interp-report",
                        help="the folder to write (default: interp-report). In a folder "
                             "that holds an earlier report, only the files that report "
                             "wrote, and only if unchanged, are replaced; other files are "
                             "never touched, and a file the report would overwrite that "
                             "is not one of them stops the run. A folder of other files "
                             "without a report is refused")
    output.add_argument("--batch-size", type=_positive, default=256, metavar="N",
                        help="images per forward pass (default 256)")
    output.add_argument("--quiet", action="store_true",
                        help="no progress lines or bars (they are off anyway when stderr "
                             "is not a terminal)")
    _dissect_parser(commands, shared)
    return parser


def _dissect_parser(commands, shared: argparse.ArgumentParser) -> None:
    dissect = commands.add_parser(
        "dissect", parents=[shared], formatter_class=_Formatter,
        help="every unit's top images and quantiles over all your images (interp.dissect)",
        description="Run every image once through the model and keep, for every unit "
                    "(channel) of the chosen layers, its exact top-K images (index, peak "
                    "value, position), its mean, minimum, maximum and quantiles "
                    "(interp.dissect). Writes DIR/dissection.npz (the arrays), "
                    "DIR/index.html (a summary) and DIR/dissection.json (what was run, and "
                    "the files written). Memory does not grow with the number of images. "
                    "With --checkpoint, a run that is stopped (Ctrl-C: exit status 130, or "
                    "killed) continues from its last checkpoint when run again.",
        epilog="The images are converted to what the model takes, as interp report converts "
               "them (see --scale). The output folder is treated as interp report treats "
               "its own: files of an earlier dissection there are replaced, nothing else "
               "is touched.",
    )
    dissect.add_argument("model", metavar="MODEL", help="a Keras model file (.keras or .h5)")
    source = dissect.add_argument_group("images")
    source.add_argument("--images", metavar="PATH", required=True,
                        help="a folder of PNG/JPEG files (subfolders too, in sorted order), "
                             "one image file, or a .npy/.npz array of images (a .npy is "
                             "memory-mapped)")
    source.add_argument("--scale", metavar="[FROM_LOW,FROM_HIGH:]LOW,HIGH",
                        help="what the pixel values become, as for interp report (default: "
                             "the range of the pixels' type becomes 0,1; float arrays are "
                             "used as they are)")
    source.add_argument("--max-images", type=_positive, metavar="N",
                        help="use only the first N images (default: all)")
    source.add_argument("--max-pixels", type=_positive, metavar="N", default=None,
                        help="refuse images larger than N pixels (default 64000000)")
    source.add_argument("--key", metavar="NAME",
                        help="the array of a .npz that holds the images")
    what = dissect.add_argument_group("what is kept")
    what.add_argument("--layers", action="append", metavar="PATHS",
                      help="the layers, comma-separated paths as `interp layers` prints them "
                           "(default: every 2-D convolution); may be repeated")
    what.add_argument("--k", "--top", dest="k", type=_positive, default=9, metavar="K",
                      help="top images kept per unit (default 9)")
    what.add_argument("--quantiles", metavar="LEVELS", default="0.99,0.995",
                      help="quantile levels in [0, 1], comma-separated (default 0.99,0.995; "
                           "'none' for none)")
    run = dissect.add_argument_group("the run")
    run.add_argument("--out", metavar="DIR", required=True,
                     help="the folder to write: new, empty, or an earlier dissection's")
    run.add_argument("--checkpoint", metavar="FILE",
                     help="save the pass to FILE as it goes (atomically) and resume from it "
                          "when it exists; a checkpoint of another model, other images or "
                          "other options is refused")
    run.add_argument("--devices", type=_positive, default=1, metavar="N",
                     help="shard each batch over N devices (keras.distribution.DataParallel; "
                          "needs KERAS_BACKEND=jax; on a CPU, XLA_FLAGS="
                          "--xla_force_host_platform_device_count=N; default 1)")
    run.add_argument("--batch-size", type=_positive, default=256, metavar="N",
                     help="images per step, over all the devices (default 256)")
    run.add_argument("--quiet", action="store_true",
                     help="no progress bar or closing line (the bar is off anyway when "
                          "stderr is not a terminal)")


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text!r}")
    return value


#: The most images whose attribution maps the report draws (interp.report.MAX_LIMIT).
MAX_LIMIT = 32


def _limit(text: str) -> int:
    value = _positive(text)
    if value > MAX_LIMIT:
        raise argparse.ArgumentTypeError(
            f"must be at most {MAX_LIMIT} (the images whose attribution maps are drawn), got "
            f"{text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0, got {text!r}") \
            from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0, got {text!r}")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return value


# ---- loading -----------------------------------------------------------------------------

def _quiet_tensorflow(debug: bool = False, *, tensorflow: bool = False) -> None:
    """Import Keras (and TensorFlow) without their start-up chatter on stderr.

    TensorFlow's C++ start-up lines (oneDNN, CUDA probing) are written before its log
    level is read, so stderr is pointed at the null device while it loads; with *debug*
    they are shown. A Python error while importing is raised as usual. With *tensorflow*,
    TensorFlow is imported too on another backend, if it is installed: Keras imports it
    there anyway the first time it serializes a layer (the report clones the model to
    randomize it), and would print those lines in the middle of the run.
    """
    import importlib.util

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("MPLBACKEND", "Agg")
    if debug or ("keras" in sys.modules and (not tensorflow or "tensorflow" in sys.modules)):
        import keras
        return
    sys.stderr.flush()
    saved = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        import keras

        if keras.backend.backend() == "tensorflow" or (
                tensorflow and importlib.util.find_spec("tensorflow") is not None):
            import tensorflow as tf

            tf.config.list_physical_devices()  # probes for GPUs now, quietly
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def load_model(command: str, path: str, *, unsafe: bool = False, debug: bool = False):
    """Load a Keras model file for *command*, or raise a :class:`CommandError` saying why."""
    import zipfile

    file = Path(path).expanduser()
    if not file.exists():
        raise CommandError(f"{command}: MODEL: no such file: {path!r}")
    if file.is_dir():
        raise CommandError(f"{command}: MODEL: {path!r} is a folder, not a Keras model file "
                           "(.keras); a TensorFlow SavedModel folder cannot be read by Keras 3")
    if file.suffix.lower() == ".keras" and not zipfile.is_zipfile(file):
        raise CommandError(f"{command}: MODEL: {path!r} is not a Keras model: a .keras file "
                           "is a zip archive, and this file is not one")
    _quiet_tensorflow(debug)
    import keras

    try:
        return keras.saving.load_model(file, compile=False, safe_mode=not unsafe)
    except Exception as err:  # Keras raises many kinds; each becomes one clear line
        text = str(err)
        if "safe_mode" in text or "Lambda" in text:
            raise CommandError(
                f"{command}: MODEL: {path!r} holds a Lambda layer, whose Python code would "
                "run when the model is loaded, so it is refused (Keras safe_mode). If you "
                "trust the file, add --unsafe: it loads the model with safe_mode=False and "
                "runs that code") from err
        first = text.strip().splitlines()[0] if text.strip() else type(err).__name__
        raise CommandError(f"{command}: MODEL: {path!r} is not a Keras model that Keras "
                           f"{keras.__version__} can load ({type(err).__name__}: "
                           f"{first})") from err


# ---- interp layers ---------------------------------------------------------------------------

def _format_shape(shape) -> str:
    if shape is None:
        return "?"
    if shape and isinstance(shape[0], tuple):
        return " ".join(_format_shape(s) for s in shape)
    inside = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inside},)" if len(shape) == 1 else f"({inside})"


def run_layers(args: argparse.Namespace) -> int:
    """``interp layers MODEL``: print the layer table."""
    command = "interp layers"
    model = load_model(command, args.model, unsafe=args.unsafe, debug=args.debug)
    from . import layer_table
    from ._model import input_spec

    _interrupt.check()  # a Ctrl-C lost while the model loaded
    # Names come from the model file: control characters in them are shown as escapes
    # (printable), never sent to the terminal.
    rows = [("PATH", "TYPE", "OUTPUT SHAPE", "KERNEL", "PARAMS")]
    for row in layer_table(model):
        rows.append((printable(row.path), printable(row.type), _format_shape(row.output_shape),
                     _format_shape(row.kernel_shape) if row.kernel_shape else "",
                     f"{row.params:,}"))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    print(printable(f"{model.name} ({type(model).__name__}), {model.count_params():,} "
                    "parameters"))
    try:
        spec = input_spec(command, model)
        print(f"input: {_format_shape(spec.shape)} per image, {spec.data_format}")
    except ValueError as err:
        print(printable(f"input: {err}".replace(f"{command}: ", "")))
    print()
    for r in rows:
        print("  ".join([r[0].ljust(widths[0]), r[1].ljust(widths[1]), r[2].ljust(widths[2]),
                         r[3].ljust(widths[3]), r[4].rjust(widths[4])]).rstrip())
    return 0


# ---- interp report ---------------------------------------------------------------------------

def _class_names(command: str, text: str) -> list[str]:
    path = Path(text).expanduser()
    if path.is_file():
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as err:
            raise CommandError(f"{command}: --classes: cannot read {text!r} as text "
                               f"({type(err).__name__}: {err})") from err
        names = [line.strip() for line in lines if line.strip()]
    else:
        if "," not in text and ("/" in text or path.suffix):
            raise CommandError(f"{command}: --classes: no such file: {text!r} (give a text "
                               "file with one class name per line, or the names separated by "
                               "commas)")
        names = [name.strip() for name in text.split(",")]
    if not names or not all(names):
        raise CommandError(f"{command}: --classes: empty class names in {text!r}")
    return names


def _split(values: Sequence[str] | None) -> list[str] | None:
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def run_report(args: argparse.Namespace) -> int:
    """``interp report``: write the HTML report."""
    command = "interp report"
    if args.course and (args.model or args.images):
        raise UsageError(f"{command}: --course uses the course's network and images; give "
                         "either --course, or MODEL and --images")
    if not args.course and not args.model:
        raise UsageError(f"{command}: MODEL is missing: give a Keras model file and "
                         "--images, or --course")
    if not args.course and not args.images:
        raise UsageError(f"{command}: --images is missing: give a folder of PNG/JPEG files "
                         "or a .npy/.npz array")
    if args.images and not Path(args.images).expanduser().exists():
        raise CommandError(f"{command}: --images: no such file or folder: {args.images!r}")
    out = Path(args.out)
    from .report import ReportError, _check_destination

    try:
        _check_destination(command, out.expanduser().absolute())
    except ReportError as err:
        raise CommandError(str(err)) from err
    from .images import parse_scale, read_source

    scale = parse_scale(command, "--scale", args.scale)
    class_names = _class_names(command, args.classes) if args.classes else None
    source = None
    from .images import MAX_PIXELS

    max_pixels = args.max_pixels or MAX_PIXELS
    if args.images:  # refuse what is not images before loading a model for a minute
        source = read_source(command, "--images", args.images, max_images=args.max_images,
                             key=args.key, quiet=args.quiet, exclude=[out.expanduser()],
                             max_pixels=max_pixels)

    from .images import Numbered, convert, open_images
    from .report import write_report

    labels = None
    if args.course:
        _quiet_tensorflow(args.debug, tensorflow=True)
        import contextlib

        import interp

        with contextlib.redirect_stdout(sys.stderr):  # training lines are not the output
            model = interp.trained_model(verbose=not args.quiet)
        (x_train, y_train), (x_test, y_test) = interp.load_fashion_mnist()
        x, y = (x_test, y_test) if args.course == "test" else (x_train, y_train)
        if args.max_images:
            x, y = x[:args.max_images], y[:args.max_images]
        from ._model import input_spec

        images = open_images(command, "--images", x, input_spec(command, model),
                             scale=scale, described=f"of the Fashion-MNIST {args.course} set "
                                                    "(interp.load_fashion_mnist, pixels 0-1)",
                             origin=f"the Fashion-MNIST {args.course} set",
                             max_pixels=max_pixels)
        images.names = Numbered(len(x), prefix=f"{args.course} #")
        labels = y
        class_names = class_names or list(interp.CLASS_NAMES)
    else:
        # the trust measures clone the model: Keras imports TensorFlow then, if it can
        _quiet_tensorflow(args.debug, tensorflow=args.trust > 0)
        model = load_model(command, args.model, unsafe=args.unsafe, debug=args.debug)
        from ._model import input_spec

        spec = input_spec(command, model)
        images = convert(command, "--images", source, spec, scale=scale)
    methods = _split([args.methods]) if args.methods else None
    page = write_report(
        model, images, out, class_names=class_names, labels=labels, limit=args.limit,
        layers=_split(args.layers), top_k=args.top, trust=args.trust, kernels=args.kernels,
        budget=args.budget or None, batch_size=args.batch_size,
        command=_command_line(args.argv), quiet=args.quiet, func=command,
        **({"methods": methods} if methods is not None else {}),
    )
    # the report is in place (interp._interrupt.settle): a late Ctrl-C changes nothing
    if not args.quiet:
        print(printable(f"{command}: wrote {page}"), file=sys.stderr)
    print(page)
    return 0


def _command_line(argv: Sequence[str]) -> str:
    return shlex.join(["interp", *argv])


# ---- main ----------------------------------------------------------------------------------

def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    text = str(message).strip().splitlines()[0] if str(message).strip() else category.__name__
    print(printable(f"interp: warning: {text}"), file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``interp`` command with *argv* (default ``sys.argv[1:]``); return the exit status.

    Examples
    --------
    >>> from interp.cli import main
    >>> main(["--version"])  # doctest: +SKIP
    interp 0.1.0

    """
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv
    shown = warnings.showwarning
    if not args.debug:
        warnings.showwarning = _show_warning
    # Ctrl-C and SIGTERM raise KeyboardInterrupt, and leave a flag that the report checks
    # between its steps, figures and batches: one lost in a garbage-collection callback
    # (JAX's) still stops the run (interp._interrupt). One raised inside Python code that a
    # library calls from C++, and turned into another error there, is still an interrupt.
    try:
        with _interrupt.catching((signal.SIGINT, signal.SIGTERM)):
            try:
                if args.command == "layers":
                    return run_layers(args)
                if args.command == "dissect":
                    from .cli_dissect import run_dissect

                    return run_dissect(args)
                return run_report(args)
            except Exception as err:
                if _interrupt.pending():
                    raise KeyboardInterrupt from err
                raise
    except KeyboardInterrupt:
        where = ""
        if args.command == "dissect":
            where = f" to {args.out!r}"
            if args.checkpoint:
                where += (f"; the checkpoint {args.checkpoint!r} keeps the work done: run "
                          "the same command again to go on from it")
        print(printable(f"interp {args.command}: interrupted; nothing was written{where}"),
              file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `interp layers model.keras | head`: the reader has had enough
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes stdout
        return EXIT_ERROR
    except (CommandError, ValueError, TypeError, IndexError, OSError) as err:
        if args.debug:
            raise
        message = str(err) or type(err).__name__
        if not message.startswith("interp"):
            message = f"interp {args.command}: {message}"
        print(printable(message), file=sys.stderr)
        return EXIT_USAGE if isinstance(err, UsageError) else EXIT_ERROR
    except Exception as err:
        if args.debug:
            raise
        print(printable(f"interp {args.command}: unexpected {type(err).__name__}: {err} (run "
                        "again with --debug for the traceback, and please report it)"),
              file=sys.stderr)
        return EXIT_ERROR
    finally:
        warnings.showwarning = shown


def entry_point() -> None:
    """Run the console script: exit with :func:`main`'s status."""
    sys.exit(main())
