"""``react()``: React Fast Refresh in dev, as ``@vitejs/plugin-react`` gives Vite.

.. code-block:: python

    from flask_vite import FlaskVite
    from flask_vite.plugins.react import react

    FlaskVite(app, plugins=[react()])

With it, an edit to a component re-renders it in place and keeps its state
(``useState`` values, the DOM, focus), as ``vite.config.ts``'s ``react()``
does. Three parts:

* ``/@react-refresh`` -- the runtime (the ``react-refresh`` npm package and
  flask-vite's helpers, one ES module; see :mod:`flask_vite.refresh_runtime`);
* the preamble -- an inline module script put first in ``index.html``'s
  ``<head>``, before ``/@vite/client``, exactly where Vite puts it. It hooks
  the runtime into React before React loads. A Jinja page gets it from
  ``{{ vite_react_refresh() }}``, to be placed before ``vite_tags()``;
* the transform -- each client module matched by ``include`` (and not
  ``exclude``) has its components registered and its hooks signed, and
  becomes a refresh boundary (:mod:`flask_vite.refresh_transform`).

Nothing happens in the ``ssr`` environment, in production, or when
``VITE_HMR`` is off (as ``@vitejs/plugin-react`` skips Fast Refresh when
``server.hmr`` is ``false``).
"""
from __future__ import annotations

import json
import logging
import re
import typing as t

from ..glob_match import compile_patterns
from ..js_scan import TokenCache
from ..plugin import (
    LoadResult,
    LoadReturn,
    Plugin,
    PluginContext,
    ResolveIdReturn,
    ResolveOptions,
)
from ..refresh_runtime import HELPERS, runtime_code
from ..refresh_transform import RUNTIME_PUBLIC_PATH, react_refresh_transform
from ..server.urls import clean_url
from .client import CLIENT_DIR, PUBLIC_URLS

if t.TYPE_CHECKING:
    from ..config import ViteConfig
    from ..sourcemap import SourceMap

logger = logging.getLogger("flask_vite.react")

HELPERS_ID = HELPERS.as_posix()
# Import analysis writes this URL for the runtime, never a /@fs/ path: the
# preamble and every module must share one instance of it.
PUBLIC_URLS[HELPERS_ID] = RUNTIME_PUBLIC_PATH

#: A pattern: a glob (``"src/**/*.tsx"``, relative to the root unless
#: absolute), a compiled regular expression, or a list of those.
Filter = t.Union[str, "re.Pattern[str]", t.Sequence[t.Union[str, "re.Pattern[str]"]]]

DEFAULT_INCLUDE = re.compile(r"\.[tj]sx?$")
DEFAULT_EXCLUDE = re.compile(r"/node_modules/")
# Modules esbuild (vite:esbuild) printed: their code is already in the shape the
# transform reads. Others (.js, or a custom include) are put through esbuild first.
_ESBUILD_OUTPUT_RE = re.compile(r"\.(?:m?ts|[jt]sx)$")
# Queries of module requests that are still the module itself.
_MODULE_QUERY_RE = re.compile(r"[?&](?:lang\.|t=|v=|import)")
# Something the transform could register or wrap; anything else is left alone unread.
_CANDIDATE_RE = re.compile(
    r"\bfunction\s*\*?\s*[A-Z]|\b(?:const|let|var)\s+[A-Z]|\bexport\s+default\b"
    r"|extends\s+(?:React\.)?(?:Pure)?Component\b")
_REFRESH_RESET_RE = re.compile(r"@refresh reset")


def preamble_code(base: str = "/") -> str:
    """The preamble's JavaScript, as ``@vitejs/plugin-react`` writes it."""
    return (
        f'import {{ injectIntoGlobalHook }} from "{base}{RUNTIME_PUBLIC_PATH[1:]}";\n'
        "injectIntoGlobalHook(window);\n"
        "window.$RefreshReg$ = () => {};\n"
        "window.$RefreshSig$ = () => (type) => type;"
    )


_HEAD_RE = re.compile(r"<head[^>]*>", re.I)
_HTML_RE = re.compile(r"<html[^>]*>", re.I)


def react(
    *,
    include: Filter | None = None,
    exclude: Filter | None = None,
    jsx_import_source: str | None = None,
) -> ReactRefreshPlugin:
    """React Fast Refresh for :class:`~flask_vite.FlaskVite`'s ``plugins``.

    :param include: Modules that get the refresh transform; default every
        ``.js .jsx .ts .tsx`` (Vite's ``/\\.[tj]sx?$/``). Globs match the path
        relative to ``VITE_ROOT``; regular expressions are searched in the
        absolute path (``/`` separators) and in the id with its query.
    :param exclude: Modules left alone; default anything under
        ``node_modules``. Keep that in a custom list unless you mean it.
    :param jsx_import_source: Where JSX's automatic runtime comes from
        (``"@emotion/react"``); default ``react``, or the tsconfig's
        ``jsxImportSource``.
    """
    return ReactRefreshPlugin(include=include, exclude=exclude, jsx_import_source=jsx_import_source)


class ReactRefreshPlugin(Plugin):
    """What :func:`react` returns; see the module documentation."""

    name = "vite:react-refresh"
    apply = "serve"

    def __init__(self, *, include: Filter | None = None, exclude: Filter | None = None,
                 jsx_import_source: str | None = None) -> None:
        self.include = include
        self.exclude = exclude
        self.jsx_import_source = jsx_import_source
        # One FlaskVite (and so one plugin) may serve several apps, each with
        # its root: what depends on the root is kept per root.
        self._config: ViteConfig | None = None
        self._runtime: dict[str, str] = {}
        self._filters: dict[str, tuple[list[t.Callable[[str], bool]], list[t.Callable[[str], bool]]]] = {}
        # The last modules' tokens: an edited one is read again only where it
        # changed (issue 6: re-tokenizing App.tsx was most of an HMR update's CPU).
        self._tokens = TokenCache()
        # Bad patterns fail when the plugin is made, not at the first request.
        _compile(include if include is not None else DEFAULT_INCLUDE, "/")
        _compile(exclude if exclude is not None else DEFAULT_EXCLUDE, "/")

    # -- config ---------------------------------------------------------------------
    def config_resolved(self, config: ViteConfig) -> None:
        self._config = config

    def configure_server(self, server: t.Any) -> None:
        if self.jsx_import_source is None:
            return
        for plugin in server.plugins:
            if getattr(plugin, "name", None) == "vite:esbuild":
                plugin.options["jsx_import_source"] = self.jsx_import_source

    def enabled(self, config: ViteConfig | None = None) -> bool:
        """Fast Refresh is on: dev server with HMR."""
        config = config or self._config
        return config is not None and config.dev and config.hmr

    # -- /@react-refresh --------------------------------------------------------------
    def resolve_id(self, ctx: PluginContext, source: str, importer: str | None,
                   options: ResolveOptions) -> ResolveIdReturn:
        if source == RUNTIME_PUBLIC_PATH and not ctx.ssr:
            return HELPERS_ID
        return None

    def load(self, ctx: PluginContext, id: str) -> LoadReturn:
        if id != HELPERS_ID:
            return None
        environment = ctx.environment
        assert environment is not None, "vite:react-refresh loads inside an environment"
        root = ctx.config.root.as_posix()
        code = self._runtime.get(root)
        if code is None:
            code = self._runtime[root] = runtime_code(environment.server.esbuild, ctx.config.root)
        return code

    # -- the preamble -------------------------------------------------------------------
    def react_refresh_preamble(self) -> str | None:
        """The preamble's code for ``vite_react_refresh()``; ``None`` when Fast Refresh is off."""
        if self._config is None or not self.enabled():
            return None
        return preamble_code(_dev_base(self._config.base))

    def transform_index_html(self, ctx: PluginContext, html: str, url: str) -> str | None:
        # Runs after the dev rewrites (an ordinary-order hook, as in Vite): the
        # script stays inline and goes before the /@vite/client tag already there.
        if not self.enabled(ctx.config):
            return None
        tag = f'<script type="module">{preamble_code(_dev_base(ctx.config.base))}</script>'
        for pattern in (_HEAD_RE, _HTML_RE):
            match = pattern.search(html)
            if match:
                # Vite's layout of a tag prepended to <head>: "\n    <tag>\n".
                return html[:match.end()] + "\n    " + tag + "\n" + html[match.end():]
        return tag + "\n" + html

    # -- the transform ------------------------------------------------------------------
    def wants(self, id: str, config: ViteConfig) -> bool:
        """Whether module ``id`` gets the refresh transform (``include`` / ``exclude``)."""
        file = clean_url(id)
        if "?" in id and not _MODULE_QUERY_RE.search(id):
            return False  # ?raw, ?url, ?worker … are not the module itself
        if file.startswith((_CLIENT_DIR_PREFIX, "\0")):
            return False  # flask-vite's own runtime modules
        if file.startswith(config.cache_dir.as_posix() + "/"):
            return False  # pre-bundled dependencies
        root = config.root.as_posix()
        filters = self._filters.get(root)
        if filters is None:
            filters = self._filters[root] = (
                _compile(self.include if self.include is not None else DEFAULT_INCLUDE, root),
                _compile(self.exclude if self.exclude is not None else DEFAULT_EXCLUDE, root))
        include, exclude = filters
        candidates = (file, id)
        if not any(test(c) for test in include for c in candidates):
            return False
        return not any(test(c) for test in exclude for c in candidates)

    def transform(self, ctx: PluginContext, code: str, id: str) -> LoadReturn:
        if ctx.ssr or not self.enabled(ctx.config) or not self.wants(id, ctx.config):
            return None
        if not _CANDIDATE_RE.search(code):
            return None
        environment = ctx.environment
        node = environment.module_graph.get_module_by_id(id) if environment is not None else None
        if node is None:
            return None
        file = clean_url(id)
        previous: SourceMap | None = getattr(ctx, "combined_map", None)
        from ..errors import EsbuildError
        from ..js_scan import ScanError

        if not _ESBUILD_OUTPUT_RE.search(file):
            try:
                code, previous = self._through_esbuild(ctx, code, file, previous)
            except EsbuildError:
                # Not JavaScript esbuild reads (JSX in a .js file …): left as it
                # is, import analysis reports the error with its position.
                return None

        try:
            with self._tokens.tokens(id, code) as tokens:
                result = react_refresh_transform(
                    code, node.url, runtime_url=RUNTIME_PUBLIC_PATH,
                    force_reset=_has_refresh_reset(previous), tokens=tokens,
                )
        except ScanError as e:
            # Valid JavaScript esbuild printed always scans; if not, the page
            # still works, only without Fast Refresh for this module.
            logger.warning("React Fast Refresh skipped for %s: %s", file, e)
            return None
        if result is None:
            return None
        # Columns stay exact: the previous transforms' mappings are moved, not re-chained.
        return LoadResult(result.code, result.shift_map(previous, file), {"replaces_map": True})

    def _through_esbuild(self, ctx: PluginContext, code: str, file: str,
                         previous: SourceMap | None) -> tuple[str, SourceMap | None]:
        """Reprint code that esbuild did not print, keeping the map to the original."""
        from ..sourcemap import combine_maps

        environment = ctx.environment
        assert environment is not None
        result = environment.server.esbuild.transform(
            code, loader="js", sourcefile=file, sourcemap="external", target="esnext",
            charset="utf8")
        printed_map = json.loads(result.map) if result.map else None
        if previous is None:
            return result.code, printed_map
        return result.code, combine_maps([previous, printed_map])


_CLIENT_DIR_PREFIX = CLIENT_DIR.as_posix() + "/"


def _dev_base(base: str) -> str:
    # As import analysis writes module URLs: a full-URL base is for the build only.
    return base if base.startswith("/") else "/"


def _has_refresh_reset(source_map: SourceMap | None) -> bool:
    """``// @refresh reset`` in the original source (esbuild drops the comment)."""
    if not source_map:
        return False
    return any(isinstance(text, str) and _REFRESH_RESET_RE.search(text)
               for text in source_map.get("sourcesContent") or ())


def _searcher(regex: re.Pattern[str]) -> t.Callable[[str], bool]:
    return lambda path: regex.search(path) is not None


def _compile(spec: Filter, root: str) -> list[t.Callable[[str], bool]]:
    """Predicates on a module's path (or id) for each pattern of ``spec``."""
    items: t.Sequence[t.Any] = [spec] if isinstance(spec, (str, re.Pattern)) else spec
    out: list[t.Callable[[str], bool]] = []
    for item in items:
        if isinstance(item, re.Pattern):
            out.append(_searcher(item))
        elif isinstance(item, str):
            # Globs as Vite's createFilter reads them: relative to the root, dotfiles matched.
            pattern = item if item.startswith("/") else f"{root.rstrip('/')}/{item.removeprefix('./')}"
            for glob in compile_patterns([pattern], dot=True):
                out.append(glob.match)
        else:
            raise TypeError(f"react(): include and exclude take globs or compiled regular"
                            f" expressions, not {item!r}")
    return out
