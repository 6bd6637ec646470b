"""The pure codec of esbuild's stdio protocol: tables, no process."""
from __future__ import annotations

import struct
import typing as t

import pytest

from flask_vite.esbuild import protocol
from flask_vite.esbuild.protocol import FrameBuffer, Packet, ProtocolError

ROUND_TRIP = [
    pytest.param(None, id="null"),
    pytest.param(True, id="true"),
    pytest.param(False, id="false"),
    pytest.param(0, id="int-zero"),
    pytest.param(42, id="int"),
    pytest.param(-1, id="int-negative"),
    pytest.param(2**31 - 1, id="int-max"),
    pytest.param(-(2**31), id="int-min"),
    pytest.param("", id="string-empty"),
    pytest.param("héllo ✓ 🚀", id="string-utf8"),
    pytest.param(b"", id="bytes-empty"),
    pytest.param(bytes(range(256)), id="bytes-all"),
    pytest.param([], id="array-empty"),
    pytest.param([None, True, 1, "a", b"b", [], {}], id="array-mixed"),
    pytest.param({}, id="map-empty"),
    pytest.param({"": None, "ключ": {"nested": [b"\x00", {"deep": -7}]}}, id="map-nested"),
]


@pytest.mark.parametrize("value", ROUND_TRIP)
def test_value_round_trip(value: protocol.Value) -> None:
    assert protocol.decode_value(protocol.encode_value(value)) == value


@pytest.mark.parametrize("value", ROUND_TRIP)
@pytest.mark.parametrize("is_request", [True, False])
def test_packet_round_trip(value: protocol.Value, is_request: bool) -> None:
    data = protocol.encode_packet(12345, is_request, value)
    (length,) = struct.unpack_from("<I", data)
    assert length == len(data) - 4
    assert protocol.decode_packet(data[4:]) == Packet(12345, is_request, value)


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (None, b"\x00"),
        (False, b"\x01\x00"),
        (True, b"\x01\x01"),
        (1, b"\x02\x01\x00\x00\x00"),
        (-1, b"\x02\xff\xff\xff\xff"),
        ("ab", b"\x03\x02\x00\x00\x00ab"),
        (b"ab", b"\x04\x02\x00\x00\x00ab"),
        ([None], b"\x05\x01\x00\x00\x00\x00"),
        ({"k": True}, b"\x06\x01\x00\x00\x00\x01\x00\x00\x00k\x01\x01"),
    ],
)
def test_exact_bytes(value: protocol.Value, encoded: bytes) -> None:
    # The layout Go's decodePacket reads; keys are untagged strings.
    assert protocol.encode_value(value) == encoded


def test_packet_header() -> None:
    # length 9 = id (4) + map tag (1) + count (4); id 3 -> 6 as a request, 7 as a response
    assert protocol.encode_packet(3, True, {}) == (
        b"\x09\x00\x00\x00" b"\x06\x00\x00\x00" b"\x06" b"\x00\x00\x00\x00")
    assert protocol.encode_packet(3, False, {})[4:8] == b"\x07\x00\x00\x00"


def test_types_are_kept_apart() -> None:
    # Go type-asserts: bool must not become int, bytes must not become string.
    assert protocol.encode_value(True)[0] == 1
    assert protocol.encode_value(1)[0] == 2
    assert protocol.encode_value(b"x")[0] == 4
    # Convenient Python types are sent as their canonical kind.
    same: list[tuple[t.Any, protocol.Value]] = [
        (bytearray(b"x"), b"x"), (memoryview(b"x"), b"x"), ((1, 2), [1, 2])]
    for given, canonical in same:
        assert protocol.encode_value(given) == protocol.encode_value(canonical)


def test_go_unsigned_ints_read_as_signed() -> None:
    # Go writes uint32(int): esbuild's "-1 = undefined" detail comes back as -1.
    assert protocol.decode_value(b"\x02\xff\xff\xff\xff") == -1
    assert protocol.encode_value(2**32 - 1) == b"\x02\xff\xff\xff\xff"


@pytest.mark.parametrize("size", [1024 * 1024 + 17, 3 * 1024 * 1024])
def test_large_payloads_through_frames(size: int) -> None:
    blob = bytes(i % 251 for i in range(size))
    text = "λx" * (size // 3)
    stream = (protocol.encode_packet(1, True, {"bytes": blob})
              + protocol.encode_packet(2, False, {"text": text}))
    frames = FrameBuffer()
    got = []
    for start in range(0, len(stream), 65536):  # what a pipe read gives
        got.extend(frames.feed(stream[start:start + 65536]))
    assert frames.pending == 0
    assert [protocol.decode_packet(f) for f in got] == [
        Packet(1, True, {"bytes": blob}),
        Packet(2, False, {"text": text}),
    ]


def test_frames_split_anywhere() -> None:
    stream = protocol.encode_frame(b"0.28.2") + b"".join(
        protocol.encode_packet(i, i % 2 == 0, {"i": i, "s": "x" * i}) for i in range(20)
    )
    frames = FrameBuffer()
    got: list[bytes] = []
    for i in range(len(stream)):
        got.extend(frames.feed(stream[i:i + 1]))
    assert protocol.decode_version(got[0]) == "0.28.2"
    assert [protocol.decode_packet(f).value for f in got[1:]] == [
        {"i": i, "s": "x" * i} for i in range(20)
    ]
    # Several whole packets in one chunk come out together.
    assert len(FrameBuffer().feed(stream)) == 21


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"\x00\x00", id="short-id"),
        pytest.param(b"\x00\x00\x00\x00", id="no-value"),
        pytest.param(b"\x00\x00\x00\x00\x09", id="unknown-tag"),
        pytest.param(b"\x00\x00\x00\x00\x03\x05\x00\x00\x00ab", id="string-too-short"),
        pytest.param(b"\x00\x00\x00\x00\x05\x02\x00\x00\x00\x00", id="array-too-short"),
        pytest.param(b"\x00\x00\x00\x00\x00\x00", id="trailing-byte"),
        pytest.param(b"\x00\x00\x00\x00\x02\x01", id="int-too-short"),
    ],
)
def test_invalid_packets(body: bytes) -> None:
    with pytest.raises(ProtocolError):
        protocol.decode_packet(body)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(1.5, id="float"),
        pytest.param({1: "x"}, id="int-key"),
        pytest.param({"a"}, id="set"),
        pytest.param(2**32, id="int-too-big"),
        pytest.param(-(2**31) - 1, id="int-too-small"),
        pytest.param([object()], id="object"),
    ],
)
def test_unencodable_values(value: object) -> None:
    with pytest.raises(ProtocolError):
        protocol.encode_value(value)  # type: ignore[arg-type]


def test_packet_id_range() -> None:
    with pytest.raises(ProtocolError):
        protocol.encode_packet(2**31, True, None)
    assert protocol.decode_packet(protocol.encode_packet(2**31 - 1, True, None)[4:]).id == 2**31 - 1
