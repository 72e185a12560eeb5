"""
Occlusion: cover a patch, watch the probability
===============================================

The most direct question: if part of the image were hidden, how much less sure would
the network be? :func:`interp.occlusion` slides a black square over the image and
records the drop in the predicted class's probability.
"""

# %%
# Two patch sizes
# ---------------
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
_, (x_test, y_test) = interp.load_fashion_mnist()
names = ("Sneaker", "T-shirt/top")
images = x_test[[int(interp.images_of(y_test, name)[0]) for name in names]]
probabilities = model.predict(images, verbose=0).max(axis=1)

maps = {size: interp.occlusion(model, images, patch=size, stride=2) for size in (4, 8)}
fig, axes = plt.subplots(2, 3, figsize=(8, 5.2), layout="constrained")
for row, name in enumerate(names):
    interp.plot_attributions(images[row], {f"patch {size}": maps[size][row] for size in maps},
                             axes=axes[row], title=name)

# %%
# The largest drop for each image and patch size, and where it is:
for row, name in enumerate(names):
    print(f"{name}: p = {probabilities[row]:.3f}")
    for size, drop in maps.items():
        r, c = np.unravel_index(drop[row].argmax(), drop[row].shape)
        print(f"  patch {size}: largest mean drop {drop[row].max():.3f} at row {r}, "
              f"column {c}; {interp.mass_on_object(drop[row], images[row]):.1%} of its mass "
              f"on the object")
    print(f"  the 8-pixel patch's largest drop is {maps[8][row].max() / maps[4][row].max():.1f}"
          f" times the 4-pixel patch's")

plt.show()  # shows the figures when run as a script

# %%
# A very confident prediction barely moves when a small patch is hidden; a larger
# patch hides whole parts and moves it more, by the factor printed above.
#
# What to try next
# ----------------
# :doc:`25_attribution_comparison` puts all five methods side by side on several classes.

# sphinx_gallery_thumbnail_number = 1
