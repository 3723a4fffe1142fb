"""The Receptive fields page's lesson: its settings, and every number, row and sentence it shows.

The page draws; this module computes. Each tab has a frozen Settings (its fields are the tab's URL
parameters without the "rf_" prefix), the ranges and menus its widgets offer, and a compute
function returning a frozen Result: the recurrence of one layer undone to the field it received,
the input rows and columns one unit sees, the effective field's share, the field table and charts,
the small-kernels stacks, the builder's rows and totals, and the counts of every zoo network. Rows
and columns are worked out separately, so a non-square kernel, stride, padding or dilation shows
the right numbers on each axis.

The package is read as one module (cnnviz.lessons.receptive_fields.X); each idea lives in its own file:

    texts                  what the page says above its tabs, the tabs' titles, the URL parameters' prefix
    display                table rows as a table widget's dicts, the field-size chart's data
    recurrence             one layer's recurrence and one unit's field, worked out per axis in sentences
    field_on_your_image    the "Field on your image" tab: menus, the unit grid, everything shown of a unit
    small_kernels_stacked  the "Small kernels, stacked" tab: 3x3 stacks against one 7x7
    build_a_stack          the "Build a stack" tab: presets, the table editor, the typed stack counted
                           through its fc layers, and its place in the CNN pattern
    count_the_networks     the "Count the networks" tab: one network's counts and the zoo side by side
    block_diagrams         that tab's block diagrams: the menu, and each diagram's caption and totals
"""

from __future__ import annotations

from cnnviz.lessons.receptive_fields.build_a_stack import (
    BUILDER_INTRO,
    CHANNELS_HELP,
    EDITOR_LABELS,
    EDITS_UNREADABLE,
    INPUT_CHANNELS,
    INPUT_SIZE_DEFAULT,
    INPUT_SIZE_INPUT,
    INPUT_SIZE_RANGE,
    PRESETS,
    SETTING_RANGES,
    STACK_KINDS,
    BuilderResult,
    BuilderRow,
    BuilderSettings,
    PatternView,
    builder,
    builder_totals_text,
    fc_note,
    pattern_view,
    preset_records,
)
from cnnviz.lessons.receptive_fields.block_diagrams import (
    DEFAULT_DIAGRAM,
    DIAGRAM_TITLES,
    DiagramView,
    block_diagram_view,
    diagram_caption,
)
from cnnviz.lessons.receptive_fields.count_the_networks import (
    COUNT_CONVENTIONS,
    MB,
    ComparisonRow,
    CountResult,
    CountSettings,
    Metric,
    NetworkSummary,
    count,
    network_summary,
)
from cnnviz.lessons.receptive_fields.display import SizeChart, records
from cnnviz.lessons.receptive_fields.field_on_your_image import (
    DEFAULT_NETWORK,
    GROWTH_TITLE,
    MOST_STAGES,
    SIZE_CHART_CAPTION,
    SOURCES,
    UPLOAD_WAITING,
    ChosenLayer,
    FieldResult,
    FieldSettings,
    FieldTableRow,
    LayerMenu,
    NetworkMenu,
    _centre,
    chosen_layer,
    clamp_unit,
    clicked_unit,
    field_view,
    layer_menu,
    network_menu,
    network_titles,
    prepare,
    stage_ends,
)
from cnnviz.lessons.receptive_fields.recurrence import (
    EFFECTIVE_SHARE,
    MERGE_KINDS,
    AxisStep,
    RecurrenceStep,
    UnitField,
    _clickable,
    axis_step,
    effective_field_text,
    pair_text,
    recurrence_step,
    unit_field,
    visible_pixels,
)
from cnnviz.lessons.receptive_fields.small_kernels_stacked import (
    LESSON_CHANNELS_DEFAULT,
    LESSON_CHANNELS_INPUT,
    LESSON_CHANNELS_RANGE,
    LESSON_CHANNELS_STEP,
    LESSON_INPUT_SIZE,
    SINGLE_WEIGHTS_PER_C2,
    SMALL_KERNELS_TEXT,
    STACKED_WEIGHTS_PER_C2,
    SmallKernelsResult,
    SmallKernelsSettings,
    StackRow,
    small_kernels,
)
from cnnviz.lessons.receptive_fields.texts import (
    EXPLANATION_TITLE,
    INTRO,
    NOTATION,
    PARAMETER_PREFIX,
    RECURRENCE,
    TAB_KEY,
    TAB_PREFIXES,
    TABS,
    TRY_THIS,
    tab_for_link,
)

__all__ = [
    # texts
    "EXPLANATION_TITLE", "INTRO", "NOTATION", "PARAMETER_PREFIX", "RECURRENCE", "TAB_KEY", "TAB_PREFIXES", "TABS", "TRY_THIS", "tab_for_link",
    # display
    "SizeChart", "records",
    # recurrence
    "EFFECTIVE_SHARE", "MERGE_KINDS", "AxisStep", "RecurrenceStep", "UnitField", "axis_step", "effective_field_text",
    "pair_text", "recurrence_step", "unit_field", "visible_pixels",
    # field_on_your_image
    "DEFAULT_NETWORK", "GROWTH_TITLE", "MOST_STAGES", "SIZE_CHART_CAPTION", "SOURCES", "UPLOAD_WAITING", "ChosenLayer",
    "FieldResult", "FieldSettings", "FieldTableRow", "LayerMenu", "NetworkMenu", "chosen_layer", "clamp_unit",
    "clicked_unit", "field_view", "layer_menu", "network_menu", "network_titles", "prepare", "stage_ends",
    # small_kernels_stacked
    "LESSON_CHANNELS_DEFAULT", "LESSON_CHANNELS_INPUT", "LESSON_CHANNELS_RANGE", "LESSON_CHANNELS_STEP",
    "LESSON_INPUT_SIZE", "SINGLE_WEIGHTS_PER_C2", "SMALL_KERNELS_TEXT", "STACKED_WEIGHTS_PER_C2",
    "SmallKernelsResult", "SmallKernelsSettings", "StackRow", "small_kernels",
    # build_a_stack
    "BUILDER_INTRO", "CHANNELS_HELP", "EDITOR_LABELS", "EDITS_UNREADABLE", "INPUT_CHANNELS", "INPUT_SIZE_DEFAULT",
    "INPUT_SIZE_INPUT", "INPUT_SIZE_RANGE", "PRESETS", "SETTING_RANGES", "STACK_KINDS", "BuilderResult", "BuilderRow", "BuilderSettings",
    "PatternView", "builder", "builder_totals_text", "fc_note", "pattern_view", "preset_records",
    # block_diagrams
    "DEFAULT_DIAGRAM", "DIAGRAM_TITLES", "DiagramView", "block_diagram_view", "diagram_caption",
    # count_the_networks
    "COUNT_CONVENTIONS", "MB", "ComparisonRow", "CountResult", "CountSettings", "Metric", "NetworkSummary", "count",
    "network_summary",
]
# _centre and _clickable are imported above too: the helpers' names the single module had still resolve here.
