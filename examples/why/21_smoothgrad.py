"""
SmoothGrad: saliency averaged over noise
========================================

A ReLU network's gradient can jump from pixel to pixel. SmoothGrad adds Gaussian noise
to the image many times and averages the saliency maps (:func:`interp.smoothgrad`),
hoping that the jitter cancels while the evidence remains. This page measures whether
it does for this network.
"""

# %%
# Saliency and SmoothGrad side by side
# ------------------------------------
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
_, (x_test, y_test) = interp.load_fashion_mnist()
names = ("Sneaker", "T-shirt/top")
images = x_test[[int(interp.images_of(y_test, name)[0]) for name in names]]

plain = interp.saliency(model, images)
smooth = interp.smoothgrad(model, images, noise=0.15, samples=25, seed=0)
fig, axes = plt.subplots(2, 3, figsize=(8, 5.2), layout="constrained")
for row, name in enumerate(names):
    interp.plot_attributions(images[row], {"saliency": plain[row], "SmoothGrad": smooth[row]},
                             axes=axes[row], title=name)


# %%
# Roughness, measured as the mean absolute difference between neighbouring pixels
# relative to the map's mean absolute value (lower is smoother), and the share of each
# map's mass on the object. The verdict is printed, not assumed.
def roughness(values):
    steps = np.abs(np.diff(values, axis=0)).mean() + np.abs(np.diff(values, axis=1)).mean()
    return steps / (2 * np.abs(values).mean())


for row, name in enumerate(names):
    print(f"{name}: roughness saliency {roughness(plain[row]):.2f}, "
          f"SmoothGrad {roughness(smooth[row]):.2f}; mass on object "
          f"{interp.mass_on_object(plain[row], images[row]):.0%} vs "
          f"{interp.mass_on_object(smooth[row], images[row]):.0%}")
    smoother = roughness(smooth[row]) < roughness(plain[row])
    print(f"  -> SmoothGrad is {'smoother' if smoother else 'not smoother'} than saliency here")

plt.show()  # shows the figures when run as a script

# %%
# What to try next
# ----------------
# Both maps are local: they say what a small change would do. :doc:`22_integrated_gradients`
# accounts for the whole way from a black image to this one.

# sphinx_gallery_thumbnail_number = 1
