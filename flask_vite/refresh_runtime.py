"""The React Fast Refresh runtime served at ``/@react-refresh``, without Node.js.

The code is the ``react-refresh`` npm package's runtime (its development
build, as React's own tooling ships it) with flask-vite's helpers
(``flask_vite/client/react_refresh.js``), bundled once into one ES module by
the esbuild service. The package comes from, in order:

1. the project's ``node_modules/react-refresh``, whatever its version (the
   user chose it);
2. the per-user cache (:func:`flask_vite.cache.user_cache_dir`);
3. the npm registry: the tarball of :data:`REACT_REFRESH_VERSION`, checked
   against :data:`REACT_REFRESH_INTEGRITY` (pinned here, so a registry or
   mirror serving other bytes is refused), unpacked into the cache.

The bundle is cached too, under a key made of the package's version and
files, the helpers' source and the esbuild version: a second server start
needs no esbuild call and no network.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import typing as t
from pathlib import Path

from .cache import user_cache_dir
from .errors import RegistryError, ViteError

if t.TYPE_CHECKING:
    from .esbuild.service import EsbuildService

logger = logging.getLogger("flask_vite.react")

#: The ``react-refresh`` release flask-vite fetches when the project has none.
REACT_REFRESH_VERSION = "0.19.0"
#: Its tarball's ``dist.integrity`` on registry.npmjs.org.
REACT_REFRESH_INTEGRITY = (
    "sha512-5HdstYgoJBbBofjapO5qCPcovECJCBfvjLb+iTcsmqDFVMRdqy0qs7iiInBJTUXmIFc2bjoc5b2HVLp2zRtYhQ=="
)
#: flask-vite's helpers, bundled with the runtime.
HELPERS = Path(__file__).resolve().parent / "client" / "react_refresh.js"

_lock = threading.Lock()
# Files of the package whose bytes decide the bundle (besides the helpers).
_RUNTIME_FILES = ("package.json", "runtime.js", "cjs/react-refresh-runtime.development.js")


class ReactRefreshError(ViteError):
    """The ``react-refresh`` package could not be found, fetched or bundled."""

    code = "REACT_REFRESH"


def find_react_refresh(root: str | os.PathLike[str] | None = None, *, download: bool = True) -> Path:
    """The folder of a ``react-refresh`` package (its ``package.json`` is inside).

    :param root: The Vite root, whose ``node_modules`` is looked at first.
    :param download: Fetch :data:`REACT_REFRESH_VERSION` from the npm
        registry when neither the project nor the cache has it.
    :raises ReactRefreshError: saying how to make it available.
    """
    if root is not None:
        local = Path(root) / "node_modules" / "react-refresh"
        if _complete(local):
            return local
    cached = _cache_folder() / "node_modules" / "react-refresh"
    if _complete(cached):
        return cached
    if not download:
        raise ReactRefreshError(
            f"react-refresh {REACT_REFRESH_VERSION} is not installed. Add it to the project"
            " (flask vite add -D react-refresh) or let flask-vite download it.")
    return _download(root)


def _complete(folder: Path) -> bool:
    return all((folder / name).is_file() for name in _RUNTIME_FILES)


def _cache_folder() -> Path:
    return user_cache_dir() / "react-refresh" / REACT_REFRESH_VERSION


def _download(root: str | os.PathLike[str] | None) -> Path:
    from .npm.registry import RegistryClient
    from .npm.tarball import extract_tarball

    folder = _cache_folder()
    target = folder / "node_modules" / "react-refresh"
    with _lock:
        if _complete(target):
            return target
        name, version = "react-refresh", REACT_REFRESH_VERSION
        try:
            with RegistryClient.from_npmrc(root) as client:
                meta = client.packument(name).get("versions", {}).get(version)
                if meta is None:
                    raise RegistryError(f"{name}@{version} is not on the registry.")
                # Our pinned hash, not the registry's: fetch_tarball refuses other bytes.
                dist = {"tarball": meta["dist"]["tarball"], "integrity": REACT_REFRESH_INTEGRITY}
                data = client.fetch_tarball(name, version, dist)
        except RegistryError as e:
            raise ReactRefreshError(
                f"Could not download {name}@{version} for React Fast Refresh: {e}\n"
                "Install react-refresh in the project (flask vite add -D react-refresh) to"
                " work without network access.") from e
        target.parent.mkdir(parents=True, exist_ok=True)
        # Unpack beside the target and rename: another process never sees half a package.
        staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
        try:
            extract_tarball(data, staging)
            if not _complete(staging):
                raise ReactRefreshError(f"{name}@{version}'s tarball lacks the runtime files.")
            try:
                staging.rename(target)
            except OSError:
                if not _complete(target):  # not simply lost a race
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    logger.info("fetched %s@%s into %s", name, version, target)
    return target


def bundle_key(package: Path) -> str:
    """What the bundle depends on: the package's files, the helpers, esbuild's version."""
    from .esbuild.binary import ESBUILD_VERSION

    digest = hashlib.sha256()
    for name in _RUNTIME_FILES:
        digest.update((package / name).read_bytes())
    digest.update(HELPERS.read_bytes())
    digest.update(ESBUILD_VERSION.encode())
    return digest.hexdigest()[:20]


def runtime_code(esbuild: EsbuildService, root: str | os.PathLike[str] | None = None) -> str:
    """The ES module served at ``/@react-refresh`` (built on first use, then cached).

    :raises ReactRefreshError: the package is unavailable or does not bundle.
    """
    package = find_react_refresh(root)
    key = bundle_key(package)
    cached = user_cache_dir() / "react-refresh" / "bundles" / f"{key}.js"
    try:
        return cached.read_text("utf-8")
    except FileNotFoundError:
        pass
    from .errors import EsbuildError

    try:
        version = json.loads((package / "package.json").read_text("utf-8")).get("version", "?")
        result = esbuild.build(
            # The helpers read from stdin, resolved from the package's
            # node_modules folder: "react-refresh/runtime" is that package and
            # no other copy higher up.
            stdin={"contents": HELPERS.read_text("utf-8"), "resolve_dir": str(package.parent.parent),
                   "sourcefile": "flask-vite/react_refresh.js", "loader": "js"},
            bundle=True, format="esm", platform="browser", target="es2020", write=False,
            metafile=False, log_level="silent", charset="utf8", legal_comments="inline",
            define={"process.env.NODE_ENV": '"development"'},
            # The page's own client (import analysis adds the base).
            external=["/@vite/client"],
            banner={"js": f"// react-refresh {version} runtime + flask-vite helpers"},
        )
    except EsbuildError as e:
        raise ReactRefreshError(f"Could not bundle the React Fast Refresh runtime ({package}): {e}") from e
    code = result.output_files[0].text
    cached.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".js", dir=cached.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(code)
    os.replace(tmp, cached)
    return code
