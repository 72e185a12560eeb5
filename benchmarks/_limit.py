"""The limit a gradient method is measured against: one compiled gradient pass, by hand.

``compiled_gradient(model)`` returns ``grad(x, targets) -> numpy`` taking d(target
logit)/d(input) for a whole batch in one call, written with the backend's own tools and
nothing of interp: ``tf.function`` + ``tf.GradientTape``, ``jax.jit(jax.grad)`` over
``stateless_call``, or ``torch.autograd``, on a copy of the model without its softmax.
"""

import keras
import numpy as np


def logits_model(model: keras.Sequential) -> keras.Sequential:
    """A copy of a Sequential classifier whose last layer has no activation."""
    config = model.get_config()
    config["layers"][-1]["config"]["activation"] = "linear"
    copy = keras.Sequential.from_config(config)
    copy.set_weights(model.get_weights())
    return copy


def compiled_gradient(model: keras.Sequential):
    """Return ``grad(x, targets) -> numpy array``, compiled for the backend Keras runs on."""
    logits = logits_model(model)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        shape = tuple(model.inputs[0].shape[1:])

        @tf.function(input_signature=[tf.TensorSpec((None, *shape), tf.float32),
                                      tf.TensorSpec((None,), tf.int64)])
        def grad(x, targets):
            with tf.GradientTape() as tape:
                tape.watch(x)
                chosen = tf.gather(logits(x), targets, axis=1, batch_dims=1)
            return tape.gradient(chosen, x)

        return lambda x, targets: grad(x, targets).numpy()
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        trainable = [v.value for v in logits.trainable_variables]
        frozen = [v.value for v in logits.non_trainable_variables]

        @jax.jit
        def grad(trainable, frozen, x, targets):
            def total(x):
                out, _ = logits.stateless_call(trainable, frozen, x)
                return jnp.take_along_axis(out, targets[:, None], axis=1).sum()

            return jax.grad(total)(x)

        return lambda x, targets: np.asarray(grad(trainable, frozen, x,
                                                  np.asarray(targets, np.int32)))
    if backend == "torch":
        import torch

        def grad(x, targets):
            x = torch.as_tensor(x).requires_grad_(True)
            out = logits(x)
            chosen = out.gather(1, torch.as_tensor(targets)[:, None]).sum()
            (result,) = torch.autograd.grad(chosen, [x])
            return result.numpy()

        return grad
    raise RuntimeError(f"no compiled gradient on the {backend!r} backend")
