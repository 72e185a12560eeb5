"""Build helpers for the gallery: a Keras reset between examples, the intersphinx switch."""

from __future__ import annotations

import gc
import os

#: Inventories used when the build is online.
INTERSPHINX = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable/", None),
    "matplotlib": ("https://matplotlib.org/stable/", None),
}
_ONLINE_HOSTS = ("READTHEDOCS", "GITHUB_ACTIONS")


def intersphinx_mapping(environ: dict[str, str] | None = None) -> dict:
    """Return the intersphinx inventories to use: all when online, none when offline.

    ``INTERP_DOCS_INTERSPHINX=1`` or ``0`` decides; without it, a build on Read the Docs
    or GitHub Actions is taken as online and every other build (a laptop on a train, the
    project's CI) as offline. An offline build never tries the network, so it neither
    waits for time-outs nor fails on intersphinx's "failed to reach" warning.
    """
    environ = os.environ if environ is None else environ
    switch = environ.get("INTERP_DOCS_INTERSPHINX", "").strip().lower()
    if switch in ("1", "true", "yes", "on"):
        online = True
    elif switch in ("0", "false", "no", "off"):
        online = False
    else:
        online = any(environ.get(name, "").lower() == "true" for name in _ONLINE_HOSTS)
    return dict(INTERSPHINX) if online else {}


def reset_keras(gallery_conf, fname, when=None):
    """Clear Keras's global state so each example starts as a fresh script would.

    Layer-name counters, the TensorFlow graph behind them and the memory of finished
    examples are released before every example runs.
    """
    import keras

    keras.backend.clear_session(free_memory=True)
    gc.collect()
