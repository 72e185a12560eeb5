"""
Dissecting conv2 over all 70,000 images
=======================================

Page :doc:`11_top_activating` searched the 10,000 test images for each kernel's nine
favourites. :func:`interp.dissect` takes every image Fashion-MNIST has, the 60,000
training and the 10,000 test images, through the course network in one streamed pass,
and keeps for each kernel (unit) of ``conv2`` its top 700 images -- exactly the top 1% by
peak -- with their peak values and positions, its mean and its quantiles. From those we
read what each unit responds to, how strongly, and which classes own its top 1%.
"""

# %%
# One pass over 70,000 images, kept in the cache
# ----------------------------------------------
# The pass takes tens of seconds on a laptop's CPU (the line below says how long it took
# here). With ``checkpoint=``, dissect saves its state as it goes and at the end; run
# again with the same model, images and options, it reads the finished result instead
# (a checkpoint of anything else is refused, and then this page starts afresh). This
# page keeps its checkpoint in interp's cache folder, so a rebuild of the site takes
# seconds.
import matplotlib.pyplot as plt
import numpy as np

import interp
from interp.dissection import CheckpointError
from interp.models import default_cache_dir

model = interp.trained_model()
(x_train, y_train), (x_test, y_test) = interp.load_fashion_mnist()
x, y = np.concatenate([x_train, x_test]), np.concatenate([y_train, y_test])
k = len(x) // 100  # 700 images: the top 1% of the 70,000, by each unit's peak
levels = (0.5, 0.9, 0.99, 0.995)
checkpoint = default_cache_dir() / "page14-dissect-conv2.npz"
checkpoint.parent.mkdir(parents=True, exist_ok=True)


def run():
    return interp.dissect(model, x, "conv2", k=k, quantiles=levels, batch_size=1024,
                          checkpoint=checkpoint, progress=False)


try:
    found = run()
except CheckpointError:  # written for another model or other options: start again
    checkpoint.unlink()
    found = run()
conv2 = found["conv2"]
units = len(conv2.mean)
how = (f"all {found.resumed:,} read from the checkpoint" if found.resumed else
       f"the pass took {found.seconds:.0f} s")
print(f"{found.images:,} images, {units} units, top {k} per unit; {how}")

# %%
# What each unit responds to
# --------------------------
# The patch of the image each unit's peak sees (5 x 5 pixels for ``conv2``), for its
# eight strongest images out of all 70,000.
field = interp.receptive_field(model, "conv2")
top8 = interp.TopActivations(conv2.indices[:, :8], conv2.values[:, :8],
                             conv2.positions[:, :8])
patches = interp.crop_patches(x, top8, field)
fig = interp.plot_patches(patches, title="conv2: top-8 patches of 70,000 images",
                          row_labels=[f"unit {u}" for u in range(units)])

# %%
# How strongly: each unit's quantiles
# -----------------------------------
# Over every position of every image (70,000 images x 24 x 24 positions): the median,
# the 0.9, 0.99 and 0.995 quantiles, and the maximum. The quantiles come from a
# histogram, within 0.78% of the exact values (:func:`interp.dissect`'s Notes). A unit
# whose median is 0 is silent (its ReLU at 0) on at least half of all positions.
positions = int(np.prod(interp.pick_layer(model, "conv2").output.shape[1:3]))
fig, ax = plt.subplots(figsize=(7, 3.4), layout="constrained")
rows = np.arange(units)
for column, level in enumerate(levels):
    ax.plot(rows, conv2.quantiles[:, column], "o", label=f"q{level:g}")
ax.plot(rows, conv2.max, "k_", markersize=12, label="max")
ax.set(xticks=rows, xlabel="conv2 unit", ylabel="activation",
       title=f"conv2: quantiles over {found.images:,} images x {positions} positions")
ax.set_ylim(top=1.3 * conv2.max.max())  # room for the legend
ax.legend(ncols=5, fontsize="small", loc="upper left")
silent = [u for u in range(units) if conv2.quantiles[u, 0] == 0]
print(f"{len(silent)} of {units} units have median 0 (silent on half the positions)")
print("  units", ", ".join(map(str, silent)) or "none")
for u in range(units):
    q = ", ".join(f"{value:.2f}" for value in conv2.quantiles[u])
    print(f"unit {u:>2}: quantiles {q}; max {conv2.max[u]:.2f}")

# %%
# Which classes own each unit's top 1%
# ------------------------------------
# The labels of a unit's 700 top images give its class make-up. Each class is a tenth
# of the 70,000 images, so a unit blind to class would give each about 10%; the three
# shoe classes (Sandal, Sneaker, Ankle boot) together 30%. The rule here: a unit is a
# **shoe detector** when at least two thirds of its top 1% are shoes, more than twice
# their share of the images.
names = list(interp.CLASS_NAMES)
counts = np.stack([np.bincount(y[conv2.indices[u]], minlength=10) for u in range(units)])
share = counts / k
shoes = share[:, [names.index(c) for c in ("Sandal", "Sneaker", "Ankle boot")]].sum(1)
detectors = [u for u in range(units) if shoes[u] >= 2 / 3]
fig, ax = plt.subplots(figsize=(7, 6.2), layout="constrained")
image = ax.imshow(share * 100, cmap="Greens", vmin=0, vmax=100, aspect="auto")
for u in range(units):
    for c in range(10):
        ax.text(c, u, f"{share[u, c]:.0%}".rstrip("%"), ha="center", va="center",
                fontsize=7, color="white" if share[u, c] > 0.6 else "black")
ax.set_xticks(range(10), names, rotation=40, ha="right")
ax.set_yticks(range(units), [f"unit {u}: shoes {shoes[u]:.0%}"
                             + (" *" if u in detectors else "") for u in range(units)])
ax.set_title("Class make-up (%) of each conv2 unit's top 1% (700 of 70,000);\n"
             "* shoe detector: at least 2/3 Sandal + Sneaker + Ankle boot")
fig.colorbar(image, ax=ax, label="% of the unit's top 700 images", shrink=0.8)
for u in np.argsort(-shoes):
    top3 = np.argsort(-share[u])[:3]
    make_up = ", ".join(f"{share[u, c]:.0%} {names[c]}" for c in top3)
    print(f"unit {u:>2}: shoes {shoes[u]:>4.0%}; {make_up}")
print("shoe detectors (at least 2/3 shoes): units",
      ", ".join(map(str, detectors)) or "none")

plt.show()  # shows the figures when run as a script

# %%
# What to try next
# ----------------
# ``interp dissect`` does the same on your own model and images from the command line,
# resumable, and on several devices (:doc:`../../cli`).

# sphinx_gallery_thumbnail_number = 3
