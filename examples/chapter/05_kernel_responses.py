"""
Kernel responses
================

To see what a kernel does, convolve an image with it: where the response is positive
(red) the kernel emphasizes the image, where it is negative (blue) it suppresses it. This
page looks for a first-layer kernel that emphasizes one side of a sneaker and suppresses
the opposite one, then checks whether it treats a t-shirt the same way.
"""

# %%
# The rule behind the words
# -------------------------
# :func:`interp.outline_response` averages a response over each side of the outline: the
# outermost object pixel and the one just outside it, by rows (left, right) and columns
# (top, bottom). A side is *emphasized* when that mean is at least +10% of the map's
# largest absolute value, *suppressed* at -10% or below, and *neither* otherwise.
# ``padding="same"`` keeps the response aligned with the image.
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import to_rgb

import interp

model = interp.trained_model()
layer = interp.pick_layer(model, "conv1")
kernels, _ = interp.get_kernels(layer)
_, (x_test, y_test) = interp.load_fashion_mnist()
images = {name: x_test[int(interp.images_of(y_test, label)[0]), :, :, 0]
          for name, label in (("sneaker", "Sneaker"), ("t-shirt", "T-shirt/top"))}
shoe = images["sneaker"]
responses = {name: interp.convolve(image[..., np.newaxis], kernels, padding="same")
             for name, image in images.items()}
outlines = {name: [interp.outline_response(responses[name][:, :, k], image)
                   for k in range(kernels.shape[3])] for name, image in images.items()}

# %%
# Those pixels, one panel per side, as :func:`interp.border_masks` finds them
# (``outside=True`` adds the pixel just outside each side). Light grey is the object
# (brighter than 0.2), dark grey the dimmer pixels, black the background. The sole is
# dimmer than 0.2: the bottom side is the line between upper and sole, inside the shoe.
masks = interp.border_masks(shoe, outside=True)
shades = np.where(shoe > 0.2, 0.7, np.where(shoe > 0.05, 0.3, 0.0))
colours = {"left": "C0", "right": "C3", "top": "C2", "bottom": "C5"}
fig, axes = plt.subplots(1, 4, figsize=(7.2, 2.3), layout="constrained")
for ax, (side, colour) in zip(axes, colours.items(), strict=True):
    overlay = np.repeat(shades[..., np.newaxis], 3, axis=2)
    overlay[masks[side]] = to_rgb(colour)
    ax.imshow(overlay)
    ax.set_title(f"{side}: {int(masks[side].sum())} px", fontsize=10)
    ax.set_axis_off()
fig.suptitle("the sides of the sneaker's outline (light grey: brighter than 0.2, the "
             "object; dark grey: dimmer)", fontsize=10)
sole = masks["bottom"] & (shoe > 0.05) & (shoe <= 0.2)
print(f"{sole.sum()} of the {masks['bottom'].sum()} bottom-side pixels are dim sole "
      f"pixels (0.05 to 0.2)")

# %%
# Which kernel?
# -------------
# Every kernel's verdicts on the sneaker's left and right sides. The *contrast* is zero
# unless one side is emphasized and the other suppressed; then it is the weaker of the
# two over the map's largest absolute value (positive: left emphasized).
contrast = []
for k, sides in enumerate(outlines["sneaker"]):
    contrast.append(sides.contrast("left", "right"))
    print(f"kernel {k}: left {sides.means['left']:+.2f} {sides.verdicts['left']:<10}  "
          f"right {sides.means['right']:+.2f} {sides.verdicts['right']:<10}  "
          f"contrast {contrast[-1]:+.2f}")
chosen = int(np.argmax(np.abs(contrast)))
qualifies = contrast[chosen] != 0
print(f"-> kernel {chosen} separates the sneaker's sides most clearly" if qualifies
      else f"-> no kernel separates the sneaker's sides; kernel {chosen} is shown")

# %%
# The response
# ------------
# The colour scale spans ± the map's largest absolute value, the verdicts' own scale.
kernel = interp.kernel(layer, chosen)
fig = interp.plot_response(shoe, kernel, padding="same",
                           titles=("sneaker", f"kernel {chosen}", "response"))
shoe_sides, shirt_sides = outlines["sneaker"][chosen], outlines["t-shirt"][chosen]
print(f"sneaker, kernel {chosen} (10% of max |response| = {shoe_sides.limit:.3f}):"
      f"\n{shoe_sides}")
plain = interp.border_means(responses["sneaker"][:, :, chosen], shoe, outside=True)
print("the same means from interp.border_means:\n  "
      + ", ".join(f"{side} {plain[side]:+.2f}" for side in colours))
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
# sides get the same signs. Both responses, titled with their side means, one above the
# other; the printout says whether the signs agree.
fig, axes = plt.subplots(2, 2, figsize=(6.2, 5.8), layout="constrained")
for row, (name, image) in enumerate(images.items()):
    sides = outlines[name][chosen]
    axes[row, 0].imshow(image, cmap="gray")
    axes[row, 0].set_title(name)
    shown = axes[row, 1].imshow(responses[name][:, :, chosen], cmap="RdBu_r",
                                vmin=-sides.scale, vmax=sides.scale)
    axes[row, 1].set_title(f"kernel {chosen}: left {sides.means['left']:+.2f}, "
                           f"right {sides.means['right']:+.2f}", fontsize=10)
    fig.colorbar(shown, ax=axes[row, 1], label="response")
    for ax in axes[row]:
        ax.set_axis_off()
fig.suptitle("the same kernel on both images (each with its own colour scale)")
shirt_contrast = shirt_sides.contrast("left", "right")
print(f"t-shirt, kernel {chosen} (10% of max |response| = {shirt_sides.limit:.3f}):"
      f"\n{shirt_sides}")
same = qualifies and shirt_contrast * contrast[chosen] > 0
print(f"-> the same signs as on the sneaker: the {favoured} side emphasized "
      f"({shirt_sides.means[favoured]:+.2f}),\n   the {other} side suppressed "
      f"({shirt_sides.means[other]:+.2f})" if same
      else f"-> the t-shirt's sides do not get the sneaker's signs (contrast "
      f"{shirt_contrast:+.2f} against {contrast[chosen]:+.2f})")

# %%
# Is it a textbook filter?
# ------------------------
# :func:`interp.describe_kernel` ranks classical filters by their similarity to the
# kernel; random kernels from the layer's initializer come close to a filter too, so a
# name is given only if the kernel beats 95% of them. Then, was the pattern learned? The
# last line compares the zero-mean weights before and after training by cosine
# similarity (1: the same pattern; more on :doc:`../inside/12_kernel_evolution`).
description = interp.describe_kernel(kernel, initializer=layer.kernel_initializer)
ranked = sorted(description.scores.items(), key=lambda item: -item[1])[:2]
print("\n".join(f"  {score:.2f}  {name}" for name, score in ranked))
print(f"-> {ranked[0][1] - ranked[1][1]:.2f} apart; {description.standing};\n   named: "
      + (description.name if description.matched else "no (a match needs 95%)"))
start = model.training_info.kernel_snapshots[0, :, :, 0, chosen]
a, b = start - start.mean(), kernel - kernel.mean()
kept = np.sum(a * b) / np.linalg.norm(a) / np.linalg.norm(b)
print(f"kernel {chosen}, start vs trained: cosine similarity {kept:.2f}"
      + ("\n-> this pattern was largely there before training" if kept > 0.9 else ""))

plt.show()  # shows the figures when run as a script

# %%
# What to try next
# ----------------
# Next, :doc:`06_second_kernel`; or draw edges yourself in :doc:`../inside/13_network_live`.

# sphinx_gallery_thumbnail_number = 3
