"""The page "The network, live", opened from the file system in headless Chromium.

What the page computes is held to Keras, computed here in the test process on the same
cached model: every layer's outputs, the values before each activation (copies of the
layers with ``activation=None``) and the probabilities for 20 real test images and 5
strokes, the saliency against :func:`interp.saliency`, an edited kernel's response against
:func:`interp.convolve`, the arithmetic under the pointer against numpy. Then the page is
driven as a reader drives it (a picked image, a stroke drawn with the mouse and with a
finger, an edited weight, a hovered pixel, the before/after switch, an opened PNG and
JPEG, every suggestion), and in each state the maps drawn on the canvases must be the
colours of what ``run`` returns, before or after the ReLU as the switch says.
Screenshots at 1400 and 390 px go to ``artifacts/screenshots/live-*.png``. Any console
error or request to another host fails. Run with ``nox -s browser`` after ``nox -s docs``.
"""

import base64
import hashlib
import json
import os
import re
import statistics
from pathlib import Path

import numpy as np
import pytest
from launch import CHROMIUM_ARGS, chromium_path  # tests/browser/launch.py

sync_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "docs" / "_build" / "html"
PAGE = HTML / "auto_examples" / "inside" / "13_network_live.html"
SHOTS = ROOT / "artifacts" / "screenshots"
LAYERS = ["conv1", "conv2", "flatten", "dense"]
WIDE, PHONE = 1400, 390


# ---- the Keras side ---------------------------------------------------------------------------
def strokes(n: int = 5) -> np.ndarray:
    """Stroke-like images: soft lines of several widths and angles, as a brush draws them."""
    rng = np.random.default_rng(18)
    yy, xx = np.mgrid[0:28, 0:28] + 0.5
    out = np.zeros((n, 28, 28), np.float32)
    for i in range(n):
        for _ in range(2 + i % 2):
            (x0, y0), (x1, y1) = rng.uniform(3, 25, size=(2, 2))
            radius = rng.uniform(0.8, 2.0)
            t = np.clip(((xx - x0) * (x1 - x0) + (yy - y0) * (y1 - y0))
                        / max((x1 - x0) ** 2 + (y1 - y0) ** 2, 1e-9), 0, 1)
            d = np.hypot(xx - (x0 + t * (x1 - x0)), yy - (y0 + t * (y1 - y0)))
            out[i] = np.maximum(out[i], np.clip(radius + 0.5 - d, 0, 1))
    return np.round(out * 255) / 255


@pytest.fixture(scope="module")
def keras_side():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import interp

    model = interp.trained_model(verbose=False)
    _, (x_test, y_test) = interp.load_fashion_mnist()
    batch = np.concatenate([x_test[:20, :, :, 0], strokes()]).astype(np.float32)
    maps = interp.feature_maps(model, batch[..., np.newaxis], LAYERS)
    # before the activation: each layer copied by Keras with activation=None, run on the
    # output of the layer before it (the image for conv1)
    import keras

    before = {}
    for name, source in (("conv1", batch[..., np.newaxis]), ("conv2", maps["conv1"]),
                         ("dense", maps["flatten"])):
        layer = model.get_layer(name)
        bare = type(layer).from_config({**layer.get_config(), "activation": None})
        bare.build(source.shape)
        bare.set_weights(layer.get_weights())
        before[name] = keras.ops.convert_to_numpy(bare(source))
    return {"interp": interp, "model": model, "x": x_test, "y": y_test, "batch": batch,
            "maps": maps, "before": before,
            "saliency": interp.saliency(model, batch[..., np.newaxis])}


# ---- the page ---------------------------------------------------------------------------------------
class Live:
    """One tab on the live page, refusing and recording requests that leave the file system."""

    def __init__(self, browser, width, *, touch=False, javascript=True, page=PAGE):
        if not page.exists():
            pytest.fail(f"no live page at {page}: run `nox -s docs` first")
        self.context = browser.new_context(viewport={"width": width, "height": 900},
                                           has_touch=touch, java_script_enabled=javascript)
        self.outside, self.errors = [], []
        self.context.route(lambda url: not url.startswith("file://"), self._refuse)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        self.page.on("console", lambda msg: self.errors.append(f"console: {msg.text}")
                     if msg.type == "error" else None)
        self.page.goto(page.as_uri(), wait_until="load")
        if javascript:
            self.page.evaluate("window.interpLive.ready.then(() => true)")

    def _refuse(self, route):
        self.outside.append(route.request.url)
        route.abort()

    def run(self, images: np.ndarray) -> list[dict]:
        return self.page.evaluate(
            """(images) => images.map((image) => {
                const r = interpLive.run(Float32Array.from(image));
                const outputs = {}, before = {};
                for (const [name, v] of Object.entries(r.outputs)) outputs[name] = Array.from(v);
                for (const [name, v] of Object.entries(r.before)) before[name] = Array.from(v);
                return {outputs, before, probabilities: Array.from(r.probabilities)};
            })""", [image.ravel().tolist() for image in images])

    def modes(self) -> dict[str, str]:
        """What each layer's maps show, as the switch says: "before" or "after"."""
        return self.page.evaluate("""() => Object.fromEntries(Array.from(document.querySelectorAll(
            'input.il-mode-radio:checked')).map((r) => [r.dataset.layer, r.value]))""")

    def pixels(self) -> np.ndarray:
        """The input as the page holds it: the input canvas, 8-bit gray."""
        data = self.page.evaluate("""() => { const c = document.querySelector('canvas.il-input');
            return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data); }""")
        return np.array(data, np.float32).reshape(28, 28, 4)[:, :, 0] / 255

    def drawn(self) -> dict[str, np.ndarray]:
        """The RGB of every map canvas, per layer: (channels, h, w, 3)."""
        found = self.page.evaluate("""() => {
            const out = {};
            for (const c of document.querySelectorAll('canvas[data-layer]')) {
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height);
                (out[c.dataset.layer] = out[c.dataset.layer] || []).push(
                    {h: c.height, w: c.width, data: Array.from(d.data)});
            }
            const s = document.querySelector('canvas.il-saliency');
            out.saliency = [{h: s.height, w: s.width, data: Array.from(
                s.getContext('2d').getImageData(0, 0, s.width, s.height).data)}];
            return out; }""")
        return {name: np.array([np.array(m["data"]).reshape(m["h"], m["w"], 4)[..., :3]
                                for m in maps]) for name, maps in found.items()}

    def shot(self, name):
        SHOTS.mkdir(parents=True, exist_ok=True)
        width = self.page.viewport_size["width"]
        # the view alone, in a window tall enough to hold it below the theme's fixed header
        # (an element screenshot of a tall element stitches the header into it)
        size = dict(self.page.viewport_size)
        top, height = self.page.evaluate("""() => { const r = document.querySelector(
            '.interp-live').getBoundingClientRect(); return [r.top + window.scrollY, r.height]; }""")
        self.page.set_viewport_size({"width": width, "height": int(height) + 160})
        self.page.evaluate(f"window.scrollTo(0, {top - 120})")
        box = self.page.locator(".interp-live").bounding_box()
        self.page.screenshot(path=SHOTS / f"live-{name}-{width}.png", clip=box)
        self.page.set_viewport_size(size)

    def close(self):
        self.context.close()
        assert not self.outside, f"requests that left the file system: {self.outside}"
        assert not self.errors, self.errors


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def live(browser):
    tab = Live(browser, WIDE)
    yield tab
    tab.close()


def _colours(values: np.ndarray, scale: float) -> np.ndarray:
    """The page's documented colour mapping: RdBu_r entry round((v / m + 1) / 2 * 255)."""
    from interp.live import colormap

    index = np.clip(np.round((values / scale + 1) / 2 * 255), 0, 255).astype(int)
    return colormap()[index].astype(int), index


def _assert_drawn_as_run(tab: Live, state: str):
    """The canvases show the colours of what run() returns for the input the page holds."""
    from interp.live import colormap

    pixels = tab.pixels()
    result = tab.run(pixels[np.newaxis])[0]
    drawn = tab.drawn()
    table = colormap().astype(int)
    modes = tab.modes()
    assert set(modes) == {"conv1", "conv2"}, modes
    for name, shape in (("conv1", (26, 26, 5)), ("conv2", (24, 24, 15))):
        which = "before" if modes[name] == "before" else "outputs"
        values = np.array(result[which][name], np.float64).reshape(shape)
        scale = np.abs(values).max() or 1.0
        _, index = _colours(values, scale)
        index = np.moveaxis(index, -1, 0)
        got = drawn[name]
        assert got.shape == (shape[2], shape[0], shape[1], 3), (state, name, got.shape)
        # every canvas says what it shows, and the scale under the maps is the layer's
        assert set(tab.page.eval_on_selector_all(
            f"canvas[data-layer='{name}']", "cs => cs.map(c => c.dataset.mode)")) == {modes[name]}
        words = tab.page.locator(f".il-scale[data-layer='{name}']").inner_text()
        assert f"+{scale:.2f}" in words and f"{modes[name]} the ReLU" in words, (state, words)
        # equal to the colour of the value, allowing the neighbouring entry where a value
        # sits on a rounding boundary
        ok = np.zeros(index.shape, bool)
        for step in (-1, 0, 1):
            ok |= np.all(table[np.clip(index + step, 0, 255)] == got, axis=-1)
        assert ok.mean() == 1.0, (state, name, f"{(~ok).sum()} pixels differ")
    sal = np.array(tab.page.evaluate("(p) => Array.from(interpLive.saliency(Float32Array.from(p)))",
                                     pixels.ravel().tolist())).reshape(28, 28)
    _, index = _colours(sal, np.abs(sal).max() or 1.0)
    ok = np.zeros(index.shape, bool)
    for step in (-1, 0, 1):
        ok |= np.all(table[np.clip(index + step, 0, 255)] == drawn["saliency"][0], axis=-1)
    assert ok.mean() == 1.0, (state, "saliency", f"{(~ok).sum()} pixels differ")
    # the probability bars say what run() says
    shown = tab.page.locator(".il-bar .il-value").all_inner_texts()
    assert shown == [f"{100 * p:.1f}%" for p in result["probabilities"]], (state, shown)
    return pixels, result


# ---- what the page computes, against Keras -------------------------------------------------------
def test_every_layer_agrees_with_keras(live, keras_side):
    results = live.run(keras_side["batch"])
    worst = {}
    for name in LAYERS:
        expected = keras_side["maps"][name]
        got = np.array([r["outputs"][name] for r in results]).reshape(expected.shape)
        worst[name] = float(np.abs(got - expected).max())
    probabilities = np.array([r["probabilities"] for r in results])
    worst["probabilities"] = float(np.abs(probabilities - keras_side["maps"]["dense"]).max())
    # before the activation, against Keras's copies of the layers with activation=None
    assert all(set(r["before"]) == {"conv1", "conv2", "dense"} for r in results)
    for name, expected in keras_side["before"].items():
        got = np.array([r["before"][name] for r in results]).reshape(expected.shape)
        worst[f"{name} before"] = float(np.abs(got - expected).max())
    assert keras_side["before"]["conv1"].min() < -0.1, "the test images give negative values"
    print("\nmax |page - Keras| over 20 test images and 5 strokes: " + ", ".join(
        f"{name} {value:.1e}" for name, value in worst.items()))
    assert max(worst.values()) <= 1e-4, worst
    assert live.page.evaluate("interpLive.layers()") == [
        {"name": "input", "type": "input", "shape": [28, 28, 1]},
        {"name": "conv1", "type": "conv2d", "shape": [26, 26, 5]},
        {"name": "conv2", "type": "conv2d", "shape": [24, 24, 15]},
        {"name": "flatten", "type": "identity", "shape": [8640]},
        {"name": "dense", "type": "dense", "shape": [10]}]


def test_saliency_agrees_with_interp_saliency(live, keras_side):
    got = np.array(live.page.evaluate(
        "(images) => images.map((p) => Array.from(interpLive.saliency(Float32Array.from(p))))",
        [image.ravel().tolist() for image in keras_side["batch"]])).reshape(-1, 28, 28)
    expected = keras_side["saliency"]
    relative = np.abs(got - expected).max(axis=(1, 2)) / np.abs(expected).max(axis=(1, 2))
    print(f"\nsaliency: max |page - interp.saliency| / max |interp.saliency| = "
          f"{relative.max():.1e} (25 images)")
    assert relative.max() <= 1e-3, relative


def test_an_edited_kernel_agrees_with_convolve(live, keras_side):
    interp = keras_side["interp"]
    model = keras_side["model"]
    layer = interp.pick_layer(model, "conv1")
    kernels, bias = interp.get_kernels(layer)
    image = keras_side["x"][7, :, :, 0]
    weights = np.array([[0.5, -1.0, 0.25], [1.5, 0.0, -0.75], [-0.3, 0.8, 0.1]], np.float32)
    try:
        live.page.evaluate("(w) => interpLive.setKernel('conv1', 2, Float32Array.from(w))",
                           weights.ravel().tolist())
        result = live.run(image[np.newaxis])[0]
    finally:
        live.page.evaluate("interpLive.resetKernels()")
    got = np.array(result["outputs"]["conv1"]).reshape(26, 26, 5)
    expected = np.maximum(interp.convolve(image, weights) + bias[2], 0)
    assert np.abs(got[:, :, 2] - expected).max() <= 1e-5
    # the other kernels are untouched, and the prediction is Keras's with the edited weights
    trained = np.maximum(interp.convolve(image[..., np.newaxis], kernels) + bias, 0)
    assert np.abs(np.delete(got, 2, axis=-1) - np.delete(trained, 2, axis=-1)).max() <= 1e-5
    import keras

    edited = keras.models.clone_model(model)
    edited.set_weights(model.get_weights())
    changed = kernels.copy()
    changed[:, :, 0, 2] = weights
    edited.get_layer("conv1").set_weights([changed, bias])
    probabilities = edited.predict(image[np.newaxis, :, :, np.newaxis], verbose=0)[0]
    assert np.abs(np.array(result["probabilities"]) - probabilities).max() <= 1e-4
    # reset restores the trained weights
    again = live.run(image[np.newaxis])[0]
    assert np.abs(np.array(again["outputs"]["conv1"]).reshape(26, 26, 5) - trained).max() <= 1e-5
    # bad arguments are refused with a message naming the call
    message = live.page.evaluate("""() => { try { interpLive.setKernel('conv1', 9,
        new Float32Array(9)); } catch (e) { return e.message; } }""")
    assert message.startswith("interpLive.setKernel: index must be a kernel of conv1, 0..4")


def test_inspect_is_the_arithmetic_in_numpy(live, keras_side):
    interp = keras_side["interp"]
    model = keras_side["model"]
    image = keras_side["x"][11, :, :, 0]
    live.run(image[np.newaxis])
    k1, b1 = interp.get_kernels(interp.pick_layer(model, "conv1"))
    k2, b2 = interp.get_kernels(interp.pick_layer(model, "conv2"))
    conv1 = np.maximum(interp.convolve(image[..., np.newaxis], k1) + b1, 0)
    # a pixel where the ReLU acts: the most negative of map 3 before it
    pre = interp.convolve(image[..., np.newaxis], k1[..., 3]) + b1[3]
    lowest = np.unravel_index(int(np.argmin(pre)), pre.shape)
    assert pre[lowest] < -0.1
    for layer, source, kernels, bias, (row, col, k) in (
            ("conv1", image[..., np.newaxis], k1, b1, (9, 13, 3)),
            ("conv1", image[..., np.newaxis], k1, b1, (*lowest, 3)),
            ("conv1", image[..., np.newaxis], k1, b1, (0, 25, 0)),
            ("conv2", conv1, k2, b2, (12, 7, 10))):
        found = live.page.evaluate(
            f"""() => {{ const r = interpLive.inspect('{layer}', {row}, {col}, {k});
            return {{patch: Array.from(r.patch), products: Array.from(r.products), sum: r.sum,
                    bias: r.bias, before: r.before, value: r.value}}; }}""")
        patch = source[row:row + 3, col:col + 3, :]
        products = patch * kernels[:, :, :, k]
        assert np.abs(np.array(found["patch"]) - patch.ravel()).max() <= 1e-6
        assert np.abs(np.array(found["products"]) - products.ravel()).max() <= 1e-6
        assert abs(found["sum"] - products.sum()) <= 1e-5
        assert abs(found["bias"] - bias[k]) <= 1e-7
        assert abs(found["before"] - (products.sum() + bias[k])) <= 1e-5
        assert abs(found["value"] - max(products.sum() + bias[k], 0)) <= 1e-5
        assert abs(found["value"] - keras_side["interp"].feature_maps(
            model, image[np.newaxis, :, :, np.newaxis], layer)[layer][0, row, col, k]) <= 1e-4


# ---- the page as a reader drives it ------------------------------------------------------------------
def _map_point(tab, layer, channel, row, col):
    canvas = tab.page.locator(f"canvas[data-layer='{layer}'][data-channel='{channel}']")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    size = 26 if layer == "conv1" else 24
    return box["x"] + (col + 0.5) * box["width"] / size, box["y"] + (row + 0.5) * box["height"] / size


def _draw(tab, points):
    canvas = tab.page.locator("canvas.il-input")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    xy = [(box["x"] + x / 28 * box["width"], box["y"] + y / 28 * box["height"]) for x, y in points]
    tab.page.mouse.move(*xy[0])
    tab.page.mouse.down()
    for point in xy[1:]:
        tab.page.mouse.move(*point, steps=4)
    tab.page.mouse.up()


@pytest.mark.parametrize("width", [WIDE, PHONE])
def test_the_reader_drives_the_page(browser, keras_side, width):
    interp = keras_side["interp"]
    tab = Live(browser, width)
    page = tab.page
    # 1. a picked image: the fourth pick is the first trouser of the test set
    page.locator("button.il-pick").nth(3).click()
    pixels, _ = _assert_drawn_as_run(tab, "picked")
    trouser = keras_side["x"][int(interp.images_of(keras_side["y"], "Trouser")[0]), :, :, 0]
    assert np.array_equal(pixels, trouser)
    tab.shot("picked")
    # 2. a stroke drawn with the mouse on the cleared canvas
    page.get_by_role("button", name="Clear").click()
    _draw(tab, [(8, 4), (9, 12), (10, 24)])
    pixels, _ = _assert_drawn_as_run(tab, "drawn")
    assert pixels.sum() > 20 and pixels[:, :6].sum() == 0, "the stroke is where it was drawn"
    tab.shot("drawn")
    # 3. an edited weight: the page's conv1 map 0 is the convolution with the edited kernel
    field = page.locator(".il-kernel input").nth(4)
    field.fill("2.5")
    pixels, result = _assert_drawn_as_run(tab, "edited")
    kernels, bias = interp.get_kernels(interp.pick_layer(keras_side["model"], "conv1"))
    edited = kernels[:, :, 0, 0].copy()
    edited[1, 1] = 2.5
    expected = np.maximum(interp.convolve(pixels, edited) + bias[0], 0)
    got = np.array(result["outputs"]["conv1"]).reshape(26, 26, 5)[:, :, 0]
    assert np.abs(got - expected).max() <= 1e-5
    tab.shot("edited")
    page.get_by_role("button", name="Reset to the trained weights").click()
    assert page.locator(".il-kernel input").nth(4).input_value() == f"{round(float(kernels[1, 1, 0, 0]), 3):g}"
    # 4. a hovered pixel of conv1 map 3 on the first sneaker, one where the ReLU acts: the
    # panel's steps are inspect()'s numbers, and the step the map shows is marked, with
    # the colour of that pixel on the map, before the ReLU (the default) and after it
    page.locator("button.il-pick").nth(21).click()
    shoe = tab.pixels()
    pre = interp.convolve(shoe, kernels[:, :, 0, 3]) + bias[3]
    row, col = (int(v) for v in np.unravel_index(int(np.argmin(pre)), pre.shape))
    assert pre[row, col] < -0.1
    page.mouse.move(*_map_point(tab, "conv1", 3, row, col))
    panel = page.locator(".il-inspect")
    assert f"conv1, map 3, row {row}, column {col}" in panel.inner_text()
    found = page.evaluate(f"() => {{ const r = interpLive.inspect('conv1', {row}, {col}, 3); "
                          "return {sum: r.sum, bias: r.bias, before: r.before, value: r.value}; }")
    assert found["before"] < 0 and found["value"] == 0
    assert len(panel.locator("table.il-products td").all()) == 9
    patch = page.locator(".il-patch")
    assert patch.is_visible()
    box, canvas = patch.bounding_box(), page.locator("canvas.il-input").bounding_box()
    assert abs(box["x"] - (canvas["x"] + col / 28 * canvas["width"])) < 2
    assert abs(box["width"] - 3 / 28 * canvas["width"]) < 2
    for mode in ("before", "after"):
        if mode == "after":
            page.locator("label[for='il-mode-conv1-after']").click()
        steps = [(r.locator("th").inner_text(), r.locator("td.il-num").inner_text(),
                  r.get_attribute("class"), r.get_attribute("data-mode"))
                 for r in panel.locator("tr.il-step").all()]
        numbers = [float(number.replace("\u2212", "-")) for _, number, _, _ in steps]
        expected = [found["sum"], found["bias"], found["before"], found["value"]]
        assert [f"{v:+.3f}" for v in numbers] == [f"{v:+.3f}" for v in expected], steps
        marked = [step for step in steps if "il-shown" in step[2]]
        assert len(marked) == 1 and marked[0][3] == mode, (mode, steps)
        _, result = _assert_drawn_as_run(tab, f"hovered, {mode} the ReLU")
        shown = np.array(result["before" if mode == "before" else "outputs"]["conv1"])
        assert abs(shown.reshape(26, 26, 5)[row, col, 3] - numbers[2 if mode == "before" else 3]) <= 5e-4
        swatch = panel.locator("tr.il-shown .il-swatch").evaluate(
            "s => getComputedStyle(s).backgroundColor")
        on_map = tab.drawn()["conv1"][3, row, col]
        assert swatch == f"rgb({on_map[0]}, {on_map[1]}, {on_map[2]})", (mode, swatch, on_map)
        tab.shot("hovered" if mode == "before" else "hovered-after")
    page.locator("label[for='il-mode-conv1-before']").click()
    page.locator("canvas[data-layer='conv1'][data-channel='3']").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    assert f"row {row + 1}, column {col + 1}" in panel.inner_text()
    if width == PHONE:
        # nothing scrolls sideways, and the maps wrap onto several rows
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
        tops = page.eval_on_selector_all("canvas[data-layer='conv2']",
                                         "cs => cs.map(c => Math.round(c.getBoundingClientRect().top))")
        assert len(set(tops)) >= 2, tops
    tab.close()


def test_a_finger_draws_on_a_phone(browser):
    tab = Live(browser, PHONE, touch=True)
    page = tab.page
    page.get_by_role("button", name="Clear").click()
    canvas = page.locator("canvas.il-input")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    cdp = tab.context.new_cdp_session(page)
    points = [(box["x"] + box["width"] * f, box["y"] + box["height"] * (0.2 + 0.6 * f))
              for f in np.linspace(0.2, 0.8, 12)]
    scroll = page.evaluate("window.scrollY")
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart",
                                          "touchPoints": [{"x": points[0][0], "y": points[0][1]}]})
    for x, y in points[1:]:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    pixels, _ = _assert_drawn_as_run(tab, "touch")
    assert pixels.sum() > 10, "the finger drew nothing"
    assert page.evaluate("window.scrollY") == scroll, "drawing scrolled the page"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    tab.shot("touch")
    tab.close()


def test_an_opened_png_and_jpeg_are_converted_as_load_images_does(browser, keras_side, tmp_path):
    from PIL import Image

    tab = Live(browser, WIDE)
    # an RGB photo-like image of another size: a test image enlarged, tinted, with noise
    source = keras_side["x"][5, :, :, 0]
    big = np.array(Image.fromarray((source * 255).astype(np.uint8)).resize((73, 100)))
    rng = np.random.default_rng(0)
    rgb = np.stack([big, big * 0.6, 255 - big], axis=-1) + rng.normal(0, 12, (100, 73, 3))
    rgb = np.clip(rgb, 0, 255).astype(np.uint8)
    png, jpeg = tmp_path / "photo.png", tmp_path / "photo.jpg"
    Image.fromarray(rgb).save(png)
    Image.fromarray(rgb).save(jpeg, quality=90)
    gaps = {}
    for path in (png, jpeg):
        tab.page.locator("input.il-file").set_input_files(str(path))
        tab.page.wait_for_function(f"document.querySelector('.il-status').textContent.includes('{path.name}')")
        from interp.images import load_images

        expected = load_images(path, keras_side["model"])[0][:, :, 0]
        pixels, _ = _assert_drawn_as_run(tab, path.suffix)
        gaps[path.suffix] = int(np.abs(np.round(pixels * 255) - np.round(expected * 255)).max())
    print(f"\nopened files vs interp.load_images, max difference in 8-bit levels: {gaps}")
    assert gaps[".png"] == 0, gaps
    assert gaps[".jpg"] <= 2, gaps
    tab.close()


NUMBER = re.compile(r"(?<![\w.])[-\u2212+]?\d+(?:\.\d+)?%?")


def _stated(text: str) -> list[tuple[float, float]]:
    """The numbers written in *text*, each with half a unit of its last digit."""
    found = []
    for token in NUMBER.findall(text):
        digits = token.rstrip("%").replace("\u2212", "-")
        decimals = len(digits.split(".")[1]) if "." in digits else 0
        found.append((float(digits), 0.5005 * 10.0 ** -decimals))
    return found


def _uncovered(text: str, checks: list[dict]) -> list[str]:
    """Numbers of *text* outside every check's ``says``."""
    spans = [(m.start(), m.end()) for check in checks if check.get("says")
             for m in re.finditer(re.escape(check["says"]), text)]
    return [m.group() for m in NUMBER.finditer(text)
            if not any(a <= m.start() and m.end() <= b for a, b in spans)]


def _check_in_page(tab: Live, suggestion: dict, check: dict, picks: np.ndarray, shape: dict):
    """Measure one claim in the page; return the quantities its ``says`` states."""
    page, kind = tab.page, check["kind"]
    if check.get("trained"):
        page.evaluate("interpLive.resetKernels()")
    pixels = picks[check["pick"]] if "pick" in check else tab.pixels()
    result = tab.run(pixels[np.newaxis])[0]
    if check.get("trained"):
        kernel = suggestion["kernel"]
        page.evaluate(f"(w) => interpLive.setKernel('{kernel['layer']}', {kernel['index']}, "
                      "Float32Array.from(w))", kernel["weights"])
    if kind in ("region", "extreme"):
        which = "before" if check["values"] == "before" else "outputs"
        values = np.array(result[which][check["layer"]]).reshape(shape[check["layer"]])
        values = values[:, :, check["channel"]]
    if kind == "region":
        (r0, r1), (c0, c1) = check["rows"], check["cols"]
        part = values[r0:r1, c0:c1]
        q = float(part.mean() if check["stat"] == "mean" else np.ptp(part))
        if "op" in check:
            assert {">": q > check["value"], "<": q < check["value"],
                    "<=": q <= check["value"]}[check["op"]], (check, q)
        return [q]
    if kind == "probability":
        p = result["probabilities"][check["class"]]
        return [100 * p if check["says"].endswith("%") or "%" in check["says"] else p]
    if kind == "predicted":
        assert int(np.argmax(result["probabilities"])) == check["class"], (check, result)
        return []
    if kind in ("inspect", "inspected"):
        found = page.evaluate(
            f"() => {{ const r = interpLive.inspect('{check['layer']}', {check['row']}, "
            f"{check['col']}, {check['channel']}); return {{sum: r.sum, bias: r.bias, "
            "before: r.before, value: r.value}; }")
        if kind == "inspect":
            return [found[check["field"]]]
        panel = page.locator(".il-inspect").inner_text()
        assert (f"{check['layer']}, map {check['channel']}, row {check['row']}, column "
                f"{check['col']}") in panel, panel
        return [check["channel"], check["row"], check["col"]]
    if kind == "extreme":
        at = np.unravel_index(int(np.argmin(values) if check["which"] == "min"
                                  else np.argmax(values)), values.shape)
        assert tuple(int(v) for v in at) == (check["row"], check["col"]), (check, at)
        return []
    if kind == "blank_rows":
        (r0, r1), source = check["rows"], picks[check["source"]]
        assert np.all(pixels[r0:r1] == 0) and np.all(source[r0:r1].max(axis=1) > 0.05)
        assert np.all(source[r1:] <= 0.05), "the erased rows were the lowest of the object"
        assert np.array_equal(np.delete(pixels, range(r0, r1), 0),
                              np.delete(source, range(r0, r1), 0))
        return [r1 - r0, r0, r1 - 1]
    if kind == "saliency_peak":
        sal = np.array(page.evaluate("(p) => Array.from(interpLive.saliency(Float32Array.from(p)))",
                                     pixels.ravel().tolist())).reshape(28, 28)
        peak = sal[check["row"], check["col"]]
        assert np.sign(peak) == check["sign"] and abs(peak) >= 0.999 * np.abs(sal).max()
        return [check["row"], check["col"]]
    if kind == "watched":
        cell = page.locator(f"canvas[data-layer='{check['layer']}']"
                            f"[data-channel='{check['channel']}']")
        assert "il-watched" in cell.evaluate("c => c.closest('figure').className")
        return [check["channel"]]
    pytest.fail(f"unknown check {kind}")


def test_every_suggestion_is_true(browser, keras_side):
    """Each suggestion, clicked, states only numbers the page computes: every number of its
    sentence is the ``says`` of a check, and each check is measured in the page."""
    tab = Live(browser, WIDE)
    data = json.loads(tab.page.locator("script.interp-live-data").text_content())
    suggestions = data["suggestions"]
    picks = np.array([np.frombuffer(base64.b64decode(p["pixels"]), np.uint8)
                      for p in data["picks"]]).reshape(-1, 28, 28) / np.float32(255)
    shape = {"conv1": (26, 26, 5), "conv2": (24, 24, 15)}
    assert len(suggestions) == 6
    checked = 0
    for i, suggestion in enumerate(suggestions):
        button = tab.page.locator("button.il-suggestion").nth(i)
        assert button.inner_text() == suggestion["text"]
        button.click()
        _assert_drawn_as_run(tab, f"suggestion {i}")
        modes = tab.modes()
        assert all(modes[name] == mode for name, mode in suggestion.get("modes", {}).items())
        assert _uncovered(suggestion["text"], suggestion["checks"]) == [], suggestion["text"]
        for check in suggestion["checks"]:
            quantities = _check_in_page(tab, suggestion, check, picks, shape)
            if check.get("says"):
                assert check["says"] in suggestion["text"], check
                stated = _stated(check["says"])
                assert len(stated) == len(quantities), (check, stated, quantities)
                for (number, half), q in zip(stated, quantities, strict=True):
                    assert abs(q - number) <= half, (suggestion["text"], check, q)
            checked += 1
        if i == 0:
            tab.shot("suggestion")
            tab.page.set_viewport_size({"width": PHONE, "height": 900})
            tab.shot("suggestion")
            tab.page.set_viewport_size({"width": WIDE, "height": 900})
    print(f"\n{checked} claims of {len(suggestions)} suggestions checked in the page")
    assert checked >= 24
    tab.close()


# ---- speed, weight, the contract, no JavaScript ---------------------------------------------------
def test_one_update_takes_under_16_ms(browser):
    tab = Live(browser, WIDE)
    page = tab.page
    page.locator("button.il-pick").nth(0).click()
    page.locator("canvas.il-input").scroll_into_view_if_needed()
    box = page.locator("canvas.il-input").bounding_box()
    page.evaluate("interpLive.timings().length")
    before = len(page.evaluate("interpLive.timings()"))
    page.mouse.move(box["x"] + 20, box["y"] + 20)
    page.mouse.down()
    for i in range(60):
        page.mouse.move(box["x"] + 20 + 3 * i, box["y"] + 20 + 2 * (i % 30))
    page.mouse.up()
    timings = page.evaluate("interpLive.timings()")[before:]
    assert len(timings) >= 50, len(timings)
    median = statistics.median(timings)
    print(f"\none update (stroke, forward, gradient, every map, bars, saliency redrawn): "
          f"median {median:.2f} ms over {len(timings)} updates, "
          f"90th percentile {np.percentile(timings, 90):.2f} ms")
    assert median <= 16, timings
    tab.close()


def test_the_page_ships_its_checksummed_script_and_weights(live):
    page = live.page
    root = page.locator(".interp-live")
    script = page.evaluate("document.querySelector('.interp-live > script:not([type])').textContent")
    source = (ROOT / "interp" / "live" / "static" / "interp-live.js").read_text()
    assert script.strip() == source.strip(), "the page's script is interp/live/static/interp-live.js"
    assert root.get_attribute("data-runtime-sha256") == hashlib.sha256(source.encode()).hexdigest()
    data = json.loads(page.locator("script.interp-live-data").text_content())
    weights = base64.b64decode(data["weights"])
    assert root.get_attribute("data-weights-sha256") == hashlib.sha256(weights).hexdigest()
    assert "BSD-3-Clause" in source.splitlines()[1]
    html = PAGE.read_text()
    print(f"\npage weight: {PAGE.stat().st_size / 1024:.0f} KiB HTML, of which the script "
          f"{len(source.encode()) / 1024:.0f} KiB, the weights {len(data['weights']) / 1024:.0f}"
          f" KiB (base64), the images {sum(len(p['pixels']) for p in data['picks']) / 1024:.0f} KiB")
    assert PAGE.stat().st_size <= 3 * 2**20
    assert not re.search(r'<script[^>]+src="https?://', html)


def test_every_control_has_a_label(live):
    unnamed = live.page.evaluate("""() => Array.from(document.querySelectorAll(
        '.interp-live button, .interp-live input, .interp-live select, .interp-live canvas[tabindex]'))
        .filter((e) => !(e.getAttribute('aria-label') || e.textContent.trim()
            || (e.id && document.querySelector(`label[for="${e.id}"]`)) || e.closest('label')))
        .map((e) => e.outerHTML.slice(0, 80))""")
    assert not unnamed, unnamed


def test_without_javascript_the_page_shows_static_figures(browser):
    tab = Live(browser, WIDE, javascript=False)
    image = tab.page.locator(".interp-live noscript img, .interp-live img.il-static")
    assert image.count() == 1
    assert tab.page.evaluate("document.querySelector('img.il-static').naturalWidth") > 300
    assert tab.page.locator(".il-ui").count() == 0
    tab.shot("no-javascript")
    tab.close()


# ---- interp report on a user's model -----------------------------------------------------------
RGB_REPORT = ROOT / "artifacts" / "reports" / "rgb" / "index.html"
RGB_MODEL = ROOT / "artifacts" / "reports" / "rgb.keras"


def test_the_live_report_of_an_rgb_model_agrees_with_keras(browser):
    """The report tests/test_cli.py writes for a Functional RGB model (BatchNormalization,
    a branch joined by Add, max and global pooling), its live view held to Keras."""
    if not (RGB_REPORT.exists() and RGB_MODEL.exists()):
        pytest.skip(f"no RGB report at {RGB_REPORT}: made by nox -s tests (tests/test_cli.py)")
    import keras

    import interp

    tab = Live(browser, WIDE, page=RGB_REPORT)
    data = json.loads(tab.page.locator("script.interp-live-data").text_content())
    picks = np.array([np.frombuffer(base64.b64decode(p["pixels"]), np.uint8)
                      for p in data["picks"]]).reshape(-1, 16, 16, 3) / np.float32(255)
    assert len(picks) == 7 and data["classes"] == ["red", "green", "blue", "white"]
    model = keras.saving.load_model(RGB_MODEL)
    layers = [layer["name"] for layer in tab.page.evaluate("interpLive.layers()")][1:]
    assert layers == [layer.name for layer in model.layers[1:]]
    expected = interp.feature_maps(model, picks.astype(np.float32), layers)
    results = tab.page.evaluate(
        """(images) => images.map((image) => {
            const r = interpLive.run(Float32Array.from(image));
            const outputs = {};
            for (const [name, v] of Object.entries(r.outputs)) outputs[name] = Array.from(v);
            return {outputs, probabilities: Array.from(r.probabilities)};
        })""", [p.ravel().tolist() for p in picks])
    worst = {name: float(np.abs(np.array([r["outputs"][name] for r in results]).reshape(
        expected[name].shape) - expected[name]).max()) for name in layers}
    probabilities = model.predict(picks, verbose=0)
    worst["probabilities"] = float(np.abs(np.array([r["probabilities"] for r in results])
                                          - probabilities).max())
    print("\nRGB report, max |page - Keras| over its 7 images: " + ", ".join(
        f"{name} {value:.1e}" for name, value in worst.items()))
    assert max(worst.values()) <= 1e-4, worst
    got = np.array(tab.page.evaluate(
        "(images) => images.map((p) => Array.from(interpLive.saliency(Float32Array.from(p))))",
        [p.ravel().tolist() for p in picks])).reshape(-1, 16, 16)
    sal = interp.saliency(model, picks.astype(np.float32))
    relative = np.abs(got - sal).max(axis=(1, 2)) / np.abs(sal).max(axis=(1, 2))
    assert relative.max() <= 1e-3, relative
    assert tab.page.evaluate("document.documentElement.scrollWidth") <= WIDE
    tab.shot("report-rgb")
    tab.close()
