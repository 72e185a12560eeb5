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
