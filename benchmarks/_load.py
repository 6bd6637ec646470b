"""HTTP load for the SSR benchmarks: ``GET`` one URL on keep-alive connections.

With ``wrk`` (:func:`load_wrk`; :func:`ensure_wrk` finds it, or installs
Debian's) or else a Python load generator (:func:`load_python`, one thread
per connection). Either gives a :class:`Load`: requests, seconds, errors,
bytes and the latency histogram (µs → count), so the loads of several slices
can be added up (:meth:`Load.add`) and the percentiles read from the sum.
"""
from __future__ import annotations

import collections
import dataclasses
import http.client
import json
import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

#: wrk's summary as one JSON line; ``hist``: the latency histogram as
#: "µs:count" pairs (wrk keeps one bucket per µs), so slices can be merged.
WRK_LUA = """\
done = function(summary, latency, requests)
  local parts = {}
  for i = 1, #latency do
    local v, c = latency(i)
    parts[#parts + 1] = string.format("%d:%d", v, c)
  end
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d,'
    .. ' "write": %d, "status": %d, "timeout": %d, "hist": "%s"}\\n',
    summary.requests, summary.duration, summary.bytes, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout,
    table.concat(parts, ",")))
end
"""


@dataclasses.dataclass
class Load:
    """Requests of one or more slices, with their latency histogram (µs → count)."""

    tool: str
    requests: int = 0
    seconds: float = 0.0
    errors: int = 0
    bytes: int = 0
    hist: collections.Counter[int] = dataclasses.field(default_factory=collections.Counter)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def add(self, other: Load) -> None:
        self.requests += other.requests
        self.seconds += other.seconds
        self.errors += other.errors
        self.bytes += other.bytes
        self.hist.update(other.hist)

    def percentile(self, q: float) -> float:
        """Seconds; the smallest latency at or above which ``q`` % of requests lie."""
        total = sum(self.hist.values())
        if not total:
            return float("nan")
        rank, seen = q / 100 * total, 0.0
        for us in sorted(self.hist):
            seen += self.hist[us]
            if seen >= rank:
                return us / 1e6
        return max(self.hist) / 1e6


def get(url: str, timeout: float = 30.0) -> tuple[int, str]:
    """One ``GET`` on a new connection: status and body."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        conn.request("GET", parts.path or "/")
        r = conn.getresponse()
        return r.status, r.read().decode("utf-8", "replace")
    finally:
        conn.close()


def ensure_wrk(allow_install: bool) -> str | None:
    """``wrk``'s path; when it is missing, ``apt-get install -y wrk`` first if
    ``allow_install`` and this process may (root)."""
    found = shutil.which("wrk")
    if found or not allow_install or not shutil.which("apt-get") or os.geteuid() != 0:
        return found
    print("wrk is missing: apt-get install -y wrk", flush=True)
    proc = subprocess.run(["apt-get", "install", "-y", "wrk"], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, check=False)
    if proc.returncode != 0:
        print(f"  apt-get install failed ({proc.returncode}); using the Python load generator:\n"
              + proc.stdout[-1000:], flush=True)
    return shutil.which("wrk")


def write_wrk_script(folder: Path) -> Path:
    """Write :data:`WRK_LUA` to ``folder``; the script for :func:`load_wrk`."""
    script = folder / "bench.lua"
    script.write_text(WRK_LUA)
    return script


def load_wrk(wrk: str, url: str, connections: int, duration: float, script: Path, *,
             threads: int = 2, nice: int = 0) -> Load:
    """``duration`` seconds (whole, at least 1) of wrk with ``threads``
    threads (at most one per connection), at niceness ``nice`` (0: this
    process's); ``script`` from :func:`write_wrk_script`."""
    prefix = ["nice", "-n", str(nice)] if nice else []
    cmd = [*prefix, wrk, f"-t{min(threads, connections)}", f"-c{connections}",
           f"-d{max(round(duration), 1)}s", "--timeout", "30s", "-s", str(script), url]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          check=False, timeout=duration + 60)
    found = re.search(r"^BENCH_JSON (.*)$", proc.stdout, re.MULTILINE)
    if proc.returncode != 0 or not found:
        raise RuntimeError(f"wrk failed ({proc.returncode}):\n{proc.stdout[-2000:]}")
    s = json.loads(found.group(1))
    hist: collections.Counter[int] = collections.Counter()
    for pair in filter(None, s["hist"].split(",")):
        us, count = pair.split(":")
        hist[int(us)] += int(count)
    errors = s["connect"] + s["read"] + s["write"] + s["status"] + s["timeout"]
    return Load("wrk", s["requests"], s["duration_us"] / 1e6, errors, s["bytes"], hist)


def load_python(url: str, connections: int, duration: float) -> Load:
    """One thread per keep-alive connection, requests back to back (as wrk does)."""
    parts = urlsplit(url)
    hists: list[collections.Counter[int]] = [collections.Counter() for _ in range(connections)]
    errors = [0] * connections
    sizes = [0] * connections
    barrier = threading.Barrier(connections + 1)
    deadline = [0.0]

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
        barrier.wait()
        try:
            while time.perf_counter() < deadline[0]:
                t0 = time.perf_counter()
                try:
                    conn.request("GET", parts.path or "/")
                    r = conn.getresponse()
                    body = r.read()
                except (OSError, http.client.HTTPException):
                    errors[i] += 1
                    conn.close()
                    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
                    continue
                hists[i][int((time.perf_counter() - t0) * 1e6)] += 1
                sizes[i] += len(body)
                if r.status != 200:
                    errors[i] += 1
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(connections)]
    for th in threads:
        th.start()
    deadline[0] = time.perf_counter() + duration
    began = time.perf_counter()
    barrier.wait()
    for th in threads:
        th.join()
    load = Load("python threads", seconds=time.perf_counter() - began, errors=sum(errors),
                bytes=sum(sizes))
    for h in hists:
        load.hist.update(h)
    load.requests = sum(load.hist.values())
    return load
