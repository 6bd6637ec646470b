"""The Chrome DevTools Protocol channel under :mod:`tests.browser`.

Like esbuild's ``createChannel`` (``lib/shared/common.ts``): one WebSocket
(``simple-websocket``), one reader thread that hands each response to the
caller waiting on its id and each event to the handler registered for its
``sessionId`` (flat sessions: ``Target.attachToTarget(flatten=True)``), and
every waiter failed with :class:`BrowserClosedError` once the socket closes.
Plus the few RemoteObject decoders the page needs. No processes here.
"""
from __future__ import annotations

import contextlib
import itertools
import json
import logging
import threading
import typing as t

import simple_websocket  # type: ignore[import-untyped]

logger = logging.getLogger("flask_vite.tests.browser")

#: Seconds a single DevTools command may take before :class:`BrowserTimeout`.
COMMAND_TIMEOUT = 30.0
#: Seconds :meth:`Connection.close` waits for the reader threads.
CLOSE_TIMEOUT = 5.0

JSON = t.Any
Params = dict[str, t.Any]
#: Called on the reader thread with an event's method and params.
EventHandler = t.Callable[[str, Params], None]


# --- errors -----------------------------------------------------------------


class BrowserError(Exception):
    """Base class of every error raised by this module."""


class BrowserNotFound(BrowserError):
    """The Chromium binary does not exist or cannot be run."""


class BrowserClosedError(BrowserError):
    """Chromium exited, crashed or closed the DevTools connection."""


class BrowserTimeout(BrowserError, TimeoutError):
    """A command, navigation or :meth:`Page.wait_for` ran out of time."""


class ProtocolError(BrowserError):
    """Chromium answered a command with an error."""

    def __init__(self, method: str, message: str, code: int | None = None) -> None:
        super().__init__(f"{method}: {message}")
        self.method = method
        self.code = code


class NavigationError(BrowserError):
    """A navigation failed before any response (refused, DNS, aborted …)."""


class JSError(BrowserError):
    """The evaluated JavaScript threw; the message is the JS error's own."""


# --- the channel -------------------------------------------------------------


class _Pending:
    __slots__ = ("method", "session_id", "done", "result", "error")

    def __init__(self, method: str, session_id: str | None) -> None:
        self.method = method
        self.session_id = session_id
        self.done = threading.Event()
        self.result: Params = {}
        self.error: BrowserError | None = None


class _Client(simple_websocket.Client):  # type: ignore[misc]
    """simple-websocket's client with a timeout on the opening handshake."""

    def __init__(self, url: str, *, timeout: float) -> None:
        self._handshake_timeout = timeout
        super().__init__(
            url,
            # Screenshots arrive as multi-megabyte messages.
            receive_bytes=1 << 18,
            # Never keep the interpreter alive if a close was missed.
            thread_class=_daemon_thread,
        )

    def handshake(self) -> None:
        self.sock.settimeout(self._handshake_timeout)
        try:
            super().handshake()
        except BaseException:
            self.sock.close()  # simple-websocket would leave it to the GC
            raise
        self.sock.settimeout(None)


def _daemon_thread(target: t.Callable[[], None]) -> threading.Thread:
    return threading.Thread(target=target, daemon=True)


class Connection:
    """One DevTools WebSocket: commands matched by id, events by session.

    :param url: the ``ws://127.0.0.1:<port>/devtools/browser/<id>`` endpoint.
    :param describe_close: builds the message of the :class:`BrowserClosedError`
        raised once the socket is gone (the browser adds its exit status).
    """

    def __init__(
        self, url: str, *, describe_close: t.Callable[[], str] | None = None
    ) -> None:
        try:
            self._ws = _Client(url, timeout=COMMAND_TIMEOUT)
        except (OSError, simple_websocket.ConnectionError) as e:
            raise BrowserClosedError(f"cannot connect to DevTools at {url}: {e!r}") from e
        self._describe_close = describe_close
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._pending: dict[int, _Pending] = {}
        self._handlers: dict[str | None, EventHandler] = {}
        self._closed: BrowserClosedError | None = None
        self._closing = False
        self._reader = threading.Thread(target=self._read, name="cdp-reader", daemon=True)
        self._reader.start()

    @property
    def closed(self) -> bool:
        return self._closed is not None

    @property
    def error(self) -> BrowserClosedError | None:
        """Why the connection closed, once it has."""
        return self._closed

    def on_events(self, session_id: str | None, handler: EventHandler | None) -> None:
        """Send the events of ``session_id`` (``None``: the browser's) to ``handler``."""
        with self._lock:
            if handler is None:
                self._handlers.pop(session_id, None)
            else:
                self._handlers[session_id] = handler

    def send(
        self,
        method: str,
        params: Params | None = None,
        *,
        session_id: str | None = None,
        timeout: float = COMMAND_TIMEOUT,
    ) -> Params:
        """Run one command and return its ``result``.

        :raises ProtocolError: Chromium answered with an error.
        :raises BrowserTimeout: no answer within ``timeout`` seconds.
        :raises BrowserClosedError: the connection is (or goes) away.
        """
        pending = _Pending(method, session_id)
        message: Params = {"id": 0, "method": method, "params": params or {}}
        if session_id is not None:
            message["sessionId"] = session_id
        with self._lock:
            if self._closed is not None:
                raise BrowserClosedError(str(self._closed))
            message["id"] = command_id = next(self._ids)
            self._pending[command_id] = pending
            try:
                self._ws.send(json.dumps(message))
            except (OSError, simple_websocket.ConnectionClosed) as e:
                del self._pending[command_id]
                raise BrowserClosedError(f"{method}: the DevTools connection is closed") from e
        if not pending.done.wait(timeout):
            with self._lock:
                self._pending.pop(command_id, None)
            raise BrowserTimeout(f"{method} got no answer from Chromium within {timeout}s")
        if pending.error is not None:
            raise pending.error
        return pending.result

    def fail_session(self, session_id: str, error: BrowserError) -> None:
        """Fail the commands waiting on one session (its target crashed or went)."""
        with self._lock:
            doomed = [
                (i, p) for i, p in self._pending.items() if p.session_id == session_id
            ]
            for i, _ in doomed:
                del self._pending[i]
        for _, p in doomed:
            p.error = type(error)(str(error))
            p.done.set()

    def close(self) -> None:
        """Close the socket and wait for the reader; safe to call twice."""
        self._closing = True
        with contextlib.suppress(OSError, simple_websocket.ConnectionClosed):
            self._ws.close()
        self._reader.join(CLOSE_TIMEOUT)
        self._ws.thread.join(CLOSE_TIMEOUT)

    def _read(self) -> None:
        while True:
            try:
                data = self._ws.receive(timeout=0.5)
            except simple_websocket.ConnectionClosed:
                break
            if data is None:
                if self._closing and not self._ws.connected:
                    break
                continue
            try:
                message = json.loads(data)
            except ValueError:
                logger.warning("ignored a DevTools message that is not JSON: %.200r", data)
                continue
            if "id" in message:
                self._answer(message)
            else:
                self._dispatch(message)
        if self._closing:
            reason = "the browser was closed"
        elif self._describe_close is not None:
            reason = self._describe_close()
        else:
            reason = "Chromium closed the DevTools connection"
        self._shut(BrowserClosedError(reason))

    def _answer(self, message: Params) -> None:
        with self._lock:
            pending = self._pending.pop(message["id"], None)
        if pending is None:  # timed out already
            return
        if "error" in message:
            error = message["error"]
            text = error.get("message", "unknown error")
            if error.get("data"):
                text += f" ({error['data']})"
            pending.error = ProtocolError(pending.method, text, error.get("code"))
        else:
            pending.result = message.get("result", {})
        pending.done.set()

    def _dispatch(self, message: Params) -> None:
        session_id = message.get("sessionId")
        with self._lock:
            handler = self._handlers.get(session_id)
        if handler is None:
            return
        try:
            handler(message.get("method", ""), message.get("params", {}))
        except Exception:  # a broken handler must not stop the reader
            logger.exception("error handling DevTools event %s", message.get("method"))

    def _shut(self, error: BrowserClosedError) -> None:
        with self._lock:
            self._closed = error
            pending, self._pending = self._pending, {}
            handlers = list(self._handlers.values())
        for p in pending.values():
            p.error = BrowserClosedError(str(error))
            p.done.set()
        for handler in handlers:  # lets pages wake their waiters
            with contextlib.suppress(Exception):
                handler("Connection.closed", {})


# --- RemoteObject decoding ---------------------------------------------------

_UNSERIALIZABLE: dict[str, float] = {
    "NaN": float("nan"),
    "Infinity": float("inf"),
    "-Infinity": float("-inf"),
    "-0": -0.0,
}


def remote_value(remote: Params) -> JSON:
    """The Python value of a ``returnByValue`` RemoteObject."""
    if "unserializableValue" in remote:
        raw = remote["unserializableValue"]
        if raw.endswith("n"):  # BigInt
            return int(raw[:-1])
        return _UNSERIALIZABLE[raw]
    return remote.get("value")


def describe_remote(remote: Params) -> str:
    """A console argument as DevTools prints it (roughly)."""
    if "value" in remote:
        value = remote["value"]
        return value if isinstance(value, str) else json.dumps(value)
    if "unserializableValue" in remote:
        return str(remote["unserializableValue"])
    if remote.get("type") == "undefined":
        return "undefined"
    return str(remote.get("description", remote.get("type", "")))


def exception_text(details: Params) -> str:
    """``Error: message`` (plus its stack) from ``exceptionDetails``."""
    exception = details.get("exception") or {}
    if "description" in exception:
        return str(exception["description"])
    if "value" in exception:  # ``throw "text"``
        return f"{details.get('text', 'Uncaught')} {describe_remote(exception)}"
    return str(details.get("text", "unknown JavaScript error"))
