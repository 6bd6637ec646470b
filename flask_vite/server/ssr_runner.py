"""The ``ssr`` environment's module runner: Vite's ``RunnableDevEnvironment.runner``.

Modules are transformed by the ``ssr`` pipeline (CommonJS for V8, see
:mod:`flask_vite.server.ssr_transform`) and executed in V8 isolates in child
processes (:class:`flask_vite.ssr.process.SsrProcess`, ``VITE_SSR_WORKERS``
of them, each running one call at a time), so a component that loops
forever or allocates without bound costs a timeout or a respawn of its
child, never the web server, and the other requests go to another child.
Before a call, the child that takes it is sent what changed since it last
ran the entry; modules whose files did not change keep their instances.

JavaScript errors come back with their stack mapped through the modules'
source maps to the original ``file:line:column``.
"""
from __future__ import annotations

import logging
import re
import threading
import typing as t

from ..sourcemap import original_position
from ..ssr.errors import SsrError, StackFrame
from .ssr_modules import ShippedModules, SsrModuleCollector

if t.TYPE_CHECKING:
    from flask import Response
    from werkzeug.wrappers import Request

    from ..ssr.fetch import FetchRequest
    from ..ssr.process import SsrModule, SsrProcess
    from .environment import DevEnvironment

logger = logging.getLogger("flask_vite.ssr")
_T = t.TypeVar("_T")


class ModuleExports(t.Mapping[str, t.Any]):
    """The exports of an SSR module, as Python sees them.

    Functions are returned as callables that run in V8 (a returned promise is
    awaited); other values are copied out as JSON.
    """

    def __init__(self, runner: SsrRunner, url: str, module: SsrModule) -> None:
        self._runner = runner
        self.url = url
        self._module = module
        #: Export name → ``typeof`` in JavaScript.
        self.types: dict[str, str] = dict(module.exports)

    def __getitem__(self, name: str) -> t.Any:
        if name not in self.types:
            raise KeyError(f"{self.url} has no export {name!r} (it exports: {', '.join(self.types) or 'nothing'})")
        if self.types[name] == "function":
            return _ExportedFunction(self._runner, self.url, name)
        return self._runner.get(self.url, name)

    def __iter__(self) -> t.Iterator[str]:
        return iter(self.types)

    def __len__(self) -> int:
        return len(self.types)

    def __repr__(self) -> str:
        return f"<ModuleExports {self.url} {sorted(self.types)}>"


class _ExportedFunction:
    def __init__(self, runner: SsrRunner, url: str, name: str) -> None:
        self._runner, self.url, self.name = runner, url, name

    def __call__(self, *args: t.Any, timeout: float | None = None) -> t.Any:
        return self._runner.call(self.url, self.name, list(args), timeout=timeout)

    def __repr__(self) -> str:
        return f"<SSR function {self.name} of {self.url}>"


class _Lane:
    """One V8 child of the runner and what it was sent."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.process: SsrProcess | None = None
        self.shipped = ShippedModules()
        #: (url, child spawn count) → exports, valid while nothing is re-sent.
        self.imported: dict[tuple[str, int], ModuleExports] = {}
        self.busy = False


class SsrRunner:
    """Imports and calls SSR modules of one environment.

    Calls run on ``workers`` V8 children, each used by one call at a time: a
    render that loops forever holds one child until ``timeout``, and the
    other requests go to the next. The first free child is taken, so a
    request at a time always runs on the first one; the next children are
    started when requests overlap. Each child is sent the changed modules
    before it runs one, so module state (a counter in a module) is per
    child, as it is per process when Vite's server restarts.
    """

    def __init__(self, environment: DevEnvironment, *, timeout: float = 5.0,
                 heap_limit_mb: int = 256, workers: int = 2) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.environment = environment
        self.timeout = timeout
        self.heap_limit_mb = heap_limit_mb
        self.collector = SsrModuleCollector(environment)
        self._lanes = [_Lane(i) for i in range(workers)]
        self._free = threading.Condition()

    @property
    def process(self) -> SsrProcess:
        """The first child (started if needed)."""
        return self._process(self._lanes[0])

    @property
    def processes(self) -> list[SsrProcess]:
        """The children started so far."""
        return [lane.process for lane in self._lanes if lane.process is not None]

    @property
    def busy(self) -> list[SsrProcess]:
        """The children running a call now."""
        return [lane.process for lane in self._lanes if lane.busy and lane.process is not None]

    def _process(self, lane: _Lane) -> SsrProcess:
        if lane.process is None:
            from ..ssr.process import SsrProcess

            config = self.environment.config
            lane.process = SsrProcess(
                timeout=self.timeout, heap_limit_mb=self.heap_limit_mb, module_format="cjs",
                node_env="development" if config.dev else "production",
                fetch_module=lambda key: self._fetch_module(lane, key),
            )
        return lane.process

    def import_(self, url: str) -> ModuleExports:
        """Run ``url`` (if it or a module it imports changed) and return its exports."""
        url = _normalise(url)
        return self._run(lambda lane, process: self._import(lane, process, url), url)

    def _import(self, lane: _Lane, process: SsrProcess, url: str) -> ModuleExports:
        # Nothing sent since and the same child: its instance (and so its
        # exports) is still there; skip a round trip to V8 per request.
        key = (url, process.spawn_count)
        cached = lane.imported.get(key)
        if cached is None:
            cached = lane.imported[key] = ModuleExports(self, url, process.import_(url))
        return cached

    def call(self, url: str, name: str, args: list[t.Any], *, timeout: float | None = None) -> t.Any:
        return self._run(lambda _, process: process.call(url, name, args, timeout=timeout), url)

    def get(self, url: str, name: str) -> t.Any:
        return self._run(lambda _, process: process.get(url, name), url)

    def _run(self, action: t.Callable[[_Lane, SsrProcess], _T], url: str) -> _T:
        """Run ``action`` on a free child, after sending it what changed in the
        modules ``url`` reaches; JS errors come back source-mapped."""
        watcher = getattr(self.environment.server, "watcher", None)
        if watcher is not None:
            watcher.settle()  # a file saved just now is handled first
        self.collector.modules(url)  # transforms what changed, before a child is taken
        lane = self._acquire()
        try:
            process = self._process(lane)
            # Again (a look-up): an edit made while this call waited for a
            # child must not be undone by sending it an older walk.
            changes = lane.shipped.changes(self.collector.modules(url))
            if changes.invalidate:
                process.invalidate(changes.invalidate)
            if changes.define:
                process.define_modules(changes.define)
                lane.imported = {}
            return action(lane, process)
        except SsrError as e:
            raise self.map_error(e) from None
        finally:
            self._release(lane)

    def _acquire(self) -> _Lane:
        """The first free child; waits while all are busy."""
        with self._free:
            while True:
                for lane in self._lanes:
                    if not lane.busy:
                        lane.busy = True
                        return lane
                self._free.wait()

    def _release(self, lane: _Lane) -> None:
        with self._free:
            lane.busy = False
            self._free.notify()

    # -- fetch-style handlers (Vite's FetchableDevEnvironment) ---------------------
    def dispatch_fetch(self, request: Request | FetchRequest, entry: str, *,
                       timeout: float | None = None, max_body_size: int | None = None) -> Response:
        """Pass ``request`` to the fetch handler ``entry`` exports (the forms
        are in :mod:`flask_vite.ssr.fetch`) and return its ``Response`` as a
        Flask response (the current app's ``response_class``).

        ``entry`` and the modules it imports are shipped as for
        :meth:`import_`: edited ones run again first.

        :param request: A Werkzeug/Flask request (its body is read), or a
            :class:`~flask_vite.ssr.fetch.FetchRequest`.
        :param max_body_size: The largest request and response body, in
            bytes (default :data:`~flask_vite.ssr.fetch.MAX_BODY_SIZE`).
        :raises ~flask_vite.ssr.errors.SsrFetchTypeError: No fetch handler,
            or it returned something other than a ``Response``.
        :raises ~flask_vite.ssr.errors.SsrError: The handler threw (the
            stack mapped to the original sources).
        :raises werkzeug.exceptions.RequestEntityTooLarge: The request body
            is larger than ``max_body_size``.
        """
        from ..ssr import fetch

        limit = fetch.MAX_BODY_SIZE if max_body_size is None else max_body_size
        fetch_request = (request if isinstance(request, fetch.FetchRequest)
                         else fetch.from_werkzeug(request, max_body_size=limit))
        url = _normalise(entry)
        result = self._run(
            lambda _, process: process.dispatch_fetch(url, fetch_request, max_body_size=limit,
                                                          timeout=timeout),
            url)
        from flask import current_app, has_app_context

        response_class = current_app.response_class if has_app_context() else None
        return fetch.to_flask(result, method=fetch_request.method, response_class=response_class)

    def close(self) -> None:
        """Stop the children (a call in progress finishes first); the next
        call starts new ones."""
        processes = []
        with self._free:
            for lane in self._lanes:
                if lane.process is not None:
                    processes.append(lane.process)
                lane.process = None
                lane.shipped.reset()
                lane.imported = {}
            self.collector.reset()
        for process in processes:
            process.close()

    def _fetch_module(self, lane: _Lane, key: str) -> str | None:
        """A module the eager walk did not send (``import()`` of a computed path)."""
        return lane.shipped.fetched(key, self.collector.modules(key))

    # -- errors --------------------------------------------------------------------
    def map_error(self, error: SsrError) -> SsrError:
        """``error`` with its stack and location pointing at the original sources."""
        if not error.frames:
            return error
        graph = self.environment.module_graph
        mapped_frames: list[StackFrame] = []
        stack = error.stack
        for frame in error.frames:
            node = graph.get_module_by_url(frame.url) if frame.url.startswith("/") else None
            result = node.transform_result if node is not None else None
            found = None
            if result is not None and result.map:
                found = original_position(result.map, frame.line, max(frame.column - 1, 0))
            if found is None:
                mapped_frames.append(frame)
                continue
            source, line, column = found
            file = source if source.startswith("/") else (node.file if node and node.file else source)
            mapped_frames.append(StackFrame(file, line, column + 1))
            stack = re.sub(
                re.escape(f"{frame.url}:{frame.line}:{frame.column}"),
                f"{file}:{line}:{column + 1}", stack, count=1)
        mapped = type(error).__new__(type(error))
        mapped.__dict__.update(error.__dict__)
        mapped.args = error.args
        mapped.stack = stack
        mapped.frames = mapped_frames
        first = next((f for f in mapped_frames if f.url.startswith("/") and "/node_modules/" not in f.url), None)
        if first is not None:
            mapped.loc = {"file": first.url, "line": first.line, "column": first.column - 1}  # type: ignore[attr-defined]
        return mapped


def _normalise(url: str) -> str:
    return url if url.startswith("/") else "/" + url
