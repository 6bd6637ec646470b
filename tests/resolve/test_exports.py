"""``exports``/``imports`` resolution tables (Node's algorithm, Vite's conditions)."""
from __future__ import annotations

import functools
import typing as t

import pytest

from flask_vite.resolve.errors import (
    InvalidModuleSpecifier,
    InvalidPackageConfig,
    InvalidPackageTarget,
    PackageImportNotDefined,
    PackagePathNotExported,
    ResolveError,
)
from flask_vite.resolve.exports import pattern_key_compare, resolve_exports, resolve_imports

CLIENT = {"import", "module", "browser", "development"}
SSR = {"import", "module", "node", "development"}
PROD_CLIENT = {"import", "module", "browser", "production"}
REQUIRE = {"require", "node"}

CONDITIONAL = {
    ".": {"import": "./esm/index.js", "require": "./cjs/index.js"},
}
REACT_DOM_SERVER = {
    "./server": {
        "react-server": "./server.react-server.js",
        "workerd": "./server.edge.js",
        "deno": "./server.browser.js",
        "worker": "./server.browser.js",
        "node": "./server.node.js",
        "edge-light": "./server.edge.js",
        "browser": "./server.browser.js",
        "default": "./server.node.js",
    },
}
PATTERNS = {
    ".": "./index.js",
    "./*": "./dist/*.js",
    "./features/*": "./src/features/*.js",
    "./features/*.js": "./src/features/*.js",
    "./features/private/*": None,
    "./features/*/internal": None,
    "./css/*.css": "./styles/*.css",
    "./utils/*": {"browser": "./utils/*.browser.js", "default": "./utils/*.node.js"},
    "./many/*": ["./a/*.js", "./b/*.js"],
    "./legacy/": "./lib/legacy/",
    "./package.json": "./package.json",
}

EXPORTS_TABLE: list[tuple[str, t.Any, str, t.AbstractSet[str], str]] = [
    # (why, exports, subpath, conditions, expected)
    ("string sugar is the main export", "./main.js", ".", CLIENT, "./main.js"),
    ("array sugar: first valid entry", ["./a.js", "./b.js"], ".", CLIENT, "./a.js"),
    ("top condition object is sugar for '.'",
     {"import": "./m.mjs", "default": "./c.cjs"}, ".", CLIENT, "./m.mjs"),
    ("'.' key", {".": "./index.js"}, ".", CLIENT, "./index.js"),
    ("import beats require by key order", CONDITIONAL, ".", CLIENT, "./esm/index.js"),
    ("require when requiring", CONDITIONAL, ".", REQUIRE, "./cjs/index.js"),
    ("key order decides, not condition order",
     {".": {"default": "./d.js", "import": "./i.js"}}, ".", CLIENT, "./d.js"),
    ("first active key wins",
     {".": {"node": "./n.js", "browser": "./b.js", "import": "./i.js"}}, ".", CLIENT, "./b.js"),
    ("same map, ssr", {".": {"node": "./n.js", "browser": "./b.js"}}, ".", SSR, "./n.js"),
    ("default as fallback", {".": {"worker": "./w.js", "default": "./d.js"}}, ".", CLIENT,
     "./d.js"),
    ("nested conditions",
     {".": {"browser": {"development": "./b.dev.js", "production": "./b.prod.js"}}},
     ".", PROD_CLIENT, "./b.prod.js"),
    ("nested branch without match falls through to next key",
     {".": {"browser": {"worker": "./w.js"}, "default": "./d.js"}}, ".", CLIENT, "./d.js"),
    ("react-dom/server on the client", REACT_DOM_SERVER, "./server", CLIENT, "./server.browser.js"),
    ("react-dom/server in ssr", REACT_DOM_SERVER, "./server", SSR, "./server.node.js"),
    ("react-dom/server with neither", REACT_DOM_SERVER, "./server", {"import"}, "./server.node.js"),
    ("types-only first key skipped",
     {".": {"types": "./index.d.ts", "import": "./index.mjs"}}, ".", CLIENT, "./index.mjs"),
    ("exact subpath", {"./x": "./lib/x.js"}, "./x", CLIENT, "./lib/x.js"),
    ("subpath given without ./", {"./x": "./lib/x.js"}, "x", CLIENT, "./lib/x.js"),
    ("package.json export", PATTERNS, "./package.json", CLIENT, "./package.json"),
    ("broad pattern", PATTERNS, "./thing", CLIENT, "./dist/thing.js"),
    ("pattern match may hold slashes", PATTERNS, "./deep/er/thing", CLIENT,
     "./dist/deep/er/thing.js"),
    ("longer prefix beats shorter", PATTERNS, "./features/x", CLIENT, "./src/features/x.js"),
    ("same prefix: longer key (with trailer) wins", PATTERNS, "./features/x.js", CLIENT,
     "./src/features/x.js"),
    ("pattern with trailer", PATTERNS, "./css/base.css", CLIENT, "./styles/base.css"),
    ("trailer mismatch falls to a broader pattern", PATTERNS, "./css/base.scss", CLIENT,
     "./dist/css/base.scss.js"),
    ("conditional pattern, browser", PATTERNS, "./utils/fmt", CLIENT, "./utils/fmt.browser.js"),
    ("conditional pattern, ssr", PATTERNS, "./utils/fmt", SSR, "./utils/fmt.node.js"),
    ("every * in the target is replaced",
     {"./*": "./*/*.js"}, "./a", CLIENT, "./a/a.js"),
    ("array fallback in pattern", PATTERNS, "./many/q", CLIENT, "./a/q.js"),
    ("array skips invalid target", {".": ["node:fs", "./shim.js"]}, ".", CLIENT, "./shim.js"),
    ("array skips unmatched conditions",
     {".": [{"worker": "./w.js"}, "./fallback.js"]}, ".", CLIENT, "./fallback.js"),
    ("array skips null", {".": [None, "./x.js"]}, ".", CLIENT, "./x.js"),
    ("legacy folder mapping", PATTERNS, "./legacy/a/b.js", CLIENT, "./lib/legacy/a/b.js"),
    ("folder key more specific than './*'",
     {"./*": "./x/*", "./lib/": "./lib/"}, "./lib/m.js", CLIENT, "./lib/m.js"),
    ("pattern key with more than one * only matches literally",
     {"./a*b*": "./lit.js", "./*": "./any/*"}, "./a1b2", CLIENT, "./any/a1b2"),
    ("exact key beats pattern", {"./x": "./exact.js", "./*": "./p/*.js"}, "./x", CLIENT,
     "./exact.js"),
    ("production condition", {".": {"production": "./p.js", "development": "./d.js"}}, ".",
     PROD_CLIENT, "./p.js"),
    ("module condition (bundlers)", {".": {"module": "./m.js", "import": "./i.mjs"}}, ".", CLIENT,
     "./m.js"),
    ("empty segment only deprecated", {"./x": "./a//b.js"}, "./x", CLIENT, "./a//b.js"),
]


@pytest.mark.parametrize(
    "exports, subpath, conditions, expected",
    [row[1:] for row in EXPORTS_TABLE],
    ids=[row[0] for row in EXPORTS_TABLE],
)
def test_resolve_exports(exports: t.Any, subpath: str, conditions: t.AbstractSet[str],
                         expected: str) -> None:
    assert resolve_exports(exports, subpath, conditions) == expected


EXPORTS_ERRORS: list[tuple[str, t.Any, str, t.AbstractSet[str], type[ResolveError]]] = [
    ("subpath not listed", {".": "./i.js"}, "./x", CLIENT, PackagePathNotExported),
    ("string exports only define '.'", "./i.js", "./x", CLIENT, PackagePathNotExported),
    ("null target", {"./x": None}, "./x", CLIENT, PackagePathNotExported),
    ("null pattern overrides broader one", PATTERNS, "./features/private/a", CLIENT,
     PackagePathNotExported),
    ("null pattern with trailer", PATTERNS, "./features/a/internal", CLIENT,
     PackagePathNotExported),
    ("no condition matches", CONDITIONAL, ".", {"browser"}, PackagePathNotExported),
    ("no '.' key", {"./x": "./x.js"}, ".", CLIENT, PackagePathNotExported),
    ("empty exports", {}, ".", CLIENT, PackagePathNotExported),
    ("mixed keys", {".": "./a.js", "import": "./b.js"}, ".", CLIENT, InvalidPackageConfig),
    ("numeric condition key", {".": {"0": "./a.js"}}, ".", CLIENT, InvalidPackageConfig),
    ("target without ./", {".": "index.js"}, ".", CLIENT, InvalidPackageTarget),
    ("target escaping the package", {"./x": "./../other/x.js"}, "./x", CLIENT,
     InvalidPackageTarget),
    ("target into node_modules", {"./x": "./node_modules/y/x.js"}, "./x", CLIENT,
     InvalidPackageTarget),
    ("absolute target", {"./x": "/etc/passwd"}, "./x", CLIENT, InvalidPackageTarget),
    ("URL target", {"./x": "https://e.com/x.js"}, "./x", CLIENT, InvalidPackageTarget),
    ("array of only invalid targets", {".": ["index.js", "node:fs"]}, ".", CLIENT,
     InvalidPackageTarget),
    ("pattern match climbing out", {"./*": "./dist/*"}, "./a/../../secret", CLIENT,
     InvalidModuleSpecifier),
    ("percent-encoded '..' in match", {"./*": "./dist/*"}, "./%2e%2e/x", CLIENT,
     InvalidModuleSpecifier),
    ("pattern base alone does not match", {"./x/*": "./y/*"}, "./x/", CLIENT,
     PackagePathNotExported),
    ("number as target", {".": 3}, ".", CLIENT, InvalidPackageTarget),
]


@pytest.mark.parametrize(
    "exports, subpath, conditions, error",
    [row[1:] for row in EXPORTS_ERRORS],
    ids=[row[0] for row in EXPORTS_ERRORS],
)
def test_resolve_exports_errors(exports: t.Any, subpath: str, conditions: t.AbstractSet[str],
                                error: type[ResolveError]) -> None:
    with pytest.raises(error) as info:
        resolve_exports(exports, subpath, conditions, package_json="/n/pkg/package.json",
                        importer="/app/src/main.ts")
    assert "/n/pkg/package.json" in str(info.value)


def test_not_exported_message_names_package_subpath_and_importer() -> None:
    with pytest.raises(PackagePathNotExported) as info:
        resolve_exports({".": "./i.js"}, "./x", CLIENT,
                        package_json="/app/node_modules/pkg/package.json",
                        importer="/app/src/main.ts")
    assert str(info.value) == (
        "Package subpath './x' is not defined by \"exports\" in"
        " /app/node_modules/pkg/package.json imported from /app/src/main.ts"
    )
    assert info.value.code == "ERR_PACKAGE_PATH_NOT_EXPORTED"


def test_condition_mismatch_names_offered_conditions() -> None:
    with pytest.raises(PackagePathNotExported) as info:
        resolve_exports({".": {"require": "./c.js", "worker": "./w.js"}}, ".", CLIENT,
                        package_json="/p/package.json")
    message = str(info.value)
    assert message.startswith('No "exports" main defined in /p/package.json')
    assert '"require", "worker"' in message and '"browser"' in message


IMPORTS = {
    "#dep": {"node": "dep-node-native", "default": "./dep-polyfill.js"},
    "#internal/*": "./src/internal/*.js",
    "#internal/secret/*": None,
    "#utils": "./src/utils/index.ts",
    "#fs": "fs",
    "#scoped": "@scope/pkg/sub",
    "#cond": {"browser": {"production": "./b.prod.js", "default": "./b.js"}, "default": "./n.js"},
    "#arr": ["./missing-condition-skip.js"],
}

IMPORTS_TABLE: list[tuple[str, str, t.AbstractSet[str], str]] = [
    ("condition to a package (ssr)", "#dep", SSR, "dep-node-native"),
    ("condition to a file (client)", "#dep", CLIENT, "./dep-polyfill.js"),
    ("pattern", "#internal/a/b", CLIENT, "./src/internal/a/b.js"),
    ("exact", "#utils", CLIENT, "./src/utils/index.ts"),
    ("builtin target", "#fs", SSR, "fs"),
    ("scoped package target", "#scoped", CLIENT, "@scope/pkg/sub"),
    ("nested conditions", "#cond", PROD_CLIENT, "./b.prod.js"),
    ("nested default", "#cond", CLIENT, "./b.js"),
    ("array", "#arr", CLIENT, "./missing-condition-skip.js"),
]


@pytest.mark.parametrize(
    "specifier, conditions, expected",
    [row[1:] for row in IMPORTS_TABLE],
    ids=[row[0] for row in IMPORTS_TABLE],
)
def test_resolve_imports(specifier: str, conditions: t.AbstractSet[str], expected: str) -> None:
    assert resolve_imports(IMPORTS, specifier, conditions) == expected


@pytest.mark.parametrize(
    "imports, specifier, error",
    [
        (IMPORTS, "#nope", PackageImportNotDefined),
        (IMPORTS, "#internal/secret/x", PackageImportNotDefined),
        (IMPORTS, "#", InvalidModuleSpecifier),
        (IMPORTS, "#/x", InvalidModuleSpecifier),
        ({"#x": "../outside.js"}, "#x", InvalidPackageTarget),
        ({"#x": "/abs.js"}, "#x", InvalidPackageTarget),
        (None, "#x", PackageImportNotDefined),
    ],
)
def test_resolve_imports_errors(imports: t.Any, specifier: str, error: type[ResolveError]) -> None:
    with pytest.raises(error) as info:
        resolve_imports(imports, specifier, CLIENT, package_json="/app/package.json",
                        importer="/app/src/a.ts")
    assert "/app/package.json" in str(info.value)


def test_imports_message() -> None:
    with pytest.raises(PackageImportNotDefined) as info:
        resolve_imports(IMPORTS, "#nope", CLIENT, package_json="/app/package.json",
                        importer="/app/src/a.ts")
    assert str(info.value).startswith(
        'Package import specifier "#nope" is not defined in package /app/package.json'
        " imported from /app/src/a.ts")


@pytest.mark.parametrize(
    "keys, expected",
    [
        (["./*", "./a/*", "./a/b/*"], ["./a/b/*", "./a/*", "./*"]),
        (["./a/*", "./a/*.js"], ["./a/*.js", "./a/*"]),
        (["./*.js", "./a*"], ["./a*", "./*.js"]),
        (["./a/", "./a/*"], ["./a/*", "./a/"]),  # the base includes the "*"
        (["./ab", "./a*"], ["./a*", "./ab"]),  # same base length: the pattern first
        (["./x/*", "./lib/"], ["./lib/", "./x/*"]),
    ],
)
def test_pattern_key_order(keys: list[str], expected: list[str]) -> None:
    assert sorted(keys, key=functools.cmp_to_key(pattern_key_compare)) == expected
