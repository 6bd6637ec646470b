"""Linux inotify for the file watcher: woken by the kernel, never polling.

watchfiles' ``RustNotify`` also reads inotify (in a native thread), but
hands its events to Python only by polling: ``watch()`` takes the GIL every
``step_ms`` to look at them. A short step keeps an edit's round trip short
and costs a wake-up (and a GIL hand-over) every few milliseconds for as long
as the server runs, also under load; a long step makes every hot update
wait. Here the watcher thread sleeps in ``poll()`` on the inotify file
descriptor (the GIL released) until something changes, as Vite's chokidar
(``fs.watch``) is woken.

:class:`InotifyWatch` has the part of ``RustNotify``'s interface that
:mod:`flask_vite.server.watcher` uses (``watch``, ``close``) and reports the
same ``{(change, path)}`` sets. Elsewhere than on Linux :func:`available`
is false and the watcher keeps watchfiles.
"""
from __future__ import annotations

import ctypes
import errno
import os
import select
import struct
import sys
import threading
import time
import typing as t

#: watchfiles' change codes (``watchfiles.Change``).
ADDED, MODIFIED, DELETED = 1, 2, 3
#: Reported as ``(LOST, "")`` when the kernel's event queue overflowed
#: (``fs.inotify.max_queued_events``): some changes are not known.
LOST = 0

IN_MODIFY = 0x00000002
IN_ATTRIB = 0x00000004
IN_CLOSE_WRITE = 0x00000008
IN_MOVED_FROM = 0x00000040
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_Q_OVERFLOW = 0x00004000
IN_IGNORED = 0x00008000
IN_ONLYDIR = 0x01000000
IN_NONBLOCK = os.O_NONBLOCK
IN_CLOEXEC = os.O_CLOEXEC

_MASK = (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE
         | IN_DELETE | IN_ONLYDIR)
_HEADER = struct.Struct("iIII")  # wd, mask, cookie, len (struct inotify_event)

#: After the first event, the events of one save are awaited until none came
#: for :data:`QUIET_MS` -- or for :data:`OPEN_WRITE_QUIET_MS` while a file
#: written to was not closed yet (a save in several writes). A save in place
#: (files only modified, every one closed again) is complete: it is reported
#: with what is already queued, without waiting, as chokidar reports each
#: event to Vite at once (``benchmarks/hmr.py``: ~1 ms off every update).
#: Creations, deletions and renames still wait, so an editor's save through
#: a temporary file arrives as one batch.
QUIET_MS = 1
OPEN_WRITE_QUIET_MS = 20

_libc: t.Any = None


def _load_libc() -> t.Any:
    global _libc
    if _libc is None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.inotify_init1.argtypes = [ctypes.c_int]
        libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        _libc = libc
    return _libc


def available() -> bool:
    """inotify can be used: Linux, with the libc functions."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = _load_libc()
        return hasattr(libc, "inotify_init1") and hasattr(libc, "inotify_add_watch")
    except (OSError, AttributeError):
        return False


class InotifyWatch:
    """One inotify instance watching ``dirs`` (each on its own, not recursively).

    :param poll: ``select.poll`` -- under gevent the unpatched one, as
        :meth:`watch` runs in a native thread.
    :raises OSError: when inotify cannot be set up (``ENOSPC``: the system's
        limit of watches is reached).
    """

    def __init__(self, dirs: t.Iterable[str], poll: t.Callable[[], t.Any] = select.poll) -> None:
        libc = _load_libc()
        fd = libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if fd < 0:
            raise _error("inotify_init1")
        self._fd = fd
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._lock = threading.Lock()
        self._closed = False
        self._paths: dict[int, str] = {}
        self._poll = poll
        self._poller = poll()
        #: Batches of changes :meth:`watch` has returned (see :meth:`unsettled`).
        self.returned = 0
        self._gathering = False
        try:
            for folder in dirs:
                self._add(libc, folder)
        except BaseException:
            self.close()
            raise
        self._poller.register(self._fd, select.POLLIN)
        self._poller.register(self._wake_r, select.POLLIN)

    def _add(self, libc: t.Any, folder: str) -> None:
        wd = libc.inotify_add_watch(self._fd, os.fsencode(folder), _MASK)
        if wd < 0:
            err = ctypes.get_errno()
            if err in (errno.ENOENT, errno.ENOTDIR, errno.EACCES, errno.EPERM):
                return  # gone or unreadable meanwhile: as watchfiles, skipped
            raise OSError(err, f"inotify_add_watch {folder}: {os.strerror(err)}"
                          + (" (raise fs.inotify.max_user_watches)" if err == errno.ENOSPC else ""))
        self._paths[wd] = folder

    def watch(self, debounce_ms: int, step_ms: int, timeout_ms: int,
              stop_event: t.Any) -> set[tuple[int, str]] | str:
        """Block until files change; their ``{(change, path)}`` once the save is
        over (see :data:`QUIET_MS`), at the latest ``debounce_ms`` after the
        first event. ``"stop"`` once ``stop_event.is_set()`` (:meth:`wake`
        interrupts the wait); ``"timeout"`` after ``timeout_ms`` (0: never).
        ``step_ms`` is unused (``RustNotify``'s signature)."""
        changes: set[tuple[int, str]] = set()
        open_writes: set[str] = set()
        first: float | None = None
        started = time.monotonic()
        while True:
            if stop_event is not None and stop_event.is_set():
                self._gathering = False
                return "stop"
            now = time.monotonic()
            if first is None:
                wait = -1 if not timeout_ms else max(0, int(timeout_ms - (now - started) * 1000))
            else:
                if open_writes:
                    quiet = OPEN_WRITE_QUIET_MS
                elif all(change == MODIFIED for change, _ in changes):
                    quiet = 0
                else:
                    quiet = QUIET_MS
                wait = max(0, min(quiet, int(debounce_ms - (now - first) * 1000)))
            ready = self._poller.poll(wait)
            if any(fd == self._wake_r for fd, _ in ready):
                _drain(self._wake_r)
                continue
            if not ready:
                if first is not None:
                    return self._report(changes)
                if timeout_ms:
                    return "timeout"
                continue
            if first is None:
                first = time.monotonic()
                self._gathering = True
            self._read(changes, open_writes)
            if not changes:
                first = None  # only events of no interest (IN_IGNORED …)
                self._gathering = False
            elif (time.monotonic() - first) * 1000 >= debounce_ms:
                return self._report(changes)

    def _report(self, changes: set[tuple[int, str]]) -> set[tuple[int, str]]:
        self.returned += 1
        self._gathering = False
        return changes

    def unsettled(self) -> bool:
        """Whether changes are queued in the kernel or being gathered by
        :meth:`watch`: a save made but not reported yet."""
        if self._gathering:
            return True
        poller = self._poll()
        poller.register(self._fd, select.POLLIN)
        return bool(poller.poll(0))

    def _read(self, changes: set[tuple[int, str]], open_writes: set[str]) -> None:
        try:
            data = os.read(self._fd, 65536)
        except BlockingIOError:
            return
        offset = 0
        while offset + _HEADER.size <= len(data):
            wd, mask, _cookie, length = _HEADER.unpack_from(data, offset)
            offset += _HEADER.size
            name = data[offset:offset + length].rstrip(b"\0")
            offset += length
            if mask & IN_Q_OVERFLOW:
                changes.add((LOST, ""))
                continue
            if mask & IN_IGNORED:
                self._paths.pop(wd, None)  # the folder is gone
                continue
            folder = self._paths.get(wd)
            if folder is None or not name:
                continue
            path = os.path.join(folder, os.fsdecode(name))
            # As watchfiles maps the notify crate's events (a modification of
            # a file added or deleted in this batch is left out).
            if mask & (IN_CREATE | IN_MOVED_TO):
                changes.add((ADDED, path))
            elif mask & (IN_DELETE | IN_MOVED_FROM):
                changes.add((DELETED, path))
                open_writes.discard(path)
            elif mask & (IN_MODIFY | IN_ATTRIB):
                if (ADDED, path) not in changes and (DELETED, path) not in changes:
                    changes.add((MODIFIED, path))
                if mask & IN_MODIFY:
                    open_writes.add(path)
            if mask & IN_CLOSE_WRITE:
                open_writes.discard(path)

    def wake(self) -> None:
        """Interrupt :meth:`watch` (it then looks at its ``stop_event``)."""
        with self._lock:
            if not self._closed:
                try:
                    os.write(self._wake_w, b"x")
                except BlockingIOError:  # already woken many times over
                    pass

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for fd in (self._fd, self._wake_r, self._wake_w):
                os.close(fd)


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 512):
            pass
    except BlockingIOError:
        pass


def _error(call: str) -> OSError:
    err = ctypes.get_errno()
    return OSError(err, f"{call}: {os.strerror(err)}")
