"""Figures of images, kernels and responses. Each takes arrays and returns matplotlib objects.

Signed quantities (kernel weights, responses) use a diverging colormap centred at zero
with symmetric limits, so white always means 0, red positive and blue negative;
non-negative ones (Grad-CAM) use a sequential colormap that is white at 0 as well. None
of these functions calls ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ._validate import (
    GRAYSCALE_IMAGE,
    ONE_KERNEL,
    as_2d,
    as_real_array,
    check_bool,
    check_choice,
    check_int,
    check_labels,
    check_number,
    check_text,
    describe,
)

DIVERGING = "RdBu_r"
#: Categorical colours, safe for colour-blind readers (Okabe and Ito, 2008): orange, sky
#: blue, bluish green, blue, vermillion, reddish purple, black and, last because it is
#: faint on white, yellow. The site draws its categorical colours ("C0" to "C7") from
#: this cycle.
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#000000",
             "#F0E442")
#: Non-negative maps (Grad-CAM): white at 0, like the diverging map's centre.
SEQUENTIAL = "Reds"
#: Kernels with at most this many cells get their values written in.
ANNOTATE_MAX_CELLS = 49
#: The largest side of a :func:`plot_patches` figure, in inches.
PATCH_FIGURE_INCHES = 14.0
#: How every text a caller gives (titles, names, labels) is drawn: literally. Matplotlib would
#: read "price_$5_$6.png" as a formula (and fail), or pass it to LaTeX with text.usetex on.
_LITERAL = {"parse_math": False, "usetex": False}


def _symmetric_limit(*arrays: np.ndarray) -> float:
    limit = max(float(np.abs(a).max()) for a in arrays)
    return limit if limit > 0 else 1.0


def _annotate(ax: Axes, values: np.ndarray, limit: float) -> None:
    for (row, col), value in np.ndenumerate(values):
        color = "white" if abs(value) > 0.6 * limit else "black"
        ax.text(col, row, f"{value:.2f}", ha="center", va="center", color=color, fontsize=9)


def _bare(ax: Axes) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


GRAY_OR_RGB = "one image, grayscale (h, w) or (h, w, 1), or RGB (h, w, 3)"


def _as_image(func: str, name: str, value: object) -> np.ndarray:
    """Return one image as ``(h, w)`` (grayscale) or ``(h, w, 3)`` (RGB)."""
    array = as_real_array(func, name, value)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim == 2 or (array.ndim == 3 and array.shape[2] == 3):
        return array
    raise ValueError(f"{func}: {name} must be {GRAY_OR_RGB}, got {describe(array)}")


def _show_image(ax: Axes, image: np.ndarray) -> None:
    """Draw a grayscale or RGB image with 0 black and max(1, its maximum) white."""
    top = max(1.0, float(image.max()))
    if image.ndim == 3:
        ax.imshow(np.clip(image / top, 0.0, 1.0))
    else:
        ax.imshow(image, cmap="gray", vmin=0.0, vmax=top)


def plot_kernel(
    kernel: np.ndarray,
    ax: Axes | None = None,
    *,
    annotate: bool | None = None,
    colorbar: bool = True,
    vmax: float | None = None,
    title: str | None = None,
) -> Axes:
    """Draw one 2-D kernel as a heat map centred at zero, with its values written in.

    Parameters
    ----------
    kernel : array-like, shape (kh, kw) or (kh, kw, 1)
        One kernel for one input channel, e.g. from :func:`interp.kernel`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is made if omitted.
    annotate : bool, optional
        Write each weight in its cell. Default: when the kernel has at most
        ``ANNOTATE_MAX_CELLS`` cells.
    colorbar : bool, default True
        Add a colorbar.
    vmax : float, optional
        Colour limit (the scale runs from ``-vmax`` to ``vmax``); default the kernel's
        largest absolute weight. Pass a shared value to compare kernels.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> ax = interp.plot_kernel(np.array([[-1.0, 0.0, 1.0]] * 3), title="vertical edge")
    >>> ax.images[0].get_clim(), [text.get_text() for text in ax.texts[:3]]
    ((-1.0, 1.0), ['-1.00', '0.00', '1.00'])

    """
    kern = as_2d("plot_kernel", "kernel", kernel, f"{ONE_KERNEL} or draw all with plot_kernels")
    title = check_text("plot_kernel", "title", title)
    annotate = check_bool("plot_kernel", "annotate", annotate, allow_none=True)
    colorbar = check_bool("plot_kernel", "colorbar", colorbar)
    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(f"plot_kernel: ax must be a matplotlib Axes or None, got {describe(ax)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(3.6, 3.0), layout="constrained")
    limit = (check_number("plot_kernel", "vmax", vmax, minimum=0.0, strict_minimum=True)
             if vmax is not None else _symmetric_limit(kern))
    shown = ax.imshow(kern, cmap=DIVERGING, vmin=-limit, vmax=limit)
    if annotate is None:
        annotate = kern.size <= ANNOTATE_MAX_CELLS
    if annotate:
        _annotate(ax, kern, limit)
    _bare(ax)
    if title is not None:
        ax.set_title(title, **_LITERAL)
    if colorbar:
        ax.figure.colorbar(shown, ax=ax, shrink=0.8, label="weight")
    return ax


def plot_kernels(
    source: object,
    *,
    annotate: bool = False,
    kernel_names: Sequence[str] | None = None,
    title: str | None = None,
    vmax: float | None = None,
) -> Figure:
    """Draw every kernel of a layer: one column per kernel, one row per input channel.

    All panels share one symmetric colour scale (and one colorbar), so weights can be
    compared across kernels and channels.

    Parameters
    ----------
    source : keras.layers.Conv2D or array-like
        A convolution layer, or kernels shaped ``(kh, kw, in_channels, n_kernels)``.
    annotate : bool, default False
        Write the weights in the cells.
    kernel_names : sequence of str, optional
        Column titles; default ``"kernel 0"``, ``"kernel 1"``, ...
    title : str, optional
        Figure title.
    vmax : float, optional
        Colour limit (the scale runs from ``-vmax`` to ``vmax``); default the largest
        absolute weight drawn. Pass the whole layer's to draw its kernels in several
        figures on one scale.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import interp
    >>> fig = interp.plot_kernels(interp.build_model().layers[0])
    >>> len(fig.axes)  # 5 kernels and a colorbar
    6

    """
    import keras

    from .kernels import check_conv_layer, get_kernels

    func = "plot_kernels"
    title = check_text(func, "title", title)
    annotate = check_bool(func, "annotate", annotate)
    if isinstance(source, keras.layers.Layer):
        kernels = get_kernels(check_conv_layer(func, source))[0]
        title = title if title is not None else f"kernels of {source.name!r}"
    else:
        kernels = as_real_array(func, "source", source)
        if kernels.ndim != 4:
            raise ValueError(
                f"{func}: source must be a Conv2D layer or kernels shaped "
                f"(kh, kw, in_channels, n_kernels), got {describe(kernels)}"
            )
    n_channels, n_kernels = kernels.shape[2], kernels.shape[3]
    if kernel_names is not None:
        kernel_names = check_labels(func, "kernel_names", kernel_names, n_kernels)
    limit = (check_number(func, "vmax", vmax, minimum=0.0, strict_minimum=True)
             if vmax is not None else _symmetric_limit(kernels))
    # A fixed layout in inches: constrained layout costs seconds on a 5 x 15 grid.
    cell = 1.35 if n_kernels > 8 else 1.8
    left, right, top, bottom = (0.9 if n_channels > 1 else 0.2), 1.2, 0.8, 0.15
    width, height = left + cell * n_kernels + right, top + cell * n_channels + bottom
    fig, axes = plt.subplots(n_channels, n_kernels, squeeze=False, figsize=(width, height))
    fig.subplots_adjust(left=left / width, right=(width - right) / width, wspace=0.12,
                        bottom=bottom / height, top=(height - top) / height, hspace=0.12)
    for c in range(n_channels):
        for k in range(n_kernels):
            ax = axes[c, k]
            shown = ax.imshow(kernels[:, :, c, k], cmap=DIVERGING, vmin=-limit, vmax=limit)
            if annotate:
                _annotate(ax, kernels[:, :, c, k], limit)
            _bare(ax)
            if c == 0:
                ax.set_title(kernel_names[k] if kernel_names else f"kernel {k}", fontsize=10,
                             **_LITERAL)
            if k == 0 and n_channels > 1:
                ax.set_ylabel(f"channel {c}", fontsize=10)
    bar = fig.add_axes((
        (width - right + 0.3) / width, bottom / height, 0.15 / width, cell * n_channels / height
    ))
    fig.colorbar(shown, cax=bar, label="weight")
    if title:
        fig.suptitle(title, y=1 - 0.2 / height, **_LITERAL)
    return fig


def plot_response(
    image: np.ndarray,
    kernel: np.ndarray,
    *,
    padding: str = "valid",
    titles: Sequence[str] = ("image", "kernel", "response"),
) -> Figure:
    """Show an image, a kernel and their convolution side by side.

    The response is drawn with the diverging colormap: red where the kernel emphasizes
    the image (large positive output), blue where it de-emphasizes it (negative output).

    Parameters
    ----------
    image : array-like, shape (h, w) or (h, w, 1)
        One grayscale image.
    kernel : array-like, shape (kh, kw) or (kh, kw, 1)
        One kernel.
    padding : {"valid", "same"}, default "valid"
        Passed to :func:`interp.convolve`.
    titles : sequence of three str
        Titles of the three panels.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> image = np.zeros((28, 28))
    >>> image[:, 14:] = 1.0
    >>> fig = interp.plot_response(image, np.array([[-1.0, 0.0, 1.0]] * 3))
    >>> response = fig.axes[2].images[0]   # 3 where the edge lies under the kernel
    >>> response.get_array()[0, 10:16].tolist(), response.get_clim()
    ([0.0, 0.0, 3.0, 3.0, 0.0, 0.0], (-3.0, 3.0))

    """
    from .convolution import convolve

    func = "plot_response"
    img = as_2d(func, "image", image, GRAYSCALE_IMAGE)
    kern = as_2d(func, "kernel", kernel, ONE_KERNEL)
    titles = check_labels(func, "titles", titles, 3)
    padding = check_choice(func, "padding", padding, ("valid", "same"))
    response = convolve(img, kern, padding=padding)
    fig, axes = plt.subplots(
        1, 3, figsize=(9.6, 3.3), layout="constrained", width_ratios=[1, 0.8, 1]
    )
    axes[0].imshow(img, cmap="gray")
    _bare(axes[0])
    axes[0].set_title(titles[0], **_LITERAL)
    plot_kernel(kern, ax=axes[1], title=titles[1], colorbar=False)
    limit = _symmetric_limit(response)
    shown = axes[2].imshow(response, cmap=DIVERGING, vmin=-limit, vmax=limit)
    _bare(axes[2])
    axes[2].set_title(titles[2], **_LITERAL)
    fig.colorbar(shown, ax=axes[2], shrink=0.85, label="response")
    return fig


def plot_images(
    images: np.ndarray,
    labels: Sequence[int] | np.ndarray | None = None,
    *,
    ncols: int = 8,
    class_names: Sequence[str] | None = None,
) -> Figure:
    """Draw grayscale or RGB images in a grid, titled with their class names.

    Parameters
    ----------
    images : array-like, shape (n, h, w), (n, h, w, 1) or (n, h, w, 3)
        Grayscale or RGB images (channels last), 0 black and 1 white (or the image's
        maximum, if larger).
    labels : sequence of int, optional
        One label per image; titles are ``class_names[label]``.
    ncols : int, default 8
        Images per row.
    class_names : sequence of str, optional
        Default :data:`interp.CLASS_NAMES`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import interp
    >>> _, (x_test, y_test) = interp.load_fashion_mnist()
    >>> fig = interp.plot_images(x_test[:16], y_test[:16])
    >>> len(fig.axes), [ax.get_title() for ax in fig.axes[:3]]
    (16, ['Ankle boot', 'Pullover', 'Trouser'])

    """
    from .data import CLASS_NAMES

    func = "plot_images"
    array = as_real_array(func, "images", images)
    if array.ndim == 3 and array.shape[2] in (1, 3):
        raise ValueError(
            f"{func}: images must be a batch, (n, h, w), (n, h, w, 1) or (n, h, w, 3), got "
            f"{describe(array)}, which is one image; pass images[np.newaxis] or x[i:i + 1]"
        )
    if array.ndim == 4 and array.shape[3] == 1:
        array = array[..., 0]
    if array.ndim != 3 and not (array.ndim == 4 and array.shape[3] == 3):
        raise ValueError(
            f"{func}: images must be (n, h, w), (n, h, w, 1) or (n, h, w, 3), "
            f"got {describe(array)}"
        )
    ncols = check_int(func, "ncols", ncols, minimum=1)
    names = CLASS_NAMES if class_names is None else check_labels(func, "class_names", class_names)
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (len(array),):
            raise ValueError(
                f"{func}: labels must hold one label per image ({len(array)}), "
                f"got {describe(labels)}"
            )
        if labels.dtype.kind not in "iu" or labels.min() < 0 or labels.max() >= len(names):
            raise ValueError(
                f"{func}: labels must be integers in 0..{len(names) - 1}, got {describe(labels)}"
            )
    n = len(array)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, squeeze=False, figsize=(1.3 * ncols, 1.5 * nrows), layout="constrained"
    )
    for i, ax in enumerate(axes.flat):
        _bare(ax)
        if i >= n:
            ax.set_axis_off()
            continue
        _show_image(ax, array[i])
        if labels is not None:
            ax.set_title(names[int(labels[i])], fontsize=9, **_LITERAL)
    return fig


def plot_patches(
    patches: np.ndarray,
    *,
    row_labels: Sequence[str] | None = None,
    title: str | None = None,
    vmax: float = 1.0,
) -> Figure:
    """Draw a grid of small patches as one image, e.g. top-activating crops.

    Drawing one picture instead of one axes per patch keeps a 15 × 9 grid fast. The
    figure is at most ``PATCH_FIGURE_INCHES`` (14) inches on a side: a large grid, or one
    of large patches, gets smaller patches rather than a larger figure.

    Parameters
    ----------
    patches : array-like, shape (rows, cols, h, w), (rows, cols, h, w, 1) or (rows, cols, h, w, 3)
        Grayscale or RGB patches, for example the output of :func:`interp.crop_patches`.
    row_labels : sequence of str, optional
        One label per row, written on the left; default the row numbers.
    title : str, optional
        Figure title.
    vmax : float, default 1.0
        The pixel value drawn white (0 is black); in RGB, the value of a full channel.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> fig = interp.plot_patches(np.random.default_rng(0).random((5, 9, 3, 3)))
    >>> fig.axes[0].images[0].get_array().shape  # 5 x 9 patches, each enlarged to 15 x 15
    (79, 143)

    """
    func = "plot_patches"
    title = check_text(func, "title", title)
    array = as_real_array(func, "patches", patches)
    if array.ndim == 5 and array.shape[4] == 1:
        array = array[..., 0]
    rgb = array.ndim == 5 and array.shape[4] == 3
    if array.ndim != 4 and not rgb:
        raise ValueError(
            f"{func}: patches must be (rows, cols, h, w), (rows, cols, h, w, 1) or "
            f"(rows, cols, h, w, 3), got {describe(array)}"
        )
    rows, cols, h, w = array.shape[:4]
    if row_labels is not None:
        row_labels = check_labels(func, "row_labels", row_labels, rows)
    vmax = check_number(func, "vmax", vmax, minimum=0.0, strict_minimum=True)
    labels = row_labels if row_labels is not None else [str(r) for r in range(rows)]
    # margins in inches: the row labels (about 0.075 inch a character at 10 points) on the
    # left, the title on top, and room at the bottom for column labels a caller may add
    left = 0.3 + 0.075 * max(len(label) for label in labels)
    right, bottom, top = 0.15, 0.35, 0.45 if title else 0.15
    inches = 0.6 + 0.035 * w  # per patch: bigger patches get more room
    zoom = max(1, 15 // max(h, w))  # small patches are enlarged so a 1-pixel gap is thin
    array = array.repeat(zoom, axis=2).repeat(zoom, axis=3)
    h, w, gap = h * zoom, w * zoom, 1
    gap_color = (0x4C / 255, 0x72 / 255, 0xB0 / 255)  # gaps: blue, not a gray
    size = (rows * (h + gap) - gap, cols * (w + gap) - gap)
    mosaic = np.full((*size, 3) if rgb else size, np.nan)
    for r in range(rows):
        for c in range(cols):
            mosaic[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = array[r, c]
    # inches per mosaic pixel, so that the figure stays within its bounds; the axes are
    # placed by hand, to the mosaic's own shape, with no layout engine to fit
    scale = min(inches / (w + gap), (PATCH_FIGURE_INCHES - left - right) / size[1],
                (PATCH_FIGURE_INCHES - bottom - top) / size[0])
    mosaic_w, mosaic_h = scale * size[1], scale * size[0]
    width, height = left + mosaic_w + right, bottom + mosaic_h + top
    fig = plt.figure(figsize=(width, height))
    ax = fig.add_axes((left / width, bottom / height, mosaic_w / width, mosaic_h / height))
    if rgb:
        mosaic = np.clip(mosaic / vmax, 0.0, 1.0)
        mosaic[np.isnan(mosaic).any(axis=-1)] = gap_color
        ax.imshow(mosaic, interpolation="nearest")
    else:
        cmap = plt.get_cmap("gray").with_extremes(bad=gap_color)
        ax.imshow(mosaic, cmap=cmap, vmin=0.0, vmax=vmax, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([r * (h + gap) + (h - 1) / 2 for r in range(rows)])
    ax.set_yticklabels(labels, **_LITERAL)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title, **_LITERAL)
    return fig


def plot_feature_maps(
    maps: np.ndarray,
    image: np.ndarray | None = None,
    *,
    ncols: int = 8,
    signed: bool | None = None,
    channel_names: Sequence[str] | None = None,
    title: str | None = None,
) -> Figure:
    """Draw one image's feature maps, one panel per channel, on one shared colour scale.

    Sharing the scale (and one colorbar) shows which channels respond strongly and which
    hardly at all. Non-negative maps (after a ReLU) are drawn with the sequential
    ``Reds`` from 0 (white) to the largest value; signed maps with the diverging colormap,
    white at 0 and symmetric limits.

    Parameters
    ----------
    maps : array-like, shape (h, w, channels) or (h, w)
        One image's output of a layer, channels last, e.g.
        ``interp.feature_maps(model, x, "conv1")["conv1"][0]``.
    image : array-like, optional
        The input image, grayscale ``(h, w)``/``(h, w, 1)`` or RGB ``(h, w, 3)``, drawn
        first (its size may differ from the maps').
    ncols : int, default 8
        Panels per row; the channels wrap onto as many rows as needed.
    signed : bool, optional
        Draw with the diverging colormap (True) or the sequential one (False). Default:
        diverging when any value is negative.
    channel_names : sequence of str, optional
        One title per channel; default ``"channel 0"``, ``"channel 1"``, ...
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If *maps* is not 2-D or 3-D, or has negative values while ``signed=False``.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> x = np.random.default_rng(0).random((1, 28, 28, 1))
    >>> maps = interp.feature_maps(model, x, "conv1")["conv1"][0]
    >>> fig = interp.plot_feature_maps(maps, x[0], ncols=6)
    >>> len(fig.axes)  # the image, the maps (one mosaic) and a colorbar
    3

    """
    func = "plot_feature_maps"
    title = check_text(func, "title", title)
    signed = check_bool(func, "signed", signed, allow_none=True)
    ncols = check_int(func, "ncols", ncols, minimum=1)
    array = as_real_array(func, "maps", maps)
    if array.ndim == 2:
        array = array[:, :, np.newaxis]
    if array.ndim != 3:
        raise ValueError(f"{func}: maps must be one image's maps, (h, w, channels) or (h, w), "
                         f"got {describe(array)}")
    n_channels = array.shape[2]
    if channel_names is not None:
        channel_names = check_labels(func, "channel_names", channel_names, n_channels)
    img = None if image is None else _as_image(func, "image", image)
    if signed is None:
        signed = bool(array.min() < 0)
    elif not signed and array.min() < 0:
        raise ValueError(f"{func}: maps must be non-negative when drawn with signed=False, "
                         f"got a minimum of {array.min():.3g}; draw them as signed")
    cols = min(ncols, n_channels)
    rows = -(-n_channels // cols)
    h, w = array.shape[:2]
    # One mosaic image with gaps instead of one axes per channel: a figure of 64 maps
    # draws in a fraction of a second. Row gaps leave room for the channel names.
    col_gap, row_gap = max(1, round(0.08 * w)), max(2, round(0.3 * h))
    mosaic = np.full((rows * (h + row_gap), cols * (w + col_gap) - col_gap), np.nan)
    corners = []
    for k in range(n_channels):
        r, c = divmod(k, cols)
        top, left = r * (h + row_gap) + row_gap, c * (w + col_gap)
        mosaic[top:top + h, left:left + w] = array[:, :, k]
        corners.append((top, left))
    cell = 1.1  # inches per map
    scale = cell / w
    mosaic_w, mosaic_h = mosaic.shape[1] * scale, mosaic.shape[0] * scale
    image_w = cell * 1.1 if img is not None else 0.0
    left_in, bar_in, top_in, bottom_in = 0.15, 1.0, 0.35 * bool(title) + 0.05, 0.1
    width = left_in + image_w + (0.25 if img is not None else 0.0) + mosaic_w + bar_in
    height = top_in + max(mosaic_h, image_w + cell * 0.3) + bottom_in
    fig = plt.figure(figsize=(width, height))
    peak = float(np.abs(array).max())
    limit = peak if peak > 0 else 1.0
    cmap, vmin = (DIVERGING, -limit) if signed else (SEQUENTIAL, 0.0)
    if img is not None:
        ax_img = fig.add_axes((left_in / width, (height - top_in - cell * 0.3 - image_w) / height,
                               image_w / width, image_w / height))
        _show_image(ax_img, img)
        ax_img.set_title("input", fontsize=9)
        _bare(ax_img)
    x0 = left_in + image_w + (0.25 if img is not None else 0.0)
    ax = fig.add_axes((x0 / width, (height - top_in - mosaic_h) / height,
                       mosaic_w / width, mosaic_h / height))
    shown = ax.imshow(mosaic, cmap=plt.get_cmap(cmap).with_extremes(bad="white"), vmin=vmin,
                      vmax=limit, interpolation="nearest", aspect="equal")
    ax.set_axis_off()
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Rectangle

    frames = [Rectangle((left - 0.5, top - 0.5), w, h) for top, left in corners]
    ax.add_collection(PatchCollection(frames, facecolor="none", edgecolor="0.25", linewidth=0.6,
                                      clip_on=False))
    for k, (top, left) in enumerate(corners):
        name = channel_names[k] if channel_names else f"channel {k}"
        ax.text(left + w / 2 - 0.5, top - 0.9, name, ha="center", va="bottom", fontsize=8,
                **_LITERAL)
    bar = fig.add_axes(((x0 + mosaic_w + 0.2) / width, (height - top_in - mosaic_h) / height,
                        0.13 / width, mosaic_h / height))
    fig.colorbar(shown, cax=bar, label="activation")
    if title:
        fig.suptitle(title, y=1 - 0.08 / height, va="top", fontsize=11, **_LITERAL)
    return fig


def _scale_text(limit: float, signed: bool) -> str:
    return f"scale ±{limit:.2g}" if signed else f"scale 0 to {limit:.2g}"


def plot_attributions(
    image: np.ndarray,
    maps: dict[str, np.ndarray],
    *,
    signed: bool | Mapping[str, bool] = True,
    axes: Sequence[Axes] | None = None,
    title: str | None = None,
    colorbar: bool = True,
) -> Figure:
    """Show an image next to its attribution maps, each on its own scale.

    The colormap depends on what a map *can* hold, never on the values it happens to
    hold, so one method looks the same on every image. A signed map (saliency,
    integrated gradients, occlusion, whose drop can be negative) is drawn with the
    diverging colormap from ``-m`` to ``m``, ``m`` its largest absolute value: white is
    0, red positive, blue negative. A non-negative map (Grad-CAM, ``|saliency|``) is
    drawn with the sequential ``Reds`` from 0 (white) to its maximum. A map that is zero
    everywhere is drawn white, marked "all zero" and given no colorbar, since it has no
    scale.

    Parameters
    ----------
    image : array-like, shape (h, w), (h, w, 1) or (h, w, 3)
        The explained image, grayscale or RGB (channels last), 0 black.
    maps : dict of str to array-like, each shaped (h, w)
        Attribution maps by name, e.g. ``{"saliency": interp.saliency(model, x)[0]}``.
    signed : bool or mapping of str to bool, default True
        Whether each map is drawn as signed (diverging) or non-negative (sequential).
        One bool applies to every map; a mapping names the maps it sets, and the others
        are drawn as signed.
    axes : sequence of matplotlib.axes.Axes, optional
        ``1 + len(maps)`` axes to draw into (a row of a larger figure); default a new figure.
    title : str, optional
        Title over the image panel.
    colorbar : bool, default True
        Add a colorbar to each map. With False, each map's scale is written under it
        instead (``"scale ±m"`` or ``"scale 0 to m"``), so a grid of maps stays readable.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If a map's shape differs from the image's, a map drawn as non-negative has
        negative values, or *signed* names a map that is not in *maps*.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> image = np.zeros((28, 28))
    >>> noise = np.random.default_rng(0).normal(size=(28, 28))
    >>> fig = interp.plot_attributions(image, {"noise": noise, "|noise|": np.abs(noise)},
    ...                                signed={"|noise|": False})
    >>> [ax.images[0].get_cmap().name for ax in fig.axes[1:3]]
    ['RdBu_r', 'Reds']

    """
    func = "plot_attributions"
    title = check_text(func, "title", title)
    colorbar = check_bool(func, "colorbar", colorbar)
    img = _as_image(func, "image", image)
    if not isinstance(maps, dict) or not maps:
        raise TypeError(f"{func}: maps must be a non-empty dict of name to (h, w) array, "
                        f"got {describe(maps)}")
    if isinstance(signed, (bool, np.bool_)):
        kinds = dict.fromkeys(maps, bool(signed))
    elif isinstance(signed, Mapping):
        unknown = [name for name in signed if name not in maps]
        if unknown:
            raise ValueError(f"{func}: signed must name maps in maps ({list(maps)}), "
                             f"got {unknown}")
        kinds = {name: bool(signed.get(name, True)) for name in maps}
    else:
        raise TypeError(f"{func}: signed must be a bool or a mapping of map name to bool, "
                        f"got {describe(signed)}")
    arrays = {}
    for name, values in maps.items():
        array = as_real_array(func, f"maps[{name!r}]", values)
        if array.shape != img.shape[:2]:
            raise ValueError(f"{func}: maps[{name!r}] must have the image's shape {img.shape[:2]}, "
                             f"got {describe(array)}")
        if not kinds[name] and array.min() < 0:
            raise ValueError(f"{func}: maps[{name!r}] must be non-negative when drawn with "
                             f"signed=False, got a minimum of {array.min():.3g}; draw it as "
                             f"signed")
        arrays[name] = array
    if axes is None:
        fig, axes = plt.subplots(1, 1 + len(arrays), figsize=(2.6 * (1 + len(arrays)), 2.8),
                                 layout="constrained")
    elif (isinstance(axes, (str, bytes)) or not hasattr(axes, "__len__")
          or not all(isinstance(ax, Axes) for ax in np.ravel(np.asarray(axes, dtype=object)))):
        raise TypeError(f"{func}: axes must be a sequence of matplotlib Axes, "
                        f"got {describe(axes)}")
    elif len(axes) != 1 + len(arrays):
        raise ValueError(f"{func}: axes must hold {1 + len(arrays)} axes, got {len(axes)}")
    fig = axes[0].figure
    if img.ndim == 2:
        axes[0].imshow(img, cmap="gray")
    else:
        _show_image(axes[0], img)
    axes[0].set_title(title or "image", fontsize=10, **_LITERAL)
    _bare(axes[0])
    for ax, (name, array) in zip(axes[1:], arrays.items(), strict=True):
        is_signed = kinds[name]
        peak = float(np.abs(array).max())
        limit = peak if peak > 0 else 1.0
        if is_signed:
            shown = ax.imshow(array, cmap=DIVERGING, vmin=-limit, vmax=limit)
        else:
            shown = ax.imshow(array, cmap=SEQUENTIAL, vmin=0.0, vmax=limit)
        ax.set_title(name, fontsize=10, **_LITERAL)
        _bare(ax)
        if peak == 0:
            ax.text(0.5, 0.5, "all zero", transform=ax.transAxes, ha="center", va="center",
                    fontsize=10, color="0.3")
            if not colorbar:
                ax.set_xlabel("empty map", fontsize=9)
        elif colorbar:
            fig.colorbar(shown, ax=ax, shrink=0.75)
        else:
            ax.set_xlabel(_scale_text(limit, is_signed), fontsize=9)
    return fig
