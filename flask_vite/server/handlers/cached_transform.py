"""Step 4: 304 for a module the browser already has, before any work."""
from __future__ import annotations

import re
import typing as t

from flask import Request, Response, current_app

from ..urls import (
    decode_uri_if_possible,
    is_css_request,
    is_html_proxy,
    is_import_request,
    is_js_request,
    remove_import_query,
    remove_timestamp_query,
    strip_base,
)
from .common import Handler, is_document_fetch_dest, logger, request_url, vary_on

if t.TYPE_CHECKING:
    from ..dev_server import DevServer

_TIMESTAMP_RE = re.compile(r"[?&]t=(\d{13})\b")


def make_cached_transform(server: DevServer) -> Handler:
    """Answer 304 when ``If-None-Match`` is the ETag of the module's current
    transform result.

    First after the security checks because it is the hot path of a page
    reload: a hundred module requests, each answered from the module graph
    without resolving or transforming anything (Vite's
    cachedTransformMiddleware). The ETag must belong to a node for *this*
    URL; CSS is left to the transform step, since a ``<link>`` and an
    ``import`` of one stylesheet get different bodies. A request whose
    ``?t=`` predates the module's last hot update is not answered here.
    """
    base = server.config.base

    def vite_cached_transform(request: Request) -> Response | None:
        if is_document_fetch_dest(request):
            # A navigation to /src/main.ts is served differently from an
            # import of it; caches must keep both apart.
            vary_on(request, "Sec-Fetch-Dest")
            return None
        etag = request.headers.get("If-None-Match")
        if not etag or request.method not in ("GET", "HEAD"):
            return None
        environment = server.environments.get("client")
        if environment is None:
            return None
        raw = request_url(request)
        url = decode_uri_if_possible(raw)
        if url is None:
            return None
        if base != "/" and base.startswith("/"):
            url = strip_base(url, base)
        if is_css_request(url) or not (
            is_js_request(url) or is_import_request(url) or is_html_proxy(url)
            or request.headers.get("Sec-Fetch-Dest") == "script"
        ):
            return None
        node = environment.module_graph.get_module_by_etag(etag)
        result = getattr(node, "transform_result", None)
        if node is None or result is None or result.etag != etag:
            return None
        if node.url != remove_timestamp_query(remove_import_query(url)):
            return None
        stamp = _TIMESTAMP_RE.search(url)
        if stamp is not None and int(stamp.group(1)) < (node.last_hmr_timestamp or 0):
            return None
        logger.debug("[304] %s", url)
        response = current_app.response_class(status=304)
        response.headers["ETag"] = etag
        response.headers["Cache-Control"] = "no-cache"
        return response

    return vite_cached_transform

