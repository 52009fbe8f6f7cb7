"""A live gutwise server (uvicorn in a thread, demo data in a fresh SQLite file) and Debian's Chromium.

Playwright drives /usr/bin/chromium through ``executable_path``: no browser is ever downloaded.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import uvicorn

from gutwise.core import migrate
from gutwise.core.db import make_engine
from gutwise.core.settings import Settings
from gutwise.core.uow import UnitOfWork
from gutwise.demo.service import load_demo
from gutwise.web.app import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path: Path = tmp_path_factory.mktemp("live") / "gutwise.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    load_demo(uow=UnitOfWork(engine), n_patients=6, seed=7, end=date.today() - timedelta(days=1))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(Settings(), engine), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    pg = context.new_page()
    yield pg
    context.close()
