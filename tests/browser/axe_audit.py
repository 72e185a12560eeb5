"""The accessibility audit of the browser check: axe-core, and the alt-text rules.

axe-core's script comes from the ``axe-playwright-python`` wheel that ``nox -s browser``
installs (pinned there): it is read from the local disk and evaluated in the page, so the
audit needs no network, and the built site does not ship it.

:func:`audit` runs axe-core's default rules (WCAG 2.0-2.2 A and AA, and best practices)
on the page a test has open and returns the violations; a test fails on any node whose
impact is serious or critical (:data:`BLOCKING`), and :func:`report` lists them per rule
with the page and the node's selector, for a contributor to fix. :func:`alt_problems`
checks every image's alt text.
"""

from __future__ import annotations

import re
from collections import defaultdict
from importlib import resources

#: The impacts that fail the check (axe-core's scale: minor, moderate, serious, critical).
BLOCKING = ("serious", "critical")

_VERSION = re.compile(r"/\*! axe v(\d+\.\d+\.\d+)")


def axe_script() -> tuple[str, str]:
    """(axe-core's script, its version), read from the installed axe-playwright-python."""
    script = (resources.files("axe_playwright_python") / "axe.min.js").read_text("utf-8")
    match = _VERSION.match(script)
    if match is None:
        raise RuntimeError("axe_audit: axe.min.js in axe-playwright-python has no version "
                           "header; is the package installed as nox -s browser pins it?")
    return script, match[1]


# One axe-core audit of the open page, in three runs:
# 1. every rule except colour contrast, on the whole page;
# 2. colour contrast on the whole page except the code blocks;
# 3. colour contrast in the code blocks, on one element per text style not seen before.
# A code block's text takes its colours from the Pygments style sheet, one for the whole
# site: every token of a style (keywords, strings, the "[docs]" links...) has the same
# colour, background and font on every page, so its contrast is the same too. axe-core
# spends most of its time measuring the thousands of tokens of the long code listings
# (one run over every node took 9 to 29 s on each of the longest source pages, 230 s for
# the site); checking each style once, where it first appears in the crawl, keeps the
# audit under a second a page (81 s for the site on a busy machine), and a style that
# a page adds later is checked there. The style is the computed colour, the first opaque
# background up the tree, the font size, weight and style, and any background image.
# Everything outside the code blocks is checked in full on every page.
AUDIT = """async (seen) => {
  const options = {resultTypes: ['violations']};
  const main = await axe.run(document,
                             {...options, rules: {'color-contrast': {enabled: false}}});
  // colour contrast reads no style sheet: no CSSOM preload (css-orientation-lock's)
  const only = {...options, runOnly: ['color-contrast'], preload: false};
  const contrast = await axe.run({exclude: [['div.highlight']]}, only);
  const known = new Set(seen), probes = [], added = [];
  const ownText = e => Array.from(e.childNodes).some(
      n => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
  for (const element of document.querySelectorAll(
      'div.highlight pre, div.highlight pre *')) {
    if (!ownText(element)) continue;
    const style = getComputedStyle(element);
    let back = element, background = 'rgba(0, 0, 0, 0)';
    while (back && back.nodeType === Node.ELEMENT_NODE) {
      const b = getComputedStyle(back);
      if (b.backgroundImage !== 'none' || !/^rgba\\(.*, 0\\)$|^transparent$/.test(
          b.backgroundColor)) { background = b.backgroundColor + ' ' + b.backgroundImage;
                                break; }
      back = back.parentElement;
    }
    const key = [style.color, background, style.fontSize, style.fontWeight,
                 style.fontStyle, style.opacity].join(' | ');
    if (!known.has(key)) { known.add(key); added.push(key); probes.push(element); }
  }
  let code = [];
  if (probes.length) {
    code = (await axe.run({include: probes}, only)).violations;
  }
  const nodes = v => v.nodes.map(n => ({target: n.target.join(' '), impact: n.impact,
                                        html: n.html.slice(0, 160),
                                        summary: (n.failureSummary || '').slice(0, 400)}));
  return {added: added,
          violations: [...main.violations, ...contrast.violations, ...code].map(v => ({
              id: v.id, impact: v.impact, help: v.help, nodes: nodes(v)}))};
}"""


def audit(page, seen: set[str] | None = None) -> list[dict]:
    """Run axe-core on *page* (a Playwright page, loaded); return its violations.

    Each violation: ``id`` (the rule), ``impact``, ``help`` and ``nodes`` (each with the
    CSS ``target``, its ``impact``, the start of its ``html`` and axe's ``summary``).
    *seen* holds the code text styles already checked for contrast (see ``AUDIT``); the
    styles found here are added to it. Without it, every style of the page is checked.
    """
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_script()[0])
    seen = set() if seen is None else seen
    found = page.evaluate(AUDIT, sorted(seen))
    seen.update(found["added"])
    return found["violations"]


def blocking(violations: list[dict]) -> list[dict]:
    """The violations with their serious and critical nodes only (none: an empty list)."""
    kept = []
    for violation in violations:
        nodes = [n for n in violation["nodes"] if (n["impact"] or violation["impact"])
                 in BLOCKING]
        if nodes:
            kept.append({**violation, "nodes": nodes})
    return kept


def count_by_rule(found: dict[str, list[dict]]) -> dict[str, int]:
    """Nodes per 'rule (impact)' over all pages of *found* (page -> violations)."""
    counts: dict[str, int] = defaultdict(int)
    for violations in found.values():
        for violation in violations:
            for node in violation["nodes"]:
                counts[f"{violation['id']} ({node['impact'] or violation['impact']})"] += 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def report(found: dict[str, list[dict]], per_rule: int = 8) -> str:
    """The violations of *found* (page -> violations) per rule: what, where, how to fix.

    Each rule gets a line with its node and page counts and axe-core's help text, then up
    to *per_rule* nodes, each as 'page: selector' with axe-core's summary of the fix.
    """
    rules: dict[str, list] = defaultdict(list)
    helps = {}
    for page, violations in found.items():
        for violation in violations:
            helps[violation["id"]] = violation["help"]
            rules[violation["id"]] += [(page, node) for node in violation["nodes"]]
    lines = []
    for rule, nodes in sorted(rules.items(), key=lambda item: -len(item[1])):
        pages = len({page for page, _ in nodes})
        lines.append(f"{rule}: {len(nodes)} node(s) on {pages} page(s): {helps[rule]}")
        for page, node in nodes[:per_rule]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    {page}: {node['target']}  [{node['impact']}]  {node['html']}"
                         + (f"\n        {summary}" if summary else ""))
        if len(nodes) > per_rule:
            lines.append(f"    ... and {len(nodes) - per_rule} more")
    return "\n".join(lines)


# ---- alt text ---------------------------------------------------------------------------
# Every image, with what a screen reader would take its name from.
IMAGES = """() => Array.from(document.images).map(img => {
  const card = img.closest('a, .sphx-glr-thumbcontainer');
  const link = card && (card.matches('a') ? card : card.querySelector('a'));
  return {src: img.getAttribute('src') || img.id || img.outerHTML.slice(0, 80),
          alt: img.getAttribute('alt'),
          decorative: ['presentation', 'none'].includes(img.getAttribute('role'))
                      || img.closest('[aria-hidden="true"]') !== null,
          link: link ? (link.getAttribute('aria-label') || link.textContent).trim() : ''};
})"""

# an alt text that is a file name (a report may name an input image by its file inside a
# sentence: "Feature maps of layer conv1 for image img0.png, ...")
FILE_NAME = re.compile(r"sphx_glr|^\S+\.(png|jpe?g|gif|svg|webp)$", re.IGNORECASE)
GENERIC = re.compile(r"(an? |the )?(image|img|figure|fig|plot|picture|graph|chart|png|"
                     r"photo|thumbnail|screenshot)s?( \d+)?\.?", re.IGNORECASE)


def alt_problem(image: dict, stems: tuple[str, ...] = ()) -> str | None:
    """What is wrong with an image's alt text (None: nothing).

    *image* is one entry of ``IMAGES``: ``alt`` (None when missing), ``decorative``
    (role presentation or none, or hidden from screen readers) and ``link``, the text of
    the link the image is in (or of its gallery card's link). An image is decorative
    when so marked, or when its alt is empty and its link has a name of its own (a
    thumbnail beside the page's title). Otherwise its alt says what it shows: not empty,
    not a file name, not a generic word, and at least two words. Nor is it
    Sphinx-Gallery's stand-in for a figure without a title: the example's file name
    with spaces for underscores ("05 kernel responses"), for each of *stems*.
    """
    alt = image["alt"]
    if image["decorative"]:
        return None
    if alt is None:
        return "no alt attribute"
    alt = " ".join(alt.split())
    if not alt:
        return None if image["link"] else "empty alt text, and no link text names it"
    if FILE_NAME.search(alt) or alt.lower() in {re.sub(r"[-,_]", " ", s).lower()
                                                for s in stems}:
        return f"alt text is a file name: {alt!r}"
    if GENERIC.fullmatch(alt):
        return f"alt text is a generic word: {alt!r}"
    if len([word for word in alt.split() if re.search(r"[^\W\d_]", word)]) < 2:
        return f"alt text does not say what the image shows: {alt!r}"
    return None


def alt_problems(images: list[dict], stems: tuple[str, ...] = ()) -> list[str]:
    """'<src>: <problem>' for each image of *images* (``IMAGES``) with a bad alt text."""
    return [f"{image['src']}: {problem}" for image in images
            if (problem := alt_problem(image, stems))]
