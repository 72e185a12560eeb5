"""
The network, live
=================

Every page so far computed its figures once, when the site was built. Here the trained
network runs in your browser: pick a test image, draw one, or open your own PNG or JPEG,
and every layer's maps, the class probabilities and the saliency of the predicted class
follow the pointer. Hover a pixel of a map to see the arithmetic that made it, edit a
first-layer kernel, and try the suggestions at the end of the view: each loads the state
it describes, and each sentence is computed below in Python when the page is built.
:ref:`Go straight to the live view <network-live-view>`.
"""

# %%
# Thirty test images to pick
# --------------------------
# The first three test images of every class are the ones to pick from; the page holds
# them as 8-bit pixels, exactly as the data set stores them.
import textwrap
import time

import keras
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
_, (x_test, y_test) = interp.load_fashion_mnist()
picked = np.array([i for name in interp.CLASS_NAMES for i in interp.images_of(y_test, name)[:3]])
images, labels = x_test[picked, :, :, 0], y_test[picked]
layer = interp.pick_layer(model, "conv1")
kernels, bias = interp.get_kernels(layer)
probabilities = keras.ops.convert_to_numpy(model(images[..., np.newaxis]))
right = int((probabilities.argmax(axis=1) == labels).sum())
print(f"{len(images)} images; the network classifies {right} of them correctly")


def conv1_maps(image):
    """conv1's five maps for one image: what the network computes there (page 07)."""
    return interp.layer_response(layer, image[:, :, np.newaxis])


def predict(image, net=model):
    """The probabilities for one image (a direct call: quicker than predict for one)."""
    return keras.ops.convert_to_numpy(net(image[np.newaxis, :, :, np.newaxis]))[0]


suggestions = []


def say(text):
    """Print a suggestion as the page words it, wrapped to the page's width."""
    print(textwrap.fill(text, 88, initial_indent="-> ", subsequent_indent="   "))

# %%
# A vertical bar
# --------------
# A white bar four pixels wide on black. A conv1 map pixel at column ``j`` sees input
# columns ``j`` to ``j + 2``, so map columns 10-11 straddle the bar's left edge and 14-15
# its right edge (rows 4-21 lie along the bar). The ReLU leaves no negative values: a
# kernel that answers one edge and not the other shows a red line on one side only. The
# rule: one edge's mean at least 25% of the layer's largest value, the other at most a
# tenth of that mean.
bar = np.zeros((28, 28), np.float32)
bar[4:24, 12:16] = 1.0
maps = conv1_maps(bar)
left = maps[4:22, 10:12].mean(axis=(0, 1))
right_edge = maps[4:22, 14:16].mean(axis=(0, 1))
for k in range(5):
    print(f"kernel {k}: left edge {left[k]:.3f}, right edge {right_edge[k]:.3f}")
one_sided = [k for k in range(5)
             if max(left[k], right_edge[k]) >= 0.25 * maps.max()
             and min(left[k], right_edge[k]) <= 0.1 * max(left[k], right_edge[k])]
if one_sided:
    k_bar = max(one_sided, key=lambda k: abs(left[k] - right_edge[k]))
    lit, dark = ("left", "right") if left[k_bar] > right_edge[k_bar] else ("right", "left")
    means = {"left": float(left[k_bar]), "right": float(right_edge[k_bar])}
    cols = {"left": [10, 12], "right": [14, 16]}
    text = (f"Draw a vertical bar and watch conv1 map {k_bar}: it lights up along the bar's "
            f"{lit} edge (mean {means[lit]:.2f}) and stays dark along its {dark} edge "
            f"(mean {means[dark]:.2f}).")
    checks = [{"kind": "region", "layer": "conv1", "channel": k_bar, "rows": [4, 22],
               "cols": cols[lit], "op": ">", "value": 0.5 * means[lit]},
              {"kind": "region", "layer": "conv1", "channel": k_bar, "rows": [4, 22],
               "cols": cols[dark], "op": "<", "value": 0.2 * means[lit]}]
else:
    k_bar = int(np.argmax(np.abs(left - right_edge)))
    text = (f"Draw a vertical bar and compare the five conv1 maps along its two edges; "
            f"map {k_bar} differs most between them.")
    checks = []
say(text)
suggestions.append({"text": text, "pixels": bar, "checks": checks,
                    "watch": {"layer": "conv1", "channel": k_bar}})

# %%
# One colour scale for the layer, centred at zero, as the live view draws it: the
# layer's largest value is full red.
fig, axes = plt.subplots(1, 6, figsize=(7.2, 1.7), layout="constrained")
axes[0].imshow(bar, cmap="gray", vmin=0, vmax=1)
axes[0].set_title("the bar", fontsize=9)
top = float(np.abs(maps).max())
for k, ax in enumerate(axes[1:]):
    shown = ax.imshow(maps[:, :, k], cmap="RdBu_r", vmin=-top, vmax=top)
    ax.set_title(f"conv1 · {k}" + (" (watch)" if k == k_bar else ""), fontsize=9)
for ax in axes:
    ax.set_axis_off()
fig.colorbar(shown, ax=axes, shrink=0.8, label="conv1 output")

# %%
# A sneaker without its sole
# --------------------------
# The first sneaker's sole is its bottom rows. Erase the lowest rows that hold any of
# the object (brighter than 0.05), one more row at a time, until another class gains at
# least 10 percentage points (or ten rows are gone).
sneaker = x_test[int(interp.images_of(y_test, "Sneaker")[0]), :, :, 0]
rows = np.where(sneaker.max(axis=1) > 0.05)[0]
before = predict(sneaker)
for n in range(1, 11):
    sole = slice(int(rows[-1]) - n + 1, int(rows[-1]) + 1)
    no_sole = sneaker.copy()
    no_sole[sole] = 0.0
    after = predict(no_sole)
    gains = after - before
    gains[int(before.argmax())] = -1.0
    risen = int(np.argmax(gains))
    if gains[risen] >= 0.10:
        break
print(f"erased rows {sole.start}-{sole.stop - 1} ({n} rows)")
for c in np.argsort(-np.maximum(before, after))[:4]:
    print(f"  {interp.CLASS_NAMES[c]:<12} {before[c]:7.1%} -> {after[c]:7.1%}")
gain = float(after[risen] - before[risen])
name = interp.CLASS_NAMES[risen]
if gain >= 0.10:
    text = (f"Erase the sneaker's sole and lower edge (its bottom {n} rows, "
            f"{sole.start}-{sole.stop - 1}) and watch {name}'s probability: "
            f"{before[risen]:.1%} before, {after[risen]:.1%} after.")
    checks = [{"kind": "probability", "class": risen, "op": ">",
               "value": float(before[risen] + 0.5 * gain)}]
else:
    text = ("Erase the sneaker's sole and watch the probabilities: no other class gains "
            "ten percentage points.")
    checks = []
say(text)
suggestions.append({"text": text, "pixels": no_sole, "checks": checks})

fig, axes = plt.subplots(1, 3, figsize=(7.2, 2.4), layout="constrained",
                         width_ratios=[1, 1, 2.2])
for ax, image, title in ((axes[0], sneaker, "sneaker"), (axes[1], no_sole, "sole erased")):
    ax.imshow(image, cmap="gray", vmin=0, vmax=1)
    ax.set_title(title, fontsize=9)
    ax.set_axis_off()
place = np.arange(10)
axes[2].barh(place - 0.2, before, height=0.4, color="#0072B2", label="with sole")
axes[2].barh(place + 0.2, after, height=0.4, color="#D55E00", label="without")
axes[2].set_yticks(place, interp.CLASS_NAMES, fontsize=8)
axes[2].invert_yaxis()
axes[2].set_xlabel("probability")
axes[2].legend(fontsize=8, loc="lower right")

# %%
# A kernel set to zero
# --------------------
# With all nine weights of a conv1 kernel at zero, its map is its bias through the ReLU
# everywhere. Which kernel matters most? For each, the picked images whose prediction
# changes (on a copy of the network: the trained model is never changed).
edited = keras.models.clone_model(model)
changed = {}
for k in range(5):
    edited.set_weights(model.get_weights())
    weights = kernels.copy()
    weights[:, :, :, k] = 0.0
    edited.get_layer("conv1").set_weights([weights, bias])
    now = keras.ops.convert_to_numpy(edited(images[..., np.newaxis]))
    changed[k] = np.flatnonzero(now.argmax(axis=1) != probabilities.argmax(axis=1))
    print(f"kernel {k} at zero: {len(changed[k])} of {len(images)} predictions change")
k_zero = max(range(5), key=lambda k: len(changed[k]))
flat = max(float(bias[k_zero]), 0.0)
checks = [{"kind": "region", "layer": "conv1", "channel": k_zero, "rows": [0, 26],
           "cols": [0, 26], "op": "==", "value": flat}]
if len(changed[k_zero]):
    target = int(changed[k_zero][0])
    edited.set_weights(model.get_weights())
    weights = kernels.copy()
    weights[:, :, :, k_zero] = 0.0
    edited.get_layer("conv1").set_weights([weights, bias])
    was = int(probabilities[target].argmax())
    now = predict(images[target], edited)
    text = (f"Set kernel {k_zero}'s nine weights to zero: its map turns flat (its bias "
            f"through the ReLU, {flat:.3f}), and this {interp.CLASS_NAMES[labels[target]]} "
            f"is no longer called {interp.CLASS_NAMES[was]} but "
            f"{interp.CLASS_NAMES[int(now.argmax())]} ({now.max():.0%}).")
    checks.append({"kind": "predicted", "class": int(now.argmax())})
else:
    target = 0
    text = (f"Set kernel {k_zero}'s nine weights to zero: its map turns flat (its bias "
            f"through the ReLU, {flat:.3f}). Does the prediction move?")
say(text)
suggestions.append({"text": text, "pixels": images[target], "checks": checks,
                    "kernel": {"layer": "conv1", "index": k_zero, "weights": np.zeros(9)},
                    "watch": {"layer": "conv1", "channel": k_zero}})

# %%
# Black and white swapped
# -----------------------
# Every training image is a light object on black. What does the network make of a
# t-shirt drawn dark on white?
shirt = images[0]
inverted = 1.0 - shirt
shirt_p, inverted_p = predict(shirt), predict(inverted)
guess = int(inverted_p.argmax())
print(f"t-shirt: {interp.CLASS_NAMES[int(shirt_p.argmax())]} {shirt_p.max():.1%}; "
      f"inverted: {interp.CLASS_NAMES[guess]} {inverted_p.max():.1%}")
text = (f"Invert the t-shirt: the network, which has only seen light objects on black, "
        f"calls it {interp.CLASS_NAMES[guess]} ({inverted_p.max():.0%}).")
say(text)
suggestions.append({"text": text, "pixels": inverted,
                    "checks": [{"kind": "predicted", "class": guess}]})

# %%
# The arithmetic of one pixel
# ---------------------------
# Where does the bar's kernel answer the sneaker most strongly? Its brightest map pixel,
# computed again by hand as page 07 does: the 3 × 3 patch times the kernel, summed, plus
# the bias, through the ReLU.
sneaker_maps = conv1_maps(sneaker)
row, col = np.unravel_index(int(np.argmax(sneaker_maps[:, :, k_bar])), (26, 26))
patch = sneaker[row:row + 3, col:col + 3]
products = patch * kernels[:, :, 0, k_bar]
total = float(products.sum())
value = max(total + float(bias[k_bar]), 0.0)
print(f"conv1 map {k_bar}, row {row}, column {col}:")
print(np.array2string(products, precision=3, suppress_small=True))
print(f"sum {total:+.3f} + bias {bias[k_bar]:+.3f} -> ReLU {value:.3f} "
      f"(interp.layer_response: {sneaker_maps[row, col, k_bar]:.3f})")
text = (f"Pick the sneaker and hover conv1 map {k_bar} at row {row}, column {col}, its "
        f"brightest pixel: nine products add up to {total:.2f}, plus the bias "
        f"{bias[k_bar]:+.2f}, gives {value:.2f}.")
say(text)
suggestions.append({"text": text, "pixels": sneaker,
                    "inspect": {"layer": "conv1", "row": int(row), "col": int(col),
                                "channel": k_bar},
                    "checks": [{"kind": "inspect", "layer": "conv1", "row": int(row),
                                "col": int(col), "channel": k_bar, "value": value,
                                "sum": total}]})

# %%
# Where the saliency is strongest
# -------------------------------
# For the first trouser, the pixel whose change would move the Trouser logit most.
trouser = images[3]
sal = interp.saliency(model, trouser[np.newaxis, :, :, np.newaxis])[0]
r, c = np.unravel_index(int(np.argmax(np.abs(sal))), sal.shape)
sign = "red (raises" if sal[r, c] > 0 else "blue (lowers"
print(f"largest |saliency| {abs(sal[r, c]):.3f} at row {r}, column {c}, sign "
      f"{np.sign(sal[r, c]):+.0f}")
text = (f"Pick the first trouser and look at the saliency: its strongest pixel, at row "
        f"{r}, column {c}, is {sign} the Trouser logit). Draw there and watch it change.")
say(text)
suggestions.append({"text": text, "pixels": trouser,
                    "checks": [{"kind": "saliency_peak", "row": int(r), "col": int(c),
                                "sign": int(np.sign(sal[r, c]))}]})

plt.show()  # shows the figures when run as a script

# %%
# .. _network-live-view:
#
# The live view
# -------------
# :func:`interp.export_live` writes the network, the thirty images and these
# suggestions into the view below (run as a script, ``out_dir`` saves it as a page to
# open in a browser; in a notebook it shows in place). Its script computes the forward
# pass and the gradient of the predicted class's logit itself, in plain JavaScript: no
# library, nothing loaded from anywhere.
start = time.perf_counter()
view = interp.export_live(model, images, labels, interp.CLASS_NAMES,
                          names=[f"{interp.CLASS_NAMES[y]} (test image {i})"
                                 for y, i in zip(labels, picked, strict=True)],
                          suggestions=suggestions)
print(f"exported in {time.perf_counter() - start:.1f} s; what the view adds to the page:")
for part in ("runtime", "model", "images", "static", "total"):
    print(f"{part:<8} {view.sizes[part] / 1024:7.1f} KiB")
view

# %%
# Reading the view
# ----------------
# - **Maps**: each layer's maps share one colour scale, from blue (minus) through white
#   (zero) to red (plus) the layer's largest absolute value for the current input. After
#   the ReLU nothing is negative, so the maps are white to red; the saliency map, which
#   is signed, uses both colours.
# - **The arithmetic**: for conv1 the panel lists the nine products patch × kernel (the
#   patch is outlined on the input), their sum, the bias and the ReLU; for conv2 the sum
#   of each of the five input maps' nine products.
# - **Drawing**: the brush paints white (or black) in steps of 1/255, so the input is
#   always an 8-bit image, as the test images are. An opened image is converted as
#   ``interp.images.load_images`` converts it: Pillow's grayscale and bilinear
#   resizing, redone in the page with Pillow's integer arithmetic (PNG files give the
#   same pixels as in Python; a JPEG may differ where browsers decode it differently).
#
# The page's API
# --------------
# The view is also a small JavaScript API, ``window.interpLive``, for anyone who wants
# to script it from the browser's console (the site's tests use it):
#
# - ``ready``: a Promise, resolved once the model is decoded and drawn;
# - ``layers()``: ``[{name, type, shape}]`` for every layer, in the order they run;
# - ``run(pixels)``: ``pixels`` is a ``Float32Array`` of 784 values in [0, 1], row-major
#   (height × width × channels for other models); returns ``{outputs: {name:
#   Float32Array}, probabilities: Float32Array(10)}``, outputs channels last;
# - ``saliency(pixels)``: the gradient of the predicted class's logit with respect to
#   each input pixel, a ``Float32Array(784)`` (summed over channels), as
#   :func:`interp.saliency` computes it;
# - ``setKernel(layer, index, weights)`` and ``resetKernels()``: ``weights`` is a
#   ``Float32Array`` of 9 (rows × columns × input channels, row-major);
# - ``inspect(layer, row, col, kernel)``: for the last input given to ``run``,
#   ``{patch, products, sum, bias, value}``; ``sum`` adds the products without the bias,
#   ``value`` is what the map shows;
# - ``timings()``: how long the view's last updates took, in milliseconds.
#
# What to try next
# ----------------
# :doc:`../chapter/05_kernel_responses` explains the edge responses you drew, and
# :doc:`../why/20_saliency` the saliency map beside the image.

# sphinx_gallery_capture_repr = ('_repr_html_',)
# sphinx_gallery_thumbnail_number = 1
