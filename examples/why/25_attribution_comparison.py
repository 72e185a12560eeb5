"""
Five attribution methods side by side
=====================================

Saliency, SmoothGrad, integrated gradients, Grad-CAM and occlusion each answer "which
pixels mattered?" differently. Here they explain the same five test images, one per
class. Two measurements go with the maps: how much of each map falls on the object,
and whether the map changes when the network's weights are replaced by random ones --
the sanity check of :cite:t:`adebayo2018`, shown in detail on :doc:`26_sanity_check`.
"""

# %%
# The maps, and the sanity check
# ------------------------------
# :func:`interp.model_randomization` explains the images with the trained network and
# with a copy whose weights are random, and gives the rank correlation :math:`\rho` of
# the two maps. It runs on the first 200 test images, the five shown here among them.
# A method **fails** when the mean :math:`\rho` is 0.25 or more, for the signed maps or
# their absolute values: the random network ranks the pixels much as the trained one
# does, so the map shows the image more than the network (see :doc:`26_sanity_check`).
# Each column title gives the larger of the two means.
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
_, (x_test, y_test) = interp.load_fashion_mnist()
classes = ("T-shirt/top", "Trouser", "Sneaker", "Bag", "Ankle boot")
rows = [int(interp.images_of(y_test, name)[0]) for name in classes]
images = x_test[rows]

methods = {
    "saliency": lambda m, x, target: interp.saliency(m, x, target=target),
    "SmoothGrad": lambda m, x, target: interp.smoothgrad(m, x, target=target, samples=25),
    "integrated gradients": lambda m, x, target: interp.integrated_gradients(
        m, x, target=target, steps=50)[0],
    "Grad-CAM (conv1)": lambda m, x, target: interp.grad_cam(m, x, target=target,
                                                             layer="conv1"),
    "occlusion (8 px)": lambda m, x, target: interp.occlusion(m, x, target=target, patch=8,
                                                              stride=2),
}
wide = {name: interp.model_randomization(model, x_test[:200], method=method, seed=0)
        for name, method in methods.items()}
checks = {name: interp.RandomizationCheck(*(part[rows] for part in check))
          for name, check in wide.items()}  # the five images shown
rho = {name: max(np.nanmean(c.similarity), np.nanmean(c.similarity_abs))
       for name, c in wide.items()}
passing = [name for name in methods if rho[name] < 0.25]

fig, axes = plt.subplots(len(classes), 1 + len(methods), figsize=(8.5, 9.6),
                         layout="constrained")
for row, name in enumerate(classes):
    interp.plot_attributions(images[row], {m: checks[m].trained[row] for m in methods},
                             signed={"Grad-CAM (conv1)": False}, axes=axes[row],
                             title=name, colorbar=False)
for col, method in enumerate(methods, start=1):
    label = method.replace(" (", "\n(").replace(" gradients", "\ngradients")
    verdict = "passes" if method in passing else "fails"
    axes[0, col].set_title(f"{label}\nρ {rho[method]:+.2f}: {verdict}", fontsize=9)
    for row in np.flatnonzero(checks[method].trained.max(axis=(1, 2)) == 0):
        axes[row, col].set_xlabel("empty map", fontsize=9)
for ax in axes[1:, 1:].flat:
    ax.set_title("")

# %%
# Mass on the object
# ------------------
# The share of each map's absolute mass on object pixels, against the share of the
# image the object covers. A map that ignored the image would land near the object's
# own share. An all-zero map has no mass to share: it is reported as empty.
print(f"{'':<22}" + "".join(f"{name[:11]:>12}" for name in classes))
coverage = np.mean(images[..., 0] > 0.2, axis=(1, 2))
print(f"{'object covers':<22}" + "".join(f"{c:>12.0%}" for c in coverage))
mass = {}  # method -> (trained, randomized), one share per image
for method, check in checks.items():
    mass[method] = np.array([[interp.mass_on_object(maps[i], images[i])
                              for i in range(len(classes))]
                             for maps in (check.trained, check.randomized)])
    print(f"{method:<22}" + "".join("       empty" if np.isnan(s) else f"{s:>12.0%}"
                                    for s in mass[method][0]))

# %%
# What the measure does and does not show
# ---------------------------------------
# Integrated gradients multiply by each pixel's difference from the black baseline, so
# wherever the image is black their attribution is zero by construction:
black = images[..., 0] == 0
print(f"largest |integrated gradient| on pixels equal to the baseline: "
      f"{np.abs(checks['integrated gradients'].trained[black]).max():.1e}")

# %%
# A map can sit on the object because of the image alone. The same measure on the
# *randomized* network tells the two apart: what training added is the difference.
print(f"{'mean over the images':<22}{'on object':>10}{'random net':>12}{'added':>8}"
      f"{'rho (200)':>11}")
for method in methods:
    trained, randomized = np.nanmean(mass[method], axis=1)
    print(f"{method:<22}{trained:>10.0%}{randomized:>12.0%}{trained - randomized:>+8.0%}"
          f"{rho[method]:>+8.2f} {'passes' if method in passing else 'fails'}")
most = max(methods, key=lambda m: np.nanmean(mass[m][0]))
print(f"\nmost mass on the object: {most}; it "
      f"{'passes' if most in passing else 'fails'} the sanity check")
print("passing the sanity check (mass on the object as a multiple of the object's share):")
print("  " + (", ".join(f"{m} {np.nanmean(mass[m][0] / coverage):.2f}x" for m in passing)
              or "none"))

fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
ax.axvline(coverage.mean(), color="black", linestyle="--", linewidth=1,
           label="the object's share (chance)")
for y, method in enumerate(reversed(methods)):
    trained, randomized = np.nanmean(mass[method], axis=1)
    ax.annotate("", (trained, y), (randomized, y),
                arrowprops={"arrowstyle": "->", "color": "0.4", "shrinkA": 4, "shrinkB": 4})
    ax.plot(randomized, y, "o", mfc="white", mec="black",
            label="randomized network" if y == 0 else None)
    ax.plot(trained, y, "o", color="C4", label="trained network" if y == 0 else None)
ax.set_yticks(range(len(methods)), [
    f"{m}\nsanity check: {'passes' if m in passing else 'fails'} (ρ {rho[m]:+.2f})"
    for m in reversed(methods)], fontsize=9)
ax.set_xlim(0, 1.02)
ax.set_ylim(-0.6, len(methods) - 0.2)
ax.xaxis.set_major_formatter("{x:.0%}")
ax.set_xlabel("mass on the object, mean over the five images")
ax.set_title("What training changed: randomized → trained network", fontsize=11)
fig.legend(loc="outside lower center", ncols=3, frameon=False, fontsize=9)

plt.show()  # shows the figures when run as a script

# %%
# Mass on the object measures where a map is, not whether it reflects what the network
# learned: integrated gradients put as much on the object for a network that learned
# nothing, and the arrows show training moving other maps off the object as well as
# onto it. So the ranking by mass crowns no method. Which map to trust is measured on
# :doc:`31_which_to_trust`: faithfulness (does the ranking find the pixels the
# prediction depends on?) and two sanity checks, this one and a network trained on
# shuffled labels, on 200 images. "Passes" here means this check alone, with every
# layer randomized at once; a method that passes it can still fail there, where the
# top layer alone is randomized or the labels are shuffled.
#
# What to try next
# ----------------
# :doc:`26_sanity_check` shows the trained and randomized maps side by side.

# sphinx_gallery_thumbnail_number = 1
