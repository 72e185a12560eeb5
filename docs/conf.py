"""Sphinx configuration for the interp site."""

import os
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "sphinxext"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

from interp_gallery import intersphinx_mapping as _intersphinx  # noqa: E402

import interp  # noqa: E402

project = "interp"
author = "the interp developers"
copyright = "2026, the interp developers"
release = version = interp.__version__
REPOSITORY = "https://github.com/interp-dev/interp"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/*.md5"]
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
intersphinx_mapping = _intersphinx()
intersphinx_timeout = 10
# Keras and TensorFlow publish no Sphinx inventory; offline, nothing outside resolves.
nitpick_ignore_regex = [(r"py:.*", r"(keras|tf|tensorflow)(\..*)?")]
if not intersphinx_mapping:
    nitpick_ignore_regex += [
        (r"py:.*", r"(numpy|np|matplotlib|pathlib|collections|typing|os)(\..*)?"),
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
    "reset_modules": ("matplotlib", "interp_gallery.reset_keras"),
    "reset_modules_order": "before",
    "download_all_examples": True,
    "write_computation_times": True,
    "show_memory": False,
    "min_reported_time": 1,
    "capture_repr": (),
    "image_srcset": [],
    "matplotlib_animations": (True, "jshtml"),  # no video encoder needed
}

# ---- theme ----------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = "interp"
html_logo = None
html_css_files = ["interp.css"]
html_theme_options = {
    "icon_links": [
        {"name": "Source code", "url": REPOSITORY, "icon": "fa-brands fa-github"},
    ],
    "navbar_end": ["theme-switcher", "navbar-icon-links"],
    "show_toc_level": 2,
    # the download links render only on gallery pages
    "secondary_sidebar_items": ["page-toc", "sg_download_links", "sg_launcher_links"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_context = {"default_mode": "auto"}
html_sidebars = {"index": [], "contributing": [], "api": []}
html_show_sourcelink = False
