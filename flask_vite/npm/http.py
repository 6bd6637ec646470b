"""A small keep-alive HTTP client on top of :mod:`http.client`.

:func:`urllib.request.urlopen` opens a new TCP + TLS connection per request;
an install makes hundreds of requests to one or two hosts, so reusing
connections (one per host per thread) roughly halves a cold install. Only GET
is needed. Works unchanged under gevent's monkey-patching.
"""
from __future__ import annotations

import gzip
import http.client
import os
import ssl
import threading
import typing as t
import weakref
import zlib
from urllib.parse import urlsplit


class Response(t.NamedTuple):
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes


class HttpClient:
    """GET with per-thread persistent connections, transparent gzip and proxies.

    :param timeout: socket timeout in seconds for connect and each read.
    :param https_proxy: ``http://host:port`` used as a CONNECT tunnel for
        HTTPS URLs; defaults to the ``HTTPS_PROXY`` environment variable.
    """

    def __init__(self, *, timeout: float = 30.0, https_proxy: str | None = None,
                 proxy: str | None = None) -> None:
        self.timeout = timeout
        self.https_proxy = https_proxy or os.environ.get("HTTPS_PROXY") or os.environ.get("https_proxy")
        self.proxy = proxy or os.environ.get("HTTP_PROXY") or os.environ.get("http_proxy")
        self._local = threading.local()
        self._ssl_context = ssl.create_default_context()
        # Every open connection, whichever thread made it, so close() -- or
        # garbage collection of the client -- closes them all explicitly
        # (an unclosed socket is a ResourceWarning, an error under pytest).
        self._open: set[http.client.HTTPConnection] = set()
        self._open_lock = threading.Lock()
        weakref.finalize(self, _close_all, self._open, self._open_lock)

    def _connections(self) -> dict[tuple[str, str], http.client.HTTPConnection]:
        conns: dict[tuple[str, str], http.client.HTTPConnection] | None = getattr(
            self._local, "conns", None)
        if conns is None:
            conns = self._local.conns = {}
        return conns

    def _connect(self, scheme: str, netloc: str) -> http.client.HTTPConnection:
        proxy = self.https_proxy if scheme == "https" else self.proxy
        if proxy and _bypass_proxy(netloc):
            proxy = None
        if proxy:
            p = urlsplit(proxy if "://" in proxy else "http://" + proxy)
            if scheme == "https":
                conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                    p.hostname or "", p.port or 80, timeout=self.timeout,
                    context=self._ssl_context)
                conn.set_tunnel(netloc)
                return conn
            return http.client.HTTPConnection(p.hostname or "", p.port or 80, timeout=self.timeout)
        if scheme == "https":
            return http.client.HTTPSConnection(netloc, timeout=self.timeout,
                                               context=self._ssl_context)
        return http.client.HTTPConnection(netloc, timeout=self.timeout)

    def get(self, url: str, headers: t.Mapping[str, str] | None = None) -> Response:
        """One GET; raises :class:`OSError` / :class:`http.client.HTTPException`
        on network failure (the caller decides about retries)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise OSError(f"unsupported URL scheme in {url!r}")
        key = (parts.scheme, parts.netloc)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if self.proxy and parts.scheme == "http" and not _bypass_proxy(parts.netloc):
            target = url  # plain-HTTP proxies want the absolute URI
        all_headers = {"Accept-Encoding": "gzip", **(headers or {})}
        conns = self._connections()
        while True:
            conn = conns.get(key)
            if conn is not None and conn not in self._open:
                conn = None  # closed by close() from another thread
            reused = conn is not None
            if conn is None:
                conn = conns[key] = self._connect(*key)
                with self._open_lock:
                    self._open.add(conn)
            try:
                conn.request("GET", target, headers=all_headers)
                resp = conn.getresponse()
                body = resp.read()
            except (http.client.HTTPException, OSError):
                self._discard(key, conn)
                # A kept-alive socket may have been closed by the server while
                # idle; that is not a network failure, so retry once at once.
                if reused:
                    continue
                raise
            break
        if resp.will_close:
            self._discard(key, conn)
        resp_headers = {k.lower(): v for k, v in resp.getheaders()}
        encoding = resp_headers.get("content-encoding", "").lower()
        try:
            if encoding == "gzip":
                body = gzip.decompress(body)
            elif encoding == "deflate":
                body = zlib.decompress(body)
        except (OSError, zlib.error, EOFError) as e:
            raise http.client.HTTPException(f"bad {encoding} body from {url}: {e}") from e
        return Response(resp.status, resp_headers, body)

    def _discard(self, key: tuple[str, str], conn: http.client.HTTPConnection) -> None:
        conn.close()
        self._connections().pop(key, None)
        with self._open_lock:
            self._open.discard(conn)

    def close(self) -> None:
        """Close every connection (from any thread). The client stays usable."""
        self._connections().clear()
        _close_all(self._open, self._open_lock)


def _close_all(conns: set[http.client.HTTPConnection], lock: threading.Lock) -> None:
    with lock:
        for conn in conns:
            conn.close()
        conns.clear()


def _bypass_proxy(netloc: str) -> bool:
    no_proxy = os.environ.get("NO_PROXY") or os.environ.get("no_proxy") or ""
    host = netloc.rsplit(":", 1)[0] if not netloc.endswith("]") else netloc
    for entry in (e.strip() for e in no_proxy.split(",")):
        if entry == "*" or (entry and (host == entry.lstrip(".") or host.endswith("." + entry.lstrip(".")))):
            return True
    return False
