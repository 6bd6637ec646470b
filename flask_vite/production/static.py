"""Serving the built ``dist/client`` in production (``VITE_SERVE_STATIC``).

:class:`StaticFiles` is a WSGI middleware in front of the Flask app (as
Werkzeug's ``SharedDataMiddleware`` or WhiteNoise): a ``GET``/``HEAD`` under
the base path that names a built file is answered here; anything else goes
on to the app, so the app's views (the SSR catch-all) see every other URL.
It plays the part of ``sirv`` + ``compression`` in create-vite-extra's
production ``server.js``.

- **Caching**: files under ``assets/`` have content hashes in their names and
  never change: ``Cache-Control: public, max-age=31536000, immutable``.
  Others (the public dir's ``favicon.svg``…) are ``no-cache``: the browser
  revalidates with the ``ETag`` and gets a 304.
- **Compression**: for a client that accepts it, a ``.br`` or ``.gz`` file
  the build wrote beside the file is sent; else gzip, computed once per file
  and kept in memory. No brotli encoder is used (none is a dependency).
- **Safety**: every URL path goes through Werkzeug's ``safe_join`` and the
  resolved file must stay inside ``dist/client``; a path that tries to leave
  it (``..``, an absolute path, a NUL) is a 404 here, never passed on.
  Dotfiles (``.vite/manifest.json``) are not served, and ``.html`` files
  only for ``VITE_APP_TYPE`` ``spa``/``mpa`` (for ``custom``, SSR apps,
  ``index.html`` is the template of the views' pages).

For ``spa``/``mpa`` apps, a page URL no view matched gets its built HTML
file (:func:`register_static` adds that fallback), as ``vite preview`` does.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import stat
import threading
import typing as t
import urllib.parse
from pathlib import Path

from werkzeug.exceptions import NotFound
from werkzeug.http import parse_accept_header
from werkzeug.security import safe_join
from werkzeug.utils import send_file
from werkzeug.wrappers import Response

from .. import mime_types

if t.TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask

    from ..extension import ViteState

#: Hashed, immutable build output (Vite's ``build.assetsDir``).
ASSETS_DIR = "assets/"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

#: Types worth compressing (already-compressed images and fonts are not).
COMPRESSIBLE = frozenset({
    "text/html", "text/css", "text/javascript", "text/plain", "text/xml", "application/json",
    "application/manifest+json", "application/xml", "image/svg+xml", "application/wasm",
    "image/x-icon",
})
#: Below this, compression saves less than its headers cost.
MIN_COMPRESS_SIZE = 1024

#: Answer for a path that tries to leave the folder.
_HOSTILE = object()


def content_type(name: str) -> str:
    """The ``Content-Type`` of a file name (UTF-8 for text)."""
    mime = mime_types.guess(name)
    if mime.startswith("text/") or mime in (
            "application/json", "application/manifest+json", "image/svg+xml"):
        return f"{mime}; charset=utf-8"
    return mime


class _File:
    """A file found under the folder, with what its responses need."""

    __slots__ = ("compressible", "data", "etag", "immutable", "key", "lock", "mime", "path", "rel",
                 "variants")

    def __init__(self, path: str, rel: str, key: tuple[int, int]) -> None:
        self.path = path
        self.rel = rel
        self.key = key  # (mtime_ns, size): the file changed when this does
        self.mime = content_type(rel)
        self.immutable = rel.startswith(ASSETS_DIR)
        self.compressible = self.mime.split(";")[0] in COMPRESSIBLE and key[1] >= MIN_COMPRESS_SIZE
        #: Streamed files: from the stat; files in memory: from the content,
        #: so equal across workers and machines serving the same build.
        self.etag = f"{key[0]:x}-{key[1]:x}"
        #: The content when small enough to keep in memory.
        self.data: bytes | None = None
        #: Encoding → (bytes in memory, or the path of a precompressed file).
        self.variants: dict[str, bytes | str] | None = None
        self.lock = threading.Lock()


class StaticFiles:
    """WSGI middleware serving ``directory`` at ``base_path``; see the module docstring.

    :param app: The application misses go to.
    :param directory: The folder (``dist/client``).
    :param base_path: The URL path it is served at, ending in ``/``.
    :param serve_html: Serve ``.html`` files (``spa``/``mpa`` apps).
    :param memory_limit: Bytes of file content (and gzip variants) kept in
        memory; larger files are streamed from disk.
    """

    #: Files up to this size are kept in memory (and gzipped once).
    max_memory_file = 4 << 20

    def __init__(self, app: WSGIApplication, directory: str | os.PathLike[str], base_path: str = "/", *,
                 serve_html: bool = False, memory_limit: int = 64 << 20) -> None:
        if not base_path.startswith("/") or not base_path.endswith("/"):
            raise ValueError(f"base_path must start and end with '/', not {base_path!r}")
        self.app = app
        self.directory = os.path.abspath(directory)
        self.base_path = base_path
        self.serve_html = serve_html
        self.memory_limit = memory_limit
        self._memory_used = 0
        self._files: dict[str, _File] = {}

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> t.Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        if not path.isascii():
            # WSGI hands the path's bytes over as latin-1; file names are UTF-8.
            try:
                path = path.encode("latin-1").decode("utf-8")
            except UnicodeError:
                return self.app(environ, start_response)
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or not path.startswith(self.base_path):
            return self.app(environ, start_response)
        found = self.find(path[len(self.base_path):])
        if found is None:
            return self.app(environ, start_response)
        if found is _HOSTILE:
            return NotFound()(environ, start_response)
        return self.respond(t.cast(_File, found), environ)(environ, start_response)

    # -- finding files ----------------------------------------------------------------

    def find(self, rel: str) -> _File | object | None:
        """The file at ``rel`` (a decoded URL path below the base), ``None``
        when there is none to serve, or ``_HOSTILE`` for a path that leaves
        the folder."""
        if not rel or rel.endswith("/"):
            return None
        cached = self._files.get(rel)
        if cached is not None and cached.immutable:
            # Hashed names: a changed file would have a new name (a rebuild
            # while serving is a redeploy; restart the server).
            return cached
        if "\0" in rel:
            return _HOSTILE
        full = safe_join(self.directory, rel)
        if full is None:
            return _HOSTILE
        parts = rel.split("/")
        if any(p.startswith(".") for p in parts) or (rel.endswith(".html") and not self.serve_html):
            return None
        try:
            st = os.stat(full)
        except (OSError, ValueError):
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        key = (st.st_mtime_ns, st.st_size)
        if cached is not None and cached.key == key:
            return cached
        # A symlink inside the folder must not lead out of it.
        real = os.path.realpath(full)
        top = os.path.realpath(self.directory)
        if os.path.commonpath([real, top]) != top:
            return _HOSTILE
        found = _File(full, rel, key)
        if key[1] <= self.max_memory_file and self._memory_used + key[1] <= self.memory_limit:
            found.data = Path(full).read_bytes()
            self._memory_used += len(found.data)
            found.etag = hashlib.sha1(found.data).hexdigest()[:20]
        self._files[rel] = found
        return found

    # -- responses --------------------------------------------------------------------

    def respond(self, file: _File, environ: WSGIEnvironment) -> Response:
        """The response for ``file``: compressed if the client accepts it,
        conditional (``ETag`` → 304), ranges for uncompressed bodies."""
        encoding, body = self._variant(file, environ.get("HTTP_ACCEPT_ENCODING", ""))
        if encoding is None:
            if file.data is None:
                response = send_file(file.path, environ, mimetype=file.mime, conditional=True,
                                     etag=file.etag, max_age=None)
            else:
                response = Response(file.data)
                response.set_etag(file.etag)
                response.make_conditional(environ, accept_ranges=True, complete_length=len(file.data))
        else:
            if isinstance(body, str):
                response = send_file(body, environ, mimetype=file.mime, conditional=True,
                                     etag=f"{file.etag}-{encoding}", max_age=None)
            else:
                response = Response(body)
                response.set_etag(f"{file.etag}-{encoding}")
                response.make_conditional(environ)
            response.headers["Content-Encoding"] = encoding
            # No ranges of an encoded body.
            response.headers.pop("Accept-Ranges", None)
        # Set here: Werkzeug would append a second charset to a mimetype= that has one.
        response.headers["Content-Type"] = file.mime
        response.headers["Cache-Control"] = IMMUTABLE if file.immutable else REVALIDATE
        if file.compressible:
            response.headers["Vary"] = "Accept-Encoding"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    def _variant(self, file: _File, accept_encoding: str) -> tuple[str | None, bytes | str | None]:
        if not file.compressible or not accept_encoding:
            return None, None
        accepted = parse_accept_header(accept_encoding)
        if file.variants is None:
            self._prepare_variants(file)
        variants = t.cast("dict[str, bytes | str]", file.variants)
        for encoding in ("br", "gzip"):
            if encoding in variants and accepted.quality(encoding) > 0:
                return encoding, variants[encoding]
        return None, None

    def _prepare_variants(self, file: _File) -> None:
        """Precompressed siblings (``x.js.br``, ``x.js.gz``), else gzip now, once."""
        with file.lock:
            if file.variants is not None:
                return
            variants: dict[str, bytes | str] = {}
            for encoding, suffix in (("br", ".br"), ("gzip", ".gz")):
                sibling = file.path + suffix
                try:
                    if os.stat(sibling).st_mtime_ns >= file.key[0]:
                        variants[encoding] = sibling
                except OSError:
                    pass
            if "gzip" not in variants and file.key[1] <= self.max_memory_file:
                data = file.data if file.data is not None else Path(file.path).read_bytes()
                # mtime=0: the same bytes (and ETag) in every worker.
                compressed = gzip.compress(data, compresslevel=9, mtime=0)
                if len(compressed) < len(data):
                    variants["gzip"] = compressed
                    self._memory_used += len(compressed)
            for encoding, value in list(variants.items()):
                if isinstance(value, str) and os.path.getsize(value) <= self.max_memory_file:
                    content = Path(value).read_bytes()
                    if self._memory_used + len(content) <= self.memory_limit:
                        variants[encoding] = content
                        self._memory_used += len(content)
            file.variants = variants


def static_base_path(base: str) -> str:
    """The URL path ``dist/client`` is served at for ``VITE_BASE``: the base
    itself, the path of a full-URL base (a CDN pulling from the app), or
    ``/`` for a relative one."""
    if base.startswith("/") and not base.startswith("//"):
        return base
    if base == "./":
        return "/"
    path = urllib.parse.urlsplit(base if "://" in base else "http:" + base).path or "/"
    return path if path.endswith("/") else path + "/"


def register_static(app: Flask, state: ViteState) -> StaticFiles:
    """Wrap ``app.wsgi_app`` with :class:`StaticFiles` over ``dist/client``
    and, behind it, the prerendered pages of ``dist/prerendered``
    (:mod:`~flask_vite.production.prerendered`, ahead of the views); for
    ``spa``/``mpa`` apps add the HTML fallback for page URLs no view
    matched. The folders are looked at per request, so they may be built
    after the app starts."""
    from ..prerender_routes import PRERENDERED_DIR
    from .prerendered import PrerenderedPages

    config = state.config
    serve_html = config.app_type in ("spa", "mpa")
    pages = PrerenderedPages(app.wsgi_app, config.out_dir / PRERENDERED_DIR)
    static = StaticFiles(pages, config.out_dir / "client", static_base_path(config.base),
                         serve_html=serve_html)
    app.wsgi_app = static  # type: ignore[method-assign]
    if serve_html:
        from .html_fallback import make_html_fallback

        app.before_request(make_html_fallback(static, spa=config.app_type == "spa"))
    return static
