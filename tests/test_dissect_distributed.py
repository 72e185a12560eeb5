"""interp.dissect data-parallel on JAX, against the one-device result of this process.

- Two host CPU devices (``XLA_FLAGS=--xla_force_host_platform_device_count=2``, set in a
  child process before JAX is imported) with ``keras.distribution.DataParallel``.
- Two processes on 127.0.0.1 joined by ``keras.distribution.initialize`` (JAX's
  distributed runtime, its CPU collectives over Gloo), one device each, each reading its
  own shard of the data: its rows of a memory-mapped array, or its own stream of batches.

Top k exactly; the statistics to float tolerance (XLA rounds a Dense layer's product
differently for other batch shapes: see test_dissect.BATCH_DEPENDENT). Run by
``nox -s tests-jax`` (tests/conftest.py: BACKEND_MODULES); skipped on other backends.
"""

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import keras
import numpy as np
import pytest
from test_dissect import BATCH_DEPENDENT, images, residual

import interp

pytestmark = pytest.mark.skipif(keras.backend.backend() != "jax",
                                reason="Keras's distribution API shards batches on JAX")

LAYERS = ["a", "add", "relu", "c", "dense"]
ARGS = dict(layers=LAYERS, k=5, quantiles=(0.5, 0.99, 0.995), batch_size=16,
            progress=False)
N = 101
TESTS = str(Path(__file__).parent)

#: What a child saves: every field of every entry, and the Dissection's own numbers.
SAVE = textwrap.dedent("""
    def save(found, out):
        arrays = {f"{path}|{field}": np.asarray(getattr(found[path], field))
                  for path in found for field in found[path]._fields}
        arrays["meta"] = np.frombuffer(json.dumps(
            [found.images, found.k, list(found.levels), found.resumed]).encode(), np.uint8)
        np.savez(out, **arrays)
""")

TWO_DEVICES = textwrap.dedent("""
    import json, sys
    import numpy as np
    import jax
    import keras
    import interp
    sys.path.insert(0, {tests!r})
    from test_dissect import residual
    {save}
    weights_file, data_file, out = sys.argv[1:4]
    assert len(jax.devices()) == 2, jax.devices()
    with np.load(weights_file) as saved:
        model = residual(weights=[saved[key] for key in sorted(saved.files)])
    x = np.load(data_file)
    dp = keras.distribution.DataParallel()
    assert dp.device_mesh.shape == (2,)
    save(interp.dissect(model, x, distribution=dp, **{args!r}), out + ".array.npz")
    cuts = [0, 7, 37, 38, 90, 101]  # uneven batches: odd ones are padded for 2 devices
    stream = (x[a:b] for a, b in zip(cuts, cuts[1:]))
    save(interp.dissect(model, stream, distribution=dp, **{args!r}), out + ".stream.npz")
    keras.distribution.set_distribution(dp)  # the default, as Keras's fit uses it
    save(interp.dissect(model, x, **{args!r}), out + ".global.npz")
""")

TWO_PROCESSES = textwrap.dedent("""
    import json, sys
    import numpy as np
    import keras
    sys.path.insert(0, {tests!r})
    {save}
    weights_file, data_file, out, port, process = sys.argv[1:6]
    process = int(process)
    keras.distribution.initialize(job_addresses=f"127.0.0.1:{{port}}", num_processes=2,
                                  process_id=process)
    import jax
    import interp
    from test_dissect import residual
    assert jax.process_count() == 2 and len(jax.local_devices()) == 1
    with np.load(weights_file) as saved:
        model = residual(weights=[saved[key] for key in sorted(saved.files)])
    dp = keras.distribution.DataParallel()
    assert dp.device_mesh.shape == (2,)
    # an array: every process passes the same memory-mapped file, and reads its rows
    x = np.load(data_file, mmap_mode="r")
    save(interp.dissect(model, x, distribution=dp, **{args!r}), out + ".array.npz")
    # a stream: each process its own shard, rows 16s + 8p .. 16s + 8p + 7 of every step s
    batch = {args[batch_size]} // 2
    mine = (np.asarray(x[s + process * batch:s + (process + 1) * batch])
            for s in range(0, len(x), 2 * batch))
    checkpoint = f"{{out}}.ckpt"
    save(interp.dissect(model, mine, distribution=dp, checkpoint=checkpoint,
                        checkpoint_every=2, **{args!r}), out + ".stream.npz")
    # the same call again: every process resumes from its complete checkpoint
    mine = (np.asarray(x[s + process * batch:s + (process + 1) * batch])
            for s in range(0, len(x), 2 * batch))
    save(interp.dissect(model, mine, distribution=dp, checkpoint=checkpoint, **{args!r}),
         out + ".resumed.npz")
""")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """The model's weights and the data in files, and this process's one-device result."""
    folder = tmp_path_factory.mktemp("dissect-distributed")
    model, x = residual(), images(N)
    np.savez(folder / "weights.npz", **{f"{i:03d}": w for i, w in enumerate(model.get_weights())})
    np.save(folder / "x.npy", x)
    return folder, interp.dissect(model, x, **ARGS)


def env(**extra) -> dict:
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("XLA_FLAGS", "KERAS_DISTRIBUTION", "JAX_"))}
    return {**environment, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3", **extra}


def assert_equal_to_one_device(file, one, resumed: int = 0) -> None:
    with np.load(file) as saved:
        images_, k, levels, was_resumed = json.loads(bytes(saved["meta"]).decode())
        assert (images_, k, tuple(levels)) == (one.images, one.k, one.levels)
        assert was_resumed == resumed
        for path in one:
            for field in one[path]._fields:
                got, want = saved[f"{path}|{field}"], np.asarray(getattr(one[path], field))
                where = f"{file.name}: {path}.{field}"
                if field in ("indices", "positions", "count"):
                    np.testing.assert_array_equal(got, want, err_msg=where)
                elif field == "quantiles":
                    np.testing.assert_allclose(got, want, atol=1e-6, err_msg=where,
                                               rtol=2 * interp.dissection.RELATIVE_ERROR
                                               if path in BATCH_DEPENDENT else 1e-6)
                elif field == "rank_error":
                    np.testing.assert_allclose(got, want, atol=0.01, err_msg=where)
                elif path in BATCH_DEPENDENT or field == "mean":
                    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=where)
                else:  # the top values and extremes of the other layers: exactly
                    np.testing.assert_array_equal(got, want, err_msg=where)


def test_two_host_devices_give_the_one_device_result(setup, tmp_path):
    folder, one = setup
    script = tmp_path / "child.py"
    script.write_text(TWO_DEVICES.format(save=SAVE, args=ARGS, tests=TESTS))
    out = tmp_path / "two-devices"
    done = subprocess.run(
        [sys.executable, str(script), str(folder / "weights.npz"), str(folder / "x.npy"),
         str(out)], capture_output=True, text=True, timeout=300,
        env=env(XLA_FLAGS="--xla_force_host_platform_device_count=2"))
    assert done.returncode == 0, done.stderr[-4000:]
    for kind in ("array", "stream", "global"):
        assert_equal_to_one_device(tmp_path / f"two-devices.{kind}.npz", one)


def test_two_processes_give_the_one_device_result(setup, tmp_path):
    folder, one = setup
    script = tmp_path / "child.py"
    script.write_text(TWO_PROCESSES.format(save=SAVE, args=ARGS, tests=TESTS))
    port = free_port()
    children = [subprocess.Popen(
        [sys.executable, str(script), str(folder / "weights.npz"), str(folder / "x.npy"),
         str(tmp_path / f"process{i}"), str(port), str(i)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env(JAX_PLATFORMS="cpu")) for i in range(2)]
    began = time.monotonic()
    try:  # a child that fails leaves the other waiting in a collective: stop it then
        while any(child.poll() is None for child in children):
            if any(child.poll() not in (None, 0) for child in children) or \
                    time.monotonic() - began > 300:
                break
            time.sleep(0.2)
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
    for i, child in enumerate(children):
        _, err = child.communicate()
        assert child.returncode == 0, f"process {i}: {err[-4000:]}"
    for i in range(2):
        assert_equal_to_one_device(tmp_path / f"process{i}.array.npz", one)
        assert_equal_to_one_device(tmp_path / f"process{i}.stream.npz", one)
        assert_equal_to_one_device(tmp_path / f"process{i}.resumed.npz", one, resumed=N)
        assert (tmp_path / f"process{i}.ckpt.process-{i}-of-2").exists()
