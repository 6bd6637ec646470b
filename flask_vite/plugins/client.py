"""``vite:client``: serves the client runtime at ``/@vite/client`` and ``/@vite/env``.

The runtime is ``flask_vite/client/client.js`` with the error overlay
(``overlay.js``) put in place of its import, so the page loads it in one
request; the server fills in its settings (Vite's ``vite:client-inject``):

==========================  ===================================================
``__BASE__``                the dev base path (``VITE_BASE``)
``__HMR_TOKEN__``           the HMR channel's token (:attr:`HotChannel.token`)
``__HMR_TIMEOUT__``         milliseconds between keep-alive pings on the socket
``__HMR_ENABLE_OVERLAY__``  ``VITE_HMR_OVERLAY``
``__DEFINES__``             (``/@vite/env``) the ``define`` values
==========================  ===================================================
"""
from __future__ import annotations

import json
import re
import typing as t
from pathlib import Path

from ..plugin import LoadReturn, Plugin, PluginContext, ResolveIdReturn, ResolveOptions
from ..server.urls import CLIENT_PUBLIC_PATH, ENV_PUBLIC_PATH

CLIENT_DIR = Path(__file__).resolve().parent.parent / "client"
CLIENT_ENTRY = (CLIENT_DIR / "client.js").as_posix()
OVERLAY_ENTRY = (CLIENT_DIR / "overlay.js").as_posix()
ENV_ENTRY = (CLIENT_DIR / "env.js").as_posix()
#: Served URL of each runtime file: import analysis writes these, not /@fs/ paths.
PUBLIC_URLS = {CLIENT_ENTRY: CLIENT_PUBLIC_PATH, ENV_ENTRY: ENV_PUBLIC_PATH}
#: Keep-alive ping interval of the client's WebSocket (Vite's ``server.ws.timeout``).
HMR_TIMEOUT_MS = 30_000

_EXPORT_RE = re.compile(r"^export (?=(?:const|let|class|function) )", re.M)
_OVERLAY_IMPORT_RE = re.compile(r"^import\s*\{[^}]*\}\s*from\s*['\"]\./overlay\.js['\"];?[ \t]*$", re.M)


def client_source(*, base: str, token: str, overlay: bool = True,
                  timeout_ms: int = HMR_TIMEOUT_MS) -> str:
    """The code served at ``/@vite/client``."""
    client = Path(CLIENT_ENTRY).read_text("utf-8")
    # One module instead of two requests: the overlay's top-level
    # declarations lose their `export` and become the client's own, under the
    # names the client imports (and re-exports) them by.
    overlay_code = _EXPORT_RE.sub("", Path(OVERLAY_ENTRY).read_text("utf-8"))
    client, count = _OVERLAY_IMPORT_RE.subn(lambda _: overlay_code, client, count=1)
    if count != 1:
        raise RuntimeError(f"{CLIENT_ENTRY} must import from './overlay.js'")
    values = {
        "__BASE__": json.dumps(base),
        "__HMR_TOKEN__": json.dumps(token),
        "__HMR_TIMEOUT__": json.dumps(timeout_ms),
        "__HMR_ENABLE_OVERLAY__": json.dumps(overlay),
    }
    return re.sub("|".join(values), lambda m: values[m.group(0)], client)


class ClientPlugin(Plugin):
    name = "vite:client"
    enforce = "pre"

    def __init__(self, defines: dict[str, object] | None = None) -> None:
        self.defines = dict(defines or {})
        self._server: t.Any = None

    def configure_server(self, server: t.Any) -> None:
        self._server = server

    def resolve_id(self, ctx: PluginContext, source: str, importer: str | None,
                   options: ResolveOptions) -> ResolveIdReturn:
        if source == CLIENT_PUBLIC_PATH:
            return CLIENT_ENTRY
        if source == ENV_PUBLIC_PATH:
            return ENV_ENTRY
        return None

    def load(self, ctx: PluginContext, id: str) -> LoadReturn:
        if id == CLIENT_ENTRY:
            channel = getattr(self._server, "hot", None)
            base = ctx.config.base
            return client_source(
                # As import analysis writes module URLs: a full-URL base (a CDN
                # for the build) is not used in dev.
                base=base if base.startswith("/") else "/",
                # No channel (a server without HMR): the client's connection is refused.
                token=getattr(channel, "token", ""),
                overlay=ctx.config.hmr_overlay,
            )
        if id == ENV_ENTRY:
            return Path(id).read_text("utf-8").replace("__DEFINES__", json.dumps(self.defines))
        return None
