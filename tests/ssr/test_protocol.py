"""The frame codec between the web process and the renderer child."""
from __future__ import annotations

import json
import typing as t

import pytest

from flask_vite.ssr.protocol import (
    MAX_FRAME,
    FrameDecoder,
    ProtocolError,
    decode_texts,
    encode,
    frames_of,
)


def test_round_trip_in_one_chunk() -> None:
    data = encode("C", '{"url": "/a.js"}') + encode("Q") + encode("R", "é👋".encode())
    assert frames_of([data]) == [("C", b'{"url": "/a.js"}'), ("Q", b""), ("R", "é👋".encode())]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 64])
def test_frames_split_anywhere(size: int) -> None:
    data = encode("D", "x" * 100) + encode("R", "y")
    chunks = [data[i:i + size] for i in range(0, len(data), size)]
    assert frames_of(chunks) == [("D", b"x" * 100), ("R", b"y")]


def test_partial_frame_is_held_back() -> None:
    decoder = FrameDecoder()
    data = encode("R", "hello")
    assert decoder.feed(data[:7]) == []
    assert decoder.pending == 7
    assert decoder.feed(data[7:]) == [("R", b"hello")]
    assert decoder.pending == 0


def test_oversized_frame_is_refused() -> None:
    header = (MAX_FRAME + 1).to_bytes(4, "big") + b"R"
    with pytest.raises(ProtocolError):
        FrameDecoder().feed(header)


def _texts_payload(value: t.Any) -> bytes:
    """What the runner sends for ``value`` (its textShape(), in Python)."""
    texts: list[str] = []

    def shape(node: t.Any) -> t.Any:
        if isinstance(node, str):
            texts.append(node)
            return len(node.encode("utf-16-le")) // 2
        if isinstance(node, list):
            return [shape(item) for item in node]
        return {key: shape(item) for key, item in node.items()}

    head = json.dumps(shape(value), separators=(",", ":"))
    return (head + "\n" + "".join(texts)).encode("utf-8")


@pytest.mark.parametrize("value", [
    "<p>page</p>",
    "",
    {"html": "<div>é</div>", "head": ""},
    {"html": "a👋b", "head": "<title>👋👋</title>"},
    {"values": [{"html": "x\ny"}, "\U0010FFFF", {"html": ""}, ["a", "👋", {"k": "é\u2028"}]]},
    {"__proto__": "p", "0": "zero", "1": "one"},
    [],
    {},
])
def test_decode_texts_rebuilds_the_value(value: t.Any) -> None:
    """Strings are cut at UTF-16 lengths, as JavaScript counts them."""
    assert decode_texts(_texts_payload(value)) == value
