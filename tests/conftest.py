"""Shared test fixtures. Paths are built from __file__ so tests run from any folder."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "app.py"


@pytest.fixture
def app_test():
    """An AppTest of the whole app, with a timeout that allows for importing torch."""
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(APP), default_timeout=90)


@pytest.fixture(scope="module")
def one_torch_thread():
    """Compute on one thread: where several processes share the cores (CI, lecture laptops),
    OpenMP threads waiting on each other are many times slower than one thread."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory):
    """The real dashboard (dashboard.serve) on a free loopback port, with its own empty data folder."""
    from dashboard.testing.server import DashboardServer

    server = DashboardServer(env={"CNNVIZ_HOME": str(tmp_path_factory.mktemp("cnnviz-home"))})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def chromium():
    """Debian's headless Chromium, driven by Playwright (skips the module when it is missing)."""
    import os

    from browser import CHROMIUM, CHROMIUM_ARGS

    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            raise RuntimeError(f"CI must install Chromium ({CHROMIUM}); .ci/run does it with apt-get")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def fashion():
    """Fashion-MNIST, loaded once for every lesson test that reads its images (never modified)."""
    from cnnviz.data import load_dataset

    return load_dataset("fashion-mnist")


@pytest.fixture(scope="session")
def shipped_lenet():
    """The shipped LeNet-5 trained on Fashion-MNIST, on the CPU, in evaluation mode."""
    from cnnviz.models import load_checkpoint
    from cnnviz.paths import PRETRAINED_DIR

    return load_checkpoint(PRETRAINED_DIR / "lenet5-fashion-mnist.pt", map_location="cpu").eval()
