"""The methods of issue #20 against hand computations on tiny models.

Each expectation is computed without interp: numpy loops over positions and channels,
Keras's own layers (or the backend's own autodiff) as the forward and gradient oracle,
exact Shapley values by enumerating every order of the players, and explicit masks,
samples and noise so that every random draw is reproduced exactly.
"""

import itertools
import math

import keras
import numpy as np
import pytest
from conftest import input_gradient
from conftest import softmax_twins as _twins
from test_attribution_oracles import _resize_bilinear  # bilinear resize written out in loops

import interp

L = keras.layers


def _images(shape, n=3, seed=1):
    return np.random.default_rng(seed).random((n, *shape)).astype(np.float32)


def _gradient(logit_model, images, targets):
    """d logit[target_i] / d image_i, by the backend's autodiff on a model giving logits."""
    chosen = np.broadcast_to(targets, (len(images),)).astype("int32")[:, None]
    return input_gradient(
        lambda x: keras.ops.take_along_axis(logit_model(x), keras.ops.convert_to_tensor(chosen),
                                            axis=1), images)


def _numpy(tensor):
    return np.asarray(keras.ops.convert_to_numpy(tensor), dtype=np.float64)


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# ---- SmoothGrad's statistics: SquareGrad and VarGrad ----------------------------------------

def _noisy_gradients(logits, x, targets, noise, samples, seed):
    """Every noisy copy's gradient, (n, samples, *shape), with the documented noise."""
    out = []
    for i in range(len(x)):
        spread = float(x[i].max() - x[i].min()) or 1.0
        draws = np.concatenate([
            np.random.default_rng([seed, i, g]).standard_normal(
                (min(16, samples - 16 * g), *x[i].shape), dtype=np.float32)
            for g in range(math.ceil(samples / 16))])
        noisy = x[i] + np.float32(noise * spread) * draws
        out.append(_gradient(logits, noisy, np.full(samples, targets[i])))
    return np.stack(out).astype(np.float64)


@pytest.mark.parametrize("samples", [3, 18])  # one noise group, and two
def test_smoothgrad_statistics_by_hand(samples):
    """Two colour channels: each statistic is taken per channel, then summed."""
    model, logits = _twins(lambda: [L.Conv2D(2, 3, activation="tanh"), L.Flatten()], (5, 5, 2))
    x = _images((5, 5, 2), n=3)
    targets = np.array([2, 0, 1])
    grads = _noisy_gradients(logits, x, targets, 0.3, samples, seed=4)  # (n, S, 5, 5, 2)
    expected = {
        "mean": grads.mean(axis=1).sum(axis=-1),
        "square": (grads ** 2).mean(axis=1).sum(axis=-1),
        "variance": grads.var(axis=1).sum(axis=-1),  # numpy's variance, over N
    }
    for statistic, want in expected.items():
        got = interp.smoothgrad(model, x, targets, noise=0.3, samples=samples, seed=4,
                                statistic=statistic, batch_size=5)
        assert got.shape == (3, 5, 5) and got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=2e-4, atol=1e-6, err_msg=statistic)
    # the statistics differ: a channel-summed gradient squared is something else
    squared_sum = (grads.sum(axis=-1) ** 2).mean(axis=1)
    assert np.abs(expected["square"] - squared_sum).max() > 1e-3
    assert expected["variance"].min() >= 0 and expected["variance"].max() > 1e-4


def test_vargrad_of_one_sample_or_no_noise_is_zero():
    model, _ = _twins(lambda: [L.Conv2D(2, 3, activation="tanh"), L.Flatten()], (5, 5, 1))
    x = _images((5, 5, 1), n=2)
    np.testing.assert_array_equal(interp.smoothgrad(model, x, 0, samples=1,
                                                    statistic="variance"), 0.0)
    np.testing.assert_allclose(interp.smoothgrad(model, x, 0, noise=0.0, samples=4,
                                                 statistic="variance"), 0.0, atol=1e-9)
    square = interp.smoothgrad(model, x, 0, noise=0.0, samples=3, statistic="square")
    np.testing.assert_allclose(square, interp.saliency(model, x, 0) ** 2, rtol=1e-5, atol=1e-9)


# ---- the CAM family: Grad-CAM++, LayerCAM ---------------------------------------------------

def _cam_model(seed=4):
    """7 x 7 x 2 -> conv "first" -> conv "last" (4 x 4 x 4, tanh) -> flatten -> dense(5, tanh)
    -> dense(3, softmax): the logits' gradient with respect to "last" is known by hand."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((7, 7, 2))
    first = L.Conv2D(3, 2, activation="tanh", name="first")
    last = L.Conv2D(4, 3, activation="tanh", name="last")
    hidden = L.Dense(5, activation="tanh")
    head = L.Dense(3, activation="softmax")
    model = keras.Model(inputs, head(hidden(L.Flatten()(last(first(inputs))))))
    return model, keras.Model(inputs, last.output), hidden, head


def _cam_oracle(model, x, targets):
    """The "last" layer's maps A (n, 4, 4, 4) and d logit_t / d A, by the chain rule in numpy."""
    _, to_last, hidden, head = model
    acts = _numpy(to_last(x))
    w1, b1 = hidden.get_weights()
    w2, _ = head.get_weights()
    h = np.tanh(acts.reshape(len(x), -1) @ w1 + b1)  # (n, 5)
    grads = ((1 - h ** 2) * w2[:, targets].T) @ w1.T  # (n, 64)
    return acts, grads.reshape(acts.shape)


def _resize_all(cams, size):
    return np.stack([_resize_bilinear(cam, size) for cam in cams])


def test_grad_cam_plus_plus_by_hand():
    model = _cam_model()
    x = _images((7, 7, 2), n=3) - 0.3
    targets = np.array([0, 2, 1])
    acts, grads = _cam_oracle(model, x, targets)
    n, height, width, channels = acts.shape
    cams = np.zeros((n, height, width))
    for i in range(n):
        for k in range(channels):
            total = acts[i, :, :, k].sum()
            weight = 0.0
            for a in range(height):
                for b in range(width):
                    g = grads[i, a, b, k]
                    denominator = 2 * g ** 2 + total * g ** 3
                    alpha = g ** 2 / denominator if denominator != 0 else 0.0
                    weight += alpha * max(g, 0.0)
            cams[i] += weight * acts[i, :, :, k]
    cams = np.maximum(cams, 0.0)
    assert cams.max() > 1e-3 and (cams == 0).any()  # the ReLU both keeps and cuts
    expected = _resize_all(cams, (7, 7))
    got = interp.grad_cam_plus_plus(model[0], x, targets, batch_size=2)
    assert got.shape == (3, 7, 7) and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(interp.grad_cam_plus_plus(model[0], x, targets, layer="last"),
                               expected, rtol=1e-4, atol=1e-6)
    # not Grad-CAM under another name
    assert np.abs(interp.grad_cam(model[0], x, targets) - expected).max() > 1e-3


def test_layer_cam_by_hand():
    model = _cam_model()
    x = _images((7, 7, 2), n=3) - 0.3
    targets = np.array([1, 0, 2])
    acts, grads = _cam_oracle(model, x, targets)
    n, height, width, channels = acts.shape
    cams = np.zeros((n, height, width))
    for i in range(n):
        for a in range(height):
            for b in range(width):
                cams[i, a, b] = max(sum(max(grads[i, a, b, k], 0.0) * acts[i, a, b, k]
                                        for k in range(channels)), 0.0)
    assert cams.max() > 1e-3 and (cams == 0).any()
    expected = _resize_all(cams, (7, 7))
    got = interp.layer_cam(model[0], x, targets, batch_size=2)
    assert got.shape == (3, 7, 7) and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
    assert np.abs(interp.grad_cam(model[0], x, targets) - expected).max() > 1e-3


@pytest.mark.parametrize("method", ["grad_cam_plus_plus", "layer_cam"])
def test_gradient_cams_of_an_early_layer_and_channels_first(method):
    """The first layer (6 x 6) by the backend's autodiff; the same maps channels-first."""
    keras.utils.set_random_seed(2)
    body = [L.Conv2D(3, 2, activation="tanh", name="first"), L.Conv2D(2, 3, activation="relu"),
            L.Flatten(), L.Dense(3, activation="softmax")]
    model = keras.Sequential([keras.Input((7, 7, 1)), *body])
    x = _images((7, 7, 1), n=2) - 0.5
    to_first = keras.Sequential([keras.Input((7, 7, 1)), model.layers[0]])
    logits = L.Dense(3)
    rest = keras.Sequential([keras.Input((6, 6, 3)), *model.layers[1:-1], logits])
    logits.set_weights(model.layers[-1].get_weights())
    acts = _numpy(to_first(x))
    grads = _gradient(rest, acts, np.array([2, 1]))
    if method == "layer_cam":
        cams = np.maximum((np.maximum(grads, 0) * acts).sum(-1), 0)
    else:
        g2, g3 = grads ** 2, grads ** 3
        den = 2 * g2 + acts.sum(axis=(1, 2), keepdims=True) * g3
        alpha = np.where(den != 0, g2 / np.where(den != 0, den, 1), 0)
        weights = (alpha * np.maximum(grads, 0)).sum(axis=(1, 2), keepdims=True)
        cams = np.maximum((weights * acts).sum(-1), 0)
    assert cams.max() > 1e-3
    got = getattr(interp, method)(model, x, np.array([2, 1]), layer="first")
    np.testing.assert_allclose(got, _resize_all(cams, (7, 7)), rtol=1e-4, atol=1e-6)
    first = keras.Sequential([
        keras.Input((1, 7, 7)), L.Conv2D(3, 2, activation="tanh", data_format="channels_first"),
        L.Conv2D(2, 3, activation="relu", data_format="channels_first"),
        L.Permute((2, 3, 1)), L.Flatten(), L.Dense(3, activation="softmax")])
    first.set_weights(model.get_weights())
    np.testing.assert_allclose(
        getattr(interp, method)(first, np.moveaxis(x, -1, 1), np.array([2, 1]), layer=0),
        got, rtol=1e-4, atol=1e-6)


def test_score_cam_by_hand():
    """Each channel's map, resized (in loops), scaled to [0, 1], masks the image; the softmax
    over channels of the masked images' logits weights the maps. Channel 3 is constant
    (a zero kernel): its mask is all zeros."""
    model = _cam_model(seed=7)
    full, to_last, hidden, head = model
    last = full.get_layer("last")
    kernel, bias = last.get_weights()
    kernel[..., 3] = 0.0
    last.set_weights([kernel, bias])
    x = _images((7, 7, 2), n=3) - 0.3
    targets = np.array([2, 0, 1])
    w1, b1 = hidden.get_weights()
    w2, b2 = head.get_weights()

    def logits(images):  # the head without its softmax, in numpy
        a = _numpy(to_last(images)).reshape(len(images), -1)
        return np.tanh(a @ w1 + b1) @ w2 + b2

    acts = _numpy(to_last(x))
    channels = acts.shape[-1]
    cams = np.zeros(acts.shape[:3])
    for i in range(len(x)):
        scores = np.zeros(channels)
        for k in range(channels):
            mask = _resize_all(acts[i, :, :, k][None], (7, 7))[0]
            spread = mask.max() - mask.min()
            mask = (mask - mask.min()) / spread if spread > 0 else np.zeros_like(mask)
            if k == 3:
                assert spread == 0
            scores[k] = logits((x[i] * mask[:, :, None])[None].astype(np.float32))[0, targets[i]]
        weights = np.exp(scores) / np.exp(scores).sum()
        cams[i] = np.maximum(sum(weights[k] * acts[i, :, :, k] for k in range(channels)), 0)
    assert cams.max() > 1e-3
    expected = _resize_all(cams, (7, 7))
    for batch_size in (2, 256):  # items of one image split across passes, and not
        got = interp.score_cam(full, x, targets, batch_size=batch_size)
        assert got.shape == (3, 7, 7) and got.dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
    predicted = logits(x).argmax(axis=1)
    np.testing.assert_allclose(interp.score_cam(full, x), interp.score_cam(full, x, predicted),
                               atol=1e-7)


def test_score_cam_channels_first_equals_channels_last():
    # No conv here has as many filters as its output is wide: Keras 3.15's TensorFlow add
    # then puts a channels_first bias on the width axis (keras.ops.add's bias_add guess).
    keras.utils.set_random_seed(3)
    last = keras.Sequential([keras.Input((7, 7, 2)), L.Conv2D(3, 2, activation="tanh"),
                             L.Conv2D(5, 3, activation="relu"), L.Flatten(),
                             L.Dense(3, activation="softmax")])
    first = keras.Sequential([
        keras.Input((2, 7, 7)), L.Conv2D(3, 2, activation="tanh", data_format="channels_first"),
        L.Conv2D(5, 3, activation="relu", data_format="channels_first"),
        L.Permute((2, 3, 1)), L.Flatten(), L.Dense(3, activation="softmax")])
    rng = np.random.default_rng(3)  # the same weights on every backend
    last.set_weights([rng.normal(0.0, 0.5, w.shape).astype(np.float32)
                      for w in last.get_weights()])
    first.set_weights(last.get_weights())
    x = _images((7, 7, 2), n=2)
    expected = interp.score_cam(last, x, 1, layer=0)
    assert expected.max() > 1e-3
    np.testing.assert_allclose(interp.score_cam(first, np.moveaxis(x, -1, 1), 1, layer=0),
                               expected, rtol=1e-4, atol=1e-6)


# ---- RISE ------------------------------------------------------------------------------------

def _probabilities(logits_model, images):
    return _softmax(_numpy(logits_model(np.asarray(images, np.float32))))


def test_rise_with_given_masks_is_the_sum_by_hand():
    """sum_i P_t(x * M_i) M_i / (N p), each mask multiplying both colour channels."""
    model, logits = _twins(lambda: [L.Conv2D(2, 3, activation="tanh"), L.Flatten()], (6, 5, 2),
                           classes=4)
    x = _images((6, 5, 2), n=3)
    targets = np.array([3, 0, 1])
    masks = np.random.default_rng(5).random((7, 6, 5)).astype(np.float32)
    expected = np.zeros((3, 6, 5))
    for i in range(3):
        for m in masks:
            masked = x[i] * m[:, :, None]
            expected[i] += _probabilities(logits, masked[None])[0, targets[i]] * m / (7 * 0.3)
    for batch_size in (1, 3, 7, 256):  # a mask per pass, chunks of masks, images per pass
        got = interp.rise(model, x, targets, masks=masks, p=0.3, batch_size=batch_size)
        assert got.shape == (3, 6, 5) and got.dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7, err_msg=batch_size)
    # the default target is each image's predicted class
    predicted = _numpy(logits(x)).argmax(axis=1)
    np.testing.assert_allclose(interp.rise(model, x, masks=masks),
                               interp.rise(model, x, predicted, masks=masks), atol=1e-7)


def test_rise_draws_its_masks_as_documented():
    """Mask i: default_rng([seed, i]) draws a cell x cell grid of random() < p, then a row
    and a column shift; the grid is resized bilinearly (written out in loops) to
    (cell + 1) cells of ceil(h / cell) x ceil(w / cell) pixels and cropped at the shift."""
    model, _ = _twins(lambda: [L.Conv2D(2, 3, activation="relu"), L.Flatten()], (7, 8, 1))
    x = _images((7, 8, 1), n=2)
    cell, p, seed, n = 3, 0.4, 9, 11
    ch, cw = 3, 3  # ceil(7 / 3), ceil(8 / 3)
    masks = []
    for i in range(n):
        rng = np.random.default_rng([seed, i])
        grid = (rng.random((cell, cell)) < p).astype(np.float64)
        dy, dx = rng.integers(0, ch), rng.integers(0, cw)
        big = _resize_bilinear(grid, ((cell + 1) * ch, (cell + 1) * cw))
        masks.append(big[dy:dy + 7, dx:dx + 8])
    masks = np.stack(masks)
    assert 0 < masks.mean() < 1 and len({m.tobytes() for m in masks}) == n
    expected = interp.rise(model, x, 1, masks=masks, p=p)
    for batch_size in (4, 256):
        np.testing.assert_allclose(
            interp.rise(model, x, 1, n_masks=n, cell=cell, p=p, seed=seed,
                        batch_size=batch_size), expected, rtol=1e-5, atol=1e-7)
    assert np.abs(interp.rise(model, x, 1, n_masks=n, cell=cell, p=p, seed=seed + 1)
                  - expected).max() > 1e-4


def test_rise_of_masks_that_keep_everything_is_the_probability():
    model, logits = _twins(lambda: [L.Conv2D(2, 3, activation="tanh"), L.Flatten()], (5, 5, 1))
    x = _images((5, 5, 1), n=2)
    got = interp.rise(model, x, 2, masks=np.ones((3, 5, 5)), p=1.0)
    np.testing.assert_allclose(got, np.broadcast_to(
        _probabilities(logits, x)[:, 2, None, None], (2, 5, 5)), rtol=1e-5)


# ---- KernelSHAP --------------------------------------------------------------------------------

def _superpixel_game(logits, image, target, grid, baseline):
    """v(S) for a coalition S (a set of players), the superpixels written out in loops."""
    h, w = image.shape[:2]

    def value(coalition):
        kept = np.full_like(image, baseline)
        for r in range(h):
            for c in range(w):
                if (r * grid // h) * grid + (c * grid // w) in coalition:
                    kept[r, c] = image[r, c]
        return _probabilities(logits, kept[None])[0, target]

    return value


def _as_map(phi, grid, h, w):
    return np.array([[phi[(r * grid // h) * grid + c * grid // w] for c in range(w)]
                     for r in range(h)])


def test_kernel_shap_of_four_superpixels_is_shapley_by_every_order():
    """grid=2: 4 players, 14 coalitions <= n_samples, so exact: the mean over all 24 orders
    of each player's marginal contribution."""
    model, logits = _twins(lambda: [L.Conv2D(3, 2, activation="tanh"), L.Flatten()], (6, 5, 2),
                           classes=3, seed=3)
    x = 2 * _images((6, 5, 2), n=2) - 0.5
    targets = np.array([1, 2])
    expected = []
    for i in range(2):
        v = _superpixel_game(logits, x[i], targets[i], 2, 0.2)
        phi = np.zeros(4)
        for order in itertools.permutations(range(4)):
            before = set()
            for player in order:
                phi[player] += (v(before | {player}) - v(before)) / 24
                before.add(player)
        expected.append(_as_map(phi, 2, 6, 5))
    expected = np.stack(expected)
    assert np.abs(expected).max() > 1e-3
    for batch_size in (1, 5, 256):
        got = interp.kernel_shap(model, x, targets, grid=2, n_samples=14, baseline=0.2,
                                 batch_size=batch_size)
        assert got.shape == (2, 6, 5) and got.dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6, err_msg=batch_size)


def _all_values(logits, image, target, grid, baseline):
    """v of all 2^d coalitions, coded by bits, in one pass of the logit model."""
    h, w = image.shape[:2]
    d = grid * grid
    player = np.array([[(r * grid // h) * grid + c * grid // w for c in range(w)]
                       for r in range(h)])
    kept = []
    for code in range(2 ** d):
        keep = ((code >> player) & 1).astype(bool)[:, :, None]
        kept.append(np.where(keep, image, baseline))
    return _probabilities(logits, np.stack(kept))[:, target]


def test_kernel_shap_of_nine_superpixels_with_every_coalition_is_exact():
    """grid=3 with 510 samples: every coalition, so Shapley's formula
    phi_i = sum over S without i of |S|! (d - |S| - 1)! / d! (v(S + i) - v(S))."""
    model, logits = _twins(lambda: [L.Conv2D(2, 3, activation="relu"), L.Flatten()], (7, 8, 1),
                           classes=3, seed=6)
    x = 3 * _images((7, 8, 1), n=2) - 1
    d = 9
    expected = []
    for i in range(2):
        v = _all_values(logits, x[i], 0, 3, 0.0)
        phi = np.zeros(d)
        for code in range(2 ** d):
            size = bin(code).count("1")
            for j in range(d):
                if not code >> j & 1:
                    weight = math.factorial(size) * math.factorial(d - size - 1) / math.factorial(d)
                    phi[j] += weight * (v[code | 1 << j] - v[code])
        expected.append(_as_map(phi, 3, 7, 8))
    expected = np.stack(expected)
    assert np.abs(expected).max() > 1e-3
    np.testing.assert_allclose(interp.kernel_shap(model, x, 0, grid=3, n_samples=510),
                               expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(interp.kernel_shap(model, x, 0, grid=3), expected,  # 512
                               rtol=1e-4, atol=1e-6)


def test_sampled_kernel_shap_solves_the_documented_regression():
    """100 of the 510 coalitions, drawn as documented; phi from the Lagrange (KKT) system of
    the constrained least squares, not the elimination interp uses."""
    model, logits = _twins(lambda: [L.Conv2D(2, 3, activation="relu"), L.Flatten()], (7, 8, 1),
                           classes=3, seed=6)
    x = 3 * _images((7, 8, 1), n=2) - 1
    d, n_samples, seed = 9, 100, 5
    rng = np.random.default_rng(seed)
    sizes = np.arange(1, d)
    odds = (d - 1) / (sizes * (d - sizes))
    z = np.zeros((n_samples, d))
    for j in range(0, n_samples, 2):
        size = rng.choice(sizes, p=odds / odds.sum())
        z[j, rng.permutation(d)[:size]] = 1
        z[j + 1] = 1 - z[j]
    codes = (z * 2 ** np.arange(d)).sum(axis=1).astype(int)
    expected = []
    for i in range(2):
        v = _all_values(logits, x[i], 2, 3, 0.5)
        empty, full = v[0], v[2 ** d - 1]
        kkt = np.block([[2 * z.T @ z, np.ones((d, 1))], [np.ones((1, d)), np.zeros((1, 1))]])
        rhs = np.concatenate([2 * z.T @ (v[codes] - empty), [full - empty]])
        phi = np.linalg.solve(kkt, rhs)[:d]
        np.testing.assert_allclose(phi.sum(), full - empty, rtol=1e-9)  # efficiency
        expected.append(_as_map(phi, 3, 7, 8))
    expected = np.stack(expected)
    for batch_size in (7, 256):
        np.testing.assert_allclose(
            interp.kernel_shap(model, x, 2, grid=3, n_samples=n_samples, baseline=0.5, seed=seed,
                               batch_size=batch_size), expected, rtol=1e-4, atol=1e-6)
    assert np.abs(interp.kernel_shap(model, x, 2, grid=3, n_samples=n_samples, baseline=0.5,
                                     seed=seed + 1) - expected).max() > 1e-5


# ---- LRP ----------------------------------------------------------------------------------

def test_lrp_of_a_dense_network_by_hand():
    """Flatten -> Dense(4, relu) -> Dense(3, softmax), biases included: the epsilon rule (and
    the zB rule at the first layer) written out in loops over units."""
    model, _ = _twins(lambda: [L.Flatten(), L.Dense(4, activation="relu")], (2, 3, 1), seed=8)
    model.layers[1].set_weights([model.layers[1].get_weights()[0],
                                 np.array([0.1, -0.2, 0.05, 0.3], np.float32)])
    w1, b1 = (np.asarray(v, np.float64) for v in model.layers[1].get_weights())
    w2, b2 = (np.asarray(v, np.float64) for v in model.layers[2].get_weights())
    x = _images((2, 3, 1), n=3)
    targets = np.array([0, 2, 1])
    eps = 0.01

    def stab(z):
        return z + (eps if z >= 0 else -eps)

    for input_rule in ("epsilon", "zb"):
        expected = np.zeros((3, 6))
        for n in range(3):
            a0 = x[n].reshape(-1).astype(np.float64)
            z1 = [sum(a0[i] * w1[i, j] for i in range(6)) + b1[j] for j in range(4)]
            a1 = [max(z, 0.0) for z in z1]
            z2 = [sum(a1[j] * w2[j, k] for j in range(4)) + b2[k] for k in range(3)]
            t = targets[n]
            r1 = [a1[j] * w2[j, t] / stab(z2[t]) * z2[t] for j in range(4)]
            for i in range(6):
                for j in range(4):
                    if input_rule == "epsilon":
                        expected[n, i] += a0[i] * w1[i, j] / stab(z1[j]) * r1[j]
                    else:  # low 0, high 1
                        part = [a0[q] * w1[q, j] - 0.0 * max(w1[q, j], 0) - 1.0 * min(w1[q, j], 0)
                                for q in range(6)]
                        expected[n, i] += part[i] / sum(part) * r1[j]
        got = interp.lrp(model, x, targets, epsilon=eps, input_rule=input_rule, batch_size=2)
        assert got.shape == (3, 2, 3) and got.dtype == np.float32
        np.testing.assert_allclose(got.reshape(3, 6), expected, rtol=1e-5, atol=1e-7,
                                   err_msg=input_rule)


def test_lrp_alpha_beta_of_a_dense_network_by_hand():
    """The alpha-beta rule (2, 1) at every layer, signed inputs and biases: each input's
    share of the positive and of the negative contributions, written out in loops."""
    model, _ = _twins(lambda: [L.Flatten(), L.Dense(4, activation="relu")], (2, 3, 1), seed=9)
    model.layers[1].set_weights([model.layers[1].get_weights()[0],
                                 np.array([0.1, -0.2, 0.05, 0.3], np.float32)])
    model.layers[2].set_weights([model.layers[2].get_weights()[0],
                                 np.array([-0.1, 0.2, 0.0], np.float32)])
    weights = [[np.asarray(v, np.float64) for v in layer.get_weights()]
               for layer in model.layers[1:]]
    x = _images((2, 3, 1), n=3) - 0.5
    targets = np.array([0, 2, 1])
    eps = 1e-6

    def stab(z):
        return z + (eps if z >= 0 else -eps)

    def alpha_beta(a, w, b, relevance):
        out = np.zeros(len(a))
        for j in range(w.shape[1]):
            contributions = [a[i] * w[i, j] for i in range(len(a))]
            positive = sum(max(c, 0.0) for c in contributions) + max(b[j], 0.0)
            negative = sum(min(c, 0.0) for c in contributions) + min(b[j], 0.0)
            for i in range(len(a)):
                out[i] += (2 * max(contributions[i], 0.0) / stab(positive)
                           - 1 * min(contributions[i], 0.0) / stab(negative)) * relevance[j]
        return out

    expected = np.zeros((3, 6))
    for n in range(3):
        a0 = x[n].reshape(-1).astype(np.float64)
        (w1, b1), (w2, b2) = weights
        a1 = np.maximum(a0 @ w1 + b1, 0.0)
        z2 = a1 @ w2 + b2
        r2 = np.zeros(3)
        r2[targets[n]] = z2[targets[n]]
        expected[n] = alpha_beta(a0, w1, b1, alpha_beta(a1, w2, b2, r2))
    got = interp.lrp(model, x, targets, rule="alphabeta", input_rule="epsilon")
    np.testing.assert_allclose(got.reshape(3, 6), expected, rtol=1e-5, atol=1e-8)
    assert np.abs(expected - interp.lrp(model, x, targets, input_rule="epsilon").reshape(
        3, 6)).max() > 1e-3  # not the epsilon rule under another name


def _bare(layer, kernel=None, bias=True):
    """A copy of *layer* without its activation; with *kernel*, and without its bias
    (``bias=False``) or with another (an array)."""
    config = {**layer.get_config(), "name": None}
    if "activation" in config:
        config["activation"] = "linear"
    if bias is False:
        config["use_bias"] = False
    copy = type(layer).from_config(config)
    copy.build(layer.input.shape)
    weights = layer.get_weights()
    if kernel is not None:
        weights[0] = kernel
    if bias is False and weights:
        weights = weights[:1]
    elif bias is not True:
        weights[1] = bias
    copy.set_weights(weights)
    return copy


def _alpha_beta_by_autodiff(layer, a, relevance, eps, alpha=2.0, beta=1.0):
    """zennit's AlphaBeta on Keras's layers: copies with the kernel's positive or negative
    part (and the bias's), gradients by the backend's autodiff."""
    kernel, bias = layer.get_weights()
    w_plus, w_minus = np.maximum(kernel, 0), np.minimum(kernel, 0)
    plus, minus = _bare(layer, w_plus, np.maximum(bias, 0)), _bare(layer, w_minus,
                                                                 np.minimum(bias, 0))
    plus_0, minus_0 = _bare(layer, w_plus, False), _bare(layer, w_minus, False)
    a_plus, a_minus = np.maximum(a, 0), np.minimum(a, 0)
    z_plus = _numpy(plus(a_plus)) + _numpy(minus_0(a_minus))
    z_minus = _numpy(minus(a_plus)) + _numpy(plus_0(a_minus))
    relevance = relevance.reshape(z_plus.shape)

    def share(z):
        return keras.ops.convert_to_tensor(
            (relevance / (z + np.where(z >= 0, eps, -eps))).astype(np.float32))

    s_plus, s_minus = share(z_plus), share(z_minus)
    return (alpha * (a_plus * input_gradient(_times(plus, s_plus), a_plus)
                     + a_minus * input_gradient(_times(minus_0, s_plus), a_minus))
            - beta * (a_plus * input_gradient(_times(minus, s_minus), a_plus)
                      + a_minus * input_gradient(_times(plus_0, s_minus), a_minus)))


def _times(layer, s):
    """``t -> layer(t) * s``: its gradient sum is layer's transpose applied to s."""
    return lambda t: layer(t) * s


def _lrp_by_autodiff(model, x, targets, eps, low=0.0, high=1.0, rule="epsilon"):
    """The rules by the gradient trick, R_in = a * d(sum z(a) * s)/da with s = R / stab(z), on
    Keras's own layers (conv, pooling) and the backend's autodiff."""
    layers = [layer for layer in model.layers]
    if isinstance(layers[-1], L.Activation):  # the head's softmax: the logits come before it
        layers = layers[:-1]
    acts = [x.astype(np.float32)]
    for layer in layers[:-1]:
        acts.append(_numpy(layer(acts[-1])).astype(np.float32))
    z = _numpy(_bare(layers[-1])(acts[-1]))
    relevance = np.zeros_like(z)
    relevance[np.arange(len(x)), targets] = z[np.arange(len(x)), targets]
    first = min(k for k, layer in enumerate(layers) if layer.get_weights())
    for k in range(len(layers) - 1, -1, -1):
        layer, a = layers[k], acts[k]
        if isinstance(layer, (L.Flatten, L.ReLU, L.Dropout)):  # relevance passes as it is
            relevance = relevance.reshape(a.shape)
            continue
        if k == first:
            kernel = layer.get_weights()[0]
            plus, minus = (_bare(layer, np.maximum(kernel, 0), bias=False),
                           _bare(layer, np.minimum(kernel, 0), bias=False))
            lo, hi = np.full_like(a, low), np.full_like(a, high)
            unbiased = _bare(layer, bias=False)
            zb = _numpy(unbiased(a)) - _numpy(plus(lo)) - _numpy(minus(hi))
            s = keras.ops.convert_to_tensor((relevance / zb).astype(np.float32))
            relevance = (a * input_gradient(_times(unbiased, s), a)
                         - lo * input_gradient(_times(plus, s), lo)
                         - hi * input_gradient(_times(minus, s), hi))
            continue
        if rule == "alphabeta" and layer.get_weights():
            relevance = _alpha_beta_by_autodiff(layer, a, relevance, eps)
            continue
        linear = _bare(layer) if layer.get_weights() else layer
        out = _numpy(linear(a))
        s = relevance.reshape(out.shape) / (out + np.where(out >= 0, eps, -eps))
        s = keras.ops.convert_to_tensor(s.astype(np.float32))
        relevance = a * input_gradient(_times(linear, s), a)
    return relevance.sum(axis=-1)


def _lrp_conv_net(seed=11, data_format="channels_last", shape=(9, 9, 2)):
    keras.utils.set_random_seed(seed)
    f = {"data_format": data_format}
    return keras.Sequential([
        keras.Input(shape),
        L.Conv2D(3, 3, strides=2, padding="same", activation="relu", **f),   # 5 x 5
        L.MaxPooling2D(2, padding="same", **f),                                # 3 x 3
        L.Conv2D(4, 2, activation="relu", **f),                                # 2 x 2
        L.AveragePooling2D(2, strides=1, padding="same", **f),                 # 2 x 2
        L.Flatten(**f), L.Dense(5, activation="relu"), L.Dense(3, activation="softmax")])


def test_lrp_of_a_conv_net_equals_the_gradient_trick_on_kerass_layers():
    """Strided 'same' convolution, 'same' max and average pooling (padding not counted):
    the rules through Keras's own layers and the backend's autodiff."""
    model = _lrp_conv_net()
    x = _images((9, 9, 2), n=3)
    targets = np.array([2, 0, 1])
    expected = _lrp_by_autodiff(model, x, targets, eps=0.05)
    assert np.abs(expected).max() > 1e-4
    got = interp.lrp(model, x, targets, epsilon=0.05, batch_size=2)
    assert got.shape == (3, 9, 9) and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6 * np.abs(expected).max())
    wider = _lrp_by_autodiff(model, x, targets, eps=0.05, low=-0.5, high=1.5)  # zB's bounds
    assert np.abs(wider - expected).max() > 1e-4
    np.testing.assert_allclose(interp.lrp(model, x, targets, epsilon=0.05, low=-0.5, high=1.5),
                               wider, rtol=1e-4, atol=1e-6 * np.abs(wider).max())
    alpha_beta = _lrp_by_autodiff(model, x, targets, eps=0.05, rule="alphabeta")
    assert np.abs(alpha_beta - expected).max() > 1e-4
    np.testing.assert_allclose(interp.lrp(model, x, targets, rule="alphabeta", epsilon=0.05),
                               alpha_beta, rtol=1e-4, atol=1e-6 * np.abs(alpha_beta).max())
    # channels_first throughout, Flatten too (it moves the channels last before flattening)
    first = _lrp_conv_net(data_format="channels_first", shape=(2, 9, 9))
    first.set_weights(model.get_weights())
    np.testing.assert_allclose(
        interp.lrp(first, np.moveaxis(x, -1, 1), targets, epsilon=0.05), got, rtol=1e-4,
        atol=1e-6 * np.abs(expected).max())


@pytest.mark.parametrize("pooling", [L.GlobalAveragePooling2D, L.GlobalMaxPooling2D])
def test_lrp_through_relu_dropout_global_pooling_and_a_softmax_layer(pooling):
    keras.utils.set_random_seed(13)
    model = keras.Sequential([keras.Input((6, 6, 2)), L.Conv2D(3, 3), L.ReLU(), L.Dropout(0.5),
                              L.Conv2D(4, 2, activation="relu"), pooling(), L.Dense(3),
                              L.Activation("softmax")])
    x = _images((6, 6, 2), n=3)
    targets = np.array([1, 0, 2])
    expected = _lrp_by_autodiff(model, x, targets, eps=0.02)
    assert np.abs(expected).max() > 1e-4
    np.testing.assert_allclose(interp.lrp(model, x, targets, epsilon=0.02), expected, rtol=1e-4,
                               atol=1e-6 * np.abs(expected).max())


def test_lrp_of_one_sigmoid_unit_explains_class_0_by_minus_the_logit():
    keras.utils.set_random_seed(14)
    model = keras.Sequential([keras.Input((4, 4, 1)), L.Flatten(),
                              L.Dense(3, activation="relu", use_bias=False),
                              L.Dense(1, activation="sigmoid", use_bias=False)])
    x = _images((4, 4, 1), n=2)
    w1, w2 = model.layers[1].get_weights()[0], model.layers[2].get_weights()[0]
    z = np.maximum(x.reshape(2, -1) @ w1, 0) @ w2[:, 0]
    one = interp.lrp(model, x, 1, epsilon=1e-9).reshape(2, -1).sum(axis=1)
    zero = interp.lrp(model, x, 0, epsilon=1e-9).reshape(2, -1).sum(axis=1)
    np.testing.assert_allclose(one, z, rtol=1e-4)
    np.testing.assert_allclose(zero, -z, rtol=1e-4)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_lrp_folds_batch_normalization_into_the_layer_before(data_format):
    """The same relevances as a network without the BatchNormalizations whose conv and dense
    weights were scaled by gamma / sqrt(variance + epsilon) by hand."""
    f = {"data_format": data_format}
    shape = (7, 7, 2) if data_format == "channels_last" else (2, 7, 7)
    keras.utils.set_random_seed(15)
    model = keras.Sequential([
        keras.Input(shape), L.Conv2D(3, 3, **f), L.BatchNormalization(
            axis=1 if data_format == "channels_first" else -1, epsilon=0.01), L.ReLU(),
        L.Flatten(**f), L.Dense(4), L.BatchNormalization(center=False), L.ReLU(),
        L.Dense(3, activation="softmax")])
    rng = np.random.default_rng(15)
    for norm in (model.layers[1], model.layers[5]):
        norm.set_weights([rng.uniform(0.5, 2.0, w.shape).astype(np.float32)
                          if "variance" in v.path or "gamma" in v.path
                          else rng.normal(0.0, 0.3, w.shape).astype(np.float32)
                          for w, v in zip(norm.get_weights(), norm.weights, strict=True)])
    folded = keras.Sequential([keras.Input(shape), L.Conv2D(3, 3, **f), L.ReLU(), L.Flatten(**f),
                               L.Dense(4), L.ReLU(), L.Dense(3, activation="softmax")])
    for source, norm, target in ((0, 1, 0), (4, 5, 3)):
        kernel, bias = model.layers[source].get_weights()
        values = {v.path.rsplit("/", 1)[-1]: w for v, w in
                  zip(model.layers[norm].weights, model.layers[norm].get_weights(), strict=True)}
        eps = model.layers[norm].epsilon
        scale = values.get("gamma", 1.0) / np.sqrt(values["moving_variance"] + eps)
        shift = values.get("beta", 0.0) - values["moving_mean"] * scale
        folded.layers[target].set_weights([kernel * scale, bias * scale + shift])
    folded.layers[-1].set_weights(model.layers[-1].get_weights())
    x = _images(shape, n=3)
    np.testing.assert_allclose(_numpy(folded(x)), _numpy(model(x)), rtol=1e-4, atol=1e-6)
    for rule in ("epsilon", "alphabeta"):
        expected = interp.lrp(folded, x, 1, rule=rule)
        assert np.abs(expected).max() > 1e-4
        np.testing.assert_allclose(interp.lrp(model, x, 1, rule=rule), expected, rtol=1e-4,
                                   atol=1e-6 * np.abs(expected).max(), err_msg=rule)


def test_lrp_on_every_model_kind():
    """Sequential with Input, built, called; Functional; a nested Sequential and a nested
    Functional, opened in place: the same relevances."""
    def stack():
        return [L.Conv2D(2, 3, activation="relu", name="c1"),
                L.Conv2D(3, 2, padding="same", name="c2"), L.ReLU(name="r"),
                L.Flatten(name="flat"), L.Dense(4, name="out")]

    shape = (9, 9, 1)
    keras.utils.set_random_seed(16)
    reference = keras.Sequential([keras.Input(shape), *stack()])
    built = keras.Sequential(stack())
    built.build((None, *shape))
    called = keras.Sequential(stack())
    called(np.zeros((1, *shape), np.float32))
    inputs = keras.Input(shape)
    x = inputs
    for layer in stack():
        x = layer(x)
    functional = keras.Model(inputs, x)
    head = stack()
    inner = keras.Sequential([keras.Input(shape), *head[:3]], name="inner")
    nested = keras.Sequential([inner, *head[3:]])
    inner_inputs = keras.Input(shape)
    y = inner_inputs
    for layer in stack()[:2]:
        y = layer(y)
    inner_functional = keras.Model(inner_inputs, y, name="inner_f")
    outer = keras.Input(shape)
    rest = stack()
    z = rest[3](rest[2](inner_functional(outer)))
    nested_functional = keras.Model(outer, rest[4](z))
    x = _images(shape, n=3)
    for rule in ("epsilon", "alphabeta"):
        expected = interp.lrp(reference, x, 2, rule=rule)
        assert np.abs(expected).max() > 1e-4
        for model in (built, called, functional, nested, nested_functional):
            model.set_weights(reference.get_weights())
            np.testing.assert_allclose(interp.lrp(model, x, 2, rule=rule, batch_size=2),
                                       expected, rtol=1e-5, atol=1e-7, err_msg=model.name)


def test_lrp_through_keras_ops_in_a_functional_graph():
    """keras.ops.relu passes relevance like a ReLU layer; a final keras.ops.softmax is left
    out like a softmax layer; keras.ops.tanh is refused by name."""
    keras.utils.set_random_seed(17)
    inputs = keras.Input((6, 6, 1))
    conv, flat, dense = L.Conv2D(2, 3), L.Flatten(), L.Dense(3)
    with_ops = keras.Model(inputs, keras.ops.softmax(dense(flat(keras.ops.relu(conv(inputs))))))
    layers = keras.Sequential([keras.Input((6, 6, 1)), L.Conv2D(2, 3, activation="relu"),
                               L.Flatten(), L.Dense(3)])
    layers.set_weights(with_ops.get_weights())
    x = _images((6, 6, 1), n=2)
    expected = interp.lrp(layers, x, 1)
    assert np.abs(expected).max() > 1e-4
    np.testing.assert_allclose(interp.lrp(with_ops, x, 1), expected, rtol=1e-6, atol=1e-9)
    tanh = keras.Model(inputs, dense(flat(keras.ops.tanh(conv(inputs)))))
    with pytest.raises(TypeError, match=r"^lrp: cannot pass relevance through layer '.*' "
                                        r"\(Tanh\): its activation is 'keras.ops Tanh'"):
        interp.lrp(tanh, x, 1)


def test_lrp_without_biases_adds_up_to_the_logit():
    """No biases, epsilon 1e-9: each image's relevances sum to its target logit, under either
    rule, with the zB rule at the input or not. (The alpha-beta rule conserves relevance
    only where a unit's inputs bring both signs: with these weights, drawn by numpy so the
    same on every backend, they do; the target unit's are checked.)"""
    body = [L.Conv2D(4, 3, activation="relu", use_bias=False), L.MaxPooling2D(),
            L.Flatten(), L.Dense(16, activation="relu", use_bias=False)]
    model = keras.Sequential([keras.Input((8, 8, 1)), *body,
                              L.Dense(4, activation="softmax", use_bias=False)])
    rng = np.random.default_rng(12)
    model.set_weights([rng.normal(0.0, 0.5, w.shape).astype(np.float32)
                       for w in model.get_weights()])
    logits = keras.Sequential([keras.Input((8, 8, 1)), *body, L.Dense(4, use_bias=False)])
    logits.layers[-1].set_weights(model.layers[-1].get_weights())
    x = _images((8, 8, 1), n=4)
    hidden = _numpy(keras.Sequential([keras.Input((8, 8, 1)), *body])(x))
    top = model.layers[-1].get_weights()[0]
    for i, t in enumerate([0, 1, 2, 3]):
        contributions = hidden[i] * top[:, t]
        assert contributions.min() < 0 < contributions.max()
    z = _numpy(logits(x))
    targets = np.array([0, 1, 2, 3])
    chosen = z[np.arange(4), targets]
    assert np.abs(chosen).min() > 1e-3
    for rule in ("epsilon", "alphabeta"):
        for input_rule in ("zb", "epsilon"):
            sums = interp.lrp(model, x, targets, rule=rule, epsilon=1e-9,
                              input_rule=input_rule).reshape(4, -1).sum(axis=1, dtype=np.float64)
            np.testing.assert_allclose(sums, chosen, rtol=1e-4, err_msg=f"{rule} {input_rule}")


# ---- every new method: batches streamed, the user's model unchanged --------------------------

NEW_METHODS = {
    "grad_cam_plus_plus": lambda m, x, t: interp.grad_cam_plus_plus(m, x, t, layer="c1"),
    "layer_cam": lambda m, x, t: interp.layer_cam(m, x, t, layer="c1"),
    "score_cam": lambda m, x, t: interp.score_cam(m, x, t, layer="c1", batch_size=3),
    "rise": lambda m, x, t: interp.rise(m, x, t, n_masks=10, cell=3, batch_size=4),
    "kernel_shap": lambda m, x, t: interp.kernel_shap(m, x, t, grid=2, batch_size=5),
    "lrp": lambda m, x, t: interp.lrp(m, x, t, rule="alphabeta", batch_size=2),
}


@pytest.mark.parametrize("name", NEW_METHODS)
def test_new_methods_stream_batches_and_leave_the_model_alone(name, small):
    x = _images((8, 8, 1), n=7)
    targets = np.array([0, 1, 2, 0, 1, 2, 1])
    weights = [w.copy() for w in small.get_weights()]
    config = small.get_config()
    whole = NEW_METHODS[name](small, x, targets)
    assert whole.shape == (7, 8, 8) and np.abs(whole).max() > 0
    streamed = NEW_METHODS[name](small, (x[i:i + 3] for i in range(0, 7, 3)), targets)
    np.testing.assert_allclose(streamed, whole, rtol=1e-5, atol=1e-7)
    assert small.get_config() == config
    for before, after in zip(weights, small.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)


def test_kernel_shap_with_given_coalitions_solves_their_regression():
    """30 coalitions chosen here (rows of 0 and 1, the empty and full one among them too):
    the constrained least squares with weight 1 each, solved through its Lagrange system."""
    model, logits = _twins(lambda: [L.Conv2D(2, 3, activation="relu"), L.Flatten()], (7, 8, 1),
                           classes=3, seed=6)
    x = 3 * _images((7, 8, 1), n=2) - 1
    d = 9
    z = (np.random.default_rng(21).random((30, d)) < 0.4).astype(float)
    z[0], z[1] = 0, 1
    codes = (z * 2 ** np.arange(d)).sum(axis=1).astype(int)
    expected = []
    for i in range(2):
        v = _all_values(logits, x[i], 1, 3, 0.0)
        empty, full = v[0], v[2 ** d - 1]
        kkt = np.block([[2 * z.T @ z, np.ones((d, 1))], [np.ones((1, d)), np.zeros((1, 1))]])
        rhs = np.concatenate([2 * z.T @ (v[codes] - empty), [full - empty]])
        expected.append(_as_map(np.linalg.solve(kkt, rhs)[:d], 3, 7, 8))
    got = interp.kernel_shap(model, x, 1, grid=3, coalitions=z.astype(bool), seed=123,
                             n_samples=2)  # neither is used
    np.testing.assert_allclose(got, np.stack(expected), rtol=1e-4, atol=1e-6)


# ---- bad input: the function, the argument, what was given, what is allowed ------------------

@pytest.fixture(scope="module")
def small():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(2, 3, activation="relu", name="c1"),
                             L.Conv2D(3, 3, name="c2"), L.Flatten(),
                             L.Dense(3, activation="softmax", name="out")])


BAD = [
    (lambda m, x: interp.kernel_shap(m, x, grid=2, coalitions=np.ones((5, 9))), ValueError,
     "kernel_shap: coalitions must be shaped (N, 4): one row of grid * grid = 4 players each, "
     "got"),
    (lambda m, x: interp.kernel_shap(m, x, grid=2, coalitions=np.full((5, 4), 0.5)), ValueError,
     "kernel_shap: coalitions must hold only 0 and 1, got other values"),
    (lambda m, x: interp.lrp(m, x, rule="gamma"), ValueError,
     "lrp: rule must be 'epsilon' or 'alphabeta', got 'gamma'"),
    (lambda m, x: interp.lrp(m, x, rule="alphabeta", alpha=2.0, beta=0.5), ValueError,
     "lrp: alpha - beta must be 1 (so the relevance is conserved), got alpha=2 and beta=0.5"),
    (lambda m, x: interp.lrp(m, x, rule="alphabeta", alpha=0.5, beta=-0.5), ValueError,
     "lrp: alpha must be a finite number >= 1, got 0.5"),
    (lambda m, x: interp.lrp(m, x, input_rule="flat"), ValueError,
     "lrp: input_rule must be 'zb' or 'epsilon', got 'flat'"),
    (lambda m, x: interp.lrp(m, x, epsilon=-1.0), ValueError,
     "lrp: epsilon must be a finite number >= 0, got -1.0"),
    (lambda m, x: interp.lrp(m, x, low=1.0, high=0.0), ValueError,
     "lrp: low must be at most high, got low=1 and high=0"),
    (lambda m, x: interp.kernel_shap(m, x, grid=9), ValueError,
     "kernel_shap: grid must be at most the image size 8, got 9"),
    (lambda m, x: interp.kernel_shap(m, x, grid=0), ValueError, "kernel_shap: grid must be"),
    (lambda m, x: interp.kernel_shap(m, x, n_samples=0), ValueError,
     "kernel_shap: n_samples must be"),
    (lambda m, x: interp.kernel_shap(m, x, baseline=float("nan")), ValueError,
     "kernel_shap: baseline must be a finite number, got nan"),
    (lambda m, x: interp.kernel_shap(m, x, baseline="black"), TypeError,
     "kernel_shap: baseline must be a number, got"),
    (lambda m, x: interp.rise(m, x, masks=np.ones((3, 8, 7))), ValueError,
     "rise: masks must be shaped (N, 8, 8) like the images' maps, got"),
    (lambda m, x: interp.rise(m, x, masks=np.full((3, 8, 8), 1.5)), ValueError,
     "rise: masks must have values in [0, 1], got values from 1.5 to 1.5"),
    (lambda m, x: interp.rise(m, x, masks=np.full((3, 8, 8), np.nan)), ValueError,
     "rise: masks must be finite"),
    (lambda m, x: interp.rise(m, x, p=0.0), ValueError,
     "rise: p must be a finite number > 0 and <= 1, got 0.0"),
    (lambda m, x: interp.rise(m, x, cell=9), ValueError,
     "rise: cell must be at most the image size 8, got 9"),
    (lambda m, x: interp.rise(m, x, n_masks=0), ValueError,
     "rise: n_masks must be"),
    (lambda m, x: interp.score_cam(m, x, layer="out"), TypeError,
     "score_cam: layer must be a 2-D convolution layer (keras.layers.Conv2D or a subclass), "
     "got Dense layer 'out'"),
    (lambda m, x: interp.score_cam(m, x, target=[0]), ValueError,
     "score_cam: target must have one class per image (2), got 1"),
    (lambda m, x: interp.grad_cam_plus_plus(m, x, layer="out"), TypeError,
     "grad_cam_plus_plus: layer must be a 2-D convolution layer (keras.layers.Conv2D or a "
     "subclass), got Dense layer 'out'"),
    (lambda m, x: interp.layer_cam(m, x, layer="nope"), ValueError,
     "layer_cam: no layer named 'nope'"),
    (lambda m, x: interp.layer_cam(m, x, batch_size=0), ValueError,
     "layer_cam: batch_size must be"),
    (lambda m, x: interp.grad_cam_plus_plus(m, x, target=3), ValueError,
     "grad_cam_plus_plus: target must be a class index in 0..2, got 3"),
    (lambda m, x: interp.smoothgrad(m, x, statistic="median"), ValueError,
     "smoothgrad: statistic must be 'mean' or 'square' or 'variance', got 'median'"),
]


def _models_lrp_refuses():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 1))
    conv = L.Conv2D(2, 3, name="c")(inputs)
    branched = keras.Model(inputs, L.Dense(3)(L.Flatten()(L.Add(name="add")([conv, conv]))))
    inner = keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(2, 3, activation="tanh",
                                                                 name="deep")], name="inner")
    return [
        (keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(2, 3, activation="relu"),
                           L.BatchNormalization(name="bn"), L.Flatten(), L.Dense(3)]),
         "lrp: cannot pass relevance through layer 'bn' (BatchNormalization): a "
         "BatchNormalization is folded into the Conv2D or Dense layer right before it, which "
         "must have no activation"),
        (keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(2, 3), L.LayerNormalization(name="ln"),
                           L.Flatten(), L.Dense(3)]),
         "lrp: cannot pass relevance through layer 'ln' (LayerNormalization): no LRP rule for "
         "this kind of layer; LRP here supports Conv2D, Dense"),
        (keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(2, 3, activation="tanh", name="t"),
                           L.Flatten(), L.Dense(3)]),
         "lrp: cannot pass relevance through layer 't' (Conv2D): its activation is 'tanh'"),
        (keras.Sequential([keras.Input((8, 8, 1)), L.Flatten(),
                           L.Dense(3, activation="softmax", name="early"), L.Dense(3)]),
         "lrp: cannot pass relevance through layer 'early' (Dense): its activation is "
         "'softmax'"),
        (branched, "lrp: needs a chain of layers, each taking the output of the one before"),
        (keras.Sequential([inner, L.Flatten(), L.Dense(3)]),  # a nested model's layers too
         "lrp: cannot pass relevance through layer 'deep' (Conv2D): its activation is 'tanh'"),
    ]


@pytest.mark.parametrize("case", range(6))
def test_lrp_refuses_what_its_rules_do_not_cover_by_name(case):
    model, words = _models_lrp_refuses()[case]
    with pytest.raises(TypeError) as info:
        interp.lrp(model, _images((8, 8, 1), n=2))
    assert words in str(info.value)


@pytest.mark.parametrize(("call", "error", "words"), BAD)
def test_bad_input(small, call, error, words):
    with pytest.raises(error) as info:
        call(small, _images((8, 8, 1), n=2))
    assert words in str(info.value)
