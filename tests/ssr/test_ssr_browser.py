"""create-vite-extra's SSR templates in headless Chromium: the server-rendered
page hydrates without warnings and the counter counts."""
from __future__ import annotations

import typing as t
from pathlib import Path

import pytest

from tests.apps import CREATE_VITE_EXTRA, make_template_app
from tests.ssr.test_dev_ssr import ssr_app

if t.TYPE_CHECKING:
    from tests.browser import Page


@pytest.mark.parametrize(("template", "entry"), [
    ("template-ssr-react-ts", "/src/entry-server.tsx"),
    ("template-ssr-vanilla", "/src/entry-server.js"),
])
def test_ssr_page_hydrates_and_counts(template: str, entry: str, tmp_path: Path, page: Page,
                                      live_server: t.Any) -> None:
    root = make_template_app(CREATE_VITE_EXTRA, template, tmp_path / "app")
    app, _ = ssr_app(root, entry)
    try:
        server = live_server(app)
        # Chromium shows the server's HTML before any script runs: with JS off
        # the counter is already there (React: "Count is 0"; vanilla: empty
        # until its script sets it).
        page.goto(server.url_for("/"), wait="load")
        page.wait_for("document.querySelector('button.counter')?.textContent.includes('0')")
        page.click("button.counter")
        page.wait_for("document.querySelector('button.counter').textContent.includes('1')")
        page.click("button.counter")
        page.wait_for("document.querySelector('button.counter').textContent.includes('2')")
        errors = page.console_errors
        assert errors == [], errors  # no hydration mismatch warnings, no failed modules
        assert page.failed_requests == []
        assert page.evaluate("document.querySelectorAll('style[data-vite-dev-id]').length") >= 1
    finally:
        app.extensions["vite"].close()


def test_react_markup_is_adopted_not_replaced(tmp_path: Path, page: Page, live_server: t.Any) -> None:
    root = make_template_app(CREATE_VITE_EXTRA, "template-ssr-react-ts", tmp_path / "app")
    app, _ = ssr_app(root)
    try:
        server = live_server(app)
        page.goto(server.url_for("/"), wait="domcontentloaded")
        # Tag the server-rendered heading before hydration; hydration keeps the node.
        page.evaluate("document.querySelector('h1').dataset.server = 'yes'")
        page.click("button.counter")
        page.wait_for("document.querySelector('button.counter').textContent.includes('1')")
        assert page.evaluate("document.querySelector('h1').dataset.server") == "yes"
        assert page.console_errors == []
    finally:
        app.extensions["vite"].close()
