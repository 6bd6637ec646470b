"""One renderer child process with one V8 isolate, driven from the web process.

::

    from flask_vite.ssr.process import SsrProcess

    proc = SsrProcess(timeout=5.0, heap_limit_mb=256, node_env="development")
    proc.define_modules({"/src/entry-server.tsx": code, "/src/App.tsx": code2})
    html = proc.call("/src/entry-server.tsx", "render", args=["/", {"user": "ann"}])
    proc.invalidate(["/src/App.tsx", "/src/entry-server.tsx"])
    proc.close()

Why a child process: V8 runs JavaScript on the calling thread and a runaway
loop or allocation cannot be stopped from Python inside the same process
without risking it; the binding also hangs under ``gevent.monkey``. In a
child, a render that misses its deadline is killed and replaced, and one that
exhausts its heap takes only the child down. The module definitions are kept
here, so a replacement child gets them again before its first call.

Waiting is done with ``select.poll`` on non-blocking pipe ends, so a
``gevent.monkey.patch_all()`` parent waits cooperatively: other greenlets run
while a render is in progress. Calls on one :class:`SsrProcess` are
serialized by a lock (safe from several threads or greenlets); use several
instances to render in parallel.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import sys
import threading
import time
import typing as t
import weakref

from .channel import ChildProcess, Deadline, Gone, kill_child
from .errors import (
    SsrCrashed,
    SsrError,
    SsrFetchTypeError,
    SsrModuleNotFound,
    SsrNodeBuiltinError,
    SsrOutOfMemory,
    SsrTimeout,
    StackFrame,
)
from .fetch import MAX_BODY_SIZE, FetchRequest, FetchResponse
from .protocol import decode_texts, encode

logger = logging.getLogger("flask_vite.ssr")

#: After its deadline, a call gets this long for the child's own answer
#: (the child gives up slightly before the deadline when it can) before the
#: child is killed.
KILL_GRACE = 0.25

#: Exit statuses of a child V8 killed itself in: IMMEDIATE_CRASH is a trap
#: (SIGTRAP on x86-64, SIGILL or SIGTRAP on arm64), a failed CHECK an abort.
_V8_ABORT_STATUSES = frozenset(-s for s in (signal.SIGTRAP, signal.SIGILL, signal.SIGABRT)
                               if isinstance(s, int)) if hasattr(signal, "SIGTRAP") else frozenset()


#: The module formats the runner evaluates: ``"vite"`` is the output of
#: Vite's ssrTransform (``await __vite_ssr_import__(url)``,
#: ``__vite_ssr_exportName__`` …); ``"cjs"`` is CommonJS (``require(url)``,
#: ``module.exports``), as esbuild's ``format="cjs"`` writes it.
MODULE_FORMATS = ("vite", "cjs")


@dataclasses.dataclass(frozen=True)
class ModuleSource:
    """A module as shipped to the runtime.

    :param code: The code, transformed for the module runner.
    :param file: The file it comes from, for ``import.meta.url`` /
        ``filename`` / ``dirname`` (``__filename`` / ``__dirname`` in
        CommonJS); without it ``import.meta.url`` is the module URL.
    :param format: One of :data:`MODULE_FORMATS`; ``None``: the process's
        ``module_format``.
    """

    code: str
    file: str | None = None
    format: str | None = None

    def __post_init__(self) -> None:
        if self.format is not None and self.format not in MODULE_FORMATS:
            raise ValueError(f"format must be one of {MODULE_FORMATS}, not {self.format!r}")


#: ``fetch_module(url)``: the code of a module the runtime needs, or ``None``
#: if there is no such module.
FetchModule = t.Callable[[str], "str | ModuleSource | None"]


class SsrModule:
    """What :meth:`SsrProcess.import_` returns: a module's export names and a
    way to call them. It names the module by URL, so after an invalidation it
    calls the new instance."""

    def __init__(self, process: SsrProcess, url: str, exports: dict[str, str]) -> None:
        self.process = process
        self.url = url
        #: Export name -> its JavaScript ``typeof`` when imported.
        self.exports = exports

    def call(self, name: str, *args: t.Any, timeout: float | None = None) -> t.Any:
        """Call the export ``name`` with JSON-compatible ``args``."""
        return self.process.call(self.url, name, args=list(args), timeout=timeout)

    def get(self, name: str, timeout: float | None = None) -> t.Any:
        """The JSON-compatible value of the export ``name``."""
        return self.process.get(self.url, name, timeout=timeout)

    def __contains__(self, name: object) -> bool:
        return name in self.exports

    def __repr__(self) -> str:
        return f"<SsrModule {self.url} exports={sorted(self.exports)}>"


class SsrProcess:
    """One renderer child with one V8 isolate; see the module docstring.

    :param timeout: Seconds a call may take (a call may pass its own).
    :param heap_limit_mb: Heap size at which JavaScript is stopped with
        :class:`SsrOutOfMemory`.
    :param node_env: ``process.env.NODE_ENV`` in the runtime.
    :param fetch_module: Called with a module URL when the runtime imports a
        module that was not shipped; returns its code (or a
        :class:`ModuleSource`), or ``None`` for "no such module", which raises
        :class:`SsrModuleNotFound`. The module is kept with the definitions.
        An exception it raises is re-raised from the call.
    :param module_format: The format of modules shipped as plain code (see
        :data:`MODULE_FORMATS`; a :class:`ModuleSource` may say otherwise).
        A CommonJS module's ``require`` is synchronous: what it requires must
        be shipped before it runs (``fetch_module`` serves only
        ``__vite_ssr_import__``), else :class:`SsrModuleNotFound`.
    :param import_meta_env: ``import.meta.env`` in the modules (Vite
        replaces ``import.meta.env.X`` at transform time; this is for
        dynamic access).
    :param startup_timeout: Seconds a new child may take to be ready.
    :param python: The interpreter for the child (default
        ``sys.executable``; set it where that is not a Python, as under
        uWSGI).
    :param logger: Where ``console.*`` output goes (default
        ``flask_vite.ssr``).
    """

    def __init__(self, *, timeout: float = 5.0, heap_limit_mb: int = 256,
                 node_env: str = "development", fetch_module: FetchModule | None = None,
                 module_format: str = "vite",
                 import_meta_env: t.Mapping[str, t.Any] | None = None,
                 startup_timeout: float = 30.0, python: str | None = None,
                 logger: logging.Logger | None = None) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if heap_limit_mb < 16:
            raise ValueError("heap_limit_mb must be at least 16")
        if module_format not in MODULE_FORMATS:
            raise ValueError(f"module_format must be one of {MODULE_FORMATS}, not {module_format!r}")
        if os.name != "posix":
            raise NotImplementedError("the SSR renderer process needs a POSIX system (Linux, macOS)")
        self.timeout = float(timeout)
        self.heap_limit_mb = int(heap_limit_mb)
        self.node_env = node_env
        self.fetch_module = fetch_module
        self.module_format = module_format
        self.startup_timeout = float(startup_timeout)
        self.python = python or sys.executable
        self.logger = logger or globals()["logger"]
        self._setup = {
            "heap_limit_mb": self.heap_limit_mb, "node_env": node_env,
            "fetch_modules": fetch_module is not None,
            "import_meta_env": dict(import_meta_env or {}),
        }
        self._definitions: dict[str, ModuleSource] = {}
        # Re-entrant: fetch_module may call define_modules() during a call.
        self._lock = threading.RLock()
        self._child: ChildProcess | None = None
        self._finalizer: weakref.finalize[[ChildProcess], SsrProcess] | None = None
        self._closed = False
        #: How many children were started (1 + respawns), for tests and logs.
        self.spawn_count = 0
        self._spawn()

    # -- public API ---------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        """The current child's process id."""
        child = self._child
        return child.pid if child is not None else None

    @property
    def v8_version(self) -> str:
        """The V8 version of the child (starts it if needed)."""
        with self._lock:
            child = self._ready_child()
            return str(child.info.get("v8", ""))

    @property
    def modules(self) -> t.Mapping[str, ModuleSource]:
        """The modules shipped so far, by URL (a read-only view)."""
        return dict(self._definitions)

    def define_modules(self, modules: t.Mapping[str, str | ModuleSource]) -> None:
        """Ship module code (new or changed modules only are needed).

        Nothing is evaluated here: a module runs when it is first imported.
        Changing a module's code does not re-run an instance that already
        ran; :meth:`invalidate` it (and its importers) for that.
        """
        sources = {url: self._source(value) for url, value in modules.items()}
        if not sources:
            return
        with self._lock:
            self._check_open()
            self._definitions.update(sources)
            if self._child is not None:
                self._child.outbox.append(_define_frame(sources))

    def invalidate(self, urls: t.Iterable[str], *, importers: bool = False) -> None:
        """Drop the instances of ``urls`` so the next import runs them again.

        Other modules keep their instances and state; modules that imported
        an invalidated one keep the exports object they got, unless they are
        invalidated too -- pass them, or ``importers=True`` to include every
        module that (transitively) imported one of ``urls``.
        """
        urls = list(urls)
        if not urls:
            return
        with self._lock:
            self._check_open()
            if self._child is not None:
                self._child.outbox.append(encode("I", json.dumps([urls, importers])))

    def import_(self, url: str, *, timeout: float | None = None) -> SsrModule:
        """Import ``url`` (evaluating it and its imports if needed)."""
        exports = self._request("import", url, "", None, timeout)
        return SsrModule(self, url, dict(exports or {}))

    def call(self, url: str, name: str, args: t.Sequence[t.Any] | None = None, *,
             timeout: float | None = None) -> t.Any:
        """Import ``url``, call its export ``name`` with ``args``, wait for a
        returned promise, and return the JSON-compatible result.

        Tasks the call waits for (timers, posted messages) run; tasks already
        due when it finishes run before it returns.

        :raises SsrError: JavaScript threw (or a subclass: module not found,
            Node builtin, timeout, out of memory, crashed child).
        """
        return self._request("call", url, name, list(args) if args is not None else [], timeout)

    def get(self, url: str, name: str, *, timeout: float | None = None) -> t.Any:
        """The JSON-compatible value of the export ``name`` of ``url``."""
        return self._request("get", url, name, None, timeout)

    def dispatch_fetch(self, url: str, request: FetchRequest, *, max_body_size: int = MAX_BODY_SIZE,
                       timeout: float | None = None) -> FetchResponse:
        """Import ``url`` and pass ``request`` to its fetch handler (the
        forms are in :mod:`flask_vite.ssr.fetch`); the ``Response`` it
        returns (or resolves to) is read to its end.

        :param max_body_size: The largest response body accepted, in bytes.
        :raises SsrFetchTypeError: ``url`` has no fetch handler, or it
            returned something else than a ``Response``.
        :raises SsrError: The handler threw, or the body is larger than
            ``max_body_size`` (a ``RangeError``).
        """
        payload = self._request("fetch", url, "", [request.to_payload(max_body_size)], timeout)
        return FetchResponse.from_payload(payload)

    def close(self) -> None:
        """Stop the child. The instance cannot be used afterwards."""
        with self._lock:
            self._closed = True
            self._stop_child(graceful=True)

    def __enter__(self) -> SsrProcess:  # noqa: PYI034 - typing.Self needs 3.11
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"pid={self.pid}"
        return f"<SsrProcess {state} modules={len(self._definitions)}>"

    # -- the child ------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this SsrProcess is closed; create a new one")

    def _spawn(self) -> ChildProcess:
        child = ChildProcess(self.python, self._setup)
        self.spawn_count += 1
        if self._definitions:
            # A new child has no modules: all of them go first.
            child.outbox.append(_define_frame(self._definitions))
        self._child = child
        self._finalizer = weakref.finalize(self, kill_child, child)
        return child

    def _stop_child(self, graceful: bool) -> None:
        child, self._child = self._child, None
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        if child is not None:
            child.close(graceful)

    def _replace_child(self) -> None:
        """Kill the child and start the next one now, so it boots while the
        caller handles the error."""
        self._stop_child(graceful=False)
        if not self._closed:
            self._spawn()

    def _ready_child(self) -> ChildProcess:
        self._check_open()
        child = self._child or self._spawn()
        if child.owner != os.getpid():
            # This process was forked (a preloading server's worker): the child
            # belongs to the parent. Start our own; the modules go with it.
            self._stop_child(graceful=False)
            child = self._spawn()
        if child.ready and child.popen.poll() is not None:
            # It died between calls (a task it ran between calls ran out of
            # memory, the OOM killer...): not the next call's fault.
            self.logger.warning("the SSR renderer (pid %s) exited between calls with status %s; "
                                "starting a new one\n%s", child.pid, child.popen.returncode,
                                child.output_tail())
            self._replace_child()
            child = t.cast(ChildProcess, self._child)
        if child.ready:
            return child
        deadline = time.monotonic() + self.startup_timeout
        try:
            kind, payload = child.recv(deadline)
        except Deadline:
            self._stop_child(graceful=False)
            raise SsrCrashed(f"the SSR renderer did not start within {self.startup_timeout:g} s") from None
        except Gone:
            raise self._crashed(child, "the SSR renderer exited while starting") from None
        if kind != "H":
            raise self._crashed(child, f"the SSR renderer sent {kind!r} instead of its hello")
        child.info = json.loads(payload)
        child.ready = True
        return child

    def _crashed(self, child: ChildProcess, what: str) -> SsrError:
        """Reap a dead child, start the next one, describe the death."""
        self._stop_child(graceful=False)
        status = child.popen.returncode
        tail = child.output_tail()
        if not self._closed:
            self._spawn()
        if "out of memory" in tail.lower() or status in _V8_ABORT_STATUSES:
            # V8 aborts silently (SIGTRAP) when an allocation cannot fit under
            # its heap cap: one allocation larger than the headroom the hard
            # limit leaves (see flask_vite.ssr.v8.v8_heap_cap_mb).
            return SsrOutOfMemory(
                f"{what}: V8 aborted (exit status {status}), as it does when an allocation does not "
                f"fit in the heap (heap_limit_mb={self.heap_limit_mb}); the renderer was restarted. "
                "If the code does not allocate much, this is a crash in V8.\n" + tail)
        hint = ""
        if "No module named 'py_mini_racer'" in tail:
            hint = "\nInstall the V8 binding: pip install mini-racer"
        return SsrCrashed(f"{what} (exit status {status}){hint}\n{tail}".rstrip())

    # -- a call -------------------------------------------------------------------

    def _request(self, mode: str, url: str, name: str, args: list[t.Any] | None,
                 timeout: float | None) -> t.Any:
        timeout = self.timeout if timeout is None else float(timeout)
        request = {"mode": mode, "url": url, "name": name, "timeout": timeout,
                   "args": json.dumps(args, separators=(",", ":")) if args else ""}
        what = (f"{name}() of {url}" if mode == "call"
                else f"the fetch handler of {url}" if mode == "fetch" else url)
        with self._lock:
            child = self._ready_child()
            deadline = time.monotonic() + timeout
            fetch_error: BaseException | None = None
            try:
                child.outbox.append(encode("C", json.dumps(request)))
                child.flush(deadline + KILL_GRACE)
                while True:
                    kind, payload = child.recv(deadline + KILL_GRACE)
                    if kind == "V":
                        return decode_texts(payload)
                    if kind == "R":
                        result = json.loads(payload)
                        self._log(result.get("logs"))
                        if result.get("ok"):
                            return result.get("value")
                        if fetch_error is not None:
                            raise fetch_error
                        raise _error_from(result["error"])
                    if kind == "F":
                        started = time.monotonic()
                        answer, error = self._fetch(json.loads(payload))
                        fetch_error = fetch_error or error
                        # Time spent producing modules is not the render's.
                        deadline += time.monotonic() - started
                        child.send(answer, deadline + KILL_GRACE)
                    elif kind == "O":
                        self._replace_child()
                        raise SsrOutOfMemory(
                            f"{what} exhausted the JavaScript heap (heap_limit_mb={self.heap_limit_mb}); "
                            "the renderer was restarted")
                    elif kind == "X":
                        self._replace_child()
                        raise SsrCrashed(f"the SSR renderer failed during {what}:\n"
                                         f"{payload.decode('utf-8', 'replace')}")
                    else:
                        self._replace_child()
                        raise SsrCrashed(f"unexpected {kind!r} frame from the SSR renderer")
            except Deadline:
                self._replace_child()
                raise SsrTimeout(f"{what} did not finish within {timeout:g} s; the renderer was "
                                 "killed and restarted (the modules are shipped to it again)") from None
            except Gone:
                raise self._crashed(child, f"the SSR renderer died during {what}") from None
            except SsrError:
                raise
            except BaseException:
                # Interrupted mid-exchange (a killed greenlet, KeyboardInterrupt,
                # an error in fetch_module handling): the child's replies would
                # no longer match the requests.
                if self._child is child:
                    self._replace_child()
                raise

    def _fetch(self, request: dict[str, t.Any]) -> tuple[bytes, BaseException | None]:
        """Answer an ``F`` frame with ``fetch_module``."""
        self._log(request.get("logs"))
        answers: list[dict[str, t.Any]] = []
        error: BaseException | None = None
        for item in request["modules"]:
            url = item["url"]
            try:
                value = self.fetch_module(url) if self.fetch_module is not None else None
                source = None if value is None else self._source(value)
            except Exception as e:  # noqa: BLE001 - re-raised from the call
                error = error or e
                answers.append({"url": url, "error": f"{type(e).__name__}: {e}"})
                continue
            if source is None:
                answers.append({"url": url})
            else:
                self._definitions[url] = source
                answers.append({"url": url, "code": source.code, "file": source.file,
                                "format": source.format})
        return encode("M", json.dumps(answers)), error

    def _source(self, value: str | ModuleSource) -> ModuleSource:
        """``value`` as a :class:`ModuleSource` with its format settled."""
        if isinstance(value, ModuleSource):
            if value.format is None:
                return dataclasses.replace(value, format=self.module_format)
            return value
        if isinstance(value, str):
            return ModuleSource(value, None, self.module_format)
        raise TypeError(f"a module must be its code (str) or a ModuleSource, not {type(value).__name__}")

    def _log(self, logs: list[list[t.Any]] | None) -> None:
        for level, method, text in logs or ():
            self.logger.log(int(level), "%s", text, extra={"ssr_console": method})


def _define_frame(sources: t.Mapping[str, ModuleSource]) -> bytes:
    return encode("D", json.dumps({url: [s.code, s.file, s.format] for url, s in sources.items()}))


def _error_from(error: dict[str, t.Any]) -> SsrError:
    frames = [StackFrame(str(f[0]), int(f[1]), int(f[2])) for f in error.get("frames") or ()]
    message = str(error.get("message", ""))
    stack = str(error.get("stack") or "")
    code = error.get("code")
    chain = [str(u) for u in error.get("chain") or ()]
    if code == "ERR_SSR_MODULE_NOT_FOUND":
        return SsrModuleNotFound(str(error["url"]), chain[:-1], message, stack, frames)
    if code == "ERR_SSR_NODE_BUILTIN":
        return SsrNodeBuiltinError(str(error["builtin"]), chain[:-1], message, stack, frames)
    if code == "ERR_SSR_FETCH_TYPE":
        return SsrFetchTypeError(message, stack, frames, name="TypeError")
    if code == "ERR_SSR_TIMEOUT":
        return SsrTimeout(message)  # its stack would only show the runtime giving up
    return SsrError(message, stack, frames, name=str(error.get("name") or "Error"))
