"""interp's LRP on the Keras course network against zennit 1.0 on its PyTorch copy.

zennit's rules are hooks on the copy's modules (conv1, conv2, dense), assigned by its
``SpecialFirstLayerMapComposite``: the zB rule (``ZBox``) at the first layer, the main
rule (``Epsilon`` or ``AlphaBeta``) at every later Conv2d and Linear, and its base map
(``Pass`` for the ReLUs, relevance unchanged, as in interp). The relevance it starts from
is the gradient's output vector, given here as the target's logit in its class and 0
elsewhere (``attr_output``), as interp starts from the target's logit.

Definitions compared: both stabilise a denominator ``z`` as ``z + epsilon * sign(z)`` with
the sign of 0 taken as +1 (zennit's ``Stabilizer``, interp's ``_divide``), so the same
``epsilon`` is passed to both (1e-6 is either's default; ``AlphaBeta`` stabilises its two
denominators with its ``stabilizer``, interp's with ``epsilon``). One difference is
aligned: zennit's ``ZBox`` stabilises its denominator too (1e-6), interp's zB rule does
not (the denominator is positive for inputs within the bounds; a 0 gives 0): ``ZBox``
gets a stabiliser doing what interp does, ``z`` itself where it is not 0.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _parity import compare, stand_in_for_torchvision, to_torch

import interp

stand_in_for_torchvision()

from zennit.attribution import Gradient  # noqa: E402
from zennit.composites import SpecialFirstLayerMapComposite, layer_map_base  # noqa: E402
from zennit.rules import AlphaBeta, Epsilon, ZBox  # noqa: E402
from zennit.types import Convolution, Linear  # noqa: E402


def interps_zb_denominator(z: torch.Tensor) -> torch.Tensor:
    """interp's zB denominator: ``z``, and infinity where it is 0 (a relevance of 0)."""
    return torch.where(z == 0, torch.inf, z)


def zennit_lrp(net, data, rule, low, high):
    """zennit's relevance of the target's logit: *rule* above the first layer, zB at it."""
    images, labels = data
    composite = SpecialFirstLayerMapComposite(
        layer_map=[*layer_map_base(), (Convolution, rule), (torch.nn.Linear, rule)],
        first_map=[(Linear, ZBox(low, high, stabilizer=interps_zb_denominator))])
    one_hot = torch.from_numpy(np.eye(10)[labels])
    with Gradient(model=net, composite=composite,
                  attr_output=lambda logits: logits * one_hot) as attributor:
        _, relevance = attributor(to_torch(images))
    return relevance.detach().numpy().sum(axis=1)


@pytest.mark.parametrize(("rule", "epsilon", "bounds", "bound"), [
    ("epsilon", 1e-6, (0.0, 1.0), 3e-4), ("epsilon", 0.25, (0.0, 1.0), 2e-6),
    ("epsilon", 0.25, (-0.5, 1.5), 2e-6), ("alphabeta", 1e-6, (0.0, 1.0), 1e-6)])
def test_lrp(keras_model, net, data, rule, epsilon, bounds, bound):
    """zennit's composite against interp.lrp(rule=..., input_rule="zb", low, high), the
    alpha-beta rule with alpha=2, beta=1, the same epsilon on both sides.

    Each relevance map is compared relative to the peer's largest relevance, and so are
    the images' sums. The epsilon rule with interp's default epsilon 1e-6 divides by
    pre-activations near 0 almost unstabilised, which magnifies float32's error: zennit on
    a float32 copy of the network differs from zennit on this float64 copy by 2.2e-5 of
    the largest relevance, and interp (float32 throughout) by 2.2e-5 (1.1e-4 when it
    summed in float64 but took each pre-activation from the weights in numpy, not from
    the backend's own convolution), bound 3e-4. With epsilon 0.25 both differences fall below 1e-6 (a
    difference of definition would not shrink with epsilon), and the bound is 2e-6. The
    alpha-beta rule's denominators are sums of positive (or of negative) parts, far from
    0: 1e-6.
    """
    images, labels = data
    low, high = bounds
    peer_rule = Epsilon(epsilon=epsilon) if rule == "epsilon" else AlphaBeta(
        alpha=2.0, beta=1.0, stabilizer=epsilon)
    expected = zennit_lrp(net, data, peer_rule, low, high)
    assert np.isfinite(expected).all()
    got = interp.lrp(keras_model, images, labels, rule=rule, epsilon=epsilon, alpha=2.0,
                     beta=1.0, input_rule="zb", low=low, high=high)
    name = f"lrp ({rule}, epsilon {epsilon:g}, zB in [{low:g}, {high:g}]) vs zennit"
    compare(name, got, expected, scale_rtol=bound)
    compare(f"{name}, sums", got.sum(axis=(1, 2)), expected.sum(axis=(1, 2)),
            scale_rtol=bound)
