"""Every public function, fed random and wrong arguments, gives a result or a clear error.

For each public function, hypothesis draws every parameter from a pool that mixes good
values (a small model, images of the right shape) with bad ones (wrong shapes, dtypes,
kinds, NaN, negative or huge numbers, strings). The call must either return, or raise a
``ValueError``, ``TypeError`` or ``IndexError`` (positions) whose message starts with the
function's name. Anything else -- a raw numpy, Keras or TensorFlow error, a message
without the name -- fails the test. The parameter pools are chosen by parameter name, so
a new public function is fuzzed without changes here.
"""

import inspect

import keras
import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import interp

L = keras.layers
ALLOWED = (ValueError, TypeError, IndexError)
SKIP = {
    "trained_model": "trains for a minute; its arguments are tested in test_models",
    "build_model": "takes no arguments",
    "load_fashion_mnist": "reads the file system; tested in test_data",
}


def _models():
    keras.utils.set_random_seed(0)
    small = keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(2, 3, activation="relu", name="c1"),
                              L.Conv2D(3, 3, name="c2"), L.Flatten(),
                              L.Dense(3, activation="softmax", name="out")])
    inputs = keras.Input((8, 8, 1))
    x = L.Conv2D(2, 3, name="f1")(inputs)
    two = keras.Model(inputs, [L.Dense(2, name="a")(L.Flatten()(x)),
                               L.Dense(4, name="b")(L.Flatten()(x))])
    flat = keras.Sequential([keras.Input((5,)), L.Dense(2)])
    return {"small": small, "two outputs": two, "no conv": flat}


MODELS = _models()
SMALL = MODELS["small"]


def arrays(shape=None):
    dtypes = st.sampled_from([np.float32, np.float64, np.int64, np.uint8, np.bool_,
                              np.complex64, object, np.str_])
    shapes = st.lists(st.integers(0, 9), min_size=0, max_size=5).map(tuple)
    if shape is not None:
        shapes = st.one_of(st.just(shape), shapes)

    def build(args):
        dims, dtype, fill = args
        size = int(np.prod(dims)) if dims else 1
        values = np.random.default_rng(size).random(size) * fill
        if dtype is np.str_:
            return np.full(dims, "a")
        if dtype is object:
            return np.array([None] * size, dtype=object).reshape(dims) if dims else None
        with np.errstate(invalid="ignore"):  # NaN and inf cast to integers on purpose
            array = values.astype(dtype).reshape(dims) if dims else values.astype(dtype)[0]
        return array

    fills = st.sampled_from([1.0, 255.0, -1.0, np.nan, np.inf, 0.0])
    return st.tuples(shapes, dtypes, fills).map(build)


ANYTHING = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 300), st.floats(allow_nan=True),
    st.text(max_size=4), st.just("c1"), st.just([1, 2]), st.just((3, "a")),
    st.just(object()), arrays(),
)
GOOD_IMAGES = st.integers(1, 4).map(
    lambda n: np.random.default_rng(n).random((n, 8, 8, 1)).astype(np.float32))
POOLS = {
    "model": st.one_of(st.sampled_from(list(MODELS.values())), ANYTHING),
    "shuffled_model": st.one_of(st.sampled_from(list(MODELS.values())), ANYTHING),
    "attributions": st.one_of(arrays((3, 8, 8)), arrays((3, 8, 8, 1)), ANYTHING),
    "start": st.one_of(st.none(), arrays((8, 8, 1)), arrays((3, 8, 8, 1)), ANYTHING),
    "images": st.one_of(GOOD_IMAGES, arrays((3, 8, 8, 1)), ANYTHING),
    "image": st.one_of(arrays((8, 8)), ANYTHING),
    "kernel": st.one_of(arrays((3, 3)), st.integers(-4, 4), ANYTHING),
    "source": st.one_of(st.just(SMALL.layers[0]), arrays((3, 3, 1, 2)), ANYTHING),
    "layer": st.one_of(st.sampled_from(["c1", "c2", "out", 0, -1, 7, L.Conv2D, L.Dense]),
                       st.just(SMALL.layers[0]), ANYTHING),
    "layers": st.one_of(st.sampled_from([None, "c1", ["c1", "out"], L.Conv2D, []]), ANYTHING),
    "which": st.one_of(st.sampled_from(["c1", "c2", "nope", 0, -9, L.Conv2D]), ANYTHING),
    "target": st.one_of(st.sampled_from([None, 0, 2, 3, -1]),
                        st.lists(st.integers(-1, 3), max_size=5).map(np.array), ANYTHING),
    "output": st.one_of(st.sampled_from([None, 0, 1, "a", "b", "zz", 5]), ANYTHING),
    "method": st.one_of(st.sampled_from([None, interp.saliency]), ANYTHING),
    "top": st.one_of(st.just(interp.TopActivations(np.zeros((2, 1), int), np.zeros((2, 1)),
                                                   np.zeros((2, 1, 2), int))), ANYTHING),
    "field": st.one_of(st.just(interp.ReceptiveField((3, 3), (1, 1), (0, 0))), ANYTHING),
    "maps": st.one_of(st.just({"m": np.zeros((8, 8))}), st.just({}), ANYTHING),
    "labels": st.one_of(st.just(np.arange(6) % 3), ANYTHING),
    "name": st.one_of(st.sampled_from(["Sneaker", "Bag", "sneaker"]), ANYTHING),
    "response": st.one_of(arrays((8, 8)), ANYTHING),
    "attribution": st.one_of(arrays((8, 8)), ANYTHING),
    "a": st.one_of(arrays((2, 10)), ANYTHING),
    "b": st.one_of(arrays((2, 10)), ANYTHING),
    "patches": st.one_of(arrays((2, 3, 4, 4)), ANYTHING),
}
NUMBERS = st.one_of(st.integers(-3, 40), st.floats(-2, 40), st.just(float("nan")), ANYTHING)


def _pool(parameter):
    if parameter.name in POOLS:
        pool = POOLS[parameter.name]
    else:
        pool = NUMBERS
    if parameter.default is not inspect.Parameter.empty:
        pool = st.one_of(st.just(parameter.default), pool)
    return pool


def _public_functions():
    for name in sorted(interp.__all__):
        obj = getattr(interp, name)
        if callable(obj) and not isinstance(obj, type) and name not in SKIP:
            yield name, obj


FUNCTIONS = dict(_public_functions())


def _calls(func):
    parameters = [p for p in inspect.signature(func).parameters.values()
                  if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    return st.fixed_dictionaries({p.name: _pool(p) for p in parameters})


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_random_arguments_give_a_result_or_a_clear_error(name):
    func = FUNCTIONS[name]

    @settings(max_examples=80, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(_calls(func))
    def run(kwargs):
        # small work only: cap the sizes that decide how long a valid call runs
        for key, cap in (("steps", 4), ("samples", 4), ("k", 3)):
            if isinstance(kwargs.get(key), int) and not isinstance(kwargs[key], bool):
                kwargs[key] = min(kwargs[key], cap)
        try:
            func(**kwargs)
        except ALLOWED as err:
            message = str(err)
            assert message.startswith(f"{name}:"), (
                f"{type(err).__name__} without the function's name: {message!r}")
        except Warning:  # pragma: no cover - warnings are not errors
            pass
        finally:
            plt.close("all")

    run()
