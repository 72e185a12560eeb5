"""interp on the Keras course network against pytorch-grad-cam 1.5.7 on its PyTorch copy.

pytorch-grad-cam imports torchvision at the top of its modules, for things these tests do
not call (its image utilities' transforms, ``box_iou`` for detection targets, a resize
in ``sess.py``). torchvision 0.28.0, the PyPI release for torch 2.13.0, is built for
CUDA: beside the CPU build of torch its import fails ("operator torchvision::nms does not
exist"). So a stand-in module takes its place before pytorch-grad-cam is imported. The
code compared runs unchanged: ROAD's (the authors' ``NoisyLinearImputer``, the percentile
thresholds, the scoring) and GradCAM's (weights, ReLU, scaling, ``cv2.resize``).
"""

from __future__ import annotations

import sys
from unittest import mock

import numpy as np
import pytest
from _parity import CourseNet, compare, to_torch

import interp

try:
    import torchvision  # noqa: F401
except (ImportError, RuntimeError):
    for name in [name for name in sys.modules if name.split(".")[0] == "torchvision"]:
        del sys.modules[name]
    for name in ("torchvision", "torchvision.transforms", "torchvision.transforms.functional",
                 "torchvision.ops"):
        sys.modules[name] = mock.MagicMock(name=name)

from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.metrics.road import (
    ROADLeastRelevantFirst,
    ROADMostRelevantFirst,
)
from pytorch_grad_cam.utils.model_targets import (
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
    module = net.relu1 if layer == "conv1" else net.relu2
    with GradCAM(model=net, target_layers=[module]) as cam:
        expected = cam(input_tensor=to_torch(images),
                       targets=[ClassifierOutputTarget(int(c)) for c in labels])
    got = interp.grad_cam(keras_model, images, labels, layer=layer).astype(np.float64)
    low = got.min(axis=(1, 2), keepdims=True)
    span = got.max(axis=(1, 2), keepdims=True) - low
    zero = span[:, 0, 0] == 0
    print(f"\ngrad_cam ({layer}): {zero.sum()} of {len(got)} maps all 0")
    assert np.all(expected[zero] == 0)
    scaled = np.divide(got - low, span, out=np.zeros_like(got), where=span > 0)
    compare(f"grad_cam ({layer}), scaled to [0, 1], vs GradCAM", scaled, expected,
            atol=5e-5)
