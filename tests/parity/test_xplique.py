"""interp on the Keras course network against Xplique 2.0.2 on the same Keras model.

Xplique's ``MuFidelity`` draws its subsets inside ``_perturb_samples`` with
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
from _parity import compare
from xplique.metrics import MuFidelity

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
