"""Watch a network learn: record a convolution layer's kernels during training."""

from __future__ import annotations

import warnings

import keras
import numpy as np

from ._model import sync_weights
from ._validate import check_int
from .kernels import check_conv_layer, get_kernels
from .layers import pick_layer


class KernelHistory(keras.callbacks.Callback):
    """A Keras callback that records a Conv2D layer's kernels a few times per epoch.

    Snapshots are taken before training starts and then at evenly spaced points of each
    epoch (as closely as ``steps_per_execution`` allows), the last one at the end of the
    epoch. Times are in epochs as Keras counts them, so ``fit(..., initial_epoch=k)``
    continues at ``k``; a callback reused in a second ``fit()`` keeps the first run's
    snapshots.

    Parameters
    ----------
    layer : int, str, layer class or layer, default 0
        The layer to watch, as :func:`interp.pick_layer` accepts it.
    per_epoch : int, default 4
        Snapshots per epoch.

    Attributes
    ----------
    times : numpy.ndarray, shape (n_snapshots,)
        When each snapshot was taken, in epochs (0.0 is before training).
    kernels : numpy.ndarray, shape (n_snapshots, kh, kw, in_channels, n_kernels)
        The kernels at those times.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> model = interp.build_model()
    >>> history = interp.KernelHistory("conv1", per_epoch=2)
    >>> x, y = np.zeros((640, 28, 28, 1)), np.zeros(640, dtype=int)  # 40 steps of 16
    >>> _ = model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[history])
    >>> history.times.tolist(), history.kernels.shape
    ([0.0, 0.5, 1.0], (3, 3, 3, 1, 5))

    """

    def __init__(self, layer: object = 0, per_epoch: int = 4) -> None:
        super().__init__()
        self.which = layer
        self.per_epoch = check_int("KernelHistory", "per_epoch", per_epoch, minimum=1)
        self.times = np.empty(0)
        self.kernels = np.empty((0,))
        self._layer = None
        self._epoch = 0
        self._next = 0.0
        self._starting = True

    def _record(self, when: float) -> None:
        sync_weights(self.model)  # JAX trains outside the variables
        snapshot = get_kernels(self._layer)[0][np.newaxis]
        self.times = np.append(self.times, round(when, 6))
        first = len(self.times) == 1
        self.kernels = snapshot if first else np.concatenate([self.kernels, snapshot])

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Resolve the layer; the first snapshot waits for the first epoch's number."""
        self._layer = check_conv_layer("KernelHistory", pick_layer(self.model, self.which))
        self._starting = True

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Remember the epoch; at the start of a fit, take the snapshot before training.

        Keras numbers epochs from ``initial_epoch``, so a second ``fit(...,
        initial_epoch=3)`` continues the timeline at 3.0 and keeps the first run's
        snapshots. A second fit that starts again at epoch 0 also keeps them; a warning
        then says that the times go back.
        """
        self._epoch = epoch
        if not self._starting:
            return
        self._starting = False
        if len(self.times) and epoch < self.times[-1] - 1e-9:
            warnings.warn(
                f"KernelHistory: this fit starts at epoch {epoch}, before the last snapshot "
                f"({self.times[-1]:g}); its snapshots are appended, so times go back. Pass "
                "initial_epoch to fit() to continue the timeline",
                UserWarning,
                stacklevel=2,
            )
        if not len(self.times) or abs(self.times[-1] - epoch) > 1e-9:
            self._record(float(epoch))
        self._next = epoch + 1.0 / self.per_epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Take a snapshot when the next evenly spaced point of the epoch is passed."""
        steps = (self.params or {}).get("steps")
        if not steps:
            return
        position = self._epoch + (batch + 1) / steps
        if position >= self._next - 1e-9 and position < self._epoch + 1 - 1e-9:
            self._record(position)
            while self._next <= position + 1e-9:
                self._next += 1.0 / self.per_epoch

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Take the end-of-epoch snapshot."""
        self._record(float(epoch + 1))
        self._next = epoch + 1 + 1.0 / self.per_epoch
