"""Block diagrams drawn from the models: what is boxed, its shapes and parameters, the layout, the
captions, and the figure that draws them."""

import math
import re

import pytest
import torch
from torch import nn

from cnnviz.architecture import architecture_table, shape_only_copy
from cnnviz.block_diagram import DIAGRAMS, BlockDiagramError, block_diagram, block_input_shape, network_diagram
from cnnviz.figures.block_diagram_figures import BOX_WIDTH, block_diagram_figure
from cnnviz.lessons.receptive_fields.block_diagrams import DIAGRAM_TITLES, block_diagram_view
from cnnviz.models.registry import get_structure


@pytest.fixture(scope="module")
def structures():
    return {name: get_structure(name) for name in ("alexnet", "vgg16", "nin", "googlenet", "resnet18", "resnet50")}


@pytest.fixture(scope="module")
def diagrams(structures):
    return {title: source.draw(structures[source.model]) for title, source in DIAGRAMS.items()}


def _parameters(module) -> int:
    return sum(p.numel() for p in module.parameters())


def _hooked_input_shape(model, path):
    """The shape the submodule receives in a plain forward pass with a pre-hook (not fx)."""
    twin, seen = shape_only_copy(model).eval(), []
    twin.get_submodule(path).register_forward_pre_hook(lambda module, args: seen.append(tuple(args[0].shape[1:])))
    with torch.no_grad():
        twin(torch.zeros(1, *model.input_shape, device="meta"))
    return seen[0]


def test_vgg16_is_13_3x3_convs_in_5_pooled_stages_and_3_fc_layers(structures):
    model = structures["vgg16"]
    diagram = network_diagram(model)
    convs = diagram.of_kind("conv")
    assert len(convs) == 13 and {box.kernel for box in convs} == {(3, 3)}
    assert [box.label for box in convs[:3]] == ["Conv 3×3, 64 + ReLU", "Conv 3×3, 64 + ReLU", "Conv 3×3, 128 + ReLU"]
    max_pools = [box for box in diagram.of_kind("pool") if box.name.startswith("Max pool")]
    assert [box.name for box in max_pools] == ["Max pool 2×2 /2"] * 5
    assert [box.label for box in diagram.of_kind("fc")] == ["FC 4096 + ReLU + dropout"] * 2 + ["FC 1000"]
    assert convs[0].shape == (64, 224, 224) and max_pools[-1].shape == (512, 7, 7) and diagram.output.shape == (1000,)
    assert diagram.total_parameters == _parameters(model) == 138_357_544
    assert sum(box.parameters for box in diagram.of_kind("fc")) == _parameters(model.net.classifier)
    # ReLU and dropout folded: 23 boxes, where every leaf layer (and the flatten) would be 42.
    assert len(diagram.boxes) == 23
    assert len(network_diagram(model, fold=False).boxes) == 1 + len(architecture_table(model).rows) + 1


@pytest.mark.parametrize("name", ["alexnet", "vgg16", "nin", "resnet18"])
def test_every_box_has_the_shape_and_parameters_a_forward_pass_counts(structures, name):
    model = structures[name]
    rows = {row.name: row for row in architecture_table(model).rows}
    for box in network_diagram(model).boxes[1:]:
        modules = [layer for layer in box.layers if layer in rows]
        assert modules, box
        shape = rows[modules[-1]].output_shape  # the box ends where its last layer does,
        if box.layers[-1] not in rows:  # or where torch.flatten after it does
            assert box.layers[-1].startswith("flatten"), box
            shape = (math.prod(shape),)
        assert box.shape == shape, box
        assert box.parameters == sum(rows[layer].parameters for layer in modules), box


def test_alexnet_opens_with_an_11x11_stride_4_conv_to_64_x_55_x_55(structures):
    diagram = network_diagram(structures["alexnet"])
    first = diagram.boxes[1]
    assert (first.name, first.label) == ("Conv 11×11, 64, stride 4", "Conv 11×11, 64, stride 4 + ReLU")
    assert first.shape == (64, 55, 55) and first.kernel == (11, 11) and first.stride == (4, 4)
    assert diagram.boxes[0].label == "Input + normalise" and diagram.boxes[0].shape == (3, 224, 224)


def test_the_inception_block_is_four_branches_into_one_256_channel_concat(structures, diagrams):
    model = structures["googlenet"]
    assert block_input_shape(model, "net.inception3a") == _hooked_input_shape(model, "net.inception3a") == (192, 28, 28)
    diagram = diagrams["GoogLeNet: one Inception block (3a)"]
    (concat,) = diagram.of_kind("merge")
    assert concat.name == "Concat" and concat.shape == (256, 28, 28) and concat is diagram.output
    assert len(diagram.outgoing(diagram.boxes[0])) == 4 and len(diagram.incoming(concat)) == 4
    branches = diagram.branches(concat)
    assert [[box.name for box in branch] for branch in branches] == [
        ["Conv 1×1, 64"], ["Conv 1×1, 96", "Conv 3×3, 128"], ["Conv 1×1, 16", "Conv 3×3, 32"],
        ["Max pool 3×3 /1", "Conv 1×1, 32"],
    ]
    assert [branch[-1].shape[0] for branch in branches] == [64, 128, 32, 32] and 64 + 128 + 32 + 32 == 256
    assert all(box.folded == ("BN", "ReLU") for box in diagram.of_kind("conv"))
    assert diagram.total_parameters == _parameters(model.net.inception3a)


def test_the_resnet18_block_adds_the_main_path_to_a_1x1_stride_2_shortcut(structures, diagrams):
    model = structures["resnet18"]
    assert block_input_shape(model, "net.layer2.0") == _hooked_input_shape(model, "net.layer2.0") == (64, 56, 56)
    diagram = diagrams["ResNet-18: one residual block (with downsample)"]
    (add,) = diagram.of_kind("merge")
    assert add.label == "Add (+), then ReLU" and add.shape == (128, 28, 28)
    main, shortcut = diagram.incoming(add)
    assert (main.label, main.layers) == ("Conv 3×3, 128 + BN", ("conv2", "bn2"))
    assert (shortcut.label, shortcut.kernel, shortcut.stride) == ("Conv 1×1, 128, stride 2 + BN", (1, 1), (2, 2))
    assert shortcut.layers == ("downsample.0", "downsample.1") and diagram.incoming(shortcut) == (diagram.boxes[0],)
    assert diagram.total_parameters == _parameters(model.net.layer2[0])


def test_the_bottleneck_narrows_with_a_1x1_and_widens_with_a_1x1(structures, diagrams):
    diagram = diagrams["ResNet-50: one bottleneck block"]
    (add,) = diagram.of_kind("merge")
    main, shortcut = sorted(diagram.branches(add), key=len, reverse=True)
    assert [(box.kernel, box.shape[0]) for box in main] == [((1, 1), 128), ((3, 3), 128), ((1, 1), 512)]
    assert [(box.kernel, box.stride, box.shape) for box in shortcut] == [((1, 1), (2, 2), (512, 28, 28))]
    assert diagram.input_shape == (256, 56, 56)
    assert diagram.total_parameters == _parameters(structures["resnet50"].net.layer2[0])


def test_an_identity_shortcut_goes_around_the_main_path(structures):
    block = structures["resnet18"].net.layer1[0]  # no downsample: the input itself is added
    diagram = block_diagram(block, (64, 56, 56))
    (add,) = diagram.of_kind("merge")
    assert diagram.boxes[0] in diagram.incoming(add) and diagram.branches(add)[1] == ()
    skip = next(edge for edge in diagram.edges if (edge.source, edge.target) == (0, add.id))
    assert [row for _, row in skip.path] == [0, 1, 2, 3]  # through an empty slot in each row it passes


def test_nin_has_six_1x1_convs_and_a_global_average_instead_of_fc_layers(structures):
    model = structures["nin"]
    diagram = network_diagram(model)
    kernels = [box.kernel for box in diagram.of_kind("conv")]
    assert kernels == [(5, 5), (1, 1), (1, 1), (5, 5), (1, 1), (1, 1), (3, 3), (1, 1), (1, 1)]
    assert not diagram.of_kind("fc")
    assert diagram.output.label == "Global avg pool + flatten" and diagram.output.shape == (10,)
    assert diagram.total_parameters == _parameters(model) == 927_178


class _Reused(nn.Module):
    """One conv called twice, and a ReLU on a tensor that is read twice."""

    def __init__(self):
        super().__init__()
        self.conv, self.relu = nn.Conv2d(4, 4, 1), nn.ReLU()

    def forward(self, x):
        y = self.conv(x)
        return self.relu(y) + self.conv(y)


def test_a_layer_on_a_shared_tensor_keeps_its_own_box_and_a_reused_module_counts_once():
    diagram = network_diagram(_Reused(), (4, 5, 5))
    assert [box.label for box in diagram.boxes] == ["Input", "Conv 1×1, 4", "ReLU", "Conv 1×1, 4", "Add (+)"]
    assert [box.parameters for box in diagram.boxes] == [0, 20, 0, 0, 0] and diagram.total_parameters == 20
    assert [box.row for box in diagram.boxes] == [0, 1, 2, 2, 3]
    assert [box.label for box in diagram.incoming(diagram.output)] == ["ReLU", "Conv 1×1, 4"]


@pytest.mark.parametrize("title", list(DIAGRAMS))
def test_no_two_boxes_overlap_and_every_arrow_goes_down_between_boxes(diagrams, title):
    diagram = diagrams[title]
    by_row = {}
    for box in diagram.boxes:
        by_row.setdefault(box.row, []).append(box.column)
    for columns in by_row.values():
        columns.sort()
        assert all(b - a >= 1 for a, b in zip(columns, columns[1:])), title  # a box is BOX_WIDTH < 1 wide
    for edge in diagram.edges:
        rows = [row for _, row in edge.path]
        assert rows == list(range(diagram.boxes[edge.source].row, diagram.boxes[edge.target].row + 1))
        assert edge.path[0][0] == diagram.boxes[edge.source].column and edge.path[-1][0] == diagram.boxes[edge.target].column
        for column, row in edge.path[1:-1]:  # the rows it passes: never where a box is
            assert all(abs(column - other) >= 1 for other in by_row[row]), (title, edge)
    # A box's row is the longest path to it: one below the lowest box it reads.
    for box in diagram.boxes[1:]:
        assert box.row == 1 + max(source.row for source in diagram.incoming(box))


class _SizeChecked(nn.Module):
    """A forward pass fx cannot trace: an ``if`` on the input's size."""

    def __init__(self):
        super().__init__()
        self.conv, self.relu, self.pool = nn.Conv2d(3, 8, 3), nn.ReLU(), nn.MaxPool2d(2)
        self.flatten, self.fc = nn.Flatten(), nn.Linear(8 * 3 * 3, 4)

    def forward(self, x):
        if x.shape[-1] < 8:
            raise ValueError("This network needs 8 pixels or more.")
        return self.fc(self.flatten(self.pool(self.relu(self.conv(x)))))


class _SizeCheckedConcat(_SizeChecked):
    def forward(self, x):
        if x.shape[-1] < 8:
            raise ValueError("This network needs 8 pixels or more.")
        return self.conv(torch.cat([x, x], 1)[:, :3])


def test_where_fx_cannot_trace_the_leaf_modules_calls_are_joined():
    diagram = network_diagram(_SizeChecked(), (3, 8, 8))
    assert not diagram.traced
    assert [box.label for box in diagram.boxes] == ["Input", "Conv 3×3, 8 + ReLU", "Max pool 2×2 /2 + flatten", "FC 4"]
    assert [box.shape for box in diagram.boxes] == [(3, 8, 8), (8, 6, 6), (72,), (4,)]
    assert diagram.total_parameters == _parameters(_SizeChecked())
    with pytest.raises(BlockDiagramError, match="cannot take an input of 3 × 4 × 4: This network needs 8 pixels"):
        network_diagram(_SizeChecked(), (3, 4, 4))
    with pytest.raises(BlockDiagramError, match="conv reads a tensor computed outside its layers"):
        network_diagram(_SizeCheckedConcat(), (3, 8, 8))


def test_captions_say_what_to_notice_with_the_models_numbers(structures, diagrams):
    captions = {title: block_diagram_view(title, diagrams[title]).caption for title in DIAGRAM_TITLES}
    vgg16 = structures["vgg16"]
    fc = round(_parameters(vgg16.net.classifier) / 1e6)
    assert captions["VGG-16"] == (f"13 convolutions, all 3×3, in 5 stages, each ending in a 2×2 max pool with stride 2; "
                                  f"3 FC layers hold {fc} M of its {round(_parameters(vgg16) / 1e6)} M parameters.")
    assert (fc, round(_parameters(vgg16) / 1e6)) == (124, 138)
    alexnet = structures["alexnet"]
    fc, total = round(_parameters(alexnet.net.classifier) / 1e6), round(_parameters(alexnet) / 1e6)
    assert captions["AlexNet"] == ("5 convolutions (11×11 with stride 4, 5×5, 3×3, 3×3, 3×3) in 3 stages, each ending in "
                                   f"a 3×3 max pool with stride 2; 3 FC layers hold {fc} M of its {total} M parameters.")
    assert (fc, total) == (59, 61)
    assert "6 of them 1×1" in captions["NiN"] and "no FC layer" in captions["NiN"]
    assert "each of the last 10 maps" in captions["NiN"]
    inception = captions["GoogLeNet: one Inception block (3a)"]
    assert inception.startswith("4 branches side by side: 1×1 conv (192 → 64 channels); 1×1 conv → 3×3 conv (192 → 96 → 128")
    assert "cut 192 channels to 96 and 16 before the 3×3" in inception and "64 + 128 + 32 + 32 = 256 channels" in inception
    residual = captions["ResNet-18: one residual block (with downsample)"]
    assert residual.startswith("Main path: 3×3 conv with stride 2 → 3×3 conv (64 → 128 → 128 channels). "
                               "Shortcut: 1×1 conv with stride 2 (64 → 128 channels), so the input matches")
    assert "narrows 256 channels to 128, so the 3×3 works on fewer" in captions["ResNet-50: one bottleneck block"]
    view = block_diagram_view("VGG-16", diagrams["VGG-16"])
    assert view.totals == "**138,357,544 parameters** in 22 boxes after the input; 3 × 224 × 224 in, 1,000 out."


# --- the figure -----------------------------------------------------------------------------------


def _extent(path: str) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1) of an SVG path's points."""
    numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", path)]
    xs, ys = numbers[0::2], numbers[1::2]
    return min(xs), max(xs), min(ys), max(ys)


@pytest.mark.parametrize("title", list(DIAGRAMS))
def test_the_figure_draws_one_box_per_box_with_its_label_and_shape_and_one_arrow_per_edge(diagrams, title):
    diagram = diagrams[title]
    figure = block_diagram_figure(diagram)
    layout = figure["layout"]
    boxes = {shape["name"]: _extent(shape["path"]) for shape in layout["shapes"] if shape["name"].startswith("box ")}
    assert sorted(boxes) == sorted(f"box {box.id}" for box in diagram.boxes)
    texts = {note["name"]: note["text"].replace("<br>", " ") for note in layout["annotations"] if "name" in note}
    chain = len({box.column for box in diagram.boxes}) == 1
    for box in diagram.boxes:
        if chain:  # a network's row reads like a table: label, shape, parameters
            assert (texts[f"label {box.id}"], texts[f"shape {box.id}"]) == (box.label, box.shape_text)
            assert texts[f"parameters {box.id}"] == (f"{box.parameters:,}" if box.parameters else "")
        else:
            # A block's box: its name, what is folded in ("+ BN + ReLU"), its shape, a line each.
            lines = [box.label] if box.kind == "merge" or not box.folded else [box.name, "+ " + " + ".join(box.folded)]
            assert texts[f"label {box.id}"] == " ".join([*lines, box.shape_text])
        x0, x1, _, _ = boxes[f"box {box.id}"]
        assert x1 - x0 == pytest.approx(BOX_WIDTH)
    # No two boxes overlap, and each arrowhead points down onto the top of its target box.
    extents = list(boxes.values())
    for i, (ax0, ax1, ay0, ay1) in enumerate(extents):
        for bx0, bx1, by0, by1 in extents[i + 1:]:
            assert ax1 <= bx0 or bx1 <= ax0 or ay1 <= by0 or by1 <= ay0, title
    heads = [note for note in layout["annotations"] if note.get("showarrow")]
    assert len(heads) == len(diagram.edges)
    for head, edge in zip(heads, diagram.edges):
        assert head["name"] == f"arrowhead {edge.source}-{edge.target}"
        assert head["ay"] < head["y"] == boxes[f"box {edge.target}"][2]  # y grows downwards: from above, onto the top
    # Text is at least 12 px, and the height grows with the rows.
    assert min(note["font"]["size"] for note in layout["annotations"] if "font" in note) >= 12
    assert layout["height"] == layout["yaxis"]["range"][0] + layout["margin"]["t"] + layout["margin"]["b"]


def test_a_deeper_network_is_a_taller_figure_and_every_kind_is_in_the_legend(diagrams):
    heights = {title: block_diagram_figure(diagrams[title])["layout"]["height"] for title in ("AlexNet", "VGG-16")}
    assert heights["VGG-16"] - heights["AlexNet"] == (23 - 13) * 40  # 40 px a row
    legend = [trace["name"] for trace in block_diagram_figure(diagrams["GoogLeNet: one Inception block (3a)"])["data"]
              if trace.get("showlegend", True) and trace["x"] == [None]]
    assert legend == ["input", "convolution", "pooling", "concat / add"]


def test_a_class_name_is_drawn_as_text_not_markup():
    class Odd(nn.Module):  # a user's model: its layer's class name is shown as it is
        def forward(self, x):
            return x

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.odd = Odd()
            self.conv = nn.Conv2d(3, 4, 1)

        def forward(self, x):
            return self.conv(self.odd(x))

    Odd.__name__ = "<b>Odd</b>"
    figure = block_diagram_figure(network_diagram(Net(), (3, 4, 4)))
    texts = [note["text"] for note in figure["layout"]["annotations"] if note.get("name", "").startswith("label")]
    assert "&lt;b&gt;Odd&lt;/b&gt;" in texts


def test_brackets_span_their_boxes_right_of_a_network_and_a_block_has_none(diagrams):
    diagram = diagrams["AlexNet"]
    figure = block_diagram_figure(diagram, brackets=[(1, 3, "stage <1>"), (4, 4, "the last")])
    layout = figure["layout"]
    shapes = {shape["name"]: _extent(shape["path"]) for shape in layout["shapes"]}
    texts = {note["name"]: note for note in layout["annotations"] if note.get("name", "").startswith("bracket")}
    assert [texts[name]["text"] for name in ("bracket 0", "bracket 1")] == ["stage &lt;1&gt;", "the last"]
    _, box_right, first_top, _ = shapes["box 1"]
    _, _, _, third_bottom = shapes["box 3"]
    x0, x1, top, bottom = shapes["bracket 0"]
    assert box_right < x0 < x1 < layout["xaxis"]["range"][1]  # right of the boxes, inside the figure
    assert (top, bottom) == (first_top, third_bottom)  # from the first box's top to the last one's bottom
    assert texts["bracket 0"]["y"] == (top + bottom) / 2
    block = diagrams["ResNet-18: one residual block (with downsample)"]
    assert not any(s["name"].startswith("bracket") for s in block_diagram_figure(block, brackets=[(1, 2, "x")])
                   ["layout"]["shapes"])
    # A long one breaks before its last arrow (on one line it ran past the edge at 1024 px, presenting).
    long = block_diagram_figure(diagram, brackets=[(1, 3, "[CONV → RELU] × 2 → POOL"), (4, 4, "FC → <FC>")])
    texts = [note["text"] for note in long["layout"]["annotations"] if note.get("name", "").startswith("bracket")]
    assert texts == ["[CONV → RELU] × 2<br>→ POOL", "FC → &lt;FC&gt;"]
