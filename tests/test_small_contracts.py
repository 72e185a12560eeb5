"""Small promises of the docstrings that no test held before the mutation audit of issue
#9, each against a hand computation or a Keras layer."""

import keras
import numpy as np
import pytest

import interp

L = keras.layers


def test_a_keras_variable_is_an_array_not_a_layer():
    # a Variable has a name but no weights of its own: it is read as the array it holds
    variable = keras.Variable(np.array([[-1.0, 0.0, 1.0]] * 3), name="edge")
    assert interp.describe_kernel(variable).name == "vertical edge: dark on the left, bright on the right"
    ax = interp.plot_kernel(variable)
    np.testing.assert_array_equal(ax.images[0].get_array(), [[-1.0, 0.0, 1.0]] * 3)


def test_layer_response_of_one_image_without_a_batch_axis():
    keras.utils.set_random_seed(0)
    layer = L.Conv2D(3, 2, activation="relu")
    image = np.random.default_rng(0).normal(size=(5, 6, 2)).astype(np.float32)
    expected = keras.ops.convert_to_numpy(layer(image[np.newaxis]))[0]  # builds the layer: Keras's own answer
    got = interp.layer_response(layer, image)
    assert got.shape == (4, 5, 3)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def _tiny():
    keras.utils.set_random_seed(1)
    return keras.Sequential([keras.Input((4, 5, 1)), L.Conv2D(2, 2, activation="tanh"),
                             L.Flatten(), L.Dense(3)])


def test_occlusion_with_a_patch_as_large_as_the_image():
    model = _tiny()
    x = np.random.default_rng(2).random((2, 4, 5, 1)).astype(np.float32)

    def probability(images):
        z = keras.ops.convert_to_numpy(model(images)).astype(np.float64)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True))[:, 1]

    # patch 4 on a 4 x 5 image: two placements (columns 0-3 and 1-4), stride 1
    drops = []
    for c in (0, 1):
        covered = x.copy()
        covered[:, :, c:c + 4] = 0.0
        drops.append(probability(x) - probability(covered))
    expected = np.zeros((2, 4, 5))
    expected[:, :, 0] = drops[0][:, None]
    expected[:, :, 4] = drops[1][:, None]
    expected[:, :, 1:4] = ((drops[0] + drops[1]) / 2)[:, None, None]
    got = interp.occlusion(model, x, 1, patch=4, stride=1)
    np.testing.assert_allclose(got, expected, atol=1e-6)
    with pytest.raises(ValueError, match=r"^occlusion: patch must be at most the image size 4, got 5$"):
        interp.occlusion(model, x, 1, patch=5)
    with pytest.raises(ValueError, match=r"^occlusion: patch must be an int >= 1, got 0$"):
        interp.occlusion(model, x, 1, patch=0)


def test_batch_size_messages_name_the_function():
    model = _tiny()
    x = np.zeros((2, 4, 5, 1), np.float32)
    with pytest.raises(ValueError, match=r"^feature_maps: batch_size must be an int >= 1, got 0$"):
        interp.feature_maps(model, x, batch_size=0)
    with pytest.raises(ValueError, match=r"^top_activating: batch_size must be an int >= 1, got 0$"):
        interp.top_activating(model, 0, x, k=1, batch_size=0)
