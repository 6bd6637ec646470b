"""Where the ``react-refresh`` runtime comes from (:mod:`flask_vite.refresh_runtime`):
the project, the user cache, or the npm registry with a pinned integrity;
and the bundle served at ``/@react-refresh``, built once."""
from __future__ import annotations

import json
import typing as t
from pathlib import Path

import pytest

from flask_vite import refresh_runtime
from flask_vite.refresh_runtime import (
    REACT_REFRESH_VERSION,
    ReactRefreshError,
    find_react_refresh,
    runtime_code,
)
from tests.npm.helpers import FakeRegistry, make_tarball, sri

RUNTIME_JS = "module.exports = require('./cjs/react-refresh-runtime.development.js');\n"
DEVELOPMENT_JS = "\n".join(
    f"exports.{name} = function {name}() {{ return {name!r}; }};"
    for name in ("injectIntoGlobalHook", "register", "createSignatureFunctionForTransform",
                 "getFamilyByType", "isLikelyComponentType", "performReactRefresh")) + "\n"


def package_files(version: str = REACT_REFRESH_VERSION) -> list[tuple[str, bytes]]:
    return [
        ("package.json", json.dumps({"name": "react-refresh", "version": version}).encode()),
        ("runtime.js", RUNTIME_JS.encode()),
        ("cjs/react-refresh-runtime.development.js", DEVELOPMENT_JS.encode()),
    ]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "user-cache"
    monkeypatch.setenv("FLASK_VITE_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def registry(tmp_path: Path) -> t.Iterator[FakeRegistry]:
    fake = FakeRegistry()
    (tmp_path / ".npmrc").write_text(f"registry={fake.url}\n")
    yield fake
    fake.close()


def test_the_project_s_copy_wins(tmp_path: Path, cache: Path) -> None:
    local = tmp_path / "node_modules" / "react-refresh"
    for name, data in package_files("0.14.2"):
        (local / name).parent.mkdir(parents=True, exist_ok=True)
        (local / name).write_bytes(data)
    assert find_react_refresh(tmp_path, download=False) == local


def test_fetched_once_with_the_pinned_integrity(tmp_path: Path, cache: Path, registry: FakeRegistry,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    tarball = make_tarball(package_files())
    registry.publish("react-refresh", REACT_REFRESH_VERSION, tarball=tarball)
    monkeypatch.setattr(refresh_runtime, "REACT_REFRESH_INTEGRITY", sri(tarball))
    folder = find_react_refresh(tmp_path)
    assert folder == cache / "react-refresh" / REACT_REFRESH_VERSION / "node_modules" / "react-refresh"
    assert (folder / "runtime.js").read_text() == RUNTIME_JS
    # From the cache from now on: no registry needed.
    registry.close()
    (tmp_path / ".npmrc").write_text("registry=http://127.0.0.1:9/\n")
    assert find_react_refresh(tmp_path, download=False) == folder


def test_other_bytes_are_refused(tmp_path: Path, cache: Path, registry: FakeRegistry) -> None:
    # The registry's own dist.integrity matches these bytes; flask-vite's pin does not.
    registry.publish("react-refresh", REACT_REFRESH_VERSION, tarball=make_tarball(package_files()))
    with pytest.raises(ReactRefreshError, match="does not match its integrity"):
        find_react_refresh(tmp_path)
    assert not (cache / "react-refresh" / REACT_REFRESH_VERSION / "node_modules" / "react-refresh").exists()


def test_without_network_the_error_says_what_to_do(tmp_path: Path, cache: Path) -> None:
    (tmp_path / ".npmrc").write_text("registry=http://127.0.0.1:9/\n")
    with pytest.raises(ReactRefreshError, match="flask vite add -D react-refresh"):
        find_react_refresh(tmp_path)
    with pytest.raises(ReactRefreshError, match="is not installed"):
        find_react_refresh(tmp_path, download=False)


class CountingEsbuild:
    """The esbuild service, counting builds."""

    def __init__(self, service: t.Any) -> None:
        self.service = service
        self.builds = 0

    def build(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        self.builds += 1
        return self.service.build(*args, **kwargs)


def test_the_bundle_is_built_once(tmp_path: Path, cache: Path) -> None:
    from flask_vite.esbuild.binary import find_esbuild
    from flask_vite.esbuild.service import EsbuildService

    for name, data in package_files():
        path = tmp_path / "node_modules" / "react-refresh" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    with EsbuildService(find_esbuild()) as service:
        counting = CountingEsbuild(service)
        code = runtime_code(t.cast(t.Any, counting), tmp_path)
        assert counting.builds == 1
        assert code.startswith(f"// react-refresh {REACT_REFRESH_VERSION} runtime + flask-vite helpers\n")
        assert "return \"injectIntoGlobalHook\"" in code  # the project's copy, bundled in
        assert "validateRefreshBoundaryAndEnqueueUpdate" in code
        assert runtime_code(t.cast(t.Any, counting), tmp_path) == code
        assert counting.builds == 1  # from the cache
        # A different runtime is a different bundle.
        dev = tmp_path / "node_modules" / "react-refresh" / "cjs" / "react-refresh-runtime.development.js"
        dev.write_text(DEVELOPMENT_JS + "exports.extra = 1;\n")
        assert runtime_code(t.cast(t.Any, counting), tmp_path) != code
        assert counting.builds == 2
