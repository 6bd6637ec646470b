"""``index.html`` in a build: in, the module it stands for; out, the page with its tags.

As Vite's ``vite:build-html``: an HTML file is an entry whose module imports
its ``<script type="module">`` (inline ones through ``?html-proxy`` ids) and
local ``<link rel="stylesheet">`` -- those tags are removed, and the built
page gets, before ``</head>`` and indented like it, the entry chunk's
``<script type="module" crossorigin>``, a ``modulepreload`` link per chunk it
imports (depth first, as Vite orders them) and its stylesheets. Asset URLs in
attributes (``<img src>``, ``<link rel=icon href>`` …) point at the built
files; public files get the base.

The parsing is regular expressions over tags (comments are skipped), which
is what these rewrites need; the rest of the document is copied as it is.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import os
import posixpath
import re
import typing as t
from html import escape, unescape

from ..server.urls import (
    decode_uri_if_possible,
    encode_uri_path,
    split_file_and_postfix,
)
from .plugins import MODULEPRELOAD_POLYFILL_ID

if t.TYPE_CHECKING:
    from .chunks import Chunk

_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
_SCRIPT_RE = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)
_TAG_RE = re.compile(r"<(link|img|image|source|video|audio|track|input|embed|object|use)\b([^>]*)>",
                     re.I)
_ATTR_RE = re.compile(r"""([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
_EXTERNAL_RE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//|^data:|^#", re.I)
_CSS_RE = re.compile(r"\.(css|less|sass|scss|styl|stylus|pcss|postcss|sss)(?:$|\?)")
_HEAD_CLOSE_RE = re.compile(r"([ \t]*)</head>", re.I)
_BODY_OPEN_RE = re.compile(r"([ \t]*)<body[^>]*>", re.I)
_HTML_OPEN_RE = re.compile(r"([ \t]*)<html[^>]*>", re.I)
_DOCTYPE_RE = re.compile(r"<!doctype html>", re.I)
_ENV_RE = re.compile(r"%(\S+?)%")

#: Element → attributes holding URLs of assets (Vite's ``DEFAULT_HTML_ASSET_SOURCES``).
ASSET_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "audio": ("src",), "embed": ("src",), "img": ("src", "srcset"),
    "image": ("href", "xlink:href"), "input": ("src",), "link": ("href", "imagesrcset"),
    "object": ("data",), "source": ("src", "srcset"), "track": ("src",),
    "use": ("href", "xlink:href"), "video": ("src", "poster"),
}
#: ``<link rel>`` values whose files are never inlined as data URLs (Vite's list).
NO_INLINE_LINK_RELS = frozenset({"icon", "apple-touch-icon", "apple-touch-startup-image",
                                 "manifest"})


@dataclasses.dataclass
class HtmlEntry:
    """An HTML file prepared for the build."""

    #: Absolute path.
    file: str
    #: Path relative to the root (``index.html``): its manifest key and output path.
    rel: str
    #: The page without the tags that became imports, asset URLs rewritten.
    html: str
    #: The JavaScript module standing for the page.
    code: str
    #: ``/abs/index.html?html-proxy&index=0.js`` → inline module script.
    scripts: dict[str, str]


@dataclasses.dataclass(frozen=True)
class Tag:
    """An element to inject (Vite's ``HtmlTagDescriptor``, without children)."""

    tag: str
    attrs: tuple[tuple[str, str | bool], ...]

    def serialize(self) -> str:
        attrs = "".join(
            (f" {k}" if v else "") if isinstance(v, bool) else f' {k}="{escape(v)}"'
            for k, v in self.attrs)
        if self.tag in ("link", "meta", "base"):
            return f"<{self.tag}{attrs}>"
        return f"<{self.tag}{attrs}></{self.tag}>"


#: ``asset_url(file, no_inline)`` → the built URL of a local file (absolute path,
#: maybe with a query), or ``None`` if it cannot be found.
AssetUrl = t.Callable[[str, bool], t.Optional[str]]


def html_base(rel: str, base: str) -> str:
    """The prefix of output files in an HTML page (Vite's ``getBaseInHTML``):
    the base, or for a relative base the way back to the output root."""
    if base not in ("./", ""):
        return base
    up = posixpath.relpath(".", posixpath.dirname(rel) or ".")
    return "./" if up == "." else up + "/"


def replace_env(html: str, env: t.Mapping[str, t.Any]) -> str:
    """``%VITE_TITLE%`` → its value (Vite's ``htmlEnvHook``); unknown names stay."""

    def value(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in env:
            return match.group(0)
        found = env[key]
        return json.dumps(found) if isinstance(found, bool) else str(found)

    return _ENV_RE.sub(value, html)


def prepare_html(file: str, rel: str, html: str, *, root: str, base: str,
                 public_file: t.Callable[[str], bool], asset_url: AssetUrl,
                 polyfill: bool = True) -> HtmlEntry:
    """Turn one HTML file into an entry module and the page to complete later."""
    comments = [m.span() for m in _COMMENT_RE.finditer(html)]

    def in_comment(pos: int) -> bool:
        return any(a <= pos < b for a, b in comments)

    prefix = html_base(rel, base)
    imports: list[str] = []
    scripts: dict[str, str] = {}
    edits: list[tuple[int, int, str]] = []
    inline_index = -1

    def removal_start(start: int) -> int:
        # Vite removes a tag alone on its line together with that line.
        line_start = html.rfind("\n", 0, start)
        if line_start != -1 and not html[line_start + 1:start].strip():
            return line_start
        return start

    def public_url(url: str) -> str:
        return encode_uri_path(prefix + url.lstrip("/"))

    for match in _SCRIPT_RE.finditer(html):
        if in_comment(match.start()):
            continue
        attrs = _attributes(match.group(1))
        src = attrs.get("src")
        is_module = str(attrs.get("type", "")).lower() == "module"
        if isinstance(src, str) and src and public_file(src):
            start, end = _attr_value_span(match, "src", html)
            if start >= 0:
                edits.append((start, end, escape(public_url(src))))
            continue
        if not is_module:
            continue
        inline_index += 1
        if isinstance(src, str) and src:
            if _EXTERNAL_RE.match(src):
                continue
            imports.append(src)
        elif match.group(2).strip():
            id = f"{file}?html-proxy&index={inline_index}.js"
            scripts[id] = match.group(2)
            imports.append(id)
        else:
            continue
        edits.append((removal_start(match.start()), match.end(), ""))

    for match in _TAG_RE.finditer(html):
        if in_comment(match.start()):
            continue
        tag = match.group(1).lower()
        attrs = _attributes(match.group(2))
        rels = str(attrs.get("rel", "")).lower().split()
        href = attrs.get("href")
        if (tag == "link" and "stylesheet" in rels and isinstance(href, str) and href
                and _CSS_RE.search(href) and not _EXTERNAL_RE.match(href)
                and not public_file(href) and "media" not in attrs and "disabled" not in attrs):
            target = _local_file(href, file, root)
            if target is not None:
                imports.append(href)
                edits.append((removal_start(match.start()), match.end(), ""))
                continue
        no_inline = tag == "link" and bool(NO_INLINE_LINK_RELS.intersection(rels))
        for name in ASSET_ATTRIBUTES.get(tag, ()):
            value = attrs.get(name)
            if not isinstance(value, str) or not value:
                continue
            if name.endswith("srcset"):
                rewritten = _srcset(value, functools.partial(
                    _rewrite, html_file=file, root=root, public_file=public_file,
                    public_url=public_url, asset_url=asset_url, no_inline=no_inline))
            else:
                rewritten = _rewrite(value, file, root, public_file, public_url, asset_url,
                                     no_inline)
            if rewritten != value:
                start, end = _attr_value_span(match, name, html)
                if start >= 0:
                    edits.append((start, end, escape(rewritten)))

    out = []
    pos = 0
    for start, end, text in sorted(edits):
        if start < pos:
            continue
        out.append(html[pos:start])
        out.append(text)
        pos = end
    out.append(html[pos:])
    lines = [f"import {json.dumps(MODULEPRELOAD_POLYFILL_ID)};"] if polyfill and imports else []
    lines += [f"import {json.dumps(spec)};" for spec in imports]
    return HtmlEntry(file, rel, "".join(out), "\n".join(lines) + "\n", scripts)


def _rewrite(value: str, html_file: str, root: str, public_file: t.Callable[[str], bool],
             public_url: t.Callable[[str], str], asset_url: AssetUrl, no_inline: bool) -> str:
    url = decode_uri_if_possible(value)
    if url is None or _EXTERNAL_RE.match(url):
        return value
    if public_file(url):
        return public_url(url)
    target = _local_file(url, html_file, root)
    if target is None:
        return value
    built = asset_url(target, no_inline)
    return value if built is None else built


def _local_file(url: str, html_file: str, root: str) -> str | None:
    """The file a local URL in an HTML file names (query kept), if it exists."""
    path, postfix = split_file_and_postfix(url)
    if path.startswith("/"):
        file = posixpath.normpath(root + path)
    else:
        file = posixpath.normpath(posixpath.join(posixpath.dirname(html_file), path))
    return file + postfix if os.path.isfile(file) else None


def _srcset(value: str, rewrite: t.Callable[[str], str]) -> str:
    parts = []
    for candidate in value.split(","):
        stripped = candidate.strip()
        if not stripped:
            continue
        url, _, descriptor = stripped.partition(" ")
        parts.append(rewrite(url) + (" " + descriptor.strip() if descriptor.strip() else ""))
    return ", ".join(parts)


def _attributes(text: str) -> dict[str, str | bool]:
    attrs: dict[str, str | bool] = {}
    for match in _ATTR_RE.finditer(text):
        name = match.group(1).lower()
        value = next((g for g in match.groups()[1:] if g is not None), None)
        attrs.setdefault(name, True if value is None else unescape(value))
    return attrs


def _attr_value_span(match: re.Match[str], name: str, html: str) -> tuple[int, int]:
    """Where the value of attribute ``name`` of a matched tag lies in ``html``."""
    group = 1 if match.re is _SCRIPT_RE else 2
    offset = match.start(group)
    for attr in _ATTR_RE.finditer(match.group(group)):
        if attr.group(1).lower() != name:
            continue
        for index in (2, 3, 4):
            if attr.group(index) is not None:
                return offset + attr.start(index), offset + attr.end(index)
    return -1, -1


# -- after the build -----------------------------------------------------------------------
def entry_tags(chunk: Chunk, chunks: t.Mapping[str, Chunk], prefix: str, *,
               sri: bool = False) -> list[Tag]:
    """The entry's script, ``modulepreload`` for the chunks it imports and its
    stylesheets (those of its imports first), in Vite's order."""

    def integrity(c: Chunk) -> tuple[tuple[str, str], ...]:
        return (("integrity", c.integrity),) if sri and c.integrity else ()

    imported: list[Chunk] = []
    seen: set[str] = set()

    def walk(c: Chunk) -> None:
        for placeholder in c.imports:
            if placeholder in seen or placeholder not in chunks:
                continue
            seen.add(placeholder)
            walk(chunks[placeholder])
            imported.append(chunks[placeholder])

    walk(chunk)
    tags = [Tag("script", (("type", "module"), ("crossorigin", True),
                           ("src", prefix + chunk.file), *integrity(chunk)))]
    tags += [Tag("link", (("rel", "modulepreload"), ("crossorigin", True),
                          ("href", prefix + c.file), *integrity(c))) for c in imported]
    css: list[str] = []
    css_seen: set[str] = set()

    def walk_css(c: Chunk) -> None:
        if c.placeholder in css_seen:
            return
        css_seen.add(c.placeholder)
        for placeholder in c.imports:
            if placeholder in chunks:
                walk_css(chunks[placeholder])
        css.extend(f for f in c.css if f not in css)

    walk_css(chunk)
    tags += [Tag("link", (("rel", "stylesheet"), ("crossorigin", True), ("href", prefix + f)))
             for f in css]
    return tags


def inject_into_head(html: str, tags: t.Sequence[Tag]) -> str:
    """Put ``tags`` before ``</head>``, one per line, indented one step more than
    ``</head>`` (Vite's ``injectToHead``); without a ``<head>``, before ``<body>``."""
    if not tags:
        return html
    match = _HEAD_CLOSE_RE.search(html)
    if match:
        indent = _more(match.group(1))
        text = "".join(f"{indent}{tag.serialize()}\n" for tag in tags)
        return html[:match.start()] + text + html[match.start():]
    match = _BODY_OPEN_RE.search(html)
    if match:
        text = "".join(f"{match.group(1)}{tag.serialize()}\n" for tag in tags)
        return html[:match.start()] + text.rstrip("\n") + "\n" + html[match.start():]
    text = "".join(f"{tag.serialize()}\n" for tag in tags)
    for pattern in (_HTML_OPEN_RE, _DOCTYPE_RE):
        match = pattern.search(html)
        if match:
            return html[:match.end()] + "\n" + text + html[match.end():]
    return text + html


def _more(indent: str) -> str:
    return indent + ("\t" if indent[:1] == "\t" else "  ")
