from __future__ import annotations

from pathlib import Path

from flask import Flask

from flask_vite.cli import vite_cli


def test_vite_group_lists_its_commands(app: Flask) -> None:
    result = app.test_cli_runner().invoke(vite_cli, ["--help"])
    assert result.exit_code == 0
    for command in ("info", "install", "add", "remove"):
        assert command in result.output


def test_info_shows_resolved_settings(app: Flask, vite_root: Path) -> None:
    result = app.test_cli_runner().invoke(vite_cli, ["info"])
    assert result.exit_code == 0, result.output
    assert f"root                   {vite_root.resolve()}" in result.output
    assert "esbuild                0.28.2" in result.output


def test_info_without_flask_vite_says_what_to_do(tmp_path: Path) -> None:
    bare = Flask(__name__, root_path=str(tmp_path))
    result = bare.test_cli_runner().invoke(vite_cli, ["info"])
    assert result.exit_code != 0
    assert "Call FlaskVite(app)" in result.output


def test_flask_command_entry_point_is_registered() -> None:
    from importlib.metadata import entry_points

    found = [ep for ep in entry_points(group="flask.commands") if ep.name == "vite"]
    assert [ep.value for ep in found] == ["flask_vite.cli:vite_cli"]
