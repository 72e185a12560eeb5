"""Benchmark: interp's newer methods against their peers, same images and settings.

Grad-CAM++, Score-CAM and LayerCAM against pytorch-grad-cam 1.5.7, KernelSHAP and LRP
epsilon against Captum 0.9 (and LRP against zennit 1.0.0), on tests/parity/_parity.py's
pure-PyTorch copy of the course network (in float32 here, as interp computes); RISE
against Xplique 2.0.2 on the Keras model itself (TensorFlow), with the same number of
masks. Real Fashion-MNIST test images. Each pair is timed alternately after a warm-up
of each; medians of --repeat runs; ratio = interp / peer (goal <= 0.67, interp ahead by
1.5x). Prints the machine (cores, load average before and after). Not part of CI.

    nox -s bench-peers-torch
"""

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TQDM_DISABLE", "1")  # ScoreCAM's progress bar, one per image
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "parity"))

import platform
import statistics
import time
import warnings

import keras
import numpy as np
import torch
from _parity import CourseNet, stand_in_for_torchvision

import interp

stand_in_for_torchvision()

from captum.attr import LRP, KernelShap  # noqa: E402
from captum.attr._utils.lrp_rules import EpsilonRule  # noqa: E402
from pytorch_grad_cam import GradCAMPlusPlus, LayerCAM, ScoreCAM  # noqa: E402
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget  # noqa: E402
from xplique.attributions import Rise  # noqa: E402
from zennit.attribution import Gradient  # noqa: E402
from zennit.composites import LayerMapComposite, layer_map_base  # noqa: E402
from zennit.rules import Epsilon  # noqa: E402
from zennit.types import Convolution  # noqa: E402

GOAL = 0.67

# Captum's notes on its own calls (gradients required, several inputs to KernelShap)
warnings.filterwarnings("ignore", category=UserWarning, module="captum")


def timed(func):
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def machine() -> str:
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--images", type=int, default=256, help="for the CAMs and LRP")
    parser.add_argument("--few", type=int, default=16, help="images for RISE and KernelSHAP")
    parser.add_argument("--masks", type=int, default=1000, help="RISE masks")
    parser.add_argument("--samples", type=int, default=512, help="KernelSHAP coalitions")
    args = parser.parse_args()
    print(f"before: {machine()}; interp on Keras {keras.__version__} "
          f"({keras.backend.backend()}); torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")
    model = interp.trained_model(verbose=False)
    _, (x_test, _) = interp.load_fashion_mnist()
    images, few = x_test[:args.images], x_test[:args.few]
    labels = model.predict(images, batch_size=256, verbose=0).argmax(axis=1)
    net = CourseNet(model).float()
    net_softmax = CourseNet(model, softmax=True).float()
    x = torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))
    x_few = x[:len(few)]
    t = torch.from_numpy(labels)
    t_few = t[:len(few)]
    targets = [ClassifierOutputTarget(int(c)) for c in labels]
    grid = 4
    cells = np.arange(28) // (28 // grid)
    mask = torch.from_numpy((cells[:, None] * grid + cells[None, :])[None, None])

    def cam(peer, **settings):
        def run():
            with peer(model=net, target_layers=[net.relu2]) as explainer:
                for name, value in settings.items():
                    setattr(explainer, name, value)
                return explainer(input_tensor=x, targets=targets)
        return run

    def captum_lrp():
        for module in (net.conv1, net.conv2, net.dense):
            module.rule = EpsilonRule(epsilon=1e-6)
        return LRP(net).attribute(x, target=t)

    epsilon = Epsilon(epsilon=1e-6)
    composite = LayerMapComposite(
        layer_map=[*layer_map_base(), (Convolution, epsilon), (torch.nn.Linear, epsilon)])
    one_hot = torch.from_numpy(np.eye(10, dtype=np.float32)[labels])

    def zennit_lrp():
        with Gradient(model=net, composite=composite,
                      attr_output=lambda logits: logits * one_hot) as attributor:
            return attributor(x)[1]

    rise = Rise(model, batch_size=256, nb_samples=args.masks, grid_size=7,
                preservation_probability=0.5, mask_value=0.0)
    onehot = np.eye(10, dtype=np.float32)[labels[:len(few)]]
    shap = KernelShap(net_softmax)
    cases = {
        "grad_cam_plus_plus": (
            lambda: interp.grad_cam_plus_plus(model, images, labels, layer="conv2"),
            cam(GradCAMPlusPlus), f"pytorch-grad-cam, {len(images)} images"),
        "score_cam": (
            lambda: interp.score_cam(model, images, labels, layer="conv2"),
            cam(ScoreCAM, batch_size=256), f"pytorch-grad-cam, {len(images)} images"),
        "layer_cam": (
            lambda: interp.layer_cam(model, images, labels, layer="conv2"),
            cam(LayerCAM), f"pytorch-grad-cam, {len(images)} images"),
        "lrp (Captum)": (
            lambda: interp.lrp(model, images, labels, rule="epsilon", epsilon=1e-6,
                               input_rule="epsilon"),
            captum_lrp, f"Captum LRP, {len(images)} images"),
        "lrp (zennit)": (
            lambda: interp.lrp(model, images, labels, rule="epsilon", epsilon=1e-6,
                               input_rule="epsilon"),
            zennit_lrp, f"zennit Epsilon, {len(images)} images"),
        "kernel_shap": (
            lambda: interp.kernel_shap(model, few, labels[:len(few)], grid=grid,
                                       n_samples=args.samples),
            lambda: shap.attribute(x_few, baselines=0.0, target=t_few, feature_mask=mask,
                                   n_samples=args.samples,
                                   perturbations_per_eval=args.samples),
            f"Captum KernelShap, {len(few)} images x {args.samples} samples, grid {grid}"),
        "rise": (
            lambda: interp.rise(model, few, labels[:len(few)], n_masks=args.masks, cell=7,
                                p=0.5),
            lambda: rise.explain(few, onehot),
            f"Xplique Rise, {len(few)} images x {args.masks} masks"),
    }
    print(f"medians of {args.repeat}; ratio = interp / peer, goal <= {GOAL}")
    print(f"{'method':<20}{'interp s':>10}{'peer s':>10}{'ratio':>8}  peer")
    for name, (ours, peer, what) in cases.items():
        ours()
        peer()  # warm-up: traces, compiles, allocations
        a, b = [], []
        for _ in range(args.repeat):
            a.append(timed(ours))
            b.append(timed(peer))
        ours_s, peer_s = statistics.median(a), statistics.median(b)
        ratio = ours_s / peer_s
        verdict = "met" if ratio <= GOAL else "NOT met"
        print(f"{name:<20}{ours_s:>10.3f}{peer_s:>10.3f}{ratio:>8.2f}  {what} ({verdict})",
              flush=True)
    print(f"after: {machine()}")


if __name__ == "__main__":
    main()
