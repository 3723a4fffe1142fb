"""What the Inside page shows of one image going through a trained network, computed without
Streamlit: the image the model sees, its predictions, every layer's output, the kernels, the
attribution titles, and the confusion matrix with the mistakes behind each cell.

pages/inside.py only reads its widgets, calls these functions and draws what they return. Every
number and sentence a student reads is made here, so a unit test can hold it against torch or a
worked example. Sentences that quote a checkpoint's class names take ``quote``: the function that
turns such a name into markup showing exactly its text (the page passes dashboard.markup.escape),
since a checkpoint is a file anyone can upload.

The package is read as one module (cnnviz.lessons.inside.X); each idea lives in its own file:

    texts             what the page says whatever the view, the views' names, the Quote type
    image_choice      the image sources, the test set's boxes, the picture prepared for the model
    drawing           the "Draw your own" source: the canvas's grid checked and prepared for the model
    predictions       the ranked classes, the verdict sentence, the probability bars
    chart_clicks      a chart's click followed once (channel grid, confusion heatmap)
    layer_outputs     the Layer outputs view: the layer menu, one step's maps, one channel large
    unit              that view's "How one unit was computed": the unit, and it recomputed by hand
    normalisation     the normalize step: its mean and std, the formula at a pixel, three pictures
    kernels           the Kernels view: a layer's kernels trained and untrained, the snapshots
    attribution       the Attribution view: the class to explain, the title, each method's caption
    confusion_matrix  the Confusion matrix view: the matrix and scores, the cell, its gallery
    distribution_shift  the Distribution shift view: test images rotated, shifted, inverted, noisy
    depth             early to late layers: each convolution's strongest unit and the window it sees
    dataset_examples  that view's test images that excite the chosen channel most, cut to its field
    embeddings        the Embeddings view: the test set in feature space, an image's nearest neighbours
"""

from __future__ import annotations

from cnnviz.lessons.inside.attribution import (
    CAPTUM,
    GRADCAM_LAYER_HELP,
    METHOD_EXPLANATIONS,
    NO_GRADCAM_LAYER,
    OPACITY,
    PREDICTED_CLASS,
    attribution_target,
    attribution_targets,
    attribution_title,
    method_caption,
)
from cnnviz.lessons.inside.chart_clicks import followed_click
from cnnviz.lessons.inside.confusion_matrix import (
    CONFUSION_SHOWS,
    GALLERY_COLUMNS,
    GALLERY_COLUMNS_PRESENTING,
    GALLERY_SIDE,
    GALLERY_SIZE,
    NO_TEST_SET,
    SCORE_COLUMNS,
    SCORES_CAPTION,
    UNDEFINED_SCORES,
    Confusion,
    Gallery,
    Tile,
    cell_of,
    cell_to_show,
    confusion,
    confusion_refusal,
    explained,
    gallery,
)
from cnnviz.lessons.inside.dataset_examples import (
    OPEN_HELP,
    TOP_COLUMNS,
    TOP_HEADING,
    TOP_SIDE,
    TopImagesView,
    TopTile,
    opened_top_image,
    top_images_refusal,
    top_images_view,
)
from cnnviz.lessons.inside.depth import (
    DEPTH_COLUMNS,
    DEPTH_INTRO,
    DEPTH_TITLE,
    MAX_STEPS,
    NO_FIELDS,
    DepthStep,
    depth_sentence,
    depth_steps,
    field_window,
    spaced,
)
from cnnviz.lessons.inside.distribution_shift import (
    EXAMPLES_CAPTION,
    PHOTO_NOTE,
    SHIFT_INTRO,
    SHIFTS,
    TEST_IMAGES,
    ShiftCurve,
    changed,
    shift_curve,
    strength_text,
)
from cnnviz.lessons.inside.embeddings import (
    EMBED_INTRO,
    FEATURE_HEADING,
    NEIGHBOUR_CHOICES,
    PIXEL_HEADING,
    PROJECTIONS,
    TILE_COLUMNS,
    EmbeddingView,
    NeighbourTile,
    clicked_test_image,
    embedding_refusal,
    embedding_view,
    opened_test_image,
    tile_rows,
)
from cnnviz.lessons.inside.drawing import (
    BAD_DRAWING,
    DRAW_NOTE,
    DRAW_SOURCE,
    DRAW_WAITING,
    DRAWING_NOTE,
    DrawingError,
    draws_white_on_black,
    drawn_input,
    drawn_pixels,
)
from cnnviz.lessons.inside.image_choice import (
    ANY_CLASS,
    INVERT_CHOICES,
    INVERT_HELP,
    SEEN_SIDE,
    SOURCES,
    UPLOAD_WAITING,
    Input,
    _seen_caption,
    class_filter_options,
    dataset_input,
    enlarged,
    image_numbers,
    invert_default,
    load_test_set,
    photo_input,
    random_test_index,
    sources,
    to_picture,
)
from cnnviz.lessons.inside.kernels import (
    KERNEL_NORMALISATIONS,
    NO_CONVOLUTION,
    NO_SNAPSHOTS,
    UNTRAINED_TITLE,
    KernelView,
    conv_layer_names,
    kernel_view,
)
from cnnviz.lessons.inside.layer_outputs import (
    CHANNEL_ORDERS,
    CHANNEL_SCALES,
    GRID_CHANNELS,
    LAYERS_INTRO,
    ChannelDetail,
    LayerView,
    channel_detail,
    channel_to_show,
    first_layer_shown,
    layer_labels,
    layer_view,
)
from cnnviz.lessons.inside.normalisation import (
    FORMULA,
    NORMALIZE_KIND,
    PICTURE_TITLES,
    PICTURES_CAPTION,
    ChannelNumbers,
    NormalisationView,
    normalisation_view,
    normalize_step,
    statistics_source,
)
from cnnviz.lessons.inside.predictions import SOFTMAX_CAPTION, TOP_K_SHOWN, Bars, Prediction, prediction
from cnnviz.lessons.inside.texts import INTRO, NO_TRAINED_MODEL, TRY_THIS, VIEWS, Quote
from cnnviz.lessons.inside.unit import (
    CONV_LAB_LABEL,
    SHOWN_CHANNELS,
    UNIT_HEADING,
    UNIT_INTRO,
    VECTOR_INTRO,
    UnitView,
    centre_unit,
    chosen_unit,
    conv_lab_link,
    unit_view,
)

__all__ = [
    # texts
    "INTRO", "NO_TRAINED_MODEL", "TRY_THIS", "VIEWS", "Quote",
    # image_choice
    "ANY_CLASS", "INVERT_CHOICES", "INVERT_HELP", "SEEN_SIDE", "SOURCES", "UPLOAD_WAITING", "Input",
    "class_filter_options", "dataset_input", "enlarged", "image_numbers", "invert_default", "load_test_set",
    "photo_input", "random_test_index", "sources", "to_picture",
    # drawing
    "BAD_DRAWING", "DRAW_NOTE", "DRAW_SOURCE", "DRAW_WAITING", "DRAWING_NOTE", "DrawingError", "draws_white_on_black", "drawn_input",
    "drawn_pixels",
    # predictions
    "SOFTMAX_CAPTION", "TOP_K_SHOWN", "Bars", "Prediction", "prediction",
    # chart_clicks
    "followed_click",
    # layer_outputs
    "CHANNEL_ORDERS", "CHANNEL_SCALES", "GRID_CHANNELS", "LAYERS_INTRO", "ChannelDetail", "LayerView",
    "channel_detail", "channel_to_show", "first_layer_shown", "layer_labels", "layer_view",
    # unit
    "CONV_LAB_LABEL", "SHOWN_CHANNELS", "UNIT_HEADING", "UNIT_INTRO", "VECTOR_INTRO", "UnitView",
    "centre_unit", "chosen_unit", "conv_lab_link", "unit_view",
    # normalisation
    "FORMULA", "NORMALIZE_KIND", "PICTURE_TITLES", "PICTURES_CAPTION", "ChannelNumbers", "NormalisationView",
    "normalisation_view", "normalize_step", "statistics_source",
    # kernels
    "KERNEL_NORMALISATIONS", "NO_CONVOLUTION", "NO_SNAPSHOTS", "UNTRAINED_TITLE", "KernelView", "conv_layer_names",
    "kernel_view",
    # attribution
    "CAPTUM", "GRADCAM_LAYER_HELP", "METHOD_EXPLANATIONS", "NO_GRADCAM_LAYER", "OPACITY", "PREDICTED_CLASS",
    "attribution_target", "attribution_targets", "attribution_title", "method_caption",
    # depth
    "DEPTH_COLUMNS", "DEPTH_INTRO", "DEPTH_TITLE", "MAX_STEPS", "NO_FIELDS", "DepthStep", "depth_sentence", "depth_steps",
    "field_window", "spaced",
    # dataset_examples
    "OPEN_HELP", "TOP_COLUMNS", "TOP_HEADING", "TOP_SIDE", "TopImagesView", "TopTile",
    "opened_top_image", "top_images_refusal", "top_images_view",
    # distribution_shift
    "EXAMPLES_CAPTION", "PHOTO_NOTE", "SHIFT_INTRO", "SHIFTS", "TEST_IMAGES", "ShiftCurve", "changed", "shift_curve", "strength_text",
    # embeddings
    "EMBED_INTRO", "FEATURE_HEADING", "NEIGHBOUR_CHOICES", "PIXEL_HEADING", "PROJECTIONS", "TILE_COLUMNS",
    "EmbeddingView", "NeighbourTile", "clicked_test_image", "embedding_refusal", "embedding_view", "opened_test_image",
    "tile_rows",
    # confusion_matrix
    "CONFUSION_SHOWS", "GALLERY_COLUMNS", "GALLERY_COLUMNS_PRESENTING", "GALLERY_SIDE", "GALLERY_SIZE", "NO_TEST_SET", "SCORE_COLUMNS",
    "SCORES_CAPTION", "UNDEFINED_SCORES", "Confusion", "Gallery", "Tile", "cell_of", "cell_to_show", "confusion",
    "confusion_refusal", "explained", "gallery",
]
# _seen_caption is imported above too: the helper's name the single module had still resolves here.
