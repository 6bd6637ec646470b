"""Step 2: accept only known ``Host`` names (DNS-rebinding protection)."""
from __future__ import annotations

import html
import ipaddress
import json
import typing as t

from flask import Request, Response, current_app

from .common import Handler

if t.TYPE_CHECKING:
    from ..dev_server import DevServer


def hostname_of(host_header: str) -> str | None:
    """The host name of a ``Host`` header, lower-cased, without the port
    (``[::1]`` keeps its brackets), or ``None`` if it is malformed."""
    host = host_header.strip().lower()
    if not host:
        return None
    if host.startswith("["):
        end = host.find("]")
        if end < 0 or (host[end + 1:] and not _is_port(host[end + 1:])):
            return None
        return host[:end + 1]
    name, _, port = host.partition(":")
    if port and not port.isdigit():
        return None
    return name or None


def _is_port(text: str) -> bool:
    return text.startswith(":") and text[1:].isdigit()


def is_host_allowed(hostname: str, allowed_hosts: t.Iterable[str]) -> bool:
    """Vite's rules: ``localhost``, ``*.localhost`` (RFC 6761: always
    loopback), any IP literal (a rebinding attack needs a *name*), and the
    configured names; an entry starting with ``.`` also allows subdomains."""
    if hostname.startswith("["):
        try:
            ipaddress.IPv6Address(hostname[1:-1])
        except ValueError:
            return False
        return True
    try:
        ipaddress.IPv4Address(hostname)
    except ValueError:
        pass
    else:
        return True
    if hostname == "localhost" or hostname.endswith(".localhost"):
        return True
    for entry in allowed_hosts:
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry.startswith("."):
            if hostname == entry[1:] or hostname.endswith(entry):
                return True
        elif hostname == entry:
            return True
    return False


def make_host_check(server: DevServer) -> Handler:
    """403 for a ``Host`` that is not allowed.

    A page on ``evil.example`` whose DNS name is re-pointed at 127.0.0.1
    could otherwise read the dev server's modules (source, env values) with
    the browser's same-origin blessing. Placed before anything that reads
    files (Vite: hostValidationMiddleware, before every internal middleware).
    """
    allowed = tuple(server.config.allowed_hosts)
    # Host headers seen and allowed (a page sends the same one with every
    # request); bounded, since the header is the client's to choose.
    passed: set[str] = set()

    def vite_host_check(request: Request) -> Response | None:
        header = request.environ.get("HTTP_HOST", "")
        if header in passed:
            return None
        hostname = hostname_of(header)
        if hostname is not None and is_host_allowed(hostname, allowed):
            if len(passed) < 64:
                passed.add(header)
            return None
        shown = json.dumps(hostname if hostname is not None else header.strip())
        message = (
            f"Blocked request. This host ({shown}) is not allowed.\n"
            f"To allow this host, add {shown} to VITE_ALLOWED_HOSTS in the Flask config.\n"
        )
        return current_app.response_class(
            html.escape(message, quote=False),
            status=403,
            content_type="text/plain; charset=utf-8",
            headers={"X-Content-Type-Options": "nosniff"},
        )

    return vite_host_check
