"""Core plugins, one module each, and the order they run in.

:func:`core_plugins` returns Vite's order around the user's plugins: user
``pre`` plugins, then alias/resolve, CSS, esbuild, JSON, assets, then the
user's normal plugins, define, the user's ``post`` plugins, and import
analysis last, since it must see the final JavaScript.
"""
from __future__ import annotations

import importlib
import typing as t

if t.TYPE_CHECKING:
    from ..config import ViteConfig
    from ..plugin import Plugin


def _optional(module: str, cls: str, *args: t.Any, **kwargs: t.Any) -> list[Plugin]:
    """A core plugin whose module may not be written yet (the pipeline grows by parts)."""
    try:
        mod = importlib.import_module(f"{__name__}.{module}")
    except ModuleNotFoundError as e:
        if e.name != f"{__name__}.{module}":
            raise
        return []
    return [getattr(mod, cls)(*args, **kwargs)]


def resolve_plugins(config: ViteConfig, user_plugins: t.Sequence[Plugin]) -> list[Plugin]:
    """Every plugin of a dev environment, in the order their hooks run."""
    from .client import ClientPlugin
    from .esbuild import EsbuildPlugin
    from .html import HtmlInlineProxyPlugin
    from ..server.ssr_transform import SsrTransformPlugin
    from .import_analysis import ImportAnalysisPlugin

    pre = [p for p in user_plugins if getattr(p, "enforce", None) == "pre"]
    normal = [p for p in user_plugins if getattr(p, "enforce", None) is None]
    post = [p for p in user_plugins if getattr(p, "enforce", None) == "post"]
    plugins: list[Plugin] = [
        *pre,
        ClientPlugin(),
        HtmlInlineProxyPlugin(),
        # SSR modules run in V8, not Node: resolve them with browser/worker
        # conditions (Vite's ssr.target "webworker").
        *_optional("resolve", "ResolvePlugin", ssr_target="webworker"),
        *_optional("css", "CssPlugin"),
        EsbuildPlugin(),
        *_optional("json", "JsonPlugin"),
        *_optional("asset", "AssetPlugin"),
        *normal,
        *_optional("define", "DefinePlugin"),
        *_optional("glob", "ImportGlobPlugin"),
        *post,
        ImportAnalysisPlugin(),
        SsrTransformPlugin(),
    ]
    # The container sorts by ``enforce`` again (stable): vite:client stays
    # first among "pre" plugins and import analysis last among "post" ones.
    return plugins
