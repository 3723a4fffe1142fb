"""The CNN pattern, INPUT -> [[CONV -> RELU]*N -> POOL?]*M -> [FC -> RELU]*K -> FC, and a stack's
place in it: its own N, M and K, written out in its numbers, or the layer where it leaves it.

Most classic classifiers fit it (cs231n's "layer patterns"): LeNet-5 is N = 1, M = 2, K = 2; a
VGG is N = 2 or 3 per stage, M = 5, K = 2. The last FC has one unit per class: its outputs are the
class scores (logits) the softmax turns into probabilities.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

PATTERN = "INPUT → [[CONV → RELU] × N → POOL?] × M → [FC → RELU] × K → FC"
PATTERN_LETTERS = (
    "N convolutions (each followed by a ReLU) between poolings, M such groups, K hidden fully connected "
    "layers, and a last FC with one unit per class: the class scores."
)
NO_FC = ("It has no FC layer yet: the pattern ends in an FC layer with one unit per class, the class "
         "scores (add an fc row, e.g. 10 units for 10 classes).")


@dataclass(frozen=True)
class PatternFit:
    """Where a stack sits in the pattern.

    Attributes:
        groups: (N, pooled) per conv group, in order: N convs, then a pooling or not.
        hidden_fc: K, the fc layers before the last one.
        ends_in_fc: the stack's last layer is an fc (its class scores).
        problem: the sentence naming the first layer where the stack leaves the pattern, or one
            saying what it still lacks; None when it fits.
        spans: (first layer, last layer, what they are in the pattern) per part, layers counted
            from 0: each conv group, the hidden fc layers, the last fc; for a drawing's brackets.
    """

    groups: tuple[tuple[int, bool], ...]
    hidden_fc: int
    ends_in_fc: bool
    problem: str | None
    spans: tuple[tuple[int, int, str], ...] = ()

    @property
    def fits(self) -> bool:
        return self.problem is None

    def formula(self) -> str:
        """The stack's own instance of the pattern, e.g. "INPUT → [[CONV → RELU] × 2 → POOL] × 2 →
        [FC → RELU] × 1 → FC"; groups that differ are written one by one."""
        parts = ["INPUT"]
        runs = _runs(self.groups)
        for (convs, pooled), repeats in runs:
            group = f"[CONV → RELU] × {convs}" + (" → POOL" if pooled else "")
            parts.append(f"[{group}] × {repeats}" if repeats > 1 or len(runs) == 1 else group)
        if self.hidden_fc:
            parts.append(f"[FC → RELU] × {self.hidden_fc}")
        if self.ends_in_fc:
            parts.append("FC")
        return " → ".join(parts)

    def letters(self) -> str:
        """N, M and K in numbers: "N = 2, M = 2, K = 1", or "N = 2, 3, M = 2, K = 0" when the groups differ."""
        counts = sorted({convs for convs, _ in self.groups}, key=[c for c, _ in self.groups].index)
        n = ", ".join(str(c) for c in counts) if counts else "0"
        return f"N = {n}, M = {len(self.groups)}, K = {self.hidden_fc}"


def _runs(groups: Sequence[tuple[int, bool]]) -> list[tuple[tuple[int, bool], int]]:
    """Consecutive equal groups counted: [(2, True), (2, True), (3, False)] -> [((2, True), 2), ((3, False), 1)]."""
    runs: list[tuple[tuple[int, bool], int]] = []
    for group in groups:
        if runs and runs[-1][0] == group:
            runs[-1] = (group, runs[-1][1] + 1)
        else:
            runs.append((group, 1))
    return runs


def fit_pattern(kinds: Sequence[str]) -> PatternFit:
    """Read a stack's layer kinds ("conv", "max pool", "avg pool", "fc"), first layer first, against
    the pattern.

    The ReLUs are implied: the builder puts one after each conv and each fc but the last.
    """
    groups: list[tuple[int, bool]] = []
    spans: list[tuple[int, int, str]] = []
    convs, fcs, problem = 0, 0, None

    def close_group(last: int, pooled: bool) -> None:
        groups.append((convs, pooled))
        spans.append((last - convs - pooled + 1, last, f"[CONV → RELU] × {convs}" + (" → POOL" if pooled else "")))

    for index, kind in enumerate(kinds):
        number = index + 1
        if kind == "fc":
            if convs:
                close_group(index - 1, False)
                convs = 0
            fcs += 1
        elif fcs:
            problem = problem or (f"Layer {number} ({kind}) comes after an FC layer; in the pattern the "
                                  "convolutions and poolings come first.")
        elif kind == "conv":
            convs += 1
        elif convs:  # a pooling closes its group
            close_group(index, True)
            convs = 0
        else:
            after = "another pooling" if groups else "the input"
            problem = problem or (f"Layer {number} ({kind}) pools right after {after}; in the pattern each "
                                  "pooling follows one or more CONV → RELU.")
    if convs:
        close_group(len(kinds) - 1, False)
    if fcs:
        last = len(kinds) - 1
        if fcs > 1:
            spans.append((last - fcs + 1, last - 1, f"[FC → RELU] × {fcs - 1}"))
        spans.append((last, last, "FC: the class scores"))
    if problem is None and not fcs:
        problem = NO_FC
    return PatternFit(tuple(groups), max(fcs - 1, 0), fcs > 0, problem, tuple(spans))
