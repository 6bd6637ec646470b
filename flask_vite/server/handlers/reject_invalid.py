"""Step 1: refuse request targets the other handlers must never see."""
from __future__ import annotations

import typing as t

from flask import Request, Response, current_app

from ..urls import decode_uri_component, split_file_and_postfix
from .common import Handler, logger, raw_request_target, request_url

if t.TYPE_CHECKING:
    from ..dev_server import DevServer


def make_reject_invalid_request(server: DevServer) -> Handler:
    """400 for a ``#`` in the raw request target, and for a path whose
    percent-encoding does not decode (a lone ``%``, bytes that are not
    UTF-8) or decodes to a NUL byte.

    HTTP forbids ``#`` in a request target (RFC 9112 §3.2) but servers pass
    it on, and the fs checks downstream must not have to reason about
    fragments (Vite's rejectInvalidRequestMiddleware). Only the *path* is
    checked for encodings: a Flask view may take free-form query strings.
    """

    def vite_reject_invalid_request(request: Request) -> Response | None:
        raw = raw_request_target(request.environ)
        if raw is not None and "#" in raw:
            return _bad_request("the request target contains '#'", raw)
        path, _ = split_file_and_postfix(request_url(request))
        try:
            decoded = decode_uri_component(path)
        except ValueError:
            return _bad_request("the path's percent-encoding is malformed", path)
        if "\0" in decoded:
            return _bad_request("the path contains a NUL byte", path)
        return None

    return vite_reject_invalid_request


def _bad_request(reason: str, target: str) -> Response:
    logger.info("400 %r: %s", target, reason)
    return current_app.response_class(status=400)
