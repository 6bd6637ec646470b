"""The module runner: Vite's SSR module format and ModuleRunner semantics."""
from __future__ import annotations

import typing as t

import pytest

from flask_vite.ssr.errors import (
    SsrError,
    SsrModuleNotFound,
    SsrNodeBuiltinError,
    StackFrame,
)
from flask_vite.ssr.process import ModuleSource, SsrProcess

from .conftest import exports, kill_and_wait


def test_export_styles_and_re_exports(proc: SsrProcess) -> None:
    # The forms Vite's ssrTransform produces, old and new.
    proc.define_modules({
        "/ex/lib.js": exports(a="a", default="__vite_ssr_export_default__") + (
            "const a = 1;\n"
            "__vite_ssr_exports__.b = 2;\n"
            'Object.defineProperty(__vite_ssr_exports__, "c", { enumerable: true, configurable: true, get() { return c } });\n'
            "const c = 3;\n"
            "const __vite_ssr_export_default__ = 'dflt';\n"),
        "/ex/re.js": ('const __vite_ssr_import_0__ = await __vite_ssr_import__("/ex/lib.js");\n'
                      "__vite_ssr_exportAll__(__vite_ssr_import_0__);\n"),
        "/ex/main.js": exports(read="read") + (
            'const __vite_ssr_import_0__ = await __vite_ssr_import__("/ex/lib.js", {importedNames: ["default", "a"]});\n'
            'const __vite_ssr_import_1__ = await __vite_ssr_import__("/ex/re.js");\n'
            "function read() { return [__vite_ssr_import_0__.default, __vite_ssr_import_0__.a,\n"
            "  Object.keys(__vite_ssr_import_1__).sort(), Object.prototype.toString.call(__vite_ssr_import_0__)]; }\n"),
    })
    assert proc.call("/ex/main.js", "read") == ["dflt", 1, ["a", "b", "c"], "[object Module]"]
    module = proc.import_("/ex/lib.js")
    assert module.exports == {"a": "number", "default": "string", "b": "number", "c": "number"}
    assert module.get("c") == 3 and "a" in module


def test_dynamic_import_resolves_relative_to_the_importer(proc: SsrProcess) -> None:
    proc.define_modules({
        "/dyn/pages/a.js": exports(load="load") + (
            "async function load(name) { return (await __vite_ssr_dynamic_import__(`./${name}.js`)).title; }\n"),
        "/dyn/pages/b.js": exports(title="title") + "const title = 'page b';\n",
        "/dyn/c.js": exports(title="title") + "const title = 'page c';\n",
    })
    assert proc.call("/dyn/pages/a.js", "load", args=["b"]) == "page b"
    assert proc.call("/dyn/pages/a.js", "load", args=["../c"]) == "page c"


def test_circular_imports_get_the_partial_exports_object(proc: SsrProcess) -> None:
    proc.define_modules({
        "/circ/a.js": exports(fromA="fromA", callB="callB") + (
            'const __vite_ssr_import_0__ = await __vite_ssr_import__("/circ/b.js");\n'
            "const fromA = 'A';\n"
            "function callB() { return __vite_ssr_import_0__.fromB() + ' / ' + __vite_ssr_import_0__.seenAtLoad; }\n"),
        "/circ/b.js": exports(fromB="fromB", seenAtLoad="seenAtLoad") + (
            'const __vite_ssr_import_0__ = await __vite_ssr_import__("/circ/a.js");\n'
            # a is still running: its names exist, their values do not yet.
            "const seenAtLoad = JSON.stringify([Object.keys(__vite_ssr_import_0__), __vite_ssr_import_0__.fromA ?? null]);\n"
            "function fromB() { return 'B sees ' + __vite_ssr_import_0__.fromA; }\n"),
    })
    assert proc.call("/circ/a.js", "callB") == 'B sees A / [["fromA","callB"],null]'


def test_invalidate_reruns_a_module_and_keeps_the_others(proc: SsrProcess) -> None:
    counter = exports(next="next") + "let n = 0;\nfunction next() { return ++n; }\n"
    app = (exports(render="render")
           + 'const __vite_ssr_import_0__ = await __vite_ssr_import__("/inv/counter.js");\n'
           + "globalThis.appRuns = (globalThis.appRuns || 0) + 1;\n"
           + "function render() { return `{v}:${(0, __vite_ssr_import_0__.next)()}:${globalThis.appRuns}`; }\n")
    proc.define_modules({"/inv/counter.js": counter, "/inv/app.js": app.replace("{v}", "v1")})
    assert proc.call("/inv/app.js", "render") == "v1:1:1"
    assert proc.call("/inv/app.js", "render") == "v1:2:1"
    # New code alone does not re-run an instance...
    proc.define_modules({"/inv/app.js": app.replace("{v}", "v2")})
    assert proc.call("/inv/app.js", "render") == "v1:3:1"
    # ...invalidating it does; the untouched counter keeps its state.
    proc.invalidate(["/inv/app.js"])
    assert proc.call("/inv/app.js", "render") == "v2:4:2"
    assert proc.call("/inv/app.js", "render") == "v2:5:2"


def test_invalidate_with_importers(proc: SsrProcess) -> None:
    leaf = exports(value="value") + "const value = '{v}';\n"
    proc.define_modules({
        "/imp/leaf.js": leaf.replace("{v}", "old"),
        "/imp/mid.js": exports(value="value") + (
            'const __vite_ssr_import_0__ = await __vite_ssr_import__("/imp/leaf.js");\n'
            "const value = 'mid+' + __vite_ssr_import_0__.value;\n"),
        "/imp/top.js": exports(read="read") + (
            'const __vite_ssr_import_0__ = await __vite_ssr_import__("/imp/mid.js");\n'
            "function read() { return __vite_ssr_import_0__.value; }\n"),
    })
    assert proc.call("/imp/top.js", "read") == "mid+old"
    proc.define_modules({"/imp/leaf.js": leaf.replace("{v}", "new")})
    proc.invalidate(["/imp/leaf.js"])
    assert proc.call("/imp/top.js", "read") == "mid+old"  # mid kept the old value
    proc.invalidate(["/imp/leaf.js"], importers=True)
    assert proc.call("/imp/top.js", "read") == "mid+new"


def test_missing_module_names_the_chain_and_a_retry_works(proc: SsrProcess) -> None:
    proc.define_modules({
        "/miss/entry.js": exports(render="render") + (
            'const __vite_ssr_import_0__ = await __vite_ssr_import__("/miss/App.js");\n'
            "function render() { return __vite_ssr_import_0__.default(); }\n"),
        "/miss/App.js": exports(default="App") + (
            'const __vite_ssr_import_0__ = await __vite_ssr_import__("/miss/util.js");\n'
            "function App() { return 'app ' + __vite_ssr_import_0__.x; }\n"),
    })
    with pytest.raises(SsrModuleNotFound) as caught:
        proc.call("/miss/entry.js", "render")
    assert caught.value.url == "/miss/util.js"
    assert caught.value.importer_chain == ("/miss/entry.js", "/miss/App.js")
    assert "/miss/entry.js -> /miss/App.js -> /miss/util.js" in str(caught.value)
    # Ship it and call again: the modules that failed run again.
    proc.define_modules({"/miss/util.js": exports(x="x") + "const x = 42;\n"})
    assert proc.call("/miss/entry.js", "render") == "app 42"


def test_a_missing_entry_has_no_importers(proc: SsrProcess) -> None:
    with pytest.raises(SsrModuleNotFound) as caught:
        proc.import_("/nowhere.js")
    assert caught.value.chain == ("/nowhere.js",)


@pytest.mark.parametrize("specifier", ["node:fs", "fs", "path/posix"])
def test_node_builtins_fail_with_the_import_chain(proc: SsrProcess, specifier: str) -> None:
    base = f"/builtin-{specifier.replace(':', '-').replace('/', '-')}"
    proc.define_modules({
        f"{base}/entry-server.tsx": exports(render="render") + (
            f'const __vite_ssr_import_0__ = await __vite_ssr_import__("{base}/db.ts");\n'
            "function render() { return 'never'; }\n"),
        f"{base}/db.ts": f'const __vite_ssr_import_0__ = await __vite_ssr_import__("{specifier}");\n',
    })
    with pytest.raises(SsrNodeBuiltinError) as caught:
        proc.call(f"{base}/entry-server.tsx", "render")
    error = caught.value
    chain = f"{base}/entry-server.tsx -> {base}/db.ts -> {specifier}"
    assert chain in str(error)
    assert error.builtin == (specifier if specifier.startswith("node:") else f"node:{specifier}")
    assert error.importer_chain == (f"{base}/entry-server.tsx", f"{base}/db.ts")


def test_js_errors_carry_stack_and_frames_in_module_lines(proc: SsrProcess) -> None:
    proc.define_modules({
        "/err/App.tsx": exports(render="render") + (  # line 1
            "function helper(x) {\n"                   # line 2
            "  return x.boom();\n"                     # line 3
            "}\n"
            "function render() { return helper({}); }\n"),  # line 5
    })
    with pytest.raises(SsrError) as caught:
        proc.call("/err/App.tsx", "render")
    error = caught.value
    assert error.name == "TypeError"
    assert error.message == "x.boom is not a function"
    assert error.stack.startswith("TypeError: x.boom is not a function\n    at helper (/err/App.tsx:3:12)")
    assert error.frames[:2] == [StackFrame("/err/App.tsx", 3, 12), StackFrame("/err/App.tsx", 5, 28)]
    assert error.code == "SSR_ERROR"


def test_errors_thrown_at_module_load_and_non_errors(proc: SsrProcess) -> None:
    proc.define_modules({
        "/load/bad.js": "throw new RangeError('at load');\n",
        "/load/str.js": exports(f="f") + "function f() { throw 'a string'; }\n",
    })
    with pytest.raises(SsrError, match="at load") as caught:
        proc.import_("/load/bad.js")
    assert caught.value.frames[0] == StackFrame("/load/bad.js", 1, 7)
    with pytest.raises(SsrError, match="Uncaught 'a string'"):
        proc.call("/load/str.js", "f")


def test_syntax_errors_are_located(proc: SsrProcess) -> None:
    proc.define_modules({"/syntax/broken.js": "const ok = 1;\nconst bad = (;\n"})
    with pytest.raises(SsrError) as caught:
        proc.import_("/syntax/broken.js")
    assert caught.value.name == "SyntaxError"
    assert "/syntax/broken.js:2:14" in caught.value.message
    assert caught.value.frames == [StackFrame("/syntax/broken.js", 2, 14)]


def test_import_meta(proc: SsrProcess) -> None:
    code = exports(meta="meta") + (
        "const meta = { url: __vite_ssr_import_meta__.url, filename: __vite_ssr_import_meta__.filename ?? null,\n"
        "  dirname: __vite_ssr_import_meta__.dirname ?? null, env: __vite_ssr_import_meta__.env };\n")
    proc.define_modules({"/meta/a.js": ModuleSource(code, file="/srv/app/src/a b.js"), "/meta/b.js": code})
    assert proc.get("/meta/a.js", "meta") == {
        "url": "file:///srv/app/src/a%20b.js", "filename": "/srv/app/src/a b.js",
        "dirname": "/srv/app/src", "env": {}}
    assert proc.get("/meta/b.js", "meta")["url"] == "/meta/b.js"


def test_return_values_must_be_json_compatible(proc: SsrProcess) -> None:
    proc.define_modules({"/ret/v.js": exports(big="big", nothing="nothing", date="date", missing="missing") + (
        "const big = () => 1n;\nconst nothing = () => undefined;\n"
        "const date = async () => new Date(0);\nconst missing = 5;\n")})
    with pytest.raises(SsrError, match="cannot be sent to Python"):
        proc.call("/ret/v.js", "big")
    assert proc.call("/ret/v.js", "nothing") is None
    assert proc.call("/ret/v.js", "date") == "1970-01-01T00:00:00.000Z"
    with pytest.raises(SsrError, match=r'"missing" of /ret/v.js is not a function \(number\)'):
        proc.call("/ret/v.js", "missing")
    with pytest.raises(SsrError, match=r'"nope" of /ret/v.js is missing; its exports are: big, nothing'):
        proc.call("/ret/v.js", "nope")


def test_a_promise_nothing_resolves_is_reported(proc: SsrProcess) -> None:
    proc.define_modules({"/stall/s.js": exports(wait="wait") + "function wait() { return new Promise(() => {}); }\n"})
    with pytest.raises(SsrError, match="never finished"):
        proc.call("/stall/s.js", "wait")


def test_top_level_await_of_a_timer(proc: SsrProcess) -> None:
    proc.define_modules({"/tla/t.js": exports(value="value") + (
        "const value = await new Promise((r) => setTimeout(() => r('after timer'), 10));\n")})
    assert proc.get("/tla/t.js", "value") == "after timer"


# -- fetch_module: modules on demand ----------------------------------------------------


@pytest.fixture(scope="module")
def fetching() -> t.Iterator[tuple[SsrProcess, dict[str, t.Any], list[str]]]:
    sources: dict[str, t.Any] = {}
    asked: list[str] = []

    def fetch_module(url: str) -> str | ModuleSource | None:
        asked.append(url)
        value = sources.get(url)
        if isinstance(value, Exception):
            raise value
        return t.cast("str | ModuleSource | None", value)

    process = SsrProcess(timeout=10.0, fetch_module=fetch_module)
    yield process, sources, asked
    process.close()


def test_fetch_module_loads_modules_on_demand(fetching: tuple[SsrProcess, dict[str, t.Any], list[str]]) -> None:
    proc, sources, asked = fetching
    sources.update({
        "/f/entry.js": exports(render="render") + (
            'const __vite_ssr_import_0__ = await __vite_ssr_import__("/f/App.js");\n'
            "function render(name) { return __vite_ssr_import_0__.default(name); }\n"),
        "/f/App.js": ModuleSource(exports(default="App") + "function App(name) { return `<p>${name}</p>`; }\n",
                                  file="/app/src/App.js"),
    })
    assert proc.call("/f/entry.js", "render", args=["Ann"]) == "<p>Ann</p>"
    assert asked == ["/f/entry.js", "/f/App.js"]
    assert set(proc.modules) >= {"/f/entry.js", "/f/App.js"}  # kept for a respawn
    assert proc.call("/f/entry.js", "render", args=["Bob"]) == "<p>Bob</p>"
    assert asked == ["/f/entry.js", "/f/App.js"]
    # A new child gets the fetched modules with the shipped ones.
    pid = proc.pid
    assert pid is not None
    kill_and_wait(pid)
    assert proc.call("/f/entry.js", "render", args=["Cy"]) == "<p>Cy</p>"
    assert asked == ["/f/entry.js", "/f/App.js"] and proc.pid != pid


def test_fetch_module_none_and_errors(fetching: tuple[SsrProcess, dict[str, t.Any], list[str]]) -> None:
    proc, sources, _ = fetching
    sources.update({
        "/g/entry.js": 'await __vite_ssr_import__("/g/missing.js");\n',
        "/g/raises.js": 'await __vite_ssr_import__("/g/broken.js");\n',
        "/g/broken.js": LookupError("transform failed for /g/broken.js"),
    })
    with pytest.raises(SsrModuleNotFound) as caught:
        proc.import_("/g/entry.js")
    assert caught.value.chain == ("/g/entry.js", "/g/missing.js")
    # The callback's own exception comes back, unchanged.
    with pytest.raises(LookupError, match="transform failed"):
        proc.import_("/g/raises.js")


# -- CommonJS modules (esbuild's format=cjs) ---------------------------------------------


@pytest.fixture(scope="module")
def cjs() -> t.Iterator[SsrProcess]:
    process = SsrProcess(timeout=10.0, module_format="cjs")
    yield process
    process.close()


def test_commonjs_modules_require_each_other(cjs: SsrProcess) -> None:
    cjs.define_modules({
        "/cjs/dep.js": "let calls = 0;\nexports.value = 41;\nexports.inc = (n) => { calls++; return n + calls; };\n",
        "/cjs/entry.js": ModuleSource(
            'const dep = require("/cjs/dep.js");\n'
            "module.exports = { render: () => dep.inc(dep.value), where: () => [__filename, __dirname] };\n",
            file="/app/src/entry.js"),
    })
    assert cjs.call("/cjs/entry.js", "render") == 42
    assert cjs.call("/cjs/entry.js", "render") == 43  # one instance of dep
    assert cjs.call("/cjs/entry.js", "where") == ["/app/src/entry.js", "/app/src"]
    cjs.invalidate(["/cjs/dep.js"], importers=True)
    assert cjs.call("/cjs/entry.js", "render") == 42


def test_commonjs_cycles_missing_modules_and_builtins(cjs: SsrProcess) -> None:
    cjs.define_modules({
        "/cjs/a.js": 'exports.early = "a-early";\nconst b = require("/cjs/b.js");\nexports.late = "a-late";\n'
                     "exports.read = () => [b.seen, b.later()];\n",
        "/cjs/b.js": 'const a = require("/cjs/a.js");\nexports.seen = [a.early ?? null, a.late ?? null];\n'
                     "exports.later = () => a.late;\n",
        "/cjs/uses-fs.js": 'require("/cjs/db.js");\n',
        "/cjs/db.js": 'module.exports = require("node:fs");\n',
        "/cjs/uses-missing.js": 'require("/cjs/nope.js");\n',
    })
    assert cjs.call("/cjs/a.js", "read") == [["a-early", None], "a-late"]
    with pytest.raises(SsrNodeBuiltinError, match="/cjs/uses-fs.js -> /cjs/db.js -> node:fs"):
        cjs.import_("/cjs/uses-fs.js")
    with pytest.raises(SsrModuleNotFound) as caught:
        cjs.import_("/cjs/uses-missing.js")
    assert caught.value.chain == ("/cjs/uses-missing.js", "/cjs/nope.js")


def test_esbuild_commonjs_output_and_mixed_formats(cjs: SsrProcess) -> None:
    from flask_vite.esbuild.binary import find_esbuild
    from flask_vite.esbuild.service import EsbuildService

    try:
        service = EsbuildService(find_esbuild())
    except Exception as e:  # noqa: BLE001 - no esbuild here: nothing to compare with
        pytest.skip(f"no esbuild: {e}")
    with service:
        def to_cjs(code: str) -> str:
            # V8 without a module loader has no native import(): esbuild turns
            # it into require() when told the target lacks it.
            return service.transform(code, loader="js", format="cjs", target="es2022",
                                     supported={"dynamic-import": False}).code
        cjs.define_modules({
            "/esb/util.js": to_cjs("export const greet = (n) => `hi ${n}`;\nexport default 7;\n"),
            "/esb/entry.js": to_cjs('import seven, { greet } from "/esb/util.js";\n'
                                    "export function render(n) { return greet(n) + seven; }\n"
                                    'export async function lazy() { return (await import("/esb/util.js")).greet("lazy"); }\n'),
        })
    assert cjs.call("/esb/entry.js", "render", args=["Ann"]) == "hi Ann7"
    assert cjs.call("/esb/entry.js", "lazy") == "hi lazy"
    # A Vite-format module can import a CommonJS one; CommonJS cannot require
    # the asynchronous format...
    cjs.define_modules({
        "/esb/vite.js": ModuleSource(exports(both="both") + (
            'const __vite_ssr_import_0__ = await __vite_ssr_import__("/esb/util.js");\n'
            "function both() { return __vite_ssr_import_0__.greet('vite'); }\n"), format="vite"),
        "/esb/vite2.js": ModuleSource(exports(x="x") + "const x = 1;\n", format="vite"),
        "/esb/requires-vite.js": 'exports.result = require("/esb/vite.js").both();\n',
        "/esb/requires-vite2.js": 'require("/esb/vite2.js");\n',
    })
    assert cjs.call("/esb/vite.js", "both") == "hi vite"
    # ...unless it has already run (as Node's require() of an ES module).
    assert cjs.get("/esb/requires-vite.js", "result") == "hi vite"
    with pytest.raises(SsrError, match="shipped as an ES module"):
        cjs.import_("/esb/requires-vite2.js")
