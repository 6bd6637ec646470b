"""Hand-made tarballs, packuments and a fake registry server for npm tests."""
from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
import threading
import typing as t
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def make_tarball(entries: t.Sequence[tuple[str, t.Any]], *, top: str = "package") -> bytes:
    """A .tgz from ``(name, content)`` pairs.

    ``content`` is ``bytes`` (a file, mode 0o644), ``(bytes, mode)``,
    ``("symlink", target)``, ``("hardlink", target)`` or ``"dir"``. Names are
    used verbatim (no ``top`` prefix added) when they start with ``!``.
    """
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, content in entries:
            name = name[1:] if name.startswith("!") else f"{top}/{name}"
            info = tarfile.TarInfo(name)
            if content == "dir":
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            elif isinstance(content, tuple) and content[0] in ("symlink", "hardlink"):
                info.type = tarfile.SYMTYPE if content[0] == "symlink" else tarfile.LNKTYPE
                info.linkname = content[1]
                tar.addfile(info)
            else:
                data, mode = content if isinstance(content, tuple) else (content, 0o644)
                info.size = len(data)
                info.mode = mode
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def sri(data: bytes, algorithm: str = "sha512") -> str:
    return f"{algorithm}-{base64.b64encode(hashlib.new(algorithm, data).digest()).decode()}"


def package_tarball(name: str, version: str, extra: dict[str, t.Any] | None = None,
                    files: t.Sequence[tuple[str, t.Any]] = ()) -> bytes:
    manifest = {"name": name, "version": version, **(extra or {})}
    return make_tarball([("package.json", json.dumps(manifest).encode()), *files])


class FakeRegistry:
    """An HTTP registry on 127.0.0.1 serving packuments and tarballs from dicts.

    ``fail_next[path] = n`` answers 503 n times; ``requests`` logs
    ``(path, headers)``; ``require_token`` demands ``Bearer <token>``.
    """

    def __init__(self) -> None:
        self.packuments: dict[str, dict[str, t.Any]] = {}
        self.files: dict[str, bytes] = {}
        self.fail_next: dict[str, int] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.require_token: str | None = None
        registry = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: t.Any) -> None:
                pass

            def do_GET(self) -> None:
                registry.requests.append((self.path, dict(self.headers)))
                if registry.fail_next.get(self.path, 0) > 0:
                    registry.fail_next[self.path] -= 1
                    return self._send(503, b"busy")
                if registry.require_token and self.headers.get("Authorization") != (
                        f"Bearer {registry.require_token}"):
                    return self._send(401, b"{}")
                if self.path in registry.files:
                    return self._send(200, registry.files[self.path], "application/octet-stream")
                name = self.path[1:].replace("%2f", "/").replace("%2F", "/")
                if name in registry.packuments:
                    return self._send(200, json.dumps(registry.packuments[name]).encode())
                self._send(404, b'{"error":"Not found"}')

            def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def publish(self, name: str, version: str, *, deps: dict[str, str] | None = None,
                tarball: bytes | None = None, time: str | None = None,
                tag: bool = True, **fields: t.Any) -> dict[str, t.Any]:
        """Add ``name@version``; returns its version document."""
        extra: dict[str, t.Any] = {}
        if deps:
            extra["dependencies"] = deps
        for key in ("peerDependencies", "optionalDependencies", "peerDependenciesMeta",
                    "bin", "os", "cpu"):
            if key in fields:
                extra[key] = fields[key]
        data = tarball if tarball is not None else package_tarball(name, version, extra)
        path = f"/{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz"
        self.files[path] = data
        doc = self.packuments.setdefault(name, {"name": name, "dist-tags": {}, "versions": {},
                                               "time": {}})
        vdoc = {"name": name, "version": version, **extra, **fields,
                "dist": {"tarball": self.url.rstrip("/") + path, "integrity": sri(data),
                         "shasum": hashlib.sha1(data).hexdigest()}}
        doc["versions"][version] = vdoc
        doc["time"][version] = time or "2020-01-01T00:00:00.000Z"
        if tag:
            doc["dist-tags"]["latest"] = version
        return vdoc

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
