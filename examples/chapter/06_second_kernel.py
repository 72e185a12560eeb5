"""
A second kernel: a top-left edge, not a horizontal one
======================================================

The course chapter this gallery follows finds, in its network, a kernel that detects
horizontal edges, mostly at the bottom of the object. Does this network have one? This
page writes down a measurable criterion, applies it to every first-layer kernel on a
synthetic probe and on the first t-shirt of the test set, and shows the kernel that
comes closest for what it is.
"""

# %%
# The probe
# ---------
# A bright square on a dark background, made here (it is not data): its top side is a
# horizontal edge, dark above and bright below, its bottom side the opposite one, and
# its left and right sides the vertical edges. :func:`interp.outline_response` measures
# each side as :doc:`05_kernel_responses` does: ``+`` emphasized (mean at least +10% of
# the map's largest absolute value), ``-`` suppressed (at most -10%), ``.`` neither.
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
layer = interp.pick_layer(model, "conv1")
kernels, _ = interp.get_kernels(layer)
n_kernels = kernels.shape[3]
_, (x_test, y_test) = interp.load_fashion_mnist()
probe = np.zeros((28, 28))
probe[7:21, 7:21] = 1.0  # a bright square: 14 x 14 pixels in the middle
shirt = x_test[int(interp.images_of(y_test, "T-shirt/top")[0]), :, :, 0]
images = {"probe": probe, "t-shirt": shirt}
responses = {name: interp.convolve(image[..., np.newaxis], kernels, padding="same")
             for name, image in images.items()}
results = {name: [interp.outline_response(responses[name][:, :, k], image)
                  for k in range(n_kernels)] for name, image in images.items()}
SIDES = ("top", "bottom", "left", "right")
mark = {"emphasized": "+", "suppressed": "-", "neither": "."}
for k, r in enumerate(results["probe"]):
    print(f"kernel {k}: " + "  ".join(f"{s} {r.means[s]:+.2f} {mark[r.verdicts[s]]}"
                                      for s in SIDES))

# %%
# The criterion
# -------------
# Here a kernel detects horizontal edges if, on the probe *and* on the t-shirt,
#
# 1. its top and bottom sides get clear opposite signs (one ``+``, the other ``-``), and
# 2. it tells left from right less than half as much as top from bottom, each measured
#    as the difference of the two side means over the map's largest absolute value.
ratio = np.zeros((n_kernels, len(images)))  # |left - right| / |top - bottom|
opposite = np.zeros((n_kernels, len(images)), dtype=bool)
print("kernel image    top-bottom  left-right  ratio  opposite top/bottom")
for k in range(n_kernels):
    for i, (name, found) in enumerate(results.items()):
        r = found[k]
        tb = (r.means["top"] - r.means["bottom"]) / r.scale
        lr = (r.means["left"] - r.means["right"]) / r.scale
        ratio[k, i] = abs(lr) / max(abs(tb), 1e-12)
        opposite[k, i] = r.contrast("top", "bottom") != 0
        print(f"{k:>6} {name:<8} {tb:>+10.2f} {lr:>+11.2f} {ratio[k, i]:>6.2f}"
              f"  {'yes' if opposite[k, i] else 'no'}")
qualifies = [k for k in range(n_kernels)
             if opposite[k].all() and (ratio[k] < 0.5).all()]
# the closest: opposite top/bottom signs on both images, the smallest worst-case ratio
candidates = [k for k in range(n_kernels) if opposite[k].all()] or range(n_kernels)
chosen = qualifies[0] if qualifies else min(candidates, key=lambda k: ratio[k].max())
low, high = ratio[chosen].min(), ratio[chosen].max()
print(f"-> horizontal-edge kernels: {qualifies}" if qualifies else
      f"-> no kernel qualifies. Closest: kernel {chosen}, opposite top/bottom signs on"
      f"\n   both, but left/right is {low:.2f}-{high:.2f} times top/bottom (under 0.5 "
      f"needed)")
both = {v: [s for s in SIDES if all(found[chosen].verdicts[s] == v
                                    for found in results.values())]
        for v in ("emphasized", "suppressed")}
print(f"kernel {chosen}, on both images: emphasized {', '.join(both['emphasized'])}; "
      f"suppressed {', '.join(both['suppressed'])}")

# %%
# The figure shows every kernel's response to the probe, each on its own colour scale,
# titled with its four side means: kernel 4 is red along the top *and* the left, blue
# along the bottom and the right -- the top-left of a bright object, not its top.
fig, axes = plt.subplots(2, 3, figsize=(7.2, 5.6), layout="constrained")
axes[0, 0].imshow(probe, cmap="gray")
axes[0, 0].set_title("probe: a bright square", fontsize=10)
for k, ax in zip(range(n_kernels), axes.flat[1:], strict=True):
    r = results["probe"][k]
    shown = ax.imshow(responses["probe"][:, :, k], cmap="RdBu_r", vmin=-r.scale,
                      vmax=r.scale)
    ax.set_title(f"kernel {k}{' (closest)' if k == chosen else ''}\n"
                 f"top {r.means['top']:+.2f}, bottom {r.means['bottom']:+.2f}\n"
                 f"left {r.means['left']:+.2f}, right {r.means['right']:+.2f}",
                 fontsize=9, weight="bold" if k == chosen else "normal")
    fig.colorbar(shown, ax=ax, shrink=0.85)
for ax in axes.flat:
    ax.set_axis_off()

# %%
# The weights explain the four means. On a straight edge a side's two pixels (the
# outermost object pixel and the one outside it) see the object under two rows of the
# kernel and under one: the top side gets about the bottom row's sum plus half the
# middle row's, the bottom side the top row's plus half the middle row's (columns
# likewise). So bottom row minus top row says which side is *larger* (unless it is near
# zero, as for kernel 1); the middle row can lift both above zero (kernels 0 and 2
# emphasize top and bottom alike).
print("predicted from the weights (measured on the probe):")
for k, r in enumerate(results["probe"]):
    rows, cols = kernels[:, :, 0, k].sum(axis=1), kernels[:, :, 0, k].sum(axis=0)
    guess = {"top": rows[2] + rows[1] / 2, "bottom": rows[0] + rows[1] / 2,
             "left": cols[2] + cols[1] / 2, "right": cols[0] + cols[1] / 2}
    print(f"kernel {k}: " + " ".join(f"{s} {guess[s]:+.2f} ({r.means[s]:+.2f})"
                                     for s in SIDES))

# %%
# Against the classical filters, :func:`interp.describe_kernel` gives the two closest
# with their similarities, and whether the best is closer than random kernels usually
# come.
weights = kernels[:, :, 0, chosen]
description = interp.describe_kernel(weights, initializer=layer.kernel_initializer)
for name, score in sorted(description.scores.items(), key=lambda item: -item[1])[:2]:
    print(f"  {score:.2f}  {name}")
print(f"best similarity {description.similarity:.2f}: {description.standing}")
print("-> named: " + (description.name if description.matched else "no (95% needed)"))

# %%
# On a t-shirt
# ------------
# The same kernel on the t-shirt: red along its top (shoulders) and its left side, blue
# along its right side and its bottom hem, as on the probe. The last line compares its
# zero-mean weights before training and now (cosine similarity; 1: the same pattern).
fig = interp.plot_response(shirt, weights, padding="same",
                           titles=("t-shirt", f"kernel {chosen}", "response"))
print(f"t-shirt, kernel {chosen} (10% of max |response| = "
      f"{results['t-shirt'][chosen].limit:.3f}):\n{results['t-shirt'][chosen]}")
start = model.training_info.kernel_snapshots[0, :, :, 0, chosen]
a, b = start - start.mean(), weights - weights.mean()
kept = np.sum(a * b) / np.linalg.norm(a) / np.linalg.norm(b)
print(f"kernel {chosen}, start vs trained: cosine similarity {kept:.2f}"
      + ("\n-> this pattern was largely there before training" if kept > 0.9 else ""))

plt.show()  # shows the figures when run as a script

# %%
# What to try next
# ----------------
# :doc:`07_convolution_is_the_network` checks that "convolve" is what the network
# computes; :doc:`../inside/12_kernel_evolution` measures how training changed each kernel.

# sphinx_gallery_thumbnail_number = 1
