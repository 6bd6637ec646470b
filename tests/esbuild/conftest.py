from __future__ import annotations

import typing as t
from pathlib import Path

import pytest

from flask_vite.esbuild.service import EsbuildService


@pytest.fixture(scope="session")
def esbuild_binary() -> Path:
    """The real esbuild binary, found (or fetched once) like the app would."""
    from flask_vite.esbuild.binary import find_esbuild

    return find_esbuild()


@pytest.fixture(scope="session")
def service(esbuild_binary: Path) -> t.Iterator[EsbuildService]:
    """One service shared by the tests that do not break it."""
    svc = EsbuildService(esbuild_binary)
    yield svc
    svc.close()


@pytest.fixture
def own_service(esbuild_binary: Path) -> t.Iterator[EsbuildService]:
    """A service of the test's own, for tests that kill or close it."""
    svc = EsbuildService(esbuild_binary)
    yield svc
    svc.close()
