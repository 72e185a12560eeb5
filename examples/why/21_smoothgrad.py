"""
SmoothGrad: saliency averaged over noise
========================================

A ReLU network's gradient can jump from pixel to pixel. SmoothGrad :cite:p:`smilkov2017`
adds Gaussian noise to the image :math:`n` times and averages the saliency maps,

.. math::

   \\hat S_i = \\frac{1}{n} \\sum_{k=1}^{n}
   \\frac{\\partial F_c}{\\partial x_i}\\left(x + \\varepsilon_k\\right),
   \\qquad \\varepsilon_k \\sim \\mathcal{N}(0, \\sigma^2),

hoping that the jitter cancels while the evidence remains (:func:`interp.smoothgrad`,
with :math:`\\sigma` given as a fraction of the image's range). This page measures
whether the map gets smoother for this network, and why not.
"""

# %%
# Saliency and SmoothGrad side by side
# ------------------------------------
# Roughness is the mean absolute difference between neighbouring pixels relative to
# the map's mean absolute value: 0 for a constant map, about 1.41 for independent
# random numbers. Each title gives it.
import keras
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
_, (x_test, y_test) = interp.load_fashion_mnist()
names = ("Sneaker", "T-shirt/top")
images = x_test[[int(interp.images_of(y_test, name)[0]) for name in names]]
classes = model.predict(images, verbose=0).argmax(axis=1)


def roughness(values):
    steps = np.abs(np.diff(values, axis=0)).mean() + np.abs(np.diff(values, axis=1)).mean()
    return steps / (2 * np.abs(values).mean())


plain = interp.saliency(model, images)
smooth = interp.smoothgrad(model, images, noise=0.15, samples=25, seed=0)
fig, axes = plt.subplots(2, 3, figsize=(8, 5.4), layout="constrained")
for row, name in enumerate(names):
    interp.plot_attributions(
        images[row], {f"saliency\nroughness {roughness(plain[row]):.2f}": plain[row],
                      f"SmoothGrad, σ = 0.15\nroughness {roughness(smooth[row]):.2f}":
                      smooth[row]}, axes=axes[row], title=name)
for row, name in enumerate(names):
    verdict = "smoother" if roughness(smooth[row]) < roughness(plain[row]) else "not smoother"
    print(f"{name}: roughness saliency {roughness(plain[row]):.2f}, SmoothGrad "
          f"{roughness(smooth[row]):.2f} -> SmoothGrad is {verdict}")
noise_map = np.random.default_rng(0).normal(size=(28, 28))
print(f"independent random numbers: roughness {roughness(noise_map):.2f}")
alike = interp.rank_correlation(plain, smooth)  # Spearman, per image
print("do the two columns rank the pixels alike? Spearman correlation, per image:")
print("  " + ", ".join(f"{name} {r:+.2f}" for name, r in zip(names, alike, strict=True)))

# %%
# Does more noise help?
# ---------------------
# The noise level :math:`\sigma` is SmoothGrad's main knob, and the number of samples
# decides how well the average is estimated. Roughness against both:
levels = [0.0, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6]
curves = {}  # samples -> roughness, shaped (noise level, image)
for n in (25, 200):
    curves[n] = np.array([[roughness(m) for m in interp.smoothgrad(
        model, images, noise=s, samples=n, seed=0)] for s in levels])
for s, few, many in zip(levels, curves[25], curves[200], strict=True):
    print(f"sigma {s:<4}: roughness with 25 samples {few[0]:.2f} / {few[1]:.2f}, "
          f"with 200 samples {many[0]:.2f} / {many[1]:.2f}")

# %%
# Why the noise does not smooth this map: SmoothGrad averages over *which units are
# switched on*, and that does change from copy to copy (the printout counts the
# switches). But a copy of the network with the same weights and no ReLU at all -- no
# switching, one gradient per class -- is rough too. The texture is in the weights: the
# dense layer gives each of conv2's 24 × 24 positions its own weight, and two 3 × 3
# convolutions only spread that over 5 × 5 pixels. Averaging over inputs cannot smooth
# weights.
clean = interp.feature_maps(model, images, layers=["conv1", "conv2"])
for row, name in enumerate(names):
    noisy = images[row] + np.random.default_rng(row).normal(0, 0.15, (25, 28, 28, 1))
    copies = interp.feature_maps(model, noisy.astype("float32"), layers=["conv1", "conv2"])
    flips = {layer: np.mean((copies[layer] > 0) != (clean[layer][row] > 0))
             for layer in copies}
    print(f"{name}, sigma 0.15: units switched by the noise: "
          f"conv1 {flips['conv1']:.0%}, conv2 {flips['conv2']:.0%}")
no_relu = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(5, 3),
                            keras.layers.Conv2D(15, 3), keras.layers.Flatten(),
                            keras.layers.Dense(10)])
no_relu.set_weights(model.get_weights())
linear = interp.saliency(no_relu, images, target=classes)
for row, name in enumerate(names):
    print(f"{name}: roughness of the gradient without ReLUs {roughness(linear[row]):.2f}")

fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
for row, (name, color) in enumerate(zip(names, ("C3", "C0"), strict=True)):
    ax.plot(levels, curves[200][:, row], "o-", color=color, label=f"{name}, 200 samples")
    ax.plot(levels, curves[25][:, row], "o:", color=color, label=f"{name}, 25 samples")
    ax.axhline(roughness(linear[row]), color=color, linestyle="--", linewidth=1,
               label=f"{name}, same weights, no ReLU")
ax.axhline(roughness(noise_map), color="0.5", linestyle="-.", linewidth=1)
ax.text(1.6, roughness(noise_map) - 0.03, "independent random numbers", ha="right", va="top")
ax.set_xscale("symlog", linthresh=0.05, linscale=0.4)
ax.set_xticks(levels, [f"{s:g}" for s in levels])
ax.set_xlim(-0.005, 1.8)
ax.set_ylim(0, 1.55)
ax.set_xlabel("noise level σ (fraction of the image's range; 0 is plain saliency)")
ax.set_ylabel("roughness (lower is smoother)")
low, high = curves[200].min(axis=0), curves[200].max(axis=0)
ax.set_title(f"Roughness from σ = 0 to 1.6 (200 samples): {low[0]:.2f}–{high[0]:.2f} for "
             f"the sneaker,\n{low[1]:.2f}–{high[1]:.2f} for the T-shirt", fontsize=11)
ax.legend(loc="lower left", ncols=2, fontsize=9)

plt.show()  # shows the figures when run as a script

# %%
# What to try next
# ----------------
# Both maps are local: they say what a small change would do. :doc:`22_integrated_gradients`
# accounts for the whole way from a black image to this one.

# sphinx_gallery_thumbnail_number = 1
