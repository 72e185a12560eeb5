"""Summarize a mutmut run (``nox -s mutants``): counts per module, and each survivor as a diff.

Reads ``mutants/interp/*.py`` (where mutmut keeps the original of each function next to
its mutants) and the ``.meta`` files with their results. A mutant whose changed lines all
lie inside a ``raise`` statement or a ``warnings.warn(...)`` call only changes an error or
warning message; it is counted apart, as "message", since no behaviour depends on it.

Usage: ``.nox/mutants/bin/python tools/mutants_report.py [--survivors] [--module NAME]``.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import re
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code as STATUS  # run it with mutmut's Python


def _functions(path: Path) -> tuple[dict[str, ast.AST], str]:
    source = path.read_text()
    tree = ast.parse(source)
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[node.name] = node
    return found, source


def _message_lines(node: ast.AST) -> set[int]:
    """Lines (relative to the function start) inside raise statements and warnings.warn calls."""
    lines: set[int] = set()
    for sub in ast.walk(node):
        is_warn = (isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute)
                   and sub.func.attr == "warn")
        if isinstance(sub, ast.Raise) or is_warn:
            lines.update(range(sub.lineno - node.lineno, sub.end_lineno - node.lineno + 1))
    return lines


def mutant_diffs(module_path: Path) -> dict[str, tuple[list[str], bool]]:
    """Return ``{mutant: (diff lines, message only)}`` for one mutated module."""
    functions, source = _functions(module_path)
    lines = source.splitlines()

    def text(node: ast.AST) -> list[str]:
        return lines[node.lineno - 1:node.end_lineno][1:]  # without the def line (its name)

    originals: dict[str, tuple[list[str], set[int]]] = {}
    out = {}
    for name, node in functions.items():
        match = re.fullmatch(r"(.*)__mutmut_(\d+)", name)
        if not match:
            continue
        base = match.group(1)
        if base not in originals:
            orig = functions.get(f"{base}__mutmut_orig")
            if orig is None:
                continue
            originals[base] = (text(orig), {i - 1 for i in _message_lines(orig)})
        a, message_lines = originals[base]
        b = text(node)
        changed = [i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y]
        changed += list(range(min(len(a), len(b)), max(len(a), len(b))))
        message = bool(changed) and set(changed) <= message_lines
        diff = [line for line in difflib.unified_diff(a, b, lineterm="", n=0)
                if line[:1] in "+-" and not line.startswith(("+++", "---"))]
        out[name] = (diff, message)
    return out


def main() -> None:
    """Print the table (and with ``--survivors`` each surviving mutant's diff)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--survivors", action="store_true", help="print every survivor's diff")
    parser.add_argument("--module", help="only this module, e.g. measure")
    parser.add_argument("--json", help="write {mutant: [status, message_only, diff]} here")
    args = parser.parse_args()
    root = Path("mutants/interp")
    rows, everything = [], {}
    totals = Counter()
    for meta in sorted(root.glob("*.py.meta")):
        module = meta.name[:-len(".py.meta")]
        if args.module and module != args.module:
            continue
        results = json.loads(meta.read_text())["exit_code_by_key"]
        diffs = mutant_diffs(root / f"{module}.py")
        counts = Counter()
        for key, code in results.items():
            status = STATUS[code]
            short = key.split(".")[-1]
            diff, message = diffs.get(short, ([], False))
            kind = "message" if message else "behaviour"
            counts[status, kind] += 1
            everything[key] = (status, message, diff)
            if args.survivors and status == "survived" and not message:
                print(f"--- {key}")
                for line in diff:
                    print(f"    {line.strip()[:150]}")
        rows.append((module, counts))
        totals.update(counts)
    rows.append(("TOTAL", totals))
    print(f"\n{'module':<14}{'mutants':>8}{'killed':>8}{'survived':>9}{'other':>7}"
          f"{'| message':>10}{'msg surv':>9}{'| kill rate (behaviour)':>24}")
    for module, c in rows:
        total = sum(c.values())
        behaviour = {s: n for (s, k), n in c.items() if k == "behaviour"}
        killed_b = behaviour.get("killed", 0) + behaviour.get("timeout", 0)
        survived_b = behaviour.get("survived", 0)
        message = sum(n for (s, k), n in c.items() if k == "message")
        msg_surv = c.get(("survived", "message"), 0)
        killed = sum(n for (s, k), n in c.items() if s in ("killed", "timeout"))
        survived = sum(n for (s, k), n in c.items() if s == "survived")
        rate = killed_b / (killed_b + survived_b) if killed_b + survived_b else float("nan")
        print(f"{module:<14}{total:>8}{killed:>8}{survived:>9}{total - killed - survived:>7}"
              f"{message:>10}{msg_surv:>9}{rate:>24.1%}")
    if args.json:
        Path(args.json).write_text(json.dumps(everything, indent=1))


if __name__ == "__main__":
    main()
