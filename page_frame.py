"""What the router wraps around every page: the shared-link check and the presentation switch.

One function, so that the router and the tests that open a page from a link run the same frame.
"""

from __future__ import annotations

from collections.abc import Callable

import presentation
import shared_links


def run(page_body: Callable[[], None]) -> list[str]:
    """Draw the presentation switch, run the page, then say what of its link could not be used.

    Returns the link's problems (empty for a clean link), as shown in the note above the page.
    """
    link = shared_links.LinkCheck()
    presentation.switch()
    page_body()
    return link.report()
