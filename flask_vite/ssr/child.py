"""The renderer child: one V8 isolate serving one :class:`SsrProcess`.

Started by :class:`~flask_vite.ssr.process.SsrProcess` with
``python -c BOOTSTRAP <fd_in> <fd_out>`` (see :data:`BOOTSTRAP`); speaks the
frames of :mod:`flask_vite.ssr.protocol` on two one-way pipes. It is the
event loop of the isolate: it runs a call, the microtasks and tasks
(timers, posted messages) the call waits for, asks the parent for missing
modules, and between calls keeps running tasks as they fall due.

Nothing here imports Flask or the rest of flask_vite: the bootstrap
registers the two package objects without running their ``__init__``, so a
respawn costs the interpreter, the binding and the runtime, nothing else.
"""
from __future__ import annotations

import json
import os
import select
import signal
import sys
import threading
import time
import traceback
import typing as t
from pathlib import Path

from flask_vite.ssr.protocol import READ_SIZE, FrameDecoder, encode
from flask_vite.ssr.v8 import V8Error, V8Isolate, V8OutOfMemory, run_in_loop

HERE = Path(__file__).resolve().parent

#: The web-platform shims, in load order (host.js first: the others use it).
#: Documented in runtime/README.md.
RUNTIME_FILES = (
    "host.js", "console.js", "timers.js", "events.js", "encoding.js", "messaging.js",
    "url.js", "performance.js", "streams.js", "blob.js", "formdata.js", "headers.js", "fetch.js",
    "dispatch.js", "process.js",
)

#: What the parent runs with ``python -c``: it puts the parent's ``sys.path``
#: in place (as multiprocessing's spawn does) and registers ``flask_vite`` and
#: ``flask_vite.ssr`` as bare packages, so importing this module does not run
#: ``flask_vite/__init__.py`` (which imports Flask: +0.2 s per respawn).
BOOTSTRAP = """\
import json, os, sys, types
sys.path[:] = json.loads(os.environ.pop("FLASK_VITE_SSR_SYS_PATH"))
package = os.environ.pop("FLASK_VITE_SSR_PACKAGE")
for name, path in (("flask_vite", package), ("flask_vite.ssr", os.path.join(package, "ssr"))):
    module = types.ModuleType(name)
    module.__path__ = [path]
    sys.modules[name] = module
from flask_vite.ssr.child import main
main(sys.argv[1:])
"""

#: How much sooner than the parent's deadline the child gives up by itself
#: (while waiting for timers), so the parent gets an answer, not a kill.
DEADLINE_MARGIN = 0.05

class Channel:
    """Blocking frame IO on the child's two pipe ends."""

    def __init__(self, fd_in: int, fd_out: int) -> None:
        self.fd_in = fd_in
        self.fd_out = fd_out
        self._decoder = FrameDecoder()
        self._frames: list[tuple[str, bytes]] = []

    def send(self, kind: str, payload: str | bytes = b"") -> None:
        view = memoryview(encode(kind, payload))
        while view:
            written = os.write(self.fd_out, view)
            view = view[written:]

    def has_frame(self) -> bool:
        return bool(self._frames)

    def readable(self, timeout: float) -> bool:
        """Whether a frame is buffered or bytes arrive within ``timeout``."""
        if self._frames:
            return True
        ready, _, _ = select.select([self.fd_in], [], [], max(0.0, timeout))
        return bool(ready)

    def read(self) -> tuple[str, bytes]:
        """The next frame; exits the process when the parent is gone."""
        while not self._frames:
            data = os.read(self.fd_in, READ_SIZE)
            if not data:
                os._exit(0)  # the parent closed its end: nothing left to serve
            self._frames.extend(self._decoder.feed(data))
        return self._frames.pop(0)


def js_string(value: str) -> str:
    """``value`` as a JavaScript string literal (JSON is one)."""
    return json.dumps(value)


class Server:
    """Runs calls against the isolate; see the module docstring."""

    def __init__(self, channel: Channel, isolate: V8Isolate, setup: dict[str, t.Any]) -> None:
        self.channel = channel
        self.isolate = isolate
        self.next_task = -1.0  # ms until the next task is due between calls; -1: none
        config = {
            "nodeEnv": setup.get("node_env", "development"),
            "fetchModules": bool(setup.get("fetch_modules")),
            "importMetaEnv": setup.get("import_meta_env") or {},
        }
        for name in RUNTIME_FILES:
            source = (HERE / "runtime" / name).read_text("utf-8")
            isolate.eval(f"{source}\n//# sourceURL=flask-vite:ssr/runtime/{name}")
            if name == "host.js":
                # Configured before the shims load: process.js reads NODE_ENV.
                isolate.eval(f"__flaskVite.configure({json.dumps(config)}), 0")
        isolate.eval((HERE / "runner.js").read_text("utf-8") + "\n//# sourceURL=flask-vite:ssr/runner.js")

    def serve(self) -> None:
        """Answer frames until ``Q`` (or the parent goes away)."""
        self.channel.send("H", json.dumps({"v8": self.isolate.version, "pid": os.getpid()}))
        while True:
            # Tasks pending between calls (a setInterval, a timer a render
            # left) run as they fall due, as in Node, unless a frame comes.
            if self.next_task >= 0 and not self.channel.readable(self.next_task / 1000):
                self.next_task = float(self.isolate.eval("__flaskVite.runner.idle()"))
                continue
            kind, payload = self.channel.read()
            if kind == "C":
                self.call(json.loads(payload))
            elif kind == "D":
                self.isolate.eval(f"__flaskVite.runner.define({payload.decode('utf-8')})")
            elif kind == "I":
                urls, with_importers = json.loads(payload)
                self.isolate.eval(f"__flaskVite.runner.invalidate({json.dumps(urls)}, {json.dumps(bool(with_importers))}), 0")
            elif kind == "Q":
                return
            else:
                raise V8Error(f"unexpected frame {kind!r} from the parent")

    def call(self, request: dict[str, t.Any]) -> None:
        deadline = time.monotonic() + float(request["timeout"]) - DEADLINE_MARGIN
        status = self.isolate.eval(
            "__flaskVite.runner.start("
            f"{js_string(request['mode'])}, {js_string(request['url'])}, "
            f"{js_string(request.get('name') or '')}, {js_string(request.get('args') or '')})")
        while True:
            kind = status[0]
            if kind == "S":
                head, _, texts = status.partition("\n")
                self.next_task = float(head[1:])
                self.channel.send("V", texts)
                return
            if kind == "R":
                head, _, body = status.partition("\n")
                self.next_task = float(head[1:])
                if body.startswith('{"ok":false') and '"code":"ERR_SSR_SYNTAX"' in body:
                    body = self.locate_syntax_error(body)
                self.channel.send("R", body)
                return
            if time.monotonic() > deadline:
                status = self.give_up(request)
            elif kind == "P":
                status = self.isolate.eval("__flaskVite.runner.poll()")
            elif kind == "F":
                self.channel.send("F", status[1:])
                answer_kind, answer = self.channel.read()
                if answer_kind != "M":
                    raise V8Error(f"expected the modules the child asked for, got a {answer_kind!r} frame")
                self.isolate.eval(f"__flaskVite.runner.provide({answer.decode('utf-8')}), 0")
                status = self.isolate.eval("__flaskVite.runner.poll()")
            elif kind == "T":
                wait = float(status[1:]) / 1000
                if time.monotonic() + wait > deadline:
                    status = self.give_up(request, waiting=wait)
                else:
                    time.sleep(wait)
                    status = self.isolate.eval("__flaskVite.runner.poll()")
            else:
                raise V8Error(f"unexpected status from the runner: {status[:80]!r}")

    def give_up(self, request: dict[str, t.Any], waiting: float | None = None) -> str:
        what = (f"{request.get('name')}() of {request['url']}" if request["mode"] == "call"
                else f"the fetch handler of {request['url']}" if request["mode"] == "fetch" else request["url"])
        reason = (f"it waits for a timer due in {waiting * 1000:.0f} ms" if waiting is not None
                  else "it keeps scheduling work")
        message = f"{what} did not finish within {float(request['timeout']):g} s: {reason}."
        return str(self.isolate.eval(
            f"__flaskVite.runner.fail('ERR_SSR_TIMEOUT', {js_string(message)})"))

    def locate_syntax_error(self, body: str) -> str:
        """Add the position V8 gives only to the embedder to a SyntaxError."""
        result = json.loads(body)
        error = result["error"]
        url = error.get("url")
        source = self.isolate.eval(f"__flaskVite.runner.source({js_string(url)})") if url else None
        position = self.isolate.syntax_error_at(source) if isinstance(source, str) else None
        if position is not None:
            wrapper_lines = int(self.isolate.eval("__flaskVite.runner.WRAPPER_LINES"))
            line, column = position[0] - wrapper_lines, position[1] + 1
            error["frames"] = [[url, line, column]]
            error["stack"] = f"SyntaxError: {error['message']}\n    at {url}:{line}:{column}"
            error["message"] = f"{error['message']} ({url}:{line}:{column})"
        return json.dumps(result)


def _watch_parent(parent: int) -> None:
    """Exit when the parent dies, even while V8 spins in a loop: a thread the
    GIL lets run, since the binding releases it while JavaScript runs."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(1)


def main(argv: list[str]) -> None:
    """Serve the parent on the pipe fds in ``argv``; never returns."""
    fd_in, fd_out = int(argv[0]), int(argv[1])
    # Ctrl-C in a dev server's terminal is the parent's business.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    channel = Channel(fd_in, fd_out)
    kind, payload = channel.read()
    if kind != "S":
        os._exit(2)
    setup = json.loads(payload)
    code = 0

    def serve() -> None:
        nonlocal code
        isolate = V8Isolate(int(setup["heap_limit_mb"]))
        try:
            Server(channel, isolate, setup).serve()
        except V8OutOfMemory as e:
            channel.send("O", str(e))
            code = 3
        except BaseException:  # noqa: BLE001 - reported to the parent, then exit
            channel.send("X", traceback.format_exc())
            code = 4
        else:
            isolate.close()

    try:
        run_in_loop(serve)
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
        code = code or 5
    sys.stdout.flush()
    sys.stderr.flush()
    # No interpreter teardown: the binding's finalizers may wait for threads
    # that are gone by then.
    os._exit(code)
