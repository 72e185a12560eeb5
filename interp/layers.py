"""Pick layers out of a Keras model: by position, name or path, type or object.

Nested models are searched too. A layer inside a nested model ``inner`` has the path
``"inner/conv"``; paths stay unique when nested models reuse layer names, and every
function that takes a layer accepts them.
"""

from __future__ import annotations

from typing import NamedTuple

import keras

from . import _model


def walk_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """Return every layer of *model*, depth first, descending into nested models.

    A nested model appears itself, followed by its own layers. Layers appear as
    ``model.layers`` lists them: a Functional model lists its ``InputLayer`` first, a
    Sequential model does not. :func:`layer_paths` gives the same layers with their
    unique paths.

    Parameters
    ----------
    model : keras.Model
        A Sequential (with or without ``Input``), Functional or nested model.

    Returns
    -------
    list of keras.layers.Layer

    Examples
    --------
    >>> import interp
    >>> [layer.name for layer in interp.walk_layers(interp.build_model())]
    ['conv1', 'conv2', 'flatten', 'dense']

    """
    _model.check_model("walk_layers", model)
    return [layer for _, layer in _model.walk(model)]


def layer_paths(model: keras.Model) -> dict[str, keras.layers.Layer]:
    """Return ``{path: layer}`` for every layer of *model*, nested models included.

    Parameters
    ----------
    model : keras.Model
        A Sequential (with or without ``Input``), Functional or nested model.

    Returns
    -------
    dict of str to keras.layers.Layer
        In walk order (see :func:`walk_layers`). A top-level layer's path is its name;
        a layer of a nested model ``inner`` has the path ``"inner/name"``.

    Examples
    --------
    >>> import keras
    >>> import interp
    >>> inner = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3, name="conv")],
    ...                          name="inner")
    >>> outer = keras.Sequential([inner, keras.layers.Conv2D(2, 3, name="conv")])
    >>> list(interp.layer_paths(outer))
    ['inner', 'inner/conv', 'conv']

    """
    _model.check_model("layer_paths", model)
    return dict(_model.walk(model))


def conv_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """Return the convolution layers of *model*, in order, nested models included.

    Parameters
    ----------
    model : keras.Model
        A Sequential (with or without ``Input``), Functional or nested model.

    Returns
    -------
    list of keras.layers.Layer
        Every ``Conv1D``, ``Conv2D`` and ``Conv3D`` (subclasses included).

    Examples
    --------
    >>> import interp
    >>> [layer.name for layer in interp.conv_layers(interp.build_model())]
    ['conv1', 'conv2']

    """
    _model.check_model("conv_layers", model)
    return _model.conv_layers(model)


def pick_layer(
    model: keras.Model,
    which: int | str | type | keras.layers.Layer,
    *,
    nth: int = 0,
) -> keras.layers.Layer:
    """Return one layer of *model*, chosen by position, name or path, type or identity.

    Parameters
    ----------
    model : keras.Model
        A Sequential (with or without ``Input``), Functional or nested model.
    which : int, str, layer class or layer
        - an ``int``: a position in ``model.layers`` (negative counts from the end);
        - a ``str``: a layer path such as ``"inner/conv"``, or a plain name, searched in
          nested models too (a name used by several nested layers must be given as a
          path);
        - a layer class such as ``keras.layers.Conv2D``: the *nth* layer of that type
          (subclasses count), nested models included, depth first;
        - a layer object: returned if it belongs to *model*.
    nth : int, default 0
        With a class, which match to return (0 is the first; negative counts from the end).

    Returns
    -------
    keras.layers.Layer

    Raises
    ------
    IndexError
        If an index or *nth* is out of range; the message gives the valid range and lists
        the layers.
    ValueError
        If no layer has the name (the message lists the paths and the closest one), a
        name is ambiguous, no layer has the type, or a layer object is not part of
        *model*.
    TypeError
        If *model* is not a Keras model (or is subclassed, so its layers cannot be
        reached), or *which* is of another kind.

    Examples
    --------
    >>> import keras
    >>> import interp
    >>> model = interp.build_model()
    >>> interp.pick_layer(model, 0).name
    'conv1'
    >>> interp.pick_layer(model, "dense").name
    'dense'
    >>> interp.pick_layer(model, keras.layers.Conv2D, nth=1).name
    'conv2'

    """
    return _model.pick("pick_layer", model, which, nth=nth)


class LayerInfo(NamedTuple):
    """One row of :func:`layer_table`.

    Attributes
    ----------
    path : str
        The layer's unique path (``"inner/conv"`` inside a nested model ``inner``): the
        name every function that takes a layer accepts.
    type : str
        The layer's class name, e.g. ``"Conv2D"``.
    output_shape : tuple or None
        One example's output shape, without the batch axis (``None`` inside it where any
        size is accepted); ``None`` when Keras does not know it (a layer called in
        several places). A layer with several outputs has a tuple of shapes.
    kernel_shape : tuple of int or None
        For a convolution (Conv1D, Conv2D, Conv3D), its kernel's shape, e.g.
        ``(kh, kw, in_channels, n_kernels)`` for Conv2D; ``None`` for other layers.
    params : int
        The layer's number of weights (a nested model counts all of its layers').

    """

    path: str
    type: str
    output_shape: tuple | None
    kernel_shape: tuple[int, ...] | None
    params: int


def layer_table(model: keras.Model) -> list[LayerInfo]:
    """Return one row per layer: its path, type, output shape, kernel shape and size.

    The rows follow :func:`layer_paths`: depth first, a nested model before its own
    layers. This is what the ``interp layers MODEL.keras`` command prints.

    Parameters
    ----------
    model : keras.Model
        A built Sequential (with or without ``Input``), Functional or nested model.

    Returns
    -------
    list of LayerInfo

    Raises
    ------
    TypeError
        If *model* is not a Keras model.

    Examples
    --------
    >>> import interp
    >>> for row in interp.layer_table(interp.build_model()):
    ...     print(row.path, row.type, row.output_shape, row.kernel_shape, row.params)
    conv1 Conv2D (26, 26, 5) (3, 3, 1, 5) 50
    conv2 Conv2D (24, 24, 15) (3, 3, 5, 15) 690
    flatten Flatten (8640,) None 0
    dense Dense (10,) None 86410

    """
    _model.check_model("layer_table", model)
    rows = []
    for path, layer in _model.walk(model):
        kernel = getattr(layer, "kernel", None) if _model.is_conv(layer) else None
        rows.append(LayerInfo(
            path=path,
            type=type(layer).__name__,
            output_shape=_model.output_shape(layer),
            kernel_shape=None if kernel is None else tuple(int(d) for d in kernel.shape),
            params=int(layer.count_params()) if layer.built else 0,
        ))
    return rows
