"""Perturbation methods: cover or keep parts of the image and watch the target's probability."""

from __future__ import annotations

import keras
import numpy as np

from .._validate import check_int, check_number
from ._common import _accumulate, _empty_maps, _setup, ahead, streams


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
    spec = runner.spec
    if len(spec.map_shape) != 2:
        raise ValueError(
            f"{func}: needs images with two spatial axes (height, width); this model takes "
            f"{spec.batch()}"
        )
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



# Every method also takes an iterable of batches. The wrapper is applied here rather than
# with @streams above each definition because mutmut (``nox -s mutants``) leaves decorated
# functions unmutated; this way their bodies are mutation-tested too.
occlusion = streams(occlusion)
