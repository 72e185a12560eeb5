"""Summarize a mutmut run (``nox -s mutants``): counts per module, and each survivor as a diff.

Reads ``mutants/interp/*.py`` (where mutmut keeps the original of each function next to
its mutants) and the ``.meta`` files with their results. A mutant whose changed lines all
lie inside a ``raise`` statement or a ``warnings.warn(...)`` call only changes an error or
warning message; it is counted apart, as "message", since no behaviour depends on it.
Survivors read and judged not meaningful are listed, with a category and the reason, in
``.ci/mutants/mutants_judged.txt``; the kill rate counts every other mutant.

Usage: ``.nox/mutants/bin/python .ci/mutants/mutants_report.py [--survivors] [--module NAME]``;
``--every N`` prints the names of every N-th mutant instead (``nox -s mutants -- --every N``).
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
        changed = set()
        for op, i1, i2, _, _ in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if op != "equal":
                changed.update(range(i1, i2) if i2 > i1 else [i1])
        message = bool(changed) and set(changed) <= message_lines
        diff = [line for line in difflib.unified_diff(a, b, lineterm="", n=0)
                if line[:1] in "+-" and not line.startswith(("+++", "---"))]
        out[name] = (diff, message)
    return out


JUDGED = Path(__file__).with_name("mutants_judged.txt")


def judged() -> dict[str, tuple[str, str]]:
    """``{mutant: (category, reason)}`` for survivors judged not meaningful, read by hand."""
    out = {}
    for line in JUDGED.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, category, reason = line.split(maxsplit=2)
            out[name] = (category, reason)
    return out


def _order(name: str) -> tuple[str, int]:
    function, number = re.fullmatch(r"(.*)__mutmut_(\d+)", name).groups()
    return function, int(number)


def sample(step: int) -> list[str]:
    """Every *step*-th mutant, in the order module, function, mutant number."""
    names = []
    for meta in sorted(Path("mutants/interp").rglob("*.py.meta")):  # packages too
        names += sorted(json.loads(meta.read_text())["exit_code_by_key"], key=_order)
    return names[::step]


def main() -> None:
    """Print the table (and with ``--survivors`` each surviving mutant's diff)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--survivors", action="store_true", help="print every survivor's diff")
    parser.add_argument("--module", help="only this module, e.g. measure or "
                        "evaluate.faithfulness")
    parser.add_argument("--json", help="write {mutant: [status, message_only, diff]} here")
    parser.add_argument("--every", type=int, metavar="N",
                        help="only print every N-th mutant name (a fixed sample) and exit")
    parser.add_argument("--sample", type=int, metavar="N",
                        help="count only the sample --every N names")
    args = parser.parse_args()
    chosen = set(sample(args.sample)) if args.sample else None
    if args.every:
        print("\n".join(sample(args.every)))
        return
    root = Path("mutants/interp")
    verdicts = judged()
    rows, everything = [], {}
    totals = Counter()
    for meta in sorted(root.rglob("*.py.meta")):  # a package's modules too (evaluate/)
        source = meta.with_name(meta.name[:-len(".meta")])
        module = ".".join(source.relative_to(root).with_suffix("").parts)
        if args.module and module != args.module:
            continue
        results = json.loads(meta.read_text())["exit_code_by_key"]
        diffs = mutant_diffs(source)
        counts = Counter()
        for key, code in results.items():
            if chosen is not None and key not in chosen:
                continue
            status = STATUS[code]
            if status == "timeout":
                status = "killed"  # stopped past the time limit: its tests did not pass
            short = key.split(".")[-1]
            diff, message = diffs.get(short, ([], False))
            kind = "message" if message else "behaviour"
            if key in verdicts:  # a judgement holds whether or not a later test kills it
                kind = verdicts[key][0]
            counts[status, kind] += 1
            everything[key] = (status, kind, diff)
            if args.survivors and status == "survived" and kind == "behaviour":
                print(f"--- {key}")
                for line in diff:
                    print(f"    {line.strip()[:150]}")
        rows.append((module, counts))
        totals.update(counts)
    rows.append(("TOTAL", totals))
    print("\nChecked mutants per module. 'message': the change lies in an error or warning "
          "message; 'judged': survivors read\nand judged not meaningful (.ci/mutants/mutants_judged.txt,"
          " by category below). The kill rate counts the rest.")
    print(f"\n{'module':<24}{'checked':>8}{'killed':>8}{'survived':>9}{'message':>9}"
          f"{'judged':>8}{'meaningful':>11}{'killed':>8}{'kill rate':>10}")
    for module, c in rows:
        checked = sum(n for (s, k), n in c.items() if s in ("killed", "survived"))
        killed = sum(n for (s, k), n in c.items() if s == "killed")
        survived = sum(n for (s, k), n in c.items() if s == "survived")
        message = sum(n for (s, k), n in c.items() if k == "message" and s != "not checked")
        judged_n = sum(n for (s, k), n in c.items() if k not in ("message", "behaviour"))
        meaningful = c.get(("killed", "behaviour"), 0) + c.get(("survived", "behaviour"), 0)
        killed_m = c.get(("killed", "behaviour"), 0)
        rate = f"{killed_m / meaningful:.1%}" if meaningful else "-"
        print(f"{module:<24}{checked:>8}{killed:>8}{survived:>9}{message:>9}{judged_n:>8}"
              f"{meaningful:>11}{killed_m:>8}{rate:>10}")
    categories = Counter(k for (s, k), n in totals.items() for _ in range(n)
                         if k not in ("message", "behaviour"))
    if categories:
        print("\njudged not meaningful: "
              + ", ".join(f"{k} {n}" for k, n in sorted(categories.items())))
    not_run = sum(n for (s, k), n in totals.items() if s not in ("killed", "survived"))
    print(f"not checked (not run, or no test reaches them): {not_run}")
    if args.json:
        Path(args.json).write_text(json.dumps(everything, indent=1))


if __name__ == "__main__":
    main()
