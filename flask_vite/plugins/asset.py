"""``vite:asset``: importing a file for its URL, its text or its bytes.

As Vite's ``plugins/asset.ts`` does in dev:

* ``import logo from "./logo.png"`` (a known asset type) and ``?url`` on any
  file give ``export default "<dev URL>"``: root-relative (``/src/logo.png``)
  inside the root, ``/@fs/...`` outside it, the base prepended, and public-dir
  files at their public URL (``/vite.svg``);
* ``?raw`` gives the file's text: ``export default "<text>"``;
* ``?inline`` gives a data URL.

Assets under ``assetsInlineLimit`` are *not* inlined in dev, except SVGs:
Vite inlines those in dev too, so that the quoting differences between the
two forms show up in dev rather than only after a build
(``fileToDevUrl`` in asset.ts). :func:`to_data_url` is the pure function the
build shares.
"""
from __future__ import annotations

import base64
import json
import posixpath
import re
import typing as t
from pathlib import Path

from ..mime_types import lookup
from ..plugin import LoadResult, LoadReturn, Plugin, PluginContext, ResolveIdReturn, ResolveOptions
from ..server.urls import (
    FS_PREFIX, clean_url, encode_uri_path, inject_query, is_inline_request, is_raw_request,
    is_url_request, join_url_segments, remove_import_query, remove_url_query,
    split_file_and_postfix,
)

if t.TYPE_CHECKING:
    from ..config import ViteConfig

__all__ = [
    "AssetPlugin", "DEFAULT_ASSETS_INLINE_LIMIT", "DEFAULT_ASSETS_RE", "KNOWN_ASSET_TYPES",
    "check_public_file", "dev_base", "file_to_dev_url", "is_asset_request", "mime_type",
    "to_data_url",
]

#: File types imported as URLs by default (Vite's ``KNOWN_ASSET_TYPES`` in
#: ``constants.ts``, regex fragments included).
KNOWN_ASSET_TYPES: tuple[str, ...] = (
    # images
    "apng", "bmp", "png", "jpe?g", "jfif", "pjpeg", "pjp", "gif", "svg", "ico", "webp",
    "avif", "cur", "jxl",
    # media
    "mp4", "webm", "ogg", "mp3", "wav", "flac", "aac", "opus", "mov", "m4a", "vtt",
    # fonts
    "woff2?", "eot", "ttf", "otf",
    # other
    "webmanifest", "pdf", "txt",
)
#: Vite's ``DEFAULT_ASSETS_RE``: a known asset type, with or without a query.
DEFAULT_ASSETS_RE = re.compile(r"\.(" + "|".join(KNOWN_ASSET_TYPES) + r")(\?.*)?$", re.I | re.S)
#: Files smaller than this (bytes) are inlined as data URLs by the build; in
#: dev only SVGs are (Vite's ``DEFAULT_ASSETS_INLINE_LIMIT``).
DEFAULT_ASSETS_INLINE_LIMIT = 4096

_NO_INLINE_RE = re.compile(r"[?&]no-inline\b")
# Git LFS pointer files are never inlined: they are not the asset (asset.ts).
_GIT_LFS_PREFIX = b"version https://git-lfs.github.com"


# JavaScript's ``\s`` (and what ``String.prototype.trim`` strips), which
# differs from Python's: Python adds \x1c-\x1f and \x85, JS adds \ufeff.
_JS_WS = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008" \
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_JS_WS_CLASS = "[" + re.escape(_JS_WS) + "]"
_BETWEEN_TAGS_RE = re.compile(">" + _JS_WS_CLASS + "+<")
_WS_RUN_RE = re.compile(_JS_WS_CLASS + "+")
# Vite's nestedQuotesRE: a quote of one kind inside a quoted run of the other.
_NESTED_QUOTES_RE = re.compile(r"\"[^\"']*'[^\"]*\"|'[^'\"]*\"[^']*'")


# -- pure helpers ----------------------------------------------------------------
def mime_type(path: str) -> str:
    """The MIME type used in a data URL for ``path`` (by extension): as Vite,
    ``application/octet-stream`` for one :mod:`flask_vite.mime_types` lacks."""
    return lookup(path) or "application/octet-stream"


def to_data_url(path: str | Path, content: bytes) -> str:
    """A ``data:`` URL of a file's bytes, exactly as Vite's ``assetToDataURL``.

    SVG becomes URL-encoded text (``data:image/svg+xml,%3csvg...``), which
    compresses better than base64 — unless it contains ``<text``,
    ``<foreignObject`` or nested quotes, where rewriting quotes could change
    its meaning, and then it is base64 like every other type.
    """
    name = Path(path).name if not isinstance(path, str) else path
    if name.endswith(".svg"):
        return _svg_to_data_url(content)
    return f"data:{mime_type(name)};base64,{base64.b64encode(content).decode('ascii')}"


def _svg_to_data_url(content: bytes) -> str:
    # Buffer.toString() decodes UTF-8, replacing bad bytes with U+FFFD.
    text = content.decode("utf-8", errors="replace")
    if "<text" in text or "<foreignObject" in text or _NESTED_QUOTES_RE.search(text):
        return "data:image/svg+xml;base64," + base64.b64encode(content).decode("ascii")
    text = _BETWEEN_TAGS_RE.sub("><", text.strip(_JS_WS))
    text = (
        text.replace('"', "'").replace("%", "%25").replace("#", "%23")
        .replace("<", "%3c").replace(">", "%3e")
    )
    # Spaces are not valid in srcset; %20 keeps the URL usable there (vitejs/vite#14643).
    return "data:image/svg+xml," + _WS_RUN_RE.sub("%20", text)


def is_git_lfs_placeholder(content: bytes) -> bool:
    """Whether ``content`` is a Git LFS pointer rather than the file itself."""
    return content.startswith(_GIT_LFS_PREFIX)


def should_inline(id: str, content: bytes, limit: int = DEFAULT_ASSETS_INLINE_LIMIT) -> bool:
    """Vite's ``shouldInline`` (the parts that apply outside a library build).

    ``?no-inline`` never inlines, ``?inline`` always does; HTML files and SVGs
    referenced with a ``#fragment`` (meant to be reused as sprites) are never
    inlined; otherwise files under ``limit`` bytes are.
    """
    if _NO_INLINE_RE.search(id):
        return False
    if is_inline_request(id):
        return True
    file = clean_url(id)
    if file.endswith(".html"):
        return False
    if file.endswith(".svg") and "#" in id:
        return False
    return len(content) < limit and not is_git_lfs_placeholder(content)


def is_asset_request(id: str, extra: t.Sequence[str] = ()) -> bool:
    """Whether ``id`` is imported as an asset (a known type or a user extension)."""
    if DEFAULT_ASSETS_RE.search(id):
        return True
    file = clean_url(id).lower()
    return any(file.endswith(ext if ext.startswith(".") else "." + ext) for ext in extra)


def check_public_file(url: str, config: ViteConfig) -> Path | None:
    """The public-dir file a root-absolute URL names (``/vite.svg``), if it exists.

    Vite's ``checkPublicFile``: only URLs starting with ``/``; the query is
    ignored; a path that would leave the public dir is not one.
    """
    public_dir = config.public_dir
    if public_dir is None or not url.startswith("/") or url.startswith(FS_PREFIX):
        return None
    name = clean_url(url)
    if "\0" in name:
        return None
    file = Path(posixpath.normpath(public_dir.as_posix() + "/" + name.lstrip("/")))
    try:
        file.relative_to(public_dir)
    except ValueError:
        return None
    return file if file.is_file() else None


def public_url(file: Path, config: ViteConfig) -> str | None:
    """``/vite.svg`` for ``<public dir>/vite.svg`` (no base); ``None`` outside it."""
    if config.public_dir is None:
        return None
    try:
        rel = file.relative_to(config.public_dir)
    except ValueError:
        return None
    return "/" + rel.as_posix()


def dev_base(config: ViteConfig) -> str:
    """The base path in dev: a full-URL base only contributes its path, and a
    relative base (``./``) is ``/`` (Vite's ``resolveBaseUrl``)."""
    base = config.base
    if base.startswith("/"):
        return base
    match = re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//[^/]*(/.*)?$", base, re.I)
    return (match.group(1) or "/") if match else "/"


def file_to_dev_url(ctx: PluginContext, id: str, *,
                    inline_limit: int = DEFAULT_ASSETS_INLINE_LIMIT) -> str:
    """The URL of an asset in dev (Vite's ``fileToDevUrl``).

    ``id`` is an absolute file path, maybe with a query. ``?inline`` and
    small SVGs give data URLs; public-dir files their public URL; others the
    root-relative or ``/@fs/`` URL. The base is prepended and the path part is
    percent-encoded as ``encodeURI`` would.
    """
    config = ctx.config
    file, postfix = split_file_and_postfix(id)
    path = Path(file)
    if is_inline_request(id):
        return to_data_url(path.name, path.read_bytes())
    if file.endswith(".svg"):
        content = path.read_bytes()
        if should_inline(id, content, inline_limit):
            return to_data_url(path.name, content)
    public = public_url(path, config)
    if public is not None:
        url = public
    else:
        root = config.root.as_posix().rstrip("/") + "/"
        if file.startswith(root):
            url = "/" + file[len(root):]
        else:
            url = FS_PREFIX + file.lstrip("/")
    url = join_url_segments(dev_base(config), url)
    return encode_uri_path(url) + postfix


# -- the plugin ------------------------------------------------------------------
class AssetPlugin(Plugin):
    """``vite:asset``.

    :param assets_include: More file extensions (``"gltf"``, ``".hdr"``) to
        import as URLs, like Vite's ``assetsInclude``.
    :param inline_limit: Vite's ``build.assetsInlineLimit`` (bytes); in dev it
        only decides whether an SVG is inlined.
    """

    name = "vite:asset"

    def __init__(self, *, assets_include: t.Sequence[str] = (),
                 inline_limit: int = DEFAULT_ASSETS_INLINE_LIMIT) -> None:
        self.assets_include = tuple(assets_include)
        self.inline_limit = inline_limit

    def resolve_id(self, ctx: PluginContext, source: str, importer: str | None,
                   options: ResolveOptions) -> ResolveIdReturn:
        # A root-absolute import of a public file (``import logo from "/vite.svg"``)
        # fails in the main resolver, since the file is not under the root at
        # that path; asset.ts catches it here. We answer with the real file
        # (plus the query), so the module has a file to watch and load.
        if not (is_asset_request(source, self.assets_include) or is_url_request(source)):
            return None
        public = check_public_file(source, ctx.config)
        if public is None:
            return None
        _, postfix = split_file_and_postfix(source)
        return public.as_posix() + postfix

    def load(self, ctx: PluginContext, id: str) -> LoadReturn:
        if id.startswith("\0"):
            return None  # Rollup convention: the plugin that made a \0 id loads it
        if is_raw_request(id):
            file = clean_url(id)
            ctx.add_watch_file(file)
            text = Path(file).read_bytes().decode("utf-8", errors="replace")
            return LoadResult(f"export default {_js_string(text)}", {"mappings": ""})
        if not is_url_request(id) and not is_asset_request(id, self.assets_include):
            return None
        # The transform handler drops ?import before loading, as Vite's does; an id
        # that kept it must not carry it into the URL.
        id = remove_import_query(remove_url_query(id))
        url = file_to_dev_url(ctx, id, inline_limit=self.inline_limit)
        if not url.startswith("data:"):
            # After a hot update of the asset, its importers must fetch the new
            # file, not the browser's cached one (asset.ts).
            node = ctx.get_module_info(id)
            timestamp = getattr(node, "last_hmr_timestamp", 0) if node is not None else 0
            if timestamp:
                url = inject_query(url, f"t={timestamp}")
        return LoadResult(f"export default {_js_string(url)}", {"mappings": ""})


def _js_string(text: str) -> str:
    """``JSON.stringify(text)`` (non-ASCII kept as it is)."""
    return json.dumps(text, ensure_ascii=False)
