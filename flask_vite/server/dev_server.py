"""The dev server: what ``FlaskVite`` sets up on an app in dev mode.

It owns the environments (``client``, ``ssr``), each with its module graph
and plugin pipeline, and registers the ordered request handlers
(:mod:`flask_vite.server.chain`) on the Flask app.
"""
from __future__ import annotations

import logging
import typing as t
from pathlib import Path

if t.TYPE_CHECKING:
    from flask import Flask

    from ..config import ViteConfig
    from ..extension import ViteState
    from .environment import DevEnvironment

logger = logging.getLogger("flask_vite.server")


class DevServer:
    """Vite's ``ViteDevServer`` in middleware mode, for one Flask app."""

    def __init__(self, state: ViteState, app: Flask) -> None:
        self.state = state
        self.config: ViteConfig = state.config
        self.plugins: list[t.Any] = list(state.extension.plugins)
        self.environments: dict[str, DevEnvironment] = {}

    @property
    def fs_allow(self) -> tuple[Path, ...]:
        """Folders files may be served from: the root, the optimizer cache, ``VITE_FS_ALLOW``."""
        return (self.config.root, self.config.cache_dir, *self.config.fs_allow)

    def transform_index_html(self, url: str, html: str, original_url: str | None = None) -> str:
        """Apply the HTML transforms (client script, plugin hooks) to an ``index.html``.

        :param url: The URL path the HTML is served at (``/`` or ``/about/``).
        """
        raise NotImplementedError  # filled in by the module-pipeline work
