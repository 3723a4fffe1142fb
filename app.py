"""cnnviz: the router. `streamlit run app.py` opens the dashboard on its home page.

Every page runs inside page_frame: the presentation switch beside it, the shared-link check above it.
"""

import streamlit as st

import page_frame
from navigation import PAGES

st.set_page_config(page_title="cnnviz", page_icon=":material/grid_on:", layout="wide")

pages = [
    st.Page(entry.path, title=entry.title, icon=entry.icon, url_path=entry.url_path, default=(i == 0))
    for i, entry in enumerate(PAGES)
]
page_frame.run(st.navigation(pages).run)
