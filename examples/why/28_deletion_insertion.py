"""
Deletion and insertion: does the map find the pixels that matter?
=================================================================

A map ranks the pixels. If the ranking is faithful to the network, removing the top
pixels first makes the class probability fall fast, and putting them back first into a
blurred image brings it back fast. :cite:t:`petsiuk2018` made this two curves and their
areas: :func:`interp.deletion` (lower is better) and :func:`interp.insertion` (higher is
better). A map of random numbers gives the floor every method must beat.
"""

# %%
# What the model sees
# -------------------
# Deletion sets the top-ranked pixels to black (0), the background of Fashion-MNIST.
# Insertion pastes them back into a blurred copy (an 11-tap Gaussian, :math:`\sigma` = 5
# pixels, as in the RISE code). The ranking is the sneaker's saliency map; each title
# is the sneaker's probability.
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
_, (x_test, y_test) = interp.load_fashion_mnist()
sneaker = x_test[int(interp.images_of(y_test, "Sneaker")[0])][np.newaxis]
ranking = interp.saliency(model, sneaker)
deleted = interp.deletion(model, sneaker, ranking, steps=20)
inserted = interp.insertion(model, sneaker, ranking, steps=20)

taps = np.exp(-np.arange(-5, 6) ** 2 / (2 * 5.0**2))
taps /= taps.sum()
blurred = sneaker[0, :, :, 0]
for axis in (0, 1):  # the same blur, written out: each row, then each column
    blurred = np.apply_along_axis(np.convolve, axis, blurred, taps, mode="same")
order = np.argsort(-ranking[0].ravel(), kind="stable")  # highest first, ties by index
target = int(model.predict(sneaker, verbose=0).argmax())
print(f"predicted class: {interp.CLASS_NAMES[target]}")
shown = (0, 2, 4, 8, 20)  # steps of 5% of the pixels
fig, axes = plt.subplots(2, len(shown), figsize=(8, 3.9), layout="constrained")
frames = []
for col, step in enumerate(shown):
    top = np.zeros(784, bool)
    top[order[:round(step * 784 / 20)]] = True
    image = sneaker[0, :, :, 0]
    frames += [np.where(top.reshape(28, 28), 0.0, image),
               np.where(top.reshape(28, 28), image, blurred)]
    for row, (curve, name) in enumerate(((deleted, "deleted"), (inserted, "inserted"))):
        axes[row, col].imshow(frames[-2 + row], cmap="gray", vmin=0, vmax=1)
        axes[row, col].set_title(f"{step * 5}% {name}\np = {curve.scores[0, step]:.2f}",
                                 fontsize=9)
        axes[row, col].axis("off")
probabilities = model.predict(np.array(frames)[..., None], verbose=0)[:, target]
recorded = np.stack([deleted.scores[0, shown], inserted.scores[0, shown]], 1).ravel()
print(f"model.predict on these ten frames differs from the curves by at most "
      f"{np.abs(probabilities - recorded).max():.1e}")

# %%
# Seven methods and a random floor, on 200 test images
# ----------------------------------------------------
# Each method's maps rank the pixels as it returns them, signed: positive evidence
# first. The floor is five maps of uniform noise (five seeds).
images = x_test[:200]
methods = {
    "saliency": lambda x: interp.saliency(model, x),
    "SmoothGrad": lambda x: interp.smoothgrad(model, x, samples=25),
    "integrated gradients": lambda x: interp.integrated_gradients(model, x, steps=50)[0],
    "Grad-CAM (conv1)": lambda x: interp.grad_cam(model, x, layer="conv1"),
    "occlusion (8 px)": lambda x: interp.occlusion(model, x, patch=8, stride=2),
    "guided backprop": lambda x: interp.guided_backprop(model, x),
    "gradient × input": lambda x: interp.input_x_gradient(model, x),
}
maps = {name: method(images) for name, method in methods.items()}
floor = [np.random.default_rng(seed).random((len(images), 28, 28)) for seed in range(5)]
curves = {}
for name, ranked in [*maps.items(), *((f"random {s}", m) for s, m in enumerate(floor))]:
    curves[name] = (interp.deletion(model, images, ranked),
                    interp.insertion(model, images, ranked))

fig, axes = plt.subplots(2, 1, figsize=(7.5, 7.6), layout="constrained", sharex=True)
for ax, part, label in zip(axes, (0, 1), ("deleted", "inserted"), strict=True):
    for i, name in enumerate(curves):
        curve = curves[name][part]
        style = {"color": f"C{i}", "linewidth": 2, "label": name,
                 "linestyle": "--" if name == "gradient × input" else "-"}
        if name.startswith("random"):
            style = {"color": "0.6", "linewidth": 1,
                     "label": "random (5 seeds)" if name == "random 0" else None}
        ax.plot(curve.fractions, curve.scores.mean(axis=0), **style)
    ax.set_ylabel("mean probability of the class")
    ax.set_title(f"pixels {label}, top-ranked first "
                 f"({'lower' if part == 0 else 'higher'} area is better)", fontsize=10)
    ax.set_ylim(0, 1)
axes[1].set_xlabel("fraction of pixels")
axes[1].xaxis.set_major_formatter("{x:.0%}")
axes[0].legend(fontsize=8, ncols=2)

# %%
# The areas under the curves, mean over the 200 images, ranked by deletion:
random = np.array([[curves[f"random {s}"][p].auc.mean() for s in range(5)] for p in (0, 1)])
print(f"{'':<22}{'deletion AUC':>13}{'insertion AUC':>15}")
print(f"{'random floor':<22}{random[0].mean():>13.3f}{random[1].mean():>15.3f}"
      f"   (5 seeds: {random[0].min():.3f}-{random[0].max():.3f}, "
      f"{random[1].min():.3f}-{random[1].max():.3f})")
auc = {name: [curves[name][p].auc.mean() for p in (0, 1)] for name in methods}
for name in sorted(methods, key=lambda name: auc[name][0]):
    beats = ["" if auc[name][0] < random[0].min() else "not below the floor",
             "" if auc[name][1] > random[1].max() else "not above the floor"]
    note = "; ".join(b for b in beats if b)
    print(f"{name:<22}{auc[name][0]:>13.3f}{auc[name][1]:>15.3f}   {note}")
empty = int((maps["Grad-CAM (conv1)"].max(axis=(1, 2)) == 0).sum())
print(f"\nGrad-CAM maps that are zero everywhere: {empty} of {len(images)}; they rank "
      "nothing,\nso their pixels go in index order, from the top left")

# %%
# The sign matters. Ranked by its absolute value, saliency spends more of its first
# deletions on black pixels, where deleting changes nothing, and on bright pixels with a
# *negative* gradient, whose darkening raises the class's logit (to first order). Shares
# of the first 10% of pixels deleted:
absolute = interp.deletion(model, images, np.abs(maps["saliency"])).auc.mean()
print(f"saliency deletion AUC: signed {auc['saliency'][0]:.3f}, |saliency| {absolute:.3f}")
grads, pixels = maps["saliency"].reshape(200, -1), images.reshape(200, -1)
for name, ranked in (("signed", grads), ("|saliency|", np.abs(grads))):
    first = np.argsort(-ranked, axis=1, kind="stable")[:, :78]
    g, x = np.take_along_axis(grads, first, 1), np.take_along_axis(pixels, first, 1)
    print(f"  by {name:<11} black {np.mean(x == 0):>4.0%}, bright with a negative gradient "
          f"{np.mean((x > 0) & (g < 0)):>4.0%}")

# %%
# A ranking needs no network to score well. The image itself, brightest pixels first:
brightness = images[..., 0]
own = [metric(model, images, brightness).auc.mean()
       for metric in (interp.deletion, interp.insertion)]
print(f"the image as its own map: deletion AUC {own[0]:.3f} ({own[0] / random[0].mean():.0%} "
      f"of the floor's), insertion AUC {own[1]:.3f}")
print("methods it beats on both: " + (", ".join(
    name for name in methods if own[0] < auc[name][0] and own[1] > auc[name][1]) or "none"))

plt.show()  # shows the figures when run as a script

# %%
# Faithfulness is one half of the question. With no network at all, the image's own
# brightness deletes with about half the random floor's area: a map that copied the
# image would look faithful too. The next pages ask whether each map needs the network.
#
# What to try next
# ----------------
# :doc:`29_cascading_randomization` randomizes the network one layer at a time.

# sphinx_gallery_thumbnail_number = 2
