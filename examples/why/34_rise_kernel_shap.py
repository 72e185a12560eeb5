"""
RISE and KernelSHAP: explaining with masked images only
=======================================================

Neither method looks inside the network; both show it masked copies of the image and
record the class's probability. RISE :cite:p:`petsiuk2018` (:func:`interp.rise`) draws
random coarse masks and averages them, each weighted by the probability its masked
image keeps. KernelSHAP :cite:p:`lundberg2017` (:func:`interp.kernel_shap`) cuts the
image into square superpixels, blacks out random sets of them, and fits the Shapley
values: the share of the probability each superpixel brings, averaged over every
order in which the superpixels could be added. The page shows both on three test
images and measures how many samples each needs.
"""

# %%
# The maps
# --------
# Settings: RISE with 4,000 masks on a 7 x 7 grid (each cell kept with probability
# 0.5); KernelSHAP on 4 x 4 superpixels of 7 x 7 pixels with 512 sampled coalitions,
# and on 7 x 7 superpixels of 4 x 4 pixels with 2,048. RISE is non-negative (white 0
# to red); it is shown again minus its mean over the pixels, signed (red above the
# mean, blue below). KernelSHAP is signed (red raises the probability, blue lowers it).
# Each map's scale is written under it.
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
_, (x_test, y_test) = interp.load_fashion_mnist()
names = ("Sneaker", "T-shirt/top", "Ankle boot")
images = x_test[[int(interp.images_of(y_test, name)[0]) for name in names]]
target = model.predict(images, verbose=0).argmax(axis=1)
rise = interp.rise(model, images, n_masks=4000)


def phi(values, grid):
    """The superpixels' values: every pixel of a superpixel holds its value."""
    return values[:, ::28 // grid, ::28 // grid]


shap = {grid: interp.kernel_shap(model, images, grid=grid, n_samples=n)
        for grid, n in ((4, 512), (7, 2048))}

fig, axes = plt.subplots(len(names), 5, figsize=(8, 7.4), layout="constrained")
for row, name in enumerate(names):
    low, high = rise[row].min(), rise[row].max()
    maps = {f"RISE\n{low:.2f} to {high:.2f}": rise[row],
            "RISE minus\nits mean": rise[row] - rise[row].mean()}
    for grid, values in shap.items():
        maps[f"KernelSHAP {grid} x {grid}\nsum of φ {phi(values, grid)[row].sum():.3f}"] = \
            values[row]
    interp.plot_attributions(images[row], maps, signed={next(iter(maps)): False},
                             axes=axes[row], title=name, colorbar=False)
fig.suptitle("RISE and KernelSHAP of the predicted class's probability", fontsize=11)

# %%
# The RISE map is a mean probability: for each pixel, about the mean probability of
# the class over the masks that keep it. Every mask keeps about half the image, so
# every pixel's mean is far from 0 and the map varies over a narrow band (the titles;
# the printed width). KernelSHAP's values add up, exactly, to the probability of the image minus
# that of the all-black image (every superpixel out): the efficiency of Shapley values.
probability = model.predict(images, verbose=0)[np.arange(3), target]
black = model.predict(np.zeros_like(images), verbose=0)[np.arange(3), target]
for row, name in enumerate(names):
    low, high = rise[row].min(), rise[row].max()
    print(f"{name:<12} RISE from {low:.3f} to {high:.3f} ({high - low:.3f} wide); "
          f"P(image) - P(black) = {probability[row] - black[row]:.3f}")
    print(" " * 13 + ", ".join(
        f"{grid} x {grid}: sum of φ = {phi(v, grid)[row].sum():.3f}"
        for grid, v in shap.items()))
gap = max(np.abs(phi(v, grid).sum(axis=(1, 2)) - (probability - black)).max()
          for grid, v in shap.items())
print(f"largest |sum of φ - (P(image) - P(black))|: {gap:.1e}")

# %%
# How many samples?
# -----------------
# With 4 x 4 superpixels the exact Shapley values can be had: all 65,534 coalitions
# (other than none and all). A sampled estimate is compared with them
# by the rank correlation of the 16 values (:func:`interp.rank_correlation`). RISE has
# no exact answer; its maps from two sets of masks (seeds 0 and 1) are compared
# instead. Means over the three images:
exact = phi(interp.kernel_shap(model, images, n_samples=65534), 4)
budgets = (128, 256, 512, 1024, 2048, 4096)
agreement = {"RISE, seed 0 vs seed 1": [], "KernelSHAP 4 x 4 vs exact": []}
for n in budgets:
    pair = [interp.rise(model, images, n_masks=n, seed=s) for s in (0, 1)]
    agreement["RISE, seed 0 vs seed 1"].append(interp.rank_correlation(*pair).mean())
    sampled = phi(interp.kernel_shap(model, images, n_samples=n), 4)
    agreement["KernelSHAP 4 x 4 vs exact"].append(
        interp.rank_correlation(sampled, exact).mean())
print(f"{'samples':<26}" + "".join(f"{n:>6}" for n in budgets))
for label, values in agreement.items():
    print(f"{label:<26}" + "".join(f"{v:>6.2f}" for v in values))

fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
for i, (label, values) in enumerate(agreement.items()):
    ax.plot(budgets, values, "o-", color=f"C{i}", label=label)
ax.set_xscale("log", base=2)
ax.set_xticks(budgets, [str(n) for n in budgets])
ax.set_ylim(0, 1)
ax.set_xlabel("masks (RISE) or coalitions (KernelSHAP) per image")
ax.set_ylabel("mean rank correlation")
ax.set_title(f"At {budgets[-1]} samples: RISE seeds agree to "
             f"{agreement['RISE, seed 0 vs seed 1'][-1]:.2f}, KernelSHAP matches the "
             f"exact values to {agreement['KernelSHAP 4 x 4 vs exact'][-1]:.2f}",
             fontsize=10)
ax.legend()

plt.show()  # shows the figures when run as a script

# %%
# The two agreements are not the same yardstick: KernelSHAP's is with the exact answer
# and covers 16 values; RISE's is between two estimates and covers 784 pixels. Each
# says how many samples that method needs on this network for a stable map.
#
# What to try next
# ----------------
# :doc:`35_more_measures` scores these maps and the others with five more measures.

# sphinx_gallery_thumbnail_number = 1
