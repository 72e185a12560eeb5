"""Numbers behind the words: where on an object a kernel's response is strong or weak.

A sentence such as "this kernel emphasizes the left edge of the shoe" is a claim about a
response map. :func:`border_masks` finds the object's outline in the image,
:func:`border_means` averages a response over each part of it, and
:func:`outline_response` turns those averages into signed verdicts ("emphasized",
"suppressed" or "neither") by a stated rule, so the claim can be computed and printed
next to the figure it describes.
"""

from __future__ import annotations

import dataclasses
import numbers

import numpy as np

from ._validate import GRAYSCALE_IMAGE, as_2d, as_real_array, check_number, describe

PARTS = ("left", "right", "top", "bottom", "inside", "background")
#: The four sides of an object's outline.
SIDES = ("left", "right", "top", "bottom")
#: A part is emphasized (suppressed) when its mean response is at least this share of the
#: response map's largest absolute value above (below) zero.
SHARE = 0.1
EMPHASIZED, SUPPRESSED, NEITHER = "emphasized", "suppressed", "neither"


def border_masks(
    image: np.ndarray, threshold: float = 0.2, *, outside: bool = False
) -> dict[str, np.ndarray]:
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
    outside : bool, default False
        Also put into each border the background pixel just outside it: left of each
        left-border pixel, right of each right-border pixel, above each top-border pixel
        and below each bottom-border pixel (when that pixel is in the image). A border
        then straddles the object's edge, as an edge response does.

    Returns
    -------
    dict of str to numpy.ndarray of bool
        Masks shaped ``(h, w)`` under the keys ``"left"``, ``"right"``, ``"top"``,
        ``"bottom"``, ``"inside"`` (object pixels on no border) and ``"background"``
        (every pixel not on the object; with ``outside=True`` it overlaps the borders).

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
    >>> wide = interp.border_masks(image, outside=True)
    >>> sorted(set(np.argwhere(wide["left"])[:, 1].tolist()))  # and column 0 beside it
    [0, 1]

    """
    return _masks("border_masks", image, threshold, outside)


def _masks(func: str, image: object, threshold: object, outside: object) -> dict[str, np.ndarray]:
    if not isinstance(outside, (bool, np.bool_)):
        raise TypeError(f"{func}: outside must be True or False, got {describe(outside)}")
    array = as_2d(func, "image", image, GRAYSCALE_IMAGE)
    threshold = check_number(func, "threshold", threshold)
    obj = array > threshold
    if not obj.any():
        raise ValueError(
            f"{func}: no pixel is brighter than threshold={threshold}; the image's maximum "
            f"is {float(array.max()):.3g}"
        )
    height, width = obj.shape
    masks = {part: np.zeros(obj.shape, dtype=bool) for part in PARTS}
    rows = np.flatnonzero(obj.any(axis=1))
    cols = np.flatnonzero(obj.any(axis=0))
    left = obj[rows].argmax(axis=1)
    right = width - 1 - obj[rows, ::-1].argmax(axis=1)
    top = obj[:, cols].argmax(axis=0)
    bottom = height - 1 - obj[::-1, cols].argmax(axis=0)
    masks["left"][rows, left] = True
    masks["right"][rows, right] = True
    masks["top"][top, cols] = True
    masks["bottom"][bottom, cols] = True
    on_border = masks["left"] | masks["right"] | masks["top"] | masks["bottom"]
    masks["inside"] = obj & ~on_border
    masks["background"] = ~obj
    if outside:
        keep = left > 0
        masks["left"][rows[keep], left[keep] - 1] = True
        keep = right < width - 1
        masks["right"][rows[keep], right[keep] + 1] = True
        keep = top > 0
        masks["top"][top[keep] - 1, cols[keep]] = True
        keep = bottom < height - 1
        masks["bottom"][bottom[keep] + 1, cols[keep]] = True
    return masks


def border_means(
    response: np.ndarray, image: np.ndarray, threshold: float = 0.2, *, outside: bool = False
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
    outside : bool, default False
        Passed to :func:`border_masks`: include the pixel just outside each border.

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
    masks = _masks(func, image, threshold, outside)
    values = _aligned_response(func, response, masks)
    return {
        part: float(values[mask].mean()) if mask.any() else float("nan")
        for part, mask in masks.items()
    }


def _aligned_response(func: str, response: object, masks: dict[str, np.ndarray]) -> np.ndarray:
    values = as_real_array(func, "response", response)
    shape = masks["background"].shape
    if values.shape != shape:
        raise ValueError(
            f"{func}: response must have the image's shape {shape} (use padding='same' "
            f"so they line up), got {describe(values)}"
        )
    return values.astype(np.float64)


def _verdict(mean: float, limit: float) -> str:
    if mean > 0 and mean >= limit:
        return EMPHASIZED
    if mean < 0 and mean <= -limit:
        return SUPPRESSED
    return NEITHER


@dataclasses.dataclass(frozen=True)
class OutlineResponse:
    """Signed verdicts on how a response treats each side of an object's outline.

    Made by :func:`outline_response`; see there for the rule.

    Attributes
    ----------
    means : dict of str to float
        Mean response on each side (``"left"``, ``"right"``, ``"top"``, ``"bottom"``:
        the outermost object pixel and the pixel just outside it) and ``"inside"`` (the
        object's pixels on no border). NaN for an empty part.
    scale : float
        The response map's largest absolute value, over the whole map.
    share : float
        The rule's share of *scale* (default ``SHARE`` = 0.1).
    verdicts : dict of str to str
        ``"emphasized"``, ``"suppressed"`` or ``"neither"`` for each key of *means*.

    """

    means: dict[str, float]
    scale: float
    share: float
    verdicts: dict[str, str]

    @property
    def limit(self) -> float:
        """The smallest absolute mean that counts as clear: ``share * scale``."""
        return self.share * self.scale

    def sides(self, verdict: str) -> tuple[str, ...]:
        """Return the sides (of ``left, right, top, bottom``) with the given verdict.

        Parameters
        ----------
        verdict : {"emphasized", "suppressed", "neither"}
            Which verdict to look for.

        Returns
        -------
        tuple of str
            The sides, in the order left, right, top, bottom.

        """
        check = _check_verdict("OutlineResponse.sides", verdict)
        return tuple(side for side in SIDES if self.verdicts[side] == check)

    def contrast(self, first: str, second: str) -> float:
        """How clearly *first* is emphasized while *second* is suppressed.

        Parameters
        ----------
        first, second : {"left", "right", "top", "bottom", "inside"}
            Two parts of the outline, e.g. ``"left"`` and ``"right"``.

        Returns
        -------
        float
            ``min(mean[first], -mean[second]) / scale`` when *first* is emphasized and
            *second* suppressed (so at least *share*); minus the same with the roles
            swapped when *second* is emphasized and *first* suppressed; 0.0 when the two
            parts do not carry clear opposite signs.

        """
        func = "OutlineResponse.contrast"
        for name, part in (("first", first), ("second", second)):
            if part not in self.means:
                allowed = ", ".join(repr(p) for p in self.means)
                raise ValueError(f"{func}: {name} must be one of {allowed}, got {describe(part)}")
        a, b = self.verdicts[first], self.verdicts[second]
        if (a, b) == (EMPHASIZED, SUPPRESSED):
            return min(self.means[first], -self.means[second]) / self.scale
        if (a, b) == (SUPPRESSED, EMPHASIZED):
            return -min(self.means[second], -self.means[first]) / self.scale
        return 0.0

    def __str__(self) -> str:
        groups = []
        for verdict in (EMPHASIZED, SUPPRESSED, NEITHER):
            sides = self.sides(verdict)
            if sides:
                listed = ", ".join(f"{side} {self.means[side]:+.2f}" for side in sides)
                groups.append(f"{verdict} {listed}")
        return "; ".join(groups)


def _check_verdict(func: str, verdict: object) -> str:
    if verdict not in (EMPHASIZED, SUPPRESSED, NEITHER):
        raise ValueError(
            f"{func}: verdict must be 'emphasized', 'suppressed' or 'neither', "
            f"got {describe(verdict)}"
        )
    return str(verdict)


def outline_response(
    response: np.ndarray,
    image: np.ndarray,
    *,
    threshold: float = 0.2,
    share: float = SHARE,
) -> OutlineResponse:
    """Say, with its sign, which sides of an object's outline a response emphasizes.

    Parameters
    ----------
    response : array-like, shape (h, w)
        A response aligned pixel for pixel with *image*, e.g.
        ``interp.convolve(image, kernel, padding="same")``.
    image : array-like, shape (h, w) or (h, w, 1)
        The image the response was computed from; its object is every pixel brighter
        than *threshold*.
    threshold : float, default 0.2
        Passed to :func:`border_masks`.
    share : float, default 0.1
        How clear a sign must be, as a share of the map's largest absolute value; in (0, 1).

    Returns
    -------
    OutlineResponse
        The mean response on each side and the inside, and a verdict for each; its
        ``str()`` lists them grouped by verdict.

    Raises
    ------
    ValueError
        If *response* does not line up with *image*, the image has no object, or
        *share* is not in (0, 1).
    TypeError
        If *share* is not a real number.

    Notes
    -----
    Each side of the outline is the outermost object pixel (per row for left and right,
    per column for top and bottom) together with the background pixel just outside it
    (:func:`border_masks` with ``outside=True``): an edge filter's response straddles the
    edge, and where its peak falls depends on the filter, so both pixels are averaged.

    The rule, with ``scale`` the largest absolute value of the whole response map:

    * **emphasized**: the side's mean is positive and at least ``share * scale``;
    * **suppressed**: the side's mean is negative and at most ``-share * scale``;
    * **neither**: anything in between -- too weak, in the map's own terms, to be seen as
      clearly red or clearly blue on a colour scale running from ``-scale`` to ``scale``.

    The inside (object pixels on no border) gets a verdict by the same rule.

    Examples
    --------
    A Prewitt filter that looks for "dark on the left, bright on the right" on a bright
    square: the square's left side is such an edge, its right side the opposite one.

    >>> import numpy as np
    >>> import interp
    >>> image = np.zeros((9, 9))
    >>> image[2:7, 2:7] = 1.0
    >>> prewitt = np.array([[-1.0, 0.0, 1.0]] * 3)
    >>> result = interp.outline_response(interp.convolve(image, prewitt, padding="same"), image)
    >>> print(result)
    emphasized left +2.60; suppressed right -2.60; neither top +0.00, bottom +0.00
    >>> result.contrast("left", "right")
    0.8666666666666667

    """
    func = "outline_response"
    share = _check_share(func, share)
    masks = _masks(func, image, threshold, True)
    values = _aligned_response(func, response, masks)
    parts = (*SIDES, "inside")
    means = {
        part: float(values[masks[part]].mean()) if masks[part].any() else float("nan")
        for part in parts
    }
    scale = float(np.abs(values).max())
    verdicts = {part: _verdict(means[part], share * scale) for part in parts}
    return OutlineResponse(means=means, scale=scale, share=share, verdicts=verdicts)


def _check_share(func: str, share: object) -> float:
    if isinstance(share, bool) or not isinstance(share, numbers.Real):
        raise TypeError(f"{func}: share must be a real number in (0, 1), got {describe(share)}")
    if not 0.0 < float(share) < 1.0:
        raise ValueError(f"{func}: share must be in (0, 1), got {share!r}")
    return float(share)


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
    masks = _masks(func, image, threshold, False)
    values = np.abs(as_real_array(func, "attribution", attribution))
    obj = ~masks["background"]
    if values.shape != obj.shape:
        raise ValueError(f"{func}: attribution must have the image's shape {obj.shape}, "
                         f"got {describe(values)}")
    total = float(values.sum())
    return float(values[obj].sum() / total) if total > 0 else float("nan")
