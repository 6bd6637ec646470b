"""The web-platform shims of flask_vite/ssr/runtime/, in a real isolate."""
from __future__ import annotations

import logging
import time
import typing as t

import pytest

from flask_vite.ssr.process import SsrProcess

from .conftest import Js, exports

# -- TextEncoder / TextDecoder / base64 ----------------------------------------------


def test_text_encoder_round_trip_with_astral_characters(js: Js) -> None:
    text = "héllo wörld 👋🏽 𝄞 €"
    result = js("""
        const [text] = args;
        const bytes = new TextEncoder().encode(text);
        return { bytes: Array.from(bytes), back: new TextDecoder().decode(bytes) };
    """, text)
    assert bytes(result["bytes"]) == text.encode("utf-8")
    assert result["back"] == text


def test_text_encoder_lone_surrogate_and_encode_into(js: Js) -> None:
    result = js("""
        const lone = Array.from(new TextEncoder().encode("a\\ud800b"));
        const target = new Uint8Array(5);
        const { read, written } = new TextEncoder().encodeInto("ab👋", target);
        return { lone, read, written, target: Array.from(target) };
    """)
    assert bytes(result["lone"]) == "a\ufffdb".encode()
    # The 4-byte emoji does not fit after "ab" in 5 bytes: nothing of it is written.
    assert (result["read"], result["written"]) == (2, 2)


def test_text_decoder_streams_split_sequences_and_replaces_bad_bytes(js: Js) -> None:
    result = js("""
        const bytes = new TextEncoder().encode("€👋");
        const d = new TextDecoder();
        const streamed = d.decode(bytes.subarray(0, 2), { stream: true }) +
          d.decode(bytes.subarray(2, 5), { stream: true }) + d.decode(bytes.subarray(5));
        const bad = new TextDecoder().decode(new Uint8Array([0x61, 0xff, 0xe2, 0x82, 0x62]));
        let fatal = null;
        try { new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array([0xc3])); }
        catch (e) { fatal = e.name; }
        const bom = new TextDecoder().decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x41]));
        return { streamed, bad, fatal, bom };
    """)
    assert result == {"streamed": "€👋", "bad": "a\ufffd\ufffdb", "fatal": "TypeError", "bom": "A"}


def test_base64(js: Js) -> None:
    result = js("""
        let error = null;
        try { btoa("€"); } catch (e) { error = e.name; }
        return [btoa("hello\\u00ff"), atob("aGVsbG8="), atob(" aGk = "), error];
    """)
    assert result == ["aGVsbG//", "hello", "hi", "InvalidCharacterError"]


# -- timers, microtasks, MessageChannel ----------------------------------------------


def test_timers_and_microtasks_run_in_order(js: Js) -> None:
    order = js("""
        const order = [];
        await new Promise((done) => {
          setTimeout(() => order.push("timeout 20"), 20);
          setTimeout(() => { order.push("timeout 0"); Promise.resolve().then(() => order.push("micro in task")); }, 0);
          setImmediate(() => order.push("immediate"));
          setTimeout(() => order.push("timeout 0 (2)"), 0);
          const cleared = setTimeout(() => order.push("cleared"), 5);
          clearTimeout(cleared);
          queueMicrotask(() => order.push("microtask"));
          Promise.resolve().then(() => order.push("promise"));
          let n = 0;
          const interval = setInterval(() => { order.push(`interval ${++n}`); if (n === 3) clearInterval(interval); }, 1);
          setTimeout(done, 40);
          order.push("sync");
        });
        return order;
    """)
    assert order[:3] == ["sync", "microtask", "promise"]
    # Each task's microtasks run before the next task (one task per host turn).
    assert order[3:6] == ["timeout 0", "micro in task", "immediate"]
    assert order.index("timeout 0 (2)") == 6
    assert [o for o in order if o.startswith("interval")] == ["interval 1", "interval 2", "interval 3"]
    assert order[-1] == "timeout 20" and "cleared" not in order


def test_a_render_awaiting_a_timer_completes(js: Js) -> None:
    assert js("await new Promise((r) => setTimeout(r, 30)); return 'done';") == "done"


def test_due_tasks_run_before_the_result_and_others_between_calls(
        proc: SsrProcess, caplog: pytest.LogCaptureFixture) -> None:
    proc.define_modules({"/between.js": exports(render="render", ticks="ticks", stop="stop") + """
        let count = 0;
        const interval = setInterval(() => { count++; }, 5);
        function render() { setTimeout(() => console.log("zero-delay task ran"), 0); return "html"; }
        function ticks() { return count; }
        function stop() { clearInterval(interval); }
    """})
    with caplog.at_level(logging.INFO, logger="flask_vite.ssr"):
        assert proc.call("/between.js", "render") == "html"
    assert [r.getMessage() for r in caplog.records] == ["zero-delay task ran"]
    first = proc.call("/between.js", "ticks")
    time.sleep(0.2)
    # The interval kept running in the child while no call was in progress.
    assert proc.call("/between.js", "ticks") >= first + 10
    proc.call("/between.js", "stop")


@pytest.mark.parametrize("value", [
    "<p>page</p>", "", "👋 é \u2028 \x00 \"quoted\" \\", "a\ud800b", "\udc00",
    {"html": "<p>👋</p>", "head": ""}, {"html": "<p>x</p>", "head": "\ud800"},
    {"values": [{"html": "a"}, {"html": "b\n"}], "n": ["1", "👋"]},
    {"html": "<p>x</p>", "status": 404}, ["a", None, True, 1.5], {"0": "a", "b": "c", "1": "d"},
])
def test_results_come_back_unchanged(proc: SsrProcess, caplog: pytest.LogCaptureFixture,
                                     value: t.Any) -> None:
    """A value made of well-formed strings crosses as raw text (no JSON)
    when nothing was logged; anything else, or with logs, as JSON."""
    proc.define_modules({"/strings.js": exports(same="same", logged="logged") + """
        function same(value) { return value; }
        function logged(value) { console.log("rendered"); return value; }
    """})
    assert proc.call("/strings.js", "same", [value]) == value
    with caplog.at_level(logging.INFO, logger="flask_vite.ssr"):
        assert proc.call("/strings.js", "logged", [value]) == value
    assert [r.getMessage() for r in caplog.records] == ["rendered"]


def test_a_throwing_timer_is_logged_not_fatal(js: Js, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="flask_vite.ssr"):
        result = js("""
            setTimeout(() => { throw new Error("boom in timer"); }, 0);
            queueMicrotask(() => { throw new Error("boom in microtask"); });
            await new Promise((r) => setTimeout(r, 5));
            return "still here";
        """)
    assert result == "still here"
    texts = [r.getMessage() for r in caplog.records]
    assert any("Uncaught (in setTimeout callback) Error: boom in timer" in t for t in texts)
    assert any("boom in microtask" in t for t in texts)


def test_message_channel_delivers_asynchronously_in_order(js: Js) -> None:
    result = js("""
        const { port1, port2 } = new MessageChannel();
        const got = [];
        const all = new Promise((resolve) => {
          port1.onmessage = (event) => { got.push(event.data); if (got.length === 3) resolve(); };
        });
        const payload = { nested: [1, { deep: true }], when: new Date(0) };
        port2.postMessage("a");
        port2.postMessage(payload);
        port2.postMessage(null);
        const synchronously = got.length;
        payload.nested[1].deep = false; // a clone was posted
        await all;
        return { synchronously, got: [got[0], got[1].nested, got[1].when instanceof Date, got[2]] };
    """)
    assert result == {"synchronously": 0, "got": ["a", [1, {"deep": True}], True, None]}


def test_structured_clone(js: Js) -> None:
    result = js("""
        const a = { list: [1, 2], map: new Map([["k", new Set([1])]]), bytes: new Uint8Array([1, 2]) };
        a.self = a;
        const b = structuredClone(a);
        let error = null;
        try { structuredClone({ f() {} }); } catch (e) { error = e.name; }
        return [b !== a, b.self === b, b.list, [...b.map.get("k")], Array.from(b.bytes), error];
    """)
    assert result == [True, True, [1, 2], [1], [1, 2], "DataCloneError"]


# -- URL, AbortController, performance, process, console -----------------------------

URL_CASES = [
    ("https://User:Pw@Example.COM:443/a/./b/../c?x=1 2#frag", None,
     ["https://User:Pw@example.com/a/c?x=1%202#frag", "https:", "example.com", "", "/a/c", "?x=1%202", "#frag", "https://example.com"]),
    ("../d/e?q", "http://localhost:5173/a/b/c", ["http://localhost:5173/a/d/e?q", "http:", "localhost:5173", "5173", "/a/d/e", "?q", "", "http://localhost:5173"]),
    ("//cdn.example/x.js", "https://app.example/p", ["https://cdn.example/x.js", "https:", "cdn.example", "", "/x.js", "", "", "https://cdn.example"]),
    ("/ünï code", "http://h", ["http://h/%C3%BCn%C3%AF%20code", "http:", "h", "", "/%C3%BCn%C3%AF%20code", "", "", "http://h"]),
    ("?only=query", "http://h/path/x", ["http://h/path/x?only=query", "http:", "h", "", "/path/x", "?only=query", "", "http://h"]),
    ("http://[::1]:8080/", None, ["http://[::1]:8080/", "http:", "[::1]:8080", "8080", "/", "", "", "http://[::1]:8080"]),
    ("file:///tmp/a b.txt", None, ["file:///tmp/a%20b.txt", "file:", "", "", "/tmp/a%20b.txt", "", "", "null"]),
    ("mailto:ann@example.com", None, ["mailto:ann@example.com", "mailto:", "", "", "ann@example.com", "", "", "null"]),
]


@pytest.mark.parametrize(("url", "base", "expected"), URL_CASES)
def test_url_parsing(js: Js, url: str, base: str | None, expected: list[str]) -> None:
    result = js("""
        const [input, base] = args;
        const u = base === null ? new URL(input) : new URL(input, base);
        return [u.href, u.protocol, u.host, u.port, u.pathname, u.search, u.hash, u.origin];
    """, url, base)
    assert result == expected


def test_url_invalid_and_search_params(js: Js) -> None:
    result = js("""
        const invalid = ["not a url", "http://", "http://a:99999"].map((s) => URL.canParse(s));
        let error = null;
        try { new URL("relative/only"); } catch (e) { error = e.name; }
        const u = new URL("http://h/p?a=1&b=x+y&a=2&c=%C3%A9");
        const p = u.searchParams;
        const read = [p.get("a"), p.getAll("a"), p.get("b"), p.get("c"), p.has("z"), p.size];
        p.append("d", "é &=");
        p.delete("a");
        p.set("b", "new");
        u.hash = "top";
        const fromObject = new URLSearchParams({ q: "x y", n: 1 }).toString();
        const sorted = new URLSearchParams("b=2&a=1&b=1");
        sorted.sort();
        return { invalid, error, read, href: u.href, fromObject, sorted: sorted.toString(),
                 entries: [...new URLSearchParams("?x=1&y")] };
    """)
    assert result["invalid"] == [False, False, False]
    assert result["error"] == "TypeError"
    assert result["read"] == ["1", ["1", "2"], "x y", "é", False, 4]
    assert result["href"] == "http://h/p?b=new&c=%C3%A9&d=%C3%A9+%26%3D#top"
    assert result["fromObject"] == "q=x+y&n=1"
    assert result["sorted"] == "a=1&b=2&b=1"
    assert result["entries"] == [["x", "1"], ["y", ""]]


def test_abort_controller(js: Js) -> None:
    result = js("""
        const controller = new AbortController();
        const seen = [];
        controller.signal.addEventListener("abort", () => seen.push("listener"));
        controller.signal.onabort = () => seen.push("onabort");
        controller.abort();
        controller.abort(); // once only
        let thrown = null;
        try { controller.signal.throwIfAborted(); } catch (e) { thrown = e.name; }
        const timeout = AbortSignal.timeout(5);
        await new Promise((r) => timeout.addEventListener("abort", r));
        return { seen, aborted: controller.signal.aborted, thrown, timeout: timeout.reason.name,
                 already: AbortSignal.abort("why").reason };
    """)
    assert result == {"seen": ["onabort", "listener"], "aborted": True, "thrown": "AbortError",
                      "timeout": "TimeoutError", "already": "why"}


def test_performance_process_and_globals(js: Js) -> None:
    result = js("""
        const t0 = performance.now();
        await new Promise((r) => setTimeout(r, 15));
        return { elapsed: performance.now() - t0, env: process.env.NODE_ENV,
                 versions: typeof process.versions,
                 types: ["setTimeout", "queueMicrotask", "TextEncoder", "URL", "MessageChannel",
                         "AbortController", "structuredClone", "ReadableStream", "atob", "Intl"]
                   .map((name) => typeof globalThis[name]) };
    """)
    assert result["elapsed"] >= 14
    assert result["env"] == "development"
    # Nothing of Node beyond NODE_ENV: feature tests for Node stay false.
    assert result["versions"] == "undefined"
    assert set(result["types"]) <= {"function", "object"}


def test_readable_stream(js: Js) -> None:
    result = js("""
        let pulls = 0;
        const stream = new ReadableStream({
          start(c) { c.enqueue("a"); },
          pull(c) { pulls++; if (pulls < 3) c.enqueue("p" + pulls); else c.close(); },
        });
        const chunks = [];
        for await (const chunk of stream) chunks.push(chunk);
        const errored = new ReadableStream({ start(c) { c.error(new Error("nope")); } });
        let error = null;
        try { await errored.getReader().read(); } catch (e) { error = e.message; }
        return { chunks, error };
    """)
    assert result == {"chunks": ["a", "p1", "p2"], "error": "nope"}


def test_console_goes_to_logging_with_levels(js: Js, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="flask_vite.ssr"):
        js("""
            console.log("log %s has %d items", "cart", 3, { a: [1, "two"] });
            console.info("info");
            console.debug("debug");
            console.warn("warn");
            console.error(new TypeError("bad"));
            console.assert(1 === 2, "math");
        """)
    got = [(r.levelno, r.getMessage().splitlines()[0], getattr(r, "ssr_console", None)) for r in caplog.records
           if r.name == "flask_vite.ssr"]
    assert got == [
        (logging.INFO, "log cart has 3 items { a: [ 1, 'two' ] }", "log"),
        (logging.INFO, "info", "info"),
        (logging.DEBUG, "debug", "debug"),
        (logging.WARNING, "warn", "warn"),
        (logging.ERROR, "TypeError: bad", "error"),
        (logging.ERROR, "Assertion failed: math", "assert"),
    ]
