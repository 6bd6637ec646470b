"""Hot module replacement: what a file change reaches, and what to tell the browsers.

Vite's ``server/hmr.ts``. From the modules of a changed file the importers
are walked up to the *HMR boundaries*: modules that accept their own
updates (``import.meta.hot.accept()``, CSS), accept the changed dependency
(``accept('./dep')``) or accept some of their exports
(``acceptExports``). Each boundary becomes one entry of an ``update``
payload; a walk that reaches a module nobody imports (a page entry) without
meeting a boundary means the page must reload (``full-reload``), as does a
boundary inside an import cycle, whose execution order a re-import cannot
restore.

The first half of this module only reads and updates a module graph
(:func:`propagate_update`, :func:`update_modules`, :func:`prune_modules`,
:func:`invalidate_from_client`); it is tested with tables of graphs. The
second half (:func:`handle_file_change`) runs one watcher event through the
dev server's environments, its plugins' ``handle_hot_update`` hooks and
``import.meta.glob`` importers, and sends the result on the hot channel.

Payloads are Vite's JSON messages (``packages/vite/types/hmrPayload.d.ts``)::

    {"type": "update", "updates": [{"type": "js-update", "path": "/src/App.tsx",
      "acceptedPath": "/src/App.tsx", "timestamp": 1700000000000,
      "explicitImportRequired": false, "isWithinCircularImport": false}]}
    {"type": "full-reload", "path": "*", "triggeredBy": "/app/src/main.ts"}
    {"type": "prune", "paths": ["/src/old.css"]}
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

from .urls import is_css_request, is_direct_css_request, is_js_request

if t.TYPE_CHECKING:
    from .dev_server import DevServer
    from .module_graph import ModuleGraph, ModuleNode

logger = logging.getLogger("flask_vite.hmr")

#: A message to the browsers (Vite's ``HotPayload``), as JSON-ready data.
HotPayload = t.Dict[str, t.Any]
ChangeType = t.Literal["create", "update", "delete"]

#: Files whose change makes Vite restart: every module may depend on them
#: (``tsconfig.json`` feeds esbuild's options; Vite reloads on it too).
_RESTART_FILES = frozenset({"tsconfig.json", "jsconfig.json"})


def now_ms() -> int:
    """Milliseconds since the epoch: the ``?t=`` stamp of hot-updated modules."""
    return int(time.time() * 1000)


# -- propagation (pure: reads and updates a module graph) ----------------------------
@dataclasses.dataclass
class Boundary:
    """A module that takes a hot update in place (Vite's ``PropagationBoundary``)."""

    #: The module whose ``accept`` callback runs (or that is re-imported).
    boundary: ModuleNode
    #: The module re-imported: ``boundary`` itself, or the dependency it accepts.
    accepted_via: ModuleNode
    #: The boundary sits in an import cycle: the client reloads if the re-import fails.
    is_within_circular_import: bool


def update_type(node: ModuleNode) -> t.Literal["js", "css"]:
    """``css`` for a stylesheet loaded by a ``<link>`` (a ``?direct`` URL): the
    client swaps the ``<link>``; ``js`` for everything imported from JS, CSS
    included, which the client re-imports (Vite's ``ModuleNode.type``)."""
    return "css" if is_direct_css_request(node.url) else "js"


def _accepts_itself(node: ModuleNode) -> bool:
    # A <link>-loaded stylesheet is never analysed as JS, yet always hot-swappable.
    return bool(node.is_self_accepting) or update_type(node) == "css"


def propagate_update(
    node: ModuleNode,
    traversed: set[ModuleNode],
    boundaries: list[Boundary],
    current_chain: list[ModuleNode] | None = None,
) -> bool:
    """Walk the importers of ``node`` up to HMR boundaries (Vite's ``propagateUpdate``).

    Boundaries found are appended to ``boundaries``.

    :param traversed: Modules already walked in this update (shared between
        the changed modules, so a common importer is visited once).
    :param current_chain: The importer chain from the changed module to ``node``.
    :returns: ``True`` for a dead end: some chain reaches a module that has no
        importers and accepts nothing, so only a page reload applies the change.
    """
    chain = [node] if current_chain is None else current_chain
    if node in traversed:
        return False
    traversed.add(node)
    # vitejs/vite#7561: a module whose imports were never analysed was never
    # run by the browser (an unvisited dynamic import): nothing to update there.
    if node.id is not None and node.is_self_accepting is None:
        return False
    if _accepts_itself(node):
        boundaries.append(Boundary(node, node, is_within_circular_import(node, chain)))
        return False
    # A module accepting some of its exports is updated itself first; its
    # importers still need a boundary unless they only use accepted exports.
    # With no importers, "the exports I cannot accept are used by nobody".
    if node.accepted_hmr_exports is not None:
        boundaries.append(Boundary(node, node, is_within_circular_import(node, chain)))
    elif not node.importers:
        return True
    for importer in _importers(node):
        sub_chain = [*chain, importer]
        if node in importer.accepted_hmr_deps:
            boundaries.append(
                Boundary(importer, node, is_within_circular_import(importer, sub_chain)))
            continue
        if node.id and node.accepted_hmr_exports is not None and importer.imported_bindings:
            bindings = importer.imported_bindings.get(node.id)
            if bindings and bindings <= node.accepted_hmr_exports:
                continue
        if importer not in chain and propagate_update(importer, traversed, boundaries, sub_chain):
            return True
    return False


def is_within_circular_import(
    node: ModuleNode,
    node_chain: list[ModuleNode],
    current_chain: list[ModuleNode] | None = None,
    traversed: set[ModuleNode] | None = None,
) -> bool:
    """Whether an importer of the boundary ``node`` is on ``node_chain``.

    ``node_chain`` runs from the changed module to ``node``. If anything that
    (transitively) imports ``node`` is also on that chain, ``node`` is part of
    an import cycle: re-importing it cannot restore the order modules ran in
    (Vite's ``isNodeWithinCircularImports``). A module importing itself is fine.
    """
    current = [node] if current_chain is None else current_chain
    seen = set() if traversed is None else traversed
    if node in seen:
        return False
    seen.add(node)
    for importer in _importers(node):
        if importer is node:
            continue
        if importer in node_chain:
            logger.debug(
                "circular imports detected: %s",
                " -> ".join(m.url for m in [importer, *reversed(current),
                                            *reversed(node_chain[node_chain.index(importer):-1])]),
            )
            return True
        if importer not in current and is_within_circular_import(
                importer, node_chain, [*current, importer], seen):
            return True
    return False


def _importers(node: ModuleNode) -> list[ModuleNode]:
    # A sorted copy: requests may add importers meanwhile, and a set's order
    # changes from run to run (Vite's sets keep insertion order).
    return sorted(tuple(node.importers), key=lambda m: m.url)


def is_explicit_import_required(url: str) -> bool:
    """A URL that is not JS or CSS needs ``?import`` to be served as a module."""
    return not is_js_request(url) and not is_css_request(url)


@dataclasses.dataclass
class HotUpdate:
    """What :func:`update_modules` decided."""

    #: The message for the browsers; ``None`` when nothing needs telling.
    payload: HotPayload | None
    #: The line Vite's terminal shows (``hmr update /src/App.tsx``).
    message: str | None = None


def update_modules(
    graph: ModuleGraph,
    file: str,
    modules: t.Iterable[ModuleNode],
    timestamp: int,
    *,
    root: str | os.PathLike[str],
    first_invalidated_by: str | None = None,
) -> HotUpdate:
    """Invalidate ``modules`` for a hot update and build the message (Vite's ``updateModules``).

    :param file: The changed file (absolute, or relative to ``root``).
    :param modules: The changed modules (of one environment's ``graph``).
    :param timestamp: The update's ``?t=`` stamp.
    :param first_invalidated_by: Set when the update comes from a module's
        ``import.meta.hot.invalidate()``: a boundary reached again through that
        module cannot take the update, so the page reloads.
    """
    modules = list(modules)
    short = short_name(file, root)
    updates: list[dict[str, t.Any]] = []
    invalidated: set[ModuleNode] = set()
    traversed: set[ModuleNode] = set()
    # No modules: a module with no importers was invalidated from the client.
    need_full_reload: bool | str = not modules
    for node in modules:
        boundaries: list[Boundary] = []
        dead_end = propagate_update(node, traversed, boundaries)
        graph.invalidate_module(node, invalidated, timestamp, is_hmr=True)
        if need_full_reload:
            continue
        if dead_end:
            need_full_reload = dead_end
            continue
        if first_invalidated_by and any(
                b.accepted_via.url == first_invalidated_by for b in boundaries):
            need_full_reload = "circular import invalidate"
            continue
        for b in boundaries:
            kind = update_type(b.boundary)
            update: dict[str, t.Any] = {
                "type": f"{kind}-update",
                "timestamp": timestamp,
                "path": b.boundary.url,
                "acceptedPath": b.accepted_via.url,
                "explicitImportRequired": kind == "js"
                and is_explicit_import_required(b.accepted_via.url),
                "isWithinCircularImport": b.is_within_circular_import,
            }
            if first_invalidated_by:
                update["firstInvalidatedBy"] = first_invalidated_by
            updates.append(update)

    # An HTML page is the template of a response, not a module: reload, unless
    # it is only imported as a module (the html-proxy scripts are JS).
    is_html_change = short.endswith(".html") and all(update_type(m) != "js" for m in modules)
    if need_full_reload or is_html_change:
        reason = f" ({need_full_reload})" if isinstance(need_full_reload, str) else ""
        return HotUpdate(
            # The dev server runs inside the Flask app (Vite's middleware mode):
            # any page may use the file, so every page reloads ("*").
            {"type": "full-reload", "triggeredBy": _absolute(file, root), "path": "*"},
            f"page reload {short}{reason}",
        )
    if not updates:
        logger.debug("no update happened %s", short)
        return HotUpdate(None)
    paths = list(dict.fromkeys(u["path"] for u in updates))
    return HotUpdate({"type": "update", "updates": updates}, f"hmr update {', '.join(paths)}")


def prune_modules(nodes: t.Iterable[ModuleNode], timestamp: int | None = None) -> HotPayload:
    """The ``prune`` message for modules no longer imported by anyone (Vite's
    ``handlePrunedModules``).

    Their HMR timestamp is bumped: if a module is imported again later, its
    new ``?t=`` makes the browser run it (and its side effects) again.
    """
    stamp = timestamp or now_ms()
    nodes = list(nodes)
    for node in nodes:
        node.last_hmr_timestamp = stamp
        logger.debug("[dispose] %s", node.file or node.url)
    return {"type": "prune", "paths": [n.url for n in nodes]}


#: Modules whose ``invalidate()`` was already handled for their current update.
#: Vite keeps a flag on the node; a map keyed by node and stamp needs no
#: reset when the next update comes.
_invalidations: weakref.WeakKeyDictionary[ModuleNode, int] = weakref.WeakKeyDictionary()


def invalidate_from_client(
    graph: ModuleGraph,
    path: str,
    *,
    root: str | os.PathLike[str],
    message: str | None = None,
    first_invalidated_by: str | None = None,
) -> HotUpdate | None:
    """``import.meta.hot.invalidate()`` in the browser (the ``vite:invalidate`` event).

    A self-accepting module found it cannot take its update after all (React
    Fast Refresh does this when exports change): propagate again from its
    importers, with the same timestamp. Only once per update of the module.

    :returns: ``None`` when the request does not apply (unknown module, not
        hot-updated, already handled).
    """
    node = graph.url_to_module.get(path)
    if node is None or not node.is_self_accepting or node.last_hmr_timestamp <= 0:
        return None
    if _invalidations.get(node) == node.last_hmr_timestamp:
        return None
    _invalidations[node] = node.last_hmr_timestamp
    logger.info("hmr invalidate %s%s", path, f" {message}" if message else "")
    importers = [m for m in _importers(node) if m is not node]  # self-imports do not count
    return update_modules(graph, node.file or path, importers, node.last_hmr_timestamp,
                          root=root, first_invalidated_by=first_invalidated_by or path)


def short_name(file: str, root: str | os.PathLike[str]) -> str:
    """``file`` relative to ``root`` when inside it (how Vite names files in its log)."""
    root_text = Path(root).as_posix().rstrip("/") + "/"
    return file[len(root_text):] if file.startswith(root_text) else file


def _absolute(file: str, root: str | os.PathLike[str]) -> str:
    return file if os.path.isabs(file) else (Path(root) / file).as_posix()


# -- one file event, through the dev server ------------------------------------------
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
    for environment in server.environments.values():
        environment.module_graph.invalidate_all()
    _send(server, {"type": "full-reload", "path": "*", "triggeredBy": file})


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
                # Retry the modules that could not resolve an import.
                modules.update(n for n in list(_resolve_failed)
                               if graph.get_module_by_id(n.id or "") is n)
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
        for url in dict.fromkeys(urls):
            try:
                environment.transform_request(url)
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
