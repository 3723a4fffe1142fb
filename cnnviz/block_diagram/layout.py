"""Where each box of a block diagram goes: rows top to bottom, branches side by side.

A box's row is the longest path to it from the input (so a merge sits below all its branches); an
arrow that skips rows gets an empty slot in each row it passes, so that it never crosses a box;
the boxes and slots of a row are ordered by branch (the first reader of a box to the left) and
then moved, a row at a time, under the mean of what they read and over the mean of what reads
them, at least one column apart (the Sugiyama layering, kept to what series-parallel blocks need).
"""

from __future__ import annotations

from typing import Sequence


def _spread(desired: Sequence[float]) -> list[float]:
    """Positions in the given order, at least 1 apart, as close to ``desired`` as can be (least
    squares): pool-adjacent-violators on desired[i] - i, which must not decrease."""
    blocks: list[list[float]] = []  # [sum, count] of runs that share one value
    for i, value in enumerate(desired):
        blocks.append([value - i, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    flat = [total / count for total, count in blocks for _ in range(int(count))]
    return [value + i for i, value in enumerate(flat)]


def layered_layout(sources: Sequence[Sequence[int]]):
    """Rows, columns and arrow paths for boxes in forward order (``sources[i]``: the boxes box i reads).

    Returns:
        (row per box, column per box, {(source, target): ((column, row), ...)}).
    """
    rows: list[int] = []
    for box_sources in sources:  # forward order: every source comes before its reader
        rows.append(max((rows[s] + 1 for s in box_sources), default=0))
    # Slots: the boxes, then one empty slot per row an arrow skips, so that it never crosses a box.
    slot_row, after, chains = list(rows), [[] for _ in rows], {}
    for target, box_sources in enumerate(sources):
        for source in box_sources:
            chain = [source]
            for row in range(rows[source] + 1, rows[target]):
                slot_row.append(row)
                after.append([])
                chain.append(len(slot_row) - 1)
            chain.append(target)
            for a, b in zip(chain, chain[1:]):
                after[a].append(b)
            chains[(source, target)] = chain
    before = [[] for _ in slot_row]
    for a, followers in enumerate(after):
        for b in followers:
            before[b].append(a)
    # Order in a row: by branch, i.e. by the sequence of "which reader of its source" from the input.
    key: dict[int, tuple] = {}
    for slot in sorted(range(len(slot_row)), key=lambda s: (slot_row[s], s)):
        key[slot] = min((key[a] + (after[a].index(slot),) for a in before[slot]), default=())
    by_row: dict[int, list[int]] = {}
    for slot in sorted(key, key=lambda s: (slot_row[s], key[s], s)):
        by_row.setdefault(slot_row[slot], []).append(slot)
    x = {}
    for row_slots in by_row.values():
        x.update({slot: i - (len(row_slots) - 1) / 2 for i, slot in enumerate(row_slots)})
    # Each slot under the mean of what it reads, then over the mean of what reads it, then again.
    for neighbours, order in ((before, sorted(by_row)), (after, sorted(by_row, reverse=True)), (before, sorted(by_row))):
        for row in order:
            slots = by_row[row]
            desired = [sum(x[n] for n in neighbours[s]) / len(neighbours[s]) if neighbours[s] else x[s] for s in slots]
            x.update(zip(slots, _spread(desired)))
    shift = x[0]  # the input at column 0
    columns = [x[i] - shift for i in range(len(rows))]
    paths = {edge: tuple((x[s] - shift, slot_row[s]) for s in chain) for edge, chain in chains.items()}
    return rows, columns, paths
