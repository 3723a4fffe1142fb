"""Start the dashboard: `python serve.py [streamlit options]` is `streamlit run app.py`, with the router
in charge from the first request.

Why not plain `streamlit run app.py`: while no session has run st.navigation yet, Streamlit still
serves the pages/ folder the legacy way, so the first visitor of a bookmarked page (say
/convolution) gets a "Page not found" box. Marking the app as a router app before the server starts
removes that window. `streamlit run app.py` still works; only that first visit differs.
"""

import sys
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

if __name__ == "__main__":
    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(Path(__file__).resolve().parent / "app.py"), *sys.argv[1:]]
    sys.exit(cli.main())
