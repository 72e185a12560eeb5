"""
The network and its data
========================

Everything in this gallery is measured on one small convolutional network trained on
`Fashion-MNIST <https://github.com/zalandoresearch/fashion-mnist>`_: 70,000 grayscale
photos of clothing, 28 × 28 pixels each, in ten classes. This page loads the real data,
shows what it looks like, and trains (or loads) the network.
"""

# %%
# The data
# --------
# :func:`interp.load_fashion_mnist` finds the four data files (from the Debian package
# ``dataset-fashion-mnist``, the Keras cache or a Keras download), checks their sha256
# and returns float32 images in [0, 1] with a trailing channel axis.
import matplotlib.pyplot as plt
import numpy as np

import interp

(x_train, y_train), (x_test, y_test) = interp.load_fashion_mnist()
print(f"training images {x_train.shape}, test images {x_test.shape}, "
      f"dtype {x_test.dtype}")
print(f"pixel range [{x_test.min()}, {x_test.max()}]")
counts = np.bincount(y_train)
if counts.min() == counts.max():
    print(f"every one of the {len(counts)} classes has {counts[0]} training images")
else:
    print(f"training images per class: {counts.min()} to {counts.max()}")

# %%
# One test image per class, each the first of its class, found with
# :func:`interp.images_of` -- in this gallery images are always chosen by what they
# show, never by their position in the file.
first_of_each = [int(interp.images_of(y_test, name)[0]) for name in interp.CLASS_NAMES]
print("index of the first test image of each class:", first_of_each)
fig = interp.plot_images(x_test[first_of_each], y_test[first_of_each], ncols=5)

# %%
# The network
# -----------
# Two convolution layers (5 and then 15 kernels of 3 × 3, each followed by a ReLU), a
# flattening step and a dense read-out with one output per class.
# :func:`interp.trained_model` trains it on all 60,000 training images the first time it
# is called and loads the cached copy on every later call; the training time below is
# the one measured when the cached copy this site uses was made (about 10–20 s on two
# CPU cores, depending on what else the machine is doing). (``verbose=True``, the
# default, prints one line per epoch while it trains.)
model = interp.trained_model(verbose=False)
info = model.training_info
print(f"{len(info.history)} epochs of training took {info.train_seconds:.0f} s "
      f"({'when the cached copy was made' if info.from_cache else 'just now'})")
print(f"cache file: {info.cache_file.name}")
model.summary()

# %%
# How good is it? The accuracy is measured here, on the 10,000 test images the network
# never saw during training.
probabilities = model.predict(x_test, batch_size=1000, verbose=0)
predicted = probabilities.argmax(axis=1)
accuracy = float(np.mean(predicted == y_test))
correct = int(np.sum(predicted == y_test))
print(f"test accuracy: {accuracy:.4f} ({correct} of {len(y_test)})")

# %%
# What did training buy? :func:`interp.build_model` makes the same network with fresh,
# untrained weights (seeded here, so the number below is the same on every run).
import keras

keras.utils.set_random_seed(0)
untrained = interp.build_model()
guesses = untrained.predict(x_test, batch_size=1000, verbose=0).argmax(axis=1)
chance = float(np.mean(guesses == y_test))
print(f"untrained copy: test accuracy {chance:.3f} (guessing scores 0.100)")
print(f"-> training took it from {chance:.3f} to {accuracy:.3f}")

# %%
# The overall number hides large differences between classes. The chart lists them from
# top to bottom, from the class the network gets wrong most often to the one it gets
# right most often.
per_class = [float(np.mean(predicted[y_test == c] == c)) for c in range(10)]
order = np.argsort(per_class)
worst, best = interp.CLASS_NAMES[order[0]], interp.CLASS_NAMES[order[-1]]
print(f"hardest class: {worst} ({per_class[order[0]]:.3f}); "
      f"easiest: {best} ({per_class[order[-1]]:.3f})")
missed = (y_test == order[0]) & (predicted != order[0])
taken_for = interp.CLASS_NAMES[np.bincount(predicted[missed], minlength=10).argmax()]
print(f"a misclassified {worst} is most often taken for a {taken_for}")
sneaker = interp.class_index("Sneaker")  # the label of a class, from its name
print(f"Sneaker is label {sneaker}; test accuracy on sneakers {per_class[sneaker]:.3f}")

fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
names = [interp.CLASS_NAMES[c] for c in order]
ax.barh(names, [per_class[c] for c in order], color="C0")
ax.invert_yaxis()  # the first bar (the hardest class) on top
ax.set_xlim(0, 1)
ax.set_xlabel("test accuracy")
ax.set_title(f"per-class accuracy, hardest class first (overall {accuracy:.3f})")

plt.show()  # shows the figures when run as a script

# %%
# What to try next
# ----------------
# The network is a stack of layers. :doc:`02_selecting_layers` shows how to pick one out.

# sphinx_gallery_thumbnail_number = 1
