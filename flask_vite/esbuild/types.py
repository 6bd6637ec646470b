"""What goes in and out of the esbuild service, in Python's terms.

Results, plugin callback arguments and results, and the conversions between
esbuild's wire messages and :class:`~flask_vite.errors.EsbuildMessage`. No IO
here; :mod:`flask_vite.esbuild.service` does the talking.
"""
from __future__ import annotations

import dataclasses
import itertools
import json
import logging
import re
import typing as t

from ..errors import EsbuildMessage
from .protocol import MessageLike, exception_to_wire, message_to_wire, messages_from_wire

if t.TYPE_CHECKING:  # pragma: no cover
    from .protocol import Value

logger = logging.getLogger("flask_vite.esbuild")

# -- results ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class TransformResult:
    """The output of :meth:`EsbuildService.transform`."""

    code: str
    #: The source map as JSON text; empty unless ``sourcemap`` was
    #: ``True``/``"external"``/``"both"``.
    map: str
    warnings: list[EsbuildMessage] = dataclasses.field(default_factory=list)
    legal_comments: str | None = None
    mangle_cache: dict[str, t.Any] | None = None


@dataclasses.dataclass(frozen=True)
class OutputFile:
    """One file a build produced (kept in memory when ``write=False``)."""

    path: str
    contents: bytes
    hash: str

    @property
    def text(self) -> str:
        """:attr:`contents` decoded as UTF-8."""
        return self.contents.decode("utf-8")


@dataclasses.dataclass(frozen=True)
class BuildResult:
    """The output of :meth:`EsbuildService.build` or a context's rebuild."""

    #: Empty when the build wrote its files to disk (``write=True``).
    output_files: list[OutputFile]
    #: The parsed metafile when ``metafile=True``, else ``None``.
    metafile: dict[str, t.Any] | None
    warnings: list[EsbuildMessage] = dataclasses.field(default_factory=list)
    mangle_cache: dict[str, t.Any] | None = None
    #: Always empty in a returned result (errors raise
    #: :class:`~flask_vite.errors.EsbuildError`); ``on_end`` callbacks see them.
    errors: list[EsbuildMessage] = dataclasses.field(default_factory=list)


def build_result_from_wire(response: dict[str, t.Any]) -> BuildResult:
    """Turn a ``build`` response or ``on-end`` request into a :class:`BuildResult`."""
    files = [
        OutputFile(f["path"], f["contents"], f["hash"])
        for f in response.get("outputFiles") or ()
    ]
    raw_meta = response.get("metafile")
    metafile = json.loads(raw_meta) if raw_meta else None
    return BuildResult(
        output_files=files,
        metafile=metafile,
        warnings=messages_from_wire(response.get("warnings") or ()),
        mangle_cache=response.get("mangleCache"),
        errors=messages_from_wire(response.get("errors") or ()),
    )


class ObjectStash:
    """Python objects stood in for by integers while they travel through Go.

    Plugin data is arbitrary Python; esbuild only carries it around, so we
    keep the object here and send its handle, as the JS API does.
    """

    def __init__(self) -> None:
        self._objects: dict[int, object] = {}
        # ``next()`` on a count is atomic, and callbacks store from many threads.
        self._handles = itertools.count()

    def store(self, value: object) -> int:
        handle = next(self._handles) & 0x7FFFFFFF
        self._objects[handle] = value
        return handle

    def load(self, handle: object) -> t.Any:
        return self._objects.get(handle) if isinstance(handle, int) else None

    def clear(self) -> None:
        self._objects.clear()


# -- plugins ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class OnResolveArgs:
    """What an ``on_resolve`` callback is asked to resolve."""

    path: str
    importer: str
    namespace: str
    resolve_dir: str
    #: ``"entry-point"``, ``"import-statement"``, ``"dynamic-import"`` …
    kind: str
    plugin_data: t.Any
    with_: dict[str, str]


@dataclasses.dataclass
class OnResolveResult:
    """What an ``on_resolve`` callback may return (or the same keys as a dict)."""

    path: str | None = None
    namespace: str | None = None
    suffix: str | None = None
    external: bool | None = None
    side_effects: bool | None = None
    plugin_data: t.Any = None
    errors: list[MessageLike] | None = None
    warnings: list[MessageLike] | None = None
    watch_files: list[str] | None = None
    watch_dirs: list[str] | None = None
    plugin_name: str | None = None


@dataclasses.dataclass(frozen=True)
class OnLoadArgs:
    """What an ``on_load`` callback is asked to load."""

    path: str
    namespace: str
    suffix: str
    plugin_data: t.Any
    with_: dict[str, str]


@dataclasses.dataclass
class OnLoadResult:
    """What an ``on_load`` callback may return (or the same keys as a dict)."""

    contents: str | bytes | None = None
    resolve_dir: str | None = None
    loader: str | None = None
    plugin_data: t.Any = None
    errors: list[MessageLike] | None = None
    warnings: list[MessageLike] | None = None
    watch_files: list[str] | None = None
    watch_dirs: list[str] | None = None
    plugin_name: str | None = None


@dataclasses.dataclass(frozen=True)
class ResolveResult:
    """The answer of :meth:`PluginBuild.resolve` (esbuild's own resolver)."""

    path: str
    external: bool
    side_effects: bool
    namespace: str
    suffix: str
    plugin_data: t.Any
    errors: list[EsbuildMessage]
    warnings: list[EsbuildMessage]


_RESULT_FIELDS = {
    # python name -> (wire name, check)
    "path": "path",
    "namespace": "namespace",
    "suffix": "suffix",
    "external": "external",
    "side_effects": "sideEffects",
    "resolve_dir": "resolveDir",
    "loader": "loader",
    "plugin_name": "pluginName",
}


def callback_result_to_wire(
    result: object,
    kind: type[OnResolveResult] | type[OnLoadResult],
    callback_id: int,
    plugin_name: str,
    stash: ObjectStash,
) -> dict[str, Value]:
    """Convert what an ``on_resolve``/``on_load`` callback returned.

    :raises TypeError: for a return value of the wrong shape; the caller turns
        it into an esbuild error attributed to the plugin.
    """
    if isinstance(result, t.Mapping):
        try:
            result = kind(**result)
        except TypeError as e:
            raise TypeError(f"{e} (in what a callback of plugin {plugin_name!r} returned)"
                            ) from None
    if not isinstance(result, kind):
        raise TypeError(f"a callback in plugin {plugin_name!r} must return a dict,"
                        f" {kind.__name__} or None, not {type(result).__name__}")
    wire: dict[str, Value] = {"id": callback_id}
    for field in dataclasses.fields(result):
        value = getattr(result, field.name)
        if value is None:
            continue
        if field.name in _RESULT_FIELDS:
            expected = bool if field.name in ("external", "side_effects") else str
            if not isinstance(value, expected):
                raise TypeError(f"{field.name!r} from plugin {plugin_name!r} must be"
                                f" a {expected.__name__}")
            wire[_RESULT_FIELDS[field.name]] = value
        elif field.name == "contents":
            if isinstance(value, str):
                value = value.encode("utf-8")
            elif not isinstance(value, (bytes, bytearray, memoryview)):
                raise TypeError(f"'contents' from plugin {plugin_name!r} must be str or bytes")
            wire["contents"] = bytes(value)
        elif field.name == "plugin_data":
            wire["pluginData"] = stash.store(value)
        elif field.name in ("errors", "warnings"):
            wire[field.name] = [message_to_wire(m, plugin_name) for m in value]
        else:  # watch_files, watch_dirs
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise TypeError(f"{field.name!r} from plugin {plugin_name!r} must be a"
                                " list of strings")
            wire["watchFiles" if field.name == "watch_files" else "watchDirs"] = list(value)
    return wire


Callback = t.Callable[..., t.Any]
F = t.TypeVar("F", bound=Callback)


def go_filter(pattern: str | re.Pattern[str]) -> str:
    """The Go regexp esbuild should evaluate for a plugin filter.

    A compiled Python pattern is accepted for convenience; its flags that Go
    also knows (``i``, ``m``, ``s``) are carried over like the JS API does.
    """
    if isinstance(pattern, str):
        return pattern
    if isinstance(pattern, re.Pattern):
        flags = "".join(
            letter
            for flag, letter in ((re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"))
            if pattern.flags & flag
        )
        return f"(?{flags}){pattern.pattern}" if flags else str(pattern.pattern)
    raise TypeError(f"a plugin filter must be a str or re.Pattern, not {type(pattern).__name__}")


@dataclasses.dataclass(frozen=True)
class RegisteredCallback:
    """One ``on_resolve``/``on_load`` registration."""

    id: int
    plugin_name: str
    filter: str
    namespace: str
    fn: Callback


class PluginBuild:
    """What a plugin's ``setup`` function receives.

    Register callbacks with :meth:`on_resolve`, :meth:`on_load`,
    :meth:`on_start`, :meth:`on_end` and :meth:`on_dispose`; the first two
    work as decorators too. :attr:`initial_options` is the build's keyword
    options, which ``setup`` may still change.
    """

    def __init__(self, registry: PluginRegistry, name: str,
                 initial_options: dict[str, t.Any]) -> None:
        self._registry = registry
        self.name = name
        self.initial_options = initial_options
        self.on_start_registered = False
        self.on_end_registered = False
        self.on_resolve_entries: list[dict[str, Value]] = []
        self.on_load_entries: list[dict[str, Value]] = []

    @t.overload
    def on_resolve(self, filter: str | re.Pattern[str], namespace: str | None = None
                   ) -> t.Callable[[F], F]: ...
    @t.overload
    def on_resolve(self, filter: str | re.Pattern[str], namespace: str | None,
                   callback: F) -> F: ...
    @t.overload
    def on_resolve(self, filter: str | re.Pattern[str], *, callback: F) -> F: ...

    def on_resolve(self, filter: str | re.Pattern[str], namespace: str | None = None,
                   callback: Callback | None = None) -> t.Any:
        """Register ``callback(OnResolveArgs)`` for import paths matching ``filter``.

        Without ``callback``, returns a decorator.
        """
        return self._register("resolve", filter, namespace, callback)

    @t.overload
    def on_load(self, filter: str | re.Pattern[str], namespace: str | None = None
                ) -> t.Callable[[F], F]: ...
    @t.overload
    def on_load(self, filter: str | re.Pattern[str], namespace: str | None,
                callback: F) -> F: ...
    @t.overload
    def on_load(self, filter: str | re.Pattern[str], *, callback: F) -> F: ...

    def on_load(self, filter: str | re.Pattern[str], namespace: str | None = None,
                callback: Callback | None = None) -> t.Any:
        """Register ``callback(OnLoadArgs)`` for module paths matching ``filter``.

        Without ``callback``, returns a decorator.
        """
        return self._register("load", filter, namespace, callback)

    def on_start(self, callback: F) -> F:
        """Run ``callback()`` when each build starts; may return errors/warnings."""
        self._registry.on_start.append((self.name, callback))
        self.on_start_registered = True
        return callback

    def on_end(self, callback: F) -> F:
        """Run ``callback(BuildResult | EsbuildError)`` when each build ends."""
        self._registry.on_end.append((self.name, callback))
        self.on_end_registered = True
        return callback

    def on_dispose(self, callback: F) -> F:
        """Run ``callback()`` once the build or context is finished with."""
        self._registry.on_dispose.append(callback)
        return callback

    def resolve(self, path: str, *, kind: str, importer: str | None = None,
                namespace: str | None = None, resolve_dir: str | None = None,
                plugin_data: t.Any = None, with_: dict[str, str] | None = None,
                plugin_name: str | None = None) -> ResolveResult:
        """Ask esbuild to resolve ``path`` as it would (running other plugins).

        Only valid inside callbacks, once setup is over.
        """
        if self._registry.resolver is None:
            raise RuntimeError("resolve() cannot be called before plugin setup has completed")
        request: dict[str, Value] = {"path": path, "pluginName": plugin_name or self.name,
                                     "kind": kind}
        for key, value in (("importer", importer), ("namespace", namespace),
                           ("resolveDir", resolve_dir)):
            if value is not None:
                request[key] = value
        if plugin_data is not None:
            request["pluginData"] = self._registry.stash.store(plugin_data)
        if with_ is not None:
            request["with"] = dict(with_)
        return self._registry.resolver(request)

    def _register(self, what: str, filter: str | re.Pattern[str], namespace: str | None,
                  callback: Callback | None) -> t.Any:
        go = go_filter(filter)

        def register(fn: F) -> F:
            entry = self._registry.add(what, self.name, go, namespace or "", fn)
            target = self.on_resolve_entries if what == "resolve" else self.on_load_entries
            target.append({"id": entry.id, "filter": entry.filter, "namespace": entry.namespace})
            return fn

        return register(callback) if callback is not None else register

    def to_wire(self) -> dict[str, Value]:
        """The ``BuildPlugin`` map sent in the build request."""
        return {
            "name": self.name,
            "onStart": self.on_start_registered,
            "onEnd": self.on_end_registered,
            "onResolve": list(self.on_resolve_entries),
            "onLoad": list(self.on_load_entries),
        }


class PluginRegistry:
    """Every callback the plugins of one build registered, by id."""

    def __init__(self) -> None:
        self.on_resolve: dict[int, RegisteredCallback] = {}
        self.on_load: dict[int, RegisteredCallback] = {}
        self.on_start: list[tuple[str, Callback]] = []
        self.on_end: list[tuple[str, Callback]] = []
        self.on_dispose: list[Callback] = []
        self.stash = ObjectStash()
        #: Set by the service once setup is done: sends a ``resolve`` request.
        self.resolver: t.Callable[[dict[str, Value]], ResolveResult] | None = None
        self._next_id = 0

    def add(self, what: str, plugin_name: str, filter: str, namespace: str,
            fn: Callback) -> RegisteredCallback:
        entry = RegisteredCallback(self._next_id, plugin_name, filter, namespace, fn)
        self._next_id += 1
        (self.on_resolve if what == "resolve" else self.on_load)[entry.id] = entry
        return entry

    # What follows answers esbuild's requests for this build (``on-start``,
    # ``on-resolve``, ``on-load``) the way ``handlePlugins`` in common.ts does:
    # an exception becomes an error message attributed to the plugin.

    def answer_on_start(self) -> dict[str, Value]:
        # Plugin data only lives for one build (the JS API does the same).
        self.stash.clear()
        errors: list[Value] = []
        warnings: list[Value] = []
        for name, fn in self.on_start:
            self._collect(name, fn, (), errors, warnings)
        return {"errors": errors, "warnings": warnings}

    def answer_callback(self, command: str, request: dict[str, t.Any]) -> dict[str, Value]:
        """Run the ``on_resolve``/``on_load`` callbacks esbuild matched, in order,
        until one returns something."""
        data = self.stash.load(request.get("pluginData"))
        with_ = request.get("with") or {}
        args: OnResolveArgs | OnLoadArgs
        if command == "on-resolve":
            args = OnResolveArgs(request["path"], request["importer"], request["namespace"],
                                 request["resolveDir"], request["kind"], data, with_)
            callbacks, kind = self.on_resolve, OnResolveResult
        elif command == "on-load":
            args = OnLoadArgs(request["path"], request["namespace"], request["suffix"], data, with_)
            callbacks, kind = self.on_load, OnLoadResult  # type: ignore[assignment]
        else:
            raise ValueError(f"Invalid command: {command}")
        for callback_id in request["ids"]:
            callback = callbacks[callback_id]
            try:
                result = callback.fn(args)
                if result is not None:
                    return callback_result_to_wire(result, kind, callback_id,
                                                   callback.plugin_name, self.stash)
            except Exception as e:
                error = exception_to_wire(e, callback.plugin_name, self.stash.store(e))
                return {"id": callback_id, "errors": [error]}
        return {}

    def run_on_end(self, result: BuildResult) -> tuple[list[Value], list[Value]]:
        """Run the ``on_end`` callbacks; return the errors and warnings they add."""
        errors: list[Value] = []
        warnings: list[Value] = []
        for name, fn in self.on_end:
            self._collect(name, fn, (result,), errors, warnings)
        return errors, warnings

    def run_on_dispose(self) -> None:
        for fn in self.on_dispose:
            try:
                fn()
            except Exception:
                logger.exception("an on_dispose callback failed")

    def _collect(self, name: str, fn: Callback, args: tuple[t.Any, ...],
                 errors: list[Value], warnings: list[Value]) -> None:
        """Run an on_start/on_end callback, gathering what it reports."""
        try:
            value = fn(*args)
            if value is not None:
                unknown = set(value) - {"errors", "warnings"}
                if unknown:
                    raise TypeError(f"unexpected key {sorted(unknown)[0]!r} returned by a"
                                    f" callback of plugin {name!r}")
                errors.extend(message_to_wire(m, name) for m in value.get("errors") or ())
                warnings.extend(message_to_wire(m, name) for m in value.get("warnings") or ())
        except Exception as e:
            errors.append(exception_to_wire(e, name, self.stash.store(e)))


@dataclasses.dataclass(frozen=True)
class Plugin:
    """An esbuild plugin written in Python.

    ``setup(build: PluginBuild)`` runs at the start of every
    :meth:`~EsbuildService.build` / :meth:`~EsbuildService.context` call.
    """

    name: str
    setup: t.Callable[[PluginBuild], t.Any]
