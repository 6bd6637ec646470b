"""Step 5: the public base path (``VITE_BASE``)."""
from __future__ import annotations

import typing as t
from urllib.parse import urlsplit

from flask import Request, Response, current_app
from werkzeug.exceptions import NotFound

from ..urls import clean_url, strip_base
from .common import Handler, request_url, set_request_url

if t.TYPE_CHECKING:
    from ..dev_server import DevServer


def dev_base_path(base: str) -> str:
    """The path part of ``VITE_BASE`` as the dev server uses it: a full URL
    (a CDN for the build) serves at its path, ``./`` at ``/``."""
    if "://" in base or base.startswith("//"):
        path = urlsplit(base).path or "/"
        return path if path.endswith("/") else path + "/"
    if not base.startswith("/"):
        return "/"
    return base


def make_base(server: DevServer) -> Handler | None:
    """Strip the base from URLs under it, so later handlers see root URLs
    (``/app/src/main.ts`` → ``/src/main.ts``); redirect ``/`` and
    ``/index.html`` to the base.

    Placed before every handler that maps URLs to files (Vite's
    baseMiddleware). As in Vite's middleware mode, other URLs outside the
    base pass on untouched (they may be Flask views), and the redirect is
    made only when no Flask route matches ``/``: the app's views win.

    :return: ``None`` when the base is ``/`` (the step is left out).
    """
    base = dev_base_path(server.config.base)
    if base == "/":
        return None

    def vite_base(request: Request) -> Response | None:
        url = request_url(request)
        pathname = clean_url(url)
        if pathname.startswith(base):
            set_request_url(request, strip_base(url, base))
            return None
        if pathname == base[:-1]:  # "/app" for base "/app/"
            set_request_url(request, "/" + url[len(pathname):])
            return None
        if pathname in ("/", "/index.html") and isinstance(request.routing_exception, NotFound):
            response = current_app.response_class(status=302)
            response.headers["Location"] = base + url[len(pathname):]
            return response
        return None

    return vite_base
