"""interp's model-facing results on one saved model, under whichever backend Keras runs on.

``python tests/backend_agreement.py MODEL.keras IMAGES.npy OUT.npz`` writes them to OUT;
``KERAS_BACKEND`` picks the backend. tests/test_backends.py runs it under every other
installed backend and compares with the results of its own process, and
benchmarks/bench_backends.py prints the table of differences on the documentation page.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

#: Results that are integers and must be equal, not close.
EXACT = ("top_activating.indices", "top_activating.positions")
#: How close the backends must come: the largest difference over the largest magnitude.
RTOL = 1e-3


def compute(model, images: np.ndarray) -> dict[str, np.ndarray]:
    """Run every public function that reads *model* on *images*; name each result."""
    import interp

    x, few = images[:32], images[:8]
    kernels, _ = interp.get_kernels(model.get_layer("conv1"))
    out: dict[str, np.ndarray] = {
        "saliency": interp.saliency(model, x),
        "input_x_gradient": interp.input_x_gradient(model, x),
        "guided_backprop": interp.guided_backprop(model, x),
        "smoothgrad": interp.smoothgrad(model, few, samples=8),
        "grad_cam": interp.grad_cam(model, x),
        "grad_cam.conv1": interp.grad_cam(model, x, layer="conv1"),
        "occlusion": interp.occlusion(model, few),
        # the methods of issue #20
        "grad_cam_plus_plus": interp.grad_cam_plus_plus(model, x),
        "layer_cam.conv1": interp.layer_cam(model, x, layer="conv1"),
        "score_cam": interp.score_cam(model, few),
        "rise": interp.rise(model, few, n_masks=64),
        "kernel_shap": interp.kernel_shap(model, few, grid=2),
        "lrp": interp.lrp(model, x),
        "lrp.epsilon": interp.lrp(model, x, input_rule="epsilon"),
        "lrp.alphabeta": interp.lrp(model, x, rule="alphabeta"),
        "maximize_activation": interp.maximize_activation(model, "conv2", [0, 7], steps=40),
        "layer_response": interp.layer_response(model.get_layer("conv1"), few),
        "describe_kernel.percentile": np.array(
            [interp.describe_kernel(kernels[:, :, 0, k]).percentile for k in range(5)]),
    }
    out["integrated_gradients"], out["integrated_gradients.gaps"] = (
        interp.integrated_gradients(model, few, steps=16))
    check = interp.model_randomization(model, few)
    out["model_randomization.trained"] = check.trained
    out["model_randomization.randomized"] = check.randomized
    out["model_randomization.similarity"] = check.similarity
    # the evaluation functions (issue #10): curves, and the two other sanity checks
    maps = out["saliency"][:8]
    for curve in ("deletion", "insertion"):
        result = getattr(interp, curve)(model, few, maps, steps=10)
        out[f"{curve}.scores"], out[f"{curve}.auc"] = result.scores, result.auc
    # the measures of issue #20, on the same maps
    fidelity = interp.mu_fidelity(model, few, maps, n_subsets=16)
    out["mu_fidelity.drops"], out["mu_fidelity.scores"] = fidelity.drops, fidelity.scores
    out["infidelity.drops"] = interp.infidelity(model, few, maps, n=8).drops
    out["max_sensitivity.ratios"] = interp.max_sensitivity(interp.saliency, model, few, n=4).ratios
    out["random_logit.scores"] = interp.random_logit(interp.saliency, model, few).scores
    out["road.scores"] = interp.road(model, few, maps, fractions=[0.2, 0.5, 0.8]).scores
    cascade = interp.cascading_randomization(model, few)
    out["cascading_randomization.maps"] = cascade.maps
    out["cascading_randomization.similarity"] = cascade.similarity
    alone = interp.independent_randomization(model, few, layers=["conv1"])
    out["independent_randomization.similarity"] = alone.similarity
    # a second network for data_randomization: the same one with the dense layer's
    # weights reversed (numpy, so the same on every backend)
    other = _copy(model)
    dense = other.layers[-1]
    dense.set_weights([w[::-1] for w in dense.get_weights()])
    data = interp.data_randomization(model, few, shuffled_model=other)
    out["data_randomization.randomized"] = data.randomized
    out["data_randomization.similarity"] = data.similarity
    out["convolve"] = interp.convolve(few, kernels[:, :, 0, 3], padding="same")
    for name, maps in interp.feature_maps(model, x).items():
        out[f"feature_maps.{name}"] = maps
    top = interp.top_activating(model, "conv2", x, k=5, kernel=3)
    out["top_activating.values"] = np.asarray(top.values)
    out["top_activating.indices"] = np.asarray(top.indices)
    out["top_activating.positions"] = np.asarray(top.positions)
    return {name: np.asarray(value) for name, value in out.items()}


def _copy(model):
    """A copy of *model* with its own weights (the user's model is left alone)."""
    import keras

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def difference(got: np.ndarray, reference: np.ndarray) -> float:
    """Return the largest difference relative to the largest magnitude (0 for equal zeros)."""
    got, reference = np.asarray(got, np.float64), np.asarray(reference, np.float64)
    scale = np.abs(reference).max()
    both = np.isfinite(got) & np.isfinite(reference)
    if not np.array_equal(np.isfinite(got), np.isfinite(reference)):
        return float("inf")  # a NaN (constant map's correlation) on one side only
    largest = np.abs(got[both] - reference[both]).max(initial=0.0)
    return float(largest / scale) if scale > 0 else float(largest)


def main(model_file: str, images_file: str, out_file: str) -> None:
    import keras

    model = keras.saving.load_model(model_file)
    results = compute(model, np.load(images_file))
    np.savez(out_file, backend=keras.backend.backend(), **results)


if __name__ == "__main__":
    main(*sys.argv[1:4])
