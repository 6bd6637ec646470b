"""One extension → MIME type table for the dev server, production and data URLs."""
from __future__ import annotations

import mimetypes

import pytest

from flask_vite import mime_types
from flask_vite.plugins.asset import mime_type
from flask_vite.production.static import content_type
from flask_vite.server.handlers.common import content_type_for


@pytest.mark.parametrize(("name", "expected"), [
    ("app.js", "text/javascript"), ("icon.ICO", "image/x-icon"), ("scene.glb", "model/gltf-binary"),
    ("site.webmanifest", "application/manifest+json"), ("photo.avif", "image/avif"),
    ("/a.b/notes.yaml", "text/yaml"), ("font.woff2", "font/woff2"),
])
def test_every_server_answers_from_the_one_table(name: str, expected: str) -> None:
    assert mime_types.lookup(name) == expected
    assert content_type_for(name) == expected  # dev: public files, /@fs/
    assert content_type(name).split(";")[0] == expected  # production static
    assert mime_type(name) == expected  # data URLs


def test_the_system_table_only_fills_gaps() -> None:
    assert mime_types.lookup("book.epub") is None
    assert mime_types.guess("book.epub") == (
        mimetypes.guess_type("book.epub", strict=False)[0] or "application/octet-stream")
    assert mime_types.guess("README") == "application/octet-stream"
    # Data URLs never ask the system, as Vite's do not.
    assert mime_type("book.epub") == "application/octet-stream"
    assert mime_types.lookup("/dir.d/noext") is None
