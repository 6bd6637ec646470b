"""Page URLs no view matched → their built HTML file (``spa``/``mpa`` apps).

What ``vite preview`` does for a client-only app, and what the dev
server's ``vite_html_fallback`` step does in dev: ``/`` and ``/about/`` →
``index.html`` in that folder, ``/about`` → ``about.html`` or
``about/index.html``, and for ``spa`` any other extension-less page URL →
``index.html`` (client-side routing). As in dev, the app's views always win
(the fallback only runs when routing found nothing) and only browser
navigations (``Accept: text/html``) fall back, so ``fetch("/api/missing")``
stays a 404.
"""
from __future__ import annotations

import typing as t

from flask import request
from werkzeug.exceptions import NotFound

if t.TYPE_CHECKING:
    from werkzeug.wrappers import Response

    from .static import StaticFiles


def make_html_fallback(static: StaticFiles, *, spa: bool) -> t.Callable[[], Response | None]:
    """A ``before_request`` function answering unrouted page URLs from ``static``."""
    from .static import _File

    def vite_html_fallback() -> Response | None:
        if (request.method not in ("GET", "HEAD") or not isinstance(request.routing_exception, NotFound)
                or "text/html" not in request.headers.get("Accept", "")):
            return None
        path = request.path
        if not path.startswith(static.base_path):
            return None
        rel = path[len(static.base_path):]
        if rel == "" or rel.endswith("/"):
            candidates = [rel + "index.html"]
        else:
            candidates = [rel + ".html", rel + "/index.html"]
        last = rel.rstrip("/").rsplit("/", 1)[-1]
        if spa and "." not in last:
            candidates.append("index.html")
        for candidate in candidates:
            found = static.find(candidate)
            if isinstance(found, _File):
                return static.respond(found, request.environ)
        return None

    return vite_html_fallback
