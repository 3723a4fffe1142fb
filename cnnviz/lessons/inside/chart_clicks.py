"""Clicks on the Inside page's charts (the channel grid, the confusion heatmap), each followed once."""

from __future__ import annotations


def followed_click(event, scope: str, remembered) -> tuple[object | None, tuple]:
    """A chart's click, followed once: the rerun a click causes (and every later one) reports the
    same selection, which must not undo what the student chose since.

    Args:
        event: the chart's selection event, {"selection": {"points": [...]}}, or None. The
            clickable markers are the chart's second trace (curve_number 1); their customdata is
            the cell or channel.
        scope: what the chart shows (a layer name): the same tile of another layer is a new click.
        remembered: this function's second answer on the previous run (None at first).

    Returns:
        (the clicked customdata when the click is new, else None; what to remember).
    """
    points = ((event or {}).get("selection") or {}).get("points") or []
    clicked = [point.get("customdata") for point in points if point.get("curve_number") == 1]
    seen = (scope, clicked[0] if clicked else None)
    return (clicked[0] if clicked and seen != remembered else None), seen
