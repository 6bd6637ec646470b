"""Hot module replacement end to end: real files edited on disk, the real
watcher, esbuild and headless Chromium, on create-vite's templates served by
a Flask app that only calls ``FlaskVite(app)``.

Every test sets ``window.__marker`` after the page loads: it survives a hot
update and is gone after a page reload.
"""
from __future__ import annotations

import time
import typing as t
from pathlib import Path

import pytest
from flask import Flask

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

    def __init__(self, app: Flask, page: Page, url: str) -> None:
        self.app = app
        self.page = page
        self.url = url
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
        server = live_server(app)
        return Session(app, page, server.url_for("/"))

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
