"""The runs one browser tab shows on the Training page: which run that is, starting one, and
drawing its live view, which polls the run manager once a second only while the run is active."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from cnnviz.runs import RunManager, RunRefused
from cnnviz.train import TrainConfigError
from dashboard import page_frame, presentation


class TabRuns:
    """One tab's runs, each remembered under a session-state key (one per kind of view).

    Args:
        manager: the server's run manager (dashboard.training_service).
        owner: the browser session that may watch and stop its runs.
        single_key: the key of the single-run view; any other key holds a comparison.
    """

    def __init__(self, manager: RunManager, owner: str, single_key: str) -> None:
        self.manager, self.owner, self.single_key = manager, owner, single_key

    def shown(self, key: str) -> str | None:
        """The run this tab shows under ``key``: the one it started or, if its session state was
        lost (a reload), its active run of that kind."""
        run_id = st.session_state.get(key)
        if run_id is None and (active := self.manager.active_run(self.owner)) is not None:
            status = self.manager.status(active)
            if status is not None and (status.kind == "single") == (key == self.single_key):
                st.session_state[key] = run_id = active
        return run_id

    def submit(self, key: str, start: Callable[[], str]) -> None:
        """Start a run (``start`` returns its id) and remember it; a refusal shows its sentence."""
        try:
            st.session_state[key] = start()
        except (RunRefused, TrainConfigError) as error:
            st.error(str(error))
            return
        if presentation.is_on():
            st.rerun()  # the live view is drawn above the form there: draw it again with the new run

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
