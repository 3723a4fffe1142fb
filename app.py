"""cnnviz: the router. `streamlit run app.py` opens the dashboard on its home page.

Every page runs inside dashboard.page_frame: the presentation switch beside it, the shared-link check
above it.
"""

import streamlit as st

from dashboard import internals, page_frame
from dashboard.navigation import PAGES

# dashboard/serve.py does this before the server starts; `streamlit run app.py` gets it on the first run.
internals.refuse_unsafe_client_requests()

# The tab icon as inline SVG: a ":material/...:" icon there is fetched from Google's font servers,
# and a lecture hall may have no internet (tests/test_offline.py checks nothing leaves the machine).
FAVICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="#1d4ed8">'
           '<path d="M3 3h5v5H3zM9.5 3h5v5h-5zM16 3h5v5h-5zM3 9.5h5v5H3zM9.5 9.5h5v5h-5zM16 9.5h5v5h-5z'
           'M3 16h5v5H3zM9.5 16h5v5h-5zM16 16h5v5h-5z"/></svg>')
st.set_page_config(page_title="cnnviz", page_icon=FAVICON, layout="wide")

pages = [
    st.Page(entry.path, title=entry.title, icon=entry.icon, url_path=entry.url_path, default=(i == 0))
    for i, entry in enumerate(PAGES)
]
page_frame.run(st.navigation(pages).run)
