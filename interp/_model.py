"""How interp runs a user's model: the one module that knows Keras's and the backend's ways.

Every public function that takes a ``model`` goes through :class:`Runner`, which

- checks the model once: a built ``keras.Model`` with one input (a subclassed model only
  when the function needs nothing but its output);
- reads its input spec (:class:`InputSpec`): the image shape, the data format, which axis
  holds the channels;
- walks its layers with unique paths (``"inner/conv"`` for a layer of a nested model);
- runs it forward layer by layer, recording the outputs of chosen layers, with
  replacements for some operations -- never by changing the user's model: the final
  softmax or sigmoid is skipped (gradients explain *logits*) by calling an own copy of the
  last layer without its activation, and guided backpropagation swaps every ReLU the same
  way;
- picks one output of a multi-output model (``output=``);
- turns ``target`` into one class per image;
- takes gradients through the one function :meth:`Runner.gradient`, compiled once per
  model, layer and mode, for batches of any size; a compiled function is made again when
  the model changes in a way its trace depends on (a layer's activation, its config, the
  layer list: :func:`model_state`);
- runs a model that computes in float16 or bfloat16 (mixed precision) as a float32 copy
  holding the same weights (:func:`float32_copy`), since float16 gradients underflow to
  zero.

Copies of a model or a layer that interp makes keep every variable and leave the user's
random state (Python's, numpy's and Keras's) as it was.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import functools
import numbers
import operator
import random
import re
import threading
import warnings
import weakref
from collections.abc import Callable, Iterator, Sequence

import keras
import numpy as np

from ._validate import check_int, describe

SOFTMAX_NAMES = frozenset({"softmax", "softmax_v2", "log_softmax"})
SIGMOID_NAMES = frozenset({"sigmoid"})
RELU_NAMES = frozenset({"relu"})


class InterpWarning(UserWarning):
    """interp did what was asked, but the result may not mean what you expect."""


# ---- what kind of model ----------------------------------------------------------------

def check_model(func: str, model: object) -> keras.Model:
    """Return *model* if it is a Keras model, else raise a ``TypeError`` naming *func*."""
    if not isinstance(model, keras.Model):
        raise TypeError(f"{func}: model must be a keras.Model, got {describe(model)}")
    return model


def is_graph(model: keras.Model) -> bool:
    """Whether interp can walk *model* layer by layer (Sequential or Functional)."""
    return isinstance(model, keras.Sequential) or hasattr(model, "_run_through_graph")


#: The Keras backends interp takes gradients on.
GRADIENT_BACKENDS = ("tensorflow", "jax", "torch")


def backend() -> str:
    """Return the name of the backend Keras runs on: ``"tensorflow"``, ``"jax"``, ``"torch"``..."""
    return keras.backend.backend()


def check_distribution(func: str, distribution: object) -> object | None:
    """Return the ``keras.distribution.DataParallel`` to run on, or None for one device.

    *distribution* None means the one set with ``keras.distribution.set_distribution``,
    if any (as Keras's ``fit`` and ``predict`` do). Anything else than a DataParallel,
    or a distribution on another backend than JAX (the only one whose Keras
    distribution API shards batches), is refused with a clear error.
    """
    given = distribution
    if distribution is None:
        distribution = keras.distribution.distribution()
        if distribution is None:
            return None
    kind = type(distribution)
    if not isinstance(distribution, keras.distribution.DataParallel):
        what = f"{kind.__module__}.{kind.__qualname__}"
        if "tensorflow" in kind.__module__:
            raise TypeError(
                f"{func}: distribution must be a keras.distribution.DataParallel, got a "
                f"{what}: interp runs on Keras's distribution API, which shards batches on "
                "the JAX backend (KERAS_BACKEND=jax)")
        raise TypeError(f"{func}: distribution must be a keras.distribution.DataParallel "
                        f"(or None), got {describe(distribution)}")
    name = backend()
    if name != "jax":
        source = "" if given is not None else " (set with keras.distribution.set_distribution)"
        raise ValueError(
            f"{func}: distribution{source} needs the JAX backend: Keras's distribution API "
            f"shards batches over devices only on JAX, and Keras runs on {name!r}. Set "
            "KERAS_BACKEND=jax before importing keras, or pass distribution=None to run on "
            "one device")
    return distribution


def mesh_processes(distribution: object) -> list[int]:
    """Return the JAX processes whose devices make up *distribution*'s mesh, in order."""
    mesh = distribution.device_mesh.backend_mesh
    return sorted({int(device.process_index) for device in mesh.devices.flat})


def process_info() -> tuple[int, int]:
    """Return ``(this process's index, the number of processes)`` in JAX's runtime.

    ``(0, 1)`` on other backends, or when ``keras.distribution.initialize`` was not called.
    """
    import sys

    if backend() != "jax" or "jax" not in sys.modules:
        return 0, 1
    import jax

    return int(jax.process_index()), int(jax.process_count())


def allgather_bytes(data: bytes) -> list[bytes]:
    """Every process's *data*, in process order (JAX's distributed runtime; a collective).

    Sent as bytes, so no value passes through JAX's 32-bit default types.
    """
    import jax
    from jax.experimental import multihost_utils

    if jax.process_count() == 1:
        return [data]
    sizes = multihost_utils.process_allgather(np.array([len(data)], np.int32))
    longest = int(np.max(sizes))
    buffer = np.zeros(longest, np.uint8)
    buffer[:len(data)] = np.frombuffer(data, np.uint8)
    gathered = np.asarray(multihost_utils.process_allgather(buffer))
    return [gathered[i, :int(sizes[i][0])].tobytes() for i in range(len(gathered))]


def allgather_ints(values: Sequence[int]) -> np.ndarray:
    """Return every process's *values*, ``(processes, len(values))`` (a collective)."""
    import jax
    from jax.experimental import multihost_utils

    values = np.asarray(values, np.int32)
    if jax.process_count() == 1:
        return values[np.newaxis]
    return np.asarray(multihost_utils.process_allgather(values)).reshape(
        jax.process_count(), len(values))


def barrier(name: str) -> None:
    """Wait until every process of JAX's distributed runtime reaches this point."""
    import jax
    from jax.experimental import multihost_utils

    if jax.process_count() > 1:
        multihost_utils.sync_global_devices(name)


def backend_version() -> str:
    """Return the version of the library behind Keras's backend, e.g. ``"2.21.0"``."""
    import importlib

    return str(getattr(importlib.import_module(backend()), "__version__", "unknown"))


def deterministic() -> None:
    """Make training repeatable on the current backend, where the backend needs asking.

    TensorFlow: op determinism, process-wide. JAX and PyTorch on a CPU are repeatable
    once seeded (:func:`keras.utils.set_random_seed` seeds torch too).
    """
    if backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def require_backend(func: str, what: str = "gradients") -> str:
    """Return the backend's name, or refuse clearly where interp cannot take gradients on it."""
    name = backend()
    if name not in GRADIENT_BACKENDS:
        raise RuntimeError(
            f"{func}: {what} need the TensorFlow, JAX or PyTorch backend, but Keras runs on "
            f"{name!r}, which has no automatic differentiation interp can use; set "
            "KERAS_BACKEND to tensorflow, jax or torch before importing keras"
        )
    return name


def sync_weights(model: keras.Model) -> None:
    """Put a model's current weights back into its variables in the middle of ``fit``.

    Keras's JAX trainer keeps the weights outside the variables while it trains (and
    empties the variables), for speed; a callback that reads weights between batches must
    ask for them back first. The other backends train in place, so this does nothing.
    """
    sync = getattr(model, "jax_state_sync", None)
    if callable(sync):
        sync()


# ---- layers and their paths --------------------------------------------------------------

def walk(model: keras.Model, prefix: str = "") -> list[tuple[str, keras.layers.Layer]]:
    """Return ``(path, layer)`` for every layer, depth first, nested models included.

    A top-level layer's path is its name; a layer of a nested model ``inner`` has the path
    ``"inner/name"``. Keras forbids ``/`` in names, so paths are unique even when nested
    models reuse names. A nested model appears itself, followed by its layers. A layer
    object shared by two places appears once, at its first path.
    """
    found: list[tuple[str, keras.layers.Layer]] = []
    seen: set[int] = set()

    def visit(current: keras.Model, head: str) -> None:
        for layer in current.layers:
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            path = f"{head}{layer.name}"
            found.append((path, layer))
            if isinstance(layer, keras.Model) and is_graph(layer):
                visit(layer, f"{path}/")

    visit(model, prefix)
    return found


def layer_path(model: keras.Model, layer: keras.layers.Layer) -> str:
    """Return the unique path of *layer* inside *model*."""
    for path, candidate in walk(model):
        if candidate is layer:
            return path
    raise ValueError(f"layer {layer.name!r} is not part of model {model.name!r}")


def output_shape(layer: keras.layers.Layer) -> tuple | None:
    """Return the shape of one example of *layer*'s output (no batch axis), or ``None``.

    ``None`` when Keras does not know it: a layer called in several places (several
    outputs), or a layer of a subclassed model. A layer with several outputs gives a
    tuple of shapes. Dimensions Keras leaves open are ``None``.
    """
    try:
        out = layer.output
    except (AttributeError, ValueError, RuntimeError):
        return None
    shapes = [tuple(None if d is None else int(d) for d in tensor.shape[1:])
              for tensor in keras.tree.flatten(out)]
    if not shapes:
        return None
    return shapes[0] if len(shapes) == 1 else tuple(shapes)


def _listing(model: keras.Model) -> str:
    rows = [f"{i}: {layer.name} ({type(layer).__name__})" for i, layer in enumerate(model.layers)]
    return "; ".join(rows)


def pick(
    func: str,
    model: keras.Model,
    which: object,
    *,
    nth: int = 0,
    name: str = "which",
) -> keras.layers.Layer:
    """Return one layer of *model* by position, name or path, class, or identity.

    See :func:`interp.pick_layer` for the rules; *func* names the caller in messages,
    *name* the argument.
    """
    check_model(func, model)
    if not isinstance(which, type):
        check_int(func, "nth", nth)
        if nth != 0:
            raise ValueError(f"{func}: nth is used only when which is a layer class, got nth={nth}")
    if not is_graph(model):
        raise TypeError(
            f"{func}: cannot reach the layers inside subclassed model {model.name!r} "
            f"({type(model).__name__}): Keras runs its call() as one step. Rebuild it as a "
            "Sequential or Functional model to look inside"
        )
    if isinstance(which, numbers.Integral) and not isinstance(which, bool):
        size = len(model.layers)
        if not -size <= int(which) < size:
            raise IndexError(
                f"{func}: {name}={int(which)} is out of range for a model with {size} layers; "
                f"allowed {-size}..{size - 1}. Layers: {_listing(model)}"
            )
        return model.layers[int(which)]
    layers = walk(model)
    if isinstance(which, str):
        by_path = [layer for path, layer in layers if path == which]
        if by_path:
            return by_path[0]
        by_name = [(path, layer) for path, layer in layers if layer.name == which]
        if len(by_name) == 1:
            return by_name[0][1]
        paths = [path for path, _ in layers]
        if len(by_name) > 1:
            raise ValueError(
                f"{func}: the name {which!r} is used by {len(by_name)} layers in nested "
                f"models; pick one by its path: {[path for path, _ in by_name]}"
            )
        close = difflib.get_close_matches(which, paths, n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"{func}: no layer named {which!r}; layer paths are {paths}.{hint}")
    if isinstance(which, type) and issubclass(which, keras.layers.Layer):
        matches = [layer for _, layer in layers if isinstance(layer, which)]
        if not matches:
            kinds = sorted({type(layer).__name__ for _, layer in layers})
            raise ValueError(
                f"{func}: the model has no {which.__name__} layer; its layer types are {kinds}"
            )
        nth = check_int(func, "nth", nth)
        if not -len(matches) <= nth < len(matches):
            raise IndexError(
                f"{func}: nth={nth} is out of range for {len(matches)} {which.__name__} "
                f"layers; allowed {-len(matches)}..{len(matches) - 1}"
            )
        return matches[nth]
    if isinstance(which, keras.layers.Layer):
        if any(layer is which for _, layer in layers):
            return which
        raise ValueError(
            f"{func}: layer {which.name!r} is not part of this model; "
            f"its layer paths are {[path for path, _ in layers]}"
        )
    raise TypeError(
        f"{func}: {name} must be an int, a layer name or path, a layer class or a layer, "
        f"got {describe(which)}"
    )


def pick_many(func: str, model: keras.Model, which: object,
              name: str = "layers") -> list[keras.layers.Layer]:
    """Resolve one or several layer choices; a layer class means every layer of that class.

    *name* is the argument's name in the messages of an index out of range or a choice of
    the wrong kind.
    """
    items = which
    if isinstance(which, (str, numbers.Integral, type, keras.layers.Layer)) or not isinstance(
        which, (list, tuple)
    ):
        items = [which]
    picked: list[keras.layers.Layer] = []
    for item in items:
        if isinstance(item, type) and issubclass(item, keras.layers.Layer):
            pick(func, model, item)  # raises a clear error when there is none
            picked.extend(layer for _, layer in walk(model) if isinstance(layer, item))
        else:
            picked.append(pick(func, model, item, name=name))
    if not picked:
        raise ValueError(f"{func}: layers must name at least one layer, got {describe(which)}")
    unique: list[keras.layers.Layer] = []
    for layer in picked:
        if all(layer is not other for other in unique):
            unique.append(layer)
    return unique


def conv_types() -> tuple[type, ...]:
    """Return the convolution classes interp reads kernels from: Conv1D, Conv2D, Conv3D."""
    return (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D)


def is_conv(layer: object) -> bool:
    """Whether *layer* is a Keras Conv1D, Conv2D or Conv3D (or a subclass)."""
    return isinstance(layer, conv_types())


def conv_layers(model: keras.Model, rank: int | None = None) -> list[keras.layers.Layer]:
    """Every convolution layer of *model* in walk order, optionally of one spatial rank."""
    found = [layer for _, layer in walk(model) if is_conv(layer)]
    if rank is not None:
        found = [layer for layer in found if layer.rank == rank]
    return found


def pick_conv2d(func: str, model: keras.Model, layer: object) -> keras.layers.Layer:
    """:func:`pick` *layer*, refused by *func* unless it is a 2-D convolution layer."""
    conv = pick(func, model, layer)
    if not is_conv(conv) or conv.rank != 2:
        given = (f"{type(conv).__name__} layer {conv.name!r}"
                 if isinstance(conv, keras.layers.Layer) else describe(conv))
        raise TypeError(
            f"{func}: layer must be a 2-D convolution layer (keras.layers.Conv2D or a "
            f"subclass), got {given}"
        )
    return conv


# ---- the input spec ----------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class InputSpec:
    """What one input image of a model looks like.

    Attributes
    ----------
    shape : tuple of int or None
        The shape of one image (no batch axis); ``None`` where any size is accepted.
    data_format : {"channels_last", "channels_first"}
        Read from the model's convolution and pooling layers.
    channel_axis : int or None
        The axis of ``shape`` that holds the channels, or ``None`` when the input has
        none (e.g. ``(28, 28)`` images that a ``Reshape`` layer gives a channel).

    """

    shape: tuple[int | None, ...]
    data_format: str
    channel_axis: int | None

    @property
    def spatial_axes(self) -> tuple[int, ...]:
        """Axes of ``shape`` that are positions (every axis but the channels)."""
        return tuple(a for a in range(len(self.shape)) if a != self.channel_axis)

    @property
    def map_shape(self) -> tuple[int | None, ...]:
        """Shape of one attribution map: the image shape without its channel axis."""
        return tuple(self.shape[a] for a in self.spatial_axes)

    def batch(self) -> str:
        """Return the expected batch shape, written out for messages."""
        dims = ", ".join("any" if d is None else str(d) for d in self.shape)
        return f"(n, {dims})"


def _data_format(model: keras.Model) -> str:
    formats = [getattr(layer, "data_format", None) for _, layer in walk(model)]
    formats = [f for f in formats if f in ("channels_last", "channels_first")]
    if formats:
        return formats[0]
    return keras.config.image_data_format()


def input_spec(func: str, model: keras.Model) -> InputSpec:
    """Read the input spec of a built model with one input, or raise a clear error."""
    check_model(func, model)
    if not model.built:
        raise ValueError(
            f"{func}: model {model.name!r} is not built, so its input shape is unknown; "
            "call it once on a batch, or build it, e.g. model.build((None, 28, 28, 1))"
        )
    if is_graph(model):
        inputs = getattr(model, "inputs", None) or []
        if len(inputs) > 1:
            names = [getattr(t, "name", "?") for t in inputs]
            raise ValueError(
                f"{func}: model {model.name!r} has {len(inputs)} inputs {names}; interp "
                "explains models with one image input"
            )
        if inputs:
            shape = tuple(None if d is None else int(d) for d in inputs[0].shape[1:])
        else:  # pragma: no cover - a built graph model always has inputs in Keras 3
            raise ValueError(f"{func}: cannot read the input shape of model {model.name!r}")
        data_format = _data_format(model)
    else:
        recorded = getattr(model, "_build_shapes_dict", None) or {}
        shapes = list(recorded.values())
        if len(shapes) != 1 or not isinstance(shapes[0], (tuple, list)):
            raise ValueError(
                f"{func}: subclassed model {model.name!r} does not say what it takes "
                f"(recorded build shapes: {recorded}); interp explains models with one "
                "image input"
            )
        shape = tuple(None if d is None else int(d) for d in shapes[0][1:])
        data_format = keras.config.image_data_format()
    convs = conv_layers(model) if is_graph(model) else []
    if convs:
        spatial = int(convs[0].rank)
    else:
        spatial = len(shape) - 1 if len(shape) >= 3 else len(shape)
    if len(shape) == spatial + 1:
        channel_axis = 0 if data_format == "channels_first" else len(shape) - 1
    else:
        channel_axis = None
    return InputSpec(shape, data_format, channel_axis)


def check_images(func: str, spec: InputSpec, images: object, name: str = "images") -> np.ndarray:
    """Return *images* as a numpy array shaped for *spec*, without copying it.

    The kind, size and shape are checked here; the values (finite?) are checked batch by
    batch in :func:`float_batches`, so a large or memory-mapped array is never copied
    whole. Integer images (e.g. uint8 pixels 0-255) are used with their values
    unchanged, and an :class:`InterpWarning` says so when they exceed 1.
    """
    try:
        array = images if isinstance(images, np.ndarray) else np.asarray(images)
    except (TypeError, ValueError) as err:  # ragged nested lists and the like
        raise TypeError(f"{func}: {name} must be array-like, got {describe(images)}") from err
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{func}: {name} must hold real numbers (integer or floating dtype), "
            f"got {describe(array)}"
        )
    if array.size == 0:
        raise ValueError(f"{func}: {name} must not be empty, got {describe(array)}")
    if array.ndim != len(spec.shape) + 1 or any(
        want is not None and want != got
        for want, got in zip(spec.shape, array.shape[1:], strict=False)
    ):
        hint = ""
        if array.ndim == len(spec.shape) and all(
            w is None or w == g for w, g in zip(spec.shape, array.shape, strict=True)
        ):
            hint = "; for one image add a batch axis: images[np.newaxis]"
        raise ValueError(
            f"{func}: {name} must be a batch shaped {spec.batch()} for this model, "
            f"got {describe(array)}{hint}"
        )
    if array.dtype.kind in "iu" and float(array.max()) > 1.0:
        warnings.warn(
            f"{func}: {name} are integers up to {float(array.max()):g} (0-255 pixels?); "
            "they are used as they are. If the model was trained on 0-1 images, pass "
            "images / 255",
            InterpWarning,
            stacklevel=3,
        )
    return array


def float_batches(func: str, array: np.ndarray, batch_size: int,
                  name: str = "images") -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(start, float32 batch)``, checking each batch for NaN and inf."""
    for start in range(0, len(array), batch_size):
        x = np.asarray(array[start:start + batch_size], dtype=np.float32)
        if not np.isfinite(x).all():
            bad = int(x.size - np.count_nonzero(np.isfinite(x)))
            raise ValueError(
                f"{func}: {name} must be finite, got {bad} NaN or inf values among "
                f"{name} {start}..{start + len(x) - 1}"
            )
        yield start, x


def is_stream(images: object) -> bool:
    """Whether *images* is an iterable of batches rather than one array-like batch.

    Generators, iterators and ``tf.data.Dataset`` objects are streams; arrays, lists,
    tuples and tensors are one batch.
    """
    if isinstance(images, (np.ndarray, list, tuple, str, bytes)) or images is None:
        return False
    if hasattr(images, "__array__") or hasattr(images, "shape"):
        return False  # a tensor or another array-like
    return hasattr(images, "__iter__")


def stream_batches(func: str, images: object, name: str = "images") -> Iterator[np.ndarray]:
    """Yield the batches of an iterable, as numpy arrays.

    An element may be a batch, or a ``(batch, labels, ...)`` tuple as a
    ``tf.data.Dataset`` of images and labels yields; the labels are ignored. *name* is
    the argument's name in messages.
    """
    for element in images:
        if isinstance(element, (tuple, list)) and element:
            element = element[0]
        if isinstance(element, dict):
            raise TypeError(f"{func}: {name} must yield arrays or (images, labels) tuples, "
                            f"got a dict with keys {sorted(element)}")
        try:
            batch = keras.ops.convert_to_numpy(element)
        except Exception as err:
            raise TypeError(f"{func}: {name} must yield arrays of images, got "
                            f"{describe(element)}") from err
        if batch.size:
            yield batch


def to_maps(spec: InputSpec, values: np.ndarray) -> np.ndarray:
    """Sum a batch shaped like the input over its channel axis: ``(n, *map_shape)``."""
    if spec.channel_axis is None:
        return values
    return values.sum(axis=1 + spec.channel_axis)


# ---- the head: which output, which final activation ---------------------------------------

def _function_name(function: object) -> str:
    name = getattr(function, "__name__", None) or type(function).__name__
    return str(name).lower()


def _activation_of(op: object) -> str | None:
    """``"softmax"``, ``"sigmoid"``, ``"relu"`` or ``None``: what *op* ends with."""
    kind = type(op).__name__.lower()
    if kind in ("softmax",):
        return "softmax"
    if kind in ("sigmoid",):
        return "sigmoid"
    if kind in ("relu",) and not isinstance(op, keras.layers.Layer):
        return "relu"
    if isinstance(op, keras.layers.ReLU):
        plain = (getattr(op, "max_value", None) is None and not getattr(op, "negative_slope", 0)
                 and not getattr(op, "threshold", 0))
        return "relu" if plain else None
    activation = getattr(op, "activation", None)
    if activation is None:
        return None
    name = _function_name(activation)
    if name in SOFTMAX_NAMES:
        return "softmax"
    if name in SIGMOID_NAMES:
        return "sigmoid"
    if name in RELU_NAMES:
        return "relu"
    return None


def _whole_op(op: object) -> bool:
    """Whether *op* is nothing but its activation (a Softmax/Activation/ReLU layer or op)."""
    if isinstance(op, (keras.layers.Activation, keras.layers.Softmax, keras.layers.ReLU)):
        return True
    return not isinstance(op, keras.layers.Layer)  # a keras.ops operation in a graph


def _final_op(model: keras.Model, output: int) -> object:
    """Return the operation that makes output *output* of *model*, nested models included."""
    if isinstance(model, keras.Sequential):
        last = model.layers[-1]
    else:
        history = getattr(model.outputs[output], "_keras_history", None)
        if history is None:  # pragma: no cover - every graph output has a history
            return None
        last = history.operation
        if isinstance(last, keras.Model) and is_graph(last):
            return _final_op(last, history.tensor_index)
    if isinstance(last, keras.Model) and is_graph(last):
        return _final_op(last, 0)
    return last


def output_names(model: keras.Model) -> list[str]:
    """Return the names of a graph model's outputs."""
    if isinstance(model, keras.Sequential) or not is_graph(model):
        return [model.name]
    names = []
    for i, tensor in enumerate(model.outputs):
        history = getattr(tensor, "_keras_history", None)
        names.append(history.operation.name if history is not None else f"output_{i}")
    return names


def resolve_output(func: str, model: keras.Model, output: object) -> int:
    """Return the index of the chosen output; a multi-output model must say which."""
    n = len(model.outputs) if is_graph(model) and not isinstance(model, keras.Sequential) else 1
    names = output_names(model)
    if output is None:
        if n > 1:
            raise ValueError(
                f"{func}: model {model.name!r} has {n} outputs {names}; choose one with "
                f"output=<index> (0..{n - 1}) or output=<name>"
            )
        return 0
    if isinstance(output, str):
        if output not in names:
            raise ValueError(f"{func}: output must be one of {names} or an index, got {output!r}")
        return names.index(output)
    if isinstance(output, numbers.Integral) and not isinstance(output, bool):
        if not -n <= int(output) < n:
            raise IndexError(
                f"{func}: output={int(output)} is out of range for a model with {n} "
                f"output(s); allowed {-n}..{n - 1}"
            )
        return int(output) % n
    raise TypeError(
        f"{func}: output must be None, an int or an output name, got {describe(output)}"
    )


# ---- copies of layers without their activation (the user's model is never changed) ------

_TWINS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_TWIN_LOCK = threading.Lock()


def _bare_twin(layer: keras.layers.Layer) -> keras.layers.Layer | None:
    """Return a copy of *layer* with a linear activation, built once and kept beside it.

    The copy's variables never hold the weights that count: every compiled function runs
    inside a ``keras.StatelessScope`` that maps them to the layer's own variables
    (:meth:`Runner.copy_pairs`), so a copy can never go stale when the user's weights
    change. It gets a copy of the current weights when it is made all the same. ``None``
    if the layer cannot be rebuilt from its config. :func:`forget` drops the copies of a
    model's layers when the model changes (their config may have changed with it).
    """
    with _TWIN_LOCK:
        twin = _TWINS.get(layer)
        if twin is None:
            try:
                config = {**layer.get_config(), "activation": "linear"}
                config.pop("name", None)
                with keep_random_state():
                    twin = type(layer).from_config(config)
                    twin.build(**layer._build_shapes_dict)
            except Exception:  # a custom layer that cannot be rebuilt from its config
                return None
            if len(twin.weights) != len(layer.weights) or any(
                    tuple(t.shape) != tuple(o.shape)
                    for t, o in zip(twin.weights, layer.weights, strict=True)):
                return None  # pragma: no cover - defensive
            copy_weights(layer, twin)
            _TWINS[layer] = twin
        return twin


# ---- the user's random state, and copies that hold every variable -------------------------

@contextlib.contextmanager
def keep_random_state() -> Iterator[None]:
    """Leave Python's, numpy's and Keras's global random state as they were.

    Making a layer draws from them: Keras seeds a new layer's ``SeedGenerator`` and
    unseeded initializers from Python's ``random``, and draws a new weight's first value
    from its global ``SeedGenerator``. interp makes layers of its own (copies of a model or
    of a layer), and a user's seeded run must not depend on whether it did. (PyTorch's
    global generator is kept too, where Keras runs on it.)
    """
    from keras.src.backend.common import global_state

    key = "global_seed_generator"  # keras.src.random.seed_generator.GLOBAL_SEED_GENERATOR
    # numpy's legacy global generator is the user's state to keep, so it is read here
    python_state, numpy_state = random.getstate(), np.random.get_state()  # noqa: NPY002
    generator = global_state.get_global_attribute(key)
    seed_state = (None if generator is None
                  else np.array(keras.ops.convert_to_numpy(generator.state.value), copy=True))
    torch_state = None
    if backend() == "torch":
        import torch

        torch_state = torch.random.get_rng_state()
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)  # noqa: NPY002
        global_state.set_global_attribute(key, generator)
        if generator is not None:
            generator.state.assign(seed_state)
        if torch_state is not None:
            import torch

            torch.random.set_rng_state(torch_state)


def finalize(layer: keras.layers.Layer) -> None:
    """Let *layer* and the layers inside it recompute what they derive from their variables.

    An adapted ``Normalization`` layer computes with tensors its ``finalize_state`` made from
    its ``mean`` and ``variance`` variables; ``set_weights`` changes the variables only.
    """
    for inner in layer._flatten_layers(include_self=True, recursive=True):
        method = getattr(inner, "finalize_state", None)
        if callable(method) and getattr(inner, "built", False):
            method()


def copy_weights(source: keras.layers.Layer, target: keras.layers.Layer) -> None:
    """Give *target* (a copy of *source*) every variable value of *source*, then finalize it."""
    target.set_weights(source.get_weights())
    finalize(target)


# ---- the forward walk --------------------------------------------------------------------

#: The names TensorFlow accepts for a name scope (its op-name pattern, the stricter one).
TF_NAME = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\\/>-]*$")


def _call(op: object, *args, **kwargs):
    if not isinstance(op, keras.layers.Layer):
        return op(*args, **kwargs)
    if getattr(op, "_call_has_training_arg", False):
        kwargs.setdefault("training", False)
    if TF_NAME.match(op.name) or backend() != "tensorflow":
        return op(*args, **kwargs)
    # Keras opens a TensorFlow name scope named after the layer, and TensorFlow refuses
    # names outside TF_NAME (non-ASCII letters, spaces, '<') while it traces. Keras does
    # not open a layer's scope again inside a scope of the same layer and name, so a scope
    # of Keras's own (which touches no TensorFlow scope) is opened first.
    from keras.src.backend.common.name_scope import name_scope

    with name_scope(op.name, caller=op):
        return op(*args, **kwargs)


_SCOPE_ERROR = re.compile(r"'(.*?)' is not a valid (?:root )?scope name")


def _explain_scope_error(func: str, err: Exception) -> Exception | None:
    """Return a clear error for TensorFlow's refusal of a layer name in a trace, or ``None``."""
    found = _SCOPE_ERROR.search(str(err))
    if found is None:
        return None
    return ValueError(
        f"{func}: TensorFlow cannot run the layer named {found.group(1)!r} inside a "
        "compiled function: it takes a layer's name as a name scope and allows only ASCII "
        "letters, digits and the characters _ . - / \\ > (starting with a letter, a digit "
        "or '.'). interp runs such layers of a Sequential or Functional model itself, but "
        "not those inside a subclassed model or layer; rename the layer (e.g. rebuild it "
        "with name='conv_1')"
    )


def forward(
    model: keras.Model,
    x,
    *,
    taps: Sequence[keras.layers.Layer] = (),
    replace: dict[int, Callable] | None = None,
    output: int = 0,
    found: dict[int, object] | None = None,
    stop_early: bool = False,
    observe: Callable[[object, tuple, object], None] | None = None,
):
    """Run *model* on tensor *x* layer by layer and return output *output*.

    The output of every layer in *taps* is stored in *found* under ``id(layer)``.
    *replace* maps ``id(op)`` to a function called instead of that operation. With
    *stop_early*, a Sequential model stops once every tap is found (the return value is
    then meaningless). *observe*, if given, is called as ``observe(op, args, output)``
    after every operation that is not itself a nested model.
    """
    replace = replace or {}
    found = {} if found is None else found
    wanted = {id(layer) for layer in taps}

    def run(op, *args, **kwargs):
        if isinstance(op, keras.Model) and is_graph(op):
            out = forward(op, args[0], taps=taps, replace=replace, found=found,
                          observe=observe)
        else:
            if id(op) in replace:
                out = replace[id(op)](*args, **kwargs)
            else:
                out = _call(op, *args, **kwargs)
            if observe is not None:
                observe(op, (args, kwargs), out)
        if id(op) in wanted:
            found[id(op)] = out
        return out

    if isinstance(model, keras.Sequential):
        for layer in model.layers:
            x = run(layer, x)
            if stop_early and wanted and wanted <= found.keys():
                return None
        return x
    if is_graph(model):
        outputs = model._run_through_graph(
            x, operation_fn=lambda op: lambda *a, **k: run(op, *a, **k))
        flat = keras.tree.flatten(outputs)
        return flat[output]
    out = _call(model, x)  # subclassed: one opaque step
    flat = keras.tree.flatten(out)
    return flat[output]


# ---- the runner ---------------------------------------------------------------------------

@dataclasses.dataclass
class Head:
    """How the chosen output turns logits into scores."""

    activation: str | None  # "softmax", "sigmoid" or None (the output is the logits)
    units: int
    replacement: dict[int, Callable]  # what forward() must swap to produce logits
    stripped: bool  # whether the logits are really pre-activation values

    @property
    def binary(self) -> bool:
        """One sigmoid unit: two classes, 0 and 1."""
        return self.activation == "sigmoid" and self.units == 1

    @property
    def n_classes(self) -> int:
        """How many classes ``target`` may name."""
        return 2 if self.binary else self.units


# ---- what interp keeps per model: compiled functions, a float32 copy -------------------

#: Compute dtypes whose gradients interp takes on a float32 copy instead.
LOW_PRECISION = frozenset({"float16", "bfloat16"})


def _operations(model: keras.Model) -> list:
    """Every layer of *model* (nested and inner layers too) and every op of its graphs."""
    found: dict[int, object] = {}
    for layer in model._flatten_layers(include_self=False, recursive=True):
        found.setdefault(id(layer), layer)
        if isinstance(layer, keras.Model):
            for op in getattr(layer, "_operations", ()):
                found.setdefault(id(op), op)
    for op in getattr(model, "_operations", ()):
        found.setdefault(id(op), op)
    return list(found.values())


def _dependencies(model: keras.Model, ops: list) -> list:
    """Return what a trace of *model* depends on, beyond its variables' values.

    The model and its layer list, and every attribute of every layer or op (its activation
    function, strides, padding, dtype policy, trainable flag, the tensors an adapted
    ``Normalization`` computes with, ...), each as the object it is bound to. Keras binds
    a new object when such a setting changes (``layer.activation = ...``), and leaves them
    alone when it runs, predicts or trains a model; a model's own attributes (its
    ``predict_function``, its optimizer) are left out.
    """
    items: list = [model, *ops]
    for op in ops:
        if not isinstance(op, keras.Model):
            items.extend(vars(op).values())
    return items


def _low_precision(model: keras.Model, ops: list | None = None) -> list[keras.layers.Layer]:
    """Return the layers of *model* that compute in float16 or bfloat16.

    A subclassed model's own policy counts too (its ``__call__`` casts its input to it);
    a graph model's does not (interp runs its layers one by one).
    """
    ops = _operations(model) if ops is None else ops
    candidates = ops if is_graph(model) else [model, *ops]
    return [op for op in candidates if isinstance(op, keras.layers.Layer)
            and not isinstance(op, keras.layers.InputLayer)
            and getattr(op, "compute_dtype", None) in LOW_PRECISION]


class ModelState:
    """What interp keeps for one model: compiled functions and a float32 copy.

    Valid while the model's :func:`_dependencies` are the same objects; :func:`model_state`
    makes a new one when they are not.
    """

    def __init__(self, model: keras.Model) -> None:
        self.ops = _operations(model)
        self.held = _dependencies(model, self.ops)
        self.compiled: dict = {}
        self.low = _low_precision(model, self.ops)
        self.net: keras.Model | None = None  # the float32 copy, made when first needed
        self.net_pairs: list[tuple[keras.Variable, keras.Variable]] = []
        self.net_layers: dict[int, keras.layers.Layer] = {}
        self.lock = threading.Lock()

    def current(self, model: keras.Model) -> bool:
        """Whether *model* is still what this state was made for."""
        now = _dependencies(model, _operations(model))
        return len(now) == len(self.held) and all(map(operator.is_, now, self.held))

    # A copy or a pickle of the model starts without interp's state (compiled functions
    # can be neither copied nor pickled): the attribute reads None there.
    def __deepcopy__(self, memo: dict) -> None:
        return None

    def __copy__(self) -> None:
        return None

    def __reduce__(self):
        return type(None), ()


#: The model's attribute that holds its :class:`ModelState`. The state holds the model
#: (its compiled functions run it), so a table of states outside the model would keep
#: every model interp has seen alive for good; on the model, the two are freed together.
#: It is set past Keras's attribute tracking (``object.__setattr__``): the model's
#: config, weights, layers, saving and ``clone_model`` do not see it.
_STATE_ATTRIBUTE = "_interp_state"
_STATE_LOCK = threading.Lock()


def model_state(model: keras.Model) -> ModelState:
    """Return what interp keeps for *model*, made again if the model changed since.

    Compiled functions bake in what they traced: a layer's activation function, its
    config, the layer list. When any of those is no longer the object it was (e.g.
    ``model.layers[-1].activation = keras.activations.sigmoid``), every compiled function,
    the float32 copy and the bare copies of the model's layers are dropped and made again
    when next needed. Changed *weights* need none of that: compiled functions read the
    variables when they run. The check compares every layer attribute by identity: about
    20 microseconds per call for the course's four-layer network, under 1 ms for a
    ResNet50 (177 layers), on two shared CPU cores.
    """
    with _STATE_LOCK:
        state = vars(model).get(_STATE_ATTRIBUTE)
        if state is not None and state.current(model):
            return state
        if state is not None:
            forget(model)
        state = ModelState(model)
        object.__setattr__(model, _STATE_ATTRIBUTE, state)
        return state


def forget(model: keras.Model) -> None:
    """Drop what interp keeps for *model* (its compiled functions, copies of its layers)."""
    state = vars(model).pop(_STATE_ATTRIBUTE, None)
    if state is None:
        return
    with _TWIN_LOCK:
        for op in state.ops:
            if isinstance(op, keras.layers.Layer):
                _TWINS.pop(op, None)


@contextlib.contextmanager
def _global_policy(name: str) -> Iterator[None]:
    """Make new layers compute in *name* in this thread (Keras's policy is per thread)."""
    from keras.src.backend.common import global_state

    before = global_state.get_global_attribute("dtype_policy")
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        global_state.set_global_attribute("dtype_policy", before)


def _describe_low(layers: Sequence[keras.layers.Layer]) -> str:
    names = [f"{layer.name!r} ({layer.compute_dtype})" for layer in layers[:3]]
    more = f" and {len(layers) - 3} more" if len(layers) > 3 else ""
    return ", ".join(names) + more


def float32_copy(func: str, model: keras.Model, spec: InputSpec) -> tuple[
        keras.Model, list[tuple[keras.Variable, keras.Variable]]]:
    """Return a copy of *model* that computes in float32, and its variables' sources.

    Every layer whose dtype policy computes in float16 or bfloat16 (``mixed_float16``,
    ``mixed_bfloat16``, ``float16``...) is rebuilt from its config with the ``float32``
    policy; the copy holds the model's weights, cast up. The second result pairs each of
    the copy's variables with the model's variable it stands for: compiled functions read
    the model's current values through them, so the copy never goes stale. The user's
    model is not changed. A clear ``TypeError`` if the copy cannot be made.
    """
    low = _low_precision(model)

    def float32_layer(layer):
        config = layer.get_config()
        policy = getattr(layer, "dtype_policy", None)
        if policy is not None and (policy.compute_dtype in LOW_PRECISION
                                   or policy.variable_dtype in LOW_PRECISION):
            config["dtype"] = "float32"
        return type(layer).from_config(config)

    def refuse(why: str, err: Exception | None = None) -> TypeError:
        cause = f": {type(err).__name__}: {err}" if err is not None else ""
        return TypeError(
            f"{func}: model {model.name!r} computes in low precision (layers "
            f"{_describe_low(low)}), whose gradients underflow to zero, so interp takes "
            f"them on a float32 copy of it; {why}{cause}. Build the model under the "
            "float32 policy (keras.config.set_dtype_policy('float32')) and copy the "
            "weights into it with set_weights"
        )

    with keep_random_state(), _global_policy("float32"):
        try:
            if is_graph(model):
                copy = keras.models.clone_model(model, clone_function=float32_layer,
                                                recursive=True)
            else:  # rebuilt from its config: its layers take the float32 policy
                config = keras.saving.serialize_keras_object(model)
                if isinstance(config.get("config"), dict) and "dtype" in config["config"]:
                    config["config"]["dtype"] = "float32"
                copy = keras.saving.deserialize_keras_object(
                    config, custom_objects={type(model).__name__: type(model)})
                copy(keras.KerasTensor((1, *[1 if d is None else d for d in spec.shape])))
        except Exception as err:
            raise refuse("the copy could not be made", err) from err
    left = _low_precision(copy)
    if left:
        raise refuse(f"layers {_describe_low(left)} of the copy still compute in low "
                     "precision (their code sets their dtype)")
    ours, theirs = copy.weights, model.weights
    if len(ours) != len(theirs) or any(
            a.name != b.name or tuple(a.shape) != tuple(b.shape)
            for a, b in zip(ours, theirs, strict=True)):
        raise refuse("the copy's variables do not match the model's")
    copy_weights(model, copy)
    return copy, list(zip(ours, theirs, strict=True))


#: A target that stands for "the class this image's own forward pass predicts".
PREDICTED = -1


def _needs_xla(data_format: str) -> bool:
    """Whether TensorFlow must compile a ``channels_first`` model with XLA to run it.

    TensorFlow's own CPU kernels run convolutions and pooling on ``(n, h, w, c)`` only
    ("The Conv2D op currently only supports the NHWC tensor format on the CPU"). Where
    oneDNN is on (TensorFlow's default only on CPUs with AVX-512 extensions such as
    AVX512_VNNI) they take ``(n, c, h, w)`` as well; elsewhere, on an AVX2 CPU for
    instance, Keras's own ``model(x)`` fails on a ``channels_first`` model. XLA
    compiles either layout on every CPU, so interp compiles such a model with it when
    TensorFlow sees no GPU. The results are the same to float32 round-off.
    """
    return data_format == "channels_first" and not _tensorflow_sees_a_gpu()


@functools.cache
def _tensorflow_sees_a_gpu() -> bool:
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def _quiet_first_call(fn: Callable) -> Callable:
    """Trace *fn* on its first call without TensorFlow's "frequent retracing" warning.

    Each model gets its own compiled function, traced once. TensorFlow counts traces by
    the Python code they come from, so a loop over many models (the randomized copies of
    a sanity check) looks to it like one function retracing, and it warns. Here every
    trace is a first trace of its own function, so that warning is noise.
    """
    import logging

    traced = False

    def call(*args):
        nonlocal traced
        if traced:
            return fn(*args)
        logger = logging.getLogger("tensorflow")
        level = logger.level
        logger.setLevel(logging.ERROR)
        try:
            return fn(*args)
        finally:
            logger.setLevel(level)
            traced = True

    return call


def bucket(n: int) -> int:
    """Return the batch size a JAX-compiled function runs at for *n* images: a power of two.

    A short last batch is padded up to it, so a call compiles at most once per power of
    two (not once per batch size), and wastes less than half of one batch.
    """
    return 1 << max(0, int(n) - 1).bit_length()


def _pad(array, size: int):
    extra = size - array.shape[0]
    if extra == 0:
        return array
    if isinstance(array, np.ndarray):
        return np.concatenate([array, np.zeros((extra, *array.shape[1:]), array.dtype)])
    import jax.numpy as jnp

    return jnp.concatenate([array, jnp.zeros((extra, *array.shape[1:]), array.dtype)])


def _model_variables(model: keras.Model) -> list[keras.Variable]:
    """Every variable a forward pass of *model* may read, each once."""
    found: dict[int, keras.Variable] = {}
    for variable in model.variables:
        found.setdefault(id(variable), variable)
    if is_graph(model):
        for _, layer in walk(model):
            for variable in layer.variables:
                found.setdefault(id(variable), variable)
    return list(found.values())


#: Images per call of a JAX-compiled function. XLA on a CPU ran the course model's
#: gradient fastest in small batches (per 1,000 images: 126 ms at 64, 147 ms at 256,
#: 196 ms at 1,024, on two CPU cores), so
#: larger batches are cut into chunks of this size; a short one is padded to a power of two.
JAX_CHUNK = 64


class _JaxCompiled:
    """``jax.jit`` of a forward or gradient function, weights passed in on every call.

    Inside the jitted function a ``keras.StatelessScope`` maps every variable of the model
    (and of interp's copies, *pairs*: see :meth:`Runner.copy_pairs`) to values given as
    arguments, so no weight is baked in as a constant: a cached function stays right
    when the weights change (training, ``set_weights``). Batches are padded to
    :func:`bucket` sizes, so a short last batch does not compile anew.
    """

    def __init__(self, fn: Callable, model: keras.Model,
                 pairs: Sequence[tuple[keras.Variable, keras.Variable]], *,
                 batch_axis: int = 0) -> None:
        import jax

        self.batch_axis = batch_axis  # of the outputs: the inputs' is 0
        self.variables = _model_variables(model)
        index = {id(v): i for i, v in enumerate(self.variables)}
        pairs = [(copy, index[id(source)]) for copy, source in pairs
                 if id(source) in index]

        def pure(values, *args):
            mapping = [*zip(self.variables, values, strict=True),
                       *((copy, values[i]) for copy, i in pairs)]
            with keras.StatelessScope(state_mapping=mapping):
                return fn(*args)

        self.pure = pure
        self.jitted = jax.jit(pure)

    def __call__(self, *args):
        import jax

        n = int(args[0].shape[0])
        values = [v.value for v in self.variables]
        axis = self.batch_axis
        if n > JAX_CHUNK:  # in chunks, concatenated on the host
            parts = [self(*(a[i:i + JAX_CHUNK] for a in args)) for i in range(0, n, JAX_CHUNK)]
            return jax.tree.map(
                lambda *p: np.concatenate([np.asarray(t) for t in p], axis=axis), *parts)
        size = bucket(n)
        out = self.jitted(values, *(_pad(a, size) for a in args))
        if size == n:
            return out
        return jax.tree.map(lambda t: t[(slice(None),) * axis + (slice(0, n),)], out)


class _JaxSharded(_JaxCompiled):
    """:class:`_JaxCompiled` run data-parallel by a ``keras.distribution.DataParallel``.

    The weights are replicated on every device of the distribution's mesh; each call
    takes this process's part of a global batch (its rows, padded by the caller to the
    same number on every process, a multiple of its devices), shards it over the mesh
    with the distribution's data layout (``jax.make_array_from_process_local_data``, as
    Keras's trainer does) and returns this process's rows of every output, whose batch
    axis is :attr:`batch_axis`. With several processes, every process must make the same
    calls with the same shapes: they form one program (JAX's multi-controller model).
    """

    def __init__(self, fn: Callable, model: keras.Model,
                 pairs: Sequence[tuple[keras.Variable, keras.Variable]], *,
                 batch_axis: int, distribution: object) -> None:
        import jax
        from jax.sharding import NamedSharding, PartitionSpec

        super().__init__(fn, model, pairs, batch_axis=batch_axis)
        self.distribution = distribution
        self.mesh = distribution.device_mesh.backend_mesh
        name = distribution.batch_dim_name
        self.local_devices = sum(1 for d in self.mesh.devices.flat
                                 if d.process_index == jax.process_index())
        out_spec = [None] * (batch_axis + 1)
        out_spec[batch_axis] = name
        self.out_sharding = NamedSharding(self.mesh, PartitionSpec(*out_spec))
        self.replicated = NamedSharding(self.mesh, PartitionSpec())
        self.jitted = jax.jit(self.pure, out_shardings=self.out_sharding)
        self._weights = None

    def _replicated_weights(self) -> list:
        import jax

        values = [np.asarray(keras.ops.convert_to_numpy(v.value)) for v in self.variables]
        return [jax.make_array_from_callback(value.shape, self.replicated,
                                             lambda index, value=value: value[index])
                for value in values]

    def __call__(self, x: np.ndarray):
        """Run this process's rows *x* and return its rows of the outputs.

        The rows go in chunks of :data:`JAX_CHUNK` per device, a short one padded to a
        power of two per device. Every process must pass the same number of rows.
        """
        import jax

        if self._weights is None:  # the weights of one run do not change
            self._weights = self._replicated_weights()
        n, axis = int(x.shape[0]), self.batch_axis
        chunk = JAX_CHUNK * self.local_devices
        parts = []
        for start in range(0, n, chunk):
            piece = x[start:start + chunk]
            rows = len(piece)
            piece = _pad(piece, self.local_devices * bucket(-(-rows // self.local_devices)))
            layout = self.distribution.get_data_layout(
                (len(piece) * jax.process_count(), *piece.shape[1:]))
            batch = jax.make_array_from_process_local_data(layout.backend_layout, piece)
            out = self.jitted(self._weights, batch)
            keep = (slice(None),) * axis + (slice(0, rows),)
            parts.append([self._local(t)[keep] for t in out])
        return [np.concatenate(p, axis=axis) for p in zip(*parts, strict=True)]

    def _local(self, tensor) -> np.ndarray:
        """Return this process's rows of a sharded output, in the global batch's order."""
        if tensor.is_fully_addressable:
            return np.asarray(tensor)
        axis = self.batch_axis
        shards = sorted(tensor.addressable_shards, key=lambda s: s.index[axis].start or 0)
        seen, pieces = set(), []
        for shard in shards:
            start = shard.index[axis].start or 0
            if start not in seen:  # a replica of the same rows on another device
                seen.add(start)
                pieces.append(np.asarray(shard.data))
        return np.concatenate(pieces, axis=axis)


def _scoped(fn: Callable, pairs: Sequence[tuple[keras.Variable, keras.Variable]]) -> Callable:
    """Run *fn* with interp's copies reading the current values of the variables they copy."""
    pairs = list(pairs)
    if not pairs:
        return fn

    def call(*args):
        with keras.StatelessScope(state_mapping=pairs):
            return fn(*args)

    return call


def _torch_compiled(fn: Callable, *, differentiates: bool) -> Callable:
    """Run *fn* eagerly on torch tensors; without autograd unless it takes gradients."""
    import torch

    def call(x, *rest):
        x = x if isinstance(x, np.ndarray) else keras.ops.convert_to_numpy(x)
        args = [torch.as_tensor(np.asarray(x, np.float32)),
                *(torch.as_tensor(np.asarray(r, np.int64)) for r in rest)]
        if differentiates:
            return fn(*args)
        with torch.no_grad():
            return fn(*args)

    return call


def _clear_errors(func: str, fn: Callable) -> Callable:
    """Run *fn*, turning TensorFlow's refusal of a layer name into a clear error.

    A name scope that fails to open stays on Keras's own stack of scopes (it is pushed
    before TensorFlow checks the name), and every variable made later in the thread
    would be named under it; the stack is put back as it was when *fn* fails.
    """
    from keras.src.backend.common import global_state

    def call(*args):
        stack = global_state.get_global_attribute("name_scope_stack")
        depth = len(stack) if isinstance(stack, list) else 0
        try:
            return fn(*args)
        except BaseException as err:
            stack = global_state.get_global_attribute("name_scope_stack")
            if isinstance(stack, list):
                del stack[depth:]
            clear = _explain_scope_error(func, err) if isinstance(err, ValueError) else None
            if clear is None:
                raise
            raise clear from None

    return call


_GUIDED: dict[str, Callable] = {}


def guided_relu(func: str) -> Callable:
    """ReLU whose gradient passes only positive gradients where its input is positive.

    Guided backpropagation's ReLU, with a custom gradient in the backend's own terms:
    ``tf.custom_gradient``, ``jax.custom_vjp`` or a ``torch.autograd.Function``.
    """
    name = require_backend(func)
    if name in _GUIDED:
        return _GUIDED[name]
    if name == "tensorflow":
        import tensorflow as tf

        @tf.custom_gradient
        def relu(x):
            def grad(dy):
                return dy * tf.cast(x > 0, dy.dtype) * tf.cast(dy > 0, dy.dtype)

            return tf.nn.relu(x), grad

    elif name == "jax":
        import jax
        import jax.numpy as jnp

        @jax.custom_vjp
        def relu(x):
            return jnp.maximum(x, 0)

        def forward_pass(x):
            return jnp.maximum(x, 0), x

        def backward_pass(x, dy):
            return (dy * (x > 0).astype(dy.dtype) * (dy > 0).astype(dy.dtype),)

        relu.defvjp(forward_pass, backward_pass)
    else:
        import torch

        class GuidedReLU(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x.clamp(min=0)

            @staticmethod
            def backward(ctx, dy):
                (x,) = ctx.saved_tensors
                return dy * (x > 0).to(dy.dtype) * (dy > 0).to(dy.dtype)

        relu = GuidedReLU.apply
    _GUIDED[name] = relu
    return relu


def vjp(fn: Callable, x, cotangent):
    """Return ``d/dx sum(fn(x) * cotangent)``, *fn*'s vector-Jacobian product at *x*.

    For use inside a function compiled by :meth:`Runner.function`; taken by
    ``tf.GradientTape``, ``jax.vjp`` or ``torch.autograd.grad`` (with autograd switched on
    for this product alone, so the rest of the function may run without it). For a linear
    *fn* it is *fn*'s transpose applied to *cotangent*: a convolution's transpose, a
    pooling layer's routing of each window's value back to its inputs.
    """
    name = backend()
    if name == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn(x)
        return tape.gradient(y, x, output_gradients=cotangent)
    if name == "jax":
        import jax

        _, pull = jax.vjp(fn, x)
        return pull(cotangent)[0]
    import torch

    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(fn(x), [x], grad_outputs=cotangent)
    return grad


class Runner:
    """Everything interp needs to run one user's model, checked once per call.

    Parameters
    ----------
    func : str
        The public function being served, for messages.
    model : keras.Model
        The user's model; never changed.
    output : None, int or str
        Which output of a multi-output model.
    graph : bool
        Whether the caller needs to reach layers inside the model (refused clearly for
        subclassed models).

    Forward and backward passes run :attr:`net`: the model itself, or a float32 copy of
    it when it computes in float16 or bfloat16 (see :func:`float32_copy`).

    """

    def __init__(self, func: str, model: object, *, output: object = None,
                 graph: bool = False) -> None:
        self.func = func
        self.model = check_model(func, model)
        if graph and not is_graph(self.model):
            raise TypeError(
                f"{func}: cannot reach the layers inside subclassed model {self.model.name!r} "
                f"({type(self.model).__name__}): Keras runs its call() as one step. Rebuild "
                "it as a Sequential or Functional model to look inside"
            )
        self.spec = input_spec(func, self.model)
        self.output = resolve_output(func, self.model, output)
        self._head: Head | None = None
        self._state = model_state(self.model)  # made again if the model changed

    @property
    def net(self) -> keras.Model:
        """The model the passes run: the user's, or its float32 copy (low precision)."""
        state = self._state
        if not state.low:
            return self.model
        with state.lock:
            if state.net is None:
                net, pairs = float32_copy(self.func, self.model, self.spec)
                mine, theirs = walk(self.model), walk(net)  # the same layers, in order
                if [type(a) for _, a in mine] != [type(b) for _, b in theirs]:
                    raise TypeError(  # pragma: no cover - clone_model keeps the structure
                        f"{self.func}: the float32 copy of model {self.model.name!r} does "
                        "not have its layers")
                state.net_layers = {id(a): b for (_, a), (_, b)
                                    in zip(mine, theirs, strict=True)}
                state.net_pairs = pairs
                state.net = net
        return state.net

    def on_net(self, layer: keras.layers.Layer) -> keras.layers.Layer:
        """Return the layer of :attr:`net` that stands for *layer* of the user's model."""
        if self.net is self.model:
            return layer
        return self._state.net_layers.get(id(layer), layer)

    def copy_pairs(self) -> list[tuple[keras.Variable, keras.Variable]]:
        """``(variable of one of interp's copies, the user's variable it stands for)``.

        The float32 copy's variables and those of the bare copies of :attr:`net`'s layers
        (whose own variables may be the float32 copy's: then the user's variable behind
        it). Compiled functions map each copy's variable to its source's current value.
        """
        net = self.net
        pairs = list(self._state.net_pairs) if net is not self.model else []
        source = {id(mine): theirs for mine, theirs in pairs}
        for _, layer in walk(net):
            twin = _TWINS.get(layer)
            if twin is not None:
                pairs.extend((mine, source.get(id(theirs), theirs)) for mine, theirs
                             in zip(twin.weights, layer.weights, strict=True))
        return pairs

    # -- images and targets --
    def images(self, images: object, name: str = "images") -> np.ndarray:
        """Check *images* against the input spec (see :func:`check_images`)."""
        return check_images(self.func, self.spec, images, name)

    def batches(self, images: np.ndarray, batch_size: int,
                name: str = "images") -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(start, float32 batch)`` of checked images."""
        return float_batches(self.func, images, batch_size, name)

    def maps(self, values: np.ndarray) -> np.ndarray:
        """Sum an input-shaped batch over the channel axis."""
        return to_maps(self.spec, values)

    @property
    def head(self) -> Head:
        """The final activation of the chosen output and how to skip it."""
        if self._head is None:
            self._head = self._find_head()
        return self._head

    def _find_head(self) -> Head:
        model = self.net
        units = self._units()
        if not is_graph(model):
            return Head(None, units, {}, stripped=False)
        op = _final_op(model, self.output)
        activation = _activation_of(op)
        if activation not in ("softmax", "sigmoid"):
            return Head(None, units, {}, stripped=True)
        if _whole_op(op):
            return Head(activation, units, {id(op): lambda x, *a, **k: x}, stripped=True)
        twin = _bare_twin(op)
        if twin is None:
            warnings.warn(
                f"{self.func}: the last layer {op.name!r} ends in a {activation} but cannot "
                "be copied without it; gradients explain its output as given "
                "(probabilities), not logits",
                InterpWarning,
                stacklevel=4,
            )
            return Head(activation, units, {}, stripped=False)
        return Head(activation, units, {id(op): lambda *a, **k: _call(twin, *a, **k)},
                    stripped=True)

    def _units(self) -> int:
        try:
            if is_graph(self.model):
                shape = self.model.outputs[self.output].shape
            else:
                shape = self._probe_shape()
        except (AttributeError, IndexError):
            shape = self._probe_shape()
        if len(shape) != 2 or shape[-1] is None:
            raise ValueError(
                f"{self.func}: the model's output must be class scores shaped (n, classes), "
                f"got shape {tuple(shape)}"
            )
        return int(shape[-1])

    def _probe_shape(self) -> tuple:
        shape = tuple(1 if d is None else d for d in self.spec.shape)
        out = forward(self.model, keras.ops.zeros((1, *shape)), output=self.output)
        return tuple(out.shape)

    def check_target(self, images: np.ndarray, target: object, batch_size: int = 256, *,
                     in_pass: bool = False) -> np.ndarray:
        """Return one class index per image; the predicted class where *target* is None.

        With *in_pass*, a ``None`` target becomes :data:`PREDICTED` for every image
        instead: :meth:`gradient` then picks each image's predicted class from the
        forward pass it makes anyway, which saves a separate prediction pass.
        """
        n_classes = self.head.n_classes
        if target is None and in_pass:
            return np.full(len(images), PREDICTED, dtype=np.int64)
        if target is None:
            return self.predict(images, batch_size=batch_size).argmax(axis=1)
        if isinstance(target, str):
            raise TypeError(
                f"{self.func}: target must be None, an int or one int per image, got "
                f"{describe(target)}"
            )
        array = np.asarray(target)
        if array.dtype.kind not in "iu" or array.ndim > 1:
            raise TypeError(
                f"{self.func}: target must be None, an int or one int per image, "
                f"got {describe(target)}"
            )
        if array.ndim == 1 and len(array) != len(images):
            raise ValueError(
                f"{self.func}: target must have one class per image ({len(images)}), "
                f"got {len(array)}"
            )
        if array.size and (array.min() < 0 or array.max() >= n_classes):
            raise ValueError(
                f"{self.func}: target must be a class index in 0..{n_classes - 1}, "
                f"got {describe(target)}"
            )
        return np.broadcast_to(array, (len(images),)).astype(np.int64)

    # -- compiled functions --
    def _compiled(self, key: tuple, build: Callable[[], Callable], *,
                  with_targets: bool = False, differentiates: bool = False,
                  batch_axis: int = 0) -> Callable:
        """Return the function *build* makes, compiled once per model and *key*.

        TensorFlow: a ``tf.function`` whose batch axis is left open in the signature, so
        batches of every size share one trace. JAX: ``jax.jit`` with the weights passed
        in, batches padded to powers of two (:class:`_JaxCompiled`). PyTorch: run
        eagerly, under ``torch.no_grad`` unless it *differentiates*. Every backend runs
        it in a ``keras.StatelessScope`` that points interp's copies (the bare layer
        copies, the float32 copy) at the user's variables (:meth:`copy_pairs`). The cache
        is the model's :class:`ModelState`, made again when the model changes.
        """
        cache = self._state.compiled
        full = (key, self.spec.shape, self.output)
        if full not in cache:
            name = require_backend(self.func, "compiled functions")
            fn = build()  # makes the bare layer copies it uses, before the pairs are read
            if name == "jax":
                fn = _JaxCompiled(fn, self.model, self.copy_pairs(), batch_axis=batch_axis)
            else:
                fn = _scoped(fn, self.copy_pairs())
            if name == "tensorflow":
                import tensorflow as tf

                signature = [tf.TensorSpec((None, *self.spec.shape), tf.float32)]
                if with_targets:
                    signature.append(tf.TensorSpec((None,), tf.int64))
                fn = _quiet_first_call(tf.function(
                    fn, input_signature=signature,
                    jit_compile=_needs_xla(self.spec.data_format)))
            elif name == "torch":
                fn = _torch_compiled(fn, differentiates=differentiates)
            cache[full] = _clear_errors(self.func, fn)
        return cache[full]

    def function(self, key: tuple, build: Callable[[], Callable], *,
                 with_targets: bool = False) -> Callable:
        """Return ``build()`` compiled once per model and *key*, as :meth:`_compiled` does.

        The function takes a float32 batch (and, *with_targets*, one int64 class per
        image) and is run without autograd on PyTorch; it may take products by
        :func:`vjp`. A method's own computation made one compiled step: *key* names the
        method and every setting the trace depends on.
        """
        fn = self._compiled(("function", *key), build, with_targets=with_targets)
        if not with_targets:
            return lambda x: fn(np.asarray(x, np.float32))
        kind = np.int32 if backend() == "jax" else np.int64
        return lambda x, targets: fn(np.asarray(x, np.float32), np.asarray(targets, kind))

    def _logits_tensor(self, x, replace: dict[int, Callable] | None = None,
                       taps: Sequence[keras.layers.Layer] = (), found: dict | None = None):
        head = self.head
        swap = dict(head.replacement)
        swap.update(replace or {})
        out = forward(self.net, x, taps=taps, replace=swap, output=self.output, found=found)
        if head.binary:
            out = keras.ops.concatenate([-out, out], axis=1)
        return out

    def scores_fn(self, kind: str) -> Callable:
        """Return a compiled ``x -> scores`` function.

        *kind* is ``"logits"``, ``"probabilities"`` or ``"output"`` (the model's own
        output, unchanged).
        """

        def build():
            if kind != "output":
                _ = self.head  # the bare copy of the last layer, made before any trace

            def fn(x):
                if kind == "output":
                    return forward(self.net, x, output=self.output)
                logits = self._logits_tensor(x)
                if kind == "logits":
                    return logits
                if self.head.activation == "sigmoid" and not self.head.binary:
                    return keras.ops.sigmoid(logits)
                return keras.ops.softmax(logits, axis=-1)

            return fn

        return self._compiled(("scores", kind), build)

    def predict(self, images: np.ndarray, *, kind: str = "logits",
                batch_size: int = 256) -> np.ndarray:
        """Scores for a checked batch, computed *batch_size* images at a time.

        ``kind="probabilities"`` is the softmax of the logits (the sigmoid for a sigmoid
        head; ``[1 - p, p]`` for one sigmoid unit), whether or not the model ends in one.
        """
        fn = self.scores_fn(kind)
        out = [keras.ops.convert_to_numpy(fn(x))
               for _, x in float_batches(self.func, images, batch_size)]
        return np.concatenate(out).astype(np.float32, copy=False)

    def layer_outputs_fn(self, layers: Sequence[keras.layers.Layer]) -> Callable:
        """Return a compiled ``x -> [output of each layer]``, stopping a Sequential early."""
        layers = [self.on_net(layer) for layer in layers]
        net = self.net

        def build():
            def fn(x):
                found: dict[int, object] = {}
                forward(net, x, taps=layers, found=found, stop_early=True,
                        output=self.output)
                return [found[id(layer)] for layer in layers]

            return fn

        return self._compiled(("layers", *(id(layer) for layer in layers)), build)

    def layer_outputs(self, images: np.ndarray, layers: Sequence[keras.layers.Layer],
                      batch_size: int) -> Iterator[tuple[int, list[np.ndarray]]]:
        """Yield ``(start, [numpy output per layer])`` for consecutive batches."""
        fn = self.layer_outputs_fn(layers)
        for start, x in float_batches(self.func, images, batch_size):
            yield start, [keras.ops.convert_to_numpy(out) for out in fn(x)]

    def unit_maps_fn(self, layers: Sequence[keras.layers.Layer],
                     distribution: object = None) -> Callable:
        """Return a compiled ``x -> [each layer's output as (units, n, h, w)]``.

        A layer's output ``(n, h, w, c)`` (or ``(n, c, h, w)`` for ``channels_first``)
        comes out as ``(c, n, h, w)``: each unit's values contiguous, transposed by the
        backend inside the compiled function; ``(n, c)`` comes out as ``(c, n, 1, 1)``.
        With a ``keras.distribution.DataParallel`` (JAX), the function takes this
        process's rows of a global batch and returns its rows of the outputs
        (:class:`_JaxSharded`); it is made anew for each call, so it holds no mesh and no
        copy of the weights afterwards.
        """
        taps = [self.on_net(layer) for layer in layers]
        firsts = [getattr(layer, "data_format", self.spec.data_format) == "channels_first"
                  for layer in layers]
        paths = [layer_path(self.model, layer) for layer in layers]
        net = self.net

        def build():
            def fn(x):
                found: dict[int, object] = {}
                forward(net, x, taps=taps, found=found, stop_early=True,
                        output=self.output)
                outputs = []
                for layer, first, path in zip(taps, firsts, paths, strict=True):
                    out = found[id(layer)]
                    if isinstance(out, (list, tuple, dict)) or len(out.shape) not in (2, 4):
                        shape = (tuple(out.shape) if hasattr(out, "shape") else
                                 f"{type(out).__name__} of tensors")
                        raise ValueError(
                            f"{self.func}: layer {path!r} must output 2-D maps (n, h, w, c) "
                            f"or vectors (n, c), got shape {shape}")
                    outputs.append(_unit_rows(out, first))
                return outputs

            return fn

        if distribution is None:
            return self._compiled(("units", *(id(layer) for layer in taps), *firsts), build,
                                  batch_axis=1)
        fn = build()
        return _clear_errors(self.func, _JaxSharded(fn, self.model, self.copy_pairs(),
                                                    batch_axis=1, distribution=distribution))

    def unit_maps(self, x: np.ndarray, fn: Callable) -> list[np.ndarray]:
        """Run a function from :meth:`unit_maps_fn` on a float32 batch: numpy outputs."""
        return [np.ascontiguousarray(keras.ops.convert_to_numpy(out), dtype=np.float32)
                for out in fn(x)]

    # -- the one gradient --
    def gradient(self, x: np.ndarray, targets: np.ndarray, *,
                 layer: keras.layers.Layer | None = None, guided: bool = False,
                 of: str = "logit", then: Callable | None = None,
                 ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Take the one gradient interp needs, for one batch.

        - ``of="logit"``: d(target logit)/d(input), shaped like *x*; with *layer*, the
          layer's ``(activations, gradients)`` instead.
        - ``of="activation"``: d(mean over positions of *layer*'s channel
          ``targets[i]``)/d(input), for feature visualization.
        - *then*, with *layer*: ``then(activations, gradients)`` computed in the same
          compiled step (in keras.ops), returned instead of the pair. It is part of the
          cache key, so it must compare equal from call to call (a module-level function
          or a frozen dataclass, not a fresh closure).

        A target of :data:`PREDICTED` is the image's predicted class (the largest
        logit), read from the same forward pass. With *guided*, every ReLU passes back
        only positive gradients where its input is positive (guided backpropagation).
        Compiled once per model, layer and mode; the gradient is taken by
        ``tf.GradientTape``, ``jax.grad`` or ``torch.autograd``, whichever backend Keras
        runs on.
        """
        name = require_backend(self.func)
        layer = self.on_net(layer) if layer is not None else None
        replace = self._guided_replacements() if guided else {}
        key = ("gradient", of, id(layer) if layer is not None else None, guided, then)
        fn = self._compiled(key, lambda: self._gradient_fn(name, layer, replace, of, then),
                            with_targets=True, differentiates=True)
        x = np.asarray(x, dtype=np.float32)
        targets = np.asarray(targets, dtype=np.int32 if name == "jax" else np.int64)
        out = fn(x, targets)
        if layer is None or of == "activation" or then is not None:
            return _numpy(out, x.shape)
        return _numpy(out[0]), _numpy(out[1], np.shape(out[0]))

    def _gradient_fn(self, name: str, layer: keras.layers.Layer | None,
                     replace: dict[int, Callable], of: str,
                     then: Callable | None = None) -> Callable:
        """Build ``(x, targets) -> gradient`` for backend *name* (see :meth:`gradient`)."""
        fn = self._gradient_pass(name, layer, replace, of)
        if then is None:
            return fn

        def combined(x, targets):
            return then(*fn(x, targets))

        return combined

    def _gradient_pass(self, name: str, layer: keras.layers.Layer | None,
                       replace: dict[int, Callable], of: str) -> Callable:
        taps = [layer] if layer is not None else []
        to_layer = layer is not None and of != "activation"
        channels_first = getattr(layer, "data_format", None) == "channels_first"
        swap = {**self.head.replacement, **replace}

        def total(x, targets, found, nudge=None):
            """Sum over the batch of each image's chosen score (its gradient is per image)."""
            if of == "activation":
                forward(self.net, x, taps=taps, found=found, stop_early=True,
                        output=self.output)
                acts = found[id(layer)]
                rank = len(acts.shape)
                axes = list(range(2, rank)) if channels_first else list(range(1, rank - 1))
                scores = keras.ops.mean(acts, axis=axes)
            else:
                ops = dict(replace)
                if nudge is not None:  # the layer's output plus a zero to differentiate by
                    base = swap.get(id(layer)) or (lambda *a, **k: _call(layer, *a, **k))
                    ops[id(layer)] = lambda *a, **k: base(*a, **k) + nudge
                scores = self._logits_tensor(x, replace=ops, taps=taps, found=found)
                predicted = keras.ops.cast(keras.ops.argmax(scores, axis=1), targets.dtype)
                targets = keras.ops.where(targets < 0, predicted, targets)
            picked = keras.ops.take_along_axis(scores, keras.ops.expand_dims(targets, 1), axis=1)
            return keras.ops.sum(picked)

        if name == "tensorflow":
            import tensorflow as tf

            def fn(x, targets):
                found: dict[int, object] = {}
                with tf.GradientTape() as tape:
                    tape.watch(x)
                    value = total(x, targets, found)
                wrt = found[id(layer)] if to_layer else x
                grad = tape.gradient(value, wrt)
                grad = tf.zeros_like(wrt) if grad is None else grad
                return (wrt, grad) if to_layer else grad

        elif name == "jax":
            import jax
            import jax.numpy as jnp

            def fn(x, targets):
                if not to_layer:
                    return jax.grad(lambda x: total(x, targets, {}))(x)
                # JAX differentiates with respect to inputs only, so a zero is added to
                # the layer's output and the gradient taken with respect to that zero.
                probe: dict[int, object] = {}
                forward(self.net, x, taps=taps, found=probe, replace=swap,
                        stop_early=True, output=self.output)  # its shape; XLA drops the rest
                zero = jnp.zeros(probe[id(layer)].shape, probe[id(layer)].dtype)

                def by_nudge(nudge):
                    found: dict[int, object] = {}
                    return total(x, targets, found, nudge), found[id(layer)]

                grad, acts = jax.grad(by_nudge, has_aux=True)(zero)
                return acts, grad

        else:
            import torch

            def fn(x, targets):
                with torch.enable_grad():
                    x = x.detach().requires_grad_(True)
                    found: dict[int, object] = {}
                    value = total(x, targets, found)
                    wrt = found[id(layer)] if to_layer else x
                    (grad,) = torch.autograd.grad(value, [wrt], allow_unused=True)
                grad = torch.zeros_like(wrt) if grad is None else grad
                return (wrt.detach(), grad) if to_layer else grad

        return fn

    def _guided_replacements(self) -> dict[int, Callable]:
        relu = guided_relu(self.func)
        replace: dict[int, Callable] = {}
        for _, layer in walk(self.net):
            if _activation_of(layer) != "relu" or id(layer) in self.head.replacement:
                continue
            if _whole_op(layer):
                replace[id(layer)] = lambda x, *a, **k: relu(x)
                continue
            twin = _bare_twin(layer)
            if twin is None:
                raise ValueError(
                    f"{self.func}: layer {layer.name!r} ends in a ReLU but cannot be copied "
                    "without it, so guided backpropagation cannot reach it"
                )
            replace[id(layer)] = (lambda t: lambda *a, **k: relu(_call(t, *a, **k)))(twin)
        for op in getattr(self.net, "_operations", []):
            if not isinstance(op, keras.layers.Layer) and _activation_of(op) == "relu":
                replace[id(op)] = lambda x, *a, **k: relu(x)
        return replace


def _unit_rows(tensor, first: bool):
    """``(n, h, w, c)``, ``(n, c, h, w)`` (*first*) or ``(n, c)`` -> ``(c, n, h, w)``.

    ``(n, c)`` becomes ``(c, n, 1, 1)``.
    """
    if len(tensor.shape) == 2:
        return keras.ops.reshape(keras.ops.transpose(tensor), (tensor.shape[1], -1, 1, 1))
    return keras.ops.transpose(tensor, (1, 0, 2, 3) if first else (3, 0, 1, 2))


def _numpy(tensor, shape: tuple | None = None) -> np.ndarray:
    """Return a backend tensor as a numpy array (zeros of *shape* where there is none)."""
    if tensor is None:
        return np.zeros(shape, np.float32)
    return np.asarray(keras.ops.convert_to_numpy(tensor))


def _seed(*parts: int) -> int:
    return int(np.random.SeedSequence([int(p) for p in parts]).generate_state(1)[0])


def _fans(shape: tuple[int, ...], initializer: object) -> tuple[int, int]:
    """Keras's fan-in and fan-out of a weight *shape* (``compute_fans``)."""
    inputs, outputs = getattr(initializer, "input_axes", None), getattr(
        initializer, "output_axes", None)
    if inputs is not None and outputs is not None:
        return (int(np.prod([shape[a] for a in inputs])),
                int(np.prod([shape[a] for a in outputs])))
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    field = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return shape[-2] * field, shape[-1] * field


def _truncated(rng: np.random.Generator, mean: float, stddev: float,
               shape: tuple[int, ...]) -> np.ndarray:
    """Draw normals, each one beyond two standard deviations drawn again (as Keras does)."""
    out = rng.normal(0.0, 1.0, shape)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = rng.normal(0.0, 1.0, int(bad.sum()))
        bad = np.abs(out) > 2.0
    return mean + stddev * out


def draw_initial(initializer: object, shape: Sequence[int],
                 seed: int | Sequence[int]) -> np.ndarray:
    """Draw what *initializer* draws, with numpy's generator: the same on every backend.

    Keras's initializers draw from the backend's own random generator, so the same seed
    gives TensorFlow, JAX and PyTorch different weights. Here the standard random
    initializers (``VarianceScaling`` and its Glorot, He and LeCun kinds,
    ``RandomNormal``, ``RandomUniform``, ``TruncatedNormal``, ``Orthogonal``) are drawn
    from the same distributions with ``numpy.random.default_rng(seed)``; constant ones
    (zeros, ones, ``Constant``, ``Identity``) are called as they are. Any other
    initializer is called with a seed and draws from the backend's generator.
    """
    init = keras.initializers.get(initializer)
    shape = tuple(int(d) for d in shape)
    rng = np.random.default_rng(seed)
    inits = keras.initializers
    if isinstance(init, inits.VarianceScaling):
        fan_in, fan_out = _fans(shape, init)
        fan = {"fan_in": fan_in, "fan_out": fan_out}.get(init.mode, (fan_in + fan_out) / 2.0)
        scale = init.scale / max(1.0, fan)
        if init.distribution == "truncated_normal":
            return _truncated(rng, 0.0, np.sqrt(scale) / 0.87962566103423978, shape)
        if init.distribution == "untruncated_normal":
            return rng.normal(0.0, np.sqrt(scale), shape)
        limit = np.sqrt(3.0 * scale)
        return rng.uniform(-limit, limit, shape)
    if isinstance(init, inits.TruncatedNormal):
        return _truncated(rng, float(init.mean), float(init.stddev), shape)
    if isinstance(init, inits.RandomNormal):
        return rng.normal(float(init.mean), float(init.stddev), shape)
    if isinstance(init, inits.RandomUniform):
        return rng.uniform(float(init.minval), float(init.maxval), shape)
    if isinstance(init, inits.Orthogonal) and len(shape) >= 2:
        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        q, r = np.linalg.qr(rng.normal(0.0, 1.0, (max(rows, cols), min(rows, cols))))
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return float(init.gain) * q.reshape(shape)
    config = init.get_config()
    if "seed" in config:  # another random initializer: the backend's generator
        init = type(init).from_config({**config, "seed": _seed(*np.atleast_1d(seed))})
    return np.asarray(keras.ops.convert_to_numpy(init(shape, dtype="float32")))


def redrawable(layer: keras.layers.Layer) -> list[tuple[int, keras.Variable, object]]:
    """``(index in layer.weights, variable, initializer)`` of each variable that can be redrawn.

    A variable can be drawn afresh when its layer has an initializer attribute for it:
    ``kernel_initializer`` for the kernel, ``moving_mean_initializer`` for a
    BatchNormalization's moving mean, and so on. Statistics such as an adapted
    ``Normalization``'s mean and variance have none; neither has a custom layer's weight
    unless the layer keeps its initializer as ``<name>_initializer``.
    """
    found = []
    for i, variable in enumerate(layer.weights):
        initializer = getattr(layer, f"{variable.name.split('/')[-1]}_initializer", None)
        if initializer is not None:
            found.append((i, variable, initializer))
    return found


def reinitialize(layer: keras.layers.Layer, seed: int | Sequence[int]) -> list[str]:
    """Draw every variable of *layer* afresh from the layer's own initializer, seeded.

    A kernel gets its ``kernel_initializer``, a bias its ``bias_initializer``, a
    BatchNormalization's scale its ``gamma_initializer`` (ones) and its moving variance
    ``moving_variance_initializer`` (ones), and so on (:func:`redrawable`), each with its
    own seed derived from *seed*, drawn by :func:`draw_initial` (so the same on every
    backend). The other variables keep their values, and the layer is finalized
    (:func:`finalize`). Returns the paths of the *trainable* variables kept: learned
    weights that were not redrawn. (Non-trainable ones without an initializer are state,
    such as statistics, and kept as they are.) The global random state is left alone.
    """
    parts = [seed] if isinstance(seed, numbers.Integral) else list(seed)
    drawn = {i for i, _, _ in redrawable(layer)}
    with keep_random_state():
        for i, variable, initializer in redrawable(layer):
            fresh = draw_initial(initializer, tuple(variable.shape), _seed(*parts, i))
            variable.assign(np.asarray(fresh, dtype=keras.backend.standardize_dtype(
                variable.dtype)))
    if drawn:
        finalize(layer)
    return [variable.path for i, variable in enumerate(layer.weights)
            if i not in drawn and variable.trainable]


#: How many of the user's images a copy of the model must reproduce (see :func:`clone`).
PROBE_IMAGES = 16


def clone(func: str, model: keras.Model, spec: InputSpec, images: np.ndarray | None = None,
          output: int = 0) -> keras.Model:
    """Return a built copy of *model* with its own variables, holding the same values.

    The copy is made from the layers' configs (``keras.models.clone_model``) and given
    every variable, trainable or not (BatchNormalization's moving statistics, an adapted
    ``Normalization``'s mean and variance, a custom layer's state variables); then every
    layer's ``finalize_state`` runs, so a ``Normalization`` computes with the copied
    statistics. With *images*, the copy must predict what the model predicts on the first
    :data:`PROBE_IMAGES` of them (output *output*, through interp's own passes), or a
    ``TypeError`` says that it cannot be copied and names the first layer whose output
    differs. The user's random state is left as it was (:func:`keep_random_state`).
    """
    try:
        with keep_random_state():
            copy = keras.models.clone_model(model)
            if not copy.built:
                copy.build((None, *spec.shape))
        copy_weights(model, copy)
    except Exception as err:
        raise TypeError(
            f"{func}: cannot copy model {model.name!r} ({type(model).__name__}) to randomize "
            f"its weights without changing yours: {type(err).__name__}: {err}"
        ) from err
    if images is not None:
        _check_copy(func, model, copy, np.asarray(images[:PROBE_IMAGES]), output)
    return copy


def _check_copy(func: str, model: keras.Model, copy: keras.Model, images: np.ndarray,
                output: int) -> None:
    """Raise a clear ``TypeError`` unless *copy* predicts what *model* predicts on *images*."""
    theirs = _outputs(func, model, images, output)
    ours = _outputs(func, copy, images, output)
    scale = float(np.nanmax(np.abs(theirs), initial=0.0))
    if np.allclose(ours, theirs, rtol=0.0, atol=1e-5 * max(1.0, scale), equal_nan=True):
        return
    forget(copy)
    largest = float(np.nanmax(np.abs(ours - theirs)))
    where = _first_difference(model, copy, images)
    raise TypeError(
        f"{func}: cannot copy model {model.name!r} to randomize its weights without "
        f"changing yours: a copy holding all its weights predicts differently (largest "
        f"difference {largest:.3g}, outputs up to {scale:.3g}){where}. "
        "interp copies a model from its layers' configs (get_config) and variables "
        "(get_weights, finalize_state); a layer that keeps other state, such as a Python "
        "attribute set after it was made, or an argument its get_config leaves out, "
        "cannot be copied. Keep such state in a variable (add_weight(trainable=False)) or "
        "return it from get_config"
    )


def _outputs(func: str, model: keras.Model, images: np.ndarray, output: int) -> np.ndarray:
    """Output *output* of *model* on a few *images*: eagerly, or compiled where that fails.

    Eagerly costs milliseconds where a compiled function costs a trace; TensorFlow cannot
    run a ``channels_first`` model eagerly on every CPU (see :func:`_needs_xla`).
    """
    try:
        x = keras.ops.convert_to_tensor(np.asarray(images, np.float32))
        out = forward(model, x, output=output)
        return np.asarray(keras.ops.convert_to_numpy(out), np.float64)
    except Exception:  # run it as every interp function does
        return Runner(func, model, output=output).predict(images, kind="output")


def _first_difference(model: keras.Model, copy: keras.Model, images: np.ndarray) -> str:
    """``"; the first layer whose output differs is 'path' (Class)"``, or ``""``."""
    pairs = [(path, mine, theirs)
             for (path, mine), (_, theirs) in zip(walk(model), walk(copy), strict=False)
             if not isinstance(mine, keras.Model)]
    try:
        x = keras.ops.convert_to_tensor(np.asarray(images, np.float32))
        found_model: dict[int, object] = {}
        found_copy: dict[int, object] = {}
        forward(model, x, taps=[mine for _, mine, _ in pairs], found=found_model)
        forward(copy, x, taps=[theirs for _, _, theirs in pairs], found=found_copy)
        for path, mine, theirs in pairs:
            if id(mine) not in found_model or id(theirs) not in found_copy:
                continue
            a = np.asarray(keras.ops.convert_to_numpy(found_model[id(mine)]), np.float64)
            b = np.asarray(keras.ops.convert_to_numpy(found_copy[id(theirs)]), np.float64)
            size = max(1.0, float(np.nanmax(np.abs(a), initial=0.0)))
            if a.shape != b.shape or not np.allclose(a, b, rtol=0.0, atol=1e-5 * size,
                                                     equal_nan=True):
                return (f"; the first layer whose output differs is {path!r} "
                        f"({type(mine).__name__})")
    except Exception:  # pragma: no cover - the message goes without the layer
        return ""
    return ""


def check_batch_size(func: str, batch_size: object) -> int:
    """Return *batch_size* as an int >= 1."""
    return check_int(func, "batch_size", batch_size, minimum=1)
