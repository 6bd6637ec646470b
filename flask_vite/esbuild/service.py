"""The esbuild service: transform, build and incremental builds from Python.

:class:`EsbuildService` keeps one long-lived esbuild process (a
:class:`~flask_vite.esbuild.channel.Channel`) and offers esbuild's JS API in
Python: :meth:`~EsbuildService.transform`, :meth:`~EsbuildService.build`,
:meth:`~EsbuildService.context`, with plugins whose callbacks are Python
functions. The process starts on first use, restarts by itself after a
crash, and stops at :meth:`~EsbuildService.close` or interpreter exit.

Layers, as in esbuild's ``lib/shared``: :mod:`.protocol` (pure codec),
:mod:`.types` and :mod:`.flags` (pure), :mod:`.channel` (the process), and
this module (the API).
"""
from __future__ import annotations

import logging
import os
import threading
import typing as t
import weakref

from ..errors import EsbuildError, EsbuildMessage, EsbuildServiceError
from . import protocol
from .binary import ESBUILD_VERSION
from .channel import STOP_TIMEOUT, Channel, Response
from .flags import build_flags, transform_flags
from .protocol import messages_from_wire
from .types import (
    BuildResult,
    OnLoadArgs,
    OnLoadResult,
    OnResolveArgs,
    OnResolveResult,
    OutputFile,
    Plugin,
    PluginBuild,
    PluginRegistry,
    ResolveResult,
    TransformResult,
    build_result_from_wire,
)

__all__ = [
    "BuildContext", "BuildResult", "EsbuildService", "OnLoadArgs", "OnLoadResult",
    "OnResolveArgs", "OnResolveResult", "OutputFile", "Plugin", "PluginBuild",
    "ResolveResult", "TransformResult",
]

logger = logging.getLogger("flask_vite.esbuild")


def _error_from(response: Response, summary: str) -> EsbuildError | None:
    """The exception for a response carrying an ``error`` string, if any."""
    text = response.get("error")
    if text is None:
        return None
    return EsbuildError([EsbuildMessage(text=str(text))], summary=summary)


_Outcome = t.Tuple["BuildResult | EsbuildError", t.List[protocol.Value], t.List[protocol.Value]]


def _build_outcome(response: Response, registry: PluginRegistry | None) -> _Outcome:
    """A build's result or error once ``on_end`` callbacks ran, and what they added."""
    result = build_result_from_wire(response)
    end_errors, end_warnings = registry.run_on_end(result) if registry else ([], [])
    errors = result.errors + messages_from_wire(end_errors)
    warnings = result.warnings + messages_from_wire(end_warnings)
    if not errors:
        return (BuildResult(result.output_files, result.metafile, warnings, result.mangle_cache),
                end_errors, end_warnings)
    error = EsbuildError(errors, warnings, summary="Build failed")
    # Chain the first exception a plugin raised, so its traceback is not lost.
    for wire in list(response.get("errors") or ()) + end_errors:
        handle = t.cast("dict[str, t.Any]", wire).get("detail")
        detail = registry.stash.load(handle) if registry else None
        if isinstance(detail, BaseException):
            error.__cause__ = detail
            break
    return error, end_errors, end_warnings


class _Session:
    """One build or context as the channel sees it: its key and its plugins."""

    def __init__(self, registry: PluginRegistry | None, is_context: bool) -> None:
        self.registry = registry
        self.is_context = is_context
        self.channel: Channel | None = None
        self.key = -1
        #: Set by ``on-end`` during a context rebuild.
        self.latest: BuildResult | EsbuildError | None = None

    def handle(self, command: str, request: Response) -> Response:
        """Answer a request esbuild sent about this build (on a worker thread)."""
        if command == "on-end":
            self.latest, errors, warnings = _build_outcome(request, self.registry)
            return {"errors": errors, "warnings": warnings}
        if self.registry is None:
            raise ValueError(f"Invalid command: {command}")
        if command == "on-start":
            return self.registry.answer_on_start()
        return self.registry.answer_callback(command, request)

    def resolve(self, request: dict[str, protocol.Value]) -> ResolveResult:
        """Send a plugin's ``resolve`` request for this build."""
        assert self.channel is not None and self.registry is not None
        response = self.channel.request(dict(request, command="resolve", key=self.key))
        error = _error_from(response, "resolve() failed")
        if error is not None:
            raise error
        return ResolveResult(
            path=response["path"], external=response["external"],
            side_effects=response["sideEffects"], namespace=response["namespace"],
            suffix=response["suffix"],
            plugin_data=self.registry.stash.load(response.get("pluginData")),
            errors=messages_from_wire(response["errors"]),
            warnings=messages_from_wire(response["warnings"]),
        )

    def dispose_callbacks(self) -> None:
        if self.registry is not None:
            self.registry.run_on_dispose()


class BuildContext:
    """An incremental build (esbuild's ``context()``): call :meth:`rebuild`.

    If the esbuild process died since the last call, the context is created
    again in the new process first. Use as a context manager, or call
    :meth:`dispose`.
    """

    def __init__(self, service: EsbuildService, session: _Session,
                 request: dict[str, protocol.Value]) -> None:
        self._service = service
        self._session = session
        self._request = request
        self._lock = threading.Lock()
        self._disposed = False

    def _channel(self) -> Channel:
        channel = self._session.channel
        if channel is not None and channel.usable():
            return channel
        if channel is not None:
            channel.unregister(self._session.key)
        channel = self._service._channel()
        key = channel.register(self._session)
        try:
            response = channel.request(dict(self._request, key=key))
        except BaseException:
            channel.unregister(key)
            raise
        _raise_for_build(response, self._session, "Context failed")
        return channel

    def rebuild(self) -> BuildResult:
        """Build again, picking up changed files.

        :raises EsbuildError: if the build has errors.
        :raises EsbuildServiceError: if the process dies during the build.
        """
        with self._lock:
            if self._disposed:
                raise EsbuildServiceError("This build context was disposed")
            channel = self._channel()
            while True:
                self._session.latest = None
                response = channel.request({"command": "rebuild", "key": self._session.key})
                error = _error_from(response, "Rebuild failed")
                if error is not None:
                    raise error
                # The result arrived in an ``on-end`` request before this response.
                # If esbuild merged our rebuild into one already running it may
                # have skipped that, so build again (as the JS API does).
                outcome = self._session.latest
                if outcome is not None:
                    break
        if isinstance(outcome, EsbuildError):
            raise outcome
        return outcome

    def dispose(self) -> None:
        """Free the context in esbuild. Safe to call more than once."""
        with self._lock:
            if self._disposed:
                return
            self._disposed = True
            channel = self._session.channel
            if channel is not None:
                if channel.usable():
                    try:
                        channel.request({"command": "dispose", "key": self._session.key})
                    except EsbuildServiceError:
                        pass
                channel.unregister(self._session.key)
        self._session.dispose_callbacks()

    def __enter__(self) -> BuildContext:
        return self

    def __exit__(self, *exc: object) -> None:
        self.dispose()


def _raise_for_build(response: Response, session: _Session, summary: str) -> None:
    error = _error_from(response, summary)
    if error is None and response.get("errors"):
        error = EsbuildError(messages_from_wire(response["errors"]),
                             messages_from_wire(response.get("warnings") or ()),
                             summary=summary)
    if error is not None:
        raise error


class _Holder:
    """The service's current channel, apart so the finalizer need not hold the service."""

    def __init__(self) -> None:
        self.channel: Channel | None = None

    def close(self, timeout: float = STOP_TIMEOUT) -> None:
        channel, self.channel = self.channel, None
        if channel is not None:
            channel.close(timeout)


class EsbuildService:
    """esbuild's transform and build APIs, served by one long-lived process.

    The process starts on first use and restarts by itself if it dies. Safe
    to share between threads and gevent greenlets.

    :param binary: path to the esbuild executable, e.g. from
        :func:`flask_vite.esbuild.binary.find_esbuild`.
    :param version: the version the binary must report.
    """

    def __init__(self, binary: str | os.PathLike[str], version: str = ESBUILD_VERSION) -> None:
        self.binary = os.fspath(binary)
        self.version = version
        self._holder = _Holder()
        self._start_locks: dict[int, t.Any] = {}
        # Also runs at interpreter exit, so no esbuild process outlives us.
        self._finalizer = weakref.finalize(self, self._holder.close)

    @property
    def pid(self) -> int | None:
        """The esbuild process id, or ``None`` when none is running."""
        channel = self._holder.channel
        return channel.pid if channel is not None and channel.usable() else None

    def _channel(self) -> Channel:
        channel = self._holder.channel
        if channel is not None and channel.usable():
            return channel
        # Made on first use, so it is a gevent lock if gevent patched threading
        # after this object was created; one per process, as a lock held by a
        # thread at fork() time stays held forever in the child. ``setdefault``
        # is atomic, so racing threads all get the same lock.
        lock = self._start_locks.get(os.getpid()) or self._start_locks.setdefault(
            os.getpid(), threading.Lock())
        with lock:
            channel = self._holder.channel
            if channel is None or not channel.usable():
                if channel is not None and channel.owner_pid != os.getpid():
                    channel.forget()
                self._holder.channel = channel = Channel(self.binary, self.version)
        return channel

    def close(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop the process; a later call starts a new one."""
        self._holder.close(timeout)

    def __enter__(self) -> EsbuildService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transform ------------------------------------------------------------

    def transform(self, code: str | bytes, *, loader: str | None = "tsx",
                  sourcefile: str | None = None, sourcemap: bool | str = False,
                  **options: t.Any) -> TransformResult:
        """Transform one module (esbuild's ``transform`` API).

        Options are esbuild's, in snake_case: ``target``, ``format``, ``jsx``,
        ``define`` … ``sourcemap=True`` means ``"external"``: the map is in
        :attr:`TransformResult.map`.

        :raises EsbuildError: for syntax and other errors, with their locations.
        :raises TypeError: for an unknown option.
        """
        if isinstance(code, str):
            data = code.encode("utf-8")
        elif isinstance(code, (bytes, bytearray, memoryview)):
            data = bytes(code)
        else:
            raise TypeError(f"transform() takes str or bytes, not {type(code).__name__}")
        flags, mangle_cache = transform_flags(
            dict(options, loader=loader, sourcefile=sourcefile, sourcemap=sourcemap))
        request: dict[str, protocol.Value] = {
            "command": "transform", "flags": t.cast(list[protocol.Value], flags),
            "input": data, "inputFS": False,
        }
        if mangle_cache is not None:
            request["mangleCache"] = mangle_cache
        channel = self._channel()
        try:
            response = channel.request(request)
        except EsbuildServiceError:
            # A transform has no side effects: one caught by a crash is
            # retried once on a fresh process instead of failing the caller.
            if channel.closed_by_user or channel.usable():
                raise
            response = self._channel().request(request)
        error = _error_from(response, "Transform failed")
        if error is not None:
            raise error
        warnings = messages_from_wire(response["warnings"])
        if response["errors"]:
            raise EsbuildError(messages_from_wire(response["errors"]), warnings,
                               summary="Transform failed")
        return TransformResult(
            code=response["code"], map=response["map"], warnings=warnings,
            legal_comments=response.get("legalComments"),
            mangle_cache=response.get("mangleCache"),
        )

    # -- build ----------------------------------------------------------------

    def build(self, entry_points: t.Any = None, *, bundle: bool = True,
              format: str | None = "esm", write: bool = False, metafile: bool = True,
              plugins: t.Sequence[Plugin] = (), **options: t.Any) -> BuildResult:
        """Bundle (esbuild's ``build`` API).

        ``entry_points`` is a list of paths, a list of ``{"in": ..., "out": ...}``
        or a dict of output name to path. Other options are esbuild's in
        snake_case (``outdir``, ``splitting``, ``external``, ``loader`` …);
        ``abs_working_dir`` defaults to the current directory. Output stays
        in memory unless ``write=True``.

        :raises EsbuildError: if the build (or a plugin) reports errors.
        :raises EsbuildServiceError: if the process dies during the build.
        """
        options.update(entry_points=entry_points, bundle=bundle, format=format,
                       write=write, metafile=metafile)
        session, request = self._start_build(options, list(plugins), context=False)
        assert session.channel is not None
        try:
            response = session.channel.request(request)
        finally:
            session.channel.unregister(session.key)
            session.dispose_callbacks()
        error = _error_from(response, "Build failed")
        if error is not None:
            raise error
        outcome, _, _ = _build_outcome(response, session.registry)
        if isinstance(outcome, EsbuildError):
            raise outcome
        return outcome

    def context(self, entry_points: t.Any = None, *, bundle: bool = True,
                format: str | None = "esm", write: bool = False, metafile: bool = True,
                plugins: t.Sequence[Plugin] = (), **options: t.Any) -> BuildContext:
        """An incremental build: same options as :meth:`build`; nothing is
        built until :meth:`BuildContext.rebuild`."""
        options.update(entry_points=entry_points, bundle=bundle, format=format,
                       write=write, metafile=metafile)
        session, request = self._start_build(options, list(plugins), context=True)
        assert session.channel is not None
        try:
            response = session.channel.request(request)
            _raise_for_build(response, session, "Context failed")
        except BaseException:
            session.channel.unregister(session.key)
            raise
        return BuildContext(self, session, request)

    def _start_build(self, options: dict[str, t.Any], plugins: list[Plugin],
                     context: bool) -> tuple[_Session, dict[str, protocol.Value]]:
        registry = PluginRegistry() if plugins else None
        builds: list[PluginBuild] = []
        for plugin in plugins:
            if not isinstance(plugin, Plugin):
                raise TypeError(f"plugins must be Plugin objects, not {type(plugin).__name__}")
            assert registry is not None
            build = PluginBuild(registry, plugin.name, options)
            try:
                plugin.setup(build)
            except Exception as e:
                error = EsbuildError([EsbuildMessage(text=f"{type(e).__name__}: {e}",
                                                     plugin_name=plugin.name)],
                                     summary="Build failed")
                raise error from e
            builds.append(build)
        # Flags are read after setup, which may change ``build.initial_options``.
        parts = build_flags(options, "context" if context else "build")
        session = _Session(registry, context)
        if registry is not None:
            registry.resolver = session.resolve
        request: dict[str, protocol.Value] = {
            "command": "build",
            "entries": t.cast(list[protocol.Value], parts.entries),
            "flags": t.cast(list[protocol.Value], parts.flags),
            "write": parts.write,
            "stdinContents": parts.stdin_contents,
            "stdinResolveDir": parts.stdin_resolve_dir,
            "absWorkingDir": parts.abs_working_dir or os.getcwd(),
            "nodePaths": t.cast(list[protocol.Value], parts.node_paths),
            "context": context,
        }
        if builds:
            request["plugins"] = [b.to_wire() for b in builds]
        if parts.mangle_cache is not None:
            request["mangleCache"] = parts.mangle_cache
        request["key"] = self._channel().register(session)
        return session, request
