"""``vite:json``: ``import data from "./data.json"`` as an ES module.

As Vite's JS JSON plugin (``plugins/json.ts`` before Vite moved it into
Rolldown): for a top-level object, every key that is a valid JavaScript
identifier also becomes a named export (``json.namedExports``), so
``import { version } from "./package.json"`` works and tree-shakes; values
and documents over 10 kB are emitted as ``JSON.parse("...")``, which engines
parse faster than an object literal (``json.stringify: "auto"``).
"""
from __future__ import annotations

import json
import re
import typing as t

from ..errors import ViteError
from ..plugin import LoadResult, LoadReturn, Plugin, PluginContext
from ..server.urls import clean_url

__all__ = ["JsonParseError", "JsonPlugin", "is_json_request", "is_legal_identifier", "json_to_esm"]

# Vite's jsonExtRE (not the CommonJS proxies of @rollup/plugin-commonjs).
_JSON_EXT_RE = re.compile(r"\.json(?:$|\?)(?!commonjs-(?:proxy|external))")
# Vite's SPECIAL_QUERY_RE: ?raw and ?url imports belong to vite:asset.
_SPECIAL_QUERY_RE = re.compile(r"[?&](?:worker|sharedworker|raw|url)\b")
_INLINE_RE = re.compile(r"[?&](?:no-)?inline\b")
_JSON_OBJECT_RE = re.compile(r"^\s*\{")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_IDENTIFIER_RE = re.compile(r"^[$_a-zA-Z][$_a-zA-Z0-9]*$")
#: Rollup's ``makeLegalIdentifier`` prefixes these with ``_``, so they never
#: become export names (reserved words and well-known globals).
_FORBIDDEN_IDENTIFIERS = frozenset((
    "break case class catch const continue debugger default delete do else export extends"
    " finally for function if import in instanceof let new return super switch this throw"
    " try typeof var void while with yield enum await implements package protected static"
    " interface private public"
    " arguments Infinity NaN undefined null true false eval uneval isFinite isNaN parseFloat"
    " parseInt decodeURI decodeURIComponent encodeURI encodeURIComponent escape unescape"
    " Object Function Boolean Symbol Error EvalError InternalError RangeError ReferenceError"
    " SyntaxError TypeError URIError Number Math Date String RegExp Array Int8Array"
    " Uint8Array Uint8ClampedArray Int16Array Uint16Array Int32Array Uint32Array Float32Array"
    " Float64Array Map Set WeakMap WeakSet SIMD ArrayBuffer DataView JSON Promise Generator"
    " GeneratorFunction Reflect Proxy Intl"
).split())
#: Above this size (UTF-16 code units, as JavaScript counts) a value is
#: emitted as ``JSON.parse("...")``: https://v8.dev/blog/cost-of-javascript-2019
STRINGIFY_THRESHOLD = 10 * 1000


class JsonParseError(ViteError):
    """A ``.json`` module is not valid JSON. Names the file, line and column."""

    code = "JSON_PARSE"

    def __init__(self, file: str, line: int, column: int, reason: str) -> None:
        super().__init__(f"Failed to parse JSON file {file}:{line}:{column}: {reason}."
                         " Fix the syntax there (JSON allows no comments or trailing commas).")
        self.file = file
        self.line = line
        self.column = column


def is_json_request(id: str) -> bool:
    """Whether ``id`` is a JSON module this plugin turns into JavaScript."""
    return bool(_JSON_EXT_RE.search(id)) and not _SPECIAL_QUERY_RE.search(id)


def is_legal_identifier(key: str) -> bool:
    """Whether ``key`` can be an export name as it is (``key == makeLegalIdentifier(key)``)."""
    return bool(_IDENTIFIER_RE.match(key)) and key not in _FORBIDDEN_IDENTIFIERS


def _utf16_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def _stringify(value: t.Any, indent: str | None = None) -> str:
    """``JSON.stringify`` of a parsed JSON value (non-ASCII kept as it is)."""
    if indent is None:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    else:
        text = json.dumps(value, ensure_ascii=False, indent=indent)
    # A lone surrogate ("\ud800" in the source) is escaped again, as
    # JSON.stringify does; raw, it could not be encoded as UTF-8.
    return _SURROGATE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _serialize_value(value: t.Any) -> str:
    text = _stringify(value)
    if isinstance(value, (dict, list)) and _utf16_len(text) > STRINGIFY_THRESHOLD:
        return f"/* #__PURE__ */ JSON.parse({_stringify(text)})"
    return text


def _reject_constant(name: str) -> t.NoReturn:
    # Python accepts NaN and Infinity; JSON.parse does not.
    raise ValueError(f"{name} is not valid JSON")


def parse_json(text: str, file: str) -> t.Any:
    """``JSON.parse`` with a :class:`JsonParseError` naming ``file`` on failure."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise JsonParseError(file, e.lineno, e.colno, e.msg) from None
    except ValueError as e:  # NaN / Infinity: find where it is
        match = re.search(r"(?<![\w\"])-?(?:NaN|Infinity)\b", text)
        pos = match.start() if match else 0
        line = text.count("\n", 0, pos) + 1
        column = pos - (text.rfind("\n", 0, pos) + 1) + 1
        raise JsonParseError(file, line, column, str(e)) from None


def json_to_esm(text: str, file: str, *, named_exports: bool = True,
                stringify: bool | t.Literal["auto"] = "auto") -> str:
    """The ES module for a JSON document (the pure part of the plugin).

    :param text: The JSON text (a leading BOM is ignored).
    :param file: Named in the error when ``text`` is not valid JSON.
    :raises JsonParseError: for invalid JSON.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    parsed = parse_json(text, file)
    if stringify is not False:
        if named_exports and _JSON_OBJECT_RE.match(text):
            assert isinstance(parsed, dict)
            code: list[str] = []
            default = ["{\n"]
            for key, value in parsed.items():
                if is_legal_identifier(key):
                    code.append(f"export const {key} = {_serialize_value(value)};\n")
                    default.append(f"  {key},\n")
                else:
                    default.append(f"  {_stringify(key)}: {_serialize_value(value)},\n")
            default.append("}")
            return "".join(code) + f"export default {''.join(default)};\n"
        if stringify is True or _utf16_len(text) > STRINGIFY_THRESHOLD:
            return f"export default /* #__PURE__ */ JSON.parse({_stringify(text)})"
    # Rollup's dataToEsm: named exports for an object's legal keys, else one default.
    if named_exports and isinstance(parsed, dict):
        code = []
        rows = []
        for key, value in parsed.items():
            if is_legal_identifier(key):
                code.append(f"export const {key} = {_stringify(value, chr(9))};\n")
                rows.append(f"{key}: {key}")
            else:
                rows.append(f"{_stringify(key)}: {_stringify(value, chr(9))}")
        return "".join(code) + "export default {\n\t" + ",\n\t".join(rows) + "\n};\n"
    return f"export default {_stringify(parsed, chr(9))};"


class JsonPlugin(Plugin):
    """``vite:json``.

    :param named_exports: Vite's ``json.namedExports``.
    :param stringify: Vite's ``json.stringify``: ``"auto"`` emits
        ``JSON.parse(...)`` for documents over 10 kB, ``True`` always,
        ``False`` never.
    """

    name = "vite:json"

    def __init__(self, *, named_exports: bool = True,
                 stringify: bool | t.Literal["auto"] = "auto") -> None:
        if stringify not in (True, False, "auto"):
            raise ValueError("JsonPlugin(stringify=...) must be True, False or 'auto',"
                             f" not {stringify!r}")
        self.named_exports = named_exports
        self.stringify = stringify

    def transform(self, ctx: PluginContext, code: str, id: str) -> LoadReturn:
        if id.startswith("\0") or not is_json_request(id):
            return None
        if _INLINE_RE.search(id):
            ctx.warn("Using ?inline or ?no-inline for JSON imports will have no effect."
                     " Please use ?url&inline or ?url&no-inline to control JSON file inlining"
                     f" behavior ({clean_url(id)}).")
        out = json_to_esm(code, clean_url(id), named_exports=self.named_exports,
                          stringify=self.stringify)
        return LoadResult(out, {"mappings": ""})

