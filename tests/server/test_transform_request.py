"""transform_request: one transform for concurrent requests of a URL, and a
transform overtaken by an edit is redone."""
from __future__ import annotations

import threading
import time
import typing as t
from pathlib import Path

from flask_vite.plugin import Plugin
from tests.apps import dev_app


class Gate(Plugin):
    """Counts transforms of slow.ts and holds the first one until released."""

    name = "gate"

    def __init__(self) -> None:
        self.calls = 0
        self.entered = threading.Event()
        self.release = threading.Event()

    def transform(self, ctx: t.Any, code: str, id: str) -> None:
        if id.endswith("slow.ts"):
            self.calls += 1
            if self.calls == 1:
                self.entered.set()
                assert self.release.wait(10)
        return None


def make(tmp_path: Path) -> tuple[t.Any, Gate, Path]:
    root = tmp_path / "app"
    (root / "src").mkdir(parents=True)
    (root / "index.html").write_text("<html><head></head></html>")
    (root / "src" / "slow.ts").write_text("export const v: string = 'one'\n")
    gate = Gate()
    return dev_app(root, plugins=[gate]), gate, root


def test_concurrent_requests_share_one_transform(tmp_path: Path) -> None:
    app, gate, _ = make(tmp_path)
    env = app.extensions["vite"].dev_server.environments["client"]
    results: list[t.Any] = []
    try:
        threads = [threading.Thread(target=lambda: results.append(env.transform_request("/src/slow.ts")))
                   for _ in range(5)]
        for thread in threads:
            thread.start()
        assert gate.entered.wait(10)
        time.sleep(0.05)  # the others are waiting on the pending transform
        gate.release.set()
        for thread in threads:
            thread.join(10)
        assert gate.calls == 1
        assert len(results) == 5 and all(r is results[0] for r in results)
        assert '"one"' in results[0].code
    finally:
        app.extensions["vite"].close()


def test_a_transform_overtaken_by_an_edit_is_redone(tmp_path: Path) -> None:
    app, gate, root = make(tmp_path)
    server = app.extensions["vite"].dev_server
    env = server.environments["client"]
    first: list[t.Any] = []
    second: list[t.Any] = []
    try:
        a = threading.Thread(target=lambda: first.append(env.transform_request("/src/slow.ts")))
        a.start()
        assert gate.entered.wait(10)
        time.sleep(0.01)
        # The file changes while its transform is under way.
        (root / "src" / "slow.ts").write_text("export const v: string = 'two'\n")
        env.module_graph.on_file_change((root / "src" / "slow.ts").as_posix())
        b = threading.Thread(target=lambda: second.append(env.transform_request("/src/slow.ts")))
        b.start()
        time.sleep(0.05)
        gate.release.set()
        a.join(10)
        b.join(10)
        # The waiting request does not get the stale result: it is transformed again.
        assert '"two"' in second[0].code
        assert gate.calls == 2
        # The stale result was not cached; the fresh one was.
        node = env.module_graph.get_module_by_url("/src/slow.ts")
        assert node is not None and node.transform_result is second[0]
        assert env.transform_request("/src/slow.ts") is second[0]
        assert gate.calls == 2
    finally:
        app.extensions["vite"].close()
