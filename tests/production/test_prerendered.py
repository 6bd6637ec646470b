"""The prerendered pages middleware: URL path → page file, and nothing else."""
from __future__ import annotations

import os
import typing as t
from pathlib import Path

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from flask_vite.production.prerendered import PrerenderedPages

PAGES = {
    "index.html": "home",
    "about.html": "about",
    "docs/index.html": "docs",
    "docs/intro.html": "intro",
    "café.html": "café",
    "assets/x.html": "under assets",
    ".hidden.html": "hidden",
}


@Request.application
def fallback(request: Request) -> Response:
    return Response(f"app {request.method} {request.path}", status=404)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Client:
    top = tmp_path_factory.mktemp("prerendered")
    folder = top / "prerendered"
    for rel, text in PAGES.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)
    (top / "secret.html").write_text("secret")
    os.symlink(top / "secret.html", folder / "leak.html")
    return Client(PrerenderedPages(fallback, folder))


@pytest.mark.parametrize(("url", "page"), [
    ("/", "home"),
    ("/about", "about"),
    ("/about?tab=2", "about"),
    ("/docs/", "docs"),
    ("/docs/index", "docs"),
    ("/docs/intro", "intro"),
    ("/caf%C3%A9", "café"),
    ("/assets/x", "under assets"),
])
def test_pages(client: Client, url: str, page: str) -> None:
    r = client.get(url)
    assert r.status_code == 200 and r.get_data(as_text=True) == page
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    # Pages change with each build: revalidated, never immutable.
    assert r.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("url", [
    "/about.html",        # the file's name is not its URL
    "/index.html",
    "/about/",            # another URL, another (missing) page
    "/docs",
    "/missing",
    "/.hidden",           # dotfiles are never served
    "/leak",              # a link out of the folder
    "/../secret",
    "/%2e%2e/secret",
    "/docs/../../secret",
    "/about%00",
    "/docs\\..\\..\\secret",
])
def test_everything_else_goes_to_the_app(client: Client, url: str) -> None:
    r = client.get(url)
    assert r.status_code == 404 and r.get_data(as_text=True).startswith("app GET"), url


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS"])
def test_only_get_and_head(client: Client, method: str) -> None:
    r = client.open("/about", method=method)
    assert r.get_data(as_text=True) == f"app {method} /about"
    assert client.head("/about").status_code == 200


def test_no_folder_no_pages(tmp_path: Path) -> None:
    client = Client(PrerenderedPages(fallback, tmp_path / "not-built-yet"))
    assert client.get("/").get_data(as_text=True) == "app GET /"
    page = tmp_path / "not-built-yet" / "index.html"
    page.parent.mkdir()
    page.write_text("built later")
    assert t.cast(Response, client.get("/")).get_data(as_text=True) == "built later"


def test_a_folder_built_after_the_start_is_served_at_once(tmp_path: Path) -> None:
    """Without the folder every request goes on to the app; the pages of a
    later build are served from the next request (no restart)."""
    folder = tmp_path / "prerendered"
    client = Client(PrerenderedPages(fallback, folder))
    assert client.get("/").get_data(as_text=True) == "app GET /"
    folder.mkdir()
    (folder / "index.html").write_text("home")
    assert client.get("/").get_data(as_text=True) == "home"
    (folder / "index.html").unlink()
    folder.rmdir()
    assert client.get("/").get_data(as_text=True) == "app GET /"
