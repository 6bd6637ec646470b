"""Stacks of errors thrown in a built SSR bundle, mapped to the sources.

The bundle is one script (``dist/server/entry-server.js``); V8 reports
positions in it. When the build wrote a source map (``entry-server.js.map``
beside it, or a ``//# sourceMappingURL=`` comment, inline or not), frames
and the stack text are rewritten to the original ``file:line:column``, as
the dev server does with the module graph's maps. Without a map the error
is left as it is (positions in the bundle).
"""
from __future__ import annotations

import base64
import json
import re
import typing as t
import urllib.parse
from pathlib import Path

from ..sourcemap import MapLookup, SourceMap
from ..ssr.errors import SsrError, StackFrame

_MAPPING_URL_RE = re.compile(r"//[#@] sourceMappingURL=(\S+)\s*$")


def find_source_map(bundle: Path, code: str) -> tuple[SourceMap, Path] | None:
    """The bundle's source map and the folder its ``sources`` are relative to."""
    tail = code[-4096:].rstrip()
    match = _MAPPING_URL_RE.search(tail)
    if match is not None:
        url = match.group(1)
        if url.startswith("data:"):
            header, _, data = url.partition(",")
            raw = (base64.b64decode(data) if header.endswith(";base64")
                   else urllib.parse.unquote(data).encode())
            return t.cast(SourceMap, json.loads(raw)), bundle.parent
        candidate = bundle.parent / urllib.parse.unquote(url)
        if candidate.is_file():
            return t.cast(SourceMap, json.loads(candidate.read_text("utf-8"))), candidate.parent
    beside = bundle.with_name(bundle.name + ".map")
    if beside.is_file():
        return t.cast(SourceMap, json.loads(beside.read_text("utf-8"))), beside.parent
    return None


class BundleStack:
    """Maps errors of one bundle, shipped under ``url``, through ``map``.

    :param url: The module URL the bundle was shipped as (frames name it).
    :param map: Its source map.
    :param sources_dir: The folder relative ``sources`` start from.
    """

    def __init__(self, url: str, map: SourceMap, sources_dir: Path) -> None:
        self.url = url
        self.lookup = MapLookup(map)
        root = map.get("sourceRoot") or ""
        self.sources = [self._absolute(root + s, sources_dir) for s in map.get("sources") or ()]

    @staticmethod
    def _absolute(source: str, sources_dir: Path) -> str:
        if source.startswith(("webpack:", "http:", "https:")) or Path(source).is_absolute():
            return source
        return (sources_dir / source).resolve().as_posix()

    def map_error(self, error: SsrError) -> SsrError:
        """A copy of ``error`` whose frames, stack text and ``loc`` name the sources."""
        if not error.frames:
            return error
        frames: list[StackFrame] = []
        stack = error.stack
        for frame in error.frames:
            found = self.lookup.original(frame.line - 1, max(frame.column - 1, 0)) \
                if frame.url == self.url else None
            if found is None or found[0] >= len(self.sources):
                frames.append(frame)
                continue
            source, line, column = self.sources[found[0]], found[1] + 1, found[2] + 1
            frames.append(StackFrame(source, line, column))
            stack = stack.replace(f"{frame.url}:{frame.line}:{frame.column}",
                                  f"{source}:{line}:{column}", 1)
        mapped = type(error).__new__(type(error))
        mapped.__dict__.update(error.__dict__)
        mapped.args = error.args
        mapped.stack = stack
        mapped.frames = frames
        first = next((f for f in frames if f.url != self.url and "/node_modules/" not in f.url
                      and not f.url.startswith("flask-vite:")), None)
        if first is not None:
            mapped.loc = {  # type: ignore[attr-defined]
                "file": first.url, "line": first.line, "column": first.column - 1}
        return mapped
