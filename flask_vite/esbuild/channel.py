"""The esbuild process and the packets going to and from it.

One ``esbuild --service=<version> --ping`` child per :class:`Channel`, as in
esbuild's JS API (``createChannel`` in ``lib/shared/common.ts``, spawning in
``lib/npm/node.ts``):

* one reader thread cuts stdout into packets and hands each response to the
  caller waiting on that id; requests *from* esbuild (plugin callbacks,
  ``on-end``) run on a pool of worker threads; ``ping`` is answered at once;
* writers share one lock, so packets never interleave;
* when the process dies, every waiter fails with
  :class:`~flask_vite.errors.EsbuildServiceError`.

``threading``, ``queue`` and ``subprocess`` are looked up when used, never
imported by name, so gevent's ``monkey.patch_all()`` makes the reader, the
workers and the waits cooperative greenlets.
"""
from __future__ import annotations

import io
import logging
import os
import queue
import subprocess
import threading
import time
import typing as t

from ..errors import EsbuildServiceError
from . import protocol
from .protocol import exception_to_wire, message_to_wire

if t.TYPE_CHECKING:  # pragma: no cover
    from .service import _Session

logger = logging.getLogger("flask_vite.esbuild")

#: How long a closing process may take to exit on its own before it is killed.
STOP_TIMEOUT = 2.0
#: Idle plugin-callback workers exit after this many seconds.
_WORKER_IDLE_SECONDS = 30.0
#: Popen objects of processes owned by a parent we forked from; kept so they
#: are never closed or collected (see :meth:`Channel.forget`).
_FORKED_AWAY: list[subprocess.Popen[bytes]] = []

#: A decoded response or request: esbuild always sends maps.
Response = dict[str, t.Any]


class Workers:
    """A pool that grows whenever every worker is busy.

    Plugin callbacks may call :meth:`PluginBuild.resolve`, which makes
    esbuild send more callbacks before answering; a fixed-size pool could
    deadlock on that, so a task never waits for a busy worker.
    """

    def __init__(self) -> None:
        self._tasks: queue.Queue[t.Callable[[], None] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._idle = 0
        self._stopped = False
        self._threads: set[threading.Thread] = set()

    def submit(self, task: t.Callable[[], None]) -> None:
        with self._lock:
            reuse = self._idle > 0
            if reuse:
                self._idle -= 1  # reserve that worker for this task
        self._tasks.put(task)
        if not reuse:
            thread = threading.Thread(target=self._work, name="esbuild-plugins", daemon=True)
            with self._lock:
                self._threads.add(thread)
            thread.start()

    def join(self, timeout: float) -> None:
        """Wait (at most ``timeout`` seconds in all) for the workers to end,
        after :meth:`stop`: a closed service leaves no thread behind."""
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(max(deadline - time.monotonic(), 0.0))

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            idle, self._idle = self._idle, 0
        for _ in range(idle):
            self._tasks.put(None)

    def _work(self) -> None:
        try:
            self._serve()
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    def _serve(self) -> None:
        while True:
            try:
                task = self._tasks.get(timeout=_WORKER_IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._idle > 0:
                        self._idle -= 1
                        return
                continue  # we were reserved just as we timed out: a task is coming
            if task is None:
                return
            try:
                task()
            except Exception:  # a bug of ours; never let it kill the worker silently
                logger.exception("esbuild plugin worker failed")
            with self._lock:
                if self._stopped:
                    return  # busy when the pool stopped: no task will come
                self._idle += 1


class _Pending:
    __slots__ = ("event", "value", "error")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.value: Response | None = None
        self.error: str | None = None


class Channel:
    """One esbuild process: framing, request ids, and requests from esbuild."""

    def __init__(self, binary: str, version: str) -> None:
        self.owner_pid = os.getpid()
        self.closed = False
        self.closed_by_user = False
        self.reason = ""
        self.sessions: dict[int, _Session] = {}
        self._pending: dict[int, _Pending] = {}
        self._next_id = 0
        self._next_key = 0
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._stdin_open = True
        self._workers = Workers()
        self._frames = protocol.FrameBuffer()
        try:
            self._proc = subprocess.Popen(
                [binary, f"--service={version}", "--ping"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                # stderr is inherited, as in the JS API: esbuild's own log
                # output (build warnings, panics) reaches the terminal.
                creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
            )
        except OSError as e:
            raise EsbuildServiceError(
                f"Could not start esbuild at {binary!r}: {e}. Check the path, or unset"
                " ESBUILD_BINARY_PATH to let flask-vite fetch the binary."
            ) from e
        self.pid = self._proc.pid
        try:
            early = self._handshake(version)
        except BaseException:
            self._shutdown_process(kill=True)
            raise
        logger.debug("started esbuild %s, pid %d", version, self.pid)
        self._reader = threading.Thread(
            target=self._read_loop, args=(early,), name=f"esbuild-reader-{self.pid}", daemon=True
        )
        self._reader.start()

    # -- process --------------------------------------------------------------

    def _handshake(self, version: str) -> list[bytes]:
        """Read the version the binary opens with; return any frames after it."""
        assert self._proc.stdout is not None
        frames: list[bytes] = []
        while not frames:
            chunk = t.cast("io.BufferedReader", self._proc.stdout).read1(65536)
            if not chunk:
                code = self._proc.wait()
                raise EsbuildServiceError(
                    f"esbuild exited with code {code} before answering; is it esbuild"
                    f" {version}? (see its message above)"
                )
            frames = self._frames.feed(chunk)
        got = protocol.decode_version(frames[0])
        if got != version:
            raise EsbuildServiceError(
                f"The esbuild binary is version {got!r} but flask-vite speaks to {version!r}."
                f" Point ESBUILD_BINARY_PATH to esbuild {version}, or unset it."
            )
        return frames[1:]

    def usable(self) -> bool:
        """Whether new requests may go to this process."""
        return not self.closed and self.owner_pid == os.getpid() and self._proc.poll() is None

    def forget(self) -> None:
        """Drop a process inherited through ``fork()``: it is the parent's.

        The pipe objects may hold locks taken by parent threads that do not
        exist here, so they are never touched again (closing one can hang
        forever); their descriptors are pointed at ``/dev/null`` instead, so
        the parent's esbuild still sees stdin end when the parent closes it.
        """
        self.closed = True
        devnull = os.open(os.devnull, os.O_RDWR)
        try:
            for stream in (self._proc.stdin, self._proc.stdout):
                if stream is not None:
                    os.dup2(devnull, stream.fileno())
        finally:
            os.close(devnull)
        _FORKED_AWAY.append(self._proc)

    def close(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop the process: dispose live contexts, close stdin, kill if it lingers."""
        if self.owner_pid != os.getpid():
            self.forget()
            return
        # Live contexts keep esbuild running after stdin ends: dispose them
        # first, within one overall deadline.
        deadline = time.monotonic() + timeout
        for session in list(self.sessions.values()):
            if session.is_context and not self.closed:
                left = max(deadline - time.monotonic(), 0.05)
                try:
                    self.request({"command": "dispose", "key": session.key}, timeout=left)
                except EsbuildServiceError:
                    pass
        with self._lock:
            if not self.closed:
                self.closed = self.closed_by_user = True
                self.reason = "The esbuild service was closed"
        self._shutdown_process(kill=False, timeout=timeout)
        if threading.current_thread() is not self._reader:
            self._reader.join(timeout)
        # The reader stopped the idle workers (answering esbuild's pings
        # starts one now and then); a callback still running ends soon.
        self._workers.join(max(deadline - time.monotonic(), 0.1))

    def _shutdown_process(self, *, kill: bool, timeout: float = STOP_TIMEOUT) -> None:
        # esbuild exits by itself once stdin ends and its work is done. A writer
        # stuck on a full pipe holds the write lock; killing frees it.
        if self._write_lock.acquire(timeout=timeout):
            try:
                self._close_stdin()
            finally:
                self._write_lock.release()
        else:
            kill = True
        if kill:
            self._proc.kill()
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            logger.warning("esbuild (pid %d) did not exit in %.1fs; killing it", self.pid, timeout)
            self._proc.kill()
            self._proc.wait()
        if kill and self._proc.stdout is not None:
            self._proc.stdout.close()

    def _close_stdin(self) -> None:
        if self._stdin_open and self._proc.stdin is not None:
            self._stdin_open = False
            try:
                self._proc.stdin.close()
            except OSError:  # flushing into a dead process
                pass

    # -- reading --------------------------------------------------------------

    def _read_loop(self, early: list[bytes]) -> None:
        assert self._proc.stdout is not None
        # Buffered (io.BufferedReader, or gevent's FileObject): ``read1`` returns
        # what one read gave instead of waiting to fill the size asked for.
        stdout = t.cast("io.BufferedReader", self._proc.stdout)
        failure = ""
        try:
            for frame in early:
                self._dispatch(frame)
            while True:
                chunk = stdout.read1(65536)
                if not chunk:
                    break
                for frame in self._frames.feed(chunk):
                    self._dispatch(frame)
        except Exception as e:  # garbage on the pipe: fail loudly, never hang callers
            logger.exception("lost the esbuild protocol stream")
            failure = f": {e}"
        finally:
            self._on_exit(failure)
            stdout.close()

    def _dispatch(self, frame: bytes) -> None:
        packet = protocol.decode_packet(frame)
        if not packet.is_request:
            with self._lock:
                pending = self._pending.pop(packet.id, None)
            if pending is not None:  # None: the caller gave up waiting
                pending.value = t.cast(Response, packet.value)
                pending.event.set()
            return
        request = t.cast(Response, packet.value)
        key = request.get("key")
        session = self.sessions.get(key) if isinstance(key, int) else None
        if session is None and isinstance(key, int):
            # A callback for a build already disposed: the JS API ignores these
            # too (evanw/esbuild#3318).
            return
        # Answer on a worker, even ``ping``: the reader must never wait on the
        # write lock, or a writer blocked on a full stdin pipe (esbuild busy
        # writing to a stdout nobody reads) would deadlock both processes.
        self._workers.submit(lambda: self._answer(session, packet.id, request))

    def _answer(self, session: _Session | None, id: int, request: Response) -> None:
        command = str(request.get("command"))
        try:
            if command == "ping":
                response: Response = {}
            elif session is None:
                response = {"errors": [message_to_wire(f"Invalid command: {command}", "")]}
            else:
                response = session.handle(command, request)
        except Exception as e:
            response = {"errors": [exception_to_wire(e, "")]}
        try:
            self._respond(id, response)
        except EsbuildServiceError:
            pass  # the process is gone; its waiters have been told

    def _on_exit(self, failure: str) -> None:
        """The process's stdout ended: reap it and fail every waiter."""
        self._shutdown_process(kill=bool(failure))
        self._workers.stop()
        code = self._proc.returncode
        with self._lock:
            if not self.closed:
                self.closed = True
                how = f"killed by signal {-code}" if code and code < 0 else f"exit code {code}"
                self.reason = f"The esbuild service stopped unexpectedly ({how}){failure}"
                logger.warning("%s (pid %d)", self.reason, self.pid)
            pending, self._pending = list(self._pending.values()), {}
        for waiter in pending:
            waiter.error = self.reason
            waiter.event.set()

    # -- writing --------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        with self._write_lock:
            stdin = self._proc.stdin
            if not self._stdin_open or stdin is None:
                raise EsbuildServiceError(self.reason or "The esbuild service is not running")
            try:
                stdin.write(data)
                stdin.flush()
            except (OSError, ValueError) as e:
                raise EsbuildServiceError(
                    self.reason or f"The esbuild service stopped unexpectedly: {e}"
                ) from e

    def _respond(self, id: int, value: protocol.Value) -> None:
        self._write(protocol.encode_packet(id, False, value))

    def request(self, value: dict[str, t.Any], timeout: float | None = None) -> Response:
        """Send a request and wait for its response.

        :raises EsbuildServiceError: if the process dies or is closed first.
        """
        waiter = _Pending()
        with self._lock:
            if self.closed:
                raise EsbuildServiceError(self.reason)
            id = self._next_id
            self._next_id = (id + 1) & 0x7FFFFFFF
            self._pending[id] = waiter
        try:
            self._write(protocol.encode_packet(id, True, value))
            if not waiter.event.wait(timeout):
                raise EsbuildServiceError(f"esbuild did not answer within {timeout}s")
        except BaseException:
            with self._lock:
                self._pending.pop(id, None)
            raise
        if waiter.error is not None:
            raise EsbuildServiceError(waiter.error)
        assert waiter.value is not None
        return waiter.value

    def register(self, session: _Session) -> int:
        """Give a build a key so esbuild's callbacks for it find their way back."""
        with self._lock:
            key = self._next_key
            self._next_key += 1
            self.sessions[key] = session
        session.channel, session.key = self, key
        return key

    def unregister(self, key: int) -> None:
        self.sessions.pop(key, None)
