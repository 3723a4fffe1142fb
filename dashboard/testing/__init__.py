"""Drive a real dashboard from Python, for the tests and the benchmarks alike.

server starts the dashboard (dashboard.serve) on a free loopback port; websocket_client speaks
Streamlit's websocket protocol as a browser tab does. Neither imports a test framework or a
browser: the Chromium helpers stay in tests/browser.py.
"""
