"""Name what a kernel detects by comparing it with a bank of classical filters.

See :func:`describe_kernel` for the rule and the bank of filters.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ._validate import ONE_KERNEL, as_2d

#: Minimum cosine similarity for a named match.
THRESHOLD = 0.8
#: Share of the kernel's energy in its mean above which it is called a blur.
BLUR_SHARE = 0.75
NO_MATCH = "no close match"
BLUR = "blur: averages brightness (mean filter)"


def filter_bank(shape: tuple[int, int] = (3, 3)) -> dict[str, np.ndarray]:
    """Return the zero-mean, unit-norm classical filters for kernels of *shape*.

    Examples
    --------
    >>> from interp.describe import filter_bank
    >>> bank = filter_bank()
    >>> len(bank), bank["horizontal edge: dark above, bright below"].shape
    (10, (3, 3))

    """
    kh, kw = shape
    y, x = np.meshgrid(np.linspace(-1, 1, kh), np.linspace(-1, 1, kw), indexing="ij")
    centre = np.zeros(shape)
    centre[(kh - 1) // 2:kh // 2 + 1, (kw - 1) // 2:kw // 2 + 1] = 1.0
    patterns = {
        "vertical edge: dark on the left, bright on the right": x,
        "vertical edge: bright on the left, dark on the right": -x,
        "horizontal edge: dark above, bright below": y,
        "horizontal edge: bright above, dark below": -y,
        "diagonal edge: dark top-left, bright bottom-right": x + y,
        "diagonal edge: bright top-left, dark bottom-right": -(x + y),
        "diagonal edge: dark top-right, bright bottom-left": y - x,
        "diagonal edge: bright top-right, dark bottom-left": x - y,
        "spot: bright centre on a dark surround": centre,
        "spot: dark centre on a bright surround (Laplacian)": -centre,
    }
    bank = {}
    for name, pattern in patterns.items():
        zero_mean = pattern - pattern.mean()
        norm = np.linalg.norm(zero_mean)
        if norm > 0:  # a 1-pixel-wide axis has no edge along it
            bank[name] = zero_mean / norm
    return bank


@dataclasses.dataclass(frozen=True)
class KernelDescription:
    """What :func:`describe_kernel` found.

    Attributes
    ----------
    name : str
        The best-matching filter's name, ``"blur: ..."``, or ``"no close match"``.
    score : float
        Cosine similarity of the zero-mean kernel with that filter (for a blur, the share
        of the energy in the mean); for no match, the best similarity that fell short.
    best : str
        The best filter of the bank even when it falls short of the threshold.
    scores : dict of str to float
        Similarity with every filter of the bank.
    mean_share : float
        Share of the kernel's energy (sum of squares) in its mean.

    """

    name: str
    score: float
    best: str
    scores: dict[str, float]
    mean_share: float

    @property
    def matched(self) -> bool:
        """Whether the kernel is close to a named filter (or a blur)."""
        return self.name != NO_MATCH

    def __str__(self) -> str:
        if self.name == BLUR:
            return f"a blur: {self.mean_share:.0%} of its weight is a plain average"
        if self.matched:
            return f"{self.name} (similarity {self.score:.2f})"
        return (f"no close match among the classical filters; closest: {self.best} "
                f"(similarity {self.score:.2f}, below {THRESHOLD})")


def describe_kernel(kernel: np.ndarray) -> KernelDescription:
    """Name the classical filter a 2-D kernel is closest to.

    Parameters
    ----------
    kernel : array-like, shape (kh, kw) or (kh, kw, 1)
        One kernel for one input channel, e.g. from :func:`interp.kernel`.

    Returns
    -------
    KernelDescription
        ``.name``, ``.score`` and a plain-words ``str()``.

    Notes
    -----
    A kernel ``w`` splits into its mean ``m`` (what it does to plain brightness) and a
    zero-mean part ``z = w - m`` (what it does to edges and spots). When the mean carries
    at least ``BLUR_SHARE = 0.75`` of the kernel's energy, the kernel is a blur. Otherwise ``z`` is
    compared, by cosine similarity, with each zero-mean filter of the bank; the best match
    is named if its similarity reaches ``THRESHOLD = 0.8``, and "no close match" is reported if not.

    The bank, on a kernel's own grid of ``x`` (columns) and ``y`` (rows) running from -1
    to 1, with the polarity read as cross-correlation (a positive response means the image
    matches the pattern):

    ========================================================  =====================
    name                                                      pattern
    ========================================================  =====================
    vertical edge: dark on the left, bright on the right      ``x`` (Prewitt)
    vertical edge: bright on the left, dark on the right      ``-x``
    horizontal edge: dark above, bright below                 ``y``
    horizontal edge: bright above, dark below                 ``-y``
    diagonal edge: dark top-left, bright bottom-right         ``x + y``
    diagonal edge: bright top-left, dark bottom-right         ``-(x + y)``
    diagonal edge: dark top-right, bright bottom-left         ``y - x``
    diagonal edge: bright top-right, dark bottom-left         ``x - y``
    spot: bright centre on a dark surround                    centre minus surround
    spot: dark centre on a bright surround (Laplacian)        surround minus centre
    blur: averages brightness (mean filter)                   constant
    ========================================================  =====================

    Raises
    ------
    ValueError
        If the kernel is not 2-D, is all zeros, or is not finite.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> sobel = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    >>> print(interp.describe_kernel(sobel))
    vertical edge: dark on the left, bright on the right (similarity 0.94)

    """
    func = "describe_kernel"
    array = as_2d(func, "kernel", kernel, ONE_KERNEL).astype(np.float64)
    energy = float(np.sum(array**2))
    if energy == 0.0:
        raise ValueError(f"{func}: kernel must not be all zeros; a zero kernel detects nothing")
    mean = float(array.mean())
    mean_share = mean**2 * array.size / energy
    zero_mean = array - mean
    norm = float(np.linalg.norm(zero_mean))
    bank = filter_bank(array.shape)
    scores = {
        name: (float(np.sum(zero_mean * pattern)) / norm if norm > 0 else 0.0)
        for name, pattern in bank.items()
    }
    best = max(scores, key=scores.__getitem__)
    if mean_share >= BLUR_SHARE:
        return KernelDescription(BLUR, mean_share, best, scores, mean_share)
    name = best if scores[best] >= THRESHOLD else NO_MATCH
    return KernelDescription(name, scores[best], best, scores, mean_share)
