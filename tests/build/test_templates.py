"""create-vite-extra's SSR templates built by ``flask vite build``, compared with
``vite build`` of the same templates (tests/fixtures/vite_build) and with the
dev server's SSR of the same page."""
from __future__ import annotations

import json
import re
import typing as t
from pathlib import Path

import pytest
from flask import Flask

from flask_vite import FlaskVite
from flask_vite.manifest import entry_tags, load_manifest

from .conftest import FIXTURES, SSR_TEMPLATES, Builder, ssr_template

#: Rolldown's hashes and ours differ; everything else must not.
_HASH_RE = re.compile(r"-[A-Za-z0-9_-]{8}(\.(?:js|css|png|svg))")
_FILE_RE = re.compile(r"^assets/[\w.-]+-[A-Za-z0-9_-]{8}\.(?:js|css|png|svg)$")

TEMPLATES = SSR_TEMPLATES


def unhashed(text: str) -> str:
    return _HASH_RE.sub(r"-HASH\1", text)


@pytest.fixture(scope="module", params=sorted(TEMPLATES))
def template(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
             ) -> t.Iterator[tuple[str, Path, Builder]]:
    """A template copied and installed once, built once (client + SSR)."""
    name, root, builder = ssr_template(request, tmp_path_factory)
    builder(root, ssr=TEMPLATES[name])
    yield name, root, builder
    builder.close()


def test_the_files_are_vite_s(template: tuple[str, Path, Builder]) -> None:
    name, root, _ = template
    dist = root / "dist"
    files = sorted(p.relative_to(dist).as_posix() for p in dist.rglob("*") if p.is_file())
    expected = (FIXTURES / name / "files.txt").read_text().split()
    assert sorted(map(unhashed, files)) == sorted(map(unhashed, expected))


def test_index_html_is_vite_s(template: tuple[str, Path, Builder]) -> None:
    name, root, _ = template
    html = (root / "dist" / "client" / "index.html").read_text()
    assert unhashed(html) == unhashed((FIXTURES / name / "index.html").read_text())


def test_manifest_is_vite_s(template: tuple[str, Path, Builder]) -> None:
    name, root, _ = template
    path = root / "dist" / "client" / ".vite" / "manifest.json"
    # Same keys, fields, order and layout as Vite's file; only hashes differ.
    assert unhashed(path.read_text()) == unhashed((FIXTURES / name / "manifest.json").read_text())
    manifest = load_manifest(path)
    entry = manifest["index.html"]
    assert entry.is_entry and entry.src == "index.html" and entry.name == "index"
    assert _FILE_RE.match(entry.file) and (root / "dist" / "client" / entry.file).is_file()
    for file in (*entry.css, *entry.assets):
        assert _FILE_RE.match(file) and (root / "dist" / "client" / file).is_file()
    for key, chunk in manifest.items():
        if key != "index.html":
            assert chunk.src == key and (root / key).is_file()  # assets, by source path
    # The Jinja helper's tags for the entry are the ones the built index.html has.
    html = (root / "dist" / "client" / "index.html").read_text()
    for tag in entry_tags(manifest, "index.html", "/").splitlines():
        assert tag in html


def test_ssr_manifest_is_vite_s(template: tuple[str, Path, Builder]) -> None:
    name, root, _ = template
    ours = json.loads((root / "dist" / "client" / ".vite" / "ssr-manifest.json").read_text())
    vite = json.loads((FIXTURES / name / "ssr-manifest.json").read_text())
    vite.pop("\0rolldown/runtime.js", None)  # Rolldown's own runtime module
    assert unhashed(json.dumps(ours, sort_keys=True)) == unhashed(json.dumps(vite, sort_keys=True))


def _dev_render(root: Path, entry: str, url: str) -> str:
    app = Flask(__name__, root_path=str(root.parent))
    app.config.update(VITE_ROOT=root.name, VITE_DEV=True, VITE_APP_TYPE="custom")
    vite = FlaskVite(app)
    try:
        with app.app_context():
            return t.cast(str, vite.ssr_load_module("/" + entry)["render"](url)["html"])
    finally:
        app.extensions["vite"].close()


def test_the_server_bundle_renders_the_dev_page(template: tuple[str, Path, Builder]) -> None:
    pytest.importorskip("py_mini_racer", reason="the V8 binding is not installed")
    from flask_vite.ssr.process import SsrProcess

    name, root, _ = template
    bundle = (root / "dist" / "server" / "entry-server.js").read_text()
    # Nothing is left for a module loader: one CommonJS script.
    assert not re.search(r"\brequire\(\s*[\"']", bundle)
    assert not re.search(r"^\s*import\b|\bimport\(", bundle, re.M)
    with SsrProcess(module_format="cjs", node_env="production") as renderer:
        renderer.define_modules({"/entry-server.js": bundle})
        built = renderer.call("/entry-server.js", "render", ["/"])["html"]
    dev = _dev_render(root, TEMPLATES[name], "/")
    manifest = load_manifest(root / "dist" / "client" / ".vite" / "manifest.json")
    # The same page, asset URLs aside: /src/assets/hero.png in dev, its hashed
    # file (which the client build wrote) in production.
    assets = {"/" + key: "/" + chunk.file for key, chunk in manifest.items() if key != "index.html"}
    assert assets and all(url in built for url in assets.values())
    for dev_url, built_url in assets.items():
        dev = dev.replace(dev_url, built_url)
    assert built == dev
    assert "<h1>Get started</h1>" in built
