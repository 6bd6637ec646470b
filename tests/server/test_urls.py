from __future__ import annotations

import pytest

from flask_vite.server import urls


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/a.js", "/a.js"),
        ("/a.js?import", "/a.js"),
        ("/a.js#x", "/a.js"),
        ("/a.js?x#y", "/a.js"),
        ("/a.js#y?x", "/a.js"),
        ("/a\nb.js?x", "/a\nb.js"),
    ],
)
def test_clean_url(url: str, expected: str) -> None:
    assert urls.clean_url(url) == expected


def test_split_file_and_postfix_and_query() -> None:
    assert urls.split_file_and_postfix("/a.js?raw#x") == ("/a.js", "?raw#x")
    assert urls.query_string("/a.js?raw&x=1#frag") == "raw&x=1"
    assert urls.query_string("/a.js#frag") == ""
    assert urls.parse_query("/a?import&raw??&v=1") == [("import", ""), ("raw??", ""), ("v", "1")]
    assert urls.has_query_flag("/a?x&raw=1", "raw")
    assert not urls.has_query_flag("/a?rawx", "raw")


@pytest.mark.parametrize(
    ("url", "js"),
    [
        ("/src/main.ts", True),
        ("/src/App.tsx?t=1700000000000", True),
        ("/src/a.mjs", True),
        ("/src/Comp.vue", True),
        ("/src/App", True),  # extension-less: the resolver decides
        ("/src/.env", True),  # Node's extname('.env') is '' — so the access check must run
        ("/src/", False),
        ("/logo.png", False),
        ("/style.css", False),
        ("/index.html", False),
    ],
)
def test_is_js_request(url: str, js: bool) -> None:
    assert urls.is_js_request(url) is js


@pytest.mark.parametrize(
    ("url", "css", "direct_css"),
    [
        ("/a.css", True, False),
        ("/a.scss?import", True, False),
        ("/a.module.css?direct", True, True),
        ("/a.css.js", False, False),
        ("/a.js?x.css", True, False),  # as Vite's CSS_LANGS_RE: a query can end in .css
    ],
)
def test_css_requests(url: str, css: bool, direct_css: bool) -> None:
    assert urls.is_css_request(url) is css
    assert urls.is_direct_css_request(url) is direct_css


@pytest.mark.parametrize(
    ("url", "flags"),
    [
        ("/a.svg?import", {"import"}),
        ("/a.svg?import=", {"import"}),
        ("/a.svg?x&import&y", {"import"}),
        ("/a.svg?imports", set()),
        ("/a.png?url", {"url", "special"}),
        ("/a.png?import&url", {"import", "url", "special"}),
        ("/a.txt?raw", {"raw", "special"}),
        ("/a.txt?raw=1", {"special"}),
        ("/w.js?worker", {"special"}),
        ("/index.html?html-proxy&index=0.js", {"html-proxy"}),
    ],
)
def test_query_flags(url: str, flags: set[str]) -> None:
    assert urls.is_import_request(url) is ("import" in flags)
    assert urls.is_url_request(url) is ("url" in flags)
    assert urls.is_raw_request(url) is ("raw" in flags)
    assert urls.is_special_query(url) is ("special" in flags)
    assert urls.is_html_proxy(url) is ("html-proxy" in flags)


@pytest.mark.parametrize(
    ("url", "verbatim"),
    [
        ("/.env?raw", True),
        ("/.env?raw=1", True),
        ("/.env?url", True),
        ("/.env?inline", True),
        ("/.env?import&?inline=1.wasm?init", True),
        ("/.env?.svg?import", True),
        ("/a.svg", True),
        ("/a.ts", False),
        ("/a.ts?import", False),
    ],
)
def test_reads_file_verbatim(url: str, verbatim: bool) -> None:
    assert urls.reads_file_verbatim(url) is verbatim


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/a.svg?import", "/a.svg"),
        ("/a.svg?import&raw", "/a.svg?raw"),
        ("/a.svg?raw&import", "/a.svg?raw"),
        ("/a.svg?x&import&y", "/a.svg?x&y"),
        ("/a.svg?imported", "/a.svg?imported"),
    ],
)
def test_remove_import_query(url: str, expected: str) -> None:
    assert urls.remove_import_query(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/a.ts?t=1700000000000", "/a.ts"),
        ("/a.ts?import&t=1700000000000", "/a.ts?import"),
        ("/a.ts?t=1700000000000&import", "/a.ts?import"),
        ("/a.ts?t=17", "/a.ts?t=17"),  # not a millisecond timestamp
        ("/a.ts", "/a.ts"),
    ],
)
def test_remove_timestamp_query(url: str, expected: str) -> None:
    assert urls.remove_timestamp_query(url) == expected


def test_remove_direct_and_url_queries() -> None:
    assert urls.remove_direct_query("/a.css?direct") == "/a.css"
    assert urls.remove_url_query("/a.png?url&x") == "/a.png?x"


@pytest.mark.parametrize(
    ("url", "query", "expected"),
    [
        ("/a.css", "direct", "/a.css?direct"),
        ("/a.css?x=1", "direct", "/a.css?direct&x=1"),
        ("/a.css#h", "direct", "/a.css?direct#h"),
        ("C:\\x\\a.css", "direct", "C:/x/a.css?direct"),
    ],
)
def test_inject_query(url: str, query: str, expected: str) -> None:
    assert urls.inject_query(url, query) == expected


@pytest.mark.parametrize(
    ("encoded", "uri", "component"),
    [
        ("/a%20b", "/a b", "/a b"),
        ("/%C3%A5%C3%A4%C3%B6", "/åäö", "/åäö"),
        ("/src/%2e%2e%2funsafe%2etxt", "/src/..%2funsafe.txt", "/src/../unsafe.txt"),
        ("/%252e%252e", "/%2e%2e", "/%2e%2e"),  # decoded once, never twice
        ("/a%3Fb%23c", "/a%3Fb%23c", "/a?b#c"),
        ("/a%25", "/a%", "/a%"),
        ("/plain", "/plain", "/plain"),
        ("/%F0%9F%98%80", "/😀", "/😀"),
    ],
)
def test_decode_uri_and_component(encoded: str, uri: str, component: str) -> None:
    assert urls.decode_uri(encoded) == uri
    assert urls.decode_uri_component(encoded) == component


@pytest.mark.parametrize("bad", ["/%", "/%zz", "/a%2", "/%ff", "/%C3", "/%C3%28", "/ok%20then%"])
def test_malformed_percent_encoding_raises(bad: str) -> None:
    with pytest.raises(ValueError):
        urls.decode_uri(bad)
    with pytest.raises(ValueError):
        urls.decode_uri_component(bad)
    assert urls.decode_uri_if_possible(bad) is None


@pytest.mark.parametrize(
    ("path", "base", "expected"),
    [
        ("/app/x.js", "/app/", "/x.js"),
        ("/app/", "/app/", "/"),
        ("/app", "/app/", "/"),
        ("/other/x.js", "/app/", "/other/x.js"),
        ("/application/x", "/app/", "/application/x"),
    ],
)
def test_strip_base(path: str, base: str, expected: str) -> None:
    assert urls.strip_base(path, base) == expected


def test_join_url_segments() -> None:
    assert urls.join_url_segments("/app/", "/x") == "/app/x"
    assert urls.join_url_segments("/app", "x") == "/app/x"
    assert urls.join_url_segments("", "/x") == "/x"
    assert urls.join_url_segments("/app/", "") == "/app/"


def test_wrap_and_unwrap_id() -> None:
    assert urls.wrap_id("\0virtual:x") == "/@id/__x00__virtual:x"
    assert urls.unwrap_id("/@id/__x00__virtual:x") == "\0virtual:x"
    assert urls.wrap_id("/@id/react") == "/@id/react"
    assert urls.unwrap_id("/src/a.ts") == "/src/a.ts"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/a/./b/../c", "/a/c"),
        ("/a/b/", "/a/b/"),
        ("a\\b", "a/b"),
        ("//a//b", "/a/b"),
        ("/../../etc", "/etc"),
    ],
)
def test_normalize_path(path: str, expected: str) -> None:
    assert urls.normalize_path(path) == expected


def test_fs_paths_and_urls() -> None:
    assert urls.fs_path_from_id("/@fs/home/me/x.js") == "/home/me/x.js"
    assert urls.fs_path_from_id("/@fs//home/me/x.js") == "/home/me/x.js"
    assert urls.fs_path_from_id("home/x.js") == "/home/x.js"
    assert urls.fs_path_from_url("/@fs/home/me/x.js?import") == "/home/me/x.js"
    assert urls.fs_path_to_url("/home/me/a b.js") == "/@fs/home/me/a%20b.js"
    assert urls.fs_path_to_url("C:\\lib\\x.js") == "/@fs/C:/lib/x.js"
    assert urls.file_to_url("/r/src/a.ts", "/r") == "/src/a.ts"
    assert urls.file_to_url("/o/a.ts", "/r") == "/@fs/o/a.ts"
    assert urls.file_to_url("/rr/a.ts", "/r") == "/@fs/rr/a.ts"


def test_extname_matches_node() -> None:
    assert urls.extname("/a/b.js") == ".js"
    assert urls.extname("/a/.env") == ""
    assert urls.extname("/a/.env.local") == ".local"
    assert urls.extname("/a/b.tar.gz") == ".gz"
    assert urls.extname("/a.b/c") == ""
    assert urls.extname("/a/") == ""


def test_internal_and_optimized_dep_urls() -> None:
    assert urls.is_internal_request("/@fs/x")
    assert urls.is_internal_request("/@vite/client")
    assert urls.is_internal_request("/@id/react")
    assert not urls.is_internal_request("/src/@fs/x")
    assert urls.is_optimized_dep_url("/node_modules/.vite/deps/react.js?v=1a2b3c4d")
    assert not urls.is_optimized_dep_url("/node_modules/.vite/deps/react.js")
    assert not urls.is_optimized_dep_url("/src/a.js?v=1a2b")


def test_prettify_url() -> None:
    assert urls.prettify_url("/@fs/r/src/a.ts?t=1700000000000", "/r") == "src/a.ts"
    assert urls.prettify_url("/r/src/a.ts", "/r") == "src/a.ts"
    assert urls.prettify_url("/src/a.ts", "/r") == "/src/a.ts"
