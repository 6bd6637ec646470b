"""The ``ssr`` environment's runner with several V8 children: a stuck render
holds one child, the next call takes another; every child gets each edit
once; module state is per child; a walk of the graph is reused until it changes."""
from __future__ import annotations

import contextlib
import os
import signal
import threading
import typing as t
from pathlib import Path

import pytest
from flask import Flask

from flask_vite import FlaskVite

pytest.importorskip("py_mini_racer", reason="the V8 binding (pip install mini-racer) is not installed")

if t.TYPE_CHECKING:
    from flask_vite.server.environment import DevEnvironment
    from flask_vite.server.ssr_runner import SsrRunner

ENTRY = "/src/entry.ts"

#: Long enough never to fire in a test: a stuck render is ended by killing its child.
TIMEOUT = 60.0


@pytest.fixture
def ssr(tmp_path: Path) -> t.Iterator[tuple[DevEnvironment, Path]]:
    root = tmp_path / "app"
    src = root / "src"
    src.mkdir(parents=True)
    (root / "index.html").write_text("<html><head></head><body></body></html>")
    (src / "counter.ts").write_text("let n = 0\nexport const next = (): number => ++n\n")
    (src / "label.ts").write_text("export const label: string = 'v1:'\n")
    (src / "entry.ts").write_text(
        "import { next } from './counter'\nimport { label } from './label'\n"
        "export function render(url: string): string {\n"
        "  if (url === '/loop') { for (;;) {} }\n"
        "  return label + next()\n}\n")
    app = Flask(__name__, root_path=str(tmp_path))
    app.config.update(VITE_ROOT="app", VITE_DEV=True, VITE_APP_TYPE="custom",
                      VITE_SSR_TIMEOUT=TIMEOUT, VITE_SSR_WORKERS=2)
    FlaskVite(app)
    environment = app.extensions["vite"].dev_server.environments["ssr"]
    yield environment, src
    app.extensions["vite"].close()


def render(runner: SsrRunner, url: str = "/") -> t.Any:
    return runner.import_(ENTRY)["render"](url)


@contextlib.contextmanager
def stuck(runner: SsrRunner) -> t.Iterator[dict[str, t.Any]]:
    """A render looping forever on the first child while the body runs; its
    child is killed at the end (the render fails, the child is replaced)."""
    outcome: dict[str, t.Any] = {}
    done = threading.Event()
    # Imported here: the thread then takes a child once, for the call.
    function = runner.import_(ENTRY)["render"]

    def loop() -> None:
        try:
            outcome["value"] = function("/loop")
        except Exception as e:  # noqa: BLE001 - looked at by the test
            outcome["error"] = e
        finally:
            done.set()

    assert not runner.busy
    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    assert wait_for(lambda: bool(runner.busy) or done.is_set()) and not done.is_set(), outcome
    # The first free child takes it: the first one.
    assert runner.busy == [runner.process]
    try:
        yield outcome
        # Whatever the body did, the endless render has not been answered.
        assert not done.is_set(), outcome
    finally:
        [looping] = runner.busy
        pid = looping.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        thread.join(TIMEOUT)
    from flask_vite.ssr.errors import SsrCrashed

    assert isinstance(outcome.get("error"), SsrCrashed), outcome


def wait_for(condition: t.Callable[[], bool]) -> bool:
    done = threading.Event()
    for _ in range(600):
        if condition():
            return True
        done.wait(0.05)
    return condition()


def test_a_stuck_render_holds_one_child_and_each_child_gets_every_edit(
        ssr: tuple[DevEnvironment, Path]) -> None:
    environment, src = ssr
    runner = environment.runner
    # One request at a time: always the first child, the second is not started.
    assert [render(runner), render(runner)] == ["v1:1", "v1:2"]
    assert len(runner.processes) == 1
    first = runner.process
    with stuck(runner):
        # Answered while the first child spins: the second one is started, sent
        # the modules, and has its own state (its own counter).
        assert render(runner) == "v1:1"
        assert len(runner.processes) == 2
    assert not runner.busy
    # The first child was killed and replaced: the modules go to the new one.
    assert runner.process is first and first.spawn_count == 2
    assert render(runner) == "v1:1"
    assert render(runner) == "v1:2"
    (src / "label.ts").write_text("export const label: string = 'v2:'\n")
    environment.module_graph.on_file_change((src / "label.ts").as_posix())
    # label.ts and its importer run again; counter.ts keeps its count.
    assert render(runner) == "v2:3"
    with stuck(runner):
        # The second child gets the same edit, its counter kept too.
        assert render(runner) == "v2:2"


def test_a_call_on_another_child_gets_the_edit_too(ssr: tuple[DevEnvironment, Path]) -> None:
    """The module is imported on one child and its function called on
    another: that child is sent the changes before it runs the call."""
    environment, src = ssr
    runner = environment.runner
    exports = runner.import_(ENTRY)
    assert exports["render"]("/") == "v1:1"
    (src / "label.ts").write_text("export const label: string = 'v3:'\n")
    environment.module_graph.on_file_change((src / "label.ts").as_posix())
    with stuck(runner):
        assert exports["render"]("/") == "v3:1"


def test_the_graph_is_walked_again_only_after_a_change(ssr: tuple[DevEnvironment, Path]) -> None:
    environment, src = ssr
    runner = environment.runner
    collector = runner.collector
    assert render(runner) == "v1:1"
    walk = collector.modules(ENTRY)
    assert sorted(walk.modules) == ["/src/counter.ts", "/src/entry.ts", "/src/label.ts"]
    assert collector.modules(ENTRY) is walk
    assert render(runner) == "v1:2"
    assert collector.modules(ENTRY) is walk
    generation = environment.module_graph.generation
    (src / "label.ts").write_text("export const label: string = 'v2:'\n")
    environment.module_graph.on_file_change((src / "label.ts").as_posix())
    assert environment.module_graph.generation > generation
    assert render(runner) == "v2:3"
    again = collector.modules(ENTRY)
    assert again is not walk
    assert again.modules["/src/counter.ts"] == walk.modules["/src/counter.ts"]
    assert again.modules["/src/label.ts"].source is not walk.modules["/src/label.ts"].source


def test_one_worker_runs_calls_one_at_a_time(tmp_path: Path) -> None:
    root = tmp_path / "app"
    (root / "src").mkdir(parents=True)
    (root / "src" / "entry.ts").write_text("export const render = (url: string): string => url\n")
    app = Flask(__name__, root_path=str(tmp_path))
    app.config.update(VITE_ROOT="app", VITE_DEV=True, VITE_SSR_WORKERS=1)
    FlaskVite(app)
    try:
        runner = app.extensions["vite"].dev_server.environments["ssr"].runner
        results = []
        threads = [threading.Thread(target=lambda i=i: results.append(render(runner, f"/{i}")))
                   for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert sorted(results) == ["/0", "/1", "/2", "/3"]
        assert len(runner.processes) == 1
    finally:
        app.extensions["vite"].close()
