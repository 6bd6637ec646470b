"""Step 8: ``/@fs/<absolute path>`` for files outside the root."""
from __future__ import annotations

import typing as t

from flask import Request, Response

from .. import fs
from ..urls import FS_PREFIX, clean_url, decode_uri_if_possible
from .common import Handler, request_url, serve_checked_file

if t.TYPE_CHECKING:
    from ..dev_server import DevServer


def make_serve_raw_fs(server: DevServer) -> Handler:
    """Serve ``/@fs/home/me/lib/logo.png`` from the file system, only inside
    the allowed folders and never a denied file.

    Linked packages in a monorepo live outside the root; import analysis
    rewrites their assets to ``/@fs/`` URLs (Vite's serveRawFsMiddleware).
    After the transform step, which handles the ``/@fs/`` URLs of modules.
    """

    def vite_serve_raw_fs(request: Request) -> Response | None:
        url = request_url(request)
        if not url.startswith(FS_PREFIX) or request.method not in ("GET", "HEAD"):
            return None
        pathname = decode_uri_if_possible(clean_url(url))
        if pathname is None:
            return None
        return serve_checked_file(server, request, pathname, fs.url_to_path(server, pathname))

    return vite_serve_raw_fs
