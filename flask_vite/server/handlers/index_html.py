"""Step 11: HTML files, through the HTML transforms."""
from __future__ import annotations

import typing as t
from pathlib import Path

from flask import Request, Response

from .. import fs
from ..urls import FS_PREFIX, clean_url, decode_uri_component
from .common import Handler, checked_file, original_url, request_url, send

if t.TYPE_CHECKING:
    from ..dev_server import DevServer


def make_index_html(server: DevServer) -> Handler | None:
    """Serve ``root/<…>.html`` (or a ``/@fs/`` one) after
    :meth:`DevServer.transform_index_html` has injected ``/@vite/client``
    and the plugins' tags.

    Last of the file steps: the HTML fallback has just turned page URLs
    into ``.html`` ones (Vite's indexHtmlMiddleware). A ``<script src>``
    that names an HTML file (``Sec-Fetch-Dest: script``) is not a page.

    :return: ``None`` for ``VITE_APP_TYPE = "custom"``: the app renders
        its own pages (SSR), and ``.html`` files are not served.
    """
    if server.config.app_type not in ("spa", "mpa"):
        return None
    root = server.config.root

    def vite_index_html(request: Request) -> Response | None:
        url = clean_url(request_url(request))
        if (
            request.method not in ("GET", "HEAD")
            or not url.endswith(".html")
            or request.headers.get("Sec-Fetch-Dest") == "script"
        ):
            return None
        try:
            pathname = decode_uri_component(url)
        except ValueError:
            return None
        if pathname.startswith(FS_PREFIX):
            path = fs.url_to_path(server, pathname)
        else:
            path = fs.safe_join(root, pathname)
        found = checked_file(server, pathname, path)
        if not isinstance(found, Path):  # a 403, or nothing to serve
            return found
        html = found.read_text(encoding="utf-8")
        html = server.transform_index_html(url, html, original_url(request))
        return send(request, html, "text/html")

    return vite_index_html
