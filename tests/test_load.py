"""A room of students: 20 sessions open every page at once while a training run is active.

Sessions are Streamlit websocket clients (dashboard/testing/websocket_client.py), the protocol a browser tab
speaks, so twenty of them fit on a laptop where twenty Chromium tabs would not. Render times are
measured by benchmarks/bench_load.py, never asserted here.
"""

from __future__ import annotations

import statistics

import pytest

from dashboard.testing.websocket_client import (
    StreamlitSession,
    dashboard_pages,
    start_training,
    stop_training,
    training_is_shown,
    walk_concurrently,
)

pytestmark = pytest.mark.browser

SESSIONS = 20
# Each page's own title: a render that shows it is that page, not the default page.
TITLES = {"": "cnnviz: see how convolutional networks work", "convolution": "Convolution lab",
          "receptive-fields": "Receptive fields", "train": "Training", "inside-a-network": "Inside a network",
          "looks-for": "What a network looks for", "attacks": "Adversarial lab"}


@pytest.fixture(scope="module")
def server(dashboard):
    return dashboard


def test_the_websocket_client_sees_pages_exceptions_and_unknown_paths(server):
    # The client itself must be able to fail: an unknown path is reported as page_not_found.
    with StreamlitSession(server.url) as session:
        home = session.visit("")
        missing = session.visit("no-such-page")
    assert home.ok, home.problems
    assert home.shows(TITLES[""])
    assert missing.finished and missing.page_not_found and not missing.ok


def test_twenty_sessions_walk_every_page_while_a_run_trains(server):
    pages = dashboard_pages()
    with StreamlitSession(server.url) as trainer:
        # The form's defaults (LeNet-5 on Fashion-MNIST, 3 epochs): long enough to outlast the load.
        started = start_training(trainer)
        assert started.ok, started.problems
        assert training_is_shown(started)

        renders = walk_concurrently(server.url, SESSIONS, pages, seed=8)

        during = trainer.rerun()  # the run's owner still sees it training (or finished normally)
        assert during.ok, during.problems
        ended_normally = during.shows("every page that uses a trained network can pick it now")
        assert training_is_shown(during) or ended_normally, during.texts()
        stopped = stop_training(trainer)
        assert stopped.ok, stopped.problems
        assert not training_is_shown(stopped)

    problems = [render.problems for render in renders if not render.ok]
    assert problems == []
    assert len(renders) == SESSIONS * len(pages)
    assert sorted(TITLES) == sorted(pages)
    for url_path in pages:  # every page rendered in every session, as itself
        views = [render for render in renders if render.url_path == url_path]
        assert len(views) == SESSIONS
        assert all(render.shows(TITLES[url_path]) for render in views), url_path
    seconds = sorted(render.seconds for render in renders)
    print(f"\n{len(renders)} renders under load: median {statistics.median(seconds):.2f} s, "
          f"p95 {seconds[int(0.95 * (len(seconds) - 1))]:.2f} s (benchmarks/bench_load.py reports these)")
