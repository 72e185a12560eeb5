"""KernelHistory: snapshots at the right times, equal to the layer's weights then."""

import keras
import numpy as np
import pytest

import interp


def test_snapshots_times_and_values():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3, name="c"),
                              keras.layers.Flatten(), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    initial = model.layers[0].get_weights()[0].copy()
    history = interp.KernelHistory("c", per_epoch=4)
    x = np.random.default_rng(0).random((64, 8, 8, 1)).astype("float32")
    y = np.arange(64) % 2
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[history])  # 16 steps
    assert history.times.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0]
    assert history.kernels.shape == (9, 3, 3, 1, 2)
    np.testing.assert_array_equal(history.kernels[0], initial)
    np.testing.assert_array_equal(history.kernels[-1], model.layers[0].get_weights()[0])
    assert np.abs(history.kernels[1] - history.kernels[0]).max() > 0  # training moved them


def test_a_second_fit_continues_the_history():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3, name="c"),
                              keras.layers.Flatten(), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history = interp.KernelHistory("c", per_epoch=2)
    x = np.random.default_rng(0).random((32, 8, 8, 1)).astype("float32")
    y = np.arange(32) % 2
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[history])  # 8 steps
    first = history.kernels.copy()
    model.fit(x, y, batch_size=4, epochs=3, initial_epoch=1, verbose=0, callbacks=[history])
    assert history.times.tolist() == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
    np.testing.assert_array_equal(history.kernels[:3], first)  # the first run is kept
    np.testing.assert_array_equal(history.kernels[-1], model.layers[0].get_weights()[0])
    with pytest.warns(UserWarning, match="times go back"):
        model.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[history])
    assert history.times.tolist()[-3:] == [0.0, 0.5, 1.0] and len(history.times) == 10


def test_trained_model_keeps_its_kernel_history(trained):
    info = trained.training_info
    assert info.kernel_times[0] == 0.0 and info.kernel_times[-1] == 3.0
    assert len(info.kernel_times) == 13
    np.testing.assert_array_equal(info.kernel_snapshots[-1],
                                  interp.get_kernels(trained.layers[0])[0])


def test_bad_arguments():
    with pytest.raises(ValueError, match="KernelHistory: per_epoch must be an int >= 1"):
        interp.KernelHistory(per_epoch=0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(TypeError, match="KernelHistory: layer must be a convolution layer"):
        model.fit(np.zeros((4, 4)), np.zeros((4, 2)), verbose=0,
                  callbacks=[interp.KernelHistory(0)])
