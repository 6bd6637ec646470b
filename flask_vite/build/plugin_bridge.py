"""Our Python plugin pipeline inside esbuild's bundler.

esbuild does the bundling (module graph, scope hoisting, tree shaking, code
splitting, minification); every module still goes through the same plugin
hooks as in dev, through one esbuild plugin whose callbacks are Python:

- ``on_resolve`` → the container's ``resolve_id`` (aliases, ``node_modules``
  with the environment's conditions, virtual modules, user plugins);
- ``on_load`` → ``load`` (or the file on disk), then every ``transform``:
  TypeScript/JSX, JSON, assets as hashed URLs, CSS collected for extraction,
  ``import.meta.glob``, the user's transforms.

What comes back to esbuild is always JavaScript. Module ids that are files
stay in esbuild's ``file`` namespace (the query, such as ``?raw``, as its
suffix), so metafile keys and source maps name real files; other ids
(``\\0virtual:x``) live in the ``vite`` namespace.

In the ``ssr`` environment an import that would stay external (a Node
built-in, a URL) fails the build with the chain of imports that led to it:
the bundle runs in V8, which can load nothing at run time.
"""
from __future__ import annotations

import base64
import dataclasses
import json
import os
import posixpath
import re
import threading
import typing as t

from ..errors import EsbuildError, EsbuildMessage, ViteError
from ..esbuild.service import OnLoadArgs, OnLoadResult, OnResolveArgs, OnResolveResult
from ..esbuild.service import Plugin as EsbuildPlugin
from ..plugin import ResolveOptions
from ..resolve.packages import is_node_builtin
from ..server.plugin_container import PluginError
from ..server.urls import split_file_and_postfix
from .options import IMPORT_META_ENV_NAME
from .plugins import IMPORT_META_ENV_ID, bundler_tsconfig

if t.TYPE_CHECKING:
    from ..esbuild.service import PluginBuild
    from .environment import BuildEnvironment

#: Namespace of modules whose id is not a file (virtual modules).
VIRTUAL_NAMESPACE = "vite"
#: Namespace of HTML entries: their module is the list of their scripts.
HTML_NAMESPACE = "vite-html"

_LOADERS = {".ts": "ts", ".mts": "ts", ".cts": "ts", ".tsx": "tsx", ".jsx": "jsx"}
#: The lines of an HTML entry's module (``import "/src/main.ts";``).
_IMPORT_LINE_RE = re.compile(r'^import ("(?:[^"\\]|\\.)*");$', re.M)


@dataclasses.dataclass(frozen=True)
class BuildEntry:
    """One input of a build.

    :param name: The output name (``index`` → ``assets/index-[hash].js``).
    :param id: The module id: an absolute path (``/app/index.html``,
        ``/app/src/main.tsx``).
    :param code: For an HTML entry, the JavaScript standing for it (imports
        of its scripts and stylesheets); ``None`` for a module entry.
    """

    name: str
    id: str
    code: str | None = None

    @property
    def is_html(self) -> bool:
        return self.code is not None


class PluginBridge:
    """The esbuild plugin of one environment's build, and what it learns on the way.

    After the build, :attr:`ids` maps metafile input keys back to module ids.
    """

    def __init__(self, environment: BuildEnvironment, entries: t.Sequence[BuildEntry], *,
                 sourcemap: bool = False) -> None:
        self.environment = environment
        self.container = environment.plugin_container
        self.root = environment.config.root.as_posix()
        self.entries = {entry.id: entry for entry in entries}
        self.sourcemap = sourcemap
        #: Metafile input key → module id.
        self.ids: dict[str, str] = {}
        #: Module id → the module that first imported it (for import chains).
        self.importers: dict[str, str] = {}
        #: File → the source map of what the pipeline made of it (to report
        #: esbuild's errors at positions in the file as written).
        self.maps: dict[str, t.Any] = {}
        self._lock = threading.Lock()

    def plugin(self) -> EsbuildPlugin:
        return EsbuildPlugin("vite:build", self._setup)

    def first_typescript_module(self) -> str | None:
        """The first TypeScript module among the entries (an HTML page's scripts
        resolved): where the bundle's tsconfig comes from."""
        for entry in self.entries.values():
            ids = [entry.id]
            if entry.is_html:
                specs = [json.loads(m) for m in _IMPORT_LINE_RE.findall(entry.code or "")]
                ids = []
                for spec in specs:
                    resolved = self.container.resolve_id(spec, entry.id)
                    if resolved is not None and not resolved.external:
                        ids.append(resolved.id)
            for id in ids:
                if "?" not in id and id.endswith((".ts", ".tsx", ".mts")):
                    return id
        return None

    def esbuild_options(self) -> dict[str, t.Any]:
        """Build options that follow the environment: the tsconfig the bundler
        compiles TypeScript with, and the JSX runtime when it does not say."""
        raw = self.environment.bundler_tsconfig = bundler_tsconfig(
            self.environment, self.first_typescript_module())
        if raw is None:
            return {"jsx": "automatic"}
        options: dict[str, t.Any] = {"tsconfig_raw": raw}
        if "jsx" not in raw.get("compilerOptions", {}):
            options["jsx"] = "automatic"  # as vite:esbuild (and @vitejs/plugin-react)
        return options

    def _setup(self, build: PluginBuild) -> None:
        build.on_resolve(".*", None, self._on_resolve)
        build.on_load(".*", "file", self._on_load)
        build.on_load(".*", VIRTUAL_NAMESPACE, self._on_load)
        build.on_load(".*", HTML_NAMESPACE, self._on_load_html)

    # -- ids -----------------------------------------------------------------------------
    def _where(self, id: str) -> tuple[str, str, str]:
        """esbuild's (namespace, path, suffix) for a module id."""
        if id.startswith("/") and "\0" not in id:
            file, postfix = split_file_and_postfix(id)
            return "file", file, postfix
        return VIRTUAL_NAMESPACE, id, ""

    def _record(self, namespace: str, path: str, suffix: str, id: str) -> None:
        if namespace == "file":
            key = posixpath.relpath(path, self.root) + suffix
        else:
            key = f"{namespace}:{path}"
        with self._lock:
            self.ids.setdefault(key, id)

    @staticmethod
    def _id(namespace: str, path: str, suffix: str) -> str:
        return path + suffix if namespace == "file" else path

    def import_chain(self, id: str) -> list[str]:
        """The modules from an entry down to ``id`` (root-relative, as ``/src/a.ts``)."""
        chain = [id]
        seen = {id}
        while chain[-1] in self.importers:
            parent = self.importers[chain[-1]]
            if parent in seen:
                break
            seen.add(parent)
            chain.append(parent)
        return [self._display(i) for i in reversed(chain)]

    def _display(self, id: str) -> str:
        relative = self.environment.relative_to_root(id)
        return relative if relative.startswith(("../", "\0", "node:")) or ":" in relative.split("/")[0] \
            else "/" + relative

    # -- callbacks -----------------------------------------------------------------------
    def _on_resolve(self, args: OnResolveArgs) -> OnResolveResult | None:
        if args.kind == "entry-point":
            entry = self.entries.get(args.path)
            if entry is None:
                return None
            if entry.is_html:
                self._record(HTML_NAMESPACE, entry.id, "", entry.id)
                return OnResolveResult(path=entry.id, namespace=HTML_NAMESPACE)
            namespace, path, suffix = self._where(entry.id)
            self._record(namespace, path, suffix, entry.id)
            return OnResolveResult(path=path, namespace=namespace, suffix=suffix or None)
        # A file path (without its suffix: the directory is what resolution needs),
        # a virtual id, or an HTML page (whose scripts resolve like Vite's).
        importer = args.importer
        options = ResolveOptions(ssr=self.environment.ssr, attributes=dict(args.with_ or {}))
        try:
            resolved = self.container.resolve_id(args.path, importer or None, options)
        except Exception as e:
            return OnResolveResult(errors=[EsbuildMessage(text=_text(e))])
        if resolved is None:
            # Our resolver did not find it: let esbuild's own resolver try (same
            # conditions); if it fails too, esbuild reports the import's location.
            return None
        if resolved.external:
            if self.environment.ssr:
                return OnResolveResult(errors=[EsbuildMessage(text=self._ssr_external(
                    resolved.id, importer))])
            return OnResolveResult(path=resolved.id, external=True)
        with self._lock:
            self.importers.setdefault(resolved.id, importer)
        namespace, path, suffix = self._where(resolved.id)
        self._record(namespace, path, suffix, resolved.id)
        return OnResolveResult(path=path, namespace=namespace, suffix=suffix or None)

    def _ssr_external(self, id: str, importer: str) -> str:
        chain = " -> ".join([*self.import_chain(importer), id])
        if is_node_builtin(id):
            return (f'"{id}" is a Node.js built-in module, which the V8 renderer does not have'
                    f" (import chain: {chain}). Move the code that needs it into your Flask"
                    " view, or import a browser/worker build of the package.")
        return (f'"{id}" would stay an import of the server bundle, which V8 cannot load at'
                f" run time (import chain: {chain}). Install it so that it can be bundled.")

    def _on_load(self, args: OnLoadArgs) -> OnLoadResult:
        id = self._id(args.namespace, args.path, args.suffix)
        with self._lock:
            self.environment.module_count += 1
        try:
            loaded = self.container.load(id)
            if loaded is None:
                code = self._read(id)
                result = self.container.transform(code, id, None)
            else:
                result = self.container.transform(loaded.code, id, loaded.map)
        except Exception as e:
            return OnLoadResult(errors=_messages(e, id))
        code = result.code
        if "import.meta.env" in code and _uses_import_meta_env(code, id):
            # esbuild replaces `import.meta.env` by a name (see options.py); bring it
            # into scope. At the end: imports are hoisted, and no position moves.
            code += (f"\nimport {IMPORT_META_ENV_NAME} from"
                     f" {json.dumps(IMPORT_META_ENV_ID)};\n")
        if result.map and args.namespace == "file":
            with self._lock:
                self.maps[args.path] = result.map
        if self.sourcemap and result.map:
            map_json = json.dumps(result.map) if not isinstance(result.map, str) else result.map
            encoded = base64.b64encode(map_json.encode("utf-8")).decode("ascii")
            code += f"\n//# sourceMappingURL=data:application/json;base64,{encoded}\n"
        file = args.path if args.namespace == "file" else None
        if id in self.environment.deferred_ts:
            loader = _LOADERS[os.path.splitext(split_file_and_postfix(id)[0])[1]]
        else:
            loader = self._loader(id, code, loaded.code if loaded else None)
        return OnLoadResult(
            contents=code, loader=loader,
            resolve_dir=posixpath.dirname(file) if file else self.root)

    def _on_load_html(self, args: OnLoadArgs) -> OnLoadResult:
        entry = self.entries[args.path]
        return OnLoadResult(contents=entry.code or "", loader="js",
                            resolve_dir=posixpath.dirname(entry.id))

    def locate(self, message: EsbuildMessage) -> EsbuildMessage:
        """``message`` at its position in the file as written, when esbuild
        reported it in code a plugin transformed (TypeScript compiled …)."""
        if not message.file or message.line is None or ":" in message.file.split("/", 1)[0]:
            return message
        path = posixpath.normpath(posixpath.join(self.root, message.file))
        source_map = self.maps.get(path)
        if source_map is None:
            return message
        from ..sourcemap import original_position, parse_map

        parsed = parse_map(source_map)
        found = original_position(parsed, message.line, message.column or 0) if parsed else None
        if found is None:
            return message
        source, line, column = found
        line_text = message.line_text
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
            if posixpath.basename(source) == posixpath.basename(path) and 0 < line <= len(lines):
                line_text = lines[line - 1]
        except OSError:
            pass
        return message._replace(line=line, column=column, line_text=line_text)

    # -- helpers -------------------------------------------------------------------------
    def _read(self, id: str) -> str:
        if not id.startswith("/") or "\0" in id:
            raise ViteError(f"No plugin loads the module {id!r}. Is a plugin missing?",
                            code="LOAD")
        file, _ = split_file_and_postfix(id)
        with open(file, "rb") as f:
            data = f.read()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise ViteError(f"{file} is not UTF-8 text and no plugin loads it. Import it as"
                            " an asset (a known extension, or ?url / ?raw / ?inline).",
                            code="LOAD") from None

    @staticmethod
    def _loader(id: str, code: str, loaded: str | None) -> str:
        # After the pipeline a module is JavaScript; a TypeScript file no plugin
        # compiled (a query the esbuild plugin skips) is left to esbuild's loader.
        file, _ = split_file_and_postfix(id)
        ext = os.path.splitext(file)[1]
        if ext in _LOADERS and file.endswith(".d.ts") is False and code == loaded:
            return _LOADERS[ext]
        return "js"


def _uses_import_meta_env(code: str, id: str) -> bool:
    """Whether ``import.meta.env`` is code here, not text in a comment or a string
    (an import added to a CommonJS file would make it an ES module)."""
    from ..js_lexer import LexError, parse

    try:
        imports, _ = parse(code, id)
    except LexError:
        return False  # esbuild reports the syntax error
    return any(imp.d == -2 and code.startswith(".env", imp.e) for imp in imports)


def _text(error: BaseException) -> str:
    return str(error) if isinstance(error, ViteError) else f"{type(error).__name__}: {error}"


def _messages(error: BaseException, id: str) -> list[t.Any]:
    """Build errors for an exception raised while loading ``id``, located when we can."""
    cause = error.__cause__ if isinstance(error, PluginError) else None
    for candidate in (error, cause):
        if isinstance(candidate, EsbuildError) and candidate.errors:
            return list(candidate.errors)
    for candidate in (error, cause):
        line = getattr(candidate, "line", None)
        if candidate is not None and isinstance(line, int):
            return [EsbuildMessage(text=_text(error), file=getattr(candidate, "file", None) or
                                   split_file_and_postfix(id)[0], line=line,
                                   column=max(0, int(getattr(candidate, "column", 1) or 1) - 1))]
    file = split_file_and_postfix(id)[0] if id.startswith("/") else None
    return [EsbuildMessage(text=_text(error), file=file, line=1 if file else None,
                           column=0 if file else None)]
