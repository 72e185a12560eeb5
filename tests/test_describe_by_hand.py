"""describe_kernel's words and its bank of filters, worked out by hand.

Written from the mutation audit of issue #9.
"""

import numpy as np
import pytest

import interp
from interp.describe import BLUR, NO_MATCH, KernelDescription, filter_bank


@pytest.mark.parametrize(("percentile", "words"), [
    (0.9995, "more than 99.9%"),
    (0.999, "99.9%"),     # not rounded up to 100%
    (0.995, "99.5%"),
    (0.99, "99%"),
    (0.5, "50%"),
    (0.01, "1%"),
    (0.005, "0.5%"),
    (0.001, "0.1%"),
    (0.0005, "less than 0.1%"),  # not rounded down to 0%
])
def test_standing_in_words(percentile, words):
    result = KernelDescription(name=NO_MATCH, score=0.5, best="", scores={}, mean_share=0.0,
                               percentile=percentile, shape=(3, 4))
    assert result.standing == f"{words} of random 3x4 kernels come less close to their own best filter"


def test_str_of_a_match_a_blur_and_no_match():
    sobel = interp.describe_kernel(np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]))
    assert str(sobel) == ("vertical edge: dark on the left, bright on the right (similarity "
                          "0.94; 99.9% of random 3x3 kernels come less close to "
                          "their own best filter)")
    blur = interp.describe_kernel(np.full((3, 3), 2.0) + np.eye(3))  # mean share 49/51
    assert blur.name == BLUR and blur.mean_share == pytest.approx(49 / 51)
    assert str(blur) == "a blur: 96% of its weight is a plain average"
    weak = KernelDescription(name=NO_MATCH, score=0.61, best="spot: bright centre on a dark "
                             "surround", scores={}, mean_share=0.0, percentile=0.42, shape=(3, 3))
    assert str(weak) == ("no close match; closest: spot: bright centre on a dark surround "
                         "(similarity 0.61; 42% of random 3x3 kernels come less close to their "
                         "own best filter; a match needs 95%)")


def test_filter_bank_values():
    bank = filter_bank()
    x = np.array([[-1.0, 0.0, 1.0]] * 3)
    np.testing.assert_allclose(bank["vertical edge: dark on the left, bright on the right"],
                               x / np.sqrt(6))
    np.testing.assert_allclose(bank["horizontal edge: bright above, dark below"], -x.T / np.sqrt(6))
    diagonal = x + x.T  # dark top-left, bright bottom-right
    np.testing.assert_allclose(bank["diagonal edge: dark top-left, bright bottom-right"],
                               diagonal / np.linalg.norm(diagonal))
    np.testing.assert_allclose(bank["diagonal edge: dark top-right, bright bottom-left"],
                               (x.T - x) / np.linalg.norm(x.T - x))
    spot = -np.full((3, 3), 1 / 9)
    spot[1, 1] += 1.0
    np.testing.assert_allclose(bank["spot: bright centre on a dark surround"],
                               spot / np.linalg.norm(spot))
    for pattern in bank.values():
        assert pattern.sum() == pytest.approx(0.0, abs=1e-12)
        assert np.linalg.norm(pattern) == pytest.approx(1.0)


def test_filter_bank_for_even_and_flat_kernels():
    even = filter_bank((4, 4))["spot: dark centre on a bright surround (Laplacian)"]
    assert set(map(tuple, np.argwhere(even < 0))) == {(1, 1), (1, 2), (2, 1), (2, 2)}
    flat = filter_bank((1, 3))  # one row: no horizontal edge, nothing to compare along y
    assert not any(name.startswith("horizontal") for name in flat)
    np.testing.assert_allclose(flat["vertical edge: bright on the left, dark on the right"],
                               [[1 / np.sqrt(2), 0.0, -1 / np.sqrt(2)]])
    np.testing.assert_allclose(flat["spot: bright centre on a dark surround"],
                               np.array([[-1.0, 2.0, -1.0]]) / np.sqrt(6))


def test_a_kernel_without_pattern_has_similarity_zero_and_a_blur_scores_its_mean_share():
    # no zero-mean part: the cosine with every filter is taken as 0, for 1 x 1 and 3 x 3
    for kernel in (np.array([[2.0]]), np.full((3, 3), 0.5)):
        result = interp.describe_kernel(kernel)
        assert result.name == BLUR and result.similarity == 0.0
        assert result.mean_share == 1.0 and result.score == 1.0
    gaussian = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], float) / 16
    result = interp.describe_kernel(gaussian)
    share = gaussian.mean() ** 2 * 9 / np.sum(gaussian**2)  # energy of the mean / energy
    assert result.name == BLUR and result.score == pytest.approx(share)
    assert result.mean_share == pytest.approx(share) and share == pytest.approx(64 / 81)
