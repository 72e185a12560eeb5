"""The notebooks a reader downloads run top to bottom, against the cached model.

Three pages, one from each kind of work (the chapter's kernels, an attribution method,
a faithfulness measure), are downloaded from the built site as ``.ipynb`` and executed
with nbclient in a fresh Python kernel. Each must finish without an error and print what
its page printed: the same verdict lines, in the same words.

Run with ``nox -s docs-checks`` after ``nox -s docs``.
"""

import os
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
if not os.environ.get("INTERP_DOCS_TESTS"):
    pytest.skip("the notebooks run in nox -s docs-checks", allow_module_level=True)

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "docs" / "_build" / "html"
PAGES = ["chapter/05_kernel_responses", "why/22_integrated_gradients",
         "why/28_deletion_insertion"]


def _download(stem: str) -> Path:
    found = sorted(HTML.glob(f"_downloads/*/{stem}.ipynb"))
    if not found:
        pytest.fail(f"no {stem}.ipynb in {HTML}/_downloads: run nox -s docs first")
    return found[0]


def _page_output(page: str) -> list[str]:
    """The lines the built page printed: its ``sphx-glr-script-out`` blocks."""
    lines = (ROOT / "docs" / "auto_examples" / f"{page}.rst").read_text().splitlines()
    printed, inside, indent = [], False, None
    for line in lines:
        if line.strip() == ".. rst-class:: sphx-glr-script-out":
            inside, indent = True, None
        elif inside and line.strip().startswith(".. code-block::"):
            indent = len(line) - len(line.lstrip()) + 3  # the directive's content
        elif inside and indent is not None and line.strip():
            if len(line) - len(line.lstrip()) < indent:
                inside = False
            else:
                printed.append(line[indent:].rstrip())
    return printed


def _notebook_output(notebook) -> list[str]:
    text = "".join(output.get("text", "") for cell in notebook.cells
                   if cell.cell_type == "code" for output in cell.get("outputs", [])
                   if output.get("output_type") == "stream" and output.get("name") == "stdout")
    return [line.rstrip() for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("page", PAGES)
def test_downloaded_notebook_runs_and_prints_what_the_page_printed(page, tmp_path):
    notebook = nbformat.read(_download(Path(page).name), as_version=4)
    started = time.perf_counter()
    nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3", allow_errors=False,
        resources={"metadata": {"path": str(tmp_path)}},  # run where a reader would
    ).execute()
    seconds = time.perf_counter() - started
    expected = _page_output(page)
    assert len(expected) > 5, expected
    assert _notebook_output(notebook) == expected
    print(f"\n{Path(page).name}.ipynb: {len(notebook.cells)} cells, {len(expected)} printed "
          f"lines as on the page, in {seconds:.1f} s")
