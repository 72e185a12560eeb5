"""
A second kernel: horizontal edges
=================================

Kernels differ in the direction of the edges they respond to. This page measures that
direction for every first-layer kernel with two synthetic probe images -- a horizontal
and a vertical edge, made here and labelled as such -- then applies the most
horizontal-edge-minded kernel to the first t-shirt of the test set.
"""

# %%
# Two probe images
# ----------------
# Each probe is dark above (or left of) a straight edge and bright below (or right of)
# it. They are not data; they only ask each kernel one question.
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
layer = interp.pick_layer(model, "conv1")
kernels, _ = interp.get_kernels(layer)

horizontal_edge = np.zeros((28, 28))
horizontal_edge[14:, :] = 1.0  # dark top, bright bottom
vertical_edge = horizontal_edge.T.copy()  # dark left, bright right


def edge_strength(probe, k):
    """Largest |response| to a probe of kernel k with its mean weight removed."""
    zero_mean = kernels[:, :, 0, k] - kernels[:, :, 0, k].mean()
    return float(np.abs(interp.convolve(probe, zero_mean)).max())


scores = []
for k in range(kernels.shape[3]):
    h, v = edge_strength(horizontal_edge, k), edge_strength(vertical_edge, k)
    scores.append(h - v)
    print(f"kernel {k}: horizontal edge {h:+.3f}, vertical edge {v:+.3f}")
chosen = int(np.argmax(scores))
if scores[chosen] > 0:
    print(f"kernel {chosen} prefers horizontal over vertical edges the most "
          f"(by {scores[chosen]:+.3f})")
else:
    print(f"no kernel prefers horizontal edges; kernel {chosen} comes closest "
          f"({scores[chosen]:+.3f})")

description = interp.describe_kernel(interp.kernel(layer, chosen))
print(f"describe_kernel: {description}")
horizontal = {name: score for name, score in description.scores.items()
              if name.startswith("horizontal")}
print("similarity with the two horizontal-edge filters:",
      {name: round(score, 2) for name, score in horizontal.items()})

# %%
# The mean weight is removed before probing: a kernel whose weights do not sum to zero
# also responds to plain brightness, and that part says nothing about edges. The figure
# shows the chosen kernel's full response to both probes.
fig, axes = plt.subplots(1, 3, figsize=(8, 2.8), layout="constrained")
for ax, probe, name in zip(axes[:2], (horizontal_edge, vertical_edge),
                           ("horizontal edge", "vertical edge"), strict=True):
    response = interp.convolve(probe, kernels[:, :, 0, chosen])
    limit = np.abs(response).max()
    ax.imshow(response, cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_title(f"kernel {chosen} on a\nsynthetic {name}", fontsize=10)
    ax.set_axis_off()
interp.plot_kernel(interp.kernel(layer, chosen), ax=axes[2], title=f"kernel {chosen}")

# %%
# On a t-shirt
# ------------
_, (x_test, y_test) = interp.load_fashion_mnist()
shirt_index = int(interp.images_of(y_test, "T-shirt/top")[0])
shirt = x_test[shirt_index, :, :, 0]
fig = interp.plot_response(shirt, interp.kernel(layer, chosen), padding="same",
                           titles=("t-shirt", f"kernel {chosen}", "response"))

response = interp.convolve(shirt, interp.kernel(layer, chosen), padding="same")
means = interp.border_means(response, shirt)
print("mean response per border:", {part: round(means[part], 3)
                                    for part in ("top", "bottom", "left", "right")})
strongest = max(("top", "bottom", "left", "right"), key=lambda part: means[part])
weakest = min(("top", "bottom", "left", "right"), key=lambda part: means[part])
print(f"-> on the t-shirt, kernel {chosen} responds most along the {strongest} border "
      f"and least along the {weakest} border")

plt.show()  # shows the figures when run as a script

# %%
# What to try next
# ----------------
# So far the word "convolve" has been taken on trust. :doc:`07_convolution_is_the_network`
# writes the convolution out by hand and checks it against the network's own output.

# sphinx_gallery_thumbnail_number = 2
