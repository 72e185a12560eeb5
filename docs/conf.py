"""Sphinx configuration for the interp site."""

import os
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "sphinxext"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ log: fatal only
os.environ.setdefault("MPLBACKEND", "Agg")

import interp_gallery  # noqa: E402

import interp  # noqa: E402

interp_gallery.quiet_tensorflow_import()  # its start-up notes read like errors

project = "interp"
author = "the interp developers"
copyright = "2026, the interp developers"
release = version = interp.__version__
REPOSITORY = "https://github.com/interp-dev/interp"
# Where the site is published (.github/workflows/docs.yml): canonical links, and the
# address the downloadable notebooks link to.
SITE = "https://interp-dev.github.io/interp/"
# Which version this build is: "dev" from main, the release number from a tag (set by
# .github/workflows/docs.yml). Each is published in its own folder of the site, and the
# version switcher marks it.
DOCS_VERSION = os.environ.get("INTERP_DOCS_VERSION", "dev")
html_baseurl = f"{SITE}{DOCS_VERSION}/"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "sphinx_copybutton",  # a copy button on every code block
    "sphinx_design",  # cards on the landing page; ships its CSS and JS
    "sphinxcontrib.bibtex",  # :cite: and the references page, from references.bib
    "sphinx-mathjax-offline",  # MathJax 3 and its fonts, copied into _static/mathjax
    "interp_gallery",  # this site's hooks: docs/sphinxext/interp_gallery.py
]

templates_path = ["_templates"]
# Sphinx-Gallery also writes a computation-times page per gallery and per part; the one
# page for the whole site is sg_execution_times.rst.
exclude_patterns = [
    "_build", "**.ipynb_checkpoints", "auto_examples/*.md5",
    "auto_examples/sg_execution_times.rst", "auto_examples/*/sg_execution_times.rst",
]
html_static_path = ["_static"]
nitpicky = True

# ---- API reference ----------------------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": False, "inherited-members": False}
autodoc_typehints = "none"  # the numpydoc sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks = {"GL08"}  # every public object has a docstring
default_role = "autolink"

# ---- cross-links: online builds link out; offline builds stay quiet --------------------
intersphinx_mapping = interp_gallery.intersphinx_mapping()
intersphinx_timeout = 10
# Keras and TensorFlow publish no Sphinx inventory; offline, nothing outside resolves.
nitpick_ignore_regex = [(r"py:.*", r"(keras|tf|tensorflow)(\..*)?")]
if not intersphinx_mapping:
    nitpick_ignore_regex += [
        (r"py:.*", r"(numpy|np|scipy|matplotlib|pathlib|collections|typing|os)(\..*)?"),
        (r"py:.*", r"(int|float|str|bool|dict|tuple|list|type|object|None)"),
        (r"py:.*", r"(array-like|path-like|optional|sequence|callable)"),
    ]

# ---- gallery ------------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/\d\d_",  # run every numbered example
    "ignore_pattern": r"(__init__\.py|(^|/)_[^/]*\.py)$",  # _template.py is for contributors
    "subsection_order": ["../examples/chapter", "../examples/inside", "../examples/why"],
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("interp",),
    "backreferences_dir": "generated/backreferences",
    "remove_config_comments": True,
    "reset_modules": ("interp_gallery.reset_keras", "matplotlib",
                      "interp_gallery.gif_writer_pillow", "interp_gallery.colour_blind_cycle"),
    "reset_modules_order": "before",
    "download_all_examples": True,
    "write_computation_times": True,
    # peak memory per example, exact and cheap on Linux; elsewhere the column is dropped
    "show_memory": interp_gallery.peak_memory_supported() and interp_gallery.PeakMemory(),
    "min_reported_time": 1,
    "capture_repr": (),
    "image_srcset": ["2x"],  # sharp figures on high-DPI screens
    "thumbnail_size": (768, 512),  # shown at up to 384 px wide, so 2x for high DPI
    "matplotlib_animations": (True, "jshtml"),  # no video encoder needed
    # one test case per example run, a failing one with its traceback (CI reads it);
    # relative to the HTML folder: docs/_build/test-results/sphinx-gallery/junit.xml
    "junit": "../test-results/sphinx-gallery/junit.xml",
    # matplotlib's scraper, after a check that every figure has a title (its alt text) and
    # every heat map a colorbar or its values written on it
    "image_scrapers": (interp_gallery.HouseRuleScraper(),),
    "recommender": {"enable": True, "n_examples": 4, "rubric_header": "Related pages"},
    # the examples of a part run in one process per core (INTERP_DOCS_JOBS=1: one by one);
    # each process loads TensorFlow once, and a network is trained once (a file lock)
    "parallel": interp_gallery.gallery_jobs(),
}

# The landing page shows page 08's figure. A partial build (nox -s docs -- 13) does not
# run page 08, so the committed copy stands in for it (interp_gallery.fill_missing_figures).
interp_figure_fallbacks = {
    f"auto_examples/chapter/images/sphx_glr_08_taken_together_001{suffix}.png":
        "_static/first-layer.png"
    for suffix in ("", "_2_00x")
}

# ---- theme ----------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = "interp"
html_logo = None
html_favicon = "_static/favicon.svg"
html_css_files = ["interp.css"]
html_js_files = ["interp.js"]  # figures open full size when tapped; see the file
html_theme_options = {
    "icon_links": [
        {"name": "Source code", "url": REPOSITORY, "icon": "fa-brands fa-github"},
    ],
    "navbar_end": ["version-switcher", "theme-switcher", "navbar-icon-links"],
    # The versions are read from the built site itself (no request to another host):
    # _static/versions.json lists dev and every release, with their addresses on the
    # published site; the Pages workflow writes the current list into every version's
    # folder (.ci/versions.py). This build is the one named by INTERP_DOCS_VERSION.
    "switcher": {"json_url": "_static/versions.json", "version_match": DOCS_VERSION},
    "check_switcher": True,
    # a search button, not a search field: the header stays on one row at every width
    "navbar_persistent": ["search-button"],
    # three links, the rest under "More": with the version switcher, four no longer fit
    # on one row at 1024 px
    "header_links_before_dropdown": 3,
    "show_toc_level": 2,
    # the download links render only on gallery pages
    "secondary_sidebar_items": ["page-toc", "sg_download_links", "sg_launcher_links"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_context = {"default_mode": "auto"}
# pages at the top of the site have no pages below them: no left sidebar
html_sidebars = {page: [] for page in
                 ("index", "api", "contributing", "references", "sg_execution_times",
                  "cli", "backends")}
html_show_sourcelink = False

# ---- math, copy buttons, citations ---------------------------------------------------------
mathjax_path = "mathjax/tex-chtml.js"  # shipped by sphinx-mathjax-offline, fonts included
copybutton_prompt_text = r">>> |\.\.\. |\$ "  # copy the code of a doctest, not its prompts
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True
copybutton_selector = ":not(.sphx-glr-script-out) > div.highlight pre"  # code, not output
bibtex_bibfiles = ["references.bib"]
bibtex_default_style = "plain"
bibtex_reference_style = "author_year"
bibtex_cite_id = "cite-{key}"  # stable anchors: references.html#cite-simonyan2014
