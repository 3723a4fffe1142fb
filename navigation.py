"""The dashboard's pages, in menu order: one place that app.py and the home page both read.

Each entry says what the page teaches in one line; the home page lists them as links.
Icons are Material Symbols (no emoji font is installed on lecture machines).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageEntry:
    path: str  # relative to app.py
    title: str
    icon: str
    teaches: str
    url_path: str


PAGES: tuple[PageEntry, ...] = (
    PageEntry(
        "pages/home.py",
        "Home",
        ":material/home:",
        "What cnnviz is, what this machine computes on, which datasets and trained models are ready.",
        "home",
    ),
    PageEntry(
        "pages/conv_lab.py",
        "Convolution lab",
        ":material/grid_on:",
        "Slide a kernel over a photo or a grid: stride, padding, dilation, groups, transposed "
        "convolution and pooling, with the output-size formula in your own numbers.",
        "convolution",
    ),
)
