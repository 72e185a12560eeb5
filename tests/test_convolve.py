"""convolve against two independent oracles (Keras Conv2D, scipy.signal.correlate2d) and
every bad input it must refuse."""

import keras
import numpy as np
import pytest
import scipy.signal
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import interp

TOL = 1e-5


@st.composite
def conv_cases(draw, max_size=12):
    n = draw(st.integers(1, 3))
    h, w = draw(st.integers(1, max_size)), draw(st.integers(1, max_size))
    c, k = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    padding = draw(st.sampled_from(["valid", "same"]))
    pair = st.tuples(st.integers(1, 3), st.integers(1, 3))
    strides = draw(st.one_of(st.integers(1, 3), pair))
    dilation = 1
    if max(np.atleast_1d(strides)) == 1:
        dilation = draw(st.one_of(st.integers(1, 3), pair))
    _sh, _sw = (strides, strides) if isinstance(strides, int) else strides
    dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
    if padding == "valid":
        assume((kh - 1) * dh + 1 <= h and (kw - 1) * dw + 1 <= w)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    image = rng.uniform(-1, 1, (n, h, w, c)).astype(np.float32)
    kernels = rng.uniform(-1, 1, (kh, kw, c, k)).astype(np.float32)
    return image, kernels, dict(padding=padding, strides=strides, dilation=dilation)


def keras_conv(image, kernels, padding, strides, dilation):
    layer = keras.layers.Conv2D(
        kernels.shape[3], kernels.shape[:2], strides=strides, padding=padding,
        dilation_rate=dilation, use_bias=False, activation=None,
    )
    layer.build(image.shape)
    layer.set_weights([kernels])
    return keras.ops.convert_to_numpy(layer(image))


def scipy_conv(image, kernels, padding, strides, dilation):
    """Reference built from correlate2d: zero-inserted kernels for dilation, TensorFlow's
    padding rule written out, subsampling for strides."""
    sh, sw = (strides, strides) if isinstance(strides, int) else strides
    dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
    n, h, w, c = image.shape
    kh, kw, _, k = kernels.shape
    dilated = np.zeros(((kh - 1) * dh + 1, (kw - 1) * dw + 1, c, k))
    dilated[::dh, ::dw] = kernels
    if padding == "same":
        pads = []
        for size, ksize, s in ((h, dilated.shape[0], sh), (w, dilated.shape[1], sw)):
            out = -(-size // s)
            total = max((out - 1) * s + ksize - size, 0)
            pads.append((total // 2, total - total // 2))
        image = np.pad(image, ((0, 0), pads[0], pads[1], (0, 0)))
    result = []
    for i in range(n):
        maps = []
        for j in range(k):
            full = sum(
                scipy.signal.correlate2d(image[i, :, :, ch].astype(float),
                                         dilated[:, :, ch, j], mode="valid")
                for ch in range(c)
            )
            maps.append(full[::sh, ::sw])
        result.append(np.stack(maps, axis=-1))
    return np.stack(result)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(conv_cases())
def test_equals_keras_conv2d(case):
    image, kernels, options = case
    expected = keras_conv(image, kernels, **options)
    got = interp.convolve(image, kernels, **options)
    assert got.shape == expected.shape
    if not (np.abs(got - expected) <= TOL).all():
        # TensorFlow's oneDNN kernels get some degenerate shapes wrong (seen: width 1,
        # a 1x2 kernel, strides (1, 2), 'same': Keras returns 0 where the sum is not; and
        # width 1, strides (1, 2), 'valid': NaN in the last row). The loop over scipy's
        # correlate2d decides; with TF_ENABLE_ONEDNN_OPTS=0 Keras agrees with it.
        reference = scipy_conv(image, kernels, **options)
        assert not (np.abs(expected - reference) <= TOL).all(), \
            "interp differs from Keras and scipy"
        expected = reference
    assert (np.abs(got - expected) <= TOL).all()


def test_a_case_where_tensorflow_onednn_is_wrong():
    """Found by hypothesis: the true response, which interp gives, is not 0 here."""
    image = np.array([0.27, -0.46, -0.92, -0.97], np.float32).reshape(2, 2, 1, 1)
    kernels = np.array([0.63, 0.83], np.float32).reshape(1, 2, 1, 1)
    got = interp.convolve(image, kernels, padding="same", strides=(1, 2))
    # 'same' with width 1 and stride 2 pads one zero on the right: out = 0.63 * x
    np.testing.assert_allclose(got[..., 0, 0], 0.63 * image[..., 0, 0], rtol=1e-6)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(conv_cases())
def test_equals_scipy_correlate2d(case):
    image, kernels, options = case
    expected = scipy_conv(image, kernels, **options)
    got = interp.convolve(image, kernels, **options)
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() <= TOL


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(conv_cases(), st.integers(1, 400))
def test_row_bands_equal_scipy(case, chunk_bytes):
    """A tiny chunk budget forces bands of output rows, padding included."""
    import interp.convolution as conv

    image, kernels, options = case
    expected = scipy_conv(image, kernels, **options)
    saved = conv.CHUNK_BYTES
    conv.CHUNK_BYTES = chunk_bytes
    try:
        got = interp.convolve(image, kernels, **options)
    finally:
        conv.CHUNK_BYTES = saved
    assert np.abs(got - expected).max() <= TOL


def test_shape_conventions():
    rng = np.random.default_rng(0)
    img2, img3, img4 = rng.random((9, 8)), rng.random((9, 8, 2)), rng.random((4, 9, 8, 2))
    assert interp.convolve(img2, rng.random((3, 2))).shape == (7, 7)
    assert interp.convolve(img3, rng.random((3, 2, 2))).shape == (7, 7)
    assert interp.convolve(img4, rng.random((3, 2, 2, 5))).shape == (4, 7, 7, 5)
    assert interp.convolve(img3, rng.random((3, 2, 2, 5))).shape == (7, 7, 5)
    assert interp.convolve(img4, rng.random((3, 2, 2))).shape == (4, 7, 7)
    # a 2-D kernel on a single-channel image, the common case of interp.kernel()'s output
    one_channel = img2[..., np.newaxis]
    np.testing.assert_array_equal(
        interp.convolve(one_channel, np.ones((3, 3))), interp.convolve(img2, np.ones((3, 3)))
    )


def test_known_values_and_no_flip():
    image = np.arange(16.0).reshape(4, 4)
    kern = np.zeros((3, 3))
    kern[0, 0] = 1.0  # cross-correlation picks the top-left neighbour; convolution would not
    np.testing.assert_array_equal(interp.convolve(image, kern), image[:2, :2])


def test_same_padding_puts_the_extra_pixel_bottom_right():
    image = np.ones((4, 4))
    kern = np.ones((2, 2))  # total padding 1 per axis: 0 before, 1 after
    out = interp.convolve(image, kern, padding="same")
    assert out.shape == (4, 4)
    assert out[0, 0] == 4.0 and out[-1, -1] == 1.0


def test_integer_images_become_float32():
    image = np.full((5, 5), 255, dtype=np.uint8)
    out = interp.convolve(image, np.ones((3, 3), dtype=np.float32))
    assert out.dtype == np.float32
    assert np.all(out == 9 * 255.0)  # no uint8 overflow, no rescaling


def test_float64_is_kept():
    assert interp.convolve(np.ones((4, 4)), np.ones((2, 2))).dtype == np.float64


def test_large_batch_is_chunked_and_exact(monkeypatch):
    import interp.convolution as conv

    rng = np.random.default_rng(3)
    images = rng.random((50, 10, 10, 2)).astype(np.float32)
    kernels = rng.standard_normal((3, 3, 2, 4)).astype(np.float32)
    whole = interp.convolve(images, kernels)
    monkeypatch.setattr(conv, "CHUNK_BYTES", 1)  # one image per chunk, on worker threads
    np.testing.assert_array_equal(interp.convolve(images, kernels), whole)


def test_memory_beyond_output_is_bounded():
    import tracemalloc

    images = np.zeros((4000, 28, 28, 1), np.float32)
    kernels = np.ones((3, 3, 1, 8), np.float32)
    tracemalloc.start()
    out = interp.convolve(images, kernels)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    extra = peak - out.nbytes
    assert extra < 64 * 2**20, f"{extra / 2**20:.0f} MiB of temporaries beyond the output"


def test_one_large_image_is_cut_into_row_bands():
    """1000 x 1000 with a 9 x 9 kernel: the whole patch matrix would be 309 MiB."""
    import tracemalloc

    rng = np.random.default_rng(0)
    image = rng.random((1000, 1000)).astype(np.float32)
    kernel = rng.standard_normal((9, 9)).astype(np.float32)
    tracemalloc.start()
    out = interp.convolve(image, kernel, padding="same")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    extra = peak - out.nbytes
    assert extra < 48 * 2**20, f"{extra / 2**20:.0f} MiB of temporaries beyond the output"
    rows = slice(495, 505)  # bands of 25 rows here: this strip spans the boundary at 500
    expected = scipy.signal.correlate2d(image, kernel, mode="same")[rows]
    np.testing.assert_allclose(out[rows], expected, atol=1e-4)


# ---- bad input: each raises a clear error naming the argument ------------------------

@pytest.mark.parametrize(
    ("image", "kern", "options", "error", "words"),
    [
        (np.ones(5), np.ones((3, 3)), {}, ValueError, "image must be 2-D"),
        (np.ones((1, 2, 5, 5, 1)), np.ones((3, 3)), {}, ValueError, "image must be 2-D"),
        (np.ones((5, 5)), np.ones(3), {}, ValueError, "kernel must be 2-D"),
        (np.ones((5, 5, 2)), np.ones((3, 3, 3)), {}, ValueError, "2 channels but kernel expects 3"),
        (np.ones((4, 5, 5)), np.ones((3, 3)), {}, ValueError, "images[..., np.newaxis]"),
        (np.ones((2, 2)), np.ones((3, 3)), {}, ValueError, "kernel must fit in the image"),
        (np.ones((5, 9)), np.ones((3, 3)), {"dilation": (3, 1)}, ValueError,
         "its height spans 7 pixels (size 3, dilation 3) and the image's height is 5"),
        (np.ones((9, 5)), np.ones((3, 3)), {"dilation": (1, 3)}, ValueError,
         "its width spans 7 pixels (size 3, dilation 3) and the image's width is 5"),
        (np.ones((5, 5)), np.ones((3, 3)), {"padding": "full"}, ValueError,
         "padding must be 'valid' or 'same', got 'full'"),
        (np.ones((5, 5)), np.ones((3, 3)), {"strides": 0}, ValueError, "strides must be an int >= 1"),
        (np.ones((5, 5)), np.ones((3, 3)), {"strides": 1.5}, TypeError, "strides must be an int"),
        (np.ones((5, 5)), np.ones((3, 3)), {"dilation": -1}, ValueError, "dilation must be an int >= 1"),
        (np.ones((5, 5)), np.ones((3, 3)), {"dilation": (1, 2, 3)}, ValueError, "pair of ints"),
        (np.ones((5, 5)), np.ones((3, 3)), {"strides": True}, TypeError, "strides must be an int"),
        (np.ones((9, 9)), np.ones((3, 3)), {"strides": 2, "dilation": 2}, ValueError,
         "not supported by Keras"),
        (np.full((5, 5), np.nan), np.ones((3, 3)), {}, ValueError, "image must be finite"),
        (np.ones((5, 5)), np.full((3, 3), np.inf), {}, ValueError, "kernel must be finite"),
        (np.ones((0, 5)), np.ones((3, 3)), {}, ValueError, "image must not be empty"),
        (np.ones((5, 5)), np.ones((0, 3)), {}, ValueError, "kernel must not be empty"),
        (np.array([["a"]]), np.ones((3, 3)), {}, TypeError, "image must hold real numbers"),
        (np.ones((5, 5)) * 1j, np.ones((3, 3)), {}, TypeError, "image must hold real numbers"),
    ],
)
def test_bad_input(image, kern, options, error, words):
    with pytest.raises(error) as info:
        interp.convolve(image, kern, **options)
    message = str(info.value)
    assert message.startswith("convolve: ")
    assert words in message


# ---- layer_response: the network's own computation -----------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("which", ["conv1", "conv2"])
def test_layer_response_equals_keras_submodel(trained, test_set, which):
    x_test, _ = test_set
    images = x_test[:256]
    layer = interp.pick_layer(trained, which)
    expected = keras.Model(trained.inputs, layer.output).predict(images, verbose=0)
    inputs = images
    if which == "conv2":  # the layer's own input: the first layer's output, from Keras
        inputs = keras.Model(trained.inputs, trained.layers[0].output).predict(images, verbose=0)
    got = interp.layer_response(layer, inputs)
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() <= TOL
    assert expected.max() > 0.1  # the comparison is not between two blank maps


def test_layer_response_on_every_model_kind(any_model):
    layer = interp.conv_layers(any_model)[1]  # 'same' padding, (2, 3) kernel, tanh
    images = np.random.default_rng(0).random((5, 12, 12, 1)).astype(np.float32)
    first = interp.conv_layers(any_model)[0]
    hidden = interp.layer_response(first, images)
    expected = keras.ops.convert_to_numpy(layer(keras.ops.convert_to_tensor(hidden)))
    np.testing.assert_allclose(interp.layer_response(layer, hidden), expected, atol=TOL)


def test_layer_response_bad_input(model_kinds):
    model = model_kinds["sequential-input"]
    with pytest.raises(TypeError, match="layer_response: layer must be a convolution layer"):
        interp.layer_response(model.layers[-1], np.ones((1, 12, 12, 1)))
    with pytest.raises(ValueError, match=r"layer_response: images must have 1 channels"):
        interp.layer_response(model.layers[0], np.ones((1, 12, 12, 3)))
    with pytest.raises(ValueError, match=r"layer_response: images must be \(n, h, w, c\)"):
        interp.layer_response(model.layers[0], np.ones((12, 12)))
    first = keras.layers.Conv2D(2, 3, data_format="channels_first")
    first.build((None, 1, 6, 6))
    grouped = keras.layers.Conv2D(2, 3, groups=2)
    grouped.build((None, 6, 6, 2))
    for layer, found in ((first, "data_format='channels_first', groups=1"),
                         (grouped, "data_format='channels_last', groups=2")):
        with pytest.raises(ValueError, match="layer_response: only channels_last layers with "
                                             f"groups=1 are supported, got {found}"):
            interp.layer_response(layer, np.ones((1, 6, 6, 2)))


def test_many_images_run_in_workers_and_blas_threads_are_given_back():
    # enough images for several worker tasks, which run with one BLAS thread each
    from threadpoolctl import threadpool_info

    from interp import convolution

    rng = np.random.default_rng(0)
    images = rng.random((2 * convolution.CHUNK_BYTES // (26 * 26 * 9 * 4) + 3, 28, 28, 1),
                        dtype=np.float32)
    kernels = rng.normal(size=(3, 3, 1, 4)).astype(np.float32)
    before = [(lib["internal_api"], lib["num_threads"]) for lib in threadpool_info()]
    got = interp.convolve(images, kernels)
    assert [(lib["internal_api"], lib["num_threads"]) for lib in threadpool_info()] == before
    expected = np.zeros_like(got)
    for i in range(3):
        for j in range(3):
            expected += images[:, i:i + 26, j:j + 26, :] * kernels[i, j, 0]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
