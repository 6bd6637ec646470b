from __future__ import annotations

import pytest

from flask_vite.sourcemap import (
    MapLookup, combine_maps, decode_mappings, encode_mappings, original_position,
)


@pytest.mark.parametrize(
    "mappings",
    ["", "AAAA", "AAAA,CAAC;;AACA", "AAAAA,SAASC;AACAC", "gBAAgB,EAAE;A", ";;;AAAA,IAAI,CAAC,GAAG"],
)
def test_decode_encode_round_trip(mappings: str) -> None:
    assert encode_mappings(decode_mappings(mappings)) == mappings


def test_decode_known_values() -> None:
    # "AACA": column 0, source +0, line +1, column +0
    assert decode_mappings("AAAA;AACA") == [[(0, 0, 0, 0)], [(0, 0, 1, 0)]]
    # Large and negative deltas survive: column 1000, then back to 3.
    lines = [[(1000, 0, 5, 700), (1003, 0, 2, 3)]]
    assert decode_mappings(encode_mappings(lines)) == lines


def test_lookup_uses_segment_at_or_before_column() -> None:
    m = {"version": 3, "sources": ["a.ts"], "names": [],
         "mappings": encode_mappings([[(0, 0, 0, 0), (10, 0, 0, 4)], [(2, 0, 3, 1)]])}
    look = MapLookup(m)
    assert look.original(0, 9) == (0, 0, 0, None)
    assert look.original(0, 10) == (0, 0, 4, None)
    assert look.original(0, 50) == (0, 0, 4, None)
    assert look.original(1, 0) is None
    assert original_position(m, 2, 5) == ("a.ts", 4, 1)


def test_combine_chains_two_transforms() -> None:
    # Step 1 (a.ts → A): A line 0 col 0 ← a.ts line 2 col 0; A line 1 col 4 ← a.ts line 5 col 2.
    first = {"version": 3, "sources": ["a.ts"], "sourcesContent": ["src"], "names": ["foo"],
             "mappings": encode_mappings([[(0, 0, 2, 0, 0)], [(4, 0, 5, 2)]])}
    # Step 2 (A → B): B line 3 col 1 ← A line 1 col 4; B line 0 col 0 ← A line 0 col 0.
    second = {"version": 3, "sources": ["A"], "names": [],
              "mappings": encode_mappings([[(0, 0, 0, 0)], [], [], [(1, 0, 1, 4)]])}
    combined = combine_maps([first, None, second])
    assert combined is not None
    assert combined["sources"] == ["a.ts"]
    assert combined["sourcesContent"] == ["src"]
    assert original_position(combined, 4, 1) == ("a.ts", 6, 2)
    assert original_position(combined, 1, 0) == ("a.ts", 3, 0)
    assert combined["names"] == ["foo"]


def test_combine_of_nothing_is_none() -> None:
    assert combine_maps([None, None]) is None


def test_lazy_map_is_combined_when_first_read(monkeypatch: pytest.MonkeyPatch) -> None:
    from flask_vite import sourcemap
    from flask_vite.sourcemap import LazySourceMap, combine_maps, parse_map

    first = {"version": 3, "sources": ["a.ts"], "names": [], "mappings": "AAAA;AACA"}
    second = {"version": 3, "sources": ["b.js"], "names": [], "mappings": "AACA;AAAA"}
    calls = []
    combine = sourcemap.combine_maps
    monkeypatch.setattr(sourcemap, "combine_maps", lambda maps: calls.append(1) or combine(maps))
    lazy = LazySourceMap([first, second])
    assert calls == []  # made, not read: nothing composed
    assert dict(lazy) == combine_maps([first, second])
    assert lazy["sources"] == ["a.ts"] and calls == [1]  # once
    assert parse_map(lazy) == dict(lazy)
    assert len(LazySourceMap([None])) == 0 and parse_map(LazySourceMap([None])) is None
