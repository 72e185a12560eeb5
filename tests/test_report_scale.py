"""The report on models of real size (issue #17): how many kernels and layers it draws, how
large its figures get, what it does with a deep ``--layers`` choice and with any-size
inputs, and the plan that fits its costly sections in its time.

The oracles: Keras's own layer outputs for the strongest kernels, Pillow for the size of
every saved figure, hand counts for the planner's arithmetic, and the passes the report
really makes (counted on the Runner) for the planner's cost model.
"""

import dataclasses
import json

import keras
import numpy as np
import pytest
from PIL import Image

import interp
from interp import _plan
from interp._model import Runner
from interp._plan import Costs, Request, plan_work
from interp.report import DEFAULT_METHODS, MAX_FIGURE_SIDE, ReportError, write_report

L = keras.layers


def _wide_model() -> keras.Model:
    """64 kernels in its first layer, 6 in its second."""
    keras.utils.set_random_seed(1)
    return keras.Sequential([keras.Input((20, 20, 3)),
                             L.Conv2D(64, 3, activation="relu", name="wide"),
                             L.Conv2D(6, 3, activation="relu", name="narrow"),
                             L.GlobalAveragePooling2D(name="gap"), L.Dense(3, name="out")],
                            name="wide_model")


def _images(n, size, channels=3, seed=0):
    return np.random.default_rng(seed).random((n, size, size, channels)).astype(np.float32)


def _data(out):
    return json.loads((out / "report.json").read_text())


def _strongest(model, layer, images, n):
    """The *n* kernels whose activation peaks highest over the images, by Keras alone."""
    probe = keras.Model(model.inputs, model.get_layer(layer).output)
    peaks = probe.predict(images, verbose=0).max(axis=(0, 1, 2))
    order = np.lexsort((np.arange(len(peaks)), -peaks))  # highest first, then lower index
    return sorted(order[:n].tolist())


# ---- item 7: kernels per layer, figure sizes, --limit ---------------------------------------
def test_report_draws_the_strongest_kernels_up_to_the_kernels_setting(tmp_path):
    model, x = _wide_model(), _images(12, 20)
    write_report(model, x, tmp_path / "a", limit=1, methods=["saliency"], trust=0)
    data = _data(tmp_path / "a")
    expected = _strongest(model, "wide", x, 16)
    top = {entry["path"]: entry for entry in data["top"]}
    assert [kernel["kernel"] for kernel in top["wide"]["kernels"]] == expected
    assert data["kernels"][0]["shown"] == expected  # the same kernels in every section
    assert [kernel["kernel"] for kernel in top["narrow"]["kernels"]] == list(range(6))
    # each row is still the kernel's own top-activating images, by brute force
    probe = keras.Model(model.inputs, model.get_layer("wide").output)
    peaks = probe.predict(x, verbose=0).max(axis=(1, 2))  # (images, kernels)
    for kernel in top["wide"]["kernels"]:
        np.testing.assert_allclose(kernel["values"],
                                   np.sort(peaks[:, kernel["kernel"]])[::-1][:9], rtol=1e-5)
    assert "16 of the 64 kernels" in data["kernels"][0]["note"]
    write_report(model, x, tmp_path / "b", limit=1, methods=["saliency"], trust=0, kernels=5)
    data = _data(tmp_path / "b")
    assert [k["kernel"] for k in data["top"][0]["kernels"]] == _strongest(model, "wide", x, 5)
    assert data["kernels"][0]["shown"] == _strongest(model, "wide", x, 5)
    with pytest.raises(ValueError, match="write_report: kernels must be an int >= 1, got 0"):
        write_report(model, x, tmp_path / "c", kernels=0)


def _big_model() -> keras.Model:
    """224-pixel RGB input, 64 kernels, and a branch that joins (so whole images may show)."""
    keras.utils.set_random_seed(2)
    inputs = keras.Input((224, 224, 3))
    x = L.Conv2D(64, 7, strides=2, activation="relu", name="stem")(inputs)
    x = L.Add(name="join")([L.Conv2D(8, 3, padding="same", name="left")(x),
                            L.Conv2D(8, 1, name="right")(x)])
    x = L.Conv2D(16, 3, strides=2, activation="relu", name="deep")(x)
    outputs = L.Dense(4, name="scores")(L.GlobalAveragePooling2D()(x))
    return keras.Model(inputs, outputs, name="big")


def test_no_saved_figure_exceeds_the_bound(tmp_path):
    model, x = _big_model(), _images(10, 224)
    out = tmp_path / "r"
    write_report(model, x, out, limit=10, kernels=64, methods=["saliency"], trust=0)
    sizes = {}
    for path in (out / "figures").glob("*.png"):
        with Image.open(path) as image:  # Pillow refuses decompression bombs outright
            sizes[path.name] = image.size
    assert max(max(size) for size in sizes.values()) <= MAX_FIGURE_SIDE <= 4000, sizes
    data = _data(out)
    # every kernel drawn (--kernels 64), 16 rows per top-activating figure
    assert [len(entry["figures"]) for entry in data["top"]] == [4, 1, 1, 1]
    # the 1x1 layer's kernels are one matrix of weights: one figure
    kernels = {entry["path"]: entry for entry in data["kernels"]}
    assert len(kernels["right"]["figures"]) == 1 and len(kernels["stem"]["figures"]) == 4
    # ten images drawn: two attribution figures, of 8 rows and 2
    assert len(data["attribution"]["figures"]) == 2
    heights = [f["height"] for f in data["attribution"]["figures"]]
    assert heights[0] > 3 * heights[1]


def test_plot_patches_of_large_patches_stays_within_its_bound():
    import matplotlib.pyplot as plt

    fig = interp.plot_patches(np.zeros((16, 9, 224, 224, 3)))
    assert max(fig.get_size_inches()) <= interp.plotting.PATCH_FIGURE_INCHES == 14
    plt.close(fig)


def test_limit_is_capped(tmp_path, monkeypatch, capsys):
    model, x = _wide_model(), _images(40, 20)
    with pytest.raises(ReportError, match=r"write_report: limit must be at most 32 \(the "
                                          r"images whose attribution maps are drawn\), got 33"):
        write_report(model, x, tmp_path / "r", limit=33)
    assert not list(tmp_path.iterdir())
    from interp.cli import main

    monkeypatch.chdir(tmp_path)
    model.save(tmp_path / "m.keras")
    np.save(tmp_path / "x.npy", x)
    with pytest.raises(SystemExit) as exit_:
        main(["report", "m.keras", "--images", "x.npy", "--limit", "300"])
    assert exit_.value.code == 2
    assert "--limit: must be at most 32 (the images whose attribution maps are drawn), got " \
           "'300'" in capsys.readouterr().err


def test_patches_are_shrunk_by_averaging():
    from interp.report import _shrink

    rng = np.random.default_rng(3)
    gray = rng.random((2, 3, 128, 96)).astype(np.float32)
    blocks = gray.reshape(2, 3, 64, 2, 48, 2).mean(axis=(3, 5))  # 2x2 means, by hand
    np.testing.assert_allclose(_shrink(gray, False, 64), blocks, rtol=1e-5)
    rgb = rng.random((1, 2, 128, 128, 3)).astype(np.float32)
    np.testing.assert_allclose(_shrink(rgb, True, 64),
                               rgb.reshape(1, 2, 64, 2, 64, 2, 3).mean(axis=(3, 5)), rtol=1e-5)
    assert _shrink(gray[:, :, :64, :64], False, 64) is not None


# ---- item 8: a deep --layers choice is not the first layer ----------------------------------
def test_a_deep_layer_alone_is_not_named_as_a_first_layer(tmp_path):
    model, x = _wide_model(), _images(12, 20)
    write_report(model, x, tmp_path / "a", layers=["narrow"], limit=1, methods=["saliency"],
                 trust=0)
    entry = _data(tmp_path / "a")["kernels"][0]
    assert entry["path"] == "narrow"
    assert entry["verdicts"] == [] and "rule" not in entry
    html = (tmp_path / "a" / "index.html").read_text()
    assert "kernel slices" not in html and "no close match" not in html
    assert "Only the model's first convolution,\n<code>wide</code>" in html
    # listed after a deep layer, the model's first convolution is still the one named
    write_report(model, x, tmp_path / "b", layers=["narrow", "wide"], limit=1,
                 methods=["saliency"], trust=0)
    narrow, wide = _data(tmp_path / "b")["kernels"]
    assert narrow["verdicts"] == []
    layer = model.get_layer("wide")
    shown = _strongest(model, "wide", x, 16)
    assert [(v["kernel"], v["channel"]) for v in wide["verdicts"]] == [
        (k, c) for k in shown for c in range(3)]
    for verdict in wide["verdicts"][:6]:
        found = interp.describe_kernel(interp.kernel(layer, verdict["kernel"],
                                                     verdict["channel"]),
                                       initializer=layer.kernel_initializer)
        assert verdict["name"] == found.name


# ---- item 9: any-size inputs ------------------------------------------------------------------
def _small(shape):
    keras.utils.set_random_seed(5)
    return keras.Sequential([keras.Input(shape), L.Conv2D(4, 3, activation="relu", name="c"),
                             L.GlobalAveragePooling2D(), L.Dense(3)], name="small")


def test_any_size_input_gets_defaults_from_the_images_real_size(tmp_path):
    x = _images(4, 96)
    settings = {}
    for name, shape in (("any", (None, None, 3)), ("fixed", (96, 96, 3))):
        write_report(_small(shape), x, tmp_path / name, limit=1, methods=["occlusion"], trust=0)
        data = _data(tmp_path / name)
        settings[name] = data["attribution"]["methods"][0]["settings"]
        # a seventh of the side: round(96 / 7) = 14, by hand, in half steps
        assert settings[name].startswith("a 14x14 black square in steps of 7"), settings
        assert (data["plan"]["settings"]["patch"], data["plan"]["settings"]["stride"]) == (14, 7)
    assert settings["any"] == settings["fixed"]


# ---- item 10: the plan --------------------------------------------------------------------
COURSE = Request(DEFAULT_METHODS, n_show=6, n_trust=32, map_size=(28, 28), n_weighted=3,
                 budget=100.0)


def test_the_full_plan_by_hand():
    plan = _plan.full_plan(COURSE)
    assert (plan.samples, plan.steps, plan.patch, plan.stride) == (25, 50, 4, 2)
    assert (plan.n_curves, plan.curve_steps, plan.floor_seeds) == (32, 20, 5)
    assert (plan.n_cascade, plan.cascade_layers) == (32, 3)
    assert plan.cascade_methods == DEFAULT_METHODS and plan.n_maps == 32
    # the passes, counted by hand: occlusion's 4x4 square in steps of 2 on 28x28 takes
    # 13 x 13 places, and each image is also scored whole
    work = _plan.work(plan)
    per_image_grads = 1 + 25 + 50 + 1  # saliency, SmoothGrad, IG, Grad-CAM
    per_image_forwards = 2 + 13 * 13 + 1  # IG's two ends; occlusion
    assert work["attribution"] == _plan.Work(32 * per_image_forwards, 32 * per_image_grads,
                                             compiles=2)  # Grad-CAM's gradient, IG's logits
    assert work["deletion and insertion"] == _plan.Work(forwards=32 * 2 * 21 * (5 + 5))
    assert work["cascading randomization"] == _plan.Work(
        32 * 4 * per_image_forwards, 32 * 4 * per_image_grads, compiles=5 * 2 + 2)


def test_the_course_networks_plan_is_the_full_one(trained):
    # its cost measured here, on this machine, as the report measures it
    from interp.report import _measure_costs

    _, (x_test, _) = interp.load_fashion_mnist()
    costs, _ = _measure_costs(Runner("test", trained), x_test, 256)
    # the budget left after the first sections: generously less than the report's 150 s
    plan = plan_work(dataclasses.replace(COURSE, budget=80.0), costs)
    assert plan.cuts == () and not plan.over_budget, (costs, plan.full_estimate)
    assert plan.settings() == _plan.full_plan(COURSE).settings()
    # and from costs three times as high
    slow = Costs(3 * costs.forward, 3 * costs.gradient, 3 * costs.compile)
    assert plan_work(dataclasses.replace(COURSE, budget=80.0), slow).cuts == ()


def test_a_costly_model_is_cut_down_the_ladder_to_fit():
    resnet = Request(DEFAULT_METHODS, n_show=6, n_trust=32, map_size=(224, 224),
                     n_weighted=107, budget=110.0)
    costs = Costs(forward=0.08, gradient=0.18, compile=4.0)  # ResNet-50 at 224 px
    plan = plan_work(resnet, costs)
    assert plan.cuts and not plan.over_budget
    assert plan.estimate <= 110.0 < plan.full_estimate
    assert plan.estimate == pytest.approx(_plan.estimate(plan, costs))
    assert plan.n_show == 6 and plan.n_maps >= 6  # the drawn images are never cut
    assert plan.samples < 25 and plan.steps < 50 and plan.cascade_layers < 107
    # each cut lowers the estimate, starting from the full one, in the ladder's order
    assert plan.cuts[0].before == plan.full_estimate
    for one, two in zip(plan.cuts, plan.cuts[1:], strict=False):
        assert one.after == two.before and two.after < two.before
    ladder = [what for what, _ in _plan.LADDER]
    positions = [ladder.index(c.what) for c in plan.cuts if c.what in ladder]
    assert positions == sorted(positions)
    # a larger budget cuts less; none at all keeps everything
    roomy = plan_work(dataclasses.replace(resnet, budget=1000.0), costs)
    assert len(roomy.cuts) < len(plan.cuts) and roomy.samples >= plan.samples
    unlimited = plan_work(dataclasses.replace(resnet, budget=None), costs)
    assert unlimited.cuts == () and unlimited.settings() == _plan.full_plan(resnet).settings()


def test_a_plan_that_cannot_fit_says_so():
    plan = plan_work(dataclasses.replace(COURSE, budget=1.0),
                     Costs(forward=1.0, gradient=1.0, compile=10.0))
    assert plan.over_budget and plan.estimate > 1.0
    assert plan.cascade_methods == ()  # the cascade went entirely, then the curves
    assert (plan.n_curves, plan.n_cascade, plan.n_maps) == (0, 0, 6)
    assert (plan.samples, plan.steps) == (8, 8)
    assert (plan.patch, plan.stride) == (7, 7)  # a quarter of 28, without overlap
    assert plan.cuts[-1].what == "deletion and insertion: not run"


def test_the_plans_passes_are_the_passes_the_report_makes(tmp_path, monkeypatch):
    """The cost model against the real thing: forward rows and gradient rows, counted."""
    import interp.report as report

    counted = {"forwards": 0, "gradients": 0, "on": False}
    gradient, scores_fn = Runner.gradient, Runner.scores_fn

    def counting_gradient(self, x, targets, **options):
        if counted["on"]:
            counted["gradients"] += len(x)
        return gradient(self, x, targets, **options)

    def counting_scores_fn(self, kind):
        fn = scores_fn(self, kind)

        def counted_fn(x):
            if counted["on"]:
                counted["forwards"] += int(x.shape[0])
            return fn(x)

        return counted_fn

    monkeypatch.setattr(Runner, "gradient", counting_gradient)
    monkeypatch.setattr(Runner, "scores_fn", counting_scores_fn)
    attribution = report._attribution_section

    def start_counting(*args, **kwargs):
        counted["on"] = True
        return attribution(*args, **kwargs)

    monkeypatch.setattr(report, "_attribution_section", start_counting)
    keras.utils.set_random_seed(6)
    model = keras.Sequential([keras.Input((10, 10, 1)), L.Conv2D(3, 3, activation="relu"),
                              L.Conv2D(2, 3, activation="relu"), L.Flatten(), L.Dense(3)])
    x = _images(5, 10, channels=1)
    methods = ["saliency", "smoothgrad", "integrated_gradients", "grad_cam", "occlusion"]
    write_report(model, x, tmp_path / "r", limit=2, trust=3, methods=methods, budget=None)
    plan = _data(tmp_path / "r")["plan"]["settings"]
    plan = _plan.Plan(**{f.name: (tuple(plan[f.name]) if isinstance(plan[f.name], list)
                                  else plan[f.name])
                         for f in dataclasses.fields(_plan.Plan) if f.name != "cuts"})
    work = _plan.work(plan)
    total = work["attribution"] + work["deletion and insertion"] + \
        work["cascading randomization"]
    assert (counted["forwards"], counted["gradients"]) == (total.forwards, total.gradients)
    assert total.gradients > 0 and total.forwards > 0


def test_the_top_activating_search_is_one_pass_for_all_layers(tmp_path, monkeypatch):
    from interp._model import Runner

    passes, batches = [], []
    made = Runner.unit_maps_fn

    def counting(self, layers, distribution=None):  # the pass of interp.dissect
        fn = made(self, layers, distribution)
        passes.append([layer.name for layer in layers])

        def run(x):
            batches.append(len(x))
            return fn(x)

        return run

    monkeypatch.setattr(Runner, "unit_maps_fn", counting)
    model, x = _big_model(), _images(6, 224)
    write_report(model, x, tmp_path / "r", limit=1, methods=["saliency"], trust=0,
                 kernels=2)
    assert passes == [["stem", "left", "right", "deep"]]
    assert sum(batches) == 6  # every image once


# ---- the layer rule, the batch -------------------------------------------------------------
def test_resnet50s_default_layers_are_the_first_and_each_stages_last():
    from interp._model import conv_layers
    from interp.report import _default_layers

    model = keras.applications.ResNet50(weights=None, input_shape=(224, 224, 3), classes=10)
    chosen, rule = _default_layers(conv_layers(model))
    # the architecture's stages end at these layers (He et al. 2016, table 1: 3, 4, 6, 3
    # blocks of three convolutions after the 7x7 stem)
    assert [layer.name for layer in chosen] == [
        "conv1_conv", "conv2_block3_3_conv", "conv3_block4_3_conv", "conv4_block6_3_conv",
        "conv5_block3_3_conv"]
    assert rule.startswith("the model's first convolution and, for each size of feature map")


def test_layer_rule_keeps_small_models_whole_and_spreads_unknown_sizes():
    assert _plan.choose_layers([(26, 26), (24, 24)])[0] == [0, 1]
    assert _plan.choose_layers([None] * 12)[0] == [0, 2, 4, 7, 9, 11]
    twelve_sizes = [(100 - i, 100 - i) for i in range(12)]
    chosen, rule = _plan.choose_layers(twelve_sizes)
    assert chosen == [0, 2, 3, 5, 6, 8, 9, 11] and "8 spread evenly" in rule


def test_batch_is_bounded_by_the_layer_outputs():
    from interp.report import _per_image_bytes

    model = keras.Sequential([keras.Input((10, 10, 1)), L.Conv2D(2, 3), L.Flatten(),
                              L.Dense(3)])
    assert _per_image_bytes(model, (10, 10, 1)) == 4 * (8 * 8 * 2 + 128 + 3)  # by hand
    assert _plan.choose_batch(4 * (8 * 8 * 2 + 128 + 3), 256) == 256
    assert _plan.choose_batch(2**30, 256) == 1
    assert _plan.choose_batch(0.5 * 2**30, 256) == 3


def test_the_command_takes_kernels_and_budget(tmp_path, monkeypatch, capsys):
    from interp.cli import main

    model, x = _wide_model(), _images(12, 20)
    monkeypatch.chdir(tmp_path)
    model.save(tmp_path / "m.keras")
    np.save(tmp_path / "x.npy", x)
    status = main(["report", "m.keras", "--images", "x.npy", "--kernels", "3", "--budget", "0",
                   "--methods", "saliency", "--trust", "2", "--limit", "1", "--quiet"])
    assert status == 0, capsys.readouterr().err
    data = _data(tmp_path / "interp-report")
    assert [k["kernel"] for k in data["top"][0]["kernels"]] == _strongest(model, "wide", x, 3)
    assert data["plan"]["budget"] is None and data["plan"]["full"]
    html = (tmp_path / "interp-report" / "index.html").read_text()
    assert "No time\nbudget was set" in html
