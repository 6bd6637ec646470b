from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from flask_vite.glob_match import GlobPattern, common_base, expand_braces, matcher, walk
from flask_vite.js_literals import UNDEFINED, NotLiteral, parse_literal, strip_literals
from flask_vite.plugin import Plugin, ResolvedId
from flask_vite.plugins.glob import GlobRecord, ImportGlobError, ImportGlobPlugin, stringify_query


# -- picomatch semantics -------------------------------------------------------------
@pytest.mark.parametrize(
    ("pattern", "path", "dot", "expected"),
    [
        ("/r/*.ts", "/r/a.ts", False, True),
        ("/r/*.ts", "/r/sub/a.ts", False, False),
        ("/r/**/*.ts", "/r/a.ts", False, True),  # ** matches zero folders
        ("/r/**/*.ts", "/r/x/y/z/a.ts", False, True),
        ("/r/**/*.ts", "/r/x/a.tsx", False, False),
        ("/r/*.ts", "/r/.a.ts", False, False),  # no dotfiles…
        ("/r/*.ts", "/r/.a.ts", True, True),  # …unless dot
        ("/r/**/*.ts", "/r/.git/a.ts", False, False),  # ** skips dot folders
        ("/r/**/*.ts", "/r/.git/a.ts", True, True),
        ("/r/.storybook/*.ts", "/r/.storybook/a.ts", False, True),  # a literal dot is fine
        ("/r/?.ts", "/r/a.ts", False, True),
        ("/r/?.ts", "/r/ab.ts", False, False),
        ("/r/[ab].ts", "/r/b.ts", False, True),
        ("/r/[!ab].ts", "/r/b.ts", False, False),
        ("/r/[!ab].ts", "/r/c.ts", False, True),
        ("/r/[a-c]x.ts", "/r/bx.ts", False, True),
        ("/r/*.{ts,js}", "/r/a.js", False, True),
        ("/r/{a,b/c}/x.ts", "/r/b/c/x.ts", False, True),
        ("/r/{a,{b,c}}.ts", "/r/c.ts", False, True),
        ("/r/{a}.ts", "/r/{a}.ts", False, True),  # one alternative is a literal
        ("/r/\\*.ts", "/r/*.ts", False, True),
        ("/r/\\*.ts", "/r/a.ts", False, False),
        ("/r/a**b.ts", "/r/axxb.ts", False, True),  # ** inside a segment is *
        ("/r/dir/**", "/r/dir/a/b.ts", False, True),
        ("/r/+(a|b).ts", "/r/a.ts", False, False),  # no extglobs
        ("/r/+(a|b).ts", "/r/+(a|b).ts", False, True),
    ],
)
def test_glob_match(pattern: str, path: str, dot: bool, expected: bool) -> None:
    assert any(GlobPattern.compile(p, dot=dot).match(path) for p in expand_braces(pattern)) \
        is expected


@pytest.mark.parametrize(
    ("pattern", "expanded"),
    [
        ("a/*.ts", ["a/*.ts"]),
        ("a/{b,c}", ["a/b", "a/c"]),
        ("{a,b}/{c,d}", ["a/c", "a/d", "b/c", "b/d"]),
        ("a{b,{c,d}e}", ["ab", "ace", "ade"]),
        ("a/\\{b,c}", ["a/\\{b,c}"]),
        ("a{b", ["a\\{b"]),
    ],
)
def test_expand_braces(pattern: str, expanded: list[str]) -> None:
    assert expand_braces(pattern) == expanded


@pytest.mark.parametrize(
    ("patterns", "base"),
    [
        (["/r/src/*.ts"], "/r/src"),
        (["/r/src/a/*.ts", "/r/src/b/**/x.ts"], "/r/src"),
        (["/r/src/a.ts"], "/r/src"),
        (["/r/src/a/*.ts", "!/r/x/*.ts"], "/r/src/a"),
        (["/r/{a,b}/*.ts"], "/r"),
        (["!/r/x"], None),
    ],
)
def test_common_base(patterns: list[str], base: str | None) -> None:
    assert common_base(patterns) == base


def test_matcher_negation_and_node_modules() -> None:
    m = matcher(["/r/src/**/*.ts", "!/r/src/skip/**"], base="/r/src")
    assert m("/r/src/a/b.ts")
    assert not m("/r/src/skip/b.ts")
    assert not m("/r/src/node_modules/x/b.ts")
    assert not m("/r/src/a/b.js")
    assert matcher(["/r/src/**/*.ts"], ignore_node_modules=False)("/r/src/node_modules/b.ts")


def test_walk_prunes_and_follows_links(tmp_path: Path) -> None:
    for rel in ["a.ts", "sub/b.ts", "sub/deep/c.ts", ".hidden/d.ts", "node_modules/e.ts", "f.js"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    (tmp_path / "loop").symlink_to(tmp_path)  # a cycle must not hang the walk
    base = tmp_path.as_posix()
    # "loop" leads back to a folder already walked: not entered again
    assert sorted(walk(base, [f"{base}/**/*.ts"])) == [
        f"{base}/a.ts", f"{base}/sub/b.ts", f"{base}/sub/deep/c.ts"]
    everything = walk(base, [f"{base}/**/*.ts"], dot=True, ignore_node_modules=False)
    assert f"{base}/.hidden/d.ts" in everything and f"{base}/node_modules/e.ts" in everything
    assert walk(base, [f"{base}/*.ts"]) == [f"{base}/a.ts"]
    assert walk(f"{base}/missing", [f"{base}/missing/*.ts"]) == []


# -- JavaScript literals ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "stripped"),
    [
        ("a('x')", "a(' ')"),
        ('a("x\\"y")', 'a("    ")'),
        ("a // c\nb", "a     \nb"),
        ("a /* c\nd */ b", "a     \n     b"),
        ("`t ${x + `u`} v`", "`  ${x + ` `}  `"),
        ("x = /re(/g; y", "x = /   /g; y"),
        ("x = a / b / c", "x = a / b / c"),
        ("f(/[/]x/)", "f(/    /)"),
        ("return /x/", "return / /"),
        ("{`${{a:1}}`}", "{`${{a:1}}`}"),
    ],
)
def test_strip_literals(code: str, stripped: str) -> None:
    assert strip_literals(code) == stripped
    assert len(strip_literals(code)) == len(code)


@pytest.mark.parametrize(
    ("code", "value"),
    [
        ("'a'", "a"), ('"a\\n\\u0041\\x41\\u{1F600}"', "a\nAA\U0001F600"), ("`raw\\n`", "raw\\n"),
        ("12", 12), ("-1.5", -1.5), ("0x10", 16), ("1e3", 1000.0), ("1_000", 1000),
        ("true", True), ("false", False), ("null", None), ("undefined", UNDEFINED),
        ("[1, 'a', ]", [1, "a"]), ("[, 1]", [UNDEFINED, 1]),
        ("{ a: 1, 'b': [true], \"c\": { d: null }, }", {"a": 1, "b": [True], "c": {"d": None}}),
        ("/* c */ { // x\n eager: true }", {"eager": True}),
    ],
)
def test_parse_literal(code: str, value: object) -> None:
    parsed, end = parse_literal(code, 0)
    assert parsed == value
    assert end == len(code)


@pytest.mark.parametrize("code", ["x", "`a${b}`", "{ a }", "{ ...a }", "[...a]", "f()", "{ a: b }",
                                  "true && x"])
def test_parse_literal_refuses_expressions(code: str) -> None:
    with pytest.raises(NotLiteral):
        parse_literal(code, 0)


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ({"foo": "bar"}, "foo=bar"), ({"a": 1, "b": True, "c": False}, "a=1&b=true&c=false"),
        ({"raw": ""}, "raw"), ({"a b": "c d&e/f#g"}, "a+b=c+d%26e%2Ff%23g"),
        ({"k=": "v"}, "k%3D=v"),
    ],
)
def test_stringify_query(query: dict[str, object], text: str) -> None:
    assert stringify_query(query) == text


# -- the plugin ----------------------------------------------------------------------------
@pytest.fixture
def project(root: Path) -> Path:
    for rel in ["src/pages/a.ts", "src/pages/b.ts", "src/pages/sub/c.ts", "src/pages/skip.ts",
                "src/pages/d.js", "src/pages/.hidden/h.ts", "src/pages/node_modules/n.ts",
                "src/main.ts", "lib/x.ts"]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("export default 1\n")
    return root


def run_glob(pipeline, project: Path, code: str, importer: str = "src/main.ts",
             plugins: tuple[Plugin, ...] = ()):
    p = pipeline([*plugins, ImportGlobPlugin()])
    id = f"{project}/{importer}"
    ctx_plugin = p.container.plugins[-1]
    from flask_vite.server.plugin_container import HookContext

    direct = ctx_plugin.transform(HookContext(p.container, ctx_plugin, id), code, id)
    through = p.container.transform(code, id)
    if direct is None:
        assert through.code == code
        return None
    assert through.code == direct.code
    return direct


def test_lazy(pipeline, project: Path) -> None:
    out = run_glob(pipeline, project, "const m = import.meta.glob('./pages/*.ts')\n")
    assert out.code == (
        'const m = /* #__PURE__ */ Object.assign({"./pages/a.ts": () => import("./pages/a.ts"),'
        '"./pages/b.ts": () => import("./pages/b.ts"),'
        '"./pages/skip.ts": () => import("./pages/skip.ts")})\n')


def test_eager_with_negation_and_default_import(pipeline, project: Path) -> None:
    code = ("const m = import.meta.glob(['./pages/**/*.ts', '!**/skip.ts'],"
            " { eager: true, import: 'default' })")
    out = run_glob(pipeline, project, code)
    assert out.code == (
        'import { default as __vite_glob_0_0 } from "./pages/a.ts";'
        'import { default as __vite_glob_0_1 } from "./pages/b.ts";'
        'import { default as __vite_glob_0_2 } from "./pages/sub/c.ts";'
        'const m = /* #__PURE__ */ Object.assign({"./pages/a.ts": __vite_glob_0_0,'
        '"./pages/b.ts": __vite_glob_0_1,"./pages/sub/c.ts": __vite_glob_0_2})')


def test_eager_namespace_and_indexes(pipeline, project: Path) -> None:
    code = ("const a = import.meta.glob('./pages/a.ts', { eager: true })\n"
            "const b = import.meta.glob('./pages/b.ts', { eager: true })\n")
    out = run_glob(pipeline, project, code)
    assert out.code.startswith('import * as __vite_glob_0_0 from "./pages/a.ts";'
                               'import * as __vite_glob_1_0 from "./pages/b.ts";const a =')


def test_root_absolute_keys_and_queries(pipeline, project: Path) -> None:
    code = "import.meta.glob('/src/pages/*.{ts,js}', { query: { foo: 'bar', n: 1 } })"
    out = run_glob(pipeline, project, code)
    assert '"/src/pages/d.js": () => import("./pages/d.js?foo=bar&n=1")' in out.code
    assert '"/src/pages/a.ts": () => import("./pages/a.ts?foo=bar&n=1")' in out.code


@pytest.mark.parametrize(
    ("options", "tail"),
    [
        ("{ query: '?raw', import: 'default' }",
         'import("./pages/a.ts?raw").then(m => m["default"])'),
        ("{ query: 'url' }", 'import("./pages/a.ts?url")'),
        ("{ as: 'raw' }", 'import("./pages/a.ts?raw").then(m => m["default"])'),
        ("{ import: 'setup' }", 'import("./pages/a.ts").then(m => m["setup"])'),
        ("{ import: '*' }", 'import("./pages/a.ts")'),
    ],
)
def test_query_and_import_options(pipeline, project: Path, options: str, tail: str) -> None:
    out = run_glob(pipeline, project, f"import.meta.glob('./pages/a.ts', {options})")
    assert out.code == f'/* #__PURE__ */ Object.assign({{"./pages/a.ts": () => {tail}}})'


def test_exhaustive_includes_dot_folders_and_node_modules(pipeline, project: Path) -> None:
    out = run_glob(pipeline, project, "Object.keys(import.meta.glob('./pages/**/*.ts'))")
    assert out.code == ('Object.keys({"./pages/a.ts": 0,"./pages/b.ts": 0,"./pages/skip.ts": 0,'
                        '"./pages/sub/c.ts": 0})')
    out = run_glob(pipeline, project,
                   "Object.keys(import.meta.glob('./pages/**/*.ts', { exhaustive: true }))")
    assert '"./pages/.hidden/h.ts": 0' in out.code and '"./pages/node_modules/n.ts": 0' in out.code


def test_object_values_and_base(pipeline, project: Path) -> None:
    out = run_glob(pipeline, project,
                   "Object.values(import.meta.glob('./*.ts', { base: './pages' }))")
    assert out.code == ('Object.values([() => import("./pages/a.ts"),() => import("./pages/b.ts"),'
                        '() => import("./pages/skip.ts")])')
    out = run_glob(pipeline, project, "import.meta.glob('./*.ts', { base: '/src/pages' })")
    assert '"./a.ts": () => import("./pages/a.ts")' in out.code


def test_parent_folders_and_self_exclusion(pipeline, project: Path) -> None:
    out = run_glob(pipeline, project, "import.meta.glob('../*.ts')", importer="src/pages/a.ts")
    assert out.code == '/* #__PURE__ */ Object.assign({"../main.ts": () => import("../main.ts")})'
    out = run_glob(pipeline, project, "import.meta.glob('./*.ts')", importer="src/pages/a.ts")
    assert '"./a.ts"' not in out.code and '"./b.ts"' in out.code


def test_line_breaks_are_kept(pipeline, project: Path) -> None:
    code = "const m = import.meta.glob(\n  './pages/a.ts',\n)\nexport { m }\n"
    out = run_glob(pipeline, project, code)
    assert out.code.count("\n") == code.count("\n")
    assert out.code.endswith("\n\n)\nexport { m }\n".replace(")", "})"))
    assert out.map is not None and out.map["mappings"]


def test_calls_in_strings_and_comments_are_ignored(pipeline, project: Path) -> None:
    code = "// import.meta.glob('./x')\nconst s = \"import.meta.glob('./y')\"\n"
    assert run_glob(pipeline, project, code) is None


def test_aliases_resolve_through_plugins(pipeline, project: Path) -> None:
    class Alias(Plugin):
        name = "alias"

        def resolve_id(self, ctx, source, importer, options):
            if source.startswith("@/"):
                return ResolvedId(f"{project}/src/{source[2:]}")
            return None

    out = run_glob(pipeline, project, "import.meta.glob('@/pages/*.js')", plugins=(Alias(),))
    assert out.code == ('/* #__PURE__ */ Object.assign({"/src/pages/d.js": '
                        '() => import("./pages/d.js")})')


def test_records_for_hot_updates(pipeline, project: Path) -> None:
    out = run_glob(pipeline, project, "import.meta.glob(['./pages/*.ts', '!./pages/skip.ts'])")
    (record,) = out.meta["import_glob"]
    assert isinstance(record, GlobRecord)
    assert record.base == f"{project}/src/pages"
    assert record.matches(f"{project}/src/pages/new.ts")
    assert not record.matches(f"{project}/src/pages/skip.ts")
    assert not record.matches(f"{project}/src/pages/sub/new.ts")
    assert not record.matches(f"{project}/src/other.ts")


def test_special_characters_in_folders(pipeline, tmp_path: Path, esbuild_service) -> None:
    from .conftest import Pipeline

    root = tmp_path / "we(ird) [1]"
    (root / "src" / "p").mkdir(parents=True)
    (root / "src" / "p" / "x.ts").write_text("")
    p = Pipeline(root, [ImportGlobPlugin()], esbuild_service)
    out = p.container.transform("import.meta.glob('./p/*.ts')", f"{root}/src/main.ts")
    assert out.code == '/* #__PURE__ */ Object.assign({"./p/x.ts": () => import("./p/x.ts")})'


@pytest.mark.parametrize(
    ("code", "message", "line"),
    [
        ("\n\nimport.meta.glob(name)", "Could only use literals", 3),
        ("import.meta.glob(1)", 'Expected glob to be a string, but got "number"', 1),
        ("import.meta.glob(['./a', 2])", 'Expected glob to be a string, but got "number"', 1),
        ("import.meta.glob(`./${x}`)", "dynamic template literal", 1),
        ("import.meta.glob()", "Expected 1-2 arguments, but got 0", 1),
        ("import.meta.glob('./a', {}, 3)", "Expected 1-2 arguments, but got 3", 1),
        ("import.meta.glob('./a', opts)",
         "Expected the second argument to be an object literal", 1),
        ("import.meta.glob('./a',\n { eager: isProd })", "not static", 2),
        ("import.meta.glob('./a', { eager: 'yes' })",
         'Expected glob option "eager" to be of type boolean, but got string', 1),
        ("import.meta.glob('./a', { nope: 1 })", 'Unknown glob option "nope"', 1),
        ("import.meta.glob('./a', { base: 'src' })", "Option \"base\" must start with '/'", 1),
        ("import.meta.glob('./a', { as: 'raw', query: '?x' })", "cannot be used together", 1),
        ("import.meta.glob('./a', { query: { a: [1] } })", 'query.a" to be of type string', 1),
        ("import.meta.glob('pages/*.ts')", 'Invalid glob: "pages/*.ts"', 1),
        ("import.meta.glob('./a'", "Close parenthesis not found", 1),
    ],
)
def test_errors_name_the_file_and_line(pipeline, project: Path, code: str, message: str,
                                       line: int) -> None:
    p = pipeline([ImportGlobPlugin()])
    with pytest.raises(ImportGlobError, match=re.escape(message)) as info:
        p.container.transform(code, f"{project}/src/main.ts")
    assert info.value.file == f"{project}/src/main.ts"
    assert info.value.line == line
    assert f"src/main.ts:{line}:" in str(info.value)


def test_virtual_modules_need_absolute_globs(pipeline, project: Path) -> None:
    p = pipeline([ImportGlobPlugin()])
    with pytest.raises(ImportGlobError, match="In virtual modules"):
        p.container.transform("import.meta.glob('./pages/*.ts')", "\0virtual:pages")
    out = p.container.transform("import.meta.glob('/src/pages/a.ts')", "\0virtual:pages")
    assert out.code == ('/* #__PURE__ */ Object.assign({"/src/pages/a.ts": '
                        '() => import("/src/pages/a.ts")})')


def test_json_keys_are_escaped(pipeline, project: Path) -> None:
    (project / "src" / "pages" / 'q"uote.ts').write_text("")
    out = run_glob(pipeline, project, "import.meta.glob('./pages/q*.ts')")
    assert json.dumps('./pages/q"uote.ts') in out.code


def test_importers_of_new_files(pipeline, project: Path) -> None:
    plugin = ImportGlobPlugin()
    p = pipeline([plugin])
    main, page = f"{project}/src/main.ts", f"{project}/src/pages/a.ts"
    p.container.transform("import.meta.glob('./pages/*.ts')", main)
    p.container.transform("import.meta.glob('./sub/*.ts')", page)
    assert plugin.importers_of(f"{project}/src/pages/new.ts") == [main]
    assert plugin.importers_of(f"{project}/src/pages/sub/new.ts", "client") == [page]
    assert plugin.importers_of(f"{project}/src/pages/sub/new.ts", "ssr") == []
    assert plugin.importers_of(f"{project}/src/other.ts") == []
    p.container.transform("export {}", main)  # the call was removed from main.ts
    assert plugin.importers_of(f"{project}/src/pages/new.ts") == []
