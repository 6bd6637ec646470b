from __future__ import annotations

import pytest

from flask_vite.server.module_graph import ModuleGraph
from flask_vite.server.transform_result import TransformResult


def resolver(url: str) -> tuple[str, dict[str, object]]:
    """Root-absolute URLs map to files under /app; /@id/ URLs are virtual."""
    if url.startswith("/@id/"):
        return "\0" + url[5:], {}
    if url == "/src/alias.ts":  # a second URL of the same file
        return "/app/src/a.ts", {}
    return "/app" + url, {}


@pytest.fixture
def graph() -> ModuleGraph:
    return ModuleGraph("client", resolver)


def test_urls_ids_and_files_are_indexed(graph: ModuleGraph) -> None:
    a = graph.ensure_entry_from_url("/src/a.ts?import&t=1700000000000")
    assert a.url == "/src/a.ts"
    assert a.id == "/app/src/a.ts"
    assert a.file == "/app/src/a.ts"
    assert graph.get_module_by_url("/src/a.ts") is a
    assert graph.get_module_by_id("/app/src/a.ts") is a
    assert graph.get_modules_by_file("/app/src/a.ts") == {a}
    # Another URL resolving to the same id shares the node.
    assert graph.ensure_entry_from_url("/src/alias.ts") is a
    assert graph.get_module_by_url("/src/alias.ts") is a


def test_virtual_modules_have_no_file(graph: ModuleGraph) -> None:
    v = graph.ensure_entry_from_url("/@id/virtual:x")
    assert v.id == "\0virtual:x"
    assert v.file is None


def test_etag_index_follows_the_transform_result(graph: ModuleGraph) -> None:
    a = graph.ensure_entry_from_url("/src/a.ts")
    graph.update_module_transform_result(a, TransformResult("export {}"))
    etag = a.transform_result.etag  # type: ignore[union-attr]
    assert etag.startswith('W/"')
    assert graph.get_module_by_etag(etag) is a
    graph.invalidate_module(a)
    assert a.transform_result is None
    assert graph.get_module_by_etag(etag) is None


def test_ssr_graph_does_not_index_etags() -> None:
    g = ModuleGraph("ssr", resolver)
    a = g.ensure_entry_from_url("/src/a.ts")
    g.update_module_transform_result(a, TransformResult("x"))
    assert g.get_module_by_etag(a.transform_result.etag) is None  # type: ignore[union-attr]


def test_edges_and_no_longer_imported(graph: ModuleGraph) -> None:
    main = graph.ensure_entry_from_url("/src/main.ts")
    graph.update_module_info(main, ["/src/a.ts", "/src/b.ts"])
    a = graph.get_module_by_url("/src/a.ts")
    b = graph.get_module_by_url("/src/b.ts")
    assert a is not None and b is not None
    assert a.importers == {main} and main.imported_modules == {a, b}
    pruned = graph.update_module_info(main, ["/src/a.ts"], accepted=["/src/a.ts"],
                                      is_self_accepting=True)
    assert pruned == {b}
    assert b.importers == set()
    assert main.accepted_hmr_deps == {a}
    assert main.is_self_accepting is True


def test_invalidation_walks_importers_up_to_an_accepting_one(graph: ModuleGraph) -> None:
    app = graph.ensure_entry_from_url("/src/App.tsx")
    main = graph.ensure_entry_from_url("/src/main.tsx")
    leaf = graph.ensure_entry_from_url("/src/leaf.ts")
    graph.update_module_info(main, ["/src/App.tsx"], accepted=["/src/App.tsx"])
    graph.update_module_info(app, ["/src/leaf.ts"])
    for node in (app, main, leaf):
        graph.update_module_transform_result(node, TransformResult(node.url))
    changed = graph.on_file_change("/app/src/leaf.ts")
    assert changed == {leaf}
    assert leaf.transform_result is None and leaf.soft_invalidated is False
    # App imports leaf without accepting it: soft-invalidated (needs new ?t= URLs).
    assert app.transform_result is None and app.soft_invalidated is True
    # main accepts App's updates: it keeps its result.
    assert main.transform_result is not None
    assert leaf.last_invalidation_timestamp > 0


def test_circular_imports_invalidate_once(graph: ModuleGraph) -> None:
    a = graph.ensure_entry_from_url("/src/a.ts")
    b = graph.ensure_entry_from_url("/src/b.ts")
    graph.update_module_info(a, ["/src/b.ts"])
    graph.update_module_info(b, ["/src/a.ts"])
    graph.update_module_transform_result(a, TransformResult("a"))
    graph.update_module_transform_result(b, TransformResult("b"))
    graph.invalidate_module(a, timestamp=1234, is_hmr=True)
    assert a.transform_result is None and b.transform_result is None
    assert a.last_hmr_timestamp == b.last_hmr_timestamp == 1234


def test_watch_files_invalidate_their_module(graph: ModuleGraph) -> None:
    css = graph.ensure_entry_from_url("/src/style.css")
    css.watch_files.add("/app/src/imported.css")
    graph.update_module_transform_result(css, TransformResult("x"))
    assert graph.on_file_change("/app/src/imported.css") == {css}
    assert css.transform_result is None
