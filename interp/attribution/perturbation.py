"""Perturbation methods: cover or keep parts of the image and watch the target's probability."""

from __future__ import annotations

import math

import keras
import numpy as np

from .._validate import as_real_array, check_int, check_number, describe
from ._common import _accumulate, _empty_maps, _setup, _two_spatial_axes, ahead, streams


def occlusion(
    model: keras.Model,
    images: np.ndarray,
    target: object = None,
    *,
    patch: int = 4,
    stride: int = 2,
    fill: float = 0.0,
    output: object = None,
    batch_size: int = 1024,
) -> np.ndarray:
    """Measure how much the target's probability drops when each part of the image is covered.

    A *patch* x *patch* square of value *fill* slides over the image in steps of
    *stride* :cite:p:`zeiler2014`; each pixel's score is the mean drop of the target's
    probability over the placements that cover it (pixels no placement covers get 0).

    Parameters
    ----------
    model : keras.Model
        A classifier; any model kind, with two spatial axes.
    images : array-like, shape (n, ...), or an iterable of such batches
        A batch shaped as the model expects, or batches of it (see :func:`saliency`).
    target : None, int or array of int, optional
        Class explained per image; default the predicted class.
    patch : int, default 4
        Side of the covering square, in pixels.
    stride : int, default 2
        Step between placements.
    fill : float, default 0.0
        The value of the covering square, in every channel (0 is the black background
        of Fashion-MNIST).
    output : None, int or str, optional
        Which output of a multi-output model.
    batch_size : int, default 1024
        Occluded images per forward pass; copies of several images share a pass, and no
        more than this many exist at once.

    Returns
    -------
    numpy.ndarray, shape (n, h, w)
        Positive where covering the pixel lowers the probability. The probability is the
        softmax of the model's logits (for a sigmoid head, the sigmoid), whether or not
        the model ends in a softmax.

    Raises
    ------
    ValueError
        If *patch* is larger than the image, *stride* < 1, or *fill* is not finite.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> interp.occlusion(model, np.zeros((1, 28, 28, 1)), target=0, patch=7, stride=7).shape
    (1, 28, 28)

    """
    func = "occlusion"
    runner, images, targets, batch_size = _setup(func, model, images, target, batch_size, output)
    patch = check_int(func, "patch", patch, minimum=1)
    stride = check_int(func, "stride", stride, minimum=1)
    fill = check_number(func, "fill", fill)
    _two_spatial_axes(func, runner)
    spec = runner.spec
    out = _empty_maps(runner, images)
    h, w = out.shape[1:]
    if patch > min(h, w):
        raise ValueError(f"{func}: patch must be at most the image size {min(h, w)}, got {patch}")
    tops = np.arange(0, h - patch + 1, stride)
    lefts = np.arange(0, w - patch + 1, stride)
    corner_rows = np.repeat(tops, len(lefts))
    corner_cols = np.tile(lefts, len(tops))
    n_corners = len(corner_rows)
    counts = np.zeros((h, w), dtype=np.float32)
    for r, c in zip(corner_rows, corner_cols, strict=True):
        counts[r:r + patch, c:c + patch] += 1
    rows = np.arange(len(images))
    base = runner.predict(images, kind="probabilities", batch_size=batch_size)[rows, targets]
    probabilities = runner.scores_fn("probabilities")
    axis_h, axis_w = spec.spatial_axes
    grid_h, grid_w = np.arange(h), np.arange(w)

    def covered_batches():
        for first in range(0, len(images) * n_corners, batch_size):
            items = np.arange(first, min(first + batch_size, len(images) * n_corners))
            owner, corner = np.divmod(items, n_corners)
            x = np.asarray(images[owner], dtype=np.float32)
            if not np.isfinite(x).all():
                raise ValueError(f"{func}: images must be finite, got NaN or inf values")
            r0, c0 = corner_rows[corner], corner_cols[corner]
            in_rows = (grid_h >= r0[:, None]) & (grid_h < r0[:, None] + patch)
            in_cols = (grid_w >= c0[:, None]) & (grid_w < c0[:, None] + patch)
            covered = in_rows[:, :, None] & in_cols[:, None, :]  # (items, h, w)
            shape = [len(items)] + [1] * len(spec.shape)
            shape[1 + axis_h], shape[1 + axis_w] = h, w
            yield owner, covered, np.where(covered.reshape(shape), np.float32(fill), x)

    for owner, covered, x in ahead(covered_batches()):
        scores = keras.ops.convert_to_numpy(probabilities(x))
        drop = base[owner] - scores[np.arange(len(owner)), targets[owner]]
        _accumulate(out, owner, drop[:, None, None] * covered)
    return np.divide(out, counts, out=np.zeros_like(out), where=counts > 0)



def _rise_masks(first: int, stop: int, size: tuple[int, int], cell: int, p: float,
                seed: int) -> np.ndarray:
    """RISE's masks ``first .. stop - 1``, each the same whichever batch draws it.

    Mask ``i`` uses ``numpy.random.default_rng([seed, i])``: a ``cell x cell`` grid of
    ``random() < p``, then two shifts ``integers(0, ch)`` and ``integers(0, cw)``; the grid
    is resized bilinearly (half-pixel centres) to ``((cell + 1) ch, (cell + 1) cw)`` with
    ``ch, cw = ceil(h / cell), ceil(w / cell)``, and cropped to ``h x w`` from the shifts.
    """
    h, w = size
    ch, cw = -(-h // cell), -(-w // cell)
    grids = np.empty((stop - first, cell, cell), np.float32)
    shifts = np.empty((stop - first, 2), np.int64)
    for k, i in enumerate(range(first, stop)):
        rng = np.random.default_rng([seed, i])
        grids[k] = rng.random((cell, cell)) < p
        shifts[k] = rng.integers(0, ch), rng.integers(0, cw)
    big = keras.ops.image.resize(grids[..., None], ((cell + 1) * ch, (cell + 1) * cw),
                                 "bilinear", data_format="channels_last")
    big = keras.ops.convert_to_numpy(big)[..., 0]
    return np.stack([big[k, dy:dy + h, dx:dx + w] for k, (dy, dx) in enumerate(shifts)])


def rise(
    model: keras.Model,
    images: np.ndarray,
    target: object = None,
    *,
    masks: np.ndarray | None = None,
    n_masks: int = 2000,
    cell: int = 7,
    p: float = 0.5,
    seed: int = 0,
    output: object = None,
    batch_size: int = 256,
) -> np.ndarray:
    r"""RISE :cite:p:`petsiuk2018`: random masks weighted by the probability they keep.

    .. math:: S_t(x) = \frac{1}{N p} \sum_{i=1}^{N} P_t(x \odot M_i)\, M_i

    for masks :math:`M_i` with values in [0, 1] (each multiplies every channel of the
    image) and the target's probability :math:`P_t`, the softmax of the logits. Given
    *masks*, the map is exactly this sum. Otherwise *n_masks* masks are drawn as the
    paper does: a ``cell x cell`` grid of cells kept with probability *p*, resized
    bilinearly to ``cell + 1`` cells of ``ceil(h / cell) x ceil(w / cell)`` pixels and
    cropped to ``h x w`` at a random shift of less than one cell. The same masks serve
    every image.

    Parameters
    ----------
    model : keras.Model
        A classifier; any model kind, with two spatial axes.
    images : array-like, shape (n, ...), or an iterable of such batches
        A batch shaped as the model expects, or batches of it (see :func:`saliency`).
    target : None, int or array of int, optional
        Class explained per image; default the predicted class.
    masks : array-like, shape (N, h, w), optional
        The masks, with values in [0, 1]; default *n_masks* drawn ones.
    n_masks : int, default 2000
        How many masks to draw (without *masks*).
    cell : int, default 7
        The drawn masks' grid has ``cell x cell`` cells (the paper's :math:`s`,
        Xplique's ``grid_size``).
    p : float, default 0.5
        The probability that a grid cell is kept; with *masks*, the :math:`p` of the sum.
    seed : int, default 0
        Mask ``i`` is drawn by ``numpy.random.default_rng([seed, i])`` (its grid of
        ``random() < p``, then its row and column shift), the same on every backend and
        whatever the batch size.
    output : None, int or str, optional
        Which output of a multi-output model.
    batch_size : int, default 256
        Masked images per pass; no more than this many masks exist at once (unless given).

    Returns
    -------
    numpy.ndarray, shape (n, h, w)
        Non-negative: about the mean probability of the target over the masks that keep
        each pixel.

    Raises
    ------
    ValueError
        If *masks* is not shaped ``(N, h, w)`` with values in [0, 1], or *cell*, *p* or
        *n_masks* is out of range.

    Notes
    -----
    Each drawn grid is resized with half-pixel centres (``keras.ops.image.resize``); the
    paper's code uses scikit-image, Xplique TensorFlow's resize, so drawn masks are not
    those of either peer; pass *masks* to compare the same sums.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> interp.rise(model, np.ones((1, 28, 28, 1)), target=0, n_masks=64).shape
    (1, 28, 28)
    >>> keep_all = np.ones((4, 28, 28))
    >>> saliency = interp.rise(model, np.ones((1, 28, 28, 1)), target=0, masks=keep_all, p=1.0)
    >>> bool(np.allclose(saliency, saliency[0, 0, 0]))
    True

    """
    func = "rise"
    runner, images, targets, batch_size = _setup(func, model, images, target, batch_size, output)
    _two_spatial_axes(func, runner)
    spec = runner.spec
    p = check_number(func, "p", p, minimum=0.0, maximum=1.0, strict_minimum=True)
    out = _empty_maps(runner, images)
    size = out.shape[1:]
    if masks is None:
        n_masks = check_int(func, "n_masks", n_masks, minimum=1)
        cell = check_int(func, "cell", cell, minimum=1)
        seed = check_int(func, "seed", seed, minimum=0)
        if cell > min(size):
            raise ValueError(f"{func}: cell must be at most the image size {min(size)}, got "
                             f"{cell}")

        def masks_of(first: int, stop: int) -> np.ndarray:
            return _rise_masks(first, stop, size, cell, p, seed)

    else:
        given = as_real_array(func, "masks", masks)
        if given.ndim != 3 or given.shape[1:] != size:
            raise ValueError(f"{func}: masks must be shaped (N, {size[0]}, {size[1]}) like the "
                             f"images' maps, got {describe(given)}")
        if given.min() < 0 or given.max() > 1:
            raise ValueError(f"{func}: masks must have values in [0, 1], got values from "
                             f"{float(given.min()):g} to {float(given.max()):g}")
        n_masks = len(given)

        def masks_of(first: int, stop: int) -> np.ndarray:
            return np.asarray(given[first:stop], np.float32)

    probabilities = runner.scores_fn("probabilities")
    axis_h, axis_w = spec.spatial_axes
    shape = [1] * (len(spec.shape) + 1)
    shape[1 + axis_h], shape[1 + axis_w] = size
    total = np.zeros(out.shape, np.float64)
    for first in range(0, n_masks, batch_size):
        chunk = masks_of(first, min(first + batch_size, n_masks))
        broadcast = chunk.reshape(1, len(chunk), *shape[1:])
        per_pass = max(1, batch_size // len(chunk))  # images whose masked copies share a pass
        for start, x in runner.batches(images, per_pass):
            masked = (x[:, None] * broadcast).reshape(-1, *x.shape[1:])
            scores = keras.ops.convert_to_numpy(probabilities(masked)).reshape(
                len(x), len(chunk), -1)
            rows = np.arange(len(x))
            kept = scores[rows, :, targets[start:start + len(x)]].astype(np.float64)
            total[start:start + len(x)] += np.tensordot(kept, chunk, axes=1)
    out[...] = total / (n_masks * p)
    return out


def _coalitions(players: int, n_samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """KernelSHAP's coalitions ``(m, players)`` of 0/1 and their regression weights.

    Every coalition but the empty and the full one, with the Shapley kernel's weights,
    when *n_samples* reaches their number; else *n_samples* drawn in complementary pairs
    (see :func:`kernel_shap`), each of weight 1.
    """
    sizes = np.arange(1, players)
    if players <= 1:
        return np.zeros((0, players), np.float64), np.zeros(0)
    if n_samples >= 2 ** players - 2:
        codes = np.arange(1, 2 ** players - 1)
        members = ((codes[:, None] >> np.arange(players)) & 1).astype(np.float64)
        size = members.sum(axis=1).astype(np.int64)
        binomial = np.array([math.comb(players, int(k)) for k in size], np.float64)
        return members, (players - 1) / (binomial * size * (players - size))
    rng = np.random.default_rng(seed)
    odds = (players - 1) / (sizes * (players - sizes))
    members = np.zeros((n_samples, players), np.float64)
    for j in range(0, n_samples, 2):
        size = rng.choice(sizes, p=odds / odds.sum())
        members[j, rng.permutation(players)[:size]] = 1.0
        if j + 1 < n_samples:
            members[j + 1] = 1.0 - members[j]
    return members, np.ones(n_samples)


def kernel_shap(
    model: keras.Model,
    images: np.ndarray,
    target: object = None,
    *,
    grid: int = 4,
    n_samples: int = 512,
    baseline: float = 0.0,
    seed: int = 0,
    coalitions: np.ndarray | None = None,
    output: object = None,
    batch_size: int = 256,
) -> np.ndarray:
    r"""KernelSHAP :cite:p:`lundberg2017`: Shapley values of square superpixels.

    The players are the ``grid x grid`` superpixels: pixel ``(r, c)`` of an ``h x w``
    image belongs to superpixel ``(r * grid // h, c * grid // w)``. A coalition :math:`S`
    keeps its superpixels and sets the others to *baseline* (in every channel); its
    value :math:`v(S)` is the target's probability, the softmax of the logits. The
    values :math:`\phi` solve KernelSHAP's weighted least squares

    .. math:: \min_\phi \sum_z \pi(z) \big(v(z) - v(\emptyset) - z \cdot \phi\big)^2
       \quad \text{subject to} \quad \textstyle\sum_i \phi_i = v(\text{all}) -
       v(\emptyset),

    with Shapley's kernel :math:`\pi(z) = \frac{d - 1}{\binom{d}{|z|} |z| (d - |z|)}` for
    :math:`d` players. When *n_samples* is at least the :math:`2^d - 2` coalitions
    other than the empty and the full one, all of them are used and :math:`\phi` are
    the exact Shapley values. Otherwise *n_samples* coalitions are drawn, in pairs of a
    coalition and its complement: a size :math:`k` with probability proportional to
    :math:`\frac{d - 1}{k (d - k)}`, then the first :math:`k` players of a random
    permutation; then each has weight 1 (the kernel is in how they are drawn). Given
    *coalitions*, those are used, each of weight 1.

    Parameters
    ----------
    model : keras.Model
        A classifier; any model kind, with two spatial axes.
    images : array-like, shape (n, ...), or an iterable of such batches
        A batch shaped as the model expects, or batches of it (see :func:`saliency`).
    target : None, int or array of int, optional
        Class explained per image; default the predicted class.
    grid : int, default 4
        Superpixels per side: ``grid * grid`` players (16 by default, whose 65,534
        coalitions are sampled; ``grid=3`` with 512 samples is exact).
    n_samples : int, default 512
        Coalitions per image, besides the empty and the full one.
    baseline : float, default 0.0
        The value of a superpixel left out, in every channel.
    seed : int, default 0
        Seeds the coalitions: ``numpy.random.default_rng(seed)`` draws, for each pair,
        the size (``choice``) then the members (``permutation``). The same coalitions
        serve every image.
    coalitions : array-like of 0 and 1, shape (N, grid * grid), optional
        The coalitions to regress on, instead of drawn ones (*n_samples* and *seed* are
        then not used): row ``k`` keeps superpixel ``j`` where it holds 1. They must
        leave the regression determined (every player in and out of some coalition).
    output : None, int or str, optional
        Which output of a multi-output model.
    batch_size : int, default 256
        Images with superpixels left out per pass.

    Returns
    -------
    numpy.ndarray, shape (n, h, w)
        Each pixel holds its superpixel's Shapley value; the values of an image's
        superpixels add up to :math:`v(\text{all}) - v(\emptyset)`.

    Raises
    ------
    ValueError
        If *grid* is not between 1 and the image size, *n_samples* < 1, *baseline* is
        not finite, or *coalitions* is not shaped ``(N, grid * grid)`` of 0 and 1.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> values = interp.kernel_shap(model, np.ones((1, 28, 28, 1)), target=0, grid=2)
    >>> values.shape
    (1, 28, 28)
    >>> bool(values[0, 0, 0] == values[0, 13, 13])  # one superpixel, one value
    True

    """
    func = "kernel_shap"
    runner, images, targets, batch_size = _setup(func, model, images, target, batch_size, output)
    _two_spatial_axes(func, runner)
    spec = runner.spec
    grid = check_int(func, "grid", grid, minimum=1)
    n_samples = check_int(func, "n_samples", n_samples, minimum=1)
    seed = check_int(func, "seed", seed, minimum=0)
    baseline = check_number(func, "baseline", baseline)
    out = _empty_maps(runner, images)
    h, w = out.shape[1:]
    if grid > min(h, w):
        raise ValueError(f"{func}: grid must be at most the image size {min(h, w)}, got {grid}")
    players = grid * grid
    owner = (np.arange(h)[:, None] * grid // h) * grid + np.arange(w)[None, :] * grid // w
    if coalitions is None:
        members, weights = _coalitions(players, n_samples, seed)
    else:
        members = as_real_array(func, "coalitions", coalitions).astype(np.float64)
        if members.ndim != 2 or members.shape[1] != players:
            raise ValueError(f"{func}: coalitions must be shaped (N, {players}): one row of "
                             f"grid * grid = {players} players each, got {describe(members)}")
        if not np.isin(members, (0.0, 1.0)).all():
            raise ValueError(f"{func}: coalitions must hold only 0 and 1, got other values")
        weights = np.ones(len(members))
    # the empty coalition, the full one, then the others
    every = np.concatenate([np.zeros((1, players)), np.ones((1, players)), members])
    axis_h, axis_w = spec.spatial_axes
    shape = [1] * (len(spec.shape) + 1)
    shape[1 + axis_h], shape[1 + axis_w] = h, w
    probabilities = runner.scores_fn("probabilities")
    values = np.empty((len(images), len(every)), np.float64)
    for first in range(0, len(every), batch_size):
        chunk = every[first:first + batch_size]
        keep = chunk[:, owner].reshape(1, len(chunk), *shape[1:]).astype(np.float32)
        per_pass = max(1, batch_size // len(chunk))
        for start, x in runner.batches(images, per_pass):
            kept = x[:, None] * keep + np.float32(baseline) * (1.0 - keep)
            scores = keras.ops.convert_to_numpy(probabilities(
                kept.reshape(-1, *x.shape[1:]))).reshape(len(x), len(chunk), -1)
            rows = np.arange(len(x))
            values[start:start + len(x), first:first + len(chunk)] = scores[
                rows, :, targets[start:start + len(x)]]
    empty, full, sampled = values[:, 0], values[:, 1], values[:, 2:]
    change = full - empty
    phi = np.empty((len(images), players), np.float64)
    if players == 1:
        phi[:, 0] = change
    else:
        # phi_d = change - sum of the others: least squares in the first d - 1 values
        design = (members[:, :-1] - members[:, -1:]) * np.sqrt(weights)[:, None]
        rhs = (sampled.T - empty - members[:, -1:] * change) * np.sqrt(weights)[:, None]
        phi[:, :-1] = np.linalg.lstsq(design, rhs, rcond=None)[0].T
        phi[:, -1] = change - phi[:, :-1].sum(axis=1)
    out[...] = phi[:, owner]
    return out


# Every method also takes an iterable of batches. The wrapper is applied here rather than
# with @streams above each definition because mutmut (``nox -s mutants``) leaves decorated
# functions unmutated; this way their bodies are mutation-tested too.
occlusion = streams(occlusion)
rise = streams(rise)
kernel_shap = streams(kernel_shap)
