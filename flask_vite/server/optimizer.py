"""The dependency optimizer: pre-bundle ``node_modules`` imports for the browser.

As in Vite: entry points are scanned for bare imports (an esbuild build
whose plugin records each bare import and stops there), then all of them are
bundled by one esbuild build into ``<cache_dir>/deps/`` as ESM with code
splitting, so ``react`` and ``react-dom/client`` share one copy of React.
CommonJS packages come out as a default export; import analysis rewrites
named imports of them (``needs_interop``). ``_metadata.json`` records a hash
of the lockfile, the settings and the esbuild version: the bundle is reused
until one of them changes. A bare import found later (not seen by the scan)
is added and everything is bundled again.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
import shutil
import threading
import time
import typing as t
from pathlib import Path

from ..errors import ViteError

if t.TYPE_CHECKING:
    from .dev_server import DevServer

logger = logging.getLogger("flask_vite.optimizer")

_LOCKFILES = ("package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lock")
_SCRIPT_RE = re.compile(
    r"<script\b(?=[^>]*\btype\s*=\s*[\"']?module)[^>]*?\bsrc\s*=\s*[\"']([^\"']+)[\"'][^>]*>", re.I)
_BARE_RE = re.compile(r"^(?![a-zA-Z]:)[\w@](?!.*://)")
# esbuild filters (Go regular expressions) for the scan's callbacks.
_SCAN_BARE_FILTER = r"^[\w@]([^:]|$)"
_SCANNED_SOURCE_RE = re.compile(r"\.[cm]?[jt]sx?$")
_SCAN_EXTERNAL_FILTER = (
    r"\?|\.(css|less|sass|scss|styl|stylus|pcss|postcss|json|svg|png|jpe?g|gif|webp|avif|ico"
    r"|woff2?|ttf|otf|eot|mp4|webm|ogg|wav|mp3|flac|aac|pdf|txt|wasm)$"
)


class OptimizeError(ViteError):
    code = "OPTIMIZE"


@dataclasses.dataclass
class OptimizedDep:
    #: The bare specifier (``react-dom/client``).
    id: str
    #: The resolved entry file in ``node_modules``.
    src: str
    #: The bundled file in the deps folder.
    file: str
    #: CommonJS entry: named imports must be read off the default export.
    needs_interop: bool


@dataclasses.dataclass
class OptimizerMetadata:
    hash: str
    browser_hash: str
    optimized: dict[str, OptimizedDep]

    def to_json(self) -> str:
        return json.dumps({
            "hash": self.hash,
            "browserHash": self.browser_hash,
            "optimized": {k: {"src": d.src, "file": d.file, "needsInterop": d.needs_interop}
                          for k, d in self.optimized.items()},
        }, indent=2)

    @classmethod
    def from_json(cls, text: str) -> OptimizerMetadata:
        data = json.loads(text)
        return cls(data["hash"], data["browserHash"], {
            k: OptimizedDep(k, v["src"], v["file"], v["needsInterop"])
            for k, v in data["optimized"].items()
        })


def flatten_id(id: str) -> str:
    """``react-dom/client`` → ``react-dom_client`` (Vite's file names for deps)."""
    return re.sub(r"\.", "__", re.sub(r"[/:]", "_", id)).replace(">", "___")


def is_bare_import(specifier: str) -> bool:
    return bool(_BARE_RE.match(specifier)) and not specifier.startswith(("node:", "data:", "virtual:"))


class DepsOptimizer:
    """The optimizer of one dev server's client environment."""

    def __init__(self, server: DevServer, *, include: t.Sequence[str] = (),
                 exclude: t.Sequence[str] = ()) -> None:
        self.server = server
        self.config = server.config
        self.include = list(include)
        self.exclude = set(exclude)
        self.deps_dir = self.config.cache_dir / "deps"
        self.metadata: OptimizerMetadata | None = None
        self._lock = threading.RLock()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    # -- hashing ---------------------------------------------------------------
    def config_hash(self) -> str:
        from ..esbuild.binary import ESBUILD_VERSION

        h = hashlib.sha256()
        for name in _LOCKFILES:
            lock = self.config.root / name
            if lock.is_file():
                h.update(name.encode() + b"\0" + lock.read_bytes())
                break
        pkg = self.config.root / "package.json"
        if pkg.is_file():
            h.update(pkg.read_bytes())
        h.update(json.dumps([self.config.mode, ESBUILD_VERSION, sorted(self.include),
                             sorted(self.exclude)]).encode())
        return h.hexdigest()[:8]

    # -- public API --------------------------------------------------------------
    def start(self) -> None:
        """Scan and bundle in the background, now (Vite starts its optimizer
        with the server): the first module that imports a dependency then
        finds the bundle ready, or under way, instead of starting it.

        Called with the first request, as the file watcher is, so that
        processes which never serve (``flask vite build``, werkzeug's reloader
        parent) do not bundle. Failures are left to the request that needs
        the bundle: it calls :meth:`ensure_ready` and reports them.
        """
        if self._thread is not None:
            return
        # Not self._lock: ensure_ready holds that while it bundles, and this
        # runs on every request.
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._warm_up,
                                                name="flask-vite-optimizer", daemon=True)
                self._thread.start()

    def close(self, timeout: float = 10.0) -> None:
        """Wait for a background bundle started by :meth:`start` to end."""
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _warm_up(self) -> None:
        try:
            self.ensure_ready()
        except Exception as e:  # reported again by the request that needs it
            logger.debug("optimizing dependencies in the background failed: %s", e)

    def ensure_ready(self) -> OptimizerMetadata:
        """Load the cached bundle if its hash still matches, else scan and bundle."""
        with self._lock:
            if self.metadata is not None:
                return self.metadata
            want = self.config_hash()
            meta_file = self.deps_dir / "_metadata.json"
            try:
                cached = OptimizerMetadata.from_json(meta_file.read_text("utf-8"))
            except (OSError, ValueError, KeyError):
                cached = None
            if cached is not None and cached.hash == want and all(
                Path(d.file).is_file() for d in cached.optimized.values()
            ):
                logger.debug("reusing optimized deps %s", list(cached.optimized))
                self.metadata = cached
                return cached
            deps = self.scan()
            for dep in self.include:
                resolved = self._resolve(dep, None)
                if resolved:
                    deps[dep] = resolved
            self.metadata = self._bundle(deps, want)
            return self.metadata

    def optimized_url(self, specifier: str, resolved_file: str) -> tuple[str, OptimizedDep] | None:
        """The ``/node_modules/.vite/deps/x.js?v=hash`` URL for a bare import, bundling
        it first when the scan missed it; ``None`` for imports not optimized."""
        if specifier in self.exclude or not is_bare_import(specifier):
            return None
        if "/node_modules/" not in resolved_file or self.is_optimized_file(resolved_file):
            return None
        meta = self.ensure_ready()
        dep = meta.optimized.get(specifier)
        if dep is None:
            with self._lock:
                meta = self.ensure_ready()
                dep = meta.optimized.get(specifier)
                if dep is None:
                    logger.info("new dependency found: %s, optimizing again", specifier)
                    deps = {d.id: d.src for d in meta.optimized.values()}
                    deps[specifier] = resolved_file
                    self.metadata = meta = self._bundle(deps, meta.hash)
                    dep = meta.optimized[specifier]
                    # Pages hold modules of the previous bundle (another copy of
                    # each shared chunk): mixing them would break, so reload them.
                    hot = getattr(self.server, "hot", None)
                    if hot is not None:
                        hot.send({"type": "full-reload", "path": "*"})
        return self.dep_url(dep), dep

    def dep_url(self, dep: OptimizedDep) -> str:
        assert self.metadata is not None
        return self.server.file_url(dep.file, with_base=False) + f"?v={self.metadata.browser_hash}"

    def is_optimized_file(self, file: str) -> bool:
        return file.startswith(self.deps_dir.as_posix() + "/")

    # -- scan ----------------------------------------------------------------------
    def entries(self) -> list[str]:
        """Module scripts of every ``.html`` file under the root (not node_modules)."""
        root = self.config.root
        found: list[str] = []
        for html in sorted(root.rglob("*.html")):
            rel = html.relative_to(root).parts
            if "node_modules" in rel or any(p.startswith(".") for p in rel) or rel[0] == self.config.out_dir.name:
                continue
            text = html.read_text("utf-8", errors="replace")
            for src in _SCRIPT_RE.findall(text):
                if re.match(r"^(?:[a-z]+:)?//", src):
                    continue
                path = (root / src.lstrip("/")) if src.startswith("/") else (html.parent / src)
                if path.is_file():
                    found.append(path.resolve().as_posix())
        return found

    def scan(self) -> dict[str, str]:
        """Bare imports reachable from the entries: specifier → resolved file."""
        from ..esbuild.service import Plugin as EsbuildPlugin

        entries = self.entries()
        if not entries:
            return {}
        deps: dict[str, str] = {}

        def setup(build: t.Any) -> None:
            # Three narrow filters rather than one catch-all: esbuild calls back
            # into Python only for the imports that need a decision, and
            # resolves relative JS imports (most of an app's) on its own.
            @build.on_resolve(filter=_SCAN_BARE_FILTER)
            def on_bare(args: t.Any) -> t.Any:
                spec = args.path
                if not is_bare_import(spec):
                    return None
                external = {"path": spec, "external": True}
                if spec in deps or spec in self.exclude:
                    return external
                resolved = self._resolve(spec, args.importer or None)
                if resolved is None:
                    return external
                if "/node_modules/" in resolved:
                    deps[spec] = resolved
                    return external
                if _SCANNED_SOURCE_RE.search(resolved):
                    # An alias into the app's own source (tsconfig paths,
                    # VITE_ALIAS): scan it like any module of the app.
                    return {"path": resolved}
                return external

            @build.on_resolve(filter=_SCAN_EXTERNAL_FILTER)
            def on_non_js(args: t.Any) -> t.Any:
                # Styles, assets, ?raw/?url imports: nothing to scan in them.
                return {"path": args.path, "external": True}

            @build.on_resolve(filter=r"^/")
            def on_root_absolute(args: t.Any) -> t.Any:
                if args.kind != "entry-point":
                    target = self.config.root / args.path.lstrip("/")
                    if target.exists():
                        return {"path": target.as_posix()}
                return None

        t0 = time.perf_counter()
        try:
            self.server.esbuild.build(
                entry_points=entries, bundle=True, write=False, metafile=False, format="esm",
                outdir=(self.config.cache_dir / "scan").as_posix(), log_level="silent",
                abs_working_dir=self.config.root.as_posix(), plugins=[EsbuildPlugin("vite:dep-scan", setup)],
                loader={".js": "jsx"}, jsx="automatic", jsx_dev=self.config.dev,
            )
        except ViteError as e:
            # A broken source file must not stop the server: the transform of
            # that file reports the error where the user looks for it.
            logger.warning("dependency scan failed, continuing with what was found: %s", e)
        logger.info("scanned %d entries in %.0f ms: %s", len(entries), (time.perf_counter() - t0) * 1000,
                    ", ".join(sorted(deps)) or "no dependencies")
        return deps

    def _resolve(self, specifier: str, importer: str | None) -> str | None:
        env = self.server.environments["client"]
        resolved = env.plugin_container.resolve_id(specifier, importer)
        if resolved is None or resolved.external:
            return None
        return resolved.id.split("?", 1)[0]

    # -- bundle --------------------------------------------------------------------
    def _bundle(self, deps: dict[str, str], config_hash: str) -> OptimizerMetadata:
        from ..esbuild.binary import ESBUILD_VERSION

        browser_hash = hashlib.sha256(
            json.dumps([config_hash, sorted(deps.items()), ESBUILD_VERSION]).encode()
        ).hexdigest()[:8]
        staging = self.config.cache_dir / f"deps_temp_{browser_hash}"
        shutil.rmtree(staging, ignore_errors=True)
        optimized: dict[str, OptimizedDep] = {}
        t0 = time.perf_counter()
        if deps:
            flat = {flatten_id(spec): path for spec, path in deps.items()}
            node_env = "production" if self.config.mode == "production" else "development"
            result = self.server.esbuild.build(
                entry_points=flat, bundle=True, write=True, metafile=True, format="esm",
                splitting=True, platform="browser", target="es2020", sourcemap=True,
                outdir=staging.as_posix(), abs_working_dir=self.config.root.as_posix(),
                define={"process.env.NODE_ENV": json.dumps(node_env), "global": "globalThis"},
                main_fields=["browser", "module", "jsnext:main", "jsnext", "main"],
                conditions=["browser", "module", "import", node_env], log_level="silent",
                supported={"dynamic-import": True, "import-meta": True},
                chunk_names="chunk-[hash]", ignore_annotations=False,
            )
            metafile = result.metafile or {}
            inputs = metafile.get("inputs", {})
            outputs = metafile.get("outputs", {})
            for spec, src in deps.items():
                name = flatten_id(spec)
                out_key = next((k for k, o in outputs.items()
                                if k.endswith(f"/{name}.js") and o.get("entryPoint")), None)
                rel_src = Path(src).relative_to(self.config.root).as_posix() if src.startswith(
                    self.config.root.as_posix() + "/") else src
                fmt = inputs.get(rel_src, {}).get("format")
                exports = outputs.get(out_key, {}).get("exports", []) if out_key else []
                needs_interop = fmt == "cjs" or (fmt is None and exports == ["default"])
                optimized[spec] = OptimizedDep(
                    spec, src, (self.deps_dir / f"{name}.js").as_posix(), needs_interop)
        else:
            staging.mkdir(parents=True, exist_ok=True)
        meta = OptimizerMetadata(config_hash, browser_hash, optimized)
        (staging / "_metadata.json").write_text(meta.to_json(), "utf-8")
        (staging / "package.json").write_text('{"type": "module"}', "utf-8")
        # Swap the folder in one step so a request never sees half a bundle.
        old = self.config.cache_dir / f"deps_old_{browser_hash}"
        if self.deps_dir.exists():
            self.deps_dir.rename(old)
        staging.rename(self.deps_dir)
        shutil.rmtree(old, ignore_errors=True)
        # Modules served from the old bundle must be transformed again.
        graph = self.server.environments["client"].module_graph
        for node in list(graph.id_to_module.values()):
            if node.file and self.is_optimized_file(node.file):
                graph.invalidate_module(node)
        logger.info("optimized %d dependencies in %.0f ms", len(optimized), (time.perf_counter() - t0) * 1000)
        return meta
