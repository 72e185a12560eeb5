"""Write the version switcher's list into every version of the published site.

The site is published into one folder per version on the ``gh-pages`` branch: ``dev``
from main, and ``0.2.0`` and so on from the release tags (.github/workflows/docs.yml).
After a build is copied in, this script lists the folders, writes ``versions.json`` (dev
first, then the releases, newest first; the newest release is the preferred one) into
every folder's ``_static/``, where each build's version switcher reads it without asking
another host, and points the site's root at the newest release (dev while there is none).

Usage: python .ci/versions.py PAGES_FOLDER --base https://interp-dev.github.io/interp/
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

RELEASE = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
REDIRECT = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>interp</title>
<meta http-equiv="refresh" content="0; url={target}/">
<link rel="canonical" href="{target}/"></head>
<body><p>The documentation is at <a href="{target}/">{target}/</a>.</p></body></html>
"""


def versions(folders: list[str], base: str) -> list[dict]:
    """Return the switcher's entries for the version folders *folders* of the site at *base*."""
    releases = sorted((f for f in folders if RELEASE.match(f)),
                      key=lambda f: tuple(int(p) for p in RELEASE.match(f).groups()),
                      reverse=True)
    base = base.rstrip("/") + "/"
    entries = [{"name": "dev (main)", "version": "dev", "url": f"{base}dev/"}] \
        if "dev" in folders else []
    for i, release in enumerate(releases):
        entry = {"name": release + (" (stable)" if i == 0 else ""), "version": release,
                 "url": f"{base}{release}/"}
        if i == 0:
            entry["preferred"] = True
        entries.append(entry)
    return entries


def publish(pages: Path, base: str) -> list[dict]:
    """Write versions.json into every version folder of *pages* and the root redirect."""
    folders = sorted(p.name for p in pages.iterdir()
                     if p.is_dir() and (p / "index.html").exists())
    entries = versions(folders, base)
    text = json.dumps(entries, indent=2) + "\n"
    for entry in entries:
        static = pages / entry["version"] / "_static"
        static.mkdir(parents=True, exist_ok=True)
        (static / "versions.json").write_text(text)
    (pages / "versions.json").write_text(text)
    preferred = next((e["version"] for e in entries if e.get("preferred")), "dev")
    (pages / "index.html").write_text(REDIRECT.format(target=preferred))
    return entries


def main() -> None:
    """Publish the list for the gh-pages checkout named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", type=Path, help="the gh-pages checkout")
    parser.add_argument("--base", required=True, help="the published site's address")
    args = parser.parse_args()
    for entry in publish(args.pages, args.base):
        print(f"{entry['version']:>8}  {entry['url']}")


if __name__ == "__main__":
    main()
