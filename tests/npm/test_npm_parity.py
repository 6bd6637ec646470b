"""Parity with npm itself, against the real registry.

Each fixture folder holds a package.json and the package-lock.json that
``npm install --package-lock-only --before=2026-11-01T00:00:00Z`` produced
for it (see fixtures/README.md). We resolve the same package.json with the
same ``before`` cutoff, so ranges cannot drift as new versions appear, and
compare every ``node_modules`` location and ``name@version`` with npm's.

Packuments and tarballs are kept in the user cache (prefer_offline), so a
second run needs no network at all.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from flask_vite.npm.installer import Installer
from flask_vite.npm.lockfile import tree_to_lock
from flask_vite.npm.platform import Platform
from flask_vite.npm.registry import RegistryClient

FIXTURES = Path(__file__).parent / "fixtures"
BEFORE = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
LINUX = Platform("linux", "x64", "glibc")

pytestmark = pytest.mark.network


@pytest.fixture(scope="module")
def client() -> RegistryClient:
    return RegistryClient(prefer_offline=True)


def npm_layout(case: str) -> dict[str, str]:
    lock = json.loads((FIXTURES / case / "package-lock.json").read_text())
    return {loc: f"{meta.get('name') or loc.rsplit('node_modules/', 1)[1]}@{meta['version']}"
            for loc, meta in lock["packages"].items() if loc}


def copy_fixture(case: str, dest: Path, *, with_lock: bool) -> Path:
    root = dest / case
    root.mkdir()
    shutil.copy(FIXTURES / case / "package.json", root)
    if with_lock:
        shutil.copy(FIXTURES / case / "package-lock.json", root)
    return root


@pytest.mark.parametrize("case", ["react", "preact", "vue"])
def test_install_matches_npm(case: str, client: RegistryClient, tmp_path: Path) -> None:
    root = copy_fixture(case, tmp_path, with_lock=False)
    result = Installer(root, client=client, before=BEFORE, platform=LINUX).install()
    mine = {n.location: f"{n.package_name}@{n.version}" for n in result.tree.inventory()}
    assert mine == npm_layout(case)
    # What is on disk is what the tree says.
    for loc, label in mine.items():
        doc = json.loads((root / loc / "package.json").read_text())
        assert f"{doc['name']}@{doc['version']}" == label
    # Our lockfile carries the same packages entries as npm's.
    ours = json.loads((root / "package-lock.json").read_text())["packages"]
    theirs = json.loads((FIXTURES / case / "package-lock.json").read_text())["packages"]
    assert ours == theirs


@pytest.mark.parametrize("case", ["ssr-react-ts", "app-mix"])
def test_bigger_trees_resolve_like_npm(case: str, client: RegistryClient, tmp_path: Path) -> None:
    # ssr-react-ts: create-vite-extra's template (155 packages, nested copies,
    # platform-specific optional binaries). app-mix: next, eslint,
    # typescript-eslint, jest, webpack, babel, styled-components, react 18 --
    # 502 packages and many peer dependencies. Resolution only (no download).
    root = copy_fixture(case, tmp_path, with_lock=False)
    tree, resolver, _ = Installer(root, client=client, before=BEFORE, platform=LINUX).resolve()
    assert {n.location: f"{n.package_name}@{n.version}" for n in tree.inventory()} == (
        npm_layout(case))
    ours = json.loads(json.dumps(tree_to_lock(tree)["packages"]))
    theirs = json.loads((FIXTURES / case / "package-lock.json").read_text())["packages"]
    flags = ("dev", "optional", "devOptional", "peer")
    assert {k: [v.get(f) for f in flags] for k, v in ours.items()} == (
        {k: [v.get(f) for f in flags] for k, v in theirs.items()})
    assert resolver.warnings == []


@pytest.mark.parametrize("case", ["react", "vue"])
def test_npm_lock_is_honoured_offline(case: str, client: RegistryClient, tmp_path: Path) -> None:
    # Make sure the tarballs are cached, then install from npm's own lock
    # with the network off.
    (tmp_path / "warm").mkdir()
    warm = copy_fixture(case, tmp_path / "warm", with_lock=True)
    Installer(warm, client=client, platform=LINUX).install()
    root = copy_fixture(case, tmp_path, with_lock=True)
    offline = RegistryClient(offline=True)
    result = Installer(root, client=offline, platform=LINUX, frozen=True).install()
    assert not result.lock_changed
    assert {n.location: f"{n.package_name}@{n.version}" for n in result.tree.inventory()} == (
        npm_layout(case))
