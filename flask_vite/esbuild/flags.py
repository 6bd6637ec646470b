"""Python keyword options to esbuild's CLI-style flags.

esbuild's service takes the same flags as its command line; the JS API turns
its options object into them in ``flagsForBuildOptions`` /
``flagsForTransformOptions`` (``lib/shared/common.ts``). This module does the
same for snake_case keywords, with the same defaults, so an option behaves as
the esbuild documentation says. ``None`` means "not given". Pure: no IO.
"""
from __future__ import annotations

import difflib
import json
import os
import re
import typing as t

#: esbuild's log level defaults for the two calls (the JS API's choice).
BUILD_LOG_LEVEL_DEFAULT = "warning"
TRANSFORM_LOG_LEVEL_DEFAULT = "silent"

# Options accepted by both calls (pushLogFlags + pushCommonFlags).
_COMMON = (
    "color", "log_level", "log_limit", "log_style", "log_override",
    "legal_comments", "source_root", "sources_content", "target", "format", "global_name",
    "mangle_props", "reserve_props", "mangle_quoted", "mangle_cache", "minify",
    "minify_syntax", "minify_whitespace", "minify_identifiers", "line_limit", "drop",
    "drop_labels", "charset", "tree_shaking", "ignore_annotations", "jsx", "jsx_factory",
    "jsx_fragment", "jsx_import_source", "jsx_dev", "jsx_side_effects", "define",
    "supported", "pure", "keep_names", "platform", "tsconfig_raw", "abs_paths", "sourcemap",
)
TRANSFORM_OPTIONS = frozenset(_COMMON + ("sourcefile", "loader", "banner", "footer"))
BUILD_OPTIONS = frozenset(_COMMON + (
    "bundle", "splitting", "preserve_symlinks", "metafile", "outfile", "outdir", "outbase",
    "tsconfig", "resolve_extensions", "node_paths", "main_fields", "conditions", "external",
    "packages", "alias", "loader", "out_extension", "public_path", "entry_names",
    "chunk_names", "asset_names", "inject", "banner", "footer", "entry_points",
    "abs_working_dir", "stdin", "write", "allow_overwrite", "plugins",
))


class BuildFlags(t.NamedTuple):
    """Everything a ``build`` request needs besides plugins and the key."""

    entries: list[list[str]]
    flags: list[str]
    write: bool
    stdin_contents: bytes | None
    stdin_resolve_dir: str | None
    abs_working_dir: str | None
    node_paths: list[str]
    mangle_cache: dict[str, t.Any] | None


class _Options:
    """Read options one at a time, checking types; complain about leftovers."""

    def __init__(self, options: t.Mapping[str, t.Any], call: str,
                 allowed: frozenset[str]) -> None:
        self._options = options
        self.call = call
        unknown = [k for k in options if k not in allowed]
        if unknown:
            name = unknown[0]
            close = difflib.get_close_matches(name, sorted(allowed), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise TypeError(f"{call}() got an unexpected keyword argument {name!r}{hint}")

    def _get(self, name: str) -> t.Any:
        return self._options.get(name)

    def _fail(self, name: str, what: str) -> t.NoReturn:
        raise TypeError(f"{self.call}(): {name!r} must be {what},"
                        f" not {type(self._options[name]).__name__}")

    def boolean(self, name: str) -> bool | None:
        value = self._get(name)
        if value is not None and not isinstance(value, bool):
            self._fail(name, "a bool")
        return value

    def integer(self, name: str) -> int | None:
        value = self._get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            self._fail(name, "an int")
        return value

    def string(self, name: str) -> str | None:
        value = self._get(name)
        if value is not None and not isinstance(value, str):
            self._fail(name, "a str")
        return value

    def path(self, name: str) -> str | None:
        value = self._get(name)
        if value is None:
            return None
        if not isinstance(value, (str, os.PathLike)):
            self._fail(name, "a str or os.PathLike")
        return os.fspath(value)

    def str_list(self, name: str, *, paths: bool = False) -> list[str] | None:
        value = self._get(name)
        if value is None:
            return None
        kinds = (str, os.PathLike) if paths else (str,)
        if isinstance(value, (str, bytes)) or not all(isinstance(v, kinds) for v in value):
            self._fail(name, "a list of str")
        return [os.fspath(v) for v in value]

    def str_or_list(self, name: str) -> list[str] | None:
        value = self._get(name)
        return [value] if isinstance(value, str) else self.str_list(name)

    def mapping(self, name: str, value_type: type = str) -> dict[str, t.Any] | None:
        value = self._get(name)
        if value is None:
            return None
        if not isinstance(value, t.Mapping):
            self._fail(name, "a dict")
        for key, item in value.items():
            if not isinstance(key, str) or "=" in key:
                raise ValueError(f"{self.call}(): invalid key {key!r} in {name!r}")
            if not isinstance(item, value_type) or (value_type is not bool
                                                    and isinstance(item, bool)):
                raise TypeError(f"{self.call}(): {name}[{key!r}] must be a"
                                f" {value_type.__name__}, not {type(item).__name__}")
        return dict(value)

    def regexp(self, name: str) -> str | None:
        value = self._get(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, re.Pattern):
            from .types import go_filter

            return go_filter(value)
        self._fail(name, "a str or re.Pattern")

    def any(self, name: str) -> t.Any:
        return self._get(name)


def _join(values: list[str], what: str) -> str:
    for value in values:
        if "," in value:
            raise ValueError(f"invalid {what}: {value!r} (commas are not allowed)")
    return ",".join(values)


def _flag_bool(value: bool) -> str:
    return "true" if value else "false"


def _log_flags(flags: list[str], o: _Options, log_level_default: str) -> None:
    color = o.boolean("color")
    log_level = o.string("log_level")
    log_limit = o.integer("log_limit")
    log_style = o.string("log_style")
    if color is not None:
        flags.append(f"--color={_flag_bool(color)}")
    flags.append(f"--log-level={log_level or log_level_default}")
    flags.append(f"--log-limit={log_limit or 0}")
    if log_style:
        flags.append(f"--log-style={log_style}")


def _common_flags(flags: list[str], o: _Options) -> None:
    legal_comments = o.string("legal_comments")
    source_root = o.string("source_root")
    sources_content = o.boolean("sources_content")
    target = o.str_or_list("target")
    fmt = o.string("format")
    global_name = o.string("global_name")
    platform = o.string("platform")
    tsconfig_raw = o.any("tsconfig_raw")

    if legal_comments:
        flags.append(f"--legal-comments={legal_comments}")
    if source_root is not None:
        flags.append(f"--source-root={source_root}")
    if sources_content is not None:
        flags.append(f"--sources-content={_flag_bool(sources_content)}")
    if target:
        flags.append(f"--target={_join(target, 'target')}")
    if fmt:
        flags.append(f"--format={fmt}")
    if global_name:
        flags.append(f"--global-name={global_name}")
    if platform:
        flags.append(f"--platform={platform}")
    if tsconfig_raw:
        if isinstance(tsconfig_raw, t.Mapping):
            tsconfig_raw = json.dumps(tsconfig_raw)
        elif not isinstance(tsconfig_raw, str):
            raise TypeError(f"{o.call}(): 'tsconfig_raw' must be a str or a dict")
        flags.append(f"--tsconfig-raw={tsconfig_raw}")

    for name in ("minify", "minify_syntax", "minify_whitespace", "minify_identifiers"):
        if o.boolean(name):
            flags.append("--" + name.replace("_", "-"))
    line_limit = o.integer("line_limit")
    if line_limit:
        flags.append(f"--line-limit={line_limit}")
    charset = o.string("charset")
    if charset:
        flags.append(f"--charset={charset}")
    tree_shaking = o.boolean("tree_shaking")
    if tree_shaking is not None:
        flags.append(f"--tree-shaking={_flag_bool(tree_shaking)}")
    if o.boolean("ignore_annotations"):
        flags.append("--ignore-annotations")
    for what in o.str_list("drop") or ():
        flags.append(f"--drop:{what}")
    drop_labels = o.str_list("drop_labels")
    if drop_labels:
        flags.append(f"--drop-labels={_join(drop_labels, 'drop label')}")
    abs_paths = o.str_list("abs_paths")
    if abs_paths:
        flags.append(f"--abs-paths={_join(abs_paths, 'abs paths')}")
    mangle_props = o.regexp("mangle_props")
    if mangle_props:
        flags.append(f"--mangle-props={mangle_props}")
    reserve_props = o.regexp("reserve_props")
    if reserve_props:
        flags.append(f"--reserve-props={reserve_props}")
    mangle_quoted = o.boolean("mangle_quoted")
    if mangle_quoted is not None:
        flags.append(f"--mangle-quoted={_flag_bool(mangle_quoted)}")

    for name in ("jsx", "jsx_factory", "jsx_fragment", "jsx_import_source"):
        value = o.string(name)
        if value:
            flags.append(f"--{name.replace('_', '-')}={value}")
    if o.boolean("jsx_dev"):
        flags.append("--jsx-dev")
    if o.boolean("jsx_side_effects"):
        flags.append("--jsx-side-effects")

    for key, value in (o.mapping("define") or {}).items():
        flags.append(f"--define:{key}={value}")
    for key, value in (o.mapping("log_override") or {}).items():
        flags.append(f"--log-override:{key}={value}")
    for key, value in (o.mapping("supported", bool) or {}).items():
        flags.append(f"--supported:{key}={_flag_bool(value)}")
    for fn in o.str_list("pure") or ():
        flags.append(f"--pure:{fn}")
    if o.boolean("keep_names"):
        flags.append("--keep-names")


def _mangle_cache(o: _Options) -> dict[str, t.Any] | None:
    cache = o.any("mangle_cache")
    if cache is None:
        return None
    if not isinstance(cache, t.Mapping):
        raise TypeError(f"{o.call}(): 'mangle_cache' must be a dict")
    for key, value in cache.items():
        if not (isinstance(value, str) or value is False):
            raise TypeError(f"mangle_cache[{key!r}] must be a str or False")
    return dict(cache)


def _sourcemap(o: _Options) -> bool | str | None:
    value = o.any("sourcemap")
    if value is not None and not isinstance(value, (bool, str)):
        o._fail("sourcemap", "a bool or a str")
    return value


def transform_flags(options: t.Mapping[str, t.Any],
                    call: str = "transform") -> tuple[list[str], dict[str, t.Any] | None]:
    """Flags and mangle cache for a ``transform`` request.

    :raises TypeError: for an unknown option (named in the message) or a
        value of the wrong type.
    """
    o = _Options(options, call, TRANSFORM_OPTIONS)
    flags: list[str] = []
    _log_flags(flags, o, TRANSFORM_LOG_LEVEL_DEFAULT)
    _common_flags(flags, o)
    sourcemap = _sourcemap(o)
    sourcefile = o.string("sourcefile")
    loader = o.string("loader")
    banner = o.string("banner")
    footer = o.string("footer")
    if sourcemap:
        flags.append(f"--sourcemap={'external' if sourcemap is True else sourcemap}")
    if sourcefile:
        flags.append(f"--sourcefile={sourcefile}")
    if loader:
        flags.append(f"--loader={loader}")
    if banner:
        flags.append(f"--banner={banner}")
    if footer:
        flags.append(f"--footer={footer}")
    return flags, _mangle_cache(o)


def build_flags(options: t.Mapping[str, t.Any], call: str = "build") -> BuildFlags:
    """Everything but the plugins for a ``build`` request.

    ``plugins`` is accepted (and ignored) here: the caller handles it.

    :raises TypeError: for an unknown option or a value of the wrong type.
    """
    o = _Options(options, call, BUILD_OPTIONS)
    flags: list[str] = []
    _log_flags(flags, o, BUILD_LOG_LEVEL_DEFAULT)
    _common_flags(flags, o)

    sourcemap = _sourcemap(o)
    if sourcemap:
        flags.append("--sourcemap" if sourcemap is True else f"--sourcemap={sourcemap}")
    for name in ("bundle", "allow_overwrite", "splitting", "preserve_symlinks", "metafile"):
        if o.boolean(name):
            flags.append("--" + name.replace("_", "-"))
    for name in ("outfile", "outdir", "outbase", "tsconfig"):
        value = o.path(name)
        if value:
            flags.append(f"--{name}={value}")
    packages = o.string("packages")
    if packages:
        flags.append(f"--packages={packages}")
    resolve_extensions = o.str_list("resolve_extensions")
    if resolve_extensions:
        flags.append(f"--resolve-extensions={_join(resolve_extensions, 'resolve extension')}")
    for name in ("public_path", "entry_names", "chunk_names", "asset_names"):
        value = o.string(name)
        if value:
            flags.append(f"--{name.replace('_', '-')}={value}")
    main_fields = o.str_list("main_fields")
    if main_fields:
        flags.append(f"--main-fields={_join(main_fields, 'main field')}")
    conditions = o.str_list("conditions")
    if conditions:
        flags.append(f"--conditions={_join(conditions, 'condition')}")
    for name in o.str_list("external") or ():
        flags.append(f"--external:{name}")
    for old, new in (o.mapping("alias") or {}).items():
        flags.append(f"--alias:{old}={new}")
    for kind, text in (o.mapping("banner") or {}).items():
        flags.append(f"--banner:{kind}={text}")
    for kind, text in (o.mapping("footer") or {}).items():
        flags.append(f"--footer:{kind}={text}")
    for path in o.str_list("inject", paths=True) or ():
        flags.append(f"--inject:{path}")
    for ext, loader in (o.mapping("loader") or {}).items():
        flags.append(f"--loader:{ext}={loader}")
    for ext, out in (o.mapping("out_extension") or {}).items():
        flags.append(f"--out-extension:{ext}={out}")

    stdin_contents: bytes | None = None
    stdin_resolve_dir: str | None = None
    stdin = o.any("stdin")
    if stdin is not None:
        s = _Options(stdin, f"{call}() stdin",
                     frozenset(("contents", "resolve_dir", "sourcefile", "loader")))
        contents = s.any("contents")
        if isinstance(contents, str):
            stdin_contents = contents.encode("utf-8")
        elif isinstance(contents, (bytes, bytearray, memoryview)):
            stdin_contents = bytes(contents)
        elif contents is not None:
            raise TypeError(f"{call}(): stdin['contents'] must be str or bytes")
        stdin_resolve_dir = s.path("resolve_dir")
        sourcefile = s.string("sourcefile")
        loader = s.string("loader")
        if sourcefile:
            flags.append(f"--sourcefile={sourcefile}")
        if loader:
            flags.append(f"--loader={loader}")

    write = o.boolean("write")
    return BuildFlags(
        entries=_entries(o.any("entry_points"), call),
        flags=flags,
        write=True if write is None else write,
        stdin_contents=stdin_contents,
        stdin_resolve_dir=stdin_resolve_dir,
        abs_working_dir=o.path("abs_working_dir"),
        node_paths=o.str_list("node_paths", paths=True) or [],
        mangle_cache=_mangle_cache(o),
    )


def _entries(entry_points: t.Any, call: str) -> list[list[str]]:
    """``[out, in]`` pairs: an array (not a map) keeps the order, as in JS."""
    if entry_points is None:
        return []
    if isinstance(entry_points, (str, os.PathLike)):
        raise TypeError(f"{call}(): 'entry_points' must be a list or a dict, not a single path")
    if isinstance(entry_points, t.Mapping):
        return [[str(out), os.fspath(src)] for out, src in entry_points.items()]
    entries: list[list[str]] = []
    for i, entry in enumerate(entry_points):
        if isinstance(entry, (str, os.PathLike)):
            entries.append(["", os.fspath(entry)])
        elif isinstance(entry, t.Mapping) and set(entry) == {"in", "out"}:
            entries.append([str(entry["out"]), os.fspath(entry["in"])])
        else:
            raise TypeError(f"{call}(): entry point {i} must be a path or"
                            " {'in': ..., 'out': ...}")
    return entries
