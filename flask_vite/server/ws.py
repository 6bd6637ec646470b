"""The HMR channel: how the dev server talks to the browsers' ``/@vite/client``.

Vite's ``server/ws.ts``, on the Flask app's own port:

* **WebSocket** at the base path (``ws://host/<base>?token=…``, subprotocol
  ``vite-hmr``), upgraded with simple-websocket, which finds the
  connection's socket under werkzeug (``flask run``), gunicorn and gevent's
  WSGI server. The request that upgraded serves the socket until it closes:
  a thread of the threaded dev server, a greenlet under gevent.
* **Server-Sent Events** where the server cannot hand out its socket (other
  WSGI servers, proxies that drop ``Upgrade``): ``GET <base>@vite/hmr`` is
  an event stream (server → browser), ``POST`` to the same URL carries the
  browser's messages (``import.meta.hot.send``, ``invalidate``).

Messages are Vite's JSON payloads. A browser's request carries an
``Origin``; it must present the per-server token the client runtime was
served with, or the connection is refused before any upgrade — another
site's page cannot listen to updates or send events (cross-site WebSocket
hijacking). The token is new for every server process.
"""
from __future__ import annotations

import hmac
import json
import logging
import queue
import secrets
import socket
import threading
import time
import typing as t

if t.TYPE_CHECKING:
    from simple_websocket import Server as WebSocket  # type: ignore[import-untyped]

logger = logging.getLogger("flask_vite.hmr")

#: A message to or from a browser (Vite's ``HotPayload``).
HotPayload = t.Dict[str, t.Any]
#: ``listener(data, client)`` for a custom event sent by a browser.
Listener = t.Callable[[t.Any, "HotClient"], None]

#: The subprotocol of the client runtime's WebSocket, and of its "is the
#: server back?" probe, which may connect without a token (it carries nothing).
HMR_PROTOCOL = "vite-hmr"
PING_PROTOCOL = "vite-ping"
#: Seconds between keep-alive comments on an event stream: proxies close idle
#: responses, and a write is how a closed stream is noticed.
SSE_KEEPALIVE = 15.0
#: An error sent this recently is also sent to browsers that connect now:
#: a page reloading after an edit usually reconnects *after* its broken
#: module's request has failed and the error was broadcast.
RECENT_ERROR_SECONDS = 3.0
#: Largest message accepted from a browser, in bytes.
MAX_MESSAGE_SIZE = 1 << 20
# How often a serving loop looks up from its socket to see the channel closing.
_POLL_SECONDS = 1.0


class CannotUpgrade(Exception):
    """This WSGI server does not give the application its socket."""


class HotClient:
    """One connected page (Vite's ``HotChannelClient``)."""

    #: How the page is connected: ``"websocket"`` or ``"sse"``.
    transport: str = ""

    def send(self, payload: HotPayload | str, data: t.Any = None) -> None:
        """Send a payload, or a custom event: ``send("my:event", {"x": 1})``."""
        if isinstance(payload, str):
            payload = {"type": "custom", "event": payload, "data": data}
        self.send_text(json.dumps(payload, separators=(",", ":")))

    def send_text(self, text: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class WebSocketClient(HotClient):
    transport = "websocket"

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        # The watcher thread broadcasts while the serving thread may be
        # answering (wsproto's state is not thread-safe).
        self._lock = threading.Lock()

    def send_text(self, text: str) -> None:
        with self._lock:
            self.ws.send(text)

    def close(self) -> None:
        """Send a close frame (1001: going away) and shut the socket down.

        Shutting down ends simple-websocket's reader (blocked in ``recv``) at
        once, and makes the WSGI server's own write of a response fail with
        ``EPIPE``, which werkzeug, gevent and gunicorn all take as "client
        gone" — nothing is written after the WebSocket frames.
        """
        with self._lock:
            if self.ws.connected:
                try:
                    self.ws.close(1001, "server closing")
                except Exception:  # already closing or gone
                    pass
            _shutdown(self.ws.sock)


class EventStreamClient(HotClient):
    transport = "sse"

    def __init__(self, id: str) -> None:
        self.id = id
        #: Texts to write; ``None`` ends the stream.
        self.queue: queue.Queue[str | None] = queue.Queue()

    def send_text(self, text: str) -> None:
        self.queue.put(text)

    def close(self) -> None:
        self.queue.put(None)


class HotChannel:
    """The dev server's connection to every open page (Vite's ``server.ws``).

    :param enabled: ``VITE_HMR``. When off, only ``connected``, ``ping``,
        ``custom`` and ``error`` messages go out (as Vite's ``hmr: false``).
    :param token: The token pages must present; a random one by default.
    """

    def __init__(self, *, enabled: bool = True, token: str | None = None) -> None:
        self.enabled = enabled
        #: Embedded in ``/@vite/client``; required from browser connections.
        self.token = token or secrets.token_urlsafe(9)
        self._lock = threading.Lock()
        self._clients: list[HotClient] = []
        self._sse: dict[str, EventStreamClient] = {}
        self._listeners: dict[str, list[Listener]] = {}
        # Vite's bufferedMessage: an error or a reload sent while no page was
        # connected goes to the next page that connects.
        self._buffered: str | None = None
        self._recent_error: tuple[float, str] | None = None
        # Serving loops still running (WebSocket requests, event streams);
        # close() waits for them so no request outlives the app.
        self._active = 0
        self._idle = threading.Condition(self._lock)
        self._closed = False

    # -- sending -----------------------------------------------------------------------
    @property
    def clients(self) -> list[HotClient]:
        """The pages connected now."""
        with self._lock:
            return list(self._clients)

    def send(self, payload: HotPayload | str, data: t.Any = None) -> None:
        """Broadcast to every page; ``send("my:event", data)`` sends a custom event."""
        if isinstance(payload, str):
            payload = {"type": "custom", "event": payload, "data": data}
        kind = payload.get("type")
        if not self.enabled and kind not in ("connected", "ping", "custom", "error"):
            return
        text = json.dumps(payload, separators=(",", ":"))
        with self._lock:
            if self._closed:
                return
            if kind == "error":
                self._recent_error = (time.monotonic(), text)
            elif kind in ("update", "full-reload"):
                self._recent_error = None  # the code changed since
            clients = list(self._clients)
            if not clients and kind in ("error", "full-reload"):
                self._buffered = text
                return
        for client in clients:
            self._deliver(client, text)

    def _deliver(self, client: HotClient, text: str) -> None:
        try:
            client.send_text(text)
        except Exception as e:  # the page went away mid-send
            logger.debug("dropping HMR client %r: %s", client, e)
            self._remove(client)

    # -- browser → server ------------------------------------------------------------
    def on(self, event: str, listener: Listener) -> None:
        """Call ``listener(data, client)`` when a page sends the custom ``event``
        (``import.meta.hot.send(event, data)``). ``vite:client:connect`` and
        ``vite:client:disconnect`` are emitted for every page."""
        with self._lock:
            self._listeners.setdefault(event, []).append(listener)

    def off(self, event: str, listener: Listener) -> None:
        with self._lock:
            listeners = self._listeners.get(event, [])
            if listener in listeners:
                listeners.remove(listener)

    def _emit(self, event: str, data: t.Any, client: HotClient) -> None:
        with self._lock:
            listeners = list(self._listeners.get(event, ()))
        for listener in listeners:
            try:
                listener(data, client)
            except Exception:  # one bad listener must not drop the connection
                logger.exception("HMR listener for %r failed", event)

    def receive(self, client: HotClient, text: str | bytes) -> None:
        """A message from a page: custom events go to the listeners; the rest
        (keep-alive ``ping``) is ignored, as in Vite."""
        try:
            message = json.loads(text)
        except ValueError:
            return
        if (isinstance(message, dict) and message.get("type") == "custom"
                and isinstance(message.get("event"), str)):
            self._emit(message["event"], message.get("data"), client)

    # -- connections -----------------------------------------------------------------
    def check_token(self, token: str | None) -> bool:
        """Whether ``token`` is this server's (compared in constant time)."""
        if not token:
            return False
        return hmac.compare_digest(token.encode("utf-8", "replace"), self.token.encode())

    def _add(self, client: HotClient) -> bool:
        with self._lock:
            if self._closed:
                return False
            self._clients.append(client)
            if isinstance(client, EventStreamClient):
                self._sse[client.id] = client
            pending = [self._buffered] if self._buffered else []
            self._buffered = None
            if (self._recent_error is not None
                    and time.monotonic() - self._recent_error[0] < RECENT_ERROR_SECONDS
                    and self._recent_error[1] not in pending):
                pending.append(self._recent_error[1])
        self._deliver(client, '{"type":"connected"}')
        for text in pending:
            self._deliver(client, text)
        self._emit("vite:client:connect", None, client)
        return True

    def _remove(self, client: HotClient) -> None:
        with self._lock:
            if client not in self._clients:
                return
            self._clients.remove(client)
            if isinstance(client, EventStreamClient) and self._sse.get(client.id) is client:
                del self._sse[client.id]
        self._emit("vite:client:disconnect", None, client)

    def _enter(self) -> bool:
        with self._lock:
            if self._closed:
                return False
            self._active += 1
            return True

    def _leave(self) -> None:
        with self._lock:
            self._active -= 1
            self._idle.notify_all()

    def serve_websocket(self, environ: dict[str, t.Any], protocol: str = HMR_PROTOCOL) -> None:
        """Upgrade the request to a WebSocket and serve the page until it goes.

        Blocks: the WSGI server's thread (or greenlet) for the request is the
        page's connection. A ``vite-ping`` connection is closed at once.

        :raises CannotUpgrade: the WSGI server does not expose the socket.
        """
        from simple_websocket import ConnectionClosed, Server

        if not self._enter():
            raise CannotUpgrade("the HMR channel is closed")
        try:
            try:
                ws = Server.accept(environ, subprotocols=[protocol],
                                   max_message_size=MAX_MESSAGE_SIZE)
            except RuntimeError as e:  # "Cannot obtain socket from WSGI environment."
                raise CannotUpgrade(str(e)) from e
            client = WebSocketClient(ws)
            if protocol == PING_PROTOCOL or not self._add(client):
                client.close()
                _join(ws)
                return
            try:
                while not self._closed:
                    try:
                        text = ws.receive(timeout=_POLL_SECONDS)
                    except ConnectionClosed:
                        break
                    if text is not None:
                        self.receive(client, text)
            finally:
                self._remove(client)
                client.close()
                _join(ws)
        finally:
            self._leave()

    def event_stream(self, client_id: str) -> t.Iterator[bytes]:
        """The body of an event-stream response for the page ``client_id``.

        Each payload is one ``data:`` event; a comment every
        :data:`SSE_KEEPALIVE` seconds keeps proxies from closing the response
        and finds out when the page has gone (the write fails).
        """
        client = EventStreamClient(client_id)
        if not self._enter():
            return
        try:
            with self._lock:
                old = self._sse.get(client_id)
            if old is not None:  # the same page reconnecting: one stream per page
                old.close()
                self._remove(old)
            if not self._add(client):
                return
            try:
                # Sent at once, so the browser's EventSource opens without waiting.
                yield b"retry: 1000\n\n"
                while True:
                    try:
                        text = client.queue.get(timeout=SSE_KEEPALIVE)
                    except queue.Empty:
                        yield b": keep-alive\n\n"
                        continue
                    if text is None:
                        return
                    yield b"data: " + text.encode("utf-8") + b"\n\n"
            finally:
                self._remove(client)
        finally:
            self._leave()

    def receive_posted(self, client_id: str, body: bytes) -> bool:
        """A message a page sent by ``POST`` (the event-stream transport).

        :returns: ``False`` if no stream of that page is open.
        """
        with self._lock:
            client = self._sse.get(client_id)
        if client is None:
            return False
        self.receive(client, body)
        return True

    # -- shutdown -----------------------------------------------------------------------
    def close(self, timeout: float = 5.0) -> None:
        """Disconnect every page and wait (up to ``timeout`` seconds) for the
        requests that served them to finish."""
        with self._lock:
            self._closed = True
            clients = list(self._clients)
        for client in clients:
            try:
                client.close()
            except Exception:  # already gone
                pass
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._active > 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    logger.warning("%d HMR connection(s) still open after close()", self._active)
                    break
                self._idle.wait(remaining)
            self._clients.clear()
            self._sse.clear()


def is_websocket_upgrade(environ: t.Mapping[str, t.Any]) -> bool:
    """A ``GET`` asking to switch to the WebSocket protocol."""
    return (
        environ.get("REQUEST_METHOD") == "GET"
        and environ.get("HTTP_UPGRADE", "").strip().lower() == "websocket"
        and "upgrade" in environ.get("HTTP_CONNECTION", "").lower()
    )


def requested_protocols(environ: t.Mapping[str, t.Any]) -> list[str]:
    """The subprotocols offered in ``Sec-WebSocket-Protocol``."""
    header = environ.get("HTTP_SEC_WEBSOCKET_PROTOCOL", "")
    return [p.strip() for p in header.split(",") if p.strip()]


def _shutdown(sock: socket.socket | None) -> None:
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed by the peer or by simple-websocket
        pass


def _join(ws: WebSocket) -> None:
    # simple-websocket's reader ends as soon as the socket is shut down.
    thread = getattr(ws, "thread", None)
    if thread is not None and thread is not threading.current_thread():
        thread.join(5.0)
