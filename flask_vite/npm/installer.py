"""Install a project's npm dependencies into ``node_modules`` -- without Node.

>>> result = Installer("frontend").install()
>>> result.added[:2]
['react@19.3.1', 'react-dom@19.3.1']

1. read ``package.json`` and, if present, ``package-lock.json``;
2. resolve the tree (:mod:`.resolver`), starting from the lock so locked
   versions are kept (``frozen=True`` refuses any change);
3. choose what this machine needs (no dev dependencies with
   ``production=True``; optional packages whose ``os``/``cpu``/``libc`` do
   not fit are skipped);
4. download and verify the tarballs in parallel, extracting each into a
   staging folder inside ``node_modules`` -- if anything fails, the staging
   folder is deleted and ``node_modules`` is exactly as before;
5. move the new folders into place, remove what is no longer wanted, link
   ``node_modules/.bin``, write ``package-lock.json`` and
   ``node_modules/.package-lock.json`` (what is installed, as npm records it).

Install scripts are never run; :attr:`InstallResult.install_scripts` lists
the packages that declare them.
"""
from __future__ import annotations

import datetime as _dt
import logging
import os
import shutil
import tempfile
import threading
import typing as t
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from ..errors import RegistryError, ViteError
from .lockfile import (LockfileError, check_frozen, lock_to_tree, read_json, tree_to_lock,
                       write_json)
from .platform import Platform, platform_ok
from .registry import RegistryClient
from .resolver import Resolver, normalize_bin
from .spec import SpecError, parse_spec, satisfied_by
from .tarball import extract_tarball
from .tree import Node

logger = logging.getLogger("flask_vite.npm")

#: ``progress(done, total, label)`` -- called from worker threads.
ProgressCallback = t.Callable[[int, int, str], None]


class InstallError(ViteError):
    """The project cannot be installed as asked (no package.json, a required
    package that does not support this platform)."""

    code = "NPM_INSTALL"


class InstallResult(t.NamedTuple):
    tree: Node
    added: list[str]
    removed: list[str]
    kept: int
    install_scripts: list[str]
    warnings: list[str]
    lock_changed: bool


def _label(node: Node) -> str:
    return f"{node.package_name}@{node.version}"


class Installer:
    """Installs the dependencies declared in ``<root>/package.json``.

    :param root: the folder with package.json (the Vite root).
    :param client: registry client; default :meth:`RegistryClient.from_npmrc`
        on ``root`` (so the project's ``.npmrc`` applies).
    :param production: leave out ``devDependencies``.
    :param frozen: fail unless package-lock.json already matches package.json
        exactly; never rewrite it (``npm ci``).
    :param before: only versions published before this moment (``npm --before``).
    :param offline: use only the cache; fail naming what is missing.
    :param jobs: parallel downloads.
    :param progress: called as tarballs finish.
    :param platform: the platform to install for (default: this machine).
    :param save_lockfile: write package-lock.json.
    """

    def __init__(self, root: str | os.PathLike[str], *, client: RegistryClient | None = None,
                 production: bool = False, frozen: bool = False,
                 before: _dt.datetime | None = None, offline: bool = False,
                 jobs: int | None = None, progress: ProgressCallback | None = None,
                 platform: Platform | None = None, node_version: str | None = None,
                 save_lockfile: bool = True) -> None:
        self.root = Path(root)
        self.client = client if client is not None else RegistryClient.from_npmrc(
            self.root, offline=offline)
        if offline:
            self.client.offline = True
        self.production, self.frozen, self.before = production, frozen, before
        self.jobs = jobs or min(32, (os.cpu_count() or 2) * 8)
        self.progress = progress
        self.platform = platform or Platform.current()
        self.node_version = node_version
        self.save_lockfile = save_lockfile and not frozen

    # -- paths -------------------------------------------------------------------

    @property
    def node_modules(self) -> Path:
        return self.root / "node_modules"

    def _folder(self, location: str) -> Path:
        return self.root.joinpath(*location.split("/"))

    # -- the steps -------------------------------------------------------------------

    def resolve(self, update_names: t.Collection[str] = ()) -> tuple[Node, Resolver, bool]:
        """The ideal tree; returns ``(root, resolver, lock_changed)``."""
        package_json = read_json(self.root / "package.json")
        if package_json is None:
            raise InstallError(f"no package.json in {self.root.resolve()}; create one, or run "
                               "`flask vite add NAME` to start one.")
        lock_path = self.root / "package-lock.json"
        lock = read_json(lock_path)
        if self.frozen:
            if lock is None:
                raise LockfileError(f"--frozen needs {lock_path}; run `flask vite install` once "
                                    "and commit the lockfile.")
            check_frozen(lock, package_json)
        lock_root = None
        if lock is not None:
            if int(lock.get("lockfileVersion") or 0) < 2 and not self.frozen:
                # npm 6 locks lack the folder layout; start over, as npm 7 would.
                logger.warning("ignoring %s: lockfileVersion < 2; it will be rewritten", lock_path)
            else:
                lock_root = lock_to_tree(lock, package_json)
        full = self.before is not None
        with ThreadPoolExecutor(self.jobs, thread_name_prefix="flask-vite-npm") as pool:
            def prefetch(names: list[str]) -> None:
                # Warm the client's packument cache; errors surface later,
                # from the resolver, with the dependent named.
                for name in names:
                    pool.submit(self._quiet_packument, name, full)

            resolver = Resolver(lambda n: self.client.packument(n, full=full), before=self.before,
                                node_version=self.node_version, update_names=update_names,
                                prefetch=prefetch)
            root = Node(str(package_json.get("name") or ""), package_json, is_project_root=True)
            if lock_root is not None:
                for child in list(lock_root.children.values()):
                    child.attach(root)
            resolver.build(root)
        new_lock = tree_to_lock(root)
        lock_changed = lock is None or new_lock.get("packages") != lock.get("packages")
        if self.frozen and lock_changed:
            raise LockfileError("package-lock.json is incomplete or out of date for package.json "
                                "(--frozen); run `flask vite install` and commit the lockfile.")
        return root, resolver, lock_changed

    def _quiet_packument(self, name: str, full: bool) -> None:
        try:
            self.client.packument(name, full=full)
        except RegistryError:
            pass

    def wanted(self, root: Node) -> list[Node]:
        """The nodes this machine should have, by location."""
        keep: dict[int, Node] = {}
        stack = [root]
        while stack:
            node = stack.pop()
            for edge in node.edges_out.values():
                if edge.dev and self.production:
                    continue
                to = edge.to
                if to is None or to is root or id(to) in keep:
                    continue
                if not platform_ok(to.package, self.platform):
                    if edge.optional or to.optional:
                        continue
                    raise InstallError(
                        f"{_label(to)} does not support this platform ({self.platform.os} "
                        f"{self.platform.cpu}); it needs os={to.package.get('os')} "
                        f"cpu={to.package.get('cpu')}. Choose another package or version.")
                keep[id(to)] = to
                stack.append(to)
        return sorted(keep.values(), key=lambda n: n.location)

    def _installed(self) -> dict[str, dict[str, t.Any]]:
        """What node_modules holds, from the hidden lockfile (or package.json files)."""
        hidden = None
        try:
            hidden = read_json(self.node_modules / ".package-lock.json")
        except LockfileError:
            pass
        if hidden is not None and isinstance(hidden.get("packages"), dict):
            return {k: v for k, v in hidden["packages"].items()
                    if k and isinstance(v, dict) and self._folder(k).is_dir()}
        return {}

    def _dist(self, node: Node) -> dict[str, t.Any]:
        if node.resolved and node.integrity:
            return {"tarball": node.resolved, "integrity": node.integrity}
        # Locks written with omit-lockfile-registry-resolved lack URLs.
        doc = self.client.packument(node.package_name)
        version = doc["versions"].get(node.version)
        if version is None:
            raise RegistryError(f"{_label(node)}: this version is no longer in the registry; "
                                "run `flask vite install` without --frozen to pick another.",
                                code="REGISTRY_NO_MATCH")
        return t.cast("dict[str, t.Any]", version["dist"])

    def install(self, update_names: t.Collection[str] = ()) -> InstallResult:
        """Resolve, download, verify and place; see the module docstring."""
        root, resolver, lock_changed = self.resolve(update_names)
        wanted = self.wanted(root)
        installed = self._installed()
        changed: list[Node] = []
        changed_locs: list[str] = []
        for node in wanted:
            loc = node.location
            have = installed.get(loc)
            under_changed = any(loc.startswith(c + "/") for c in changed_locs)
            if (not under_changed and have is not None and have.get("version") == node.version
                    and (have.get("integrity") == node.integrity or not node.integrity)
                    and (have.get("name") or loc.rsplit("node_modules/", 1)[-1])
                    == node.package_name):
                continue
            changed.append(node)
            changed_locs.append(loc)
        wanted_locs = {n.location for n in wanted}
        removed = [loc for loc in installed if loc not in wanted_locs]
        if not installed and self.node_modules.is_dir():
            removed.extend(self._strays(wanted_locs))

        self.node_modules.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".flask-vite-staging-", dir=self.node_modules))
        try:
            self._fetch_all(changed, staging)
            self._swap(changed, removed, staging)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        self._link_bins(wanted)

        scripts = sorted(_label(n) for n in wanted if n.package.get("hasInstallScript"))
        hidden = tree_to_lock(root)
        hidden["packages"] = {k: v for k, v in hidden["packages"].items()
                              if k and k in wanted_locs}
        write_json(self.node_modules / ".package-lock.json", hidden)
        if self.save_lockfile and lock_changed:
            write_json(self.root / "package-lock.json", tree_to_lock(root))
        for warning in resolver.warnings:
            logger.warning("%s", warning)
        return InstallResult(root, [_label(n) for n in changed], removed,
                             len(wanted) - len(changed), scripts, list(resolver.warnings),
                             lock_changed)

    # -- download, extract, place -------------------------------------------------

    def _fetch_all(self, nodes: list[Node], staging: Path) -> None:
        total = len(nodes)
        if not total:
            return

        # Downloads wait on the network, so many run at once; extraction is
        # CPU and disk work, where more threads than cores only contend.
        extracting = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))

        def work(index: int, node: Node) -> Node:
            data = self.client.fetch_tarball(node.package_name, node.version, self._dist(node))
            with extracting:
                extract_tarball(data, staging / str(index), what=_label(node))
            return node

        done = 0
        with ThreadPoolExecutor(self.jobs, thread_name_prefix="flask-vite-npm") as pool:
            futures = [pool.submit(work, i, n) for i, n in enumerate(nodes)]
            try:
                for future in as_completed(futures):
                    node = future.result()
                    done += 1
                    if self.progress is not None:
                        self.progress(done, total, _label(node))
            except BaseException:
                for f in futures:
                    f.cancel()
                raise

    def _swap(self, nodes: list[Node], removed: list[str], staging: Path) -> None:
        trash = staging / "trash"
        trash.mkdir()
        # Everything under a replaced folder was marked changed too, so whole
        # folders can move at once: old ones out first, then new ones in,
        # shallowest first so parents exist before their node_modules fill.
        count = 0
        for loc in sorted({*removed, *(n.location for n in nodes)}, key=len, reverse=True):
            folder = self._folder(loc)
            if os.path.lexists(folder):
                os.replace(folder, trash / str(count))
                count += 1
        for index, node in sorted(enumerate(nodes), key=lambda p: p[1].location.count("/")):
            folder = self._folder(node.location)
            folder.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / str(index), folder)
        # Scope folders (node_modules/@types) left empty by removals.
        for loc in removed:
            parent = self._folder(loc).parent
            if parent.name.startswith("@"):
                try:
                    parent.rmdir()
                except OSError:
                    pass  # not empty

    def _strays(self, wanted_locs: set[str]) -> list[str]:
        """Top-level package folders nobody wants (no hidden lockfile to go by).
        Dot-folders (.bin, .vite, caches) are never touched."""
        out: list[str] = []
        for entry in self.node_modules.iterdir():
            if entry.name.startswith("."):
                continue
            names = ([f"{entry.name}/{e.name}" for e in entry.iterdir() if e.is_dir()]
                     if entry.name.startswith("@") and entry.is_dir() else [entry.name])
            for name in names:
                loc = f"node_modules/{name}"
                if loc not in wanted_locs and (self._folder(loc) / "package.json").is_file():
                    out.append(loc)
        return out

    def _link_bins(self, nodes: list[Node]) -> None:
        if os.name == "nt":
            return  # npm writes .cmd shims there; nothing in flask-vite runs them
        # Always sweep the top .bin, so links of removed packages go too.
        bin_dirs: set[Path] = {self.node_modules / ".bin"}
        for node in nodes:
            bins = normalize_bin(node.package_name, node.package.get("bin"))
            if not bins:
                continue
            folder = self._folder(node.location)
            bin_dir = folder.parent / ".bin"
            if node.package_name.startswith("@"):
                bin_dir = folder.parent.parent / ".bin"
            bin_dirs.add(bin_dir)
            bin_dir.mkdir(parents=True, exist_ok=True)
            for command, target in bins.items():
                target_path = folder / target
                if not target_path.is_file():
                    continue
                link = bin_dir / command
                rel = os.path.relpath(target_path, bin_dir)
                if os.path.islink(link) and os.readlink(link) == rel:
                    continue
                if os.path.lexists(link):
                    os.unlink(link)
                os.symlink(rel, link)
                mode = target_path.stat().st_mode
                target_path.chmod(mode | 0o111)
        for bin_dir in bin_dirs:
            if not bin_dir.is_dir():
                continue
            for link in bin_dir.iterdir():
                if link.is_symlink() and not link.exists():
                    link.unlink()


def missing_dependencies(root: str | os.PathLike[str], *, production: bool = False) -> list[str]:
    """``name@range`` for each dependency in package.json that ``node_modules``
    lacks or holds in a version outside the range. No network; fast enough
    for the dev server to call on start ("run `flask vite install`")."""
    root_path = Path(root)
    package_json = read_json(root_path / "package.json") or {}
    sections = ["dependencies"] if production else ["dependencies", "devDependencies"]
    missing: list[str] = []
    for section in sections:
        for name, raw in (package_json.get(section) or {}).items():
            manifest = None
            try:
                manifest = read_json(root_path / "node_modules" / name / "package.json")
            except LockfileError:
                pass
            if manifest is None:
                missing.append(f"{name}@{raw}")
                continue
            try:
                spec = parse_spec(name, str(raw))
            except SpecError:
                continue  # not ours to judge (git, file: …); it is there
            if not satisfied_by(spec, str(manifest.get("version") or ""),
                                package_name=str(manifest.get("name") or name)):
                missing.append(f"{name}@{raw}")
    return missing


def install(root: str | os.PathLike[str], **options: t.Any) -> InstallResult:
    """``Installer(root, **options).install()``."""
    return Installer(root, **options).install()
