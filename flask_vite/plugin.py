"""The Python plugin API: Rollup-style hooks, as Vite runs them.

A plugin is an object with a ``name`` and any of the hook methods below;
subclass :class:`Plugin` for the defaults. Every hook takes a
:class:`PluginContext` first (Rollup's ``this``)::

    class VirtualGreeting(Plugin):
        name = "virtual-greeting"

        def resolve_id(self, ctx, source, importer, options):
            if source == "virtual:greeting":
                return "\\0virtual:greeting"
            return None

        def load(self, ctx, id):
            if id == "\\0virtual:greeting":
                return f"export default {'ssr' if ctx.ssr else 'client'!r}"
            return None

    FlaskVite(app, plugins=[VirtualGreeting()])

Hook order, as in Vite: ``resolve_id`` and ``load`` are *first* hooks (the
first plugin returning something other than ``None`` wins); ``transform``
runs every plugin in turn, each receiving the previous one's code. Plugins
are sorted by ``enforce``: ``"pre"`` plugins, then core plugins, then normal
ones, then ``"post"`` ones (import analysis always runs last).
"""
from __future__ import annotations

import dataclasses
import typing as t

if t.TYPE_CHECKING:
    from .config import ViteConfig


@dataclasses.dataclass
class ResolveOptions:
    """Third argument of ``resolve_id``."""

    #: Resolving for the ``ssr`` environment.
    ssr: bool = False
    #: The module is an entry point (an HTML ``<script>`` or a build entry).
    is_entry: bool = False
    #: Import attributes (``with { type: "json" }``).
    attributes: dict[str, str] = dataclasses.field(default_factory=dict)
    #: Arbitrary data passed down by ``ctx.resolve(..., custom=...)``.
    custom: dict[str, t.Any] = dataclasses.field(default_factory=dict)
    #: Names of plugins to skip (set by ``ctx.resolve(skip_self=True)``).
    skip: frozenset[str] = frozenset()


@dataclasses.dataclass
class ResolvedId:
    """What ``resolve_id`` may return instead of a plain id string."""

    id: str
    #: Leave the import as it is (a URL, or a dependency the runner loads itself).
    external: bool = False
    meta: dict[str, t.Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class LoadResult:
    """What ``load`` and ``transform`` may return instead of a plain code string."""

    code: str
    #: A source map (JSON string, dict, or any mapping such as
    #: :class:`~flask_vite.sourcemap.LazySourceMap`) from the returned code to its input.
    map: str | t.Mapping[str, t.Any] | None = None
    meta: dict[str, t.Any] = dataclasses.field(default_factory=dict)


#: ``resolve_id`` returns one of these.
ResolveIdReturn = t.Union[str, ResolvedId, None]
#: ``load`` and ``transform`` return one of these.
LoadReturn = t.Union[str, LoadResult, None]


class PluginContext(t.Protocol):
    """What a hook can reach (Rollup's ``this``).

    The dev server, the SSR runner and the build each give their own
    implementation.
    """

    @property
    def ssr(self) -> bool:
        """Whether the hook runs for the ``ssr`` environment."""

    @property
    def environment(self) -> t.Any:
        """The environment (``client``, ``ssr``, …) the hook runs in."""

    @property
    def config(self) -> ViteConfig:
        """The resolved settings."""

    def resolve(
        self, source: str, importer: str | None = None, *, skip_self: bool = True,
        options: ResolveOptions | None = None,
    ) -> ResolvedId | None:
        """Run the ``resolve_id`` hooks of all plugins (by default not the calling one)."""

    def add_watch_file(self, path: str) -> None:
        """Also invalidate the current module when ``path`` changes."""

    def emit_file(self, *, type: str = "asset", file_name: str | None = None,
                  name: str | None = None, source: str | bytes = b"") -> str:
        """Emit a file into the build output; returns its reference id."""

    def get_module_info(self, id: str) -> t.Any:
        """The module graph's node for ``id``, or ``None``."""

    def warn(self, message: str) -> None:
        """Log a warning attributed to the plugin."""

    def error(self, message: str) -> t.NoReturn:
        """Fail the current hook with a message attributed to the plugin."""


class Plugin:
    """Base class with every hook doing nothing.

    Subclasses override what they need. ``apply`` restricts a plugin to
    ``"serve"`` (dev) or ``"build"``.
    """

    name: str = "unnamed-plugin"
    enforce: t.Literal["pre", "post"] | None = None
    apply: t.Literal["serve", "build"] | None = None
    #: When ``transform_index_html`` runs (Vite's hook ``order``): ``"pre"``
    #: sees the HTML as written, before the dev server's own rewrites (inline
    #: module scripts proxied, ``/@vite/client`` injected); otherwise after
    #: them, ``"post"`` hooks last.
    transform_index_html_order: t.Literal["pre", "post"] | None = None
    #: When ``build_app`` runs (Vite's hook ``order``): ``"pre"`` and unset
    #: hooks before the environments are built, ``"post"`` hooks after.
    build_app_order: t.Literal["pre", "post"] | None = None

    # -- config -------------------------------------------------------------
    def config(self, config: dict[str, t.Any], env: dict[str, t.Any]) -> dict[str, t.Any] | None:
        """Vite's ``config`` hook: called before the settings are resolved with
        the app's ``VITE_*`` values (``config``) and ``env`` (``{"command":
        "serve" | "build", "dev": bool}``); return keys to set, e.g.
        ``{"VITE_OPTIMIZE_DEPS_INCLUDE": [...]}``. Values the app set itself
        are not overridden, as a plugin's defaults should not be."""
        return None

    def config_resolved(self, config: ViteConfig) -> None:
        """Called once with the resolved settings."""

    def configure_server(self, server: t.Any) -> None:
        """Called once when the dev server is set up (dev only)."""

    # -- module pipeline -----------------------------------------------------
    def build_start(self, ctx: PluginContext) -> None:
        """Called before the first module is processed."""

    def resolve_id(
        self, ctx: PluginContext, source: str, importer: str | None, options: ResolveOptions
    ) -> ResolveIdReturn:
        """Map an import specifier to a module id (usually an absolute path)."""
        return None

    def load(self, ctx: PluginContext, id: str) -> LoadReturn:
        """Return a module's source; ``None`` to let the next plugin (or the disk) do it."""
        return None

    def transform(self, ctx: PluginContext, code: str, id: str) -> LoadReturn:
        """Return changed code (and a source map), or ``None`` for no change."""
        return None

    def build_end(self, ctx: PluginContext, error: BaseException | None) -> None:
        """Called after the last module, with the error that stopped the build, if any."""

    def build_app(self, builder: t.Any) -> None:
        """Vite's ``buildApp``: called once per ``flask vite build`` with the
        :class:`~flask_vite.build.builder.AppBuilder`. A hook may build
        environments itself, in its own order (``builder.build("ssr")``);
        afterwards every requested environment not built yet is built, then
        the ``"post"`` hooks run (with ``builder.result`` filled in)."""

    # -- HTML and HMR --------------------------------------------------------
    def transform_index_html(self, ctx: PluginContext, html: str, url: str) -> str | None:
        """Return changed HTML for a served or built ``index.html``."""
        return None

    def handle_hot_update(self, ctx: PluginContext, update: t.Any) -> t.Any:
        """Filter or replace the modules affected by a file change."""
        return None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
