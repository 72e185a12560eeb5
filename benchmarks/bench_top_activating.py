"""Benchmark: top-9 activating images for every kernel of both conv layers over the
60,000 Fashion-MNIST training images.

Targets: both layers together <= 30 s and peak RSS <= 2 GB on two cores. The peer, timed
in the same run, is the forward pass alone: a Keras sub-model ending at the layer, run
batch by batch with its outputs thrown away -- the least any top-k search must pay.

    nox -s bench -- top          # or: python benchmarks/bench_top_activating.py
"""

import argparse
import os
import resource

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
from _timing import median_time

import interp


def rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=1024)
    args = parser.parse_args()

    model = interp.trained_model()
    (x_train, _), _ = interp.load_fashion_mnist()
    print(f"{len(x_train)} training images; RSS after loading data and model: "
          f"{rss_mib():.0f} MiB")

    total = 0.0
    print(f"\n{'layer':<7}{'top_activating s':>18}{'forward only s':>16}{'ratio':>8}")
    for name in ("conv1", "conv2"):
        layer = interp.pick_layer(model, name)
        sub = keras.Model(model.inputs[0], layer.output)

        def forward(sub=sub):
            for start in range(0, len(x_train), args.batch_size):
                sub(x_train[start:start + args.batch_size])

        def search(name=name):
            return interp.top_activating(model, name, x_train, k=9, batch_size=args.batch_size)

        forward()
        top = search()  # warm-up, and a check that it ran
        assert top.indices.shape == (layer.filters, 9)
        seconds = median_time(search, args.repeat)
        peer = median_time(forward, args.repeat)
        total += seconds
        print(f"{name:<7}{seconds:>18.2f}{peer:>16.2f}{seconds / peer:>8.2f}")
    peak = rss_mib()
    print(f"\nboth layers: {total:.2f} s (target <= 30 s: {'met' if total <= 30 else 'NOT met'})")
    print(f"peak RSS: {peak:.0f} MiB (target <= 2048 MiB: {'met' if peak <= 2048 else 'NOT met'})")


if __name__ == "__main__":
    main()
