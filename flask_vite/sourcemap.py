"""Source maps (v3): decoding, encoding, chaining and position look-ups.

Pure functions on plain dicts as found in ``.map`` JSON. Used to chain the
maps of successive transforms (plugin → esbuild → import analysis) and to
map V8 stack frames back to the original ``file:line:col``.
"""
from __future__ import annotations

import bisect
import json
import typing as t

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_INDEX = {c: i for i, c in enumerate(_B64)}

#: A decoded segment: (generated column, source index, original line,
#: original column, name index) — the last four may be absent (length 1, 4 or 5).
Segment = t.Tuple[int, ...]
SourceMap = t.Dict[str, t.Any]


def decode_mappings(mappings: str) -> list[list[Segment]]:
    """Decode a ``mappings`` string into segments per generated line (all 0-based)."""
    lines: list[list[Segment]] = []
    src = orig_line = orig_col = name = 0
    # The same few segment texts come back all the time ("AAAA", "CAAC" …):
    # each is decoded once per map. (Maps are chained on every hot update.)
    decoded: dict[str, list[int]] = {}
    for line_text in mappings.split(";"):
        gen_col = 0
        segments: list[Segment] = []
        for seg_text in line_text.split(","):
            if not seg_text:
                continue
            values = decoded.get(seg_text)
            if values is None:
                values = decoded[seg_text] = _decode_vlq(seg_text)
            gen_col += values[0]
            if len(values) == 1:
                segments.append((gen_col,))
                continue
            src += values[1]
            orig_line += values[2]
            orig_col += values[3]
            if len(values) >= 5:
                name += values[4]
                segments.append((gen_col, src, orig_line, orig_col, name))
            else:
                segments.append((gen_col, src, orig_line, orig_col))
        segments.sort(key=lambda s: s[0])
        lines.append(segments)
    return lines


def encode_mappings(lines: t.Sequence[t.Sequence[Segment]]) -> str:
    """The inverse of :func:`decode_mappings`."""
    out: list[str] = []
    src = orig_line = orig_col = name = 0
    # Deltas repeat as much as segment texts do (see decode_mappings).
    encoded: dict[tuple[int, ...], str] = {}
    for segments in lines:
        gen_col = 0
        parts: list[str] = []
        for seg in segments:
            if len(seg) >= 5:
                values: tuple[int, ...] = (seg[0] - gen_col, seg[1] - src, seg[2] - orig_line,
                                           seg[3] - orig_col, seg[4] - name)
                src, orig_line, orig_col, name = seg[1], seg[2], seg[3], seg[4]
            elif len(seg) >= 4:
                values = (seg[0] - gen_col, seg[1] - src, seg[2] - orig_line, seg[3] - orig_col)
                src, orig_line, orig_col = seg[1], seg[2], seg[3]
            else:
                values = (seg[0] - gen_col,)
            gen_col = seg[0]
            text = encoded.get(values)
            if text is None:
                text = encoded[values] = "".join(_encode_vlq(v) for v in values)
            parts.append(text)
        out.append(",".join(parts))
    return ";".join(out)


def _decode_vlq(text: str) -> list[int]:
    values: list[int] = []
    shift = value = 0
    for ch in text:
        digit = _B64_INDEX[ch]
        value += (digit & 31) << shift
        if digit & 32:
            shift += 5
        else:
            values.append(-(value >> 1) if value & 1 else value >> 1)
            shift = value = 0
    return values


def _encode_vlq(value: int) -> str:
    v = (-value << 1) | 1 if value < 0 else value << 1
    out = ""
    while True:
        digit = v & 31
        v >>= 5
        if v:
            out += _B64[digit | 32]
        else:
            return out + _B64[digit]


def parse_map(map: t.Mapping[str, t.Any] | str | None) -> SourceMap | None:
    """Accept a map as a dict, another mapping (a :class:`LazySourceMap`) or JSON text."""
    if map is None or isinstance(map, dict):
        return map
    if isinstance(map, LazySourceMap):
        return map.resolved()
    if isinstance(map, t.Mapping):
        return dict(map)
    return t.cast(SourceMap, json.loads(map))


class LazySourceMap(t.Mapping[str, t.Any]):
    """The :func:`combine_maps` of ``maps``, worked out when first read.

    The SSR transform's map is read only to map an error's stack back to the
    source; composing it (~1 ms for a component) on every edit would slow
    each edit's next render for nothing. Empty when the maps give none.
    """

    def __init__(self, maps: t.Sequence[t.Mapping[str, t.Any] | str | None]) -> None:
        self._maps: t.Sequence[t.Mapping[str, t.Any] | str | None] | None = maps
        self._value: SourceMap | None = None

    def resolved(self) -> SourceMap | None:
        """The combined map (``None`` when there is none)."""
        if self._maps is not None:
            self._value = combine_maps(self._maps)
            self._maps = None
        return self._value

    def __getitem__(self, key: str) -> t.Any:
        return (self.resolved() or {})[key]

    def __iter__(self) -> t.Iterator[str]:
        return iter(self.resolved() or {})

    def __len__(self) -> int:
        return len(self.resolved() or {})


class MapLookup:
    """Fast ``generated → original`` look-ups in one map."""

    def __init__(self, map: SourceMap) -> None:
        self.map = map
        self.lines = decode_mappings(map.get("mappings", ""))
        self._cols = [[s[0] for s in line] for line in self.lines]

    def original(self, line: int, column: int) -> tuple[int, int, int, int | None] | None:
        """The (source index, line, column, name index) of a generated 0-based position.

        The segment used is the last one at or before ``column`` on ``line``,
        as browsers and Node do.
        """
        if line < 0 or line >= len(self.lines):
            return None
        i = bisect.bisect_right(self._cols[line], column) - 1
        if i < 0:
            return None
        seg = self.lines[line][i]
        if len(seg) < 4:
            return None
        return seg[1], seg[2], seg[3], seg[4] if len(seg) >= 5 else None


def original_position(map: SourceMap, line: int, column: int) -> tuple[str, int, int] | None:
    """``(source, line, column)`` for a generated position; lines 1-based, columns 0-based."""
    found = MapLookup(map).original(line - 1, column)
    if found is None:
        return None
    src, orig_line, orig_col, _ = found
    sources = map.get("sources") or []
    source = sources[src] if src < len(sources) else "?"
    root = map.get("sourceRoot") or ""
    return root + source, orig_line + 1, orig_col


def combine_maps(maps: t.Sequence[t.Mapping[str, t.Any] | str | None]) -> SourceMap | None:
    """Chain maps of successive transforms, first transform first.

    The result maps the last transform's output straight to the first one's
    input. A ``None`` step (a transform that gave no map) is taken as keeping
    positions, which holds for in-place rewrites of a line's end but not in
    general — as in Vite, a plugin that moves code should return a map.
    """
    parsed = [m for m in (parse_map(m) for m in maps) if m is not None and m.get("mappings") is not None]
    if not parsed:
        return None
    result = parsed[0]
    for later in parsed[1:]:
        result = _compose(result, later)
    return result


def _compose(first: SourceMap, second: SourceMap) -> SourceMap:
    """``second`` maps text B → text A; ``first`` maps A → the sources. Return B → sources."""
    back = MapLookup(first)
    first_sources = first.get("sources") or []
    first_names = first.get("names") or []
    second_names = second.get("names") or []
    sources: list[str] = []
    contents: list[str | None] = []
    names: list[str] = []
    source_index: dict[int, int] = {}
    name_index: dict[str, int] = {}
    out_lines: list[list[Segment]] = []
    first_contents = first.get("sourcesContent") or []
    for line in decode_mappings(second.get("mappings", "")):
        out: list[Segment] = []
        for seg in line:
            if len(seg) < 4:
                continue
            found = back.original(seg[2], seg[3])
            if found is None:
                continue
            src, orig_line, orig_col, name = found
            if src not in source_index:
                source_index[src] = len(sources)
                sources.append(first_sources[src] if src < len(first_sources) else "?")
                contents.append(first_contents[src] if src < len(first_contents) else None)
            name_text = None
            if name is not None and name < len(first_names):
                name_text = first_names[name]
            elif len(seg) >= 5 and seg[4] < len(second_names):
                name_text = second_names[seg[4]]
            if name_text is not None:
                if name_text not in name_index:
                    name_index[name_text] = len(names)
                    names.append(name_text)
                out.append((seg[0], source_index[src], orig_line, orig_col, name_index[name_text]))
            else:
                out.append((seg[0], source_index[src], orig_line, orig_col))
        out_lines.append(out)
    result: SourceMap = {
        "version": 3,
        "sources": sources,
        "names": names,
        "mappings": encode_mappings(out_lines),
    }
    if any(c is not None for c in contents):
        result["sourcesContent"] = contents
    if first.get("sourceRoot"):
        result["sourceRoot"] = first["sourceRoot"]
    return result
