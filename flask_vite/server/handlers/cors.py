"""Step 3: CORS headers for the dev server's answers."""
from __future__ import annotations

import re
import typing as t

from flask import Request, Response, current_app

from .common import CORS_HEADERS_KEY, Handler

if t.TYPE_CHECKING:
    from ..dev_server import DevServer

#: Vite's ``defaultAllowedOrigins``: origins that can only be this machine —
#: ``localhost`` and its subdomains (RFC 6761 §6.3), ``127.0.0.1``, ``[::1]``,
#: any port, http or https.
DEFAULT_ALLOWED_ORIGINS = re.compile(
    r"^https?://(?:(?:[^:]+\.)?localhost|127\.0\.0\.1|\[::1\])(?::\d+)?$"
)
#: What the ``cors`` package Vite uses answers a preflight with.
PREFLIGHT_METHODS = "GET,HEAD,PUT,PATCH,POST,DELETE"


def allowed_origin(cors: bool | tuple[str, ...] | None, origin: str) -> str | None:
    """The ``Access-Control-Allow-Origin`` value for ``origin`` under the
    ``VITE_CORS`` setting, or ``None`` for no header."""
    if cors is False:
        return None
    if cors is True:
        return "*"
    if cors is None:
        return origin if DEFAULT_ALLOWED_ORIGINS.match(origin) else None
    return origin if origin in cors else None


def make_cors(server: DevServer) -> Handler:
    """Answer preflights and note the headers for whatever answers next.

    Sits right after the host check so every dev-server answer, errors
    included, carries the same headers (Vite puts the ``cors`` middleware
    first). The default allows localhost origins only: since Vite 6.0.9 a
    page on another site may not read dev modules (GHSA-vg6x-rcgg-rjx6).

    The headers go on the dev server's answers only; the app's own views
    keep their CORS policy, so what works in dev also works in production.
    A preflight (``OPTIONS`` with ``Access-Control-Request-Method``) from an
    allowed origin is answered 204 here; one from another origin passes on.
    """
    cors = server.config.cors

    def vite_cors(request: Request) -> Response | None:
        if cors is False:
            return None
        origin = request.headers.get("Origin")
        if origin is None:
            return None
        value = allowed_origin(cors, origin)
        headers: list[tuple[str, str]] = []
        if value is not None:
            headers.append(("Access-Control-Allow-Origin", value))
        if value != "*":
            # The answer depends on the Origin header: caches must know.
            headers.append(("Vary", "Origin"))
        request.environ[CORS_HEADERS_KEY] = headers
        if (
            request.method == "OPTIONS"
            and value is not None
            and "Access-Control-Request-Method" in request.headers
        ):
            response = current_app.response_class(status=204)
            response.headers["Access-Control-Allow-Methods"] = PREFLIGHT_METHODS
            asked = request.headers.get("Access-Control-Request-Headers")
            if asked:
                response.headers["Access-Control-Allow-Headers"] = asked
                headers.append(("Vary", "Access-Control-Request-Headers"))
            response.headers["Content-Length"] = "0"
            return response
        return None

    return vite_cors
