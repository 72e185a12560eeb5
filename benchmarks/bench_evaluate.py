"""Benchmark: which-map-to-trust measurements on two cores.

- deletion plus insertion of saliency maps, 100 test images x 21 steps (target <= 2 s);
  the peer is a plain batched loop written here: every perturbed image of every step
  built in numpy and sent through ``model.predict`` in one call;
- cascading randomization of saliency over 200 images, three layers (target <= 10 s);
- training the shuffled-label network from scratch into a temporary cache directory
  (target <= 90 s; the shared cache is not touched). ``--no-train`` skips it.

    nox -s bench -- evaluate
"""

import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from _timing import median_time

import interp


def plain_loop(model, images, maps, steps=20):
    """The protocol without interp: all perturbed images built at once, one predict."""
    n, pixels = len(images), 28 * 28
    order = np.argsort(-maps.reshape(n, -1), axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(pixels)[None], axis=1)
    counts = np.round(np.arange(steps + 1) * pixels / steps)
    mask = rank[:, None, :] < counts[None, :, None]  # (n, steps + 1, pixels)
    flat = images.reshape(n, 1, pixels)
    deleted = np.where(mask, 0.0, flat).reshape(-1, 28, 28, 1)
    probabilities = model.predict(deleted, batch_size=256, verbose=0)
    return probabilities.reshape(n, steps + 1, -1)


def main():
    model = interp.trained_model()
    _, (x_test, _) = interp.load_fashion_mnist()
    images = x_test[:100]
    maps = interp.saliency(model, images)

    def both():
        interp.deletion(model, images, maps, steps=20)
        interp.insertion(model, images, maps, steps=20)

    both()  # warm-up (traces)
    seconds = median_time(both)
    plain_loop(model, images, maps)
    peer = median_time(lambda: plain_loop(model, images, maps))
    print(f"{'case':<58}{'median s':>9}  target")
    print(f"{'deletion + insertion, 100 images x 21 steps':<58}{seconds:>9.2f}  <= 2 s "
          f"{'met' if seconds <= 2 else 'NOT met'}")
    print(f"{'  peer: plain batched deletion only (numpy + predict)':<58}{peer:>9.2f}")

    cascade = lambda: interp.cascading_randomization(model, x_test[:200])  # noqa: E731
    cascade()
    seconds = median_time(cascade)
    print(f"{'cascading randomization, saliency, 200 images, 3 layers':<58}{seconds:>9.2f}"
          f"  <= 10 s {'met' if seconds <= 10 else 'NOT met'}")

    if "--no-train" in sys.argv:
        return
    with tempfile.TemporaryDirectory() as cache:
        started = time.perf_counter()
        shuffled = interp.trained_model(labels="shuffled", cache_dir=cache, verbose=False)
        total = time.perf_counter() - started
        info = shuffled.training_info
        started = time.perf_counter()
        interp.trained_model(labels="shuffled", cache_dir=cache, verbose=False)
        load = time.perf_counter() - started
    print(f"{'shuffled-label training (call, from scratch)':<58}{total:>9.1f}  <= 90 s "
          f"{'met' if total <= 90 else 'NOT met'}")
    print(f"  {len(info.history)} epochs, training accuracy {info.train_accuracy:.3f}, "
          f"test accuracy {info.test_accuracy:.3f}; loading it again: {load:.2f} s")


if __name__ == "__main__":
    main()
