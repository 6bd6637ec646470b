from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
from flask import Flask

from flask_vite import FlaskVite

# browser, page and live_server fixtures (headless Chromium over CDP).
pytest_plugins = ["tests.browser_fixtures"]


@pytest.fixture
def vite_root(tmp_path: Path) -> Path:
    """A minimal Vite root: index.html, src/ and public/."""
    root = tmp_path / "frontend"
    (root / "src").mkdir(parents=True)
    (root / "public").mkdir()
    (root / "index.html").write_text(
        '<!doctype html><html><head></head><body><div id="app"></div>'
        '<script type="module" src="/src/main.ts"></script></body></html>'
    )
    (root / "src" / "main.ts").write_text("export const answer: number = 42\n")
    (root / "package.json").write_text('{"name": "fixture", "private": true}')
    return root


@pytest.fixture
def app(vite_root: Path) -> t.Iterator[Flask]:
    app = Flask(__name__, root_path=str(vite_root.parent))
    app.config.update(TESTING=True, VITE_ROOT="frontend")
    FlaskVite(app)
    yield app
    app.extensions["vite"].close()
