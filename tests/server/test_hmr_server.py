"""A file change through the real dev server (graphs filled by real
transforms, real plugins), without the watcher or a browser: what the
channel is asked to send, and what the environments' graphs drop."""
from __future__ import annotations

import json
import typing as t
from pathlib import Path

import pytest
from flask import Flask

from flask_vite import FlaskVite
from flask_vite.plugin import Plugin
from flask_vite.server import hot_update
from flask_vite.server.ws import HotChannel, HotClient

if t.TYPE_CHECKING:
    from flask_vite.server.dev_server import DevServer


class Sent(list):  # type: ignore[type-arg]
    """The payloads the channel was asked to send."""

    def types(self) -> list[str]:
        return [p["type"] for p in self]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "frontend"
    (root / "src" / "pages").mkdir(parents=True)
    (root / "index.html").write_text(
        '<!doctype html><html><head></head><body>'
        '<script type="module" src="/src/main.ts"></script></body></html>')
    (root / "package.json").write_text('{"name": "fixture", "private": true}')
    (root / "src" / "main.ts").write_text(
        "import './a.css'\nimport './b.css'\nimport { counter } from './counter'\n"
        "const pages = import.meta.glob('./pages/*.ts', { eager: true })\n"
        "export const names = Object.keys(pages).concat(String(counter))\n")
    (root / "src" / "a.css").write_text(".a { color: red }\n")
    (root / "src" / "b.css").write_text(".b { color: blue }\n")
    (root / "src" / "counter.ts").write_text("export const counter: number = 1\n")
    (root / "src" / "pages" / "one.ts").write_text("export const name = 'one'\n")
    return root


AppFactory = t.Callable[..., t.Tuple[Flask, "DevServer", Sent]]


@pytest.fixture
def make(root: Path, monkeypatch: pytest.MonkeyPatch) -> t.Iterator[AppFactory]:
    apps: list[Flask] = []

    def factory(plugins: t.Sequence[Plugin] = (), **config: object) -> tuple[Flask, DevServer, Sent]:
        app = Flask(__name__, root_path=str(root.parent))
        app.config.update(VITE_ROOT=root.name, VITE_DEV=True, **config)
        FlaskVite(app, plugins=plugins)
        apps.append(app)
        server = app.extensions["vite"].dev_server
        # No watcher in these tests: the events are handed in directly.
        monkeypatch.setattr(server.watcher, "start", lambda: None)
        sent = Sent()
        monkeypatch.setattr(server.hot, "send", sent.append)
        return app, server, sent

    yield factory
    for app in apps:
        app.extensions["vite"].close()


def load(app: Flask, *urls: str) -> None:
    client = app.test_client()
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.get_data(as_text=True)[:500])
        response.close()


def test_css_edit_is_a_hot_update_and_drops_the_ssr_module(make: AppFactory, root: Path) -> None:
    app, server, sent = make()
    load(app, "/src/main.ts", "/src/a.css", "/src/counter.ts")
    ssr = server.environments["ssr"]
    ssr.transform_request("/src/counter.ts")
    ssr_node = ssr.module_graph.get_module_by_url("/src/counter.ts")
    assert ssr_node is not None and ssr_node.transform_result is not None

    (root / "src" / "a.css").write_text(".a { color: green }\n")
    hot_update.handle_file_change(server, "update", (root / "src" / "a.css").as_posix())
    assert sent.types() == ["update"]
    [update] = sent[0]["updates"]
    assert update["type"] == "js-update" and update["path"] == update["acceptedPath"] == "/src/a.css"
    client = server.environments["client"]
    node = client.module_graph.get_module_by_url("/src/a.css")
    assert node is not None and node.last_hmr_timestamp == update["timestamp"]
    # Already being transformed again (for the page about to ask): the new text.
    result = client.transform_request("/src/a.css")
    assert result is not None and "green" in result.code
    # The importer now imports it with ?t=, so a reload gets the new CSS.
    load(app, "/src/main.ts")
    main = server.environments["client"].module_graph.get_module_by_url("/src/main.ts")
    assert main is not None and main.transform_result is not None
    assert f"/src/a.css?t={update['timestamp']}" in main.transform_result.code

    # The SSR graph drops the modules of a changed file too.
    hot_update.handle_file_change(server, "update", (root / "src" / "counter.ts").as_posix())
    assert ssr_node.transform_result is None
    assert sent.types()[-1] == "full-reload"  # counter.ts has no boundary in the client


def test_glob_importer_reacts_to_created_and_deleted_files(make: AppFactory, root: Path) -> None:
    app, server, sent = make()
    load(app, "/src/main.ts")
    server.environments["ssr"].transform_request("/src/main.ts")
    new = root / "src" / "pages" / "two.ts"
    new.write_text("export const name = 'two'\n")
    hot_update.handle_file_change(server, "create", new.as_posix())
    # main.ts (the glob's importer) changed, and nobody accepts it: reload.
    assert sent[-1] == {"type": "full-reload", "path": "*", "triggeredBy": new.as_posix()}
    ssr_main = server.environments["ssr"].module_graph.get_module_by_url("/src/main.ts")
    assert ssr_main is not None and ssr_main.transform_result is None
    load(app, "/src/main.ts")
    main = server.environments["client"].module_graph.get_module_by_url("/src/main.ts")
    assert main is not None and main.transform_result is not None
    assert "/src/pages/two.ts" in main.transform_result.code

    new.unlink()
    hot_update.handle_file_change(server, "delete", new.as_posix())
    assert sent.types()[-1] == "full-reload"
    load(app, "/src/main.ts")
    assert "/src/pages/two.ts" not in main.transform_result.code  # type: ignore[union-attr]
    # An edit of a matched file changes no glob result: its own update only.
    count = len(sent)
    hot_update.handle_file_change(server, "update", (root / "src" / "index.txt").as_posix())
    assert len(sent) == count  # not a module: nothing to say


def test_a_module_the_page_has_not_loaded_needs_no_update(make: AppFactory, root: Path) -> None:
    # main.ts imports lazy.ts dynamically; the page never called it. An edit
    # to it reaches no page: no update, no reload (Vite: "not analyzed").
    (root / "src" / "lazy.ts").write_text("export const lazy = 1\n")
    main = root / "src" / "main.ts"
    main.write_text(main.read_text() + "export const later = () => import('./lazy')\n")
    app, server, sent = make()
    load(app, "/src/main.ts", "/src/counter.ts", "/src/a.css", "/src/b.css", "/src/pages/one.ts")
    (root / "src" / "lazy.ts").write_text("export const lazy = 2\n")
    hot_update.handle_file_change(server, "update", (root / "src" / "lazy.ts").as_posix())
    assert sent.types() == []
    # Once loaded (analysed), it is part of the page: no boundary → reload.
    load(app, "/src/lazy.ts")
    hot_update.handle_file_change(server, "update", (root / "src" / "lazy.ts").as_posix())
    assert sent.types() == ["full-reload"]


def test_import_no_longer_made_prunes_the_module(make: AppFactory, root: Path) -> None:
    app, server, sent = make()
    load(app, "/src/main.ts", "/src/b.css")
    main = root / "src" / "main.ts"
    main.write_text(main.read_text().replace("import './b.css'\n", ""))
    hot_update.handle_file_change(server, "update", main.as_posix())
    assert sent.types() == ["full-reload"]
    load(app, "/src/main.ts")  # the reloaded page asks for main.ts again
    assert sent[-1] == {"type": "prune", "paths": ["/src/b.css"]}


def test_plugins_can_filter_or_fail_the_update(make: AppFactory, root: Path) -> None:
    seen: list[tuple[hot_update.HmrContext, list[str]]] = []

    class Silence(Plugin):
        name = "silence"

        def handle_hot_update(self, ctx: t.Any, update: t.Any) -> t.Any:
            seen.append((update, [m.url for m in update.modules]))
            return [] if update.file.endswith(".css") else None

    class Broken(Plugin):
        name = "broken"

        def handle_hot_update(self, ctx: t.Any, update: t.Any) -> t.Any:
            if update.file.endswith("counter.ts"):
                raise ValueError("no updates today")
            return None

    app, server, sent = make(plugins=[Silence(), Broken()])
    load(app, "/src/main.ts", "/src/a.css")
    css = (root / "src" / "a.css").as_posix()
    hot_update.handle_file_change(server, "update", css)
    assert sent == []
    update, urls = seen[0]
    assert update.type == "update" and update.file == css
    assert urls == ["/src/a.css"]
    assert update.read() == ".a { color: red }\n"

    hot_update.handle_file_change(server, "update", (root / "src" / "counter.ts").as_posix())
    assert sent.types() == ["error"]
    assert sent[0]["err"]["plugin"] == "broken"
    assert "no updates today" in sent[0]["err"]["message"]


def test_env_file_restarts_the_environments(make: AppFactory, root: Path) -> None:
    app, server, sent = make()
    load(app, "/src/main.ts")
    (root / ".env").write_text("VITE_X=1\n")
    hot_update.handle_file_change(server, "create", (root / ".env").as_posix())
    assert sent == [{"type": "full-reload", "path": "*", "triggeredBy": (root / ".env").as_posix()}]
    for environment in server.environments.values():
        assert all(n.transform_result is None for n in environment.module_graph.id_to_module.values())


def test_lost_changes_invalidate_every_module_and_reload(make: AppFactory, root: Path) -> None:
    app, server, sent = make()
    load(app, "/src/main.ts", "/src/counter.ts")
    assert server.environments["ssr"].transform_request("/src/counter.ts") is not None
    # Changed while the watcher's queue overflowed: nobody said so.
    (root / "src" / "counter.ts").write_text("export const counter: number = 2\n")
    hot_update.handle_lost_changes(server)
    assert sent == [{"type": "full-reload", "path": "*"}]
    for name in ("client", "ssr"):
        nodes = server.environments[name].module_graph.id_to_module.values()
        assert nodes and all(n.transform_result is None for n in nodes), name
    code = app.test_client().get("/src/counter.ts").get_data(as_text=True)
    assert "counter = 2" in code


def test_html_page_edit_reloads(make: AppFactory, root: Path) -> None:
    app, server, sent = make()
    hot_update.handle_file_change(server, "update", (root / "index.html").as_posix())
    assert sent == [{"type": "full-reload", "path": "*", "triggeredBy": (root / "index.html").as_posix()}]


def test_failed_module_sends_the_error_with_a_code_frame(make: AppFactory, root: Path) -> None:
    app, server, sent = make()
    (root / "src" / "counter.ts").write_text(
        "export const counter: number = 1\nconst broken = (\nexport const other = 2\n")
    response = app.test_client().get("/src/counter.ts")
    assert response.status_code == 500
    response.close()
    [payload] = sent
    assert payload["type"] == "error"
    err = payload["err"]
    file = (root / "src" / "counter.ts").as_posix()
    assert err["loc"] == {"file": file, "line": 3, "column": 0}
    assert err["message"].startswith("Transform failed with 1 error:\n")
    assert f"{file}:3:0: ERROR: " in err["message"]
    assert err["frame"] == (
        "1  |  export const counter: number = 1\n"
        "2  |  const broken = (\n"
        "3  |  export const other = 2\n"
        "   |  ^"
    )


def test_invalidate_message_from_a_page(make: AppFactory, root: Path) -> None:
    app, server, sent = make()
    (root / "src" / "counter.ts").write_text(
        "export const counter: number = 1\nimport.meta.hot.accept()\n")
    load(app, "/src/main.ts", "/src/counter.ts")
    hot_update.handle_file_change(server, "update", (root / "src" / "counter.ts").as_posix())
    assert sent.types() == ["update"]
    # What server/ws.py calls for a page's `vite:invalidate` event.
    hot_update.handle_invalidate(server, {"path": "/src/counter.ts", "message": "cannot",
                                   "firstInvalidatedBy": "/src/counter.ts"})
    assert sent.types() == ["update", "full-reload"]  # main.ts accepts nothing
    hot_update.handle_invalidate(server, {"path": "/src/counter.ts"})  # once per update
    hot_update.handle_invalidate(server, "garbage")
    assert sent.types() == ["update", "full-reload"]


def test_hmr_off_still_invalidates(make: AppFactory, root: Path) -> None:
    app, server, sent = make(VITE_HMR=False)
    load(app, "/src/main.ts", "/src/a.css")
    hot_update.handle_file_change(server, "update", (root / "src" / "a.css").as_posix())
    node = server.environments["client"].module_graph.get_module_by_url("/src/a.css")
    assert node is not None and node.transform_result is None  # the next load is fresh


class FakeClient(HotClient):
    def __init__(self) -> None:
        self.texts: list[str] = []

    def send_text(self, text: str) -> None:
        self.texts.append(text)

    def close(self) -> None:
        pass


def test_channel_with_hmr_off_sends_only_errors_and_custom_events() -> None:
    channel = HotChannel(enabled=False)
    client = FakeClient()
    channel._add(client)
    channel.send({"type": "update", "updates": []})
    channel.send({"type": "full-reload", "path": "*"})
    channel.send({"type": "error", "err": {"message": "x"}})
    channel.send("my:event", 1)
    assert [json.loads(t)["type"] for t in client.texts] == ["connected", "error", "custom"]
    channel.close()


def test_created_file_retries_a_module_that_could_not_import_it(make: AppFactory,
                                                                 root: Path) -> None:
    app, server, sent = make()
    (root / "src" / "counter.ts").write_text("export { later } from './later'\n")
    load(app, "/src/main.ts")
    response = app.test_client().get("/src/counter.ts")
    assert response.status_code == 500
    response.close()
    assert sent.types() == ["error"]
    assert 'Failed to resolve import "./later"' in sent[0]["err"]["message"]
    (root / "src" / "later.ts").write_text("export const later = 1\n")
    hot_update.handle_file_change(server, "create", (root / "src" / "later.ts").as_posix())
    # counter.ts (no boundary) is retried by a reload of the page.
    assert sent.types() == ["error", "full-reload"]
    load(app, "/src/counter.ts")
