"""Frames between :class:`~flask_vite.ssr.process.SsrProcess` and its child.

Pure (no IO): both ends write :func:`encode` output to a pipe and feed what
they read to a :class:`FrameDecoder`. A frame is a 4-byte big-endian payload
length, one ASCII kind byte, then the payload (UTF-8 JSON, or text produced
by V8 that is forwarded without being parsed).

Kinds, parent to child:

``S`` setup (first frame): heap limit, ``NODE_ENV``, ``import.meta.env`` …
``D`` define modules: ``{url: [code, file, format]}``
``I`` invalidate: ``[urls, with_importers]``
``C`` call: ``{mode, url, name, args, timeout}``
``M`` modules answering an ``F``: ``[{url, code, file, format, error}]``
``Q`` quit

Child to parent:

``H`` hello, ready: ``{v8, pid}``
``R`` result of a call: ``{ok, value | error, logs}``
``V`` result of a call whose value is made of strings, arrays and plain
objects, and that logged nothing (a page: a string or ``{html, head}``):
see :func:`decode_texts` -- no escaping in V8, no parsing of the text here
``F`` modules needed to go on: ``{modules: [{url, chain}], logs}``
``O`` the heap limit was reached; the child exits
``X`` the child failed (a bug, a terminated isolate); text; the child exits
"""
from __future__ import annotations

import json
import re
import struct
import typing as t

_HEADER = struct.Struct(">IB")

#: A frame larger than this is a protocol error, not a render result.
MAX_FRAME = 1 << 30

#: Bytes asked for per read of a pipe: a Linux pipe holds 64 KiB, so a read
#: never returns more, and os.read() allocates what it is asked for first --
#: 1 MiB cost 20 us per read (a fresh mapping, page faults), 64 KiB 3 us.
READ_SIZE = 1 << 16


class ProtocolError(Exception):
    """The byte stream is not a sequence of frames."""


def encode(kind: str, payload: str | bytes = b"") -> bytes:
    """One frame, ready to write.

    :param kind: One ASCII letter (see the module docstring).
    :param payload: Text (encoded as UTF-8) or bytes.
    """
    data = payload.encode("utf-8") if isinstance(payload, str) else payload
    if len(data) > MAX_FRAME:
        raise ProtocolError(f"frame of {len(data)} bytes exceeds the {MAX_FRAME}-byte limit")
    return _HEADER.pack(len(data), ord(kind)) + data


class FrameDecoder:
    """Reassembles frames from chunks of a byte stream."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[tuple[str, bytes]]:
        """Add ``data``; return the frames it completed, in order."""
        self._buffer += data
        frames: list[tuple[str, bytes]] = []
        start = 0
        size = _HEADER.size
        buffer = self._buffer
        while len(buffer) - start >= size:
            length, kind = _HEADER.unpack_from(buffer, start)
            if length > MAX_FRAME:
                raise ProtocolError(f"frame of {length} bytes exceeds the {MAX_FRAME}-byte limit")
            end = start + size + length
            if len(buffer) < end:
                break
            frames.append((chr(kind), bytes(buffer[start + size:end])))
            start = end
        if start:
            del buffer[:start]
        return frames

    @property
    def pending(self) -> int:
        """Bytes of an incomplete frame held back."""
        return len(self._buffer)


def frames_of(chunks: t.Iterable[bytes]) -> list[tuple[str, bytes]]:
    """Decode a whole stream at once (for tests and tools)."""
    decoder = FrameDecoder()
    out: list[tuple[str, bytes]] = []
    for chunk in chunks:
        out.extend(decoder.feed(chunk))
    return out


#: Characters outside the BMP: two UTF-16 code units each in JavaScript.
_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


def decode_texts(payload: bytes) -> t.Any:
    """The value in a ``V`` frame: its shape as JSON (each string replaced
    by its length in UTF-16 code units, as JavaScript counts), a newline,
    then the strings back to back in the order the shape lists them."""
    shape_json, _, body = payload.partition(b"\n")
    shape = json.loads(shape_json)
    text = body.decode("utf-8")
    position = 0
    if text.isascii() or not _ASTRAL.search(text):
        # One code point per UTF-16 unit: Python slices count the same.
        def take(length: int) -> str:
            nonlocal position
            position += length
            return text[position - length:position]
    else:
        units = text.encode("utf-16-le")

        def take(length: int) -> str:
            nonlocal position
            position += 2 * length
            return units[position - 2 * length:position].decode("utf-16-le")

    def build(node: t.Any) -> t.Any:
        if isinstance(node, int):
            return take(node)
        if isinstance(node, list):
            return [build(item) for item in node]
        return {key: build(item) for key, item in node.items()}

    return build(shape)
