"""interp on the Keras course network against Xplique 2.0.2 on the same Keras model.

MuFidelity (against interp.mu_fidelity), Deletion and Insertion (against interp.deletion
and interp.insertion), RISE (against interp.rise; see its test for the masks),
RandomLogitMetric (against interp.random_logit with similarity="ssim"). Xplique's ``MuFidelity`` draws its subsets inside ``_perturb_samples`` with
``tf.random.uniform`` and keeps a cell where the draw exceeds ``subset_percent``. The test
replaces that one call, for the duration of ``evaluate``, by a function returning fixed
draws: 0 in the cells of the given subsets, 1 elsewhere. Xplique's own code then builds
the masks (nearest-neighbour resize of its grid), sets the subsets to the baseline, runs
the model and correlates. Its ``spearmanr`` is wrapped to record each image's drops and
sums, which interp returns too, so the test compares them per image, not only the mean.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
import tensorflow as tf
import xplique.metrics.fidelity as xplique_fidelity
import xplique.metrics.randomization as xplique_randomization
from _parity import compare
from xplique.attributions import Rise, Saliency
from xplique.metrics import Deletion, Insertion, MuFidelity, RandomLogitMetric

import interp


@pytest.mark.parametrize("grid", [None, 7])
def test_mu_fidelity(keras_model, data, grid):
    """MuFidelity with the same subsets, baseline 0 and targets; definitions aligned:

    - Xplique correlates by Spearman's rank correlation: ``correlation="spearman"``;
    - Xplique scores the model's output as it is (``activation=None``): the course
      network ends in a softmax, so that is the probability interp uses;
    - Xplique's subsets are of random size; here both get the same subsets of exactly
      20% of the cells (``grid=None``: of the pixels, Xplique's ``grid_size=None``;
      ``grid=7``: of a 7 x 7 grid of 4 x 4-pixel cells, which Xplique resizes to the
      image by nearest neighbour and interp gets as pixel subsets, cells repeated);
    - Xplique returns only the mean of the correlations (an undefined one as 0; none
      is undefined here, asserted).
    """
    images, labels = data
    maps = interp.saliency(keras_model, images, labels)
    cells = 28 if grid is None else grid
    n_subsets, count = 32, round(0.2 * cells * cells)
    rng = np.random.default_rng(9)
    chosen = np.zeros((n_subsets, cells * cells), bool)
    for k in range(n_subsets):
        chosen[k, rng.choice(cells * cells, count, replace=False)] = True
    draws = tf.constant(np.where(chosen, 0.0, 1.0), tf.float32)  # > 0.2 keeps a cell
    size = 28 // cells
    subsets = np.kron(chosen.reshape(n_subsets, cells, cells),
                      np.ones((size, size), bool)).astype(bool)

    uniform = tf.random.uniform

    def given_draws(shape, minval=0, maxval=None, dtype=tf.float32, **kwargs):
        if tuple(shape) == (n_subsets, cells * cells):
            return draws
        return uniform(shape, minval, maxval, dtype, **kwargs)

    recorded, correlations = [], []
    spearman = xplique_fidelity.spearmanr

    def recording(pred, attr):
        recorded.append((np.asarray(pred), np.asarray(attr)))
        result = spearman(pred, attr)
        correlations.append(result[0])
        return result

    one_hot = np.eye(10, dtype=np.float32)[labels]
    metric = MuFidelity(keras_model, images, one_hot, batch_size=len(images) * n_subsets,
                        grid_size=grid, subset_percent=0.2, baseline_mode=0.0,
                        nb_samples=n_subsets)
    with mock.patch.object(tf.random, "uniform", given_draws), \
            mock.patch.object(xplique_fidelity, "spearmanr", recording):
        expected_mean = metric.evaluate(maps)
    assert len(recorded) == len(images)
    drops = np.stack([pred for pred, _ in recorded])
    sums = np.stack([attr for _, attr in recorded])

    got = interp.mu_fidelity(keras_model, images, maps, labels, subsets=subsets,
                             baseline=0.0, correlation="spearman")
    assert np.isfinite(got.scores).all()
    name = f"mu_fidelity ({'pixels' if grid is None else f'grid {grid}'})"
    compare(f"{name} drops vs MuFidelity's", got.drops, drops, atol=1e-6)
    compare(f"{name} sums vs MuFidelity's", got.sums, sums, scale_rtol=1e-6)
    compare(f"{name} scores vs MuFidelity's correlations", got.scores, correlations,
            atol=1e-6)
    compare(f"{name} mean vs MuFidelity.evaluate", got.mean, expected_mean, atol=1e-6)


@pytest.mark.parametrize("mode", ["deletion", "insertion"])
def test_deletion_and_insertion(keras_model, data, mode):
    """Xplique's Deletion and Insertion (``CausalFidelity``) against interp's, baseline 0
    (interp's ``fill=0`` for deletion, ``start=0.0`` for insertion, whose default is a
    blurred copy), 16 steps, on the same saliency maps; definitions aligned:

    - Xplique removes ``linspace(0, pixels, steps + 1)`` pixels truncated to ints, interp
      ``round(i / steps * pixels)``: with 784 pixels and 16 steps both are multiples of
      49;
    - Xplique ranks by ``argsort`` reversed (ties to the higher index, in no stable
      order), interp ties to the lower index: the maps have no ties (asserted);
    - Xplique returns the curve averaged over the images and the area of that mean; its
      ``batch_inference_function`` is wrapped to record each image's probabilities, and
      those are compared with interp's curve per image.
    """
    images, labels = data
    maps = interp.saliency(keras_model, images, labels)
    assert all(len(np.unique(m)) == m.size for m in maps)
    steps = 16
    peer = {"deletion": Deletion, "insertion": Insertion}[mode]
    metric = peer(keras_model, images, np.eye(10, dtype=np.float32)[labels],
                  batch_size=len(images), baseline_mode=0.0, steps=steps)
    recorded = []
    infer = metric.batch_inference_function

    def recording(*args, **kwargs):
        out = infer(*args, **kwargs)
        recorded.append(np.asarray(out))
        return out

    metric.batch_inference_function = recording
    curve_mean = metric.detailed_evaluate(maps)
    area = metric.evaluate(maps)
    expected = np.stack(recorded[:steps + 1], axis=1)  # (n, steps + 1)
    if mode == "deletion":
        got = interp.deletion(keras_model, images, maps, labels, steps=steps, fill=0.0)
    else:
        got = interp.insertion(keras_model, images, maps, labels, steps=steps, start=0.0)
    assert list(curve_mean) == [round(f * 784) for f in got.fractions]
    compare(f"{mode} curves vs Xplique {peer.__name__}, per image", got.scores, expected,
            atol=1e-6)
    compare(f"{mode} mean curve vs {peer.__name__}.detailed_evaluate",
            got.scores.mean(axis=0), list(curve_mean.values()), atol=1e-6)
    compare(f"{mode} mean area vs {peer.__name__}.evaluate", got.auc.mean(), area, atol=1e-6)


def test_rise(keras_model, data):
    """Xplique's Rise on the same masks as interp.rise, baseline (``mask_value``) 0.

    Xplique draws its masks in two random steps: ``Rise._get_masks`` draws a 7 x 7 grid
    of cells kept with probability 0.5, and ``_apply_masks`` resizes it bilinearly (
    ``tf.image.resize``) to 32 x 32 (``28 * (1 + 1 / 7)``) and crops 28 x 28 at a random
    offset (``tf.image.random_crop``). The test replaces those two random steps only: the
    grids and the offsets are drawn by interp's documented rule (mask ``i`` from
    ``numpy.random.default_rng([seed, i])``: the grid of ``random() < p``, then the row
    and column offsets ``integers(0, 4)``); Xplique's own code resizes, crops at those
    offsets, masks, runs the model and sums. Its ``_apply_masks`` is wrapped to record the
    masks it made, which interp.rise gets as ``masks=``; interp.rise also draws its own
    from the same seed (the same 32 x 32 resize, half-pixel centres, and offsets below
    one 4-pixel cell), and both are compared.

    Definitions aligned: both weigh each mask by the target's probability (Xplique's
    operator on the model's softmax output and a one-hot target), but Xplique divides each
    pixel's sum by the sum of the masks there plus 1e-4, interp by ``N p``: Xplique's
    map is multiplied by ``(sum of masks + 1e-4) / (N p)``, computed from the recorded
    masks.
    """
    images, labels = data
    n_masks, cell, p, seed = 256, 7, 0.5, 5
    grids = np.empty((n_masks, cell, cell, 1), bool)
    offsets = np.empty((n_masks, 2), np.int64)
    for i in range(n_masks):
        rng = np.random.default_rng([seed, i])
        grids[i, ..., 0] = rng.random((cell, cell)) < p
        offsets[i] = rng.integers(0, 4), rng.integers(0, 4)

    def given_grids(input_shape, nb_samples, grid_size, preservation_probability):
        assert (nb_samples, grid_size, preservation_probability) == (n_masks, cell, p)
        return tf.constant(grids)

    crops = []

    def given_crop(value, size, **kwargs):
        assert tuple(value.shape) == (n_masks, 32, 32, 1), value.shape
        crops.append(size)
        return tf.stack([value[k, dy:dy + size[1], dx:dx + size[2]]
                         for k, (dy, dx) in enumerate(offsets)])

    recorded = []
    apply_masks = Rise._apply_masks

    def recording(single_input, binary_masks, mask_value=0.0):
        masked, masks = apply_masks(single_input, binary_masks, mask_value)
        recorded.append(np.asarray(masks)[..., 0])
        return masked, masks

    explainer = Rise(keras_model, batch_size=n_masks, nb_samples=n_masks, grid_size=cell,
                     preservation_probability=p, mask_value=0.0)
    with mock.patch.object(Rise, "_get_masks", staticmethod(given_grids)), \
            mock.patch.object(Rise, "_apply_masks", staticmethod(recording)), \
            mock.patch.object(tf.image, "random_crop", given_crop):
        explained = np.asarray(explainer.explain(images, np.eye(10, dtype=np.float32)[labels]))
    assert len(recorded) == len(images) and crops  # (traced once, so called once)
    masks = recorded[0]
    assert all(np.array_equal(m, masks) for m in recorded)
    explained = explained.reshape(len(images), 28, 28).astype(np.float64)
    expected = explained * (masks.astype(np.float64).sum(axis=0) + 1e-4) / (n_masks * p)
    given = interp.rise(keras_model, images, labels, masks=masks, p=p)
    compare("rise (the same masks) vs Xplique Rise, rescaled by its mask sums", given,
            expected, scale_rtol=1e-5)
    drawn = interp.rise(keras_model, images, labels, n_masks=n_masks, cell=cell, p=p,
                        seed=seed)
    compare("rise (masks drawn by interp) vs Xplique Rise on the same draws", drawn,
            expected, scale_rtol=1e-5)


def test_random_logit(keras_model, data):
    """RandomLogitMetric against ``interp.random_logit(..., similarity="ssim")``, aligned:

    - both explain with the same explainer, Xplique's ``Saliency`` (interp calls it through
      a wrapper), so the test checks the draw of the other classes and the similarity;
    - Xplique draws the other classes inside ``_get_perturbed_context`` with
      ``tf.random.uniform(..., maxval=9, dtype=tf.int32)`` and shifts draws at or above
      the target by one; the test gives that call fixed draws, and interp the classes
      they make;
    - Xplique returns only the mean SSIM; its ``ssim`` is wrapped to record each image's.
    """
    images, labels = data[0][:16], data[1][:16]
    draws = np.random.default_rng(11).integers(0, 9, len(images))
    others = draws + (draws >= labels)
    explainer = Saliency(keras_model)
    uniform, ssim = tf.random.uniform, xplique_randomization.ssim
    recorded = []

    def given_draws(shape, minval=0, maxval=None, dtype=tf.float32, **kwargs):
        if dtype == tf.int32 and maxval == 9:
            return tf.constant(draws, tf.int32)
        return uniform(shape, minval, maxval, dtype, **kwargs)

    def recording(a, b, **kwargs):
        result = ssim(a, b, **kwargs)
        recorded.append(np.asarray(result))
        return result

    metric = RandomLogitMetric(keras_model, images, np.eye(10, dtype=np.float32)[labels],
                               batch_size=len(images))
    with mock.patch.object(tf.random, "uniform", given_draws), \
            mock.patch.object(xplique_randomization, "ssim", recording):
        expected_mean = metric.evaluate(explainer)

    def xplique_saliency(model, x, target=None):
        one_hot = np.eye(10, dtype=np.float32)[np.asarray(target)]
        return np.asarray(explainer.explain(x, one_hot))

    got = interp.random_logit(xplique_saliency, keras_model, images, labels, others=others,
                              similarity="ssim")
    assert len(recorded) == 1 and recorded[0].shape == (len(images),)
    compare("random_logit ssim scores vs RandomLogitMetric's", got.scores, recorded[0],
            atol=1e-5)
    compare("random_logit mean vs RandomLogitMetric.evaluate", got.mean, expected_mean,
            atol=1e-5)
