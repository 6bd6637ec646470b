"""Runs the plugins' hooks for one environment, the way Vite does.

``resolve_id`` and ``load`` stop at the first plugin that returns something;
``transform`` threads the code through every plugin and chains their source
maps. Hooks receive a :class:`HookContext` (Rollup's ``this``).
"""
from __future__ import annotations

import logging
import typing as t

from ..errors import ViteError
from ..plugin import LoadResult, Plugin, ResolvedId, ResolveOptions
from ..sourcemap import LazySourceMap, combine_maps

if t.TYPE_CHECKING:
    from ..config import ViteConfig
    from .environment import DevEnvironment

logger = logging.getLogger("flask_vite.plugins")


class PluginError(ViteError):
    """A plugin hook failed. Carries the plugin's name, the hook and the module id."""

    code = "PLUGIN_ERROR"

    def __init__(self, plugin: str, hook: str, id: str | None, cause: BaseException) -> None:
        where = f" while processing {id}" if id else ""
        super().__init__(f"[plugin {plugin}] {hook} failed{where}: {cause}")
        self.plugin = plugin
        self.hook = hook
        self.id = id
        self.__cause__ = cause


def sort_plugins(plugins: t.Iterable[Plugin]) -> list[Plugin]:
    """Order by ``enforce``: pre, then normal, then post (stable within each)."""
    rank = {"pre": 0, None: 1, "post": 2}
    return sorted(plugins, key=lambda p: rank.get(getattr(p, "enforce", None), 1))


class HookContext:
    """The context one hook call sees. See :class:`flask_vite.plugin.PluginContext`."""

    def __init__(self, container: PluginContainer, plugin: Plugin, module_id: str | None = None) -> None:
        self._container = container
        self._plugin = plugin
        self._module_id = module_id
        #: Files added with :meth:`add_watch_file` during this hook.
        self.watch_files: list[str] = []
        self._maps: list[t.Any] = []

    @property
    def combined_map(self) -> dict[str, t.Any] | None:
        """The map from the code this ``transform`` hook receives to the original source
        (Rollup's ``getCombinedSourcemap``)."""
        return combine_maps(self._maps)

    @property
    def ssr(self) -> bool:
        return self._container.ssr

    @property
    def environment(self) -> DevEnvironment | None:
        return self._container.environment

    @property
    def config(self) -> ViteConfig:
        return self._container.config

    def resolve(self, source: str, importer: str | None = None, *, skip_self: bool = True,
                options: ResolveOptions | None = None) -> ResolvedId | None:
        options = options or ResolveOptions(ssr=self.ssr)
        if skip_self:
            options = ResolveOptions(ssr=options.ssr, is_entry=options.is_entry,
                                     attributes=options.attributes, custom=options.custom,
                                     skip=options.skip | {self._plugin.name})
        return self._container.resolve_id(source, importer, options)

    def add_watch_file(self, path: str) -> None:
        self.watch_files.append(path)
        self._container.watch_files.append((self._module_id, path))

    def emit_file(self, *, type: str = "asset", file_name: str | None = None,
                  name: str | None = None, source: str | bytes = b"") -> str:
        # In dev, emitted files are not written anywhere (as in Vite's serve mode).
        return file_name or name or ""

    def get_module_info(self, id: str) -> t.Any:
        env = self._container.environment
        return None if env is None else env.module_graph.get_module_by_id(id)

    def warn(self, message: str) -> None:
        logger.warning("[plugin %s] %s", self._plugin.name, message)

    def error(self, message: str) -> t.NoReturn:
        raise ViteError(f"[plugin {self._plugin.name}] {message}", code="PLUGIN_ERROR")


class PluginContainer:
    """The hooks of one environment's plugins."""

    def __init__(self, plugins: t.Sequence[Plugin], config: ViteConfig, *, ssr: bool = False,
                 environment: DevEnvironment | None = None) -> None:
        self.plugins = sort_plugins(plugins)
        self.config = config
        self.ssr = ssr
        self.environment = environment
        #: (module id, file) pairs recorded by ``ctx.add_watch_file``; drained by the caller.
        self.watch_files: list[tuple[str | None, str]] = []
        self._resolvers = [p for p in self.plugins if _overrides(p, "resolve_id")]
        self._loaders = [p for p in self.plugins if _overrides(p, "load")]
        self._transformers = [p for p in self.plugins if _overrides(p, "transform")]

    def build_start(self) -> None:
        for plugin in self.plugins:
            if _overrides(plugin, "build_start"):
                self._call(plugin, "build_start", None, HookContext(self, plugin))

    def resolve_id(self, source: str, importer: str | None = None,
                   options: ResolveOptions | None = None) -> ResolvedId | None:
        """The first plugin's answer for ``source``, or ``None`` if no plugin resolves it."""
        if importer is None:
            importer = str(self.config.root / "index.html")
        options = options or ResolveOptions(ssr=self.ssr)
        for plugin in self._resolvers:
            if plugin.name in options.skip:
                continue
            ctx = HookContext(self, plugin, importer)
            result = self._call(plugin, "resolve_id", importer, ctx, source, importer, options)
            if result is None:
                continue
            if isinstance(result, str):
                return ResolvedId(result)
            if isinstance(result, ResolvedId):
                return result
            raise PluginError(plugin.name, "resolve_id", importer, TypeError(
                f"resolve_id must return a str, a ResolvedId or None, not {type(result).__name__}"))
        return None

    def load(self, id: str) -> LoadResult | None:
        for plugin in self._loaders:
            result = self._call(plugin, "load", id, HookContext(self, plugin, id), id)
            if result is None:
                continue
            return _as_load_result(plugin, "load", id, result)
        return None

    def transform(self, code: str, id: str, map: t.Mapping[str, t.Any] | str | None = None) -> LoadResult:
        """Run every ``transform`` hook; the returned map goes back to the original source."""
        maps: list[t.Any] = [map] if map else []
        meta: dict[str, t.Any] = {}
        for plugin in self._transformers:
            ctx = HookContext(self, plugin, id)
            ctx._maps = maps
            result = self._call(plugin, "transform", id, ctx, code, id)
            if result is None:
                continue
            out = _as_load_result(plugin, "transform", id, result)
            meta.update(out.meta)
            if out.meta.get("replaces_map"):
                # The plugin mapped its output straight to the original source
                # (through ctx.combined_map): start the chain again from it.
                maps = [out.map]
            elif out.code != code or out.map:
                maps.append(out.map)  # None: this step's map is unknown
            code = out.code
        meta.pop("replaces_map", None)
        if len(maps) == 1 and isinstance(maps[0], LazySourceMap):
            return LoadResult(code, maps[0], meta)  # left unread until needed
        return LoadResult(code, combine_maps(maps) if maps else None, meta)

    def transform_index_html(self, html: str, url: str,
                             stage: t.Literal["pre", "post"] | None = None) -> str:
        """Run the ``transform_index_html`` hooks: all of them, or the hooks of
        one stage -- ``"pre"`` (ordered ``"pre"``) or ``"post"`` (the others,
        ``"post"``-ordered ones last), around the dev server's own rewrites."""
        rank = {"pre": 0, None: 1, "post": 2}
        plugins = sorted(self.plugins, key=lambda p: rank.get(
            getattr(p, "transform_index_html_order", None), 1))
        for plugin in plugins:
            order = getattr(plugin, "transform_index_html_order", None)
            if stage is not None and (order == "pre") != (stage == "pre"):
                continue
            if _overrides(plugin, "transform_index_html"):
                result = self._call(plugin, "transform_index_html", url,
                                    HookContext(self, plugin), html, url)
                if result is not None:
                    html = result
        return html

    def _call(self, plugin: Plugin, hook: str, id: str | None, *args: t.Any) -> t.Any:
        try:
            return getattr(plugin, hook)(*args)
        except ViteError:
            raise
        except Exception as e:
            raise PluginError(plugin.name, hook, id, e) from e


def _overrides(plugin: object, hook: str) -> bool:
    """Whether ``plugin`` defines ``hook`` (not just inherits the no-op)."""
    method = getattr(type(plugin), hook, None)
    if method is None:
        return callable(getattr(plugin, hook, None))
    return method is not getattr(Plugin, hook, None)


def _as_load_result(plugin: Plugin, hook: str, id: str, result: t.Any) -> LoadResult:
    if isinstance(result, str):
        return LoadResult(result)
    if isinstance(result, LoadResult):
        return result
    if isinstance(result, dict) and "code" in result:
        return LoadResult(result["code"], result.get("map"), result.get("meta") or {})
    raise PluginError(plugin.name, hook, id, TypeError(
        f"{hook} must return a str, a LoadResult or None, not {type(result).__name__}"))
