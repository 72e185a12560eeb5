"""The ``interp`` command, run for real in subprocesses on small models made here.

Every command of this file is started once, three at a time, by the ``runs`` fixture (each
process pays for importing TensorFlow, so they overlap); the tests then read their exit
status, stderr and output. The numbers the reports show are checked against independent
computations here: Keras's own layer outputs, Pillow's own resizing, a brute-force search
for the top-activating images.
"""

import concurrent.futures
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

L = keras.layers
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts" / "reports"
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}
CLASSES = "red,green,blue,white"


def _rgb_model() -> keras.Model:
    """A Functional RGB model with BatchNormalization and a branch that joins again."""
    keras.utils.set_random_seed(3)
    inputs = keras.Input((16, 16, 3), name="photo")
    x = L.Conv2D(4, 3, activation="relu", name="conv_a")(inputs)
    x = L.BatchNormalization(name="bn")(x)
    left = L.Conv2D(4, 3, padding="same", activation="relu", name="branch_3x3")(x)
    right = L.Conv2D(4, 1, activation="relu", name="branch_1x1")(x)
    x = L.Add(name="join")([left, right])
    x = L.MaxPooling2D(name="pool")(x)
    x = L.Conv2D(5, 3, activation="relu", name="conv_c")(x)
    x = L.GlobalAveragePooling2D(name="gap")(x)
    outputs = L.Dense(4, activation="softmax", name="scores")(x)
    model = keras.Model(inputs, outputs, name="rgb_branchy")
    # BatchNormalization with statistics that are not the identity
    bn = model.get_layer("bn")
    bn.set_weights([np.linspace(0.5, 1.5, 4), np.linspace(-0.1, 0.1, 4),
                    np.linspace(0.0, 0.2, 4), np.linspace(0.5, 2.0, 4)])
    return model


def _gray_model() -> keras.Model:
    """A Sequential grayscale model without an Input layer, built by hand."""
    keras.utils.set_random_seed(4)
    model = keras.Sequential([L.Conv2D(3, 3, activation="relu", name="c1"),
                              L.Conv2D(4, 3, activation="relu", name="c2"),
                              L.Flatten(name="flat"), L.Dense(3, name="logits")], name="gray_seq")
    model.build((None, 12, 12, 1))
    return model


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """Models, images and bad inputs, written to one folder."""
    root = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(0)
    _rgb_model().save(root / "rgb.keras")
    _gray_model().save(root / "gray.keras")
    lam = keras.Sequential([keras.Input((12, 12, 1)), L.Lambda(lambda t: t * 2.0),
                            L.Conv2D(2, 3), L.Flatten(), L.Dense(2)])
    lam.save(root / "lambda.keras")
    keras.Sequential([keras.Input((12, 12, 1)), L.Flatten(), L.Dense(3)],
                     name="no_conv").save(root / "dense.keras")
    a, b = keras.Input((12, 12, 1)), keras.Input((12, 12, 1))
    joined = L.Concatenate()([L.Conv2D(2, 3)(a), L.Conv2D(2, 3)(b)])
    keras.Model([a, b], L.Dense(2)(L.Flatten()(joined)), name="two_inputs").save(
        root / "two.keras")
    # PNG folder: RGB images 24x24 (the RGB model takes 16x16), one in a subfolder, one RGBA
    folder = root / "pngs"
    (folder / "more").mkdir(parents=True)
    pixels = (rng.random((7, 24, 24, 3)) * 255).astype(np.uint8)
    pixels[:, 6:18, 6:18, 0] = 250  # a red square in every image
    for i in range(6):
        Image.fromarray(pixels[i]).save(folder / f"img{i}.png")
    rgba = np.concatenate([pixels[6], np.full((24, 24, 1), 255, np.uint8)], axis=-1)
    Image.fromarray(rgba, mode="RGBA").save(folder / "more" / "last.png")
    (folder / "notes.txt").write_text("not an image, and not read: only .png/.jpg/.jpeg are")
    np.save(root / "gray.npy", (rng.random((30, 12, 12)) * 255).astype(np.uint8))
    np.save(root / "bad_shape.npy", rng.random((6, 5)))
    junk = root / "junk"
    junk.mkdir()
    Image.fromarray(pixels[0]).save(junk / "a.png")
    (junk / "b.png").write_text("this file is called .png but holds text")
    (root / "text.keras").write_text("not a model")
    with zipfile.ZipFile(root / "zip.keras", "w") as archive:
        archive.writestr("readme.txt", "a zip archive, but not a Keras model")
    (root / "taken").mkdir()
    (root / "taken" / "thesis.tex").write_text("someone's work")
    return root


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "interp", *args]


CASES = {
    # name: arguments, run in the work folder in a subprocess
    "layers-rgb": ["layers", "rgb.keras"],
    "report-rgb": ["report", "rgb.keras", "--images", "pngs", "--out", "rgb-report", "--limit",
                   "2", "--classes", CLASSES, "--methods", "saliency,grad_cam", "--top", "3",
                   "--trust", "4"],
    # --trust 2: the cascade clones the model, and on JAX Keras imports TensorFlow then
    "report-gray": ["report", "gray.keras", "--images", "gray.npy", "--out", "gray-report",
                    "--limit", "1", "--methods", "saliency", "--layers", "c2", "--quiet",
                    "--trust", "2"],
    # the failures the issue lists, each once for real
    "missing-model": ["layers", "nowhere.keras"],
    "text-model": ["layers", "text.keras"],
    "zip-model": ["report", "zip.keras", "--images", "pngs", "--out", "x1"],
    "lambda": ["layers", "lambda.keras"],
    "not-images": ["report", "rgb.keras", "--images", "junk", "--out", "x2"],
    "missing-images": ["report", "rgb.keras", "--images", "nowhere", "--out", "x3"],
    "bad-size": ["report", "gray.keras", "--images", "bad_shape.npy", "--out", "x4"],
    "no-conv": ["report", "dense.keras", "--images", "gray.npy", "--out", "x5"],
    "two-inputs": ["report", "two.keras", "--images", "gray.npy", "--out", "x6"],
}
# More failures, run in this process through the same entry point (interp.cli.main): each
# would cost a subprocess a TensorFlow import of its own.
IN_PROCESS = {
    "not-a-conv-layer": ["report", "gray.keras", "--images", "gray.npy", "--out", "x7",
                         "--layers", "logits"],
    "wrong-class-count": ["report", "gray.keras", "--images", "gray.npy", "--out", "x8",
                          "--classes", "a,b"],
    "taken-folder": ["report", "gray.keras", "--images", "gray.npy", "--out", "taken"],
    "bad-scale": ["report", "gray.keras", "--images", "gray.npy", "--out", "x9", "--scale", "1"],
}


@pytest.fixture(scope="module")
def runs(work):
    """Run every case, three at a time; return {name: CompletedProcess}."""
    def run(args):
        return subprocess.run(_command(*args), cwd=work, env=ENV, capture_output=True,
                              text=True, timeout=300)

    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        futures = {name: pool.submit(run, args) for name, args in CASES.items()}
        return {name: future.result() for name, future in futures.items()}


# ---- interp layers --------------------------------------------------------------------------
def _table(stdout: str) -> dict[str, list[str]]:
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("PATH"))
    return {line.split()[0]: line for line in lines[start + 1:] if line.strip()}


def test_layers_lists_every_layer_with_keras_shapes_and_parameters(runs):
    result = runs["layers-rgb"]
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    model = _rgb_model()
    rows = _table(result.stdout)
    assert list(rows) == [layer.name for layer in model.layers]
    for layer in model.layers:
        row = rows[layer.name]
        shape = "(" + ", ".join(str(d) for d in layer.output.shape[1:]) + \
            ("," if len(layer.output.shape) == 2 else "") + ")"
        assert shape in row, (layer.name, shape, row)
        assert row.rstrip().endswith(f"{layer.count_params():,}")
        if isinstance(layer, L.Conv2D):
            kh, kw = layer.kernel_size
            n_in = layer.input.shape[-1]
            assert f"({kh}, {kw}, {n_in}, {layer.filters})" in row
            assert layer.count_params() == kh * kw * n_in * layer.filters + layer.filters
    assert "input: (16, 16, 3) per image, channels_last" in result.stdout


# ---- interp report ------------------------------------------------------------------------
def _converted_pngs(folder: Path) -> tuple[list[str], np.ndarray]:
    """The PNG folder as the RGB model takes it, converted here with Pillow directly."""
    files = sorted((p for p in folder.rglob("*.png")), key=lambda p: p.relative_to(folder).as_posix())
    images = [np.asarray(Image.open(p).convert("RGB").resize((16, 16), Image.Resampling.BILINEAR),
                         dtype=np.float32) / 255.0 for p in files]
    return [p.relative_to(folder).as_posix() for p in files], np.stack(images)


def _brute_force_top(model, layer_name, images, k):
    """Each kernel's k images with the highest maximum activation: sort, no streaming."""
    probe = keras.Model(model.inputs, model.get_layer(layer_name).output)
    peaks = probe.predict(images, verbose=0).max(axis=(1, 2))  # (n, kernels)
    order = np.lexsort((np.broadcast_to(np.arange(len(images))[:, None], peaks.shape), -peaks),
                       axis=0)
    return order[:k].T, np.take_along_axis(peaks, order[:k], axis=0).T


def _report(work: Path, name: str) -> tuple[str, dict]:
    folder = work / name
    return (folder / "index.html").read_text(), json.loads((folder / "report.json").read_text())


def test_report_on_a_functional_rgb_model_from_a_png_folder(runs, work):
    result = runs["report-rgb"]
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(work / "rgb-report" / "index.html")
    html, data = _report(work, "rgb-report")
    model = keras.saving.load_model(work / "rgb.keras")
    names, images = _converted_pngs(work / "pngs")
    assert data["model"]["n_images"] == len(names) == 7
    assert [row["path"] for row in data["model"]["rows"]] == [lay.name for lay in model.layers]
    conversion = " ".join(data["model"]["conversion"])
    assert "resized bilinearly to 16x16" in conversion
    assert "alpha channel dropped" in conversion  # more/last.png is RGBA
    assert "pixel values 0-255 scaled linearly to 0-1" in conversion
    # predictions of the shown images: the model's own, on images converted independently
    probabilities = model.predict(images[:2], verbose=0)
    shown = data["attribution"]["rows"]
    assert [row["name"] for row in shown] == names[:2]
    assert [row["predicted"] for row in shown] == [CLASSES.split(",")[i]
                                                   for i in probabilities.argmax(axis=1)]
    np.testing.assert_allclose([row["probability"] for row in shown], probabilities.max(axis=1),
                               rtol=1e-4)
    # top-activating images of every conv layer, against a brute-force search
    top = {entry["path"]: entry for entry in data["top"]}
    assert list(top) == ["conv_a", "branch_3x3", "branch_1x1", "conv_c"]
    for layer, entry in top.items():
        indices, values = _brute_force_top(model, layer, images, 3)
        got_values = np.array([kernel["values"] for kernel in entry["kernels"]])
        np.testing.assert_allclose(got_values, values, rtol=1e-4, atol=1e-5)
        for kernel, expected in zip(entry["kernels"], indices, strict=True):
            if np.ptp(kernel["values"]) > 1e-4:  # ties may order differently
                assert kernel["images"] == [names[i] for i in expected]
    # the branch joins before conv_c, and its field is followed through the join: by hand,
    # the join sees 5 pixels from -1 (branch_3x3 pads one), the 2 x 2 pool 6 at jump 2,
    # conv_c 6 + 2 * 2 = 10
    assert top["conv_c"]["field"] == "10x10 pixels" and top["conv_c"]["note"] == ""
    assert top["conv_a"]["field"] == "3x3 pixels"
    # the first layer's kernels are described, channel by channel
    first = data["kernels"][0]
    assert first["path"] == "conv_a" and len(first["verdicts"]) == 4 * 3
    # every image the page shows is in the folder, and nothing comes from another host
    sources = re.findall(r'<img src="([^"]+)"', html)
    assert sources and all((work / "rgb-report" / src).is_file() for src in sources)
    assert not re.search(r'(src|href)="(https?:)?//', html)
    # the only scripts are the live view's, inline: its data and interp-live.js
    assert re.findall(r"<script[^>]*>", html) == [
        '<script type="application/json" class="interp-live-data">', "<script>"]
    assert 'id="live"' in html and "img0.png" in html
    # the page names its sections, and the trust section says honestly where it stands
    for anchor in ("model", "kernels", "feature-maps", "top-activating", "attributions",
                   "trust", "made"):
        assert f'id="{anchor}"' in html
    assert "interp report rgb.keras --images pngs" in html
    # which to trust: measured on the first 4 images, the cascade over every weighted layer
    trust = data["trust"]
    assert trust["measured"] and trust["n"] == 4
    assert trust["layers"] == ["scores", "conv_c", "branch_1x1", "branch_3x3", "bn", "conv_a"]
    assert [row["title"] for row in trust["rows"]] == ["saliency", "Grad-CAM"]
    # keep it for the browser check (nox -s browser) and for people to look at
    target = ARTIFACTS / "rgb"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(work / "rgb-report", target)
    shutil.copy(work / "rgb.keras", ARTIFACTS / "rgb.keras")  # Keras's side of the live check


def test_report_on_a_sequential_grayscale_model_from_a_npy(runs, work):
    result = runs["report-gray"]
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # --quiet: not a line of TensorFlow's either, on any backend
    _, data = _report(work, "gray-report")
    conversion = " ".join(data["model"]["conversion"])
    assert "memory-mapped" in conversion and "grayscale" in conversion
    assert [entry["path"] for entry in data["top"]] == ["c2"]  # --layers c2
    model = keras.saving.load_model(work / "gray.keras")
    images = np.load(work / "gray.npy")[..., None].astype(np.float32) / 255.0
    indices, values = _brute_force_top(model, "c2", images, 9)
    got = data["top"][0]["kernels"]
    np.testing.assert_allclose([kernel["values"] for kernel in got], values, rtol=1e-4,
                               atol=1e-5)
    assert [kernel["indices"] for kernel in got] == indices.tolist()
    assert data["model"]["class_names"] == ["class 0", "class 1", "class 2"]


# ---- what bad input gets ------------------------------------------------------------------
FAILURES = {
    # case: (command, what the one line must say)
    "missing-model": ("interp layers", "MODEL: no such file: 'nowhere.keras'"),
    "text-model": ("interp layers", "'text.keras' is not a Keras model: a .keras file is a zip"),
    "zip-model": ("interp report", "'zip.keras' is not a Keras model that Keras"),
    "lambda": ("interp layers", "Lambda layer"),
    "not-images": ("interp report", "junk/b.png' is not an image Pillow can read"),
    "missing-images": ("interp report", "--images: no such file or folder: 'nowhere'"),
    "bad-size": ("interp report", "holds images shaped (5,)"),
    "no-conv": ("interp report", "model 'no_conv' has no convolution layer"),
    "two-inputs": ("interp report", "has 2 inputs"),
    "not-a-conv-layer": ("interp report", "--layers: layer 'logits' is a Dense, not a convolution"),
    "wrong-class-count": ("interp report", "--classes must give one name per class of the model "
                                           "(3), got 2"),
    "taken-folder": ("interp report", "holds files but no interp report"),
    "bad-scale": ("interp report", "--scale must be two different finite numbers LOW,HIGH"),
}


def _in_process(work, args, monkeypatch, capsys):
    from interp.cli import main

    monkeypatch.chdir(work)
    status = main(args)
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(args, status, captured.out, captured.err)


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_failure_is_one_clear_line_and_a_nonzero_status(runs, work, case, monkeypatch, capsys):
    if case in IN_PROCESS:
        args = IN_PROCESS[case]
        result = _in_process(work, args, monkeypatch, capsys)
    else:
        args = CASES[case]
        result = runs[case]
    command, expected = FAILURES[case]
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{command}: "), lines[0]
    assert expected in lines[0], lines[0]
    assert result.stdout == ""
    # nothing is left behind: no report folder, no temporary folder
    out = args[args.index("--out") + 1] if "--out" in args else None
    if out and out != "taken":
        assert not (work / out).exists()
    assert not list(work.glob(".*.partial"))


def test_the_lambda_refusal_says_what_unsafe_means(runs, work, monkeypatch, capsys):
    line = runs["lambda"].stderr.strip()
    assert "--unsafe" in line and "safe_mode=False" in line and "runs that code" in line
    unsafe = _in_process(work, ["layers", "lambda.keras", "--unsafe"], monkeypatch, capsys)
    assert unsafe.returncode == 0, unsafe.stderr
    assert "Lambda" in unsafe.stdout


def test_the_taken_folder_is_left_as_it_was(runs, work):
    assert [p.name for p in (work / "taken").iterdir()] == ["thesis.tex"]


def test_debug_shows_the_traceback(work):
    result = subprocess.run(_command("layers", "text.keras", "--debug"), cwd=work, env=ENV,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "Traceback (most recent call last)" in result.stderr
    assert "is not a Keras model" in result.stderr


def test_layers_of_a_sequential_without_input(work, monkeypatch, capsys):
    result = _in_process(work, ["layers", "gray.keras"], monkeypatch, capsys)
    assert result.returncode == 0, result.stderr
    rows = _table(result.stdout)
    assert list(rows) == ["c1", "c2", "flat", "logits"]
    assert "(10, 10, 3)" in rows["c1"] and "(3, 3, 1, 3)" in rows["c1"]
    assert "(8, 8, 4)" in rows["c2"] and "(3, 3, 3, 4)" in rows["c2"]
    assert "(256,)" in rows["flat"]


def test_usage_errors_exit_2_and_say_what_is_missing(work):
    for args, expected in ((["report"], "MODEL is missing"),
                           (["report", "gray.keras"], "--images is missing"),
                           (["report", "--course", "--images", "x"], "either --course"),
                           (["report", "--limit", "0"], "must be a whole number >= 1")):
        result = subprocess.run(_command(*args), cwd=work, env=ENV, capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 2, (args, result.returncode)
        assert expected in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_help_is_quick_and_imports_no_tensorflow(work):
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "interp", "report", "--help"], cwd=work,
        env=ENV, capture_output=True, text=True, timeout=60)
    seconds = time.perf_counter() - started
    assert result.returncode == 0
    assert "--images PATH" in result.stdout and "--unsafe" in result.stdout
    assert not re.search(r"\| (tensorflow|keras|numpy|matplotlib)$", result.stderr, re.M)
    assert seconds < 5, seconds


def test_the_console_script_is_installed(work):
    script = Path(sys.executable).parent / "interp"
    if not script.exists():
        pytest.skip("no console script next to this Python (not an installed environment)")
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("interp ")


#: The processes the Ctrl-C tests interrupt compile their XLA programs afresh, as a user's
#: first run does: `nox -s tests-jax` keeps compiled programs on disk for the other tests
#: (JAX_COMPILATION_CACHE_DIR), and a run that reads them spends less time where a lost
#: Ctrl-C was found (the driver below measured 1 in 40 runs with warm caches, 11 without).
INTERRUPTED_ENV = {key: value for key, value in ENV.items()
                   if key != "JAX_COMPILATION_CACHE_DIR"}


def test_ctrl_c_leaves_no_half_written_report(work):
    out = work / "interrupted"
    for _ in range(3):  # a run that had ended before the signal was sent tested nothing
        process = subprocess.Popen(
            _command("report", "rgb.keras", "--images", "pngs", "--out", out.name,
                     "--methods", "saliency,smoothgrad,integrated_gradients,grad_cam,occlusion"),
            cwd=work, env=INTERRUPTED_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        deadline = time.monotonic() + 120
        while not list(work.glob(".interrupted.*.partial/figures/*.png")):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the report never started writing"
            time.sleep(0.05)
        early = process.poll() is not None
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=120)
        if not early:
            break
        shutil.rmtree(out, ignore_errors=True)
    assert process.returncode == 130, stderr
    assert "interrupted; nothing was written" in stderr
    assert "Traceback" not in stderr
    assert not out.exists()
    assert not list(work.glob(".interrupted.*"))


# ---- Ctrl-C at any point ---------------------------------------------------------------------
#: Where the signal is sent: a moment after each of these progress lines.
POINTS = ("model ...", "feature maps ...", "top-activating", "attribution: saliency",
          "attribution: integrated gradients", "which to trust: 5 random maps",
          "which to trust: saliency")
#: Interrupted runs in one process (the repeated test). A Ctrl-C that lands while a
#: garbage-collection or weakref callback runs (JAX's _xla_gc_callback, weakref's remove)
#: used to be lost: measured on this project's machine under JAX, 3 interrupted `interp
#: report` processes in 20 finished with exit status 0, and 11 of 40 runs of this test's
#: driver. At that rate 16 runs miss it with probability 0.725**16 = 0.6% (a rarer 1-in-10
#: failure: 0.9**16 = 19%); INTERP_SIGINT_REPEATS=40 brings that to 1.5%, at two more
#: minutes of CI. On TensorFlow (no JAX callback; weakref's remain) fewer.
REPEATS = int(os.environ.get("INTERP_SIGINT_REPEATS",
                             16 if keras.backend.backend() == "jax" else 8))
RUN = ["report", "busy.keras", "--images", "fashion200.npy", "--limit", "3", "--trust", "8"]


@pytest.fixture(scope="module")
def busy(work, test_set):
    """A model with enough arithmetic that XLA, not Python, takes most of the time, on 200
    Fashion-MNIST test images; and an earlier report of it, with the user's files beside."""
    keras.utils.set_random_seed(5)
    model = keras.Sequential([keras.Input((28, 28, 1)), L.Conv2D(16, 3, activation="relu",
                                                                 name="c1"),
                              L.Conv2D(32, 3, activation="relu", name="c2"), L.Flatten(),
                              L.Dense(10)], name="busy")
    model.save(work / "busy.keras")
    x, _ = test_set
    np.save(work / "fashion200.npy", (x[:200, :, :, 0] * 255).round().astype(np.uint8))
    from interp.report import write_report

    old = work / "busy-report"
    write_report(model, x[:200], old, limit=2, methods=["saliency"], trust=0, top_k=2)
    (old / "notes.txt").write_text("my notes")
    (old / "figures" / "mine.png").write_bytes((work / "pngs" / "img0.png").read_bytes())
    return old


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _interrupted_run(work, old, trial):
    """Copy the earlier report, rerun into the copy, send SIGINT at a point; return the result."""
    out = work / f"busy-{trial}"
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(old, out)
    point = POINTS[trial]
    process = subprocess.Popen(
        _command(*RUN, "--out", out.name), cwd=work, env=INTERRUPTED_ENV, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
        # a background job's Ctrl-C is ignored (SIG_IGN) and stays ignored: restore it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    seen = []
    for line in process.stderr:
        seen.append(line)
        if point in line:
            break
    time.sleep(0.3)
    early = process.poll() is not None  # it finished before the signal could be sent
    process.send_signal(signal.SIGINT)
    _, rest = process.communicate(timeout=300)
    return out, point, process.returncode, "".join(seen) + rest, early


def test_ctrl_c_at_each_step_stops_the_run_and_leaves_the_old_report_whole(work, busy):
    """SIGINT from outside, once during each step: exit status 130, and the earlier report,
    with the files beside it, byte for byte as it was."""
    before = _files(busy)

    def trial(t):
        # a run that had finished before the signal was sent (a loaded machine can hold
        # this thread back that long) tested nothing: it is run again, up to 3 times
        for _ in range(3):
            *result, early = _interrupted_run(work, busy, t)
            if not early:
                break
        return result

    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(trial, range(len(POINTS))))
    failures = []
    for out, point, status, stderr in results:
        intact = _files(out) == before and not list(work.glob(f".{out.name}.*"))
        if status != 130 or not intact or "Traceback" in stderr:
            failures.append((point, status, intact, stderr[-800:]))
        shutil.rmtree(out, ignore_errors=True)
    assert not failures, failures


# Runs `interp report` REPEATS times in one process (one start-up, not REPEATS), each
# interrupted by a SIGINT to the process at a random moment; prints one JSON line per run,
# with when the signal was sent and when the finished report started to be moved in. JAX's
# caches are emptied between runs, so that each compiles again, as a new process does
# (with warm caches a Ctrl-C was lost in 1 run of 40 instead of 11).
DRIVER = """
import json, os, random, shutil, signal, sys, threading, time
import interp.report
from interp.cli import main
run, old, repeats = json.loads(sys.argv[1])
rng = random.Random(0)
move = interp.report._move_into_place
# one run first, not interrupted: it imports every module a report uses. An import cut
# short leaves its finished submodules behind, bound to a module object Python then drops
# ("module 'matplotlib' has no attribute 'get_data_path'" in every later run of this one
# process); a real Ctrl-C ends the process, so only run-time interrupts are at stake here
main([*run, "--out", f"{old}-warm", "--quiet"])
shutil.rmtree(f"{old}-warm")
for trial in range(repeats):
    out = f"{old}-{trial}"
    shutil.copytree(old, out)
    at = {}
    def moving(*args, _move=move, _at=at):
        _at.setdefault("moved", time.monotonic())
        return _move(*args)
    interp.report._move_into_place = moving
    def interrupt(_at=at):
        _at["sent"] = time.monotonic()
        os.kill(os.getpid(), signal.SIGINT)
    timer = threading.Timer(rng.uniform(0.2, 5.0), interrupt)
    try:
        timer.start()
        status = main([*run, "--out", out, "--quiet"])
        timer.cancel()
    except KeyboardInterrupt:  # sent after the run ended
        status = None
    time.sleep(0.05)
    if "jax" in sys.modules:
        import jax
        jax.clear_caches()
    early = "sent" in at and at["sent"] < at.get("moved", float("inf"))
    print(json.dumps({"trial": trial, "status": status, "early": early, "out": out}),
          flush=True)
"""


def test_ctrl_c_is_never_lost_however_often_it_comes(work, busy):
    """REPEATS runs, each sent a SIGINT at a random moment: every run the signal reaches
    before its report is complete exits 130, and leaves the earlier report whole. Catches a
    Ctrl-C swallowed in a garbage-collection callback (JAX) or a weakref callback."""
    before = _files(busy)
    process = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps([RUN, busy.name, REPEATS])], cwd=work,
        env=INTERRUPTED_ENV, capture_output=True, text=True, timeout=60 * REPEATS,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert process.returncode == 0, process.stderr[-2000:]
    # (a run that finishes also prints its page's path)
    runs = [json.loads(line) for line in process.stdout.splitlines() if line.startswith("{")]
    assert len(runs) == REPEATS
    early = [run for run in runs if run["early"]]
    lost = [run for run in early if run["status"] != 130]
    damaged = [run["trial"] for run in early if _files(work / run["out"]) != before]
    for run in runs:
        shutil.rmtree(work / run["out"], ignore_errors=True)
    assert not lost, (f"{len(lost)} of {len(early)} interrupts were lost: {lost}",
                      process.stderr[-3000:])
    assert not damaged, damaged
    # most signals came during a run (a run that failed says why on stderr)
    assert len(early) >= REPEATS * 3 // 4, (runs, process.stderr[-3000:])
    assert "\nKeyboardInterrupt" not in process.stderr  # none printed as "Exception ignored"
