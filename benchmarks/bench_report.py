"""Benchmark: ``interp report`` on ResNet-50, MobileNetV2 and EfficientNetB0 at 224 px.

Each model is ``keras.applications.<Model>(weights=None, input_shape=(224, 224, 3),
classes=10)`` (random weights: nothing is downloaded), saved to a temporary ``.keras``
file. The images are the first 50 Fashion-MNIST test images (real images, the only ones
on this machine; 28x28 gray), written as PNG files: ``interp report`` converts them to
224x224 RGB itself, as it would a user's photos. The report runs as a subprocess with the
default settings (``interp report MODEL --images DIR --out DIR --quiet``).

Targets, per model: at most 180 s wall and 3 GB peak resident memory, on two cores.

The peer, measured in the same run just before each report, is the model's own compiled
forward pass and input gradient (``tf.function`` and ``tf.GradientTape``, written here
with nothing of interp), in milliseconds per image on batches of 8: the report's time is
also printed as that many forward passes or gradients. The child's peak memory is its
``ru_maxrss`` from ``os.wait4``. Per-section times come from the report's own
``report.json``.

    nox -s bench -- report          # or: python benchmarks/bench_report.py [--models ...]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
from PIL import Image

MODELS = ("ResNet50", "MobileNetV2", "EfficientNetB0")
TARGET_SECONDS = 180
TARGET_MIB = 3 * 1024
PEER_BATCH = 8


def write_images(folder: Path, n: int) -> str:
    """The first *n* Fashion-MNIST test images as 8-bit PNG files."""
    import interp

    _, (x_test, _) = interp.load_fashion_mnist()
    folder.mkdir(parents=True)
    pixels = np.round(x_test[:n, :, :, 0] * 255).astype(np.uint8)
    for i, image in enumerate(pixels):
        Image.fromarray(image).save(folder / f"{i:03d}.png")
    return f"the first {n} Fashion-MNIST test images (real, 28x28 gray) as PNG files"


def peer_costs(model: keras.Model, repeat: int = 3) -> tuple[float, float]:
    """Milliseconds per image of the model's compiled forward pass and input gradient."""
    import tensorflow as tf

    x = tf.constant(np.random.default_rng(0).random((PEER_BATCH, 224, 224, 3)), tf.float32)

    @tf.function
    def forward(x):
        return model(x, training=False)

    @tf.function
    def gradient(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            out = model(x, training=False)
            chosen = tf.reduce_sum(tf.gather(out, tf.argmax(out, axis=1), axis=1,
                                             batch_dims=1))
        return tape.gradient(chosen, x)

    found = []
    for fn in (forward, gradient):
        fn(x)  # compile
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            fn(x).numpy()
            times.append(time.perf_counter() - started)
        found.append(1000 * statistics.median(times) / PEER_BATCH)
    return found[0], found[1]


def run_report(model_file: Path, images: Path, out: Path, extra: list[str]) -> dict:
    """Run ``interp report`` in a child process; its wall time, peak memory and output."""
    command = [sys.executable, "-m", "interp", "report", str(model_file), "--images",
               str(images), "--out", str(out), "--quiet", *extra]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    stderr = child.stderr.read()
    child.stdout.close()
    child.stderr.close()
    if child.returncode != 0:
        raise SystemExit(f"interp report failed on {model_file.name}:\n{stderr}")
    peak = usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)
    return {"wall": wall, "peak_mib": peak,
            "report": json.loads((out / "report.json").read_text())}


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} (1 min), {five:.2f} (5 min)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--images", type=int, default=50)
    parser.add_argument("--keep", metavar="DIR",
                        help="keep the reports in DIR/<model> (default: thrown away)")
    parser.add_argument("report_args", nargs=argparse.REMAINDER,
                        help="more options for interp report, after --")
    args = parser.parse_args()
    extra = [a for a in args.report_args if a != "--"]

    print(f"machine: {os.cpu_count()} cores; {sys.platform}; Python "
          f"{sys.version.split()[0]}, Keras {keras.__version__} ({keras.backend.backend()})")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        tmp = Path(tmp)
        described = write_images(tmp / "images", args.images)
        print(f"images: {described}; interp report converts them to 224x224 RGB")
        print(f"command: interp report MODEL.keras --images DIR --out DIR --quiet "
              f"{' '.join(extra)}".rstrip())
        for name in args.models:
            keras.utils.set_random_seed(0)
            model = getattr(keras.applications, name)(weights=None,
                                                      input_shape=(224, 224, 3), classes=10)
            model_file = tmp / f"{name}.keras"
            model.save(model_file)
            forward_ms, gradient_ms = peer_costs(model)
            del model
            keras.backend.clear_session()
            before = load()
            found = run_report(model_file, tmp / "images", tmp / f"report-{name}", extra)
            found.update(name=name, forward_ms=forward_ms, gradient_ms=gradient_ms,
                         load_before=before, load_after=load())
            rows.append(found)
            if args.keep:
                target = Path(args.keep) / name
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(tmp / f"report-{name}", target)
            print(f"\n== {name}: {found['wall']:.1f} s wall, peak {found['peak_mib']:,.0f} MiB "
                  f"(load average before {before}; after {found['load_after']})")
            made = found["report"]["made"]
            print(f"   {'section':<58}{'s':>8}")
            for step in made["timings"]:
                print(f"   {step['step']:<58}{step['seconds']:>8.1f}")
            print(f"   {'write_report in all':<58}{made['total']:>8.1f}")
            plan = found["report"]["plan"]
            costs = plan["costs"]
            print(f"   the report's own measure: forward {costs['forward_ms']:.0f} ms/image, "
                  f"gradient {costs['gradient_ms']:.0f} ms/image, compile "
                  f"{costs['compile_s']:.1f} s")
            print(f"   plan: full estimate {plan['full_estimate']:,.0f} s, "
                  f"{len(plan['cuts'])} cuts, estimate {plan['estimate']:.0f} s of "
                  f"{plan['left'] or 0:.0f} s left")
            for row in plan["rows"][4:]:
                print(f"     {row['section']}: {row['done']}")

    print(f"\n{'model':<16}{'wall s':>8}{'peak MiB':>10}{'fwd ms':>8}{'grad ms':>9}"
          f"{'= fwd':>8}{'= grad':>8}  {'<= 180 s':>9}{'<= 3 GB':>9}")
    for row in rows:
        forwards = row["wall"] / (row["forward_ms"] / 1000)
        gradients = row["wall"] / (row["gradient_ms"] / 1000)
        print(f"{row['name']:<16}{row['wall']:>8.1f}{row['peak_mib']:>10,.0f}"
              f"{row['forward_ms']:>8.0f}{row['gradient_ms']:>9.0f}{forwards:>8,.0f}"
              f"{gradients:>8,.0f}  {'met' if row['wall'] <= TARGET_SECONDS else 'NOT met':>9}"
              f"{'met' if row['peak_mib'] <= TARGET_MIB else 'NOT met':>9}")
    print("(= fwd, = grad: the wall time as that many single-image forward passes or input "
          "gradients of the model, at the peer's cost measured just before)")


if __name__ == "__main__":
    main()
