"""Figures for the convolution lab: grids with numbers, photos with their padding, the sliding
window, the zoomed patch, the output map, a 1-D signal and a 1x1 convolution.

Plain functions from arrays to plotly figures, so tests can check them without a server.

Speed matters here: Streamlit reruns the page on every click, and stepping the window must cost
only the highlight. So:
- a photo is drawn as an encoded picture (PhotoLayer, built once and cached by the page) under
  cheap overlays (window, cell, click targets); shipping a 512x512 heatmap as numbers would take
  far longer to serialise than the convolution takes to compute;
- every figure is assembled as plain trace and layout dicts and validated once by go.Figure;
  plotly's incremental add_trace / add_annotation / make_subplots re-validate the whole layout
  on each call and cost ten times more.

Click targets: plotly cannot select heatmap or image pixels, but it can select scatter points, and
Streamlit's on_select reports those. Output maps carry a layer of transparent markers, one at
each cell centre, so a selected point's (x, y) is the cell's (column, row).

The package is read as one module (cnnviz.figures.conv_figures.X); each idea lives in its own file:

    base      the colours, the number format, square-cell axes, the one-go figure
    colours   value ranges, colouring, encoded pictures
    overlays  window, output cell, input outline, click targets
    photos    PhotoLayer and the photo figure
    grids     numeric grids and the zoomed window
    one_d     the 1-D signal and the 1x1 convolution
"""

from __future__ import annotations

from cnnviz.figures.conv_figures.base import (
    _PADDING_RGB,  # the tests compare padding pixels with it
    ARGMAX_COLOUR,
    GRID_COLOURS,
    INPUT_EDGE_COLOUR,
    INSERTED_COLOUR,
    MAX_CLICK_TARGETS,
    MAX_DISPLAY_SIDE,
    PADDING_COLOUR,
    PLAIN_COLOURS,
    SIGNED_COLOURS,
    WINDOW_COLOUR,
    format_number,
)
from cnnviz.figures.conv_figures.colours import colourise, image_data_uri, value_range
from cnnviz.figures.conv_figures.grids import grid_figure, window_figure
from cnnviz.figures.conv_figures.one_d import pointwise_figure, signal_figure
from cnnviz.figures.conv_figures.overlays import click_targets
from cnnviz.figures.conv_figures.photos import PhotoLayer, photo_figure, photo_layer

__all__ = [
    "ARGMAX_COLOUR", "GRID_COLOURS", "INPUT_EDGE_COLOUR", "INSERTED_COLOUR", "MAX_CLICK_TARGETS",
    "MAX_DISPLAY_SIDE", "PADDING_COLOUR", "PLAIN_COLOURS", "SIGNED_COLOURS", "WINDOW_COLOUR",
    "PhotoLayer",
    "click_targets", "colourise", "format_number", "grid_figure", "image_data_uri", "photo_figure",
    "photo_layer", "pointwise_figure", "signal_figure", "value_range", "window_figure",
]
