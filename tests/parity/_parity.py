"""Helpers of the parity tests: the PyTorch copy of the course network and the comparison.

The copy computes in float64 from the Keras model's float32 weights (exactly
representable), so each difference is interp's float32 error plus any disagreement of
definitions, not two float32 errors added.
"""

from __future__ import annotations

import sys
from unittest import mock

import numpy as np
import torch
from torch import nn

#: (name, max abs difference, max abs difference / max |peer|, tolerance) of every pair.
RESULTS: list[tuple[str, float, float, str]] = []

#: Real Fashion-MNIST test images compared (the first ones of the test set).
N_IMAGES = 64


class CourseNet(nn.Module):
    """interp's course network in plain PyTorch: conv1, ReLU, conv2, ReLU, flatten, dense.

    Every ReLU is an ``nn.ReLU`` module, so Captum's GuidedBackprop finds them, and the
    ReLU after conv2 is the module whose output equals the Keras layer ``conv2``'s output
    (Keras applies a layer's activation inside the layer). With ``softmax=True`` the
    forward pass returns probabilities, as the Keras model does; otherwise the logits,
    which interp's gradient methods explain.
    """

    def __init__(self, keras_model, *, softmax: bool = False) -> None:
        super().__init__()
        (k1, b1), (k2, b2), (kd, bd) = (
            keras_model.get_layer(name).get_weights() for name in ("conv1", "conv2", "dense"))
        self.conv1 = nn.Conv2d(k1.shape[2], k1.shape[3], k1.shape[:2])
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(k2.shape[2], k2.shape[3], k2.shape[:2])
        self.relu2 = nn.ReLU()
        self.dense = nn.Linear(kd.shape[0], kd.shape[1])
        self.softmax = softmax
        with torch.no_grad():
            # Keras kernels are (kh, kw, in, out); torch's (out, in, kh, kw). Both layers
            # compute a cross-correlation, so no flip.
            self.conv1.weight.copy_(torch.from_numpy(k1.transpose(3, 2, 0, 1).copy()))
            self.conv1.bias.copy_(torch.from_numpy(b1))
            self.conv2.weight.copy_(torch.from_numpy(k2.transpose(3, 2, 0, 1).copy()))
            self.conv2.bias.copy_(torch.from_numpy(b2))
            self.dense.weight.copy_(torch.from_numpy(kd.T.copy()))
            self.dense.bias.copy_(torch.from_numpy(bd))
        self.double().eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.relu2(self.conv2(self.relu1(self.conv1(x))))
        # Keras flattens channels-last (h, w, c); torch's maps are (c, h, w)
        logits = self.dense(h.permute(0, 2, 3, 1).reshape(len(h), -1))
        return torch.softmax(logits, dim=1) if self.softmax else logits


def to_torch(images: np.ndarray) -> torch.Tensor:
    """Channels-last float32 images as a channels-first float64 tensor."""
    return torch.from_numpy(np.ascontiguousarray(np.asarray(images, np.float64)
                                                 .transpose(0, 3, 1, 2)))


def to_maps(tensor: torch.Tensor) -> np.ndarray:
    """Captum's (n, c, h, w) attributions summed over channels, as interp returns maps."""
    return tensor.detach().numpy().sum(axis=1)


def compare(name: str, got, expected, *, atol: float = 0.0, rtol: float = 0.0,
            scale_rtol: float | None = None, outliers: int = 0,
            outlier_rtol: float | None = None) -> None:
    """Assert interp's *got* matches the peer's *expected*, and record the differences.

    ``atol``/``rtol`` are numpy's elementwise tolerances; ``scale_rtol`` bounds the
    largest difference relative to the peer's largest absolute value (for maps, whose
    small entries have no meaningful elementwise relative error). With *outliers*, up to
    that many images may exceed ``scale_rtol``, each by no more than ``outlier_rtol``
    (for a ReLU whose input is within float32 rounding of 0, which the float64 copy can
    put on the other side).
    """
    got = np.atleast_1d(np.asarray(got, np.float64))
    expected = np.atleast_1d(np.asarray(expected, np.float64))
    assert got.shape == expected.shape, (name, got.shape, expected.shape)
    diff = np.abs(got - expected)
    worst = float(diff.max())
    scale = float(np.abs(expected).max()) or 1.0
    relative = worst / scale
    per_image = diff.reshape(len(diff), -1).max(axis=1) / scale
    rules = []
    if scale_rtol is not None:
        rules.append(f"max|diff| <= {scale_rtol:g} * max|peer|")
        if outliers:
            rules[-1] += f" but <= {outliers} images, those <= {outlier_rtol:g} * max|peer|"
    if atol or rtol:
        rules.append(f"atol {atol:g}, rtol {rtol:g}")
    beyond = int((per_image > scale_rtol).sum()) if scale_rtol is not None else 0
    RESULTS.append((name, worst, relative, "; ".join(rules)
                    + (f" ({beyond} beyond)" if outliers else "")))
    print(f"\n{name}: max |diff| {worst:.3g}, max |diff| / max |peer| {relative:.3g} "
          f"(peer's max {scale:.3g})" + (f"; {beyond} images beyond {scale_rtol:g}"
                                         if outliers else ""))
    if scale_rtol is not None:
        assert beyond <= outliers, f"{name}: {beyond} images beyond {scale_rtol:g}"
        limit = outlier_rtol if outliers else scale_rtol
        assert relative <= limit, f"{name}: {relative:.3g} > {limit:g}"
    if atol or rtol:
        np.testing.assert_allclose(got, expected, atol=atol, rtol=rtol, err_msg=name)


def stand_in_for_torchvision() -> None:
    """Put a stand-in module in place of torchvision if it fails to import.

    torchvision 0.28.0, the PyPI release for torch 2.13.0, is built for CUDA: beside the
    CPU build of torch its import fails ("operator torchvision::nms does not exist").
    pytorch-grad-cam and zennit import it at the top of modules for things the parity
    tests do not call (see test_grad_cam.py); zennit's ``types`` also lists
    ``torchvision.ops.FrozenBatchNorm2d`` among its BatchNorm classes, so the stand-in's
    is a class of its own, which no module of the copy is.
    """
    try:
        import torchvision  # noqa: F401
    except (ImportError, RuntimeError):
        for name in [name for name in sys.modules if name.split(".")[0] == "torchvision"]:
            del sys.modules[name]
        for name in ("torchvision", "torchvision.transforms",
                     "torchvision.transforms.functional", "torchvision.ops",
                     "torchvision.models", "torchvision.models.resnet"):
            sys.modules[name] = mock.MagicMock(name=name)
        sys.modules["torchvision.ops"].FrozenBatchNorm2d = type("FrozenBatchNorm2d", (), {})
        sys.modules["torchvision"].ops = sys.modules["torchvision.ops"]
