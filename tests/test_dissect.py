"""interp.dissect against brute force in memory: a Keras sub-model's outputs, a Python
sort for the top k, numpy for the mean, the extremes and ``numpy.quantile``.

Runs under every backend (tests/conftest.py: BACKEND_MODULES). The runs killed with
SIGKILL are in test_dissect_resume.py, the data-parallel ones in
test_dissect_distributed.py.
"""

import itertools
import re
from pathlib import Path

import keras
import numpy as np
import pytest

import interp
from interp.dissection import CheckpointError

L = keras.layers
BACKEND = keras.backend.backend()
LEVELS = (0.0, 0.1, 0.5, 0.9, 0.99, 0.995, 1.0)


# ---- the models and the oracle -------------------------------------------------------------

def residual(seed: int = 0, weights: list | None = None) -> keras.Model:
    """A small residual network: conv, conv, Add (the skip), ReLU, conv, pooling, dense.

    Given *weights*, the layers start from zeros and take them: a child process makes the
    model so in a second, where random initializers take ten under JAX on a busy machine.
    """
    if weights is None:
        keras.utils.set_random_seed(seed)
        init = {}
    else:
        init = {"kernel_initializer": "zeros", "bias_initializer": "zeros"}
    inp = keras.Input((10, 10, 2))
    a = L.Conv2D(4, 3, padding="same", activation="relu", name="a", **init)(inp)
    b = L.Conv2D(4, 3, padding="same", name="b", **init)(a)
    s = L.Add(name="add")([a, b])
    r = L.ReLU(name="relu")(s)
    c = L.Conv2D(3, 3, name="c", **init)(r)
    d = L.Dense(5, name="dense", **init)(L.GlobalAveragePooling2D(name="pool")(c))
    model = keras.Model(inp, d, name="residual")
    if weights is not None:
        model.set_weights(weights)
    return model


RESIDUAL_LAYERS = ["a", "add", "relu", "c", "dense"]


def images(n: int = 101, seed: int = 1, shape=(10, 10, 2)) -> np.ndarray:
    """Random images, with exact ties: images 60..63 repeat image 3."""
    x = np.random.default_rng(seed).normal(size=(n, *shape)).astype(np.float32)
    if n > 63:
        x[60:64] = x[3]
    return x


def brute_force(model: keras.Model, x: np.ndarray, names: list[str], k: int,
                levels=LEVELS) -> dict:
    """Each layer's outputs from a Keras sub-model, all in memory, then per unit: a Python
    sort of (-peak, index) for the top k, numpy for the rest."""
    sub = keras.Model(model.inputs, [model.get_layer(name).output for name in names])
    outs = sub.predict(x, batch_size=len(x), verbose=0)
    outs = [outs] if len(names) == 1 else outs
    found = {}
    for name, maps in zip(names, outs, strict=True):
        maps = np.asarray(maps, np.float32)
        if maps.ndim == 2:
            maps = maps[:, np.newaxis, np.newaxis, :]
        n, h, w, units = maps.shape
        entry = {key: [] for key in ("indices", "values", "positions", "mean", "max", "min",
                                     "quantiles", "values_all")}
        for u in range(units):
            flat = maps[..., u].reshape(n, h * w)
            peaks = [float(row.max()) for row in flat]
            order = sorted(range(n), key=lambda i: (-peaks[i], i))[:k]
            entry["indices"].append(order)
            entry["values"].append([peaks[i] for i in order])
            first = [int(np.flatnonzero(flat[i] == flat[i].max())[0]) for i in order]
            entry["positions"].append([(f // w, f % w) for f in first])
            every = maps[..., u].astype(np.float64).ravel()
            entry["mean"].append(every.mean())
            entry["max"].append(every.max())
            entry["min"].append(every.min())
            entry["quantiles"].append(np.quantile(every, levels))
            entry["values_all"].append(np.sort(every))
        found[name] = {key: np.array(value) for key, value in entry.items()}
        found[name]["count"] = n
    return found


def check_quantiles(estimates, rank_error, sorted_values, levels) -> None:
    """The bounds of dissect's Notes, against numpy.quantile on the values in memory."""
    n = len(sorted_values)
    exact = np.quantile(sorted_values, levels)
    for j, level in enumerate(levels):
        position = level * (n - 1)
        lo, hi = int(np.floor(position)), min(int(np.floor(position)) + 1, n - 1)
        scale = max(abs(sorted_values[lo]), abs(sorted_values[hi]))
        bound = interp.dissection.RELATIVE_ERROR * scale + interp.dissection.ZERO_BAND
        assert abs(estimates[j] - exact[j]) <= bound + 1e-7, (level, estimates[j], exact[j])
        low, high = sorted(float(v) for v in (estimates[j], exact[j]))
        between = np.count_nonzero((sorted_values > low) & (sorted_values < high)) / n
        assert between <= rank_error[j], (level, between, rank_error[j])


def assert_matches(found, oracle: dict, levels=LEVELS) -> None:
    """*found* (a Dissection, keyed as *oracle*) equals the brute force."""
    for name, want in oracle.items():
        got = found[name]
        np.testing.assert_array_equal(got.indices, want["indices"], err_msg=name)
        np.testing.assert_array_equal(got.positions, want["positions"], err_msg=name)
        if name not in BATCH_DEPENDENT:
            np.testing.assert_array_equal(got.values, want["values"], err_msg=name)
            np.testing.assert_array_equal(got.max, want["max"], err_msg=name)
            np.testing.assert_array_equal(got.min, want["min"], err_msg=name)
        else:
            np.testing.assert_allclose(got.values, want["values"], atol=1e-6, err_msg=name)
            np.testing.assert_allclose(got.max, want["max"], atol=1e-6, err_msg=name)
        np.testing.assert_allclose(got.mean, want["mean"], rtol=1e-6, atol=1e-7, err_msg=name)
        assert got.count == want["count"]
        assert got.quantiles.shape == got.rank_error.shape == (len(want["mean"]), len(levels))
        for u in range(len(want["mean"])):
            check_quantiles(got.quantiles[u], got.rank_error[u], want["values_all"][u], levels)


#: JAX's XLA computes a Dense layer's product with other roundings for other batch
#: shapes (its outputs move by ~1e-7 between a batch of 16 and one of 101): there, a dense
#: layer's values equal the brute force's to float tolerance, and its top k exactly.
BATCH_DEPENDENT = {"dense"} if BACKEND == "jax" else set()


def same(a, b, *, mean_exact: bool = True, tolerant: set = frozenset()) -> None:
    """Two Dissections hold the same layers and entries: exactly, but the mean to float
    tolerance unless *mean_exact* (sums added in another order), and the values of the
    layers in *tolerant* to float tolerance (their quantiles within the bound)."""
    assert list(a) == list(b)
    assert (a.images, a.k, a.levels) == (b.images, b.k, b.levels)
    for path in a:
        for field in a[path]._fields:
            x, y = getattr(a[path], field), getattr(b[path], field)
            where = f"{path}.{field}"
            if path in tolerant and field not in ("indices", "positions", "count"):
                if field == "quantiles":
                    np.testing.assert_allclose(x, y, rtol=2 * interp.dissection.RELATIVE_ERROR,
                                               atol=1e-6, err_msg=where)
                elif field == "rank_error":
                    np.testing.assert_allclose(x, y, atol=0.01, err_msg=where)
                else:
                    np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6, err_msg=where)
            elif field == "mean" and not mean_exact:
                np.testing.assert_allclose(x, y, rtol=1e-12, err_msg=where)
            else:
                np.testing.assert_array_equal(x, y, err_msg=where)


# ---- results against brute force -----------------------------------------------------------

def test_dissect_equals_brute_force_on_every_model_kind(any_model, model_kinds):
    x = np.random.default_rng(0).random((23, 12, 12, 1)).astype(np.float32)
    found = interp.dissect(any_model, x, k=6, quantiles=LEVELS, batch_size=5, progress=False)
    prefix = "inner/" if "inner" in [layer.name for layer in any_model.layers] else ""
    assert list(found) == [f"{prefix}c1", f"{prefix}c2"]  # every Conv2D, nested ones too
    oracle = brute_force(model_kinds["sequential-input"], x, ["c1", "c2"], k=6)
    assert_matches({name.split("/")[-1]: found[name] for name in found}, oracle)
    assert found.images == 23 and found.k == 6 and found.levels == LEVELS


@pytest.mark.parametrize("batch_size", [16, 101, 500])
def test_dissect_equals_brute_force_on_a_residual_network(batch_size):
    """Add, ReLU and Dense layers too; 101 images in batches of 16 end with a ragged 5."""
    model, x = residual(), images()
    found = interp.dissect(model, x, RESIDUAL_LAYERS, k=7, quantiles=LEVELS,
                           batch_size=batch_size, progress=False)
    assert list(found) == RESIDUAL_LAYERS
    assert_matches(found, brute_force(model, x, RESIDUAL_LAYERS, k=7))
    # the tie: image 3 and its copies 60..63 rank together, lower index first
    entry = found["add"]
    for u in range(entry.indices.shape[0]):
        row = list(entry.indices[u])
        if 3 in row[:-4]:
            at = row.index(3)
            assert row[at:at + 5] == [3, 60, 61, 62, 63]
            assert len(set(entry.values[u][at:at + 5].tolist())) == 1


def test_a_dense_layer_has_one_position_and_the_default_levels():
    model, x = residual(), images(40)
    found = interp.dissect(model, x, "dense", k=3, progress=False)
    entry = found["dense"]
    assert found.levels == (0.99, 0.995)
    assert entry.quantiles.shape == (5, 2)
    np.testing.assert_array_equal(entry.positions, np.zeros((5, 3, 2), int))


def test_the_quantile_rank_error_is_small_where_values_do_not_repeat():
    """The bound is not vacuous: 16,000 values per unit of a layer without ReLU."""
    model, x = residual(), images(160, seed=5)
    found = interp.dissect(model, x, "add", k=1, quantiles=(0.5, 0.9, 0.99),
                           progress=False)
    assert found["add"].rank_error.max() < 0.01


def test_the_three_kinds_of_data_give_the_same_result():
    """An array, a generator of uneven batches and a tf.data.Dataset of (images, labels)."""
    tf = pytest.importorskip("tensorflow")
    model, x = residual(), images()
    args = dict(layers=RESIDUAL_LAYERS, k=5, quantiles=(0.5, 0.99), batch_size=16,
                progress=False)
    whole = interp.dissect(model, x, **args)
    cuts = [0, 7, 37, 38, 90, 101]  # batches of 7, 30, 1, 52, 11
    generated = interp.dissect(model, (x[a:b] for a, b in itertools.pairwise(cuts)), **args)
    labels = np.arange(len(x)) % 10
    dataset = tf.data.Dataset.from_tensor_slices((x, labels)).batch(16)
    streamed = interp.dissect(model, dataset, **args)
    for other in (generated, streamed):
        same(whole, other, mean_exact=False, tolerant=BATCH_DEPENDENT)


def test_k_equal_to_the_images_keeps_them_all_and_more_is_refused():
    model, x = residual(), images(6)
    found = interp.dissect(model, x, "c", k=6, progress=False)
    np.testing.assert_array_equal(np.sort(found["c"].indices, axis=1),
                                  np.tile(np.arange(6), (3, 1)))
    message = "dissect: k must be at most the number of images (6), got 7"
    with pytest.raises(ValueError, match=re.escape(message)):
        interp.dissect(model, x, "c", k=7, progress=False)
    with pytest.raises(ValueError, match=re.escape(message)):  # a stream: after its pass
        interp.dissect(model, iter([x[:4], x[4:]]), "c", k=7, progress=False)


def test_identical_images_tie_in_index_order_at_the_first_position():
    model = residual()
    x = np.ones((7, 10, 10, 2), np.float32)  # every image, and inside, the same
    found = interp.dissect(model, x, ["c", "dense"], k=4, batch_size=3, progress=False)
    for path in found:
        np.testing.assert_array_equal(found[path].indices,
                                      np.tile(np.arange(4), (len(found[path].mean), 1)))


def test_dissection_is_a_mapping_in_layer_order():
    model, x = residual(), images(12)
    found = interp.dissect(model, x, ["c", "a"], k=2, progress=False)
    assert list(found) == ["c", "a"] and len(found) == 2
    assert found.resumed == 0 and found.seconds > 0
    assert "12 images" in repr(found) and "'c': 3 units" in repr(found)
    with pytest.raises(KeyError, match=r"Dissection: no layer 'b'; it holds \['c', 'a'\]"):
        found["b"]


def test_the_model_is_not_changed():
    model, x = residual(), images(20)
    before = [w.copy() for w in model.get_weights()]
    interp.dissect(model, x, k=2, progress=False)
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


# ---- checkpoints ---------------------------------------------------------------------------

class Stop(Exception):
    """Raised from inside the pass, as an interruption."""


def interrupt_after(monkeypatch, batches: int) -> None:
    """Make the pass stop when it has tallied *batches* batches.

    Each step adds one batch to each layer's tally; the first tally to be made (the first
    layer's) counts them, and the stop comes before it adds batch *batches* + 1.
    """
    from interp.dissection import tally

    add, seen = tally.LayerTally.add, {}

    def counting(self, start, maps):
        seen.setdefault(id(self), 0)
        seen[id(self)] += 1
        if seen[id(self)] > batches:
            raise Stop
        return add(self, start, maps)

    monkeypatch.setattr(tally.LayerTally, "add", counting)


def count_forward_passes(monkeypatch) -> list:
    from interp._model import Runner

    rows, run = [], Runner.unit_maps

    def counting(self, x, fn):
        rows.append(len(x))
        return run(self, x, fn)

    monkeypatch.setattr(Runner, "unit_maps", counting)
    return rows


@pytest.mark.parametrize("kind", ["array", "stream"])
def test_a_resumed_run_equals_an_uninterrupted_one(tmp_path, monkeypatch, kind):
    model, x = residual(), images()
    args = dict(layers=RESIDUAL_LAYERS, k=5, quantiles=(0.5, 0.99), batch_size=8,
                progress=False)

    def data():
        return x if kind == "array" else (x[i:i + 8] for i in range(0, len(x), 8))

    whole = interp.dissect(model, data(), **args)
    path = tmp_path / "run.ckpt"
    with monkeypatch.context() as patch:
        interrupt_after(patch, 5)
        with pytest.raises(Stop):
            interp.dissect(model, data(), checkpoint=path, checkpoint_every=2, **args)
    assert path.exists()
    rows = count_forward_passes(monkeypatch)
    resumed = interp.dissect(model, data(), checkpoint=path, **args)
    same(whole, resumed)  # exactly: the same sums, added in the same order
    assert resumed.resumed == 32  # 4 batches of 8 were saved before the stop
    assert sum(rows) == len(x) - 32  # and are not run again
    rows.clear()
    again = interp.dissect(model, data(), checkpoint=path, **args)  # complete: no model
    same(whole, again)
    assert rows == [] and again.resumed == len(x)


def test_a_checkpoint_is_written_atomically(tmp_path, monkeypatch):
    """A write that fails half way leaves the previous checkpoint whole, and no litter."""
    from interp.dissection import checkpoint as ckpt

    model, x = residual(), images(40)
    path = tmp_path / "run.ckpt"
    args = dict(layers=["c"], k=2, batch_size=8, progress=False, checkpoint=path,
                checkpoint_every=1)
    savez, writes = np.savez, []

    def failing(file, **arrays):
        writes.append(1)
        if len(writes) == 3:
            file.write(b"PK\x03\x04 half a zip")
            raise OSError("disk full")
        return savez(file, **arrays)

    monkeypatch.setattr(ckpt.np, "savez", failing)
    with pytest.raises(OSError, match="disk full"):
        interp.dissect(model, x, **args)
    monkeypatch.setattr(ckpt.np, "savez", savez)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.ckpt"]
    meta, _ = ckpt.load("test", path)
    assert meta["step"] == 2 and not meta["complete"]  # the second write, whole
    same(interp.dissect(model, x, **{**args, "checkpoint": None}), interp.dissect(model, x, **args))


@pytest.mark.parametrize(("change", "said"), [
    ({"k": 4}, "k=3, not 4"),
    ({"quantiles": (0.5,)}, "quantiles=[0.5, 0.99], not [0.5]"),
    ({"batch_size": 16}, "batch_size=8, not 16"),
    ({"layers": ["a"]}, 'layers=["a", "c"], not ["a"]'),
])
def test_a_checkpoint_of_other_arguments_is_refused(tmp_path, change, said):
    model, x = residual(), images(30)
    path = tmp_path / "run.ckpt"
    args = dict(layers=["a", "c"], k=3, quantiles=(0.5, 0.99), batch_size=8, progress=False)
    interp.dissect(model, x, checkpoint=path, **args)
    saved = path.read_bytes()
    with pytest.raises(CheckpointError, match=rf"^dissect: checkpoint '{re.escape(str(path))}' "
                                              rf"was written by a run with {re.escape(said)}; "
                                              "it is not mixed into this one"):
        interp.dissect(model, x, checkpoint=path, **{**args, **change})
    assert path.read_bytes() == saved  # never mixed, nor overwritten


def test_a_checkpoint_of_another_model_is_refused(tmp_path):
    x, path, model = images(30), tmp_path / "run.ckpt", residual()
    interp.dissect(model, x, k=3, checkpoint=path, progress=False)
    weights = model.get_weights()
    weights[0][0, 0, 0, 0] += 1e-3  # the same model, its configuration, one weight changed
    model.set_weights(weights)
    other = model
    with pytest.raises(CheckpointError, match=r"^dissect: checkpoint .* was written by a run "
                                              r"with another model \(its configuration or "
                                              r"weights differ\); it is not mixed"):
        interp.dissect(other, x, k=3, checkpoint=path, progress=False)
    assert isinstance(CheckpointError("x"), ValueError)


def test_a_checkpoint_of_other_data_is_refused(tmp_path):
    model, x, path = residual(), images(30), tmp_path / "run.ckpt"
    args = dict(layers="c", k=3, batch_size=8, progress=False, checkpoint=path)
    interp.dissect(model, x, **args)
    with pytest.raises(CheckpointError, match=r"^dissect: checkpoint .* was written by a run "
                                              r"with other data \(an array of shape "
                                              r"\(30, 10, 10, 2\) and dtype float32 then, an "
                                              r"array of shape \(31, 10, 10, 2\) and dtype "
                                              r"float32 now\)"):
        interp.dissect(model, images(31), **args)
    changed = x.copy()
    changed[9, 4, 4, 0] += 1.0  # one value of batch 1
    with pytest.raises(CheckpointError, match=r"^dissect: checkpoint .* was written for other "
                                              r"data: this batch differs from the one it saw "
                                              r"\(batch 1, data 8\.\.15\)"):
        interp.dissect(model, changed, **args)


def test_a_checkpoint_of_another_stream_is_refused(tmp_path):
    model, x = residual(), images(30)
    path = tmp_path / "run.ckpt"
    args = dict(layers="c", k=3, progress=False, checkpoint=path, checkpoint_every=1)

    def batches(array):
        return (array[i:i + 8] for i in range(0, len(array), 8))

    interp.dissect(model, batches(x), **args)
    changed = x.copy()
    changed[20, 0, 0, 1] = -5.0
    with pytest.raises(CheckpointError, match=r"^dissect: checkpoint .* was written for other "
                                              r"data: this batch differs from the one it saw "
                                              r"\(batch 2, data 16\.\.23\)"):
        interp.dissect(model, batches(changed), **args)
    with pytest.raises(CheckpointError, match=r"^dissect: checkpoint .* was written for other "
                                              r"data: it saw 4 batches and data has more"):
        interp.dissect(model, itertools.chain(batches(x), [x[:3]]), **args)
    with pytest.raises(CheckpointError, match=r"^dissect: checkpoint .* was written for other "
                                              r"data: .*data ends after 2"):
        interp.dissect(model, batches(x[:16]), **args)
    with pytest.raises(CheckpointError, match=r"^dissect: checkpoint .* was written by a run "
                                              r"with other data \(an iterable of batches "
                                              r"then, an array of shape"):
        interp.dissect(model, x, **{**args, "batch_size": 256})


def test_a_file_that_is_not_a_checkpoint_is_refused(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a checkpoint")
    with pytest.raises(CheckpointError, match=rf"^dissect: checkpoint '{re.escape(str(path))}' "
                                              "is not a checkpoint that interp.dissect wrote"):
        interp.dissect(residual(), images(10), k=2, checkpoint=path, progress=False)
    assert path.read_text() == "not a checkpoint"


# ---- refused arguments ---------------------------------------------------------------------

def _bad_cases(tmp: Path):
    x = images(10)
    nan = x.copy()
    nan[7, 1, 1, 0] = np.nan
    return [
        ({"k": 0}, ValueError, r"^dissect: k must be an int >= 1, got 0$"),
        ({"k": 2.5}, TypeError, r"^dissect: k must be an int, got 2\.5 \(float\)$"),
        ({"quantiles": "0.99"}, TypeError,
         r"^dissect: quantiles must be a sequence of levels in \[0, 1\], got '0\.99' \(str\)$"),
        ({"quantiles": 0.99}, TypeError,
         r"^dissect: quantiles must be a sequence of levels in \[0, 1\], got 0\.99 \(float\)$"),
        ({"quantiles": np.array(0.5)}, TypeError,
         r"^dissect: quantiles must be a sequence of levels in \[0, 1\], got an array of "
         r"shape \(\) and dtype float64$"),
        ({"quantiles": (0.5, None)}, TypeError,
         r"^dissect: quantiles must be a sequence of levels in \[0, 1\], got \(0\.5, None\)"),
        ({"quantiles": (0.5, 1.5)}, ValueError,
         r"^dissect: quantiles must be levels in \[0, 1\], got 1\.5$"),
        ({"batch_size": 0}, ValueError, r"^dissect: batch_size must be an int >= 1, got 0$"),
        ({"progress": "yes"}, TypeError,
         r"^dissect: progress must be True or False, got 'yes' \(str\)$"),
        ({"checkpoint": 3}, TypeError,
         r"^dissect: checkpoint must be a file path \(str or os\.PathLike\) or None, got 3 "
         r"\(int\)$"),
        ({"checkpoint": tmp}, ValueError,
         rf"^dissect: checkpoint must be a file path, got the folder '{re.escape(str(tmp))}'$"),
        ({"checkpoint": tmp / "no" / "run.ckpt"}, ValueError,
         r"^dissect: checkpoint '.*run\.ckpt' is in a folder that does not exist; create it "
         r"first$"),
        ({"checkpoint_every": 0}, ValueError,
         r"^dissect: checkpoint_every must be an int >= 1, got 0$"),
        ({"distribution": "tpu"}, TypeError,
         r"^dissect: distribution must be a keras\.distribution\.DataParallel \(or None\), "
         r"got 'tpu' \(str\)$"),
        ({"layers": "nope"}, ValueError, r"^dissect: no layer named 'nope'; layer paths are"),
        ({"layers": 99}, IndexError, r"^dissect: layers=99 is out of range for a model with"),
        ({"layers": []}, ValueError, r"^dissect: layers must name at least one layer, got \[\]"),
        ({"layers": 2.0}, TypeError, r"^dissect: layers must be an int, a layer name or path"),
        ({"data": x[:, :5]}, ValueError,
         r"^dissect: data must be a batch shaped \(n, 10, 10, 2\) for this model, got an "
         r"array of shape \(10, 5, 10, 2\)"),
        ({"data": x[:0]}, ValueError, r"^dissect: data must not be empty, got an array of "
                                      r"shape \(0, 10, 10, 2\)"),
        ({"data": iter([])}, ValueError,
         r"^dissect: data must not be empty, got an iterable of no batches$"),
        ({"data": "images/"}, TypeError, r"^dissect: data must hold real numbers"),
        ({"data": iter([{"x": x}])}, TypeError,
         r"^dissect: data must yield arrays or \(images, labels\) tuples, got a dict"),
        ({"data": iter([x[:4], x[4:, :5]])}, ValueError,
         r"^dissect: data must be a batch shaped \(n, 10, 10, 2\) for this model, got an "
         r"array of shape \(6, 5, 10, 2\)"),
        ({"data": nan}, ValueError,
         r"^dissect: data must be finite, got 1 NaN or inf values among data 0\.\.9$"),
        ({"data": iter([x[:4], nan[4:]])}, ValueError,
         r"^dissect: data must be finite, got 1 NaN or inf values among data 4\.\.9$"),
    ]


def test_every_refused_argument_is_named(tmp_path):
    model = residual()
    for change, error, message in _bad_cases(tmp_path):
        args = {"data": images(10), "k": 2, "progress": False, **change}
        with pytest.raises(error, match=message):
            interp.dissect(model, **args)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no checkpoint made


def test_a_model_that_is_not_a_model_and_a_layer_without_maps_are_refused():
    with pytest.raises(TypeError, match=r"^dissect: model must be a keras\.Model"):
        interp.dissect("model.keras", images(4))
    keras.utils.set_random_seed(0)
    one_d = keras.Sequential([keras.Input((20, 3)), L.Conv1D(4, 3, name="seq"),
                              L.Flatten(), L.Dense(2)])
    with pytest.raises(ValueError, match=r"^dissect: layer 'seq' must output 2-D maps "
                                         r"\(n, h, w, c\) or vectors \(n, c\) to be dissected, "
                                         r"got shape \(None, 18, 4\)$"):
        interp.dissect(one_d, np.zeros((4, 20, 3), np.float32), "seq")
    with pytest.raises(ValueError, match=r"^dissect: the model has no 2-D convolution layer; "
                                         r"pass layers="):
        interp.dissect(one_d, np.zeros((4, 20, 3), np.float32))


def test_a_layer_giving_nan_is_refused():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6, 6, 1)), L.Conv2D(2, 3, name="c"),
                              L.Lambda(lambda t: keras.ops.log(t), name="log")])
    x = np.ones((5, 6, 6, 1), np.float32)
    with pytest.raises(ValueError, match=r"^dissect: layer 'log' gives NaN or inf values on "
                                         r"data 0\.\.4 \(units \["):
        interp.dissect(model, -x * 100, "log", k=1, progress=False)


def test_distribution_needs_the_jax_backend():
    if BACKEND == "jax":
        pytest.skip("JAX runs distributions: test_dissect_distributed.py")
    x = images(10)
    # Keras's DataParallel needs the backend's own distribution library to be made; the
    # object is enough to be refused
    data_parallel = keras.distribution.DataParallel.__new__(keras.distribution.DataParallel)
    with pytest.raises(ValueError, match=rf"^dissect: distribution needs the JAX backend: "
                                         rf".*Keras runs on '{BACKEND}'"):
        interp.dissect(residual(), x, k=2, distribution=data_parallel, progress=False)
    if BACKEND == "tensorflow":
        import tensorflow as tf

        strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
        with pytest.raises(TypeError, match=r"^dissect: distribution must be a "
                                            r"keras\.distribution\.DataParallel, got a "
                                            r"tensorflow\..*MirroredStrategy: .* on the JAX "
                                            r"backend"):
            interp.dissect(residual(), x, k=2, distribution=strategy, progress=False)


# ---- memory --------------------------------------------------------------------------------

def test_memory_does_not_grow_with_the_images(tmp_path):
    """Ten times the batches: the same state (its checkpoint, but the 16-byte digest of
    each batch), and the same peak of memory, far below the maps of every image."""
    import tracemalloc

    model, batch = residual(), images(64, seed=3)
    rng = np.random.default_rng(0)

    def stream(batches):
        for _ in range(batches):  # made as read: the data is never whole in memory either
            yield batch + rng.normal(scale=0.1, size=batch.shape).astype(np.float32)

    peaks, sizes = [], []
    for batches in (10, 100):
        path = tmp_path / f"{batches}.ckpt"
        tracemalloc.start()
        interp.dissect(model, stream(batches), k=5, batch_size=64, progress=False,
                       checkpoint=path, checkpoint_every=10**6)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        with np.load(path) as saved:
            sizes.append({key: saved[key].nbytes for key in saved.files
                          if key not in ("digests", "__meta__")})
    assert sizes[0].keys() == sizes[1].keys()
    # the histograms may widen a little with more values; nothing else changes size
    for key in sizes[0]:
        if "hist_counts" not in key:
            assert sizes[0][key] == sizes[1][key], key
        else:
            assert sizes[1][key] <= 2 * sizes[0][key], key
    all_maps = 6_400 * 10 * 10 * 4 * 4 * 3  # a, add, relu as float32, for 6,400 images
    assert peaks[1] < 2 * peaks[0] + 2**20, [p / 2**20 for p in peaks]
    assert peaks[1] < all_maps / 4, [p / 2**20 for p in peaks]
