"""interp on the Keras course network against pytorch-grad-cam 1.5.7 on its PyTorch copy.

pytorch-grad-cam imports torchvision at the top of its modules, for things these tests do
not call (its image utilities' transforms, ``box_iou`` for detection targets, a resize
in ``sess.py``). torchvision 0.28.0, the PyPI release for torch 2.13.0, is built for
CUDA: beside the CPU build of torch its import fails ("operator torchvision::nms does not
exist"). So a stand-in module takes its place before pytorch-grad-cam is imported. The
code compared runs unchanged: ROAD's (the authors' ``NoisyLinearImputer``, the percentile
thresholds, the scoring), GradCAM's and LayerCAM's (weights, ReLU, scaling,
``cv2.resize``); GradCAMPlusPlus's and ScoreCAM's with one named change each, to align a
definition (see their tests).
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
import torch
from _parity import RESULTS, CourseNet, compare, stand_in_for_torchvision, to_torch

import interp

stand_in_for_torchvision()

from pytorch_grad_cam import GradCAM, GradCAMPlusPlus, LayerCAM, ScoreCAM  # noqa: E402
from pytorch_grad_cam.metrics.road import (  # noqa: E402
    ROADLeastRelevantFirst,
    ROADMostRelevantFirst,
)
from pytorch_grad_cam.utils.model_targets import (  # noqa: E402
    ClassifierOutputSoftmaxTarget,
    ClassifierOutputTarget,
)


@pytest.mark.parametrize("order", ["morf", "lerf"])
def test_road(keras_model, data, order):
    """ROAD without its noise (``noise=0`` here, the imputer's ``noise = 0`` there: the
    noise is the one thing drawn from different generators), on the same saliency maps.

    Definitions aligned:

    - pytorch-grad-cam takes a percentile ``p`` and keeps the pixels whose map is below
      the map's ``p``-th percentile (LeRF: of the negated map); interp takes the fraction
      removed. The maps here have no ties (asserted), so each percentile removes the same
      number of pixels from every image (asserted), and interp gets that number / 784;
    - pytorch-grad-cam reports the change of the target's score from the image, with
      ``ClassifierOutputSoftmaxTarget`` the probability's; interp the probability itself,
      so its curve at fraction 0 (the image) is subtracted.
    """
    images, labels = data
    maps = interp.saliency(keras_model, images, labels)
    assert all(len(np.unique(m)) == m.size for m in maps)
    percentiles = [80, 50, 20] if order == "morf" else [20, 50, 80]
    peer = ROADMostRelevantFirst if order == "morf" else ROADLeastRelevantFirst
    targets = [ClassifierOutputSoftmaxTarget(int(c)) for c in labels]
    # the imputer writes its float32 solution into the image: float32 images and copy
    x, net32 = to_torch(images).float(), CourseNet(keras_model).float()
    expected, fractions = [], []
    for p in percentiles:
        metric = peer(p)
        metric.perturbation.imputer.noise = 0.0
        expected.append(metric(x, maps, targets, net32))
        ranked = maps if order == "morf" else 1 - maps
        thresholds = np.percentile(ranked.reshape(len(maps), -1), p, axis=1)
        removed = (ranked >= thresholds[:, None, None]).sum(axis=(1, 2))
        assert np.all(removed == removed[0])
        fractions.append(float(removed[0] / maps[0].size))
    order_of = np.argsort(fractions)
    curve = interp.road(keras_model, images, maps, labels, order=order, noise=0.0,
                        fractions=[0.0, *np.asarray(fractions)[order_of]])
    got = (curve.scores[:, 1:] - curve.scores[:, :1])[:, np.argsort(order_of)]
    print(f"\nroad ({order}): fractions removed {[round(f, 4) for f in sorted(fractions)]}")
    compare(f"road ({order}, no noise) vs ROAD{'Most' if order == 'morf' else 'Least'}"
            "RelevantFirst", got, np.stack(expected, axis=1), atol=2e-6)


@pytest.mark.parametrize("layer", ["conv1", "conv2"])
def test_grad_cam(keras_model, net, data, layer):
    """pytorch-grad-cam's GradCAM on the ReLU module after the conv layer, for the
    target's logit (``ClassifierOutputTarget``), against interp's grad_cam.

    pytorch-grad-cam scales each map to [0, 1] (minus its minimum, over its maximum plus
    1e-7) before resizing it with ``cv2.resize`` (bilinear, half-pixel centres, as
    Keras's resize), and scales the resized map again the same way; interp does not
    scale its maps (the plots do). Both scalings are affine, and so is the resize, so
    the result is interp's map scaled to [0, 1] by its own minimum and maximum (the 1e-7
    terms aside), which the test computes. A map that is 0 everywhere (the layer's
    evidence is against the class everywhere) stays 0 in both.

    The scaling divides by each map's range, which is small for some (1.6e-5 for the
    conv1 map that differs most; the median over conv2's maps is 1.3e-4):
    interp's float32 error, under 1e-6 of the largest map in test_captum's comparison
    with LayerGradCam, grows to about 1e-5 of [0, 1] on those maps, hence 5e-5.
    """
    images, labels = data
    expected = peer_cams(GradCAM, net, layer, data)
    got = interp.grad_cam(keras_model, images, labels, layer=layer)
    compare(f"grad_cam ({layer}), scaled to [0, 1], vs GradCAM",
            unit_scaled("grad_cam", layer, got, expected), expected, atol=5e-5)


def peer_cams(peer, net, layer, data, **settings):
    """pytorch-grad-cam's *peer* on the ReLU module after *layer*, for the target logits."""
    images, labels = data
    module = net.relu1 if layer == "conv1" else net.relu2
    with peer(model=net, target_layers=[module]) as cam:
        for name, value in settings.items():
            setattr(cam, name, value)
        return cam(input_tensor=to_torch(images),
                   targets=[ClassifierOutputTarget(int(c)) for c in labels])


def unit_scaled(name: str, layer: str, got: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """interp's maps scaled to [0, 1] by their own minimum and maximum, as pytorch-grad-cam
    scales its maps (see test_grad_cam); a map that is 0 everywhere stays 0, in both."""
    got = np.asarray(got, np.float64)
    low = got.min(axis=(1, 2), keepdims=True)
    span = got.max(axis=(1, 2), keepdims=True) - low
    zero = span[:, 0, 0] == 0
    print(f"\n{name} ({layer}): {zero.sum()} of {len(got)} maps all 0")
    assert np.all(expected[zero] == 0)
    return np.divide(got - low, span, out=np.zeros_like(got), where=span > 0)


def without_epsilon(get_cam_weights):
    """GradCAMPlusPlus's own ``get_cam_weights`` with its one constant ``1e-6`` (the
    ``eps`` added to the denominator of alpha) replaced by 0, the rest of its code as is."""
    code = get_cam_weights.__code__
    assert code.co_consts.count(1e-6) == 1, code.co_consts
    consts = tuple(0.0 if c == 1e-6 else c for c in code.co_consts)
    return type(get_cam_weights)(code.replace(co_consts=consts), get_cam_weights.__globals__,
                                 get_cam_weights.__name__, get_cam_weights.__defaults__,
                                 get_cam_weights.__closure__)


@pytest.mark.parametrize("layer", ["conv1", "conv2"])
def test_grad_cam_plus_plus(keras_model, net, data, layer):
    """pytorch-grad-cam's GradCAMPlusPlus for the target's logit, scaled to [0, 1] and
    resized as GradCAM (test_grad_cam), against interp's grad_cam_plus_plus scaled alike.

    One difference of definition: GradCAMPlusPlus adds ``eps = 1e-6`` to the denominator
    ``2 g**2 + sum(A) g**3`` of alpha (interp: nothing; alpha is 0 where the gradient is
    0, in both). The gradients of the logit with respect to these layers' maps are small
    (the denominator is of order ``g**2``), so the 1e-6 changes the maps by far more than
    float32 does: the test runs GradCAMPlusPlus's own ``get_cam_weights`` with that one
    constant set to 0 and holds it to GradCAM's bound, and records, with the constant,
    how far apart the maps are (asserting that they differ 10 times more, so the
    alignment is not idle). Where the denominator is 0 with a nonzero gradient, the peer's division
    would give inf; with these maps it is never exactly 0 (its result is finite,
    asserted).
    """
    images, labels = data
    got = interp.grad_cam_plus_plus(keras_model, images, labels, layer=layer)
    aligned = without_epsilon(GradCAMPlusPlus.get_cam_weights)
    with mock.patch.object(GradCAMPlusPlus, "get_cam_weights", aligned), \
            np.errstate(divide="ignore", invalid="ignore"):
        expected = peer_cams(GradCAMPlusPlus, net, layer, data)
    assert np.isfinite(expected).all()
    scaled = unit_scaled("grad_cam_plus_plus", layer, got, expected)
    compare(f"grad_cam_plus_plus ({layer}), [0, 1], vs GradCAMPlusPlus, eps 0", scaled,
            expected, atol=2e-5)
    as_is = peer_cams(GradCAMPlusPlus, net, layer, data)
    difference = float(np.abs(scaled - as_is).max())
    name = f"grad_cam_plus_plus ({layer}), [0, 1], vs GradCAMPlusPlus, its eps 1e-6"
    print(f"{name}: max |diff| {difference:.3g}")
    RESULTS.append((name, difference, difference, "recorded; > 10 x the aligned difference"))
    assert difference > 10 * np.abs(scaled - expected).max()


@pytest.mark.parametrize("layer", ["conv1", "conv2"])
def test_layer_cam(keras_model, net, data, layer):
    """pytorch-grad-cam's LayerCAM (``relu(grads) * activations`` summed over channels,
    then ReLU, scaled and resized as GradCAM) against interp's layer_cam scaled alike."""
    images, labels = data
    expected = peer_cams(LayerCAM, net, layer, data)
    got = interp.layer_cam(keras_model, images, labels, layer=layer)
    compare(f"layer_cam ({layer}), scaled to [0, 1], vs LayerCAM",
            unit_scaled("layer_cam", layer, got, expected), expected, atol=2e-5)


def half_pixel_upsampling(size):
    """``UpsamplingBilinear2d(size)`` with half-pixel centres (``align_corners=False``)."""
    return torch.nn.Upsample(size=size, mode="bilinear", align_corners=False)


@pytest.mark.parametrize("layer", ["conv1", "conv2"])
def test_score_cam(keras_model, net, data, layer):
    """pytorch-grad-cam's ScoreCAM for the target's logit, against interp's score_cam,
    both scaled to [0, 1] (and the peer's resized with cv2) as in test_grad_cam.

    Definitions aligned: ScoreCAM upsamples each map to the image with
    ``torch.nn.UpsamplingBilinear2d``, which aligns the corners; interp, with half-pixel
    centres (``keras.ops.image.resize``), so the masks differ. The test replaces that one
    class, as ScoreCAM's ``get_cam_weights`` looks it up, by ``torch.nn.Upsample(...,
    mode="bilinear", align_corners=False)``; the rest of ScoreCAM's code (the masks'
    scaling by ``max - min + 1e-8``, the masked images, the logits, the softmax over
    channels) runs as is. Its scores pass through float32 (``torch.Tensor``), as
    interp's logits are float32. With ScoreCAM's own upsampling the maps differ 10 times
    more at least (recorded and asserted, so the alignment is not idle).
    """
    images, labels = data
    got = interp.score_cam(keras_model, images, labels, layer=layer)
    with mock.patch.object(torch.nn, "UpsamplingBilinear2d", half_pixel_upsampling):
        expected = peer_cams(ScoreCAM, net, layer, data, batch_size=256)
    scaled = unit_scaled("score_cam", layer, got, expected)
    compare(f"score_cam ({layer}), [0, 1], vs ScoreCAM, half-pixel masks", scaled, expected,
            atol=2e-5)
    as_is = peer_cams(ScoreCAM, net, layer, data, batch_size=256)
    difference = float(np.abs(scaled - as_is).max())
    name = f"score_cam ({layer}), [0, 1], vs ScoreCAM, its corner-aligned masks"
    print(f"{name}: max |diff| {difference:.3g}")
    RESULTS.append((name, difference, difference, "recorded; > 10 x the aligned difference"))
    assert difference > 10 * np.abs(scaled - expected).max()
