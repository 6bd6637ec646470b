"""Building every environment in order (Vite's ``createBuilder().buildApp()``).

:func:`build` is what ``flask vite build`` runs, and what a script can call::

    from flask_vite.build.builder import build

    result = build(app)                                  # client (+ SSR if configured)
    result = build(app, ssr="src/entry-server.tsx", client=False)
    result = build(app, ssr="src/entry-server.tsx", prerender=["/", "/about"])

Each environment gets fresh plugin state from the app's plugin list
(``FlaskVite(plugins=[...])``) and runs ``build_start`` before its first
module and ``build_end`` after its files are written (with the error, if it
failed), client first, so the SSR bundle is built knowing the client's
assets are in place. Then, with routes to prerender, the pages are
rendered by the SSR bundle (:mod:`.prerender`).

Plugins' ``build_app`` hooks (Vite's ``buildApp``) frame this: ``"pre"``
and unordered hooks run first and may build environments themselves
(:meth:`AppBuilder.build`); what they left is built as above; ``"post"``
hooks run last, with the results.
"""
from __future__ import annotations

import dataclasses
import typing as t
from pathlib import Path

from ..errors import ViteError
from ..plugin import Plugin
from ..server.plugin_container import PluginError
from .client import ClientBuildResult, build_client
from .environment import BuildEnvironment, BuildError
from .options import BuildOptions, build_config, environment_define
from .plugins import build_plugins
from .prerender import PrerenderError, PrerenderResult, prerender_pages, remove_stale_pages
from .report import Reporter
from .ssr import SsrBuildResult, build_ssr

if t.TYPE_CHECKING:
    from flask import Flask

    from ..config import ViteConfig
    from ..esbuild.service import EsbuildService


@dataclasses.dataclass
class BuildResult:
    client: ClientBuildResult | None = None
    ssr: SsrBuildResult | None = None
    prerender: PrerenderResult | None = None


def build(app: Flask, *, client: bool = True, ssr: str | None = None, mode: str | None = None,
          out_dir: Path | str | None = None, minify: bool = True,
          sourcemap: bool | None = None, sri: bool | None = None,
          prerender: t.Sequence[str] | None = None, reporter: Reporter | None = None
          ) -> BuildResult:
    """Build the front end of a Flask app that uses :class:`~flask_vite.FlaskVite`.

    :param client: Build the client environment (``dist/client``).
    :param ssr: The SSR entry (relative to the root); default ``VITE_SSR_ENTRY``.
        ``None`` and no setting: no SSR build.
    :param mode: The mode (``.env.[mode]``); default ``VITE_MODE`` or ``production``.
    :param out_dir: Default ``VITE_OUT_DIR``.
    :param sourcemap: Default ``VITE_BUILD_SOURCEMAP``.
    :param sri: Default ``VITE_BUILD_SRI``.
    :param prerender: URL paths to write as static pages with the SSR bundle
        (``["/", "/about"]``); default ``VITE_PRERENDER``. Needs an SSR build.
    :raises ~flask_vite.build.environment.BuildError: with esbuild's located messages.
    :raises ~flask_vite.build.prerender.PrerenderError: a bad route, no SSR
        build to render with, or a render that failed (named).
    """
    state = app.extensions.get("vite")
    if state is None:
        raise RuntimeError("This Flask app does not use flask-vite. Call FlaskVite(app) or"
                           " vite.init_app(app) in your app factory.")
    config: ViteConfig = state.config
    explicit_mode = mode or app.config.get("VITE_MODE")
    options = BuildOptions(
        out_dir=Path(out_dir).resolve() if out_dir is not None else config.out_dir,
        minify=minify,
        sourcemap=config.build_sourcemap if sourcemap is None else sourcemap,
        sri=config.build_sri if sri is None else sri)
    if ssr is None:
        ssr = config.ssr_entry
    if prerender is None:
        routes = config.prerender
    else:
        from ..prerender_routes import check_routes

        try:
            routes = check_routes(prerender)
        except ValueError as e:
            raise PrerenderError(f"Cannot prerender: {e}.") from None
    return build_environments(config, state.extension.plugins, state.esbuild, options,
                              client=client, ssr=ssr, mode=explicit_mode, prerender=routes,
                              reporter=reporter or Reporter())


def build_environments(config: ViteConfig, plugins: t.Sequence[Plugin], esbuild: EsbuildService,
                       options: BuildOptions, *, client: bool = True, ssr: str | None = None,
                       mode: str | None = None, prerender: t.Sequence[str] = (),
                       reporter: Reporter | None = None) -> BuildResult:
    """:func:`build` without a Flask app: the settings, plugins and esbuild
    service given; ``prerender``: checked routes."""
    reporter = reporter or Reporter()
    if prerender and not ssr:
        raise PrerenderError(
            f"Cannot prerender {', '.join(prerender)} without an SSR build to render with: pass"
            " the SSR entry (flask vite build --app --ssr src/entry-server.tsx) or set VITE_SSR_ENTRY.")
    config = build_config(config, mode=mode)
    for plugin in plugins:
        plugin.config_resolved(config)
    builder = AppBuilder(config, plugins, esbuild, options, reporter,
                         ssr_entry=ssr, requested=(*(("client",) if client else ()),
                                                   *(("ssr",) if ssr else ())))
    hooks = [p for p in plugins if getattr(p, "apply", None) != "serve"
             and type(p).build_app is not Plugin.build_app]
    for plugin in sorted(hooks, key=lambda p: 0 if p.build_app_order == "pre" else 1):
        if plugin.build_app_order != "post":
            _call_build_app(plugin, builder)
    for name in builder.requested:
        if name not in builder.built:
            builder.build(name)
    result = builder.result
    if prerender and ssr:
        reporter.line("")
        result.prerender = prerender_pages(config, ssr, prerender, options, reporter)
    else:
        remove_stale_pages(config, options, reporter)
    for plugin in hooks:
        if plugin.build_app_order == "post":
            _call_build_app(plugin, builder)
    return result


def _call_build_app(plugin: Plugin, builder: AppBuilder) -> None:
    try:
        plugin.build_app(builder)
    except ViteError:
        raise
    except Exception as e:
        raise PluginError(plugin.name, "build_app", None, e) from e


class AppBuilder:
    """What ``build_app`` plugin hooks get (Vite's ``ViteBuilder``): the
    environments to build and a way to build one now."""

    #: Environment names, in the order they are built by default.
    ENVIRONMENTS = ("client", "ssr")

    def __init__(self, config: ViteConfig, plugins: t.Sequence[Plugin], esbuild: EsbuildService,
                 options: BuildOptions, reporter: Reporter, *, ssr_entry: str | None,
                 requested: t.Sequence[str]) -> None:
        self.config = config
        self.options = options
        #: The environments this build was asked for (``client``, ``ssr``).
        self.requested = tuple(requested)
        #: Those built so far, in order.
        self.built: list[str] = []
        #: The results so far.
        self.result = BuildResult()
        self._plugins = plugins
        self._esbuild = esbuild
        self._reporter = reporter
        self._ssr_entry = ssr_entry

    def build(self, name: str) -> ClientBuildResult | SsrBuildResult:
        """Build the environment ``name`` (``"client"`` or ``"ssr"``) now.

        :raises BuildError: for another name, or ``"ssr"`` without an SSR
            entry (``--ssr`` or ``VITE_SSR_ENTRY``).
        """
        if name not in self.ENVIRONMENTS:
            raise BuildError(f"There is no build environment {name!r};"
                             f" there are {', '.join(map(repr, self.ENVIRONMENTS))}.")
        if self.built:
            self._reporter.line("")
        environment, html_proxy = make_environment(name, self.config, self._plugins, self._esbuild)
        built: ClientBuildResult | SsrBuildResult
        if name == "client":
            built = self.result.client = build_client(
                environment, html_proxy, self.options, self._reporter)
        else:
            if not self._ssr_entry:
                raise BuildError("The ssr environment needs an entry: pass --ssr ENTRY"
                                 " (flask vite build --app --ssr src/entry-server.tsx)"
                                 " or set VITE_SSR_ENTRY.")
            built = self.result.ssr = build_ssr(
                environment, self._ssr_entry, self.options, self._reporter)
        self.built.append(name)
        return built


def make_environment(name: str, config: ViteConfig, user_plugins: t.Sequence[Plugin],
                     esbuild: EsbuildService) -> tuple[BuildEnvironment, t.Any]:
    """A build environment with its plugins and ``define`` values."""
    ssr = name != "client"
    plugins, plugin_define, html_proxy = build_plugins(config, user_plugins, ssr=ssr)
    environment = BuildEnvironment(name, config, plugins, esbuild,
                                   define=environment_define(config, ssr, plugin_define),
                                   emit_assets=not ssr)
    return environment, html_proxy
