"""Text that a client or a file controls, made safe to show where Streamlit reads markdown.

st.markdown, st.caption, st.warning, st.error, widget and metric labels all read markdown: a
link's value, an uploaded file's name or a checkpoint's class names shown there as they are can
become a working link inside the app's own warning, an image fetched from any host (so the page
is no longer offline), a heading, a table, a coloured or LaTeX span. ``escape`` turns any string
into markdown that shows exactly that text.
"""

from __future__ import annotations

import re

# Every ASCII punctuation character: CommonMark lets each be backslash-escaped, and an escaped
# one is always shown as itself (links, images, emphasis, code, headings, lists, tables, raw
# HTML, and Streamlit's $LaTeX$ and :colour[...] directives all start at one of them).
_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")

# Streamlit's markdown also rewrites the text *after* parsing, when the escapes are gone: emoji
# and icon shortcodes (":smile:", ":material/...:", ":streamlit:") and bare web and mail addresses
# ("http://...", "www.", "a@b.c") become pictures and links. An invisible word joiner after each
# ':' and '@', and between "www" and its '.', breaks those patterns and shows nothing.
_WORD_JOINER = "\u2060"
_JOINED_AFTER = frozenset(":@")
_WWW_DOT = re.compile(r"(www)(?=\.)", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


def escape(value: object) -> str:
    """Markdown that renders as exactly ``value``'s text, on one line.

    Args:
        value: any text (anything else is shown as ``str(value)``).

    Returns:
        The text with every ASCII punctuation character backslash-escaped and every run of
        whitespace (line breaks included) folded into one space, so nothing in it can start a
        block (a heading, a list, a code block) either.
    """
    text = _WWW_DOT.sub(r"\1" + _WORD_JOINER, _WHITESPACE.sub(" ", str(value)))
    parts = []
    for character in text:
        if character in _PUNCTUATION:
            parts.append("\\" + character)
            if character in _JOINED_AFTER:
                parts.append(_WORD_JOINER)
        else:
            parts.append(character)
    return "".join(parts)


def shown_text(markdown: str) -> str:
    """What a student reads of ``escape``'s output: the escapes and the invisible joiners removed.

    For tests and logs; the inverse of ``escape`` up to the whitespace it folds.
    """
    return re.sub(r"\\(.)", r"\1", markdown).replace(_WORD_JOINER, "")
