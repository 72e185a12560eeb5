"""border_masks / border_means: the object's outline, found on shapes drawn by hand."""

import numpy as np
import pytest

import interp


def test_rectangle_borders():
    image = np.zeros((6, 7))
    image[1:5, 2:6] = 0.9  # rows 1-4, columns 2-5
    masks = interp.border_masks(image)
    assert set(map(tuple, np.argwhere(masks["left"]))) == {(r, 2) for r in range(1, 5)}
    assert set(map(tuple, np.argwhere(masks["right"]))) == {(r, 5) for r in range(1, 5)}
    assert set(map(tuple, np.argwhere(masks["top"]))) == {(1, c) for c in range(2, 6)}
    assert set(map(tuple, np.argwhere(masks["bottom"]))) == {(4, c) for c in range(2, 6)}
    assert set(map(tuple, np.argwhere(masks["inside"]))) == {(r, c) for r in (2, 3) for c in (3, 4)}
    assert masks["background"].sum() == 42 - 16


def test_irregular_shape_per_row():
    image = np.zeros((3, 6, 1))
    image[0, 1:3, 0] = 1
    image[1, 0:5, 0] = 1
    image[2, 3, 0] = 1
    masks = interp.border_masks(image)
    assert np.argwhere(masks["left"]).tolist() == [[0, 1], [1, 0], [2, 3]]
    assert np.argwhere(masks["right"]).tolist() == [[0, 2], [1, 4], [2, 3]]


def test_border_means_sign_of_a_vertical_edge_kernel():
    image = np.zeros((8, 8))
    image[2:6, 2:6] = 1.0
    response = interp.convolve(image, np.array([[-1.0, 0.0, 1.0]] * 3), padding="same")
    means = interp.border_means(response, image)
    assert means["left"] > 0 and means["right"] < 0
    assert means["top"] == pytest.approx(means["bottom"])
    assert means["background"] == pytest.approx(0.0, abs=1.0)


def test_bad_input():
    with pytest.raises(ValueError, match="border_masks: no pixel is brighter than threshold=0.2"):
        interp.border_masks(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="border_masks: image must be one grayscale image"):
        interp.border_masks(np.ones((2, 4, 4)))
    with pytest.raises(ValueError, match="border_means: response must have the image's shape"):
        interp.border_means(np.ones((2, 2)), np.ones((4, 4)))


# ---- border_masks(outside=True) ------------------------------------------------------------

def test_outside_adds_the_background_pixel_beyond_each_border():
    image = np.zeros((6, 7))
    image[1:5, 2:6] = 0.9  # rows 1-4, columns 2-5
    masks = interp.border_masks(image, outside=True)
    assert set(map(tuple, np.argwhere(masks["left"]))) == {(r, c) for r in range(1, 5) for c in (1, 2)}
    assert set(map(tuple, np.argwhere(masks["right"]))) == {(r, c) for r in range(1, 5) for c in (5, 6)}
    assert set(map(tuple, np.argwhere(masks["top"]))) == {(r, c) for r in (0, 1) for c in range(2, 6)}
    assert set(map(tuple, np.argwhere(masks["bottom"]))) == {(r, c) for r in (4, 5) for c in range(2, 6)}
    # the inside and the background are the same as without outside
    plain = interp.border_masks(image)
    assert np.array_equal(masks["inside"], plain["inside"])
    assert np.array_equal(masks["background"], plain["background"])


def test_outside_stops_at_the_image_edge():
    image = np.zeros((4, 4))
    image[:, :2] = 1.0  # touches the left, top and bottom edges of the image
    masks = interp.border_masks(image, outside=True)
    assert set(np.argwhere(masks["left"])[:, 1].tolist()) == {0}
    assert set(np.argwhere(masks["right"])[:, 1].tolist()) == {1, 2}
    assert set(np.argwhere(masks["top"])[:, 0].tolist()) == {0}
    assert set(np.argwhere(masks["bottom"])[:, 0].tolist()) == {3}


# ---- outline_response: signs known by construction --------------------------------------------

PREWITT_X = np.array([[-1.0, 0.0, 1.0]] * 3)  # dark on the left, bright on the right
SQUARE = np.zeros((12, 12))
SQUARE[3:9, 3:9] = 1.0


def _by_hand(image, kernel):
    """Side means from a plain loop over rows/columns and scipy's correlate2d."""
    from scipy.signal import correlate2d

    response = correlate2d(image, kernel, mode="same", boundary="fill")
    obj = image > 0.2
    values = {"left": [], "right": [], "top": [], "bottom": []}
    for r in range(obj.shape[0]):
        cols = np.flatnonzero(obj[r])
        if cols.size:
            values["left"] += [response[r, cols[0]], response[r, cols[0] - 1]]
            values["right"] += [response[r, cols[-1]], response[r, cols[-1] + 1]]
    for c in range(obj.shape[1]):
        rows = np.flatnonzero(obj[:, c])
        if rows.size:
            values["top"] += [response[rows[0], c], response[rows[0] - 1, c]]
            values["bottom"] += [response[rows[-1], c], response[rows[-1] + 1, c]]
    return response, {side: float(np.mean(v)) for side, v in values.items()}


@pytest.mark.parametrize(("turns", "emphasized", "suppressed"), [
    (0, "left", "right"),   # x: bright on the right, so the left side (dark|bright) is found
    (1, "bottom", "top"),   # rot90 turns "bright right" into "bright above"
    (2, "right", "left"),
    (3, "top", "bottom"),
])
def test_prewitt_on_a_bright_square(turns, emphasized, suppressed):
    kernel = np.rot90(PREWITT_X, turns)
    response, hand = _by_hand(SQUARE, kernel)
    result = interp.outline_response(interp.convolve(SQUARE, kernel, padding="same"), SQUARE)
    for side in ("left", "right", "top", "bottom"):
        assert result.means[side] == pytest.approx(hand[side])
    assert result.scale == pytest.approx(np.abs(response).max())
    assert result.sides("emphasized") == (emphasized,)
    assert result.sides("suppressed") == (suppressed,)
    assert len(result.sides("neither")) == 2
    assert result.verdicts["inside"] == "neither"
    # 6 rows: 4 full rows answer 3, the 2 end rows 2, on both pixels of the band
    assert result.means[emphasized] == pytest.approx((4 * 3 + 2 * 2) / 6)
    assert result.contrast(emphasized, suppressed) == pytest.approx(result.means[emphasized] / 3)
    assert result.contrast(suppressed, emphasized) == pytest.approx(-result.means[emphasized] / 3)
    others = [s for s in ("left", "right", "top", "bottom") if s not in (emphasized, suppressed)]
    assert result.contrast(*others) == 0.0


def test_a_blur_emphasizes_every_side_and_the_inside():
    blur = np.full((3, 3), 1 / 9)
    result = interp.outline_response(interp.convolve(SQUARE, blur, padding="same"), SQUARE)
    assert result.sides("emphasized") == ("left", "right", "top", "bottom")
    assert result.verdicts["inside"] == "emphasized"
    assert result.contrast("left", "right") == 0.0
    assert str(result).startswith("emphasized left +")
    assert "suppressed" not in str(result)


def test_the_threshold_is_a_share_of_the_largest_value():
    image = np.zeros((7, 7))
    image[2:5, 2:5] = 1.0
    response = np.zeros((7, 7))
    response[6, 6] = -10.0  # the map's largest |value|, far from the object
    left = interp.border_masks(image, outside=True)["left"]
    response[left] = 1.0          # exactly 10 % of 10: emphasized
    right = interp.border_masks(image, outside=True)["right"]
    response[right] = -0.999      # just under 10 %: neither
    result = interp.outline_response(response, image)
    assert result.limit == pytest.approx(1.0)
    assert result.verdicts["left"] == "emphasized"
    assert result.verdicts["right"] == "neither"
    assert interp.outline_response(response, image, share=0.09).verdicts["right"] == "suppressed"
    assert interp.outline_response(response, image, share=0.2).verdicts["left"] == "neither"


def test_a_zero_response_emphasizes_nothing():
    result = interp.outline_response(np.zeros_like(SQUARE), SQUARE)
    assert set(result.verdicts.values()) == {"neither"}
    assert result.contrast("left", "right") == 0.0
    assert str(result).startswith("neither left +0.00")


def test_outline_response_bad_input():
    response = interp.convolve(SQUARE, PREWITT_X, padding="same")
    with pytest.raises(ValueError, match=r"outline_response: share must be in \(0, 1\), got 0"):
        interp.outline_response(response, SQUARE, share=0)
    with pytest.raises(ValueError, match="share must be in"):
        interp.outline_response(response, SQUARE, share=1.5)
    with pytest.raises(TypeError, match="outline_response: share must be a real number"):
        interp.outline_response(response, SQUARE, share="10%")
    with pytest.raises(TypeError, match="share must be a real number"):
        interp.outline_response(response, SQUARE, share=True)
    with pytest.raises(ValueError, match="outline_response: response must have the image's shape"):
        interp.outline_response(interp.convolve(SQUARE, PREWITT_X), SQUARE)  # 'valid' is smaller
    with pytest.raises(ValueError, match="outline_response: no pixel is brighter"):
        interp.outline_response(response, np.zeros((12, 12)))
    with pytest.raises(TypeError, match="border_masks: outside must be True or False, got 'yes'"):
        interp.border_masks(SQUARE, outside="yes")
    result = interp.outline_response(response, SQUARE)
    with pytest.raises(ValueError, match="OutlineResponse.sides: verdict must be 'emphasized'"):
        result.sides("strong")
    with pytest.raises(ValueError, match="OutlineResponse.contrast: second must be one of"):
        result.contrast("left", "middle")
