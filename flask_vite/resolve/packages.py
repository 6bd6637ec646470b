"""``package.json`` files: reading, caching, and finding them (Vite's ``packages.ts``).

:class:`PackageCache` keeps each parsed ``package.json`` keyed by its path,
and checks the file's modification time and size on every use, so an edited
``package.json`` (a new ``exports`` entry, a reinstalled dependency) is seen
on the next resolution without a restart.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import posixpath
import re
import stat
import threading
import typing as t

logger = logging.getLogger("flask_vite.resolve")

#: Node's ``require('module').builtinModules`` (Node 22), without the
#: ``node:``-only ones (``node:test``, ``node:sqlite`` …), which are matched by
#: their prefix. ``fs/promises`` and friends are separate entries, as in Node.
NODE_BUILTINS: frozenset[str] = frozenset("""
_http_agent _http_client _http_common _http_incoming _http_outgoing _http_server
_stream_duplex _stream_passthrough _stream_readable _stream_transform _stream_wrap
_stream_writable _tls_common _tls_wrap assert assert/strict async_hooks buffer
child_process cluster console constants crypto dgram diagnostics_channel dns
dns/promises domain events fs fs/promises http http2 https inspector
inspector/promises module net os path path/posix path/win32 perf_hooks process
punycode querystring readline readline/promises repl stream stream/consumers
stream/promises stream/web string_decoder sys timers timers/promises tls
trace_events tty url util util/types v8 vm wasi worker_threads zlib
""".split())


def is_node_builtin(specifier: str) -> bool:
    """Whether ``specifier`` names a Node built-in (``fs``, ``node:fs``, ``fs/promises``).

    Like Vite's ``isNodeLikeBuiltin``, ``bun:`` modules count too: neither can
    run in a browser or in the SSR isolate.
    """
    return specifier.startswith(("node:", "bun:")) or specifier in NODE_BUILTINS


_POSTFIX_RE = re.compile(r"[?#].*$", re.S)


def split_postfix(id: str) -> tuple[str, str]:
    """``"/a.svg?raw#x"`` → ``("/a.svg", "?raw#x")`` (Vite's ``splitFileAndPostfix``)."""
    m = _POSTFIX_RE.search(id)
    return (id[:m.start()], m.group()) if m else (id, "")


def to_posix(path: str) -> str:
    """``path`` with ``/`` separators: ids are posix strings on every platform."""
    return path.replace("\\", "/") if os.sep == "\\" else path


def in_node_modules(path: str) -> bool:
    """Whether ``path`` lies in a ``node_modules`` folder (an installed dependency)."""
    return "/node_modules/" in to_posix(path)


@dataclasses.dataclass(frozen=True)
class PackageData:
    """One parsed ``package.json``."""

    #: The folder holding the ``package.json``, posix, symlinks resolved
    #: unless ``preserve_symlinks`` was asked for.
    dir: str
    #: The parsed file. Treat as read-only: it is shared.
    data: t.Mapping[str, t.Any] = dataclasses.field(repr=False)

    @property
    def path(self) -> str:
        """The ``package.json`` file itself."""
        return self.dir + "/package.json"

    @property
    def name(self) -> str | None:
        value = self.data.get("name")
        return value if isinstance(value, str) else None

    @property
    def version(self) -> str | None:
        value = self.data.get("version")
        return value if isinstance(value, str) else None

    @property
    def exports(self) -> t.Any:
        """The ``exports`` field, ``None`` when absent."""
        return self.data.get("exports")

    @property
    def imports(self) -> t.Any:
        return self.data.get("imports")

    @property
    def browser_map(self) -> t.Mapping[str, t.Any] | None:
        """The object form of the ``browser`` field, ``None`` when absent or a string."""
        value = self.data.get("browser")
        return value if isinstance(value, dict) else None


#: How many folders :class:`PackageCache` remembers things about.
_REAL_DIRS_LIMIT = 20_000


class PackageCache:
    """Parsed ``package.json`` files, re-read when their mtime or size changes.

    Thread-safe: the dev server resolves from several request threads.
    """

    def __init__(self) -> None:
        self._files: dict[str, tuple[tuple[int, int], PackageData | None]] = {}
        self._real_dirs: dict[str, str] = {}
        self._nearest: dict[str, str] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Forget everything (after a reinstall, say)."""
        with self._lock:
            self._files.clear()
            self._real_dirs.clear()
            self._nearest.clear()

    def real_path(self, path: str) -> str:
        """``os.path.realpath(path)``, with the real path of its folder kept.

        Python's realpath looks at every component of the path (about 45 µs
        for a file deep in an app); resolving a page's imports asks for
        thousands. Folders are taken to stay what they are while the server
        runs, as Vite's resolver caches do; the file itself is looked at each
        time, so a file that is (or becomes) a symlink is followed.
        """
        parent, name = os.path.split(path)
        try:
            is_link = stat.S_ISLNK(os.lstat(path).st_mode)
        except (OSError, ValueError):
            return os.path.realpath(path)
        if is_link or name in ("", ".", "..") or not os.path.isabs(path):
            return os.path.realpath(path)
        real_parent = self._real_dirs.get(parent)
        if real_parent is None:
            real_parent = os.path.realpath(parent)
            with self._lock:
                if len(self._real_dirs) >= _REAL_DIRS_LIMIT:
                    self._real_dirs.clear()
                self._real_dirs[parent] = real_parent
        return os.path.join(real_parent, name)

    def load(self, path: str) -> PackageData | None:
        """The ``package.json`` at ``path``; ``None`` if missing or unreadable.

        A malformed file is logged once and skipped, as Vite does, so one
        broken dependency does not stop every other import from resolving.
        """
        try:
            st = os.stat(path)
        except OSError:
            return None
        key = (st.st_mtime_ns, st.st_size)
        hit = self._files.get(path)
        if hit is not None and hit[0] == key:
            return hit[1]
        pkg: PackageData | None = None
        try:
            with open(path, encoding="utf-8-sig") as f:
                data = json.load(f)
        except (OSError, ValueError) as e:
            logger.warning("skipping %s: it is not valid JSON (%s)", path, e)
        else:
            if isinstance(data, dict):
                pkg = PackageData(dir=to_posix(os.path.dirname(path)), data=data)
            else:
                logger.warning("skipping %s: it does not hold a JSON object", path)
        with self._lock:
            self._files[path] = (key, pkg)
        return pkg

    def nearest(self, basedir: str) -> PackageData | None:
        """The ``package.json`` in ``basedir`` or its closest ancestor.

        Which folder holds it is remembered per ``basedir`` (each import asks,
        and the walk up costs a ``stat`` per folder); the file itself is
        re-read when it changes, and looked for again when it is gone.
        """
        known = self._nearest.get(basedir)
        if known is not None:
            pkg = self.load(known)
            if pkg is not None:
                return pkg
        for d in _ancestors(basedir):
            path = os.path.join(d, "package.json")
            pkg = self.load(path)
            if pkg is not None:
                with self._lock:
                    if len(self._nearest) >= _REAL_DIRS_LIMIT:
                        self._nearest.clear()
                    self._nearest[basedir] = path
                return pkg
        return None

    def nearest_main(self, basedir: str) -> PackageData | None:
        """The closest ``package.json`` that has a ``name``.

        Nested ``package.json`` files holding only ``{"type": "module"}`` (as
        in ``dist/esm/``) are skipped: they do not start a package.
        """
        for d in _ancestors(basedir):
            pkg = self.load(os.path.join(d, "package.json"))
            if pkg is not None and pkg.name:
                return pkg
        return None

    def find(self, name: str, basedir: str, *,
             preserve_symlinks: bool = False) -> PackageData | None:
        """Node's ``node_modules`` lookup: ``<dir>/node_modules/<name>`` from ``basedir`` up.

        With ``preserve_symlinks`` false (Vite's default) the package folder is
        the real one, so a pnpm-style ``node_modules/.pnpm/…`` package finds
        its own dependencies next to it.
        """
        for d in _ancestors(basedir):
            if os.path.basename(d) == "node_modules":
                # Node never looks in node_modules/node_modules.
                continue
            candidate = os.path.join(d, "node_modules", name, "package.json")
            if not os.path.isfile(candidate):
                continue
            path = candidate if preserve_symlinks else self.real_path(candidate)
            pkg = self.load(path)
            if pkg is not None:
                return pkg
        return None


def _ancestors(basedir: str) -> t.Iterator[str]:
    d = os.path.abspath(basedir)
    while True:
        yield d
        parent = os.path.dirname(d)
        if parent == d:
            return
        d = parent


def map_with_browser_field(
    relative: str, browser: t.Mapping[str, t.Any]
) -> str | t.Literal[False] | None:
    """Look ``relative`` (``./lib/node.js`` or a bare name) up in a ``browser`` object.

    Follows https://github.com/defunctzombie/package-browser-field-spec as Vite
    does: keys and the path are normalised, and a key may omit ``.js`` or
    ``/index.js`` relative to the request. Returns the replacement, ``False``
    for "replace with an empty module", or ``None`` when the map has no entry.
    """
    wanted = posixpath.normpath(relative)
    for key, value in browser.items():
        k = posixpath.normpath(key)
        if (wanted == k
                or (k.endswith(".js") and k[:-3] == wanted)
                or (k.endswith("/index.js") and k[:-9] == wanted)):
            if value is False:
                return False
            return value if isinstance(value, str) else None
    return None
