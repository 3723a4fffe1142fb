"""One training batch through the shipped LeNet-5, as the Training page's batch tab shows it: every
printed number against torch's softmax and cross-entropy, and the worked lines adding up."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnviz import learned_kernels
from cnnviz.data import to_float
from cnnviz.lessons import one_batch as lesson

_NUMBER = r"(-?\d+(?:\.\d+)?(?: \\times 10\^\{-?\d+\})?)"


def _value(text: str) -> float:
    """A tex_number back to a float: "2.109 \\times 10^{6}" -> 2109000.0."""
    if r"\times" in text:
        mantissa, exponent = re.fullmatch(r"(-?[\d.]+) \\times 10\^\{(-?\d+)\}", text).groups()
        return float(mantissa) * 10 ** int(exponent)
    return float(text)




def _batch(shipped_lenet, fashion, number=0, chosen=0, untrained=None, quote=str):
    indices = lesson.batch_indices(number, len(fashion.train_labels))
    return indices, lesson.one_batch(shipped_lenet, fashion.train_images[indices], fashion.train_labels[indices], indices,
                                     shipped_lenet.classes, chosen, untrained=untrained, quote=quote)


@pytest.mark.parametrize("number", [0, 1, 4321])
def test_every_row_is_torchs_softmax_and_cross_entropy(shipped_lenet, fashion, number):
    indices, batch = _batch(shipped_lenet, fashion, number)
    x, y = to_float(fashion.train_images[indices]), fashion.train_labels[indices]
    with torch.no_grad():
        logits = shipped_lenet(x).double()
    losses = F.cross_entropy(logits, y, reduction="none")
    probabilities = logits.softmax(dim=1)
    assert batch.mean_loss == pytest.approx(F.cross_entropy(logits, y).item(), abs=1e-9)
    assert [row.index for row in batch.rows] == indices == list(range(8 * number, 8 * number + 8))
    for i, row in enumerate(batch.rows):
        assert row.true_class == shipped_lenet.classes[y[i]]
        assert row.predicted == shipped_lenet.classes[int(logits[i].argmax())]
        assert row.z_true == pytest.approx(logits[i, y[i]].item(), abs=1e-9)
        assert row.p_true == pytest.approx(probabilities[i, y[i]].item(), abs=1e-9)
        assert row.loss == pytest.approx(losses[i].item(), abs=1e-9)
    assert batch.captions[0] == f"0: {shipped_lenet.classes[y[0]]}"
    assert np.array_equal(np.asarray(batch.pictures[3]), fashion.train_images[indices[3], 0].numpy())


@pytest.mark.parametrize("chosen", range(8))
def test_the_worked_lines_add_up_in_the_numbers_they_print(shipped_lenet, fashion, chosen):
    indices, batch = _batch(shipped_lenet, fashion, 2, chosen)
    y = int(fashion.train_labels[indices[chosen]])
    row = batch.rows[chosen]
    pattern = (re.escape(f"p_{{{y}}} = ") + rf".* = \\frac{{e\^{{{_NUMBER}}}\\,}}{{{_NUMBER}}} = \\frac{{{_NUMBER}}}{{{_NUMBER}}} = "
               rf"(\d\.\d{{4}})$")
    z, total, numerator, total2, p = re.search(pattern, batch.softmax_line).groups()
    assert total == total2 and float(z) == pytest.approx(row.z_true, abs=5e-4)
    assert _value(numerator) == pytest.approx(math.exp(row.z_true), rel=5e-4)  # e^z as printed
    assert _value(numerator) / _value(total) == pytest.approx(float(p), abs=1e-3)  # the division as printed
    assert float(p) == pytest.approx(row.p_true, abs=5e-5)
    # The chosen image's table: one row per class, e^z / sum = p, the probabilities summing to 1.
    assert [r["Class"] for r in batch.class_rows] == list(shipped_lenet.classes)
    assert sum(r["e^z"] for r in batch.class_rows) == pytest.approx(_value(total), rel=5e-4)
    assert sum(r["p"] for r in batch.class_rows) == pytest.approx(1.0)
    assert batch.class_rows[y]["p"] == pytest.approx(row.p_true)

    loss = re.fullmatch(re.escape(rf"\ell = -\ln p_{{{y}}}") + rf" = -\\ln (\d\.\d{{4}}) = (\d+\.\d{{4}})", batch.loss_line)
    assert loss and float(loss.group(1)) == float(p) and float(loss.group(2)) == pytest.approx(row.loss, abs=5e-5)
    assert -math.log(float(p)) == pytest.approx(row.loss, abs=5e-4 / float(p) + 5e-5)

    terms = [float(t) for t in re.findall(r"\d+\.\d{4}", batch.mean_line.split(r"\,(")[1].rsplit(")", 1)[0])]
    assert terms == [round(r.loss, 4) for r in batch.rows]
    mean = float(re.search(r"\) = (\d+\.\d{4})", batch.mean_line).group(1))
    assert sum(terms) / 8 == pytest.approx(mean, abs=5e-5 + 1e-9) and mean == round(batch.mean_loss, 4)
    assert "right." in batch.verdict if row.predicted == row.true_class else "wrong." in batch.verdict


def test_an_untrained_twin_sits_near_ln_k_and_is_what_torch_says(shipped_lenet, fashion):
    twin = learned_kernels.untrained_twin(shipped_lenet, seed=0).eval()
    indices, batch = _batch(shipped_lenet, fashion, 0, untrained=twin)
    with torch.no_grad():
        expected = F.cross_entropy(twin(to_float(fashion.train_images[indices])), fashion.train_labels[indices]).item()
    assert f"L = {expected:.4f}" in batch.chance_line
    assert r"L = \ln 10 = 2.3026" in batch.chance_line
    assert abs(expected - math.log(10)) < 0.5, "an untrained network's loss is near ln K"
    assert batch.mean_loss < expected, "the trained one does better on its own training images"
    assert _batch(shipped_lenet, fashion, 0)[1].chance_line is None


def test_huge_logits_are_shifted_and_give_the_same_probabilities(shipped_lenet, fashion):
    class Loud(torch.nn.Module):  # a checkpoint can give logits whose e^z overflows a float
        def __init__(self):
            super().__init__()
            self.inner = shipped_lenet

        classes = shipped_lenet.classes

        def forward(self, x):
            return 100 * self.inner(x)

    indices, batch = _batch(Loud().eval(), fashion, 0)
    with torch.no_grad():
        logits = 100 * shipped_lenet(to_float(fashion.train_images[indices])).double()
    assert batch.shift == pytest.approx(logits[0].max().item())
    assert np.isfinite(batch.exp).all() and batch.exp.max() == pytest.approx(1.0)
    assert batch.probabilities == pytest.approx(logits[0].softmax(dim=0).numpy())
    assert "shifted by the largest" in batch.verdict and "z_{" in batch.softmax_line
    assert batch.mean_loss == pytest.approx(F.cross_entropy(logits, fashion.train_labels[indices]).item())


def test_class_names_are_quoted_in_the_verdict(shipped_lenet, fashion):
    _, batch = _batch(shipped_lenet, fashion, 0, quote=lambda name: f"<{name}>")
    assert "**<" in batch.verdict


def test_batches_and_numbers_for_latex():
    assert lesson.batch_indices(0, 60_000) == list(range(8))
    assert lesson.last_batch(60_000) == 7499 and lesson.batch_indices(7499, 60_000)[-1] == 59_999
    assert lesson.batch_indices(2, 20) == [16, 17, 18, 19]  # the last batch may be short
    with pytest.raises(ValueError, match="past the end"):
        lesson.batch_indices(7500, 60_000)
    assert lesson.tex_number(67.5612) == "67.56"
    assert lesson.tex_number(2_109_000.0) == r"2.109 \times 10^{6}"
    assert lesson.tex_number(6.181e-5) == r"6.181 \times 10^{-5}"
