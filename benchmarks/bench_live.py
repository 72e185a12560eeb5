"""The live page's speed: the network run in headless Chromium against Keras in Python.

The course network is exported with ``interp.export_live`` to a standalone page, opened in
the system Chromium (Playwright), and timed there: the forward pass (``run``), the forward
pass with the input gradient (``saliency``), and one whole update of the view as a stroke
is drawn (the forward pass, the gradient, every map, the bars and the saliency redrawn;
``interpLive.timings()``). The peer, measured in the same run on the same image: Keras's
direct call ``model(image)`` and ``interp.saliency`` on one image in Python. Medians of many runs.

Run with ``nox -s bench -- live``. Machine: the project's 2-core, shared runner.

The runtime was chosen by measuring candidates in headless Chromium on this machine
(forward pass plus the input gradient of one class, one 28x28 image, median):
interp-live.js (plain loops, no dependency) 1.6 ms, 54 KiB of script and style;
TensorFlow.js 4.22 (npm ``@tensorflow/tfjs``, ``tf.min.js`` 1,469,843 bytes) 6.9 ms on
its CPU backend and 28.9 ms on WebGL (software rendering without a GPU). onnxruntime-web
(which would add WebAssembly files to the page) was not tried.
"""

import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

import interp

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times)


def main() -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("bench_live: Playwright is not installed (pip install playwright); skipped")
        return
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    model = interp.trained_model(verbose=False)
    _, (x_test, y_test) = interp.load_fashion_mnist()
    image = x_test[:1]
    folder = Path(tempfile.mkdtemp(prefix="bench-live-"))
    start = time.perf_counter()
    view = interp.export_live(model, x_test[:30, :, :, 0], y_test[:30], interp.CLASS_NAMES,
                              folder, static=False)
    export_s = time.perf_counter() - start
    import keras

    model(image, training=False)  # traced once
    keras_forward = median_ms(
        lambda: keras.ops.convert_to_numpy(model(image, training=False)), 50)
    keras_saliency = median_ms(lambda: interp.saliency(model, image), 50)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(view.path.as_uri())
        page.evaluate("window.interpLive.ready.then(() => true)")
        found = page.evaluate("""(p) => {
            const px = Float32Array.from(p);
            const time = (fn, n) => { const t = []; for (let i = 0; i < n; i++) {
                const s = performance.now(); fn(); t.push(performance.now() - s); }
                t.sort((a, b) => a - b); return t[Math.floor(n / 2)]; };
            return {run: time(() => interpLive.run(px), 300),
                    saliency: time(() => interpLive.saliency(px), 300)}; }""",
                              image.ravel().tolist())
        canvas = page.locator("canvas.il-input")
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        before = len(page.evaluate("interpLive.timings()"))
        page.mouse.move(box["x"] + 30, box["y"] + 30)
        page.mouse.down()
        for i in range(150):
            page.mouse.move(box["x"] + 30 + (i % 50) * 4, box["y"] + 30 + (i // 50) * 60)
        page.mouse.up()
        updates = page.evaluate("interpLive.timings()")[before:]
        version = browser.version
        browser.close()
    update = statistics.median(updates)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; Chromium {version}")
    print(f"export_live: {export_s:.2f} s; the view adds {view.sizes['total'] / 1024:.0f} KiB "
          f"(script {view.sizes['runtime'] / 1024:.0f}, model {view.sizes['model'] / 1024:.0f}, "
          f"images {view.sizes['images'] / 1024:.0f})")
    print("median per image (ms)        page    Keras   page/Keras")
    print(f"  forward                  {found['run']:7.2f}  {keras_forward:7.2f}  "
          f"{found['run'] / keras_forward:9.2f}")
    print(f"  forward + input gradient {found['saliency']:7.2f}  {keras_saliency:7.2f}  "
          f"{found['saliency'] / keras_saliency:9.2f}")
    print(f"  one update of the view   {update:7.2f}  (over {len(updates)} strokes; "
          f"budget 16 ms: {update / 16:.2f} of it)")
    shutil.rmtree(folder, ignore_errors=True)
    assert np.isfinite(update)


if __name__ == "__main__":
    main()
