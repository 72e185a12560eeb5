"""Pick layers out of a Keras model: by position, name or path, type or object.

Nested models are searched too. A layer inside a nested model ``inner`` has the path
``"inner/conv"``; paths stay unique when nested models reuse layer names, and every
function that takes a layer accepts them.
"""

from __future__ import annotations

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
