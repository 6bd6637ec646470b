"""The :class:`FlaskVite` extension object."""
from __future__ import annotations

import threading
import typing as t
from pathlib import Path

from flask import current_app

from .config import ViteConfig
from .errors import ConfigError

if t.TYPE_CHECKING:
    from flask import Flask, Response
    from werkzeug.wrappers import Request

    from .esbuild.service import EsbuildService
    from .manifest import Manifest
    from .production.render import ProductionRenderer
    from .server.dev_server import DevServer
    from .server.ssr_runner import ModuleExports


class ViteState:
    """What flask-vite keeps for one Flask app (``app.extensions["vite"]``).

    Several apps in one process each get their own state, so one
    :class:`FlaskVite` instance can serve several app factories.
    """

    def __init__(self, extension: FlaskVite, app: Flask, config: ViteConfig) -> None:
        self.extension = extension
        self.config = config
        self.app_name = app.name
        self._lock = threading.Lock()
        self._esbuild: EsbuildService | None = None
        #: The dev server, when ``VITE_DEV`` is on.
        self.dev_server: DevServer | None = None
        self._manifest: Manifest | None = None
        #: Production SSR (built pages, renderer pools), made by the first
        #: :meth:`FlaskVite.render` when ``VITE_DEV`` is off.
        self.production: ProductionRenderer | None = None

    @property
    def esbuild(self) -> EsbuildService:
        """This app's esbuild service: one long-lived process, started on first use."""
        if self._esbuild is None:
            with self._lock:
                if self._esbuild is None:
                    from .esbuild.binary import ESBUILD_VERSION, find_esbuild
                    from .esbuild.service import EsbuildService

                    binary = find_esbuild(self.config.root, binary=self.config.esbuild_binary)
                    self._esbuild = EsbuildService(binary, ESBUILD_VERSION)
        return self._esbuild

    @property
    def manifest_path(self) -> Path:
        """Where ``flask vite build`` writes the client manifest."""
        return self.config.out_dir / "client" / ".vite" / "manifest.json"

    @property
    def manifest(self) -> Manifest:
        """The client build manifest, read once.

        :raises ~flask_vite.manifest.ManifestError: saying to run ``flask vite build``.
        """
        if self._manifest is None:
            from .manifest import load_manifest

            self._manifest = load_manifest(self.manifest_path)
        return self._manifest

    def close(self) -> None:
        """Stop the dev server's watcher and HMR connections, and the esbuild
        process, if one was started."""
        if self.dev_server is not None:
            self.dev_server.close()
        if self.production is not None:
            self.production.close()
        with self._lock:
            service, self._esbuild = self._esbuild, None
        if service is not None:
            service.close()


def _apply_config_hooks(app: Flask, plugins: t.Sequence[t.Any]) -> None:
    """Run the plugins' ``config`` hooks; their keys fill in what the app left unset."""
    from .config import DEFAULTS

    dev = app.config.get("VITE_DEV")
    env = {"command": "serve" if (app.debug if dev is None else dev) else "build",
           "dev": bool(app.debug if dev is None else dev)}
    for plugin in plugins:
        hook = getattr(plugin, "config", None)
        if not callable(hook):
            continue
        current = {k: app.config.get(k, v) for k, v in DEFAULTS.items()}
        extra = hook(current, env)
        if not extra:
            continue
        for key, value in extra.items():
            if not key.startswith("VITE_"):
                raise ConfigError(key, f"the config hook of plugin {getattr(plugin, 'name', plugin)!r}"
                                       " may only set VITE_* keys.")
            if key not in app.config:
                app.config[key] = value


def _register_ssr_error_page(app: Flask, server: DevServer) -> None:
    """In dev, a flask-vite error in a view (an SSR render that throws, a module
    that does not compile) answers 500 with the source-mapped stack, and the
    page's error overlay shows it (Vite's ``ssrFixStacktrace`` + overlay)."""
    from flask import request

    from .errors import ViteError
    from .server.handlers.error import error_response

    def vite_error(error: ViteError) -> t.Any:
        return error_response(server, request, error)

    app.register_error_handler(ViteError, vite_error)


class FlaskVite:
    """Vite for a Flask app.

    .. code-block:: python

        vite = FlaskVite()

        def create_app():
            app = Flask(__name__)
            app.config["VITE_ROOT"] = "frontend"
            vite.init_app(app)
            return app

    :param app: Call :meth:`init_app` on this app right away.
    :param plugins: Python plugins, in the order their hooks run.
    """

    def __init__(self, app: Flask | None = None, *, plugins: t.Sequence[t.Any] = ()) -> None:
        self.plugins = list(plugins)
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Read the ``VITE_*`` config of ``app`` and register flask-vite on it.

        :raises RuntimeError: if flask-vite is already registered on ``app``.
        :raises ~flask_vite.errors.ConfigError: for a bad ``VITE_*`` value.
        """
        if "vite" in app.extensions:
            raise RuntimeError(
                "A 'FlaskVite' instance has already been registered on this Flask app."
                " Import and use that instance instead."
            )
        _apply_config_hooks(app, self.plugins)
        config = ViteConfig.from_app(app)
        state = app.extensions["vite"] = ViteState(self, app, config)
        from .templating import JINJA_GLOBALS

        app.jinja_env.globals.update(JINJA_GLOBALS)
        if config.dev:
            from .server.chain import register_dev_handlers
            from .server.dev_server import DevServer

            state.dev_server = DevServer(state, app)
            register_dev_handlers(app, state.dev_server)
            _register_ssr_error_page(app, state.dev_server)
        else:
            # Production: nothing of the dev server. Every renderer busy is a
            # 503, not a 500; the built dist/client at VITE_BASE, and the
            # prerendered pages ahead of the views.
            from .production.busy import register_busy_handler

            register_busy_handler(app, config)
            if config.serve_static:
                from .production.static import register_static

                register_static(app, state)

    def get_state(self, app: Flask | None = None) -> ViteState:
        """The state of ``app`` (default: the current app).

        :raises RuntimeError: if :meth:`init_app` was not called for that app.
        """
        if app is None:
            app = current_app._get_current_object()  # type: ignore[attr-defined]
        state = app.extensions.get("vite")
        if state is None or state.extension is not self:
            raise RuntimeError(
                f"The current Flask app ({app.name!r}) is not registered with this"
                " 'FlaskVite' instance. Did you forget to call 'init_app', or did"
                " you create multiple 'FlaskVite' instances?"
            )
        return t.cast(ViteState, state)

    @property
    def config(self) -> ViteConfig:
        """The resolved settings of the current app."""
        return self.get_state().config

    @property
    def esbuild(self) -> EsbuildService:
        """The current app's esbuild service."""
        return self.get_state().esbuild

    def _dev_server(self, what: str) -> DevServer:
        server = self.get_state().dev_server
        if server is None:
            raise RuntimeError(
                f"{what} needs the dev server, which is off (VITE_DEV is False)."
                " In production, render with the built SSR bundle.")
        return server

    def ssr_load_module(self, url: str) -> ModuleExports:
        """Vite's ``ssrLoadModule``: import ``url`` in the ``ssr`` environment (V8).

        Functions among the exports are callables that run in V8::

            render = vite.ssr_load_module("/src/entry-server.tsx")["render"]
            rendered = render(url)   # {"html": ..., "head": ...}

        Edited modules (and their importers) run again; the others keep their
        state. Module state is per V8 child (up to ``VITE_SSR_WORKERS`` of them).
        """
        return self._dev_server("ssr_load_module()").environments["ssr"].runner.import_(url)

    def dispatch_fetch(self, entry: str | None = None, request: Request | None = None, *,
                       timeout: float | None = None, max_body_size: int | None = None) -> Response:
        """Vite's ``dispatchFetch``: pass ``request`` (default: the current
        ``flask.request``) to the fetch handler that ``entry`` (default
        ``VITE_SSR_ENTRY``) exports, in the ``ssr`` environment (V8), and
        return its ``Response`` as a Flask response::

            @app.route("/", defaults={"path": ""}, methods=["GET", "POST"])
            @app.route("/<path:path>", methods=["GET", "POST"])
            def handle(path):
                return vite.dispatch_fetch("/src/entry-server.ts")

        The entry exports ``export default { fetch(request) {...} }``,
        ``export function fetch(request)`` or ``export function
        handler(request)``, returning a ``Response`` (or a promise of one).
        Bodies (request and response) are limited to ``max_body_size``
        bytes (default 16 MiB); a stream body is read to its end first.

        :raises ~flask_vite.ssr.errors.SsrFetchTypeError: (a ``TypeError``)
            no such export, or it returned something else than a ``Response``.
        :raises ~flask_vite.ssr.errors.SsrError: the handler threw; in a
            view, the dev server answers 500 with the source-mapped stack.
        """
        if request is None:
            from flask import request as current_request

            request = t.cast("Request", current_request._get_current_object())  # type: ignore[attr-defined]
        ssr = self._dev_server("dispatch_fetch()").environments["ssr"]
        return ssr.dispatch_fetch(request, entry, timeout=timeout, max_body_size=max_body_size)

    # -- server-side rendering of whole pages, dev and production (flask_vite/production) --

    def render(self, entry: str = "src/entry-server.tsx", *, url: str, props: t.Any = None,
               template: str = "index.html") -> str:
        """The whole HTML page for ``url``, rendered by ``entry``'s ``render(url, props)``.

        The entry's result (a string of HTML, or ``{html, head}``) fills the
        ``<!--app-head-->`` and ``<!--app-html-->`` markers
        (``VITE_SSR_PLACEHOLDERS``) of ``template``: in dev the source
        ``index.html`` through :meth:`transform_index_html`, with the entry
        loaded by :meth:`ssr_load_module`; in production the built
        ``dist/client/index.html`` and the SSR bundle
        ``dist/server/<entry name>.js``, rendered by a pool of V8 renderers
        (``VITE_SSR_WORKERS`` per web worker). So one view serves both::

            @app.get("/", defaults={"path": ""})
            @app.get("/<path:path>")
            def page(path):
                return vite.render("src/entry-server.tsx", url=request.full_path)

        :param props: JSON-compatible data passed as ``render``'s second
            argument (left out when ``None``).
        :raises ~flask_vite.production.render.MissingBuildError: production,
            and ``flask vite build`` has not been run (names the missing file).
        :raises ~flask_vite.ssr.errors.SsrError: the render threw or was
            stopped (``VITE_SSR_TIMEOUT``, ``VITE_SSR_HEAP_LIMIT_MB``); the
            next render works.
        """
        from .production.render import render_page

        return render_page(self.get_state(), entry, url=url, props=props, template=template)

    def transform_index_html(self, url: str, html: str) -> str:
        """Vite's ``transformIndexHtml``: inject ``/@vite/client`` and the plugins'
        HTML transforms into a page served at ``url``. Returns ``html`` unchanged
        when the dev server is off."""
        server = self.get_state().dev_server
        if server is None:
            return html
        return server.transform_index_html(url, html)
