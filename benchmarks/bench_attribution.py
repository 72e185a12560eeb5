"""Benchmark: saliency on 1,000 test images and integrated gradients (50 steps) on 100.

Targets on two cores: saliency <= 5 s, integrated gradients <= 10 s. The peer, timed in
the same run, is one plain forward pass (``model.predict``) over the same images: the
ratio says how many forward passes' worth of work each method costs.

    nox -s bench -- attribution
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from _timing import median_time

import interp


def main():
    model = interp.trained_model()
    _, (x_test, _) = interp.load_fashion_mnist()
    cases = {
        "saliency, 1000 images": (lambda: interp.saliency(model, x_test[:1000]),
                                  x_test[:1000], 5.0),
        "integrated gradients (50 steps), 100 images": (
            lambda: interp.integrated_gradients(model, x_test[:100], steps=50), x_test[:100], 10.0),
    }
    print(f"{'case':<46}{'median s':>10}{'forward s':>11}{'ratio':>8}  target")
    for name, (run, images, target) in cases.items():
        run()  # warm-up (traces, allocations)
        seconds = median_time(run)
        forward = median_time(lambda images=images: model.predict(images, batch_size=256,
                                                                    verbose=0))
        verdict = "met" if seconds <= target else "NOT met"
        print(f"{name:<46}{seconds:>10.2f}{forward:>11.3f}{seconds / forward:>8.1f}  "
              f"<= {target:.0f} s {verdict}")


if __name__ == "__main__":
    main()
