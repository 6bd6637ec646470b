"""The inotify watch (Linux): what it reports for edits, new and deleted files,
and that it can be woken and time out."""
from __future__ import annotations

import os
import threading
import typing as t
from pathlib import Path

import pytest

from flask_vite.server import inotify
from flask_vite.server.inotify import ADDED, DELETED, MODIFIED, InotifyWatch

pytestmark = pytest.mark.skipif(not inotify.available(), reason="inotify is Linux only")


class Flag:
    def __init__(self) -> None:
        self.stopped = False

    def is_set(self) -> bool:
        return self.stopped


@pytest.fixture
def folder(tmp_path: Path) -> t.Iterator[tuple[Path, InotifyWatch]]:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.ts").write_text("a\n")
    watch = InotifyWatch([str(tmp_path), str(tmp_path / "sub")])
    yield tmp_path, watch
    watch.close()


def changes(watch: InotifyWatch) -> t.Any:
    return watch.watch(200, 0, 10_000, Flag())


def write_in_place(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def save_by_rename(path: Path) -> None:
    temp = path.with_name(path.name + ".tmp")
    temp.write_text("new\n")
    os.replace(temp, path)


@pytest.mark.parametrize(("action", "expected"), [
    (lambda root: write_in_place(root / "a.ts", "b\n"), {(MODIFIED, "a.ts")}),
    (lambda root: (root / "sub" / "new.ts").write_text("x\n"), {(ADDED, "sub/new.ts")}),
    (lambda root: (root / "a.ts").unlink(), {(DELETED, "a.ts")}),
    (lambda root: os.replace(root / "sub", root / "moved"), {(DELETED, "sub"), (ADDED, "moved")}),
    (lambda root: save_by_rename(root / "a.ts"),
     {(ADDED, "a.ts.tmp"), (DELETED, "a.ts.tmp"), (ADDED, "a.ts")}),
])
def test_changes_as_watchfiles_reports_them(folder: tuple[Path, InotifyWatch],
                                            action: t.Callable[[Path], object],
                                            expected: set[tuple[int, str]]) -> None:
    root, watch = folder
    action(root)
    got = set()
    while not {(c, os.path.relpath(p, root)) for c, p in got} >= expected:
        batch = changes(watch)
        assert isinstance(batch, set), batch
        got |= batch
    assert {(c, os.path.relpath(p, root)) for c, p in got} == expected


def test_folders_not_watched_stay_quiet(folder: tuple[Path, InotifyWatch]) -> None:
    root, watch = folder
    (root / "sub" / "deeper").mkdir()
    assert changes(watch) == {(ADDED, str(root / "sub" / "deeper"))}
    (root / "sub" / "deeper" / "x.ts").write_text("x\n")
    assert watch.watch(200, 0, 100, Flag()) == "timeout"


def test_wake_ends_a_wait_once_stopped(folder: tuple[Path, InotifyWatch]) -> None:
    _, watch = folder
    flag = Flag()
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(watch.watch(200, 0, 0, flag)))
    thread.start()
    watch.wake()  # not stopped: goes on waiting
    flag.stopped = True
    watch.wake()
    thread.join(10)
    assert result == ["stop"]
    watch.close()
    watch.close()
    watch.wake()  # closed: nothing happens


class RecordingPoll:
    """``select.poll`` that notes the timeout of every wait."""

    def __init__(self, timeouts: list[int]) -> None:
        import select

        self._poll = select.poll()
        self._timeouts = timeouts

    def register(self, fd: int, events: int) -> None:
        self._poll.register(fd, events)

    def poll(self, timeout: int) -> list[tuple[int, int]]:
        self._timeouts.append(timeout)
        return self._poll.poll(timeout)


@pytest.mark.parametrize(("action", "last_wait"), [
    # Saved in place and closed: complete, reported with what is queued.
    (lambda root: write_in_place(root / "a.ts", "b\n"), 0),
    # A new file (a save through a temporary file starts so): the rest of the
    # save is given QUIET_MS to arrive.
    (lambda root: (root / "new.ts").write_text("x\n"), inotify.QUIET_MS),
])
def test_only_saves_in_place_are_reported_without_a_quiet_wait(
        tmp_path: Path, action: t.Callable[[Path], object], last_wait: int) -> None:
    (tmp_path / "a.ts").write_text("a\n")
    timeouts: list[int] = []
    watch = InotifyWatch([str(tmp_path)], poll=lambda: RecordingPoll(timeouts))
    try:
        action(tmp_path)
        assert isinstance(changes(watch), set)
        assert timeouts[0] > 1000  # the wait for a first event
        assert timeouts[-1] == last_wait
    finally:
        watch.close()


def test_an_overflowed_queue_is_reported_as_lost_changes(tmp_path: Path) -> None:
    limit = int(Path("/proc/sys/fs/inotify/max_queued_events").read_text())
    if limit > 100_000:
        pytest.skip(f"max_queued_events is {limit}: too many writes to overflow it")
    watch = InotifyWatch([str(tmp_path)])
    try:
        # Alternating files, so the kernel cannot merge repeated events.
        files = [os.open(tmp_path / name, os.O_WRONLY | os.O_CREAT) for name in ("a.ts", "b.ts")]
        try:
            for i in range(limit + 100):
                os.write(files[i % 2], b"x")
        finally:
            for fd in files:
                os.close(fd)
        got = changes(watch)
        assert isinstance(got, set)
        assert (inotify.LOST, "") in got
    finally:
        watch.close()
