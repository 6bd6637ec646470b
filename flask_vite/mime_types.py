"""File extensions to MIME types: one table for what flask-vite serves and inlines.

The table is mrmime's (the one Vite's dev static server and its asset data
URLs use) for the types a web app serves or imports, with Vite's own
additions (``registerCustomMime``: ``ico``/``cur`` as ``image/x-icon``,
``flac``, ``eot``). For ``jfif``, ``pjpeg``, ``pjp`` and ``jxl``, where
mrmime has no entry, it gives the image type, which browsers need to show an
inlined image. It does not depend on the system's ``mime.types``, which
differ (``.js`` is ``application/javascript`` on some systems, absent on
others); :func:`guess` asks :mod:`mimetypes` only for what it lacks.
"""
from __future__ import annotations

import mimetypes

#: Extension (lower case, no dot) → MIME type.
TYPES: dict[str, str] = {
    "aac": "audio/aac", "apng": "image/apng", "avif": "image/avif", "bmp": "image/bmp",
    "cjs": "application/node", "css": "text/css", "csv": "text/csv",
    "cur": "image/x-icon", "eot": "application/vnd.ms-fontobject", "flac": "audio/flac",
    "gif": "image/gif", "glb": "model/gltf-binary", "gltf": "model/gltf+json",
    "heic": "image/heic", "heif": "image/heif", "htm": "text/html", "html": "text/html",
    "ico": "image/x-icon", "jfif": "image/jpeg", "jpe": "image/jpeg", "jpeg": "image/jpeg",
    "jpg": "image/jpeg", "js": "text/javascript", "json": "application/json",
    "jsonld": "application/ld+json", "jxl": "image/jxl", "m4a": "audio/mp4",
    "manifest": "text/cache-manifest", "map": "application/json", "md": "text/markdown",
    "mid": "audio/midi", "midi": "audio/midi", "mjs": "text/javascript",
    "mov": "video/quicktime", "mp3": "audio/mpeg", "mp4": "video/mp4", "mpeg": "video/mpeg",
    "oga": "audio/ogg", "ogg": "audio/ogg", "ogv": "video/ogg", "opus": "audio/ogg",
    "otf": "font/otf", "pdf": "application/pdf", "pjp": "image/jpeg", "pjpeg": "image/jpeg",
    "png": "image/png", "rtf": "text/rtf", "svg": "image/svg+xml", "tif": "image/tiff",
    "tiff": "image/tiff", "toml": "application/toml", "ttc": "font/collection",
    "ttf": "font/ttf", "tsv": "text/tab-separated-values", "txt": "text/plain",
    "vtt": "text/vtt", "wasm": "application/wasm", "wav": "audio/wav", "weba": "audio/webm",
    "webm": "video/webm", "webmanifest": "application/manifest+json", "webp": "image/webp",
    "woff": "font/woff", "woff2": "font/woff2", "xml": "text/xml", "yaml": "text/yaml",
    "yml": "text/yaml", "zip": "application/zip",
}


def lookup(name: str) -> str | None:
    """The type of a file name or path by its extension, from :data:`TYPES`."""
    _, dot, ext = name.rpartition("/")[2].rpartition(".")
    return TYPES.get(ext.lower()) if dot else None


def guess(name: str) -> str:
    """:func:`lookup`, else the system's :mod:`mimetypes`, else
    ``application/octet-stream``."""
    return lookup(name) or mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"
