"""Build helpers for the site.

- the intersphinx switch (online builds link out, offline builds stay quiet);
- a Keras reset between examples and a quiet TensorFlow import;
- per-example peak memory for the computation-times page;
- a self-contained site: no CDN scripts on the computation-times page, no CDN font in
  matplotlib's animation player;
- the ``interp.CLASS_NAMES`` docstring (autodoc would show the tuple type's);
- notebooks whose Sphinx roles become Markdown links to the hosted site;
- stand-ins for gallery figures that other pages show, in a partial build;
- related pages by the pages' prose, and no pages left over from deleted examples;
- accessible markup where the theme or a generator leaves a control or a list unnamed
  (the browser check runs axe-core on every page: tests/browser/test_site.py).

The module imports Sphinx lazily: the tests import it without Sphinx installed.
"""

from __future__ import annotations

import gc
import json
import os
import posixpath
import re
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import Any

#: Inventories used when the build is online.
INTERSPHINX = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable/", None),
    "scipy": ("https://docs.scipy.org/doc/scipy/", None),
    "matplotlib": ("https://matplotlib.org/stable/", None),
}
_ONLINE_HOSTS = ("READTHEDOCS", "GITHUB_ACTIONS")


def intersphinx_mapping(environ: dict[str, str] | None = None) -> dict:
    """Return the intersphinx inventories to use: all when online, none when offline.

    ``INTERP_DOCS_INTERSPHINX=1`` or ``0`` decides; without it, a build on Read the Docs
    or GitHub Actions is taken as online and every other build (a laptop on a train, the
    project's CI) as offline. An offline build never tries the network, so it neither
    waits for time-outs nor fails on intersphinx's "failed to reach" warning.
    """
    environ = os.environ if environ is None else environ
    switch = environ.get("INTERP_DOCS_INTERSPHINX", "").strip().lower()
    if switch in ("1", "true", "yes", "on"):
        online = True
    elif switch in ("0", "false", "no", "off"):
        online = False
    else:
        online = any(environ.get(name, "").lower() == "true" for name in _ONLINE_HOSTS)
    return dict(INTERSPHINX) if online else {}


def gallery_jobs(environ: Mapping[str, str] | None = None) -> int:
    """How many processes run the examples: ``INTERP_DOCS_JOBS``, else one per core.

    At most 4: the examples are small, and each process holds TensorFlow (about 0.5 GB).
    1 runs them one after another in the build's own process.
    """
    environ = os.environ if environ is None else environ
    value = environ.get("INTERP_DOCS_JOBS", "")
    if value:
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"INTERP_DOCS_JOBS must be a whole number >= 1, got {value!r}")
        return int(value)
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                      else os.cpu_count() or 1))


def examples_to_run(environ: Mapping[str, str] | None = None) -> str | None:
    """The pattern of the examples a partial build runs: ``INTERP_DOCS_PATTERN``, or None.

    ``nox -s docs -- 13`` sets it to ``13``. It is applied while Sphinx-Gallery runs the
    examples and then taken back (see :func:`select_examples`), so that Sphinx never sees
    a changed configuration: with ``-D sphinx_gallery_conf.filename_pattern=13`` (and
    one process instead of one per core), the first partial build after a full one wrote
    every page of the site again (21 s instead of 15 s for a new page on the project's
    machine), and so did the next full build.
    """
    environ = os.environ if environ is None else environ
    pattern = environ.get("INTERP_DOCS_PATTERN", "")
    if not pattern:
        return None
    try:
        re.compile(pattern)
    except re.error as error:
        raise ValueError(f"INTERP_DOCS_PATTERN must be a regular expression matched against "
                         f"the examples' paths, got {pattern!r}: {error}") from None
    return pattern


def select_examples(gallery_conf: dict, pattern: str | None,
                    jobs: int = 1) -> Callable[[], None]:
    """Run only the examples matching *pattern*, in *jobs* processes; return the function
    that undoes it.

    Sets ``filename_pattern`` and ``parallel`` in *gallery_conf* (Sphinx-Gallery's
    configuration, as the build holds it); a *pattern* of None changes nothing. The build
    calls it just before Sphinx-Gallery runs the examples, and what it returns just after,
    on the same ``builder-inited`` event.
    """
    saved = {key: gallery_conf[key] for key in ("filename_pattern", "parallel")}
    if pattern is not None:
        gallery_conf.update(filename_pattern=pattern, parallel=jobs)

    def restore() -> None:
        gallery_conf.update(saved)

    return restore


def reset_keras(gallery_conf, fname, when=None):
    """Clear Keras's global state so each example starts as a fresh script would.

    Layer-name counters, the TensorFlow graph behind them and the memory of finished
    examples are released before every example runs. TensorFlow's "frequent retracing"
    warning is silenced: it counts ``model.predict`` calls across all examples of the
    build, as no single script would, and is noise in the build log.
    """
    import logging

    quiet_tensorflow_import()  # the first example in a parallel worker loads TensorFlow
    import keras

    keras.backend.clear_session(free_memory=True)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    gc.collect()


def gif_writer_pillow(gallery_conf, fname, when=None):
    """Save animation thumbnails with Pillow without first asking for ffmpeg.

    Sphinx-Gallery saves a GIF of every animation for its thumbnail; matplotlib's default
    writer is ffmpeg, and without it matplotlib prints "MovieWriter ffmpeg unavailable;
    using Pillow instead" and uses Pillow anyway. Runs after matplotlib's own reset.
    """
    import matplotlib

    matplotlib.rcParams["animation.writer"] = "pillow"


def colour_blind_cycle(gallery_conf, fname, when=None):
    """Draw the categorical colours ("C0", "C1", ...) from :data:`interp.OKABE_ITO`.

    Runs after matplotlib's own reset, before every example.
    """
    import matplotlib
    from cycler import cycler

    from interp.plotting import OKABE_ITO

    matplotlib.rcParams["axes.prop_cycle"] = cycler(color=list(OKABE_ITO))


# ---- a quiet TensorFlow ------------------------------------------------------------------
# TensorFlow's C++ libraries print informational lines ("oneDNN custom operations are
# on", "Could not find cuda drivers on your machine") while they load, before absl's
# logging is set up, so TF_CPP_MIN_LOG_LEVEL cannot hide them. They are harmless but
# read like trouble in a new user's terminal.
_TF_NOISE = re.compile(
    r"^(I\d{4} \d\d:\d\d:[\d.]+ +\d+ \S+\] .*"
    r"|WARNING: All log messages before absl::InitializeLog\(\) is called .*"
    r"|To enable the following instructions: .* rebuild TensorFlow .*)$"
)


def drop_tensorflow_notes(text: str) -> str:
    """Return *text* without TensorFlow's informational start-up lines; keep the rest."""
    return "\n".join(line for line in text.splitlines() if line and not _TF_NOISE.match(line))


def quiet_tensorflow_import() -> None:
    """Import TensorFlow with its start-up notes dropped; anything else still shows.

    The C-level standard error is sent to a temporary file while TensorFlow loads; the
    lines that are not informational notes are printed back afterwards.
    """
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow  # noqa: F401
        except ImportError:
            pass  # the examples will say so, loudly
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode("utf-8", "replace")
    kept = drop_tensorflow_notes(text)
    if kept:
        print(kept, file=sys.stderr)


# ---- memory ------------------------------------------------------------------------------
def _peak_rss_mb() -> float:
    with open("/proc/self/status") as status:
        match = re.search(r"^VmHWM:\s+(\d+) kB", status.read(), flags=re.M)
    return int(match.group(1)) / 1024 if match else 0.0


def peak_memory_supported() -> bool:
    """Whether the kernel lets a process reset and read its own peak memory (Linux)."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return _peak_rss_mb() > 0
    except OSError:
        return False


@dataclass(frozen=True)
class PeakMemory:
    """Sphinx-Gallery's ``show_memory`` hook: the peak resident memory during a call.

    Calling it with *func* calls *func* and returns the process's peak resident memory
    in MB during the call, and *func*'s value. The kernel's high-water mark is reset
    before the call (``/proc/self/clear_refs``) and read after it (``VmHWM``), so the peak
    is exact and needs no sampling thread. Sphinx-Gallery reports the peak minus the
    memory in use when the example started.

    An instance rather than a function: Sphinx caches its configuration only when it holds
    no functions, and compares instances of this class as equal from build to build.
    """

    def __call__(self, func: Callable[[], Any]) -> tuple[float, Any]:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        value = func()
        return _peak_rss_mb(), value


# ---- a self-contained site ------------------------------------------------------------------
_RAW_BLOCK = re.compile(r"^\.\. container::\n\n  \.\. raw:: html\n(?:\n|    .*\n)*", flags=re.M)


def clean_execution_times(text: str, *, memory: bool) -> str:
    """Make Sphinx-Gallery's computation-times page self-contained.

    Its raw HTML loads jQuery, DataTables and Bootstrap from CDNs to make the table
    sortable; the table is already sorted by time, so the block is dropped. Without
    memory measurements the memory column (all zeros) is dropped too.
    """
    text = _RAW_BLOCK.sub("", text)
    text = text.replace("  .. list-table::", ".. list-table::")
    text = text.replace(":class: table table-striped sg-datatable", ":class: sg-times")
    # the example's title is the link; its file name is enough beside it
    text = re.sub(r"\(``(?:\.\./)*examples/([^`]+)``\)$", r"(``\1``)", text, flags=re.M)
    if not memory:
        text = re.sub(r"^     - Mem \(MB\)\n", "", text, flags=re.M)
        text = re.sub(r"^(   \* - .*\n     - .*\n)     - .*\n", r"\1", text, flags=re.M)
        return text
    text = text.replace("     - Mem (MB)\n", "     - Memory added (MB)\n")
    return re.sub(r"^(\*\*[0-9:.]+\*\* total execution time.*\n)", r"\1\n" + _MEMORY_NOTE,
                  text, count=1, flags=re.M)


_MEMORY_NOTE = """\
The examples run one after another in the build's Python process. *Memory added* is how
far that process's peak resident memory rose above its level when the example started;
memory that an earlier example freed and this one reused is not counted.

"""


_REMOTE_STYLESHEET = re.compile(r"<link[^>]*href=\"https?://[^\"]*\"[^>]*>\n?")


def strip_remote_stylesheets(text: str) -> str:
    """Remove ``<link href="https://...">`` tags from raw HTML in a page's source.

    Matplotlib's JavaScript animation player links Font Awesome 4 from a CDN for its
    button icons; the theme already ships Font Awesome, which draws the same icons.
    """
    return _REMOTE_STYLESHEET.sub("", text)


#: The longest printed line that fits the page's column without scrolling.
PRINTED_WIDTH = 88


def check_printed_lines(rst: str, width: int = PRINTED_WIDTH) -> list[tuple[int, int]]:
    """(line number, length) of each printed line longer than *width* in a gallery page.

    The printed output is what Sphinx-Gallery writes under ``.. rst-class::
    sphx-glr-script-out``, as an indented ``code-block``.
    """
    long, lines, i = [], rst.splitlines(), 0
    while i < len(lines):
        if lines[i].strip() != ".. rst-class:: sphx-glr-script-out":
            i += 1
            continue
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(".. code-block::"):
            i += 1
        i += 1
        indent = None
        while i < len(lines):
            line = lines[i]
            if line.strip():
                depth = len(line) - len(line.lstrip())
                indent = depth if indent is None else indent
                if depth < indent:
                    break
                if len(line) - indent > width:
                    long.append((i + 1, len(line) - indent))
            i += 1
    return long


def _on_source_read(app, docname: str, source: list[str]) -> None:
    if docname.startswith("auto_examples/"):
        from sphinx.util import logging

        for line, length in check_printed_lines(source[0]):
            logging.getLogger(__name__).warning(
                f"{docname}: printed line {length} characters long, more than "
                f"{PRINTED_WIDTH} (the house rules: docs/contributing.rst)",
                location=(docname, line), type="interp", subtype="house-rules")
    if docname == "sg_execution_times":
        memory = bool(app.config.sphinx_gallery_conf.get("show_memory"))
        source[0] = clean_execution_times(source[0], memory=memory)
    elif docname.startswith("auto_examples/") and "<link" in source[0]:
        source[0] = strip_remote_stylesheets(source[0])


# ---- docstrings of public data -----------------------------------------------------------
def _on_process_docstring(app, what, name, obj, options, lines: list[str]) -> None:
    """Give re-exported module data (``interp.CLASS_NAMES``) its own docstring.

    Autodoc looks for the attribute's docstring in ``interp/__init__.py``, finds none
    (the name is re-exported) and falls back to the value's type: "Built-in immutable
    sequence". The docstring written under the assignment in the defining module wins.
    """
    if what != "data" or not name.startswith("interp."):
        return
    from sphinx.pycode import ModuleAnalyzer

    attr = name.rsplit(".", 1)[1]
    for modname in sorted(m for m in sys.modules if m.startswith("interp.")):
        try:
            docs = ModuleAnalyzer.for_module(modname).find_attr_docs()
        except Exception:  # a module without source: look in the next one
            continue
        if ("", attr) in docs:
            lines[:] = list(docs[("", attr)])
            return


# ---- notebooks: Sphinx roles become Markdown links -------------------------------------------
_ROLE = re.compile(r":(?P<role>[a-z]+(?::[a-z]+)*):`(?P<content>[^`]+)`")
_TITLED = re.compile(r"^(?P<title>.*?)\s*<(?P<target>[^<>]+)>$", flags=re.S)
_PY_ROLES = {"func", "meth", "class", "attr", "data", "obj", "mod", "exc", "const",
             "property", "type"}
_CODE_ROLES = {"file", "samp", "kbd", "command", "program", "envvar", "option", "code"}


@dataclass
class RoleLinker:
    """Turn the Sphinx roles left in a notebook's Markdown into links to the hosted site.

    Sphinx-Gallery writes each example's text cells into the ``.ipynb`` as Markdown but
    keeps ``:func:``, ``:doc:``, ``:ref:`` and ``:cite:`` roles verbatim; a notebook
    viewer shows them as raw text. Each role becomes a Markdown link to ``baseurl``, or,
    when its target is unknown, plain text (code for Python names).

    Parameters
    ----------
    baseurl : str
        The hosted site, ending with ``/``.
    objects : dict
        Python name -> (docname, anchor).
    labels : dict
        ``:ref:`` label -> (docname, anchor, section title).
    titles : dict
        docname -> page title.
    citations : dict
        bibtex key -> (authors, year), e.g. ``("Simonyan et al.", "2014")``.
    references : str
        The docname of the bibliography page; citation anchors are ``cite-<key>``.
    """

    baseurl: str
    objects: dict[str, tuple[str, str]] = field(default_factory=dict)
    labels: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    citations: dict[str, tuple[str, str]] = field(default_factory=dict)
    references: str = "references"
    default_module: str = "interp"

    def url(self, docname: str, anchor: str = "") -> str:
        """Return the hosted address of a page, and of an anchor in it."""
        return f"{self.baseurl}{docname}.html" + (f"#{anchor}" if anchor else "")

    def rewrite(self, markdown: str, docname: str) -> str:
        """Return *markdown* (a cell of the notebook of page *docname*) with roles replaced."""
        return _ROLE.sub(lambda match: self._replace(match, docname), markdown)

    def _replace(self, match: re.Match, docname: str) -> str:
        role, content = match.group("role"), match.group("content")
        role = role.removeprefix("py:").removeprefix("std:")
        title, target = None, content.strip()
        titled = _TITLED.match(target)
        if titled and titled.group("title"):
            title, target = titled.group("title"), titled.group("target").strip()
        if role in _PY_ROLES:
            return self._python(role, title, target)
        if role == "doc":
            return self._doc(title, target, docname)
        if role == "ref":
            return self._ref(title, target)
        if role == "math":
            return f"${content}$"
        if role.split(":")[0] in ("cite", "footcite"):
            return self._cite(role, target)
        if role in _CODE_ROLES:
            return f"`{content}`"
        return title or target

    def _python(self, role: str, title: str | None, target: str) -> str:
        no_link = target.startswith("!")
        target = target.lstrip("!")
        short = target.startswith("~")
        target = target.lstrip("~.").removesuffix("()")
        text = title or (target.rsplit(".", 1)[-1] if short else target)
        if title is None and role in ("func", "meth"):
            text += "()"
        entry = None
        if not no_link:
            entry = self.objects.get(target) or self.objects.get(
                f"{self.default_module}.{target}")
        return f"[`{text}`]({self.url(*entry)})" if entry else f"`{text}`"

    def _doc(self, title: str | None, target: str, docname: str) -> str:
        if target.startswith("/"):
            path = target.lstrip("/")
        else:
            path = posixpath.normpath(posixpath.join(posixpath.dirname(docname), target))
        text = title or self.titles.get(path, target)
        return f"[{text}]({self.url(path)})" if path in self.titles else text

    def _ref(self, title: str | None, target: str) -> str:
        entry = self.labels.get(target.lower())
        if entry is None:
            return title or target
        page, anchor, section = entry
        return f"[{title or section}]({self.url(page, anchor)})"

    def _cite(self, role: str, target: str) -> str:
        """``:cite:p:`` reads (Simonyan et al., 2014), ``:cite:t:`` Simonyan et al. (2014)."""
        textual = role.split(":")[-1] in ("t", "ts")
        links = []
        for key in (k.strip() for k in target.split(",")):
            if key not in self.citations:
                links.append(key)
                continue
            authors, year = self.citations[key]
            text = f"{authors} ({year})" if textual else f"{authors}, {year}"
            links.append(f"[{text}]({self.url(self.references, f'cite-{key}')})")
        return "; ".join(links) if textual else "(" + "; ".join(links) + ")"

    def rewrite_notebook(self, text: str, docname: str) -> str:
        """Return the JSON text of a notebook with every Markdown cell rewritten."""
        notebook = json.loads(text)
        for cell in notebook.get("cells", []):
            if cell.get("cell_type") == "markdown":
                source = cell["source"]
                joined = "".join(source) if isinstance(source, list) else source
                new = self.rewrite(joined, docname)
                if new != joined:
                    cell["source"] = new.splitlines(keepends=True) if isinstance(
                        source, list) else new
        return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def authors_text(last_names: list[str]) -> str:
    """Return "A", "A and B" or "A et al." from the authors' last names, as the site cites."""
    if len(last_names) <= 2:
        return " and ".join(last_names)
    return f"{last_names[0]} et al."


def read_citations(bibfile: Path) -> dict[str, tuple[str, str]]:
    """Return bibtex key -> (authors, year) for every entry of *bibfile*."""
    import codecs

    import latexcodec  # noqa: F401 - registers the "ulatex" codec; pybtex depends on it
    from pybtex.database import parse_file

    def plain(latex: str) -> str:  # Vi{\'e}gas -> Viégas
        return codecs.decode(latex, "ulatex").replace("{", "").replace("}", "")

    out = {}
    for key, entry in parse_file(str(bibfile)).entries.items():
        last = [plain(" ".join(person.last_names))
                for person in entry.persons.get("author", [])]
        out[key] = (authors_text(last) or key, entry.fields.get("year", ""))
    return out


def rewrite_gallery_notebooks(gallery: Path, linker: RoleLinker, gallery_doc: str) -> int:
    """Rewrite every notebook under *gallery*, loose or zipped; return how many changed.

    Notebooks are matched to their page by file name (``NN_name.ipynb`` is the page
    ``<gallery_doc>/<part>/NN_name``), inside zips too.
    """
    docnames = {
        path.name: f"{gallery_doc}/{path.relative_to(gallery).with_suffix('').as_posix()}"
        for path in gallery.rglob("*.ipynb")
    }
    changed = 0
    for path in gallery.rglob("*.ipynb"):
        text = path.read_text(encoding="utf-8")
        new = linker.rewrite_notebook(text, docnames[path.name])
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed += 1
    for archive in gallery.rglob("*.zip"):
        changed += _rewrite_zip(archive, linker, docnames)
    return changed


def _rewrite_zip(archive: Path, linker: RoleLinker, docnames: dict[str, str]) -> int:
    with zipfile.ZipFile(archive) as old:
        members = [(info, old.read(info)) for info in old.infolist()]
    changed = 0
    rewritten = []
    for info, data in members:
        name = posixpath.basename(info.filename)
        if name.endswith(".ipynb") and name in docnames:
            text = data.decode("utf-8")
            new = linker.rewrite_notebook(text, docnames[name])
            if new != text:
                data, changed = new.encode("utf-8"), changed + 1
        rewritten.append((info, data))
    if changed:
        temporary = archive.with_suffix(".zip.new")
        with zipfile.ZipFile(temporary, "w") as new_zip:
            for info, data in rewritten:
                new_zip.writestr(info, data)
        temporary.replace(archive)
    return changed


def linker_from_env(app, env) -> RoleLinker:
    """Build a :class:`RoleLinker` from what the Sphinx build environment knows."""
    baseurl = app.config.html_baseurl.rstrip("/") + "/"
    objects = {
        name: (entry.docname, entry.node_id)
        for name, entry in env.get_domain("py").objects.items()
    }
    std = env.get_domain("std")
    labels = {name: (doc, anchor, section) for name, (doc, anchor, section)
              in std.labels.items()}
    titles = {doc: node.astext() for doc, node in env.titles.items()}
    citations = {}
    for bibfile in getattr(app.config, "bibtex_bibfiles", []):
        citations.update(read_citations(Path(app.srcdir) / bibfile))
    return RoleLinker(baseurl=baseurl, objects=objects, labels=labels, titles=titles,
                      citations=citations)


def _on_env_updated(app, env) -> None:
    from sphinx.util import logging

    if not app.config.html_baseurl:
        return
    gallery = Path(app.srcdir) / "auto_examples"
    if gallery.is_dir():
        changed = rewrite_gallery_notebooks(gallery, linker_from_env(app, env), "auto_examples")
        if changed:
            logging.getLogger(__name__).info(
                f"interp: links in {changed} notebook(s) point to {app.config.html_baseurl}")



# ---- the house rules for figures --------------------------------------------------------
#: Colour maps that show an image as it is (a photograph, a patch): not a heat map.
PICTURE_MAPS = ("gray", "gray_r", "Greys", "Greys_r", "binary", "binary_r", "bone")


def _heat_maps(ax) -> list:
    """The images and meshes of *ax* coloured by a colour map that is not a grey picture."""
    from matplotlib.collections import QuadMesh

    found = []
    for artist in [*ax.images, *(c for c in ax.collections if isinstance(c, QuadMesh))]:
        array = artist.get_array()
        if array is None or getattr(array, "ndim", 2) == 3:  # RGB(A) pixels: a picture
            continue
        if artist.get_cmap().name not in PICTURE_MAPS:
            found.append(artist)
    return found


def _states_values(ax) -> bool:
    """Whether *ax* writes numbers on or beside its map: text in it, or a number in a label."""
    labels = [ax.get_xlabel(), ax.get_ylabel()]
    return bool(ax.texts) or any(re.search(r"\d", label) for label in labels)


def _allowed_colour(rgb, palette) -> bool:
    """A grey, a colour of *palette*, or a colour of the diverging map (signs)."""
    import numpy as np

    rgb = np.asarray(rgb[:3], dtype=float)
    if np.ptp(rgb) <= 2 / 255:  # a grey, black or white
        return True
    return bool(np.min(np.abs(palette - rgb).max(axis=1)) <= 2 / 255)


def _palette():
    import matplotlib
    import numpy as np
    from matplotlib.colors import to_rgb

    from interp.plotting import DIVERGING, OKABE_ITO

    diverging = matplotlib.colormaps[DIVERGING](np.linspace(0, 1, 256))[:, :3]
    return np.vstack([[to_rgb(c) for c in OKABE_ITO], diverging])


def _line_colours(ax) -> list[tuple[str, tuple]]:
    """(what, rgba) of each line, bar and marker of *ax* that has a colour of its own."""
    from matplotlib.collections import PathCollection
    from matplotlib.colors import to_rgba
    from matplotlib.patches import Rectangle

    found = [(f"line {line.get_label()!r}", to_rgba(line.get_color()))
             for line in ax.lines]
    for line in ax.lines:
        if line.get_marker() not in ("None", None, "", " "):
            face = line.get_markerfacecolor()
            if face not in ("none", "None"):
                found.append((f"markers {line.get_label()!r}", to_rgba(face)))
    found += [("bar", tuple(patch.get_facecolor())) for patch in ax.patches
              if isinstance(patch, Rectangle) and patch.get_facecolor()[3] > 0
              and patch.get_fill()]
    for points in ax.collections:
        if isinstance(points, PathCollection) and points.get_array() is None:
            found += [("points", tuple(c)) for c in points.get_facecolors()[:1]
                      if c[3] > 0]
    return found


def figure_problems(fig) -> list[str]:
    """The house rules a figure breaks, in words (an empty list when it keeps them all).

    - It has a title (the figure's or an axes'): Sphinx-Gallery makes the alt text from
      the titles, so an untitled figure has no alt text.
    - Every heat map (an image or mesh with a colour map other than grey) has a colorbar,
      or shares its colour scale with one that has, or states its values: text written
      on the axes, or a number in an axis label (``scale ±1.3``).
    - Lines, bars and markers are grey or take a colour-blind-safe colour
      (:data:`interp.OKABE_ITO`), or a colour of the diverging map for signs.
    """
    problems = []
    palette = _palette()
    for ax in fig.axes:
        for what, rgba in _line_colours(ax):
            if not _allowed_colour(rgba, palette):
                where = ax.get_title() or "an untitled axes"
                problems.append(f"the {what} in {where!r} has colour "
                                f"{tuple(round(float(c), 3) for c in rgba[:3])}, not from "
                                "interp.plotting.OKABE_ITO (colour-blind safe) or a grey")
                break
    if not any(t.strip() for t in figure_titles(fig)):
        problems.append("it has no title (a suptitle or an axes title), so no alt text")
    bars = [ax._colorbar for ax in fig.axes if getattr(ax, "_colorbar", None) is not None]
    scales = {(bar.mappable.get_cmap().name, *bar.mappable.get_clim()) for bar in bars}
    for number, ax in enumerate(fig.axes):
        if getattr(ax, "_colorbar", None) is not None or _states_values(ax):
            continue
        for artist in _heat_maps(ax):
            scale = (artist.get_cmap().name, *artist.get_clim())
            if artist.colorbar is None and scale not in scales:
                where = ax.get_title() or f"axes {number}"
                problems.append(f"the heat map in {where!r} has no colorbar and states no "
                                "values")
                break
    return problems


def figure_titles(fig) -> list[str]:
    """The suptitle and every axes' titles (left, centre, right) of *fig*, empty ones too.

    Sphinx-Gallery's alt text for a figure is the non-empty ones, joined with commas.
    """
    suptitle = getattr(fig, "_suptitle", None)
    titles = [suptitle.get_text() if suptitle is not None else ""]
    return titles + [ax.get_title(loc) for ax in fig.axes for loc in ("left", "center", "right")]


def animation_alt(first: list[str], last: list[str], frames: int) -> str:
    """Alt text for an animation: its frame count, the titles that change, and the rest.

    *first* and *last* are :func:`figure_titles` on the first and the last frame, e.g.
    "Animation in 13 frames, epoch 0.00 to epoch 3.00: kernel 0, kernel 1".
    """
    pairs = list(zip_longest(first, last, fillvalue=""))  # an axes added while playing
    fixed = [a for a, b in pairs if a == b and a.strip()]
    moving = [(a, b) for a, b in pairs if a != b]
    text = f"Animation in {frames} frames"
    if moving:
        text += ", " + "; ".join(f"{a or 'no title'} to {b or 'no title'}" for a, b in moving)
    if fixed:
        text += ": " + ", ".join(fixed)
    return " ".join(text.split())


_ANIMATION_IMAGE = re.compile(r'<img id="_anim_img(\w+)">')
_ANIMATION_SLIDER = re.compile(r'<input id="_anim_slider(\w+)" type="range"')


def label_animation_players(html: str, titles: list[tuple[list[str], list[str]]]) -> str:
    """Name the frames and the sliders of matplotlib's JavaScript animation players.

    ``Animation.to_jshtml`` writes the frame as an ``<img>`` without alt text (axe-core:
    image-alt, critical) and the frame slider as a range ``<input>`` without a label
    (axe-core: label, critical); its buttons have names. Each frame gets
    :func:`animation_alt` of its animation's *titles* (first and last frame, one pair per
    player in the order of *html*), each slider "Frame of the animation".
    """
    players = _ANIMATION_IMAGE.split(html)  # text, id, text, id, ..., text
    out = [players[0]]
    for i in range(1, len(players), 2):
        uuid, rest = players[i], players[i + 1]
        first, last = titles[i // 2] if i // 2 < len(titles) else ([], [])
        alt = animation_alt(first, last, rest.count("frames["))
        alt = alt.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        out += [f'<img id="_anim_img{uuid}" alt="{alt}">', rest]
    return _ANIMATION_SLIDER.sub(
        lambda m: f'<input id="_anim_slider{m[1]}" type="range" '
                  'aria-label="Frame of the animation"', "".join(out))


class HouseRuleScraper:
    """Sphinx-Gallery's matplotlib scraper, after a check of the house rules.

    A figure that breaks a rule (:func:`figure_problems`) stops the strict build with a
    warning that names the example, the figure and the rule.
    """

    def __call__(self, block, block_vars, gallery_conf, **kwargs):
        import matplotlib.pyplot as plt
        from matplotlib.animation import Animation
        from sphinx.util import logging
        from sphinx_gallery.scrapers import matplotlib_scraper

        example = Path(block_vars["src_file"]).name
        figures = [plt.figure(number) for number in plt.get_fignums()]
        for fig in figures:
            for problem in figure_problems(fig):
                logging.getLogger(__name__).warning(
                    f"{example}: figure {fig.number}: {problem} (the house rules: "
                    "docs/contributing.rst)", type="interp", subtype="house-rules")
        # An animation's titles before it is played (its first frame) and after (its last
        # frame), for its alt text. Sphinx-Gallery finds animations the same way and
        # writes their players in the order of the figures.
        animated = [fig for fig in figures if any(
            getattr(value, "_fig", None) is fig for value in
            block_vars.get("example_globals", {}).values() if isinstance(value, Animation))]
        first = [figure_titles(fig) for fig in animated]
        rst = matplotlib_scraper(block, block_vars, gallery_conf, **kwargs)
        titles = [(before, figure_titles(fig)) for before, fig in
                  zip(first, animated, strict=True)]
        return label_animation_players(rst, titles)

    def __repr__(self) -> str:  # Sphinx compares configurations by their repr
        return "HouseRuleScraper()"


class ProseRecommender:
    """Related pages: the most similar prose, with a nudge towards the same part.

    Sphinx-Gallery's recommender (``recommender`` in its configuration) compares whole
    scripts, code included, so every page that loads the model and the data looks alike
    and page 01 was sent to page 30. This one compares the pages' text cells only: TF-IDF
    over their words (a word counts if 3 or more pages and at most 90% of them use it,
    Sphinx-Gallery's defaults), cosine similarity, plus *same_part* for a page of the same
    part of the gallery and *nearby* for a page at most two numbers away (the pages are a
    sequence). The *n* highest are the related pages, ties broken by page order. It is
    handed to Sphinx-Gallery's own writer, so the markup is the gallery's.
    """

    def __init__(self, n: int = 4, same_part: float = 0.1, nearby: float = 0.05,
                 min_df: int = 3, max_df: float = 0.9) -> None:
        self.n, self.same_part, self.nearby = n, same_part, nearby
        self.min_df, self.max_df = min_df, max_df

    def fit(self, files: list[Path]) -> ProseRecommender:
        """Compute the similarity between every pair of *files* (gallery scripts)."""
        import numpy as np
        from sphinx_gallery.py_source_parser import split_code_and_text_blocks

        self.files = [str(f) for f in files]
        words = []
        for f in files:
            _, blocks = split_code_and_text_blocks(str(f), return_node=False)
            prose = "\n".join(block.content for block in blocks if block.type == "text")
            words.append(re.findall(r"\w+", prose.lower()))
        vocabulary = sorted({w for page in words for w in page})
        index = {w: i for i, w in enumerate(vocabulary)}
        counts = np.zeros((len(files), len(vocabulary)))
        for row, page in enumerate(words):
            for w in page:
                counts[row, index[w]] += 1
        pages_using = (counts > 0).sum(axis=0)
        keep = (pages_using >= self.min_df) & (pages_using <= self.max_df * len(files))
        idf = np.log((len(files) + 1) / (pages_using[keep] + 1)) + 1
        tfidf = counts[:, keep] * idf
        tfidf /= np.maximum(np.linalg.norm(tfidf, axis=1, keepdims=True), 1e-12)
        parts = [Path(f).parent.name for f in files]
        same = np.array([[a == b for b in parts] for a in parts], dtype=float)
        numbers = np.array([int(m[1]) if (m := re.match(r"(\d+)_", Path(f).name)) else -9
                            for f in files])
        near = np.abs(numbers[:, None] - numbers[None, :]) <= 2
        self.similarity = tfidf @ tfidf.T + self.same_part * same + self.nearby * near
        return self

    def predict(self, file: str | Path) -> list[str]:
        """The *n* pages most related to *file*, most related first."""
        import numpy as np

        row = self.files.index(str(file))
        score = self.similarity[row].copy()
        score[row] = -np.inf
        order = np.argsort(-score, kind="stable")[: self.n]
        return [self.files[i] for i in order]


def gallery_scripts(gallery: Path, pattern: str = r"^\d\d_") -> list[Path]:
    """The numbered example scripts Sphinx-Gallery copied into *gallery*, in page order."""
    return sorted((p for p in gallery.glob("*/*.py") if re.match(pattern, p.name)),
                  key=lambda p: p.name)


def related_pages_now(gallery: Path) -> dict[Path, tuple[str, int]]:
    """Each ``.recommendations`` file in *gallery*: its text and modification time (ns)."""
    return {page: (page.read_text(encoding="utf-8"), page.stat().st_mtime_ns)
            for page in gallery.glob("*/*.recommendations")}


def write_related_pages(gallery: Path, gallery_conf: dict,
                        before: dict[Path, tuple[str, int]] | None = None) -> int:
    """Write each example's ``.recommendations`` file from :class:`ProseRecommender`.

    Sphinx-Gallery's own recommender has just written its choice into the same files,
    every build. A file whose text is now what it was *before* (:func:`related_pages_now`,
    taken before Sphinx-Gallery ran) gets its old modification time back: Sphinx reads a
    page again when a file it includes is newer, and every page of the gallery was read
    and written again on every build, a one-page build included.
    """
    from sphinx_gallery.recommender import _write_recommendations

    scripts = gallery_scripts(gallery)
    recommender = ProseRecommender(n=gallery_conf["recommender"].get("n_examples", 4))
    recommender.fit(scripts)
    for script in scripts:
        _write_recommendations(recommender, script, gallery_conf)
        page = script.with_name(f"{script.stem}.recommendations")
        text, mtime = (before or {}).get(page, (None, None))
        if text is not None and page.read_text(encoding="utf-8") == text:
            os.utime(page, ns=(mtime, mtime))
    return len(scripts)


def remove_stale_outputs(examples: Path, gallery: Path) -> list[str]:
    """Delete what the gallery generated for example scripts that no longer exist.

    Sphinx-Gallery never removes the ``.rst`` (and its figures, notebook and downloads)
    of an example that was renamed or deleted; the next strict build then stops with
    "document isn't included in any toctree". Returns the removed pages' names.
    """
    removed = []
    for rst in gallery.glob("*/[0-9][0-9]_*.rst"):
        part, stem = rst.parent.name, rst.stem
        if (examples / part / f"{stem}.py").exists():
            continue
        for leftover in [*rst.parent.glob(f"{stem}.*"),
                         *(rst.parent / "images").glob(f"sphx_glr_{stem}_*"),
                         *(rst.parent / "images" / "thumb").glob(f"sphx_glr_{stem}_*")]:
            leftover.unlink()
        removed.append(f"{part}/{stem}")
    return sorted(removed)


def _on_builder_inited_early(app) -> None:
    from sphinx.util import logging

    log = logging.getLogger(__name__)
    conf = app.config.sphinx_gallery_conf
    src = Path(app.srcdir)
    removed = remove_stale_outputs((src / conf["examples_dirs"]).resolve(),
                                   src / conf["gallery_dirs"])
    if removed:
        log.info("interp: removed the generated pages of deleted examples: "
                 + ", ".join(removed))
    # the related pages as the last build left them (see write_related_pages)
    app._interp_related_before = related_pages_now(src / conf["gallery_dirs"])
    # a partial build (INTERP_DOCS_PATTERN), only while Sphinx-Gallery runs the examples:
    # in the build's own process (a worker would load TensorFlow again), unless
    # INTERP_DOCS_JOBS says otherwise
    pattern = examples_to_run()
    jobs = gallery_jobs() if os.environ.get("INTERP_DOCS_JOBS") else 1
    app._interp_restore_pattern = select_examples(conf, pattern, jobs)
    if pattern is not None:
        log.info(f"interp: a partial build; running only the examples matching {pattern!r} "
                 "(INTERP_DOCS_PATTERN)")


def fill_missing_figures(srcdir: Path, fallbacks: dict[str, str]) -> list[str]:
    """Put a committed stand-in where a page outside the gallery expects a gallery figure.

    A partial build (``nox -s docs -- 13``) runs only the matching examples, so a figure
    that another page shows (the landing page shows page 08's) is never made; Sphinx then
    stops with ``FileNotFoundError`` when it copies the image. *fallbacks* maps each such
    figure, relative to the source folder, to a committed image that stands in for it. A
    figure already there (a full build made it) is left alone. Returns the figures filled.
    """
    filled = []
    for figure, fallback in fallbacks.items():
        target = srcdir / figure
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(srcdir / fallback, target)
        filled.append(figure)
    return filled


def _on_builder_inited(app) -> None:
    from sphinx.util import logging

    conf = app.config.sphinx_gallery_conf
    restore = getattr(app, "_interp_restore_pattern", None)
    if restore is not None:
        restore()
    if conf.get("recommender", {}).get("enable"):
        write_related_pages(Path(app.srcdir) / conf["gallery_dirs"], conf,
                            getattr(app, "_interp_related_before", None))
    filled = fill_missing_figures(Path(app.srcdir), app.config.interp_figure_fallbacks)
    if filled:
        logging.getLogger(__name__).info(
            "interp: a partial build; stand-ins for figures of pages that did not run: "
            + ", ".join(filled))


# ---- accessible markup ---------------------------------------------------------------------
# The browser check runs axe-core on every page (tests/browser/test_site.py). Where the
# theme or a generator writes markup that a screen reader cannot name, it is fixed here,
# in the HTML the build writes; docs/_static/interp.css fixes what is only CSS.
def name_toctree_toggles(html: Any) -> Any:
    """Give each collapsible entry's ``<summary>`` in a sidebar toctree a name.

    The PyData theme puts a page's children in ``<details>`` whose ``<summary>`` holds
    only a chevron icon (``role="presentation"``): a screen reader announces an unnamed
    "disclosure triangle" (axe-core: summary-name, serious, on every API page). Each such
    summary is labelled "Pages under <the entry's title>". A summary that already has
    text (a section caption) or a label is left alone.

    *html* is the theme's sidebar as a string (returned as a string) or as the
    BeautifulSoup tree it builds and caches (changed in place and returned).
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    changed = False
    for summary in soup.find_all("summary"):
        if summary.get_text(strip=True) or summary.get("aria-label"):
            continue
        entry = summary.find_parent("li")
        link = entry.find("a", recursive=False) if entry is not None else None
        title = link.get_text(" ", strip=True) if link is not None else ""
        summary["aria-label"] = f"Pages under {title}" if title else "Pages below"
        changed = True
    if not isinstance(html, str):
        return soup
    return str(soup) if changed else html


_BIBLIOENTRY = re.compile(r'(<div class="citation" id="[^"]*") role="doc-biblioentry">')


def citation_list_items(body: str) -> str:
    """Make the entries of a bibliography list items of their list.

    Docutils writes the references page's citations as ``<div role="list">`` holding
    entries with ``role="doc-biblioentry"``, a role that DPUB-ARIA 1.1 deprecated and
    that does not count as a list item: a list without items (axe-core:
    aria-required-children, critical; aria-deprecated-role). Each entry becomes
    ``role="listitem"``.
    """
    return _BIBLIOENTRY.sub(r'\1 role="listitem">', body)


def _on_html_page_context(app, pagename, templatename, context, doctree) -> None:
    if "body" in context:
        context["body"] = citation_list_items(context["body"])
    generate = context.get("generate_toctree_html")
    if generate is None or getattr(generate, "interp_named", False):
        return

    def generate_named(kind, *args, **kwargs):
        # a string, or on the theme's first call for a section the soup it caches
        return name_toctree_toggles(generate(kind, *args, **kwargs))

    generate_named.interp_named = True
    context["generate_toctree_html"] = generate_named


def setup(app) -> dict:
    """Register the site's build hooks with Sphinx."""
    app.add_config_value("interp_figure_fallbacks", {}, "env")
    # before Sphinx-Gallery (priority 500) reads the gallery
    app.connect("builder-inited", _on_builder_inited_early, priority=450)
    # after Sphinx-Gallery has run the examples that match and written its pages
    app.connect("builder-inited", _on_builder_inited, priority=600)
    app.connect("source-read", _on_source_read)
    # before numpydoc (priority 500) reformats the docstring
    app.connect("autodoc-process-docstring", _on_process_docstring, priority=400)
    app.connect("env-updated", _on_env_updated)
    # after the PyData theme (priority 500) has put its toctree function in the context
    app.connect("html-page-context", _on_html_page_context, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
