"""The report's output folder: an earlier report's own files are replaced, nothing else.

Every test plants files of its own (notes, a project's code, subfolders, a PNG inside
``figures/``) and compares the whole folder, byte for byte, with what it held before: the
oracle is the folder as this file read it, and the SHA-256 that :mod:`hashlib` computes
here. Each refusal is checked to leave the folder exactly as it was. Several tests exist to
catch a one-line loosening of the rules (named in their docstrings).
"""

import gc
import hashlib
import json
import os
import re
import signal
from pathlib import Path

import keras
import markupsafe
import numpy as np
import pytest
from PIL import Image

from interp import report
from interp.images import load_images
from interp.report import ReportError, write_report

L = keras.layers


def _model(name="m", conv_names=("c1", "c2")):
    keras.utils.set_random_seed(0)
    layers = [keras.Input((8, 8, 1))]
    layers += [L.Conv2D(2, 3, padding="same", name=n) for n in conv_names]
    layers += [L.Flatten(), L.Dense(3, name="out")]
    return keras.Sequential(layers, name=name)


MODEL = _model()
IMAGES = np.random.default_rng(0).random((4, 8, 8, 1)).astype("float32")


def _write(out, **settings):
    options = {"limit": 1, "methods": ["saliency"], "trust": 0, "top_k": 2}
    options.update(settings)
    return write_report(MODEL, IMAGES, out, **options)


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under *folder* (symbolic links as their target path), by relative path."""
    found = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[rel] = f"-> {os.readlink(path)}".encode()
        elif path.is_file():
            found[rel] = path.read_bytes()
    return found


def _png_bytes() -> bytes:
    import io

    buffer = io.BytesIO()
    Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8)).save(buffer, format="PNG")
    return buffer.getvalue()


USER_FILES = {
    "notes.txt": b"my notes on the first report\n",
    "mine/x.png": _png_bytes(),
    "mine/deeper/data.csv": b"1,2,3\n",
    "src/main.py": b"print('my project')\n",
    "figures/my-own-figure.png": _png_bytes(),  # in the report's figures folder, not its own
    ".hidden": b"a dot file\n",
}


def _plant(folder: Path, files=USER_FILES) -> None:
    for rel, data in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _report_files(folder: Path) -> dict[str, dict]:
    return json.loads((folder / "report.json").read_text())["files"]


def _siblings(folder: Path) -> list[str]:
    """Hidden temporary folders left beside *folder* (there must be none)."""
    return sorted(p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}."))


# ---- the manifest --------------------------------------------------------------------------
def test_report_json_lists_every_file_the_report_wrote_with_size_and_sha256(tmp_path):
    out = tmp_path / "r"
    _write(out)
    files = _report_files(out)
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert set(files) == written - {"report.json"}
    assert "index.html" in files and any(rel.startswith("figures/") for rel in files)
    for rel, entry in files.items():
        data = (out / rel).read_bytes()
        assert entry == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


# ---- reruns ----------------------------------------------------------------------------------
def test_a_rerun_replaces_the_report_and_keeps_every_user_file(tmp_path):
    out = tmp_path / "r"
    _write(out)  # both conv layers: figures of c1 and c2
    old = _report_files(out)
    _plant(out)
    _write(out, layers=["c2"], limit=2)  # a different set of figures
    after = _snapshot(out)
    for rel, data in USER_FILES.items():
        assert after[rel] == data, rel
    new = _report_files(out)
    assert set(after) == set(USER_FILES) | set(new) | {"report.json"}
    assert [rel for rel in old if rel not in new and rel in after] == []  # old figures gone
    assert any("c1" in rel for rel in old) and not any("c1" in rel for rel in new)
    for rel, entry in new.items():
        assert hashlib.sha256(after[rel]).hexdigest() == entry["sha256"]
    assert _siblings(out) == []


def test_the_issues_script(tmp_path):
    """notes.txt and mine/ survive a rerun; a copied report.json does not let it delete src/."""
    out1 = tmp_path / "out1"
    _write(out1)
    (out1 / "notes.txt").write_text("notes\n")
    (out1 / "mine").mkdir()
    (out1 / "mine" / "x.png").write_bytes(_png_bytes())
    _write(out1)
    assert (out1 / "notes.txt").read_text() == "notes\n"
    assert (out1 / "mine" / "x.png").read_bytes() == _png_bytes()
    proj = tmp_path / "proj"
    (proj / "src").mkdir(parents=True)
    (proj / "src" / "main.py").write_text("code\n")
    (proj / "report.json").write_bytes((out1 / "report.json").read_bytes())
    _write(proj)
    assert (proj / "src" / "main.py").read_text() == "code\n"
    assert (proj / "index.html").is_file() and _siblings(proj) == []


def test_a_project_with_a_copied_report_json_keeps_everything(tmp_path):
    source = tmp_path / "report"
    _write(source)
    proj = tmp_path / "proj"
    _plant(proj)
    (proj / "report.json").write_bytes((source / "report.json").read_bytes())
    before = _snapshot(proj)
    _write(proj, layers=["c1"])
    after = _snapshot(proj)
    assert {rel: after[rel] for rel in USER_FILES} == {rel: before[rel] for rel in USER_FILES}
    assert (proj / "index.html").is_file()


def test_a_project_with_its_own_index_html_is_refused_untouched(tmp_path):
    """Catches dropping the check of files the new report would overwrite."""
    source = tmp_path / "report"
    _write(source)
    proj = tmp_path / "proj"
    _plant(proj, {**USER_FILES, "index.html": b"<h1>my project's page</h1>"})
    (proj / "report.json").write_bytes((source / "report.json").read_bytes())
    before = _snapshot(proj)
    with pytest.raises(ReportError, match=r"write_report: out '.*proj': the report would "
                                          r"overwrite index.html \(changed since interp wrote "
                                          r"it\); move it away"):
        _write(proj)
    assert _snapshot(proj) == before and _siblings(proj) == []


def test_a_user_figure_where_the_new_report_writes_one_is_refused_untouched(tmp_path):
    """A file the old report did not write, at a path the new one writes: refused by name."""
    out = tmp_path / "r"
    _write(out, layers=["c2"])  # no figures of c1
    (out / "figures" / "kernels-c1-0.png").write_bytes(_png_bytes())  # the user's own
    _plant(out)
    before = _snapshot(out)
    with pytest.raises(ReportError, match=r"would overwrite figures/kernels-c1-0.png \(not "
                                          r"written by an interp report\)"):
        _write(out)  # both layers: it would write figures/kernels-c1-0.png
    assert _snapshot(out) == before and _siblings(out) == []


def test_a_changed_report_file_is_kept_and_the_user_told(tmp_path):
    """Catches removing a report file without comparing its SHA-256 (or removing them all)."""
    from interp.report import ReportWarning

    out = tmp_path / "r"
    _write(out)
    edited = out / "figures" / "kernels-c1-0.png"
    data = bytearray(edited.read_bytes())
    data[len(data) // 2] ^= 0xFF  # the user drew on it: one byte, the size unchanged
    edited.write_bytes(bytes(data))
    with pytest.warns(ReportWarning, match=r"write_report: '.*kernels-c1-0.png' was changed "
                                           r"since the earlier report wrote it, so it is kept"):
        _write(out, layers=["c2"])  # the new report does not write it
    assert edited.read_bytes() == bytes(data)
    assert "figures/kernels-c1-0.png" not in _report_files(out)
    # the unchanged figures of c1 are gone with the old report
    assert not (out / "figures" / "maps-c1-0.png").exists()


def test_a_changed_report_file_the_new_report_would_write_is_refused(tmp_path):
    out = tmp_path / "r"
    _write(out)
    (out / "figures" / "kernels-c2-0.png").write_bytes(_png_bytes())
    before = _snapshot(out)
    with pytest.raises(ReportError, match=r"would overwrite figures/kernels-c2-0.png \(changed "
                                          r"since interp wrote it\)"):
        _write(out)
    assert _snapshot(out) == before


# ---- what is refused, before any work ------------------------------------------------------
def _refused_before_work(out, monkeypatch, match):
    def no_work(*args, **kwargs):
        raise AssertionError("the report was built before the folder was checked")

    monkeypatch.setattr(report, "_build", no_work)
    before = _snapshot(out) if out.is_dir() else None
    with pytest.raises(ReportError, match=match):
        _write(out)
    if before is not None:
        assert _snapshot(out) == before
    assert _siblings(out) == []


def _folder_with(tmp_path, marker: bytes | None, extra=USER_FILES) -> Path:
    folder = tmp_path / "proj"
    _plant(folder, extra)
    if marker is not None:
        (folder / "report.json").write_bytes(marker)
    return folder


def _manifest_for(folder: Path, rel: str) -> bytes:
    data = (folder / rel).read_bytes()
    entry = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    return json.dumps({"generator": "interp report", "files": {rel: entry}}).encode()


def test_a_file_is_refused(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("x")
    _refused_before_work(tmp_path / "file", monkeypatch, "is a file; give a folder")


@pytest.mark.parametrize("marker", [
    None,  # no report.json at all
    b'{"generator": "something else", "files": {}}',
    b'{"files": {}}',
    b'["interp report"]',
    b"not json",
    b'{"generator": "interp report ", "files": {}}',
], ids=["none", "other-generator", "no-generator", "a-list", "not-json", "near-miss"])
def test_a_folder_without_an_interp_report_is_refused(tmp_path, monkeypatch, marker):
    """Catches loosening the marker check (any report.json, any generator, no check)."""
    folder = _folder_with(tmp_path, marker)
    _refused_before_work(folder, monkeypatch, "holds files but no interp report")


def test_a_report_of_an_older_interp_without_a_file_list_is_refused(tmp_path, monkeypatch):
    folder = _folder_with(tmp_path, b'{"generator": "interp report", "model": {}}')
    _refused_before_work(folder, monkeypatch, "was written by an older interp, which did not "
                                              "list the files it wrote")


@pytest.mark.parametrize("listed", ["src/main.py", "notes.txt", "../outside.txt",
                                    "figures/../src/main.py", "mine/x.png"])
def test_a_file_list_naming_files_a_report_does_not_write_is_refused(tmp_path, monkeypatch,
                                                                     listed):
    """A made-up report.json listing the project's files, with their true SHA-256.

    Catches dropping the rule that a manifest may list only index.html and figures/*.png.
    """
    (tmp_path / "outside.txt").write_text("beside the folder")
    folder = _folder_with(tmp_path, None)
    target = (folder / listed).resolve()
    (folder / "report.json").write_bytes(_manifest_for(target.parent, target.name)
                                         .replace(target.name.encode(), listed.encode()))
    _refused_before_work(folder, monkeypatch, "lists files that an interp report does not write")
    assert (tmp_path / "outside.txt").read_text() == "beside the folder"


@pytest.mark.parametrize("entry", [{"size": True, "sha256": "0" * 64},
                                   {"size": 1, "sha256": "not hex"}, {"size": 1}, [1, 2]])
def test_a_file_list_of_the_wrong_form_is_refused(tmp_path, monkeypatch, entry):
    folder = _folder_with(tmp_path, json.dumps(
        {"generator": "interp report", "files": {"index.html": entry}}).encode())
    _refused_before_work(folder, monkeypatch, "lists files that an interp report does not write")


def test_a_user_index_html_is_refused_before_any_work(tmp_path, monkeypatch):
    """Catches dropping the early check (the run would fail only at the end, after the work)."""
    source = tmp_path / "report"
    _write(source)
    folder = _folder_with(tmp_path, (source / "report.json").read_bytes(),
                          {**USER_FILES, "index.html": b"<p>mine</p>"})
    _refused_before_work(folder, monkeypatch, r"would overwrite index.html")


def test_a_figures_link_to_another_folder_is_refused(tmp_path, monkeypatch):
    """New figures would be written through the link into the user's folder."""
    out = tmp_path / "r"
    _write(out)
    elsewhere = tmp_path / "elsewhere"
    _plant(elsewhere)
    for path in (out / "figures").iterdir():
        path.unlink()
    (out / "figures").rmdir()
    (out / "figures").symlink_to(elsewhere, target_is_directory=True)
    before = _snapshot(elsewhere)
    _refused_before_work(out, monkeypatch, r"would overwrite figures \(")
    assert _snapshot(elsewhere) == before


def test_a_linked_index_html_is_not_taken_for_the_reports_own(tmp_path, monkeypatch):
    """A link with the report's name and the report's bytes is still the user's file."""
    out = tmp_path / "r"
    _write(out)
    kept = tmp_path / "kept.html"
    kept.write_bytes((out / "index.html").read_bytes())
    (out / "index.html").unlink()
    (out / "index.html").symlink_to(kept)
    _refused_before_work(out, monkeypatch, r"would overwrite index.html")
    assert kept.is_file()


# ---- failures and interruptions leave the old report whole -------------------------------
def _old_report(tmp_path) -> tuple[Path, dict[str, bytes]]:
    """An earlier report of layer c1 with the user's files; the tests rerun it for c2, whose
    figures have other names."""
    out = tmp_path / "r"
    _write(out, layers=["c1"])
    _plant(out)
    return out, _snapshot(out)


@pytest.mark.parametrize("error", [RuntimeError("injected"), KeyboardInterrupt()],
                         ids=["error", "ctrl-c"])
def test_a_run_that_fails_midway_leaves_the_old_report_whole(tmp_path, monkeypatch, error):
    """Catches removing the old report's files before the new one is complete."""
    out, before = _old_report(tmp_path)

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(report, "_feature_map_section", fail)
    with pytest.raises(type(error)):
        _write(out, layers=["c2"])
    assert _snapshot(out) == before and _siblings(out) == []


@pytest.mark.parametrize("when", [1, 3, 6, -1])
def test_a_failure_while_moving_the_report_in_undoes_every_move(tmp_path, monkeypatch, when):
    """The *when*-th rename of the final moves fails (-1: the last); all of them are undone."""
    out, before = _old_report(tmp_path)
    calls = []
    real = os.replace

    def counting(src, dst):
        calls.append((src, dst))
        return real(src, dst)

    monkeypatch.setattr(report.os, "replace", counting)
    _write(out, layers=["c2"])  # count the renames of a run that succeeds
    total = len(calls)
    monkeypatch.setattr(report.os, "replace", real)
    out, before = _old_report(tmp_path / "again")
    calls.clear()
    failing_at = total if when == -1 else when

    def failing(src, dst):
        calls.append((src, dst))
        if len(calls) == failing_at:
            raise OSError(28, "No space left on device (injected)")
        return real(src, dst)

    monkeypatch.setattr(report.os, "replace", failing)
    with pytest.raises(OSError, match="injected"):
        _write(out, layers=["c2"])
    assert _snapshot(out) == before and _siblings(out) == []
    assert total > 6


def test_ctrl_c_lost_in_a_garbage_collection_callback_still_stops_the_report(tmp_path,
                                                                            monkeypatch):
    """The way JAX swallows Ctrl-C: the interrupt arrives while a gc callback runs.

    Python runs the signal handler inside the callback, and an exception raised there is
    printed ("Exception ignored in ...") and dropped. The report must stop all the same.
    """
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT is not Python's default handler in this process")
    out, before = _old_report(tmp_path)
    fired = []

    def callback(phase, info):
        if phase == "start" and not fired:
            fired.append(True)
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):  # the handler runs here, inside the callback
                pass

    real = report._feature_map_section

    def with_a_collection(*args, **kwargs):
        gc.callbacks.append(callback)
        try:
            gc.collect()
        finally:
            gc.callbacks.remove(callback)
        return real(*args, **kwargs)

    later = []
    monkeypatch.setattr(report, "_feature_map_section", with_a_collection)
    monkeypatch.setattr(report, "_top_section", lambda *args, **kwargs: later.append(True))
    with pytest.raises(KeyboardInterrupt):
        _write(out, layers=["c2"])
    assert fired and not later  # stopped at the next step, not at the end
    assert _snapshot(out) == before and _siblings(out) == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored


# ---- user text on the page --------------------------------------------------------------
HOSTILE = ['<script>alert("model")<\\script>', '"><img src=x onerror=alert(1)>',
           "<b onmouseover='x'>bold</b>", "a & b <i>"]


def test_every_user_text_on_the_page_is_escaped(tmp_path):
    """File, class, layer and model names with markup: never raw in index.html.

    Catches removing the escaping (autoescape off, a ``|safe``) of any of them: each name
    must appear escaped as markupsafe escapes it, and its raw form nowhere.
    """
    if keras.backend.backend() == "tensorflow":  # its name scopes take [A-Za-z0-9_.\\/>-]
        layer_names = ["conv>b", "conv>script"]
    else:
        layer_names = ["<script>conv<\\script>", '"><img src=x onerror=alert(2)>']
    model = _model(name=HOSTILE[0], conv_names=layer_names)
    folder = tmp_path / "images"
    folder.mkdir()
    file_names = ['"><img src=x onerror=alert(3)>.png', "<script>alert(4)<!--.png",
                  "a & b.png"]
    pixels = (np.random.default_rng(1).random((3, 8, 8)) * 255).astype(np.uint8)
    for name, image in zip(file_names, pixels, strict=True):
        Image.fromarray(image).save(folder / name)
    images = load_images(folder, model)
    classes = [HOSTILE[1], HOSTILE[2], HOSTILE[3]]
    page = write_report(model, images, tmp_path / "r", class_names=classes,
                        labels=np.array([0, 1, 2]), limit=3, methods=["saliency"], trust=0,
                        top_k=2)
    html = page.read_text(encoding="utf-8")
    for text in [model.name, *layer_names, *file_names, *classes]:
        assert str(markupsafe.escape(text)) in html, text
        assert text not in html, text
    # the only scripts are the live view's own two, whose data holds the names as JSON
    # escapes (\u003c...): a name's <script> would be a third
    assert re.findall(r"<script[^>]*>", html) == [
        '<script type="application/json" class="interp-live-data">', "<script>"]
    for raw in ("<img src=x", "<b onmouseover", "<i>", "<!--"):
        assert raw not in html, raw


# ---- the command line ---------------------------------------------------------------------
def test_the_command_keeps_user_files_too(tmp_path, monkeypatch, capsys):
    from interp.cli import main

    np.save(tmp_path / "x.npy", (IMAGES[..., 0] * 255).astype(np.uint8))
    MODEL.save(tmp_path / "m.keras")
    monkeypatch.chdir(tmp_path)
    args = ["report", "m.keras", "--images", "x.npy", "--out", "out", "--limit", "1",
            "--methods", "saliency", "--trust", "0", "--quiet"]
    assert main(args) == 0
    _plant(tmp_path / "out")
    (tmp_path / "out" / "figures" / "kernels-c1-0.png").write_bytes(b"drawn on")
    assert main([*args, "--layers", "c2"]) == 0
    captured = capsys.readouterr()
    assert "interp: warning: interp report: " in captured.err
    assert "kernels-c1-0.png' was changed since the earlier report wrote it" in captured.err
    after = _snapshot(tmp_path / "out")
    assert all(after[rel] == data for rel, data in USER_FILES.items())
    assert after["figures/kernels-c1-0.png"] == b"drawn on"


def test_an_interrupt_turned_into_another_error_by_a_library_still_exits_130(monkeypatch,
                                                                             capsys):
    """A KeyboardInterrupt raised in Python code that C++ called, and re-raised as another
    error there, is still Ctrl-C: exit status 130, not "unexpected RuntimeError"."""
    from interp import cli

    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT is not Python's default handler in this process")

    def run(args):
        try:
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):
                pass
        except KeyboardInterrupt as err:
            raise RuntimeError("KeyboardInterrupt, as a library reports it") from err
        raise AssertionError("the signal never arrived")

    monkeypatch.setattr(cli, "run_layers", run)
    assert cli.main(["layers", "x.keras"]) == 130
    assert capsys.readouterr().err == "interp layers: interrupted; nothing was written\n"
