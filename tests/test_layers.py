"""pick_layer and conv_layers on every kind of Keras 3 model."""

import keras
import pytest

import interp


def test_conv_layers_every_kind(any_model):
    assert [layer.name for layer in interp.conv_layers(any_model)] == ["c1", "c2"]


def test_pick_by_index_name_type_object(any_model):
    convs = interp.conv_layers(any_model)
    assert interp.pick_layer(any_model, "c2") is convs[1]
    assert interp.pick_layer(any_model, keras.layers.Conv2D) is convs[0]
    assert interp.pick_layer(any_model, keras.layers.Conv2D, nth=1) is convs[1]
    assert interp.pick_layer(any_model, keras.layers.Conv2D, nth=-1) is convs[1]
    assert interp.pick_layer(any_model, convs[1]) is convs[1]
    assert interp.pick_layer(any_model, -1) is any_model.layers[-1]
    assert interp.pick_layer(any_model, 0) is any_model.layers[0]


def test_course_model_layers():
    model = interp.build_model()
    assert interp.pick_layer(model, 0).name == "conv1"
    assert isinstance(interp.pick_layer(model, 2), keras.layers.Flatten)
    assert interp.pick_layer(model, keras.layers.Dense).name == "dense"


def test_nested_model_index_is_top_level(model_kinds):
    nested = model_kinds["nested"]
    # a Functional model lists its InputLayer first; then comes the nested model
    assert isinstance(interp.pick_layer(nested, 0), keras.layers.InputLayer)
    assert isinstance(interp.pick_layer(nested, 1), keras.Model)
    assert [layer.name for layer in interp.walk_layers(nested)][2:4] == ["c1", "c2"]


def test_index_out_of_range(model_kinds):
    model = model_kinds["sequential-input"]
    with pytest.raises(IndexError) as info:
        interp.pick_layer(model, 4)
    message = str(info.value)
    assert "which=4" in message and "-4..3" in message and "0: c1 (Conv2D)" in message
    with pytest.raises(IndexError, match="-4..3"):
        interp.pick_layer(model, -5)


def test_unknown_name_suggests(model_kinds):
    with pytest.raises(ValueError) as info:
        interp.pick_layer(model_kinds["functional"], "c3")
    message = str(info.value)
    assert "'c1'" in message and "'out'" in message and "Did you mean" in message


def test_type_not_present_and_nth_out_of_range(model_kinds):
    model = model_kinds["functional"]
    with pytest.raises(ValueError, match="no MaxPooling2D layer"):
        interp.pick_layer(model, keras.layers.MaxPooling2D)
    with pytest.raises(IndexError, match="nth=2 is out of range for 2 Conv2D layers"):
        interp.pick_layer(model, keras.layers.Conv2D, nth=2)
    with pytest.raises(ValueError, match="nth is used only when which is a layer class"):
        interp.pick_layer(model, 0, nth=1)


def test_foreign_layer_and_bad_kinds(model_kinds):
    model = model_kinds["functional"]
    with pytest.raises(ValueError, match="is not part of this model"):
        interp.pick_layer(model, keras.layers.Dense(3))
    for bad in (1.0, True, None, int):
        with pytest.raises(TypeError, match="pick_layer: which must be"):
            interp.pick_layer(model, bad)
    with pytest.raises(TypeError, match="pick_layer: model must be a keras.Model"):
        interp.pick_layer("model", 0)
    with pytest.raises(TypeError, match="conv_layers: model must be a keras.Model"):
        interp.conv_layers([])
