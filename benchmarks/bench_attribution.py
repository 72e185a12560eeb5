"""Benchmark: every gradient method against its own limit, one compiled gradient pass.

On the course model and the Fashion-MNIST test images, each method runs at its default
settings (``target=None``: it finds the predicted classes itself) and is timed against the
limit for the same work: one compiled pass of d(target logit)/d(input) over every input
the method differentiates (1,000 images for saliency; 100 images x 50 path points for
integrated gradients; 100 x 25 noisy copies for SmoothGrad), written by hand with the
backend's own tools (benchmarks/_limit.py) and given the target classes for free.
Saliency runs twice: finding the classes itself, and given them (``target=``), which must
cost no more. Target: method / limit <= 1.25. Medians of --repeat runs, the two timed
alternately, after a warm-up of each; the ratio is measured in the same run.
KERAS_BACKEND picks the backend.

    nox -s bench -- attribution
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import statistics
import time

import keras
import numpy as np
from _limit import compiled_gradient

import interp

TARGET = 1.25


def timed(func):
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    model = interp.trained_model(verbose=False)
    _, (x_test, _) = interp.load_fashion_mnist()
    x1000, x100 = x_test[:1000], x_test[:100]
    grad = compiled_gradient(model)
    predicted = model.predict(x1000, batch_size=1000, verbose=0).argmax(axis=1)
    steps, samples = 50, 25
    alphas = ((np.arange(steps) + 0.5) / steps).astype(np.float32)
    path = (alphas[None, :, None, None, None] * x100[:, None]).reshape(-1, 28, 28, 1)
    noisy = np.repeat(x100, samples, axis=0)
    noisy = noisy + np.random.default_rng(0).normal(0, 0.15, noisy.shape).astype(np.float32)
    cases = {
        "saliency": (lambda: interp.saliency(model, x1000), x1000, predicted),
        # an explicit target must cost no more than the predicted one (issue #16)
        "saliency, target given": (lambda: interp.saliency(model, x1000, predicted), x1000,
                                   predicted),
        "input_x_gradient": (lambda: interp.input_x_gradient(model, x1000), x1000, predicted),
        "guided_backprop": (lambda: interp.guided_backprop(model, x1000), x1000, predicted),
        "grad_cam": (lambda: interp.grad_cam(model, x1000), x1000, predicted),
        "integrated_gradients": (lambda: interp.integrated_gradients(model, x100, steps=steps),
                                 path, np.repeat(predicted[:100], steps)),
        "smoothgrad": (lambda: interp.smoothgrad(model, x100, samples=samples), noisy,
                       np.repeat(predicted[:100], samples)),
    }
    print(f"backend {keras.backend.backend()}; medians of {args.repeat}; limit = one compiled "
          "gradient pass over the same inputs")
    print(f"{'method':<22}{'inputs':>8}{'interp s':>10}{'limit s':>10}{'ratio':>8}  target")
    worst = 0.0
    for name, (run, inputs, targets) in cases.items():
        run()
        grad(inputs, targets)  # warm-up: traces, compiles, allocations
        ours, limit = [], []
        for _ in range(args.repeat):
            ours.append(timed(run))
            limit.append(timed(lambda inputs=inputs, targets=targets: grad(inputs, targets)))
        ours_s, limit_s = statistics.median(ours), statistics.median(limit)
        ratio = ours_s / limit_s
        worst = max(worst, ratio)
        verdict = "met" if ratio <= TARGET else "NOT met"
        print(f"{name:<22}{len(inputs):>8}{ours_s:>10.3f}{limit_s:>10.3f}{ratio:>8.2f}  "
              f"<= {TARGET} {verdict}")
    print(f"worst ratio {worst:.2f} (target <= {TARGET})")


if __name__ == "__main__":
    main()
