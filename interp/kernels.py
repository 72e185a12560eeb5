"""Pull convolution kernels out of a layer and slice single kernels from them."""

from __future__ import annotations

import keras
import numpy as np

from ._validate import check_index, describe

QUALIFYING = "keras.layers.Conv2D (or a subclass)"


def check_conv_layer(func: str, layer: object) -> keras.layers.Conv2D:
    """Return *layer* if it is a built 2-D convolution layer, else raise a clear error."""
    if not isinstance(layer, keras.layers.Conv2D):
        if isinstance(layer, keras.layers.Layer):
            given = f"{type(layer).__name__} layer {layer.name!r}"
        else:
            given = describe(layer)
        raise TypeError(
            f"{func}: layer must be a convolution layer with 2-D kernels, {QUALIFYING}; "
            f"got {given}"
        )
    if not layer.built:
        raise ValueError(
            f"{func}: layer {layer.name!r} has no weights yet; build the model first, e.g. "
            "model.build((None, 28, 28, 1)) or call it on a batch"
        )
    return layer


def get_kernels(layer: keras.layers.Conv2D) -> tuple[np.ndarray, np.ndarray]:
    """Return the kernels and biases of a convolution layer as numpy arrays.

    This is ``layer.get_weights()`` with its two entries named, and a bias of zeros when
    the layer was built with ``use_bias=False``.

    Parameters
    ----------
    layer : keras.layers.Conv2D
        A built convolution layer, e.g. from :func:`interp.pick_layer`.

    Returns
    -------
    kernels : numpy.ndarray, shape (kh, kw, in_channels, n_kernels)
        Axis 0 and 1 are the kernel's rows and columns, axis 2 the input channels it reads,
        axis 3 the kernels (one per output channel).
    bias : numpy.ndarray, shape (n_kernels,)

    Raises
    ------
    TypeError
        If *layer* is not a 2-D convolution layer (Dense, Flatten, ... have no kernels).
    ValueError
        If the layer is not built yet.

    Examples
    --------
    >>> import interp
    >>> model = interp.build_model()
    >>> kernels, bias = interp.get_kernels(model.layers[0])
    >>> kernels.shape, bias.shape
    ((3, 3, 1, 5), (5,))

    """
    layer = check_conv_layer("get_kernels", layer)
    weights = layer.get_weights()
    kernels = np.asarray(weights[0])
    bias = np.asarray(weights[1]) if layer.use_bias else np.zeros(kernels.shape[-1], kernels.dtype)
    return kernels, bias


def kernel(
    source: keras.layers.Conv2D | np.ndarray,
    index: int,
    channel: int | None = None,
) -> np.ndarray:
    """Return one kernel: 2-D for one input channel, 3-D across all of them.

    Parameters
    ----------
    source : keras.layers.Conv2D or numpy.ndarray
        A convolution layer, or a kernels array shaped ``(kh, kw, in_channels, n_kernels)``
        as returned by :func:`get_kernels`.
    index : int
        Which kernel (the last axis); negative counts from the end.
    channel : int, optional
        Which input channel. If given, or if there is only one input channel, the result is
        the 2-D ``(kh, kw)`` slice; otherwise it is ``(kh, kw, in_channels)``.

    Returns
    -------
    numpy.ndarray
        A copy, so changing it does not touch the layer.

    Raises
    ------
    IndexError
        If *index* or *channel* is out of range; the message gives the valid range.
    TypeError, ValueError
        If *source* is neither a convolution layer nor a 4-D array.

    Examples
    --------
    >>> import interp
    >>> layer = interp.build_model().layers[0]
    >>> interp.kernel(layer, 0).shape  # one input channel: collapsed to 3 x 3
    (3, 3)

    """
    func = "kernel"
    if isinstance(source, keras.layers.Layer):
        kernels = get_kernels(check_conv_layer(func, source))[0]
    else:
        kernels = np.asarray(source)
        if kernels.ndim != 4:
            raise ValueError(
                f"{func}: source must be a Conv2D layer or a kernels array shaped "
                f"(kh, kw, in_channels, n_kernels), got {describe(source)}"
            )
    n_channels, n_kernels = kernels.shape[2], kernels.shape[3]
    index = check_index(func, "index", index, n_kernels, "kernels")
    if channel is not None:
        channel = check_index(func, "channel", channel, n_channels, "input channels")
        return kernels[:, :, channel, index].copy()
    if n_channels == 1:
        return kernels[:, :, 0, index].copy()
    return kernels[:, :, :, index].copy()
