"""Filesystem resolution: Node's algorithm with Vite's additions.

>>> resolver = NodeResolver(NodeResolveOptions.client(production=False, root="/app"))
>>> resolver.resolve("react-dom/client", "/app/src/main.tsx")
Resolution(id='/app/node_modules/react-dom/client.js', ..., package_name='react-dom')

What it does, in the order Vite's resolve plugin does it:

- files: the exact path, then (for ``.js``/``.mjs``/``.cjs``/``.jsx`` that do
  not exist) the TypeScript source behind it (``.ts``/``.mts``/``.cts``/
  ``.tsx`` — TypeScript's own convention of importing ``./x.js`` for ``x.ts``;
  Vite 6+ tries it for every importer), then the configured extensions, then
  for a folder its ``package.json`` entry or ``index`` + extensions;
- bare imports: ``node_modules`` from the importer's folder upward, a
  package's own name (self reference), ``exports`` with the environment's
  conditions, else the ``browser`` (client only) / ``module`` / ``main``
  fields and ``index.js``; deep imports (``pkg/sub``) through ``exports``, else
  the ``browser`` object map, else the file;
- ``#imports`` from the importer's nearest ``package.json``;
- symlinks resolved to real paths (``preserve_symlinks=False``, Vite's
  default), so a pnpm store or a linked workspace package resolves to one id.

Query and hash suffixes (``?raw``, ``#x``) are split off, resolved around and
put back. Misses return ``None``; a package whose ``package.json`` forbids or
breaks the import raises a :class:`~.errors.ResolveError` naming it.
"""
from __future__ import annotations

import dataclasses
import functools
import os
import posixpath
import re
import stat
import typing as t

from .errors import PackageEntryError, ResolveError
from .exports import resolve_exports, resolve_imports
from .packages import (
    PackageCache,
    PackageData,
    in_node_modules,
    is_node_builtin,
    map_with_browser_field,
    split_postfix,
    to_posix,
)

#: Vite's ``resolve.extensions`` default.
DEFAULT_EXTENSIONS: tuple[str, ...] = (".mjs", ".js", ".mts", ".ts", ".jsx", ".tsx", ".json")
#: Replaced by ``production`` or ``development`` (Vite's ``DEV_PROD_CONDITION``).
DEV_PROD_CONDITION = "development|production"
#: Vite 6+'s ``resolve.conditions`` default for the client.
DEFAULT_CLIENT_CONDITIONS: tuple[str, ...] = ("module", "browser", DEV_PROD_CONDITION)
#: Vite 6+'s ``ssr.resolve.conditions`` default.
DEFAULT_SERVER_CONDITIONS: tuple[str, ...] = ("module", "node", DEV_PROD_CONDITION)
#: Vite 6+'s ``ssr.resolve.externalConditions`` default: what a dependency left
#: external is resolved with (it is loaded by the runtime, not by us).
DEFAULT_EXTERNAL_CONDITIONS: tuple[str, ...] = ("node", "module-sync")
#: Vite's ``resolve.mainFields`` default for the client; ``main`` is always last.
DEFAULT_CLIENT_MAIN_FIELDS: tuple[str, ...] = ("browser", "module", "jsnext:main", "jsnext")
#: The same for server environments: no ``browser``.
DEFAULT_SERVER_MAIN_FIELDS: tuple[str, ...] = ("module", "jsnext:main", "jsnext")

#: The id of an empty module that stands for a ``browser: false`` mapping or,
#: followed by ``:name``, a Node built-in imported from client code.
BROWSER_EXTERNAL_ID = "__vite-browser-external"
#: Prefix of the id that stands for a missing optional peer dependency
#: (``__vite-optional-peer-dep:<specifier>:<importing package>``).
OPTIONAL_PEER_DEP_ID = "__vite-optional-peer-dep"

# "pkg/sub" or "@scope/pkg/sub": the package part of a deep import.
_DEEP_IMPORT_RE = re.compile(r"^([^@][^/]*)/|^(@[^/]+/[^/]+)/")
# What Vite calls a bare import: not relative, not absolute, not a URL.
BARE_IMPORT_RE = re.compile(r"^(?![a-zA-Z]:)[\w@](?!.*://)", re.S)
_TS_OUTPUT_RE = re.compile(r"\.(?:js|mjs|cjs|jsx)$")


def package_name_of(specifier: str) -> str:
    """The package part of a bare specifier: ``@s/p/x?q`` → ``@s/p``, ``p/x`` → ``p``."""
    m = _DEEP_IMPORT_RE.match(specifier)
    if m:
        return m.group(1) or m.group(2)
    return split_postfix(specifier)[0]


@dataclasses.dataclass(frozen=True)
class NodeResolveOptions:
    """How one environment resolves. Build with :meth:`client` or :meth:`ssr`."""

    #: ``exports``/``imports`` conditions, ``development|production`` allowed;
    #: ``import`` (or ``require``) and ``default`` are added.
    conditions: tuple[str, ...] = DEFAULT_CLIENT_CONDITIONS
    #: ``package.json`` fields tried in order for packages without ``exports``.
    main_fields: tuple[str, ...] = DEFAULT_CLIENT_MAIN_FIELDS
    extensions: tuple[str, ...] = DEFAULT_EXTENSIONS
    #: Picks ``production`` for ``development|production``.
    production: bool = False
    #: Resolve as a ``require()`` (``require`` condition) rather than ``import``.
    require: bool = False
    preserve_symlinks: bool = False
    #: Packages always resolved from :attr:`root` (one copy of React, say).
    dedupe: tuple[str, ...] = ()
    #: Base folder when there is no usable importer.
    root: str | None = None

    @classmethod
    def client(cls, *, production: bool = False, **kwargs: t.Any) -> NodeResolveOptions:
        """Vite's client defaults."""
        return cls(production=production, **kwargs)

    @classmethod
    def ssr(cls, *, production: bool = False, webworker: bool = False,
            **kwargs: t.Any) -> NodeResolveOptions:
        """Vite's ``ssr`` environment defaults: ``node`` instead of ``browser``.

        :param webworker: Vite's ``ssr.target: "webworker"``: the server
            environment resolves like the client (``browser`` condition and
            field), for runtimes without Node's APIs — such as a bare V8
            isolate, where ``react-dom/server``'s ``node`` build cannot run.
        """
        if not webworker:
            kwargs.setdefault("conditions", DEFAULT_SERVER_CONDITIONS)
            kwargs.setdefault("main_fields", DEFAULT_SERVER_MAIN_FIELDS)
        return cls(production=production, **kwargs)

    @functools.cached_property
    def active_conditions(self) -> frozenset[str]:
        """The condition set matched against ``exports``/``imports`` keys."""
        return frozenset(resolve_conditions(self.conditions, production=self.production,
                                            require=self.require))

    @property
    def browser(self) -> bool:
        """Whether the ``browser`` field is honoured (client environments)."""
        return "browser" in self.main_fields


def resolve_conditions(conditions: t.Iterable[str], *, production: bool,
                       require: bool = False) -> tuple[str, ...]:
    """Vite's ``getConditions``: expand ``development|production``, add ``import``/``require``.

    ``default`` needs no entry: it always matches.
    """
    out = [("production" if production else "development") if c == DEV_PROD_CONDITION else c
           for c in conditions]
    out.append("require" if require else "import")
    return tuple(dict.fromkeys(out))


@dataclasses.dataclass(frozen=True)
class Resolution:
    """A resolved import."""

    #: The module id: the file path plus any ``?query#hash``, or a special id
    #: (:data:`BROWSER_EXTERNAL_ID`, :data:`OPTIONAL_PEER_DEP_ID`).
    id: str
    #: The absolute posix file path; empty for a special id.
    path: str
    postfix: str = ""
    #: The package the import went to (a bare import's package, or for a file
    #: inside ``node_modules`` the package holding it).
    package: PackageData | None = dataclasses.field(default=None, repr=False)
    #: Whether the file lies in a ``node_modules`` folder (after symlinks were
    #: resolved: a linked workspace package is source code, as in Vite).
    in_node_modules: bool = False
    #: ``browser: false`` stood for the module: load an empty one.
    browser_external: bool = False

    @property
    def package_name(self) -> str | None:
        return self.package.name if self.package else None

    @property
    def package_version(self) -> str | None:
        return self.package.version if self.package else None

    @property
    def package_dir(self) -> str | None:
        return self.package.dir if self.package else None


class NodeResolver:
    """Resolves specifiers against the filesystem for one set of options."""

    def __init__(self, options: NodeResolveOptions | None = None, *,
                 cache: PackageCache | None = None) -> None:
        self.options = options or NodeResolveOptions()
        self.cache = cache if cache is not None else PackageCache()

    # -- entry point ---------------------------------------------------------

    def resolve(self, specifier: str, importer: str | None = None) -> Resolution | None:
        """Resolve a relative, absolute, ``#imports`` or bare specifier.

        :param importer: the importing file (a query on it is ignored).
        """
        if specifier.startswith("#"):
            imported = self.resolve_subpath_imports(specifier, importer)
            if imported is None:
                return None
            specifier, importer = imported
        if specifier.startswith(".") or os.path.isabs(specifier):
            file, postfix = split_postfix(specifier)
            base = to_posix(self._basedir(importer))
            target = posixpath.normpath(posixpath.join(base, file)) + postfix
            mapped = self.browser_mapping(target, importer, is_file_path=True)
            if mapped is not None:
                return mapped
            path = self.resolve_file(target)
            return self._file_resolution(path) if path else None
        if BARE_IMPORT_RE.match(specifier):
            return (self.browser_mapping(specifier, importer, is_file_path=False)
                    or self.resolve_bare(specifier, importer))
        return None

    def resolve_path(self, specifier: str, importer: str | None = None) -> str | None:
        """Like :meth:`resolve`, only the id (``None`` for a miss)."""
        res = self.resolve(specifier, importer)
        return res.id if res else None

    # -- files ---------------------------------------------------------------

    def resolve_file(self, path: str, *, try_index: bool = True,
                     skip_package_json: bool = False) -> str | None:
        """Vite's ``tryFsResolve``: the file for ``path`` (query kept), or ``None``."""
        path = to_posix(path)
        hash_at = path.find("#")
        if hash_at >= 0 and in_node_modules(path):
            # Dependencies such as es5-ext have '#' in file names; try the path
            # with its '#' first (never in user code, where '#' is a hash).
            query_at = path.find("?")
            if query_at < 0 or query_at > hash_at:
                file = path[:query_at] if query_at > hash_at else path
                res = self._clean_file(file, try_index, skip_package_json)
                if res:
                    return res + path[len(file):]
        file, postfix = split_postfix(path)
        res = self._clean_file(file, try_index, skip_package_json)
        return res + postfix if res else None

    def _clean_file(self, file: str, try_index: bool, skip_package_json: bool) -> str | None:
        kind = _kind(file)
        if kind == "file":
            return self._real(file)
        ext_ok = bool(self.options.extensions)
        ts_output = _TS_OUTPUT_RE.search(file)
        if (ts_output or ext_ok) and _kind(os.path.dirname(file)) == "dir":
            if ts_output:
                stem, ext = file[:ts_output.start()], ts_output.group()
                for candidate in (stem + ext.replace("js", "ts", 1),
                                  *((stem + ".tsx",) if ext == ".js" else ())):
                    if _kind(candidate) == "file":
                        return self._real(candidate)
            res = self._with_extensions(file)
            if res:
                return res
        if try_index and kind == "dir":
            if not skip_package_json:
                pkg_json = file + "/package.json"
                if os.path.isfile(pkg_json):
                    pkg = self.cache.load(pkg_json if self.options.preserve_symlinks
                                          else self.cache.real_path(pkg_json))
                    if pkg is not None:
                        try:
                            return self.package_entry(pkg, dir=file)
                        except ResolveError:
                            # Best effort, as in Vite: fall back to index files.
                            pass
            return self._with_extensions(file + "/index")
        return None

    def _with_extensions(self, stem: str) -> str | None:
        for ext in self.options.extensions:
            if _kind(stem + ext) == "file":
                return self._real(stem + ext)
        return None

    def _real(self, path: str) -> str:
        if not self.options.preserve_symlinks:
            path = self.cache.real_path(path)
        return to_posix(path)

    def _file_resolution(self, id: str) -> Resolution:
        path, postfix = _split_resolved(id)
        nm = in_node_modules(path)
        pkg = self.cache.nearest_main(os.path.dirname(path)) if nm else None
        return Resolution(id=id, path=path, postfix=postfix, package=pkg, in_node_modules=nm)

    def _basedir(self, importer: str | None) -> str:
        if importer and os.path.isabs(importer):
            clean = split_postfix(importer)[0]
            if os.path.exists(clean):
                return os.path.dirname(clean)
        return self.options.root or os.getcwd()

    # -- packages ------------------------------------------------------------

    def resolve_bare(self, specifier: str, importer: str | None = None) -> Resolution | None:
        """Vite's ``tryNodeResolve``: a bare specifier from ``node_modules``.

        Node built-ins are not handled here (a package named ``events`` or
        ``buffer`` in ``node_modules`` wins, as in Vite); the caller decides
        what a built-in becomes when this returns ``None``.
        """
        opts = self.options
        pkg_id = package_name_of(specifier)
        deep = pkg_id != split_postfix(specifier)[0]
        if pkg_id in opts.dedupe and opts.root:
            basedir = opts.root
        else:
            basedir = self._basedir(importer)
        pkg: PackageData | None = None
        if not is_node_builtin(specifier):
            # A package may import itself by name when it has "exports".
            own = self.cache.nearest(basedir)
            if own is not None and own.exports is not None and own.name == pkg_id:
                pkg = own
        if pkg is None:
            pkg = self.cache.find(pkg_id, basedir, preserve_symlinks=opts.preserve_symlinks)
        if pkg is None:
            return self._optional_peer_dep(specifier, pkg_id, basedir)
        if deep:
            resolved = self.deep_import("." + specifier[len(pkg_id):], pkg, importer=importer)
        else:
            resolved = self.package_entry(pkg, importer=importer) + specifier[len(pkg_id):]
        if resolved is None:
            return None
        if resolved == BROWSER_EXTERNAL_ID:
            return Resolution(id=resolved, path="", package=pkg, browser_external=True)
        path, postfix = _split_resolved(resolved)
        return Resolution(id=resolved, path=path, postfix=postfix, package=pkg,
                          in_node_modules=in_node_modules(path))

    def _optional_peer_dep(self, specifier: str, name: str, basedir: str) -> Resolution | None:
        # An optional peer dependency that is not installed becomes a module
        # that throws only when it is actually imported (Vite does the same).
        root = self.options.root
        if is_node_builtin(specifier) or (
                root and os.path.abspath(basedir) == os.path.abspath(root)):
            return None
        main = self.cache.nearest_main(basedir)
        if main is None:
            return None
        peers = main.data.get("peerDependencies") or {}
        meta = (main.data.get("peerDependenciesMeta") or {}).get(name) or {}
        optional = isinstance(meta, dict) and meta.get("optional")
        if isinstance(peers, dict) and name in peers and optional:
            return Resolution(id=f"{OPTIONAL_PEER_DEP_ID}:{specifier}:{main.name}", path="",
                              package=main)
        return None

    def package_entry(self, pkg: PackageData, *, dir: str | None = None,
                      importer: str | None = None) -> str:
        """Vite's ``resolvePackageEntry``: the file a bare ``import "pkg"`` loads.

        :param dir: the folder as reached (may differ from ``pkg.dir`` when
            symlinks are preserved).
        :raises ResolveError: ``exports`` has no ``.`` for these conditions, or
            no entry field points at a file.
        """
        opts = self.options
        base = dir or pkg.dir
        entry: str | None = None
        if pkg.exports is not None:
            entry = resolve_exports(pkg.exports, ".", opts.active_conditions,
                                    package_json=pkg.path, importer=importer)
        if not entry:
            for field in opts.main_fields:
                value = pkg.data.get(field)
                if isinstance(value, str) and value:
                    entry = value
                    break
                if (field == "browser" and isinstance(value, dict)
                        and isinstance(value.get("."), str)):
                    entry = value["."]
                    break
        if not entry:
            main = pkg.data.get("main")
            entry = main if isinstance(main, str) and main else None
        browser_map = pkg.browser_map if opts.browser else None
        # No entry at all: Node's defaults (https://nodejs.org/api/modules.html#all-together).
        for candidate in (entry,) if entry else ("index.js", "index.json", "index.node"):
            if browser_map is not None:
                mapped = map_with_browser_field(candidate, browser_map)
                candidate = mapped if isinstance(mapped, str) else candidate
            found = self.resolve_file(posixpath.join(base, candidate))
            if found:
                return found
        raise PackageEntryError(
            f'Failed to resolve entry for package "{pkg.name or base}" ({pkg.path})'
            + (f" imported from {importer}" if importer else "")
            + (f': its entry "{entry}" does not exist.' if entry
               else ": it has no exports, module or main field and no index.js.")
            + " The package may be broken or only partly installed; try reinstalling it."
        )

    def deep_import(self, subpath: str, pkg: PackageData, *,
                    importer: str | None = None) -> str | None:
        """Vite's ``resolveDeepImport``: ``pkg/sub`` → the file, ``None`` if missing.

        :param subpath: ``./sub``, possibly with a query.
        :raises PackagePathNotExported: ``exports`` does not list the subpath.
        """
        exports = pkg.exports
        relative: str = subpath
        if exports is not None:
            # Map the path without its query (Vite #7098): "pkg/x.css?inline".
            file, postfix = split_postfix(subpath)
            relative = resolve_exports(exports, file, self.options.active_conditions,
                                       package_json=pkg.path, importer=importer) + postfix
        elif self.options.browser and pkg.browser_map is not None:
            file, postfix = split_postfix(subpath)
            mapped = map_with_browser_field(file, pkg.browser_map)
            if mapped is False:
                return BROWSER_EXTERNAL_ID
            if mapped:
                relative = mapped + postfix
        # Exported paths are exact; only legacy deep imports may name a folder.
        return self.resolve_file(posixpath.join(pkg.dir, relative), try_index=exports is None)

    # -- #imports and the browser field --------------------------------------

    def resolve_subpath_imports(self, specifier: str,
                                importer: str | None) -> tuple[str, str | None] | None:
        """Map ``#x`` through the ``imports`` of the importer's nearest ``package.json``.

        :return: ``(target, importer)`` where target is an absolute path (with
            the specifier's query) or a bare specifier to resolve from the
            same importer; ``None`` when there is no importer, no package or
            no ``imports`` field.
        :raises PackageImportNotDefined: the package has no such import.
        """
        if not importer or not specifier.startswith("#"):
            return None
        pkg = self.cache.nearest(os.path.dirname(split_postfix(importer)[0]))
        if pkg is None or pkg.imports is None:
            # No "imports" at all: leave "#x" to other plugins, as Vite does;
            # only a package that declares imports gets an error for a miss.
            return None
        # '#' starts the specifier, so only a '?' query can follow it.
        q = specifier.find("?")
        file, postfix = (specifier[:q], specifier[q:]) if q >= 0 else (specifier, "")
        target = resolve_imports(pkg.imports, file, self.options.active_conditions,
                                 package_json=pkg.path, importer=importer)
        if target.startswith("./"):
            return posixpath.join(pkg.dir, target) + postfix, importer
        return target + postfix, importer

    def browser_mapping(self, specifier: str, importer: str | None, *,
                        is_file_path: bool) -> Resolution | None:
        """Vite's ``tryResolveBrowserMapping``: the importer's package ``browser`` map.

        ``specifier`` is an absolute path (a resolved relative import) when
        ``is_file_path``, else a bare name. Client environments only.
        """
        if not importer or not self.options.browser:
            return None
        pkg = self.cache.nearest(os.path.dirname(split_postfix(importer)[0]))
        if pkg is None or pkg.browser_map is None:
            return None
        postfix = ""
        if is_file_path:
            specifier, postfix = split_postfix(specifier)
            key = "./" + to_posix(os.path.relpath(specifier, pkg.dir))
        else:
            key = specifier
        mapped = map_with_browser_field(key, pkg.browser_map)
        if mapped is False:
            return Resolution(id=BROWSER_EXTERNAL_ID, path="", package=pkg, browser_external=True)
        if not mapped:
            return None
        if BARE_IMPORT_RE.match(mapped):
            return self.resolve_bare(mapped, importer)
        found = self.resolve_file(posixpath.join(pkg.dir, mapped) + postfix)
        return self._file_resolution(found) if found else None


def _split_resolved(id: str) -> tuple[str, str]:
    # A resolved id is a file plus a postfix; a '#' may belong to the file
    # name in node_modules (see resolve_file), so check before splitting there.
    if "#" in id:
        q = id.find("?")
        file = id[:q] if q >= 0 else id
        if os.path.isfile(file):
            return file, id[len(file):]
    return split_postfix(id)


def _kind(path: str) -> str | None:
    """``"file"``, ``"dir"`` or ``None``, from one ``stat`` (symlinks followed)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISREG(mode):
        return "file"
    return "dir" if stat.S_ISDIR(mode) else None
