"""
Five attribution methods side by side
=====================================

Saliency, SmoothGrad, integrated gradients, Grad-CAM and occlusion each answer "which
pixels mattered?" differently. Here they explain the same five test images, one per
class, and a table measures how much of each map falls on the object.
"""

# %%
# The maps
# --------
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
_, (x_test, y_test) = interp.load_fashion_mnist()
classes = ("T-shirt/top", "Trouser", "Sneaker", "Bag", "Ankle boot")
images = x_test[[int(interp.images_of(y_test, name)[0]) for name in classes]]

methods = {
    "saliency": lambda x: interp.saliency(model, x),
    "SmoothGrad": lambda x: interp.smoothgrad(model, x, samples=25),
    "integrated gradients": lambda x: interp.integrated_gradients(model, x, steps=50)[0],
    "Grad-CAM (conv1)": lambda x: interp.grad_cam(model, x, layer="conv1"),
    "occlusion (8 px)": lambda x: interp.occlusion(model, x, patch=8, stride=2),
}
maps = {name: method(images) for name, method in methods.items()}

fig, axes = plt.subplots(len(classes), 1 + len(methods), figsize=(12, 10.5),
                         layout="constrained")
for row, name in enumerate(classes):
    interp.plot_attributions(images[row], {m: maps[m][row] for m in methods},
                             axes=axes[row], title=name, colorbar=False)

# %%
# Mass on the object
# ------------------
# The share of each map's absolute mass on object pixels, against the share of the
# image the object covers. A map that ignored the image would land near the object's
# own share.
print(f"{'':<22}" + "".join(f"{name[:11]:>12}" for name in classes))
coverage = [float(np.mean(image[:, :, 0] > 0.2)) for image in images]
print(f"{'object covers':<22}" + "".join(f"{c:>12.0%}" for c in coverage))
means = {}
for method, values in maps.items():
    shares = [interp.mass_on_object(values[i], images[i]) for i in range(len(classes))]
    means[method] = float(np.nanmean(shares))
    print(f"{method:<22}" + "".join(f"{s:>12.0%}" for s in shares))
best = max(means, key=means.get)
worst = min(means, key=means.get)
print(f"\nmost on the object, on average: {best} ({means[best]:.0%}); "
      f"least: {worst} ({means[worst]:.0%})")

# %%
# Integrated gradients multiplies by each pixel's difference from the black baseline,
# so wherever the image is black its attribution is zero by construction:
black = images[..., 0] == 0
print(f"largest |integrated gradient| on pixels equal to the baseline: "
      f"{np.abs(maps['integrated gradients'][black]).max():.1e}")

plt.show()  # shows the figures when run as a script

# %%
# A map that sits on the object is not proven right by that alone: the next page tests
# whether the maps depend on what the network learned at all.
#
# What to try next
# ----------------
# :doc:`26_sanity_check` re-initializes the network's weights and compares the maps.

# sphinx_gallery_thumbnail_number = 1
