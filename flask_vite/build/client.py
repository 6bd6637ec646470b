"""The client build: ``dist/client`` with hashed chunks, CSS, assets, HTML and manifests.

Inputs are ``VITE_BUILD_INPUT`` (default ``index.html``): HTML files stand
for their module scripts (see :mod:`flask_vite.build.html`), other inputs are
modules (``src/admin.ts``). esbuild bundles them as ES modules with code
splitting (``import()`` and code shared by several entries get chunks of
their own), every module going through the plugin pipeline
(:mod:`flask_vite.build.plugin_bridge`); :mod:`flask_vite.build.chunks` gives
the result Vite's names, CSS files and preload lists. Then the files are
written: the public dir as it is, ``assets/``, the HTML pages, and
``.vite/manifest.json`` + ``.vite/ssr-manifest.json``.
"""
from __future__ import annotations

import dataclasses
import posixpath
import shutil
import time
import typing as t
from pathlib import Path

from ..errors import EsbuildError
from ..esbuild.service import BuildResult as EsbuildResult
from ..plugin import ResolveOptions
from ..plugins.asset import DEFAULT_ASSETS_INLINE_LIMIT, check_public_file
from .chunks import BROWSER_TARGETS, Chunk, chunk_output
from .environment import BuildEnvironment, BuildError
from .names import sanitize_name
from .html import (
    HtmlEntry,
    entry_tags,
    html_base,
    inject_into_head,
    prepare_html,
    replace_env,
)
from .manifest import build_manifest, build_ssr_manifest, dumps
from .options import prepare_out_dir
from .plugin_bridge import BuildEntry, PluginBridge
from .plugins import BuildAssetPlugin, HtmlProxyPlugin, built_asset_url

if t.TYPE_CHECKING:
    from .options import BuildOptions
    from .report import Reporter

#: Written next to the assets: ``dist/client/.vite/…``.
MANIFEST_FILE = ".vite/manifest.json"
SSR_MANIFEST_FILE = ".vite/ssr-manifest.json"


@dataclasses.dataclass
class ClientBuildResult:
    out_dir: Path
    manifest: dict[str, dict[str, t.Any]]
    ssr_manifest: dict[str, list[str]]
    chunks: list[Chunk]
    #: Every file written, relative to :attr:`out_dir` (public files left out).
    files: list[str]


def build_client(environment: BuildEnvironment, html_proxy: HtmlProxyPlugin,
                 options: BuildOptions, reporter: Reporter) -> ClientBuildResult:
    config = environment.config
    out_dir = options.out_dir / "client"
    started = time.perf_counter()
    reporter.start("client", config.mode)
    inline_limit = next((p.inline_limit for p in environment.plugin_container.plugins
                         if isinstance(p, BuildAssetPlugin)), DEFAULT_ASSETS_INLINE_LIMIT)
    container = environment.plugin_container
    container.build_start()
    error: BaseException | None = None
    try:
        html_entries, entries = _entries(environment, html_proxy, inline_limit)
        reporter.step("transforming...")
        bridge = PluginBridge(environment, entries, sourcemap=options.sourcemap)
        try:
            result = _bundle(environment, entries, bridge, out_dir, options)
        except EsbuildError as e:
            raise BuildError(failure_message("client", e, config.root, bridge.locate)) from e
        for warning in result.warnings:
            reporter.warn(f"warning: {warning.format()}")
        reporter.done(f"{environment.module_count} modules transformed.")
        reporter.step("rendering chunks...")
        output = chunk_output(environment, result, bridge, entries, out_dir.as_posix(),
                              minify=options.minify, sourcemap=options.sourcemap, sri=options.sri)
        chunks = {c.placeholder: c for c in output.chunks}
        by_facade = {c.facade: c for c in output.chunks if c.facade is not None}
        pages: list[tuple[str, str]] = []
        for page in html_entries:
            chunk = by_facade.get(page.file)
            html = page.html
            if chunk is not None:
                tags = entry_tags(chunk, chunks, html_base(page.rel, config.base), sri=options.sri)
                html = inject_into_head(html, tags)
            html = index_html_hooks(environment, html, "/" + page.rel, "post")
            pages.append((page.rel, html))
        manifest = build_manifest(output.chunks, environment.assets.values(),
                                  environment.relative_to_root, sri=options.sri)
        ssr_manifest = build_ssr_manifest(output.chunks, environment.relative_to_root,
                                          config.base if config.base != "./" else "/")

        prepare_out_dir(out_dir, config, options, reporter)
        if options.copy_public_dir and config.public_dir is not None and config.public_dir.is_dir():
            shutil.copytree(config.public_dir, out_dir, dirs_exist_ok=True)
        written: list[tuple[str, bytes]] = []
        for asset in environment.assets.values():
            written.append((asset.file, asset.source))
        for file in output.files:
            written.append((file.file, file.contents))
        for rel, html in pages:
            written.append((rel, html.encode("utf-8")))
        written.append((MANIFEST_FILE, dumps(manifest).encode("utf-8")))
        written.append((SSR_MANIFEST_FILE, dumps(ssr_manifest).encode("utf-8")))
        for rel, data in written:
            path = out_dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        reporter.files([(_shown(out_dir / rel), data) for rel, data in written
                        if not rel.endswith(".map")])
        reporter.built(time.perf_counter() - started)
        return ClientBuildResult(out_dir, manifest, ssr_manifest, output.chunks,
                                 [rel for rel, _ in written])
    except BaseException as e:
        error = e
        raise
    finally:
        container.build_end(error)


def _bundle(environment: BuildEnvironment, entries: t.Sequence[BuildEntry], bridge: PluginBridge,
            out_dir: Path, options: BuildOptions) -> EsbuildResult:
    """esbuild's bundle of the entries (ES modules, split), every module through the bridge."""
    if not entries:
        return EsbuildResult(output_files=[], metafile={"inputs": {}, "outputs": {}})
    config = environment.config
    return environment.esbuild.build(
        entry_points={entry.name: entry.id for entry in entries}, bundle=True,
        splitting=True, format="esm", write=False, metafile=True,
        outdir=out_dir.as_posix(), abs_working_dir=config.root.as_posix(),
        entry_names="assets/[name]-[hash]", chunk_names="assets/[name]-[hash]",
        asset_names="assets/[name]-[hash]", minify=options.minify,
        sourcemap="external" if options.sourcemap else False,
        target=list(BROWSER_TARGETS), platform="browser", charset="utf8",
        define=environment.define, log_level="silent",
        # Used only where our resolver gave up: the same conditions.
        conditions=["module", "browser", "production"],
        main_fields=["browser", "module", "main"],
        plugins=[bridge.plugin()], **bridge.esbuild_options())


def _entries(environment: BuildEnvironment, html_proxy: HtmlProxyPlugin, inline_limit: int
             ) -> tuple[list[HtmlEntry], list[BuildEntry]]:
    """The build's inputs: HTML pages (prepared) and module entries (resolved)."""
    from ..plugins.env import import_meta_env

    config = environment.config
    root = config.root.as_posix()
    inputs = config.build_input or ("index.html",)
    html_entries: list[HtmlEntry] = []
    entries: list[BuildEntry] = []
    used: set[str] = set()

    def unique(name: str) -> str:
        # Rollup numbers clashing entry names (index, index2 …).
        candidate, n = sanitize_name(name), 2
        while candidate in used:
            candidate, n = f"{sanitize_name(name)}{n}", n + 1
        used.add(candidate)
        return candidate

    env = import_meta_env(config, False)
    env["BASE_URL"] = config.base
    for spec in inputs:
        rel = posixpath.normpath(spec.lstrip("/"))
        file = posixpath.join(root, rel)
        if rel.endswith((".html", ".htm")):
            path = Path(file)
            if not path.is_file():
                raise BuildError(f"The build input {spec!r} does not exist ({file}). Set"
                                 " VITE_BUILD_INPUT to the HTML pages or modules to build"
                                 " (relative to VITE_ROOT).")
            prefix = html_base(rel, config.base)
            source = index_html_hooks(environment, path.read_text("utf-8"), "/" + rel, "pre")

            def asset_url(target: str, no_inline: bool, prefix: str = prefix) -> str | None:
                url, emitted = built_asset_url(environment, target, inline_limit=inline_limit,
                                               may_inline=not no_inline)
                return prefix + emitted if emitted is not None else url

            page = prepare_html(
                file, rel, replace_env(source, env), root=root,
                base=config.base, asset_url=asset_url,
                public_file=lambda url: check_public_file(url, config) is not None)
            html_proxy.scripts.update(page.scripts)
            html_entries.append(page)
            if page.code.strip():  # a page without module scripts has nothing to bundle
                stem = posixpath.basename(rel).rsplit(".", 1)[0]
                entries.append(BuildEntry(unique(stem), file, page.code))
            continue
        resolved = environment.plugin_container.resolve_id(
            "/" + rel, None, ResolveOptions(ssr=False, is_entry=True))
        if resolved is None or resolved.external:
            raise BuildError(f"Cannot resolve the build input {spec!r} (from {root}). Set"
                             " VITE_BUILD_INPUT to files relative to VITE_ROOT.")
        entries.append(BuildEntry(unique(posixpath.basename(rel).rsplit(".", 1)[0]),
                                  resolved.id))
    return html_entries, entries


def index_html_hooks(environment: BuildEnvironment, html: str, url: str,
                     stage: t.Literal["pre", "post"]) -> str:
    """The plugins' ``transform_index_html`` hooks of one stage, as Vite runs them
    in a build: ``"pre"``-ordered hooks on the page as written (what they add
    is bundled), the others on the built page."""
    import inspect

    container = environment.plugin_container
    if "stage" in inspect.signature(container.transform_index_html).parameters:
        hooks: t.Any = container.transform_index_html  # the stage parameter is recent
        return t.cast(str, hooks(html, url, stage))
    # A container without hook stages runs every hook once, on the built page.
    return html if stage == "pre" else container.transform_index_html(html, url)


def failure_message(environment: str, error: EsbuildError, root: Path,
                    locate: t.Callable[[t.Any], t.Any] = lambda m: m) -> str:
    """esbuild's errors, as ``file:line:col: message`` lines with the code shown.

    :param locate: Moves a message to its position in the file as written.
    """
    lines = [f"Build failed ({environment}) with {len(error.errors)} error"
             f"{'s' if len(error.errors) != 1 else ''}:"]
    for message in error.errors[:10]:
        if message.plugin_name == "vite:build":
            # Our bridge plugin is how esbuild calls the pipeline, not a culprit.
            message = message._replace(plugin_name="")
        lines.append(_located(locate(message), root).format())
    if len(error.errors) > 10:
        lines.append(f"... and {len(error.errors) - 10} more")
    return "\n".join(lines)


def _located(message: t.Any, root: Path) -> t.Any:
    # esbuild names files relative to the root; relative to the current folder
    # they read better and stay clickable in a terminal.
    file = message.file
    if not file or (":" in file.split("/", 1)[0] and not file.startswith("/")):
        return message
    return message._replace(file=_shown(root / file))


def _shown(path: Path) -> str:
    import os

    try:
        rel = os.path.relpath(path, os.getcwd())
    except ValueError:
        return path.as_posix()
    return rel if not rel.startswith("../..") else path.as_posix()
