"""Benchmark: 10,000 Fashion-MNIST-sized images (28x28x1) against 32 kernels of 3x3, 'valid'.

Prints the median wall time of interp.convolve, tf.nn.conv2d (both warmed up, both ending in
a numpy array), a scipy.signal.correlate2d loop and a naive per-pixel Python loop (the last
two timed on a subset and extrapolated), the ratios to tf.nn.conv2d, and peak memory.

Target: interp.convolve / tf.nn.conv2d <= 0.8, measured in the same run.

    nox -s bench            # or: python benchmarks/bench_convolve.py --repeat 7
"""

import argparse
import os
import resource
import tracemalloc

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import scipy.signal
import tensorflow as tf
from _timing import median_time

import interp


def naive(images, kernels):
    n, h, w, _ = images.shape
    kh, kw, _, k = kernels.shape
    out = np.zeros((n, h - kh + 1, w - kw + 1, k), np.float32)
    for i in range(n):
        for r in range(h - kh + 1):
            for c in range(w - kw + 1):
                for j in range(k):
                    out[i, r, c, j] = np.sum(images[i, r:r + kh, c:c + kw, 0] * kernels[:, :, 0, j])
    return out


def scipy_loop(images, kernels):
    return np.stack([
        np.stack([scipy.signal.correlate2d(image[:, :, 0], kernels[:, :, 0, j], mode="valid")
                  for j in range(kernels.shape[3])], axis=-1)
        for image in images
    ])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--kernels", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    images = rng.random((args.images, 28, 28, 1), dtype=np.float32)
    kernels = rng.standard_normal((3, 3, 1, args.kernels)).astype(np.float32)

    def run_interp():
        return interp.convolve(images, kernels)

    def run_tf():
        return tf.nn.conv2d(images, kernels, strides=1, padding="VALID").numpy()

    expected = run_tf()  # also the warm-up
    got = run_interp()
    print(f"images {images.shape}, kernels {kernels.shape}, output {got.shape} "
          f"({got.nbytes / 2**20:.0f} MiB); max |interp - tf| = {np.abs(got - expected).max():.2e}")

    results = {
        "interp.convolve": median_time(run_interp, args.repeat),
        "tf.nn.conv2d": median_time(run_tf, args.repeat),
    }
    subset = 200
    per_image = median_time(lambda: scipy_loop(images[:subset], kernels), 3) / subset
    results["scipy correlate2d loop"] = per_image * args.images
    tiny = 2
    per_image = median_time(lambda: naive(images[:tiny], kernels), 1) / tiny
    results["naive Python loop"] = per_image * args.images

    tracemalloc.start()
    out = run_interp()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    reference = results["tf.nn.conv2d"]
    print(f"\n{'method':<26}{'median s':>12}{'/ tf.nn.conv2d':>16}")
    for name, seconds in results.items():
        note = " (extrapolated)" if "loop" in name else ""
        print(f"{name:<26}{seconds:>12.3f}{seconds / reference:>16.2f}{note}")
    ratio = results["interp.convolve"] / reference
    mib = 2**20
    print(f"\ninterp.convolve peak traced memory: {peak / mib:.0f} MiB (output "
          f"{out.nbytes / mib:.0f} MiB, temporaries {(peak - out.nbytes) / mib:.0f} MiB)")
    print(f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:.0f} MiB")
    print(f"target interp.convolve / tf.nn.conv2d <= 0.8: {ratio:.2f} "
          f"{'met' if ratio <= 0.8 else 'NOT met'}")


if __name__ == "__main__":
    main()
