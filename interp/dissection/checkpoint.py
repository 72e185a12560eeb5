"""Checkpoints of a dissection: what identifies a run, and files written atomically.

A checkpoint is one ``.npz`` file: the tallies' arrays, the digest of every batch done
so far, and a JSON header (``__meta__``) with the run's identity and progress. It is
written to a temporary file beside the destination, flushed to the disk and renamed over
it, so a run killed at any moment (``SIGKILL`` included) leaves the previous checkpoint
or the new one, never half of one.

The identity of a run, compared field by field before a checkpoint is used:

- the model: a SHA-256 of its configuration (its layer walk, when it has none) and of
  every weight's path, shape, dtype and bytes (:func:`model_digest`);
- the arguments that decide the result: the layers' paths, ``k``, ``quantiles``,
  ``batch_size``, the number of processes, the backend;
- the data: an array's shape and dtype; and for arrays and iterables alike, a digest of
  every batch as it streams (:func:`batch_digest`), stored in the checkpoint. On resume,
  an iterable is read again from its start and each batch already done is compared with
  its digest as it is skipped; an array is compared on the first and the last batch
  done and on up to :data:`SPOT_CHECKS` batches spread between them (read again: no
  model runs), so resuming over a million images costs seconds, not the first pass.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from pathlib import Path

import keras
import numpy as np

#: The checkpoint format; a file of another format is refused.
FORMAT = 1
#: What wrote the file (a ``.npz`` of anything else is refused).
WRITER = "interp.dissect"
#: Batches of an array compared with their digests on resume, besides the first and last.
SPOT_CHECKS = 16
#: Values per image hashed into a batch's digest (spread evenly over larger images).
DIGEST_VALUES = 1024
_META = "__meta__"


class CheckpointError(ValueError):
    """A checkpoint that cannot be used for this run (its message says why)."""


def model_digest(model: keras.Model) -> str:
    """SHA-256 of *model*'s configuration and weights (paths, shapes, dtypes, bytes)."""
    digest = hashlib.sha256()
    try:
        config = json.dumps(model.get_config(), sort_keys=True, default=repr)
    except Exception:  # a subclassed model without get_config: its structure instead
        config = repr([(layer.path if hasattr(layer, "path") else layer.name,
                        type(layer).__name__) for layer in model._flatten_layers()])
    digest.update(config.encode())
    for variable in model.weights:
        value = np.ascontiguousarray(keras.ops.convert_to_numpy(variable.value))
        digest.update(f"{variable.path}:{value.shape}:{value.dtype}".encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


def batch_digest(batch: np.ndarray) -> bytes:
    """Return a 16-byte BLAKE2b digest of a batch: its shape, dtype and values.

    Of an image with more than :data:`DIGEST_VALUES` values, that many values evenly
    spread over it are hashed, so that digesting costs little beside the model.
    """
    batch = np.asarray(batch)
    flat = batch.reshape(len(batch), -1) if batch.size else batch.reshape(len(batch), 0)
    step = max(1, -(-flat.shape[1] // DIGEST_VALUES))
    sample = np.ascontiguousarray(flat[:, ::step])
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{batch.shape}:{batch.dtype}".encode())
    digest.update(sample.tobytes())
    return digest.digest()


def spot_checks(done: int) -> list[int]:
    """Return the steps of an array compared on resume: first, last, some between."""
    if done <= 0:
        return []
    picks = {0, done - 1}
    picks.update(int(i) for i in np.linspace(0, done - 1, SPOT_CHECKS + 2)[1:-1])
    return sorted(picks)


def save(path: Path, meta: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write *arrays* and *meta* to *path* atomically (temporary file, fsync, rename)."""
    path = Path(path)
    header = json.dumps({**meta, "format": FORMAT, "writer": WRITER}, sort_keys=True)
    contents = {**arrays, _META: np.frombuffer(header.encode(), dtype=np.uint8)}
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **contents)
            file.flush()
            os.fsync(file.fileno())
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    try:  # the rename itself reaches the disk
        folder = os.open(path.parent, os.O_RDONLY)
    except OSError:  # pragma: no cover - a file system without directory handles
        return
    try:
        os.fsync(folder)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(folder)


def load(func: str, path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """Read a checkpoint written by :func:`save`, or raise a :class:`CheckpointError`."""
    path = Path(path)
    try:
        data = path.read_bytes()
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        meta = json.loads(bytes(arrays.pop(_META)).decode())
    except (OSError, ValueError, KeyError, EOFError, UnicodeDecodeError) as err:
        raise CheckpointError(
            f"{func}: checkpoint {str(path)!r} is not a checkpoint that interp.dissect "
            f"wrote ({type(err).__name__}: {err}); delete it or pass another path") from err
    except Exception as err:  # zipfile.BadZipFile and the like
        raise CheckpointError(
            f"{func}: checkpoint {str(path)!r} is not a checkpoint that interp.dissect "
            f"wrote ({type(err).__name__}: {err}); delete it or pass another path") from err
    if not isinstance(meta, dict) or meta.get("writer") != WRITER:
        raise CheckpointError(f"{func}: checkpoint {str(path)!r} was not written by "
                              "interp.dissect; delete it or pass another path")
    if meta.get("format") != FORMAT:
        raise CheckpointError(
            f"{func}: checkpoint {str(path)!r} has format {meta.get('format')!r}, and this "
            f"interp reads format {FORMAT}; delete it to start again")
    return meta, arrays


def _said(value: object) -> str:
    return json.dumps(value) if not isinstance(value, str) else repr(value)


def compare(func: str, path: Path, saved: dict, wanted: dict) -> None:
    """Raise a :class:`CheckpointError` naming every field where *saved* and *wanted* differ.

    Both are run identities (dicts of JSON values).
    """
    words = {
        "model": "another model (its configuration or weights differ)",
        "data": "other data",
    }
    problems = []
    for key in sorted(set(saved) | set(wanted)):
        if saved.get(key) == wanted.get(key):
            continue
        if key in words:
            detail = words[key]
            if key == "data" and isinstance(saved.get(key), dict) \
                    and isinstance(wanted.get(key), dict):
                detail += (f" ({_describe_data(saved[key])} then, "
                           f"{_describe_data(wanted[key])} now)")
            problems.append(detail)
        else:
            problems.append(f"{key}={_said(saved.get(key))}, not {_said(wanted.get(key))}")
    if problems:
        raise CheckpointError(
            f"{func}: checkpoint {str(path)!r} was written by a run with "
            f"{'; '.join(problems)}; it is not mixed into this one. Pass the same "
            "arguments to resume it, or another checkpoint path (or delete the file) to "
            "start again")


def _describe_data(data: dict) -> str:
    if data.get("kind") == "array":
        return f"an array of shape {tuple(data.get('shape', ()))} and dtype {data.get('dtype')}"
    return "an iterable of batches"
