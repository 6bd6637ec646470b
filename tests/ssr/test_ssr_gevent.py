"""SSR under gevent's WSGI server with monkey.patch_all(): a render waits
cooperatively, so an endless render does not stall other requests (module
requests, and SSR pages, which go to the runner's other V8 child)."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
import typing as t
import urllib.error
import urllib.request
from pathlib import Path

SERVER = textwrap.dedent("""
    from gevent import monkey
    monkey.patch_all()

    import sys
    from pathlib import Path
    from gevent.pywsgi import WSGIServer
    sys.path.insert(0, {repo!r})
    from tests.ssr.test_dev_ssr import ssr_app

    app, _ = ssr_app(Path({root!r}), "/src/entry.tsx", VITE_SSR_TIMEOUT=5.0)
    server = WSGIServer(("127.0.0.1", 0), app, log=None)
    server.start()
    print(server.server_port, flush=True)
    try:
        server.serve_forever()
    finally:
        app.extensions["vite"].close()
""")


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_endless_render_under_gevent_does_not_block_other_requests(tmp_path: Path) -> None:
    root = tmp_path / "app"
    (root / "src").mkdir(parents=True)
    (root / "index.html").write_text("<html><head></head><body><!--app-html--></body></html>")
    (root / "src" / "entry.tsx").write_text(
        "export function render(url: string) {\n"
        "  if (url.includes('loop')) { while (true) {} }\n"
        "  return { html: `<p>${url}</p>` }\n}\n")
    repo = str(Path(__file__).resolve().parents[2])
    proc = subprocess.Popen([sys.executable, "-c", SERVER.format(repo=repo, root=str(root))],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=repo)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().strip() or 0)
        assert port, proc.stderr.read() if proc.stderr else ""
        base = f"http://127.0.0.1:{port}"
        assert get(base + "/first") == (200, "<html><head>\n    <script type=\"module\" src=\"/@vite/client\"></script>\n</head><body><p>/first</p></body></html>")
        results: dict[str, t.Any] = {}
        looping = threading.Thread(target=lambda: results.update(loop=get(base + "/loop")))
        looping.start()
        time.sleep(0.3)
        started = time.monotonic()
        status, body = get(base + "/src/entry.tsx")  # a module request, while V8 spins
        assert status == 200 and "export function render" in body
        assert time.monotonic() - started < 1.5
        # Another SSR page: the second V8 child renders it, the loop still spins.
        assert get(base + "/other")[1].count("<p>/other</p>") == 1
        assert "loop" not in results
        looping.join(30)
        assert results["loop"][0] == 500
        assert get(base + "/after")[1].count("<p>/after</p>") == 1
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
