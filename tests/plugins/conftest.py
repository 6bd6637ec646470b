"""Plugins driven through a real plugin container, module graph and esbuild.

The dev server grows as these tests run; to stay independent of what its
constructor sets up, the environment here gets a small server object with
the three things plugins use: ``config``, ``esbuild`` and ``file_url`` (the
real :meth:`DevServer.file_url`).
"""
from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
from flask import Flask

from flask_vite.config import ViteConfig
from flask_vite.esbuild.service import EsbuildService
from flask_vite.plugin import LoadResult, Plugin
from flask_vite.server.dev_server import DevServer
from flask_vite.server.environment import DevEnvironment


@pytest.fixture(scope="session")
def esbuild_service() -> t.Iterator[EsbuildService]:
    from flask_vite.esbuild.binary import find_esbuild

    service = EsbuildService(find_esbuild())
    yield service
    service.close()


class StubServer:
    """What plugins reach through ``ctx.environment.server``."""

    file_url = DevServer.file_url

    def __init__(self, config: ViteConfig, esbuild: EsbuildService) -> None:
        self.config = config
        self.esbuild = esbuild
        self.environments: dict[str, DevEnvironment] = {}


def make_config(root: Path, **settings: t.Any) -> ViteConfig:
    """A resolved config for ``root`` with extra ``VITE_*`` settings."""
    app = Flask(__name__, root_path=str(root))
    app.config.update({"VITE_ROOT": ".", "VITE_DEV": True, **settings})
    return ViteConfig.from_app(app)


class Pipeline:
    """One environment: resolve → load (or disk) → transform, as the dev server runs it."""

    def __init__(self, root: Path, plugins: t.Sequence[Plugin], esbuild: EsbuildService,
                 *, ssr: bool = False, **settings: t.Any) -> None:
        self.root = root
        self.config = make_config(root, **settings)
        self.server = StubServer(self.config, esbuild)
        self.env = DevEnvironment("ssr" if ssr else "client", t.cast(t.Any, self.server), plugins)
        self.server.environments[self.env.name] = self.env
        self.container = self.env.plugin_container

    def load(self, id: str) -> LoadResult:
        loaded = self.container.load(id)
        if loaded is None:
            loaded = LoadResult(Path(id.split("?", 1)[0]).read_text("utf-8"))
        return loaded

    def run(self, id: str) -> LoadResult:
        """Load and transform ``id``; ``meta`` merges every step's meta."""
        loaded = self.load(id)
        result = self.container.transform(loaded.code, id, loaded.map)
        return LoadResult(result.code, result.map, {**loaded.meta, **result.meta})

    @property
    def watched(self) -> set[str]:
        """Files registered with ``ctx.add_watch_file`` since the last call."""
        files = {f for _, f in self.container.watch_files}
        self.container.watch_files = []
        return files


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A Vite root with ``src/`` and ``public/``."""
    (tmp_path / "src").mkdir()
    (tmp_path / "public").mkdir()
    return tmp_path


@pytest.fixture
def pipeline(root: Path, esbuild_service: EsbuildService) -> t.Callable[..., Pipeline]:
    """``pipeline(plugins, ssr=False, **VITE_settings)``."""

    def make(plugins: t.Sequence[Plugin], *, ssr: bool = False, **settings: t.Any) -> Pipeline:
        return Pipeline(root, plugins, esbuild_service, ssr=ssr, **settings)

    return make
