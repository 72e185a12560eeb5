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


def test_names_with_markup_stay_inside_the_data_script():
    """A name that would end the script element, or open an HTML comment in it, is written
    with JSON escapes and read back intact (json.loads is the oracle)."""
    names = ["</script><!--<script>", "a & b > c"]
    view = interp.export_live(interp.build_model(), np.zeros((2, 28, 28)), static=False,
                              names=names)
    text = re.search(r'class="interp-live-data">(.*?)</script>', view.html, flags=re.S).group(1)
    assert not set("<>&") & set(text)
    assert [pick["name"] for pick in json.loads(text)["picks"]] == names


def test_the_package_keeps_its_names_and_imports_nothing_heavy():
    """interp.live is a package: its public names are interp's, its script and style are
    files in interp/live/static, and importing it imports no Keras, TensorFlow or
    matplotlib (a fresh interpreter's sys.modules is the oracle)."""
    import pathlib
    import subprocess
    import sys

    import interp.live

    for name in ("export_live", "LiveView", "LiveError", "live_suggestions", "LiveSuggestion"):
        assert getattr(interp, name) is getattr(interp.live, name)
    static = pathlib.Path(interp.live.__file__).parent / "static"
    assert sorted(p.name for p in static.iterdir()) == ["interp-live.css", "interp-live.js"]
    view = interp.export_live(interp.build_model(), static=False)
    script = (static / "interp-live.js").read_bytes()
    assert view.checksums["interp-live.js"] == hashlib.sha256(script).hexdigest()
    assert script.decode() in view.html and (static / "interp-live.css").read_text() in view.html
    code = ("import sys, interp.live; print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'keras', 'tensorflow', 'matplotlib', 'jax', 'torch'}))")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True)
    assert found.stdout.strip() == "[]"


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


BAR = np.zeros((28, 28))


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"scale": "ab"}, TypeError, r"scale must be a pair \(low, high\), got 'ab'"),
    ({"scale": (0, float("nan"))}, ValueError, r"scale must be a finite number, got nan"),
    ({"out_dir": 3}, TypeError, r"out_dir must be a folder path or None, got 3 \(int\)"),
    ({"out_dir": ""}, TypeError, r"out_dir must be a folder path or None, got '' \(str\)"),
    ({"title": 3}, TypeError, r"title must be a string, got 3"),
    ({"static": "yes"}, TypeError, r"static must be True or False, got 'yes'"),
    ({"shown": 3.0}, TypeError, r"shown must be a layer name or a list of them, got 3.0"),
    ({"before": [1]}, TypeError, r"before must be a layer name or a list of them"),
    ({"suggestions": 1.5}, TypeError, r"suggestions must be a list of dicts or LiveSuggestion"),
    ({"class_names": list(range(10))}, TypeError, r"class_names must hold strings"),
    ({"labels": ["a"]}, ValueError, r"labels must give one class in 0..9 per image \(1\)"),
    ({"labels": [True]}, ValueError, r"labels must give one class in 0..9 per image \(1\)"),
    ({"names": ["a", "b"]}, ValueError, r"names must give one name per image \(1\), got 2"),
    ({"names": 7}, TypeError, r"names must be a sequence of strings, got 7"),
    ({"suggestions": [{"text": "t", "pixels": BAR, "kernel": {"layer": "conv1", "index": 9,
                                                              "weights": np.ones(9)}}]},
     ValueError, r"suggestions\[0\]\['kernel'\] must give an 'index' in 0..4 and 9 finite "
                 r"'weights'"),
    ({"suggestions": [{"text": "t", "pixels": BAR, "kernel": "conv1"}]},
     ValueError, r"suggestions\[0\]\['kernel'\] must be a dict whose 'layer' names a "
                 r"convolution layer"),
    ({"suggestions": [{"text": "t", "pixels": BAR, "watch": ["conv1"]}]},
     TypeError, r"suggestions\[0\]\['watch'\] must be a dict of layer names and ints"),
    ({"suggestions": [{"text": "t", "pixels": BAR, "checks": [{"k": object()}]}]},
     TypeError, r"suggestions\[0\]\['checks'\] must be a list of dicts of numbers"),
    ({"suggestions": [{"text": "t", "pixels": "a bar"}]},
     TypeError, r"suggestions\[0\]\['pixels'\] must be images shaped"),
])
def test_every_argument_is_checked_and_named(kwargs, error, message):
    arguments = {"images": np.zeros((1, 28, 28)), "static": False, **kwargs}
    with pytest.raises(error, match=r"^export_live: " + message):
        interp.export_live(interp.build_model(), **arguments)


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
    twelve_bit = load_images(np.full((2, 28, 28), 8190, np.uint16), small,
                             scale=((0, 4095), (0, 1)))
    found = report_view(small, twelve_bit, list(interp.CLASS_NAMES))
    assert found["html"] == "" and found["reason"] == (
        "the images, scaled, hold values from 2 to 2, outside 0-1, the range the page draws "
        "from black to white")


@pytest.mark.parametrize(("scale", "page_scale"), [
    (None, [0.0, 1.0]), ((-1, 1), [-1.0, 1.0]), (((0, 255), (0, 255)), [0.0, 255.0]),
])
def test_the_report_view_runs_the_images_as_the_report_scaled_them(scale, page_scale):
    """The page's pixels 0-1 become the model's input as --scale made it (read by hand)."""
    from interp.images import load_images
    from interp.live import report_view

    small = interp.build_model()
    raw = (np.arange(2 * 28 * 28) * 7 % 256).astype(np.uint8).reshape(2, 28, 28)
    found = report_view(small, load_images(raw, small, scale=scale), ["c"] * 10)
    data = json.loads(re.search(r'class="interp-live-data">(.*?)</script>',
                                found["html"]).group(1))
    assert data["model"]["input"]["scale"] == page_scale
    pixels = [np.frombuffer(base64.b64decode(p["pixels"]), np.uint8) for p in data["picks"]]
    np.testing.assert_array_equal(np.stack(pixels), raw.reshape(2, -1))


# ---- the suggestions of the course page, against a numpy forward pass -------------------------
# The oracle is the course network redone in float64 numpy (sliding windows, einsum), with
# no Keras and no interp in the loop; the saliency is its logit's finite differences.
NUMBER = re.compile(r"(?<![\w.])[-\u2212+]?\d+(?:\.\d+)?%?")


def _conv(x, kernel, bias):
    windows = np.lib.stride_tricks.sliding_window_view(x, kernel.shape[:2], axis=(1, 2))
    return np.einsum("nhwcij,ijck->nhwk", windows, kernel, optimize=True) + bias


def _numpy_net(weights, x):
    """Everything the checks read, for images x (n, 28, 28) in float64."""
    k1, b1, k2, b2, w, b = (np.asarray(v, np.float64) for v in weights)
    pre1 = _conv(x[..., np.newaxis], k1, b1)
    pre2 = _conv(np.maximum(pre1, 0), k2, b2)
    logits = np.maximum(pre2, 0).reshape(len(x), -1) @ w + b
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return {"before": pre1, "after": np.maximum(pre1, 0), "logits": logits,
            "probabilities": e / e.sum(axis=1, keepdims=True)}


def _peak(weights, image, eps=1e-5):
    """(row, col, sign) of the largest |d logit(predicted) / d pixel|, by central differences."""
    target = int(_numpy_net(weights, image[np.newaxis])["logits"][0].argmax())
    steps = np.eye(image.size).reshape(-1, *image.shape) * eps
    up = _numpy_net(weights, image + steps)["logits"][:, target]
    down = _numpy_net(weights, image - steps)["logits"][:, target]
    grad = ((up - down) / (2 * eps)).reshape(image.shape)
    r, c = np.unravel_index(int(np.argmax(np.abs(grad))), grad.shape)
    return int(r), int(c), int(np.sign(grad[r, c]))


def _measure(check, suggestion, weights, picks):
    """The quantities a check's ``says`` states, measured with the numpy network."""
    kind = check["kind"]
    edited = [np.array(v, np.float64) for v in weights]
    if suggestion.kernel is not None and not check.get("trained"):
        edited[0][..., suggestion.kernel["index"]] = np.reshape(suggestion.kernel["weights"],
                                                                edited[0].shape[:3])
    image = picks[check["pick"]] if "pick" in check else suggestion.pixels
    image = np.asarray(image, np.float64)
    net = _numpy_net(edited, image[np.newaxis])
    if kind in ("region", "extreme"):
        values = net[check["values"]][0, :, :, check["channel"]]
    if kind == "region":
        (r0, r1), (c0, c1) = check["rows"], check["cols"]
        part = values[r0:r1, c0:c1]
        q = float(part.mean() if check["stat"] == "mean" else np.ptp(part))
        if "op" in check:
            assert {">": q > check["value"], "<": q < check["value"],
                    "<=": q <= check["value"]}[check["op"]], (check, q)
        return [q]
    if kind == "probability":
        p = net["probabilities"][0, check["class"]]
        return [100 * p if "%" in check["says"] else p]
    if kind == "predicted":
        assert int(net["probabilities"][0].argmax()) == check["class"], check
        return []
    if kind in ("inspect", "inspected"):
        r, c, k = check["row"], check["col"], check["channel"]
        products = image[r:r + 3, c:c + 3] * edited[0][:, :, 0, k]
        total, bias = products.sum(), edited[1][k]
        assert abs(net["before"][0, r, c, k] - (total + bias)) < 1e-9
        found = {"sum": total, "bias": bias, "before": total + bias,
                 "value": max(total + bias, 0.0)}
        return [found[check["field"]]] if kind == "inspect" else [k, r, c]
    if kind == "extreme":
        pick = np.argmin if check["which"] == "min" else np.argmax
        at = np.unravel_index(int(pick(values)), values.shape)
        assert (int(at[0]), int(at[1])) == (check["row"], check["col"]), check
        return []
    if kind == "blank_rows":
        (r0, r1), source = check["rows"], picks[check["source"]]
        assert np.all(image[r0:r1] == 0) and np.all(source[r0:r1].max(axis=1) > 0.05)
        assert np.all(source[r1:] <= 0.05)
        return [r1 - r0, r0, r1 - 1]
    if kind == "saliency_peak":
        assert _peak(edited, image) == (check["row"], check["col"], check["sign"])
        return [check["row"], check["col"]]
    if kind == "watched":
        assert suggestion.watch == {"layer": check["layer"], "channel": check["channel"]}
        return [check["channel"]]
    pytest.fail(f"unknown check {kind}")


@pytest.fixture(scope="module")
def course(trained, test_set):
    """The gallery's network (its TensorFlow-trained weights on every backend), page 13's
    thirty picks and their suggestions."""
    model, (x_test, y_test) = trained, test_set
    picked = np.array([i for name in interp.CLASS_NAMES
                       for i in interp.images_of(y_test, name)[:3]])
    images, labels = x_test[picked, :, :, 0], y_test[picked]
    before = [w.copy() for w in model.get_weights()]
    tries = interp.live_suggestions(model, images, labels)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
    return model, images, labels, tries


def test_every_number_of_every_suggestion_is_measured_and_true(course):
    model, images, _, tries = course
    weights = model.get_weights()
    assert len(tries) == 6 and all(isinstance(t, interp.LiveSuggestion) for t in tries)
    for suggestion in tries:
        text = suggestion.text
        spans = [(m.start(), m.end()) for check in suggestion.checks if check.get("says")
                 for m in re.finditer(re.escape(check["says"]), text)]
        uncovered = [m.group() for m in NUMBER.finditer(text)
                     if not any(a <= m.start() and m.end() <= b for a, b in spans)]
        assert uncovered == [], (text, uncovered)
        for check in suggestion.checks:
            quantities = _measure(check, suggestion, weights, images)
            if check.get("says"):
                assert check["says"] in text
                stated = NUMBER.findall(check["says"])
                assert len(stated) == len(quantities), (check, quantities)
                for token, q in zip(stated, quantities, strict=True):
                    digits = token.rstrip("%").replace("\u2212", "-")
                    places = len(digits.split(".")[1]) if "." in digits else 0
                    assert abs(q - float(digits)) <= 0.5005 * 10.0 ** -places, (text, check, q)
        assert all(len(line) <= 80 for line in suggestion.evidence), suggestion.evidence


def test_the_bar_shows_kernel_3_red_on_the_left_and_blue_on_the_right(course):
    """The seed's lesson, by the chapter's rule, with a margin: each side's mean is at
    least three times the rule's 10%, and the verdicts hold for every other bar tried."""
    _, _, _, tries = course
    bar = tries[0]
    n = bar.numbers
    assert n["kernel"] == 3 and bar.modes == {"conv1": "before"}
    assert n["left"] > 3 * n["limit"] and n["right"] < -3 * n["limit"]
    assert n["held"] == n["variants"] >= 20
    assert bar.text.startswith("Draw a vertical bar and watch conv1 map 3 before the ReLU: "
                               "red along the bar's left edge")
    # the bar itself: 4 columns of 1 on 0, away from the image's border
    assert bar.pixels.sum() == 4 * 20 and set(np.unique(bar.pixels)) == {0.0, 1.0}


def test_the_one_pixel_suggestion_shows_the_relu_at_work(course):
    _, _, _, tries = course
    pixel = tries[4]
    assert pixel.numbers["before"] < 0 and pixel.numbers["value"] == 0
    assert pixel.inspect == {"layer": "conv1", "row": pixel.numbers["row"],
                             "col": pixel.numbers["col"], "channel": 3}


def test_the_suggestions_go_into_the_view(course):
    model, images, labels, tries = course
    view = interp.export_live(model, images, labels, list(interp.CLASS_NAMES),
                              suggestions=tries, static=False)
    data = view.data
    assert data["modes"] == {"conv1": "before", "conv2": "after"}
    assert [s["text"] for s in data["suggestions"]] == [t.text for t in tries]
    assert data["suggestions"][0]["modes"] == {"conv1": "before"}
    assert data["suggestions"][2]["kernel"]["weights"] == [0.0] * 9
    pixels = np.frombuffer(base64.b64decode(data["suggestions"][1]["pixels"]), np.uint8)
    np.testing.assert_array_equal(pixels, np.round(tries[1].pixels.ravel() * 255))


def test_live_suggestions_refuses_what_it_cannot_measure(course):
    model, images, labels, _ = course
    no_sneaker = labels != interp.CLASS_NAMES.index("Sneaker")
    with pytest.raises(ValueError, match=r"^live_suggestions: images must hold at least one "
                                         r"Sneaker \(label 7\)"):
        interp.live_suggestions(model, images[no_sneaker], labels[no_sneaker])
    with pytest.raises(ValueError, match=r"^live_suggestions: labels must give one class in "
                                         r"0..9 per image \(30\)"):
        interp.live_suggestions(model, images, labels[:5])
    with pytest.raises(ValueError, match=r"^live_suggestions: labels must give one class"):
        interp.live_suggestions(model, images, labels + 0.5)
    with pytest.raises(ValueError, match=r"^live_suggestions: layer must name a Conv2D layer "
                                         r"that reads the input image .* got 'conv2'"):
        interp.live_suggestions(model, images, labels, layer="conv2")
    with pytest.raises(TypeError, match=r"^live_suggestions: layer must be the name"):
        interp.live_suggestions(model, images, labels, layer=0)
    with pytest.raises(ValueError, match=r"^live_suggestions: images must hold pixel values "
                                         r"in \[0, 1\]"):
        interp.live_suggestions(model, images * 255, labels)
    three = keras.Sequential([keras.Input((28, 28, 1)), L.Conv2D(2, 3, activation="relu"),
                              L.Flatten(), L.Dense(3, activation="softmax")])
    with pytest.raises(ValueError, match=r"^live_suggestions: model must give the 10 scores"):
        interp.live_suggestions(three, images, labels)


def test_before_chooses_the_maps_drawn_before_the_relu():
    model = interp.build_model()
    images = np.zeros((1, 28, 28))
    assert interp.export_live(model, images, static=False).data["modes"] == {
        "conv1": "before", "conv2": "after"}
    assert interp.export_live(model, images, static=False, before=[]).data["modes"] == {
        "conv1": "after", "conv2": "after"}
    assert interp.export_live(model, images, static=False,
                              before=["conv1", "conv2"]).data["modes"] == {
        "conv1": "before", "conv2": "before"}
    with pytest.raises(ValueError, match=r"^export_live: before must name shown layers with "
                                         r"an activation of their own \(conv1, conv2\), got "
                                         r"'dense'"):
        interp.export_live(model, images, static=False, before=["dense"])
    with pytest.raises(ValueError, match=r"^export_live: suggestions\[0\]\['modes'\] must map "
                                         r"shown layers"):
        interp.export_live(model, images, static=False,
                           suggestions=[{"text": "t", "pixels": np.zeros((28, 28)),
                                         "modes": {"conv1": "sideways"}}])


def test_the_static_figure_says_what_it_shows():
    view = interp.export_live(interp.build_model(), np.zeros((1, 28, 28)))
    noscript = re.search(r"<noscript>(.*?)</noscript>", view.html, flags=re.S).group(1)
    assert ("the maps of conv1, before the ReLU (convolution + bias), conv2, after the ReLU"
            in noscript)
    assert 'src="data:image/png;base64,' in noscript


def test_the_static_figure_keeps_the_house_rules(monkeypatch):
    """Titled, a colorbar for every heat map, colours from OKABE_ITO: the docs build's own
    check (interp_gallery.figure_problems) on the figure the <noscript> holds."""
    import importlib.util
    import pathlib
    import sys

    import matplotlib.figure

    path = pathlib.Path(__file__).parents[1] / "docs" / "sphinxext" / "interp_gallery.py"
    spec = importlib.util.spec_from_file_location("interp_gallery_for_live", path)
    gallery = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, gallery)  # for its dataclasses
    spec.loader.exec_module(gallery)
    saved = []
    original = matplotlib.figure.Figure.savefig
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig",
                        lambda fig, *a, **k: (saved.append(fig), original(fig, *a, **k))[1])
    interp.export_live(interp.build_model(), np.random.default_rng(0).random((1, 28, 28)))
    assert len(saved) == 1
    assert gallery.figure_problems(saved[0]) == []
    titles = [t for t in gallery.figure_titles(saved[0]) if t.strip()]
    assert titles[0] == "What the live view shows for the first image"


def test_the_static_figure_draws_names_as_written():
    """A class name with dollar signs is drawn as text, not read as a formula (matplotlib
    fails on '$5_$'), and a layer name with markup is escaped in the <noscript> text."""
    L = keras.layers
    inputs = keras.Input((12, 12, 1))
    x = L.Conv2D(2, 3, activation="relu", name="conv>b")(inputs)
    model = keras.Model(inputs, L.Dense(3)(L.Flatten()(x)))
    view = interp.export_live(model, np.full((1, 12, 12), 0.5),
                              class_names=["price_$5_$6", "a & b", "c"])
    noscript = re.search(r"<noscript>(.*?)</noscript>", view.html, flags=re.S).group(1)
    assert "the maps of conv&gt;b, before the ReLU" in noscript and "conv>b" not in noscript
