"""Node, for the reference side of the benchmarks: its version and the
versions of the packages npm installed."""
from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import typing as t
from pathlib import Path


def node_version() -> str | None:
    """``node --version`` (``v20.11.1``), or ``None`` without a ``node``."""
    node = shutil.which("node")
    if node is None:
        return None
    return subprocess.run([node, "--version"], capture_output=True, text=True,
                          check=False).stdout.strip()


def package_version(root: Path, package: str) -> str | None:
    """The version of ``package`` in ``root/node_modules``, or ``None`` if it is not there."""
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        return str(json.loads((root / "node_modules" / package / "package.json").read_text())["version"])
    return None


def package_versions(root: Path, packages: t.Iterable[str]) -> list[str]:
    """``"<package> <version>"`` of each of ``packages`` installed in ``root``."""
    found = ((package, package_version(root, package)) for package in packages)
    return [f"{package} {version}" for package, version in found if version is not None]
