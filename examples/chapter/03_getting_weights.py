"""
Getting the weights
===================

A convolution layer's weights come out of ``layer.get_weights()`` as a list of numpy
arrays: the kernels and the biases. This page reads the kernel array's shape axis by axis
and slices a single kernel out of it.
"""

# %%
# What get_weights returns
# ------------------------
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
layer = model.layers[0]
weights = layer.get_weights()
print(f"{layer.name}: get_weights() returns {len(weights)} arrays")
for name, array in zip(["kernels", "bias"], weights, strict=True):
    print(f"  {name:<8} shape {array.shape}, dtype {array.dtype}")

# %%
# The kernel array, axis by axis
# ------------------------------
kernels, bias = weights
kh, kw, in_channels, n_kernels = kernels.shape
print(f"axis 0 and 1: each kernel is {kh} x {kw} pixels (the layer's kernel_size "
      f"{layer.kernel_size})")
print(f"axis 2: {in_channels} input channel -- the images are grayscale")
print(f"axis 3: {n_kernels} kernels -- the layer's filters={layer.filters}, "
      f"one output map each")
print(f"bias: one number per kernel, {[round(float(b), 3) for b in bias]}")

# %%
# One kernel
# ----------
# Index 0 on the last axis selects the first kernel. It still has its channel axis;
# since there is only one channel, indexing it too collapses the kernel to 3 × 3.
with_channel = kernels[:, :, :, 0]
first = kernels[:, :, 0, 0]
print("kernels[:, :, :, 0] has shape", with_channel.shape)
print("kernels[:, :, 0, 0] has shape", first.shape)
print(np.round(first, 3))

# %%
# :func:`interp.get_kernels` and :func:`interp.kernel` do the same with names instead of
# positions, and check the indices they are given.
same_kernels, same_bias = interp.get_kernels(layer)
print("get_kernels equals get_weights:", np.array_equal(same_kernels, kernels)
      and np.array_equal(same_bias, bias))
print("kernel(layer, 0) equals kernels[:, :, 0, 0]:",
      np.array_equal(interp.kernel(layer, 0), first))
try:
    interp.kernel(layer, 5)
except IndexError as err:
    print("IndexError:", err)

# %%
# The figure shows the whole array as five 3 × 3 slices, one per value of the last axis,
# on one colour scale (red positive, blue negative, white zero; the colorbar gives the
# values), with the slice taken above framed.
fig, axes = plt.subplots(2, 3, figsize=(6.6, 4.8), layout="constrained")
limit = np.abs(kernels).max()
for k, ax in enumerate(axes.flat[:n_kernels]):
    shown = ax.imshow(kernels[:, :, 0, k], cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_title(f"kernels[:, :, 0, {k}]", fontsize=10, family="monospace")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(3 if k == 0 else 0.5)
note = axes.flat[-1]
note.set_axis_off()
note.text(0.5, 0.5, f"kernels.shape\n{kernels.shape}\n\nrows, columns,\ninput channels,"
          f"\nkernels", ha="center", va="center", fontsize=11, family="monospace")
fig.colorbar(shown, ax=axes, shrink=0.7, label="weight")
fig.suptitle(f"the kernel array of {layer.name!r}, sliced on its last axis")

plt.show()  # shows the figures when run as a script

# %%
# What to try next
# ----------------
# :doc:`04_visualizing_kernels` draws these kernels with their values.

# sphinx_gallery_thumbnail_number = 1
