"""The docs build's own code and configuration (docs/conf.py, docs/sphinxext/interp_gallery.py).

These run without Sphinx: the helpers are plain functions, tested on text and files made here.
"""

import ast
import importlib.util
import io
import json
import re
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PATH = DOCS / "sphinxext" / "interp_gallery.py"
spec = importlib.util.spec_from_file_location("interp_gallery", PATH)
interp_gallery = importlib.util.module_from_spec(spec)
sys.modules.setdefault("interp_gallery", interp_gallery)  # for its dataclasses
spec.loader.exec_module(interp_gallery)


# ---- intersphinx --------------------------------------------------------------------------
@pytest.mark.parametrize(("environ", "online"), [
    ({}, False),                                              # a plain machine, CI here
    ({"READTHEDOCS": "True"}, True),
    ({"GITHUB_ACTIONS": "true"}, True),
    ({"INTERP_DOCS_INTERSPHINX": "1"}, True),
    ({"INTERP_DOCS_INTERSPHINX": "0", "READTHEDOCS": "True"}, False),  # forced off wins
    ({"INTERP_DOCS_INTERSPHINX": "off", "GITHUB_ACTIONS": "true"}, False),
])
def test_intersphinx_switch(environ, online):
    mapping = interp_gallery.intersphinx_mapping(environ)
    if online:
        assert set(mapping) == {"python", "numpy", "scipy", "matplotlib"}
        assert all(url.startswith("https://") for url, _ in mapping.values())
    else:
        assert mapping == {}


# ---- parallel examples ----------------------------------------------------------------
def test_gallery_jobs_default_to_the_cores_at_most_four(monkeypatch):
    monkeypatch.setattr(interp_gallery.os, "sched_getaffinity", lambda pid: set(range(2)),
                        raising=False)
    assert interp_gallery.gallery_jobs({}) == 2
    monkeypatch.setattr(interp_gallery.os, "sched_getaffinity", lambda pid: set(range(64)),
                        raising=False)
    assert interp_gallery.gallery_jobs({}) == 4
    assert interp_gallery.gallery_jobs({"INTERP_DOCS_JOBS": "1"}) == 1
    assert interp_gallery.gallery_jobs({"INTERP_DOCS_JOBS": "8"}) == 8


@pytest.mark.parametrize("value", ["0", "two", "-1", "1.5"])
def test_gallery_jobs_refuse_what_is_not_a_count(value):
    with pytest.raises(ValueError, match=f"INTERP_DOCS_JOBS must be a whole number >= 1, "
                                         f"got '{re.escape(value)}'"):
        interp_gallery.gallery_jobs({"INTERP_DOCS_JOBS": value})


def test_examples_to_run_come_from_the_environment():
    assert interp_gallery.examples_to_run({}) is None
    assert interp_gallery.examples_to_run({"INTERP_DOCS_PATTERN": ""}) is None
    assert interp_gallery.examples_to_run({"INTERP_DOCS_PATTERN": "13"}) == "13"
    assert interp_gallery.examples_to_run({"INTERP_DOCS_PATTERN": r"0[5-7]_"}) == r"0[5-7]_"


def test_examples_to_run_refuse_what_is_not_a_pattern():
    with pytest.raises(ValueError, match=r"INTERP_DOCS_PATTERN must be a regular expression "
                                         r"matched against the examples' paths, got '13\('"):
        interp_gallery.examples_to_run({"INTERP_DOCS_PATTERN": "13("})


def test_select_examples_changes_the_pattern_until_undone():
    conf = {"filename_pattern": r"/\d\d_", "parallel": 2, "examples_dirs": "../examples"}
    restore = interp_gallery.select_examples(conf, "13_my")
    assert conf == {"filename_pattern": "13_my", "parallel": 1, "examples_dirs": "../examples"}
    restore()
    assert conf == {"filename_pattern": r"/\d\d_", "parallel": 2, "examples_dirs": "../examples"}
    restore = interp_gallery.select_examples(conf, "0[5-7]_", jobs=3)
    assert (conf["filename_pattern"], conf["parallel"]) == ("0[5-7]_", 3)
    restore()
    restore = interp_gallery.select_examples(conf, None)  # a full build: nothing changes
    assert (conf["filename_pattern"], conf["parallel"]) == (r"/\d\d_", 2)
    restore()
    assert (conf["filename_pattern"], conf["parallel"]) == (r"/\d\d_", 2)


def test_a_partial_build_leaves_sphinxs_configuration_as_it_was(monkeypatch, tmp_path):
    """The pattern is applied between the two builder-inited hooks around Sphinx-Gallery's
    and taken back: the configuration Sphinx saves is the full build's."""
    from types import ModuleType, SimpleNamespace

    said = []  # sphinx.util.logging, as the hooks use it (Sphinx is not needed here)
    logging = ModuleType("sphinx.util.logging")
    logging.getLogger = lambda name: SimpleNamespace(info=said.append)
    util = ModuleType("sphinx.util")
    util.logging = logging
    for name, module in (("sphinx", ModuleType("sphinx")), ("sphinx.util", util),
                         ("sphinx.util.logging", logging)):
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setenv("INTERP_DOCS_PATTERN", "13_my")
    monkeypatch.delenv("INTERP_DOCS_JOBS", raising=False)
    conf = {"filename_pattern": r"/\d\d_", "parallel": 2, "examples_dirs": "../examples",
            "gallery_dirs": "auto_examples", "recommender": {"enable": False}}
    app = SimpleNamespace(config=SimpleNamespace(sphinx_gallery_conf=conf,
                                                 interp_figure_fallbacks={}),
                          srcdir=str(tmp_path / "docs"))  # a site with no gallery yet
    (tmp_path / "docs").mkdir()
    (tmp_path / "examples").mkdir()
    interp_gallery._on_builder_inited_early(app)
    seen = conf["filename_pattern"], conf["parallel"]  # what Sphinx-Gallery reads (500)
    interp_gallery._on_builder_inited(app)
    assert seen == ("13_my", 1)
    assert (conf["filename_pattern"], conf["parallel"]) == (r"/\d\d_", 2)
    assert any("running only the examples matching '13_my'" in line for line in said), said


def test_offline_build_ignores_only_external_names():
    """conf.py's nitpick exceptions cover outside packages, never interp's own names."""
    text = (DOCS / "conf.py").read_text()
    patterns = re.findall(r'\(r"py:\.\*", r"([^"]+)"\)', text)
    assert patterns
    for pattern in patterns:
        assert not re.fullmatch(pattern, "interp.convolve")
        assert not re.fullmatch(pattern, "interp")
    assert any(re.fullmatch(pattern, "scipy.stats.spearmanr") for pattern in patterns)


# ---- the API reference ----------------------------------------------------------------------
def _autosummary_names(text: str, module: str = "interp") -> list[str]:
    """The names the autosummary blocks of *text* list under ``currentmodule:: module``."""
    names = []
    for part in re.split(r"\.\. currentmodule:: ", "interp\n" + text + "\n"):
        current, _, body = part.partition("\n")
        if current.strip() != module:
            continue
        for block in re.findall(r"\.\. autosummary::\n((?:   .*\n|\n)+)", body):
            names += [line.strip() for line in block.splitlines()
                      if line.strip() and not line.strip().startswith(":")]
    return names


def test_every_public_name_has_a_page_in_its_module_section():
    """Each public name is generated from exactly one module page (docs/api/<module>.rst),
    listed in the API index too, and every module page is in the index's toctree."""
    import interp

    pages = sorted((DOCS / "api").glob("*.rst"))
    generated = {}
    for page in pages:
        text = page.read_text()
        assert ":toctree: ../generated/" in text, page.name
        for name in _autosummary_names(text):
            assert name not in generated, f"{name} is on {generated.get(name)} and {page.name}"
            generated[name] = page.name
    assert sorted(generated) == sorted(interp.__all__), "docs/api/*.rst and interp.__all__ differ"
    # a submodule's own names (interp.live's, say) are documented there and exist there
    import importlib
    for page in pages:
        text = page.read_text()
        for module in set(re.findall(r"\.\. currentmodule:: (interp\.\w+)", text)):
            names = _autosummary_names(text, module)
            assert names, (page.name, module)
            missing = [n for n in names if not hasattr(importlib.import_module(module), n)]
            assert not missing, (page.name, module, missing)

    index = (DOCS / "api.rst").read_text()
    assert sorted(_autosummary_names(index)) == sorted(interp.__all__)
    for page in pages:
        assert re.search(rf"^   api/{page.stem}$", index, flags=re.M), f"{page.name} not in toctree"


def test_every_public_function_has_an_example():
    import inspect

    import interp

    for name in interp.__all__:
        obj = getattr(interp, name)
        if inspect.isfunction(obj):
            assert "Examples\n    --------" in (obj.__doc__ or ""), f"{name} has no Examples section"


def _public_functions() -> list[str]:
    """interp's public functions, found in the source (no TensorFlow import needed)."""
    defined = set()
    for module in (ROOT / "interp").rglob("*.py"):  # packages too (interp/attribution/, interp/evaluate/)
        tree = ast.parse(module.read_text())
        defined |= {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    init = ast.parse((ROOT / "interp" / "__init__.py").read_text())
    exports = next(node.value for node in init.body if isinstance(node, ast.Assign)
                   and getattr(node.targets[0], "id", None) == "_EXPORTS")
    exported = {name for names in ast.literal_eval(exports).values() for name in names}
    return sorted(defined & exported)


def _names_used_in_examples() -> set[str]:
    used = set()
    for script in (ROOT / "examples").glob("*/[0-9][0-9]_*.py"):
        for node in ast.walk(ast.parse(script.read_text())):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "interp"):
                used.add(node.attr)
            elif isinstance(node, ast.ImportFrom) and node.module == "interp":
                used |= {alias.name for alias in node.names}
    return used


# Public functions that no gallery page calls yet: their API pages have no "Examples using"
# mini-gallery (issue #8). When an example starts using one, this test XPASSes and fails
# (strict): take the name off the list.
# The pages of issue #20's methods and measures are still to be written.
WITHOUT_EXAMPLE_PAGE: set[str] = set()


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.xfail(
        strict=True, reason="no gallery page uses it yet; its API page has no examples"))
    if name in WITHOUT_EXAMPLE_PAGE else name
    for name in _public_functions()
])
def test_every_public_function_is_used_by_a_gallery_page(name):
    """Its API page then ends with an "Examples using" mini-gallery linking to the pages."""
    assert name in _names_used_in_examples(), (
        f"interp.{name} is used by no example in examples/*/NN_*.py")


def test_the_public_function_list_is_complete():
    assert {"convolve", "saliency", "plot_kernel", "trained_model"} <= set(_public_functions())
    assert "CLASS_NAMES" not in _public_functions()


# ---- notebooks: roles become links -------------------------------------------------------
BASE = "https://interp-dev.github.io/interp/"


@pytest.fixture
def linker():
    return interp_gallery.RoleLinker(
        baseurl=BASE,
        objects={"interp.convolve": ("generated/interp.convolve", "interp.convolve"),
                 "interp.TrainingInfo": ("generated/interp.TrainingInfo", "interp.TrainingInfo")},
        labels={"gallery-why": ("auto_examples/why/index", "gallery-why",
                                "Part 3 · Why this class")},
        titles={"auto_examples/chapter/06_second_kernel": "A second kernel",
                "auto_examples/inside/09_feature_maps": "Feature maps of every layer",
                "api": "API reference"},
        citations={"simonyan2014": ("Simonyan et al.", "2014"),
                   "zeiler2014": ("Zeiler and Fergus", "2014")},
    )


PAGE = "auto_examples/chapter/05_kernel_responses"


@pytest.mark.parametrize(("markdown", "expected"), [
    (":func:`interp.convolve` computes it",
     f"[`interp.convolve()`]({BASE}generated/interp.convolve.html#interp.convolve) computes it"),
    (":func:`~interp.convolve`",
     f"[`convolve()`]({BASE}generated/interp.convolve.html#interp.convolve)"),
    (":py:func:`convolve`",  # resolved in the interp namespace, as the pages' currentmodule
     f"[`convolve()`]({BASE}generated/interp.convolve.html#interp.convolve)"),
    (":class:`interp.TrainingInfo`",
     f"[`interp.TrainingInfo`]({BASE}generated/interp.TrainingInfo.html#interp.TrainingInfo)"),
    (":func:`the convolution <interp.convolve>`",
     f"[`the convolution`]({BASE}generated/interp.convolve.html#interp.convolve)"),
    (":class:`keras.layers.Conv2D`", "`keras.layers.Conv2D`"),  # not on this site: code
    (":doc:`06_second_kernel`", f"[A second kernel]({BASE}auto_examples/chapter/06_second_kernel.html)"),
    (":doc:`../inside/09_feature_maps`",
     f"[Feature maps of every layer]({BASE}auto_examples/inside/09_feature_maps.html)"),
    (":doc:`the API </api>`", f"[the API]({BASE}api.html)"),
    (":doc:`no_such_page`", "no_such_page"),
    (":ref:`gallery-why`", f"[Part 3 · Why this class]({BASE}auto_examples/why/index.html#gallery-why)"),
    (":ref:`the third part <gallery-why>`",
     f"[the third part]({BASE}auto_examples/why/index.html#gallery-why)"),
    ("as shown :cite:p:`simonyan2014`.",
     f"as shown ([Simonyan et al., 2014]({BASE}references.html#cite-simonyan2014))."),
    (":cite:`simonyan2014`", f"([Simonyan et al., 2014]({BASE}references.html#cite-simonyan2014))"),
    (":cite:t:`zeiler2014` showed",
     f"[Zeiler and Fergus (2014)]({BASE}references.html#cite-zeiler2014) showed"),
    (":cite:p:`simonyan2014,zeiler2014`",
     f"([Simonyan et al., 2014]({BASE}references.html#cite-simonyan2014); "
     f"[Zeiler and Fergus, 2014]({BASE}references.html#cite-zeiler2014))"),
    (":math:`y = k * x`", "$y = k * x$"),
    (":file:`~/.cache/interp`", "`~/.cache/interp`"),
    ("no roles, $a_b$ and `code` stay", "no roles, $a_b$ and `code` stay"),
])
def test_roles_become_markdown_links(linker, markdown, expected):
    assert linker.rewrite(markdown, PAGE) == expected


def test_rewriting_is_idempotent(linker):
    once = linker.rewrite(":func:`interp.convolve` and :cite:p:`simonyan2014`", PAGE)
    assert linker.rewrite(once, PAGE) == once
    assert ":func:" not in once and ":cite:" not in once


def _notebook(*cells: str) -> str:
    return json.dumps({"cells": [
        {"cell_type": "markdown", "metadata": {}, "source": cells[0].splitlines(keepends=True)},
        {"cell_type": "code", "metadata": {}, "source": cells[1], "outputs": [],
         "execution_count": None},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 0})


def test_notebook_markdown_cells_are_rewritten_and_code_is_not(linker):
    text = _notebook("Use :func:`interp.convolve`\nthen :doc:`06_second_kernel`.\n",
                     "# :func:`interp.convolve` in code stays\n")
    notebook = json.loads(linker.rewrite_notebook(text, PAGE))
    markdown = "".join(notebook["cells"][0]["source"])
    assert markdown == (f"Use [`interp.convolve()`]({BASE}generated/interp.convolve.html"
                        f"#interp.convolve)\nthen [A second kernel]({BASE}auto_examples/chapter/"
                        "06_second_kernel.html).\n")
    assert notebook["cells"][1]["source"] == "# :func:`interp.convolve` in code stays\n"


def test_gallery_notebooks_loose_and_zipped_are_rewritten(linker, tmp_path):
    """The per-example .ipynb, its per-example zip and the download-all zip all change."""
    gallery = tmp_path / "auto_examples"
    (gallery / "chapter").mkdir(parents=True)
    text = _notebook("See :doc:`06_second_kernel`.\n", "x = 1\n")
    (gallery / "chapter" / "05_kernel_responses.ipynb").write_text(text)
    for archive, member in [(gallery / "chapter" / "05_kernel_responses.zip",
                             "05_kernel_responses.ipynb"),
                            (gallery / "auto_examples_jupyter.zip",
                             "chapter/05_kernel_responses.ipynb")]:
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
            out.writestr(member, text)
            out.writestr("05_kernel_responses.py", "# :doc:`06_second_kernel`\n")

    assert interp_gallery.rewrite_gallery_notebooks(gallery, linker, "auto_examples") == 3
    link = f"[A second kernel]({BASE}auto_examples/chapter/06_second_kernel.html)"
    notebook = json.loads((gallery / "chapter" / "05_kernel_responses.ipynb").read_text())
    assert link in "".join(notebook["cells"][0]["source"])
    for archive in (gallery / "chapter" / "05_kernel_responses.zip",
                    gallery / "auto_examples_jupyter.zip"):
        with zipfile.ZipFile(archive) as zipped:
            names = zipped.namelist()
            member = next(n for n in names if n.endswith(".ipynb"))
            assert link in zipped.read(member).decode()
            assert zipped.read("05_kernel_responses.py") == b"# :doc:`06_second_kernel`\n"
            assert zipped.getinfo(member).compress_type == zipfile.ZIP_DEFLATED
    # a second pass finds nothing left to do
    assert interp_gallery.rewrite_gallery_notebooks(gallery, linker, "auto_examples") == 0


def test_authors_as_cited():
    assert interp_gallery.authors_text(["Zeiler"]) == "Zeiler"
    assert interp_gallery.authors_text(["Zeiler", "Fergus"]) == "Zeiler and Fergus"
    assert interp_gallery.authors_text(["Simonyan", "Vedaldi", "Zisserman"]) == "Simonyan et al."


def test_references_bib_has_the_sites_keys():
    text = (DOCS / "references.bib").read_text()
    keys = re.findall(r"^@\w+\{(\w+),", text, flags=re.M)
    assert sorted(keys) == sorted(["simonyan2014", "zeiler2014", "springenberg2015",
                                   "smilkov2017", "sundararajan2017", "selvaraju2017",
                                   "adebayo2018", "petsiuk2018",
                                   # the methods of issue #20
                                   "hooker2019", "adebayo2018b", "chattopadhay2018",
                                   "jiang2021", "wang2020", "lundberg2017",
                                   "bach2015", "montavon2019",
                                   # the measures of issue #20
                                   "bhatt2020", "yeh2019", "sixt2020", "rong2022",
                                   # network dissection, issue #17
                                   "bau2017"])
    for entry in re.split(r"^@", text, flags=re.M)[1:]:
        assert re.search(r"^\s*(doi|url)\s*=", entry, flags=re.M), entry.splitlines()[0]
        # each entry closes the brace it opens, and nothing follows it (bibtex stops the
        # build on an entry left open, as a merge once left montavon2019)
        body = entry.rstrip()
        assert body.count("{") == body.count("}") and body.endswith("}"), entry.splitlines()[0]


# ---- a self-contained site ------------------------------------------------------------------
TIMES = """
:orphan:

.. _sphx_glr_sg_execution_times:


Computation times
=================
**00:14.055** total execution time for 2 files **from all galleries**:

.. container::

  .. raw:: html

    <style scoped>
    <link href="https://cdnjs.cloudflare.com/ajax/libs/twitter-bootstrap/5.3.0/css/bootstrap.min.css" rel="stylesheet" />
    </style>
    <script src="https://code.jquery.com/jquery-3.7.0.js"></script>
    <script type="text/javascript" class="init">
    $(document).ready( function () {
        $('table.sg-datatable').DataTable({order: [[1, 'desc']]});
    } );
    </script>

  .. list-table::
   :header-rows: 1
   :class: table table-striped sg-datatable

   * - Example
     - Time
     - Mem (MB)
   * - :ref:`sphx_glr_auto_examples_chapter_01_a.py` (``../examples/chapter/01_a.py``)
     - 00:01.900
     - 491.7
   * - :ref:`sphx_glr_auto_examples_why_20_b.py` (``../examples/why/20_b.py``)
     - 00:01.635
     - 0.0
"""


@pytest.mark.parametrize("memory", [True, False])
def test_execution_times_page_loads_nothing_from_other_hosts(memory):
    text = interp_gallery.clean_execution_times(TIMES, memory=memory)
    assert "http" not in text and "raw::" not in text and "$(" not in text
    assert ".. list-table::\n   :header-rows: 1\n   :class: sg-times\n" in text
    assert "(``chapter/01_a.py``)" in text and "(``why/20_b.py``)" in text
    rows = re.findall(r"^   \* - (.*)\n((?:     - .*\n)*)", text, flags=re.M)
    assert len(rows) == 3
    assert all(len(cells.splitlines()) == (2 if memory else 1) for _, cells in rows)
    if memory:
        assert "Memory added (MB)" in text and "491.7" in text
        assert "peak resident memory" in text
    else:
        assert "Mem" not in text and "491.7" not in text and "00:01.900" in text


def test_animation_player_font_from_a_cdn_is_removed():
    source = ('.. raw:: html\n\n    <link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/'
              'font-awesome/4.4.0/css/font-awesome.min.css">\n    <div class="animation"></div>\n')
    cleaned = interp_gallery.strip_remote_stylesheets(source)
    assert "maxcdn" not in cleaned and '<div class="animation"></div>' in cleaned
    local = '<link rel="stylesheet" href="../_static/x.css">'
    assert interp_gallery.strip_remote_stylesheets(local) == local


def test_tensorflow_start_up_notes_are_dropped_and_errors_kept():
    text = "\n".join([
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
        "I0000 00:00:1795708309.638988   10581 port.cc:153] oneDNN custom operations are on.",
        "I0000 00:00:1795708309.639386   10581 cudart_stub.cc:31] Could not find cuda drivers",
        "To enable the following instructions: AVX2 FMA, in other operations, rebuild "
        "TensorFlow with the appropriate compiler flags.",
        "E0000 00:00:1795708312.930701   10581 some.cc:52] a real error",
        "Traceback (most recent call last):",
    ])
    kept = interp_gallery.drop_tensorflow_notes(text)
    assert kept.splitlines() == ["E0000 00:00:1795708312.930701   10581 some.cc:52] a real error",
                                 "Traceback (most recent call last):"]


def test_peak_memory_sees_an_allocation():
    if not interp_gallery.peak_memory_supported():
        pytest.skip("this kernel does not let a process reset its peak memory")
    measure = interp_gallery.PeakMemory()
    before, _ = measure(lambda: None)
    peak, value = measure(lambda: len(b"\x01" * (64 * 2**20)))  # written: resident
    assert value == 64 * 2**20
    assert peak - before > 50
    again, _ = measure(lambda: None)  # the high-water mark is reset for the next call
    assert again < peak - 50
    assert interp_gallery.PeakMemory() == measure  # Sphinx sees an unchanged configuration


def test_nox_sessions_quiet_tensorflow():
    text = (ROOT / "noxfile.py").read_text()
    assert '"TF_CPP_MIN_LOG_LEVEL": "3"' in text


def test_conf_ships_every_asset():
    """Math, copy buttons, cards and citations come from packages that ship their files."""
    text = (DOCS / "conf.py").read_text()
    for extension in ("sphinx_copybutton", "sphinx_design", "sphinxcontrib.bibtex",
                      "sphinx-mathjax-offline"):
        assert f'"{extension}"' in text
    assert re.search(r'^mathjax_path = "mathjax/tex-chtml.js"', text, flags=re.M)
    assert '"image_srcset": ["2x"]' in text
    assert 'SITE = "https://interp-dev.github.io/interp/"' in text
    assert 'html_baseurl = f"{SITE}{DOCS_VERSION}/"' in text
    workflow = (ROOT / ".github" / "workflows" / "docs.yml").read_text()
    # the base URL is this repository's Pages site, one folder per version
    assert "SITE: https://interp-dev.github.io/interp/" in workflow
    assert 'cp -r docs/_build/html "pages/$INTERP_DOCS_VERSION"' in workflow
    assert "python .ci/versions.py pages" in workflow


def _versions_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("versions", ROOT / ".ci" / "versions.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_version_list_puts_dev_first_and_the_newest_release_as_stable(tmp_path):
    versions = _versions_module()
    for folder in ("dev", "0.2.0", "0.10.1", "0.9.0", "tmp"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "index.html").write_text("x")
    (tmp_path / "stray").mkdir()  # a folder without a built site is not a version
    entries = versions.publish(tmp_path, "https://example.org/site")
    assert [e["version"] for e in entries] == ["dev", "0.10.1", "0.9.0", "0.2.0"]
    assert [e.get("preferred", False) for e in entries] == [False, True, False, False]
    assert entries[1]["name"] == "0.10.1 (stable)"
    assert entries[2]["url"] == "https://example.org/site/0.9.0/"
    for folder in ("dev", "0.2.0", "0.10.1", "0.9.0"):
        assert json.loads((tmp_path / folder / "_static" / "versions.json").read_text()) \
            == entries
    assert 'url=0.10.1/"' in (tmp_path / "index.html").read_text()


def test_version_list_of_the_built_site_names_this_build():
    """The committed list (what a fresh build ships) has the version conf.py marks."""
    entries = json.loads((DOCS / "_static" / "versions.json").read_text())
    assert {"name", "version", "url"} <= set(entries[0])
    assert "dev" in [e["version"] for e in entries]
    assert _versions_module().versions(["dev"], "https://interp-dev.github.io/interp/") \
        == entries


def test_zip_member_rewrite_keeps_other_members_byte_for_byte(linker, tmp_path):
    archive = tmp_path / "x.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        out.writestr("a.ipynb", _notebook(":func:`interp.convolve`\n", "1\n"))
        out.writestr("data.bin", bytes(range(256)))
    archive.write_bytes(buffer.getvalue())
    assert interp_gallery._rewrite_zip(archive, linker, {"a.ipynb": PAGE}) == 1
    with zipfile.ZipFile(archive) as zipped:
        assert zipped.read("data.bin") == bytes(range(256))
        assert "interp.convolve.html" in zipped.read("a.ipynb").decode()
