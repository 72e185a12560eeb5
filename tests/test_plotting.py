"""The figures: what they draw, on what scale, and what they refuse."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

import interp


@pytest.fixture(autouse=True)
def _no_show(monkeypatch):
    def fail():
        raise AssertionError("plotting functions must not call plt.show()")

    monkeypatch.setattr(plt, "show", fail)


def test_plot_kernel_symmetric_scale_and_values():
    kern = np.array([[-0.5, 0.0, 0.2], [0.1, 0.3, -0.1], [0.0, 0.0, 0.25]])
    ax = interp.plot_kernel(kern)
    image = ax.images[0]
    assert image.get_clim() == (-0.5, 0.5)
    assert image.get_cmap().name == "RdBu_r"
    np.testing.assert_array_equal(image.get_array(), kern)
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 9 and "-0.50" in texts and "0.25" in texts
    assert len(ax.figure.axes) == 2  # the kernel and its colorbar


def test_plot_kernel_large_kernel_not_annotated_and_on_given_axes():
    _fig, ax = plt.subplots()
    returned = interp.plot_kernel(np.ones((9, 9)), ax=ax, colorbar=False, vmax=2.0)
    assert returned is ax and len(ax.texts) == 0 and ax.images[0].get_clim() == (-2.0, 2.0)


def test_plot_kernels_grid_shared_scale():
    kernels = np.random.default_rng(0).standard_normal((3, 3, 2, 4))
    fig = interp.plot_kernels(kernels)
    panels = [ax for ax in fig.axes if ax.images]
    assert len(panels) == 8
    limit = np.abs(kernels).max()
    assert all(ax.images[0].get_clim() == (-limit, limit) for ax in panels)
    np.testing.assert_array_equal(panels[4 + 1].images[0].get_array(), kernels[:, :, 1, 1])


def test_plot_kernels_from_layer_has_title():
    fig = interp.plot_kernels(interp.build_model().layers[0])
    assert "conv1" in fig.get_suptitle()


def test_plot_response_shows_the_convolution():
    image = np.zeros((10, 10))
    image[:, 5:] = 1.0
    kern = np.array([[-1.0, 0.0, 1.0]] * 3)
    fig = interp.plot_response(image, kern)
    response = fig.axes[2].images[0].get_array()
    # by hand: output column j sees input columns j..j+2 and answers 3 * (img[j+2] - img[j]),
    # which is 3 where the edge (between columns 4 and 5) lies under the kernel: j = 3, 4
    expected = np.zeros((8, 8))
    expected[:, 3:5] = 3.0
    np.testing.assert_array_equal(response, expected)
    assert fig.axes[2].images[0].get_clim() == (-3.0, 3.0)


def test_plot_images_titles(test_set):
    x_test, y_test = test_set
    fig = interp.plot_images(x_test[:5], y_test[:5], ncols=3)
    titles = [ax.get_title() for ax in fig.axes if ax.images]
    assert titles == [interp.CLASS_NAMES[i] for i in y_test[:5]]


@pytest.mark.parametrize(("call", "error", "words"), [
    (lambda: interp.plot_kernel(np.ones((3, 3, 2))), ValueError, "plot_kernel: kernel must be 2-D"),
    (lambda: interp.plot_kernel(np.full((3, 3), np.nan)), ValueError, "kernel must be finite"),
    (lambda: interp.plot_kernels(np.ones((3, 3))), ValueError, "plot_kernels: source must be"),
    (lambda: interp.plot_kernels(np.ones((3, 3, 1, 2)), kernel_names=["a"]), ValueError,
     "kernel_names must have 2 entries, got 1"),
    (lambda: interp.plot_response(np.ones((2, 8, 8, 1)), np.ones((3, 3))), ValueError,
     "plot_response: image must be one grayscale image"),
    (lambda: interp.plot_images(np.ones((2, 8, 8)), [1]), ValueError,
     "plot_images: labels must hold one label per image"),
    (lambda: interp.plot_images(np.ones((2, 8, 8)), [1, 10]), ValueError, "0..9"),
    (lambda: interp.plot_images(np.ones((8, 8))), ValueError, "plot_images: images must be"),
])
def test_bad_input(call, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        call()


def test_plot_patches_mosaic():
    patches = np.random.default_rng(0).random((3, 4, 5, 5, 1))
    fig = interp.plot_patches(patches, row_labels=["a", "b", "c"])
    mosaic = fig.axes[0].images[0].get_array()
    assert mosaic.shape == (3 * 15 + 2, 4 * 15 + 3)  # each 5 x 5 patch drawn 3x, 1-pixel gaps
    np.testing.assert_array_equal(mosaic[16:31:3, 32:47:3], patches[1, 2, :, :, 0])
    assert np.ma.is_masked(mosaic[15, 0]) and np.ma.is_masked(mosaic[0, 15])  # the gaps
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["a", "b", "c"]
    with pytest.raises(ValueError, match="plot_patches: patches must be"):
        interp.plot_patches(np.ones((3, 5, 5)))
    with pytest.raises(ValueError, match="row_labels must have 3 entries"):
        interp.plot_patches(patches, row_labels=["a"])


def _map_panels(fig):
    return [ax for ax in fig.axes if ax.images][1:]  # the first panel is the image


def test_plot_attributions_colormap_follows_the_method_not_the_data():
    image = np.zeros((6, 6))
    image[2:4, 2:4] = 1.0
    rng = np.random.default_rng(0)
    mostly_positive = rng.random((6, 6)) * 3.0
    mostly_positive[0, 0] = -0.01  # one faint negative pixel
    all_positive = rng.random((6, 6)) + 0.5
    fig = interp.plot_attributions(
        image, {"a": mostly_positive, "b": all_positive, "c": all_positive},
        signed={"c": False})
    a, b, c = (ax.images[0] for ax in _map_panels(fig))
    # Signed maps: the diverging colormap, limits symmetric about 0 whatever the data's sign.
    for shown, values in ((a, mostly_positive), (b, all_positive)):
        assert shown.get_cmap().name == "RdBu_r"
        peak = np.abs(values).max()
        assert shown.get_clim() == (-peak, peak)
    # A non-negative map: the sequential colormap from 0 to its maximum.
    assert c.get_cmap().name == "Reds"
    assert c.get_clim() == (0.0, all_positive.max())
    # White is 0 on both kinds of map.
    assert a.cmap(a.norm(0.0))[:3] == pytest.approx((0.97, 0.97, 0.97), abs=0.03)
    assert c.cmap(c.norm(0.0))[:3] == pytest.approx((1.0, 0.96, 0.94), abs=0.03)
    assert len(fig.axes) == 4 + 3  # image, three maps, three colorbars


def test_plot_attributions_same_method_same_colormap_across_images():
    """Occlusion can be non-negative on one image and signed on the next: one colormap."""
    image = np.ones((5, 5))
    _fig, axes = plt.subplots(2, 2)
    interp.plot_attributions(image, {"occlusion": np.full((5, 5), 0.2)}, axes=axes[0])
    interp.plot_attributions(image, {"occlusion": np.full((5, 5), -0.2)}, axes=axes[1])
    top, bottom = axes[0, 1].images[0], axes[1, 1].images[0]
    assert top.get_cmap().name == bottom.get_cmap().name == "RdBu_r"
    assert top.get_clim() == bottom.get_clim() == (-0.2, 0.2)


def test_plot_attributions_empty_map_is_labelled_and_has_no_colorbar():
    image = np.ones((5, 5))
    fig = interp.plot_attributions(image, {"Grad-CAM": np.zeros((5, 5)), "x": np.eye(5)},
                                   signed={"Grad-CAM": False})
    empty, other = _map_panels(fig)
    assert [t.get_text() for t in empty.texts] == ["all zero"]
    assert empty.images[0].get_cmap()(empty.images[0].norm(0.0))[:3] == pytest.approx(
        (1.0, 0.96, 0.94), abs=0.03)  # white, not a black square
    assert len(fig.axes) == 3 + 1  # only the non-empty map has a colorbar
    assert other.images[0].get_clim() == (-1.0, 1.0)


def test_plot_attributions_without_colorbars_writes_each_scale():
    image = np.ones((5, 5))
    fig = interp.plot_attributions(
        image, {"s": np.full((5, 5), -0.25), "n": np.full((5, 5), 0.5), "e": np.zeros((5, 5))},
        signed={"n": False}, colorbar=False)
    assert len(fig.axes) == 4
    assert [ax.get_xlabel() for ax in _map_panels(fig)] == [
        "scale ±0.25", "scale 0 to 0.5", "empty map"]


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"maps": {"x": -np.ones((4, 4))}, "signed": False}, ValueError,
     "plot_attributions: maps['x'] must be non-negative when drawn with signed=False, "
     "got a minimum of -1"),
    ({"maps": {"x": np.ones((4, 4))}, "signed": {"y": False}}, ValueError,
     "plot_attributions: signed must name maps in maps (['x']), got ['y']"),
    ({"maps": {"x": np.ones((4, 4))}, "signed": "yes"}, TypeError,
     "plot_attributions: signed must be a bool or a mapping"),
    ({"maps": {"x": np.ones((3, 4))}}, ValueError,
     "plot_attributions: maps['x'] must have the image's shape (4, 4)"),
    ({"maps": {}}, TypeError, "plot_attributions: maps must be a non-empty dict"),
    ({"maps": {"x": np.ones((4, 4))}, "axes": [None]}, TypeError,
     "plot_attributions: axes must be a sequence of matplotlib Axes"),
    ({"maps": {"x": np.ones((4, 4))}, "axes": "axes"}, TypeError,
     "plot_attributions: axes must be a sequence of matplotlib Axes"),
])
def test_plot_attributions_bad_input(kwargs, error, words):
    with pytest.raises(error) as info:
        interp.plot_attributions(np.ones((4, 4)), **kwargs)
    assert words in str(info.value)


def test_plot_attributions_needs_one_axes_per_panel():
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="plot_attributions: axes must hold 2 axes, got 1"):
        interp.plot_attributions(np.ones((4, 4)), {"x": np.ones((4, 4))}, axes=[ax])
