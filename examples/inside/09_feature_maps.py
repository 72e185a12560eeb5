"""
Feature maps of every layer
===========================

The first layer turns an image into five maps; the second turns those into fifteen; the
dense layer turns all of them into ten class scores. :func:`interp.feature_maps` returns
every layer's output for a batch of images in one forward pass.
"""

# %%
# One forward pass, every layer
# -----------------------------
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
_, (x_test, y_test) = interp.load_fashion_mnist()
shoe_index = int(interp.images_of(y_test, "Sneaker")[0])
shoe = x_test[shoe_index:shoe_index + 1]  # a batch of one

maps = interp.feature_maps(model, shoe, layers=["conv1", "conv2", "dense"])
for name, output in maps.items():
    print(f"{name:<6} output shape {output.shape}")

# %%
# The first layer's maps are exactly what :func:`interp.layer_response` computes by hand.
by_hand = interp.layer_response(interp.pick_layer(model, "conv1"), shoe)
print(f"max |feature_maps - layer_response| for conv1: "
      f"{np.abs(maps['conv1'] - by_hand).max():.1e}")

# %%
# The maps
# --------
# Each panel is one kernel's output through its ReLU, on a colour scale that starts at
# zero: black is zero *or close to it*, bright is strong. Each layer has its own colour
# scale, given by its colorbar.
fig = plt.figure(figsize=(7.2, 6.4), layout="constrained")
top, bottom = fig.subfigures(2, 1, height_ratios=[1.1, 3])
axes = top.subplots(1, 6)
axes[0].imshow(shoe[0, :, :, 0], cmap="gray")
axes[0].set_title("input", fontsize=9)
for k, ax in enumerate(axes[1:]):
    shown = ax.imshow(maps["conv1"][0, :, :, k], cmap="magma", vmin=0,
                      vmax=maps["conv1"].max())
    ax.set_title(f"conv1[{k}]", fontsize=9)
top.colorbar(shown, ax=axes, shrink=0.8, label="conv1 output")
for ax in axes:
    ax.set_axis_off()
axes = bottom.subplots(3, 5)
for k, ax in enumerate(axes.flat):
    shown = ax.imshow(maps["conv2"][0, :, :, k], cmap="magma", vmin=0,
                      vmax=maps["conv2"].max())
    ax.set_title(f"conv2[{k}]", fontsize=9)
    ax.set_axis_off()
bottom.colorbar(shown, ax=axes, shrink=0.6, label="conv2 output")

# %%
# Black is not the same as zero. For each layer, the share of values the ReLU set to
# exactly zero, the share that merely look black (under 5% of the layer's largest
# value), and the exact zeros map by map. A kernel with a positive bias leaves the empty
# background slightly above zero: black to the eye, but not silenced.
for name in ("conv1", "conv2"):
    output = maps[name][0]
    zero = float(np.mean(output == 0))
    dark = float(np.mean(output < 0.05 * output.max()))
    print(f"{name}: {zero:.0%} of values are exactly zero, {dark:.0%} look black "
          f"(under 5% of the largest)")
    per_map = (output == 0).mean(axis=(0, 1))
    print("  exact zeros per map: " + " ".join(f"{share:.0%}" for share in per_map))
    most = "most" if zero > 0.5 else "a minority"
    print(f"  -> the ReLU silences {most} of {name}'s values; "
          f"{dark - zero:.0%} are small but not zero")

# %%
# The read-out
# ------------
# The dense layer's softmax gives one probability per class.
probabilities = maps["dense"][0]
ranked = np.argsort(probabilities)[::-1][:3]
for c in ranked:
    print(f"  {interp.CLASS_NAMES[c]:<12} {probabilities[c]:.3f}")
truth = interp.CLASS_NAMES[y_test[shoe_index]]
print(f"predicted: {interp.CLASS_NAMES[ranked[0]]}; true: {truth}")

# %%
# Another image, one call
# -----------------------
# :func:`interp.plot_feature_maps` draws one layer's maps for one image as a single
# mosaic, with the image first. For the first t-shirt, the count of conv2 maps that
# switch on anywhere is printed under the figure.
shirt_index = int(interp.images_of(y_test, "T-shirt/top")[0])
shirt = x_test[shirt_index:shirt_index + 1]
shirt_maps = interp.feature_maps(model, shirt, layers="conv2")["conv2"][0]
fig = interp.plot_feature_maps(shirt_maps, shirt[0], title="conv2 on a t-shirt")
awake = int((shirt_maps.max(axis=(0, 1)) > 0).sum())
print(f"t-shirt: {awake} of {shirt_maps.shape[-1]} conv2 maps are above 0 somewhere")

plt.show()  # shows the figures when run as a script

# %%
# What to try next
# ----------------
# :doc:`10_second_layer_kernels` opens the second layer: how its 15 maps are made from
# the first layer's 5. :doc:`13_network_live` draws these maps live, for any image you
# pick or draw.

# sphinx_gallery_thumbnail_number = 1
