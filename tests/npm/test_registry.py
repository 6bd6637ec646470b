from __future__ import annotations

import os
from pathlib import Path

import pytest

from flask_vite.errors import IntegrityError, RegistryError
from flask_vite.npm.cache import NpmCache
from flask_vite.npm.npmrc import NpmConfig, parse_npmrc
from flask_vite.npm.registry import RegistryClient
from flask_vite.npm.tarball import extract_tarball

from .helpers import FakeRegistry, package_tarball, sri


def client_for(reg: FakeRegistry, cache: NpmCache, **kw: object) -> RegistryClient:
    return RegistryClient(reg.url, cache=cache, backoff=0.01, **kw)  # type: ignore[arg-type]


def test_packument_and_tarball(fake_registry: FakeRegistry, tmp_cache: NpmCache,
                               tmp_path: Path) -> None:
    fake_registry.publish("@scope/pkg", "1.0.0")
    client = client_for(fake_registry, tmp_cache)
    doc = client.packument("@scope/pkg")
    assert doc["dist-tags"]["latest"] == "1.0.0"
    path, headers = fake_registry.requests[0]
    assert path == "/@scope%2fpkg"
    assert headers["Accept"].startswith("application/vnd.npm.install-v1+json")
    data = client.fetch_tarball("@scope/pkg", "1.0.0", doc["versions"]["1.0.0"]["dist"])
    assert extract_tarball(data, tmp_path / "out") == ["package.json"]


def test_unknown_package_names_it(fake_registry: FakeRegistry, tmp_cache: NpmCache) -> None:
    with pytest.raises(RegistryError, match="'nope'.*not found") as exc:
        client_for(fake_registry, tmp_cache).packument("nope")
    assert exc.value.code == "REGISTRY_NOT_FOUND"


@pytest.mark.parametrize("name", ["../etc", "a b", "x?y", "@a/../b", "", ".hidden"])
def test_bad_names(tmp_cache: NpmCache, name: str) -> None:
    with pytest.raises(RegistryError, match="not a valid npm package name"):
        RegistryClient("http://127.0.0.1:9/", cache=tmp_cache).packument(name)


def test_retries_then_succeeds(fake_registry: FakeRegistry, tmp_cache: NpmCache) -> None:
    fake_registry.publish("flaky", "1.0.0")
    fake_registry.fail_next["/flaky"] = 2
    assert client_for(fake_registry, tmp_cache).packument("flaky")["name"] == "flaky"


def test_gives_up_naming_package(fake_registry: FakeRegistry, tmp_cache: NpmCache) -> None:
    fake_registry.publish("down", "1.0.0")
    fake_registry.fail_next["/down"] = 10
    with pytest.raises(RegistryError, match="'down'.*HTTP 503.*3 attempts") as exc:
        client_for(fake_registry, tmp_cache).packument("down")
    assert exc.value.code == "REGISTRY_NETWORK"


def test_network_failure_falls_back_to_cache(tmp_cache: NpmCache) -> None:
    reg = FakeRegistry()
    reg.publish("pkg", "1.0.0")
    try:
        client_for(reg, tmp_cache).packument("pkg")
    finally:
        reg.close()
    # Server gone: a stale cached packument is used instead of failing.
    client = RegistryClient(reg.url, cache=tmp_cache, max_age=0, retries=0)
    assert client.packument("pkg")["name"] == "pkg"
    with pytest.raises(RegistryError, match="'other'.*network error"):
        client.packument("other")


def test_etag_revalidation(fake_registry: FakeRegistry, tmp_cache: NpmCache) -> None:
    fake_registry.publish("pkg", "1.0.0")
    client_for(fake_registry, tmp_cache).packument("pkg")
    # Within max_age: no request at all.
    n = len(fake_registry.requests)
    client_for(fake_registry, tmp_cache).packument("pkg")
    assert len(fake_registry.requests) == n


def test_tampered_tarball_rejected(fake_registry: FakeRegistry, tmp_cache: NpmCache) -> None:
    vdoc = fake_registry.publish("pkg", "1.0.0")
    path = "/pkg/-/pkg-1.0.0.tgz"
    fake_registry.files[path] = package_tarball("pkg", "1.0.0", {"scripts": {"x": "evil"}})
    client = client_for(fake_registry, tmp_cache)
    with pytest.raises(IntegrityError, match="pkg@1.0.0.*does not match") as exc:
        client.fetch_tarball("pkg", "1.0.0", vdoc["dist"])
    assert exc.value.code == "INTEGRITY"
    # Nothing was cached.
    assert not (tmp_cache.root / "content-v1").exists()


def test_shasum_only_when_no_integrity(fake_registry: FakeRegistry, tmp_cache: NpmCache) -> None:
    vdoc = fake_registry.publish("old", "0.1.0")
    dist = {"tarball": vdoc["dist"]["tarball"], "shasum": vdoc["dist"]["shasum"]}
    data = client_for(fake_registry, tmp_cache).fetch_tarball("old", "0.1.0", dist)
    assert sri(data) == vdoc["dist"]["integrity"]
    with pytest.raises(IntegrityError, match="neither"):
        client_for(fake_registry, tmp_cache).fetch_tarball("old", "0.1.0", {"tarball": "x"})


def test_offline_from_cache(fake_registry: FakeRegistry, tmp_cache: NpmCache) -> None:
    vdoc = fake_registry.publish("pkg", "1.0.0")
    online = client_for(fake_registry, tmp_cache)
    online.fetch_tarball("pkg", "1.0.0", vdoc["dist"])
    online.packument("pkg")
    n = len(fake_registry.requests)
    offline = RegistryClient("http://127.0.0.1:9/", cache=tmp_cache, offline=True)
    assert offline.fetch_tarball("pkg", "1.0.0", vdoc["dist"])
    with pytest.raises(RegistryError, match="'pkg'.*offline cache"):
        offline.packument("pkg")  # cached under another registry URL
    assert len(fake_registry.requests) == n


def test_token_sent_only_to_its_registry(fake_registry: FakeRegistry, tmp_cache: NpmCache) -> None:
    fake_registry.require_token = "s3cret"
    fake_registry.publish("private", "1.0.0")
    with pytest.raises(RegistryError, match="refused access.*_authToken"):
        client_for(fake_registry, tmp_cache).packument("private")
    assert client_for(fake_registry, tmp_cache, token="s3cret").packument("private")


def test_npmrc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_TOKEN", "tok")
    monkeypatch.setenv("NPM_CONFIG_USERCONFIG", str(tmp_path / "user.npmrc"))
    monkeypatch.delenv("npm_config_registry", raising=False)
    monkeypatch.delenv("NPM_CONFIG_REGISTRY", raising=False)
    (tmp_path / "user.npmrc").write_text("registry=https://user.example/\n"
                                         "//npm.myco.dev/:_authToken=old\n")
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj/.npmrc").write_text(
        "; comment\n@myco:registry = https://npm.myco.dev/sub\n"
        "//npm.myco.dev/:_authToken=${MY_TOKEN}\n"
        '//other.dev/:_auth="dXNlcjpwYXNz"\n')
    config = NpmConfig.load(tmp_path / "proj")
    assert config.registry == "https://user.example/"
    assert config.registry_for("@myco/ui") == "https://npm.myco.dev/sub/"
    assert config.registry_for("react") == "https://user.example/"
    assert config.authorization_for("https://npm.myco.dev/sub/@myco%2fui") == "Bearer tok"
    assert config.authorization_for("https://other.dev/x.tgz") == "Basic dXNlcjpwYXNz"
    assert config.authorization_for("https://user.example/react") is None
    client = RegistryClient.from_npmrc(tmp_path / "proj", cache=False)
    assert client.packument_url("@myco/ui") == "https://npm.myco.dev/sub/@myco%2fui"
    assert client.tarball_url("@myco/ui", "https://registry.npmjs.org/@myco/ui/-/ui-1.tgz") == (
        "https://npm.myco.dev/sub/@myco/ui/-/ui-1.tgz")


def test_parse_npmrc_escapes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X", "1")
    assert parse_npmrc("a=${X}\nb=\\${X}\n[section]\nc = 'q'") == {"a": "1", "b": "${X}", "c": "q"}


@pytest.mark.network
def test_real_registry_esbuild_binary(tmp_path: Path) -> None:
    # Persistent user cache: after one run this needs no network.
    client = RegistryClient(prefer_offline=True)
    doc = client.packument("@esbuild/linux-x64")
    version = "0.25.0"
    data = client.fetch_tarball("@esbuild/linux-x64", version, doc["versions"][version]["dist"])
    files = extract_tarball(data, tmp_path, what=f"@esbuild/linux-x64@{version}")
    assert "bin/esbuild" in files
    if os.name == "posix":
        assert os.access(tmp_path / "bin/esbuild", os.X_OK)
