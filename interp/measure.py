"""Numbers behind the words: where on an object a kernel's response is strong or weak.

A sentence such as "this kernel emphasizes the left edge of the shoe" is a claim about a
response map. :func:`border_masks` finds the object's outline in the image and
:func:`border_means` averages a response over each part of it, so the claim can be
computed and printed next to the figure it describes.
"""

from __future__ import annotations

import numpy as np

from ._validate import GRAYSCALE_IMAGE, as_2d, as_real_array, check_number, describe

PARTS = ("left", "right", "top", "bottom", "inside", "background")


def border_masks(image: np.ndarray, threshold: float = 0.2) -> dict[str, np.ndarray]:
    """Split an image into its object's four borders, its inside and the background.

    The object is every pixel brighter than *threshold*. In each row, the leftmost and
    rightmost object pixels form the left and right borders; in each column, the topmost
    and bottommost form the top and bottom borders. A pixel can belong to two borders
    (a corner).

    Parameters
    ----------
    image : array-like, shape (h, w) or (h, w, 1)
        One grayscale image, object bright on a dark background (as in Fashion-MNIST).
    threshold : float, default 0.2
        Brightness above which a pixel belongs to the object.

    Returns
    -------
    dict of str to numpy.ndarray of bool
        Masks shaped ``(h, w)`` under the keys ``"left"``, ``"right"``, ``"top"``,
        ``"bottom"``, ``"inside"`` (object pixels on no border) and ``"background"``.

    Raises
    ------
    ValueError
        If *image* is not one grayscale image or no pixel exceeds *threshold*.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> image = np.zeros((5, 5))
    >>> image[1:4, 1:4] = 1.0
    >>> masks = interp.border_masks(image)
    >>> np.argwhere(masks["left"])[:, 1].tolist()   # column 1 in every object row
    [1, 1, 1]

    """
    return _masks("border_masks", image, threshold)


def _masks(func: str, image: np.ndarray, threshold: float) -> dict[str, np.ndarray]:
    array = as_2d(func, "image", image, GRAYSCALE_IMAGE)
    threshold = check_number(func, "threshold", threshold)
    obj = array > threshold
    if not obj.any():
        raise ValueError(
            f"{func}: no pixel is brighter than threshold={threshold}; the image's maximum "
            f"is {float(array.max()):.3g}"
        )
    masks = {part: np.zeros(obj.shape, dtype=bool) for part in PARTS}
    rows = np.flatnonzero(obj.any(axis=1))
    cols = np.flatnonzero(obj.any(axis=0))
    masks["left"][rows, obj[rows].argmax(axis=1)] = True
    masks["right"][rows, obj.shape[1] - 1 - obj[rows, ::-1].argmax(axis=1)] = True
    masks["top"][obj[:, cols].argmax(axis=0), cols] = True
    masks["bottom"][obj.shape[0] - 1 - obj[::-1, cols].argmax(axis=0), cols] = True
    on_border = masks["left"] | masks["right"] | masks["top"] | masks["bottom"]
    masks["inside"] = obj & ~on_border
    masks["background"] = ~obj
    return masks


def border_means(
    response: np.ndarray, image: np.ndarray, threshold: float = 0.2
) -> dict[str, float]:
    """Average a response map over the borders, inside and background of an object.

    Parameters
    ----------
    response : array-like, shape (h, w)
        A response aligned pixel for pixel with *image*, e.g.
        ``interp.convolve(image, kernel, padding="same")``.
    image : array-like, shape (h, w) or (h, w, 1)
        The image the response was computed from.
    threshold : float, default 0.2
        Passed to :func:`border_masks`.

    Returns
    -------
    dict of str to float
        Mean response under the keys of :func:`border_masks` (NaN for an empty part).

    Raises
    ------
    ValueError
        If *response* is not 2-D with the image's height and width (a ``"valid"``
        response is smaller than the image and not aligned with it).

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> image = np.zeros((6, 6))
    >>> image[1:5, 1:5] = 1.0
    >>> response = interp.convolve(image, np.array([[-1.0, 0.0, 1.0]]), padding="same")
    >>> means = interp.border_means(response, image)
    >>> means["left"] > 0 > means["right"]
    True

    """
    func = "border_means"
    masks = _masks(func, image, threshold)
    values = as_real_array(func, "response", response)
    shape = next(iter(masks.values())).shape
    if values.shape != shape:
        raise ValueError(
            f"{func}: response must have the image's shape {shape} (use padding='same' "
            f"so they line up), got {describe(values)}"
        )
    return {
        part: float(values[mask].mean()) if mask.any() else float("nan")
        for part, mask in masks.items()
    }


def mass_on_object(attribution: np.ndarray, image: np.ndarray, threshold: float = 0.2) -> float:
    """Return the share of an attribution map's absolute mass that lies on the object.

    Parameters
    ----------
    attribution : array-like, shape (h, w)
        An attribution map for *image*.
    image : array-like, shape (h, w) or (h, w, 1)
        The image; its object is every pixel brighter than *threshold*.
    threshold : float, default 0.2
        As for :func:`border_masks`.

    Returns
    -------
    float
        ``sum(|attribution| on the object) / sum(|attribution|)``, in [0, 1]; NaN for an
        all-zero map. Compare it with the object's share of the pixels.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> image = np.zeros((4, 4))
    >>> image[:2] = 1.0
    >>> interp.mass_on_object(np.ones((4, 4)), image)
    0.5

    """
    func = "mass_on_object"
    masks = _masks(func, image, threshold)
    values = np.abs(as_real_array(func, "attribution", attribution))
    obj = ~masks["background"]
    if values.shape != obj.shape:
        raise ValueError(f"{func}: attribution must have the image's shape {obj.shape}, "
                         f"got {describe(values)}")
    total = float(values.sum())
    return float(values[obj].sum() / total) if total > 0 else float("nan")
