"""Real npm packages for resolution tests, downloaded once into the user cache.

The packages (exact versions, so results never drift) are installed with
the project's own installer (:mod:`flask_vite.npm.installer`), or if it
fails, unpacked from their tarballs, into
``user_cache_dir()/resolve-tests/<hash>/node_modules/`` — used in place.
The folder name hashes the pin list, so changing a pin makes a fresh
folder; the tarballs themselves come from the npm client's content cache,
so a re-run needs no network, and with neither network nor cache the tests
are skipped.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from flask_vite.cache import user_cache_dir

logger = logging.getLogger(__name__)

#: Exact versions. react-dom@19.2.0 depends on scheduler ^0.27.0; vue@3.5.22
#: on the @vue/* packages of the same version (compiler-sfc's own
#: dependencies are left out: nothing here resolves into them).
PINNED: dict[str, str] = {
    "react": "19.2.0",
    "react-dom": "19.2.0",
    "scheduler": "0.27.0",
    "preact": "10.27.2",
    "vue": "3.5.22",
    "@vue/shared": "3.5.22",
    "@vue/reactivity": "3.5.22",
    "@vue/runtime-core": "3.5.22",
    "@vue/runtime-dom": "3.5.22",
    "@vue/server-renderer": "3.5.22",
    "@vue/compiler-ssr": "3.5.22",
    "@vue/compiler-dom": "3.5.22",
    "@vue/compiler-core": "3.5.22",
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "network: talks to registry.npmjs.org (results cached in the user cache)")


def _write_project(dest: Path) -> None:
    (dest / "package.json").write_text(json.dumps(
        {"name": "resolve-fixture", "private": True, "dependencies": PINNED}, indent=2))
    (dest / "src").mkdir(exist_ok=True)
    (dest / "src" / "main.tsx").write_text("export {}\n")


def _install_with_installer(dest: Path) -> bool:
    """Use the project's own installer when there is one; ``False`` if not usable."""
    if importlib.util.find_spec("flask_vite.npm.installer") is None:
        return False
    try:
        from flask_vite.npm import installer

        getattr(installer, "install")(dest)
        for name, version in PINNED.items():
            got = json.loads((dest / "node_modules" / name / "package.json").read_text())["version"]
            if got != version:
                raise AssertionError(f"{name}: installed {got}, pinned {version}")
    except Exception as e:  # the installer is young: fall back to plain tarballs
        logger.info("installer unusable for the resolve fixtures (%s); using tarballs", e)
        shutil.rmtree(dest / "node_modules", ignore_errors=True)
        return False
    return True


def _download(dest: Path) -> None:
    """Unpack every pinned package into ``dest/node_modules`` (tarballs verified)."""
    if _install_with_installer(dest):
        return
    from flask_vite.npm.registry import RegistryClient
    from flask_vite.npm.tarball import extract_tarball

    client = RegistryClient(prefer_offline=True)
    for name, version in PINNED.items():
        manifest = client.packument(name)["versions"].get(version)
        if manifest is None:
            raise LookupError(f"{name}@{version} is not on the registry")
        data = client.fetch_tarball(name, version, manifest["dist"])
        extract_tarball(data, dest / "node_modules" / name, what=f"{name}@{version}")


@pytest.fixture(scope="session")
def npm_project() -> Path:
    """A project folder whose ``node_modules`` holds :data:`PINNED`."""
    # Bump the layout tag when the way the folder is built changes.
    tag = json.dumps([PINNED, "installer-1"], sort_keys=True)
    key = hashlib.sha256(tag.encode()).hexdigest()[:12]
    base = user_cache_dir() / "resolve-tests"
    project = base / key
    if not (project / ".complete").is_file():
        base.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=base, prefix=".tmp-"))
        try:
            _write_project(tmp)
            _download(tmp)
        except Exception as e:  # no network and nothing cached
            shutil.rmtree(tmp, ignore_errors=True)
            pytest.skip(f"cannot download the pinned npm packages: {e}")
        (tmp / ".complete").write_text("")
        try:
            os.rename(tmp, project)
        except OSError:
            # Another run finished first: use its copy.
            shutil.rmtree(tmp, ignore_errors=True)
    return project.resolve()
