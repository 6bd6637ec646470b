"""Processes for the benchmarks: commands, servers, and the CPU time they take.

* :func:`run` -- a setup command (``npm install``, a build) run to its end;
* :class:`Server` -- a server on a free port of 127.0.0.1 in its own process
  group, ended with everything it started (also at exit: :func:`stop_all`);
* CPU time from ``/proc`` (Linux): of one process (:func:`proc_stat`), of
  every process by group (:func:`cpu_by_group`), of the whole machine
  (:func:`machine_ticks`, :func:`wait_for_quiet`).
"""
from __future__ import annotations

import atexit
import collections
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import typing as t
from pathlib import Path

#: Clock ticks per second: the unit of the CPU times in ``/proc``.
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
#: Seconds a server may take to open its port.
START_TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(cmd: list[str], cwd: Path, env: t.Mapping[str, str] | None = None) -> str:
    """Run ``cmd`` in ``cwd`` to its end and return its output (stdout and
    stderr); ``env`` is the whole environment (default: this process's)."""
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}) in {cwd}:\n{proc.stdout[-4000:]}")
    return proc.stdout


def py_spy() -> str:
    """The ``py-spy`` executable, next to this Python's or on ``PATH``."""
    found = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if found is None:
        raise RuntimeError("--profile needs py-spy: pip install py-spy")
    return found


# --- /proc ----------------------------------------------------------------------------


class ProcStat(t.NamedTuple):
    """What the benchmarks read of ``/proc/<pid>/stat``."""

    comm: str
    ppid: int
    pgrp: int
    #: CPU time so far, user + system, in :data:`CLOCK_TICKS`.
    ticks: int
    #: Start time after boot: with the pid, it tells a process from a later one given its pid.
    start: int


def proc_stat(pid: int) -> ProcStat | None:
    """``pid``'s :class:`ProcStat`, or ``None`` once it has ended."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    comm = data[data.index("(") + 1:data.rindex(")")]
    fields = data[data.rindex(")") + 2:].split()
    # fields[0] is stat's 3rd field (state): ppid is the 4th, pgrp the 5th,
    # utime/stime the 14th/15th, starttime the 22nd.
    return ProcStat(comm, int(fields[1]), int(fields[2]), int(fields[11]) + int(fields[12]),
                    int(fields[19]))


def processes() -> dict[int, ProcStat]:
    """Every live process (none where there is no ``/proc``)."""
    found = {}
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                st = proc_stat(int(entry.name))
                if st is not None:
                    found[int(entry.name)] = st
    return found


def cpu_seconds(procs: t.Iterable[ProcStat]) -> float:
    """CPU time (user + system) of ``procs`` so far."""
    return sum(st.ticks for st in procs) / CLOCK_TICKS


def cpu_by_group() -> dict[int, dict[str, float]]:
    """CPU seconds (user + system) of the live processes, by process group and command."""
    ticks: dict[int, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for st in processes().values():
        ticks[st.pgrp][st.comm] += st.ticks
    return {g: {c: n / CLOCK_TICKS for c, n in by.items()} for g, by in ticks.items()}


def machine_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of all CPUs since boot (``/proc/stat``); OSError without it."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return sum(values) - idle, sum(values)


def cpu_busy(window: float = 1.0) -> float | None:
    """Share of the machine's CPU time in use over ``window`` seconds (``/proc/stat``)."""
    try:
        busy0, total0 = machine_ticks()
        time.sleep(window)
        busy1, total1 = machine_ticks()
    except (OSError, ValueError, IndexError):
        return None
    return (busy1 - busy0) / max(total1 - total0, 1)


def wait_for_quiet(limit: float, threshold: float = 0.25) -> str:
    """Wait (up to ``limit`` seconds) until other processes leave the CPUs mostly idle.

    Nothing of the benchmark runs between rounds, so what is busy then is
    someone else; their bursts would land in one side's numbers.
    """
    deadline = time.monotonic() + limit
    busy = cpu_busy()
    while busy is not None and busy > threshold and time.monotonic() < deadline:
        busy = cpu_busy()
    return "" if busy is None else f"{busy * 100:.0f}% busy before"


# --- servers --------------------------------------------------------------------------

_RUNNING: list[Server] = []


class Server:
    """One server process on a free port of 127.0.0.1, in its own process group.

    The port is ``{port}`` in the command and ``PORT`` in the environment.
    ``nice``: the niceness to start it at (0: this process's). :meth:`stop`
    ends the group and every descendant :meth:`tree` has seen: some leave
    the group (flask-vite's SSR children and renderers start a session of
    their own), so ending the group alone would not end them.
    """

    def __init__(self, cmd: list[str], cwd: Path, log: Path, env: t.Mapping[str, str], *,
                 nice: int = 0) -> None:
        self.port = free_port()
        self.cmd = [part.replace("{port}", str(self.port)) for part in cmd]
        self.cwd, self.log, self.nice = cwd, log, nice
        self.env = {**env, "PORT": str(self.port)}
        self.process: subprocess.Popen[bytes] | None = None
        self._seen: dict[int, int] = {}  # pid → start time, of every descendant seen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        cmd = ["nice", "-n", str(self.nice), *self.cmd] if self.nice else self.cmd
        with open(self.log, "wb") as log:  # nice execs the command: the pid and group stay
            self.process = subprocess.Popen(
                cmd, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
        _RUNNING.append(self)

    def wait_port(self, timeout: float = START_TIMEOUT) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"port {self.port} not open after {timeout}s:\n{self.tail()}")
                time.sleep(0.005)

    def tree(self) -> dict[int, ProcStat]:
        """The server's process and its live descendants (by parent, whatever their group)."""
        if self.process is None:
            return {}
        procs = processes()
        children: dict[int, list[int]] = collections.defaultdict(list)
        for pid, st in procs.items():
            children[st.ppid].append(pid)
        found = {}
        todo = [self.process.pid]
        while todo:
            pid = todo.pop()
            if pid in procs:
                found[pid] = procs[pid]
                todo += children.get(pid, [])
        for pid, st in found.items():
            self._seen.setdefault(pid, st.start)
        return found

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(text[-lines:]) or "(empty log)"

    def stop(self) -> None:
        process = self.process
        if process is None:
            return
        self.tree()  # note the descendants before they are orphaned
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        # Whatever the group still holds (esbuild, a hung server) goes too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        for pid, start in self._seen.items():
            st = proc_stat(pid)
            if st is not None and st.start == start:  # the same process, not a reused pid
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
        self._seen.clear()
        with contextlib.suppress(ValueError):
            _RUNNING.remove(self)


def stop_all() -> None:
    """Stop every :class:`Server` still running (also run at exit)."""
    for server in _RUNNING[:]:
        with contextlib.suppress(Exception):
            server.stop()


atexit.register(stop_all)
