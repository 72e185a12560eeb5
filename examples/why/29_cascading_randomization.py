"""
Cascading randomization: the maps as the network is erased
==========================================================

The cascading test of :cite:t:`adebayo2018` erases a trained network from the top: first
the output layer's weights are drawn afresh from their initializers, then the layer below
too, and so on.
A map that explains the network must change as soon as the layer that makes the
decision is gone. Their Figure 4 does this with a small CNN on Fashion-MNIST; here is
the same experiment on this site's network, with
:func:`interp.cascading_randomization`.
"""

# %%
# The maps of one sneaker
# -----------------------
# Each row is one method: the trained network's map, then the map after the dense
# layer, then also conv2, then also conv1 were randomized. Each map has its own scale,
# written under it; over it, its rank correlation :math:`\rho` with the trained map.
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
_, (x_test, y_test) = interp.load_fashion_mnist()
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
results = {name: interp.cascading_randomization(model, images, method=method, seed=0)
           for name, method in methods.items()}
steps = ["trained", *(f"+ {layer}" for layer in results["saliency"].layers)]
print("randomized, in this order:", ", ".join(results["saliency"].layers))

row = int(np.flatnonzero(y_test[:200] == interp.class_index("Sneaker"))[0])
fig, axes = plt.subplots(len(methods), 1 + len(steps), figsize=(8, 12.5),
                         layout="constrained")
for ax_row, (name, result) in zip(axes, results.items(), strict=True):
    maps = dict(zip(steps, [result.trained[row], *result.maps[:, row]], strict=True))
    interp.plot_attributions(images[row], maps, signed=not name.startswith("Grad-CAM"),
                             axes=ax_row, title=name, colorbar=False)
for i, (ax_row, result) in enumerate(zip(axes, results.values(), strict=True)):
    ax_row[1].set_title(steps[0] if i == 0 else "", fontsize=9)
    for ax, step, rho in zip(ax_row[2:], steps[1:], result.similarity[:, row], strict=True):
        value = f"ρ {rho:+.2f}" if np.isfinite(rho) else "ρ undefined\n(constant map)"
        ax.set_title(("" if i else f"{step}\n") + value, fontsize=9)
    ax_row[0].set_title(ax_row[0].get_title(), fontsize=9)

# %%
# How alike, over 200 test images
# -------------------------------
# The Spearman rank correlation of each map with the trained network's map of the same
# image, for the same class, averaged over the 200 images: for the signed maps and
# their absolute values. An all-zero Grad-CAM map ranks nothing and is left out.
fig, axes = plt.subplots(2, 1, figsize=(7.5, 7.2), layout="constrained", sharex=True)
for ax, kind in zip(axes, ("similarity", "similarity_abs"), strict=True):
    ax.axhline(0, color="0.6", linewidth=0.8)
    for i, (name, result) in enumerate(results.items()):
        values = [1.0, *np.nanmean(getattr(result, kind), axis=1)]
        ax.plot(steps, values, marker="o", color=f"C{i}", label=name,
                linestyle="--" if name == "gradient × input" else "-")
    ax.set_ylim(-0.3, 1.05)
    ax.set_ylabel("mean rank correlation")
    ax.set_title("signed maps" if kind == "similarity" else "absolute values of the maps",
                 fontsize=10)
axes[1].set_xlabel("layers randomized, from the output down (cumulative)")
axes[0].legend(fontsize=8, ncols=2, loc="upper right")

print(f"\n{'mean rank correlation':<22}" + "".join(f"{s:>11}" for s in steps[1:])
      + f"{'|map|, + dense':>16}")
for name, result in results.items():
    print(f"{name:<22}" + "".join(f"{v:>+11.2f}" for v in np.nanmean(result.similarity, 1))
          + f"{np.nanmean(result.similarity_abs[0]):>+16.2f}")
top = {name: np.nanmean(result.similarity[0]) for name, result in results.items()}
print("\nafter randomizing the dense layer only, most to least alike (signed):")
for name in sorted(top, key=top.get, reverse=True):
    print(f"  {name:<22}{top[name]:+.2f}")

# %%
# The paper's finding, measured
# -----------------------------
# Once the dense layer is drawn afresh, the gradient's map is unrelated to the trained
# one (a mean :math:`\rho` near 0), while guided backpropagation keeps about half of its
# ranking. How much of that is the particular random draw? Five draws of the dense layer:
draws = {name: [np.nanmean(interp.cascading_randomization(
    model, images, method=methods[name], layers="dense", seed=seed).similarity)
    for seed in range(5)] for name in ("saliency", "guided backprop")}
for name, values in draws.items():
    print(f"{name:<16} after the dense layer, seeds 0-4: "
          + " ".join(f"{v:+.3f}" for v in values))
gap = min(draws["guided backprop"]) - max(draws["saliency"])
print(f"the lowest guided-backprop value exceeds the highest saliency value by {gap:.2f}")

# %%
# One layer at a time
# -------------------
# :func:`interp.independent_randomization` draws one layer afresh and keeps the others
# as trained. Guided backpropagation keeps much of its map whichever layer is drawn:
for name in ("saliency", "guided backprop"):
    alone = interp.independent_randomization(model, images, method=methods[name])
    print(f"{name:<16} " + "  ".join(f"{layer} alone {np.nanmean(v):+.2f}" for layer, v in
                                    zip(alone.layers, alone.similarity, strict=True)))

# %%
# Integrated gradients and gradient × input change with the network -- their signed
# curves fall to about 0 -- yet their absolute values stay alike (the lower panel). Both
# multiply by the image, so where it is black their maps are zero for any network:
black = images[..., 0] == 0
print(f"the image is black on {black.mean():.0%} of the pixels")
for name in ("integrated gradients", "gradient × input"):
    both = (results[name].trained == 0) & (results[name].maps[0] == 0)
    print(f"{name:<22} both maps exactly 0 on {both.mean():.0%} of the pixels")

plt.show()  # shows the figures when run as a script

# %%
# Ties at zero on the background make two maps rank alike whatever the network does on
# the object; :doc:`26_sanity_check` shows the same for a fully randomized network.
#
# What to try next
# ----------------
# :doc:`30_data_randomization` keeps the weights trained but takes the meaning out of
# the labels.

# sphinx_gallery_thumbnail_number = 2
