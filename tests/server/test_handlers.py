"""Each dev-server handler, through a real Flask app and test client.

The module pipeline behind the transform steps is a STAND-IN
(:class:`~tests.server.stubs.LeakyEnvironment`); the tests of the transform
step that depend on what it returns are marked ``stand-in`` in their names'
docstrings and will be replaced by real-pipeline tests.
"""
from __future__ import annotations

import json
import logging
import typing as t
from pathlib import Path

import pytest
from flask import Flask, abort

from flask_vite.errors import EsbuildError, EsbuildMessage, ViteError
from flask_vite.server.chain import build_handlers, register_dev_handlers
from flask_vite.server.handlers.common import initial_url
from flask_vite.server.handlers.cors import DEFAULT_ALLOWED_ORIGINS
from flask_vite.server.handlers.error import prepare_error
from flask_vite.server.handlers.host_check import hostname_of, is_host_allowed
from flask_vite.server.transform_result import TransformResult

from .conftest import AppFactory, AppServer
from .stubs import LeakyEnvironment, StubNode, StubServer

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def env(server: StubServer) -> LeakyEnvironment:
    return t.cast(LeakyEnvironment, server.environments["client"])


# -- the chain ---------------------------------------------------------------------------
def test_handler_order_and_names(make_app: AppFactory) -> None:
    _, server = make_app()
    names = [h.__name__ for h in build_handlers(server)]  # type: ignore[arg-type]
    assert names == [
        "vite_reject_invalid_request",
        "vite_host_check",
        "vite_cors",
        "vite_cached_transform",
        "vite_serve_public",
        "vite_transform",
        "vite_serve_raw_fs",
        "vite_serve_static",
        "vite_html_fallback",
        "vite_index_html",
    ]


def test_steps_that_do_not_apply_are_left_out(make_app: AppFactory) -> None:
    _, server = make_app(VITE_BASE="/app/", VITE_PUBLIC_DIR=None, VITE_APP_TYPE="custom")
    names = [h.__name__ for h in build_handlers(server)]  # type: ignore[arg-type]
    assert "vite_base" in names
    assert names.index("vite_base") == names.index("vite_cached_transform") + 1
    assert "vite_serve_public" not in names
    assert "vite_html_fallback" not in names and "vite_index_html" not in names


def test_registering_twice_is_refused(make_app: AppFactory) -> None:
    app, server = make_app()
    with pytest.raises(RuntimeError, match="already registered"):
        register_dev_handlers(app, server)  # type: ignore[arg-type]


def test_chain_runs_before_the_apps_own_hooks(site: Path) -> None:
    from flask_vite.config import ViteConfig

    app = Flask(__name__, root_path=str(site.parent))
    app.config.update(VITE_ROOT="frontend")

    @app.before_request
    def login_required() -> None:
        abort(401)

    register_dev_handlers(app, StubServer(ViteConfig.from_app(app)))  # type: ignore[arg-type]
    client = app.test_client()
    response = client.get("/src/main.ts")
    assert response.status_code == 200
    response = client.get("/.env")
    assert response.status_code == 403
    assert client.get("/api").status_code == 401  # the app's hook still runs for its views


def test_unanswered_requests_reach_flask_views(client: t.Any) -> None:
    assert client.get("/api/hello").get_json() == {"hello": "world"}
    # /home is a folder on most systems: a module lookup must not refuse it.
    assert client.get("/home", headers=HTML).data == b"flask home"
    assert client.get("/nothing/here").status_code == 404


def test_vite_debug_logs_each_request_path_through_the_chain(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = make_app(VITE_DEBUG=True)
    with caplog.at_level(logging.DEBUG, logger="flask_vite.server"):
        app.test_client().get("/src/main.ts")
        app.test_client().get("/api/hello")
    lines = [r.getMessage() for r in caplog.records if r.name == "flask_vite.server"]
    transform = next(line for line in lines if line.startswith("GET /src/main.ts"))
    assert "vite_reject_invalid_request" in transform and "vite_transform 200" in transform
    assert "ms" in transform
    flask_line = next(line for line in lines if line.startswith("GET /api/hello"))
    assert flask_line.rstrip().split(" -> ")[-1].startswith("(Flask routing)")


def test_no_debug_log_without_vite_debug(client: t.Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="flask_vite.server"):
        client.get("/src/main.ts")
    assert not [r for r in caplog.records if "vite_transform" in r.getMessage()]


@pytest.mark.parametrize(
    ("environ", "url"),
    [
        ({"REQUEST_URI": "/a%20b?x=1", "PATH_INFO": "/a b", "QUERY_STRING": "x=1"}, "/a%20b?x=1"),
        ({"RAW_URI": "/a#frag", "PATH_INFO": "/a"}, "/a"),
        ({"REQUEST_URI": "http://localhost:5000/x?y", "PATH_INFO": "/x"}, "/x?y"),
        (
            {"REQUEST_URI": "/mnt/app/src/a.ts", "SCRIPT_NAME": "/mnt/app",
             "PATH_INFO": "/src/a.ts"},
            "/src/a.ts",
        ),
        ({"PATH_INFO": "/src/%2e%2e/a?b", "QUERY_STRING": "q=1"}, "/src/%252e%252e/a%3Fb?q=1"),
        ({"PATH_INFO": "/caf\xc3\xa9"}, "/caf%C3%A9"),  # WSGI latin-1 strings
        ({"REQUEST_URI": "/caf\xc3\xa9"}, "/caf%C3%A9"),
    ],
)
def test_initial_url_is_the_raw_request_target(environ: dict[str, str], url: str) -> None:
    assert initial_url(environ) == url


# -- 1. reject invalid requests ------------------------------------------------------------
@pytest.mark.parametrize(
    ("target", "status"),
    [
        ("/src/main.ts#x", 400),
        ("/api/hello#", 400),
        ("/%zz", 400),
        ("/src/%", 400),
        ("/src/%ff.ts", 400),
        ("/src/main.ts%00", 400),
        ("/api/hello?q=100%", 200),  # the query belongs to the view
        ("/api/hello?q=%00", 200),
    ],
)
def test_reject_invalid_request(client: t.Any, target: str, status: int) -> None:
    response = client.get(target, environ_overrides={"REQUEST_URI": target})
    assert response.status_code == status
    if status == 400:
        assert response.data == b""


# -- 2. host check ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("localhost", True),
        ("localhost:5000", True),
        ("LocalHost:5000", True),
        ("app.localhost", True),
        ("a.b.localhost:3000", True),
        ("127.0.0.1", True),
        ("127.0.0.1:8080", True),
        ("192.168.1.20:5000", True),
        ("[::1]", True),
        ("[::1]:5173", True),
        ("[2001:db8::1]:80", True),
        ("example.com", True),  # VITE_ALLOWED_HOSTS entry
        ("EXAMPLE.com:443", True),
        ("dev.corp.test", True),  # ".corp.test" allows the name itself...
        ("corp.test", True),
        ("a.dev.corp.test", True),  # ...and every subdomain
        ("evil.com", False),
        ("localhost.evil.com", False),
        ("evillocalhost", False),
        ("sub.example.com", False),  # "example.com" has no leading dot
        ("example.com.evil", False),
        ("notcorp.test", False),
        ("127.1", False),  # not a dotted quad: a name
        ("[::1", False),
        ("[zz::1]", False),
        ("[::1]x", False),
        ("localhost:abc", False),
        ("", False),
        (":5000", False),
    ],
)
def test_host_check(make_app: AppFactory, host: str, allowed: bool) -> None:
    app, _ = make_app(VITE_ALLOWED_HOSTS=["example.com", ".corp.test"])
    response = app.test_client().get("/src/main.ts", environ_overrides={"HTTP_HOST": host})
    assert (response.status_code != 403) is allowed, response.data
    if not allowed:
        assert response.data.startswith(b"Blocked request. This host (")
        assert b"is not allowed." in response.data
        assert b"VITE_ALLOWED_HOSTS" in response.data


def test_host_check_covers_the_apps_views_and_escapes_the_host(client: t.Any) -> None:
    response = client.get("/api/hello", environ_overrides={"HTTP_HOST": "<script>x</script>.evil"})
    assert response.status_code == 403
    assert b"<script>" not in response.data
    assert b"&lt;script&gt;" in response.data
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_hostname_parsing() -> None:
    assert hostname_of(" Example.COM:80 ") == "example.com"
    assert hostname_of("[::1]:5173") == "[::1]"
    assert hostname_of("a:b:c") is None
    assert is_host_allowed("x.example", [".example"])
    assert not is_host_allowed("x.example", ["", "  "])


# -- 3. CORS ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://localhost", True),
        ("http://localhost:3000", True),
        ("https://localhost:3000", True),
        ("http://foo.localhost", True),
        ("http://127.0.0.1", True),
        ("http://127.0.0.1:8080", True),
        ("http://[::1]", True),
        ("http://[::1]:3000", True),
        ("file:///foo", False),
        ("http://localhost.example.com", False),
        ("http://foo.example.com:localhost", False),
        ("http://", False),
        ("http://192.0.2", False),
        ("http://[2001:db8::1]", False),
        ("http://vite", False),
        ("http://vite:3000", False),
        ("null", False),
    ],
)
def test_default_cors_allows_localhost_origins_only(
    client: t.Any, origin: str, allowed: bool
) -> None:
    assert bool(DEFAULT_ALLOWED_ORIGINS.match(origin)) is allowed  # Vite's own table
    response = client.get("/src/main.ts", headers={"Origin": origin})
    assert response.status_code == 200
    assert response.headers.get("Access-Control-Allow-Origin") == (origin if allowed else None)
    assert "Origin" in response.headers.get("Vary", "")


@pytest.mark.parametrize(
    ("cors", "origin", "expected", "vary"),
    [
        (True, "http://evil.example", "*", False),
        (True, "http://localhost:3000", "*", False),
        (False, "http://localhost:3000", None, False),
        (["https://app.example"], "https://app.example", "https://app.example", True),
        (["https://app.example"], "http://localhost:3000", None, True),
        ("https://a.example, https://b.example", "https://b.example", "https://b.example", True),
    ],
)
def test_cors_settings(
    make_app: AppFactory, cors: t.Any, origin: str, expected: str | None, vary: bool
) -> None:
    app, _ = make_app(VITE_CORS=cors)
    response = app.test_client().get("/src/main.ts", headers={"Origin": origin})
    assert response.headers.get("Access-Control-Allow-Origin") == expected
    assert ("Origin" in response.headers.get("Vary", "")) is vary


def test_cors_preflight(client: t.Any) -> None:
    response = client.options("/src/main.ts", headers={
        "Origin": "http://localhost:3000",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "x-custom, content-type",
    })
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert response.headers["Access-Control-Allow-Methods"] == "GET,HEAD,PUT,PATCH,POST,DELETE"
    assert response.headers["Access-Control-Allow-Headers"] == "x-custom, content-type"
    assert "Access-Control-Request-Headers" in response.headers["Vary"]


def test_cors_preflight_from_a_foreign_origin_is_left_to_flask(client: t.Any) -> None:
    response = client.options("/api/hello", headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "GET",
    })
    assert response.status_code == 200  # Flask's automatic OPTIONS
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_headers_go_on_dev_answers_not_on_the_apps_views(client: t.Any) -> None:
    origin = {"Origin": "http://localhost:3000"}
    assert client.get("/.env", headers=origin).headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert client.get("/src/logo.png", headers=origin).headers["Access-Control-Allow-Origin"]
    assert "Access-Control-Allow-Origin" not in client.get("/api/hello", headers=origin).headers


# -- 4. cached transform (304) -----------------------------------------------------------------
def test_304_from_the_module_graph_without_transforming(app_and_server: AppServer) -> None:
    app, server = app_and_server
    client = app.test_client()
    first = client.get("/src/main.ts")
    etag = first.headers["ETag"]
    assert first.status_code == 200 and etag.startswith('W/"')
    assert first.headers["Cache-Control"] == "no-cache"
    calls = len(env(server).requests)
    again = client.get("/src/main.ts", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["ETag"] == etag
    assert len(env(server).requests) == calls  # answered before the pipeline
    imported = client.get("/src/main.ts?import&t=1700000000000", headers={"If-None-Match": etag})
    assert imported.status_code == 304
    assert len(env(server).requests) == calls


def test_no_304_for_another_etag_url_or_a_navigation(app_and_server: AppServer) -> None:
    app, server = app_and_server
    client = app.test_client()
    etag = client.get("/src/main.ts").headers["ETag"]
    assert client.get("/src/main.ts", headers={"If-None-Match": 'W/"nope"'}).status_code == 200
    # The etag of main.ts does not answer for another URL.
    graph = env(server).module_graph
    graph.by_url["/src/other.ts"] = graph.by_url.pop("/src/main.ts")
    graph.by_url["/src/other.ts"].url = "/src/other.ts"
    calls = len(env(server).requests)
    assert client.get("/src/main.ts", headers={"If-None-Match": etag}).status_code in (200, 304)
    assert len(env(server).requests) == calls + 1  # went to the transform step
    nav = client.get("/src/main.ts", headers={"If-None-Match": etag, "Sec-Fetch-Dest": "document"})
    assert nav.status_code == 200
    assert "Sec-Fetch-Dest" in nav.headers["Vary"]
    assert b"/* transformed */" not in nav.data  # a navigation gets the file as it is


def test_no_early_304_for_a_request_older_than_the_last_hot_update(
    app_and_server: AppServer,
) -> None:
    app, server = app_and_server
    client = app.test_client()
    etag = client.get("/src/main.ts").headers["ETag"]
    env(server).module_graph.by_url["/src/main.ts"].last_hmr_timestamp = 1_800_000_000_000
    calls = len(env(server).requests)
    client.get("/src/main.ts?t=1700000000000", headers={"If-None-Match": etag})
    assert len(env(server).requests) == calls + 1


def test_css_etags_are_checked_per_url_in_the_transform_step(
    app_and_server: AppServer,
) -> None:
    app, server = app_and_server
    client = app.test_client()
    imported = client.get("/src/style.css?import")
    assert imported.status_code == 200
    assert imported.content_type.startswith("text/javascript")
    calls = len(env(server).requests)
    again = client.get("/src/style.css?import", headers={"If-None-Match": imported.headers["ETag"]})
    assert again.status_code == 304
    assert len(env(server).requests) == calls
    # A <link> asks for text/css: another URL (?direct), another body.
    linked = client.get("/src/style.css", headers={"Accept": "text/css,*/*;q=0.1",
                                                   "If-None-Match": imported.headers["ETag"]})
    assert linked.status_code == 200
    assert linked.content_type.startswith("text/css")
    assert linked.data == b"body { color: red }\n"
    assert env(server).requests[-1] == "/src/style.css?direct"


# -- 5. base ----------------------------------------------------------------------------------
def test_base_is_stripped_for_the_later_steps(make_app: AppFactory) -> None:
    app, server = make_app(VITE_BASE="/app/")
    client = app.test_client()
    assert client.get("/app/src/main.ts").status_code == 200
    assert env(server).requests[-1] == "/src/main.ts"
    assert client.get("/app/src/logo.png").status_code == 200
    assert client.get("/app/robots.txt").data == b"User-agent: *\n"
    page = client.get("/app/", headers=HTML)
    assert page.status_code == 200 and b"/@vite/client" in page.data
    assert client.get("/app", headers=HTML).status_code == 200


@pytest.mark.parametrize(
    ("target", "location"),
    [("/", "/app/"), ("/?x=1", "/app/?x=1"), ("/index.html", "/app/")],
)
def test_base_redirects_the_root(make_app: AppFactory, target: str, location: str) -> None:
    app, _ = make_app(VITE_BASE="/app/")
    response = app.test_client().get(target, environ_overrides={"REQUEST_URI": target})
    assert response.status_code == 302
    assert response.headers["Location"] == location


def test_base_redirect_yields_to_a_flask_view(make_app: AppFactory) -> None:
    app, _ = make_app(VITE_BASE="/app/")
    app.add_url_rule("/", "index", lambda: "flask index")
    assert app.test_client().get("/").data == b"flask index"


def test_full_url_base_serves_at_its_path(make_app: AppFactory) -> None:
    app, _ = make_app(VITE_BASE="https://cdn.example/assets/")
    assert app.test_client().get("/assets/src/logo.png").status_code == 200


# -- 6. public dir ------------------------------------------------------------------------------
def test_public_files_are_served_verbatim(app_and_server: AppServer, site: Path) -> None:
    app, server = app_and_server
    client = app.test_client()
    (site / "robots.txt").write_text("root copy")  # the public file wins
    response = client.get("/robots.txt")
    assert response.data == b"User-agent: *\n"
    sw = client.get("/sw.ts")
    assert sw.status_code == 200
    assert sw.content_type.startswith("text/javascript")  # not video/mp2t
    assert sw.data == (site / "public" / "sw.ts").read_bytes()
    assert not env(server).requests  # never transformed
    assert "ETag" in sw.headers


def test_public_files_are_not_served_for_imports(app_and_server: AppServer) -> None:
    app, server = app_and_server
    client = app.test_client()
    assert client.get("/sw.ts?import").status_code == 404
    assert env(server).requests == ["/sw.ts"]
    client.get("/robots.txt?url")
    assert env(server).requests[-1] == "/robots.txt?url"


def test_public_path_prefix_is_not_the_public_url(
    app_and_server: AppServer, caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = app_and_server
    with caplog.at_level(logging.WARNING, logger="flask_vite.server"):
        app.test_client().get("/public/sw.ts")
    assert any("served at the root path" in r.getMessage() for r in caplog.records)


# -- 7. transform (STAND-IN pipeline) -------------------------------------------------------------
def test_transform_answers_modules(app_and_server: AppServer) -> None:
    """Stand-in pipeline: what the handler does with a TransformResult."""
    app, server = app_and_server
    response = app.test_client().get("/src/main.ts?t=1700000000000")
    assert response.status_code == 200
    assert response.content_type == "text/javascript; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.data.startswith(b"/* transformed */")
    assert env(server).requests == ["/src/main.ts"]  # ?t= is dropped before the pipeline


@pytest.mark.parametrize(
    ("target", "headers", "transformed"),
    [
        ("/src/main.ts", {}, True),
        ("/src/main", {}, True),  # extension-less: the resolver finds main.ts
        ("/src/logo.png?import", {}, True),
        ("/src/safe.txt?raw", {}, True),
        ("/src/safe.txt?url", {}, True),
        ("/src/safe.txt?inline", {}, True),
        ("/src/w.js?worker", {}, True),
        ("/index.html?html-proxy&index=0.js", {}, True),
        ("/src/safe.txt", {"Sec-Fetch-Dest": "script"}, True),
        ("/src/logo.png", {}, False),
        ("/src/main.ts", {"Sec-Fetch-Dest": "document"}, False),
        ("/favicon.ico", {}, False),
        ("/", {}, False),
    ],
)
def test_which_requests_are_modules(
    app_and_server: AppServer, target: str, headers: dict[str, str], transformed: bool
) -> None:
    app, server = app_and_server
    app.test_client().get(target, headers=headers)
    assert bool(env(server).requests) is transformed


def test_transform_only_for_get_and_head(app_and_server: AppServer) -> None:
    app, server = app_and_server
    assert app.test_client().head("/src/main.ts").status_code == 200
    app.test_client().post("/src/main.ts")
    app.test_client().put("/src/main.ts")
    assert env(server).requests == ["/src/main.ts"]


def test_ids_are_unwrapped(app_and_server: AppServer) -> None:
    app, server = app_and_server
    app.test_client().get("/@id/__x00__virtual:greeting")
    app.test_client().get("/@id/react?import")
    assert env(server).requests == ["\0virtual:greeting", "react"]


def test_optimized_deps_are_cached_for_good(app_and_server: AppServer) -> None:
    app, _ = app_and_server
    dep = app.test_client().get("/node_modules/.vite/deps/react.js?v=1a2b3c4d")
    assert dep.status_code == 200
    assert dep.headers["Cache-Control"] == "max-age=31536000,immutable"
    assert app.test_client().get("/src/main.ts?v=1a2b").headers["Cache-Control"] == "no-cache"


def test_source_maps_are_inlined_and_served(app_and_server: AppServer) -> None:
    app, server = app_and_server
    source_map = {"version": 3, "sources": ["main.ts"], "mappings": "AAAA", "names": []}

    def transform(url: str) -> TransformResult:
        result = TransformResult("export const a = 1", map=source_map)
        env(server).module_graph.by_url[url] = StubNode(url, result)
        return result

    env(server).transform_request = transform  # type: ignore[method-assign]
    body = app.test_client().get("/src/main.ts").data.decode()
    assert body.startswith("export const a = 1\n//# sourceMappingURL=data:application/json;base64,")
    served = app.test_client().get("/src/main.ts.map")
    assert served.status_code == 200
    assert json.loads(served.data) == source_map
    assert app.test_client().get("/src/other.ts.map").status_code == 404


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("FS_DENIED", 403),
        ("OUTDATED_OPTIMIZED_DEP", 504),
        ("OPTIMIZE_DEPS_PROCESSING_ERROR", 504),
        ("CLOSED_SERVER", 504),
        ("FILE_NOT_FOUND_IN_OPTIMIZED_DEP_DIR", 404),
        ("LOAD_URL", 200),  # passes on: the static step serves the file
        ("PLUGIN_ERROR", 500),
    ],
)
def test_error_codes_map_to_statuses(
    app_and_server: AppServer, code: str, status: int
) -> None:
    app, server = app_and_server
    env(server).raise_for["/src/main.ts"] = ViteError(f"failed with {code}", code=code)
    response = app.test_client().get("/src/main.ts")
    assert response.status_code == status
    if status == 200:
        assert response.data == b"export const answer: number = 42\n"  # served as it is
    if status == 504:
        assert response.status.startswith("504 ") and response.status != "504 GATEWAY TIMEOUT"


def test_without_a_pipeline_files_are_still_served_plainly(make_app: AppFactory) -> None:
    app, _ = make_app(with_environment=False)
    response = app.test_client().get("/src/main.ts")
    assert response.status_code == 200
    assert response.data == b"export const answer: number = 42\n"


# -- 8. /@fs/ -------------------------------------------------------------------------------
def test_raw_fs_serves_allowed_files_outside_the_root(make_app: AppFactory, site: Path) -> None:
    shared = site.parent / "shared"
    (shared / "font.woff2").write_bytes(b"wOF2 font")
    app, _ = make_app(VITE_FS_ALLOW=["../shared"])
    client = app.test_client()
    response = client.get(f"/@fs{shared}/font.woff2")
    assert response.status_code == 200 and response.data == b"wOF2 font"
    assert client.get(f"/@fs{shared}/missing.woff2").status_code == 404
    assert client.get(f"/@fs{site.parent}/outside/secret.txt").status_code == 403
    (site.parent / "with space").mkdir()
    (site.parent / "with space" / "a.txt").write_text("x")
    app2, _ = make_app(VITE_FS_ALLOW=["../with space"])
    assert app2.test_client().get(f"/@fs{site.parent}/with%20space/a.txt").data == b"x"


# -- 9. static ---------------------------------------------------------------------------------
def test_static_files_under_the_root(client: t.Any) -> None:
    response = client.get("/src/logo.png")
    assert response.status_code == 200
    assert response.content_type == "image/png"
    assert response.data == b"\x89PNG\r\n\x1a\nfake"
    assert "ETag" in response.headers and "Last-Modified" in response.headers
    again = client.get("/src/logo.png", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("target", ["/src/", "/about.html", "/@vite/client", "/src/missing.png"])
def test_static_leaves_html_folders_and_internal_urls(make_app: AppFactory, target: str) -> None:
    app, _ = make_app(VITE_APP_TYPE="custom")
    assert app.test_client().get(target).status_code == 404


# -- 10. HTML fallback ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("app_type", "target", "headers", "page"),
    [
        ("spa", "/", HTML, "/index.html"),
        ("spa", "/some/client/route", HTML, "/index.html"),
        ("spa", "/about", HTML, "/about.html"),
        ("spa", "/docs", HTML, "/docs/index.html"),
        ("spa", "/docs/", HTML, "/docs/index.html"),
        ("spa", "/some/client/route", {}, None),  # not a navigation
        ("spa", "/some/client/route", {"Accept": "*/*"}, None),  # fetch("/api/missing")
        ("spa", "/some/client/route", {"Accept": "application/json"}, None),
        # An HTML file that exists is served to any client that takes HTML (curl).
        ("spa", "/", {"Accept": "*/*"}, "/index.html"),
        ("spa", "/", {}, "/index.html"),
        ("spa", "/about", {"Accept": "*/*"}, "/about.html"),
        ("spa", "/docs/", {}, "/docs/index.html"),
        ("spa", "/", {"Accept": "application/json"}, None),
        ("spa", "/missing.png", HTML, None),  # has an extension
        ("spa", "/favicon.ico", HTML, None),
        ("spa", "/home", HTML, None),  # a Flask view answers
        ("spa", "/api/hello", HTML, None),
        ("mpa", "/", HTML, "/index.html"),
        ("mpa", "/about", HTML, "/about.html"),
        ("mpa", "/docs/", HTML, "/docs/index.html"),
        ("mpa", "/some/client/route", HTML, None),
        ("custom", "/", HTML, None),
        ("custom", "/about", HTML, None),
    ],
)
def test_html_fallback(
    make_app: AppFactory, app_type: str, target: str, headers: dict[str, str], page: str | None
) -> None:
    app, server = make_app(VITE_APP_TYPE=app_type)
    response = app.test_client().get(target, headers=headers)
    if page is None:
        assert not server.index_html_calls
        assert b'src="/@vite/client"' not in response.data
    else:
        assert response.status_code == 200
        assert server.index_html_calls == [(page, target)]
        assert b'<script type="module" src="/@vite/client"></script>' in response.data


def test_html_fallback_only_for_get(client: t.Any) -> None:
    assert client.post("/some/route", headers=HTML).status_code in (404, 405)


# -- 11. index.html ------------------------------------------------------------------------------
def test_index_html_is_transformed_with_an_etag(app_and_server: AppServer) -> None:
    app, server = app_and_server
    client = app.test_client()
    response = client.get("/index.html")
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.data.startswith(
        b'<!doctype html><html><head><script type="module" src="/@vite/client">'
    )
    assert server.index_html_calls == [("/index.html", "/index.html")]
    again = client.get("/index.html", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_html_as_a_script_is_not_a_page(app_and_server: AppServer) -> None:
    app, server = app_and_server
    app.test_client().get("/about.html", headers={"Sec-Fetch-Dest": "script"})
    assert not server.index_html_calls
    assert env(server).requests == ["/about.html"]  # a script: the transform step's


def test_denied_html_is_refused(make_app: AppFactory, site: Path) -> None:
    (site / "admin.html").write_text("<html>s3cr3t admin</html>")
    app, _ = make_app(VITE_FS_DENY=["admin.html"])
    response = app.test_client().get("/admin.html")
    assert response.status_code == 403
    assert b"s3cr3t" not in response.data


def test_html_from_an_allowed_folder_through_fs(make_app: AppFactory, site: Path) -> None:
    shared = site.parent / "shared"
    (shared / "page.html").write_text("<html><head></head><body>shared page</body></html>")
    app, _ = make_app(VITE_FS_ALLOW=["../shared"])
    response = app.test_client().get(f"/@fs{shared}/page.html")
    assert response.status_code == 200 and b"shared page" in response.data


# -- 12. errors -----------------------------------------------------------------------------
def test_handler_exceptions_answer_500_with_the_overlay_payload(
    app_and_server: AppServer, caplog: pytest.LogCaptureFixture
) -> None:
    app, server = app_and_server
    error = ViteError("Unexpected token </script><script>alert(1)</script>", code="PLUGIN_ERROR")
    error.plugin = "vite:esbuild"  # type: ignore[attr-defined]
    error.id = "/src/main.ts"  # type: ignore[attr-defined]
    error.loc = {"file": "/src/main.ts", "line": 3, "column": 7}  # type: ignore[attr-defined]
    error.frame = "\x1b[31m3 | const x = <\x1b[0m"  # type: ignore[attr-defined]
    env(server).raise_for["/src/main.ts"] = error
    with caplog.at_level(logging.ERROR, logger="flask_vite.server"):
        response = app.test_client().get("/src/main.ts")
    assert response.status_code == 500
    payload = response.get_json()
    assert payload["type"] == "error"
    err = payload["err"]
    assert err["message"].startswith("Unexpected token")
    assert err["plugin"] == "vite:esbuild"
    assert err["id"] == "/src/main.ts"
    assert err["loc"] == {"file": "/src/main.ts", "line": 3, "column": 7}
    assert err["frame"] == "3 | const x = <"
    assert "Traceback" in err["stack"]
    assert any("Internal server error" in r.getMessage() for r in caplog.records)

    page = app.test_client().get("/src/main.ts", headers=HTML)
    assert page.status_code == 500
    assert page.content_type.startswith("text/html")
    assert b"</script><script>alert(1)" not in page.data
    assert b"ErrorOverlay" in page.data and b'"/@vite/client"' in page.data


def test_index_html_transform_errors_reach_the_overlay(app_and_server: AppServer) -> None:
    app, server = app_and_server

    def broken(url: str, html: str, original_url: str | None = None) -> str:
        raise RuntimeError("transform_index_html exploded")

    server.transform_index_html = broken  # type: ignore[method-assign]
    response = app.test_client().get("/", headers=HTML)
    assert response.status_code == 500
    assert b"transform_index_html exploded" in response.data


def test_prepare_error_reads_esbuild_locations() -> None:
    error = EsbuildError([EsbuildMessage("Expected \";\"", file="src/a.ts", line=2, column=4,
                                         line_text="let x = 1 2")])
    payload = prepare_error(error)
    assert payload["loc"] == {"file": "src/a.ts", "line": 2, "column": 4}
    assert payload["id"] == "src/a.ts"
    wrapped = ViteError("plugin failed")
    wrapped.__cause__ = error
    assert prepare_error(wrapped)["loc"] == payload["loc"]
    plain = prepare_error(ValueError("boom"))
    assert plain["message"] == "boom" and plain["loc"] is None and plain["plugin"] is None
