"""Filesystem resolution on a fixture tree of fake packages."""
from __future__ import annotations

import os
import time
import typing as t
from pathlib import Path

import pytest

from flask_vite.resolve.errors import (
    PackageEntryError,
    PackageImportNotDefined,
    PackagePathNotExported,
)
from flask_vite.resolve.node import (
    BROWSER_EXTERNAL_ID,
    NodeResolveOptions,
    NodeResolver,
    package_name_of,
    resolve_conditions,
)
from flask_vite.resolve.packages import (
    PackageCache,
    is_node_builtin,
    map_with_browser_field,
    split_postfix,
)

from .helpers import Symlink, posix, write_tree

JS = "export default 1\n"

FIXTURE: dict[str, t.Any] = {
    "app/package.json": {
        "name": "app",
        "imports": {
            "#utils": "./src/utils/index.ts",
            "#internal/*": "./src/internal/*.ts",
            "#dep": {"browser": "browsermap", "default": "./src/dep-node.ts"},
        },
        "dependencies": {"cond": "*"},
    },
    "app/src/main.ts": JS,
    "app/src/utils/index.ts": JS,
    "app/src/internal/a.ts": JS,
    "app/src/dep-node.ts": JS,
    "app/src/comp.tsx": JS,
    "app/src/lib.ts": JS,
    "app/src/real.js": JS,
    "app/src/real.ts": JS,
    "app/src/mod.mts": JS,
    "app/src/data.json": "{}",
    "app/src/dir/index.js": JS,
    "app/src/a.svg": "<svg/>",
    "app/src/sub/package.json": {"type": "module"},
    "app/src/sub/x.js": JS,
    # exports with conditions, patterns and null
    "app/node_modules/cond/package.json": {
        "name": "cond", "version": "1.2.3",
        "exports": {
            ".": {"browser": "./browser.js", "node": "./node.js", "default": "./default.js"},
            "./feature": {"development": "./feature.dev.js", "production": "./feature.prod.js"},
            "./utils/*": "./utils/*.js",
            "./private/*": None,
            "./style.css": "./style.css",
            "./package.json": "./package.json",
        },
    },
    **{f"app/node_modules/cond/{f}": JS for f in (
        "browser.js", "node.js", "default.js", "feature.dev.js", "feature.prod.js",
        "utils/a.js", "private/x.js", "not-exported.js")},
    "app/node_modules/cond/style.css": "a{}",
    # main without extension, index fallback, deep imports into folders
    "app/node_modules/legacy/package.json": {"name": "legacy", "version": "0.1.0",
                                              "main": "lib/main"},
    "app/node_modules/legacy/lib/main.js": JS,
    "app/node_modules/legacy/lib/other.js": JS,
    "app/node_modules/legacy/lib/dir/index.js": JS,
    "app/node_modules/noentry/package.json": {"name": "noentry"},
    "app/node_modules/noentry/index.js": JS,
    "app/node_modules/broken/package.json": {"name": "broken", "main": "missing.js"},
    "app/node_modules/modfield/package.json": {"name": "modfield", "main": "cjs.js",
                                                "module": "esm.js"},
    "app/node_modules/modfield/cjs.js": JS,
    "app/node_modules/modfield/esm.js": JS,
    # the browser field, string and object forms
    "app/node_modules/browserstr/package.json": {"name": "browserstr", "main": "node.js",
                                                  "browser": "browser.js"},
    "app/node_modules/browserstr/node.js": JS,
    "app/node_modules/browserstr/browser.js": JS,
    "app/node_modules/browsermap/package.json": {
        "name": "browsermap", "main": "./index.js",
        "browser": {
            "./index.js": "./index.browser.js",
            "./lib/node-only.js": "./lib/browser-only.js",
            "./lib/ignored.js": False,
            "fs": False,
            "other-pkg": "legacy",
        },
    },
    **{f"app/node_modules/browsermap/{f}": JS for f in (
        "index.js", "index.browser.js", "lib/node-only.js", "lib/browser-only.js",
        "lib/ignored.js", "lib/uses.js")},
    # exports with types first, dual packages
    "app/node_modules/dual/package.json": {
        "name": "dual",
        "exports": {".": {"types": "./index.d.ts", "import": "./index.mjs",
                          "require": "./index.cjs"}},
    },
    "app/node_modules/dual/index.mjs": JS,
    "app/node_modules/dual/index.cjs": JS,
    # scoped
    "app/node_modules/@scope/pkg/package.json": {
        "name": "@scope/pkg", "version": "2.0.0",
        "exports": {".": "./index.js", "./sub": "./sub/index.js"}},
    "app/node_modules/@scope/pkg/index.js": JS,
    "app/node_modules/@scope/pkg/sub/index.js": JS,
    # nested node_modules: outer gets its own inner@2
    "app/node_modules/outer/package.json": {"name": "outer", "version": "1.0.0"},
    "app/node_modules/outer/index.js": JS,
    "app/node_modules/outer/node_modules/inner/package.json": {"name": "inner", "version": "2.0.0"},
    "app/node_modules/outer/node_modules/inner/index.js": JS,
    "app/node_modules/inner/package.json": {"name": "inner", "version": "1.0.0"},
    "app/node_modules/inner/index.js": JS,
    # pnpm layout: node_modules/linked -> .pnpm/linked@3.0.0/node_modules/linked
    "app/node_modules/.pnpm/linked@3.0.0/node_modules/linked/package.json": {
        "name": "linked", "version": "3.0.0", "module": "index.js"},
    "app/node_modules/.pnpm/linked@3.0.0/node_modules/linked/index.js": JS,
    "app/node_modules/.pnpm/linkdep@1.0.0/node_modules/linkdep/package.json": {
        "name": "linkdep", "version": "1.0.0"},
    "app/node_modules/.pnpm/linkdep@1.0.0/node_modules/linkdep/index.js": JS,
    "app/node_modules/.pnpm/linked@3.0.0/node_modules/linkdep": Symlink(
        "../../linkdep@1.0.0/node_modules/linkdep"),
    "app/node_modules/linked": Symlink(".pnpm/linked@3.0.0/node_modules/linked"),
    # a linked workspace package is source code, not a dependency
    "packages/ws-lib/package.json": {"name": "ws-lib", "exports": "./src/index.ts"},
    "packages/ws-lib/src/index.ts": JS,
    "app/node_modules/ws-lib": Symlink("../../packages/ws-lib"),
    # self reference
    "app/node_modules/selfref/package.json": {
        "name": "selfref", "exports": {".": "./index.js", "./helper": "./helper.js"}},
    "app/node_modules/selfref/index.js": JS,
    "app/node_modules/selfref/helper.js": JS,
    # optional peer dependency, not installed
    "app/node_modules/haspeer/package.json": {
        "name": "haspeer", "peerDependencies": {"optional-thing": "*", "needed": "*"},
        "peerDependenciesMeta": {"optional-thing": {"optional": True}}},
    "app/node_modules/haspeer/index.js": JS,
    # '#' in a file name (es5-ext)
    "app/node_modules/es5-ext/package.json": {"name": "es5-ext"},
    "app/node_modules/es5-ext/array/#/clear.js": JS,
    # a polyfill package shadowing a builtin
    "app/node_modules/events/package.json": {"name": "events", "main": "events.js"},
    "app/node_modules/events/events.js": JS,
}


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tree(tmp_path_factory.mktemp("node").resolve(), FIXTURE)


@pytest.fixture(scope="module")
def client(tree: Path) -> NodeResolver:
    return NodeResolver(NodeResolveOptions.client(root=posix(tree / "app")))


@pytest.fixture(scope="module")
def ssr(tree: Path) -> NodeResolver:
    return NodeResolver(NodeResolveOptions.ssr(root=posix(tree / "app")))


MAIN = "app/src/main.ts"
IN_BROWSERMAP = "app/node_modules/browsermap/lib/uses.js"
IN_OUTER = "app/node_modules/outer/index.js"
IN_LINKED = "app/node_modules/.pnpm/linked@3.0.0/node_modules/linked/index.js"
IN_SELFREF = "app/node_modules/selfref/index.js"
NM = "app/node_modules/"

# (specifier, importer, client result, ssr result); results are relative to
# the fixture root, None for a miss, "=" for "same as client".
TABLE: list[tuple[str, str | None, str | None, str | None]] = [
    # files
    ("./lib", MAIN, "app/src/lib.ts", "="),
    ("./lib.js", MAIN, "app/src/lib.ts", "="),              # TypeScript's .js -> .ts
    ("./comp.js", MAIN, "app/src/comp.tsx", "="),           # .js -> .tsx
    ("./mod.mjs", MAIN, "app/src/mod.mts", "="),            # .mjs -> .mts
    ("./real.js", MAIN, "app/src/real.js", "="),            # an existing .js wins
    ("./data.json", MAIN, "app/src/data.json", "="),
    ("./data", MAIN, "app/src/data.json", "="),
    ("./dir", MAIN, "app/src/dir/index.js", "="),
    ("./dir/", MAIN, "app/src/dir/index.js", "="),
    ("./a.svg?raw", MAIN, "app/src/a.svg?raw", "="),
    ("./lib?import#x", MAIN, "app/src/lib.ts?import#x", "="),
    ("./missing", MAIN, None, None),
    ("../src/utils", MAIN, "app/src/utils/index.ts", "="),
    ("./sub/x.js", MAIN, "app/src/sub/x.js", "="),
    # #imports from the importer's package.json
    ("#utils", MAIN, "app/src/utils/index.ts", "="),
    ("#internal/a", MAIN, "app/src/internal/a.ts", "="),
    ("#dep", MAIN, NM + "browsermap/index.browser.js", "app/src/dep-node.ts"),
    # exports with conditions
    ("cond", MAIN, NM + "cond/browser.js", NM + "cond/node.js"),
    ("cond/feature", MAIN, NM + "cond/feature.dev.js", "="),
    ("cond/utils/a", MAIN, NM + "cond/utils/a.js", "="),
    ("cond/style.css?inline", MAIN, NM + "cond/style.css?inline", "="),
    ("cond/package.json", MAIN, NM + "cond/package.json", "="),
    ("dual", MAIN, NM + "dual/index.mjs", "="),
    # main/module/browser fields
    ("legacy", MAIN, NM + "legacy/lib/main.js", "="),       # main without extension
    ("legacy/lib/other", MAIN, NM + "legacy/lib/other.js", "="),
    ("legacy/lib/dir", MAIN, NM + "legacy/lib/dir/index.js", "="),
    ("noentry", MAIN, NM + "noentry/index.js", "="),        # index.js fallback
    ("modfield", MAIN, NM + "modfield/esm.js", "="),
    ("browserstr", MAIN, NM + "browserstr/browser.js", NM + "browserstr/node.js"),
    ("browsermap", MAIN, NM + "browsermap/index.browser.js", NM + "browsermap/index.js"),
    ("browsermap/lib/node-only.js", MAIN, NM + "browsermap/lib/browser-only.js",
     NM + "browsermap/lib/node-only.js"),
    ("browsermap/lib/node-only", MAIN, NM + "browsermap/lib/browser-only.js",
     NM + "browsermap/lib/node-only.js"),
    ("browsermap/lib/ignored.js", MAIN, BROWSER_EXTERNAL_ID, NM + "browsermap/lib/ignored.js"),
    # the browser map applies to imports made inside the package too
    ("./node-only.js", IN_BROWSERMAP, NM + "browsermap/lib/browser-only.js",
     NM + "browsermap/lib/node-only.js"),
    ("./ignored", IN_BROWSERMAP, BROWSER_EXTERNAL_ID, NM + "browsermap/lib/ignored.js"),
    ("fs", IN_BROWSERMAP, BROWSER_EXTERNAL_ID, None),
    ("other-pkg", IN_BROWSERMAP, NM + "legacy/lib/main.js", None),
    # scoped packages
    ("@scope/pkg", MAIN, NM + "@scope/pkg/index.js", "="),
    ("@scope/pkg/sub", MAIN, NM + "@scope/pkg/sub/index.js", "="),
    # nested node_modules
    ("inner", MAIN, NM + "inner/index.js", "="),
    ("inner", IN_OUTER, NM + "outer/node_modules/inner/index.js", "="),
    # pnpm: symlinks resolved, dependencies found next to the real folder
    ("linked", MAIN, NM + ".pnpm/linked@3.0.0/node_modules/linked/index.js", "="),
    ("linkdep", IN_LINKED, NM + ".pnpm/linkdep@1.0.0/node_modules/linkdep/index.js", "="),
    ("linkdep", MAIN, None, None),
    ("ws-lib", MAIN, "packages/ws-lib/src/index.ts", "="),
    # self reference
    ("selfref/helper", IN_SELFREF, NM + "selfref/helper.js", "="),
    # '#' in file names inside node_modules
    ("es5-ext/array/#/clear.js", MAIN, NM + "es5-ext/array/#/clear.js", "="),
    # a package shadows a builtin name; node: never does
    ("events", MAIN, NM + "events/events.js", "="),
    ("node:events", MAIN, None, None),
    ("nope", MAIN, None, None),
    ("nope/sub", MAIN, None, None),
    # no importer: from the root
    ("cond", None, NM + "cond/browser.js", NM + "cond/node.js"),
    # queries on the importer are ignored
    ("./lib", MAIN + "?vue&type=script", "app/src/lib.ts", "="),
]


@pytest.mark.parametrize("specifier, importer, expected_client, expected_ssr", TABLE,
                         ids=[f"{r[0]}<-{(r[1] or '').rsplit('/', 1)[-1]}" for r in TABLE])
def test_resolve(tree: Path, client: NodeResolver, ssr: NodeResolver, specifier: str,
                 importer: str | None, expected_client: str | None,
                 expected_ssr: str | None) -> None:
    imp = posix(tree / importer) if importer else None
    if expected_ssr == "=":
        expected_ssr = expected_client
    for resolver, expected in ((client, expected_client), (ssr, expected_ssr)):
        res = resolver.resolve(specifier, imp)
        got = res.id if res else None
        if expected is not None and not expected.startswith("__"):
            expected = posix(tree / expected)
        assert got == expected, f"{'ssr' if resolver is ssr else 'client'}: {specifier}"


def test_resolution_package_info(tree: Path, client: NodeResolver) -> None:
    main = posix(tree / MAIN)
    res = client.resolve("@scope/pkg/sub", main)
    assert res is not None
    assert (res.package_name, res.package_version, res.in_node_modules) == (
        "@scope/pkg", "2.0.0", True)
    assert res.package_dir == posix(tree / NM / "@scope/pkg")
    res = client.resolve("inner", posix(tree / IN_OUTER))
    assert res is not None and res.package_version == "2.0.0"
    res = client.resolve("ws-lib", main)
    assert res is not None and res.in_node_modules is False and res.package_name == "ws-lib"
    res = client.resolve("./lib", main)
    assert res is not None and res.package is None and not res.in_node_modules
    # a relative import inside a dependency knows its package
    res = client.resolve("./other", posix(tree / NM / "legacy/lib/main.js"))
    assert res is not None and res.package_name == "legacy" and res.in_node_modules
    res = client.resolve("es5-ext/array/#/clear.js", main)
    assert res is not None and res.path.endswith("/#/clear.js") and res.postfix == ""
    res = client.resolve("./a.svg?raw", main)
    assert res is not None and (res.path.endswith("/a.svg"), res.postfix) == (True, "?raw")


def test_production_conditions(tree: Path) -> None:
    prod = NodeResolver(NodeResolveOptions.client(production=True, root=posix(tree / "app")))
    assert prod.resolve_path("cond/feature", posix(tree / MAIN)) == posix(
        tree / NM / "cond/feature.prod.js")


def test_require_conditions(tree: Path) -> None:
    req = NodeResolver(NodeResolveOptions.ssr(require=True, root=posix(tree / "app")))
    assert req.resolve_path("dual", posix(tree / MAIN)) == posix(tree / NM / "dual/index.cjs")


def test_custom_extensions(tree: Path) -> None:
    only_js = NodeResolver(NodeResolveOptions(extensions=(".js",), root=posix(tree / "app")))
    assert only_js.resolve_path("./data", posix(tree / MAIN)) is None
    # the TypeScript rewrite does not depend on the extension list
    assert only_js.resolve_path("./lib.js", posix(tree / MAIN)) == posix(tree / "app/src/lib.ts")


def test_preserve_symlinks(tree: Path) -> None:
    keep = NodeResolver(NodeResolveOptions(preserve_symlinks=True, root=posix(tree / "app")))
    assert keep.resolve_path("linked", posix(tree / MAIN)) == posix(tree / NM / "linked/index.js")


def test_dedupe(tree: Path) -> None:
    dedupe = NodeResolver(NodeResolveOptions(dedupe=("inner",), root=posix(tree / "app")))
    got = dedupe.resolve_path("inner", posix(tree / IN_OUTER))
    assert got == posix(tree / NM / "inner/index.js")


def test_optional_peer_dependency(tree: Path, client: NodeResolver) -> None:
    importer = posix(tree / NM / "haspeer/index.js")
    assert client.resolve_path("optional-thing", importer) == (
        "__vite-optional-peer-dep:optional-thing:haspeer")
    assert client.resolve_path("needed", importer) is None
    # from the app itself a missing package is just missing
    assert client.resolve_path("optional-thing", posix(tree / MAIN)) is None


@pytest.mark.parametrize(
    "specifier, error, words",
    [
        ("cond/not-exported.js", PackagePathNotExported,
         ["'./not-exported.js'", "cond/package.json", "main.ts"]),
        ("cond/private/x", PackagePathNotExported, ["'./private/x'", "cond/package.json"]),
        ("broken", PackageEntryError, ['"broken"', "missing.js", "main.ts"]),
        ("#nope", PackageImportNotDefined, ['"#nope"', "app/package.json", "main.ts"]),
    ],
)
def test_errors_name_package_subpath_and_importer(
    tree: Path, client: NodeResolver, specifier: str, error: type[Exception], words: list[str]
) -> None:
    with pytest.raises(error) as info:
        client.resolve(specifier, posix(tree / MAIN))
    for word in words:
        assert word in str(info.value)


def test_hash_specifier_without_imports_field(tree: Path, client: NodeResolver) -> None:
    # The package holding the importer declares no "imports": not an error.
    assert client.resolve("#x", posix(tree / NM / "legacy/lib/main.js")) is None


def test_package_cache_sees_edits(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "node_modules/p/package.json": {"name": "p", "exports": {".": "./a.js"}},
        "node_modules/p/a.js": JS, "node_modules/p/b.js": JS, "src/main.js": JS,
    })
    cache = PackageCache()
    resolver = NodeResolver(NodeResolveOptions(root=posix(tmp_path)), cache=cache)
    importer = posix(tmp_path / "src/main.js")
    assert resolver.resolve_path("p", importer) == posix(tmp_path / "node_modules/p/a.js")
    pkg_json = tmp_path / "node_modules/p/package.json"
    pkg_json.write_text('{"name": "p", "exports": {".": "./b.js", "./a": "./a.js"}}')
    st = pkg_json.stat()
    os.utime(pkg_json, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert resolver.resolve_path("p", importer) == posix(tmp_path / "node_modules/p/b.js")
    assert resolver.resolve_path("p/a", importer) == posix(tmp_path / "node_modules/p/a.js")


def test_malformed_package_json_is_skipped(tmp_path: Path,
                                           caplog: pytest.LogCaptureFixture) -> None:
    write_tree(tmp_path, {"node_modules/bad/package.json": "{nope",
                          "node_modules/bad/index.js": JS})
    resolver = NodeResolver(NodeResolveOptions(root=posix(tmp_path)))
    assert resolver.resolve_path("bad", None) is None
    assert "not valid JSON" in caplog.text


@pytest.mark.parametrize(
    "specifier, expected",
    [("react", "react"), ("react-dom/client", "react-dom"), ("@s/p", "@s/p"),
     ("@s/p/x/y", "@s/p"), ("normalize.css?inline", "normalize.css"), ("p/x?raw", "p")],
)
def test_package_name_of(specifier: str, expected: str) -> None:
    assert package_name_of(specifier) == expected


@pytest.mark.parametrize(
    "id, expected",
    [("/a.js", ("/a.js", "")), ("/a.svg?raw", ("/a.svg", "?raw")),
     ("/a.js#h", ("/a.js", "#h")), ("/a?x#y", ("/a", "?x#y"))],
)
def test_split_postfix(id: str, expected: tuple[str, str]) -> None:
    assert split_postfix(id) == expected


@pytest.mark.parametrize(
    "conditions, production, require, expected",
    [
        (("module", "browser", "development|production"), False, False,
         ("module", "browser", "development", "import")),
        (("module", "node", "development|production"), True, False,
         ("module", "node", "production", "import")),
        (("node",), False, True, ("node", "require")),
    ],
)
def test_resolve_conditions(conditions: tuple[str, ...], production: bool, require: bool,
                            expected: tuple[str, ...]) -> None:
    assert resolve_conditions(conditions, production=production, require=require) == expected


@pytest.mark.parametrize(
    "request_path, mapping, expected",
    [
        ("./index.js", {"./index.js": "./b.js"}, "./b.js"),
        ("./index", {"./index.js": "./b.js"}, "./b.js"),       # key may add .js
        ("./lib", {"./lib/index.js": "./b.js"}, "./b.js"),     # or /index.js
        ("lib/x.js", {"./lib/x.js": "./y.js"}, "./y.js"),      # normalised
        ("fs", {"fs": False}, False),
        ("./other.js", {"./index.js": "./b.js"}, None),
    ],
)
def test_map_with_browser_field(request_path: str, mapping: dict[str, t.Any],
                                expected: t.Any) -> None:
    assert map_with_browser_field(request_path, mapping) == expected


@pytest.mark.parametrize("name, expected", [
    ("fs", True), ("node:fs", True), ("fs/promises", True), ("node:test", True),
    ("bun:sqlite", True), ("react", False), ("fsevents", False), ("test", False),
])
def test_is_node_builtin(name: str, expected: bool) -> None:
    assert is_node_builtin(name) is expected


def test_resolution_is_fast(tree: Path, client: NodeResolver) -> None:
    # A guard against accidental quadratic walks: 300 bare resolutions.
    importer = posix(tree / MAIN)
    start = time.perf_counter()
    for _ in range(100):
        client.resolve("cond", importer)
        client.resolve("@scope/pkg/sub", importer)
        client.resolve("./lib.js", importer)
    assert time.perf_counter() - start < 2.0
