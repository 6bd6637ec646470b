"""Prerendered pages: which URL paths can be one, and the file of each.

Pure (no files): ``flask vite build --prerender`` (:mod:`flask_vite.build.prerender`)
writes a page to :func:`page_file` of its route, and the production runtime
(:mod:`flask_vite.production.prerendered`) looks a request's path up with the
same function, so the two never disagree.

The layout is the URL, as Vite's SSR playground (``prerender.js``) and
SvelteKit's ``prerendered/`` folder write it, and as ``vite preview`` and
static hosts look pages up::

    /            -> index.html
    /about       -> about.html
    /docs/       -> docs/index.html
    /docs/intro  -> docs/intro.html

A route with a trailing slash and one without are different pages (as they
are different URLs), and ``/about`` beside ``/about/intro`` needs no folder
that is also a file.
"""
from __future__ import annotations

import typing as t

#: The folder of prerendered pages inside ``VITE_OUT_DIR``, beside ``client/`` and ``server/``.
PRERENDERED_DIR = "prerendered"


def page_file(path: str) -> str:
    """The file, relative to ``dist/prerendered``, of the page at URL path
    ``path`` (which starts with ``/``): see the module docstring. The result
    is not checked: it goes through a safe join before any file is opened."""
    rel = path[1:]
    return rel + "index.html" if rel == "" or rel.endswith("/") else rel + ".html"


def page_path(file: str) -> str:
    """The URL path of a page file (the reverse of :func:`page_file`, with
    ``x/index.html`` shown as ``/x/``)."""
    stem = file.removesuffix(".html")
    if stem == "index" or stem.endswith("/index"):
        stem = stem.removesuffix("index")
    return "/" + stem


def check_route(route: t.Any) -> str:
    """``route`` if it can be prerendered.

    :raises ValueError: saying what is wrong with it (the caller names the
        option or setting it came from).
    """
    if not isinstance(route, str) or not route:
        raise ValueError(f"expected a URL path such as '/about', got {route!r}")
    if not route.startswith("/"):
        raise ValueError(f"{route!r} must start with '/' (a URL path such as '/about')")
    if "?" in route or "#" in route:
        raise ValueError(f"{route!r} has a query string or a fragment: a prerendered page is one"
                         " file per path; leave such URLs to the view")
    if "\\" in route or any(ord(c) < 32 or ord(c) == 127 for c in route):
        raise ValueError(f"{route!r} has a backslash or a control character")
    if "%" in route:
        raise ValueError(f"{route!r} is percent-encoded: write the path as the view sees it"
                         " (request.path, e.g. '/café' rather than '/caf%C3%A9')")
    segments = route[1:].split("/")
    if route != "/" and route.endswith("/"):
        segments.pop()  # the trailing slash of a folder-style URL
    for segment in segments if route != "/" else ():
        if segment in ("", ".", ".."):
            raise ValueError(f"{route!r} has an empty, '.' or '..' segment")
        if segment.startswith("."):
            raise ValueError(f"{route!r} has a segment starting with '.': such files are never served")
    return route


def check_routes(routes: t.Iterable[t.Any]) -> tuple[str, ...]:
    """Every route checked (:func:`check_route`), repeats dropped, in order.

    :raises ValueError: a bad route, or two routes that would be written to
        the same file (``/`` and ``/index``).
    """
    checked: dict[str, str] = {}  # file -> route
    for route in routes:
        file = page_file(check_route(route))
        other = checked.setdefault(file, route)
        if other != route:
            raise ValueError(f"{other!r} and {route!r} would both be written to {file}:"
                             " prerender one of them")
    return tuple(checked.values())
