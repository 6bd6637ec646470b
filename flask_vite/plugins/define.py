"""``vite:define``: compile-time replacements (``define`` in a Vite config).

``DefinePlugin({"__APP_VERSION__": '"1.2.0"', "__DEV_TOOLS__": True})``
replaces those globals wherever the code reads them. As in Vite, a ``str``
value is a JavaScript *expression* (``'"1.2.0"'`` is a string, ``"window"``
the global); other values are turned into JSON.

``process.env.NODE_ENV`` (and its ``global.``/``globalThis.`` forms) is
replaced with ``"development"`` or ``"production"`` in both environments:
Vite does so for the client (``clientInjections.ts``), and our SSR runs in
V8, where there is no ``process`` to read it from.

Replacing is esbuild's ``define`` on a ``transform`` of the module, run only
when the code mentions one of the keys (a regex check first, as Vite's
define plugin does: a transform per module would be wasted work).
"""
from __future__ import annotations

import hashlib
import json
import re
import typing as t

from ..plugin import LoadResult, LoadReturn, Plugin, PluginContext
from ..server.urls import clean_url, is_css_request
from .asset import DEFAULT_ASSETS_RE
from .env import handle_define_value, node_env

if t.TYPE_CHECKING:
    from ..config import ViteConfig
    from ..esbuild.service import EsbuildService

__all__ = ["DefinePlugin", "replace_define"]

# Modules that are not JavaScript (or not yet): HTML, CSS, JSON, assets, ?raw text.
_HTML_RE = re.compile(r"\.(?:html|htm)(?:$|\?)")
_JSON_RE = re.compile(r"\.json(?:$|\?)")
_SPECIAL_QUERY_RE = re.compile(r"[?&](?:worker|sharedworker|raw|url)\b")
_ESCAPED_DOT_RE = re.compile(r"(?<!\\)\\\.")
# esbuild's define takes entity names (a.b.c) and literals; anything else
# (``1 + 1``, ``foo()``) goes in through a marker, replaced after the transform.
_ENTITY_RE = re.compile(r"^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$")
_SINGLE_QUOTED_RE = re.compile(r"^'(?:[^'\\\n]|\\.)*'$")


def _esbuild_accepts(value: str) -> bool:
    if _ENTITY_RE.match(value) or _SINGLE_QUOTED_RE.match(value):
        return True
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


def replace_define(esbuild: EsbuildService, code: str, id: str,
                   define: t.Mapping[str, str]) -> LoadResult:
    """Apply ``define`` (key → JavaScript expression) to ``code`` with esbuild.

    :raises ~flask_vite.errors.EsbuildError: for syntax errors (with file, line and column) and
        keys esbuild does not accept.
    """
    markers: dict[str, str] = {}
    flags: dict[str, str] = {}
    for key, value in define.items():
        if _esbuild_accepts(value):
            flags[key] = value
        else:
            digest = hashlib.sha256(value.encode("utf-8")).hexdigest()[:8]
            marker = f"__vite_define_{len(markers)}_{digest}__"
            markers[marker] = value
            flags[key] = marker
    result = esbuild.transform(code, loader="js", sourcefile=clean_url(id), sourcemap=True,
                               define=flags, platform="neutral", charset="utf8")
    out = result.code
    for marker, value in markers.items():
        out = out.replace(marker, f"({value})")
    return LoadResult(out, json.loads(result.map) if result.map else None)


class DefinePlugin(Plugin):
    """``vite:define``.

    :param define: Global name (or member chain such as ``import.meta.env.API``)
        to value; ``str`` values are JavaScript expressions, others JSON.
    """

    name = "vite:define"

    def __init__(self, define: t.Mapping[str, t.Any] | None = None) -> None:
        self.define = {key: handle_define_value(value) for key, value in (define or {}).items()}
        self._cache: dict[tuple[ViteConfig, bool], tuple[dict[str, str], re.Pattern[str] | None]] \
            = {}

    def definitions(self, config: ViteConfig, ssr: bool) -> dict[str, str]:
        """Every replacement for one environment, as key → JavaScript expression."""
        return self._prepared(config, ssr)[0]

    def _prepared(self, config: ViteConfig, ssr: bool
                  ) -> tuple[dict[str, str], re.Pattern[str] | None]:
        key = (config, ssr)
        found = self._cache.get(key)
        if found is None:
            value = self.define.get("process.env.NODE_ENV") or json.dumps(node_env(config))
            define = {
                "process.env.NODE_ENV": value,
                "global.process.env.NODE_ENV": value,
                "globalThis.process.env.NODE_ENV": value,
                **self.define,
            }
            # `process.env.NODE_ENV` also matches `process?.env?.NODE_ENV`.
            alternatives = [_ESCAPED_DOT_RE.sub(r"\\??\\.", re.escape(k)) for k in define]
            pattern = re.compile("|".join(alternatives)) if alternatives else None
            found = self._cache[key] = (define, pattern)
        return found

    def transform(self, ctx: PluginContext, code: str, id: str) -> LoadReturn:
        if (_HTML_RE.search(id) or is_css_request(id) or _JSON_RE.search(id)
                or DEFAULT_ASSETS_RE.search(id) or _SPECIAL_QUERY_RE.search(id)):
            return None
        define, pattern = self._prepared(ctx.config, ctx.ssr)
        if pattern is None or not pattern.search(code):
            return None
        environment = ctx.environment
        if environment is None:
            ctx.error(f"cannot apply define to {clean_url(id)} outside a dev environment")
        # Syntax errors raise EsbuildError, which names the file, line and column.
        return replace_define(environment.server.esbuild, code, id, define)
