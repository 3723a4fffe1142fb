"""Which of a page's lazily run tabs a shared link opens: the one its settings belong to.

Only the open tab runs, so a link made in a hidden tab must open that tab, or its settings would
wait unseen. Each tab's URL parameters share a prefix; the first tab takes every other parameter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def tab_for_link(parameters: Iterable, prefixes: Mapping[str, str], first: str) -> str:
    """The tab of the first parameter in ``parameters`` that starts with one of ``prefixes`` (prefix
    -> tab), else ``first``: a link made before the tab was in the URL names none."""
    for name in parameters:
        for prefix, tab in prefixes.items():
            if str(name).startswith(prefix):
                return tab
    return first
