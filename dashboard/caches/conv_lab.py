"""The Convolution lab's caches: its input and its result per settings."""

from __future__ import annotations

import streamlit as st

from cnnviz import images
from dashboard.caches import sample_image, uploaded_image

# Keyed on primitives: the input's identity (sample name, upload file id, or the grid's numbers),
# the kernels as tuples, the bias and the frozen ConvSettings (hashed field by field). Stepping
# the animation never calls these: the page hands the result to its player fragment once.

LAB_MAX_SIDE = 512  # photos in the lab are shrunk to this: every rerun stays fast
# A transposed convolution can blow a 512 px photo up to 2600 px (a 167 MB cached result, 2 s):
# the lab refuses outputs with a side above this, with a sentence.
LAB_MAX_OUTPUT_SIDE = 1536


def too_large(settings, in_height: int, in_width: int) -> str | None:
    """The sentence refusing an output the lab will not draw (a side over LAB_MAX_OUTPUT_SIDE), or None."""
    _, out_h, out_w = settings.output_shape(in_height, in_width)
    if max(out_h, out_w) <= LAB_MAX_OUTPUT_SIDE:
        return None
    return (f"The output would be {out_h} x {out_w} pixels; the lab draws outputs up to {LAB_MAX_OUTPUT_SIDE} "
            "pixels a side: lower the stride, the dilation or the kernel, or use the numeric grid.")


@st.cache_data(max_entries=8, show_spinner=False)
def lab_input(source: str, name: str, grey: bool, grid: tuple | None = None, _upload: bytes | None = None):
    """The lab's input as float32 (C, H, W) in [0, 1] (grid: the numbers as typed).

    Args:
        source: "photo" (name = a sample name), "upload" (name = the upload's file id, bytes in
            _upload) or "grid" (grid = rows of numbers).
        grey: use one grey channel instead of RGB.

    Raises:
        cnnviz.images.ImageError: an upload that cannot be decoded.
    """
    import numpy as np

    if source == "grid":
        return np.asarray(grid, dtype=np.float32)[None]  # (1, H, W)
    picture = sample_image(name) if source == "photo" else uploaded_image(_upload)
    picture = images.shrink_to(picture, LAB_MAX_SIDE)
    picture = picture.convert("L" if grey else "RGB")
    pixels = images.to_array(picture)  # (H, W) or (H, W, 3)
    return pixels[None] if pixels.ndim == 2 else np.ascontiguousarray(pixels.transpose(2, 0, 1))


@st.cache_data(max_entries=8, show_spinner="Convolving...")
def result(source: str, name: str, grey: bool, grid: tuple | None, kernels: tuple | None, bias: float,
                    settings, _upload: bytes | None = None) -> dict:
    """Everything the lab draws for one set of inputs and settings, computed once.

    Returns:
        dict with x (C_in, H, W), weight (weight_shape or None), bias (C_out,) or None,
        output (C_out, H_out, W_out), grid and kinds (the sliding grid, cnnviz.conv.sliding_grid),
        and for photos the encoded pictures input_layer / output_layer (conv_figures.PhotoLayer).

    Raises:
        cnnviz.conv.ConvSettingsError: settings with no output.
    """
    import numpy as np
    import torch

    from cnnviz import conv
    from cnnviz.figures import conv_figures

    x = lab_input(source, name, grey, grid, _upload=_upload)
    weight = bias_values = None
    if not settings.is_pool:
        weight = conv.weight_from_channel_kernels(np.asarray(kernels, dtype=np.float32), settings)
        if settings.bias:
            bias_values = np.full(settings.out_channels, bias, dtype=np.float32)
    with torch.inference_mode():
        output = conv.apply(
            torch.from_numpy(x)[None],  # (1, C_in, H, W)
            None if weight is None else torch.from_numpy(weight),
            None if bias_values is None else torch.from_numpy(bias_values),
            settings,
        )[0].numpy()  # (C_out, H_out, W_out)
    values, kinds = conv.sliding_grid(x, settings)
    result = {"x": x, "weight": weight, "bias": bias_values, "output": output, "grid": values, "kinds": kinds}
    if source != "grid":
        result["input_layer"] = conv_figures.photo_layer(values)
        result["output_layer"] = conv_figures.photo_layer(output if output.shape[0] in (1, 3) else output[:1])
    return result
