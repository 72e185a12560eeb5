"""
Visualizing kernels
===================

A 3 × 3 kernel is nine numbers. Drawn as a heat map, centred at zero so that white means
0, red a positive weight and blue a negative one, its structure is easier to see -- but,
as this page shows, still hard to read as a description of what the kernel detects.
"""

# %%
# One kernel, with its values
# ---------------------------
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
layer = interp.pick_layer(model, "conv1")
first = interp.kernel(layer, 0)
ax = interp.plot_kernel(first, title=f"{layer.name}, kernel 0")

# %%
# A few numbers summarise the picture: the weight sum says whether the kernel brightens
# (positive) or darkens a uniform patch, and the column and row differences say whether
# it compares left with right or top with bottom.
total = first.sum()
print(f"weight sum {total:+.2f}: a uniform patch of ones gives {total:+.2f}")
print(f"right column minus left column {first[:, -1].sum() - first[:, 0].sum():+.2f}; "
      f"bottom row minus top row {first[-1].sum() - first[0].sum():+.2f}")
for label, where in (("largest", first.argmax()), ("smallest", first.argmin())):
    row, col = (int(i) for i in np.unravel_index(where, first.shape))
    print(f"{label} weight {first[row, col]:+.2f} at row {row}, column {col}")

# %%
# The whole first layer
# ---------------------
# :func:`interp.plot_kernels` draws all kernels of a layer on one shared colour scale, so
# a dark red in one kernel means the same weight as a dark red in another.
fig = interp.plot_kernels(layer, annotate=True)

kernels, bias = interp.get_kernels(layer)
print(f"{'kernel':>6} {'sum':>7} {'right-left':>11} {'bottom-top':>11} {'bias':>7}")
for k in range(kernels.shape[3]):
    w = kernels[:, :, 0, k]
    print(f"{k:>6} {w.sum():>+7.2f} {w[:, -1].sum() - w[:, 0].sum():>+11.2f} "
          f"{w[-1].sum() - w[0].sum():>+11.2f} {bias[k]:>+7.3f}")
strongest = int(np.argmax(np.abs(kernels[:, :, 0, :]).sum(axis=(0, 1))))
print(f"kernel {strongest} has the largest total |weight|")
mixed = all((kernels[:, :, 0, k] > 0).any() and (kernels[:, :, 0, k] < 0).any()
            for k in range(kernels.shape[3]))
print(f"every kernel has both positive and negative weights: {mixed}")

plt.show()  # shows the figures when run as a script

# %%
# These summaries say which way each kernel leans, not what it finds in a real picture:
# as the last printed line checks, the kernels mix positive and negative weights, in
# patterns that no single number captures. The next pages let real images answer that.
#
# What to try next
# ----------------
# :doc:`05_kernel_responses` convolves a sneaker and a t-shirt with a kernel and measures
# which of their edges it emphasizes.

# sphinx_gallery_thumbnail_number = 1
