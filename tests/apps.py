"""Real users' apps for end-to-end tests: the create-vite templates.

Each template is taken unmodified from its npm package (pinned below,
fetched once into the user cache), and its ``dependencies`` are installed
with flask-vite's own installer.
"""
from __future__ import annotations

import shutil
import typing as t
from pathlib import Path

from flask import Flask

from flask_vite import FlaskVite
from flask_vite.cache import user_cache_dir

CREATE_VITE = ("create-vite", "9.3.0")
CREATE_VITE_EXTRA = ("create-vite-extra", "5.0.3")


def template_source(package: tuple[str, str], template: str) -> Path:
    """The pristine template folder inside the (cached) package."""
    name, version = package
    folder = user_cache_dir() / "test-templates" / f"{name}-{version}"
    if not (folder / "package.json").is_file():
        from flask_vite.npm.registry import RegistryClient
        from flask_vite.npm.tarball import extract_tarball

        with RegistryClient() as client:
            dist = client.packument(name)["versions"][version]["dist"]
            data = client.fetch_tarball(name, version, dist)
        staging = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        extract_tarball(data, staging)
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)
    source = folder / template
    assert source.is_dir(), f"{name}@{version} has no {template}"
    return source


def make_template_app(package: tuple[str, str], template: str, dest: Path, *,
                      install: bool = True) -> Path:
    """Copy a template to ``dest`` (as ``create-vite`` would) and install its dependencies."""
    shutil.copytree(template_source(package, template), dest)
    gitignore = dest / "_gitignore"
    if gitignore.exists():
        gitignore.rename(dest / ".gitignore")
    if install:
        from flask_vite.npm.installer import install as npm_install

        npm_install(dest, production=True)
    return dest


def dev_app(root: Path, *, plugins: t.Sequence[t.Any] = (), **config: object) -> Flask:
    """A Flask app that does nothing but ``FlaskVite(app, plugins=plugins)`` in
    dev mode over ``root``."""
    app = Flask(__name__, root_path=str(root.parent))
    app.config.update(VITE_ROOT=root.name, VITE_DEV=True, **config)
    FlaskVite(app, plugins=plugins)
    return app
