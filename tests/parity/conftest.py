"""Fixtures of the parity tests: the course network in Keras and its copy in PyTorch.

``nox -s parity`` runs these tests (tests/conftest.py leaves this folder out of the other
sessions, whose environments have no torch, Captum or Xplique). Each test compares one
interp function on the Keras model with its peer's own code on the same images, targets,
baselines and perturbations, asserts a tolerance stated in the test, and records the
differences reached; the table of all of them is printed at the end of the run.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _parity import N_IMAGES, RESULTS, CourseNet

import interp


def pytest_terminal_summary(terminalreporter):
    """Print every pair's differences, the table the closing note quotes."""
    if not RESULTS:
        return
    write = terminalreporter.write_line
    write("")
    write("parity: interp against the peers (max |diff|, relative to max |peer|, tolerance)")
    for name, worst, relative, rule in RESULTS:
        write(f"  {name:<52} {worst:10.3g} {relative:10.3g}   {rule}")


@pytest.fixture(scope="session")
def keras_model():
    """The course network the gallery uses (trained once into the shared cache)."""
    return interp.trained_model(verbose=False)


@pytest.fixture(scope="session")
def data():
    """The first 64 real Fashion-MNIST test images and their labels (the targets)."""
    _, (x_test, y_test) = interp.load_fashion_mnist()
    return x_test[:N_IMAGES], y_test[:N_IMAGES].astype(np.int64)


@pytest.fixture(scope="session")
def net(keras_model):
    """The PyTorch copy returning logits."""
    torch.manual_seed(0)
    return CourseNet(keras_model)


@pytest.fixture(scope="session")
def net_softmax(keras_model):
    """The PyTorch copy returning probabilities, as the Keras model does."""
    return CourseNet(keras_model, softmax=True)
