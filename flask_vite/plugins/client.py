"""``vite:client``: serves the client runtime at ``/@vite/client`` and ``/@vite/env``."""
from __future__ import annotations

import json
from pathlib import Path

from ..plugin import LoadReturn, Plugin, PluginContext, ResolveIdReturn, ResolveOptions
from ..server.urls import CLIENT_PUBLIC_PATH, ENV_PUBLIC_PATH

CLIENT_DIR = Path(__file__).resolve().parent.parent / "client"
CLIENT_ENTRY = (CLIENT_DIR / "client.js").as_posix()
ENV_ENTRY = (CLIENT_DIR / "env.js").as_posix()
#: Served URL of each runtime file: import analysis writes these, not /@fs/ paths.
PUBLIC_URLS = {CLIENT_ENTRY: CLIENT_PUBLIC_PATH, ENV_ENTRY: ENV_PUBLIC_PATH}


class ClientPlugin(Plugin):
    name = "vite:client"
    enforce = "pre"

    def __init__(self, defines: dict[str, object] | None = None) -> None:
        self.defines = dict(defines or {})

    def resolve_id(self, ctx: PluginContext, source: str, importer: str | None,
                   options: ResolveOptions) -> ResolveIdReturn:
        if source == CLIENT_PUBLIC_PATH:
            return CLIENT_ENTRY
        if source == ENV_PUBLIC_PATH:
            return ENV_ENTRY
        return None

    def load(self, ctx: PluginContext, id: str) -> LoadReturn:
        if id == CLIENT_ENTRY:
            code = Path(id).read_text("utf-8")
            return code.replace("__BASE__", json.dumps(ctx.config.base))
        if id == ENV_ENTRY:
            return Path(id).read_text("utf-8").replace("__DEFINES__", json.dumps(self.defines))
        return None
