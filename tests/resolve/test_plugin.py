"""The ``vite:resolve`` plugin: its steps in order, with a fake plugin context."""
from __future__ import annotations

import re
import typing as t
from pathlib import Path

import pytest

from flask_vite.config import ViteConfig
from flask_vite.plugin import ResolvedId, ResolveOptions
from flask_vite.plugins.resolve import (
    AliasEntry,
    ResolvePlugin,
    apply_alias,
    fs_path_from_id,
    normalize_alias,
)
from flask_vite.resolve.node import Resolution

from .helpers import posix, write_tree

JS = "export default 1\n"


class FakeContext:
    """Just enough of a :class:`~flask_vite.plugin.PluginContext`."""

    def __init__(self, root: Path, *, ssr: bool = False, dev: bool = True,
                 others: t.Mapping[str, str] | None = None) -> None:
        self.ssr = ssr
        self.environment: t.Any = None
        self.config = ViteConfig(root=root, dev=dev, mode="development" if dev else "production",
                                 base="/", public_dir=None, out_dir=root / "dist",
                                 cache_dir=root / "node_modules/.vite", allowed_hosts=(),
                                 debug=False, esbuild_binary=None)
        self.warnings: list[str] = []
        #: What "other plugins" resolve when ctx.resolve is called.
        self.others = dict(others or {})

    def resolve(self, source: str, importer: str | None = None, *, skip_self: bool = True,
                options: ResolveOptions | None = None) -> ResolvedId | None:
        hit = self.others.get(source)
        return ResolvedId(hit) if hit else None

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def add_watch_file(self, path: str) -> None:
        pass

    def emit_file(self, *, type: str = "asset", file_name: str | None = None,
                  name: str | None = None, source: str | bytes = b"") -> str:
        raise NotImplementedError

    def get_module_info(self, id: str) -> t.Any:
        return None

    def error(self, message: str) -> t.NoReturn:
        raise RuntimeError(message)


FIXTURE: dict[str, t.Any] = {
    "app/package.json": {"name": "app", "imports": {"#utils": "./src/utils.ts"}},
    "app/index.html": "<script type=module src=main.ts></script>",
    "app/main.ts": JS,
    "app/src/main.ts": JS,
    "app/src/utils.ts": JS,
    "app/src/App.tsx": JS,
    "app/src/logo.svg": "<svg/>",
    "app/src/components/Button.tsx": JS,
    "app/src/types/index.ts": JS,
    "app/tsconfig.json": """{
      // JSONC, as create-vite writes it
      "compilerOptions": {"paths": {"@/*": ["./src/*"], "#types": ["./src/types"]},},
    }""",
    "app/node_modules/cond/package.json": {
        "name": "cond", "version": "1.0.0",
        "exports": {".": {"browser": "./browser.js", "node": "./node.js", "default": "./node.js"}}},
    "app/node_modules/cond/browser.js": JS,
    "app/node_modules/cond/node.js": JS,
    "app/node_modules/cond/dist/deep.js": JS,
    "app/node_modules/cond/README.md": "",
    "app/node_modules/uses-fs/package.json": {"name": "uses-fs", "browser": {"fs": False}},
    "app/node_modules/uses-fs/index.js": JS,
    "outside/lib.js": JS,
}


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tree(tmp_path_factory.mktemp("plugin").resolve(), FIXTURE)


@pytest.fixture(scope="module")
def plugin() -> ResolvePlugin:
    return ResolvePlugin(alias=[
        {"find": "@components", "replacement": "/src/components"},
        {"find": re.compile(r"^~(.*)$"), "replacement": "/src/$1"},
        ("virtual-alias", "virtual:thing"),
        {"find": "abs-alias", "replacement": "/nonexistent/file.js"},
    ])


MAIN = "app/src/main.ts"
A = "app/"
NM = "app/node_modules/"

# (source, importer, client, ssr): "=" same as client; "ext:" prefix = external
TABLE: list[tuple[str, str | None, t.Any, t.Any]] = [
    ("\0virtual:x", MAIN, None, None),
    ("virtual:x", MAIN, None, None),
    ("/virtual:x", MAIN, None, None),
    ("__vite-browser-external:fs", MAIN, "__vite-browser-external:fs", "="),
    ("./utils", MAIN, A + "src/utils.ts", "="),
    ("./utils.js", MAIN, A + "src/utils.ts", "="),
    ("./logo.svg?raw", MAIN, A + "src/logo.svg?raw", "="),
    ("./logo.svg?url#frag", MAIN, A + "src/logo.svg?url#frag", "="),
    ("./nope", MAIN, None, None),
    ("/src/main.ts", None, A + "src/main.ts", "="),
    ("/src/App", MAIN, A + "src/App.tsx", "="),
    ("/src/logo.svg?import", MAIN, A + "src/logo.svg?import", "="),
    ("main.ts", "app/index.html", A + "main.ts", "="),   # html: a bare word is relative
    ("#utils", MAIN, A + "src/utils.ts", "="),
    ("@/components/Button", MAIN, A + "src/components/Button.tsx", "="),   # tsconfig paths
    ("@/utils.js", MAIN, A + "src/utils.ts", "="),
    ("#types", MAIN, A + "src/types/index.ts", "="),
    ("@components/Button", MAIN, A + "src/components/Button.tsx", "="),   # string alias
    ("~utils", MAIN, A + "src/utils.ts", "="),                             # regex alias
    ("cond", MAIN, NM + "cond/browser.js", NM + "cond/node.js"),
    ("cond/dist/deep.js", MAIN, None, None),  # not exported: raises, see below
    ("https://cdn.example/x.js", MAIN, "ext:https://cdn.example/x.js", "="),
    ("//cdn.example/x.js", MAIN, "ext://cdn.example/x.js", "="),
    ("data:text/javascript,export default 1", MAIN,
     "ext:data:text/javascript,export default 1", "="),
    ("node:fs", MAIN, "__vite-browser-external:node:fs", "ext:node:fs"),
    ("fs", MAIN, "__vite-browser-external:fs", "ext:fs"),
    ("fs/promises", MAIN, "__vite-browser-external:fs/promises", "ext:fs/promises"),
    ("fs", NM + "uses-fs/index.js", "__vite-browser-external", "ext:fs"),
    ("not-installed", MAIN, None, None),
]


def _expected(tree: Path, value: t.Any) -> t.Any:
    if value is None:
        return None
    if value.startswith("ext:"):
        return ResolvedId(value[4:], external=True)
    if value.startswith("__"):
        return value
    return posix(tree / value)


@pytest.mark.parametrize("source, importer, client, ssr", [r for r in TABLE if "deep" not in r[0]],
                         ids=[r[0][:40] for r in TABLE if "deep" not in r[0]])
def test_resolve_id(tree: Path, plugin: ResolvePlugin, source: str, importer: str | None,
                    client: t.Any, ssr: t.Any) -> None:
    imp = posix(tree / importer) if importer else None
    for is_ssr, expected in ((False, client), (True, client if ssr == "=" else ssr)):
        ctx = FakeContext(tree / "app", ssr=is_ssr)
        got = plugin.resolve_id(ctx, source, imp, ResolveOptions(ssr=is_ssr))
        assert got == _expected(tree, expected), f"{'ssr' if is_ssr else 'client'}: {source}"


def test_fs_prefix_is_not_checked(tree: Path, plugin: ResolvePlugin) -> None:
    ctx = FakeContext(tree / "app")
    lib = posix(tree / "outside/lib.js")
    assert plugin.resolve_id(ctx, "/@fs" + lib, None, ResolveOptions()) == lib
    got = plugin.resolve_id(ctx, "/@fs/no/such/file.js", None, ResolveOptions())
    assert got == "/no/such/file.js"


def test_absolute_paths_and_file_urls(tree: Path, plugin: ResolvePlugin) -> None:
    ctx = FakeContext(tree / "app")
    lib = posix(tree / "outside/lib.js")
    assert plugin.resolve_id(ctx, lib, None, ResolveOptions()) == lib
    assert plugin.resolve_id(ctx, lib + "?v=123", None, ResolveOptions()) == lib + "?v=123"
    assert plugin.resolve_id(ctx, "file://" + lib, None, ResolveOptions()) == lib
    # an absolute path inside the root is not mistaken for a root-relative URL
    main = posix(tree / MAIN)
    assert plugin.resolve_id(ctx, main, None, ResolveOptions()) == main


def test_not_exported_raises_with_names(tree: Path, plugin: ResolvePlugin) -> None:
    ctx = FakeContext(tree / "app")
    with pytest.raises(Exception) as info:
        plugin.resolve_id(ctx, "cond/dist/deep.js", posix(tree / MAIN), ResolveOptions())
    message = str(info.value)
    assert "'./dist/deep.js'" in message and "cond/package.json" in message and "main.ts" in message


def test_alias_to_another_plugins_id(tree: Path, plugin: ResolvePlugin) -> None:
    ctx = FakeContext(tree / "app", others={"virtual:thing": "\0virtual:thing"})
    got = plugin.resolve_id(ctx, "virtual-alias", None, ResolveOptions())
    assert got == ResolvedId("\0virtual:thing")
    # an absolute replacement nobody resolves is returned as is, as rollup's alias does
    assert plugin.resolve_id(ctx, "abs-alias", None, ResolveOptions()) == "/nonexistent/file.js"


def test_production_builtin_warns(tree: Path, plugin: ResolvePlugin) -> None:
    ctx = FakeContext(tree / "app", dev=False)
    got = plugin.resolve_id(ctx, "fs", posix(tree / MAIN), ResolveOptions())
    assert got == "__vite-browser-external"
    assert ctx.warnings and '"fs"' in ctx.warnings[0] and "main.ts" in ctx.warnings[0]


def test_tsconfig_paths_can_be_disabled(tree: Path) -> None:
    ctx = FakeContext(tree / "app")
    off = ResolvePlugin(tsconfig_paths=False)
    assert off.resolve_id(ctx, "@/utils", posix(tree / MAIN), ResolveOptions()) is None


def test_finalize_bare_hook(tree: Path) -> None:
    seen: list[tuple[str, Resolution, str | None, bool]] = []

    def finalize(spec: str, res: Resolution, importer: str | None, ssr: bool) -> str | None:
        seen.append((spec, res, importer, ssr))
        return "/app/node_modules/.vite/deps/cond.js?v=abc" if not ssr else None

    plugin = ResolvePlugin()
    plugin.finalize_bare = finalize
    main = posix(tree / MAIN)
    assert plugin.resolve_id(FakeContext(tree / "app"), "cond", main, ResolveOptions()) == (
        "/app/node_modules/.vite/deps/cond.js?v=abc")
    assert plugin.resolve_id(FakeContext(tree / "app", ssr=True), "cond", main,
                             ResolveOptions(ssr=True)) == posix(tree / NM / "cond/node.js")
    spec, res, importer, ssr = seen[0]
    assert (spec, res.package_name, res.package_version, importer, ssr) == (
        "cond", "cond", "1.0.0", main, False)


@pytest.mark.parametrize(
    "id, dev, words",
    [
        ("__vite-browser-external:fs", True, ["new Proxy", 'Module "fs"', "externalized"]),
        ("__vite-browser-external:fs", False, ["export default {}"]),
        ("__vite-browser-external", True, ["export default {}"]),
        ("__vite-optional-peer-dep:thing:lib", True, ['"thing"', '"lib"', "Is it installed?"]),
        ("__vite-optional-peer-dep:thing:lib", False, ["export default {}"]),
    ],
)
def test_load_special_ids(tree: Path, id: str, dev: bool, words: list[str]) -> None:
    code = ResolvePlugin().load(FakeContext(tree / "app", dev=dev), id)
    assert isinstance(code, str)
    for word in words:
        assert word in code


def test_load_leaves_other_ids(tree: Path) -> None:
    assert ResolvePlugin().load(FakeContext(tree / "app"), posix(tree / MAIN)) is None


@pytest.mark.parametrize(
    "alias, source, expected",
    [
        ({"@": "/src"}, "@/a", "/src/a"),
        ({"@": "/src"}, "@", "/src"),
        ({"@": "/src"}, "@scope/pkg", None),          # "@" only matches "@" or "@/..."
        ({"@/": "/src/"}, "@/a", "/src/a"),           # trailing slashes dropped in pairs
        ({"react": "preact/compat"}, "react/jsx-runtime", "preact/compat/jsx-runtime"),
        ({"react": "preact/compat"}, "react-dom", None),
        ([{"find": re.compile(r"^(.*)\.svg$"), "replacement": "$1.svg?raw"}], "./a.svg",
         "./a.svg?raw"),
        ([{"find": re.compile(r"^lib-(?P<n>\w+)"), "replacement": "/libs/$<n>"}], "lib-x/y",
         "/libs/x/y"),
        ([{"find": re.compile(r"^x"), "replacement": "$$&$&"}], "xy", "$&xy"),
        ([(re.compile(r"^v(\d)"), r"/v\1")], "v2/a", "/v2/a"),
        ([AliasEntry("a", "/1"), AliasEntry("a", "/2")], "a", "/1"),    # first match wins
    ],
)
def test_alias(alias: t.Any, source: str, expected: str | None) -> None:
    assert apply_alias(normalize_alias(alias), source) == expected


def test_bad_alias_entry() -> None:
    with pytest.raises(TypeError, match="find"):
        normalize_alias([{"find": 3, "replacement": "/x"}])


@pytest.mark.parametrize("id, expected", [
    ("/@fs/home/u/a.js", "/home/u/a.js"), ("/@fs/C:/x/a.js", "C:/x/a.js"),
    ("/@fs/home/u/a%20b.js", "/home/u/a b.js"),
])
def test_fs_path_from_id(id: str, expected: str) -> None:
    assert fs_path_from_id(id) == expected


def test_bad_ssr_target() -> None:
    with pytest.raises(ValueError, match="webworker"):
        ResolvePlugin(ssr_target="deno")  # type: ignore[arg-type]
