from __future__ import annotations

import typing as t
from pathlib import Path

import pytest

from flask_vite.npm.cache import NpmCache

from .helpers import FakeRegistry


@pytest.fixture
def fake_registry() -> t.Iterator[FakeRegistry]:
    registry = FakeRegistry()
    try:
        yield registry
    finally:
        registry.close()


@pytest.fixture
def tmp_cache(tmp_path: Path) -> NpmCache:
    """An empty cache, so fake-registry tests never touch the user's cache."""
    return NpmCache(tmp_path / "npm-cache")


def pytest_configure(config: pytest.Config) -> None:
    # Registered here rather than in setup.cfg so tests/npm stays self-contained.
    config.addinivalue_line(
        "markers", "network: talks to registry.npmjs.org (results cached in the user cache)")
