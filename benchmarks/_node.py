"""Node, for the reference side of the benchmarks.

* :data:`VITE_IN_EXPRESS_MJS` -- Vite's dev server in middleware mode inside
  a small Express server (``server.mjs``), with :data:`EXPRESS_SPEC`
  installed next to the app by :func:`npm_install`;
* :data:`LOOPBACK_MJS` -- a ``node --import`` preload that binds a server
  which names no host to 127.0.0.1 (the SSR template's ``server.js``);
* :func:`node_version`, :func:`package_versions` -- for the versions line.
"""
from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import typing as t
from pathlib import Path

from benchmarks._procs import run

EXPRESS_SPEC = "express@5"

#: ``node server.mjs PORT``; ``BENCH_PLAIN=1``: without the app's
#: ``vite.config.ts`` (no plugins).
VITE_IN_EXPRESS_MJS = """\
// Vite in middleware mode inside a tiny Express server (the reference side).
// BENCH_PLAIN=1: without the app's vite.config.ts (no plugins).
import http from 'node:http'
import express from 'express'
import { createServer } from 'vite'

const port = Number(process.argv[2])
const app = express()
const server = http.createServer(app)
const vite = await createServer({
  ...(process.env.BENCH_PLAIN === '1' ? { configFile: false } : {}),
  server: { middlewareMode: true, hmr: { server } },
  appType: 'spa',
})
app.use(vite.middlewares)
server.listen(port, '127.0.0.1', () => console.log(`listening on ${port}`))
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, async () => { await vite.close(); process.exit(0) })
}
"""

#: ``node --import ./bench-loopback.mjs``: bind servers that name no host to
#: 127.0.0.1 (the SSR template's server.js calls ``app.listen(port)``, every
#: interface), the app's own files unchanged.
LOOPBACK_MJS = """\
// Added by the benchmark: listen() without a host binds 127.0.0.1 only.
import net from 'node:net'

const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  const [first, second] = args
  if (typeof first === 'object' && first !== null && !('path' in first) && !('fd' in first)
      && !('handle' in first) && !first.host) {
    args[0] = { ...first, host: '127.0.0.1' }
  } else if ((typeof first === 'number' || (typeof first === 'string' && /^\\d+$/.test(first)))
             && typeof second !== 'string') {
    args.splice(1, 0, '127.0.0.1')
  }
  return listen.apply(this, args)
}
"""


def find_node() -> str:
    """The system's ``node``."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is needed for the reference side: install Node.js, or leave that"
                           " side out (--sides / --rows)")
    return node


def npm_install(root: Path, *, express: bool = False) -> str:
    """``npm install`` in ``root`` with the system's npm, and with ``express``
    :data:`EXPRESS_SPEC` too (``--no-save``: the app's ``package.json`` stays
    as it is); what ran, for the log."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed for the reference side: install Node.js and npm, or leave"
                           " that side out (--sides / --rows)")
    flags = ["--no-audit", "--no-fund", "--loglevel=error"]
    run([npm, "install", *flags], root)
    if not express:
        return "npm install"
    run([npm, "install", "--no-save", *flags, EXPRESS_SPEC], root)
    return f"npm install; npm install --no-save {EXPRESS_SPEC}"


def node_version() -> str | None:
    """``node --version`` (``v20.11.1``), or ``None`` without a ``node``."""
    node = shutil.which("node")
    if node is None:
        return None
    return subprocess.run([node, "--version"], capture_output=True, text=True,
                          check=False).stdout.strip()


def package_version(root: Path, package: str) -> str | None:
    """The version of ``package`` in ``root/node_modules``, or ``None`` if it is not there."""
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        return str(json.loads((root / "node_modules" / package / "package.json").read_text())["version"])
    return None


def package_versions(root: Path, packages: t.Iterable[str]) -> list[str]:
    """``"<package> <version>"`` of each of ``packages`` installed in ``root``."""
    found = ((package, package_version(root, package)) for package in packages)
    return [f"{package} {version}" for package, version in found if version is not None]
