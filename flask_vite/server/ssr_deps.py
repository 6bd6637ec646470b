"""Dependencies from ``node_modules`` bundled for the V8 module runner.

Vite leaves SSR dependencies to Node. V8 has no module loader, so each
imported package file is bundled by esbuild into one CommonJS module; its
imports of *other* packages stay ``require()`` calls of the runner key of
their resolved file (so ``react-dom/server`` and the app share one React).
Builtins stay ``require("node:…")``, which the runner refuses with the
import chain.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import threading
import typing as t

from ..errors import ViteError

if t.TYPE_CHECKING:
    from .environment import DevEnvironment

_BARE_RE = re.compile(r"^[^./]")


class SsrDepError(ViteError):
    code = "SSR_DEP"


@dataclasses.dataclass(frozen=True)
class SsrDep:
    key: str
    code: str
    #: Runner keys this bundle requires.
    deps: tuple[str, ...]


class SsrDepsBundler:
    """Bundles and caches dependency files for one ``ssr`` environment."""

    def __init__(self, environment: DevEnvironment) -> None:
        self.environment = environment
        self._cache: dict[str, tuple[float, SsrDep]] = {}
        self._lock = threading.Lock()

    def get(self, file: str) -> SsrDep:
        try:
            stamp = os.stat(file).st_mtime
        except OSError as e:
            raise SsrDepError(f"Cannot read the SSR dependency {file}: {e}") from e
        with self._lock:
            cached = self._cache.get(file)
            if cached is not None and cached[0] == stamp:
                return cached[1]
        dep = self._bundle(file)
        with self._lock:
            self._cache[file] = (stamp, dep)
        return dep

    def _bundle(self, file: str) -> SsrDep:
        from ..esbuild.service import Plugin as EsbuildPlugin

        env = self.environment
        config = env.config
        deps: list[str] = []

        def setup(build: t.Any) -> None:
            @build.on_resolve(filter=r"^[^./]")
            def bare(args: t.Any) -> t.Any:
                if args.kind == "entry-point" or os.path.isabs(args.path):
                    return None
                resolved = env.plugin_container.resolve_id(args.path, args.importer)
                if resolved is None:
                    return None  # esbuild reports "Could not resolve" with the importer
                if resolved.external:
                    key = resolved.id if resolved.id.startswith("node:") else "node:" + resolved.id
                else:
                    key = resolved.id.split("?", 1)[0]
                if key not in deps:
                    deps.append(key)
                return {"path": key, "external": True}

        node_env = "development" if config.dev else "production"
        result = env.server.esbuild.build(
            entry_points=[file], bundle=True, write=False, metafile=False, format="cjs",
            platform="browser", target="es2022", log_level="silent",
            outdir=(config.cache_dir / "ssr-deps").as_posix(),
            abs_working_dir=config.root.as_posix(),
            define={"process.env.NODE_ENV": json.dumps(node_env), "global": "globalThis"},
            conditions=["worker", "browser", "module", "import", node_env],
            main_fields=["browser", "module", "main"],
            plugins=[EsbuildPlugin("vite:ssr-deps", setup)],
        )
        js = [f for f in result.output_files if f.path.endswith(".js")]
        if len(js) != 1:
            raise SsrDepError(f"Bundling {file} for SSR gave {len(js)} JavaScript files, expected 1.")
        return SsrDep(file, js[0].text, tuple(deps))
