"""The built site, opened in headless Chromium, every page of it.

Every HTML page is visited at 1400 px: it must load, ask no other host for anything,
log no console error, show all its images, have no code or output block that
scrolls sideways or has a line running past its box, pass an axe-core audit with no
serious or critical violation, and give every image an alt text that says what it
shows (tests/browser/axe_audit.py). Every example page, and the main
pages, are screenshotted at 1400 px and 390 px into ``artifacts/screenshots/``; at
390 px no printed output is wrapped or hidden in an inner scroll area, and every
figure opens at full size when tapped. Then the particular features: downloads,
notebooks whose links point to the hosted site, the animation player (which fits a
phone), the dark theme, "Examples using" mini-galleries, math, copy buttons, citations,
the grouped API sidebar, the computation-times page.

Run with ``nox -s browser`` after ``nox -s docs``. The crawl of every page (at 1400 px, and
the example and main pages at 390 px) runs in two Chromiums at once
(``INTERP_BROWSER_JOBS``); the other tests share one browser.
"""

import functools
import http.server
import io
import json
import os
import re
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from launch import CHROMIUM_ARGS, chromium_path  # tests/browser/launch.py

sync_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("axe_playwright_python")

import axe_audit  # noqa: E402  (tests/browser/axe_audit.py)

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "docs" / "_build" / "html"
SHOTS = ROOT / "artifacts" / "screenshots"
EXAMPLES = sorted((ROOT / "examples").glob("*/[0-9][0-9]_*.py"))
EXAMPLE_PAGES = [f"auto_examples/{p.parent.name}/{p.stem}.html" for p in EXAMPLES]
PARTS = sorted({p.parent.name for p in EXAMPLES})
EXAMPLE = "auto_examples/chapter/05_kernel_responses.html"
# the pages every build must have, besides the examples and the API pages
MAIN_PAGES = {
    "landing": "index.html",
    "gallery": "auto_examples/index.html",
    "api": "api.html",
    "api-convolve": "generated/interp.convolve.html",
    "references": "references.html",
    "contributing": "contributing.html",
    "cli": "cli.html",
    "backends": "backends.html",
    "times": "sg_execution_times.html",
}
WIDE, PHONE = 1400, 390
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site():
    if not (HTML / "index.html").exists():
        pytest.fail(f"no built site at {HTML}: run `nox -s docs` first")
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Tab:
    """One browser tab that records what each page it opens asks for and complains about."""

    def __init__(self, browser, width, scheme="light"):
        self.context = browser.new_context(viewport={"width": width, "height": 900},
                                           color_scheme=scheme)
        self.page = self.context.new_page()
        self.outside, self.errors = [], []
        # requests to other hosts are recorded and refused at once: offline, they would
        # only time out, and the site must not need them
        self.context.route(lambda url: urlsplit(url).scheme in ("http", "https")
                           and urlsplit(url).hostname not in LOCAL_HOSTS, self._refuse)
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        self.page.on("console", lambda msg: self.errors.append(f"console: {msg.text}")
                     if msg.type == "error" else None)

    def _refuse(self, route):
        self.outside.append(route.request.url)
        route.abort()

    def open(self, url):
        self.outside.clear()
        self.errors.clear()
        response = self.page.goto(url, wait_until="load")
        assert response is not None and response.ok, f"{url}: HTTP {response and response.status}"
        return self.page

    def close(self):
        self.context.close()


def _images(page):
    return page.eval_on_selector_all(
        "img", "imgs => imgs.map(i => ({src: i.currentSrc || i.src, ok: i.complete && "
        "i.naturalWidth > 0, cls: i.className}))")


def _broken_images(page):
    return [image["src"] for image in _images(page) if not image["ok"]]


# blocks of code (and printed output) wider than their box
SIDEWAYS = """() => Array.from(document.querySelectorAll(
    'div.highlight pre, .sphx-glr-script-out pre')).filter(
    pre => pre.scrollWidth > pre.clientWidth + 1).map(pre => ({
    text: pre.innerText.split('\\n').reduce((a, b) => a.length >= b.length ? a : b, ''),
    scroll: pre.scrollWidth, client: pre.clientWidth}))"""


# lines whose text runs past the right edge of their box's content area (into the padding
# or beyond the border), even when the box does not scroll: a cut code line
CUT_LINES = """() => Array.from(document.querySelectorAll(
    'div.highlight pre, .sphx-glr-script-out pre')).flatMap(pre => {
    const style = getComputedStyle(pre);
    const box = pre.getBoundingClientRect();
    const inner = box.left + pre.clientLeft + pre.clientWidth
        - parseFloat(style.paddingRight) - pre.scrollLeft;
    const range = document.createRange();
    range.selectNodeContents(pre);
    const right = Math.max(box.left, ...Array.from(range.getClientRects()).map(r => r.right));
    return right > inner + 1 ? [{text: pre.innerText.split('\\n').reduce(
        (a, b) => a.length >= b.length ? a : b, ''), right: right, inner: inner}] : [];
})"""


# how many rows the visible breadcrumbs take
BREADCRUMB_ROWS = """() => new Set(Array.from(document.querySelectorAll(
    'ul.bd-breadcrumbs li.breadcrumb-item')).filter(li => li.offsetParent !== null).map(
    li => Math.round(li.getBoundingClientRect().top))).size"""


# printed lines longer than the gallery's limit (they would wrap mid-sentence)
OUTPUT_LIMIT = 88
LONG_OUTPUT = f"""() => Array.from(document.querySelectorAll('.sphx-glr-script-out pre')).flatMap(
    pre => pre.innerText.split('\\n')).filter(line => line.length > {OUTPUT_LIMIT})"""


def _shot_name(path: str) -> str:
    """landing, gallery, api, ... for the main pages; chapter-05_kernel_responses, ..."""
    main = {page: name for name, page in MAIN_PAGES.items()}
    return main.get(path) or path.removesuffix(".html").replace("auto_examples/", "").replace(
        "/", "-")


def _all_pages() -> list[str]:
    return sorted(p.relative_to(HTML).as_posix() for p in HTML.rglob("*.html")
                  if not p.relative_to(HTML).as_posix().startswith("_static/"))


# The crawl visits the pages in this many Chromiums at once (INTERP_BROWSER_JOBS
# overrides it). Most of its time is axe-core's JavaScript and the screenshots, one core
# per page: two browsers on two cores take about half as long as one.
CRAWL_JOBS = int(os.environ.get("INTERP_BROWSER_JOBS", min(2, os.cpu_count() or 1)))


def _visit(tab: Tab, site: str, path: str, screenshot: bool, code_styles: set) -> dict:
    """What the crawl finds on one page, opened in *tab* (axe-core's audit included)."""
    page = tab.open(site + path)
    if screenshot:
        page.screenshot(path=SHOTS / f"{_shot_name(path)}-{WIDE}.png", full_page=True)
    found = {
        "outside": list(tab.outside),
        "errors": list(tab.errors),
        "broken": _broken_images(page),
        "sideways": page.evaluate(SIDEWAYS),
        "cut": page.evaluate(CUT_LINES),
        "breadcrumb_rows": page.evaluate(BREADCRUMB_ROWS),
        "page_width": page.evaluate("document.documentElement.scrollWidth"),
        "long_output": page.evaluate(LONG_OUTPUT),
        "images": page.evaluate(axe_audit.IMAGES),
    }
    # After the page's own requests and messages are recorded: axe-core 4.12.1 asks
    # for a stylesheet's relative @import at the wrong address (the theme's
    # "../basic.css" against the page instead of the stylesheet), a 404 that is the
    # audit's, not the site's (dequelabs/axe-core issue 5268).
    start = time.perf_counter()
    found["axe"] = axe_audit.audit(page, code_styles)
    found["axe_seconds"] = time.perf_counter() - start
    return found


def _phone_visit(tab: Tab, site: str, path: str) -> dict:
    """What the crawl finds on one page at 390 px (the checks of the phone test)."""
    page = tab.open(site + path)
    page.screenshot(path=SHOTS / f"{_shot_name(path)}-{PHONE}.png", full_page=True)
    found = {key: page.evaluate(script) for key, script in (
        ("width", "document.documentElement.scrollWidth"), ("tables", WIDE_TABLES),
        ("hidden", HIDDEN_OUTPUT), ("unlinked", UNLINKED_FIGURES), ("off_screen", OFF_SCREEN))}
    return {**found, "outside": list(tab.outside), "errors": list(tab.errors)}


def _crawl_share(site: str, paths: list[str], phone_paths: list[str]) -> tuple[dict, dict]:
    """Visit *paths* at 1400 px, then *phone_paths* at 390 px, in a Chromium of this
    thread's own (Playwright's sync API is one instance per thread), one tab each."""
    screenshot = set(EXAMPLE_PAGES) | set(MAIN_PAGES.values())
    code_styles = set()  # the code text styles already checked for contrast (axe_audit)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        tab = Tab(chromium, WIDE)
        found = {path: _visit(tab, site, path, path in screenshot, code_styles)
                 for path in paths}
        tab.close()
        tab = Tab(chromium, PHONE)
        phone = {path: _phone_visit(tab, site, path) for path in phone_paths}
        tab.close()
        chromium.close()
    return found, phone


class Crawl(dict):
    """What the crawl found on each page at 1400 px; :attr:`phone`, on the example and
    main pages at 390 px."""

    phone: dict


@pytest.fixture(scope="module")
def crawl(site):
    """Visit every page at 1400 px once, and the example and main pages at 390 px."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    paths, phone_paths = _all_pages(), [*EXAMPLE_PAGES, *MAIN_PAGES.values()]
    # the long pages spread out over the Chromiums
    shares = [(paths[i::CRAWL_JOBS], phone_paths[i::CRAWL_JOBS]) for i in range(CRAWL_JOBS)]
    found, phone = {}, {}
    with ThreadPoolExecutor(CRAWL_JOBS) as pool:
        for wide, narrow in pool.map(lambda share: _crawl_share(site, *share), shares):
            found.update(wide)
            phone.update(narrow)
    result = Crawl(sorted(found.items()))
    result.phone = dict(sorted(phone.items()))
    return result


# ---- every page -----------------------------------------------------------------------
def test_the_site_has_every_page(crawl):
    pages = set(crawl)
    expected = set(MAIN_PAGES.values()) | set(EXAMPLE_PAGES)
    expected |= {f"auto_examples/{part}/index.html" for part in PARTS}
    expected |= {f"api/{p.stem}.html" for p in (ROOT / "docs" / "api").glob("*.rst")}
    missing = sorted(expected - pages)
    assert not missing, f"pages missing from the build: {missing}"
    assert len([p for p in pages if p.startswith("generated/interp.")]) >= 40
    # one computation-times page, not a copy per gallery and per part
    assert [p for p in pages if p.endswith("sg_execution_times.html")] == [MAIN_PAGES["times"]]


def test_no_page_asks_another_host_for_anything(crawl):
    offenders = {path: found["outside"] for path, found in crawl.items() if found["outside"]}
    assert not offenders, f"requests to other hosts: {offenders}"


def test_no_page_logs_an_error(crawl):
    offenders = {path: found["errors"] for path, found in crawl.items() if found["errors"]}
    assert not offenders, f"console errors: {offenders}"


def test_every_image_loads(crawl):
    offenders = {path: found["broken"] for path, found in crawl.items() if found["broken"]}
    assert not offenders, f"images that did not load: {offenders}"


def test_no_code_or_output_scrolls_sideways_at_1400px(crawl):
    """Printed lines (at most 88 characters) and code lines fit in the column."""
    offenders = {path: found["sideways"] for path, found in crawl.items() if found["sideways"]}
    assert not offenders, f"blocks that scroll sideways at {WIDE} px: {offenders}"
    wide = {path: found["page_width"] for path, found in crawl.items()
            if found["page_width"] > WIDE}
    assert not wide, f"pages wider than the window: {wide}"


def test_no_code_line_is_cut_at_1400px(crawl):
    """No line of code or output reaches into its box's padding, let alone past it."""
    offenders = {path: found["cut"] for path, found in crawl.items() if found["cut"]}
    assert not offenders, f"lines cut at {WIDE} px: {offenders}"


def test_breadcrumbs_are_one_row_at_1400px(crawl):
    offenders = {path: found["breadcrumb_rows"] for path, found in crawl.items()
                 if found["breadcrumb_rows"] > 1}
    assert not offenders, f"breadcrumbs on more than one row at {WIDE} px: {offenders}"


def test_printed_lines_fit_the_limit(crawl):
    """Examples keep printed lines to 88 characters, so no conclusion is wrapped or hidden."""
    offenders = {path: found["long_output"] for path, found in crawl.items()
                 if found["long_output"]}
    assert not offenders, f"printed lines over {OUTPUT_LIMIT} characters: {offenders}"


def test_no_page_has_a_serious_or_critical_accessibility_violation(crawl, capsys):
    """axe-core's audit of every page, the theme's header, sidebars and footer included."""
    audited = {path: found["axe"] for path, found in crawl.items()}
    seconds = sum(found["axe_seconds"] for found in crawl.values())
    counts = axe_audit.count_by_rule(audited)
    with capsys.disabled():
        print(f"\naxe-core {axe_audit.axe_script()[1]}: {len(audited)} pages audited in "
              f"{seconds:.1f} s (added to the crawl); nodes per rule: {counts or 'none'}")
    offenders = {path: axe_audit.blocking(violations) for path, violations in audited.items()}
    offenders = {path: violations for path, violations in offenders.items() if violations}
    assert not offenders, ("serious or critical accessibility violations, nodes per rule: "
                           f"{axe_audit.count_by_rule(offenders)}\n"
                           f"{axe_audit.report(offenders)}")


def test_every_image_has_alt_text_that_says_what_it_shows(crawl):
    """No image without alt text, none named by its file name or by a generic word; a
    thumbnail whose link names the page may have an empty one (it is decorative)."""
    figures = {image["src"] for found in crawl.values() for image in found["images"]
               if re.search(r"sphx_glr_\w+_\d{3}(_2_00x)?\.png$", image["src"])}
    assert len(figures) >= len(EXAMPLES), f"the gallery's figures were not found: {figures}"
    stems = tuple(p.stem for p in EXAMPLES)
    offenders = {path: axe_audit.alt_problems(found["images"], stems)
                 for path, found in crawl.items()}
    offenders = {path: problems for path, problems in offenders.items() if problems}
    assert not offenders, f"images whose alt text does not say what they show: {offenders}"


AUDIT_OWN_TEST = """<!DOCTYPE html><html lang="en"><head><title>audit test</title></head>
<body><main><h1>A page with known faults</h1>
<p><a href="#nowhere"></a></p>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<details><summary><span role="presentation"></span></summary><p>hidden</p></details>
<input type="range" min="0" max="3">
<div role="list"><div role="doc-biblioentry">an entry</div></div>
<div class="highlight"><pre><span style="color: #c8c8c8">low_contrast</span> <span
  style="color: #000">fine</span></pre></div>
</main></body></html>"""


def test_the_audit_reports_what_the_site_had(browser):
    """The audit finds each fault the site had, in prose and in code, and checks a code
    style once: a second page with the same low-contrast token passes, a new one fails."""
    tab = Tab(browser, WIDE)
    tab.page.set_content(AUDIT_OWN_TEST)
    seen = set()
    found = {"test": axe_audit.audit(tab.page, seen)}
    rules = {violation["id"] for violation in axe_audit.blocking(found["test"])}
    assert {"link-name", "image-alt", "summary-name", "label", "aria-required-children",
            "color-contrast"} <= rules, rules
    contrast = next(v for v in found["test"] if v["id"] == "color-contrast")
    assert [node["html"] for node in contrast["nodes"]] == [
        '<span style="color: #c8c8c8">low_contrast</span>']
    text = axe_audit.report(found)
    assert "link-name: 1 node(s) on 1 page(s)" in text and "test: " in text
    # the same style again is not measured again; a new one is
    tab.page.set_content(AUDIT_OWN_TEST)
    assert "color-contrast" not in {v["id"] for v in axe_audit.audit(tab.page, seen)}
    tab.page.set_content(AUDIT_OWN_TEST.replace("#c8c8c8", "#d0d0d0"))
    assert "color-contrast" in {v["id"] for v in axe_audit.audit(tab.page, seen)}
    tab.close()


@pytest.mark.parametrize("alt, link, problem", [
    (None, "", "no alt attribute"),
    ("", "", "empty alt text"),
    ("", "Saliency: which pixels", None),  # a thumbnail: its link names the page
    ("sphx_glr_05_kernel_responses_001.png", "", "file name"),
    ("../_images/first-layer.PNG", "", "file name"),
    ("05 kernel responses", "", "file name"),  # Sphinx-Gallery's stand-in for no title
    ("Feature maps of layer conv1 for image img0.png", "", None),  # names an input file
    ("image", "", "generic word"),
    ("Figure 2", "", "generic word"),
    ("a plot", "", "generic word"),
    ("png", "", "generic word"),
    ("Sneaker", "", "does not say"),
    ("conv1, kernel 0", "", None),
    ("Kernels 0 to 4 of layer conv1, drawn red for positive weights", "", None),
])
def test_alt_text_rules(alt, link, problem):
    found = axe_audit.alt_problem({"src": "x", "alt": alt, "decorative": False, "link": link},
                                  stems=("05_kernel_responses",))
    assert (found is None) if problem is None else (problem in found), found
    assert axe_audit.alt_problem({"src": "x", "alt": alt, "decorative": True, "link": ""}) is None


# tables wider than the page column (the theme then lets them scroll, hiding columns)
WIDE_TABLES = """() => Array.from(document.querySelectorAll('.bd-article table')).filter(
    table => table.getBoundingClientRect().width > table.parentElement.clientWidth + 1).map(
    table => table.className)"""


# printed output that is wrapped, or hidden in an inner scroll area taller than it shows
HIDDEN_OUTPUT = """() => Array.from(document.querySelectorAll('.sphx-glr-script-out pre')).filter(
    pre => getComputedStyle(pre).whiteSpace !== 'pre'
        || pre.scrollHeight > pre.clientHeight + 1).map(
    pre => pre.innerText.slice(0, 60))"""

# gallery figures that are not a link to their full-size PNG
UNLINKED_FIGURES = """() => Array.from(document.querySelectorAll(
    '.bd-article img.sphx-glr-single-img, .bd-article img.sphx-glr-multi-img')).filter(
    img => { const a = img.closest('a.interp-zoom');
             return !a || !/_2_00x\\.png$/.test(a.getAttribute('href')); }).map(
    img => img.getAttribute('src'))"""

# the page title and everything in the article stays inside the window
OFF_SCREEN = """() => Array.from(document.querySelectorAll('.bd-article h1, .bd-article .animation,'
    + ' .bd-article .anim-slider, .bd-article .anim-buttons')).filter(
    e => e.getBoundingClientRect().right > document.documentElement.clientWidth - 4).map(
    e => e.className || e.tagName)"""


def test_phone_screenshots_and_no_sideways_page(crawl):
    phone = crawl.phone  # the crawl visited them at 390 px, and took the screenshots
    assert set(phone) == {*EXAMPLE_PAGES, *MAIN_PAGES.values()}
    for path, found in phone.items():
        assert not found["outside"] and not found["errors"], (path, found["outside"],
                                                             found["errors"])
    too_wide = {path: found["width"] for path, found in phone.items() if found["width"] > PHONE}
    tables, hidden, unlinked, off_screen = ({path: found[key] for path, found in phone.items()
                                             if found[key]}
                                            for key in ("tables", "hidden", "unlinked",
                                                        "off_screen"))
    assert not too_wide, f"pages that scroll sideways at {PHONE} px: {too_wide}"
    assert not tables, f"tables cut off at {PHONE} px: {tables}"
    # column-aligned printouts scroll inside their box instead of wrapping, and the whole
    # output is on the page, not in an inner area that scrolls up and down
    assert not hidden, f"printed output wrapped or hidden at {PHONE} px: {hidden}"
    assert not unlinked, f"figures that do not open at full size: {unlinked}"
    assert not off_screen, f"titles or players past the window at {PHONE} px: {off_screen}"


def test_phone_api_titles_fit(site, browser):
    """The longest generated API titles wrap inside the column on a phone."""
    tab = Tab(browser, PHONE)
    for name in ("integrated_gradients", "outline_response", "model_randomization"):
        page = tab.open(site + f"generated/interp.{name}.html")
        right = page.evaluate("document.querySelector('.bd-article h1')"
                              ".getBoundingClientRect().right")
        assert right <= PHONE - 8, (name, right)
    tab.close()


def test_phone_animation_controls_on_one_row(site, browser):
    tab = Tab(browser, PHONE)
    page = tab.open(site + "auto_examples/inside/12_kernel_evolution.html")
    tops = page.eval_on_selector_all(".anim-buttons button",
                                     "bs => bs.map(b => Math.round(b.getBoundingClientRect().top))")
    tab.close()
    assert len(tops) >= 9 and len(set(tops)) == 1, tops


# ---- the landing page and the gallery ---------------------------------------------------------
@pytest.fixture(scope="module")
def tab(browser):
    tab = Tab(browser, WIDE)
    yield tab
    tab.close()


def test_landing_page(site, tab):
    page = tab.open(site + "index.html")
    assert _images(page), "the landing page should show the build's figure"
    assert page.locator("a[href*='auto_examples/index.html']").count() > 0
    assert page.locator("a[href*='api.html']").count() > 0
    caption = page.locator(".interp-hero .caption").inner_text()
    assert "page 08" in caption and "last page of the gallery" not in caption
    assert "(top)" not in caption and "one per row" in caption
    # the hero is sharp on high-DPI screens, and opens at full size
    hero = page.locator(".interp-hero img")
    assert re.search(r" 2(\.0+)?x$", hero.get_attribute("srcset") or ""), hero
    assert page.locator(".interp-hero a.interp-zoom").count() == 1
    cards = page.locator(".sd-card a.sd-stretched-link, a.sd-card")
    hrefs = cards.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    for part in PARTS:
        assert any(f"auto_examples/{part}/index.html" in href for href in hrefs), (part, hrefs)
    # sphinx-design's stylesheet is in the build, not on a CDN
    assert page.locator("link[href*='sphinx-design']").count() == 1


@pytest.mark.parametrize("width", [1024, 1400, 1920])
def test_header_is_one_row(site, browser, width):
    tab = Tab(browser, width)
    page = tab.open(site + "index.html")
    items = page.locator(".bd-header .nav-item, .bd-header .search-button, "
                         ".bd-header .theme-switch-button, .bd-header .navbar-brand, "
                         ".bd-header .version-switcher__button")
    middles = [box["y"] + box["height"] / 2 for box in
               (items.nth(i).bounding_box() for i in range(items.count())) if box]
    tab.close()
    assert len(middles) >= 6
    assert max(middles) - min(middles) < 10, f"the header wraps at {width} px: {middles}"


def test_version_switcher_lists_the_versions_from_the_site_itself(site, tab):
    """The switcher reads _static/versions.json from the build (no other host), marks this
    build's version and lists every entry with its address on the published site."""
    page = tab.open(site + "auto_examples/chapter/05_kernel_responses.html")
    button = page.locator(".bd-header .version-switcher__button").first
    button.wait_for(state="visible")
    page.wait_for_function("document.querySelector('.version-switcher__button')"
                           ".textContent.trim().length > 0")
    assert button.inner_text().strip().startswith("dev")
    entries = json.loads((HTML / "_static" / "versions.json").read_text())
    button.click()
    items = page.locator(".bd-header .version-switcher__menu a.list-group-item")
    items.first.wait_for(state="visible")
    assert items.count() == len(entries)
    assert items.evaluate_all("links => links.map(a => a.dataset.versionName)") \
        == [e["name"] for e in entries]
    # an entry keeps the reader on the same page in the other version
    assert items.first.get_attribute("href").endswith("dev/auto_examples/chapter/"
                                                      "05_kernel_responses.html")
    page.keyboard.press("Escape")


def test_gallery_index(site, tab):
    page = tab.open(site + "auto_examples/index.html")
    thumbs = page.locator(".sphx-glr-thumbcontainer")
    assert thumbs.count() == len(EXAMPLES) >= 12
    assert page.locator("a[href$='.zip']").count() >= 2  # download-all .py and .ipynb
    # thumbnails are drawn large: two to a row, each box at least 280 px wide at 1400 px
    widths = page.eval_on_selector_all(".sphx-glr-thumbcontainer",
                                       "boxes => boxes.map(b => b.getBoundingClientRect().width)")
    assert min(widths) >= 280, widths


@pytest.mark.parametrize("part", PARTS)
def test_part_index_lists_its_pages(site, tab, part):
    page = tab.open(site + f"auto_examples/{part}/index.html")
    mine = [p for p in EXAMPLES if p.parent.name == part]
    assert page.locator(".sphx-glr-thumbcontainer").count() == len(mine)


def test_example_page_figures_downloads_and_copy_buttons(site, tab):
    page = tab.open(site + EXAMPLE)
    figures = [i for i in _images(page) if "sphx-glr" in i["cls"]]
    assert len(figures) >= 2, f"expected the page's two figures, found {figures}"
    # high-DPI: the figures come at 2x too
    srcsets = page.eval_on_selector_all("img.sphx-glr-single-img, img.sphx-glr-multi-img",
                                        "imgs => imgs.map(i => i.getAttribute('srcset') || '')")
    assert srcsets and all(re.search(r" 2(\.0+)?x$", s) for s in srcsets), srcsets
    for suffix in (".py", ".ipynb", ".zip"):
        assert page.locator(f"a[href$='{suffix}']").count() >= 1, f"no {suffix} download link"
    sidebar = page.locator(".bd-sidebar-secondary a[href$='.ipynb']")
    assert sidebar.count() >= 1, "the notebook download should be in the secondary sidebar"
    # a copy button on code, none on printed output
    code_blocks = page.locator(".highlight-Python div.highlight").count()
    assert page.locator(".highlight-Python button.copybtn").count() == code_blocks > 0
    assert page.locator(".sphx-glr-script-out button.copybtn").count() == 0


def _download(tab, url) -> bytes:
    response = tab.context.request.get(url)
    assert response.ok, url
    return response.body()


def _notebook_markdown(data: bytes) -> str:
    cells = json.loads(data)["cells"]
    return "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


ROLE = re.compile(r":(func|class|meth|doc|ref|cite|data|attr|mod)(:\w+)?:`")


def test_notebooks_link_to_the_hosted_site(site, tab):
    """The .ipynb downloads, one by one and in the zips, have links, not Sphinx roles."""
    page = tab.open(site + EXAMPLE)
    href = page.locator(".bd-article a[href$='.ipynb']").first.get_attribute("href")
    markdown = _notebook_markdown(_download(tab, site + "auto_examples/chapter/" + href))
    assert not ROLE.search(markdown), ROLE.search(markdown)
    assert "](https://interp-dev.github.io/interp/" in markdown

    page = tab.open(site + "auto_examples/index.html")
    href = page.locator("a[href$='_jupyter.zip']").first.get_attribute("href")
    archive = zipfile.ZipFile(io.BytesIO(_download(tab, site + "auto_examples/" + href)))
    notebooks = [n for n in archive.namelist() if n.endswith(".ipynb")]
    assert len(notebooks) == len(EXAMPLES)
    for name in notebooks:
        markdown = _notebook_markdown(archive.read(name))
        assert not ROLE.search(markdown), (name, ROLE.search(markdown))


def test_api_page_links_to_examples_and_groups_its_sidebar(site, tab):
    page = tab.open(site + "generated/interp.convolve.html")
    assert "Examples using" in page.content()
    hrefs = page.eval_on_selector_all(".sphx-glr-thumbcontainer a, a.sphx-glr-backref-instance",
                                      "links => links.map(a => a.getAttribute('href'))")
    examples = {href for href in hrefs if href and "auto_examples/" in href}
    assert any("07_convolution_is_the_network" in href for href in examples), examples
    assert any("05_kernel_responses" in href for href in examples), examples
    # the left sidebar: one entry per module page, the functions under each
    modules = len(list((ROOT / "docs" / "api").glob("*.rst")))
    top = page.locator(".bd-sidebar-primary nav.bd-docs-nav ul.bd-sidenav > li.toctree-l1")
    assert top.count() == modules
    current = page.locator(".bd-sidebar-primary li.toctree-l1.current")
    assert "Convolution" in current.inner_text() and "interp.layer_response" in current.inner_text()


def test_class_names_has_its_own_docstring(site, tab):
    page = tab.open(site + "generated/interp.CLASS_NAMES.html")
    text = page.locator(".bd-article").inner_text()
    assert "Built-in immutable sequence" not in text
    assert "Fashion-MNIST class names" in text


def test_phone_next_links_are_not_clipped(site, browser):
    tab = Tab(browser, PHONE)
    for path in ("generated/interp.convolve.html", "generated/interp.CLASS_NAMES.html"):
        page = tab.open(site + path)
        boxes = page.eval_on_selector_all(
            ".prev-next-area a", "links => links.map(a => {const r = a.getBoundingClientRect();"
            " return {left: r.left, right: r.right, clipped: a.scrollWidth > a.clientWidth + 1}})")
        assert boxes, path
        for box in boxes:
            assert box["left"] >= 0 and box["right"] <= PHONE and not box["clipped"], (path, box)
    tab.close()


def test_references_link_to_the_papers(site, tab):
    page = tab.open(site + "references.html")
    keys = re.findall(r"^@\w+\{(\w+),", (ROOT / "docs" / "references.bib").read_text(),
                      flags=re.M)
    for key in keys:
        entry = page.locator(f"[id='cite-{key}']")
        assert entry.count() == 1, key
        # each entry links to its paper: a DOI, arXiv, or the proceedings' own page
        hrefs = entry.locator("a.reference.external").evaluate_all(
            "links => links.map(a => a.href)")
        assert [h for h in hrefs if h.startswith("https://")], (key, hrefs)
    # :cite: works on the page: author-year links to the entries
    assert page.locator("a[href='#cite-simonyan2014']").count() >= 1


def test_math_renders_offline(site, tab):
    page = tab.open(site + "contributing.html")
    page.wait_for_selector("mjx-container", timeout=10000)
    assert page.locator("mjx-container").count() >= 1
    assert "mathjax/tex-chtml.js" in page.locator("script[src*='mathjax']").get_attribute("src")
    assert not tab.outside and not tab.errors, (tab.outside, tab.errors)


def test_computation_times_page(site, tab):
    page = tab.open(site + MAIN_PAGES["times"])
    rows = page.locator("table.sg-times tbody tr")
    assert rows.count() == len(EXAMPLES)
    headers = page.locator("table.sg-times thead th").all_inner_texts()
    if len(headers) == 3:  # a memory column only when it was measured
        memory = [float(t) for t in page.locator(
            "table.sg-times tbody tr td:nth-child(3)").all_inner_texts()]
        assert max(memory) > 0, "the memory column is all zeros"
    else:
        assert headers == ["Example", "Time"], headers
    # a long file name may break after "/" or "_", not in the middle of a word
    names = page.locator("table.sg-times td:first-child span.pre")
    assert names.count() == len(EXAMPLES)
    assert page.locator("table.sg-times td:first-child span.pre wbr").count() >= len(EXAMPLES)


def test_animation_page(site, tab):
    page = tab.open(site + "auto_examples/inside/12_kernel_evolution.html")
    # matplotlib's JavaScript animation: a frame image and its player controls, whose icons
    # come from the theme's own Font Awesome
    assert page.locator(".animation img, img[id^='_anim_img']").count() >= 1
    buttons = page.locator(".anim-buttons button, .anim-controls button")
    assert buttons.count() >= 3
    icon = buttons.first.locator("i, svg").first
    assert icon.bounding_box()["width"] > 4, "the player's buttons have no icons"
    page.locator(".animation").first.screenshot(path=SHOTS / "animation.png")


def test_dark_theme(site, browser):
    # the site's default mode is "auto": a reader whose system prefers dark gets dark
    tab = Tab(browser, WIDE, scheme="dark")
    page = tab.open(site + EXAMPLE)
    page.wait_for_timeout(200)
    theme = page.evaluate("document.documentElement.dataset.theme")
    assert theme == "dark"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    channels = [int(v) for v in background[background.index("(") + 1:-1].split(",")[:3]]
    assert sum(channels) / 3 < 80, f"dark theme background is {background}"
    assert page.locator("button.theme-switch-button, .theme-switch-button").count() >= 1
    assert not _broken_images(page)
    page.screenshot(path=SHOTS / "example-dark.png", full_page=False)
    assert not tab.errors and not tab.outside
    # the dark theme's colours pass the audit too (colour contrast, mainly)
    offenders = axe_audit.blocking(axe_audit.audit(page))
    assert not offenders, axe_audit.report({EXAMPLE + " (dark)": offenders})
    tab.close()
