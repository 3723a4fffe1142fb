"""dashboard.markup.escape: any string becomes markdown that shows exactly that text."""

from __future__ import annotations

import re
import string

import pytest

from dashboard.markup import escape

HOSTILE = [
    "[Log in](http://host/login) ![t](http://host/pixel.png)",
    "<img src=http://host/x.png> <script>alert(1)</script>",
    "# Heading\n- item\n1. item\n> quote\n    code\n| a | b |\n|---|---|",
    ":material/warning: :smile: :streamlit: :red[red] :blue-background[x] :small[s]",
    "$x^2$ and $$\\int$$ and \\(a\\)",
    "www.example.com, https://example.com/a?b=c, user@example.com, <http://host>",
    "**bold** _it_ ~~gone~~ `code` [ref]: http://host 'title'",
    "back\\slash \\[not a link\\](x)",
]

# The patterns Streamlit's markdown applies to the *text* of a parsed document (its frontend
# bundle, 1.67): GFM's bare web and mail addresses, emoji and icon shortcodes, the logo.
TEXT_REWRITES = [
    re.compile(r"(https?://|www(?=\.))([-.\w]+)([^ \t\r\n]*)", re.IGNORECASE),
    re.compile(r"(?:^|(?<=[^\w]))([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)"),  # JS: (?<=^|\s|\p{P}|\p{S})
    re.compile(r":\+1:|:-1:|:[\w-]+:"),
    re.compile(r":material_(\w+):"),
    re.compile(r":streamlit:"),
]


def _resolved(markdown: str) -> str:
    """The text a CommonMark parser makes of ``markdown`` when it holds only escapes and text."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def _unescaped_punctuation(markdown: str) -> list[str]:
    """ASCII punctuation not preceded by its own backslash (each escape consumes one pair)."""
    found, i = [], 0
    while i < len(markdown):
        if markdown[i] == "\\" and i + 1 < len(markdown) and markdown[i + 1] in string.punctuation:
            i += 2
            continue
        if markdown[i] in string.punctuation:
            found.append(markdown[i])
        i += 1
    return found


@pytest.mark.parametrize("text", HOSTILE)
def test_every_markup_character_is_escaped_and_nothing_else_changes(text):
    markdown = escape(text)
    assert _unescaped_punctuation(markdown) == []
    assert "\n" not in markdown and "\r" not in markdown
    # What a reader sees is the text itself (whitespace folded as HTML folds it anyway).
    assert _resolved(markdown).replace("\u2060", "") == " ".join(text.split())


@pytest.mark.parametrize("text", HOSTILE)
def test_streamlits_text_rewrites_find_nothing_in_the_resolved_text(text):
    resolved = _resolved(escape(text))
    for pattern in TEXT_REWRITES:
        assert not pattern.search(resolved), (pattern.pattern, resolved)
    # Streamlit rewrites ":material/" in the source before parsing, and loads its emoji plugin only
    # when the source holds a shortcode: neither may happen.
    markdown = escape(text)
    assert ":material/" not in markdown
    assert not re.search(r":(?!material/|streamlit:)[\w+-][\w_+-]*:", markdown)


def test_plain_words_and_numbers_stay_readable():
    assert escape("lenet5 on fashion-mnist, 89.1%") == "lenet5 on fashion\\-mnist\\, 89\\.1\\%"
    assert escape("T-shirt/top") == "T\\-shirt\\/top"
    assert escape("Ankle boot") == "Ankle boot"
    assert escape(42) == "42"


def test_line_breaks_and_indentation_fold_into_one_space():
    assert escape("a\n\n    b\r\nc\u2028d\t e") == "a b c d e"


def test_figures_show_class_names_as_text_not_plotly_html():
    # Plotly reads <a href>, <b> and <span style> in titles, ticks, legends and hovers.
    import numpy as np

    from cnnviz.figures import adversarial_figures, inside_figures

    classes = ['<a href="http://host/login">Log in</a>', "<b>Bag</b>", "Coat"]
    probabilities = np.array([0.5, 0.3, 0.2])
    figures = [
        inside_figures.probability_bars(probabilities, classes, true_label=1),
        inside_figures.vector_bars(probabilities, labels=classes),
        inside_figures.confusion_heatmap(np.eye(3, dtype=int), classes),
        inside_figures.attribution_overlay(np.zeros((4, 4)), np.zeros((4, 4)), title=f"Grad-CAM for '{classes[0]}'"),
        adversarial_figures.probability_change_figure(probabilities, probabilities[::-1], classes, label=0),
        adversarial_figures.attack_figure(np.zeros((1, 4, 4)), np.zeros((1, 4, 4)), 0.1,
                                          original_caption=classes[0], adversarial_caption=classes[1]),
    ]
    for figure in figures:
        spec = figure.to_json()
        assert "<a href" not in spec and "<b>Bag" not in spec, spec[:300]
        assert "&lt;a href" in spec or "&lt;b&gt;Bag" in spec
