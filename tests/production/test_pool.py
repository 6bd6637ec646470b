"""The renderer pool on its own: batching, faults inside a batch, recycling,
waiting for a free renderer, forks, and cleanup."""
from __future__ import annotations

import concurrent.futures
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

from flask_vite.production.pool import RendererBusy, RendererPool
from flask_vite.ssr.errors import SsrError, SsrTimeout

ROOT = Path(__file__).resolve().parents[2]

#: A CommonJS bundle as the build writes one (module.exports = the entry's exports).
BUNDLE = """\
"use strict";
let count = 0;
function render(url, props) {
  if (url === "/loop") { for (;;) {} }
  if (url === "/throw") { throw new TypeError("bad " + url); }
  count++;
  return { html: "<p>" + url + "</p>", head: props ? JSON.stringify(props) : "" };
}
async function later(url) {
  await new Promise((r) => setTimeout(r, 1));
  return { html: "<p>" + url + "</p>" };
}
function renders() { return count; }
function slow() { const end = Date.now() + 200; while (Date.now() < end) {} return 1; }
// A page as a plain string, with text outside the BMP (two UTF-16 units each).
function page(url) {
  if (url.startsWith("/lone")) return "<p>\\uD800" + url + "</p>";
  if (url.startsWith("/object")) return { html: "<p>\\u{1F44B}" + url + "</p>", head: "<title>\\u00e9</title>" };
  return url.startsWith("/emoji") ? "<p>\\u{1F44B} " + url + " \\u00e9</p>" : "<p>" + url + "</p>";
}
module.exports = { render, later, renders, slow, page };
"""


def make_pool(**options: t.Any) -> RendererPool:
    return RendererPool({"/entry-server.js": BUNDLE}, "/entry-server.js", **options)


@pytest.fixture
def pool() -> t.Iterator[RendererPool]:
    with make_pool(size=2, timeout=1.0) as pool:
        yield pool


def run_concurrently(pool: RendererPool, urls: list[str], name: str = "render") -> list[t.Any]:
    def one(url: str) -> t.Any:
        try:
            return pool.call(name, [url])
        except SsrError as e:
            return e

    with concurrent.futures.ThreadPoolExecutor(max_workers=len(urls)) as executor:
        return list(executor.map(one, urls))


def test_a_call_renders_with_args(pool: RendererPool) -> None:
    assert pool.call("render", ["/a", {"user": "ann"}]) == {"html": "<p>/a</p>", "head": '{"user":"ann"}'}
    assert pool.call("later", ["/b"]) == {"html": "<p>/b</p>"}


def test_queued_calls_are_batched_and_each_gets_its_own_result(pool: RendererPool) -> None:
    pool.call("render", ["/warm"])  # a render time to size batches with
    urls = [f"/page/{i}" for i in range(100)]
    results = run_concurrently(pool, urls)
    assert results == [{"html": f"<p>{u}</p>", "head": ""} for u in urls]
    later = run_concurrently(pool, urls, "later")
    assert later == [{"html": f"<p>{u}</p>"} for u in urls]
    stats = pool.stats()
    assert stats.renders == 201
    assert stats.batched > 0 and stats.round_trips < stats.renders
    assert stats.waiting == 0
    # Both renderers free once the second one has booted (in the background).
    deadline = time.monotonic() + 30
    while pool.stats().idle != 2:
        assert time.monotonic() < deadline, pool.stats()
        time.sleep(0.01)


def test_batched_pages_keep_every_character() -> None:
    """Pages (strings, {html, head}) come back from a batch as raw text."""
    with make_pool(size=1, max_batch=64, batch_budget=10.0) as pool:
        pool.call("page", ["/warm"])
        urls = [f"/emoji/{i}" if i % 3 == 0 else f"/object/{i}" if i % 3 == 1 else f"/{i}\n" for i in range(60)]
        results = run_concurrently(pool, urls, "page")
        assert results == [f"<p>👋 {u} é</p>" if u.startswith("/emoji")
                           else {"html": f"<p>👋{u}</p>", "head": "<title>é</title>"} if u.startswith("/object")
                           else f"<p>{u}</p>" for u in urls]
        assert pool.stats().batched > 0
        # A lone surrogate in one page: that batch goes as JSON, nothing lost.
        urls = [f"/lone/{i}" if i == 7 else f"/{i}" for i in range(30)]
        results = run_concurrently(pool, urls, "page")
        assert results == [f"<p>\ud800{u}</p>" if u.startswith("/lone") else f"<p>{u}</p>" for u in urls]


def test_batching_can_be_turned_off() -> None:
    with make_pool(size=1, max_batch=1) as pool:
        pool.call("render", ["/warm"])
        run_concurrently(pool, [f"/{i}" for i in range(20)])
        stats = pool.stats()
        assert stats.batched == 0 and stats.round_trips == stats.renders == 21


def test_only_the_culprit_of_a_batch_fails() -> None:
    """One renderer, so the calls queue up and go as batches; the batch with
    the endless render is stopped, and its other calls run again alone."""
    with make_pool(size=1, timeout=1.0) as pool:
        pool.call("render", ["/warm"])
        urls = [f"/{i}" for i in range(30)]
        urls[17] = "/loop"
        urls[5] = "/throw"
        results = run_concurrently(pool, urls)
        for url, result in zip(urls, results):
            if url == "/loop":
                assert isinstance(result, SsrTimeout)
            elif url == "/throw":
                # Re-run alone: the same error as an unbatched call, with its frames.
                assert isinstance(result, SsrError) and result.name == "TypeError"
                assert "bad /throw" in str(result) and result.frames
            else:
                assert result == {"html": f"<p>{url}</p>", "head": ""}
        assert pool.stats().fatal >= 1
        assert pool.call("render", ["/after"]) == {"html": "<p>/after</p>", "head": ""}


def test_renderers_are_replaced_after_max_renders_without_a_stall() -> None:
    with make_pool(size=1, max_renders=5, max_batch=1) as pool:
        pool.call("render", ["/"])
        pids = set(pool.stats().pids)
        deadline = time.monotonic() + 60
        slowest = 0.0
        i = 0
        while pool.stats().recycled < 2:
            assert time.monotonic() < deadline, pool.stats()
            started = time.monotonic()
            assert pool.call("render", [f"/{i}"])["html"] == f"<p>/{i}</p>"
            slowest = max(slowest, time.monotonic() - started)
            i += 1
        # Each replacement was started and loaded while the old renderer went
        # on serving (more than max_renders each), and no render waited for
        # a boot (loose bound: the machine may be busy).
        assert i > 2 * 5 + 2
        assert slowest < 1.0, slowest
        assert not pids & set(pool.stats().pids)
        # Module state starts again with each replacement.
        assert pool.call("renders") < i


def test_a_call_waits_for_a_free_renderer_then_gives_up() -> None:
    with make_pool(size=1, timeout=3.0, queue_timeout=0.3, max_batch=1) as pool:
        pool.call("render", ["/warm"])
        looping = threading.Thread(target=lambda: pytest.raises(SsrTimeout, pool.call, "render", ["/loop"]))
        looping.start()
        time.sleep(0.2)
        started = time.monotonic()
        with pytest.raises(RendererBusy, match="no SSR renderer was free within 0.3 s"):
            pool.call("render", ["/waiting"])
        assert 0.25 < time.monotonic() - started < 1.5
        looping.join()
        # The renderer boots again after the kill (in the background): wait for it.
        pool.queue_timeout = 30
        assert pool.call("render", ["/after"])["html"] == "<p>/after</p>"


def test_close_reaps_the_renderers_and_later_calls_fail() -> None:
    pool = make_pool(size=2)
    pool.call("render", ["/"])
    pids = pool.stats().pids
    assert len(pids) == 2
    pool.close()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    with pytest.raises(RuntimeError, match="closed"):
        pool.call("render", ["/"])


FORK_SCRIPT = textwrap.dedent("""
    import json, os, sys
    sys.path.insert(0, {root!r})
    from tests.production.test_pool import make_pool

    pool = make_pool(size=2)
    pool.call("render", ["/parent"])
    parent = sorted(pool.stats().pids)
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        # A preloading server's worker: renders with renderers of its own.
        html = pool.call("render", ["/child"])["html"]
        os.write(write, json.dumps([html, sorted(pool.stats().pids)]).encode())
        pool.close()
        os._exit(0)
    os.waitpid(child, 0)
    html, in_child = json.loads(os.read(read, 65536))
    # The child's exit left the parent's renderers alone.
    after = pool.call("render", ["/parent-again"])["html"]
    print(json.dumps({{"parent": parent, "child": in_child, "html": html, "after": after,
                      "parent_after": sorted(pool.stats().pids)}}))
    pool.close()
""")


def test_a_forked_worker_never_uses_its_parent_s_renderers() -> None:
    out = subprocess.run([sys.executable, "-c", FORK_SCRIPT.format(root=str(ROOT))], capture_output=True,
                         text=True, timeout=120, cwd=ROOT, check=False)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["html"] == "<p>/child</p>" and result["after"] == "<p>/parent-again</p>"
    assert len(result["child"]) == 2 and not set(result["child"]) & set(result["parent"])
    assert result["parent_after"] == result["parent"]


def test_a_runaway_render_does_not_hold_up_the_others() -> None:
    """Fast renders go to the first renderer (bigger batches); while it is
    stuck in a render, the next one takes over at once."""
    with make_pool(size=2, timeout=2.0) as pool:
        for i in range(50):  # timings for the choice of renderer
            pool.call("render", [f"/{i}"])
        looping = threading.Thread(target=lambda: pytest.raises(SsrTimeout, pool.call, "render", ["/loop"]))
        looping.start()
        time.sleep(0.1)
        for i in range(20):
            started = time.monotonic()
            assert pool.call("render", [f"/during/{i}"])["html"] == f"<p>/during/{i}</p>"
            assert time.monotonic() - started < 0.5
        looping.join()


def test_arguments_that_are_not_json_fail_only_their_own_call() -> None:
    # One renderer, kept busy while the calls queue, then one batch for all.
    with make_pool(size=1, max_batch=64, batch_budget=10.0) as pool:
        pool.call("render", ["/warm"])
        busy = threading.Thread(target=pool.call, args=("slow",))
        busy.start()
        time.sleep(0.05)
        results: list[t.Any] = [None] * 30

        def one(i: int) -> None:
            props: t.Any = {"bad": {1, 2}} if i == 7 else {"i": i}
            try:
                results[i] = pool.call("render", [f"/{i}", props])
            except Exception as e:  # noqa: BLE001
                results[i] = e

        threads = [threading.Thread(target=one, args=(i,)) for i in range(30)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        busy.join()
        assert pool.stats().batched >= 30
        assert isinstance(results[7], TypeError)
        for i, result in enumerate(results):
            if i != 7:
                assert result == {"html": f"<p>/{i}</p>", "head": json.dumps({"i": i}, separators=(",", ":"))}
