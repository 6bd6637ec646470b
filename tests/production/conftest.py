"""Fixtures for the production runtime: apps built with ``flask vite build``
(its Python API) and a Flask app in production mode over them."""
from __future__ import annotations

import os
import re
import typing as t
from pathlib import Path

import pytest
from flask import Flask, Response, jsonify, request

from flask_vite import FlaskVite

pytest.importorskip("py_mini_racer", reason="the V8 binding (pip install mini-racer) is not installed")

#: A page that misbehaves on request: the URL picks the fault.
PAGE_TS = """\
// Pages for the fault tests: the URL picks how the render misbehaves.
export type Props = { marker?: string }

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)
}

export function renderPage(url: string, props: Props = {}): { head: string; html: string } {
  if (url.startsWith('/loop')) {
    for (;;) {}
  }
  if (url.startsWith('/grow')) {
    const keep: number[][] = []
    for (;;) keep.push(new Array(100_000).fill(keep.length))
  }
  if (url.startsWith('/throw')) {
    failLoudly(url)
  }
  const marker = escapeHtml(props.marker ?? '')
  return {
    head: `<meta name="marker" content="${marker}">`,
    html: `<main data-url="${escapeHtml(url)}">${marker}</main>`,
  }
}

function failLoudly(url: string): never {
  throw new Error(`render failed for ${url}`)
}
"""

ENTRY_SERVER_TS = """\
import { renderPage, type Props } from './page'

export function render(url: string, props?: Props) {
  if (url.startsWith('/async')) {
    return new Promise((resolve) => setTimeout(() => resolve(renderPage(url, props)), 1))
  }
  return renderPage(url, props)
}
"""

WORDS = ", ".join(f"'word{i}'" for i in range(400))
ENTRY_CLIENT_TS = f"""\
import './style.css'

// Big enough to be worth compressing.
const words: string[] = [{WORDS}]
document.title = words.join(' ')
"""

INDEX_HTML = """\
<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <title>fault tests</title>
    <!--app-head-->
  </head>
  <body>
    <div id="app"><!--app-html--></div>
    <script type="module" src="/src/entry-client.ts"></script>
  </body>
</html>
"""


def write_fault_app(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "public").mkdir()
    (root / "src" / "page.ts").write_text(PAGE_TS)
    (root / "src" / "entry-server.ts").write_text(ENTRY_SERVER_TS)
    (root / "src" / "entry-client.ts").write_text(ENTRY_CLIENT_TS)
    (root / "src" / "style.css").write_text("main { color: rebeccapurple }\n" * 80)
    (root / "public" / "robots.txt").write_text("User-agent: *\n")
    (root / "public" / "notes.txt").write_text("public notes\n" * 200)
    (root / "index.html").write_text(INDEX_HTML)
    (root / "package.json").write_text('{"name": "fault-app", "private": true}')
    return root


def build(root: Path, *, ssr_entry: str = "src/entry-server.ts", sourcemap: bool = True) -> Path:
    """``flask vite build`` for ``root``: the client (from ``index.html``),
    then the SSR bundle of ``ssr_entry``; returns ``root / "dist"``."""
    from flask_vite.build.builder import build as vite_build

    app = Flask("builder", root_path=str(root.parent))
    app.config.update(VITE_ROOT=root.name, VITE_DEV=False)
    FlaskVite(app)
    try:
        vite_build(app, client=True, ssr=ssr_entry, sourcemap=sourcemap)
    finally:
        app.extensions["vite"].close()
    return root / "dist"


@pytest.fixture(scope="session")
def fault_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A built app whose pages loop, allocate or throw on request."""
    root = write_fault_app(tmp_path_factory.mktemp("fault") / "app")
    build(root)
    return root


def page_line(text: str, needle: str) -> int:
    """The 1-based line of ``needle`` in ``text``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def prod_app(root: Path, entry: str = "src/entry-server.ts", **config: t.Any) -> tuple[Flask, FlaskVite]:
    """A Flask app in production mode over ``root``'s build: one catch-all
    view, as create-vite-extra's server.js; ``?marker=`` becomes a prop."""
    vite = FlaskVite()
    app = Flask("prod_app", root_path=str(root.parent))
    settings = {"VITE_ROOT": root.name, "VITE_DEV": False, "VITE_APP_TYPE": "custom", **config}
    app.config.update(settings)
    vite.init_app(app)

    @app.get("/__pids")
    def pids() -> Response:
        renderer = app.extensions["vite"].production
        pools = renderer.pools() if renderer is not None else {}
        return jsonify(web=os.getpid(), renderers=[pid for pool in pools.values() for pid in pool.stats().pids])

    @app.get("/", defaults={"path": ""})
    @app.get("/<path:path>")
    def page(path: str) -> Response:
        marker = request.args.get("marker")
        props = {"marker": marker} if marker is not None else None
        html = vite.render(entry, url="/" + path, props=props)
        return Response(html, mimetype="text/html")

    return app, vite


@pytest.fixture
def fault_app(fault_root: Path) -> t.Iterator[Flask]:
    app, _ = prod_app(fault_root, VITE_SSR_TIMEOUT=1.0, VITE_SSR_HEAP_LIMIT_MB=64)
    yield app
    app.extensions["vite"].close()


MARKER_RE = re.compile(r"m-\d+-[0-9a-f]+")
