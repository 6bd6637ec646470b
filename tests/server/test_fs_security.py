"""Path security: the path-safety function, the deny list, and hostile
requests against a real Flask app whose root holds secrets.

The hostile forms come from Vite's ``playground/fs-serve`` matrix and its
advisories (``?raw``/``?import&raw??``/``?.svg``/``.wasm?init`` query
tricks, ``%2e%2e%2f``, double encoding, ``/.`` suffixes, NTFS streams),
plus the classics (backslashes, NUL bytes, symlinks out of the root).
The module pipeline behind the chain is :class:`~tests.server.stubs.LeakyEnvironment`,
which would read any file it is asked for: every refusal below is the chain's.
"""
from __future__ import annotations

import os
import socket
import threading
import typing as t
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from flask_vite.config import ViteConfig
from flask_vite.server import fs

from .conftest import SECRET_MARK, AppFactory
from .stubs import StubServer


def stub_server(site: Path, **config: t.Any) -> StubServer:
    app = Flask(__name__, root_path=str(site.parent))
    app.config.update(VITE_ROOT="frontend", **config)
    return StubServer(ViteConfig.from_app(app))


# -- safe_join ---------------------------------------------------------------------
BASE = Path("/srv/root")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/src/main.ts", BASE / "src/main.ts"),
        ("src/main.ts", BASE / "src/main.ts"),
        ("//etc/passwd", BASE / "etc/passwd"),  # never absolute
        ("/a//b/./c", BASE / "a/b/c"),
        ("/", BASE),
        ("", BASE),
        ("/src/.env/.", BASE / "src/.env"),
        ("/..", None),
        ("/src/../.env", None),
        ("/src/../../etc/passwd", None),
        ("..", None),
        ("/a/b/..", None),
        ("/src\\..\\.env", None),
        ("/src/.env\0.png", None),
        ("/src/.env\n", None),
        ("/src/.env::$DATA", None),
        ("C:/Windows/win.ini", None),
        ("/src/..%2f.env", BASE / "src/..%2f.env"),  # a literal name, not a separator
        ("/src/%2e%2e", BASE / "src/%2e%2e"),
    ],
)
def test_safe_join(path: str, expected: Path | None) -> None:
    assert fs.safe_join(BASE, path) == expected


# -- the deny list -----------------------------------------------------------------
DEFAULT_DENY = (".env", ".env.*", "*.{crt,pem,key,p12,pfx,cer,der}", ".npmrc", "**/.git/**")
ROOTS = (Path("/srv/root"),)


@pytest.mark.parametrize(
    ("path", "denied_by"),
    [
        ("/srv/root/.env", ".env"),
        ("/srv/root/src/.env", ".env"),
        ("/srv/root/src/.ENV", ".env"),  # case-insensitive, as Vite (nocase)
        ("/srv/root/.env.local", ".env.*"),
        ("/srv/root/.env.production.local", ".env.*"),
        ("/srv/root/key.pem", "*.{crt,pem,key,p12,pfx,cer,der}"),
        ("/srv/root/certs/site.CRT", "*.{crt,pem,key,p12,pfx,cer,der}"),
        ("/srv/root/a.p12", "*.{crt,pem,key,p12,pfx,cer,der}"),
        ("/srv/root/.npmrc", ".npmrc"),
        ("/srv/root/.git/config", "**/.git/**"),
        ("/srv/root/.git", "**/.git/**"),
        ("/srv/root/pkg/.git/objects/ab/cd", "**/.git/**"),
        ("/srv/root/src/main.ts", None),
        ("/srv/root/.envrc", None),
        ("/srv/root/src/env.ts", None),
        ("/srv/root/key.pem.txt", None),
        ("/srv/root/.github/workflows/ci.yml", None),
        ("/srv/root/my.gitignore", None),
    ],
)
def test_default_deny_list(path: str, denied_by: str | None) -> None:
    assert fs.matches_deny(DEFAULT_DENY, Path(path), ROOTS) == denied_by


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        ("*.{a,b}", "x.a", True),
        ("*.{a,b}", "x.c", False),
        ("{x,y{1,2}}.js", "y2.js", True),
        ("{x,y{1,2}}.js", "y3.js", False),
        ("src/**/secret.*", "src/secret.txt", True),
        ("src/**/secret.*", "src/a/b/secret.txt", True),
        ("src/**/secret.*", "lib/secret.txt", False),
        ("src/*.ts", "src/a/b.ts", False),
        ("file?.txt", "file1.txt", True),
        ("file[0-9].txt", "file7.txt", True),
        ("file[!0-9].txt", "file7.txt", False),
        ("**", "anything/at/all", True),
        ("a/**", "a", True),
        ("a/**", "ab", False),
        ("*", ".hidden", True),  # dot: true
    ],
)
def test_compile_glob(pattern: str, text: str, matches: bool) -> None:
    assert bool(fs.compile_glob(pattern).fullmatch(text)) is matches


def test_slash_patterns_match_relative_to_each_allowed_root_and_absolute() -> None:
    roots = (Path("/srv/root"), Path("/srv/shared"))
    assert fs.matches_deny(["secrets/**"], Path("/srv/shared/secrets/x"), roots) == "secrets/**"
    assert fs.matches_deny(["/srv/other/**"], Path("/srv/other/x"), roots) == "/srv/other/**"
    assert fs.matches_deny(["secrets/**"], Path("/srv/root/src/secrets/x"), roots) is None


# -- access decisions on a real tree -----------------------------------------------------
@pytest.mark.parametrize(
    ("relative", "access"),
    [
        ("index.html", fs.Access.ALLOWED),
        ("src/main.ts", fs.Access.ALLOWED),
        ("src", fs.Access.ALLOWED),
        ("node_modules/.vite/deps/react.js", fs.Access.ALLOWED),
        ("src/missing.ts", fs.Access.MISSING),
        (".env", fs.Access.DENIED),
        ("src/.env", fs.Access.DENIED),
        (".git/config", fs.Access.DENIED),
        ("key.pem", fs.Access.DENIED),
        (".env.production", fs.Access.MISSING),  # denied but absent: may be a Flask view
        ("src/link.txt", fs.Access.DENIED),  # symlink out of the root
        ("linked/secret.txt", fs.Access.DENIED),  # through a symlinked folder
        ("src/alias.txt", fs.Access.DENIED),  # symlink to a denied file
        ("../outside/secret.txt", fs.Access.DENIED),
        ("../shared/lib.js", fs.Access.DENIED),  # not in VITE_FS_ALLOW here
    ],
)
def test_file_access(site: Path, relative: str, access: fs.Access) -> None:
    server = stub_server(site)
    assert fs.file_access(server, site / relative) is access  # type: ignore[arg-type]


def test_fs_allow_opens_a_folder_but_deny_still_wins(site: Path) -> None:
    server = stub_server(site, VITE_FS_ALLOW=["../shared"])
    shared = site.parent / "shared"
    assert fs.file_access(server, shared / "lib.js") is fs.Access.ALLOWED  # type: ignore[arg-type]
    assert fs.file_access(server, shared / ".env") is fs.Access.DENIED  # type: ignore[arg-type]


def test_custom_deny_list(site: Path) -> None:
    server = stub_server(site, VITE_FS_DENY=["src/*.txt"])
    assert fs.file_access(server, site / "src/safe.txt") is fs.Access.DENIED  # type: ignore[arg-type]
    assert fs.file_access(server, site / ".env") is fs.Access.ALLOWED  # type: ignore[arg-type]


def test_check_url_access(site: Path) -> None:
    server = t.cast(t.Any, stub_server(site))
    assert fs.check_url_access(server, "/src/main.ts") == (site / "src/main.ts").resolve()
    main = (site / "src/main.ts").resolve()
    assert fs.check_url_access(server, "/src/main.ts?import&t=1700000000000") == main
    assert fs.check_url_access(server, "/src/missing.ts") is None
    assert fs.check_url_access(server, "/src/") is None
    assert fs.check_url_access(server, "/@id/__x00__virtual:x") is None
    assert fs.check_url_access(server, "\0virtual:x") is None
    assert fs.check_url_access(server, "react") is None
    # An existing *folder* outside the root: may be a Flask view.
    assert fs.check_url_access(server, "/home") is None
    for url in (
        "/.env", "/src/.env?raw", "/src/?/../../.env?raw", "/@fs" + str(site / ".env"),
        "/@id/../outside/secret.txt", "/@id/" + str(site / "key.pem"), str(site / ".env"),
        "/src/alias.txt?url",
    ):
        with pytest.raises(fs.FsDeniedError) as info:
            fs.check_url_access(server, url)
        assert info.value.code == fs.FS_DENIED
        assert "VITE_FS" in info.value.reason


def test_check_file_access_names_the_setting_at_fault(site: Path) -> None:
    server = t.cast(t.Any, stub_server(site))
    fs.check_file_access(server, site / "src/main.ts")
    fs.check_file_access(server, site / "src/missing.ts")
    with pytest.raises(fs.FsDeniedError, match=r"VITE_FS_DENY pattern '\.env'"):
        fs.check_file_access(server, site / ".env", "/.env")
    with pytest.raises(fs.FsDeniedError, match=r"outside the folders .* VITE_FS_ALLOW.*symlink"):
        fs.check_file_access(server, site / "src/link.txt")


# -- hostile requests through the Flask app -------------------------------------------------
OK = {403, 404}
DENIED = {403}

#: (request target, extra headers, statuses allowed). ``{root}``, ``{outside}``
#: and ``{shared}`` are replaced by absolute paths (without a leading slash).
HOSTILE: list[tuple[str, dict[str, str], set[int]]] = [
    ("/.env", {}, DENIED),
    ("/src/.env", {}, DENIED),
    ("/.env.local", {}, DENIED),
    ("/key.pem", {}, DENIED),
    ("/src/dummy.crt", {}, DENIED),
    ("/.npmrc", {}, DENIED),
    ("/.git/config", {}, DENIED),
    ("/public/.env", {}, DENIED),
    ("/src/.EnV", {}, OK),  # 403 on case-insensitive file systems, 404 elsewhere
    ("/src/.env?raw", {}, DENIED),
    ("/src/.env?url", {}, DENIED),
    ("/src/.env?inline", {}, DENIED),
    ("/src/.env?import", {}, DENIED),
    ("/src/.env?import&raw", {}, DENIED),
    ("/src/.env?import&raw??", {}, DENIED),
    ("/src/.env?import&raw?&", {}, DENIED),
    ("/src/.env?raw?import", {}, DENIED),
    ("/src/.env?.svg?import", {}, DENIED),
    ("/src/.env?.svg?.wasm?init", {}, DENIED),
    ("/src/.env?import&?inline=1.wasm?init", {}, DENIED),
    ("/src/.env?t=1700000000000", {}, DENIED),
    ("/.git/config?raw", {}, DENIED),
    ("/key.pem?import&url", {}, DENIED),
    ("/key.pem", {"Sec-Fetch-Dest": "script"}, DENIED),
    ("/key.pem", {"Accept": "text/html"}, DENIED),
    ("/src/?/../../.env?import&raw", {}, DENIED),
    ("/src/main.ts?/../../.env?raw", {}, DENIED),
    ("/src/%2e%2e/.env", {}, DENIED),
    ("/%2Eenv", {}, DENIED),
    ("/%2e%65%6e%76?raw", {}, DENIED),
    ("/src/%2e%2e%2f.env", {}, OK),
    ("/src/%252e%252e%252f.env", {}, OK),
    ("/src/%252e%252e/.env", {}, OK),
    ("/%2e%2e/outside/secret.txt", {}, OK),
    ("/src/.env/.", {}, DENIED),
    ("/src/.env/", {}, OK),
    ("/src//.env", {}, DENIED),
    ("/./.env", {}, DENIED),
    ("/index.html/../.env", {}, DENIED),
    ("/node_modules/.vite/../../.env", {}, DENIED),
    ("/src/main.ts/..%2f..%2f.env", {}, OK),
    ("/src%5c..%5c.env", {}, OK),
    ("/src/.env%00", {}, {400}),
    ("/src/.env%00.png", {}, {400}),
    ("/src/.env::$DATA", {}, OK),
    ("/.env.", {}, OK),
    ("/src/link.txt", {}, DENIED),
    ("/src/link.txt?raw", {}, DENIED),
    ("/linked/secret.txt", {}, DENIED),
    ("/linked/secret.txt?import&raw", {}, DENIED),
    ("/src/alias.txt", {}, DENIED),
    ("/src/alias.txt?raw", {}, DENIED),
    ("/@fs/{outside}/secret.txt", {}, DENIED),
    ("/@fs/{outside}/secret.txt?import&raw", {}, DENIED),
    ("/@fs/{root}/.env", {}, DENIED),
    ("/@fs/{root}/key.pem?raw", {}, DENIED),
    ("/@fs/{root}/src/%2e%2e/.env", {}, DENIED),
    ("/@fs/{root}/src/link.txt", {}, DENIED),
    ("/@fs/{shared}/.env", {}, DENIED),  # VITE_FS_ALLOW does not beat VITE_FS_DENY
    ("/@fs/{shared}/.env?raw", {}, DENIED),
    ("/@fs//{outside}/secret.txt", {}, DENIED),
    ("/@id//{root}/.env", {}, DENIED),
    ("/@id/../outside/secret.txt", {}, OK),  # not a module request: nothing serves /@id/
    ("/@id/../outside/secret.txt?import", {}, DENIED),
    ("/@id/./.env", {}, DENIED),
    ("/{root}/.env", {}, DENIED),  # an absolute path as a root URL
    ("//{outside}/secret.txt", {}, OK),
]


def _fill(target: str, site: Path) -> str:
    return target.format(
        root=str(site).lstrip("/"),
        outside=str(site.parent / "outside").lstrip("/"),
        shared=str(site.parent / "shared").lstrip("/"),
    )


def test_hostile_table_is_large_enough() -> None:
    assert len(HOSTILE) >= 30


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize(("target", "headers", "statuses"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_request_never_gets_the_secret(
    make_app: AppFactory, site: Path, method: str, target: str, headers: dict[str, str],
    statuses: set[int],
) -> None:
    app, _ = make_app(VITE_FS_ALLOW=["../shared"])
    url = _fill(target, site)
    # The request target goes to the app exactly as written (no client-side
    # normalisation), as a raw-socket client would send it.
    response = app.test_client().open(
        url, method=method, headers=headers,
        environ_overrides={"REQUEST_URI": url, "RAW_URI": url, "HTTP_HOST": "localhost"},
    )
    assert response.status_code in statuses, (url, response.status_code, response.data[:300])
    assert SECRET_MARK not in response.data
    if response.status_code == 403 and method == "GET":
        assert b"403 Restricted" in response.data
        assert response.content_type.startswith("text/html")


@pytest.mark.parametrize("target", ["/.env", "/src/.env?raw", "/@fs/{root}/.env", "/key.pem"])
def test_denied_with_a_base(make_app: AppFactory, site: Path, target: str) -> None:
    app, _ = make_app(VITE_BASE="/app/")
    response = app.test_client().get("/app" + _fill(target, site))
    assert response.status_code == 403
    assert SECRET_MARK not in response.data


@pytest.mark.parametrize("target", ["/.env", "/src/.env?raw", "/key.pem", "/src/link.txt"])
def test_denied_without_a_pipeline(make_app: AppFactory, target: str) -> None:
    """Before the lead's environment exists, the file steps still refuse."""
    app, _ = make_app(with_environment=False)
    response = app.test_client().get(target)
    assert response.status_code in DENIED | {404}
    assert SECRET_MARK not in response.data


def test_allowed_files_are_served(make_app: AppFactory, site: Path) -> None:
    app, _ = make_app(VITE_FS_ALLOW=["../shared"])
    client = app.test_client()
    assert client.get("/src/safe.txt").data == b"KEY=safe\n"
    assert client.get("/src/safe.txt?raw").status_code == 200
    assert client.get(_fill("/@fs/{shared}/lib.js", site)).status_code == 200
    assert client.get("/robots.txt").data == b"User-agent: *\n"


# -- through a real server, raw bytes on a socket --------------------------------------------
@pytest.fixture
def live_server(make_app: AppFactory) -> t.Iterator[int]:
    app, _ = make_app()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


def raw_request(port: int, request_line: str, host: str = "localhost") -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        head = f"{request_line}\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        sock.sendall(head.encode("latin-1"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data


@pytest.mark.parametrize(
    ("request_line", "statuses"),
    [
        ("GET /src/safe.txt#frag HTTP/1.1", {400}),
        ("GET /src/.env#x HTTP/1.1", {400}),
        ("GET /../.env HTTP/1.1", DENIED),
        ("GET /src/../.env HTTP/1.1", DENIED),
        ("GET /src/%2e%2e/.env HTTP/1.1", DENIED),
        ("GET http://localhost/.env HTTP/1.1", DENIED),
        ("GET /src/?/../../.env?import&raw HTTP/1.1", DENIED),
        ("GET /src/safe.txt HTTP/1.1", {200}),
    ],
)
def test_raw_socket_requests(live_server: int, request_line: str, statuses: set[int]) -> None:
    status, data = raw_request(live_server, request_line)
    assert status in statuses, data[:300]
    assert SECRET_MARK not in data


def test_raw_socket_foreign_host_is_blocked(live_server: int) -> None:
    status, data = raw_request(live_server, "GET /src/main.ts HTTP/1.1", host="evil.example:5000")
    assert status == 403
    assert b'Blocked request. This host ("evil.example") is not allowed.' in data


def test_secrets_exist_so_the_table_means_something(site: Path) -> None:
    for secret in (".env", "src/.env", "key.pem", ".git/config", "src/link.txt", "src/alias.txt"):
        assert SECRET_MARK in (site / secret).read_bytes(), secret
    assert os.path.islink(site / "src/link.txt")


# -- the same table through the real pipeline ---------------------------------------------------
@pytest.fixture
def real_app(site: Path) -> t.Iterator[Flask]:
    """The app as users get it: ``FlaskVite`` with ``VITE_DEV`` on, so the
    lead's ``DevServer`` and its client environment sit behind the chain."""
    from flask_vite import FlaskVite

    from .conftest import ClosingClient

    app = Flask(__name__, root_path=str(site.parent))
    app.config.update(
        TESTING=True, VITE_ROOT="frontend", VITE_DEV=True, VITE_FS_ALLOW=["../shared"]
    )
    app.test_client_class = ClosingClient
    FlaskVite(app)
    yield app
    app.extensions["vite"].close()


@pytest.mark.parametrize(("target", "headers", "statuses"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_request_through_the_real_pipeline(
    real_app: Flask, site: Path, target: str, headers: dict[str, str], statuses: set[int]
) -> None:
    url = _fill(target, site)
    response = real_app.test_client().open(
        url, headers=headers,
        environ_overrides={"REQUEST_URI": url, "RAW_URI": url, "HTTP_HOST": "localhost"},
    )
    assert response.status_code in statuses, (url, response.status_code, response.data[:300])
    assert SECRET_MARK not in response.data
