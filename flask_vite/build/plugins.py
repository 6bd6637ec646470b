"""The plugin pipeline of a build: the dev pipeline's plugins, in build mode.

:func:`build_plugins` takes the dev order (:func:`flask_vite.plugins.resolve_plugins`)
and swaps what only makes sense in dev for its build counterpart, as Vite
swaps ``vite:import-analysis`` for ``vite:build-import-analysis``:

==============================  ===============================================
dev                             build
==============================  ===============================================
``vite:client``                 (none: no HMR client)
``vite:html-inline-proxy``      :class:`HtmlProxyPlugin` (inline ``<script type=module>``)
``vite:css`` (injects styles)   :class:`BuildCssPlugin` (compiles) + :class:`CssPostPlugin`
                                (collects the CSS for extraction, leaves a JS stub)
``vite:asset`` (dev URLs)       :class:`BuildAssetPlugin` (hashed files, data URLs)
``vite:define`` (a transform    esbuild's ``define`` for the whole bundle; values esbuild
per module)                     cannot take stay with the plugin
``vite:import-analysis``        :class:`PreloadPlugin` (client: dynamic imports preload
                                their CSS and chunks)
``vite:ssr-transform``          (none: the bundle is CommonJS already)
==============================  ===============================================

Resolution, esbuild (TS/JSX), JSON and ``import.meta.glob`` run as in dev, and
so do the user's plugins (but those with ``apply="serve"``).
"""
from __future__ import annotations

import json
import posixpath
import re
import typing as t
from pathlib import Path

from ..errors import EsbuildError
from ..js_lexer import LexError, parse
from ..plugin import (
    LoadResult,
    LoadReturn,
    Plugin,
    PluginContext,
    ResolveIdReturn,
    ResolveOptions,
)
from ..plugins.asset import AssetPlugin, should_inline, to_data_url
from ..plugins.css import (
    CompiledCss,
    CssError,
    CssPlugin,
    _CssBuild,
    css_modules_to_esm,
    is_css_module,
    is_stylesheet_module,
    preprocessor_of,
)
from ..plugins.define import DefinePlugin, _esbuild_accepts
from ..plugins.esbuild import EsbuildPlugin
from ..plugins.glob import ImportGlobPlugin
from ..plugins.json import JsonPlugin
from ..server.urls import (
    clean_url,
    is_inline_request,
    is_raw_request,
    is_url_request,
    remove_import_query,
    remove_url_query,
    split_file_and_postfix,
)
from ..string_edit import StringEdit
from .environment import ASSETS_DIR, BuildEnvironment, json_string

if t.TYPE_CHECKING:
    from ..config import ViteConfig

RUNTIME_DIR = Path(__file__).resolve().parent / "runtime"
#: The helper dynamic imports are wrapped in (Vite's id).
PRELOAD_HELPER_ID = "\0vite/preload-helper.js"
#: Imported first by every built HTML entry (Vite's id).
MODULEPRELOAD_POLYFILL_ID = "\0vite/modulepreload-polyfill.js"
#: ``export default`` the environment's ``import.meta.env`` object.
IMPORT_META_ENV_ID = "\0vite/import-meta-env.js"
_RUNTIME_FILES = {
    PRELOAD_HELPER_ID: RUNTIME_DIR / "preload-helper.js",
    MODULEPRELOAD_POLYFILL_ID: RUNTIME_DIR / "modulepreload-polyfill.js",
}
#: Put where a dynamic import's dependency list goes; the build fills it in
#: once the chunks have their names (see :mod:`flask_vite.build.chunks`).
PRELOAD_MARKER = "__VITE_PRELOAD__"
PRELOAD_MARKER_RE = re.compile(r"([\"'`])" + PRELOAD_MARKER + r"\1")

_HTML_PROXY_RE = re.compile(r"[?&]html-proxy&index=(\d+)\.js$")
_DYNAMIC_IMPORT_RE = re.compile(r"\bimport\s*\(")


def _environment(ctx: PluginContext) -> BuildEnvironment:
    environment = ctx.environment
    if not isinstance(environment, BuildEnvironment):
        raise TypeError("this plugin runs in flask-vite's build only")
    return environment


# -- assets ------------------------------------------------------------------------------
def built_asset_url(environment: BuildEnvironment, id: str, *, inline_limit: int,
                    may_inline: bool = True) -> tuple[str, str | None]:
    """The URL an imported file has after the build, and its output file (if emitted).

    Vite's ``fileToBuiltUrl``: public-dir files keep their public URL; files
    under ``inline_limit`` bytes (and ``?inline``) become data URLs with
    :func:`~flask_vite.plugins.asset.to_data_url`; others are emitted as
    ``assets/[name]-[hash][ext]``. The URL is absolute (with the base) even
    for a relative base; callers that can be relative make it so.
    """
    file, postfix = split_file_and_postfix(id)
    path = Path(file)
    config = environment.config
    if config.public_dir is not None:
        try:
            rel = path.relative_to(config.public_dir)
        except ValueError:
            pass
        else:
            return config.base + rel.as_posix(), None
    content = path.read_bytes()
    if may_inline and should_inline(id, content, inline_limit):
        return to_data_url(path.name, content), None
    asset = environment.emit_asset(content, name=path.name,
                                   src=environment.relative_to_root(file))
    # The query (?url, ?inline …) is for the build; a #fragment belongs to the URL.
    fragment = postfix[postfix.index("#"):] if "#" in postfix else ""
    return environment.asset_url(asset.file) + fragment, asset.file


class BuildAssetPlugin(AssetPlugin):
    """``vite:asset`` in a build: imports of files give their built URL."""

    def load(self, ctx: PluginContext, id: str) -> LoadReturn:
        if id.startswith("\0") or is_raw_request(id):
            return super().load(ctx, id)  # ?raw reads the text, as in dev
        if not is_url_request(id) and not self._is_asset(id):
            return None
        environment = _environment(ctx)
        id = remove_import_query(remove_url_query(id))
        url, file = built_asset_url(environment, id, inline_limit=self.inline_limit)
        if file is not None:
            with environment._lock:
                environment.asset_modules[id] = file
        code = f"export default {json_string(url)}"
        if file is not None and ctx.config.base == "./" and not ctx.ssr:
            # A relative base: resolve against the chunk, which lives in assets/ too.
            rel = posixpath.relpath(file, ASSETS_DIR)
            code = f"export default new URL({json_string(rel)}, import.meta.url).href"
        return LoadResult(code, {"mappings": ""})

    def _is_asset(self, id: str) -> bool:
        from ..plugins.asset import is_asset_request

        return is_asset_request(id, self.assets_include)


# -- CSS ---------------------------------------------------------------------------------
class _BuildCssCompile(_CssBuild):
    """The dev stylesheet compile (``@import`` inlined, CSS modules made local)
    with ``url()``s pointing at built assets instead of dev URLs."""

    def _public_url(self, path: str) -> str:
        config = self.ctx.config
        if config.base == "./":
            return "../" + path.lstrip("/")  # from assets/ to the output root
        return config.base + path.lstrip("/")

    def _asset_url(self, file: str, postfix: str) -> str:
        environment = _environment(self.ctx)
        url, emitted = built_asset_url(environment, file + postfix,
                                       inline_limit=self.plugin.inline_limit)
        if emitted is None:
            return url
        with environment._lock:
            found = environment.css_assets.setdefault(self.id, [])
            if emitted not in found:
                found.append(emitted)
        if self.ctx.config.base == "./":
            return posixpath.relpath(emitted, ASSETS_DIR)  # the CSS file sits in assets/ too
        return url


class BuildCssPlugin(CssPlugin):
    """``vite:css`` in a build: compiles a stylesheet and passes the CSS on.

    As in Vite, the plugins after it see CSS; :class:`CssPostPlugin` turns
    it into a JavaScript module.
    """

    def transform(self, ctx: PluginContext, code: str, id: str) -> LoadReturn:
        if not is_stylesheet_module(id):
            return None
        lang = preprocessor_of(id)
        if lang is not None:
            raise CssError(f"{clean_url(id)}: .{lang} files need a preprocessor,"
                           " which runs on Node.js; flask-vite builds plain CSS only."
                           " Compile it to .css first, or write it as CSS.")
        self._warn_postcss(ctx)
        code = code.removeprefix("\ufeff")
        module = is_css_module(id)
        inlined = is_inline_request(id)
        if ctx.ssr and not module and not inlined:
            return LoadResult(code, {"mappings": ""})  # the server bundle needs no CSS
        if module or "@import" in code or "url(" in code:
            environment = _environment(ctx)
            compiled = _BuildCssCompile(self, ctx, environment.esbuild, code, id, module).run()
        else:
            compiled = CompiledCss(code)
        if compiled.modules is not None:
            environment = _environment(ctx)
            with environment._lock:
                environment.css_class_maps[id] = compiled.modules
        return LoadResult(compiled.css, compiled.map)


class CssPostPlugin(Plugin):
    """``vite:css-post``: a stylesheet becomes a JavaScript module.

    The client keeps the CSS for the chunk that ends up containing the
    module (:mod:`flask_vite.build.chunks` writes one ``.css`` per chunk);
    the module itself exports the class map of a CSS module and nothing for
    plain CSS. ``?inline`` exports the minified CSS text.
    """

    name = "vite:css-post"
    enforce = "post"

    def transform(self, ctx: PluginContext, code: str, id: str) -> LoadReturn:
        if not is_stylesheet_module(id):
            return None
        environment = _environment(ctx)
        with environment._lock:
            modules = environment.css_class_maps.get(id)
        if is_inline_request(id):
            try:
                css = environment.esbuild.transform(code, loader="css", minify=True,
                                                    charset="utf8", log_level="silent").code
            except EsbuildError:
                css = code  # the compile step reported anything that matters
            return LoadResult(f"export default {json_string(css.rstrip())}", {"mappings": ""})
        if not ctx.ssr:
            with environment._lock:
                environment.css[id] = code
        return LoadResult(css_modules_to_esm(modules) if modules is not None else "export {}",
                          {"mappings": ""})


# -- TypeScript ---------------------------------------------------------------------------
#: Extensions whose compile a build may leave to the bundler (see BuildEsbuildPlugin).
_DEFERRABLE_TS = (".ts", ".tsx", ".mts")


class BuildEsbuildPlugin(EsbuildPlugin):
    """``vite:esbuild`` in a build.

    A TypeScript module is compiled by esbuild either way; in dev by a
    ``transform`` per module, here preferably by the bundler itself while it
    parses the module, which saves a round trip to the esbuild process per
    module (40 % of a 500-module build). That is only the same thing when
    nothing after this plugin reads the module as JavaScript -- no user
    transform, no ``import.meta.glob`` or ``import()`` to rewrite -- and the
    bundler compiles with the very ``compilerOptions`` the transform would
    use (:attr:`BuildEnvironment.bundler_tsconfig`); otherwise the module is
    transformed here, as in dev.
    """

    def transform(self, ctx: PluginContext, code: str, id: str) -> LoadReturn:
        environment = _environment(ctx)
        if self._deferrable(ctx, environment, code, id):
            with environment._lock:
                environment.deferred_ts.add(id)
            return None
        return super().transform(ctx, code, id)

    def _deferrable(self, ctx: PluginContext, environment: BuildEnvironment, code: str,
                    id: str) -> bool:
        if (self.options or environment.bundler_tsconfig is None or "?" in id
                or not id.endswith(_DEFERRABLE_TS) or id.endswith(".d.ts")
                or "import.meta.glob" in code or _DYNAMIC_IMPORT_RE.search(code)
                or not self._only_safe_after(environment)):
            return False
        from ..resolve.errors import TsconfigError
        from ..resolve.tsconfig import tsconfig_raw_for

        try:
            return tsconfig_raw_for(id) == environment.bundler_tsconfig
        except TsconfigError:
            return False  # the transform reports it

    def _only_safe_after(self, environment: BuildEnvironment) -> bool:
        found = environment.__dict__.get("_esbuild_deferrable")
        if found is None:
            plugins = environment.plugin_container.plugins
            after = plugins[plugins.index(self) + 1:] if self in plugins else []
            # The build's own later transforms that ignore TypeScript syntax
            # (JSON files, CSS stubs) or only act on code this plugin keeps.
            safe = (JsonPlugin, ImportGlobPlugin, CssPostPlugin, PreloadPlugin)
            found = all(isinstance(p, safe) or not _has_transform(p) for p in after)
            environment.__dict__["_esbuild_deferrable"] = found
        return t.cast(bool, found)


def _has_transform(plugin: Plugin) -> bool:
    method = getattr(type(plugin), "transform", None)
    return method is not None and method is not Plugin.transform


def bundler_tsconfig(environment: BuildEnvironment, first_ts: str | None) -> dict[str, t.Any] | None:
    """The ``tsconfigRaw`` the bundler gets: that of the first TypeScript module
    (modules under another tsconfig are compiled by the plugin instead)."""
    if first_ts is None:
        return None
    from ..resolve.errors import TsconfigError
    from ..resolve.tsconfig import tsconfig_raw_for

    try:
        return tsconfig_raw_for(first_ts) or None
    except TsconfigError:
        return None


# -- HTML and runtime modules --------------------------------------------------------------
class HtmlProxyPlugin(Plugin):
    """Inline ``<script type="module">`` of a built HTML file, as modules.

    :mod:`flask_vite.build.html` registers each script's code under
    ``/abs/index.html?html-proxy&index=0.js`` (Vite's ids).
    """

    name = "vite:build-html-proxy"
    enforce = "pre"

    def __init__(self) -> None:
        self.scripts: dict[str, str] = {}

    def resolve_id(self, ctx: PluginContext, source: str, importer: str | None,
                   options: ResolveOptions) -> ResolveIdReturn:
        return source if source in self.scripts else None

    def load(self, ctx: PluginContext, id: str) -> LoadReturn:
        return self.scripts.get(id)


class RuntimeModulesPlugin(Plugin):
    """The build's own modules: the preload helper, the modulepreload polyfill and
    ``import.meta.env`` as an object (for code that uses it whole)."""

    name = "vite:build-runtime"
    enforce = "pre"

    def resolve_id(self, ctx: PluginContext, source: str, importer: str | None,
                   options: ResolveOptions) -> ResolveIdReturn:
        return source if source in _RUNTIME_FILES or source == IMPORT_META_ENV_ID else None

    def load(self, ctx: PluginContext, id: str) -> LoadReturn:
        if id == IMPORT_META_ENV_ID:
            from .options import build_import_meta_env

            return f"export default {json.dumps(build_import_meta_env(ctx.config, ctx.ssr))};\n"
        path = _RUNTIME_FILES.get(id)
        return path.read_text("utf-8") if path is not None else None


class PreloadPlugin(Plugin):
    """``vite:build-import-analysis`` (client): dynamic imports preload what they need.

    ``import("./About")`` becomes
    ``__vitePreload(() => import("./About"), "__VITE_PRELOAD__")``; once the
    chunks are named, the marker is replaced by the files the ``About``
    chunk needs (its CSS and the chunks it imports), which the helper adds
    to the page before the chunk runs, so its styles are there when it
    renders.
    """

    name = "vite:build-import-analysis"
    enforce = "post"

    def transform(self, ctx: PluginContext, code: str, id: str) -> LoadReturn:
        if ctx.ssr or id in _RUNTIME_FILES or "import" not in code \
                or not _DYNAMIC_IMPORT_RE.search(code):
            return None
        file = clean_url(id)
        try:
            imports, _ = parse(code, file)
        except LexError:
            return None  # esbuild reports the syntax error with its location
        edit = StringEdit(code)
        relative = ", import.meta.url" if ctx.config.base == "./" else ""
        for imp in imports:
            # Literal specifiers only: a computed one has no chunk to preload.
            if imp.d < 0 or imp.n is None or imp.ss < 0 or imp.se <= imp.ss:
                continue
            edit.overwrite(imp.ss, imp.ss, "__vitePreload(() => ")
            edit.overwrite(imp.se, imp.se, f', "{PRELOAD_MARKER}"{relative})')
        if not edit.changed:
            return None
        edit.prepend(f"import {{ __vitePreload }} from {json.dumps(PRELOAD_HELPER_ID)};")
        combined = getattr(ctx, "combined_map", None)
        return LoadResult(edit.apply(), edit.shift_map(combined, file), {"replaces_map": True})


# -- the list ----------------------------------------------------------------------------
def build_plugins(config: ViteConfig, user_plugins: t.Sequence[Plugin], *, ssr: bool
                  ) -> tuple[list[Plugin], dict[str, str], HtmlProxyPlugin]:
    """The plugins of one build environment, esbuild's ``define`` values, and
    the plugin holding inline HTML scripts.

    ``define`` gathers every :class:`~flask_vite.plugins.define.DefinePlugin`'s
    replacements that esbuild accepts (identifiers and literals); the rest stay
    with a plugin that applies them per module, as in dev.
    """
    from ..plugins import resolve_plugins
    from ..plugins.client import ClientPlugin
    from ..plugins.html import HtmlInlineProxyPlugin
    from ..plugins.import_analysis import ImportAnalysisPlugin
    from ..server.ssr_transform import SsrTransformPlugin

    wanted = [p for p in user_plugins if getattr(p, "apply", None) != "serve"]
    # react(jsx_import_source=...) is a dev plugin (Fast Refresh) that also sets
    # where JSX comes from, in configure_server; a build must compile JSX alike.
    jsx_import_source = next((getattr(p, "jsx_import_source") for p in user_plugins
                              if getattr(p, "jsx_import_source", None)), None)
    html_proxy = HtmlProxyPlugin()
    define: dict[str, str] = {}
    plugins: list[Plugin] = [RuntimeModulesPlugin()]
    for plugin in resolve_plugins(config, wanted):
        if isinstance(plugin, (ClientPlugin, SsrTransformPlugin)):
            continue
        if isinstance(plugin, HtmlInlineProxyPlugin):
            plugins.append(html_proxy)
        elif isinstance(plugin, CssPlugin) and not isinstance(plugin, BuildCssPlugin):
            plugins.append(BuildCssPlugin(inline_limit=plugin.inline_limit))
        elif isinstance(plugin, AssetPlugin) and not isinstance(plugin, BuildAssetPlugin):
            plugins.append(BuildAssetPlugin(assets_include=plugin.assets_include,
                                            inline_limit=plugin.inline_limit))
        elif isinstance(plugin, DefinePlugin):
            rest: dict[str, str] = {}
            for key, value in plugin.definitions(config, ssr).items():
                if _esbuild_accepts(value):
                    define[key] = value
                else:
                    rest[key] = value
            if rest:
                # handle_define_value keeps str values as the expressions they are.
                plugins.append(DefinePlugin(rest))
        elif type(plugin) is EsbuildPlugin:
            options = dict(plugin.options)
            if jsx_import_source:
                options.setdefault("jsx_import_source", jsx_import_source)
            plugins.append(BuildEsbuildPlugin(options))
        elif isinstance(plugin, ImportAnalysisPlugin):
            # css-post must see stylesheets before the user's "post" plugins do
            # (it sorts first among them: sort_plugins is stable).
            plugins.insert(_first_post(plugins), CssPostPlugin())
            if not ssr:
                plugins.append(PreloadPlugin())
        else:
            plugins.append(plugin)
    if not any(isinstance(p, CssPostPlugin) for p in plugins):
        plugins.insert(_first_post(plugins), CssPostPlugin())
    return plugins, define, html_proxy


def _first_post(plugins: t.Sequence[Plugin]) -> int:
    for index, plugin in enumerate(plugins):
        if getattr(plugin, "enforce", None) == "post":
            return index
    return len(plugins)
