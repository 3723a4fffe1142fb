"""The floor for benchmarks/bench_browser.py: the least a Streamlit page can cost, one slider.

Served by its own `streamlit run benchmarks/floor_page.py` next to the dashboard, and measured the
same way (cold load, slider change), so each dashboard figure can be read as a multiple of it.
"""

import streamlit as st

st.title("Floor")
value = st.slider("Value", 0, 100, 50)
st.write(f"The slider is at {value}.")
