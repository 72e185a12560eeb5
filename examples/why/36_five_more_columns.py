"""
Which map to trust: five more columns
=====================================

:doc:`31_which_to_trust` gave every method of interp a verdict by deletion, insertion
and two sanity checks. This page adds the five measures of :doc:`35_more_measures` as
five more columns of that table, for the same methods with the same settings:
MuFidelity (:func:`interp.mu_fidelity`, higher is better), infidelity
(:func:`interp.infidelity`), ROAD (:func:`interp.road`), max-sensitivity
(:func:`interp.max_sensitivity`) and random logit (:func:`interp.random_logit`), each
lower is better. They enter no verdict: the rule of page 31 stays as it is.
"""

# %%
# The measurements
# ----------------
# The first 10 test images (half of :doc:`35_more_measures`'s 20, to keep the page
# quick), each explained for its predicted class, with that page's settings: MuFidelity
# on 128 random subsets of 20% of the pixels; infidelity on 64 Gaussian perturbations of
# standard deviation 0.1, each map rescaled by its best factor; ROAD's area, most
# relevant pixels first; max-sensitivity over 8 perturbations of at most 0.02 per
# pixel. A map of uniform noise gives the floor for the three measures that take a map.
# A rebuild reads the table from the interp cache folder (:func:`interp.cached`), keyed
# as on page 31; ``refresh=True`` recomputes it.
import inspect

import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
_, (x_test, _) = interp.load_fashion_mnist()
images = x_test[:10]


def ig(model, images, target=None, **options):
    return interp.integrated_gradients(model, images, target, **options)[0]


conv1 = {"layer": "conv1"}
methods = {  # name: (function, its options), as on page 31
    "saliency": (interp.saliency, {}), "SmoothGrad": (interp.smoothgrad, {"samples": 25}),
    "integrated gradients": (ig, {"steps": 50}), "Grad-CAM (conv1)": (interp.grad_cam, conv1),
    "occlusion (8 px)": (interp.occlusion, {"patch": 8, "stride": 2}),
    "guided backprop": (interp.guided_backprop, {}),
    "gradient × input": (interp.input_x_gradient, {}),
    "Grad-CAM++ (conv1)": (interp.grad_cam_plus_plus, conv1),
    "LayerCAM (conv1)": (interp.layer_cam, conv1), "Score-CAM (conv1)": (interp.score_cam, conv1),
    "RISE": (interp.rise, {"n_masks": 250}),
    "KernelSHAP (4 x 4)": (interp.kernel_shap, {"n_samples": 128}),
    "LRP epsilon + zB": (interp.lrp, {}),
    "LRP alpha-beta + zB": (interp.lrp, {"rule": "alphabeta"})}
better = {"MuFidelity": "higher", "infidelity": "lower", "ROAD": "lower",
          "max-sensitivity": "lower", "random logit": "lower"}


def measure():
    rows = {}
    for name, (method, options) in {**methods, "random map": (None, {})}.items():
        maps = (method(model, images, **options) if method else
                np.random.default_rng(0).random((len(images), 28, 28)))
        rows[name] = {"MuFidelity": interp.mu_fidelity(model, images, maps).mean,
                      "infidelity": interp.infidelity(model, images, maps, normalize=True).mean,
                      "ROAD": interp.road(model, images, maps).auc.mean()}
        if method:
            rows[name]["max-sensitivity"] = interp.max_sensitivity(
                method, model, images, n=8, **options).mean
            rows[name]["random logit"] = interp.random_logit(method, model, images,
                                                             **options).mean
    return rows


table = interp.cached("page36-table", measure, refresh=False, depends_on={
    "model": model, "images": images, "code": inspect.getsource(measure),
    "settings": {n: [f.__name__, o] for n, (f, o) in methods.items()}})

print(f"{'':<21}{'MuFidelity':>11}{'infidelity':>11}{'ROAD':>8}{'max-sens.':>10}"
      f"{'random logit':>13}")
print(f"{'(better)':<21}" + "".join(f"{better[m]:>{w}}" for m, w in
                                    zip(better, (11, 11, 8, 10, 13), strict=True)))
for name, row in table.items():
    print(f"{name:<21}" + "".join(f"{row[m]:>{w}.{5 if m == 'infidelity' else 3}f}"
                                  if m in row else f"{'-':>{w}}" for m, w in
                                  zip(better, (11, 11, 8, 10, 13), strict=True)))

# %%
# Which methods beat the random map, and which is best
# ----------------------------------------------------
# Per measure, the best method, and for the three measures that take a map the
# methods that score no better than the uniform noise:
sign = {m: 1 if b == "higher" else -1 for m, b in better.items()}
best = {m: max(methods, key=lambda n, m=m: sign[m] * table[n][m]) for m in better}
beaten = {n: {m: sign[m] * (table[n][m] - table["random map"][m]) > 0
              for m in better if m in table["random map"]} for n in methods}
for m in better:
    worse = [n for n in methods if not beaten[n].get(m, True)]
    print(f"{m}: best {best[m]} ({table[best[m]][m]:.5f})"
          + (f"; no better than noise: {len(worse)} of {len(methods)}"
             if m in table["random map"] else ""))
print(f"{len(set(best.values()))} different methods are best by the {len(better)} measures")
print("random logit > 0.9 (the same map for another class):\n  "
      + (", ".join(n for n in methods if table[n]["random logit"] > 0.9) or "none"))

# %%
# The columns as a figure
# -----------------------
# The numbers printed above, the random map in the last row (grey). For the three
# measures that take a map, a cell is blue where the method beats the random map and
# orange where it does not; the other two have no such floor and stay white. Each
# column's best value is in bold.
colours = plt.matplotlib.colors.to_rgba_array([interp.OKABE_ITO[0], interp.OKABE_ITO[1],
                                               "white", "0.75"])
rows = [*methods, "random map"]
cells = np.array([[int(beaten[n][m]) if m in beaten[n] else 2 for m in better]
                  for n in methods] + [[3] * len(better)])
fig, ax = plt.subplots(figsize=(7.5, 6.9), layout="constrained")
ax.imshow(colours[cells], aspect="auto", alpha=0.55)
for i, n in enumerate(rows):
    for j, m in enumerate(better):
        value = f"{table[n][m]:.{5 if m == 'infidelity' else 3}f}" if m in table[n] else "-"
        ax.text(j, i, value, ha="center", va="center", fontsize=9,
                fontweight="bold" if best[m] == n else "normal")
ax.set_xticks(range(len(better)), [f"{m}\n({b} is\nbetter)" for m, b in better.items()],
              fontsize=8.5)
ax.set_yticks(range(len(rows)), rows, fontsize=9)
ax.set_title(f"Five more measures, {len(methods)} methods, {len(images)} images: blue "
             "beats the\nrandom map (grey row), orange does not; white: no such floor",
             fontsize=10)

plt.show()  # shows the figures when run as a script

# %%
# No method is best by every measure here (the printout counts the winners): each
# measure asks its own question, and a ranking of methods must say which. The random
# logit line names the methods whose map hardly changes when asked about another class.
#
# What to try next
# ----------------
# Compare each column's winner with its verdict on :doc:`31_which_to_trust`: would any
# of these measures have warned you about the methods that fail the sanity checks?

# sphinx_gallery_thumbnail_number = 1
