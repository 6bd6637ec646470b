"""Step 12: an exception in a handler → 500 with what the overlay shows."""
from __future__ import annotations

import json
import logging
import re
import traceback
import typing as t
from pathlib import Path

from flask import Request, Response, current_app

from ...errors import EsbuildError
from ..urls import CLIENT_PUBLIC_PATH, join_url_segments
from .base import dev_base_path
from .common import accepts_html

if t.TYPE_CHECKING:
    from ..dev_server import DevServer

logger = logging.getLogger("flask_vite.server")

_ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class ErrorLocation(t.TypedDict):
    file: str | None
    line: int | None
    column: int | None


class ErrorPayload(t.TypedDict):
    """The ``err`` of an HMR ``error`` payload (Vite's ``ErrorPayload['err']``)."""

    message: str
    stack: str
    id: str | None
    frame: str
    plugin: str | None
    loc: ErrorLocation | None


def prepare_error(error: BaseException) -> ErrorPayload:
    """What the browser's error overlay needs from an exception.

    Reads the attributes pipeline errors carry, as Vite's ``prepareError``
    reads a RollupError's: ``id``, ``plugin``, ``frame``, ``loc`` (an object
    or mapping with ``file``/``line``/``column``) or ``file``/``line``/
    ``column``; an :class:`~flask_vite.errors.EsbuildError` gives its first
    message's location. Colour codes are stripped.
    """
    message = _strip(getattr(error, "message", None) or str(error) or type(error).__name__)
    esbuild_error = _esbuild_error(error)
    if esbuild_error is not None:
        # esbuild's own wording (Vite shows it as is); the source lines go to the frame.
        count = len(esbuild_error.errors)
        message = f"Transform failed with {count} error{'s' if count != 1 else ''}:\n" + "\n".join(
            f"{m.file}:{m.line}:{m.column}: ERROR: {m.text}" if m.file else f"ERROR: {m.text}"
            for m in esbuild_error.errors[:5])
    js_stack = getattr(error, "stack", None)
    stack = js_stack if isinstance(js_stack, str) else "".join(
        traceback.format_exception(type(error), error, error.__traceback__)
    )
    loc = _location(error)
    plugin = getattr(error, "plugin", None)
    module_id = getattr(error, "id", None)
    if module_id is None and loc is not None:
        module_id = loc["file"]
    frame = _strip(str(getattr(error, "frame", "") or ""))
    if not frame and esbuild_error is not None:
        frame = _esbuild_frame(esbuild_error)
    return {
        "message": message,
        "stack": _strip(stack),
        "id": module_id if isinstance(module_id, str) else None,
        "frame": frame,
        "plugin": plugin if isinstance(plugin, str) else None,
        "loc": loc,
    }


def _location(error: BaseException) -> ErrorLocation | None:
    loc = getattr(error, "loc", None)
    if loc is not None:
        return {
            "file": _field(loc, "file"),
            "line": _field(loc, "line"),
            "column": _field(loc, "column"),
        }
    if isinstance(error, EsbuildError) and error.errors:
        first = error.errors[0]
        return {"file": first.file, "line": first.line, "column": first.column}
    cause = error.__cause__
    if cause is not None and cause is not error and isinstance(cause, EsbuildError):
        return _location(cause)
    if getattr(error, "file", None) is not None:
        return {
            "file": str(_field(error, "file")),
            "line": _field(error, "line"),
            "column": _field(error, "column"),
        }
    return None


def _esbuild_error(error: BaseException) -> EsbuildError | None:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, EsbuildError) and current.errors:
            return current
        seen.add(id(current))
        current = current.__cause__
    return None


def _esbuild_frame(error: EsbuildError) -> str:
    """A code frame for esbuild's first error: lines around it from the file,
    or its ``line_text`` alone when the file no longer says that there (a
    plugin changed the code esbuild saw, or the file changed since)."""
    first = error.errors[0]
    if first.line is None:
        return ""
    column = first.column or 0
    if first.file:
        try:
            source = Path(first.file).read_text("utf-8")
        except (OSError, ValueError):
            source = None
        if source is not None:
            lines = source.splitlines()
            if first.line_text is None or (
                    0 < first.line <= len(lines) and lines[first.line - 1] == first.line_text):
                return generate_code_frame(source, first.line, column)
    if first.line_text is None:
        return ""
    return generate_code_frame(first.line_text, 1, column, first_line_number=first.line)


#: Lines shown before and after the error line in a code frame (Vite's ``range``).
FRAME_CONTEXT = 2


def generate_code_frame(
    source: str, line: int, column: int = 0, *, end_column: int | None = None,
    context: int = FRAME_CONTEXT, first_line_number: int = 1,
) -> str:
    """Lines around ``line`` of ``source`` with a caret under ``column``, in the
    layout of Vite's ``generateCodeFrame`` (which the overlay recognises)::

        1  |  export const a = 1
        2  |  const b: number = (
        3  |  export function f() {}
           |  ^

    :param line: 1-based, counted from ``first_line_number``.
    :param column: 0-based, as esbuild reports it.
    :param end_column: Underline up to here (one caret by default).
    """
    lines = source.splitlines() or [""]
    index = line - first_line_number
    if not 0 <= index < len(lines):
        return ""
    first, last = max(0, index - context), min(len(lines) - 1, index + context)
    width = max(3, len(str(last + first_line_number)) + 1)
    out: list[str] = []
    for i in range(first, last + 1):
        number = str(i + first_line_number)
        text = lines[i]
        if len(text) > _MAX_FRAME_LINE:
            text = text[:_MAX_FRAME_LINE] + "…"
        out.append(f"{number}{' ' * (width - len(number))}|  {text}")
        if i == index:
            pad = min(max(column, 0), len(lines[i]))
            length = max(1, (end_column - column) if end_column is not None else 1)
            out.append(f"{' ' * width}|  {' ' * min(pad, _MAX_FRAME_LINE)}{'^' * min(length, _MAX_FRAME_LINE)}")
    return "\n".join(out)


_MAX_FRAME_LINE = 200


def _field(loc: object, name: str) -> t.Any:
    return loc.get(name) if isinstance(loc, t.Mapping) else getattr(loc, name, None)


def _strip(text: str) -> str:
    return _ANSI_RE.sub("", text)


def error_response(server: DevServer, request: Request, error: BaseException) -> Response:
    """500 for an exception raised by a handler (Vite's errorMiddleware).

    A browser navigation gets an HTML page that opens the error overlay
    from ``/@vite/client`` (or shows the message if that fails); anything
    else gets JSON: ``{"type": "error", "err": <payload>}``, the shape of an
    HMR error message.
    """
    payload = prepare_error(error)
    # The page's error overlay: a module that fails to load gives the page no
    # message of its own (Vite's errorMiddleware does the same). A page that
    # is loading gets it when its client connects (the channel keeps it).
    channel = getattr(server, "hot", None)
    if channel is not None:
        channel.send({"type": "error", "err": payload})
        from ..hot_update import note_failed_request
        from .common import request_url

        note_failed_request(server, request_url(request), error)
    logger.error(
        "Internal server error: %s%s%s",
        payload["message"],
        f"\n  Plugin: {payload['plugin']}" if payload["plugin"] else "",
        f"\n  File: {payload['id']}" if payload["id"] else "",
        exc_info=error,
    )
    if accepts_html(request):
        client = join_url_segments(_dev_base(server), CLIENT_PUBLIC_PATH)
        body = _ERROR_PAGE.format(
            error=json.dumps(payload).replace("<", "\\u003c"),
            client=json.dumps(client).replace("<", "\\u003c"),
        )
        return current_app.response_class(
            body, status=500, content_type="text/html; charset=utf-8",
            headers={"Cache-Control": "no-store"},
        )
    return current_app.response_class(
        json.dumps({"type": "error", "err": payload}), status=500,
        content_type="application/json", headers={"Cache-Control": "no-store"},
    )


def _dev_base(server: DevServer) -> str:
    return dev_base_path(server.config.base)


_ERROR_PAGE = """<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <title>Error</title>
    <script type="module">
      const error = {error}
      try {{
        const {{ ErrorOverlay }} = await import({client})
        document.body.appendChild(new ErrorOverlay(error))
      }} catch {{
        const h = (tag, text) => {{
          const el = document.createElement(tag)
          el.textContent = text
          return el
        }}
        document.body.appendChild(h('h1', 'Internal Server Error'))
        document.body.appendChild(h('h2', error.message))
        document.body.appendChild(h('pre', error.stack))
        document.body.appendChild(h('p', '(Error overlay failed to load)'))
      }}
    </script>
  </head>
  <body></body>
</html>
"""
