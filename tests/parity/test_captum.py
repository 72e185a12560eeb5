"""interp on the Keras course network against Captum 0.9 on its PyTorch copy.

Every pair runs on the same 64 real Fashion-MNIST test images, with their true labels as
the targets (explicit, so neither side picks a class), the same baselines and the same
perturbations or noise. The copy computes in float64 (see conftest.py); interp in float32,
so the tolerances below are float32's error through the network, and each test prints the
largest difference it reached.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch
from _parity import RESULTS, CourseNet, compare, to_maps, to_torch
from captum.attr import (
    LRP,
    GuidedBackprop,
    InputXGradient,
    IntegratedGradients,
    KernelShap,
    LayerAttribution,
    LayerGradCam,
    NoiseTunnel,
    Occlusion,
    Saliency,
)
from captum.attr._utils.lrp_rules import EpsilonRule
from captum.metrics import infidelity, sensitivity_max

import interp


@pytest.fixture(scope="module")
def x(data):
    return to_torch(data[0])


@pytest.fixture(scope="module")
def targets(data):
    return torch.from_numpy(data[1])


# ---- the copy itself ----------------------------------------------------------------------

def test_the_copy_computes_the_keras_network(keras_model, net, net_softmax, data, x):
    """The same logits and probabilities as Keras on 64 real test images.

    Keras's logits are its own flatten layer's output (conv1 and conv2 computed by Keras)
    times the dense layer's kernel plus bias, the probabilities its own output.
    """
    images = data[0]
    features = keras.Model(keras_model.inputs, keras_model.get_layer("flatten").output)
    kernel, bias = keras_model.get_layer("dense").get_weights()
    keras_logits = features.predict(images, verbose=0).astype(np.float64) @ kernel + bias
    keras_probabilities = keras_model.predict(images, verbose=0)
    with torch.no_grad():
        logits, probabilities = net(x).numpy(), net_softmax(x).numpy()
    compare("copy: logits (Keras vs torch)", keras_logits, logits, atol=1e-5)
    compare("copy: probabilities (Keras vs torch)", keras_probabilities, probabilities,
            atol=1e-6)
    # the copy is not trivially right: a wrong flatten order changes the logits
    assert np.abs(logits).max() > 5
    assert (logits.argmax(axis=1) == data[1]).mean() > 0.8  # the trained network


# ---- gradient methods -----------------------------------------------------------------------

def test_saliency(keras_model, net, data, x, targets):
    """Captum's Saliency with ``abs=False`` is the raw gradient of the target's logit.

    interp's saliency is the same raw (signed) gradient, summed over channels (one here).
    """
    expected = to_maps(Saliency(net).attribute(x, target=targets, abs=False))
    got = interp.saliency(keras_model, data[0], data[1])
    compare("saliency vs Saliency(abs=False)", got, expected, scale_rtol=1e-5)


def test_input_x_gradient(keras_model, net, data, x, targets):
    expected = to_maps(InputXGradient(net).attribute(x, target=targets))
    got = interp.input_x_gradient(keras_model, data[0], data[1])
    compare("input_x_gradient vs InputXGradient", got, expected, scale_rtol=1e-5)


def test_guided_backprop(keras_model, net, data, x, targets):
    """Captum overrides the backward pass of every ``nn.ReLU`` module (both are modules
    in the copy), passing back ``relu(grad)``; interp's rule is the same."""
    expected = to_maps(GuidedBackprop(net).attribute(x, target=targets))
    got = interp.guided_backprop(keras_model, data[0], data[1])
    compare("guided_backprop vs GuidedBackprop", got, expected, scale_rtol=1e-5)


@pytest.mark.parametrize("baseline", ["black", "mean image"])
def test_integrated_gradients(keras_model, net, data, x, targets, baseline):
    """The same integral by the same rule: interp's midpoint rule on ``steps`` points
    (``alpha = (k + 1/2) / steps``, weights ``1/steps``) is Captum's ``riemann_middle``.
    Captum's convergence delta, ``sum(attributions) - (f(x) - f(baseline))`` for the
    logit, is interp's gap up to its sign.

    Of the 64 x 32 path points, one of image 62 (step 29 of 32, black baseline) has a
    conv unit whose input is within rounding of 0: float32 and float64 put it on either
    side of the ReLU, and that point's gradient differs by 1% of the largest gradient
    (every other point's by under 2e-7 of it). Up to two images may differ that way."""
    images = data[0]
    base = np.zeros_like(images[:1]) if baseline == "black" else images.mean(axis=0,
                                                                              keepdims=True)
    steps = 32
    attributions, delta = IntegratedGradients(net).attribute(
        x, baselines=to_torch(base), target=targets, n_steps=steps, method="riemann_middle",
        return_convergence_delta=True)
    got, gaps = interp.integrated_gradients(keras_model, images, data[1], baseline=base[0],
                                            steps=steps)
    compare(f"integrated_gradients ({baseline}) vs IG riemann_middle", got,
            to_maps(attributions), scale_rtol=1e-5, outliers=2, outlier_rtol=2e-3)
    compare(f"integrated_gradients gaps ({baseline}) vs |convergence delta|", gaps,
            np.abs(delta.numpy()), atol=2e-3)


def test_smoothgrad_with_interps_noise(keras_model, net, data, x, targets):
    """Captum's NoiseTunnel (smoothgrad) over Saliency, on interp's own noise.

    interp's smoothgrad takes no explicit noise, but documents it exactly: copies
    ``16 g .. 16 g + 15`` of image ``i`` add ``noise * (max - min of the image)`` times the
    standard normal draws of ``numpy.random.default_rng([seed, i, g])`` (float32, in
    order). NoiseTunnel's only random step, ``_add_noise_to_input`` (``torch.normal``), is
    replaced by that noise, drawn here from the documented rule; NoiseTunnel's own code
    still repeats the images, runs Saliency on every copy and averages.
    """
    images, samples, noise, seed = data[0], 20, 0.15, 3
    n = len(images)
    spread = images.reshape(n, -1).max(axis=1) - images.reshape(n, -1).min(axis=1)
    draws = np.empty((n, samples, *images.shape[1:]), np.float32)
    for i in range(n):
        for g in range(0, samples, 16):
            size = min(16, samples - g)
            rng = np.random.default_rng([seed, i, g // 16])
            draws[i, g:g + size] = rng.standard_normal((size, *images.shape[1:]),
                                                       dtype=np.float32)
    scaled = noise * spread[:, None, None, None, None] * draws  # (n, samples, h, w, c)
    given = torch.from_numpy(scaled.reshape(n * samples, *images.shape[1:])
                             .transpose(0, 3, 1, 2).astype(np.float64))

    class GivenNoise(NoiseTunnel):
        def _add_noise_to_input(self, input, stdev, nt_samples_partition):
            assert nt_samples_partition == samples
            return input.repeat_interleave(nt_samples_partition, dim=0) + given

    expected = to_maps(GivenNoise(Saliency(net)).attribute(
        x, nt_type="smoothgrad", nt_samples=samples, stdevs=1.0, target=targets, abs=False))
    got = interp.smoothgrad(keras_model, images, data[1], noise=noise, samples=samples,
                            seed=seed)
    compare("smoothgrad vs NoiseTunnel(Saliency) on interp's noise", got, expected,
            scale_rtol=1e-5)


def test_smoothgrad_against_noise_tunnels_own_noise(keras_model, net, data, x, targets):
    """NoiseTunnel with its own ``torch.normal`` noise: the same expectation, not the same
    draws, so only loosely. Captum's ``stdevs`` is one number for every image, interp's
    noise ``noise`` times each image's range: on 8 images that span [0, 1] exactly
    (most test images do), ``stdevs=noise`` is the same noise. With
    256 samples the Monte Carlo error of either mean is about 1/16 of a gradient's
    spread; the bound is on the whole maps' relative difference."""
    flat = data[0].reshape(len(data[0]), -1)
    chosen = np.flatnonzero((flat.min(axis=1) == 0) & (flat.max(axis=1) == 1))[:8]
    images, samples, noise = data[0][chosen], 256, 0.15
    torch.manual_seed(0)
    expected = to_maps(NoiseTunnel(Saliency(net)).attribute(
        x[chosen], nt_type="smoothgrad", nt_samples=samples, stdevs=noise,
        target=targets[chosen], abs=False, nt_samples_batch_size=256))
    got = interp.smoothgrad(keras_model, images, data[1][chosen], noise=noise,
                            samples=samples)
    relative = np.linalg.norm(got - expected) / np.linalg.norm(expected)
    name = "smoothgrad vs NoiseTunnel, each its own noise (256 samples)"
    print(f"\n{name}: ||diff|| / ||peer|| {relative:.3g}")
    RESULTS.append((name, float(np.abs(got - expected).max()), relative,
                    "||diff|| <= 0.15 * ||peer|| (relative column: the norms' ratio)"))
    assert relative < 0.15


# ---- occlusion and Grad-CAM -----------------------------------------------------------------

@pytest.mark.parametrize(("patch", "stride", "fill"), [(4, 2, 0.0), (7, 3, 0.5), (5, 3, 0.0)])
def test_occlusion(keras_model, net_softmax, data, x, targets, patch, stride, fill):
    """Captum's Occlusion on the probabilities (the copy with its softmax), with a
    ``(1, patch, patch)`` window, ``(1, stride, stride)`` strides and the fill as the
    baseline: each pixel gets the mean drop over the windows covering it, as in interp.

    One difference: where the stride does not land the last window on the image's edge
    (``(28 - patch) % stride != 0``), Captum adds one more window per axis, at the next
    stride, cut off by the edge (``ceil((28 - patch) / stride) + 1`` windows); interp
    places only whole windows and leaves the pixels none covers at 0. With patch 4 or
    7 and strides 2 or 3 the windows end on the edge and the maps agree; with patch 5
    and stride 3 they agree on rows and columns 0..23, the pixels Captum's extra
    windows (at 24) do not reach, and interp's last two rows and columns are 0.
    """
    expected = to_maps(Occlusion(net_softmax).attribute(
        x, sliding_window_shapes=(1, patch, patch), strides=(1, stride, stride),
        baselines=fill, target=targets))
    got = interp.occlusion(keras_model, data[0], data[1], patch=patch, stride=stride,
                           fill=fill)
    name = f"occlusion (patch {patch}, stride {stride}, fill {fill}) vs Occlusion"
    if (28 - patch) % stride:
        edge = (28 - patch) // stride * stride + stride  # Captum's extra windows start here
        assert np.all(got[:, edge + patch - stride:] == 0)
        assert np.abs(got[:, edge:] - expected[:, edge:]).max() > 1e-3  # they do differ
        got, expected, name = got[:, :edge, :edge], expected[:, :edge, :edge], (
            name + f" (rows, columns < {edge})")
    compare(name, got, expected, atol=2e-6)


@pytest.mark.parametrize("layer", ["conv1", "conv2"])
def test_grad_cam(keras_model, net, data, x, targets, layer):
    """Captum's LayerGradCam on the ReLU module after the conv layer (whose output is the
    Keras layer's, activation included), ``relu_attributions=True``, upsampled by
    ``LayerAttribution.interpolate(..., "bilinear")`` (``align_corners=False``: half-pixel
    centres, as Keras's resize)."""
    module = net.relu1 if layer == "conv1" else net.relu2
    cams = LayerGradCam(net, module).attribute(x, target=targets, relu_attributions=True)
    expected = to_maps(LayerAttribution.interpolate(cams, (28, 28), "bilinear"))
    got = interp.grad_cam(keras_model, data[0], data[1], layer=layer)
    compare(f"grad_cam ({layer}) vs LayerGradCam + bilinear", got, expected, scale_rtol=1e-5)


# ---- LRP and KernelSHAP ----------------------------------------------------------------------

@pytest.mark.parametrize(("epsilon", "bound"), [(1e-6, 5e-4), (0.25, 2e-6)])
def test_lrp(keras_model, data, x, targets, epsilon, bound):
    """Captum's LRP with its ``EpsilonRule`` on every Conv2d and Linear (set as each
    module's ``rule``; the ReLUs pass relevance unchanged, Captum's rule for them) against
    interp.lrp(rule="epsilon", input_rule="epsilon"): Captum has no zB rule, so the
    epsilon rule runs at the input layer too. Captum starts from the target's logit, as
    interp does, and stabilises ``z + epsilon * sign(z)`` with the sign of 0 taken as +1
    (``lrp_rules.py``), as interp does. Its default epsilon, 1e-9, is not interp's
    (1e-6): both get the same one here. As with zennit (test_zennit.py), epsilon 1e-6
    leaves near-zero pre-activations almost unstabilised, where float32's error grows (here
    at the input layer too): 3.5e-5 of the largest relevance (2.4e-4 with the pre-activations
    computed in numpy), bound 5e-4; with 0.25, 2e-6. A fresh copy of the network: Captum
    leaves the rules on its modules."""
    images, labels = data
    net = CourseNet(keras_model)
    for module in (net.conv1, net.conv2, net.dense):
        module.rule = EpsilonRule(epsilon=epsilon)
    expected = to_maps(LRP(net).attribute(x, target=targets))
    got = interp.lrp(keras_model, images, labels, rule="epsilon", epsilon=epsilon,
                     input_rule="epsilon")
    name = f"lrp (epsilon {epsilon:g}, epsilon at the input) vs Captum LRP"
    compare(name, got, expected, scale_rtol=bound)
    compare(f"{name}, sums", got.sum(axis=(1, 2)), expected.sum(axis=(1, 2)),
            scale_rtol=bound)


def superpixels(grid: int) -> np.ndarray:
    """interp's superpixel of each pixel: ``(r * grid // 28) * grid + c * grid // 28``."""
    rows = np.arange(28) * grid // 28
    return rows[:, None] * grid + rows[None, :]


def given_coalitions(coalitions: np.ndarray):
    """A perturbation generator for Captum's KernelShap: the full and the empty coalition
    (what its own generator yields first), then *coalitions*, one a sample."""
    def generate(original_input, **kwargs):
        assert kwargs["num_interp_features"] == coalitions.shape[1]
        yield torch.ones(1, coalitions.shape[1], dtype=torch.long)
        yield torch.zeros(1, coalitions.shape[1], dtype=torch.long)
        for row in coalitions:
            yield torch.from_numpy(row[None].astype(np.int64))
    return generate


def captum_kernel_shap(net_softmax, x, targets, grid, coalitions):
    explainer = KernelShap(net_softmax)
    explainer.perturb_func = given_coalitions(coalitions)
    mask = torch.from_numpy(superpixels(grid)[None, None])
    return to_maps(explainer.attribute(x, baselines=0.0, target=targets, feature_mask=mask,
                                       n_samples=len(coalitions) + 2,
                                       perturbations_per_eval=len(coalitions) + 2))


def test_kernel_shap_on_the_same_coalitions(keras_model, net_softmax, data, x, targets):
    """Captum's KernelShap on the probabilities (the copy with its softmax), baseline 0, a
    feature mask of interp's 4 x 4 superpixels, on the same 512 coalitions as interp's
    ``coalitions=``: Captum's one random step, its perturbation generator, yields them
    (after the full and the empty coalition, as its own does); its weights (1 for each,
    1e6 for the full and the empty one) and its regression (scikit-learn's
    LinearRegression, with an intercept) run as they are. The coalitions are drawn as
    both draw them: a size with probability proportional to ``(d - 1) / (k (d - k))``,
    then that many players at random, each with weight 1. Definitions: interp fits the
    same weighted least squares with the full and the empty coalition as exact
    constraints, Captum with a weight of 1e6; Captum also rounds its data to float32.
    Hence 1e-4 of the largest value."""
    images, labels = data
    grid, players = 4, 16
    rng = np.random.default_rng(11)
    sizes = np.arange(1, players)
    odds = (players - 1) / (sizes * (players - sizes))
    coalitions = np.zeros((512, players))
    for row in coalitions:
        row[rng.permutation(players)[:rng.choice(sizes, p=odds / odds.sum())]] = 1.0
    expected = captum_kernel_shap(net_softmax, x, targets, grid, coalitions)
    got = interp.kernel_shap(keras_model, images, labels, grid=grid, coalitions=coalitions)
    compare("kernel_shap (grid 4, the same 512 coalitions) vs KernelShap", got, expected,
            scale_rtol=1e-4)


def test_kernel_shap_exact(keras_model, net_softmax, data, x, targets):
    """interp's exact Shapley values (``grid=2``: 4 superpixels, every one of the 14
    coalitions, with Shapley's kernel as weights) against Captum's KernelShap given each
    coalition as many times as the kernel weighs it (2 : 1 : 2 for sizes 1, 2 and 3):
    Captum samples by the kernel and weighs each sample 1, so these 22 samples are the
    kernel's weighted regression, whose solution with the endpoints fixed is the Shapley
    values. The Shapley values add up to ``v(all) - v(empty)`` (asserted on interp's)."""
    images, labels = data
    codes = np.arange(1, 15)
    members = ((codes[:, None] >> np.arange(4)) & 1).astype(np.float64)
    coalitions = np.repeat(members, np.where(members.sum(axis=1) == 2, 1, 2), axis=0)
    assert len(coalitions) == 22
    expected = captum_kernel_shap(net_softmax, x, targets, 2, coalitions)
    got = interp.kernel_shap(keras_model, images, labels, grid=2, n_samples=14)
    with torch.no_grad():
        rows = torch.arange(len(x))
        change = (net_softmax(x)[rows, targets] - net_softmax(torch.zeros_like(x))[
            rows, targets]).numpy()
    values = got[:, ::14, ::14].reshape(len(images), 4)
    np.testing.assert_allclose(values.sum(axis=1), change, atol=1e-6)
    compare("kernel_shap (grid 2, exact) vs KernelShap on kernel-weighted coalitions", got,
            expected, scale_rtol=1e-4)


# ---- measures -----------------------------------------------------------------------------

def tiled(steps: np.ndarray, n: int) -> torch.Tensor:
    """Perturbations (N, h, w) for Captum's batch of n * N copies, image-major
    (Captum repeats each input ``repeat_interleave``-wise, N copies in a row)."""
    return torch.from_numpy(np.tile(steps[:, None].astype(np.float64), (n, 1, 1, 1)))


@pytest.mark.parametrize("normalize", [False, True])
def test_infidelity(keras_model, net_softmax, data, x, targets, normalize):
    """Captum's infidelity on the probabilities, with a ``perturb_func`` returning the
    same N perturbations for every image (and ``x - I``), against interp's on the same
    perturbations and saliency maps."""
    images, labels = data
    maps = interp.saliency(keras_model, images, labels)
    steps = np.random.default_rng(7).normal(0.0, 0.1, (16, 28, 28)).astype(np.float32)
    perturbations = tiled(steps, len(images))

    def perturb(inputs):
        assert inputs.shape[0] == len(perturbations)
        return perturbations, inputs - perturbations

    expected = infidelity(net_softmax, perturb, x, torch.from_numpy(maps[:, None].astype(
        np.float64)), target=targets, n_perturb_samples=len(steps), normalize=normalize)
    got = interp.infidelity(keras_model, images, maps, labels, perturbations=steps,
                            normalize=normalize)
    compare(f"infidelity (normalize={normalize}) vs captum.metrics.infidelity",
            got.scores, expected.numpy(), rtol=1e-3, atol=1e-6)


def test_max_sensitivity(keras_model, net, data, x, targets):
    """Captum's sensitivity_max of Saliency (``abs=False``), its Frobenius norm, with a
    ``perturb_func`` adding the same N uniform perturbations to every image, against
    interp's max_sensitivity of saliency on them. The network is piecewise linear, so a
    map moves only where a perturbation flips a ReLU; float32 and float64 could flip a
    unit whose input is within rounding of 0 differently, which has not happened here."""
    images, labels = data
    steps = np.random.default_rng(8).uniform(-0.02, 0.02, (10, 28, 28)).astype(np.float32)
    perturbations = tiled(steps, len(images))

    def perturb(inputs, perturb_radius):
        assert inputs.shape[0] == len(perturbations)
        return inputs + perturbations

    expected = sensitivity_max(Saliency(net).attribute, x, perturb, n_perturb_samples=len(
        steps), target=targets, abs=False)
    got = interp.max_sensitivity(interp.saliency, keras_model, images, labels,
                                 perturbations=steps)
    assert got.scores.min() > 0.01  # the perturbations move the maps
    compare("max_sensitivity(saliency) vs sensitivity_max(Saliency)", got.scores,
            expected.numpy(), rtol=1e-4, atol=1e-6)
