"""A stand-in for ``flask vite build``, made with the esbuild service.

**Temporary**: ``flask vite build`` (``flask_vite/build/``) is being written
alongside the production runtime; once it lands, the fixtures and
``benchmarks/ssr_prod.py`` use its output instead of this. It writes what
that build's contract promises the runtime:

- ``dist/client/`` with hashed files under ``assets/``, the public dir
  copied, ``dist/client/index.html`` with the entry's tags, and
  ``dist/client/.vite/manifest.json`` in Vite's format;
- ``dist/server/<entry name>.js``: one CommonJS script with nothing left to
  import, whose ``module.exports`` are the entry's exports (plus its
  ``.map``).

Both builds name assets ``assets/[name]-[hash]`` from their content, so the
URLs the server bundle renders are the files the client build wrote.
"""
from __future__ import annotations

import json
import re
import shutil
import typing as t
from pathlib import Path

#: What an SSR bundle for V8 resolves and defines (the brief's settings).
SSR_CONDITIONS = ["worker", "browser", "module", "import", "production"]
SSR_DEFINE = {"process.env.NODE_ENV": '"production"', "import.meta.env.SSR": "true"}
ASSET_LOADERS = {".png": "file", ".svg": "file", ".jpg": "file", ".webp": "file", ".woff2": "file"}


def build_ssr_bundle(root: Path, entry: str, outfile: Path, *, sourcemap: bool = True) -> Path:
    """Bundle ``entry`` (relative to ``root``) into one CommonJS script at ``outfile``."""
    from flask_vite.esbuild.binary import find_esbuild
    from flask_vite.esbuild.service import EsbuildService

    with EsbuildService(find_esbuild()) as service:
        service.build(
            entry_points=[str(root / entry)], bundle=True, format="cjs", platform="browser",
            conditions=SSR_CONDITIONS, define=SSR_DEFINE, write=True, outfile=str(outfile),
            jsx="automatic", sourcemap="external" if sourcemap else False,
            loader={**ASSET_LOADERS, ".css": "empty"}, asset_names="assets/[name]-[hash]",
            public_path="/", abs_working_dir=str(root), metafile=False)
    # The server build needs the asset URLs, not the files (the client has them).
    shutil.rmtree(outfile.parent / "assets", ignore_errors=True)
    return outfile


def build_client(root: Path, entry: str, out_dir: Path) -> dict[str, t.Any]:
    """Bundle the browser entry with hashed names; write ``index.html`` and the manifest."""
    from flask_vite.esbuild.binary import find_esbuild
    from flask_vite.esbuild.service import EsbuildService

    if out_dir.exists():
        shutil.rmtree(out_dir)
    if (root / "public").is_dir():
        shutil.copytree(root / "public", out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with EsbuildService(find_esbuild()) as service:
        result = service.build(
            entry_points=[str(root / entry)], bundle=True, format="esm", splitting=True,
            platform="browser", write=True, outdir=str(out_dir), minify=True, jsx="automatic",
            entry_names="assets/[name]-[hash]", chunk_names="assets/[name]-[hash]",
            asset_names="assets/[name]-[hash]", public_path="/", loader=ASSET_LOADERS,
            define={"process.env.NODE_ENV": '"production"', "import.meta.env.SSR": "false"},
            abs_working_dir=str(root), metafile=True)
    assert result.metafile is not None
    chunk: dict[str, t.Any] = {}
    for path, output in result.metafile["outputs"].items():
        if output.get("entryPoint") == entry:
            file = Path(path).relative_to(out_dir.relative_to(root) if not Path(path).is_absolute()
                                          else out_dir).as_posix()
            chunk = {"file": file, "name": Path(entry).stem, "src": entry, "isEntry": True}
            if output.get("cssBundle"):
                chunk["css"] = [Path(output["cssBundle"]).relative_to(
                    out_dir.relative_to(root)).as_posix()]
    manifest = {entry: chunk}
    (out_dir / ".vite").mkdir(exist_ok=True)
    (out_dir / ".vite" / "manifest.json").write_text(json.dumps(manifest, indent=2))
    # index.html with the source entry's tag replaced by the built ones, as
    # Vite's build-html plugin writes them (script in <head>, then CSS).
    html = (root / "index.html").read_text("utf-8")
    html = re.sub(rf'\s*<script type="module" src="/{re.escape(entry)}"></script>', "", html)
    tags = f'  <script type="module" crossorigin src="/{chunk["file"]}"></script>\n'
    for css in chunk.get("css", ()):
        tags += f'    <link rel="stylesheet" crossorigin href="/{css}">\n'
    html = re.sub(r"( *)</head>", lambda m: f"{m.group(1)}{tags}{m.group(1)}</head>", html, count=1)
    (out_dir / "index.html").write_text(html)
    return manifest


def standin_build(root: Path, *, client_entry: str = "src/entry-client.tsx",
                  server_entry: str = "src/entry-server.tsx", sourcemap: bool = True) -> Path:
    """``flask vite build`` for ``root``; returns ``root / "dist"``."""
    dist = root / "dist"
    build_client(root, client_entry, dist / "client")
    name = Path(server_entry).stem
    build_ssr_bundle(root, server_entry, dist / "server" / f"{name}.js", sourcemap=sourcemap)
    return dist
