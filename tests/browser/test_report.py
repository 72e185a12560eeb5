"""Reports written by ``interp report``, opened from the file system in headless Chromium.

The reports are made beforehand by sessions that have TensorFlow (this one has not):

- ``course``: the course report that ``nox -s docs`` builds into
  ``docs/_build/html/course-report/``;
- ``rgb``: the report of the Functional RGB test model that ``tests/test_cli.py`` keeps in
  ``artifacts/reports/rgb/`` (skipped when the tests have not run).

Each is opened as ``file://``, the way a user opens it: no console error, every image
loads, no request leaves the file system, the section links land on their sections, the
page fits a 1400 px and a 390 px window, and it passes the site's accessibility audit
(axe-core, no serious or critical violation, in the light and the dark scheme; alt text
that says what each figure shows: tests/browser/axe_audit.py). Screenshots go to
``artifacts/screenshots/``. Run with ``nox -s browser``.

Every report found under ``artifacts/reports/`` is checked, besides these two, and every
other page in a report's folder passes the audit too. (The site's crawl, test_site.py,
audits the course report's folder over HTTP as well.)
"""

from pathlib import Path

import pytest
from launch import CHROMIUM_ARGS, chromium_path  # tests/browser/launch.py

sync_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("axe_playwright_python")

import axe_audit  # noqa: E402  (tests/browser/axe_audit.py)

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
REPORTS = {
    "course": ROOT / "docs" / "_build" / "html" / "course-report",
    "rgb": ROOT / "artifacts" / "reports" / "rgb",
}
# any other report a test or a user left there
REPORTS |= {folder.name: folder for folder in sorted((ROOT / "artifacts" / "reports").glob("*"))
            if (folder / "index.html").exists() and folder.name not in REPORTS}
# pages of a report besides its index.html (a view added later is audited without a change
# here)
OTHER_PAGES = sorted(page for folder in REPORTS.values() if folder.is_dir()
                     for page in folder.rglob("*.html") if page.name != "index.html")
MADE_BY = {"course": "nox -s docs", "rgb": "nox -s tests (tests/test_cli.py)"}
SECTIONS = ["model", "kernels", "feature-maps", "top-activating", "attributions", "trust",
            "made"]


@pytest.fixture(scope="module")
def browser():
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _report(name: str) -> Path:
    page = REPORTS[name] / "index.html"
    if not page.exists():
        if name == "course":
            pytest.fail(f"no course report at {page}: run `nox -s docs` first")
        pytest.skip(f"no {name} report at {page}: made by {MADE_BY[name]}")
    return page


def _open(browser, page_file: Path, width: int, scheme: str = "light"):
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    outside, errors = [], []

    def refuse(route):
        outside.append(route.request.url)
        route.abort()

    context.route(lambda url: not url.startswith("file://"), refuse)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.on("console", lambda msg: errors.append(f"console: {msg.text}")
            if msg.type == "error" else None)
    page.goto(page_file.as_uri(), wait_until="load")
    return context, page, outside, errors


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_report_opens_from_the_file_system(browser, name):
    page_file = _report(name)
    context, page, outside, errors = _open(browser, page_file, 1400)
    images = page.eval_on_selector_all(
        "img", "imgs => imgs.map(i => ({src: i.getAttribute('src'), ok: i.complete && "
        "i.naturalWidth > 0}))")
    assert len(images) >= 6, images
    broken = [image["src"] for image in images if not image["ok"]]
    assert not broken, f"images that did not load: {broken}"
    for section in SECTIONS:
        assert page.locator(f"#{section}").count() == 1, f"no section #{section}"
    # every link of the sidebar lands on an element of the page
    targets = page.eval_on_selector_all("nav.sidebar a", "links => links.map(a => "
                                        "a.getAttribute('href'))")
    assert len(targets) >= len(SECTIONS)
    for target in targets:
        assert target.startswith("#") and page.locator(target).count() == 1, target
    assert page.evaluate("document.documentElement.scrollWidth") <= 1400
    page.screenshot(path=SHOTS / f"report-{name}-1400.png", full_page=True)
    assert not outside, f"requests that left the file system: {outside}"
    assert not errors, errors
    offenders = axe_audit.blocking(axe_audit.audit(page))
    assert not offenders, axe_audit.report({f"report {name}": offenders})
    bad_alt = axe_audit.alt_problems(page.evaluate(axe_audit.IMAGES))
    assert not bad_alt, f"images whose alt text does not say what they show: {bad_alt}"
    context.close()


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_report_on_a_phone_and_in_the_dark(browser, name):
    page_file = _report(name)
    context, page, outside, errors = _open(browser, page_file, 390)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone: {width} px"
    page.screenshot(path=SHOTS / f"report-{name}-390.png", full_page=False)
    context.close()
    context, page, outside_dark, errors_dark = _open(browser, page_file, 1400, scheme="dark")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    channels = [int(v) for v in background[background.index("(") + 1:-1].split(",")[:3]]
    assert sum(channels) / 3 < 80, f"dark scheme background is {background}"
    page.screenshot(path=SHOTS / f"report-{name}-dark.png", full_page=False)
    assert not (outside or outside_dark or errors or errors_dark)
    offenders = axe_audit.blocking(axe_audit.audit(page))  # the dark scheme's colours
    context.close()
    assert not offenders, axe_audit.report({f"report {name} (dark)": offenders})


@pytest.mark.parametrize("page_file", OTHER_PAGES,
                         ids=[p.relative_to(ROOT).as_posix() for p in OTHER_PAGES])
def test_every_other_report_page_passes_the_audit(browser, page_file):
    context, page, outside, errors = _open(browser, page_file, 1400)
    assert not outside and not errors, (outside, errors)
    offenders = axe_audit.blocking(axe_audit.audit(page))
    bad_alt = axe_audit.alt_problems(page.evaluate(axe_audit.IMAGES))
    context.close()
    assert not offenders, axe_audit.report({page_file.name: offenders})
    assert not bad_alt, f"images whose alt text does not say what they show: {bad_alt}"
