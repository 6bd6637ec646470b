"""tsconfig.json: JSONC, extends chains, solution references, paths, esbuild options."""
from __future__ import annotations

import os
import typing as t
from pathlib import Path

import pytest

from flask_vite.resolve.errors import TsconfigError
from flask_vite.resolve.tsconfig import (
    NO_TSCONFIG,
    TsconfigCache,
    TsconfigResult,
    esbuild_tsconfig_raw,
    parse_jsonc,
    paths_candidates,
    tsconfig_raw_for,
)

from .helpers import posix, write_tree


@pytest.mark.parametrize(
    "text, expected",
    [
        ('{"a": 1}', {"a": 1}),
        ('{"a": 1,}', {"a": 1}),
        ('{"a": [1, 2,],}', {"a": [1, 2]}),
        ('// c\n{"a": 1}', {"a": 1}),
        ('{"a": /* x */ 1}', {"a": 1}),
        ('{"a": 1 /* multi\nline */}', {"a": 1}),
        ('{"url": "http://x//y"}', {"url": "http://x//y"}),
        ('{"s": "/* not a comment */"}', {"s": "/* not a comment */"}),
        ('{"s": "a,}"}', {"s": "a,}"}),
        ('{"s": "quote \\" // still string"}', {"s": 'quote " // still string'}),
        ('\ufeff{"bom": true}', {"bom": True}),
        ('{"a": 1, // trailing comment\n}', {"a": 1}),
        ('{"a": [1, /* c */ ]}', {"a": [1]}),
    ],
)
def test_parse_jsonc(text: str, expected: t.Any) -> None:
    assert parse_jsonc(text) == expected


@pytest.mark.parametrize("text", ['{"a": }', '{"a": 1 /* open', "[1,,]"])
def test_parse_jsonc_errors(text: str) -> None:
    with pytest.raises(ValueError):
        parse_jsonc(text)


BASE_JSONC = """{
  // shared by every app of the monorepo
  "compilerOptions": {
    "target": "ES2020",
    "jsx": "react-jsx",
    "baseUrl": "./shared-src", /* relative to this file */
    "paths": {"@shared/*": ["./*"],},
    "experimentalDecorators": true,
  },
  "include": ["src"],
}
"""

FIXTURE: dict[str, t.Any] = {
    "repo/tsconfig.base.json": BASE_JSONC,
    "repo/shared-src/x.ts": "",
    "repo/node_modules/@tsconfig/strictest/package.json": {"name": "@tsconfig/strictest"},
    "repo/node_modules/@tsconfig/strictest/tsconfig.json": {
        "compilerOptions": {"strict": True, "useDefineForClassFields": True, "target": "ES2015"}},
    "repo/node_modules/cfgpkg/package.json": {"name": "cfgpkg", "tsconfig": "./configs/main.json"},
    "repo/node_modules/cfgpkg/configs/main.json": {
        "compilerOptions": {"jsxImportSource": "preact"}},
    "repo/node_modules/cfgpkg/configs/vue.json": {"compilerOptions": {"jsx": "preserve"}},
    # app: extends a relative file and a package (array form, later wins)
    "repo/app/tsconfig.json": """{
      "extends": ["@tsconfig/strictest", "../tsconfig.base.json"],
      "compilerOptions": {
        "jsxImportSource": "@emotion/react", // override
        "paths": {"@/*": ["./src/*"], "~lib": ["./src/lib/index.ts"]},
      },
    }""",
    "repo/app/src/main.tsx": "",
    "repo/app/src/lib/index.ts": "",
    "repo/app/src/components/Button.tsx": "",
    # solution style: tsconfig.json only references, the file belongs to tsconfig.app.json
    "repo/sol/tsconfig.json": {"files": [], "references": [
        {"path": "./tsconfig.node.json"}, {"path": "./tsconfig.app.json"}]},
    "repo/sol/tsconfig.app.json": {
        "extends": "./tsconfig.shared.json",
        "compilerOptions": {"jsx": "react-jsx", "target": "ES2022"},
        "include": ["src"]},
    "repo/sol/tsconfig.shared.json": {"compilerOptions": {"useDefineForClassFields": True}},
    "repo/sol/tsconfig.node.json": {"compilerOptions": {"target": "ES2023"},
                                    "include": ["vite.config.ts"]},
    "repo/sol/src/main.tsx": "",
    "repo/sol/vite.config.ts": "",
    "repo/sol/other/stray.ts": "",
    # package extends with a subpath and a bare package with a "tsconfig" field
    "repo/pkgext/tsconfig.json": {"extends": "cfgpkg/configs/vue", "compilerOptions": {}},
    "repo/pkgext/a.ts": "",
    "repo/pkgfield/tsconfig.json": {"extends": "cfgpkg"},
    "repo/pkgfield/a.ts": "",
    # ${configDir}: paths relative to the config in use, not the one that wrote them
    "repo/templates/base.json": {"compilerOptions": {"baseUrl": "${configDir}/src",
                                                     "paths": {"#/*": ["./*"]}}},
    "repo/cfgdir/tsconfig.json": {"extends": "../templates/base.json"},
    "repo/cfgdir/src/a.ts": "",
    # errors
    "repo/circ/tsconfig.json": {"extends": "./a.json"},
    "repo/circ/a.json": {"extends": "./tsconfig.json"},
    "repo/circ/x.ts": "",
    "repo/missing/tsconfig.json": {"extends": "./nope.json"},
    "repo/missing/x.ts": "",
    "repo/badjson/tsconfig.json": "{ nope",
    "repo/badjson/x.ts": "",
    # extends "." resolves to ./tsconfig.json of the folder
    "repo/dot/tsconfig.json": {"compilerOptions": {"target": "ES2019"}},
    "repo/dot/sub/tsconfig.json": {"extends": ".."},
    "repo/dot/sub/x.ts": "",
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tree(tmp_path_factory.mktemp("ts").resolve(), FIXTURE) / "repo"


@pytest.fixture
def cache() -> TsconfigCache:
    return TsconfigCache()


def test_extends_chain_merges_options(repo: Path, cache: TsconfigCache) -> None:
    ts = cache.for_file(posix(repo / "app/src/main.tsx"))
    assert ts.file == posix(repo / "app/tsconfig.json")
    opts = ts.compiler_options
    # the later entry of the extends array wins over the earlier one
    assert opts["target"] == "ES2020"
    assert opts["strict"] is True and opts["useDefineForClassFields"] is True
    assert opts["jsx"] == "react-jsx" and opts["experimentalDecorators"] is True
    assert opts["jsxImportSource"] == "@emotion/react"
    # baseUrl from the base file stays relative to that file
    assert ts.base_url == posix(repo / "shared-src")
    # include inherited from the base, relative to where it was written
    assert ts.include == (posix(repo / "src"),)
    assert set(ts.sources) == {posix(repo / "app/tsconfig.json"),
                               posix(repo / "tsconfig.base.json"),
                               posix(repo / "node_modules/@tsconfig/strictest/tsconfig.json")}


def test_paths_with_inherited_base_url(repo: Path, cache: TsconfigCache) -> None:
    ts = cache.for_file(posix(repo / "app/src/main.tsx"))
    # the app's own paths replace the base's; with a baseUrl they are relative to it
    assert ts.paths_base == posix(repo / "shared-src")
    assert paths_candidates(ts, "@/components/Button") == [
        posix(repo / "shared-src/src/components/Button")]


def test_solution_references(repo: Path, cache: TsconfigCache) -> None:
    app = cache.for_file(posix(repo / "sol/src/main.tsx"))
    assert app.file == posix(repo / "sol/tsconfig.app.json")
    assert app.compiler_options == {"useDefineForClassFields": True, "jsx": "react-jsx",
                                    "target": "ES2022"}
    assert posix(repo / "sol/tsconfig.json") in app.sources
    node = cache.for_file(posix(repo / "sol/vite.config.ts"))
    assert node.file == posix(repo / "sol/tsconfig.node.json")
    # a file no project includes keeps the solution config itself
    stray = cache.for_file(posix(repo / "sol/other/stray.ts"))
    assert stray.file == posix(repo / "sol/tsconfig.json")


@pytest.mark.parametrize(
    "folder, key, value",
    [("pkgext", "jsx", "preserve"), ("pkgfield", "jsxImportSource", "preact"),
     ("dot/sub", "target", "ES2019")],
)
def test_extends_packages_and_dot(repo: Path, cache: TsconfigCache, folder: str, key: str,
                                  value: str) -> None:
    file = next(p for p in (repo / folder).iterdir() if p.suffix == ".ts")
    assert cache.for_file(posix(file)).compiler_options[key] == value


def test_config_dir_template(repo: Path, cache: TsconfigCache) -> None:
    ts = cache.for_file(posix(repo / "cfgdir/src/a.ts"))
    assert ts.base_url == posix(repo / "cfgdir/src")
    assert paths_candidates(ts, "#/a") == [posix(repo / "cfgdir/src/a")]


@pytest.mark.parametrize(
    "folder, words",
    [("circ", ["Circular", "circ/tsconfig.json", "circ/a.json"]),
     ("missing", ['"./nope.json"', "missing/tsconfig.json"]),
     ("badjson", ["badjson/tsconfig.json", "not valid JSON"])],
)
def test_errors_name_the_file(repo: Path, cache: TsconfigCache, folder: str,
                              words: list[str]) -> None:
    with pytest.raises(TsconfigError) as info:
        cache.for_file(posix(repo / folder / "x.ts"))
    for word in words:
        assert word in str(info.value)


def test_no_tsconfig(tmp_path: Path, cache: TsconfigCache) -> None:
    (tmp_path / "a.ts").write_text("")
    # tmp_path may sit under a folder with a tsconfig.json of its own; only
    # assert on node_modules, which never reads one
    assert cache.for_file(posix(tmp_path / "node_modules/x/a.ts")) is NO_TSCONFIG


def test_cache_sees_edits_in_the_chain(tmp_path: Path) -> None:
    write_tree(tmp_path, {"base.json": {"compilerOptions": {"target": "ES2019"}},
                          "tsconfig.json": {"extends": "./base.json"}, "a.ts": ""})
    cache = TsconfigCache()
    assert cache.for_file(posix(tmp_path / "a.ts")).compiler_options["target"] == "ES2019"
    base = tmp_path / "base.json"
    base.write_text('{"compilerOptions": {"target": "ES2022"}}')
    st = base.stat()
    os.utime(base, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert cache.for_file(posix(tmp_path / "a.ts")).compiler_options["target"] == "ES2022"


def _result(paths: dict[str, list[str]], base_url: str | None = None) -> TsconfigResult:
    options: dict[str, t.Any] = {"paths": paths}
    if base_url:
        options["baseUrl"] = base_url
    return TsconfigResult(file="/p/tsconfig.json", compiler_options=options,
                          paths_base=base_url or "/p")


@pytest.mark.parametrize(
    "paths, base_url, specifier, expected",
    [
        ({"@/*": ["./src/*"]}, None, "@/a/b", ["/p/src/a/b"]),
        ({"@/*": ["./src/*", "./gen/*"]}, None, "@/a", ["/p/src/a", "/p/gen/a"]),
        # the longest prefix wins
        ({"*": ["./types/*"], "@app/*": ["./app/*"]}, None, "@app/x", ["/p/app/x"]),
        ({"~lib": ["./lib/index.ts"], "~*": ["./other/*"]}, None, "~lib", ["/p/lib/index.ts"]),
        ({"@/*": ["./src/*"]}, None, "react", []),
        ({"@/*": ["./src/*"]}, "/p/base", "react", ["/p/base/react"]),  # baseUrl fallback
        ({"@/*": ["src/*"]}, "/p/base", "@/x", ["/p/base/src/x"]),
        ({"*.css": ["./styles/*.css"]}, None, "a.css", ["/p/styles/a.css"]),
    ],
)
def test_paths_candidates(paths: dict[str, list[str]], base_url: str | None, specifier: str,
                          expected: list[str]) -> None:
    assert paths_candidates(_result(paths, base_url), specifier) == expected


@pytest.mark.parametrize(
    "options, overrides, expected",
    [
        ({}, None, {"useDefineForClassFields": False}),
        ({"target": "ES2022"}, None, {"target": "ES2022"}),
        ({"useDefineForClassFields": True}, None, {"useDefineForClassFields": True}),
        ({"jsx": "react-jsx", "jsxImportSource": "preact", "strict": True, "paths": {}}, None,
         {"jsx": "react-jsx", "jsxImportSource": "preact", "useDefineForClassFields": False}),
        ({"verbatimModuleSyntax": True, "target": "ES2020", "experimentalDecorators": True,
          "importsNotUsedAsValues": "remove", "preserveValueImports": False,
          "jsxFactory": "h", "jsxFragmentFactory": "Fragment"}, None,
         {"verbatimModuleSyntax": True, "target": "ES2020", "experimentalDecorators": True,
          "importsNotUsedAsValues": "remove", "preserveValueImports": False,
          "jsxFactory": "h", "jsxFragmentFactory": "Fragment"}),
        ({"jsx": "preserve", "target": "ES5"}, {"jsx": None, "target": "ES2022"},
         {"target": "ES2022"}),
    ],
)
def test_esbuild_tsconfig_raw(options: dict[str, t.Any], overrides: dict[str, t.Any] | None,
                              expected: dict[str, t.Any]) -> None:
    assert esbuild_tsconfig_raw(options, overrides) == {"compilerOptions": expected}


def test_tsconfig_raw_for(repo: Path, cache: TsconfigCache) -> None:
    raw = tsconfig_raw_for(posix(repo / "sol/src/main.tsx") + "?t=123", cache=cache)
    assert raw == {"compilerOptions": {"useDefineForClassFields": True, "jsx": "react-jsx",
                                       "target": "ES2022"}}
    assert tsconfig_raw_for(posix(repo / "sol/src/main.jsx"), cache=cache) == {}


@pytest.mark.parametrize(
    "include, exclude, files, allow_js, filename, expected",
    [
        (["src"], None, None, False, "/p/src/a/b.ts", True),
        (["src"], None, None, False, "/p/src/a/b.js", False),
        (["src"], None, None, True, "/p/src/a/b.js", True),
        (["src/**/*.tsx"], None, None, False, "/p/src/x/y.tsx", True),
        (["src/**/*.tsx"], None, None, False, "/p/src/y.tsx", True),
        (["src/*.ts"], None, None, False, "/p/src/x/y.ts", False),
        (["src"], ["src/**/*.test.ts"], None, False, "/p/src/a.test.ts", False),
        (None, None, None, False, "/p/anything/x.ts", True),
        (None, None, ["main.ts"], False, "/p/main.ts", True),
        (None, None, ["main.ts"], False, "/p/other.ts", False),
        (["src/?.ts"], None, None, False, "/p/src/a.ts", True),
    ],
)
def test_includes(include: list[str] | None, exclude: list[str] | None, files: list[str] | None,
                  allow_js: bool, filename: str, expected: bool) -> None:
    def absolute(items: list[str] | None) -> tuple[str, ...] | None:
        return None if items is None else tuple("/p/" + i for i in items)

    result = TsconfigResult(file="/p/tsconfig.json", compiler_options={"allowJs": allow_js},
                            include=absolute(include), exclude=absolute(exclude),
                            files=absolute(files))
    assert result.includes(filename) is expected
