"""The methods of issue #20 against hand computations on tiny models.

Each expectation is computed without interp: numpy loops over positions and channels,
Keras's own layers (or the backend's own autodiff) as the forward and gradient oracle,
exact Shapley values by enumerating every order of the players, and explicit masks,
samples and noise so that every random draw is reproduced exactly.
"""

import math

import keras
import numpy as np
import pytest
from conftest import input_gradient

import interp

L = keras.layers


def _images(shape, n=3, seed=1):
    return np.random.default_rng(seed).random((n, *shape)).astype(np.float32)


def _twins(body, shape, classes=3, seed=0):
    """The same weights with a softmax head (what a user passes) and without (the oracle)."""
    keras.utils.set_random_seed(seed)
    logits = keras.Sequential([keras.Input(shape), *body(), L.Dense(classes)])
    model = keras.Sequential([keras.Input(shape), *body(), L.Dense(classes, activation="softmax")])
    model.set_weights(logits.get_weights())
    return model, logits


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


# ---- bad input: the function, the argument, what was given, what is allowed ------------------

@pytest.fixture(scope="module")
def small():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(2, 3, activation="relu", name="c1"),
                             L.Conv2D(3, 3, name="c2"), L.Flatten(),
                             L.Dense(3, activation="softmax", name="out")])


BAD = [
    (lambda m, x: interp.smoothgrad(m, x, statistic="median"), ValueError,
     "smoothgrad: statistic must be 'mean' or 'square' or 'variance', got 'median'"),
]


@pytest.mark.parametrize(("call", "error", "words"), BAD)
def test_bad_input(small, call, error, words):
    with pytest.raises(error) as info:
        call(small, _images((8, 8, 1), n=2))
    assert words in str(info.value)
