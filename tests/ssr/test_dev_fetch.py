"""Fetch-style handlers in dev (Vite's FetchableDevEnvironment): a Flask view
that is ``return vite.dispatch_fetch(entry)``, the entry a TypeScript module
shipped through the real ``ssr`` pipeline (esbuild) into V8."""
from __future__ import annotations

import json
import typing as t
from pathlib import Path

import pytest
from flask import Flask, Response

from flask_vite import FlaskVite
from flask_vite.errors import ConfigError
from flask_vite.ssr.errors import SsrError, SsrFetchTypeError
from tests.apps import CREATE_VITE_EXTRA, make_template_app

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


def fetch_app(root: Path, entry: str | None = "/src/entry-fetch.ts", **config: t.Any) -> tuple[Flask, FlaskVite]:
    """Every URL the dev server does not answer goes to the entry's fetch handler."""
    vite = FlaskVite()
    app = Flask(__name__, root_path=str(root.parent))
    app.config.update(VITE_ROOT=root.name, VITE_DEV=True, VITE_APP_TYPE="custom", VITE_SSR_TIMEOUT=5.0, **config)
    vite.init_app(app)

    @app.route("/", defaults={"path": ""}, methods=METHODS)
    @app.route("/<path:path>", methods=METHODS)
    def handle(path: str) -> Response:
        return vite.dispatch_fetch(entry)

    return app, vite


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    (root / "src").mkdir(parents=True)
    (root / "index.html").write_text("<html><head></head><body></body></html>")
    return root


@pytest.fixture
def app(root: Path) -> t.Iterator[Flask]:
    app, _ = fetch_app(root)
    yield app
    app.extensions["vite"].close()


def write_entry(root: Path, code: str, name: str = "entry-fetch.ts") -> None:
    (root / "src" / name).write_text(code)


ECHO = """\
type Item = { name: string; qty: number }

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url)
    const item = (await request.json()) as Item
    const headers = new Headers({ 'x-handled-by': 'v8' })
    headers.append('set-cookie', 'session=abc; Path=/; HttpOnly')
    headers.append('set-cookie', 'theme=dark; Expires=Wed, 21 Oct 2037 07:28:00 GMT')
    return Response.json({
      method: request.method,
      path: url.pathname,
      sort: url.searchParams.get('sort'),
      search: url.search,
      requestId: request.headers.get('x-request-id'),
      contentType: request.headers.get('content-type'),
      item: { ...item, qty: item.qty * 2 },
    }, { status: 201, statusText: 'Made It', headers })
  },
}
"""


def test_a_json_round_trip_with_status_and_two_cookies(app: Flask, root: Path) -> None:
    write_entry(root, ECHO)
    r = app.test_client().post("/api/items?sort=desc&tag=a%2Fb", json={"name": "tea", "qty": 2},
                               headers={"X-Request-Id": "req-7"})
    assert r.status == "201 Made It"
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers["X-Handled-By"] == "v8"
    assert r.headers.getlist("Set-Cookie") == [
        "session=abc; Path=/; HttpOnly", "theme=dark; Expires=Wed, 21 Oct 2037 07:28:00 GMT"]
    assert r.get_json() == {
        "method": "POST", "path": "/api/items", "sort": "desc", "search": "?sort=desc&tag=a%2Fb",
        "requestId": "req-7", "contentType": "application/json", "item": {"name": "tea", "qty": 4},
    }
    # The Flask client sees the cookies like any others.
    client = app.test_client()
    client.post("/api/items", json={"name": "x", "qty": 1})
    assert client.get_cookie("session").value == "abc"  # type: ignore[union-attr]


def test_binary_bodies_in_and_out(app: Flask, root: Path) -> None:
    write_entry(root, """\
export async function fetch(request: Request): Promise<Response> {
  if (request.method === 'GET') {
    const all = new Uint8Array(256).map((_, i) => i)
    return new Response(all, { headers: { 'content-type': 'application/octet-stream' } })
  }
  const bytes = new Uint8Array(await request.arrayBuffer())
  return new Response(bytes.reverse(), { status: 200, headers: { 'content-type': 'application/octet-stream' } })
}
""")
    client = app.test_client()
    r = client.get("/bytes")
    assert r.status_code == 200 and r.data == bytes(range(256))
    payload = bytes(range(255, -1, -1)) * 3 + b"\x00\xff\xfe"
    r = client.put("/bytes", data=payload, content_type="application/octet-stream")
    assert r.data == payload[::-1]


def test_a_streamed_body_is_read_to_its_end(app: Flask, root: Path) -> None:
    write_entry(root, """\
const encoder = new TextEncoder()

export const handler = (request: Request): Response => {
  let n = 0
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      await new Promise((resolve) => setTimeout(resolve, 5))
      n += 1
      controller.enqueue(encoder.encode(`<p>chunk ${n}</p>`))
      if (n === 3) controller.close()
    },
  })
  return new Response(stream, { headers: { 'content-type': 'text/html; charset=utf-8' } })
}
""")
    r = app.test_client().get("/stream")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.get_data(as_text=True) == "<p>chunk 1</p><p>chunk 2</p><p>chunk 3</p>"


def test_a_plain_object_is_a_type_error_naming_the_entry(app: Flask, root: Path) -> None:
    write_entry(root, "export function fetch(request: Request) {\n  return { ok: true, url: request.url }\n}\n")
    vite: FlaskVite = app.extensions["vite"].extension
    with app.test_request_context("/api/x"), pytest.raises(TypeError) as info:
        vite.dispatch_fetch("/src/entry-fetch.ts")
    error = info.value
    assert isinstance(error, SsrFetchTypeError) and isinstance(error, SsrError)
    assert "The fetch handler of /src/entry-fetch.ts (the export fetch()) must return a Response" in str(error)
    assert "an object { ok: true, url: 'http://localhost/api/x' }" in str(error)
    # Through the view: the dev server's 500 with the overlay payload.
    r = app.test_client().get("/api/x", headers={"Accept": "application/json"})
    assert r.status_code == 500
    assert "must return a Response" in r.get_json()["err"]["message"]


def test_an_entry_without_a_handler_lists_its_exports(app: Flask, root: Path) -> None:
    write_entry(root, "export function render() { return '' }\nexport const x = 1\n")
    r = app.test_client().get("/", headers={"Accept": "application/json"})
    assert r.status_code == 500
    message = r.get_json()["err"]["message"]
    assert "/src/entry-fetch.ts has no fetch handler" in message and "(its exports are: render, x)" in message


def test_a_throwing_handler_gives_the_source_mapped_error(app: Flask, root: Path) -> None:
    (root / "src" / "db.ts").write_text(
        "export type Row = { id: number }\n"
        "\n"
        "export function load(id: number): Row {\n"
        "  if (id > 10) {\n"
        "    throw new RangeError(`no row ${id}`)\n"
        "  }\n"
        "  return { id }\n"
        "}\n")
    write_entry(root, "import { load } from './db'\n\n"
                      "export default {\n"
                      "  fetch(request: Request): Response {\n"
                      "    return Response.json(load(Number(new URL(request.url).searchParams.get('id'))))\n"
                      "  },\n"
                      "}\n")
    client = app.test_client()
    assert client.get("/row?id=3").get_json() == {"id": 3}
    vite: FlaskVite = app.extensions["vite"].extension
    with app.test_request_context("/row?id=11"), pytest.raises(SsrError) as info:
        vite.dispatch_fetch("/src/entry-fetch.ts")
    db = (root / "src" / "db.ts").as_posix()
    error = info.value
    assert not isinstance(error, TypeError) and error.name == "RangeError"
    assert "no row 11" in str(error) and f"{db}:5:" in error.stack
    assert error.loc == {"file": db, "line": 5, "column": 10}  # type: ignore[attr-defined]
    r = client.get("/row?id=11", headers={"Accept": "application/json"})
    assert r.status_code == 500
    payload = r.get_json()["err"]
    assert payload["loc"]["file"] == db and payload["loc"]["line"] == 5
    assert f"{db}:5:" in payload["stack"]


@pytest.mark.parametrize("code", [
    "export default { fetch(request: Request) { return new Response(this.greeting + request.method) }, greeting: 'hi ' }",
    "export function fetch(request: Request) { return new Response('hi ' + request.method) }",
    "export async function handler(request: Request) { return new Response('hi ' + request.method) }",
    # The default export's fetch() wins over the named forms.
    ("export function handler() { return new Response('no') }\n"
     "export default { fetch: async (request: Request) => new Response('hi ' + request.method) }"),
])
def test_the_handler_forms(app: Flask, root: Path, code: str) -> None:
    write_entry(root, code + "\n")
    assert app.test_client().delete("/anything").get_data(as_text=True) == "hi DELETE"


def test_an_edit_is_picked_up(app: Flask, root: Path) -> None:
    write_entry(root, "export const fetch = () => new Response('v1')\n")
    client = app.test_client()
    assert client.get("/").data == b"v1"
    write_entry(root, "export const fetch = () => new Response('v2', { status: 202 })\n")
    graph = app.extensions["vite"].dev_server.environments["ssr"].module_graph
    graph.on_file_change((root / "src" / "entry-fetch.ts").as_posix())
    r = client.get("/")
    assert (r.status_code, r.data) == (202, b"v2")


def test_headers_status_and_methods_pass_through(app: Flask, root: Path) -> None:
    write_entry(root, """\
export function fetch(request: Request): Response {
  const url = new URL(request.url)
  if (url.pathname === '/redirect') return Response.redirect('https://example.com/elsewhere', 307)
  if (url.pathname === '/empty') return new Response(null, { status: 204, headers: { 'x-empty': '1' } })
  if (request.method === 'HEAD') return new Response(null, { headers: { 'content-length': '42', 'x-head': '1' } })
  return new Response(`${request.method} ${url.pathname}${url.search} ${request.headers.get('accept-language')}`, {
    status: 404,
    headers: { 'transfer-encoding': 'chunked', connection: 'close' },
  })
}
""")
    client = app.test_client()
    r = client.get("/redirect")
    assert (r.status_code, r.headers["Location"]) == (307, "https://example.com/elsewhere")
    r = client.get("/empty")
    assert r.status_code == 204 and r.headers["X-Empty"] == "1" and r.data == b""
    # No Content-Type was given: none is added (a fetch server would add none).
    assert "Content-Type" not in r.headers
    r = client.head("/anything")
    assert r.headers["Content-Length"] == "42" and r.headers["X-Head"] == "1" and r.data == b""
    r = client.patch("/caf%C3%A9/x?q=%20", headers={"Accept-Language": "de"})
    assert r.status_code == 404
    assert r.get_data(as_text=True) == "PATCH /caf%C3%A9/x?q=%20 de"
    # Hop-by-hop headers are the server's; the length is that of the body sent.
    assert "Transfer-Encoding" not in r.headers and "Connection" not in r.headers
    assert r.headers["Content-Length"] == str(len(r.data))


def test_form_posts_reach_form_data(app: Flask, root: Path) -> None:
    write_entry(root, """\
export async function fetch(request: Request): Promise<Response> {
  const form = await request.formData()
  const file = form.get('upload') as File
  return Response.json({ name: form.get('name'), file: [file.name, file.type, await file.text()] })
}
""")
    import io

    r = app.test_client().post("/form", data={"name": "Ann", "upload": (io.BytesIO(b"hello file"), "h.txt", "text/x-note")})
    assert r.get_json() == {"name": "Ann", "file": ["h.txt", "text/x-note", "hello file"]}
    r = app.test_client().post("/form", data="name=Bo+B&upload=x", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 500  # upload is a string, not a File: the handler's own TypeError


def test_body_size_limits(root: Path) -> None:
    app = Flask(__name__, root_path=str(root.parent))
    app.config.update(VITE_ROOT=root.name, VITE_DEV=True, VITE_APP_TYPE="custom")
    vite = FlaskVite(app)

    @app.route("/<path:path>", methods=["GET", "POST"])
    def handle(path: str) -> Response:
        return vite.dispatch_fetch("/src/entry-fetch.ts", max_body_size=1000)

    write_entry(root, "export async function fetch(request: Request) {\n"
                      "  const size = Number(new URL(request.url).searchParams.get('size'))\n"
                      "  return new Response(request.method === 'POST' ? await request.arrayBuffer() : new Uint8Array(size))\n"
                      "}\n")
    try:
        client = app.test_client()
        assert client.post("/echo", data=b"x" * 1000).data == b"x" * 1000
        assert client.post("/echo", data=b"x" * 1001).status_code == 413
        assert len(client.get("/big?size=1000").data) == 1000
        r = client.get("/big?size=1001", headers={"Accept": "application/json"})
        assert r.status_code == 500
        assert "the body is larger than 1000 bytes" in r.get_json()["err"]["message"]
    finally:
        app.extensions["vite"].close()


def test_the_entry_from_vite_ssr_entry(root: Path) -> None:
    write_entry(root, "export const fetch = (request: Request) => new Response('from config')\n", "server.ts")
    app, vite = fetch_app(root, entry=None, VITE_SSR_ENTRY="src/server.ts")
    try:
        assert app.config["VITE_SSR_ENTRY"] == "src/server.ts"
        assert vite.get_state(app).config.ssr_entry == "/src/server.ts"
        assert app.test_client().get("/x").data == b"from config"
        # The environment API, as Vite's environment.dispatchFetch(request).
        ssr = app.extensions["vite"].dev_server.environments["ssr"]
        with app.test_request_context("/y"):
            from flask import request

            assert ssr.dispatch_fetch(request).data == b"from config"
    finally:
        app.extensions["vite"].close()
    app, vite = fetch_app(root, entry=None)
    try:
        with app.test_request_context("/"), pytest.raises(ConfigError) as info:
            vite.dispatch_fetch()
        assert "VITE_SSR_ENTRY" in str(info.value) and "dispatch_fetch(request, '/src/entry-server.ts')" in str(info.value)
    finally:
        app.extensions["vite"].close()


@pytest.mark.parametrize("value", ["", "  ", 42, "/src/a\n.ts"])
def test_a_bad_vite_ssr_entry_is_a_config_error(root: Path, value: object) -> None:
    app = Flask(__name__, root_path=str(root.parent))
    app.config.update(VITE_ROOT=root.name, VITE_DEV=False, VITE_SSR_ENTRY=value)
    with pytest.raises(ConfigError, match="VITE_SSR_ENTRY: expected a module URL"):
        FlaskVite(app)


def test_dispatch_fetch_needs_the_dev_server(root: Path) -> None:
    app = Flask(__name__, root_path=str(root.parent))
    app.config.update(VITE_ROOT=root.name, VITE_DEV=False)
    vite = FlaskVite(app)
    with app.test_request_context("/"), pytest.raises(RuntimeError, match="needs the dev server"):
        vite.dispatch_fetch("/src/entry-fetch.ts")


# -- React's renderToReadableStream, wrapped in a Response --------------------------------

@pytest.fixture(scope="module")
def react_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template_app(CREATE_VITE_EXTRA, "template-ssr-react-ts",
                             tmp_path_factory.mktemp("fetch-react") / "app")


def test_react_render_to_readable_stream_as_the_response(react_root: Path) -> None:
    (react_root / "src" / "entry-fetch.tsx").write_text("""\
import { StrictMode, Suspense, use } from 'react'
import { renderToReadableStream } from 'react-dom/server'
import App from './App'

const later = new Promise<string>((resolve) => setTimeout(() => resolve('loaded later'), 10))

function Later() {
  return <p>{use(later)}</p>
}

export default {
  async fetch(request: Request): Promise<Response> {
    const stream = await renderToReadableStream(
      <StrictMode>
        <App />
        <Suspense fallback={<p>loading</p>}><Later /></Suspense>
      </StrictMode>,
      { signal: request.signal },
    )
    await stream.allReady
    return new Response(stream, { headers: { 'content-type': 'text/html; charset=utf-8' } })
  },
}
""")
    app, _ = fetch_app(react_root, "/src/entry-fetch.tsx")
    try:
        r = app.test_client().get("/")
        html = r.get_data(as_text=True)
        assert r.status_code == 200, html[:2000]
        assert r.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "Count is <!-- -->0" in html
        assert "<!--$--><p>loaded later</p><!--/$-->" in html
    finally:
        app.extensions["vite"].close()


def test_json_body_survives_unicode(app: Flask, root: Path) -> None:
    write_entry(root, "export async function fetch(request: Request) {\n"
                      "  const text = await request.text()\n"
                      "  return new Response(text + ' ✓', { headers: { 'content-type': 'text/plain; charset=utf-8' } })\n"
                      "}\n")
    body = json.dumps({"name": "Zoë 👋"}, ensure_ascii=False).encode()
    r = app.test_client().post("/", data=body, content_type="application/json")
    assert r.data == body + " ✓".encode()
