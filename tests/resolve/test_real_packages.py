"""Resolution of real, pinned npm packages (React 19, Preact 10, Vue 3).

The expected files are what Vite 6+ resolves with its default conditions:
the client gets ``browser``/``module`` builds, the ``ssr`` environment the
``node`` ones (React's ``server.node.js``, Vue's CommonJS builds).
"""
from __future__ import annotations

import typing as t
from pathlib import Path

import pytest

from flask_vite.plugin import ResolveOptions
from flask_vite.plugins.resolve import ResolvePlugin
from flask_vite.resolve.errors import PackagePathNotExported
from flask_vite.resolve.node import NodeResolveOptions, NodeResolver

from .conftest import PINNED
from .helpers import posix
from .test_plugin import FakeContext

pytestmark = pytest.mark.network

MAIN = "src/main.tsx"
REACT_DOM_CLIENT = "node_modules/react-dom/cjs/react-dom-client.development.js"
VUE_BUNDLER = "node_modules/vue/dist/vue.runtime.esm-bundler.js"

# (specifier, importer, client, ssr); "=" means same as client; paths relative
# to the project.
TABLE: list[tuple[str, str, str | None, str | None]] = [
    ("react", MAIN, "node_modules/react/index.js", "="),
    ("react/jsx-runtime", MAIN, "node_modules/react/jsx-runtime.js", "="),
    ("react/jsx-dev-runtime", MAIN, "node_modules/react/jsx-dev-runtime.js", "="),
    ("react/package.json", MAIN, "node_modules/react/package.json", "="),
    ("react-dom", MAIN, "node_modules/react-dom/index.js", "="),
    ("react-dom/client", MAIN, "node_modules/react-dom/client.js", "="),
    ("react-dom/server", MAIN, "node_modules/react-dom/server.browser.js",
     "node_modules/react-dom/server.node.js"),
    ("react-dom/server.browser", MAIN, "node_modules/react-dom/server.browser.js", "="),
    ("react-dom/static", MAIN, "node_modules/react-dom/static.browser.js",
     "node_modules/react-dom/static.node.js"),
    ("scheduler", REACT_DOM_CLIENT, "node_modules/scheduler/index.js", "="),
    ("react", REACT_DOM_CLIENT, "node_modules/react/index.js", "="),
    ("./cjs/react-dom-client.development.js", "node_modules/react-dom/client.js",
     REACT_DOM_CLIENT, "="),
    ("preact", MAIN, "node_modules/preact/dist/preact.module.js",
     "node_modules/preact/dist/preact.mjs"),
    ("preact/hooks", MAIN, "node_modules/preact/hooks/dist/hooks.module.js",
     "node_modules/preact/hooks/dist/hooks.mjs"),
    ("preact/jsx-runtime", MAIN, "node_modules/preact/jsx-runtime/dist/jsxRuntime.module.js",
     "node_modules/preact/jsx-runtime/dist/jsxRuntime.mjs"),
    ("preact/jsx-dev-runtime", MAIN, "node_modules/preact/jsx-runtime/dist/jsxRuntime.module.js",
     "node_modules/preact/jsx-runtime/dist/jsxRuntime.mjs"),
    ("preact/compat", MAIN, "node_modules/preact/compat/dist/compat.module.js",
     "node_modules/preact/compat/dist/compat.mjs"),
    ("preact", "node_modules/preact/hooks/dist/hooks.module.js",
     "node_modules/preact/dist/preact.module.js", "node_modules/preact/dist/preact.mjs"),
    ("vue", MAIN, VUE_BUNDLER, "node_modules/vue/index.mjs"),
    ("vue/server-renderer", MAIN, "node_modules/vue/server-renderer/index.mjs", "="),
    ("vue/dist/vue.esm-browser.js", MAIN, "node_modules/vue/dist/vue.esm-browser.js", "="),
    ("@vue/runtime-dom", VUE_BUNDLER,
     "node_modules/@vue/runtime-dom/dist/runtime-dom.esm-bundler.js",
     "node_modules/@vue/runtime-dom/dist/runtime-dom.cjs.js"),
    ("@vue/server-renderer", MAIN,
     "node_modules/@vue/server-renderer/dist/server-renderer.esm-bundler.js",
     "node_modules/@vue/server-renderer/dist/server-renderer.cjs.js"),
    ("@vue/shared/dist/shared.esm-bundler.js", MAIN,
     "node_modules/@vue/shared/dist/shared.esm-bundler.js", "="),
]


@pytest.fixture(scope="module")
def resolvers(npm_project: Path) -> dict[str, NodeResolver]:
    root = posix(npm_project)
    return {"client": NodeResolver(NodeResolveOptions.client(root=root)),
            "ssr": NodeResolver(NodeResolveOptions.ssr(root=root))}


@pytest.mark.parametrize("specifier, importer, client, ssr", TABLE,
                         ids=[f"{r[0]}<-{r[1].rsplit('/', 1)[-1]}" for r in TABLE])
def test_real_package(npm_project: Path, resolvers: dict[str, NodeResolver], specifier: str,
                      importer: str, client: str | None, ssr: str | None) -> None:
    for env, expected in (("client", client), ("ssr", client if ssr == "=" else ssr)):
        res = resolvers[env].resolve(specifier, posix(npm_project / importer))
        assert res is not None, f"{env}: {specifier} did not resolve"
        assert res.id == posix(npm_project / expected), env  # type: ignore[operator]


@pytest.mark.parametrize("specifier, name", [
    ("react-dom/client", "react-dom"), ("preact/hooks", "preact"), ("vue", "vue"),
    ("@vue/runtime-dom", "@vue/runtime-dom"),
])
def test_package_info(npm_project: Path, resolvers: dict[str, NodeResolver], specifier: str,
                      name: str) -> None:
    res = resolvers["client"].resolve(specifier, posix(npm_project / VUE_BUNDLER))
    assert res is not None
    assert (res.package_name, res.package_version) == (name, PINNED[name])
    assert res.in_node_modules and res.package_dir == posix(npm_project / "node_modules" / name)


def test_production_ssr_picks_prod_builds(npm_project: Path) -> None:
    prod = NodeResolver(NodeResolveOptions.ssr(production=True, root=posix(npm_project)))
    assert prod.resolve_path("@vue/runtime-dom", posix(npm_project / MAIN)) == posix(
        npm_project / "node_modules/@vue/runtime-dom/dist/runtime-dom.cjs.prod.js")


def test_unexported_deep_import(npm_project: Path, resolvers: dict[str, NodeResolver]) -> None:
    with pytest.raises(PackagePathNotExported) as info:
        resolvers["client"].resolve("react-dom/cjs/react-dom.development.js",
                                    posix(npm_project / MAIN))
    message = str(info.value)
    assert "'./cjs/react-dom.development.js'" in message
    assert posix(npm_project / "node_modules/react-dom/package.json") in message
    assert "main.tsx" in message


@pytest.mark.parametrize("ssr, expected", [
    (False, "node_modules/react-dom/server.browser.js"),
    (True, "node_modules/react-dom/server.node.js"),
])
def test_through_the_plugin(npm_project: Path, ssr: bool, expected: str) -> None:
    ctx: t.Any = FakeContext(npm_project, ssr=ssr)
    got = ResolvePlugin().resolve_id(ctx, "react-dom/server", posix(npm_project / MAIN),
                                     ResolveOptions(ssr=ssr))
    assert got == posix(npm_project / expected)


@pytest.mark.parametrize("specifier, expected", [
    ("react-dom/server", "node_modules/react-dom/server.browser.js"),
    ("vue", "node_modules/vue/dist/vue.runtime.esm-bundler.js"),
    ("@vue/server-renderer",
     "node_modules/@vue/server-renderer/dist/server-renderer.esm-bundler.js"),
    ("preact", "node_modules/preact/dist/preact.module.js"),
])
def test_webworker_ssr_target(npm_project: Path, specifier: str, expected: str) -> None:
    # Vite's ssr.target "webworker": the server resolves like the client,
    # which is what a bare V8 isolate (no Node APIs) can run.
    ctx: t.Any = FakeContext(npm_project, ssr=True)
    plugin = ResolvePlugin(ssr_target="webworker")
    got = plugin.resolve_id(ctx, specifier, posix(npm_project / MAIN), ResolveOptions(ssr=True))
    assert got == posix(npm_project / expected)
    worker = NodeResolver(NodeResolveOptions.ssr(webworker=True, root=posix(npm_project)))
    got = worker.resolve_path(specifier, posix(npm_project / MAIN))
    assert got == posix(npm_project / expected)
