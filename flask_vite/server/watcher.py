"""The dev server's file watcher (Vite's chokidar watcher), on watchfiles.

What is watched:

* the Vite root, except ``node_modules``, ``.git``, the out dir and the
  optimizer's cache dir — edits, new and deleted files go through
  :func:`flask_vite.server.hot_update.handle_file_change`; the mode's ``.env``
  files restart the environments;
* the Flask app's Python files (under ``app.root_path``) and its Jinja
  template folders: a change reloads the open pages
  (``VITE_RELOAD_ON_PYTHON_CHANGE``). Flask's reloader restarts the server
  for Python changes, but nothing tells the browser; templates are re-read
  without any restart.

Folders are listed by a walk that skips ignored ones, and each is watched
on its own (not recursively): a recursive watch would also put an inotify
watch on every folder of ``node_modules`` or of a virtualenv next to
``app.py``, which easily runs into the system's limit. New folders are
picked up as they appear (their files count as created).

On Linux the thread sleeps on inotify (:mod:`flask_vite.server.inotify`)
until the kernel reports a change: an edit reaches the browsers about a
millisecond after the save, and an idle server never wakes up. Elsewhere,
or with ``WATCHFILES_FORCE_POLLING``, watchfiles' ``RustNotify`` is used;
it hands over its events only when polled (every :data:`STEP_MS`).

The watcher starts with the first request (see :mod:`flask_vite.server.chain`),
in a thread; under gevent, each wait for changes runs in gevent's native
thread pool, so the hub is never blocked. :meth:`FileWatcher.close` stops it.
"""
from __future__ import annotations

import logging
import os
import sys
import threading
import time
import typing as t
from pathlib import Path

from . import inotify
from .inotify import ADDED, LOST

if t.TYPE_CHECKING:
    from flask import Flask

    from .dev_server import DevServer

logger = logging.getLogger("flask_vite.hmr")

#: Folder names never watched.
IGNORED_DIRS = frozenset({
    "node_modules", ".git", ".hg", ".svn", "__pycache__", ".mypy_cache", ".pytest_cache",
    ".ruff_cache", ".tox", ".nox", ".venv", "venv", ".idea", ".vscode", ".cache",
})
# Editors' temporary and backup files: never a module, never worth a reload.
_IGNORED_SUFFIXES = ("~", ".swp", ".swx", ".swo", ".tmp", ".pyc", ".pyo", ".DS_Store")
_IGNORED_PREFIXES = (".#", "flycheck_", "#")

#: With watchfiles (not on Linux): milliseconds between looks at the events
#: collected by its native thread; a change is reported once a look finds no
#: new events since the previous one (1–2 steps after the write), at the
#: latest after :data:`DEBOUNCE_MS`. watchfiles can only poll its event list:
#: a short step keeps an edit's round trip short, for under 1% of a core
#: while idle.
STEP_MS = 2
#: Longest wait for a save's events to end before they are reported.
DEBOUNCE_MS = 200
#: Longest a request waits in :meth:`FileWatcher.settle` for a save to be handled.
SETTLE_SECONDS = 0.05
#: Most folders watched for Python and template changes (the Vite root has no limit).
MAX_APP_DIRS = 2000


class FileWatcher:
    """Watches the Vite root and the Flask app's sources for one dev server."""

    def __init__(self, server: DevServer, app: Flask) -> None:
        self.server = server
        self._app = app
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = _StopFlag()
        self._ready = threading.Event()
        self._dirs: set[str] = set()
        # Folders outside the watched ones that modules came from (watch_files),
        # added to the watch by the thread.
        self._pending: set[str] = set()
        # Files under the root are watched already (watch_files skips them).
        self._root_prefix = os.path.realpath(server.config.root) + "/"
        # The watch in use: close() wakes an inotify wait.
        self._notify: t.Any = None
        #: How many of :attr:`_notify`'s batches went through the dev server,
        #: and whether one is going through now.
        self._handled = 0
        self._handling = False
        self._settled = threading.Condition()

    # -- life cycle --------------------------------------------------------------------
    def start(self) -> None:
        """Start watching, once; later calls do nothing (cheap: it runs on every request)."""
        if self._thread is not None or self._stop.stopped:
            return
        with self._lock:
            if self._thread is not None or self._stop.stopped:
                return
            try:
                if not inotify.available():
                    import watchfiles  # noqa: F401
            except ImportError:
                logger.warning("watchfiles is not installed: edited files are not picked up"
                               " and pages are not hot-updated. pip install watchfiles")
                self._stop.stopped = True
                return
            self._thread = threading.Thread(target=self._run, name="flask-vite-watcher",
                                            daemon=True)
            self._thread.start()

    def settle(self, timeout: float = SETTLE_SECONDS) -> None:
        """Wait (at most ``timeout``) until the changes made so far have gone
        through the dev server, so that a request right after a save gets the
        saved code, as Vite's event loop takes the watcher's event first.
        With watchfiles (not on Linux) there is nothing to wait for."""
        deadline = time.monotonic() + timeout
        with self._settled:
            while True:
                notify = self._notify
                if notify is None or not hasattr(notify, "unsettled"):
                    return
                if not (self._handling or notify.unsettled() or notify.returned != self._handled):
                    return
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._settled.wait(min(left, 0.002))

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until the first watch is set up (a change made before that may be missed)."""
        return self._ready.wait(timeout)

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def close(self, timeout: float = 5.0) -> None:
        """Stop watching and wait for the thread."""
        with self._lock:
            self._stop.stopped = True
            thread = self._thread
            notify = self._notify
        wake = getattr(notify, "wake", None)
        if wake is not None:
            wake()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    # -- what to watch -------------------------------------------------------------------
    def watch_files(self, files: t.Iterable[str]) -> None:
        """Watch the folders of ``files`` too, when they lie outside the
        watched folders (Vite's ``ensureWatchedFile``): a module loaded through
        an alias or ``/@fs/`` from a sibling folder, a linked package, a file
        a plugin read (``add_watch_file``). Files under the root and in
        ``node_modules`` are left as they are. Cheap for those: it runs for
        every module loaded."""
        new: set[str] = set()
        root = self._root_prefix
        for file in files:
            if file.startswith(root) or "\0" in file or "/node_modules/" in file:
                continue
            folder = os.path.dirname(os.path.realpath(file))
            if folder in self._dirs or folder in self._pending or folder + "/" == root \
                    or _ignored_dir(folder, self._ignored_paths()) or not os.path.isdir(folder):
                continue
            new.add(folder)
        if not new:
            return
        with self._lock:
            self._pending |= new
            self._stop.wake_requested = True
            notify = self._notify
        wake = getattr(notify, "wake", None)
        if wake is not None:
            wake()

    def roots(self) -> list[Path]:
        """The folders watched with their subfolders."""
        config = self.server.config
        roots = [config.root]
        if config.reload_on_python_change:
            roots += [Path(self._app.root_path), *template_folders(self._app)]
        return [Path(os.path.realpath(r)) for r in roots if os.path.isdir(r)]

    def _ignored_paths(self) -> set[str]:
        config = self.server.config
        return {os.path.realpath(config.out_dir), os.path.realpath(config.cache_dir)}

    def _walk(self, roots: t.Iterable[str | Path], limit: int | None = None) -> set[str]:
        return list_dirs(roots, self._ignored_paths(), limit=limit)

    def _initial_dirs(self) -> set[str]:
        config = self.server.config
        dirs = self._walk([config.root])
        others = [r for r in self.roots() if r != Path(os.path.realpath(config.root))]
        if others:
            # The app's folder may hold much more than code (a home folder,
            # data): past a limit, its deeper folders are left unwatched.
            found = self._walk(others, limit=MAX_APP_DIRS)
            if len(found) >= MAX_APP_DIRS:
                logger.warning(
                    "%s holds more than %d folders: Python and template changes below"
                    " the first %d are not watched. Set VITE_RELOAD_ON_PYTHON_CHANGE = False"
                    " to watch the Vite root only.", self._app.root_path, MAX_APP_DIRS,
                    MAX_APP_DIRS)
            dirs |= found
        return dirs

    # -- the loop ------------------------------------------------------------------------
    def _run(self) -> None:
        notify: t.Any = None
        try:
            self._dirs = self._initial_dirs()
            notify = self._open()
            self._ready.set()
            while not self._stop.stopped:
                changes = _blocking(notify.watch, DEBOUNCE_MS, STEP_MS, 0, self._stop)
                if self._pending and not self._stop.stopped:
                    notify = self._add_pending(notify)
                if not isinstance(changes, set):
                    continue  # "stop" (the loop ends, or folders were added) or "signal"
                self._handling = True
                try:
                    events, new_dirs, rebuild = self._sort(changes)
                    if rebuild and not self._stop.stopped:
                        # The new watch opens before the old one closes, and
                        # before the new folders are listed: a file written
                        # meanwhile is listed, or seen by the new watch.
                        fresh = self._open()
                        notify.close()
                        notify = fresh
                        events += self._files_in(new_dirs)
                    self._handle(events)
                except Exception:  # one bad event must not stop the watching
                    logger.exception("handling file changes failed: %s", sorted(changes))
                finally:
                    with self._settled:  # every batch returned so far is handled
                        self._handled = getattr(notify, "returned", 0)
                        self._handling = False
                        self._settled.notify_all()
        except Exception:
            logger.exception("the file watcher stopped")
        finally:
            self._ready.set()
            with self._lock:
                self._notify = None
            if notify is not None:
                notify.close()

    def _add_pending(self, notify: t.Any) -> t.Any:
        """A watch of :attr:`_dirs` with the folders :meth:`watch_files` added."""
        with self._lock:
            added, self._pending = self._pending, set()
            self._stop.wake_requested = False
        self._dirs |= added
        logger.debug("watching %s too", ", ".join(sorted(added)))
        fresh = self._open()
        notify.close()
        return fresh

    def _open(self) -> t.Any:
        """A watch of :attr:`_dirs`: inotify where it works, else watchfiles."""
        force_polling = os.environ.get("WATCHFILES_FORCE_POLLING", "").lower() in ("1", "true", "yes")
        notify = None
        if not force_polling and inotify.available():
            try:
                notify = inotify.InotifyWatch(sorted(self._dirs), poll=_poll_function())
            except OSError as e:
                logger.warning("inotify failed (%s): watching with watchfiles instead", e)
        if notify is None:
            notify = self._open_watchfiles(force_polling)
        with self._lock, self._settled:
            self._notify = notify
            self._handled = 0  # of its batches
            if self._stop.stopped:
                wake = getattr(notify, "wake", None)
                if wake is not None:
                    wake()  # close() came while this watch was being made
        return notify

    def _open_watchfiles(self, force_polling: bool) -> t.Any:
        from watchfiles._rust_notify import RustNotify as rust_notify

        for _attempt in range(5):
            dirs = sorted(d for d in self._dirs if os.path.isdir(d))
            try:
                return rust_notify(dirs, False, force_polling, 300, False, True)
            except FileNotFoundError:  # a folder went away while we listed them
                self._dirs = {d for d in self._dirs if os.path.isdir(d)}
        return rust_notify(sorted(d for d in self._dirs if os.path.isdir(d)), False, force_polling,
                           300, False, True)

    def _sort(self, raw: set[tuple[int, str]]) -> tuple[list[tuple[t.Any, str]], set[str], bool]:
        """One batch of changes as file events, the new folders, and whether
        the watched folders changed."""
        by_path: dict[str, set[int]] = {}
        for change, path in raw:
            by_path.setdefault(path, set()).add(change)
        rebuild = False
        new_dirs: set[str] = set()
        events: list[tuple[t.Any, str]] = []
        if by_path.pop("", None) is not None:
            # Changes were lost: folders may have come or gone unseen. They
            # are listed again; what changed in them is no longer known.
            fresh = self._initial_dirs()
            new_dirs |= fresh - self._dirs
            self._dirs = {d for d in self._dirs if os.path.isdir(d)} | fresh
            rebuild = True
            events.append((LOST, ""))
        for path in sorted(by_path):
            kinds = by_path[path]
            if path in self._dirs and not os.path.isdir(path):
                self._dirs = {d for d in self._dirs if d != path and not d.startswith(path + "/")}
                rebuild = True
                continue
            if os.path.isdir(path):
                if path not in self._dirs and not _ignored_dir(path, self._ignored_paths()):
                    new = self._walk([path])
                    self._dirs |= new
                    new_dirs |= new
                    rebuild = True
                continue
            if ignored_file(path):
                continue
            posix = Path(path).as_posix()
            if not os.path.exists(path):
                events.append(("delete", posix))
            elif ADDED in kinds and not self._has_modules(posix):
                events.append(("create", posix))
            else:
                # Editors that save by renaming a new file over the old one
                # make an "added" event for a file the graph already knows.
                events.append(("update", posix))
        return events, new_dirs, rebuild

    @staticmethod
    def _files_in(folders: t.Iterable[str]) -> list[tuple[t.Any, str]]:
        """Files written into new folders before their watch existed: created."""
        events: list[tuple[t.Any, str]] = []
        for folder in sorted(folders):
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError:  # gone again
                continue
            events += [("create", Path(e.path).as_posix()) for e in entries
                       if e.is_file() and not ignored_file(e.path)]
        return events

    def _has_modules(self, file: str) -> bool:
        client = self.server.environments.get("client")
        return client is not None and bool(client.module_graph.get_modules_by_file(file))

    def _handle(self, events: list[tuple[t.Any, str]]) -> None:
        from . import hot_update

        server = self.server
        config = server.config
        reload_for: str | None = None
        templates = [Path(os.path.realpath(p)).as_posix().rstrip("/") + "/"
                     for p in template_folders(self._app)]
        # Only worked out for Python files: it looks at every loaded module.
        restarting = _restarted_by_reloader() if any(f.endswith(".py") for _, f in events) \
            else set()
        for change, file in events:
            if change == LOST:
                hot_update.handle_lost_changes(server)
                return
            if config.reload_on_python_change:
                if any(file.startswith(folder) for folder in templates):
                    reload_for = reload_for or file
                    continue
                if file.endswith(".py"):
                    if file in restarting:
                        # werkzeug's reloader restarts the process for this file:
                        # the pages see their connection drop and reload once the
                        # new server answers. A reload now would reach the old one.
                        logger.debug("%s: left to the reloader", file)
                    else:
                        reload_for = reload_for or file
                    continue
            elif file.endswith(".py"):
                continue
            hot_update.handle_file_change(server, change, file)
        if reload_for is not None:
            hot_update.reload_pages(server, reload_for)


def template_folders(app: Flask) -> list[Path]:
    """The Jinja template folders of the app and of its blueprints."""
    folders: list[Path] = []
    if app.template_folder:
        folders.append(Path(app.root_path, app.template_folder))
    for blueprint in app.iter_blueprints():
        if blueprint.template_folder:
            folders.append(Path(blueprint.root_path, blueprint.template_folder))
    return [f for f in folders if f.is_dir()]


def list_dirs(roots: t.Iterable[str | Path], ignored_paths: t.AbstractSet[str] = frozenset(),
              *, limit: int | None = None) -> set[str]:
    """Every folder under ``roots`` (real paths), skipping :data:`IGNORED_DIRS`,
    ``ignored_paths`` and virtualenvs (folders holding ``pyvenv.cfg``);
    at most ``limit`` of them (a folder before its subfolders)."""
    found: set[str] = set()
    for root in roots:
        root = os.path.realpath(root)
        if not os.path.isdir(root) or _ignored_dir(root, ignored_paths):
            continue
        for folder, subdirs, _files in os.walk(root):
            if folder in found:
                subdirs[:] = []
                continue
            if limit is not None and len(found) >= limit:
                return found
            found.add(folder)
            subdirs[:] = [d for d in subdirs
                          if not _ignored_dir(os.path.join(folder, d), ignored_paths)
                          and not os.path.islink(os.path.join(folder, d))]
    return found


def _ignored_dir(path: str, ignored_paths: t.AbstractSet[str]) -> bool:
    return (os.path.basename(path) in IGNORED_DIRS or path in ignored_paths
            or os.path.exists(os.path.join(path, "pyvenv.cfg")))


def ignored_file(path: str) -> bool:
    """Editor swap and backup files, compiled Python."""
    name = os.path.basename(path)
    return name.endswith(_IGNORED_SUFFIXES) or name.startswith(_IGNORED_PREFIXES)


def _restarted_by_reloader() -> set[str]:
    """Python files werkzeug's reloader restarts the server for (empty without it)."""
    if os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        return set()
    files: set[str] = set()
    for module in list(sys.modules.values()):
        name = getattr(module, "__file__", None)
        if isinstance(name, str) and name.endswith(".py"):
            files.add(Path(os.path.realpath(name)).as_posix())
    return files


class _StopFlag:
    """The ``stop_event`` of ``RustNotify.watch``: read from a native thread under
    gevent, where a gevent ``Event`` must not be touched, so a plain flag."""

    def __init__(self) -> None:
        self.stopped = False
        #: Set to end a wait early without stopping (folders to add).
        self.wake_requested = False

    def is_set(self) -> bool:
        return self.stopped or self.wake_requested


def _blocking(fn: t.Callable[..., t.Any], *args: t.Any) -> t.Any:
    """Call ``fn`` (which blocks in native code); under gevent in a native thread,
    so other greenlets run meanwhile."""
    if _gevent_patched():
        import gevent  # type: ignore[import-untyped]

        return gevent.get_hub().threadpool.apply(fn, args)
    return fn(*args)


def _poll_function() -> t.Callable[[], t.Any]:
    """``select.poll``; under gevent the original one (the inotify wait runs
    in a native thread, where gevent's cooperative versions must not be used)."""
    if _gevent_patched():
        from gevent import monkey

        return t.cast(t.Callable[[], t.Any], monkey.get_original("select", "poll"))
    import select

    return select.poll


def _gevent_patched() -> bool:
    if "gevent" not in sys.modules:
        return False
    from gevent import monkey

    return bool(monkey.is_module_patched("threading"))
