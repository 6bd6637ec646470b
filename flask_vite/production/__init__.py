"""The production runtime: pages rendered from the build by pools of V8
renderers (:mod:`~flask_vite.production.pool`).
"""
from __future__ import annotations

from .pool import PoolStats as PoolStats
from .pool import RendererBusy as RendererBusy
from .pool import RendererPool as RendererPool
