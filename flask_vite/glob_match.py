"""Glob patterns as ``import.meta.glob`` reads them (picomatch semantics).

Pure functions on posix path strings, and one small directory walker:

* ``*`` matches within a path segment, ``?`` one character, ``[abc]`` /
  ``[!a-z]`` a class, ``{a,b}`` alternatives (nestable, may hold ``/``),
  ``**`` as a whole segment any number of segments (zero included), and
  ``\\`` escapes the next character;
* wildcards do not match a leading ``.`` (dotfiles, ``.git``) unless
  ``dot=True``; a pattern segment that starts with a literal ``.`` does;
* no extglobs (``+(a|b)``), as Vite turns them off.

A pattern is split into segments after brace expansion, so matching and
pruning a directory walk work segment by segment.
"""
from __future__ import annotations

import dataclasses
import functools
import os
import re
import typing as t

__all__ = ["GlobPattern", "common_base", "escape_path", "expand_braces", "matcher", "walk"]

#: Characters with a meaning in a pattern; :func:`escape_path` escapes them.
SPECIAL = frozenset("*?[]{}()!+@\\")
_GLOBSTAR = object()


def escape_path(path: str) -> str:
    """``path`` with glob characters escaped, to use it as a pattern's literal prefix."""
    return "".join("\\" + c if c in SPECIAL else c for c in path)


def expand_braces(pattern: str) -> list[str]:
    """``a/{b,c/d}/*.{js,ts}`` → the four brace-free patterns (escapes kept)."""
    start = _find_brace(pattern)
    if start < 0:
        return [pattern]
    depth = 0
    parts: list[str] = []
    current = start + 1
    i = start
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                parts.append(pattern[current:i])
                head, tail = pattern[:start], pattern[i + 1:]
                if len(parts) == 1:  # "{a}" is not a set of alternatives: keep it literal
                    return [head + "\\{" + p + "\\}" + t_ for p in expand_braces(parts[0])
                            for t_ in expand_braces(tail)]
                return [head + p + t_ for alt in parts for p in expand_braces(alt)
                        for t_ in expand_braces(tail)]
        elif c == "," and depth == 1:
            parts.append(pattern[current:i])
            current = i + 1
        i += 1
    # Unbalanced: the "{" is a literal character.
    return [pattern[:start] + "\\{" + p for p in expand_braces(pattern[start + 1:])]


def _find_brace(pattern: str) -> int:
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
            continue
        if pattern[i] == "{":
            return i
        i += 1
    return -1


def _segment_regex(segment: str, dot: bool, flags: int) -> tuple[re.Pattern[str] | None, str]:
    """A regex for one segment, or ``None`` when it is literal (then its text)."""
    out: list[str] = []
    literal: list[str] = []
    is_literal = True
    i = 0
    while i < len(segment):
        c = segment[i]
        if c == "\\" and i + 1 < len(segment):
            out.append(re.escape(segment[i + 1]))
            literal.append(segment[i + 1])
            i += 2
            continue
        if c == "*":
            is_literal = False
            while i + 1 < len(segment) and segment[i + 1] == "*":
                i += 1  # "a**" inside a segment is just "*"
            out.append("[^/]*")
        elif c == "?":
            is_literal = False
            out.append("[^/]")
        elif c == "[":
            end = segment.find("]", i + 2)
            if end < 0:
                out.append(re.escape(c))
                literal.append(c)
            else:
                is_literal = False
                body = segment[i + 1:end]
                negate = body[:1] in ("!", "^")
                if negate:
                    body = body[1:]
                body = body.replace("\\", "\\\\").replace("[", "\\[")
                out.append(("[^/" if negate else "[") + body + "]")
                i = end
        else:
            out.append(re.escape(c))
            literal.append(c)
        i += 1
    if is_literal:
        return None, "".join(literal)
    body = "".join(out)
    if not dot and not segment.startswith("."):
        body = r"(?!\.)" + body
    return re.compile(body, flags | re.S), ""


@dataclasses.dataclass(frozen=True)
class GlobPattern:
    """One brace-free pattern, compiled segment by segment."""

    source: str
    #: For each segment: the globstar marker, a compiled regex, or literal text.
    segments: tuple[t.Any, ...]
    dot: bool
    case_sensitive: bool

    @classmethod
    def compile(cls, pattern: str, *, dot: bool = False,
                case_sensitive: bool = True) -> GlobPattern:
        flags = 0 if case_sensitive else re.I
        segments: list[t.Any] = []
        for part in pattern.split("/"):
            if part == "**":
                if not segments or segments[-1] is not _GLOBSTAR:
                    segments.append(_GLOBSTAR)
                continue
            regex, text = _segment_regex(part, dot, flags)
            segments.append(regex if regex is not None else text)
        return cls(pattern, tuple(segments), dot, case_sensitive)

    def _literal_eq(self, text: str, name: str) -> bool:
        return text == name if self.case_sensitive else text.lower() == name.lower()

    def _match(self, parts: t.Sequence[str], partial: bool) -> bool:
        segments = self.segments

        @functools.lru_cache(maxsize=None)
        def go(si: int, pi: int) -> bool:
            if pi == len(parts):
                if partial:
                    return si < len(segments)  # segments are left for what is inside
                return si == len(segments) or (si == len(segments) - 1
                                                and segments[si] is _GLOBSTAR)
            if si == len(segments):
                return False
            seg = segments[si]
            name = parts[pi]
            if seg is _GLOBSTAR:
                if go(si + 1, pi):
                    return True
                # "**" never enters dot folders (or matches dotfiles) unless dot=True.
                return (self.dot or not name.startswith(".")) and go(si, pi + 1)
            if isinstance(seg, str):
                return self._literal_eq(seg, name) and go(si + 1, pi + 1)
            return seg.fullmatch(name) is not None and go(si + 1, pi + 1)

        return go(0, 0)

    def match(self, path: str) -> bool:
        """Whether ``path`` (posix, same form as the pattern) matches."""
        return self._match(path.split("/"), partial=False)

    def could_contain(self, folder: str) -> bool:
        """Whether files under ``folder`` may match (to prune a walk)."""
        return self._match(folder.split("/"), partial=True)

    def literal_prefix(self) -> list[str]:
        """The leading segments without wildcards (picomatch's ``scan().base``)."""
        out: list[str] = []
        for seg in self.segments:
            if not isinstance(seg, str):
                break
            out.append(seg)
        return out


def compile_patterns(patterns: t.Iterable[str], *, dot: bool = False,
                     case_sensitive: bool = True) -> list[GlobPattern]:
    """Brace-expand and compile each pattern."""
    return [GlobPattern.compile(p, dot=dot, case_sensitive=case_sensitive)
            for pattern in patterns for p in expand_braces(pattern)]


def matcher(patterns: t.Sequence[str], *, dot: bool = False, case_sensitive: bool = True,
            ignore_node_modules: bool = True, base: str = "") -> t.Callable[[str], bool]:
    """A predicate for absolute paths: any positive pattern matches and no
    ``!negative`` one does (as Vite's import-glob HMR check).

    :param base: With ``ignore_node_modules``, only ``node_modules`` folders
        below ``base`` exclude a path, as in :func:`walk` from that base.
    """
    below = base.rstrip("/") + "/" if base else "/"
    positive = compile_patterns([p for p in patterns if not p.startswith("!")], dot=dot,
                                case_sensitive=case_sensitive)
    negative = compile_patterns([p[1:] for p in patterns if p.startswith("!")], dot=dot,
                                case_sensitive=case_sensitive)

    def matches(path: str) -> bool:
        if ignore_node_modules and path.startswith(below) \
                and "/node_modules/" in path[len(below) - 1:]:
            return False
        return (not positive or any(p.match(path) for p in positive)) and \
            not any(n.match(path) for n in negative)

    return matches


def common_base(patterns: t.Sequence[str]) -> str | None:
    """The deepest folder holding every match of the positive patterns
    (Vite's ``getCommonBase``), or ``None`` when there are none."""
    bases: list[list[str]] = []
    for pattern in compile_patterns(p for p in patterns if not p.startswith("!")):
        prefix = pattern.literal_prefix()
        if len(prefix) == len(pattern.segments) and prefix:
            prefix = prefix[:-1]  # a plain file path: its folder
        bases.append(prefix)
    if not bases:
        return None
    common = bases[0]
    for base in bases[1:]:
        n = 0
        while n < min(len(common), len(base)) and common[n] == base[n]:
            n += 1
        common = common[:n]
    text = "/".join(common)
    return text if text else "/"


def walk(base: str, patterns: t.Sequence[str], *, dot: bool = False,
         case_sensitive: bool = True, ignore_node_modules: bool = True) -> list[str]:
    """The files under ``base`` (an absolute posix folder) that match.

    Folders no pattern can reach are not entered; ``node_modules`` folders
    are skipped unless ``ignore_node_modules`` is false; symlinked folders
    are followed once (a link cycle is not).
    """
    positive = compile_patterns([p for p in patterns if not p.startswith("!")], dot=dot,
                                case_sensitive=case_sensitive)
    negative = compile_patterns([p[1:] for p in patterns if p.startswith("!")], dot=dot,
                                case_sensitive=case_sensitive)
    found: list[str] = []
    seen: set[str] = set()

    def visit(folder: str) -> None:
        try:
            real = os.path.realpath(folder)
            if real in seen:
                return
            seen.add(real)
            entries = list(os.scandir(folder))
        except OSError:
            return
        for entry in entries:
            path = folder.rstrip("/") + "/" + entry.name
            try:
                is_dir = entry.is_dir()
            except OSError:
                continue
            if is_dir:
                if ignore_node_modules and entry.name == "node_modules":
                    continue
                if any(p.could_contain(path) for p in positive):
                    visit(path)
            elif any(p.match(path) for p in positive) and not any(n.match(path) for n in negative):
                found.append(path)

    if positive:
        visit(base)
    return found
