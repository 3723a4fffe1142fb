"""The step-by-step player's moves: output cells counted in reading order, the buttons and what
each press does, clicks on the output chart, the speeds, and the output channels' names."""

from __future__ import annotations

from dataclasses import dataclass

CHANNEL_NAMES = ("R", "G", "B")
SPEEDS = {"slow": 1.2, "normal": 0.6, "fast": 0.25}  # seconds per step while playing


def channel_label(channel: int, channels: int) -> str:
    """An output channel's name in the player's menu: R, G, B for three channels, else its number."""
    return CHANNEL_NAMES[channel] if channels == 3 else str(channel)


@dataclass(frozen=True)
class PlayerCell:
    """One output cell of the player: out[channel, row, col]."""

    channel: int
    row: int
    col: int


def cell_at(position: int, output_shape: tuple[int, int, int], channel: int = 0) -> PlayerCell:
    """The output cell at a player position, counting in reading order (row by row, left to right).

    Args:
        position: 0 .. H_out * W_out - 1; clipped into that range.
        output_shape: (C_out, H_out, W_out).
        channel: the chosen output channel.

    Returns:
        PlayerCell.
    """
    _, out_h, out_w = output_shape
    position = min(max(int(position), 0), out_h * out_w - 1)
    row, col = divmod(position, out_w)  # a row holds W_out cells
    return PlayerCell(channel, row, col)


def position_of(row: int, col: int, out_w: int) -> int:
    """The player position of output cell (row, col): the inverse of cell_at."""
    return row * out_w + col


def clicked_position(points, out_w: int) -> int | None:
    """The player position of the first clicked output cell, or None when no point names one.

    The output chart's click targets sit at cell centres, so a point's x is the cell's column and
    its y the cell's row.
    """
    for point in points:
        if isinstance(point.get("x"), (int, float)) and isinstance(point.get("y"), (int, float)):
            return position_of(int(round(point["y"])), int(round(point["x"])), out_w)
    return None


# The player's buttons in order: (widget key, label, icon) while paused; playing swaps Play for Pause.
PLAYER_BUTTONS = (("conv_first", "First", "first_page"), ("conv_back", "Back", "chevron_left"),
                  ("conv_play", "Play", "play_arrow"), ("conv_step", "Step", "chevron_right"),
                  ("conv_last", "Last", "last_page"))
PAUSE_BUTTON = ("conv_play", "Pause", "pause")


def player_buttons(playing: bool) -> tuple[tuple[str, str, str], ...]:
    """PLAYER_BUTTONS as shown: with Pause in place of Play while playing."""
    return tuple(PAUSE_BUTTON if playing and key == PAUSE_BUTTON[0] else (key, label, icon)
                 for key, label, icon in PLAYER_BUTTONS)


def pressed(button: str, position: int, total: int) -> int:
    """The position after pressing a player button (its widget key) at `position` of `total` cells."""
    moves = {"conv_first": -total, "conv_back": -1, "conv_step": 1, "conv_last": total}
    return stepped(position, moves.get(button, 0), total)


def stepped(position: int, delta: int, total: int) -> int:
    """The position `delta` cells on from `position`, kept inside 0 .. total - 1."""
    return min(max(int(position) + delta, 0), total - 1)


def played(position: int, total: int) -> int:
    """The next position while playing: past the last cell it starts over."""
    return (int(position) + 1) % total
