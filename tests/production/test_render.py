"""``vite.render()`` in production: built template + SSR bundle in a renderer
pool; a bad render is a 500 and never harms the next request or the server."""
from __future__ import annotations

import concurrent.futures
import logging
import os
import secrets
import time
import typing as t
from pathlib import Path

import pytest
from flask import Flask

from flask_vite.production.render import MissingBuildError
from flask_vite.production.template import TemplateError

from .conftest import MARKER_RE, PAGE_TS, build, page_line, prod_app, write_fault_app


def stats(app: Flask) -> t.Any:
    renderer = app.extensions["vite"].production
    assert renderer is not None
    (pool,) = renderer.pools().values()
    return pool.stats()


def test_page_is_the_built_template_filled(fault_app: Flask) -> None:
    r = fault_app.test_client().get("/hello?marker=m-1-ab")
    assert r.status_code == 200, r.get_data(as_text=True)
    html = r.get_data(as_text=True)
    head, body = html.split("</head>")
    assert '<meta name="marker" content="m-1-ab">' in head
    assert '<div id="app"><main data-url="/hello">m-1-ab</main></div>' in body
    # The built tags, not the source entry.
    assert '<script type="module" crossorigin src="/assets/index-' in head
    assert "/src/entry-client.ts" not in html
    assert "<!--app-" not in html


def test_an_endless_render_is_a_500_and_the_next_request_is_fine(fault_app: Flask) -> None:
    client = fault_app.test_client()
    assert client.get("/first").status_code == 200
    before = stats(fault_app)
    started = time.monotonic()
    r = client.get("/loop")
    assert r.status_code == 500
    assert time.monotonic() - started < 1.0 + 1.5  # VITE_SSR_TIMEOUT=1.0, then kill + answer
    r = client.get("/after?marker=m-2-cd")
    assert r.status_code == 200 and "m-2-cd" in r.get_data(as_text=True)
    after = stats(fault_app)
    assert after.fatal == before.fatal + 1
    assert set(after.pids) != set(before.pids)  # the looping renderer's child was replaced


def test_a_runaway_allocation_replaces_the_isolate_and_the_web_process_lives(fault_app: Flask) -> None:
    client = fault_app.test_client()
    assert client.get("/first").status_code == 200
    before = stats(fault_app)
    r = client.get("/grow")
    assert r.status_code == 500
    # Still this process, still serving.
    assert client.get("/after").status_code == 200
    after = stats(fault_app)
    assert after.fatal == before.fatal + 1
    assert os.getpid() not in after.pids and len(after.pids) == 2


def test_a_thrown_error_is_a_500_with_a_logged_source_mapped_stack(
        fault_app: Flask, fault_root: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="flask_vite.ssr"):
        r = fault_app.test_client().get("/throw/x")
    assert r.status_code == 500
    # Production: the stack is logged, not sent to the client.
    assert "render failed" not in r.get_data(as_text=True)
    logged = "\n".join(rec.getMessage() for rec in caplog.records if rec.name == "flask_vite.ssr")
    page = (fault_root / "src" / "page.ts").resolve().as_posix()
    line = page_line(PAGE_TS, "throw new Error(")
    assert "Error: render failed for /throw/x" in logged
    assert f"{page}:{line}:" in logged, logged
    # The caller of failLoudly, mapped too.
    assert f"{page}:{page_line(PAGE_TS, 'failLoudly(url)')}:" in logged


def test_without_a_source_map_the_stack_names_the_bundle(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = write_fault_app(tmp_path / "app")
    build(root, sourcemap=False)
    app, _ = prod_app(root)
    try:
        with caplog.at_level(logging.ERROR, logger="flask_vite.ssr"):
            assert app.test_client().get("/throw").status_code == 500
        logged = "\n".join(rec.getMessage() for rec in caplog.records)
        assert "render failed for /throw" in logged and "/entry-server.js:" in logged
    finally:
        app.extensions["vite"].close()


def test_200_concurrent_requests_each_get_their_own_page(fault_app: Flask) -> None:
    client = fault_app.test_client()
    assert client.get("/warm").status_code == 200
    token = secrets.token_hex(4)

    def fetch(i: int) -> tuple[int, int, str]:
        # Half of the renders return a promise (batched calls wait for it).
        path = f"/async/{i}" if i % 2 else f"/item/{i}"
        r = fault_app.test_client().get(f"{path}?marker=m-{i}-{token}")
        return i, r.status_code, r.get_data(as_text=True)

    with concurrent.futures.ThreadPoolExecutor(max_workers=200) as executor:
        results = list(executor.map(fetch, range(200)))
    for i, status, html in results:
        assert status == 200, html
        assert MARKER_RE.findall(html) == [f"m-{i}-{token}"] * 2, html
        path = f"/async/{i}" if i % 2 else f"/item/{i}"
        assert f'<main data-url="{path}">' in html
    assert stats(fault_app).renders >= 201


def test_render_result_that_is_not_a_page_says_what_to_return(tmp_path: Path) -> None:
    root = write_fault_app(tmp_path / "app")
    (root / "src" / "odd.ts").write_text("export function render() { return 42 }\n")
    build(root, ssr_entry="src/odd.ts")
    app, vite = prod_app(root, "src/odd.ts")
    try:
        with app.test_request_context("/"), pytest.raises(TemplateError, match="returned a int"):
            vite.render("src/odd.ts", url="/")
    finally:
        app.extensions["vite"].close()


def test_a_missing_build_says_to_run_flask_vite_build(tmp_path: Path) -> None:
    root = write_fault_app(tmp_path / "app")
    app, vite = prod_app(root)
    try:
        with app.test_request_context("/"):
            with pytest.raises(MissingBuildError) as info:
                vite.render("src/entry-server.ts", url="/")
            message = str(info.value)
            assert "Run 'flask vite build'" in message
            assert str(root / "dist" / "client" / "index.html") in message
            # The client is built, the SSR bundle is not: that file is named.
            build(root)
            (root / "dist" / "server" / "entry-server.js").unlink()
            with pytest.raises(MissingBuildError) as info:
                vite.render("src/entry-server.ts", url="/")
            message = str(info.value)
            assert str(root / "dist" / "server" / "entry-server.js") in message
            assert "src/entry-server.ts" in message and "flask vite build" in message
        # Through the view: a 500, nothing of the dev server involved.
        assert app.test_client().get("/").status_code == 500
    finally:
        app.extensions["vite"].close()


def test_close_stops_every_renderer(fault_root: Path) -> None:
    app, _ = prod_app(fault_root)
    assert app.test_client().get("/").status_code == 200
    pids = stats(app).pids
    assert len(pids) == 2
    app.extensions["vite"].close()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
