from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from flask_vite import ConfigError, FlaskVite, ViteConfig


def make_app(root_path: Path, **config: object) -> Flask:
    app = Flask(__name__, root_path=str(root_path))
    app.config.update(config)
    return app


def test_init_app_stores_state_and_config(app: Flask, vite_root: Path) -> None:
    state = app.extensions["vite"]
    assert isinstance(state.config, ViteConfig)
    assert state.config.root == vite_root.resolve()
    assert state.config.dev is False  # follows app.debug
    assert state.config.mode == "production"
    assert state.config.base == "/"
    assert state.config.out_dir == vite_root.resolve() / "dist"
    assert state.config.cache_dir == vite_root.resolve() / "node_modules" / ".vite"
    assert state.config.public_dir == vite_root.resolve() / "public"


def test_app_factory_pattern_gives_each_app_its_own_state(vite_root: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    vite = FlaskVite()
    a = make_app(vite_root.parent, VITE_ROOT="frontend")
    b = make_app(tmp_path, VITE_ROOT="other", DEBUG=True)
    vite.init_app(a)
    vite.init_app(b)
    with a.app_context():
        assert vite.config.root == vite_root.resolve()
        assert vite.config.dev is False
    with b.app_context():
        assert vite.config.root == other.resolve()
        assert vite.config.dev is True
        assert vite.config.mode == "development"
    assert a.extensions["vite"] is not b.extensions["vite"]


def test_second_registration_is_refused(app: Flask) -> None:
    with pytest.raises(RuntimeError, match="already been registered"):
        FlaskVite(app)


def test_missing_init_app_says_so(vite_root: Path) -> None:
    vite = FlaskVite()
    app = make_app(vite_root.parent)
    with app.app_context(), pytest.raises(RuntimeError, match="forget to call 'init_app'"):
        vite.config


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("VITE_ROOT", "missing", "VITE_ROOT: the folder .*missing does not exist"),
        ("VITE_ROOT", 3, "VITE_ROOT: expected a path"),
        ("VITE_DEV", "maybe", "VITE_DEV: expected True or False"),
        ("VITE_MODE", "no spaces allowed", "VITE_MODE: .* is not a valid mode name"),
        ("VITE_MODE", "", "VITE_MODE"),
        ("VITE_BASE", "static/", "VITE_BASE: 'static/' must start with '/'"),
        ("VITE_BASE", "", "VITE_BASE: expected a path"),
        ("VITE_ALLOWED_HOSTS", [1, 2], "VITE_ALLOWED_HOSTS: expected a list of strings"),
    ],
)
def test_bad_values_name_the_key(vite_root: Path, key: str, value: object, message: str) -> None:
    config = {"VITE_ROOT": "frontend", key: value}
    with pytest.raises(ConfigError, match=message) as info:
        FlaskVite(make_app(vite_root.parent, **config))
    assert info.value.key == key


@pytest.mark.parametrize(
    ("value", "expected"),
    [("/", "/"), ("/static", "/static/"), ("/a/b/", "/a/b/"), ("./", "./"),
     ("https://cdn.example.com/x", "https://cdn.example.com/x/")],
)
def test_base_is_normalised(vite_root: Path, value: str, expected: str) -> None:
    app = make_app(vite_root.parent, VITE_ROOT="frontend", VITE_BASE=value)
    FlaskVite(app)
    assert app.extensions["vite"].config.base == expected


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("0", False), (1, True), (False, False)])
def test_dev_accepts_env_style_booleans(vite_root: Path, value: object, expected: bool) -> None:
    app = make_app(vite_root.parent, VITE_ROOT="frontend", VITE_DEV=value)
    FlaskVite(app)
    assert app.extensions["vite"].config.dev is expected


def test_allowed_hosts_from_comma_string(vite_root: Path) -> None:
    app = make_app(vite_root.parent, VITE_ROOT="frontend", VITE_ALLOWED_HOSTS="a.test, b.test")
    FlaskVite(app)
    assert app.extensions["vite"].config.allowed_hosts == ("a.test", "b.test")


def test_plugin_config_hook_fills_in_unset_keys(vite_root: Path) -> None:
    from flask_vite.plugin import Plugin

    seen: list[dict[str, object]] = []

    class Defaults(Plugin):
        name = "defaults"

        def config(self, config, env):  # type: ignore[no-untyped-def]
            seen.append(env)
            return {"VITE_BASE": "/static/", "VITE_MODE": "staging"}

    app = make_app(vite_root.parent, VITE_ROOT="frontend", VITE_MODE="custom-mode")
    FlaskVite(app, plugins=[Defaults()])
    config = app.extensions["vite"].config
    assert config.base == "/static/"
    assert config.mode == "custom-mode"  # the app's own value wins
    assert seen == [{"command": "build", "dev": False}]


def test_plugin_config_hook_may_only_set_vite_keys(vite_root: Path) -> None:
    from flask_vite.plugin import Plugin

    class Rogue(Plugin):
        name = "rogue"

        def config(self, config, env):  # type: ignore[no-untyped-def]
            return {"SECRET_KEY": "x"}

    with pytest.raises(ConfigError, match="SECRET_KEY: the config hook of plugin 'rogue'"):
        FlaskVite(make_app(vite_root.parent, VITE_ROOT="frontend"), plugins=[Rogue()])
