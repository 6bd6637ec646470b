"""From esbuild's output to Vite's: chunk names, extracted CSS, preload lists, hashes.

esbuild bundles and splits; this module gives the result Vite's shape:

1. **The module graph** from the metafile (every import in source order),
   the *entry set* of each module (the entries, static or dynamic, that reach
   it through static imports) and the order modules run in (ESM evaluation:
   dependencies first).
2. **CSS per chunk**: a stylesheet goes with the chunk esbuild made for the
   same entry set -- where Rollup would have put its module -- so a lazily
   loaded route's CSS is in that route's chunk, not in the page's.
   Stylesheets are joined in evaluation order and minified by esbuild into
   ``assets/[chunk name]-[hash].css``.
3. **Preload lists**: each ``__vitePreload(() => import("./x.js"), marker)``
   gets the files chunk ``x`` needs (its static imports and every CSS file
   on the way), which the helper adds to the page before the chunk runs.
4. **Names**: ``assets/[name]-[hash].js`` where the hash covers the chunk's
   final code *and* the names of the chunks it references (through cycles
   too: a strongly connected group is hashed as one), so a file's name
   changes whenever anything it loads changes -- the condition for caching
   hashed files forever.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import posixpath
import re
import typing as t

from ..js_lexer import LexError, parse
from ..string_edit import StringEdit
from .environment import ASSETS_DIR, BuildError, content_hash
from .names import sanitize_name
from .plugins import PRELOAD_MARKER_RE

if t.TYPE_CHECKING:
    from ..esbuild.service import BuildResult
    from .environment import BuildEnvironment
    from .plugin_bridge import BuildEntry, PluginBridge

#: Imports that load a module before the importer runs.
STATIC_KINDS = frozenset({"import-statement", "require-call", "import-rule", "composes-from"})


@dataclasses.dataclass
class Chunk:
    """One JavaScript file of the client build."""

    #: esbuild's name for it, relative to the output folder (``assets/chunk-X2Y3.js``).
    placeholder: str
    code: str
    #: esbuild's source map (JSON text), when source maps are on.
    map: str | None
    name: str
    #: Module id of its entry (``/app/index.html``, ``/app/src/About.tsx``); ``None``
    #: for a shared chunk.
    facade: str | None = None
    is_entry: bool = False
    is_dynamic_entry: bool = False
    #: Module ids in the chunk, in evaluation order (stylesheets included).
    modules: list[str] = dataclasses.field(default_factory=list)
    #: Placeholders of the chunks it imports statically / dynamically.
    imports: list[str] = dataclasses.field(default_factory=list)
    dynamic_imports: list[str] = dataclasses.field(default_factory=list)
    css_modules: list[str] = dataclasses.field(default_factory=list)
    #: Output files, relative to the output folder.
    css: list[str] = dataclasses.field(default_factory=list)
    assets: list[str] = dataclasses.field(default_factory=list)
    #: The final file name and contents, once named.
    file: str = ""
    integrity: str | None = None


@dataclasses.dataclass
class OutputFile:
    """A file to write, relative to the output folder."""

    file: str
    contents: bytes


@dataclasses.dataclass
class ChunkedOutput:
    chunks: list[Chunk]
    #: Final ``.js`` / ``.css`` / ``.map`` files, in the order Vite reports them.
    files: list[OutputFile]


class ModuleGraph:
    """The metafile's module graph, with module ids in place of input keys."""

    def __init__(self, metafile: dict[str, t.Any], ids: t.Mapping[str, str]) -> None:
        self._ids = ids
        self.imports: dict[str, list[tuple[str, str]]] = {}
        #: Module → the modules that import it (any kind).
        self.importers: dict[str, set[str]] = {}
        for key, info in metafile.get("inputs", {}).items():
            edges = []
            importer = self.id(key)
            for imp in info.get("imports") or ():
                if imp.get("external"):
                    continue
                target = self.id(imp["path"])
                edges.append((target, imp["kind"]))
                self.importers.setdefault(target, set()).add(importer)
            self.imports[importer] = edges

    def id(self, key: str) -> str:
        return self._ids.get(key, key)

    def static_imports(self, id: str) -> list[str]:
        return [target for target, kind in self.imports.get(id, ()) if kind in STATIC_KINDS]

    def reach(self, entries: t.Sequence[str]) -> dict[str, frozenset[str]]:
        """Module → the entries that load it through static imports."""
        found: dict[str, set[str]] = {}
        for entry in entries:
            stack = [entry]
            while stack:
                id = stack.pop()
                owners = found.setdefault(id, set())
                if entry in owners:
                    continue
                owners.add(entry)
                stack.extend(self.static_imports(id))
        return {id: frozenset(owners) for id, owners in found.items()}

    def evaluation_order(self, entries: t.Sequence[str]) -> dict[str, int]:
        """Module → its position when the entries run one after the other
        (post-order: a module's static imports run before it, in source order)."""
        order: dict[str, int] = {}
        visiting: set[str] = set()
        for entry in entries:
            # Iterative post-order DFS: (module, index of the next import to visit).
            stack: list[tuple[str, int]] = [(entry, 0)]
            visiting.add(entry)
            while stack:
                id, index = stack.pop()
                imports = self.static_imports(id)
                if index < len(imports):
                    stack.append((id, index + 1))
                    child = imports[index]
                    if child not in order and child not in visiting:
                        visiting.add(child)
                        stack.append((child, 0))
                    continue
                if id not in order:
                    order[id] = len(order)
        return order


def chunk_output(environment: BuildEnvironment, result: BuildResult, bridge: PluginBridge,
                 entries: t.Sequence[BuildEntry], out_dir: str, *, minify: bool,
                 sourcemap: bool, sri: bool) -> ChunkedOutput:
    """Turn the client bundle into named chunks, CSS files and maps (see the module doc)."""
    if result.metafile is None:
        raise BuildError("esbuild returned no metafile")
    root = environment.config.root.as_posix()
    graph = ModuleGraph(result.metafile, bridge.ids)
    outputs = result.metafile.get("outputs", {})
    by_path = {f.path: f for f in result.output_files}
    entry_ids = [entry.id for entry in entries]
    names = {entry.id: entry.name for entry in entries}

    chunks: dict[str, Chunk] = {}
    output_info: dict[str, dict[str, t.Any]] = {}
    for key, info in outputs.items():
        absolute = posixpath.normpath(posixpath.join(root, key))
        placeholder = posixpath.relpath(absolute, out_dir)
        if not placeholder.endswith(".js"):
            continue  # maps come with their chunk; nothing else is expected
        output = by_path.get(absolute)
        if output is None:
            raise BuildError(f"esbuild's metafile names {key}, which it did not output")
        map_output = by_path.get(absolute + ".map")
        chunk = Chunk(placeholder, output.text, map_output.text if map_output else None, "")
        if info.get("entryPoint"):
            chunk.facade = graph.id(info["entryPoint"])
            chunk.is_entry = chunk.facade in names
            chunk.is_dynamic_entry = not chunk.is_entry
        chunks[placeholder] = chunk
        output_info[placeholder] = info

    dynamic_entries = [c.facade for c in chunks.values() if c.is_dynamic_entry and c.facade]
    all_entries = [*entry_ids, *dynamic_entries]
    order = graph.evaluation_order(all_entries)
    reach = graph.reach(all_entries)
    position = order.get

    # -- modules, chunk imports, names -------------------------------------------------
    chunk_of_set: dict[frozenset[str], Chunk] = {}
    entry_chunk: dict[str, Chunk] = {}
    for placeholder, chunk in chunks.items():
        info = output_info[placeholder]
        # "<define:import.meta.env>" and the like are esbuild's, not modules.
        modules = [graph.id(k) for k, v in info.get("inputs", {}).items()
                   if v.get("bytesInOutput") and not k.startswith("<")]
        if chunk.facade is not None and chunk.facade not in modules:
            modules.append(chunk.facade)  # an HTML entry's module is only imports
        modules.sort(key=lambda m: position(m, len(order)))
        chunk.modules = modules
        for imp in info.get("imports") or ():
            if imp.get("external"):
                continue
            target = posixpath.relpath(posixpath.normpath(posixpath.join(root, imp["path"])),
                                       out_dir)
            if target not in chunks:
                continue
            if imp["kind"] == "dynamic-import":
                if target not in chunk.dynamic_imports:
                    chunk.dynamic_imports.append(target)
            elif target not in chunk.imports:
                chunk.imports.append(target)
        if chunk.facade is not None:
            entry_chunk[chunk.facade] = chunk
            chunk_of_set[frozenset({chunk.facade})] = chunk
            chunk.name = names.get(chunk.facade) or _module_name(chunk.facade)
        elif modules:
            chunk_of_set.setdefault(reach.get(modules[0], frozenset()), chunk)
            chunk.name = _shared_chunk_name(chunk, graph)
        else:
            chunk.name = "chunk"

    # -- CSS: each stylesheet with the chunk of its entry set ---------------------------------
    for id in sorted(environment.css, key=lambda m: position(m, len(order))):
        owners = reach.get(id)
        if not owners:
            continue  # not part of the bundle (a module that failed to load, say)
        home = chunk_of_set.get(owners)
        targets = [home] if home is not None else [
            entry_chunk[e] for e in all_entries if e in owners and e in entry_chunk]
        for chunk in targets:
            if id not in chunk.css_modules:
                chunk.css_modules.append(id)

    files: list[OutputFile] = []
    for chunk in chunks.values():
        if chunk.css_modules:
            css_file, css_files = _css_file(environment, chunk, out_dir, minify=minify,
                                            sourcemap=sourcemap)
            chunk.css.append(css_file)
            files.extend(css_files)
        assets: list[str] = []
        for id in sorted([*chunk.modules, *chunk.css_modules],
                         key=lambda m: position(m, len(order))):
            found = [environment.asset_modules[id]] if id in environment.asset_modules else []
            for file in [*found, *environment.css_assets.get(id, ())]:
                if file not in assets:
                    assets.append(file)
        chunk.assets = assets
        chunk.modules = sorted({*chunk.modules, *chunk.css_modules},
                               key=lambda m: position(m, len(order)))

    files.extend(_name_chunks(environment, chunks, sourcemap=sourcemap, sri=sri))
    return ChunkedOutput(list(chunks.values()), files)


# -- names ---------------------------------------------------------------------------------
def _module_name(id: str) -> str:
    """The name of a chunk made for a module: its file name without extension."""
    base = posixpath.basename(id.split("?", 1)[0])
    return sanitize_name(base.rsplit(".", 1)[0] if "." in base else base)


def _shared_chunk_name(chunk: Chunk, graph: ModuleGraph) -> str:
    """Name a shared chunk after the module other chunks import it for.

    Rollup names such a chunk after one of its modules (``jsx-runtime`` for
    React's runtime shared by two entries); we take the first module, in
    evaluation order, that a module outside the chunk imports.
    """
    inside = set(chunk.modules)
    # The app's modules name a chunk better than the build's own (\0vite/…).
    candidates = [m for m in chunk.modules if not m.startswith("\0")] or chunk.modules
    for id in candidates:
        if graph.importers.get(id, set()) - inside:
            name = _module_name(id)
            if name == "index" and "/" in id:
                # node_modules/react/index.js → "react", as the folder says more
                parent = posixpath.basename(posixpath.dirname(id.split("?", 1)[0]))
                name = sanitize_name(parent) or name
            return name
    return _module_name(chunk.modules[0]) if chunk.modules else "chunk"


# -- CSS files -----------------------------------------------------------------------------
def _css_file(environment: BuildEnvironment, chunk: Chunk, out_dir: str, *, minify: bool,
              sourcemap: bool) -> tuple[str, list[OutputFile]]:
    """Join a chunk's stylesheets (in order) into one minified CSS file."""
    from ..esbuild.service import OnLoadResult, OnResolveResult, Plugin

    pieces = {f"{index}.css": id for index, id in enumerate(chunk.css_modules)}
    entry = "".join(f'@import "{key}";\n' for key in pieces)

    def setup(build: t.Any) -> None:
        def resolve(args: t.Any) -> OnResolveResult:
            if args.kind == "entry-point":
                return OnResolveResult(path="entry.css", namespace="vite-css-chunk")
            if args.namespace == "vite-css-chunk" and args.kind == "import-rule" \
                    and args.path in pieces:
                return OnResolveResult(path=pieces[args.path], namespace="vite-css-piece")
            # url()s are final already; leftover @imports are external URLs.
            return OnResolveResult(path=args.path, external=True)

        def load_entry(args: t.Any) -> OnLoadResult:
            return OnLoadResult(contents=entry, loader="css")

        def load_piece(args: t.Any) -> OnLoadResult:
            return OnLoadResult(contents=environment.css[args.path], loader="css")

        build.on_resolve(".*", None, resolve)
        build.on_load(".*", "vite-css-chunk", load_entry)
        build.on_load(".*", "vite-css-piece", load_piece)

    result = environment.esbuild.build(
        entry_points=["entry.css"], bundle=True, write=False, metafile=False, format=None,
        outdir=out_dir, abs_working_dir=environment.config.root.as_posix(), minify=minify,
        sourcemap="external" if sourcemap else False, charset="utf8", log_level="silent",
        target=list(BROWSER_TARGETS), plugins=[Plugin("vite:css-chunk", setup)])
    css = b""
    css_map: bytes | None = None
    for output in result.output_files:
        if output.path.endswith(".css"):
            css = output.contents
        elif output.path.endswith(".css.map"):
            css_map = _css_map_sources(output.contents)
    if not minify:
        # esbuild heads each file's rules with its (here made-up) path.
        css = re.sub(rb"^/\* vite-css-(?:piece|chunk):.*?\*/\n?", b"", css, flags=re.M).rstrip()
        css += b"\n"
    file = f"{ASSETS_DIR}/{chunk.name}-{content_hash(css)}.css"
    files = []
    if css_map is not None:
        css += f"/*# sourceMappingURL={posixpath.basename(file)}.map */\n".encode()
        files.append(OutputFile(file + ".map", css_map))
    return file, [OutputFile(file, css), *files]


def _css_map_sources(data: bytes) -> bytes:
    source_map = json.loads(data)
    source_map["sources"] = [s.split("vite-css-piece:", 1)[-1] for s in source_map.get("sources", [])]
    return json.dumps(source_map).encode("utf-8")


#: Vite's default ``build.target`` (``'baseline-widely-available'``).
BROWSER_TARGETS = ("chrome111", "edge111", "firefox114", "safari16.4")


# -- preload lists -------------------------------------------------------------------------
def _preload_edits(chunk: Chunk, chunks: t.Mapping[str, Chunk], base_relative: bool
                   ) -> list[tuple[int, int, list[str]]]:
    """(start, end, files) for each preload marker of ``chunk``."""
    code = chunk.code
    markers = [m.span() for m in PRELOAD_MARKER_RE.finditer(code)]
    if not markers:
        return []
    try:
        imports, _ = parse(code, chunk.placeholder)
    except LexError as e:
        raise BuildError(f"Cannot parse esbuild's output {chunk.placeholder}: {e}") from e
    dynamic = [imp for imp in imports if imp.d > -1]
    pairs = _pair_markers(dynamic, markers)
    edits: list[tuple[int, int, list[str]]] = []
    for imp, (start, end) in pairs:
        deps: list[str] = []
        if imp is not None and imp.n is not None:
            target = posixpath.normpath(posixpath.join(posixpath.dirname(chunk.placeholder), imp.n))
            deps = _chunk_deps(target, chunk.placeholder, chunks)
            # The list always holds the chunk itself; alone, nothing to preload.
            if len(deps) <= 1:
                deps = []
        if base_relative:
            deps = [_relative(dep, chunk.placeholder) for dep in deps]
        edits.append((start, end, deps))
    return edits


def _pair_markers(imports: list[t.Any], markers: list[tuple[int, int]]
                  ) -> list[tuple[t.Any, tuple[int, int]]]:
    """Match each marker with its dynamic import (Vite's ``matchImportsToPreloadMarkers``).

    A marker follows its import; nested wrappers close innermost first, so
    imports open on a stack and each marker closes the latest open one.
    """
    pairs: list[tuple[t.Any, tuple[int, int]]] = []
    open_imports: list[t.Any] = []
    next_import = 0
    for marker in markers:
        while next_import < len(imports) and imports[next_import].e <= marker[0]:
            open_imports.append(imports[next_import])
            next_import += 1
        pairs.append((open_imports.pop() if open_imports else None, marker))
    return pairs


def _chunk_deps(target: str, owner: str, chunks: t.Mapping[str, Chunk]) -> list[str]:
    """The files a dynamically imported chunk needs, as Vite lists them: the
    chunk, then depth first its static imports, each followed by its CSS."""
    deps: list[str] = []
    seen: set[str] = set()

    def add(placeholder: str) -> None:
        if placeholder == owner or placeholder in seen:
            return
        seen.add(placeholder)
        chunk = chunks.get(placeholder)
        if chunk is None:
            return
        deps.append(placeholder)
        for imported in chunk.imports:
            add(imported)
        for css in chunk.css:
            if css not in deps:
                deps.append(css)

    add(target)
    return deps


def _relative(file: str, importer: str) -> str:
    rel = posixpath.relpath(file, posixpath.dirname(importer))
    return rel if rel.startswith(".") else "./" + rel


# -- hashing and naming --------------------------------------------------------------------
def _name_chunks(environment: BuildEnvironment, chunks: dict[str, Chunk], *, sourcemap: bool,
                 sri: bool) -> list[OutputFile]:
    base_relative = environment.config.base == "./"
    placeholders = list(chunks)
    # esbuild's names are unique (they carry esbuild's own hash): find them as text.
    names_re = re.compile("|".join(re.escape(posixpath.basename(p)) for p in placeholders)) \
        if placeholders else None
    by_basename = {posixpath.basename(p): p for p in placeholders}

    marker_edits: dict[str, list[tuple[int, int, list[str]]]] = {}
    stage_a: dict[str, str] = {}
    refs: dict[str, list[str]] = {}
    for placeholder, chunk in chunks.items():
        edits = _preload_edits(chunk, chunks, base_relative)
        marker_edits[placeholder] = edits
        edit = StringEdit(chunk.code)
        for start, end, deps in edits:
            edit.overwrite(start, end, json.dumps(deps))
        text = edit.apply() if edits else chunk.code
        stage_a[placeholder] = text
        found: list[str] = []
        if names_re is not None:
            for match in names_re.finditer(text):
                target = by_basename[match.group(0)]
                if target != placeholder and target not in found:
                    found.append(target)
        refs[placeholder] = found

    digests: dict[str, str] = {}
    for group in _components(placeholders, refs):
        members = set(group)
        outside = [digests[r] for p in sorted(group) for r in refs[p] if r not in members]
        if len(group) == 1:
            (p,) = group
            h = hashlib.sha256(stage_a[p].encode("utf-8"))
            h.update("\0".join(outside).encode())
            digests[p] = h.hexdigest()
            continue
        joint = hashlib.sha256()
        for p in sorted(group):
            joint.update(stage_a[p].encode("utf-8") + b"\0")
        joint.update("\0".join(outside).encode())
        for p in group:
            digests[p] = hashlib.sha256((joint.hexdigest() + p).encode()).hexdigest()
    for placeholder, chunk in chunks.items():
        chunk.file = f"{ASSETS_DIR}/{chunk.name}-{content_hash(digests[placeholder].encode())}.js"

    final = {posixpath.basename(p): posixpath.basename(c.file) for p, c in chunks.items()}
    full = {p: c.file for p, c in chunks.items()}
    files: list[OutputFile] = []
    for placeholder, chunk in chunks.items():
        # One edit list over esbuild's code, so its source map can follow exactly.
        edit = StringEdit(chunk.code)
        marker_spans = []
        for start, end, deps in marker_edits[placeholder]:
            named = [_rename(dep, full, final, base_relative) for dep in deps]
            edit.overwrite(start, end, json.dumps(named))
            marker_spans.append((start, end))
        if names_re is not None:
            for match in names_re.finditer(chunk.code):
                if any(s <= match.start() < e for s, e in marker_spans):
                    continue
                edit.overwrite(match.start(), match.end(), final[match.group(0)])
        code = edit.apply() if edit.changed else chunk.code
        map_text: str | None = None
        if sourcemap and chunk.map is not None:
            source_map = edit.shift_map(json.loads(chunk.map), chunk.placeholder) \
                if edit.changed else json.loads(chunk.map)
            source_map["file"] = posixpath.basename(chunk.file)
            source_map["sources"] = [_source_path(s, environment, chunk.placeholder)
                                     for s in source_map.get("sources", [])]
            map_text = json.dumps(source_map)
            code = code.rstrip("\n") + f"\n//# sourceMappingURL={posixpath.basename(chunk.file)}.map\n"
        data = code.encode("utf-8")
        if sri:
            import base64

            chunk.integrity = "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()
        chunk.code = code
        files.append(OutputFile(chunk.file, data))
        if map_text is not None:
            files.append(OutputFile(chunk.file + ".map", map_text.encode("utf-8")))
    return files


def _rename(dep: str, full: t.Mapping[str, str], final: t.Mapping[str, str],
            base_relative: bool) -> str:
    if dep in full:
        return full[dep]
    if base_relative:
        head, _, name = dep.rpartition("/")
        if name in final:
            return f"{head}/{final[name]}" if head else final[name]
    return dep


def _source_path(source: str, environment: BuildEnvironment, placeholder: str) -> str:
    # esbuild writes sources relative to the map's folder; keep them so, but
    # name virtual modules plainly.
    return source.replace("vite:", "").replace("\0", "")


def _components(nodes: t.Sequence[str], edges: t.Mapping[str, t.Sequence[str]]) -> list[list[str]]:
    """Strongly connected components, dependencies first (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: list[list[str]] = []
    counter = 0
    for start in nodes:
        if start in index:
            continue
        work: list[tuple[str, int]] = [(start, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            children = edges.get(node, ())
            if i < len(children):
                work.append((node, i + 1))
                child = children[i]
                if child not in index:
                    work.append((child, 0))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            for child in children:
                if child in on_stack:
                    low[node] = min(low[node], low[child])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                result.append(group)
    return result
