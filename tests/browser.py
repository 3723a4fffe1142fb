"""Drive the real dashboard in headless Chromium: the browser's flags and small page helpers.

The server itself is dashboard.testing.server (DashboardServer), shared with the benchmarks.

Debian's Chromium is used (Playwright's own browser download cannot reach the internet here),
with the flags that keep it from phoning home.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CNNVIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Debian's Chromium still calls its updater and Google accounts despite the flags above:
    # resolve nothing but the dashboard's own loopback address.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]
SCREENSHOTS = REPO / "test-artifacts" / "browser"


def wait_until_idle(page, timeout_ms: int = 120_000) -> None:
    """Wait for the app to render and for Streamlit's script run to finish."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    page.wait_for_selector('[data-testid="stMain"]', timeout=timeout_ms)
    # Give a rerun time to start, then wait until the script is no longer running.
    page.wait_for_timeout(800)
    page.wait_for_function(
        """() => { const app = document.querySelector('[data-testid="stApp"]');
                   const state = app && app.getAttribute('data-test-script-state');
                   return state === 'notRunning'
                       && !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]'); }""",
        timeout=timeout_ms,
    )
    # Streamlit draws a skeleton where an element's script is still loading (a cold page's widgets):
    # the page is not readable until they are gone.
    page.wait_for_function(
        """() => ![...document.querySelectorAll('[data-testid="stSkeleton"]')].some((el) => el.getClientRects().length)""",
        timeout=timeout_ms,
    )
    page.wait_for_timeout(500)


def exceptions_on(page) -> list[str]:
    return [e.inner_text() for e in page.query_selector_all('[data-testid="stException"]')]


def upload(page, path, index=0) -> None:
    """Put a file into the page's index-th file uploader, as a user's file picker would."""
    page.locator('[data-testid="stFileUploader"] input[type="file"]').nth(index).set_input_files(str(path))
    wait_until_idle(page)


def upload_photo(page, source: str, path) -> None:
    """Choose the page's upload option (a radio labelled `source`, e.g. "Upload a photo"), then upload."""
    page.get_by_text(source, exact=True).first.click()
    wait_until_idle(page)
    upload(page, path)
