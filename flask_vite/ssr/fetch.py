"""Requests into and responses out of a fetch-style handler in V8.

An SSR entry may export a handler ``(request: Request) => Response |
Promise<Response>`` -- what Vite's ``FetchableDevEnvironment`` dispatches to,
and what Workers, Hono, Bun and Deno servers export. The runtime looks for
it in this order:

1. ``export default { fetch(request) {...} }`` (the default export's
   ``fetch`` method, called with the default export as ``this``: a Hono
   ``app`` works as is);
2. ``export function fetch(request) {...}``;
3. ``export function handler(request) {...}``.

Only the request is passed (no ``env`` / execution context).

:class:`FetchRequest` and :class:`FetchResponse` are what crosses the
process boundary; bodies travel base64-encoded in the JSON frames of
:mod:`flask_vite.ssr.protocol`, which carry text. :func:`from_werkzeug` and
:func:`to_flask` convert from a Werkzeug request and to a Flask response.
Only the conversions touch Werkzeug/Flask, and only when called: the
renderer child never imports this module.
"""
from __future__ import annotations

import base64
import dataclasses
import typing as t
from urllib.parse import quote

if t.TYPE_CHECKING:
    from flask import Response
    from werkzeug.wrappers import Request

#: The largest request or response body passed through (16 MiB). Both are
#: held in memory several times over on their way through V8 (bytes, base64,
#: JSON), inside the renderer's heap limit (``VITE_SSR_HEAP_LIMIT_MB``, 256
#: by default), and copied between the processes: a 10 MiB response takes
#: about 0.2 s, a 10 MiB request echoed back about 0.5 s (a 2-core machine).
#: A dev server has no use for more.
MAX_BODY_SIZE = 16 * 1024 * 1024

#: Headers describing one connection or the framing of a body, which the
#: WSGI server writes itself (PEP 3333 forbids an app to set hop-by-hop
#: headers; the Content-Length is recomputed for the bytes sent).
_NOT_FORWARDED = frozenset({
    "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
    "content-length",
})

#: Characters left as they are in a request target: RFC 3986's reserved and
#: unreserved sets, and "%" (the target is already percent-encoded).
_TARGET_SAFE = "!$%&'()*+,/:;=?@[]~"


@dataclasses.dataclass(frozen=True)
class FetchRequest:
    """A request for a fetch handler.

    :param method: The HTTP method (``GET`` …).
    :param url: The absolute URL (``http://host/path?query``), percent-encoded.
    :param headers: ``(name, value)`` pairs; values are Latin-1 text, as in WSGI.
    :param body: The body; ``None`` for none (always for ``GET`` and ``HEAD``).
    """

    method: str
    url: str
    headers: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    body: bytes | None = None

    def to_payload(self, max_body_size: int = MAX_BODY_SIZE) -> dict[str, t.Any]:
        """The JSON-compatible form the runtime reads (``host.fetch.request``)."""
        return {
            "method": self.method,
            "url": self.url,
            "headers": [[name, value] for name, value in self.headers],
            "body": None if self.body is None else base64.b64encode(self.body).decode("ascii"),
            "maxBodySize": max_body_size,
        }


@dataclasses.dataclass(frozen=True)
class FetchResponse:
    """What a fetch handler returned.

    :param status: The status code.
    :param status_text: The ``statusText`` it was given (often ``""``).
    :param headers: ``(lowercase name, value)`` pairs in the order they were
        set, each ``Set-Cookie`` its own pair.
    :param body: The whole body (a stream body is read to its end).
    """

    status: int
    status_text: str
    headers: list[tuple[str, str]]
    body: bytes

    @classmethod
    def from_payload(cls, payload: t.Mapping[str, t.Any]) -> FetchResponse:
        """Read what the runtime returned (``host.fetch.response``)."""
        return cls(
            status=int(payload["status"]),
            status_text=str(payload.get("statusText") or ""),
            headers=[(str(name), str(value)) for name, value in payload.get("headers") or ()],
            body=base64.b64decode(payload.get("body") or ""),
        )

    def header(self, name: str) -> str | None:
        """The values of ``name`` joined with ``", "``, as ``Headers.get`` does."""
        key = name.lower()
        values = [value for n, value in self.headers if n == key]
        return ", ".join(values) if values else None


def from_werkzeug(request: Request, *, max_body_size: int = MAX_BODY_SIZE) -> FetchRequest:
    """A Werkzeug (Flask) request as a :class:`FetchRequest`.

    The URL is the raw request target when the server gives it
    (``REQUEST_URI`` / ``RAW_URI``), so an escaped ``%2F`` stays escaped.
    The body is read with ``request.get_data()``: call this before reading
    ``request.form`` or ``request.files``, which consume it.

    :raises werkzeug.exceptions.RequestEntityTooLarge: The body is larger
        than ``max_body_size`` (Flask answers 413).
    """
    from werkzeug.exceptions import RequestEntityTooLarge

    method = request.method.upper()
    url = f"{request.scheme}://{request.host}{_request_target(request.environ)}"
    body: bytes | None = None
    if method not in ("GET", "HEAD"):
        # Check the announced length first: no need to read what is refused.
        length = request.content_length
        if length is not None and length > max_body_size:
            raise RequestEntityTooLarge(_too_large(length, max_body_size))
        data = request.get_data(cache=True)
        if len(data) > max_body_size:
            raise RequestEntityTooLarge(_too_large(len(data), max_body_size))
        # No body at all is null in a Request; an empty one is "".
        if data or length is not None or "chunked" in request.headers.get("Transfer-Encoding", ""):
            body = data
    return FetchRequest(method, url, list(request.headers.items()), body)


def to_flask(response: FetchResponse, *, method: str = "GET",
             response_class: type[Response] | None = None) -> Response:
    """A :class:`FetchResponse` as a Flask response (``response_class``,
    default ``flask.Response``).

    Headers keep their order, each ``Set-Cookie`` on its own; a non-empty
    ``statusText`` is the reason phrase. Hop-by-hop headers and
    ``Content-Length`` are left to the server (the length is that of the
    body sent), except that a ``HEAD`` response keeps the length it announces.
    No ``Content-Type`` is added when the handler gave none.
    """
    if response_class is None:
        import flask

        response_class = flask.Response
    status: int | str = response.status
    if response.status_text:
        status = f"{response.status} {response.status_text}"
    headers = [(name, value) for name, value in response.headers if name not in _NOT_FORWARDED]
    result = response_class(response.body, status=status, headers=headers)
    if response.header("content-type") is None:
        del result.headers["Content-Type"]
    length = response.header("content-length")
    if method.upper() == "HEAD" and length is not None and not response.body:
        result.headers["Content-Length"] = length
    return result


def _request_target(environ: t.Mapping[str, t.Any]) -> str:
    """The path and query of the request, percent-encoded."""
    raw = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    query = environ.get("QUERY_STRING", "")
    if isinstance(raw, str) and raw.startswith("/"):
        target = raw
        # Werkzeug's test EnvironBuilder leaves the query out of REQUEST_URI
        # when it is given apart; servers put the whole target there.
        if query and "?" not in raw:
            target += "?" + query
    else:
        target = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        if query:
            target += "?" + query
    # WSGI strings are bytes decoded as Latin-1: encode them back, then
    # percent-encode what a URL may not contain (non-ASCII, spaces).
    return quote(target.encode("latin-1", "replace"), safe=_TARGET_SAFE) or "/"


def _too_large(size: int, limit: int) -> str:
    return (f"The request body ({size} bytes) is larger than the {limit} bytes a fetch handler is "
            "sent (max_body_size of dispatch_fetch).")
