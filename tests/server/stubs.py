"""STAND-INS for the module pipeline, for the handler tests only.

The real pipeline (``DevEnvironment.transform_request``, the module graph,
the plugins) is tested in its own modules; these tests exercise the request
chain around it. :class:`LeakyEnvironment` is deliberately naive: it reads
whatever file a URL names, with no access check, so the security tests prove
that the *chain* stops hostile requests before any pipeline sees them.
The lead replaces the transform tests that use it with real-pipeline ones.
"""
from __future__ import annotations

import json
import typing as t
from pathlib import Path

from flask_vite.config import ViteConfig
from flask_vite.server.transform_result import TransformResult
from flask_vite.server.urls import (
    FS_PREFIX,
    clean_url,
    has_query_flag,
    is_css_request,
    is_direct_request,
    remove_timestamp_query,
)


class StubNode:
    def __init__(
        self, url: str, result: TransformResult | None, last_hmr_timestamp: int = 0
    ) -> None:
        self.url = url
        self.transform_result = result
        self.last_hmr_timestamp = last_hmr_timestamp


class StubModuleGraph:
    """``get_module_by_etag`` / ``get_module_by_url`` over what was transformed."""

    def __init__(self) -> None:
        self.by_url: dict[str, StubNode] = {}

    def get_module_by_etag(self, etag: str) -> StubNode | None:
        for node in self.by_url.values():
            if node.transform_result is not None and node.transform_result.etag == etag:
                return node
        return None

    def get_module_by_url(self, url: str) -> StubNode | None:
        return self.by_url.get(remove_timestamp_query(url))


class LeakyEnvironment:
    """A stand-in ``environments["client"]`` that serves any file a URL names.

    ``?raw`` → ``export default "<file text>"``; CSS → a JS module, or the
    CSS itself with ``?direct``; anything else → the file's text as "JS".
    Missing files → ``None``. ``raise_for`` maps URLs to exceptions to raise.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.module_graph = StubModuleGraph()
        self.requests: list[str] = []
        self.raise_for: dict[str, BaseException] = {}

    def transform_request(self, url: str) -> TransformResult | None:
        self.requests.append(url)
        if url in self.raise_for:
            raise self.raise_for[url]
        path = clean_url(url)
        if path.startswith(FS_PREFIX):
            file = Path(path[len(FS_PREFIX) - 1:])
        else:
            file = self.root / path.lstrip("/")
        if not file.is_file():
            return None
        text = file.read_text(errors="replace")
        if any(has_query_flag(url, flag) for flag in ("raw", "inline", "url")):
            result = TransformResult(f"export default {json.dumps(text)}")
        elif is_css_request(url) and is_direct_request(url):
            result = TransformResult(text, content_type="text/css")
        elif is_css_request(url):
            result = TransformResult(f"const css = {json.dumps(text)}; export default css")
        else:
            result = TransformResult(f"/* transformed */\n{text}")
        self.module_graph.by_url[url] = StubNode(url, result)
        return result


class StubServer:
    """The slice of :class:`~flask_vite.server.dev_server.DevServer` the chain uses."""

    def __init__(self, config: ViteConfig, *, with_environment: bool = True) -> None:
        self.config = config
        self.environments: dict[str, t.Any] = (
            {"client": LeakyEnvironment(config.root)} if with_environment else {}
        )
        self.index_html_calls: list[tuple[str, str | None]] = []

    @property
    def fs_allow(self) -> tuple[Path, ...]:
        return (self.config.root, self.config.cache_dir, *self.config.fs_allow)

    def transform_index_html(self, url: str, html: str, original_url: str | None = None) -> str:
        # Stand-in for the HTML transforms: mark the page so tests can tell.
        self.index_html_calls.append((url, original_url))
        client = '<script type="module" src="/@vite/client"></script>'
        return html.replace("<head>", "<head>" + client, 1)
