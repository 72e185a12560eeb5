"""Write a command's output folder safely: never a file of the user's, never half of one.

The rules of ``interp report``'s ``--out`` (:mod:`interp.report`), for any command that
writes a folder of known files beside a marker file that lists them:

- a new or empty folder is written;
- a folder that holds files but not this command's marker is refused;
- in a folder that holds an earlier output, only the files its marker lists, and only
  those still byte for byte as written, are replaced; a file the new output would write
  that is not one of them stops the run before any work, and nothing else is touched;
- the output is built in a hidden folder beside the destination and moved in, file by
  file, at the end; a failure or a signal on the way undoes every move.

:class:`Output` holds what differs between commands: the marker's name, the generator it
names and the pattern of the paths the command may write (so that a marker copied into a
project, or made up, can never name the project's own files).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import re
import shutil
import tempfile
import warnings
from pathlib import Path

from . import _interrupt

_SHA256 = re.compile(r"[0-9a-f]{64}")


class FolderError(ValueError):
    """The destination folder is not ours to write into (the message says why)."""


class FolderWarning(UserWarning):
    """A file of an earlier output was changed since it was written: it is kept."""


@dataclasses.dataclass(frozen=True)
class Output:
    """What a command writes, and how its messages name it.

    Its marker file, the generator the marker names, the paths it may write.
    """

    marker: str  # e.g. "dissection.json"
    generator: str  # e.g. "interp dissect"
    files: re.Pattern  # the paths (inside the folder) it may write besides the marker
    noun: str  # "dissection": what the messages call one output
    option: str = "--out"
    #: an earlier output, as "holds files but no ..." names it (default: the marker,
    #: written by the generator)
    named: str = ""
    #: who writes it, as "not written by ..." names it (default: the generator)
    author: str = ""
    #: why a marker without a list of files cannot be trusted (default: as any bad list)
    unlisted: str = ""
    #: sub-folders it writes into: each must be a folder if present, and is removed at
    #: the end when the new output left it empty
    folders: tuple[str, ...] = ()
    error: type[Exception] = FolderError
    warning: type[Warning] = FolderWarning


@dataclasses.dataclass
class Previous:
    """The earlier output in a folder: its files, and which are as it wrote them."""

    unchanged: list[str]
    changed: list[str]


def digest(path: Path) -> tuple[int, str]:
    """Return the size and SHA-256 of a file."""
    sha = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            sha.update(block)
    return path.stat().st_size, sha.hexdigest()


def manifest(kind: Output, folder: Path) -> dict[str, dict]:
    """``{path: {"size": bytes, "sha256": hex}}`` of *kind*'s files in *folder*."""
    found = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and kind.files.fullmatch(rel):
            size, sha = digest(path)
            found[rel] = {"size": size, "sha256": sha}
    return found


def _marker(kind: Output, folder: Path) -> dict | None:
    path = folder / kind.marker
    if path.is_symlink() or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("generator") == kind.generator else None


def _listed(kind: Output, data: dict) -> dict[str, dict] | None:
    files = data.get("files")
    if not isinstance(files, dict):
        return None
    for rel, entry in files.items():
        if not (isinstance(rel, str) and kind.files.fullmatch(rel) and isinstance(entry, dict)
                and isinstance(entry.get("size"), int) and not isinstance(entry["size"], bool)
                and entry["size"] >= 0 and isinstance(entry.get("sha256"), str)
                and _SHA256.fullmatch(entry["sha256"])):
            return None
    return files


def _unchanged(path: Path, entry: dict) -> bool:
    if path.is_symlink() or not path.is_file():
        return False
    if path.stat().st_size != entry["size"]:
        return False
    return digest(path) == (entry["size"], entry["sha256"])


def _taken(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _refuse(kind: Output, func: str, out: Path, names: list[str], previous: Previous | None,
            option: str):
    why = []
    for rel in names:
        if previous is not None and rel in previous.changed:
            why.append(f"{rel} (changed since interp wrote it)")
        else:
            why.append(f"{rel} (not written by {kind.author or kind.generator})")
    them = "them" if len(names) > 1 else "it"
    raise kind.error(f"{func}: {option} {str(out)!r}: the {kind.noun} would overwrite "
                     f"{', '.join(why)}; move {them} away, or give another folder. Nothing "
                     "was changed")


def check(kind: Output, func: str, out: Path, writes: list[str],
          option: str | None = None) -> Previous | None:
    """Refuse, before any work, a destination that is not ours to write into.

    *writes* are the paths the new output will write; *option* names the destination in
    the messages (default ``kind.option``; a Python function names its argument). Returns
    the earlier output found there (``None`` for a new or empty folder).
    """
    option = option or kind.option
    if _taken(out) and not out.is_dir():
        raise kind.error(f"{func}: {option} {str(out)!r} is a file; give a folder for the "
                         f"{kind.noun}")
    if not out.is_dir() or not any(out.iterdir()):
        return None
    data = _marker(kind, out)
    if data is None:
        named = kind.named or f"{kind.marker} written by {kind.generator}"
        raise kind.error(f"{func}: {option} {str(out)!r} is a folder that holds files but no "
                         f"{named}; give a new or empty folder, or an earlier {kind.noun}'s "
                         "folder (whose files are replaced; nothing else is touched)")
    files = _listed(kind, data)
    if files is None:
        what = (kind.unlisted if "files" not in data and kind.unlisted else
                f"lists files that {kind.author or kind.generator} does not write")
        raise kind.error(f"{func}: {option} {str(out)!r}: its {kind.marker} {what}, so interp "
                         f"cannot tell its files from yours and replaces nothing; delete the "
                         f"old {kind.noun} yourself, or give another folder")
    previous = Previous([], [])
    for rel, entry in files.items():
        if _taken(out / rel):
            (previous.unchanged if _unchanged(out / rel, entry) else previous.changed).append(rel)
    blocked = [rel for rel in writes if _taken(out / rel) and rel not in previous.unchanged]
    blocked += [rel for rel in kind.folders
                if (out / rel).is_symlink() or (_taken(out / rel) and not (out / rel).is_dir())]
    if blocked:
        _refuse(kind, func, out, blocked, previous, option)
    return previous


def staging(out: Path) -> Path:
    """Make a hidden folder beside *out* to build the output in (readable as usual)."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; an output is an ordinary folder
    return tmp


def write_marker(kind: Output, folder: Path, record: dict) -> None:
    """Write *record* as the marker, with the generator and the files in *folder* listed."""
    record = {"generator": kind.generator, **record, "files": manifest(kind, folder)}
    (folder / kind.marker).write_text(json.dumps(record, indent=1), encoding="utf-8")


def move_into_place(kind: Output, func: str, tmp: Path, out: Path, option: str | None = None,
                    stacklevel: int = 3) -> None:
    """Put the output built in *tmp* into *out*, replacing only the earlier output's files.

    Everything is checked first (and nothing moved if a check fails). The earlier
    output's files are moved aside, the new ones in (the marker last), the old ones
    deleted; if anything fails, or a signal arrives, on the way, every move is undone.
    *option* names the destination in messages (see :func:`check`); the warning about a
    kept file is given *stacklevel* frames up.
    """
    option = option or kind.option
    new = sorted(path.relative_to(tmp).as_posix() for path in tmp.rglob("*") if path.is_file())
    new.sort(key=lambda rel: rel == kind.marker)
    # again: the folder may have changed since the check before the work
    previous = check(kind, func, out, [rel for rel in new if rel != kind.marker], option)
    if not _taken(out):
        with _interrupt.deferred():
            os.replace(tmp, out)
            _interrupt.settle()
        return
    ours = set(previous.unchanged) if previous else set()
    if previous is not None:
        ours.add(kind.marker)
    blocked = [rel for rel in new if _taken(out / rel) and rel not in ours]
    if blocked:
        _refuse(kind, func, out, blocked, previous, option)
    old = sorted(rel for rel in ours if _taken(out / rel))
    trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    moved: list[str] = []
    placed: list[str] = []
    made: list[Path] = []
    with _interrupt.deferred():
        try:
            for rel in old:
                (trash / rel).parent.mkdir(parents=True, exist_ok=True)
                os.replace(out / rel, trash / rel)
                moved.append(rel)
            for rel in new:
                target = out / rel
                if not target.parent.is_dir():
                    target.parent.mkdir()
                    made.append(target.parent)
                if _taken(target):  # appeared since the check
                    _refuse(kind, func, out, [rel], previous, option)
                os.replace(tmp / rel, target)
                placed.append(rel)
            if _interrupt.pending():
                raise KeyboardInterrupt
            _interrupt.settle()  # in place: a Ctrl-C from here on changes nothing
        except BaseException:
            for rel in reversed(placed):
                os.replace(out / rel, tmp / rel)
            for folder in reversed(made):
                with contextlib.suppress(OSError):
                    folder.rmdir()
            for rel in reversed(moved):
                os.replace(trash / rel, out / rel)
            shutil.rmtree(trash, ignore_errors=True)
            raise
    shutil.rmtree(trash, ignore_errors=True)
    shutil.rmtree(tmp, ignore_errors=True)
    for rel in kind.folders:
        if (out / rel).is_dir() and not any((out / rel).iterdir()):
            (out / rel).rmdir()
    for rel in previous.changed if previous else []:
        if rel not in new:
            warnings.warn(f"{func}: {str(out / rel)!r} was changed since the earlier "
                          f"{kind.noun} wrote it, so it is kept; it is no longer part of the "
                          f"{kind.noun}", kind.warning, stacklevel=stacklevel)
