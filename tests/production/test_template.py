"""The page template (pure) and the production settings."""
from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
from flask import Flask

from flask_vite.config import ViteConfig
from flask_vite.errors import ConfigError
from flask_vite.production.template import PageTemplate, TemplateError, split_rendered

TEMPLATE = "<html><head><!--app-head--></head><body><div><!--app-html--></div></body></html>"


@pytest.mark.parametrize(("template", "head", "html", "page"), [
    (TEMPLATE, "<title>t</title>", "<p>x</p>",
     "<html><head><title>t</title></head><body><div><p>x</p></div></body></html>"),
    # No head marker: the head is dropped, as server.js's replace() does.
    ("<div><!--app-html--></div>", "<title>t</title>", "<p>x</p>", "<div><p>x</p></div>"),
    # Only the first of each marker, as JavaScript's String.replace(string).
    ("<!--app-html-->|<!--app-html-->", "", "a", "a|<!--app-html-->"),
    # What a render returns is never read as a marker or a pattern.
    (TEMPLATE, "<!--app-html-->", "$& $1 \\1", "<html><head><!--app-html--></head><body><div>$& $1 \\1</div></body></html>"),
    # The html marker before the head marker.
    ("<!--app-html--><!--app-head-->", "H", "B", "BH"),
])
def test_fill(template: str, head: str, html: str, page: str) -> None:
    assert PageTemplate(template).fill(head, html) == page


def test_custom_placeholders() -> None:
    page = PageTemplate("<head>[[head]]</head>[[html]]", ("[[head]]", "[[html]]"))
    assert page.fill("H", "B") == "<head>H</head>B"


def test_a_template_without_the_html_marker_is_an_error() -> None:
    with pytest.raises(TemplateError, match=r"dist/client/index.html has no <!--app-html--> marker"):
        PageTemplate("<html></html>", source="dist/client/index.html")


@pytest.mark.parametrize(("result", "expected"), [
    ("<p>x</p>", ("", "<p>x</p>")),
    ({"html": "<p>x</p>"}, ("", "<p>x</p>")),
    ({"html": "<p>x</p>", "head": "<title>t</title>"}, ("<title>t</title>", "<p>x</p>")),
    ({"html": None, "head": None}, ("", "")),
    ({}, ("", "")),
])
def test_split_rendered(result: t.Any, expected: tuple[str, str]) -> None:
    assert split_rendered(result, "render()") == expected


@pytest.mark.parametrize("result", [None, 42, ["<p>"], {"html": 1}, {"head": ["x"]}])
def test_split_rendered_rejects_what_is_not_a_page(result: t.Any) -> None:
    with pytest.raises(TemplateError, match=r"render\(\) returned .*; return the HTML as a string"):
        split_rendered(result, "render()")


def config(tmp_path: Path, **settings: t.Any) -> ViteConfig:
    app = Flask(__name__, root_path=str(tmp_path))
    app.config.update(settings)
    return ViteConfig.from_app(app)


def test_production_settings_defaults(tmp_path: Path) -> None:
    c = config(tmp_path)
    assert (c.ssr_workers, c.ssr_max_renders, c.ssr_queue_timeout, c.ssr_batch) == (2, 10_000, 10.0, 16)
    assert c.ssr_placeholders == ("<!--app-head-->", "<!--app-html-->")
    assert c.serve_static is True and c.asset_url is None
    c = config(tmp_path, VITE_ASSET_URL="https://cdn.example.com/app", VITE_SSR_MAX_RENDERS=0)
    assert c.asset_url == "https://cdn.example.com/app/" and c.ssr_max_renders == 0


@pytest.mark.parametrize(("key", "value"), [
    ("VITE_SSR_WORKERS", 0),
    ("VITE_SSR_WORKERS", 1.5),
    ("VITE_SSR_WORKERS", True),
    ("VITE_SSR_MAX_RENDERS", -1),
    ("VITE_SSR_BATCH", 0),
    ("VITE_SSR_QUEUE_TIMEOUT", 0),
    ("VITE_SSR_PLACEHOLDERS", "<!--app-html-->"),
    ("VITE_SSR_PLACEHOLDERS", ("<!--x-->", "<!--x-->")),
    ("VITE_SERVE_STATIC", "sometimes"),
    ("VITE_ASSET_URL", "cdn.example.com"),
])
def test_bad_production_settings_name_the_key(tmp_path: Path, key: str, value: t.Any) -> None:
    with pytest.raises(ConfigError, match=key):
        config(tmp_path, **{key: value})
