"""Name what a kernel detects by comparing it with a bank of classical filters.

See :func:`describe_kernel` for the rule, the bank of filters and the null of random
kernels the similarity is judged against.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np

from ._validate import ONE_KERNEL, as_2d, check_int, describe

#: A kernel is named after its best filter when it is closer to that filter than this
#: share of random kernels (drawn from the layer's initializer) come to their own best.
PERCENTILE = 0.95
#: Share of the kernel's energy in its mean above which it is called a blur.
BLUR_SHARE = 0.75
#: A kernel responds to brightness when abs(weight sum) is at least this multiple of the
#: largest response its zero-mean part can give to an image in [0, 1].
BRIGHTNESS_RATIO = 1.0
#: How many random kernels the null holds by default.
N_RANDOM = 10_000
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


def _percent(value: float) -> str:
    """Format a share for a sentence, never rounding a near-certainty up to 100%."""
    if value > 0.999:
        return "more than 99.9%"
    if value < 0.001:
        return "less than 0.1%"
    return f"{value:.1%}" if value > 0.99 or value < 0.01 else f"{value:.0%}"


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
        The best filter of the bank even when it falls short.
    scores : dict of str to float
        Similarity with every filter of the bank.
    mean_share : float
        Share of the kernel's energy (sum of squares) in its mean.
    similarity : float
        Cosine similarity with the best filter, ``scores[best]`` (also for a blur).
    percentile : float
        Share of the random kernels whose own best similarity is below *similarity*
        (ties count half), in [0, 1].
    null : numpy.ndarray
        The random kernels' best similarities, sorted (read-only, shared between calls).
    initializer : str
        The initializer the random kernels were drawn from.
    shape : tuple of int
        The kernel's shape, which the random kernels share.
    weight_sum : float
        Sum of the weights: the response to a uniform patch of ones.
    contrast_max : float
        Sum of the positive weights of the zero-mean part: the largest response that part
        can give to any image with values in [0, 1].

    """

    name: str
    score: float
    best: str
    scores: dict[str, float]
    mean_share: float
    similarity: float = float("nan")
    percentile: float = float("nan")
    null: np.ndarray | None = dataclasses.field(default=None, repr=False, compare=False)
    initializer: str = ""
    shape: tuple[int, ...] = ()
    weight_sum: float = float("nan")
    contrast_max: float = float("nan")

    @property
    def matched(self) -> bool:
        """Whether the kernel is close to a named filter (or a blur)."""
        return self.name != NO_MATCH

    @property
    def brightness_ratio(self) -> float:
        """``|weight_sum| / contrast_max``: plain brightness against the best contrast."""
        if self.contrast_max == 0:
            return float("inf") if self.weight_sum != 0 else 0.0
        return abs(self.weight_sum) / self.contrast_max

    @property
    def responds_to_brightness(self) -> bool:
        """Whether ``brightness_ratio`` reaches ``BRIGHTNESS_RATIO`` (a brightness detector).

        A uniform patch then moves the response at least as much as the best-matching
        pattern of contrast can: the response map looks like the object's silhouette.
        """
        return self.brightness_ratio >= BRIGHTNESS_RATIO

    @property
    def standing(self) -> str:
        """Where the kernel stands in the null, in words."""
        size = "x".join(str(n) for n in self.shape)
        return (f"{_percent(self.percentile)} of random {size} kernels come less close "
                f"to their own best filter")

    def __str__(self) -> str:
        if self.name == BLUR:
            return f"a blur: {self.mean_share:.0%} of its weight is a plain average"
        if self.matched:
            return f"{self.name} (similarity {self.score:.2f}; {self.standing})"
        return (f"no close match; closest: {self.best} (similarity {self.score:.2f}; "
                f"{self.standing}; a match needs {PERCENTILE:.0%})")


def _initializer(func: str, initializer: object, seed: int):
    """Return a seeded Keras initializer and a stable key for it."""
    import keras

    if not isinstance(initializer, (str, keras.initializers.Initializer)):
        raise TypeError(
            f"{func}: initializer must be a Keras initializer or its name, "
            f"got {describe(initializer)}"
        )
    try:
        base = keras.initializers.get(initializer)
    except (ValueError, TypeError) as err:
        raise ValueError(
            f"{func}: initializer must be a Keras initializer or its name (e.g. "
            f"'glorot_uniform', Conv2D's default), got {describe(initializer)}"
        ) from err
    config = base.get_config()
    if "seed" in config:
        config = {**config, "seed": seed}
        base = type(base).from_config(config)
    key = json.dumps([type(base).__name__, config], sort_keys=True, default=str)
    return base, key


_NULLS: dict[tuple, np.ndarray] = {}


def _null(shape: tuple[int, int], initializer: object, n_random: int, seed: int, func: str):
    """Sorted best similarities of *n_random* kernels drawn from *initializer*."""
    from ._model import draw_initial

    init, key = _initializer(func, initializer, seed)
    cache_key = (shape, key, n_random, seed)
    if cache_key not in _NULLS:
        drawn = draw_initial(init, (*shape, 1, n_random), seed)  # the same on every backend
        flat = np.moveaxis(np.asarray(drawn, dtype=np.float64)[:, :, 0, :], -1, 0)
        flat = flat.reshape(n_random, -1)
        zero_mean = flat - flat.mean(axis=1, keepdims=True)
        norms = np.linalg.norm(zero_mean, axis=1)
        if not np.all(norms > 0):
            raise ValueError(
                f"{func}: initializer {type(init).__name__} draws constant kernels, which "
                f"match no filter; pass one that draws random weights, e.g. 'glorot_uniform'"
            )
        bank = np.stack([f.ravel() for f in filter_bank(shape).values()], axis=1)
        best = ((zero_mean / norms[:, np.newaxis]) @ bank).max(axis=1)
        best.sort()
        best.setflags(write=False)
        _NULLS[cache_key] = best
    return _NULLS[cache_key], type(init).__name__


def describe_kernel(
    kernel: np.ndarray,
    *,
    initializer: object = "glorot_uniform",
    n_random: int = N_RANDOM,
    seed: int = 0,
) -> KernelDescription:
    """Name the classical filter a 2-D kernel is closest to, if it is closer than chance.

    Parameters
    ----------
    kernel : array-like, shape (kh, kw) or (kh, kw, 1)
        One kernel for one input channel, e.g. from :func:`interp.kernel`.
    initializer : str or keras.initializers.Initializer, default "glorot_uniform"
        Where the random kernels of the null come from: the layer's own initializer, e.g.
        ``layer.kernel_initializer`` (``"glorot_uniform"`` is Conv2D's default). Its own
        seed, if any, is replaced by *seed*.
    n_random : int, default 10000
        How many random kernels the null holds (at least 100).
    seed : int, default 0
        Seeds the random kernels; the same seed gives the same null.

    Returns
    -------
    KernelDescription
        ``.name``, ``.similarity``, ``.percentile``, ``.responds_to_brightness`` and a
        plain-words ``str()``.

    Notes
    -----
    A kernel ``w`` splits into its mean ``m`` (what it does to plain brightness) and a
    zero-mean part ``z = w - m`` (what it does to edges and spots). When the mean carries
    at least ``BLUR_SHARE = 0.75`` of the kernel's energy, the kernel is a blur. Otherwise
    ``z`` is compared, by cosine similarity, with each zero-mean filter of the bank below.

    **The null.** A similarity on its own says little: an 8-dimensional random vector
    lands close to one of ten fixed directions surprisingly often. So *n_random* kernels
    of the same shape are drawn from *initializer* (with numpy's generator, so the same
    on every Keras backend), and each gets its own best similarity
    over the bank. The kernel's ``percentile`` is the share of them that come less close
    to their best filter than the kernel comes to its best. The random kernels are
    compared with *their own* best filter, not with the kernel's: the kernel's best filter
    is itself chosen as a maximum over the bank, so comparing it with random kernels'
    similarity to that one filter would favour the kernel (a random kernel would land
    near the 89th percentile on average instead of the 50th, and a third of random
    kernels would pass a 95% bar). The best filter is named when the percentile reaches
    ``PERCENTILE = 0.95``; otherwise the result is "no close match".
    The cosine similarity ignores scale, so only the initializer's shape of distribution
    matters, not its fan-in. Nulls are cached per shape, initializer, size and seed.

    **Brightness.** ``weight_sum`` is the response to a uniform patch of ones;
    ``contrast_max``, the sum of the positive weights of ``z``, is the largest response
    ``z`` can give to an image in [0, 1]. When ``|weight_sum| >= BRIGHTNESS_RATIO *
    contrast_max`` (``BRIGHTNESS_RATIO = 1``), plain brightness moves the response at
    least as much as any contrast can, and ``responds_to_brightness`` is true.

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
        If the kernel is not 2-D, is all zeros, or is not finite; if *initializer* is
        unknown or draws constant kernels; if *n_random* is below 100. (A 1 x 1 kernel
        is described as a blur: it has no pattern and only scales brightness.)
    TypeError
        If *n_random* or *seed* is not an int.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> sobel = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    >>> result = interp.describe_kernel(sobel)
    >>> result.name, round(result.similarity, 2), result.percentile > 0.99
    ('vertical edge: dark on the left, bright on the right', 0.94, True)
    >>> result.standing
    '99.9% of random 3x3 kernels come less close to their own best filter'

    """
    func = "describe_kernel"
    array = as_2d(func, "kernel", kernel, ONE_KERNEL).astype(np.float64)
    n_random = check_int(func, "n_random", n_random, minimum=100)
    seed = check_int(func, "seed", seed, minimum=0)
    energy = float(np.sum(array**2))
    if energy == 0.0:
        raise ValueError(f"{func}: kernel must not be all zeros; a zero kernel detects nothing")
    if array.size == 1:  # a 1x1 kernel has no pattern: it only scales brightness
        value = float(array.ravel()[0])
        return KernelDescription(
            name=BLUR, score=1.0, best="", scores={}, mean_share=1.0, similarity=0.0,
            shape=tuple(array.shape), weight_sum=value, contrast_max=0.0,
        )
    null, init_name = _null(array.shape, initializer, n_random, seed, func)
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
    similarity = scores[best]
    below = np.searchsorted(null, similarity, side="left")
    not_above = np.searchsorted(null, similarity, side="right")
    percentile = float(below + not_above) / (2 * len(null))
    common = {
        "best": best, "scores": scores, "mean_share": mean_share, "similarity": similarity,
        "percentile": percentile, "null": null, "initializer": init_name,
        "shape": tuple(array.shape),
        "weight_sum": float(array.sum()),
        "contrast_max": float(zero_mean[zero_mean > 0].sum()),
    }
    if mean_share >= BLUR_SHARE:
        return KernelDescription(name=BLUR, score=mean_share, **common)
    name = best if percentile >= PERCENTILE else NO_MATCH
    return KernelDescription(name=name, score=similarity, **common)
