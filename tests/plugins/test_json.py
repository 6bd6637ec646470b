from __future__ import annotations

from pathlib import Path

import pytest

from flask_vite.plugins.json import (
    JsonParseError, JsonPlugin, is_json_request, is_legal_identifier, json_to_esm,
)


@pytest.mark.parametrize(
    ("key", "legal"),
    [
        ("name", True), ("_private", True), ("$el", True), ("a1", True), ("camelCase", True),
        ("1a", False), ("a-b", False), ("a b", False), ("", False), ("default", False),
        ("class", False), ("await", False), ("NaN", False), ("Object", False),
        ("undefined", False), ("é", False),
    ],
)
def test_legal_identifiers(key: str, legal: bool) -> None:
    assert is_legal_identifier(key) is legal


@pytest.mark.parametrize(
    ("id", "json"),
    [
        ("/a/x.json", True), ("/a/x.json?v=1", True), ("/a/x.json?raw", False),
        ("/a/x.json?url", False), ("/a/x.json?commonjs-proxy", False), ("/a/x.jsonc", False),
        ("/a/x.json.ts", False),
    ],
)
def test_json_requests(id: str, json: bool) -> None:
    assert is_json_request(id) is json


@pytest.mark.parametrize(
    ("source", "module"),
    [
        ('{"name": "app", "version": "1.0.0"}',
         'export const name = "app";\nexport const version = "1.0.0";\n'
         "export default {\n  name,\n  version,\n};\n"),
        ('{"a-b": 1, "default": true, "ok": [1, {"x": null}]}',
         'export const ok = [1,{"x":null}];\n'
         'export default {\n  "a-b": 1,\n  "default": true,\n  ok,\n};\n'),
        ('\ufeff{"bom": "é"}', 'export const bom = "é";\nexport default {\n  bom,\n};\n'),
        ("[1, 2]", "export default [\n\t1,\n\t2\n];"),
        ('"text"', 'export default "text";'),
        ("null", "export default null;"),
    ],
)
def test_json_to_esm(source: str, module: str) -> None:
    assert json_to_esm(source, "/a/x.json") == module


def test_big_values_use_json_parse() -> None:
    big = "[" + ",".join(['"xxxxxxxxxx"'] * 1000) + "]"
    out = json_to_esm('{"big": ' + big + ', "small": 1}', "/a/x.json")
    assert out.startswith('export const big = /* #__PURE__ */ JSON.parse("[\\"xxxxxxxxxx\\",')
    assert "export const small = 1;" in out
    out = json_to_esm(big, "/a/x.json")
    assert out.startswith('export default /* #__PURE__ */ JSON.parse("[\\"xxxxxxxxxx\\",')


def test_options() -> None:
    assert json_to_esm('{"a": 1}', "f", named_exports=False) == 'export default {\n\t"a": 1\n};'
    assert json_to_esm("[1]", "f", stringify=True) == \
        'export default /* #__PURE__ */ JSON.parse("[1]")'
    assert json_to_esm('{"a": 1}', "f", stringify=False) == \
        "export const a = 1;\nexport default {\n\ta: a\n};\n"


@pytest.mark.parametrize(
    ("source", "line", "column"),
    [
        ('{"a": 1,}', 1, 9),
        ('{\n  "a": 1\n  "b": 2\n}', 3, 3),
        ("{\n  // no comments\n}", 2, 3),
        ('{"a": NaN}', 1, 7),
        ("", 1, 1),
    ],
)
def test_invalid_json_names_the_place(source: str, line: int, column: int) -> None:
    with pytest.raises(JsonParseError) as info:
        json_to_esm(source, "/app/src/data.json")
    error = info.value
    assert (error.file, error.line, error.column) == ("/app/src/data.json", line, column)
    assert f"/app/src/data.json:{line}:{column}" in str(info.value)


def test_through_the_container(pipeline, root: Path) -> None:
    (root / "src" / "data.json").write_text('{"answer": 42, "not-id": "x"}')
    p = pipeline([JsonPlugin()])
    out = p.run(f"{root}/src/data.json")
    assert out.code == \
        'export const answer = 42;\nexport default {\n  answer,\n  "not-id": "x",\n};\n'
    raw = f"{root}/src/data.json?raw"
    assert p.container.transform("{}", raw).code == "{}"  # ?raw belongs to vite:asset


def test_error_through_the_container(pipeline, root: Path) -> None:
    (root / "src" / "bad.json").write_text('{\n  "a": 1,\n}\n')
    p = pipeline([JsonPlugin()])
    with pytest.raises(JsonParseError, match=r"src/bad\.json:3:1"):
        p.run(f"{root}/src/bad.json")
