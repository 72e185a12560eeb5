"""feature_maps, top_activating, receptive fields and patches, on every model kind,
against Keras sub-models and a brute-force sort."""

import keras
import numpy as np
import pytest

import interp

TOL = 1e-5


@pytest.fixture(scope="module")
def small_images():
    return np.random.default_rng(0).random((23, 12, 12, 1)).astype(np.float32)


def _prefix(model):
    """The nested kind keeps c1 and c2 inside a model named "inner"."""
    return "inner/" if any(isinstance(layer, keras.Model) for layer in model.layers) else ""


def test_feature_maps_equal_layer_response_and_keras(any_model, model_kinds, small_images):
    maps = interp.feature_maps(any_model, small_images, batch_size=5)
    p = _prefix(any_model)
    assert list(maps) == [f"{p}c1", f"{p}c2"]
    maps = {key.split("/")[-1]: value for key, value in maps.items()}
    c1, c2 = interp.conv_layers(any_model)
    np.testing.assert_allclose(maps["c1"], interp.layer_response(c1, small_images), atol=TOL)
    np.testing.assert_allclose(maps["c2"], interp.layer_response(c2, maps["c1"]), atol=TOL)
    # an independent oracle: a Keras sub-model of the plain functional twin (same weights)
    twin = model_kinds["sequential-input"]
    sub = keras.Model(twin.inputs, [twin.layers[0].output, twin.layers[1].output])
    expected = sub.predict(small_images, verbose=0)
    np.testing.assert_allclose(maps["c1"], expected[0], atol=TOL)
    np.testing.assert_allclose(maps["c2"], expected[1], atol=TOL)


def test_feature_maps_other_layers_and_orders(any_model, small_images):
    maps = interp.feature_maps(any_model, small_images, layers=["out", "c2"])
    assert list(maps) == ["out", f"{_prefix(any_model)}c2"]
    np.testing.assert_allclose(maps["out"], keras.ops.convert_to_numpy(any_model(small_images)),
                               atol=TOL)
    one = interp.feature_maps(any_model, small_images, layers="c1")
    assert list(one) == [f"{_prefix(any_model)}c1"]


@pytest.mark.parametrize("batch_size", [1, 4, 23, 100])
def test_feature_maps_batch_size_invariant(model_kinds, small_images, batch_size):
    model = model_kinds["functional"]
    reference = interp.feature_maps(model, small_images, batch_size=7)
    got = interp.feature_maps(model, small_images, batch_size=batch_size)
    for name in reference:
        np.testing.assert_allclose(got[name], reference[name], atol=1e-6)


def brute_force(maps, k):
    n, h, w, n_kernels = maps.shape
    flat = maps.reshape(n, h * w, n_kernels)
    peak = flat.max(axis=1)  # (n, n_kernels)
    where = flat.argmax(axis=1)
    indices = np.stack([np.lexsort((np.arange(n), -peak[:, j]))[:k] for j in range(n_kernels)])
    values = np.take_along_axis(peak.T, indices, axis=1)
    flat_pos = np.take_along_axis(where.T, indices, axis=1)
    return indices, values, np.stack([flat_pos // w, flat_pos % w], axis=-1)


@pytest.mark.parametrize("batch_size", [1, 5, 1024])
def test_top_activating_equals_brute_force(any_model, small_images, batch_size):
    maps = interp.feature_maps(any_model, small_images)[f"{_prefix(any_model)}c2"]
    indices, values, positions = brute_force(maps, k=6)
    top = interp.top_activating(any_model, "c2", small_images, k=6, batch_size=batch_size)
    np.testing.assert_array_equal(top.indices, indices)
    np.testing.assert_allclose(top.values, values, atol=1e-6)
    np.testing.assert_array_equal(top.positions, positions)
    assert np.all(np.diff(top.values, axis=1) <= 0)


def test_top_activating_ties_keep_lower_index(model_kinds):
    images = np.ones((6, 12, 12, 1), np.float32)  # identical images: all tie
    top = interp.top_activating(model_kinds["sequential-input"], "c1", images, k=4)
    np.testing.assert_array_equal(top.indices, np.tile(np.arange(4), (2, 1)))


def test_top_activating_single_kernel(model_kinds, small_images):
    model = model_kinds["nested"]
    every = interp.top_activating(model, "c2", small_images, k=3)
    one = interp.top_activating(model, "c2", small_images, k=3, kernel=-1)
    assert one.indices.shape == (3,) and one.positions.shape == (3, 2)
    np.testing.assert_array_equal(one.indices, every.indices[2])


def test_top_activating_memory_is_bounded():
    """40,000 images: the result is tiny and the feature maps are never all held."""
    import tracemalloc

    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(8, 3)])
    images = np.zeros((40_000, 28, 28, 1), np.float32)
    images[::997, 5, 7, 0] = 1.0  # a few images that stand out
    all_maps_bytes = 40_000 * 26 * 26 * 8 * 4  # 865 MB if every map were kept
    tracemalloc.start()
    top = interp.top_activating(model, 0, images, k=5, batch_size=512)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < all_maps_bytes / 20, f"peak {peak / 2**20:.0f} MiB"
    assert top.indices.shape == (8, 5)


def test_receptive_fields_and_patches(trained):
    assert interp.receptive_field(trained, "conv1") == ((3, 3), (1, 1), (0, 0))
    assert interp.receptive_field(trained, "conv2") == ((5, 5), (1, 1), (0, 0))
    pooled = keras.Sequential([keras.Input((16, 16, 1)), keras.layers.Conv2D(2, 3),
                               keras.layers.MaxPooling2D(2), keras.layers.Conv2D(2, 3, padding="same")])
    # 3 -> pool 2 (jump 2) -> 4 -> conv 3 at jump 2 -> 8; 'same' shifts the start by 1*2
    assert interp.receptive_field(pooled, -1) == ((8, 8), (2, 2), (-2, -2))
    # after Flatten every unit of the dense layer sees the whole 28 x 28 image: stride 0
    assert interp.receptive_field(trained, "dense") == ((28, 28), (0, 0), (0, 0))


def test_patch_is_what_the_position_sees(trained, test_set):
    """The activation at a top position equals convolve(patch) for the first layer."""
    x_test, _ = test_set
    images = x_test[:300]
    top = interp.top_activating(trained, "conv1", images, k=3)
    patches = interp.crop_patches(images, top, interp.receptive_field(trained, "conv1"))
    kernels, bias = interp.get_kernels(trained.layers[0])
    for j in range(5):
        for i in range(3):
            value = max(float(np.sum(patches[j, i] * kernels[..., j])) + bias[j], 0.0)
            assert value == pytest.approx(float(top.values[j, i]), abs=1e-5)


@pytest.mark.parametrize(("call", "error", "words"), [
    (lambda m, x: interp.top_activating(m, "flat", x), TypeError,
     "top_activating: layer must be a 2-D convolution layer"),
    (lambda m, x: interp.top_activating(m, "c1", x[:3], k=4), ValueError,
     "k must be at most the number of images (3), got 4"),
    (lambda m, x: interp.top_activating(m, "c1", x, k=0), ValueError,
     "top_activating: k must be an int >= 1, got 0"),
    (lambda m, x: interp.top_activating(m, "c1", x, kernel=2), IndexError,
     "kernel=2 is out of range for 2 kernels"),
    (lambda m, x: interp.top_activating(m, "c1", x[..., 0]), ValueError,
     "images must be a batch shaped (n, 12, 12, 1)"),
    (lambda m, x: interp.feature_maps(m, np.zeros((2, 28, 28, 1))), ValueError,
     "feature_maps: images must be a batch shaped (n, 12, 12, 1) for this model"),
    (lambda m, x: interp.feature_maps(m, x, layers="nope"), ValueError, "no layer named 'nope'"),
    (lambda m, x: interp.feature_maps(m, x, batch_size=0), ValueError, "batch_size must be an int >= 1"),
    (lambda m, x: interp.feature_maps("model", x), TypeError, "model must be a keras.Model"),
])
def test_bad_input(model_kinds, small_images, call, error, words):
    with pytest.raises(error) as info:
        call(model_kinds["sequential-built"], small_images)
    assert words in str(info.value)
