"""Real server renderers in the runtime: React 19, Preact, Vue 3.

The bundles (see conftest.py) keep ``process.env.NODE_ENV`` checks, so the
runtime's NODE_ENV picks React's and Vue's development or production builds.
"""
from __future__ import annotations

import typing as t

import pytest

from flask_vite.ssr.process import SsrProcess

from .conftest import exports

PROPS = {"name": "Ann", "locale": "de-DE", "prices": [1234.5, 99]}
NBSP = "\xa0"


@pytest.fixture(scope="module")
def production() -> t.Iterator[SsrProcess]:
    process = SsrProcess(timeout=10.0, node_env="production")
    yield process
    process.close()


def check_react_html(html: str) -> None:
    assert html.startswith("<main><h1>Hello <!-- -->Ann<!-- --> 👋</h1>")
    assert '<label for="_R_' in html and "2<!-- --> items" in html
    # Intl with the locale's data: grouping, decimal comma, currency placement.
    assert f'<span class="price">1.234,50{NBSP}€</span>' in html
    assert f'<span class="price">99,00{NBSP}€</span>' in html
    assert "<time>31. Januar 2024</time>" in html


@pytest.mark.parametrize("mode", ["development", "production"])
def test_react_render_to_string(mode: str, proc: SsrProcess, production: SsrProcess,
                                bundles: dict[str, str]) -> None:
    process = proc if mode == "development" else production
    process.define_modules({"/react.js": bundles["react"]})
    check_react_html(process.call("/react.js", "render", args=[PROPS]))
    # The development build warns about things; the production one has no
    # dev-only exports. Either way: a second render reuses the instance.
    check_react_html(process.call("/react.js", "render", args=[PROPS]))


def test_react_render_to_readable_stream_with_suspense(proc: SsrProcess, bundles: dict[str, str]) -> None:
    proc.define_modules({"/react.js": bundles["react"]})
    html = proc.call("/react.js", "renderStream", args=[PROPS])
    assert html.startswith("<div><main><h1>Hello")
    # allReady waited for the timer the suspended component was waiting on.
    assert "<!--$--><p>loaded after 20 ms</p><!--/$-->" in html


def test_react_across_runner_modules(proc: SsrProcess, bundles: dict[str, str]) -> None:
    # Dependencies pre-bundled into one module, the app transformed as Vite
    # would: hooks and the renderer come through __vite_ssr_import__.
    proc.define_modules({
        "/deps/react.js": bundles["react_deps"],
        "/src/Counter.js": exports(Counter="Counter") + (
            'const __vite_ssr_import_0__ = await __vite_ssr_import__("/deps/react.js", {importedNames: ["createElement", "useState"]});\n'
            "function Counter({ start }) {\n"
            "  const [n] = (0, __vite_ssr_import_0__.useState)(start);\n"
            "  return (0, __vite_ssr_import_0__.createElement)('b', null, `count ${n}`);\n"
            "}\n"),
        "/src/entry-server.js": exports(render="render") + (
            'const __vite_ssr_import_0__ = await __vite_ssr_import__("/deps/react.js", {importedNames: ["createElement", "renderToString"]});\n'
            'const __vite_ssr_import_1__ = await __vite_ssr_import__("/src/Counter.js", {importedNames: ["Counter"]});\n'
            "function render(url) {\n"
            "  const h = __vite_ssr_import_0__.createElement;\n"
            "  return (0, __vite_ssr_import_0__.renderToString)(h('div', { 'data-url': url }, h(__vite_ssr_import_1__.Counter, { start: 7 })));\n"
            "}\n"),
    })
    assert proc.call("/src/entry-server.js", "render", args=["/about"]) == '<div data-url="/about"><b>count 7</b></div>'


def test_preact_render_to_string(proc: SsrProcess, bundles: dict[str, str]) -> None:
    proc.define_modules({"/preact.js": bundles["preact"]})
    html = proc.call("/preact.js", "render", args=[{"title": "Todo", "items": ["milk", "bread <3"]}])
    assert html == '<section><h2>Todo</h2><ul><li class="done">milk</li><li class>bread &lt;3</li></ul></section>'


@pytest.mark.parametrize("mode", ["development", "production"])
def test_vue_server_renderer(mode: str, proc: SsrProcess, production: SsrProcess,
                             bundles: dict[str, str]) -> None:
    process = proc if mode == "development" else production
    process.define_modules({"/vue.js": bundles["vue"]})
    expected = '<div class="app"><h1>Hello Ann</h1><p>doubled: 42</p><p>1.234,5</p></div>'
    assert process.call("/vue.js", "render", args=[PROPS]) == expected
    assert process.call("/vue.js", "renderStream", args=[PROPS]) == expected
