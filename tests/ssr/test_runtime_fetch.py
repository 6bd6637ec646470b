"""The fetch shims of flask_vite/ssr/runtime/ (headers.js, fetch.js, blob.js,
formdata.js) in a real isolate, checked against what the Fetch, File API and
XHR standards (and browsers, Node's undici) do."""
from __future__ import annotations

import pytest

from .conftest import Js

# -- Headers ----------------------------------------------------------------------------


def test_headers_are_case_insensitive_and_multi_valued(js: Js) -> None:
    result = js("""
        const h = new Headers({ "Content-Type": "text/html", "X-Multi": "a" });
        h.append("x-multi", " b\\t");
        h.append("Set-Cookie", "a=1; Path=/");
        h.append("set-cookie", "b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT");
        const before = [h.get("CONTENT-type"), h.get("x-multi"), h.has("X-MULTI"), h.get("missing")];
        h.set("X-Multi", "c");
        h.delete("content-type");
        return {
          before, after: [h.get("x-multi"), h.has("content-type")],
          cookie: h.get("set-cookie"), setCookie: h.getSetCookie(),
          entries: [...h], keys: [...h.keys()], values: [...h.values()],
          fromPairs: [...new Headers([["B", "2"], ["a", "1"], ["b", "3"]])],
          copy: [...new Headers(h)].length,
          tag: Object.prototype.toString.call(h),
        };
    """)
    assert result["before"] == ["text/html", "a, b", True, None]
    assert result["after"] == ["c", False]
    # get() joins Set-Cookie like any header; getSetCookie() and iteration keep them apart.
    assert result["cookie"] == "a=1; Path=/, b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT"
    assert result["setCookie"] == ["a=1; Path=/", "b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT"]
    assert result["entries"] == [["set-cookie", "a=1; Path=/"],
                                 ["set-cookie", "b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT"],
                                 ["x-multi", "c"]]
    assert result["keys"] == ["set-cookie", "set-cookie", "x-multi"]
    assert result["values"][-1] == "c"
    # Sorted by name, values of one name combined in insertion order.
    assert result["fromPairs"] == [["a", "1"], ["b", "2, 3"]]
    assert result["copy"] == 3
    assert result["tag"] == "[object Headers]"


def test_headers_iteration_sees_changes_and_for_each(js: Js) -> None:
    result = js("""
        const h = new Headers([["a", "1"], ["c", "3"]]);
        const seen = [];
        for (const [name] of h) {
          seen.push(name);
          if (name === "a") h.append("b", "2");
        }
        const each = [];
        h.forEach(function (value, name, headers) { each.push([name, value, headers === h, this.tag]); }, { tag: "t" });
        return { seen, each };
    """)
    assert result["seen"] == ["a", "b", "c"]
    assert result["each"] == [["a", "1", True, "t"], ["b", "2", True, "t"], ["c", "3", True, "t"]]


@pytest.mark.parametrize(("code", "error"), [
    ('new Headers({"bad name": "x"})', "TypeError"),
    ('new Headers({"x": "a\\nb"})', "TypeError"),
    ('new Headers({"x": "\\u20ac"})', "TypeError"),  # above U+00FF: not a ByteString
    ('new Headers([["only-name"]])', "TypeError"),
    ('new Headers("x: y")', "TypeError"),
    ('Response.redirect("https://example.com/").headers.set("x", "1")', "TypeError"),  # immutable
    ('Response.error().headers.append("x", "1")', "TypeError"),
])
def test_headers_reject_what_the_standard_rejects(js: Js, code: str, error: str) -> None:
    assert js(f"try {{ {code}; return null; }} catch (e) {{ return e.name; }}") == error


def test_header_values_are_trimmed_and_latin1_kept(js: Js) -> None:
    assert js('return new Headers({ x: "  caf\\u00e9 \\t" }).get("x");') == "café"


# -- Request ----------------------------------------------------------------------------


def test_request_properties_and_text_body(js: Js) -> None:
    result = js("""
        const r = new Request("https://example.com/a/b?q=1#frag", {
          method: "post", headers: { "X-Test": "yes" }, body: "héllo",
        });
        return {
          url: r.url, method: r.method, x: r.headers.get("x-test"), type: r.headers.get("content-type"),
          signal: r.signal instanceof AbortSignal && !r.signal.aborted,
          defaults: [r.mode, r.credentials, r.cache, r.redirect, r.referrer, r.integrity, r.keepalive, r.destination, r.duplex],
          used: [r.bodyUsed, await r.text(), r.bodyUsed],
          patch: new Request("http://h/", { method: "patch" }).method,
          get: new Request("http://h/").method, body: new Request("http://h/").body,
        };
    """)
    assert result["url"] == "https://example.com/a/b?q=1#frag"
    assert result["method"] == "POST"
    assert result["x"] == "yes"
    assert result["type"] == "text/plain;charset=UTF-8"
    assert result["signal"] is True
    assert result["defaults"] == ["cors", "same-origin", "default", "follow", "about:client", "", False, "", "half"]
    assert result["used"] == [False, "héllo", True]
    # Only the six standard methods are upper-cased (PATCH is not one).
    assert result["patch"] == "patch"
    assert result["get"] == "GET" and result["body"] is None


def test_request_bodies_of_every_kind(js: Js) -> None:
    result = js("""
        const url = "http://h/";
        const bytes = new Request(url, { method: "PUT", body: new Uint8Array([0, 255, 1]) });
        const buffer = new Request(url, { method: "PUT", body: new Uint8Array([7, 8]).buffer });
        const params = new Request(url, { method: "POST", body: new URLSearchParams({ a: "1 2", b: "é" }) });
        const blob = new Request(url, { method: "POST", body: new Blob(["x"], { type: "Text/Plain" }) });
        const json = new Request(url, { method: "POST", body: JSON.stringify({ n: [1] }), headers: { "content-type": "application/json" } });
        const stream = new Request(url, { method: "POST", duplex: "half", body: new ReadableStream({
          start(c) { c.enqueue(new TextEncoder().encode("st")); c.enqueue(new TextEncoder().encode("ream")); c.close(); },
        }) });
        return {
          bytes: Array.from(new Uint8Array(await bytes.arrayBuffer())), bytesType: bytes.headers.get("content-type"),
          buffer: Array.from(await buffer.bytes()),
          params: [await params.text(), params.headers.get("content-type")],
          blob: [await blob.text(), blob.headers.get("content-type")],
          json: await json.json(), jsonType: json.headers.get("content-type"),
          stream: await stream.text(),
        };
    """)
    assert result["bytes"] == [0, 255, 1] and result["bytesType"] is None
    assert result["buffer"] == [7, 8]
    assert result["params"] == ["a=1+2&b=%C3%A9", "application/x-www-form-urlencoded;charset=UTF-8"]
    assert result["blob"] == ["x", "text/plain"]
    assert result["json"] == {"n": [1]} and result["jsonType"] == "application/json"
    assert result["stream"] == "stream"


@pytest.mark.parametrize(("code", "error"), [
    ('new Request("/relative")', "TypeError"),  # no document to resolve it against, as in Node
    ('new Request("http://user:pw@h/")', "TypeError"),
    ('new Request("http://h/", { method: "GET", body: "x" })', "TypeError"),
    ('new Request("http://h/", { method: "HEAD", body: "x" })', "TypeError"),
    ('new Request("http://h/", { method: "CONNECT" })', "TypeError"),
    ('new Request("http://h/", { method: "bad method" })', "TypeError"),
    ('new Request("http://h/", { mode: "navigate" })', "TypeError"),
    ('new Request("http://h/", { method: "POST", body: new ReadableStream() })', "TypeError"),  # duplex needed
    ('new Request("http://h/", { signal: {} })', "TypeError"),
])
def test_request_rejects_what_the_standard_rejects(js: Js, code: str, error: str) -> None:
    assert js(f"try {{ {code}; return null; }} catch (e) {{ return e.name; }}") == error


def test_request_body_is_read_once_and_clone_keeps_a_copy(js: Js) -> None:
    result = js("""
        const r = new Request("http://h/", { method: "POST", body: "once" });
        const copy = r.clone();
        const first = await r.text();
        let again = null;
        try { await r.text(); } catch (e) { again = e.name; }
        let cloneUsed = null;
        try { r.clone(); } catch (e) { cloneUsed = e.name; }
        const streamed = new Request("http://h/", { method: "POST", duplex: "half", body: new ReadableStream({
          start(c) { c.enqueue(new Uint8Array([104, 105])); c.close(); } }) });
        const teed = streamed.clone();
        return { first, again, cloneUsed, copy: await copy.text(), teed: [await streamed.text(), await teed.text()] };
    """)
    assert result == {"first": "once", "again": "TypeError", "cloneUsed": "TypeError", "copy": "once",
                      "teed": ["hi", "hi"]}


def test_request_from_a_request_takes_its_body_and_follows_its_signal(js: Js) -> None:
    result = js("""
        const controller = new AbortController();
        const original = new Request("http://h/x", { method: "POST", body: "moved", signal: controller.signal,
                                                    headers: { a: "1" } });
        const next = new Request(original, { headers: { b: "2" } });
        controller.abort("stop");
        return {
          url: next.url, method: next.method, headers: [...next.headers], text: await next.text(),
          originalUsed: original.bodyUsed, aborted: [next.signal.aborted, next.signal.reason],
        };
    """)
    assert result == {"url": "http://h/x", "method": "POST", "headers": [["b", "2"]], "text": "moved",
                      "originalUsed": True, "aborted": [True, "stop"]}


def test_request_form_data_urlencoded_and_multipart(js: Js) -> None:
    result = js("""
        const url = "http://h/";
        const urlencoded = new Request(url, { method: "POST", body: new URLSearchParams("a=1&b=x+y&a=2") });
        const form = new FormData();
        form.append("name", "Ann\\nLee");
        form.append("upload", new Blob([new Uint8Array([0, 1, 2])], { type: "application/x-bin" }), "a \\"q\\".bin");
        const multipart = new Request(url, { method: "POST", body: form });
        const type = multipart.headers.get("content-type");
        const raw = await multipart.clone().text();
        const parsed = await multipart.formData();
        const file = parsed.get("upload");
        const fromUrlencoded = await urlencoded.formData();
        let wrongType = null;
        try { await new Request(url, { method: "POST", body: "x" }).formData(); } catch (e) { wrongType = e.name; }
        return {
          urlencoded: [...fromUrlencoded], type: type.split(";")[0],
          crlf: raw.includes('name="name"\\r\\n\\r\\nAnn\\r\\nLee\\r\\n'),
          escaped: raw.includes('filename="a %22q%22.bin"'),
          name: parsed.get("name"),
          file: [file instanceof File, file.name, file.type, Array.from(new Uint8Array(await file.arrayBuffer()))],
          wrongType,
        };
    """)
    assert result["urlencoded"] == [["a", "1"], ["b", "x y"], ["a", "2"]]
    assert result["type"] == "multipart/form-data"
    assert result["crlf"] and result["escaped"]
    assert result["name"] == "Ann\r\nLee"
    assert result["file"] == [True, 'a "q".bin', "application/x-bin", [0, 1, 2]]
    assert result["wrongType"] == "TypeError"


def test_form_data_parses_a_browser_multipart_body(js: Js) -> None:
    body = (
        "preamble\r\n"
        "--XyZ\r\n"
        'Content-Disposition: form-data; name="title"\r\n\r\n'
        "Hello, wörld\r\n"
        "--XyZ\r\n"
        'Content-Disposition: form-data; name="doc"; filename="notes.txt"\r\n'
        "Content-Type: text/markdown\r\n\r\n"
        "# notes\r\n\r\nline\r\n"
        "--XyZ\r\n"
        'Content-Disposition: form-data; name="empty"; filename=""\r\n\r\n'
        "\r\n"
        "--XyZ--\r\n"
    )
    result = js("""
        const [body] = args;
        const r = new Request("http://h/", { method: "POST", body, headers: { "content-type": 'multipart/form-data; boundary="XyZ"' } });
        const form = await r.formData();
        const doc = form.get("doc");
        const empty = form.get("empty");
        return { title: form.get("title"), doc: [doc.name, doc.type, await doc.text()], empty: [empty.name, empty.size, empty.type],
                 keys: [...form.keys()] };
    """, body)
    assert result == {"title": "Hello, wörld", "doc": ["notes.txt", "text/markdown", "# notes\r\n\r\nline"],
                      "empty": ["", 0, "text/plain"], "keys": ["title", "doc", "empty"]}


# -- Response ---------------------------------------------------------------------------


def test_response_properties_and_statics(js: Js) -> None:
    result = js("""
        const r = new Response("created", { status: 201, statusText: "Made", headers: { "x-a": "1" } });
        const json = Response.json({ ok: true }, { status: 202, headers: { "set-cookie": "s=1" } });
        const typed = Response.json([1], { headers: { "content-type": "application/vnd.api+json" } });
        const redirect = Response.redirect("https://example.com/next?x=1", 303);
        const error = Response.error();
        const empty = new Response();
        return {
          r: [r.status, r.statusText, r.ok, r.type, r.url, r.redirected, r.headers.get("content-type"), await r.text()],
          json: [json.status, json.headers.get("content-type"), json.headers.getSetCookie(), await json.json()],
          typed: typed.headers.get("content-type"),
          redirect: [redirect.status, redirect.headers.get("location"), redirect.body],
          error: [error.type, error.status, error.ok, error.body],
          empty: [empty.status, empty.ok, empty.statusText, empty.body, await empty.text()],
          notOk: new Response(null, { status: 404 }).ok,
          tag: Object.prototype.toString.call(r),
        };
    """)
    assert result["r"] == [201, "Made", True, "default", "", False, "text/plain;charset=UTF-8", "created"]
    assert result["json"] == [202, "application/json", ["s=1"], {"ok": True}]
    assert result["typed"] == "application/vnd.api+json"
    assert result["redirect"] == [303, "https://example.com/next?x=1", None]
    assert result["error"] == ["error", 0, False, None]
    assert result["empty"] == [200, True, "", None, ""]
    assert result["notOk"] is False
    assert result["tag"] == "[object Response]"


@pytest.mark.parametrize(("code", "error"), [
    ('new Response("x", { status: 199 })', "RangeError"),
    ('new Response("x", { status: 600 })', "RangeError"),
    ('new Response("x", { status: 204 })', "TypeError"),  # a null body status with a body
    ('new Response(null, { statusText: "bad\\ntext" })', "TypeError"),
    ('Response.redirect("https://example.com/", 200)', "RangeError"),
    ('Response.redirect("/relative")', "TypeError"),
    ("Response.json(undefined)", "TypeError"),
    ('new Response(new ReadableStream({ start(c) { c.enqueue("text"); c.close(); } })).text()', "TypeError"),
])
def test_response_rejects_what_the_standard_rejects(js: Js, code: str, error: str) -> None:
    assert js(f"try {{ await {code}; return null; }} catch (e) {{ return e.name; }}") == error


def test_response_body_as_stream_and_binary(js: Js) -> None:
    result = js("""
        const bytes = new Uint8Array(256).map((_, i) => i);
        const r = new Response(bytes);
        const body = r.body;
        const reader = body.getReader();
        const chunks = [];
        for (let c = await reader.read(); !c.done; c = await reader.read()) chunks.push(...c.value);
        const streamed = new Response(new ReadableStream({
          async pull(c) { await new Promise((res) => setTimeout(res, 1)); c.enqueue(new TextEncoder().encode("chunk")); if (++this.n === 3) c.close(); },
          n: 0,
        }), { headers: { "content-type": "text/plain" } });
        const clone = streamed.clone();
        return {
          sameStream: r.body === body, chunks: chunks.length, first: chunks[255],
          streamed: await streamed.text(), clone: await clone.text(),
          blob: await new Response("blob!", { headers: { "content-type": "text/x-thing" } }).blob().then(async (b) => [b.type, b.size, await b.text()]),
          bom: await new Response(new Uint8Array([0xef, 0xbb, 0xbf, 0x68])).text(),
          cloneAfterRead: (() => { try { r.clone(); return null; } catch (e) { return e.name; } })(),
        };
    """)
    assert result["sameStream"] is True
    assert result["chunks"] == 256 and result["first"] == 255
    assert result["streamed"] == "chunkchunkchunk" and result["clone"] == "chunkchunkchunk"
    assert result["blob"] == ["text/x-thing", 5, "blob!"]
    assert result["bom"] == "h"  # text() decodes UTF-8 without its BOM
    assert result["cloneAfterRead"] == "TypeError"


# -- Blob, File, FormData ---------------------------------------------------------------


def test_blob_and_file(js: Js) -> None:
    result = js("""
        const blob = new Blob(["héllo ", new Uint8Array([119, 111]), new Blob(["rld"])], { type: "TEXT/Plain" });
        const sliced = blob.slice(-3, undefined, "x/y");
        const file = new File(["a\\r\\nb"], "f.txt", { type: "text/plain", lastModified: 42 });
        const native = new Blob(["a\\r\\nb\\rc"], { endings: "native" });
        const streamed = [];
        for await (const chunk of blob.stream()) streamed.push(...chunk);
        return {
          blob: [blob.size, blob.type, await blob.text()],
          sliced: [sliced.size, sliced.type, await sliced.text()],
          file: [file instanceof Blob, file.name, file.lastModified, file.size, Object.prototype.toString.call(file)],
          native: await native.text(), streamed: streamed.length,
          bytes: Array.from(await new Blob(["AB"]).bytes()),
          badType: new Blob([], { type: "ü" }).type,
        };
    """)
    assert result["blob"] == [len("héllo world".encode()), "text/plain", "héllo world"]
    assert result["sliced"] == [3, "x/y", "rld"]
    assert result["file"] == [True, "f.txt", 42, 4, "[object File]"]
    assert result["native"] == "a\nb\nc"
    assert result["streamed"] == len("héllo world".encode())
    assert result["bytes"] == [65, 66]
    assert result["badType"] == ""


def test_form_data_methods(js: Js) -> None:
    result = js("""
        const f = new FormData();
        f.append("a", "1");
        f.append("b", new Blob(["x"]));
        f.append("a", 2);
        f.append("c", new File(["y"], "orig.txt"), "renamed.txt");
        const before = [f.get("a"), f.getAll("a"), f.has("b"), f.get("zzz"), f.get("b").name, f.get("c").name];
        f.set("a", "only");
        f.delete("b");
        const each = [];
        f.forEach((value, name) => each.push([name, typeof value === "string" ? value : value.name]));
        let form = null;
        try { new FormData({}); } catch (e) { form = e.name; }
        return { before, entries: each, keys: [...f.keys()], form };
    """)
    assert result["before"] == ["1", ["1", "2"], True, None, "blob", "renamed.txt"]
    assert result["entries"] == [["a", "only"], ["c", "renamed.txt"]]
    assert result["keys"] == ["a", "c"]
    assert result["form"] == "TypeError"


# -- the runner's side of dispatch_fetch ---------------------------------------------------


@pytest.mark.parametrize("native", [True, False])
def test_bodies_cross_as_base64(js: Js, native: bool) -> None:
    import base64

    samples = [bytes((i * 7 + 3) & 255 for i in range(n)) for n in (0, 1, 2, 3, 4, 5, 259)]
    result = js("""
        const [samples, native] = args;
        const saved = [Object.getOwnPropertyDescriptor(Uint8Array.prototype, "toBase64"),
                       Object.getOwnPropertyDescriptor(Uint8Array, "fromBase64")];
        if (!native) {
          // The fallback, as on a V8 without the base64 methods.
          delete Uint8Array.prototype.toBase64;
          delete Uint8Array.fromBase64;
        }
        try {
          const out = [];
          for (const b64 of samples) {
            const request = __flaskVite.fetch.request({ method: "POST", url: "http://h/", headers: [], body: b64 });
            const bytes = new Uint8Array(await request.arrayBuffer());
            const back = await __flaskVite.fetch.response(new Response(bytes), 1e6, "test");
            out.push([Array.from(bytes), back.body]);
          }
          return out;
        } finally {
          Object.defineProperty(Uint8Array.prototype, "toBase64", saved[0]);
          Object.defineProperty(Uint8Array, "fromBase64", saved[1]);
        }
    """, [base64.b64encode(s).decode() for s in samples], native)
    for sample, (decoded, encoded) in zip(samples, result):
        assert bytes(decoded) == sample
        assert encoded == base64.b64encode(sample).decode()
