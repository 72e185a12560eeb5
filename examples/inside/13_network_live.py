"""
The network, live
=================

The course's trained network runs here, in your browser: pick a test image, draw one
with a mouse or a finger, or open a PNG or JPEG, and every layer's maps, the class
probabilities and the saliency of the predicted class follow as you draw. Hover a map
for the arithmetic behind a pixel, edit a first-layer kernel, or click a suggestion at
the bottom of the view: each was measured when this page was built (see below).
"""

# %%
import textwrap
import time

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

import interp

model = interp.trained_model()
_, (x_test, y_test) = interp.load_fashion_mnist()
picked = np.array([i for name in interp.CLASS_NAMES for i in interp.images_of(y_test, name)[:3]])
images, labels = x_test[picked, :, :, 0], y_test[picked]
tries = interp.live_suggestions(model, images, labels)
start = time.perf_counter()
view = interp.export_live(model, images, labels, interp.CLASS_NAMES, suggestions=tries,
                          names=[f"{interp.CLASS_NAMES[y]} (test image {i})"
                                 for y, i in zip(labels, picked, strict=True)])
seconds = time.perf_counter() - start
view

# %%
# Reading the view
# ----------------
# - **Before or after the ReLU.** A switch above each layer's maps. *Before the ReLU*
#   (conv1's default, as on pages 05-08) is the convolution plus the bias: red where
#   positive, blue where negative, white at 0. *After the ReLU* is the layer's output,
#   what the next layer reads: every negative value set to 0. A layer's maps share one
#   colour scale, minus to plus their largest absolute value, shown below them.
# - **The arithmetic under the pointer.** Hover or tap a map's pixel, or focus a map and
#   use the arrow keys. For conv1 the panel lists the nine products patch × kernel (the
#   patch is outlined on the input), their sum, the bias, the value before the ReLU and
#   after it; the row the map shows is marked, with its colour. For conv2, the sum of
#   each of the five input maps' nine products.
# - **Why this class.** The gradient of the predicted class's logit with respect to each
#   pixel, as :func:`interp.saliency` computes it (:doc:`../why/20_saliency`).
# - **Editing.** The nine fields under conv1 are a kernel's weights: change one and the
#   maps and the prediction follow; the button restores the trained weights.
# - **Drawing.** The brush paints in steps of 1/255: the input is an 8-bit image, like
#   the test images. An opened file is converted as ``interp.images.load_images`` does
#   it, with Pillow's integer arithmetic redone in the page (a PNG gives equal pixels).
#
# What to try, measured
# ---------------------
# :func:`interp.live_suggestions` measured each suggestion on this network with Keras
# when the page was built; the site's browser test clicks each one and checks, in the
# page, every number its sentence states. The first is pages 05 and 06's lesson, live. A
# *side* of the bar is its outermost column and the column just outside it; it is
# *emphasized* when its mean before the ReLU is at least +10% of the map's largest
# absolute value, *suppressed* at -10% (the chapter's rule,
# :func:`interp.outline_response`), tried again on bars 2 to 8 pixels wide and on
# strokes of every brush size of the view.


def show(suggestion):
    """Print a suggestion as the view words it, then how it was measured."""
    print(textwrap.fill(suggestion.text, 88, initial_indent="-> ", subsequent_indent="   "))
    print("\n".join("   " + line for line in suggestion.evidence))


show(tries[0])

# %%
# The bar and conv1's five maps, before the ReLU (top) and after it (bottom), on one
# colour scale. The watched map's two sides are outlined.
bar, numbers = tries[0].pixels, tries[0].numbers
k = numbers["kernel"]
conv1 = interp.pick_layer(model, "conv1")
kernels, bias = interp.get_kernels(conv1)
before = interp.convolve(bar[:, :, np.newaxis], kernels) + bias
after = interp.layer_response(conv1, bar[:, :, np.newaxis])
top = float(np.abs(before).max())
fig, axes = plt.subplots(2, 6, figsize=(7.6, 3.3), layout="constrained")
for row, (maps, when) in enumerate(((before, "before"), (after, "after"))):
    axes[row, 0].imshow(bar, cmap="gray", vmin=0, vmax=1)
    axes[row, 0].set_title(f"{when} the ReLU", fontsize=9)
    for j in range(5):
        shown = axes[row, j + 1].imshow(maps[:, :, j], cmap="RdBu_r", vmin=-top, vmax=top)
        axes[row, j + 1].set_title(f"map {j}" + (" (watch)" if j == k else ""), fontsize=9)
    for check in tries[0].checks[:2]:
        (r0, r1), (c0, c1) = check["rows"], check["cols"]
        axes[row, k + 1].add_patch(Rectangle((c0 - 0.5, r0 - 0.5), c1 - c0, r1 - r0,
                                             fill=False, edgecolor="#000000", lw=0.8))
for ax in axes.flat:
    ax.set_axis_off()
fig.colorbar(shown, ax=axes, shrink=0.8, label="conv1, one scale")
fig.suptitle(f"A vertical bar: conv1 map {k} before the ReLU, left side "
             f"{numbers['left']:+.2f}, right side {numbers['right']:+.2f}", fontsize=10)

# %%
# The other five, in the view's order: the sneaker's sole, a kernel set to zero, the
# t-shirt inverted, the arithmetic of one pixel and the saliency's strongest pixel.
for suggestion in tries[1:]:
    show(suggestion)

plt.show()  # shows the figures when run as a script

# %%
# The page's API
# --------------
# The view is also a small JavaScript API, ``window.interpLive``, to script it from the
# browser's console (the site's tests use it):
#
# - ``ready``: a Promise, resolved once the model is decoded and drawn;
# - ``layers()``: ``[{name, type, shape}]`` for every layer, in the order they run;
# - ``run(pixels)``: ``pixels`` is a ``Float32Array`` of 784 values in [0, 1],
#   row-major. It returns ``{outputs, before, probabilities}``: ``outputs[name]``, each
#   layer's output, channels last; ``before[name]``, the values of each layer with an
#   activation of its own (conv1, conv2, dense) before it, the sum plus the bias;
#   ``probabilities``, a ``Float32Array(10)``;
# - ``saliency(pixels)``: a ``Float32Array(784)``, the gradient of the predicted class's
#   logit with respect to each pixel, as :func:`interp.saliency`;
# - ``setKernel(layer, index, weights)`` and ``resetKernels()``: ``weights`` is a
#   ``Float32Array`` of 9, row-major;
# - ``inspect(layer, row, col, kernel)``: for the last input given to ``run``,
#   ``{patch, products, sum, bias, before, value}``: ``sum`` adds the products,
#   ``before`` is sum + bias (the map before the ReLU), ``value`` the layer's output
#   (the map after it);
# - ``timings()``: how long the view's last updates took, in milliseconds.
#
# :func:`interp.export_live` wrote the view: its script computes the forward pass and
# the gradient itself, in plain JavaScript, with nothing loaded from anywhere. What it
# adds to this page, and the time it took:
print(f"export_live: {seconds:.1f} s; KiB: " + ", ".join(
    f"{part} {view.sizes[part] / 1024:.0f}"
    for part in ("runtime", "model", "images", "static", "total")))

# %%
# What to try next
# ----------------
# :doc:`../chapter/05_kernel_responses` explains the edge responses you drew, and
# :doc:`../why/20_saliency` the saliency map beside the image. ``interp report`` embeds
# the same view for your own model (:doc:`../../cli`).

# sphinx_gallery_capture_repr = ('_repr_html_',)
# sphinx_gallery_thumbnail_number = 1
