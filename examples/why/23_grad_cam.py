"""
Grad-CAM: weighting a layer's maps by their gradients
=====================================================

Grad-CAM (:func:`interp.grad_cam`) weights each map of a convolution layer by the
average gradient of the class logit with respect to it, adds them up and keeps the
positive part. In networks that end in global average pooling this highlights the
object. This network ends in ``Flatten`` + ``Dense``, and the page measures what that
does to the method.
"""

# %%
# Grad-CAM on both convolution layers
# -----------------------------------
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
_, (x_test, y_test) = interp.load_fashion_mnist()
names = ("Sneaker", "T-shirt/top")
images = x_test[[int(interp.images_of(y_test, name)[0]) for name in names]]

cams = {layer: interp.grad_cam(model, images, layer=layer) for layer in ("conv1", "conv2")}
fig, axes = plt.subplots(2, 3, figsize=(8, 5.2), layout="constrained")
for row, name in enumerate(names):
    interp.plot_attributions(images[row], {f"Grad-CAM {layer}": cams[layer][row]
                                           for layer in cams}, axes=axes[row], title=name)
for layer, cam in cams.items():
    for row, name in enumerate(names):
        print(f"{layer}, {name}: max {cam[row].max():.4f}, "
              f"{np.mean(cam[row] > 0):.0%} of pixels above zero")

# %%
# How often is the map empty?
# ---------------------------
# Over the first 500 test images, the share whose Grad-CAM map is zero everywhere: the
# ReLU removes everything when the map weights (mean gradients) are mostly negative.
sample = x_test[:500]
for layer in ("conv1", "conv2"):
    cam = interp.grad_cam(model, sample, layer=layer)
    empty = float(np.mean(cam.max(axis=(1, 2)) == 0))
    print(f"{layer}: {empty:.0%} of the maps are empty")

# %%
# With a dense read-out, each position of a map has its own weight into each class, so
# one average gradient per map throws most of that information away. The next page
# asks the network directly instead, by covering parts of the image.
plt.show()  # shows the figures when run as a script

# %%
# What to try next
# ----------------
# :doc:`24_occlusion` needs no gradient at all.

# sphinx_gallery_thumbnail_number = 1
