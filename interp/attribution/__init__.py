"""Why this class: which pixels a prediction depends on.

Every method takes a batch of images shaped as the model expects and returns one map per
image: the image's shape without its channel axis, ``(n, h, w)`` for ``(n, h, w, c)`` or
``(n, c, h, w)`` inputs. They work on every Keras 3 model kind (a Sequential with or
without ``Input``, a Functional and a nested model, ``channels_last`` or
``channels_first``); gradient methods also on a built subclassed model. The arguments come
in one order everywhere: ``method(model, images, target=None, *, ...)``. ``target`` is the
class explained: ``None`` for each image's predicted class, one int for all images, or one
int per image. ``output`` picks one output of a multi-output model, by index or name.

Gradient methods differentiate the *logit* of the target class: when the model ends in a
softmax or sigmoid (an activation of the last layer, a ``Softmax``/``Activation`` layer or
a ``keras.ops`` call), the value before it is used, because the softmax couples all
classes and saturates (a confident prediction has almost no gradient). The model is never
changed to get there: interp runs its own copy of the last layer without the activation.
A model with one sigmoid unit has two classes: 1 (logit ``z``) and 0 (logit ``-z``).
Occlusion needs no gradient and measures the drop of the target's *probability*, the
softmax of the logits; RISE and KernelSHAP use that probability too. Score-CAM weighs
masked images by their logits, and LRP passes the target's logit back layer by layer (in
numpy, from one forward pass of the model), on a chain of the layers it has rules for.

A model that computes in float16 or bfloat16 (``mixed_float16``, ``mixed_bfloat16``...)
is run as a float32 copy holding its weights, for every method here: float16 gradients
underflow to zero (below 6e-8) and lose three decimal digits above. The maps are those of
the float32 model; the user's model is not changed.

Memory is bounded by ``batch_size``: every costly axis (images, noisy samples, path
points, occluded copies) is streamed through the model in batches of that many inputs.

The methods live by family: ``gradients.py`` (saliency, SmoothGrad, integrated gradients,
gradient x input, guided backpropagation), ``cam.py`` (Grad-CAM, Grad-CAM++, LayerCAM,
Score-CAM), ``perturbation.py`` (occlusion, RISE, KernelSHAP) and ``relevance.py`` (LRP);
``_common.py`` holds what they share. Every public name is importable from ``interp`` itself.
"""

from __future__ import annotations

from .cam import grad_cam, grad_cam_plus_plus, layer_cam, score_cam
from .gradients import (
    guided_backprop,
    input_x_gradient,
    integrated_gradients,
    saliency,
    smoothgrad,
)
from .perturbation import kernel_shap, occlusion, rise
from .relevance import lrp

__all__ = [
    "grad_cam",
    "grad_cam_plus_plus",
    "guided_backprop",
    "input_x_gradient",
    "integrated_gradients",
    "kernel_shap",
    "layer_cam",
    "lrp",
    "occlusion",
    "rise",
    "saliency",
    "score_cam",
    "smoothgrad",
]
