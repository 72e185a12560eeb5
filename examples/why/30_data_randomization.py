"""
Data randomization: a network that learned nothing about clothes
================================================================

The second sanity check of :cite:t:`adebayo2018` leaves the architecture and the
training alone and takes the meaning out of the labels: the same network is trained on
images whose labels were shuffled, until it has memorized them. It fits its training
set but knows nothing about T-shirts or sneakers. A map that looks the same for this
network as for the real one cannot be showing what the real one learned.
:func:`interp.data_randomization` compares the two.
"""

# %%
# The shuffled-label network
# --------------------------
# ``interp.trained_model(labels="shuffled")`` trains it once (about half a minute on two
# CPU cores) on 5,000 training images with their labels permuted, and caches it.
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
shuffled = interp.trained_model(labels="shuffled")
info = shuffled.training_info
_, (x_test, y_test) = interp.load_fashion_mnist()
print(f"shuffled labels: {info.train_images} training images, {len(info.history)} epochs")
print(f"  accuracy on its training images, with the shuffled labels: "
      f"{info.train_accuracy:.1%}")
print(f"  accuracy on the 10,000 test images: {info.test_accuracy:.1%} (chance: 10%)")
print(f"true labels: test accuracy {model.training_info.test_accuracy:.1%}")

# %%
# The maps of both networks
# -------------------------
# Both explain the class the real network predicts. Each map has its own scale; over
# the shuffled-label network's map, its rank correlation :math:`\rho` with the other.
images = x_test[:200]
methods = {
    "saliency": lambda m, x, target: interp.saliency(m, x, target=target),
    "SmoothGrad": lambda m, x, target: interp.smoothgrad(m, x, target=target, samples=25),
    "integrated gradients": lambda m, x, target: interp.integrated_gradients(
        m, x, target=target, steps=50)[0],
    "Grad-CAM (conv1)": lambda m, x, target: interp.grad_cam(m, x, target, layer="conv1"),
    "occlusion (8 px)": lambda m, x, target: interp.occlusion(m, x, target, patch=8,
                                                              stride=2),
    "guided backprop": lambda m, x, target: interp.guided_backprop(m, x, target=target),
    "gradient × input": lambda m, x, target: interp.input_x_gradient(m, x, target=target),
}
checks = {name: interp.data_randomization(model, images, shuffled_model=shuffled,
                                          method=method)
          for name, method in methods.items()}
rows = [int(np.flatnonzero(y_test[:200] == interp.class_index(name))[0])
        for name in ("Sneaker", "T-shirt/top")]
fig, axes = plt.subplots(len(methods), 6, figsize=(8.5, 12.5), layout="constrained")
for ax_row, (name, check) in zip(axes, checks.items(), strict=True):
    for half, row in zip((ax_row[:3], ax_row[3:]), rows, strict=True):
        interp.plot_attributions(
            images[row], {"true labels": check.trained[row],
                          "shuffled": check.randomized[row]},
            signed=not name.startswith("Grad-CAM"), axes=half, title=name, colorbar=False)
        rho, rho_abs = check.similarity[row], check.similarity_abs[row]
        half[2].set_title("shuffled\nρ " + ("undefined" if np.isnan(rho) else
                                             f"{rho:+.2f}, |map| {rho_abs:+.2f}"),
                          fontsize=9)
        half[0].set_title(name, fontsize=9)
        half[1].set_title("true labels", fontsize=9)

# %%
# How alike, over 200 test images
# -------------------------------
# One dot per image, a bar at the mean, for the signed maps and their absolute values.
fig, axes = plt.subplots(2, 1, figsize=(7.5, 7.2), layout="constrained", sharex=True)
jitter = np.random.default_rng(0).uniform(-0.25, 0.25, len(images))
for ax, kind in zip(axes, ("similarity", "similarity_abs"), strict=True):
    ax.axvline(0, color="0.6", linewidth=0.8)
    for i, check in enumerate(checks.values()):
        y = len(methods) - 1 - i
        values = getattr(check, kind)
        ax.plot(values, y + jitter, ".", color=f"C{i}", alpha=0.35, markersize=4)
        ax.plot([np.nanmean(values)] * 2, [y - 0.38, y + 0.38], color="black", linewidth=2.5)
    ax.set_yticks(range(len(methods)), list(methods)[::-1])
    ax.set_title("signed maps" if kind == "similarity" else "absolute values of the maps",
                 fontsize=10)
axes[1].set_xlabel("rank correlation ρ, true-label against shuffled-label network")
axes[1].set_xlim(-1, 1)

print(f"{'rank correlation':<22}{'signed: mean':>13}{'sd':>6}{'|map|: mean':>13}{'sd':>6}"
      f"{'undefined':>11}")
for name, check in checks.items():
    print(f"{name:<22}{np.nanmean(check.similarity):>+13.2f}{np.nanstd(check.similarity):>6.2f}"
          f"{np.nanmean(check.similarity_abs):>+13.2f}{np.nanstd(check.similarity_abs):>6.2f}"
          f"{int(np.isnan(check.similarity).sum()):>11}")
for kind in ("similarity", "similarity_abs"):
    order = sorted(checks, key=lambda name: -np.nanmean(getattr(checks[name], kind)))
    print(f"\nmost to least alike, {'signed' if kind == 'similarity' else '|map|'}:")
    print("  " + ", ".join(order[:4]) + ",\n  " + ", ".join(order[4:]))
for name in ("guided backprop", "Grad-CAM (conv1)"):
    values = checks[name].similarity
    print(f"\n{name}: signed rho from {np.nanmin(values):+.2f} to {np.nanmax(values):+.2f}",
          end="")
print()

plt.show()  # shows the figures when run as a script

# %%
# By their absolute values, the two methods that multiply by the image are the most
# alike: their maps are zero on its black background whatever the labels were, as on
# :doc:`29_cascading_randomization`. Guided backpropagation comes first for the signed
# maps, and every one of its dots is above 0. Saliency and SmoothGrad come last by
# absolute values: they share the least with the network that learned nothing. Grad-CAM
# on conv1 varies most from image to image (the largest spread, sd): on some images the
# two networks' maps agree almost perfectly, on others they are opposite.
#
# What to try next
# ----------------
# :doc:`31_which_to_trust` puts faithfulness and both sanity checks in one table.

# sphinx_gallery_thumbnail_number = 2
