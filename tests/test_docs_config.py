"""The docs build's intersphinx switch: offline builds must not reach for the network."""

import importlib.util
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parents[1] / "docs" / "sphinxext" / "interp_gallery.py"
spec = importlib.util.spec_from_file_location("interp_gallery", PATH)
interp_gallery = importlib.util.module_from_spec(spec)
spec.loader.exec_module(interp_gallery)


@pytest.mark.parametrize(("environ", "online"), [
    ({}, False),                                              # a plain machine, CI here
    ({"READTHEDOCS": "True"}, True),
    ({"GITHUB_ACTIONS": "true"}, True),
    ({"INTERP_DOCS_INTERSPHINX": "1"}, True),
    ({"INTERP_DOCS_INTERSPHINX": "0", "READTHEDOCS": "True"}, False),  # forced off wins
    ({"INTERP_DOCS_INTERSPHINX": "off", "GITHUB_ACTIONS": "true"}, False),
])
def test_intersphinx_switch(environ, online):
    mapping = interp_gallery.intersphinx_mapping(environ)
    if online:
        assert set(mapping) == {"python", "numpy", "matplotlib"}
        assert all(url.startswith("https://") for url, _ in mapping.values())
    else:
        assert mapping == {}


def test_offline_build_ignores_only_external_names():
    """conf.py's nitpick exceptions cover outside packages, never interp's own names."""
    import re

    text = (PATH.parents[1] / "conf.py").read_text()
    patterns = re.findall(r'\(r"py:\.\*", r"([^"]+)"\)', text)
    assert patterns
    for pattern in patterns:
        assert not re.fullmatch(pattern, "interp.convolve")
        assert not re.fullmatch(pattern, "interp")


def test_every_public_name_is_in_the_api_reference():
    import interp

    text = (PATH.parents[1] / "api.rst").read_text()
    listed = {line.strip() for line in text.splitlines() if line.startswith("   ")}
    missing = sorted(set(interp.__all__) - listed)
    assert not missing, f"public names absent from docs/api.rst: {missing}"


def test_every_public_function_has_an_example():
    import inspect

    import interp

    for name in interp.__all__:
        obj = getattr(interp, name)
        if inspect.isfunction(obj):
            assert "Examples\n    --------" in (obj.__doc__ or ""), f"{name} has no Examples section"
