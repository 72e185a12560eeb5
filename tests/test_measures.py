"""The measures of issue #20 (MuFidelity, infidelity, max-sensitivity, random logit,
ROAD) against hand computations on tiny models: perturbed images built in Python loops
and scored by Keras's own call of the model, correlations by numpy and scipy, the
imputation's linear system by scipy's sparse solver, grid cells by TensorFlow's resize."""

import math

import keras
import numpy as np
import pytest
from scipy.stats import spearmanr

import interp

L = keras.layers


def probabilities_by_keras(model, image):
    """The model's class probabilities for one image, by Keras's own call of the model."""
    out = keras.ops.convert_to_numpy(model(np.asarray(image, np.float32)[np.newaxis]))[0]
    return out.astype(np.float64)


def small_model(channels=1, size=4, seed=0, softmax_head=True):
    """size x size x C -> 1x1 conv (2 kernels, tanh) -> flatten -> dense(3), seeded weights."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((size, size, channels))
    x = L.Conv2D(2, 1, activation="tanh", name="conv")(inputs)
    out = L.Dense(3, activation="softmax" if softmax_head else None, name="dense")(
        L.Flatten()(x))
    model = keras.Model(inputs, out)
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(size=w.shape) * 1.5 for w in model.get_weights()])
    return model


def predicted(model, images):
    return np.array([int(np.argmax(probabilities_by_keras(model, x))) for x in images])


# ---- MuFidelity ---------------------------------------------------------------------------

def hand_mu_fidelity(model, images, maps, targets, subsets, baseline, channel_axis=-1):
    """Bhatt et al.'s quantities in a loop: the map's sum over each subset, the drop."""
    sums = np.zeros((len(images), len(subsets)))
    drops = np.zeros((len(images), len(subsets)))
    for i, (image, a, t) in enumerate(zip(images, maps, targets, strict=True)):
        before = probabilities_by_keras(model, image)[t]
        for k, subset in enumerate(subsets):
            perturbed = np.array(image, np.float64)
            for pixel in zip(*np.nonzero(subset), strict=True):
                index = list(pixel)
                index.insert(channel_axis % image.ndim, slice(None))
                perturbed[tuple(index)] = baseline
            sums[i, k] = sum(a[p] for p in zip(*np.nonzero(subset), strict=True))
            drops[i, k] = before - probabilities_by_keras(model, perturbed)[t]
    return sums, drops


@pytest.mark.parametrize("channels", [1, 2])
def test_mu_fidelity_by_hand(channels):
    model = small_model(channels, seed=1)
    rng = np.random.default_rng(2)
    images = rng.random((3, 4, 4, channels)).astype(np.float32)
    maps = rng.normal(size=(3, 4, 4))
    subsets = rng.random((6, 4, 4)) < 0.4
    targets = np.array([2, 0, 1])
    result = interp.mu_fidelity(model, images, maps, targets, subsets=subsets, baseline=0.3)
    sums, drops = hand_mu_fidelity(model, images, maps, targets, subsets, 0.3)
    np.testing.assert_allclose(result.sums, sums, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(result.drops, drops, atol=2e-6)
    pearson = [np.corrcoef(s, d)[0, 1] for s, d in zip(sums, drops, strict=True)]
    np.testing.assert_allclose(result.scores, pearson, atol=1e-5)
    assert result.mean == pytest.approx(np.mean(pearson), abs=1e-5)
    assert isinstance(result.mean, float)
    spearman = interp.mu_fidelity(model, images, maps, targets, subsets=subsets, baseline=0.3,
                                  correlation="spearman")
    np.testing.assert_allclose(
        spearman.scores, [spearmanr(s, d).statistic for s, d in zip(sums, drops, strict=True)],
        atol=1e-9)
    # maps shaped like the images are summed over channels first
    per_channel = np.repeat(maps[..., None], channels, axis=-1) / channels
    again = interp.mu_fidelity(model, images, per_channel, targets, subsets=subsets,
                               baseline=0.3)
    np.testing.assert_allclose(again.scores, result.scores, atol=1e-9)


def test_mu_fidelity_draws_subsets_of_one_size_from_a_grid():
    """The default subsets, drawn by hand: the m cells with the smallest uniform draws,
    each cell spread over its pixels as TensorFlow's nearest-neighbour resize spreads it."""
    import tensorflow as tf

    size, grid, n_subsets, fraction, seed = 7, 3, 5, 0.4, 11
    model = small_model(size=size, seed=3)
    rng = np.random.default_rng(4)
    images = rng.random((2, size, size, 1)).astype(np.float32)
    maps = rng.normal(size=(2, size, size))
    result = interp.mu_fidelity(model, images, maps, 0, n_subsets=n_subsets,
                                fraction=fraction, grid=grid, seed=seed)
    draws = np.random.default_rng(seed).random((n_subsets, grid * grid))
    m = round(fraction * grid * grid)  # 4 of 9 cells
    subsets = []
    for row in draws:
        cells = np.zeros(grid * grid)
        cells[sorted(range(grid * grid), key=lambda c, row=row: row[c])[:m]] = 1.0
        spread = tf.image.resize(cells.reshape(1, grid, grid, 1), (size, size),
                                 method="nearest").numpy()[0, :, :, 0]
        subsets.append(spread > 0.5)
    sums, drops = hand_mu_fidelity(model, images, maps, [0, 0], np.array(subsets), 0.0)
    np.testing.assert_allclose(result.sums, sums, atol=1e-12)
    np.testing.assert_allclose(result.drops, drops, atol=2e-6)
    # single pixels (grid=None): every subset holds round(0.2 * 49) = 10 pixels
    pixels = interp.mu_fidelity(model, images, np.ones((2, size, size)), 0, n_subsets=4,
                                seed=seed)
    np.testing.assert_allclose(pixels.sums, 10.0)
    assert np.isnan(pixels.scores).all() and np.isnan(pixels.mean)  # a constant sum
    draws = np.random.default_rng(seed).random((4, size * size))
    chosen = np.zeros((4, size * size), bool)
    for k, row in enumerate(draws):
        chosen[k, np.argsort(row)[:10]] = True
    by_hand, _ = hand_mu_fidelity(model, images[:1], maps[:1], [0], chosen.reshape(4, size, size),
                                  0.0)
    again = interp.mu_fidelity(model, images[:1], maps[:1], 0, n_subsets=4, seed=seed)
    np.testing.assert_allclose(again.sums, by_hand, atol=1e-12)


def test_mu_fidelity_targets_batches_and_channels_first():
    model = small_model(2, size=5, seed=5)
    rng = np.random.default_rng(6)
    images = rng.random((5, 5, 5, 2)).astype(np.float32)
    maps = rng.normal(size=(5, 5, 5))
    reference = interp.mu_fidelity(model, images, maps, n_subsets=7, seed=2)
    np.testing.assert_allclose(  # the default target is each image's predicted class
        reference.drops, interp.mu_fidelity(model, images, maps, predicted(model, images),
                                            n_subsets=7, seed=2).drops, atol=1e-7)
    for batch_size in (1, 3, 1000):
        got = interp.mu_fidelity(model, images, maps, n_subsets=7, seed=2,
                                 batch_size=batch_size)
        # float32 probabilities: XLA (JAX) rounds a batch of another size differently
        np.testing.assert_allclose(got.drops, reference.drops, atol=1e-6)
    first = keras.Sequential([keras.Input((2, 5, 5)),
                              L.Conv2D(2, 1, activation="tanh", data_format="channels_first"),
                              L.Permute((2, 3, 1)), L.Flatten(),
                              L.Dense(3, activation="softmax")])
    first.set_weights(model.get_weights())
    got = interp.mu_fidelity(first, np.moveaxis(images, -1, 1), maps, n_subsets=7, seed=2)
    np.testing.assert_allclose(got.drops, reference.drops, atol=1e-6)
    np.testing.assert_allclose(got.scores, reference.scores, atol=1e-4)  # float32 drops


# ---- infidelity -------------------------------------------------------------------------

def hand_infidelity(model, images, maps, targets, perturbations, normalize=False):
    """Yeh et al.'s infidelity in a loop. A map-shaped perturbation goes into every
    channel, and a map (a sum over channels) is spread evenly over them."""
    scores, sums, drops = [], [], []
    for image, a, t in zip(images, maps, targets, strict=True):
        before = probabilities_by_keras(model, image)[t]
        s, d = [], []
        for step in perturbations:
            if step.shape != image.shape:
                step = np.repeat(step[..., None], image.shape[-1], axis=-1)
                a_full = np.repeat(a[..., None], image.shape[-1], axis=-1) / image.shape[-1]
            else:
                a_full = a
            s.append(float(np.sum(step * a_full)))
            d.append(before - probabilities_by_keras(model, image - step)[t])
        s, d = np.array(s), np.array(d)
        beta = 1.0
        if normalize:
            beta = np.mean(s * d) / np.mean(s * s) if np.any(s) else 0.0
        scores.append(np.mean((beta * s - d) ** 2))
        sums.append(s)
        drops.append(d)
    return np.array(scores), np.array(sums), np.array(drops)


@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("normalize", [False, True])
def test_infidelity_by_hand(channels, normalize):
    model = small_model(channels, seed=9)
    model.set_weights([w * 0.3 for w in model.get_weights()])  # no saturated probability
    rng = np.random.default_rng(10)
    images = rng.random((3, 4, 4, channels)).astype(np.float32)
    maps = rng.normal(size=(3, 4, 4))
    steps = rng.normal(0, 0.3, size=(5, 4, 4))
    targets = np.array([1, 1, 0])
    result = interp.infidelity(model, images, maps, targets, perturbations=steps,
                               normalize=normalize)
    scores, sums, drops = hand_infidelity(model, images, maps, targets, steps, normalize)
    np.testing.assert_allclose(result.sums, sums, rtol=1e-12)
    np.testing.assert_allclose(result.drops, drops, atol=2e-6)
    assert np.abs(drops).max(axis=1).min() > 1e-3  # every image's drops matter
    expected = scores
    np.testing.assert_allclose(result.scores, expected, rtol=1e-4, atol=1e-9)
    assert result.mean == pytest.approx(expected.mean(), rel=1e-4)
    # perturbations shaped like the images, with attributions shaped like them too
    whole_steps = rng.normal(0, 0.3, size=(4, 4, 4, channels))
    whole_maps = rng.normal(size=(3, 4, 4, channels))
    got = interp.infidelity(model, images, whole_maps, targets, perturbations=whole_steps,
                            normalize=normalize)
    expected, sums, _ = hand_infidelity(model, images, whole_maps, targets, whole_steps,
                                        normalize)
    np.testing.assert_allclose(got.sums, sums, rtol=1e-12)
    np.testing.assert_allclose(got.scores, expected, rtol=1e-4, atol=1e-9)


def test_infidelity_draws_gaussian_perturbations_and_normalizes_a_map_exactly():
    model = small_model(seed=12)
    images = np.random.default_rng(13).random((2, 4, 4, 1)).astype(np.float32)
    maps = np.random.default_rng(14).normal(size=(2, 4, 4))
    result = interp.infidelity(model, images, maps, 2, n=6, noise=0.05, seed=3)
    steps = np.random.default_rng(3).normal(0.0, 0.05, (6, 4, 4))
    expected, sums, drops = hand_infidelity(model, images, maps, [2, 2], steps)
    np.testing.assert_allclose(result.sums, sums, rtol=1e-12)
    np.testing.assert_allclose(result.scores, expected, rtol=1e-4, atol=1e-10)
    # a map proportional to the drops' best linear fit scores only the residual, at any scale
    normalized = interp.infidelity(model, images, maps, 2, n=6, noise=0.05, seed=3,
                                   normalize=True)
    scaled = interp.infidelity(model, images, -7.0 * maps, 2, n=6, noise=0.05, seed=3,
                               normalize=True)
    np.testing.assert_allclose(scaled.scores, normalized.scores, rtol=1e-6)
    assert np.all(normalized.scores <= result.scores + 1e-12)
    # a zero map: beta is 0 and the score is the drops' mean square
    zero = interp.infidelity(model, images, np.zeros((2, 4, 4)), 2, n=6, noise=0.05, seed=3,
                             normalize=True)
    np.testing.assert_allclose(zero.scores, (drops**2).mean(axis=1), rtol=1e-5)


def test_infidelity_perturbations_shaped_like_images_with_maps():
    """One channel: the perturbation's only channel goes with the map. Two: refused."""
    model = small_model(seed=15)
    rng = np.random.default_rng(16)
    images = rng.random((2, 4, 4, 1)).astype(np.float32)
    maps, steps = rng.normal(size=(2, 4, 4)), rng.normal(0, 0.2, size=(3, 4, 4, 1))
    np.testing.assert_allclose(
        interp.infidelity(model, images, maps, 0, perturbations=steps).scores,
        interp.infidelity(model, images, maps, 0, perturbations=steps[..., 0]).scores,
        rtol=1e-12)
    rgb = small_model(3, seed=15)
    with pytest.raises(ValueError, match=r"^infidelity: perturbations shaped like the images "
                                         r"\(4, 4, 3\) need attributions shaped like the images "
                                         r"too, got an array of shape \(2, 4, 4\)"):
        interp.infidelity(rgb, rng.random((2, 4, 4, 3)), maps,
                          perturbations=rng.random((3, 4, 4, 3)))


def test_infidelity_targets_batches_and_model_kinds(model_kinds):
    images = np.random.default_rng(1).random((5, 12, 12, 1)).astype(np.float32)
    maps = np.random.default_rng(2).normal(size=(5, 12, 12))
    reference = interp.infidelity(model_kinds["sequential-input"], images, maps, 1, n=6)
    for kind, model in model_kinds.items():
        for batch_size in (1, 7, 1000):
            got = interp.infidelity(model, images, maps, 1, n=6, batch_size=batch_size)
            np.testing.assert_allclose(got.drops, reference.drops, atol=1e-6,
                                       err_msg=f"{kind}, batch_size={batch_size}")


# ---- max-sensitivity --------------------------------------------------------------------

def squares_map(model, images, target=None):
    """A map in plain numpy: (first channel squared + last channel) times (target + 1)."""
    images = np.asarray(images, np.float64)
    scale = np.asarray(target, np.float64)[:, None, None] + 1.0
    return (images[..., 0] ** 2 + images[..., -1]) * scale


def hand_max_sensitivity(method, model, images, targets, perturbations):
    """Yeh et al.'s max-sensitivity in a loop: each perturbed image on its own."""
    ratios = np.zeros((len(images), len(perturbations)))
    for i, (image, t) in enumerate(zip(images, targets, strict=True)):
        a = np.asarray(method(model, image[None], target=np.array([t])), np.float64)[0]
        norm = np.sqrt(np.sum(a**2)) or 1.0
        for k, d in enumerate(perturbations):
            if d.shape != image.shape:
                d = np.repeat(d[..., None], image.shape[-1], axis=-1)
            moved = np.asarray(method(model, (image + d)[None], target=np.array([t])),
                               np.float64)[0]
            ratios[i, k] = np.sqrt(np.sum((moved - a) ** 2)) / norm
    return ratios


@pytest.mark.parametrize("channels", [1, 2])
def test_max_sensitivity_by_hand(channels):
    model = small_model(channels, seed=21)
    rng = np.random.default_rng(22)
    images = rng.random((3, 4, 4, channels)).astype(np.float32)
    steps = rng.uniform(-0.1, 0.1, size=(5, 4, 4, channels)).astype(np.float32)
    calls = []

    def method(model, images, target=None, scale=1.0):
        calls.append((len(images), np.array(target)))
        return squares_map(model, images, target) * scale

    expected = hand_max_sensitivity(squares_map, model, images, predicted(model, images), steps)
    for batch_size in (1, 4, 7, 1000):
        calls.clear()
        got = interp.max_sensitivity(method, model, images, perturbations=steps,
                                     batch_size=batch_size, scale=3.0)
        np.testing.assert_allclose(got.ratios, expected, rtol=1e-5, atol=1e-7,
                                   err_msg=f"batch_size={batch_size}")
        np.testing.assert_array_equal(got.scores, got.ratios.max(axis=1))
        assert got.mean == pytest.approx(expected.max(axis=1).mean(), rel=1e-5)
        assert max(size for size, _ in calls) <= batch_size
        # every copy of an image is explained for the class predicted on the image itself
        classes = np.concatenate([t for _, t in calls])
        assert sorted(classes.tolist()) == sorted(
            np.repeat(predicted(model, images), 1 + len(steps)).tolist())
    # given targets, and perturbations shaped like one map (added to every channel)
    flat = steps[..., 0]
    got = interp.max_sensitivity(squares_map, model, images, [2, 0, 1],
                                 perturbations=flat)
    np.testing.assert_allclose(
        got.ratios, hand_max_sensitivity(squares_map, model, images, [2, 0, 1], flat),
        rtol=1e-5, atol=1e-7)


def test_max_sensitivity_draws_uniform_perturbations_and_divides_a_zero_map_by_one():
    model = small_model(seed=23)
    images = np.zeros((2, 4, 4, 1), np.float32)
    images[1] = 0.5

    def first_channel(model, images, target=None):
        return np.asarray(images)[..., 0]

    got = interp.max_sensitivity(first_channel, model, images, 0, n=6, radius=0.05,
                                 seed=4)
    steps = np.random.default_rng(4).uniform(-0.05, 0.05, (6, 4, 4, 1)).astype(np.float32)
    norms = np.sqrt((steps**2).sum(axis=(1, 2, 3)))
    np.testing.assert_allclose(got.ratios[0], norms, rtol=1e-6)  # ||d|| / 1: a zero map
    np.testing.assert_allclose(got.ratios[1], norms / 2.0, rtol=1e-6)  # ||d|| / ||0.5||
    assert np.all(np.abs(steps) <= 0.05) and np.ptp(steps) > 0.08


def test_max_sensitivity_of_saliency_is_zero_for_a_linear_network(model_kinds):
    """A network that is linear up to its softmax has one gradient everywhere."""
    keras.utils.set_random_seed(24)
    linear = keras.Sequential([keras.Input((4, 4, 1)), L.Flatten(),
                               L.Dense(3, activation="softmax")])
    images = np.random.default_rng(25).random((3, 4, 4, 1)).astype(np.float32)
    got = interp.max_sensitivity(interp.saliency, linear, images, n=4, radius=0.3)
    np.testing.assert_allclose(got.scores, 0.0, atol=1e-6)
    # a network that is not linear: the same ratios whatever its kind and the batch size
    images = np.random.default_rng(26).random((3, 12, 12, 1)).astype(np.float32)
    reference = interp.max_sensitivity(interp.saliency, model_kinds["sequential-input"], images,
                                       1, n=3, radius=0.1)
    assert np.all(reference.scores > 1e-3)
    for kind, model in model_kinds.items():
        for batch_size in (2, 1000):
            got = interp.max_sensitivity(interp.saliency, model, images, 1, n=3, radius=0.1,
                                         batch_size=batch_size)
            np.testing.assert_allclose(got.ratios, reference.ratios, rtol=1e-4, atol=1e-6,
                                       err_msg=f"{kind}, batch_size={batch_size}")


# ---- random logit -------------------------------------------------------------------------

WEIGHTS = np.random.default_rng(31).normal(size=(3, 4, 4))


def class_weighted(model, images, target=None):
    """A map in plain numpy: the first channel times a fixed random pattern per class."""
    return np.asarray(images, np.float64)[..., 0] * WEIGHTS[np.asarray(target)]


@pytest.mark.parametrize("absolute", [False, True])
def test_random_logit_by_hand(absolute):
    model = small_model(2, seed=32)
    images = np.random.default_rng(33).random((7, 4, 4, 2)).astype(np.float32)
    targets = predicted(model, images)
    draw = np.random.default_rng(5).integers(0, 2, 7)  # 3 classes: 2 others each
    others = draw + (draw >= targets)
    expected = []
    for image, t, o in zip(images, targets, others, strict=True):
        a, b = class_weighted(None, image[None], [t])[0], class_weighted(None, image[None], [o])[0]
        if absolute:
            a, b = np.abs(a), np.abs(b)
        expected.append(spearmanr(a.ravel(), b.ravel()).statistic)
    for batch_size in (1, 3, 1000):
        got = interp.random_logit(class_weighted, model, images, seed=5,
                                  absolute=absolute, batch_size=batch_size)
        np.testing.assert_array_equal(got.targets, targets)
        np.testing.assert_array_equal(got.others, others)
        np.testing.assert_allclose(got.scores, expected, atol=1e-12)
        assert got.mean == pytest.approx(np.mean(expected), abs=1e-12)
    # given others
    given = (targets + 1) % 3
    got = interp.random_logit(class_weighted, model, images, others=given)
    np.testing.assert_array_equal(got.others, given)
    by_hand = [spearmanr((x[..., 0] * WEIGHTS[t]).ravel(), (x[..., 0] * WEIGHTS[o]).ravel())
               .statistic for x, t, o in zip(images, targets, given, strict=True)]
    np.testing.assert_allclose(got.scores, by_hand, atol=1e-12)


def _ssim_by_hand(a, b, size):
    """SSIM of two 2-D maps in loops: Gaussian window (sigma 1.5) of *size*, "valid"."""
    bell = [math.exp(-(u - (size - 1) / 2) ** 2 / 4.5) for u in range(size)]
    weight = [[bu * bv / sum(bell) ** 2 for bv in bell] for bu in bell]
    span = max(a.max(), b.max()) - min(a.min(), b.min())
    c1, c2 = (0.01 * span) ** 2, (0.03 * span) ** 2
    values = []
    for i in range(a.shape[0] - size + 1):
        for j in range(a.shape[1] - size + 1):
            def mean(f, i=i, j=j):
                return sum(weight[u][v] * f(a[i + u, j + v], b[i + u, j + v])
                           for u in range(size) for v in range(size))
            ma, mb = mean(lambda x, y: x), mean(lambda x, y: y)
            va, vb = mean(lambda x, y: x * x) - ma ** 2, mean(lambda x, y: y * y) - mb ** 2
            cov = mean(lambda x, y: x * y) - ma * mb
            values.append((2 * ma * mb + c1) * (2 * cov + c2)
                          / ((ma ** 2 + mb ** 2 + c1) * (va + vb + c2)))
    return sum(values) / len(values)


def test_random_logit_ssim_by_hand_and_as_tensorflow_computes_it():
    """similarity="ssim": Xplique's SSIM (tf.image.ssim, 11 x 11 window shrunk to the map,
    the pair's own range); checked in loops, and against TensorFlow on 28 x 28 maps."""
    model = small_model(2, seed=32)
    images = np.random.default_rng(34).random((5, 4, 4, 2)).astype(np.float32)
    targets = predicted(model, images)
    got = interp.random_logit(class_weighted, model, images, seed=5, similarity="ssim")
    by_hand = [_ssim_by_hand(x[..., 0] * WEIGHTS[t], x[..., 0] * WEIGHTS[o], size=3)
               for x, t, o in zip(images, targets, got.others, strict=True)]
    np.testing.assert_allclose(got.scores, by_hand, atol=1e-12)
    assert got.mean == pytest.approx(np.mean(by_hand), abs=1e-12)

    import tensorflow as tf

    patterns = np.random.default_rng(35).normal(size=(3, 28, 28))
    model = small_model(2, seed=36, size=28)
    images = np.random.default_rng(37).random((4, 28, 28, 2)).astype(np.float32)

    def smooth(model, images, target=None):  # maps with some structure, unlike noise
        return np.cumsum(images[..., 0] * patterns[np.asarray(target)], axis=1)

    got = interp.random_logit(smooth, model, images, seed=1, similarity="ssim")
    first, second = (smooth(None, images, got.targets)[..., None],
                     smooth(None, images, got.others)[..., None])
    for i, score in enumerate(got.scores):
        span = max(first[i].max(), second[i].max()) - min(first[i].min(), second[i].min())
        reference = tf.image.ssim(first[i], second[i], max_val=span, filter_size=11,
                                  filter_sigma=1.5, k1=0.01, k2=0.03)
        assert score == pytest.approx(float(reference), abs=1e-6)
    same = interp.random_logit(lambda m, x, target: np.ones(x.shape[:-1]), model, images,
                               similarity="ssim")
    np.testing.assert_array_equal(same.scores, 1.0)  # two equal constant maps


def test_random_logit_draws_every_other_class_and_never_the_target():
    keras.utils.set_random_seed(34)
    model = keras.Sequential([keras.Input((4, 4, 1)), L.Flatten(),
                              L.Dense(10, activation="softmax")])
    images = np.random.default_rng(35).random((400, 4, 4, 1)).astype(np.float32)
    got = interp.random_logit(class_weighted_any, model, images, 3, seed=0)
    assert np.all(got.others != 3)
    counts = np.bincount(got.others, minlength=10)
    assert counts[3] == 0 and np.all(np.delete(counts, 3) > 20)  # about 44 each


def class_weighted_any(model, images, target=None):
    return np.asarray(images, np.float64)[..., 0] * (np.asarray(target)[:, None, None] + 1)


def test_random_logit_of_saliency_on_a_linear_network_correlates_its_weight_columns(
        model_kinds):
    """For logits linear in the pixels, saliency for class c is column c of the kernel."""
    keras.utils.set_random_seed(36)
    linear = keras.Sequential([keras.Input((4, 4, 1)), L.Flatten(),
                               L.Dense(3, activation="softmax")])
    images = np.random.default_rng(37).random((5, 4, 4, 1)).astype(np.float32)
    kernel = linear.get_weights()[0]  # (16, 3)
    got = interp.random_logit(interp.saliency, linear, images, 0, seed=2)
    expected = [spearmanr(kernel[:, 0], kernel[:, o]).statistic for o in got.others]
    np.testing.assert_allclose(got.scores, expected, atol=1e-6)
    # a sigmoid unit has two classes: the other is always the one not asked for
    binary = keras.Sequential([keras.Input((4, 4, 1)), L.Flatten(),
                               L.Dense(1, activation="sigmoid")])
    got = interp.random_logit(interp.saliency, binary, images, [0, 1, 1, 0, 1])
    np.testing.assert_array_equal(got.others, [1, 0, 0, 1, 0])
    np.testing.assert_allclose(got.scores, -1.0, atol=1e-6)  # logits z and -z
    images = np.random.default_rng(38).random((3, 12, 12, 1)).astype(np.float32)
    reference = interp.random_logit(interp.saliency, model_kinds["sequential-input"], images,
                                    seed=3)
    for kind, model in model_kinds.items():
        got = interp.random_logit(interp.saliency, model, images, seed=3, batch_size=2)
        np.testing.assert_array_equal(got.others, reference.others, err_msg=kind)
        np.testing.assert_allclose(got.scores, reference.scores, atol=1e-5, err_msg=kind)


# ---- ROAD ---------------------------------------------------------------------------------

NEIGHBOURS = [(dy, dx, 1 / 12 if dy and dx else 1 / 6)
              for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx]


def impute_by_scipy(image, removed):
    """ROAD's linear imputation as Rong et al.'s code sets it up: one equation per removed
    pixel (its value times the weights of its neighbours inside the image equals their
    weighted sum), solved by scipy's sparse solver. *image* is (H, W, C)."""
    from scipy.sparse import lil_matrix
    from scipy.sparse.linalg import spsolve

    height, width, channels = image.shape
    unknown = {pixel: k for k, pixel in enumerate(zip(*np.nonzero(removed), strict=True))}
    system = lil_matrix((len(unknown), len(unknown)))
    rhs = np.zeros((len(unknown), channels))
    for (y, x), k in unknown.items():
        for dy, dx, w in NEIGHBOURS:
            if 0 <= y + dy < height and 0 <= x + dx < width:
                system[k, k] += w
                if (y + dy, x + dx) in unknown:
                    system[k, unknown[y + dy, x + dx]] -= w
                else:
                    rhs[k] += w * image[y + dy, x + dx]
    out = np.array(image, np.float64)
    if unknown:
        solution = spsolve(system.tocsc(), rhs).reshape(len(unknown), channels)
        for (y, x), k in unknown.items():
            out[y, x] = solution[k]
    return out


def hand_road(model, images, maps, targets, fractions, order, noise, seed):
    scores = np.zeros((len(images), len(fractions)))
    for i, (image, a, t) in enumerate(zip(images, maps, targets, strict=True)):
        flat = a.ravel()
        sign = -1 if order == "morf" else 1
        ranked = sorted(range(flat.size), key=lambda p, flat=flat: (sign * flat[p], p))
        for k, f in enumerate(fractions):
            removed = np.zeros(flat.size, bool)
            removed[ranked[:round(f * flat.size)]] = True
            removed = removed.reshape(a.shape)
            filled = impute_by_scipy(image, removed)
            draws = np.random.default_rng([seed, i, k]).normal(0.0, noise, image.shape)
            filled[removed] += draws[removed]
            scores[i, k] = probabilities_by_keras(model, filled)[t]
    return scores


@pytest.mark.parametrize(("channels", "order"), [(1, "morf"), (2, "lerf"), (2, "morf")])
def test_road_by_hand(channels, order):
    model = small_model(channels, size=6, seed=41)
    model.set_weights([w * 0.3 for w in model.get_weights()])  # no saturated probability
    rng = np.random.default_rng(42)
    images = rng.random((3, 6, 6, channels)).astype(np.float32)
    maps = rng.normal(size=(3, 6, 6))
    maps[0, :3] = 0.5  # ties: broken by position
    targets = np.array([0, 2, 1])
    fractions = [0.0, 0.25, 0.5, 0.9]
    expected = hand_road(model, images, maps, targets, fractions, order, 0.05, 7)
    for batch_size in (1, 5, 1000):
        got = interp.road(model, images, maps, targets, fractions=fractions, order=order,
                          noise=0.05, seed=7, batch_size=batch_size)
        np.testing.assert_allclose(got.scores, expected, atol=2e-6,
                                   err_msg=f"batch_size={batch_size}")
    assert 0.02 < expected.min() and expected.max() < 0.98
    np.testing.assert_array_equal(got.fractions, fractions)
    np.testing.assert_allclose(got.auc, np.trapezoid(expected, fractions, axis=1), atol=2e-6)
    # nothing removed: the image's own probability
    np.testing.assert_allclose(
        got.scores[:, 0], [probabilities_by_keras(model, x)[t] for x, t in
                           zip(images, targets, strict=True)], atol=2e-6)
    # maps shaped like the images are summed over channels; the default target
    per_channel = np.repeat(maps[..., None], channels, axis=-1) / channels
    again = interp.road(model, images, per_channel, fractions=fractions, order=order,
                        noise=0.05, seed=7)
    np.testing.assert_allclose(
        again.scores, hand_road(model, images, maps, predicted(model, images), fractions,
                                order, 0.05, 7), atol=2e-6)


def test_road_imputes_a_ramp_exactly_away_from_the_border():
    """The weighted mean of a pixel's eight neighbours is its own value on a linear ramp,
    so removing interior pixels of a ramp (no noise) leaves the image and its probability."""
    model = small_model(size=8, seed=43)
    model.set_weights([w * 0.3 for w in model.get_weights()])  # no saturated probability
    y, x = np.mgrid[0:8, 0:8]
    ramp = (0.05 * y - 0.03 * x + 0.4)[None, ..., None].astype(np.float32)
    maps = np.zeros((1, 8, 8))
    maps[0, 2:6, 2:6] = 1.0 + np.arange(16).reshape(4, 4)  # the 16 interior pixels first
    got = interp.road(model, ramp, maps, 1, fractions=[0.0, 0.125, 0.25], noise=0.0)
    assert 0.05 < got.scores[0, 0] < 0.95
    np.testing.assert_allclose(got.scores[0], got.scores[0, 0], rtol=1e-6)
    noisy = interp.road(model, ramp, maps, 1, fractions=[0.0, 0.25], noise=0.3)
    assert abs(noisy.scores[0, 1] - noisy.scores[0, 0]) > 1e-3  # the noise does reach it
    # with the border pixels removed too, the ramp is not kept (their neighbours are lopsided)
    edge = interp.road(model, ramp, -maps, 1, fractions=[0.0, 0.75], noise=0.0)
    assert abs(edge.scores[0, 1] - edge.scores[0, 0]) > 1e-4


def test_road_channels_first_and_model_kinds(model_kinds):
    model = small_model(2, size=5, seed=44)
    rng = np.random.default_rng(45)
    images = rng.random((4, 5, 5, 2)).astype(np.float32)
    maps = rng.normal(size=(4, 5, 5))
    reference = interp.road(model, images, maps, fractions=[0.2, 0.6], seed=3)
    first = keras.Sequential([keras.Input((2, 5, 5)),
                              L.Conv2D(2, 1, activation="tanh", data_format="channels_first"),
                              L.Permute((2, 3, 1)), L.Flatten(),
                              L.Dense(3, activation="softmax")])
    first.set_weights(model.get_weights())
    got = interp.road(first, np.moveaxis(images, -1, 1), maps, fractions=[0.2, 0.6], seed=3)
    np.testing.assert_allclose(got.scores, reference.scores, atol=1e-6)
    # images without a channel axis (the model adds it): one channel of noise
    bare = small_model(size=5, seed=47)
    plain = keras.Sequential([keras.Input((5, 5)), L.Reshape((5, 5, 1)),
                              L.Conv2D(2, 1, activation="tanh"), L.Flatten(),
                              L.Dense(3, activation="softmax")])
    plain.set_weights(bare.get_weights())
    got = interp.road(plain, images[..., 0], maps, fractions=[0.2, 0.6], seed=3, noise=0.2)
    with_axis = interp.road(bare, images[..., :1], maps, fractions=[0.2, 0.6], seed=3,
                            noise=0.2)
    np.testing.assert_allclose(got.scores, with_axis.scores, atol=1e-6)
    images = rng.random((3, 12, 12, 1)).astype(np.float32)
    maps = rng.normal(size=(3, 12, 12))
    reference = interp.road(model_kinds["sequential-input"], images, maps, 1,
                            fractions=[0.3, 0.7])
    for kind, model in model_kinds.items():
        got = interp.road(model, images, maps, 1, fractions=[0.3, 0.7], batch_size=4)
        np.testing.assert_allclose(got.scores, reference.scores, atol=1e-6, err_msg=kind)


@pytest.mark.slow
def test_mu_fidelity_subsets_of_one_size_leave_random_maps_near_zero(trained, test_set):
    """The claim of mu_fidelity's Notes: subsets whose sizes vary (Xplique's draw) let a
    map positive everywhere correlate with the drops; subsets of one size do not."""
    images = test_set[0][:200]
    varying = np.random.default_rng(0).random((128, 28, 28)) < 0.2
    for seed in range(3):
        maps = np.random.default_rng(seed).random((200, 28, 28))
        one_size = interp.mu_fidelity(trained, images, maps).mean
        by_chance = interp.mu_fidelity(trained, images, maps, subsets=varying).mean
        assert abs(one_size) < 0.01, (seed, one_size)
        assert 0.025 < by_chance < 0.06, (seed, by_chance)


@pytest.mark.parametrize(("call", "error", "words"), [
    (lambda m, x: interp.mu_fidelity(m, x, np.ones((2, 4, 4))), ValueError,
     "mu_fidelity: attributions must be one map per image, shaped (3, 4, 4)"),
    (lambda m, x: interp.mu_fidelity(m, x, np.full((3, 4, 4), np.inf)), ValueError,
     "mu_fidelity: attributions must be finite"),
    (lambda m, x: interp.mu_fidelity(m, x, np.ones((3, 4, 4)), subsets=np.ones((1, 4, 4), bool)),
     ValueError, "mu_fidelity: subsets must be a boolean array shaped (N, 4, 4) with N >= 2, got "
     "an array of shape (1, 4, 4)"),
    (lambda m, x: interp.mu_fidelity(m, x, np.ones((3, 4, 4)), subsets=np.ones((2, 4, 5), bool)),
     ValueError, "mu_fidelity: subsets must be a boolean array shaped (N, 4, 4)"),
    (lambda m, x: interp.mu_fidelity(m, x, np.ones((3, 4, 4)), subsets=np.full((2, 4, 4), 0.5)),
     ValueError, "mu_fidelity: subsets must be a boolean array shaped (N, 4, 4) with N >= 2 (or "
     "of 0s and 1s), got values other than 0 and 1"),
    (lambda m, x: interp.mu_fidelity(m, x, np.ones((3, 4, 4)), subsets="all"), TypeError,
     "mu_fidelity: subsets must be a boolean array"),
    (lambda m, x: interp.mu_fidelity(m, x, np.ones((3, 4, 4)), n_subsets=1), ValueError,
     "mu_fidelity: n_subsets must be an int >= 2, got 1"),
    (lambda m, x: interp.mu_fidelity(m, x, np.ones((3, 4, 4)), fraction=1.0), ValueError,
     "mu_fidelity: fraction must be a finite number > 0 and < 1, got 1.0"),
    (lambda m, x: interp.mu_fidelity(m, x, np.ones((3, 4, 4)), fraction=0), ValueError,
     "mu_fidelity: fraction must be a finite number > 0, got 0"),
    (lambda m, x: interp.mu_fidelity(m, x, np.ones((3, 4, 4)), grid=0), ValueError,
     "mu_fidelity: grid must be an int >= 1, got 0"),
    (lambda m, x: interp.mu_fidelity(m, x, np.ones((3, 4, 4)), baseline="black"), TypeError,
     "mu_fidelity: baseline must be a number, got 'black'"),
    (lambda m, x: interp.mu_fidelity(m, x, np.ones((3, 4, 4)), correlation="kendall"),
     ValueError, "mu_fidelity: correlation must be 'pearson' or 'spearman', got 'kendall'"),
    (lambda m, x: interp.mu_fidelity(m, x, np.ones((3, 4, 4)), seed=-2), ValueError,
     "mu_fidelity: seed must be an int >= 0, got -2"),
    (lambda m, x: interp.infidelity(m, x, np.ones((3, 5, 5))), ValueError,
     "infidelity: attributions must be one map per image, shaped (3, 4, 4)"),
    (lambda m, x: interp.infidelity(m, x, np.ones((3, 4, 4)), perturbations=np.ones((2, 4))),
     ValueError, "infidelity: perturbations must be an array of perturbations shaped "
     "(N, 4, 4) or (N, 4, 4, 1), N >= 1, got an array of shape (2, 4)"),
    (lambda m, x: interp.infidelity(m, x, np.ones((3, 4, 4)),
                                    perturbations=np.full((2, 4, 4), np.nan)),
     ValueError, "infidelity: perturbations must be finite"),
    (lambda m, x: interp.infidelity(m, x, np.ones((3, 4, 4)), perturbations=[[1], [1, 2]]),
     TypeError, "infidelity: perturbations must be an array of perturbations"),
    (lambda m, x: interp.infidelity(m, x, np.ones((3, 4, 4)), n=0), ValueError,
     "infidelity: n must be an int >= 1, got 0"),
    (lambda m, x: interp.infidelity(m, x, np.ones((3, 4, 4)), noise=0.0), ValueError,
     "infidelity: noise must be a finite number > 0, got 0.0"),
    (lambda m, x: interp.infidelity(m, x, np.ones((3, 4, 4)), normalize="yes"), TypeError,
     "infidelity: normalize must be True or False, got 'yes'"),
    (lambda m, x: interp.max_sensitivity("saliency", m, x), TypeError,
     "max_sensitivity: method must be an attribution method (a callable such as "
     "interp.saliency), got 'saliency' (str); the call is max_sensitivity(method, model, images, "
     "target=None, ...)"),
    (lambda m, x: interp.max_sensitivity(m, x, 0), TypeError,  # the order of the other measures
     "max_sensitivity: method must be an attribution method (a callable such as "
     "interp.saliency), got a keras model (Functional); the call"),
    (lambda m, x: interp.max_sensitivity(lambda m, x, target: x[:1, ..., 0], m, x),
     TypeError, "max_sensitivity: method must return one map per image, an array shaped (3, "),
    (lambda m, x: interp.max_sensitivity(lambda m, x, target: np.full(x.shape[:-1], np.nan), m, x),
     ValueError, "max_sensitivity: method returned NaN or inf values for images 0..2"),
    (lambda m, x: interp.max_sensitivity(interp.saliency, m, x, perturbations=np.ones((2, 4, 5))), ValueError,
     "max_sensitivity: perturbations must be an array of perturbations shaped (N, 4, 4) or "
     "(N, 4, 4, 1), N >= 1, got an array of shape (2, 4, 5)"),
    (lambda m, x: interp.max_sensitivity(interp.saliency, m, x, perturbations=np.full((2, 4, 4), np.inf)),
     ValueError, "max_sensitivity: perturbations must be finite"),
    (lambda m, x: interp.max_sensitivity(interp.saliency, m, x, n=0), ValueError,
     "max_sensitivity: n must be an int >= 1, got 0"),
    (lambda m, x: interp.max_sensitivity(interp.saliency, m, x, radius=0), ValueError,
     "max_sensitivity: radius must be a finite number > 0, got 0"),
    (lambda m, x: interp.max_sensitivity(interp.saliency, m, x, radius="small"), TypeError,
     "max_sensitivity: radius must be a number, got 'small'"),
    (lambda m, x: interp.max_sensitivity(interp.saliency, m, x, seed=1.5), TypeError,
     "max_sensitivity: seed must be an int"),
    (lambda m, x: interp.random_logit(interp.saliency, m, x, 0, others=[0, 1, 2]), ValueError,
     "random_logit: others must be one class index per image (3) in 0..2, each other than "
     "the image's target, got the target itself for image(s) [0]"),
    (lambda m, x: interp.random_logit(interp.saliency, m, x, 0, others=[1, 2]), ValueError,
     "random_logit: others must be one class index per image (3) in 0..2, each other than "
     "the image's target, got an array of shape (2,)"),
    (lambda m, x: interp.random_logit(interp.saliency, m, x, 0, others=[1, 2, 3]), ValueError,
     "random_logit: others must be one class index per image (3) in 0..2"),
    (lambda m, x: interp.random_logit(interp.saliency, m, x, 0, others=[1.0, 2.0, 1.0]), TypeError,
     "random_logit: others must be one class index per image (3) in 0..2"),
    (lambda m, x: interp.random_logit(interp.saliency, m, x, 0, others="cat"), TypeError,
     "random_logit: others must be one class index per image (3) in 0..2, each other than "
     "the image's target, got 'cat'"),
    (lambda m, x: interp.random_logit(interp.saliency, m, x, absolute=1), TypeError,
     "random_logit: absolute must be True or False, got 1"),
    (lambda m, x: interp.random_logit(interp.saliency, m, x, seed=-1), ValueError,
     "random_logit: seed must be an int >= 0, got -1"),
    (lambda m, x: interp.random_logit(interp.saliency, m, x, similarity="pearson"), ValueError,
     "random_logit: similarity must be 'rank' or 'ssim', got 'pearson'"),
    (lambda m, x: interp.random_logit(lambda m, x, target: x.reshape(len(x), -1), m, x,
                                      similarity="ssim"), ValueError,
     "random_logit: similarity='ssim' needs maps shaped (n, h, w) or (n, h, w, channels); "
     "method returned maps shaped (3, 16)"),
    (lambda m, x: interp.random_logit(3, m, x), TypeError,
     "random_logit: method must be an attribution method (a callable such as "
     "interp.saliency), got 3 (int); the call is random_logit(method, model, images, "
     "target=None, ...)"),
    (lambda m, x: interp.random_logit(m, x, 0), TypeError,  # the order of the other measures
     "random_logit: method must be an attribution method (a callable such as "
     "interp.saliency), got a keras model (Functional); the call"),
    (lambda m, x: interp.random_logit(lambda m, x, target: np.full(
        x.shape[:-1], np.inf), m, x), ValueError,
     "random_logit: method returned NaN or inf values for the targets of images 0..2"),
    (lambda m, x: interp.road(m, x, np.ones((3, 4, 4)), fractions=[0.5, 0.2]), ValueError,
     "road: fractions must be increasing numbers in [0, 1), at least one, got [0.5, 0.2]"),
    (lambda m, x: interp.road(m, x, np.ones((3, 4, 4)), fractions=[0.5, 1.0]), ValueError,
     "road: fractions must be increasing numbers in [0, 1), at least one, got [0.5, 1.0]"),
    (lambda m, x: interp.road(m, x, np.ones((3, 4, 4)), fractions=[]), ValueError,
     "road: fractions must be increasing numbers in [0, 1), at least one, got []"),
    (lambda m, x: interp.road(m, x, np.ones((3, 4, 4)), fractions=0.5), TypeError,
     "road: fractions must be increasing numbers in [0, 1), at least one, got 0.5"),
    (lambda m, x: interp.road(m, x, np.ones((3, 4, 4)), fractions=["a"]), TypeError,
     "road: fractions must be increasing numbers in [0, 1), at least one, got ['a']"),
    (lambda m, x: interp.road(m, x, np.ones((3, 4, 4)), fractions=[0.99]), ValueError,
     "road: fractions must leave at least one of the 16 pixels, got 0.99, which removes "
     "all of them"),
    (lambda m, x: interp.road(m, x, np.ones((3, 4, 4)), order="top"), ValueError,
     "road: order must be 'morf' or 'lerf', got 'top'"),
    (lambda m, x: interp.road(m, x, np.ones((3, 4, 4)), noise=-0.1), ValueError,
     "road: noise must be a finite number >= 0, got -0.1"),
    (lambda m, x: interp.road(m, x, np.full((3, 4, 4), np.nan)), ValueError,
     "road: attributions must be finite"),
    (lambda m, x: interp.road(m, x, np.ones((3, 4)),), ValueError,
     "road: attributions must be one map per image, shaped (3, 4, 4)"),
    (lambda m, x: interp.road(m, np.full_like(x, np.inf), np.ones((3, 4, 4))), ValueError,
     "road: images must be finite, got 48 NaN or inf values among images 0..2"),
    (lambda m, x: interp.road(m, np.full_like(x, np.inf), np.ones((3, 4, 4)), 0), ValueError,
     "road: images must be finite, got NaN or inf values among images 0..2"),
])
def test_measure_bad_input(call, error, words):
    model = small_model()
    images = np.random.default_rng(0).random((3, 4, 4, 1)).astype(np.float32)
    with pytest.raises(error) as info:
        call(model, images)
    assert words in str(info.value)


def test_road_refuses_images_without_two_spatial_axes():
    keras.utils.set_random_seed(46)
    flat = keras.Sequential([keras.Input((16,)), L.Dense(3, activation="softmax")])
    images = np.random.default_rng(0).random((2, 16)).astype(np.float32)
    with pytest.raises(ValueError, match=r"^road: the imputation needs images with two "
                                         r"spatial axes, got images shaped \(16,\)"):
        interp.road(flat, images, np.ones((2, 16)))


def test_measures_leave_the_model_alone():
    model = small_model(seed=8)
    before = [w.copy() for w in model.get_weights()]
    images = np.random.default_rng(0).random((2, 4, 4, 1)).astype(np.float32)
    interp.mu_fidelity(model, images, np.ones((2, 4, 4)), n_subsets=3)
    interp.infidelity(model, images, np.ones((2, 4, 4)), n=3)
    interp.max_sensitivity(interp.saliency, model, images, n=3)
    interp.random_logit(interp.saliency, model, images)
    interp.road(model, images, np.ones((2, 4, 4)), fractions=[0.5])
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
