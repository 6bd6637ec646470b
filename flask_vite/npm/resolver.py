"""Build the ideal ``node_modules`` tree the way npm does.

A port of the core of npm's arborist ``build-ideal-tree.js``: nodes are
visited by depth, then location; each missing or invalid dependency gets the
version ``npm-pick-manifest`` would choose (:func:`.spec.pick_manifest`), its
peer dependencies are loaded with it into a virtual root (a "peer set"), and
:class:`.place.PlaceDep` puts them into the tree. Starting from a tree loaded
from ``package-lock.json``, only what package.json no longer agrees with is
re-resolved -- which is how a lockfile is honoured.

Pure: packuments come from the ``get_packument`` callable; nothing here
touches files or sockets, so it is tested with tables of fake packuments.
"""
from __future__ import annotations

import datetime as _dt
import heapq
import posixpath
import typing as t

from ..errors import RegistryError
from .place import OK, REPLACE, PlaceDep, can_replace_with
from .registry import validate_name
from .spec import NoMatchingVersion, Spec, pick_manifest
from .tree import Edge, Node, calc_dep_flags, locale_key

#: A safety net against placement loops; real trees need one step per node.
MAX_STEPS = 200_000

PackumentGetter = t.Callable[[str], t.Mapping[str, t.Any]]

#: Fields of a version document kept on a node (and written to the lockfile).
MANIFEST_FIELDS = (
    "name", "version", "dependencies", "optionalDependencies", "peerDependencies",
    "peerDependenciesMeta", "bundleDependencies", "bin", "os", "cpu", "libc", "engines",
    "license", "deprecated", "hasInstallScript", "funding",
)


def normalize_bin(package_name: str, bin_: t.Any) -> dict[str, str]:
    """``bin`` as npm-normalize-package-bin leaves it: a ``{command: path}``
    mapping with clean relative paths and no path tricks in command names."""
    if isinstance(bin_, str):
        bin_ = {package_name.rsplit("/", 1)[-1]: bin_}
    if not isinstance(bin_, dict):
        return {}
    out: dict[str, str] = {}
    for key, value in bin_.items():
        if not isinstance(key, str) or not isinstance(value, str):
            continue
        command = posixpath.basename(posixpath.normpath("/" + key.replace("\\", "/")))
        target = posixpath.normpath("/" + value.replace("\\", "/"))[1:]
        if command and command not in (".", "..") and target:
            out[command] = target
    return out


def _normalize_funding(funding: t.Any) -> t.Any:
    if isinstance(funding, str):
        return {"url": funding}
    if isinstance(funding, list):
        return [{"url": f} if isinstance(f, str) else f for f in funding]
    return funding


def node_from_manifest(name: str, manifest: t.Mapping[str, t.Any]) -> Node:
    """A tree node for a packument version document, in folder ``name``."""
    package = {k: manifest[k] for k in MANIFEST_FIELDS if k in manifest}
    if "bin" in package:
        package["bin"] = normalize_bin(str(manifest.get("name") or name), package["bin"])
        if not package["bin"]:
            del package["bin"]
    if "funding" in package:
        package["funding"] = _normalize_funding(package["funding"])
    scripts = manifest.get("scripts")
    if isinstance(scripts, dict) and any(k in scripts for k in ("preinstall", "install",
                                                               "postinstall")):
        package["hasInstallScript"] = True
    dist = manifest.get("dist") or {}
    integrity_value = dist.get("integrity")
    if not integrity_value and dist.get("shasum"):
        from .integrity import from_shasum

        sha1 = from_shasum(str(dist["shasum"]))
        integrity_value = sha1.to_sri() if sha1 else None
    return Node(name, package, resolved=dist.get("tarball"), integrity=integrity_value)


class _DepsQueue:
    """Nodes to visit, shallowest first, then by location (npm's DepsQueue).

    A heap keyed when pushed: a queued node keeps its location until visited.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[int, tuple[t.Any, ...], int, Node]] = []
        self._ids: set[int] = set()
        self._count = 0

    def push(self, node: Node) -> None:
        if id(node) not in self._ids:
            self._ids.add(id(node))
            self._count += 1
            heapq.heappush(self._heap, (node.depth, locale_key(node.location), self._count, node))

    def pop(self) -> Node:
        node = heapq.heappop(self._heap)[3]
        self._ids.discard(id(node))
        return node

    def __bool__(self) -> bool:
        return bool(self._heap)


class _LoadFailure(Exception):
    def __init__(self, edge: Edge, message: str) -> None:
        super().__init__(message)
        self.edge = edge


class Resolver:
    """Resolves a project's dependency tree.

    :param get_packument: ``name -> packument`` (may raise RegistryError).
    :param before: pick only versions published before this moment (needs
        full packuments), like ``npm --before``.
    :param node_version: prefer versions whose ``engines.node`` accepts it;
        ``None`` accepts all (flask-vite runs no Node).
    :param update_names: re-resolve these even if the current copy is fine
        (``flask vite add``).
    :param prefetch: called with package names about to be needed, so a
        caller can fetch packuments in parallel.
    """

    def __init__(self, get_packument: PackumentGetter, *, before: _dt.datetime | None = None,
                 node_version: str | None = None, update_names: t.Collection[str] = (),
                 prefetch: t.Callable[[list[str]], None] | None = None) -> None:
        self.get_packument = get_packument
        self.before = before
        self.node_version = node_version
        self.update_names = frozenset(update_names)
        self.prefetch = prefetch
        self.warnings: list[str] = []
        self.changed = False
        self._virtual_roots: dict[int, Node] = {}
        self._peer_set_source: dict[int, Node] = {}
        self._failures: list[_LoadFailure] = []
        self._skipped: set[int] = set()

    # -- entry point -----------------------------------------------------------

    def build(self, root: Node) -> Node:
        """Complete ``root`` in place (a fresh root, or one loaded from a lock).

        :raises RegistryError: a required package or version does not exist.
        """
        queue = _DepsQueue()
        queue.push(root)
        seen: set[int] = set()
        steps = 0
        while queue:
            steps += 1
            if steps > MAX_STEPS:
                raise RegistryError(
                    "the dependency tree did not settle (a cycle of replacements); please "
                    "report it with your package.json", code="REGISTRY_NO_MATCH")
            node = queue.pop()
            if id(node) in seen or node.root is not root:
                continue
            seen.add(id(node))
            self._build_step(node, queue, seen)
        self._finish(root)
        return root

    def _build_step(self, node: Node, queue: _DepsQueue, seen: set[int]) -> None:
        tasks: list[tuple[Edge, Node]] = []
        peer_source = self._peer_set_source.get(id(node), node)
        for edge in self._problem_edges(node):
            if edge.peer_conflicted:
                continue
            source = peer_source if edge.peer else node
            vr = self._virtual_root(source, reuse=True)
            vr_edge = vr.edges_out.get(edge.name)
            vr_dep = vr_edge.to if vr_edge is not None and vr_edge.valid else None
            try:
                if vr_dep is not None and edge.satisfied_by(vr_dep):
                    dep = vr_dep
                else:
                    dep = self._node_from_edge(edge, vr if edge.peer else None, None,
                                               {id(edge.from_)})
            except _LoadFailure as failure:
                self._record_failure(failure)
                continue
            tasks.append((edge, dep))
        tasks.sort(key=lambda task: locale_key(task[0].name))
        for edge, dep in tasks:
            place = PlaceDep(edge, dep, update_names=self.update_names,
                             explicit=edge.from_.is_project_root and edge.name in self.update_names)
            self.warnings.extend(w for w in place.warnings if w not in self.warnings)
            for pd in place.walk():
                placed, check = pd.placed, pd.can_place
                if placed is None or check is None:
                    continue
                self.changed = True
                if check.can_place_self in (OK, REPLACE):
                    for edge_in in placed.edges_in():
                        if edge_in is pd.edge or edge_in.valid or edge_in.peer_conflicted:
                            continue
                        if check.can_place_self == REPLACE:
                            seen.discard(id(edge_in.from_))
                        if id(edge_in.from_) not in seen:
                            queue.push(edge_in.from_)
                queue.push(placed)
                for again in pd.need_evaluation:
                    seen.discard(id(again))
                    queue.push(again)
                if self.prefetch is not None:
                    names = [e.spec.package_name for e in self._problem_edges(placed)
                             if e.spec is not None]
                    if names:
                        self.prefetch(names)

    # -- edges that need work ----------------------------------------------------

    def _problem_edges(self, node: Node) -> list[Edge]:
        problems: list[Edge] = []
        for edge in node.edges_out.values():
            if id(edge) in self._skipped:
                continue
            if edge.error is not None:
                if not edge.optional:
                    raise RegistryError(edge.error, code="REGISTRY_BAD_SPEC")
                continue
            to = edge.to
            if to is None:
                if edge.type != "peerOptional":
                    problems.append(edge)
                continue
            if not edge.valid:
                problems.append(edge)
            elif node.is_project_root and edge.name in self.update_names:
                problems.append(edge)
        return problems

    # -- loading nodes -------------------------------------------------------------

    def _virtual_root(self, node: Node, reuse: bool = False) -> Node:
        if reuse and id(node) in self._virtual_roots:
            return self._virtual_roots[id(node)]
        vr = Node(node.name, node.package, source=node)
        self._virtual_roots[id(node)] = vr
        return vr

    def _node_from_spec(self, name: str, spec: Spec | None, parent: Node, edge: Edge) -> Node:
        if spec is None:
            raise _LoadFailure(edge, edge.error or f"{name}: invalid spec")
        try:
            validate_name(name)  # the folder name: must stay inside node_modules
            packument = self.get_packument(spec.package_name)
            manifest = pick_manifest(packument, spec, before=self.before,
                                     node_version=self.node_version)
        except NoMatchingVersion as e:
            raise _LoadFailure(edge, f"{e} Needed by {_who(edge.from_)}.") from None
        except RegistryError as e:
            raise _LoadFailure(edge, f"{e.message} (needed by {_who(edge.from_)})") from None
        node = node_from_manifest(name, manifest)
        node.attach(parent)
        return node

    def _node_from_edge(self, edge: Edge, parent: Node | None, second: Edge | None,
                        required: set[int]) -> Node:
        parent = parent if parent is not None else self._virtual_root(edge.from_)
        first = self._node_from_spec(edge.name, edge.spec, parent, edge)
        # The parent's own range may be broad (>=1) while the peer that asks
        # is narrow (1.x): prefer a version both accept.
        other = None
        if second is not None and not second.valid:
            other = self._node_from_spec(edge.name, second.spec, parent, second)
        node = other if other is not None and edge.valid else first
        node.attach(parent)
        if (id(edge.from_) in required and edge.type != "peerOptional") or (
                second is not None and id(second.from_) in required
                and second.type != "peerOptional"):
            required.add(id(node))
        if parent.source is not None:
            self._peer_set_source[id(node)] = parent.source
        return self._load_peer_set(node, required)

    def _load_peer_set(self, node: Node, required: set[int]) -> Node:
        """Load ``node``'s peer dependencies (and theirs) next to it in its
        virtual root, preferring versions the virtual root's own deps accept."""
        peer_edges = sorted((e for e in node.edges_out.values()
                             if e.peer and not (e.valid and e.to is not None)),
                            key=lambda e: locale_key(e.name))
        for edge in peer_edges:
            parent = node.parent
            if parent is None:
                break
            if edge.valid and edge.to is not None:
                continue
            parent_edge = parent.edges_out.get(edge.name)
            try:
                if edge.to is None:
                    if parent_edge is None:
                        self._node_from_edge(edge, parent, None, required)
                        continue
                    self._node_from_edge(parent_edge, parent, edge, required)
                    if not edge.valid:
                        edge.peer_conflicted = True
                        self.warnings.append(
                            f"{_who(node)} wants peer {edge.name}@{edge.raw} but "
                            f"{_who(parent)} requires {edge.name}@{parent_edge.raw}; keeping the "
                            "latter.")
                    continue
                current = edge.to
                dep = self._node_from_edge(edge, None, None, required)
                if can_replace_with(current, dep):
                    self._node_from_edge(edge, parent, None, required)
            except _LoadFailure as failure:
                if edge.type == "peerOptional":
                    continue
                self._record_failure(failure)
        return node

    def _record_failure(self, failure: _LoadFailure) -> None:
        self._skipped.add(id(failure.edge))
        self._failures.append(failure)

    # -- the end -------------------------------------------------------------------

    def _finish(self, root: Node) -> None:
        calc_dep_flags(root)
        for failure in self._failures:
            edge = failure.edge
            if edge.optional or edge.type == "peerOptional":
                continue  # an optional dependency that cannot be had is skipped
            origin = edge.from_
            if origin is not root and origin.root is root and origin.optional:
                # It sits under an optional dependency: drop that branch.
                self.warnings.append(f"skipping optional {_who(origin)}: {failure}")
                origin.detach()
                continue
            if origin.root is not root and origin is not root:
                continue  # the dependent did not make it into the tree
            raise RegistryError(str(failure), code="REGISTRY_NO_MATCH")
        # Nodes nothing depends on any more (e.g. removed from package.json).
        for node in root.inventory():
            if node.extraneous and node.root is root:
                node.detach()
                self.changed = True
        calc_dep_flags(root)


def _who(node: Node) -> str:
    if node.is_project_root or node.source is not None and node.source.is_project_root:
        return "the project's package.json"
    return f"{node.package_name}@{node.version}"


def resolve(package_json: t.Mapping[str, t.Any], get_packument: PackumentGetter, *,
            lock_root: Node | None = None, **options: t.Any) -> tuple[Node, Resolver]:
    """Resolve ``package_json`` into a tree; ``lock_root`` is a tree loaded
    from a lockfile to start from (its root package is replaced by
    ``package_json``). Returns the root and the resolver (for warnings)."""
    root = Node(str(package_json.get("name") or ""), package_json, is_project_root=True)
    if lock_root is not None:
        for child in list(lock_root.children.values()):
            child.attach(root)
    resolver = Resolver(get_packument, **options)
    resolver.build(root)
    return root, resolver
