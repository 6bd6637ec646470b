"""``vite:css``: stylesheets imported from JavaScript, as Vite serves them in dev.

``import "./App.css"`` becomes a JavaScript module that puts the CSS in a
``<style>`` through the HMR client and swaps it on every edit without a page
reload (Vite's ``vite:css`` + ``vite:css-post``):

.. code-block:: js

    import { updateStyle as __vite__updateStyle, removeStyle as __vite__removeStyle }
      from "/@vite/client"  // (one line)
    const __vite__id = "/app/src/App.css"
    const __vite__css = ".app { color: red }"
    __vite__updateStyle(__vite__id, __vite__css)
    import.meta.hot.accept()
    import.meta.hot.prune(() => __vite__removeStyle(__vite__id))

Other forms:

* ``*.module.css``: class names are made local with esbuild's ``local-css``
  loader; the module exports the class map (``export default {...}`` and
  a named export per valid identifier). It does not accept its own updates:
  the class names its importers hold may change;
* ``?inline``: ``export default "<css>"``, nothing injected;
* ``?direct`` (a ``<link rel=stylesheet>``): the CSS itself, served as
  ``text/css`` (``meta["content_type"]``);
* in SSR: CSS modules export their class map, plain CSS nothing.

``@import`` is inlined by an esbuild bundle of the stylesheet; every file it
pulls in is watched, so editing it updates the importer. ``url()``s are
rewritten to dev URLs (relative → ``/src/img.png``, public files and
``data:``/``http:`` URLs kept). Preprocessors (Sass, Less, Stylus) and
PostCSS plugins need Node.js and are not run.
"""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import posixpath
import re
import threading
import typing as t

from ..errors import EsbuildError, ViteError
from ..esbuild.service import OnLoadArgs, OnLoadResult, OnResolveArgs, OnResolveResult
from ..esbuild.service import Plugin as EsbuildPlugin
from ..plugin import LoadResult, LoadReturn, Plugin, PluginContext
from ..server.urls import (
    CLIENT_PUBLIC_PATH, clean_url, decode_uri_if_possible, inject_query, is_css_request,
    is_direct_request, is_inline_request, is_special_query, is_url_request, join_url_segments,
    split_file_and_postfix,
)
from .asset import check_public_file, dev_base, file_to_dev_url
from .env import is_production
from .json import is_legal_identifier

if t.TYPE_CHECKING:
    from ..esbuild.service import EsbuildService, PluginBuild

__all__ = ["CompiledCss", "CssError", "CssPlugin", "css_modules_to_esm", "is_css_module",
           "is_stylesheet_module", "preprocessor_of"]

_CSS_MODULE_RE = re.compile(r"\.module\.(css|less|sass|scss|styl|stylus|pcss|postcss|sss)(?:$|\?)")
# Languages that need a preprocessor (a Node.js package) to become CSS.
_PREPROCESSED_RE = re.compile(r"\.(less|sass|scss|styl|stylus|sss)(?:$|\?)")
_COMMONJS_PROXY_RE = re.compile(r"[?&]commonjs-proxy")
_EXTERNAL_URL_RE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.I)
_FUNCTION_CALL_RE = re.compile(r"^[A-Z_][.\w-]*\(", re.I)
_POSTCSS_CONFIGS = ("postcss.config.js", "postcss.config.cjs", "postcss.config.mjs",
                    "postcss.config.ts", ".postcssrc", ".postcssrc.json", ".postcssrc.js")

# esbuild plumbing: the stylesheet being compiled enters the build under this
# name; CSS modules live in a namespace of their own (see _module_path).
_ENTRY = "__vite_css_entry__"
_MODULES_NS = "vite-css-module"
_VIRTUAL_NS = "vite-css-virtual"
_JS_NS = "vite-css-js"
_OUT_DIR_NAME = "__vite_css_out__"

_VAR_RE = re.compile(r'^var ([\w$]+) = ("(?:[^"\\]|\\.)*");$', re.M)
_EXPORT_BLOCK_RE = re.compile(r"__export\(([\w$]+), \{\n(.*?)\n\}\);", re.S)
_EXPORT_ENTRY_RE = re.compile(r'^\s*(?:"((?:[^"\\]|\\.)*)"|([\w$]+)): \(\) => ([\w$]+),?$')
_OBJECT_RE = re.compile(r"^var ([\w$]+) = \{\n(.*?)\n\};$", re.M | re.S)
_OBJECT_ENTRY_RE = re.compile(r'^\s*(?:"((?:[^"\\]|\\.)*)"|([\w$]+))(?::|,|$)')
_ENTRY_DEFAULT_RE = re.compile(r"^var [\w$]+ = ([\w$]+);$", re.M)
#: esbuild's id for CSS it could only read by repairing it.
_CSS_SYNTAX_ERROR = "css-syntax-error"
_PATH_COMMENT_RE = re.compile(r"^/\* (.+) \*/$", re.M)


class CssError(ViteError):
    """A stylesheet cannot be served (unsupported language, bad query)."""

    code = "CSS"


def is_stylesheet_module(id: str) -> bool:
    """Whether ``vite:css`` (and ``vite:css-post`` in a build) transform ``id``:
    a stylesheet, not a ``?raw``/``?url``/``?worker`` import of one, nor a
    CommonJS proxy."""
    return (is_css_request(id) and not is_special_query(id)
            and not _COMMONJS_PROXY_RE.search(id))


def preprocessor_of(id: str) -> str | None:
    """``"scss"`` for ``/src/a.scss``: a language that needs a preprocessor
    (a Node.js package) to become CSS; ``None`` for CSS."""
    match = _PREPROCESSED_RE.search(id)
    return match.group(1) if match else None


def is_css_module(id: str) -> bool:
    """``*.module.css`` (and the other CSS languages' ``.module.*``)."""
    return bool(_CSS_MODULE_RE.search(id))


@dataclasses.dataclass
class CompiledCss:
    """A stylesheet after ``@import`` inlining and ``url()`` rewriting."""

    css: str
    #: Source map of :attr:`css` (absolute source paths), when esbuild ran.
    map: dict[str, t.Any] | None = None
    #: Class map of a CSS module: local name → generated class names.
    modules: dict[str, str] | None = None
    #: Files pulled in with ``@import`` / ``composes``: editing them changes this CSS.
    deps: list[str] = dataclasses.field(default_factory=list)


def _js_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def css_modules_to_esm(modules: t.Mapping[str, str]) -> str:
    """Rollup's ``dataToEsm(modules, {namedExports: true, preferConst: true})``."""
    named: list[str] = []
    rows: list[str] = []
    for key, value in modules.items():
        if is_legal_identifier(key):
            named.append(f"export const {key} = {_js_string(value)};\n")
            rows.append(f"{key}: {key}")
        else:
            rows.append(f"{_js_string(key)}: {_js_string(value)}")
    return "".join(named) + "export default {\n\t" + ",\n\t".join(rows) + "\n};\n"


def _parse_class_map(js: str) -> dict[str, str]:
    """The class map from esbuild's bundle of ``import * as m from "x.module.css"``.

    The namespace's ``__export`` block gives each name's variable (esbuild
    sorts it); the module's default object gives the source order, which is
    the order the map keeps.
    """
    strings = {name: t.cast(str, json.loads(text)) for name, text in _VAR_RE.findall(js)}
    default = _ENTRY_DEFAULT_RE.findall(js)
    blocks = {name: body for name, body in _EXPORT_BLOCK_RE.findall(js)}
    body = blocks.get(default[-1]) if default else None
    if body is None:
        if not blocks:
            return {}
        body = next(iter(blocks.values()))
    exported: dict[str, str] = {}
    for line in body.splitlines():
        match = _EXPORT_ENTRY_RE.match(line)
        if match is None:
            raise CssError(f"Unexpected CSS modules output from esbuild: {line!r}")
        key = json.loads(f'"{match.group(1)}"') if match.group(1) is not None else match.group(2)
        exported[key] = match.group(3)
    objects = dict(_OBJECT_RE.findall(js))
    order: list[str] = []
    for line in objects.get(exported.get("default", ""), "").splitlines():
        match = _OBJECT_ENTRY_RE.match(line)
        if match is not None:
            order.append(json.loads(f'"{match.group(1)}"') if match.group(1) is not None
                         else match.group(2))
    order += [key for key in exported if key not in order]
    return {key: strings[exported[key]] for key in order
            if key != "default" and exported.get(key) in strings}


class CssPlugin(Plugin):
    """``vite:css``.

    :param dev_sourcemap: Vite's ``css.devSourcemap``: add an inline source
        map to the CSS sent to the browser (off by default, as in Vite).
    :param inline_limit: Passed on to ``url()`` rewriting: SVGs under this
        size become data URLs, as when imported from JavaScript.
    """

    name = "vite:css"

    def __init__(self, *, dev_sourcemap: bool = False, inline_limit: int = 4096) -> None:
        self.dev_sourcemap = dev_sourcemap
        self.inline_limit = inline_limit
        self._warned_postcss = False

    # -- hooks -------------------------------------------------------------------------
    def load(self, ctx: PluginContext, id: str) -> LoadReturn:
        if is_url_request(id) and is_css_module(id):
            raise CssError(f"?url is not supported with CSS modules. (tried to import"
                           f" {json.dumps(id)})")
        return None  # ?url of plain CSS is vite:asset's, as in Vite's dev server

    def transform(self, ctx: PluginContext, code: str, id: str) -> LoadReturn:
        if not is_stylesheet_module(id):
            return None
        lang = preprocessor_of(id)
        if lang is not None:
            raise CssError(f"{clean_url(id)}: .{lang} files need a preprocessor, which runs on"
                           " Node.js; flask-vite serves plain CSS only. Compile it to .css"
                           " first, or write it as CSS (nesting and custom properties work in"
                           " browsers).")
        self._warn_postcss(ctx)
        if code.startswith("\ufeff"):
            code = code[1:]
        module = is_css_module(id)
        inlined = is_inline_request(id)
        direct = is_direct_request(id)
        if ctx.ssr and not module and not inlined:
            return LoadResult("export {}", {"mappings": ""})
        compiled = self.compile(ctx, code, id)
        for dep in compiled.deps:
            ctx.add_watch_file(dep)
        css = compiled.css
        if self.dev_sourcemap and compiled.map and (direct or not inlined):
            encoded = base64.b64encode(json.dumps(compiled.map).encode("utf-8")).decode("ascii")
            css += f"\n/*# sourceMappingURL=data:application/json;base64,{encoded} */"
        if direct:
            return LoadResult(css, compiled.map, {"content_type": "text/css"})
        if inlined:
            return LoadResult(f"export default {_js_string(css)}", {"mappings": ""})
        modules_code = css_modules_to_esm(compiled.modules) if compiled.modules is not None \
            else None
        if ctx.ssr:
            return LoadResult(modules_code or "export {}", {"mappings": ""})
        lines = [
            "import { updateStyle as __vite__updateStyle, removeStyle as __vite__removeStyle }"
            f" from {_js_string(CLIENT_PUBLIC_PATH)}",
            f"const __vite__id = {_js_string(id)}",
            f"const __vite__css = {_js_string(css)}",
            "__vite__updateStyle(__vite__id, __vite__css)",
            # CSS modules' exports change on edit, so they cannot accept themselves.
            modules_code or "import.meta.hot.accept()",
            "import.meta.hot.prune(() => __vite__removeStyle(__vite__id))",
        ]
        return LoadResult("\n".join(lines), {"mappings": ""})

    def _warn_postcss(self, ctx: PluginContext) -> None:
        if self._warned_postcss:
            return
        self._warned_postcss = True
        for name in _POSTCSS_CONFIGS:
            if (ctx.config.root / name).is_file():
                ctx.warn(f"{ctx.config.root / name} is not used: PostCSS plugins (Tailwind,"
                         " autoprefixer) run on Node.js, which flask-vite does without.")
                break

    # -- compiling ---------------------------------------------------------------------
    def compile(self, ctx: PluginContext, code: str, id: str) -> CompiledCss:
        """Inline ``@import``s, rewrite ``url()``s and, for a CSS module, make its
        class names local."""
        module = is_css_module(id)
        environment = ctx.environment
        if environment is None:
            raise CssError(f"cannot compile {clean_url(id)} outside a dev environment")
        if not module and "@import" not in code and "url(" not in code:
            # Nothing to rewrite: the source is served as it is, once esbuild
            # has read it (a syntax error must reach the overlay).
            _check_syntax(ctx, environment.server.esbuild, code, clean_url(id))
            return CompiledCss(code)
        return _CssBuild(self, ctx, environment.server.esbuild, code, id, module).run()


def _check_syntax(ctx: PluginContext, esbuild: EsbuildService, code: str, file: str) -> None:
    """Raise :class:`EsbuildError` for CSS esbuild can only read by repairing
    it; pass its other warnings on, as for a compiled stylesheet."""
    warnings = esbuild.transform(code, loader="css", sourcefile=file).warnings
    errors = [w for w in warnings if w.id == _CSS_SYNTAX_ERROR]
    if errors:
        raise EsbuildError(errors, [w for w in warnings if w.id != _CSS_SYNTAX_ERROR],
                           summary=f"Failed to compile {file}")
    for warning in warnings:
        ctx.warn(warning.format())


class _CssBuild:
    """One esbuild bundle of one stylesheet."""

    def __init__(self, plugin: CssPlugin, ctx: PluginContext, esbuild: EsbuildService,
                 code: str, id: str, module: bool) -> None:
        self.plugin = plugin
        self.ctx = ctx
        self.esbuild = esbuild
        self.code = code
        self.id = id
        self.module = module
        self.root = ctx.config.root.as_posix()
        self.file = clean_url(id)
        self.on_disk = self.file.startswith("/") and not id.startswith("\0")
        self.out_dir = posixpath.join(self.root, _OUT_DIR_NAME)
        #: Module paths in the esbuild namespace → real files.
        self.real: dict[str, str] = {}
        self._lock = threading.Lock()

    # -- paths ---------------------------------------------------------------------------
    def _module_path(self, real: str) -> str:
        """The path a CSS module has inside the build: ``<stem>_<hash>.css``.

        esbuild names local classes after the file (``App_title``), so two
        ``App.module.css`` in different folders would clash in one page; a
        hash of the real path in the name keeps them apart.
        """
        name = posixpath.basename(real)
        stem = _CSS_MODULE_RE.split(name)[0] or "style"
        digest = hashlib.sha256(real.encode("utf-8")).hexdigest()[:5]
        fake = f"{posixpath.dirname(real)}/{stem}_{digest}.css"
        with self._lock:
            self.real[fake] = real
        return fake

    def _real_path(self, build_path: str) -> str:
        if build_path.startswith(_MODULES_NS + ":"):
            return self.real.get(build_path[len(_MODULES_NS) + 1:], build_path)
        if ":" in build_path.split("/", 1)[0]:
            return build_path  # another namespace
        return posixpath.normpath(posixpath.join(self.root, build_path))

    # -- esbuild callbacks ---------------------------------------------------------------
    def _setup(self, build: PluginBuild) -> None:
        build.on_resolve(".*", None, self._on_resolve)
        build.on_load(".*", _MODULES_NS, self._on_load_module)
        build.on_load(".*", _VIRTUAL_NS, lambda args: OnLoadResult(
            contents=self.code, loader="css", resolve_dir=self.root))
        build.on_load(".*", _JS_NS, lambda args: OnLoadResult(
            contents=f"import * as m from {json.dumps(_ENTRY)}; export default m",
            loader="js", resolve_dir=self.root))
        if self.on_disk and not self.module:
            # The entry's text is what earlier plugins made of the file, not the disk's.
            build.on_load("^" + re.escape(self.file) + "$", "file", lambda args: OnLoadResult(
                contents=self.code, loader="css"))

    def _on_resolve(self, args: OnResolveArgs) -> OnResolveResult | None:
        if args.path == _ENTRY:
            if self.module:
                return OnResolveResult(path=self._module_path(self.file), namespace=_MODULES_NS)
            if self.on_disk:
                return OnResolveResult(path=self.file)
            return OnResolveResult(path="virtual.css", namespace=_VIRTUAL_NS)
        if args.kind == "entry-point":
            return OnResolveResult(path="entry.js", namespace=_JS_NS)
        if args.kind == "url-token":
            return OnResolveResult(path=self._rewrite_url(args.path, args.resolve_dir),
                                   external=True)
        if args.kind in ("import-rule", "composes-from"):
            if _EXTERNAL_URL_RE.match(args.path) or args.path.startswith("data:"):
                return OnResolveResult(path=args.path, external=True)
            resolved = self._resolve_import(args.path, args.resolve_dir)
            if resolved is None:
                return None  # esbuild's own resolver: node_modules, with the "style" condition
            if is_css_module(resolved):
                return OnResolveResult(path=self._module_path(resolved), namespace=_MODULES_NS)
            return OnResolveResult(path=resolved)
        return None

    def _on_load_module(self, args: OnLoadArgs) -> OnLoadResult:
        real = self.real.get(args.path, args.path)
        if real == self.file:
            contents = self.code
        else:
            with open(real, encoding="utf-8") as f:
                contents = f.read()
        return OnLoadResult(contents=contents, loader="local-css",
                            resolve_dir=posixpath.dirname(real))

    def _resolve_import(self, spec: str, resolve_dir: str) -> str | None:
        """A file for an ``@import``, or ``None`` for esbuild to resolve (packages).

        Root-absolute paths are under the root, and a bare path is tried as a
        relative one first (Vite's CSS resolver has ``preferRelative``).
        Packages are left to esbuild, with Vite's CSS conditions (``style``).
        The plugin pipeline's resolver is not asked: it would register the
        package with the dependency optimizer, which is for JavaScript.
        """
        candidate = self._local_file(split_file_and_postfix(spec)[0], resolve_dir)
        return candidate if os.path.isfile(candidate) else None

    def _local_file(self, path: str, resolve_dir: str) -> str:
        """The file a root-absolute path, or a relative one (even without
        ``./``), names from ``resolve_dir``."""
        if path.startswith("/"):
            return posixpath.normpath(self.root + path)
        return posixpath.normpath(posixpath.join(resolve_dir or self.root, path))

    def _rewrite_url(self, raw: str, resolve_dir: str) -> str:
        """The URL for a ``url()`` (Vite's CSS ``urlResolver``): public files
        by :meth:`_public_url`, files next to the stylesheet by :meth:`_asset_url`."""
        if (not raw or raw.startswith(("#", "data:")) or _EXTERNAL_URL_RE.match(raw)
                or _FUNCTION_CALL_RE.match(raw)):
            return raw
        decoded = decode_uri_if_possible(raw) or raw
        if check_public_file(decoded, self.ctx.config) is not None:
            return self._public_url(decoded)
        path, postfix = split_file_and_postfix(decoded)
        file = self._local_file(path, resolve_dir)
        if not os.path.isfile(file):
            return raw  # left for the browser, as Vite does with URLs it cannot resolve
        return self._asset_url(file, postfix)

    def _public_url(self, path: str) -> str:
        return join_url_segments(dev_base(self.ctx.config), path)

    def _asset_url(self, file: str, postfix: str) -> str:
        url = file_to_dev_url(self.ctx, file + postfix, inline_limit=self.plugin.inline_limit)
        if not url.startswith("data:"):
            url = self._with_timestamp(url, file)
        return url

    def _with_timestamp(self, url: str, file: str) -> str:
        # An asset that was hot-updated must be fetched again, not from the cache.
        environment = self.ctx.environment
        graph = getattr(environment, "module_graph", None)
        nodes = graph.get_modules_by_file(file) if graph is not None else ()
        stamps = [getattr(n, "last_hmr_timestamp", 0) for n in nodes or ()]
        stamp = max(stamps, default=0)
        return inject_query(url, f"t={stamp}") if stamp else url

    # -- the build -----------------------------------------------------------------------
    def run(self) -> CompiledCss:
        entry = "entry.js" if self.module else _ENTRY
        try:
            result = self.esbuild.build(
                entry_points=[entry], bundle=True, write=False, outdir=self.out_dir,
                abs_working_dir=self.root, format="esm" if self.module else None,
                sourcemap="external", metafile=True, charset="utf8", log_level="silent",
                # How Vite's CSS resolver picks a package's stylesheet.
                conditions=["style", "production" if is_production(self.ctx.config)
                            else "development"],
                main_fields=["style"],
                plugins=[EsbuildPlugin("vite:css", self._setup)],
            )
        except EsbuildError as e:
            raise self._located(e) from e
        syntax_errors = [w for w in result.warnings if w.id == _CSS_SYNTAX_ERROR]
        if syntax_errors:
            # esbuild repairs broken CSS and only warns; PostCSS, which Vite
            # runs, refuses it ("Unclosed block"): an error, and the overlay.
            raise self._located(EsbuildError(
                syntax_errors, [w for w in result.warnings if w.id != _CSS_SYNTAX_ERROR]))
        for warning in result.warnings:
            self.ctx.warn(self._message(warning).format())
        css = ""
        css_map: dict[str, t.Any] | None = None
        js = ""
        for out in result.output_files:
            if out.path.endswith(".css"):
                css = out.text
            elif out.path.endswith(".css.map"):
                css_map = self._absolute_map(json.loads(out.text))
            elif out.path.endswith(".js"):
                js = out.text
        css = _PATH_COMMENT_RE.sub(self._path_comment, css)
        deps: list[str] = []
        for key in (result.metafile or {}).get("inputs", {}):
            real = self._real_path(key)
            if real.startswith("/") and real != self.file and real not in deps:
                deps.append(real)
        modules = _parse_class_map(js) if self.module else None
        return CompiledCss(css, css_map, modules, deps)

    def _path_comment(self, match: re.Match[str]) -> str:
        # esbuild heads each file's rules with its path; show ours, not the build's.
        if not match.group(1).startswith((_MODULES_NS + ":", _VIRTUAL_NS + ":")):
            return match.group(0)
        real = self._real_path(match.group(1))
        if real.startswith(_VIRTUAL_NS + ":"):
            real = self.file
        if real.startswith(self.root + "/"):
            real = real[len(self.root) + 1:]
        return f"/* {real} */"

    def _absolute_map(self, map: dict[str, t.Any]) -> dict[str, t.Any]:
        sources = []
        for source in map.get("sources") or []:
            if source.startswith(_MODULES_NS + ":"):
                sources.append(self._real_path(source))
            elif ":" in source.split("/", 1)[0]:
                sources.append(self.file if source.startswith(_VIRTUAL_NS + ":") else source)
            else:
                sources.append(posixpath.normpath(posixpath.join(self.out_dir, source)))
        return dict(map, sources=sources)

    def _message(self, message: t.Any) -> t.Any:
        if message.file:
            real = self._real_path(message.file)
            if real.startswith(_VIRTUAL_NS + ":"):
                real = self.file
            return message._replace(file=real)
        return message

    def _located(self, error: EsbuildError) -> EsbuildError:
        """The same error with real file paths (not the build's module paths)."""
        return EsbuildError([self._message(m) for m in error.errors],
                            [self._message(m) for m in error.warnings],
                            summary=f"Failed to compile {self.file}")
