"""``package-lock.json`` (lockfile v3, also read from v2) to and from trees.

The ``packages`` section maps each folder (``node_modules/a/node_modules/b``)
to the version, tarball URL, integrity and dependency ranges of what is
there, plus dev/optional/peer flags -- everything needed to rebuild the tree
without the registry. We write what npm writes, keys in npm's order, so npm
and flask-vite can take turns on one project.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
import typing as t
from pathlib import Path

from ..errors import ViteError
from .tree import Node, calc_dep_flags

_NAME = r"(?:@[A-Za-z0-9_~-][A-Za-z0-9_~.-]*/)?[A-Za-z0-9_~-][A-Za-z0-9_~.-]*"
_LOCATION_RE = re.compile(rf"^node_modules/{_NAME}(?:/node_modules/{_NAME})*$")

ROOT_FIELDS = ("name", "version", "license", "dependencies", "devDependencies",
               "optionalDependencies", "peerDependencies", "peerDependenciesMeta", "bin",
               "engines")
_DEP_FIELDS = ("dependencies", "optionalDependencies", "peerDependencies",
               "peerDependenciesMeta")
#: Fields copied between a node's package and its lock entry.
PACKAGE_FIELDS = ("name", "version", "dependencies", "optionalDependencies", "peerDependencies",
                  "peerDependenciesMeta", "bin", "os", "cpu", "libc", "engines", "license",
                  "deprecated", "hasInstallScript", "funding")


class LockfileError(ViteError):
    """``package-lock.json`` is unreadable, or disagrees with package.json
    where it must not (``--frozen``)."""

    code = "LOCKFILE"


def _entry(node: Node) -> dict[str, t.Any]:
    pkg = node.package
    entry: dict[str, t.Any] = {}
    if node.package_name != node.name:
        entry["name"] = node.package_name  # an npm: alias
    entry["version"] = node.version
    if node.resolved:
        entry["resolved"] = node.resolved
    if node.integrity:
        entry["integrity"] = node.integrity
    small: dict[str, t.Any] = {}
    for key in ("cpu", "deprecated", "hasInstallScript", "libc", "license", "os"):
        if pkg.get(key):
            small[key] = pkg[key]
    if node.dev:
        small["dev"] = True
    if node.optional:
        small["optional"] = True
    if node.dev_optional and not node.dev and not node.optional:
        small["devOptional"] = True
    if node.peer:
        small["peer"] = True
    for key in sorted(small):
        entry[key] = small[key]
    for key in ("dependencies", "bin", "engines", "funding", "optionalDependencies",
                "peerDependencies", "peerDependenciesMeta"):
        if pkg.get(key):
            entry[key] = pkg[key]
    return entry


def tree_to_lock(root: Node) -> dict[str, t.Any]:
    """The lockfile document for a resolved tree (flags must be current)."""
    pkg = root.package
    root_entry = {k: pkg[k] for k in ROOT_FIELDS if pkg.get(k)}
    packages: dict[str, t.Any] = {"": root_entry}
    for node in root.inventory():
        packages[node.location] = _entry(node)
    doc: dict[str, t.Any] = {}
    if pkg.get("name"):
        doc["name"] = pkg["name"]
    if pkg.get("version"):
        doc["version"] = pkg["version"]
    doc.update({"lockfileVersion": 3, "requires": True, "packages": packages})
    return doc


def lock_to_tree(lock: t.Mapping[str, t.Any], package_json: t.Mapping[str, t.Any]) -> Node:
    """Rebuild the tree recorded in ``lock`` under a root made from ``package_json``.

    :raises LockfileError: the document is not a v2/v3 lockfile.
    """
    packages = lock.get("packages")
    if not isinstance(packages, dict) or int(lock.get("lockfileVersion") or 0) < 2:
        raise LockfileError(
            "package-lock.json is older than lockfileVersion 2 (npm 7); delete it and run "
            "`flask vite install` to write a new one.")
    root = Node(str(package_json.get("name") or ""), package_json, is_project_root=True)
    by_location: dict[str, Node] = {"": root}
    for location in sorted((k for k in packages if k), key=lambda k: k.count("node_modules/")):
        meta = packages[location]
        if not isinstance(meta, dict) or meta.get("link") or meta.get("inBundle"):
            continue  # links and bundled packages are not ours to place
        parent_loc, _, name = location.rpartition("node_modules/")
        if not _LOCATION_RE.match(location):
            # A location is a path we will write to: never trust one that
            # could point outside node_modules.
            raise LockfileError(f"package-lock.json: {location!r} is not a node_modules "
                                "location; fix or delete the lockfile.")
        parent = by_location.get(parent_loc.rstrip("/"))
        if parent is None or not meta.get("version"):
            continue
        package = {k: meta[k] for k in PACKAGE_FIELDS if k in meta}
        package.setdefault("name", name)
        node = Node(name, package, resolved=meta.get("resolved"), integrity=meta.get("integrity"))
        node.attach(parent)
        by_location[location] = node
    calc_dep_flags(root)
    return root


def root_specs(package_json: t.Mapping[str, t.Any]) -> dict[str, dict[str, str]]:
    """The dependency declarations a lock must agree with."""
    out: dict[str, dict[str, str]] = {}
    for key in ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies"):
        value = package_json.get(key)
        if isinstance(value, dict) and value:
            out[key] = {k: str(v) for k, v in value.items()}
    return out


def check_frozen(lock: t.Mapping[str, t.Any], package_json: t.Mapping[str, t.Any]) -> None:
    """Raise :class:`LockfileError` naming each difference between the root
    dependencies in package.json and in the lock."""
    locked = root_specs((lock.get("packages") or {}).get("", {}))
    wanted = root_specs(package_json)
    problems: list[str] = []
    for key in sorted(set(locked) | set(wanted)):
        a, b = locked.get(key, {}), wanted.get(key, {})
        for name in sorted(set(a) | set(b)):
            if a.get(name) != b.get(name):
                if name not in a:
                    problems.append(f"{key}: {name}@{b[name]} is not in the lock")
                elif name not in b:
                    problems.append(f"{key}: {name} is locked but no longer in package.json")
                else:
                    problems.append(f"{key}: {name} is {b[name]!r} in package.json but "
                                    f"{a[name]!r} in the lock")
    if problems:
        raise LockfileError(
            "package.json and package-lock.json disagree (--frozen):\n  " + "\n  ".join(problems)
            + "\nRun `flask vite install` without --frozen to update the lock, and commit it.")


def read_json(path: Path) -> dict[str, t.Any] | None:
    """A JSON object from ``path``, ``None`` if missing; LockfileError if broken."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise LockfileError(f"{path} is not valid JSON ({e}); fix or delete it.") from e
    if not isinstance(doc, dict):
        raise LockfileError(f"{path} does not hold a JSON object; fix or delete it.")
    return doc


def write_json(path: Path, doc: t.Mapping[str, t.Any]) -> None:
    """Write ``doc`` as npm formats it (2-space indent, trailing newline), atomically."""
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
