"""What a kernel wants to see: synthesize an input that drives it as hard as possible."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from ._model import Runner, is_conv, pick
from ._validate import check_index, check_int, check_number, describe
from .convolution import convolve


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
        A convolution layer of *model* (Conv1D, Conv2D or Conv3D), as
        :func:`interp.pick_layer` accepts it.
    kernel : int or sequence of int
        The kernel (output channel; negative counts from the end); several are optimized
        together, one image each.
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
        One input image in [0, 1], shaped like ``images[0]`` for the model (e.g.
        ``(h, w, c)``), for one kernel; a batch of them, one per kernel, for several.

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
    func = "maximize_activation"
    runner = Runner(func, model, graph=True)
    conv = pick(func, runner.model, layer)
    if not is_conv(conv):
        given = (f"{type(conv).__name__} layer {conv.name!r}"
                 if isinstance(conv, keras.layers.Layer) else describe(conv))
        raise TypeError(f"{func}: layer must be a convolution layer (Conv1D, Conv2D or "
                        f"Conv3D), got {given}")
    single = not isinstance(kernel, (Sequence, np.ndarray))
    kernels = [kernel] if single else list(kernel)
    if not kernels:
        raise ValueError(f"{func}: kernel must name at least one kernel")
    kernels = [check_index(func, "kernel", k, conv.filters, "kernels") for k in kernels]
    steps = check_int(func, "steps", steps, minimum=1)
    jitter = check_int(func, "jitter", jitter, minimum=0)
    blur_every = check_int(func, "blur_every", blur_every, minimum=0)
    seed = check_int(func, "seed", seed, minimum=0)
    learning_rate = check_number(func, "learning_rate", learning_rate, minimum=0.0,
                                 strict_minimum=True)
    blur_sigma = check_number(func, "blur_sigma", blur_sigma, minimum=0.0, strict_minimum=True)
    decay = check_number(func, "decay", decay, minimum=0.0)
    if decay >= 1:
        raise ValueError(f"{func}: decay must be a number in [0, 1), got {decay!r}")
    spec = runner.spec
    if None in spec.shape:
        raise ValueError(
            f"{func}: the model's input shape must be fully known to draw an image, got "
            f"{spec.batch()}"
        )
    spatial = tuple(1 + a for a in spec.spatial_axes)  # axes of the (K, ...) batch
    targets = np.asarray(kernels, dtype=np.int64)
    rng = np.random.default_rng(seed)
    # noise strong enough that no ReLU starts out dead everywhere (a zero gradient)
    x = (0.5 + 0.1 * rng.standard_normal((len(kernels), *spec.shape))).astype(np.float32)
    blur = _gaussian(blur_sigma)
    planes = len(spatial) == 2  # blur needs two spatial axes
    reduce = tuple(range(1, x.ndim))
    for step in range(steps):
        shifts = tuple(rng.integers(-jitter, jitter + 1, size=len(spatial))) if jitter else (
            (0,) * len(spatial))
        shifted = np.roll(x, shifts, axis=spatial)
        grad = runner.gradient(shifted, targets, layer=conv, of="activation")
        grad = np.roll(grad, tuple(-s for s in shifts), axis=spatial)
        scale = grad.std(axis=reduce, keepdims=True) + 1e-8
        x = x + learning_rate * grad / scale
        x = x - decay * (x - 0.5)
        if planes and blur_every and (step + 1) % blur_every == 0:
            x = _blur(x, blur, spatial)
        x = np.clip(x, 0.0, 1.0).astype(np.float32)
    return x[0] if single else x


def _blur(x: np.ndarray, blur: np.ndarray, spatial: tuple[int, int]) -> np.ndarray:
    """Blur every plane of a batch over its two spatial axes."""
    moved = np.moveaxis(x, spatial, (-2, -1))
    flat = moved.reshape(-1, *moved.shape[-2:])
    smoothed = np.stack([convolve(plane, blur, padding="same") for plane in flat])
    return np.moveaxis(smoothed.reshape(moved.shape), (-2, -1), spatial).astype(np.float32)
