"""Where two versions of a text agree, for the work redone after an edit
(:func:`flask_vite.js_scan.retokenize`, :class:`flask_vite.js_lexer.LexCache`),
and :class:`RecentEntries`, where both keep the last run per module.

The comparisons grow stretches with ``str.startswith`` / ``str.endswith``
(in C), then binary-search the stretch that differs: an edit's difference
is found in a few comparisons wherever it is.
"""
from __future__ import annotations

import threading
import typing as t

_T = t.TypeVar("_T")


class RecentEntries(t.Generic[_T]):
    """One value per key for the ``size`` keys kept last (the least recently
    kept dropped). Safe to share between threads: :meth:`take` removes the
    entry, so a second user of the same key meanwhile finds none."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: dict[str, _T] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> _T | None:
        with self._lock:
            return self._entries.pop(key, None)

    def keep(self, key: str, value: _T) -> None:
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.size:
                del self._entries[next(iter(self._entries))]

    def __iter__(self) -> t.Iterator[str]:
        with self._lock:
            return iter(list(self._entries))


def common_prefix(a: str, i: int, b: str, j: int) -> int:
    """The length of the longest common prefix of ``a[i:]`` and ``b[j:]``."""
    return _longest(min(len(a) - i, len(b) - j),
                    lambda lo, hi: a.startswith(b[j + lo:j + hi], i + lo))


def common_suffix(a: str, i: int, b: str, j: int) -> int:
    """The length of the longest common suffix of ``a[:i]`` and ``b[:j]``."""
    return _longest(min(i, j), lambda lo, hi: a.endswith(b[j - hi:j - lo], 0, i - lo))


def _longest(most: int, agree: t.Callable[[int, int], bool]) -> int:
    # agree(lo, hi): the stretch lo..hi agrees, given that 0..lo does.
    lo, step = 0, 64
    while True:
        hi = min(lo + step, most)
        if not agree(lo, hi):
            break
        if hi == most:
            return most
        lo, step = hi, step * 2
    hi -= 1  # 0..lo agrees, 0..hi does not
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if agree(lo, mid):
            lo = mid
        else:
            hi = mid - 1
    return lo
