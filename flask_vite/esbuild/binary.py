"""Finding the esbuild binary, without Node.js.

esbuild publishes one npm package per platform (``@esbuild/linux-x64`` …)
holding the native binary. We look for it, in order:

1. the ``VITE_ESBUILD_BINARY`` setting or the ``ESBUILD_BINARY_PATH``
   environment variable (the same variable esbuild's own npm package honours);
2. the project's ``node_modules/@esbuild/<platform>/``, when its version is ours;
3. the per-user cache (:func:`flask_vite.cache.user_cache_dir`);
4. otherwise the package tarball is downloaded from the npm registry, its
   ``dist.integrity`` checked, and the binary placed in the cache.

The esbuild version is pinned here, in :data:`ESBUILD_VERSION`, and nowhere
else: the service protocol requires the binary and the client to agree.
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from ..cache import user_cache_dir
from ..errors import EsbuildBinaryError, RegistryError

#: The one esbuild version flask-vite speaks to.
ESBUILD_VERSION = "0.28.2"

_MACHINES = {
    "x86_64": "x64",
    "amd64": "x64",
    "x64": "x64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "armv8l": "arm64",
}
_SYSTEMS = {"linux": "linux", "darwin": "darwin", "windows": "win32"}
_download_lock = threading.Lock()


def platform_package(system: str | None = None, machine: str | None = None) -> str:
    """The npm package holding esbuild's binary for this (or the given) platform.

    >>> platform_package("Darwin", "arm64")
    '@esbuild/darwin-arm64'
    """
    system = (system or platform.system()).lower()
    machine = (machine or platform.machine()).lower()
    os_name = _SYSTEMS.get(system)
    cpu = _MACHINES.get(machine)
    if os_name is None or cpu is None:
        raise EsbuildBinaryError(
            f"esbuild has no prebuilt binary that flask-vite knows for {system}/{machine}."
            " Build esbuild yourself and set ESBUILD_BINARY_PATH to the binary."
        )
    return f"@esbuild/{os_name}-{cpu}"


def binary_subpath(package: str) -> str:
    """Where the executable sits inside the platform package."""
    return "esbuild.exe" if package.startswith("@esbuild/win32-") else "bin/esbuild"


def find_esbuild(
    root: str | os.PathLike[str] | None = None,
    *,
    binary: str | os.PathLike[str] | None = None,
    download: bool = True,
) -> Path:
    """Return the path of an esbuild :data:`ESBUILD_VERSION` binary.

    :param root: The Vite root, whose ``node_modules`` is searched.
    :param binary: An explicit binary (the ``VITE_ESBUILD_BINARY`` setting).
    :param download: Fetch the binary from the npm registry when it is not
        found locally.
    :raises ~flask_vite.errors.EsbuildBinaryError: naming what to set.
    """
    explicit, source = (binary, "VITE_ESBUILD_BINARY") if binary else (
        os.environ.get("ESBUILD_BINARY_PATH"), "ESBUILD_BINARY_PATH")
    if explicit:
        path = Path(explicit)
        if not path.is_file() or not os.access(path, os.X_OK):
            raise EsbuildBinaryError(f"{source} points to {path}, which is not an executable file.")
        version = binary_version(path)
        if version != ESBUILD_VERSION:
            raise EsbuildBinaryError(
                f"{source} points to esbuild {version} ({path}), but flask-vite needs"
                f" esbuild {ESBUILD_VERSION}. Unset {source} to let flask-vite fetch it."
            )
        return path

    package = platform_package()
    subpath = binary_subpath(package)
    if root is not None:
        local = Path(root) / "node_modules" / package
        if _package_version(local) == ESBUILD_VERSION and (local / subpath).is_file():
            return local / subpath

    cached = _cache_folder(package) / subpath
    if cached.is_file():
        return cached
    if not download:
        raise EsbuildBinaryError(
            f"esbuild {ESBUILD_VERSION} ({package}) is not installed. Allow flask-vite to"
            " download it, or set ESBUILD_BINARY_PATH to the binary."
        )
    return _download(package, subpath, root)


def binary_version(path: str | os.PathLike[str]) -> str:
    """Ask a binary for its version (one process, once per lookup)."""
    try:
        out = subprocess.run(
            [os.fspath(path), "--version"], capture_output=True, text=True, timeout=30, check=True
        )
    except (OSError, subprocess.SubprocessError) as e:
        raise EsbuildBinaryError(f"Could not run {path} --version: {e}") from e
    return out.stdout.strip()


def _package_version(folder: Path) -> str | None:
    try:
        return str(json.loads((folder / "package.json").read_text("utf-8"))["version"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _cache_folder(package: str) -> Path:
    return user_cache_dir() / "esbuild" / ESBUILD_VERSION / package.replace("/", "+")


def _download(package: str, subpath: str, root: str | os.PathLike[str] | None) -> Path:
    from ..npm.registry import RegistryClient
    from ..npm.tarball import extract_tarball

    target = _cache_folder(package)
    with _download_lock:
        if (target / subpath).is_file():
            return target / subpath
        try:
            with RegistryClient.from_npmrc(root) as client:
                doc = client.packument(package)
                meta = doc.get("versions", {}).get(ESBUILD_VERSION)
                if meta is None:
                    raise RegistryError(f"{package}@{ESBUILD_VERSION} is not on the registry.")
                # fetch_tarball checks dist.integrity (sha512) before we see a byte.
                data = client.fetch_tarball(package, ESBUILD_VERSION, meta["dist"])
        except RegistryError as e:
            raise EsbuildBinaryError(
                f"Could not download esbuild {ESBUILD_VERSION} ({package}) from the npm"
                f" registry: {e}\nSet ESBUILD_BINARY_PATH to an esbuild {ESBUILD_VERSION}"
                " binary to work without network access."
            ) from e
        target.parent.mkdir(parents=True, exist_ok=True)
        # Extract beside the target and rename, so another process never sees
        # a half-written binary.
        staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
        try:
            extract_tarball(data, staging)
            exe = staging / subpath
            if not exe.is_file():
                raise EsbuildBinaryError(f"{package}@{ESBUILD_VERSION} has no {subpath}.")
            exe.chmod(0o755)
            try:
                staging.rename(target)
            except OSError:
                if not (target / subpath).is_file():  # not simply lost a race
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target / subpath
