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
# One match per token, white space and comments before it included (one
# Python step per token, not two): the token is the named group that matched.
_TOKEN_RE = re.compile(
    r"(?:[\s\ufeff]+|//[^\n\r\u2028\u2029]*|/\*[\s\S]*?\*/)*"
    r"(?:"
    rf"(?P<name>#?(?:{_ID_START})(?:{_ID_PART})*)"
    r"|(?P<open>[(\[{])"
    r"|(?P<close>[)\]}])"
    r"|(?P<number>0[xXoObB][\da-fA-F_]+n?|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?n?)"
    r"|(?P<punct>>>>=|\.\.\.|===|!==|\*\*=|<<=|>>=|>>>|&&=|\|\|=|\?\?=|=>|==|!=|<=|>=|&&|\|\||\?\?"
    r"|\?\.(?!\d)|\+\+|--|\*\*|<<|>>|[-+*%&|^]=|[-+*%&|^!~<>=?:.,;@])"
    r"""|(?P<string>"(?:[^"\\\n\r]|\\[\s\S])*"|'(?:[^'\\\n\r]|\\[\s\S])*')"""
    r"|(?P<template>`)"
    r"|(?P<slash>/)"
    r"|(?P<end>\Z)"
    r")"
)
_SPACE_RE = re.compile(r"(?:[\s\ufeff]+|//[^\n\r\u2028\u2029]*|/\*[\s\S]*?\*/)*")
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
    previous: Token | None = None
    match_token = _TOKEN_RE.match
    append = tokens.append
    while True:
        m = match_token(code, pos)
        if m is None:
            pos = _SPACE_RE.match(code, pos).end()  # type: ignore[union-attr]
            raise ScanError(f"unexpected character {code[pos]!r} at offset {pos}")
        kind = m.lastgroup
        start, pos = m.span(kind)  # type: ignore[arg-type]
        if kind == "name" or kind == "punct":
            previous = Token(NAME if kind == "name" else PUNCT, m[kind], start, pos, len(stack))
        elif kind == "open":
            stack.append(len(tokens))
            previous = Token(PUNCT, m[kind], start, pos, len(stack) - 1)
        elif kind == "close":
            previous = _close(code, m[kind], start, pos, tokens, stack)
            if previous.kind == TEMPLATE:
                pos = previous.end
        elif kind == "number" or kind == "string":
            previous = Token(kind, m[kind], start, pos, len(stack))
        elif kind == "template":
            previous = _template_chunk(code, start, len(stack))
            if previous.text.endswith(_TEMPLATE_HOLE):
                stack.append(len(tokens))
            pos = previous.end
        elif kind == "slash":
            if code.startswith("/*", start):
                raise ScanError(f"unterminated comment at offset {start}")
            divides = _slash_divides(previous)
            found = (_DIVISION_RE if divides else _REGEX_RE).match(code, start)
            if found is None:
                raise ScanError(f"unterminated regular expression at offset {start}")
            pos = found.end()
            previous = Token(PUNCT if divides else REGEX, found.group(), start, pos, len(stack))
        else:  # end of the code
            break
        append(previous)
    if stack:
        opener = tokens[stack[-1]]
        raise ScanError(f"{opener.text!r} at offset {opener.start} is never closed")
    return tokens


def _close(code: str, text: str, start: int, end: int, tokens: list[Token],
           stack: list[int]) -> Token:
    """The token for a closing bracket: matched with its opener, or the rest of
    a template literal when it closes a ``${`` hole."""
    if not stack:
        raise ScanError(f"unbalanced {text!r} at offset {start}")
    open_index = stack.pop()
    opener = tokens[open_index]
    if opener.kind == TEMPLATE:
        if text != "}":
            raise ScanError(f"unbalanced {text!r} at offset {start}")
        # The template literal goes on. (Template chunks keep match = -1: a
        # middle chunk both closes one hole and opens the next.)
        token = _template_chunk(code, start, len(stack))
        if token.text.endswith(_TEMPLATE_HOLE):
            stack.append(len(tokens))
        return token
    if _OPENERS[opener.text] != text:
        raise ScanError(f"{opener.text!r} at offset {opener.start} closed by {text!r} at {start}")
    token = Token(PUNCT, text, start, end, len(stack))
    token.match = open_index
    opener.match = len(tokens)
    return token


def _template_chunk(code: str, pos: int, depth: int) -> Token:
    """The template text from ``pos`` (a backtick or the ``}`` closing a hole)."""
    m = _TEMPLATE_CHUNK_RE.match(code, pos + 1)
    if m is None:
        raise ScanError(f"unterminated template literal at offset {pos}")
    return Token(TEMPLATE, code[pos:m.end()], pos, m.end(), depth)
