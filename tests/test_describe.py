"""describe_kernel names textbook filters, their rotations and negations, and refuses
to name noise."""

import numpy as np
import pytest

import interp
from interp.describe import BLUR, NO_MATCH, THRESHOLD

SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], float)
PREWITT_X = np.array([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]], float)
SOBEL_DIAG = np.array([[0, 1, 2], [-1, 0, 1], [-2, -1, 0]], float)  # bright top-right

RIGHT = "vertical edge: dark on the left, bright on the right"
LEFT = "vertical edge: bright on the left, dark on the right"
BELOW = "horizontal edge: dark above, bright below"
ABOVE = "horizontal edge: bright above, dark below"


@pytest.mark.parametrize("base", [SOBEL_X, PREWITT_X])
def test_edges_their_rotations_and_negations(base):
    # np.rot90 turns counter-clockwise: "bright right" becomes "bright above", and so on
    expected = [RIGHT, ABOVE, LEFT, BELOW]
    for turns, name in enumerate(expected):
        kernel = np.rot90(base, turns)
        assert interp.describe_kernel(kernel).name == name
        negated = {RIGHT: LEFT, LEFT: RIGHT, ABOVE: BELOW, BELOW: ABOVE}[name]
        assert interp.describe_kernel(-kernel).name == negated
    assert interp.describe_kernel(PREWITT_X).score == pytest.approx(1.0)
    assert interp.describe_kernel(SOBEL_X).score == pytest.approx(8 / np.sqrt(72))


def test_diagonals():
    names = [interp.describe_kernel(np.rot90(SOBEL_DIAG, t)).name for t in range(4)]
    assert names == [
        "diagonal edge: bright top-right, dark bottom-left",
        "diagonal edge: bright top-left, dark bottom-right",
        "diagonal edge: dark top-right, bright bottom-left",
        "diagonal edge: dark top-left, bright bottom-right",
    ]


def test_laplacian_and_blurs():
    laplacian = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], float)
    assert interp.describe_kernel(laplacian).name == "spot: dark centre on a bright surround (Laplacian)"
    assert interp.describe_kernel(-laplacian).name == "spot: bright centre on a dark surround"
    assert interp.describe_kernel(np.ones((3, 3))).name == BLUR
    gaussian = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], float) / 16
    assert interp.describe_kernel(gaussian).name == BLUR
    assert "blur" in str(interp.describe_kernel(gaussian))


def test_scale_and_a_constant_offset_do_not_change_an_edge():
    shifted = 3.0 * SOBEL_X + 0.5  # a small mean on top of a strong edge
    assert interp.describe_kernel(shifted).name == RIGHT


def test_random_noise_has_no_close_match():
    rng = np.random.default_rng(0)
    results = [interp.describe_kernel(rng.standard_normal((3, 3))) for _ in range(500)]
    share = np.mean([r.name == NO_MATCH for r in results])
    assert share >= 0.9, f"only {share:.0%} of noise kernels were left unnamed"
    unnamed = next(r for r in results if r.name == NO_MATCH)
    assert unnamed.score < THRESHOLD and "no close match" in str(unnamed)
    assert unnamed.best in unnamed.scores


def test_other_sizes():
    wide = np.tile([-1.0, -0.5, 0.5, 1.0], (5, 1))  # 5 x 4, non-square and even
    assert interp.describe_kernel(wide).name == RIGHT
    assert interp.describe_kernel(wide[..., np.newaxis]).name == RIGHT


def test_bad_input():
    with pytest.raises(ValueError, match="describe_kernel: kernel must be 2-D"):
        interp.describe_kernel(np.ones((3, 3, 2)))
    with pytest.raises(ValueError, match="must not be all zeros"):
        interp.describe_kernel(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="kernel must be finite"):
        interp.describe_kernel(np.full((3, 3), np.nan))
