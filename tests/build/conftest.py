"""Fixtures for ``flask vite build``: apps over a root, and building them quietly."""
from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
from flask import Flask

from flask_vite import FlaskVite
from flask_vite.build.builder import BuildResult, build
from flask_vite.build.report import Reporter

FIXTURES = Path(__file__).parent.parent / "fixtures" / "vite_build"

#: create-vite-extra's SSR templates built in these tests, with their SSR entries.
SSR_TEMPLATES = {
    "template-ssr-react-ts": "src/entry-server.tsx",
    "template-ssr-vanilla": "src/entry-server.js",
}


def ssr_template(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                 ) -> tuple[str, Path, Builder]:
    """For a fixture parametrized over :data:`SSR_TEMPLATES`: the template
    copied and installed, and a builder for it (to close)."""
    from tests.apps import CREATE_VITE_EXTRA, make_template_app

    name = t.cast(str, request.param)
    return name, make_template_app(CREATE_VITE_EXTRA, name, tmp_path_factory.mktemp(name) / "app"), Builder()


class Builder:
    """Makes production apps over roots and builds them; closes them at the end."""

    def __init__(self) -> None:
        self.apps: list[Flask] = []

    def app(self, root: Path, *, plugins: t.Sequence[t.Any] = (), **config: t.Any) -> Flask:
        app = Flask(__name__, root_path=str(root.parent))
        app.config.update(VITE_ROOT=root.name, VITE_DEV=False, **config)
        FlaskVite(app, plugins=plugins)
        self.apps.append(app)
        return app

    def __call__(self, root: Path, *, plugins: t.Sequence[t.Any] = (),
                 config: dict[str, t.Any] | None = None, **options: t.Any) -> BuildResult:
        app = self.app(root, plugins=plugins, **(config or {}))
        options.setdefault("reporter", Reporter(quiet=True))
        return build(app, **options)

    def close(self) -> None:
        for app in self.apps:
            app.extensions["vite"].close()


@pytest.fixture
def builder() -> t.Iterator[Builder]:
    b = Builder()
    yield b
    b.close()


def write(root: Path, files: dict[str, str]) -> Path:
    """Write ``{relative path: text}`` under ``root``; returns ``root``."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.fixture
def small_root(tmp_path: Path) -> Path:
    """A root without packages: index.html and a module, tests add the rest."""
    return write(tmp_path / "app", {
        "index.html": '<!doctype html>\n<html>\n  <head>\n    <title>t</title>\n  </head>\n'
                      '  <body>\n    <div id="app"></div>\n'
                      '    <script type="module" src="/src/main.ts"></script>\n  </body>\n</html>\n',
        "src/main.ts": "document.querySelector('#app')!.textContent = 'hi'\n",
    })
