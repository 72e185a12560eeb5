"""
Taken together: the whole first layer
=====================================

Each of the five first-layer kernels transforms the image differently. This page shows
all of them on the same sneaker and t-shirt, then summarises, kernel by kernel, what the
measurements say each one responds to.
"""

# %%
# Every kernel on both images
# ---------------------------
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

fig, axes = plt.subplots(3, n_kernels + 1, figsize=(11, 6), layout="constrained")
axes[0, 0].set_axis_off()
limit = np.abs(kernels).max()
for k in range(n_kernels):
    interp.plot_kernel(kernels[:, :, 0, k], ax=axes[0, k + 1], colorbar=False,
                       annotate=False, vmax=limit, title=f"kernel {k}")
for row, (name, image) in enumerate(images.items(), start=1):
    axes[row, 0].imshow(image, cmap="gray")
    axes[row, 0].set_title(name)
    axes[row, 0].set_axis_off()
    top = np.abs(responses[name]).max()
    for k in range(n_kernels):
        axes[row, k + 1].imshow(responses[name][:, :, k], cmap="RdBu_r", vmin=-top, vmax=top)
        axes[row, k + 1].set_axis_off()
fig.suptitle("first-layer responses (red: emphasized, blue: suppressed; one scale per image)")

# %%
# What each kernel responds to
# ----------------------------
# For each kernel and image, :func:`interp.border_means` gives the mean response along
# each border of the object and inside it. The summary names the border each kernel
# favours on each image, says whether the two images agree, and adds
# :func:`interp.describe_kernel`'s verdict on the kernel's weights alone.
parts = ("left", "right", "top", "bottom", "inside")
for k in range(n_kernels):
    favourites = []
    for name, image in images.items():
        means = interp.border_means(responses[name][:, :, k], image)
        row = "  ".join(f"{part} {means[part]:+.2f}" for part in parts)
        favourite = max(parts[:4], key=lambda part: means[part])
        favourites.append(favourite)
        print(f"kernel {k} on the {name:<7}: {row}  -> strongest on the {favourite} border")
    verdict = ("both images agree" if len(set(favourites)) == 1
               else "the images disagree, so the border it favours depends on the shape")
    print(f"kernel {k}: {verdict}")
    print(f"kernel {k}, describe_kernel: {interp.describe_kernel(kernels[:, :, 0, k])}\n")

plt.show()  # shows the figures when run as a script

# %%
# Taken together, the first layer turns one grayscale image into five maps, each
# stressing some borders of the object more than others (the printout names them); the
# second layer combines those five maps. Which of them matters for which class is a
# question this page leaves open.
#
# What to try next
# ----------------
# Go back to :doc:`05_kernel_responses` with another class, say an ankle boot
# (``interp.images_of(y_test, "Ankle boot")``), and check whether the printed
# measurements still match your reading of the figures. Then go further in:
# :doc:`../inside/09_feature_maps` shows every layer's output, not only the first.

# sphinx_gallery_thumbnail_number = 1
