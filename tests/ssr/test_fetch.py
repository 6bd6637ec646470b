"""flask_vite.ssr.fetch: Werkzeug requests in, Flask responses out, and
SsrProcess.dispatch_fetch without the dev server."""
from __future__ import annotations

import typing as t

import pytest
from flask import Flask
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from flask_vite.ssr.errors import SsrError, SsrFetchTypeError, SsrTimeout
from flask_vite.ssr.fetch import (
    FetchRequest,
    FetchResponse,
    _request_target,
    from_werkzeug,
    to_flask,
)
from flask_vite.ssr.process import SsrProcess

from .conftest import exports

TARGETS = [
    # (environ, the target sent to the handler)
    ({"REQUEST_URI": "/a%2Fb/c?x=1&y=%20"}, "/a%2Fb/c?x=1&y=%20"),  # the raw target, escapes kept
    ({"RAW_URI": "/gunicorn?q"}, "/gunicorn?q"),
    ({"REQUEST_URI": "/caf\xc3\xa9 x"}, "/caf%C3%A9%20x"),  # UTF-8 bytes as Latin-1 text (WSGI)
    ({"SCRIPT_NAME": "/pre", "PATH_INFO": "/\xc3\xbc", "QUERY_STRING": "a=b c"}, "/pre/%C3%BC?a=b%20c"),
    ({"PATH_INFO": "/", "QUERY_STRING": ""}, "/"),
    ({"REQUEST_URI": "/p", "QUERY_STRING": "q=1"}, "/p?q=1"),  # Werkzeug's EnvironBuilder leaves it out
    ({}, "/"),
    ({"REQUEST_URI": "http://proxy.example/abs", "PATH_INFO": "/abs"}, "/abs"),  # absolute-form: not a path
    ({"REQUEST_URI": "/x#frag"}, "/x%23frag"),  # never a fragment in a target
]


@pytest.mark.parametrize(("environ", "target"), TARGETS)
def test_request_target(environ: dict[str, str], target: str) -> None:
    assert _request_target(environ) == target


def make_request(**kwargs: t.Any) -> Request:
    return Request(EnvironBuilder(**kwargs).get_environ())


def test_from_werkzeug() -> None:
    request = make_request(path="/api/x", query_string="q=1", method="POST", data=b"\x00\xff",
                           content_type="application/octet-stream", headers={"X-A": "é"},
                           base_url="https://example.com:8443")
    fetch = from_werkzeug(request)
    assert fetch.method == "POST"
    assert fetch.url == "https://example.com:8443/api/x?q=1"
    assert ("X-A", "é") in fetch.headers and ("Content-Type", "application/octet-stream") in fetch.headers
    assert fetch.body == b"\x00\xff"
    payload = fetch.to_payload(max_body_size=123)
    assert payload["body"] == "AP8=" and payload["maxBodySize"] == 123


@pytest.mark.parametrize(("kwargs", "body"), [
    ({"method": "GET"}, None),
    ({"method": "HEAD"}, None),
    ({"method": "GET", "data": b"ignored"}, None),  # a Request cannot have a body with GET
    ({"method": "POST"}, None),  # nothing announced, nothing sent: no body
    ({"method": "POST", "environ_overrides": {"CONTENT_LENGTH": "0"}}, b""),  # announced empty
    ({"method": "DELETE", "data": b"x"}, b"x"),
])
def test_from_werkzeug_bodies(kwargs: dict[str, t.Any], body: bytes | None) -> None:
    assert from_werkzeug(make_request(**kwargs)).body == body


def test_from_werkzeug_refuses_a_large_body() -> None:
    with pytest.raises(RequestEntityTooLarge, match="larger than the 3 bytes"):
        from_werkzeug(make_request(method="POST", data=b"1234"), max_body_size=3)


def test_to_flask() -> None:
    response = FetchResponse(201, "Made", [
        ("content-type", "application/json"), ("set-cookie", "a=1"), ("set-cookie", "b=2, c"),
        ("transfer-encoding", "chunked"), ("content-length", "999"), ("x-a", "1")], b'{"ok":true}')
    app = Flask(__name__)
    result = to_flask(response, response_class=app.response_class)
    assert result.status == "201 Made"
    assert result.headers.getlist("Set-Cookie") == ["a=1", "b=2, c"]
    assert result.headers["Content-Type"] == "application/json"
    assert result.headers["Content-Length"] == "11"
    assert "Transfer-Encoding" not in result.headers
    assert result.get_data() == b'{"ok":true}'
    assert response.header("SET-COOKIE") == "a=1, b=2, c" and response.header("nope") is None
    bare = to_flask(FetchResponse(200, "", [], b"x"))
    assert bare.status == "200 OK" and "Content-Type" not in bare.headers


# -- SsrProcess.dispatch_fetch -----------------------------------------------------------

def test_process_dispatch_fetch(proc: SsrProcess) -> None:
    proc.define_modules({"/fetch-proc.js": exports(default="app") + """
        const app = {
          calls: 0,
          async fetch(request) {
            this.calls++;
            const body = new Uint8Array(await request.arrayBuffer());
            return new Response(body.map((b) => 255 - b), {
              status: 299, headers: [["x-calls", String(this.calls)], ["x-method", request.method]],
            });
          },
        };
    """})
    request = FetchRequest("POST", "http://h/", [("content-type", "application/octet-stream")], bytes(range(256)))
    response = proc.dispatch_fetch("/fetch-proc.js", request)
    assert response.status == 299 and response.status_text == ""
    assert response.headers == [("x-calls", "1"), ("x-method", "POST")]
    assert response.body == bytes(range(255, -1, -1))
    # The module keeps its instance between requests, as any SSR module does.
    assert proc.dispatch_fetch("/fetch-proc.js", request).header("x-calls") == "2"


def test_process_dispatch_fetch_errors(proc: SsrProcess) -> None:
    proc.define_modules({
        "/fetch-null.js": exports(handler="handler") + "function handler() { return null; }",
        "/fetch-error.js": exports(fetch="fetch") + "function fetch() { return Response.error(); }",
        "/fetch-throws.js": exports(fetch="fetch") + "async function fetch() { throw new SyntaxError('bad input'); }",
        "/fetch-slow.js": exports(fetch="fetch") + "function fetch() { return new Promise((r) => setTimeout(r, 5000)); }",
    })
    request = FetchRequest("GET", "http://h/")
    with pytest.raises(SsrFetchTypeError, match=r"/fetch-null.js \(the export handler\(\)\) must return a Response.*returned null"):
        proc.dispatch_fetch("/fetch-null.js", request)
    with pytest.raises(TypeError, match=r"network error \(Response.error\(\)\)"):
        proc.dispatch_fetch("/fetch-error.js", request)
    with pytest.raises(SsrError) as info:
        proc.dispatch_fetch("/fetch-throws.js", request)
    assert info.value.name == "SyntaxError" and not isinstance(info.value, TypeError)
    assert info.value.frames[0].url == "/fetch-throws.js"
    with pytest.raises(SsrTimeout, match="the fetch handler of /fetch-slow.js did not finish within 0.3 s"):
        proc.dispatch_fetch("/fetch-slow.js", request, timeout=0.3)
    # The renderer is still usable.
    proc.define_modules({"/fetch-ok.js": exports(fetch="fetch") + "const fetch = () => new Response('ok');"})
    assert proc.dispatch_fetch("/fetch-ok.js", request).body == b"ok"
