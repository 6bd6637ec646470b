"""``tsconfig.json``: find the one that governs a file, follow ``extends``, merge.

>>> cache = TsconfigCache()
>>> ts = cache.for_file("/app/src/main.tsx")
>>> ts.file, ts.compiler_options.get("jsx"), ts.paths_base
('/app/tsconfig.app.json', 'react-jsx', '/app')
>>> esbuild_tsconfig_raw(ts.compiler_options)
{'compilerOptions': {'jsx': 'react-jsx', 'target': 'ES2022', ...}}

It does what Vite gets from ``tsconfck``:

- the nearest ``tsconfig.json`` from the file's folder upward;
- if that file is a *solution* (it has ``references``) and does not include
  the file itself, the first referenced config whose ``files``/``include``/
  ``exclude`` take it (create-vite's ``tsconfig.json`` → ``tsconfig.app.json``
  layout);
- ``extends`` as a string or (TypeScript 5) an array, later entries winning;
  relative paths, ``.``/``..``, and packages (``@tsconfig/strictest``,
  ``pkg/tsconfig.base.json``); circular chains are an error;
- ``compilerOptions`` merged key by key (the extending file wins), ``files``/
  ``include``/``exclude`` inherited unless redefined, ``references`` never
  inherited; relative paths kept relative to the file that wrote them, and
  ``${configDir}`` replaced by the folder of the config in use (TypeScript 5.5);
- JSONC: comments and trailing commas.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import os
import posixpath
import re
import threading
import typing as t

from .errors import ResolveError, TsconfigError
from .exports import resolve_exports
from .packages import PackageCache, split_postfix, to_posix

#: ``compilerOptions`` that change esbuild's output (Vite's ``meaningfulFields``).
ESBUILD_FIELDS: tuple[str, ...] = (
    "alwaysStrict", "experimentalDecorators", "importsNotUsedAsValues", "jsx", "jsxFactory",
    "jsxFragmentFactory", "jsxImportSource", "preserveValueImports", "target",
    "useDefineForClassFields", "verbatimModuleSyntax",
)
_CONFIG_DIR = "${configDir}"
_TS_EXTENSIONS = (".ts", ".tsx", ".mts", ".cts")
_JS_EXTENSIONS = (".js", ".jsx", ".mjs", ".cjs")


# -- JSONC -------------------------------------------------------------------

_JSONC_COMMENT = re.compile(
    r'"(?:[^"\\]|\\.)*"'  # a string, kept as is
    r"|//[^\n]*"            # a line comment
    r"|/\*.*?\*/"          # a block comment
    r"|/\*.*",              # an unterminated block comment (json.loads reports the rest)
    re.S,
)
_JSONC_TRAILING_COMMA = re.compile(r'"(?:[^"\\]|\\.)*"|,(?=\s*[}\]])', re.S)


def parse_jsonc(text: str) -> t.Any:
    """Parse JSON with comments and trailing commas, as ``tsconfig.json`` allows.

    :raises ValueError: not valid even so.
    """
    def drop_comment(m: re.Match[str]) -> str:
        token = m.group()
        if token.startswith('"'):
            return token
        # Keep line breaks so that error positions still match the file.
        return "\n" * token.count("\n") or " "

    def drop_comma(m: re.Match[str]) -> str:
        token = m.group()
        return token if token.startswith('"') else ""

    text = _JSONC_COMMENT.sub(drop_comment, text.lstrip("\ufeff"))
    return json.loads(_JSONC_TRAILING_COMMA.sub(drop_comma, text))


# -- results -----------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class TsconfigResult:
    """The settings that apply to one file."""

    #: The config in use (posix), ``None`` when no ``tsconfig.json`` was found.
    file: str | None
    #: Merged ``compilerOptions``; ``baseUrl`` is absolute.
    compiler_options: t.Mapping[str, t.Any]
    #: Merged ``files``/``include``/``exclude`` (absolute patterns), if any.
    files: tuple[str, ...] | None = None
    include: tuple[str, ...] | None = None
    exclude: tuple[str, ...] | None = None
    #: Every file read to build this result: the ``extends`` chain and, for a
    #: solution, the referencing config (watch them to invalidate).
    sources: tuple[str, ...] = ()
    #: Folder ``paths`` patterns are relative to: ``baseUrl`` if set, else the
    #: folder of the config that defined ``paths``.
    paths_base: str | None = None

    @property
    def paths(self) -> t.Mapping[str, t.Sequence[str]]:
        value = self.compiler_options.get("paths")
        return value if isinstance(value, dict) else {}

    @property
    def base_url(self) -> str | None:
        value = self.compiler_options.get("baseUrl")
        return value if isinstance(value, str) else None

    def includes(self, filename: str) -> bool:
        """Whether ``files``/``include``/``exclude`` take ``filename`` (absolute)."""
        filename = to_posix(filename)
        if self.files and filename in self.files:
            return True
        include = self.include if self.include is not None else (
            () if self.files is not None else (posixpath.dirname(self.file or "/") + "/**/*",))
        allow_js = bool(self.compiler_options.get("allowJs"))
        if not any(_glob_re(p, allow_js).match(filename) for p in include):
            return False
        return not any(_glob_re(p, allow_js).match(filename) for p in self.exclude or ())


NO_TSCONFIG = TsconfigResult(file=None, compiler_options={})


def paths_candidates(result: TsconfigResult, specifier: str) -> list[str]:
    """The absolute paths ``compilerOptions.paths`` maps ``specifier`` to, best first.

    TypeScript's rule: an exact key wins; otherwise the pattern with the
    longest prefix before its ``*``. Nothing is checked on disk. Without a
    match but with a ``baseUrl``, the specifier relative to it.
    """
    base = result.paths_base
    best: tuple[int, str, str] | None = None  # (prefix length, key, matched part)
    for key in result.paths:
        star = key.find("*")
        if star < 0:
            if key == specifier:
                best = (len(key) + 1, key, "")
                break
            continue
        prefix, suffix = key[:star], key[star + 1:]
        if (len(specifier) >= len(prefix) + len(suffix) and specifier.startswith(prefix)
                and specifier.endswith(suffix) and (best is None or len(prefix) > best[0])):
            best = (len(prefix), key, specifier[len(prefix):len(specifier) - len(suffix)])
    out: list[str] = []
    if best is not None and base:
        for target in result.paths[best[1]]:
            if isinstance(target, str):
                out.append(posixpath.normpath(posixpath.join(base, target.replace("*", best[2]))))
    if not out and result.base_url:
        out.append(posixpath.normpath(posixpath.join(result.base_url, specifier)))
    return out


def esbuild_tsconfig_raw(compiler_options: t.Mapping[str, t.Any],
                         overrides: t.Mapping[str, t.Any] | None = None) -> dict[str, t.Any]:
    """The ``tsconfigRaw`` esbuild's transform takes, as Vite builds it.

    Only :data:`ESBUILD_FIELDS` are passed. When neither
    ``useDefineForClassFields`` nor ``target`` is set, it is ``False``:
    TypeScript's default there, whereas esbuild would assume ``True``.

    :param overrides: ``compilerOptions`` that win over the file's (a
        ``jsx`` setting given to the plugin, say); a ``None`` value removes one.
    """
    options = {k: compiler_options[k] for k in ESBUILD_FIELDS if k in compiler_options}
    for key, value in (overrides or {}).items():
        if value is None:
            options.pop(key, None)
        else:
            options[key] = value
    if "useDefineForClassFields" not in options and "target" not in options:
        options["useDefineForClassFields"] = False
    return {"compilerOptions": options}


#: The cache :func:`tsconfig_raw_for` uses unless given one.
default_cache: TsconfigCache


def tsconfig_raw_for(filename: str, *, cache: TsconfigCache | None = None,
                     overrides: t.Mapping[str, t.Any] | None = None) -> dict[str, t.Any]:
    """esbuild's ``tsconfigRaw`` for transforming ``filename``, as Vite's esbuild plugin builds it.

    Only TypeScript files (``.ts``, ``.tsx``, ``.mts``, ``.cts``) read a
    tsconfig; for others this is ``{}``. Files in ``node_modules`` get the
    defaults only.

    :raises TsconfigError: the governing tsconfig (or one it extends) is broken.
    """
    if not split_postfix(filename)[0].endswith(_TS_EXTENSIONS):
        return {}
    result = (cache or default_cache).for_file(split_postfix(filename)[0])
    return esbuild_tsconfig_raw(result.compiler_options, overrides)


@functools.lru_cache(maxsize=512)
def _glob_re(pattern: str, allow_js: bool) -> re.Pattern[str]:
    # TypeScript's include/exclude globs: "*" and "?" stay inside a segment,
    # "**/" spans folders, a last segment without "." or wildcard is a folder,
    # and a trailing wildcard only matches TypeScript (and, with allowJs, JS) files.
    last = pattern.rsplit("/", 1)[-1]
    if "." not in last and "*" not in last and "?" not in last:
        pattern = pattern.rstrip("/") + "/**/*"
    out = ["^"]
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
            continue
        out.append("[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c))
        i += 1
    if pattern.endswith("*"):
        exts = _TS_EXTENSIONS + (_JS_EXTENSIONS if allow_js else ())
        out.append("(?:" + "|".join(re.escape(e) for e in exts) + ")")
    out.append("$")
    return re.compile("".join(out))


# -- loading -----------------------------------------------------------------

# Keys of a config whose relative paths are relative to the file that wrote them.
_ROOT_PATH_KEYS = ("files", "include", "exclude")


class _Loaded(t.NamedTuple):
    file: str
    config: dict[str, t.Any]       # absolute paths, "_pathsBase" added, extends merged
    references: tuple[str, ...]    # referenced config files (absolute)
    sources: tuple[str, ...]
    stamps: tuple[tuple[str, tuple[int, int]], ...]


class TsconfigCache:
    """Parsed configs, re-read when any file in their ``extends`` chain changes."""

    def __init__(self, packages: PackageCache | None = None) -> None:
        self.packages = packages or PackageCache()
        self._loaded: dict[str, _Loaded] = {}
        # (config file, extra sources) -> (the _Loaded it was made from, result):
        # a transform asks up to three times per file, and a solution config's
        # results take ~50 µs each to build.
        self._results: dict[tuple[str, tuple[str, ...]], tuple[_Loaded, TsconfigResult]] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._loaded.clear()

    @staticmethod
    def find(filename: str, name: str = "tsconfig.json") -> str | None:
        """The nearest ``name`` in the folder of ``filename`` or above."""
        d = os.path.dirname(os.path.abspath(filename))
        while True:
            candidate = os.path.join(d, name)
            if os.path.isfile(candidate):
                return to_posix(candidate)
            parent = os.path.dirname(d)
            if parent == d:
                return None
            d = parent

    def for_file(self, filename: str, *, ignore_node_modules: bool = True) -> TsconfigResult:
        """The settings governing ``filename`` (:data:`NO_TSCONFIG` when there is none).

        :param ignore_node_modules: files of dependencies get no tsconfig (as
            in Vite: a package's published tsconfig is not meant for us).
        :raises TsconfigError: a config in the chain is invalid or an
            ``extends`` target cannot be found; the message names the file.
        """
        filename = to_posix(os.path.abspath(filename))
        if ignore_node_modules and "/node_modules/" in filename:
            return NO_TSCONFIG
        found = self.find(filename)
        if found is None:
            return NO_TSCONFIG
        root = self.load(found)
        result = self._result(root, ())
        allow_js = bool(result.compiler_options.get("allowJs"))
        is_source = filename.endswith(_TS_EXTENSIONS + (_JS_EXTENSIONS if allow_js else ()))
        if root.references and is_source and not result.includes(filename):
            # A solution config: the referenced project that owns the file wins.
            for ref in root.references:
                try:
                    loaded = self.load(ref)
                except TsconfigError:
                    continue
                candidate = self._result(loaded, root.sources)
                if candidate.includes(filename):
                    return candidate
        return result

    def load(self, file: str) -> _Loaded:
        """One config with its ``extends`` merged (cached; checked against mtimes)."""
        file = to_posix(os.path.abspath(file))
        hit = self._loaded.get(file)
        if hit is not None and all(_stamp(p) == s for p, s in hit.stamps):
            return hit
        loaded = self._load(file, ())
        with self._lock:
            self._loaded[file] = loaded
        return loaded

    def _load(self, file: str, chain: tuple[str, ...]) -> _Loaded:
        if file in chain:
            raise TsconfigError(
                'Circular "extends" in tsconfig: ' + " -> ".join(chain + (file,)) + ".")
        stamp = _stamp(file)
        try:
            with open(file, encoding="utf-8") as f:
                raw = parse_jsonc(f.read())
        except OSError as e:
            raise TsconfigError(f"Cannot read {file}: {e}" + (
                f" (extended by {chain[-1]})" if chain else "") + ".") from e
        except ValueError as e:
            raise TsconfigError(f"{file} is not valid JSON (comments and trailing commas"
                                f" are allowed): {e}.") from e
        if not isinstance(raw, dict):
            raise TsconfigError(f"{file} must hold a JSON object.")
        here = posixpath.dirname(file)
        own = _absolutize(raw, here)
        merged: dict[str, t.Any] = {}
        sources: list[str] = [file]
        stamps: list[tuple[str, tuple[int, int]]] = [(file, stamp)]
        extends = raw.get("extends")
        bases = ([extends] if isinstance(extends, str)
                 else extends if isinstance(extends, list) else [])
        for spec in bases:
            if not isinstance(spec, str):
                continue
            base = self._load(self._resolve_extends(spec, file), chain + (file,))
            merged = _merge(merged, base.config)
            sources.extend(base.sources)
            stamps.extend(base.stamps)
        merged = _merge(merged, own)
        refs = []
        for ref in raw.get("references") or ():
            if isinstance(ref, dict) and isinstance(ref.get("path"), str):
                p = posixpath.join(here, ref["path"])
                refs.append(posixpath.normpath(p if p.endswith(".json") else p + "/tsconfig.json"))
        return _Loaded(file, merged, tuple(refs), tuple(dict.fromkeys(sources)), tuple(stamps))

    def _resolve_extends(self, spec: str, from_file: str) -> str:
        here = posixpath.dirname(from_file)
        if spec in (".", ".."):
            spec += "/tsconfig.json"
        if spec.startswith(".") or posixpath.isabs(spec) or os.path.isabs(spec):
            path = posixpath.normpath(posixpath.join(here, to_posix(spec)))
            for candidate in (path, path + ".json"):
                if os.path.isfile(candidate):
                    return candidate
        else:
            found = self._extends_from_package(spec, here)
            if found:
                return found
        raise TsconfigError(
            f'Cannot find "extends": "{spec}" of {from_file}. For a package, install it'
            " (it must be in node_modules); for a file, check the relative path.")

    def _extends_from_package(self, spec: str, here: str) -> str | None:
        # TypeScript resolves a package "extends" like an import: the package's
        # "exports" (types/require/default), its "tsconfig" field, or a file.
        m = re.match(r"^(@[^/]+/[^/]+|[^/]+)(/.*)?$", spec)
        if not m:
            return None
        name, sub = m.group(1), m.group(2) or ""
        pkg = self.packages.find(name, here)
        if pkg is None:
            return None
        candidates: list[str] = []
        if pkg.exports is not None:
            try:
                candidates.append(resolve_exports(
                    pkg.exports, "." + sub, {"types", "require", "node"}, package_json=pkg.path))
            except ResolveError:
                pass  # not exported: fall back to plain files, as TypeScript does
        if sub:
            candidates += [sub[1:], sub[1:] + ".json", sub[1:] + "/tsconfig.json"]
        else:
            field = pkg.data.get("tsconfig")
            if isinstance(field, str):
                candidates.append(field)
            candidates.append("tsconfig.json")
        for c in candidates:
            path = posixpath.normpath(posixpath.join(pkg.dir, c))
            if os.path.isfile(path):
                return path
        return None

    def _result(self, loaded: _Loaded, extra_sources: tuple[str, ...]) -> TsconfigResult:
        key = (loaded.file, extra_sources)
        hit = self._results.get(key)
        if hit is not None and hit[0] is loaded:  # not re-read since
            return hit[1]
        result = self._build_result(loaded, extra_sources)
        self._results[key] = (loaded, result)
        return result

    def _build_result(self, loaded: _Loaded, extra_sources: tuple[str, ...]) -> TsconfigResult:
        config = _replace_config_dir(loaded.config, posixpath.dirname(loaded.file))
        options = dict(config.get("compilerOptions") or {})
        paths_base = options.pop("_pathsBase", None)
        if isinstance(options.get("baseUrl"), str):
            paths_base = options["baseUrl"]

        def strings(key: str) -> tuple[str, ...] | None:
            value = config.get(key)
            if not isinstance(value, list):
                return None
            return tuple(v for v in value if isinstance(v, str))

        return TsconfigResult(
            file=loaded.file, compiler_options=options, files=strings("files"),
            include=strings("include"), exclude=strings("exclude"),
            sources=tuple(dict.fromkeys(loaded.sources + extra_sources)), paths_base=paths_base,
        )


def _stamp(path: str) -> tuple[int, int]:
    try:
        st = os.stat(path)
    except OSError:
        return (-1, -1)
    return (st.st_mtime_ns, st.st_size)


def _abs(value: str, here: str) -> str:
    if value.startswith(_CONFIG_DIR) or posixpath.isabs(value):
        return value
    return posixpath.normpath(posixpath.join(here, value))


def _absolutize(raw: t.Mapping[str, t.Any], here: str) -> dict[str, t.Any]:
    """The extendable part of a config, its relative paths made absolute."""
    out: dict[str, t.Any] = {}
    for key in _ROOT_PATH_KEYS:
        value = raw.get(key)
        if isinstance(value, list):
            out[key] = [_abs(v, here) if isinstance(v, str) else v for v in value]
    options = raw.get("compilerOptions")
    if isinstance(options, dict):
        opts = dict(options)
        for key in ("baseUrl", "rootDir", "outDir", "declarationDir", "outFile"):
            if isinstance(opts.get(key), str):
                opts[key] = _abs(opts[key], here)
        for key in ("rootDirs", "typeRoots"):
            if isinstance(opts.get(key), list):
                opts[key] = [_abs(v, here) if isinstance(v, str) else v for v in opts[key]]
        if "paths" in opts:
            # Without a baseUrl, paths are relative to the config that wrote them.
            opts["_pathsBase"] = here
        out["compilerOptions"] = opts
    return out


def _merge(base: dict[str, t.Any], child: dict[str, t.Any]) -> dict[str, t.Any]:
    out = dict(base)
    for key, value in child.items():
        if key == "compilerOptions":
            merged = dict(base.get("compilerOptions") or {})
            merged.update(value)
            out[key] = merged
        else:
            out[key] = value
    return out


def _replace_config_dir(value: t.Any, config_dir: str) -> t.Any:
    if isinstance(value, str):
        return config_dir + value[len(_CONFIG_DIR):] if value.startswith(_CONFIG_DIR) else value
    if isinstance(value, list):
        return [_replace_config_dir(v, config_dir) for v in value]
    if isinstance(value, dict):
        return {k: _replace_config_dir(v, config_dir) for k, v in value.items()}
    return value


default_cache = TsconfigCache()
