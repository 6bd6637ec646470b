"""The ``VITE_*`` settings of a Flask app, resolved once into a typed object.

Every key is read with its default from ``app.config`` when
:meth:`flask_vite.FlaskVite.init_app` runs; a bad value raises
:class:`~flask_vite.errors.ConfigError` naming the key, so mistakes show up at
start-up rather than on the first request.
"""
from __future__ import annotations

import dataclasses
import re
import typing as t
from pathlib import Path

from .errors import ConfigError
from .prerender_routes import check_routes

if t.TYPE_CHECKING:
    from flask import Flask

#: Every key flask-vite reads, with its default. ``None`` means "derived":
#: ``VITE_DEV`` follows ``app.debug``, ``VITE_MODE`` follows ``VITE_DEV``.
DEFAULTS: dict[str, t.Any] = {
    "VITE_ROOT": ".",
    "VITE_DEV": None,
    "VITE_MODE": None,
    "VITE_BASE": "/",
    "VITE_PUBLIC_DIR": "public",
    "VITE_OUT_DIR": "dist",
    "VITE_CACHE_DIR": "node_modules/.vite",
    "VITE_ALLOWED_HOSTS": (),
    "VITE_DEBUG": False,
    "VITE_ESBUILD_BINARY": None,
    "VITE_APP_TYPE": "spa",
    "VITE_FS_ALLOW": (),
    "VITE_FS_DENY": (".env", ".env.*", "*.{crt,pem,key,p12,pfx,cer,der}", ".npmrc", "**/.git/**"),
    "VITE_CORS": None,
    # flask vite build (flask_vite/build/)
    "VITE_BUILD_INPUT": (),
    "VITE_BUILD_SOURCEMAP": False,
    "VITE_BUILD_SRI": False,
    "VITE_PRERENDER": (),
    "VITE_OPTIMIZE_DEPS_INCLUDE": (),
    "VITE_OPTIMIZE_DEPS_EXCLUDE": (),
    "VITE_HMR": True,
    "VITE_HMR_OVERLAY": True,
    "VITE_RELOAD_ON_PYTHON_CHANGE": True,
    "VITE_SSR_TIMEOUT": 5.0,
    "VITE_SSR_HEAP_LIMIT_MB": 256,
    "VITE_SSR_WORKERS": 2,
    "VITE_SSR_MAX_RENDERS": 10_000,
    "VITE_SSR_QUEUE_TIMEOUT": 10.0,
    "VITE_SSR_BATCH": 16,
    "VITE_SSR_PLACEHOLDERS": ("<!--app-head-->", "<!--app-html-->"),
    "VITE_SERVE_STATIC": True,
    "VITE_ASSET_URL": None,
    "VITE_SSR_ENTRY": None,
}

#: Vite's ``appType``: ``spa`` and ``mpa`` serve ``index.html`` files for
#: unrouted URLs; ``custom`` (SSR apps) leaves every page to the Flask views.
APP_TYPES = ("spa", "mpa", "custom")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_MODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclasses.dataclass(frozen=True)
class ViteConfig:
    """Resolved settings. Paths are absolute."""

    #: Folder holding ``index.html``, ``src/``, ``public/`` and ``package.json``.
    root: Path
    #: Whether the dev server (on-demand transforms, HMR) is active.
    dev: bool
    #: ``development`` in dev, ``production`` otherwise, unless set; picks ``.env.[mode]``.
    mode: str
    #: Public base path of the assets, always ending in ``/`` (or a full URL).
    base: str
    #: Files served verbatim at the base path; ``None`` when disabled.
    public_dir: Path | None
    #: Where ``flask vite build`` writes (``client/`` and ``server/`` inside).
    out_dir: Path
    #: The dependency optimizer's cache.
    cache_dir: Path
    #: Host names accepted by the dev server besides localhost and IP literals.
    allowed_hosts: tuple[str, ...]
    #: Log each request's path through the dev-server handlers.
    debug: bool
    #: An explicit esbuild binary; ``None`` to look it up (see :mod:`flask_vite.esbuild.binary`).
    esbuild_binary: Path | None
    #: ``spa``, ``mpa`` or ``custom`` (see :data:`APP_TYPES`).
    app_type: str = "spa"
    #: Folders outside the root the dev server may serve through ``/@fs/``
    #: (the root and the optimizer cache are always allowed).
    fs_allow: tuple[Path, ...] = ()
    #: Glob patterns of files never served, whatever else allows them.
    fs_deny: tuple[str, ...] = ()
    #: Allowed CORS origins: ``None`` for localhost origins only, ``True`` for
    #: any origin, ``False`` for no CORS headers, or a list of origins.
    cors: bool | tuple[str, ...] | None = None
    #: Bare imports always pre-bundled, found by the scan or not.
    optimize_deps_include: tuple[str, ...] = ()
    #: Bare imports never pre-bundled (served from node_modules as they are).
    optimize_deps_exclude: tuple[str, ...] = ()
    #: Seconds one SSR render may take before it is stopped (and V8 restarted).
    ssr_timeout: float = 5.0
    #: The V8 heap limit of an SSR renderer, in MiB.
    ssr_heap_limit_mb: int = 256
    #: SSR renderers (V8 child processes) per web worker process: production's
    #: renderer pool, and the dev ``ssr`` runner's children (started as requests overlap).
    ssr_workers: int = 2
    #: Production: a renderer is replaced after this many renders (``0``: never).
    ssr_max_renders: int = 10_000
    #: Production: seconds a render may wait for a free renderer.
    ssr_queue_timeout: float = 10.0
    #: Production: most queued renders sent to a renderer in one call (``1``: no batching).
    ssr_batch: int = 16
    #: The comments in ``index.html`` replaced by a render's ``head`` and ``html``.
    ssr_placeholders: tuple[str, str] = ("<!--app-head-->", "<!--app-html-->")
    #: Production: serve the built ``dist/client`` at the base path (off when
    #: nginx or a CDN serves it).
    serve_static: bool = True
    #: Production: the URL prefix of built assets in the Jinja helpers'
    #: tags (a CDN), instead of the base path; ends in ``/``.
    asset_url: str | None = None
    #: The ``ssr`` environment's entry module (``/src/entry-server.ts``):
    #: where ``dispatch_fetch`` finds the fetch handler when not given one.
    ssr_entry: str | None = None
    #: Send hot updates to browsers. When off, edited files are still picked
    #: up (the next page load gets fresh code); only the push is skipped.
    hmr: bool = True
    #: Show the error overlay in the browser for transform errors.
    hmr_overlay: bool = True
    #: Reload open pages when a Python file or a Jinja template of the Flask
    #: app changes (Flask's reloader restarts the server, but does not
    #: refresh the browser).
    reload_on_python_change: bool = True
    #: Entries of the client build, relative to the root (``index.html``,
    #: ``src/admin.ts``); empty: ``index.html``.
    build_input: tuple[str, ...] = ()
    #: Write ``.map`` files next to the built JavaScript and CSS.
    build_sourcemap: bool = False
    #: Add ``integrity`` (sha384) to the manifest's chunks and the built HTML.
    build_sri: bool = False
    #: URL paths ``flask vite build`` writes as static pages after the SSR
    #: build (``/`` → ``dist/prerendered/index.html``, ``/about`` → ``about.html``).
    prerender: tuple[str, ...] = ()

    @classmethod
    def from_app(cls, app: Flask) -> ViteConfig:
        """Read and check every ``VITE_*`` key of ``app.config``."""
        for key, value in DEFAULTS.items():
            app.config.setdefault(key, value)
        c = app.config

        root = _path(c["VITE_ROOT"], Path(app.root_path), "VITE_ROOT", must_exist=True)
        dev = _bool(c["VITE_DEV"], "VITE_DEV", default=bool(app.debug))
        mode = c["VITE_MODE"]
        if mode is None:
            mode = "development" if dev else "production"
        if not isinstance(mode, str) or not _MODE_RE.match(mode):
            raise ConfigError(
                "VITE_MODE",
                f"{mode!r} is not a valid mode name; use a word such as"
                " 'development', 'production' or 'staging' (it selects .env.[mode]).",
            )
        public = c["VITE_PUBLIC_DIR"]
        return cls(
            root=root,
            dev=dev,
            mode=mode,
            base=_base(c["VITE_BASE"]),
            public_dir=None if public in (None, False, "") else _path(public, root, "VITE_PUBLIC_DIR"),
            out_dir=_path(c["VITE_OUT_DIR"], root, "VITE_OUT_DIR"),
            cache_dir=_path(c["VITE_CACHE_DIR"], root, "VITE_CACHE_DIR"),
            allowed_hosts=_str_list(c["VITE_ALLOWED_HOSTS"], "VITE_ALLOWED_HOSTS"),
            debug=_bool(c["VITE_DEBUG"], "VITE_DEBUG", default=False),
            app_type=_choice(c["VITE_APP_TYPE"], "VITE_APP_TYPE", APP_TYPES),
            fs_allow=tuple(_path(p, root, "VITE_FS_ALLOW") for p in _str_list(c["VITE_FS_ALLOW"], "VITE_FS_ALLOW")),
            fs_deny=_str_list(c["VITE_FS_DENY"], "VITE_FS_DENY"),
            cors=_cors(c["VITE_CORS"]),
            optimize_deps_include=_str_list(c["VITE_OPTIMIZE_DEPS_INCLUDE"], "VITE_OPTIMIZE_DEPS_INCLUDE"),
            optimize_deps_exclude=_str_list(c["VITE_OPTIMIZE_DEPS_EXCLUDE"], "VITE_OPTIMIZE_DEPS_EXCLUDE"),
            ssr_timeout=_positive(c["VITE_SSR_TIMEOUT"], "VITE_SSR_TIMEOUT", float),
            ssr_heap_limit_mb=int(_positive(c["VITE_SSR_HEAP_LIMIT_MB"], "VITE_SSR_HEAP_LIMIT_MB", int)),
            ssr_workers=_count(c["VITE_SSR_WORKERS"], "VITE_SSR_WORKERS", minimum=1),
            ssr_max_renders=_count(c["VITE_SSR_MAX_RENDERS"], "VITE_SSR_MAX_RENDERS", minimum=0),
            ssr_queue_timeout=_positive(c["VITE_SSR_QUEUE_TIMEOUT"], "VITE_SSR_QUEUE_TIMEOUT", float),
            ssr_batch=_count(c["VITE_SSR_BATCH"], "VITE_SSR_BATCH", minimum=1),
            ssr_placeholders=_placeholders(c["VITE_SSR_PLACEHOLDERS"]),
            serve_static=_bool(c["VITE_SERVE_STATIC"], "VITE_SERVE_STATIC", default=True),
            asset_url=None if c["VITE_ASSET_URL"] in (None, "") else _base(c["VITE_ASSET_URL"], "VITE_ASSET_URL"),
            ssr_entry=_module_url(c["VITE_SSR_ENTRY"], "VITE_SSR_ENTRY"),
            hmr=_bool(c["VITE_HMR"], "VITE_HMR", default=True),
            hmr_overlay=_bool(c["VITE_HMR_OVERLAY"], "VITE_HMR_OVERLAY", default=True),
            reload_on_python_change=_bool(c["VITE_RELOAD_ON_PYTHON_CHANGE"],
                                          "VITE_RELOAD_ON_PYTHON_CHANGE", default=True),
            build_input=_str_list(c["VITE_BUILD_INPUT"], "VITE_BUILD_INPUT"),
            build_sourcemap=_bool(c["VITE_BUILD_SOURCEMAP"], "VITE_BUILD_SOURCEMAP", default=False),
            build_sri=_bool(c["VITE_BUILD_SRI"], "VITE_BUILD_SRI", default=False),
            prerender=_routes(c["VITE_PRERENDER"], "VITE_PRERENDER"),
            esbuild_binary=(
                None if c["VITE_ESBUILD_BINARY"] is None
                else _path(c["VITE_ESBUILD_BINARY"], root, "VITE_ESBUILD_BINARY")
            ),
        )


def _path(value: t.Any, relative_to: Path, key: str, *, must_exist: bool = False) -> Path:
    if not isinstance(value, (str, Path)) or str(value) == "":
        raise ConfigError(key, f"expected a path, got {value!r}.")
    path = (relative_to / Path(value).expanduser()).resolve()
    if must_exist and not path.is_dir():
        raise ConfigError(
            key,
            f"the folder {path} does not exist. Set {key} to the folder that holds"
            " index.html and package.json (relative to the app's root_path"
            f" {relative_to}).",
        )
    return path


def _bool(value: t.Any, key: str, *, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ConfigError(key, f"expected True or False, got {value!r}.")


def _base(value: t.Any, key: str = "VITE_BASE") -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(key, f"expected a path such as '/' or '/static/', got {value!r}.")
    if re.match(r"^[a-z][a-z0-9+.-]*://", value, re.I) or value.startswith("//"):
        return value if value.endswith("/") else value + "/"
    if value in ("./", "."):
        # Vite's "relative base": only meaningful for builds.
        return "./"
    if not value.startswith("/"):
        raise ConfigError(key, f"{value!r} must start with '/' or be a full URL.")
    return value if value.endswith("/") else value + "/"


def _positive(value: t.Any, key: str, kind: type) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0 or (
            kind is int and not float(value).is_integer()):
        raise ConfigError(key, f"expected a positive {'whole ' if kind is int else ''}number, got {value!r}.")
    return float(value)


def _module_url(value: t.Any, key: str) -> str | None:
    """A module URL relative to the root, as Vite names modules; ``None`` stays."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or any(c in value for c in "\r\n\0"):
        raise ConfigError(key, f"expected a module URL such as '/src/entry-server.ts', got {value!r}.")
    url: str = value.strip()
    return url if url.startswith("/") else "/" + url


def _count(value: t.Any, key: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(key, f"expected a whole number of at least {minimum}, got {value!r}.")
    return value


def _placeholders(value: t.Any) -> tuple[str, str]:
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(isinstance(v, str) and v for v in value) or value[0] == value[1]):
        raise ConfigError("VITE_SSR_PLACEHOLDERS",
                          "expected two different markers (head, html) such as"
                          f" ('<!--app-head-->', '<!--app-html-->'), got {value!r}.")
    return (value[0], value[1])


def _choice(value: t.Any, key: str, choices: t.Sequence[str]) -> str:
    if value not in choices:
        raise ConfigError(key, f"expected one of {', '.join(map(repr, choices))}, got {value!r}.")
    return t.cast(str, value)


def _cors(value: t.Any) -> bool | tuple[str, ...] | None:
    if value is None or isinstance(value, bool):
        return value
    return _str_list(value, "VITE_CORS")


def _routes(value: t.Any, key: str) -> tuple[str, ...]:
    try:
        return check_routes(_str_list(value, key))
    except ValueError as e:
        raise ConfigError(key, f"{e}.") from None


def _str_list(value: t.Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, (list, tuple, set, frozenset)) or not all(
        isinstance(v, str) for v in value
    ):
        raise ConfigError(key, f"expected a list of strings, got {value!r}.")
    return tuple(value)
