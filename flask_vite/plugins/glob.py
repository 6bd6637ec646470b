"""``vite:import-glob``: ``import.meta.glob("./pages/*.ts")`` expanded at serve time.

As Vite's ``plugins/importMetaGlob.ts``: each call becomes an object from
path to module — lazy ``() => import("./pages/a.ts")`` by default, or, with
``{ eager: true }``, a namespace imported at the top of the module
(``import * as __vite_glob_0_0 from "./pages/a.ts"``). Keys are written as
the patterns were: ``./pages/a.ts`` for relative patterns, ``/src/pages/a.ts``
for root-absolute ones, relative to ``base`` when given. The arguments must
be literals, since they are read without running the code.

Files are matched with picomatch's rules (:mod:`flask_vite.glob_match`):
``node_modules`` and dot folders are left out unless ``exhaustive: true``.
The resolved patterns are recorded on the module (``meta["import_glob"]``,
a list of :class:`GlobRecord`) so a file added or removed later can
invalidate the importer.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import posixpath
import re
import threading
import typing as t
from urllib.parse import quote

from ..errors import ViteError
from ..glob_match import common_base, escape_path, matcher, walk
from ..js_literals import UNDEFINED, NotLiteral, parse_literal, skip_space, strip_literals
from ..plugin import LoadResult, LoadReturn, Plugin, PluginContext, ResolveOptions
from ..server.urls import clean_url
from ..string_edit import StringEdit

__all__ = ["GlobRecord", "ImportGlobError", "ImportGlobPlugin", "transform_glob_import"]

_IMPORT_GLOB_RE = re.compile(r"\bimport\.meta\.glob(?:<\w+>)?\s*\(")
_OBJECT_KEYS_RE = re.compile(r"\bObject\.keys\(\s*$")
_OBJECT_VALUES_RE = re.compile(r"\bObject\.values\(\s*$")
_IMPORT_PREFIX = "__vite_glob_"
#: Each option and the JavaScript types (``typeof``) it takes.
_KNOWN_OPTIONS: dict[str, tuple[str, ...]] = {
    "as": ("string",), "eager": ("boolean",), "import": ("string",),
    "exhaustive": ("boolean",), "query": ("object", "string"), "base": ("string",),
    "caseSensitive": ("boolean",),
}
# ``as: 'raw' | 'url'`` (the deprecated form) implies ``import: 'default'``.
_FORCE_DEFAULT_AS = ("raw", "url")


class ImportGlobError(ViteError):
    """An ``import.meta.glob`` call Vite cannot expand. Names the file and line."""

    code = "IMPORT_GLOB"

    def __init__(self, message: str, file: str, line: int, column: int) -> None:
        super().__init__(f"{message} ({file}:{line}:{column})")
        self.file = file
        self.line = line
        self.column = column


@dataclasses.dataclass(frozen=True)
class GlobRecord:
    """The patterns of one ``import.meta.glob`` call, for hot updates.

    :attr:`patterns` are absolute (``!`` for negated ones, glob characters of
    the folders escaped); :meth:`matches` says whether a file added or removed
    at some path changes the call's result.
    """

    #: The folder searched (the patterns' common base).
    base: str
    patterns: tuple[str, ...]
    exhaustive: bool = False
    case_sensitive: bool = True

    def matches(self, file: str) -> bool:
        """Whether ``file`` (absolute, posix) is one the call would import."""
        return self._matcher(file)

    @functools.cached_property
    def _matcher(self) -> t.Callable[[str], bool]:
        return matcher(self.patterns, dot=self.exhaustive, case_sensitive=self.case_sensitive,
                       ignore_node_modules=not self.exhaustive, base=self.base)


@dataclasses.dataclass
class _Call:
    index: int
    start: int
    end: int
    globs: list[str]
    options: dict[str, t.Any]
    only_keys: bool
    only_values: bool


def _position(code: str, pos: int) -> tuple[int, int]:
    line = code.count("\n", 0, pos) + 1
    return line, pos - (code.rfind("\n", 0, pos) + 1) + 1


def _js_type(value: t.Any) -> str:
    """JavaScript's ``typeof`` for a parsed literal."""
    if value is UNDEFINED:
        return "undefined"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (int, float)):
        return "number"
    return "object"  # dicts, lists and null


def _encode_query_value(text: str) -> str:
    # ufo's encodeQueryValue: encodeURI, then the characters a query value must not carry.
    out = quote(text, safe=";,/?:@&=+$-_.!~*'()#")
    return (out.replace("+", "%2B").replace("%20", "+").replace("#", "%23")
            .replace("&", "%26").replace("%60", "`").replace("%5E", "^")
            .replace("/", "%2F").replace("%7C", "|"))


def stringify_query(query: t.Mapping[str, t.Any]) -> str:
    """ufo's ``stringifyQuery`` for the scalar values glob options allow."""
    parts = []
    for key, value in query.items():
        if value is UNDEFINED:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (int, float)):
            value = _js_number(value)
        encoded_key = _encode_query_value(key).replace("=", "%3D")
        parts.append(f"{encoded_key}={_encode_query_value(value)}" if value else encoded_key)
    return "&".join(parts)


def _js_number(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


class _Parser:
    """Reads the ``import.meta.glob`` calls of one module."""

    def __init__(self, code: str, file: str) -> None:
        self.code = code
        self.file = file
        self.clean = strip_literals(code)

    def error(self, message: str, pos: int) -> ImportGlobError:
        line, column = _position(self.code, pos)
        return ImportGlobError(message, self.file, line, column)

    def calls(self) -> list[_Call]:
        calls = []
        for index, match in enumerate(_IMPORT_GLOB_RE.finditer(self.clean)):
            calls.append(self._call(index, match))
        return calls

    def _close_paren(self, open_pos: int) -> int:
        depth = 1
        for pos in range(open_pos, len(self.clean)):
            c = self.clean[pos]
            if c in "([{":
                depth += 1
            elif c in ")]}":
                depth -= 1
                if depth == 0:
                    return pos if c == ")" else -1
        return -1

    def _args(self, start: int, open_pos: int, close: int) -> list[tuple[t.Any, int, str]]:
        """Each argument as (value or UNDEFINED, offset, kind of a non-literal)."""
        args: list[tuple[t.Any, int, str]] = []
        pos = skip_space(self.code, open_pos)
        while pos < close:
            try:
                value, end = parse_literal(self.code, pos)
                kind = ""
            except NotLiteral as e:
                value, kind = UNDEFINED, e.kind if e.pos == pos else "expression"
                if e.kind == "template" and e.pos == pos:
                    raise self.error("Invalid glob import syntax: Expected glob to be a string,"
                                     " but got dynamic template literal", start) from None
                end = self._skip_expression(pos, close)
            args.append((value, pos, kind))
            pos = skip_space(self.code, end)
            if pos < close and self.code[pos] == ",":
                pos = skip_space(self.code, pos + 1)
            elif pos < close:
                raise self.error("Invalid glob import syntax: Could only use literals", start)
        return args

    def _skip_expression(self, pos: int, close: int) -> int:
        depth = 0
        while pos < close:
            c = self.clean[pos]
            if c in "([{":
                depth += 1
            elif c in ")]}":
                depth -= 1
            elif c == "," and depth == 0:
                break
            pos += 1
        return pos

    def _call(self, index: int, match: re.Match[str]) -> _Call:
        start = match.start()
        close = self._close_paren(match.end())
        if close < 0:
            raise self.error("Invalid glob import syntax: Close parenthesis not found", start)
        args = self._args(start, match.end(), close)
        if not 1 <= len(args) <= 2:
            raise self.error("Invalid glob import syntax: Expected 1-2 arguments, but got"
                             f" {len(args)}", start)
        globs: list[str] = []
        first, _, kind = args[0]
        for item in (first if isinstance(first, list) and not kind else [first]):
            if kind:
                raise self.error("Invalid glob import syntax: Could only use literals", start)
            if item is UNDEFINED and isinstance(first, list):
                continue  # an array hole
            if not isinstance(item, str):
                raise self.error("Invalid glob import syntax: Expected glob to be a string,"
                                 f' but got "{_js_type(item)}"', start)
            globs.append(item)
        options: dict[str, t.Any] = {}
        if len(args) == 2:
            value, pos, kind = args[1]
            if self.code[pos] != "{":
                got = kind or _js_type(value)
                raise self.error("Invalid glob import syntax: Expected the second argument to be"
                                 f' an object literal, but got "{got}"', start)
            if kind:
                raise self.error("Vite is unable to parse the glob options as the value is"
                                 " not static", pos)
            options = self._options(value, pos)
        before = self.clean[:start]
        only_keys = bool(_OBJECT_KEYS_RE.search(before))
        only_values = not only_keys and bool(_OBJECT_VALUES_RE.search(before))
        return _Call(index, start, close + 1, globs, options, only_keys, only_values)

    def _options(self, opts: dict[str, t.Any], pos: int) -> dict[str, t.Any]:
        """Vite's ``parseGlobOptions``: check types, normalise ``as`` and ``query``."""
        for key, value in opts.items():
            if key not in _KNOWN_OPTIONS:
                raise self.error(f'Unknown glob option "{key}"', pos)
            allowed = _KNOWN_OPTIONS[key]
            if _js_type(value) not in allowed:
                raise self.error(f'Expected glob option "{key}" to be of type'
                                 f" {' or '.join(allowed)}, but got {_js_type(value)}", pos)
        base = opts.get("base")
        if base:
            if base.startswith("!"):
                raise self.error('Option "base" cannot start with "!"', pos)
            if not base.startswith(("/", "./", "../")):
                raise self.error("Option \"base\" must start with '/', './' or '../', but got"
                                 f' "{base}"', pos)
        query = opts.get("query")
        if isinstance(query, dict):
            for key, value in query.items():
                if _js_type(value) not in ("string", "number", "boolean"):
                    raise self.error(f'Expected glob option "query.{key}" to be of type string,'
                                     f" number, or boolean, but got {_js_type(value)}", pos)
            opts["query"] = stringify_query(query)
        elif query is None and "query" in opts:
            opts["query"] = ""
        as_ = opts.get("as")
        if as_ in _FORCE_DEFAULT_AS:
            if opts.get("import") not in (None, "default", "*"):
                raise self.error(f'Option "import" can only be "default" or "*" when "as" is'
                                 f' "{as_}", but got "{opts["import"]}"', pos)
            opts["import"] = opts.get("import") or "default"
        if as_ and opts.get("query"):
            raise self.error('Options "as" and "query" cannot be used together', pos)
        if as_:
            opts["query"] = as_
        if opts.get("query") and not opts["query"].startswith("?"):
            opts["query"] = "?" + opts["query"]
        return opts


def _is_virtual(id: str) -> bool:
    # Vite's convention: virtual:…, \0… or no path at all.
    return id.startswith("virtual:") or id.startswith("\0") or "/" not in id


def _dot_prefixed(path: str) -> str:
    return path if path.startswith(("./", "../")) else "./" + path


def _glob_safe_resolved(resolved: str, glob: str) -> str:
    """Escape the part of a resolved pattern that the resolver added (the
    folder), keeping the user's wildcards (Vite's ``globSafeResolvedPath``)."""
    same = 0
    while same < min(len(resolved), len(glob)) and resolved[-1 - same] == glob[-1 - same]:
        same += 1
    cut = len(resolved) - same
    return escape_path(resolved[:cut]) + resolved[cut:]


def _join(*parts: str) -> str:
    return posixpath.normpath(posixpath.join(*parts))


def to_absolute_glob(ctx: PluginContext | None, glob: str, root: str, importer: str | None,
                     base: str | None) -> str:
    """An absolute pattern for ``glob`` (Vite's ``toAbsoluteGlob``)."""
    negated = glob.startswith("!")
    pre = "!" if negated else ""
    if negated:
        glob = glob[1:]
    safe_root = escape_path(root)
    # Node's posix.join normalises ("a/./b/../c" → "a/c"); so do we.
    if base:
        if base.startswith("/"):
            folder = _join(safe_root, base[1:])
        else:
            folder = _join(escape_path(posixpath.dirname(importer)) if importer else safe_root,
                           base)
    else:
        folder = escape_path(posixpath.dirname(importer)) if importer else safe_root
    if glob.startswith("/"):
        return pre + _join(safe_root, glob[1:])
    if glob.startswith("./"):
        return pre + _join(folder, glob[2:])
    if glob.startswith("../"):
        return pre + _join(folder, glob)
    if glob.startswith("**"):
        # Vite passes these on as they are (relative to the search folder); we
        # anchor them at the root, so a search never starts at "/".
        return pre + _join(safe_root, glob)
    resolved: str | None = None
    if ctx is not None:
        sub_imports = glob.startswith("#") and "*" in glob
        found = ctx.resolve(glob, importer, options=ResolveOptions(
            ssr=ctx.ssr, custom={"vite:import-glob": {"isSubImportsPattern": sub_imports}}))
        resolved = found.id if found is not None else None
    resolved = (resolved or glob).replace("\\", "/")
    if resolved.startswith("/"):
        return pre + _glob_safe_resolved(resolved, glob)
    raise ValueError(f'Invalid glob: "{glob}" (resolved: "{resolved}"). It must start with'
                     " '/' or './'")


def transform_glob_import(code: str, id: str, root: str, ctx: PluginContext | None = None
                          ) -> tuple[str, dict[str, t.Any] | None, list[GlobRecord]] | None:
    """Expand the ``import.meta.glob`` calls of a module.

    :returns: ``(code, source map, records)``, or ``None`` when there are no calls.
    :raises ImportGlobError: for a call that cannot be read.
    """
    file = clean_url(id)
    parser = _Parser(code, file)
    calls = parser.calls()
    if not calls:
        return None
    virtual = _is_virtual(id)
    folder = None if virtual else posixpath.dirname(file)
    root = root.rstrip("/") or "/"
    edit = StringEdit(code)
    static_imports: list[str] = []
    records: list[GlobRecord] = []
    for call in calls:
        options = call.options
        is_relative = all(g[:1] in (".", "!") for g in call.globs)
        base_option = options.get("base")
        if folder is None and not base_option and is_relative:
            raise parser.error("In virtual modules, all globs must start with '/'", call.start)
        try:
            resolved = [to_absolute_glob(ctx, g, root, None if virtual else file, base_option)
                        for g in call.globs]
        except ValueError as e:
            raise parser.error(str(e), call.start) from None
        exhaustive = bool(options.get("exhaustive"))
        case_sensitive = options.get("caseSensitive", True)
        search = common_base(resolved) or root
        found = walk(search, resolved, dot=exhaustive, case_sensitive=case_sensitive,
                     ignore_node_modules=not exhaustive)
        files = sorted(f for f in found if f != file)
        records.append(GlobRecord(search, tuple(resolved), exhaustive, case_sensitive))
        props: list[str] = []
        query = options.get("query") or ""
        import_key = options.get("import") if options.get("import") not in (None, "*") else None
        for i, path in enumerate(files):
            file_key, import_path = _paths(path, folder, root, base_option, is_relative)
            if call.only_keys:
                props.append(f"{json.dumps(file_key)}: 0")
                continue
            import_path += query
            if options.get("eager"):
                name = f"{_IMPORT_PREFIX}{call.index}_{i}"
                binding = f"{{ {import_key} as {name} }}" if import_key else f"* as {name}"
                static_imports.append(f"import {binding} from {json.dumps(import_path)}")
                props.append(name if call.only_values else f"{json.dumps(file_key)}: {name}")
            else:
                statement = f"import({json.dumps(import_path)})"
                if import_key:
                    statement += f".then(m => m[{json.dumps(import_key)}])"
                props.append(f"() => {statement}" if call.only_values
                             else f"{json.dumps(file_key)}: () => {statement}")
        # Keep the line count, so later lines keep their numbers.
        breaks = "\n" * code.count("\n", call.start, call.end)
        if call.only_keys:
            replacement = "{" + ",".join(props) + breaks + "}"
        elif call.only_values:
            replacement = "[" + ",".join(props) + breaks + "]"
        else:
            replacement = "/* #__PURE__ */ Object.assign({" + ",".join(props) + breaks + "})"
        edit.overwrite(call.start, call.end, replacement)
    if static_imports:
        edit.prepend(";".join(static_imports) + ";")
    return edit.apply(), edit.shift_map(None, file), records


def _paths(path: str, folder: str | None, root: str, base: str | None,
           is_relative: bool) -> tuple[str, str]:
    """The object key and the import specifier of a matched file (Vite's ``resolvePaths``)."""
    if folder is None:
        import_path = "/" + posixpath.relpath(path, root)
        if base:
            return _dot_prefixed(posixpath.relpath(path, posixpath.join(root, base[1:] if
                                 base.startswith("/") else base))), import_path
        return import_path, import_path
    import_path = _dot_prefixed(posixpath.relpath(path, folder))
    if base:
        base_folder = posixpath.join(root, base[1:]) if base.startswith("/") \
            else posixpath.normpath(posixpath.join(folder, base))
        return _dot_prefixed(posixpath.relpath(path, base_folder)), import_path
    if is_relative:
        return import_path, import_path
    key = posixpath.relpath(path, root)
    return (key if key.startswith(("./", "../")) else "/" + key), import_path


class ImportGlobPlugin(Plugin):
    """``vite:import-glob``. Takes no arguments.

    Besides ``meta["import_glob"]`` on each transformed module, the plugin
    keeps the records itself, so a watcher can ask which modules a created or
    deleted file affects (Vite's ``hotUpdate`` of this plugin) with
    :meth:`importers_of`.
    """

    name = "vite:import-glob"

    def __init__(self) -> None:
        self._records: dict[tuple[str, str], list[GlobRecord]] = {}
        self._lock = threading.Lock()

    def transform(self, ctx: PluginContext, code: str, id: str) -> LoadReturn:
        key = (getattr(ctx.environment, "name", ""), id)
        result = None
        if "import.meta.glob" in code:
            result = transform_glob_import(code, id, ctx.config.root.as_posix(), ctx)
        with self._lock:
            if result is None:
                self._records.pop(key, None)
            else:
                self._records[key] = result[2]
        if result is None:
            return None
        out, map, records = result
        return LoadResult(out, map, {"import_glob": records})

    def importers_of(self, file: str, environment: str | None = None) -> list[str]:
        """Ids of the modules whose ``import.meta.glob`` results change when
        ``file`` is created or deleted (an edit changes no glob result).

        :param environment: Only modules of this environment (``"client"``, ``"ssr"``).
        """
        with self._lock:
            items = list(self._records.items())
        return [id for (env, id), records in items
                if (environment is None or env == environment)
                and any(record.matches(file) for record in records)]
