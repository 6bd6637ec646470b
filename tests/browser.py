"""Headless Chromium driven over the Chrome DevTools Protocol, for browser tests.

No Node, no Playwright, no WebDriver: Debian's ``chromium`` is started with
``--remote-debugging-port=0`` and spoken to over one WebSocket
(:class:`tests.cdp.Connection`).

* :class:`Browser` — the process: launch, profile directory, shutdown;
* :class:`Page` — one tab in its own browser context (fresh cookies, cache
  and sockets per page) that records console messages, failed requests and
  requested URLs as they happen, so a test can assert "no console errors".

Only loopback is used; Chromium's own background traffic is switched off by
:data:`CHROMIUM_FLAGS` (see the comment there).
"""
from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import typing as t
import weakref
from pathlib import Path
from urllib.parse import urlsplit

from .cdp import COMMAND_TIMEOUT
from .cdp import JSON
from .cdp import BrowserClosedError
from .cdp import BrowserError
from .cdp import BrowserNotFound
from .cdp import BrowserTimeout
from .cdp import Connection
from .cdp import JSError
from .cdp import NavigationError
from .cdp import Params
from .cdp import ProtocolError
from .cdp import describe_remote
from .cdp import exception_text
from .cdp import remote_value

__all__ = [
    "Browser",
    "BrowserClosedError",
    "BrowserError",
    "BrowserNotFound",
    "BrowserTimeout",
    "ConsoleMessage",
    "FailedRequest",
    "JSError",
    "NavigationError",
    "Page",
    "ProtocolError",
]

#: The browser binary; ``CHROMIUM_BIN`` overrides it.
DEFAULT_CHROMIUM = "/usr/bin/chromium"
#: Seconds Chromium may take to start and write ``DevToolsActivePort``.
LAUNCH_TIMEOUT = 30.0
#: Seconds a closing Chromium may take to exit on its own before it is killed.
STOP_TIMEOUT = 5.0

#: Flags for every launch. The networking ones matter: Debian's wrapper
#: (``/etc/chromium.d/extensions``) turns on remote extensions, which makes it
#: skip its own ``--disable-background-networking``, and even with it Chromium
#: still looks up ``accounts.google.com``, ``clients2.google.com`` and
#: ``update.googleapis.com``; on a machine with no network those lookups are
#: retried for as long as the browser runs. :func:`host_resolver_rules` stops
#: every name lookup but the loopback ones.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--remote-debugging-port=0",
)


def host_resolver_rules(loopback_hosts: t.Iterable[str] = ()) -> str:
    """``--host-resolver-rules``: ``loopback_hosts`` → 127.0.0.1, other names fail.

    ``localhost``, ``127.0.0.1`` and ``[::1]`` are left alone (the rules match
    IP literals too; an exclusion wins over every MAP).
    """
    rules = [f"MAP {host} 127.0.0.1" for host in loopback_hosts]
    rules += ["MAP * ~NOTFOUND", "EXCLUDE localhost", "EXCLUDE 127.0.0.1", "EXCLUDE [::1]"]
    return "--host-resolver-rules=" + " , ".join(rules)


#: How Chromium words "that document is gone" (try again in the next one).
_DOCUMENT_GONE = (
    "Execution context was destroyed",
    "Cannot find default execution context",
    "Inspected target navigated or closed",
)

#: The least time :meth:`Page.wait_for` gives one evaluation of its predicate.
_MIN_EVALUATE_TIMEOUT = 5.0

#: Every page's viewport, in CSS pixels (new headless would otherwise take
#: the window size minus an invisible toolbar).
VIEWPORT = (1280, 800)

#: ``goto``/``reload`` wait names → Chromium lifecycle event names.
WaitUntil = t.Literal["load", "domcontentloaded", "networkidle", "commit"]
_LIFECYCLE: dict[str, str | None] = {
    "load": "load",
    "domcontentloaded": "DOMContentLoaded",
    "networkidle": "networkIdle",
    "commit": None,
}


class ConsoleMessage(t.TypedDict):
    """One line of the page's console, as DevTools would show it.

    ``type`` is ``log``, ``info``, ``warning``, ``error``, ``debug`` … (uncaught
    exceptions and failed resource loads are ``error``); ``source`` says where
    it came from: ``console`` (a ``console.*`` call), ``exception`` (uncaught,
    including unhandled rejections) or the browser's own log source
    (``network``, ``javascript``, ``security``, ``violation`` …). ``line`` is
    1-based, ``0`` when unknown.
    """

    type: str
    text: str
    url: str
    line: int
    source: str


class FailedRequest(t.TypedDict):
    """A request that failed (``error`` set) or answered ``status >= 400``."""

    url: str
    status: int | None
    error: str | None
    resource_type: str


# --- the process -------------------------------------------------------------


class Browser:
    """A headless Chromium process and its DevTools connection.

    Use :meth:`launch`; close with :meth:`close` or a ``with`` block.
    """

    def __init__(
        self, process: subprocess.Popen[bytes], workdir: Path, connection: Connection
    ) -> None:
        self.process = process
        self.workdir = workdir
        self.connection = connection
        self.pages: list[Page] = []
        # A browser nobody closed still dies with its Browser (or at exit).
        self._discard = weakref.finalize(self, _discard, process, workdir)

    @classmethod
    def launch(
        cls,
        binary: str | os.PathLike[str] | None = None,
        *,
        loopback_hosts: t.Sequence[str] = (),
        extra_args: t.Sequence[str] = (),
        timeout: float = LAUNCH_TIMEOUT,
    ) -> Browser:
        """Start Chromium with a fresh profile and connect to it.

        :param binary: defaults to ``$CHROMIUM_BIN`` or ``/usr/bin/chromium``.
        :param loopback_hosts: host names the browser resolves to 127.0.0.1
            (say, to test ``VITE_ALLOWED_HOSTS``); every other name except
            ``localhost`` fails to resolve.
        :param extra_args: more Chromium flags, after ours.
        :raises BrowserNotFound: the binary is missing; run
            ``scripts/install-chromium``.
        :raises BrowserError: Chromium exited or hung while starting (the
            message ends with its log).
        """
        path = Path(binary or os.environ.get("CHROMIUM_BIN") or DEFAULT_CHROMIUM)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise BrowserNotFound(
                f"Chromium not found at {path}: run scripts/install-chromium"
                " (apt-get install chromium) or set CHROMIUM_BIN."
            )
        workdir = Path(tempfile.mkdtemp(prefix="flask-vite-chromium-"))
        profile = workdir / "profile"
        args = [
            str(path),
            *CHROMIUM_FLAGS,
            host_resolver_rules(loopback_hosts),
            f"--user-data-dir={profile}",
            *extra_args,
        ]
        try:
            with open(workdir / "chromium.log", "wb") as log:
                process = subprocess.Popen(
                    [*args, "about:blank"],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    # Crashpad keeps its database under $XDG_CONFIG_HOME/chromium
                    # whatever --user-data-dir says; keep it in our workdir.
                    env={**os.environ, "XDG_CONFIG_HOME": str(workdir / "config")},
                    # Its own process group, so close() can end the renderers too.
                    start_new_session=True,
                )
        except OSError as e:
            shutil.rmtree(workdir, ignore_errors=True)
            raise BrowserNotFound(f"cannot run {path}: {e}") from e
        try:
            url = _devtools_url(process, profile, workdir / "chromium.log", timeout)
            connection = Connection(url, describe_close=lambda: _death(process, workdir))
        except BaseException:
            _stop(process, graceful=False)
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        return cls(process, workdir, connection)

    def version(self) -> str:
        return str(self.connection.send("Browser.getVersion")["product"])

    def new_page(self, viewport: tuple[int, int] = VIEWPORT) -> Page:
        """Open a blank tab in a new browser context (its own cookies and cache)."""
        context = self.connection.send("Target.createBrowserContext")["browserContextId"]
        target = self.connection.send(
            "Target.createTarget", {"url": "about:blank", "browserContextId": context}
        )["targetId"]
        session = self.connection.send(
            "Target.attachToTarget", {"targetId": target, "flatten": True}
        )["sessionId"]
        page = Page(self, target, session, context, viewport)
        self.pages.append(page)
        return page

    def close(self) -> None:
        """Close every page, end Chromium's process group, remove the profile."""
        if not self._discard.alive:
            return
        for page in list(self.pages):
            with contextlib.suppress(BrowserError):
                page.close()
        graceful = False
        if not self.connection.closed:
            with contextlib.suppress(BrowserError):
                # Lets Chromium reap its own children before it exits.
                self.connection.send("Browser.close", timeout=STOP_TIMEOUT)
                graceful = True
        _stop(self.process, graceful=graceful)
        self.connection.close()
        self._discard()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _devtools_url(
    process: subprocess.Popen[bytes], profile: Path, log: Path, timeout: float
) -> str:
    """Wait for Chromium to write ``DevToolsActivePort`` (port, then path).

    Its "DevTools listening on ws://…" line in the log does too, should
    ``extra_args`` have moved the profile elsewhere.
    """
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _exited(process):
            raise BrowserError("Chromium exited while starting:\n" + _tail(log))
        with contextlib.suppress(OSError):
            lines = marker.read_text().splitlines()
            if len(lines) >= 2 and lines[0].isdigit():
                return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        with contextlib.suppress(OSError):
            found = _LISTENING.search(log.read_text(errors="replace"))
            if found:
                return found.group(1)
        time.sleep(0.05)
    raise BrowserTimeout(
        f"Chromium did not open its DevTools port within {timeout}s:\n" + _tail(log)
    )


_LISTENING = re.compile(r"^DevTools listening on (ws://127\.0\.0\.1:\d+/\S+)$", re.M)


def _tail(log: Path, lines: int = 20) -> str:
    try:
        text = log.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(text[-lines:]) or "(empty log)"


def _exited(process: subprocess.Popen[bytes]) -> bool:
    """Whether the process has exited, without reaping it.

    An unreaped leader keeps its pid and process group id reserved, so the
    ``killpg`` in :func:`_stop` can only ever reach Chromium's own processes.
    """
    if process.returncode is not None:
        return True
    if not hasattr(os, "waitid"):  # macOS before Python 3.13
        return process.poll() is not None
    try:
        info = os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None


def _stop(process: subprocess.Popen[bytes], *, graceful: bool) -> None:
    """Wait for (or force) the exit, end the process group, reap the leader."""
    deadline = time.monotonic() + (STOP_TIMEOUT if graceful else 0)
    while not _exited(process) and time.monotonic() < deadline:
        time.sleep(0.02)
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _discard(process: subprocess.Popen[bytes], workdir: Path) -> None:
    if process.returncode is None:
        _stop(process, graceful=False)
    shutil.rmtree(workdir, ignore_errors=True)


def _death(process: subprocess.Popen[bytes], workdir: Path) -> str:
    deadline = time.monotonic() + 1
    while not _exited(process) and time.monotonic() < deadline:
        time.sleep(0.02)
    status = "still running" if not _exited(process) else "exited"
    return (
        f"Chromium closed the DevTools connection ({status}); last lines of its log:\n"
        + _tail(workdir / "chromium.log")
    )


# --- the page ----------------------------------------------------------------


class Page:
    """One tab. Create with :meth:`Browser.new_page`.

    ``console``, ``failed_requests`` and ``requests`` are snapshots of what
    the page has logged since it was opened (or since :meth:`clear_logs`).
    The ``/favicon.ico`` request Chromium makes on its own after each load is
    left out of all three: it comes at no fixed time, so a test asserting "no
    failed requests" would pass or fail by luck.
    """

    def __init__(
        self,
        browser: Browser,
        target_id: str,
        session_id: str,
        context_id: str,
        viewport: tuple[int, int] = VIEWPORT,
    ) -> None:
        self.browser = browser
        self.target_id = target_id
        self.session_id = session_id
        self.context_id = context_id
        self._cond = threading.Condition()
        self._console: list[ConsoleMessage] = []
        self._failed: list[FailedRequest] = []
        self._requests: list[str] = []
        self._request_info: dict[str, tuple[str, str]] = {}  # id → (url, type)
        self._ignored: set[str] = set()  # request ids of automatic favicon loads
        self._lifecycle: dict[str, set[str]] = {}  # loaderId → event names
        self._loader: str | None = None  # the main frame's current document
        self._gone: BrowserError | None = None
        self._closed = False
        self.frame_id: str = target_id  # a tab's main frame shares its id; checked below
        browser.connection.on_events(session_id, self._on_event)
        self.frame_id = self._send("Page.getFrameTree")["frameTree"]["frame"]["id"]
        self._send("Page.enable")
        self._send("Page.setLifecycleEventsEnabled", {"enabled": True})
        self._send("Runtime.enable")
        self._send("Network.enable")
        self._send("Log.enable")
        width, height = viewport
        self._send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    # -- what the page recorded

    @property
    def console(self) -> list[ConsoleMessage]:
        with self._cond:
            return list(self._console)

    @property
    def console_errors(self) -> list[ConsoleMessage]:
        """The ``error`` entries of :attr:`console` (exceptions, failed loads …)."""
        return [m for m in self.console if m["type"] == "error"]

    @property
    def failed_requests(self) -> list[FailedRequest]:
        """Requests that failed or answered ``>= 400``.

        Requests *cancelled* by the page (a navigation or reload aborting them,
        as an HMR full reload does) are left out: nothing failed.
        """
        with self._cond:
            return list(self._failed)

    @property
    def requests(self) -> list[str]:
        """Every URL the page requested, in order (redirects included)."""
        with self._cond:
            return list(self._requests)

    def clear_logs(self) -> None:
        """Forget the console messages and requests recorded so far."""
        with self._cond:
            self._console.clear()
            self._failed.clear()
            self._requests.clear()

    def add_init_script(self, source: str) -> None:
        """Run ``source`` in every document this page loads from now on,
        before the document's own scripts."""
        self._send("Page.addScriptToEvaluateOnNewDocument", {"source": source})

    # -- navigation

    def goto(self, url: str, wait: WaitUntil = "load", timeout: float = COMMAND_TIMEOUT) -> None:
        """Navigate and wait for the new document's ``wait`` lifecycle event.

        :raises NavigationError: the page could not be fetched at all (an
            HTTP error status is not a navigation error: see
            :attr:`failed_requests`).
        """
        deadline = time.monotonic() + timeout
        result = self._send("Page.navigate", {"url": url}, timeout=timeout)
        if result.get("errorText"):
            raise NavigationError(f"cannot open {url}: {result['errorText']}")
        loader = result.get("loaderId")
        if loader is not None:  # None: a same-document (#hash) navigation
            self._wait_lifecycle(lambda: loader, wait, deadline, f"goto({url!r})")

    def reload(
        self, wait: WaitUntil = "load", *, ignore_cache: bool = False,
        timeout: float = COMMAND_TIMEOUT,
    ) -> None:
        """Reload and wait for the new document's ``wait`` lifecycle event."""
        deadline = time.monotonic() + timeout
        with self._cond:
            old = self._loader
        self._send("Page.reload", {"ignoreCache": ignore_cache}, timeout=timeout)

        def new_loader() -> str | None:
            return self._loader if self._loader != old else None

        self._wait_lifecycle(new_loader, wait, deadline, "reload()")

    @property
    def url(self) -> str:
        return t.cast(str, self.evaluate("location.href"))

    # -- JavaScript

    def evaluate(self, expression: str, *args: JSON, timeout: float = COMMAND_TIMEOUT) -> JSON:
        """Evaluate a JS expression in the page and return its value as JSON.

        Promises are awaited. With ``args``, ``expression`` must be a function
        and is called with them (JSON-encoded): ``evaluate("(a, b) => a + b", 1, 2)``.
        ``undefined`` becomes ``None``; DOM nodes come back as ``{}``.

        :raises JSError: the expression threw or its promise rejected.
        """
        if args:
            expression = f"({expression})(...{json.dumps(list(args))})"
        result = self._send(
            "Runtime.evaluate",
            {
                "expression": expression,
                "awaitPromise": True,
                "returnByValue": True,
                "userGesture": True,
            },
            timeout=timeout,
        )
        if "exceptionDetails" in result:
            raise JSError(exception_text(result["exceptionDetails"]))
        return remote_value(result["result"])

    def wait_for(
        self, predicate: str, timeout: float = 10, *, interval: float = 0.05
    ) -> JSON:
        """Poll a JS expression until it is truthy; return that value.

        Survives navigations and reloads in between (the expression is simply
        evaluated again in the new document). A JS exception is raised at
        once: write ``document.querySelector('#x')?.textContent === 'y'``.

        :raises BrowserTimeout: still falsy after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        value: JSON = None
        while True:
            # One evaluation may outlive the deadline a little: on a loaded
            # machine a round trip can take longer than what is left.
            patience = max(deadline - time.monotonic(), _MIN_EVALUATE_TIMEOUT)
            try:
                value = self.evaluate(predicate, timeout=patience)
            except ProtocolError as e:
                # A navigation or reload replaced the document under us.
                if not any(m in str(e) for m in _DOCUMENT_GONE):
                    raise
            except BrowserTimeout as e:
                raise BrowserTimeout(
                    f"waited {timeout}s for {predicate!r}; it did not return"
                ) from e
            else:
                if value:
                    return value
            if time.monotonic() >= deadline:
                raise BrowserTimeout(
                    f"waited {timeout}s for {predicate!r}; last value {value!r}"
                )
            time.sleep(interval)

    # -- elements

    def wait_for_selector(
        self, selector: str, timeout: float = 10, *, visible: bool = False
    ) -> None:
        """Wait until ``selector`` matches an element (and it has a box, if ``visible``)."""
        check = "el && el.getClientRects().length > 0" if visible else "el !== null"
        query = f"document.querySelector({json.dumps(selector)})"
        js = f"(() => {{ const el = {query}; return {check} }})()"
        try:
            self.wait_for(js, timeout)
        except BrowserTimeout:
            what = "a visible element" if visible else "an element"
            raise BrowserTimeout(
                f"no {what} matches {selector!r} after {timeout}s on {self.url}"
            ) from None

    def click(self, selector: str, timeout: float = 10) -> None:
        """Click the middle of the first element matching ``selector`` with the mouse.

        Waits for it to be visible, scrolls it into view, then sends real mouse
        events (so whatever covers it gets the click, as for a user).
        """
        self.wait_for_selector(selector, timeout, visible=True)
        box = self.evaluate(
            "(s) => { const el = document.querySelector(s);"
            " el.scrollIntoView({block: 'center', inline: 'center'});"
            " const r = el.getBoundingClientRect();"
            " return {x: r.left + r.width / 2, y: r.top + r.height / 2} }",
            selector,
        )
        mouse: Params = {"x": box["x"], "y": box["y"], "button": "left", "clickCount": 1}
        self._send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": box["x"], "y": box["y"]})
        self._send("Input.dispatchMouseEvent", {"type": "mousePressed", **mouse})
        self._send("Input.dispatchMouseEvent", {"type": "mouseReleased", **mouse})

    def text(self, selector: str, timeout: float = 10) -> str:
        """The ``textContent`` of the first element matching ``selector`` (waits for it)."""
        self.wait_for_selector(selector, timeout)
        return t.cast(
            str, self.evaluate("(s) => document.querySelector(s).textContent", selector)
        )

    def screenshot(self, path: str | os.PathLike[str], *, full_page: bool = False) -> Path:
        """Save a PNG of the viewport (or the whole page) to ``path``."""
        params: Params = {"format": "png"}
        if full_page:
            size = self._send("Page.getLayoutMetrics")["cssContentSize"]
            params["captureBeyondViewport"] = True
            params["clip"] = {
                "x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1
            }
        data = self._send("Page.captureScreenshot", params)["data"]
        out = Path(path)
        out.write_bytes(base64.b64decode(data))
        return out

    # -- lifetime

    def close(self) -> None:
        """Close the tab and dispose of its browser context; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        connection = self.browser.connection
        try:
            if not connection.closed:
                connection.send("Target.closeTarget", {"targetId": self.target_id})
                connection.send(
                    "Target.disposeBrowserContext", {"browserContextId": self.context_id}
                )
        finally:
            connection.on_events(self.session_id, None)
            with contextlib.suppress(ValueError):
                self.browser.pages.remove(self)

    def __enter__(self) -> Page:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- internals

    def _send(
        self, method: str, params: Params | None = None, timeout: float = COMMAND_TIMEOUT
    ) -> Params:
        self._check_gone()
        if self._closed:
            raise BrowserClosedError(f"{method}: the page is closed")
        return self.browser.connection.send(
            method, params, session_id=self.session_id, timeout=timeout
        )

    def _wait_lifecycle(
        self, loader: t.Callable[[], str | None], wait: WaitUntil, deadline: float, what: str
    ) -> None:
        """Wait until the document ``loader()`` names has had the ``wait`` event."""
        if wait not in _LIFECYCLE:
            raise ValueError(f"wait must be one of {sorted(_LIFECYCLE)}, not {wait!r}")
        name = _LIFECYCLE[wait]

        def reached() -> bool:
            if self._gone is not None:
                return True
            current = loader()
            if current is None:
                return False
            return name is None or name in self._lifecycle.get(current, ())

        with self._cond:
            if not self._cond.wait_for(reached, max(deadline - time.monotonic(), 0)):
                raise BrowserTimeout(f"{what}: no {wait!r} event in time")
        self._check_gone()

    def _check_gone(self) -> None:
        if self._gone is not None:
            raise BrowserClosedError(str(self._gone))  # a fresh traceback per raise

    def _on_event(self, method: str, params: Params) -> None:
        # Runs on the reader thread.
        with self._cond:
            handler = _EVENTS.get(method)
            if handler is not None:
                handler(self, params)
            self._cond.notify_all()

    def _on_lifecycle(self, params: Params) -> None:
        if params["frameId"] != self.frame_id:
            return
        if params["name"] == "init":
            self._loader = params["loaderId"]
        self._lifecycle.setdefault(params["loaderId"], set()).add(params["name"])

    def _on_frame_navigated(self, params: Params) -> None:
        frame = params["frame"]
        if frame["id"] == self.frame_id:
            self._loader = frame["loaderId"]

    def _on_console(self, params: Params) -> None:
        frames = (params.get("stackTrace") or {}).get("callFrames") or [{}]
        self._console.append(
            ConsoleMessage(
                type=params["type"],
                text=" ".join(describe_remote(arg) for arg in params.get("args", [])),
                url=frames[0].get("url", ""),
                line=frames[0].get("lineNumber", -1) + 1,
                source="console",
            )
        )

    def _on_exception(self, params: Params) -> None:
        details = params["exceptionDetails"]
        self._console.append(
            ConsoleMessage(
                type="error",
                text=exception_text(details),
                url=details.get("url", ""),
                line=details.get("lineNumber", -1) + 1,
                source="exception",
            )
        )

    def _on_log(self, params: Params) -> None:
        entry = params["entry"]
        if entry.get("networkRequestId") in self._ignored:
            return
        self._console.append(
            ConsoleMessage(
                type=entry["level"],
                text=entry.get("text", ""),
                url=entry.get("url", ""),
                line=entry.get("lineNumber", -1) + 1,
                source=entry.get("source", "other"),
            )
        )

    def _on_request(self, params: Params) -> None:
        url = params["request"]["url"]
        if _is_auto_favicon(params):
            self._ignored.add(params["requestId"])
            return
        self._requests.append(url)
        self._request_info[params["requestId"]] = (url, params.get("type", "Other"))

    def _on_response(self, params: Params) -> None:
        response = params["response"]
        if response["status"] >= 400 and params["requestId"] not in self._ignored:
            self._failed.append(
                FailedRequest(
                    url=response["url"],
                    status=response["status"],
                    error=None,
                    resource_type=params.get("type", "Other"),
                )
            )

    def _on_loading_failed(self, params: Params) -> None:
        url, kind = self._request_info.get(params["requestId"], ("", "Other"))
        if params.get("canceled") or params["requestId"] in self._ignored:
            return
        self._failed.append(
            FailedRequest(
                url=url,
                status=None,
                error=params.get("blockedReason") or params.get("errorText", "failed"),
                resource_type=params.get("type", kind),
            )
        )

    def _on_crash(self, params: Params) -> None:
        self._gone = BrowserClosedError("the page crashed (Inspector.targetCrashed)")
        self.browser.connection.fail_session(self.session_id, self._gone)

    def _on_connection_closed(self, params: Params) -> None:
        self._gone = self.browser.connection.error


_EVENTS: dict[str, t.Callable[[Page, Params], None]] = {
    "Page.lifecycleEvent": Page._on_lifecycle,
    "Page.frameNavigated": Page._on_frame_navigated,
    "Runtime.consoleAPICalled": Page._on_console,
    "Runtime.exceptionThrown": Page._on_exception,
    "Log.entryAdded": Page._on_log,
    "Network.requestWillBeSent": Page._on_request,
    "Network.responseReceived": Page._on_response,
    "Network.loadingFailed": Page._on_loading_failed,
    "Inspector.targetCrashed": Page._on_crash,
    "Connection.closed": Page._on_connection_closed,
}


def _is_auto_favicon(params: Params) -> bool:
    """Whether a request is the browser's own ``/favicon.ico`` fetch."""
    initiator: Params = params.get("initiator", {})
    return (
        params.get("type") == "Other"
        and initiator.get("type") == "other"
        and urlsplit(params["request"]["url"]).path == "/favicon.ico"
    )
