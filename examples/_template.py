"""
A one-line title that says what the reader will see
====================================================

One short paragraph: the question this page answers, and what it uses (which layer,
which images). Copy this file to ``examples/<part>/NN_short_name.py`` (the part's next
free number), keep one idea per page, and delete these instructions. Keep code and
printed lines at most 88 characters and figures at most about 7 inches wide, so nothing
is cut off or shrunk on the page's 710-pixel column; give every heat map a colorbar or
printed values. (On a phone a reader taps a figure to open it at full size.)
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
# If the text says "this kernel emphasizes the left edge", compute that, with its sign,
# and print it, so the words are checked every time the page is built. "Larger on the
# left" is not "emphasized": a kernel can answer both sides positively (a red
# silhouette). :func:`interp.outline_response` gives each side of the outline a verdict
# by a stated rule (emphasized: mean at least +10% of the map's largest absolute value;
# suppressed: at most -10%; neither: in between). When no side qualifies, say so instead
# of stretching the words.
layer = interp.pick_layer(model, "conv1")
kernel = interp.kernel(layer, 3)
fig = interp.plot_response(image, kernel, padding="same")  # has a colorbar
response = interp.convolve(image, kernel, padding="same")
sides = interp.outline_response(response, image)
print(f"rule: |mean| >= {sides.limit:.3f} (10% of max |response| {sides.scale:.3f})")
print(sides)  # e.g. "emphasized left +0.20, ...; suppressed right -0.20; neither ..."
if sides.contrast("left", "right") > 0:
    print("the left side is emphasized and the right side suppressed")
elif sides.contrast("left", "right") < 0:
    print("the right side is emphasized and the left side suppressed")
else:
    print("the left and right sides do not get clear opposite signs")
print("largest |response|:", round(float(np.abs(response).max()), 3))

plt.show()  # shows the figures when run as a script

# %%
# What to try next
# ----------------
# Point to the page that follows, e.g. :doc:`../chapter/01_network_and_data`.

# sphinx_gallery_thumbnail_number = 1
