"""A production app under gunicorn (gevent, sync and gthread workers, with and
without ``--preload``), in a subprocess on an ephemeral port: SSR pages,
200 concurrent requests with no leakage between them, faults contained, and
no renderer left behind when gunicorn stops."""
from __future__ import annotations

import concurrent.futures
import json
import os
import re
import secrets
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .conftest import MARKER_RE

pytest.importorskip("gunicorn")
pytest.importorskip("gevent")

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 60

APP = textwrap.dedent("""
    import json, os, sys
    from pathlib import Path

    sys.path.insert(0, {repo!r})
    from tests.production.conftest import prod_app

    app, vite = prod_app(Path(os.environ["TEST_VITE_ROOT"]), VITE_SSR_TIMEOUT=1.0,
                         VITE_SSR_HEAP_LIMIT_MB=64)
    if os.environ.get("TEST_RENDER_IN_MASTER"):
        # Renderers made before the fork: the workers must not inherit them.
        with app.test_request_context("/"):
            vite.render("src/entry-server.ts", url="/master")
        pools = app.extensions["vite"].production.pools().values()
        print("MASTER_RENDERERS " + json.dumps([p for pool in pools for p in pool.stats().pids]),
              file=sys.stderr, flush=True)
""")


def get(url: str, timeout: float = 30) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


class Gunicorn:
    """gunicorn serving the app in a subprocess; its log kept for assertions."""

    def __init__(self, tmp_path: Path, root: Path, args: list[str], env: dict[str, str]) -> None:
        (tmp_path / "prodapp.py").write_text(APP.format(repo=str(REPO)))
        self.log_path = tmp_path / "gunicorn.log"
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *args, "-b", "127.0.0.1:0", "--log-level", "info",
             "--graceful-timeout", "5", "prodapp:app"],
            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=self.log,
            env={**os.environ, "TEST_VITE_ROOT": str(root), **env})
        deadline = time.monotonic() + TIMEOUT
        port = None
        while port is None:
            assert self.process.poll() is None, "gunicorn exited:\n" + self.text()
            assert time.monotonic() < deadline, "gunicorn did not start:\n" + self.text()
            found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", self.text())
            port = int(found.group(1)) if found else None
            time.sleep(0.05)
        self.base = f"http://127.0.0.1:{port}"
        while True:
            try:
                if get(self.base + "/__pids", timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "no worker answered:\n" + self.text()
            time.sleep(0.05)

    def text(self) -> str:
        return self.log_path.read_text()

    def pids(self, workers: int = 2) -> tuple[set[int], set[int]]:
        """Web worker and renderer pids, asked until every worker answered
        (concurrent requests: an idle sync worker may take every sequential one)."""
        web: set[int] = set()
        renderers: set[int] = set()
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as executor:
            for _ in range(25):
                for _status, body in executor.map(lambda _: get(self.base + "/__pids"), range(8)):
                    found = json.loads(body)
                    web.add(found["web"])
                    renderers.update(found["renderers"])
                if len(web) >= workers:
                    break
        return web, renderers

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie still answers kill(0): it is gone once its state says so.
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].strip().startswith("Z")
    except (OSError, IndexError):
        return True


WORKERS = {
    "gevent": ["-k", "gevent", "-w", "2"],
    "sync": ["-k", "sync", "-w", "2"],
    "gthread": ["-k", "gthread", "-w", "2", "--threads", "8"],
    "gevent-preload": ["-k", "gevent", "-w", "2", "--preload"],
}


@pytest.mark.parametrize("kind", list(WORKERS))
def test_ssr_under_gunicorn(kind: str, fault_root: Path, tmp_path: Path) -> None:
    env = {"TEST_RENDER_IN_MASTER": "1"} if kind.endswith("preload") else {}
    server = Gunicorn(tmp_path, fault_root, WORKERS[kind], env)
    renderers: set[int] = set()
    try:
        base = server.base
        status, html = get(base + "/hello?marker=m-0-aa")
        assert status == 200 and '<main data-url="/hello">m-0-aa</main>' in html

        # 200 concurrent requests: each page has its own URL and props, and no other's.
        token = secrets.token_hex(4)

        def fetch(i: int) -> tuple[int, int, str]:
            path = f"/async/{i}" if i % 2 else f"/item/{i}"
            return (i, *get(f"{base}{path}?marker=m-{i}-{token}"))

        with concurrent.futures.ThreadPoolExecutor(max_workers=200) as executor:
            results = list(executor.map(fetch, range(200)))
        for i, status, html in results:
            assert status == 200, html[:2000]
            assert MARKER_RE.findall(html) == [f"m-{i}-{token}"] * 2
            assert f'data-url="{f"/async/{i}" if i % 2 else f"/item/{i}"}"' in html

        web_before, renderers_before = server.pids()
        renderers |= renderers_before
        assert len(web_before) == 2 and os.getpid() not in web_before

        # Faults: a 500 each, and the server keeps serving meanwhile and after.
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as executor:
            looping = executor.submit(get, base + "/loop")
            time.sleep(0.2)
            started = time.monotonic()
            assert get(base + "/during")[0] == 200
            if kind != "sync":  # a sync worker is busy with the loop: the other one answers
                assert time.monotonic() - started < 1.0
            assert looping.result()[0] == 500
        assert get(base + "/grow")[0] == 500
        assert get(base + "/throw")[0] == 500
        status, html = get(base + "/after?marker=m-1-bb")
        assert status == 200 and "m-1-bb" in html

        web_after, renderers_after = server.pids()
        renderers |= renderers_after
        # The same two web workers: none died or was restarted.
        assert web_after == web_before
        assert server.text().count("Booting worker") == 2

        if kind.endswith("preload"):
            found = re.search(r"MASTER_RENDERERS (\[.*\])", server.text())
            assert found, server.text()
            master = set(json.loads(found.group(1)))
            assert master and not master & renderers
            renderers |= master  # the master's own: stopped with it
    finally:
        server.stop()
    log = server.text()
    assert "WORKER TIMEOUT" not in log and "[CRITICAL]" not in log, log
    # Renderers do not outlive gunicorn (their workers stop them; a renderer
    # also exits by itself when its parent is gone).
    deadline = time.monotonic() + 10
    while not all(gone(pid) for pid in renderers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(gone(pid) for pid in renderers), [p for p in renderers if not gone(p)]
