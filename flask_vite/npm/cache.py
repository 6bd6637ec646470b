"""On-disk caches shared by every project of one user.

* Tarballs are stored by content: ``content-v1/<algo>/<hex[:2]>/<hex[2:]>``,
  keyed by the integrity hash npm publishes. A hit is re-verified on read, so a
  corrupted file is dropped instead of installed. Because the key is the hash,
  a lockfile alone is enough to install offline.
* Packuments are stored by URL with their ``ETag``, so the registry can answer
  ``304 Not Modified`` and a later run can resolve without the network.

Writes go to a temporary file and are moved into place with :func:`os.replace`,
so concurrent installs (or a crash) never leave a truncated entry.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import typing as t
from pathlib import Path

from ..cache import user_cache_dir
from . import integrity
from .integrity import Hash


def default_cache_root() -> Path:
    """``user_cache_dir() / "npm"``."""
    return user_cache_dir() / "npm"


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class CachedPackument(t.NamedTuple):
    """A packument body as last received, with what is needed to revalidate it."""

    body: bytes
    etag: str | None
    fetched_at: float


class NpmCache:
    """Content-addressed tarballs and revalidatable packuments under ``root``.

    :param root: defaults to :func:`default_cache_root`.
    """

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_cache_root()

    # -- tarballs ---------------------------------------------------------

    def content_path(self, h: Hash) -> Path:
        hexdigest = h.hexdigest
        return self.root / "content-v1" / h.algorithm / hexdigest[:2] / hexdigest[2:]

    def get_tarball(self, hashes: t.Sequence[Hash]) -> bytes | None:
        """The cached bytes matching ``hashes``, or ``None``.

        The strongest algorithm decides, as in :func:`integrity.matches`; a file
        whose content no longer matches its name is deleted.
        """
        for h in integrity.strongest(hashes):
            path = self.content_path(h)
            try:
                data = path.read_bytes()
            except OSError:
                continue
            if integrity.matches(data, [h]):
                return data
            # Disk corruption or tampering: never serve it, and heal the cache.
            try:
                path.unlink()
            except OSError:
                pass
        return None

    def has_tarball(self, hashes: t.Sequence[Hash]) -> bool:
        return any(self.content_path(h).is_file() for h in integrity.strongest(hashes))

    def put_tarball(self, data: bytes, hashes: t.Sequence[Hash] = ()) -> Hash:
        """Store verified ``data`` under its sha512 and under each of ``hashes``.

        Storing the sha512 too means a package known only by ``shasum`` can be
        found later by the stronger hash written into the lockfile.

        :return: the sha512 hash of ``data``.
        """
        sha512 = integrity.compute(data, "sha512")
        keys = {sha512, *integrity.strongest(hashes)}
        for h in keys:
            path = self.content_path(h)
            if not path.exists():
                _atomic_write(path, data)
        return sha512

    # -- packuments -------------------------------------------------------

    def _packument_path(self, key: str) -> Path:
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return self.root / "packuments-v1" / digest[:2] / digest[2:]

    def get_packument(self, key: str) -> CachedPackument | None:
        """The stored packument for ``key`` (URL + accept type), if any."""
        path = self._packument_path(key)
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        # Layout: one JSON header line, then the body exactly as received.
        header, sep, body = raw.partition(b"\n")
        if not sep:
            return None
        try:
            meta = json.loads(header)
        except ValueError:
            return None
        if meta.get("key") != key:
            return None
        return CachedPackument(body, meta.get("etag"), float(meta.get("fetched_at", 0)))

    def put_packument(self, key: str, body: bytes, etag: str | None) -> None:
        header = json.dumps({"key": key, "etag": etag, "fetched_at": time.time()})
        _atomic_write(self._packument_path(key), header.encode("utf-8") + b"\n" + body)

    def touch_packument(self, key: str, cached: CachedPackument) -> None:
        """Record that the registry confirmed (304) a stored packument is current."""
        self.put_packument(key, cached.body, cached.etag)
