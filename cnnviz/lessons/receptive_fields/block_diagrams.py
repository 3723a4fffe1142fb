"""The "Count the networks" tab's block diagrams: the menu, and per diagram a caption saying what to
notice and the totals, every number read off the diagram (cnnviz.block_diagram)."""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz.block_diagram import DIAGRAMS, BlockDiagram, Box

DIAGRAM_TITLES = tuple(DIAGRAMS)
DEFAULT_DIAGRAM = DIAGRAM_TITLES[0]


@dataclass(frozen=True)
class DiagramView:
    """What the page shows under "Block diagram".

    Attributes:
        title: the menu entry. caption: one line on what to notice. totals: parameters, input and
        output. diagram: the BlockDiagram to draw.
    """

    title: str
    caption: str
    totals: str
    diagram: BlockDiagram


def _millions(count: int) -> str:
    return f"{count / 1e6:.0f} M" if count >= 10e6 else f"{count / 1e6:.1f} M" if count >= 1e6 else f"{count:,}"


def _kernel(box: Box) -> str:
    return f"{box.kernel[0]}×{box.kernel[1]}" if box.kernel else ""


def _strided(box: Box) -> str:
    stride = box.stride or (1, 1)
    if stride == (1, 1):
        return ""
    return f" with stride {stride[0]}" if stride[0] == stride[1] else f" with stride {stride[0]}×{stride[1]}"


def _step(box: Box) -> str:
    """A box in a path, said short: "1×1 conv", "3×3 conv with stride 2", "3×3 max pool"."""
    if box.kind == "conv":
        return f"{_kernel(box)} conv{_strided(box)}"
    if box.kind == "pool" and box.kernel:
        return f"{_kernel(box)} {box.name.split(' pool')[0].lower()} pool"
    return box.name


def _path(boxes: tuple[Box, ...], channels_in: int) -> str:
    """ "1×1 conv → 3×3 conv (192 → 96 → 128 channels)", or "the input itself" for an empty path."""
    if not boxes:
        return "the input itself"
    channels = " → ".join(str(c) for c in (channels_in, *(box.shape[0] for box in boxes)))
    return f"{' → '.join(_step(box) for box in boxes)} ({channels} channels)"


def _network_caption(diagram: BlockDiagram) -> str:
    convs, fcs = diagram.of_kind("conv"), diagram.of_kind("fc")
    kernels = [_kernel(box) for box in convs]
    if len(set(kernels)) == 1:
        text = f"{len(convs)} convolutions, all {kernels[0]},"
    elif "1×1" in kernels:
        text = (f"{len(convs)} convolutions, {kernels.count('1×1')} of them 1×1 (a small MLP across the channels "
                "at every pixel)")
    else:
        text = f"{len(convs)} convolutions ({', '.join(f'{_kernel(box)}{_strided(box)}' for box in convs)})"
    windows = [box for box in diagram.of_kind("pool") if box.kernel]  # not the adaptive or global ones
    stages, run = [], 0
    for box in diagram.boxes:
        run += box.kind == "conv"
        if box in windows:
            stages, run = [*stages, run], 0
    if windows and run == 0 and min(stages) > 0 and len({_step(box) + _strided(box) for box in windows}) == 1:
        text += f" in {len(stages)} stages, each ending in a {_step(windows[0])}{_strided(windows[0])}"
    elif windows:
        text += f", {len(windows)} pools between them ({', '.join(_step(box) + _strided(box) for box in windows)})"
    if fcs:
        held = sum(box.parameters for box in fcs)
        text += (f"; {len(fcs)} FC layers hold {_millions(held)} of its {_millions(diagram.total_parameters)} "
                 "parameters")
    elif (ending := [box for box in diagram.of_kind("pool") if box.name.startswith("Global")]):
        text += (f"; no FC layer: a global average turns each of the last {ending[-1].shape[0]} maps into one "
                 "output")
    return text + "."


def _concat_caption(diagram: BlockDiagram, merge: Box) -> str:
    channels_in = diagram.input_shape[0]
    branches = diagram.branches(merge)
    text = f"{len(branches)} branches side by side: {'; '.join(_path(branch, channels_in) for branch in branches)}."
    bottlenecks = [(branch[i], branch[i + 1]) for branch in branches for i in range(len(branch) - 1)
                   if branch[i].kind == branch[i + 1].kind == "conv" and branch[i].kernel == (1, 1) != branch[i + 1].kernel]
    if bottlenecks:
        cut = " and ".join(str(first.shape[0]) for first, _ in bottlenecks)
        larger = " and ".join(sorted({_kernel(after) for _, after in bottlenecks}))
        text += f" The 1×1 bottlenecks cut {channels_in} channels to {cut} before the {larger} convolutions;"
    stacked = " + ".join(str(branch[-1].shape[0] if branch else channels_in) for branch in branches)
    return text + f" Concat stacks {stacked} = {merge.shape[0]} channels of {' × '.join(map(str, merge.shape[1:]))}."


def _residual_caption(diagram: BlockDiagram, merge: Box) -> str:
    channels_in = diagram.input_shape[0]
    main, *shortcuts = sorted(diagram.branches(merge), key=len, reverse=True)
    text = f"Main path: {_path(main, channels_in)}"
    if main and main[0].kind == "conv" and main[0].kernel == (1, 1) and main[0].shape[0] < channels_in:
        text += (f"; its first 1×1 narrows {channels_in} channels to {main[0].shape[0]}, so the {_kernel(main[1])} "
                 "works on fewer")
    shortcut = shortcuts[0] if shortcuts else ()
    matched = "so the input matches" if shortcut else "which already matches"
    text += (f". Shortcut: {_path(shortcut, channels_in)}, {matched} the main path's {merge.shape_text}; "
             "the two are added (+)")
    return text + (f" element by element, then {' + '.join(merge.folded)}." if merge.folded else " element by element.")


def diagram_caption(diagram: BlockDiagram) -> str:
    """One line on what to notice: the convolutions, stages and FC share of a network; the
    branches and bottlenecks of an Inception block; the two paths of a residual block."""
    merges = diagram.of_kind("merge")
    if merges and merges[-1].name == "Concat":
        return _concat_caption(diagram, merges[-1])
    if merges and merges[-1].name.startswith("Add"):
        return _residual_caption(diagram, merges[-1])
    return _network_caption(diagram)


def block_diagram_view(title: str, diagram: BlockDiagram) -> DiagramView:
    """What the page shows for the menu's ``title`` (a key of block_diagram.DIAGRAMS) and its diagram."""
    totals = (f"**{diagram.total_parameters:,} parameters** in {len(diagram.boxes) - 1} boxes after the input; "
              f"{' × '.join(map(str, diagram.input_shape))} in, {diagram.output.shape_text} out.")
    return DiagramView(title, diagram_caption(diagram), totals, diagram)
