"""The lab's layer as one matrix product (im2col): X_col and W_row with their shapes in the lab's
numbers, the product reshaped into the output, and the two matrices themselves when they are small
enough to read (the numeric grid)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz import conv

IM2COL_TITLE = "As one matrix product (im2col)"
IM2COL_INTRO = (
    "Fast libraries compute a convolution as one matrix product. Every window the kernel visits is "
    "unrolled into a column of $X_{\\mathrm{col}}$, and each kernel into a row of $W_{\\mathrm{row}}$; "
    "then $W_{\\mathrm{row}} X_{\\mathrm{col}} + b$ holds every output cell, one row per output channel."
)
X_COL_TITLE = "**X_col** (one column per output cell, in reading order)"
PRODUCT_TITLE = "**W_row**, then **W_row X_col + b** (the output, row by row)"
TABLE_LIMIT = 100  # rows and columns: a larger X_col is described, not drawn
NOT_SHOWN = "im2col is shown for a convolution with groups = 1 (choose Convolution, and 1 group)."
ALEXNET = conv.ConvSettings(kernel_size=11, stride=4, in_channels=3, out_channels=96)


@dataclass(frozen=True)
class Im2col:
    """The lab's layer as W_row @ X_col.

    Attributes:
        shape_lines: LaTeX, the shapes in letters and the lab's numbers.
        tables: (X_col (C_in F_h F_w, H_out W_out), W_row (C_out, C_in F_h F_w), W_row @ X_col + b)
            when X_col fits TABLE_LIMIT both ways (the numeric grid), else None.
        example: the same shapes for AlexNet's first layer on a 227 x 227 x 3 image.
    """

    shape_lines: tuple[str, ...]
    tables: tuple[np.ndarray, np.ndarray, np.ndarray] | None
    example: str


def im2col_view(layer: conv.ConvSettings, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None) -> Im2col | str:
    """The lab's result as a matrix product, or the sentence saying why it is not shown."""
    if layer.operation != "conv" or layer.groups != 1:
        return NOT_SHOWN
    (taps, cells), (c_out, _) = conv.im2col_shapes(layer, x.shape[1], x.shape[2])
    tables = None
    if max(taps, cells) <= TABLE_LIMIT:  # a photo's X_col (27 x 262,144) is described, never built on a rerun
        x_col = conv.im2col(x, layer)
        w_row = np.asarray(weight, dtype=np.float32).reshape(layer.out_channels, -1)
        product = w_row @ x_col + (0 if bias is None else np.asarray(bias, dtype=np.float32)[:, None])
        tables = (x_col, w_row, product)
    _, out_h, out_w = layer.output_shape(x.shape[1], x.shape[2])
    f_h, f_w = layer.kernel_size
    c_in = layer.in_channels
    lines = (
        rf"X_{{\mathrm{{col}}}}:\ (C_{{\mathrm{{in}}}} F_h F_w) \times (H_{{\mathrm{{out}}}} W_{{\mathrm{{out}}}})"
        rf" = ({c_in} \cdot {f_h} \cdot {f_w}) \times ({out_h} \cdot {out_w}) = {taps} \times {cells}",
        rf"W_{{\mathrm{{row}}}}:\ C_{{\mathrm{{out}}}} \times (C_{{\mathrm{{in}}}} F_h F_w) = {c_out} \times {taps}",
        rf"W_{{\mathrm{{row}}}} X_{{\mathrm{{col}}}}:\ {c_out} \times {cells} \;\to\; {c_out} \times {out_h} \times {out_w}",
    )
    (a_taps, a_cells), (a_out, _) = conv.im2col_shapes(ALEXNET, 227, 227)
    example = (f"AlexNet's first layer (96 kernels of 11 x 11 x 3, stride 4) on a 227 x 227 x 3 image: X_col is "
               f"{a_taps} x {a_cells:,} and W_row {a_out} x {a_taps}, so one product of {a_out} x {a_taps} by "
               f"{a_taps} x {a_cells:,} gives all {a_out * a_cells:,} outputs.")
    return Im2col(lines, tables, example)
