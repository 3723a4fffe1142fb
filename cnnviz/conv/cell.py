"""One output cell recomputed by hand: the window, the taps, the products and the sum text."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cnnviz.conv.grid import _grid_axis, _pad_value, window_position
from cnnviz.conv.number_text import _number_text, _term_text
from cnnviz.conv.settings import ConvSettings
from cnnviz.conv.sizes import ConvSettingsError


@dataclass(frozen=True)
class Tap:
    """One kernel tap's contribution to an output cell (original, unflipped kernel indices)."""

    channel: int
    input_row: int  # -1 when the tap reads a constant (zero padding, an inserted zero)
    input_col: int
    kernel_row: int
    kernel_col: int
    input_value: float
    weight: float
    product: float


@dataclass(frozen=True)
class CellExplanation:
    """How one output cell is computed, in the numbers the page shows.

    The window is described on the sliding grid (see sliding_grid): the padded input, or for a
    transposed convolution the zero-inserted, padded input with the flipped kernel.

    Attributes:
        operation: as in ConvSettings.
        out_channel, row, col: the output cell.
        in_channels: input channels read (the output channel's group; pooling: the channel itself).
        grid_rows, grid_cols: (F_h,), (F_w,) sliding-grid coordinates of the window's taps.
        source_rows, source_cols: (F_h,), (F_w,) the input row/column each tap reads, -1 for a
            constant (zero padding, an inserted zero).
        kinds: (F_h, F_w) INPUT_CELL / PADDING_CELL / INSERTED_CELL.
        window: (C_g, F_h, F_w) values under the window (padding included).
        kernel: (C_g, F_h, F_w) weights as applied (flipped for transposed), None for pooling.
        products: (C_g, F_h, F_w) window * kernel, None for pooling.
        total: sum of the products (avg pool: sum of the window; max pool: the max).
        bias: added bias (0 when there is none).
        value: the output cell: total + bias, the max, or the mean.
        argmax: (channel index in window, row, col) of the max for max pooling, else None.
    """

    operation: str
    out_channel: int
    row: int
    col: int
    in_channels: tuple[int, ...]
    grid_rows: np.ndarray
    grid_cols: np.ndarray
    source_rows: np.ndarray
    source_cols: np.ndarray
    kinds: np.ndarray
    window: np.ndarray
    kernel: np.ndarray | None
    products: np.ndarray | None
    total: float
    bias: float
    value: float
    argmax: tuple[int, int, int] | None = None
    transposed: bool = field(default=False, repr=False)

    def taps(self) -> list[Tap]:
        """Every tap as (input cell, kernel tap, product); for transposed convolution the kernel
        indices are those of the original (unflipped) kernel, so input (i, j) and tap (a, b) satisfy
        out_row = i*S - P + a*D."""
        result = []
        fh, fw = self.kinds.shape
        for c_index, channel in enumerate(self.in_channels):
            for a in range(fh):
                for b in range(fw):
                    reads_input = self.source_rows[a] >= 0 and self.source_cols[b] >= 0
                    ka, kb = (fh - 1 - a, fw - 1 - b) if self.transposed else (a, b)
                    weight = float(self.kernel[c_index, a, b]) if self.kernel is not None else 1.0
                    result.append(
                        Tap(
                            channel=channel,
                            input_row=int(self.source_rows[a]) if reads_input else -1,
                            input_col=int(self.source_cols[b]) if reads_input else -1,
                            kernel_row=ka,
                            kernel_col=kb,
                            input_value=float(self.window[c_index, a, b]),
                            weight=weight,
                            product=float(self.window[c_index, a, b]) * weight,
                        )
                    )
        return result

    def sum_text(self, max_terms: int = 9) -> str:
        """The arithmetic of this cell in one line, e.g.
        "1*1 + 1*0 + 1*1 + ... (9 products) = 4 + bias 0 = 4".

        Args:
            max_terms: write out at most this many products, then "...".
        """

        show, plain = _term_text, _number_text

        count = self.window.size
        if self.operation == "max_pool":
            values = ", ".join(show(v) for v in self.window.reshape(-1)[:max_terms])
            more = ", ..." if count > max_terms else ""
            return f"max({values}{more}) = {plain(self.value)}"
        if self.operation == "avg_pool":
            values = " + ".join(show(v) for v in self.window.reshape(-1)[:max_terms])
            more = " + ..." if count > max_terms else ""
            return f"({values}{more}) / {count} = {plain(self.total)} / {count} = {plain(self.value)}"
        terms = [
            f"{show(x)}*{show(w)}"
            for x, w in zip(self.window.reshape(-1)[:max_terms], self.kernel.reshape(-1)[:max_terms])
        ]
        more = f" + ... ({count} products)" if count > max_terms else ""
        return f"{' + '.join(terms)}{more} = {plain(self.total)} + bias {show(self.bias)} = {plain(self.value)}"

    def contributions(self) -> list[Tap]:
        """Only the taps that read an input value (for transposed convolution: the input cells
        that scatter into this output cell, each through one kernel tap)."""
        return [tap for tap in self.taps() if tap.input_row >= 0]


def explain_cell(x, weight, bias, settings: ConvSettings, out_channel: int, row: int, col: int) -> CellExplanation:
    """Recompute one output cell by hand, keeping every intermediate number.

    Args:
        x: input, array or tensor (C_in, H, W) or (1, C_in, H, W).
        weight: kernel tensor of settings.weight_shape() (ignored for pooling).
        bias: (C_out,) or None.
        settings: the layer.
        out_channel, row, col: the output cell, inside output_shape().

    Returns:
        CellExplanation whose .value equals torch's output at that cell (to float rounding).

    Raises:
        ConvSettingsError: invalid settings, or a cell outside the output.
    """
    x = _as_numpy(x)
    if x.ndim == 4:
        x = x[0]  # (C_in, H, W)
    channels, height, width = x.shape
    c_out, out_h, out_w = settings.output_shape(height, width)
    if not (0 <= out_channel < c_out and 0 <= row < out_h and 0 <= col < out_w):
        raise ConvSettingsError(
            f"Output cell (channel {out_channel}, row {row}, column {col}) is outside the "
            f"{c_out}x{out_h}x{out_w} output."
        )
    grid_rows, grid_cols = window_position(settings, row, col)
    source_rows, row_kinds = _grid_axis(grid_rows, height, 0, settings)
    source_cols, col_kinds = _grid_axis(grid_cols, width, 1, settings)
    kinds = np.maximum(row_kinds[:, None], col_kinds[None, :]).astype(np.int8)  # (F_h, F_w)

    if settings.is_pool:
        in_channels: tuple[int, ...] = (out_channel,)
    else:
        per_group_in = settings.in_channels // settings.groups
        group = out_channel // (settings.out_channels // settings.groups)
        in_channels = tuple(range(group * per_group_in, (group + 1) * per_group_in))

    picked = x[list(in_channels)]  # (C_g, H, W)
    window = picked[:, np.clip(source_rows, 0, None)][:, :, np.clip(source_cols, 0, None)]
    constant = (source_rows[:, None] < 0) | (source_cols[None, :] < 0)  # (F_h, F_w)
    window = np.where(constant[None], _pad_value(settings), window)  # (C_g, F_h, F_w)

    bias_value = 0.0
    kernel = products = None
    argmax = None
    if settings.operation == "max_pool":
        flat = int(np.argmax(window))
        argmax = tuple(int(i) for i in np.unravel_index(flat, window.shape))  # type: ignore[assignment]
        total = value = float(window.reshape(-1)[flat])
    elif settings.operation == "avg_pool":
        total = float(window.sum())
        value = total / window.size
    else:
        w = _as_numpy(weight)
        if settings.is_transposed:
            local_out = out_channel % (settings.out_channels // settings.groups)
            kernel = w[list(in_channels), local_out, ::-1, ::-1]  # (C_g, F_h, F_w), flipped
        else:
            kernel = w[out_channel]  # (C_g, F_h, F_w)
        products = window * kernel
        total = float(products.sum())
        if bias is not None:
            bias_value = float(_as_numpy(bias).reshape(-1)[out_channel])
        value = total + bias_value
    return CellExplanation(
        operation=settings.operation,
        out_channel=out_channel,
        row=row,
        col=col,
        in_channels=in_channels,
        grid_rows=grid_rows,
        grid_cols=grid_cols,
        source_rows=source_rows,
        source_cols=source_cols,
        kinds=kinds,
        window=window,
        kernel=None if kernel is None else np.ascontiguousarray(kernel),
        products=products,
        total=total,
        bias=bias_value,
        value=value,
        argmax=argmax,
        transposed=settings.is_transposed,
    )


def _as_numpy(values) -> np.ndarray:
    """float64 numpy copy of an array or tensor (float64 so that hand sums match torch's closely)."""
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    return np.asarray(values, dtype=np.float64)
