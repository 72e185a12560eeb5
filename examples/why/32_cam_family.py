"""
The CAM family: four ways to weight a layer's maps
==================================================

Grad-CAM :cite:p:`selvaraju2017`, Grad-CAM++ :cite:p:`chattopadhay2018`, Score-CAM
:cite:p:`wang2020` and LayerCAM :cite:p:`jiang2021` all explain class :math:`c` with a
convolution layer's maps :math:`A^k`, as :math:`\\mathrm{ReLU}(\\sum_k w_k A^k)`. They
differ in the weights: Grad-CAM takes each map's mean gradient
(:func:`interp.grad_cam`); Grad-CAM++ weights each position's positive gradient
(:func:`interp.grad_cam_plus_plus`); Score-CAM masks the image with each map and takes
the softmax of the logits it gets (:func:`interp.score_cam`, no gradient); LayerCAM
keeps a weight per position, the positive gradient there (:func:`interp.layer_cam`).
This page puts the four side by side on conv1 and conv2 of the course network.
"""

# %%
# Four methods, two layers, three test images
# -------------------------------------------
# The first sneaker, T-shirt and ankle boot of the test set. Every map is non-negative
# and drawn from white (0) to red (its own maximum, written under it). Each title
# gives how *concentrated* the map is: the share of its total on its top 10% of pixels
# (78 of 784); a flat map scores 10%, a single bright pixel 100%.
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
_, (x_test, y_test) = interp.load_fashion_mnist()
names = ("Sneaker", "T-shirt/top", "Ankle boot")
images = x_test[[int(interp.images_of(y_test, name)[0]) for name in names]]
predicted = model.predict(images, verbose=0).argmax(axis=1)
print("predicted:", ", ".join(interp.CLASS_NAMES[c] for c in predicted))
methods = {"Grad-CAM": interp.grad_cam, "Grad-CAM++": interp.grad_cam_plus_plus,
           "Score-CAM": interp.score_cam, "LayerCAM": interp.layer_cam}
layers = ("conv1", "conv2")
TOP = 78  # 10% of the 784 pixels


def concentration(maps):
    """Share of each map's total on its TOP largest pixels; NaN for an empty map."""
    flat = np.sort(maps.reshape(len(maps), -1), axis=1)[:, ::-1]
    total = flat.sum(axis=1)
    return np.where(total > 0, flat[:, :TOP].sum(axis=1) / np.where(total > 0, total, 1),
                    np.nan)


def label(share):
    return "all zero" if np.isnan(share) else f"top 10%: {share:.0%}"


def show(layer):
    """One figure per layer: a row per image, its four maps beside it."""
    cams = {m: f(model, images, layer=layer) for m, f in methods.items()}
    fig, axes = plt.subplots(len(names), 5, figsize=(8, 7.4), layout="constrained")
    print(f"{layer}: top-10% share of each map (empty: zero everywhere)")
    for row, name in enumerate(names):
        shares = {m: concentration(cams[m])[row] for m in methods}
        interp.plot_attributions(
            images[row], {f"{m}\n{label(shares[m])}": cams[m][row] for m in methods},
            signed=False, axes=axes[row], title=name, colorbar=False)
        print(f"  {name:<12}" + ", ".join(
            f"{m} {'empty' if np.isnan(s) else f'{s:.0%}'}" for m, s in shares.items()))
    fig.suptitle(f"The CAM family on {layer} (each map on its own scale)", fontsize=11)


show("conv1")

# %%
# On conv2, the last convolution layer, whose 24 x 24 maps feed the dense read-out:
show("conv2")

# %%
# Which method concentrates most, on 100 images
# ---------------------------------------------
# Three images prove little, so the same measure, and the share of empty maps, over the
# first 100 test images (each explained for its predicted class). The mean leaves out
# the empty maps, which have no distribution to measure.
sample = x_test[:100]
print(f"{'':<18}{'empty maps':>11}{'mean top-10% share':>20}   (a flat map: 10%)")
means = {}
for layer in layers:
    for m, f in methods.items():
        shares = concentration(f(model, sample, layer=layer))
        means[layer, m] = np.nanmean(shares) if not np.isnan(shares).all() else np.nan
        print(f"{layer} {m:<12}{np.isnan(shares).mean():>11.0%}{means[layer, m]:>20.0%}")
for layer in layers:
    ranked = sorted(methods, key=lambda m: -means[layer, m])
    print(f"{layer}: most concentrated {ranked[0]} ({means[layer, ranked[0]]:.0%}), "
          f"least {ranked[-1]} ({means[layer, ranked[-1]]:.0%})")

# %%
# Where the maps put their weight: on the object or off it
# --------------------------------------------------------
# :func:`interp.mass_on_object` gives the share of a map on the object's pixels
# (brighter than 0.2); a map blind to the object would put there the object's share of
# the pixels. Means over the same 100 images, empty maps left out; "below" marks a
# method that puts less on the object than that:
objects = np.mean(sample[..., 0] > 0.2)
print(f"the object's share of the pixels: {objects:.0%}")
for layer in layers:
    row = []
    for m, f in methods.items():
        maps = f(model, sample, layer=layer)
        on = [interp.mass_on_object(a, x) for a, x in zip(maps, sample, strict=True)
              if a.max() > 0]
        row.append(f"{m} {np.mean(on):.0%}" + (" (below)" if np.mean(on) < objects else ""))
    print(f"{layer} " + ", ".join(row))

plt.show()  # shows the figures when run as a script

# %%
# Only Grad-CAM averages the gradient over a map's positions, so only Grad-CAM can
# lose a whole map to a negative average (:doc:`23_grad_cam` shows why it happens on
# this network); the other three keep positive weights (a positive gradient, or a
# softmax), and none of their maps above is empty. Grad-CAM's maps, when not empty,
# are also the most concentrated: what survives its ReLU is a few positions where the
# positive maps win. Being concentrated is not being on the object: on conv2, the
# printout marks the methods whose maps put less on the object than a blind map would.
#
# What to try next
# ----------------
# :doc:`33_lrp` follows the logit back through every layer instead of stopping at one.

# sphinx_gallery_thumbnail_number = 1
