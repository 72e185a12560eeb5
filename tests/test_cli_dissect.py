"""``interp dissect``: the command, run in this process (interp.cli.main) on a small model.

What it writes is checked against a brute-force computation here: the layer's whole output
from a Keras sub-model, its peaks sorted by numpy (ties: the lower image first), the
positions by argmax, the means and extremes by numpy, the quantiles by ``numpy.quantile``
within the bound :func:`interp.dissect` states. The folder rules are the report's: user
files are never touched.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

L = keras.layers
# Keras's TensorFlow backend warns (DeprecationWarning) as it reads the weights for the
# checkpoint's digest; a command run outside pytest does not show it.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
LEVELS = (0.5, 0.9, 0.99)
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}


def _model() -> keras.Model:
    """Grayscale 12x12, two convolutions (one linear, one ReLU) and a head."""
    keras.utils.set_random_seed(5)
    inputs = keras.Input((12, 12, 1), name="pixels")
    x = L.Conv2D(3, 3, name="c1")(inputs)
    x = L.Conv2D(4, 3, padding="same", activation="relu", name="c2")(x)
    outputs = L.Dense(3, name="logits")(L.Flatten()(x))
    return keras.Model(inputs, outputs, name="small")


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    root = tmp_path_factory.mktemp("dissect")
    _model().save(root / "small.keras")
    rng = np.random.default_rng(1)
    gray = (rng.random((40, 12, 12)) * 255).astype(np.uint8)
    np.save(root / "gray.npy", gray)
    folder = root / "pngs"
    (folder / "sub").mkdir(parents=True)
    for i in range(5):
        Image.fromarray(gray[i], mode="L").save(folder / f"p{i}.png")
    Image.fromarray(gray[5], mode="L").save(folder / "sub" / "q.png")
    (folder / "notes.txt").write_text("not an image")
    return root


def _run(work, monkeypatch, capsys, *args):
    from interp.cli import main

    monkeypatch.chdir(work)
    status = main(["dissect", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _brute(model, x, layer, k):
    """The layer's top k, statistics and quantiles from its whole output, by numpy."""
    maps = keras.Model(model.inputs, model.get_layer(layer).output).predict(x, verbose=0)
    n, h, w, units = maps.shape
    flat = maps.reshape(n, h * w, units)
    peaks, where = flat.max(axis=1), flat.argmax(axis=1)
    out = {"indices": [], "values": [], "positions": []}
    for unit in range(units):
        order = np.argsort(-peaks[:, unit], kind="stable")[:k]  # ties: lower index first
        out["indices"].append(order)
        out["values"].append(peaks[order, unit])
        out["positions"].append(np.stack(np.divmod(where[order, unit], w), axis=-1))
    out = {key: np.array(value) for key, value in out.items()}
    values = maps.reshape(-1, units).astype(np.float64)
    out.update(mean=values.mean(axis=0), max=maps.reshape(-1, units).max(axis=0),
               min=maps.reshape(-1, units).min(axis=0), all=values)
    return out


def _check_quantiles(estimates, values, levels):
    """Each estimate within the stated bound of numpy.quantile's (linear) value."""
    for unit in range(values.shape[1]):
        ranked = np.sort(values[:, unit])
        for level, estimate in zip(levels, estimates[unit], strict=True):
            exact = np.quantile(values[:, unit], level)
            spot = level * (len(ranked) - 1)
            low, high = ranked[int(np.floor(spot))], ranked[int(np.ceil(spot))]
            bound = 2.0 ** -7 * max(abs(low), abs(high)) + 2.0 ** -24
            assert abs(estimate - exact) <= bound * 1.0001, (unit, level, estimate, exact)


def test_the_npz_holds_the_brute_force_result(work, monkeypatch, capsys):
    status, out, err = _run(work, monkeypatch, capsys, "small.keras", "--images", "gray.npy",
                            "--out", "npy-run", "--k", "5", "--batch-size", "7",
                            "--quantiles", ",".join(map(str, LEVELS)))
    assert status == 0, err
    assert out.strip() == str(Path("npy-run") / "index.html")
    model = keras.saving.load_model(work / "small.keras")
    x = (np.load(work / "gray.npy").astype(np.float32) / 255.0)[..., np.newaxis]
    with np.load(work / "npy-run" / "dissection.npz") as archive:
        assert list(archive["layers"]) == ["c1", "c2"]
        assert int(archive["images"]) == 40 and int(archive["k"]) == 5
        np.testing.assert_array_equal(archive["levels"], LEVELS)
        for layer in ("c1", "c2"):
            want = _brute(model, x, layer, 5)
            np.testing.assert_array_equal(archive[f"{layer}/indices"], want["indices"])
            np.testing.assert_allclose(archive[f"{layer}/values"], want["values"],
                                       rtol=1e-5, atol=1e-6)
            np.testing.assert_array_equal(archive[f"{layer}/positions"], want["positions"])
            np.testing.assert_allclose(archive[f"{layer}/mean"], want["mean"], rtol=1e-5,
                                       atol=1e-6)
            np.testing.assert_allclose(archive[f"{layer}/max"], want["max"], rtol=1e-5)
            np.testing.assert_allclose(archive[f"{layer}/min"], want["min"], rtol=1e-5,
                                       atol=1e-6)
            _check_quantiles(archive[f"{layer}/quantiles"], want["all"], LEVELS)
            assert archive[f"{layer}/rank_error"].shape == (want["max"].size, len(LEVELS))
            names = archive[f"{layer}/names"]
            assert names.shape == want["indices"].shape
            assert names[0, 0] == f"#{want['indices'][0, 0]}"
    record = json.loads((work / "npy-run" / "dissection.json").read_text())
    assert record["generator"] == "interp dissect"
    assert sorted(record["files"]) == ["dissection.npz", "index.html"]
    assert record["layers"] == {"c1": 3, "c2": 4} and record["run"]["devices"] == 1
    page = (work / "npy-run" / "index.html").read_text()
    assert "<h2>c2</h2>" in page and "40 images" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page


def test_png_folder_names_and_layers_option(work, monkeypatch, capsys):
    status, _, err = _run(work, monkeypatch, capsys, "small.keras", "--images", "pngs",
                          "--out", "png-run", "--k", "2", "--layers", "c2", "--quiet",
                          "--quantiles", "none")
    assert status == 0, err
    assert err == ""  # --quiet
    files = sorted(p.relative_to(work / "pngs").as_posix()
                   for p in (work / "pngs").rglob("*.png"))
    model = keras.saving.load_model(work / "small.keras")
    x = np.stack([np.asarray(Image.open(work / "pngs" / f)) for f in files])
    want = _brute(model, (x.astype(np.float32) / 255.0)[..., np.newaxis], "c2", 2)
    with np.load(work / "png-run" / "dissection.npz") as archive:
        assert list(archive["layers"]) == ["c2"]
        np.testing.assert_array_equal(archive["c2/indices"], want["indices"])
        np.testing.assert_array_equal(archive["c2/names"],
                                      np.array(files)[want["indices"]])
        assert archive["c2/quantiles"].shape == (4, 0)


def test_a_rerun_replaces_its_own_files_and_keeps_the_users(work, monkeypatch, capsys):
    args = ["small.keras", "--images", "gray.npy", "--out", "kept", "--quiet"]
    assert _run(work, monkeypatch, capsys, *args, "--k", "3")[0] == 0
    (work / "kept" / "notes.txt").write_text("mine")
    (work / "kept" / "mine").mkdir()
    (work / "kept" / "mine" / "figure.png").write_bytes(b"\x89PNG mine")
    status, _, err = _run(work, monkeypatch, capsys, *args, "--k", "4")
    assert status == 0, err
    assert (work / "kept" / "notes.txt").read_text() == "mine"
    assert (work / "kept" / "mine" / "figure.png").read_bytes() == b"\x89PNG mine"
    with np.load(work / "kept" / "dissection.npz") as archive:
        assert int(archive["k"]) == 4 and archive["c2/indices"].shape == (4, 4)
    assert not list(work.glob(".kept.*"))
    # an index.html the user changed is not overwritten: the run stops, nothing changes
    (work / "kept" / "index.html").write_text("my edits")
    before = (work / "kept" / "dissection.npz").read_bytes()
    status, _, err = _run(work, monkeypatch, capsys, *args, "--k", "5")
    assert status == 1
    assert err.startswith("interp dissect: --out") and "index.html (changed since" in err
    assert (work / "kept" / "index.html").read_text() == "my edits"
    assert (work / "kept" / "dissection.npz").read_bytes() == before


def test_a_checkpoint_resumes_and_refuses_other_options(work, monkeypatch, capsys):
    (work / "ckpt").mkdir()
    args = ["small.keras", "--images", "gray.npy", "--k", "3", "--checkpoint",
            "ckpt/run.npz"]
    assert _run(work, monkeypatch, capsys, *args, "--out", "first")[0] == 0
    assert (work / "ckpt" / "run.npz").is_file()
    status, _, err = _run(work, monkeypatch, capsys, *args, "--out", "again")
    assert status == 0, err
    assert "40 of them read from the checkpoint" in err
    with np.load(work / "first" / "dissection.npz") as a, \
            np.load(work / "again" / "dissection.npz") as b:
        for key in a.files:
            np.testing.assert_array_equal(a[key], b[key])
    status, _, err = _run(work, monkeypatch, capsys, *args[:-3], "4", *args[-2:], "--out",
                          "other")
    assert status == 1
    assert err.startswith("interp dissect: checkpoint") and "k=3, not 4" in err, err
    assert not (work / "other").exists()


BAD = [
    # arguments, exit status, what the one line says
    (["--images", "gray.npy", "--out", "b1", "--k", "41"], 1,
     "interp dissect: --k 41 is more than the 40 images"),
    (["--images", "gray.npy", "--out", "b2", "--devices", "2"], 1,
     "--devices 2 needs the JAX backend" if keras.backend.backend() != "jax" else
     "--devices 2: JAX sees 1 device(s)"),
    (["--images", "gray.npy", "--out", "b3", "--layers", "nope"], 1, "interp dissect: "),
    (["--images", "gray.npy", "--out", "b4", "--layers", "logits,c2"], 0, ""),
    (["--images", "nowhere.npy", "--out", "b5"], 1, "--images: no such file or folder"),
    (["--images", "gray.npy", "--out", "b6", "--checkpoint", "no/such/run.npz"], 1,
     "--checkpoint 'no/such/run.npz' is in a folder that does not exist"),
    (["--images", "gray.npy", "--out", "b7", "--quantiles", "0.5,2"], 2,
     "--quantiles must be levels in [0, 1]"),
    (["--images", "pngs/notes.txt", "--out", "b8"], 1, "is neither a folder of images"),
]


@pytest.mark.parametrize(("args", "status", "says"), BAD, ids=[b[0][3] for b in BAD])
def test_bad_arguments_give_one_clear_line(work, monkeypatch, capsys, args, status, says):
    got, out, err = _run(work, monkeypatch, capsys, "small.keras", *args, "--quiet")
    assert got == status, err
    if status:
        assert says in err and len(err.strip().splitlines()) == 1, err
        assert err.startswith("interp dissect: ") and "Traceback" not in err
        assert out == "" and not (work / args[3]).exists()
    assert not list(work.glob(".b*.partial"))


def test_usage_errors_exit_2(work, monkeypatch, capsys):
    from interp.cli import main

    monkeypatch.chdir(work)
    for args, says in ((["small.keras", "--images", "gray.npy"], "--out"),
                       (["small.keras", "--out", "x"], "--images"),
                       (["small.keras", "--images", "gray.npy", "--out", "x", "--k", "0"],
                        "must be a whole number >= 1")):
        with pytest.raises(SystemExit) as stop:
            main(["dissect", *args])
        assert stop.value.code == 2
        assert says in capsys.readouterr().err


def test_a_folder_of_other_files_is_refused_and_left_alone(work, monkeypatch, capsys):
    (work / "thesis").mkdir()
    (work / "thesis" / "index.html").write_text("my page")
    status, _, err = _run(work, monkeypatch, capsys, "small.keras", "--images", "gray.npy",
                          "--out", "thesis")
    assert status == 1 and "holds files but no dissection.json" in err
    assert [p.name for p in (work / "thesis").iterdir()] == ["index.html"]


def test_ctrl_c_during_the_pass_exits_130_and_writes_nothing(work, monkeypatch, capsys):
    import interp.dissection

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(interp.dissection, "dissect", interrupted)
    status, out, err = _run(work, monkeypatch, capsys, "small.keras", "--images", "gray.npy",
                            "--out", "stopped", "--checkpoint", "stopped.npz")
    assert status == 130 and out == ""
    assert "interrupted; nothing was written to 'stopped'" in err
    assert "run the same command again" in err
    assert not (work / "stopped").exists() and not list(work.glob(".stopped.*"))


def test_devices_2_on_jax_gives_the_one_device_result(work):
    if keras.backend.backend() != "jax":  # its processes run JAX whatever this one runs
        pytest.skip("nox -s tests-jax runs it")
    env = {**ENV, "KERAS_BACKEND": "jax",
           "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    one, two = (subprocess.run(
        [sys.executable, "-m", "interp", "dissect", "small.keras", "--images", "gray.npy",
         "--out", out, "--k", "4", "--batch-size", "9", *extra], cwd=work, env=env,
        capture_output=True, text=True, timeout=300)
        for out, extra in (("jax1", []), ("jax2", ["--devices", "2"])))
    assert one.returncode == 0 and two.returncode == 0, (one.stderr, two.stderr)
    record = json.loads((work / "jax2" / "dissection.json").read_text())
    assert record["run"]["devices"] == 2 and record["run"]["backend"] == "jax"
    with np.load(work / "jax1" / "dissection.npz") as a, \
            np.load(work / "jax2" / "dissection.npz") as b:
        for key in a.files:
            if key.endswith(("indices", "positions", "names", "layers")):
                np.testing.assert_array_equal(a[key], b[key], err_msg=key)
            else:
                np.testing.assert_allclose(a[key], b[key], rtol=1e-5, atol=1e-6,
                                           err_msg=key)
    three = subprocess.run(
        [sys.executable, "-m", "interp", "dissect", "small.keras", "--images", "gray.npy",
         "--out", "jax3", "--devices", "3"], cwd=work, env=env, capture_output=True,
        text=True, timeout=300)
    assert three.returncode == 1
    assert "JAX sees 2 device(s)" in three.stderr
    assert "--xla_force_host_platform_device_count=3" in three.stderr


def test_the_summary_escapes_names_from_the_user(work, monkeypatch, capsys):
    folder = work / "odd <b>&"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(np.full((12, 12), 40 * i, np.uint8), mode="L").save(
            folder / f"<i>{i}&amp;.png")
    status, _, err = _run(work, monkeypatch, capsys, "small.keras", "--images", folder.name,
                          "--out", "odd", "--k", "3", "--quiet")
    assert status == 0, err
    page = (work / "odd" / "index.html").read_text()
    assert "odd &lt;b&gt;&amp;" in page and "&lt;i&gt;" in page and "&amp;amp;.png" in page
    assert "<b>" not in page and "<i>" not in page


def test_help_names_every_option(capsys):
    from interp.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["dissect", "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    for option in ("--images", "--out", "--checkpoint", "--devices", "--k", "--layers",
                   "--batch-size", "--quantiles", "dissection.npz"):
        assert option in text, option
