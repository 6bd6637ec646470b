"""``vite:import-analysis``: rewrite every import of a served module to a URL.

Runs last on each JS module of the client environment. For each import it
resolves the specifier through the plugins, turns the id into the URL the
browser will request (root-relative, ``/@fs/``, ``/@id/`` for virtual
modules, pre-bundled dependency URLs), marks non-JS imports with
``?import``, appends ``?t=`` after a hot update, records the edges in the
module graph, and wires ``import.meta.hot`` and ``import.meta.env``.
"""
from __future__ import annotations

import json
import re
import typing as t

from ..errors import ViteError
from ..js_lexer import LexCache, LexError, lex_accepted_hmr_deps, lex_accepted_hmr_exports
from ..plugin import LoadResult, LoadReturn, Plugin, PluginContext, ResolvedId
from ..server.urls import (
    CLIENT_PUBLIC_PATH, clean_url, inject_query, is_css_request, is_direct_css_request,
    is_js_request, remove_import_query, wrap_id,
)
from ..string_edit import StringEdit

if t.TYPE_CHECKING:
    from ..server.optimizer import OptimizedDep

_SKIP_RE = re.compile(r"\.(?:map|json)(?:$|\?)")
_EXTERNAL_RE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//|^data:|^[a-z][a-z0-9+.-]*:", re.I)
_HOT_ACCEPT_RE = re.compile(r"\bimport\.meta\.hot\.accept\(")
_WANTS_SELF_ACCEPT_RE = re.compile(r"\bimport\.meta\.hot\.accept\(\s*(?:\)|[a-zA-Z_$(]|function|async)")


class ImportAnalysisError(ViteError):
    """An import could not be resolved or the module could not be lexed."""

    code = "IMPORT_ANALYSIS"


class ImportAnalysisPlugin(Plugin):
    name = "vite:import-analysis"
    enforce = "post"

    def __init__(self) -> None:
        # An edited module is lexed again only around the edit.
        self._lexed = LexCache()

    def transform(self, ctx: PluginContext, code: str, id: str) -> LoadReturn:
        env = ctx.environment
        if env is None or ctx.ssr or _SKIP_RE.search(id) or is_direct_css_request(id):
            return None
        graph = env.module_graph
        node = graph.get_module_by_id(id)
        if node is None:
            return None
        importer_file = clean_url(id)
        try:
            lexed = self._lexed.analyze(id, code, importer_file)
        except LexError as e:
            raise ImportAnalysisError(
                f"Failed to parse source for import analysis because the content contains"
                f" invalid JS syntax: {importer_file}: {e}", code="PARSE_ERROR") from e

        edit = StringEdit(code)
        imported_urls: list[str] = []
        accepted_urls: list[str] = []
        has_hmr = has_env = False
        is_self_accepting = False
        accepted_exports: set[str] | None = None
        interop_index = -1
        for imp in lexed.imports:
            if imp.d == -2:  # import.meta
                rest = code[imp.e:imp.e + 4]
                if rest == ".hot":
                    has_hmr = True
                    # import.meta.hot.accept( / import.meta.hot?.accept(
                    end_hot = imp.e + 4 + (code[imp.e + 4:imp.e + 5] == "?")
                    start = code.find("(", end_hot) + 1
                    if code.startswith(".acceptExports(", end_hot):
                        accepted_exports = (accepted_exports or set()) | set(
                            lex_accepted_hmr_exports(code, start))
                    elif code.startswith(".accept(", end_hot):
                        self_accepts, deps = lex_accepted_hmr_deps(code, start)
                        is_self_accepting |= self_accepts
                        for dep_url, dep_start, dep_end in deps:
                            url, _ = self._import_url(ctx, dep_url, id, importer_file)
                            accepted_urls.append(url)
                            # The client matches it against the module's graph
                            # URL: no base, no ?import (Vite writes mod.url).
                            edit.overwrite(dep_start, dep_end, json.dumps(remove_import_query(url)))
                elif rest == ".env":
                    has_env = True
                continue
            specifier = imp.n
            if specifier is None:
                continue  # dynamic import of a computed expression
            if _EXTERNAL_RE.match(specifier) and not specifier.startswith("/@"):
                continue
            url, dep = self._import_url(ctx, specifier, id, importer_file)
            imported_urls.append(url)
            served = _with_base(ctx, env.url_for_import(url))
            if dep is not None and dep.needs_interop:
                interop_index += 1
                if imp.d >= 0:
                    edit.overwrite(imp.s, imp.e, f"{json.dumps(served)}).then({_DYNAMIC_INTEROP}")
                    # the closing paren of import() now closes .then(...)
                    continue
                rewritten = interop_named_imports(code[imp.ss:imp.se], served, interop_index, specifier)
                if rewritten is not None:
                    edit.overwrite(imp.ss, imp.se, rewritten)
                    continue
            if imp.d >= 0:  # dynamic import('…'): s..e covers the quoted literal
                edit.overwrite(imp.s, imp.e, json.dumps(served))
            else:
                edit.overwrite(imp.s, imp.e, served)

        if has_env:
            from .env import env_prelude

            edit.prepend(env_prelude(ctx.config, ctx.ssr))
        if has_hmr:
            edit.prepend(
                f'import {{ createHotContext as __vite__createHotContext }} from "{CLIENT_PUBLIC_PATH}";'
                f"import.meta.hot = __vite__createHotContext({json.dumps(node.url)});"
            )
        # A module accepting every one of its exports is self-accepting in practice.
        if (not is_self_accepting and accepted_exports is not None
                and all(e.n in accepted_exports for e in lexed.exports)):
            is_self_accepting = True
        # Vite: a JS module is "not analysed" until its own transform (the
        # page has not loaded it: an edit to it needs no update, no reload);
        # JSON and <link> stylesheets never are.
        imported_nodes = [
            graph.ensure_entry_from_url(
                url, set_is_self_accepting=bool(_SKIP_RE.search(url) or is_direct_css_request(url)))
            for url in imported_urls
        ]
        pruned = graph.update_module_info(
            node, imported_nodes, accepted=accepted_urls, accepted_exports=accepted_exports,
            is_self_accepting=is_self_accepting,
        )
        if pruned:
            # Modules no import reaches any more: the browsers run their prune
            # callbacks (a stylesheet removes its <style>).
            from ..server.hot_update import handle_pruned

            handle_pruned(env.server, pruned)
        if not edit.changed:
            return None
        # Keep columns exact: move the previous transforms' mappings instead of
        # chaining a coarse map of our own.
        previous = getattr(ctx, "combined_map", None)
        if previous is None:
            # No earlier transform made a map (plain JS, pre-bundled deps that
            # carry their own .map): like Vite in dev, return none rather than
            # build an identity map of the whole file (210-300 ms for react-dom).
            return LoadResult(edit.apply())
        return LoadResult(edit.apply(), edit.shift_map(previous, importer_file), {"replaces_map": True})

    def _import_url(self, ctx: PluginContext, specifier: str, id: str,
                    importer_file: str) -> tuple[str, OptimizedDep | None]:
        env = ctx.environment
        assert env is not None
        resolved = resolve_import(ctx, specifier, id)
        if resolved.external:
            return resolved.id, None
        optimizer = getattr(env.server, "optimizer", None)
        if optimizer is not None and "/node_modules/" in resolved.id:
            found = optimizer.optimized_url(specifier, clean_url(resolved.id))
            if found is not None:
                return found
        url = id_to_url(env.server, resolved.id)
        if optimizer is not None and optimizer.metadata is not None and optimizer.is_optimized_file(
                clean_url(resolved.id)) and "v=" not in url:
            # Chunks shared by pre-bundled deps: same version query, so they
            # are cached as immutable like the deps themselves.
            url = inject_query(url, f"v={optimizer.metadata.browser_hash}")
        if not is_js_request(url) and not is_css_request(url):
            # Vite's explicit import marker: the server serves it as JS, not as the raw file.
            url = inject_query(url, "import")
        return url, None


def resolve_import(ctx: PluginContext, specifier: str, importer: str) -> ResolvedId:
    """Resolve an import through all plugins, or fail with Vite's message."""
    resolved = ctx.resolve(specifier, importer, skip_self=False)
    if resolved is None:
        rel = clean_url(importer)
        root = ctx.config.root.as_posix() + "/"
        if rel.startswith(root):
            rel = rel[len(root):]
        raise ImportAnalysisError(
            f'Failed to resolve import "{specifier}" from "{rel}". Does the file exist?',
            code="RESOLVE_ERROR")
    return resolved


_DYNAMIC_INTEROP = (
    "(m) => m.default && m.default.__esModule ? m.default : ({ ...((typeof m.default"
    " === 'object' && !Array.isArray(m.default)) || typeof m.default === 'function'"
    " ? m.default : {}), default: m.default })"
)
_IMPORT_CLAUSE_RE = re.compile(r"^import\s*(.*?)\s*from\s*[\"'`]", re.S)
_NAMED_RE = re.compile(r"^\s*([\w$]+|\"[^\"]*\"|'[^']*')(?:\s+as\s+([\w$]+))?\s*$")


def interop_named_imports(statement: str, url: str, index: int, specifier: str) -> str | None:
    """Rewrite an import of a CommonJS dependency into reads of its default export.

    ``import React, { useState as us } from 'react'`` becomes
    ``import __vite__cjsImport0_react from "…"; const React = …; const us = …["useState"]``
    (Vite's ``interopNamedImports``). ``None`` for forms left as they are.
    """
    match = _IMPORT_CLAUSE_RE.match(statement)
    if match is None:
        return None  # side-effect import: nothing to bind
    clause = match.group(1).strip()
    if clause.startswith("type ") or "{" not in clause and "*" not in clause and "," in clause:
        return None
    local = f"__vite__cjsImport{index}_{re.sub(r'[^A-Za-z0-9_$]', '_', specifier)}"
    lines = [f"import {local} from {json.dumps(url)}"]
    default, _, rest = clause.partition(",") if not clause.startswith(("{", "*")) else ("", "", clause)
    default, rest = default.strip(), rest.strip()
    if default:
        lines.append(f"const {default} = {local}.__esModule ? {local}.default : {local}")
    if rest.startswith("*"):
        ns = rest.split("as", 1)[1].strip()
        lines.append(f"const {ns} = {local}")
    elif rest.startswith("{"):
        for part in rest.strip("{} \n\t").split(","):
            if not part.strip():
                continue
            named = _NAMED_RE.match(part)
            if named is None:
                return None
            imported, alias = named.group(1).strip("\"'"), named.group(2)
            if imported == "default":
                lines.append(f"const {alias} = {local}.__esModule ? {local}.default : {local}")
            else:
                lines.append(f"const {alias or imported} = {local}[{json.dumps(imported)}]")
    elif rest:
        return None
    return "; ".join(lines)


def id_to_url(server: t.Any, resolved_id: str) -> str:
    """The URL the browser requests for a resolved id (without ``?t=``)."""
    from .client import PUBLIC_URLS

    public = PUBLIC_URLS.get(resolved_id)
    if public is not None:
        return public
    if resolved_id.startswith("\0") or not resolved_id.startswith("/"):
        return wrap_id(resolved_id)
    file = clean_url(resolved_id)
    query = resolved_id[len(file):]
    public = server.config.public_dir
    if public is not None and file.startswith(public.as_posix() + "/"):
        # Public files are served at the base, as written in the source.
        return "/" + file[len(public.as_posix()) + 1:] + query
    return remove_import_query(server.file_url(file, with_base=False)) + query


def _with_base(ctx: PluginContext, url: str) -> str:
    base = ctx.config.base
    if not base.startswith("/") or base == "/" or not url.startswith("/"):
        return url
    return base.rstrip("/") + url
