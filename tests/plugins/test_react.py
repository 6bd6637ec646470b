"""``flask_vite.plugins.react``: the plugin in a real dev server (create-vite's
``template-react-ts``, its dependencies installed once), the preamble, the
runtime module and how ``react-refresh`` itself is found or fetched."""
from __future__ import annotations

import json
import re
import shutil
import typing as t
from pathlib import Path

import pytest
from flask import Flask, render_template_string

from flask_vite.plugins.react import ReactRefreshPlugin, preamble_code, react
from flask_vite.sourcemap import original_position
from tests.apps import CREATE_VITE, dev_app, make_template_app

PREAMBLE = (
    '<script type="module">import { injectIntoGlobalHook } from "/@react-refresh";\n'
    "injectIntoGlobalHook(window);\n"
    "window.$RefreshReg$ = () => {};\n"
    "window.$RefreshSig$ = () => (type) => type;</script>"
)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template_app(CREATE_VITE, "template-react-ts", tmp_path_factory.mktemp("react") / "pristine")


@pytest.fixture
def root(installed: Path, tmp_path: Path) -> Path:
    """A fresh copy of the installed template (tests add files to it)."""
    dest = tmp_path / "app"
    shutil.copytree(installed, dest, symlinks=True)
    return dest


@pytest.fixture
def make_app(root: Path) -> t.Iterator[t.Callable[..., Flask]]:
    apps: list[Flask] = []

    def make(*plugins: t.Any, **config: t.Any) -> Flask:
        app = dev_app(root, plugins=list(plugins), **config)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["vite"].close()


def transformed(app: Flask, url: str, environment: str = "client") -> str:
    result = app.extensions["vite"].dev_server.environments[environment].transform_request(url)
    assert result is not None, url
    return t.cast(str, result.code)


def index_html(app: Flask) -> str:
    response = app.test_client().get("/", headers={"Accept": "text/html"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --- the preamble ------------------------------------------------------------------------

def test_preamble_goes_first_in_head_before_the_client(make_app: t.Callable[..., Flask]) -> None:
    html = index_html(make_app(react()))
    head = html[html.index("<head>"):]
    assert head.startswith(
        f'<head>\n    {PREAMBLE}\n\n    <script type="module" src="/@vite/client"></script>\n\n'
        '    <meta charset="UTF-8" />')
    assert html.count("/@react-refresh") == 1


def test_no_plugin_no_preamble(make_app: t.Callable[..., Flask]) -> None:
    html = index_html(make_app())
    assert "@react-refresh" not in html
    assert html.index("<head>\n    <script type=\"module\" src=\"/@vite/client\">") > 0


def test_preamble_follows_the_base(make_app: t.Callable[..., Flask]) -> None:
    app = make_app(react(), VITE_BASE="/ui/")
    plugin = app.extensions["vite"].dev_server.plugins
    refresh = next(p for p in plugin if isinstance(p, ReactRefreshPlugin))
    assert refresh.react_refresh_preamble() == preamble_code("/ui/")
    assert 'from "/ui/@react-refresh"' in t.cast(str, refresh.react_refresh_preamble())
    client = app.test_client()
    assert 'import { injectIntoGlobalHook } from "/ui/@react-refresh";' in client.get(
        "/ui/", headers={"Accept": "text/html"}).get_data(as_text=True)
    runtime = client.get("/ui/@react-refresh")
    assert runtime.status_code == 200
    # It listens to the page's own client for hot updates: the same instance.
    assert 'from "/ui/@vite/client"' in runtime.get_data(as_text=True)
    # The modules import the runtime (and themselves) under the base too: one instance.
    code = client.get("/ui/src/App.tsx").get_data(as_text=True)
    assert 'import * as __vite_react_refresh from "/ui/@react-refresh";' in code
    assert 'import * as __vite_react_currentExports from "/ui/src/App.tsx";' in code


def test_jinja_helper_gives_the_preamble(make_app: t.Callable[..., Flask]) -> None:
    app = make_app(react())
    with app.test_request_context("/"):
        html = render_template_string("{{ vite_react_refresh(nonce='n1') }}{{ vite_tags('src/main.tsx') }}")
    assert html.startswith('<script type="module" nonce="n1">import { injectIntoGlobalHook } from "/@react-refresh";')
    assert html.index("injectIntoGlobalHook") < html.index("/@vite/client")
    plain = make_app()
    with plain.test_request_context("/"):
        assert render_template_string("{{ vite_react_refresh() }}") == ""


def test_hmr_off_means_no_fast_refresh(make_app: t.Callable[..., Flask]) -> None:
    app = make_app(react(), VITE_HMR=False)
    assert "@react-refresh" not in index_html(app)
    assert "$RefreshReg$" not in transformed(app, "/src/App.tsx")
    with app.test_request_context("/"):
        assert render_template_string("{{ vite_react_refresh() }}") == ""


# --- the runtime ---------------------------------------------------------------------------

def test_runtime_module_is_served_once_for_everyone(make_app: t.Callable[..., Flask]) -> None:
    app = make_app(react())
    client = app.test_client()
    response = client.get("/@react-refresh")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    code = response.get_data(as_text=True)
    assert code.startswith("// react-refresh ")
    for name in ("injectIntoGlobalHook", "getRefreshReg", "createSignatureFunctionForTransform",
                 "registerExportsForReactRefresh", "validateRefreshBoundaryAndEnqueueUpdate",
                 "performReactRefresh", "__hmr_import", "register"):
        assert re.search(rf"\b{name}\b", code[code.rindex("export {"):]), name
    assert "process.env" not in code  # the development build, chosen when bundled
    assert re.search(r'^import \{ createHotContext \} from "/@vite/client";$', code, re.M)
    # Transformed modules import the very same URL as the preamble (one instance).
    app_code = transformed(app, "/src/App.tsx")
    assert 'import * as __vite_react_refresh from "/@react-refresh";' in app_code
    # ... and flask-vite's own runtime files are never transformed themselves.
    assert "$RefreshReg$" not in client.get("/@vite/client").get_data(as_text=True)


# --- the transform ---------------------------------------------------------------------------

def test_app_tsx_is_a_self_accepting_refresh_boundary(make_app: t.Callable[..., Flask]) -> None:
    app = make_app(react())
    code = transformed(app, "/src/App.tsx")
    assert code.startswith('import { createHotContext as __vite__createHotContext } from "/@vite/client";'
                           'import.meta.hot = __vite__createHotContext("/src/App.tsx");var _s = $RefreshSig$(); ')
    assert '$RefreshReg$(_c, "App");' in code
    # The self-import, rewritten like any import.
    assert 'import * as __vite_react_currentExports from "/src/App.tsx";' in code
    graph = app.extensions["vite"].dev_server.environments["client"].module_graph
    node = graph.get_module_by_url("/src/App.tsx")
    assert node.is_self_accepting
    # main.tsx has no component: left as it was, not a boundary.
    assert "$RefreshReg$" not in transformed(app, "/src/main.tsx")
    assert not graph.get_module_by_url("/src/main.tsx").is_self_accepting


def test_source_map_still_points_at_the_tsx(make_app: t.Callable[..., Flask], root: Path) -> None:
    app = make_app(react())
    result = app.extensions["vite"].dev_server.environments["client"].transform_request("/src/App.tsx")
    assert result is not None and result.map is not None
    source = (root / "src" / "App.tsx").read_text().splitlines()
    lines = result.code.splitlines()
    for needle in ("useState(0)", "setCount(", "Get started", "export default App"):
        line_no = next(i for i, line in enumerate(lines) if needle in line)
        column = lines[line_no].index(needle)
        found = original_position(result.map, line_no + 1, column)
        assert found is not None, needle
        file, line, col = found
        assert file.endswith("src/App.tsx")
        assert source[line - 1][col:].startswith(needle.split("(")[0]), (needle, source[line - 1], col)


def test_ssr_modules_are_not_transformed(make_app: t.Callable[..., Flask]) -> None:
    app = make_app(react())
    code = transformed(app, "/src/App.tsx", "ssr")
    assert "$RefreshReg$" not in code and "react-refresh" not in code


def test_include_and_exclude(make_app: t.Callable[..., Flask], root: Path) -> None:
    src = root / "src"
    (src / "widgets").mkdir()
    (src / "widgets" / "Badge.tsx").write_text("export function Badge() { return <b>b</b> }\n")
    (src / "Plain.jsx").write_text("export const Plain = () => <i>p</i>\n")
    (src / "Util.ts").write_text("export function Format(n: number) { return `${n}` }\n")
    (src / "Vanilla.js").write_text(
        "import { jsx } from 'react/jsx-runtime'\n"
        "export function Shout(props) {\n  return jsx('b', { children: props.text })\n}\n")
    default = make_app(react())
    assert '$RefreshReg$(_c, "Badge");' in transformed(default, "/src/widgets/Badge.tsx")
    assert '$RefreshReg$(_c, "Plain");' in transformed(default, "/src/Plain.jsx")
    # As in Vite: any included module defining components, .ts and .js too.
    assert '$RefreshReg$(_c, "Format");' in transformed(default, "/src/Util.ts")
    assert '$RefreshReg$(_c, "Shout");' in transformed(default, "/src/Vanilla.js")
    # JSX in a .js file is not JavaScript esbuild reads as such: left as it is
    # (the browser reports the syntax error), not a failed transform.
    (src / "Broken.js").write_text("export const Broken = () => <div />\n")
    assert transformed(default, "/src/Broken.js") == "export const Broken = () => <div />\n"
    # ?raw is the file's text, not a module to refresh.
    assert "$RefreshReg$" not in transformed(default, "/src/Plain.jsx?raw")

    only = make_app(react(include="src/widgets/**/*.tsx", exclude=[re.compile(r"Nope")]))
    assert "$RefreshReg$" in transformed(only, "/src/widgets/Badge.tsx")
    assert "$RefreshReg$" not in transformed(only, "/src/App.tsx")
    excluded = make_app(react(exclude=["src/widgets/**", re.compile(r"\.ts$")]))
    assert "$RefreshReg$" not in transformed(excluded, "/src/widgets/Badge.tsx")
    assert "$RefreshReg$" not in transformed(excluded, "/src/Util.ts")
    assert "$RefreshReg$" in transformed(excluded, "/src/App.tsx")
    with pytest.raises(TypeError, match="globs or compiled regular expressions"):
        react(include=[t.cast(t.Any, 3)])


def test_plain_js_keeps_an_exact_map(make_app: t.Callable[..., Flask], root: Path) -> None:
    source = ("import { jsx } from 'react/jsx-runtime'\n\n"
              "export function Shout(props) {\n"
              "    const text = props.text.toUpperCase()\n"
              "    return jsx('b', { children: text })\n}\n")
    (root / "src" / "Shout.js").write_text(source)
    app = make_app(react())
    result = app.extensions["vite"].dev_server.environments["client"].transform_request("/src/Shout.js")
    assert result is not None and result.map is not None
    lines = result.code.splitlines()
    line_no = next(i for i, line in enumerate(lines) if "toUpperCase" in line)
    found = original_position(result.map, line_no + 1, lines[line_no].index("props.text"))
    assert found is not None and found[1:] == (4, source.splitlines()[3].index("props.text"))


def test_refresh_reset_comment(make_app: t.Callable[..., Flask], root: Path) -> None:
    (root / "src" / "Reset.tsx").write_text(
        "// @refresh reset\nimport { useState } from 'react'\n"
        "export function Reset() { const [n] = useState(0); return <p>{n}</p> }\n")
    code = transformed(make_app(react()), "/src/Reset.tsx")
    assert re.search(r'_s\(Reset, "[^"]+", true\);', code)


def test_jsx_import_source(make_app: t.Callable[..., Flask], root: Path) -> None:
    fake = root / "node_modules" / "fake-jsx"
    fake.mkdir()
    (fake / "package.json").write_text(json.dumps({
        "name": "fake-jsx", "version": "1.0.0",
        "exports": {"./jsx-runtime": "./rt.js", "./jsx-dev-runtime": "./rt.js"}}))
    (fake / "rt.js").write_text("export const jsxDEV = () => null, Fragment = 'f'\n")
    code = transformed(make_app(react(jsx_import_source="fake-jsx")), "/src/App.tsx")
    assert "fake-jsx" in code and "$RefreshReg$" in code


def test_a_module_tokenizer_failure_only_skips_refresh(make_app: t.Callable[..., Flask],
                                                     caplog: pytest.LogCaptureFixture,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from flask_vite.js_scan import ScanError
    from flask_vite.plugins import react as react_module

    def broken(*args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise ScanError("cannot follow this")

    monkeypatch.setattr(react_module, "react_refresh_transform", broken)
    code = transformed(make_app(react()), "/src/App.tsx")
    assert "$RefreshReg$" not in code and "function App()" in code
    assert "React Fast Refresh skipped for" in caplog.text
