"""The receptive-field figures: what is drawn where, checked on the figure objects."""

import json

import numpy as np
import plotly.graph_objects as go

from cnnviz.figures.receptive_figures import (
    comparison_chart,
    field_on_image,
    field_size_chart,
    stack_lesson_chart,
    unit_grid,
)
from cnnviz.receptive import stacked_versus_single


def _rects(figure):
    return [shape for shape in figure.layout.shapes if shape.type == "rect"]


def test_the_box_is_drawn_around_the_field_and_padding_only_where_it_leaves_the_image():
    image = np.random.default_rng(0).random((20, 30, 3))
    inside = field_on_image(image, (2, 3, 8, 9))
    assert len(_rects(inside)) == 1  # the box alone: no padding to show
    box = _rects(inside)[0]
    assert (box.x0, box.x1, box.y0, box.y1) == (2.5, 9.5, 1.5, 8.5)

    outside = field_on_image(image, (-4, -2, 10, 12))
    padding, outline = _rects(outside)
    assert padding.layer == "below" and padding.fillcolor.startswith("rgba")
    assert (outline.x0, outline.y0) == (-2.5, -4.5)
    # The axes grow to show the padded part: columns from -2.5, rows from -4.5 (reversed axis).
    assert outside.layout.xaxis.range[0] == -2.5 and outside.layout.yaxis.range[1] == -4.5
    assert "padding" in outside.layout.annotations[0].text


def test_the_effective_field_is_overlaid_scaled_to_its_maximum():
    image = np.zeros((10, 10))
    gradient = np.zeros((10, 10), np.float32)
    gradient[4, 5], gradient[5, 5] = 0.02, 0.01
    figure = field_on_image(image, (0, 0, 9, 9), effective=gradient)
    assert [trace.type for trace in figure.data][:2] == ["image", "image"]  # the photo, then the overlay, as pictures
    heat = _decoded(figure.data[1].source)  # RGBA: EFFECTIVE_COLOURS at each pixel's share of the max
    assert tuple(heat[4, 5]) == (220, 0, 0, round(0.85 * 255))  # the max: the scale's top colour
    # half the max: 2/3 of the way from the 0.3 stop (255, 200, 0, 0.45) to the 0.6 one (255, 110, 0, 0.65)
    assert tuple(heat[5, 5]) == (255, 140, 0, 149)
    assert heat[0, 0, 3] == 0  # no gradient: the photo shows through
    photo = _decoded(figure.data[0].source)
    assert photo.shape == (10, 10, 3) and (photo == 0).all()  # grey copied into R, G, B
    scale = figure.data[2].marker
    assert scale.showscale and (scale.cmin, scale.cmax) == (0, 1)


def _decoded(source: str) -> np.ndarray:
    import base64
    import io

    from PIL import Image

    assert source.startswith("data:image/")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1]))))


def test_a_photo_and_its_effective_field_travel_as_pictures_not_number_arrays():
    from skimage import data
    from PIL import Image

    photo = np.asarray(Image.fromarray(data.chelsea()).resize((224, 224))) / 255.0
    rows, cols = np.mgrid[0:224, 0:224]
    gradient = np.exp(-((rows - 60) ** 2 + (cols - 70) ** 2) / 800.0).astype(np.float32)  # a Gaussian, as Luo et al.
    figure = field_on_image(photo, (10, 20, 110, 120), effective=gradient)
    assert all(getattr(trace, "z", None) is None for trace in figure.data)
    # x0 = 0, dx = 1: pixel (r, c) is centred on (c, r), as the box's coordinates assume.
    assert (figure.data[0].x0, figure.data[0].dx, figure.data[0].y0, figure.data[0].dy) == (0, 1, 0, 1)
    assert np.abs(_decoded(figure.data[0].source).astype(int) - (photo * 255 + 0.5).astype(int)).mean() < 12
    # As z arrays the photo and the heat map were ~470 KB of a render; as pictures a fifth of that.
    as_numbers = len(json.dumps((photo * 255).astype(int).tolist())) + len(json.dumps(np.round(gradient, 3).tolist()))
    assert len(figure.to_json()) < as_numbers / 5


def test_unit_grid_points_carry_their_row_and_column():
    figure = unit_grid((3, 4), (1, 2))
    (points,) = figure.data
    assert len(points.x) == 12 and points.marker.color == "#cbd5e1"  # every unit, one colour
    for x, y, (row, col) in zip(points.x, points.y, points.customdata):  # a click reports the unit under it
        assert (x, y) == (col, row)
    assert sorted(map(tuple, points.customdata)) == [(r, c) for r in range(3) for c in range(4)]
    # The chosen unit: a red square over its own cell (x is the column, y the row).
    (square,) = figure.layout.shapes
    assert (square.x0, square.x1, square.y0, square.y1, square.fillcolor) == (1.6, 2.4, 0.6, 1.4, "#dc2626")
    assert figure.layout.yaxis.range == [2.5, -0.5] and figure.layout.dragmode is False  # row 0 on top; clicks select
    other = unit_grid((3, 4), (0, 0))  # another unit of the same grid moves the square only
    assert other["data"] == figure["data"] and other.layout.shapes[0].x0 == -0.4


def test_field_size_chart_has_one_bar_per_layer_and_marks_the_chosen_one():
    figure = field_size_chart(["a", "b", "c"], [3, 5, 32], [1, 2, 4], [False, False, True], input_size=32, highlight="b")
    bars = figure.data[0]
    assert list(bars.y) == [3, 5, 32]
    assert bars.marker.color[1] != bars.marker.color[0] and bars.marker.color[2] == "#9ca3af"
    assert list(figure.data[1].y) == [1, 2, 4]


def test_stack_lesson_chart_shows_fields_and_27_versus_49_c_squared():
    figure = stack_lesson_chart(stacked_versus_single(channels=4, input_size=16))
    lines = [trace for trace in figure.data if isinstance(trace, go.Scatter)]
    bars = [trace for trace in figure.data if isinstance(trace, go.Bar)]
    assert [list(line.y) for line in lines] == [[3, 5, 7], [7], [3, 7, 15]]
    assert [bar.text[0] for bar in bars] == ["27 C²", "49 C²", "27 C²"]


def test_comparison_chart_has_four_panels_in_readable_units():
    summaries = [
        {"name": "vgg16", "parameters": 138_357_544, "mult_adds": 15.47e9, "activation_mb": 58.3, "final_field": 212},
        {"name": "resnet18", "parameters": 11_689_512, "mult_adds": 1.82e9, "activation_mb": 9.2, "final_field": 435},
    ]
    figure = comparison_chart(summaries)
    assert len(figure.data) == 4
    assert figure.data[0].y[0] == 138.357544 and figure.data[3].y[1] == 435


def test_field_growth_draws_one_box_and_one_legend_entry_per_layer():
    from cnnviz.figures.receptive_figures import field_growth_on_image

    boxes = [("conv1: 3 px", (4, 4, 6, 6)), ("conv2: 5 px", (3, 3, 7, 7)), ("conv9: 21 px", (-5, -5, 15, 15))]
    figure = field_growth_on_image(np.zeros((11, 11, 3)), boxes)
    assert [(s.x0, s.y1) for s in _rects(figure)] == [(3.5, 6.5), (2.5, 7.5), (-5.5, 15.5)]
    assert [trace.name for trace in figure.data[1:]] == [label for label, _ in boxes]
    # The view widens to the largest box, padding included.
    assert list(figure.layout.xaxis.range) == [-5.5, 15.5]


def test_a_deep_networks_layer_names_are_upright_few_and_short_enough_to_read():
    names = [f"net.layer{i // 10}.{i % 10}.downsample.conv{i}" for i in range(60)]
    figure = field_size_chart(names, list(range(60)), [1] * 60, [False] * 60, input_size=224)
    axis = figure.layout.xaxis
    # At -45 degrees two dozen names overlapped on a half-width chart; upright, 12 fit in ~470 px.
    assert axis.tickangle == -90 and 2 <= len(axis.tickvals) <= 12
    assert all(len(text) <= 18 for text in axis.ticktext) and axis.ticktext[0].startswith("…")
    assert list(axis.tickvals) == list(range(0, 60, 5))


def test_every_figure_sets_its_text_at_15_px_or_more():
    from cnnviz.figures.receptive_figures import field_growth_on_image

    image = np.zeros((11, 11, 3))
    figures = [field_on_image(image, (0, 0, 4, 4), effective=np.ones((11, 11))), unit_grid((3, 4), (1, 2)),
               field_size_chart(["a", "b"], [3, 5], [1, 2], [False, False], input_size=11),
               field_growth_on_image(image, [("conv1: 3 px", (4, 4, 6, 6))])]
    for figure in figures:
        # Streamlit's theme draws unset tick and legend fonts at 0.85 of the figure's (12.75 px).
        assert figure.layout.xaxis.tickfont.size >= 15 and figure.layout.yaxis.tickfont.size >= 15
        assert figure.layout.legend.font.size >= 15 and figure.layout.font.size >= 15


def test_legend_and_colour_bar_sit_under_the_picture_not_beside_it():
    from cnnviz.figures.receptive_figures import field_growth_on_image

    growth = field_growth_on_image(np.zeros((11, 11, 3)), [("conv1: 3 px", (4, 4, 6, 6))], title="")
    assert growth.layout.legend.orientation == "h" and growth.layout.legend.y < 0
    assert not (growth.layout.title and growth.layout.title.text)  # the page writes the title above the chart, where it wraps
    bar = field_on_image(np.zeros((11, 11, 3)), (0, 0, 4, 4), effective=np.ones((11, 11))).data[2].marker.colorbar
    assert bar.orientation == "h" and bar.y < 0
