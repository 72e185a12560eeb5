"""
Which map to trust: one table
=============================

The last three pages measured two different things. Faithfulness
(:doc:`28_deletion_insertion`): does the map's ranking find the pixels the prediction
depends on? Sanity (:doc:`29_cascading_randomization`, :doc:`30_data_randomization`):
does the map change when the network's weights, or what its labels meant, are taken
away? A map worth believing needs both. Here they are in one table for the seven
methods, on the same 200 test images, with the rules that turn them into a verdict.
"""

# %%
# The measurements
# ----------------
# Time per image is the wall time of one call on the 200 images, divided by 200, on the
# machine that built this page.
import time

import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
shuffled = interp.trained_model(labels="shuffled")
_, (x_test, _) = interp.load_fashion_mnist()
images = x_test[:200]
methods = {
    "saliency": lambda m, x, target: interp.saliency(m, x, target=target),
    "SmoothGrad": lambda m, x, target: interp.smoothgrad(m, x, target=target, samples=25),
    "integrated gradients": lambda m, x, target: interp.integrated_gradients(
        m, x, target=target, steps=50)[0],
    "Grad-CAM (conv1)": lambda m, x, target: interp.grad_cam(m, x, target, layer="conv1"),
    "occlusion (8 px)": lambda m, x, target: interp.occlusion(m, x, target, patch=8, stride=2),
    "guided backprop": lambda m, x, target: interp.guided_backprop(m, x, target=target),
    "gradient × input": lambda m, x, target: interp.input_x_gradient(m, x, target=target),
}
targets = model.predict(images, verbose=0).argmax(axis=1)
table = {}
for name, method in methods.items():
    method(model, images[:1], targets[:1])  # the first call compiles; time the second
    started = time.perf_counter()
    maps = method(model, images, targets)
    seconds = (time.perf_counter() - started) / len(images)
    top = interp.cascading_randomization(model, images, method=method, layers="dense")
    other = method(shuffled, images, targets)  # data_randomization, reusing the maps
    table[name] = {
        "deletion": interp.deletion(model, images, maps).auc.mean(),
        "insertion": interp.insertion(model, images, maps).auc.mean(),
        "top": np.nanmean(top.similarity[0]), "top |.|": np.nanmean(top.similarity_abs[0]),
        "data": np.nanmean(interp.rank_correlation(maps, other)),
        "data |.|": np.nanmean(interp.rank_correlation(np.abs(maps), np.abs(other))),
        "ms": 1000 * seconds,
    }
floor = np.array([[metric(model, images, np.random.default_rng(seed).random((200, 28, 28)))
                   .auc.mean() for seed in range(5)]
                  for metric in (interp.deletion, interp.insertion)])

# %%
# The rules
# ---------
# - **Faithful**: the deletion AUC is below, and the insertion AUC above, that of
#   every one of five random maps.
# - **Passes a sanity check**: after the change -- the dense layer drawn afresh, or the
#   labels shuffled -- the mean rank correlation with the trained network's maps is
#   below 0.25, for the signed maps and for their absolute values
#   (:func:`interp.passes_sanity_check`). Above that line a map keeps too much of itself
#   when the network loses what it learned.
#
# A method is trusted when it is faithful and passes both sanity checks.
LINE = interp.SANITY_LINE
sanity = ("top", "top |.|", "data", "data |.|")
print("AUC: area under the curve; rho: mean rank correlation after the change")
print(f"{'':<21}{'deletion':>9}{'insertion':>10}{'top layer rho':>15}{'labels rho':>13}"
      f"{'ms per':>8}")
print(f"{'':<21}{'AUC':>9}{'AUC':>10}{'signed':>9}{'|map|':>6}{'signed':>8}{'|map|':>6}"
      f"{'image':>7}")
print(f"{'random maps (5 seeds)':<21}{floor[0].mean():>9.3f}{floor[1].mean():>10.3f}")
for name, row in table.items():
    print(f"{name:<21}{row['deletion']:>9.3f}{row['insertion']:>10.3f}"
          + "".join(f"{row[k]:>+{9 if i % 2 == 0 else 6}.2f}" for i, k in enumerate(sanity))
          + f"{row['ms']:>7.2f}")

names = {"top": "top layer signed", "top |.|": "top layer |map|", "data": "labels signed",
         "data |.|": "labels |map|"}
verdicts = {}
for name, row in table.items():
    faithful = row["deletion"] < floor[0].min() and row["insertion"] > floor[1].max()
    verdicts[name] = (faithful, tuple(names[k] for k in sanity if row[k] >= LINE))
trusted = [name for name, (faithful, failed) in verdicts.items() if faithful and not failed]
values = np.array([[table[name][k] for k in sanity] for name in table])
print(f"\nnearest to the {LINE} line: a pass at {values[values < LINE].max():+.2f}, a fail "
      f"at {values[values >= LINE].min():+.2f}")

# %%
# The verdicts, grouped, and the conclusion they give:
groups = {}
for name, (faithful, failed) in verdicts.items():
    key = ("faithful" if faithful else "not faithful") + "; " + (
        "passes every sanity column" if not failed else "fails " + ", ".join(failed))
    groups.setdefault(key, []).append(name)
for key, members in groups.items():
    print(f"{key}:\n  {', '.join(members)}")
best = min(table, key=lambda name: table[name]["deletion"])
print(f"\ntrusted: {', '.join(trusted) or 'none of the seven'}; fastest deletion: {best} "
      f"({'trusted' if best in trusted else 'not trusted'})")

# %%
# Faithfulness against sanity
# ---------------------------
# Each method's deletion AUC (left is more faithful) against its largest rank
# correlation in the four sanity columns (lower depends more on the network). A filled
# dot is faithful by the rule above (deletion *and* insertion beat the floor), an open
# one is not. Only a filled dot in the white corner is trusted: saliency sits in that
# corner by deletion, but its open dot says its insertion AUC does not beat the floor.
fig, ax = plt.subplots(figsize=(7.5, 5.2), layout="constrained")
ax.axhspan(LINE, 1.0, color="0.92")
ax.axvspan(floor[0].min(), 0.6, color="0.92")
ax.text(0.59, 0.97, f"fails a sanity check (ρ ≥ {LINE})", ha="right", va="top", fontsize=9)
ax.text(0.59, 0.02, "deletion no better\nthan random maps", ha="right", va="bottom",
        fontsize=9)
offsets = {"integrated gradients": (0, -17), "saliency": (0, -17)}
for i, (name, row) in enumerate(table.items()):
    worst = max(row[k] for k in sanity)
    ax.plot(row["deletion"], worst, "o", color=f"C{i}", markersize=9,
            markerfacecolor=f"C{i}" if verdicts[name][0] else "white", markeredgewidth=2)
    ax.annotate(name, (row["deletion"], worst), textcoords="offset points", ha="left",
                xytext=offsets.get(name, (0, 9)), fontsize=9)
ax.set(xlim=(0, 0.6), ylim=(0, 1), title="seven methods: faithfulness against sanity")
ax.set_xlabel("deletion AUC, mean over 200 images (lower is more faithful)")
ax.set_ylabel("largest mean rank correlation\nafter a sanity check")

plt.show()  # shows the figures when run as a script

# %%
# The fastest deletion is not a reason to trust a map: the image itself, used as a map,
# deletes with half the random floor's area (:doc:`28_deletion_insertion`). Nor is mass
# on the object, the measure of :doc:`25_attribution_comparison`: integrated gradients
# put 98% of theirs there for the trained and the randomized network alike. Guided
# backpropagation is faithful by deletion and insertion and fails every sanity column,
# the finding of :cite:t:`adebayo2018`, on this network too.
#
# What to try next
# ----------------
# Move the 0.25 line, or demand a margin over the random maps, and see which verdicts
# change. Or go back to :doc:`20_saliency` and read its maps with this table in mind.

# sphinx_gallery_thumbnail_number = 1
