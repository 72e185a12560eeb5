"""
Saliency: which pixels the score is most sensitive to
=====================================================

Why does the network call a sneaker a sneaker? The simplest answer is a gradient: how
much the class score changes when one pixel changes. :func:`interp.saliency` computes it
for the *logit* -- the score before the softmax -- since a confident softmax output
hardly moves at all.
"""

# %%
# Two test images, chosen by class
# --------------------------------
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()
_, (x_test, y_test) = interp.load_fashion_mnist()
names = ("Sneaker", "T-shirt/top")
images = x_test[[int(interp.images_of(y_test, name)[0]) for name in names]]
probabilities = model.predict(images, verbose=0)
for name, p in zip(names, probabilities, strict=True):
    print(f"{name}: predicted {interp.CLASS_NAMES[p.argmax()]} with probability {p.max():.3f}")

# %%
# The saliency maps
# -----------------
# Red pixels would raise the predicted class's logit if they were brighter, blue ones
# would lower it.
maps = interp.saliency(model, images)
fig, axes = plt.subplots(2, 3, figsize=(8, 5.2), layout="constrained")
for row, (name, image, grad) in enumerate(zip(names, images, maps, strict=True)):
    interp.plot_attributions(image, {"saliency": grad, "|saliency|": np.abs(grad)},
                             axes=axes[row], title=name)

# %%
# How much of each map lies on the object? :func:`interp.mass_on_object` gives the share
# of the map's absolute mass on object pixels; compare it with the share of pixels that
# belong to the object.
for name, image, grad in zip(names, images, maps, strict=True):
    object_share = float(np.mean(image[:, :, 0] > 0.2))
    on_object = interp.mass_on_object(grad, image)
    print(f"{name}: {on_object:.0%} of the saliency mass on the object, "
          f"which covers {object_share:.0%} of the image")

plt.show()  # shows the figures when run as a script

# %%
# What to try next
# ----------------
# Gradients of a ReLU network are noisy. :doc:`21_smoothgrad` averages them over noisy
# copies of the image.

# sphinx_gallery_thumbnail_number = 1
