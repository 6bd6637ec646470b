"""Writing ``.vite/manifest.json`` and ``.vite/ssr-manifest.json`` in Vite's format.

What :mod:`flask_vite.manifest` reads (and Vite's own readers: backend
integrations, ``vite-plugin-ruby``, Laravel): one record per chunk keyed by
its source path relative to the root (``index.html``, ``src/About.tsx``),
``_[file name]`` for shared chunks, and one per emitted asset with a source.
Keys are sorted and the JSON indented by two spaces, as Vite writes it.
Pure functions: the build hands in its chunks and assets.
"""
from __future__ import annotations

import json
import posixpath
import typing as t

if t.TYPE_CHECKING:
    from .chunks import Chunk
    from .environment import EmittedAsset

#: ``relative(id)`` → a module id relative to the root (``src/App.tsx``).
Relative = t.Callable[[str], str]


def chunk_key(chunk: Chunk, relative: Relative) -> str:
    """The manifest key of a chunk: its entry's source path, or ``_`` + its file name."""
    if chunk.facade is not None:
        return relative(chunk.facade).replace("\0", "")
    return "_" + posixpath.basename(chunk.file)


def build_manifest(chunks: t.Sequence[Chunk], assets: t.Iterable[EmittedAsset],
                   relative: Relative, *, sri: bool = False) -> dict[str, dict[str, t.Any]]:
    """The client manifest: ``{key: {file, name, src, isEntry, …}}`` with sorted keys."""
    by_placeholder = {c.placeholder: c for c in chunks}
    keys = {c.placeholder: chunk_key(c, relative) for c in chunks}
    manifest: dict[str, dict[str, t.Any]] = {}
    for chunk in chunks:
        record: dict[str, t.Any] = {"file": chunk.file, "name": chunk.name}
        if chunk.facade is not None:
            record["src"] = keys[chunk.placeholder]
        if chunk.is_entry:
            record["isEntry"] = True
        if chunk.is_dynamic_entry:
            record["isDynamicEntry"] = True
        imports = [keys[p] for p in chunk.imports if p in by_placeholder]
        if imports:
            record["imports"] = imports
        dynamic = [keys[p] for p in chunk.dynamic_imports if p in by_placeholder]
        if dynamic:
            record["dynamicImports"] = dynamic
        if chunk.css:
            record["css"] = list(chunk.css)
        if chunk.assets:
            record["assets"] = list(chunk.assets)
        if sri and chunk.integrity:
            record["integrity"] = chunk.integrity
        manifest[keys[chunk.placeholder]] = record
    for asset in assets:
        if not asset.src:
            continue
        existing = manifest.get(asset.src)
        # A JavaScript chunk from the same source says more than the asset (Vite).
        if existing is not None and existing["file"].endswith((".js", ".mjs", ".cjs")):
            continue
        manifest[asset.src] = {"file": asset.file, "src": asset.src}
    return {key: manifest[key] for key in sorted(manifest)}


def build_ssr_manifest(chunks: t.Sequence[Chunk], relative: Relative, base: str
                       ) -> dict[str, list[str]]:
    """Vite's ``ssr-manifest.json``: module → the files to preload when it rendered.

    A server renderer that records the modules a page used can add
    ``<link rel=modulepreload>`` / stylesheet tags for them. Entry chunks are
    in the page already, so only their assets are listed.
    """
    out: dict[str, list[str]] = {}
    for chunk in chunks:
        for id in chunk.modules:
            files = out.setdefault(relative(id), [])
            if not chunk.is_entry:
                files.append(base + chunk.file)
                files.extend(base + css for css in chunk.css)
            files.extend(base + asset for asset in chunk.assets)
    return {key: out[key] for key in sorted(out)}


def dumps(data: t.Any) -> str:
    """``JSON.stringify(data, undefined, 2)``."""
    return json.dumps(data, indent=2, ensure_ascii=False)
