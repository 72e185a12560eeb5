"""
Selecting layers
================

A Keras model keeps its layers, in order, in the list ``model.layers``. This page walks
that list and picks layers out of it by position, by name and by type.
"""

# %%
# The list of layers
# ------------------
import textwrap

import keras
import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch

import interp

model = interp.trained_model()
print(f"{'':<16} {'name':<8} {'type':<8} {'output shape':<20} {'weights':>7}")
for position, layer in enumerate(model.layers):
    shape = str(tuple(layer.output.shape))
    print(f"model.layers[{position}]  {layer.name:<8} {type(layer).__name__:<8} "
          f"{shape:<20} {layer.count_params():>7}")

# %%
# Picking one layer
# -----------------
# Plain indexing works: ``model.layers[0]`` is the first convolution.
# :func:`interp.pick_layer` does the same and also accepts a name or a layer type.
first = model.layers[0]
print("by index:", interp.pick_layer(model, 0).name,
      "| same object as model.layers[0]:", interp.pick_layer(model, 0) is first)
print("from the end:", interp.pick_layer(model, -1).name)
print("by name:", interp.pick_layer(model, "conv2").name)
print("by type:", interp.pick_layer(model, keras.layers.Dense).name)
print("second of a type:", interp.pick_layer(model, keras.layers.Conv2D, nth=1).name)

# %%
# When the request is wrong, plain indexing raises a bare ``IndexError``;
# :func:`interp.pick_layer` says what exists instead, for a position and for a name.
for ask in (lambda: model.layers[7], lambda: interp.pick_layer(model, 7),
            lambda: interp.pick_layer(model, "conv3")):
    try:
        ask()
    except (IndexError, ValueError) as err:
        print(textwrap.fill(f"{type(err).__name__}: {err}", width=80,
                            subsequent_indent="    "))

# %%
# Every convolution layer
# -----------------------
# :func:`interp.conv_layers` lists the layers that hold convolution kernels. It also
# looks inside models nested in other models, which ``model.layers`` does not.
convs = interp.conv_layers(model)
print([layer.name for layer in convs])

# %%
# Models inside models
# --------------------
# A model often sits inside another one, e.g. behind a preprocessing layer that scales
# 0-255 pixels. ``model.layers`` of the outer model then shows only two entries.
# :func:`interp.walk_layers` goes down into the nested model, and
# :func:`interp.layer_paths` names every layer by its path, which stays unique even if
# two nested models reuse a layer name; every interp function accepts these paths.
wrapped = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Rescaling(1 / 255),
                            model], name="wrapped")
print("wrapped.layers:", [layer.name for layer in wrapped.layers])
print("walk_layers:   ", [layer.name for layer in interp.walk_layers(wrapped)])
print("layer_paths:", list(interp.layer_paths(wrapped))[:3], "...")
print("by path:", interp.pick_layer(wrapped, "fashion_cnn/conv2") is model.layers[1])

# %%
# :func:`interp.layer_table` puts it all in one table, with each convolution's kernel
# shape (rows, columns, input channels, kernels); the ``interp layers`` command prints
# the same table for a saved model.
print(f"{'path':<20} {'type':<10} {'output':<14} {'kernels':<14} {'params':>7}")
for row in interp.layer_table(wrapped):
    print(f"{row.path:<20} {row.type:<10} {row.output_shape!s:<14} "
          f"{row.kernel_shape or ''!s:<14} {row.params:>7}")

# %%
# The figure draws the network as ``model.layers`` lists it: each box is a layer with its
# output shape; the convolution layers are the ones the next pages take apart.
fig, ax = plt.subplots(figsize=(7.2, 2.6), layout="constrained")
for position, layer in enumerate(model.layers):
    is_conv = layer in convs
    box = FancyBboxPatch((position * 2.2, 0), 1.8, 1, boxstyle="round,pad=0.05",
                         facecolor="C0" if is_conv else "0.85", edgecolor="0.3")
    ax.add_patch(box)
    middle = position * 2.2 + 0.9
    ax.text(middle, 0.68, f"[{position}]", ha="center", fontsize=11)
    ax.text(middle, 0.45, layer.name, ha="center", fontsize=12, weight="bold")
    shape = "x".join(str(d) for d in layer.output.shape[1:])
    ax.text(middle, 0.18, shape, ha="center", fontsize=11)
    if position:
        ax.annotate("", (position * 2.2 - 0.05, 0.5), (position * 2.2 - 0.35, 0.5),
                    arrowprops={"arrowstyle": "->"})
ax.set_xlim(-0.2, len(model.layers) * 2.2)
ax.set_ylim(-0.2, 1.2)
ax.set_axis_off()
ax.set_title("model.layers (orange: convolution layers)")

plt.show()  # shows the figures when run as a script

# %%
# What to try next
# ----------------
# :doc:`03_getting_weights` opens the first convolution layer and pulls out its kernels.

# sphinx_gallery_thumbnail_number = 1
