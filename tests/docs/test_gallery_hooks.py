"""The site's own gallery hooks (docs/sphinxext/interp_gallery.py), without a build."""

import os
import re
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
    assert "06" in related and all(int(n) <= 8 for n in related), related


def test_pages_on_randomization_lead_to_each_other():
    assert set(_related("29")) <= {"25", "26", "28", "30", "31"}


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
    recommender = interp_gallery.ProseRecommender(n=1, same_part=0.0, nearby=0.0, min_df=1,
                                                  max_df=1.0).fit(files)
    assert recommender.predict(files[2]) == [str(files[1])]


def test_unchanged_related_pages_keep_their_time(tmp_path):
    """Sphinx-Gallery's recommender writes its own choice first on every build; where
    ours is what the last build wrote, the file gets that build's time back, so Sphinx
    does not read and write the page again."""
    gallery = tmp_path / "auto_examples"
    (gallery / "a").mkdir(parents=True)
    text = '"""\nTitle {}\n=======\n\n{}\n"""\nx = 1\n'
    bodies = ["kernel edge sneaker", "kernel edge boot", "kernel sneaker boot", "shirt"]
    (gallery / "a" / "images" / "thumb").mkdir(parents=True)
    for number, body in enumerate(bodies, start=1):
        (gallery / "a" / f"0{number}_page.py").write_text(text.format(number, body))
        (gallery / "a" / "images" / "thumb" / f"sphx_glr_0{number}_page_thumb.png").touch()
    conf = {"recommender": {"enable": True, "n_examples": 1, "rubric_header": "Related"},
            "src_dir": str(tmp_path)}
    assert interp_gallery.write_related_pages(gallery, conf) == 4  # the first build
    page = gallery / "a" / "01_page.recommendations"
    ours = page.read_text()
    assert "Related" in ours and "02_page" in ours
    then = 1_000_000_000_000_000_000  # 2001, long before this test
    os.utime(page, ns=(then, then))
    before = interp_gallery.related_pages_now(gallery)
    assert before[page] == (ours, then)
    page.write_text("Sphinx-Gallery's choice")  # what its recommender writes in between
    interp_gallery.write_related_pages(gallery, conf, before)
    assert page.read_text() == ours and page.stat().st_mtime_ns == then
    # a choice that changed is a new file, with the time it was written
    page.write_text("Sphinx-Gallery's choice")
    interp_gallery.write_related_pages(gallery, conf, {page: ("an older choice", then)})
    assert page.read_text() == ours and page.stat().st_mtime_ns > then


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


def test_printed_lines_longer_than_the_column_are_found():
    out = "    short\n    " + "x" * 89 + "\n      indented " + "y" * 80
    rst = (f"Text {'z' * 100}\n\n.. rst-class:: sphx-glr-script-out\n\n .. code-block:: none"
           f"\n\n{out}\n\nBack to text {'w' * 100}\n")
    assert interp_gallery.check_printed_lines(rst) == [(8, 89), (9, 91)]
    assert interp_gallery.check_printed_lines(rst, width=100) == []


def test_a_figure_without_title_or_colorbar_breaks_the_rules():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, (a, b, c) = plt.subplots(1, 3)
    a.imshow(np.eye(3), cmap="RdBu_r")
    b.imshow(np.eye(3), cmap="gray")            # a picture: no colorbar needed
    image = c.imshow(np.eye(3), cmap="viridis")
    fig.colorbar(image, ax=c)
    problems = interp_gallery.figure_problems(fig)
    assert problems[0].startswith("it has no title")
    assert len(problems) == 2 and "axes 0" in problems[1] and "states no values" in problems[1]
    a.set_title("kernel")
    a.text(0, 0, "0.5")                          # its values written on it
    assert interp_gallery.figure_problems(fig) == []
    plt.close(fig)


def test_a_scale_in_an_axis_label_states_the_values_and_contours_are_not_maps():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, (a, b) = plt.subplots(1, 2)
    a.imshow(np.eye(3), cmap="RdBu_r")
    a.set_title("saliency")
    a.set_xlabel("scale ±1.3")
    b.contour(np.eye(3), levels=[0.5], colors="k")   # an outline, not a heat map
    b.set_title("outline")
    assert interp_gallery.figure_problems(fig) == []
    a.set_xlabel("relative")
    assert len(interp_gallery.figure_problems(fig)) == 1
    plt.close(fig)


def test_categorical_colours_must_be_colour_blind_safe():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from interp.plotting import OKABE_ITO

    fig, ax = plt.subplots()
    ax.set_title("curves")
    ax.plot([0, 1], [0, 1], color=OKABE_ITO[4], label="a")
    ax.plot([0, 1], [1, 0], color="0.6", label="floor")
    ax.bar([0, 1], [1, 2], color=OKABE_ITO[0])
    assert interp_gallery.figure_problems(fig) == []
    ax.plot([0, 1], [0.5, 0.5], color="tab:green", label="b")
    problems = interp_gallery.figure_problems(fig)
    assert len(problems) == 1 and "line 'b'" in problems[0] and "OKABE_ITO" in problems[0]
    plt.close(fig)


# ---- accessible markup (the browser check's axe-core audit finds these on the site) -------
def test_sidebar_toggles_are_named_after_their_entry():
    """The theme's own collapsible sidebar markup: each chevron-only summary gets a name."""
    from bs4 import BeautifulSoup
    from pydata_sphinx_theme.toctree import add_collapse_checkboxes

    soup = BeautifulSoup(
        '<ul class="nav bd-sidenav">'
        '<li class="toctree-l1 has-children"><a class="reference internal" '
        'href="convolution.html">Convolution <code>interp.convolve</code></a><ul>'
        '<li class="toctree-l2"><a href="interp.convolve.html">interp.convolve</a></li>'
        '</ul></li>'
        '<li class="toctree-l1"><a href="plain.html">No children</a></li>'
        '<li class="toctree-l0 has-children"><p class="caption">A part</p><ul>'
        '<li class="toctree-l1"><a href="x.html">X</a></li></ul></li></ul>',
        "html.parser")
    add_collapse_checkboxes(soup)
    theme = str(soup)
    assert theme.count("<summary>") == 2  # the entry's and the caption's

    named = BeautifulSoup(interp_gallery.name_toctree_toggles(theme), "html.parser")
    entry, caption = named.find_all("summary")
    assert entry["aria-label"] == "Pages under Convolution interp.convolve"
    assert not caption.has_attr("aria-label") and caption.get_text(strip=True) == "A part"
    # nothing else changes: without the new attribute, the same tree
    del entry["aria-label"]
    assert str(named) == str(BeautifulSoup(theme, "html.parser"))
    # the tree the theme caches is named in place
    tree = BeautifulSoup(theme, "html.parser")
    assert interp_gallery.name_toctree_toggles(tree) is tree
    assert tree.find("summary")["aria-label"] == "Pages under Convolution interp.convolve"
    # a sidebar without toggles comes back as it was
    assert interp_gallery.name_toctree_toggles('<ul><li>x</li></ul>') == '<ul><li>x</li></ul>'


def test_citation_entries_become_items_of_their_list():
    """Docutils' own HTML for citations: entries with a deprecated role become list items."""
    from docutils.core import publish_parts

    body = publish_parts("See [Adebayo2018]_ and [Kim2018]_.\n\n.. [Adebayo2018] Sanity.\n"
                         ".. [Kim2018] TCAV.\n", writer="html5")["body"]
    assert body.count('role="doc-biblioentry"') == 2
    fixed = interp_gallery.citation_list_items(body)
    assert 'doc-biblioentry' not in fixed and fixed.count('role="listitem"') == 2
    assert fixed.replace('role="listitem"', 'role="doc-biblioentry"') == body


def test_animation_player_gets_alt_text_and_a_named_slider():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    fig, axes = plt.subplots(1, 2)
    for k, ax in enumerate(axes):
        ax.set_title(f"kernel {k}")
    label = fig.suptitle("epoch 0")
    animation = FuncAnimation(fig, lambda i: label.set_text(f"epoch {i}"), frames=4)
    first = interp_gallery.figure_titles(fig)
    html = animation.to_jshtml()
    last = interp_gallery.figure_titles(fig)  # the player is made: the last frame's
    plt.close(fig)
    assert '<img id="_anim_img' in html and " alt=" not in html

    labelled = interp_gallery.label_animation_players(html, [(first, last)])
    alt = re.search(r'<img id="_anim_img\w+" alt="([^"]*)">', labelled)[1]
    assert alt == "Animation in 4 frames, epoch 0 to epoch 3: kernel 0, kernel 1"
    assert len(re.findall(r'<input id="_anim_slider\w+" type="range" aria-label="Frame '
                          r'of the animation"', labelled)) == 1
    # nothing else changes
    assert re.sub(r' alt="[^"]*"| aria-label="Frame of the animation"', "", labelled) == html


def test_animation_alt_text_without_changing_titles():
    assert interp_gallery.animation_alt(["", "weights"], ["", "weights"], 3) == \
        "Animation in 3 frames: weights"
    assert interp_gallery.animation_alt(["", "a & b"], ["step 2", "a & b"], 2) == \
        "Animation in 2 frames, no title to step 2: a & b"
