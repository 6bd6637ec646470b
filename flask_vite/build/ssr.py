"""The SSR build: one CommonJS script the V8 renderer loads (``dist/server/<entry>.js``).

Vite's SSR build leaves ``node_modules`` to Node; flask-vite renders in bare
V8, which can load nothing at run time, so everything is bundled into one
file: dependencies included, resolved with browser/worker conditions as the
dev SSR does (``ResolvePlugin(ssr_target="webworker")``). The result is a
CommonJS module whose ``module.exports`` are the entry's exports::

    code = Path("dist/server/entry-server.js").read_text()
    renderer = SsrProcess(module_format="cjs", node_env="production")
    renderer.define_modules({"/entry-server.js": code})
    renderer.call("/entry-server.js", "render", ["/"])

``import.meta.env.SSR`` is ``true`` and ``process.env.NODE_ENV``
``"production"``; branches for the browser are dropped (esbuild's syntax
minification folds the constants; names and line breaks are kept, so stack
traces stay readable). Imports of assets give the client build's URLs
(same hashed names, same base), so hydration finds the markup it expects.
A Node built-in anywhere in the graph fails the build with the import chain.
"""
from __future__ import annotations

import dataclasses
import posixpath
import time
import typing as t
from pathlib import Path

from ..errors import EsbuildError
from ..plugin import ResolveOptions
from .client import _shown, failure_message
from .environment import BuildEnvironment, BuildError
from .names import ssr_bundle_name
from .options import prepare_out_dir
from .plugin_bridge import BuildEntry, PluginBridge

if t.TYPE_CHECKING:
    from .options import BuildOptions
    from .report import Reporter

#: V8 in mini-racer is recent; es2022 keeps class fields and top-level code as written.
SSR_TARGET = "es2022"


@dataclasses.dataclass
class SsrBuildResult:
    out_dir: Path
    #: The bundle: ``dist/server/entry-server.js``.
    file: Path
    #: Every file written, relative to :attr:`out_dir`.
    files: list[str]


def build_ssr(environment: BuildEnvironment, entry: str, options: BuildOptions,
              reporter: Reporter) -> SsrBuildResult:
    """Bundle ``entry`` (relative to the root, ``src/entry-server.tsx``) for V8."""
    config = environment.config
    out_dir = options.out_dir / "server"
    started = time.perf_counter()
    reporter.start("ssr", config.mode)
    container = environment.plugin_container
    container.build_start()
    error: BaseException | None = None
    try:
        rel = posixpath.normpath(entry.lstrip("/"))
        resolved = container.resolve_id("/" + rel, None, ResolveOptions(ssr=True, is_entry=True))
        if resolved is None or resolved.external:
            raise BuildError(f"Cannot resolve the SSR entry {entry!r} from {config.root}."
                             " Pass it relative to VITE_ROOT (flask vite build --ssr"
                             " src/entry-server.tsx) or set VITE_SSR_ENTRY.")
        name = ssr_bundle_name(rel)
        build_entry = BuildEntry(name, resolved.id)
        bridge = PluginBridge(environment, [build_entry], sourcemap=options.sourcemap)
        reporter.step("transforming...")
        try:
            result = environment.esbuild.build(
                entry_points={name: resolved.id}, bundle=True, splitting=False, format="cjs",
                write=False, metafile=True, outdir=out_dir.as_posix(),
                abs_working_dir=config.root.as_posix(), entry_names="[name]",
                platform="browser", target=SSR_TARGET, charset="utf8",
                minify_syntax=True, tree_shaking=True,
                sourcemap="linked" if options.sourcemap else False,
                define=environment.define, log_level="silent",
                # There is no module loader in V8: nothing may stay an import().
                supported={"dynamic-import": False},
                conditions=["worker", "browser", "module", "production"],
                main_fields=["browser", "module", "main"],
                plugins=[bridge.plugin()], **bridge.esbuild_options())
        except EsbuildError as e:
            raise BuildError(failure_message("ssr", e, config.root, bridge.locate)) from e
        for warning in result.warnings:
            if "import.meta" in warning.text and "cjs" in warning.text:
                continue  # import.meta.url & co.: empty in CommonJS, as the dev SSR has them
            reporter.warn(f"warning: {warning.format()}")
        reporter.done(f"{environment.module_count} modules transformed.")
        reporter.step("rendering chunks...")
        outputs = [f for f in result.output_files if f.path.endswith((".js", ".js.map"))]
        scripts = [f for f in outputs if f.path.endswith(".js")]
        if len(scripts) != 1:
            raise BuildError(f"The SSR build gave {len(scripts)} scripts, expected one:"
                             f" {[f.path for f in scripts]}")
        prepare_out_dir(out_dir, config, options, reporter)
        written: list[tuple[str, bytes]] = []
        for output in outputs:
            rel_out = posixpath.relpath(output.path, out_dir.as_posix())
            path = out_dir / rel_out
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(output.contents)
            written.append((rel_out, output.contents))
        reporter.files([(_shown(out_dir / rel_out), data) for rel_out, data in written
                        if not rel_out.endswith(".map")], warn_large=False)
        reporter.built(time.perf_counter() - started)
        return SsrBuildResult(out_dir, Path(scripts[0].path), [rel for rel, _ in written])
    except BaseException as e:
        error = e
        raise
    finally:
        container.build_end(error)
