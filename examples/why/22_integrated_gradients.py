"""
Integrated gradients: attributions that add up
===============================================

:func:`interp.integrated_gradients` averages the gradient along the straight path from a
baseline (a black image) to the image and multiplies it by each pixel's change. The
attributions then add up to the change of the class logit between baseline and image --
up to a *gap* that should shrink, overall, as the path is sampled more finely.
"""

# %%
# The maps
# --------
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
_, (x_test, y_test) = interp.load_fashion_mnist()
names = ("Sneaker", "T-shirt/top")
images = x_test[[int(interp.images_of(y_test, name)[0]) for name in names]]

attributions, gaps = interp.integrated_gradients(model, images, steps=50)
fig, axes = plt.subplots(1, 4, figsize=(10, 2.8), layout="constrained")
for row, name in enumerate(names):
    interp.plot_attributions(images[row], {"integrated gradients": attributions[row]},
                             axes=axes[2 * row:2 * row + 2], title=name)
for row, name in enumerate(names):
    total = attributions[row].sum()
    print(f"{name}: attributions sum to {total:+.3f}; gap {gaps[row]:.4f} "
          f"({gaps[row] / abs(total):.2%} of the sum); mass on object "
          f"{interp.mass_on_object(attributions[row], images[row]):.0%}")

# %%
# Completeness, step by step
# --------------------------
# The gap against the number of path points, for the same two images. A ReLU network is
# piecewise linear, so the sampled path can straddle a kink more or less luckily: the
# gap need not fall at every doubling, as the printout shows.
steps_tried = [4, 8, 16, 32, 64, 128]
gap_table = np.array([interp.integrated_gradients(model, images, steps=s)[1]
                      for s in steps_tried])
for s, row in zip(steps_tried, gap_table, strict=True):
    print(f"steps {s:>4}: gaps " + ", ".join(f"{g:.4f}" for g in row))
shrinking = bool(np.all(gap_table[-1] < gap_table[0]))
monotone = bool(np.all(np.diff(gap_table, axis=0) <= 0))
print(f"gap at {steps_tried[-1]} steps below the gap at {steps_tried[0]} steps for both: "
      f"{shrinking}; shrinking at every doubling: {monotone}")

fig, ax = plt.subplots(figsize=(5, 3.2), layout="constrained")
for row, name in enumerate(names):
    ax.loglog(steps_tried, gap_table[:, row], "o-", label=name)
ax.set_xlabel("steps along the path")
ax.set_ylabel("completeness gap (logit units)")
ax.legend()

plt.show()  # shows the figures when run as a script

# %%
# What to try next
# ----------------
# The gradient methods work on pixels. :doc:`23_grad_cam` works on a convolution
# layer's maps instead.

# sphinx_gallery_thumbnail_number = 1
