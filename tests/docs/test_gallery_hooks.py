"""The site's own gallery hooks (docs/sphinxext/interp_gallery.py), without a build."""

import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx_gallery")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "docs" / "sphinxext"))
import interp_gallery  # noqa: E402

SCRIPTS = sorted(ROOT.glob("examples/*/[0-9][0-9]_*.py"), key=lambda p: p.name)


def _related(number: str) -> list[str]:
    recommender = interp_gallery.ProseRecommender(n=4).fit(SCRIPTS)
    page = next(p for p in SCRIPTS if p.name.startswith(number))
    return [Path(f).name[:2] for f in recommender.predict(page)]


def test_page_05_leads_to_the_kernels_next_to_it():
    related = _related("05")
    assert {"06", "07"} <= set(related), related
    assert all(int(n) < 20 for n in related), related


def test_related_pages_are_other_pages_of_the_gallery():
    recommender = interp_gallery.ProseRecommender(n=4).fit(SCRIPTS)
    for page in SCRIPTS:
        related = recommender.predict(page)
        assert len(set(related)) == 4 and str(page) not in related


def test_the_same_part_breaks_a_near_tie(tmp_path):
    text = '"""\nTitle\n=====\n\n{}\n"""\nx = 1\n'
    words = "kernel edge sneaker brightness response"
    pages = {"a/01_x.py": words, "a/02_y.py": words + " other",
             "b/20_z.py": words + " other"}
    for name, body in pages.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text.format(body))
    files = [tmp_path / n for n in pages]
    recommender = interp_gallery.ProseRecommender(n=1, min_df=1, max_df=1.0).fit(files)
    assert recommender.predict(files[0]) == [str(files[1])]
    recommender = interp_gallery.ProseRecommender(n=1, same_part=0.0, min_df=1,
                                                  max_df=1.0).fit(files)
    assert recommender.predict(files[2]) == [str(files[1])]


def test_outputs_of_a_deleted_example_are_removed(tmp_path):
    examples, gallery = tmp_path / "examples", tmp_path / "auto_examples"
    (examples / "chapter").mkdir(parents=True)
    (examples / "chapter" / "05_kept.py").write_text("")
    images = gallery / "chapter" / "images" / "thumb"
    images.mkdir(parents=True)
    made = []
    for stem in ("05_kept", "13_gone"):
        for name in (f"chapter/{stem}.rst", f"chapter/{stem}.py", f"chapter/{stem}.ipynb",
                     f"chapter/images/sphx_glr_{stem}_001.png",
                     f"chapter/images/thumb/sphx_glr_{stem}_thumb.png"):
            (gallery / name).write_text("x")
            made.append(gallery / name)
    assert interp_gallery.remove_stale_outputs(examples, gallery) == ["chapter/13_gone"]
    assert [p.exists() for p in made] == [True] * 5 + [False] * 5
    assert (gallery / "chapter" / "images").is_dir()
