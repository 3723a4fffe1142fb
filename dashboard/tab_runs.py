"""The runs one browser tab shows on the Training page: which run that is, starting one, and
drawing its live view, which polls the run manager once a second only while the run is active."""

from __future__ import annotations

import time
from collections.abc import Callable

import streamlit as st

from cnnviz.runs import RunManager, RunRefused
from cnnviz.train import TrainConfigError
from dashboard import page_frame, presentation

PACE_WAIT_SECONDS = 0.6  # how long a pace button waits for the run to take it before redrawing


class TabRuns:
    """One tab's runs, each remembered under a session-state key (one per kind of view).

    Args:
        manager: the server's run manager (dashboard.training_service).
        owner: the browser session that may watch and stop its runs.
        single_key: the key of the single-run view; any other key holds a comparison.
        kinds: a comparison key -> the run kind it shows ("lr-comparison", ...), so that after a
            reload each tab finds its own kind of run; a key not named takes any comparison.
    """

    def __init__(self, manager: RunManager, owner: str, single_key: str, kinds: dict[str, str] | None = None) -> None:
        self.manager, self.owner, self.single_key = manager, owner, single_key
        self.kinds = dict(kinds or {})

    def shown(self, key: str) -> str | None:
        """The run this tab shows under ``key``: the one it started or, if its session state was
        lost (a reload), its active run of that kind."""
        run_id = st.session_state.get(key)
        if run_id is None and (active := self.manager.active_run(self.owner)) is not None:
            status = self.manager.status(active)
            if status is not None and self._shows(key, status.kind):
                st.session_state[key] = run_id = active
        return run_id

    def _shows(self, key: str, kind: str) -> bool:
        if key in self.kinds:
            return kind == self.kinds[key]
        return (kind == "single") == (key == self.single_key)

    def submit(self, key: str, start: Callable[[], str]) -> None:
        """Start a run (``start`` returns its id) and remember it; a refusal shows its sentence."""
        try:
            st.session_state[key] = start()
        except (RunRefused, TrainConfigError) as error:
            st.error(str(error))
            return
        if presentation.is_on():
            st.rerun()  # the live view is drawn above the form there: draw it again with the new run

    def pace(self, run_id: str, action: str) -> None:
        """Pause, resume or step the run (``action``: a RunManager method, lessons.run_controls): a
        button's on_click, so the run that follows the click draws the new pace. It waits (briefly)
        for the run to take it, which its process says within a batch, rather than a poll later."""
        before = self.manager.status(run_id)
        getattr(self.manager, action)(run_id)
        deadline = time.monotonic() + PACE_WAIT_SECONDS
        while time.monotonic() < deadline:
            now = self.manager.status(run_id)
            if now is None or before is None or now.pace != before.pace or not now.active:
                break
            time.sleep(0.02)

    def live(self, draw: Callable[[], None], key: str) -> None:
        """Draw ``draw`` in a fragment that reruns every second while the run under ``key`` is active,
        and redraws the page once when it ends."""
        run_id = self.shown(key)
        status = self.manager.status(run_id) if run_id else None
        active = status is not None and status.active

        def body() -> None:
            draw()
            now = self.manager.status(st.session_state.get(key)) if st.session_state.get(key) else None
            if active and now is not None and not now.active:
                st.rerun()  # the run ended: redraw the page once, then stop polling

        st.fragment(page_frame.guarded(body), run_every=1.0 if active else None)()
