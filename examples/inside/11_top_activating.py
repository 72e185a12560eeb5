"""
Top-activating images
=====================

Which images does a kernel respond to most? :func:`interp.top_activating` scores every
image by the highest value of the kernel's map, keeps the nine best per kernel, and
remembers where in the map each maximum was -- so the patch of the image the kernel saw
there can be cut out.
"""

# %%
# Searching the test set
# ----------------------
# All 10,000 test images, streamed in batches (the training set's 60,000 work the same
# way; ``benchmarks/bench_top_activating.py`` times that).
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
_, (x_test, y_test) = interp.load_fashion_mnist()
results = {}
for name in ("conv1", "conv2"):
    top = interp.top_activating(model, name, x_test, k=9)
    field = interp.receptive_field(model, name)
    results[name] = (top, interp.crop_patches(x_test, top, field))
    print(f"{name}: receptive field {field.size[0]} x {field.size[1]} pixels; "
          f"top values per kernel from {top.values[:, 0].min():.2f} "
          f"to {top.values[:, 0].max():.2f}")

# %%
# What the top images are
# -----------------------
# For each kernel, the classes of its nine top images, most frequent first.
for name, (top, _) in results.items():
    for j, indices in enumerate(top.indices):
        classes, counts = np.unique(y_test[indices], return_counts=True)
        order = np.argsort(-counts)
        summary = ", ".join(f"{counts[i]} {interp.CLASS_NAMES[classes[i]]}"
                            for i in order)
        print(f"{name} kernel {j:>2}: {summary}")


# %%
# Brightness, or a pattern?
# -------------------------
# Do first-layer kernels simply prefer bright patches? Two of them are brightness
# detectors by :func:`interp.describe_kernel`'s rule (page
# :doc:`../chapter/08_taken_together`). But on a patch with pixels in [0, 1], a kernel's
# response is largest on one particular patch: white where its weight is positive and
# black where it is negative; that patch gives the sum of the positive weights plus the
# bias. So the question is how close the top patches come to that *sign pattern*. The
# table gives each kernel's strongest response against that bound, the share of its top
# patches' pixels that are bright (above 0.5) exactly where its weight is positive ("on
# pattern"), and the share of the pixels under its negative weights that are dark.
conv1 = interp.pick_layer(model, "conv1")
kernels, bias = interp.get_kernels(conv1)
top, patches = results["conv1"]
signs = (kernels[:, :, 0, :] > 0).transpose(2, 0, 1)  # (kernel, 3, 3): True = positive
print(f"{'kernel':>6} {'kind':>10} {'top value':>10} {'at most':>8} {'on pattern':>11} "
      f"{'dark under negative weights':>28}")
for j in range(kernels.shape[3]):
    bound = float(np.maximum(kernels[:, :, 0, j], 0).sum() + bias[j])
    bright = patches[j, :, :, :, 0] > 0.5
    on_pattern = float(np.mean(bright == signs[j]))
    dark_on_negative = float(np.mean(~bright[:, kernels[:, :, 0, j] < 0]))
    brightness = interp.describe_kernel(kernels[:, :, 0, j]).responds_to_brightness
    kind = "brightness" if brightness else "edge"
    print(f"{j:>6} {kind:>10} {top.values[j, 0]:>10.2f} {bound:>8.2f} "
          f"{on_pattern:>11.0%} {dark_on_negative:>28.0%}")
agreement = float(np.mean((patches[..., 0] > 0.5) == signs[:, np.newaxis]))
print(f"-> over all 45 top patches, {agreement:.0%} of the pixels follow the sign "
      f"pattern")

# %%
# The patches each kernel responds to most
# ----------------------------------------
# One row per kernel. In the first figure the first column, framed in orange and
# labelled "signs", is the sign pattern (white: positive weight, black: negative), not a
# patch; then come the kernel's nine strongest patches, strongest first. Even the
# brightness detectors' favourite patches are mostly dark where their weights are
# negative (the last column above). The first layer sees 3 × 3 pixels, the second 5 × 5.
with_pattern = np.concatenate([signs[:, np.newaxis, :, :, np.newaxis], patches], axis=1)
fig = interp.plot_patches(with_pattern, title="conv1: sign pattern, then top-9 patches",
                          row_labels=[f"kernel {j}" for j in range(kernels.shape[3])])
ax = fig.axes[0]
height, width = ax.images[0].get_array().shape
column = (width + 1) / with_pattern.shape[1]  # one patch and its 1-pixel gap
ax.set_xticks([(c + 0.5) * column - 1 for c in range(with_pattern.shape[1])],
              ["signs", *range(1, with_pattern.shape[1])])
ax.tick_params(axis="x", length=0)
ax.add_patch(plt.Rectangle((-0.5, -0.5), column - 1, height, fill=False, edgecolor="C0",
                           linewidth=2.5))

# %%
fig = interp.plot_patches(results["conv2"][1], title="conv2: top-9 patches per kernel")

plt.show()  # shows the figures when run as a script

# %%
# What to try next
# ----------------
# :doc:`12_kernel_evolution` measures how much training changed the first-layer kernels.

# sphinx_gallery_thumbnail_number = 1
