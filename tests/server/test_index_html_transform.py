from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.apps import dev_app

HTML = {"Accept": "text/html"}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    (root / "src").mkdir(parents=True)
    (root / "pages").mkdir()
    (root / "src" / "greet.ts").write_text("export const greet = (n: string): string => `hi ${n}`\n")
    (root / "index.html").write_text(
        "<!doctype html><html><head><title>t</title></head><body>\n"
        '<script type="module">import { greet } from "/src/greet.ts"\n'
        "document.body.dataset.greeting = greet('inline')</script>\n"
        "<!-- <script type=\"module\">commented()</script> -->\n"
        '<script type="module" src="./src/greet.ts"></script>\n'
        "<script>window.classic = 1</script>\n"
        "</body></html>")
    (root / "pages" / "about.html").write_text(
        '<html><head></head><body><script type="module" src="../src/greet.ts"></script>'
        '<script type="module">console.log(1)</script></body></html>')
    return root


def test_inline_module_scripts_become_proxy_modules(root: Path) -> None:
    app = dev_app(root)
    try:
        client = app.test_client()
        html = client.get("/", headers=HTML).get_data(as_text=True)
        assert '<script type="module" src="/index.html?html-proxy&amp;index=0.js"></script>' in html
        # Relative module src becomes root-absolute; classic and commented scripts stay.
        assert '<script type="module" src="/src/greet.ts"></script>' in html
        assert "<script>window.classic = 1</script>" in html
        assert '<!-- <script type="module">commented()</script> -->' in html
        js = client.get("/index.html?html-proxy&index=0.js").get_data(as_text=True)
        assert re.search(r'import \{ greet \} from "/src/greet\.ts"', js)
        assert "greet('inline')" in js
    finally:
        app.extensions["vite"].close()


def test_nested_page_paths(root: Path) -> None:
    app = dev_app(root, VITE_APP_TYPE="mpa")
    try:
        client = app.test_client()
        html = client.get("/pages/about.html", headers=HTML).get_data(as_text=True)
        assert '<script type="module" src="/src/greet.ts"></script>' in html
        assert 'src="/pages/about.html?html-proxy&amp;index=0.js"' in html
        r = client.get("/pages/about.html?html-proxy&index=0.js")
        assert r.status_code == 200 and "console.log(1)" in r.get_data(as_text=True)
    finally:
        app.extensions["vite"].close()
