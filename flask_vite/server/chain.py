"""The dev server's handlers, in order, in front of the app's own views.

Vite in middleware mode is a stack of Connect middlewares mounted before
the framework's routes (``server/index.ts``). Here the same stack is a list
of named handlers run by one ``before_request`` function: the first handler
that returns a response ends the request; if none does, Flask routes it as
usual. The order is written once, below, with the reason for each place.

With ``VITE_DEBUG`` every request logs its way through the chain and the
time each handler took, on the ``flask_vite.server`` logger::

    GET /src/main.ts -> vite_reject_invalid_request 0.01ms
      -> vite_host_check 0.01ms -> ... -> vite_transform 200 3.20ms
"""
from __future__ import annotations

import logging
import time
import typing as t

from flask import Flask, Response, request

from .handlers.base import make_base
from .handlers.cached_transform import make_cached_transform
from .handlers.common import ORIGINAL_URL_KEY, URL_KEY, Handler, finish_response, initial_url
from .handlers.cors import make_cors
from .handlers.error import error_response
from .handlers.host_check import make_host_check
from .handlers.hot_channel import make_hot_channel
from .handlers.html_fallback import make_html_fallback
from .handlers.index_html import make_index_html
from .handlers.public import make_serve_public
from .handlers.raw_fs import make_serve_raw_fs
from .handlers.reject_invalid import make_reject_invalid_request
from .handlers.static import make_serve_static
from .handlers.transform import make_transform

if t.TYPE_CHECKING:
    from .dev_server import DevServer

logger = logging.getLogger("flask_vite.server")


def build_handlers(server: DevServer) -> list[Handler]:
    """The handlers for ``server``'s settings, in the order they run.

    Steps that do not apply (a ``/`` base, no public dir, ``custom`` app
    type) are left out rather than checked on every request.
    """
    steps: list[Handler | None] = [
        # 1. Before anything reads the URL: a '#' in the raw target or a path
        #    that does not decode would make every later check reason about
        #    a different path than the one served.
        make_reject_invalid_request(server),
        # 2. DNS rebinding: a foreign Host must not reach any file-reading step.
        make_host_check(server),
        # 2b. The HMR channel (WebSocket upgrade at the base, event stream at
        #     <base>@vite/hmr): after the host check, which guards it as any
        #     request; before CORS (it checks its own token) and before the
        #     base and transform steps, which would take "/" or "/@vite/…"
        #     for a page or a module.
        make_hot_channel(server),
        # 3. CORS: preflights end here; the headers are noted for whichever
        #    step answers, errors included.
        make_cors(server),
        # 4. 304 from the module graph: the cheapest answer, for the most
        #    frequent request of a reload; it reads no file.
        make_cached_transform(server),
        # 5. Strip VITE_BASE before any step maps URLs to files.
        make_base(server),
        # 6. Public files win over modules of the same name and are never
        #    transformed (but ?import/?url go on to the transform).
        make_serve_public(server),
        # 7. Modules: JS/TS/CSS/JSON/assets through the plugin pipeline. Before
        #    the file steps, or /src/main.ts would be served as TypeScript.
        make_transform(server),
        # 8. /@fs/ files outside the root (linked packages), allow list applies.
        make_serve_raw_fs(server),
        # 9. Other files under the root, untransformed (images, fonts).
        make_serve_static(server),
        # 10. Page URLs no Flask view matched → their .html file (spa/mpa).
        make_html_fallback(server),
        # 11. .html files through transform_index_html (spa/mpa).
        make_index_html(server),
        # 12. Errors are not a step: run_handlers turns an exception in any
        #     step into a 500 carrying the overlay payload. A URL no step
        #     answers goes to Flask's routing, which gives the 404.
    ]
    return [step for step in steps if step is not None]


def run_handlers(server: DevServer, handlers: t.Sequence[Handler]) -> Response | None:
    """Run ``handlers`` for the current request: the first response wins."""
    environ = request.environ
    environ[URL_KEY] = environ[ORIGINAL_URL_KEY] = initial_url(environ)
    # The file watcher starts with the first request, so only the process
    # that serves watches (not werkzeug's reloader parent, not `flask vite build`).
    watcher = getattr(server, "watcher", None)
    if watcher is not None:
        watcher.start()
    # Likewise the dependency optimizer: it bundles while the page loads.
    optimizer = getattr(server, "optimizer", None)
    if optimizer is not None:
        optimizer.start()
    debug = server.config.debug
    trace: list[str] = []
    started = time.perf_counter()
    for handler in handlers:
        start = time.perf_counter()
        try:
            response = handler(request)
        except Exception as e:  # any failure becomes the overlay's 500
            response = error_response(server, request, e)
        if debug:
            took = (time.perf_counter() - start) * 1000
            status = f" {response.status_code}" if response is not None else ""
            trace.append(f"{handler.__name__}{status} {took:.2f}ms")
        if response is not None:
            if debug:
                _log_trace(trace, started)
            return finish_response(request, response)
    if debug:
        trace.append("(Flask routing)")
        _log_trace(trace, started)
    return None


def _log_trace(trace: list[str], started: float) -> None:
    total = (time.perf_counter() - started) * 1000
    logger.debug(
        "%s %s -> %s (%.2fms)",
        request.method, request.environ.get(ORIGINAL_URL_KEY), " -> ".join(trace), total,
    )


def register_dev_handlers(app: Flask, server: DevServer) -> None:
    """Put the dev server's handlers in front of ``app``'s views.

    They run as the first ``before_request`` function, so the host check
    and the file checks come before any of the app's own request hooks.

    :raises RuntimeError: if the handlers are already registered on ``app``.
    """
    if getattr(app, "_flask_vite_dev_handlers", False):
        raise RuntimeError(
            f"The flask-vite dev handlers are already registered on the app {app.name!r}."
            " Call register_dev_handlers once per app (FlaskVite.init_app does it in dev)."
        )
    handlers = build_handlers(server)

    def vite_dev_server() -> Response | None:
        return run_handlers(server, handlers)

    app.before_request_funcs.setdefault(None, []).insert(0, vite_dev_server)
    app._flask_vite_dev_handlers = True  # type: ignore[attr-defined]
    if server.config.debug:
        _enable_debug_logging()


def _enable_debug_logging() -> None:
    """``VITE_DEBUG`` shows the chain's log, and HMR's ("hmr update
    /src/App.tsx", "page reload src/main.ts"), even when the app configured none."""
    for log in (logger, logging.getLogger("flask_vite.hmr")):
        log.setLevel(logging.DEBUG)
        if not log.hasHandlers():
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("[%(name)s] %(message)s"))
            log.addHandler(handler)
