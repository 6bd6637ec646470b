"""File names of build outputs, shared with the production runtime (which
must find the SSR bundle the build wrote without importing the build)."""
from __future__ import annotations

import posixpath


def sanitize_name(name: str) -> str:
    """A chunk or asset name usable in a file name (Rollup's ``sanitizeFileName``)."""
    name = name.replace("\0", "")
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return cleaned.strip(".") or "chunk"


def ssr_bundle_name(entry: str) -> str:
    """``src/entry-server.tsx`` → ``entry-server``: the SSR bundle's name,
    ``dist/server/<name>.js``."""
    return sanitize_name(posixpath.basename(entry.replace("\\", "/")).rsplit(".", 1)[0])
