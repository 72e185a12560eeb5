"""Every Keras 3 backend: the same functions on the same weights give the same numbers.

The model trained on this session's backend is saved, and tests/backend_agreement.py
computes every model-facing public function on it here and, in a subprocess, under each
other backend installed (TensorFlow always is: it is interp's default). ``nox -s
tests-jax`` thus checks JAX against TensorFlow and ``nox -s tests-torch`` PyTorch against
it.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from backend_agreement import EXACT, RTOL, compute, difference
from conftest import BACKEND

import interp
from interp import _model, models

SCRIPT = Path(__file__).with_name("backend_agreement.py")
MODULES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}


@pytest.fixture(scope="module")
def here(tmp_path_factory, trained, test_set):
    """This backend's trained model saved to disk, the images, and the results here."""
    folder = tmp_path_factory.mktemp("agreement")
    model_file, images_file = folder / "model.keras", folder / "images.npy"
    trained.save(model_file)
    np.save(images_file, test_set[0][:32])
    return model_file, images_file, compute(keras.saving.load_model(model_file), test_set[0][:32])


@pytest.mark.slow
@pytest.mark.parametrize("other", sorted(MODULES))
def test_every_function_agrees_with_the_other_backends(other, request, tmp_path):
    if other == BACKEND:
        pytest.skip("the backend of this session")
    if "tensorflow" not in (other, BACKEND):
        # tests-jax and tests-torch share an environment with both: each compares itself
        # with TensorFlow, and so, through it, with the other
        pytest.skip("JAX and PyTorch are each compared with TensorFlow")
    if importlib.util.find_spec(MODULES[other]) is None:
        pytest.skip(f"{other} is not installed here; nox -s tests-{other} covers it")
    model_file, images_file, mine = request.getfixturevalue("here")
    out = tmp_path / "theirs.npz"
    env = {**os.environ, "KERAS_BACKEND": other, "TF_CPP_MIN_LOG_LEVEL": "3"}
    subprocess.run([sys.executable, str(SCRIPT), str(model_file), str(images_file), str(out)],
                   check=True, env=env, cwd=SCRIPT.parent, timeout=900)
    theirs = dict(np.load(out))
    assert str(theirs.pop("backend")) == other
    assert sorted(theirs) == sorted(mine)
    far = {}
    for name, reference in theirs.items():
        assert mine[name].shape == reference.shape, name
        if name in EXACT:
            np.testing.assert_array_equal(mine[name], reference, err_msg=name)
            continue
        assert np.abs(reference).max() > 0, f"{name} is all zeros: a comparison of nothing"
        gap = difference(mine[name], reference)
        if gap > RTOL:
            far[name] = gap
    assert not far, f"{BACKEND} and {other} differ by more than {RTOL} of the scale: {far}"


# ---- the backend machinery in _model.py ---------------------------------------------------

def test_jax_batches_are_padded_to_powers_of_two():
    assert [_model.bucket(n) for n in (1, 2, 3, 4, 5, 255, 256, 257, 1000)] == [
        1, 2, 4, 4, 8, 256, 256, 512, 1024]


def test_a_short_last_batch_gives_the_same_maps(model_kinds):
    model = model_kinds["functional"]
    x = np.random.default_rng(0).random((11, 12, 12, 1)).astype(np.float32)
    whole = interp.saliency(model, x, target=1, batch_size=16)
    np.testing.assert_allclose(interp.saliency(model, x, target=1, batch_size=4), whole,
                               rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(interp.grad_cam(model, x, target=1, batch_size=3),
                               interp.grad_cam(model, x, target=1, batch_size=16),
                               rtol=1e-5, atol=1e-7)


def test_a_cached_function_sees_new_weights():
    """Compiled functions are cached per model; changed weights must not go stale."""
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(2, 3, activation="relu"),
                              keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")])
    x = np.random.default_rng(1).random((4, 6, 6, 1)).astype(np.float32)
    before = interp.saliency(model, x, target=0)
    guided = interp.guided_backprop(model, x, target=0)
    dense = model.layers[-1]
    kernel, bias = dense.get_weights()
    dense.set_weights([2 * kernel, bias])  # the last layer, which interp runs a copy of
    np.testing.assert_allclose(interp.saliency(model, x, target=0), 2 * before, rtol=1e-5,
                               atol=1e-7)
    np.testing.assert_allclose(interp.guided_backprop(model, x, target=0), 2 * guided,
                               rtol=1e-5, atol=1e-7)
    conv = model.layers[0]
    conv.set_weights([np.zeros_like(w) for w in conv.get_weights()])
    np.testing.assert_array_equal(interp.saliency(model, x, target=0), 0.0)
    np.testing.assert_array_equal(interp.guided_backprop(model, x, target=0), 0.0)


def test_frozen_weights_still_give_input_gradients():
    """PyTorch records no graph for frozen weights; the input's gradient must still flow."""
    def network():
        return keras.Sequential([keras.Input((6, 6, 1)),
                                 keras.layers.Conv2D(2, 3, activation="relu"),
                                 keras.layers.Flatten(), keras.layers.Dense(3)])

    keras.utils.set_random_seed(4)
    model, frozen = network(), network()
    frozen.set_weights(model.get_weights())
    frozen.trainable = False
    x = np.random.default_rng(2).random((3, 6, 6, 1)).astype(np.float32)
    for method in (interp.saliency, interp.grad_cam, interp.guided_backprop):
        expected = method(model, x, target=2)
        assert np.abs(expected).max() > 1e-4
        np.testing.assert_allclose(method(frozen, x, target=2), expected, rtol=1e-6, atol=1e-8)


def test_vjp_applies_the_transpose_of_a_strided_convolution():
    """<vjp(f, a, s), u> = <s, f(u)> for the linear f (the adjoint's definition), 'same'
    padding with stride 2 on an odd size, where a transpose is easy to get wrong."""
    rng = np.random.default_rng(5)
    kernel = keras.ops.convert_to_tensor(rng.normal(size=(3, 3, 2, 4)).astype(np.float32))

    def conv(t):
        return keras.ops.conv(t, kernel, strides=2, padding="same")

    a, u = (keras.ops.convert_to_tensor(rng.normal(size=(2, 7, 7, 2)).astype(np.float32))
            for _ in range(2))
    s = rng.normal(size=(2, 4, 4, 4)).astype(np.float32)
    back = _model.vjp(conv, a, keras.ops.convert_to_tensor(s))
    assert tuple(back.shape) == (2, 7, 7, 2)
    left = float(np.sum(keras.ops.convert_to_numpy(back) * keras.ops.convert_to_numpy(u)))
    right = float(np.sum(s * keras.ops.convert_to_numpy(conv(u))))
    assert abs(right) > 1.0
    assert left == pytest.approx(right, rel=1e-5)


def test_lrp_and_the_gradient_cams_compile_once_per_setting():
    """Calls with the same settings (and other batch sizes) reuse one compiled step; each
    new setting adds one."""
    keras.utils.set_random_seed(6)
    model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(2, 3, activation="relu"),
                              keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")])
    x = np.random.default_rng(3).random((5, 6, 6, 1)).astype(np.float32)

    def steps(kind):
        return sum(1 for key, *_ in _model.model_state(model).compiled
                   if key[0] == kind[0] and key[1] == kind[1])

    for _ in range(2):
        interp.lrp(model, x, 1)
        interp.lrp(model, x[:2], 1, batch_size=1)
        interp.grad_cam_plus_plus(model, x, 1)
        interp.layer_cam(model, x[:3], 2)
    assert steps(("function", "lrp")) == 1
    gradient_steps = steps(("gradient", "logit"))
    assert gradient_steps == 2  # Grad-CAM++'s and LayerCAM's
    interp.lrp(model, x, 1, epsilon=0.1)
    interp.grad_cam(model, x, 1)  # combined in numpy: the plain layer gradient
    assert steps(("function", "lrp")) == 2
    assert steps(("gradient", "logit")) == gradient_steps + 1


def test_a_cached_lrp_sees_new_weights():
    """Doubling the last layer's weights doubles the logits and, with epsilon 0, every
    relevance: the compiled step reads the weights, it does not keep them."""
    keras.utils.set_random_seed(7)
    model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(2, 3, activation="relu"),
                              keras.layers.BatchNormalization(), keras.layers.Flatten(),
                              keras.layers.Dense(3, activation="softmax")])
    x = np.random.default_rng(4).random((4, 6, 6, 1)).astype(np.float32)
    with pytest.raises(TypeError, match="BatchNormalization"):  # after a ReLU: not folded
        interp.lrp(model, x, 0)
    model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(2, 3),
                              keras.layers.BatchNormalization(), keras.layers.ReLU(),
                              keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")])
    norm = model.layers[1]
    norm.set_weights([w + 0.5 for w in norm.get_weights()])
    before = interp.lrp(model, x, 0, epsilon=0.0)
    assert np.abs(before).max() > 1e-4
    dense = model.layers[-1]
    dense.set_weights([2 * w for w in dense.get_weights()])
    np.testing.assert_allclose(interp.lrp(model, x, 0, epsilon=0.0), 2 * before, rtol=1e-5,
                               atol=1e-7)
    norm.set_weights([w * 0 + 1 for w in norm.get_weights()])  # gamma, beta, mean, variance
    changed = interp.lrp(model, x, 0, epsilon=0.0)
    assert np.abs(changed - 2 * before).max() > 1e-3


@pytest.mark.parametrize("name", ["glorot_uniform", "glorot_normal", "he_normal", "he_uniform",
                                  "lecun_normal", "lecun_uniform", "orthogonal",
                                  "random_normal", "random_uniform", "truncated_normal"])
def test_initial_draws_follow_the_keras_distribution(name):
    """Numpy's draws for the standard initializers have Keras's spread, on every backend."""
    shape = (5, 5, 8, 64)
    ours = _model.draw_initial(name, shape, seed=7)
    again = _model.draw_initial(name, shape, seed=7)
    np.testing.assert_array_equal(ours, again)
    init = keras.initializers.get(name)
    init = type(init).from_config({**init.get_config(), "seed": 3})
    keras_draws = keras.ops.convert_to_numpy(init(shape))
    assert ours.shape == shape
    assert ours.std() == pytest.approx(float(keras_draws.std()), rel=0.05)
    assert np.abs(ours).max() <= np.abs(keras_draws).max() * 1.3 + 1e-6
    assert abs(ours.mean()) < 0.1 * ours.std() + 1e-6 or name == "random_uniform"


def test_truncated_draws_stay_within_two_standard_deviations():
    draws = _model.draw_initial(keras.initializers.TruncatedNormal(0.5, 2.0), (10_000,), 1)
    assert draws.min() >= 0.5 - 4.0 and draws.max() <= 0.5 + 4.0
    assert draws.max() > 0.5 + 3.5  # the tails are there, cut at two sigma


def test_orthogonal_draws_are_orthogonal():
    q = _model.draw_initial(keras.initializers.Orthogonal(gain=2.0), (3, 3, 4, 8), 5)
    flat = q.reshape(-1, 8)
    np.testing.assert_allclose(flat.T @ flat, 4.0 * np.eye(8), atol=1e-9)


def test_constant_initializers_are_called_as_they_are():
    np.testing.assert_array_equal(_model.draw_initial("ones", (3, 2), 0), np.ones((3, 2)))
    np.testing.assert_array_equal(
        _model.draw_initial(keras.initializers.Constant(0.25), (4,), 0), np.full(4, 0.25))


def test_randomized_copies_are_the_same_on_every_backend():
    """The randomization checks re-draw weights with numpy: a hand-made oracle."""
    keras.utils.set_random_seed(6)
    model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(2, 3),
                              keras.layers.Flatten(), keras.layers.Dense(3)])
    _model.reinitialize(model.layers[0], (4, 0))
    kernel, bias = model.layers[0].get_weights()
    limit = np.sqrt(6.0 / (9 * 1 + 9 * 2))  # Glorot uniform for a 3x3x1x2 kernel
    expected = np.random.default_rng(_model._seed(4, 0, 0)).uniform(-limit, limit, (3, 3, 1, 2))
    np.testing.assert_allclose(kernel, expected, rtol=1e-6)
    np.testing.assert_array_equal(bias, 0.0)


def test_the_cache_key_names_the_backend():
    key = models.cache_key(interp.build_model(), epochs=3, seed=0)
    assert len(key) == 64
    parts = models.recipe()
    assert parts["steps_per_execution"] == (1 if BACKEND == "torch" else 20)
    assert _model.backend_version() == importlib.import_module(MODULES[BACKEND]).__version__


def test_the_cache_key_differs_between_backends(monkeypatch):
    model = interp.build_model()
    keys = {}
    for name in ("tensorflow", "jax", "torch"):
        monkeypatch.setattr(keras.backend, "backend", lambda name=name: name)
        monkeypatch.setattr(models, "backend_version", lambda name=name: f"{name}-1.0")
        keys[name] = models.cache_key(model, epochs=3, seed=0)
    assert len(set(keys.values())) == 3


def test_sync_weights_does_nothing_outside_jax_training():
    model = interp.build_model()
    before = [w.copy() for w in model.get_weights()]
    _model.sync_weights(model)
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
