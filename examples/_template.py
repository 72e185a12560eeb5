"""
A one-line title that says what the reader will see
====================================================

One short paragraph: the question this page answers, and what it uses (which layer,
which images). Copy this file to ``examples/NN_short_name.py`` (the next free number),
keep one idea per page, and delete these instructions.
"""

# %%
# First step
# ----------
# Text cells start with ``# %%``. Say what the code below does and why, in your own words.
import matplotlib.pyplot as plt
import numpy as np

import interp

model = interp.trained_model()  # cached: loads in under a second after the first run
_, (x_test, y_test) = interp.load_fashion_mnist()
image = x_test[int(interp.images_of(y_test, "Sneaker")[0])]  # by class, never by index

# %%
# A figure, and the number behind every sentence that describes it
# ----------------------------------------------------------------
# If the text says "this kernel emphasizes the left edge", compute that and print it, so
# the words are checked every time the page is built.
layer = interp.pick_layer(model, "conv1")
fig = interp.plot_response(image, interp.kernel(layer, 0), padding="same")
response = interp.convolve(image, interp.kernel(layer, 0), padding="same")
means = interp.border_means(response, image)
print(f"left border {means['left']:+.3f}, right border {means['right']:+.3f}")
print("larger on the left" if means["left"] > means["right"] else "larger on the right")
print("total |response|:", float(np.abs(response).sum()))

plt.show()  # shows the figures when run as a script

# %%
# What to try next
# ----------------
# Point to the page that follows, e.g. :doc:`01_network_and_data`.

# sphinx_gallery_thumbnail_number = 1
