"""The ``flask vite`` command group."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from .errors import ViteError

vite_cli = AppGroup("vite", help="Vite for Flask: install front-end packages, build, inspect.")


@vite_cli.command("info")
def info_command() -> None:
    """Show the resolved VITE_* settings and the esbuild binary in use."""
    from .esbuild.binary import ESBUILD_VERSION, find_esbuild

    state = current_app.extensions.get("vite")
    if state is None:
        raise click.ClickException(
            "This Flask app does not use flask-vite. Call FlaskVite(app) or"
            " vite.init_app(app) in your app factory."
        )
    config = state.config
    for field in config.__dataclass_fields__:
        click.echo(f"{field:22} {getattr(config, field)}")
    try:
        path = find_esbuild(config.root, binary=config.esbuild_binary, download=False)
        click.echo(f"{'esbuild':22} {ESBUILD_VERSION} at {path}")
    except ViteError as e:
        click.echo(f"{'esbuild':22} {e}")


def _register_npm_commands() -> None:
    from .npm.commands import add_command, install_command, remove_command

    vite_cli.add_command(install_command, "install")
    vite_cli.add_command(add_command, "add")
    vite_cli.add_command(remove_command, "remove")


_register_npm_commands()

# flask vite build (flask_vite/build/command.py)
from .build.command import build_command  # noqa: E402

vite_cli.add_command(build_command, "build")


from .production.preview import preview_command  # noqa: E402 - the production runtime's command

vite_cli.add_command(preview_command)
