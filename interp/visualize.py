"""What a kernel wants to see: synthesize an input that drives it as hard as possible."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from ._validate import check_int, describe
from .activations import _forward, _input_shape
from .convolution import convolve
from .kernels import check_conv_layer
from .layers import check_model, pick_layer


def _gaussian(sigma: float) -> np.ndarray:
    offsets = np.arange(-1, 2)
    g = np.exp(-(offsets**2) / (2 * sigma**2))
    g = np.outer(g, g)
    return (g / g.sum()).astype(np.float32)


def maximize_activation(
    model: keras.Model,
    layer: object,
    kernel: int | Sequence[int],
    *,
    steps: int = 200,
    learning_rate: float = 0.05,
    jitter: int = 1,
    blur_every: int = 4,
    blur_sigma: float = 0.5,
    decay: float = 0.01,
    seed: int = 0,
) -> np.ndarray:
    """Find an input that maximizes a kernel's mean activation, by gradient ascent.

    Starting from mid-gray with seeded noise, each step shifts the image by a random
    ``jitter`` (so the pattern cannot exploit exact pixel positions), moves it along the
    normalized gradient of the kernel's mean activation, pulls it back toward gray by
    ``decay`` (an L2 penalty), blurs it every ``blur_every`` steps and clips it to [0, 1].
    These regularizers, sized for 28 × 28 grayscale inputs, keep the result from turning
    into high-frequency noise.

    Parameters
    ----------
    model : keras.Model
        Any model kind (Sequential with or without ``Input``, Functional, nested).
    layer : int, str, layer class or layer
        A Conv2D layer of *model*.
    kernel : int or sequence of int
        The kernel (output channel); several are optimized together, one image each.
    steps : int, default 200
        Gradient-ascent steps.
    learning_rate : float, default 0.05
        Step size, in gray levels per normalized gradient.
    jitter : int, default 1
        Largest random shift per step, in pixels (0 turns it off).
    blur_every : int, default 4
        Blur with a 3 × 3 Gaussian every this many steps (0 turns it off).
    blur_sigma : float, default 0.5
        Width of the Gaussian blur, in pixels.
    decay : float, default 0.01
        Fraction of the distance to mid-gray removed each step.
    seed : int, default 0
        Seeds the start and the jitter; the same seed gives the same image.

    Returns
    -------
    numpy.ndarray
        ``(h, w, c)`` in [0, 1] for one kernel, ``(len(kernel), h, w, c)`` for several.

    Raises
    ------
    TypeError
        If *layer* is not a convolution layer.
    IndexError
        If a kernel index is out of range.
    ValueError
        If *steps* < 1 or another setting is out of range.

    Examples
    --------
    >>> import interp
    >>> model = interp.build_model()
    >>> image = interp.maximize_activation(model, "conv1", 0, steps=5)
    >>> image.shape, float(image.min()) >= 0.0, float(image.max()) <= 1.0
    ((28, 28, 1), True, True)

    """
    import tensorflow as tf

    func = "maximize_activation"
    check_model(func, model)
    conv = check_conv_layer(func, pick_layer(model, layer))
    single = not isinstance(kernel, (Sequence, np.ndarray))
    kernels = [kernel] if single else list(kernel)
    if not kernels:
        raise ValueError(f"{func}: kernel must name at least one kernel")
    for k in kernels:
        k = check_int(func, "kernel", k)
        if not 0 <= k < conv.filters:
            raise IndexError(
                f"{func}: kernel={k} is out of range for {conv.filters} kernels; "
                f"allowed 0..{conv.filters - 1}"
            )
    steps = check_int(func, "steps", steps, minimum=1)
    jitter = check_int(func, "jitter", jitter, minimum=0)
    blur_every = check_int(func, "blur_every", blur_every, minimum=0)
    seed = check_int(func, "seed", seed, minimum=0)
    for name, value in (("learning_rate", learning_rate), ("blur_sigma", blur_sigma)):
        if not np.isfinite(value) or value <= 0:
            raise ValueError(f"{func}: {name} must be a number > 0, got {describe(value)}")
    if not np.isfinite(decay) or not 0 <= decay < 1:
        raise ValueError(f"{func}: decay must be a number in [0, 1), got {describe(decay)}")
    shape = _input_shape(model)
    if shape is None or None in shape:
        raise ValueError(f"{func}: the model's input shape must be known; build the model first")

    selector = tf.one_hot(kernels, conv.filters)  # (K, n_kernels): kernel k for image k
    wanted = {id(conv)}

    @tf.function(input_signature=[tf.TensorSpec((len(kernels), *shape), tf.float32)])
    def gradient(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            found: dict[int, object] = {}
            _forward(model, x, wanted, found)
            activation = tf.reduce_mean(found[id(conv)], axis=(1, 2))  # (K, n_kernels)
            objective = tf.reduce_sum(activation * selector)
        return tape.gradient(objective, x)

    rng = np.random.default_rng(seed)
    # noise strong enough that no ReLU starts out dead everywhere (a zero gradient)
    x = (0.5 + 0.1 * rng.standard_normal((len(kernels), *shape))).astype(np.float32)
    blur = _gaussian(blur_sigma)
    for step in range(steps):
        dy, dx = (rng.integers(-jitter, jitter + 1, size=2) if jitter else (0, 0))
        shifted = np.roll(x, (dy, dx), axis=(1, 2))
        grad = np.roll(gradient(tf.constant(shifted)).numpy(), (-dy, -dx), axis=(1, 2))
        scale = grad.std(axis=(1, 2, 3), keepdims=True) + 1e-8
        x = x + learning_rate * grad / scale
        x = x - decay * (x - 0.5)
        if blur_every and (step + 1) % blur_every == 0:
            for i in range(len(x)):
                for c in range(x.shape[-1]):
                    x[i, :, :, c] = convolve(x[i, :, :, c], blur, padding="same")
        x = np.clip(x, 0.0, 1.0).astype(np.float32)
    return x[0] if single else x
