"""Pick layers out of a Keras model: by position, name, type or object, nested models included.

The Keras 3 quirks live here and nowhere else: a ``Sequential`` built without an ``Input``
has ``inputs`` but no ``input``; a model nested in another hides its layers one level down.
"""

from __future__ import annotations

import difflib
import numbers

import keras

from ._validate import check_int, describe


def check_model(func: str, model: object) -> keras.Model:
    """Return *model* if it is a Keras model, else raise a ``TypeError`` naming *func*."""
    if not isinstance(model, keras.Model):
        raise TypeError(f"{func}: model must be a keras.Model, got {describe(model)}")
    return model


def walk_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """Return every layer of *model*, depth first, descending into nested models.

    A nested model appears itself, followed by its own layers. Layers appear as
    ``model.layers`` lists them: a Functional model lists its ``InputLayer`` first, a
    Sequential model does not.

    Examples
    --------
    >>> import interp
    >>> [layer.name for layer in interp.walk_layers(interp.build_model())]
    ['conv1', 'conv2', 'flatten', 'dense']

    """
    check_model("walk_layers", model)
    found = []
    for layer in model.layers:
        found.append(layer)
        if isinstance(layer, keras.Model):
            found.extend(walk_layers(layer))
    return found


def _listing(model: keras.Model) -> str:
    rows = [f"{i}: {layer.name} ({type(layer).__name__})" for i, layer in enumerate(model.layers)]
    return "; ".join(rows)


def conv_layers(model: keras.Model) -> list[keras.layers.Conv2D]:
    """Return the 2-D convolution layers of *model*, in order, nested models included.

    Parameters
    ----------
    model : keras.Model
        A Sequential (with or without ``Input``), Functional or nested model.

    Returns
    -------
    list of keras.layers.Conv2D

    Examples
    --------
    >>> import interp
    >>> [layer.name for layer in interp.conv_layers(interp.build_model())]
    ['conv1', 'conv2']

    """
    check_model("conv_layers", model)
    return [layer for layer in walk_layers(model) if isinstance(layer, keras.layers.Conv2D)]


def pick_layer(
    model: keras.Model,
    which: int | str | type | keras.layers.Layer,
    *,
    nth: int = 0,
) -> keras.layers.Layer:
    """Return one layer of *model*, chosen by position, name, type or identity.

    Parameters
    ----------
    model : keras.Model
        A Sequential (with or without ``Input``), Functional or nested model.
    which : int, str, layer class or layer
        - an ``int``: a position in ``model.layers`` (negative counts from the end);
        - a ``str``: a layer name, searched in nested models too;
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
        If no layer has the name (the message lists the names and the closest one), no
        layer has the type, or a layer object is not part of *model*.
    TypeError
        If *model* is not a Keras model or *which* is of another kind.

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
    func = "pick_layer"
    check_model(func, model)
    if not isinstance(which, type):
        check_int(func, "nth", nth)
        if nth != 0:
            raise ValueError(f"{func}: nth is used only when which is a layer class, got nth={nth}")
    if isinstance(which, numbers.Integral) and not isinstance(which, bool):
        size = len(model.layers)
        if not -size <= int(which) < size:
            raise IndexError(
                f"{func}: which={int(which)} is out of range for a model with {size} layers; "
                f"allowed {-size}..{size - 1}. Layers: {_listing(model)}"
            )
        return model.layers[int(which)]
    layers = walk_layers(model)
    if isinstance(which, str):
        for layer in layers:
            if layer.name == which:
                return layer
        names = [layer.name for layer in layers]
        close = difflib.get_close_matches(which, names, n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"{func}: no layer named {which!r}; names are {names}.{hint}")
    if isinstance(which, type) and issubclass(which, keras.layers.Layer):
        matches = [layer for layer in layers if isinstance(layer, which)]
        if not matches:
            kinds = sorted({type(layer).__name__ for layer in layers})
            raise ValueError(
                f"{func}: the model has no {which.__name__} layer; its layer types are {kinds}"
            )
        nth = check_int(func, "nth", nth)
        if not -len(matches) <= nth < len(matches):
            raise IndexError(
                f"{func}: nth={nth} is out of range for {len(matches)} {which.__name__} "
                f"layers; allowed {-len(matches)}..{len(matches) - 1}"
            )
        return matches[nth]
    if isinstance(which, keras.layers.Layer):
        if any(layer is which for layer in layers):
            return which
        raise ValueError(
            f"{func}: layer {which.name!r} is not part of this model; "
            f"its layers are {[layer.name for layer in layers]}"
        )
    raise TypeError(
        f"{func}: which must be an int, a layer name, a layer class or a layer, "
        f"got {describe(which)}"
    )
