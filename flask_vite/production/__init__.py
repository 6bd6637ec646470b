"""The production runtime: pages rendered from the build by pools of V8
renderers (:mod:`~flask_vite.production.pool`,
:mod:`~flask_vite.production.render`), the built files served with long-lived
caching (:mod:`~flask_vite.production.static`), and ``flask vite preview``
(:mod:`~flask_vite.production.preview`).
"""
from __future__ import annotations

from .pool import PoolStats as PoolStats
from .pool import RendererBusy as RendererBusy
from .pool import RendererPool as RendererPool
from .render import MissingBuildError as MissingBuildError
from .static import StaticFiles as StaticFiles
from .template import PageTemplate as PageTemplate
