"""``vite:resolve``: turn an import specifier into a module id.

The order, as in Vite's resolve plugin (``packages/vite/src/node/plugins/resolve.ts``),
with the alias step of ``@rollup/plugin-alias`` first:

1. ``\\0``-prefixed and ``virtual:`` ids are left to the plugin that owns them;
   ids this plugin made up (:data:`BROWSER_EXTERNAL_ID` …) come back as they are;
2. aliases (``{"@": "/abs/src"}`` or a list of ``find``/``replacement``
   entries, regular expressions allowed): the first match rewrites the
   specifier, which is then resolved like any other;
3. ``tsconfig.json`` ``paths`` (and ``baseUrl``) of the importer's config, for
   non-relative specifiers of source files;
4. ``#imports`` of the importer's package;
5. ``/@fs/<abs path>`` → the path, existing or not (a miss is the server's 404);
6. root-absolute ``/src/main.ts`` → ``<root>/src/main.ts``;
7. relative to the importer (from an ``.html`` importer, ``main.ts`` counts as
   relative too), honouring a package's ``browser`` map on the client;
8. ``file://`` URLs and absolute paths;
9. ``http(s)://``, ``//`` and ``data:`` URLs: external;
10. bare imports from ``node_modules`` (:mod:`flask_vite.resolve.node`);
11. Node built-ins that no package shadows: external in SSR; on the client
    ``__vite-browser-external:<name>``, a module that throws a helpful error
    when used (in production an empty module and a warning).

``?query`` and ``#hash`` suffixes survive: ``./a.svg?raw`` → ``/abs/a.svg?raw``.
"""
from __future__ import annotations

import functools
import logging
import os
import posixpath
import re
import threading
import typing as t
from urllib.parse import unquote, urlsplit

from ..plugin import LoadReturn, Plugin, PluginContext, ResolvedId, ResolveIdReturn, ResolveOptions
from ..resolve.errors import TsconfigError
from ..resolve.node import (
    BARE_IMPORT_RE,
    BROWSER_EXTERNAL_ID,
    DEFAULT_CLIENT_CONDITIONS,
    DEFAULT_CLIENT_MAIN_FIELDS,
    DEFAULT_EXTENSIONS,
    DEFAULT_SERVER_CONDITIONS,
    DEFAULT_SERVER_MAIN_FIELDS,
    OPTIONAL_PEER_DEP_ID,
    NodeResolveOptions,
    NodeResolver,
    Resolution,
)
from ..resolve.packages import (
    PackageCache,
    in_node_modules,
    is_node_builtin,
    split_postfix,
    to_posix,
)
from ..resolve.tsconfig import TsconfigCache, paths_candidates

if t.TYPE_CHECKING:
    from ..config import ViteConfig

logger = logging.getLogger("flask_vite.resolve")

#: Prefix of dev-server URLs naming a file by its absolute path.
FS_PREFIX = "/@fs/"

_EXTERNAL_URL_RE = re.compile(r"^(?:https?:)?//", re.I)
_WORD_START_RE = re.compile(r"^\w")
_JS_REPLACEMENT_RE = re.compile(r"\$(\$|&|\d{1,2}|<[^>]*>)")


class AliasEntry(t.NamedTuple):
    """One alias: a string prefix (matching ``find`` or ``find/…``) or a regex."""

    find: str | re.Pattern[str]
    replacement: str


#: What ``ResolvePlugin(alias=...)`` accepts, as Vite's ``resolve.alias`` does.
AliasOption = t.Union[
    t.Mapping[str, str],
    t.Sequence[t.Union[AliasEntry, tuple[t.Any, str], t.Mapping[str, t.Any]]],
]


#: ``finalize_bare(specifier, resolution, importer, ssr)`` → a replacement id or ``None``.
FinalizeBare = t.Callable[[str, Resolution, t.Optional[str], bool], t.Optional[str]]


def normalize_alias(alias: AliasOption | None) -> list[AliasEntry]:
    """Vite's ``normalizeAlias``: a list of :class:`AliasEntry`.

    A pair of string ``find``/``replacement`` both ending in ``/`` lose it, so
    ``{"@/": "/src/"}`` maps ``@/x`` as ``{"@": "/src"}`` would.
    """
    if not alias:
        return []
    items: t.Iterable[t.Any] = alias.items() if isinstance(alias, t.Mapping) else alias
    out = []
    for item in items:
        if isinstance(item, t.Mapping):
            find, replacement = item.get("find"), item.get("replacement")
        else:
            find, replacement = item
        if not isinstance(find, (str, re.Pattern)) or not isinstance(replacement, str):
            raise TypeError(
                f"alias entry {item!r}: expected a find string or regex and a replacement"
                " string, as in {'find': '@', 'replacement': '/abs/src'}."
            )
        if isinstance(find, str) and find.endswith("/") and replacement.endswith("/"):
            find, replacement = find[:-1], replacement[:-1]
        out.append(AliasEntry(find, replacement))
    return out


def apply_alias(entries: t.Sequence[AliasEntry], source: str) -> str | None:
    """The specifier rewritten by the first matching entry, ``None`` if none matches.

    Strings match the whole specifier or a ``find/`` prefix and replace that
    prefix; regexes replace their first match, with JavaScript's ``$1``,
    ``$&``, ``$<name>`` and ``$$`` in the replacement (``\\1`` works too).
    """
    for entry in entries:
        find = entry.find
        if isinstance(find, str):
            if source == find or source.startswith(find + "/"):
                return entry.replacement + source[len(find):]
        else:
            m = find.search(source)
            if m:
                return source[:m.start()] + _expand(entry.replacement, m) + source[m.end():]
    return None


def _expand(replacement: str, m: re.Match[str]) -> str:
    def sub(r: re.Match[str]) -> str:
        token = r.group(1)
        if token == "$":
            return "$"
        if token == "&":
            return m.group()
        if token.startswith("<"):
            return m.groupdict().get(token[1:-1]) or ""
        n = int(token)
        return (m.group(n) or "") if n <= (m.re.groups or 0) else r.group()
    if "\\" in replacement and "$" not in replacement:
        return m.expand(replacement)
    return _JS_REPLACEMENT_RE.sub(sub, replacement)


def fs_path_from_id(id: str) -> str:
    """``/@fs/home/u/x.js`` → ``/home/u/x.js`` (``/@fs/C:/x.js`` → ``C:/x.js``)."""
    path = unquote(id[len(FS_PREFIX):])
    return path if re.match(r"^[A-Za-z]:", path) else "/" + path


class ResolvePlugin(Plugin):
    """The core resolver. Every argument has Vite's default.

    :param alias: ``resolve.alias``.
    :param conditions: client ``resolve.conditions``.
    :param ssr_conditions: ``ssr.resolve.conditions``.
    :param main_fields: client ``resolve.mainFields`` (``main`` is always tried last).
    :param ssr_main_fields: ``ssr.resolve.mainFields``.
    :param extensions: ``resolve.extensions``.
    :param dedupe: ``resolve.dedupe``: packages always resolved from the root.
    :param preserve_symlinks: ``resolve.preserveSymlinks``.
    :param ssr_target: Vite's ``ssr.target``: ``"node"`` (the default) or
        ``"webworker"``, which makes the ``ssr`` environment use the client's
        conditions and main fields (``browser`` builds) unless
        ``ssr_conditions``/``ssr_main_fields`` are given.
    :param tsconfig_paths: honour ``compilerOptions.paths``/``baseUrl`` (Vite 8's
        ``resolve.tsconfigPaths``; on by default here, as in most Vite templates
        with ``vite-tsconfig-paths``).
    """

    name = "vite:resolve"

    def __init__(
        self,
        *,
        alias: AliasOption | None = None,
        conditions: t.Sequence[str] = DEFAULT_CLIENT_CONDITIONS,
        ssr_conditions: t.Sequence[str] | None = None,
        main_fields: t.Sequence[str] = DEFAULT_CLIENT_MAIN_FIELDS,
        ssr_main_fields: t.Sequence[str] | None = None,
        ssr_target: t.Literal["node", "webworker"] = "node",
        extensions: t.Sequence[str] = DEFAULT_EXTENSIONS,
        dedupe: t.Sequence[str] = (),
        preserve_symlinks: bool = False,
        tsconfig_paths: bool = True,
        package_cache: PackageCache | None = None,
        tsconfig_cache: TsconfigCache | None = None,
    ) -> None:
        self.alias = normalize_alias(alias)
        self.conditions = tuple(conditions)
        if ssr_target not in ("node", "webworker"):
            raise ValueError(f'ssr_target must be "node" or "webworker", not {ssr_target!r}.')
        webworker = ssr_target == "webworker"
        self.main_fields = tuple(main_fields)
        self.ssr_conditions = tuple(
            ssr_conditions if ssr_conditions is not None
            else self.conditions if webworker else DEFAULT_SERVER_CONDITIONS)
        self.ssr_main_fields = tuple(
            ssr_main_fields if ssr_main_fields is not None
            else self.main_fields if webworker else DEFAULT_SERVER_MAIN_FIELDS)
        self.extensions = tuple(extensions)
        self.dedupe = tuple(dedupe)
        self.preserve_symlinks = preserve_symlinks
        self.tsconfig_paths = tsconfig_paths
        self.package_cache = package_cache or PackageCache()
        self.tsconfig_cache = tsconfig_cache or TsconfigCache(self.package_cache)
        #: Set by the dependency optimizer: called with ``(specifier, resolution,
        #: importer, ssr)`` for every bare import resolved into ``node_modules``;
        #: a string return replaces the id (the pre-bundled file, say).
        self.finalize_bare: FinalizeBare | None = None
        self._resolvers: dict[tuple[str, bool, bool], NodeResolver] = {}
        self._lock = threading.Lock()
        self._warned: set[str] = set()

    # -- resolvers -------------------------------------------------------------

    def resolver_for(self, config: ViteConfig, ssr: bool) -> NodeResolver:
        """The :class:`NodeResolver` this plugin uses for an environment (shared caches)."""
        root = to_posix(str(config.root))
        production = not config.dev
        key = (root, ssr, production)
        resolver = self._resolvers.get(key)
        if resolver is None:
            options = NodeResolveOptions(
                conditions=self.ssr_conditions if ssr else self.conditions,
                main_fields=self.ssr_main_fields if ssr else self.main_fields,
                extensions=self.extensions, production=production,
                preserve_symlinks=self.preserve_symlinks, dedupe=self.dedupe, root=root,
            )
            resolver = NodeResolver(options, cache=self.package_cache)
            with self._lock:
                resolver = self._resolvers.setdefault(key, resolver)
        return resolver

    # -- hooks -----------------------------------------------------------------

    def resolve_id(self, ctx: PluginContext, source: str, importer: str | None,
                   options: ResolveOptions) -> ResolveIdReturn:
        if source.startswith(("\0", "virtual:", "/virtual:")):
            return None
        if source.startswith((BROWSER_EXTERNAL_ID, OPTIONAL_PEER_DEP_ID)):
            return source
        ssr = bool(options.ssr or ctx.ssr)
        aliased = apply_alias(self.alias, source) if self.alias else None
        if aliased is None or aliased == source:
            return self._resolve(ctx, source, importer, ssr)
        res = self._resolve(ctx, aliased, importer, ssr)
        if res is None:
            # Another plugin may own the aliased id (a virtual module, say).
            resolve = t.cast("t.Callable[..., ResolvedId | None] | None",
                             getattr(ctx, "resolve", None))
            other = resolve(aliased, importer, skip_self=True, options=options) if resolve else None
            if other is not None:
                return other
            if os.path.isabs(aliased):
                return aliased
        return res

    def load(self, ctx: PluginContext, id: str) -> LoadReturn:
        production = not ctx.config.dev
        if id.startswith(BROWSER_EXTERNAL_ID):
            name = id[len(BROWSER_EXTERNAL_ID) + 1:]
            if production or not name:
                return "export default {}\n"
            return (
                "export default new Proxy({}, {\n  get(_, key) {\n    throw new Error("
                f"`Module {_js_str(name)} has been externalized for browser compatibility."
                f" Cannot access {_js_str(name)}.${{String(key)}} in client code. See"
                " https://vite.dev/guide/troubleshooting.html"
                "#module-externalized-for-browser-compatibility"
                " for more details.`)\n  }\n})\n"
            )
        if id.startswith(OPTIONAL_PEER_DEP_ID):
            _, peer, parent = (id.split(":", 2) + ["", ""])[:3]
            if production:
                return "export default {}\n"
            return (f"throw new Error(`Could not resolve {_js_str(peer)} imported by"
                    f" {_js_str(parent)}. Is it installed?`)\n")
        return None

    # -- the steps ---------------------------------------------------------------

    def _resolve(self, ctx: PluginContext, id: str, importer: str | None,
                 ssr: bool) -> ResolveIdReturn:
        config = ctx.config
        resolver = self.resolver_for(config, ssr)
        root = resolver.options.root or ""

        if (self.tsconfig_paths and importer and not id.startswith((".", "/"))
                and not _EXTERNAL_URL_RE.match(id) and not id.startswith("data:")):
            found = self._tsconfig_resolve(ctx, resolver, id, importer)
            if found:
                return found

        if id.startswith("#"):
            mapped = resolver.resolve_subpath_imports(id, importer)
            if mapped is not None:
                id = mapped[0]

        if id.startswith(FS_PREFIX):
            # Explicit: never checked, a missing file is the server's 404.
            return fs_path_from_id(id)

        if id.startswith("/") and (_root_in_root(root) or not id.startswith(root + "/")):
            found = resolver.resolve_file(root + id)
            if found:
                return found

        importer_file = split_postfix(importer)[0] if importer else None
        if id.startswith(".") or (importer_file and importer_file.endswith(".html")
                                  and _WORD_START_RE.match(id)):
            basedir = posixpath.dirname(to_posix(importer_file)) if importer_file else root
            fs_path = _join(basedir, id)
            # The importer's package "browser" map (client, or a webworker ssr target).
            mapped_res = resolver.browser_mapping(fs_path, importer, is_file_path=True)
            if mapped_res is not None:
                return mapped_res.id
            found = resolver.resolve_file(fs_path)
            if found:
                return found

        if id.startswith("file://"):
            file, postfix = split_postfix(id)
            id = unquote(urlsplit(file).path) + postfix

        if os.path.isabs(id):
            found = resolver.resolve_file(id)
            if found:
                return found

        if _EXTERNAL_URL_RE.match(id) or id.startswith("data:"):
            return ResolvedId(id=id, external=True)

        if BARE_IMPORT_RE.match(id):
            return self._bare(ctx, resolver, id, importer, ssr)
        return None

    def _bare(self, ctx: PluginContext, resolver: NodeResolver, id: str,
              importer: str | None, ssr: bool) -> ResolveIdReturn:
        if not ssr:
            optimized = _optimized_source(ctx, id, importer)
            if optimized is not None:
                return optimized
        res = resolver.browser_mapping(id, importer, is_file_path=False)
        if res is None:
            res = resolver.resolve_bare(id, importer)
        if res is not None:
            if self.finalize_bare is not None and res.in_node_modules:
                replaced = self.finalize_bare(id, res, importer, ssr)
                if replaced:
                    return replaced
            return res.id
        if not is_node_builtin(id):
            return None
        if ssr:
            return ResolvedId(id=id, external=True)
        if not ctx.config.dev:
            ctx.warn(
                f'Module "{id}" has been externalized for browser compatibility, imported by'
                f' "{importer}". See https://vite.dev/guide/troubleshooting.html'
                "#module-externalized-for-browser-compatibility for more details."
            )
            return BROWSER_EXTERNAL_ID
        return f"{BROWSER_EXTERNAL_ID}:{id}"

    def _tsconfig_resolve(self, ctx: PluginContext, resolver: NodeResolver, id: str,
                          importer: str) -> str | None:
        importer_file = split_postfix(importer)[0]
        if in_node_modules(importer_file) or not os.path.isabs(importer_file):
            return None
        try:
            ts = self.tsconfig_cache.for_file(importer_file)
        except TsconfigError as e:
            # One bad tsconfig should not stop every import: say it once.
            if str(e) not in self._warned:
                self._warned.add(str(e))
                ctx.warn(f"tsconfig paths are ignored: {e}")
            return None
        if ts.file is None or (not ts.paths and not ts.base_url):
            return None
        # A leading '#' belongs to the specifier ("#types"), not a hash.
        file, postfix = split_postfix(id[1:]) if id.startswith("#") else split_postfix(id)
        if id.startswith("#"):
            file = "#" + file
        for candidate in paths_candidates(ts, file):
            found = resolver.resolve_file(candidate)
            if found:
                return found + postfix
        return None


@functools.lru_cache(maxsize=16)
def _root_in_root(root: str) -> bool:
    # On Unix, "/root/src/x.ts" could be a root-relative URL or an absolute
    # path; only if <root>/<root> exists must the URL reading be tried first.
    return bool(root) and os.path.isdir(os.path.join(root, root.lstrip("/")))


def _join(basedir: str, id: str) -> str:
    file, postfix = split_postfix(id)
    return posixpath.normpath(posixpath.join(basedir, file)) + postfix


def _js_str(value: str) -> str:
    # Inside a JS template literal in double quotes: escape what could end it.
    return '"' + value.replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${") + '"'


def _optimized_source(ctx: PluginContext, id: str, importer: str | None) -> str | None:
    """Vite's ``tryOptimizedResolve``: a bare import the dependency optimizer
    has bundled resolves to the file it was bundled from, without a package
    lookup (every component imports ``react/jsx-dev-runtime``). Only for the
    app's own modules: a package's import of a name may mean a nested copy."""
    if importer is not None and "/node_modules/" in importer:
        return None
    server = getattr(ctx.environment, "server", None)
    metadata = getattr(getattr(server, "optimizer", None), "metadata", None)
    dep = metadata.optimized.get(id) if metadata is not None else None
    return dep.src if dep is not None else None
