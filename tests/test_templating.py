from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from flask import Flask, render_template_string

from flask_vite import FlaskVite
from flask_vite.manifest import ManifestError, load_manifest

FIXTURES = Path(__file__).parent / "fixtures" / "manifests"


def make(tmp_path: Path, **config: object) -> Flask:
    root = tmp_path / "frontend"
    root.mkdir(exist_ok=True)
    app = Flask(__name__, root_path=str(tmp_path))
    app.config.update(VITE_ROOT="frontend", **config)
    FlaskVite(app)
    return app


def render(app: Flask, source: str) -> str:
    with app.test_request_context("/"):
        return render_template_string(source)


def test_dev_tags_emit_the_client_once(tmp_path: Path) -> None:
    app = make(tmp_path, VITE_DEV=True)
    html = render(app, "{{ vite_tags('src/main.tsx') }}\n{{ vite_tags('src/other.ts') }}")
    assert html.count("/@vite/client") == 1
    assert '<script type="module" src="/@vite/client"></script>' in html
    assert '<script type="module" src="/src/main.tsx"></script>' in html
    assert '<script type="module" src="/src/other.ts"></script>' in html
    app.extensions["vite"].close()


def test_dev_tags_use_the_base_and_nonce(tmp_path: Path) -> None:
    app = make(tmp_path, VITE_DEV=True, VITE_BASE="/static/")
    html = render(app, "{{ vite_tags('src/main.tsx', nonce='abc') }} {{ vite_asset_url('src/logo.png') }}")
    assert '<script type="module" src="/static/@vite/client" nonce="abc"></script>' in html
    assert '<script type="module" src="/static/src/main.tsx" nonce="abc"></script>' in html
    assert "/static/src/logo.png" in html
    app.extensions["vite"].close()


def install_manifest(tmp_path: Path, name: str) -> None:
    target = tmp_path / "frontend" / "dist" / "client" / ".vite"
    target.mkdir(parents=True)
    shutil.copy(FIXTURES / name, target / "manifest.json")


def test_production_tags_from_a_real_vite_manifest(tmp_path: Path) -> None:
    app = make(tmp_path, VITE_DEV=False)
    install_manifest(tmp_path, "vite8-two-entries.json")
    html = render(app, "{{ vite_tags('src/main.tsx') }}")
    assert html.splitlines() == [
        '<script type="module" crossorigin src="/assets/main-Cc1Jr0_P.js"></script>',
        '<link rel="modulepreload" crossorigin href="/assets/jsx-runtime-Db-_YT-E.js">',
        '<link rel="stylesheet" crossorigin href="/assets/main-D64VDMd1.css">',
    ]
    assert "@vite/client" not in html
    assert render(app, "{{ vite_react_refresh() }}") == ""
    assert render(app, "{{ vite_asset_url('src/assets/hero.png') }}") == "/assets/hero-CLDdwZDr.png"


def test_missing_manifest_says_to_build(tmp_path: Path) -> None:
    app = make(tmp_path, VITE_DEV=False)
    with pytest.raises(ManifestError, match="Run 'flask vite build' first"):
        render(app, "{{ vite_tags('src/main.tsx') }}")


def test_unknown_entry_is_named(tmp_path: Path) -> None:
    app = make(tmp_path, VITE_DEV=False)
    install_manifest(tmp_path, "vite8-two-entries.json")
    with pytest.raises(ManifestError, match=r"'src/nope.tsx' is not an entry .*src/main.tsx, src/other.tsx"):
        render(app, "{{ vite_tags('src/nope.tsx') }}")


def test_shared_imports_are_preloaded_once_depth_first(tmp_path: Path) -> None:
    manifest = {
        "src/main.ts": {"file": "assets/main.js", "isEntry": True, "imports": ["_a.js", "_b.js"],
                        "css": ["assets/main.css"], "dynamicImports": ["src/lazy.ts"]},
        "_a.js": {"file": "assets/a.js", "imports": ["_shared.js"], "css": ["assets/a.css"]},
        "_b.js": {"file": "assets/b.js", "imports": ["_shared.js"]},
        "_shared.js": {"file": "assets/shared.js", "css": ["assets/shared.css"]},
        "src/lazy.ts": {"file": "assets/lazy.js", "isDynamicEntry": True, "css": ["assets/lazy.css"]},
    }
    path = tmp_path / "m.json"
    path.write_text(json.dumps(manifest))
    from flask_vite.manifest import entry_tags

    tags = entry_tags(load_manifest(path), "src/main.ts", "https://cdn.test/")
    assert tags.splitlines() == [
        '<script type="module" crossorigin src="https://cdn.test/assets/main.js"></script>',
        '<link rel="modulepreload" crossorigin href="https://cdn.test/assets/shared.js">',
        '<link rel="modulepreload" crossorigin href="https://cdn.test/assets/a.js">',
        '<link rel="modulepreload" crossorigin href="https://cdn.test/assets/b.js">',
        '<link rel="stylesheet" crossorigin href="https://cdn.test/assets/shared.css">',
        '<link rel="stylesheet" crossorigin href="https://cdn.test/assets/a.css">',
        '<link rel="stylesheet" crossorigin href="https://cdn.test/assets/main.css">',
    ]


@pytest.mark.parametrize("bad", ['[]', '{"x": {}}', '{"x": {"file": "a.js", "imports": "b"}}', 'not json'])
def test_malformed_manifests_are_refused(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(bad)
    with pytest.raises(ManifestError, match="manifest.json"):
        load_manifest(path)
