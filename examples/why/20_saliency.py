"""
Saliency: which pixels the score is most sensitive to
=====================================================

Why does the network call a sneaker a sneaker? The simplest answer is a gradient
:cite:p:`simonyan2014`: how much the class score :math:`F_c` changes when one pixel
:math:`x_i` changes,

.. math::

   S_i = \\frac{\\partial F_c}{\\partial x_i}.

:func:`interp.saliency` computes it for the *logit* -- the score before the softmax --
since a confident softmax output hardly moves at all. This page measures whether the
map points at the object.
"""

# %%
# Two test images, chosen by class
# --------------------------------
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
_, (x_test, y_test) = interp.load_fashion_mnist()
names = ("Sneaker", "T-shirt/top")
images = x_test[[int(interp.images_of(y_test, name)[0]) for name in names]]
probabilities = model.predict(images, verbose=0)
for name, p in zip(names, probabilities, strict=True):
    print(f"{name}: predicted {interp.CLASS_NAMES[p.argmax()]} with probability {p.max():.3f}")

# %%
# The saliency maps
# -----------------
# Red pixels would raise the predicted class's logit if they were brighter, blue ones
# would lower it. The black line is the object's outline (pixels brighter than 0.2, the
# threshold :func:`interp.mass_on_object` uses); each title gives the share of the
# map's absolute mass inside it.
maps = interp.saliency(model, images)
objects = images[..., 0] > 0.2
shares = objects.mean(axis=(1, 2))
masses = [interp.mass_on_object(grad, image) for grad, image in zip(maps, images, strict=True)]
fig, axes = plt.subplots(2, 3, figsize=(8, 5.4), layout="constrained")
for row, name in enumerate(names):
    label = f"|saliency|\n{masses[row]:.0%} of it on the object"
    interp.plot_attributions(images[row], {"saliency": maps[row], label: np.abs(maps[row])},
                             signed={label: False}, axes=axes[row],
                             title=f"{name}\nobject: {shares[row]:.0%} of pixels")
    for ax in axes[row, 1:]:
        ax.contour(objects[row], levels=[0.5], colors="black", linewidths=0.8)

# %%
# Is that more than chance?
# -------------------------
# A map that ignored the image -- random numbers, say -- would put on the object about
# the object's share of the pixels. So the measure only says something when it beats
# that share.
rng = np.random.default_rng(0)
for row, name in enumerate(names):
    chance = np.mean([interp.mass_on_object(rng.normal(size=(28, 28)), images[row])
                      for _ in range(200)])
    print(f"{name}: saliency puts {masses[row]:.0%} of its mass on the object; "
          f"random maps {chance:.0%}")
    print(f"  ratio to chance: {masses[row] / shares[row]:.2f} (1 = chance)")

# %%
# Two images are anecdotes. The same ratio for the first 500 test images:
sample = x_test[:500]
sample_maps = interp.saliency(model, sample)
ratios = np.array([interp.mass_on_object(grad, image) / np.mean(image[..., 0] > 0.2)
                   for grad, image in zip(sample_maps, sample, strict=True)])
print(f"500 images: median ratio {np.median(ratios):.2f}; below chance for "
      f"{np.mean(ratios < 1):.0%}, above 1.2 for {np.mean(ratios > 1.2):.0%}")

fig, ax = plt.subplots(figsize=(7, 3.2), layout="constrained")
ax.hist(ratios, bins=30, color="0.6")
ax.axvline(1.0, color="black", linestyle="--", label="chance (a map blind to the image)")
ax.axvline(np.median(ratios), color="C4", label=f"median {np.median(ratios):.2f}")
ax.set_xlabel("saliency mass on the object / the object's share of the pixels")
ax.set_ylabel("test images")
ax.set_title(f"500 test images: the ratio is below chance for {np.mean(ratios < 1):.0%}")
ax.set_ylim(top=ax.get_ylim()[1] * 1.3)  # room for the legend
ax.legend(loc="upper left")

# %%
# Why not? The gradient measures *sensitivity*, and a black background pixel is no
# less sensitive than an object pixel: brightening it would add an edge the network
# reads. A pixel passes gradient to the logit only through the units that are switched
# on above it, and the dense layer has a weight of its own for every position, object
# or not. The printout counts those units: on a black image, where only the biases
# decide, most are on; on the object, fewer are.
black = interp.feature_maps(model, np.zeros((1, 28, 28, 1)), layers=["conv1", "conv2"])
for layer, values in black.items():
    on = int(np.all(values[0] > 0, axis=(0, 1)).sum())
    print(f"black image: {on} of {values.shape[-1]} {layer} kernels on at every position")
conv2 = interp.feature_maps(model, images, layers="conv2")["conv2"] > 0
for row, name in enumerate(names):
    inside = objects[row, 2:26, 2:26]  # conv2 unit (i, j) is centred on pixel (i+2, j+2)
    print(f"{name}: conv2 units on at object positions {conv2[row][inside].mean():.0%}, "
          f"at background positions {conv2[row][~inside].mean():.0%}")

plt.show()  # shows the figures when run as a script

# %%
# What to try next
# ----------------
# Gradients of a ReLU network are noisy. :doc:`21_smoothgrad` averages them over noisy
# copies of the image.

# sphinx_gallery_thumbnail_number = 1
