"""``flask vite preview``: the production build, served locally.

Vite's ``vite preview``, for a Flask app: the app itself runs in production
mode (built templates and SSR bundles, static files from ``dist/client``,
the pages of ``dist/prerendered`` ahead of the views) on Werkzeug's threaded server, to check a build before deploying it. Not a
production server: use gunicorn (``gunicorn -k gevent 'app:create_app()'``).
"""
from __future__ import annotations

import typing as t
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

if t.TYPE_CHECKING:
    from flask import Flask

#: ``vite preview``'s port.
DEFAULT_PORT = 4173


@click.command("preview")
@click.option("--host", "-h", default="127.0.0.1", show_default=True, help="The interface to bind to.")
@click.option("--port", "-p", default=DEFAULT_PORT, show_default=True, type=int,
              help="The port to bind to (0: any free port).")
@with_appcontext
def preview_command(host: str, port: int) -> None:
    """Serve the production build (run 'flask vite build' first)."""
    from werkzeug.serving import make_server

    from ..prerender_routes import PRERENDERED_DIR
    from .static import static_base_path

    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    state = app.extensions.get("vite")
    if state is None:
        raise click.ClickException(
            "This Flask app does not use flask-vite. Call FlaskVite(app) or vite.init_app(app)"
            " in your app factory.")
    config = state.config
    if config.dev:
        raise click.ClickException(
            "VITE_DEV is on, so the app would run the dev server. The preview serves the build:"
            " run it without --debug / FLASK_DEBUG, or set VITE_DEV=False.")
    client = config.out_dir / "client"
    if not client.is_dir():
        raise click.ClickException(f"No build at {client}. Run 'flask vite build' first.")
    server = make_server(host, port, app, threaded=True)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"  flask-vite preview of {client}")
    click.echo(f"  Local:   http://{shown}:{server.port}{static_base_path(config.base)}")
    pages = _prerendered(config.out_dir / PRERENDERED_DIR) if config.serve_static else []
    if pages:
        click.echo(f"  Prerendered: {', '.join(pages[:8])}{' …' if len(pages) > 8 else ''}")
    click.echo("  Press CTRL+C to stop", nl=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        state.close()


def _prerendered(folder: Path) -> list[str]:
    """The URL paths of the pages in ``folder``."""
    from ..prerender_routes import page_path

    if not folder.is_dir():
        return []
    files = (f.relative_to(folder).as_posix() for f in folder.rglob("*.html"))
    return sorted(page_path(rel) for rel in files if not any(p.startswith(".") for p in rel.split("/")))
