"""
Kernel responses
================

To see what a kernel does, convolve an image with it: large values mark the places the
kernel emphasizes, small or negative ones the places it suppresses. This page does it
for the first sneaker of the test set and then for the first t-shirt, and *measures*
which of the object's edges each response favours.
"""

# %%
# A sneaker, chosen by class
# --------------------------
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
layer = interp.pick_layer(model, "conv1")
kernels, _ = interp.get_kernels(layer)
_, (x_test, y_test) = interp.load_fashion_mnist()

shoe_index = int(interp.images_of(y_test, "Sneaker")[0])
shoe = x_test[shoe_index, :, :, 0]
print(f"the first sneaker is test image {shoe_index}")

# %%
# Which kernel? The one whose response differs most between the left and the right
# border of the sneaker. :func:`interp.border_means` averages a response over each
# border of the object; ``padding="same"`` keeps the response aligned with the image.
def left_right(image, k):
    response = interp.convolve(image, kernels[:, :, 0, k], padding="same")
    means = interp.border_means(response, image)
    return means["left"], means["right"]


contrast = [np.subtract(*left_right(shoe, k)) for k in range(kernels.shape[3])]
chosen = int(np.argmax(np.abs(contrast)))
print("left minus right border response per kernel:", np.round(contrast, 3).tolist())
print(f"kernel {chosen} separates the two sides most")
print(f"describe_kernel(kernel {chosen}): "
      f"{interp.describe_kernel(interp.kernel(layer, chosen))}")

# %%
# :func:`interp.describe_kernel` compares the kernel with textbook filters (edges,
# spots, blurs); the printout above says how close it comes. Learned kernels are rarely
# clean textbook filters, which is why the responses below are measured on real images.
#
# The response
# ------------
fig = interp.plot_response(shoe, interp.kernel(layer, chosen), padding="same",
                           titles=("sneaker", f"kernel {chosen}", "response"))

left, right = left_right(shoe, chosen)
favoured, other = ("left", "right") if left > right else ("right", "left")
print(f"sneaker: mean response on the left border {left:+.3f}, right border {right:+.3f}")
print(f"-> kernel {chosen} emphasizes the {favoured} edge of the sneaker and "
      f"de-emphasizes its {other} edge ({min(left, right):+.3f} against "
      f"{max(left, right):+.3f})")

# %%
# A t-shirt with the same kernel
# ------------------------------
# If this is a property of the kernel and not of the sneaker's shape, the t-shirt's
# borders should be treated the same way. The printout below says whether they are.
shirt_index = int(interp.images_of(y_test, "T-shirt/top")[0])
shirt = x_test[shirt_index, :, :, 0]
fig = interp.plot_response(shirt, interp.kernel(layer, chosen), padding="same",
                           titles=("t-shirt", f"kernel {chosen}", "response"))

shirt_left, shirt_right = left_right(shirt, chosen)
shirt_favoured = "left" if shirt_left > shirt_right else "right"
print(f"t-shirt (test image {shirt_index}): left border {shirt_left:+.3f}, "
      f"right border {shirt_right:+.3f}")
print(f"-> on the t-shirt too, the {shirt_favoured} edge is emphasized: "
      f"{'the same side as on the sneaker' if shirt_favoured == favoured else 'the opposite side'}")

plt.show()  # shows the figures when run as a script

# %%
# What to try next
# ----------------
# :doc:`06_second_kernel` picks another kernel, this time by the orientation of the edges
# it responds to.

# sphinx_gallery_thumbnail_number = 1
