"""The dependency optimizer on a real package (preact, from the registry)."""
from __future__ import annotations

import json
import shutil
import typing as t
from pathlib import Path

import pytest
from flask import Flask

from flask_vite.npm.installer import install
from tests.apps import dev_app


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("optimizer") / "app"
    (root / "src").mkdir(parents=True)
    (root / "package.json").write_text(json.dumps(
        {"name": "opt", "private": True, "dependencies": {"preact": "10.27.2"}}))
    install(root)
    return root


@pytest.fixture
def root(installed: Path, tmp_path: Path) -> Path:
    root = tmp_path / "app"
    shutil.copytree(installed, root, symlinks=True)
    shutil.rmtree(root / "node_modules" / ".vite", ignore_errors=True)
    (root / "index.html").write_text(
        '<html><head></head><body><script type="module" src="/src/main.js"></script></body></html>')
    (root / "src" / "main.js").write_text(
        "import { h, render } from 'preact'\nimport { useState } from 'preact/hooks'\n"
        "render(h('p', null, String(useState)), document.body)\n")
    return root


def optimizer(app: Flask) -> t.Any:
    return app.extensions["vite"].dev_server.optimizer


def test_scan_and_bundle(root: Path) -> None:
    app = dev_app(root)
    try:
        meta = optimizer(app).ensure_ready()
        assert set(meta.optimized) == {"preact", "preact/hooks"}
        assert all(not d.needs_interop for d in meta.optimized.values())  # preact is ESM
        deps_dir = root / "node_modules" / ".vite" / "deps"
        assert (deps_dir / "preact.js").is_file() and (deps_dir / "preact_hooks.js").is_file()
        saved = json.loads((deps_dir / "_metadata.json").read_text())
        assert saved["browserHash"] == meta.browser_hash
        js = app.test_client().get("/src/main.js").get_data(as_text=True)
        assert f"from '/node_modules/.vite/deps/preact.js?v={meta.browser_hash}'" in js
        assert f"from '/node_modules/.vite/deps/preact_hooks.js?v={meta.browser_hash}'" in js
    finally:
        app.extensions["vite"].close()


def test_second_server_reuses_the_bundle_until_the_lockfile_changes(root: Path) -> None:
    first = dev_app(root)
    meta = optimizer(first).ensure_ready()
    first.extensions["vite"].close()
    marker = root / "node_modules" / ".vite" / "deps" / "preact.js"
    stamp = marker.stat().st_mtime_ns

    second = dev_app(root)
    try:
        again = optimizer(second).ensure_ready()
        assert again.browser_hash == meta.browser_hash
        assert marker.stat().st_mtime_ns == stamp  # not bundled again
    finally:
        second.extensions["vite"].close()

    lock = root / "package-lock.json"
    lock.write_text(lock.read_text().replace('"lockfileVersion": 3', '"lockfileVersion": 3 '))
    third = dev_app(root)
    try:
        changed = optimizer(third).ensure_ready()
        assert changed.hash != meta.hash
    finally:
        third.extensions["vite"].close()


def test_a_dependency_found_later_is_bundled_and_old_modules_invalidated(
        root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = dev_app(root)
    sent: list[t.Any] = []
    monkeypatch.setattr(app.extensions["vite"].dev_server.hot, "send", lambda payload, data=None: sent.append(payload))
    try:
        client = app.test_client()
        first = optimizer(app).ensure_ready()
        dep_url = f"/node_modules/.vite/deps/preact.js?v={first.browser_hash}"
        assert client.get(dep_url).status_code == 200
        (root / "src" / "later.js").write_text("import { jsx } from 'preact/jsx-runtime'\nexport default jsx\n")
        js = client.get("/src/later.js").get_data(as_text=True)
        meta = optimizer(app).metadata
        assert "preact/jsx-runtime" in meta.optimized
        assert meta.browser_hash != first.browser_hash
        assert f"/node_modules/.vite/deps/preact_jsx-runtime.js?v={meta.browser_hash}" in js
        graph = app.extensions["vite"].dev_server.environments["client"].module_graph
        nodes = graph.get_modules_by_file((root / "node_modules/.vite/deps/preact.js").as_posix())
        assert nodes and all(n.transform_result is None for n in nodes)  # served again from the new bundle
        # Open pages hold the old bundle's modules: they reload.
        assert {"type": "full-reload", "path": "*"} in sent
    finally:
        app.extensions["vite"].close()


def test_include_and_exclude(root: Path) -> None:
    app = dev_app(root, VITE_OPTIMIZE_DEPS_INCLUDE=["preact/compat"], VITE_OPTIMIZE_DEPS_EXCLUDE=["preact/hooks"])
    try:
        meta = optimizer(app).ensure_ready()
        assert set(meta.optimized) == {"preact", "preact/compat"}
        js = app.test_client().get("/src/main.js").get_data(as_text=True)
        # Excluded: served from node_modules as it is.
        assert "from '/node_modules/preact/hooks/dist/hooks.module.js" in js
    finally:
        app.extensions["vite"].close()


def test_scan_follows_aliases_and_skips_styles_assets_and_queries(root: Path) -> None:
    # tsconfig paths lead the scan into the app's own modules (their bare
    # imports are found up front); styles, assets and ?raw imports are not
    # scanned, and the scan does not fail on them.
    (root / "tsconfig.json").write_text(json.dumps(
        {"compilerOptions": {"baseUrl": ".", "paths": {"@/*": ["src/*"]}}}))
    (root / "src" / "main.js").write_text(
        "import './style.css'\nimport logo from './logo.svg'\nimport text from './notes.txt?raw'\n"
        "import { widget } from '@/lib/widget.js'\nwidget(logo, text)\n")
    (root / "src" / "style.css").write_text("p { color: red }\n")
    (root / "src" / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>\n")
    (root / "src" / "notes.txt").write_text("notes\n")
    (root / "src" / "lib").mkdir()
    (root / "src" / "lib" / "widget.js").write_text(
        "import { useState } from 'preact/hooks'\nexport const widget = () => useState\n")
    app = dev_app(root)
    try:
        assert set(optimizer(app).scan()) == {"preact/hooks"}
    finally:
        app.extensions["vite"].close()


def test_bundled_imports_resolve_without_a_package_lookup(root: Path) -> None:
    # Vite's tryOptimizedResolve: once bundled, "preact/hooks" from app code
    # is the file it was bundled from; the package is not looked up again
    # (here it could not be: its package.json is gone).
    app = dev_app(root)
    try:
        meta = optimizer(app).ensure_ready()
        (root / "node_modules" / "preact" / "package.json").unlink()
        container = app.extensions["vite"].dev_server.environments["client"].plugin_container
        resolved = container.resolve_id("preact/hooks", (root / "src" / "main.js").as_posix())
        assert resolved is not None and resolved.id == meta.optimized["preact/hooks"].src
        js = app.test_client().get("/src/main.js").get_data(as_text=True)
        assert f"/node_modules/.vite/deps/preact_hooks.js?v={meta.browser_hash}" in js
        # From inside a package, the package lookup still decides.
        inside = (root / "node_modules" / "preact" / "hooks" / "dist" / "hooks.module.js").as_posix()
        assert container.resolve_id("preact", inside) is None
    finally:
        app.extensions["vite"].close()
