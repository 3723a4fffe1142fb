"""Code blocks: monospace lines through dashboard.presentation.code, never st.code (whose syntax
highlighter, a 1.5 MB script, cost about 0.4 s of browser time on each load of a page that had one)."""

from __future__ import annotations

import re

from conftest import REPO


class _Container:
    def __init__(self):
        self.bodies = []

    def html(self, body):
        self.bodies.append(body)


def test_a_code_block_escapes_what_it_shows():
    from dashboard import presentation

    container = _Container()
    presentation.code("y = <b>x</b> & w  # <script>alert(1)</script>\nsecond line", container=container)
    assert container.bodies == ['<pre class="cnnviz-code">y = &lt;b&gt;x&lt;/b&gt; &amp; w  # '
                                '&lt;script&gt;alert(1)&lt;/script&gt;\nsecond line</pre>']


def test_no_page_draws_streamlits_highlighted_code_block():
    sources = [*REPO.glob("pages/*.py"), REPO / "app.py", *REPO.glob("dashboard/**/*.py")]
    callers = [path.name for path in sources if re.search(r"\bst\.code\(|\.code\(.*language=", path.read_text())]
    assert callers == []
    assert ".cnnviz-code" in __import__("dashboard.presentation", fromlist=["_WRAP_RULES"])._WRAP_RULES
