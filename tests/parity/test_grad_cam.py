"""interp on the Keras course network against pytorch-grad-cam 1.5.7 on its PyTorch copy.

pytorch-grad-cam imports torchvision at the top of modules ROAD does not use (its image
utilities' transforms, ``box_iou`` for detection targets). torchvision 0.28.0, the PyPI
release for torch 2.13.0, is built for CUDA: with the CPU build of torch its import fails
("operator torchvision::nms does not exist"). So a stand-in module takes its place before
pytorch-grad-cam is imported; ROAD's own code (the authors' ``NoisyLinearImputer``, the
percentile thresholds and the scoring) runs unchanged.
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

from pytorch_grad_cam.metrics.road import (
    ROADLeastRelevantFirst,
    ROADMostRelevantFirst,
)
from pytorch_grad_cam.utils.model_targets import ClassifierOutputSoftmaxTarget


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
