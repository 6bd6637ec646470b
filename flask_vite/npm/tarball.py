"""Safe extraction of npm package tarballs.

Like npm (pacote), the first path component of every entry is stripped (it is
``package/`` in almost every tarball, but any name is accepted), links are not
created, and modes come from the archive. Unlike a plain ``tarfile.extractall``
nothing can be written outside ``dest``:

* absolute names, drive letters, ``..`` components -> :class:`TarballError`;
* symbolic or hard links pointing outside the package -> :class:`TarballError`
  (links that stay inside are skipped, as npm skips them);
* a directory that already exists as a symlink is never followed;
* total size, file size and entry count are bounded (gzip bombs).
"""
from __future__ import annotations

import io
import logging
import os
import posixpath
import stat
import tarfile
import typing as t
import zlib
from pathlib import Path

from ..errors import TarballError

logger = logging.getLogger("flask_vite.npm")

#: Limits are far above real packages (typescript unpacks to ~23 MB, the
#: largest native-binary packages to a few hundred MB) yet stop a bomb.
MAX_TOTAL_SIZE = 2 * 1024**3
MAX_FILE_SIZE = 1024**3
MAX_ENTRIES = 200_000



def _split_entry(name: str) -> list[str] | None:
    """The entry's path parts below the stripped top folder.

    ``None`` for the top folder itself. Raises :class:`TarballError` for names
    that try to leave it.
    """
    # Backslashes are separators on Windows; treat them so everywhere, so a
    # tarball is judged the same on every OS.
    raw = name.replace("\\", "/")
    if raw.startswith("/") or (len(raw) >= 2 and raw[1] == ":") or "\x00" in raw:
        raise TarballError(f"absolute path {name!r}")
    parts = [p for p in raw.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise TarballError(f"path {name!r} contains '..'")
    if len(parts) <= 1:
        return None
    return parts[1:]


def _link_target_inside(parts: list[str], linkname: str, hard: bool) -> bool:
    target = linkname.replace("\\", "/")
    if target.startswith("/") or (len(target) >= 2 and target[1] == ":"):
        return False
    if hard:
        # Hard link targets are archive paths, top folder included.
        comps = posixpath.normpath(target).split("/")
        return len(comps) >= 2 and ".." not in comps
    base = parts[:-1]
    joined = posixpath.normpath(posixpath.join(*base, target) if base else target)
    return joined != ".." and not joined.startswith("../")


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# Read once, at import: os.umask can only be read by setting it.
_UMASK = _current_umask()


def _gunzip(data: bytes, limit: int, what: str) -> bytes:
    # One zlib call for the whole archive (it releases the GIL, so parallel
    # extractions overlap); max_length stops a gzip bomb early.
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        raw = inflater.decompress(data, limit + 1)
    except zlib.error as e:
        raise TarballError(f"{what}: corrupt or truncated tarball ({e}); delete it and "
                           "download again") from e
    if len(raw) > limit or inflater.unconsumed_tail:
        raise TarballError(f"{what}: unpacks to more than {limit} bytes")
    if not inflater.eof:
        raise TarballError(f"{what}: corrupt or truncated tarball (gzip stream ends early); "
                           "delete it and download again")
    return raw


def extract_tarball(
    data: bytes,
    dest: str | os.PathLike[str],
    *,
    what: str = "tarball",
    max_total_size: int = MAX_TOTAL_SIZE,
    max_file_size: int = MAX_FILE_SIZE,
    max_entries: int = MAX_ENTRIES,
) -> list[str]:
    """Extract gzipped tar ``data`` into ``dest`` (created if needed).

    :param what: how to name the package in errors, e.g. ``"react@19.0.0"``.
    :return: the extracted file paths, relative to ``dest``, '/'-separated.
    :raises TarballError: unsafe entry, limit exceeded or corrupt archive; the
        message names ``what`` and the entry. Files written before the error
        stay: extract into a fresh folder and delete it on failure (the
        installer does).
    """
    dest_path = Path(dest)
    dest_path.mkdir(parents=True, exist_ok=True)
    root = str(dest_path)
    # Headers and padding add at most ~1 KiB per entry on top of the content.
    raw = _gunzip(data, max_total_size + 1024 * min(max_entries, 100_000) + 10240, what)
    view = memoryview(raw)
    safe_dirs: set[str] = {""}
    files: list[str] = []
    total = 0
    count = 0

    def ensure_dir(rel_parts: list[str]) -> str:
        # Create each level, refusing to walk through a pre-existing symlink.
        path = ""
        for part in rel_parts:
            path = f"{path}/{part}" if path else part
            if path in safe_dirs:
                continue
            full = os.path.join(root, path)
            try:
                st = os.lstat(full)
            except FileNotFoundError:
                os.mkdir(full, 0o755)
            else:
                if stat.S_ISLNK(st.st_mode):
                    raise TarballError(f"{what}: {path!r} is a symlink; refusing to write through it")
                if not stat.S_ISDIR(st.st_mode):
                    # A file earlier in the archive has the same name as this
                    # folder; a later entry wins, as with tar.
                    os.unlink(full)
                    os.mkdir(full, 0o755)
            safe_dirs.add(path)
        return path

    def write(full: str, rel: str, content: memoryview, mode: int) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        try:
            fd = os.open(full, flags, mode)
        except FileExistsError:
            # A duplicate entry (the later one wins) or a planted symlink:
            # O_EXCL never follows it; remove it and write a fresh file.
            os.unlink(full)
            fd = os.open(full, flags, mode)
        try:
            while content:
                content = content[os.write(fd, content):]
        finally:
            os.close(fd)
        if mode & _UMASK:
            # The umask narrowed the mode; modes are kept as packed.
            os.chmod(full, mode)

    try:
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tar:
            for member in tar:
                count += 1
                if count > max_entries:
                    raise TarballError(f"{what}: more than {max_entries} entries")
                try:
                    parts = _split_entry(member.name)
                except TarballError as e:
                    raise TarballError(f"{what}: unsafe entry: {e}") from None
                if member.issym() or member.islnk():
                    if parts is None or not _link_target_inside(parts, member.linkname,
                                                                member.islnk()):
                        raise TarballError(
                            f"{what}: link {member.name!r} -> {member.linkname!r} points outside "
                            "the package")
                    logger.debug("%s: skipping link %s", what, member.name)
                    continue
                if parts is None:
                    continue
                if member.isdir():
                    ensure_dir(parts)
                    continue
                if not member.isfile():
                    continue  # devices, fifos: never part of a real package
                if member.size > max_file_size:
                    raise TarballError(f"{what}: {member.name!r} is larger than {max_file_size} bytes")
                total += member.size
                if total > max_total_size:
                    raise TarballError(f"{what}: unpacks to more than {max_total_size} bytes")
                end = member.offset_data + member.size
                if end > len(raw):
                    raise TarballError(f"{what}: corrupt or truncated tarball ({member.name!r} "
                                       "is cut off); delete it and download again")
                parent = ensure_dir(parts[:-1])
                rel = f"{parent}/{parts[-1]}" if parent else parts[-1]
                if rel in safe_dirs:
                    raise TarballError(f"{what}: {member.name!r} is both a folder and a file")
                # Permission bits only (no setuid/sticky); the owner can always
                # read and write, so the folder can be updated and removed later.
                mode = (member.mode & 0o777) | 0o600 if member.mode else 0o644
                try:
                    write(os.path.join(root, rel), rel, view[member.offset_data:end], mode)
                except OSError as e:
                    raise TarballError(f"{what}: cannot write {rel!r}: {e}") from e
                files.append(rel)
    except tarfile.TarError as e:
        raise TarballError(f"{what}: corrupt or truncated tarball ({e}); delete it and download "
                           "again") from e
    except OSError as e:
        raise TarballError(f"{what}: cannot extract into {root}: {e}") from e
    return files


def read_package_json(data: bytes, *, what: str = "tarball") -> dict[str, t.Any] | None:
    """The ``package.json`` at the top of a tarball, without extracting it."""
    import json

    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r|gz") as tar:
            for member in tar:
                parts = _split_entry(member.name)
                if parts == ["package.json"] and member.isfile():
                    f = tar.extractfile(member)
                    if f is None:
                        return None
                    doc = json.loads(f.read())
                    return doc if isinstance(doc, dict) else None
    except (tarfile.TarError, zlib.error, EOFError, OSError, ValueError) as e:
        raise TarballError(f"{what}: cannot read package.json ({e})") from e
    return None
