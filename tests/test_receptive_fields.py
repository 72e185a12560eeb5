"""receptive_field and crop_patches against the network itself: the input pixels that can
change one output are found by perturbing them one at a time, and a cropped patch must
reproduce the activation it was cut for.

Written from the mutation audit of issue #9 (dilation, strides, pooling windows and
"same" padding were untested).
"""

import keras
import numpy as np
import pytest

import interp

L = keras.layers


def _seen_by(model, shape, row, col):
    """Input pixels whose change moves output (row, col, 0) of *model*, by perturbation."""
    base = np.zeros((1, *shape), np.float32)
    reference = keras.ops.convert_to_numpy(model(base))[0, row, col, 0]
    seen = np.zeros(shape[:2], bool)
    batch = np.zeros((shape[0] * shape[1], *shape), np.float32)
    for r in range(shape[0]):
        for c in range(shape[1]):
            batch[r * shape[1] + c, r, c, 0] = 1.0
    out = keras.ops.convert_to_numpy(model(batch))[:, row, col, 0].reshape(shape[:2])
    seen = out != reference
    return seen


def _ones(model):
    """Set every conv kernel to ones and bias to zero: no cancellation hides a pixel."""
    for layer in model.layers:
        if isinstance(layer, L.Conv2D):
            kernel, bias = layer.get_weights()
            layer.set_weights([np.ones_like(kernel), np.zeros_like(bias)])
    return model


CASES = {
    "dilation 2": (lambda: [L.Conv2D(1, 3, dilation_rate=2)], (11, 11, 1), ((5, 5), (1, 1), (0, 0))),
    "dilated, non-square": (lambda: [L.Conv2D(1, (2, 3), dilation_rate=(3, 1))], (9, 9, 1),
                            ((4, 3), (1, 1), (0, 0))),
    "stride 2 valid": (lambda: [L.Conv2D(1, 3, strides=2)], (11, 11, 1), ((3, 3), (2, 2), (0, 0))),
    "stride (1, 3) same": (lambda: [L.Conv2D(1, 4, strides=(1, 3), padding="same")], (10, 10, 1),
                           ((4, 4), (1, 3), (-1, -1))),
    "pool then dilated conv": (lambda: [L.Conv2D(1, 2), L.AveragePooling2D(2),
                                        L.Conv2D(1, 2, dilation_rate=2)],
                               (12, 12, 1), ((7, 7), (2, 2), (0, 0))),
    "layers that keep the layout": (lambda: [L.Conv2D(2, 3), L.BatchNormalization(), L.ReLU(),
                                             L.Dropout(0.5), L.Activation("tanh"),
                                             L.Conv2D(1, 3)],
                                    (9, 9, 1), ((5, 5), (1, 1), (0, 0))),
    "depthwise stride 2, separable dilated": (lambda: [L.DepthwiseConv2D(3, strides=2),
                                                       L.SeparableConv2D(1, 2, dilation_rate=2)],
                                              (13, 13, 1), ((7, 7), (2, 2), (0, 0))),
    "pool 3 stride 2, then same": (lambda: [L.MaxPooling2D(3, strides=2),
                                            L.Conv2D(1, 3, padding="same")],
                                   (13, 13, 1), ((7, 7), (2, 2), (-2, -2))),
}


@pytest.mark.parametrize("case", CASES)
def test_receptive_field_is_what_the_network_sees(case):
    layers, shape, expected = CASES[case]
    model = _ones(keras.Sequential([keras.Input(shape), *layers()]))
    field = interp.receptive_field(model, -1)
    assert field == expected
    out_h, out_w = model.output_shape[1:3]
    for row, col in {(0, 0), (1, 1), (out_h - 1, out_w - 1), (out_h // 2, 1)}:
        seen = _seen_by(model, shape, row, col)
        rows, cols = np.nonzero(seen)
        top = field.offset[0] + row * field.stride[0]
        left = field.offset[1] + col * field.stride[1]
        # the field's box, clipped to the image, is exactly the box of the pixels seen
        assert rows.min() == max(top, 0) and rows.max() == min(top + field.size[0], shape[0]) - 1
        assert cols.min() == max(left, 0) and cols.max() == min(left + field.size[1], shape[1]) - 1


@pytest.mark.parametrize(("padding", "strides"), [("same", 2), ("same", (1, 2)), ("valid", 3)])
def test_cropped_patch_reproduces_the_activation(padding, strides):
    keras.utils.set_random_seed(7)
    conv = L.Conv2D(3, (3, 2), strides=strides, padding=padding, activation="relu")
    model = keras.Sequential([keras.Input((9, 10, 2)), conv])
    images = np.random.default_rng(1).random((12, 9, 10, 2)).astype(np.float32)
    images[3, 0, 0] = 4.0  # a bright corner: a top activation whose field leaves the image
    top = interp.top_activating(model, 0, images, k=4)
    field = interp.receptive_field(model, 0)
    patches = interp.crop_patches(images, top, field)
    assert patches.shape == (3, 4, 3, 2, 2)
    kernels, bias = interp.get_kernels(conv)
    for j in range(3):
        for i in range(4):
            value = max(float(np.sum(patches[j, i] * kernels[..., j])) + bias[j], 0.0)
            assert value == pytest.approx(float(top.values[j, i]), abs=1e-5)
    one = interp.crop_patches(images, interp.top_activating(model, 0, images, k=4, kernel=1),
                              field)
    np.testing.assert_array_equal(one, patches[1])


def test_an_iterable_of_no_batches_is_refused_clearly():
    model = keras.Sequential([keras.Input((6, 6, 1)), L.Conv2D(2, 3), L.Flatten(), L.Dense(2)])
    with pytest.raises(ValueError, match="feature_maps: images must not be empty, got an "
                                         "iterable of no batches"):
        interp.feature_maps(model, iter([]))
    with pytest.raises(ValueError, match="saliency: images must not be empty, got an iterable "
                                         "of no batches"):
        interp.saliency(model, iter([]))
    with pytest.raises(ValueError, match=r"top_activating: k must be at most the number of "
                                         r"images \(0\), got 1"):
        interp.top_activating(model, 0, iter([]), k=1)


def test_same_padding_is_read_from_the_spatial_axes_of_a_channels_first_layer():
    """(2, 7, 10) images, a 3 x 3 kernel at stride 2, 'same': TensorFlow pads the 7 rows by
    2 (1 before) and the 10 columns by 1 (0 before)."""
    model = keras.Sequential([keras.Input((2, 7, 10)),
                              L.Conv2D(1, 3, strides=2, padding="same",
                                       data_format="channels_first")])
    assert interp.receptive_field(model, 0) == ((3, 3), (2, 2), (-1, 0))


def test_branches_and_a_flattened_head_are_followed_messages_name_the_layer():
    """Once refused: the join of two branches, and Flatten. Now the join's field is the
    box around both branches' 3 x 3 fields, and the head after Flatten sees the whole
    image; a layer that moves positions is still refused, by name."""
    inputs = keras.Input((8, 8, 1))
    a = L.Conv2D(2, 3, padding="same", name="a")(inputs)
    b = L.Conv2D(2, 3, padding="same", name="b")(inputs)
    joined = L.Add(name="join")([a, b])
    model = keras.Model(inputs, L.Dense(2, name="head")(L.Flatten(name="flat")(
        L.Conv2D(1, 3, name="after")(joined))))
    model = _ones(model)
    assert interp.receptive_field(model, "after") == ((5, 5), (1, 1), (-1, -1))
    for row, col in [(0, 0), (5, 5), (2, 3)]:
        rows, cols = np.nonzero(_seen_by(keras.Model(inputs, model.get_layer("after").output),
                                         (8, 8, 1), row, col))
        assert (rows.min(), rows.max()) == (max(row - 1, 0), min(row + 3, 7))
        assert (cols.min(), cols.max()) == (max(col - 1, 0), min(col + 3, 7))
    assert interp.receptive_field(model, "head") == ((8, 8), (0, 0), (0, 0))
    moved = keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(1, 3), L.UpSampling2D(name="up"),
                              L.Conv2D(1, 3, name="next")])
    with pytest.raises(ValueError, match=r"^receptive_field: cannot follow the receptive field "
                                         r"through UpSampling2D 'up' on the way to 'next': "):
        interp.receptive_field(moved, "next")
    x = np.zeros((3, 8, 8, 1), np.float32)
    with pytest.raises(TypeError, match=r"^top_activating: layer must be a 2-D convolution layer "
                                        r"\(keras.layers.Conv2D or a subclass\), got Flatten "
                                        r"layer 'flat'$"):
        interp.top_activating(model, "flat", x)
