"""The module graph of one environment.

A :class:`ModuleNode` is one module (a source file, a virtual module, a
pre-bundled dependency) reached through one URL; the :class:`ModuleGraph`
indexes nodes by URL, by resolved id, by file and by the ETag of their
transform result, and records who imports whom and who accepts whose hot
updates. HMR walks importers from a changed file's nodes to find boundaries;
the 304 handler looks nodes up by ETag.
"""
from __future__ import annotations

import threading
import time
import typing as t

from .transform_result import TransformResult
from .urls import clean_url, remove_import_query, remove_timestamp_query

ModuleType = t.Literal["js", "css", "asset"]

_CSS_RE = (".css", ".less", ".sass", ".scss", ".styl", ".stylus", ".pcss", ".postcss", ".sss")


def _module_type(url: str) -> ModuleType:
    return "css" if clean_url(url).endswith(_CSS_RE) else "js"


class ModuleNode:
    """One module in an environment's graph."""

    def __init__(self, url: str, *, set_is_self_accepting: bool = True) -> None:
        #: Public served URL path, starting with ``/`` (no ``?import`` or ``?t=``).
        self.url = url
        #: Resolved id: an absolute file path (maybe with a query) or a virtual id.
        self.id: str | None = None
        #: The file this module was loaded from (id without query), if any.
        self.file: str | None = None
        self.type: ModuleType = _module_type(url)
        self.meta: dict[str, t.Any] = {}
        self.importers: set[ModuleNode] = set()
        self.imported_modules: set[ModuleNode] = set()
        #: Modules whose updates this module accepts (``import.meta.hot.accept(deps)``).
        self.accepted_hmr_deps: set[ModuleNode] = set()
        #: Exports accepted for partial HMR (``import.meta.hot.acceptExports``).
        self.accepted_hmr_exports: set[str] | None = None
        #: Bindings each importer takes, for partial acceptance.
        self.imported_bindings: dict[str, set[str]] | None = None
        #: ``None`` until the module has been analysed; then whether it
        #: calls ``import.meta.hot.accept()`` on itself.
        self.is_self_accepting: bool | None = False if set_is_self_accepting else None
        self.transform_result: TransformResult | None = None
        #: Set by soft invalidation: the module's own source is unchanged,
        #: only the timestamps of its import URLs are stale.
        self.soft_invalidated: bool = False
        #: Runner-side state of the SSR environment (exports object handle …).
        self.ssr_module: t.Any = None
        self.ssr_error: BaseException | None = None
        #: Milliseconds since the epoch of the last hot update of this module (0 if none).
        self.last_hmr_timestamp: int = 0
        #: When this module was last invalidated (ms); a transform that started
        #: before it is stale and must be redone.
        self.last_invalidation_timestamp: int = 0
        #: Files other than ``file`` that invalidate this module (``ctx.add_watch_file``).
        self.watch_files: set[str] = set()

    def __repr__(self) -> str:
        return f"<ModuleNode {self.url!r} id={self.id!r}>"


#: ``resolve(url)`` gives the resolved id and the plugin's meta for a URL.
UrlResolver = t.Callable[[str], t.Tuple[str, t.Dict[str, t.Any]]]


class ModuleGraph:
    """Nodes of one environment, with the four indexes and the import edges."""

    def __init__(self, environment_name: str, resolve_id: UrlResolver) -> None:
        self.environment_name = environment_name
        self._resolve_id = resolve_id
        self._lock = threading.RLock()
        self.url_to_module: dict[str, ModuleNode] = {}
        self.id_to_module: dict[str, ModuleNode] = {}
        self.etag_to_module: dict[str, ModuleNode] = {}
        self.file_to_modules: dict[str, set[ModuleNode]] = {}
        #: Moves whenever a transform result is stored or dropped: a walk of
        #: the graph (the SSR runner's) done at one generation still holds.
        self.generation = 0

    # -- look-ups --------------------------------------------------------------
    def get_module_by_url(self, raw_url: str) -> ModuleNode | None:
        """The node of a served URL (``?import`` and ``?t=`` are ignored)."""
        url = _normalise_url(raw_url)
        with self._lock:
            node = self.url_to_module.get(url)
            if node is not None:
                return node
        resolved_id, _meta = self._resolve_id(url)
        with self._lock:
            return self.id_to_module.get(resolved_id)

    def get_module_by_id(self, id: str) -> ModuleNode | None:
        with self._lock:
            return self.id_to_module.get(remove_timestamp_query(id))

    def get_modules_by_file(self, file: str) -> set[ModuleNode]:
        with self._lock:
            return set(self.file_to_modules.get(file, ()))

    def get_module_by_etag(self, etag: str) -> ModuleNode | None:
        with self._lock:
            return self.etag_to_module.get(etag)

    # -- creation ----------------------------------------------------------------
    def ensure_entry_from_url(self, raw_url: str, *, set_is_self_accepting: bool = True) -> ModuleNode:
        """The node of ``raw_url``, created (and indexed by URL, id and file) if new.

        Two URLs that resolve to the same id share one node: the later URL
        becomes an alias of the first.
        """
        url = _normalise_url(raw_url)
        with self._lock:
            node = self.url_to_module.get(url)
            if node is not None:
                return node
        resolved_id, meta = self._resolve_id(url)
        with self._lock:
            node = self.url_to_module.get(url)
            if node is not None:
                return node
            node = self.id_to_module.get(resolved_id)
            if node is None:
                node = ModuleNode(url, set_is_self_accepting=set_is_self_accepting)
                if meta:
                    node.meta.update(meta)
                node.id = resolved_id
                self.id_to_module[resolved_id] = node
                file = clean_url(resolved_id)
                if not resolved_id.startswith("\0") and file.startswith("/"):
                    node.file = file
                    self.file_to_modules.setdefault(file, set()).add(node)
            self.url_to_module[url] = node
            return node

    def create_file_only_entry(self, file: str) -> ModuleNode:
        """A node for a file that is imported without being a module (CSS ``@import``)."""
        file = clean_url(file)
        with self._lock:
            for node in self.file_to_modules.get(file, ()):
                if node.url == "\0file:" + file:
                    return node
            node = ModuleNode("\0file:" + file)
            node.file = file
            self.file_to_modules.setdefault(file, set()).add(node)
            return node

    # -- edges -----------------------------------------------------------------
    def update_module_info(
        self,
        node: ModuleNode,
        imported: t.Iterable[str | ModuleNode],
        *,
        accepted: t.Iterable[str | ModuleNode] = (),
        accepted_exports: set[str] | None = None,
        is_self_accepting: bool = False,
        imported_bindings: dict[str, set[str]] | None = None,
    ) -> set[ModuleNode]:
        """Record what ``node`` imports and accepts after a transform.

        :returns: modules no longer imported by anyone (to prune on the client).
        """
        new_imports = {self._node(m) for m in imported}
        new_accepted = {self._node(m) for m in accepted}
        with self._lock:
            node.is_self_accepting = is_self_accepting
            no_longer_imported: set[ModuleNode] = set()
            for dep in node.imported_modules - new_imports:
                dep.importers.discard(node)
                if not dep.importers:
                    no_longer_imported.add(dep)
            for dep in new_imports:
                dep.importers.add(node)
            node.imported_modules = new_imports
            node.accepted_hmr_deps = new_accepted
            node.accepted_hmr_exports = accepted_exports
            node.imported_bindings = imported_bindings
            return no_longer_imported

    def _node(self, ref: str | ModuleNode) -> ModuleNode:
        return ref if isinstance(ref, ModuleNode) else self.ensure_entry_from_url(ref)

    def update_module_transform_result(self, node: ModuleNode, result: TransformResult | None) -> None:
        """Store a transform result and index its ETag (client environment only)."""
        with self._lock:
            old = node.transform_result
            if old is not None and self.etag_to_module.get(old.etag) is node:
                del self.etag_to_module[old.etag]
            node.transform_result = result
            node.soft_invalidated = False
            self.generation += 1
            if result is not None and self.environment_name == "client":
                self.etag_to_module[result.etag] = node

    # -- invalidation ------------------------------------------------------------
    def on_file_change(self, file: str) -> set[ModuleNode]:
        """Invalidate every module loaded from, or watching, ``file``."""
        with self._lock:
            nodes = set(self.file_to_modules.get(file, ()))
            nodes.update(n for n in self.id_to_module.values() if file in n.watch_files)
        seen: set[ModuleNode] = set()
        for node in nodes:
            self.invalidate_module(node, seen)
        return nodes

    def on_file_delete(self, file: str) -> None:
        """Forget a deleted file's modules, so the next request re-resolves."""
        with self._lock:
            for node in self.file_to_modules.get(file, set()).copy():
                self.invalidate_module(node, set())

    def invalidate_module(
        self,
        node: ModuleNode,
        seen: set[ModuleNode] | None = None,
        timestamp: int | None = None,
        *,
        is_hmr: bool = False,
        soft: bool = False,
    ) -> None:
        """Drop ``node``'s transform result so the next request redoes it, and
        invalidate its importers that do not accept its hot updates (they hold
        its old URL and must re-fetch it with the new ``?t=`` timestamp).

        ``soft`` marks a module whose own source did not change: only its
        import URLs are stale. Vite reuses such a result after refreshing the
        timestamps; we redo the transform, which costs one esbuild call.
        """
        seen = set() if seen is None else seen
        if node in seen:
            return
        seen.add(node)
        timestamp = timestamp or int(time.time() * 1000)
        with self._lock:
            if is_hmr:
                node.last_hmr_timestamp = timestamp
            # Also the staleness mark for transforms already under way.
            node.last_invalidation_timestamp = timestamp
            self.update_module_transform_result(node, None)
            node.soft_invalidated = soft
            node.ssr_module = None
            node.ssr_error = None
            importers = list(node.importers)
        for importer in importers:
            if node not in importer.accepted_hmr_deps:
                self.invalidate_module(importer, seen, timestamp, is_hmr=is_hmr, soft=True)

    def invalidate_all(self) -> None:
        stamp = int(time.time() * 1000)
        seen: set[ModuleNode] = set()
        with self._lock:
            nodes = list(self.id_to_module.values())
        for node in nodes:
            self.invalidate_module(node, seen, stamp)


def _normalise_url(url: str) -> str:
    return remove_timestamp_query(remove_import_query(url))
