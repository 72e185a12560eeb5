"""How the browser checks start Chromium: the system's, headless, with no traffic of its own.

The flags keep Chromium from calling Google's hosts at start (this machine's closed
network refuses them, many at a time); the pages' own requests are checked by each test.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def chromium_path() -> str:
    """The path of Chromium: $CHROMIUM, else the system's."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("Chromium not found: apt-get install chromium, or set CHROMIUM=/path/to/it")
