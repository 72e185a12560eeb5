"""Benchmark: interp.dissect's images per second against the number of host devices.

The course network on the 60,000 Fashion-MNIST training images (both conv layers, k=9,
quantiles 0.99 and 0.995, batch 1,024), on the JAX backend, in one child process per
device count: XLA_FLAGS=--xla_force_host_platform_device_count=N splits the CPU into N
devices and dissect runs over keras.distribution.DataParallel(N) (N = 1: no distribution).
In the one-device child, in the same process and alternating with dissect:

- the peer, interp.top_activating on conv1 and on conv2 (two passes, the top 9 only: what
  dissect's top k costs without its statistics and quantiles), and
- dissect with checkpoint= (a fresh file each time, written at its default cadence: every
  30 s of work and at the end), for the checkpoints' overhead (the goal: at most 5%). The
  first checkpointed call of a process is timed apart: on JAX, the model's digest
  (Keras's get_config) imports TensorFlow once, when it is installed.

Then, for the docs' estimate of a large run (``--resnet``): ResNet-50 (keras.applications,
weights=None: the rate does not depend on the weights) on 224 x 224 x 3 images of random
numbers, dissect over its 53 Conv2D layers and over the four stages' outputs, one device.

Medians of --repeat calls, after one warm-up call each; the machine is printed.

    nox -s bench -- dissect                    # python benchmarks/bench_dissect.py
    python benchmarks/bench_dissect.py --resnet-only --resnet-images 32
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

STAGES = ["conv2_block3_out", "conv3_block4_out", "conv4_block6_out", "conv5_block3_out"]


def _median(run, repeat: int) -> float:
    run()  # warm-up: compiles
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def child(model_file: str, devices: int, images: int, batch: int, repeat: int) -> dict:
    """Time dissect (and on one device its peer and checkpoints) in this process."""
    import keras
    import numpy as np

    import interp

    assert keras.backend.backend() == "jax"
    found = keras.distribution.list_devices()
    assert len(found) == devices, found
    model = keras.saving.load_model(model_file)  # the TensorFlow-trained course network
    (x, _), _ = interp.load_fashion_mnist()
    x = np.ascontiguousarray(x[:images])
    distribution = keras.distribution.DataParallel(devices=found) if devices > 1 else None

    def dissect(**kw):
        return interp.dissect(model, x, k=9, batch_size=batch, progress=False,
                              distribution=distribution, **kw)

    times = {"dissect": []}
    if devices == 1:
        times.update(top_activating=[], checkpoint=[])
    folder = Path(tempfile.mkdtemp())
    dissect()
    if devices == 1:
        for name in ("conv1", "conv2"):
            interp.top_activating(model, name, x, k=9, batch_size=batch)
        # The first checkpointed call of a process pays once for what the checkpoint's
        # model digest imports (Keras's get_config imports TensorFlow, when installed).
        start = time.perf_counter()
        dissect(checkpoint=folder / "first.npz")
        times["first checkpoint"] = [time.perf_counter() - start]
    for round_ in range(repeat):  # alternate, so a busy moment slows each alike
        start = time.perf_counter()
        dissect()
        times["dissect"].append(time.perf_counter() - start)
        if devices > 1:
            continue
        start = time.perf_counter()
        for name in ("conv1", "conv2"):
            interp.top_activating(model, name, x, k=9, batch_size=batch)
        times["top_activating"].append(time.perf_counter() - start)
        path = folder / f"run{round_}.npz"
        start = time.perf_counter()
        done = dissect(checkpoint=path)
        times["checkpoint"].append(time.perf_counter() - start)
        assert done.resumed == 0 and path.exists()
    result = {key: statistics.median(value) for key, value in times.items()}
    if devices == 1:
        result.update(checkpoint_parts(model, x, batch, folder / "run0.npz"))
    return result


def checkpoint_parts(model, x, batch: int, written: Path) -> dict:
    """The checkpoints' own work, timed alone (less noisy than a difference of runs)."""
    from interp.dissection import checkpoint as ckpt

    start = time.perf_counter()
    ckpt.model_digest(model)
    parts = {"model digest": time.perf_counter() - start}
    start = time.perf_counter()
    for first in range(0, len(x), batch):
        ckpt.batch_digest(x[first:first + batch])
    parts["batch digests"] = time.perf_counter() - start
    meta, arrays = ckpt.load("bench", written)
    start = time.perf_counter()
    ckpt.save(written.with_name("again.npz"), meta, arrays)
    parts["one save"] = time.perf_counter() - start
    parts["checkpoint bytes"] = float(written.stat().st_size)
    return parts


def resnet_child(images: int, batch: int, repeat: int) -> dict:
    import keras
    import numpy as np

    import interp

    model = keras.applications.ResNet50(weights=None)
    x = np.random.default_rng(0).random((images, 224, 224, 3), dtype=np.float32)
    out = {}
    for name, layers in (("all 53 Conv2D", None), ("4 stage outputs", STAGES)):
        out[name] = _median(lambda layers=layers: interp.dissect(
            model, x, layers, k=9, batch_size=batch, progress=False), repeat)
    out["forward only"] = _median(lambda: model.predict(x, batch_size=batch, verbose=0),
                                  repeat)
    return out


def run_child(args: list[str], devices: int) -> dict:
    env = {**os.environ, "KERAS_BACKEND": "jax",
           "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}"}
    done = subprocess.run([sys.executable, __file__, *args], env=env, capture_output=True,
                          text=True)
    if done.returncode:
        sys.exit(f"child {args} failed:\n{done.stderr[-3000:]}")
    line = [row for row in done.stdout.splitlines() if row.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def machine() -> str:
    name = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{name}, {os.cpu_count()} cores (load average {load:.1f} at the start)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=60000)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--resnet", action="store_true",
                        help="also time ResNet-50 on random images, one device")
    parser.add_argument("--resnet-only", action="store_true",
                        help="time only ResNet-50 (as --resnet)")
    parser.add_argument("--resnet-images", type=int, default=64)
    parser.add_argument("--child", type=int, metavar="DEVICES")
    parser.add_argument("--model-file")
    parser.add_argument("--resnet-child", action="store_true")
    args = parser.parse_args()
    if args.child:
        result = child(args.model_file, args.child, args.images, args.batch_size, args.repeat)
        print("RESULT " + json.dumps(result))
        return
    if args.resnet_child:
        result = resnet_child(args.resnet_images, 16, args.repeat)
        print("RESULT " + json.dumps(result))
        return
    import jax
    import keras

    import interp

    # The course network as the site uses it (trained with TensorFlow, cached), for the
    # JAX children to load: interp.trained_model() on JAX would train a JAX network.
    folder = Path(tempfile.mkdtemp())
    model_file = str(folder / "course.keras")
    interp.trained_model(verbose=False).save(model_file)
    print(f"machine: {machine()}; Python {platform.python_version()}, Keras "
          f"{keras.__version__}, JAX {jax.__version__}")
    if args.resnet_only:
        return resnet(args)
    print(f"course network, {args.images:,} Fashion-MNIST training images, batch "
          f"{args.batch_size}, k=9, quantiles (0.99, 0.995); medians of {args.repeat}")
    common = ["--images", str(args.images), "--batch-size", str(args.batch_size),
              "--repeat", str(args.repeat), "--model-file", model_file]
    results = {n: run_child([*common, "--child", str(n)], n) for n in (1, 2)}
    n = args.images
    one = results[1]
    print(f"\n{'run':<44}{'seconds':>9}{'images/s':>10}{'ratio':>8}")
    rows = [("dissect, 1 device", one["dissect"], 1.0),
            ("dissect, 2 devices (DataParallel)", results[2]["dissect"],
             one["dissect"] / results[2]["dissect"]),
            ("top_activating conv1 + conv2, 1 device", one["top_activating"],
             one["dissect"] / one["top_activating"]),
            ("dissect + checkpoint=, 1 device", one["checkpoint"],
             one["dissect"] / one["checkpoint"])]
    for label, seconds, ratio in rows:
        print(f"{label:<44}{seconds:>9.2f}{n / seconds:>10,.0f}{ratio:>8.2f}")
    print("(ratio: speed against dissect on 1 device)")
    print(f"\nscaling 1 -> 2 devices: x{one['dissect'] / results[2]['dissect']:.2f}")
    print(f"dissect / top_activating (speed): {one['top_activating'] / one['dissect']:.2f}")
    overhead = one["checkpoint"] / one["dissect"] - 1
    parts = one["model digest"] + one["batch digests"] + 2 * one["one save"]
    print(f"checkpoint work timed alone: model digest {one['model digest']:.3f} s, batch "
          f"digests {one['batch digests']:.3f} s, one save {one['one save']:.3f} s "
          f"({one['checkpoint bytes'] / 2**10:,.0f} KiB); with two saves (the 30 s "
          f"cadence and the end) {parts:.2f} s = {parts / one['dissect']:.1%} of dissect")
    print(f"checkpoint overhead: {overhead:+.1%} (goal <= 5%: "
          f"{'met' if overhead <= 0.05 else 'NOT met'}); the process's first checkpointed "
          f"call took {one['first checkpoint'] - one['dissect']:+.1f} s more (once)")
    if args.resnet:
        resnet(args)


def resnet(args) -> None:
    """ResNet-50's rate on one device, for the docs' estimate of a large run."""
    images = args.resnet_images
    res = run_child(["--resnet-child", "--resnet-images", str(images), "--repeat",
                     str(args.repeat)], 1)
    print(f"\nResNet-50 (weights=None), {images} random 224x224x3 images, batch 16, "
          f"1 device, medians of {args.repeat}:")
    for label, seconds in res.items():
        print(f"  {label:<18}{seconds:>8.2f} s{images / seconds:>8.1f} images/s")


if __name__ == "__main__":
    main()
