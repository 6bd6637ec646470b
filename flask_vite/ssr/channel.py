"""The renderer child as seen from the web process: the process and the
parent's ends of its two pipes.

:class:`ChildProcess` starts ``python -c BOOTSTRAP`` (see
:mod:`flask_vite.ssr.child`), writes and reads :mod:`~flask_vite.ssr.protocol`
frames with deadlines, and stops and reaps the child. Every wait is a
``select.poll`` on a non-blocking fd, which gevent's monkey-patching makes
cooperative; nothing here blocks a gevent hub.
"""
from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
import time
import typing as t
from collections import deque
from pathlib import Path

from .child import BOOTSTRAP
from .protocol import READ_SIZE, FrameDecoder, encode

#: How long a closing child may take to exit before it is killed.
CLOSE_TIMEOUT = 2.0

_PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)


class Gone(Exception):
    """The child closed its pipe (it exited or crashed)."""


class Deadline(Exception):
    """The deadline passed while waiting for the child."""


def wait_ready(fd: int, write: bool, timeout: float) -> bool:
    """Wait until ``fd`` is ready, at most ``timeout`` seconds.

    ``select.poll`` has no FD_SETSIZE limit, and gevent's monkey-patching
    replaces it with a cooperative version (looked up at each call, so a
    process patched after this module was imported waits cooperatively too).
    """
    poller = select.poll()
    poller.register(fd, select.POLLOUT if write else select.POLLIN)
    return bool(poller.poll(max(0, int(timeout * 1000) + 1)))


class ChildProcess:
    """The child process and the parent's ends of its two pipes.

    :param python: The interpreter to run the child with.
    :param setup: The ``S`` frame's content (heap limit, ``NODE_ENV`` …).
    """

    def __init__(self, python: str, setup: dict[str, t.Any]) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        # Kept open for the child's life; closed in close().
        self.output = tempfile.TemporaryFile(prefix="flask-vite-ssr-")  # noqa: SIM115
        env = dict(os.environ)
        env["FLASK_VITE_SSR_SYS_PATH"] = json.dumps([p for p in sys.path if isinstance(p, str)])
        env["FLASK_VITE_SSR_PACKAGE"] = _PACKAGE_DIR
        try:
            self.popen = subprocess.Popen(
                [python, "-I", "-c", BOOTSTRAP, str(to_child_r), str(from_child_w)],
                pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL,
                stdout=self.output, stderr=self.output, env=env,
                # Its own session: a Ctrl-C meant for the dev server is not
                # delivered to the renderer in the middle of a render.
                start_new_session=True)
        except BaseException:
            for fd in (to_child_r, to_child_w, from_child_r, from_child_w):
                os.close(fd)
            self.output.close()
            raise
        os.close(to_child_r)
        os.close(from_child_w)
        self.fd_out = to_child_w
        self.fd_in = from_child_r
        # Non-blocking: every wait goes through wait_ready(), which gevent makes
        # cooperative; a blocking read or write would stall the hub.
        os.set_blocking(self.fd_out, False)
        os.set_blocking(self.fd_in, False)
        self.decoder = FrameDecoder()
        self.frames: deque[tuple[str, bytes]] = deque()
        self.outbox: list[bytes] = []
        self.ready = False
        self.info: dict[str, t.Any] = {}
        self.closed = False
        #: The process that started the child; a forked copy of this object
        #: (a preloading server's worker) must neither use nor kill it.
        self.owner = os.getpid()
        try:
            self.send(encode("S", json.dumps(setup)), time.monotonic() + 5)
        except Gone:
            pass  # it died at once: the first wait for its hello reports it
        except Deadline:
            pass  # idem, for a child that neither reads nor exits

    @property
    def pid(self) -> int:
        return self.popen.pid

    def send(self, data: bytes, deadline: float) -> None:
        """Write encoded frames.

        :raises Gone: The child closed its end.
        :raises Deadline: It did not take them by ``deadline`` (monotonic).
        """
        view = memoryview(data)
        while view:
            try:
                written = os.write(self.fd_out, view)
            except BlockingIOError:
                written = 0
            except BrokenPipeError:
                raise Gone() from None
            view = view[written:]
            if (view and not wait_ready(self.fd_out, True, deadline - time.monotonic())
                    and time.monotonic() >= deadline):
                raise Deadline()

    def flush(self, deadline: float) -> None:
        """Send the frames queued in :attr:`outbox` (definitions, invalidations)."""
        if self.outbox:
            data = b"".join(self.outbox)
            self.outbox.clear()
            self.send(data, deadline)

    def recv(self, deadline: float) -> tuple[str, bytes]:
        """The next frame from the child.

        :raises Gone: The child exited.
        :raises Deadline: Nothing complete arrived by ``deadline`` (monotonic).
        """
        while not self.frames:
            try:
                data = os.read(self.fd_in, READ_SIZE)
            except BlockingIOError:
                if not wait_ready(self.fd_in, False, deadline - time.monotonic()) and time.monotonic() >= deadline:
                    raise Deadline() from None
                continue
            if not data:
                raise Gone()
            self.frames.extend(self.decoder.feed(data))
        return self.frames.popleft()

    def output_tail(self, limit: int = 4000) -> str:
        """The end of what the child printed (V8 and Python errors)."""
        try:
            self.output.flush()
            size = self.output.seek(0, os.SEEK_END)
            self.output.seek(max(0, size - limit))
            return self.output.read().decode("utf-8", "replace").strip()
        except (OSError, ValueError):
            return ""

    def abandon(self) -> None:
        """In a forked process: drop this copy's pipe ends and file, and leave
        the child to the process that started it."""
        if self.closed:
            return
        self.closed = True
        self._release()

    def _release(self) -> None:
        """Close this process's pipe ends and the output file."""
        for fd in (self.fd_out, self.fd_in):
            try:
                os.close(fd)
            except OSError:
                pass
        self.output.close()

    def close(self, graceful: bool) -> None:
        """Stop the child and reap it; release the pipes and the output file."""
        if self.owner != os.getpid():
            self.abandon()
            return
        if self.closed:
            return
        self.closed = True
        try:
            if graceful:
                try:
                    self.send(encode("Q"), time.monotonic() + 0.5)
                except (Gone, Deadline, OSError):
                    pass
                try:
                    self.popen.wait(CLOSE_TIMEOUT)
                except subprocess.TimeoutExpired:
                    pass
            if self.popen.poll() is None:
                self.popen.kill()
            self.popen.wait()
        finally:
            self._release()


def kill_child(child: ChildProcess) -> None:
    """Finalizer: the SsrProcess was garbage-collected or the interpreter is
    exiting without close(); never leave a child behind."""
    child.close(graceful=False)
