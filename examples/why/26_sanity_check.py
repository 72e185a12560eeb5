"""
Sanity check: do the maps depend on the weights?
================================================

The test :cite:t:`adebayo2018` proposed is simple: explain the same images with the
trained network and with the same architecture whose weights were drawn at random. A method that
explains the *network* must give different maps; if the maps stay alike, they mostly
show the image itself. :func:`interp.model_randomization` runs it and compares the two
maps of each image with the Spearman rank correlation :math:`\\rho`
(:func:`interp.rank_correlation`), of the signed maps and of their absolute values: 1
when both rank the pixels alike, near 0 when they are unrelated.
"""

# %%
# Trained against randomized, for every method
# --------------------------------------------
# The check runs on the first 200 test images; the five images of
# :doc:`25_attribution_comparison` are among them, and the table shows theirs. A map
# whose values are all equal -- an empty Grad-CAM map, say -- ranks no pixel above
# another, so its correlation is *undefined* (NaN), not zero; the means leave it out.
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
_, (x_test, y_test) = interp.load_fashion_mnist()
images = x_test[:200]
classes = ("T-shirt/top", "Trouser", "Sneaker", "Bag", "Ankle boot")
rows = [int(interp.images_of(y_test, name)[0]) for name in classes]
assert max(rows) < len(images)

methods = {
    "saliency": lambda m, x, target: interp.saliency(m, x, target=target),
    "SmoothGrad": lambda m, x, target: interp.smoothgrad(m, x, target=target, samples=25),
    "integrated gradients": lambda m, x, target: interp.integrated_gradients(
        m, x, target=target, steps=50)[0],
    "Grad-CAM (conv1)": lambda m, x, target: interp.grad_cam(m, x, target=target,
                                                             layer="conv1"),
    "occlusion (8 px)": lambda m, x, target: interp.occlusion(m, x, target=target, patch=8,
                                                              stride=2),
    "guided backprop": lambda m, x, target: interp.guided_backprop(m, x, target=target),
    "gradient × input": lambda m, x, target: interp.input_x_gradient(m, x, target=target),
}
checks = {name: interp.model_randomization(model, images, method=method, seed=0)
          for name, method in methods.items()}
print("rank correlation, trained against randomized network")
print(f"{'':<21}{'|map|, one image of each class':^50}{'mean of 200':>15}")
print(f"{'':<21}" + "".join(f"{name:>10}" for name in ("T-shirt", "Trouser", "Sneaker",
                                                       "Bag", "Boot"))
      + f"{'signed':>8}{'|map|':>7}")
for name, check in checks.items():
    cells = "".join(f"{'undefined':>10}" if np.isnan(s) else f"{s:>10.2f}"
                    for s in check.similarity_abs[rows])
    print(f"{name:<21}{cells}{np.nanmean(check.similarity):>+8.2f}"
          f"{np.nanmean(check.similarity_abs):>+7.2f}")
for name, check in checks.items():
    for kind, maps in (("trained", check.trained), ("randomized", check.randomized)):
        empty = int((np.ptp(maps.reshape(len(maps), -1), axis=1) == 0).sum())
        if empty:
            print(f"undefined: {name}, {empty} of the {kind} network's maps are constant")

# %%
# The verdict
# -----------
# A method **fails** when the mean rank correlation is 0.25 or more
# (:data:`interp.SANITY_LINE`), for the signed maps or for their absolute values: the map
# keeps too much of itself when the network loses everything it learned.
# :func:`interp.passes_sanity_check` applies the rule; it judges every check on
# :doc:`31_which_to_trust` too.
LINE = interp.SANITY_LINE
worst = {name: max(np.nanmean(c.similarity), np.nanmean(c.similarity_abs))
         for name, c in checks.items()}
print("most to least dependent on the weights (larger of the two means):")
for name in sorted(worst, key=worst.get):
    verdict = "passes" if interp.passes_sanity_check(checks[name]) else "fails"
    print(f"  {name:<21} {worst[name]:+.2f}  {verdict}")

fig, axes = plt.subplots(2, 1, figsize=(7.5, 7.2), layout="constrained", sharex=True)
jitter = np.random.default_rng(0).uniform(-0.25, 0.25, len(images))
for ax, kind in zip(axes, ("similarity", "similarity_abs"), strict=True):
    ax.axvspan(LINE, 1.05, color="0.92")
    ax.axvline(0, color="0.6", linewidth=0.8)
    for i, check in enumerate(checks.values()):
        y = len(methods) - 1 - i
        ax.plot(getattr(check, kind), y + jitter, ".", color=f"C{i}", alpha=0.35,
                markersize=4)
        ax.plot([np.nanmean(getattr(check, kind))] * 2, [y - 0.38, y + 0.38],
                color="black", linewidth=2.5)
    ax.set_yticks(range(len(methods)), list(methods)[::-1])
    ax.set_title(("signed maps" if kind == "similarity" else "absolute values") +
                 f": dots are images, bars the mean; shaded: a mean here fails (ρ ≥ {LINE})",
                 fontsize=9)
axes[1].set_xlim(-1, 1.05)
axes[1].set_xlabel("rank correlation ρ, trained against randomized network")

# %%
# Why integrated gradients fail: each attribution is the pixel's brightness times an
# average gradient, and the brightness dominates the ranking. Their absolute values
# rank the pixels almost as the image itself does, whichever network is explained:
ig = checks["integrated gradients"]
for kind, maps in (("trained", ig.trained), ("randomized", ig.randomized)):
    with_image = interp.rank_correlation(np.abs(maps[rows]), images[rows, ..., 0])
    print(f"rho(|integrated gradients|, image), {kind} network: "
          + " ".join(f"{s:.2f}" for s in with_image))

# %%
# Occlusion is partly alike for a simpler reason: covering black background with a
# black patch changes nothing for *any* network, so both maps are exactly zero there.
occ = checks["occlusion (8 px)"]
both = np.mean((occ.trained[rows] == 0) & (occ.randomized[rows] == 0), axis=(1, 2))
print("pixels where both occlusion maps are 0: " + " ".join(f"{b:.0%}" for b in both))

# %%
# The sneaker's maps: trained network (top) and randomized network (bottom), each on
# its own scale, written under it. The column titles give the sneaker's :math:`\rho`
# for the signed maps.
row = rows[classes.index("Sneaker")]
fig, axes = plt.subplots(2, 1 + len(methods), figsize=(8.5, 3.6), layout="constrained")
for axes_row, kind in zip(axes, ("trained", "randomized"), strict=True):
    interp.plot_attributions(images[row], {n: getattr(c, kind)[row] for n, c in checks.items()},
                             signed={"Grad-CAM (conv1)": False}, axes=axes_row,
                             title=f"{kind}\nnetwork", colorbar=False)
for ax, (name, check) in zip(axes[0, 1:], checks.items(), strict=True):
    label = name.replace(" (", "\n(").replace(" gradients", "\ngradients")
    label = label.replace(" backprop", "\nbackprop").replace(" × ", " ×\n")
    ax.set_title(f"{label}\nρ {check.similarity[row]:+.2f}"
                 f"\n|map| ρ {check.similarity_abs[row]:+.2f}", fontsize=8)
for ax in axes[:, 1:].flat:
    ax.xaxis.label.set_fontsize(8)
for ax in axes[1, 1:]:
    ax.set_title("")

plt.show()  # shows the figures when run as a script

# %%
# Guided backpropagation fails as :cite:t:`adebayo2018` found: its maps keep a third of their
# ranking with every weight drawn afresh (the means above). Passing this check is not
# yet trust: :doc:`29_cascading_randomization` erases the network one layer at a time,
# :doc:`30_data_randomization` keeps the weights but shuffles the labels, and
# :doc:`31_which_to_trust` adds faithfulness.
#
# What to try next
# ----------------
# Attribution explains one prediction. :doc:`27_maximize_activation` asks what a kernel
# would like to see, with no image given at all.

# sphinx_gallery_thumbnail_number = 1
