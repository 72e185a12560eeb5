"""
Sanity check: do the maps depend on the weights?
================================================

Adebayo et al. (2018) proposed a simple test: explain the same images with the trained
network and with the same architecture whose weights were drawn at random. A method that
explains the *network* must give different maps; if the maps stay alike, they mostly
show the image itself. :func:`interp.model_randomization` runs it.
"""

# %%
# Trained against randomized, for every method
# --------------------------------------------
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
_, (x_test, y_test) = interp.load_fashion_mnist()
classes = ("T-shirt/top", "Trouser", "Sneaker", "Bag", "Ankle boot")
images = x_test[[int(interp.images_of(y_test, name)[0]) for name in classes]]

methods = {
    "saliency": interp.saliency,
    "SmoothGrad": lambda m, x, target: interp.smoothgrad(m, x, target=target, samples=10),
    "integrated gradients":
        lambda m, x, target: interp.integrated_gradients(m, x, target=target)[0],
    "Grad-CAM (conv1)": lambda m, x, target: interp.grad_cam(m, x, target=target, layer="conv1"),
    "occlusion (8 px)": lambda m, x, target: interp.occlusion(m, x, target=target, patch=8),
}
checks = {name: interp.model_randomization(model, images, method=method, seed=0)
          for name, method in methods.items()}
print("Spearman rank correlation of |map| between trained and randomized network")
print(f"{'':<22}" + "".join(f"{name[:11]:>12}" for name in classes) + f"{'mean':>8}")
for name, check in checks.items():
    print(f"{name:<22}" + "".join(f"{s:>12.2f}" for s in check.similarity)
          + f"{np.mean(check.similarity):>8.2f}")
ranking = sorted(checks, key=lambda name: np.mean(checks[name].similarity))
print(f"\nmost dependent on the weights: {ranking[0]}; least: {ranking[-1]}")

# %%
# The sneaker's maps: trained network (top) and randomized network (bottom).
row = classes.index("Sneaker")
fig, axes = plt.subplots(2, 1 + len(methods), figsize=(12, 4.4), layout="constrained")
interp.plot_attributions(images[row], {n: c.trained[row] for n, c in checks.items()},
                         axes=axes[0], title="trained", colorbar=False)
interp.plot_attributions(images[row], {n: c.randomized[row] for n, c in checks.items()},
                         axes=axes[1], title="randomized", colorbar=False)

plt.show()  # shows the figures when run as a script

# %%
# What to try next
# ----------------
# Attribution explains one prediction. :doc:`27_maximize_activation` asks what a kernel
# would like to see, with no image given at all.

# sphinx_gallery_thumbnail_number = 1
