"""Start the dashboard: `python -m dashboard.serve [streamlit options]` is `streamlit run app.py`, with
the router in charge from the first request.

Why not plain `streamlit run app.py`: while no session has run st.navigation yet, Streamlit still
serves the pages/ folder the legacy way, so the first visitor of a bookmarked page (say
/convolution) gets a "Page not found" box. Marking the app as a router app before the server starts
removes that window. `streamlit run app.py` still works; only that first visit differs.

It also keeps the server off the internet: run headless on all interfaces (a lecture hall's
server), Streamlit asks checkip.amazonaws.com for the machine's public address, at start-up and
again when a browser from another machine connects. Students reach the server by its LAN address,
which Streamlit finds without sending anything.

And it closes what a crafted client could otherwise reach before any page has run: the "clear
the server's caches" and "load git info" requests are ignored (dashboard.internals).

Last, it keeps garbage collection off the clicks (keep_collections_cheap).
"""

import gc
import os
import sys
from pathlib import Path

from streamlit.web import cli

from dashboard import internals
from dashboard.upload_quota import QuotaUploadedFileManager

# Streamlit's runner.postScriptGC as an environment variable: the `streamlit run` command line reads it.
POST_SCRIPT_GC = "STREAMLIT_RUNNER_POST_SCRIPT_GC"


def keep_collections_cheap() -> None:
    """No full garbage collection after every script run, and none that scans torch's objects.

    Streamlit runs gc.collect(2) after every script and fragment run (runner.postScriptGC). With
    torch and plotly loaded this process tracks ~400,000 objects, so each one cost ~220 ms of
    server CPU per click, holding the GIL for every session. Memory does not need it: reference
    counting frees what a run drops, and Python's own generational collection still finds cycles
    (benchmarks/bench_memory.py shows the server's memory stays flat, --post-script-gc compares).
    The setting is off here for any folder the server starts from, and in .streamlit/config.toml
    for `streamlit run app.py`; an environment variable set by the caller still wins.

    Python's own full collections still come now and then; the libraries' objects live as long
    as the process, so they are imported now and frozen out of every later collection.
    """
    os.environ.setdefault(POST_SCRIPT_GC, "false")
    import pandas  # noqa: F401  (imported for the freeze: the pages' heavy libraries)
    import plotly.graph_objects  # noqa: F401
    import torch  # noqa: F401
    import torchvision  # noqa: F401

    gc.collect()  # what is garbage already is freed, not frozen
    gc.freeze()


def set_up() -> None:
    """Everything the server needs before Streamlit starts."""
    internals.serve_pages_through_the_router()
    internals.never_look_up_the_public_address()
    internals.refuse_unsafe_client_requests()
    internals.install_upload_manager(QuotaUploadedFileManager)  # uploads in memory within quotas
    keep_collections_cheap()


def main(args: list[str]) -> int:
    """`streamlit run app.py *args` after set_up."""
    set_up()
    app = Path(__file__).resolve().parent.parent / "app.py"  # the router, at the repository root
    sys.argv = ["streamlit", "run", str(app), *args]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
