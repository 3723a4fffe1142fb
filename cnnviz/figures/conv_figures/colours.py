"""Numbers to colours: the value range a map is drawn over, the colouring itself, and the encoded
picture a photo-sized map is shipped as."""

from __future__ import annotations

import base64
import functools
import io

import numpy as np

from cnnviz.figures.conv_figures.base import _PADDING_RGB, PLAIN_COLOURS, SIGNED_COLOURS


@functools.lru_cache(maxsize=8)
def _colour_table(name: str) -> np.ndarray:
    """(256, 3) uint8 lookup table sampled from a plotly colour scale."""
    from plotly.colors import sample_colorscale

    samples = sample_colorscale(name, list(np.linspace(0, 1, 256)), colortype="tuple")
    return np.clip(np.rint(np.asarray(samples) * 255), 0, 255).astype(np.uint8)


def value_range(values: np.ndarray, plain=PLAIN_COLOURS) -> tuple[float, float, str | list]:
    """(low, high, colour scale) for showing one channel: signed maps are centred on zero in
    red/blue, others run from 0 (or their minimum) to their maximum in the `plain` scale."""
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0, plain
    low, high = float(finite.min()), float(finite.max())
    if low < 0 < high:
        reach = max(-low, high)
        return -reach, reach, SIGNED_COLOURS
    low = min(low, 0.0)
    if high <= low:
        high = low + 1.0
    return low, high, plain


def colourise(values: np.ndarray, low: float, high: float, scale: str | None) -> np.ndarray:
    """Map values to uint8 pixels.

    Args:
        values: (C, H, W) with C = 1 (mapped through `scale`) or C = 3 (RGB, each channel mapped
            linearly from [low, high] to [0, 255]). Non-finite values (max pooling's -inf
            padding) are drawn in the padding grey.
        low, high: the value range shown.
        scale: plotly colour scale name for one channel; ignored for RGB.

    Returns:
        uint8 (H, W, 3).
    """
    values = np.asarray(values, dtype=np.float32)
    finite = np.isfinite(values)  # (C, H, W)
    # One pass to 0..255 then uint8: this runs on every changed setting, on photo-sized maps.
    levels = (values - np.float32(low)) * np.float32(255.0 / (high - low))
    np.clip(levels, 0, 255, out=levels)
    all_finite = bool(finite.all())
    if not all_finite:
        levels[~finite] = 0
    levels = (levels + 0.5).astype(np.uint8)
    if values.shape[0] == 3:
        pixels = levels.transpose(1, 2, 0)  # (3, H, W) -> (H, W, 3)
    else:
        pixels = _colour_table(scale or PLAIN_COLOURS)[levels[0]]
    if not all_finite:
        pixels = pixels.copy()
        pixels[~finite.all(axis=0)] = _PADDING_RGB
    return pixels


def image_data_uri(pixels: np.ndarray) -> str:
    """uint8 (H, W, 3) -> data URI. Small pictures as PNG (sharp cell edges when blown up);
    photo-sized ones as high-quality JPEG, ~30x faster to encode than PNG on photo content."""
    from PIL import Image

    buffer = io.BytesIO()
    image = Image.fromarray(np.ascontiguousarray(pixels))
    if max(pixels.shape[:2]) <= 128:
        image.save(buffer, format="PNG")
        kind = "png"
    else:
        image.save(buffer, format="JPEG", quality=92, subsampling=0)  # 4:4:4: no colour bleed
        kind = "jpeg"
    return f"data:image/{kind};base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
