from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from flask_vite.errors import TarballError
from flask_vite.npm.tarball import extract_tarball, read_package_json

from .helpers import make_tarball


def test_extracts_and_strips_top_folder(tmp_path: Path) -> None:
    data = make_tarball([
        ("package.json", b'{"name":"x","version":"1.0.0"}'),
        ("lib", "dir"),
        ("lib/index.js", b"module.exports = 1\n"),
        ("bin/cli.js", (b"#!/usr/bin/env node\n", 0o755)),
        ("ro.txt", (b"read only", 0o444)),
    ])
    files = extract_tarball(data, tmp_path / "x")
    assert sorted(files) == ["bin/cli.js", "lib/index.js", "package.json", "ro.txt"]
    assert (tmp_path / "x/lib/index.js").read_bytes() == b"module.exports = 1\n"
    if sys.platform != "win32":
        assert stat.S_IMODE(os.stat(tmp_path / "x/bin/cli.js").st_mode) == 0o755
        # Owner write is added so the folder can be replaced or removed later.
        assert stat.S_IMODE(os.stat(tmp_path / "x/ro.txt").st_mode) == 0o644


def test_any_top_folder_name_is_stripped(tmp_path: Path) -> None:
    # @types packages use the package name instead of "package/".
    data = make_tarball([("index.d.ts", b"export {}")], top="node")
    assert extract_tarball(data, tmp_path) == ["index.d.ts"]


@pytest.mark.parametrize(
    ("entry", "content"),
    [
        ("!package/../evil.js", b"x"),
        ("!package/a/../../evil.js", b"x"),
        ("!../evil.js", b"x"),
        ("!/etc/evil", b"x"),
        ("!package\\..\\..\\evil.js", b"x"),
        ("!C:/evil.js", b"x"),
        ("link", ("symlink", "/etc/passwd")),
        ("link", ("symlink", "../../outside")),
        ("a/link", ("symlink", "../../outside")),
        ("hard", ("hardlink", "/etc/passwd")),
        ("hard", ("hardlink", "package/../../etc/passwd")),
    ],
)
def test_refuses_escapes(tmp_path: Path, entry: str, content: object) -> None:
    data = make_tarball([("package.json", b"{}"), (entry, content)])
    with pytest.raises(TarballError, match="bad@1.0.0"):
        extract_tarball(data, tmp_path / "dest", what="bad@1.0.0")
    assert not (tmp_path / "evil.js").exists()
    assert not (tmp_path / "outside").exists()


@pytest.mark.parametrize(
    ("entry", "content"),
    [("link", ("symlink", "lib/index.js")), ("a/link", ("symlink", "../b")),
     ("hard", ("hardlink", "package/lib/index.js"))],
)
def test_inner_links_are_skipped_like_npm(tmp_path: Path, entry: str, content: object) -> None:
    data = make_tarball([("lib/index.js", b"1"), (entry, content)])
    assert extract_tarball(data, tmp_path) == ["lib/index.js"]
    assert not os.path.lexists(tmp_path / entry)


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_never_writes_through_existing_symlink(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "lib").symlink_to(outside)
    data = make_tarball([("lib/index.js", b"1")])
    with pytest.raises(TarballError, match="symlink"):
        extract_tarball(data, dest)
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"max_total_size": 10}, "more than 10 bytes"),
     ({"max_file_size": 5}, "larger than 5 bytes"),
     ({"max_entries": 2}, "more than 2 entries")],
)
def test_limits(tmp_path: Path, kwargs: dict[str, int], match: str) -> None:
    data = make_tarball([("a.txt", b"123456"), ("b.txt", b"123456"), ("c.txt", b"1")])
    with pytest.raises(TarballError, match=match):
        extract_tarball(data, tmp_path, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("data", [b"", b"not a tarball", make_tarball([("a", b"1")])[:-30]])
def test_corrupt(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(TarballError, match="corrupt"):
        extract_tarball(data, tmp_path, what="x@1.0.0")


def test_read_package_json() -> None:
    data = make_tarball([("package.json", b'{"name":"x"}'), ("a/package.json", b"{}")])
    assert read_package_json(data) == {"name": "x"}
