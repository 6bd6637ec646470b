"""The ``flask vite build`` command."""
from __future__ import annotations

import sys
import time
import typing as t
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..errors import ViteError


def _routes(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
            ) -> tuple[str, ...] | None:
    """``--prerender`` values: comma-separated routes, checked; ``None`` when not given."""
    from ..prerender_routes import check_routes

    if not values:
        return None
    try:
        return check_routes(r.strip() for value in values for r in value.split(",") if r.strip())
    except ValueError as e:
        raise click.BadParameter(str(e), ctx, param) from None


@click.command("build")
@click.option("--ssr", "ssr", metavar="ENTRY", default=None,
              help="Build the SSR bundle of ENTRY (relative to VITE_ROOT) for V8. Alone, only"
                   " the server bundle is built; with --app, after the client.")
@click.option("--app", "all_environments", is_flag=True,
              help="Build every environment in order: the client, then the SSR bundle"
                   " (--ssr, or VITE_SSR_ENTRY).")
@click.option("--mode", default=None, help="The mode (.env.[mode]); default: VITE_MODE or"
                                           " production.")
@click.option("--outdir", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Output folder (client/ and server/ inside); default VITE_OUT_DIR.")
@click.option("--sourcemap/--no-sourcemap", default=None,
              help="Write source maps (default: VITE_BUILD_SOURCEMAP).")
@click.option("--sri/--no-sri", default=None,
              help="Add sha384 integrity to the manifest and HTML (default: VITE_BUILD_SRI).")
@click.option("--minify/--no-minify", default=True, show_default=True,
              help="Minify the client's JavaScript and CSS.")
@click.option("--prerender", "prerender", metavar="ROUTES", multiple=True, callback=_routes,
              help="After the SSR build, render these URL paths (comma-separated, or the option"
                   " repeated: --prerender /,/about) with it, as vite.render() would in"
                   " production, and write them to dist/prerendered/: / -> index.html, /about ->"
                   " about.html, /docs/ -> docs/index.html. The production app and 'flask vite"
                   " preview' serve them ahead of the views. Needs an SSR build (--ssr ENTRY, or"
                   " VITE_SSR_ENTRY). Default: VITE_PRERENDER; --prerender '' for none.")
@click.option("--watch", is_flag=True, help="Build again whenever a file under the root changes.")
@with_appcontext
def build_command(ssr: str | None, all_environments: bool, mode: str | None,
                  out_dir: Path | None, sourcemap: bool | None, sri: bool | None, minify: bool,
                  prerender: tuple[str, ...] | None, watch: bool) -> None:
    """Build the front end for production: dist/client (hashed assets,
    index.html, .vite/manifest.json) and, with an SSR entry, dist/server,
    then, with routes to prerender, their pages in dist/prerendered.

    Without options: the client, then the SSR bundle when VITE_SSR_ENTRY is
    set. --ssr ENTRY builds only the server bundle, as `vite build --ssr` does.
    """
    from .builder import build

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if "vite" not in app.extensions:
        raise click.ClickException(
            "This Flask app does not use flask-vite. Call FlaskVite(app) or"
            " vite.init_app(app) in your app factory.")
    client = all_environments or ssr is None
    config = app.extensions["vite"].config
    if ssr is None and client:
        ssr = config.ssr_entry
    routes = config.prerender if prerender is None else prerender
    if routes and not ssr:
        where = "--prerender" if prerender is not None else "VITE_PRERENDER"
        raise click.UsageError(
            f"{where} needs an SSR build to render the pages with: pass --ssr ENTRY (with --app"
            " for the client too) or set VITE_SSR_ENTRY.")

    def run() -> bool:
        try:
            build(app, client=client, ssr=ssr, mode=mode, out_dir=out_dir, minify=minify,
                  sourcemap=sourcemap, sri=sri, prerender=routes)
        except ViteError as e:
            click.echo(click.style("error during build:", fg="red", bold=True), err=True)
            click.echo(str(e), err=True)
            return False
        return True

    ok = run()
    if not watch:
        if not ok:
            sys.exit(1)
        return
    _watch(app.extensions["vite"].config, out_dir, run)


def _watch(config: t.Any, out_dir: Path | None, run: t.Callable[[], bool]) -> None:
    """Rebuild on every change under the root (the output folder and
    ``node_modules`` aside), until interrupted."""
    import watchfiles

    skip = [(out_dir or config.out_dir).resolve(), (config.root / "node_modules").resolve(),
            config.cache_dir.resolve()]

    def wanted(change: t.Any, path: str) -> bool:
        resolved = Path(path)
        return not any(resolved == s or s in resolved.parents for s in skip) \
            and "/.git/" not in path

    click.echo(click.style("watching for file changes...", dim=True))
    try:
        for changes in watchfiles.watch(config.root, watch_filter=wanted, debounce=100):
            started = time.perf_counter()
            files = sorted({Path(p).name for _, p in changes})
            click.echo(click.style(f"\nchanged: {', '.join(files[:5])}", dim=True))
            run()
            click.echo(click.style(f"rebuilt in {time.perf_counter() - started:.2f}s;"
                                   " watching for file changes...", dim=True))
    except KeyboardInterrupt:
        pass
