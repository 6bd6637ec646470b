"""Which URL paths can be prerendered, and the file of each (pure)."""
from __future__ import annotations

import typing as t

import pytest

from flask_vite.prerender_routes import check_route, check_routes, page_file, page_path


@pytest.mark.parametrize(("route", "file"), [
    ("/", "index.html"),
    ("/about", "about.html"),
    ("/about/", "about/index.html"),
    ("/docs/intro", "docs/intro.html"),
    ("/docs/intro/", "docs/intro/index.html"),
    ("/café", "café.html"),
    ("/a b", "a b.html"),
    ("/v1.2", "v1.2.html"),
])
def test_page_file_and_back(route: str, file: str) -> None:
    assert check_route(route) == route
    assert page_file(route) == file
    assert page_path(file) == route


@pytest.mark.parametrize(("route", "says"), [
    ("", "expected a URL path"),
    (None, "expected a URL path"),
    (7, "expected a URL path"),
    ("about", "must start with '/'"),
    ("https://example.com/", "must start with '/'"),
    ("/about?tab=1", "query string"),
    ("/about#team", "query string or a fragment"),
    ("/?", "query string"),
    ("/../etc/passwd", "'..' segment"),
    ("/a/../../b", "'..' segment"),
    ("/a/./b", "'.' or '..' segment"),
    ("/..", "'..' segment"),
    ("//evil.example/x", "empty"),
    ("/a//b", "empty"),
    ("//", "empty"),
    ("/a\\..\\b", "backslash"),
    ("/a\0b", "control character"),
    ("/a\nb", "control character"),
    ("/caf%C3%A9", "percent-encoded"),
    ("/%2e%2e/x", "percent-encoded"),
    ("/.env", "starting with '.'"),
    ("/.well-known/x", "starting with '.'"),
])
def test_hostile_or_impossible_routes_are_refused(route: t.Any, says: str) -> None:
    with pytest.raises(ValueError) as e:
        check_route(route)
    assert says in str(e.value)
    if isinstance(route, str) and route:
        assert repr(route) in str(e.value)  # the message names the route


def test_routes_keep_their_order_drop_repeats_and_never_share_a_file() -> None:
    assert check_routes(["/about", "/", "/about", "/about/"]) == ("/about", "/", "/about/")
    with pytest.raises(ValueError, match=r"'/' and '/index' would both be written to index.html"):
        check_routes(["/", "/index"])
    with pytest.raises(ValueError, match=r"'/\.\./x'"):
        check_routes(["/", "/../x"])
