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

An edited module need not be read again in full: :func:`retokenize` keeps
the tokens before the edit, moves those after it and reads only what
changed (an HMR edit changes a line or two); :class:`TokenCache` keeps the
last tokens of a few modules for it.

Pure: no files; no state between calls but :class:`TokenCache`'s.
"""
from __future__ import annotations

import bisect
import contextlib
import re
import typing as t

from .errors import ViteError
from .text_diff import RecentEntries, common_prefix

__all__ = [
    "NAME", "NUMBER", "PUNCT", "REGEX", "STRING", "TEMPLATE", "ScanError", "Token", "TokenCache",
    "retokenize", "tokenize",
]

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
_CLOSERS = {")": "(", "]": "[", "}": "{"}
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
    _scan(code, pos, None, tokens, stack, len(code) + 1)
    _check_closed(tokens, stack)
    return tokens


def _check_closed(tokens: list[Token], stack: list[int]) -> None:
    if stack:
        opener = tokens[stack[-1]]
        raise ScanError(f"{opener.text!r} at offset {opener.start} is never closed")


def _scan(code: str, pos: int, previous: Token | None, tokens: list[Token], stack: list[int],
          stop_at: int) -> tuple[int, Token | None]:
    """Tokenize ``code`` from ``pos`` onto ``tokens``, ``stack`` the open brackets.

    Returns ``(pos, last token)`` at the end of the code, or as soon as a
    token starting at ``stop_at`` or later has been added.
    """
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
            return pos, previous
        append(previous)
        if start >= stop_at:
            return pos, previous


#: How far past a token's end the patterns above may have looked to end it
#: (``>>>=`` after ``>``, a number's exponent, ``?.`` not before a digit),
#: with room to spare: a token ending closer than this to an edit is read again.
_LOOKAHEAD = 8


class _Stale(Exception):
    """Tokens moved past an edit would not be what tokenizing finds there."""


def retokenize(previous: str, tokens: list[Token], code: str) -> list[Token]:
    """The tokens of ``code``, an edit of ``previous`` whose tokens are ``tokens``.

    The same list :func:`tokenize` gives, made by reading only what changed.
    The tokens ending well before the first changed character are kept;
    tokenizing starts again after them, token by token, until one is a token
    of ``previous`` (same text, kind and depth) moved by the current change
    in length or by the whole edit's; the old tokens after it are then moved
    over as far as the two texts stay the same, and tokenizing starts again
    where they differ next. An edit in a JSX component changes the line
    numbers esbuild prints after it (``lineNumber: 20``): each is such a
    stretch of a token or two. The moved tokens' brackets are matched again
    as they are moved (no regular expressions), checking that they close
    what is open in the new code as they closed it in the old (a ``}`` that
    now ends a template hole); if not, ``code`` is tokenized in full.

    ``tokens`` are reused, not copied: after this call they belong to the
    result and must not be used as the tokens of ``previous`` again.

    :raises ScanError: as :func:`tokenize` does.
    """
    if code == previous:
        return tokens
    keep = bisect.bisect_left(tokens, common_prefix(previous, 0, code, 0) - _LOOKAHEAD, key=_token_end)
    if keep == 0:
        return tokenize(code)
    new = tokens[:keep]
    stack: list[int] = []
    size = len(tokens)
    final = len(code) - len(previous)
    try:
        _rematch(new, 0, stack, 0)
        pos, last = new[-1].end, t.cast("Token | None", new[-1])
        # `delta` moves old offsets to new ones where the texts last agreed;
        # `near` and `far` walk the old tokens under it and under `final`.
        delta = 0
        near = far = keep
        while True:
            count = len(new)
            pos, last = _scan(code, pos, last, new, stack, 0)
            if len(new) == count or last is None:
                break  # the end of the code
            while near < size and tokens[near].start + delta < last.start:
                near += 1
            while far < size and tokens[far].start + final < last.start:
                far += 1
            if near < size and _same(tokens[near], last, delta):
                twin = near
            elif far < size and _same(tokens[far], last, final):
                twin, delta = far, final
            else:
                continue
            # Old tokens over the stretch after the twin where the texts agree
            # (up to where the next difference may have changed how they end).
            old_end = tokens[twin].end
            if not previous.startswith(code[last.end:last.end + _LOOKAHEAD], old_end):
                continue  # another difference right after: nothing to move yet
            same = common_prefix(previous, old_end, code, last.end)
            if old_end + same == len(previous) and last.end + same == len(code):
                stop = size
            else:
                stop = bisect.bisect_left(tokens, old_end + same - _LOOKAHEAD, lo=twin + 1, key=_token_end)
            if stop > twin + 1:
                moved = len(new)
                new += tokens[twin + 1:stop]
                _rematch(new, moved, stack, delta)
                last = new[-1]
                pos = last.end
            near = far = stop
        if stack:
            raise _Stale
    except (_Stale, ScanError):
        # Let tokenize() say what is wrong with the code, if anything.
        return tokenize(code)
    return new


def _same(old: Token, new: Token, delta: int) -> bool:
    """Whether ``new`` is ``old`` moved by ``delta``."""
    return (old.start + delta == new.start and old.end + delta == new.end and old.text == new.text
            and old.kind == new.kind and old.depth == new.depth)


def _token_end(token: Token) -> int:
    return token.end


def _token_start(token: Token) -> int:
    return token.start


def _rematch(tokens: list[Token], lo: int, stack: list[int], delta: int) -> None:
    """Match the brackets of ``tokens[lo:]`` (moved by ``delta``), ``stack`` what is open.

    :raises _Stale: if a bracket or template hole closes something else than
        it closed when it was tokenized.
    """
    for i in range(lo, len(tokens)):
        tok = tokens[i]
        if delta:
            tok.start += delta
            tok.end += delta
        kind = tok.kind
        if kind == PUNCT:
            text = tok.text
            if text in _OPENERS:
                stack.append(i)
            elif text in _CLOSERS:
                if not stack:
                    raise _Stale
                j = stack.pop()
                opener = tokens[j]
                if opener.text != _CLOSERS[text]:  # a template hole's opener is "…${"
                    raise _Stale
                opener.match = i
                tok.match = j
        elif kind == TEMPLATE:
            text = tok.text
            if text[0] == "}" and (not stack or tokens[stack.pop()].kind != TEMPLATE):
                raise _Stale
            if text.endswith(_TEMPLATE_HOLE):
                stack.append(i)


class TokenCache:
    """The tokens of the last few modules tokenized, for :func:`retokenize`.

    ::

        with cache.tokens(id, code) as tokens:
            ...  # read them

    The tokens of ``id``'s previous code are reused when there are some; the
    new ones are kept when the block ends without an exception. Safe to
    share between threads: an entry is taken out while in use (a second
    reader of the same module meanwhile tokenizes in full).

    :param size: How many modules to remember (least recently used dropped).
    """

    def __init__(self, size: int = 16) -> None:
        self._entries: RecentEntries[tuple[str, list[Token]]] = RecentEntries(size)

    @contextlib.contextmanager
    def tokens(self, key: str, code: str) -> t.Iterator[list[Token]]:
        entry = self._entries.take(key)
        tokens = tokenize(code) if entry is None else retokenize(entry[0], entry[1], code)
        yield tokens
        self._entries.keep(key, (code, tokens))


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
