"""``vite:esbuild``: TypeScript, TSX and JSX to JavaScript through the esbuild service."""
from __future__ import annotations

import json
import re
import typing as t

from ..plugin import LoadResult, LoadReturn, Plugin, PluginContext
from ..server.urls import clean_url

_TS_JSX_RE = re.compile(r"\.(?:m?ts|[jt]sx)$")
_LOADERS = {".ts": "ts", ".mts": "ts", ".tsx": "tsx", ".jsx": "jsx"}


class EsbuildPlugin(Plugin):
    """Compiles ``.ts .mts .tsx .jsx`` modules (not ``.d.ts``), as Vite's esbuild plugin.

    JSX options come from the nearest ``tsconfig.json`` (``jsx``,
    ``jsxImportSource`` …); React's automatic runtime is the default, with
    ``jsxDev`` in dev so React can point at source lines.
    """

    name = "vite:esbuild"

    def __init__(self, options: dict[str, t.Any] | None = None) -> None:
        self.options = dict(options or {})

    def transform(self, ctx: PluginContext, code: str, id: str) -> LoadReturn:
        file = clean_url(id)
        if "?" in id and not re.search(r"[?&](?:lang\.|t=|v=|import)", id):
            return None  # ?raw, ?url … are not modules to compile
        match = _TS_JSX_RE.search(file)
        if match is None or file.endswith(".d.ts"):
            return None
        loader = _LOADERS[match.group(0)]
        options: dict[str, t.Any] = {
            "loader": loader,
            "sourcefile": file,
            "sourcemap": "external",
            "target": "esnext",
            "charset": "utf8",
            "tsconfig_raw": _tsconfig_raw(file, ctx),
        }
        if loader in ("tsx", "jsx"):
            jsx = options["tsconfig_raw"].get("compilerOptions", {}).get("jsx")
            if jsx is None:
                # No tsconfig opinion: React's automatic runtime, like @vitejs/plugin-react.
                options["jsx"] = "automatic"
            if jsx in (None, "react-jsx", "react-jsxdev") and ctx.config.dev and not ctx.ssr:
                options["jsx_dev"] = True
        options.update(self.options)
        environment = ctx.environment
        assert environment is not None, "vite:esbuild runs inside an environment"
        result = environment.server.esbuild.transform(code, **options)
        return LoadResult(result.code, json.loads(result.map) if result.map else None)


def _tsconfig_raw(file: str, ctx: PluginContext) -> dict[str, t.Any]:
    """The compilerOptions esbuild's transform needs, from the file's tsconfig."""
    try:
        from ..resolve.tsconfig import tsconfig_raw_for
    except ImportError:  # pragma: no cover - resolution package not present
        return {}
    return tsconfig_raw_for(file)
