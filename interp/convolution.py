"""The convolution a ``keras.layers.Conv2D`` computes, written in numpy.

What Keras (like every deep-learning library) calls convolution is cross-correlation: the
kernel slides over the image *without* being flipped, and each output pixel is the sum of
the products of the kernel with the patch under it. :func:`convolve` computes exactly that,
with Keras's conventions for padding, strides and dilation, so its output can be checked
number by number against the network's.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._validate import as_real_array, check_choice, check_pair, describe

#: Bytes of patches (the im2col matrix) one worker builds at a time.
CHUNK_BYTES = 8 * 2**20
_WORKERS = max(1, min(4, os.cpu_count() or 1))
_CONTROLLER: list = []  # threadpoolctl's view of the loaded BLAS, found on first use


def _one_blas_thread():
    """Context in which BLAS runs one thread, so that the workers do not oversubscribe.

    Each worker's matmul would otherwise start BLAS's own threads, as many as there are
    cores, and the two pools fight: on two cores ``convolve`` took 1.6x as long.
    """
    if not _CONTROLLER:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1, user_api="blas")


def _output_size(size: int, k_eff: int, stride: int, padding: str) -> tuple[int, int]:
    """Return ``(output size, padding before)`` along one axis, as TensorFlow defines them."""
    if padding == "valid":
        return (size - k_eff) // stride + 1, 0
    out = -(-size // stride)
    total = max((out - 1) * stride + k_eff - size, 0)
    return out, total // 2  # the odd pixel goes after: bottom / right


def _check_shapes(image: np.ndarray, kern: np.ndarray) -> None:
    func = "convolve"
    if image.ndim not in (2, 3, 4):
        raise ValueError(
            f"{func}: image must be 2-D (height, width), 3-D (height, width, channels) or 4-D "
            f"(batch, height, width, channels), got {describe(image)}"
        )
    if kern.ndim not in (2, 3, 4):
        raise ValueError(
            f"{func}: kernel must be 2-D (kh, kw), 3-D (kh, kw, channels) or 4-D "
            f"(kh, kw, channels, n_kernels), got {describe(kern)}"
        )
    image_channels = 1 if image.ndim == 2 else image.shape[-1]
    kernel_channels = 1 if kern.ndim == 2 else kern.shape[2]
    if image_channels != kernel_channels:
        hint = ""
        if image.ndim == 3:
            hint = (
                " (a 3-D image is read as (height, width, channels); for a batch of "
                "grayscale images add a channel axis: images[..., np.newaxis])"
            )
        raise ValueError(
            f"{func}: image has {image_channels} channels but kernel expects "
            f"{kernel_channels}; image {describe(image)}, kernel {describe(kern)}{hint}"
        )


def _padded_rows(
    x: np.ndarray, pads: tuple[tuple[int, int], tuple[int, int]], start: int, stop: int
) -> np.ndarray:
    """Rows ``start:stop`` of *x* (n, h, w, c) as if it were zero-padded by *pads*."""
    top = pads[0][0]
    h = x.shape[1]
    lo, hi = start - top, stop - top  # the same rows in the unpadded image
    inside = x[:, max(lo, 0):min(max(hi, 0), h)]
    before = min(max(0, -lo), stop - start)
    after = (stop - start) - before - inside.shape[1]
    if before or after or any(pads[1]):
        inside = np.pad(inside, ((0, 0), (before, after), pads[1], (0, 0)))
    return inside


def _correlate_chunk(
    x: np.ndarray,
    k2: np.ndarray,
    out: np.ndarray,
    kh: int,
    kw: int,
    strides: tuple[int, int],
    dilation: tuple[int, int],
) -> None:
    """Correlate a padded chunk ``x`` (n, h, w, c) with ``k2`` (kh*kw*c, k) into ``out``."""
    n, _, _, c = x.shape
    _, oh, ow, k = out.shape
    (sh, sw), (dh, dw) = strides, dilation
    # im2col: one (kh, kw, c) patch per output pixel, built with kh * kw strided copies.
    patches = np.empty((n, oh, ow, kh, kw, c), dtype=k2.dtype)
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + (oh - 1) * sh + 1, sh)
            cols = slice(j * dw, j * dw + (ow - 1) * sw + 1, sw)
            patches[:, :, :, i, j, :] = x[:, rows, cols, :]
    np.matmul(patches.reshape(n * oh * ow, kh * kw * c), k2, out=out.reshape(n * oh * ow, k))


def convolve(
    image: np.ndarray,
    kernel: np.ndarray,
    *,
    padding: str = "valid",
    strides: int | tuple[int, int] = 1,
    dilation: int | tuple[int, int] = 1,
) -> np.ndarray:
    """Cross-correlate images with kernels exactly as ``keras.layers.Conv2D`` does.

    The kernel is not flipped (this is what deep learning calls convolution). No bias and
    no activation are applied; :func:`layer_response` adds those.

    Parameters
    ----------
    image : array-like
        ``(h, w)``, ``(h, w, c)`` or a batch ``(n, h, w, c)``, channels last. Integer and
        boolean images are converted to float32 (so uint8 pixels stay 0-255, not 0-1);
        floating images keep their precision.
    kernel : array-like
        ``(kh, kw)`` (one channel), ``(kh, kw, c)`` or a bank ``(kh, kw, c, k)`` as stored
        in a Conv2D layer. Kernel sizes may be even or non-square.
    padding : {"valid", "same"}, default "valid"
        ``"valid"``: only positions where the kernel fits inside the image. ``"same"``:
        zero padding so the output has ``ceil(size / stride)`` pixels; when the padding is
        odd, the extra pixel goes to the bottom and right, as in Keras.
    strides : int or (int, int), default 1
        Step between output pixels, rows then columns.
    dilation : int or (int, int), default 1
        Spacing between kernel taps. Keras rejects strides > 1 together with
        dilation > 1, and so does this function.

    Returns
    -------
    numpy.ndarray
        ``(oh, ow)`` for a 2-D or 3-D kernel on one image, ``(oh, ow, k)`` for a bank on
        one image, ``(n, oh, ow)`` for a 2-D or 3-D kernel on a batch and
        ``(n, oh, ow, k)`` for a bank on a batch. The dtype is the common floating type
        of the inputs (at least float32).

    Raises
    ------
    ValueError
        For a wrong number of dimensions, mismatched channels, a kernel larger than the
        image with ``"valid"`` padding, an unknown padding, strides or dilation below 1,
        strides > 1 combined with dilation > 1, NaN or inf values, or empty arrays.
    TypeError
        For non-numeric arrays or non-integer strides and dilation.

    Notes
    -----
    The work is an im2col followed by one matrix product per chunk; chunks keep the patch
    matrices at about ``CHUNK_BYTES`` each and run on a few threads (numpy releases the GIL
    in both steps). A chunk is several whole images, or, for an image too large for one,
    a band of output rows, so memory beyond the output stays bounded at any batch or
    image size.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> image = np.array([[0, 0, 1, 1]] * 3, dtype=float)   # dark left, bright right
    >>> vertical_edge = np.array([[-1, 0, 1]] * 3, dtype=float)
    >>> interp.convolve(image, vertical_edge)
    array([[3., 3.]])

    """
    func = "convolve"
    image = as_real_array(func, "image", image)
    kern = as_real_array(func, "kernel", kernel)
    _check_shapes(image, kern)
    padding = check_choice(func, "padding", padding, ("valid", "same"))
    strides = check_pair(func, "strides", strides)
    dilation = check_pair(func, "dilation", dilation)
    if max(strides) > 1 and max(dilation) > 1:
        raise ValueError(
            f"{func}: strides > 1 together with dilation > 1 is not supported by Keras "
            f"Conv2D, so there is nothing to match; got strides={strides}, dilation={dilation}"
        )

    dtype = np.result_type(image.dtype, kern.dtype, np.float32)
    x = image.reshape((*image.shape[:2], 1)) if image.ndim == 2 else image
    x = x if x.ndim == 4 else x[np.newaxis]
    kh, kw = kern.shape[:2]
    k4 = kern.reshape(kh, kw, -1, 1) if kern.ndim < 4 else kern
    n, h, w, c = x.shape
    n_kernels = k4.shape[3]

    sizes = []
    for axis, size, k, s, d in (("height", h, kh, strides[0], dilation[0]),
                                ("width", w, kw, strides[1], dilation[1])):
        k_eff = (k - 1) * d + 1
        if padding == "valid" and k_eff > size:
            raise ValueError(
                f"{func}: with padding='valid' the kernel must fit in the image, but its "
                f"{axis} spans {k_eff} pixels (size {k}, dilation {d}) and the image's "
                f"{axis} is {size}; use padding='same' or a smaller kernel"
            )
        sizes.append(_output_size(size, k_eff, s, padding))
    (oh, top), (ow, left) = sizes
    pads = (
        (top, max((oh - 1) * strides[0] + (kh - 1) * dilation[0] + 1 - h - top, 0)),
        (left, max((ow - 1) * strides[1] + (kw - 1) * dilation[1] + 1 - w - left, 0)),
    )

    # Kernel as a (kh*kw*c, k) matrix whose rows follow the patch layout (kh, kw, c).
    k2 = np.ascontiguousarray(k4, dtype=dtype).reshape(kh * kw * c, n_kernels)
    out = np.empty((n, oh, ow, n_kernels), dtype=dtype)
    per_row = ow * kh * kw * c * np.dtype(dtype).itemsize  # patch bytes per output row
    if oh * per_row <= CHUNK_BYTES:  # whole images per chunk
        chunk = max(1, CHUNK_BYTES // (oh * per_row))
        tasks = [(start, min(start + chunk, n), 0, oh) for start in range(0, n, chunk)]
    else:  # one large image: bands of output rows
        rows = max(1, CHUNK_BYTES // per_row)
        tasks = [(i, i + 1, r, min(r + rows, oh)) for i in range(n) for r in range(0, oh, rows)]
    span = (kh - 1) * dilation[0] + 1

    def work(task: tuple[int, int, int, int]) -> None:
        first, last, r0, r1 = task
        band = _padded_rows(x[first:last], pads, r0 * strides[0], (r1 - 1) * strides[0] + span)
        _correlate_chunk(band.astype(dtype, copy=False), k2, out[first:last, r0:r1],
                         kh, kw, strides, dilation)

    if len(tasks) > 1 and _WORKERS > 1:
        with _one_blas_thread(), ThreadPoolExecutor(_WORKERS) as pool:
            list(pool.map(work, tasks))
    else:
        for task in tasks:
            work(task)

    if kern.ndim < 4:
        out = out[..., 0]
    if image.ndim < 4:
        out = out[0]
    return out


def layer_response(layer, images: np.ndarray) -> np.ndarray:
    """Compute a Conv2D layer's output with :func:`convolve`: kernels, plus bias, activation.

    This is the layer's forward pass redone by hand; it equals the output of a Keras model
    that ends at *layer* (to float32 rounding).

    Parameters
    ----------
    layer : keras.layers.Conv2D
        A built convolution layer with ``data_format="channels_last"`` and ``groups=1``.
    images : array-like
        ``(n, h, w, c)`` or one image ``(h, w, c)``, where ``c`` is the layer's number of
        input channels.

    Returns
    -------
    numpy.ndarray
        ``(n, oh, ow, n_kernels)``, or ``(oh, ow, n_kernels)`` for one image.

    Raises
    ------
    TypeError
        If *layer* is not a convolution layer.
    ValueError
        If the layer uses ``channels_first`` or grouped convolution, or *images* has the
        wrong number of dimensions or channels.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> layer = interp.build_model().layers[0]
    >>> interp.layer_response(layer, np.zeros((2, 28, 28, 1))).shape
    (2, 26, 26, 5)

    """
    import keras

    from .kernels import check_conv_layer, get_kernels

    func = "layer_response"
    layer = check_conv_layer(func, layer)
    if layer.data_format != "channels_last" or layer.groups != 1:
        raise ValueError(
            f"{func}: only channels_last layers with groups=1 are supported, got "
            f"data_format={layer.data_format!r}, groups={layer.groups} for {layer.name!r}"
        )
    images = as_real_array(func, "images", images)
    if images.ndim not in (3, 4):
        raise ValueError(
            f"{func}: images must be (n, h, w, c) or one image (h, w, c), "
            f"got {describe(images)}"
        )
    kernels, bias = get_kernels(layer)
    if images.shape[-1] != kernels.shape[2]:
        raise ValueError(
            f"{func}: images must have {kernels.shape[2]} channels (the input channels of "
            f"{layer.name!r}), got {describe(images)}"
        )
    summed = convolve(
        images, kernels, padding=layer.padding, strides=layer.strides,
        dilation=layer.dilation_rate,
    )
    summed += bias
    return np.asarray(keras.ops.convert_to_numpy(layer.activation(summed)))
