"""The HMR channel over real sockets: werkzeug's threaded server (as under
``flask run``) and gevent's WSGI server in a subprocess; the WebSocket, its
token and host checks, and the Server-Sent Events fallback.
"""
from __future__ import annotations

import base64
import http.client
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
import typing as t
from pathlib import Path

import pytest
import simple_websocket  # type: ignore[import-untyped]
from flask import Flask

from flask_vite.server.ws import HotChannel
from tests.apps import dev_app

if t.TYPE_CHECKING:
    from tests.browser_fixtures import LiveServer

TIMEOUT = 10.0


def wait_until(condition: t.Callable[[], object], timeout: float = TIMEOUT, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.01)


def channel_of(app: Flask) -> HotChannel:
    return t.cast(HotChannel, app.extensions["vite"].dev_server.hot)


class WsClient(simple_websocket.Client):  # type: ignore[misc]
    """simple-websocket's client, minus a race: a message that arrives in the
    same read as the handshake's answer would wait for the next read."""

    def handshake(self) -> None:
        try:
            super().handshake()
        except BaseException:
            self.sock.close()  # simple-websocket would leave it to the GC
            raise
        self._handle_events()


def ws_connect(port: int, *, token: str | None, origin: bool = True,
               protocol: str = "vite-hmr") -> t.Any:
    query = f"?token={token}" if token is not None else ""
    headers = {"Origin": f"http://127.0.0.1:{port}"} if origin else None
    return WsClient(f"ws://127.0.0.1:{port}/{query}", subprotocols=[protocol], headers=headers)


def ws_close(ws: t.Any) -> None:
    try:
        ws.close()
    except simple_websocket.ConnectionClosed:
        ws.sock.close()
    ws.thread.join(TIMEOUT)


def receive_json(ws: t.Any) -> dict[str, t.Any]:
    text = ws.receive(timeout=TIMEOUT)
    assert text is not None, "no message within the timeout"
    return t.cast(t.Dict[str, t.Any], json.loads(text))


def raw_upgrade(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    """Send a WebSocket upgrade by hand; the status and body of a refusal."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        conn.request("GET", path, headers={
            "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
            "Sec-WebSocket-Protocol": "vite-hmr", **(headers or {}),
        })
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


@pytest.fixture
def app(vite_root: Path) -> t.Iterator[Flask]:
    """The minimal Vite root of ``tests/conftest.py``, in dev mode."""
    app = dev_app(vite_root)
    yield app
    app.extensions["vite"].close()


@pytest.fixture
def served(app: Flask, live_server: t.Any) -> t.Iterator[LiveServer]:
    """The minimal Vite app of ``tests/conftest.py`` on a live werkzeug server."""
    baseline = set(threading.enumerate())
    server = live_server(app)
    yield server
    app.extensions["vite"].close()
    # close() ended every connection: no request thread of ours lives on.
    wait_until(lambda: not [th for th in set(threading.enumerate()) - baseline
                            if not th.name.startswith("live-server")],
               what="HMR threads to end")


def test_websocket_with_token_receives_and_sends(app: Flask, served: LiveServer) -> None:
    channel = channel_of(app)
    received: queue.Queue[t.Any] = queue.Queue()
    channel.on("my:event", lambda data, client: received.put(data))
    ws = ws_connect(served.port, token=channel.token)
    try:
        assert ws.subprotocol == "vite-hmr"
        assert receive_json(ws) == {"type": "connected"}
        wait_until(lambda: len(channel.clients) == 1, what="the client to register")
        channel.send({"type": "full-reload", "path": "*"})
        assert receive_json(ws) == {"type": "full-reload", "path": "*"}
        channel.send("my:reply", {"n": 1})
        assert receive_json(ws) == {"type": "custom", "event": "my:reply", "data": {"n": 1}}
        ws.send(json.dumps({"type": "custom", "event": "my:event", "data": {"x": 1}}))
        assert received.get(timeout=TIMEOUT) == {"x": 1}
    finally:
        ws_close(ws)
    wait_until(lambda: channel.clients == [], what="the client to go")


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
def test_browser_connection_without_the_token_is_refused(app: Flask, served: LiveServer,
                                                         token: str | None) -> None:
    path = "/" if token is None else f"/?token={token}"
    status, body = raw_upgrade(served.port, path, {"Origin": served.url})
    assert status == 403
    assert "token" in body
    assert channel_of(app).clients == []


def test_tools_without_an_origin_need_no_token(app: Flask, served: LiveServer) -> None:
    # As in Vite: a request without Origin is not from a browser page, and
    # could read any module over plain HTTP anyway.
    ws = ws_connect(served.port, token=None, origin=False)
    try:
        assert receive_json(ws) == {"type": "connected"}
    finally:
        ws_close(ws)


def test_foreign_host_is_refused_before_the_upgrade(app: Flask, served: LiveServer) -> None:
    status, body = raw_upgrade(served.port, f"/?token={channel_of(app).token}",
                               {"Host": "evil.example", "Origin": "http://evil.example"})
    assert status == 403
    assert "Blocked request" in body


def test_ping_protocol_connects_and_closes(served: LiveServer) -> None:
    ws = ws_connect(served.port, token=None, protocol="vite-ping")
    try:
        with pytest.raises(simple_websocket.ConnectionClosed):
            ws.receive(timeout=TIMEOUT)
    finally:
        ws_close(ws)


def test_other_subprotocols_are_left_to_the_app(app: Flask, served: LiveServer) -> None:
    status, _ = raw_upgrade(served.port, "/", {"Sec-WebSocket-Protocol": "graphql-ws"})
    assert status == 404  # on to Flask routing: no upgrade, no refusal


def test_server_without_socket_access_answers_501(app: Flask) -> None:
    # werkzeug's test client has no socket to hand out, like servers that
    # cannot upgrade: the client runtime then uses the event stream.
    response = app.test_client().get(
        "/?token=" + channel_of(app).token,
        headers={"Upgrade": "websocket", "Connection": "Upgrade",
                 "Sec-WebSocket-Protocol": "vite-hmr", "Sec-WebSocket-Version": "13",
                 "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
    assert response.status_code == 501
    assert "/@vite/hmr" in response.get_data(as_text=True)


def test_error_sent_while_nobody_listens_reaches_the_next_page(app: Flask,
                                                               served: LiveServer) -> None:
    channel = channel_of(app)
    error = {"type": "error", "err": {"message": "boom", "stack": ""}}
    channel.send(error)
    ws = ws_connect(served.port, token=channel.token)
    try:
        assert receive_json(ws) == {"type": "connected"}
        assert receive_json(ws) == error
    finally:
        ws_close(ws)


def test_close_disconnects_every_page(app: Flask, served: LiveServer) -> None:
    channel = channel_of(app)
    ws = ws_connect(served.port, token=channel.token)
    try:
        assert receive_json(ws) == {"type": "connected"}
        app.extensions["vite"].close()
        with pytest.raises(simple_websocket.ConnectionClosed):
            ws.receive(timeout=TIMEOUT)
        assert channel.clients == []
    finally:
        ws_close(ws)


# -- the event stream ---------------------------------------------------------------
class EventStream:
    """A ``GET <base>@vite/hmr`` response read line by line."""

    def __init__(self, port: int, query: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        self.conn.request("GET", f"/@vite/hmr?{query}", headers={"Accept": "text/event-stream"})
        self.response = self.conn.getresponse()

    def next_data(self) -> dict[str, t.Any]:
        while True:
            line = self.response.readline().decode()
            assert line, "the stream ended"
            if line.startswith("data: "):
                return t.cast(t.Dict[str, t.Any], json.loads(line[6:]))

    def close(self) -> None:
        self.response.close()
        self.conn.close()


def post(port: int, query: str, payload: dict[str, t.Any]) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        conn.request("POST", f"/@vite/hmr?{query}", body=json.dumps(payload),
                     headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def test_event_stream_fallback(app: Flask, served: LiveServer) -> None:
    channel = channel_of(app)
    received: queue.Queue[t.Any] = queue.Queue()
    channel.on("vite:invalidate", lambda data, client: received.put(data))
    query = f"token={channel.token}&client=page1"
    stream = EventStream(served.port, query)
    try:
        assert stream.response.status == 200
        assert stream.response.getheader("Content-Type", "").startswith("text/event-stream")
        assert stream.next_data() == {"type": "connected"}
        channel.send({"type": "update", "updates": []})
        assert stream.next_data() == {"type": "update", "updates": []}
        # The page's messages come by POST, with the same token and client id.
        message = {"type": "custom", "event": "vite:invalidate", "data": {"path": "/x.ts"}}
        assert post(served.port, query, message) == 204
        assert received.get(timeout=TIMEOUT) == {"path": "/x.ts"}
        assert post(served.port, f"token={channel.token}&client=other", message) == 410
        app.extensions["vite"].close()
        assert stream.response.read().strip() == b""  # the stream ends with the server
    finally:
        stream.close()


@pytest.mark.parametrize("query", ["client=page1", "token=wrong&client=page1"])
def test_event_stream_needs_the_token(served: LiveServer, query: str) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=TIMEOUT)
    try:
        conn.request("GET", f"/@vite/hmr?{query}")
        response = conn.getresponse()
        assert response.status == 403
        response.read()
    finally:
        conn.close()
    assert post(served.port, query, {"type": "custom", "event": "x"}) == 403


def test_ping_answers_without_token(served: LiveServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=TIMEOUT)
    try:
        conn.request("GET", "/@vite/hmr?ping")
        response = conn.getresponse()
        response.read()
        assert response.status == 204
    finally:
        conn.close()


# -- gevent --------------------------------------------------------------------------
_GEVENT_SERVER = """
from gevent import monkey
monkey.patch_all()

import sys
from pathlib import Path

import gevent
from flask import Flask
from gevent.pywsgi import WSGIServer

from flask_vite import FlaskVite

root = Path(sys.argv[1])
app = Flask("gevent_app", root_path=str(root.parent))
app.config.update(VITE_ROOT=root.name, VITE_DEV=True)
FlaskVite(app)
server = WSGIServer(("127.0.0.1", 0), app, log=None)
server.start()
print(server.server_port, flush=True)
try:
    # Until the test closes our stdin; in a native thread, so the hub runs meanwhile.
    gevent.get_hub().threadpool.apply(sys.stdin.read)
finally:
    app.extensions["vite"].close()
    server.stop(timeout=5)
"""


def exercise_hmr(port: int, vite_root: Path) -> None:
    """A page's HMR session against a server on ``port``: modules loaded, a
    WebSocket with the token, an edit pushed, a bad token refused."""
    client_js = ""
    for path in ("/@vite/client", "/src/main.ts", "/src/style.css"):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read().decode()
        finally:
            conn.close()
        assert response.status == 200, body
        client_js = client_js or body
    match = re.search(r'const hmrToken = "([^"]+)"', client_js)
    assert match is not None
    ws = ws_connect(port, token=match.group(1))
    try:
        assert receive_json(ws) == {"type": "connected"}
        # The watcher (started by the first request) may still be listing
        # folders: edit until it answers.
        deadline = time.monotonic() + TIMEOUT
        message = None
        n = 0
        while message is None and time.monotonic() < deadline:
            n += 1
            (vite_root / "src" / "style.css").write_text(f"body {{ color: rgb({n}, 0, 0) }}\n")
            text = ws.receive(timeout=1.0)
            message = json.loads(text) if text else None
        assert message is not None and message["type"] == "update"
        assert message["updates"][0]["path"] == "/src/style.css"
        assert message["updates"][0]["type"] == "js-update"
    finally:
        ws_close(ws)
    status, _ = raw_upgrade(port, "/?token=nope", {"Origin": f"http://127.0.0.1:{port}"})
    assert status == 403


@pytest.fixture
def module_app(vite_root: Path) -> Path:
    (vite_root / "src" / "style.css").write_text("body { color: red }\n")
    (vite_root / "src" / "main.ts").write_text("import './style.css'\nexport const answer = 42\n")
    return vite_root


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path.cwd()), *sys.path])}


def test_gevent_server(module_app: Path, tmp_path: Path) -> None:
    """Under ``monkey.patch_all()`` and gevent's WSGI server, the WebSocket
    upgrades, the watcher runs without blocking the hub, and an edit reaches
    the page."""
    script = tmp_path / "serve.py"
    script.write_text(_GEVENT_SERVER)
    process = subprocess.Popen([sys.executable, str(script), str(module_app)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=_env(), text=True)
    try:
        assert process.stdout is not None
        exercise_hmr(int(process.stdout.readline().split()[0]), module_app)
    finally:
        try:
            # Closes the server's stdin: it stops.
            _, stderr = process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            _, stderr = process.communicate()
            raise
        assert process.returncode == 0, stderr
        assert "Traceback" not in stderr, stderr


_GUNICORN_APP = """
import os
from pathlib import Path

from flask import Flask

from flask_vite import FlaskVite

root = Path(os.environ["TEST_VITE_ROOT"])
app = Flask("gunicorn_app", root_path=str(root.parent))
app.config.update(VITE_ROOT=root.name, VITE_DEV=True)
FlaskVite(app)
"""


def test_gunicorn_gevent_worker(module_app: Path, tmp_path: Path) -> None:
    """``gunicorn -k gevent``: the same, and gunicorn logs no socket error
    when a WebSocket ends (it lent its own socket)."""
    pytest.importorskip("gunicorn")
    (tmp_path / "gapp.py").write_text(_GUNICORN_APP)
    env = {**_env(), "TEST_VITE_ROOT": str(module_app)}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-k", "gevent", "-b", "127.0.0.1:0", "--workers", "1",
         "--log-level", "info", "gapp:app"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True)
    log: list[str] = []
    try:
        assert process.stderr is not None
        port = None
        deadline = time.monotonic() + TIMEOUT
        while port is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            assert line, "gunicorn exited:\n" + "".join(log)
            log.append(line)
            found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", line)
            port = int(found.group(1)) if found else None
        assert port is not None, "".join(log)
        # Booted once the worker answers.
        wait_until(lambda: _answers(port), what="gunicorn's worker")
        exercise_hmr(port, module_app)
    finally:
        process.terminate()
        try:
            rest = process.communicate(timeout=TIMEOUT)[1]
        except subprocess.TimeoutExpired:
            process.kill()
            rest = process.communicate()[1]
        log.append(rest or "")
    text = "".join(log)
    assert "Traceback" not in text and "[ERROR]" not in text, text


def _answers(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        conn.request("GET", "/@vite/hmr?ping")
        conn.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        conn.close()
