"""``flask vite install | add | remove``, with and without a Flask app."""
from __future__ import annotations

import json
import typing as t
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from flask_vite.npm.commands import add_command, install_command, remove_command

from .helpers import FakeRegistry, package_tarball


@pytest.fixture
def env(fake_registry: FakeRegistry, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> t.Iterator[FakeRegistry]:
    monkeypatch.setenv("FLASK_VITE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("NPM_CONFIG_USERCONFIG", str(tmp_path / "no-user-npmrc"))
    monkeypatch.setenv("npm_config_registry", fake_registry.url)
    fake_registry.publish("a", "1.0.0")
    fake_registry.publish("a", "1.1.0")
    scripts = {"install": "node-gyp rebuild"}
    fake_registry.publish("native", "2.0.0", scripts=scripts,
                          tarball=package_tarball("native", "2.0.0", {"scripts": scripts}))
    yield fake_registry


def write_package_json(root: Path, **deps: t.Any) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "package.json").write_text(json.dumps({"name": "p", **deps}))


def test_install_add_remove_with_root(env: FakeRegistry, tmp_path: Path) -> None:
    root = tmp_path / "front"
    write_package_json(root, dependencies={"a": "^1.0.0"})
    runner = CliRunner()
    result = runner.invoke(install_command, ["--root", str(root)])
    assert result.exit_code == 0, result.output
    assert "added 1" in result.output
    result = runner.invoke(add_command, ["native", "--root", str(root)])
    assert result.exit_code == 0, result.output
    assert "install scripts" in result.output and "native@2.0.0" in result.output
    assert json.loads((root / "package.json").read_text())["dependencies"]["native"] == "^2.0.0"
    result = runner.invoke(remove_command, ["native", "--root", str(root)])
    assert result.exit_code == 0, result.output
    assert not (root / "node_modules/native").exists()
    result = runner.invoke(install_command, ["--root", str(root), "--frozen"])
    assert result.exit_code == 0, result.output


def test_errors_exit_nonzero_with_message(env: FakeRegistry, tmp_path: Path) -> None:
    root = tmp_path / "front"
    write_package_json(root, dependencies={"a": "^7"})
    result = CliRunner().invoke(install_command, ["--root", str(root)])
    assert result.exit_code == 1
    assert "no version of a matches '^7'" in result.output
    result = CliRunner().invoke(install_command, ["--root", str(root), "--frozen"])
    assert result.exit_code == 1 and "--frozen needs" in result.output


def test_root_from_the_app(env: FakeRegistry, app: Flask, vite_root: Path) -> None:
    write_package_json(vite_root, dependencies={"a": "1.0.0"})
    result = app.test_cli_runner().invoke(install_command, [])
    assert result.exit_code == 0, result.output
    assert (vite_root / "node_modules/a/package.json").is_file()
    assert (vite_root / "package-lock.json").is_file()
