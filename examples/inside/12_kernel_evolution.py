"""
How the kernels changed during training
=======================================

:func:`interp.trained_model` records the first layer's kernels four times per epoch
with the :class:`interp.KernelHistory` callback and stores them with the cached model.
This page plays them back, from the seeded random initial weights to the trained
kernels, and measures how much of each trained kernel was already there at the start.
"""

# %%
# The recorded snapshots
# ----------------------
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation

import interp

model = interp.trained_model()
times = model.training_info.kernel_times
snapshots = model.training_info.kernel_snapshots[:, :, :, 0, :]  # (time, 3, 3, kernel)
print(f"{len(times)} snapshots, from epoch {times[0]:.2f} to {times[-1]:.2f}, "
      f"{1 / np.diff(times).mean():.0f} per epoch")
print("last snapshot equals the trained weights:",
      np.array_equal(snapshots[-1], interp.get_kernels(model.layers[0])[0][:, :, 0, :]))

# %%
# Pattern or size?
# ----------------
# A kernel can change its *pattern* (which weights are high, which low) or its *size*:
# the cosine similarity of the zero-mean start and end kernels (1: the same pattern, 0:
# unrelated), and the ratio of their norms. Also: the weights that kept their sign, how
# far the kernel moved for its initial size, and how much of it after a quarter epoch.
n_kernels = snapshots.shape[-1]
print("kernel  pattern kept  size end/start  signs kept  moved  of it after "
      f"{times[1]:.2f} ep")
kept, grew = [], []
for k in range(n_kernels):
    start, end = snapshots[0, :, :, k], snapshots[-1, :, :, k]
    a, b = start - start.mean(), end - end.mean()
    kept.append(np.sum(a * b) / np.linalg.norm(a) / np.linalg.norm(b))
    grew.append(np.linalg.norm(end) / np.linalg.norm(start))
    moved = [np.linalg.norm(s[:, :, k] - start) for s in snapshots]
    print(f"{k:>6} {kept[k]:>13.2f} {grew[k]:>15.2f} "
          f"{np.sum(np.sign(start) == np.sign(end)):>8} of 9 "
          f"{moved[-1] / np.linalg.norm(start):>6.0%} {moved[1] / moved[-1]:>13.0%}")
if min(kept) > 0.9:
    print(f"-> every kernel's pattern was already there at initialization (cosine "
          f"{min(kept):.2f} or more);\n   training mainly made it larger "
          f"({min(grew):.1f} to {max(grew):.1f} times)")
else:
    print(f"-> training changed the pattern of kernels "
          f"{[k for k in range(n_kernels) if kept[k] <= 0.9]} (cosine 0.9 or less)")

# %%
# Closer to a classical filter than chance?
# -----------------------------------------
# :func:`interp.describe_kernel` finds each kernel's closest classical filter (edges,
# spots). Random kernels come close to *some* filter too, so the similarity is judged
# against 10,000 kernels from the layer's own initializer: the *percentile* is the share
# of them the kernel beats, and a kernel is named only above 95%.
initializer = model.layers[0].kernel_initializer
described = [[interp.describe_kernel(snapshots[s, :, :, k], initializer=initializer)
              for k in range(n_kernels)] for s in range(len(times))]
null = described[0][0].null
print(f"random kernels: median {np.median(null):.2f}, 95th percentile "
      f"{np.quantile(null, 0.95):.2f}")
for s in (0, len(times) - 1):
    named = [k for k, d in enumerate(described[s]) if d.matched]
    mean = np.mean([d.percentile for d in described[s]])
    print(f"epoch {times[s]:.2f}: "
          + ", ".join(f"{d.similarity:.2f} ({d.percentile:.0%})" for d in described[s])
          + f"\n  mean percentile {mean:.0%}; named after a filter: {named or 'none'}")

# %%
# The histogram shows the random kernels' best similarities; the marks below it are the
# five kernels at the start (open) and at the end of training (filled).
fig, ax = plt.subplots(figsize=(7.2, 3.0), layout="constrained")
ax.hist(null, bins=60, color="0.75")
ax.axvline(np.quantile(null, 0.95), color="k", linestyle="--", linewidth=1)
ax.text(np.quantile(null, 0.95), ax.get_ylim()[1] * 0.92, "95th percentile ",
        ha="right", fontsize=9)
ax.set_yticks([t for t in ax.get_yticks() if 0 <= t <= ax.get_ylim()[1]])
start = [d.similarity for d in described[0]]
end = [d.similarity for d in described[-1]]
low = -0.06 * ax.get_ylim()[1]
ax.scatter(start, [low] * n_kernels, marker="o", facecolors="none", edgecolors="C3",
           label="start", clip_on=False)
ax.scatter(end, [2 * low] * n_kernels, marker="o", color="C3", label="end", clip_on=False)
ax.set_ylim(3 * low, None)
ax.set_xlabel("cosine similarity with the closest classical filter")
ax.set_ylabel("random kernels")
ax.legend(loc="upper left", fontsize=9)
ax.set_title(f"best similarity to a classical filter: {len(null):,} random kernels (grey),"
             "\nand the five kernels at the start and the end of training", fontsize=10)

# %%
# Small multiples
# ---------------
# Rows: the kernels at the start, after a quarter, half and one epoch, and at the end,
# on one colour scale, titled with the similarity to the closest filter and its
# percentile. Down a column, the red and blue cells stay put and mostly deepen.
rows = [int(np.argmin(np.abs(times - t))) for t in (0.0, 0.25, 0.5, 1.0, times[-1])]
limit = np.abs(snapshots).max()
fig, axes = plt.subplots(len(rows), n_kernels, figsize=(7.2, 8.2), layout="constrained")
for r, snapshot in enumerate(rows):
    for k in range(n_kernels):
        d = described[snapshot][k]
        interp.plot_kernel(snapshots[snapshot, :, :, k], ax=axes[r, k], colorbar=False,
                           annotate=False, vmax=limit)
        heading = f"kernel {k}\n" if r == 0 else ""
        axes[r, k].set_title(f"{heading}{d.similarity:.2f} ({d.percentile:.0%})",
                             fontsize=9)
    axes[r, 0].set_ylabel(f"epoch {times[snapshot]:.2f}", fontsize=10)
fig.colorbar(axes[0, 0].images[0], ax=axes, shrink=0.5, label="weight")

# %%
# The animation
# -------------
# Every snapshot in turn (rendered as HTML and JavaScript: no video encoder needed).
fig, axes = plt.subplots(1, n_kernels, figsize=(7.2, 1.9))
fig.subplots_adjust(left=0.02, right=0.82, bottom=0.04, top=0.78, wspace=0.08)
images = [axes[k].imshow(snapshots[0, :, :, k], cmap="RdBu_r", vmin=-limit, vmax=limit)
          for k in range(n_kernels)]
for k, ax in enumerate(axes):
    ax.set_title(f"kernel {k}", fontsize=10)
    ax.set_axis_off()
fig.colorbar(images[0], cax=fig.add_axes((0.85, 0.08, 0.015, 0.66)), label="weight")
label = fig.suptitle(f"epoch {times[0]:.2f}")  # the first frame's; part of its alt text


def update(frame):
    for k, image in enumerate(images):
        image.set_data(snapshots[frame, :, :, k])
    label.set_text(f"epoch {times[frame]:.2f}")
    return [*images, label]


animation = FuncAnimation(fig, update, frames=len(times), interval=400)

plt.show()  # shows the figures when run as a script

# %%
# What to try next
# ----------------
# Train with another seed (``interp.trained_model(seed=1)``): do the same kinds of
# kernels appear? Then turn to why the network picks a class: :doc:`../why/20_saliency`.

# sphinx_gallery_thumbnail_number = 2
