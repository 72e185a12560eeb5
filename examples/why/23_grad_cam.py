"""
Grad-CAM: weighting a layer's maps by their gradients
=====================================================

Grad-CAM :cite:p:`selvaraju2017` (:func:`interp.grad_cam`) explains class :math:`c`
with a convolution layer's maps :math:`A^k`. Each map gets one weight, the average
gradient of the class logit over the map's :math:`Z` positions, and the weighted sum
goes through a ReLU:

.. math::

   \\alpha_k = \\frac{1}{Z} \\sum_{i,j} \\frac{\\partial F_c}{\\partial A^k_{ij}},
   \\qquad L = \\mathrm{ReLU}\\Bigl(\\sum_k \\alpha_k A^k\\Bigr).

In networks that end in global average pooling this highlights the object. This
network ends in ``Flatten`` + ``Dense``, and the page measures what that does to the
method.
"""

# %%
# Grad-CAM on both convolution layers
# -----------------------------------
# Grad-CAM maps are non-negative, so they are drawn from white (0) to red. A map that
# is zero everywhere is marked "all zero".
import keras
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
_, (x_test, y_test) = interp.load_fashion_mnist()
names = ("Sneaker", "T-shirt/top")
images = x_test[[int(interp.images_of(y_test, name)[0]) for name in names]]
classes = model.predict(images, verbose=0).argmax(axis=1)
layers = ("conv1", "conv2")

cams = {layer: interp.grad_cam(model, images, layer=layer) for layer in layers}
fig, axes = plt.subplots(2, 3, figsize=(8, 5.2), layout="constrained")
for row, name in enumerate(names):
    interp.plot_attributions(images[row], {f"Grad-CAM {layer}": cams[layer][row]
                                           for layer in layers},
                             signed=False, axes=axes[row], title=name)
for layer in layers:
    for row, name in enumerate(names):
        cam = cams[layer][row]
        state = (f"max {cam.max():.2g}, {np.mean(cam > 0):.0%} of pixels above zero"
                 if cam.max() > 0 else "empty (zero everywhere)")
        print(f"{layer}, {name}: {state}")

# %%
# Why the maps are empty: the weights
# -----------------------------------
# Here the weights can be read off the network. conv2's output feeds ``Flatten`` and
# ``Dense`` directly, so the gradient of a logit with respect to it *is* the dense
# layer's weights, and :math:`\alpha_k` for conv2 is the mean of class :math:`c`'s
# 576 weights on map :math:`k` -- the same for every image. One layer further back,
# the gradient also passes conv2's kernels and whichever conv2 units are on. The
# weights rebuild :func:`interp.grad_cam`'s maps exactly (the printed difference).
dense_weights = model.get_layer("dense").get_weights()[0].reshape(24, 24, 15, 10)
conv2_kernels, _ = interp.get_kernels(interp.pick_layer(model, "conv2"))  # (3, 3, 5, 15)
acts = interp.feature_maps(model, images, layers=list(layers))
weights = {layer: [] for layer in layers}
for row, c in enumerate(classes):
    weights["conv2"].append(dense_weights[..., c].mean(axis=(0, 1)))
    per_map = (dense_weights[..., c] * (acts["conv2"][row] > 0)).sum(axis=(0, 1))
    weights["conv1"].append(conv2_kernels.sum(axis=(0, 1)) @ per_map / 26**2)

fig, axes = plt.subplots(2, 2, figsize=(8, 5.2), layout="constrained",
                         width_ratios=[1, 2.2])
difference = 0.0
for row, name in enumerate(names):
    for col, layer in enumerate(layers):
        alpha = weights[layer][row]
        total = (acts[layer][row] * alpha).sum(axis=-1)  # the sum before the ReLU
        rebuilt = keras.ops.convert_to_numpy(keras.ops.image.resize(
            np.maximum(total, 0)[None, ..., None], (28, 28), "bilinear"))[0, ..., 0]
        ax = axes[row, col]
        ax.bar(range(len(alpha)), alpha, color=np.where(alpha > 0, "#B2182B", "#2166AC"))
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xticks(range(len(alpha)))
        ax.tick_params(labelsize=8)
        ax.set_title(f"{name}, {layer}: {np.sum(alpha > 0)} of {len(alpha)} weights > 0,"
                     f"\nsum > 0 at {np.mean(total > 0):.0%} of positions", fontsize=10)
        difference = max(difference, np.abs(rebuilt - cams[layer][row]).max())
        print(f"{name}, {layer}: {np.sum(alpha > 0)} of {len(alpha)} weights positive; "
              f"weighted sum > 0 at {np.mean(total > 0):.0%} of positions")
axes[1, 0].set_xlabel("conv1 map k")
axes[1, 1].set_xlabel("conv2 map k")
for ax in axes[:, 0]:
    ax.set_ylabel(r"Grad-CAM weight $\alpha_k$")
print(f"largest difference between the rebuilt maps and interp.grad_cam: {difference:.0e}")

# %%
# The activations :math:`A^k` are non-negative (they follow a ReLU), so where the
# negative weights outweigh the positive ones the sum is negative, and when that holds
# at every position the final ReLU leaves nothing: the printout's "sum > 0 at 0%". For
# the sneaker's conv2 all 15 weights are negative. Since conv2's weights depend only on
# the class, *every* conv2 map of a class whose 15 weights are all negative is empty.
# Over the first 500 test images:
sample = x_test[:500]
predicted = model.predict(sample, verbose=0).argmax(axis=1)
all_negative = np.flatnonzero((dense_weights.mean(axis=(0, 1)) <= 0).all(axis=0))
for layer in layers:
    empty = interp.grad_cam(model, sample, layer=layer).max(axis=(1, 2)) == 0
    print(f"{layer}: {empty.mean():.0%} of the maps are empty")
for c in all_negative:
    chosen = predicted == c
    empty = interp.grad_cam(model, sample[chosen], layer="conv2").max(axis=(1, 2)) == 0
    print(f"  conv2, predicted {interp.CLASS_NAMES[c]} (all 15 weights negative): "
          f"{empty.sum()} of {chosen.sum()} maps empty")

# %%
# Why the weights are so unhelpful: a map's 576 dense weights take both signs, and
# their mean keeps little of them. For the sneaker class:
spread = dense_weights[..., classes[0]]
means, deviations = spread.mean(axis=(0, 1)), spread.std(axis=(0, 1))
print(f"{interp.CLASS_NAMES[classes[0]]}: the 15 maps' weight means run from "
      f"{means.min():+.3f} to {means.max():+.3f},")
print(f"  their standard deviations from {deviations.min():.3f} to {deviations.max():.3f}; "
      f"positive weights: {np.mean(spread > 0):.0%}")

plt.show()  # shows the figures when run as a script

# %%
# With a dense read-out, each position of a map has its own weight into each class, so
# one average gradient per map throws most of that information away.
#
# What to try next
# ----------------
# :doc:`24_occlusion` needs no gradient at all: it asks the network directly, by
# covering parts of the image.

# sphinx_gallery_thumbnail_number = 1
