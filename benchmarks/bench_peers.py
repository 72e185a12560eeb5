"""Benchmark: interp against Xplique 2.0.2 on the same model, images, classes and settings.

Xplique (TensorFlow only) explains the model's output as given; interp explains logits. So
Xplique gets a copy of the course model without its softmax for the gradient methods, and
the model itself (probabilities) for occlusion, whose drop interp measures in
probabilities too. Both explain the same classes (the predicted ones, given to both) on
the first --images Fashion-MNIST test images. Settings aligned: integrated gradients 50
steps from a black baseline, Grad-CAM on the last convolution, occlusion with 4 x 4 black
patches every 2 pixels, SmoothGrad 25 samples. Xplique runs at its default batch size
(32) and, in a second column, at interp's. Before timing, the script checks that both
compute the same quantity, and says where they differ by design:

- saliency: Xplique returns |gradient|; compared with |interp.saliency|.
- integrated gradients: Xplique puts 50 points on [0, 1] and uses the trapezoid rule,
  interp the midpoint rule; both approximate the same integral (compared with a
  400-step reference).
- Grad-CAM: Xplique resizes the map bicubically, interp bilinearly.
- occlusion: Xplique sums the drops of the patches that cover a pixel, interp averages
  them; compared as interp x (number of patches covering the pixel).
- SmoothGrad: different random noise (and Xplique's noise is an absolute standard deviation,
  interp's a fraction of each image's range, equal here for images spanning 0..1); both
  estimate the same smoothed gradient, so they are compared by correlation.

Goal: interp / Xplique <= 0.67 (1.5 times as fast) on every method. Medians of --repeat
calls, the two timed alternately, after a warm-up call of each.

    nox -s bench-peers
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import statistics
import time

import keras
import numpy as np
from _limit import logits_model

import interp
from interp.models import default_cache_dir

GOAL = 0.67


def gallery_model():
    """The course model the site uses: its cached file, whatever TensorFlow runs here."""
    files = sorted(default_cache_dir().glob("fashion-cnn-e3-s0-*.keras"),
                   key=lambda p: p.stat().st_mtime)
    if files:
        return keras.saving.load_model(files[-1])
    return interp.trained_model(verbose=False)


def timed(func):
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def close(a, b):
    """Largest difference relative to the largest magnitude."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.abs(a - b).max() / np.abs(b).max())


def correlation(a, b):
    return float(np.corrcoef(np.ravel(a), np.ravel(b))[0, 1])


def main():
    from xplique.attributions import (
        GradCAM,
        IntegratedGradients,
        Occlusion,
        Saliency,
        SmoothGrad,
    )

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    model = gallery_model()
    logits = logits_model(model)
    _, (x_test, _) = interp.load_fashion_mnist()
    x = x_test[:args.images]
    classes = model.predict(x, verbose=0).argmax(axis=1)
    one_hot = np.eye(10, dtype=np.float32)[classes]
    ours = {
        "saliency": lambda: interp.saliency(model, x, classes),
        "integrated_gradients": lambda: interp.integrated_gradients(model, x, classes,
                                                                    steps=50)[0],
        "grad_cam": lambda: interp.grad_cam(model, x, classes),
        "occlusion": lambda: interp.occlusion(model, x, classes, patch=4, stride=2),
        "smoothgrad": lambda: interp.smoothgrad(model, x, classes, samples=25, noise=0.15),
    }

    def theirs(batch_size):
        return {
            "saliency": Saliency(logits, batch_size=batch_size),
            "integrated_gradients": IntegratedGradients(logits, steps=50, batch_size=batch_size),
            "grad_cam": GradCAM(logits, conv_layer="conv2", batch_size=batch_size),
            "occlusion": Occlusion(model, patch_size=4, patch_stride=2, occlusion_value=0.0,
                                   batch_size=batch_size),
            "smoothgrad": SmoothGrad(logits, nb_samples=25, noise=0.15, batch_size=batch_size),
        }

    default, matched = theirs(32), theirs(256)
    matched["integrated_gradients"].batch_size = 1024  # interp's default for this method
    matched["occlusion"].batch_size = 1024

    def run(explainer):
        return lambda: np.asarray(explainer(x, one_hot))[..., 0]

    # ---- the same quantity? --------------------------------------------------------------
    print(f"{args.images} test images, predicted classes; checks before timing:")
    got = {name: np.asarray(func()) for name, func in ours.items()}
    peer = {name: run(explainer)() for name, explainer in default.items()}
    gap = close(np.abs(got["saliency"]), peer["saliency"])
    print(f"  saliency: |interp| vs Xplique, largest difference {gap:.1e} of the scale")
    reference = interp.integrated_gradients(model, x, classes, steps=400)[0]
    print(f"  integrated gradients vs a 400-step reference: interp {close(got['integrated_gradients'], reference):.3f}, "  # noqa: E501
          f"Xplique {close(peer['integrated_gradients'], reference):.3f} of the scale; "
          f"to each other {close(got['integrated_gradients'], peer['integrated_gradients']):.3f}")
    print(f"  Grad-CAM: correlation {correlation(got['grad_cam'], peer['grad_cam']):.4f} "
          "(bilinear vs bicubic resize)")
    counts = np.zeros((28, 28))
    for r in range(0, 25, 2):
        for c in range(0, 25, 2):
            counts[r:r + 4, c:c + 4] += 1
    gap = close(got["occlusion"] * counts, peer["occlusion"])
    print(f"  occlusion: interp x patches per pixel vs Xplique's sum, largest difference "
          f"{gap:.1e} of the scale")
    print(f"  SmoothGrad: correlation {correlation(got['smoothgrad'], peer['smoothgrad']):.3f} "
          "(different noise draws)")

    # ---- time ------------------------------------------------------------------------------
    print(f"\nmedian seconds of {args.repeat}, alternating; ratio = interp / Xplique "
          f"(goal <= {GOAL})")
    print(f"{'method':<22}{'interp':>8}{'Xplique':>10}{'ratio':>7}{'Xplique, batch':>16}"
          f"{'ratio':>7}")
    worst = 0.0
    for name, func in ours.items():
        other, other_matched = run(default[name]), run(matched[name])
        other_matched()
        times = {"ours": [], "theirs": [], "matched": []}
        for _ in range(args.repeat):
            times["ours"].append(timed(func))
            times["theirs"].append(timed(other))
            times["matched"].append(timed(other_matched))
        a, b, c = (statistics.median(times[k]) for k in ("ours", "theirs", "matched"))
        worst = max(worst, a / b)
        print(f"{name:<22}{a:>8.3f}{b:>10.3f}{a / b:>7.2f}{c:>16.3f}{a / c:>7.2f}")
    verdict = "met" if worst <= GOAL else "NOT met"
    print(f"worst ratio to Xplique at its defaults {worst:.2f}: goal <= {GOAL} {verdict}")


if __name__ == "__main__":
    main()
