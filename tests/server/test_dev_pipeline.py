"""The dev module pipeline end to end, through Flask's test client.

Real apps (the create-vite templates), real esbuild, real npm packages.
"""
from __future__ import annotations

import base64
import json
import re
import typing as t
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_vite.sourcemap import original_position

from tests.apps import CREATE_VITE, dev_app, make_template_app

HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def vanilla_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template_app(CREATE_VITE, "template-vanilla-ts",
                             tmp_path_factory.mktemp("vanilla") / "app")


@pytest.fixture(scope="module")
def react_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template_app(CREATE_VITE, "template-react-ts", tmp_path_factory.mktemp("react") / "app")


@pytest.fixture
def vanilla(vanilla_root: Path) -> t.Iterator[tuple[Flask, FlaskClient]]:
    app = dev_app(vanilla_root)
    yield app, app.test_client()
    app.extensions["vite"].close()


@pytest.fixture
def react(react_root: Path) -> t.Iterator[tuple[Flask, FlaskClient]]:
    app = dev_app(react_root)
    yield app, app.test_client()
    app.extensions["vite"].close()


def inline_map(js: str) -> dict[str, t.Any]:
    match = re.search(r"//# sourceMappingURL=data:application/json;base64,(\S+)", js)
    assert match, "served module has an inline source map"
    return t.cast(t.Dict[str, t.Any], json.loads(base64.b64decode(match.group(1))))


def test_index_html_gets_the_client_first_in_head(vanilla: tuple[Flask, FlaskClient]) -> None:
    _, client = vanilla
    r = client.get("/", headers=HTML)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert re.search(r'<head>\s*<script type="module" src="/@vite/client"></script>', html)
    assert '<script type="module" src="/src/main.ts"></script>' in html


def test_typescript_entry_is_compiled_and_its_imports_rewritten(vanilla: tuple[Flask, FlaskClient]) -> None:
    _, client = vanilla
    r = client.get("/src/main.ts")
    assert r.status_code == 200
    assert r.mimetype == "text/javascript"
    js = r.get_data(as_text=True)
    assert 'import "/src/style.css";' in js
    assert 'from "/src/counter.ts"' in js
    # Non-JS imports carry Vite's explicit-import marker.
    assert re.search(r'from "/src/assets/hero\.png\?import"', js)
    counter = client.get("/src/counter.ts").get_data(as_text=True)
    assert "HTMLButtonElement" not in counter  # types are gone
    assert "export function setupCounter" in counter


def test_source_map_points_at_the_typescript_line(vanilla: tuple[Flask, FlaskClient], vanilla_root: Path) -> None:
    _, client = vanilla
    js = client.get("/src/counter.ts").get_data(as_text=True)
    source = (vanilla_root / "src" / "counter.ts").read_text()
    line = next(i for i, l in enumerate(js.splitlines(), 1) if "setCounter(0)" in l)
    col = js.splitlines()[line - 1].index("setCounter(0)")
    found = original_position(inline_map(js), line, col)
    assert found is not None
    src_line = next(i for i, l in enumerate(source.splitlines(), 1) if "setCounter(0)" in l)
    assert found[0].endswith("src/counter.ts") and found[1] == src_line


def test_css_import_becomes_a_style_module(vanilla: tuple[Flask, FlaskClient]) -> None:
    _, client = vanilla
    js = client.get("/src/style.css").get_data(as_text=True)
    assert "__vite__updateStyle(" in js and "import.meta.hot.accept()" in js
    direct = client.get("/src/style.css?direct")
    assert direct.mimetype == "text/css"
    assert ":root" in direct.get_data(as_text=True)


def test_etag_gives_304_without_transforming_again(vanilla: tuple[Flask, FlaskClient]) -> None:
    _, client = vanilla
    first = client.get("/src/counter.ts")
    etag = first.headers["ETag"]
    again = client.get("/src/counter.ts", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""


def test_a_file_change_invalidates_the_module(vanilla: tuple[Flask, FlaskClient], vanilla_root: Path) -> None:
    app, client = vanilla
    path = vanilla_root / "src" / "counter.ts"
    original = path.read_text()
    try:
        client.get("/src/main.ts")
        etag = client.get("/src/counter.ts").headers["ETag"]
        changed = original.replace("Count is", "Clicks:")
        assert changed != original
        path.write_text(changed)
        graph = app.extensions["vite"].dev_server.environments["client"].module_graph
        graph.on_file_change(path.as_posix())
        r = client.get("/src/counter.ts", headers={"If-None-Match": etag})
        assert r.status_code == 200
        assert "Clicks:" in r.get_data(as_text=True)
    finally:
        path.write_text(original)


def test_react_bare_imports_go_to_prebundled_deps(react: tuple[Flask, FlaskClient]) -> None:
    _, client = react
    js = client.get("/src/main.tsx").get_data(as_text=True)
    urls = re.findall(r'from "(/node_modules/\.vite/deps/[^"]+)"', js)
    assert {u.split("?")[0] for u in urls} >= {
        "/node_modules/.vite/deps/react.js",
        "/node_modules/.vite/deps/react-dom_client.js",
        "/node_modules/.vite/deps/react_jsx-dev-runtime.js",
    }
    assert all(re.search(r"\?v=[0-9a-f]{8}$", u) for u in urls)
    # React is CommonJS: named imports are read off the default export.
    assert re.search(r'const createRoot = __vite__cjsImport\d+_react_dom_client\["createRoot"\]', js)
    dep = client.get(urls[0])
    assert dep.status_code == 200
    assert "immutable" in dep.headers["Cache-Control"]
    # Chunks shared by the deps are imported with the same version query.
    chunk_imports = re.findall(r'from "(/node_modules/\.vite/deps/chunk-[^"]+)"', dep.get_data(as_text=True))
    assert chunk_imports and all(re.search(r"\?v=[0-9a-f]{8}$", u) for u in chunk_imports)
    for url in chunk_imports:
        assert client.get(url).status_code == 200


def test_syntax_error_names_file_and_line(vanilla: tuple[Flask, FlaskClient], vanilla_root: Path) -> None:
    _, client = vanilla
    bad = vanilla_root / "src" / "broken.ts"
    bad.write_text("export const a = 1\nexport const b = (\n")
    try:
        r = client.get("/src/broken.ts")
        assert r.status_code == 500
        body = r.get_data(as_text=True)
        assert "broken.ts" in body and ":3:" in body
    finally:
        bad.unlink()


def test_unresolved_import_is_reported(vanilla: tuple[Flask, FlaskClient], vanilla_root: Path) -> None:
    _, client = vanilla
    bad = vanilla_root / "src" / "missing.ts"
    bad.write_text("import x from './nope'\nexport default x\n")
    try:
        r = client.get("/src/missing.ts")
        assert r.status_code == 500
        assert 'Failed to resolve import \\"./nope\\" from \\"src/missing.ts\\"' in r.get_data(as_text=True) \
            or 'Failed to resolve import "./nope" from "src/missing.ts"' in r.get_data(as_text=True)
    finally:
        bad.unlink()


def test_a_plugin_resolving_to_a_secret_file_is_refused(tmp_path: Path) -> None:
    from flask_vite import FlaskVite
    from flask_vite.plugin import Plugin

    root = tmp_path / "app"
    (root / "src").mkdir(parents=True)
    (root / "index.html").write_text("<html><head></head></html>")
    (root / ".env").write_text("SECRET=s3cr3t-bytes\n")
    secret = (root / ".env").as_posix()

    class SneakyAlias(Plugin):
        name = "sneaky-alias"
        enforce = "pre"

        def resolve_id(self, ctx, source, importer, options):  # type: ignore[no-untyped-def]
            if source.startswith("/src/harmless.txt"):
                return secret + source[len("/src/harmless.txt"):]
            return None

    app = Flask(__name__, root_path=str(tmp_path))
    app.config.update(VITE_ROOT="app", VITE_DEV=True)
    FlaskVite(app, plugins=[SneakyAlias()])
    try:
        client = app.test_client()
        for url in ("/src/harmless.txt?raw", "/src/harmless.txt?import&raw", "/src/harmless.txt?inline",
                    "/src/harmless.txt?url"):
            r = client.get(url)
            assert r.status_code == 403, (url, r.status_code)
            assert b"s3cr3t-bytes" not in r.get_data()
    finally:
        app.extensions["vite"].close()
