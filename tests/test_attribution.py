"""Attribution methods against expectations computed by hand or by finite differences,
on every model kind, independent of batch size, with clear errors for bad input."""

import keras
import numpy as np
import pytest

import interp

METHODS = {
    "saliency": lambda m, x, **k: interp.saliency(m, x, **k),
    "smoothgrad": lambda m, x, **k: interp.smoothgrad(m, x, samples=6, **k),
    "integrated_gradients": lambda m, x, **k: interp.integrated_gradients(m, x, steps=16, **k)[0],
    "grad_cam": lambda m, x, **k: interp.grad_cam(m, x, **k),
    "occlusion": lambda m, x, **k: interp.occlusion(m, x, patch=3, stride=3, **k),
    # issue #20's methods
    "grad_cam_plus_plus": lambda m, x, **k: interp.grad_cam_plus_plus(m, x, **k),
    "layer_cam": lambda m, x, **k: interp.layer_cam(m, x, layer="c1", **k),
    "score_cam": lambda m, x, **k: interp.score_cam(m, x, **k),
    "rise": lambda m, x, **k: interp.rise(m, x, n_masks=20, cell=4, **k),
    "kernel_shap": lambda m, x, **k: interp.kernel_shap(m, x, grid=2, **k),
}  # lrp refuses the tanh of these models: tests/test_attribution_catalogue.py has its own


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(1).random((5, 12, 12, 1)).astype(np.float32)


# ---- independent expectations ---------------------------------------------------------

def tiny_model():
    """4x4 input -> 1x1 conv (weight 2, bias 0, linear) -> flatten -> dense(2), hand-set."""
    inputs = keras.Input((4, 4, 1))
    conv = keras.layers.Conv2D(1, 1, activation=None, name="conv")
    dense = keras.layers.Dense(2, activation="softmax", name="dense")
    model = keras.Model(inputs, dense(keras.layers.Flatten()(conv(inputs))))
    conv.set_weights([np.full((1, 1, 1, 1), 2.0), np.zeros(1)])
    v = np.linspace(-1.0, 1.5, 16).reshape(16, 1)
    dense.set_weights([np.hstack([v, -v]), np.array([0.3, -0.3])])
    return model, v[:, 0]


def test_grad_cam_by_hand():
    model, v = tiny_model()
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1) / 16
    # logit_0 = sum_i v_i * A_i + 0.3 with A = 2x; dlogit/dA = v; Grad-CAM weight = mean(v)
    activations = 2 * x[0, :, :, 0]
    expected = np.maximum(v.mean() * activations, 0)
    np.testing.assert_allclose(interp.grad_cam(model, x, target=0)[0], expected, atol=1e-6)
    # for class 1 the weight is -mean(v) < 0 here, so the ReLU leaves nothing
    assert v.mean() > 0
    np.testing.assert_allclose(interp.grad_cam(model, x, target=1)[0], 0.0, atol=1e-7)


def test_saliency_is_the_logit_gradient_by_hand():
    model, v = tiny_model()
    x = np.random.default_rng(0).random((2, 4, 4, 1)).astype(np.float32)
    # d logit_0 / dx = 2 v (the softmax is skipped), whatever x is
    expected = (2 * v).reshape(4, 4)
    got = interp.saliency(model, x, target=0)
    np.testing.assert_allclose(got, np.stack([expected, expected]), atol=1e-6)
    assert model.layers[-1].activation is keras.activations.softmax  # restored afterwards


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def test_occlusion_by_hand():
    model, v = tiny_model()
    x = np.random.default_rng(2).random((1, 4, 4, 1)).astype(np.float32)
    w = np.stack([v, -v], axis=1)
    b = np.array([0.3, -0.3])

    def prob0(image):
        return softmax((2 * image.reshape(16)) @ w + b)[0]

    base = prob0(x[0, :, :, 0])
    total, count = np.zeros((4, 4)), np.zeros((4, 4))
    for r in range(0, 3, 1):
        for c in range(0, 3, 1):
            covered = x[0, :, :, 0].copy()
            covered[r:r + 2, c:c + 2] = 0.5
            total[r:r + 2, c:c + 2] += base - prob0(covered)
            count[r:r + 2, c:c + 2] += 1
    got = interp.occlusion(model, x, target=0, patch=2, stride=1, fill=0.5)[0]
    np.testing.assert_allclose(got, total / count, atol=1e-6)


def test_saliency_equals_finite_differences():
    """A smooth float64 network (tanh), every pixel: no ReLU kink to cross."""
    keras.utils.set_random_seed(3)

    def network(last_activation):
        return keras.Sequential([
            keras.Input((6, 6, 1), dtype="float64"),
            keras.layers.Conv2D(3, 3, activation="tanh", dtype="float64"),
            keras.layers.Flatten(dtype="float64"),
            keras.layers.Dense(4, activation=last_activation, dtype="float64"),
        ])

    model = network("softmax")
    logits = network(None)  # the oracle: the same weights without the softmax
    logits.set_weights(model.get_weights())
    image = np.random.default_rng(0).random((1, 6, 6, 1)).astype(np.float32).astype(np.float64)
    target = 2
    grad = interp.saliency(model, image, target=target)[0]

    def logit(img):
        return float(keras.ops.convert_to_numpy(logits(img))[0, target])

    # float64 where the backend computes in it (JAX without x64 mode and PyTorch's float64
    # layers compute in float32, where a step of 1e-5 drowns in rounding: a larger step
    # and tolerance there)
    exact = logit(image + 1e-10) != logit(image)
    eps, atol = (1e-5, 1e-6) if exact else (1e-3, 3e-4)
    estimate = np.zeros((6, 6))
    for r in range(6):
        for c in range(6):
            plus, minus = image.copy(), image.copy()
            plus[0, r, c, 0] += eps
            minus[0, r, c, 0] -= eps
            estimate[r, c] = (logit(plus) - logit(minus)) / (2 * eps)
    np.testing.assert_allclose(grad, estimate, rtol=1e-4, atol=atol)
    assert np.abs(estimate).max() > 0.01  # not a comparison of zeros


def test_integrated_gradients_completeness(trained, test_set):
    x_test, _ = test_set
    images = x_test[:6]
    results = {steps: interp.integrated_gradients(trained, images, steps=steps)
               for steps in (8, 32, 200)}
    gaps = {steps: result[1] for steps, result in results.items()}
    change = np.abs(results[200][0].sum(axis=(1, 2)))  # |F(x) - F(baseline)|, up to the gap
    assert np.all(change > 1.0)  # the logits move by whole units: the gap is a real test
    # stated tolerance: at 200 steps the gap is below 1% of the logit change
    assert np.all(gaps[200] < 0.01 * change), (gaps[200], change)
    assert np.median(gaps[200]) < np.median(gaps[32]) < np.median(gaps[8])


# ---- every model kind, every batch size --------------------------------------------

@pytest.mark.parametrize("method", METHODS)
def test_same_result_on_every_model_kind(method, model_kinds, images):
    reference = METHODS[method](model_kinds["sequential-input"], images, target=1)
    for kind, model in model_kinds.items():
        got = METHODS[method](model, images, target=1)
        np.testing.assert_allclose(got, reference, atol=1e-5, err_msg=kind)


@pytest.mark.parametrize("method", METHODS)
def test_batch_size_invariance(method, model_kinds, images):
    model = model_kinds["functional"]
    whole = METHODS[method](model, images, batch_size=1024)
    small = METHODS[method](model, images, batch_size=2)
    np.testing.assert_allclose(small, whole, atol=1e-5)


def test_default_target_is_the_prediction(model_kinds, images):
    model = model_kinds["functional"]
    predicted = keras.ops.convert_to_numpy(model(images)).argmax(axis=1)
    np.testing.assert_allclose(interp.saliency(model, images),
                               interp.saliency(model, images, target=predicted), atol=1e-7)


# ---- bad input ----------------------------------------------------------------------

@pytest.mark.parametrize(("call", "error", "words"), [
    (lambda m, x: interp.saliency(m, x[..., 0]), ValueError, "saliency: images must be a batch"),
    (lambda m, x: interp.saliency(m, np.zeros((1, 9, 9, 1))), ValueError, "saliency: images must be a batch shaped (n, 12, 12, 1)"),
    (lambda m, x: interp.saliency(m, x, target=4), ValueError, "target must be a class index in 0..3"),
    (lambda m, x: interp.saliency(m, x, target=[0, 1]), ValueError, "one class per image (5)"),
    (lambda m, x: interp.saliency(m, x, target=1.5), TypeError, "target must be None, an int"),
    (lambda m, x: interp.grad_cam(m, x, layer="out"), TypeError, "grad_cam: layer must be a 2-D convolution layer"),
    (lambda m, x: interp.integrated_gradients(m, x, steps=0), ValueError, "steps must be an int >= 1"),
    (lambda m, x: interp.integrated_gradients(m, x, baseline=np.zeros(3)), ValueError, "baseline must be"),
    (lambda m, x: interp.smoothgrad(m, x, samples=0), ValueError, "samples must be an int >= 1"),
    (lambda m, x: interp.smoothgrad(m, x, noise=-1.0), ValueError, "smoothgrad: noise must be a finite number >= 0"),
    (lambda m, x: interp.occlusion(m, x, patch=13), ValueError, "patch must be at most the image size 12"),
    (lambda m, x: interp.occlusion(m, x, stride=0), ValueError, "stride must be an int >= 1"),
])
def test_bad_input(model_kinds, images, call, error, words):
    with pytest.raises(error) as info:
        call(model_kinds["sequential-built"], images)
    assert words in str(info.value)


# ---- sanity check, feature visualization, plots ---------------------------------------

def test_rank_correlation_against_scipy():
    from scipy.stats import spearmanr

    rng = np.random.default_rng(0)
    a, b = rng.random((6, 50)), rng.random((6, 50))
    b[0] = a[0] * 3 + 1  # perfectly monotone
    a[2, :40] = 0.0  # a sparse map: many tied zeros, as Grad-CAM gives
    b[3] = np.round(b[3] * 4)  # few distinct values: ties everywhere
    a[4], b[4] = np.eye(2, 50)  # two disjoint one-hot maps
    got = interp.rank_correlation(a, b)
    expected = [spearmanr(a[i], b[i]).statistic for i in range(6)]
    np.testing.assert_allclose(got, expected, atol=1e-12)
    assert got[0] == pytest.approx(1.0)
    assert got[4] < 0  # disjoint maps do not agree (pixel-order ranks gave 0.95)


def test_rank_correlation_of_a_constant_map_is_undefined():
    rng = np.random.default_rng(1)
    maps = rng.random((3, 16))
    maps[1] = 0.0
    got = interp.rank_correlation(maps, rng.random((3, 16)))
    assert np.isnan(got[1]) and np.isfinite(got[[0, 2]]).all()


def test_model_randomization(model_kinds, images):
    model = model_kinds["functional"]
    check = interp.model_randomization(model, images, target=1, seed=3)
    assert check.trained.shape == check.randomized.shape == (5, 12, 12)
    np.testing.assert_allclose(check.trained, interp.saliency(model, images, target=1), atol=1e-7)
    assert not np.allclose(check.trained, check.randomized)
    again = interp.model_randomization(model, images, target=1, seed=3)
    np.testing.assert_array_equal(again.randomized, check.randomized)  # seeded
    # (check.similarity against scipy's Spearman: test_any_model.py)
    # the trained model is untouched
    np.testing.assert_allclose(interp.saliency(model, images, target=1), check.trained, atol=1e-7)
    with pytest.raises(TypeError, match="model_randomization: method must be callable"):
        interp.model_randomization(model, images, method="saliency")


def test_maximize_activation_increases_activation_and_is_seeded(model_kinds):
    model = model_kinds["nested"]
    c1, c2 = interp.conv_layers(model)
    start = np.full((1, 12, 12, 1), 0.5, np.float32)

    def mean_activation(x, k):  # the objective, computed independently with layer_response
        return float(interp.layer_response(c2, interp.layer_response(c1, x))[..., k].mean())

    result = interp.maximize_activation(model, "c2", [0, 2], steps=40, seed=1)
    assert result.shape == (2, 12, 12, 1) and result.min() >= 0 and result.max() <= 1
    noise = np.random.default_rng(9).random((50, 12, 12, 1)).astype(np.float32)
    for i, k in enumerate([0, 2]):
        got = mean_activation(result[i:i + 1], k)
        assert got > mean_activation(start, k)
        # better than every one of 50 random images
        assert got > max(mean_activation(noise[j:j + 1], k) for j in range(50))
    again = interp.maximize_activation(model, "c2", [0, 2], steps=40, seed=1)
    np.testing.assert_array_equal(again, result)
    single = interp.maximize_activation(model, "c2", 2, steps=40, seed=1)
    assert single.shape == (12, 12, 1)


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"layer": "out", "kernel": 0}, TypeError, "maximize_activation: layer must be a convolution"),
    ({"layer": "c1", "kernel": 2}, IndexError, "kernel=2 is out of range for 2 kernels"),
    ({"layer": "c1", "kernel": 0, "steps": 0}, ValueError, "steps must be an int >= 1"),
    ({"layer": "c1", "kernel": 0, "decay": 1.0}, ValueError, "decay must be a number in [0, 1)"),
    ({"layer": "c1", "kernel": 0, "learning_rate": -1.0}, ValueError, "learning_rate must be a finite number > 0"),
])
def test_maximize_activation_bad_input(model_kinds, kwargs, error, words):
    with pytest.raises(error) as info:
        interp.maximize_activation(model_kinds["functional"], **kwargs)
    assert words in str(info.value)


def test_plot_attributions_and_mass_on_object():
    image = np.zeros((8, 8))
    image[2:6, 2:6] = 1.0
    signed = np.random.default_rng(0).normal(size=(8, 8))
    positive = np.abs(signed)
    fig = interp.plot_attributions(image, {"signed": signed, "positive": positive},
                                   signed={"positive": False})
    panels = [ax for ax in fig.axes if ax.images]
    assert len(panels) == 3
    assert panels[1].images[0].get_cmap().name == "RdBu_r"
    assert panels[2].images[0].get_cmap().name == "Reds"
    on = np.zeros((8, 8))
    on[3, 3] = 2.0
    on[0, 0] = 2.0
    assert interp.mass_on_object(on, image) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="plot_attributions: maps\\['x'\\] must have the image's shape"):
        interp.plot_attributions(image, {"x": np.ones((4, 4))})
    with pytest.raises(TypeError, match="maps must be a non-empty dict"):
        interp.plot_attributions(image, {})
    with pytest.raises(ValueError, match="mass_on_object: attribution must have the image's shape"):
        interp.mass_on_object(np.ones((4, 4)), image)
