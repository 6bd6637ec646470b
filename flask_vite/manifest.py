"""Vite's build manifest (``.vite/manifest.json``): reading it and the tags an entry needs.

Pure functions over the parsed JSON, so a manifest written by ``vite build``
and one written by ``flask vite build`` are read the same way.
"""
from __future__ import annotations

import dataclasses
import json
import typing as t
from html import escape
from pathlib import Path

from .errors import ViteError


class ManifestError(ViteError):
    """The manifest is missing, unreadable, or lacks an entry."""

    code = "MANIFEST"


@dataclasses.dataclass(frozen=True)
class Chunk:
    """One manifest record (Vite's ``ManifestChunk``)."""

    key: str
    file: str
    src: str | None = None
    name: str | None = None
    is_entry: bool = False
    is_dynamic_entry: bool = False
    imports: tuple[str, ...] = ()
    dynamic_imports: tuple[str, ...] = ()
    css: tuple[str, ...] = ()
    assets: tuple[str, ...] = ()
    integrity: str | None = None


Manifest = t.Dict[str, Chunk]


def parse_manifest(data: t.Mapping[str, t.Any], source: str = "manifest.json") -> Manifest:
    """Check and convert a decoded manifest. Unknown fields are ignored, as Vite does."""
    if not isinstance(data, dict):
        raise ManifestError(f"{source}: expected a JSON object of chunks.")
    manifest: Manifest = {}
    for key, raw in data.items():
        if not isinstance(raw, dict) or not isinstance(raw.get("file"), str):
            raise ManifestError(f"{source}: chunk {key!r} has no 'file'.")

        def strings(field: str) -> tuple[str, ...]:
            value = raw.get(field, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ManifestError(f"{source}: chunk {key!r} field {field!r} must be a list of strings.")
            return tuple(value)

        manifest[key] = Chunk(
            key=key, file=raw["file"], src=raw.get("src"), name=raw.get("name"),
            is_entry=bool(raw.get("isEntry")), is_dynamic_entry=bool(raw.get("isDynamicEntry")),
            imports=strings("imports"), dynamic_imports=strings("dynamicImports"),
            css=strings("css"), assets=strings("assets"), integrity=raw.get("integrity"),
        )
    return manifest


def load_manifest(path: Path) -> Manifest:
    """Read ``path``; the error says to run ``flask vite build`` when it is missing."""
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise ManifestError(
            f"No build manifest at {path}. Run 'flask vite build' first (or set"
            " VITE_DEV=True to use the dev server)."
        ) from None
    try:
        data = json.loads(text)
    except ValueError as e:
        raise ManifestError(f"{path} is not valid JSON: {e}") from e
    return parse_manifest(data, str(path))


def entry_chunk(manifest: Manifest, entry: str, source: str = "the manifest") -> Chunk:
    key = entry.lstrip("/")
    chunk = manifest.get(key)
    if chunk is None:
        entries = sorted(k for k, c in manifest.items() if c.is_entry)
        raise ManifestError(
            f"{entry!r} is not an entry of {source} (entries: {', '.join(entries) or 'none'})."
            " Add it to the build's inputs and run 'flask vite build' again."
        )
    return chunk


def imported_chunks(manifest: Manifest, chunk: Chunk) -> list[Chunk]:
    """Static imports of ``chunk``, depth first, each once (Vite's ``getImportedChunks``)."""
    seen: set[str] = set()
    out: list[Chunk] = []

    def walk(c: Chunk) -> None:
        for key in c.imports:
            if key in seen or key not in manifest:
                continue
            seen.add(key)
            imported = manifest[key]
            walk(imported)
            out.append(imported)

    walk(chunk)
    return out


def entry_tags(manifest: Manifest, entry: str, base: str, *, nonce: str | None = None,
               integrity: bool = False, source: str = "the manifest") -> str:
    """``<link rel=stylesheet>``, ``<script type=module>`` and ``<link rel=modulepreload>``
    for one entry, in the order Vite's ``index.html`` build output uses."""
    chunk = entry_chunk(manifest, entry, source)
    imports = imported_chunks(manifest, chunk)
    nonce_attr = f' nonce="{escape(nonce)}"' if nonce else ""

    def sri(c: Chunk) -> str:
        return f' integrity="{escape(c.integrity)}"' if integrity and c.integrity else ""

    css: list[str] = []
    for c in (*imports, chunk):
        for file in c.css:
            if file not in css:
                css.append(file)
    tags = [f'<script type="module" crossorigin src="{escape(base + chunk.file)}"{sri(chunk)}{nonce_attr}></script>']
    tags += [f'<link rel="modulepreload" crossorigin href="{escape(base + c.file)}"{sri(c)}{nonce_attr}>'
             for c in imports]
    tags += [f'<link rel="stylesheet" crossorigin href="{escape(base + f)}"{nonce_attr}>' for f in css]
    return "\n".join(tags)
