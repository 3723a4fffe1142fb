"""Code blocks: monospace lines through dashboard.presentation.code, without syntax colouring (Python
colouring cost ~0.4 s of browser time on the conv lab's cold load; st.html lines ~1.5 s)."""

from __future__ import annotations

import re

from conftest import REPO


class _Container:
    def __init__(self):
        self.calls = []

    def code(self, *args, **kwargs):
        self.calls.append((args, kwargs))


def test_a_code_block_is_plain_monospace_that_wraps():
    from dashboard import presentation

    container = _Container()
    presentation.code("y = x * w  # <b>not markup</b>", container=container)
    assert container.calls == [(("y = x * w  # <b>not markup</b>",), {"language": None, "wrap_lines": True})]


def test_every_code_block_goes_through_the_one_helper():
    sources = [*REPO.glob("pages/*.py"), REPO / "app.py", *REPO.glob("dashboard/**/*.py")]
    callers = [path.name for path in sources if path.name != "presentation.py" and re.search(r"\bst\.code\(", path.read_text())]
    assert callers == []
