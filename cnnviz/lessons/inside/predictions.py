"""What the network says about the image: the classes ranked by probability, the verdict
sentence, and the probability bars (the top classes, then the true one if it is not among them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cnnviz.lessons.inside.texts import Quote

TOP_K_SHOWN = 10  # classes the probability bars show at first
SOFTMAX_CAPTION = "Softmax turns the last layer's scores (logits) into probabilities; the prediction is the largest."


@dataclass(frozen=True)
class Bars:
    """The probability bars as drawn, top to bottom: values, class names, and the row of the true
    class (None when unknown)."""

    values: tuple[float, ...]
    names: tuple[str, ...]
    true_row: int | None


@dataclass(frozen=True)
class Prediction:
    """What the network says about the image.

    Attributes:
        ranking: class indices, most probable first (ties: the lower index first).
        probabilities: (K,) softmax of the logits.
        predicted: the most probable class.
        true_label: the image's class when known.
        verdict: "The network says **Bag** with 87.0% (right)." (Markdown, names quoted).
    """

    ranking: tuple[int, ...]
    probabilities: tuple[float, ...]
    predicted: int
    true_label: int | None
    verdict: str

    def top_k_range(self) -> tuple[int, int, int]:
        """The "classes shown" slider: (1, K, first value)."""
        return 1, len(self.ranking), min(TOP_K_SHOWN, len(self.ranking))

    def bars(self, classes: Sequence[str], top_k: int) -> Bars:
        """The ``top_k`` most probable classes, then the true class if it is not among them."""
        rows = list(self.ranking[:max(1, top_k)])
        if self.true_label is not None and self.true_label not in rows:
            rows.append(self.true_label)
        return Bars(tuple(self.probabilities[i] for i in rows), tuple(classes[i] for i in rows),
                    rows.index(self.true_label) if self.true_label is not None else None)


def prediction(probabilities: Sequence[float], classes: Sequence[str], true_label: int | None,
               quote: Quote) -> Prediction:
    """The prediction and its sentence.

    Args:
        probabilities: (K,) softmax probabilities (CapturedForward.probabilities()).
        classes: K class names.
        true_label: the image's class, or None.
        quote: class name -> markup showing it as text.

    Returns:
        Prediction.
    """
    values = np.asarray(probabilities, dtype=np.float64)
    ranking = tuple(int(i) for i in np.argsort(-values, kind="stable"))
    predicted = ranking[0]
    verdict = f"**{quote(classes[predicted])}** with {values[predicted]:.1%}"
    if true_label is not None:
        verdict += " (right)" if predicted == true_label else f" (wrong: it is **{quote(classes[true_label])}**)"
    return Prediction(ranking, tuple(float(v) for v in values), predicted, true_label,
                      f"The network says {verdict}.")
