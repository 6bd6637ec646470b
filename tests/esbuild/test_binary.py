from __future__ import annotations

import os
import platform
import shutil
from pathlib import Path

import pytest

from flask_vite.errors import EsbuildBinaryError
from flask_vite.esbuild import binary
from flask_vite.esbuild.binary import ESBUILD_VERSION, find_esbuild, platform_package


@pytest.mark.parametrize(
    ("system", "machine", "package", "subpath"),
    [
        ("Linux", "x86_64", "@esbuild/linux-x64", "bin/esbuild"),
        ("Linux", "aarch64", "@esbuild/linux-arm64", "bin/esbuild"),
        ("Darwin", "x86_64", "@esbuild/darwin-x64", "bin/esbuild"),
        ("Darwin", "arm64", "@esbuild/darwin-arm64", "bin/esbuild"),
        ("Windows", "AMD64", "@esbuild/win32-x64", "esbuild.exe"),
    ],
)
def test_platform_mapping(
    monkeypatch: pytest.MonkeyPatch, system: str, machine: str, package: str, subpath: str
) -> None:
    monkeypatch.setattr(platform, "system", lambda: system)
    monkeypatch.setattr(platform, "machine", lambda: machine)
    assert platform_package() == package
    assert binary.binary_subpath(package) == subpath


def test_unknown_platform_says_what_to_set() -> None:
    with pytest.raises(EsbuildBinaryError, match="ESBUILD_BINARY_PATH"):
        platform_package("Plan9", "mips")


@pytest.fixture(scope="session")
def real_binary() -> Path:
    """The real binary, downloaded (integrity-checked) into the user cache once."""
    return find_esbuild()


def test_downloaded_binary_runs(real_binary: Path) -> None:
    assert binary.binary_version(real_binary) == ESBUILD_VERSION
    assert os.access(real_binary, os.X_OK)


def test_fresh_download_verifies_and_installs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, real_binary: Path
) -> None:
    # An empty cache forces a real fetch from the registry.
    monkeypatch.setenv("FLASK_VITE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ESBUILD_BINARY_PATH", raising=False)
    path = find_esbuild()
    assert path.is_relative_to(tmp_path / "cache")
    assert binary.binary_version(path) == ESBUILD_VERSION
    leftovers = [p for p in (tmp_path / "cache" / "esbuild" / ESBUILD_VERSION).iterdir() if p.name.startswith(".tmp-")]
    assert leftovers == []


def test_env_var_wins(monkeypatch: pytest.MonkeyPatch, real_binary: Path, tmp_path: Path) -> None:
    copy = tmp_path / "my-esbuild"
    shutil.copy2(real_binary, copy)
    monkeypatch.setenv("ESBUILD_BINARY_PATH", str(copy))
    assert find_esbuild() == copy


def test_env_var_pointing_nowhere_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ESBUILD_BINARY_PATH", str(tmp_path / "nope"))
    with pytest.raises(EsbuildBinaryError, match="ESBUILD_BINARY_PATH points to .*nope"):
        find_esbuild()


def test_wrong_version_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "esbuild"
    fake.write_text("#!/bin/sh\necho 0.1.0\n")
    fake.chmod(0o755)
    with pytest.raises(EsbuildBinaryError, match=f"esbuild 0.1.0 .* needs esbuild {ESBUILD_VERSION}"):
        find_esbuild(binary=fake)


def test_project_node_modules_used_only_for_our_version(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, real_binary: Path
) -> None:
    monkeypatch.delenv("ESBUILD_BINARY_PATH", raising=False)
    package = tmp_path / "node_modules" / platform_package()
    (package / "bin").mkdir(parents=True)
    shutil.copy2(real_binary, package / "bin" / "esbuild")
    (package / "package.json").write_text('{"version": "%s"}' % ESBUILD_VERSION)
    assert find_esbuild(tmp_path) == package / "bin" / "esbuild"
    (package / "package.json").write_text('{"version": "0.1.0"}')
    assert find_esbuild(tmp_path) == real_binary


def test_no_network_and_no_cache_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FLASK_VITE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ESBUILD_BINARY_PATH", raising=False)
    with pytest.raises(EsbuildBinaryError, match="ESBUILD_BINARY_PATH"):
        find_esbuild(download=False)


def test_unreachable_registry_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Nothing listens on port 9 of the loopback: the download fails at once,
    # as it does on a machine without network.
    monkeypatch.setenv("FLASK_VITE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ESBUILD_BINARY_PATH", raising=False)
    (tmp_path / ".npmrc").write_text("registry=http://127.0.0.1:9/\n")
    with pytest.raises(EsbuildBinaryError, match="(?s)Could not download esbuild .*127.0.0.1:9.*ESBUILD_BINARY_PATH"):
        find_esbuild(tmp_path)
