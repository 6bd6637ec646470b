"""The frame codec between the web process and the renderer child."""
from __future__ import annotations

import pytest

from flask_vite.ssr.protocol import (
    MAX_FRAME,
    FrameDecoder,
    ProtocolError,
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
