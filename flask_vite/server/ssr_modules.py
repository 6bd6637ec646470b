"""What the V8 module runner must be sent before it runs an SSR entry.

:class:`SsrModuleCollector` walks the ``ssr`` environment's graph from an
entry: each source module is transformed (cached on the module graph,
invalidated on file change), each dependency file bundled once. The walk is
kept until the graph's :attr:`~flask_vite.server.module_graph.ModuleGraph.generation`
moves (a transform stored or dropped), so a render after which nothing
changed costs a dictionary look-up, not a walk.

Each V8 child of the runner has a :class:`ShippedModules`: what that child
was sent. Against a walk it gives the modules new to the child or changed
since they were sent, with the keys whose instances the child must drop so
the next ``require`` executes them again. Untouched modules keep their
instances (and their state, which is per child).
"""
from __future__ import annotations

import dataclasses
import threading
import typing as t

from ..errors import ViteError
from .ssr_deps import SsrDepsBundler

if t.TYPE_CHECKING:
    from .environment import DevEnvironment


class SsrModuleNotFound(ViteError):
    """An SSR import names a module that does not exist."""

    code = "SSR_MODULE_NOT_FOUND"


@dataclasses.dataclass
class ShipList:
    #: key → CommonJS code, for modules new to the runner or changed.
    define: dict[str, str]
    #: Keys whose instances must be dropped before the next run.
    invalidate: list[str]


@dataclasses.dataclass(frozen=True)
class WalkedModule:
    #: The object (TransformResult or SsrDep) the code comes from: a new
    #: object means new code.
    source: object
    code: str
    #: Runner keys it requires.
    deps: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class ModuleSet:
    """The modules an entry reaches, key → module, in walk order."""

    entry: str
    modules: dict[str, WalkedModule]


class SsrModuleCollector:
    """Walks the ``ssr`` graph from entries; one per runner, shared by its children."""

    def __init__(self, environment: DevEnvironment) -> None:
        self.environment = environment
        self.bundler = SsrDepsBundler(environment)
        #: entry → (graph generation before the walk, its result).
        self._walks: dict[str, tuple[int, ModuleSet]] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Forget the walks (the runner was closed)."""
        with self._lock:
            self._walks.clear()

    def modules(self, entry: str) -> ModuleSet:
        """The modules ``entry`` reaches, walked again only if the graph changed.

        Dependency files are re-read (by modification time) on a walk: a
        change in ``node_modules`` shows after the next edit of a source
        module (Vite needs a restart for it).
        """
        graph = self.environment.module_graph
        generation = graph.generation
        cached = self._walks.get(entry)
        if cached is not None and cached[0] == generation:
            return cached[1]
        with self._lock:
            # Read before the walk: a transform stored or dropped during it
            # moves the generation, and the next call walks again.
            generation = graph.generation
            cached = self._walks.get(entry)
            if cached is not None and cached[0] == generation:
                return cached[1]
            walked: dict[str, WalkedModule] = {}
            self._visit(entry, walked, [])
            result = ModuleSet(entry, walked)
            self._walks[entry] = (generation, result)
            return result

    def _visit(self, key: str, walked: dict[str, WalkedModule], chain: list[str]) -> None:
        if key in walked or key.startswith("node:"):
            return
        if _is_dep_file(key):
            dep = self.bundler.get(key)
            module = WalkedModule(dep, dep.code, dep.deps)
        else:
            result = self.environment.transform_request(key)
            if result is None:
                via = " -> ".join([*chain, key])
                raise SsrModuleNotFound(f"SSR module {key!r} not found (imported via {via}).")
            node = self.environment.module_graph.get_module_by_url(key)
            deps = tuple(node.meta.get("ssr_deps", ())) if node is not None else ()
            module = WalkedModule(result, result.code, deps)
        walked[key] = module
        for dep_key in module.deps:
            self._visit(dep_key, walked, [*chain, key])


class ShippedModules:
    """What one V8 child was sent: key → the source object of its code."""

    def __init__(self) -> None:
        self._sent: dict[str, object] = {}
        #: entry → the walk the child was last brought up to date with.
        self._synced: dict[str, ModuleSet] = {}

    def reset(self) -> None:
        self._sent.clear()
        self._synced.clear()

    def changes(self, walk: ModuleSet) -> ShipList:
        """What to send the child before it runs ``walk.entry``; recorded as sent."""
        ship = ShipList({}, [])
        if self._synced.get(walk.entry) is walk:
            return ship
        sent = self._sent
        for key, module in walk.modules.items():
            if sent.get(key) is not module.source:
                if key in sent:
                    ship.invalidate.append(key)
                ship.define[key] = module.code
                sent[key] = module.source
        # An importer of a re-sent module holds its old exports object: run it again too.
        for key, module in walk.modules.items():
            if key not in ship.define and any(d in ship.define for d in module.deps):
                ship.invalidate.append(key)
        self._synced[walk.entry] = walk
        return ship

    def fetched(self, key: str, walk: ModuleSet) -> str | None:
        """The code of ``key`` for a child that asked for it (an ``import()``
        of a computed path), recorded as sent."""
        module = walk.modules.get(key)
        if module is None:
            return None
        self._sent[key] = module.source
        return module.code


def _is_dep_file(key: str) -> bool:
    return key.startswith("/") and "/node_modules/" in key and not key.startswith("/node_modules/")
