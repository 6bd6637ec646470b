"""In-place edits of a code string that keep its source map exact.

Like MagicString for the edits import analysis makes: replace ranges,
prepend text. :meth:`StringEdit.shift_map` moves every mapping of the code's
previous source map to where its text ends up, so the result still points at
the original source, column for column.
"""
from __future__ import annotations

import bisect

from .sourcemap import SourceMap, _decode_vlq, _encode_vlq, decode_mappings, encode_mappings


class StringEdit:
    def __init__(self, code: str) -> None:
        self.code = code
        self._edits: list[tuple[int, int, str]] = []  # (start, end, replacement)
        self._prefix = ""

    def overwrite(self, start: int, end: int, text: str) -> None:
        """Replace ``code[start:end]``; ranges must not overlap."""
        self._edits.append((start, end, text))

    def prepend(self, text: str) -> None:
        self._prefix = text + self._prefix

    @property
    def changed(self) -> bool:
        return bool(self._edits or self._prefix)

    def _sorted(self) -> list[tuple[int, int, str]]:
        edits = sorted(self._edits)
        for (s1, e1, _), (s2, _e2, _) in zip(edits, edits[1:]):
            if s2 < e1:
                raise ValueError(f"overlapping edits at {s1}-{e1} and {s2}")
        return edits

    def apply(self) -> str:
        out = [self._prefix]
        pos = 0
        for start, end, text in self._sorted():
            out.append(self.code[pos:start])
            out.append(text)
            pos = end
        out.append(self.code[pos:])
        return "".join(out)

    def shift_map(self, previous: SourceMap | None, source: str) -> SourceMap:
        """The map of :meth:`apply`'s result, through ``previous`` to the original.

        With no previous map the code itself is the original (``source``
        names it) and every line start and edit boundary is mapped.
        """
        if previous is not None and previous.get("mappings"):
            mappings = self._shift_mappings_in_lines(previous["mappings"])
            if mappings is not None:
                return {**previous, "mappings": mappings}
        code = self.code
        line_starts = [0]
        idx = code.find("\n")
        while idx != -1:
            line_starts.append(idx + 1)
            idx = code.find("\n", idx + 1)
        if previous is None:
            lines: list[list[tuple[int, ...]]] = []
            boundaries = sorted({e for _, e, _ in self._edits})
            for i, start in enumerate(line_starts):
                end = line_starts[i + 1] if i + 1 < len(line_starts) else len(code) + 1
                cols = [0] + [b - start for b in boundaries if start < b < end]
                lines.append([(c, 0, i, c) for c in cols])
            previous = {"version": 3, "sources": [source], "names": [], "sourcesContent": [code],
                        "mappings": encode_mappings(lines)}
        edits = self._sorted()
        starts = [s for s, _, _ in edits]
        # Offset to add to an input index that lies after edit k (cumulative growth).
        growth: list[int] = []
        total = len(self._prefix)
        for s, e, text in edits:
            total += len(text) - (e - s)
            growth.append(total)
        new_code = self.apply()
        new_line_starts = [0]
        idx = new_code.find("\n")
        while idx != -1:
            new_line_starts.append(idx + 1)
            idx = new_code.find("\n", idx + 1)

        out_lines: list[list[tuple[int, ...]]] = [[] for _ in new_line_starts]
        for line_no, segments in enumerate(decode_mappings(previous.get("mappings", ""))):
            if line_no >= len(line_starts):
                break
            for seg in segments:
                index = line_starts[line_no] + seg[0]
                k = bisect.bisect_right(starts, index) - 1
                if k >= 0 and edits[k][0] < index < edits[k][1]:
                    continue  # inside replaced text: no longer exists
                if k >= 0 and index >= edits[k][1]:
                    new_index = index + growth[k]
                elif k >= 0:  # exactly at an edit's start: the replacement begins there
                    new_index = index + (growth[k - 1] if k > 0 else len(self._prefix))
                else:
                    new_index = index + len(self._prefix)
                new_line = bisect.bisect_right(new_line_starts, new_index) - 1
                out_lines[new_line].append((new_index - new_line_starts[new_line], *seg[1:]))
        for segs in out_lines:
            segs.sort(key=lambda s: s[0])
        result = dict(previous)
        result["mappings"] = encode_mappings(out_lines)
        return result

    def _shift_mappings_in_lines(self, mappings: str) -> str | None:
        """:meth:`shift_map`'s ``mappings`` when no edit adds or removes a line
        break (import analysis: specifiers rewritten in place, a one-line
        prefix), else ``None``.

        Then only the generated columns of the lines holding an edit move:
        every other line's text is kept as it is, undecoded. A mapping inside
        replaced text is dropped, its deltas handed on to the next mapping.
        """
        code = self.code
        if "\n" in self._prefix:
            return None
        edits = self._sorted()
        for start, end, text in edits:
            if "\n" in text or "\n" in code[start:end]:
                return None
        by_line: dict[int, list[tuple[int, int, str]]] = {}
        line, line_start = 0, 0
        for edit in edits:
            while True:
                next_break = code.find("\n", line_start)
                if next_break == -1 or next_break >= edit[0]:
                    break
                line, line_start = line + 1, next_break + 1
            by_line.setdefault(line, []).append((edit[0] - line_start, edit[1] - line_start, edit[2]))
        if self._prefix:
            by_line.setdefault(0, [])
        lines = mappings.split(";")
        carry = [0, 0, 0, 0]  # deltas of dropped mappings: source, line, column, name
        for number, text in enumerate(lines):
            line_edits = by_line.get(number)
            if line_edits is None and not any(carry):
                continue
            shift = len(self._prefix) if number == 0 else 0
            old_col = new_col = 0
            out: list[str] = []
            for part in text.split(","):
                if not part:
                    continue
                values = _decode_vlq(part)
                old_col += values[0]
                col = old_col
                dropped = False
                growth = shift
                for start, end, replacement in line_edits or ():
                    if col >= end:
                        growth += len(replacement) - (end - start)
                    elif start < col:
                        dropped = True
                        break
                    else:
                        break
                if len(values) >= 4:
                    for i in range(3):
                        values[i + 1] += carry[i]
                        carry[i] = 0
                    if len(values) >= 5:
                        values[4] += carry[3]
                        carry[3] = 0
                if dropped:
                    if len(values) >= 4:
                        carry[:3] = values[1:4]
                        if len(values) >= 5:
                            carry[3] = values[4]
                    continue
                if col + growth < new_col:
                    return None  # mappings out of order: leave it to the general case
                values[0] = col + growth - new_col
                new_col = col + growth
                out.append("".join(_encode_vlq(v) for v in values))
            lines[number] = ",".join(out)
        return ";".join(lines)
