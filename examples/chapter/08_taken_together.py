"""
Taken together: the whole first layer
=====================================

Each of the five first-layer kernels transforms the image differently. This page shows
all of them on the same sneaker and t-shirt and sorts them, kernel by kernel, into
brightness detectors and edge detectors -- with the sides of the outline each edge
detector emphasizes or suppresses.
"""

# %%
# Two kinds of kernel
# -------------------
# A kernel's weights split into their mean and a zero-mean rest. The weight sum is the
# response to a plain bright patch; the rest can add at most the sum of its positive
# weights (its *contrast reach*), on the pattern it matches best.
# :func:`interp.describe_kernel` calls a kernel a **brightness detector** when the
# absolute weight sum is at least its contrast reach: plain brightness then moves the
# response as much as any edge can, and the response looks like the object's silhouette.
# Otherwise its response is dominated by contrast, and it is an **edge detector** if
# :func:`interp.outline_response` finds sides it clearly emphasizes or suppresses.
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
layer = interp.pick_layer(model, "conv1")
kernels, _ = interp.get_kernels(layer)
n_kernels = kernels.shape[3]
_, (x_test, y_test) = interp.load_fashion_mnist()
images = {
    "sneaker": x_test[int(interp.images_of(y_test, "Sneaker")[0]), :, :, 0],
    "t-shirt": x_test[int(interp.images_of(y_test, "T-shirt/top")[0]), :, :, 0],
}
responses = {
    name: interp.convolve(image[..., np.newaxis], kernels, padding="same")
    for name, image in images.items()
}
descriptions = [interp.describe_kernel(kernels[:, :, 0, k]) for k in range(n_kernels)]
outlines = {
    name: [interp.outline_response(responses[name][:, :, k], image)
           for k in range(n_kernels)]
    for name, image in images.items()
}
parts = ("left", "right", "top", "bottom", "inside")
both = [  # the parts that get the same verdict on both images
    {verdict: [p for p in parts if all(outlines[name][k].verdicts[p] == verdict
                                       for name in images)]
     for verdict in ("emphasized", "suppressed")}
    for k in range(n_kernels)
]
kinds = []
for k, d in enumerate(descriptions):
    sides_signed = [p for v in both[k].values() for p in v if p != "inside"]
    kinds.append("brightness detector" if d.responds_to_brightness
                 else "edge detector" if sides_signed else "neither")
print(f"{'kernel':>6} {'weight sum':>11} {'contrast reach':>15} {'ratio':>6}  kind")
for k, d in enumerate(descriptions):
    print(f"{k:>6} {d.weight_sum:>+11.2f} {d.contrast_max:>15.2f} "
          f"{d.brightness_ratio:>6.2f}  {kinds[k]}")

# %%
# Every kernel on both images
# ---------------------------
# One row per kernel: its weights, then its response to each image. Each row has its own
# colour scale (the colorbar on the right), shared by the two images, so a weak edge
# detector is as visible as a strong brightness detector.
fig, axes = plt.subplots(n_kernels, 3, figsize=(6.4, 2.0 * n_kernels),
                         layout="constrained")
for k in range(n_kernels):
    interp.plot_kernel(kernels[:, :, 0, k], ax=axes[k, 0], colorbar=False,
                       title=f"kernel {k}: {kinds[k].split()[0]}")
    axes[k, 0].title.set_fontsize(10)
    top = max(np.abs(responses[name][:, :, k]).max() for name in images)
    for column, name in enumerate(images, start=1):
        shown = axes[k, column].imshow(responses[name][:, :, k], cmap="RdBu_r",
                                       vmin=-top, vmax=top)
        axes[k, column].set_title(name, fontsize=10)
        axes[k, column].set_axis_off()
    fig.colorbar(shown, ax=axes[k, 1:], shrink=0.9, label="response")

# %%
# What each kernel responds to
# ----------------------------
# For every kernel and image, the mean response on each side of the outline and inside
# the object, with the verdicts of :func:`interp.outline_response` (``+`` emphasized,
# ``-`` suppressed, ``.`` neither; a clear sign is at least 10% of the map's largest
# absolute value). Under each kernel: its kind, and the parts that get the same verdict
# on *both* images. First the brightness detectors:
mark = {"emphasized": "+", "suppressed": "-", "neither": "."}


def report(kernel_indices):
    if not kernel_indices:
        print("none")
        return
    print(f"{'':<18}" + "".join(f"{part:>10}" for part in parts))
    for k in kernel_indices:
        for name in images:
            result = outlines[name][k]
            cells = "".join(f"{result.means[p]:>+8.2f} {mark[result.verdicts[p]]}"
                            for p in parts)
            print(f"kernel {k} {name:<9} {cells}")
        d = descriptions[k]
        relation = ">=" if d.responds_to_brightness else "<"
        print(f"  -> {kinds[k]}: |weight sum| {abs(d.weight_sum):.2f} {relation} "
              f"contrast reach {d.contrast_max:.2f}")
        for verdict, found in both[k].items():
            print(f"     {verdict} on both images: {', '.join(found) or 'nothing'}")


report([k for k in range(n_kernels) if kinds[k] == "brightness detector"])

# %%
# Then the others, edge detectors (and any kernel that is neither):
report([k for k in range(n_kernels) if kinds[k] != "brightness detector"])

# %%
# Learned, or there from the start? Each kernel's zero-mean weights before training and
# now, compared by cosine similarity (1: the same pattern; more on
# :doc:`../inside/12_kernel_evolution`):
start = model.training_info.kernel_snapshots[0, :, :, 0, :]
a = (start - start.mean(axis=(0, 1))).reshape(9, n_kernels)
b = (kernels[:, :, 0, :] - kernels[:, :, 0, :].mean(axis=(0, 1))).reshape(9, n_kernels)
kept = np.sum(a * b, axis=0) / np.linalg.norm(a, axis=0) / np.linalg.norm(b, axis=0)
print(f"start vs trained, kernels 0 to {n_kernels - 1}: "
      + ", ".join(f"{c:.2f}" for c in kept))
if min(kept) > 0.9:
    print("-> every pattern above was largely there before training")

plt.show()  # shows the figures when run as a script

# %%
# Taken together, the first layer turns one grayscale image into five maps: the
# brightness detectors' maps repeat the object's silhouette, and the edge detectors'
# maps pick out sides of its outline with a sign. The table names both kinds, kernel by
# kernel. The second layer combines those five maps; which of them matters for which
# class is a question this page leaves open.
#
# What to try next
# ----------------
# Go back to :doc:`05_kernel_responses` with another class, say an ankle boot
# (``interp.images_of(y_test, "Ankle boot")``), and check whether the printed verdicts
# still match your reading of the figures. Then go further in:
# :doc:`../inside/09_feature_maps` shows every layer's output, not only the first.

# sphinx_gallery_thumbnail_number = 1
