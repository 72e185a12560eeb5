"""
A second kernel: horizontal edges
=================================

Kernels differ in the direction of the edges they respond to. This page asks every
first-layer kernel one question with a synthetic probe -- a bright square on a dark
background, made here and labelled as such -- and keeps the kernel that answers most
clearly for horizontal edges. Then it applies that kernel to the first t-shirt of the
test set.
"""

# %%
# The probe
# ---------
# The square's top side is a horizontal edge with dark above and bright below, its
# bottom side the opposite edge; its left and right sides are the two vertical edges.
# It is not data: it only asks each kernel which of these edges it answers, and with
# which sign. :func:`interp.outline_response` measures each side as page
# :doc:`05_kernel_responses` does (emphasized: mean at least +10% of the map's largest
# absolute value; suppressed: at most -10%).
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
layer = interp.pick_layer(model, "conv1")
kernels, _ = interp.get_kernels(layer)
n_kernels = kernels.shape[3]

probe = np.zeros((28, 28))
probe[7:21, 7:21] = 1.0  # a bright square: 14 x 14 pixels in the middle

sides = []
for k in range(n_kernels):
    response = interp.convolve(probe, kernels[:, :, 0, k], padding="same")
    sides.append(interp.outline_response(response, probe))
    print(f"kernel {k}: top {sides[k].means['top']:+.2f} {sides[k].verdicts['top']:<10} "
          f"bottom {sides[k].means['bottom']:+.2f} {sides[k].verdicts['bottom']:<10} "
          f"left {sides[k].means['left']:+.2f}  right {sides[k].means['right']:+.2f}")

# %%
# Which kernel answers for horizontal edges?
# ------------------------------------------
# ``contrast("top", "bottom")`` is zero unless one of the two horizontal sides is
# emphasized and the other suppressed; then it is the weaker of the two as a share of
# the map's largest absolute value. ``contrast("left", "right")`` measures the vertical
# sides the same way. A horizontal-edge kernel needs a clear top/bottom contrast, and
# more of it than left/right contrast.
horizontal = np.array([s.contrast("top", "bottom") for s in sides])
vertical = np.array([s.contrast("left", "right") for s in sides])
for k in range(n_kernels):
    print(f"kernel {k}: top/bottom contrast {horizontal[k]:+.2f}, "
          f"left/right contrast {vertical[k]:+.2f}")
preference = np.where(horizontal != 0, np.abs(horizontal) - np.abs(vertical), -np.inf)
chosen = int(np.argmax(preference))
if not np.isfinite(preference[chosen]):
    chosen = int(np.argmax(np.abs(horizontal) - np.abs(vertical)))
    print(f"-> no kernel treats the top and bottom with opposite clear signs; "
          f"kernel {chosen} comes closest")
elif preference[chosen] > 0:
    print(f"-> kernel {chosen}: top/bottom contrast {abs(horizontal[chosen]):.2f} beats its "
          f"left/right contrast {abs(vertical[chosen]):.2f}")
else:
    print(f"-> no kernel prefers horizontal edges: kernel {chosen} separates top from bottom, "
          f"but left from right more")

# %%
# The figure shows the probe and every kernel's response to it, each on its own colour
# scale and titled with its top and bottom means.
fig, axes = plt.subplots(2, 3, figsize=(7.2, 5.0), layout="constrained")
axes[0, 0].imshow(probe, cmap="gray")
axes[0, 0].set_title("probe: a bright square", fontsize=10)
for k, ax in zip(range(n_kernels), axes.flat[1:], strict=True):
    response = interp.convolve(probe, kernels[:, :, 0, k], padding="same")
    limit = sides[k].scale
    shown = ax.imshow(response, cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_title(f"kernel {k}{' (chosen)' if k == chosen else ''}\n"
                 f"top {sides[k].means['top']:+.2f}, bottom {sides[k].means['bottom']:+.2f}",
                 fontsize=9, weight="bold" if k == chosen else "normal")
    fig.colorbar(shown, ax=ax, shrink=0.85)
for ax in axes.flat:
    ax.set_axis_off()

# %%
# The chosen kernel's weights explain the answer. At a dark-above, bright-below edge the
# bright pixels meet the kernel's lower rows, at the opposite edge its upper rows, so the
# sign of the bottom row's sum minus the top row's sum decides which horizontal side is
# emphasized. The same holds for the columns and the vertical sides.
weights = kernels[:, :, 0, chosen]
rows = weights[-1].sum(), weights[0].sum()
cols = weights[:, -1].sum(), weights[:, 0].sum()
print(f"kernel {chosen}: bottom row {rows[0]:+.2f}, top row {rows[1]:+.2f} "
      f"(difference {rows[0] - rows[1]:+.2f})")
print(f"kernel {chosen}: right column {cols[0]:+.2f}, left column {cols[1]:+.2f} "
      f"(difference {cols[0] - cols[1]:+.2f})")
if vertical[chosen] != 0 and abs(vertical[chosen]) > 0.5 * abs(horizontal[chosen]):
    print(f"-> it also separates left from right (contrast {vertical[chosen]:+.2f}): "
          f"partly diagonal")
description = interp.describe_kernel(weights, initializer=layer.kernel_initializer)
print(f"closest classical filter: {description.best}")
print(f"similarity {description.similarity:.2f}; where it stands among random kernels:")
print(f"  {description.standing}")

# %%
# On a t-shirt
# ------------
# Does the probe's answer hold on a real garment? The t-shirt's top side (shoulders and
# collar) and its bottom hem should get the probe's signs.
_, (x_test, y_test) = interp.load_fashion_mnist()
shirt_index = int(interp.images_of(y_test, "T-shirt/top")[0])
shirt = x_test[shirt_index, :, :, 0]
fig = interp.plot_response(shirt, weights, padding="same",
                           titles=("t-shirt", f"kernel {chosen}", "response"))

shirt_sides = interp.outline_response(interp.convolve(shirt, weights, padding="same"), shirt)
print(f"t-shirt, kernel {chosen} (10% of max |response| = {shirt_sides.limit:.3f}):")
print(shirt_sides)
on_shirt = shirt_sides.contrast("top", "bottom")
if on_shirt * horizontal[chosen] > 0:
    print(f"-> as on the probe: top {shirt_sides.means['top']:+.2f} "
          f"{shirt_sides.verdicts['top']}, bottom {shirt_sides.means['bottom']:+.2f} "
          f"{shirt_sides.verdicts['bottom']}")
else:
    print(f"-> unlike the probe: top/bottom contrast {on_shirt:+.2f} on the t-shirt, "
          f"{horizontal[chosen]:+.2f} on the probe")

plt.show()  # shows the figures when run as a script

# %%
# What to try next
# ----------------
# So far the word "convolve" has been taken on trust. :doc:`07_convolution_is_the_network`
# writes the convolution out by hand and checks it against the network's own output.

# sphinx_gallery_thumbnail_number = 1
