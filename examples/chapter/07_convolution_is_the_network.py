"""
The convolution is what the network computes
=============================================

The earlier pages convolved images with kernels and claimed this is what the network's
first layer does. Here that claim is checked number by number: first a convolution
written as two plain loops, then the network's own output.
"""

# %%
# A convolution in two loops
# --------------------------
# Slide the kernel over the image; at each position multiply the kernel with the patch
# under it and add up the products. The kernel is not flipped -- strictly this is a
# cross-correlation, which is what every deep-learning library calls convolution.
import time

import keras
import matplotlib.pyplot as plt
import numpy as np

import interp


def convolve_loop(image, kernel):
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for row in range(out.shape[0]):
        for col in range(out.shape[1]):
            out[row, col] = np.sum(image[row:row + kh, col:col + kw] * kernel)
    return out


model = interp.trained_model()
layer = interp.pick_layer(model, "conv1")
kernels, bias = interp.get_kernels(layer)
_, (x_test, y_test) = interp.load_fashion_mnist()
shoe = x_test[int(interp.images_of(y_test, "Sneaker")[0])]

by_hand = convolve_loop(shoe[:, :, 0], kernels[:, :, 0, 0])
vectorized = interp.convolve(shoe[:, :, 0], kernels[:, :, 0, 0])
gap = np.abs(by_hand - vectorized).max()
print(f"loop vs interp.convolve, max |difference|: {gap:.2e}")

# %%
# Same numbers, very different speed. :func:`interp.convolve` builds every 3 × 3 patch
# at once and does one matrix product, instead of 676 small Python steps per image.
# The timing uses the first 200 sneakers of the test set (the time does not depend on
# what the images show).
images = x_test[interp.images_of(y_test, "Sneaker")[:200]]
start = time.perf_counter()
for image in images[:, :, :, 0]:
    convolve_loop(image, kernels[:, :, 0, 0])
loop_seconds = time.perf_counter() - start
start = time.perf_counter()
interp.convolve(images, kernels[:, :, :, :1])
fast_seconds = time.perf_counter() - start
print(f"200 images: loop {loop_seconds:.3f} s, interp.convolve {fast_seconds:.4f} s "
      f"({loop_seconds / fast_seconds:.0f}x faster)")

# %%
# The network's own output
# ------------------------
# A Keras model that stops at the first layer returns what the network computes there:
# the convolution with all five kernels, plus each kernel's bias, through a ReLU.
# The same three steps in numpy should give the same numbers.
first_layer = keras.Model(model.inputs, layer.output)
from_keras = first_layer.predict(shoe[np.newaxis], verbose=0)[0]
from_numpy = np.maximum(interp.convolve(shoe, kernels) + bias, 0.0)
difference = np.abs(from_keras - from_numpy)
print(f"Keras output shape {from_keras.shape}, numpy output shape {from_numpy.shape}")
print(f"max |Keras - numpy| over all 5 maps: {difference.max():.2e}")
print(f"largest activation: {from_keras.max():.3f}")
print("interp.layer_response agrees too:",
      np.allclose(interp.layer_response(layer, shoe), from_keras, atol=1e-5))

# %%
# Side by side for the first kernel: the network's map and the hand-made map, on one
# colour scale. A map of their difference would be a flat square when they agree, so
# the third panel counts the differences instead, over all five maps, in float32
# rounding steps at the largest activation (``np.spacing``): 0 means the two numbers are
# identical, 1 that they differ by one step of the last bit.
unit = float(np.spacing(np.float32(from_keras.max())))
steps = np.round((from_keras - from_numpy) / unit).astype(int)
values, counts = np.unique(steps, return_counts=True)
print(f"one rounding step at the largest activation: {unit:.1e}")
for value, count in zip(values, counts, strict=True):
    print(f"Keras - numpy = {f'{value:+d}' if value else '0'} steps for {count} of "
          f"{steps.size} values")

fig, axes = plt.subplots(1, 3, figsize=(7.2, 2.9), layout="constrained",
                         width_ratios=[1, 1, 1.1])
top = from_keras[:, :, 0].max()
for ax, data, title in ((axes[0], from_keras[:, :, 0], "Keras sub-model"),
                        (axes[1], from_numpy[:, :, 0], "convolve + bias + ReLU")):
    shown = ax.imshow(data, cmap="magma", vmin=0, vmax=top)
    ax.set_title(title, fontsize=10)
    ax.set_axis_off()
fig.colorbar(shown, ax=axes[:2], shrink=0.8, label="activation")
bars = axes[2].bar(values, counts, width=0.6, color="C0")
axes[2].bar_label(bars, fontsize=8)  # a count of 8 is too short to see beside 3,000
axes[2].set_yscale("log")
axes[2].set_ylim(0.5, counts.max() * 4)
axes[2].set_xticks(np.arange(min(values.min(), -2), max(values.max(), 2) + 1))
axes[2].set_xlabel("Keras - numpy\n(float32 rounding steps)", fontsize=9)
axes[2].set_ylabel("values (all 5 maps)", fontsize=9)
axes[2].set_title(f"{counts[values == 0].sum()} of {steps.size} identical", fontsize=10)

plt.show()  # shows the figures when run as a script

# %%
# What to try next
# ----------------
# :doc:`08_taken_together` applies every first-layer kernel to both images at once. On
# :doc:`../inside/13_network_live` the same arithmetic runs in your browser: hover any
# pixel of a map to see its nine products, their sum, the bias and the ReLU.

# sphinx_gallery_thumbnail_number = 1
