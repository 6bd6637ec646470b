"""What the V8 module runner must be sent before it runs an SSR entry.

:class:`SsrModuleCollector` walks the ``ssr`` environment's graph from an
entry: each source module is transformed (cached on the module graph,
invalidated on file change), each dependency file bundled once; modules new
to the runner or changed since they were sent are returned, with the keys
whose instances the runner must drop so the next ``require`` executes them
again. Untouched modules keep their instances (and their state).
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


class SsrModuleCollector:
    """Tracks what one runner has been sent."""

    def __init__(self, environment: DevEnvironment) -> None:
        self.environment = environment
        self.bundler = SsrDepsBundler(environment)
        #: key → the object (TransformResult or SsrDep) whose code the runner has.
        self._sent: dict[str, object] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        """The runner was replaced (timeout, crash): send everything again."""
        with self._lock:
            self._sent.clear()

    def collect(self, entry: str) -> ShipList:
        with self._lock:
            ship = ShipList({}, [])
            seen: set[str] = set()
            self._visit(entry, ship, seen, [])
            return ship

    def _visit(self, key: str, ship: ShipList, seen: set[str], chain: list[str]) -> None:
        if key in seen or key.startswith("node:"):
            return
        seen.add(key)
        if key.startswith("/") and "/node_modules/" in key and not key.startswith("/node_modules/"):
            dep = self.bundler.get(key)
            source: object = dep
            code, deps = dep.code, list(dep.deps)
        else:
            result = self.environment.transform_request(key)
            if result is None:
                via = " -> ".join([*chain, key])
                raise SsrModuleNotFound(f"SSR module {key!r} not found (imported via {via}).")
            node = self.environment.module_graph.get_module_by_url(key)
            source = result
            code = result.code
            deps = list(node.meta.get("ssr_deps", ())) if node is not None else []
        if self._sent.get(key) is not source:
            if key in self._sent:
                ship.invalidate.append(key)
            ship.define[key] = code
            self._sent[key] = source
        for dep_key in deps:
            self._visit(dep_key, ship, seen, [*chain, key])
        # An importer of a re-sent module holds its old exports object: run it again too.
        if any(d in ship.define for d in deps) and key not in ship.define:
            ship.invalidate.append(key)
