"""``vite:ssr-transform``: turn a served module into code the V8 module runner executes.

Vite rewrites imports into ``await __vite_ssr_import__()`` calls with its own
scope analysis. We let esbuild do the scope work instead: every import
specifier is first rewritten to the runner's key for the resolved module,
then esbuild converts the ESM to CommonJS (``format=cjs``), which turns
``useState(…)`` into ``(0, import_react.useState)(…)`` — live bindings read
through the imported module's exports object, as ESM requires. The runner
gives each module a synchronous ``require(key)``, having been sent every
module the entry reaches beforehand (dynamic imports with a literal
specifier included).

Runner keys: a source module's URL (``/src/App.tsx``), the absolute path of
a file inside ``node_modules`` (pre-bundled for V8, see
:mod:`flask_vite.server.ssr_deps`), or ``node:<name>`` for a Node builtin,
which the runner refuses with the import chain in the message.

Limits, documented: top-level ``await`` is not supported in SSR modules
(CommonJS has none), and ``import()`` of a computed specifier fails at run
time with the specifier in the message.
"""
from __future__ import annotations

import json
import typing as t

from ..errors import ViteError
from ..js_lexer import LexCache, LexError
from ..plugin import LoadResult, LoadReturn, Plugin, PluginContext
from ..string_edit import StringEdit
from .urls import clean_url

_NODE_BUILTIN_PREFIX = "node:"


class SsrTransformError(ViteError):
    code = "SSR_TRANSFORM"


class SsrTransformPlugin(Plugin):
    """Runs last in the ``ssr`` environment, where import analysis runs for the client."""

    name = "vite:ssr-transform"
    enforce = "post"

    def __init__(self) -> None:
        # An edited module is lexed again only around the edit.
        self._lexed = LexCache()

    def transform(self, ctx: PluginContext, code: str, id: str) -> LoadReturn:
        env = ctx.environment
        if env is None or not ctx.ssr:
            return None
        file = clean_url(id)
        try:
            imports = self._lexed.analyze(id, code, file).imports
        except LexError as e:
            raise SsrTransformError(f"Failed to parse {file} for SSR: {e}", code="PARSE_ERROR") from e
        edit = StringEdit(code)
        deps: list[str] = []
        for imp in imports:
            if imp.d == -2 or imp.n is None:
                continue  # import.meta, or import() of an expression
            key = runner_key(ctx, imp.n, id)
            if key not in deps:
                deps.append(key)
            edit.overwrite(imp.s, imp.e, json.dumps(key) if imp.d >= 0 else key)
        rewritten = edit.apply() if edit.changed else code
        rewrite_map = edit.shift_map(getattr(ctx, "combined_map", None), file) if edit.changed else None

        env_values = _import_meta_env(ctx)
        result = env.server.esbuild.transform(
            rewritten, loader="js", format="cjs", sourcefile=file, sourcemap="external",
            target="es2022", platform="neutral", log_level="silent",
            # V8 here has no module loader: import() becomes a require() in a promise.
            supported={"dynamic-import": False},
            define={
                "import.meta.env": json.dumps(env_values),
                "import.meta.hot": "undefined",
                "import.meta.url": json.dumps("file://" + file),
                "import.meta.dirname": json.dumps(file.rsplit("/", 1)[0]),
                "import.meta.filename": json.dumps(file),
            },
        )
        node = env.module_graph.get_module_by_id(id)
        if node is not None:
            node.meta["ssr_deps"] = deps
            # Edges between source modules, so an edit invalidates the importers
            # (dependency files in node_modules and builtins are not graph modules).
            env.module_graph.update_module_info(
                node, [k for k in deps if k.startswith("/") and not _is_dep_file(k)])
        from ..sourcemap import LazySourceMap

        maps = [rewrite_map] if rewrite_map is not None else [getattr(ctx, "combined_map", None)]
        # Read only to map an error: composed then, not on every edit.
        combined = LazySourceMap([*maps, result.map or None])
        return LoadResult(result.code, combined, {"replaces_map": True, "ssr_deps": deps})


def _is_dep_file(key: str) -> bool:
    return "/node_modules/" in key and not key.startswith("/node_modules/")


def runner_key(ctx: PluginContext, specifier: str, importer: str) -> str:
    """The key the V8 runner knows the imported module by."""
    from ..plugins.import_analysis import resolve_import

    resolved = resolve_import(ctx, specifier, importer)
    if resolved.external:
        name = resolved.id
        if not name.startswith(_NODE_BUILTIN_PREFIX) and "/" not in name.split("/")[0]:
            name = _NODE_BUILTIN_PREFIX + name
        return name
    file = clean_url(resolved.id)
    if "/node_modules/" in file and resolved.id == file:
        return file  # a dependency: bundled for V8 by the SSR optimizer
    from ..plugins.import_analysis import id_to_url

    env = ctx.environment
    assert env is not None
    return id_to_url(env.server, resolved.id)


def _import_meta_env(ctx: PluginContext) -> dict[str, t.Any]:
    try:
        from ..plugins.env import import_meta_env
    except ImportError:  # pragma: no cover
        return {"MODE": ctx.config.mode, "DEV": ctx.config.dev, "PROD": not ctx.config.dev, "SSR": True}
    return t.cast(t.Dict[str, t.Any], import_meta_env(ctx.config, True))
