"""The browser harness itself (tests/browser.py), against a tiny Flask app."""
from __future__ import annotations

import math
import os
import socket
import typing as t
from pathlib import Path

import pytest
from flask import Flask, Response

from .browser import Browser, BrowserClosedError, BrowserNotFound, BrowserTimeout
from .browser import JSError, NavigationError, Page

if t.TYPE_CHECKING:  # pragma: no cover
    # Imported for real by pytest_plugins, which must come first (assert rewriting).
    from .browser_fixtures import LiveServer

# Harmless when tests/conftest.py lists it too: a plugin registers once.
pytest_plugins = ["tests.browser_fixtures"]

PAGES = {
    "/": """<!doctype html><title>module</title>
<div id="out"></div>
<script type="module" src="/main.js"></script>""",
    "/errors": """<!doctype html><title>errors</title>
<script type="module">
console.error("something bad", 7)
throw new Error("kaboom")
</script>""",
    "/missing": """<!doctype html><title>missing</title>
<script type="module" src="/nope.js"></script>""",
    "/counter": """<!doctype html><title>counter</title>
<button id="inc" style="margin-top: 1500px">+1</button> <span id="count">0</span>
<script type="module">
let n = 0
document.querySelector("#inc").addEventListener("click", () => {
  document.querySelector("#count").textContent = String(++n)
})
</script>""",
}

MAIN_JS = """\
document.querySelector("#out").textContent = "set by a module"
console.log("module ran", 42, {a: 1})
"""


def make_app() -> Flask:
    app = Flask(__name__)

    @app.get("/main.js")
    def main_js() -> Response:
        return Response(MAIN_JS, mimetype="text/javascript")

    def html(path: str) -> t.Callable[[], Response]:
        return lambda: Response(PAGES[path], mimetype="text/html")

    for path in PAGES:
        app.add_url_rule(path, endpoint=path, view_func=html(path))
    return app


@pytest.fixture
def server(live_server: t.Callable[[Flask], LiveServer]) -> LiveServer:
    return live_server(make_app())


def test_module_script_sets_text_and_logs(page: Page, server: LiveServer) -> None:
    page.goto(server.url_for("/"))

    assert page.text("#out") == "set by a module"
    [entry] = page.console
    assert entry == {
        "type": "log",
        "text": 'module ran 42 Object',
        "url": server.url_for("/main.js"),
        "line": 2,
        "source": "console",
    }
    assert page.console_errors == []
    assert page.failed_requests == []
    assert page.requests == [server.url_for("/"), server.url_for("/main.js")]


def test_console_error_and_uncaught_exception_are_errors(page: Page, server: LiveServer) -> None:
    page.goto(server.url_for("/errors"))

    errors = page.console_errors
    assert [(e["source"], e["text"].splitlines()[0]) for e in errors] == [
        ("console", "something bad 7"),
        ("exception", "Error: kaboom"),
    ]
    assert errors[1]["url"] == server.url_for("/errors")
    assert errors[1]["line"] == 4


def test_404_script_is_a_failed_request(page: Page, server: LiveServer) -> None:
    page.goto(server.url_for("/missing"))

    assert page.failed_requests == [
        {
            "url": server.url_for("/nope.js"),
            "status": 404,
            "error": None,
            "resource_type": "Script",
        }
    ]
    # DevTools shows it in the console too.
    [entry] = page.console_errors
    assert entry["source"] == "network" and "404" in entry["text"]


def test_click_increments_a_counter(page: Page, server: LiveServer) -> None:
    page.goto(server.url_for("/counter"))
    for _ in range(3):
        page.click("#inc")  # below the fold: scrolled into view first

    assert page.text("#count") == "3"
    assert page.evaluate("scrollY") > 0

    page.reload()
    assert page.text("#count") == "0"
    assert page.requests.count(server.url_for("/counter")) == 2


def test_screenshot_writes_a_png(page: Page, server: LiveServer, tmp_path: Path) -> None:
    page.goto(server.url_for("/"))

    out = page.screenshot(tmp_path / "shot.png")

    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 800)


def test_evaluate_values_and_errors(page: Page) -> None:
    assert page.evaluate("1 + 1") == 2
    assert page.evaluate("({a: [1, 'x', null, true]})") == {"a": [1, "x", None, True]}
    assert page.evaluate("Promise.resolve('later')") == "later"
    assert page.evaluate("undefined") is None
    assert math.isnan(page.evaluate("NaN"))
    assert page.evaluate("2n ** 70n") == 2**70
    assert page.evaluate("(a, b) => a + b", 2, 3) == 5

    with pytest.raises(JSError, match="TypeError: nope"):
        page.evaluate("throw new TypeError('nope')")
    with pytest.raises(JSError, match="rejected"):
        page.evaluate("Promise.reject(new Error('rejected'))")


def test_wait_for_polls_then_times_out(page: Page) -> None:
    page.evaluate("setTimeout(() => { window.ready = 'yes' }, 100), 0")
    assert page.wait_for("window.ready") == "yes"

    with pytest.raises(BrowserTimeout, match="window.never"):
        page.wait_for("window.never", timeout=0.2)
    with pytest.raises(TimeoutError):  # BrowserTimeout is a TimeoutError
        page.text("#absent", timeout=0.2)


def test_goto_refused_port_is_a_navigation_error(page: Page) -> None:
    with socket.socket() as s:  # a port nobody listens on any more
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    with pytest.raises(NavigationError, match="ERR_CONNECTION_REFUSED"):
        page.goto(f"http://127.0.0.1:{port}/")


@pytest.mark.usefixtures("browser")  # skips (or fails on CI) without Chromium
def test_dead_browser_raises_a_clear_error() -> None:
    browser = Browser.launch()  # a second one, for this test to kill
    try:
        page = browser.new_page()
        os.killpg(browser.process.pid, 9)
        with pytest.raises(BrowserClosedError, match="Chromium closed the DevTools connection"):
            page.evaluate("1")
        with pytest.raises(BrowserClosedError):
            browser.new_page()
    finally:
        browser.close()
    assert not browser.workdir.exists()
    assert browser.process.returncode is not None


def test_missing_binary(tmp_path: Path) -> None:
    with pytest.raises(BrowserNotFound, match="scripts/install-chromium"):
        Browser.launch(tmp_path / "no-chromium")
