"""border_means, outline_response and mass_on_object on small images whose answers are
worked out by hand: empty parts, the pixel outside each border, the exact printed words.

Written from the mutation audit of issue #9.
"""

import warnings

import numpy as np
import pytest

import interp


def test_border_means_of_an_empty_part_is_nan():
    # an object filling a 2 x 4 image: no background, and every pixel on a border
    full = np.ones((2, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NaN for an empty part, without a mean-of-empty warning
        means = interp.border_means(np.arange(8.0).reshape(2, 4), full)
    assert np.isnan(means["background"]) and np.isnan(means["inside"])
    assert means["left"] == pytest.approx(np.mean([0.0, 4.0]))
    assert means["right"] == pytest.approx(np.mean([3.0, 7.0]))
    assert means["top"] == pytest.approx(np.mean([0.0, 1.0, 2.0, 3.0]))
    assert means["bottom"] == pytest.approx(np.mean([4.0, 5.0, 6.0, 7.0]))


def test_border_means_outside_adds_the_neighbouring_background_pixel():
    image = np.zeros((4, 5))
    image[1:3, 2] = 1.0  # a vertical bar, column 2, rows 1-2
    response = np.arange(20.0).reshape(4, 5)  # value = 5 * row + col
    plain = interp.border_means(response, image)
    wide = interp.border_means(response, image, outside=True)
    assert plain["left"] == pytest.approx(np.mean([7.0, 12.0]))
    assert wide["left"] == pytest.approx(np.mean([6.0, 7.0, 11.0, 12.0]))  # + column 1
    assert wide["right"] == pytest.approx(np.mean([7.0, 8.0, 12.0, 13.0]))  # + column 3
    assert wide["top"] == pytest.approx(np.mean([2.0, 7.0]))  # + row 0
    assert wide["bottom"] == pytest.approx(np.mean([12.0, 17.0]))  # + row 3
    assert wide["background"] == plain["background"]
    assert np.isnan(wide["inside"])
    # a threshold above the bar's brightness leaves no object
    with pytest.raises(ValueError, match="border_means: no pixel is brighter than threshold=1"):
        interp.border_means(response, image, threshold=1.0)


def test_mass_on_object_by_hand():
    image = np.zeros((3, 3))
    image[0, :] = 0.5
    image[1, :] = 0.1
    attribution = np.array([[1.0, -1.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, -4.0]])
    assert interp.mass_on_object(attribution, image) == pytest.approx(2 / 8)  # row 0 only
    # a lower threshold puts row 1 on the object too
    assert interp.mass_on_object(attribution, image, threshold=0.05) == pytest.approx(4 / 8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 0/0 warning: the empty map is handled
        assert np.isnan(interp.mass_on_object(np.zeros((3, 3)), image))  # no mass at all


def test_outline_response_words_and_numbers():
    image = np.zeros((6, 6))
    image[1:5, 1:5] = 1.0
    response = np.zeros((6, 6))
    left = interp.border_masks(image, outside=True)["left"]
    right = interp.border_masks(image, outside=True)["right"]
    response[left] = 2.0
    response[right] = -1.0
    response[0, 5] = 4.0  # the map's largest |value|: scale 4, limit 0.4 at share 0.1
    response[0, 2] = 3.0  # just above the top side
    result = interp.outline_response(response, image)
    assert result.scale == 4.0 and result.limit == pytest.approx(0.4)
    assert result.means["left"] == 2.0 and result.means["right"] == -1.0
    # the top side: row 1 and row 0 above it, columns 1-4; its corners belong to the left
    # (2.0) and right (-1.0) sides too
    assert result.means["top"] == pytest.approx((2.0 - 1.0 + 3.0) / 8)
    assert result.means["bottom"] == pytest.approx((2.0 - 1.0) / 8)
    assert str(result) == ("emphasized left +2.00, top +0.50; suppressed right -1.00; "
                           "neither bottom +0.12")
    assert result.verdicts == {"left": "emphasized", "right": "suppressed", "top": "emphasized",
                               "bottom": "neither", "inside": "neither"}
    assert result.contrast("left", "right") == pytest.approx(min(2.0, 1.0) / 4)
    assert result.contrast("right", "left") == pytest.approx(-min(2.0, 1.0) / 4)
    assert result.contrast("left", "inside") == 0.0


def test_outline_response_messages_name_the_argument_and_the_parts():
    image = np.zeros((6, 6))
    image[1:5, 1:5] = 1.0
    result = interp.outline_response(np.ones((6, 6)), image)
    with pytest.raises(ValueError, match=r"^OutlineResponse\.contrast: first must be one of "
                                         r"'left', 'right', 'top', 'bottom', 'inside', got 'middle'"):
        result.contrast("middle", "left")
    with pytest.raises(ValueError, match=r"^OutlineResponse\.sides: verdict must be 'emphasized', "
                                         r"'suppressed' or 'neither', got 'strong'"):
        result.sides("strong")


def test_a_side_exactly_at_minus_the_limit_is_suppressed_and_an_empty_inside_is_nan():
    image = np.zeros((5, 6))
    image[1:4, 2:4] = 1.0  # two columns wide: every object pixel is on a border
    wide = interp.border_masks(image, outside=True)
    response = np.zeros((5, 6))
    response[4, 0] = 10.0  # scale 10, limit 1
    response[wide["right"]] = -1.0  # exactly -limit
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the empty inside gives NaN without a mean-of-empty warning
        result = interp.outline_response(response, image)
    assert result.means["right"] == -1.0
    assert result.verdicts["right"] == "suppressed"
    assert np.isnan(result.means["inside"]) and result.verdicts["inside"] == "neither"
