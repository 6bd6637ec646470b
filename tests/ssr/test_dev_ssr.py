"""SSR in dev: create-vite-extra's SSR templates served by a Flask view that is
the template's ``server.js`` dev logic, line for line."""
from __future__ import annotations

import re
import typing as t
from pathlib import Path

import pytest
from flask import Flask, Response, request

from flask_vite import FlaskVite
from tests.apps import CREATE_VITE_EXTRA, make_template_app


def ssr_app(root: Path, entry: str = "/src/entry-server.tsx", *, plugins: t.Sequence[t.Any] = (),
            **config: t.Any) -> tuple[Flask, FlaskVite]:
    """The Flask translation of create-vite-extra's server.js (dev branch)."""
    vite = FlaskVite(plugins=plugins)
    app = Flask(__name__, root_path=str(root.parent))
    app.config.update(VITE_ROOT=root.name, VITE_DEV=True, VITE_APP_TYPE="custom", **config)
    vite.init_app(app)

    @app.get("/", defaults={"path": ""})
    @app.get("/<path:path>")
    def page(path: str) -> Response:
        url = request.full_path.rstrip("?")
        template = (root / "index.html").read_text("utf-8")
        template = vite.transform_index_html(url, template)
        render = vite.ssr_load_module(entry)["render"]
        rendered = render(url)
        html = (template.replace("<!--app-head-->", rendered.get("head") or "")
                .replace("<!--app-html-->", rendered.get("html") or ""))
        return Response(html, mimetype="text/html")

    return app, vite


def test_vanilla_page_is_exactly_vite_s(tmp_path: Path) -> None:
    root = make_template_app(CREATE_VITE_EXTRA, "template-ssr-vanilla", tmp_path / "app")
    app, _ = ssr_app(root, "/src/entry-server.js")
    try:
        r = app.test_client().get("/")
        assert r.status_code == 200, r.get_data(as_text=True)[:2000]
        assert r.get_data(as_text=True) == (FIXTURES / "template-ssr-vanilla.dev.html").read_text()
    finally:
        app.extensions["vite"].close()


@pytest.fixture(scope="module")
def react_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template_app(CREATE_VITE_EXTRA, "template-ssr-react-ts",
                             tmp_path_factory.mktemp("ssr-react") / "app")


@pytest.fixture
def react(react_root: Path) -> t.Iterator[tuple[Flask, FlaskVite]]:
    app, vite = ssr_app(react_root)
    yield app, vite
    app.extensions["vite"].close()


FIXTURES = Path(__file__).parent.parent / "fixtures" / "vite_ssr"
REACT_REFRESH_PREAMBLE = re.compile(
    r'\n    <script type="module">import \{ injectIntoGlobalHook \}.*?</script>\n', re.S)


def test_react_page_is_rendered_in_v8(react: tuple[Flask, FlaskVite]) -> None:
    app, _ = react
    r = app.test_client().get("/")
    assert r.status_code == 200, r.get_data(as_text=True)[:2000]
    html = r.get_data(as_text=True)
    vite = (FIXTURES / "template-ssr-react-ts.dev.html").read_text()
    # The same page as Vite's, but for @vitejs/plugin-react's Fast Refresh preamble.
    assert html == REACT_REFRESH_PREAMBLE.sub("", vite)
    assert "Count is <!-- -->0" in html
    # Modules are still served to the browser by the same app.
    assert app.test_client().get("/src/entry-client.tsx").status_code == 200


def test_react_page_with_fast_refresh_is_exactly_vite_s(react_root: Path) -> None:
    """With ``plugins=[react()]`` (``@vitejs/plugin-react`` in the reference
    app) the page is Vite's byte for byte, refresh preamble included."""
    from flask_vite.plugins.react import react

    app, _ = ssr_app(react_root, plugins=[react()])
    try:
        r = app.test_client().get("/")
        assert r.status_code == 200, r.get_data(as_text=True)[:2000]
        assert r.get_data(as_text=True) == (FIXTURES / "template-ssr-react-ts.dev.html").read_text()
    finally:
        app.extensions["vite"].close()


def test_an_edit_reruns_the_module_and_its_importers_only(react: tuple[Flask, FlaskVite], react_root: Path) -> None:
    app, vite = react
    src = react_root / "src"
    (src / "counter-state.ts").write_text("let n = 0\nexport const next = (): number => ++n\n")
    (src / "label.ts").write_text("export const label: string = 'v1:'\n")
    (src / "entry-extra.ts").write_text(
        "import { next } from './counter-state'\nimport { label } from './label'\n"
        "export function render() { return label + next() }\n")
    graph = app.extensions["vite"].dev_server.environments["ssr"].module_graph
    with app.app_context():
        assert vite.ssr_load_module("/src/entry-extra.ts")["render"]() == "v1:1"
        assert vite.ssr_load_module("/src/entry-extra.ts")["render"]() == "v1:2"
        (src / "label.ts").write_text("export const label: string = 'v2:'\n")
        graph.on_file_change((src / "label.ts").as_posix())
        # label.ts and its importer run again; counter-state.ts keeps its count.
        assert vite.ssr_load_module("/src/entry-extra.ts")["render"]() == "v2:3"
        # The React page still renders, with App.tsx edited.
        app_tsx = src / "App.tsx"
        original = app_tsx.read_text()
        try:
            app_tsx.write_text(original.replace("Get started", "Edited in a test"))
            graph.on_file_change(app_tsx.as_posix())
            assert "<h1>Edited in a test</h1>" in app.test_client().get("/").get_data(as_text=True)
        finally:
            app_tsx.write_text(original)
            graph.on_file_change(app_tsx.as_posix())


@pytest.fixture
def small(tmp_path: Path) -> t.Iterator[tuple[Flask, FlaskVite, Path]]:
    """A bare app for error cases: no packages, modules written by each test."""
    root = tmp_path / "app"
    (root / "src").mkdir(parents=True)
    (root / "index.html").write_text("<html><head></head><body><!--app-html--></body></html>")
    app, vite = ssr_app(root, "/src/entry.tsx", VITE_SSR_TIMEOUT=1.0)
    yield app, vite, root
    app.extensions["vite"].close()


def test_a_thrown_error_points_at_the_tsx_line(small: tuple[Flask, FlaskVite, Path]) -> None:
    from flask_vite.ssr.errors import SsrError

    app, vite, root = small
    (root / "src" / "boom.tsx").write_text(
        "type Props = { n: number }\n"
        "\n"
        "export function Boom({ n }: Props): string {\n"
        "  if (n > 1) {\n"
        "    throw new Error(`too big: ${n}`)\n"
        "  }\n"
        "  return 'ok'\n"
        "}\n")
    (root / "src" / "entry.tsx").write_text(
        "import { Boom } from './boom'\nexport function render(url: string) { return { html: Boom({ n: 2 }) } }\n")
    with app.app_context():
        with pytest.raises(SsrError) as info:
            vite.ssr_load_module("/src/entry.tsx")["render"]("/")
    error = info.value
    boom = (root / "src" / "boom.tsx").as_posix()
    assert "too big: 2" in str(error)
    assert f"{boom}:5:" in error.stack
    assert error.loc["file"] == boom and error.loc["line"] == 5  # type: ignore[attr-defined]
    # Through the view: 500 with the mapped stack (and the overlay payload).
    r = app.test_client().get("/", headers={"Accept": "application/json"})
    assert r.status_code == 500
    payload = r.get_json()["err"]
    assert payload["loc"]["file"] == boom and payload["loc"]["line"] == 5
    assert f"{boom}:5:" in payload["stack"]


def test_a_syntax_error_in_an_ssr_module_names_file_and_line(small: tuple[Flask, FlaskVite, Path]) -> None:
    app, vite, root = small
    (root / "src" / "entry.tsx").write_text("export function render() {\n  return { html: <p>hi</p }\n}\n")
    r = app.test_client().get("/", headers={"Accept": "application/json"})
    assert r.status_code == 500
    payload = r.get_json()["err"]
    assert payload["loc"]["file"].endswith("src/entry.tsx") and payload["loc"]["line"] == 2


def test_circular_imports(small: tuple[Flask, FlaskVite, Path]) -> None:
    app, vite, root = small
    (root / "src" / "a.ts").write_text(
        "import { b } from './b'\nexport const a = (): string => 'a' + b()\nexport const name = 'A'\n")
    (root / "src" / "b.ts").write_text(
        "import { name } from './a'\nexport const b = (): string => 'b' + name\n")
    (root / "src" / "entry.tsx").write_text(
        "import { a } from './a'\nexport function render() { return { html: a() } }\n")
    assert "<body>abA</body>" in app.test_client().get("/").get_data(as_text=True)


def test_a_missing_node_builtin_names_the_import_chain(small: tuple[Flask, FlaskVite, Path]) -> None:
    from flask_vite.ssr.errors import SsrError

    app, vite, root = small
    (root / "src" / "db.ts").write_text("import fs from 'node:fs'\nexport const read = () => fs.readFileSync('x')\n")
    (root / "src" / "entry.tsx").write_text(
        "import { read } from './db'\nexport function render() { return { html: String(read) } }\n")
    with app.app_context(), pytest.raises(SsrError) as info:
        vite.ssr_load_module("/src/entry.tsx")
    assert "/src/entry.tsx -> /src/db.ts -> node:fs" in str(info.value)


def test_an_endless_render_is_stopped_while_other_requests_are_served(
        small: tuple[Flask, FlaskVite, Path], live_server: t.Any) -> None:
    import threading
    import time
    import urllib.request

    app, vite, root = small
    (root / "src" / "entry.tsx").write_text(
        "export function render(url: string) {\n"
        "  if (url.includes('loop')) { while (true) {} }\n"
        "  return { html: 'fine' }\n}\n")
    server = live_server(app)
    results: dict[str, t.Any] = {}

    def fetch(name: str, path: str) -> None:
        try:
            with urllib.request.urlopen(server.url_for(path), timeout=30) as r:
                results[name] = (r.status, r.read().decode())
        except urllib.error.HTTPError as e:
            results[name] = (e.code, e.read().decode())

    looping = threading.Thread(target=fetch, args=("loop", "/loop"))
    started = time.monotonic()
    looping.start()
    time.sleep(0.2)
    fetch("module", "/src/entry.tsx")  # another request, served while V8 spins
    assert results["module"][0] == 200
    assert time.monotonic() - started < 1.0
    looping.join(30)
    assert results["loop"][0] == 500
    assert "did not finish within 1 s" in results["loop"][1]
    fetch("after", "/")  # the renderer was replaced and serves again
    assert results["after"][0] == 200 and "fine" in results["after"][1]


def test_a_component_that_never_returns_does_not_hold_up_other_renders(react_root: Path) -> None:
    """Issue 5: a render stuck in a component holds one V8 child; another
    page is rendered by the next child meanwhile, long before the stuck
    one's VITE_SSR_TIMEOUT."""
    import os
    import signal
    import threading

    (react_root / "src" / "entry-loop.tsx").write_text(
        "import { renderToString } from 'react-dom/server'\n"
        "function Forever(): JSX.Element { for (;;) {} }\n"
        "function Fine({ url }: { url: string }) { return <p>fine at {url}</p> }\n"
        "export function render(url: string) {\n"
        "  return { html: renderToString(url.includes('loop') ? <Forever /> : <Fine url={url} />) }\n"
        "}\n")
    # Never reached here: the stuck child is killed once the other page is in.
    app, _ = ssr_app(react_root, "/src/entry-loop.tsx", VITE_SSR_TIMEOUT=60.0, VITE_SSR_WORKERS=2)
    runner = app.extensions["vite"].dev_server.environments["ssr"].runner
    try:
        assert app.test_client().get("/warm").status_code == 200  # modules shipped to the first child
        stuck: dict[str, t.Any] = {}
        answered = threading.Event()

        def loop() -> None:
            r = app.test_client().get("/loop", headers={"Accept": "application/json"})
            stuck["response"] = (r.status_code, r.get_data(as_text=True))
            answered.set()

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        for _ in range(1200):  # until a child runs the endless render
            if runner.busy or answered.wait(0.05):
                break
        assert runner.busy and not answered.is_set(), stuck
        r = app.test_client().get("/other")
        assert r.status_code == 200, r.get_data(as_text=True)[:2000]
        assert "<p>fine at <!-- -->/other</p>" in r.get_data(as_text=True)
        assert not answered.is_set()  # still spinning: its timeout has not fired
        assert len(runner.processes) == 2
        [looping] = runner.busy
        assert looping.pid is not None
        os.kill(looping.pid, signal.SIGKILL)
        thread.join(60)
        status, body = stuck["response"]
        assert status == 500 and "died during render() of /src/entry-loop.tsx" in body
        # The killed child was replaced and renders again.
        assert "<p>fine at <!-- -->/after</p>" in app.test_client().get("/after").get_data(as_text=True)
    finally:
        app.extensions["vite"].close()
