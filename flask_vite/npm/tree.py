"""The package tree: nodes in ``node_modules`` folders and the edges between them.

This mirrors arborist's ``Node``/``Edge`` closely enough that its placement
rules (:mod:`.resolver`) carry over: a dependency edge resolves by walking up
from the dependent through ``node_modules`` folders, exactly like Node's
``require``.

Pure: no files, no sockets.
"""
from __future__ import annotations

import typing as t
import unicodedata

from .spec import Spec, SpecError, parse_spec, satisfied_by

DEP_TYPES = ("prod", "dev", "optional", "peer", "peerOptional")


def locale_key(text: str) -> tuple[t.Any, ...]:
    """A sort key close to JavaScript's ``localeCompare(…, 'en')``.

    npm sorts its queue and its lockfile with ICU collation: punctuation
    before digits before letters, case ignored first. Matching it keeps our
    placement order -- and so the resulting tree -- identical to npm's.
    """
    primary: list[tuple[int, t.Any]] = []
    for ch in text:
        if ch.isdigit():
            primary.append((1, ch))
        elif ch.isalpha():
            primary.append((2, unicodedata.normalize("NFKD", ch)[0].lower()))
        else:
            primary.append((0, _PUNCT_ORDER.get(ch, 100 + ord(ch))))
    return (tuple(primary), tuple(not c.islower() for c in text), text)


_PUNCT_ORDER = {c: i for i, c in enumerate("_-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$")}


class Edge:
    """A dependency of ``from_`` on ``name`` with ``spec``, of one type."""

    __slots__ = ("from_", "name", "spec", "type", "peer_conflicted", "error")

    def __init__(self, from_: Node, name: str, raw_spec: str, type_: str) -> None:
        self.from_ = from_
        self.name = name
        self.type = type_
        self.peer_conflicted = False
        self.error: str | None = None
        try:
            self.spec: Spec | None = parse_spec(name, raw_spec)
        except SpecError as e:
            self.spec = None
            self.error = str(e)

    def __repr__(self) -> str:
        return f"<Edge {self.from_.location or '.'} -> {self.name}@{self.raw} ({self.type})>"

    @property
    def raw(self) -> str:
        return self.spec.raw if self.spec is not None else ""

    @property
    def peer(self) -> bool:
        return self.type in ("peer", "peerOptional")

    @property
    def optional(self) -> bool:
        return self.type in ("optional", "peerOptional")

    @property
    def dev(self) -> bool:
        return self.type == "dev"

    @property
    def to(self) -> Node | None:
        return self.from_.resolve(self.name)

    def satisfied_by(self, node: Node) -> bool:
        if node.name != self.name or self.spec is None:
            return False
        return satisfied_by(self.spec, node.version, resolved=node.resolved or "registry",
                            package_name=node.package_name)

    @property
    def valid(self) -> bool:
        to = self.to
        if to is None:
            return self.optional
        # A peer dependency must be shared with the dependent's parent, so a
        # copy inside the dependent's own node_modules does not count.
        if self.peer and to.parent is self.from_ and not self.from_.is_top:
            return False
        return self.satisfied_by(to)


class Node:
    """One package folder. The root (``is_top``) is the project or a virtual root.

    :param package: the manifest: ``name``, ``version``, ``dependencies``,
        ``optionalDependencies``, ``peerDependencies``, ``peerDependenciesMeta``,
        ``devDependencies`` (root only), ``bin``, ``os``, ``cpu``, ``engines``…
    """

    def __init__(self, name: str, package: t.Mapping[str, t.Any], *,
                 resolved: str | None = None, integrity: str | None = None,
                 is_project_root: bool = False, source: Node | None = None) -> None:
        self.name = name
        self.package: dict[str, t.Any] = dict(package)
        self.resolved = resolved
        self.integrity = integrity
        self.is_project_root = is_project_root
        # The node a virtual root stands in for (arborist's sourceReference).
        self.source = source
        self.parent: Node | None = None
        self.children: dict[str, Node] = {}
        # Dependency flags, computed by calc_dep_flags.
        self.dev = self.optional = self.dev_optional = self.peer = self.extraneous = False
        # name -> nodes (in this tree) that have an edge out with that name;
        # kept on the top node only, to find edges in quickly.
        self._edge_index: dict[str, set[Node]] = {}
        # name -> nodes of that name below this top node.
        self._name_index: dict[str, set[Node]] = {}
        self.edges_out: dict[str, Edge] = {}
        self._load_edges()
        for name in self.edges_out:
            self._edge_index[name] = {self}

    def __repr__(self) -> str:
        return f"<Node {self.location or '.'} {self.package_name}@{self.version}>"

    # -- identity ------------------------------------------------------------

    @property
    def package_name(self) -> str:
        return str(self.package.get("name") or self.name)

    @property
    def version(self) -> str:
        return str(self.package.get("version") or "")

    @property
    def is_top(self) -> bool:
        return self.parent is None

    @property
    def root(self) -> Node:
        node = self
        while node.parent is not None:
            node = node.parent
        return node

    @property
    def location(self) -> str:
        parts: list[str] = []
        node: Node | None = self
        while node is not None and node.parent is not None:
            parts.append(f"node_modules/{node.name}")
            node = node.parent
        return "/".join(reversed(parts))

    @property
    def depth(self) -> int:
        d, node = 0, self
        while node.parent is not None:
            d, node = d + 1, node.parent
        return d

    def ancestry(self) -> t.Iterator[Node]:
        node: Node | None = self
        while node is not None:
            yield node
            node = node.parent

    def is_descendant_of(self, other: Node) -> bool:
        return any(n is other for n in self.ancestry())

    def matches(self, other: Node) -> bool:
        """Same package contents (arborist's ``matches``)."""
        if other is self:
            return True
        if other.name != self.name:
            return False
        if self.integrity and other.integrity:
            return self.integrity == other.integrity
        if self.resolved and other.resolved:
            return self.resolved == other.resolved
        return bool(self.version) and (self.package_name, self.version) == (
            other.package_name, other.version)

    # -- edges -------------------------------------------------------------------

    def _load_edges(self) -> None:
        # Later types win on a name clash, in npm's order: peer, prod,
        # optional (optionalDependencies override dependencies), then dev.
        pkg = self.package
        peer_meta = pkg.get("peerDependenciesMeta") or {}
        peers = pkg.get("peerDependencies") or {}
        loads: list[tuple[t.Any, str | None]] = [
            ({k: v for k, v in peers.items() if not (peer_meta.get(k) or {}).get("optional")},
             "peer"),
            ({k: v for k, v in peers.items() if (peer_meta.get(k) or {}).get("optional")},
             "peerOptional"),
            (pkg.get("dependencies"), "prod"),
            (pkg.get("optionalDependencies"), "optional"),
        ]
        src = self.source or self
        if src.is_project_root:
            loads.append((pkg.get("devDependencies"), "dev"))
        bundled = set() if self.is_project_root else set(_bundled(pkg))
        for deps, type_ in loads:
            if not isinstance(deps, dict):
                continue
            for name, raw in deps.items():
                if name in bundled or not isinstance(raw, str):
                    continue
                self.edges_out[name] = Edge(self, name, raw, t.cast(str, type_))

    def edges_in(self) -> list[Edge]:
        """Edges from anywhere in this tree that resolve to this node."""
        if self.parent is None:
            return []
        out: list[Edge] = []
        for node in list(self.root._edge_index.get(self.name, ())):
            edge = node.edges_out.get(self.name)
            if edge is not None and edge.to is self:
                out.append(edge)
        return out

    def nodes_named(self, name: str) -> list[Node]:
        """Nodes called ``name`` anywhere below this top node."""
        return list(self.root._name_index.get(name, ()))

    def resolve(self, name: str) -> Node | None:
        node: Node | None = self
        while node is not None:
            child = node.children.get(name)
            if child is not None:
                return child
            node = node.parent
        return None

    # -- tree surgery ------------------------------------------------------------

    def walk(self) -> t.Iterator[Node]:
        """This node and everything below it, parents first."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(list(node.children.values())))

    def attach(self, parent: Node) -> None:
        """Put this node (and its subtree) into ``parent``'s node_modules,
        replacing whatever was there under the same name."""
        self.detach()
        old = parent.children.get(self.name)
        if old is not None:
            old.detach()
        parent.children[self.name] = self
        self.parent = parent
        top = parent.root
        index, names = top._edge_index, top._name_index
        for node in self.walk():
            names.setdefault(node.name, set()).add(node)
            for name in node.edges_out:
                index.setdefault(name, set()).add(node)
        self._edge_index = {}
        self._name_index = {}

    def detach(self) -> None:
        """Remove this node and its subtree from the tree."""
        if self.parent is None:
            return
        top = self.root
        index, names = top._edge_index, top._name_index
        for node in self.walk():
            names.get(node.name, set()).discard(node)
            for name in node.edges_out:
                index.get(name, set()).discard(node)
        if self.parent.children.get(self.name) is self:
            del self.parent.children[self.name]
        self.parent = None
        # Re-index our own subtree under ourselves as the new top.
        self._edge_index = {}
        self._name_index = {}
        for node in self.walk():
            if node is not self:
                self._name_index.setdefault(node.name, set()).add(node)
            for name in node.edges_out:
                self._edge_index.setdefault(name, set()).add(node)

    def inventory(self) -> list[Node]:
        """Every node below this top node, sorted by location."""
        nodes = [n for n in self.walk() if n is not self]
        nodes.sort(key=lambda n: locale_key(n.location))
        return nodes


def _bundled(pkg: t.Mapping[str, t.Any]) -> list[str]:
    bd = pkg.get("bundleDependencies", pkg.get("bundledDependencies"))
    if bd is True:
        return list((pkg.get("dependencies") or {}).keys())
    return [b for b in bd if isinstance(b, str)] if isinstance(bd, list) else []


def calc_dep_flags(root: Node) -> None:
    """Mark nodes dev / optional / devOptional / peer / extraneous, as npm does.

    A node is ``dev`` when every path from the root crosses a dev edge,
    ``optional`` when every path crosses an optional edge, ``dev_optional``
    when every path crosses one or the other, ``peer`` when every path crosses
    a peer edge, and ``extraneous`` when there is no path. The flags decide
    what ``--production`` and the platform filter leave out, and they are
    written to the lockfile.
    """
    def reachable(skip: t.Callable[[Edge], bool]) -> set[int]:
        seen: set[int] = set()
        stack = [root]
        while stack:
            node = stack.pop()
            for edge in node.edges_out.values():
                if skip(edge):
                    continue
                to = edge.to
                if to is None or to is root or id(to) in seen:
                    continue
                seen.add(id(to))
                stack.append(to)
        return seen

    anyhow = reachable(lambda e: False)
    no_dev = reachable(lambda e: e.dev)
    no_opt = reachable(lambda e: e.optional)
    no_either = reachable(lambda e: e.dev or e.optional)
    no_peer = reachable(lambda e: e.peer)
    for node in root.walk():
        if node is root:
            continue
        key = id(node)
        node.extraneous = key not in anyhow
        node.dev = not node.extraneous and key not in no_dev
        node.optional = not node.extraneous and key not in no_opt
        node.dev_optional = not node.extraneous and key not in no_either
        node.peer = not node.extraneous and key not in no_peer
