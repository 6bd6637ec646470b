"""esbuild's stdio protocol: framing and values, with no IO.

This is the wire format esbuild's own JavaScript API speaks to the Go binary
started with ``--service=<version>`` (``lib/shared/stdio_protocol.ts`` and
``cmd/esbuild/stdio_protocol.go`` in evanw/esbuild).

* The stream starts with one frame holding the binary's version string.
* Every later frame is a *packet*: ``uint32LE length`` then a body of
  ``uint32LE (id << 1) | is_response`` followed by one *value*.
* A value is a one-byte tag and a payload:

  ===  ========  ==========================================================
  tag  type      payload
  ===  ========  ==========================================================
  0    null      nothing
  1    bool      one byte, 0 or 1
  2    int32     ``uint32LE`` (two's complement)
  3    string    ``uint32LE`` length + UTF-8 bytes
  4    bytes     ``uint32LE`` length + bytes
  5    array     ``uint32LE`` count + that many values
  6    map       ``uint32LE`` count + (untagged string key, value) pairs
  ===  ========  ==========================================================

Go type-checks what it decodes (``request["key"].(int)``), so the encoder
keeps Python's types apart: ``bool`` is never sent as an int, ``bytes`` never
as a string.
"""
from __future__ import annotations

import struct
import traceback
import typing as t

from ..errors import EsbuildMessage

#: A value that can cross the pipe.
Value = t.Union[
    None, bool, int, str, bytes, list["Value"], dict[str, "Value"]
]

_U32 = struct.Struct("<I")
_I32 = struct.Struct("<i")
_TAG_U32 = struct.Struct("<BI")

_MIN_INT = -(2**31)
_MAX_INT = 2**32 - 1  # Go writes uint32(int); accept the unsigned range too
_MAX_ID = 2**31 - 1  # the id is shifted left by one bit on the wire


class ProtocolError(ValueError):
    """Bytes that are not a valid esbuild packet, or a value that cannot be sent."""


class Packet(t.NamedTuple):
    """One decoded packet."""

    id: int
    is_request: bool
    value: Value


# -- encoding ---------------------------------------------------------------


def encode_packet(id: int, is_request: bool, value: Value) -> bytes:
    """Encode a whole packet, length prefix included, ready to write.

    :raises ProtocolError: if ``value`` holds something the protocol has no
        tag for (floats, sets, objects) or an int outside 32 bits.
    """
    if not 0 <= id <= _MAX_ID:
        raise ProtocolError(f"packet id {id} does not fit in 31 bits")
    out: list[bytes] = [b"", _U32.pack((id << 1) | (not is_request))]
    _encode_value(value, out)
    body_len = sum(map(len, out))
    out[0] = _U32.pack(body_len)
    return b"".join(out)


def encode_value(value: Value) -> bytes:
    """Encode one value on its own (what follows the id in a packet)."""
    out: list[bytes] = []
    _encode_value(value, out)
    return b"".join(out)


def _encode_value(value: object, out: list[bytes]) -> None:
    # Dispatch on the exact type first: it is the hot path for every request,
    # and ``bool`` must be caught before ``int`` (it is a subclass).
    kind = type(value)
    if kind is str:
        data = t.cast(str, value).encode("utf-8", "replace")
        out.append(_TAG_U32.pack(3, len(data)))
        out.append(data)
    elif value is None:
        out.append(b"\x00")
    elif kind is bool:
        out.append(b"\x01\x01" if value else b"\x01\x00")
    elif kind is int:
        number = t.cast(int, value)
        if not _MIN_INT <= number <= _MAX_INT:
            raise ProtocolError(f"integer {number} does not fit in 32 bits")
        out.append(_TAG_U32.pack(2, number & 0xFFFFFFFF))
    elif kind is dict:
        items = t.cast("dict[str, Value]", value)
        out.append(_TAG_U32.pack(6, len(items)))
        for key, item in items.items():
            if type(key) is not str:
                raise ProtocolError(f"map keys must be strings, got {key!r}")
            data = key.encode("utf-8", "replace")
            out.append(_U32.pack(len(data)))
            out.append(data)
            _encode_value(item, out)
    elif kind is list or kind is tuple:
        seq = t.cast("t.Sequence[Value]", value)
        out.append(_TAG_U32.pack(5, len(seq)))
        for item in seq:
            _encode_value(item, out)
    elif isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        out.append(_TAG_U32.pack(4, len(data)))
        out.append(data)
    elif isinstance(value, bool):
        out.append(b"\x01\x01" if value else b"\x01\x00")
    elif isinstance(value, int):
        _encode_value(int(value), out)
    elif isinstance(value, str):
        _encode_value(str(value), out)
    elif isinstance(value, t.Mapping):
        _encode_value(dict(value), out)
    else:
        raise ProtocolError(
            f"cannot send a {type(value).__name__} to esbuild: use None, bool, int,"
            " str, bytes, list or dict"
        )


# -- decoding ---------------------------------------------------------------


def decode_packet(body: bytes | bytearray | memoryview) -> Packet:
    """Decode one packet body (the bytes after the length prefix).

    :raises ProtocolError: if the body is truncated, has an unknown tag or
        trailing bytes.
    """
    data = bytes(body)
    if len(data) < 4:
        raise ProtocolError("packet is shorter than its id")
    (raw_id,) = _U32.unpack_from(data, 0)
    try:
        value, end = _decode_value(data, 4)
    except (struct.error, IndexError) as e:
        raise ProtocolError("packet is truncated") from e
    if end != len(data):
        raise ProtocolError(f"packet has {len(data) - end} trailing bytes")
    return Packet(raw_id >> 1, not (raw_id & 1), value)


def decode_value(data: bytes) -> Value:
    """Decode one value on its own; the inverse of :func:`encode_value`."""
    try:
        value, end = _decode_value(data, 0)
    except (struct.error, IndexError) as e:
        raise ProtocolError("value is truncated") from e
    if end != len(data):
        raise ProtocolError(f"value has {len(data) - end} trailing bytes")
    return value


def _read_slice(data: bytes, pos: int) -> tuple[bytes, int]:
    (length,) = _U32.unpack_from(data, pos)
    start = pos + 4
    end = start + length
    if end > len(data):
        raise ProtocolError("length runs past the end of the packet")
    return data[start:end], end


def _decode_value(data: bytes, pos: int) -> tuple[Value, int]:
    tag = data[pos]
    pos += 1
    if tag == 3:
        raw, pos = _read_slice(data, pos)
        # Go strings can hold any bytes (e.g. a line of a binary file in an
        # error); replace like the JS API's TextDecoder rather than failing.
        return raw.decode("utf-8", "replace"), pos
    if tag == 6:
        (count,) = _U32.unpack_from(data, pos)
        pos += 4
        mapping: dict[str, Value] = {}
        for _ in range(count):
            key, pos = _read_slice(data, pos)
            mapping[key.decode("utf-8", "replace")], pos = _decode_value(data, pos)
        return mapping, pos
    if tag == 2:
        # Signed, so esbuild's "-1 means undefined" sentinels read back as -1.
        return _I32.unpack_from(data, pos)[0], pos + 4
    if tag == 1:
        return data[pos] != 0, pos + 1
    if tag == 0:
        return None, pos
    if tag == 5:
        (count,) = _U32.unpack_from(data, pos)
        pos += 4
        items: list[Value] = []
        for _ in range(count):
            item, pos = _decode_value(data, pos)
            items.append(item)
        return items, pos
    if tag == 4:
        return _read_slice(data, pos)
    raise ProtocolError(f"unknown value tag {tag}")


# -- framing ----------------------------------------------------------------


class FrameBuffer:
    """Cut a byte stream into length-prefixed frames.

    Feed it whatever one ``read`` returned; it hands back every frame that is
    now complete and keeps the partial tail for the next call.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, chunk: bytes) -> list[bytes]:
        """Append ``chunk`` and return the frame bodies it completed."""
        buffer = self._buffer
        buffer += chunk
        frames: list[bytes] = []
        offset = 0
        size = len(buffer)
        while size - offset >= 4:
            (length,) = _U32.unpack_from(buffer, offset)
            end = offset + 4 + length
            if end > size:
                break
            frames.append(bytes(buffer[offset + 4 : end]))
            offset = end
        if offset:
            del buffer[:offset]
        return frames

    @property
    def pending(self) -> int:
        """How many bytes of an incomplete frame are buffered."""
        return len(self._buffer)


def encode_frame(body: bytes) -> bytes:
    """Length-prefix ``body``: how the version handshake is framed."""
    return _U32.pack(len(body)) + body


def decode_version(body: bytes) -> str:
    """Read the version string that opens the stream."""
    return body.decode("ascii", "replace")


# -- messages -----------------------------------------------------------------
# esbuild's errors and warnings travel as maps (``types.Message`` in types.ts).

#: What a plugin callback may give as an error or warning.
MessageLike = t.Union[str, EsbuildMessage, t.Mapping[str, t.Any]]


def messages_from_wire(values: t.Iterable[t.Any]) -> list[EsbuildMessage]:
    """Convert esbuild's message maps to :class:`EsbuildMessage` tuples."""
    return [message_from_wire(v) for v in values]


def message_from_wire(value: dict[str, t.Any]) -> EsbuildMessage:
    """Convert one esbuild message map."""
    loc = value.get("location")
    notes = tuple(_note_text(n) for n in value.get("notes") or ())
    if not loc:
        return EsbuildMessage(
            text=value.get("text", ""),
            plugin_name=value.get("pluginName", ""),
            notes=notes,
            id=value.get("id") or "",
        )
    return EsbuildMessage(
        text=value.get("text", ""),
        file=loc.get("file") or None,
        line=loc.get("line"),
        column=loc.get("column"),
        line_text=loc.get("lineText"),
        plugin_name=value.get("pluginName", ""),
        notes=notes,
        id=value.get("id") or "",
    )


def _note_text(note: dict[str, t.Any]) -> str:
    loc = note.get("location")
    text: str = note.get("text", "")
    if loc and loc.get("file"):
        return f"{loc['file']}:{loc.get('line', 0)}:{loc.get('column', 0)}: {text}"
    return text


def message_to_wire(message: MessageLike, plugin_name: str, detail: int = -1) -> dict[str, Value]:
    """Build the complete message map Go expects from a plugin.

    Go reads every field with a type assertion, so all of ``id``,
    ``pluginName``, ``text``, ``location``, ``notes`` and ``detail`` are
    always present.
    """
    if isinstance(message, str):
        message = EsbuildMessage(text=message)
    elif not isinstance(message, EsbuildMessage):
        message = EsbuildMessage(**message)
    location: Value = None
    if message.file is not None or message.line is not None:
        location = _location(message.file, message.line, message.column, message.line_text)
    return {
        "id": message.id,
        "pluginName": message.plugin_name or plugin_name,
        "text": message.text,
        "location": location,
        "notes": [{"text": n, "location": None} for n in message.notes],
        "detail": detail,
    }


def exception_to_wire(exc: BaseException, plugin_name: str, detail: int = -1) -> dict[str, Value]:
    """Describe an exception raised by a plugin callback as an esbuild error.

    The location is the line that raised, which is what the JS API does with
    a V8 stack trace.
    """
    text = str(exc)
    text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    location: Value = None
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    if frames:
        frame = frames[-1]
        location = _location(frame.filename, frame.lineno, 0, frame.line or "")
    return {
        "id": "",
        "pluginName": plugin_name,
        "text": text,
        "location": location,
        "notes": [],
        "detail": detail,
    }


def _location(file: str | None, line: int | None, column: int | None,
              line_text: str | None) -> dict[str, Value]:
    return {
        "file": file or "",
        "namespace": "",
        "line": line or 0,
        "column": column or 0,
        "length": 0,
        "lineText": line_text or "",
        "suggestion": "",
    }
