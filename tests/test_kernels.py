"""get_kernels and kernel: the weights, their axes, and slicing one kernel."""

import keras
import numpy as np
import pytest

import interp


def test_get_kernels_returns_the_weights_that_were_set():
    # weights set by hand (each entry distinct), not read back with get_weights()
    layer = keras.layers.Conv2D(3, (2, 3))
    layer.build((None, 8, 8, 2))
    kernels = np.arange(2 * 3 * 2 * 3, dtype=np.float32).reshape(2, 3, 2, 3)
    bias = np.array([-1.0, 0.5, 2.0], np.float32)
    layer.set_weights([kernels, bias])
    got_kernels, got_bias = interp.get_kernels(layer)
    np.testing.assert_array_equal(got_kernels, kernels)
    np.testing.assert_array_equal(got_bias, bias)
    assert got_kernels[1, 2, 0, 1] == 1 * 18 + 2 * 6 + 0 * 3 + 1  # axes (kh, kw, in, out)


def test_get_kernels_on_every_model_kind(any_model):
    layer = interp.conv_layers(any_model)[1]
    kernels, bias = interp.get_kernels(layer)
    assert kernels.shape == (2, 3, 2, 3) and bias.shape == (3,)


def test_course_shapes():
    kernels, bias = interp.get_kernels(interp.build_model().layers[0])
    assert kernels.shape == (3, 3, 1, 5) and bias.shape == (5,)


def test_no_bias_gives_zeros():
    layer = keras.layers.Conv2D(4, 3, use_bias=False)
    layer.build((None, 8, 8, 2))
    kernels, bias = interp.get_kernels(layer)
    assert kernels.shape == (3, 3, 2, 4)
    np.testing.assert_array_equal(bias, np.zeros(4))
    assert bias.dtype == kernels.dtype == np.float32  # no float64 zeros beside float32 weights


@pytest.mark.parametrize("layer", [keras.layers.Dense(3), keras.layers.Flatten(),
                                   keras.layers.DepthwiseConv2D(3)])
def test_non_conv_layers_refused(layer):
    with pytest.raises(TypeError) as info:
        interp.get_kernels(layer)
    assert "keras.layers.Conv2D" in str(info.value)
    assert type(layer).__name__ in str(info.value)


def test_unbuilt_layer_refused():
    with pytest.raises(ValueError, match="has no weights yet"):
        interp.get_kernels(keras.layers.Conv2D(2, 3))


def test_kernel_slices():
    kernels = np.arange(3 * 3 * 2 * 4, dtype=float).reshape(3, 3, 2, 4)
    np.testing.assert_array_equal(interp.kernel(kernels, 1), kernels[:, :, :, 1])
    np.testing.assert_array_equal(interp.kernel(kernels, -1, channel=1), kernels[:, :, 1, 3])
    single = kernels[:, :, :1, :]
    assert interp.kernel(single, 2).shape == (3, 3)
    out = interp.kernel(kernels, 0)
    out[:] = -1
    assert kernels.min() == 0  # a copy


def test_kernel_from_layer_collapses_single_channel():
    layer = interp.build_model().layers[0]
    kernels, _ = interp.get_kernels(layer)
    np.testing.assert_array_equal(interp.kernel(layer, 4), kernels[:, :, 0, 4])


def test_kernel_bounds():
    kernels = np.zeros((3, 3, 2, 4))
    with pytest.raises(IndexError, match=r"kernel: index=4 is out of range for 4 kernels; allowed -4..3"):
        interp.kernel(kernels, 4)
    with pytest.raises(IndexError, match=r"channel=2 is out of range for 2 input channels; allowed -2..1"):
        interp.kernel(kernels, 0, channel=2)
    with pytest.raises(TypeError, match="index must be an int"):
        interp.kernel(kernels, 1.0)
    with pytest.raises(ValueError, match="kernel: source must be a Conv2D layer or a kernels array"):
        interp.kernel(np.zeros((3, 3)), 0)
    with pytest.raises(TypeError, match="kernel: layer must be a convolution layer"):
        interp.kernel(keras.layers.Dense(2), 0)
