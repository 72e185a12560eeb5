"""What the ``interp`` command is made of, tested in this process: reading and converting
images (interp.images), the report (interp.report), the layer table and the plots it uses.

Conversions are checked against Pillow and hand formulas; the report's numbers against
brute-force computations with Keras; the layer table against Keras's own shapes.
"""

import json
import re

import keras
import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

import interp
from interp.images import ImageError, ImageSet, load_images
from interp.report import ReportError, write_report

L = keras.layers


def _model(shape, channels_first=False, name="m"):
    keras.utils.set_random_seed(0)
    fmt = "channels_first" if channels_first else "channels_last"
    return keras.Sequential([keras.Input(shape), L.Conv2D(2, 3, data_format=fmt, name="c"),
                             L.Flatten(), L.Dense(3, name="out")], name=name)


GRAY = _model((8, 8, 1))
RGB = _model((8, 8, 3))
RGB_FIRST = _model((3, 8, 8), channels_first=True)


def _pngs(folder, pixels, mode=None):
    folder.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(pixels):
        Image.fromarray(image, mode=mode).save(folder / f"{i:02d}.png")
    return folder


# ---- images ------------------------------------------------------------------------------
def test_png_folder_to_a_grayscale_model_matches_pillow(tmp_path):
    rng = np.random.default_rng(0)
    pixels = (rng.random((3, 16, 12, 3)) * 255).astype(np.uint8)
    folder = _pngs(tmp_path / "p", pixels)
    images = load_images(folder, GRAY)
    assert isinstance(images, ImageSet) and len(images) == 3 and images.shape == (3, 8, 8, 1)
    for i in range(3):
        gray = Image.fromarray(pixels[i]).convert("L").resize((8, 8), Image.Resampling.BILINEAR)
        expected = np.asarray(gray, dtype=np.float32) / 255
        np.testing.assert_allclose(images[i][..., 0], expected, atol=1e-6)
    assert images.names == ["00.png", "01.png", "02.png"]
    text = " ".join(images.conversion)
    assert "resized bilinearly to 8x8" in text
    assert "RGB converted to grayscale" in text
    assert "pixel values 0-255 scaled linearly to 0-1" in text


def test_a_folder_skips_hidden_files_and_the_report_written_into_it(tmp_path):
    from interp.images import read_source

    pixels = np.zeros((2, 8, 8), np.uint8)
    folder = _pngs(tmp_path / "photos", pixels)
    _pngs(folder / ".thumbnails", pixels)
    _pngs(folder / "report" / "figures", pixels)  # an earlier report, inside the folder
    found = read_source("f", "images", folder, exclude=[folder / "report"])
    assert [p.relative_to(folder).as_posix() for p in found.files] == ["00.png", "01.png"]
    assert len(read_source("f", "images", folder).files) == 4


def test_rgb_array_to_grayscale_uses_the_stated_weights():
    rng = np.random.default_rng(1)
    pixels = (rng.random((4, 8, 8, 3)) * 255).astype(np.uint8)
    images = load_images(pixels, GRAY)
    for i in range(4):
        r, g, b = (pixels[i, :, :, c].astype(np.float64) for c in range(3))
        expected = (0.299 * r + 0.587 * g + 0.114 * b) / 255
        np.testing.assert_allclose(images[i][..., 0], expected, atol=1e-5)


def test_gray_array_to_rgb_and_channels_first():
    pixels = np.arange(2 * 8 * 8, dtype=np.uint8).reshape(2, 8, 8)
    last = load_images(pixels, RGB)[0:2]
    first = load_images(pixels, RGB_FIRST)[0:2]
    assert last.shape == (2, 8, 8, 3) and first.shape == (2, 3, 8, 8)
    for c in range(3):
        np.testing.assert_allclose(last[..., c], pixels / 255, atol=1e-6)
        np.testing.assert_allclose(first[:, c], pixels / 255, atol=1e-6)


def test_resizing_an_array_matches_pillow_within_rounding():
    rng = np.random.default_rng(2)
    pixels = (rng.random((2, 20, 13)) * 255).astype(np.uint8)
    images = load_images(pixels, GRAY)
    for i in range(2):
        expected = np.asarray(Image.fromarray(pixels[i]).resize((8, 8),
                              Image.Resampling.BILINEAR), dtype=np.float32) / 255
        np.testing.assert_allclose(images[i][..., 0], expected, atol=1.01 / 255)
    assert "aspect ratio changed" in " ".join(images.conversion)


@pytest.mark.parametrize(("scale", "low", "high"), [(None, 0.0, 1.0), ("-1,1", -1.0, 1.0),
                                                   ((0, 255), 0.0, 255.0)])
def test_scale_maps_0_255_linearly(scale, low, high):
    pixels = np.array([[[0, 255], [51, 102]]], dtype=np.uint8).repeat(4, 1).repeat(4, 2)
    images = load_images(pixels, GRAY, scale=scale)[0:1]
    assert images.min() == pytest.approx(low) and images.max() == pytest.approx(high)
    assert images[0, 4, 0, 0] == pytest.approx(low + (high - low) * 51 / 255, rel=1e-5)


def test_a_float_array_shaped_for_the_model_is_used_as_it_is(tmp_path):
    x = np.random.default_rng(3).normal(size=(5, 8, 8, 1)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    images = load_images(tmp_path / "x.npy", GRAY)
    assert isinstance(images._read.__closure__, tuple)  # lazy, not a copy of the whole
    np.testing.assert_array_equal(images[1:4], x[1:4])
    assert "used without conversion" in images.conversion[0]
    assert "memory-mapped" in images.conversion[0]
    batches = list(images.batches(2))
    assert [len(b) for b in batches] == [2, 2, 1]
    np.testing.assert_array_equal(np.concatenate(batches), x)


def test_npz_picks_its_images_or_asks_which(tmp_path):
    x = (np.random.default_rng(4).random((3, 8, 8)) * 255).astype(np.uint8)
    np.savez(tmp_path / "one.npz", pictures=x)
    assert load_images(tmp_path / "one.npz", GRAY).shape == (3, 8, 8, 1)
    np.savez(tmp_path / "two.npz", x_test=x, y_test=np.arange(3))
    assert load_images(tmp_path / "two.npz", GRAY).shape == (3, 8, 8, 1)
    np.savez(tmp_path / "many.npz", a=x, b=x)
    with pytest.raises(ValueError, match=r"load_images: path: .* holds several arrays \['a', "
                                         r"'b'\]; say which one holds the images: key=NAME$"):
        load_images(tmp_path / "many.npz", GRAY)
    assert load_images(tmp_path / "many.npz", GRAY, key="b").shape == (3, 8, 8, 1)


def test_max_images_reads_only_the_first(tmp_path):
    pixels = np.zeros((5, 8, 8), np.uint8)
    pixels[:, 0, 0] = np.arange(5)
    images = load_images(pixels, GRAY, max_images=2)
    assert len(images) == 2 and images[1][0, 0, 0] == pytest.approx(1 / 255)


@pytest.mark.parametrize(("path", "message"), [
    ("nowhere", "load_images: path: no such file or folder"),
    ("notes.txt", "is neither a folder of images"),
    ("fake.png", "is not an image Pillow can read"),
    ("empty", "holds no PNG or JPEG files"),
    ("strings.npy", "must be an array of images"),
    ("flat.npy", "holds images shaped (5,)"),
    ("two_channels.npy", "cannot be converted"),
])
def test_what_is_not_images_is_refused_by_name(tmp_path, path, message):
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "fake.png").write_text("hello")
    (tmp_path / "empty").mkdir()
    np.save(tmp_path / "strings.npy", np.array([["a", "b"]]))
    np.save(tmp_path / "flat.npy", np.zeros((4, 5)))
    np.save(tmp_path / "two_channels.npy", np.zeros((4, 8, 8, 2)))
    with pytest.raises(ValueError, match=r"^load_images: ") as info:
        load_images(tmp_path / path, GRAY)
    assert message in str(info.value)
    assert isinstance(info.value, ImageError)


def test_image_files_for_a_model_that_takes_no_images(tmp_path):
    model = keras.Sequential([keras.Input((10, 1)), L.Conv1D(2, 3), L.Flatten(), L.Dense(2)])
    folder = _pngs(tmp_path / "p", np.zeros((1, 8, 8), np.uint8))
    with pytest.raises(ValueError, match=r"load_images: path: image files cannot be converted "
                                         r"to what this model takes, \(n, 10, 1\)"):
        load_images(folder, model)
    signals = np.zeros((3, 10, 1), np.float32)
    assert load_images(signals, model).shape == (3, 10, 1)  # already shaped: used as is


def test_wrong_kinds_are_type_errors():
    with pytest.raises(TypeError, match="load_images: path must be a path"):
        load_images(3, GRAY)
    with pytest.raises(TypeError, match="load_images: scale must be a pair"):
        load_images(np.zeros((1, 8, 8)), GRAY, scale=object())
    with pytest.raises(ValueError, match="load_images: scale must be two different"):
        load_images(np.zeros((1, 8, 8)), GRAY, scale=(1, 1))


# ---- the layer table ----------------------------------------------------------------------
def test_layer_table_of_a_nested_model_against_keras():
    inner = keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(2, 3, name="conv")], name="inner")
    inputs = keras.Input((8, 8, 1))
    x = inner(inputs)
    x = L.Conv2D(4, (2, 3), name="conv")(x)
    outputs = L.Dense(2, name="out")(L.Flatten(name="flat")(x))
    model = keras.Model(inputs, outputs)
    rows = interp.layer_table(model)
    assert [r.path for r in rows] == [model.layers[0].name, "inner", "inner/conv", "conv",
                                      "flat", "out"]
    by_path = {r.path: r for r in rows}
    assert by_path["inner/conv"].kernel_shape == (3, 3, 1, 2)
    assert by_path["inner/conv"].output_shape == (6, 6, 2)
    assert by_path["conv"].kernel_shape == (2, 3, 2, 4)
    assert by_path["conv"].output_shape == (5, 4, 4)
    assert by_path["conv"].params == 2 * 3 * 2 * 4 + 4
    assert by_path["inner"].params == 3 * 3 * 1 * 2 + 2 and by_path["inner"].kernel_shape is None
    assert by_path["flat"].output_shape == (80,)
    with pytest.raises(TypeError, match="layer_table: model must be a keras.Model"):
        interp.layer_table("model")


def test_layer_table_of_a_layer_used_twice():
    shared = L.Dense(3, name="shared")
    inputs = keras.Input((4,))
    model = keras.Model(inputs, shared(shared(L.Dense(3)(inputs))))
    rows = [r for r in interp.layer_table(model) if r.path == "shared"]
    assert len(rows) == 1 and rows[0].params == 12 and rows[0].kernel_shape is None


# ---- the plots the report uses ------------------------------------------------------------
def test_plot_feature_maps_places_every_channel_on_one_scale():
    maps = np.random.default_rng(0).random((5, 4, 3)).astype(np.float32)
    maps[..., 1] *= 3
    fig = interp.plot_feature_maps(maps, np.zeros((9, 9)), ncols=2)
    _, mosaic_ax, _ = fig.axes
    mosaic = mosaic_ax.images[0].get_array()
    lo, hi = mosaic_ax.images[0].get_clim()
    assert (lo, hi) == (0.0, pytest.approx(maps.max()))
    assert mosaic_ax.images[0].get_cmap().name.startswith("Reds")
    # every channel appears, unchanged, somewhere in the mosaic
    for k in range(3):
        tile = maps[:, :, k]
        found = any(np.array_equal(np.asarray(mosaic[r:r + 5, c:c + 4]), tile)
                    for r in range(mosaic.shape[0] - 4) for c in range(mosaic.shape[1] - 3))
        assert found, k
    names = [t.get_text() for t in mosaic_ax.texts]
    assert names == ["channel 0", "channel 1", "channel 2"]


def test_plot_feature_maps_signed_and_bad_input():
    maps = np.linspace(-2, 1, 27).reshape(3, 3, 3)
    fig = interp.plot_feature_maps(maps, channel_names=["a", "b", "c"], title="t")
    assert fig.axes[0].images[0].get_clim() == (-2.0, 2.0)
    assert [t.get_text() for t in fig.axes[0].texts] == ["a", "b", "c"]
    with pytest.raises(ValueError, match="plot_feature_maps: maps must be non-negative"):
        interp.plot_feature_maps(maps, signed=False)
    with pytest.raises(ValueError, match="plot_feature_maps: maps must be one image's maps"):
        interp.plot_feature_maps(np.zeros((1, 3, 3, 2)))
    with pytest.raises(ValueError, match="plot_feature_maps: image must be one image"):
        interp.plot_feature_maps(maps, np.zeros((3, 3, 2)))


def test_rgb_images_patches_and_attributions_are_drawn_in_colour():
    rgb = np.zeros((2, 6, 6, 3))
    rgb[0, :, :, 0] = 1.0  # red
    fig = interp.plot_images(rgb)
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array()[0, 0], [1, 0, 0])
    patches = np.zeros((2, 3, 4, 4, 3))
    patches[..., 2] = 0.5
    fig = interp.plot_patches(patches, vmax=0.5)
    mosaic = fig.axes[0].images[0].get_array()
    assert mosaic.shape[-1] == 3
    np.testing.assert_allclose(mosaic[0, 0], [0, 0, 1])  # a patch, blue at full strength
    fig = interp.plot_attributions(rgb[0], {"m": np.ones((6, 6))})
    assert fig.axes[0].images[0].get_array().shape == (6, 6, 3)
    with pytest.raises(ValueError, match="plot_attributions: image must be one image"):
        interp.plot_attributions(np.zeros((6, 6, 2)), {"m": np.ones((6, 6))})


def test_plot_kernels_shared_vmax():
    fig = interp.plot_kernels(np.ones((3, 3, 1, 2)) * 0.1, vmax=2.0)
    assert fig.axes[0].images[0].get_clim() == (-2.0, 2.0)
    with pytest.raises(ValueError, match="plot_kernels: vmax must be a finite number > 0"):
        interp.plot_kernels(np.ones((3, 3, 1, 2)), vmax=0)
    plt.close("all")


# ---- the report, in this process -----------------------------------------------------------
@pytest.fixture(scope="module")
def course_report(tmp_path_factory, trained, test_set):
    x, y = test_set
    out = tmp_path_factory.mktemp("course") / "report"
    page = write_report(trained, x[:60], out, class_names=interp.CLASS_NAMES, labels=y[:60],
                        limit=3, methods=["saliency", "grad_cam"], top_k=4)
    return page, json.loads((out / "report.json").read_text()), x[:60], y[:60]


def test_report_top_activating_matches_a_brute_force_search(course_report, trained):
    _, data, x, _ = course_report
    for entry in data["top"]:
        probe = keras.Model(trained.inputs, trained.get_layer(entry["path"]).output)
        peaks = probe.predict(x, verbose=0).max(axis=(1, 2))
        for kernel in entry["kernels"]:
            k = kernel["kernel"]
            order = np.lexsort((np.arange(len(x)), -peaks[:, k]))[:4]
            np.testing.assert_allclose(kernel["values"], peaks[order, k], rtol=1e-5)
            assert kernel["indices"] == order.tolist()


def test_report_verdicts_use_the_layers_initializer(course_report, trained):
    _, data, _, _ = course_report
    first = data["kernels"][0]
    assert first["path"] == "conv1" and len(first["verdicts"]) == 5
    layer = trained.get_layer("conv1")
    for verdict in first["verdicts"]:
        found = interp.describe_kernel(interp.kernel(layer, verdict["kernel"]),
                                       initializer=layer.kernel_initializer)
        assert verdict["name"] == found.name
        assert verdict["percentile"] == pytest.approx(found.percentile)
    assert "GlorotUniform" in first["rule"]
    assert data["kernels"][1]["verdicts"] == []  # only the first layer is described


def test_report_predictions_and_labels(course_report, trained):
    _, data, x, y = course_report
    probabilities = trained.predict(x[:3], verbose=0)
    rows = data["attribution"]["rows"]
    assert [r["predicted"] for r in rows] == [interp.CLASS_NAMES[i]
                                             for i in probabilities.argmax(1)]
    assert [r["true"] for r in rows] == [interp.CLASS_NAMES[i] for i in y[:3]]
    np.testing.assert_allclose([r["probability"] for r in rows], probabilities.max(1),
                               rtol=1e-4)
    assert [m["key"] for m in data["attribution"]["methods"]] == ["saliency", "grad_cam"]


def test_report_page_is_self_contained(course_report):
    page, data, _, _ = course_report
    html = page.read_text()
    # the only scripts are the live view's, inline: its data and interp-live.js
    assert re.findall(r"<script[^>]*>", html) == [
        '<script type="application/json" class="interp-live-data">', "<script>"]
    assert "http://" not in html and "https://" not in html
    assert "@import" not in html and "url(" not in html
    timings = [t["step"] for t in data["made"]["timings"]]
    assert timings[:2] == ["model", "measuring the model's cost"]
    assert timings[2].startswith("top-activating search (60 images, 2 layers, one pass)")
    assert timings[3:6] == ["kernels", "feature maps", "top-activating patches"]
    assert data["made"]["peak_memory_mib"] > 0
    assert data["made"]["versions"]["Keras"] == keras.__version__


def test_report_replaces_an_earlier_report_but_nothing_else(tmp_path, course_report, trained,
                                                             test_set):
    x, _ = test_set
    out = tmp_path / "r"
    write_report(trained, x[:12], out, limit=1, methods=["saliency"], top_k=2)
    (out / "extra.txt").write_text("left by the first report's reader")
    write_report(trained, x[:12], out, limit=1, methods=["saliency"], top_k=2)
    assert (out / "extra.txt").read_text() == "left by the first report's reader"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]  # no temporary folders left
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "data.csv").write_text("1,2")
    with pytest.raises(ReportError, match="write_report: out .* holds files but no interp "
                                          "report"):
        write_report(trained, x[:12], tmp_path / "mine", methods=["saliency"])
    (tmp_path / "file").write_text("x")
    with pytest.raises(ReportError, match="is a file"):
        write_report(trained, x[:12], tmp_path / "file", methods=["saliency"])


def test_report_refuses_models_it_cannot_explain(tmp_path):
    inputs = keras.Input((8, 8, 1))
    x = L.Flatten()(L.Conv2D(2, 3)(inputs))
    two = keras.Model(inputs, [L.Dense(2)(x), L.Dense(3)(x)])
    images = np.zeros((4, 8, 8, 1), np.float32)
    with pytest.raises(ValueError, match="write_report: model .* has 2 outputs"):
        write_report(two, images, tmp_path / "a")
    with pytest.raises(ValueError, match="write_report: unknown attribution methods \\['lime'\\]"):
        write_report(GRAY, images, tmp_path / "b", methods=["lime"])
    with pytest.raises(ValueError, match="write_report: layers: layer 'out' is a Dense, not a "):
        write_report(GRAY, images, tmp_path / "c", layers=["out"])
    with pytest.raises(ValueError, match="write_report: layers: no layer named 'nope'"):
        write_report(GRAY, images, tmp_path / "d", layers=["nope"])
    with pytest.raises(ValueError, match="write_report: labels must be one class index"):
        write_report(GRAY, images, tmp_path / "e", labels=[0, 1])
    with pytest.raises(ValueError, match=r"write_report: class_names must give one name per "
                                         r"class of the model \(3\), got 2"):
        write_report(GRAY, images, tmp_path / "f", class_names=["a", "b"])
    assert not list(tmp_path.iterdir())


def test_report_on_a_channels_first_rgb_model(tmp_path):
    pixels = (np.random.default_rng(5).random((6, 8, 8, 3)) * 255).astype(np.uint8)
    images = load_images(pixels, RGB_FIRST)
    page = write_report(RGB_FIRST, images, tmp_path / "r", limit=2, methods=["saliency"],
                        top_k=2)
    data = json.loads((tmp_path / "r" / "report.json").read_text())
    assert data["model"]["data_format"] == "channels_first"
    probe = keras.Model(RGB_FIRST.inputs, RGB_FIRST.get_layer("c").output)
    if keras.backend.backend() == "tensorflow":
        # XLA: TensorFlow's CPU kernels may lack NCHW. Called through tf.function, since
        # Keras's compile(jit_compile=True) quietly falls back to no XLA once op
        # determinism is on, and a training test earlier in the process may have turned it on.
        import tensorflow as tf

        probe = tf.function(probe, jit_compile=True)
    peaks = keras.ops.convert_to_numpy(probe(images[0:6])).max(axis=(2, 3))  # (n, channels)
    for kernel in data["top"][0]["kernels"]:
        np.testing.assert_allclose(kernel["values"],
                                   np.sort(peaks[:, kernel["kernel"]])[::-1][:2], rtol=1e-5)
    assert page.exists()


def test_course_command_in_process(tmp_path, monkeypatch, capsys, trained):
    from interp.cli import main

    monkeypatch.chdir(tmp_path)
    status = main(["report", "--course", "--max-images", "30", "--limit", "2", "--methods",
                   "smoothgrad,integrated_gradients,occlusion,guided_backprop,input_x_gradient",
                   "--trust", "3", "--out", "course", "--quiet"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    data = json.loads((tmp_path / "course" / "report.json").read_text())
    assert data["model"]["n_images"] == 30
    assert data["model"]["class_names"] == list(interp.CLASS_NAMES)
    assert data["made"]["images"]["source"] == "the Fashion-MNIST test set"
    assert data["made"]["command"].startswith("interp report --course --max-images 30 ")
    assert [row["title"] for row in data["trust"]["rows"]] == [
        "SmoothGrad", "integrated gradients", "occlusion", "guided backprop", "input x gradient"]


def test_report_measures_which_map_to_trust(course_report, trained):
    _, data, x, _ = course_report
    trust = data["trust"]
    assert trust["measured"] and trust["n"] == 32 and trust["seeds"] == 5
    # the cascade randomizes the layers with weights, from the output down
    assert trust["layers"] == ["dense", "conv2", "conv1"]
    floor = trust["floor"]
    assert len(floor["deletion"]) == len(floor["insertion"]) == 5
    for row in trust["rows"]:
        assert 0 <= row["deletion"] <= 1 and 0 <= row["insertion"] <= 1
        assert row["below_floor"] == (row["deletion"] < min(floor["deletion"]))
        assert row["above_floor"] == (row["insertion"] > max(floor["insertion"]))
        assert len(row["cascade"]) == 3
        assert all(v is None or -1 <= v <= 1 for v in row["cascade"] + row["cascade_abs"])
    # the page shows the absolute-value cascade, and a verdict by the gallery's rule: every
    # defined mean, signed and absolute, below 0.25
    page, _, _, _ = course_report
    html = page.read_text()
    section = html[html.index("Method, absolute values"):]
    for row in trust["rows"]:
        cells = section[section.index(f"<tr><td>{row['title']}</td>"):]
        cells = cells[:cells.index("</tr>")]
        for value in row["cascade_abs"]:
            assert (f"{value:+.2f}" if value is not None else "undefined") in cells
        defined = [v for v in row["cascade"] + row["cascade_abs"] if v is not None]
        verdict = "yes" if defined and max(defined) < 0.25 else "no" if defined else "undefined"
        assert row["passes"] == {"yes": True, "no": False, "undefined": None}[verdict]
        assert cells.rstrip().endswith(f"{verdict}</span></td>" if verdict == "yes"
                                       else f"{verdict}</td>"), cells
    # the saliency row is the evaluation functions' own result on the same maps
    images = x[:32]
    targets = trained.predict(images, verbose=0).argmax(axis=1)
    maps = interp.saliency(trained, images, targets)
    saliency = next(row for row in trust["rows"] if row["title"] == "saliency")
    assert saliency["deletion"] == pytest.approx(
        float(interp.deletion(trained, images, maps, targets).auc.mean()), rel=1e-5)
    assert saliency["insertion"] == pytest.approx(
        float(interp.insertion(trained, images, maps, targets).auc.mean()), rel=1e-5)
    noise = np.random.default_rng(0).random(maps.shape).astype(np.float32)
    assert floor["deletion"][0] == pytest.approx(
        float(interp.deletion(trained, images, noise, targets).auc.mean()), rel=1e-5)


def test_trust_zero_skips_the_measures(tmp_path, trained, test_set):
    x, _ = test_set
    write_report(trained, x[:10], tmp_path / "r", limit=1, methods=["saliency"], trust=0)
    data = json.loads((tmp_path / "r" / "report.json").read_text())
    assert data["trust"]["measured"] is False and "--trust 0" in data["trust"]["note"]


def test_report_refuses_a_subclassed_model(tmp_path):
    class Net(keras.Model):
        def __init__(self):
            super().__init__(name="net")
            self.conv = L.Conv2D(2, 3)
            self.flat = L.Flatten()
            self.out = L.Dense(3)

        def call(self, x):
            return self.out(self.flat(self.conv(x)))

    model = Net()
    model(np.zeros((1, 8, 8, 1), np.float32))
    with pytest.raises(ValueError, match="write_report: model 'net' is a subclassed model; the "
                                         "report needs its layers"):
        write_report(model, np.zeros((2, 8, 8, 1), np.float32), tmp_path / "r")


def test_trust_table_shows_each_rows_verdict():
    from interp.report import _templates

    rows = [{"title": t, "deletion": 0.1, "insertion": 0.9, "below_floor": True,
             "above_floor": True, "cascade": [0.0, 0.0], "cascade_abs": [0.1, None],
             "passes": passes, "cascade_run": True}
            for t, passes in [("kept", True), ("lost", False), ("gone", None)]]
    trust = {"n": 4, "steps": 20, "seeds": 2, "floor": {"deletion": [0.5, 0.6],
             "insertion": [0.6, 0.7]}, "layers": ["dense", "conv"], "rows": rows,
             "line": 0.3, "n_cascade": 4, "all_layers": True, "n_weighted": 2}
    html = _templates().get_template("trust.html.j2").render(trust=trust)
    section = html[html.index("Method, absolute values"):]
    assert "Passes: both tables below 0.3?" in section
    verdicts = {}
    for title in ("kept", "lost", "gone"):
        row = section[section.index(f"<tr><td>{title}</td>"):]
        row = row[:row.index("</tr>")]
        assert '<td class="num">+0.10</td><td class="num">undefined</td>' in row
        verdicts[title] = row.rsplit("<td>", 1)[1]
    assert verdicts == {"kept": '<span class="verdict-yes">yes</span></td>',
                        "lost": "no</td>", "gone": "undefined</td>"}


def test_the_course_report_keeps_its_full_settings(course_report):
    _, data, _, _ = course_report
    plan = data["plan"]
    assert plan["full"] and plan["cuts"] == [] and not plan["over_budget"]
    settings = plan["settings"]
    assert (settings["n_curves"], settings["curve_steps"], settings["floor_seeds"]) == (32, 20, 5)
    assert (settings["n_cascade"], settings["cascade_layers"]) == (32, 3)
    assert settings["cascade_methods"] == ["saliency", "grad_cam"]
    assert data["trust"]["layers"] == ["dense", "conv2", "conv1"]
    assert [row["why"] for row in plan["rows"][4:]] == ["full settings"] * 3
