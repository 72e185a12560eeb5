"""Relevance propagation: the target's logit passed back layer by layer to the pixels."""

from __future__ import annotations

import keras
import numpy as np

from .._model import Runner, _activation_of, is_graph
from .._validate import check_choice, check_number
from ._common import _empty_maps, _setup, streams

#: What :func:`lrp` passes relevance through, by kind.
WEIGHTED = (keras.layers.Dense, keras.layers.Conv2D)
POOLING = (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D,
           keras.layers.GlobalMaxPooling2D, keras.layers.GlobalAveragePooling2D)
RESHAPING = (keras.layers.Flatten, keras.layers.Reshape)
IDENTITY = (keras.layers.Dropout, keras.layers.ReLU, keras.layers.Activation)
SUPPORTED = ("Conv2D, Dense, MaxPooling2D, AveragePooling2D, GlobalMaxPooling2D, "
             "GlobalAveragePooling2D, Flatten, Reshape, Dropout, ReLU and Activation('relu'), "
             "with linear or ReLU activations (softmax or sigmoid on the last layer only), "
             "and BatchNormalization right after a Conv2D or Dense without activation")


def _refuse(func: str, op: object, why: str) -> TypeError:
    name = getattr(op, "name", type(op).__name__)
    return TypeError(
        f"{func}: cannot pass relevance through layer {name!r} ({type(op).__name__}): {why}; "
        f"LRP here supports {SUPPORTED}"
    )


def _activation_name(op: object) -> str:
    """Return what *op* ends in: "linear", "relu", "softmax", "sigmoid" or another name."""
    if isinstance(op, keras.layers.ReLU):
        return "relu" if _activation_of(op) == "relu" else "a ReLU with a slope, cap or threshold"
    if isinstance(op, keras.layers.Softmax):
        return "softmax"
    if not isinstance(op, keras.layers.Layer):  # a keras.ops call in a Functional graph
        return _activation_of(op) or f"keras.ops {type(op).__name__}"
    activation = getattr(op, "activation", None)
    if activation is None:
        return "linear"
    kind = _activation_of(op)
    if kind is not None:
        return kind
    return str(getattr(activation, "__name__", type(activation).__name__)).lower()


def _chain(func: str, model: keras.Model) -> list:
    """Return the model's operations in order, each taking the output of the one before.

    A nested Sequential or Functional model that is a chain itself is opened in place.
    """
    if isinstance(model, keras.Sequential):
        ops = list(model.layers)
    else:
        everything = list(model.operations)
        inputs = [op for op in everything if isinstance(op, keras.layers.InputLayer)]
        ops = [op for op in everything if not isinstance(op, keras.layers.InputLayer)]
        previous = inputs[0] if inputs else None
        for op in ops:
            sources = [[getattr(t, "_keras_history", None) for t in node.input_tensors]
                       for node in getattr(op, "_inbound_nodes", [])]
            if not any(len(node) == 1 and node[0] is not None and
                       node[0].operation is previous for node in sources):
                raise TypeError(
                    f"{func}: needs a chain of layers, each taking the output of the one "
                    f"before (a Sequential model or a Functional one without branches); "
                    f"{getattr(op, 'name', op)!r} ({type(op).__name__}) does not take the "
                    f"output of {getattr(previous, 'name', previous)!r} alone"
                )
            previous = op
        if len(model.outputs) != 1 or model.outputs[0]._keras_history.operation is not previous:
            raise TypeError(f"{func}: needs a chain of layers ending in the model's one output")
    opened = []
    for op in ops:
        if isinstance(op, keras.Model):
            if not is_graph(op):
                raise _refuse(func, op, "it is a subclassed model, whose layers cannot be "
                              "reached (rebuild it as a Sequential or Functional model)")
            opened.extend(_chain(func, op))
        else:
            opened.append(op)
    return opened


def _channel_axis(op) -> int:
    """Return the channel axis of a Dense or Conv2D output, from the end: -1 or -3."""
    return -3 if getattr(op, "data_format", "channels_last") == "channels_first" else -1


def _folds(op, previous) -> bool:
    """Whether BatchNormalization *op* can be folded into *previous*, the op before it."""
    if not isinstance(previous, WEIGHTED) or _activation_name(previous) != "linear":
        return False
    axis = op.axis if op.axis < 0 else op.axis - len(op.input.shape)
    return axis == _channel_axis(previous)


def _check_op(func: str, op: object, last: bool, previous: object = None) -> None:
    """Refuse what the rules do not cover, naming the layer."""
    if isinstance(op, keras.layers.BatchNormalization) and type(op) is \
            keras.layers.BatchNormalization:
        if not _folds(op, previous):
            raise _refuse(func, op, "a BatchNormalization is folded into the Conv2D or Dense "
                          "layer right before it, which must have no activation and share its "
                          "channel axis")
        return
    if isinstance(op, WEIGHTED):
        if isinstance(op, keras.layers.Conv2D):
            if tuple(op.dilation_rate) != (1, 1) or getattr(op, "groups", 1) != 1:
                raise _refuse(func, op, "dilated or grouped convolutions are not supported")
            if type(op) is not keras.layers.Conv2D:
                raise _refuse(func, op, "only Conv2D itself is supported, not its subclasses")
        elif type(op) is not keras.layers.Dense:
            raise _refuse(func, op, "only Dense itself is supported, not its subclasses")
        allowed = ("linear", "relu", "softmax", "sigmoid") if last else ("linear", "relu")
        if _activation_name(op) not in allowed:
            raise _refuse(func, op, f"its activation is {_activation_name(op)!r}")
        return
    if isinstance(op, POOLING + RESHAPING) or isinstance(op, keras.layers.Dropout):
        return
    if isinstance(op, (keras.layers.ReLU, keras.layers.Activation, keras.layers.Softmax)) or \
            not isinstance(op, keras.layers.Layer):
        kind = _activation_name(op)
        allowed = ("linear", "relu", "softmax", "sigmoid") if last else ("linear", "relu")
        if kind not in allowed:
            raise _refuse(func, op, f"its activation is {kind!r}")
        return
    raise _refuse(func, op, "no LRP rule for this kind of layer")


# ---- the layers' linear maps, in numpy (channels last) ---------------------------------------

def _same_padding(size: int, window: int, stride: int) -> tuple[int, int]:
    out = -(-size // stride)
    total = max((out - 1) * stride + window - size, 0)
    return total // 2, total - total // 2


def _padding(op, shape: tuple[int, ...], window: tuple[int, int],
             strides: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    if op.padding == "same":
        return (_same_padding(shape[1], window[0], strides[0]),
                _same_padding(shape[2], window[1], strides[1]))
    return (0, 0), (0, 0)


class _Conv:
    """A Conv2D's linear map ``x -> x * kernel (+ bias)`` and its transpose."""

    def __init__(self, op, shape: tuple[int, ...]) -> None:
        weights = op.get_weights()
        self.kernel = np.asarray(weights[0], np.float64)
        self.bias = np.asarray(weights[1], np.float64) if op.use_bias else None
        kh, kw = self.kernel.shape[:2]
        self.strides = tuple(op.strides)
        (top, bottom), (left, right) = _padding(op, shape, (kh, kw), self.strides)
        self.pads = ((0, 0), (top, bottom), (left, right), (0, 0))
        self.shape = shape
        padded = (shape[1] + top + bottom, shape[2] + left + right)
        self.out = ((padded[0] - kh) // self.strides[0] + 1,
                    (padded[1] - kw) // self.strides[1] + 1)

    def _slices(self, i: int, j: int):
        sh, sw = self.strides
        return (slice(None), slice(i, i + sh * (self.out[0] - 1) + 1, sh),
                slice(j, j + sw * (self.out[1] - 1) + 1, sw))

    def forward(self, x: np.ndarray, kernel: np.ndarray,
                bias: np.ndarray | None = None) -> np.ndarray:
        padded = np.pad(x, self.pads)
        z = np.zeros((len(x), *self.out, kernel.shape[-1]))
        for i in range(kernel.shape[0]):
            for j in range(kernel.shape[1]):
                z += padded[self._slices(i, j)] @ kernel[i, j]
        return z if bias is None else z + bias

    def backward(self, s: np.ndarray, kernel: np.ndarray) -> np.ndarray:
        (_, _), (top, bottom), (left, right), _ = self.pads
        grad = np.zeros((len(s), self.shape[1] + top + bottom, self.shape[2] + left + right,
                         self.shape[3]))
        for i in range(kernel.shape[0]):
            for j in range(kernel.shape[1]):
                grad[self._slices(i, j)] += s @ kernel[i, j].T
        return grad[:, top:top + self.shape[1], left:left + self.shape[2]]


class _Dense:
    """A Dense layer's linear map on its last axis, and its transpose."""

    def __init__(self, op, shape: tuple[int, ...]) -> None:
        weights = op.get_weights()
        self.kernel = np.asarray(weights[0], np.float64)
        self.bias = np.asarray(weights[1], np.float64) if op.use_bias else None

    def forward(self, x: np.ndarray, kernel: np.ndarray,
                bias: np.ndarray | None = None) -> np.ndarray:
        z = x @ kernel
        return z if bias is None else z + bias

    def backward(self, s: np.ndarray, kernel: np.ndarray) -> np.ndarray:
        return s @ kernel.T


def _divide(relevance: np.ndarray, z: np.ndarray, epsilon: float) -> np.ndarray:
    """``relevance / (z + epsilon * sign(z))``, the sign of 0 taken as +1, and 0 where that is 0."""
    denominator = z + np.where(z >= 0, epsilon, -epsilon)
    return np.divide(relevance, denominator, out=np.zeros(np.broadcast_shapes(
        relevance.shape, denominator.shape)), where=denominator != 0)


def _pool_windows(op, x: np.ndarray):
    """Return the padded input, its mask of real cells, the window's slices and the pads."""
    if isinstance(op, (keras.layers.GlobalMaxPooling2D, keras.layers.GlobalAveragePooling2D)):
        window, strides, pads = x.shape[1:3], x.shape[1:3], ((0, 0), (0, 0))
    else:
        window, strides = tuple(op.pool_size), tuple(op.strides)
        pads = _padding(op, x.shape, window, strides)
    out = ((x.shape[1] + sum(pads[0]) - window[0]) // strides[0] + 1,
           (x.shape[2] + sum(pads[1]) - window[1]) // strides[1] + 1)
    fill = -np.inf if isinstance(op, (keras.layers.MaxPooling2D,
                                      keras.layers.GlobalMaxPooling2D)) else 0.0
    padded = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=fill)
    valid = np.pad(np.ones(x.shape[1:3]), pads, constant_values=0.0)
    slices = [(slice(i, i + strides[0] * (out[0] - 1) + 1, strides[0]),
               slice(j, j + strides[1] * (out[1] - 1) + 1, strides[1]))
              for i in range(window[0]) for j in range(window[1])]
    return padded, valid, slices, pads


def _pool_relevance(op, x: np.ndarray, relevance: np.ndarray, epsilon: float) -> np.ndarray:
    """Pass a pooling layer's relevance back to its input *x* (channels last).

    Max pooling gives each window's relevance to its first largest input (the gradient's
    choice); average pooling to every input in proportion to it (the epsilon rule), cells
    of the padding not counted.
    """
    padded, valid, slices, pads = _pool_windows(op, x)
    views = np.stack([padded[:, a, b] for a, b in slices])  # (window, n, h', w', c)
    relevance = relevance.reshape(views.shape[1:])
    grad = np.zeros_like(padded)
    if isinstance(op, (keras.layers.MaxPooling2D, keras.layers.GlobalMaxPooling2D)):
        winner = views.argmax(axis=0)
        z = np.take_along_axis(views, winner[None], axis=0)[0]
        s = _divide(relevance, z, epsilon)
        for k, (a, b) in enumerate(slices):
            grad[:, a, b] += np.where(winner == k, s, 0.0)
    else:
        counts = sum(valid[a, b] for a, b in slices)[None, :, :, None]
        z = views.sum(axis=0) / counts
        s = _divide(relevance, z, epsilon) / counts
        for a, b in slices:
            grad[:, a, b] += s
    (top, _), (left, _) = pads
    grad = grad[:, top:top + x.shape[1], left:left + x.shape[2]]
    return np.where(np.isfinite(x), x, 0.0) * grad


# ---- the public function ---------------------------------------------------------------------

def lrp(
    model: keras.Model,
    images: np.ndarray,
    target: object = None,
    *,
    rule: str = "epsilon",
    epsilon: float = 1e-6,
    alpha: float = 2.0,
    beta: float = 1.0,
    input_rule: str = "zb",
    low: float = 0.0,
    high: float = 1.0,
    output: object = None,
    batch_size: int = 256,
) -> np.ndarray:
    r"""Layer-wise relevance propagation :cite:p:`bach2015,montavon2019` of the target logit.

    The target's logit :math:`f_t` is the relevance of the last layer; each layer passes
    its relevance :math:`R_j` back to its inputs :math:`a_i` by the epsilon rule

    .. math:: R_i = \sum_j \frac{a_i w_{ij}}{z_j + \epsilon\, \mathrm{sign}(z_j)} R_j,
       \qquad z_j = \sum_i a_i w_{ij} + b_j

    (the sign of 0 taken as +1), or with ``rule="alphabeta"`` by the alpha-beta rule

    .. math:: R_i = \sum_j \Big(\alpha \frac{(a_i w_{ij})^+}{z^+_j}
       - \beta \frac{(a_i w_{ij})^-}{z^-_j}\Big) R_j, \qquad
       z^\pm_j = \sum_i (a_i w_{ij})^\pm + b^\pm_j

    (positive and negative parts; each denominator stabilized by *epsilon* as above).
    Dense and Conv2D layers use their weights; ReLUs pass relevance unchanged; max
    pooling gives each window's relevance to its first largest input (the gradient's
    choice) and average pooling to every input in proportion to it; Flatten, Reshape and
    Dropout only move it. A BatchNormalization right after a Conv2D or Dense layer
    without activation is folded into that layer's weights
    (:math:`w \gamma / \sqrt{\sigma^2 + \epsilon_{BN}}`, and the bias to match). With
    ``input_rule="zb"`` the first Dense or Conv2D layer uses the :math:`z^\mathcal{B}`
    rule for inputs bounded by *low* and *high* :cite:p:`montavon2019`:

    .. math:: R_i = \sum_j \frac{x_i w_{ij} - l\, w^+_{ij} - h\, w^-_{ij}}
       {\sum_{i'} (x_{i'} w_{i'j} - l\, w^+_{i'j} - h\, w^-_{i'j})} R_j

    Biases absorb relevance; in a network without them, and with a small *epsilon*, an
    image's relevances add up to the target's logit (exactly, with the zB rule at the
    input, up to the epsilons of the layers above) under either rule, where no unit's
    input is all of one sign.

    Parameters
    ----------
    model : keras.Model
        A classifier that is a chain of layers (Sequential, or Functional without
        branches) of the kinds listed above, ``channels_last`` or ``channels_first``.
    images : array-like, shape (n, ...), or an iterable of such batches
        A batch shaped as the model expects, or batches of it (see :func:`saliency`).
    target : None, int or array of int, optional
        Class explained per image; default the predicted class.
    rule : {"epsilon", "alphabeta"}, default "epsilon"
        The rule of the Dense and Conv2D layers (above the first, with the zB rule).
    epsilon : float, default 1e-6
        The stabilizer of every denominator, >= 0 (also of the pooling layers').
    alpha, beta : float, default 2.0 and 1.0
        The alpha-beta rule's weights of the positive and negative parts; ``alpha - beta``
        must be 1, as zennit requires.
    input_rule : {"zb", "epsilon"}, default "zb"
        The rule of the first Dense or Conv2D layer: the zB rule, or ``"epsilon"`` for
        the main *rule* there too (whichever it is).
    low, high : float, default 0.0 and 1.0
        The bounds of the input values, for the zB rule.
    output : None, int or str, optional
        Which output of a multi-output model (LRP needs one output: a chain of layers).
    batch_size : int, default 256
        Images per pass; every layer's output is kept for one batch at a time.

    Returns
    -------
    numpy.ndarray, shape (n, ...)
        Signed relevances, summed over channels.

    Raises
    ------
    TypeError
        If the model is not a chain of the supported layers, naming the first one that is
        not, or is subclassed.
    ValueError
        For a *rule* or *input_rule* not listed, a negative *epsilon*, ``alpha - beta``
        other than 1, or *low* > *high*.

    Notes
    -----
    The sum is taken in float64 from the model's float32 layer outputs; the linear maps
    are computed in numpy from the layers' weights and checked against the model's own
    outputs. zennit's ``Epsilon``, ``AlphaBeta`` and ``ZBox`` rules compute the same
    quantities; ``Epsilon`` stabilizes the same way, ``AlphaBeta`` with a fixed 1e-6, and
    ``ZBox`` adds 1e-6 to its denominator, where the zB rule here adds nothing. Captum's
    LRP adds :math:`\epsilon\,\mathrm{sign}(z)` with :math:`\mathrm{sign}(0) = +1`, as
    here (``tests/parity`` checks both peers).

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> interp.lrp(model, np.ones((2, 28, 28, 1)) / 2, target=3).shape
    (2, 28, 28)

    """
    func = "lrp"
    runner, images, targets, batch_size = _setup(func, model, images, target, batch_size, output,
                                                 graph=True)
    rule = check_choice(func, "rule", rule, ("epsilon", "alphabeta"))
    alpha = check_number(func, "alpha", alpha, minimum=1.0)
    beta = check_number(func, "beta", beta, minimum=0.0)
    if abs(alpha - beta - 1.0) > 1e-12:
        raise ValueError(f"{func}: alpha - beta must be 1 (so the relevance is conserved), got "
                         f"alpha={alpha:g} and beta={beta:g}")
    input_rule = check_choice(func, "input_rule", input_rule, ("zb", "epsilon"))
    epsilon = check_number(func, "epsilon", epsilon, minimum=0.0)
    low = check_number(func, "low", low)
    high = check_number(func, "high", high)
    if low > high:
        raise ValueError(f"{func}: low must be at most high, got low={low:g} and high={high:g}")
    if not is_graph(runner.model):  # pragma: no cover - _setup(graph=True) refuses it
        raise TypeError(f"{func}: needs a Sequential or Functional model")
    ops = _chain(func, runner.model)
    for k, op in enumerate(ops):
        _check_op(func, op, last=k == len(ops) - 1, previous=ops[k - 1] if k else None)
    out = _empty_maps(runner, images)
    first_weighted = next((k for k, op in enumerate(ops) if isinstance(op, WEIGHTED)), None)
    for start, x in runner.batches(images, batch_size):
        values = _lrp_batch(func, runner, ops, x, targets[start:start + len(x)], rule, epsilon,
                            alpha, beta, input_rule, low, high, first_weighted)
        out[start:start + len(x)] = runner.maps(values)
    return out


def _channels_last(op, array: np.ndarray) -> np.ndarray:
    if getattr(op, "data_format", "channels_last") == "channels_first" and array.ndim > 2:
        return np.moveaxis(array, 1, -1)
    return array


def _channels_back(op, array: np.ndarray) -> np.ndarray:
    if getattr(op, "data_format", "channels_last") == "channels_first" and array.ndim > 2:
        return np.moveaxis(array, -1, 1)
    return array


def _fold(maps, norm) -> None:
    """Fold BatchNormalization *norm* (inference mode) into the weights of *maps*."""
    values = {variable.path.rsplit("/", 1)[-1]: np.asarray(value, np.float64)
              for variable, value in zip(norm.weights, norm.get_weights(), strict=True)}
    gamma, beta = values.get("gamma"), values.get("beta")
    scale = (1.0 if gamma is None else gamma) / np.sqrt(values["moving_variance"]
                                                        + norm.epsilon)
    shift = (0.0 if beta is None else beta) - values["moving_mean"] * scale
    maps.kernel = maps.kernel * scale
    maps.bias = (0.0 if maps.bias is None else maps.bias) * scale + shift


def _alpha_beta(maps, a: np.ndarray, relevance: np.ndarray, alpha: float, beta: float,
                epsilon: float) -> np.ndarray:
    """Pass *relevance* back by the alpha-beta rule, as zennit's ``AlphaBeta`` does.

    ``z+ = a+ w+ + a- w- + b+`` and ``z- = a+ w- + a- w+ + b-``; each input gets
    ``alpha`` times its share of ``z+`` and minus ``beta`` times its share of ``z-``.
    """
    kernel, bias = maps.kernel, maps.bias
    plus, minus = np.maximum(kernel, 0.0), np.minimum(kernel, 0.0)
    a_plus, a_minus = np.maximum(a, 0.0), np.minimum(a, 0.0)
    b_plus = None if bias is None else np.maximum(bias, 0.0)
    b_minus = None if bias is None else np.minimum(bias, 0.0)
    z_plus = maps.forward(a_plus, plus, b_plus) + maps.forward(a_minus, minus)
    z_minus = maps.forward(a_plus, minus, b_minus) + maps.forward(a_minus, plus)
    s_plus, s_minus = _divide(relevance, z_plus, epsilon), _divide(relevance, z_minus, epsilon)
    return (alpha * (a_plus * maps.backward(s_plus, plus) + a_minus * maps.backward(s_plus, minus))
            - beta * (a_plus * maps.backward(s_minus, minus)
                      + a_minus * maps.backward(s_minus, plus)))


def _lrp_batch(func: str, runner: Runner, ops: list, x: np.ndarray, targets: np.ndarray,
               rule: str, epsilon: float, alpha: float, beta: float, input_rule: str,
               low: float, high: float, first_weighted: int | None) -> np.ndarray:
    found = runner.layer_outputs_fn(ops)(x)
    outputs = {id(op): np.asarray(keras.ops.convert_to_numpy(t), np.float64)
               for op, t in zip(ops, found, strict=True)}
    inputs = [np.asarray(x, np.float64)] + [outputs[id(op)] for op in ops[:-1]]
    # the head: a final softmax or sigmoid is left out, so the relevance is the logit
    last = len(ops) - 1
    while last > 0 and not isinstance(ops[last], WEIGHTED + POOLING + RESHAPING) and \
            _activation_name(ops[last]) in ("softmax", "sigmoid"):
        last -= 1
    linear = {}
    z_top = None
    for k in range(last + 1):
        op = ops[k]
        if isinstance(op, WEIGHTED):
            a = _channels_last(op, inputs[k])
            maps = (_Conv if isinstance(op, keras.layers.Conv2D) else _Dense)(
                runner.on_net(op), a.shape)
            after = ops[k + 1] if k < last else None
            if isinstance(after, keras.layers.BatchNormalization):  # folded into the weights
                _fold(maps, runner.on_net(after))
            z = maps.forward(a, maps.kernel, maps.bias)
            mine = np.maximum(z, 0.0) if _activation_name(op) == "relu" else z
            theirs = _channels_last(op, outputs[id(after if isinstance(
                after, keras.layers.BatchNormalization) else op)])
            if k < last or _activation_name(op) in ("linear", "relu"):
                scale = max(1.0, float(np.abs(theirs).max()))
                if mine.shape != theirs.shape or not np.allclose(mine, theirs, rtol=0,
                                                                 atol=1e-3 * scale):
                    raise TypeError(  # pragma: no cover - a guard against unlisted behaviour
                        f"{func}: layer {op.name!r} does not compute what LRP assumes "
                        "(its weights applied in numpy differ from its output)")
            linear[k] = (maps, a, z)
            if k == last:  # the logits: before a softmax or sigmoid, else the output
                z_top = z if _activation_name(op) in ("softmax", "sigmoid") else mine
    top = z_top if z_top is not None else _channels_last(ops[last], outputs[id(ops[last])])
    if top.ndim != 2:
        raise TypeError(f"{func}: the last layer must give class scores (n, classes), got "
                        f"shape {top.shape}")
    relevance = np.zeros_like(top)  # the relevance of the current op's output, as laid out
    rows = np.arange(len(x))
    if runner.head.binary:
        relevance[:, 0] = np.where(targets == 1, top[:, 0], -top[:, 0])
    else:
        relevance[rows, targets] = top[rows, targets]
    for k in range(last, -1, -1):
        op = ops[k]
        if isinstance(op, WEIGHTED):
            maps, a, z = linear[k]
            relevance = relevance.reshape(z.shape) if k == last else _channels_last(
                op, relevance.reshape(outputs[id(op)].shape))
            if k == first_weighted and input_rule == "zb":
                plus, minus = np.maximum(maps.kernel, 0.0), np.minimum(maps.kernel, 0.0)
                lo, hi = np.full_like(a, low), np.full_like(a, high)
                zb = (maps.forward(a, maps.kernel) - maps.forward(lo, plus)
                      - maps.forward(hi, minus))
                s = _divide(relevance, zb, 0.0)  # zb >= 0 for inputs within the bounds
                relevance = (a * maps.backward(s, maps.kernel) - lo * maps.backward(s, plus)
                             - hi * maps.backward(s, minus))
            elif rule == "alphabeta":
                relevance = _alpha_beta(maps, a, relevance, alpha, beta, epsilon)
            else:
                s = _divide(relevance, z, epsilon)
                relevance = a * maps.backward(s, maps.kernel)
            relevance = _channels_back(op, relevance)
        elif isinstance(op, POOLING):
            a = _channels_last(op, inputs[k])
            shaped = _channels_last(op, relevance.reshape(outputs[id(op)].shape))
            relevance = _channels_back(op, _pool_relevance(op, a, shaped, epsilon))
        elif isinstance(op, keras.layers.Flatten) and op.data_format == "channels_first" and \
                inputs[k].ndim > 2:
            shape = inputs[k].shape
            moved = relevance.reshape(shape[0], *shape[2:], shape[1])
            relevance = np.moveaxis(moved, -1, 1)
        else:  # Flatten, Reshape, Dropout, ReLU: the relevance keeps its values
            relevance = relevance.reshape(inputs[k].shape)
    return relevance


# Every method also takes an iterable of batches. The wrapper is applied here rather than
# with @streams above each definition because mutmut (``nox -s mutants``) leaves decorated
# functions unmutated; this way their bodies are mutation-tested too.
lrp = streams(lrp)
