"""What the handlers share: the handler type, the request URL they rewrite,
and the few ways they answer (text, files, 403).

Vite's middlewares read and rewrite ``req.url`` (the raw request target:
path and query, still percent-encoded; the base middleware strips the base,
the HTML fallback turns ``/about`` into ``/about.html``). A Flask request's
path is read-only, so the chain keeps that URL in the WSGI environ:
:func:`request_url` reads it, :func:`set_request_url` rewrites it for the
handlers that follow. Flask's own routing is not affected.
"""
from __future__ import annotations

import html
import logging
import re
import typing as t
from pathlib import Path
from urllib.parse import quote

from flask import Request, Response, current_app
from werkzeug.utils import send_file

from ... import mime_types
from ..transform_result import make_etag

if t.TYPE_CHECKING:
    from ..dev_server import DevServer

#: A dev-server handler: a response ends the chain, ``None`` passes the
#: request on (and after the last handler, to Flask's routing).
Handler = t.Callable[[Request], t.Optional[Response]]

logger = logging.getLogger("flask_vite.server")

#: Environ keys the chain keeps per request.
URL_KEY = "flask_vite.url"
ORIGINAL_URL_KEY = "flask_vite.original_url"
CORS_HEADERS_KEY = "flask_vite.cors_headers"
VARY_KEY = "flask_vite.vary"

_ABSOLUTE_FORM_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*")
# Printable ASCII: what may stay as it is in a URL we reconstruct.
_URL_SAFE_ASCII = "".join(chr(c) for c in range(0x21, 0x7F))
# The .ts and .mts extensions are registered as video/mp2t; Vite serves them,
# and every other JS-like source, as JavaScript (static.ts, knownJavascriptExtensionRE).
_KNOWN_JS_EXT_RE = re.compile(r"\.(?:[tj]sx?|[cm][tj]s)$")
_DOCUMENT_FETCH_DESTS = frozenset({"document", "iframe", "frame", "fencedframe"})


# -- the URL the chain works on --------------------------------------------------
def raw_request_target(environ: t.Mapping[str, t.Any]) -> str | None:
    """The request target exactly as the client sent it (``REQUEST_URI`` from
    Werkzeug/uWSGI, ``RAW_URI`` from gunicorn), or ``None`` if the server
    does not say."""
    value = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    return value if isinstance(value, str) and value else None


def _ascii_url(value: str) -> str:
    # WSGI strings are latin-1 decoded bytes; percent-encode what is not
    # printable ASCII so every later step sees one form.
    try:
        data = value.encode("latin-1")
    except UnicodeEncodeError:
        data = value.encode("utf-8")
    return quote(data, safe=_URL_SAFE_ASCII)


def initial_url(environ: t.Mapping[str, t.Any]) -> str:
    """Vite's ``req.url`` for this request: path and query, percent-encoded,
    without the fragment and without the app's ``SCRIPT_NAME`` mount point."""
    script_name = _ascii_url(environ.get("SCRIPT_NAME", "")).rstrip("/")
    raw = raw_request_target(environ)
    if raw is not None:
        url = _ascii_url(raw)
        absolute = _ABSOLUTE_FORM_RE.match(url)
        if absolute:  # "GET http://host/path HTTP/1.1"
            url = url[absolute.end():] or "/"
        url = url.split("#", 1)[0]
        if url.startswith("/"):
            if not script_name:
                return url
            if url == script_name or url.startswith((script_name + "/", script_name + "?")):
                rest = url[len(script_name):]
                return rest if rest.startswith("/") else "/" + rest
    # No raw target (or one we cannot line up with SCRIPT_NAME): rebuild it
    # from the decoded PATH_INFO, escaping "%", "?" and "#" again so nothing
    # gets decoded twice.
    path = quote(environ.get("PATH_INFO", "").encode("latin-1", "replace"), safe="/;:@&=+$,!~*'()")
    query = environ.get("QUERY_STRING", "")
    return (path or "/") + (f"?{query}" if query else "")


def request_url(request: Request) -> str:
    """The URL as the handlers so far have left it (Vite's ``req.url``)."""
    url = request.environ.get(URL_KEY)
    if url is None:
        url = request.environ[URL_KEY] = initial_url(request.environ)
    return t.cast(str, url)


def set_request_url(request: Request, url: str) -> None:
    """Rewrite the URL for the handlers that follow (not for Flask routing)."""
    request.environ[URL_KEY] = url


def original_url(request: Request) -> str:
    """The URL before any handler rewrote it (Vite's ``req.originalUrl``)."""
    return t.cast(str, request.environ.get(ORIGINAL_URL_KEY) or request_url(request))


# -- reading the request -------------------------------------------------------
def is_document_fetch_dest(request: Request) -> bool:
    """A navigation (``Sec-Fetch-Dest: document``, frames): the browser wants
    a page, not a module, even for ``/src/main.ts``."""
    return request.headers.get("Sec-Fetch-Dest", "") in _DOCUMENT_FETCH_DESTS


def accepts_html(request: Request) -> bool:
    return "text/html" in request.headers.get("Accept", "")


# -- answering -----------------------------------------------------------------
def content_type_for(path: str) -> str:
    """A ``Content-Type`` for a served file name."""
    if _KNOWN_JS_EXT_RE.search(path):
        return "text/javascript"
    return mime_types.guess(path)


def send(
    request: Request,
    body: str | bytes,
    content_type: str,
    *,
    etag: str | None = None,
    cache_control: str = "no-cache",
    status: int = 200,
) -> Response:
    """Answer with generated content (Vite's ``send``): a weak ETag, and 304
    when the client already has that ETag."""
    if etag is None:
        etag = make_etag(body if isinstance(body, str) else body.decode("latin-1"))
    headers = {"Cache-Control": cache_control, "ETag": etag}
    if status == 200 and request.headers.get("If-None-Match") == etag:
        return current_app.response_class(status=304, headers=headers)
    return current_app.response_class(
        body, status=status, headers=headers, content_type=_with_charset(content_type)
    )


def _with_charset(content_type: str) -> str:
    if content_type.startswith(("text/", "application/json")) and "charset" not in content_type:
        return content_type + "; charset=utf-8"
    return content_type


def send_path(request: Request, path: Path, *, cache_control: str | None = None) -> Response:
    """Serve a file from disk as it is: ETag/Last-Modified, 304, ranges.

    ``path`` must already have passed :func:`~flask_vite.server.fs.file_access`.
    """
    response = send_file(
        path,
        request.environ,
        mimetype=content_type_for(path.name),
        conditional=True,
        etag=True,
        response_class=current_app.response_class,
    )
    if cache_control is not None:
        response.headers["Cache-Control"] = cache_control
    return t.cast(Response, response)


def access_denied(
    server: DevServer, url: str, reason: str, file: Path | str | None = None
) -> Response:
    """403 with a short HTML page (Vite's ``respondWithAccessDenied``).

    The page names the URL and the setting at fault; the file's absolute
    path goes to the log only.
    """
    logger.warning(
        "403 %s: %s%s", url, reason, f" (file {file})" if file is not None else ""
    )
    message = (
        f"The request URL \"{url}\" was refused: {reason}.\n"
        "Change VITE_FS_ALLOW or VITE_FS_DENY to serve it."
    )
    body = (
        "<!doctype html>\n<body>\n<h1>403 Restricted</h1>\n<p>"
        + html.escape(message).replace("\n", "<br>")
        + "</p>\n</body>\n"
    )
    return current_app.response_class(
        body,
        status=403,
        content_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


def checked_file(server: DevServer, pathname: str, path: Path | None, *,
                 extra_roots: t.Sequence[Path] = ()) -> Path | Response | None:
    """The real file ``path`` names (the file the URL path ``pathname``
    asks for), if the path-safety rules let it be served; a 403 response
    when they deny it; ``None`` when it is missing, outside the allowed
    folders or not a file (the request falls through).

    :param extra_roots: Folders allowed for this lookup only (the public dir).
    """
    from .. import fs

    if path is None:
        return None
    access, reason = fs.explain_access(server, path, extra_roots=extra_roots)
    if access is fs.Access.DENIED:
        return access_denied(server, pathname, reason, path)
    if access is not fs.Access.ALLOWED:
        return None
    real = fs.real_path(path)
    return real if real.is_file() else None


def serve_checked_file(server: DevServer, request: Request, pathname: str,
                       path: Path | None) -> Response | None:
    """Serve ``path`` through :func:`checked_file`: the file, a 403, or ``None``."""
    found = checked_file(server, pathname, path)
    if not isinstance(found, Path):  # a 403, or nothing to serve
        return found
    return send_path(request, found)


def add_vary(response: Response, *names: str) -> None:
    """Add header names to ``Vary`` without duplicating them."""
    current = [v.strip() for v in response.headers.get("Vary", "").split(",") if v.strip()]
    lowered = {v.lower() for v in current}
    for name in names:
        if name.lower() not in lowered:
            current.append(name)
            lowered.add(name.lower())
    if current:
        response.headers["Vary"] = ", ".join(current)


def vary_on(request: Request, *names: str) -> None:
    """Ask for ``Vary: <names>`` on whichever handler's answer ends the chain."""
    request.environ.setdefault(VARY_KEY, []).extend(names)


def finish_response(request: Request, response: Response) -> Response:
    """Add what earlier handlers noted (CORS headers, ``Vary``) to the answer."""
    for name, value in request.environ.get(CORS_HEADERS_KEY, ()):
        if name == "Vary":
            add_vary(response, value)
        else:
            response.headers[name] = value
    names = request.environ.get(VARY_KEY)
    if names:
        add_vary(response, *names)
    return response
