"""``flask vite build --prerender``: create-vite-extra's SSR templates
prerendered and compared with what ``vite.render()`` serves for the same URL;
routes checked, failing renders named, nothing half-written. (Skipped without
the V8 binding, as everything that imports tests/production/conftest.py.)"""
from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
from flask import Flask

from flask_vite.build.builder import build
from flask_vite.build.prerender import PrerenderError
from flask_vite.build.report import Reporter
from flask_vite.cli import vite_cli
from flask_vite.errors import ConfigError
from tests.production.conftest import PAGE_TS, page_line, prod_app, write_fault_app

from .conftest import SSR_TEMPLATES, Builder, ssr_template

FAULT_ENTRY = "src/entry-server.ts"


def invoke(app: Flask, *args: str) -> t.Any:
    return app.test_cli_runner().invoke(vite_cli, ["build", *args])


def pages(root: Path) -> dict[str, str]:
    """The files of ``dist/prerendered`` and their text."""
    folder = root / "dist" / "prerendered"
    return {p.relative_to(folder).as_posix(): p.read_text() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module", params=sorted(SSR_TEMPLATES))
def template(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
             ) -> t.Iterator[tuple[str, Path, str]]:
    """A template copied, installed, built and prerendered once, by the command."""
    name, root, builder = ssr_template(request, tmp_path_factory)
    try:
        result = invoke(builder.app(root), "--app", "--ssr", SSR_TEMPLATES[name], "--prerender", "/,/about")
        assert result.exit_code == 0, result.output
        yield name, root, result.output
    finally:
        builder.close()


def test_the_pages_are_where_the_docs_say(template: tuple[str, Path, str]) -> None:
    _, root, output = template
    assert set(pages(root)) == {"index.html", "about.html"}
    # The template the renderer fills is left as the client build wrote it.
    assert "<!--app-html-->" in (root / "dist" / "client" / "index.html").read_text()
    # A line per page in the summary, after the SSR build.
    assert "prerendering 2 pages with" in output
    assert output.index("building ssr") < output.index("prerendering 2 pages")
    for file in ("dist/prerendered/index.html", "dist/prerendered/about.html"):
        assert sum(file in line for line in output.splitlines()) == 1, output
    assert "✓ 2 pages prerendered in" in output


def test_each_page_is_what_vite_render_serves(template: tuple[str, Path, str]) -> None:
    name, root, _ = template
    written = pages(root)
    # Rendered per request by the view (no static serving, so no prerendered pages).
    app, vite = prod_app(root, SSR_TEMPLATES[name], VITE_SERVE_STATIC=False)
    try:
        client = app.test_client()
        for route, file in (("/", "index.html"), ("/about", "about.html")):
            r = client.get(route)
            assert r.status_code == 200
            assert r.get_data(as_text=True) == written[file]
            with app.test_request_context(route):
                assert vite.render(SSR_TEMPLATES[name], url=route) == written[file]
        assert "<!--app-html-->" not in written["about.html"]
        assert '<script type="module" crossorigin src="/assets/index-' in written["about.html"]
    finally:
        app.extensions["vite"].close()


def test_the_production_app_serves_them_ahead_of_the_view(template: tuple[str, Path, str]) -> None:
    name, root, _ = template
    written = pages(root)
    app, _ = prod_app(root, SSR_TEMPLATES[name])
    try:
        client = app.test_client()
        for url, file in (("/", "index.html"), ("/about", "about.html"), ("/about?tab=2", "about.html")):
            r = client.get(url)
            assert r.status_code == 200
            assert r.get_data(as_text=True) == written[file]
            assert r.headers["Content-Type"] == "text/html; charset=utf-8"
            assert r.headers["Cache-Control"] == "no-cache" and r.headers["ETag"]
        etag = client.get("/about").headers["ETag"]
        assert client.get("/about", headers={"If-None-Match": etag}).status_code == 304
        head = client.head("/about")
        assert head.status_code == 200 and head.get_data() == b""
        # Nothing was rendered for them.
        assert app.extensions["vite"].production is None
        # Other pages are the view's; the page files are not URLs of their own.
        for url in ("/about/", "/other", "/about.html", "/index.html"):
            r = client.get(url)
            assert r.status_code == 200 and "Cache-Control" not in r.headers, url
        assert app.extensions["vite"].production is not None
        assert client.post("/about").status_code == 405  # the view is GET-only: no page for a POST
    finally:
        app.extensions["vite"].close()


# -- errors, with the fault app (tests/production/conftest.py) --------------------------


@pytest.fixture
def fault(tmp_path: Path) -> t.Iterator[tuple[Path, Builder]]:
    builder = Builder()
    yield write_fault_app(tmp_path / "app"), builder
    builder.close()


def test_a_render_that_throws_fails_the_build_naming_the_route(fault: tuple[Path, Builder]) -> None:
    root, builder = fault
    app = builder.app(root)
    ok = invoke(app, "--app", "--ssr", FAULT_ENTRY, "--prerender", "/")
    assert ok.exit_code == 0 and set(pages(root)) == {"index.html"}
    result = invoke(app, "--app", "--ssr", FAULT_ENTRY, "--sourcemap", "--prerender", "/,/about,/throw/x")
    assert result.exit_code == 1
    assert "Prerendering /throw/x failed: Error: render failed for /throw/x" in result.output
    # The stack through the bundle's source map: the line in src/page.ts.
    assert f"page.ts:{page_line(PAGE_TS, 'throw new Error(')}:" in result.output
    # No page of this build (and none of the last, which named replaced files).
    assert pages(root) == {}


def test_a_render_past_the_timeout_fails_the_build(fault: tuple[Path, Builder]) -> None:
    root, builder = fault
    app = builder.app(root, VITE_SSR_TIMEOUT=1.0)
    result = invoke(app, "--app", "--ssr", FAULT_ENTRY, "--prerender", "/loop,/")
    assert result.exit_code == 1
    assert "Prerendering /loop failed" in result.output and "did not finish within 1 s" in result.output
    assert pages(root) == {}


@pytest.mark.parametrize(("route", "says"), [
    ("about", "must start with '/'"),
    ("/about?tab=1", "query string"),
    ("/../outside", "'..' segment"),
    ("/a//b", "empty"),
    ("/.env", "starting with '.'"),
])
def test_bad_routes_are_refused_by_name(fault: tuple[Path, Builder], route: str, says: str) -> None:
    root, builder = fault
    result = invoke(builder.app(root), "--app", "--ssr", FAULT_ENTRY, "--prerender", f"/,{route}")
    assert result.exit_code == 2
    assert "Invalid value for '--prerender'" in result.output
    assert repr(route) in result.output and says in result.output
    assert not (root / "dist").exists()  # refused before building


def test_the_setting_and_the_option(fault: tuple[Path, Builder]) -> None:
    root, builder = fault
    app = builder.app(root, VITE_SSR_ENTRY=FAULT_ENTRY, VITE_PRERENDER="/, /docs/")
    result = invoke(app)
    assert result.exit_code == 0, result.output
    assert set(pages(root)) == {"index.html", "docs/index.html"}
    assert '<main data-url="/docs/">' in pages(root)["docs/index.html"]
    # The option wins; '' prerenders nothing, and the earlier pages go.
    assert invoke(app, "--prerender", "/about").exit_code == 0
    assert set(pages(root)) == {"about.html"}
    assert invoke(app, "--prerender", "").exit_code == 0
    assert not (root / "dist" / "prerendered").exists()
    with pytest.raises(ConfigError, match=r"VITE_PRERENDER: '/a\?b' has a query string"):
        builder.app(root, VITE_PRERENDER=["/", "/a?b"])


def test_prerendering_needs_an_ssr_build(fault: tuple[Path, Builder]) -> None:
    root, builder = fault
    result = invoke(builder.app(root), "--prerender", "/")
    assert result.exit_code == 2
    assert "--prerender needs an SSR build" in result.output and "--ssr ENTRY" in result.output
    result = invoke(builder.app(root, VITE_PRERENDER="/"))
    assert result.exit_code == 2 and "VITE_PRERENDER needs an SSR build" in result.output
    assert not (root / "dist").exists()
    # --ssr alone renders into the client build already there: none yet.
    result = invoke(builder.app(root), "--ssr", FAULT_ENTRY, "--prerender", "/")
    assert result.exit_code == 1
    assert "Cannot prerender /: No built page template" in result.output and "--app" in result.output


def test_from_python(fault: tuple[Path, Builder]) -> None:
    root, builder = fault
    app = builder.app(root)
    quiet = Reporter(quiet=True)
    result = build(app, ssr=FAULT_ENTRY, prerender=["/", "/a/b"], reporter=quiet)
    assert result.prerender is not None
    assert result.prerender.pages == {"/": "index.html", "/a/b": "a/b.html"}
    assert result.prerender.out_dir == root / "dist" / "prerendered"
    with pytest.raises(PrerenderError, match="'b' must start with '/'"):
        build(app, ssr=FAULT_ENTRY, prerender=["b"], reporter=quiet)
    with pytest.raises(PrerenderError, match="without an SSR build"):
        build(app, prerender=["/"], reporter=quiet)


def test_the_help_says_where_the_pages_go(fault: tuple[Path, Builder]) -> None:
    root, builder = fault
    result = builder.app(root).test_cli_runner().invoke(vite_cli, ["build", "--help"])
    text = " ".join(result.output.split())
    assert "--prerender ROUTES" in text and "dist/prerendered/: / -> index.html, /about -> about.html" in text
    assert "Needs an SSR build" in text
