"""interp.cached: a result computed from the cached models, cached on disk in turn."""

import json
import os

import keras
import numpy as np
import pytest

import interp
import interp.models as models


class Counter:
    """A compute function that counts its calls and returns what it is told."""

    def __init__(self, value):
        self.value, self.calls = value, 0

    def __call__(self):
        self.calls += 1
        return self.value


def files(folder):
    return sorted(p.name for p in folder.iterdir())


def test_a_second_call_reads_the_file_and_does_not_compute(tmp_path):
    compute = Counter({"auc": [0.25, float("nan")], "name": "saliency", "ok": True})
    first = interp.cached("table", compute, depends_on=[np.arange(4.0), "steps=50"],
                          cache_dir=tmp_path)
    second = interp.cached("table", compute, depends_on=[np.arange(4.0), "steps=50"],
                           cache_dir=tmp_path)
    assert compute.calls == 1
    assert first["auc"][0] == second["auc"][0] == 0.25 and np.isnan(second["auc"][1])
    assert (second["name"], second["ok"]) == ("saliency", True)
    (name,) = files(tmp_path)
    assert name.startswith("table-") and name.endswith(".json")
    # the file holds the value, as JSON any reader can open
    assert json.loads((tmp_path / name).read_text())["value"]["name"] == "saliency"


def test_what_compute_returns_is_what_a_hit_returns(tmp_path):
    # tuples and numpy numbers come back as JSON gives them, on a miss as on a hit
    compute = Counter({"pair": (1, 2), "x": np.float32(0.5)})
    miss = interp.cached("t", compute, depends_on=1, cache_dir=tmp_path)
    hit = interp.cached("t", compute, depends_on=1, cache_dir=tmp_path)
    assert miss == hit == {"pair": [1, 2], "x": 0.5}


def _model(seed):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])


@pytest.mark.parametrize(("before", "after"), [
    (np.arange(4.0), np.arange(4.0) + np.array([0, 0, 0, 1e-9])),  # one number of the images
    (np.arange(4.0), np.arange(4.0).astype(np.float32)),  # the dtype
    (np.arange(4.0), np.arange(4.0).reshape(2, 2)),  # the shape
    ({"steps": 50}, {"steps": 32}),  # a setting
    ("model-0", "model-1"),  # two models with different weights (built below)
])
def test_a_changed_dependency_is_a_miss(tmp_path, before, after):
    if isinstance(before, str) and before == "model-0":
        before, after = _model(0), _model(1)
    compute = Counter([1])
    interp.cached("t", compute, depends_on={"x": before}, cache_dir=tmp_path)
    interp.cached("t", compute, depends_on={"x": after}, cache_dir=tmp_path)
    assert compute.calls == 2
    assert len(files(tmp_path)) == 2  # each key its own file


def test_the_same_weights_are_a_hit(tmp_path):
    compute = Counter([1])
    a, b = _model(0), _model(0)
    assert a is not b
    interp.cached("t", compute, depends_on=a, cache_dir=tmp_path)
    interp.cached("t", compute, depends_on=b, cache_dir=tmp_path)
    assert compute.calls == 1


def test_interp_version_is_part_of_the_key(tmp_path, monkeypatch):
    compute = Counter([1])
    interp.cached("t", compute, depends_on=1, cache_dir=tmp_path)
    monkeypatch.setattr(models, "_interp_version", lambda: "99.0")
    interp.cached("t", compute, depends_on=1, cache_dir=tmp_path)
    assert compute.calls == 2


def test_refresh_computes_again_and_rewrites(tmp_path):
    compute = Counter([1])
    interp.cached("t", compute, depends_on=1, cache_dir=tmp_path)
    compute.value = [2]
    assert interp.cached("t", compute, depends_on=1, cache_dir=tmp_path, refresh=True) == [2]
    assert interp.cached("t", compute, depends_on=1, cache_dir=tmp_path) == [2]
    assert compute.calls == 2


def test_default_folder_is_the_interp_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("INTERP_CACHE_DIR", str(tmp_path / "cache"))
    interp.cached("t", Counter([1]), depends_on=1)
    assert files(tmp_path / "cache")[0].startswith("t-")


@pytest.mark.parametrize("damage", [
    b"{not json",  # cut short
    b"",  # empty
    b'{"value": [7]}',  # no key
    "wrong key",  # a whole file, but for another key
])
def test_a_damaged_file_is_computed_again_with_a_warning(tmp_path, damage):
    compute = Counter([1])
    interp.cached("t", compute, depends_on=1, cache_dir=tmp_path)
    (name,) = files(tmp_path)
    path = tmp_path / name
    if damage == "wrong key":
        damage = json.dumps({"key": "0" * 64, "value": [7]}).encode()
    path.write_bytes(damage)
    with pytest.warns(models.CacheWarning, match=r"cached: the cached result .* computing"):
        assert interp.cached("t", compute, depends_on=1, cache_dir=tmp_path) == [1]
    assert compute.calls == 2
    # and the good result was written back: the next call reads it
    assert interp.cached("t", compute, depends_on=1, cache_dir=tmp_path) == [1]
    assert compute.calls == 2


def test_the_write_is_atomic(tmp_path, monkeypatch):
    compute = Counter([1])
    interp.cached("t", compute, depends_on=1, cache_dir=tmp_path)
    (name,) = files(tmp_path)
    before = (tmp_path / name).read_bytes()
    seen = []

    def interrupted(src, dst):  # the rename never happens: stopped mid-write
        seen.append((os.path.dirname(src), json.loads(open(src).read())["value"]))
        raise KeyboardInterrupt

    monkeypatch.setattr(models.os, "replace", interrupted)
    compute.value = [2]
    with pytest.raises(KeyboardInterrupt):
        interp.cached("t", compute, depends_on=1, cache_dir=tmp_path, refresh=True)
    # the whole new result was in a temporary file beside the target, now removed
    assert seen == [(str(tmp_path), [2])]
    assert files(tmp_path) == [name] and (tmp_path / name).read_bytes() == before


def test_an_unwritable_folder_returns_the_result_with_a_warning(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.warns(models.CacheWarning, match="could not be cached"):
        assert interp.cached("t", Counter([3]), depends_on=1, cache_dir=blocker / "x") == [3]


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"name": "My Table"}, ValueError, "cached: name must be lower-case letters, digits"),
    ({"name": ""}, ValueError, "cached: name must be"),
    ({"name": "../up"}, ValueError, "cached: name must be"),
    ({"compute": 3}, TypeError, "cached: compute must be a callable"),
    ({"depends_on": {"f": print}}, TypeError,
     r"cached: depends_on\['f'\] holds .* no stable fingerprint"),
    ({"depends_on": {1: 2}}, TypeError, "cached: depends_on holds a dict with keys"),
    ({"depends_on": np.array([object()])}, TypeError, "array of Python objects"),
    ({"compute": lambda: {"a": np.arange(2)}}, TypeError,
     "cached: compute returned a result JSON cannot hold"),
])
def test_bad_input_names_the_argument(tmp_path, kwargs, error, message):
    arguments = {"name": "t", "compute": Counter([1]), "depends_on": 1, **kwargs}
    with pytest.raises(error, match=message):
        interp.cached(arguments.pop("name"), arguments.pop("compute"), cache_dir=tmp_path,
                      **arguments)
    assert not list(tmp_path.iterdir())
