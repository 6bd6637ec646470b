"""The ``ssr`` environment's module runner: Vite's ``RunnableDevEnvironment.runner``.

Modules are transformed by the ``ssr`` pipeline (CommonJS for V8, see
:mod:`flask_vite.server.ssr_transform`) and executed in a V8 isolate in a
child process (:class:`flask_vite.ssr.process.SsrProcess`), so a component
that loops forever or allocates without bound costs a timeout or a respawn,
never the web server. Before each import the runner sends what changed
since the last one; modules whose files did not change keep their instances.

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
from .ssr_modules import SsrModuleCollector

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


class SsrRunner:
    """Imports and calls SSR modules of one environment."""

    def __init__(self, environment: DevEnvironment, *, timeout: float = 5.0,
                 heap_limit_mb: int = 256) -> None:
        self.environment = environment
        self.timeout = timeout
        self.heap_limit_mb = heap_limit_mb
        self.collector = SsrModuleCollector(environment)
        self._process: SsrProcess | None = None
        self._lock = threading.RLock()
        #: (url, child spawn count) → exports, valid while nothing is re-sent.
        self._imported: dict[tuple[str, int], ModuleExports] = {}
        self._shipped_changes = False

    @property
    def process(self) -> SsrProcess:
        if self._process is None:
            from ..ssr.process import SsrProcess

            config = self.environment.config
            self._process = SsrProcess(
                timeout=self.timeout, heap_limit_mb=self.heap_limit_mb, module_format="cjs",
                node_env="development" if config.dev else "production",
                fetch_module=self._fetch_module,
            )
        return self._process

    def import_(self, url: str) -> ModuleExports:
        """Run ``url`` (if it or a module it imports changed) and return its exports."""
        url = _normalise(url)
        return self._run(lambda process: self._import(process, url), ship=url)

    def _import(self, process: SsrProcess, url: str) -> ModuleExports:
        # Nothing sent and the same child as last time: its instance (and so
        # its exports) is still there; skip a round trip to V8 per request.
        key = (url, process.spawn_count)
        cached = self._imported.get(key)
        if cached is not None and not self._shipped_changes:
            return cached
        exports = ModuleExports(self, url, process.import_(url))
        self._imported = {key: exports} if self._shipped_changes else {**self._imported, key: exports}
        return exports

    def call(self, url: str, name: str, args: list[t.Any], *, timeout: float | None = None) -> t.Any:
        return self._run(lambda process: process.call(url, name, args, timeout=timeout))

    def get(self, url: str, name: str) -> t.Any:
        return self._run(lambda process: process.get(url, name))

    def _run(self, action: t.Callable[[SsrProcess], _T], *, ship: str | None = None) -> _T:
        """Run ``action`` on the process, one at a time, after sending what changed
        in the modules ``ship`` reaches; JS errors come back source-mapped."""
        with self._lock:
            process = self.process
            self._shipped_changes = False
            if ship is not None:
                changes = self.collector.collect(ship)
                if changes.invalidate:
                    process.invalidate(changes.invalidate)
                if changes.define:
                    process.define_modules(changes.define)
                self._shipped_changes = bool(changes.invalidate or changes.define)
            try:
                return action(process)
            except SsrError as e:
                raise self.map_error(e) from None

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
            lambda process: process.dispatch_fetch(url, fetch_request, max_body_size=limit, timeout=timeout),
            ship=url)
        from flask import current_app, has_app_context

        response_class = current_app.response_class if has_app_context() else None
        return fetch.to_flask(result, method=fetch_request.method, response_class=response_class)

    def close(self) -> None:
        with self._lock:
            process, self._process = self._process, None
            self.collector.reset()
            self._imported = {}
        if process is not None:
            process.close()

    def _fetch_module(self, key: str) -> str | None:
        """A module the eager walk did not send (``import()`` of a computed path)."""
        ship = self.collector.collect(key)
        return ship.define.get(key)

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
