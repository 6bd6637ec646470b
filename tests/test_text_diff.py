"""flask_vite.text_diff against the obvious character-by-character loops."""
from __future__ import annotations

import random

from flask_vite.text_diff import common_prefix, common_suffix


def naive_prefix(a: str, i: int, b: str, j: int) -> int:
    n = 0
    while i + n < len(a) and j + n < len(b) and a[i + n] == b[j + n]:
        n += 1
    return n


def naive_suffix(a: str, i: int, b: str, j: int) -> int:
    n = 0
    while n < i and n < j and a[i - n - 1] == b[j - n - 1]:
        n += 1
    return n


def test_agrees_with_the_obvious_loops() -> None:
    rnd = random.Random(7)
    for _ in range(2000):
        base = "".join(rnd.choice("ab\n") for _ in range(rnd.randint(0, 400)))
        at = rnd.randint(0, len(base))
        other = base[:at] + rnd.choice(["", "x", "ab", "\n" * 70]) + base[at + rnd.randint(0, 3):]
        i, j = rnd.randint(0, len(base)), rnd.randint(0, len(other))
        assert common_prefix(base, i, other, j) == naive_prefix(base, i, other, j)
        assert common_suffix(base, i, other, j) == naive_suffix(base, i, other, j)
    assert common_prefix("", 0, "", 0) == common_suffix("", 0, "", 0) == 0
