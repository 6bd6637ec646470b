"""What a file change does to the dev server (Vite's ``onFileChange`` and
``handleHMRUpdate``), and the browsers' messages back (``vite:invalidate``).

The watcher (:mod:`flask_vite.server.watcher`) hands each created, changed
or deleted file to :func:`handle_file_change`: every environment's module
graph drops what the file affects, the plugins' ``handle_hot_update`` hooks
may filter the client modules, ``import.meta.glob`` importers join in, and
the propagation of :mod:`flask_vite.server.hmr` decides the message sent on
the server's hot channel (:mod:`flask_vite.server.ws`).
"""
from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
import typing as t
import weakref
from pathlib import Path

from .hmr import (
    HotPayload, invalidate_from_client, now_ms, prune_modules, short_name, update_modules,
)

if t.TYPE_CHECKING:
    from .dev_server import DevServer
    from .module_graph import ModuleNode

logger = logging.getLogger("flask_vite.hmr")

ChangeType = t.Literal["create", "update", "delete"]

#: Files whose change makes Vite restart: every module may depend on them
#: (``tsconfig.json`` feeds esbuild's options; Vite reloads on it too).
_RESTART_FILES = frozenset({"tsconfig.json", "jsconfig.json"})


@dataclasses.dataclass
class HmrContext:
    """What a plugin's ``handle_hot_update(ctx, update)`` hook receives as ``update``
    (Vite's ``HotUpdateOptions``). Returning a list of modules replaces
    :attr:`modules`; an empty list means "handled, send nothing"."""

    type: ChangeType
    #: The changed file, absolute.
    file: str
    timestamp: int
    #: The client environment's modules of the file.
    modules: list[ModuleNode]
    server: DevServer

    def read(self) -> str:
        """The file's new text.

        Editors may truncate a file before writing it: an empty read is
        retried briefly until the modification time moves (vitejs/vite#610).
        """
        path = Path(self.file)
        text = path.read_text("utf-8")
        if text:
            return text
        mtime = path.stat().st_mtime_ns
        for _ in range(10):
            time.sleep(0.01)
            if path.stat().st_mtime_ns != mtime:
                break
        return path.read_text("utf-8")


#: Client modules whose last request failed on an import that did not
#: resolve: a created file may be the one they lack (Vite's
#: ``_hasResolveFailedErrorModules``).
_resolve_failed: weakref.WeakSet[ModuleNode] = weakref.WeakSet()


def note_failed_request(server: t.Any, url: str, error: BaseException) -> None:
    """Called by the error handler: remember a module that failed to resolve an import."""
    cause: BaseException | None = error
    while cause is not None and getattr(cause, "code", None) != "RESOLVE_ERROR":
        cause = cause.__cause__
    environments = getattr(server, "environments", None)
    client = environments.get("client") if isinstance(environments, dict) else None
    if cause is None or client is None:
        return
    from .urls import remove_import_query, remove_timestamp_query

    node = client.module_graph.get_module_by_url(remove_timestamp_query(remove_import_query(url)))
    if node is not None:
        _resolve_failed.add(node)


def env_files(server: DevServer) -> set[str]:
    """The ``.env`` files of the mode, whose change restarts the environments."""
    from ..plugins.env import get_env_files_for_mode

    env_dir = server.config.root
    for plugin in server.plugins:
        folder = getattr(plugin, "env_dir", None) if getattr(plugin, "name", "") == "vite:env" else None
        if folder is not None:
            env_dir = Path(server.config.root, folder)
    return {p.as_posix() for p in get_env_files_for_mode(server.config.mode, env_dir)}


def needs_restart(server: DevServer, file: str) -> bool:
    """``.env`` files and ``tsconfig.json``: their values reach every module."""
    return file in env_files(server) or os.path.basename(file) in _RESTART_FILES


def restart_environments(server: DevServer, file: str) -> None:
    """Vite restarts the server when a ``.env`` file changes: here every module of
    every environment is invalidated (the next transform reads the new values)
    and the pages reload."""
    logger.info("%s changed, restarting server...", short_name(file, server.config.root))
    _invalidate_all_and_reload(server, {"type": "full-reload", "path": "*", "triggeredBy": file})


def handle_lost_changes(server: DevServer) -> None:
    """The watcher lost changes (too many at once for the kernel's queue): any
    file may have changed, so every module of every environment is
    invalidated and the pages reload, as for a restart."""
    logger.warning("Too many file changes at once: some were missed, so every module"
                   " is read again and the pages reload.")
    _invalidate_all_and_reload(server, {"type": "full-reload", "path": "*"})


def _invalidate_all_and_reload(server: DevServer, payload: HotPayload) -> None:
    for environment in server.environments.values():
        environment.module_graph.invalidate_all()
    _send(server, payload)


def reload_pages(server: DevServer, file: str) -> None:
    """A full page reload for a server-side file (a Python module, a Jinja template)."""
    logger.info("page reload %s", short_name(file, server.config.root))
    _send(server, {"type": "full-reload", "path": "*", "triggeredBy": file})


def handle_file_change(server: DevServer, change: ChangeType, file: str) -> None:
    """Run one created, changed or deleted file through the dev server (Vite's
    ``onFileChange`` + ``handleHMRUpdate``).

    Every environment's graph drops what the file affects (the SSR runner
    re-runs those modules on its next import); the client environment's
    modules go through the plugins' ``handle_hot_update`` hooks and
    :func:`update_modules`, and the result is sent to the browsers.
    ``import.meta.glob`` importers whose match set the file enters or
    leaves count as changed modules too.
    """
    if needs_restart(server, file):
        restart_environments(server, file)
        return
    timestamp = now_ms()
    glob = _glob_plugin(server)
    client_modules: list[ModuleNode] = []
    for name, environment in server.environments.items():
        graph = environment.module_graph
        modules = set(graph.on_file_change(file))
        if glob is not None and change != "update":
            for id in glob.importers_of(file, name):
                importer = graph.get_module_by_id(id)
                if importer is not None:
                    modules.add(importer)
                    if name != "client":
                        graph.invalidate_module(importer)
        if name == "client":
            if change == "create":
                # Retry the modules that could not resolve an import. Their
                # analysis failed, but the page asked for them: they take
                # part in propagation (Vite reloads the page for them).
                for failed in list(_resolve_failed):
                    if graph.get_module_by_id(failed.id or "") is failed:
                        if failed.is_self_accepting is None:
                            failed.is_self_accepting = False
                        modules.add(failed)
                _resolve_failed.clear()
            client_modules = sorted(modules, key=lambda m: m.url)

    client = server.environments.get("client")
    if client is None:
        return
    context = HmrContext(change, file, timestamp, client_modules, server)
    try:
        _run_hot_update_hooks(server, context)
    except Exception as error:  # a broken plugin hook shows in the overlay
        from .handlers.error import prepare_error

        logger.error("handle_hot_update failed for %s", file, exc_info=error)
        _send(server, {"type": "error", "err": prepare_error(error)})
        return
    if not context.modules:
        if file.endswith(".html"):
            # An HTML page is not a module: whoever shows it reloads.
            reload_pages(server, file)
        else:
            logger.debug("[no modules matched] %s", short_name(file, server.config.root))
        return
    result = update_modules(client.module_graph, file, context.modules, timestamp,
                            root=server.config.root)
    if result.message:
        logger.info("%s", result.message)
    if result.payload is not None:
        channel = getattr(server, "hot", None)
        if result.payload["type"] == "update" and channel is not None and channel.enabled \
                and channel.clients:
            pretransform(client, [u["acceptedPath"] for u in result.payload["updates"]
                                  if u["type"] == "js-update"])
        _send(server, result.payload)


def pretransform(environment: t.Any, urls: t.Sequence[str]) -> None:
    """Start transforming the modules the browsers are about to re-import.

    The page needs a few milliseconds to get the message and ask; by then
    the transform is done or under way (``transform_request`` lets the
    page's request wait for it). Failures are left for that request to
    report. In a thread (a greenlet under gevent), so the watcher goes on.
    """
    if not urls:
        return

    def run() -> None:
        from .handlers.transform import served_body

        for url in dict.fromkeys(urls):
            try:
                result = environment.transform_request(url)
                if result is not None:
                    # The body too (inline source map, encoded), off the
                    # page's request.
                    served_body(result, result.content_type)
            except Exception as e:  # the page's own request shows it
                logger.debug("pre-transform of %s failed: %s", url, e)

    threading.Thread(target=run, name="flask-vite-pretransform", daemon=True).start()


def handle_pruned(server: t.Any, nodes: t.Iterable[ModuleNode]) -> None:
    """Tell the browsers about modules no import reaches any more (called by
    import analysis with what ``update_module_info`` returned)."""
    nodes = list(nodes)
    if nodes:
        _send(server, prune_modules(nodes))


def handle_invalidate(server: DevServer, data: t.Any) -> None:
    """The ``vite:invalidate`` custom event from a browser."""
    if not isinstance(data, dict) or not isinstance(data.get("path"), str):
        return
    client = server.environments.get("client")
    if client is None:
        return
    from .urls import unwrap_id

    message = data.get("message")
    first = data.get("firstInvalidatedBy")
    result = invalidate_from_client(
        client.module_graph, unwrap_id(data["path"]), root=server.config.root,
        message=message if isinstance(message, str) else None,
        first_invalidated_by=first if isinstance(first, str) else None,
    )
    if result is None:
        return
    if result.message:
        logger.info("%s", result.message)
    if result.payload is not None:
        _send(server, result.payload)


def _run_hot_update_hooks(server: DevServer, context: HmrContext) -> None:
    from ..plugin import Plugin
    from .plugin_container import HookContext, PluginError

    client = server.environments["client"]
    for plugin in client.plugin_container.plugins:
        hook = getattr(type(plugin), "handle_hot_update", None)
        if hook is None or hook is Plugin.handle_hot_update:
            continue
        try:
            filtered = plugin.handle_hot_update(HookContext(client.plugin_container, plugin), context)
        except Exception as e:
            raise PluginError(plugin.name, "handle_hot_update", context.file, e) from e
        if filtered is not None:
            context.modules = list(filtered)


def _glob_plugin(server: DevServer) -> t.Any:
    for plugin in server.plugins:
        if callable(getattr(plugin, "importers_of", None)):
            return plugin
    return None


def _send(server: t.Any, payload: HotPayload) -> None:
    channel = getattr(server, "hot", None)
    if channel is not None:
        channel.send(payload)
