"""Where two versions of a text agree, for the work redone after an edit
(:func:`flask_vite.js_scan.retokenize`, :class:`flask_vite.js_lexer.LexCache`).

Both functions compare growing stretches with ``str.startswith`` /
``str.endswith`` (in C), then binary-search the stretch that differs: an
edit's difference is found in a few comparisons wherever it is.
"""
from __future__ import annotations

import typing as t


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
