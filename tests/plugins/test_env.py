from __future__ import annotations

import os
from pathlib import Path

import pytest

from flask_vite.errors import ConfigError
from flask_vite.plugins.env import (
    EnvPlugin, env_prelude, expand_env, import_meta_env, load_env, node_env, parse_dotenv,
    serialize_define,
)

from .conftest import make_config


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A=1", {"A": "1"}),
        ("A=1\nB=two words\n", {"A": "1", "B": "two words"}),
        ("  A =  spaced  \n", {"A": "spaced"}),
        ("export A=1\nexport   B=2", {"A": "1", "B": "2"}),
        ("A: colon", {"A": "colon"}),
        ("# comment\nA=1 # trailing\n#B=2", {"A": "1"}),
        ("A=", {"A": ""}),
        ("A=''\nB=\"\"", {"A": "", "B": ""}),
        ("A='single # not a comment'", {"A": "single # not a comment"}),
        ('A="double # not a comment"', {"A": "double # not a comment"}),
        ("A=`back 'quoted' \"x\"`", {"A": "back 'quoted' \"x\""}),
        ('A="  keep spaces  "', {"A": "  keep spaces  "}),
        ('A="line1\\nline2"', {"A": "line1\nline2"}),
        ("A='line1\\nline2'", {"A": "line1\\nline2"}),  # only double quotes expand \n
        ('A="multi\nline\nvalue"\nB=2', {"A": "multi\nline\nvalue", "B": "2"}),
        ("A=1\r\nB=2\r\n", {"A": "1", "B": "2"}),
        ('A={"json": true}', {"A": '{"json": true}'}),
        ("A=1\nA=2", {"A": "2"}),
        ("not a line\nA.B-C=ok", {"A.B-C": "ok"}),
        ("A=inner'quote", {"A": "inner'quote"}),
    ],
)
def test_parse_dotenv(text: str, expected: dict[str, str]) -> None:
    assert parse_dotenv(text) == expected


@pytest.mark.parametrize(
    ("parsed", "process", "expected"),
    [
        ({"A": "1", "B": "$A"}, {}, {"A": "1", "B": "1"}),
        ({"A": "1", "B": "${A}2"}, {}, {"A": "1", "B": "12"}),
        ({"B": "$A", "A": "1"}, {}, {"B": "1", "A": "1"}),  # later keys too (Vite's patch)
        ({"B": "x$MISSING"}, {}, {"B": "x"}),
        ({"B": "${MISSING:-fallback}"}, {}, {"B": "fallback"}),
        ({"B": "${MISSING-fallback}"}, {}, {"B": "fallback"}),
        ({"A": "1", "B": "${A:-fallback}"}, {}, {"A": "1", "B": "1"}),
        ({"A": "1", "B": "${A:+alt}", "C": "${NO:+alt}"}, {}, {"A": "1", "B": "alt", "C": ""}),
        ({"B": "$P"}, {"P": "from-process"}, {"B": "from-process"}),
        ({"P": "file", "B": "$P"}, {"P": "process"}, {"P": "process", "B": "process"}),
        ({"B": "\\$A", "A": "1"}, {}, {"B": "$A", "A": "1"}),  # escaped dollar
        ({"A": "1", "B": "\\$A $A"}, {}, {"A": "1", "B": "$A 1"}),
        ({"A": "$A"}, {}, {"A": ""}),  # self reference
        ({"C": "deep", "B": "${C}", "A": "${B}"}, {}, {"C": "deep", "B": "deep", "A": "deep"}),
        # dotenv-expand stops when a step yields a variable's unexpanded text,
        # so a chain of forward references stays half expanded, as in Vite.
        ({"A": "${B}", "B": "${C}", "C": "deep"}, {}, {"A": "${C}", "B": "deep", "C": "deep"}),
        ({"PRICE": "$5"}, {}, {"PRICE": "$5"}),  # not a variable name
    ],
)
def test_expand(parsed: dict[str, str], process: dict[str, str], expected: dict[str, str]) -> None:
    assert expand_env(dict(parsed), process) == expected


def write_env(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).write_text(text)


# The fixtures of Vite's own env.spec.ts.
VITE_FIXTURE = {
    ".env": ("VITE_APP_BASE_ROUTE=/\nVITE_APP_BASE_URL=$VITE_APP_BASE_ROUTE\n\n"
             "VVITE_A=A\nVVITE_B=B\n"),
    ".env.development": "VITE_ENV1=ENV1\nVITE_ENV2=ENV2\nVITE_ENV3=ENV3\n",
    ".env.development2": "VITE_SOURCE=source\nVITE_APP_BASE_ROUTE=$VITE_SOURCE\n",
    ".env.existing": "VITE_ENV_TEST_ENV=DOTENV\n",
    ".env.production": "VITE_APP_BASE_ROUTE=/app/\n",
    ".env.testing": "NODE_ENV=development\n",
}


@pytest.mark.parametrize(
    ("mode", "prefixes", "process", "expected"),
    [
        ("development", "VITE_", {}, {
            "VITE_APP_BASE_ROUTE": "/", "VITE_APP_BASE_URL": "/", "VITE_ENV1": "ENV1",
            "VITE_ENV2": "ENV2", "VITE_ENV3": "ENV3"}),
        ("development", "VVITE", {}, {"VVITE_A": "A", "VVITE_B": "B"}),
        ("production", ("VITE_",), {}, {
            "VITE_APP_BASE_ROUTE": "/app/", "VITE_APP_BASE_URL": "/app/"}),
        ("development2", "VITE_", {}, {
            "VITE_APP_BASE_ROUTE": "source", "VITE_APP_BASE_URL": "source",
            "VITE_SOURCE": "source"}),
        ("existing", "VITE_", {"VITE_ENV_TEST_ENV": "EXIST", "OTHER": "x"}, {
            "VITE_APP_BASE_ROUTE": "/", "VITE_APP_BASE_URL": "/", "VITE_ENV_TEST_ENV": "EXIST"}),
    ],
)
def test_load_env_as_vite(tmp_path: Path, mode: str, prefixes: str, process: dict[str, str],
                          expected: dict[str, str]) -> None:
    write_env(tmp_path, VITE_FIXTURE)
    assert load_env(mode, tmp_path, prefixes, process_env=process) == expected


def test_later_files_win_and_local_files_are_read_in_every_mode(tmp_path: Path) -> None:
    write_env(tmp_path, {
        ".env": "VITE_A=env\nVITE_B=env\nVITE_C=env\nVITE_D=env\nSECRET=x",
        ".env.local": "VITE_B=local\nVITE_C=local\nVITE_D=local",
        ".env.test": "VITE_C=mode\nVITE_D=mode",
        ".env.test.local": "VITE_D=mode-local",
    })
    assert load_env("test", tmp_path, process_env={}) == {
        "VITE_A": "env", "VITE_B": "local", "VITE_C": "mode", "VITE_D": "mode-local"}


def test_local_mode_and_empty_prefix_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="local"):
        load_env("local", tmp_path)
    with pytest.raises(ConfigError, match="prefix"):
        load_env("development", tmp_path, "")


def test_missing_folder_is_empty(tmp_path: Path) -> None:
    assert load_env("development", tmp_path / "nowhere", process_env={}) == {}


def test_node_env(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NODE_ENV", raising=False)
    assert node_env(make_config(root, VITE_DEV=True)) == "development"
    assert node_env(make_config(root, VITE_DEV=False)) == "production"
    assert node_env(make_config(root, VITE_DEV=False, VITE_MODE="staging")) == "production"
    (root / ".env.staging").write_text("NODE_ENV=development\n")
    assert node_env(make_config(root, VITE_DEV=False, VITE_MODE="staging")) == "development"
    assert node_env(make_config(root, VITE_DEV=True), process_env={"NODE_ENV": "test"}) == "test"


def test_import_meta_env(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NODE_ENV", raising=False)
    (root / ".env").write_text("VITE_TITLE=Hello\nDB_PASSWORD=secret\n")
    config = make_config(root, VITE_BASE="/app/")
    assert import_meta_env(config, False) == {
        "VITE_TITLE": "Hello", "BASE_URL": "/app/", "MODE": "development", "DEV": True,
        "PROD": False, "SSR": False}
    assert import_meta_env(config, True)["SSR"] is True


def test_env_prelude(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NODE_ENV", raising=False)
    (root / ".env").write_text('VITE_TITLE="Hi \\"you\\""\n')
    config = make_config(root)
    assert env_prelude(config, False) == (
        'import.meta.env = {"BASE_URL": "/", "DEV": true, "MODE": "development", "PROD": false,'
        ' "SSR": false, "VITE_TITLE": "Hi \\\\\\"you\\\\\\""};')
    assert '"SSR": true' in env_prelude(config, True)
    # defines of import.meta.env.* are members; string values are expressions
    prelude = env_prelude(config, False, define={"import.meta.env.API": '"/api"', "__X__": "1"})
    assert '"API": "/api"' in prelude and "__X__" not in prelude


def test_env_prelude_follows_file_changes(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = make_config(root)
    env_file = root / ".env"
    env_file.write_text("VITE_N=1\n")
    assert '"VITE_N": "1"' in env_prelude(config, False)
    env_file.write_text("VITE_N=22\n")
    os.utime(env_file, ns=(1, 1))  # a different mtime even on coarse file systems
    assert '"VITE_N": "22"' in env_prelude(config, False)
    monkeypatch.setenv("VITE_N", "inline")
    assert '"VITE_N": "inline"' in env_prelude(config, False)


def test_plugin_settings(root: Path) -> None:
    (root / "env").mkdir()
    (root / "env" / ".env").write_text("APP_X=1\nVITE_Y=2\n")
    plugin = EnvPlugin(env_dir="env", prefixes=["APP_"])
    prelude = plugin.prelude(make_config(root), False)
    assert '"APP_X": "1"' in prelude and "VITE_Y" not in prelude


def test_serialize_define() -> None:
    assert serialize_define({"b": "window", "a": 1, "c": {"x": [True]}}) == \
        '{"a": 1, "b": window, "c": {"x": [true]}}'
