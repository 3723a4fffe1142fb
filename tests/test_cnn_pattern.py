"""cnnviz.cnn_pattern: a stack read against INPUT -> [[CONV -> RELU]*N -> POOL?]*M -> [FC -> RELU]*K -> FC."""

import pytest

from cnnviz.cnn_pattern import NO_FC, PATTERN, fit_pattern


def test_the_pattern_is_stated_with_its_letters():
    assert PATTERN == "INPUT → [[CONV → RELU] × N → POOL?] × M → [FC → RELU] × K → FC"


@pytest.mark.parametrize(("kinds", "formula", "letters"), [
    # The builder's VGG-like preset, LeNet-5, and VGG-16's own shape (2, 2, 3, 3, 3 convs; 2 hidden FC).
    (["conv", "conv", "max pool"] * 2 + ["fc", "fc"],
     "INPUT → [[CONV → RELU] × 2 → POOL] × 2 → [FC → RELU] × 1 → FC", "N = 2, M = 2, K = 1"),
    (["conv", "avg pool"] * 2 + ["fc"] * 3, "INPUT → [[CONV → RELU] × 1 → POOL] × 2 → [FC → RELU] × 2 → FC",
     "N = 1, M = 2, K = 2"),
    (["conv", "conv", "max pool"] * 2 + ["conv", "conv", "conv", "max pool"] * 3 + ["fc"] * 3,
     "INPUT → [[CONV → RELU] × 2 → POOL] × 2 → [[CONV → RELU] × 3 → POOL] × 3 → [FC → RELU] × 2 → FC",
     "N = 2, 3, M = 5, K = 2"),
    (["conv", "conv", "max pool", "conv", "fc"], "INPUT → [CONV → RELU] × 2 → POOL → [CONV → RELU] × 1 → FC",
     "N = 2, 1, M = 2, K = 0"),  # POOL? : the last group need not pool
    (["fc"], "INPUT → FC", "N = 0, M = 0, K = 0"),  # a linear classifier: M = 0
])
def test_a_stack_in_the_pattern_is_written_in_its_own_numbers(kinds, formula, letters):
    fit = fit_pattern(kinds)
    assert fit.fits and fit.problem is None
    assert (fit.formula(), fit.letters()) == (formula, letters)


@pytest.mark.parametrize(("kinds", "problem"), [
    (["max pool", "conv", "fc"], "Layer 1 (max pool) pools right after the input; in the pattern each pooling "
                                 "follows one or more CONV → RELU."),
    (["conv", "max pool", "avg pool", "fc"], "Layer 3 (avg pool) pools right after another pooling; in the "
                                             "pattern each pooling follows one or more CONV → RELU."),
    (["conv", "fc", "conv", "fc"], "Layer 3 (conv) comes after an FC layer; in the pattern the convolutions and "
                                   "poolings come first."),
    (["conv", "conv"], NO_FC),
])
def test_where_a_stack_leaves_the_pattern_is_named(kinds, problem):
    fit = fit_pattern(kinds)
    assert not fit.fits and fit.problem == problem


def test_a_stack_without_fc_is_shown_as_far_as_it_goes():
    fit = fit_pattern(["conv"] * 4)
    assert (fit.formula(), fit.letters(), fit.ends_in_fc) == ("INPUT → [[CONV → RELU] × 4] × 1", "N = 4, M = 1, K = 0",
                                                              False)


def test_each_part_of_the_pattern_spans_its_layers():
    fit = fit_pattern(["conv", "conv", "max pool", "conv", "fc", "fc", "fc"])
    assert fit.spans == ((0, 2, "[CONV → RELU] × 2 → POOL"), (3, 3, "[CONV → RELU] × 1"), (4, 5, "[FC → RELU] × 2"),
                         (6, 6, "FC: the class scores"))
    assert fit_pattern(["fc"]).spans == ((0, 0, "FC: the class scores"),)
