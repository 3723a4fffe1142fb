"""Plotly figure builders for the pages: plain functions that tests can call without a server."""
