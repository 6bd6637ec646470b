"""Step 9: files under the root, as they are (images, fonts, ...)."""
from __future__ import annotations

import typing as t

from flask import Request, Response

from .. import fs
from ..urls import clean_url, decode_uri_if_possible, extname, is_internal_request
from .common import Handler, request_url, serve_checked_file

if t.TYPE_CHECKING:
    from ..dev_server import DevServer


def make_serve_static(server: DevServer) -> Handler:
    """Serve ``root/<path>`` for what the transform step left alone: an
    ``<img src="/logo.png">`` in ``index.html``, a font from CSS.

    Not for ``.html`` files or ``/``-ending URLs (the HTML steps turn those
    into transformed pages), ``/@…`` internal URLs or ``//``-prefixed ones
    (Vite's serveStaticMiddleware). Allow list and deny list apply.
    """
    root = server.config.root

    def vite_serve_static(request: Request) -> Response | None:
        url = request_url(request)
        cleaned = clean_url(url)
        if (
            request.method not in ("GET", "HEAD")
            or cleaned.endswith("/")
            or extname(cleaned) == ".html"
            or is_internal_request(url)
            or url.startswith("//")
        ):
            return None
        pathname = decode_uri_if_possible(cleaned)
        if pathname is None:
            return None
        return serve_checked_file(server, request, pathname, fs.safe_join(root, pathname))

    return vite_serve_static
