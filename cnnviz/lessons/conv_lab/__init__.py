"""The Convolution lab's lesson: its controls as Settings, and compute(), which turns them and the
input into the Result the page draws: the layer, its formulas and counts, the output and the
pictures. The player's cell (cell_view), the 1-D tab (signal_lesson) and the 1x1 tab
(pointwise_lesson) are computed here too, so pages/conv_lab.py only lays widgets and figures out.

Outputs are (channels, height, width) and may be non-square, so every mapping keeps rows and
columns apart.

The package is read as one module (cnnviz.lessons.conv_lab.X); each idea lives in its own file:

    texts               what the page says: the introduction, formula, hints and the tabs' introductions
    settings            the 2-D tab's controls: the ranges and menus its widgets offer, and Settings
    layer               the layer the settings build for an input, checked, and the lab's output limit
    inputs              the numeric grid or a photo as the (C, H, W) input, and the photos' size limit
    arithmetic_section  the Arithmetic section: size formulas, 'same' padding, parameters, the torch layer, counts
    worked_sizes        the size formula on an input of any side, through textbook chains of layers
    result              compute(): settings + input -> the 2-D tab's Result
    player              the step-by-step player's moves: reading order, buttons, clicks, speeds
    crop                the player's zoom on a photo: a readable tile around the current cell
    player_view         the player at one output cell: its window, texts, scatter reading, figures
    one_d               the 1-D tab
    pointwise           the 1x1 tab

Metric (one number under the formulas) is cnnviz.lessons.metric's, shared with other lessons.
A test that patches a constant patches it in the file that reads it (e.g. inputs.MAX_PHOTO_SIDE).
"""

from __future__ import annotations

from cnnviz.lessons.conv_lab.arithmetic_section import (
    Arithmetic,
    SamePadding,
    arithmetic,
    broken,
)
from cnnviz.lessons.conv_lab.crop import (
    MAX_TILE,
    Crop,
    crop_of,
    tile_side,
)
from cnnviz.lessons.conv_lab.inputs import (
    MAX_PHOTO_SIDE,
    grid_input,
    photo_input,
)
from cnnviz.lessons.conv_lab.layer import (
    MAX_OUTPUT_SIDE,
    checked_layer,
    lab_settings,
    too_large,
)
from cnnviz.lessons.conv_lab.one_d import (
    KERNEL_TEXTS,
    LONGEST_KERNEL_1D,
    SIGNAL_DILATIONS,
    SIGNAL_PADDINGS,
    SIGNAL_STRIDES,
    SIGNAL_TEXTS,
    Signal,
    number_list,
    signal_lesson,
)
from cnnviz.lessons.conv_lab.player import (
    CHANNEL_NAMES,
    PAUSE_BUTTON,
    PLAYER_BUTTONS,
    SPEEDS,
    PlayerCell,
    cell_at,
    channel_label,
    clicked_position,
    played,
    player_buttons,
    position_of,
    pressed,
    stepped,
)
from cnnviz.lessons.conv_lab.player_view import (
    SCATTER_TERMS,
    CellTexts,
    CellView,
    PlayerFigures,
    Window,
    cell_texts,
    cell_view,
    player_figures,
    scatter_text,
    window_of,
)
from cnnviz.lessons.conv_lab.pointwise import (
    PIXEL_COLS,
    PIXEL_ROWS,
    POINTWISE_OUTPUTS,
    POINTWISE_PATCH,
    POINTWISE_WEIGHTS,
    Pointwise,
    pointwise_lesson,
)
from cnnviz.lessons.conv_lab.result import (
    Result,
    applied_kernels,
    compute,
)
from cnnviz.lessons.conv_lab.settings import (
    BIASES,
    BIAS_STEP,
    DEFAULT,
    DILATIONS,
    FALLBACK_PHOTO,
    GRID_PRESET,
    GRID_SIZES,
    GROUPS,
    GROUP_CAPTIONS,
    KERNEL_SIDES,
    OPERATIONS,
    OUTPUT_PADDINGS,
    PADDINGS,
    PHOTO_INDEX,
    PHOTO_PRESET,
    SOURCES,
    STRIDES,
    Settings,
    default_preset,
    is_pool,
    offers_groups,
    offers_per_channel,
    settings_kwargs,
)
from cnnviz.lessons.conv_lab.texts import (
    EDIT_GRID,
    FLIP_HELP,
    FORMULA,
    INTRO,
    INTRO_LABEL,
    NO_LAYER_TO_SIZE,
    ONE_D_INTRO,
    PICTURES_NOTE,
    POINTWISE_INTRO,
    POINTWISE_WEIGHTS_NOTE,
    POOLING_HAS_NO_WEIGHTS,
    SCRUB_HELP,
    SIZE_FORMULA,
    TAB_KEY,
    TAB_PREFIXES,
    TABS,
    SAME_PADDING_TITLE,
    TRY_FIRST,
    UPLOAD_LABEL,
    UPLOAD_WAITING,
    WORKED_SIZES_INTRO,
    WORKED_SIZES_TITLE,
    tab_for_link,
)
from cnnviz.lessons.conv_lab.worked_sizes import (
    INPUT_SIDES,
    SIZE_CHOICES,
    SIZE_EXAMPLES,
    YOUR_LAYER,
    SizeExample,
    WorkedSizes,
    WorkedStep,
    size_chain,
    size_example,
)
from cnnviz.lessons.metric import Metric

__all__ = [
    "Arithmetic",
    "INPUT_SIDES",
    "NO_LAYER_TO_SIZE",
    "SAME_PADDING_TITLE",
    "SIZE_CHOICES",
    "SIZE_EXAMPLES",
    "SamePadding",
    "SizeExample",
    "WORKED_SIZES_INTRO",
    "WORKED_SIZES_TITLE",
    "WorkedSizes",
    "WorkedStep",
    "YOUR_LAYER",
    "size_chain",
    "size_example",
    "BIASES",
    "BIAS_STEP",
    "CHANNEL_NAMES",
    "CellTexts",
    "CellView",
    "Crop",
    "DEFAULT",
    "DILATIONS",
    "EDIT_GRID",
    "FALLBACK_PHOTO",
    "FLIP_HELP",
    "FORMULA",
    "GRID_PRESET",
    "GRID_SIZES",
    "GROUPS",
    "GROUP_CAPTIONS",
    "INTRO",
    "INTRO_LABEL",
    "KERNEL_SIDES",
    "KERNEL_TEXTS",
    "LONGEST_KERNEL_1D",
    "MAX_OUTPUT_SIDE",
    "MAX_PHOTO_SIDE",
    "MAX_TILE",
    "Metric",
    "ONE_D_INTRO",
    "OPERATIONS",
    "OUTPUT_PADDINGS",
    "PADDINGS",
    "PAUSE_BUTTON",
    "PHOTO_INDEX",
    "PHOTO_PRESET",
    "PICTURES_NOTE",
    "PIXEL_COLS",
    "PIXEL_ROWS",
    "PLAYER_BUTTONS",
    "POINTWISE_INTRO",
    "POINTWISE_OUTPUTS",
    "POINTWISE_PATCH",
    "POINTWISE_WEIGHTS",
    "POINTWISE_WEIGHTS_NOTE",
    "POOLING_HAS_NO_WEIGHTS",
    "PlayerCell",
    "PlayerFigures",
    "Pointwise",
    "Result",
    "SCATTER_TERMS",
    "SCRUB_HELP",
    "SIGNAL_DILATIONS",
    "SIZE_FORMULA",
    "SIGNAL_PADDINGS",
    "SIGNAL_STRIDES",
    "SIGNAL_TEXTS",
    "SOURCES",
    "SPEEDS",
    "STRIDES",
    "Settings",
    "Signal",
    "TAB_KEY",
    "TAB_PREFIXES",
    "TABS",
    "TRY_FIRST",
    "UPLOAD_LABEL",
    "UPLOAD_WAITING",
    "Window",
    "applied_kernels",
    "arithmetic",
    "broken",
    "cell_at",
    "cell_texts",
    "cell_view",
    "channel_label",
    "checked_layer",
    "clicked_position",
    "compute",
    "crop_of",
    "default_preset",
    "grid_input",
    "is_pool",
    "lab_settings",
    "number_list",
    "offers_groups",
    "offers_per_channel",
    "photo_input",
    "played",
    "tab_for_link",
    "player_buttons",
    "player_figures",
    "pointwise_lesson",
    "position_of",
    "pressed",
    "scatter_text",
    "settings_kwargs",
    "signal_lesson",
    "stepped",
    "tile_side",
    "too_large",
    "window_of",
]
