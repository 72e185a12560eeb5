"""interp.export_live: what it writes for the page, and what it refuses (naming the layer).

The page's own arithmetic is held to Keras in Chromium (tests/browser/test_live.py); here
the exporter's side: the graph, the weights as the page reads them, the BatchNormalization
and Rescaling layers as the affine maps Keras computes, and every refusal's message.
"""

import base64
import hashlib
import json
import re

import keras
import numpy as np
import pytest

import interp
from interp.live import MAX_SIDE, LiveError, check_live, colormap, model_spec

L = keras.layers


def _weights(spec_bytes: bytes) -> np.ndarray:
    return np.frombuffer(spec_bytes, dtype="<f4")


def _take(weights: np.ndarray, where: list[int]) -> np.ndarray:
    return weights[where[0]:where[0] + where[1]]


def test_the_course_network_as_the_page_reads_it():
    model = interp.build_model()
    spec, raw = model_spec(model)
    weights = _weights(raw)
    layers = {layer["name"]: layer for layer in spec["layers"]}
    assert [layer["name"] for layer in spec["layers"]] == ["input", "conv1", "conv2", "flatten",
                                                           "dense"]
    assert layers["conv2"]["inputs"] == ["conv1"] and layers["conv2"]["shape"] == [24, 24, 15]
    kernel, bias = model.get_layer("conv2").get_weights()
    np.testing.assert_array_equal(_take(weights, layers["conv2"]["kernel"]), kernel.ravel())
    np.testing.assert_array_equal(_take(weights, layers["conv2"]["bias"]), bias)
    assert weights.size == model.count_params()
    # the logits are the dense layer's values before its softmax, as interp.saliency takes
    assert spec["head"] == {"layer": "dense", "pre": True, "activation": "softmax",
                            "classes": 10}


def test_batch_norm_and_rescaling_are_the_affine_maps_keras_computes():
    keras.utils.set_random_seed(1)
    inputs = keras.Input((10, 10, 3))
    x = L.Rescaling(1 / 127.5, offset=-1.0)(inputs)
    x = L.Conv2D(4, 3, padding="same", strides=2, name="c")(x)
    bn = L.BatchNormalization(name="bn", epsilon=0.01)
    x = bn(x)
    outputs = L.Dense(3, activation="softmax")(L.GlobalAveragePooling2D()(x))
    model = keras.Model(inputs, outputs)
    bn.set_weights([np.linspace(0.5, 2, 4), np.linspace(-1, 1, 4), np.linspace(-0.3, 0.3, 4),
                    np.linspace(0.2, 3, 4)])
    spec, raw = model_spec(model)
    weights = _weights(raw).astype(np.float64)
    layers = {layer["name"]: layer for layer in spec["layers"]}
    rng = np.random.default_rng(0)
    values = rng.normal(size=(2, 5, 5, 4)).astype(np.float32)
    expected = keras.ops.convert_to_numpy(bn(values, training=False))
    got = values * _take(weights, layers["bn"]["scale"]) + _take(weights, layers["bn"]["shift"])
    np.testing.assert_allclose(got, expected, atol=1e-5)
    rescale = next(layer for layer in spec["layers"] if layer["type"] == "affine"
                   and layer["name"] != "bn")
    assert np.allclose(_take(weights, rescale["scale"]), 1 / 127.5)
    assert np.allclose(_take(weights, rescale["shift"]), -1.0)
    # TensorFlow's "same" padding for stride 2 on 10 pixels: 5 outputs, no padding on top
    assert layers["c"]["shape"] == [5, 5, 4] and layers["c"]["pad"] == [0, 0]


def test_same_padding_matches_keras_output_sizes():
    for size, kernel, stride in [(9, 3, 2), (10, 4, 3), (7, 5, 1)]:
        model = keras.Sequential([keras.Input((size, size, 1)),
                                  L.Conv2D(1, kernel, strides=stride, padding="same"),
                                  L.Flatten(), L.Dense(2)])
        spec, _ = model_spec(model)
        conv = spec["layers"][1]
        out = -(-size // stride)
        total = max((out - 1) * stride + kernel - size, 0)
        assert conv["shape"][:2] == [out, out] and conv["pad"] == [total // 2, total // 2]


@pytest.mark.parametrize(("build", "message"), [
    (lambda: keras.Sequential([keras.Input((28, 28, 1)), L.Conv2D(2, 3, activation="gelu"),
                               L.Flatten(), L.Dense(2)]),
     r"layer 'conv2d\w*' \(Conv2D\) has the activation 'gelu'; the page runs linear, relu"),
    (lambda: keras.Sequential([keras.Input((28, 28, 1)), L.Conv2D(2, 3),
                               L.Reshape((26 * 26, 2)), L.LSTM(3), L.Dense(2)]),
     r"layer 'reshape\w*' is a Reshape, which the page cannot run"),
    (lambda: keras.Sequential([keras.Input((MAX_SIDE + 1, MAX_SIDE + 1, 3)), L.Conv2D(2, 3),
                               L.Flatten(), L.Dense(2)]),
     rf"takes {MAX_SIDE + 1}x{MAX_SIDE + 1} images; the page runs inputs of at most "
     rf"{MAX_SIDE}x{MAX_SIDE} pixels"),
    (lambda: keras.Sequential([keras.Input((12, 12, 2)), L.Conv2D(2, 3), L.Flatten(),
                               L.Dense(2)]),
     r"takes inputs shaped \(n, 12, 12, 2\); the page runs models that take images"),
    (lambda: keras.Sequential([keras.Input((12, 12, 1)), L.Conv2D(2, 3), L.Dense(2)]),
     r"layer 'dense\w*' \(Dense\) takes an input shaped \(10, 10, 2\); the page runs Dense "
     r"on flat inputs"),
    (lambda: keras.Sequential([keras.Input((12, 12, 1)), L.Conv2D(2, 3, groups=1),
                               L.Conv2D(4, 3, groups=2), L.Flatten(), L.Dense(2)]),
     r"is a grouped Conv2D \(groups=2\)"),
    (lambda: keras.Sequential([keras.Input((12, 12, 1)),
                               keras.Sequential([L.Conv2D(2, 3)], name="inner"),
                               L.Flatten(), L.Dense(2)]),
     r"layer 'inner' is a nested model"),
])
def test_what_the_page_cannot_run_is_refused_by_name(build, message):
    model = build()
    with pytest.raises(LiveError, match=r"^export_live: .*" + message):
        interp.export_live(model)
    assert re.search(message, check_live(model))


def test_a_channels_first_model_is_refused():
    inputs = keras.Input((1, 12, 12))
    x = L.Conv2D(2, 3, data_format="channels_first", name="cf")(inputs)
    model = keras.Model(inputs, L.Dense(2)(L.Flatten()(x)))
    assert "channels_first" in check_live(model) or "(n, 1, 12, 12)" in check_live(model)


def test_the_view_carries_its_checksums_picks_and_suggestions():
    model = interp.build_model()
    before = [w.copy() for w in model.get_weights()]
    images = np.linspace(0, 1, 2 * 28 * 28).reshape(2, 28, 28)
    bar = np.zeros((28, 28))
    view = interp.export_live(model, images, [3, 1], list(interp.CLASS_NAMES), static=False,
                              suggestions=[{"text": "try this", "pixels": bar,
                                            "kernel": {"layer": "conv1", "index": 2,
                                                       "weights": np.ones(9)}}])
    data = json.loads(re.search(r'class="interp-live-data">(.*?)</script>', view.html,
                                flags=re.S).group(1))
    assert [pick["name"] for pick in data["picks"]] == ["Dress #0", "Trouser #1"]
    pixels = np.frombuffer(base64.b64decode(data["picks"][1]["pixels"]), np.uint8)
    np.testing.assert_array_equal(pixels, np.round(images[1].ravel() * 255))
    assert data["suggestions"][0]["kernel"] == {"layer": "conv1", "index": 2,
                                                "weights": [1.0] * 9}
    weights = base64.b64decode(data["weights"])
    assert view.checksums["weights"] == hashlib.sha256(weights).hexdigest()
    assert f'data-weights-sha256="{view.checksums["weights"]}"' in view.html
    assert view.sizes["total"] == len(view.html.encode())
    assert "<noscript></noscript>" in view.html  # static=False
    assert not re.search(r"(src|href)=\"https?://", view.html)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
    table = colormap().astype(int)  # blue, white at zero, red
    assert table.shape == (256, 3) and table[128].min() >= 240
    assert table[0, 2] > table[0, 0] + 60 and table[255, 0] > table[255, 2] + 60


def test_bad_arguments_are_refused_with_the_function_and_argument():
    model = interp.build_model()
    with pytest.raises(ValueError, match=r"^export_live: images must be images shaped "
                                         r"\(n, 28, 28, 1\)"):
        interp.export_live(model, np.zeros((2, 27, 28)), static=False)
    with pytest.raises(ValueError, match=r"^export_live: images must hold pixel values in "
                                         r"\[0, 1\], got values from 255 to 255"):
        interp.export_live(model, np.full((1, 28, 28), 255.0), static=False)
    with pytest.raises(ValueError, match=r"^export_live: class_names must give one name per "
                                         r"class \(10\), got 2"):
        interp.export_live(model, class_names=["a", "b"], static=False)
    with pytest.raises(ValueError, match=r"^export_live: labels must give one class in 0..9 "
                                         r"per image \(1\)"):
        interp.export_live(model, np.zeros((1, 28, 28)), [10], static=False)
    with pytest.raises(TypeError, match=r"^export_live: suggestions\[0\] must be a dict with "
                                        r"'text'"):
        interp.export_live(model, suggestions=[{"pixels": np.zeros((28, 28))}], static=False)
    with pytest.raises(ValueError, match=r"^export_live: shown must name layers with 2-D "
                                         r"maps, got 'dense'"):
        interp.export_live(model, shown=["dense"], static=False)


def test_out_dir_writes_a_standalone_page(tmp_path):
    view = interp.export_live(interp.build_model(), np.zeros((1, 28, 28)), static=False,
                              out_dir=tmp_path / "live")
    page = (tmp_path / "live" / "index.html").read_text()
    assert view.path == tmp_path / "live" / "index.html"
    assert page.startswith("<!DOCTYPE html>") and view.html in page


def test_the_report_view_says_in_one_line_why_not():
    from interp.images import load_images
    from interp.live import report_view

    small = interp.build_model()
    images = load_images((np.arange(3 * 28 * 28) % 256).astype(np.uint8).reshape(3, 28, 28),
                         small)
    found = report_view(small, images, list(interp.CLASS_NAMES))
    assert found["reason"] == "" and "interp-live-data" in found["html"]
    assert '"name":"#2"' in found["html"]  # the report's own names for the images
    big = keras.Sequential([keras.Input((80, 80, 1)), L.Conv2D(2, 3), L.Flatten(),
                            L.Dense(2)])
    found = report_view(big, load_images(np.zeros((2, 80, 80), np.uint8), big), ["a", "b"])
    assert found["html"] == ""
    assert found["reason"].startswith("model ") and "at most 64x64 pixels" in found["reason"]
    assert "\n" not in found["reason"]
    floats = load_images(np.full((2, 28, 28, 1), 3.0, np.float32), small)
    found = report_view(small, floats, list(interp.CLASS_NAMES))
    assert found["html"] == "" and "values from 3 to 3" in found["reason"]
