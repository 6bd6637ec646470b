"""``flask vite install | add | remove``: npm packages without Node.

The commands are plain :class:`click.Command` objects; :mod:`flask_vite.cli`
adds them to the ``vite`` group. They work with a Flask app (the Vite root
comes from the extension's config) and without one (``--root``).
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import sys
import time
import typing as t
from pathlib import Path

import click

from ..errors import ViteError
from .installer import InstallResult, install
from .package_json import add_packages, remove_packages
from .registry import RegistryClient

_root_option = click.option(
    "--root", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Folder with package.json. Default: the app's Vite root, else the current folder.")


def _project(root: Path | None) -> tuple[Path, t.Any]:
    """The Vite root and the app's typed config (``None`` without an app)."""
    from flask import current_app
    from flask.cli import NoAppException, ScriptInfo

    config: t.Any = None
    try:
        config = getattr(current_app.extensions.get("vite"), "config", None)
    except RuntimeError:
        # No app context (the command was added to a plain group): load the
        # app the way `flask` does, if there is one to load.
        ctx = click.get_current_context(silent=True)
        info = ctx.find_object(ScriptInfo) if ctx is not None else None
        if info is not None:
            try:
                app = info.load_app()
            except NoAppException:
                app = None
            if app is not None:
                config = getattr(app.extensions.get("vite"), "config", None)
    if root is None:
        app_root = getattr(config, "root", None)
        root = Path(app_root) if app_root is not None else Path(".")
    return root, config


def _client(project: Path, config: t.Any) -> RegistryClient:
    """``.npmrc`` settings, overridden by the app's ``npm_registry`` /
    ``npm_token`` config values when it has them."""
    return RegistryClient.from_npmrc(project, registry=getattr(config, "npm_registry", None),
                                     token=getattr(config, "npm_token", None))


class _Progress:
    """A click progress bar created once the total is known."""

    def __init__(self) -> None:
        self.stack = contextlib.ExitStack()
        self.bar: t.Any = None
        self.done = 0

    def __call__(self, done: int, total: int, label: str) -> None:
        if self.bar is None:
            bar = click.progressbar(
                length=total, label="Fetching packages", file=sys.stderr)
            self.bar = self.stack.enter_context(bar)
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        self.stack.close()


def _report(result: InstallResult, seconds: float) -> None:
    for warning in result.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    if result.install_scripts:
        click.secho(
            f"{len(result.install_scripts)} package(s) declare install scripts, which flask-vite "
            f"never runs: {', '.join(result.install_scripts)}. Most only build optional native "
            "add-ons; if one is needed, install a prebuilt alternative.", fg="yellow", err=True)
    parts = [f"added {len(result.added)}"]
    if result.removed:
        parts.append(f"removed {len(result.removed)}")
    parts.append(f"{result.kept} unchanged")
    click.echo(f"{', '.join(parts)} in {seconds:.2f}s"
               + (" (package-lock.json updated)" if result.lock_changed else ""))


def _run(action: t.Callable[..., InstallResult], *args: t.Any, **options: t.Any) -> None:
    progress = _Progress()
    start = time.perf_counter()
    try:
        result = action(*args, progress=progress, **options)
    except ViteError as e:
        raise click.ClickException(e.message) from None
    finally:
        progress.close()
    _report(result, time.perf_counter() - start)


@click.command("install", help="Install package.json dependencies into node_modules (no Node).")
@_root_option
@click.option("--production", is_flag=True, help="Leave out devDependencies.")
@click.option("--frozen", is_flag=True,
              help="Fail if package-lock.json does not match package.json; never rewrite it.")
@click.option("--offline", is_flag=True, help="Use only the local cache.")
@click.option("--before", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None,
              help="Only versions published before this date (UTC), like npm --before.")
def install_command(root: Path | None, production: bool, frozen: bool, offline: bool,
                    before: _dt.datetime | None) -> None:
    if before is not None and before.tzinfo is None:
        before = before.replace(tzinfo=_dt.timezone.utc)
    project, config = _project(root)
    _run(install, project, client=_client(project, config), production=production,
         frozen=frozen, offline=offline, before=before)


@click.command("add", help="Add NAME[@RANGE] packages to package.json and install them.")
@click.argument("packages", nargs=-1, required=True)
@_root_option
@click.option("-D", "--dev", is_flag=True, help="Save to devDependencies.")
@click.option("-E", "--exact", is_flag=True, help="Save the exact version, not a ^range.")
def add_command(packages: tuple[str, ...], root: Path | None, dev: bool, exact: bool) -> None:
    project, config = _project(root)
    _run(add_packages, project, packages, client=_client(project, config), dev=dev, exact=exact)


@click.command("remove", help="Remove packages from package.json and node_modules.")
@click.argument("names", nargs=-1, required=True)
@_root_option
def remove_command(names: tuple[str, ...], root: Path | None) -> None:
    project, config = _project(root)
    _run(remove_packages, project, names, client=_client(project, config))
