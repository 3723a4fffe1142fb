"""A block diagram (cnnviz.block_diagram) as a figure: rounded boxes coloured by kind, each with its
label and output shape, and arrows between them, laid out as the diagram says.

A figure dict (style.FigureDict): a network is two dozen boxes and arrows, and plotly's validation
of as many shapes and annotations costs more than building them. The y axis counts screen pixels
(row r is drawn at (r + 0.5) * row height), so a box's height and its text's lines are set in
pixels; x counts columns, one box and its gap each.
"""

from __future__ import annotations

from collections.abc import Sequence

from cnnviz.block_diagram import BlockDiagram, Box
from cnnviz.figures.style import FONT, FigureDict, figure_dict, plain

# kind -> (fill, outline, legend name): light fills under dark text read in both themes.
KIND_STYLES = {
    "input": ("#e5e7eb", "#374151", "input"),
    "conv": ("#dbeafe", "#1d4ed8", "convolution"),
    "pool": ("#fef3c7", "#b45309", "pooling"),
    "fc": ("#ede9fe", "#6d28d9", "fully connected"),
    "merge": ("#fee2e2", "#dc2626", "concat / add"),
    "other": ("#f3f4f6", "#6b7280", "other"),
}
TEXT_COLOUR = "#111827"
ARROW_COLOUR = "#6b7280"  # mid grey: seen on the light and the dark background
TEXT_SIZE = 14  # px; the projector mode scales it with the rest
LINE_PX = 18  # one line of TEXT_SIZE text
BOX_WIDTH = 0.86  # of a column: the rest is the gap between side-by-side boxes
# A network is one column of many rows, read as a table: label, shape and parameters on one line.
CHAIN_ROW_PX, CHAIN_BOX_PX = 40, 26
GAP_PX = 40  # between the rows of a block, where its arrows bend
ARROW_PX = 14  # the straight last stretch of every arrow, under its head
CHAIN_HALF_SPAN = 0.55  # x from -0.55 to 0.55: the box takes 78 % of the width
SHAPE_RIGHT_PX, PARAMETERS_RIGHT_PX = 140, 10  # right ends of the shape and parameter texts, in from the box's edge
MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}  # the top holds the legend
# Brackets right of a chain's boxes name the parts of a pattern; the x range grows to hold their text.
BRACKET_X, BRACKET_TICK, BRACKETS_RIGHT = CHAIN_HALF_SPAN - 0.04, 0.02, 0.97
BRACKET_LINE_CHARS = 16  # a longer bracket text breaks before its last arrow


def _lines(box: Box, chain: bool) -> list[str]:
    """The box's text: one line in a chain; else its name, what is folded in, and its shape."""
    if chain:
        return [box.label]
    folded = "+ " + " + ".join(box.folded) if box.folded and box.kind != "merge" else ""
    name = box.label if box.kind == "merge" else box.name
    return [line for line in (name, folded, box.shape_text) if line]


def _rounded(x0: float, x1: float, y0: float, y1: float, rx: float, ry: float) -> str:
    """An SVG path of a rectangle with rounded corners (radii in each axis's own units)."""
    return (f"M {x0 + rx},{y0} L {x1 - rx},{y0} Q {x1},{y0} {x1},{y0 + ry} L {x1},{y1 - ry} Q {x1},{y1} {x1 - rx},{y1} "
            f"L {x0 + rx},{y1} Q {x0},{y1} {x0},{y1 - ry} L {x0},{y0 + ry} Q {x0},{y0} {x0 + rx},{y0} Z")


def _text(x: float, y: float, text: str, **keys) -> dict:
    return {"x": x, "y": y, "xref": "x", "yref": "y", "text": text, "showarrow": False,
            "font": {"size": TEXT_SIZE, "color": TEXT_COLOUR}, **keys}


def _bracket_lines(text: str) -> str:
    """A bracket's text, its last step on a line of its own when long: "[CONV → RELU] × 2 → POOL" ran
    past the figure's right edge in presentation mode at 1024 px."""
    head, arrow, tail = text.rpartition(" → ")
    if len(text) <= BRACKET_LINE_CHARS or not arrow:
        return plain(text)
    return f"{plain(head)}<br>→ {plain(tail)}"


def _ends(diagram: BlockDiagram) -> dict[tuple[int, int, str], float]:
    """Where each arrow leaves its source and enters its target, as an offset from the box's centre:
    a box with several arrows spreads them over its width, in the order of where they go or come from."""
    offsets: dict[tuple[int, int, str], float] = {}
    for end, far in (("source", 1), ("target", -2)):
        for box in diagram.boxes:
            edges = sorted((e for e in diagram.edges if getattr(e, end) == box.id), key=lambda e: e.path[far][0])
            step = 0.6 * BOX_WIDTH / max(len(edges) - 1, 1)
            for i, edge in enumerate(edges):
                offsets[(edge.source, edge.target, end)] = (i - (len(edges) - 1) / 2) * step if len(edges) > 1 else 0.0
    return offsets


def block_diagram_figure(diagram: BlockDiagram, *, title: str = "",
                         brackets: Sequence[tuple[int, int, str]] = ()) -> FigureDict:
    """The diagram's boxes, texts and arrows.

    Args:
        diagram: a block_diagram.BlockDiagram.
        title: figure title ("" for none: the page writes it above).
        brackets: (first box id, last box id, text) per bracket drawn right of a network's boxes
            ("bracket <i>" shapes and texts), e.g. the parts of the CNN pattern; ignored for a block.

    Returns:
        A FigureDict: one rounded-box shape per box ("box <id>"), per arrow a curve where it bends
        (a shape, "arrow <source>-<target>") and its head (an annotation, "arrowhead ..."), the
        texts as annotations ("label <id>", in a network also "shape <id>" and "parameters <id>"),
        an invisible marker per box for its hover (layers and parameters), and one legend entry
        per kind drawn. Its height grows with the rows: 40 px a row for a network, a block's rows
        as tall as its boxes' lines of text and the gap where the arrows bend.
    """
    chain = len({box.column for box in diagram.boxes}) == 1
    lines = 1 if chain else max(len(_lines(box, chain)) for box in diagram.boxes)
    box_px = CHAIN_BOX_PX if chain else LINE_PX * lines + 12
    row_px = CHAIN_ROW_PX if chain else box_px + GAP_PX
    plot_px = diagram.rows * row_px
    columns = [box.column for box in diagram.boxes]
    middle, half = (min(columns) + max(columns)) / 2, (max(columns) - min(columns) + 1) / 2 + 0.02
    # At least three columns wide: a two-branch block's boxes would otherwise be half the page each.
    x_range = [-CHAIN_HALF_SPAN, CHAIN_HALF_SPAN] if chain else [middle - max(half, 1.5), middle + max(half, 1.5)]
    brackets = tuple(brackets) if chain else ()
    if brackets:
        x_range[1] = BRACKETS_RIGHT
    rx, ry = 0.012 * (x_range[1] - x_range[0]), 6.0

    def centre_y(row: float) -> float:
        return (row + 0.5) * row_px

    shapes, annotations = [], []
    for box in diagram.boxes:
        fill, outline, _ = KIND_STYLES.get(box.kind, KIND_STYLES["other"])
        x0, x1 = box.column - BOX_WIDTH / 2, box.column + BOX_WIDTH / 2
        y = centre_y(box.row)
        shapes.append({"type": "path", "path": _rounded(x0, x1, y - box_px / 2, y + box_px / 2, rx, ry),
                       "xref": "x", "yref": "y", "fillcolor": fill, "line": {"color": outline, "width": 1.5},
                       "layer": "below", "name": f"box {box.id}"})
        if chain:
            annotations += [
                _text(x0, y, plain(box.label), xanchor="left", xshift=10, name=f"label {box.id}"),
                _text(x1, y, plain(box.shape_text), xanchor="right", xshift=-SHAPE_RIGHT_PX, name=f"shape {box.id}"),
                _text(x1, y, f"{box.parameters:,}" if box.parameters else "", xanchor="right",
                      xshift=-PARAMETERS_RIGHT_PX, name=f"parameters {box.id}"),
            ]
        else:
            annotations.append(_text(box.column, y, "<br>".join(plain(line) for line in _lines(box, chain)),
                                     name=f"label {box.id}"))
    if chain:  # the columns' headings, over the first box
        top = centre_y(0) - box_px / 2
        annotations += [_text(0.5 * BOX_WIDTH, top, heading, xanchor="right", yanchor="bottom", xshift=-shift,
                              font={"size": 12, "color": ARROW_COLOUR})
                        for heading, shift in (("output shape", SHAPE_RIGHT_PX), ("parameters", PARAMETERS_RIGHT_PX))]

    for number, (first, last, text) in enumerate(brackets):
        top, bottom = centre_y(diagram.boxes[first].row) - box_px / 2, centre_y(diagram.boxes[last].row) + box_px / 2
        x0, x1 = BRACKET_X - BRACKET_TICK, BRACKET_X
        shapes.append({"type": "path", "path": f"M {x0},{top} L {x1},{top} L {x1},{bottom} L {x0},{bottom}",
                       "xref": "x", "yref": "y", "line": {"color": ARROW_COLOUR, "width": 1.5},
                       "name": f"bracket {number}"})
        annotations.append(_text(x1, (top + bottom) / 2, _bracket_lines(text), xanchor="left", xshift=6,
                                 name=f"bracket {number}"))

    ends = _ends(diagram)
    for edge in diagram.edges:
        (x, row), *rest = edge.path
        x += ends[(edge.source, edge.target, "source")]
        y = centre_y(row) + box_px / 2
        start, legs = f"{x},{y}", []
        for i, (next_x, next_row) in enumerate(rest):
            last = i == len(rest) - 1
            if last:
                next_x += ends[(edge.source, edge.target, "target")]
            top = centre_y(next_row) - box_px / 2 - (ARROW_PX if last else 0)
            if (next_x, top) != (x, y):  # a smooth step across the gap, vertical where it leaves and arrives
                middle = (y + top) / 2
                legs.append(f"C {x},{middle} {next_x},{middle} {next_x},{top}")
            x, y = next_x, top
            if not last:  # an empty slot: straight down through the row
                y = centre_y(next_row) + box_px / 2
                legs.append(f"L {x},{y}")
        if legs:  # a network's arrows are their heads alone: the gap is the head's length
            shapes.append({"type": "path", "path": f"M {start} " + " ".join(legs), "xref": "x", "yref": "y",
                           "layer": "below",
                           "line": {"color": ARROW_COLOUR, "width": 1.6}, "name": f"arrow {edge.source}-{edge.target}"})
        annotations.append({"x": x, "y": y + ARROW_PX, "ax": x, "ay": y, "xref": "x", "yref": "y", "axref": "x",
                            "ayref": "y", "text": "", "showarrow": True, "arrowhead": 2, "arrowsize": 1.2,
                            "arrowwidth": 1.6, "arrowcolor": ARROW_COLOUR, "standoff": 0,
                            "name": f"arrowhead {edge.source}-{edge.target}"})

    traces = []
    traces.append({
        "type": "scatter", "mode": "markers", "name": "boxes", "showlegend": False,
        "x": [box.column for box in diagram.boxes], "y": [centre_y(box.row) for box in diagram.boxes],
        "marker": {"size": box_px, "opacity": 0, "symbol": "square"},
        "customdata": [[plain(box.label), box.shape_text, f"{box.parameters:,}", plain(", ".join(box.layers))]
                       for box in diagram.boxes],
        "hovertemplate": "<b>%{customdata[0]}</b><br>output %{customdata[1]}<br>%{customdata[2]} parameters"
                         "<br>layers: %{customdata[3]}<extra></extra>",
    })
    for kind in dict.fromkeys(box.kind for box in diagram.boxes):
        fill, outline, name = KIND_STYLES.get(kind, KIND_STYLES["other"])
        traces.append({"type": "scatter", "x": [None], "y": [None], "mode": "markers", "name": name, "hoverinfo": "skip",
                       "marker": {"symbol": "square", "size": 14, "color": fill, "line": {"color": outline, "width": 1.5}}})
    axis = {"visible": False, "fixedrange": True, "showgrid": False, "zeroline": False}
    return figure_dict(
        traces, height=plot_px + MARGIN["t"] + MARGIN["b"] + (35 if title else 0), title=plain(title),
        margin={**MARGIN, "t": MARGIN["t"] + (35 if title else 0)}, shapes=shapes, annotations=annotations,
        xaxis={**axis, "range": x_range}, yaxis={**axis, "range": [plot_px, 0]}, dragmode=False, hovermode="closest",
        legend={"orientation": "h", "x": 0, "y": 1, "yanchor": "bottom", "font": {"size": TEXT_SIZE}},
        plot_bgcolor="rgba(0,0,0,0)", paper_bgcolor="rgba(0,0,0,0)", font=dict(FONT),
    )
