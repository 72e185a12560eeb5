"""
Five more measures of a map, on eight methods
=============================================

:doc:`28_deletion_insertion` scored the maps by what removing pixels does. Five more
measures ask other questions. Faithfulness: does the sum of the map over a random
set of pixels predict the drop their removal causes (:func:`interp.mu_fidelity`,
:cite:t:`bhatt2020`; a correlation, higher is better)? Does the map times a small
noise predict the change it causes (:func:`interp.infidelity`, :cite:t:`yeh2019`; an
error, lower is better)? Deleting the top pixels but filling them in from their
neighbours, so the holes' shape gives nothing away (:func:`interp.road`,
:cite:t:`rong2022`)? Robustness: how much does the map move under noise too small to
see (:func:`interp.max_sensitivity`, :cite:t:`yeh2019`; lower is better)? And does it
change when asked about another class (:func:`interp.random_logit`,
:cite:t:`sixt2020`; a rank correlation, lower is better)?
"""

# %%
# The methods and the settings
# ----------------------------
# Twenty test images, each explained for its predicted class. MuFidelity: 128 random
# subsets of 20% of the pixels set to black. Infidelity: 64 Gaussian perturbations of
# standard deviation 0.1, with each map rescaled by its best factor (``normalize=True``)
# so that maps in different units (logits, probabilities) compare. ROAD: the area
# under the probability as 10% to 90% of the pixels are imputed, most relevant first
# (MoRF, lower is better). Max-sensitivity: 8 perturbations of at most 0.02 per pixel.
# A map of uniform noise gives the floor where a measure takes a map (the other two
# call the method itself).
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
_, (x_test, _) = interp.load_fashion_mnist()
images = x_test[:20]


def ig(model, images, target=None):
    return interp.integrated_gradients(model, images, target, steps=32)[0]


methods = {  # name: (function, its options)
    "saliency": (interp.saliency, {}),
    "gradient × input": (interp.input_x_gradient, {}),
    "integrated gradients": (ig, {}),
    "Grad-CAM++ conv1": (interp.grad_cam_plus_plus, {"layer": "conv1"}),
    "LayerCAM conv1": (interp.layer_cam, {"layer": "conv1"}),
    "LRP epsilon + zB": (interp.lrp, {}),
    "RISE": (interp.rise, {"n_masks": 500}),
    "KernelSHAP 4 x 4": (interp.kernel_shap, {"n_samples": 256}),
}
measures = {"MuFidelity": "higher", "infidelity": "lower", "ROAD MoRF": "lower",
            "max-sensitivity": "lower", "random logit": "lower"}
results = {}
for name, (method, options) in {**methods, "random map": (None, {})}.items():
    maps = (method(model, images, **options) if method else
            np.random.default_rng(0).random((len(images), 28, 28)))
    row = {"MuFidelity": interp.mu_fidelity(model, images, maps).mean,
           "infidelity": interp.infidelity(model, images, maps, normalize=True).mean,
           "ROAD MoRF": interp.road(model, images, maps).auc.mean()}
    if method:
        row["max-sensitivity"] = interp.max_sensitivity(method, model, images, n=8,
                                                        **options).mean
        row["random logit"] = interp.random_logit(method, model, images, **options).mean
    results[name] = row

print(f"{'':<21}{'MuFidelity':>11}{'infidelity':>11}{'ROAD MoRF':>10}"
      f"{'max-sens.':>10}{'rand. logit':>12}")
print(f"{'(better)':<21}{'higher':>11}{'lower':>11}{'lower':>10}{'lower':>10}{'lower':>12}")
for name, row in results.items():
    cells = [f"{row[m]:>{w}.{4 if m == 'infidelity' else 3}f}" if m in row
             else f"{'-':>{w}}" for m, w in zip(measures, (11, 11, 10, 10, 12), strict=True)]
    print(f"{name:<21}" + "".join(cells))

# %%
# The scores side by side
# -----------------------
# One panel per measure; the grey bar is the random map, where the measure takes one.
# Each panel's title names the best method by that measure.
fig, axes = plt.subplots(1, 5, figsize=(8, 4.4), layout="constrained", sharey=True)
names = list(results)
winners = []
for ax, (measure, better) in zip(axes, measures.items(), strict=True):
    values = [results[n].get(measure, np.nan) for n in names]
    colours = ["0.6" if n == "random map" else "C0" for n in names]
    ax.barh(range(len(names)), values, color=colours)
    ax.axvline(0, color="black", linewidth=0.8)
    scored = {n: results[n][measure] for n in methods}
    best = (max if better == "higher" else min)(scored, key=scored.get)
    ax.set_title(f"{measure}\n({better} is better)\nbest:\n{best}", fontsize=8)
    ax.tick_params(labelsize=7)
    winners.append(best)
    print(f"best by {measure} ({better} is better): {best} ({scored[best]:.4f})")
axes[0].set_yticks(range(len(names)), names, fontsize=8)
axes[0].invert_yaxis()
print(f"{len(set(winners))} different methods win the {len(measures)} measures")
fig.suptitle("Five measures of eight methods' maps (20 test images)", fontsize=11)

# %%
# Beating the floor
# -----------------
# A measure that cannot tell a method from noise says little. Per measure, the methods
# that score no better than the random map:
for measure in ("MuFidelity", "infidelity", "ROAD MoRF"):
    floor = results["random map"][measure]
    sign = 1 if measures[measure] == "higher" else -1
    worse = [n for n in methods if sign * (results[n][measure] - floor) <= 0]
    best = results[winners[list(measures).index(measure)]][measure]
    print(f"{measure}: random map {floor:.4f}, best {best:.4f}; no better than the "
          f"random map: {', '.join(worse) or 'none'}")
same = [n for n in methods if results[n]["random logit"] > 0.9]
print(f"maps that hardly change with the class (random logit > 0.9): "
      f"{', '.join(same) or 'none'}")

plt.show()  # shows the figures when run as a script

# %%
# No method is best by every measure here (the printout counts the winners). The
# measures ask different things, and a ranking of methods must say which question it
# asks. Normalized infidelity hardly separates any method from noise on this
# network (the printed best against the random map), and a method that scores well on
# robustness can still draw the same map for every class (the random logit line).
# :doc:`31_which_to_trust` puts the measures of :doc:`28_deletion_insertion` to
# :doc:`30_data_randomization` in one table.
#
# What to try next
# ----------------
# Run a measure on more images (``x_test[:200]``) and see whether the winners hold;
# then go back to :doc:`31_which_to_trust` for the verdict on the earlier methods.

# sphinx_gallery_thumbnail_number = 1
