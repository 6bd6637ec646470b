"""``index.html`` in dev: rewrite script URLs and proxy inline module scripts.

Vite's dev HTML hook: a relative ``<script type="module" src="./main.ts">``
becomes root-absolute; an inline ``<script type="module">…</script>`` is
replaced by ``<script type="module" src="/index.html?html-proxy&index=0.js">``
so its imports go through the module pipeline like any module's
(``vite:html-inline-proxy`` serves the code back).
"""
from __future__ import annotations

import posixpath
import re
import threading
import typing as t
from html import escape, unescape

from ..plugin import LoadReturn, Plugin, PluginContext, ResolveIdReturn, ResolveOptions

_SCRIPT_RE = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)
_TYPE_MODULE_RE = re.compile(r"""\btype\s*=\s*(["']?)module\1""", re.I)
_SRC_RE = re.compile(r"""\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
_PROXY_RE = re.compile(r"[?&]html-proxy&index=(\d+)\.js$")
_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)


def html_path_of(url: str) -> str:
    """The HTML file a page URL stands for, as Vite names it in proxy URLs."""
    path = url.split("?", 1)[0].split("#", 1)[0] or "/"
    if path.endswith("/"):
        return path + "index.html"
    return path


class HtmlInlineProxyPlugin(Plugin):
    """Keeps inline module scripts of served HTML and serves them as modules."""

    name = "vite:html-inline-proxy"
    enforce = "pre"

    def __init__(self) -> None:
        self._scripts: dict[tuple[str, int], str] = {}
        self._lock = threading.Lock()

    def rewrite(self, html: str, url: str, base: str) -> str:
        """Apply the dev HTML rewrites for a page served at ``url``."""
        html_path = html_path_of(url)
        directory = posixpath.dirname(html_path)
        prefix = base.rstrip("/") if base.startswith("/") else ""
        index = 0
        # Scripts inside HTML comments are not scripts.
        comments = [m.span() for m in _COMMENT_RE.finditer(html)]

        def replace(match: re.Match[str]) -> str:
            nonlocal index
            if any(a <= match.start() < b for a, b in comments):
                return match.group(0)
            attrs, body = match.group(1), match.group(2)
            if not _TYPE_MODULE_RE.search(attrs):
                return match.group(0)
            src = _SRC_RE.search(attrs)
            if src is not None:
                value = unescape(next(g for g in src.groups() if g is not None))
                if re.match(r"^(?:[a-z][a-z0-9+.-]*:|//|/)", value, re.I):
                    return match.group(0)
                absolute = posixpath.normpath(posixpath.join(directory, value))
                new_attrs = attrs[:src.start()] + f'src="{escape(prefix + absolute)}"' + attrs[src.end():]
                return f"<script{new_attrs}>{body}</script>"
            if not body.strip():
                return match.group(0)
            with self._lock:
                self._scripts[(html_path, index)] = body
            proxy = f"{prefix}{html_path}?html-proxy&index={index}.js"
            index += 1
            return f'<script type="module" src="{escape(proxy)}"></script>'

        return _SCRIPT_RE.sub(replace, html)

    def resolve_id(self, ctx: PluginContext, source: str, importer: str | None,
                   options: ResolveOptions) -> ResolveIdReturn:
        if _PROXY_RE.search(source) and source.startswith("/"):
            path, query = source.split("?", 1)
            return (ctx.config.root / path.lstrip("/")).as_posix() + "?" + query
        return None

    def load(self, ctx: PluginContext, id: str) -> LoadReturn:
        match = _PROXY_RE.search(id)
        if match is None:
            return None
        file = id.split("?", 1)[0]
        root = ctx.config.root.as_posix()
        html_path = file[len(root):] if file.startswith(root + "/") else file
        with self._lock:
            code = self._scripts.get((html_path, int(match.group(1))))
        if code is None:
            ctx.error(f"No inline module script {match.group(1)} in {html_path}; reload the page.")
        return code


def find_proxy_plugin(plugins: t.Sequence[Plugin]) -> HtmlInlineProxyPlugin | None:
    return next((p for p in plugins if isinstance(p, HtmlInlineProxyPlugin)), None)
