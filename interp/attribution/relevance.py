"""Relevance propagation: the target's logit passed back layer by layer to the pixels."""

from __future__ import annotations

import keras
import numpy as np

from .._model import Runner, _activation_of, _call, forward, is_graph, vjp
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


# ---- the rules, as one compiled step (keras.ops; transposes by _model.vjp) -----------------

def _divide(relevance, z, epsilon: float):
    """``relevance / (z + epsilon * sign(z))``, the sign of 0 taken as +1, and 0 where that is 0."""
    if np.float32(epsilon) > 0:  # the denominator is at least epsilon from 0 (in float32)
        return relevance / (z + keras.ops.where(z >= 0, epsilon, -epsilon))
    zero = z == 0
    return keras.ops.where(zero, 0.0, relevance / keras.ops.where(zero, 1.0, z))


def _tensor(variable):
    return keras.ops.convert_to_tensor(variable)


class _Linear:
    """A Dense or Conv2D layer's linear map ``a -> a w (+ b)``, and its transpose.

    A BatchNormalization after it is folded in (``w * gamma / sqrt(variance + epsilon)``,
    the bias to match). The weights are read inside the compiled step.
    """

    def __init__(self, op, norm=None) -> None:
        self.op = op
        self.conv = isinstance(op, keras.layers.Conv2D)
        self.first = getattr(op, "data_format", "channels_last") == "channels_first"
        self.kernel = _tensor(op.kernel)
        self.bias = _tensor(op.bias) if op.use_bias else None
        if norm is not None:
            scale = keras.ops.rsqrt(_tensor(norm.moving_variance) + norm.epsilon)
            if norm.gamma is not None:
                scale = scale * _tensor(norm.gamma)
            shift = -_tensor(norm.moving_mean) * scale
            if norm.beta is not None:
                shift = shift + _tensor(norm.beta)
            self.kernel = self.kernel * scale
            self.bias = shift if self.bias is None else self.bias * scale + shift

    def forward(self, a, kernel, bias=None):
        if self.conv:
            z = keras.ops.conv(a, kernel, strides=tuple(self.op.strides),
                               padding=self.op.padding, data_format=self.op.data_format)
        else:
            z = keras.ops.matmul(a, kernel)
        if bias is None:
            return z
        return z + (keras.ops.reshape(bias, (-1, 1, 1)) if self.conv and self.first else bias)

    def backward(self, a, s, kernel):
        """Apply the transpose of ``t -> t w`` to *s* (*a* gives the input's shape)."""
        if not self.conv:
            return keras.ops.matmul(s, keras.ops.transpose(kernel))
        return vjp(lambda t: self.forward(t, kernel), a, s)


def _alpha_beta(maps: _Linear, a, relevance, alpha: float, beta: float, epsilon: float):
    """Pass *relevance* back by the alpha-beta rule, as zennit's ``AlphaBeta`` does.

    ``z+ = a+ w+ + a- w- + b+`` and ``z- = a+ w- + a- w+ + b-``; each input gets
    ``alpha`` times its share of ``z+`` and minus ``beta`` times its share of ``z-``.
    """
    kernel, bias = maps.kernel, maps.bias
    plus, minus = keras.ops.maximum(kernel, 0.0), keras.ops.minimum(kernel, 0.0)
    a_plus, a_minus = keras.ops.maximum(a, 0.0), keras.ops.minimum(a, 0.0)
    b_plus = None if bias is None else keras.ops.maximum(bias, 0.0)
    b_minus = None if bias is None else keras.ops.minimum(bias, 0.0)
    z_plus = maps.forward(a_plus, plus, b_plus) + maps.forward(a_minus, minus)
    z_minus = maps.forward(a_plus, minus, b_minus) + maps.forward(a_minus, plus)
    s_plus, s_minus = _divide(relevance, z_plus, epsilon), _divide(relevance, z_minus, epsilon)
    return (alpha * (a_plus * maps.backward(a, s_plus, plus)
                     + a_minus * maps.backward(a, s_plus, minus))
            - beta * (a_plus * maps.backward(a, s_minus, minus)
                      + a_minus * maps.backward(a, s_minus, plus)))


def _per_image_max(t):
    return keras.ops.max(keras.ops.reshape(keras.ops.abs(t), (-1, int(np.prod(t.shape[1:])))),
                         axis=1)


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
    Dense and Conv2D layers use their weights; ReLUs pass relevance unchanged; max pooling
    gives each window's relevance to its largest input (inputs that tie share it as the
    backend's gradient does) and average pooling to every input in proportion to it;
    Flatten, Reshape and Dropout only move it. A BatchNormalization right after a Conv2D or
    Dense layer without activation is folded into that layer's weights
    (:math:`w \gamma / \sqrt{\sigma^2 + \epsilon_{BN}}`, and the bias to match).
    With ``input_rule="zb"`` the first Dense or Conv2D layer uses the :math:`z^\mathcal{B}`
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
    Each batch is one compiled step in float32, compiled once per model and settings. The
    model's own forward pass gives every layer's input and output; a Dense or Conv2D layer's
    output is the :math:`z` the epsilon rule divides by (where a ReLU cut it to 0 the
    relevance reaching the unit is 0 as well), and each such layer is checked against its
    weights on the batch's first image. The transposes of the convolutions and the pooling
    layers' routing are the backend's vector-Jacobian products (``tf.GradientTape``,
    ``jax.vjp``, ``torch.autograd``). zennit's ``Epsilon``, ``AlphaBeta`` and ``ZBox`` rules
    compute the same quantities; ``Epsilon`` stabilizes the same way, ``AlphaBeta`` with a
    fixed 1e-6, and ``ZBox`` adds 1e-6 to its denominator, where the zB rule here adds
    nothing. Captum's LRP adds :math:`\epsilon\,\mathrm{sign}(z)` with
    :math:`\mathrm{sign}(0) = +1`, as here (``tests/parity`` checks both peers).

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
    last = _top(ops)
    names = [ops[k].name for k in _checked(ops, last)]
    fn = runner.function(("lrp", rule, epsilon, alpha, beta, input_rule, low, high),
                         lambda: _lrp_fn(func, runner, ops, rule, epsilon, alpha, beta,
                                         input_rule, low, high), with_targets=True)
    out = _empty_maps(runner, images)
    for start, x in runner.batches(images, batch_size):
        relevance, differences, scales = (
            np.asarray(keras.ops.convert_to_numpy(t))
            for t in fn(x, targets[start:start + len(x)]))
        bounds = 1e-3 * np.maximum(1.0, scales.max(axis=0))
        wrong = np.flatnonzero(~(differences.max(axis=0) <= bounds))[:len(names)]
        if len(wrong):
            raise TypeError(  # pragma: no cover - a guard against unlisted behaviour
                f"{func}: layer {names[wrong[0]]!r} does not compute what LRP assumes "
                "(its weights applied by the rules differ from its output)")
        out[start:start + len(x)] = runner.maps(relevance)
    return out


def _top(ops: list) -> int:
    """Return the index of the op whose output holds the logits (a final softmax left out)."""
    last = len(ops) - 1
    while last > 0 and not isinstance(ops[last], WEIGHTED + POOLING + RESHAPING) and \
            _activation_name(ops[last]) in ("softmax", "sigmoid"):
        last -= 1
    return last


def _checked(ops: list, last: int) -> list[int]:
    """Return the Dense and Conv2D layers whose output is checked against the model's.

    All but a last one ending in a softmax or sigmoid, whose pre-activation the model
    does not show.
    """
    return [k for k in range(last + 1) if isinstance(ops[k], WEIGHTED)
            and (k < last or _activation_name(ops[k]) in ("linear", "relu"))]


def _lrp_fn(func: str, runner: Runner, ops: list, rule: str, epsilon: float, alpha: float,
            beta: float, input_rule: str, low: float, high: float):
    """Build ``(x, targets) -> (relevance, differences, scales)`` for one batch.

    The model's own forward pass gives every op's input and output. A Dense or Conv2D
    layer's output (or that of the BatchNormalization folded into it) is its
    pre-activation ``z`` wherever the epsilon rule divides by it: where a ReLU cut ``z``
    to 0, the relevance that reaches the unit is 0 (it is its output times a share), and
    so is its share either way. Only a last layer ending in a softmax or sigmoid has its
    pre-activation computed from its weights. As a check, each layer's output is also
    computed from its weights (the BatchNormalization folded in) for the batch's first
    image; its largest difference from the model's and the model's largest magnitude are
    returned for the caller. Then the relevance goes back op by op: the layers'
    transposes and the pooling layers' routing by :func:`interp._model.vjp`, Flatten and
    Reshape by theirs too (they only move values).
    """
    net = runner.net
    mine = [runner.on_net(op) for op in ops]
    last = _top(ops)
    checked = _checked(ops, last)
    first_weighted = next((k for k, op in enumerate(ops) if isinstance(op, WEIGHTED)), None)
    binary = runner.head.binary

    def fn(x, targets):
        found: dict[int, object] = {}
        forward(net, x, taps=mine, found=found, stop_early=True, output=runner.output)
        outputs = [found[id(op)] for op in mine]
        inputs = [x, *outputs[:-1]]
        linear, differences, scales = {}, [], []
        top = outputs[last]
        for k in range(last + 1):
            op = mine[k]
            if not isinstance(op, WEIGHTED):
                continue
            after = mine[k + 1] if k < last else None
            norm = after if isinstance(after, keras.layers.BatchNormalization) else None
            maps = _Linear(op, norm)
            z = outputs[k + 1] if norm is not None else outputs[k]
            if k in checked:
                first = maps.forward(inputs[k][:1], maps.kernel, maps.bias)
                if _activation_name(op) == "relu":
                    first = keras.ops.relu(first)
                differences.append(_per_image_max(first - z[:1]))
                scales.append(_per_image_max(z[:1]))
            else:  # the logits, before a softmax or sigmoid
                z = maps.forward(inputs[k], maps.kernel, maps.bias)
            linear[k] = (maps, z)
            if k == last:
                top = z
        if len(top.shape) != 2:
            raise TypeError(f"{func}: the last layer must give class scores (n, classes), got "
                            f"shape {tuple(top.shape)}")
        if binary:
            relevance = keras.ops.where(keras.ops.expand_dims(targets, 1) == 1, top, -top)
        else:
            relevance = keras.ops.one_hot(targets, top.shape[-1], dtype=top.dtype) * top
        for k in range(last, -1, -1):
            op, a = mine[k], inputs[k]
            if isinstance(op, WEIGHTED):
                maps, z = linear[k]
                relevance = keras.ops.reshape(relevance, (-1, *z.shape[1:]))
                if k == first_weighted and input_rule == "zb":
                    plus = keras.ops.maximum(maps.kernel, 0.0)
                    minus = keras.ops.minimum(maps.kernel, 0.0)
                    lo, hi = keras.ops.full_like(a, low), keras.ops.full_like(a, high)
                    zb = (maps.forward(a, maps.kernel) - maps.forward(lo, plus)
                          - maps.forward(hi, minus))
                    s = _divide(relevance, zb, 0.0)  # zb >= 0 for inputs within the bounds
                    relevance = (a * maps.backward(a, s, maps.kernel)
                                 - lo * maps.backward(a, s, plus) - hi * maps.backward(a, s, minus))
                elif rule == "alphabeta":
                    relevance = _alpha_beta(maps, a, relevance, alpha, beta, epsilon)
                else:
                    s = _divide(relevance, z, epsilon)
                    relevance = a * maps.backward(a, s, maps.kernel)
            elif isinstance(op, POOLING):
                z = outputs[k]
                s = _divide(keras.ops.reshape(relevance, (-1, *z.shape[1:])), z, epsilon)
                relevance = a * vjp(lambda t, op=op: _call(op, t), a, s)
            elif isinstance(op, RESHAPING):
                shaped = keras.ops.reshape(relevance, (-1, *outputs[k].shape[1:]))
                relevance = vjp(lambda t, op=op: _call(op, t), a, shaped)
            else:  # Dropout, ReLU, a folded BatchNormalization: the relevance keeps its values
                relevance = keras.ops.reshape(relevance, (-1, *a.shape[1:]))
        if not differences:  # nothing to check: a difference of 0 on a scale of 1
            differences = [keras.ops.zeros_like(keras.ops.sum(x[:1], axis=tuple(
                range(1, len(x.shape)))))]
            scales = [keras.ops.ones_like(differences[0])]
        return relevance, keras.ops.stack(differences, axis=1), keras.ops.stack(scales, axis=1)

    return fn


# Every method also takes an iterable of batches. The wrapper is applied here rather than
# with @streams above each definition because mutmut (``nox -s mutants``) leaves decorated
# functions unmutated; this way their bodies are mutation-tested too.
lrp = streams(lrp)
