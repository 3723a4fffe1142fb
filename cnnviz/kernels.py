"""Kernel presets for the convolution lab, and the small example grids they are tried on.

Each preset is a classic hand-designed filter (what a CNN's first layer ends up learning):
derivative filters (Sobel, Prewitt) find edges, the Laplacian finds blobs and outlines, box and
Gaussian kernels blur, sharpen and emboss are the photo-editor favourites, identity changes nothing.

Presets that make sense at any size (identity, box blur, Gaussian) are built at the size asked for,
square or not. The 3x3 presets keep their values and sit in the middle of a larger grid with zeros
around them, so that "Sobel x at 5x5" still finds the same edges with a wider window.

Only numpy here: the page imports this module on every rerun.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

MAX_KERNEL_SIDE = 11


class KernelPresetError(ValueError):
    """A preset or grid that cannot be built; the message is one sentence for the page."""


@dataclass(frozen=True)
class KernelPreset:
    """One named kernel.

    Attributes:
        name: what the menu shows.
        teaches: one line on what the kernel does to an image.
        fixed: the preset's own values (3x3) or None when it is built at any size.
    """

    name: str
    teaches: str
    fixed: tuple[tuple[float, ...], ...] | None = None


def _identity(height: int, width: int) -> np.ndarray:
    kernel = np.zeros((height, width), dtype=np.float32)
    # (F-1)//2 is the tap that 'same' padding lines up with the output cell, also for even F.
    kernel[(height - 1) // 2, (width - 1) // 2] = 1.0
    return kernel


def _box(height: int, width: int) -> np.ndarray:
    return np.full((height, width), 1.0 / (height * width), dtype=np.float32)


def _gaussian(height: int, width: int) -> np.ndarray:
    def profile(size: int) -> np.ndarray:
        # OpenCV's default sigma for a given aperture: wider kernels blur more.
        sigma = 0.3 * ((size - 1) * 0.5 - 1) + 0.8
        offsets = np.arange(size, dtype=np.float64) - (size - 1) / 2
        return np.exp(-(offsets**2) / (2 * sigma**2))

    kernel = np.outer(profile(height), profile(width))  # (height, width)
    return (kernel / kernel.sum()).astype(np.float32)


_SIZED_BUILDERS: dict[str, Callable[[int, int], np.ndarray]] = {
    "Identity": _identity,
    "Box blur": _box,
    "Gaussian blur": _gaussian,
}

PRESETS: tuple[KernelPreset, ...] = (
    KernelPreset("Identity", "Copies the input: a single 1 in the middle."),
    KernelPreset("Box blur", "Averages the window: every tap is 1 / (number of taps)."),
    KernelPreset("Gaussian blur", "A weighted average that trusts the centre most: a softer blur."),
    KernelPreset(
        "Sharpen",
        "Adds the difference to the neighbours back to the centre: edges get crisper.",
        ((0, -1, 0), (-1, 5, -1), (0, -1, 0)),
    ),
    KernelPreset(
        "Sobel x",
        "Horizontal derivative, smoothed vertically: finds vertical edges.",
        ((-1, 0, 1), (-2, 0, 2), (-1, 0, 1)),
    ),
    KernelPreset(
        "Sobel y",
        "Vertical derivative, smoothed horizontally: finds horizontal edges.",
        ((-1, -2, -1), (0, 0, 0), (1, 2, 1)),
    ),
    KernelPreset(
        "Prewitt x",
        "Horizontal derivative with equal weights: finds vertical edges.",
        ((-1, 0, 1), (-1, 0, 1), (-1, 0, 1)),
    ),
    KernelPreset(
        "Prewitt y",
        "Vertical derivative with equal weights: finds horizontal edges.",
        ((-1, -1, -1), (0, 0, 0), (1, 1, 1)),
    ),
    KernelPreset(
        "Laplacian",
        "Second derivative in every direction: zero on flat areas, large on edges and dots.",
        ((0, 1, 0), (1, -4, 1), (0, 1, 0)),
    ),
    KernelPreset(
        "Emboss",
        "A diagonal derivative plus the pixel itself: the image looks raised.",
        ((-2, -1, 0), (-1, 1, 1), (0, 1, 2)),
    ),
    KernelPreset(
        "Outline",
        "Centre minus its eight neighbours: everything flat goes black.",
        ((-1, -1, -1), (-1, 8, -1), (-1, -1, -1)),
    ),
    KernelPreset(
        "Classic X (worked example)",
        "The 3x3 kernel of the classic 5x5 worked example: corners and centre.",
        ((1, 0, 1), (0, 1, 0), (1, 0, 1)),
    ),
)

_BY_NAME = {preset.name: preset for preset in PRESETS}


def preset_names() -> list[str]:
    """The preset names, in menu order."""
    return [preset.name for preset in PRESETS]


def preset(name: str) -> KernelPreset:
    """The preset called `name`; raises KernelPresetError for an unknown name."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KernelPresetError(f"There is no kernel preset called {name!r}.") from None


def caption(name: str, height: int, width: int) -> str:
    """What the preset teaches, as built at height x width: a 3x3 preset on a larger grid says that
    its values sit in the middle with zeros around them.

    >>> caption("Sobel x", 5, 5)
    'Horizontal derivative, smoothed vertically: finds vertical edges. At 5x5: its 3x3 values in the middle, zeros around them.'
    """
    chosen = preset(name)
    if chosen.fixed is None or (height, width) == (3, 3) or min(height, width) < 3:  # smaller: refused
        return chosen.teaches
    return f"{chosen.teaches} At {height}x{width}: its 3x3 values in the middle, zeros around them."


def make_kernel(name: str, height: int = 3, width: int = 3) -> np.ndarray:
    """Build a preset kernel at a given size.

    Args:
        name: one of preset_names().
        height, width: kernel size, 1 to MAX_KERNEL_SIDE each (non-square is fine).

    Returns:
        float32 array (height, width).

    Raises:
        KernelPresetError: unknown name, a size out of range, or a 3x3 preset asked for smaller
            than 3x3 (cutting Sobel down to 2x2 would no longer be Sobel).

    >>> make_kernel("Sobel x", 5, 5)[1:4, 1:4].tolist()[1]
    [-2.0, 0.0, 2.0]
    """
    chosen = preset(name)
    for side, label in ((height, "height"), (width, "width")):
        if not 1 <= side <= MAX_KERNEL_SIDE:
            raise KernelPresetError(
                f"A kernel {label} must be between 1 and {MAX_KERNEL_SIDE}; got {side}."
            )
    if chosen.fixed is None:
        return _SIZED_BUILDERS[name](height, width)
    values = np.asarray(chosen.fixed, dtype=np.float32)  # (3, 3)
    own_h, own_w = values.shape
    if height < own_h or width < own_w:
        raise KernelPresetError(
            f"{name} is a {own_h}x{own_w} kernel: choose at least {own_h}x{own_w} "
            f"(you chose {height}x{width})."
        )
    kernel = np.zeros((height, width), dtype=np.float32)
    top, left = (height - own_h) // 2, (width - own_w) // 2
    kernel[top : top + own_h, left : left + own_w] = values
    return kernel


def grid_from_table(values, what: str = "grid", shape: tuple[int, int] | None = None) -> np.ndarray:
    """Turn an edited table (rows of numbers, possibly with blanks) into a float32 array.

    Blank cells (None, NaN: a cleared cell in st.data_editor) count as 0, so that half-typed edits
    never break the page.

    Args:
        values: 2-D nested sequence or array, shape (H, W).
        what: the word used in the error message ("kernel", "input grid").
        shape: the (H, W) the table must keep. The editor offers no way to add or delete rows,
            but a crafted client can still send row additions, and the server applies them.

    Returns:
        float32 array (H, W).

    Raises:
        KernelPresetError: not 2-D, not of ``shape``, or a value that is not a finite number.
    """
    if shape is not None and len(values) != shape[0]:  # before any conversion: rows can be many
        raise KernelPresetError(f"The {what} must keep its {shape[0]} x {shape[1]} cells; "
                                f"it was sent with {len(values)} rows.")
    try:
        array = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise KernelPresetError(f"Every cell of the {what} must be a number.") from None
    if array.ndim != 2 or array.size == 0:
        raise KernelPresetError(f"The {what} must be a non-empty table of rows and columns.")
    if shape is not None and array.shape != tuple(shape):
        raise KernelPresetError(f"The {what} must keep its {shape[0]} x {shape[1]} cells; "
                                f"it was sent as {array.shape[0]} x {array.shape[1]}.")
    array = np.where(np.isnan(array), 0.0, array)
    if not np.isfinite(array).all():
        raise KernelPresetError(f"Every cell of the {what} must be a finite number.")
    return array.astype(np.float32)


# --- Small numeric inputs for the grid mode -------------------------------------------------------

# The 5x5 binary image of the classic worked example (UFLDL / Stanford CS231n style), used with
# the "Classic X" kernel above: stride 1, no padding, 3x3 output.
CLASSIC_INPUT: tuple[tuple[int, ...], ...] = (
    (1, 1, 1, 0, 0),
    (0, 1, 1, 1, 0),
    (0, 0, 1, 1, 1),
    (0, 0, 1, 1, 0),
    (0, 1, 1, 0, 0),
)

GRID_EXAMPLES: tuple[str, ...] = (
    "Classic 5x5 example",
    "Vertical edge",
    "Diagonal line",
    "Ramp",
    "Random digits",
)


def example_grid(name: str, size: int = 5) -> np.ndarray:
    """A small input grid to convolve by hand.

    Args:
        name: one of GRID_EXAMPLES. "Classic 5x5 example" is always 5x5.
        size: side length, 5 to 9, for the other examples.

    Returns:
        float32 array (size, size) of small whole numbers, easy to multiply in one's head.
    """
    if name == "Classic 5x5 example":
        return np.asarray(CLASSIC_INPUT, dtype=np.float32)
    if not 5 <= size <= 9:
        raise KernelPresetError(f"An input grid is 5x5 to 9x9; got {size}x{size}.")
    rows, cols = np.mgrid[0:size, 0:size]  # (size, size) each
    if name == "Vertical edge":
        grid = np.where(cols < size // 2, 0, 9)
    elif name == "Diagonal line":
        grid = np.where(rows == cols, 9, 0)
    elif name == "Ramp":
        grid = rows + cols
    elif name == "Random digits":
        grid = np.random.default_rng(size).integers(0, 10, size=(size, size))
    else:
        raise KernelPresetError(f"There is no example grid called {name!r}.")
    return grid.astype(np.float32)


# --- 1-D signals and kernels, and a small multi-channel patch for the 1x1 section ------------------

SIGNAL_EXAMPLES: dict[str, tuple[float, ...]] = {
    "Step": (0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0),
    "Spike": (0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0),
    "Ramp": (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11),
    "Bumpy": (1, 3, 2, 4, 3, 5, 4, 6, 5, 7, 6, 8),
}

KERNELS_1D: dict[str, tuple[float, ...]] = {
    "Difference [-1, 0, 1]": (-1, 0, 1),
    "Edge [1, -1]": (1, -1),
    "Average [1/3, 1/3, 1/3]": (1 / 3, 1 / 3, 1 / 3),
    "Smooth [1, 2, 1] / 4": (0.25, 0.5, 0.25),
    "Second difference [1, -2, 1]": (1, -2, 1),
}


def numbers_from_text(text: str, what: str = "signal", longest: int = 32) -> np.ndarray:
    """Parse "1, 2, -0.5" (commas and/or spaces) into a float64 array (N,).

    Raises:
        KernelPresetError: empty, not numbers, or more than `longest` values.
    """
    parts = [part for part in text.replace(",", " ").split() if part]
    if not parts:
        raise KernelPresetError(f"Type the {what} as numbers separated by commas, e.g. 0, 1, 2.")
    try:
        values = np.array([float(part) for part in parts], dtype=np.float64)
    except ValueError:
        raise KernelPresetError(
            f"The {what} must be numbers separated by commas, e.g. 0, 1, 2; could not read {text!r}."
        ) from None
    if not np.isfinite(values).all():
        raise KernelPresetError(f"Every value of the {what} must be a finite number.")
    if len(values) > longest:
        raise KernelPresetError(f"Keep the {what} to {longest} values or fewer; got {len(values)}.")
    return values


def example_rgb_patch(size: int = 5) -> np.ndarray:
    """A small 3-channel (R, G, B) patch of digits 0-9, for convolving by hand: (3, size, size)."""
    rows, cols = np.mgrid[0:size, 0:size]  # (size, size) each
    red = np.where(cols < size // 2, 9, 1)  # red on the left
    green = np.full((size, size), 2)
    blue = np.where(rows >= size // 2, 8, 0)  # blue at the bottom
    return np.stack([red, green, blue]).astype(np.float32)  # (3, size, size)
