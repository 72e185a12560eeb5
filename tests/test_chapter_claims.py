"""The verdicts the chapter pages print hold on the cached model, with their signs.

Pages 05, 06 and 08 choose kernels by a rule and print sentences such as "kernel k
emphasizes the left side of the sneaker and suppresses its right side". These tests
choose the kernels by the same rules and check each sentence's signs and thresholds on
both images -- once with the library and once by hand (scipy's correlate2d and loops
over rows and columns), so a bug in interp.outline_response cannot hide a false claim.
"""

import numpy as np
import pytest
from scipy.signal import correlate2d

import interp

SHARE = 0.1  # the rule the pages state: a clear sign is at least 10% of max |response|


@pytest.fixture(scope="module")
def first_layer(trained):
    return interp.get_kernels(interp.pick_layer(trained, "conv1"))[0][:, :, 0, :]


@pytest.fixture(scope="module")
def images(test_set):
    x_test, y_test = test_set
    return {
        "sneaker": x_test[int(interp.images_of(y_test, "Sneaker")[0]), :, :, 0],
        "t-shirt": x_test[int(interp.images_of(y_test, "T-shirt/top")[0]), :, :, 0],
    }


def _sides(image, kernel):
    return interp.outline_response(interp.convolve(image, kernel, padding="same"), image)


def _by_hand(image, kernel):
    """Side means and max |response|, from correlate2d and loops over rows and columns.

    Each side is the outermost object pixel (brighter than 0.2) and the pixel just outside
    it, row by row for left/right, column by column for top/bottom.
    """
    response = correlate2d(image.astype(np.float64), kernel.astype(np.float64),
                           mode="same", boundary="fill")
    obj = image > 0.2
    height, width = obj.shape
    found = {"left": [], "right": [], "top": [], "bottom": []}
    for r in range(height):
        cols = np.flatnonzero(obj[r])
        if cols.size:
            found["left"] += [response[r, c] for c in (cols[0], cols[0] - 1) if c >= 0]
            found["right"] += [response[r, c] for c in (cols[-1], cols[-1] + 1) if c < width]
    for c in range(width):
        rows = np.flatnonzero(obj[:, c])
        if rows.size:
            found["top"] += [response[r, c] for r in (rows[0], rows[0] - 1) if r >= 0]
            found["bottom"] += [response[r, c] for r in (rows[-1], rows[-1] + 1) if r < height]
    return {side: float(np.mean(v)) for side, v in found.items()}, float(np.abs(response).max())


def _assert_signs(image, kernel, emphasized, suppressed):
    means, scale = _by_hand(image, kernel)
    assert means[emphasized] >= SHARE * scale > 0, (emphasized, means, scale)
    assert means[suppressed] <= -SHARE * scale, (suppressed, means, scale)


# ---- page 05: "kernel k emphasizes the left side ... and suppresses its right side" --------

def _page_05_choice(first_layer, sneaker):
    contrast = [_sides(sneaker, first_layer[:, :, k]).contrast("left", "right")
                for k in range(first_layer.shape[2])]
    chosen = int(np.argmax(np.abs(contrast)))
    return chosen, contrast[chosen]


def test_page_05_featured_kernel_has_the_stated_signs_on_both_images(first_layer, images):
    chosen, contrast = _page_05_choice(first_layer, images["sneaker"])
    assert contrast != 0, "page 05 would print that no kernel qualifies"
    favoured, other = ("left", "right") if contrast > 0 else ("right", "left")
    for name, image in images.items():
        result = _sides(image, first_layer[:, :, chosen])
        assert result.verdicts[favoured] == "emphasized", name
        assert result.verdicts[other] == "suppressed", name
        _assert_signs(image, first_layer[:, :, chosen], favoured, other)
        means, scale = _by_hand(image, first_layer[:, :, chosen])
        assert result.scale == pytest.approx(scale, rel=1e-5)
        for side, value in means.items():
            assert result.means[side] == pytest.approx(value, abs=1e-5)


def test_page_05_a_red_silhouette_does_not_qualify(first_layer, images):
    # The kernel the page used to feature answered both sides positively; the rule must
    # not count "larger on one side" as "emphasized here, suppressed there".
    for k in range(first_layer.shape[2]):
        result = _sides(images["sneaker"], first_layer[:, :, k])
        if result.means["left"] > 0 and result.means["right"] > 0:
            assert result.contrast("left", "right") == 0.0


# ---- page 06: no horizontal-edge kernel; the closest is a top-left edge ---------------------

def _probe():
    probe = np.zeros((28, 28))
    probe[7:21, 7:21] = 1.0
    return probe


def _horizontal_criterion(image, kernel):
    """Page 06's criterion, by hand: (opposite clear top/bottom signs, |lr| / |tb|)."""
    means, scale = _by_hand(image, kernel)
    clear = SHARE * scale
    opposite = ((means["top"] >= clear and means["bottom"] <= -clear)
                or (means["top"] <= -clear and means["bottom"] >= clear))
    top_bottom = (means["top"] - means["bottom"]) / scale
    left_right = (means["left"] - means["right"]) / scale
    return opposite, abs(left_right) / abs(top_bottom)


def test_page_06_no_kernel_detects_horizontal_edges(first_layer, images):
    """The title: "a top-left edge, not a horizontal one"; the page prints the same."""
    both = (_probe(), images["t-shirt"])
    found = {k: [_horizontal_criterion(image, first_layer[:, :, k]) for image in both]
             for k in range(first_layer.shape[2])}
    qualifying = [k for k, pair in found.items()
                  if all(opposite and ratio < 0.5 for opposite, ratio in pair)]
    assert qualifying == [], "page 06 would print that a kernel detects horizontal edges"
    # the closest, by the page's rule, is the kernel its text names, and its four sides
    # carry the signs the text and the probe titles give, on both images
    candidates = [k for k, pair in found.items() if all(opposite for opposite, _ in pair)]
    closest = min(candidates, key=lambda k: max(ratio for _, ratio in found[k]))
    assert closest == 4
    for image in both:
        _assert_signs(image, first_layer[:, :, closest], "top", "bottom")
        _assert_signs(image, first_layer[:, :, closest], "left", "right")
        # and left/right is not much weaker than top/bottom: more than half of it
        assert _horizontal_criterion(image, first_layer[:, :, closest])[1] > 0.5


def test_page_06_side_means_follow_from_the_rows_and_columns(first_layer):
    """top ~ bottom row + middle row / 2 (and likewise), as the page prints and says."""
    probe = _probe()
    for k in range(first_layer.shape[2]):
        kernel = first_layer[:, :, k].astype(np.float64)
        means, scale = _by_hand(probe, kernel)
        rows, cols = kernel.sum(axis=1), kernel.sum(axis=0)
        guess = {"top": rows[2] + rows[1] / 2, "bottom": rows[0] + rows[1] / 2,
                 "left": cols[2] + cols[1] / 2, "right": cols[0] + cols[1] / 2}
        for side, value in guess.items():
            assert means[side] == pytest.approx(value, abs=0.05), (k, side)  # "about"
        # bottom row minus top row says which horizontal side is larger, unless it is
        # near zero (kernel 1: -0.02, where the corners decide)
        if abs(rows[2] - rows[0]) >= 0.1:
            assert np.sign(means["top"] - means["bottom"]) == np.sign(rows[2] - rows[0]), k
        else:
            assert k == 1
    # "kernels 0 and 2 emphasize top and bottom alike"
    for k in (0, 2):
        means, scale = _by_hand(probe, first_layer[:, :, k])
        assert min(means["top"], means["bottom"]) >= SHARE * scale, k


# ---- page 08: brightness detectors and edge detectors ---------------------------------------

def test_page_08_kinds_match_the_weights_and_the_figure(first_layer, images):
    kinds = {"brightness": [], "edge": []}
    for k in range(first_layer.shape[2]):
        kernel = first_layer[:, :, k].astype(np.float64)
        zero_mean = kernel - kernel.mean()
        by_hand = abs(kernel.sum()) >= zero_mean[zero_mean > 0].sum()
        assert interp.describe_kernel(kernel).responds_to_brightness == by_hand
        results = {name: _sides(image, kernel) for name, image in images.items()}
        if by_hand:
            kinds["brightness"].append(k)
            # "the brightness detectors' maps repeat the object's silhouette"
            for result in results.values():
                assert result.verdicts["inside"] == "emphasized"
                assert not result.sides("suppressed")
        else:
            kinds["edge"].append(k)
            # "the edge detectors' maps pick out sides of its outline with a sign":
            # at least one side gets the same clear verdict on both images
            common = [side for side in ("left", "right", "top", "bottom")
                      if results["sneaker"].verdicts[side] == results["t-shirt"].verdicts[side]
                      != "neither"]
            assert common, k
    assert kinds["brightness"] and kinds["edge"]
    # the featured kernels of pages 05 and 06 are edge detectors
    assert _page_05_choice(first_layer, images["sneaker"])[0] in kinds["edge"]


# ---- page 11: top patches follow the kernel's sign pattern ---------------------------------

def test_page_11_top_patches_follow_the_sign_pattern(trained, test_set, first_layer):
    x_test, _ = test_set
    top = interp.top_activating(trained, "conv1", x_test, k=9)
    patches = interp.crop_patches(x_test, top, interp.receptive_field(trained, "conv1"))
    _, bias = interp.get_kernels(interp.pick_layer(trained, "conv1"))
    for k in range(first_layer.shape[2]):
        kernel = first_layer[:, :, k]
        bright = patches[k, :, :, :, 0] > 0.5
        # the bound the page prints: no patch in [0, 1] gives more (checked by hand on the
        # strongest patch: its response is the kernel-weighted sum plus the bias)
        strongest = float(np.sum(patches[k, 0, :, :, 0] * kernel) + bias[k])
        assert strongest == pytest.approx(top.values[k, 0], abs=1e-4)
        assert strongest <= np.maximum(kernel, 0).sum() + bias[k] + 1e-6
        # "mostly dark where the weights are negative", brightness detectors included
        assert np.mean(~bright[:, kernel < 0]) > 0.5, k
    signs = (first_layer > 0).transpose(2, 0, 1)
    assert np.mean((patches[..., 0] > 0.5) == signs[:, np.newaxis]) > 0.9


# ---- pages 05, 06 and 12: the kernels' patterns were there before training -----------------

def _cosine(a, b):
    a, b = a - a.mean(), b - b.mean()
    return float(np.sum(a * b) / np.linalg.norm(a) / np.linalg.norm(b))


def test_page_12_patterns_were_there_at_initialization(trained, first_layer):
    """Page 12: every kernel's zero-mean pattern at the end is the one at the start
    (cosine >= 0.9), and training made it larger; pages 05 and 06 say so of theirs."""
    snapshots = trained.training_info.kernel_snapshots[:, :, :, 0, :].astype(np.float64)
    np.testing.assert_array_equal(snapshots[-1], first_layer)
    for k in range(first_layer.shape[2]):
        start, end = snapshots[0, :, :, k], snapshots[-1, :, :, k]
        # a hand computation of the same cosine, element by element
        a, b = (start - start.mean()).ravel(), (end - end.mean()).ravel()
        by_hand = sum(x * y for x, y in zip(a, b, strict=True)) / (
            sum(x * x for x in a) ** 0.5 * sum(y * y for y in b) ** 0.5)
        assert _cosine(start, end) == pytest.approx(by_hand)
        assert by_hand >= 0.9, k
        assert np.linalg.norm(end) > np.linalg.norm(start), k


# ---- page 10: the featured second-layer map is the most active on the sneaker itself --------

def test_page_10_featured_map_is_active_on_the_sneaker(trained, test_set):
    x_test, y_test = test_set
    shoe = x_test[int(interp.images_of(y_test, "Sneaker")[0])]
    maps = interp.feature_maps(trained, shoe[np.newaxis], layers=["conv2"])["conv2"][0]
    # a conv2 value at (i, j) sees image pixels (i..i+4, j..j+4), centred on (i+2, j+2)
    on_object = shoe[2:-2, 2:-2, 0] > 0.2
    chosen = int(maps[on_object].mean(axis=0).argmax())
    # the chosen map is clearly non-zero on the shoe, and more so than on the background
    assert maps[on_object, chosen].mean() > maps[~on_object, chosen].mean()
    assert np.mean(maps[on_object, chosen] > 0) > 0.5
