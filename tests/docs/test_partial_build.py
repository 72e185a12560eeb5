"""A contributor's first builds, from a fresh clone: ``nox -s docs -- NN``.

The test copies ``docs/`` and ``examples/`` into a temporary folder without anything a
build generates (as a fresh clone has them), then runs the partial build that the
contributing page describes: a new page copied from ``examples/_template.py``, built
twice (the crash of issue #15 came back on a second try), then an existing page, then
the new page broken on purpose (the failure must name the page in the junit report CI
reads). The other pages are not run, so the figures they would make are missing; the
build must still succeed, strictly.

Run with ``nox -s docs-checks`` .
"""

import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytest.importorskip("sphinx_gallery")
if not os.environ.get("INTERP_DOCS_TESTS"):
    pytest.skip("the partial builds run in nox -s docs-checks", allow_module_level=True)

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ("_build", "auto_examples", "generated", "sg_execution_times.rst")
NEW_PAGE = "examples/chapter/13_my_page.py"


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """docs/ and examples/ as a fresh clone has them: nothing generated."""
    shutil.copytree(ROOT / "docs", tmp_path / "docs",
                    ignore=lambda folder, names: [n for n in names if n in GENERATED])
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    assert not (tmp_path / "docs" / "auto_examples").exists()
    return tmp_path


def _build(clone: Path, pattern: str, *, fails: bool = False) -> float:
    """Run the strict partial build of ``noxfile._build_docs``; return its seconds."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-nW", "--keep-going", "-b", "html", "docs",
         "docs/_build/html"],
        cwd=clone, capture_output=True, text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "MPLBACKEND": "Agg",
             "INTERP_DOCS_PATTERN": pattern})
    seconds = time.perf_counter() - started
    if fails:
        assert done.returncode != 0, f"partial build {pattern!r} should have failed"
    else:
        assert done.returncode == 0, \
            f"partial build {pattern!r} failed:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    return seconds


def _title_the_template(clone: Path) -> Path:
    page = clone / NEW_PAGE
    lines = (clone / "examples" / "_template.py").read_text().splitlines()
    assert lines[0] == '"""' and set(lines[2]) == {"="}, "the template's title block moved"
    lines[1:3] = ["My page", "======="]
    page.write_text("\n".join(lines) + "\n")
    return page


def test_a_contributors_first_builds(clone):
    """A new page from the template, built alone twice; then the page is given up and an
    existing page is built alone (the new page's generated files must not break it);
    then the page comes back broken, and the failing build names it in Sphinx-Gallery's
    junit report. One copy of the sources for all of it: each build from nothing reads
    and writes every page of the site.
    """
    page = _title_the_template(clone)
    times = [_build(clone, "13_my_page") for _ in range(2)]
    html = clone / "docs" / "_build" / "html"
    assert "My page" in (html / "auto_examples" / "chapter" / "13_my_page.html").read_text()
    assert (html / "_images" / "sphx_glr_13_my_page_001.png").exists(), "the page did not run"
    # the landing page shows page 08's figure, which this build did not make
    assert "sphx_glr_08_taken_together_001.png" in (html / "index.html").read_text()
    assert (html / "_images" / "sphx_glr_08_taken_together_001.png").exists()
    print(f"\nnew page from the template: first build {times[0]:.1f} s, "
          f"second {times[1]:.1f} s")

    text = page.read_text()
    page.unlink()
    seconds = _build(clone, "05_kernel")
    assert not (clone / "docs" / "auto_examples" / "chapter" / "13_my_page.rst").exists()
    assert (html / "_images" / "sphx_glr_05_kernel_responses_001.png").exists()
    assert not (html / "_images" / "sphx_glr_09_feature_maps_001.png").exists()
    print(f"page 05 alone, after it: {seconds:.1f} s")

    page.write_text(text.replace("model = interp.trained_model()",
                                 "raise RuntimeError('a deliberate failure')"))
    _build(clone, "13_my_page", fails=True)
    junit = clone / "docs" / "_build" / "test-results" / "sphinx-gallery" / "junit.xml"
    cases = ET.parse(junit).getroot().iter("testcase")
    failed = [c for c in cases if c.find("failure") is not None]
    assert [(c.get("classname"), c.get("name"), c.get("file")) for c in failed] == [
        ("13_my_page", "My page", "../examples/chapter/13_my_page.py")]
    assert "a deliberate failure" in ET.tostring(failed[0], encoding="unicode")
