"""Step 7: modules — resolve, load and transform through the client environment."""
from __future__ import annotations

import base64
import json
import re
import typing as t

from flask import Request, Response, current_app

from ...errors import ViteError
from .. import fs
from ..urls import (
    DEP_VERSION_RE,
    NULL_BYTE_PLACEHOLDER,
    clean_url,
    decode_uri,
    file_to_url,
    inject_query,
    is_css_request,
    is_direct_css_request,
    is_direct_request,
    is_html_proxy,
    is_import_request,
    is_inline_request,
    is_js_request,
    is_special_query,
    remove_import_query,
    remove_timestamp_query,
    unwrap_id,
    with_trailing_slash,
)
from .common import Handler, access_denied, is_document_fetch_dest, logger, request_url, send

if t.TYPE_CHECKING:
    from ..dev_server import DevServer
    from ..transform_result import TransformResult

#: ``ViteError.code`` values the transform step answers itself, as Vite's
#: transformMiddleware does for its ``ERR_*`` codes: a status and a reason.
#: ``FS_DENIED`` (403) and ``LOAD_URL`` (pass on) are handled apart.
STATUS_BY_CODE: dict[str, tuple[int, str]] = {
    # The optimizer is still bundling; the browser will be reloaded.
    "OPTIMIZE_DEPS_PROCESSING_ERROR": (504, "Optimize Deps Processing Error"),
    # New dependencies were found and re-bundled; a full reload is on its way.
    "OUTDATED_OPTIMIZED_DEP": (504, "Outdated Optimize Dep"),
    # The server restarted while this request waited.
    "CLOSED_SERVER": (504, "Outdated Request"),
    "FILE_NOT_FOUND_IN_OPTIMIZED_DEP_DIR": (404, "Not Found"),
}
#: Codes meaning "this URL is not a module": let later handlers try.
PASS_ON_CODES = frozenset({"LOAD_URL"})

# "/" and the favicon are never modules (Vite's knownIgnoreList).
_IGNORED_URLS = frozenset({"/", "/favicon.ico"})
_MAP_SUFFIX_RE = re.compile(r"\.map($|\?)")
_SOURCE_MAP_COMMENT_RE = re.compile(r"[#@] sourceMappingURL=")


def make_transform(server: DevServer) -> Handler:
    """Serve JS/TS/JSX, CSS, JSON and asset modules, and ``?import``,
    ``?url``, ``?raw``, ``?inline``, ``?worker`` and HTML-proxy URLs, as the
    client environment transforms them.

    After the public dir (whose files are never transformed) and before the
    plain file handlers (a ``.ts`` file must reach the browser as JS, not as
    itself). Which requests count as modules follows Vite's
    transformMiddleware: a JS-like or extension-less path, ``?import``,
    CSS, ``Sec-Fetch-Dest: script``; a navigation never does.

    Every URL first goes through :func:`flask_vite.server.fs.check_url_access`,
    so ``/.env?raw`` is refused before the pipeline reads a byte.
    """
    root = server.config.root
    public_dir = server.config.public_dir
    public_path: str | None = None
    if public_dir is not None and public_dir != root and root in public_dir.parents:
        public_path = with_trailing_slash(file_to_url(public_dir, root))
    deps_prefix = with_trailing_slash(file_to_url(server.config.cache_dir / "deps", root))

    def vite_transform(request: Request) -> Response | None:
        raw = request_url(request)
        if (
            request.method not in ("GET", "HEAD")
            or raw in _IGNORED_URLS
            or is_document_fetch_dest(request)
        ):
            return None
        try:
            url = decode_uri(remove_timestamp_query(raw)).replace(NULL_BYTE_PLACEHOLDER, "\0")
        except ValueError:
            logger.warning("Malformed URI sequence in request URL: %s", remove_timestamp_query(raw))
            return None
        environment = server.environments.get("client")

        if clean_url(url).endswith(".map"):
            return _source_map(request, environment, url)

        if public_path is not None and url.startswith(public_path):
            logger.warning(
                "Files in the public directory are served at the root path."
                " Instead of %s, use %s.", url, "/" + url[len(public_path):],
            )

        if not (
            request.headers.get("Sec-Fetch-Dest") == "script"
            or is_js_request(url)
            or is_import_request(url)
            or is_css_request(url)
            or is_html_proxy(url)
            or is_special_query(url)
            or is_inline_request(url)
        ):
            return None

        url = unwrap_id(remove_import_query(url))
        try:
            fs.check_url_access(server, url)
        except fs.FsDeniedError as e:
            return access_denied(server, clean_url(url), e.reason, e.file)
        if environment is None:
            return None  # no pipeline (yet): the file handlers may still serve it

        if is_css_request(url):
            # A <link> asks for text/css; an import gets a JS module that
            # injects the style. Both share the file, so they are told apart.
            if "text/css" in request.headers.get("Accept", "") and not is_direct_request(url):
                url = inject_query(url, "direct")
            etag = request.headers.get("If-None-Match")
            if etag:
                node = environment.module_graph.get_module_by_url(url)
                result = getattr(node, "transform_result", None)
                if result is not None and result.etag == etag:
                    return send(request, "", "text/css", etag=etag)

        try:
            result = environment.transform_request(url)
        except fs.FsDeniedError as e:
            return access_denied(server, clean_url(url), e.reason, e.file)
        except ViteError as e:
            if e.code == fs.FS_DENIED:
                return access_denied(server, clean_url(url), e.message)
            if e.code in PASS_ON_CODES:
                return None
            if e.code in STATUS_BY_CODE:
                status, reason = STATUS_BY_CODE[e.code]
                logger.info("%s %s: %s", status, url, e.message)
                return current_app.response_class(status=f"{status} {reason}")
            raise
        if result is None:
            return None
        content_type = "text/css" if is_direct_css_request(url) else result.content_type
        is_dep = clean_url(url).startswith(deps_prefix) and DEP_VERSION_RE.search(url) is not None
        return send(
            request,
            served_body(result, content_type),
            content_type,
            etag=result.etag,
            # Pre-bundled deps carry their version in ?v=: cache them for good.
            cache_control="max-age=31536000,immutable" if is_dep else "no-cache",
        )

    return vite_transform


def _source_map(request: Request, environment: t.Any, url: str) -> Response | None:
    """``/src/App.tsx.map``: the map of a transformed module, from the graph."""
    if environment is None:
        return None
    original = _MAP_SUFFIX_RE.sub(r"\1", url, count=1)
    node = environment.module_graph.get_module_by_url(original)
    result = getattr(node, "transform_result", None)
    source_map = getattr(result, "map", None)
    if not source_map:
        return None  # optimized deps' .map files are plain files in the cache dir
    return send(request, json.dumps(source_map), "application/json")


def served_body(result: TransformResult, content_type: str) -> bytes:
    """What is sent for ``result`` as ``content_type``: the code with its
    inline source map, encoded; made once per result."""
    body = result.served.get(content_type)
    if body is None:
        body = result.served[content_type] = with_inline_source_map(
            result, content_type
        ).encode("utf-8", "surrogatepass")
    return body


def with_inline_source_map(result: TransformResult, content_type: str) -> str:
    """The code with its source map appended as a data URL, as Vite's
    ``send`` does for JS and CSS, unless the code already points to one."""
    source_map = result.map
    code = result.code
    if not source_map or not source_map.get("mappings"):
        return code
    if _SOURCE_MAP_COMMENT_RE.search(code[-4096:]):
        return code
    data = base64.b64encode(json.dumps(source_map).encode("utf-8")).decode("ascii")
    url = f"data:application/json;base64,{data}"
    if content_type.startswith("text/css"):
        return f"{code}\n/*# sourceMappingURL={url} */\n"
    if content_type.startswith(("text/javascript", "application/javascript")):
        return f"{code}\n//# sourceMappingURL={url}\n"
    return code

