"""Hot module replacement end to end: real files edited on disk, the real
watcher, esbuild and headless Chromium, on create-vite's templates served by
a Flask app that only calls ``FlaskVite(app)``.

Every test sets ``window.__marker`` after the page loads: it survives a hot
update and is gone after a page reload.
"""
from __future__ import annotations

import json
import threading
import time
import typing as t
from pathlib import Path

import pytest
from flask import Flask, render_template
from werkzeug.serving import make_server

from flask_vite import FlaskVite
from tests.apps import CREATE_VITE, dev_app, make_template_app

if t.TYPE_CHECKING:
    from tests.browser import Page

#: Seconds a hot update or reload may take to show in the page.
UPDATE_TIMEOUT = 10


def wait_until(condition: t.Callable[[], object], timeout: float = UPDATE_TIMEOUT,
               what: str = "condition") -> None:
    """Poll a Python-side condition (the page's console, the server's state)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


class Session:
    """A template app served on a live server, open in a page."""

    def __init__(self, app: Flask, page: Page, server: t.Any) -> None:
        self.app = app
        self.page = page
        self.server = server
        self.url = server.url_for("/")
        self.root = Path(app.extensions["vite"].config.root)

    def open(self, ready: str) -> None:
        """Load the page, wait for ``ready`` (a JS expression) and for the HMR connection."""
        self.page.clear_logs()
        self.page.goto(self.url)
        self.page.wait_for(ready, UPDATE_TIMEOUT)
        self.wait_connected()
        # Edits made before the watcher is set up would go unnoticed.
        assert self.app.extensions["vite"].dev_server.watcher.wait_ready(UPDATE_TIMEOUT)
        self.page.evaluate("window.__marker = 'kept'")

    def wait_connected(self) -> None:
        wait_until(lambda: self.logged("[vite] connected."), what="[vite] connected.")

    def logged(self, text: str) -> bool:
        return any(m["text"] == text for m in self.page.console)

    def edit(self, path: str, old: str, new: str) -> None:
        file = self.root / path
        text = file.read_text()
        assert old in text, f"{old!r} not in {path}"
        file.write_text(text.replace(old, new, 1))

    def marker_kept(self) -> bool:
        return self.page.evaluate("window.__marker") == "kept"


@pytest.fixture
def open_template(tmp_path: Path, page: Page, live_server: t.Any) -> t.Iterator[t.Callable[..., Session]]:
    apps: list[Flask] = []

    def start(template: str) -> Session:
        root = make_template_app(CREATE_VITE, template, tmp_path / template)
        app = dev_app(root)
        apps.append(app)
        return Session(app, page, live_server(app))

    yield start
    for app in apps:
        app.extensions["vite"].close()


def test_vanilla_css_edit_updates_style_in_place(open_template: t.Callable[..., Session]) -> None:
    s = open_template("template-vanilla-ts")
    s.open("document.querySelector('button.counter') !== null")
    assert s.page.console_errors == []
    s.edit("src/style.css", "--accent: #aa3bff;", "--accent: rgb(1, 2, 3);")
    s.page.wait_for(
        "getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()"
        " === 'rgb(1, 2, 3)'", UPDATE_TIMEOUT)
    assert s.marker_kept()
    assert s.logged("[vite] hot updated: /src/style.css")
    assert s.page.console_errors == []


def test_vanilla_edit_without_boundary_reloads(open_template: t.Callable[..., Session]) -> None:
    s = open_template("template-vanilla-ts")
    s.open("document.querySelector('button.counter') !== null")
    s.edit("src/counter.ts", "Count is ${counter}", "Clicks: ${counter}")
    s.page.wait_for("document.querySelector('button.counter')?.textContent === 'Clicks: 0'",
                    UPDATE_TIMEOUT)
    assert not s.marker_kept()
    assert s.page.console_errors == []


def test_react_css_edit_updates_style_in_place(open_template: t.Callable[..., Session]) -> None:
    s = open_template("template-react-ts")
    s.open("document.querySelector('button.counter') !== null")
    s.page.click("button.counter")
    s.page.wait_for("document.querySelector('button.counter').textContent.includes('1')")
    s.edit("src/App.css", "padding: 5px 10px;", "padding: 7px 11px;")
    s.page.wait_for("getComputedStyle(document.querySelector('button.counter')).paddingLeft"
                    " === '11px'", UPDATE_TIMEOUT)
    assert s.marker_kept()
    # React's state is untouched: no reload, no re-render from scratch.
    assert "1" in s.page.text("button.counter")
    assert s.logged("[vite] hot updated: /src/App.css")
    assert s.page.console_errors == []


def overlay_text(page: Page, part: str) -> str | None:
    return t.cast(t.Optional[str], page.evaluate(
        f"document.querySelector('vite-error-overlay')?.shadowRoot"
        f".querySelector({json.dumps(part)})?.textContent ?? null"))


@pytest.mark.parametrize(("template", "path", "old", "new", "error_at"), [
    # error_at: where in `new` esbuild stops.
    ("template-vanilla-ts", "src/counter.ts", "let counter = 0", "let counter = = 0", 14),
    ("template-react-ts", "src/App.tsx", "const [count, setCount] = useState(0)",
     "const [count, setCount] = useState(0))", 37),
])
def test_syntax_error_shows_the_overlay_until_fixed(
        open_template: t.Callable[..., Session], template: str, path: str, old: str, new: str,
        error_at: int) -> None:
    ready = "document.querySelector('button.counter')?.textContent === 'Count is 0'"
    s = open_template(template)
    s.open(ready)
    source = (s.root / path).read_text()
    s.edit(path, old, new)
    line_index = source[:source.index(old)].count("\n")
    line_text = source.splitlines()[line_index].replace(old, new)
    column = line_text.index(new) + error_at
    s.page.wait_for("document.querySelector('vite-error-overlay') !== null", UPDATE_TIMEOUT)
    where = overlay_text(s.page, ".file") or ""
    assert where.startswith((s.root / path).as_posix() + f":{line_index + 1}:"), where
    assert int(where.rsplit(":", 1)[1]) == column, where
    message = overlay_text(s.page, ".message-body") or ""
    assert message.startswith("Transform failed with 1 error"), message
    frame = overlay_text(s.page, ".frame") or ""
    assert f"{line_index + 1}  |  " in frame and "^" in frame, frame

    s.page.evaluate("window.__marker = 'kept'")
    s.edit(path, new, old)
    s.page.wait_for(f"!document.querySelector('vite-error-overlay') && ({ready})", UPDATE_TIMEOUT)
    assert not s.marker_kept()  # a module without a boundary: the page reloaded
    s.wait_connected()
    s.page.click("button.counter")
    s.page.wait_for("document.querySelector('button.counter').textContent === 'Count is 1'")


def test_css_syntax_error_shows_the_overlay_until_fixed(
        open_template: t.Callable[..., Session]) -> None:
    # esbuild would repair the stylesheet and only warn; Vite (PostCSS) fails
    # on it, and so do we: the overlay names the file, fixing it clears it.
    ready = "document.querySelector('button.counter')?.textContent === 'Count is 0'"
    s = open_template("template-react-ts")
    s.open(ready)
    s.page.click("button.counter")
    s.edit("src/App.css", ".counter {", ".counter { {")
    s.page.wait_for("document.querySelector('vite-error-overlay') !== null", UPDATE_TIMEOUT)
    where = overlay_text(s.page, ".file") or ""
    assert where.startswith((s.root / "src/App.css").as_posix() + ":"), where
    message = overlay_text(s.page, ".message-body") or ""
    assert 'Unexpected "{"' in message, message
    s.edit("src/App.css", ".counter { {", ".counter {")
    s.page.wait_for("!document.querySelector('vite-error-overlay')", UPDATE_TIMEOUT)
    # A stylesheet is its own boundary: the page was not reloaded.
    s.page.wait_for("document.querySelector('button.counter').textContent === 'Count is 1'")


GLOB_MAIN = """\
const titles = import.meta.glob<string>('./pages/*.ts', { eager: true, import: 'title' })
document.querySelector('#app')!.textContent = Object.values(titles).sort().join(',')
import.meta.hot?.accept()
"""


def test_file_matched_by_a_glob_shows_up(tmp_path: Path, page: Page, live_server: t.Any) -> None:
    root = tmp_path / "globapp"
    (root / "src" / "pages").mkdir(parents=True)
    (root / "package.json").write_text('{"name": "globapp", "private": true}')
    (root / "index.html").write_text(
        '<!doctype html><html><head></head><body><div id="app"></div>'
        '<script type="module" src="/src/main.ts"></script></body></html>')
    (root / "src" / "main.ts").write_text(GLOB_MAIN)
    for name in ("a", "b"):
        (root / "src" / "pages" / f"{name}.ts").write_text(f"export const title = '{name}'\n")
    app = dev_app(root)
    try:
        s = Session(app, page, live_server(app))
        s.open("document.querySelector('#app').textContent === 'a,b'")
        (root / "src" / "pages" / "c.ts").write_text("export const title = 'c'\n")
        page.wait_for("document.querySelector('#app').textContent === 'a,b,c'", UPDATE_TIMEOUT)
        assert s.marker_kept()  # main.ts accepts itself: re-run in place
        (root / "src" / "pages" / "a.ts").unlink()
        page.wait_for("document.querySelector('#app').textContent === 'b,c'", UPDATE_TIMEOUT)
        assert s.marker_kept()
        assert page.console_errors == []
    finally:
        app.extensions["vite"].close()


class NoUpgrade:
    """A WSGI server that cannot hand its socket to the app (as many cannot)."""

    def __init__(self, app: t.Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, t.Any], start_response: t.Any) -> t.Any:
        environ.pop("werkzeug.socket", None)
        return self.app(environ, start_response)


def test_event_stream_fallback_in_the_browser(open_template: t.Callable[..., Session]) -> None:
    s = open_template("template-vanilla-ts")
    s.app.wsgi_app = NoUpgrade(s.app.wsgi_app)  # type: ignore[method-assign]
    s.open("document.querySelector('button.counter') !== null")
    assert s.logged("[vite] connected to the event stream (no WebSocket on this server).")
    clients = s.app.extensions["vite"].dev_server.hot.clients
    assert [c.transport for c in clients] == ["sse"]
    s.edit("src/style.css", "--accent: #aa3bff;", "--accent: rgb(4, 5, 6);")
    s.page.wait_for(
        "getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()"
        " === 'rgb(4, 5, 6)'", UPDATE_TIMEOUT)
    assert s.marker_kept()
    # The only error: the browser's own line about the refused WebSocket.
    errors = [m for m in s.page.console_errors if "WebSocket" not in m["text"]]
    assert errors == []


def test_page_reloads_when_the_server_is_back(open_template: t.Callable[..., Session]) -> None:
    s = open_template("template-vanilla-ts")
    s.open("document.querySelector('button.counter') !== null")
    port = s.server.port
    # The server goes away, as when flask run's reloader restarts the process.
    s.server.stop()
    s.app.extensions["vite"].close()
    wait_until(lambda: s.logged("[vite] server connection lost. Polling for restart..."),
               what="the client to notice")
    s.page.clear_logs()
    # A new process serves the same app on the same port.
    app = dev_app(s.root)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        s.wait_connected()
        s.page.wait_for("document.querySelector('button.counter') !== null", UPDATE_TIMEOUT)
        assert not s.marker_kept()
    finally:
        app.extensions["vite"].close()
        server.shutdown()
        thread.join(UPDATE_TIMEOUT)
        server.server_close()


def test_jinja_template_edit_reloads_the_page(tmp_path: Path, page: Page, live_server: t.Any) -> None:
    """A Flask view's template (not a module) changes: the page reloads, as
    Flask's reloader would not tell the browser."""
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text(
        "<!doctype html><html><head>{{ vite_tags('src/main.ts') }}</head>"
        "<body><h1>first</h1></body></html>")
    root = tmp_path / "frontend"
    (root / "src").mkdir(parents=True)
    (root / "package.json").write_text('{"name": "jinja", "private": true}')
    (root / "src" / "main.ts").write_text("document.body.dataset.ready = 'yes'\n")
    app = Flask(__name__, root_path=str(tmp_path))
    # What `flask run --debug` turns on: Jinja re-reads edited templates.
    app.config.update(VITE_ROOT="frontend", VITE_DEV=True, TEMPLATES_AUTO_RELOAD=True)
    FlaskVite(app)

    @app.get("/")
    def index() -> str:
        return render_template("page.html")

    try:
        s = Session(app, page, live_server(app))
        s.open("document.body.dataset.ready === 'yes'")
        (tmp_path / "templates" / "page.html").write_text(
            "<!doctype html><html><head>{{ vite_tags('src/main.ts') }}</head>"
            "<body><h1>second</h1></body></html>")
        page.wait_for("document.querySelector('h1')?.textContent === 'second'", UPDATE_TIMEOUT)
        assert not s.marker_kept()
        assert page.console_errors == []
    finally:
        app.extensions["vite"].close()


HOT_MAIN = """\
import './a.css'
import './inv.ts'
document.body.dataset.runs = String(Number(document.body.dataset.runs ?? 0) + 1)
window.__events ??= []
for (const name of ['vite:beforeUpdate', 'vite:afterUpdate', 'vite:invalidate',
                    'vite:beforePrune', 'vite:beforeFullReload', 'vite:error']) {
  import.meta.hot?.on(name, () => window.__events.push(name))
}
import.meta.hot?.accept()
"""
HOT_INV = """\
export const version = 1
// This module finds it cannot take its update: its importer is updated instead.
import.meta.hot?.accept(() => import.meta.hot?.invalidate('cannot take it'))
"""


def test_link_css_invalidate_prune_and_events(tmp_path: Path, page: Page,
                                              live_server: t.Any) -> None:
    root = tmp_path / "hotapp"
    (root / "src").mkdir(parents=True)
    (root / "package.json").write_text('{"name": "hotapp", "private": true}')
    (root / "index.html").write_text(
        '<!doctype html><html><head><link rel="stylesheet" href="/src/link.css"></head><body>'
        '<script type="module" src="/src/main.ts"></script></body></html>')
    (root / "src" / "link.css").write_text("body { margin-left: 11px }\n")
    (root / "src" / "main.ts").write_text(HOT_MAIN)
    (root / "src" / "inv.ts").write_text(HOT_INV)
    (root / "src" / "a.css").write_text("body { color: rgb(1, 2, 3) }\n")
    app = dev_app(root)
    try:
        s = Session(app, page, live_server(app))
        s.open("document.body.dataset.runs === '1'"
               " && getComputedStyle(document.body).color === 'rgb(1, 2, 3)'")
        # A stylesheet of a <link>: a css-update swaps the <link>.
        s.edit("src/link.css", "11px", "13px")
        page.wait_for("getComputedStyle(document.body).marginLeft === '13px'", UPDATE_TIMEOUT)
        assert s.logged("[vite] css hot updated: /src/link.css")
        assert page.evaluate("document.querySelectorAll('link[rel=stylesheet]').length") == 1
        # invalidate(): the update goes on to main.ts, which runs again in place.
        page.evaluate("window.__events.length = 0")
        s.edit("src/inv.ts", "version = 1", "version = 2")
        page.wait_for("document.body.dataset.runs === '2'", UPDATE_TIMEOUT)
        assert s.marker_kept()
        assert s.logged("[vite] invalidate /src/inv.ts: cannot take it")
        # inv.ts's update, then main.ts's (its new run listening from then on).
        page.wait_for("window.__events.length >= 5")
        assert page.evaluate("window.__events") == [
            "vite:beforeUpdate", "vite:invalidate", "vite:afterUpdate",
            "vite:beforeUpdate", "vite:afterUpdate"]
        # main.ts stops importing a.css: its <style> is pruned.
        s.edit("src/main.ts", "import './a.css'\n", "")
        page.wait_for("document.body.dataset.runs === '3'"
                      " && getComputedStyle(document.body).color !== 'rgb(1, 2, 3)'",
                      UPDATE_TIMEOUT)
        assert page.evaluate("document.querySelectorAll('style[data-vite-dev-id]').length") == 0
        assert "vite:beforePrune" in page.evaluate("window.__events")
        assert s.marker_kept()
        assert page.console_errors == []
    finally:
        app.extensions["vite"].close()
