"""Input a user did not mean as code, or that means harm: pixel types, names, sizes.

- Integer pixels are scaled by their type's range, or refused when the type has none; the
  oracle is the hand formula ``(value - from_low) / (from_high - from_low)``, and Pillow's
  own float resize for a resized 16-bit PNG.
- Names with ``$``, ``\\``, ``_``, ``^``, ``%`` and braces are drawn as they are written
  (matplotlib would read them as formulas), and control characters from a model file never
  reach the terminal.
- Images larger than ``max_pixels`` are refused from their header, by name; each file
  among the report's first images is decoded once.
"""

import io
import struct
import sys
import zlib

import keras
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.text import Text
from PIL import Image

import interp
from interp import images as images_module
from interp.images import ImageError, load_images, read_source
from interp.report import write_report

L = keras.layers


def _model(shape=(8, 8, 1), name="m"):
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input(shape), L.Conv2D(2, 3, name="c"), L.Flatten(),
                             L.Dense(3, name="out")], name=name)


GRAY = _model()
RGB = _model((8, 8, 3))


# ---- integer pixels: the type's range, or what the caller says ----------------------------
def test_uint16_arrays_are_scaled_by_their_own_range():
    pixels = np.zeros((2, 8, 8), np.uint16)
    pixels[0, 0, 0], pixels[0, 0, 1], pixels[1, 0, 0] = 65535, 4095, 60000
    images = load_images(pixels, GRAY)
    batch = images[0:2][..., 0]
    assert batch[0, 0, 0] == pytest.approx(1.0)
    assert batch[0, 0, 1] == pytest.approx(4095 / 65535, rel=1e-6)
    assert batch[1, 0, 0] == pytest.approx(60000 / 65535, rel=1e-6)
    assert images.scaling.rule == "type" and images.scaling.source == (0.0, 65535.0)
    assert images.conversion[-1].startswith("uint16 pixel values 0-65535 scaled linearly to "
                                            "0-1 (the range of uint16;")


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.int16, np.int8, np.uint32, np.uint64])
def test_integer_types_without_a_range_are_refused_unless_a_scale_says(dtype):
    pixels = np.zeros((2, 8, 8), dtype)
    pixels[0, 0, 0] = 100
    with pytest.raises(ImageError, match=rf"load_images: path holds {np.dtype(dtype)} pixels "
                                         r"\(given as an array; values 0 to 100\), and .* have "
                                         r"no range .* scale=\(\(0, 4095\), \(0, 1\)\) for 12-bit "
                                         r"data, say, or scale=\(\(0, 100\), \(0, 1\)\)"):
        load_images(pixels, GRAY)
    with pytest.raises(ImageError, match="have no range"):  # two numbers say too little
        load_images(pixels, GRAY, scale=(0, 1))
    images = load_images(pixels, GRAY, scale=((0, 100), (0, 1)))
    assert images[0:1][0, 0, 0, 0] == pytest.approx(1.0)
    assert images.scaling.rule == "given"


def test_twelve_bit_data_in_int32_with_the_range_given():
    pixels = np.array([[[0, 2048], [4095, 1000]]], np.int32).repeat(4, 1).repeat(4, 2)
    for scale in (((0, 4095), (0, 1)), "0,4095:0,1"):
        images = load_images(pixels, GRAY, scale=scale)
        batch = images[0:1][0, ..., 0]
        np.testing.assert_allclose(batch, pixels[0] / 4095, rtol=1e-6)
        assert images.scaling.source == (0.0, 4095.0) and images.scaling.target == (0.0, 1.0)
        assert images.conversion[-1] == ("int32 pixel values 0-4095 scaled linearly to 0-1 (as "
                                         "given: scale=((0, 4095), (0, 1)))")


def test_signed_data_with_negative_values_and_a_given_range():
    pixels = np.array([[[-1000, 0], [1000, 500]]], np.int16).repeat(4, 1).repeat(4, 2)
    images = load_images(pixels, GRAY, scale=((-1000, 1000), (-1, 1)))
    np.testing.assert_allclose(images[0:1][0, ..., 0], pixels[0] / 1000, rtol=1e-6, atol=1e-7)
    shown = images.display(slice(0, 1))[0]  # for drawing: -1000 black, 1000 white
    np.testing.assert_allclose(shown, (pixels[0] + 1000) / 2000, rtol=1e-6)


def test_float_arrays_are_used_as_they_are_or_taken_as_0_255_with_two_numbers():
    pixels = np.full((1, 8, 8), 0.5, np.float32)
    assert load_images(pixels, GRAY).scaling.rule == "as is"
    assert float(load_images(pixels, GRAY)[0:1].max()) == 0.5
    scaled = load_images(np.full((1, 8, 8), 51.0, np.float32), GRAY, scale=(-1, 1))
    assert scaled.scaling.rule == "float 0-255"
    assert float(scaled[0:1].max()) == pytest.approx(-1 + 2 * 51 / 255)


@pytest.mark.parametrize("scale", ["4095,0:0,1", "0,1:2,2", "0,4095:0", "a,b", "0,1:0,1:0,1"])
def test_malformed_scales_are_refused(scale):
    with pytest.raises(ImageError, match="load_images: scale must be two different finite "
                                         "numbers LOW,HIGH .* or FROM_LOW,FROM_HIGH:LOW,HIGH"):
        load_images(np.zeros((1, 8, 8), np.uint8), GRAY, scale=scale)


def _png16(path, values):
    Image.fromarray(np.asarray(values, np.uint16)).save(path)
    assert Image.open(path).mode.startswith("I")  # a 16-bit PNG, as Pillow reads it


def test_16_bit_pngs_keep_their_precision(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    _png16(folder / "a.png", np.full((8, 8), 60000))
    images = load_images(folder, GRAY)
    assert images[0:1][0, 0, 0, 0] == pytest.approx(60000 / 65535, rel=1e-6)  # 0.91554
    assert "16-bit pixel values 0-65535 scaled linearly to 0-1" in images.conversion[-1]


def test_a_resized_16_bit_png_matches_pillows_float_resize(tmp_path):
    values = (np.arange(20 * 13).reshape(20, 13) * 251 % 65536).astype(np.uint16)
    _png16(tmp_path / "a.png", values)
    for model, channels in ((GRAY, 1), (RGB, 3)):
        got = load_images(tmp_path / "a.png", model)[0:1][0]
        plane = Image.fromarray(values.astype(np.float32), mode="F").resize(
            (8, 8), Image.Resampling.BILINEAR)
        expected = np.asarray(plane) / 65535
        for c in range(channels):
            np.testing.assert_allclose(got[..., c], expected, rtol=1e-5, atol=1e-7)


def test_a_folder_mixing_8_and_16_bit_files(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    Image.fromarray(np.full((8, 8), 128, np.uint8)).save(folder / "a.png")
    _png16(folder / "b.png", np.full((8, 8), 65535))
    images = load_images(folder, GRAY)
    batch = images[0:2][..., 0]
    assert batch[0, 0, 0] == pytest.approx(128 / 255, rel=1e-6)
    assert batch[1, 0, 0] == pytest.approx(1.0)
    assert "multiplied by 257" in images.conversion[-1]


def test_the_command_scales_and_refuses_int32_and_says_which_rule(tmp_path, monkeypatch, capsys):
    from interp.cli import main

    pixels = (np.arange(6 * 8 * 8).reshape(6, 8, 8) * 13 % 4096).astype(np.int32)
    np.save(tmp_path / "x.npy", pixels)
    GRAY.save(tmp_path / "m.keras")
    monkeypatch.chdir(tmp_path)
    args = ["report", "m.keras", "--images", "x.npy", "--limit", "1", "--methods", "saliency",
            "--trust", "0", "--quiet"]
    assert main([*args, "--out", "a"]) == 1
    line = capsys.readouterr().err.strip()
    assert line.startswith("interp report: --images holds int32 pixels") and "\n" not in line
    assert "--scale 0,4095:0,1 for 12-bit data" in line
    assert main([*args, "--out", "b", "--scale", "0,4095:0,1"]) == 0
    import json

    data = json.loads((tmp_path / "b" / "report.json").read_text())
    assert data["model"]["conversion"][-1] == ("int32 pixel values 0-4095 scaled linearly to 0-1 "
                                               "(as given: --scale 0,4095:0,1)")


def test_the_npz_question_names_the_option(tmp_path, monkeypatch, capsys):
    from interp.cli import main

    x = np.zeros((3, 8, 8), np.uint8)
    np.savez(tmp_path / "many.npz", a=x, b=x)
    GRAY.save(tmp_path / "m.keras")
    monkeypatch.chdir(tmp_path)
    assert main(["report", "m.keras", "--images", "many.npz", "--out", "r"]) == 1
    assert capsys.readouterr().err.strip().endswith("say which one holds the images: --key NAME")


# ---- names drawn as they are written -----------------------------------------------------
NAMES = ["price_$5_$6.png", "back\\slash", "x_1^2", "50% {a}", "$", "$\\frac{a}{$", "{}"]


def _user_texts(fig, names):
    found = [t for t in fig.findobj(Text) if t.get_text() in names]
    assert {t.get_text() for t in found} >= set(names)
    return found


def _figures():
    n = len(NAMES)
    rng = np.random.default_rng(0)
    yield interp.plot_kernel(rng.random((3, 3)), title=NAMES[0]).figure, NAMES[:1]
    yield interp.plot_kernels(rng.random((3, 3, 1, n)), kernel_names=NAMES,
                              title=NAMES[0]), NAMES
    yield interp.plot_response(rng.random((8, 8)), rng.random((3, 3)), titles=NAMES[:3]), NAMES[:3]
    yield interp.plot_images(rng.random((n, 4, 4)), np.arange(n), class_names=NAMES), NAMES
    yield interp.plot_patches(rng.random((n, 2, 3, 3)), row_labels=NAMES, title=NAMES[1]), NAMES
    yield interp.plot_feature_maps(rng.random((4, 4, n)), rng.random((4, 4)), channel_names=NAMES,
                                   title=NAMES[0]), NAMES
    yield interp.plot_attributions(rng.random((4, 4)), {name: rng.random((4, 4)) for name in NAMES},
                                   title=NAMES[0]), NAMES


def test_names_with_formula_characters_are_drawn_literally():
    for fig, names in _figures():
        fig.canvas.draw()  # a formula would be parsed here, and "price_$5_$6.png" fail
        for text in _user_texts(fig, names):
            assert not text.get_parse_math() and not text.get_usetex(), text.get_text()
        plt.close(fig)


def test_names_are_not_sent_to_latex_either():
    with matplotlib.rc_context({"text.usetex": True}):
        for fig, names in _figures():
            for text in _user_texts(fig, names):
                assert not text.get_usetex(), text.get_text()
            plt.close(fig)


def test_a_report_on_files_and_classes_named_like_formulas(tmp_path, monkeypatch, capsys):
    from interp.cli import main

    folder = tmp_path / "shop"
    folder.mkdir()
    pixels = (np.random.default_rng(2).random((3, 8, 8)) * 255).astype(np.uint8)
    for name, image in zip(["price_$5_$6.png", "a^b_{c}.png", "50%_\\x.png"], pixels,
                           strict=True):
        Image.fromarray(image).save(folder / name)
    GRAY.save(tmp_path / "m.keras")
    monkeypatch.chdir(tmp_path)
    status = main(["report", "m.keras", "--images", "shop", "--out", "r", "--classes",
                   "$x_$,\\frac{1}{2},%{}^", "--limit", "3", "--methods", "saliency",
                   "--trust", "0", "--quiet"])
    assert status == 0, capsys.readouterr().err
    assert "price_$5_$6.png" in (tmp_path / "r" / "index.html").read_text()


# ---- control characters never reach the terminal -----------------------------------------
ESCAPES = "conv\x1b[2J\x1b]0;title\x07"


def test_layers_shows_control_characters_escaped(tmp_path, monkeypatch, capsys):
    from interp.cli import main

    model = keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(2, 3, name=ESCAPES),
                              L.Flatten(), L.Dense(3)], name="m\x1b[31mred")
    model.save(tmp_path / "esc.keras")
    monkeypatch.chdir(tmp_path)
    assert main(["layers", "esc.keras"]) == 0
    out = capsys.readouterr().out
    assert not any(char in out for char in "\x1b\x07")
    assert r"conv\x1b[2J\x1b]0;title\x07  Conv2D" in out
    assert out.startswith(r"m\x1b[31mred (Sequential)")


def test_error_lines_show_control_characters_escaped(monkeypatch, capsys):
    from interp import cli

    def fail(args):
        raise cli.CommandError(f"interp layers: MODEL: no such layer {ESCAPES}\nsecond line")

    monkeypatch.setattr(cli, "run_layers", fail)
    assert cli.main(["layers", "x.keras"]) == 1
    err = capsys.readouterr().err
    assert err == ("interp layers: MODEL: no such layer conv\\x1b[2J\\x1b]0;title\\x07"
                   "\\nsecond line\n")


def test_progress_bars_show_control_characters_escaped(monkeypatch):
    from interp._progress import progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert list(progress(range(3), desc=f"top-activating {ESCAPES}", quiet=False)) == [0, 1, 2]
    shown = terminal.getvalue()
    assert r"top-activating conv\x1b[2J\x1b]0;title\x07" in shown
    assert "\x1b[2J" not in shown and "\x07" not in shown


# ---- images too large ----------------------------------------------------------------------
def _png_header(path, width, height):
    """A PNG whose header claims width x height pixels, with no pixels behind it."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    path.write_bytes(b"\x89PNG\r\n\x1a\n"
                     + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))


def test_a_png_claiming_900_megapixels_is_refused_by_name(tmp_path, monkeypatch, capsys):
    from interp.cli import main

    folder = tmp_path / "bomb"
    folder.mkdir()
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(folder / "a.png")
    _png_header(folder / "huge.png", 30000, 30000)
    with pytest.raises(ImageError, match=r"load_images: path: '.*huge.png' is 30000x30000 "
                                         r"pixels \(width x height, 900.0 million\), more than "
                                         r"max_pixels allows \(64,000,000\)"):
        load_images(folder, GRAY)
    GRAY.save(tmp_path / "m.keras")
    monkeypatch.chdir(tmp_path)
    assert main(["report", "m.keras", "--images", "bomb", "--out", "r"]) == 1
    line = capsys.readouterr().err.strip()
    assert line.startswith("interp report: --images: 'bomb/huge.png' is 30000x30000 pixels")
    assert "more than --max-pixels allows" in line and "unexpected" not in line


def test_max_pixels_is_the_largest_image_allowed(tmp_path):
    from interp.images import MAX_PIXELS

    Image.fromarray(np.zeros((50, 100), np.uint8)).save(tmp_path / "a.png")  # 5,000 pixels
    assert load_images(tmp_path / "a.png", GRAY, max_pixels=5000).shape == (1, 8, 8, 1)
    with pytest.raises(ImageError, match=r"'.*a.png' is 100x50 pixels .* more than max_pixels "
                                         r"allows \(4,999\)"):
        load_images(tmp_path / "a.png", GRAY, max_pixels=4999)
    with pytest.raises(ImageError, match=r"each image \(given as an array\) is 100x50 pixels"):
        load_images(np.zeros((2, 50, 100), np.uint8), GRAY, max_pixels=4999)
    with pytest.raises(ValueError, match=r"load_images: max_pixels must be an int >= 1, got 0"):
        load_images(tmp_path / "a.png", GRAY, max_pixels=0)
    with pytest.raises(TypeError, match=r"load_images: max_pixels must be an int, got 1000000.0 \(float\)"):
        load_images(tmp_path / "a.png", GRAY, max_pixels=1e6)
    assert MAX_PIXELS == 64_000_000


def test_max_pixels_above_pillows_own_limit(tmp_path):
    """Pillow refuses more than 179 million pixels itself; a larger max_pixels is honoured."""
    Image.MAX_IMAGE_PIXELS, saved = 1000, Image.MAX_IMAGE_PIXELS  # Pillow's, made tiny
    try:
        _png_header(tmp_path / "big.png", 400, 300)
        found = read_source("f", "images", tmp_path / "big.png", max_pixels=200_000)
        assert found.headers == [(400, 300, "L")]
        assert Image.MAX_IMAGE_PIXELS == 1000  # left as it was
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def test_each_of_the_reports_first_images_is_decoded_once(tmp_path, monkeypatch):
    folder = tmp_path / "p"
    folder.mkdir()
    pixels = (np.random.default_rng(3).random((10, 8, 8)) * 255).astype(np.uint8)
    for i, image in enumerate(pixels):
        Image.fromarray(image).save(folder / f"{i:02d}.png")
    decoded = []
    real = images_module._decode

    def counting(func, name, path, *args, **kwargs):
        decoded.append(path.name)
        return real(func, name, path, *args, **kwargs)

    monkeypatch.setattr(images_module, "_decode", counting)
    images = load_images(folder, GRAY)
    write_report(GRAY, images, tmp_path / "r", limit=2, trust=3, methods=["saliency"], top_k=2)
    counts = {name: decoded.count(name) for name in sorted(set(decoded))}
    assert [counts[f"{i:02d}.png"] for i in range(3)] == [1, 1, 1], counts
    # the others at most three times: the search, the patches drawn and the live view's
    # picks (its first 30 images), each a bounded pass that streams them again
    assert max(counts.values()) <= 3, counts
    assert len(counts) == 10
