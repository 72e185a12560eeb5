"""interp.dissect killed with SIGKILL, then started again: it ends with exactly the result
of an uninterrupted run.

A child process runs the dissection with a checkpoint and kills itself (SIGKILL, which no
code can catch or clean up after) at a point chosen in advance: from its data iterator
after a number of batches, or half way through writing a checkpoint file. This process
then resumes from what the child left. The checkpoint logic does not depend on the
backend: these run under TensorFlow (``nox -s tests``).
"""

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from test_dissect import images, residual, same

import interp
from interp.dissection import checkpoint as ckpt

BATCH = 8
LAYERS = ["a", "add", "relu", "c", "dense"]
ARGS = dict(layers=LAYERS, k=5, quantiles=(0.5, 0.99, 0.995), checkpoint_every=1,
            progress=False)

CHILD = textwrap.dedent("""
    import os, signal, sys
    import numpy as np
    import keras
    import interp
    from interp.dissection import checkpoint as ckpt

    model_file, data_file, path, how, at = sys.argv[1:6]
    at = int(at)
    model = keras.models.load_model(model_file)
    x = np.load(data_file)

    def batches():
        for i, start in enumerate(range(0, len(x), {batch})):
            if how == "between batches" and i == at:
                os.kill(os.getpid(), signal.SIGKILL)
            yield x[start:start + {batch}]

    if how == "while writing":
        savez, writes = np.savez, []

        def half_then_die(file, **arrays):
            writes.append(1)
            if len(writes) == at:
                file.write(b"PK\\x03\\x04 the first bytes of a zip")
                file.flush()
                os.kill(os.getpid(), signal.SIGKILL)
            return savez(file, **arrays)

        ckpt.np.savez = half_then_die
    interp.dissect(model, batches(), checkpoint=path, **{args!r})
    print("finished: not killed")
""").format(batch=BATCH, args=ARGS)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """The model and the data, in files a child process reads."""
    folder = tmp_path_factory.mktemp("dissect-resume")
    model, x = residual(), images(101)
    model.save(folder / "model.keras")
    np.save(folder / "x.npy", x)
    return folder


def batches(x):
    return (x[start:start + BATCH] for start in range(0, len(x), BATCH))


@pytest.mark.parametrize(("how", "at", "step"), [
    ("between batches", 6, 5),  # asked for batch 6: batches 0..4 at least were saved
    ("while writing", 4, 3),  # the 4th write is cut: the 3rd (step 3) is the checkpoint
])
def test_a_run_killed_with_sigkill_resumes_to_the_uninterrupted_result(saved, tmp_path, how,
                                                                       at, step):
    import keras

    path = tmp_path / "run.ckpt"
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    done = subprocess.run(
        [sys.executable, str(script), str(saved / "model.keras"), str(saved / "x.npy"),
         str(path), how, str(at)],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr[-3000:]
    assert "not killed" not in done.stdout
    meta, _ = ckpt.load("test", path)  # a whole file, whenever the kill came
    assert not meta["complete"]
    if how == "while writing":
        assert meta["step"] == step
        litter = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        assert len(litter) == 1 and litter[0].startswith(".run.ckpt.")  # the cut write
    else:
        # the kill came while the next batch was read, as the last one was tallied
        assert step <= meta["step"] <= at
    model, x = keras.models.load_model(saved / "model.keras"), np.load(saved / "x.npy")
    resumed = interp.dissect(model, batches(x), checkpoint=path, **ARGS)
    assert resumed.resumed == meta["step"] * BATCH
    whole = interp.dissect(model, batches(x), **ARGS)
    same(whole, resumed)  # exactly, the mean too: the same sums in the same order
