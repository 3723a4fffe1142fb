"""What the feature-visualization page shows, computed without Streamlit: the methods and their
controls as one Plan, running it, and the pictures, numbers and sentences of the result.

    texts  what the page says whatever the method: introduction, method explanations, help
    plan   the controls' choices, the Plan they make, and running it on a network
    views  a run's pictures with captions, its sentence and status, measured on the pictures
"""

from __future__ import annotations

from cnnviz.lessons.feature_vis.plan import (
    BLUR_CHOICES,
    BLUR_SIGMA,
    DEFAULT_BLUR,
    DEFAULT_JITTER,
    DEFAULT_L2,
    DEFAULT_STEPS,
    DREAM_JITTER,
    DREAM_LARGEST,
    DREAM_SCALE,
    EVERY_CHANNEL,
    EVERY_CLASS,
    INVERSION_TV,
    ALL_CHANNELS,
    JITTER_CHOICES,
    dream_channel,
    dream_channel_options,
    READ_KINDS,
    first_dream_layer,
    spatial_layers,
    L2_CHOICES,
    LEARNING_RATES,
    MAX_EVERY_CLASS,
    MAX_INVERTED_LAYERS,
    MAX_PICTURES,
    Plan,
    SEED,
    STEP_CHOICES,
    TARGET_KINDS,
    channel_options,
    chosen_channels,
    chosen_classes,
    class_options,
    dream_side,
    inverted_layers,
    maximise_regularisation,
    method_regularisation,
    run,
)
from cnnviz.lessons.feature_vis.texts import (
    CURVE_CAPTION,
    DREAM_SOURCES,
    DREAM_WAITING,
    progress_text,
    INTRO,
    METHODS,
    METHOD_INTROS,
    NO_NETWORK,
    REGULARISERS,
    REGULARISE_HELP,
    REGULARISE_LABEL,
    RUN_HELP,
    STOP_HELP,
    TRY_THIS,
    UNREGULARISED,
    WAITING,
)
from cnnviz.lessons.feature_vis.views import (
    LAYER_NAMES,
    TILE_COLUMNS,
    TILE_COLUMNS_PRESENTING,
    TILE_SIDE,
    ResultView,
    Tile,
    as_picture,
    layer_name,
    result_view,
    row_length,
    status,
    strip,
)
from cnnviz.lessons.inside.embeddings import tile_rows  # the tiles in rows, as Inside lays out neighbours
