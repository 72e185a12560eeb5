"""Each attribution method against an oracle that does not use interp: exact values on a
linear network, the backend's own autodiff on a purpose-built twin, or a loop by hand.

Written from the mutation audit of issue #9: each test kills mutants (a baseline ignored,
a wrong path point, guided backpropagation turned off, a channel not summed, an uncovered
pixel, a wrong resize) that the older tests let through.
"""

import keras
import numpy as np
import pytest
from conftest import input_gradient, native_guided_relu
from conftest import softmax_twins as _twins

import interp

L = keras.layers


def _gradient(logit_model, images, targets):
    """d logit[target_i] / d image_i, by the backend's autodiff on a model giving logits."""
    chosen = np.broadcast_to(targets, (len(images),)).astype("int32")[:, None]
    return input_gradient(
        lambda x: keras.ops.take_along_axis(logit_model(x), keras.ops.convert_to_tensor(chosen),
                                            axis=1), images)


def _images(shape, n=3, seed=1):
    return np.random.default_rng(seed).random((n, *shape)).astype(np.float32)


# ---- integrated gradients ---------------------------------------------------------------

def _linear_model():
    """logit_t(x) = sum(W[:, t] * x) + b_t on 4 x 5 images, behind a softmax."""
    model = keras.Sequential([keras.Input((4, 5, 1)), L.Flatten(),
                              L.Dense(3, activation="softmax")])
    w = np.random.default_rng(2).normal(size=(20, 3)).astype(np.float32)
    b = np.array([0.5, -1.0, 2.0], np.float32)
    model.layers[-1].set_weights([w, b])
    return model, w.reshape(4, 5, 3)


def test_integrated_gradients_of_a_linear_network_are_exact_for_any_baseline():
    # For a linear logit, IG_i = (x_i - x'_i) * W_i at any number of steps, and the
    # attributions add up to the logit change exactly (gap 0).
    model, w = _linear_model()
    x = _images((4, 5, 1), n=3)
    targets = np.array([0, 2, 1])
    weights = np.stack([w[..., t] for t in targets])

    attributions, gaps = interp.integrated_gradients(model, x, targets, steps=3)
    np.testing.assert_allclose(attributions, x[..., 0] * weights, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gaps, 0.0, atol=1e-4)

    one = np.full((4, 5, 1), 0.7, np.float32)  # one baseline for every image
    attributions, gaps = interp.integrated_gradients(model, x, targets, baseline=one, steps=3)
    np.testing.assert_allclose(attributions, (x[..., 0] - 0.7) * weights, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gaps, 0.0, atol=1e-4)

    each = _images((4, 5, 1), n=3, seed=9)  # one baseline per image
    attributions, _ = interp.integrated_gradients(model, x, targets, baseline=each, steps=3,
                                                  batch_size=4)
    np.testing.assert_allclose(attributions, (x - each)[..., 0] * weights, rtol=1e-5, atol=1e-5)


def test_integrated_gradients_path_points_and_gap_by_hand():
    """A tanh network, two steps: the midpoint rule samples alpha = 1/4 and 3/4 on the
    straight path from the baseline, and the gap is |sum - (f(x) - f(baseline))|."""
    model, logits = _twins(lambda: [L.Conv2D(2, 3, activation="tanh"), L.Flatten()], (5, 5, 1))
    x = 4 * _images((5, 5, 1), n=2)  # large values: the tanh bends along the path
    baseline = np.full((5, 5, 1), -1.0, np.float32)
    target = 1
    grads = sum(_gradient(logits, baseline + alpha * (x - baseline), target)
                for alpha in (0.25, 0.75)) / 2
    expected = ((x - baseline) * grads)[..., 0]
    change = (keras.ops.convert_to_numpy(logits(x))[:, target]
              - keras.ops.convert_to_numpy(logits(np.broadcast_to(baseline, x.shape)))[:, target])
    expected_gaps = np.abs(expected.reshape(2, -1).sum(axis=1) - change)
    assert expected_gaps.min() > 1e-3  # two steps leave a gap that a wrong formula would miss

    attributions, gaps = interp.integrated_gradients(model, x, target, baseline=baseline,
                                                     steps=2, batch_size=3)
    np.testing.assert_allclose(attributions, expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(gaps, expected_gaps, rtol=1e-3, atol=1e-5)


# ---- smoothgrad --------------------------------------------------------------------------

def test_smoothgrad_is_the_mean_gradient_over_the_documented_noise():
    # Copies 16 g .. 16 g + 15 of image i get numpy's default_rng([seed, i, g]) standard
    # normal draws, one copy after the other, times noise * (max - min) of the image (1 for
    # a constant image).
    model, logits = _twins(lambda: [L.Conv2D(2, 3, activation="tanh"), L.Flatten()], (5, 5, 2))
    x = _images((5, 5, 2), n=3)
    x[1] = 0.4  # a constant image: its range is 0, so the noise scale falls back to 1
    x[2] *= 3.0  # a wider range, a larger noise
    targets = np.array([2, 0, 1])
    noise, samples, seed = 0.2, 3, 7
    expected = np.zeros((3, 5, 5))
    for i in range(3):
        spread = float(x[i].max() - x[i].min()) or 1.0
        draws = np.random.default_rng([seed, i, 0]).standard_normal((samples, *x[i].shape),
                                                                     dtype=np.float32)
        for s in range(samples):
            noisy = x[i] + np.float32(noise * spread) * draws[s]
            expected[i] += _gradient(logits, noisy[None], targets[i])[0].sum(axis=-1) / samples
    got = interp.smoothgrad(model, x, targets, noise=noise, samples=samples, seed=seed,
                            batch_size=4)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
    clean = _gradient(logits, x, targets).sum(axis=-1)
    assert np.abs(got - clean).max() > 1e-3  # the noise matters: not plain saliency
    without_noise = interp.smoothgrad(model, x, targets, noise=0.0, samples=2)
    np.testing.assert_allclose(without_noise, clean, rtol=1e-4, atol=1e-6)


# ---- guided backpropagation, gradient x input ----------------------------------------------

_guided_relu = native_guided_relu()


def test_guided_backprop_equals_a_network_built_with_guided_relus():
    keras.utils.set_random_seed(3)
    model = keras.Sequential([
        keras.Input((6, 6, 1)), L.Conv2D(3, 3, activation="relu"), L.Flatten(),
        L.Dense(5), L.ReLU(), L.Dense(3, activation="softmax")])
    # the oracle: the same weights, every ReLU written as a guided one by hand
    oracle = keras.Sequential([
        keras.Input((6, 6, 1)), L.Conv2D(3, 3, activation=_guided_relu), L.Flatten(),
        L.Dense(5), L.Activation(_guided_relu), L.Dense(3)])
    oracle.set_weights(model.get_weights())
    x = _images((6, 6, 1), n=4)
    targets = np.array([0, 1, 2, 1])
    expected = _gradient(oracle, x, targets)[..., 0]
    got = interp.guided_backprop(model, x, targets, batch_size=3)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
    plain = interp.saliency(model, x, targets)
    assert np.abs(got - plain).max() > 1e-3  # guided is not the plain gradient here


def test_input_x_gradient_multiplies_each_channel_before_summing():
    model, logits = _twins(lambda: [L.Conv2D(2, 3, activation="tanh"), L.Flatten()], (5, 5, 2))
    x = _images((5, 5, 2), n=3) - 0.5
    grads = _gradient(logits, x, 2)
    expected = (x * grads).sum(axis=-1)
    np.testing.assert_allclose(interp.input_x_gradient(model, x, 2, batch_size=2), expected,
                               rtol=1e-4, atol=1e-6)
    # a product of sums is something else: the channels must be multiplied one by one
    assert np.abs(expected - x.sum(axis=-1) * grads.sum(axis=-1)).max() > 1e-3


# ---- occlusion ------------------------------------------------------------------------------

def test_occlusion_by_hand_with_uncovered_pixels_and_a_target_per_image():
    """A 5 x 6 image with 2 x 2 patches every 2 pixels: the last row is never covered
    (score 0). The probability is the softmax of the logits, as for a softmax model."""
    model, logits = _twins(lambda: [L.Conv2D(2, 3, activation="tanh"), L.Flatten()], (5, 6, 1))
    x = _images((5, 6, 1), n=2)
    targets = np.array([2, 0])
    fill = 0.25

    def probability(image, t):
        z = keras.ops.convert_to_numpy(logits(image[None])).astype(np.float64)[0]
        e = np.exp(z - z.max())
        return (e / e.sum())[t]

    expected = np.zeros((2, 5, 6))
    for i, t in enumerate(targets):
        total, count = np.zeros((5, 6)), np.zeros((5, 6))
        for r in (0, 2):  # tops with room for the patch: 0, 2 (not 4)
            for c in (0, 2, 4):
                covered = x[i].copy()
                covered[r:r + 2, c:c + 2] = fill
                total[r:r + 2, c:c + 2] += probability(x[i], t) - probability(covered, t)
                count[r:r + 2, c:c + 2] += 1
        expected[i] = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    got = interp.occlusion(model, x, targets, patch=2, stride=2, fill=fill, batch_size=4)
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert np.all(got[:, 4] == 0) and np.abs(got[:, :4]).max() > 1e-4
    without_softmax = interp.occlusion(logits, x, targets, patch=2, stride=2, fill=fill)
    np.testing.assert_allclose(without_softmax, expected, atol=1e-6)


# ---- Grad-CAM -------------------------------------------------------------------------------

def _resize_bilinear(image, size):
    """Bilinear resize with half-pixel centres (TensorFlow's convention), written out."""
    h, w = image.shape
    out = np.zeros(size)
    for i in range(size[0]):
        for j in range(size[1]):
            y = min(max((i + 0.5) * h / size[0] - 0.5, 0), h - 1)
            x = min(max((j + 0.5) * w / size[1] - 0.5, 0), w - 1)
            y0, x0 = int(np.floor(y)), int(np.floor(x))
            y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
            dy, dx = y - y0, x - x0
            out[i, j] = ((1 - dy) * (1 - dx) * image[y0, x0] + (1 - dy) * dx * image[y0, x1]
                         + dy * (1 - dx) * image[y1, x0] + dy * dx * image[y1, x1])
    return out


def test_grad_cam_of_the_last_conv_layer_resized_to_the_image():
    keras.utils.set_random_seed(4)
    inputs = keras.Input((7, 7, 1))
    first = L.Conv2D(3, 2, activation="tanh", name="first")
    last = L.Conv2D(4, 3, activation="tanh", name="last")
    head = L.Dense(3, activation="softmax")
    model = keras.Model(inputs, head(L.Flatten()(last(first(inputs)))))
    x = _images((7, 7, 1), n=3) - 0.3
    targets = np.array([0, 2, 1])

    # the oracle: the last conv layer's maps A (4 x 4 x 4) and d logit / d A, which for
    # logits z = flatten(A) @ w + b is column target of w, shaped like A
    acts = keras.ops.convert_to_numpy(keras.Model(inputs, last.output)(x))
    w, _ = head.get_weights()
    grads = w[:, targets].T.reshape(acts.shape)
    cams = np.maximum((grads.mean(axis=(1, 2), keepdims=True) * acts).sum(axis=-1), 0)
    assert cams.shape == (3, 4, 4) and cams.max() > 1e-3
    expected = np.stack([_resize_bilinear(cam, (7, 7)) for cam in cams])

    np.testing.assert_allclose(interp.grad_cam(model, x, targets, batch_size=2), expected,
                               rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(interp.grad_cam(model, x, targets, layer="last"), expected,
                               rtol=1e-4, atol=1e-6)
    assert not np.allclose(interp.grad_cam(model, x, targets, layer="first"), expected,
                           atol=1e-3)


@pytest.mark.parametrize("method", [interp.saliency, interp.input_x_gradient,
                                    interp.guided_backprop, interp.grad_cam])
def test_default_target_is_each_images_predicted_class(method):
    model, logits = _twins(lambda: [L.Conv2D(2, 3, activation="relu"), L.Flatten()], (5, 5, 1),
                           classes=4, seed=5)
    x = np.random.default_rng(6).normal(0.0, 3.0, (8, 5, 5, 1)).astype(np.float32)
    predicted = keras.ops.convert_to_numpy(logits(x)).argmax(axis=1)
    assert len(set(predicted.tolist())) > 1  # not one class for all: per image matters
    np.testing.assert_allclose(method(model, x), method(model, x, predicted), atol=1e-7)


# ---- the documented defaults ------------------------------------------------------------

def test_documented_defaults():
    """smoothgrad: noise 0.15, 25 samples, seed 0; integrated gradients: 50 steps from a
    black image; occlusion: 4 x 4 patches every 2 pixels, filled with 0."""
    model, logits = _twins(lambda: [L.Conv2D(2, 3, activation="tanh"), L.Flatten()], (8, 8, 1))
    x = 3 * _images((8, 8, 1), n=2)
    target = 1

    expected = np.zeros((2, 8, 8))
    for i in range(2):
        spread = float(x[i].max() - x[i].min())
        # 25 copies: 16 from the generator of group 0, then 9 from that of group 1
        draws = np.concatenate([
            np.random.default_rng([0, i, g]).standard_normal((n, *x[i].shape), np.float32)
            for g, n in ((0, 16), (1, 9))])
        for s in range(25):
            noisy = x[i] + np.float32(0.15 * spread) * draws[s]
            expected[i] += _gradient(logits, noisy[None], target)[0, ..., 0] / 25
    np.testing.assert_allclose(interp.smoothgrad(model, x, target), expected, rtol=1e-4,
                               atol=1e-6)

    alphas = (np.arange(50) + 0.5) / 50
    grads = sum(_gradient(logits, alpha * x, target) for alpha in alphas) / 50
    np.testing.assert_allclose(interp.integrated_gradients(model, x, target)[0],
                               (x * grads)[..., 0], rtol=1e-4, atol=1e-6)

    def probability(images):
        z = keras.ops.convert_to_numpy(logits(images)).astype(np.float64)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True))[:, target]

    total, count = np.zeros((2, 8, 8)), np.zeros((8, 8))
    for r in (0, 2, 4):
        for c in (0, 2, 4):
            covered = x.copy()
            covered[:, r:r + 4, c:c + 4] = 0.0
            total[:, r:r + 4, c:c + 4] += (probability(x) - probability(covered))[:, None, None]
            count[r:r + 4, c:c + 4] += 1
    np.testing.assert_allclose(interp.occlusion(model, x, target), total / count, atol=1e-6)


# ---- one output of a multi-output model ---------------------------------------------------

def _two_heads():
    keras.utils.set_random_seed(8)
    inputs = keras.Input((6, 6, 1))
    features = L.Flatten()(L.Conv2D(3, 3, activation="relu", name="conv")(inputs))
    head_a, head_b = L.Dense(3, name="a"), L.Dense(4, activation="softmax", name="b")
    both = keras.Model(inputs, [head_a(features), head_b(features)])
    only_b = keras.Model(inputs, head_b(features))  # the same layers, one output
    return both, only_b


@pytest.mark.parametrize("method", [
    lambda m, x, **k: interp.saliency(m, x, 3, **k),
    lambda m, x, **k: interp.input_x_gradient(m, x, 3, **k),
    lambda m, x, **k: interp.guided_backprop(m, x, 3, **k),
    lambda m, x, **k: interp.smoothgrad(m, x, 3, samples=3, **k),
    lambda m, x, **k: interp.integrated_gradients(m, x, 3, steps=4, **k)[0],
    lambda m, x, **k: interp.grad_cam(m, x, 2, **k),  # class 3 has an all-zero map here
    lambda m, x, **k: interp.occlusion(m, x, 3, patch=2, stride=2, **k),
], ids=["saliency", "input_x_gradient", "guided_backprop", "smoothgrad",
        "integrated_gradients", "grad_cam", "occlusion"])
def test_output_picks_one_head_of_a_multi_output_model(method):
    both, only_b = _two_heads()
    x = _images((6, 6, 1), n=3)
    expected = method(only_b, x)
    assert np.abs(expected).max() > 1e-6
    np.testing.assert_allclose(method(both, x, output="b"), expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(method(both, x, output=1), expected, rtol=1e-5, atol=1e-7)


def test_integrated_gradients_takes_50_midpoints_by_default():
    """logit_0 = relu(sum(x) - 4.545) on a 3 x 3 image of ones: on the path alpha * x the
    ReLU opens at alpha = 0.505. Of the 50 midpoints (k + 0.5) / 50, exactly 25 lie past it
    (from 0.51), so each pixel gets 1 * 1 * 25 / 50 = 0.5, and the gap is
    |9 * 0.5 - (9 - 4.545)| = 0.045. (51 midpoints would give 25 / 51.)"""
    model = keras.Sequential([keras.Input((3, 3, 1)), L.Flatten(),
                              L.Dense(1, activation="relu"), L.Dense(2)])
    model.layers[1].set_weights([np.ones((9, 1), np.float32), np.array([-4.545], np.float32)])
    model.layers[2].set_weights([np.array([[1.0, -1.0]], np.float32), np.zeros(2, np.float32)])
    attributions, gaps = interp.integrated_gradients(model, np.ones((1, 3, 3, 1)), 0)
    np.testing.assert_allclose(attributions, 0.5, rtol=1e-6)
    np.testing.assert_allclose(gaps, 0.045, rtol=1e-4)


def test_maps_are_float32_like_the_images_they_explain():
    model, _ = _linear_model()
    x = _images((4, 5, 1), n=2)
    attributions, gaps = interp.integrated_gradients(model, x, 0, steps=2)
    assert attributions.dtype == gaps.dtype == np.float32
    for method in (interp.saliency, interp.smoothgrad, interp.occlusion):
        assert method(model, x, 0).dtype == np.float32
