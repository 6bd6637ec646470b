"""Prerendering: static pages written by the production renderer, after the builds.

``flask vite build --prerender /,/about`` (or ``VITE_PRERENDER``) renders
each route with the SSR bundle just built, exactly as ``vite.render(entry,
url=route)`` does in production (the built ``dist/client/index.html`` filled
by the bundle's ``render(url)`` in a :class:`~flask_vite.production.pool.RendererPool`),
and writes the pages to ``dist/prerendered/`` by
:func:`~flask_vite.prerender_routes.page_file` (``/`` → ``index.html``,
``/about`` → ``about.html``). It is Vite's ``prerender.js`` (playground
``ssr-react``/``ssr-vue``), with the pages kept apart from ``dist/client``
because there ``index.html`` is the template every other page is rendered
into.

Every page is rendered before any is written, and each is written to a
temporary name and renamed: a render that throws or runs past
``VITE_SSR_TIMEOUT`` fails the build with its route and source-mapped
error, and leaves no page of this build behind. The folder is emptied at
each build (with or without routes), as its pages name the hashed files of
the build that made them.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import time
import typing as t
from pathlib import Path

from ..errors import ViteError
from ..prerender_routes import PRERENDERED_DIR, page_file
from .client import _shown
from .options import prepare_out_dir

if t.TYPE_CHECKING:
    from ..config import ViteConfig
    from .options import BuildOptions
    from .report import Reporter


class PrerenderError(ViteError):
    """A page could not be prerendered; the message names its route."""

    code = "PRERENDER"


@dataclasses.dataclass
class PrerenderResult:
    #: ``dist/prerendered``.
    out_dir: Path
    #: Route → the written file, relative to :attr:`out_dir`.
    pages: dict[str, str]


def clear_prerendered(config: ViteConfig, options: BuildOptions, reporter: Reporter) -> Path:
    """Empty ``dist/prerendered`` (where emptying is safe, as for ``client/``);
    returns the folder, which exists afterwards."""
    out_dir = options.out_dir / PRERENDERED_DIR
    prepare_out_dir(out_dir, config, options, reporter)
    return out_dir


def remove_stale_pages(config: ViteConfig, options: BuildOptions, reporter: Reporter) -> None:
    """A build without prerendering: the pages of an earlier one would name
    files this build replaced, and be served ahead of the views."""
    if (options.out_dir / PRERENDERED_DIR).is_dir():
        out_dir = clear_prerendered(config, options, reporter)
        if not any(out_dir.iterdir()):
            out_dir.rmdir()


def prerender_pages(config: ViteConfig, entry: str, routes: t.Sequence[str], options: BuildOptions,
              reporter: Reporter) -> PrerenderResult:
    """Render ``routes`` (checked by :func:`~flask_vite.prerender_routes.check_routes`)
    with the SSR bundle of ``entry`` in ``options.out_dir`` and write them.

    :raises PrerenderError: naming the route whose render failed, with the error.
    """
    from ..production.render import ProductionRenderer

    started = time.perf_counter()
    reporter.begin(f"prerendering {len(routes)} page{'s' if len(routes) != 1 else ''}"
                   f" with {entry}...")
    out_dir = clear_prerendered(config, options, reporter)
    workers = max(1, min(config.ssr_workers, len(routes)))
    renderer = ProductionRenderer(dataclasses.replace(config, out_dir=options.out_dir,
                                                      ssr_workers=workers))

    def render(route: str) -> str:
        return renderer.render(entry, [route], log_errors=False)

    pages: list[tuple[str, bytes]] = []
    try:
        with concurrent.futures.ThreadPoolExecutor(workers, "flask-vite-prerender") as pool:
            futures = [pool.submit(render, route) for route in routes]
            try:
                for route, future in zip(routes, futures):
                    pages.append((route, _page(route, future)))
            finally:
                for future in futures:
                    future.cancel()  # after a failure: the routes not started yet
    finally:
        renderer.close()
    written: dict[str, str] = {}
    shown: list[tuple[str, bytes]] = []
    for route, data in pages:
        rel = written[route] = page_file(route)
        _write_atomically(out_dir / rel, data)
        shown.append((_shown(out_dir / rel), data))
    reporter.files(shown, warn_large=False)
    reporter.built(time.perf_counter() - started,
                   f"{len(pages)} page{'s' if len(pages) != 1 else ''} prerendered")
    return PrerenderResult(out_dir, written)


def _page(route: str, rendered: concurrent.futures.Future[str]) -> bytes:
    """The page of ``route``, or the build's error naming it."""
    from ..production.render import MissingBuildError

    try:
        return rendered.result().encode("utf-8")
    except MissingBuildError as e:
        raise PrerenderError(
            f"Cannot prerender {route}: {e} (--prerender with --ssr alone renders into the"
            " client build already there; --app builds both).") from None
    except ViteError as e:
        raise PrerenderError(f"Prerendering {route} failed: {e}") from None


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all: a temporary dotfile (never served)
    renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
