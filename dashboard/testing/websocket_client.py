"""A browser session without a browser: Streamlit's own websocket protocol, spoken from Python.

One ``StreamlitSession`` is one browser tab. It does what the Streamlit frontend does and no more:
- fetches the page and ``/_stcore/health``, which sets the ``_streamlit_xsrf`` cookie;
- opens ``/_stcore/stream`` with that cookie, a same-origin ``Origin`` header and the
  subprotocol list ``["streamlit", <xsrf token>]`` (the server reads the token from the second
  entry of Sec-WebSocket-Protocol and checks it against the cookie);
- asks for a page with a ``rerun_script`` BackMsg whose ``page_name`` is the page's url path
  ("" for the default page) and whose ``query_string`` carries the query parameters;
- reads the ForwardMsgs (new_session, delta, page_info_changed, page_not_found, script_finished)
  until the run ends; a later rerun or click sends the query string as the server last set it.

A render's time runs from sending the request to receiving ``script_finished``: the server's
side of a page view (the script and every message it sends), not the browser's paint.

Example:
    with StreamlitSession("http://127.0.0.1:8501") as session:
        render = session.visit("convolution", "conv_stride=2")
        assert render.ok, render.problems
        render = session.click("Start")  # a button (or form submit button) on the page shown
"""

from __future__ import annotations

import time
import urllib.request
from dataclasses import dataclass, field

# The frontend's subprotocol name; the server selects the first entry it is offered.
SUBPROTOCOL = "streamlit"
XSRF_COOKIE = "_streamlit_xsrf"


class ProtocolError(RuntimeError):
    """The server said something this client does not expect (or nothing in time)."""


@dataclass
class Render:
    """What one script run sent.

    Attributes:
        url_path: the page asked for ("" is the default page).
        seconds: from the request to ``script_finished`` (wall clock).
        finished: True once script_finished arrived with a success status.
        page_not_found: the server answered page_not_found (it then shows the default page).
        exceptions: the text of every exception element (what the browser shows as stException).
        errors: the body of every st.error box.
        warnings: the body of every st.warning box (e.g. a link setting that fell back).
        elements: the last run's elements (streamlit.proto Element), in arrival order.
    """

    url_path: str
    seconds: float = 0.0
    finished: bool = False
    page_not_found: bool = False
    exceptions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    elements: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """The page rendered to the end: no exception, no error box, no page-not-found."""
        return self.finished and not self.page_not_found and not self.exceptions and not self.errors

    @property
    def problems(self) -> str:
        """A one-paragraph account of what went wrong, for assertion messages."""
        parts = [f"/{self.url_path}"]
        if not self.finished:
            parts.append("did not finish")
        if self.page_not_found:
            parts.append("page not found")
        parts += [f"exception: {text}" for text in self.exceptions]
        parts += [f"error: {text}" for text in self.errors]
        return "; ".join(parts)

    def texts(self) -> list[str]:
        """Every string in every element (markdown bodies, labels, progress texts, ...)."""
        found: list[str] = []
        for element in self.elements:
            _collect_strings(element, found)
        return found

    def shows(self, text: str) -> bool:
        """True if some element's text contains ``text``."""
        return any(text in value for value in self.texts())


def _collect_strings(message, found: list[str]) -> None:
    for descriptor, value in message.ListFields():
        if descriptor.type == descriptor.TYPE_STRING:
            found.extend([value] if isinstance(value, str) else value)
        elif descriptor.type == descriptor.TYPE_MESSAGE:
            for item in ([value] if hasattr(value, "ListFields") else value):  # one or repeated
                if hasattr(item, "ListFields"):  # map fields yield keys, not messages
                    _collect_strings(item, found)


class StreamlitSession:
    """One browser session on a running Streamlit server, used from one thread.

    Args:
        base_url: e.g. "http://127.0.0.1:8501" (no trailing slash).
        timeout: seconds to wait for a script run to finish.
    """

    def __init__(self, base_url: str, timeout: float = 120.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._socket = None
        self._url_path = ""
        self._query = ""
        self._elements: dict[tuple[int, ...], object] = {}

    # -- connection -----------------------------------------------------------------------

    def open(self, url_path: str = "", xsrf: str | None = None) -> "StreamlitSession":
        """Load the page's HTML and open the websocket, as a browser opening ``/<url_path>`` does.

        Args:
            xsrf: the XSRF cookie of another session, to open this one as another tab of the same
                browser (tabs share their cookies); None gets a cookie of its own.
        """
        from websockets.sync.client import connect

        with urllib.request.urlopen(f"{self.base_url}/{url_path}", timeout=30) as response:
            response.read()
        request = urllib.request.Request(f"{self.base_url}/_stcore/health",
                                         headers={"Cookie": f"{XSRF_COOKIE}={xsrf}"} if xsrf else {})
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            xsrf = _cookie(response.headers.get_all("Set-Cookie") or [], XSRF_COOKIE) or xsrf
        self.xsrf = xsrf
        subprotocols = [SUBPROTOCOL] + ([xsrf] if xsrf else [])
        headers = {"Cookie": f"{XSRF_COOKIE}={xsrf}"} if xsrf else {}
        self._socket = connect(
            self.base_url.replace("http", "ws", 1) + "/_stcore/stream",
            origin=self.base_url, subprotocols=subprotocols, additional_headers=headers,
            max_size=None, proxy=None, open_timeout=30, legacy=True,  # a plain connection we close ourselves
        )
        return self

    def close(self) -> None:
        """Close the tab: the server ends the session."""
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def __enter__(self) -> "StreamlitSession":
        return self if self._socket is not None else self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    # -- page views -----------------------------------------------------------------------

    def visit(self, url_path: str, query: str = "") -> Render:
        """Show a page, as following a link to ``/<url_path>?<query>`` within the app does.

        Args:
            url_path: the page's url path ("" for the default page), e.g. "convolution".
            query: the query string without "?", e.g. "conv_stride=2&conv_dilation=2".
        """
        self._url_path, self._query = url_path, query
        return self._run()

    def rerun(self) -> Render:
        """Run the current page again with its widgets as they are (the "R" key)."""
        return self._run()

    def click(self, label: str) -> Render:
        """Press the button (or form submit button) labelled ``label`` on the page last shown.

        Raises:
            LookupError: no such button on the page.
        """
        return self._run(trigger=self.button_id(label))

    def button_id(self, label: str) -> str:
        """The widget id of the first button labelled ``label`` on the page last shown."""
        for element in self._elements.values():
            if element.WhichOneof("type") == "button" and element.button.label == label:
                return element.button.id
        raise LookupError(f"no button labelled {label!r} on /{self._url_path}")

    def _rerun_message(self, trigger: str | None = None):
        from streamlit.proto.BackMsg_pb2 import BackMsg

        message = BackMsg()
        state = message.rerun_script
        state.query_string = self._query
        state.page_name = self._url_path
        if trigger is not None:
            widget = state.widget_states.widgets.add()
            widget.id, widget.trigger_value = trigger, True
        context = state.context_info
        context.url = f"{self.base_url}/{self._url_path}" + (f"?{self._query}" if self._query else "")
        context.timezone, context.locale = "UTC", "en-US"
        return message

    # -- what a crafted client sends --------------------------------------------------------

    def send_reruns(self, count: int) -> None:
        """Send ``count`` rerun requests of the current page back to back, reading no answer."""
        data = self._rerun_message().SerializeToString()
        for _ in range(count):
            self._socket.send(data)

    def send_clear_cache(self) -> None:
        """Ask the server to clear its caches, as the app menu's "Clear cache" does."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        message = BackMsg()
        message.clear_cache = True
        self._socket.send(message.SerializeToString())

    def drain(self, seconds: float) -> None:
        """Read and forget whatever the server sends for ``seconds``."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                self._socket.recv(timeout=left)
            except TimeoutError:
                return

    def _run(self, trigger: str | None = None) -> Render:
        if self._socket is None:
            self.open(self._url_path)
        message = self._rerun_message(trigger)
        render = Render(self._url_path)
        start = time.perf_counter()
        self._socket.send(message.SerializeToString())
        self._read_until_finished(render)
        render.seconds = time.perf_counter() - start
        render.elements = list(self._elements.values())
        return render

    def _read_until_finished(self, render: Render) -> None:
        from streamlit.proto.Alert_pb2 import Alert
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ProtocolError(f"/{self._url_path} did not finish within {self.timeout:.0f} s")
            try:
                data = self._socket.recv(timeout=left)
            except TimeoutError:
                continue
            message = ForwardMsg()
            message.ParseFromString(data)
            kind = message.WhichOneof("type")
            if kind == "new_session":  # a full run starts: the page is drawn from scratch
                self._elements = {}
            elif kind == "page_info_changed":  # the script changed the URL (st.query_params, bound widgets)
                self._query = message.page_info_changed.query_string
            elif kind == "page_not_found":
                render.page_not_found = True
            elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                element = message.delta.new_element
                self._elements[tuple(message.metadata.delta_path)] = element
                if element.WhichOneof("type") == "exception":
                    render.exceptions.append(f"{element.exception.type}: {element.exception.message}")
                elif element.WhichOneof("type") == "alert" and element.alert.format == Alert.ERROR:
                    render.errors.append(element.alert.body)
                elif element.WhichOneof("type") == "alert" and element.alert.format == Alert.WARNING:
                    render.warnings.append(element.alert.body)
            elif kind == "script_finished":
                status = message.script_finished
                if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:  # st.rerun(): another run follows
                    continue
                render.finished = status in (ForwardMsg.FINISHED_SUCCESSFULLY,
                                             ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
                if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    render.exceptions.append("the script did not compile")
                return


def _cookie(set_cookie_headers: list[str], name: str) -> str | None:
    """The value of cookie ``name`` among Set-Cookie headers (values may hold "|", so no SimpleCookie)."""
    for header in set_cookie_headers:
        key, _, rest = header.partition("=")
        if key.strip() == name:
            return rest.split(";", 1)[0].strip().strip('"')
    return None


# -- driving the dashboard ------------------------------------------------------------------
# Shared by tests/test_load.py and the load and memory benchmarks.

TRAIN_PAGE = "train"


def dashboard_pages() -> list[str]:
    """Every page's url path, in menu order; the default (first) page is "" as a browser opens it."""
    from dashboard import navigation

    return ["" if index == 0 else entry.url_path for index, entry in enumerate(navigation.PAGES)]


def training_is_shown(render: Render) -> bool:
    """True while the Training page shows a run in progress (its progress bar)."""
    return any(element.WhichOneof("type") == "progress" for element in render.elements)


def start_training(session: StreamlitSession, query: str = "", timeout: float = 180.0) -> Render:
    """Open the Training page, press Start, and rerun until the run's progress bar shows.

    Args:
        query: the form's settings as query parameters, e.g. "train_epochs=1".

    Raises:
        ProtocolError: the page showed an error, or no progress within ``timeout`` seconds.
    """
    render = session.visit(TRAIN_PAGE, query)
    render = session.click("Start")
    deadline = time.monotonic() + timeout
    while not training_is_shown(render):
        if not render.ok:
            raise ProtocolError(f"starting a run failed: {render.problems}")
        if time.monotonic() > deadline:
            raise ProtocolError(f"the run did not start training within {timeout:.0f} s")
        time.sleep(1.0)
        render = session.rerun()
    return render


def stop_training(session: StreamlitSession, timeout: float = 120.0) -> Render:
    """Press Stop (if the run is still going) on the Training page, which ``session`` shows, and
    rerun until the run has ended."""
    render = session.rerun()
    if training_is_shown(render):
        render = session.click("Stop")
    deadline = time.monotonic() + timeout
    while training_is_shown(render):
        if time.monotonic() > deadline:
            raise ProtocolError(f"the run did not stop within {timeout:.0f} s")
        time.sleep(1.0)
        render = session.rerun()
    return render


def walk_concurrently(base_url: str, sessions: int, pages: list[str], seed: int = 0,
                      queries: dict[str, str] | None = None) -> list[Render]:
    """``sessions`` browser sessions at once, each opening every page once in its own shuffled order.

    All sessions connect first, then start together (a barrier), as a room does when the lecturer
    says "open the link". Each runs in its own thread and closes when done.

    Args:
        queries: an optional query string per url path.

    Returns:
        Every render, in no particular order; a session that broke contributes a Render whose
        exceptions name what went wrong.
    """
    import random
    import threading

    renders: list[Render] = []
    lock = threading.Lock()
    barrier = threading.Barrier(sessions)

    def one_session(index: int) -> None:
        order = list(pages)
        random.Random(seed * 1000 + index).shuffle(order)
        mine: list[Render] = []
        try:
            with StreamlitSession(base_url).open(order[0]) as session:
                barrier.wait(timeout=120)
                for url_path in order:
                    mine.append(session.visit(url_path, (queries or {}).get(url_path, "")))
        except Exception as error:  # reported as a failed render: the caller asserts on it
            barrier.abort()
            mine.append(Render(url_path="?", exceptions=[f"session {index}: {type(error).__name__}: {error}"]))
        with lock:
            renders.extend(mine)

    threads = [threading.Thread(target=one_session, args=(i,), name=f"session-{i}") for i in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return renders
