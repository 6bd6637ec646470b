"""Every renderer busy: ``503 Service Unavailable`` with ``Retry-After``.

When no SSR renderer gets free within ``VITE_SSR_QUEUE_TIMEOUT`` seconds,
``vite.render()`` raises :class:`~flask_vite.production.pool.RendererBusy`.
A view rarely catches it, and a bare 500 with a traceback would say the app
is broken when it is only overloaded. So it is answered like any HTTP error
Flask knows: a 503 (the app's own ``@app.errorhandler(503)`` page if it has
one), with ``Retry-After`` so that load balancers, crawlers and clients back
off and come again, and one warning in the ``flask_vite.ssr`` log.
"""
from __future__ import annotations

import logging
import math
import typing as t

from flask import current_app, request
from werkzeug.exceptions import ServiceUnavailable

from .pool import RendererBusy

if t.TYPE_CHECKING:
    from flask import Flask
    from werkzeug.wrappers import Response

    from ..config import ViteConfig

logger = logging.getLogger("flask_vite.ssr")

BUSY_MESSAGE = "The server is busy rendering other pages. Please try again in a few seconds."


def retry_after(config: ViteConfig) -> int:
    """Seconds to suggest: by then every render in progress has finished or
    been stopped (``VITE_SSR_TIMEOUT``), so a renderer is free unless the
    load goes on."""
    return max(1, math.ceil(config.ssr_timeout))


def register_busy_handler(app: Flask, config: ViteConfig) -> None:
    """Answer :class:`RendererBusy` from a view with a 503; see the module docstring."""
    seconds = retry_after(config)

    def vite_renderer_busy(error: RendererBusy) -> Response:
        logger.warning("503 for %s %s: %s", request.method, request.path, error)
        # Through Flask's HTTP error handling: the app's 503 handler, if any, makes the page.
        unavailable = ServiceUnavailable(BUSY_MESSAGE, retry_after=seconds)
        response = current_app.make_response(current_app.handle_http_exception(unavailable))
        response.headers.setdefault("Retry-After", str(seconds))
        return response

    app.register_error_handler(RendererBusy, vite_renderer_busy)
