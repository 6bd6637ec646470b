from __future__ import annotations

from pathlib import Path

import pytest

from flask_vite.errors import EsbuildError
from flask_vite.plugins.define import DefinePlugin


@pytest.fixture(autouse=True)
def no_node_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NODE_ENV", raising=False)


def transform(pipeline, root: Path, code: str, plugin: DefinePlugin | None = None, *,
              id: str = "src/main.js", ssr: bool = False, **settings):
    p = pipeline([plugin or DefinePlugin()], ssr=ssr, **settings)
    return p.container.transform(code, f"{root}/{id}")


@pytest.mark.parametrize(
    ("settings", "value"),
    [({"VITE_DEV": True}, "development"), ({"VITE_DEV": False}, "production"),
     ({"VITE_DEV": False, "VITE_MODE": "staging"}, "production")],
)
def test_node_env(pipeline, root: Path, settings: dict[str, object], value: str) -> None:
    out = transform(pipeline, root, "x(process.env.NODE_ENV)\n", **settings)
    assert out.code == f'x("{value}");\n'
    assert out.map is not None and out.map["sources"] == [f"{root}/src/main.js"]


@pytest.mark.parametrize("ssr", [False, True])
def test_node_env_forms(pipeline, root: Path, ssr: bool) -> None:
    code = ("f(process.env.NODE_ENV, process?.env?.NODE_ENV, globalThis.process.env.NODE_ENV,"
            " global.process.env.NODE_ENV)\n")
    out = transform(pipeline, root, code, ssr=ssr)
    assert out.code == 'f("development", "development", "development", "development");\n'


@pytest.mark.parametrize(
    ("value", "replaced"),
    [
        ('"1.2.0"', '"1.2.0"'),  # a str is an expression: here a string literal
        ("1.2", "1.2"),
        ("window.location", "window.location"),
        ("1 + 1", "(1 + 1)"),  # not an esbuild define value: replaced after the transform
        (True, "true"),  # other values are JSON
        (3, "3"),
        (None, "null"),
    ],
)
def test_user_defines(pipeline, root: Path, value: object, replaced: str) -> None:
    out = transform(pipeline, root, "console.log(__APP__);\n", DefinePlugin({"__APP__": value}))
    assert out.code == f"console.log({replaced});\n"


def test_object_values(pipeline, root: Path) -> None:
    out = transform(pipeline, root, "console.log(__CFG__.a);\n",
                    DefinePlugin({"__CFG__": {"a": [1]}}))
    # esbuild hoists an object value into a variable
    assert out.code == "var define_CFG_default = { a: [1] };\nconsole.log(define_CFG_default.a);\n"


def test_import_meta_env_members(pipeline, root: Path) -> None:
    out = transform(pipeline, root, "fetch(import.meta.env.API + '/x')\n",
                    DefinePlugin({"import.meta.env.API": '"/api"'}))
    assert out.code == 'fetch("/api/x");\n'


def test_user_node_env_wins(pipeline, root: Path) -> None:
    out = transform(pipeline, root, "x(process.env.NODE_ENV)\n",
                    DefinePlugin({"process.env.NODE_ENV": '"test"'}))
    assert out.code == 'x("test");\n'


@pytest.mark.parametrize(
    "id",
    ["src/style.css", "src/data.json", "index.html", "src/logo.svg", "src/main.js?raw",
     "src/notes.txt"],
)
def test_non_js_modules_are_skipped(pipeline, root: Path, id: str) -> None:
    code = "process.env.NODE_ENV"
    assert transform(pipeline, root, code, id=id).code == code


def test_code_without_keys_is_untouched(pipeline, root: Path) -> None:
    code = "// formatting   kept\nconst   a=1\n"
    out = transform(pipeline, root, code, DefinePlugin({"__X__": 1}))
    assert out.code == code and out.map is None


def test_syntax_errors_name_the_place(pipeline, root: Path) -> None:
    with pytest.raises(EsbuildError) as info:
        transform(pipeline, root, "const a = process.env.NODE_ENV\nconst = 1\n")
    (error,) = info.value.errors
    assert (error.file, error.line) == (f"{root}/src/main.js", 2)
