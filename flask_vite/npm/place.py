"""Where does a package go? npm's placement rules (arborist's
``can-place-dep.js`` and ``place-dep.js``).

A dependency is placed as high in the tree as it can go without breaking
anything already placed -- hoisted when possible, nested where two ranges
cannot share one copy -- and its peer dependencies are placed with it.

Pure: works on :mod:`.tree` nodes only.
"""
from __future__ import annotations

import typing as t

from . import semver
from .tree import Edge, Node, locale_key

CONFLICT, OK, REPLACE, KEEP = "CONFLICT", "OK", "REPLACE", "KEEP"

def deepest_nesting_target(start: Node, name: str) -> Node:
    """The deepest folder at or above ``start`` where ``name`` may go: not
    inside a package that has ``name`` as a peer dependency."""
    for target in start.ancestry():
        if target.is_project_root or target.parent is None:
            return target
        target_edge = target.edges_out.get(name)
        if target_edge is None or not target_edge.peer:
            return target
    return start


def gather_dep_set(nodes: t.Iterable[Node], edge_filter: t.Callable[[Edge], bool]) -> list[Node]:
    """``nodes`` plus their dependencies, minus anything also needed from outside."""
    deps: dict[int, Node] = {id(n): n for n in nodes}
    queue = list(deps.values())
    while queue:
        node = queue.pop()
        for edge in node.edges_out.values():
            to = edge.to
            if to is not None and id(to) not in deps and edge_filter(edge):
                deps[id(to)] = to
                queue.append(to)
    changed = True
    while changed and deps:
        changed = False
        for key, dep in list(deps.items()):
            for edge in dep.edges_in():
                if id(edge.from_) not in deps and edge_filter(edge):
                    del deps[key]
                    changed = True
                    break
    return list(deps.values())


def can_replace_with(current: Node, dep: Node) -> bool:
    """Whether everything depending on ``current`` would accept ``dep``."""
    if dep.name != current.name or dep.package_name != current.package_name:
        return False
    dep_set = {id(n) for n in gather_dep_set([current], lambda e: e.to is not current and e.valid)}
    return all(id(e.from_) in dep_set or e.satisfied_by(dep) for e in current.edges_in())


def _not_into(node: Node) -> t.Callable[[Edge], bool]:
    return lambda e: e.to is not node


def _valid_not_into(node: Node) -> t.Callable[[Edge], bool]:
    return lambda e: e.to is not node and e.valid


def _gte(a: str, b: str) -> bool:
    va, vb = semver.parse_version(a), semver.parse_version(b)
    return va is not None and vb is not None and va >= vb


class CanPlace:
    """Can ``dep`` go into ``target``'s node_modules? (never mutates the tree)"""

    def __init__(self, dep: Node, target: Node, edge: Edge, *, parent: CanPlace | None = None,
                 peer_path: tuple[Node, ...] = (), prefer_dedupe: bool = False,
                 explicit: bool = False) -> None:
        self.dep, self.target, self.edge, self.parent = dep, target, edge, parent
        self.peer_path = peer_path
        self.explicit = explicit
        # Peers always prefer deduplication: they try harder to be singletons.
        self.prefer_dedupe = prefer_dedupe or edge.peer
        self.children: list[CanPlace] = []
        self.name = edge.name
        self.current = target.children.get(self.name)
        self.target_edge = target.edges_out.get(self.name)
        self.edge_override = not edge.satisfied_by(dep)
        self._peers_result: str | None = None
        self.can_place_self: str | None = None
        self.can_place = self._check()
        if self.can_place_self is None:
            self.can_place_self = self.can_place

    @property
    def top(self) -> CanPlace:
        return self.parent.top if self.parent is not None else self

    @property
    def deepest(self) -> Node:
        start = self.parent.deepest if self.parent is not None else self.edge.from_
        return deepest_nesting_target(start, self.name)

    def _check(self) -> str:
        target, target_edge, current, dep = self.target, self.target_edge, self.current, self.dep
        # Peers cannot live inside their dependents, except at the top.
        if target_edge is not None and target_edge.peer and not target.is_top:
            return CONFLICT
        if (current is None and target_edge is not None and not target_edge.satisfied_by(dep)
                and target_edge is not self.edge):
            return CONFLICT
        return self._check_current() if current is not None else self._check_no_current()

    def _check_current(self) -> str:
        current, edge, dep = t.cast(Node, self.current), self.edge, self.dep
        if dep.matches(current) and (edge.satisfied_by(current) or self.edge_override):
            return REPLACE if self.explicit else KEEP
        try_replace = bool(current.version and dep.version and _gte(dep.version, current.version))
        if try_replace and can_replace_with(current, dep):
            result = self._can_place_peers(REPLACE)
            if result != CONFLICT:
                return result
        if edge.satisfied_by(current) and (not self.explicit or self.prefer_dedupe):
            return KEEP
        if self.prefer_dedupe and not try_replace and can_replace_with(current, dep):
            result = self._can_place_peers(REPLACE)
            if result != CONFLICT:
                return result
        if self.target is not self.deepest:
            return CONFLICT  # it can still go deeper; leave the current one alone
        if not edge.peer and self.target is edge.from_:
            return self._can_place_peers(REPLACE)
        # npm goes on to check whether the current node's whole peer group
        # could be nested deeper; that rare case is reported as a conflict.
        return CONFLICT

    def _check_no_current(self) -> str:
        target, dep = self.target, self.dep
        # Placing here would shadow what deeper dependents resolve to now.
        if target is not self.top.edge.from_:
            current = target.resolve(self.name)
            if current is not None:
                for edge in current.edges_in():
                    if edge.from_.is_descendant_of(target) and edge.valid and (
                            not edge.satisfied_by(dep)):
                        return CONFLICT
        return self._can_place_peers(OK)

    def _can_place_peers(self, state: str) -> str:
        self.can_place_self = state
        if self._peers_result is not None:
            return self._peers_result
        peer_path = (*self.peer_path, self.dep)
        saw_conflict = False
        for peer_edge in self.dep.edges_out.values():
            peer = peer_edge.to if peer_edge.peer else None
            if peer is None or any(peer is p for p in peer_path):
                continue
            target = deepest_nesting_target(self.target, peer.name)
            check = CanPlace(peer, target, peer_edge, parent=self, peer_path=peer_path,
                             prefer_dedupe=True)
            self.children.append(check)
            if check.can_place == CONFLICT:
                saw_conflict = True
        self._peers_result = CONFLICT if saw_conflict else state
        return self._peers_result


class PlaceDep:
    """Place ``dep`` (a node in a virtual root) for ``edge``, with its peers.

    After construction, :attr:`placed` is the new node in the real tree (or
    ``None`` if an existing one was kept), :attr:`children` the placements of
    its peers, :attr:`need_evaluation` nodes whose dependencies must be
    looked at again, and :attr:`warnings` any peer conflicts.
    """

    def __init__(self, edge: Edge, dep: Node, *, parent: PlaceDep | None = None,
                 explicit: bool = False, prefer_dedupe: bool = False,
                 update_names: t.Collection[str] = ()) -> None:
        self.edge, self.dep, self.parent = edge, dep, parent
        self.explicit, self.prefer_dedupe = explicit, prefer_dedupe
        self.update_names = update_names
        self.name = edge.name
        self.children: list[PlaceDep] = []
        self.need_evaluation: list[Node] = []
        self.warnings: list[str] = parent.warnings if parent is not None else []
        self.placed: Node | None = None
        self.can_place: CanPlace | None = None
        self.can_place_self: CanPlace | None = None

        current = edge.to
        if current is not None and edge.valid and not explicit and self.name not in update_names:
            return  # nothing to do: the edge is fine as it is

        for target in self._start_node().ancestry():
            target_edge = target.edges_out.get(self.name)
            if not target.is_top and target_edge is not None and target_edge.peer:
                continue  # cannot sit inside a package that has it as a peer
            check = CanPlace(dep, target, edge,
                             parent=parent.can_place if parent is not None else None,
                             prefer_dedupe=prefer_dedupe, explicit=explicit)
            if check.can_place_self != CONFLICT:
                self.can_place_self = check
            if check.can_place == CONFLICT:
                break  # it cannot go higher than a conflict
            self.can_place = check

        if self.can_place is None:
            # npm would fail with ERESOLVE unless --force; we warn and go on.
            if self.can_place_self is None:
                self._warn_conflict()
                return
            self.can_place = self.can_place_self
        cp = self.can_place
        target = cp.target
        placement = cp.can_place_self if cp.can_place == CONFLICT else cp.can_place
        if placement == KEEP:
            if edge.peer and not edge.valid:
                self._warn_conflict()
            self._prune_dedupable(target)
            return

        # A dependency loop (a1 -> b1 -> a2 -> b2 -> a1 …): npm links to the
        # earlier copy; the earlier copy already resolves, so stop here.
        for p in target.ancestry():
            if p.matches(dep) and not p.is_top:
                return

        placed = Node(dep.name, dep.package, resolved=dep.resolved, integrity=dep.integrity)
        self.placed = placed
        old = target.children.get(self.name)
        if old is not None:
            self._replace_old(old)
        else:
            placed.attach(target)
        if edge.peer and not edge.satisfied_by(placed):
            self._warn_conflict()

        to = edge.to
        if edge.valid and to is not None and to is not placed:
            self._prune_dedupable(to, descend=False)
        # Deeper copies that the new one makes unnecessary.
        for node in sorted(target.nodes_named(self.name), key=lambda n: locale_key(n.location)):
            if node.parent is not None and node is not placed and node.is_descendant_of(target):
                self._prune_dedupable(node, descend=False)
                if node.parent is not None:
                    for kid in list(node.children.values()):
                        self._prune_dedupable(kid, descend=False)
        # Higher copies the new placement has left without dependents (npm/cli#9135).
        above = placed.parent.parent if placed.parent is not None else None
        while above is not None:
            shadowed = above.children.get(self.name)
            if shadowed is not None and shadowed is not placed:
                self._prune_orphan(shadowed)
            above = above.parent

        # Place the peers that came along in the virtual root.
        virtual_root = dep.parent
        for peer_edge in list(placed.edges_out.values()):
            if not peer_edge.peer or peer_edge.peer_conflicted or peer_edge.valid:
                continue
            peer = virtual_root.children.get(peer_edge.name) if virtual_root else None
            if peer is None or not peer_edge.satisfied_by(peer):
                continue
            self.children.append(PlaceDep(peer_edge, peer, parent=self, explicit=explicit,
                                          prefer_dedupe=prefer_dedupe, update_names=update_names))

    def _start_node(self) -> Node:
        # A peer must be at least as shallow as its dependent.
        start = self.parent._start_node() if self.parent is not None else self.edge.from_
        return deepest_nesting_target(start, self.name)

    def walk(self) -> t.Iterator[PlaceDep]:
        yield self
        for child in self.children:
            yield from child.walk()

    def _warn_conflict(self) -> None:
        edge = self.edge
        edge.peer_conflicted = True
        current = edge.to
        who = edge.from_.package_name + (f"@{edge.from_.version}" if edge.from_.version else "")
        have = f"{current.package_name}@{current.version}" if current is not None else "nothing"
        self.warnings.append(
            f"{who} wants {'peer ' if edge.peer else ''}{edge.name}@{edge.raw} but gets {have}; "
            f"installing anyway. Align the versions in package.json if it misbehaves.")

    def _replace_old(self, old: Node) -> None:
        placed = t.cast(Node, self.placed)
        target = t.cast(Node, old.parent)
        old_deps: list[Node] = []
        for name, edge in old.edges_out.items():
            to = edge.to
            if name not in placed.edges_out and to is not None:
                old_deps.extend(gather_dep_set([to], _not_into(to)))
        kids = list(old.children.values())
        placed.attach(target)  # detaches the old node
        for kid in kids:  # a replacement keeps the old node's children
            kid.attach(placed)
        invalid: dict[int, Node] = {}
        for e in placed.edges_out.values():
            to = e.to
            if to is not None and not e.valid:
                invalid[id(to)] = to
        for dep in old_deps:
            if dep.parent is None:
                continue  # already gone with the old node
            for n in gather_dep_set([dep], _valid_not_into(dep)):
                invalid[id(n)] = n
        for n in gather_dep_set(invalid.values(), lambda e: e.from_ is not placed
                                and e.to is not placed and e.valid):
            if n.parent is not None and n.root is placed.root:
                n.detach()

    def _prune_dedupable(self, node: Node, descend: bool = True) -> None:
        if node.parent is None:
            return
        if self._can_dedupe(node):
            for n in gather_dep_set([node], lambda e: e.to is not node and e.valid):
                n.detach()
            return
        if descend:
            for child in sorted(node.children.values(), key=lambda n: locale_key(n.location)):
                self._prune_dedupable(child)

    def _can_dedupe(self, node: Node) -> bool:
        # Top-level packages and their direct children always stay.
        if node.parent is None or node.parent.parent is None:
            return False
        if not node.edges_in():
            return True
        other = node.parent.parent.resolve(node.name)
        if other is None:
            return False
        if other.matches(node):
            return True
        if not can_replace_with(node, other):
            return False
        if self.prefer_dedupe or semver.parse_version(other.version) == semver.parse_version(
                node.version):
            return True
        if _gte(other.version, node.version):
            return True
        return self.explicit

    def _prune_orphan(self, node: Node) -> None:
        if node.edges_in():
            return
        members = list(node.walk())
        ids = {id(m) for m in members}
        outside: list[Node] = []
        for m in members:
            for e in m.edges_in():
                if id(e.from_) not in ids:
                    outside.append(e.from_)
        node.detach()
        self.need_evaluation.extend(outside)
