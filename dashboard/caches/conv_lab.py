"""The Convolution lab's caches: its input, and its lesson's Result per settings and input."""

from __future__ import annotations

import streamlit as st

from cnnviz.lessons import conv_lab as lesson
from dashboard.caches import sample_image

# Keyed on primitives: the input's identity (sample name, upload file id, or the grid's numbers),
# the kernel tables as tuples, and the frozen lesson Settings (hashed field by field). Stepping the
# animation never calls these: the page hands the result to its player fragment once.


@st.cache_data(max_entries=8, show_spinner=False)
def lab_input(source: str, name: str, grey: bool, grid: tuple | None = None, _picture=None):
    """The lab's input, float32 (C, H, W): source "grid" (grid = rows of numbers), "photo" (name =
    a sample name) or "upload" (name = the upload's file id, the decoded photo in _picture)."""
    if source == "grid":
        return lesson.grid_input(grid)
    return lesson.photo_input(sample_image(name) if source == "photo" else _picture, grey)


@st.cache_data(max_entries=8, show_spinner="Convolving...")
def result(settings: lesson.Settings, source: str, name: str, grid: tuple | None, kernel_tables: tuple | None,
           _picture=None) -> lesson.Result:
    """lesson.compute on lab_input's input (same source, name, grid and _picture)."""
    return lesson.compute(settings, lab_input(source, name, settings.conv_grey, grid, _picture=_picture), kernel_tables)
