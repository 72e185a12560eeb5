"""
Sanity check: do the maps depend on the weights?
================================================

Adebayo et al. (2018) proposed a simple test: explain the same images with the trained
network and with the same architecture whose weights were drawn at random. A method that
explains the *network* must give different maps; if the maps stay alike, they mostly
show the image itself. :func:`interp.model_randomization` runs it and compares the two
maps of each image with the Spearman rank correlation :math:`\\rho` of their absolute
values (:func:`interp.rank_correlation`): 1 when both rank the pixels alike, near 0
when they are unrelated.
"""

# %%
# Trained against randomized, for every method
# --------------------------------------------
# A map whose values are all equal -- an empty Grad-CAM map, say -- ranks no pixel
# above another, so its correlation is *undefined* (NaN), not zero; the table says so
# and the means leave it out. As on :doc:`25_attribution_comparison`, a map fails
# when :math:`\rho \ge 0.5`.
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
_, (x_test, y_test) = interp.load_fashion_mnist()
classes = ("T-shirt/top", "Trouser", "Sneaker", "Bag", "Ankle boot")
images = x_test[[int(interp.images_of(y_test, name)[0]) for name in classes]]

methods = {
    "saliency": lambda m, x, target: interp.saliency(m, x, target=target),
    "SmoothGrad": lambda m, x, target: interp.smoothgrad(m, x, target=target, samples=25),
    "integrated gradients": lambda m, x, target: interp.integrated_gradients(
        m, x, target=target)[0],
    "Grad-CAM (conv1)": lambda m, x, target: interp.grad_cam(m, x, target=target,
                                                             layer="conv1"),
    "occlusion (8 px)": lambda m, x, target: interp.occlusion(m, x, target=target, patch=8),
}
checks = {name: interp.model_randomization(model, images, method=method, seed=0)
          for name, method in methods.items()}
print("Spearman rank correlation of |map|, trained against randomized network")
print(f"{'':<21}" + "".join(f"{name:>12}" for name in classes) + f"{'mean':>7}")
for name, check in checks.items():
    cells = "".join(f"{'undefined':>12}" if np.isnan(s) else f"{s:>12.2f}"
                    for s in check.similarity_abs)
    print(f"{name:<21}{cells}{np.nanmean(check.similarity_abs):>7.2f}")
for name, check in checks.items():
    for i in np.flatnonzero(np.isnan(check.similarity_abs)):
        for kind, maps in (("trained", check.trained), ("randomized", check.randomized)):
            if np.ptp(maps[i]) == 0:
                print(f"undefined: {name}, {classes[i]}: the {kind} network's map is "
                      f"{maps[i].flat[0]:g} everywhere")
means = {name: np.nanmean(check.similarity_abs) for name, check in checks.items()}
ranking = sorted(means, key=means.get)
print("\nmost to least dependent on the weights, by the mean over defined values:")
for name in ranking:
    similarity = checks[name].similarity_abs
    print(f"  {name:<21} mean {means[name]:.2f}; fails (rho >= 0.5) on "
          f"{np.sum(similarity >= 0.5)} of {np.sum(~np.isnan(similarity))} defined")

# %%
# The same numbers as a picture: one dot per image, a bar at the method's mean.
fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
ax.axvspan(0.5, 1.05, color="0.92")
ax.text(1.03, -0.45, "fails (ρ ≥ 0.5)", ha="right", va="bottom")
ax.axvline(0, color="0.7", linewidth=0.8)
for row, (name, check) in enumerate(checks.items()):
    y = len(methods) - 1 - row
    ax.plot(check.similarity_abs, np.full(len(classes), y), "o", color="tab:blue", alpha=0.7)
    ax.plot([means[name]] * 2, [y - 0.3, y + 0.3], color="black", linewidth=2)
    undefined = int(np.isnan(check.similarity_abs).sum())
    if undefined:
        ax.text(-0.47, y + 0.15, f"{undefined} undefined", fontsize=9, color="tab:red")
ax.set_yticks(range(len(methods)), list(methods)[::-1])
ax.set_xlim(-0.5, 1.05)
ax.set_ylim(-0.6, len(methods) - 0.4)
ax.set_xlabel("rank correlation ρ of |map|, trained vs randomized network")
ax.set_title("ρ per image (dots) and its mean (bars);\nlower: the map depends more on the "
             "weights", fontsize=11)

# %%
# Why integrated gradients fail: each attribution is the pixel's brightness times an
# average gradient, and the brightness dominates the ranking. Their absolute values
# rank the pixels almost as the image itself does, whichever network is explained:
ig = checks["integrated gradients"]
for kind, maps in (("trained", ig.trained), ("randomized", ig.randomized)):
    with_image = interp.rank_correlation(np.abs(maps), images[..., 0])
    print(f"rho(|integrated gradients|, image), {kind} network: "
          + " ".join(f"{s:.2f}" for s in with_image))

# %%
# Occlusion is partly alike for a simpler reason: covering black background with a
# black patch changes nothing for *any* network, so both maps are exactly zero there.
occ = checks["occlusion (8 px)"]
both = np.mean((occ.trained == 0) & (occ.randomized == 0), axis=(1, 2))
print("pixels where both occlusion maps are 0: " + " ".join(f"{b:.0%}" for b in both))

# %%
# The sneaker's maps: trained network (top) and randomized network (bottom), each on
# its own scale, written under it. The column titles give the sneaker's :math:`\rho`.
row = classes.index("Sneaker")
fig, axes = plt.subplots(2, 1 + len(methods), figsize=(8.5, 3.9), layout="constrained")
for axes_row, kind in zip(axes, ("trained", "randomized"), strict=True):
    interp.plot_attributions(images[row], {n: getattr(c, kind)[row] for n, c in checks.items()},
                             signed={"Grad-CAM (conv1)": False}, axes=axes_row,
                             title=f"{kind}\nnetwork", colorbar=False)
for ax, (name, check) in zip(axes[0, 1:], checks.items(), strict=True):
    label = name.replace(" (", "\n(").replace(" gradients", "\ngradients")
    value = check.similarity_abs[row]
    ax.set_title(f"{label}\nρ " + ("undefined" if np.isnan(value) else f"= {value:.2f}"),
                 fontsize=9)
for ax in axes[1, 1:]:
    ax.set_title("")

plt.show()  # shows the figures when run as a script

# %%
# What to try next
# ----------------
# Attribution explains one prediction. :doc:`27_maximize_activation` asks what a kernel
# would like to see, with no image given at all.

# sphinx_gallery_thumbnail_number = 1
