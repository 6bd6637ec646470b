"""One environment of a build (``client`` or ``ssr``): its plugins and what they emit.

The build runs the same Python plugins as the dev server, in build mode
(``ctx.config.dev`` is false, ``apply="serve"`` plugins are left out). A
:class:`BuildEnvironment` holds the plugin container, the esbuild service
the plugins use (``ctx.environment.server.esbuild``, as in dev), and what the
modules leave behind for the output step: emitted assets, the CSS of each
stylesheet module (extracted into per-chunk files later), and the
``define`` values esbuild substitutes.
"""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import logging
import posixpath
import threading
import typing as t
from pathlib import Path

from ..errors import ViteError
from .names import sanitize_name
from ..plugin import Plugin
from ..server.plugin_container import HookContext, PluginContainer

if t.TYPE_CHECKING:
    from ..config import ViteConfig
    from ..esbuild.service import EsbuildService

logger = logging.getLogger("flask_vite.build")

#: Where hashed files go inside the output folder (Vite's ``build.assetsDir``).
ASSETS_DIR = "assets"


class BuildError(ViteError):
    """The build failed; the message says where (file:line:column when known)."""

    code = "BUILD"


def content_hash(data: bytes) -> str:
    """Eight URL-safe characters naming ``data`` (the ``[hash]`` of file names).

    Like Rollup's hashes (``index-Cev0nqI1.js``): base64url of a SHA-256, so
    names change exactly when the content does, and client and SSR builds
    give one asset the same name.
    """
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).decode("ascii")[:8]


@dataclasses.dataclass
class EmittedAsset:
    """A file the build writes as it is (an imported image, a font, ``emit_file``)."""

    #: Output path relative to the output folder: ``assets/hero-CLDdwZDr.png``.
    file: str
    source: bytes
    #: The source file relative to the root (``src/assets/hero.png``), when known:
    #: the asset's manifest key.
    src: str | None = None
    name: str | None = None


class _NoModuleGraph:
    """The build has no dev module graph; hooks asking for module info get ``None``."""

    def get_module_by_id(self, id: str) -> None:
        return None

    def get_modules_by_file(self, file: str) -> tuple[()]:
        return ()


class BuildHookContext(HookContext):
    """A hook's context in a build: :meth:`emit_file` writes into the output."""

    def emit_file(self, *, type: str = "asset", file_name: str | None = None,
                  name: str | None = None, source: str | bytes = b"") -> str:
        """Emit a file; returns its path in the output folder (flask-vite's reference id).

        ``file_name`` is used as given; otherwise the file is named
        ``assets/[name]-[hash][ext]`` after ``name``.
        """
        if type != "asset":
            self.error(f"emit_file(type={type!r}) is not supported by flask-vite's build;"
                       " emit assets, or add the module as a build input.")
        data = source.encode("utf-8") if isinstance(source, str) else bytes(source)
        environment = t.cast(BuildEnvironment, self._container.environment)
        return environment.emit_asset(data, name=name or "asset", file_name=file_name).file


class BuildPluginContainer(PluginContainer):
    """The dev container, with build contexts and a ``build_end`` hook."""

    def _call(self, plugin: Plugin, hook: str, id: str | None, *args: t.Any) -> t.Any:
        # The container makes dev HookContexts; hooks in a build get one that
        # emits files (same state: the module id and the source-map chain).
        if args and type(args[0]) is HookContext:
            dev = args[0]
            ctx = BuildHookContext(self, plugin, dev._module_id)
            ctx._maps = dev._maps
            ctx.watch_files = dev.watch_files
            args = (ctx, *args[1:])
        return super()._call(plugin, hook, id, *args)

    def build_end(self, error: BaseException | None) -> None:
        """Run every plugin's ``build_end`` (each runs, even if one fails)."""
        failure: BaseException | None = None
        for plugin in self.plugins:
            if type(plugin).build_end is Plugin.build_end:
                continue
            try:
                self._call(plugin, "build_end", None, HookContext(self, plugin), error)
            except BaseException as e:
                failure = failure or e
        if failure is not None:
            raise failure


class BuildEnvironment:
    """The ``client`` or ``ssr`` environment of one build.

    :param name: ``"client"`` or ``"ssr"``.
    :param config: The settings, in build mode (``dev`` false).
    :param plugins: The environment's plugins (see :func:`flask_vite.build.plugins.build_plugins`).
    :param esbuild: The esbuild service for the bundle and the plugins.
    :param define: Global replacements esbuild makes (key → JavaScript expression).
    :param emit_assets: Write emitted assets (client); the ``ssr`` environment
        only needs their URLs, which the client build writes.
    """

    def __init__(self, name: str, config: ViteConfig, plugins: t.Sequence[Plugin],
                 esbuild: EsbuildService, *, define: t.Mapping[str, str] | None = None,
                 emit_assets: bool = True) -> None:
        self.name = name
        self.config = config
        self.ssr = name != "client"
        self.esbuild = esbuild
        self.define = dict(define or {})
        self.emit_assets = emit_assets
        #: Plugins reach the esbuild service as ``ctx.environment.server.esbuild``
        #: in dev; the build environment plays both parts.
        self.server = self
        self.module_graph = _NoModuleGraph()
        self.plugin_container = BuildPluginContainer(plugins, config, ssr=self.ssr,
                                                     environment=t.cast(t.Any, self))
        self._lock = threading.Lock()
        #: Output path → asset, in the order emitted.
        self.assets: dict[str, EmittedAsset] = {}
        #: Module id of an imported asset → its output path (for the manifest's ``assets``).
        self.asset_modules: dict[str, str] = {}
        #: Module id of a stylesheet → its compiled CSS (client: extracted per chunk).
        self.css: dict[str, str] = {}
        #: Module id of a CSS module → its class map (from ``vite:css`` to ``vite:css-post``).
        self.css_class_maps: dict[str, dict[str, str]] = {}
        #: Module id of a stylesheet → assets its ``url()``s point at.
        self.css_assets: dict[str, list[str]] = {}
        #: How many modules were loaded (the progress line).
        self.module_count = 0
        #: The ``tsconfigRaw`` of the bundle; ``None``: every TypeScript module
        #: is compiled by ``vite:esbuild`` (see :class:`~flask_vite.build.plugins.BuildEsbuildPlugin`).
        self.bundler_tsconfig: dict[str, t.Any] | None = None
        #: TypeScript modules left to the bundler to compile.
        self.deferred_ts: set[str] = set()

    def __repr__(self) -> str:
        return f"<BuildEnvironment {self.name!r}>"

    # -- assets ------------------------------------------------------------------------
    def emit_asset(self, data: bytes, *, name: str, file_name: str | None = None,
                   src: str | None = None) -> EmittedAsset:
        """Record a file for the output: ``assets/[name]-[hash][ext]`` unless ``file_name``."""
        if file_name is None:
            base = posixpath.basename(name)
            stem, dot, ext = base.rpartition(".")
            if not dot:
                stem, ext = base, ""
            file = f"{ASSETS_DIR}/{sanitize_name(stem)}-{content_hash(data)}{'.' + ext if ext else ''}"
        else:
            file = file_name.lstrip("/")
        with self._lock:
            found = self.assets.get(file)
            if found is None:
                found = self.assets[file] = EmittedAsset(file, data, src, name)
            elif src and not found.src:
                found.src = src
        return found

    def asset_url(self, file: str) -> str:
        """The public URL of an output file (``/assets/hero-CLDdwZDr.png``)."""
        return self.config.base + file

    def relative_to_root(self, path: str) -> str:
        """``src/App.tsx`` for ``<root>/src/App.tsx``; other ids as they are."""
        root = self.config.root.as_posix().rstrip("/") + "/"
        if path.startswith(root):
            return path[len(root):]
        if path.startswith("/"):
            return posixpath.relpath(path, root)
        return path

    def read_bytes(self, file: str) -> bytes:
        return Path(file).read_bytes()


def json_string(text: str) -> str:
    """``JSON.stringify(text)`` (non-ASCII kept)."""
    return json.dumps(text, ensure_ascii=False)
