"""Which files the dev server may hand out.

Every URL → file mapping in the dev server goes through :func:`safe_join`
(the one path-safety function: it returns ``None`` rather than raising), and
every file it would serve goes through :func:`file_access` (the
allow list, the deny list, symlinks). The transform pipeline calls
:func:`check_url_access` / :func:`check_file_access`, so a ``?raw``,
``?url`` or ``?inline`` request for a secret is refused the same way as a
plain one.

The rules are Vite's ``server.fs`` rules (``isFileLoadingAllowed`` and
``checkLoadingAccess`` in ``server/middlewares/static.ts``):

- files are served only from the root, the optimizer cache
  (``VITE_CACHE_DIR``) and ``VITE_FS_ALLOW`` (:attr:`DevServer.fs_allow`),
  judged on the *real* path, so a symlink cannot lead out;
- ``VITE_FS_DENY`` wins over everything, matched case-insensitively on the
  base name (patterns without ``/``) or on the path relative to each
  allowed folder (patterns with ``/``), on both the requested and the real
  path;
- a denied path that exists answers 403; one that does not exist is
  *missing*, so the request falls through (it may be a Flask view).
"""
from __future__ import annotations

import enum
import functools
import os
import re
import typing as t
from pathlib import Path

from ..errors import ViteError
from .urls import (
    FS_PREFIX,
    VALID_ID_PREFIX,
    clean_url,
    normalize_path,
    unwrap_id,
)

if t.TYPE_CHECKING:
    from .dev_server import DevServer

#: :attr:`ViteError.code` of :class:`FsDeniedError`.
FS_DENIED = "FS_DENIED"

_IS_WINDOWS = os.name == "nt"
# A Windows 8.3 short name (``PROGRA~1``, ``ENV~1``) aliases a long name and
# could bypass the deny list (Vite's looksLikeWindowsShortNamePath).
_WINDOWS_SHORT_NAME_RE = re.compile(r"^[^~.]{1,6}~\d+(?:\.[^~.]{0,3})?$")


class FsDeniedError(ViteError):
    """A request names a file the dev server must not serve.

    Raised by :func:`check_url_access` and :func:`check_file_access`; the
    transform handler answers it with 403.
    """

    code = FS_DENIED

    def __init__(self, url: str, file: Path, reason: str) -> None:
        super().__init__(f"The request {url!r} was refused: {reason}. File: {file}")
        #: The URL (or id) as requested.
        self.url = url
        #: The file it named.
        self.file = file
        #: Why, naming the setting (``VITE_FS_DENY``, ``VITE_FS_ALLOW``).
        self.reason = reason


class Access(enum.Enum):
    """What :func:`file_access` decided."""

    #: Inside an allowed folder, not denied, exists.
    ALLOWED = "allowed"
    #: Exists but must not be served: answer 403.
    DENIED = "denied"
    #: Does not exist (or is not a usable path): let the request fall through.
    MISSING = "missing"


# -- the path-safety function --------------------------------------------------
def safe_join(base: Path, path: str) -> Path | None:
    """``base`` joined with a *decoded* URL path, or ``None`` if ``path`` is
    not one this server will map to a file.

    Refused (``None``): NUL bytes and control characters, backslashes,
    ``:`` (NTFS alternate data streams, drive letters), ``..`` segments
    (browsers never send them; only crafted requests do, also as
    ``%2e%2e``), and on Windows segments ending in ``.`` or space (Windows
    drops them, so ``.env.`` would open ``.env``) and 8.3 short names.
    Leading slashes, empty and ``.`` segments are dropped, so the result
    always lies under ``base`` lexically; symlinks are judged later by
    :func:`file_access`.

    The file need not exist. This never raises.
    """
    if any(ord(c) < 0x20 or c == "\x7f" for c in path) or "\\" in path or ":" in path:
        return None
    parts: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            return None
        if _IS_WINDOWS and (
            segment.endswith((".", " ")) or _WINDOWS_SHORT_NAME_RE.match(segment)
        ):
            return None
        parts.append(segment)
    return base.joinpath(*parts) if parts else base


# -- the deny list -------------------------------------------------------------
@functools.lru_cache(maxsize=64)
def compile_glob(pattern: str) -> re.Pattern[str]:
    """A regex for a glob: ``*`` and ``?`` within one segment, ``**`` across
    segments (``**/`` may match none), ``{a,b}`` alternatives (nestable),
    ``[...]`` classes. Case-insensitive; wildcards match dotfiles (picomatch's
    ``nocase`` and ``dot``, as Vite configures it for ``server.fs.deny``).
    """
    return re.compile(_glob_body(pattern), re.IGNORECASE | re.DOTALL)


def _glob_body(pattern: str) -> str:
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if pattern.startswith("**", i):
            at_start = i == 0 or pattern[i - 1] == "/"
            i += 2
            if at_start and i < n and pattern[i] == "/":
                out.append("(?:.*/)?")  # "**/" — zero or more whole segments
                i += 1
            elif at_start and i == n and out and out[-1] == "/":
                out[-1] = "(?:/.*)?"  # trailing "/**" — the folder itself or anything in it
            else:
                out.append(".*")
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "{":
            end, alternatives = _split_braces(pattern, i)
            if end < 0:
                out.append(re.escape(c))
                i += 1
            else:
                out.append("(?:" + "|".join(_glob_body(a) for a in alternatives) + ")")
                i = end + 1
        elif c == "[":
            end = pattern.find("]", i + 2)
            if end < 0:
                out.append(re.escape(c))
                i += 1
            else:
                body = pattern[i + 1:end]
                if body[0] in "!^":
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end + 1
        else:
            out.append("/" if c == "/" else re.escape(c))
            i += 1
    return "".join(out)


def _split_braces(pattern: str, start: int) -> tuple[int, list[str]]:
    """The index of the ``}`` closing the ``{`` at ``start`` and the
    top-level alternatives, or ``(-1, [])`` when unbalanced."""
    depth = 0
    alternatives: list[str] = []
    current = start + 1
    for i in range(start, len(pattern)):
        c = pattern[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                alternatives.append(pattern[current:i])
                return i, alternatives
        elif c == "," and depth == 1:
            alternatives.append(pattern[current:i])
            current = i + 1
    return -1, []


def matches_deny(
    patterns: t.Iterable[str], path: str | Path, roots: t.Iterable[str | Path]
) -> str | None:
    """The first deny pattern matching ``path``, or ``None``.

    A pattern without ``/`` (``.env``, ``*.{pem,key}``) is matched against
    the base name, which is what Vite's ``**/<pattern>`` rewrite amounts to.
    A pattern with ``/`` (``**/.git/**``) is matched against the path
    relative to each folder of ``roots`` that contains it, and against the
    absolute path (so absolute patterns work too).
    """
    return _deny_match(
        tuple(patterns), _posix(path), tuple(_posix(root) for root in roots)
    )


def _posix(path: str | Path) -> str:
    text = path.as_posix() if isinstance(path, Path) else str(path)
    return text.replace("\\", "/") if _IS_WINDOWS else text


@functools.lru_cache(maxsize=4096)
def _deny_match(patterns: tuple[str, ...], posix: str, roots: tuple[str, ...]) -> str | None:
    # Cached: the transform pipeline asks about the same few hundred files
    # (and the same settings) on every page load.
    name = posix.rpartition("/")[2]
    candidates: list[str] | None = None
    for pattern in patterns:
        regex = compile_glob(pattern)
        if "/" not in pattern:
            if regex.fullmatch(name):
                return pattern
            continue
        if candidates is None:
            candidates = [posix]
            for root in roots:
                if posix == root:
                    candidates.append(".")
                elif _under(posix, root):
                    candidates.append(posix[len(root.rstrip("/")) + 1:])
        if any(regex.fullmatch(c) for c in candidates):
            return pattern
    return None


# -- access decisions ----------------------------------------------------------
def _under(path: str, folder: str) -> bool:
    """Whether ``path`` lies strictly inside ``folder`` (both absolute, normalised)."""
    return path.startswith(folder.rstrip("/") + "/")


def _within(path: str, roots: t.Iterable[str]) -> bool:
    return any(path == root or _under(path, root) for root in roots)


def real_path(path: Path) -> Path:
    """``path`` with every symlink resolved (what opening it reads)."""
    return Path(os.path.realpath(path))


class _Roots(t.NamedTuple):
    """The folders files may come from, as written and with symlinks
    resolved, each also in ``/`` form for the deny patterns."""

    lexical: tuple[str, ...]
    real: tuple[str, ...]
    lexical_posix: tuple[str, ...]
    real_posix: tuple[str, ...]


def _served_roots(server: DevServer, extra_roots: t.Sequence[Path]) -> _Roots:
    """The folders files may come from (:class:`_Roots`).

    Worked out once per server and set of extra roots: the settings do not
    change while it runs, and resolving every root's symlinks on every
    request was a tenth of a page load's time.
    """
    key = (server.fs_allow, tuple(extra_roots))
    cache: dict[t.Any, _Roots] = server.__dict__.setdefault("_fs_roots_cache", {})
    roots = cache.get(key)
    if roots is None:
        lexical = tuple(os.path.abspath(r) for r in (*server.fs_allow, *extra_roots))
        real = tuple(os.path.realpath(r) for r in lexical)
        roots = cache[key] = _Roots(lexical, real, tuple(map(_posix, lexical)),
                                    tuple(map(_posix, real)))
    return roots


def explain_access(
    server: DevServer, path: Path, *, extra_roots: t.Sequence[Path] = ()
) -> tuple[Access, str]:
    """:func:`file_access` with the reason, for messages and logs."""
    roots = _served_roots(server, extra_roots)
    lexical = os.path.abspath(path)
    try:
        real = os.path.realpath(lexical)
        exists = os.path.exists(real)
    except (OSError, ValueError):  # loops, names too long, NUL on odd platforms
        return Access.MISSING, "unusable path"
    deny = tuple(server.config.fs_deny)
    denied_by = _deny_match(deny, _posix(lexical), roots.lexical_posix) or \
        _deny_match(deny, _posix(real), roots.real_posix)
    if denied_by is not None:
        reason = f"it matches the VITE_FS_DENY pattern {denied_by!r}"
        return (Access.DENIED if exists else Access.MISSING), reason
    if not _within(real, roots.real):
        reason = (
            "it is outside the folders the dev server may serve"
            " (the root, VITE_CACHE_DIR and VITE_FS_ALLOW)"
        )
        if real != lexical and _within(lexical, roots.lexical):
            reason += f"; it is a symlink to {real}"
        return (Access.DENIED if exists else Access.MISSING), reason
    return (Access.ALLOWED if exists else Access.MISSING), "allowed" if exists else "no such file"


def file_access(
    server: DevServer, path: Path, *, extra_roots: t.Sequence[Path] = ()
) -> Access:
    """Whether ``path`` (absolute; usually from :func:`safe_join`) may be served.

    :param extra_roots: Folders allowed for this lookup only (the public dir).
    """
    return explain_access(server, path, extra_roots=extra_roots)[0]


def check_file_access(server: DevServer, file: str | Path, url: str | None = None) -> None:
    """Raise :class:`FsDeniedError` if ``file`` exists and must not be served.

    For the transform pipeline, on every file it reads: an alias, a package
    ``exports`` entry or a symlink may lead a harmless URL to a secret file.
    Missing files pass (loading them fails on its own).

    :param url: The URL being served, for the message.
    """
    path = Path(file)
    access, reason = explain_access(server, path)
    if access is Access.DENIED:
        raise FsDeniedError(url if url is not None else str(path), path, reason)


def url_to_path(server: DevServer, url: str) -> Path | None:
    """The file a *decoded* URL names: ``/@fs/<abs path>`` or a path under the root.

    The query is ignored. ``None`` for URLs that cannot name a file.
    """
    path = clean_url(url)
    if path.startswith(FS_PREFIX):
        rest = path[len(FS_PREFIX):]
        if _IS_WINDOWS:
            drive = re.match(r"^([A-Za-z]:)/", rest)
            if drive is None:
                return None
            return safe_join(Path(drive.group(1) + "\\"), rest[3:])
        return safe_join(Path("/"), rest)
    if not path.startswith("/"):
        return None
    return safe_join(server.config.root, path)


def check_url_access(server: DevServer, url: str) -> Path | None:
    """The file a request URL names, if serving it is allowed.

    For the transform handler (which runs it before every
    ``transform_request``) and for the pipeline: ``url`` is *decoded*,
    root-relative or ``/@fs/``, with its query (``/src/.env?raw``).

    Every reading of the URL is checked, because a crafted query can make a
    plugin load a different file than the path suggests (Vite's
    ``isServerAccessDeniedForTransform``, fs-serve tests): the path without
    the query; the whole URL normalised as a path, then cut at its query
    (``/src/?/../../.env?raw`` → ``/.env``); for a root-relative URL that
    names no file under the root, the same path as an absolute file path
    (the resolver's fallback); ``/@id/`` URLs unwrapped; ``./`` and
    ``../`` ids taken from the root.

    :return: The real path of the file; ``None`` when the URL names no file
        (a virtual module, a bare import, a missing file).
    :raises FsDeniedError: when any reading names a file that exists and must
        not be served.
    """
    # Vite keeps the files that passed ("safe module paths"); here the URLs
    # that named an allowed file are remembered, so a page load does not
    # resolve the same paths' symlinks hundreds of times. Only passes are
    # kept: a refusal is decided afresh, and a file that turns into a symlink
    # later is still checked where it is read (check_file_access on load).
    passed: dict[str, Path] = server.__dict__.setdefault("_fs_passed_urls", {})
    found = passed.get(url)
    if found is not None:
        return found
    found = _check_url_access(server, url)
    if found is not None:
        if len(passed) >= _PASSED_URLS_LIMIT:
            passed.clear()
        passed[url] = found
    return found


#: How many allowed URLs :func:`check_url_access` remembers.
_PASSED_URLS_LIMIT = 10_000


def _check_url_access(server: DevServer, url: str) -> Path | None:
    if url.startswith(VALID_ID_PREFIX):
        url = unwrap_id(url)
    if url.startswith(("./", "../")):
        # "/@id/../outside/x": the resolver would take it relative to the root.
        path = Path(os.path.normpath(server.config.root / clean_url(url)))
        access, reason = explain_access(server, path)
        if access is Access.DENIED:
            raise FsDeniedError(url, path, reason)
        return real_path(path) if access is Access.ALLOWED and path.is_file() else None
    if not url.startswith("/"):
        return None  # virtual module ("\0..."), bare import: the resolver decides
    candidates: list[Path] = []
    first = url_to_path(server, url)
    if first is not None:
        candidates.append(first)
    if url != clean_url(url) or "/." in url:
        # The query may hold path-like text; see the docstring.
        whole = url_to_path(server, normalize_path(url))
        if whole is not None:
            candidates.append(whole)
    if not url.startswith(FS_PREFIX) and url.startswith("/") and (
        first is None or not first.exists()
    ):
        # Only a *file*: "/home" or "/tmp" must stay free for Flask views.
        absolute = url_to_path(server, FS_PREFIX + clean_url(url).lstrip("/"))
        if absolute is not None and absolute != first and absolute.is_file():
            candidates.append(absolute)
    found: Path | None = None
    for path in candidates:
        access, reason = explain_access(server, path)
        if access is Access.DENIED:
            raise FsDeniedError(url, path, reason)
        if access is Access.ALLOWED and found is None and path is first:
            real = real_path(path)
            found = real if real.is_file() else None
    return found

