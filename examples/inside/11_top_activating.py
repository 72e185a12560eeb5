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
        summary = ", ".join(f"{counts[i]} {interp.CLASS_NAMES[classes[i]]}" for i in order)
        print(f"{name} kernel {j:>2}: {summary}")


# %%
# The patches each kernel responds to most
# ----------------------------------------
# One row per kernel: the kernel's nine strongest patches, strongest first. The first
# layer sees 3 × 3 pixels, the second 5 × 5.
fig = interp.plot_patches(results["conv1"][1], title="conv1: top-9 patches per kernel")

# %%
fig = interp.plot_patches(results["conv2"][1], title="conv2: top-9 patches per kernel")

# %%
# Do kernels simply prefer bright patches? A kernel whose weights add up to a large
# positive number responds to brightness as such. For the first layer, compare each
# kernel's weight sum with the mean brightness of its nine top patches:
kernels, _ = interp.get_kernels(interp.pick_layer(model, "conv1"))
weight_sums = kernels.sum(axis=(0, 1, 2))
brightness = results["conv1"][1].mean(axis=(1, 2, 3, 4))
for j in range(len(weight_sums)):
    print(f"conv1 kernel {j}: weight sum {weight_sums[j]:+.2f}, "
          f"top patches' mean brightness {brightness[j]:.2f}")
r = float(np.corrcoef(weight_sums, brightness)[0, 1])
print(f"correlation across the five kernels: {r:+.2f}")

plt.show()  # shows the figures when run as a script

# %%
# What to try next
# ----------------
# :doc:`12_kernel_evolution` watches the first-layer kernels take shape during training.

# sphinx_gallery_thumbnail_number = 2
