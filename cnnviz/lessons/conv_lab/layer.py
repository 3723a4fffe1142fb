"""The layer the 2-D tab's settings build for one input, checked: cnnviz.conv's own checks, then
the lab's limit on the output's size."""

from __future__ import annotations

from cnnviz import conv
from cnnviz.lessons.conv_lab.settings import Settings

# A transposed convolution can blow a 512 px photo up to 2600 px (a 167 MB cached result, 2 s): the
# lab refuses outputs with a side above this, with a sentence.
MAX_OUTPUT_SIDE = 1536


def lab_settings(operation: str, kernel_size: tuple[int, int], kwargs: dict, height: int,
                 width: int) -> tuple[conv.ConvSettings | None, list[str], str | None]:
    """Build and check the layer for an input of height x width.

    Args:
        operation: one of conv.OPERATIONS.
        kernel_size: (F_h, F_w).
        kwargs: settings_kwargs' dict.
        height, width: the input's size.

    Returns:
        (settings or None when they cannot be built, warnings, the refusing sentence or None).
        Settings built but refused for this input come back with the sentence, since the page
        still writes their formulas.
    """
    settings = None
    try:
        settings = conv.ConvSettings(operation=operation, kernel_size=kernel_size, **kwargs)
        return settings, settings.validate(height, width), None
    except conv.ConvSettingsError as error:
        return settings, [], str(error)


def too_large(settings: conv.ConvSettings, in_height: int, in_width: int) -> str | None:
    """The sentence refusing an output the lab will not draw (a side over MAX_OUTPUT_SIDE), or None."""
    _, out_h, out_w = settings.output_shape(in_height, in_width)
    if max(out_h, out_w) <= MAX_OUTPUT_SIDE:
        return None
    return (f"The output would be {out_h} x {out_w} pixels; the lab draws outputs up to {MAX_OUTPUT_SIDE} "
            "pixels a side: lower the stride, the dilation or the kernel, or use the numeric grid.")


def checked_layer(settings: Settings, channels: int, height: int,
                  width: int) -> tuple[conv.ConvSettings | None, list[str], str | None]:
    """The layer the settings build for a (channels, height, width) input, checked as the page
    checks it: lab_settings, then the lab's own size limit. Returns lab_settings' triple."""
    layer, warnings, refusal = lab_settings(settings.operation, settings.kernel_size,
                                            settings.layer_kwargs(channels), height, width)
    if refusal is None:
        refusal = too_large(layer, height, width)
    return layer, warnings, refusal
