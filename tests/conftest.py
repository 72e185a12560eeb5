"""Shared fixtures: the real data set, the trained network, and the same small network in
every form a Keras 3 user meets (Sequential with and without Input, Functional, nested)."""

import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import matplotlib

matplotlib.use("Agg")

import keras
import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import settings

import interp
import interp.models

# CI runs the same examples every time (a failure there is reproducible locally with
# HYPOTHESIS_PROFILE=ci); a developer's runs keep exploring new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default"))


# The browser check needs a built site and Chromium; `nox -s browser` runs it. The parity
# tests need the peers (torch, Captum, Xplique); `nox -s parity` runs them.
collect_ignore = [] if os.environ.get("INTERP_BROWSER_TESTS") else ["browser"]
if not os.environ.get("INTERP_PARITY_TESTS"):
    collect_ignore.append("parity")


BACKEND = keras.backend.backend()

# ---- which tests run under every backend ------------------------------------------------
# `nox -s tests` runs every test under TensorFlow. `nox -s tests-jax` and `tests-torch` run
# those marked `backend`: the tests of code that runs a model on the backend (compiled
# functions, gradients, copies of models, training), the agreement test and the fuzzing of
# every public function. Code that is numpy only (convolve, kernels, measures, describe),
# files and data, plots, the docs, and the checks of the gallery's claims (made on the
# TensorFlow-trained network the site is built with) do not depend on the backend.
BACKEND_MODULES = {
    "test_activations", "test_any_model", "test_attribution", "test_attribution_catalogue",
    "test_attribution_oracles", "test_backends", "test_callbacks", "test_dissect",
    "test_dissect_distributed", "test_evaluate", "test_fuzz",
    "test_layers", "test_live", "test_measures", "test_randomization_contract",
    "test_receptive_field_graphs",
    "test_receptive_fields", "test_small_contracts",
}
#: Tests of other modules that run a model on the backend (by name, or a name's start).
BACKEND_TESTS = (
    "test_one_epoch_trains_on_this_backend",      # test_models: training itself
    "test_report_on_a_channels_first_rgb_model",  # test_cli_units: a whole report
    "test_ctrl_c",                                # the interrupt, wherever it lands
    "test_devices_2_on_jax",                      # test_cli_dissect: DataParallel (JAX)
)
#: Tests of backend modules that run under TensorFlow only:
TENSORFLOW_ONLY = (
    # the gallery's claims (made on TensorFlow's network, as the site is built)
    "test_the_verdicts_the_pages_print",
    # receptive fields through whole keras.applications graphs: reading the graph is the
    # same on every backend, and building the networks takes most of the time (60 s
    # under JAX); each backend's placement of "same" padding, strides and branches is
    # checked on the small graphs of test_receptive_field_graphs under every backend
    "test_keras_applications_get_a_field", "test_a_keras_application_nested",
)


def pytest_collection_modifyitems(config, items):
    """Mark the tests that run under every backend (see BACKEND_MODULES)."""
    for item in items:
        module = getattr(item, "module", None)  # a doctest has none: TensorFlow only
        module = module.__name__.rsplit(".", 1)[-1] if module else ""
        name = getattr(item, "originalname", None) or item.name
        if name.startswith(TENSORFLOW_ONLY):
            continue
        if module in BACKEND_MODULES or name.startswith(BACKEND_TESTS):
            item.add_marker(pytest.mark.backend)


def softmax_twins(body, shape, classes=3, seed=0):
    """The same weights with a softmax head (what a user passes) and without (the oracle).

    *body* makes the hidden layers (called twice, one set for each model).
    """
    keras.utils.set_random_seed(seed)
    layers = keras.layers
    logits = keras.Sequential([keras.Input(shape), *body(), layers.Dense(classes)])
    model = keras.Sequential([keras.Input(shape), *body(),
                              layers.Dense(classes, activation="softmax")])
    model.set_weights(logits.get_weights())
    return model, logits


def input_gradient(fn, images):
    """d sum(fn(x)) / dx at *images*, by the backend's own automatic differentiation.

    An oracle independent of interp's gradient code: ``tf.GradientTape``, ``jax.grad`` or
    ``torch.autograd``, called on a plain function of a backend tensor.
    """
    images = np.asarray(images, dtype=np.float32)
    if BACKEND == "tensorflow":
        import tensorflow as tf

        x = tf.constant(images)
        with tf.GradientTape() as tape:
            tape.watch(x)
            total = tf.reduce_sum(fn(x))
        return tape.gradient(total, x).numpy()
    if BACKEND == "jax":
        import jax
        import jax.numpy as jnp

        return np.asarray(jax.grad(lambda x: jnp.sum(fn(x)))(jnp.asarray(images)))
    if BACKEND == "torch":
        import torch

        x = torch.tensor(images, requires_grad=True)
        (grad,) = torch.autograd.grad(fn(x).sum(), [x])
        return grad.detach().numpy()
    raise RuntimeError(f"no automatic differentiation on the {BACKEND!r} backend")


def native_guided_relu():
    """Guided backpropagation's ReLU with the backend's own custom gradient (an oracle)."""
    if BACKEND == "tensorflow":
        import tensorflow as tf

        @tf.custom_gradient
        def guided_relu(z):
            def grad(dy):
                return dy * tf.cast(z > 0, dy.dtype) * tf.cast(dy > 0, dy.dtype)

            return tf.nn.relu(z), grad

        return guided_relu
    if BACKEND == "jax":
        import jax
        import jax.numpy as jnp

        @jax.custom_vjp
        def guided_relu(z):
            return jnp.maximum(z, 0.0)

        guided_relu.defvjp(lambda z: (jnp.maximum(z, 0.0), z),
                           lambda z, dy: (dy * (z > 0) * (dy > 0),))
        return guided_relu
    import torch

    class GuidedReLU(torch.autograd.Function):
        @staticmethod
        def forward(ctx, z):
            ctx.save_for_backward(z)
            return torch.relu(z)

        @staticmethod
        def backward(ctx, dy):
            (z,) = ctx.saved_tensors
            return dy * (z > 0) * (dy > 0)

    def guided_relu(z):
        return GuidedReLU.apply(z)

    return guided_relu


def native_softmax():
    """The backend's own softmax function (not Keras's), as a user might pass it."""
    if BACKEND == "tensorflow":
        import tensorflow as tf

        return tf.nn.softmax
    if BACKEND == "jax":
        import jax

        return jax.nn.softmax
    import torch

    def softmax(x):  # Keras wraps a torch.nn.Softmax module; a user writes a function
        return torch.softmax(x, dim=-1)

    return softmax


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="session")
def fashion():
    return interp.load_fashion_mnist()


@pytest.fixture(scope="session")
def test_set(fashion):
    return fashion[1]


@pytest.fixture(scope="session")
def trained():
    """The gallery's model: trained once into the default cache, shared with the docs.

    The gallery is built with TensorFlow, so under another backend this is the same
    TensorFlow-trained file, loaded into that backend (a TensorFlow subprocess finds it,
    training it first if it is not cached): the pages' claims are tested on the pages'
    weights everywhere. Training on the session's own backend is tested in test_models.
    """
    return gallery_model("true")


@pytest.fixture(scope="session")
def shuffled():
    """The gallery's network trained on shuffled labels (pages 30-31), as :func:`trained`."""
    return gallery_model("shuffled")


def gallery_model(labels: str):
    """The TensorFlow-trained cached model the gallery uses, loaded into this backend."""
    if BACKEND == "tensorflow":
        return interp.trained_model(labels=labels, verbose=False)
    script = (f"import interp; print(interp.trained_model(labels={labels!r}, "
              "verbose=False).training_info.cache_file)")
    done = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                          text=True, env={**os.environ, "KERAS_BACKEND": "tensorflow"})
    model = interp.models._load_cached(Path(done.stdout.strip().splitlines()[-1]))
    assert model is not None
    return model


def _stack():
    return [
        keras.layers.Conv2D(2, 3, activation="relu", name="c1"),
        keras.layers.Conv2D(3, (2, 3), padding="same", activation="tanh", name="c2"),
        keras.layers.Flatten(name="flat"),
        keras.layers.Dense(4, name="out"),
    ]


def _model_kinds():
    """Return {kind: model} with identical weights across kinds."""
    shape = (12, 12, 1)
    keras.utils.set_random_seed(1)
    with_input = keras.Sequential([keras.Input(shape), *_stack()])
    weights = with_input.get_weights()

    built = keras.Sequential(_stack())
    built.build((None, *shape))

    called = keras.Sequential(_stack())
    called(np.zeros((1, *shape), "float32"))

    inputs = keras.Input(shape)
    x = inputs
    for layer in _stack():
        x = layer(x)
    functional = keras.Model(inputs, x)

    inner = keras.Sequential([keras.Input(shape), *_stack()[:2]], name="inner")
    outer_in = keras.Input(shape)
    y = inner(outer_in)
    y = keras.layers.Flatten(name="flat")(y)
    y = keras.layers.Dense(4, name="out")(y)
    nested = keras.Model(outer_in, y)

    for model in (built, called, functional, nested):
        model.set_weights(weights)
    return {
        "sequential-input": with_input,
        "sequential-built": built,
        "sequential-called": called,
        "functional": functional,
        "nested": nested,
    }


@pytest.fixture(scope="session")
def model_kinds():
    return _model_kinds()


@pytest.fixture(params=["sequential-input", "sequential-built", "sequential-called",
                        "functional", "nested"])
def any_model(request, model_kinds):
    return model_kinds[request.param]
