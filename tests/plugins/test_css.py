from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from flask_vite.errors import EsbuildError
from flask_vite.plugins.asset import AssetPlugin
from flask_vite.plugins.css import CssError, CssPlugin, css_modules_to_esm, is_css_module

HEAD = ('import { updateStyle as __vite__updateStyle, removeStyle as __vite__removeStyle }'
        ' from "/@vite/client"')


def injected_css(code: str) -> str:
    """The CSS text a client module injects."""
    match = re.search(r"^const __vite__css = (.*)$", code, re.M)
    assert match, code
    return json.loads(match.group(1))


def exported_map(code: str) -> dict[str, str]:
    match = re.search(r"^export default \{\n(.*?)\n\};$", code, re.M | re.S)
    assert match, code
    names = dict(re.findall(r'^export const (\w+) = (".*");$', code, re.M))
    out = {}
    for row in match.group(1).split(",\n"):
        key, _, value = row.strip().partition(": ")
        key = json.loads(key) if key.startswith('"') else key
        out[key] = json.loads(names[value] if value in names else value)
    return out


@pytest.fixture
def styles(root: Path) -> Path:
    src = root / "src"
    (src / "parts").mkdir()
    (src / "App.css").write_text(".app { color: red; }\n")
    (src / "main.css").write_text('@import "./parts/a.css";\n@import "./parts/b.css" screen;\n'
                                  "body { margin: 0 }\n")
    (src / "parts" / "a.css").write_text('@import "./deep.css";\n.a { color: blue }\n')
    (src / "parts" / "deep.css").write_text(".deep { color: green }\n")
    (src / "parts" / "b.css").write_text(".b { background: url(../logo.png) }\n")
    (src / "logo.png").write_bytes(b"\x89PNG")
    (src / "icon.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (root / "public" / "bg.jpg").write_bytes(b"jpg")
    return root


def test_module_shape(pipeline, styles: Path) -> None:
    p = pipeline([CssPlugin()])
    id = f"{styles}/src/App.css"
    out = p.run(id)
    assert out.code == "\n".join([
        HEAD,
        f"const __vite__id = {json.dumps(id)}",
        'const __vite__css = ".app { color: red; }\\n"',
        "__vite__updateStyle(__vite__id, __vite__css)",
        "import.meta.hot.accept()",
        "import.meta.hot.prune(() => __vite__removeStyle(__vite__id))",
    ])
    assert out.map is not None and out.map["mappings"] == ""


def test_imports_are_inlined_and_watched(pipeline, styles: Path) -> None:
    p = pipeline([CssPlugin()])
    css = injected_css(p.run(f"{styles}/src/main.css").code)
    assert css.index(".deep") < css.index(".a {") < css.index("@media screen") < css.index("body")
    assert "@import" not in css
    assert "url(/src/logo.png)" in css  # rewritten relative to the file that has it
    assert p.watched == {f"{styles}/src/parts/{name}.css" for name in ("a", "deep", "b")}


def test_the_transform_input_is_compiled_not_the_file(pipeline, styles: Path) -> None:
    p = pipeline([CssPlugin()])
    out = p.container.transform('@import "./parts/deep.css";\n.changed {}\n',
                                f"{styles}/src/App.css")
    css = injected_css(out.code)
    assert ".changed" in css and ".app" not in css and ".deep" in css


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ("./logo.png", "/src/logo.png"),
        ("logo.png", "/src/logo.png"),  # CSS urls are relative even without ./
        ("'./logo.png?v=1#x'", "/src/logo.png?v=1#x"),
        ("/src/logo.png", "/src/logo.png"),
        ("/bg.jpg", "/bg.jpg"),  # public files keep their URL
        ("data:image/png;base64,AA==", "data:image/png;base64,AA=="),
        ("https://cdn.example/x.png", "https://cdn.example/x.png"),
        ("//cdn.example/x.png", "//cdn.example/x.png"),
        ("#filter", "#filter"),
        ("./missing.png", "./missing.png"),  # left for the browser
        ("./icon.svg", "data:image/svg+xml,%3csvg%20xmlns='http://www.w3.org/2000/svg'/%3e"),
        ("./icon.svg#frag", "/src/icon.svg#frag"),  # sprites are not inlined
    ],
)
def test_url_rewriting(pipeline, styles: Path, value: str, url: str) -> None:
    p = pipeline([CssPlugin()])
    out = p.container.transform(f".x {{ background: url({value}) }}\n", f"{styles}/src/App.css")
    found = re.search(r"url\((.*)\)", injected_css(out.code))
    assert found is not None
    assert found.group(1).strip("\"'") == url


def test_url_rewriting_with_base_and_outside_root(pipeline, styles: Path,
                                                  tmp_path_factory: pytest.TempPathFactory) -> None:
    outside = tmp_path_factory.mktemp("shared")
    (outside / "font.woff2").write_bytes(b"w")
    p = pipeline([CssPlugin()], VITE_BASE="/static/")
    relative = os.path.relpath(outside / "font.woff2", styles / "src")
    code = (f".x {{ background: url(./logo.png), url(/bg.jpg); }}\n"
            f"@font-face {{ src: url({relative}) }}\n")
    css = injected_css(p.container.transform(code, f"{styles}/src/App.css").code)
    assert "url(/static/src/logo.png)" in css and "url(/static/bg.jpg)" in css
    assert f"url(/static/@fs{outside.as_posix()}/font.woff2)" in css


def test_hot_updated_assets_get_a_timestamp(pipeline, styles: Path) -> None:
    p = pipeline([CssPlugin(), AssetPlugin()])
    node = p.env.module_graph.ensure_entry_from_url(f"{styles}/src/logo.png")
    node.last_hmr_timestamp = 1700000000000
    css = injected_css(p.container.transform(".x { background: url(./logo.png) }",
                                             f"{styles}/src/App.css").code)
    assert "url(/src/logo.png?t=1700000000000)" in css


def test_external_imports_stay(pipeline, styles: Path) -> None:
    p = pipeline([CssPlugin()])
    code = '@import "https://fonts.example/css?family=X";\n.x { color: red }\n'
    css = injected_css(p.container.transform(code, f"{styles}/src/App.css").code)
    assert css.startswith('@import "https://fonts.example/css?family=X";')


def test_inline_query(pipeline, styles: Path) -> None:
    p = pipeline([CssPlugin()])
    out = p.run(f"{styles}/src/App.css?inline")
    assert out.code == 'export default ".app { color: red; }\\n"'


def test_direct_request_is_css(pipeline, styles: Path) -> None:
    p = pipeline([CssPlugin()])
    out = p.run(f"{styles}/src/main.css?direct")
    assert out.meta["content_type"] == "text/css"
    assert out.code.startswith("/* src/parts/deep.css */\n.deep {")
    assert out.map is not None
    assert f"{styles}/src/parts/deep.css" in out.map["sources"]
    plain = p.run(f"{styles}/src/App.css?direct")
    assert plain.code == ".app { color: red; }\n" and plain.meta["content_type"] == "text/css"


def test_dev_sourcemap(pipeline, styles: Path) -> None:
    p = pipeline([CssPlugin(dev_sourcemap=True)])
    css = injected_css(p.run(f"{styles}/src/main.css").code)
    assert "\n/*# sourceMappingURL=data:application/json;base64," in css


def test_ssr(pipeline, styles: Path) -> None:
    p = pipeline([CssPlugin()], ssr=True)
    assert p.run(f"{styles}/src/main.css").code == "export {}"
    assert p.run(f"{styles}/src/App.css?inline").code == 'export default ".app { color: red; }\\n"'


@pytest.fixture
def modules(styles: Path) -> Path:
    src = styles / "src"
    (src / "Button.module.css").write_text(
        '.root { composes: base from "./parts/base.module.css"; color: red }\n'
        ".is-active { composes: root; background: url(./logo.png) }\n"
        ":global(.page) { margin: 0 }\n"
        "@keyframes spin { from { opacity: 0 } }\n"
        ".class { animation: spin 1s }\n")
    (src / "parts" / "base.module.css").write_text(".base { padding: 0 }\n")
    (src / "parts" / "Button.module.css").write_text(".root { color: blue }\n")
    return styles


def test_css_modules(pipeline, modules: Path) -> None:
    p = pipeline([CssPlugin()])
    id = f"{modules}/src/Button.module.css"
    out = p.run(id)
    classes = exported_map(out.code)
    assert list(classes) == ["root", "is-active", "spin", "class"]  # source order
    root, base = classes["root"].split()[::-1]
    assert base.endswith("_base") and root.endswith("_root") and root.startswith("Button_")
    assert classes["is-active"] == f"{base} {root} {classes['is-active'].split()[-1]}"
    # named exports only for names that can be identifiers
    assert re.findall(r"^export const (\w+) =", out.code, re.M) == ["root", "spin"]
    css = injected_css(out.code)
    assert f".{root} {{" in css and ".page {" in css and "url(/src/logo.png)" in css
    assert "import.meta.hot.accept()" not in out.code  # importers hold the class names
    assert out.code.startswith(HEAD) and "__vite__removeStyle(__vite__id))" in out.code
    assert p.watched == {f"{modules}/src/parts/base.module.css"}


def test_css_modules_with_the_same_file_name_do_not_clash(pipeline, modules: Path) -> None:
    p = pipeline([CssPlugin()])
    a = exported_map(p.run(f"{modules}/src/Button.module.css").code)["root"].split()[-1]
    b = exported_map(p.run(f"{modules}/src/parts/Button.module.css").code)["root"]
    assert a != b
    again = exported_map(p.run(f"{modules}/src/parts/Button.module.css").code)["root"]
    assert again == b  # stable across builds


def test_css_modules_ssr_and_inline(pipeline, modules: Path) -> None:
    p = pipeline([CssPlugin()], ssr=True)
    out = p.run(f"{modules}/src/parts/Button.module.css")
    assert out.code.startswith('export const root = "Button_') and "updateStyle" not in out.code
    client = pipeline([CssPlugin()])
    inline = client.run(f"{modules}/src/parts/Button.module.css?inline").code
    assert inline.startswith('export default "/* src/parts/Button.module.css */\\n.Button_')


@pytest.mark.parametrize(
    ("modules", "code"),
    [
        ({"a": "x_a", "b-c": "x_b-c"}, 'export const a = "x_a";\nexport default {\n\ta: a,\n'
                                       '\t"b-c": "x_b-c"\n};\n'),
        ({"class": "x_class"}, 'export default {\n\t"class": "x_class"\n};\n'),
        ({}, "export default {\n\t\n};\n"),
    ],
)
def test_css_modules_to_esm(modules: dict[str, str], code: str) -> None:
    assert css_modules_to_esm(modules) == code


@pytest.mark.parametrize(
    ("id", "module"),
    [("/a/x.module.css", True), ("/a/x.module.css?inline", True), ("/a/x.css", False),
     ("/a/module.css", False), ("/a/x.module.scss", True)],
)
def test_is_css_module(id: str, module: bool) -> None:
    assert is_css_module(id) is module


def test_special_queries_are_not_css_modules(pipeline, styles: Path) -> None:
    p = pipeline([CssPlugin()])
    for query in ("?raw", "?url", "?worker"):
        code = ".app{}"
        assert p.container.transform(code, f"{styles}/src/App.css{query}").code == code
    with pytest.raises(CssError, match=r"\?url is not supported with CSS modules"):
        p.container.load(f"{styles}/src/x.module.css?url")


def test_preprocessors_are_refused(pipeline, styles: Path) -> None:
    p = pipeline([CssPlugin()])
    with pytest.raises(CssError, match=r"App\.scss: \.scss files need a preprocessor"):
        p.container.transform("$a: 1;", f"{styles}/src/App.scss")


def test_missing_import_names_the_file_and_line(pipeline, styles: Path) -> None:
    p = pipeline([CssPlugin()])
    with pytest.raises(EsbuildError) as info:
        p.container.transform('/* first */\n@import "./nope.css";\n', f"{styles}/src/App.css")
    (error,) = info.value.errors
    assert (error.file, error.line) == (f"{styles}/src/App.css", 2)
    assert "nope.css" in error.text


@pytest.mark.parametrize(("css", "line", "text"), [
    # esbuild's locations: an unclosed block is reported at the end of the file.
    (".app { color: red;\n", 2, 'Expected "}" to go with "{"'),
    (".app { color: red; }\n}\n", 2, 'Unexpected "}"'),
    ("@media (min-width: 1px {\n  .app { color: red }\n}\n", 4, 'Expected ")"'),
    # The same through the compiling path (an @import makes it a bundle).
    ('@import "./parts/a.css";\n.app { color: red;\n', 3, 'Expected "}" to go with "{"'),
])
def test_css_syntax_errors_fail_the_transform(pipeline, styles: Path, css: str, line: int,
                                             text: str) -> None:
    # esbuild repairs these and warns; Vite (PostCSS) fails, so the overlay shows them.
    p = pipeline([CssPlugin()])
    with pytest.raises(EsbuildError) as info:
        p.container.transform(css, f"{styles}/src/App.css")
    error = info.value.errors[0]
    assert (error.file, error.line) == (f"{styles}/src/App.css", line)
    assert text in error.text


def test_unknown_properties_stay_warnings(pipeline, styles: Path,
                                          caplog: pytest.LogCaptureFixture) -> None:
    p = pipeline([CssPlugin()])
    p.container.transform(".app { colr: red }\n", f"{styles}/src/App.css")
    assert any('"colr" is not a known CSS property' in r.getMessage() for r in caplog.records)


def test_errors_in_css_modules_name_the_real_file(pipeline, modules: Path) -> None:
    p = pipeline([CssPlugin()])
    with pytest.raises(EsbuildError) as info:
        p.container.transform('.a { composes: x from "./missing.module.css" }\n',
                              f"{modules}/src/Button.module.css")
    assert info.value.errors[0].file == f"{modules}/src/Button.module.css"


def test_postcss_config_warns_once(pipeline, styles: Path,
                                   caplog: pytest.LogCaptureFixture) -> None:
    (styles / "postcss.config.js").write_text("module.exports = {}")
    p = pipeline([CssPlugin()])
    p.run(f"{styles}/src/App.css")
    p.run(f"{styles}/src/App.css?inline")
    assert sum("PostCSS plugins" in r.getMessage() for r in caplog.records) == 1


def test_warnings_name_the_real_file(pipeline, modules: Path,
                                     caplog: pytest.LogCaptureFixture) -> None:
    p = pipeline([CssPlugin()])
    p.container.transform('.a { color: red }\n@import "./parts/base.module.css";\n',
                          f"{modules}/src/Button.module.css")
    (message,) = [r.getMessage() for r in caplog.records if "@import" in r.getMessage()]
    assert f"{modules}/src/Button.module.css:2:0: All \"@import\" rules must come first" in message


def test_package_stylesheets_use_the_style_condition(pipeline, styles: Path) -> None:
    pkg = styles / "node_modules" / "ui"
    pkg.mkdir(parents=True)
    (pkg / "package.json").write_text(json.dumps({
        "name": "ui", "exports": {".": {"style": "./ui.css", "default": "./index.js"},
                                  "./*": "./*"}}))
    (pkg / "ui.css").write_text(".ui { color: red }\n")
    (pkg / "reset.css").write_text(".reset { margin: 0 }\n")
    (pkg / "index.js").write_text("export {}\n")
    p = pipeline([CssPlugin()])
    out = p.container.transform('@import "ui";\n@import "ui/reset.css";\n',
                                f"{styles}/src/App.css")
    css = injected_css(out.code)
    assert ".ui {" in css and ".reset {" in css
