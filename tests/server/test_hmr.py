"""HMR propagation on module graphs built by hand (no files, no server).

Each case of the table is a graph (who imports whom, who accepts what), the
changed module, and the message the browsers get.
"""
from __future__ import annotations

import dataclasses
import typing as t

import pytest

from flask_vite.server import hmr
from flask_vite.server.module_graph import ModuleGraph, ModuleNode
from flask_vite.server.transform_result import TransformResult

ROOT = "/app"
STAMP = 1_700_000_000_000


def resolver(url: str) -> tuple[str, dict[str, object]]:
    return ROOT + url.split("?")[0] + ("?direct" if "direct" in url else ""), {}


@dataclasses.dataclass
class Mod:
    """One module of a case: what it imports and what it accepts."""

    imports: tuple[str, ...] = ()
    accepts: tuple[str, ...] = ()
    self_accepting: bool = False
    accepted_exports: frozenset[str] | None = None
    #: Bindings it takes from each import (url → names), for acceptExports.
    bindings: dict[str, frozenset[str]] | None = None
    #: Never analysed (imported but not loaded by the browser).
    analysed: bool = True


def build(mods: dict[str, Mod]) -> ModuleGraph:
    graph = ModuleGraph("client", resolver)
    nodes = {url: graph.ensure_entry_from_url(url) for url in mods}
    for url, mod in mods.items():
        node = nodes[url]
        graph.update_module_info(
            node, list(mod.imports), accepted=list(mod.accepts),
            accepted_exports=set(mod.accepted_exports) if mod.accepted_exports is not None else None,
            is_self_accepting=mod.self_accepting,
            imported_bindings=None if mod.bindings is None else {
                ROOT + dep: set(names) for dep, names in mod.bindings.items()},
        )
        graph.update_module_transform_result(node, TransformResult("x"))
    for url, mod in mods.items():
        if not mod.analysed:
            nodes[url].is_self_accepting = None
    return graph


def updates(*entries: tuple[str, str] | tuple[str, str, bool]) -> dict[str, t.Any]:
    """An ``update`` payload: (path, acceptedPath[, isWithinCircularImport])."""
    out = []
    for entry in entries:
        path, accepted = entry[0], entry[1]
        circular = entry[2] if len(entry) > 2 else False  # type: ignore[misc]
        out.append({
            "type": "css-update" if "?direct" in path else "js-update",
            "timestamp": STAMP, "path": path, "acceptedPath": accepted,
            "explicitImportRequired": accepted.endswith((".json", ".svg")),
            "isWithinCircularImport": circular,
        })
    return {"type": "update", "updates": out}


def reload(file: str) -> dict[str, t.Any]:
    return {"type": "full-reload", "path": "*", "triggeredBy": ROOT + "/" + file.lstrip("/")}


CASES: list[tuple[str, dict[str, Mod], list[str], dict[str, t.Any] | None]] = [
    ("self-accepting module", {
        "/src/main.ts": Mod(imports=("/src/app.ts",)),
        "/src/app.ts": Mod(self_accepting=True),
    }, ["/src/app.ts"], updates(("/src/app.ts", "/src/app.ts"))),
    ("importer accepts the dependency", {
        "/src/main.ts": Mod(imports=("/src/dep.ts",), accepts=("/src/dep.ts",)),
        "/src/dep.ts": Mod(),
    }, ["/src/dep.ts"], updates(("/src/main.ts", "/src/dep.ts"))),
    ("chain up to a self-accepting importer", {
        "/src/main.ts": Mod(imports=("/src/a.ts",)),
        "/src/a.ts": Mod(imports=("/src/b.ts",), self_accepting=True),
        "/src/b.ts": Mod(imports=("/src/c.ts",)),
        "/src/c.ts": Mod(),
    }, ["/src/c.ts"], updates(("/src/a.ts", "/src/a.ts"))),
    ("no boundary: the page reloads", {
        "/src/main.ts": Mod(imports=("/src/counter.ts",)),
        "/src/counter.ts": Mod(),
    }, ["/src/counter.ts"], reload("src/counter.ts")),
    ("one importer without a boundary is enough to reload", {
        "/src/main.ts": Mod(imports=("/src/a.ts", "/src/util.ts")),
        "/src/a.ts": Mod(imports=("/src/util.ts",), self_accepting=True),
        "/src/util.ts": Mod(),
    }, ["/src/util.ts"], reload("src/util.ts")),
    ("two boundaries for one change", {
        "/src/main.ts": Mod(imports=("/src/a.ts", "/src/b.ts")),
        "/src/a.ts": Mod(imports=("/src/util.ts",), self_accepting=True),
        "/src/b.ts": Mod(imports=("/src/util.ts",), accepts=("/src/util.ts",)),
        "/src/util.ts": Mod(),
    }, ["/src/util.ts"], updates(("/src/a.ts", "/src/a.ts"), ("/src/b.ts", "/src/util.ts"))),
    ("stylesheet imported from JS: a js-update of itself", {
        "/src/main.ts": Mod(imports=("/src/style.css",)),
        "/src/style.css": Mod(self_accepting=True),
    }, ["/src/style.css"], updates(("/src/style.css", "/src/style.css"))),
    ("stylesheet of a <link>: a css-update", {
        "/src/style.css?direct": Mod(),
    }, ["/src/style.css?direct"], updates(("/src/style.css?direct", "/src/style.css?direct"))),
    ("boundary inside an import cycle", {
        "/src/main.ts": Mod(imports=("/src/a.ts",)),
        "/src/a.ts": Mod(imports=("/src/b.ts",), self_accepting=True),
        "/src/b.ts": Mod(imports=("/src/c.ts",)),
        "/src/c.ts": Mod(imports=("/src/a.ts",)),
    }, ["/src/c.ts"], updates(("/src/a.ts", "/src/a.ts", True))),
    ("cycle without a boundary", {
        "/src/main.ts": Mod(imports=("/src/a.ts",)),
        "/src/a.ts": Mod(imports=("/src/b.ts",)),
        "/src/b.ts": Mod(imports=("/src/a.ts",)),
    }, ["/src/b.ts"], reload("src/b.ts")),
    ("a self-import is no cycle", {
        "/src/main.ts": Mod(imports=("/src/a.ts",)),
        "/src/a.ts": Mod(imports=("/src/a.ts",), self_accepting=True),
    }, ["/src/a.ts"], updates(("/src/a.ts", "/src/a.ts"))),
    ("acceptExports: importers using only accepted exports are spared", {
        "/src/main.ts": Mod(imports=("/src/lib.ts",), bindings={"/src/lib.ts": frozenset({"a"})}),
        "/src/lib.ts": Mod(accepted_exports=frozenset({"a"})),
    }, ["/src/lib.ts"], updates(("/src/lib.ts", "/src/lib.ts"))),
    ("acceptExports: an importer using another export needs its own boundary", {
        "/src/main.ts": Mod(imports=("/src/lib.ts",), bindings={"/src/lib.ts": frozenset({"b"})}),
        "/src/lib.ts": Mod(accepted_exports=frozenset({"a"})),
    }, ["/src/lib.ts"], reload("src/lib.ts")),
    ("accepted JSON needs ?import to be re-fetched", {
        "/src/main.ts": Mod(imports=("/src/data.json",), accepts=("/src/data.json",)),
        "/src/data.json": Mod(),
    }, ["/src/data.json"], updates(("/src/main.ts", "/src/data.json"))),
    ("not yet run by the browser: nothing to update", {
        "/src/main.ts": Mod(imports=("/src/lazy.ts",)),
        "/src/lazy.ts": Mod(analysed=False),
    }, ["/src/lazy.ts"], None),
    ("an HTML page reloads", {
        "/index.html?direct": Mod(),
    }, [], reload("index.html")),
]


@pytest.mark.parametrize(("graph_spec", "changed", "expected"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_update_modules(graph_spec: dict[str, Mod], changed: list[str],
                        expected: dict[str, t.Any] | None) -> None:
    graph = build(graph_spec)
    modules = [graph.url_to_module[url] for url in changed]
    file = (ROOT + changed[0].split("?")[0]) if changed else ROOT + "/index.html"
    result = hmr.update_modules(graph, file, modules, STAMP, root=ROOT)
    assert result.payload == expected
    if expected is not None:
        kind = "page reload" if expected["type"] == "full-reload" else "hmr update"
        assert result.message is not None and result.message.startswith(kind)


def test_update_invalidates_the_modules_and_the_importers_that_do_not_accept() -> None:
    graph = build({
        "/src/main.ts": Mod(imports=("/src/parent.ts",)),
        "/src/parent.ts": Mod(imports=("/src/b.ts",), accepts=("/src/b.ts",)),
        "/src/b.ts": Mod(imports=("/src/util.ts",)),
        "/src/util.ts": Mod(),
    })
    nodes = graph.url_to_module
    result = hmr.update_modules(graph, ROOT + "/src/util.ts", [nodes["/src/util.ts"]], STAMP,
                                root=ROOT)
    assert result.payload == updates(("/src/parent.ts", "/src/b.ts"))
    for url in ("/src/util.ts", "/src/b.ts"):
        assert nodes[url].transform_result is None, url
        # Their next import URL carries ?t=, so the browser fetches them again.
        assert nodes[url].last_hmr_timestamp == STAMP, url
    # parent accepts b: it keeps its code (its callback imports b?t=…), and so does main.
    for url in ("/src/parent.ts", "/src/main.ts"):
        assert nodes[url].transform_result is not None, url
        assert nodes[url].last_hmr_timestamp == 0, url


def test_messages_name_the_files_as_vite_does() -> None:
    graph = build({"/src/main.ts": Mod(imports=("/src/x.ts",)), "/src/x.ts": Mod()})
    result = hmr.update_modules(graph, ROOT + "/src/x.ts", [graph.url_to_module["/src/x.ts"]],
                                STAMP, root=ROOT)
    assert result.message == "page reload src/x.ts"
    graph = build({"/src/main.ts": Mod(imports=("/src/App.tsx",)),
                   "/src/App.tsx": Mod(self_accepting=True)})
    result = hmr.update_modules(graph, ROOT + "/src/App.tsx", [graph.url_to_module["/src/App.tsx"]],
                                STAMP, root=ROOT)
    assert result.message == "hmr update /src/App.tsx"


def test_prune_names_the_modules_and_bumps_their_timestamp() -> None:
    graph = build({
        "/src/main.ts": Mod(imports=("/src/a.css", "/src/b.css"), self_accepting=True),
        "/src/a.css": Mod(self_accepting=True),
        "/src/b.css": Mod(self_accepting=True),
    })
    main = graph.url_to_module["/src/main.ts"]
    # main was edited and no longer imports b.css.
    pruned = graph.update_module_info(main, ["/src/a.css"], is_self_accepting=True)
    assert [n.url for n in pruned] == ["/src/b.css"]
    payload = hmr.prune_modules(pruned, STAMP)
    assert payload == {"type": "prune", "paths": ["/src/b.css"]}
    # Imported again later, it must run again: a new ?t= in its URL.
    assert graph.url_to_module["/src/b.css"].last_hmr_timestamp == STAMP


def _hot_updated(graph: ModuleGraph, url: str) -> ModuleNode:
    node = graph.url_to_module[url]
    result = hmr.update_modules(graph, ROOT + url, [node], STAMP, root=ROOT)
    assert result.payload is not None and result.payload["type"] == "update"
    return node


def test_invalidate_from_the_client_propagates_from_the_importers() -> None:
    # App.tsx cannot take its update (React Fast Refresh: its exports
    # changed): its importer is updated instead, as if it had changed.
    graph = build({
        "/src/main.ts": Mod(imports=("/src/parent.tsx",)),
        "/src/parent.tsx": Mod(imports=("/src/App.tsx",), self_accepting=True),
        "/src/App.tsx": Mod(self_accepting=True),
    })
    _hot_updated(graph, "/src/App.tsx")
    result = hmr.invalidate_from_client(graph, "/src/App.tsx", root=ROOT, message="exports changed")
    assert result is not None
    assert result.payload == {"type": "update", "updates": [{
        "type": "js-update", "timestamp": STAMP, "path": "/src/parent.tsx",
        "acceptedPath": "/src/parent.tsx", "explicitImportRequired": False,
        "isWithinCircularImport": False, "firstInvalidatedBy": "/src/App.tsx",
    }]}
    # Once per update of the module.
    assert hmr.invalidate_from_client(graph, "/src/App.tsx", root=ROOT) is None
    # A new update of the module can be invalidated again.
    _hot_updated(graph, "/src/App.tsx")
    graph.url_to_module["/src/App.tsx"].last_hmr_timestamp += 1
    assert hmr.invalidate_from_client(graph, "/src/App.tsx", root=ROOT) is not None


def test_invalidate_without_an_accepting_importer_reloads() -> None:
    graph = build({
        "/src/main.ts": Mod(imports=("/src/App.tsx",)),
        "/src/App.tsx": Mod(self_accepting=True),
    })
    _hot_updated(graph, "/src/App.tsx")
    result = hmr.invalidate_from_client(graph, "/src/App.tsx", root=ROOT)
    assert result is not None and result.payload == reload("src/App.tsx")


def test_invalidate_coming_back_to_the_invalidated_module_reloads() -> None:
    # b invalidates itself; the propagation from its importer a reaches b
    # again (a imports b imports a): b cannot take the update either.
    graph = build({
        "/src/main.ts": Mod(imports=("/src/b.ts",), self_accepting=True),
        "/src/b.ts": Mod(imports=("/src/a.ts",), self_accepting=True),
        "/src/a.ts": Mod(imports=("/src/b.ts",)),
    })
    _hot_updated(graph, "/src/b.ts")
    result = hmr.invalidate_from_client(graph, "/src/b.ts", root=ROOT)
    assert result is not None and result.payload is not None
    assert result.payload["type"] == "full-reload"
    assert result.message == "page reload src/b.ts (circular import invalidate)"


def test_invalidate_of_a_module_never_hot_updated_is_ignored() -> None:
    graph = build({"/src/main.ts": Mod(imports=("/src/App.tsx",)),
                   "/src/App.tsx": Mod(self_accepting=True)})
    assert hmr.invalidate_from_client(graph, "/src/App.tsx", root=ROOT) is None
    assert hmr.invalidate_from_client(graph, "/src/unknown.ts", root=ROOT) is None


@pytest.mark.parametrize(("url", "required"), [
    ("/src/a.ts", False), ("/src/a.css", False), ("/src/a.json", True), ("/src/logo.svg", True),
    ("/src/Comp.vue", False), ("/@id/virtual:x", False),
])
def test_explicit_import_required(url: str, required: bool) -> None:
    assert hmr.is_explicit_import_required(url) is required
