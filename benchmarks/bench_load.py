"""How long pages take to render when a room of students opens them at once, with and without a
training run going.

A real server (dashboard.serve) is started on a free port with an empty CNNVIZ_HOME. Sessions are
Streamlit websocket clients (dashboard/testing/websocket_client.py), each one browser tab: ``--sessions`` of
them connect, then each opens every page once in its own shuffled order, all at the same moment.
A render is timed from the page request to the server's script_finished message (the server's
side of a page view; the browser's paint is not included).

Baseline, in the same process and on the same server: one session alone opening the same pages
(``--alone-repeats`` times each). Ratio = median under load / median alone. Both are measured
after a warm-up visit of every page, so first-visit imports and cache fills are not counted.
With a run active (the Training page's form, LeNet-5 on Fashion-MNIST, ``--epochs``), both are
measured again while it trains; the run is stopped at the end.

    .venv/bin/python benchmarks/bench_load.py [--sessions 20] [--alone-repeats 3] [--epochs 10]
                                              [--skip-training]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from dashboard.testing.server import DashboardServer
from dashboard.testing.websocket_client import (
    Render,
    StreamlitSession,
    dashboard_pages,
    start_training,
    stop_training,
    training_is_shown,
    walk_concurrently,
)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), linearly interpolated between the nearest ranks."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def alone(url: str, pages: list[str], repeats: int) -> list[Render]:
    """One session by itself, opening every page ``repeats`` times."""
    renders = []
    with StreamlitSession(url) as session:
        for _ in range(repeats):
            for url_path in pages:
                renders.append(session.visit(url_path))
    return renders


def report(title: str, pages: list[str], baseline: list[Render], loaded: list[Render], sessions: int) -> None:
    failed = [render.problems for render in baseline + loaded if not render.ok]
    print(f"\n{title}: {sessions} sessions x {len(pages)} pages = {len(loaded)} renders under load")
    print(f"  {'page':<18} {'alone median':>13} {'loaded median':>14} {'loaded p95':>11} {'ratio':>6}")
    rows = [(url_path or "(home)", [r.seconds for r in baseline if r.url_path == url_path],
             [r.seconds for r in loaded if r.url_path == url_path]) for url_path in pages]
    rows.append(("all pages", [r.seconds for r in baseline], [r.seconds for r in loaded]))
    for name, alone_times, loaded_times in rows:
        alone_median, loaded_median = statistics.median(alone_times), statistics.median(loaded_times)
        print(f"  {name:<18} {alone_median * 1000:>10.0f} ms {loaded_median * 1000:>11.0f} ms "
              f"{percentile(loaded_times, 95) * 1000:>8.0f} ms {loaded_median / alone_median:>5.1f}x")
    print(f"  failed renders: {len(failed)}")
    for problem in failed[:10]:
        print(f"    {problem[:300]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--alone-repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=10, help="of the run trained during the second half")
    parser.add_argument("--skip-training", action="store_true")
    args = parser.parse_args()

    pages = dashboard_pages()
    with tempfile.TemporaryDirectory(prefix="cnnviz-bench-load-") as home:
        server = DashboardServer(env={"CNNVIZ_HOME": home})
        try:
            start = time.perf_counter()
            alone(server.url, pages, 1)  # warm-up: imports, first cache fills
            print(f"server on {server.url}; warm-up visit of {len(pages)} pages took "
                  f"{time.perf_counter() - start:.1f} s")

            baseline = alone(server.url, pages, args.alone_repeats)
            loaded = walk_concurrently(server.url, args.sessions, pages, seed=1)
            report("No training run", pages, baseline, loaded, args.sessions)

            if not args.skip_training:
                with StreamlitSession(server.url) as trainer:
                    start_training(trainer, f"train_epochs={args.epochs}")
                    baseline = alone(server.url, pages, args.alone_repeats)
                    loaded = walk_concurrently(server.url, args.sessions, pages, seed=2)
                    still_training = training_is_shown(trainer.rerun())
                    report("A training run active", pages, baseline, loaded, args.sessions)
                    print(f"  the run was {'still training' if still_training else 'over'} when the load ended")
                    stop_training(trainer)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
