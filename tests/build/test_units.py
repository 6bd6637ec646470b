"""The pure parts of the build, by tables: HTML tags, the manifest writer,
hashing groups, preload markers, the summary table."""
from __future__ import annotations

import types
import typing as t
from pathlib import Path

import pytest

from flask_vite.build.chunks import Chunk, _chunk_deps, _components, _pair_markers
from flask_vite.build.environment import EmittedAsset, content_hash
from flask_vite.build.names import sanitize_name, ssr_bundle_name
from flask_vite.build.html import (
    Tag,
    html_base,
    inject_into_head,
    prepare_html,
    replace_env,
)
from flask_vite.build.manifest import build_manifest, build_ssr_manifest, dumps
from flask_vite.build.report import Reporter
from flask_vite.manifest import parse_manifest

SCRIPT = Tag("script", (("type", "module"), ("crossorigin", True), ("src", "/assets/a.js")))
STYLE = Tag("link", (("rel", "stylesheet"), ("crossorigin", True), ("href", "/assets/a.css")))


@pytest.mark.parametrize(("html", "expected"), [
    # Before </head>, one step deeper than it (Vite's injectToHead).
    ("<html>\n  <head>\n  </head>\n</html>",
     '<html>\n  <head>\n    <script type="module" crossorigin src="/assets/a.js"></script>\n'
     '    <link rel="stylesheet" crossorigin href="/assets/a.css">\n  </head>\n</html>'),
    ("<head>\n\t</head>",
     '<head>\n\t\t<script type="module" crossorigin src="/assets/a.js"></script>\n'
     '\t\t<link rel="stylesheet" crossorigin href="/assets/a.css">\n\t</head>'),
    # No <head>: before <body>, at its indentation.
    ("<html>\n  <body>x</body>",
     '<html>\n  <script type="module" crossorigin src="/assets/a.js"></script>\n'
     '  <link rel="stylesheet" crossorigin href="/assets/a.css">\n  <body>x</body>'),
    # Neither: after <!doctype html>, or first.
    ("<!doctype html><p>x</p>",
     '<!doctype html>\n<script type="module" crossorigin src="/assets/a.js"></script>\n'
     '<link rel="stylesheet" crossorigin href="/assets/a.css">\n<p>x</p>'),
    ("<p>x</p>", '<script type="module" crossorigin src="/assets/a.js"></script>\n'
                 '<link rel="stylesheet" crossorigin href="/assets/a.css">\n<p>x</p>'),
])
def test_inject_into_head(html: str, expected: str) -> None:
    assert inject_into_head(html, [SCRIPT, STYLE]) == expected


def test_attributes_are_escaped() -> None:
    tag = Tag("script", (("src", '/a"b<.js'), ("async", True), ("defer", False)))
    assert tag.serialize() == '<script src="/a&quot;b&lt;.js" async></script>'


@pytest.mark.parametrize(("rel", "base", "expected"), [
    ("index.html", "/", "/"), ("index.html", "/app/", "/app/"),
    ("index.html", "./", "./"), ("nested/page.html", "./", "../"),
    ("a/b/page.html", "./", "../../"), ("x.html", "https://cdn.example/s/", "https://cdn.example/s/"),
])
def test_html_base(rel: str, base: str, expected: str) -> None:
    assert html_base(rel, base) == expected


def test_replace_env() -> None:
    env = {"VITE_TITLE": "A & B", "PROD": True, "MODE": "production"}
    assert replace_env("<title>%VITE_TITLE%</title> %PROD% %MODE% %NOPE% 100%", env) \
        == "<title>A & B</title> true production %NOPE% 100%"


def test_prepare_html_scripts_and_links() -> None:
    html = ('<html><head>\n  <link rel="stylesheet" href="https://cdn.example/x.css">\n'
            '  <link rel="stylesheet" href="/src/print.css" media="print">\n</head><body>\n'
            '  <script type="module" src="https://cdn.example/x.js"></script>\n'
            '  <script src="/legacy.js"></script>\n'
            '  <script type="module" src="./src/a.ts"></script>'
            '<script type=module>console.log(1)</script>\n</body></html>')
    entry = prepare_html("/r/index.html", "index.html", html, root="/r", base="/",
                         public_file=lambda url: url == "/legacy.js",
                         asset_url=lambda file, no_inline: None)
    # External and media-restricted stylesheets, external scripts and classic
    # scripts stay; module scripts become imports (the first line with its tag).
    assert entry.html == (
        '<html><head>\n  <link rel="stylesheet" href="https://cdn.example/x.css">\n'
        '  <link rel="stylesheet" href="/src/print.css" media="print">\n</head><body>\n'
        '  <script type="module" src="https://cdn.example/x.js"></script>\n'
        '  <script src="/legacy.js"></script>\n</body></html>')
    assert entry.code == ('import "\\u0000vite/modulepreload-polyfill.js";\n'
                          'import "./src/a.ts";\nimport "/r/index.html?html-proxy&index=2.js";\n')
    assert entry.scripts == {"/r/index.html?html-proxy&index=2.js": "console.log(1)"}


def chunk(placeholder: str, **fields: t.Any) -> Chunk:
    return Chunk(placeholder, "", None, fields.pop("name", placeholder.split("/")[-1][:-3]),
                 file=fields.pop("file", placeholder), **fields)


def test_manifest_writer() -> None:
    main = chunk("assets/main.js", facade="/r/src/main.ts", is_entry=True, name="main",
                 imports=["assets/chunk-X.js"], dynamic_imports=["assets/lazy.js"],
                 css=["assets/main-1.css"], assets=["assets/logo-2.svg"], integrity="sha384-x",
                 file="assets/main-AAAAAAAA.js", modules=["/r/src/main.ts", "/r/src/a.css"])
    shared = chunk("assets/chunk-X.js", file="assets/react-BBBBBBBB.js", name="react",
                   modules=["/r/node_modules/react/index.js"])
    lazy = chunk("assets/lazy.js", facade="/r/src/lazy.ts", is_dynamic_entry=True,
                 imports=["assets/chunk-X.js"], file="assets/lazy-CCCCCCCC.js",
                 css=["assets/lazy-3.css"], modules=["/r/src/lazy.ts", "\0virtual:x"])
    assets = [EmittedAsset("assets/logo-2.svg", b"", "src/logo.svg"),
              EmittedAsset("assets/data-4.json", b"", None)]  # no source: no record

    def relative(id: str) -> str:
        return id[3:] if id.startswith("/r/") else id

    manifest = build_manifest([main, shared, lazy], assets, relative, sri=True)
    assert list(manifest) == ["_react-BBBBBBBB.js", "src/lazy.ts", "src/logo.svg", "src/main.ts"]
    assert dumps(manifest["src/main.ts"]) == dumps({
        "file": "assets/main-AAAAAAAA.js", "name": "main", "src": "src/main.ts", "isEntry": True,
        "imports": ["_react-BBBBBBBB.js"], "dynamicImports": ["src/lazy.ts"],
        "css": ["assets/main-1.css"], "assets": ["assets/logo-2.svg"], "integrity": "sha384-x"})
    assert manifest["src/lazy.ts"]["isDynamicEntry"] is True
    assert manifest["_react-BBBBBBBB.js"] == {"file": "assets/react-BBBBBBBB.js", "name": "react"}
    assert manifest["src/logo.svg"] == {"file": "assets/logo-2.svg", "src": "src/logo.svg"}
    parsed = parse_manifest(manifest)
    assert parsed["src/main.ts"].integrity == "sha384-x"
    assert "integrity" not in build_manifest([main], [], relative)["src/main.ts"]
    assert build_ssr_manifest([main, shared, lazy], relative, "/b/") == {
        "\0virtual:x": ["/b/assets/lazy-CCCCCCCC.js", "/b/assets/lazy-3.css"],
        "node_modules/react/index.js": ["/b/assets/react-BBBBBBBB.js"],
        "src/a.css": ["/b/assets/logo-2.svg"],
        "src/lazy.ts": ["/b/assets/lazy-CCCCCCCC.js", "/b/assets/lazy-3.css"],
        "src/main.ts": ["/b/assets/logo-2.svg"],
    }


@pytest.mark.parametrize(("edges", "expected"), [
    ({"a": ["b"], "b": ["c"], "c": []}, [["c"], ["b"], ["a"]]),
    ({"a": ["b"], "b": ["a"], "c": ["a"]}, [["a", "b"], ["c"]]),
    ({"a": ["b", "c"], "b": ["c"], "c": ["b"], "d": []}, [["b", "c"], ["a"], ["d"]]),
    ({"a": ["a"]}, [["a"]]),
])
def test_components_come_dependencies_first(edges: dict[str, list[str]],
                                            expected: list[list[str]]) -> None:
    assert [sorted(group) for group in _components(list(edges), edges)] == expected


def test_markers_pair_with_their_imports() -> None:
    imp = lambda e: types.SimpleNamespace(e=e)  # noqa: E731
    a, b = imp(10), imp(30)
    # import("a").then(() => import("b")): b's marker comes first, then a's.
    assert _pair_markers([a, b], [(40, 45), (50, 55)]) == [(b, (40, 45)), (a, (50, 55))]
    assert _pair_markers([a], [(5, 8)]) == [(None, (5, 8))]


def test_chunk_deps_follow_vite_s_order() -> None:
    chunks = {
        "lazy.js": chunk("lazy.js", imports=["s1.js", "s2.js"], css=["lazy.css"]),
        "s1.js": chunk("s1.js", imports=["s2.js"], css=["s1.css"]),
        "s2.js": chunk("s2.js", css=["s2.css"]),
        "main.js": chunk("main.js", imports=["s2.js"]),
    }
    assert _chunk_deps("lazy.js", "main.js", chunks) == [
        "lazy.js", "s1.js", "s2.js", "s2.css", "s1.css", "lazy.css"]
    # The importer itself is never listed.
    assert _chunk_deps("lazy.js", "s2.js", chunks) == ["lazy.js", "s1.js", "s1.css", "lazy.css"]


def test_names() -> None:
    assert content_hash(b"") == "47DEQpj8"
    assert len({content_hash(bytes([i])) for i in range(256)}) == 256
    assert sanitize_name("\0virtual:my page") == "virtual_my_page"
    assert sanitize_name("...") == "chunk"
    # The build names the SSR bundle and the production renderer finds it by
    # the same function: names with spaces or dots must agree on both sides.
    assert ssr_bundle_name("src/entry-server.tsx") == "entry-server"
    assert ssr_bundle_name("/src/my entry.v2.tsx") == "my_entry.v2"


def test_the_renderer_looks_for_the_bundle_the_build_names(tmp_path: Path) -> None:
    from flask import Flask

    from flask_vite.config import ViteConfig
    from flask_vite.production.render import ProductionRenderer

    app = Flask(__name__, root_path=str(tmp_path))
    config = ViteConfig.from_app(app)
    renderer = ProductionRenderer(config)
    assert renderer.bundle_path("src/my entry.tsx") == config.out_dir / "server" / "my_entry.js"


def test_the_summary_table() -> None:
    lines: list[str] = []
    reporter = Reporter(echo=lines.append, color=False)
    reporter.files([("dist/client/assets/index-AAAAAAAA.js", b"x" * 2000),
                    ("dist/client/assets/hero-BBBBBBBB.png", b"\x89PNG" * 100),
                    ("dist/client/index.html", b"<html></html>"),
                    ("dist/client/assets/index-CCCCCCCC.css", b"a{}" * 10)])
    assert lines[0] == "computing gzip size..."
    assert [line.split()[0] for line in lines[1:]] == [
        "dist/client/index.html", "dist/client/assets/hero-BBBBBBBB.png",
        "dist/client/assets/index-CCCCCCCC.css", "dist/client/assets/index-AAAAAAAA.js"]
    # Names padded to the longest (the .css) plus two; sizes right-aligned.
    assert lines[4] == "dist/client/assets/index-AAAAAAAA.js   2.00 kB │ gzip: 0.04 kB"
    assert lines[2] == "dist/client/assets/hero-BBBBBBBB.png   0.40 kB"
