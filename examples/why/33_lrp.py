"""
LRP: passing the logit back, layer by layer, by a rule
======================================================

Layer-wise relevance propagation :cite:p:`bach2015,montavon2019`
(:func:`interp.lrp`) starts from the class logit and hands it back one layer at a
time: each unit splits its relevance among its inputs in proportion to what each
contributed, :math:`a_i w_{ij}`. The *rule* says how. The epsilon rule divides by the
unit's input :math:`z_j` (plus a tiny :math:`\\epsilon`); the alpha-beta rule splits
the positive and the negative contributions apart and weights them
:math:`\\alpha = 2`, :math:`\\beta = 1`; the :math:`z^\\mathcal{B}` rule, for the first
layer, accounts for pixels bounded by 0 and 1, so a black pixel can get relevance
too. If nothing leaks, the relevances add up to the logit: *conservation*.
"""

# %%
# Three rule choices on three test images
# ---------------------------------------
# Relevance is signed: red for evidence for the class, blue against, white 0, each
# map on its own symmetric scale (written under it). The title gives the share of the
# map's absolute relevance on black pixels (value 0, the background).
import keras
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
_, (x_test, y_test) = interp.load_fashion_mnist()
names = ("Sneaker", "T-shirt/top", "Ankle boot")
images = x_test[[int(interp.images_of(y_test, name)[0]) for name in names]]
rules = {"epsilon + zB": {"rule": "epsilon"},  # zB at the input is the default
         "alpha-beta + zB": {"rule": "alphabeta"},
         "epsilon, no zB": {"rule": "epsilon", "input_rule": "epsilon"}}


def on_black(relevance, x):
    """Share of each map's absolute relevance on black pixels; NaN if all zero."""
    mass = np.abs(relevance).reshape(len(x), -1)
    black = x.reshape(len(x), -1) == 0
    return (mass * black).sum(axis=1) / mass.sum(axis=1)


maps = {name: interp.lrp(model, images, **options) for name, options in rules.items()}
fig, axes = plt.subplots(len(names), 4, figsize=(8, 8.4), layout="constrained")
for row, name in enumerate(names):
    shares = {rule: on_black(maps[rule], images)[row] for rule in rules}
    interp.plot_attributions(
        images[row], {f"{rule}\n{shares[rule]:.0%} on black": maps[rule][row]
                      for rule in rules}, axes=axes[row], title=name, colorbar=False)
    print(f"{name:<12} on black: " + ", ".join(
        f"{rule} {share:.0%}" for rule, share in shares.items()))
fig.suptitle("LRP of the predicted class's logit under three rule choices", fontsize=11)
print(f"black pixels in these images: {np.mean(images == 0):.0%}")

# %%
# Conservation, with and without biases
# -------------------------------------
# The logit is the dense layer's output before the softmax, computed here from conv2's
# maps and the dense weights. Biases take relevance of their own, so the relevances of
# the pixels add up to the logit only in a network without them. The check: the
# course network, and a copy of it with every bias set to 0 (the original is left
# untouched), on the first 100 test images, each explained for its predicted class.
sample = x_test[:100]
free = keras.models.clone_model(model)
free.set_weights([w if w.ndim > 1 else np.zeros_like(w) for w in model.get_weights()])


def logits(network, x):
    conv2 = interp.feature_maps(network, x, layers=["conv2"])["conv2"]
    weights, bias = network.get_layer("dense").get_weights()
    return conv2.reshape(len(x), -1) @ weights + bias


fig, axes = plt.subplots(1, 2, figsize=(8, 4), layout="constrained", sharey=True)
print(f"{'(sum - logit) / |logit|':<32}{'median':>10}{'median of |.|':>15}")
gaps = {}
for ax, (network, label) in zip(axes, ((model, "with biases"), (free, "biases set to 0")),
                                strict=True):
    scores = logits(network, sample)
    target = scores.argmax(axis=1)
    logit = scores[np.arange(len(sample)), target]
    for i, (rule, options) in enumerate(rules.items()):
        total = interp.lrp(network, sample, target, **options).reshape(100, -1).sum(axis=1)
        relative = (total - logit) / np.abs(logit)
        gaps[label, rule] = gap = np.median(np.abs(relative))
        ax.plot(logit, total, "o", color=f"C{i}", markersize=3, alpha=0.8,
                label=f"{rule}: {gap:.1e}")
        print(f"{label + ', ' + rule:<32}{np.median(relative):>+10.1e}{gap:>15.1e}")
    line = [logit.min(), logit.max()]
    ax.plot(line, line, color="0.4", linewidth=0.8, linestyle="--")
    ax.set_title(f"{label}\n(dashed: sum = logit)", fontsize=10)
    ax.set_xlabel("logit of the predicted class")
    ax.legend(fontsize=8, title="rule: median relative gap", title_fontsize=8)
axes[0].set_ylabel("sum of the pixels' relevances")
fig.suptitle("Do the relevances add up to the logit? (100 test images)", fontsize=11)
worst = max(rules, key=lambda rule: gaps["biases set to 0", rule])
print(f"without biases, every rule within {gaps['biases set to 0', worst]:.1e} x |logit| "
      f"(median; widest: {worst})")
least = min(rules, key=lambda rule: gaps["with biases", rule])
print(f"with biases, the closest rule ({least}) is off by "
      f"{gaps['with biases', least]:.0%} of the logit (median)")

plt.show()  # shows the figures when run as a script

# %%
# Without biases every rule conserves the logit, to within the printed gap; alpha-beta
# least closely, since a unit whose inputs are all of one sign has nothing to put in
# the other part. With the course network's biases, the pixels' sum misses the logit
# by the printed share, and the sign column says in which direction. The rule at the
# input decides what the background gets: the epsilon rule multiplies by the pixel's
# value, so a black pixel gets no relevance at all, however much the network relies
# on the background being black; the :math:`z^\mathcal{B}` rule gives it a share
# (the first printout).
#
# What to try next
# ----------------
# :doc:`34_rise_kernel_shap` needs no rules and no gradients: it only asks the
# network about masked images.

# sphinx_gallery_thumbnail_number = 1
