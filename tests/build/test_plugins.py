"""Python plugins in the build: the same hooks as in dev, in build mode."""
from __future__ import annotations

import typing as t
from pathlib import Path

import pytest

from flask_vite.plugin import Plugin, ResolveOptions

from .conftest import Builder, write


class Recorder(Plugin):
    """Replaces ``__GREETING__``, serves a virtual module, records its hooks."""

    name = "recorder"

    def __init__(self) -> None:
        self.calls: list[tuple[str, t.Any, ...]] = []

    def build_start(self, ctx: t.Any) -> None:
        self.calls.append(("build_start", ctx.environment.name, ctx.config.dev))

    def resolve_id(self, ctx: t.Any, source: str, importer: str | None,
                   options: ResolveOptions) -> str | None:
        return "\0virtual:where" if source == "virtual:where" else None

    def load(self, ctx: t.Any, id: str) -> str | None:
        if id == "\0virtual:where":
            return 'export default "server"' if ctx.ssr else 'export default "browser"'
        return None

    def transform(self, ctx: t.Any, code: str, id: str) -> str | None:
        if "__GREETING__" not in code:
            return None
        self.calls.append(("transform", ctx.environment.name, Path(id).name))
        # TypeScript is JavaScript by now, as in dev (vite:esbuild ran first).
        assert ": string" not in code
        return code.replace("__GREETING__", '"hello from a Python plugin"')

    def build_end(self, ctx: t.Any, error: BaseException | None) -> None:
        self.calls.append(("build_end", ctx.environment.name, error))

    def transform_index_html(self, ctx: t.Any, html: str, url: str) -> str:
        self.calls.append(("transform_index_html", url))
        return html.replace("</body>", "<!-- built -->\n  </body>")


def test_a_python_plugin_runs_in_both_builds(builder: Builder, small_root: Path) -> None:
    recorder = Recorder()
    write(small_root, {
        "src/main.ts": "import where from 'virtual:where'\n"
                       "const text: string = __GREETING__\nconsole.log(text, where)\n",
        "src/entry-server.ts": "import where from 'virtual:where'\n"
                               "export function render(): string { return __GREETING__ + ' ' + where }\n",
    })
    result = builder(small_root, plugins=[recorder], ssr="src/entry-server.ts")
    assert result.client is not None and result.ssr is not None
    client_js = next((small_root / "dist" / "client" / "assets").glob("index-*.js")).read_text()
    assert "hello from a Python plugin" in client_js and '"browser"' in client_js
    server_js = result.ssr.file.read_text()
    assert 'var virtual_where_default = "server"' in server_js
    assert 'return "hello from a Python plugin " + virtual_where_default' in server_js
    assert (small_root / "dist" / "client" / "index.html").read_text().endswith(
        "<!-- built -->\n  </body>\n</html>\n")
    assert recorder.calls == [
        ("build_start", "client", False),
        ("transform", "client", "main.ts"),
        ("transform_index_html", "/index.html"),
        ("build_end", "client", None),
        ("build_start", "ssr", False),
        ("transform", "ssr", "entry-server.ts"),
        ("build_end", "ssr", None),
    ]


def test_serve_only_plugins_stay_out_and_emit_file_writes(builder: Builder,
                                                          small_root: Path) -> None:
    class DevOnly(Plugin):
        name = "dev-only"
        apply = "serve"

        def transform(self, ctx: t.Any, code: str, id: str) -> str:
            raise AssertionError("a serve plugin ran in the build")

    class Emitter(Plugin):
        name = "emitter"

        def build_start(self, ctx: t.Any) -> None:
            self.named = ctx.emit_file(name="data.json", source='{"a": 1}')
            self.fixed = ctx.emit_file(file_name="robots.txt", source="User-agent: *\n")

    emitter = Emitter()
    builder(small_root, plugins=[DevOnly(), emitter])
    client = small_root / "dist" / "client"
    assert emitter.fixed == "robots.txt"
    assert (client / "robots.txt").read_text() == "User-agent: *\n"
    assert emitter.named.startswith("assets/data-") and emitter.named.endswith(".json")
    assert (client / emitter.named).read_text() == '{"a": 1}'


def test_env_define_and_dead_branches(builder: Builder, small_root: Path) -> None:
    write(small_root, {
        ".env.production": "VITE_API=https://api.example\nSECRET=nope\n",
        "src/main.ts": "if (import.meta.env.SSR) { console.log('server only code') }\n"
                       "if (import.meta.env.DEV) { console.log('dev only code') }\n"
                       "console.log(import.meta.env.VITE_API, import.meta.env.PROD,"
                       " process.env.NODE_ENV, import.meta.env.MODE, import.meta.env.SECRET)\n"
                       "export const env = import.meta.env\n",
        "src/cjs.js": "// import.meta.env in a comment of a CommonJS file\nmodule.exports = 1\n",
        "src/entry-server.ts": "import one from './cjs.js'\nexport const env = {...import.meta.env, one}\n"
                               "export function render(): string {\n"
                               "  if (!import.meta.env.SSR) { return 'client only code' }\n"
                               "  return import.meta.env.BASE_URL + process.env.NODE_ENV\n}\n",
    })
    result = builder(small_root, ssr="src/entry-server.ts", config={"VITE_BASE": "/b/"})
    client_js = next((small_root / "dist" / "client" / "assets").glob("index-*.js")).read_text()
    assert "server only code" not in client_js and "dev only code" not in client_js
    assert '"https://api.example",!0,"production","production"' in client_js
    assert "nope" not in client_js
    assert result.ssr is not None
    server_js = result.ssr.file.read_text()
    assert "client only code" not in server_js
    assert '"/b/production"' in server_js or '"/b/" + "production"' in server_js
    assert "define_import_meta_env" not in server_js  # no esbuild define module in every file
    pytest.importorskip("py_mini_racer", reason="the V8 binding is not installed")
    from flask_vite.ssr.process import SsrProcess

    with SsrProcess(module_format="cjs", node_env="production") as renderer:
        renderer.define_modules({"/entry-server.js": server_js})
        assert renderer.get("/entry-server.js", "env") == {
            "VITE_API": "https://api.example", "BASE_URL": "/b/", "MODE": "production",
            "DEV": False, "PROD": True, "SSR": True, "one": 1}


def test_the_server_bundle_maps_back_to_typescript(builder: Builder, small_root: Path) -> None:
    from flask_vite.sourcemap import original_position

    write(small_root, {
        "src/entry-server.ts": "import { check } from './check'\n"
                               "export function render(n: number): string { return check(n) }\n",
        "src/check.ts": "type N = number\n\nexport function check(n: N): string {\n"
                        "  if (n > 1) throw new Error('too big')\n  return 'ok'\n}\n",
    })
    result = builder(small_root, client=False, ssr="src/entry-server.ts", sourcemap=True)
    assert result.ssr is not None
    code = result.ssr.file.read_text()
    assert code.rstrip().endswith("//# sourceMappingURL=entry-server.js.map")
    import json

    source_map = json.loads((result.ssr.file.parent / "entry-server.js.map").read_text())
    lines = code.splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "too big" in text)
    found = original_position(source_map, line, lines[line - 1].index("throw"))
    assert found is not None
    assert (result.ssr.file.parent / found[0]).resolve() == (small_root / "src" / "check.ts").resolve()
    assert found[1:] == (4, 13)


def test_dynamic_imports_in_the_server_bundle(builder: Builder, small_root: Path) -> None:
    pytest.importorskip("py_mini_racer", reason="the V8 binding is not installed")
    from flask_vite.ssr.process import SsrProcess

    write(small_root, {
        "src/entry-server.ts": "export async function render(): Promise<string> {\n"
                               "  const { later } = await import('./later')\n  return later()\n}\n",
        "src/later.ts": "import './later.css'\nexport const later = (): string => 'loaded later'\n",
        "src/later.css": ".later { color: red }\n",
    })
    result = builder(small_root, client=False, ssr="src/entry-server.ts")
    assert result.ssr is not None
    code = result.ssr.file.read_text()
    assert "import(" not in code and "__vitePreload" not in code
    with SsrProcess(module_format="cjs", node_env="production") as renderer:
        renderer.define_modules({"/entry-server.js": code})
        assert renderer.call("/entry-server.js", "render", []) == "loaded later"


def test_typescript_follows_each_file_s_tsconfig(builder: Builder, small_root: Path) -> None:
    """TypeScript compiled by the bundler (the fast path) or by vite:esbuild must
    honour the same tsconfig: here class fields assign (a setter runs) under
    one tsconfig and define (it does not) under another."""
    pytest.importorskip("py_mini_racer", reason="the V8 binding is not installed")
    from flask_vite.ssr.process import SsrProcess

    field = ("class Base {{ set x(v: number) {{ (this as any).how = 'assigned' }} }}\n"
             "class Derived extends Base {{ x = 1 }}\n"
             "export const {name} = (): string => (new Derived() as any).how ?? 'defined'\n")
    write(small_root, {
        "tsconfig.json": '{"compilerOptions": {"useDefineForClassFields": false}}',
        "src/entry-server.ts": "import { a } from './a'\nimport { b } from '../lib/b'\n"
                               "export const render = (): string[] => [a(), b()]\n",
        "src/a.ts": field.format(name="a"),
        "lib/tsconfig.json": '{"compilerOptions": {"useDefineForClassFields": true}}',
        "lib/b.ts": field.format(name="b"),
    })
    result = builder(small_root, client=False, ssr="src/entry-server.ts")
    assert result.ssr is not None
    with SsrProcess(module_format="cjs", node_env="production") as renderer:
        renderer.define_modules({"/entry-server.js": result.ssr.file.read_text()})
        assert renderer.call("/entry-server.js", "render", []) == ["assigned", "defined"]


def test_a_dev_plugin_s_jsx_import_source_applies_to_the_build(builder: Builder,
                                                                 small_root: Path) -> None:
    class ReactLike(Plugin):
        """Like react(jsx_import_source=...): serve-only, but it decides JSX's runtime."""

        name = "react-like"
        apply = "serve"
        jsx_import_source = "my-jsx"

    write(small_root, {
        "src/main.tsx": "console.log(<p>hi</p>)\n",
        "node_modules/my-jsx/package.json": '{"name": "my-jsx", "exports": {"./jsx-runtime":'
                                            ' "./jsx-runtime.js"}}',
        "node_modules/my-jsx/jsx-runtime.js": "export const jsx = (t) => 'my-jsx:' + t\n",
    })
    (small_root / "index.html").write_text(
        (small_root / "index.html").read_text().replace("/src/main.ts", "/src/main.tsx"))
    builder(small_root, plugins=[ReactLike()])
    js = next((small_root / "dist" / "client" / "assets").glob("index-*.js")).read_text()
    assert "my-jsx:" in js


class AppHooks(Plugin):
    """Vite's ``buildApp``: an ordered hook may build environments itself."""

    def __init__(self, name: str, order: str | None, build: str | None = None,
                 log: list[tuple[str, ...]] | None = None) -> None:
        self.name = name
        self.build_app_order = order  # type: ignore[assignment]
        self._build = build
        self.log = log if log is not None else []

    def build_start(self, ctx: t.Any) -> None:
        self.log.append(("build_start", self.name, ctx.environment.name))

    def build_app(self, builder: t.Any) -> None:
        self.log.append(("build_app", self.name, *builder.built))
        if self._build is not None:
            builder.build(self._build)


def test_build_app_hooks_frame_the_environments(builder: Builder, small_root: Path) -> None:
    write(small_root, {"src/entry-server.ts": "export function render() { return 'x' }\n"})
    log: list[tuple[str, ...]] = []
    # Listed post first: the order comes from build_app_order, not the list.
    post = AppHooks("post", "post", log=log)
    pre = AppHooks("pre", "pre", build="ssr", log=log)
    normal = AppHooks("normal", None, log=log)
    result = builder(small_root, plugins=[post, normal, pre], ssr="src/entry-server.ts")
    assert result.client is not None and result.ssr is not None
    hooks = [entry for entry in log if entry[0] == "build_app"]
    assert hooks == [
        ("build_app", "pre"),
        # The pre hook built ssr first; the client is built after the hooks.
        ("build_app", "normal", "ssr"),
        ("build_app", "post", "ssr", "client"),
    ]
    # Each environment was built once, ssr before client.
    starts = [entry[2] for entry in log if entry[0] == "build_start" and entry[1] == "pre"]
    assert starts == ["ssr", "client"]


def test_build_app_errors_name_the_environment_or_the_plugin(builder: Builder,
                                                            small_root: Path) -> None:
    from flask_vite.build.environment import BuildError
    from flask_vite.server.plugin_container import PluginError

    with pytest.raises(BuildError, match="no build environment 'edge'"):
        builder(small_root, plugins=[AppHooks("edge", None, build="edge")])

    class Broken(Plugin):
        name = "broken"

        def build_app(self, builder: t.Any) -> None:
            raise RuntimeError("boom")

    with pytest.raises(PluginError, match=r"\[plugin broken\] build_app failed: boom"):
        builder(small_root, plugins=[Broken()])
