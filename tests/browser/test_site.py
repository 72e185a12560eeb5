"""The built site, opened in headless Chromium: images load, the example page shows its
figures and downloads, the API page links to its examples, the dark theme renders.

Run with ``nox -s browser`` after ``nox -s docs``. Screenshots go to
``artifacts/screenshots/``.
"""

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "docs" / "_build" / "html"
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
EXAMPLE = "auto_examples/chapter/05_kernel_responses.html"


def _chromium() -> str:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("Chromium not found: apt-get install chromium, or set CHROMIUM=/path/to/it")


@pytest.fixture(scope="module")
def site():
    if not (HTML / "index.html").exists():
        pytest.fail(f"no built site at {HTML}: run `nox -s docs` first")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(HTML))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _open(browser, url, scheme="light"):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url}: HTTP {response and response.status}"
    return page, errors


def _images(page):
    return page.eval_on_selector_all(
        "img", "imgs => imgs.map(i => ({src: i.currentSrc || i.src, ok: i.complete && "
        "i.naturalWidth > 0, cls: i.className}))")


def _assert_all_loaded(images, url):
    broken = [image["src"] for image in images if not image["ok"]]
    assert not broken, f"{url}: images that did not load: {broken}"


def test_landing_page(site, browser):
    page, errors = _open(browser, site + "index.html")
    images = _images(page)
    assert images, "the landing page should show the build's figure"
    _assert_all_loaded(images, "index.html")
    assert page.locator("a[href*='auto_examples/index.html']").count() > 0
    assert page.locator("a[href*='api.html']").count() > 0
    page.screenshot(path=SHOTS / "landing.png", full_page=True)
    assert errors == []


def test_gallery_index(site, browser):
    page, errors = _open(browser, site + "auto_examples/index.html")
    thumbs = page.locator(".sphx-glr-thumbcontainer")
    examples = sorted((ROOT / "examples").glob("*/[0-9][0-9]_*.py"))
    assert thumbs.count() == len(examples) >= 12
    images = _images(page)
    _assert_all_loaded(images, "gallery index")
    assert page.locator("a[href$='.zip']").count() >= 2  # download-all .py and .ipynb
    page.screenshot(path=SHOTS / "gallery.png", full_page=True)
    assert errors == []


def test_example_page_figures_and_downloads(site, browser):
    page, errors = _open(browser, site + EXAMPLE)
    figures = [i for i in _images(page) if "sphx-glr" in i["cls"]]
    assert len(figures) >= 2, f"expected the page's two figures, found {figures}"
    _assert_all_loaded(_images(page), EXAMPLE)
    for suffix in (".py", ".ipynb", ".zip"):
        links = page.locator(f"a[href$='{suffix}']")
        assert links.count() >= 1, f"no {suffix} download link"
    sidebar = page.locator(".bd-sidebar-secondary a[href$='.ipynb']")
    assert sidebar.count() >= 1, "the notebook download should be in the secondary sidebar"
    assert "kernel" in page.locator("pre").first.inner_text() or page.locator(
        "div.sphx-glr-script-out").count() > 0
    page.screenshot(path=SHOTS / "example.png", full_page=True)
    assert errors == []


def test_api_page_links_to_examples(site, browser):
    page, errors = _open(browser, site + "generated/interp.convolve.html")
    assert "Examples using" in page.content()
    hrefs = page.eval_on_selector_all(".sphx-glr-thumbcontainer a, a.sphx-glr-backref-instance",
                                      "links => links.map(a => a.getAttribute('href'))")
    examples = {href for href in hrefs if href and "auto_examples/" in href}
    assert any("07_convolution_is_the_network" in href for href in examples), examples
    assert any("05_kernel_responses" in href for href in examples), examples
    _assert_all_loaded(_images(page), "interp.convolve")
    page.screenshot(path=SHOTS / "api-convolve.png", full_page=True)
    assert errors == []


def test_animation_page(site, browser):
    page, errors = _open(browser, site + "auto_examples/inside/12_kernel_evolution.html")
    # matplotlib's JavaScript animation: a frame image and its player controls
    assert page.locator(".animation img, img[id^='_anim_img']").count() >= 1
    assert page.locator(".anim-buttons button, .anim-controls button").count() >= 3
    _assert_all_loaded(_images(page), "12_kernel_evolution")
    page.screenshot(path=SHOTS / "animation.png", full_page=False)
    assert errors == []


def test_dark_theme(site, browser):
    # the site's default mode is "auto": a reader whose system prefers dark gets dark
    page, errors = _open(browser, site + EXAMPLE, scheme="dark")
    page.wait_for_timeout(200)
    theme = page.evaluate("document.documentElement.dataset.theme")
    assert theme == "dark"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    channels = [int(v) for v in background[background.index("(") + 1:-1].split(",")[:3]]
    assert sum(channels) / 3 < 80, f"dark theme background is {background}"
    assert page.locator("button.theme-switch-button, .theme-switch-button").count() >= 1
    _assert_all_loaded(_images(page), EXAMPLE + " (dark)")
    page.screenshot(path=SHOTS / "example-dark.png", full_page=False)
    assert errors == []
