"""
Integrated gradients: attributions that add up
===============================================

Integrated gradients :cite:p:`sundararajan2017` follow the straight path from a
baseline :math:`x'` (here a black image) to the image :math:`x` and give pixel
:math:`i` its change times the average gradient along the way:

.. math::

   \\mathrm{IG}_i = (x_i - x'_i) \\int_0^1
   \\frac{\\partial F_c}{\\partial x_i}\\bigl(x' + \\alpha (x - x')\\bigr)\\, d\\alpha,
   \\qquad \\sum_i \\mathrm{IG}_i = F_c(x) - F_c(x').

The second equation, *completeness*, holds for the exact integral.
:func:`interp.integrated_gradients` estimates the integral with the midpoint rule on
``steps`` points and returns the *gap* :math:`|\\sum_i \\mathrm{IG}_i - (F_c(x) - F_c(x'))|`
that the estimate leaves. This page measures how the gap behaves as ``steps`` grows.
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
fig, axes = plt.subplots(2, 2, figsize=(6.4, 5.6), layout="constrained")
for row, name in enumerate(names):
    label = f"integrated gradients\nsum {attributions[row].sum():+.2f}, gap {gaps[row]:.2f}"
    interp.plot_attributions(images[row], {label: attributions[row]}, axes=axes[row],
                             title=name)
for row, name in enumerate(names):
    total = attributions[row].sum()
    print(f"{name}: attributions sum to {total:+.3f}; gap {gaps[row]:.4f} "
          f"({gaps[row] / abs(total):.2%} of the sum)")

# %%
# Every black pixel gets exactly zero, since its difference from the black baseline
# is zero: the map can only light up the object. Keep that in mind on
# :doc:`25_attribution_comparison`.
#
# Completeness, step by step
# --------------------------
# The gap against the number of path points, for the first 20 test images, from 2 to
# 1024 points.
steps_tried = 2 ** np.arange(1, 11)
sample = x_test[:20]
table = np.array([interp.integrated_gradients(model, sample, steps=int(s))[1]
                  for s in steps_tried])  # shaped (steps, image)
median = np.median(table, axis=1)
for s, m, worst in zip(steps_tried, median, table.max(axis=1), strict=True):
    print(f"steps {s:>4}: median gap {m:.4f}, largest {worst:.4f}")
raised = np.diff(table, axis=0) > 0
print(f"doublings that raised an image's gap: {raised.sum()} of {raised.size} "
      f"({raised.mean():.0%})")
print(f"every image's gap at {steps_tried[-1]} steps below its gap at {steps_tried[0]}: "
      f"{bool(np.all(table[-1] < table[0]))}")
scaled = table * steps_tried[:, None]
print(f"gap x steps: at most {scaled.max():.0f} over all images and step counts "
      f"({scaled[-1].max():.1f} at {steps_tried[-1]} steps)")

# %%
# A ReLU network is piecewise linear, so along the path the gradient is constant
# between kinks and jumps at each one. The midpoint rule is exact between kinks; its
# error comes from the few intervals that contain a kink, and is at most proportional
# to the interval's width, :math:`1/\text{steps}`. Where the points happen to fall
# decides the rest, which is why a doubling can raise the gap: the printout counts how
# often, and the red triangles show where. The bound, gap :math:`\le C/\text{steps}`
# with :math:`C` set by the kinks of one image's path, is what drives the gap to zero;
# measured, gap × steps stays below the printed maximum while steps grows 512-fold.
fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
ax.plot(steps_tried, table, color="0.75", linewidth=0.8)
ax.plot(steps_tried, median, "o-", color="black", label="median of 20 images")
up, image = np.nonzero(raised)
ax.plot(steps_tried[up + 1], table[up + 1, image], "^", color="C4", markersize=5,
        label="a doubling that raised the gap")
ax.set_xscale("log", base=2)
ax.set_yscale("log")
ax.set_xticks(steps_tried, [str(s) for s in steps_tried])
ax.set_xlabel("steps (points on the path)")
ax.set_ylabel("completeness gap (logit units)")
ax.set_title(f"Median gap {median[0]:.2g} at {steps_tried[0]} steps, {median[-1]:.2g} at "
             f"{steps_tried[-1]}; {raised.mean():.0%} of the doublings raise it")
ax.legend()

plt.show()  # shows the figures when run as a script

# %%
# What to try next
# ----------------
# The gradient methods work on pixels. :doc:`23_grad_cam` works on a convolution
# layer's maps instead.

# sphinx_gallery_thumbnail_number = 1
