"""The Streamlit side of cnnviz: what the pages share beside the cnnviz library.

The library (cnnviz/) never imports Streamlit; everything here does. Uses of Streamlit's private
APIs live in dashboard.internals only, so an upgrade that moves them breaks one module, loudly.
dashboard.testing starts the real server and talks to it as a browser tab does, for the tests
and the benchmarks.
"""
