"""A JavaScript tokenizer with matched brackets, for code we only need to read.

:mod:`flask_vite.js_lexer` finds imports and exports; some transforms need a
little more of the structure: where a top-level statement ends, which ``{``
opens a function body, what an argument list holds. :func:`tokenize` turns
*valid* JavaScript into a flat list of :class:`Token` (comments and white
space dropped) where every bracket knows its partner and every token its
nesting depth, which is enough to walk the code like a very small parser::

    tokens = tokenize("function App() { return f(a, [b]) }")
    body = tokens[4]                     # "{"
    tokens[body.match].text              # "}"

Strings, template literals (with their ``${}`` holes, whose contents are
tokens like any other), regular expressions and comments are recognised, so
a bracket or a keyword inside them never counts. The regex-versus-division
question is settled by the previous token, as JavaScript engines'
tokenizers do without a grammar: after ``)``, ``]``, ``}``, a name or a
literal a ``/`` divides; after an operator or one of the keywords that
precede expressions (``return``, ``typeof`` …) it starts a regex. The one
case this misreads, a regex literal starting a statement right after a
block's ``}``, is not something esbuild prints.

Pure: no files, no state between calls.
"""
from __future__ import annotations

import re

from .errors import ViteError

__all__ = ["NAME", "NUMBER", "PUNCT", "REGEX", "STRING", "TEMPLATE", "ScanError", "Token", "tokenize"]

#: Token kinds.
NAME = "name"
NUMBER = "number"
STRING = "string"
TEMPLATE = "template"
REGEX = "regex"
PUNCT = "punct"


class ScanError(ViteError):
    """The code is not JavaScript this tokenizer can follow (unbalanced brackets …)."""

    code = "JS_SCAN"


class Token:
    """One token. ``match`` is the index of the partner bracket (``-1`` otherwise).

    ``depth`` counts the brackets (and template holes) around the token; an
    opening bracket and its closing partner both have the depth outside them.
    """

    __slots__ = ("kind", "text", "start", "end", "depth", "match")

    def __init__(self, kind: str, text: str, start: int, end: int, depth: int) -> None:
        self.kind = kind
        self.text = text
        self.start = start
        self.end = end
        self.depth = depth
        self.match = -1

    def is_(self, text: str) -> bool:
        """Whether this is the punctuator or name ``text`` (not a string that holds it)."""
        return self.text == text and self.kind in (PUNCT, NAME)

    def __repr__(self) -> str:
        return f"<{self.kind} {self.text!r} @{self.start} d{self.depth}>"


_ID_START = r"[A-Za-z_$\u0080-\U0010ffff]|\\u[0-9a-fA-F]{4}|\\u\{[0-9a-fA-F]+\}"
_ID_PART = r"[\w$\u0080-\U0010ffff]|\\u[0-9a-fA-F]{4}|\\u\{[0-9a-fA-F]+\}"
_TOKEN_RE = re.compile(
    r"(?P<ws>[\s\ufeff]+)"
    r"|(?P<comment>//[^\n\r\u2028\u2029]*|/\*[\s\S]*?\*/)"
    rf"|(?P<name>#?(?:{_ID_START})(?:{_ID_PART})*)"
    r"|(?P<number>0[xXoObB][\da-fA-F_]+n?|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?n?)"
    r"""|(?P<string>"(?:[^"\\\n\r]|\\[\s\S])*"|'(?:[^'\\\n\r]|\\[\s\S])*')"""
    r"|(?P<template>`)"
    r"|(?P<slash>/)"
    r"|(?P<punct>>>>=|\.\.\.|===|!==|\*\*=|<<=|>>=|>>>|&&=|\|\|=|\?\?=|=>|==|!=|<=|>=|&&|\|\||\?\?"
    r"|\?\.(?!\d)|\+\+|--|\*\*|<<|>>|[-+*%&|^]=|[-+*%&|^!~<>=?:.,;(){}\[\]@])"
)
# The text of a template literal up to its end (`) or its next hole (${).
_TEMPLATE_CHUNK_RE = re.compile(r"(?:[^`\\$]|\\[\s\S]|\$(?!\{))*(?:`|\$\{)")
_REGEX_RE = re.compile(r"/(?:[^/\\\[\n\r]|\\.|\[(?:[^\]\\\n\r]|\\.)*\])+/[\w$]*")
_DIVISION_RE = re.compile(r"/=?")
# After these names an expression starts, so "/" opens a regex.
_EXPRESSION_KEYWORDS = frozenset((
    "return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw", "case",
    "do", "else", "yield", "await", "extends",
))
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_TEMPLATE_HOLE = "${"


def _slash_divides(previous: Token | None) -> bool:
    if previous is None:
        return False
    if previous.kind == PUNCT:
        return previous.text in (")", "]", "}", "++", "--")
    if previous.kind == NAME:
        return previous.text not in _EXPRESSION_KEYWORDS
    return previous.kind != TEMPLATE or previous.text.endswith("`")


def tokenize(code: str) -> list[Token]:
    """The tokens of ``code``, brackets matched.

    :raises ScanError: for an unterminated string, template, regex or
        comment, or an unbalanced bracket, with its offset.
    """
    tokens: list[Token] = []
    # Indexes of open brackets; a template hole is an open "${".
    stack: list[int] = []
    # A hashbang line is a comment.
    pos = code.index("\n") if code.startswith("#!") and "\n" in code else 0
    end = len(code)
    previous: Token | None = None
    match_token = _TOKEN_RE.match
    while pos < end:
        m = match_token(code, pos)
        if m is None:
            raise ScanError(f"unexpected character {code[pos]!r} at offset {pos}")
        kind = m.lastgroup
        if kind == "ws" or kind == "comment":
            pos = m.end()
            continue
        depth = len(stack)
        if kind == "template":
            token = _template_chunk(code, pos, depth)
            if token.text.endswith(_TEMPLATE_HOLE):
                stack.append(len(tokens))
            tokens.append(token)
        elif kind == "slash":
            if code.startswith("/*", pos):
                raise ScanError(f"unterminated comment at offset {pos}")
            pattern = _DIVISION_RE if _slash_divides(previous) else _REGEX_RE
            found = pattern.match(code, pos)
            if found is None:
                raise ScanError(f"unterminated regular expression at offset {pos}")
            token = Token(PUNCT if pattern is _DIVISION_RE else REGEX, found.group(), pos, found.end(), depth)
            tokens.append(token)
        elif kind == "punct" and m.group() in ")]}":
            text = m.group()
            if not stack:
                raise ScanError(f"unbalanced {text!r} at offset {pos}")
            open_index = stack.pop()
            opener = tokens[open_index]
            if opener.kind == TEMPLATE:
                if text != "}":
                    raise ScanError(f"unbalanced {text!r} at offset {pos}")
                # The hole closes: the template literal goes on. (Template
                # chunks keep match = -1: a middle chunk both closes and opens.)
                token = _template_chunk(code, pos, len(stack))
                if token.text.endswith(_TEMPLATE_HOLE):
                    stack.append(len(tokens))
            else:
                if _OPENERS[opener.text] != text:
                    raise ScanError(
                        f"{opener.text!r} at offset {opener.start} closed by {text!r} at {pos}")
                token = Token(PUNCT, text, pos, m.end(), len(stack))
                token.match = open_index
                opener.match = len(tokens)
            tokens.append(token)
        else:
            token = Token(kind or PUNCT, m.group(), pos, m.end(), depth)
            if kind == "punct" and token.text in _OPENERS:
                stack.append(len(tokens))
            tokens.append(token)
        previous = token
        pos = token.end
    if stack:
        opener = tokens[stack[-1]]
        raise ScanError(f"{opener.text!r} at offset {opener.start} is never closed")
    return tokens


def _template_chunk(code: str, pos: int, depth: int) -> Token:
    """The template text from ``pos`` (a backtick or the ``}`` closing a hole)."""
    m = _TEMPLATE_CHUNK_RE.match(code, pos + 1)
    if m is None:
        raise ScanError(f"unterminated template literal at offset {pos}")
    return Token(TEMPLATE, code[pos:m.end()], pos, m.end(), depth)
