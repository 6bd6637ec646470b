"""Pure helpers for the URLs the dev server sees.

Nothing here touches files or sockets. The names follow Vite's
``packages/vite/src/node/utils.ts`` and ``src/shared/utils.ts`` so a reader
can compare behaviours one to one:

- a *URL* here is what Vite calls ``req.url``: the request target's path and
  query, still percent-encoded (``/src/App.tsx?import&t=1700000000000``);
- an *id* is what the plugin pipeline works on: usually an absolute file
  path, maybe with a query (``/home/me/app/src/App.tsx?raw``).
"""
from __future__ import annotations

import posixpath
import re
import typing as t
from pathlib import PurePath, PurePosixPath
from urllib.parse import quote

#: URL prefix of files served by absolute path (outside the root).
FS_PREFIX = "/@fs/"
#: URL prefix of resolved ids that are not valid browser specifiers
#: (virtual modules, bare imports that could not be resolved to a URL).
VALID_ID_PREFIX = "/@id/"
#: ``\0`` (Rollup's virtual-module marker) as it appears in a URL.
NULL_BYTE_PLACEHOLDER = "__x00__"
#: The HMR client module.
CLIENT_PUBLIC_PATH = "/@vite/client"
#: The ``import.meta.env`` module.
ENV_PUBLIC_PATH = "/@vite/env"
#: Where pre-bundled dependencies are served from, relative to the root.
OPTIMIZED_DEPS_PATH = "/node_modules/.vite/deps/"

_POSTFIX_RE = re.compile(r"[?#].*$", re.S)
# Vite's knownJsSrcRE: what is JS even though the browser would not know it.
_KNOWN_JS_SRC_RE = re.compile(r"\.(?:[jt]sx?|m[jt]s|vue|marko|svelte|astro|imba|mdx)(?:$|\?)")
# Vite's CSS_LANGS_RE.
_CSS_LANGS_RE = re.compile(r"\.(css|less|sass|scss|styl|stylus|pcss|postcss|sss)(?:$|\?)")
_IMPORT_QUERY_RE = re.compile(r"(\?|&)import=?(?:&|$)")
_DIRECT_QUERY_RE = re.compile(r"(\?|&)direct=?(?:&|$)")
_URL_QUERY_RE = re.compile(r"(\?|&)url(?:&|$)")
_RAW_QUERY_RE = re.compile(r"(\?|&)raw(?:&|$)")
# Vite's transform handler uses looser \b forms for its access checks
# (``?raw=1``, ``?inline=1.wasm?init``); keep both, for the same reasons.
_URL_FLAG_RE = re.compile(r"[?&]url\b")
_RAW_FLAG_RE = re.compile(r"[?&]raw\b")
_INLINE_FLAG_RE = re.compile(r"[?&]inline\b")
_SVG_RE = re.compile(r"\.svg\b")
_SPECIAL_QUERY_RE = re.compile(r"[?&](?:worker|sharedworker|raw|url)\b")
_HTML_PROXY_RE = re.compile(r"[?&]html-proxy\b")
_DIRECT_FLAG_RE = re.compile(r"[?&]direct\b")
_TRAILING_SEPARATOR_RE = re.compile(r"[?&]$")
# ``t=`` followed by a 13-digit millisecond timestamp, as the HMR client adds.
_TIMESTAMP_RE = re.compile(r"\bt=\d{13}&?\b")
#: ``?v=hash`` on optimized dependency URLs (Vite's DEP_VERSION_RE).
DEP_VERSION_RE = re.compile(r"[?&](v=[\w.-]+)\b")
_INTERNAL_PREFIXES = (FS_PREFIX, VALID_ID_PREFIX, CLIENT_PUBLIC_PATH, ENV_PUBLIC_PATH)
_WINDOWS_VOLUME_RE = re.compile(r"^[A-Za-z]:")
# JavaScript's decodeURI leaves escapes of these characters encoded, so an
# encoded "/" or "?" never turns into a separator (ECMA-262, reservedURISet + "#").
_DECODE_URI_RESERVED = frozenset(";/?:@&=+$,#")
_ESCAPE_RUN_RE = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


# -- shape of a URL -------------------------------------------------------------
def clean_url(url: str) -> str:
    """``url`` without its query and fragment (Vite's ``cleanUrl``)."""
    return _POSTFIX_RE.sub("", url)


def split_file_and_postfix(url: str) -> tuple[str, str]:
    """``("/a.js", "?raw#x")`` for ``"/a.js?raw#x"``."""
    file = clean_url(url)
    return file, url[len(file):]


def query_string(url: str) -> str:
    """The part after the first ``?`` (without a fragment), or ``""``."""
    _, postfix = split_file_and_postfix(url)
    if not postfix.startswith("?"):
        return ""
    return postfix[1:].split("#", 1)[0]


def parse_query(url: str) -> list[tuple[str, str]]:
    """The query's ``key[=value]`` pairs, in order, *not* percent-decoded.

    Vite's flags are bare keys (``?import&raw``) so this keeps an absent
    value as ``""`` and never drops a key. ``?a?b`` (a second ``?``) is kept
    inside the first pair's text, as a URL parser would.
    """
    qs = query_string(url)
    pairs: list[tuple[str, str]] = []
    for part in qs.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        pairs.append((key, value))
    return pairs


def has_query_flag(url: str, name: str) -> bool:
    """Whether ``name`` appears as a key of the query (``?raw``, ``?x&raw=1``)."""
    return any(key == name for key, _ in parse_query(url))


def with_trailing_slash(path: str) -> str:
    return path if path.endswith("/") else path + "/"


def extname(path: str) -> str:
    """Node's ``path.extname``: ``.js`` for ``/a/b.js``, ``""`` for ``/a/.env`` or ``/a/``."""
    base = path.rsplit("/", 1)[-1]
    stripped = base.lstrip(".")
    if "." not in stripped:
        return ""
    return "." + stripped.rsplit(".", 1)[1]


# -- what a request asks for ---------------------------------------------------
def is_js_request(url: str) -> bool:
    """A module the browser imports as JS: known JS-like extensions, or no
    extension at all (``/src/App`` → resolved by the pipeline), but not a
    directory (``/src/``)."""
    url = clean_url(url)
    if _KNOWN_JS_SRC_RE.search(url):
        return True
    return not extname(url) and not url.endswith("/")


def is_css_request(url: str) -> bool:
    return bool(_CSS_LANGS_RE.search(url))


def is_direct_request(url: str) -> bool:
    """``?direct``: CSS asked for by a ``<link>``, served as CSS rather than JS."""
    return bool(_DIRECT_FLAG_RE.search(url))


def is_direct_css_request(url: str) -> bool:
    return is_css_request(url) and is_direct_request(url)


def is_import_request(url: str) -> bool:
    """``?import``: added by import analysis to non-JS URLs imported from JS."""
    return bool(_IMPORT_QUERY_RE.search(url))


def is_url_request(url: str) -> bool:
    """``?url`` as an exact flag (``/a.png?url``)."""
    return bool(_URL_QUERY_RE.search(url))


def is_raw_request(url: str) -> bool:
    return bool(_RAW_QUERY_RE.search(url))


def is_inline_request(url: str) -> bool:
    """``?inline`` anywhere in the query (``?inline=1`` too)."""
    return bool(_INLINE_FLAG_RE.search(url))


def is_special_query(url: str) -> bool:
    """``?worker``, ``?sharedworker``, ``?raw`` or ``?url`` anywhere in the query."""
    return bool(_SPECIAL_QUERY_RE.search(url))


def is_html_proxy(url: str) -> bool:
    """An inline module script of an HTML file (``/index.html?html-proxy&index=0.js``)."""
    return bool(_HTML_PROXY_RE.search(url))


def is_internal_request(url: str) -> bool:
    """``/@fs/``, ``/@id/``, ``/@vite/client``, ``/@vite/env``."""
    return url.startswith(_INTERNAL_PREFIXES)


def reads_file_verbatim(url: str) -> bool:
    """Whether the pipeline may hand out a file's bytes (or their URL/data URL)
    whatever its type: ``?raw``, ``?url``, ``?inline`` or an ``.svg`` anywhere.

    These are the query forms Vite's ``isServerAccessDeniedForTransform``
    checks twice (with and without the query), because a crafted query can
    make a plugin treat a secret file as an asset.
    """
    return bool(
        _RAW_FLAG_RE.search(url) or _URL_FLAG_RE.search(url)
        or is_inline_request(url) or _SVG_RE.search(url)
    )


def is_optimized_dep_url(url: str) -> bool:
    """A pre-bundled dependency with its version hash: cacheable forever."""
    return clean_url(url).startswith(OPTIMIZED_DEPS_PATH) and bool(DEP_VERSION_RE.search(url))


# -- editing queries -----------------------------------------------------------
def remove_import_query(url: str) -> str:
    if "import" not in url and not url.endswith(("?", "&")):
        return url
    return _TRAILING_SEPARATOR_RE.sub("", _IMPORT_QUERY_RE.sub(r"\1", url, count=1))


def remove_direct_query(url: str) -> str:
    return _TRAILING_SEPARATOR_RE.sub("", _DIRECT_QUERY_RE.sub(r"\1", url, count=1))


def remove_url_query(url: str) -> str:
    return _TRAILING_SEPARATOR_RE.sub("", _URL_QUERY_RE.sub(r"\1", url, count=1))


def remove_timestamp_query(url: str) -> str:
    """Drop the ``t=<ms>`` the HMR client appends to re-import a module."""
    if "t=" not in url and not url.endswith(("?", "&")):
        return url
    return _TRAILING_SEPARATOR_RE.sub("", _TIMESTAMP_RE.sub("", url, count=1))


def inject_query(url: str, query: str) -> str:
    """Put ``query`` first in ``url``'s query: ``inject_query("/a.css?x", "direct")``
    is ``/a.css?direct&x``; a fragment stays at the end."""
    file, postfix = split_file_and_postfix(url)
    file = file.replace("\\", "/")
    if postfix.startswith("?"):
        return f"{file}?{query}&{postfix[1:]}"
    return f"{file}?{query}{postfix}"


# -- percent-decoding ----------------------------------------------------------
def decode_uri(value: str) -> str:
    """JavaScript's ``decodeURI``: decode ``%XX`` escapes as UTF-8, except those
    of ``; / ? : @ & = + $ , #`` which stay encoded (so ``..%2f`` never becomes
    a path separator).

    :raises ValueError: for a ``%`` not followed by two hex digits, or escapes
        that are not valid UTF-8 (JavaScript throws ``URIError``).
    """
    return _decode(value, keep=_DECODE_URI_RESERVED)


def decode_uri_component(value: str) -> str:
    """JavaScript's ``decodeURIComponent``: decode every escape.

    :raises ValueError: as :func:`decode_uri`.
    """
    return _decode(value, keep=frozenset())


def decode_uri_if_possible(value: str) -> str | None:
    """:func:`decode_uri`, or ``None`` for a malformed escape."""
    try:
        return decode_uri(value)
    except ValueError:
        return None


def _decode(value: str, *, keep: t.AbstractSet[str]) -> str:
    if "%" not in value:
        return value
    out: list[str] = []
    pos = 0
    for match in _ESCAPE_RUN_RE.finditer(value):
        if "%" in value[pos:match.start()]:
            raise ValueError(f"malformed percent-encoding in {value!r}")
        out.append(value[pos:match.start()])
        out.append(_decode_run(match.group(0), keep, value))
        pos = match.end()
    if "%" in value[pos:]:
        raise ValueError(f"malformed percent-encoding in {value!r}")
    out.append(value[pos:])
    return "".join(out)


def _decode_run(run: str, keep: t.AbstractSet[str], whole: str) -> str:
    escapes = [run[i:i + 3] for i in range(0, len(run), 3)]
    out: list[str] = []
    i = 0
    while i < len(escapes):
        byte = int(escapes[i][1:], 16)
        if byte < 0x80:
            char = chr(byte)
            out.append(escapes[i] if char in keep else char)
            i += 1
            continue
        # A UTF-8 lead byte says how many continuation bytes follow.
        length = _utf8_length(byte)
        if not length or i + length > len(escapes):
            raise ValueError(f"percent-encoding in {whole!r} is not valid UTF-8")
        chunk = bytes(int(e[1:], 16) for e in escapes[i:i + length])
        try:
            out.append(chunk.decode("utf-8"))
        except UnicodeDecodeError:
            raise ValueError(f"percent-encoding in {whole!r} is not valid UTF-8") from None
        i += length
    return "".join(out)


def _utf8_length(lead: int) -> int:
    """Bytes in the UTF-8 sequence a lead byte starts; 0 if it cannot lead."""
    if 0xC0 <= lead < 0xE0:
        return 2
    if 0xE0 <= lead < 0xF0:
        return 3
    if 0xF0 <= lead < 0xF8:
        return 4
    return 0


def encode_uri_path(path: str) -> str:
    """Percent-encode a decoded path for use in a URL (keeps ``/`` and the
    characters ``encodeURI`` keeps)."""
    return quote(path, safe="/;:@&=+$,!~*'()#?-_.")


# -- base path -----------------------------------------------------------------
def strip_base(path: str, base: str) -> str:
    """``/assets/x.js`` for ``strip_base("/app/assets/x.js", "/app/")``;
    the path unchanged when it is not under ``base``."""
    if path == base or path == base.rstrip("/"):
        return "/"
    dev_base = with_trailing_slash(base)
    return path[len(dev_base) - 1:] if path.startswith(dev_base) else path


def join_url_segments(a: str, b: str) -> str:
    """``/app/`` + ``/x`` → ``/app/x`` (exactly one slash between them)."""
    if not a or not b:
        return a or b or ""
    if a.endswith("/"):
        a = a[:-1]
    if not b.startswith("/"):
        b = "/" + b
    return a + b


# -- ids and files -------------------------------------------------------------
def wrap_id(id: str) -> str:
    """``/@id/`` + the id with ``\\0`` made URL-safe, for ids that are not URLs."""
    if id.startswith(VALID_ID_PREFIX):
        return id
    return VALID_ID_PREFIX + id.replace("\0", NULL_BYTE_PLACEHOLDER)


def unwrap_id(id: str) -> str:
    """Undo :func:`wrap_id`."""
    if id.startswith(VALID_ID_PREFIX):
        return id[len(VALID_ID_PREFIX):].replace(NULL_BYTE_PLACEHOLDER, "\0")
    return id


def normalize_path(path: str) -> str:
    """Forward slashes, ``.`` and ``..`` collapsed; a trailing slash is kept
    (like Node's ``path.posix.normalize``)."""
    path = path.replace("\\", "/")
    if not path:
        return "."
    normal = posixpath.normpath(path)
    # posixpath keeps a leading "//" (POSIX allows it to mean something else); we don't.
    if normal.startswith("//"):
        normal = "/" + normal.lstrip("/")
    if path.endswith("/") and normal != "/":
        normal += "/"
    return normal


def fs_path_from_id(id: str) -> str:
    """The absolute path of ``/@fs/home/me/x.js`` or ``/home/me/x.js`` (posix form)."""
    path = normalize_path(id[len(FS_PREFIX):] if id.startswith(FS_PREFIX) else id)
    if path.startswith("/") or _WINDOWS_VOLUME_RE.match(path):
        return path
    return "/" + path


def fs_path_from_url(url: str) -> str:
    return fs_path_from_id(clean_url(url))


def fs_path_to_url(path: str | PurePath) -> str:
    """The ``/@fs/`` URL of an absolute file path, percent-encoded.

    ``/home/me/lib/x.js`` → ``/@fs/home/me/lib/x.js``;
    ``C:\\lib\\x.js`` → ``/@fs/C:/lib/x.js``.
    """
    text = str(path).replace("\\", "/")
    return FS_PREFIX + encode_uri_path(text.lstrip("/"))


def file_to_url(file: str | PurePath, root: str | PurePath) -> str:
    """A root-relative URL (``/src/App.tsx``) for a file inside ``root``,
    else its ``/@fs/`` URL."""
    f = PurePosixPath(str(file).replace("\\", "/"))
    r = PurePosixPath(str(root).replace("\\", "/"))
    try:
        rel = f.relative_to(r)
    except ValueError:
        return fs_path_to_url(f)
    return "/" + encode_uri_path(str(rel))


def prettify_url(url: str, root: str) -> str:
    """A short form of ``url`` for logs: root-relative for files under the root."""
    url = remove_timestamp_query(url)
    root_slash = with_trailing_slash(root.replace("\\", "/"))
    if url.startswith(FS_PREFIX):
        path = fs_path_from_id(url)
        return path[len(root_slash):] if path.startswith(root_slash) else path
    if url.startswith(root_slash):
        return url[len(root_slash):]
    return url
