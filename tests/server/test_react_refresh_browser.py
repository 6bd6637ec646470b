"""React Fast Refresh end to end: ``plugins=[react()]`` on create-vite's
``template-react-ts`` (client only) and create-vite-extra's
``template-ssr-react-ts`` (a server-rendered page that hydrates), real files
edited on disk, headless Chromium.

``window.__marker`` is set once the page is up: it survives a hot update and
is gone after a reload.
"""
from __future__ import annotations

import os
import typing as t
from pathlib import Path

import pytest
from flask import Flask, render_template_string

from flask_vite.plugins.react import react
from tests.apps import CREATE_VITE, CREATE_VITE_EXTRA, dev_app, make_template_app
from tests.server.test_hmr_browser import UPDATE_TIMEOUT, Session, wait_until
from tests.ssr.test_dev_ssr import ssr_app

if t.TYPE_CHECKING:
    from tests.browser import Page

COUNTER = "document.querySelector('button.counter')"
JINJA_PAGE = """<!doctype html>
<html>
  <head>
    {{ vite_react_refresh() }}
    {{ vite_tags('src/main.tsx') }}
  </head>
  <body><div id="root"></div></body>
</html>
"""
HEADING = "document.querySelector('h1')"


@pytest.fixture
def open_app(tmp_path: Path, page: Page, live_server: t.Any) -> t.Iterator[t.Callable[[str], Session]]:
    apps: list[Flask] = []

    def start(kind: str) -> Session:
        if kind == "client":
            root = make_template_app(CREATE_VITE, "template-react-ts", tmp_path / "client")
            app = dev_app(root, plugins=[react()])
        elif kind == "jinja":
            # The same React app in a page of the Flask app's own, from Jinja.
            root = make_template_app(CREATE_VITE, "template-react-ts", tmp_path / "jinja")
            app = dev_app(root, plugins=[react()], VITE_APP_TYPE="custom")
            app.add_url_rule("/", "page", lambda: render_template_string(JINJA_PAGE))
        else:
            root = make_template_app(CREATE_VITE_EXTRA, "template-ssr-react-ts", tmp_path / "ssr")
            app, _ = ssr_app(root, plugins=[react()])
        apps.append(app)
        return Session(app, page, live_server(app))

    yield start
    for app in apps:
        app.extensions["vite"].close()


def edit(s: Session, path: str, *changes: tuple[str, str]) -> None:
    """Save ``path`` with ``changes`` made, in one go: a new file renamed over
    the old one, so the watcher never reads it half-written (an empty
    App.tsx exports nothing: no refresh boundary, a reload)."""
    file = s.root / path
    text = file.read_text()
    for old, new in changes:
        assert old in text, f"{old!r} not in {path}"
        text = text.replace(old, new, 1)
    temp = file.with_name(f".{file.name}.tmp")
    temp.write_text(text)
    os.replace(temp, file)


def count_to(s: Session, n: int) -> None:
    for i in range(1, n + 1):
        s.page.click("button.counter")
        s.page.wait_for(f"{COUNTER}?.textContent === 'Count is {i}'")


@pytest.mark.parametrize("kind", ["client", "ssr", "jinja"])
def test_component_edit_keeps_state(open_app: t.Callable[[str], Session], kind: str) -> None:
    s = open_app(kind)
    s.open(f"{COUNTER}?.textContent === 'Count is 0'")
    count_to(s, 3)
    edit(s, "src/App.tsx", ("<h1>Get started</h1>", "<h1>Edited live</h1>"))
    s.page.wait_for(f"{HEADING}?.textContent === 'Edited live'", UPDATE_TIMEOUT)
    assert s.marker_kept()  # no reload
    assert s.page.text("button.counter") == "Count is 3"  # state kept
    wait_until(lambda: s.logged("[vite] hot updated: /src/App.tsx"), what="the hot update log")
    # State keeps counting from where it was.
    s.page.click("button.counter")
    s.page.wait_for(f"{COUNTER}?.textContent === 'Count is 4'")
    assert s.page.console_errors == [], s.page.console_errors
    assert s.page.failed_requests == []


# Timers of 16 ms (the refresh's fallback) are held, never run: whatever
# refreshes then is the end of the hot update.
HOLD_REFRESH_TIMERS = """(() => {
  window.__heldTimers = 0
  const setTimeout = window.setTimeout
  window.setTimeout = (callback, ms, ...args) => {
    if (ms === 16) { window.__heldTimers++; return 0 }
    return setTimeout(callback, ms, ...args)
  }
})()"""


def test_the_refresh_follows_the_end_of_the_hot_update(open_app: t.Callable[[str], Session]) -> None:
    # @vitejs/plugin-react refreshes 16 ms after the last module registered;
    # the client knows when its update is applied and refreshes then.
    s = open_app("client")
    s.page.add_init_script(HOLD_REFRESH_TIMERS)
    s.open(f"{COUNTER}?.textContent === 'Count is 0'")
    s.page.evaluate("window.__refreshes = 0;"
                    " window.__registerBeforePerformReactRefresh(() => { window.__refreshes++ })")
    count_to(s, 2)
    edit(s, "src/App.tsx", ("<h1>Get started</h1>", "<h1>Without a timer</h1>"))
    s.page.wait_for(f"{HEADING}?.textContent === 'Without a timer'", UPDATE_TIMEOUT)
    assert s.page.evaluate("window.__heldTimers") >= 1  # the fallback was queued, and held
    assert s.page.evaluate("window.__refreshes") == 1
    assert s.page.text("button.counter") == "Count is 2"
    assert s.marker_kept()
    assert s.page.console_errors == [], s.page.console_errors


@pytest.mark.parametrize("kind", ["client", "ssr"])
def test_non_component_export_reloads(open_app: t.Callable[[str], Session], kind: str) -> None:
    s = open_app(kind)
    s.open(f"{COUNTER}?.textContent === 'Count is 0'")
    count_to(s, 2)
    edit(s, "src/App.tsx", ("export default App", "export const answer = 42\nexport default App"))
    # The module is no longer a refresh boundary: it invalidates, main.tsx
    # accepts nothing, so the page reloads (and the count starts over).
    s.page.wait_for("window.__marker === undefined", UPDATE_TIMEOUT)
    s.page.wait_for(f"{COUNTER}?.textContent === 'Count is 0'", UPDATE_TIMEOUT)
    assert s.logged("[vite] invalidate /src/App.tsx: Could not Fast Refresh (new export)")
    assert s.page.console_errors == [], s.page.console_errors


def test_changing_the_hooks_remounts_in_place(open_app: t.Callable[[str], Session]) -> None:
    s = open_app("client")
    s.open(f"{COUNTER}?.textContent === 'Count is 0'")
    count_to(s, 2)
    # A new hook: the signature changes, React remounts App (state starts
    # over) -- still without a page reload.
    edit(s, "src/App.tsx",
         ("const [count, setCount] = useState(0)",
          "const [count, setCount] = useState(0)\n  const [title] = useState('Hooked')"),
         ("<h1>Get started</h1>", "<h1>{title}</h1>"))
    s.page.wait_for(f"{HEADING}?.textContent === 'Hooked'", UPDATE_TIMEOUT)
    assert s.page.text("button.counter") == "Count is 0"
    assert s.marker_kept()
    count_to(s, 1)
    # Editing JSX only, once more: the state of the new hooks is kept.
    edit(s, "src/App.tsx", ("<h1>{title}</h1>", "<h1>{title}!</h1>"))
    s.page.wait_for(f"{HEADING}?.textContent === 'Hooked!'", UPDATE_TIMEOUT)
    assert s.page.text("button.counter") == "Count is 1"
    assert s.marker_kept()
    assert s.page.console_errors == [], s.page.console_errors


def test_child_component_module_updates_alone(open_app: t.Callable[[str], Session]) -> None:
    s = open_app("client")
    (s.root / "src" / "Title.tsx").write_text(
        "import { useState } from 'react'\n\n"
        "export function Title() {\n"
        "  const [clicks, setClicks] = useState(0)\n"
        "  return <h1 onClick={() => setClicks(clicks + 1)}>Title {clicks}</h1>\n"
        "}\n")
    edit(s, "src/App.tsx", ("import './App.css'", "import './App.css'\nimport { Title } from './Title'"),
         ("<h1>Get started</h1>", "<Title />"))
    s.open(f"{HEADING}?.textContent === 'Title 0'")
    count_to(s, 2)
    s.page.click("h1")
    s.page.wait_for(f"{HEADING}?.textContent === 'Title 1'")
    edit(s, "src/Title.tsx", (">Title {clicks}<", ">Heading {clicks}<"))
    s.page.wait_for(f"{HEADING}?.textContent === 'Heading 1'", UPDATE_TIMEOUT)
    # Title.tsx was its own boundary: App (and its count) was not touched.
    assert s.page.text("button.counter") == "Count is 2"
    assert s.marker_kept()
    wait_until(lambda: s.logged("[vite] hot updated: /src/Title.tsx"), what="the hot update log")
    assert not s.logged("[vite] hot updated: /src/App.tsx")
    assert s.page.console_errors == [], s.page.console_errors


def test_a_jinja_page_without_the_preamble_says_what_to_add(
        tmp_path: Path, page: Page, live_server: t.Any) -> None:
    root = make_template_app(CREATE_VITE, "template-react-ts", tmp_path / "app")
    app = dev_app(root, plugins=[react()], VITE_APP_TYPE="custom")
    app.add_url_rule("/", "page", lambda: render_template_string(
        JINJA_PAGE.replace("{{ vite_react_refresh() }}", "")))
    try:
        page.goto(live_server(app).url_for("/"))
        wait_until(lambda: any("vite_react_refresh()" in m["text"] for m in page.console_errors),
                   what="the missing-preamble error")
    finally:
        app.extensions["vite"].close()


def test_a_render_error_recovers_once_fixed(open_app: t.Callable[[str], Session]) -> None:
    s = open_app("client")
    s.open(f"{COUNTER}?.textContent === 'Count is 0'")
    count_to(s, 2)
    broken = "<h1>{(() => { throw new Error('boom in render') })()}</h1>"
    edit(s, "src/App.tsx", ("<h1>Get started</h1>", broken))
    # No error boundary: React unmounts the root and logs the error.
    wait_until(lambda: any("boom in render" in m["text"] for m in s.page.console_errors),
               what="the render error")
    s.page.wait_for(f"{COUNTER} === null", UPDATE_TIMEOUT)
    edit(s, "src/App.tsx", (broken, "<h1>Fixed</h1>"))
    # The runtime remounts the failed root: no page reload, fresh state.
    s.page.wait_for(f"{HEADING}?.textContent === 'Fixed'", UPDATE_TIMEOUT)
    assert s.marker_kept()
    assert s.page.text("button.counter") == "Count is 0"
