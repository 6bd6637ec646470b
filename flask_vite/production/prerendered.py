"""Serving the pages ``flask vite build --prerender`` wrote (``dist/prerendered``).

A WSGI middleware in front of the app's views, as SvelteKit's adapter-node
serves its ``prerendered/`` folder before its SSR handler: a ``GET``/``HEAD``
whose path has a prerendered page (:func:`~flask_vite.prerender_routes.page_file`:
``/`` → ``index.html``, ``/about`` → ``about.html``) gets that file, with an
``ETag`` and ``Cache-Control: no-cache`` (a new build changes it) and
compression, as :class:`~flask_vite.production.static.StaticFiles` serves
any built file; the query string is not looked at, as a static host would
not. Every other request goes on to the app, so the views render what was
not prerendered. The lookup goes through the same safe join as the static
files: a path that would leave the folder is never a page.
"""
from __future__ import annotations

import os
import typing as t

from ..prerender_routes import page_file
from .static import StaticFiles, _File

if t.TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


class PrerenderedPages:
    """WSGI middleware serving the prerendered pages in ``directory``; see
    the module docstring.

    :param app: The application every other request goes to.
    :param directory: The folder (``dist/prerendered``); it may appear later
        (a build after the server started): it is looked at per request.
    """

    def __init__(self, app: WSGIApplication, directory: str | os.PathLike[str]) -> None:
        self.app = app
        # Its lookup (safe join, dotfiles refused, cached stat) and responses;
        # its own fall-through is never used.
        self.files = StaticFiles(app, directory, "/", serve_html=True)
        self.directory = self.files.directory

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> t.Iterable[bytes]:
        # Most apps prerender nothing: one access() (no exception, no path
        # work) sends every request on while the folder does not exist
        # (issue 7: this runs before each SSR page).
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD") and os.access(self.directory, os.F_OK):
            path = _decoded(environ.get("PATH_INFO") or "/")
            if path.startswith("/"):
                found = self.files.find(page_file(path))
                if isinstance(found, _File):
                    # A page is never immutable, even one under /assets/.
                    found.immutable = False
                    return self.files.respond(found, environ)(environ, start_response)
        return self.app(environ, start_response)


def _decoded(path: str) -> str:
    """WSGI's ``PATH_INFO`` (bytes as latin-1) as the text the view sees in
    ``request.path``, the form routes are written in."""
    if path.isascii():
        return path
    try:
        return path.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return path
