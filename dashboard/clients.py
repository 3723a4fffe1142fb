"""Who is asking: the browser tab, the browser it belongs to, and the address it comes from.

Limits that protect a shared lecture server (training runs, uploads) count per *client*, not per
tab, since one student can open many tabs. A browser is recognised by the token inside
Streamlit's XSRF cookie, which every tab of one browser shares (the server keeps the token when
it renews the cookie). A crafted client can throw its cookie away and come back as a new
browser, so the address is kept too, for looser per-address limits: a whole lecture hall may sit
behind one address, so those stay generous.
"""

from __future__ import annotations

import binascii
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

XSRF_COOKIE = "_streamlit_xsrf"
_REMEMBERED = 10_000  # sessions whose client is remembered (oldest forgotten first)


@dataclass(frozen=True)
class Client:
    """One browser tab and where it comes from.

    Attributes:
        session: Streamlit's id of the browser session (one tab).
        browser: a short hash that all tabs of one browser share; the session id when the
            browser sent no usable cookie.
        address: the client's IP address as the server saw it, or "" when unknown.
    """

    session: str
    browser: str
    address: str


def browser_token(cookie: str | None) -> str | None:
    """A short stable hash of the token in an XSRF cookie ("2|mask|masked token|time"), or None.

    Version 2 cookies mask the token with a fresh mask each time they are written, so the cookie
    text changes while the token stays: unmask it (byte-wise XOR with the repeated mask).
    """
    if not cookie:
        return None
    value = cookie.strip("\"'")
    try:
        if value.startswith("2|"):
            _, mask_hex, masked_hex, _ = value.split("|")
            mask, masked = binascii.a2b_hex(mask_hex), binascii.a2b_hex(masked_hex)
            if not mask or not masked:
                return None
            token = bytes(byte ^ mask[i % len(mask)] for i, byte in enumerate(masked))
        else:
            token = value.encode()
    except (ValueError, binascii.Error):
        return None
    return hashlib.sha256(token).hexdigest()[:16] if token else None


_lock = threading.Lock()
_by_session: OrderedDict[str, Client] = OrderedDict()


def current() -> Client:
    """The client of the script run in progress (call from a page), remembered for lookup()."""
    import streamlit as st

    from dashboard import internals

    session = internals.session_id() or "no-session"
    try:
        cookie = st.context.cookies.get(XSRF_COOKIE)
        address = st.context.ip_address or ""
    except Exception:  # no request behind this run (AppTest): the session is the client
        cookie, address = None, ""
    client = Client(session, browser_token(cookie) or session, address)
    with _lock:
        _by_session[session] = client
        _by_session.move_to_end(session)
        while len(_by_session) > _REMEMBERED:
            _by_session.popitem(last=False)
    return client


def lookup(session: str) -> Client:
    """The client last seen running a script in ``session``; an unknown session is its own client."""
    with _lock:
        return _by_session.get(session) or Client(session, session, "")
