"""
Second-layer kernels
====================

A second-layer kernel is not one 3 × 3 grid but five: one for each first-layer map it
reads. This page draws all of them and rebuilds one second-layer map by hand: a sum over
the five input channels of a convolution, plus a bias, through a ReLU.
"""

# %%
# The kernels: 15 kernels × 5 input channels
# ------------------------------------------
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
conv2 = interp.pick_layer(model, "conv2")
kernels, bias = interp.get_kernels(conv2)
kh, kw, n_in, n_out = kernels.shape
print(f"conv2 kernels: {kernels.shape} (rows, cols, input channels, kernels)")

# %%
# All 75 small kernels as one mosaic: one column per second-layer kernel, one row per
# input channel (the first-layer map it reads), grey gaps between them, and one colour
# scale for all (the colorbar).
gap = 1
mosaic = np.full((n_in * (kh + gap) - gap, n_out * (kw + gap) - gap), np.nan)
for c in range(n_in):
    for j in range(n_out):
        mosaic[c * (kh + gap):c * (kh + gap) + kh,
               j * (kw + gap):j * (kw + gap) + kw] = kernels[:, :, c, j]
limit = np.abs(kernels).max()
fig, ax = plt.subplots(figsize=(7.2, 3.0), layout="constrained")
shown = ax.imshow(mosaic, cmap=plt.get_cmap("RdBu_r").with_extremes(bad="0.75"),
                  vmin=-limit, vmax=limit)
ax.set_xticks([j * (kw + gap) + (kw - 1) / 2 for j in range(n_out)], range(n_out))
ax.set_yticks([c * (kh + gap) + (kh - 1) / 2 for c in range(n_in)],
              [f"channel {c}" for c in range(n_in)])
ax.tick_params(length=0)
ax.set_xlabel("second-layer kernel")
for spine in ax.spines.values():
    spine.set_visible(False)
fig.colorbar(shown, ax=ax, shrink=0.9, label="weight")
ax.set_title(f"the {kernels.shape} kernel array of 'conv2'", fontsize=11)

# %%
# One map, rebuilt channel by channel
# -----------------------------------
# Take the sneaker, the first layer's five maps of it, and the second-layer kernel whose
# map is most active on the sneaker itself: its mean over the positions that look at the
# shoe (a conv2 value at row ``i``, column ``j`` sees image pixels ``i`` to ``i + 4``
# and ``j`` to ``j + 4``, centred on ``(i + 2, j + 2)``; the shoe is brighter than 0.2).
# A map's mean over the whole image would favour a map that is bright on the empty
# background, through its bias.
_, (x_test, y_test) = interp.load_fashion_mnist()
shoe = x_test[int(interp.images_of(y_test, "Sneaker")[0])][np.newaxis]
maps = interp.feature_maps(model, shoe, layers=["conv1", "conv2"])
layer1, layer2 = maps["conv1"][0], maps["conv2"][0]
on_shoe = shoe[0, 2:-2, 2:-2, 0] > 0.2
k = int(layer2[on_shoe].mean(axis=0).argmax())
busiest = int(layer2.mean(axis=(0, 1)).argmax())
for j, why in ((k, "most active on the shoe"), (busiest, "highest mean overall")):
    print(f"map {j:>2} ({why}): mean {layer2[on_shoe, j].mean():.3f} on the shoe, "
          f"{layer2[~on_shoe, j].mean():.3f} off it; bias {bias[j]:+.3f}")

partial = [interp.convolve(layer1[:, :, c], kernels[:, :, c, k]) for c in range(5)]
total = np.maximum(np.sum(partial, axis=0) + bias[k], 0.0)
difference = np.abs(total - layer2[:, :, k]).max()
print(f"max |hand-made map - network's map| = {difference:.1e}")
print(f"{'':<10}{'sum':>8}{'positive':>10}{'negative':>10}{'strongest':>11}"
      f"{'positions > +0.05':>19}")
for c, part in enumerate(partial):
    positive, negative = part[part > 0].sum(), part[part < 0].sum()
    print(f"channel {c}{part.sum():>+8.2f}{positive:>+10.2f}{negative:>+10.2f}"
          f"{part.flat[np.abs(part).argmax()]:>+11.2f}{np.sum(part > 0.05):>19}")

# %%
# Top row: the five first-layer maps. Middle row: each convolved with its slice of
# kernel ``k`` -- red adds to the second-layer map, blue takes away. Bottom: their sum
# plus bias through the ReLU, and the network's own map.
#
# Read the sums with the middle row: channel 4 has the largest sum although its panel is
# paler than channel 0's. It adds a little at many positions and takes almost nothing
# away (no blue), while channel 0's bright red band is partly cancelled by its blue one.
fig, axes = plt.subplots(3, 5, figsize=(7.2, 5.4), layout="constrained")
limit = max(np.abs(p).max() for p in partial)
for c in range(5):
    first = axes[0, c].imshow(layer1[:, :, c], cmap="magma", vmin=0, vmax=layer1.max())
    axes[0, c].set_title(f"conv1 map {c}", fontsize=9)
    shown = axes[1, c].imshow(partial[c], cmap="RdBu_r", vmin=-limit, vmax=limit)
    axes[1, c].set_title(f"⊛ kernel[..., {c}, {k}]", fontsize=9)
fig.colorbar(first, ax=axes[0, :], shrink=0.8, label="conv1 output")
fig.colorbar(shown, ax=axes[1, :], shrink=0.8, label="contribution")
top = layer2[:, :, k].max()
last = axes[2, 1].imshow(total, cmap="magma", vmin=0, vmax=top)
axes[2, 1].set_title("ReLU(sum + bias)", fontsize=9)
axes[2, 3].imshow(layer2[:, :, k], cmap="magma", vmin=0, vmax=top)
axes[2, 3].set_title(f"network's conv2 map {k}", fontsize=9)
fig.colorbar(last, ax=axes[2, :], shrink=0.8, label="conv2 output")
for ax in axes.flat:
    ax.set_axis_off()

plt.show()  # shows the figures when run as a script

# %%
# What to try next
# ----------------
# :doc:`11_top_activating` asks the opposite question: which images make each kernel
# respond most?

# sphinx_gallery_thumbnail_number = 2
