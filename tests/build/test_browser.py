"""Built apps in headless Chromium: the React SSR template hydrates from the
server bundle's HTML, and a lazily imported chunk gets its CSS before it runs."""
from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
from flask import Flask, Response, send_from_directory

from tests.apps import CREATE_VITE_EXTRA, make_template_app

from .conftest import Builder, write

if t.TYPE_CHECKING:
    from tests.browser import Page


def production_app(root: Path, render: t.Callable[[str], str] | None = None) -> Flask:
    """create-vite-extra's server.js, production branch: files from dist/client,
    every other URL rendered into dist/client/index.html."""
    client = root / "dist" / "client"
    app = Flask(__name__, static_folder=None)

    @app.get("/", defaults={"path": ""})
    @app.get("/<path:path>")
    def page(path: str) -> Response:
        if path and (client / path).is_file():
            return send_from_directory(client, path)
        html = (client / "index.html").read_text()
        if render is not None:
            html = html.replace("<!--app-html-->", render("/" + path))
        return Response(html, mimetype="text/html")

    return app


@pytest.fixture(scope="module")
def react_root(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Path]:
    root = make_template_app(CREATE_VITE_EXTRA, "template-ssr-react-ts",
                             tmp_path_factory.mktemp("react") / "app")
    builder = Builder()
    builder(root, ssr="src/entry-server.tsx")
    yield root
    builder.close()


def test_the_react_template_hydrates(react_root: Path, page: Page, live_server: t.Any) -> None:
    pytest.importorskip("py_mini_racer", reason="the V8 binding is not installed")
    from flask_vite.ssr.process import SsrProcess

    bundle = (react_root / "dist" / "server" / "entry-server.js").read_text()
    with SsrProcess(module_format="cjs", node_env="production") as renderer:
        renderer.define_modules({"/entry-server.js": bundle})

        def render(url: str) -> str:
            return t.cast(str, renderer.call("/entry-server.js", "render", [url])["html"])

        server = live_server(production_app(react_root, render))
        page.goto(server.url_for("/"))
        # Server-rendered: the markup is there before any script ran.
        assert page.evaluate("document.querySelector('h1').textContent") == "Get started"
        page.click("button.counter")
        page.wait_for("document.querySelector('button.counter').textContent === 'Count is 1'")
        assert page.evaluate("getComputedStyle(document.querySelector('.counter')).fontSize") \
            == "16px"  # the built stylesheet applies
        assert page.evaluate("[...document.images].every(img => img.complete"
                             " && img.naturalWidth > 0)")
    assert page.failed_requests == []
    assert page.console_errors == []  # no hydration mismatch, no failed import


def test_a_lazy_chunk_brings_its_css(builder: Builder, small_root: Path, page: Page,
                                     live_server: t.Any) -> None:
    write(small_root, {
        "index.html": '<!doctype html>\n<html>\n  <head>\n  </head>\n  <body>\n'
                      '    <p id="x" class="lazy">text</p><button id="go">go</button>\n'
                      '    <script type="module" src="/src/main.ts"></script>\n'
                      "  </body>\n</html>\n",
        "src/main.ts": "document.querySelector('#go')!.addEventListener('click', async () => {\n"
                       "  const { show } = await import('./lazy')\n  show()\n})\n",
        "src/lazy.ts": "import './lazy.css'\n"
                       "export function show(): void {\n"
                       "  document.body.dataset.color = getComputedStyle(document.querySelector('#x')!).color\n"
                       "}\n",
        "src/lazy.css": ".lazy { color: rgb(0, 0, 255) }\n",
    })
    builder(small_root)
    server = live_server(production_app(small_root))
    page.goto(server.url_for("/"))
    assert page.evaluate("getComputedStyle(document.querySelector('#x')).color") \
        == "rgb(0, 0, 0)"  # not with the page: it belongs to the lazy chunk
    page.click("#go")
    # When the chunk runs, its stylesheet is loaded already (the preload helper).
    assert page.wait_for("document.body.dataset.color") == "rgb(0, 0, 255)"
    assert page.evaluate("document.querySelectorAll('link[rel=stylesheet]').length") == 1
    assert page.failed_requests == [] and page.console_errors == []
