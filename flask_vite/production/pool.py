"""A pool of SSR renderers for production: ``VITE_SSR_WORKERS`` V8 isolates
per web worker process, each preloaded with the SSR bundle.

::

    pool = RendererPool({"/entry-server.js": code}, "/entry-server.js", size=2)
    rendered = pool.call("render", ["/about", {"user": "ann"}])
    pool.close()

Each renderer is a :class:`~flask_vite.ssr.process.SsrProcess` (one child
process, one isolate) and serves one call at a time. A call takes a free
renderer, or waits for one (at most ``queue_timeout`` seconds, then
:class:`RendererBusy`). Waiting and rendering are cooperative under gevent,
as :class:`SsrProcess` is, so a gevent worker keeps serving while renders
run.

What keeps one bad render from harming the server:

- a deadline per call (``timeout``): a render that runs past it is killed
  with its child (:class:`~flask_vite.ssr.errors.SsrTimeout`);
- a heap limit (``heap_limit_mb``): a runaway allocation ends the child, not
  the web worker (:class:`~flask_vite.ssr.errors.SsrOutOfMemory`);
- a renderer that failed that way is warmed up again in the background
  (its child was replaced) before it takes the next request;
- after ``max_renders`` renders (slow leaks in module state) a replacement
  is started and loaded in the background while the renderer keeps
  serving, and takes its place between two renders: recycling never stalls.

**Which renderer.** The first renderer takes the work; the next one is used
when those before it have been busy for longer than a few batch times (a
slow or runaway render, a renderer restarting), or at once when renders are
slow enough that batching saves little. Under load from fast pages, one
renderer with batches does more renders per second than two taking turns
(each round trip costs CPU on both sides, and a worker per core already
keeps the cores busy), while the second stays ready, so a render that runs
to its deadline does not stall the worker's other pages.

Renderers are created lazily, in the process that renders: a server that
forks after loading the app (``gunicorn --preload``) gives each worker its
own, and a pool used before the fork never hands its parent's children to a
worker (the state is per ``os.getpid()``).

**Batching.** Calls that queue up while every renderer is busy go to the
next free one together, as one round trip (``call_many.js``): a call between
Python and V8 costs a few hundred microseconds, a small React page less than
that, so under load this more than doubles the renders per second
(measured in ``benchmarks/ssr_prod.py``). The caller that takes a free
renderer yields once before it makes its batch (``time.sleep(0)``: under
gevent, the greenlets that are ready run), so that requests read at the same
moment join it instead of waiting a whole round trip. Batches are kept short (their
expected run time under ``batch_budget``), so one batch never holds a
renderer for long. A call in a batch that throws is run again on its own to
report its error as an unbatched call would; if a batch is stopped (a
timeout, the heap limit), each of its calls is run again on its own, so only
the culprit fails. Renders are expected to be pure functions of their
arguments, as they are in any SSR setup that retries or caches.
"""
from __future__ import annotations

import collections
import dataclasses
import logging
import os
import threading
import time
import typing as t
from pathlib import Path

from ..ssr.errors import SsrCrashed, SsrError, SsrOutOfMemory, SsrTimeout

if t.TYPE_CHECKING:
    from ..ssr.process import ModuleSource, SsrProcess

logger = logging.getLogger("flask_vite.ssr")

#: Where the batching helper is shipped in every renderer.
CALL_MANY_URL = "/@flask-vite/call-many.js"
_CALL_MANY_FILE = Path(__file__).with_name("call_many.js")

#: Renders slower than this gain little from batching: every free renderer
#: is used at once (the per-call cost is a few hundred microseconds).
SLOW_RENDER = 0.002
#: Bounds of the wait for a busy renderer before the next one is used.
MIN_SPILL, MAX_SPILL = 0.01, 0.05

#: Errors after which a renderer's child was replaced (by :class:`SsrProcess`)
#: and the new one must load the bundle again.
FATAL_ERRORS = (SsrTimeout, SsrOutOfMemory, SsrCrashed)


class RendererBusy(SsrError):
    """Every renderer stayed busy for ``queue_timeout`` seconds: the server
    gets more render requests than its renderers finish. Add renderers
    (``VITE_SSR_WORKERS``), web workers or machines, or look for slow renders."""

    code = "SSR_BUSY"


@dataclasses.dataclass(frozen=True)
class PoolStats:
    """A snapshot of a pool in the current process (for tests and monitoring)."""

    #: Renderers configured.
    size: int
    #: Calls finished (successfully or not).
    renders: int
    #: Round trips to V8 for them (fewer than renders when batched).
    round_trips: int
    #: Renders that were part of a batch of two or more.
    batched: int
    #: Renderers replaced after ``max_renders`` renders.
    recycled: int
    #: Renders that ended their renderer's child (timeout, heap limit, crash).
    fatal: int
    #: Process ids of the renderers' current children.
    pids: tuple[int, ...]
    #: Renderers free right now.
    idle: int
    #: Calls waiting for a renderer right now.
    waiting: int


class _Job:
    """One call: its arguments, and its outcome once a renderer ran it."""

    __slots__ = ("args", "done", "error", "name", "taken", "timeout", "value")

    def __init__(self, name: str, args: list[t.Any], timeout: float) -> None:
        self.name = name
        self.args = args
        self.timeout = timeout
        #: A renderer is running it (the caller waits for ``done``).
        self.taken = False
        self.done = False
        self.value: t.Any = None
        self.error: BaseException | None = None

    def finish(self, value: t.Any) -> None:
        self.value, self.done = value, True

    def fail(self, error: BaseException) -> None:
        self.error, self.done = error, True

    def outcome(self) -> t.Any:
        if self.error is not None:
            raise self.error
        return self.value


class _Renderer:
    """One slot of the pool; its process is replaced over time."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.process: SsrProcess | None = None
        #: Renders done by the current process.
        self.renders = 0
        #: When a caller took it (``time.monotonic()``); ``None`` while idle.
        self.busy_since: float | None = None
        #: The current process has not loaded the bundle (new, or its child was
        #: replaced after a fatal error): warm it up before it takes requests.
        self.cold = True
        #: Its replacement after ``max_renders``, loaded and ready to take over.
        self.standby: SsrProcess | None = None
        #: A replacement is being prepared.
        self.preparing = False


class _Local:
    """The pool's state in one process; a forked worker makes its own."""

    def __init__(self, pid: int, size: int) -> None:
        self.pid = pid
        # Created after the fork and after gevent's monkey-patching (gunicorn
        # patches in the worker), so this is a cooperative lock under gevent.
        self.cond = threading.Condition()
        self.queue: collections.deque[_Job] = collections.deque()
        self.renderers = [_Renderer(i) for i in range(size)]
        self.idle: list[_Renderer] = []
        self.started = False
        self.closed = False
        self.warmers: set[threading.Thread] = set()
        self.renders = self.round_trips = self.batched = self.recycled = self.fatal = 0


class RendererPool:
    """Renderers preloaded with an SSR bundle; see the module docstring.

    :param modules: The modules every renderer gets, by URL: at least the
        bundle (one CommonJS script, ``module.exports`` = the entry's exports).
    :param entry: The URL of the module whose exports :meth:`call` calls.
    :param size: Renderers (child processes) in each web worker process.
    :param timeout: Seconds one call may take before its renderer is killed.
    :param heap_limit_mb: V8 heap limit of each renderer.
    :param max_renders: Replace a renderer after this many renders (``0``: never).
    :param queue_timeout: Seconds a call may wait for a free renderer.
    :param max_batch: Most calls sent to a renderer in one round trip (``1``: no batching).
    :param batch_budget: Seconds a batch is expected to take at most, from the
        average render time so far; keeps batches of slow renders short.
    :param spill_after: Seconds a call waits for a busy renderer before it
        takes the next free one; ``None``: from the timings (see the module
        docstring), ``0``: any free renderer at once.
    :param node_env: ``process.env.NODE_ENV`` in the renderers.
    :param startup_timeout: Seconds a new renderer may take to start.
    :param python: The interpreter for the renderers (see :class:`SsrProcess`).
    """

    def __init__(self, modules: t.Mapping[str, str | ModuleSource], entry: str, *, size: int = 2,
                 timeout: float = 5.0, heap_limit_mb: int = 256, max_renders: int = 10_000,
                 queue_timeout: float = 10.0, max_batch: int = 16, batch_budget: float = 0.025,
                 spill_after: float | None = None, node_env: str = "production", startup_timeout: float = 30.0,
                 python: str | None = None) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        if entry not in modules:
            raise ValueError(f"the entry {entry!r} is not among the modules ({', '.join(modules)})")
        self.modules = dict(modules)
        self.entry = entry
        self.size = size
        self.timeout = float(timeout)
        self.heap_limit_mb = heap_limit_mb
        self.max_renders = max_renders
        self.queue_timeout = float(queue_timeout)
        self.max_batch = max_batch
        self.batch_budget = batch_budget
        self.spill_after = spill_after
        self.node_env = node_env
        self.startup_timeout = startup_timeout
        self.python = python
        #: Average seconds per render and per round trip (exponentially
        #: weighted), for batch sizes and the choice of renderer.
        self._per_render: float | None = None
        self._per_trip: float | None = None
        # Keyed by process id: see _local().
        self._locals: dict[int, _Local] = {}

    # -- public API ---------------------------------------------------------------

    def call(self, name: str, args: t.Sequence[t.Any] = (), *, timeout: float | None = None) -> t.Any:
        """Call the export ``name`` of the entry with JSON-compatible ``args``
        on a free renderer, and return its JSON-compatible result.

        :raises RendererBusy: no renderer was free within ``queue_timeout``.
        :raises ~flask_vite.ssr.errors.SsrError: JavaScript threw, or the call
            was stopped (:class:`~flask_vite.ssr.errors.SsrTimeout`,
            :class:`~flask_vite.ssr.errors.SsrOutOfMemory`); the next call works.
        """
        local = self._local()
        job = _Job(name, list(args), self.timeout if timeout is None else float(timeout))
        give_up = time.monotonic() + self.queue_timeout
        with local.cond:
            self._check_open(local)
            if not local.started:
                self._start(local)
                # The first call also waits for the renderers to boot.
                give_up += self.startup_timeout
            local.queue.append(job)
            while True:
                if job.done:
                    return job.outcome()
                wait_more = None
                if not job.taken and local.idle:
                    renderer, wait_more = self._pick(local)
                    if renderer is not None:
                        local.idle.remove(renderer)
                        renderer.busy_since = time.monotonic()
                        # Ours alone from here on: no other caller batches it.
                        local.queue.remove(job)
                        job.taken = True
                        break
                if job.taken:
                    # Another caller runs it in a batch; its deadline bounds the wait.
                    local.cond.wait()
                    continue
                if local.closed:
                    local.queue.remove(job)
                    self._check_open(local)
                if wait_more is not None:
                    # A renderer is free, but the one before it is about to be.
                    local.cond.wait(wait_more)
                    continue
                remaining = give_up - time.monotonic()
                if remaining <= 0:
                    local.queue.remove(job)
                    raise RendererBusy(
                        f"no SSR renderer was free within {self.queue_timeout:g} s ({self.size} renderer"
                        f"{'s' if self.size != 1 else ''} busy, {len(local.queue)} calls waiting). Raise "
                        "VITE_SSR_WORKERS, add web workers, or look for slow renders.")
                local.cond.wait(remaining)
        self._run(local, renderer, job)
        return job.outcome()

    def stats(self) -> PoolStats:
        """How the pool is doing in this process."""
        local = self._local()
        with local.cond:
            return PoolStats(
                size=self.size, renders=local.renders, round_trips=local.round_trips,
                batched=local.batched, recycled=local.recycled, fatal=local.fatal,
                pids=tuple(r.process.pid for r in local.renderers
                           if r.process is not None and r.process.pid is not None),
                idle=len(local.idle), waiting=len(local.queue))

    def close(self) -> None:
        """Stop this process's renderers. Calls waiting for one fail; a later
        :meth:`call` raises."""
        local = self._locals.get(os.getpid())
        if local is None:
            return
        with local.cond:
            local.closed = True
            processes = [p for r in local.renderers for p in (r.process, r.standby) if p is not None]
            warmers = list(local.warmers)
            local.idle.clear()
            local.cond.notify_all()
        for process in processes:
            process.close()
        for thread in warmers:
            if thread is not threading.current_thread():
                thread.join(self.startup_timeout)

    def __enter__(self) -> RendererPool:  # noqa: PYI034 - typing.Self needs 3.11
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<RendererPool {self.entry} size={self.size}>"

    # -- state per process ----------------------------------------------------------

    def _local(self) -> _Local:
        """This process's state, created on first use.

        Never inherited: in a forked worker the parent's renderers belong to
        the parent (their :class:`SsrProcess` objects only drop their pipe
        ends here when collected), and its lock may be a pre-fork, unpatched
        one. ``setdefault`` keeps two threads from making two states.
        """
        pid = os.getpid()
        local = self._locals.get(pid)
        if local is None:
            local = self._locals.setdefault(pid, _Local(pid, self.size))
            for other in [p for p in list(self._locals) if p != pid]:
                self._locals.pop(other, None)
        return local

    def _check_open(self, local: _Local) -> None:
        if local.closed:
            raise RuntimeError("this RendererPool is closed")

    def _start(self, local: _Local) -> None:
        """Boot every renderer at once (called with the lock held)."""
        local.started = True
        for renderer in local.renderers:
            self._in_background(local, self._start_renderer, renderer, "start")

    # -- batches ----------------------------------------------------------------------

    def _spill(self) -> float:
        if self.spill_after is not None:
            return self.spill_after
        per_render, per_trip = self._per_render, self._per_trip
        if per_render is None or per_trip is None or per_render > SLOW_RENDER:
            return 0.0
        return min(MAX_SPILL, max(MIN_SPILL, 3 * per_trip))

    def _pick(self, local: _Local) -> tuple[_Renderer | None, float | None]:
        """The free renderer to use now, or how long to wait for the one
        before it (lock held; ``local.idle`` is not empty)."""
        first = min(local.idle, key=lambda r: r.index)
        spill = self._spill()
        if spill <= 0:
            return first, None
        now = time.monotonic()
        for ahead in local.renderers[:first.index]:
            # Busy (a cold renderer is warming up: not back soon).
            if not ahead.cold and ahead.busy_since is not None and now - ahead.busy_since < spill:
                return None, spill - (now - ahead.busy_since)
        return first, None

    def _batch_limit(self) -> int:
        if self.max_batch == 1 or self._per_render is None:
            return 1
        return max(1, min(self.max_batch, int(self.batch_budget / max(self._per_render, 1e-6))))

    def _take_batch(self, local: _Local, job: _Job, limit: int) -> list[_Job]:
        """``job`` (taken already) and the oldest waiting calls of the same
        export, ``limit`` calls at most (lock held)."""
        batch = [job]
        if limit > 1 and local.queue:
            for other in local.queue:
                if len(batch) >= limit:
                    break
                if other.name == job.name:
                    batch.append(other)
            for other in batch[1:]:
                local.queue.remove(other)
        for taken in batch:
            taken.taken = True
        return batch

    def _run(self, local: _Local, renderer: _Renderer, first: _Job) -> None:
        """Run ``first``, with the calls waiting for the same export, on
        ``renderer`` (which this caller holds), then give it back."""
        process = renderer.process
        fatal = False
        batch = [first]
        try:
            limit = self._batch_limit()
            if limit > 1:
                # Let the requests this worker is reading right now reach the
                # pool before the batch is made: under gevent, sleep(0) runs
                # the greenlets that are ready, and they queue their renders
                # behind this one instead of waiting for the next round trip
                # (issue 7: a round trip costs more CPU than a render).
                time.sleep(0)
            with local.cond:
                batch = self._take_batch(local, first, limit)
            assert process is not None
            started = time.perf_counter()
            if len(batch) == 1:
                fatal = self._call_one(process, batch[0])
            else:
                results: t.Any
                try:
                    results = process.call(
                        CALL_MANY_URL, "callMany", [self.entry, batch[0].name, [j.args for j in batch]],
                        timeout=min(j.timeout for j in batch))
                except FATAL_ERRORS as e:
                    # Which call ran away is unknown: each runs again on its own.
                    logger.warning("a batch of %d SSR renders was stopped (%s); running them one by one",
                                   len(batch), type(e).__name__)
                    fatal, results = True, None
                except Exception:  # noqa: BLE001 - each call runs alone and reports its own
                    # A result that is not JSON, arguments that are not (then
                    # nothing was sent): only the call at fault should fail.
                    results = None
                if isinstance(results, dict):  # every call succeeded
                    results = [(True, value) for value in results["values"]]
                if results is not None and len(results) == len(batch):
                    for job, (ok, value) in zip(batch, results):
                        if ok:
                            job.finish(value)
                for job in batch:
                    if not job.done:
                        fatal = self._call_one(process, job) or fatal
            if not fatal:
                self._note_time(time.perf_counter() - started, len(batch))
        finally:
            with local.cond:
                for job in batch:
                    if not job.done:  # interrupted (a killed greenlet, KeyboardInterrupt)
                        job.fail(SsrCrashed("the render was interrupted before it finished"))
                local.renders += len(batch)
                local.round_trips += 1
                if len(batch) > 1:
                    local.batched += len(batch)
                renderer.renders += len(batch)
                renderer.busy_since = None
                if fatal:
                    local.fatal += 1
                    renderer.cold = True
                if (self.max_renders and renderer.renders >= self.max_renders and not local.closed
                        and not renderer.preparing and renderer.standby is None):
                    renderer.preparing = True
                    self._in_background(local, self._prepare, renderer, "replace")
                if renderer.cold and renderer.standby is None and not local.closed:
                    self._in_background(local, self._warm, renderer, "warm")
                    old = None
                else:
                    old = self._release(local, renderer)
            if old is not None:
                old.close()

    def _call_one(self, process: SsrProcess, job: _Job) -> bool:
        """Run one call; returns whether it ended the renderer's child."""
        try:
            job.finish(process.call(self.entry, job.name, job.args, timeout=job.timeout))
        except FATAL_ERRORS as e:
            job.fail(e)
            return True
        except Exception as e:  # noqa: BLE001 - the caller's to raise
            job.fail(e)
        return False

    def _note_time(self, seconds: float, renders: int) -> None:
        def ewma(previous: float | None, value: float) -> float:
            return value if previous is None else previous * 0.9 + value * 0.1

        self._per_render = ewma(self._per_render, seconds / renders)
        self._per_trip = ewma(self._per_trip, seconds)

    # -- renderers coming and going ------------------------------------------------------

    def _new_process(self) -> SsrProcess:
        from ..ssr.process import SsrProcess

        process = SsrProcess(timeout=self.timeout, heap_limit_mb=self.heap_limit_mb,
                             node_env=self.node_env, module_format="cjs",
                             startup_timeout=self.startup_timeout, python=self.python)
        process.define_modules({**self.modules, CALL_MANY_URL: _CALL_MANY_FILE.read_text("utf-8")})
        return process

    def _in_background(self, local: _Local, target: t.Callable[[_Local, _Renderer], None],
                       renderer: _Renderer, what: str) -> None:
        """Run ``target(local, renderer)`` in a thread (lock held).

        A thread (a greenlet under gevent): the caller that noticed the need
        answers its own request at once instead of waiting for V8 to start.
        """
        thread = threading.Thread(target=target, args=(local, renderer),
                                  name=f"flask-vite-ssr-{what}-{renderer.index}", daemon=True)
        local.warmers.add(thread)
        thread.start()

    def _release(self, local: _Local, renderer: _Renderer) -> SsrProcess | None:
        """Put ``renderer`` back in service (lock held), on its replacement if
        one is ready. Returns the process it replaced, to close outside the lock."""
        old = None
        if renderer.standby is not None:
            old, renderer.process, renderer.standby = renderer.process, renderer.standby, None
            renderer.renders = 0
            renderer.cold = False
            local.recycled += 1
        if local.closed:
            return old
        local.idle.append(renderer)
        local.cond.notify_all()
        return old

    def _load(self, process: SsrProcess) -> None:
        """Evaluate the bundle in ``process`` now, not in the first render."""
        try:
            process.import_(self.entry, timeout=max(self.timeout, self.startup_timeout))
        except Exception as e:  # noqa: BLE001 - the first render reports it
            logger.warning("the SSR bundle %s failed to load in a new renderer: %s", self.entry, e)

    def _start_renderer(self, local: _Local, renderer: _Renderer) -> None:
        """First boot of a renderer (in the background)."""
        with local.cond:
            if local.closed:
                local.warmers.discard(threading.current_thread())
                return
            # Started under the lock: close() sees it and stops it.
            renderer.process = self._new_process()
        self._warm(local, renderer)

    def _warm(self, local: _Local, renderer: _Renderer) -> None:
        """Load the bundle in ``renderer``'s (new or respawned) child, then
        put it back in service."""
        try:
            if renderer.process is not None:
                self._load(renderer.process)
        finally:
            with local.cond:
                local.warmers.discard(threading.current_thread())
                renderer.cold = False
                old = self._release(local, renderer)
                closed = local.closed
            if old is not None:
                old.close()
            if closed and renderer.process is not None:
                renderer.process.close()  # made while close() was running

    def _prepare(self, local: _Local, renderer: _Renderer) -> None:
        """Start and load ``renderer``'s replacement while it keeps serving;
        it takes over when the renderer is next free."""
        new: SsrProcess | None = None
        try:
            with local.cond:
                if local.closed:
                    return
                new = self._new_process()
            self._load(new)
        finally:
            with local.cond:
                local.warmers.discard(threading.current_thread())
                renderer.preparing = False
                old = None
                if new is not None and not local.closed:
                    renderer.standby, new = new, None
                    if renderer in local.idle:
                        # Free right now: switch at once.
                        local.idle.remove(renderer)
                        old = self._release(local, renderer)
            for process in (old, new):
                if process is not None:
                    process.close()
