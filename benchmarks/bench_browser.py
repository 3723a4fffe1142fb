"""How long a click takes in the student's browser: from the action to the settled page, in Chromium.

A real dashboard (dashboard.testing.server.DashboardServer, empty CNNVIZ_HOME) and, as the floor, a
trivial one-slider Streamlit page (benchmarks/floor_page.py, its own `streamlit run` server with the
same .streamlit/config.toml) are started side by side. Headless Chromium (tests/browser.py's
CHROMIUM and CHROMIUM_ARGS) at a projector's 1280x720 then, ``--repeats`` times each:

- cold load of each page: a new tab (the browser's cache of Streamlit's own scripts kept, a new
  Streamlit session) from navigation start until the first script run has settled;
- each page's common interactions (a stride change, Step, a unit change, a network switch, a layer
  change, an epsilon change, a tab switch, a method change), from just before the action until the
  page settled.

Settled means what tests/browser.py's wait_until_idle waits for (the app's script state is
notRunning and no running icon shows) and nothing on the page changed for ``--quiet-ms``; the
figure ends at the page's last change (a DOM mutation or the run's end), so the quiet wait is not
counted. A tab switch that Streamlit handles in the browser counts until its content showed.
Streamlit's sliders send a keyboard change after a short debounce: the floor's slider pays it too.

Printed per figure: the median, the first try (for a network switch the only one with cold caches),
the ratio of the median to the floor's same kind of action (cold load or slider change), and the
server's CPU time per action (utime + stime of its process from /proc, around the action) with
its ratio to the floor's. The machine may be shared: say so next to the numbers you quote.

    .venv/bin/python benchmarks/bench_browser.py [--repeats 3] [--pages convolution,attacks]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time

from playwright.sync_api import sync_playwright

from dashboard.testing.server import REPO, DashboardServer, free_port


def _browser_helpers():
    """tests/browser.py (the suite's Chromium and its flags), loaded by its path: tests/ is no package."""
    spec = importlib.util.spec_from_file_location("cnnviz_test_browser", REPO / "tests" / "browser.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_BROWSER = _browser_helpers()
CHROMIUM, CHROMIUM_ARGS = _BROWSER.CHROMIUM, _BROWSER.CHROMIUM_ARGS

VIEWPORT = {"width": 1280, "height": 720}
TIMEOUT_MS = 240_000
# Stamps the last change of the page: any DOM mutation, and the script run's state. A rerun can be so
# quick that its running and notRunning states land in one React render (the attribute never
# changes), so the page's own mutations are what shows that the run's output arrived.
WATCH = """(() => {
  const b = window.__bench = {ends: 0, busy: false, last: 0};
  b.running = () => { const app = document.querySelector('[data-testid="stApp"]');
    return !app || app.getAttribute('data-test-script-state') === 'running'
        || !!document.querySelector('[data-testid="stStatusWidgetRunningIcon"]'); };
  function check() {
    if (b.running()) { b.busy = true; b.last = performance.now(); }
    else if (b.busy) { b.busy = false; b.ends += 1; b.last = performance.now(); }
  }
  new MutationObserver(records => {
    b.last = performance.now();
    for (const r of records) {
      if (r.attributeName === 'data-test-script-state' && r.oldValue === 'running') { b.busy = true; }
    }
    check();
  }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true,
                        attributeOldValue: true});
  setInterval(check, 4);
})();"""
# Settled: no run going, something changed since `start` (and `ends` runs ended), quiet for `quiet` ms.
SETTLED = """([start, ends, quiet]) => { const b = window.__bench;
  return !b.running() && b.ends >= ends && b.last > start && performance.now() - b.last >= quiet; }"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (its threads included, its children not)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class FloorServer:
    """benchmarks/floor_page.py under plain `streamlit run`, on a free loopback port."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "streamlit", "run", str(REPO / "benchmarks" / "floor_page.py"),
                   "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(self.port)]
        self.process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        DashboardServer._wait_healthy(self)  # the same health check; it reads only url and process

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


class Timer:
    """Times actions on pages of one browser context against one server process."""

    def __init__(self, context, pid: int, quiet_ms: int):
        self.context, self.pid, self.quiet = context, pid, quiet_ms

    def cold_load(self, url: str):
        """Open `url` in a new tab: (the tab, seconds from navigation start to settled, server CPU s)."""
        page = self.context.new_page()
        cpu = cpu_seconds(self.pid)
        page.goto(url, wait_until="commit")
        page.wait_for_function(SETTLED, arg=[0, 1, self.quiet], timeout=TIMEOUT_MS)
        return page, page.evaluate("window.__bench.last") / 1000, cpu_seconds(self.pid) - cpu

    def action(self, page, act) -> tuple[float, float]:
        """Run `act()` (one click or key press): (seconds to settled, server CPU seconds)."""
        cpu = cpu_seconds(self.pid)
        start = page.evaluate("performance.now()")
        act()
        page.wait_for_function(SETTLED, arg=[start, 0, self.quiet], timeout=TIMEOUT_MS)
        return (page.evaluate("window.__bench.last") - start) / 1000, cpu_seconds(self.pid) - cpu


# -- the widgets the interactions use, found by their labels ---------------------------------


def slider(page, label: str):
    return page.locator('[data-testid="stSlider"]:visible').filter(has_text=label).first.get_by_role("slider")


def open_selectbox(page, label: str):
    """Open the menu `label` (Streamlit 1.67's selectbox is a combobox): its current choice."""
    box = page.locator('[data-testid="stSelectbox"]:visible').filter(has_text=label).first
    current = box.get_by_role("combobox").input_value()
    # Centred first: the open list closes when the page scrolls, as a click's own scrolling would do.
    box.evaluate("e => e.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(300)
    for attempt in range(3):  # a click that lands as a rerun redraws the menu does not open it
        box.get_by_role("combobox").click()  # typing filters; a click lists every option
        try:
            page.get_by_role("option").first.wait_for(timeout=5_000)
            return current
        except Exception:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
            page.wait_for_timeout(500)
    return current


def option(page, text: str | None = None, index: int | None = None):
    options = page.get_by_role("option")
    return options.get_by_text(text, exact=True).first if text is not None else options.nth(index)


def key_press(page, label: str, repeat: int):
    thumb = slider(page, label)
    return lambda: thumb.press("ArrowRight" if repeat % 2 == 0 else "ArrowLeft")


def click(locator):
    return locator.click


def pick(timer, page, label: str, text: str):
    """Choose `text` in the menu `label` (timed from the click on the option), then the old choice back."""
    old = open_selectbox(page, label)
    figure = timer.action(page, click(option(page, text)))
    open_selectbox(page, label)
    timer.action(page, click(option(page, old)))
    return figure


def next_option(timer, page, label: str, repeat: int):
    """Choose the option after the current one in the menu `label`."""
    current = open_selectbox(page, label)
    texts = [text.strip() for text in page.get_by_role("option").all_inner_texts()]
    following = (texts.index(current) + 1) % len(texts) if current in texts else 1
    return timer.action(page, click(option(page, index=following)))


INTERACTIONS = {  # url path -> (name, function(timer, page, repeat) -> (seconds, cpu))
    "": [],
    "convolution": [
        ("grid stride change", lambda t, p, r: t.action(p, key_press(p, "Stride S", r))),
        # Step and Back in turn: a Step at the last cell changes nothing, and would never settle.
        ("Step", lambda t, p, r: t.action(p, click(p.get_by_role("button", name="Step" if r % 2 == 0 else "Back")))),
    ],
    "receptive-fields": [
        ("unit change", lambda t, p, r: t.action(p, click(p.locator(
            '[data-testid="stNumberInput"]:visible').filter(has_text="Unit row").first.locator(
            '[data-testid="stNumberInputStepUp"]' if r % 2 == 0 else '[data-testid="stNumberInputStepDown"]')))),
        ("network to VGG-16", lambda t, p, r: pick(t, p, "Network", "zoo: VGG-16")),
    ],
    "train": [
        ("tab switch", lambda t, p, r: t.action(p, click(p.get_by_role(
            "tab", name="Compare learning rates" if r % 2 == 0 else "Train a network")))),
    ],
    "inside-a-network": [
        ("layer change", lambda t, p, r: next_option(t, p, "Layer", r)),
        ("network to ResNet-18", lambda t, p, r: pick(t, p, "Network", "zoo: ResNet-18")),
    ],
    "attacks": [
        ("epsilon change", lambda t, p, r: t.action(p, key_press(p, "ε", r))),
    ],
    "looks-for": [
        ("method change", lambda t, p, r: t.action(p, click(p.locator('[data-testid="stRadio"]:visible label').filter(
            has_text="DeepDream" if r % 2 == 0 else "Class or channel").first))),
    ],
}


def measure(timer: Timer, base: str, url_path: str, interactions, repeats: int, name: str = "") -> dict[str, list]:
    """{figure name: [(seconds, cpu), ...]} for one page's cold loads and interactions."""
    name = name or url_path or "home"
    figures: dict[str, list] = {f"{name}: cold load": []}
    page = None
    for _ in range(repeats):
        if page is not None:
            page.close()
        page, seconds, cpu = timer.cold_load(f"{base}/{url_path}")
        figures[f"{name}: cold load"].append((seconds, cpu))
    for label, interact in interactions:
        key = f"{name}: {label}"
        figures[key] = []
        for repeat in range(repeats):
            try:
                figures[key].append(interact(timer, page, repeat))
            except Exception as error:  # a changed label: say so, measure the rest
                figures[key] = f"not measured: {type(error).__name__}: {str(error).splitlines()[0][:120]}"
                break
    page.close()
    return figures


def row(name: str, values, floor: tuple[float, float] | None) -> str:
    if isinstance(values, str):
        return f"  {name:<40} {values}"
    seconds = statistics.median(v[0] for v in values)
    cpu = statistics.median(v[1] for v in values)
    ratio = f"{seconds / floor[0]:>6.1f}x" if floor else f"{'':>7}"
    cpu_ratio = f"{cpu / floor[1]:>6.1f}x" if floor and floor[1] > 0 else f"{'':>7}"
    return (f"  {name:<40} {seconds * 1000:>8.0f} ms {values[0][0] * 1000:>8.0f} ms {ratio} "
            f"{cpu * 1000:>8.0f} ms {cpu_ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pages", default=",".join(p or "home" for p in INTERACTIONS),
                        help="comma-separated: " + ", ".join(p or "home" for p in INTERACTIONS))
    parser.add_argument("--quiet-ms", type=int, default=400, help="no new run this long after settling")
    args = parser.parse_args()
    chosen = ["" if p.strip() == "home" else p.strip() for p in args.pages.split(",") if p.strip()]
    unknown = [p for p in chosen if p not in INTERACTIONS]
    if unknown:
        parser.error(f"unknown pages {unknown}; choose from {args.pages}")

    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cnnviz-bench-browser-") as home, sync_playwright() as playwright:
        dashboard, floor_server = DashboardServer(env={"CNNVIZ_HOME": home}), FloorServer()
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            floor_context = browser.new_context(viewport=VIEWPORT)
            floor_context.add_init_script(WATCH)
            timer = Timer(floor_context, floor_server.process.pid, args.quiet_ms)
            floor = measure(timer, floor_server.url, "", [
                ("slider change", lambda t, p, r: t.action(p, key_press(p, "Value", r)))], args.repeats, "floor")
            context = browser.new_context(viewport=VIEWPORT)
            context.add_init_script(WATCH)
            timer = Timer(context, dashboard.process.pid, args.quiet_ms)
            figures = {}
            for url_path in chosen:
                figures.update(measure(timer, dashboard.url, url_path, INTERACTIONS[url_path], args.repeats))
                print(f"  ... {url_path or 'home'} measured ({time.perf_counter() - began:.0f} s)", flush=True)
        finally:
            browser.close()
            floor_server.stop()
            dashboard.stop()

    floor_load, floor_slider = (tuple(statistics.median(v[i] for v in floor[k]) for i in (0, 1))
                                for k in ("floor: cold load", "floor: slider change"))
    print(f"\nAction to settled page in Chromium {VIEWPORT['width']}x{VIEWPORT['height']}, {args.repeats} repeats "
          f"({time.perf_counter() - began:.0f} s in all)")
    print(f"  {'figure':<40} {'median':>11} {'first':>11} {'/floor':>7} {'server CPU':>11} {'/floor':>7}")
    for name, values in floor.items():
        print(row(name, values, None))
    for name, values in figures.items():
        print(row(name, values, floor_load if name.endswith("cold load") else floor_slider))


if __name__ == "__main__":
    main()
