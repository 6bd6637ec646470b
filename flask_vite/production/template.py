"""The page template: ``index.html`` with the places a render's output goes.

Pure (no files): split once, filled per request. create-vite-extra's
``server.js`` does ``template.replace('<!--app-head-->', head)
.replace('<!--app-html-->', html)``; splitting first gives the same page,
but a ``head`` that happens to contain the html marker cannot move the app's
HTML into ``<head>``, and a request never changes the template others use.
"""
from __future__ import annotations

import typing as t

from ..errors import ViteError

#: create-vite-extra's markers: ``(head, html)``.
DEFAULT_PLACEHOLDERS = ("<!--app-head-->", "<!--app-html-->")


class TemplateError(ViteError):
    """The template lacks the marker the app's HTML goes to, or a render
    returned something that is not a page."""

    code = "SSR_TEMPLATE"


class PageTemplate:
    """A template split at its markers (the first of each, as JavaScript's
    ``String.replace`` with a string does).

    :param html: The template's text.
    :param placeholders: The ``(head, html)`` markers. The head marker is
        optional (without it, a render's ``head`` is dropped, as in
        ``server.js``); the html marker is not.
    :param source: Names the template in errors.
    :raises TemplateError: the html marker is missing.
    """

    def __init__(self, html: str, placeholders: tuple[str, str] = DEFAULT_PLACEHOLDERS,
                 *, source: str = "index.html") -> None:
        head_marker, html_marker = placeholders
        html_at = html.find(html_marker)
        if html_at < 0:
            raise TemplateError(
                f"{source} has no {html_marker} marker: put it where the server-rendered HTML goes,"
                f" e.g. <div id=\"root\">{html_marker}</div> (VITE_SSR_PLACEHOLDERS names the markers).")
        head_at = html.find(head_marker)
        # (position, marker length, which output) in page order.
        cuts = sorted([(html_at, len(html_marker), 1)]
                      + ([(head_at, len(head_marker), 0)] if head_at >= 0 else []))
        self.parts: list[str] = []
        self.slots: list[int] = []
        position = 0
        for at, length, slot in cuts:
            self.parts.append(html[position:at])
            self.slots.append(slot)
            position = at + length
        self.parts.append(html[position:])
        self.source = source

    def fill(self, head: str, html: str) -> str:
        """The page with ``head`` and ``html`` in place."""
        outputs = (head, html)
        pieces = [self.parts[0]]
        for slot, part in zip(self.slots, self.parts[1:]):
            pieces.append(outputs[slot])
            pieces.append(part)
        return "".join(pieces)


def split_rendered(result: t.Any, what: str) -> tuple[str, str]:
    """``(head, html)`` from what ``render()`` returned: a string is the
    html; an object gives ``html`` and ``head`` (both optional, as in
    ``server.js``: ``rendered.head ?? ''``).

    :param what: Names the function in errors.
    :raises TemplateError: for anything else.
    """
    if isinstance(result, str):
        return "", result
    if isinstance(result, dict):
        head, html = result.get("head"), result.get("html")
        head = "" if head is None else head
        html = "" if html is None else html
        if isinstance(head, str) and isinstance(html, str):
            return head, html
    raise TemplateError(
        f"{what} returned {_describe(result)}; return the HTML as a string, or an object"
        " { html, head } of strings.")


def _describe(value: t.Any) -> str:
    if value is None:
        return "null/undefined"
    if isinstance(value, dict):
        fields = ", ".join(f"{k}: {type(v).__name__}" for k, v in list(value.items())[:5])
        return f"an object {{{fields}}}"
    return f"a {type(value).__name__}"
