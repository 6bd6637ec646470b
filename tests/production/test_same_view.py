"""One view, both modes: ``vite.render()`` gives the dev page with
``VITE_DEV`` on and the built page with it off, for create-vite-extra's
React page and for a page with props."""
from __future__ import annotations

import typing as t
from pathlib import Path

import pytest

from tests.apps import CREATE_VITE_EXTRA, make_template_app

from .conftest import build, prod_app


@pytest.fixture(scope="module")
def react_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_template_app(CREATE_VITE_EXTRA, "template-ssr-react-ts",
                             tmp_path_factory.mktemp("prod-react") / "app")
    build(root, ssr_entry="src/entry-server.tsx")
    return root


def page(root: Path, entry: str, path: str, **config: t.Any) -> str:
    app, _ = prod_app(root, entry, **config)
    try:
        r = app.test_client().get(path)
        assert r.status_code == 200, r.get_data(as_text=True)[:3000]
        return r.get_data(as_text=True)
    finally:
        app.extensions["vite"].close()


def test_the_react_page_in_dev_and_in_production(react_root: Path) -> None:
    dev = page(react_root, "src/entry-server.tsx", "/", VITE_DEV=True)
    prod = page(react_root, "src/entry-server.tsx", "/")
    for html in (dev, prod):
        assert "<title>Vite + React + TS</title>" in html
        assert "Count is <!-- -->0" in html
        assert "<!--app-html-->" not in html and "<!--app-head-->" not in html
    # Dev: the source entry and the client; production: the built, hashed files.
    assert '<script type="module" src="/@vite/client"></script>' in dev
    assert '<script type="module" src="/src/entry-client.tsx"></script>' in dev
    assert "/@vite/client" not in prod and "/src/" not in prod
    assert '<script type="module" crossorigin src="/assets/index-' in prod
    assert '<link rel="stylesheet" crossorigin href="/assets/index-' in prod
    # Imported images: source URLs in dev, the client build's hashed files in production.
    hashed = [u for u in prod.split('"') if u.startswith("/assets/hero-")]
    assert hashed and all((react_root / "dist" / "client" / u.lstrip("/")).is_file() for u in hashed)


def test_props_and_head_in_both_modes(fault_root: Path) -> None:
    for config in ({"VITE_DEV": True}, {"VITE_DEV": False}):
        html = page(fault_root, "src/entry-server.ts", "/item/7?marker=m-7-ab", **config)
        head, body = html.split("</head>")
        assert '<meta name="marker" content="m-7-ab">' in head, config
        assert '<main data-url="/item/7">m-7-ab</main>' in body, config
