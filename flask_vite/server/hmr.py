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

This module only reads and updates a module graph
(:func:`propagate_update`, :func:`update_modules`, :func:`prune_modules`,
:func:`invalidate_from_client`): no files, no sockets; it is tested with
tables of graphs. :mod:`flask_vite.server.hot_update` runs a watcher event
through the dev server with it and sends the result to the browsers.

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
import time
import typing as t
import weakref
from pathlib import Path

from .urls import is_css_request, is_direct_css_request, is_js_request

if t.TYPE_CHECKING:
    from .module_graph import ModuleGraph, ModuleNode

logger = logging.getLogger("flask_vite.hmr")

#: A message to the browsers (Vite's ``HotPayload``), as JSON-ready data.
HotPayload = t.Dict[str, t.Any]

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
