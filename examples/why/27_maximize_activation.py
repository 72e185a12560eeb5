"""
What a kernel wants to see
==========================

Instead of asking which images a kernel responds to, ask it to draw its favourite input:
:func:`interp.maximize_activation` starts from gray noise and climbs the gradient of the
kernel's mean activation, with small random shifts, occasional blurring and a pull back
toward gray so the result stays an image rather than noise.
"""

# %%
# First layer: the kernel and its synthesized input
# -------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
_, (x_test, y_test) = interp.load_fashion_mnist()
conv1 = interp.pick_layer(model, "conv1")
kernels, _ = interp.get_kernels(conv1)
first = interp.maximize_activation(model, "conv1", list(range(5)), steps=200, seed=0)

fig, axes = plt.subplots(2, 5, figsize=(8.5, 4.2), layout="constrained")
limit = np.abs(kernels).max()  # one scale for all five; the weights are written in
for k in range(5):
    interp.plot_kernel(kernels[:, :, 0, k], ax=axes[0, k], colorbar=False, vmax=limit,
                       title=f"kernel {k}\nweight sum {kernels[..., k].sum():+.2f}")
    axes[1, k].imshow(first[k, :, :, 0], cmap="gray", vmin=0, vmax=1)
    axes[1, k].set_axis_off()
    axes[1, k].set_title(f"synthesized\nmean brightness {first[k].mean():.2f}", fontsize=9)
for k in range(5):
    print(f"conv1 kernel {k}: weight sum {kernels[..., k].sum():+.2f}; synthesized "
          f"image's mean brightness {first[k].mean():.2f}")

# %%
# A kernel whose weights add up to a clearly positive number is driven hardest by plain
# brightness, and its synthesized input turns white; the printout pairs each weight sum
# with the result's brightness.
#
# Second layer: synthesized inputs and the real patches
# -----------------------------------------------------
# The fifteen second-layer kernels' synthesized inputs, five per row:
second = interp.maximize_activation(model, "conv2", list(range(15)), steps=200, seed=0)
fig = interp.plot_patches(second.reshape(3, 5, 28, 28, 1),
                          row_labels=["0-4", "5-9", "10-14"],
                          title="conv2: synthesized inputs, kernels 0-14")

# %%
# For comparison, each kernel's six strongest real 5 × 5 patches among the test
# images, one row per kernel:
top = interp.top_activating(model, "conv2", x_test, k=6)
crops = interp.crop_patches(x_test, top, interp.receptive_field(model, "conv2"))
fig = interp.plot_patches(crops, title="conv2: top-6 test patches per kernel")

# %%
# How hard does the synthesized input drive each kernel, compared with the best real
# test image? Both are measured with :func:`interp.feature_maps` as the mean over the
# kernel's map (the quantity that was maximized).
maps = interp.feature_maps(model, second, layers="conv2")["conv2"]
real = interp.feature_maps(model, x_test[top.indices[:, 0]], layers="conv2")["conv2"]
stronger = 0
for k in range(15):
    synthesized, best_real = maps[k, :, :, k].mean(), real[k, :, :, k].mean()
    stronger += synthesized > best_real
    print(f"conv2 kernel {k:>2}: synthesized {synthesized:.3f}, "
          f"top real image {best_real:.3f}")
print(f"the synthesized input beats the top real image for {stronger} of 15 kernels")
dead = [k for k in range(15) if maps[k, :, :, k].max() == 0]
print(f"kernels the synthesized input never switched on: {dead or 'none'}")

# %%
# The ascent starts from gray with a little noise. A kernel that is off at every
# position of such a start passes no gradient back, so there is nothing to climb.
# How often is each kernel on at the positions of 100 noisy gray images
# (0.5 ± 0.1, like the start)?
starts = 0.5 + 0.1 * np.random.default_rng(1).standard_normal((100, 28, 28, 1))
on = np.mean(interp.feature_maps(model, starts.astype("float32"), layers="conv2")["conv2"] > 0,
             axis=(0, 1, 2))
for k in dead:
    print(f"conv2 kernel {k:>2}: on at {on[k]:.1%} of the positions of noisy gray images")
print(f"the other kernels: on at {on[[k for k in range(15) if k not in dead]].min():.1%} "
      f"or more")

plt.show()  # shows the figures when run as a script

# %%
# What to try next
# ----------------
# Change the regularization: ``blur_every=0`` and ``decay=0`` show what plain gradient
# ascent produces, and a different ``seed`` shows how much the result depends on the
# start. Then go back to :doc:`../inside/11_top_activating` and compare.
#
# Back to attribution: :doc:`28_deletion_insertion` measures which of the maps of the
# previous pages find the pixels a prediction depends on.

# sphinx_gallery_thumbnail_number = 2
