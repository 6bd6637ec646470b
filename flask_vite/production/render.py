"""Whole pages from an SSR entry: what :meth:`FlaskVite.render` does.

The same view serves dev and production, as create-vite-extra's
``server.js`` does with its two branches::

    @app.get("/", defaults={"path": ""})
    @app.get("/<path:path>")
    def page(path):
        return vite.render("src/entry-server.tsx", url=request.full_path)

- **dev** (``VITE_DEV``): the source ``index.html``, read at each request
  and passed through ``transform_index_html``; the entry imported with
  ``ssr_load_module`` (edits show at once, errors in the overlay);
- **production**: the built ``dist/client/index.html`` (read once) and the
  SSR bundle ``dist/server/<entry name>.js``, rendered by a
  :class:`~flask_vite.production.pool.RendererPool` per entry.

Either way the entry's ``render(url, props?)`` is called, and its result (a
string of HTML, or ``{html, head}``) fills the template's markers
(``VITE_SSR_PLACEHOLDERS``).
"""
from __future__ import annotations

import logging
import threading
import typing as t
from pathlib import Path

from ..build.names import ssr_bundle_name
from ..errors import ViteError
from ..ssr.errors import SsrError
from .pool import RendererBusy
from .template import PageTemplate, split_rendered

if t.TYPE_CHECKING:
    from ..config import ViteConfig
    from ..extension import ViteState
    from .pool import RendererPool
    from .stacktrace import BundleStack

logger = logging.getLogger("flask_vite.ssr")


class MissingBuildError(ViteError):
    """A file of the production build is missing; the message names it."""

    code = "BUILD_MISSING"


def render_page(state: ViteState, entry: str, *, url: str, props: t.Any = None,
                template: str = "index.html") -> str:
    """The page for ``url``: dev or production, by ``state``'s settings.

    A trailing ``?`` (Flask's ``request.full_path`` when there is no query
    string) is dropped: the entry gets the URL as Express's
    ``req.originalUrl`` gives it.
    """
    if url.endswith("?") and url.count("?") == 1:
        url = url[:-1]
    args: list[t.Any] = [url] if props is None else [url, props]
    if state.dev_server is not None:
        return _render_dev(state, entry, args, template)
    renderer = state.production
    if renderer is None:
        with state._lock:
            if state.production is None:
                state.production = ProductionRenderer(state.config)
            renderer = state.production
    return renderer.render(entry, args, template)


def _render_dev(state: ViteState, entry: str, args: list[t.Any], template: str) -> str:
    server = state.dev_server
    assert server is not None
    path = state.config.root / template
    try:
        text = path.read_text("utf-8")  # fresh at each request, as in server.js
    except FileNotFoundError:
        raise ViteError(f"No page template at {path}: create it, or pass template= to render()."
                        ) from None
    page = PageTemplate(server.transform_index_html(str(args[0]), text),
                        state.config.ssr_placeholders, source=str(path))
    url = "/" + entry.lstrip("/")
    result = server.environments["ssr"].runner.import_(url)["render"](*args)
    return page.fill(*split_rendered(result, f"render() of {url}"))


class _Bundle:
    """One built SSR entry: its pool and, once needed, its stack mapper."""

    def __init__(self, path: Path, code: str, pool: RendererPool) -> None:
        self.path = path
        self.code = code
        self.pool = pool
        self.url = pool.entry
        self._stack: BundleStack | None | bool = False  # False: not looked for yet

    def map_error(self, error: SsrError) -> SsrError:
        if self._stack is False:
            from .stacktrace import BundleStack, find_source_map

            try:
                found = find_source_map(self.path, self.code)
            except (OSError, ValueError) as e:
                logger.warning("cannot read the source map of %s: %s", self.path, e)
                found = None
            self._stack = BundleStack(self.url, *found) if found is not None else None
        stack = t.cast("BundleStack | None", self._stack)
        return stack.map_error(error) if stack is not None else error


class ProductionRenderer:
    """Pages from the build in ``VITE_OUT_DIR``: templates read once, one
    renderer pool per SSR entry (created at its first render)."""

    def __init__(self, config: ViteConfig) -> None:
        self.config = config
        self.client_dir = config.out_dir / "client"
        self.server_dir = config.out_dir / "server"
        self._templates: dict[str, PageTemplate] = {}
        self._bundles: dict[str, _Bundle] = {}
        self._lock = threading.Lock()

    def render(self, entry: str, args: list[t.Any], template: str = "index.html", *,
               log_errors: bool = True) -> str:
        """Render ``entry``'s ``render(*args)`` into ``template``.

        :param log_errors: Log a failed render (off when the caller reports
            the error itself, as ``flask vite build --prerender`` does).
        :raises MissingBuildError: the build lacks the template or the bundle.
        :raises ~flask_vite.ssr.errors.SsrError: the render threw or was
            stopped (with its source-mapped stack; logged).
        """
        page = self.template(template)
        bundle = self.bundle(entry)
        try:
            result = bundle.pool.call("render", args)
        except RendererBusy:
            raise  # not the render's fault: answered 503 (production/busy.py), logged there
        except SsrError as e:
            mapped = bundle.map_error(e)
            if log_errors:
                logger.error("SSR render of %s for %s failed:\n%s", entry, args[0], mapped)
            raise mapped from None
        return page.fill(*split_rendered(result, f"render() of {bundle.path.name}"))

    def template(self, name: str) -> PageTemplate:
        page = self._templates.get(name)
        if page is None:
            path = self.client_dir / name
            try:
                text = path.read_text("utf-8")
            except FileNotFoundError:
                raise MissingBuildError(
                    f"No built page template at {path}. Run 'flask vite build' first (or set"
                    " VITE_DEV=True to use the dev server).") from None
            page = self._templates.setdefault(
                name, PageTemplate(text, self.config.ssr_placeholders, source=str(path)))
        return page

    def bundle_path(self, entry: str) -> Path:
        """``src/entry-server.tsx`` → ``dist/server/entry-server.js``, as
        ``vite build --ssr`` names its output."""
        return self.server_dir / (ssr_bundle_name(entry) + ".js")

    def bundle(self, entry: str) -> _Bundle:
        bundle = self._bundles.get(entry)
        if bundle is not None:
            return bundle
        path = self.bundle_path(entry)
        with self._lock:
            bundle = self._bundles.get(entry)
            if bundle is None:
                try:
                    code = path.read_text("utf-8")
                except FileNotFoundError:
                    raise MissingBuildError(
                        f"No SSR bundle for {entry} at {path}. Run 'flask vite build' first (or set"
                        " VITE_DEV=True to use the dev server).") from None
                bundle = self._bundles[entry] = _Bundle(path, code, self._make_pool(path, code))
        return bundle

    def _make_pool(self, path: Path, code: str) -> RendererPool:
        from ..ssr.process import ModuleSource
        from .pool import RendererPool

        c = self.config
        url = "/" + path.name
        return RendererPool(
            {url: ModuleSource(code, file=str(path))}, url, size=c.ssr_workers, timeout=c.ssr_timeout,
            heap_limit_mb=c.ssr_heap_limit_mb, max_renders=c.ssr_max_renders,
            queue_timeout=c.ssr_queue_timeout, max_batch=c.ssr_batch)

    def pools(self) -> dict[str, RendererPool]:
        """The renderer pool of each entry rendered so far."""
        return {entry: b.pool for entry, b in self._bundles.items()}

    def close(self) -> None:
        """Stop every renderer (of this process)."""
        with self._lock:
            bundles = list(self._bundles.values())
        for bundle in bundles:
            bundle.pool.close()
