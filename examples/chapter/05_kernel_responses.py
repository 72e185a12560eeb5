"""
Kernel responses
================

To see what a kernel does, convolve an image with it. Where the response is positive
(red) the kernel emphasizes the image; where it is negative (blue) it suppresses it. This
page looks for a first-layer kernel that emphasizes one side of a sneaker and suppresses
the opposite side, then checks whether it treats a t-shirt the same way.
"""

# %%
# The rule behind the words
# -------------------------
# :func:`interp.outline_response` averages a response over each side of the object's
# outline: the outermost object pixel and the pixel just outside it, row by row for the
# left and right sides and column by column for the top and bottom. A side is
# *emphasized* when that mean is positive and at least 10% of the map's largest absolute
# value, *suppressed* when it is negative by as much, and *neither* otherwise.
# ``padding="same"`` keeps the response aligned with the image.
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


def outline(image, k):
    response = interp.convolve(image, kernels[:, :, 0, k], padding="same")
    return interp.outline_response(response, image)


# %%
# Those pixels, drawn on the sneaker: :func:`interp.border_masks` finds them
# (``outside=True`` adds the pixel just outside each side; a corner pixel belongs to two
# sides and is drawn in the later colour).
from matplotlib.colors import to_rgb

masks = interp.border_masks(shoe, outside=True)
overlay = np.repeat(0.4 * shoe[..., np.newaxis], 3, axis=2)
colours = {"left": "C0", "right": "C1", "top": "C2", "bottom": "C3"}
for side, colour in colours.items():
    overlay[masks[side]] = to_rgb(colour)
fig, ax = plt.subplots(figsize=(4.2, 3.2), layout="constrained")
ax.imshow(overlay)
ax.set_axis_off()
for side, colour in colours.items():
    ax.plot([], [], "s", color=colour, label=f"{side}: {int(masks[side].sum())} px")
ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
ax.set_title("the sides of the sneaker's outline")


# %%
# Which kernel?
# -------------
# For every kernel, the sneaker's left and right sides with their verdicts. The
# *contrast* is zero unless one side is emphasized and the other suppressed; then it is
# the weaker of the two, as a share of the map's largest absolute value (positive: left
# emphasized, negative: right emphasized).
contrast = []
for k in range(kernels.shape[3]):
    sides = outline(shoe, k)
    contrast.append(sides.contrast("left", "right"))
    print(f"kernel {k}: left {sides.means['left']:+.2f} {sides.verdicts['left']:<10}  "
          f"right {sides.means['right']:+.2f} {sides.verdicts['right']:<10}  "
          f"contrast {contrast[-1]:+.2f}")
chosen = int(np.argmax(np.abs(contrast)))
qualifies = contrast[chosen] != 0
if qualifies:
    print(f"-> kernel {chosen} separates the sneaker's sides most clearly")
else:
    print("-> no kernel emphasizes one side of the sneaker and suppresses the other; "
          f"kernel {chosen} is shown anyway")

# %%
# The response
# ------------
# In the response panel, the colour scale runs from minus to plus the map's largest
# absolute value; the verdicts below use the same scale.
kernel = interp.kernel(layer, chosen)
fig = interp.plot_response(shoe, kernel, padding="same",
                           titles=("sneaker", f"kernel {chosen}", "response"))

shoe_sides = outline(shoe, chosen)
print(f"sneaker, kernel {chosen} (10% of max |response| = {shoe_sides.limit:.3f}):")
print(shoe_sides)
plain = interp.border_means(interp.convolve(shoe, kernel, padding="same"), shoe, outside=True)
print("the same means from interp.border_means:")
print("  " + ", ".join(f"{side} {plain[side]:+.2f}" for side in colours))
favoured = "left" if contrast[chosen] > 0 else "right"
other = {"left": "right", "right": "left"}[favoured]
if qualifies:
    print(f"-> kernel {chosen} emphasizes the {favoured} side of the sneaker "
          f"({shoe_sides.means[favoured]:+.2f})\n   and suppresses its {other} side "
          f"({shoe_sides.means[other]:+.2f})")

# %%
# A t-shirt with the same kernel
# ------------------------------
# If this is a property of the kernel and not of the sneaker's shape, the t-shirt's
# sides should get the same signs. The figure puts both responses one above the other,
# titled with their side means; the printout below says whether the signs agree.
shirt_index = int(interp.images_of(y_test, "T-shirt/top")[0])
shirt = x_test[shirt_index, :, :, 0]

fig, axes = plt.subplots(2, 2, figsize=(6.2, 5.8), layout="constrained")
for row, (name, image) in enumerate((("sneaker", shoe), ("t-shirt", shirt))):
    response = interp.convolve(image, kernel, padding="same")
    sides = interp.outline_response(response, image)
    axes[row, 0].imshow(image, cmap="gray")
    axes[row, 0].set_title(name)
    shown = axes[row, 1].imshow(response, cmap="RdBu_r", vmin=-sides.scale, vmax=sides.scale)
    axes[row, 1].set_title(f"kernel {chosen}: left {sides.means['left']:+.2f}, "
                           f"right {sides.means['right']:+.2f}", fontsize=10)
    fig.colorbar(shown, ax=axes[row, 1], label="response")
    for ax in axes[row]:
        ax.set_axis_off()
fig.suptitle("the same kernel on both images (each with its own colour scale)")

shirt_sides = outline(shirt, chosen)
shirt_contrast = shirt_sides.contrast("left", "right")
print(f"t-shirt (test image {shirt_index}), kernel {chosen} "
      f"(10% of max |response| = {shirt_sides.limit:.3f}):")
print(shirt_sides)
if qualifies and shirt_contrast * contrast[chosen] > 0:
    print(f"-> the same signs as on the sneaker: the {favoured} side emphasized "
          f"({shirt_sides.means[favoured]:+.2f}),\n   the {other} side suppressed "
          f"({shirt_sides.means[other]:+.2f})")
else:
    print("-> the t-shirt's sides do not get the sneaker's signs "
          f"(contrast {shirt_contrast:+.2f} against {contrast[chosen]:+.2f})")

# %%
# Is it a textbook filter?
# ------------------------
# :func:`interp.describe_kernel` finds the closest classical filter and asks how unusual
# that closeness is: 10,000 kernels drawn from the layer's own initializer come close to
# their best filter too, and a name is given only if the kernel beats 95% of them.
description = interp.describe_kernel(kernel, initializer=layer.kernel_initializer)
print(f"closest filter: {description.best}")
print(f"similarity {description.similarity:.2f}; where it stands among random kernels:")
print(f"  {description.standing}")
print("-> named:", description.name if description.matched else "no (a match needs 95%)")

plt.show()  # shows the figures when run as a script

# %%
# What to try next
# ----------------
# :doc:`06_second_kernel` picks another kernel, this time by the direction of the edges
# it responds to.

# sphinx_gallery_thumbnail_number = 3
