"""model_randomization's contract with the method it checks: which models, targets, options
and output the method is called with, what the randomized copy holds, and how the two maps
are compared -- observed through a recording method and layers with known initializers.

Written from the mutation audit of issue #9.
"""

import keras
import numpy as np
import pytest
from conftest import input_gradient
from scipy.stats import spearmanr

import interp

L = keras.layers


class Recorder:
    """A method that records its calls and returns chosen maps."""

    def __init__(self, maps):
        self.maps = list(maps)
        self.calls = []

    def __call__(self, model, images, target=None, **options):
        self.calls.append({"model": model, "weights": [w.copy() for w in model.get_weights()],
                           "images": images, "target": np.asarray(target), "options": options})
        return self.maps[len(self.calls) - 1]


def _two_headed(seed=0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((6, 6, 1))
    features = L.Flatten()(L.Conv2D(2, 3, activation="tanh", name="conv",
                                    kernel_initializer=keras.initializers.Constant(0.25),
                                    bias_initializer=keras.initializers.Constant(-0.5))(inputs))
    model = keras.Model(inputs, [L.Dense(3, name="a")(features), L.Dense(4, name="b")(features)])
    return model


def test_the_method_gets_both_models_the_trained_targets_and_the_options():
    model = _two_headed()
    # give the conv layer trained-looking weights, unlike its constant initializers
    conv = model.get_layer("conv")
    conv.set_weights([np.random.default_rng(0).normal(size=(3, 3, 1, 2)), np.array([0.3, 0.1])])
    x = np.random.default_rng(1).normal(size=(5, 6, 6, 1)).astype(np.float32)
    predicted = keras.ops.convert_to_numpy(model(x)[1]).argmax(axis=1)  # head "b"
    rng = np.random.default_rng(2)
    trained, randomized = rng.normal(size=(5, 6, 6)), rng.normal(size=(5, 6, 6))
    method = Recorder([trained, randomized])

    check = interp.model_randomization(model, x, method=method, output="b", seed=4, samples=7)

    first, second = method.calls
    assert first["model"] is model and second["model"] is not model
    np.testing.assert_array_equal(first["target"], predicted)
    np.testing.assert_array_equal(second["target"], predicted)  # the trained model's classes
    assert first["options"] == second["options"] == {"samples": 7, "output": "b"}
    np.testing.assert_array_equal(first["images"], x)
    # the copy holds fresh draws from each layer's own initializer
    copy_conv = second["model"].get_layer("conv")
    kernel, bias = copy_conv.get_weights()
    np.testing.assert_array_equal(kernel, 0.25)
    np.testing.assert_array_equal(bias, -0.5)
    dense_kernel = second["model"].get_layer("b").get_weights()[0]
    assert not np.allclose(dense_kernel, model.get_layer("b").get_weights()[0])
    # ... and the user's model keeps its weights
    np.testing.assert_array_equal(conv.get_weights()[1], np.float32([0.3, 0.1]))
    # the result: both maps as returned, compared by Spearman, signed and absolute
    np.testing.assert_array_equal(check.trained, trained)
    np.testing.assert_array_equal(check.randomized, randomized)
    signed = [spearmanr(a.ravel(), b.ravel()).statistic
              for a, b in zip(trained, randomized, strict=True)]
    absolute = [spearmanr(np.abs(a).ravel(), np.abs(b).ravel()).statistic
                for a, b in zip(trained, randomized, strict=True)]
    np.testing.assert_allclose(check.similarity, signed, atol=1e-12)
    np.testing.assert_allclose(check.similarity_abs, absolute, atol=1e-12)


def test_without_output_the_method_gets_no_output_option_and_an_explicit_target_is_kept():
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((6, 6, 1)), L.Conv2D(2, 3), L.Flatten(), L.Dense(3)])
    x = np.random.default_rng(1).random((4, 6, 6, 1)).astype(np.float32)
    maps = np.random.default_rng(5).random((4, 6, 6))
    method = Recorder([maps, -maps])  # sign flipped: the absolute values agree exactly
    check = interp.model_randomization(model, x, [2, 0, 1, 2], method=method)
    assert all(call["options"] == {} for call in method.calls)
    for call in method.calls:
        np.testing.assert_array_equal(call["target"], [2, 0, 1, 2])
    np.testing.assert_allclose(check.similarity, -1.0)  # signed: opposite rankings
    np.testing.assert_allclose(check.similarity_abs, 1.0)


def test_the_default_method_is_saliency_on_both_models():
    keras.utils.set_random_seed(6)
    model = keras.Sequential([keras.Input((5, 5, 1)), L.Conv2D(2, 3, activation="tanh"),
                              L.Flatten(), L.Dense(3, activation="softmax")])
    x = np.random.default_rng(1).random((3, 5, 5, 1)).astype(np.float32)
    check = interp.model_randomization(model, x, target=1, seed=2)
    logits = keras.Sequential([keras.Input((5, 5, 1)), L.Conv2D(2, 3, activation="tanh"),
                               L.Flatten(), L.Dense(3)])
    logits.set_weights(model.get_weights())
    expected = input_gradient(lambda xt: logits(xt)[:, 1], x)[..., 0]
    np.testing.assert_allclose(check.trained, expected, rtol=1e-5, atol=1e-6)
    assert np.abs(check.randomized - check.trained).max() > 1e-3


class Scale(L.Layer):
    """A custom layer whose weight has no initializer attribute to draw from."""

    def build(self, input_shape):
        self.factor = self.add_weight(name="factor", shape=(), initializer="ones")

    def call(self, x):
        return x * self.factor


def test_variables_without_an_initializer_keep_their_value_with_a_warning():
    keras.utils.set_random_seed(7)
    model = keras.Sequential([keras.Input((5, 5, 1)), L.Conv2D(2, 3), Scale(name="scale"),
                              L.Flatten(), L.Dense(2)])
    model.get_layer("scale").set_weights([np.array(3.0)])
    x = np.random.default_rng(1).random((2, 5, 5, 1)).astype(np.float32)
    method = Recorder([np.ones((2, 5, 5)), np.ones((2, 5, 5))])
    with pytest.warns(interp.InterpWarning,
                      match=r"model_randomization: these variables have no initializer to draw "
                            r"from and keep their trained values: \['[^']*scale/factor'\]"):
        interp.model_randomization(model, x, target=0, method=method)
    assert method.calls[1]["model"].get_layer("scale").get_weights()[0] == 3.0


def test_messages_name_the_argument():
    model = keras.Sequential([keras.Input((4, 4, 1)), L.Flatten(), L.Dense(2)])
    x = np.zeros((2, 4, 4, 1), np.float32)
    with pytest.raises(ValueError, match=r"^model_randomization: seed must be an int >= 0, got -1$"):
        interp.model_randomization(model, x, seed=-1)
    with pytest.raises(TypeError, match=r"^model_randomization: seed must be an int, got 1.5"):
        interp.model_randomization(model, x, seed=1.5)
    with pytest.raises(ValueError, match=r"^rank_correlation: a must be finite, got an array of "
                                         r"shape \(1, 2\) and dtype float64 with 1 NaN"):
        interp.rank_correlation([[np.nan, 1.0]], [[1.0, 2.0]])
    with pytest.raises(TypeError, match=r"^rank_correlation: b must hold real numbers"):
        interp.rank_correlation([[1.0, 2.0]], [["a", "b"]])
    with pytest.raises(ValueError, match=r"^rank_correlation: a and b must be stacks of maps of "
                                         r"one shape \(n, \.\.\.\), got an array of shape \(1, 2\) "
                                         r"and dtype float64 and an array of shape \(1, 3\)"):
        interp.rank_correlation(np.ones((1, 2)), np.ones((1, 3)))


def test_the_default_seed_is_zero_and_subclassed_models_are_refused():
    keras.utils.set_random_seed(8)
    model = keras.Sequential([keras.Input((5, 5, 1)), L.Conv2D(2, 3), L.Flatten(), L.Dense(3)])
    x = np.random.default_rng(1).random((2, 5, 5, 1)).astype(np.float32)
    default = interp.model_randomization(model, x, target=0)
    np.testing.assert_array_equal(default.randomized,
                                  interp.model_randomization(model, x, target=0, seed=0).randomized)
    assert not np.allclose(default.randomized,
                           interp.model_randomization(model, x, target=0, seed=1).randomized)

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = L.Dense(2)

        def call(self, inputs):
            return self.dense(keras.ops.reshape(inputs, (-1, 25)))

    net = Net()
    net(x)
    with pytest.raises(TypeError, match=r"^model_randomization: cannot reach the layers inside "
                                        r"subclassed model"):
        interp.model_randomization(net, x)
