from __future__ import annotations

import os
import typing as t
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_vite.config import ViteConfig
from flask_vite.server.chain import register_dev_handlers

from .stubs import StubServer

SECRET = "SECRET=s3cr3t-bytes"
#: Every secret file's content contains this; no response body may.
SECRET_MARK = b"s3cr3t"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A Vite root with secrets in it and next to it.

    ::

        outside/secret.txt          (not under any allowed folder)
        shared/lib.js, shared/.env  (VITE_FS_ALLOW when a test asks)
        frontend/                   (the root)
          index.html, about.html, docs/index.html, src/main.ts, src/style.css,
          src/safe.txt, src/logo.png, public/robots.txt, public/.env,
          .env, .env.local, src/.env, key.pem, src/dummy.crt, .npmrc, .git/config,
          src/link.txt -> ../../outside/secret.txt, linked -> ../outside
          src/alias.txt -> ../.env (a symlink inside the root to a denied file)
    """
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET + " outside\n")
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "lib.js").write_text("export const shared = 1\n")
    (shared / ".env").write_text(SECRET + " shared\n")
    root = tmp_path / "frontend"
    for folder in ("src", "public", "docs", ".git", "node_modules/.vite/deps"):
        (root / folder).mkdir(parents=True)
    (root / "index.html").write_text(
        "<!doctype html><html><head><title>home</title></head><body>"
        '<script type="module" src="/src/main.ts"></script></body></html>'
    )
    (root / "about.html").write_text("<html><head></head><body>about</body></html>")
    (root / "docs" / "index.html").write_text("<html><head></head><body>docs</body></html>")
    (root / "src" / "main.ts").write_text("export const answer: number = 42\n")
    (root / "src" / "style.css").write_text("body { color: red }\n")
    (root / "src" / "safe.txt").write_text("KEY=safe\n")
    (root / "src" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    (root / "public" / "robots.txt").write_text("User-agent: *\n")
    (root / "public" / "sw.ts").write_text("self.addEventListener('fetch', () => {})\n")
    (root / "node_modules" / ".vite" / "deps" / "react.js").write_text("export default {}\n")
    for secret in (".env", ".env.local", "src/.env", "key.pem", "src/dummy.crt", ".npmrc",
                   ".git/config", "public/.env"):
        (root / secret).write_text(f"{SECRET} {secret}\n")
    (root / "package.json").write_text('{"name": "fixture", "private": true}')
    os.symlink(outside / "secret.txt", root / "src" / "link.txt")
    os.symlink(outside, root / "linked", target_is_directory=True)
    os.symlink(root / ".env", root / "src" / "alias.txt")
    return root


class ClosingClient(FlaskClient):
    """Reads each body and closes the response, so served files are closed
    (pytest runs with ResourceWarning as an error)."""

    def open(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        response = super().open(*args, **kwargs)
        response.get_data()
        response.close()
        return response


AppServer = t.Tuple[Flask, StubServer]
AppFactory = t.Callable[..., AppServer]


@pytest.fixture
def make_app(site: Path) -> AppFactory:
    """``make_app(VITE_X=...)`` → a Flask app with the dev handlers in front
    of its views, on a :class:`~tests.server.stubs.StubServer`."""

    def factory(
        *, with_environment: bool = True, views: bool = True, **config: t.Any
    ) -> AppServer:
        app = Flask(__name__, root_path=str(site.parent))
        app.config.update(TESTING=True, VITE_ROOT="frontend", **config)
        app.test_client_class = ClosingClient
        server = StubServer(ViteConfig.from_app(app), with_environment=with_environment)
        register_dev_handlers(app, server)  # type: ignore[arg-type]
        if views:
            @app.get("/api/hello")
            def hello() -> dict[str, str]:
                return {"hello": "world"}

            @app.get("/home")
            def home() -> str:
                return "flask home"

        return app, server

    return factory


@pytest.fixture
def app_and_server(make_app: AppFactory) -> AppServer:
    return make_app()


@pytest.fixture
def client(app_and_server: AppServer) -> t.Any:
    return app_and_server[0].test_client()
