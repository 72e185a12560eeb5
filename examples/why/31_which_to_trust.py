"""
Which map to trust: one table
=============================

Faithfulness (:doc:`28_deletion_insertion`): does the map's ranking find the pixels
the prediction depends on? Sanity (:doc:`29_cascading_randomization`,
:doc:`30_data_randomization`): does the map change when the network loses what it
learned? A map worth believing needs both. Here they are for every method of interp,
with the rules that give a verdict; :doc:`36_five_more_columns` adds five measures.
"""

# %%
# The measurements
# ----------------
# The first 100 test images. RISE and KernelSHAP, which query the network hundreds of
# times per image, take 250 masks and 128 coalitions (fewer than on
# :doc:`34_rise_kernel_shap`); the other settings are their own pages'. Time per image:
# one call's wall time over 100 (on the shuffled-label network, of the same shape),
# measured when the table was computed. A rebuild reads the table from the interp cache
# folder (:func:`interp.cached`), keyed by the networks' weights, the images, the
# settings, the code of ``measure`` and interp's version; ``refresh=True`` recomputes it.
import inspect
import time

import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
shuffled = interp.trained_model(labels="shuffled")
_, (x_test, _) = interp.load_fashion_mnist()
images = x_test[:100]


def ig(model, images, target=None, **options):
    return interp.integrated_gradients(model, images, target, **options)[0]


conv1 = {"layer": "conv1"}
sanity = ("top", "top |.|", "data", "data |.|")  # the four sanity columns
methods = {  # name: (function, its options)
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


def measure():
    targets, rows = model.predict(images, verbose=0).argmax(axis=1), {}
    for name, (method, options) in methods.items():
        top = interp.cascading_randomization(model, images, method=method, layers="dense",
                                             **options)
        maps = top.trained  # the trained network's maps
        method(shuffled, images[:1], targets[:1], **options)  # compiles; time the second
        started = time.perf_counter()
        other = method(shuffled, images, targets, **options)  # data_randomization's
        seconds = (time.perf_counter() - started) / len(images)
        rhos = (top.similarity[0], top.similarity_abs[0], interp.rank_correlation(maps, other),
                interp.rank_correlation(abs(maps), abs(other)))
        rows[name] = {"ms": 1000 * seconds,
                      "deletion": interp.deletion(model, images, maps).auc.mean(),
                      "insertion": interp.insertion(model, images, maps).auc.mean(),
                      **{k: np.nanmean(v) for k, v in zip(sanity, rhos, strict=True)}}
    return {"rows": rows, "floor": [[metric(model, images, np.random.default_rng(seed).random(
        (100, 28, 28))).auc.mean() for seed in range(5)] for metric in
        (interp.deletion, interp.insertion)]}


result = interp.cached("page31-table", measure, refresh=False, depends_on={
    "models": [model, shuffled], "images": images, "code": inspect.getsource(measure),
    "settings": {n: [f.__name__, o] for n, (f, o) in methods.items()}})
table, floor = result["rows"], np.array(result["floor"])

# %%
# The rules
# ---------
# - **Faithful**: the deletion AUC is below, and the insertion AUC above, that of
#   every one of five random maps.
# - **Passes a sanity check**: after the change -- the dense layer drawn afresh, or the
#   labels shuffled -- the mean rank correlation (rho) with the trained network's maps is
#   below 0.25, for the signed maps and for their absolute values
#   (:func:`interp.passes_sanity_check`).
#
# A method is trusted when it is faithful and passes both sanity checks.
print(f"{'':<21}{'deletion':>9}{'insertion':>10}{'top layer rho':>15}{'labels rho':>13}"
      f"{'ms per':>8}")
print(f"{'':<21}{'AUC':>9}{'AUC':>10}{'signed':>9}{'|map|':>6}{'signed':>8}{'|map|':>6}"
      f"{'image':>7}")
print(f"{'random maps (5 seeds)':<21}{floor[0].mean():>9.3f}{floor[1].mean():>10.3f}")
for name, row in table.items():
    print(f"{name:<21}{row['deletion']:>9.3f}{row['insertion']:>10.3f}"
          + "".join(f"{row[k]:>+{9 if i % 2 == 0 else 6}.2f}" for i, k in enumerate(sanity))
          + f"{row['ms']:>7.2f}")
passed = {name: [row["deletion"] < floor[0].min(), row["insertion"] > floor[1].max(),
                 *(row[k] < interp.SANITY_LINE for k in sanity)] for name, row in table.items()}
trusted = [name for name in table if all(passed[name])]
short = ("deletion", "insertion", "top", "top |map|", "labels", "labels |map|")
for name, ok in passed.items():
    failed = [test for test, good in zip(short, ok, strict=True) if not good]
    print(f"{name:<21}{'fails ' + ', '.join(failed) if failed else 'trusted'}")
every = [name for name in table if all(passed[name][:2]) and not any(passed[name][2:])]
print("\nfaithful, and failing all four sanity columns:\n  " + ("\n  ".join(every) or "none"))
best = min(table, key=lambda name: table[name]["deletion"])
print(f"trusted: {', '.join(trusted) or 'none'}; fastest deletion: {best} "
      f"({'trusted' if best in trusted else 'not trusted'})")

# %%
# The table as a figure
# ---------------------
# A row per method, a column per test with its pass mark, the numbers printed above:
# blue where the method passes the test, orange where it fails; trusted in bold.
labels = [f"deletion AUC\npass < {floor[0].min():.3f}",
          f"insertion AUC\npass > {floor[1].max():.3f}",
          *(f"{c}\nρ {k}\npass < {interp.SANITY_LINE}" for c in ("top layer", "labels")
            for k in ("signed", "|map|"))]
colours = plt.matplotlib.colors.to_rgba_array([interp.OKABE_ITO[0], interp.OKABE_ITO[1]])
fig, ax = plt.subplots(figsize=(7.5, 6.6), layout="constrained")
ax.imshow(colours[np.array(list(passed.values()), dtype=int)], aspect="auto", alpha=0.55)
for i, name in enumerate(table):
    for j, k in enumerate(("deletion", "insertion", *sanity)):
        ax.text(j, i, f"{table[name][k]:{'.3f' if j < 2 else '+.2f'}}", ha="center",
                va="center", fontsize=9)
ax.set_xticks(range(len(labels)), labels, fontsize=8.5)
ax.set_yticks(range(len(table)), list(table), fontsize=9)
plt.setp([t for t in ax.get_yticklabels() if t.get_text() in trusted], fontweight="bold")
ax.set_title(f"{len(table)} methods on {len(images)} images: blue passes, orange fails; trusted "
             f"in bold: {', '.join(trusted) or 'none'}", fontsize=10)

plt.show()  # shows the figures when run as a script

# %%
# The fastest deletion is not a reason to trust a map: the image itself, used as a map,
# deletes with half the random floor's area (:doc:`28_deletion_insertion`). Guided
# backpropagation is faithful by deletion and insertion and fails every sanity column,
# the finding of :cite:t:`adebayo2018`, on this network too; so do the methods the
# printout lists with it.
#
# What to try next
# ----------------
# Move the 0.25 line, or demand a margin over the random maps: which verdicts change?

# sphinx_gallery_thumbnail_number = 1
