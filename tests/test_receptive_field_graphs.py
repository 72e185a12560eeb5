"""receptive_field through branches, padding and element-wise layers, against the network.

The oracle is a brute force: in a copy of the model whose kernels are all positive and whose
activations are linear (maxima averaged, sigmoids kept: their slope is never 0), an output
depends on an input pixel exactly when the derivative is nonzero, because no path can
cancel another. The bounding box of the nonzero derivative of one output position (its
channels summed with positive weights), taken by the backend's own automatic
differentiation, must equal the field's box at that position, cut to the image; several
positions are checked, corners included.

Written for issue #17 (item 6): the field stopped at the first Add, so on a ResNet every
layer after the stem showed whole images.
"""

import time

import keras
import numpy as np
import pytest
from conftest import input_gradient

import interp

L = keras.layers
_NONLINEAR = (L.ReLU, L.Activation, L.LeakyReLU, L.ELU, L.PReLU)


def _linear(layer):
    """clone_function: the same layer, linear; a maximum or minimum (pooled or merged)
    becomes an average, whose derivative reaches every input it sees."""
    config = layer.get_config()
    if isinstance(layer, (L.Maximum, L.Minimum)):
        return L.Average(name=layer.name)
    if isinstance(layer, L.MaxPooling2D):
        return L.AveragePooling2D.from_config(config)
    if isinstance(layer, L.GlobalMaxPooling2D):
        return L.GlobalAveragePooling2D.from_config(config)
    if isinstance(layer, _NONLINEAR) and config.get("activation") != "sigmoid":
        return L.Activation("linear", name=layer.name)
    if config.get("activation") not in (None, "sigmoid"):
        config["activation"] = "linear"
    return type(layer).from_config(config)


def _layers(model):
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from _layers(layer)


def _positive_copy(model, seed=0):
    """A linear copy whose kernels average with positive weights (biases 0, batch norm 1)."""
    rng = np.random.default_rng(seed)
    copy = keras.models.clone_model(model, clone_function=_linear, recursive=True)
    for layer in _layers(copy):
        if isinstance(layer, keras.Model):
            continue  # its layers come next
        for variable in layer.weights:
            shape = tuple(variable.shape)
            if variable.name in ("kernel", "depthwise_kernel", "pointwise_kernel"):
                depthwise = (isinstance(layer, L.DepthwiseConv2D)
                             or variable.name == "depthwise_kernel")
                fan = int(np.prod(shape[:2] if depthwise else shape[:-1]))
                variable.assign(rng.uniform(0.5, 1.5, shape).astype("float32") / fan)
            elif variable.name in ("bias", "beta", "moving_mean", "mean"):
                variable.assign(np.zeros(shape, "float32"))
            elif variable.name in ("gamma", "moving_variance", "variance"):
                variable.assign(np.ones(shape, "float32"))
    return copy


def _positions(shape):
    """Corners, the middle and a near-corner of an output map (row, col); (0, 0) if flat."""
    if len(shape) != 3:
        return [(0, 0)]
    h, w = shape[:2]
    return sorted({(0, 0), (h - 1, w - 1), (0, w - 1), (h - 1, 0), (h // 2, w // 2),
                   (min(1, h - 1), min(2, w - 1))})


def _seen_boxes(outputs, image_shape, requests, seed=1):
    """(first row, last row, first col, last col) of the input pixels that the outputs at
    (row, col) depend on (all channels: a field is a position's, and after a Concatenate
    each channel sees one branch), by differentiation.

    *outputs* maps images to a list of tensors; *requests* holds ``(shape, positions)``
    for each of them. Every (output, position) gets its own image of the batch, so one
    differentiation answers them all. Returns one list of boxes per request (None where
    nothing is seen).
    """
    rng = np.random.default_rng(seed)
    count = sum(len(positions) for _, positions in requests)
    x = rng.uniform(0.5, 1.5, (count, *image_shape))
    masks, owner = [], 0
    for shape, positions in requests:
        mask = np.zeros((count, *shape), "float32")
        for row, col in positions:  # unequal weights: a LayerNormalization's channels sum to 0
            where = (owner, row, col) if len(shape) == 3 else (owner,)
            mask[where] = rng.uniform(0.5, 1.5, mask[where].shape)
            owner += 1
        masks.append(mask)

    def total(t):
        return sum(keras.ops.sum(keras.ops.multiply(out, mask))
                   for out, mask in zip(outputs(t), masks, strict=True))

    seen = iter(np.abs(input_gradient(total, x)).sum(axis=-1))
    boxes = []
    for _, positions in requests:
        found = []
        for _ in positions:
            rows, cols = np.nonzero(next(seen))
            found.append((rows.min(), rows.max(), cols.min(), cols.max()) if rows.size else None)
        boxes.append(found)
    return boxes


def _outputs(copy, names):
    """The outputs of the named layers of *copy*, as a function of its input, and shapes."""
    multi = keras.Model(copy.inputs, [copy.get_layer(name).output for name in names])
    return (lambda t: keras.tree.flatten(multi(t)),
            [tuple(out.shape[1:]) for out in multi.outputs])


def _field_box(field, position, image):
    """The field's box at *position*, cut to the image: (first row, last row, ...), or
    None if it lies wholly in the padding."""
    box = []
    for axis in (0, 1):
        start = field.offset[axis] + position[axis] * field.stride[axis]
        box += [max(start, 0), min(start + field.size[axis], image[axis]) - 1]
    return tuple(box) if box[0] <= box[1] and box[2] <= box[3] else None


def _check(model, names, outputs_for=_outputs, positions=None):
    """Every named layer's field against the brute force, at several positions."""
    image = tuple(model.input_shape[1:])
    outputs, shapes = outputs_for(_positive_copy(model), names)
    requests = [(shape, _positions(shape) if positions is None else positions)
                for shape in shapes]
    found = _seen_boxes(outputs, image, requests)
    for name, (_, where), seen in zip(names, requests, found, strict=True):
        field = interp.receptive_field(model, name)
        expected = [_field_box(field, p, image) for p in where]
        assert seen == expected, (name, field, where, seen)


# ---- graphs with branches ---------------------------------------------------------------

def _residual():
    inputs = keras.Input((23, 21, 2))
    x = L.ZeroPadding2D(((1, 2), (0, 1)), name="pad")(inputs)  # 26 x 22
    x = L.Conv2D(4, 5, strides=2, name="stem")(x)  # 11 x 9
    x = L.BatchNormalization(name="bn")(x)
    x = L.ReLU(name="relu")(x)
    x = L.MaxPooling2D(3, strides=1, padding="same", name="pool")(x)
    y = L.Conv2D(4, 1, name="a1")(x)  # identity block
    y = L.Conv2D(4, 3, padding="same", name="a2")(y)
    x = L.Add(name="add1")([x, y])
    x = L.Activation("relu", name="act1")(x)
    y = L.Conv2D(6, 3, strides=2, padding="same", name="b1")(x)  # projection block: 6 x 5
    y = L.Conv2D(6, 3, padding="same", dilation_rate=2, name="b2")(y)
    shortcut = L.Conv2D(6, 1, strides=2, padding="same", name="short")(x)
    x = L.Add(name="add2")([shortcut, y])
    x = L.Dropout(0.3, name="drop")(x)
    z = L.DepthwiseConv2D(3, padding="same", name="dw")(x)
    x = L.LayerNormalization(name="norm")(keras.ops.add(x, z) * 2.0)
    x = L.Subtract(name="sub")([x, L.SeparableConv2D(6, 2, padding="same", name="sep")(x)])
    x = L.Conv2D(6, 3, name="last")(x)  # 4 x 3
    pooled = L.GlobalAveragePooling2D(name="gap")(x)
    return keras.Model(inputs, L.Dense(3, name="head")(pooled))


def _concatenating():
    inputs = keras.Input((17, 19, 3))
    x = L.Conv2D(4, 3, strides=2, name="stem")(inputs)  # 8 x 9
    a = L.Conv2D(2, 1, name="one")(x)
    b = L.Conv2D(2, 3, padding="same", name="three")(x)
    c = L.Conv2D(2, 5, padding="same", name="five")(x)
    d = L.AveragePooling2D(3, strides=1, padding="same", name="avg")(x)
    e = L.Conv2D(2, (1, 7), padding="same", name="wide")(x)  # factorized, Inception-style
    e = L.Conv2D(2, (3, 1), padding="same", name="tall")(e)
    joined = L.Concatenate(name="cat")([a, b, c, d, e])
    both = keras.ops.concatenate([joined, x], axis=-1)
    out = L.Conv2D(3, 3, strides=2, padding="same", name="after")(both)  # 4 x 5
    gated = L.Multiply(name="mul")([out, L.Conv2D(3, 1, activation="sigmoid", name="gate")(out)])
    mean = L.Average(name="mean")([gated, L.Maximum(name="max")([out, gated])])
    flat = L.Flatten(name="flat")(mean)
    return keras.Model(inputs, L.Dense(2, name="head")(flat))


def _realigned():
    """Branches realigned by padding and cropping inside the network: a 'valid' 5 x 5
    convolution padded back to size, a branch shifted by two positions, and a dilated
    convolution whose taps step over the first row and column."""
    inputs = keras.Input((17, 19, 3))
    x = L.Conv2D(4, 3, strides=2, name="stem")(inputs)  # 8 x 9
    a = L.Conv2D(2, 1, name="one")(x)
    c = L.ZeroPadding2D(2, name="pad5")(L.Conv2D(2, 5, name="five")(x))
    e = L.Cropping2D(((2, 0), (0, 2)), name="crop")(  # two rows lower, two columns left
        L.ZeroPadding2D(((0, 2), (2, 0)), name="shift")(x))
    d = L.Conv2D(2, 3, padding="same", dilation_rate=2, name="dilated")(x)
    joined = L.Concatenate(name="cat")([a, c, e, d])
    return keras.Model(inputs, L.Conv2D(3, 3, padding="same", name="after")(joined))


def test_a_residual_graph_against_gradients():
    model = _residual()
    names = ["pad", "stem", "bn", "pool", "a2", "add1", "act1", "b2", "short", "add2", "dw",
             "norm", "sub", "last", "gap", "head"]
    _check(model, names)
    # the sum sees the bounding box of its branches: by hand, the shortcut is the pool's
    # field (9 pixels at jump 2) and the 3 x 3 branch widens it by one position each side
    assert interp.receptive_field(model, "pool") == ((9, 9), (2, 2), (-3, -2))
    assert interp.receptive_field(model, "add1") == ((13, 13), (2, 2), (-5, -4))
    assert interp.receptive_field(model, "head") == ((23, 21), (0, 0), (0, 0))


def test_a_concatenating_graph_against_gradients():
    model = _concatenating()
    _check(model, ["stem", "five", "tall", "cat", "after", "mul", "mean", "flat", "head"])
    # by hand: the stem sees 3 pixels at jump 2; the 5 x 5 branch reaches 2 positions each
    # way (11 pixels from -4), the 1 x 7 then 3 x 1 branch 3 columns and 1 row each way
    assert interp.receptive_field(model, "tall") == ((7, 15), (2, 2), (-2, -6))
    assert interp.receptive_field(model, "cat") == ((11, 15), (2, 2), (-4, -6))
    assert interp.receptive_field(model, "head") == ((17, 19), (0, 0), (0, 0))


def _inside(seen, box):
    return seen is None or (box is not None and box[0] <= seen[0] and seen[1] <= box[1]
                            and box[2] <= seen[2] and seen[3] <= box[3])


def test_branches_realigned_inside_the_network_exact_inside_and_a_bound_at_the_border():
    """Padding counts its zeros as more positions of the map: where a branch's position
    is one of the zeros that ZeroPadding2D added inside the network, or a dilated window
    steps over the map's first row, the box can hold pixels the position does not see.
    It never misses one."""
    model = _realigned()
    assert interp.receptive_field(model, "pad5") == ((11, 11), (2, 2), (-4, -4))
    assert interp.receptive_field(model, "crop") == ((3, 3), (2, 2), (4, -4))
    assert interp.receptive_field(model, "after") == ((15, 15), (2, 2), (-6, -6))
    # exact where every branch's position (and every position of the 3 x 3 window) is real
    _check(model, ["cat"], positions=[(2, 2), (5, 6), (3, 4)])
    _check(model, ["after"], positions=[(3, 3), (3, 5), (4, 4), (4, 5)])
    names = ["pad5", "crop", "dilated", "cat", "after"]
    outputs, shapes = _outputs(_positive_copy(model), names)
    requests = [(shape, [(r, c) for r in range(shape[0]) for c in range(shape[1])])
                for shape in shapes]
    found = _seen_boxes(outputs, (17, 19, 3), requests)
    for name, (_, positions), seen in zip(names, requests, found, strict=True):
        field = interp.receptive_field(model, name)
        for position, box in zip(positions, seen, strict=True):
            assert _inside(box, _field_box(field, position, (17, 19))), (name, position)
    # the corner of pad5 is one of its zeros: it sees nothing, its box 7 x 7 pixels
    assert found[0][0] is None
    assert _field_box(interp.receptive_field(model, "pad5"), (0, 0), (17, 19)) == (0, 6, 0, 6)


def test_a_squeeze_and_excitation_gate_makes_every_position_see_the_whole_image():
    inputs = keras.Input((12, 10, 2))
    x = L.Conv2D(4, 3, name="conv")(inputs)  # 10 x 8, sees 3 x 3
    gate = L.GlobalAveragePooling2D(keepdims=True, name="squeeze")(x)
    gate = L.Conv2D(4, 1, activation="sigmoid", name="excite")(gate)
    gated = L.Multiply(name="scale")([x, gate])
    model = keras.Model(inputs, L.Conv2D(2, 3, name="after")(gated))
    _check(model, ["conv", "squeeze", "excite", "scale", "after"])
    assert interp.receptive_field(model, "scale") == ((12, 10), (0, 0), (0, 0))


def test_a_broadcast_map_joins_a_moving_field_it_contains():
    """A 1 x 1 map (rows and columns 0-4) multiplies a 5 x 5 crop whose positions all lie
    inside it: every product sees rows and columns 0-4."""
    inputs = keras.Input((9, 9, 1))
    crop = L.Cropping2D(((0, 4), (0, 4)), name="crop")(inputs)
    single = L.Conv2D(1, 5, name="single")(crop)  # 1 x 1
    model = keras.Model(inputs, L.Multiply(name="product")([crop, single]))
    _check(model, ["single", "product"])
    assert interp.receptive_field(model, "product") == ((5, 5), (0, 0), (0, 0))


def test_keras_ops_in_a_functional_graph_against_gradients():
    """keras.ops.pad with zeros moves the field; a mean over the rows and columns gates
    every position with the whole image; a softmax over the channels keeps the field."""
    inputs = keras.Input((10, 11, 2))
    x = L.Conv2D(2, 3, name="c1")(inputs)
    padded = keras.ops.pad(x, ((0, 0), (2, 1), (1, 0), (0, 0)))
    x = L.Conv2D(2, 3, name="c2")(padded)
    soft = L.Conv2D(2, 1, activation="softmax", name="soft")(x)
    gate = keras.ops.mean(x, axis=(1, 2), keepdims=True)
    model = keras.Model(inputs, L.Conv2D(2, 1, name="c3")(keras.ops.multiply(soft, gate)))
    _check(model, ["c2", "c3"])
    # by hand: c1 sees 3 x 3; 2 rows and 1 column of zeros above and left; c2 adds 2
    assert interp.receptive_field(model, "c2") == ((5, 5), (1, 1), (-2, -1))
    assert interp.receptive_field(model, "soft") == ((5, 5), (1, 1), (-2, -1))
    assert interp.receptive_field(model, "c3") == ((10, 11), (0, 0), (0, 0))


def test_reshapes_dense_layers_and_several_outputs():
    # (28, 28) images given a channel by Reshape, flattened by another Reshape
    bare = keras.Sequential([keras.Input((28, 28)), L.Reshape((28, 28, 1), name="channel"),
                             L.Conv2D(2, 3, name="conv"), L.Reshape((-1,), name="flat"),
                             L.Dense(3, name="head")])
    assert interp.receptive_field(bare, "conv") == ((3, 3), (1, 1), (0, 0))
    assert interp.receptive_field(bare, "head") == ((28, 28), (0, 0), (0, 0))
    # a Dense layer on a channels_first map mixes its last axis: the columns
    inputs = keras.Input((2, 10, 12))
    x = L.Conv2D(2, 3, data_format="channels_first", name="conv")(inputs)
    model = keras.Model(inputs, [L.Dense(4, name="dense")(x),
                                 L.Conv2D(1, 1, data_format="channels_first", name="one")(x)])
    assert interp.receptive_field(model, "dense") == ((3, 12), (1, 0), (0, 0))
    assert interp.receptive_field(model, "one") == ((3, 3), (1, 1), (0, 0))  # 2 outputs
    moved = keras.Model(inputs, L.Reshape((2, 10, 8), name="swap")(x))
    with pytest.raises(ValueError, match=r"^receptive_field: cannot follow the receptive field "
                                         r"through Reshape 'swap' on the way to 'swap': it "
                                         r"moves positions to other places"):
        interp.receptive_field(moved, "swap")


def test_input_layers():
    inner = keras.Sequential([keras.Input((6, 6, 2)), L.Conv2D(2, 3, name="conv")], name="inner")
    inputs = keras.Input((8, 8, 2), name="image")
    model = keras.Model(inputs, inner(L.Conv2D(2, 3, name="first")(inputs)))
    assert interp.receptive_field(model, "image") == ((1, 1), (1, 1), (0, 0))
    assert interp.receptive_field(model, "inner/conv") == ((5, 5), (1, 1), (0, 0))
    nested_input = keras.Model(inputs, _inner_functional()(L.Conv2D(4, 1)(inputs)))
    path = next(p for p, layer in interp._model.walk(nested_input)
                if isinstance(layer, L.InputLayer) and "/" in p)
    with pytest.raises(ValueError, match=r"^receptive_field: layer '\w+' is the input of a "
                                         r"nested model, which never runs on its own; ask for "
                                         r"the layer that feeds that model instead$"):
        interp.receptive_field(nested_input, path)


def test_reflection_padding_is_refused_clearly():
    inputs = keras.Input((8, 8, 1))
    padded = keras.ops.pad(inputs, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="reflect")
    model = keras.Model(inputs, L.Conv2D(1, 3, name="conv")(padded))
    with pytest.raises(ValueError, match=r"^receptive_field: cannot follow the receptive field "
                                         r"through Pad '\w+' on the way to 'conv': it pads in "
                                         r"'reflect' mode, which repeats pixels from inside "
                                         r"the image; receptive_field follows constant "
                                         r"padding only$"):
        interp.receptive_field(model, "conv")


# ---- nested and Sequential models ----------------------------------------------------------

def _inner_functional(size=8):
    inputs = keras.Input((size, size, 4))
    y = L.Conv2D(4, 3, padding="same", name="c1")(inputs)
    return keras.Model(inputs, L.Add(name="join")([inputs, y]), name="inner")


def _inner():
    inputs = keras.Input((12, 12, 4))
    y = L.Conv2D(4, 3, padding="same", name="c1")(inputs)
    y = L.Conv2D(4, 3, strides=2, padding="same", name="c2")(y)
    shortcut = L.AveragePooling2D(2, name="down")(inputs)
    return keras.Model(inputs, L.Add(name="join")([shortcut, y]), name="inner")


def test_a_residual_model_nested_in_a_sequential_one():
    model = keras.Sequential([keras.Input((10, 10, 3)), L.ZeroPadding2D(1, name="pad"),
                              L.Conv2D(4, 3, padding="same", name="pre"), _inner(),
                              L.GlobalAveragePooling2D(name="gap"), L.Dense(2, name="head")])

    def inner_outputs(copy, paths):
        outputs, shapes = _outputs(copy.get_layer("inner"), [path.split("/")[1] for path in paths])
        pad, pre = copy.get_layer("pad"), copy.get_layer("pre")
        return lambda t: outputs(pre(pad(t))), shapes

    _check(model, ["inner/c1", "inner/c2", "inner/down", "inner/join"],
           outputs_for=inner_outputs)
    # by hand: pad moves the start up 1, pre adds 1 more; the 2 x 2 pool then sees 4 pixels
    assert interp.receptive_field(model, "inner/down") == ((4, 4), (2, 2), (-2, -2))
    assert interp.receptive_field(model, "head") == ((10, 10), (0, 0), (0, 0))


# ---- keras.applications ----------------------------------------------------------------------

APPLICATIONS = {
    # (a few layers for the brute force, a layer whose field size is published)
    "ResNet50": (["conv1_conv", "conv2_block1_out", "conv3_block1_add"],
                 ("conv5_block3_out", 483)),
    "MobileNetV2": (["expanded_conv_depthwise", "block_2_add", "block_6_depthwise"], None),
    "EfficientNetB0": (["block1a_dwconv", "block1a_se_excite", "block2a_dwconv"], None),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", APPLICATIONS)
def test_keras_applications_get_a_field_for_every_convolution(name):
    model = getattr(keras.applications, name)(weights=None, input_shape=(64, 64, 3))
    convs = [layer for layer in model.layers
             if isinstance(layer, (L.Conv2D, L.DepthwiseConv2D))]
    fields = {layer.name: interp.receptive_field(model, layer) for layer in convs}
    assert len(fields) == len(convs) > 40
    for field in fields.values():
        assert min(field.size) >= 1 and min(field.stride) >= 0
    brute, published = APPLICATIONS[name]
    _check(model, brute)
    if published is not None:
        # the table of the receptive_field library of Araujo, Norris and Sim ("Computing
        # receptive fields of convolutional neural networks", Distill 2019): resnet_v1_50,
        # 483 pixels (its strides sit elsewhere in the blocks, the sum is the same)
        layer, size = published
        assert interp.receptive_field(model, layer).size == (size, size)
    if name == "EfficientNetB0":
        # from block1a's squeeze-and-excitation on, every position sees the whole image
        assert fields["block1a_project_conv"] == ((64, 64), (0, 0), (0, 0))
        assert fields["top_conv"] == ((64, 64), (0, 0), (0, 0))


@pytest.mark.slow
def test_a_keras_application_nested_in_a_sequential_model():
    inner = keras.applications.MobileNetV2(weights=None, input_shape=(64, 64, 3))
    model = keras.Sequential([keras.Input((60, 62, 3)), L.ZeroPadding2D(((2, 2), (1, 1)),
                                                                        name="pad"),
                              inner, L.Dense(2, name="head")])
    inner_convs = [layer for layer in inner.layers if isinstance(layer, L.Conv2D)]
    for layer in inner_convs:
        assert isinstance(interp.receptive_field(model, layer), interp.ReceptiveField)

    def inner_outputs(copy, paths):
        outputs, shapes = _outputs(copy.layers[1], [path.split("/")[1] for path in paths])
        return lambda t: outputs(copy.get_layer("pad")(t)), shapes

    paths = [f"{inner.name}/{name}" for name in ("Conv1", "block_1_depthwise", "block_2_add")]
    _check(model, paths, outputs_for=inner_outputs)
    # the same layer on its own starts 2 rows and 1 column further into the padding
    alone = interp.receptive_field(inner, "block_2_add")
    nested = interp.receptive_field(model, f"{inner.name}/block_2_add")
    assert nested.offset == (alone.offset[0] - 2, alone.offset[1] - 1)


@pytest.mark.slow
def test_resnet50_is_traced_in_well_under_a_second():
    model = keras.applications.ResNet50(weights=None, input_shape=(64, 64, 3))
    interp.receptive_field(model, "conv5_block3_out")
    times = []
    for _ in range(3):
        started = time.perf_counter()
        interp.receptive_field(model, "conv5_block3_out")
        times.append(time.perf_counter() - started)
    assert np.median(times) < 1.0, times


# ---- images of any size -------------------------------------------------------------------

def test_open_image_sizes_are_taken_as_multiples_of_the_strides():
    """For (None, None, 1) images, each 'same' layer is taken to receive a multiple of its
    stride: the field is what the network sees on 16 x 16 images, not on 15 x 15 ones."""
    inputs = keras.Input((None, None, 1))
    x = L.Conv2D(2, 3, strides=2, padding="same", name="c1")(inputs)
    y = L.Conv2D(2, 4, strides=2, padding="same", name="c2")(x)
    y = L.Add(name="join")([y, L.MaxPooling2D(2, name="pool")(x)])
    model = keras.Model(inputs, L.GlobalMaxPooling2D(name="gmp")(y))
    field = interp.receptive_field(model, "join")
    # by hand: c1 pads (3 - 2) // 2 = 0 before and sees 3 pixels at jump 2; c2 pads
    # (4 - 2) // 2 = 1 position before and sees 3 + 3 * 2 = 9 pixels from -2; the pool 5 from 0
    assert field == ((9, 9), (4, 4), (-2, -2))
    outputs, _ = _outputs(_positive_copy(model), ["join"])
    positions = [(0, 0), (3, 3), (1, 2)]
    [on_16] = _seen_boxes(outputs, (16, 16, 1), [((4, 4, 2), positions)])
    assert on_16 == [_field_box(field, p, (16, 16)) for p in positions]
    [on_15] = _seen_boxes(outputs, (15, 15, 1), [((4, 4, 2), [(0, 0)])])
    assert on_15 != [_field_box(field, (0, 0), (15, 15))]  # the assumption matters
    with pytest.raises(ValueError, match=r"^receptive_field: every position of 'gmp' sees all "
                                         r"the image's rows, and model '\w+' takes images of "
                                         r"any size along them \(\(n, any, any, 1\)\), so the "
                                         r"field has no size; build the model for one image "
                                         r"size to measure it$"):
        interp.receptive_field(model, "gmp")


# ---- what is refused, and why ------------------------------------------------------------------

def test_a_spatial_concatenation_is_refused_clearly():
    inputs = keras.Input((8, 8, 1))
    a = L.Conv2D(1, 3, padding="same", name="a")(inputs)
    b = L.Conv2D(1, 1, name="b")(inputs)
    stacked = L.Concatenate(axis=1, name="stack")([a, b])  # 16 x 8
    model = keras.Model(inputs, L.Conv2D(1, 3, name="after")(stacked))
    with pytest.raises(ValueError, match=r"^receptive_field: cannot follow the receptive field "
                                         r"through Concatenate 'stack' on the way to 'after': "
                                         r"it joins its inputs along a spatial axis \(axis 1\), "
                                         r"so the positions on either side of the seam see "
                                         r"different parts of the image; receptive_field "
                                         r"follows Concatenate on the channel axis only$"):
        interp.receptive_field(model, "after")
    assert interp.receptive_field(model, "a") == ((3, 3), (1, 1), (-1, -1))


def test_branches_moving_by_different_strides_are_refused_clearly():
    inputs = keras.Input((8, 8, 1))
    coarse = L.Conv2D(1, 2, strides=2, name="coarse")(inputs)  # 4 x 4, jump 2
    fine = L.Cropping2D(((0, 4), (0, 4)), name="fine")(inputs)  # 4 x 4, jump 1
    model = keras.Model(inputs, L.Add(name="mixed")([coarse, fine]))
    with pytest.raises(ValueError, match=r"^receptive_field: cannot follow the receptive field "
                                         r"through Add 'mixed' on the way to 'mixed': it joins "
                                         r"branches whose fields move by different strides "
                                         r"\(1 and 2 pixels per output position\), which no "
                                         r"one box describes$"):
        interp.receptive_field(model, "mixed")


def test_a_broadcast_map_that_a_moving_field_leaves_is_refused_clearly():
    inputs = keras.Input((9, 9, 1))
    single = L.Conv2D(1, 5, name="single")(L.Cropping2D(((0, 4), (0, 4)))(inputs))  # rows 0-4
    model = keras.Model(inputs, L.Multiply(name="product")([inputs, single]))
    with pytest.raises(ValueError, match=r"^receptive_field: cannot follow the receptive field "
                                         r"through Multiply 'product' on the way to 'product': "
                                         r"it joins a branch whose positions all see the same "
                                         r"pixels with one whose field moves by 1 pixels per "
                                         r"position and reaches beyond them, which no one box "
                                         r"describes$"):
        interp.receptive_field(model, "product")


def test_upsampling_is_refused_clearly_and_only_on_the_way_to_the_layer():
    inputs = keras.Input((8, 8, 1))
    x = L.Conv2D(1, 3, name="conv")(inputs)
    up = L.UpSampling2D(name="up")(x)
    model = keras.Model(inputs, L.Conv2D(1, 3, name="after")(up))
    assert interp.receptive_field(model, "conv") == ((3, 3), (1, 1), (0, 0))
    with pytest.raises(ValueError, match=r"^receptive_field: cannot follow the receptive field "
                                         r"through UpSampling2D 'up' on the way to 'after': it "
                                         r"moves or mixes positions in a way receptive_field "
                                         r"does not model"):
        interp.receptive_field(model, "after")


def test_a_model_without_images_is_refused_clearly():
    model = keras.Sequential([keras.Input((12,)), L.Dense(3, name="dense")])
    with pytest.raises(ValueError, match=r"^receptive_field: model '\w+' takes inputs shaped "
                                         r"\(n, 12\), not 2-D images; receptive fields are "
                                         r"followed over rows and columns$"):
        interp.receptive_field(model, "dense")


@pytest.mark.parametrize("layer", [L.RandomFlip(), L.RandomRotation(0.3), L.RandomZoom(0.3),
                                   L.RandomTranslation(0.2, 0.2), L.RandomContrast(0.5),
                                   L.RandomBrightness(0.5)])
def test_augmentation_layers_followed_as_identities_are_identities_at_inference(layer):
    x = np.random.default_rng(0).uniform(0, 255, (2, 9, 9, 3)).astype("float32")
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(x, training=False)), x)
    model = keras.Sequential([keras.Input((9, 9, 3)), layer, L.Conv2D(1, 3, name="conv")])
    assert interp.receptive_field(model, "conv") == ((3, 3), (1, 1), (0, 0))


# ---- crop_patches with fields larger than the image ----------------------------------------

def _patch_by_hand(image, field, position):
    """The patch a position sees, pixel by pixel: the field's box, or the image's rows
    (columns) where the field is taller (wider) than the image; unseen pixels 0."""
    h, w, c = image.shape
    ph, pw = min(field.size[0], h), min(field.size[1], w)
    top = field.offset[0] + position[0] * field.stride[0]
    left = field.offset[1] + position[1] * field.stride[1]
    base = (top if field.size[0] <= h else 0, left if field.size[1] <= w else 0)
    patch = np.zeros((ph, pw, c), image.dtype)
    for u in range(ph):
        for v in range(pw):
            r, s = base[0] + u, base[1] + v
            if (0 <= r < h and 0 <= s < w and top <= r < top + field.size[0]
                    and left <= s < left + field.size[1]):
                patch[u, v] = image[r, s]
    return patch


@pytest.mark.parametrize("field", [
    interp.ReceptiveField((13, 5), (4, 2), (-5, -2)),  # taller than the image
    interp.ReceptiveField((30, 30), (8, 8), (-11, -11)),  # larger both ways
    interp.ReceptiveField((9, 11), (0, 0), (0, 0)),  # the whole image, stride 0
    interp.ReceptiveField((3, 3), (2, 2), (-1, 0)),  # an ordinary one
])
def test_crop_patches_never_exceeds_the_image(field):
    images = np.random.default_rng(2).random((5, 9, 11, 2)).astype("float32")
    positions = np.array([[[0, 0], [1, 2], [2, 3]], [[2, 0], [0, 4], [1, 1]]])
    top = interp.TopActivations(np.array([[0, 3, 4], [1, 2, 0]]), np.zeros((2, 3)), positions)
    patches = interp.crop_patches(images, top, field)
    assert patches.shape == (2, 3, min(field.size[0], 9), min(field.size[1], 11), 2)
    for j in range(2):
        for i in range(3):
            expected = _patch_by_hand(images[top.indices[j, i]], field, positions[j, i])
            np.testing.assert_array_equal(patches[j, i], expected)


def test_crop_patches_of_a_residual_layer_hold_the_pixels_it_sees():
    model = _residual()
    images = np.random.default_rng(3).random((6, 23, 21, 2)).astype("float32")
    top = interp.top_activating(model, "a2", images, k=2)
    field = interp.receptive_field(model, "a2")
    patches = interp.crop_patches(images, top, field)
    assert patches.shape == (4, 2, 13, 13, 2)
    for j in range(4):
        for i in range(2):
            expected = _patch_by_hand(images[top.indices[j, i]], field, top.positions[j, i])
            np.testing.assert_array_equal(patches[j, i], expected)

