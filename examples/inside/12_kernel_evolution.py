"""
How the kernels took shape during training
==========================================

:func:`interp.trained_model` records the first layer's kernels four times per epoch
with the :class:`interp.KernelHistory` callback and stores them with the cached model.
This page plays them back: from random initial weights to the trained kernels.
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
snapshots = model.training_info.kernel_snapshots[:, :, :, 0, :]  # (snapshot, 3, 3, kernel)
print(f"{len(times)} snapshots at epochs {np.round(times, 2).tolist()}")
print("last snapshot equals the trained weights:",
      np.array_equal(snapshots[-1], interp.get_kernels(model.layers[0])[0][:, :, 0, :]))

# %%
# How far each kernel moved
# -------------------------
# The distance from the initial kernel, relative to the initial kernel's size, and how
# much of the final distance was already covered after a quarter of the first epoch.
n_kernels = snapshots.shape[-1]
for k in range(n_kernels):
    start = snapshots[0, :, :, k]
    moved = [np.linalg.norm(s[:, :, k] - start) for s in snapshots]
    print(f"kernel {k}: moved {moved[-1] / np.linalg.norm(start):.0%} of its initial size; "
          f"{moved[1] / moved[-1]:.0%} of that after {times[1]:.2f} epochs")

# %%
# Small multiples
# ---------------
# Rows: the kernels at the start, after a quarter, half and one epoch, and at the end.
# Each title gives :func:`interp.describe_kernel`'s closest classical filter and its
# similarity (a match needs 0.8).
rows = [int(np.argmin(np.abs(times - t))) for t in (0.0, 0.25, 0.5, 1.0, times[-1])]
limit = np.abs(snapshots).max()
fig, axes = plt.subplots(len(rows), n_kernels, figsize=(9, 9.5), layout="constrained")
for r, snapshot in enumerate(rows):
    for k in range(n_kernels):
        description = interp.describe_kernel(snapshots[snapshot, :, :, k])
        interp.plot_kernel(snapshots[snapshot, :, :, k], ax=axes[r, k], colorbar=False,
                           annotate=False, vmax=limit)
        short = description.best.split(":")[0]
        axes[r, k].set_title(f"{short} {description.score:.2f}", fontsize=8)
    axes[r, 0].set_ylabel(f"epoch {times[snapshot]:.2f}")

for snapshot in rows:
    verdicts = [interp.describe_kernel(snapshots[snapshot, :, :, k]) for k in range(n_kernels)]
    named = sum(v.matched for v in verdicts)
    print(f"epoch {times[snapshot]:.2f}: {named} of {n_kernels} kernels match a classical "
          f"filter; best similarity {max(v.score for v in verdicts):.2f}")

# %%
# The animation
# -------------
# Every snapshot in turn (rendered as HTML and JavaScript, so no video encoder is
# needed).
fig, axes = plt.subplots(1, n_kernels, figsize=(7.5, 1.9))
fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.78, wspace=0.08)
images = [axes[k].imshow(snapshots[0, :, :, k], cmap="RdBu_r", vmin=-limit, vmax=limit)
          for k in range(n_kernels)]
for k, ax in enumerate(axes):
    ax.set_title(f"kernel {k}")
    ax.set_axis_off()
label = fig.suptitle("")


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
# Train with another seed -- ``interp.trained_model(seed=1)`` -- and compare: do the
# same kinds of kernels appear? Then turn to why the network picks a class:
# :doc:`../why/20_saliency`.

# sphinx_gallery_thumbnail_number = 1
