"""Step 3: the HMR channel — the client runtime's WebSocket, or its event stream."""
from __future__ import annotations

import re
import typing as t

from flask import Request, Response, current_app

from ..urls import clean_url
from ..ws import (
    HMR_PROTOCOL, MAX_MESSAGE_SIZE, PING_PROTOCOL, CannotUpgrade, is_websocket_upgrade,
    requested_protocols,
)
from .base import dev_base_path
from .common import Handler, logger, request_url

if t.TYPE_CHECKING:
    from ..dev_server import DevServer

#: Path of the event-stream transport and of the "server is back" probe, under the base.
EVENT_STREAM_PATH = "@vite/hmr"
_CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def make_hot_channel(server: DevServer) -> Handler | None:
    """Serve the HMR channel at the base path (Vite's WebSocket upgrade listener).

    * ``GET <base>`` with ``Upgrade: websocket`` and the ``vite-hmr``
      subprotocol: the WebSocket (other subprotocols pass on: they may be
      the app's own);
    * ``GET <base>@vite/hmr`` (``Accept: text/event-stream``): the event
      stream for servers that cannot upgrade; ``POST`` there: a message
      from the page; ``?ping``: 204, for the client to see the server is back.

    A request with an ``Origin`` (every browser's WebSocket) needs the
    token; the event stream and posts always do. A bad token is a 403
    before any upgrade.

    :return: ``None`` when the server has no channel (the step is left out).
    """
    channel = getattr(server, "hot", None)
    if channel is None:
        return None
    base = dev_base_path(server.config.base)
    stream_path = base + EVENT_STREAM_PATH

    def vite_hmr_channel(request: Request) -> Response | None:
        path = clean_url(request_url(request))
        if path == base and is_websocket_upgrade(request.environ):
            protocols = requested_protocols(request.environ)
            if PING_PROTOCOL in protocols:
                return _websocket(request, PING_PROTOCOL)
            if HMR_PROTOCOL not in protocols:
                return None
            if request.headers.get("Origin") and not channel.check_token(request.args.get("token")):
                return _refuse("the WebSocket token is missing or wrong")
            return _websocket(request, HMR_PROTOCOL)
        if path != stream_path:
            return None
        if request.method in ("GET", "HEAD") and "ping" in request.args:
            return current_app.response_class(status=204, headers={"Cache-Control": "no-store"})
        client_id = request.args.get("client", "")
        if not channel.check_token(request.args.get("token")):
            return _refuse("the HMR token is missing or wrong")
        if not _CLIENT_ID_RE.match(client_id):
            return _text(400, "Expected ?client=<id> (letters, digits, '-', '_').")
        if request.method == "GET":
            return current_app.response_class(
                channel.event_stream(client_id),
                mimetype="text/event-stream",
                headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
                direct_passthrough=True,
            )
        if request.method == "POST":
            if (request.content_length or 0) > MAX_MESSAGE_SIZE:
                return _text(413, "HMR message too large.")
            known = channel.receive_posted(client_id, request.get_data(cache=False))
            return current_app.response_class(status=204 if known else 410)
        return _text(405, "Use GET (event stream) or POST (messages).")

    def _websocket(request: Request, protocol: str) -> Response:
        try:
            channel.serve_websocket(request.environ, protocol)
        except CannotUpgrade as e:
            # The client falls back to the event stream.
            logger.debug("no WebSocket upgrade on this server: %s", e)
            return _text(501, "This server cannot upgrade to WebSocket; use the event stream"
                              f" at {stream_path}.")
        return _AfterWebSocket(status=101)

    return vite_hmr_channel


class _AfterWebSocket(Response):
    """The WSGI answer once a WebSocket session is over: nothing more must
    reach the socket.

    The socket is shut down by then, so werkzeug's and gevent's attempt to
    write this response fails with ``EPIPE``, which they take as a client
    gone away. gunicorn lent its own socket, which simple-websocket has
    closed: gunicorn ends a connection quietly on ``StopIteration`` (what
    Flask-Sock does).
    """

    def __call__(self, environ: t.Any, start_response: t.Any) -> t.Any:
        if "gunicorn.socket" in environ:
            raise StopIteration()
        return super().__call__(environ, start_response)


def _refuse(reason: str) -> Response:
    logger.warning("HMR connection refused: %s", reason)
    return _text(403, f"Refused: {reason}. Reload the page to get the current token.")


def _text(status: int, text: str) -> Response:
    return current_app.response_class(
        text + "\n", status=status, content_type="text/plain; charset=utf-8",
        headers={"Cache-Control": "no-store"},
    )
