from __future__ import annotations

import hashlib

import pytest

from flask_vite.npm import integrity

from .helpers import sri

DATA = b"hello npm"
OTHER = b"tampered"


@pytest.mark.parametrize(
    ("dist", "data", "ok"),
    [
        ({"integrity": sri(DATA)}, DATA, True),
        ({"integrity": sri(DATA)}, OTHER, False),
        ({"integrity": sri(DATA, "sha256")}, DATA, True),
        ({"integrity": sri(DATA, "sha1")}, DATA, True),
        # Several tokens: the strongest algorithm decides; any token of it may match.
        ({"integrity": f"{sri(OTHER)} {sri(DATA)}"}, DATA, True),
        ({"integrity": f"{sri(DATA, 'sha1')} {sri(OTHER)}"}, DATA, False),
        # Options after '?' are ignored; unknown algorithms are skipped.
        ({"integrity": f"{sri(DATA)}?foo"}, DATA, True),
        ({"integrity": f"md5-AAAA {sri(DATA)}"}, DATA, True),
        # shasum only counts when integrity is missing or unusable.
        ({"shasum": hashlib.sha1(DATA).hexdigest()}, DATA, True),
        ({"shasum": hashlib.sha1(OTHER).hexdigest()}, DATA, False),
        ({"integrity": sri(DATA), "shasum": hashlib.sha1(OTHER).hexdigest()}, DATA, True),
        ({"integrity": "md5-xyz", "shasum": hashlib.sha1(DATA).hexdigest()}, DATA, True),
        ({}, DATA, False),
        ({"integrity": "sha512-notbase64!!"}, DATA, False),
        ({"integrity": "sha512-AAAA"}, DATA, False),  # wrong digest length
    ],
)
def test_verify_table(dist: dict[str, str], data: bytes, ok: bool) -> None:
    assert integrity.matches(data, integrity.expected_hashes(dist)) is ok


def test_roundtrip() -> None:
    s = sri(DATA)
    assert integrity.to_sri(integrity.parse(s)) == s
    assert integrity.compute(DATA).to_sri() == s
