"""The projector walk: every page at a projector's 1280x720 and at 1024x768, normal and
presentation mode (?present=true), read by script in the page for what a lecture hall cannot read:

- clipped text: a button, widget label, metric, KaTeX formula, tab label or heading whose content
  is wider than its box (scrollWidth > clientWidth + 1), and a menu whose chosen value is cut,
- a chart title or annotation whose box leaves its chart,
- tick labels of one axis that overlap,
- a word of a button, label, tab or metric broken across two lines ("Bac" / "k"),
- a first screen (the viewport from the top) with neither a picture nor a control.

Every problem found is written to test-artifacts/projector/problems.json, with a screenshot of each
page/size/mode beside it; a problem that is not on KNOWN_OPEN fails the test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from browser import REPO, exceptions_on, wait_until_idle
from dashboard import navigation

pytestmark = pytest.mark.browser

ARTIFACTS = REPO / "test-artifacts" / "projector"
SIZES = ((1280, 720), (1024, 768))
MODES = ("normal", "present")

# Issue 14's open work, page by page: (kind, page's url path, pattern searched in the element's
# text). This list must only shrink: delete an entry when its page is fixed, never add one to
# make a new problem pass.
KNOWN_OPEN: list[tuple[str, str, str]] = []

# Reads the page as laid out now. Only what is displayed counts (a hidden tab, a folded expander).
_PROBLEMS_JS = r"""
() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const problems = [];
  const shown = (el) => el.getClientRects().length > 0 && el.checkVisibility({visibilityProperty: true});
  const text = (el) => ((el.tagName === 'INPUT' ? el.value : el.innerText) || el.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 100);
  const add = (kind, el, extra) => problems.push({kind, text: text(el) + (extra || '')});
  // A formula is named by its TeX source (KaTeX keeps it in the MathML copy).
  const tex = (el) => { const a = el.querySelector('annotation'); return a ? {innerText: a.textContent} : el; };

  const seen = new Set();  // a checkbox's label matches two selectors
  const clipped = {
    button: 'button',
    label: '[data-testid="stWidgetLabel"], [data-testid="stCheckbox"] label, [role="radiogroup"] label',
    metric: '[data-testid="stMetricValue"], [data-testid="stMetricLabel"], [data-testid="stMetricDelta"]',
    formula: '.katex-display',
    tab: '[role="tab"]',
    menu: '[data-testid="stSelectbox"] input',
    heading: 'h1, h2, h3, h4',
  };
  for (const [what, selector] of Object.entries(clipped)) {
    for (const el of main.querySelectorAll(selector)) {
      if (!shown(el) || seen.has(el)) continue;
      seen.add(el);
      // The element itself or any box inside it (a button's label sits in a <p>).
      // KaTeX's MathML copy is a 1 px box for screen readers. A formula that needs its scroll bar
      // counts: on a projector its right end is simply cut.
      const boxes = [el, ...el.querySelectorAll('*')].filter((b) => b.clientWidth > 2 && !b.closest('.katex-mathml'));
      const bad = boxes.find((b) => b.scrollWidth > b.clientWidth + 1);
      if (bad) add('clipped ' + what, what === 'formula' ? tex(el) : el, ` (${bad.scrollWidth} px in ${bad.clientWidth} px)`);
    }
  }

  // A word broken across lines ("Bac" / "k" in a narrow button) reads as two words.
  for (const el of main.querySelectorAll('button, [data-testid="stWidgetLabel"], [role="tab"], [data-testid="stMetricLabel"], [data-testid="stMetricValue"]')) {
    if (!shown(el)) continue;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let broken = null;
    for (let node = walker.nextNode(); node && !broken; node = walker.nextNode()) {
      for (const match of node.textContent.matchAll(/\S{2,}/g)) {
        const range = document.createRange();
        range.setStart(node, match.index); range.setEnd(node, match.index + match[0].length);
        const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        if (lines.size > 1) { broken = match[0]; break; }
      }
    }
    if (broken) add('word broken across lines', el, ` ("${broken}")`);
  }

  const inside = (r, box) => r.left >= box.left - 1 && r.right <= box.right + 1
                          && r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
  const meets = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  for (const chart of main.querySelectorAll('.js-plotly-plot')) {
    if (!shown(chart)) continue;
    const svg = chart.querySelector('svg.main-svg');
    if (!svg) continue;
    const box = svg.getBoundingClientRect();
    for (const t of chart.querySelectorAll('.g-gtitle text, g.annotation')) {
      const r = t.getBoundingClientRect();
      if (r.width > 0 && text(t) && !inside(r, box)) add('text outside its chart', t);
    }
    for (const layer of chart.querySelectorAll('g.xaxislayer-above, g.yaxislayer-above')) {
      const ticks = [...layer.querySelectorAll('g.xtick text, g.ytick text')]
        .filter((t) => text(t)).map((t) => [t, t.getBoundingClientRect()]).filter(([, r]) => r.width > 0);
      for (let i = 0; i < ticks.length; i++) {
        const j = ticks.findIndex(([, r], k) => k > i && meets(ticks[i][1], r));
        if (j > 0) { add('overlapping ticks', ticks[i][0], ' / ' + text(ticks[j][0])); break; }
      }
    }
  }

  const height = window.innerHeight;
  const onFirstScreen = (el) => { const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.top < height && r.bottom > 0; };
  // A table (st.dataframe) draws on a canvas too, but it is not a picture.
  const pictures = [...main.querySelectorAll('img, canvas, .js-plotly-plot')]
    .filter((el) => !el.closest('[data-testid="stDataFrame"]'))
    .concat([...main.querySelectorAll('svg')].filter((s) => !s.closest('.js-plotly-plot')
      && s.getBoundingClientRect().width >= 100 && s.getBoundingClientRect().height >= 60));
  const controls = main.querySelectorAll('input, button, select, textarea, [role="slider"], a[data-testid="stPageLink-NavLink"]');
  const first = [...pictures, ...controls].some((el) => shown(el) && onFirstScreen(el));
  if (!first) problems.push({kind: 'first screen without picture or control',
                             text: text(main.querySelector('h1') || main)});
  return problems;
}
"""


def _known(problem: dict) -> bool:
    return any(kind == problem["kind"] and page == problem["page"] and re.search(pattern, problem["text"])
               for kind, page, pattern in KNOWN_OPEN)


def _readable(problems: list[dict]) -> str:
    return "\n".join(f"  {p['page']} {p['size']} {p['mode']}: {p['kind']}: {p['text']!r}" for p in problems)


def _each_size(page):
    """Lay the loaded page out at each of SIZES in turn (it is at the first), yielding "WxH"."""
    for number, (width, height) in enumerate(SIZES):
        if number:
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(1200)  # Plotly's resize is debounced
        yield f"{width}x{height}"


def walk(browser, url: str, pages=navigation.PAGES, artifacts: Path = ARTIFACTS) -> list[dict]:
    """Every problem on `pages` at every size and mode, with a screenshot of each first screen.

    One load per page and mode; the sizes are read by resizing the same page (Plotly's charts
    follow their container's width, so they are laid out again).
    """
    artifacts.mkdir(parents=True, exist_ok=True)
    found = []
    context = browser.new_context(viewport=dict(zip(("width", "height"), SIZES[0])))
    page = context.new_page()
    for entry in pages:
        path = "" if entry is navigation.PAGES[0] else entry.url_path
        for mode in MODES:
            page.set_viewport_size(dict(zip(("width", "height"), SIZES[0])))
            page.goto(f"{url}/{path}" + ("?present=true" if mode == "present" else ""))
            wait_until_idle(page)
            assert exceptions_on(page) == [], f"{entry.url_path} {mode}: {exceptions_on(page)}"
            for size in _each_size(page):
                page.screenshot(path=str(artifacts / f"{entry.url_path}-{size}-{mode}.png"))
                for problem in page.evaluate(_PROBLEMS_JS):
                    found.append({"page": entry.url_path, "size": size, "mode": mode, **problem})
    context.close()
    return found


def test_projector_walk(dashboard, chromium):
    problems = walk(chromium, dashboard.url)
    unknown = [p for p in problems if not _known(p)]
    stale = [entry for entry in KNOWN_OPEN
             if not any(_known(p) and (p["kind"], p["page"]) == entry[:2] and re.search(entry[2], p["text"])
                        for p in problems)]
    (ARTIFACTS / "problems.json").write_text(json.dumps(
        {"problems": problems, "not_on_known_open": unknown, "known_open_fixed": stale}, indent=1))
    assert not unknown, (
        f"{len(unknown)} projector problem(s) not on KNOWN_OPEN (screenshots and the full list in "
        f"{ARTIFACTS.relative_to(REPO)}):\n{_readable(unknown)}"
    )


# The states a first load does not show: every other tab and view (kind, its label).
OTHER_STATES = [
    ("convolution", "text", "Photo"), ("convolution", "tab", "1-D convolution"), ("convolution", "tab", "1x1 convolution"),
    ("receptive-fields", "tab", "Small kernels, stacked"), ("receptive-fields", "tab", "Build a stack"),
    ("receptive-fields", "tab", "Count the networks"), ("train", "tab", "Compare learning rates"),
    ("inside-a-network", "view", "Kernels"), ("inside-a-network", "view", "Attribution"),
    ("inside-a-network", "view", "Confusion matrix"), ("inside-a-network", "view", "Embeddings"),
    ("train", "tab", "Transfer learning"),
    # What a network looks for: each method after its run (Run is pressed where nobody has run it yet).
    ("looks-for", "run", "Class or channel"), ("looks-for", "run", "DeepDream"), ("looks-for", "run", "Feature inversion"),
]


def test_projector_walk_of_the_other_tabs_and_views(dashboard, chromium):
    # The same reading of each tab and view a first load does not open (first screens aside: a tab's
    # first screen is the page's). No KNOWN_OPEN here: every one of these reads right.
    found = []
    context = chromium.new_context(viewport=dict(zip(("width", "height"), SIZES[0])))
    page = context.new_page()
    for path, kind, label in OTHER_STATES:
        for mode in MODES:
            page.set_viewport_size(dict(zip(("width", "height"), SIZES[0])))
            page.goto(f"{dashboard.url}/{path}" + ("?present=true" if mode == "present" else ""))
            wait_until_idle(page)
            if kind == "tab":
                page.get_by_role("tab", name=label).click()
            elif kind == "view":  # Inside's "Look at" choice
                page.locator('[data-testid="stRadio"]').filter(has_text="Look at").get_by_text(label, exact=True).click()
            elif kind == "run":  # a method of What a network looks for, and its pictures
                page.locator('[data-testid="stRadio"]').filter(has_text="Method").get_by_text(label, exact=True).click()
                wait_until_idle(page)
                if (run := page.get_by_role("button", name="Run")).count():
                    run.click()
            else:
                page.get_by_text(label, exact=True).first.click()
            wait_until_idle(page)
            assert exceptions_on(page) == [], f"{path} {label} {mode}: {exceptions_on(page)}"
            for size in _each_size(page):
                found += [f"  {path} {label} {size} {mode}: {p['kind']}: {p['text']!r}"
                          for p in page.evaluate(_PROBLEMS_JS) if not p["kind"].startswith("first screen")]
    context.close()
    assert not found, "\n".join(found)
