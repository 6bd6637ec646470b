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
"""
from __future__ import annotations

import dataclasses
import typing as t
from pathlib import Path

from .client import ClientBuildResult, build_client
from .environment import BuildEnvironment
from .options import BuildOptions, build_config, environment_define
from .plugins import build_plugins
from .prerender import PrerenderError, PrerenderResult, prerender_pages, remove_stale_pages
from .report import Reporter
from .ssr import SsrBuildResult, build_ssr

if t.TYPE_CHECKING:
    from flask import Flask

    from ..config import ViteConfig
    from ..esbuild.service import EsbuildService
    from ..plugin import Plugin


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
    result = BuildResult()
    if client:
        environment, html_proxy = make_environment("client", config, plugins, esbuild)
        result.client = build_client(environment, html_proxy, options, reporter)
    if ssr:
        if client:
            reporter.line("")
        environment, _ = make_environment("ssr", config, plugins, esbuild)
        result.ssr = build_ssr(environment, ssr, options, reporter)
    if prerender and ssr:
        reporter.line("")
        result.prerender = prerender_pages(config, ssr, prerender, options, reporter)
    else:
        remove_stale_pages(config, options, reporter)
    return result


def make_environment(name: str, config: ViteConfig, user_plugins: t.Sequence[Plugin],
                     esbuild: EsbuildService) -> tuple[BuildEnvironment, t.Any]:
    """A build environment with its plugins and ``define`` values."""
    ssr = name != "client"
    plugins, plugin_define, html_proxy = build_plugins(config, user_plugins, ssr=ssr)
    environment = BuildEnvironment(name, config, plugins, esbuild,
                                   define=environment_define(config, ssr, plugin_define),
                                   emit_assets=not ssr)
    return environment, html_proxy
