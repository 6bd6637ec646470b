"""A dev environment (``client``, ``ssr``): module graph + plugin pipeline.

:meth:`DevEnvironment.transform_request` is Vite's ``transformRequest``: the
URL is resolved to a module id, loaded and transformed once, and the result
cached on the module graph until a file change invalidates it.
"""
from __future__ import annotations

import logging
import threading
import time
import typing as t
from pathlib import Path

from ..errors import ViteError
from ..plugin import LoadResult, ResolveOptions
from .module_graph import ModuleGraph, ModuleNode
from .plugin_container import PluginContainer
from .transform_result import TransformResult
from .urls import clean_url, remove_import_query, remove_timestamp_query, unwrap_id

if t.TYPE_CHECKING:
    from flask import Response
    from werkzeug.wrappers import Request

    from ..plugin import Plugin
    from ..ssr.fetch import FetchRequest
    from .dev_server import DevServer
    from .ssr_runner import SsrRunner

logger = logging.getLogger("flask_vite.transform")

#: flask-vite's own client runtime: served at /@vite/client, outside any allowed folder.
_RUNTIME_DIR = (Path(__file__).resolve().parent.parent / "client").as_posix() + "/"


class LoadError(ViteError):
    """A module's file could not be read."""


class _Pending:
    """A transform in progress that later requests for the same URL wait on."""

    def __init__(self, started: int) -> None:
        self.started = started
        self.done = threading.Event()
        self.result: TransformResult | None = None
        self.error: BaseException | None = None


class DevEnvironment:
    """One environment of the dev server."""

    def __init__(self, name: str, server: DevServer, plugins: t.Sequence[Plugin]) -> None:
        self.name = name
        self.server = server
        self.config = server.config
        self.ssr = name != "client"
        self.plugin_container = PluginContainer(plugins, server.config, ssr=self.ssr, environment=self)
        self.module_graph = ModuleGraph(name, self._resolve_url_id)
        self._pending: dict[str, _Pending] = {}
        self._pending_lock = threading.Lock()
        self._runner: SsrRunner | None = None

    @property
    def runner(self) -> SsrRunner:
        """The module runner (``ssr`` environments): ``runner.import_(url)`` gives
        a module's exports, executed in V8."""
        if not self.ssr:
            raise RuntimeError(f"The {self.name!r} environment runs in the browser and has no runner.")
        if self._runner is None:
            with self._pending_lock:
                if self._runner is None:
                    from .ssr_runner import SsrRunner

                    self._runner = SsrRunner(self, timeout=self.config.ssr_timeout,
                                             heap_limit_mb=self.config.ssr_heap_limit_mb,
                                             workers=self.config.ssr_workers)
        return self._runner

    def dispatch_fetch(self, request: Request | FetchRequest, entry: str | None = None, *,
                       timeout: float | None = None, max_body_size: int | None = None) -> Response:
        """Vite's ``FetchableDevEnvironment.dispatchFetch``: the ``Response``
        of the fetch handler ``entry`` exports (default ``VITE_SSR_ENTRY``)
        for ``request``, as a Flask response. See
        :meth:`~flask_vite.server.ssr_runner.SsrRunner.dispatch_fetch`.

        :raises ~flask_vite.errors.ConfigError: No ``entry`` and no ``VITE_SSR_ENTRY``.
        """
        if entry is None:
            entry = self.config.ssr_entry
            if entry is None:
                from ..errors import ConfigError

                raise ConfigError(
                    "VITE_SSR_ENTRY",
                    "dispatch_fetch() needs the module that exports the fetch handler: pass it"
                    " (dispatch_fetch(request, '/src/entry-server.ts')) or set"
                    " VITE_SSR_ENTRY = '/src/entry-server.ts' in the app's config.")
        return self.runner.dispatch_fetch(request, entry, timeout=timeout, max_body_size=max_body_size)

    def close(self) -> None:
        """Stop the runner's V8 process, if one was started."""
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.close()

    def __repr__(self) -> str:
        return f"<DevEnvironment {self.name!r}>"

    # -- URL → id ------------------------------------------------------------------
    def _resolve_url_id(self, url: str) -> tuple[str, dict[str, t.Any]]:
        resolved = self.plugin_container.resolve_id(url, None, ResolveOptions(ssr=self.ssr))
        return (resolved.id, resolved.meta) if resolved else (url, {})

    # -- transform_request -----------------------------------------------------------
    def transform_request(self, url: str) -> TransformResult | None:
        """The transformed module served at ``url``; ``None`` if there is no such module.

        Concurrent calls for one URL share one transform. A transform whose
        module was invalidated while it ran is thrown away and redone, so a
        request never gets code older than the file it asked for.
        """
        url = remove_timestamp_query(unwrap_id(url))
        while True:
            with self._pending_lock:
                pending = self._pending.get(url)
                owner = pending is None
                if owner:
                    pending = self._pending[url] = _Pending(_now())
            assert pending is not None
            if not owner:
                pending.done.wait()
                node = self.module_graph.get_module_by_url(url)
                if node is not None and node.last_invalidation_timestamp > pending.started:
                    continue  # became stale while we waited: redo
                if pending.error is not None:
                    raise pending.error
                return pending.result
            try:
                pending.result = self._do_transform(url, pending.started)
                return pending.result
            except BaseException as e:
                pending.error = e
                raise
            finally:
                with self._pending_lock:
                    if self._pending.get(url) is pending:
                        del self._pending[url]
                pending.done.set()

    def _do_transform(self, url: str, started: int) -> TransformResult | None:
        t0 = time.perf_counter()
        node = self.module_graph.ensure_entry_from_url(url)
        if node.transform_result is not None:
            return node.transform_result
        assert node.id is not None
        result = self._load_and_transform(node, url)
        if result is None:
            return None
        # Vite: "if the module was invalidated while we transformed it, the
        # result is stale; don't cache it" — the next request redoes it.
        if node.last_invalidation_timestamp <= started:
            self.module_graph.update_module_transform_result(node, result)
        logger.debug("%s %s %.1f ms", self.name, url, (time.perf_counter() - t0) * 1000)
        return result

    def _load_and_transform(self, node: ModuleNode, url: str) -> TransformResult | None:
        assert node.id is not None
        id = node.id
        if not self.ssr and id.startswith("/") and not id.startswith(_RUNTIME_DIR):
            # Every file a client module comes from is checked, whichever
            # plugin reads it (?raw, ?inline …): an alias, a package "exports"
            # entry or a symlink may lead a harmless URL to a secret file.
            from .fs import check_file_access

            check_file_access(self.server, Path(clean_url(id)), url)
        loaded = self.plugin_container.load(id)
        if loaded is None:
            loaded = self._load_from_disk(id, url)
            if loaded is None:
                return None
        self._drain_watch_files(node)
        transformed = self.plugin_container.transform(loaded.code, id, loaded.map)
        self._drain_watch_files(node)
        watcher = getattr(self.server, "watcher", None)
        if watcher is not None and id.startswith("/"):
            watcher.watch_files((clean_url(id), *node.watch_files))
        content_type = transformed.meta.get("content_type", "text/javascript")
        return TransformResult(transformed.code, t.cast(t.Optional[t.Dict[str, t.Any]], transformed.map),
                               content_type=content_type)

    def _load_from_disk(self, id: str, url: str) -> LoadResult | None:
        if id.startswith("\0") or not id.startswith("/"):
            return None
        path = Path(clean_url(id))
        try:
            return LoadResult(path.read_text("utf-8"))
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            return None
        except UnicodeDecodeError as e:
            raise LoadError(f"{path} is not UTF-8 text and no plugin loads it: {e}", code="LOAD") from e
        except OSError as e:
            raise LoadError(f"Could not read {path} (for {url}): {e}", code="LOAD") from e

    def _drain_watch_files(self, node: ModuleNode) -> None:
        watched = self.plugin_container.watch_files
        if watched:
            self.plugin_container.watch_files = []
            node.watch_files.update(f for _, f in watched)

    # -- helpers used by plugins -----------------------------------------------------
    def url_for_import(self, url: str) -> str:
        """The URL a module is served under, with its HMR timestamp appended when needed."""
        node = self.module_graph.get_module_by_url(remove_import_query(url))
        if node is not None and node.last_hmr_timestamp:
            sep = "&" if "?" in url else "?"
            return f"{url}{sep}t={node.last_hmr_timestamp}"
        return url


def _now() -> int:
    return int(time.time() * 1000)
