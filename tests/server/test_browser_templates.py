"""create-vite's client-only templates in headless Chromium, served by a Flask
app that only calls ``FlaskVite(app)`` in dev mode.

Each template's ``index.html``, ``public/`` and ``src/`` are unmodified; its
dependencies come from flask-vite's own installer.
"""
from __future__ import annotations

import typing as t
from pathlib import Path

import pytest

from tests.apps import CREATE_VITE, dev_app, make_template_app

if t.TYPE_CHECKING:
    from tests.browser import Page


def load_and_check(page: Page, url: str) -> None:
    page.goto(url, wait="load")
    # Every module request is done once the counter button is rendered.
    page.wait_for("document.querySelector('button.counter') !== null")
    # Images load after the modules; wait for them rather than race them.
    page.wait_for("document.images.length >= 3 && [...document.images].every(i => i.complete)")
    assert page.console_errors == [], page.console_errors
    assert page.failed_requests == [], page.failed_requests
    # Images loaded (hero.png, the framework logo, the Vite logo).
    broken = page.evaluate(
        "[...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)")
    assert broken == []
    assert page.evaluate("document.images.length") >= 3
    # CSS from the JS-imported stylesheets is applied (injected <style> tags).
    assert page.evaluate("document.querySelectorAll('style[data-vite-dev-id]').length") >= 1
    assert page.evaluate("getComputedStyle(document.querySelector('button.counter')).borderRadius") != "0px"


@pytest.mark.parametrize("template", ["template-vanilla-ts", "template-react-ts"])
def test_template_loads_and_counts(template: str, tmp_path: Path, page: Page, live_server: t.Any) -> None:
    root = make_template_app(CREATE_VITE, template, tmp_path / "app")
    app = dev_app(root)
    try:
        server = live_server(app)
        load_and_check(page, server.url_for("/"))
        button = "button.counter"
        before = page.text(button)
        assert "0" in before
        page.click(button)
        page.wait_for(f"document.querySelector({button!r}).textContent.includes('1')")
        page.click(button)
        page.wait_for(f"document.querySelector({button!r}).textContent.includes('2')")
        assert page.console_errors == []
    finally:
        app.extensions["vite"].close()
