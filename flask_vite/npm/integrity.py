"""Subresource-integrity strings, as npm writes them in ``dist.integrity``.

An SRI string is a whitespace-separated list of ``algo-base64digest`` tokens,
optionally followed by ``?options`` (ignored, as the spec says). Verification
uses the strongest algorithm present and succeeds when any token of that
algorithm matches -- the same rule as npm's ``ssri`` package.

Pure: no files, no sockets.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import typing as t

#: Strongest first. ``sha1`` only ever comes from ``dist.shasum`` or very old
#: packages; it is accepted when nothing stronger exists.
ALGORITHMS: tuple[str, ...] = ("sha512", "sha384", "sha256", "sha1")


class Hash(t.NamedTuple):
    """One ``algo-digest`` token of an SRI string."""

    algorithm: str
    digest: bytes

    def to_sri(self) -> str:
        return f"{self.algorithm}-{base64.b64encode(self.digest).decode('ascii')}"

    @property
    def hexdigest(self) -> str:
        return self.digest.hex()


def parse(sri: str) -> list[Hash]:
    """Parse an SRI string into its known-algorithm hashes, in order.

    Unknown algorithms and malformed tokens are skipped, as browsers and
    ``ssri`` do, so a future algorithm does not break old clients.
    """
    hashes: list[Hash] = []
    for token in sri.split():
        algorithm, sep, rest = token.partition("-")
        if not sep or algorithm not in ALGORITHMS:
            continue
        b64 = rest.split("?", 1)[0]
        try:
            digest = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            continue
        if len(digest) != hashlib.new(algorithm).digest_size:
            continue
        hashes.append(Hash(algorithm, digest))
    return hashes


def from_shasum(shasum: str) -> Hash | None:
    """Turn npm's hex ``dist.shasum`` into a sha1 :class:`Hash`."""
    try:
        digest = bytes.fromhex(shasum.strip())
    except ValueError:
        return None
    return Hash("sha1", digest) if len(digest) == 20 else None


def strongest(hashes: t.Iterable[Hash]) -> list[Hash]:
    """The hashes of the strongest algorithm present (several may share it)."""
    hashes = list(hashes)
    for algorithm in ALGORITHMS:
        best = [h for h in hashes if h.algorithm == algorithm]
        if best:
            return best
    return []


def expected_hashes(dist: t.Mapping[str, t.Any]) -> list[Hash]:
    """The hashes a tarball must match, from a packument's ``dist`` object.

    ``integrity`` wins; ``shasum`` is used only when there is no usable
    integrity, because sha1 alone is weak.
    """
    integrity = dist.get("integrity")
    if isinstance(integrity, str):
        found = strongest(parse(integrity))
        if found:
            return found
    shasum = dist.get("shasum")
    if isinstance(shasum, str):
        sha1 = from_shasum(shasum)
        if sha1 is not None:
            return [sha1]
    return []


def compute(data: bytes, algorithm: str = "sha512") -> Hash:
    """Hash ``data`` with ``algorithm``."""
    return Hash(algorithm, hashlib.new(algorithm, data).digest())


def matches(data: bytes, hashes: t.Sequence[Hash]) -> bool:
    """Whether ``data`` matches at least one of the strongest ``hashes``."""
    best = strongest(hashes)
    if not best:
        return False
    actual = hashlib.new(best[0].algorithm, data).digest()
    return any(h.digest == actual for h in best)


def to_sri(hashes: t.Iterable[Hash]) -> str:
    """Format hashes back into one SRI string."""
    return " ".join(h.to_sri() for h in hashes)
