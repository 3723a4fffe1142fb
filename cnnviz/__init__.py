"""cnnviz: the library under the cnnviz dashboard.

A plain library over torch tensors. It never imports streamlit: every number and every figure
the pages show is computed here, so that tests can call it without a server.
"""

__version__ = "0.1.0"
