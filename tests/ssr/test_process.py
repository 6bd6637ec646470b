"""The renderer child: deadlines, heap limit, respawn, threads, gevent, cleanup."""
from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
import typing as t
from pathlib import Path

import pytest

from flask_vite.ssr.errors import SsrCrashed, SsrOutOfMemory, SsrTimeout
from flask_vite.ssr.process import SsrProcess

from .conftest import exports, kill_and_wait

ROOT = Path(__file__).resolve().parents[2]

MODULE = exports(spin="spin", grow="grow", count="count", wait="wait", echo="echo") + """
let calls = 0;
function count() { return ++calls; }
function spin() { for (;;) {} }
function grow() { const keep = []; for (;;) keep.push(new Array(1000).fill(Math.random())); }
async function wait(ms) { await new Promise((r) => setTimeout(r, ms)); return ms; }
async function echo(value) { await new Promise((r) => setTimeout(r, 1)); return value; }
"""


def reaped(pid: int) -> bool:
    """True once ``pid`` is gone and reaped: a zombie still answers kill(0)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture(scope="module")
def guarded() -> t.Iterator[SsrProcess]:
    """A renderer with a short deadline and a small heap, shared by the tests
    that break it (each leaves a working child behind)."""
    process = SsrProcess(timeout=0.75, heap_limit_mb=32)
    process.define_modules({"/m.js": MODULE})
    yield process
    process.close()


def test_an_endless_loop_times_out_and_the_next_call_works(guarded: SsrProcess) -> None:
    assert guarded.call("/m.js", "count") == 1
    pid, spawns = guarded.pid, guarded.spawn_count
    assert pid is not None
    started = time.monotonic()
    with pytest.raises(SsrTimeout, match="did not finish within 0.75 s"):
        guarded.call("/m.js", "spin")
    assert time.monotonic() - started < 0.75 + 1
    assert guarded.spawn_count == spawns + 1 and reaped(pid)
    # A new child, the module shipped again: a fresh instance.
    assert guarded.call("/m.js", "count") == 1


def test_a_runaway_allocation_is_out_of_memory_and_the_next_call_works(guarded: SsrProcess) -> None:
    pid = guarded.pid
    assert pid is not None
    with pytest.raises(SsrOutOfMemory, match="heap_limit_mb=32"):
        guarded.call("/m.js", "grow", timeout=20)
    assert reaped(pid)
    assert guarded.call("/m.js", "count") == 1


def test_waiting_past_the_deadline_for_a_timer_does_not_kill(guarded: SsrProcess) -> None:
    spawns = guarded.spawn_count
    with pytest.raises(SsrTimeout, match="waits for a timer due in"):
        guarded.call("/m.js", "wait", args=[5000])
    assert guarded.spawn_count == spawns
    assert guarded.call("/m.js", "wait", args=[5]) == 5


def test_a_child_that_died_between_calls_is_replaced(guarded: SsrProcess) -> None:
    pid = guarded.pid
    assert pid is not None and guarded.call("/m.js", "count") >= 1
    kill_and_wait(pid)  # nothing notices until the next call
    assert guarded.call("/m.js", "count") == 1
    assert guarded.pid != pid and reaped(pid)


def test_calls_from_threads_are_serialized(guarded: SsrProcess) -> None:
    results: dict[int, list[object]] = {}

    def worker(n: int) -> None:
        results[n] = [guarded.call("/m.js", "echo", args=[[n, i]]) for i in range(10)]

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results == {n: [[n, i] for i in range(10)] for n in range(4)}


def test_close_reaps_the_child_and_refuses_more_calls() -> None:
    process = SsrProcess()
    pid = process.pid
    assert pid is not None
    assert process.v8_version.split(".")[0].isdigit()
    process.close()
    process.close()  # idempotent
    assert reaped(pid)
    with pytest.raises(RuntimeError, match="closed"):
        process.call("/m.js", "count")


def test_a_forgotten_process_is_killed_when_collected() -> None:
    process = SsrProcess()
    pid = process.pid
    assert pid is not None
    del process
    gc.collect()
    assert reaped(pid)


def test_a_child_that_cannot_start_is_reported() -> None:
    process = SsrProcess(python=sys.executable, startup_timeout=10)
    process.close()
    broken = SsrProcess(python="/bin/false" if os.path.exists("/bin/false") else "false")
    try:
        with pytest.raises(SsrCrashed, match="exited while starting"):
            broken.import_("/m.js")
    finally:
        broken.close()


FORK_SCRIPT = textwrap.dedent("""
    import json, os, sys
    sys.path.insert(0, sys.argv[1])
    from flask_vite.ssr.process import SsrProcess

    proc = SsrProcess()
    proc.define_modules({"/m.js": '__vite_ssr_exportName__("pid", () => () => 1);'})
    proc.call("/m.js", "pid")
    before = proc.pid
    r, w = os.pipe()
    worker = os.fork()
    if worker == 0:  # a preloading server's worker
        try:
            result = [proc.call("/m.js", "pid"), proc.pid]
            proc.close()
        except BaseException as e:
            result = [repr(e), None]
        os.write(w, json.dumps(result).encode())
        os._exit(0)
    os.close(w)
    os.waitpid(worker, 0)
    in_worker = json.loads(os.read(r, 1000))
    print(json.dumps({"before": before, "in_worker": in_worker, "after": proc.call("/m.js", "pid"),
                      "same_child": proc.pid == before}))
    proc.close()
""")


def test_a_forked_copy_starts_its_own_child() -> None:
    # The fork happens in a subprocess: pytest itself never forks.
    proc = subprocess.run([sys.executable, "-c", FORK_SCRIPT, str(ROOT)], capture_output=True,
                          text=True, timeout=60, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["in_worker"][0] == 1 and result["in_worker"][1] not in (None, result["before"])
    assert result["after"] == 1 and result["same_child"]


GEVENT_SCRIPT = textwrap.dedent("""
    from gevent import monkey
    monkey.patch_all()

    import json, sys, time
    import gevent
    sys.path.insert(0, sys.argv[1])
    from flask_vite.ssr.errors import SsrTimeout
    from flask_vite.ssr.process import SsrProcess

    proc = SsrProcess(timeout=2.0)
    # busy(ms) blocks the child's V8 for ms: only a cooperative wait lets
    # the ticker greenlet run meanwhile.
    proc.define_modules({"/slow.js": (
        '__vite_ssr_exportName__("busy", () => busy);\\n'
        'function busy(ms) { const end = Date.now() + ms; while (Date.now() < end) {} return ms; }\\n'
        '__vite_ssr_exportName__("spin", () => () => { for (;;) {} });\\n')})
    proc.call("/slow.js", "busy", args=[0])
    ticks = []
    def ticker():
        while True:
            ticks.append(time.monotonic())
            gevent.sleep(0.005)
    ticking = gevent.spawn(ticker)
    gevent.sleep(0.01)

    def window(fn):
        start = time.monotonic()
        outcome = fn()
        end = time.monotonic()
        return outcome, sum(start < t < end for t in ticks), end - start

    busy, busy_ticks, busy_s = window(lambda: proc.call("/slow.js", "busy", args=[400]))
    # Two greenlets on one process: serialized, both answered.
    both, both_ticks, _ = window(lambda: [g.get() for g in [
        gevent.spawn(proc.call, "/slow.js", "busy", args=[150]),
        gevent.spawn(proc.call, "/slow.js", "busy", args=[150])]])
    def timeout():
        proc.timeout = 0.3
        try:
            proc.call("/slow.js", "spin")
        except SsrTimeout:
            return "SsrTimeout"
        finally:
            proc.timeout = 2.0
    timed_out, timeout_ticks, _ = window(timeout)
    after = proc.call("/slow.js", "busy", args=[1])
    ticking.kill()
    proc.close()
    print(json.dumps({"busy": busy, "busy_ticks": busy_ticks, "busy_s": busy_s, "both": both,
                      "both_ticks": both_ticks, "timed_out": timed_out,
                      "timeout_ticks": timeout_ticks, "after": after}))
""")


def test_a_gevent_parent_waits_cooperatively() -> None:
    pytest.importorskip("gevent")
    proc = subprocess.run([sys.executable, "-c", GEVENT_SCRIPT, str(ROOT)], capture_output=True,
                          text=True, timeout=60, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    # (Date.now() counts whole milliseconds: busy(400) may end a little early.)
    assert result["busy"] == 400 and result["busy_s"] >= 0.39
    # The hub kept running: the 5 ms ticker ticked through the render.
    assert result["busy_ticks"] >= 20
    assert result["both"] == [150, 150] and result["both_ticks"] >= 15
    assert result["timed_out"] == "SsrTimeout" and result["timeout_ticks"] >= 15
    assert result["after"] == 1
