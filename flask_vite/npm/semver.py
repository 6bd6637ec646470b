"""npm's semver: versions, ranges and their matching rules, as node-semver.

Only loose mode exists here, because npm parses every range in
``package.json`` and every packument version loosely. Supported: ``^ ~ ~>``,
x-ranges (``1.x``, ``1.2.*``, ``*``, ``""``), comparators (``< <= > >= =``),
hyphen ranges (``1.2 - 2.3.4``), ``||``, build metadata (ignored), and the
prerelease rule: a prerelease version only satisfies a comparator set that
has a comparator with a prerelease on the same ``major.minor.patch``.

The translation of each operator into ``>=``/``<`` pairs follows
node-semver's ``classes/range.js`` line by line so edge cases (``^0.0.x``,
``<=1.2``, ``>1``) agree with npm.

Pure: no files, no sockets.
"""
from __future__ import annotations

import functools
import re
import typing as t

# -- regular expressions (node-semver internal/re.js, loose variants) ------

_NUM = r"\d+"
_NONNUM = r"\d*[a-zA-Z-][a-zA-Z0-9-]*"
_PRID = rf"(?:{_NONNUM}|{_NUM})"
_PRERELEASE = rf"(?:-?({_PRID}(?:\.{_PRID})*))"
_BUILD = r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))"
_LOOSEPLAIN = rf"[v=\s]*({_NUM})\.({_NUM})\.({_NUM}){_PRERELEASE}?{_BUILD}?"
_GTLT = r"((?:<|>)?=?)"
_XRID = rf"{_NUM}|x|X|\*"
_XRANGEPLAIN = (rf"[v=\s]*({_XRID})(?:\.({_XRID})(?:\.({_XRID})(?:{_PRERELEASE})?{_BUILD}?)?)?")

_LOOSE_RE = re.compile(rf"^{_LOOSEPLAIN}$")
_HYPHEN_RE = re.compile(rf"^\s*({_XRANGEPLAIN})\s+-\s+({_XRANGEPLAIN})\s*$")
_COMPARATOR_TRIM_RE = re.compile(rf"(\s*){_GTLT}\s*({_LOOSEPLAIN}|{_XRANGEPLAIN})")
_TILDE_TRIM_RE = re.compile(r"(\s*)(?:~>?)\s+")
_CARET_TRIM_RE = re.compile(r"(\s*)(?:\^)\s+")
_TILDE_RE = re.compile(rf"^(?:~>?){_XRANGEPLAIN}$")
_CARET_RE = re.compile(rf"^(?:\^){_XRANGEPLAIN}$")
_XRANGE_RE = re.compile(rf"^{_GTLT}\s*{_XRANGEPLAIN}$")
_STAR_RE = re.compile(r"(<|>)?=?\s*\*")
_GTE0_RE = re.compile(r"^\s*>=\s*0\.0\.0\s*$")
_COMPARATOR_RE = re.compile(rf"^{_GTLT}\s*({_LOOSEPLAIN})$|^$")


class SemverError(ValueError):
    """A version or range that node-semver would also reject."""


# -- versions ----------------------------------------------------------------

PreId = t.Union[int, str]


@functools.total_ordering
class Version:
    """A parsed ``major.minor.patch[-prerelease][+build]`` version."""

    __slots__ = ("major", "minor", "patch", "prerelease", "build", "_key")

    def __init__(self, major: int, minor: int, patch: int,
                 prerelease: tuple[PreId, ...] = (), build: tuple[str, ...] = ()) -> None:
        self.major, self.minor, self.patch = major, minor, patch
        self.prerelease = prerelease
        self.build = build
        # A release sorts after all its prereleases; numeric identifiers sort
        # before alphanumeric ones; a longer prerelease list wins a tie.
        pre_key: tuple[t.Any, ...] = (
            (1,) if not prerelease else
            (0, tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in prerelease)))
        self._key = (major, minor, patch, pre_key)

    def __str__(self) -> str:
        s = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            s += "-" + ".".join(str(p) for p in self.prerelease)
        return s

    def __repr__(self) -> str:
        return f"Version({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self._key == other._key

    def __lt__(self, other: Version) -> bool:
        return self._key < other._key

    def __hash__(self) -> int:
        return hash(self._key)


def _pre_ids(text: str | None) -> tuple[PreId, ...]:
    if not text:
        return ()
    return tuple(int(p) if p.isdigit() else p for p in text.split("."))


@functools.lru_cache(maxsize=65536)
def parse_version(text: str) -> Version | None:
    """Parse a version loosely (``v1.2.3``, ``=1.2.3``); ``None`` if invalid."""
    if not isinstance(text, str) or len(text) > 256:
        return None
    m = _LOOSE_RE.match(text.strip())
    if not m:
        return None
    build = tuple(m.group(5).split(".")) if m.group(5) else ()
    return Version(int(m.group(1)), int(m.group(2)), int(m.group(3)), _pre_ids(m.group(4)), build)


def clean(text: str) -> str | None:
    """The canonical form of a version string (``" =v1.2.3 "`` -> ``"1.2.3"``)."""
    v = parse_version(text)
    return str(v) if v is not None else None


# -- ranges --------------------------------------------------------------------


def _is_x(part: str | None) -> bool:
    return not part or part.lower() == "x" or part == "*"


def _tilde(comp: str) -> str:
    def repl(m: re.Match[str]) -> str:
        major, minor, patch, pre = m.group(1), m.group(2), m.group(3), m.group(4)
        if _is_x(major):
            return ""
        if _is_x(minor):
            return f">={major}.0.0 <{int(major) + 1}.0.0-0"
        if _is_x(patch):
            return f">={major}.{minor}.0 <{major}.{int(minor) + 1}.0-0"
        if pre:
            return f">={major}.{minor}.{patch}-{pre} <{major}.{int(minor) + 1}.0-0"
        return f">={major}.{minor}.{patch} <{major}.{int(minor) + 1}.0-0"

    return " ".join(_TILDE_RE.sub(repl, c) for c in comp.strip().split())


def _caret(comp: str) -> str:
    def repl(m: re.Match[str]) -> str:
        major, minor, patch, pre = m.group(1), m.group(2), m.group(3), m.group(4)
        if _is_x(major):
            return ""
        if _is_x(minor):
            return f">={major}.0.0 <{int(major) + 1}.0.0-0"
        if _is_x(patch):
            if major == "0":
                return f">={major}.{minor}.0 <{major}.{int(minor) + 1}.0-0"
            return f">={major}.{minor}.0 <{int(major) + 1}.0.0-0"
        low = f">={major}.{minor}.{patch}" + (f"-{pre}" if pre else "")
        if major == "0":
            if minor == "0":
                return f"{low} <{major}.{minor}.{int(patch) + 1}-0"
            return f"{low} <{major}.{int(minor) + 1}.0-0"
        return f"{low} <{int(major) + 1}.0.0-0"

    return " ".join(_CARET_RE.sub(repl, c) for c in comp.strip().split())


def _xrange(comp: str) -> str:
    def repl(m: re.Match[str]) -> str:
        gtlt, major, minor, patch = m.group(1), m.group(2), m.group(3), m.group(4)
        x_major = _is_x(major)
        x_minor = x_major or _is_x(minor)
        x_patch = x_minor or _is_x(patch)
        if gtlt == "=" and x_patch:
            gtlt = ""
        pre = ""
        if x_major:
            return "<0.0.0-0" if gtlt in (">", "<") else "*"
        if gtlt and x_patch:
            ma, mi, pa = int(major), 0 if x_minor else int(minor), 0
            if gtlt == ">":
                gtlt = ">="
                if x_minor:
                    ma, mi, pa = ma + 1, 0, 0
                else:
                    mi, pa = mi + 1, 0
            elif gtlt == "<=":
                gtlt = "<"
                if x_minor:
                    ma += 1
                else:
                    mi += 1
            if gtlt == "<":
                pre = "-0"
            return f"{gtlt}{ma}.{mi}.{pa}{pre}"
        if x_minor:
            return f">={major}.0.0 <{int(major) + 1}.0.0-0"
        if x_patch:
            return f">={major}.{minor}.0 <{major}.{int(minor) + 1}.0-0"
        return m.group(0)

    return " ".join(_XRANGE_RE.sub(repl, c) for c in comp.strip().split())


def _hyphen(m: re.Match[str]) -> str:
    frm, f_major, f_minor, f_patch = m.group(1), m.group(2), m.group(3), m.group(4)
    to, t_major, t_minor, t_patch, t_pre = m.group(7), m.group(8), m.group(9), m.group(10), m.group(11)
    if _is_x(f_major):
        low = ""
    elif _is_x(f_minor):
        low = f">={f_major}.0.0"
    elif _is_x(f_patch):
        low = f">={f_major}.{f_minor}.0"
    else:
        low = f">={frm}"
    if _is_x(t_major):
        high = ""
    elif _is_x(t_minor):
        high = f"<{int(t_major) + 1}.0.0-0"
    elif _is_x(t_patch):
        high = f"<{t_major}.{int(t_minor) + 1}.0-0"
    elif t_pre:
        high = f"<={t_major}.{t_minor}.{t_patch}-{t_pre}"
    else:
        high = f"<={to}"
    return f"{low} {high}".strip()


class Comparator(t.NamedTuple):
    """``operator version``; ``version is None`` means "any"."""

    operator: str  # '', '<', '<=', '>', '>='
    version: Version | None

    def test(self, v: Version) -> bool:
        if self.version is None:
            return True
        op, other = self.operator, self.version
        if op == "":
            return v == other
        if op == "<":
            return v < other
        if op == "<=":
            return v <= other
        if op == ">":
            return v > other
        return v >= other

    def __str__(self) -> str:
        return "" if self.version is None else f"{self.operator}{self.version}"


def _parse_comparator(comp: str) -> Comparator:
    m = _COMPARATOR_RE.match(comp)
    if not m:
        raise SemverError(f"invalid comparator {comp!r}")
    if not m.group(2):
        return Comparator("", None)
    op = m.group(1) or ""
    return Comparator("" if op == "=" else op, parse_version(m.group(2)))


def _parse_range_part(part: str) -> list[Comparator]:
    part = _HYPHEN_RE.sub(_hyphen, part)
    part = _COMPARATOR_TRIM_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}", part)
    part = _TILDE_TRIM_RE.sub(lambda m: f"{m.group(1)}~", part)
    part = _CARET_TRIM_RE.sub(lambda m: f"{m.group(1)}^", part)
    comps: list[str] = []
    for comp in part.split(" "):
        comp = _caret(comp)
        comp = _tilde(comp)
        comp = _xrange(comp)
        comp = _STAR_RE.sub("", comp.strip())
        comps.extend(comp.split())
    if not comps:
        comps = [""]
    comps = ["" if _GTE0_RE.match(c) else c for c in comps]
    # Loose mode silently drops tokens that are not comparators.
    parsed = [_parse_comparator(c) for c in comps if _COMPARATOR_RE.match(c)]
    result: list[Comparator] = []
    for c in parsed:
        if _is_null_set(c):
            return [c]
        if c not in result:
            result.append(c)
    if len(result) > 1:
        result = [c for c in result if c.version is not None] or result[:1]
    return result


def _is_null_set(c: Comparator) -> bool:
    return c.operator == "<" and c.version == Version(0, 0, 0, (0,))


class Range:
    """A parsed npm range. ``Range("^1.2.0 || 2.x").test("2.3.4")``."""

    __slots__ = ("raw", "sets")

    def __init__(self, raw: str) -> None:
        self.raw = raw
        text = " ".join(raw.strip().split())
        sets = [s for s in (_parse_range_part(p.strip()) for p in text.split("||")) if s]
        if not sets:
            raise SemverError(f"invalid semver range {raw!r}")
        if len(sets) > 1:
            first = sets[0]
            sets = [s for s in sets if not _is_null_set(s[0])] or [first]
            for s in sets:
                if len(s) == 1 and s[0].version is None:
                    sets = [s]
                    break
        self.sets = sets

    def __repr__(self) -> str:
        return f"Range({self.raw!r})"

    def __str__(self) -> str:
        return "||".join(" ".join(str(c) for c in s).strip() for s in self.sets)

    @property
    def is_any(self) -> bool:
        return any(len(s) == 1 and s[0].version is None for s in self.sets)

    def test(self, version: Version | str) -> bool:
        v = parse_version(version) if isinstance(version, str) else version
        if v is None:
            return False
        return any(_test_set(s, v) for s in self.sets)


def _test_set(comps: list[Comparator], v: Version) -> bool:
    for c in comps:
        if not c.test(v):
            return False
    if v.prerelease:
        # A prerelease only matches when some comparator opts into
        # prereleases of that very major.minor.patch (node-semver testSet).
        for c in comps:
            a = c.version
            if a is not None and a.prerelease and (a.major, a.minor, a.patch) == (
                    v.major, v.minor, v.patch):
                return True
        return False
    return True


@functools.lru_cache(maxsize=16384)
def parse_range(text: str) -> Range | None:
    """A cached :class:`Range`, or ``None`` if ``text`` is not a valid range."""
    if not isinstance(text, str) or len(text) > 1024:
        return None
    try:
        return Range(text)
    except SemverError:
        return None


def satisfies(version: str | Version, range_: str | Range) -> bool:
    """``semver.satisfies(version, range, {loose: true})``."""
    r = parse_range(range_) if isinstance(range_, str) else range_
    return r is not None and r.test(version)


def max_satisfying(versions: t.Iterable[str], range_: str | Range) -> str | None:
    """The highest of ``versions`` inside ``range_``."""
    r = parse_range(range_) if isinstance(range_, str) else range_
    if r is None:
        return None
    best: tuple[Version, str] | None = None
    for text in versions:
        v = parse_version(text)
        if v is not None and r.test(v) and (best is None or v > best[0]):
            best = (v, text)
    return best[1] if best else None


def compare(a: str, b: str) -> int:
    """-1, 0 or 1, like ``semver.compare`` (invalid versions raise)."""
    va, vb = parse_version(a), parse_version(b)
    if va is None or vb is None:
        raise SemverError(f"invalid version {a if va is None else b!r}")
    return (va > vb) - (va < vb)
