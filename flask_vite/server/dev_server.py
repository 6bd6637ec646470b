"""The dev server: what ``FlaskVite`` sets up on an app in dev mode.

It owns the environments (``client``, ``ssr``), each with its module graph
and plugin pipeline, and registers the ordered request handlers
(:mod:`flask_vite.server.chain`) on the Flask app.
"""
from __future__ import annotations

import logging
import re
import typing as t
from pathlib import Path

if t.TYPE_CHECKING:
    from flask import Flask

    from ..config import ViteConfig
    from ..esbuild.service import EsbuildService
    from ..plugin import Plugin
    from ..extension import ViteState
    from .environment import DevEnvironment

logger = logging.getLogger("flask_vite.server")

_HEAD_RE = re.compile(r"<head[^>]*>", re.I)
_HTML_RE = re.compile(r"<html[^>]*>", re.I)


def inject_client(html: str, base: str) -> str:
    """Put ``<script type="module" src="/@vite/client">`` first in ``<head>``, as Vite does."""
    prefix = base.rstrip("/") if base.startswith("/") else ""
    tag = f'<script type="module" src="{prefix}/@vite/client"></script>'
    for pattern in (_HEAD_RE, _HTML_RE):
        match = pattern.search(html)
        if match:
            # Vite's layout of injected tags: "\n    <tag>\n" right after <head>.
            return html[:match.end()] + "\n    " + tag + "\n" + html[match.end():]
    return tag + "\n" + html


class DevServer:
    """Vite's ``ViteDevServer`` in middleware mode, for one Flask app."""

    def __init__(self, state: ViteState, app: Flask) -> None:
        self.state = state
        self.config: ViteConfig = state.config
        from ..plugins import resolve_plugins
        from .environment import DevEnvironment

        self.plugins: list[Plugin] = resolve_plugins(self.config, state.extension.plugins)
        for plugin in self.plugins:
            plugin.config_resolved(self.config)
        self.environments: dict[str, DevEnvironment] = {
            name: DevEnvironment(name, self, self.plugins) for name in ("client", "ssr")
        }
        from .optimizer import DepsOptimizer

        self.optimizer = DepsOptimizer(self, include=self.config.optimize_deps_include,
                                       exclude=self.config.optimize_deps_exclude)
        # HMR: the channel pages connect to, and the watcher feeding it (it
        # starts with the first request, see chain.run_handlers).
        from .hot_update import handle_invalidate
        from .watcher import FileWatcher
        from .ws import HotChannel

        self.hot = HotChannel(enabled=self.config.hmr)
        self.hot.on("vite:invalidate", lambda data, client: handle_invalidate(self, data))
        self.watcher = FileWatcher(self, app)
        for plugin in self.plugins:
            plugin.configure_server(self)
        # Vite calls buildStart once when the server starts.
        for environment in self.environments.values():
            environment.plugin_container.build_start()

    def close(self) -> None:
        """Stop the file watcher and disconnect the pages (``ViteState.close``)."""
        self.watcher.close()
        self.optimizer.close()
        self.hot.close()
        for environment in self.environments.values():
            environment.close()

    @property
    def esbuild(self) -> EsbuildService:
        """The app's long-lived esbuild service."""
        return self.state.esbuild

    def file_url(self, path: str | Path, *, with_base: bool = True) -> str:
        """The dev URL of a file: root-relative inside the root, ``/@fs/`` outside.

        The base (``VITE_BASE``) is prepended, so the URL can go into HTML or
        CSS as it is.
        """
        file = Path(path).as_posix()
        root = self.config.root.as_posix().rstrip("/") + "/"
        if file.startswith(root):
            url = "/" + file[len(root):]
        else:
            url = "/@fs" + (file if file.startswith("/") else "/" + file)
        if not with_base:
            return url
        base = self.config.base if self.config.base.startswith("/") else "/"
        return base.rstrip("/") + url

    def react_refresh_preamble(self) -> str | None:
        """The React Fast Refresh preamble script, when a plugin serves ``/@react-refresh``.

        ``None`` until React Fast Refresh is set up (the HMR work).
        """
        for plugin in self.plugins:
            preamble = getattr(plugin, "react_refresh_preamble", None)
            if callable(preamble):
                return t.cast(str, preamble())
        return None

    @property
    def fs_allow(self) -> tuple[Path, ...]:
        """Folders files may be served from: the root, the optimizer cache, ``VITE_FS_ALLOW``."""
        return (self.config.root, self.config.cache_dir, *self.config.fs_allow)

    def transform_index_html(self, url: str, html: str, original_url: str | None = None) -> str:
        """Apply the HTML transforms (client script, plugin hooks) to an ``index.html``.

        :param url: The URL path the HTML is served at (``/`` or ``/about/``).
        """
        from ..plugins.html import find_proxy_plugin

        # Vite's order: "pre" hooks see the HTML as written; then the dev
        # rewrites (inline module scripts proxied, /@vite/client injected);
        # then the other hooks -- so a tag they prepend to <head> (React's
        # refresh preamble) stays inline and lands before the client.
        container = self.environments["client"].plugin_container
        html = container.transform_index_html(html, url, "pre")
        proxy = find_proxy_plugin(self.plugins)
        if proxy is not None:
            html = proxy.rewrite(html, url, self.config.base)
        html = inject_client(html, self.config.base)
        return container.transform_index_html(html, url, "post")

