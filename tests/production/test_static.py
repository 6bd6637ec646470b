"""Serving dist/client in production: caching headers, compression, path
safety, the switches, and nothing of the dev server."""
from __future__ import annotations

import gzip
import json
import os
import typing as t
import urllib.parse
from pathlib import Path

import pytest
from flask import Flask, render_template_string

from flask_vite import FlaskVite
from flask_vite.production.pool import RendererBusy
from flask_vite.production.static import StaticFiles, content_type, static_base_path

SECRET = "top secret, outside dist/client"


def static_app(root: Path, **config: t.Any) -> Flask:
    """An app with no views: every miss is a 404."""
    app = Flask("static_app", root_path=str(root.parent))
    app.config.update({"VITE_ROOT": root.name, "VITE_DEV": False, "VITE_APP_TYPE": "custom", **config})
    FlaskVite(app)
    return app


@pytest.fixture
def app(fault_root: Path) -> t.Iterator[Flask]:
    # Files beside dist/client that no URL may reach.
    (fault_root / "secret.txt").write_text(SECRET)
    (fault_root / "dist" / "secret.txt").write_text(SECRET)
    app = static_app(fault_root)
    yield app
    app.extensions["vite"].close()


def manifest(root: Path) -> dict[str, t.Any]:
    return t.cast("dict[str, t.Any]", json.loads((root / "dist" / "client" / ".vite" / "manifest.json").read_text()))


def entry_file(root: Path) -> str:
    return t.cast(str, manifest(root)["index.html"]["file"])


def test_hashed_assets_are_immutable(app: Flask, fault_root: Path) -> None:
    client = app.test_client()
    path = entry_file(fault_root)
    r = client.get("/" + path)
    assert r.status_code == 200
    assert r.data == (fault_root / "dist" / "client" / path).read_bytes()
    assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert r.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert r.headers["Vary"] == "Accept-Encoding"
    etag = r.headers["ETag"]
    r = client.get("/" + path, headers={"If-None-Match": etag})
    assert r.status_code == 304 and r.data == b""
    css = manifest(fault_root)["index.html"]["css"][0]
    r = client.get("/" + css)
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/css; charset=utf-8"
    assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_other_files_are_revalidated(app: Flask) -> None:
    client = app.test_client()
    r = client.get("/robots.txt")
    assert r.status_code == 200 and r.data == b"User-agent: *\n"
    assert r.headers["Cache-Control"] == "no-cache"
    assert "Vary" not in r.headers  # too small to compress
    r2 = client.get("/robots.txt", headers={"If-None-Match": r.headers["ETag"]})
    assert r2.status_code == 304


def test_gzip_when_accepted(app: Flask, fault_root: Path) -> None:
    client = app.test_client()
    path = "/" + entry_file(fault_root)
    original = (fault_root / "dist" / "client" / path.lstrip("/")).read_bytes()
    r = client.get(path, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert r.status_code == 200
    assert r.headers["Content-Encoding"] == "gzip"
    assert r.headers["Vary"] == "Accept-Encoding"
    assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert gzip.decompress(r.data) == original and len(r.data) < len(original)
    assert int(r.headers["Content-Length"]) == len(r.data)
    # The compressed variant has its own validator.
    gz_etag = r.headers["ETag"]
    assert gz_etag != client.get(path).headers["ETag"]
    assert client.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": gz_etag}).status_code == 304
    # Not accepted: the file as it is.
    for header in ("identity", "gzip;q=0", "br"):
        r = client.get(path, headers={"Accept-Encoding": header})
        assert "Content-Encoding" not in r.headers and r.data == original, header
    # A public text file is compressed too; a PNG would not be.
    r = client.get("/notes.txt", headers={"Accept-Encoding": "gzip"})
    assert r.headers["Content-Encoding"] == "gzip" and gzip.decompress(r.data) == b"public notes\n" * 200


def test_precompressed_files_are_preferred(tmp_path: Path) -> None:
    client_dir = tmp_path / "client"
    (client_dir / "assets").mkdir(parents=True)
    body = b"console.log('x');\n" * 200
    (client_dir / "assets" / "app-1234.js").write_bytes(body)
    (client_dir / "assets" / "app-1234.js.br").write_bytes(b"BROTLI-BYTES")
    (client_dir / "assets" / "app-1234.js.gz").write_bytes(gzip.compress(body, mtime=0))
    wrapped = Flask("pre")
    wrapped.wsgi_app = StaticFiles(wrapped.wsgi_app, client_dir)  # type: ignore[method-assign]
    client = wrapped.test_client()
    r = client.get("/assets/app-1234.js", headers={"Accept-Encoding": "gzip, br"})
    assert r.headers["Content-Encoding"] == "br" and r.data == b"BROTLI-BYTES"
    r = client.get("/assets/app-1234.js", headers={"Accept-Encoding": "gzip"})
    assert r.headers["Content-Encoding"] == "gzip" and gzip.decompress(r.data) == body


def test_file_names_beyond_ascii(tmp_path: Path) -> None:
    client_dir = tmp_path / "client"
    (client_dir / "assets").mkdir(parents=True)
    (client_dir / "assets" / "café-1234.txt").write_bytes(b"cafe")
    wrapped = Flask("names")
    wrapped.wsgi_app = StaticFiles(wrapped.wsgi_app, client_dir)  # type: ignore[method-assign]
    client = wrapped.test_client()
    r = client.get("/assets/caf%C3%A9-1234.txt")
    assert r.status_code == 200 and r.data == b"cafe"
    # Bytes that are no UTF-8 name no file: the app answers (404 here).
    assert client.get("/assets/caf%E9-1234.txt").status_code == 404


def test_head_and_ranges(app: Flask) -> None:
    client = app.test_client()
    r = client.head("/notes.txt")
    assert r.status_code == 200 and r.data == b"" and int(r.headers["Content-Length"]) == 13 * 200
    r = client.get("/notes.txt", headers={"Range": "bytes=0-5"})
    assert r.status_code == 206 and r.data == b"public"


def test_templates_and_dotfiles_are_not_served(app: Flask) -> None:
    client = app.test_client()
    # index.html is the SSR template (VITE_APP_TYPE custom); the manifest is a dotfile.
    for path in ("/index.html", "/.vite/manifest.json", "/", "/assets/", "/assets"):
        assert client.get(path).status_code == 404, path
    assert client.post("/robots.txt").status_code == 404  # GET and HEAD only


HOSTILE = [
    "/../secret.txt",
    "/../../secret.txt",
    "/assets/../../secret.txt",
    "/assets/../../../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2e%2e/%2e%2e/secret.txt",
    "/assets/%2e%2e/%2e%2e/secret.txt",
    "/..%2fsecret.txt",
    "/..%2f..%2fsecret.txt",
    "/..\\secret.txt",
    "/%5c..%5csecret.txt",
    "/robots.txt%00.js",
    "/%00",
    "//etc/passwd",
    "/%2fetc%2fpasswd",
    "/etc/passwd",
    "/.%2e/secret.txt",
]


@pytest.mark.parametrize("path", HOSTILE)
def test_no_url_reaches_a_file_outside_dist_client(app: Flask, path: str) -> None:
    r = app.test_client().get(path)
    assert r.status_code in (403, 404), (path, r.status_code)
    assert SECRET.encode() not in r.data
    assert b"root:" not in r.data


@pytest.mark.parametrize("path", HOSTILE)
def test_hostile_paths_never_reach_the_app_either(fault_root: Path, path: str) -> None:
    """With an SSR catch-all view, a traversal attempt is still a 404 from
    the static layer (when it names a path that leaves the folder) or an
    ordinary page: never a file."""
    from .conftest import prod_app

    app, _ = prod_app(fault_root)
    try:
        r = app.test_client().get(path)
        assert SECRET.encode() not in r.data and b"root:" not in r.data
        decoded = urllib.parse.unquote(path)
        if ".." in decoded.split("/") or "\0" in decoded:
            assert r.status_code == 404  # answered by the static layer, not the view
        else:
            assert r.status_code in (200, 404)  # a page (of the view) or nothing
    finally:
        app.extensions["vite"].close()


def test_a_symlink_out_of_the_folder_is_not_followed(tmp_path: Path) -> None:
    client_dir = tmp_path / "client"
    client_dir.mkdir()
    (tmp_path / "secret.txt").write_text(SECRET)
    os.symlink(tmp_path / "secret.txt", client_dir / "link.txt")
    wrapped = Flask("links")
    wrapped.wsgi_app = StaticFiles(wrapped.wsgi_app, client_dir)  # type: ignore[method-assign]
    r = wrapped.test_client().get("/link.txt")
    assert r.status_code == 404 and SECRET.encode() not in r.data


def test_base_path(fault_root: Path) -> None:
    app = static_app(fault_root, VITE_BASE="/static/")
    try:
        client = app.test_client()
        path = entry_file(fault_root)
        assert client.get("/static/" + path).status_code == 200
        assert client.get("/" + path).status_code == 404
    finally:
        app.extensions["vite"].close()


@pytest.mark.parametrize(("base", "path"), [
    ("/", "/"), ("/app/", "/app/"), ("./", "/"), ("https://cdn.example.com/", "/"),
    ("https://cdn.example.com/app", "/app/"), ("//cdn.example.com/x/", "/x/"),
])
def test_static_base_path(base: str, path: str) -> None:
    assert static_base_path(base) == path


@pytest.mark.parametrize(("name", "expected"), [
    ("a.js", "text/javascript; charset=utf-8"), ("a.mjs", "text/javascript; charset=utf-8"),
    ("a.css", "text/css; charset=utf-8"), ("a.svg", "image/svg+xml; charset=utf-8"),
    ("a.png", "image/png"), ("a.woff2", "font/woff2"), ("a.wasm", "application/wasm"),
    ("a.json", "application/json; charset=utf-8"), ("a.unknownext", "application/octet-stream"),
])
def test_content_types(name: str, expected: str) -> None:
    assert content_type(name) == expected


def test_serve_static_off_leaves_files_to_the_proxy(fault_root: Path) -> None:
    app = static_app(fault_root, VITE_SERVE_STATIC=False)
    try:
        assert not isinstance(app.wsgi_app, StaticFiles)
        assert app.test_client().get("/" + entry_file(fault_root)).status_code == 404
    finally:
        app.extensions["vite"].close()


def test_production_registers_nothing_of_the_dev_server(app: Flask) -> None:
    state = app.extensions["vite"]
    assert state.dev_server is None
    assert app.before_request_funcs == {}
    # The one error handler is production's: every renderer busy → 503 (production/busy.py).
    handled = {cls for codes in app.error_handler_spec[None].values() for cls in codes}
    assert handled == {RendererBusy}
    client = app.test_client()
    for path in ("/@vite/client", "/src/entry-client.ts", "/@vite/hmr", "/index.html"):
        assert client.get(path).status_code == 404, path
    assert isinstance(app.wsgi_app, StaticFiles)


def test_jinja_helpers_use_the_asset_url(fault_root: Path) -> None:
    app = static_app(fault_root, VITE_ASSET_URL="https://cdn.example.com/")
    try:
        with app.test_request_context("/"):
            tags = render_template_string('{{ vite_tags("index.html") }}')
            url = render_template_string('{{ vite_asset_url("index.html") }}')
        file = entry_file(fault_root)
        assert f'src="https://cdn.example.com/{file}"' in tags
        assert 'href="https://cdn.example.com/assets/index-' in tags  # its CSS
        assert url == f"https://cdn.example.com/{file}"
    finally:
        app.extensions["vite"].close()
    # Without it, the base path the app serves them at.
    app = static_app(fault_root)
    try:
        with app.test_request_context("/"):
            assert render_template_string('{{ vite_asset_url("index.html") }}') == "/" + file
    finally:
        app.extensions["vite"].close()


def test_spa_apps_get_their_index_html_for_unrouted_pages(fault_root: Path) -> None:
    app = static_app(fault_root, VITE_APP_TYPE="spa")

    @app.get("/api/hello")
    def hello() -> str:
        return "from a view"

    try:
        client = app.test_client()
        built = (fault_root / "dist" / "client" / "index.html").read_bytes()
        html = {"Accept": "text/html,application/xhtml+xml"}
        for path in ("/", "/some/route", "/index.html"):
            r = client.get(path, headers=html)
            assert r.status_code == 200 and r.data == built, path
            assert r.headers["Cache-Control"] == "no-cache"
        assert client.get("/api/hello", headers=html).data == b"from a view"  # views win
        assert client.get("/missing.png", headers=html).status_code == 404
        assert client.get("/some/route").status_code == 404  # not a navigation
    finally:
        app.extensions["vite"].close()
