"""The file watcher on real folders: what it watches, which events it reports,
and that it starts lazily and stops cleanly."""
from __future__ import annotations

import os
import queue
import threading
import time
import typing as t
from pathlib import Path

import pytest
from flask import Blueprint, Flask

from flask_vite import FlaskVite
from flask_vite.server import hot_update, inotify
from flask_vite.server.watcher import FileWatcher, ignored_file, list_dirs

TIMEOUT = 10.0
Event = t.Tuple[str, str]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An app folder: app.py, templates/, a venv, and the Vite root frontend/."""
    (tmp_path / "app.py").write_text("x = 1\n")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text("<p>{{ x }}</p>\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "views.py").write_text("y = 1\n")
    (tmp_path / ".venv" / "lib").mkdir(parents=True)
    (tmp_path / ".venv" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / "env" / "lib").mkdir(parents=True)
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    root = tmp_path / "frontend"
    for folder in ("src/components", "node_modules/react", "node_modules/.vite/deps", "dist",
                   ".git/objects", "public"):
        (root / folder).mkdir(parents=True)
    (root / "index.html").write_text("<html><head></head><body></body></html>\n")
    (root / "package.json").write_text("{}")
    (root / "src" / "main.ts").write_text("export {}\n")
    return tmp_path


def test_list_dirs_skips_ignored_folders(project: Path) -> None:
    root = project / "frontend"
    dirs = list_dirs([project], {str(root / "dist"), str(root / "node_modules/.vite")})
    names = {Path(d).relative_to(project).as_posix() for d in dirs}
    assert names == {".", "templates", "pkg", "frontend", "frontend/src",
                     "frontend/src/components", "frontend/public"}


@pytest.mark.parametrize(("name", "ignored"), [
    ("main.ts", False), (".env", False), ("main.ts~", True), (".main.ts.swp", True),
    (".#main.ts", True), ("x.pyc", True), ("views.py", False),
])
def test_editor_files_are_ignored(name: str, ignored: bool) -> None:
    assert ignored_file(f"/app/src/{name}") is ignored


class Recorder:
    """Stands in for hot_update.handle_file_change / hot_update.reload_pages."""

    def __init__(self) -> None:
        self.events: queue.Queue[Event] = queue.Queue()

    def file_change(self, server: object, change: str, file: str) -> None:
        self.events.put((change, file))

    def reload(self, server: object, file: str) -> None:
        self.events.put(("reload", file))

    def lost(self, server: object) -> None:
        self.events.put(("lost", ""))

    def expect(self, *expected: Event) -> None:
        """Wait for these events (any order); others in between are kept out."""
        wanted = set(expected)
        deadline = time.monotonic() + TIMEOUT
        got: list[Event] = []
        while wanted - set(got):
            try:
                got.append(self.events.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                raise AssertionError(f"waited for {sorted(wanted)}; got {got}") from None
        unexpected = [e for e in got if e not in expected]
        assert unexpected == [], unexpected

    def quiet(self, seconds: float = 0.3) -> None:
        """No event for a while (the watcher reports within a few steps)."""
        try:
            event = self.events.get(timeout=seconds)
        except queue.Empty:
            return
        raise AssertionError(f"unexpected event {event}")


@pytest.fixture(params=["inotify", "watchfiles"])
def watched(project: Path, monkeypatch: pytest.MonkeyPatch,
            request: pytest.FixtureRequest) -> t.Iterator[tuple[Flask, Recorder]]:
    """A started watcher, on each backend (watchfiles: as on macOS)."""
    if request.param == "inotify" and not inotify.available():
        pytest.skip("inotify is Linux only")
    if request.param == "watchfiles":
        monkeypatch.setattr(inotify, "available", lambda: False)
    recorder = Recorder()
    monkeypatch.setattr(hot_update, "handle_file_change", recorder.file_change)
    monkeypatch.setattr(hot_update, "reload_pages", recorder.reload)
    monkeypatch.setattr(hot_update, "handle_lost_changes", recorder.lost)
    app = Flask("app", root_path=str(project))
    admin = Blueprint("admin", "admin", root_path=str(project / "pkg"), template_folder="tpl")
    (project / "pkg" / "tpl").mkdir()
    app.register_blueprint(admin)
    # A sibling of the project the dev server may serve (see shared_folder).
    app.config.update(VITE_ROOT="frontend", VITE_DEV=True,
                      VITE_FS_ALLOW=[str(shared_folder(project))])
    FlaskVite(app)
    baseline = set(threading.enumerate())
    watcher = app.extensions["vite"].dev_server.watcher
    assert not watcher.running  # lazily: only once a request comes
    app.test_client().get("/nothing-here").close()
    assert watcher.wait_ready(TIMEOUT) and watcher.running
    yield app, recorder
    app.extensions["vite"].close()
    assert not watcher.running
    assert set(threading.enumerate()) <= baseline | {threading.current_thread()}


def posix(path: Path) -> str:
    return path.as_posix()


def shared_folder(project: Path) -> Path:
    """A folder next to the project (outside every watched folder)."""
    return project.parent / f"{project.name}-shared"


def test_edits_creations_and_deletions_in_the_root(watched: tuple[Flask, Recorder],
                                                   project: Path) -> None:
    _, recorder = watched
    src = project / "frontend" / "src"
    (src / "main.ts").write_text("export const x = 1\n")
    recorder.expect(("update", posix(src / "main.ts")))
    (src / "new.ts").write_text("export {}\n")
    recorder.expect(("create", posix(src / "new.ts")))
    (src / "new.ts").unlink()
    recorder.expect(("delete", posix(src / "new.ts")))
    (project / "frontend" / ".env").write_text("VITE_A=1\n")
    recorder.expect(("create", posix(project / "frontend" / ".env")))


def test_new_folders_are_watched_with_their_files(watched: tuple[Flask, Recorder],
                                                  project: Path) -> None:
    _, recorder = watched
    folder = project / "frontend" / "src" / "pages" / "deep"
    folder.mkdir(parents=True)
    (folder / "a.ts").write_text("export {}\n")
    recorder.expect(("create", posix(folder / "a.ts")))
    (folder / "a.ts").write_text("export const a = 1\n")
    recorder.expect(("update", posix(folder / "a.ts")))


def test_folders_of_modules_outside_the_root_are_watched_once_loaded(
        watched: tuple[Flask, Recorder], project: Path) -> None:
    # A sibling package loaded through /@fs/ (an alias, a linked package):
    # Vite's ensureWatchedFile. Not before it is loaded; its node_modules never.
    app, recorder = watched
    shared = shared_folder(project)
    (shared / "node_modules" / "dep").mkdir(parents=True)
    (shared / "util.ts").write_text("export const n = 1\n")
    (shared / "node_modules" / "dep" / "index.js").write_text("export {}\n")
    (shared / "util.ts").write_text("export const n = 2\n")
    recorder.quiet()
    response = app.test_client().get(f"/@fs{posix(shared)}/util.ts")
    assert response.status_code == 200 and b"n = 2" in response.data
    # The watch is reopened with the folder in it; edits are then reported.
    deadline = time.monotonic() + TIMEOUT
    while True:
        (shared / "util.ts").write_text(f"export const n = {time.monotonic()}\n")
        try:
            change, file = recorder.events.get(timeout=0.5)
            break
        except queue.Empty:
            assert time.monotonic() < deadline, "the folder outside the root was never watched"
    assert (change, file) == ("update", posix(shared / "util.ts"))
    app.extensions["vite"].dev_server.watcher.watch_files(
        [posix(shared / "node_modules" / "dep" / "index.js")])
    (shared / "node_modules" / "dep" / "index.js").write_text("export const x = 1\n")
    time.sleep(0.3)
    while not recorder.events.empty():  # the repeated writes above, if any
        assert recorder.events.get()[1] == posix(shared / "util.ts")
    recorder.quiet()


def test_lost_changes_reload_everything_and_list_the_folders_again(
        watched: tuple[Flask, Recorder], project: Path, monkeypatch: pytest.MonkeyPatch,
        request: pytest.FixtureRequest) -> None:
    if "inotify" not in request.node.callspec.id:
        pytest.skip("only inotify reports an overflowed queue")
    _, recorder = watched
    losing = threading.Event()
    read = inotify.InotifyWatch._read

    def overflowing(self: inotify.InotifyWatch, changes: set[tuple[int, str]],
                    open_writes: set[str]) -> None:
        read(self, changes, open_writes)
        if losing.is_set():  # as a full kernel queue: the events are gone
            changes.clear()
            open_writes.clear()
            changes.add((inotify.LOST, ""))

    monkeypatch.setattr(inotify.InotifyWatch, "_read", overflowing)
    src = project / "frontend" / "src"
    losing.set()
    (src / "unseen").mkdir()
    recorder.expect(("lost", ""))
    losing.clear()
    # The folder made while events were lost was found by listing again.
    (src / "unseen" / "late.ts").write_text("export {}\n")
    recorder.expect(("create", posix(src / "unseen" / "late.ts")))


def test_settle_returns_once_a_save_has_been_handled(
        watched: tuple[Flask, Recorder], project: Path, request: pytest.FixtureRequest) -> None:
    if "inotify" not in request.node.callspec.id:
        pytest.skip("watchfiles hands changes over only when polled: nothing to wait for")
    app, recorder = watched
    watcher = app.extensions["vite"].dev_server.watcher
    main = project / "frontend" / "src" / "main.ts"
    for n in range(5):
        main.write_text(f"export const n = {n}\n")
        watcher.settle(timeout=TIMEOUT)
        # Already handed to the dev server: no waiting here.
        assert recorder.events.get_nowait() == ("update", posix(main))
    watcher.settle(timeout=TIMEOUT)  # nothing changed: returns at once
    recorder.quiet()


def test_ignored_folders_and_files_stay_quiet(watched: tuple[Flask, Recorder],
                                              project: Path) -> None:
    _, recorder = watched
    root = project / "frontend"
    (root / "node_modules" / "react" / "index.js").write_text("x\n")
    (root / "node_modules" / ".vite" / "deps" / "react.js").write_text("x\n")
    (root / "dist" / "index.html").write_text("x\n")
    (root / ".git" / "objects" / "x").write_text("x\n")
    (project / ".venv" / "lib" / "site.py").write_text("x\n")
    (root / "src" / ".main.ts.swp").write_text("x\n")
    recorder.quiet()


def test_python_and_template_changes_reload_the_pages(watched: tuple[Flask, Recorder],
                                                      project: Path) -> None:
    _, recorder = watched
    (project / "app.py").write_text("x = 2\n")
    recorder.expect(("reload", posix(project / "app.py")))
    (project / "pkg" / "views.py").write_text("y = 2\n")
    recorder.expect(("reload", posix(project / "pkg" / "views.py")))
    (project / "templates" / "page.html").write_text("<p>changed</p>\n")
    recorder.expect(("reload", posix(project / "templates" / "page.html")))
    (project / "pkg" / "tpl" / "admin.html").write_text("<p>admin</p>\n")
    recorder.expect(("reload", posix(project / "pkg" / "tpl" / "admin.html")))


def test_python_files_the_reloader_restarts_for_are_left_to_it(
        watched: tuple[Flask, Recorder], project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, recorder = watched
    import types

    module = types.ModuleType("fixture_app")
    module.__file__ = str(project / "app.py")
    monkeypatch.setitem(__import__("sys").modules, "fixture_app", module)
    monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
    (project / "app.py").write_text("x = 3\n")
    # Imported, so werkzeug restarts the server: the pages reload once it is back.
    recorder.quiet(0.5)
    (project / "pkg" / "views.py").write_text("y = 3\n")
    recorder.expect(("reload", posix(project / "pkg" / "views.py")))


def test_python_reload_can_be_turned_off(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder()
    monkeypatch.setattr(hot_update, "handle_file_change", recorder.file_change)
    monkeypatch.setattr(hot_update, "reload_pages", recorder.reload)
    monkeypatch.setattr(hot_update, "handle_lost_changes", recorder.lost)
    app = Flask("app", root_path=str(project))
    app.config.update(VITE_ROOT="frontend", VITE_DEV=True, VITE_RELOAD_ON_PYTHON_CHANGE=False)
    FlaskVite(app)
    watcher: FileWatcher = app.extensions["vite"].dev_server.watcher
    try:
        assert [p.as_posix() for p in watcher.roots()] == [posix(project / "frontend")]
        watcher.start()
        assert watcher.wait_ready(TIMEOUT)
        (project / "app.py").write_text("x = 4\n")
        (project / "frontend" / "src" / "main.ts").write_text("export const y = 1\n")
        recorder.expect(("update", posix(project / "frontend" / "src" / "main.ts")))
    finally:
        app.extensions["vite"].close()


def test_close_before_start_and_twice(project: Path) -> None:
    app = Flask("app", root_path=str(project))
    app.config.update(VITE_ROOT="frontend", VITE_DEV=True)
    FlaskVite(app)
    watcher = app.extensions["vite"].dev_server.watcher
    app.extensions["vite"].close()
    app.extensions["vite"].close()
    watcher.start()  # after close: stays stopped
    assert not watcher.running
    assert os.path.isdir(project)


def test_list_dirs_stops_at_the_limit(project: Path) -> None:
    dirs = list_dirs([project], limit=3)
    assert len(dirs) == 3
    assert str(project) in dirs
