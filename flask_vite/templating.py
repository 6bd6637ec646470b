"""Jinja helpers: the same three names emit dev or production tags.

``vite_tags("src/main.tsx")`` gives ``/@vite/client`` plus the entry's
module script in dev, and the hashed script, its CSS and ``modulepreload``
links from the build manifest in production. ``vite_react_refresh()`` gives
React Fast Refresh's preamble in dev (nothing in production) and
``vite_asset_url("src/logo.png")`` an asset's URL.
"""
from __future__ import annotations

import typing as t
from html import escape

from flask import current_app, g
from markupsafe import Markup

from .manifest import entry_chunk, entry_tags

if t.TYPE_CHECKING:
    from .extension import ViteState


def _state() -> ViteState:
    state = current_app.extensions.get("vite")
    if state is None:
        raise RuntimeError("vite_tags() needs FlaskVite(app) (or vite.init_app(app)) on this app.")
    return t.cast("ViteState", state)


def _dev_base(state: ViteState) -> str:
    base = state.config.base
    return base if base.startswith("/") else "/"


def _asset_base(state: ViteState) -> str:
    """Where built assets are fetched from: ``VITE_ASSET_URL`` (a CDN) if
    set, else the base path the app serves ``dist/client`` at."""
    return state.config.asset_url or state.config.base


def vite_tags(*entries: str, nonce: str | None = None, integrity: bool = False) -> Markup:
    """Script and style tags for the given entries (paths relative to ``VITE_ROOT``)."""
    state = _state()
    nonce_attr = f' nonce="{escape(nonce)}"' if nonce else ""
    if state.config.dev:
        base = _dev_base(state)
        tags: list[str] = []
        # One client per page, however many times the helper is called.
        if not g.get("_vite_client_emitted"):
            g._vite_client_emitted = True
            tags.append(f'<script type="module" src="{escape(base)}@vite/client"{nonce_attr}></script>')
        tags += [f'<script type="module" src="{escape(base + e.lstrip("/"))}"{nonce_attr}></script>'
                 for e in entries]
        return Markup("\n".join(tags))
    manifest = state.manifest
    return Markup("\n".join(
        entry_tags(manifest, e, _asset_base(state), nonce=nonce, integrity=integrity,
                   source=str(state.manifest_path)) for e in entries))


def vite_react_refresh(nonce: str | None = None) -> Markup:
    """React Fast Refresh's preamble; put it before :func:`vite_tags` in ``<head>``."""
    state = _state()
    server = state.dev_server
    if server is None:
        return Markup("")
    preamble = server.react_refresh_preamble()
    if not preamble:
        return Markup("")
    nonce_attr = f' nonce="{escape(nonce)}"' if nonce else ""
    return Markup(f'<script type="module"{nonce_attr}>{preamble}</script>')


def vite_asset_url(path: str) -> str:
    """The public URL of an asset: served from source in dev, hashed in production."""
    state = _state()
    if state.config.dev:
        return _dev_base(state) + path.lstrip("/")
    chunk = entry_chunk(state.manifest, path, str(state.manifest_path))
    return _asset_base(state) + chunk.file


#: Registered as Jinja globals by :meth:`flask_vite.FlaskVite.init_app`.
JINJA_GLOBALS: dict[str, t.Callable[..., t.Any]] = {
    "vite_tags": vite_tags,
    "vite_react_refresh": vite_react_refresh,
    "vite_asset_url": vite_asset_url,
}
