"""One training batch through the loss, in its own numbers: the logits z of each image, the softmax
p_k = e^{z_k} / sum_j e^{z_j}, the prediction (the largest p), the cross-entropy -ln p_y of the
true class y, and the batch's loss, their mean: the number the Training page's loss curve plots
(over 64 images a step there, over BATCH_SIZE here so that every number fits on the page).

Shown on the Training page's "One batch: softmax and loss" tab for a trained network, beside the
same batch through an untrained twin, whose loss sits near ln K: it gives every class about 1/K.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from cnnviz.lessons.inside.texts import Quote

BATCH_SIZE = 8
TAB_TITLE = "One batch: softmax and loss"
INTRO = (
    "The network's last layer gives each class a score, its **logit** $z_k$. The **softmax** turns the "
    "scores into probabilities, $p_k = e^{z_k} / \\sum_j e^{z_j}$; the **prediction** is the class with the "
    "largest $p_k$. The **cross-entropy** loss of an image of true class $y$ is $-\\ln p_y$: near 0 when "
    "the network is confidently right, large when it is confidently wrong. A batch's loss is the mean over "
    "its images, and training lowers it step by step. Here are eight training images' numbers."
)
TABLE_COLUMNS = ("Image", "True class", "z_y", "p_y", "Predicted", "Loss -ln p_y")
NUMBER_COLUMNS = ("z_y", "p_y", "Loss -ln p_y")  # shown to 4 decimals, as the lines below the table
SHIFT_ABOVE = 50.0  # logits above this are shifted by their largest before e^z (e^710 overflows a float)
NO_NETWORK = ("No trained network is here yet: train one on the first tab (or upload a checkpoint on the "
              "Home page) to see its numbers on a batch.")


@dataclass(frozen=True)
class ImageRow:
    """One image of the batch: the table's row."""

    index: int  # in the training set
    true_class: str
    predicted: str
    z_true: float
    p_true: float
    loss: float


@dataclass(frozen=True)
class OneBatch:
    """The batch's numbers and the sentences and formulas that show them.

    Attributes:
        rows: one per image, in batch order.
        pictures: the images as PIL pictures, captioned by ``captions``.
        mean_loss: the mean cross-entropy, as torch's F.cross_entropy gives it.
        chosen: the image (0-based in the batch) worked out in full.
        logits, probabilities: (K,) of the chosen image; exp: e^(z - shift).
        shift: 0, or the largest logit when one is above SHIFT_ABOVE.
        class_rows: the chosen image's table: class, z, e^z, p, one row per class.
        softmax_line, loss_line, mean_line: LaTeX in the batch's numbers.
        chance_line: LaTeX, the untrained twin's mean loss beside ln K, the loss of p = 1/K for every
            class (None without a twin).
        verdict: the chosen image's sentence.
    """

    rows: tuple[ImageRow, ...]
    pictures: tuple[Image.Image, ...]
    captions: tuple[str, ...]
    mean_loss: float
    chosen: int
    logits: np.ndarray
    probabilities: np.ndarray
    exp: np.ndarray
    shift: float
    class_rows: tuple[dict, ...]
    softmax_line: str
    loss_line: str
    mean_line: str
    chance_line: str | None
    verdict: str

    @property
    def table(self) -> list[dict]:
        """The batch's table: one row per image, columns TABLE_COLUMNS."""
        return [dict(zip(TABLE_COLUMNS, (i, row.true_class, row.z_true, row.p_true, row.predicted, row.loss)))
                for i, row in enumerate(self.rows)]


def tex_number(value: float) -> str:
    r"""A number for LaTeX to 4 significant digits: "67.56", or "2.109 \times 10^{6}" when very large or small."""
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.4g}"
    mantissa, exponent = f"{value:.3e}".split("e")
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"


def batch_indices(batch: int, count: int) -> list[int]:
    """The training-set indices of batch number ``batch`` (0-based) of BATCH_SIZE images, in a set of ``count``."""
    start = int(batch) * BATCH_SIZE
    if not 0 <= start < count:
        raise ValueError(f"Batch {batch} is past the end of a training set of {count} images.")
    return list(range(start, min(start + BATCH_SIZE, count)))


def random_batch(count: int, rng: random.Random | None = None) -> int:
    """A batch number drawn at random for a training set of ``count`` images."""
    return (rng or random).randint(0, last_batch(count))


def last_batch(count: int) -> int:
    """The last batch number of a training set of ``count`` images."""
    return (count - 1) // BATCH_SIZE


def _logits(model, images) -> np.ndarray:
    import torch

    from cnnviz.data import to_float

    device = next(model.parameters()).device
    with torch.no_grad():
        return model(to_float(images).to(device)).double().cpu().numpy()


def _picture(image) -> Image.Image:
    array = np.asarray(image).transpose(1, 2, 0)  # (C, H, W) uint8 -> (H, W, C)
    return Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array)


def _cross_entropy(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """-ln softmax(z)_y per row, computed stably (log-sum-exp), as torch does."""
    top = logits.max(axis=1, keepdims=True)
    log_sum = np.log(np.exp(logits - top).sum(axis=1)) + top[:, 0]
    return log_sum - logits[np.arange(len(labels)), labels]


def one_batch(model, images, labels: Sequence[int], indices: Sequence[int], classes: Sequence[str],
              chosen: int = 0, untrained=None, quote: Quote = str) -> OneBatch:
    """A batch through ``model``, its loss and the chosen image's softmax worked out.

    Args:
        model: the network in eval mode, taking (N, C, H, W) floats in [0, 1].
        images: (N, C, H, W) uint8 training images; labels: their N classes; indices: their places
            in the training set.
        classes: the class names, indexed by label.
        chosen: the image to work out in full (0-based in the batch).
        untrained: the same architecture freshly initialised, for the chance line (or None).
        quote: shows a class name as plain text in markup (a checkpoint's names are anyone's).
    """
    labels = np.asarray(labels, dtype=np.int64)
    logits = _logits(model, images)
    losses = _cross_entropy(logits, labels)
    predicted = logits.argmax(axis=1)
    top = logits.max(axis=1, keepdims=True)
    probabilities = np.exp(logits - top) / np.exp(logits - top).sum(axis=1, keepdims=True)
    rows = tuple(ImageRow(int(indices[i]), classes[labels[i]], classes[predicted[i]], float(logits[i, labels[i]]),
                          float(probabilities[i, labels[i]]), float(losses[i])) for i in range(len(labels)))
    captions = tuple(f"{i}: {row.true_class}" for i, row in enumerate(rows))

    chosen = min(max(int(chosen), 0), len(rows) - 1)
    z, y = logits[chosen], int(labels[chosen])
    shift = float(z.max()) if z.max() > SHIFT_ABOVE else 0.0
    exp = np.exp(z - shift)
    total = float(exp.sum())
    row = rows[chosen]
    z_text = f"z_{{{y}}} - {shift:.3f}" if shift else f"{z[y]:.3f}"
    # "\," inside each superscript that ends in a subscript: KaTeX's box was 2 px short of it.
    softmax_line = (rf"p_{{{y}}} = \frac{{e^{{z_{{{y}}}\,}}}}{{\sum_j e^{{z_j\,}}}} = \frac{{e^{{{z_text}}}\,}}{{{tex_number(total)}}}"
                    rf" = \frac{{{tex_number(exp[y])}}}{{{tex_number(total)}}} = {row.p_true:.4f}")
    loss_line = rf"\ell = -\ln p_{{{y}}} = -\ln {row.p_true:.4f} = {row.loss:.4f}"
    # Two rows of four: eight losses on one line ran past a projector's 1280 px in presentation mode.
    halves = (" + ".join(f"{r.loss:.4f}" for r in rows[:4]), " + ".join(f"{r.loss:.4f}" for r in rows[4:]))
    mean_line = (rf"\begin{{aligned}} L &= \frac{{1}}{{{len(rows)}}}\,({halves[0]}"
                 + (rf" \\ &\qquad + {halves[1]}" if halves[1] else "")
                 + rf") = {losses.mean():.4f}\end{{aligned}}\;")
    class_rows = tuple({"Class": name, "z": float(z[k]), "e^z" if not shift else "e^(z - max z)": float(exp[k]),
                        "p": float(exp[k] / total)} for k, name in enumerate(classes))
    verdict = (f"Image {chosen}'s true class is **{quote(row.true_class)}** (class {y}); the network's largest "
               f"probability is for **{quote(row.predicted)}**, so it is "
               + ("right." if row.predicted == row.true_class else "wrong.")
               + (f" Its logits are shifted by the largest, {shift:.3f}, before $e^z$: that leaves every $p$ the same "
                  "and keeps $e^z$ a finite number." if shift else ""))
    chance_line = None
    if untrained is not None:
        untrained_loss = float(_cross_entropy(_logits(untrained, images), labels).mean())
        chance_line = (rf"\text{{untrained: }} L = {untrained_loss:.4f} \qquad \text{{every class }} 1/{len(classes)}:\ "
                       rf"L = \ln {len(classes)} = {math.log(len(classes)):.4f}")
    return OneBatch(rows, tuple(_picture(image) for image in np.asarray(images)), captions, float(losses.mean()),
                    chosen, z, probabilities[chosen], exp, shift, class_rows, softmax_line, loss_line, mean_line,
                    chance_line, verdict)
