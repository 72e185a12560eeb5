"""interp: take a small Keras CNN apart, on real Fashion-MNIST.

The public names are re-exported here and loaded lazily, so ``import interp`` is quick and
TensorFlow is imported only when a function that needs it is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_EXPORTS = {
    "data": ("CLASS_NAMES", "load_fashion_mnist", "images_of", "class_index"),
    "models": ("build_model", "trained_model", "TrainingInfo", "cached"),
    "layers": ("conv_layers", "pick_layer", "walk_layers", "layer_paths", "layer_table",
               "LayerInfo"),
    "_model": ("InterpWarning",),
    "kernels": ("get_kernels", "kernel"),
    "convolution": ("convolve", "layer_response"),
    "measure": ("border_masks", "border_means", "outline_response", "OutlineResponse",
                "mass_on_object"),
    "describe": ("describe_kernel", "KernelDescription"),
    "callbacks": ("KernelHistory",),
    "attribution": (
        "saliency", "smoothgrad", "integrated_gradients", "grad_cam", "occlusion",
        "guided_backprop", "input_x_gradient", "grad_cam_plus_plus", "layer_cam",
        "score_cam", "rise", "kernel_shap", "lrp",
    ),
    "evaluate.faithfulness": ("deletion", "insertion", "Curve", "mu_fidelity", "infidelity",
                              "Fidelity", "road"),
    "evaluate.robustness": ("max_sensitivity", "Sensitivity"),
    "evaluate.randomization": (
        "model_randomization", "RandomizationCheck", "rank_correlation",
        "cascading_randomization", "independent_randomization", "LayerRandomization",
        "data_randomization", "passes_sanity_check", "SANITY_LINE", "random_logit",
        "RandomLogit",
    ),
    "visualize": ("maximize_activation",),
    "live": ("export_live", "LiveView", "LiveError", "live_suggestions", "LiveSuggestion"),
    "activations": (
        "feature_maps", "top_activating", "TopActivations", "receptive_field",
        "ReceptiveField", "crop_patches",
    ),
    "dissection": ("dissect", "Dissection", "LayerDissection"),
    "plotting": ("plot_kernel", "plot_kernels", "plot_response", "plot_images", "plot_patches",
                 "plot_attributions", "plot_feature_maps", "OKABE_ITO"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'interp' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from ._model import InterpWarning
    from .activations import (
        ReceptiveField,
        TopActivations,
        crop_patches,
        feature_maps,
        receptive_field,
        top_activating,
    )
    from .attribution import (
        grad_cam,
        grad_cam_plus_plus,
        guided_backprop,
        input_x_gradient,
        integrated_gradients,
        kernel_shap,
        layer_cam,
        lrp,
        occlusion,
        rise,
        saliency,
        score_cam,
        smoothgrad,
    )
    from .callbacks import KernelHistory
    from .convolution import convolve, layer_response
    from .data import CLASS_NAMES, class_index, images_of, load_fashion_mnist
    from .describe import KernelDescription, describe_kernel
    from .dissection import Dissection, LayerDissection, dissect
    from .evaluate.faithfulness import (
        Curve,
        Fidelity,
        deletion,
        infidelity,
        insertion,
        mu_fidelity,
        road,
    )
    from .evaluate.randomization import (
        SANITY_LINE,
        LayerRandomization,
        RandomizationCheck,
        RandomLogit,
        cascading_randomization,
        data_randomization,
        independent_randomization,
        model_randomization,
        passes_sanity_check,
        random_logit,
        rank_correlation,
    )
    from .evaluate.robustness import Sensitivity, max_sensitivity
    from .kernels import get_kernels, kernel
    from .layers import (
        LayerInfo,
        conv_layers,
        layer_paths,
        layer_table,
        pick_layer,
        walk_layers,
    )
    from .live import LiveError, LiveSuggestion, LiveView, export_live, live_suggestions
    from .measure import (
        OutlineResponse,
        border_masks,
        border_means,
        mass_on_object,
        outline_response,
    )
    from .models import TrainingInfo, build_model, cached, trained_model
    from .plotting import (
        OKABE_ITO,
        plot_attributions,
        plot_feature_maps,
        plot_images,
        plot_kernel,
        plot_kernels,
        plot_patches,
        plot_response,
    )
    from .visualize import maximize_activation
