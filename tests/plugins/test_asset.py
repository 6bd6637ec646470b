from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from flask_vite.plugins.asset import (
    AssetPlugin, check_public_file, is_asset_request, mime_type, should_inline, to_data_url,
)

from .conftest import make_config


def default_export(code: str) -> str:
    assert code.startswith("export default ")
    return json.loads(code[len("export default "):])


# -- to_data_url: Vite's svgToDataURL / assetToDataURL ---------------------------
@pytest.mark.parametrize(
    ("svg", "expected"),
    [
        ('<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0"/></svg>',
         "data:image/svg+xml,%3csvg%20xmlns='http://www.w3.org/2000/svg'%3e%3cpath%20d='M0%200'/%3e%3c/svg%3e"),
        # whitespace between tags is dropped, the rest collapsed to %20; trimmed
        ('  <svg>\n  <g>\t</g>\n</svg>\n', "data:image/svg+xml,%3csvg%3e%3cg%3e%3c/g%3e%3c/svg%3e"),
        # % and # are escaped (in that order: no double escaping)
        ('<svg fill="#fff" w="50%"/>', "data:image/svg+xml,%3csvg%20fill='%23fff'%20w='50%25'/%3e"),
        # single quotes stay as they are
        ("<svg a='x'/>", "data:image/svg+xml,%3csvg%20a='x'/%3e"),
    ],
)
def test_svg_data_url_as_text(svg: str, expected: str) -> None:
    assert to_data_url("icon.svg", svg.encode()) == expected


@pytest.mark.parametrize(
    "svg",
    [
        '<svg><text x="1">Hi</text></svg>',
        '<svg><foreignObject width="1"></foreignObject></svg>',
        '<svg a="it\'s"/>',  # a ' inside "…"
        "<svg a='say \"hi\"'/>",  # a \" inside '…'
    ],
)
def test_svg_data_url_base64_when_rewriting_is_unsafe(svg: str) -> None:
    url = to_data_url("/x/icon.svg", svg.encode())
    assert url == "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("a.png", "image/png"), ("a.JPG", "image/jpeg"), ("a.jpeg", "image/jpeg"),
        ("a.gif", "image/gif"), ("a.webp", "image/webp"), ("a.avif", "image/avif"),
        ("a.ico", "image/x-icon"), ("a.cur", "image/x-icon"), ("a.woff", "font/woff"),
        ("a.woff2", "font/woff2"), ("a.ttf", "font/ttf"), ("a.otf", "font/otf"),
        ("a.eot", "application/vnd.ms-fontobject"), ("a.mp4", "video/mp4"),
        ("a.webm", "video/webm"), ("a.mp3", "audio/mpeg"), ("a.wav", "audio/wav"),
        ("a.flac", "audio/flac"), ("a.pdf", "application/pdf"), ("a.txt", "text/plain"),
        ("a.webmanifest", "application/manifest+json"), ("a.unknown", "application/octet-stream"),
        ("noext", "application/octet-stream"),
    ],
)
def test_mime_types(name: str, mime: str) -> None:
    assert mime_type(name) == mime
    assert to_data_url(name, b"\x00\x01") == f"data:{mime};base64,AAE="


@pytest.mark.parametrize(
    ("id", "size", "inline"),
    [
        ("/a/x.svg", 100, True),
        ("/a/x.svg", 4095, True),
        ("/a/x.svg", 4096, False),
        ("/a/x.svg#sprite", 100, False),
        ("/a/x.svg?no-inline", 100, False),
        ("/a/x.png?inline", 100_000, True),
        ("/a/x.html", 10, False),
    ],
)
def test_should_inline(id: str, size: int, inline: bool) -> None:
    assert should_inline(id, b"x" * size) is inline


def test_git_lfs_pointers_are_never_inlined() -> None:
    assert not should_inline("/a/x.svg", b"version https://git-lfs.github.com/spec/v1\n")


@pytest.mark.parametrize(
    ("id", "asset"),
    [
        ("/a/x.png", True), ("/a/x.PNG", True), ("/a/x.jpg?v=1", True), ("/a/x.woff2", True),
        ("/a/x.woff", True), ("/a/x.txt", True), ("/a/x.ts", False), ("/a/x.css", False),
        ("/a/x.png.ts", False), ("/a/x.json", False),
    ],
)
def test_known_asset_types(id: str, asset: bool) -> None:
    assert is_asset_request(id) is asset


def test_check_public_file(root: Path) -> None:
    (root / "public" / "vite.svg").write_text("<svg/>")
    (root / "secret.txt").write_text("no")
    config = make_config(root)
    assert check_public_file("/vite.svg", config) == root / "public" / "vite.svg"
    assert check_public_file("/vite.svg?url", config) == root / "public" / "vite.svg"
    assert check_public_file("vite.svg", config) is None
    assert check_public_file("/missing.svg", config) is None
    assert check_public_file("/../secret.txt", config) is None
    assert check_public_file("/", config) is None


# -- through the plugin container ------------------------------------------------------
@pytest.fixture
def assets(root: Path) -> Path:
    (root / "src" / "hero.png").write_bytes(b"\x89PNG" + b"\x00" * 10)
    (root / "src" / "small.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (root / "src" / "big.svg").write_text("<svg>" + " " * 5000 + "</svg>")
    (root / "src" / "notes.md").write_text('Hello "world"\né\n')
    (root / "src" / "my file.png").write_bytes(b"png")
    (root / "public" / "vite.svg").write_text("<svg>" + "x" * 5000 + "</svg>")
    return root


@pytest.mark.parametrize(
    ("rel", "url"),
    [
        ("src/hero.png", "/src/hero.png"),
        ("src/hero.png?url", "/src/hero.png"),
        ("src/big.svg", "/src/big.svg"),
        ("src/notes.md?url", "/src/notes.md"),  # ?url works for any file
        ("src/my file.png", "/src/my%20file.png"),
        ("public/vite.svg", "/vite.svg"),  # public files keep their public URL
        ("src/hero.png?v=2", "/src/hero.png?v=2"),
        ("src/hero.png?import", "/src/hero.png"),
    ],
)
def test_default_import_is_the_dev_url(pipeline, assets: Path, rel: str, url: str) -> None:
    p = pipeline([AssetPlugin()])
    result = p.run(f"{assets}/{rel}")
    assert default_export(result.code) == url


def test_base_is_prepended(pipeline, assets: Path) -> None:
    p = pipeline([AssetPlugin()], VITE_BASE="/static/")
    assert default_export(p.run(f"{assets}/src/hero.png").code) == "/static/src/hero.png"
    assert default_export(p.run(f"{assets}/public/vite.svg").code) == "/static/vite.svg"


def test_files_outside_the_root_use_fs_urls(pipeline, assets: Path, tmp_path_factory) -> None:
    outside = tmp_path_factory.mktemp("lib") / "x.png"
    outside.write_bytes(b"png")
    p = pipeline([AssetPlugin()])
    assert default_export(p.run(str(outside)).code) == "/@fs" + outside.as_posix()


def test_small_svgs_are_inlined_in_dev(pipeline, assets: Path) -> None:
    p = pipeline([AssetPlugin()])
    url = default_export(p.run(f"{assets}/src/small.svg").code)
    assert url == "data:image/svg+xml,%3csvg%20xmlns='http://www.w3.org/2000/svg'/%3e"


def test_small_non_svg_assets_are_not_inlined_in_dev(pipeline, assets: Path) -> None:
    p = pipeline([AssetPlugin()])
    assert default_export(p.run(f"{assets}/src/hero.png").code) == "/src/hero.png"


def test_inline_query(pipeline, assets: Path) -> None:
    p = pipeline([AssetPlugin()])
    url = default_export(p.run(f"{assets}/src/hero.png?inline").code)
    assert url == "data:image/png;base64," + base64.b64encode(b"\x89PNG" + b"\x00" * 10).decode()


def test_raw_query(pipeline, assets: Path) -> None:
    p = pipeline([AssetPlugin()])
    id = f"{assets}/src/notes.md?raw"
    result = p.run(id)
    assert result.code == 'export default "Hello \\"world\\"\\né\\n"'
    assert default_export(result.code) == 'Hello "world"\né\n'
    assert p.watched == {f"{assets}/src/notes.md"}


def test_raw_of_a_known_asset_type_is_text(pipeline, assets: Path) -> None:
    p = pipeline([AssetPlugin()])
    assert default_export(p.run(f"{assets}/src/small.svg?raw").code).startswith("<svg")


def test_other_files_are_left_to_other_plugins(pipeline, assets: Path) -> None:
    p = pipeline([AssetPlugin()])
    assert p.container.load(f"{assets}/src/notes.md") is None
    assert p.container.load("\0virtual.png") is None


def test_assets_include_adds_types(pipeline, assets: Path) -> None:
    (assets / "src" / "scene.gltf").write_text("{}")
    p = pipeline([AssetPlugin(assets_include=["gltf"])])
    assert default_export(p.run(f"{assets}/src/scene.gltf").code) == "/src/scene.gltf"


def test_public_file_import_resolves(pipeline, assets: Path) -> None:
    p = pipeline([AssetPlugin()])
    resolved = p.container.resolve_id("/vite.svg", f"{assets}/src/main.ts")
    assert resolved is not None and resolved.id == f"{assets}/public/vite.svg"
    resolved = p.container.resolve_id("/vite.svg?url", f"{assets}/src/main.ts")
    assert resolved is not None and resolved.id == f"{assets}/public/vite.svg?url"
    assert p.container.resolve_id("/missing.svg", f"{assets}/src/main.ts") is None
    assert p.container.resolve_id("/src/main.ts", f"{assets}/src/main.ts") is None


def test_hmr_timestamp_is_carried(pipeline, assets: Path) -> None:
    p = pipeline([AssetPlugin()])
    id = f"{assets}/src/hero.png"
    # No resolve plugin here: the URL is the id.
    node = p.env.module_graph.ensure_entry_from_url(id)
    node.last_hmr_timestamp = 1700000000000
    assert default_export(p.run(id).code) == "/src/hero.png?t=1700000000000"
