"""pytest fixtures for the real-browser tests: ``browser``, ``page``, ``live_server``.

Enable them with ``pytest_plugins = ["tests.browser_fixtures"]`` in
``tests/conftest.py`` (or in a test module).

* ``browser`` — one headless Chromium for the session (:mod:`tests.browser`).
  Skipped when Chromium is missing, unless ``CI`` is set: then it fails, so a
  CI run never passes by skipping every browser test.
* ``page`` — a fresh tab in its own browser context, closed after the test.
* ``live_server(app)`` — serves a Flask app on ``127.0.0.1`` and an ephemeral
  port from a thread, for as long as the test runs.
"""
from __future__ import annotations

import os
import threading
import typing as t

import pytest
from werkzeug.serving import BaseWSGIServer, make_server

from .browser import Browser, BrowserNotFound, Page

if t.TYPE_CHECKING:  # pragma: no cover
    from _typeshed.wsgi import WSGIApplication


def _on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def browser() -> t.Iterator[Browser]:
    try:
        browser = Browser.launch()
    except BrowserNotFound as e:
        if _on_ci():
            pytest.fail(f"{e} (CI is set, so browser tests may not be skipped)")
        pytest.skip(str(e))
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def page(browser: Browser) -> t.Iterator[Page]:
    page = browser.new_page()
    try:
        yield page
    finally:
        page.close()


class LiveServer:
    """A WSGI app served by werkzeug on 127.0.0.1 from a background thread."""

    def __init__(self, app: WSGIApplication) -> None:
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
        self.port: int = self.server.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            # A short poll interval keeps shutdown() fast.
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"live-server-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def url_for(self, path: str = "/") -> str:
        """``path`` on this server: ``url_for("/src/main.ts")``."""
        return self.url + "/" + path.lstrip("/")

    def stop(self) -> None:
        self.server.shutdown()
        self._thread.join(10)
        self.server.server_close()


@pytest.fixture
def live_server() -> t.Iterator[t.Callable[[WSGIApplication], LiveServer]]:
    """Call it with an app to serve it: ``server = live_server(app); page.goto(server.url)``."""
    servers: list[LiveServer] = []

    def start(app: WSGIApplication) -> LiveServer:
        server = LiveServer(app)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
