"""Every example keeps the gallery's house rules (docs/contributing.rst), checked fast.

What can be read from the scripts is checked here: a numbered file in a part, a title,
text and code cells, at most 150 lines, a number of its own. What needs the pages run is
checked by the docs build, which stops on it: every figure has a title and every heat map
a colorbar or values (``interp_gallery.HouseRuleScraper``), and no printed line is longer
than 88 characters (``interp_gallery.check_printed_lines``).
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SCRIPTS = sorted(p for p in EXAMPLES.glob("*/*.py") if not p.name.startswith("_"))
PARTS = {"chapter": range(1, 9), "inside": range(9, 20), "why": range(20, 40)}
MAX_LINES = 150


def house_rule_problems(path: Path, parts: dict[str, range] = PARTS) -> list[str]:
    """The rules *path* breaks, each as '<file>: <rule>'."""
    name = f"{path.parent.name}/{path.name}"
    problems = []
    match = re.fullmatch(r"(\d\d)_[a-z0-9_]+\.py", path.name)
    if path.parent.name not in parts:
        problems.append(f"{name}: not in a part of the gallery ({', '.join(parts)})")
    elif not match:
        problems.append(f"{name}: not named NN_short_name.py (two digits, lower case)")
    elif int(match[1]) not in parts[path.parent.name]:
        span = parts[path.parent.name]
        problems.append(f"{name}: number {match[1]} is outside its part's "
                        f"{span.start:02d}-{span.stop - 1:02d}")
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        problems.append(f"{name}: {len(lines)} lines, more than {MAX_LINES}")
    try:
        docstring = ast.get_docstring(ast.parse(text), clean=False) or ""
    except SyntaxError as err:
        return [*problems, f"{name}: does not parse ({err})"]
    head = docstring.strip("\n").splitlines()
    if len(head) < 2 or not head[0].strip() or set(head[1]) != {"="} \
            or len(head[1]) < len(head[0]):
        problems.append(f"{name}: the docstring does not start with a title underlined "
                        "with '=' at least as long as it")
    if "\n# %%" not in text:
        problems.append(f"{name}: no '# %%' cells")
    return problems


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_example_keeps_the_house_rules(path):
    assert house_rule_problems(path) == []


def test_no_two_examples_share_a_number():
    numbers = [p.name[:2] for p in SCRIPTS]
    assert sorted(set(numbers)) == sorted(numbers)


@pytest.mark.parametrize(("name", "body", "rule"), [
    ("chapter/5_x.py", '"""\nT\n=\n"""\n# %%\n', "not named NN_short_name.py"),
    ("chapter/13_x.py", '"""\nT\n=\n"""\n# %%\n', "outside its part's 01-08"),
    ("misc/01_x.py", '"""\nT\n=\n"""\n# %%\n', "not in a part"),
    ("chapter/01_x.py", '"""\nNo underline\n"""\n# %%\n', "title underlined"),
    ("chapter/01_x.py", '"""\nTitle\n===\n"""\n# %%\n', "title underlined"),
    ("chapter/01_x.py", '"""\nT\n=\n"""\nx = 1\n', "no '# %%' cells"),
    ("chapter/01_x.py", '"""\nT\n=\n"""\n# %%\n' + "x = 1\n" * 150, "155 lines"),
])
def test_each_rule_names_the_file_and_the_rule(tmp_path, name, body, rule):
    path = tmp_path / name
    path.parent.mkdir()
    path.write_text(body)
    problems = house_rule_problems(path)
    assert len(problems) == 1 and problems[0].startswith(name + ": "), problems
    assert rule in problems[0]
