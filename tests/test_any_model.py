"""Models users bring: each case below gave a silent wrong answer or an obscure error once.

Each test computes the right answer independently (a Keras model built for the purpose, a
hand computation, scipy), or checks for a clear error that names the interp function.
"""

import threading

import keras
import numpy as np
import pytest
from conftest import input_gradient, native_softmax
from scipy.stats import spearmanr

import interp

L = keras.layers
RNG = np.random.default_rng(0)


def _images(shape, n=4, seed=0):
    return np.random.default_rng(seed).random((n, *shape)).astype(np.float32)


def _input_gradient(logit_model, images, target):
    """d logit[target] / d input, by the backend's autodiff on a model that outputs logits."""
    return input_gradient(lambda x: logit_model(x)[:, target], images)


# ---- 2. model_randomization re-draws BatchNormalization as initialized, not zeroed ------

def test_randomization_keeps_batch_norm_alive():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((12, 12, 1)), L.Conv2D(4, 3), L.BatchNormalization(),
                              L.Activation("relu"), L.Flatten(), L.Dense(4, activation="softmax")])
    bn = model.layers[1]
    bn.set_weights([np.full(4, 3.0), np.full(4, 0.5), np.full(4, 0.2), np.full(4, 9.0)])
    before = [w.copy() for w in model.get_weights()]
    x = _images((12, 12, 1), n=6)
    check = interp.model_randomization(model, x, seed=1)
    assert np.abs(check.randomized).max() > 1e-4  # a live network, not a constant output
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)  # the user's model is untouched
    # the re-drawn network: BatchNormalization as freshly initialized (gamma 1, beta 0,
    # mean 0, variance 1), so its output equals a model without it up to 1/sqrt(1 + eps)
    twin = keras.Sequential([keras.Input((12, 12, 1)), L.Conv2D(4, 3), L.Activation("relu"),
                             L.Flatten(), L.Dense(4)])
    from interp._model import Runner
    from interp.evaluate import randomized_copy

    copy = randomized_copy("test", model, Runner("test", model), 1)
    gamma, beta, mean, variance = copy.layers[1].get_weights()
    np.testing.assert_array_equal(gamma, 1.0)
    np.testing.assert_array_equal(variance, 1.0)
    np.testing.assert_array_equal(beta, 0.0)
    np.testing.assert_array_equal(mean, 0.0)
    twin.layers[0].set_weights(copy.layers[0].get_weights())
    twin.layers[3].set_weights(copy.layers[4].get_weights())
    scale = 1 / np.sqrt(1 + bn.epsilon)
    target = check.randomized  # saliency of the copy, explained for the trained predictions
    predicted = keras.ops.convert_to_numpy(model(x)).argmax(axis=1)
    expected = np.stack([_input_gradient(twin, x[i:i + 1], predicted[i])[0, ..., 0]
                         for i in range(len(x))])
    np.testing.assert_allclose(target, expected * scale, rtol=1e-4, atol=1e-6)


def test_randomization_similarity_is_spearman_of_the_signed_and_absolute_maps(model_kinds):
    model = model_kinds["functional"]
    x = _images((12, 12, 1), n=5)
    check = interp.model_randomization(model, x, target=1, seed=3)
    pairs = list(zip(check.trained, check.randomized, strict=True))
    signed = [spearmanr(a.ravel(), b.ravel()).statistic for a, b in pairs]
    absolute = [spearmanr(np.abs(a).ravel(), np.abs(b).ravel()).statistic for a, b in pairs]
    np.testing.assert_allclose(check.similarity, signed, atol=1e-12)
    np.testing.assert_allclose(check.similarity_abs, absolute, atol=1e-12)
    # and the randomized maps come from a model drawn from the layers' own initializers:
    # the seed changes them, the same seed repeats them
    other = interp.model_randomization(model, x, target=1, seed=4)
    assert not np.allclose(other.randomized, check.randomized)


# ---- 3. channels_first ------------------------------------------------------------------

def _twins_by_data_format():
    keras.utils.set_random_seed(2)
    last = keras.Sequential([keras.Input((12, 12, 2)), L.Conv2D(12, 3, activation="relu"),
                             L.Conv2D(5, 3, activation="relu"), L.Flatten(),
                             L.Dense(3, activation="softmax")])
    first = keras.Sequential([
        keras.Input((2, 12, 12)),
        L.Conv2D(12, 3, activation="relu", data_format="channels_first"),
        L.Conv2D(5, 3, activation="relu", data_format="channels_first"),
        L.Permute((2, 3, 1)),  # back to (h, w, c) so Flatten orders features the same way
        L.Flatten(), L.Dense(3, activation="softmax")])
    first.set_weights(last.get_weights())
    return last, first


@pytest.mark.parametrize("method", [
    lambda m, x: interp.saliency(m, x, target=1),
    lambda m, x: interp.integrated_gradients(m, x, target=1, steps=8)[0],
    lambda m, x: interp.grad_cam(m, x, target=1),
    lambda m, x: interp.occlusion(m, x, target=1, patch=3, stride=3),
    lambda m, x: interp.guided_backprop(m, x, target=1),
])
def test_channels_first_maps_equal_channels_last(method):
    last, first = _twins_by_data_format()
    x = _images((12, 12, 2))
    expected = method(last, x)
    got = method(first, np.moveaxis(x, -1, 1))
    assert got.shape == (4, 12, 12)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_channels_first_top_activating_when_width_equals_filters():
    last, first = _twins_by_data_format()  # 12 filters, 12 pixels wide
    x = _images((12, 12, 2), n=20)
    expected = interp.top_activating(last, 0, x, k=4)
    got = interp.top_activating(first, 0, np.moveaxis(x, -1, 1), k=4)
    np.testing.assert_array_equal(got.indices, expected.indices)
    np.testing.assert_array_equal(got.positions, expected.positions)


# ---- 4. receptive_field walks the graph -------------------------------------------------

def test_receptive_field_follows_the_branch_that_reaches_the_layer():
    inputs = keras.Input((16, 16, 1))
    a = L.Conv2D(2, 5, name="ca")(inputs)  # another branch, listed first in model.layers
    b1 = L.Conv2D(2, 3, padding="same", name="cb1")(inputs)
    b2 = L.Conv2D(2, 1, name="cb2")(b1)
    joined = L.Concatenate(name="join")([L.Cropping2D(2)(b2), a])
    model = keras.Model(inputs, L.Conv2D(1, 3, name="after")(joined))
    assert interp.receptive_field(model, "cb2") == ((3, 3), (1, 1), (-1, -1))
    assert interp.receptive_field(model, "ca").size == (5, 5)
    # the join: cb2's 3 x 3 from -1, cropped by 2 (so from 1), and ca's 5 x 5 from 0 lie in
    # one 5 x 5 box from 0; "after", a valid 3 x 3, reaches two pixels further
    assert interp.receptive_field(model, "after") == ((7, 7), (1, 1), (0, 0))


def test_receptive_field_same_padding_with_stride_on_odd_sizes():
    """TensorFlow pads 'same' by (total // 2) before: on 7 pixels with stride 2 and a 3x3
    kernel that is 1 before, and the field of output 0 starts at -1."""
    model = keras.Sequential([keras.Input((7, 7, 1)), L.Conv2D(1, 3, strides=2, padding="same")])
    field = interp.receptive_field(model, 0)
    assert field == ((3, 3), (2, 2), (-1, -1))
    # check by perturbing: output (1, 1) must change only for inputs in its field
    model.layers[0].set_weights([np.ones((3, 3, 1, 1)), np.zeros(1)])
    base = keras.ops.convert_to_numpy(model(np.zeros((1, 7, 7, 1))))[0, 1, 1, 0]
    seen = np.zeros((7, 7), bool)
    for r in range(7):
        for c in range(7):
            x = np.zeros((1, 7, 7, 1), np.float32)
            x[0, r, c, 0] = 1
            seen[r, c] = keras.ops.convert_to_numpy(model(x))[0, 1, 1, 0] != base
    rows, cols = np.nonzero(seen)
    start = (field.offset[0] + 1 * field.stride[0], field.offset[1] + 1 * field.stride[1])
    assert rows.min() == start[0] and rows.max() == start[0] + field.size[0] - 1
    assert cols.min() == start[1] and cols.max() == start[1] + field.size[1] - 1


# ---- 5. a final softmax however written; logits without mutating -------------------------

def _softmax_variants():
    keras.utils.set_random_seed(4)
    body = [L.Conv2D(3, 3, activation="tanh"), L.Flatten()]
    base = keras.Sequential([keras.Input((8, 8, 1)), *body, L.Dense(4)])
    weights = base.get_weights()
    variants = {
        "Softmax layer": keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(3, 3, activation="tanh"),
                                           L.Flatten(), L.Dense(4), L.Softmax()]),
        "Activation layer": keras.Sequential([keras.Input((8, 8, 1)),
                                              L.Conv2D(3, 3, activation="tanh"), L.Flatten(),
                                              L.Dense(4), L.Activation("softmax")]),
        "backend's softmax": keras.Sequential([keras.Input((8, 8, 1)),
                                               L.Conv2D(3, 3, activation="tanh"), L.Flatten(),
                                               L.Dense(4, activation=native_softmax())]),
        "keras.ops.softmax": keras.Sequential([keras.Input((8, 8, 1)),
                                               L.Conv2D(3, 3, activation="tanh"), L.Flatten(),
                                               L.Dense(4, activation=keras.ops.softmax)]),
    }
    inputs = keras.Input((8, 8, 1))
    y = L.Dense(4)(L.Flatten()(L.Conv2D(3, 3, activation="tanh")(inputs)))
    variants["ops.softmax in a graph"] = keras.Model(inputs, keras.ops.softmax(y))
    for model in variants.values():
        model.set_weights(weights)
    return base, variants


def test_softmax_is_removed_however_it_is_written():
    base, variants = _softmax_variants()
    x = _images((8, 8, 1))
    expected = _input_gradient(base, x, 2)[..., 0]
    assert np.abs(expected).max() > 1e-3
    for name, model in variants.items():
        got = interp.saliency(model, x, target=2)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6, err_msg=name)


def test_logits_never_change_the_model_even_for_another_thread():
    _, variants = _softmax_variants()
    model = variants["backend's softmax"]
    layer = model.layers[-1]
    activation = layer.activation
    x = _images((8, 8, 1), n=64)
    seen = []
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            seen.append(layer.activation is activation)
            out = keras.ops.convert_to_numpy(model(x[:2]))
            seen.append(bool(np.allclose(out.sum(axis=1), 1.0, atol=1e-5)))

    thread = threading.Thread(target=watch)
    thread.start()
    try:
        for _ in range(5):
            interp.saliency(model, x, target=1, batch_size=8)
    finally:
        stop.set()
        thread.join()
    assert seen and all(seen)


def test_single_sigmoid_unit_has_two_classes():
    keras.utils.set_random_seed(5)
    model = keras.Sequential([keras.Input((6, 6, 1)), L.Conv2D(2, 3, activation="tanh"),
                              L.Flatten(), L.Dense(1, activation="sigmoid")])
    logits = keras.Sequential([keras.Input((6, 6, 1)), L.Conv2D(2, 3, activation="tanh"),
                               L.Flatten(), L.Dense(1)])
    logits.set_weights(model.get_weights())
    x = _images((6, 6, 1), n=8)
    z = _input_gradient(logits, x, 0)[..., 0]
    np.testing.assert_allclose(interp.saliency(model, x, target=1), z, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(interp.saliency(model, x, target=0), -z, rtol=1e-5, atol=1e-7)
    predicted = (keras.ops.convert_to_numpy(model(x))[:, 0] > 0.5).astype(int)
    np.testing.assert_allclose(interp.saliency(model, x), z * np.where(predicted, 1, -1)[:, None, None],
                               rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="target must be a class index in 0..1"):
        interp.saliency(model, x, target=2)


# ---- 6. one argument order ------------------------------------------------------------------

def test_grad_cam_third_argument_is_the_target(model_kinds):
    model = model_kinds["functional"]
    x = _images((12, 12, 1))
    np.testing.assert_array_equal(interp.grad_cam(model, x, 0), interp.grad_cam(model, x, target=0))
    with pytest.raises(TypeError):
        interp.grad_cam(model, x, 0, "c1")  # layer is keyword-only


# ---- 7. duplicate names in nested models ----------------------------------------------------

def test_duplicate_names_in_nested_models_are_kept_apart():
    keras.utils.set_random_seed(6)

    def block(name):
        return keras.Sequential([keras.Input((10, 10, 1)), L.Conv2D(2, 3, name="conv")], name=name)

    a, b = block("a"), block("b")
    inputs = keras.Input((10, 10, 1))
    model = keras.Model(inputs, L.Add()([a(inputs), b(inputs)]))
    assert [layer.name for layer in interp.conv_layers(model)] == ["conv", "conv"]
    x = _images((10, 10, 1))
    maps = interp.feature_maps(model, x)
    assert list(maps) == ["a/conv", "b/conv"]
    np.testing.assert_allclose(maps["a/conv"], keras.ops.convert_to_numpy(a(x)), atol=1e-6)
    np.testing.assert_allclose(maps["b/conv"], keras.ops.convert_to_numpy(b(x)), atol=1e-6)
    assert interp.pick_layer(model, "b/conv") is b.layers[0]
    with pytest.raises(ValueError, match=r"pick_layer: the name 'conv' is used by 2 layers.*"
                                         r"\['a/conv', 'b/conv'\]"):
        interp.pick_layer(model, "conv")


# ---- 8, 9. several outputs, several inputs ----------------------------------------------------

def test_multi_output_models_take_an_output_choice():
    keras.utils.set_random_seed(7)
    inputs = keras.Input((8, 8, 1))
    features = L.Flatten()(L.Conv2D(2, 3, activation="tanh")(inputs))
    head_a = L.Dense(3, activation="softmax", name="a")
    head_b = L.Dense(5, name="b")
    model = keras.Model(inputs, [head_a(features), head_b(features)])
    x = _images((8, 8, 1))
    with pytest.raises(ValueError, match=r"saliency: model .* has 2 outputs \['a', 'b'\]; "
                                         r"choose one with output="):
        interp.saliency(model, x)
    only_b = keras.Model(inputs, head_b(features))
    expected = _input_gradient(only_b, x, 4)[..., 0]
    np.testing.assert_allclose(interp.saliency(model, x, target=4, output="b"), expected, atol=1e-6)
    np.testing.assert_allclose(interp.saliency(model, x, target=4, output=1), expected, atol=1e-6)
    maps = np.abs(expected)
    for metric in (interp.deletion, interp.insertion):  # the curves follow the chosen output
        np.testing.assert_allclose(metric(model, x, maps, 4, steps=4, output="b").scores,
                                   metric(only_b, x, maps, 4, steps=4).scores, atol=1e-6)
    with pytest.raises(ValueError, match="output must be one of"):
        interp.saliency(model, x, output="c")
    with pytest.raises(IndexError, match="output=2 is out of range"):
        interp.saliency(model, x, output=2)


def test_multi_input_models_are_refused_clearly():
    one, two = keras.Input((8, 8, 1)), keras.Input((8, 8, 1))
    out = L.Dense(2)(L.Flatten()(L.Conv2D(2, 3)(L.Add()([one, two]))))
    model = keras.Model([one, two], out)
    for call in (interp.saliency, interp.feature_maps, interp.occlusion):
        with pytest.raises(ValueError, match=rf"{call.__name__}: model .* has 2 inputs"):
            call(model, _images((8, 8, 1)))


# ---- 10. inputs that are not (n, h, w, c) ----------------------------------------------------

def test_images_without_a_channel_axis():
    keras.utils.set_random_seed(8)
    model = keras.Sequential([keras.Input((10, 10)), L.Reshape((10, 10, 1)),
                              L.Conv2D(2, 3, activation="relu"), L.Flatten(), L.Dense(3)])
    x = _images((10, 10))
    got = interp.saliency(model, x, target=1)
    assert got.shape == (4, 10, 10)
    np.testing.assert_allclose(got, _input_gradient(model, x, 1), atol=1e-6)
    assert interp.occlusion(model, x, target=1, patch=2, stride=2).shape == (4, 10, 10)
    assert interp.maximize_activation(model, 1, 0, steps=3).shape == (10, 10)


@pytest.mark.parametrize(("layer", "shape"), [
    (lambda: L.Conv1D(3, 3, activation="relu"), (16, 2)),
    (lambda: L.Conv3D(2, 3, activation="relu"), (6, 6, 6, 1)),
])
def test_conv1d_and_conv3d_models(layer, shape):
    keras.utils.set_random_seed(9)
    model = keras.Sequential([keras.Input(shape), layer(), L.Flatten(), L.Dense(3)])
    x = _images(shape)
    got = interp.saliency(model, x, target=2)
    assert got.shape == (4, *shape[:-1])
    np.testing.assert_allclose(got, _input_gradient(model, x, 2).sum(axis=-1), atol=1e-6)
    image = interp.maximize_activation(model, 0, 1, steps=4)
    assert image.shape == shape and 0 <= image.min() and image.max() <= 1
    assert list(interp.feature_maps(model, x)) == [model.layers[0].name]
    with pytest.raises(ValueError, match="grad_cam: the model has no Conv2D layer"):
        interp.grad_cam(model, x)


# ---- 11. subclassed models --------------------------------------------------------------------

class SmallNet(keras.Model):
    def __init__(self):
        super().__init__()
        self.conv = L.Conv2D(2, 3, activation="tanh")
        self.flat = L.Flatten()
        self.out = L.Dense(3)

    def call(self, x):
        return self.out(self.flat(self.conv(x)))


def test_a_built_subclassed_model_is_run_to_its_output():
    keras.utils.set_random_seed(10)
    model = SmallNet()
    x = _images((8, 8, 1))
    model(x)
    np.testing.assert_allclose(interp.saliency(model, x, target=0),
                               _input_gradient(model, x, 0)[..., 0], atol=1e-6)
    assert interp.occlusion(model, x, target=0, patch=2, stride=2).shape == (4, 8, 8)
    for call in (lambda: interp.feature_maps(model, x), lambda: interp.grad_cam(model, x),
                 lambda: interp.pick_layer(model, 0), lambda: interp.receptive_field(model, 0)):
        with pytest.raises(TypeError, match="cannot reach the layers inside subclassed model"):
            call()


def test_an_unbuilt_model_is_refused_clearly():
    model = keras.Sequential([L.Conv2D(2, 3), L.Flatten(), L.Dense(2)])
    with pytest.raises(ValueError, match="saliency: model .* is not built"):
        interp.saliency(model, _images((8, 8, 1)))


# ---- 12. a backend without gradients -------------------------------------------------------

def test_gradients_name_the_backend_they_need(model_kinds, monkeypatch):
    monkeypatch.setattr(keras.backend, "backend", lambda: "numpy")
    with pytest.raises(RuntimeError, match="saliency: gradients need the TensorFlow, JAX or "
                                           "PyTorch backend, but Keras runs on 'numpy'"):
        interp.saliency(model_kinds["functional"], _images((12, 12, 1)), target=0)


# ---- small things -----------------------------------------------------------------------------

def test_feature_maps_with_a_layer_class_returns_every_such_layer(model_kinds):
    maps = interp.feature_maps(model_kinds["functional"], _images((12, 12, 1)),
                               layers=keras.layers.Conv2D)
    assert list(maps) == ["c1", "c2"]


def test_negative_kernel_index_in_maximize_activation(model_kinds):
    model = model_kinds["functional"]
    np.testing.assert_array_equal(interp.maximize_activation(model, "c2", -1, steps=3),
                                  interp.maximize_activation(model, "c2", 2, steps=3))


def test_integer_pixels_are_used_as_given_with_a_warning(model_kinds):
    model = model_kinds["functional"]
    pixels = (np.random.default_rng(0).random((2, 12, 12, 1)) * 255).astype(np.uint8)
    with pytest.warns(interp.InterpWarning, match=r"saliency: images are integers up to 2\d\d"):
        got = interp.saliency(model, pixels, target=0)
    np.testing.assert_allclose(got, interp.saliency(model, pixels.astype(np.float32), target=0))


@pytest.mark.parametrize(("call", "error", "words"), [
    (lambda m, x: interp.integrated_gradients(m, x, baseline=np.full((12, 12, 1), np.nan)),
     ValueError, "integrated_gradients: baseline must be finite"),
    (lambda m, x: interp.occlusion(m, x, fill=np.nan), ValueError, "occlusion: fill must be a finite"),
    (lambda m, x: interp.occlusion(m, x, fill="mean"), TypeError, "occlusion: fill must be a number"),
    (lambda m, x: interp.smoothgrad(m, x, noise="0.1"), TypeError, "smoothgrad: noise must be a number"),
    (lambda m, x: interp.saliency(m, x, target="Sneaker"), TypeError, "saliency: target must be None"),
    (lambda m, x: interp.saliency(m, x, batch_size=0), ValueError, "saliency: batch_size must be"),
    (lambda m, x: interp.saliency(m, x[0]), ValueError, "images[np.newaxis]"),
    (lambda m, x: interp.crop_patches(x[:1], interp.top_activating(m, "c1", x, k=3),
                                      interp.receptive_field(m, "c1")),
     ValueError, "crop_patches: top names image"),
    (lambda m, x: interp.crop_patches(  # one past the end: image 4 of 4
        x[:4], interp.TopActivations(np.array([[4]]), np.ones((1, 1)), np.zeros((1, 1, 2), int)),
        interp.receptive_field(m, "c1")),
     ValueError, "crop_patches: top names image 4, but images holds only 4"),
])
def test_bad_arguments_name_the_function(model_kinds, call, error, words):
    x = _images((12, 12, 1), n=5)
    with pytest.raises(error) as info:
        call(model_kinds["functional"], x)
    assert words in str(info.value)


def test_layer_objects_where_a_kernel_array_belongs(trained):
    layer = interp.pick_layer(trained, "conv1")
    for call in (interp.describe_kernel, interp.plot_kernel):
        with pytest.raises(TypeError, match=r"kernel must be an array, got the Conv2D layer "
                                            r"'conv1'; pass one of its kernels, e\.g\. "
                                            r"interp\.kernel\(layer, 0\)"):
            call(layer)


def test_plot_images_refuses_one_image_read_as_a_batch(test_set):
    x_test, _ = test_set
    with pytest.raises(ValueError, match=r"plot_images: images must be a batch.*one image"):
        interp.plot_images(x_test[0])
    with pytest.raises(TypeError, match="plot_kernel: vmax must be a number"):
        interp.plot_kernel(np.ones((3, 3)), vmax="a")


# ---- 13, 14. memory bounded by batch_size --------------------------------------------------

def _numpy_peak(call):
    import tracemalloc

    tracemalloc.start()
    try:
        result = call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def test_grad_cam_streams_its_maps_and_gradients():
    """Memory beyond the result stays flat from 500 to 2,000 images (all of conv2's maps
    and gradients would grow by 2 x 1500 x 24 x 24 x 15 floats, 99 MiB)."""
    model = interp.build_model()
    x = np.random.default_rng(0).random((2000, 28, 28, 1)).astype(np.float32)
    interp.grad_cam(model, x[:10], target=3)  # compile outside the measurement
    extra = {}
    for n in (500, 2000):
        cams, peak = _numpy_peak(lambda n=n: interp.grad_cam(model, x[:n], target=3,
                                                             batch_size=100))
        extra[n] = peak - cams.nbytes
    assert extra[2000] - extra[500] < 2 * 2**20, extra


def test_occlusion_streams_the_covered_copies():
    """One 96 x 96 image at stride 1: 8,649 covered copies would be 319 MiB at once."""
    keras.utils.set_random_seed(11)
    model = keras.Sequential([keras.Input((96, 96, 1)), L.Conv2D(2, 5, strides=4),
                              L.Flatten(), L.Dense(3)])
    x = np.random.default_rng(0).random((1, 96, 96, 1)).astype(np.float32)
    result, peak = _numpy_peak(
        lambda: interp.occlusion(model, x, target=0, patch=4, stride=1, batch_size=256))
    assert result.shape == (1, 96, 96)
    assert peak < 48 * 2**20, f"{peak / 2**20:.0f} MiB"


# ---- streams of batches (a tf.data.Dataset, a generator) -------------------------------------

def test_methods_take_an_iterable_of_batches(model_kinds):
    import tensorflow as tf  # tf.data feeds every Keras backend; TensorFlow is always installed

    model = model_kinds["functional"]
    x = _images((12, 12, 1), n=23)
    targets = np.arange(23) % 4
    dataset = tf.data.Dataset.from_tensor_slices((x, targets)).batch(5)
    got = interp.saliency(model, dataset, target=targets)
    np.testing.assert_allclose(got, interp.saliency(model, x, target=targets), atol=1e-6)
    attributions, gaps = interp.integrated_gradients(model, (x[i:i + 7] for i in range(0, 23, 7)),
                                                     target=1, steps=4)
    expected = interp.integrated_gradients(model, x, target=1, steps=4)
    np.testing.assert_allclose(attributions, expected[0], atol=1e-6)
    np.testing.assert_allclose(gaps, expected[1], atol=1e-5)
    maps = interp.feature_maps(model, tf.data.Dataset.from_tensor_slices(x).batch(4))
    np.testing.assert_allclose(maps["c2"], interp.feature_maps(model, x)["c2"], atol=1e-6)
    top = interp.top_activating(model, "c2", (x[i:i + 4] for i in range(0, 23, 4)), k=5,
                                batch_size=3)
    whole = interp.top_activating(model, "c2", x, k=5)
    np.testing.assert_array_equal(top.indices, whole.indices)
    np.testing.assert_array_equal(top.positions, whole.positions)
    with pytest.raises(ValueError, match="top_activating: k must be at most the number of images"):
        interp.top_activating(model, "c2", iter([x[:2]]), k=3)
    with pytest.raises(ValueError, match="saliency: target must have one class per image"):
        interp.saliency(model, iter([x[:3], x[3:6]]), target=np.zeros(4, int))


# ---- 15. copies of the model keep every variable (issue #17) --------------------------------

class Offset(L.Layer):
    """A custom layer with a non-trainable state variable (no initializer attribute)."""

    def build(self, input_shape):
        self.offset = self.add_weight(name="offset", shape=(input_shape[-1],),
                                      initializer="zeros", trainable=False)

    def call(self, x):
        return x + self.offset


class Gain(L.Layer):
    """A custom layer whose state is a Python attribute: a copy cannot know it."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.gain = 1.0

    def call(self, x):
        return x * self.gain


PIXELS = (np.random.default_rng(12).random((6, 10, 10, 1)) * 255).astype(np.float32)


def _stateful_model(kind):
    """Conv -> dense model behind a layer that holds state, with that state made non-trivial."""
    keras.utils.set_random_seed(13)
    front = {
        "normalization (adapted)": lambda: L.Normalization(name="state"),
        "normalization (given)": lambda: L.Normalization(mean=127.0, variance=5400.0,
                                                         name="state"),
        "batch normalization": lambda: L.BatchNormalization(name="state"),
        "custom non-trainable": lambda: Offset(name="state"),
        "rescaling": lambda: L.Rescaling(1 / 255, offset=-0.5, name="state"),
    }[kind]()
    if kind == "normalization (adapted)":
        front.adapt(PIXELS)
    inputs = keras.Input((10, 10, 1))
    h = L.Conv2D(3, 3, activation="relu", name="conv")(front(inputs))
    model = keras.Model(inputs, L.Dense(4, name="dense")(L.Flatten()(h)))
    if kind == "batch normalization":
        front.set_weights([np.array([1.5]), np.array([0.2]), np.array([120.0]),
                           np.array([4000.0])])
    if kind == "custom non-trainable":
        front.set_weights([np.array([-100.0])])
    return model


STATEFUL = ["normalization (adapted)", "normalization (given)", "batch normalization",
            "custom non-trainable", "rescaling"]


@pytest.mark.parametrize("kind", STATEFUL)
def test_the_randomization_copy_predicts_what_the_model_predicts(kind):
    """Before any weight is redrawn, interp's copy is the model: Keras's own call says so."""
    from interp._model import Runner, clone

    model = _stateful_model(kind)
    expected = keras.ops.convert_to_numpy(model(PIXELS, training=False))
    copy = clone("test", model, Runner("test", model).spec)
    got = keras.ops.convert_to_numpy(copy(PIXELS, training=False))
    assert np.abs(expected).max() > 1e-3
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())


def test_randomization_keeps_the_normalization_statistics():
    """Step 1 of the cascade redraws the dense layer only: the maps are the gradient of a
    model with the same Normalization (mean and variance given to it) and convolution, and
    the dense layer's fresh draw (read from the copy the method gets)."""
    model = _stateful_model("normalization (adapted)")
    norm = model.get_layer("state")
    mean, variance = (w.reshape(-1) for w in norm.get_weights()[:2])
    seen = []

    def method(m, images, target=None):
        seen.append([w.copy() for w in m.get_layer("dense").get_weights()])
        return interp.saliency(m, images, target=target)

    x = PIXELS[:4]
    targets = np.array([0, 1, 2, 3])
    result = interp.cascading_randomization(model, x, targets, method=method, seed=2)
    assert result.layers == ("dense", "conv")  # the Normalization has nothing to redraw
    oracle = keras.Sequential([keras.Input((10, 10, 1)), L.Normalization(mean=mean,
                                                                          variance=variance),
                               L.Conv2D(3, 3, activation="relu"), L.Flatten(), L.Dense(4)])
    oracle.layers[1].set_weights(model.get_layer("conv").get_weights())
    oracle.layers[3].set_weights(seen[1])  # the copy's dense layer after step 1
    for i, t in enumerate(targets):
        expected = _input_gradient(oracle, x[i:i + 1], t)[0, ..., 0]
        np.testing.assert_allclose(result.maps[0, i], expected, rtol=1e-4,
                                   atol=1e-4 * np.abs(expected).max())
    trained = interp.saliency(model, x, targets)  # and before any redraw: the model's maps
    np.testing.assert_allclose(result.trained, trained, rtol=1e-6, atol=1e-9)


def test_layers_with_nothing_to_redraw_are_no_step():
    model = _stateful_model("normalization (adapted)")
    x = PIXELS[:3]
    for check in (interp.cascading_randomization, interp.independent_randomization):
        assert check(model, x).layers == ("dense", "conv")
        with pytest.raises(ValueError) as info:
            check(model, x, layers="state")
        assert (f"{check.__name__}: layers must name layers with weights to draw afresh; "
                "'state' (Normalization) has nothing to redraw: its variables ['mean', "
                "'variance', 'count'] have no initializer") in str(info.value)
        assert "Layers that can be randomized: ['conv', 'dense']" in str(info.value)


def test_a_model_with_nothing_to_redraw_is_refused_by_every_check():
    x = np.random.default_rng(0).random((3, 4, 4, 1)).astype(np.float32)
    bare = keras.Sequential([keras.Input((4, 4, 1)), L.Flatten(), L.Softmax()])
    norm = L.Normalization(mean=0.5, variance=0.1)
    statistics = keras.Sequential([keras.Input((4, 4, 1)), L.Normalization(axis=None),
                                   norm, L.Flatten()])
    statistics.layers[0].adapt(x)
    for model in (bare, statistics):
        for check in (interp.model_randomization, interp.cascading_randomization,
                      interp.independent_randomization):
            with pytest.raises(ValueError, match=rf"^{check.__name__}: the model has no layer "
                                                 "with weights to randomize$"):
                check(model, x, target=0)


def test_a_model_its_copy_cannot_reproduce_is_refused_loudly():
    keras.utils.set_random_seed(14)
    model = keras.Sequential([keras.Input((6, 6, 1)), L.Conv2D(2, 3, name="conv"),
                              Gain(name="gain"), L.Flatten(), L.Dense(3, name="dense")])
    model.get_layer("gain").gain = 4.0  # state the copy, made from the config, cannot have
    x = np.random.default_rng(1).random((3, 6, 6, 1)).astype(np.float32)
    for check in (interp.model_randomization, interp.cascading_randomization,
                  interp.independent_randomization):
        with pytest.raises(TypeError) as info:
            check(model, x, target=0)
        message = str(info.value)
        assert message.startswith(f"{check.__name__}: cannot copy model ")
        assert "a copy holding all its weights predicts differently" in message
        assert "the first layer whose output differs is 'gain' (Gain)" in message


# ---- 16. float16 and bfloat16 models: gradients in float32 (issue #17) ---------------------

@pytest.fixture
def restore_policy():
    before = keras.config.dtype_policy()
    yield
    keras.config.set_dtype_policy(before)


def _cnn():
    return [L.Conv2D(4, 3, activation="relu", name="conv1"),
            L.Conv2D(4, 3, activation="relu", name="conv2"), L.Flatten(name="flat"),
            L.Dense(3, name="dense"), L.Activation("softmax", dtype="float32", name="probs")]


def _twins_by_precision(policy):
    """The same CNN computing in float32 and under *policy*, holding the same weights.

    The dense kernel is scaled down so that the float32 input gradients are around 1e-7,
    below float16's smallest normal number (6.1e-5) and near its smallest subnormal one.
    """
    keras.utils.set_random_seed(15)
    full = keras.Sequential([keras.Input((14, 14, 1)), *_cnn()])
    weights = full.get_weights()
    weights[4] = weights[4] * 1e-5
    keras.config.set_dtype_policy(policy)
    try:
        low = keras.Sequential([keras.Input((14, 14, 1)), *_cnn()])
    finally:
        keras.config.set_dtype_policy("float32")
    low.set_weights(weights)
    full.set_weights([np.asarray(w, np.float32) for w in low.get_weights()])  # rounded alike
    return full, low


PRECISION_METHODS = {
    "saliency": lambda m, x: interp.saliency(m, x, target=1),
    "integrated gradients": lambda m, x: interp.integrated_gradients(m, x, target=1,
                                                                     steps=8)[0],
    "grad_cam": lambda m, x: interp.grad_cam(m, x, target=1, layer="conv1"),
    "smoothgrad": lambda m, x: interp.smoothgrad(m, x, target=1, samples=4),
    "guided backprop": lambda m, x: interp.guided_backprop(m, x, target=1),
    "occlusion": lambda m, x: interp.occlusion(m, x, target=1, patch=4, stride=2),
    "deletion": lambda m, x: interp.deletion(m, x, np.arange(4 * 14 * 14).reshape(4, 14, 14),
                                             1, steps=5).scores,
    # issue #20's methods
    "grad_cam_plus_plus": lambda m, x: interp.grad_cam_plus_plus(m, x, target=1, layer="conv1"),
    "layer_cam": lambda m, x: interp.layer_cam(m, x, target=1, layer="conv1"),
    "score_cam": lambda m, x: interp.score_cam(m, x, target=1, layer="conv1"),
    "rise": lambda m, x: interp.rise(m, x, target=1, n_masks=16),
    "kernel_shap": lambda m, x: interp.kernel_shap(m, x, target=1, grid=2),
    "lrp": lambda m, x: interp.lrp(m, x, target=1),
}


@pytest.mark.usefixtures("restore_policy")
@pytest.mark.parametrize("policy", ["mixed_float16", "float16", "mixed_bfloat16", "bfloat16"])
def test_low_precision_models_give_the_float32_maps(policy):
    full, low = _twins_by_precision(policy)
    assert low.layers[0].compute_dtype in ("float16", "bfloat16")
    policies = [layer.dtype_policy.name for layer in low.layers]
    x = _images((14, 14, 1))
    gradient = interp.saliency(full, x, target=1)
    assert 1e-9 < np.abs(gradient).max() < 1e-5  # float16 cannot hold these
    for name, method in PRECISION_METHODS.items():
        expected = method(full, x)
        got = method(low, x)
        assert got.dtype == np.float32, name
        scale = np.abs(expected).max()
        assert scale > 0, name
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5 * scale, err_msg=name)
    # the user's model still computes as it did
    assert [layer.dtype_policy.name for layer in low.layers] == policies
    assert keras.config.dtype_policy().name == "float32"


# ---- 17. compiled functions follow changes to the model (issue #17) ------------------------

def _small(last="softmax", hidden="relu", seed=16):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(3, 3, activation=hidden),
                             L.Flatten(), L.Dense(4, activation=last)])


def test_compiled_functions_follow_a_changed_final_activation():
    model = _small("softmax")
    x = _images((8, 8, 1))
    maps = np.random.default_rng(1).random((4, 8, 8))
    interp.occlusion(model, x, target=2, patch=3, stride=3)
    interp.deletion(model, x, maps, 2, steps=2)
    model.layers[-1].activation = keras.activations.sigmoid
    fresh = _small("sigmoid")  # built with a sigmoid, the same weights
    fresh.set_weights(model.get_weights())
    probabilities = keras.ops.convert_to_numpy(model(x))  # Keras: the sigmoid now
    curve = interp.deletion(model, x, maps, 2, steps=2)
    np.testing.assert_allclose(curve.scores[:, 0], probabilities[:, 2], rtol=1e-5)
    np.testing.assert_allclose(interp.occlusion(model, x, target=2, patch=3, stride=3),
                               interp.occlusion(fresh, x, target=2, patch=3, stride=3),
                               rtol=1e-5, atol=1e-7)


def test_compiled_functions_follow_a_changed_hidden_activation():
    model = _small(None, "relu")
    x = _images((8, 8, 1))
    before = interp.saliency(model, x, target=1)
    np.testing.assert_allclose(before, _input_gradient(model, x, 1)[..., 0], atol=1e-6)
    model.layers[0].activation = keras.activations.tanh
    after = interp.saliency(model, x, target=1)
    expected = _input_gradient(model, x, 1)[..., 0]  # the backend's autodiff, tanh now
    assert not np.allclose(before, expected, atol=1e-4)
    np.testing.assert_allclose(after, expected, atol=1e-6)


def test_an_unchanged_model_keeps_its_compiled_functions():
    from interp._model import model_state

    model = _small()
    x = _images((8, 8, 1))
    interp.saliency(model, x)
    state = model_state(model)
    compiled = dict(state.compiled)
    model.predict(x, verbose=0)  # running it changes nothing a trace depends on
    model.set_weights([w * 2 for w in model.get_weights()])  # nor do new weights
    interp.saliency(model, x)
    assert model_state(model) is state
    assert all(state.compiled[key] is fn for key, fn in compiled.items())
    model.layers[0].strides = (2, 2)  # but a changed setting does
    assert model_state(model) is not state


# ---- 18. layer names TensorFlow refuses as name scopes (issue #17) --------------------------

NAME_METHODS = {
    "saliency": lambda m, x, conv: interp.saliency(m, x, target=1),
    "integrated gradients": lambda m, x, conv: interp.integrated_gradients(m, x, target=1,
                                                                           steps=4)[0],
    "guided backprop": lambda m, x, conv: interp.guided_backprop(m, x, target=1),
    "grad_cam": lambda m, x, conv: interp.grad_cam(m, x, target=1, layer=conv),
    "occlusion": lambda m, x, conv: interp.occlusion(m, x, target=1, patch=3, stride=3),
    "feature maps": lambda m, x, conv: interp.feature_maps(m, x, layers=[conv])[conv],
    "maximize_activation": lambda m, x, conv: interp.maximize_activation(m, conv, 1, steps=3),
}


@pytest.mark.parametrize("name", ["свёртка", "a<b", "two words", "conv:1"])
def test_any_layer_name_keras_accepts(name):
    def build(conv, dense):
        keras.utils.set_random_seed(17)
        return keras.Sequential([keras.Input((8, 8, 1)),
                                 L.Conv2D(3, 3, activation="relu", name=conv), L.Flatten(),
                                 L.Dense(3, activation="softmax", name=dense)])

    plain, odd = build("conv", "dense"), build(name, f"{name}_out")
    odd.set_weights(plain.get_weights())
    x = _images((8, 8, 1))
    for method, call in NAME_METHODS.items():
        np.testing.assert_allclose(call(odd, x, name), call(plain, x, "conv"), rtol=1e-6,
                                   atol=1e-7, err_msg=method)
    check = interp.cascading_randomization(odd, x, target=1)
    assert check.layers == (f"{name}_out", name)
    np.testing.assert_allclose(check.maps, interp.cascading_randomization(plain, x, 1).maps,
                               rtol=1e-6, atol=1e-7)


@pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                    reason="only TensorFlow takes layer names as name scopes")
@pytest.mark.filterwarnings("ignore:`build\\(\\)` was called on layer")
def test_a_name_tensorflow_refuses_inside_a_subclassed_model_is_named():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.conv = L.Conv2D(2, 3, activation="tanh", name="свёртка")
            self.flat = L.Flatten()
            self.out = L.Dense(3)

        def call(self, x):
            return self.out(self.flat(self.conv(x)))

    model = Net()
    model.build((None, 8, 8, 1))
    x = _images((8, 8, 1))
    for call in (interp.saliency, interp.occlusion):
        with pytest.raises(ValueError) as info:
            call(model, x, target=0)
        assert str(info.value).startswith(
            f"{call.__name__}: TensorFlow cannot run the layer named 'свёртка' inside a "
            "compiled function: it takes a layer's name as a name scope and allows only "
            "ASCII letters, digits and the characters _ . - / \\ >")
        assert info.value.__cause__ is None and info.value.__suppress_context__
    dense = L.Dense(2)  # and nothing is left behind: a new layer's variables are its own
    dense.build((None, 3))
    assert dense.kernel.path == f"{dense.name}/kernel"


# ---- 19. the user's random state is left alone (issue #17) --------------------------------

def _random_state():
    import random

    from keras.src.backend.common import global_state

    generator = global_state.get_global_attribute("global_seed_generator")
    seed = None if generator is None else keras.ops.convert_to_numpy(generator.state.value)
    numpy_state = np.random.get_state()  # noqa: NPY002 - the user's legacy state
    return random.getstate(), (numpy_state[0], numpy_state[1].copy(), *numpy_state[2:]), \
        generator, None if seed is None else np.array(seed, copy=True)


def _assert_same_state(before, after):
    assert after[0] == before[0]  # Python's random
    assert after[1][0] == before[1][0] and after[1][2:] == before[1][2:]
    np.testing.assert_array_equal(after[1][1], before[1][1])  # numpy's global generator
    assert after[2] is before[2]  # Keras's global SeedGenerator: the same one ...
    np.testing.assert_array_equal(after[3], before[3])  # ... in the same state


@pytest.mark.usefixtures("restore_policy")
@pytest.mark.parametrize("call", [
    lambda m, x: interp.cascading_randomization(m, x, 1),
    lambda m, x: interp.independent_randomization(m, x, 1),
    lambda m, x: interp.model_randomization(m, x, 1),
    lambda m, x: interp.saliency(m, x, 1),  # makes a bare copy of the softmax layer
    lambda m, x: interp.guided_backprop(m, x, 1),  # and of every ReLU layer
], ids=["cascading", "independent", "model", "saliency", "guided"])
@pytest.mark.parametrize("policy", ["float32", "mixed_float16"])  # and a float32 copy
def test_the_random_state_is_left_as_it_was(call, policy):
    keras.config.set_dtype_policy(policy)
    model = _small(seed=18)
    keras.config.set_dtype_policy("float32")
    x = _images((8, 8, 1))
    keras.utils.set_random_seed(19)
    keras.random.normal((2,))  # the global SeedGenerator exists and has moved
    before = _random_state()
    call(model, x)
    _assert_same_state(before, _random_state())


@pytest.mark.usefixtures("restore_policy")
def test_low_precision_nested_and_subclassed_models():
    x = _images((8, 8, 1))

    def nested():
        inner = keras.Sequential([keras.Input((8, 8, 1)),
                                  L.Conv2D(2, 3, activation="relu", name="c")], name="inner")
        inputs = keras.Input((8, 8, 1))
        return keras.Model(inputs, L.Dense(3, activation="softmax", name="d")(
            L.Flatten()(inner(inputs))))

    class Net(SmallNet):
        def __init__(self, **kwargs):  # takes its config: it can be rebuilt from it
            super().__init__()

    def subclassed():
        model = Net()
        model(x)
        return model

    for build, methods in ((nested, [
            lambda m: interp.saliency(m, x, target=1),
            lambda m: interp.grad_cam(m, x, target=1, layer="inner/c"),
            lambda m: interp.guided_backprop(m, x, target=1),
            lambda m: interp.feature_maps(m, x)["inner/c"]]),
            (subclassed, [lambda m: interp.saliency(m, x, target=1),
                          lambda m: interp.occlusion(m, x, target=1, patch=2, stride=2)])):
        full = build()
        rng = np.random.default_rng(22)  # weights drawn by numpy: the same on every backend
        full.set_weights([rng.normal(size=w.shape) * 0.5 for w in full.get_weights()])
        keras.config.set_dtype_policy("mixed_float16")
        low = build()
        keras.config.set_dtype_policy("float32")
        assert low.compute_dtype == "float16" or low.layers[1].compute_dtype == "float16"
        low.set_weights(full.get_weights())
        for method in methods:
            expected = method(full)
            got = method(low)
            assert np.abs(expected).max() > 0
            np.testing.assert_allclose(got, expected, rtol=1e-5,
                                       atol=1e-6 * np.abs(expected).max())


@pytest.mark.usefixtures("restore_policy")
def test_a_low_precision_model_that_cannot_be_copied_is_refused_clearly():
    x = _images((8, 8, 1))
    keras.config.set_dtype_policy("mixed_float16")
    model = SmallNet()  # its __init__ takes no config: it cannot be rebuilt in float32
    model(x)
    keras.config.set_dtype_policy("float32")
    with pytest.raises(TypeError) as info:
        interp.saliency(model, x, target=0)
    message = str(info.value)
    name = model.name  # small_net, or small_net_1 after another SmallNet
    assert message.startswith(f"saliency: model {name!r} computes in low precision (layers "
                              f"{name!r} (float16), ")
    assert ("whose gradients underflow to zero, so interp takes them on a float32 copy of "
            "it; the copy could not be made: TypeError: ") in message
    assert message.endswith("Build the model under the float32 policy "
                            "(keras.config.set_dtype_policy('float32')) and copy the weights "
                            "into it with set_weights")


# ---- 20. a model interp has seen is freed with the user's last reference -----------------

def test_models_are_freed_after_interp_has_used_them():
    """Compiled functions hold the model; they live on the model, not in a global table,
    so a loop over many models does not keep every one of them alive."""
    import gc
    import weakref

    x = _images((8, 8, 1))
    refs = []
    for seed in range(3):
        model = _small(None, seed=seed)
        interp.saliency(model, x)
        interp.grad_cam(model, x, layer=0)
        interp.occlusion(model, x, patch=3, stride=3)
        interp.feature_maps(model, x)
        interp.receptive_field(model, 0)
        interp.cascading_randomization(model, x, layers=[0])
        refs.append(weakref.ref(model))
        del model
    gc.collect()
    assert [r() for r in refs] == [None, None, None]


def test_a_model_interp_has_used_still_copies_pickles_and_saves(tmp_path):
    import copy
    import pickle

    model = _small(None)
    x = _images((8, 8, 1))
    expected = interp.saliency(model, x, target=1)
    for twin in (copy.deepcopy(model), pickle.loads(pickle.dumps(model)),
                 keras.models.clone_model(model)):
        twin.set_weights(model.get_weights())
        np.testing.assert_allclose(interp.saliency(twin, x, target=1), expected, atol=1e-6)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(interp.saliency(loaded, x, target=1), expected, atol=1e-6)
    assert "_interp_state" not in (tmp_path / "m.keras").read_bytes().decode("latin-1")
