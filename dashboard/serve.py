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
"""

import sys
from pathlib import Path

from streamlit.web import cli

from dashboard import internals
from dashboard.upload_quota import QuotaUploadedFileManager

if __name__ == "__main__":
    internals.serve_pages_through_the_router()
    internals.never_look_up_the_public_address()
    internals.refuse_unsafe_client_requests()
    internals.install_upload_manager(QuotaUploadedFileManager)  # uploads in memory within quotas
    app = Path(__file__).resolve().parent.parent / "app.py"  # the router, at the repository root
    sys.argv = ["streamlit", "run", str(app), *sys.argv[1:]]
    sys.exit(cli.main())
