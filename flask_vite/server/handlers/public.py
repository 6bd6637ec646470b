"""Step 6: files of the public dir, served as they are."""
from __future__ import annotations

import os
import typing as t
from pathlib import Path

from flask import Request, Response

from .. import fs
from ..urls import (
    clean_url,
    decode_uri_if_possible,
    is_import_request,
    is_internal_request,
    is_url_request,
)
from .common import Handler, checked_file, request_url, send_path

if t.TYPE_CHECKING:
    from ..dev_server import DevServer


def make_serve_public(server: DevServer) -> Handler | None:
    """Serve ``VITE_PUBLIC_DIR/<path>`` at ``/<path>``, never transformed.

    Before the transform step, so ``/robots.txt`` or ``/sw.js`` reach the
    browser byte for byte (Vite's servePublicMiddleware). Not for
    ``?import`` (a public file cannot be imported from JS; the transform
    step reports it), ``?url`` (the asset plugin gives its URL) or internal
    ``/@…`` URLs. The deny list still applies: a ``.env`` copied into
    ``public/`` is refused like any other.

    :return: ``None`` when there is no public dir (the step is left out).
    """
    public_dir = server.config.public_dir
    if public_dir is None:
        return None
    extra_roots = (public_dir,)

    def vite_serve_public(request: Request) -> Response | None:
        url = request_url(request)
        if (
            request.method not in ("GET", "HEAD")
            or is_import_request(url)
            or is_internal_request(url)
            or is_url_request(url)
        ):
            return None
        if not public_dir.is_dir():
            return None
        pathname = decode_uri_if_possible(clean_url(url))
        if pathname is None or pathname.endswith("/"):
            return None
        path = fs.safe_join(public_dir, pathname)
        if path is None or not os.path.isfile(path):
            # Most requests are for modules, not public files: one stat
            # settles them before the access rules (which resolve symlinks).
            return None
        found = checked_file(server, clean_url(url), path, extra_roots=extra_roots)
        if not isinstance(found, Path):  # a 403, or nothing to serve
            return found
        return send_path(request, path)

    return vite_serve_public
