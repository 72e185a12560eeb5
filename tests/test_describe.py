"""describe_kernel names textbook filters, their rotations and negations, refuses to name
noise, and judges each similarity against kernels drawn from the layer's initializer."""

import itertools

import keras
import numpy as np
import pytest

import interp
from interp.describe import BLUR, NO_MATCH, PERCENTILE

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
    assert unnamed.percentile < PERCENTILE and "no close match" in str(unnamed)
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


# ---- the null: random kernels from the layer's initializer -----------------------------------

def test_textbook_filters_stand_above_almost_every_random_kernel():
    for kernel in (SOBEL_X, PREWITT_X, np.rot90(SOBEL_X), SOBEL_DIAG):
        result = interp.describe_kernel(kernel)
        assert result.percentile > 0.99
        assert result.matched
        assert "more than 99" in result.standing or "99." in result.standing


def test_the_percentile_counts_the_null_by_hand():
    result = interp.describe_kernel(SOBEL_X)
    null = result.null
    assert len(null) == 10_000 and np.all(np.diff(null) >= 0)
    expected = (np.sum(null < result.similarity) + np.sum(null <= result.similarity)) / 20_000
    assert result.percentile == pytest.approx(expected)


def test_the_null_is_each_random_kernels_own_best_match():
    # Rebuild the null independently: numpy's uniform draws for the seed (the cosine
    # similarity ignores Glorot's scale), then a loop over the bank.
    n = 300
    drawn = np.random.default_rng(5).uniform(-1.0, 1.0, (3, 3, 1, n))[:, :, 0, :]
    bank = interp.describe.filter_bank()
    best = []
    for j in range(n):
        z = drawn[:, :, j] - drawn[:, :, j].mean()
        best.append(max(float(np.sum(z * f)) / np.linalg.norm(z) for f in bank.values()))
    result = interp.describe_kernel(SOBEL_X, n_random=n, seed=5)
    assert np.allclose(result.null, np.sort(best), atol=1e-6)


def test_random_kernels_from_the_same_initializer_land_mid_null():
    drawn = keras.ops.convert_to_numpy(
        keras.initializers.GlorotUniform(seed=123)(shape=(3, 3, 1, 400)))[:, :, 0, :]
    percentiles = np.array(
        [interp.describe_kernel(drawn[:, :, j]).percentile for j in range(drawn.shape[2])])
    assert percentiles.mean() == pytest.approx(0.5, abs=0.05)
    named = np.mean(percentiles >= PERCENTILE)
    assert named == pytest.approx(1 - PERCENTILE, abs=0.03)


def test_the_null_is_seeded_and_follows_the_initializer():
    first = interp.describe_kernel(SOBEL_X, seed=1)
    again = interp.describe_kernel(SOBEL_X, seed=1)
    other = interp.describe_kernel(SOBEL_X, seed=2)
    assert np.array_equal(first.null, again.null)
    assert not np.array_equal(first.null, other.null)
    normal = interp.describe_kernel(SOBEL_X, initializer="he_normal")
    assert normal.initializer == "HeNormal"
    assert not np.array_equal(normal.null, first.null)
    layer = keras.layers.Conv2D(4, 3)
    from_layer = interp.describe_kernel(SOBEL_X, initializer=layer.kernel_initializer)
    assert from_layer.initializer == "GlorotUniform"
    assert np.array_equal(from_layer.null, interp.describe_kernel(SOBEL_X).null)


def test_the_null_ignores_the_initializers_scale():
    small = interp.describe_kernel(SOBEL_X, initializer=keras.initializers.RandomUniform(-0.01, 0.01))
    large = interp.describe_kernel(SOBEL_X, initializer=keras.initializers.RandomUniform(-5.0, 5.0))
    assert np.allclose(small.null, large.null)


def test_a_trained_kernel_is_judged_by_its_percentile_not_its_similarity(trained):
    layer = interp.pick_layer(trained, "conv1")
    for k in range(layer.filters):
        result = interp.describe_kernel(interp.kernel(layer, k),
                                        initializer=layer.kernel_initializer)
        assert result.matched == (result.percentile >= PERCENTILE or result.name == BLUR)
        assert 0.0 <= result.percentile <= 1.0


# ---- brightness ---------------------------------------------------------------------------

def test_contrast_max_is_the_largest_response_to_any_image_in_0_1():
    rng = np.random.default_rng(3)
    for kernel in (SOBEL_X, SOBEL_DIAG + 0.7, rng.normal(size=(3, 3))):
        zero_mean = kernel - kernel.mean()
        # linear in the image, so the maximum over [0, 1]^9 sits on a corner: try all 512
        best = max(float(np.sum(zero_mean * np.reshape(bits, (3, 3))))
                   for bits in itertools.product((0.0, 1.0), repeat=9))
        result = interp.describe_kernel(kernel)
        assert result.contrast_max == pytest.approx(best)
        assert result.weight_sum == pytest.approx(kernel.sum())


def test_brightness_detectors():
    assert interp.describe_kernel(np.ones((3, 3))).responds_to_brightness
    gaussian = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], float) / 16
    assert interp.describe_kernel(gaussian).responds_to_brightness
    assert interp.describe_kernel(-gaussian).responds_to_brightness  # a darkness detector
    assert not interp.describe_kernel(SOBEL_X).responds_to_brightness
    # Sobel's positive weights sum to 4; an offset of c adds 9c to the sum and keeps z
    assert interp.describe_kernel(SOBEL_X + 0.4).brightness_ratio == pytest.approx(3.6 / 4)
    assert not interp.describe_kernel(SOBEL_X + 0.4).responds_to_brightness
    assert interp.describe_kernel(SOBEL_X + 0.5).brightness_ratio == pytest.approx(4.5 / 4)
    assert interp.describe_kernel(SOBEL_X + 0.5).responds_to_brightness
    assert interp.describe_kernel(SOBEL_X + 0.5).name == RIGHT  # and still an edge


def test_null_bad_input():
    with pytest.raises(ValueError, match="describe_kernel: initializer must be a Keras initializer"):
        interp.describe_kernel(SOBEL_X, initializer="no_such_initializer")
    with pytest.raises(ValueError, match="describe_kernel: initializer Zeros draws constant kernels"):
        interp.describe_kernel(SOBEL_X, initializer="zeros")
    with pytest.raises(ValueError, match="describe_kernel: n_random must be an int >= 100, got 10"):
        interp.describe_kernel(SOBEL_X, n_random=10)
    with pytest.raises(TypeError, match="describe_kernel: seed must be an int"):
        interp.describe_kernel(SOBEL_X, seed=0.5)
    with pytest.raises(TypeError, match="describe_kernel: initializer must be a Keras initializer"):
        interp.describe_kernel(SOBEL_X, initializer=3)


def test_a_one_by_one_kernel_only_scales_brightness():
    result = interp.describe_kernel(np.array([[-2.0]]))
    assert result.name.startswith("blur") and result.responds_to_brightness
    assert result.weight_sum == -2.0 and result.scores == {}
    assert "100% of its weight is a plain average" in str(result)
