"""Step 10: page URLs with no Flask view → their ``index.html``."""
from __future__ import annotations

import typing as t

from flask import Request, Response
from werkzeug.exceptions import NotFound

from .. import fs
from ..urls import clean_url, decode_uri_component, extname
from .common import Handler, accepts_html, logger, request_url, set_request_url

if t.TYPE_CHECKING:
    from ..dev_server import DevServer


def make_html_fallback(server: DevServer) -> Handler | None:
    """Rewrite a page URL to the HTML file that serves it, for the next step.

    ``/about.html`` stays; ``/about/`` → ``/about/index.html``; ``/about``
    → ``/about.html`` or ``/about/index.html``, whichever exists; with
    ``VITE_APP_TYPE = "spa"``, any other extension-less page URL →
    ``/index.html`` (client-side routing). Vite's htmlFallbackMiddleware,
    with two differences for a Flask app: it only runs when no Flask route
    matched the URL (the app's views always win), and the SPA fallback
    needs a browser navigation (``Accept: text/html``) to an extension-less
    path, so ``fetch("/api/missing")`` and ``/missing.png`` stay 404s. An
    HTML file that exists is served as Vite does for any request that takes
    HTML (``text/html``, ``*/*`` or no ``Accept``): ``curl /`` gets the page.

    :return: ``None`` for ``VITE_APP_TYPE = "custom"`` (the step is left out).
    """
    app_type = server.config.app_type
    if app_type not in ("spa", "mpa"):
        return None
    root = server.config.root
    spa = app_type == "spa"

    def exists(pathname: str) -> bool:
        path = fs.safe_join(root, pathname)
        return path is not None and fs.file_access(server, path) is fs.Access.ALLOWED \
            and fs.real_path(path).is_file()

    def vite_html_fallback(request: Request) -> Response | None:
        accept = request.headers.get("Accept", "")
        navigation = accepts_html(request)
        if (
            request.method not in ("GET", "HEAD")
            or not isinstance(request.routing_exception, NotFound)
            or not (navigation or not accept or "*/*" in accept)
            or "Upgrade" in request.headers  # a WebSocket of the app's, not a page
        ):
            return None
        url = clean_url(request_url(request))
        if url == "/favicon.ico":
            return None
        try:
            pathname = decode_uri_component(url)
        except ValueError:
            return None
        if pathname.endswith(".html"):
            return None  # the next step serves it if it exists
        if pathname.endswith("/"):
            candidates = [url + "index.html"]
        else:
            candidates = [url + ".html", url + "/index.html"]
        for candidate in candidates:
            if exists(decode_uri_component(candidate)):
                logger.debug("Rewriting %s %s to %s", request.method, url, candidate)
                set_request_url(request, candidate)
                return None
        if spa and navigation and not extname(pathname) \
                and not pathname.rsplit("/", 1)[-1].startswith("."):
            logger.debug("Rewriting %s %s to /index.html", request.method, url)
            set_request_url(request, "/index.html")
        return None

    return vite_html_fallback
