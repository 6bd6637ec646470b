"""ES module lexer: the imports and exports of JavaScript source, without Node.

A pure-Python equivalent of `es-module-lexer`_ (2.3), which Vite's import
analysis, dependency optimizer and SSR transform all rely on. :func:`parse`
returns the same records with the same offsets, so code ported from Vite can
use them unchanged::

    imports, exports = parse("import x from './x.js'; export const y = 1")
    imports[0].n                        # './x.js'
    source[imports[0].s:imports[0].e]   # the specifier text, to rewrite it

Like the original this is a *lexer*, not a parser: it tokenizes just enough of
the language (comments, strings, templates, regular expressions, brackets) to
find ``import`` / ``export`` syntax reliably in valid JavaScript. It is not a
validator; some invalid source is accepted. The regex-versus-division
ambiguity is settled the same way es-module-lexer does it: by looking at the
previous significant token, and for a ``)`` or ``}`` at the token before its
matching opener (``if (a) /re/`` versus ``(a) / b``).

Offsets are indexes into the Python string (code points). es-module-lexer
reports UTF-16 code units; the two differ only after a character outside the
Basic Multilingual Plane.

Differences from es-module-lexer, all on malformed input: an unterminated
``/* comment`` raises :class:`LexError` (it is silently accepted there); an
unclosed bracket is reported where it opened (not at offset 0); after a first
error we stop (the C code sometimes runs on and reports a later offset).
Limitations shared with it: a regex literal is taken for a division right after
an ASI-terminated ``import ... 'x'`` or ``export { ... }`` line, or after a
``{}`` block that opens the file - it raises if the regex holds a quote.

Speed matters (pre-bundled dependencies run to megabytes), so the hot loop
never walks the source one character at a time in Python: a compiled regular
expression jumps over everything that cannot change the lexer's state, and
Python only sees brackets, quotes, slashes and the ``import`` / ``export`` /
``class`` keywords.

.. _es-module-lexer: https://github.com/guybedford/es-module-lexer
"""
from __future__ import annotations

import bisect
import dataclasses
import re
import typing as t

from .errors import ViteError
from .text_diff import RecentEntries, common_prefix, common_suffix

__all__ = [
    "ExportSpec",
    "ImportSpec",
    "LexCache",
    "LexError",
    "LexResult",
    "analyze",
    "lex_accepted_hmr_deps",
    "lex_accepted_hmr_exports",
    "parse",
]

# ImportSpec.t values, as es-module-lexer's ImportType enum.
IMPORT_STATIC = 1
IMPORT_DYNAMIC = 2
IMPORT_META = 3
IMPORT_STATIC_SOURCE = 4
IMPORT_DYNAMIC_SOURCE = 5
IMPORT_STATIC_DEFER = 6
IMPORT_DYNAMIC_DEFER = 7


@dataclasses.dataclass
class ImportSpec:
    """One ``import`` found in the source (static, dynamic or ``import.meta``).

    For a static import ``s:e`` is the specifier *inside* its quotes; for a
    dynamic import it is the whole first argument (quotes included); for
    ``import.meta`` it spans ``import.meta``.
    """

    #: The specifier with escapes decoded, or ``None`` when it is not a string
    #: literal (``import(name)``, ``import(`./${p}.js`)``) and for ``import.meta``.
    n: str | None
    #: The kind: 1 static, 2 dynamic, 3 ``import.meta``, 4/5 static/dynamic
    #: source phase, 6/7 static/dynamic defer phase.
    t: int
    s: int
    #: End of the specifier; -1 if a dynamic import's end could not be found.
    e: int
    #: Statement start: the ``import`` / ``export`` keyword.
    ss: int
    #: Statement end (just after the closing quote, ``}`` or ``)``); -1 when
    #: unknown, e.g. an outer dynamic import around a nested one.
    se: int
    #: -1 static import or re-export, -2 ``import.meta``, otherwise the index
    #: of a dynamic import's ``(``.
    d: int
    #: Start of the import attributes (``{`` of ``with { ... }``, or the second
    #: argument of a dynamic import), -1 without.
    a: int
    #: Parsed static import attributes as ``(key, value)`` pairs, or ``None``.
    at: list[tuple[str, str]] | None = None


@dataclasses.dataclass
class ExportSpec:
    """One exported name."""

    #: The exported name (string names such as ``"a b"`` decoded).
    n: str
    #: The local name, ``None`` for ``export default <expr>`` and re-exports.
    ln: str | None
    s: int
    e: int
    #: Start/end of the local name, -1 when there is none.
    ls: int
    le: int
    #: Start of the ``export`` statement.
    ss: int = -1


class LexResult(t.NamedTuple):
    """Everything :func:`analyze` finds, as es-module-lexer's full ``parse``."""

    imports: list[ImportSpec]
    exports: list[ExportSpec]
    #: True when the module has nothing but import/export statements.
    facade: bool
    #: True when the module uses ESM syntax (dynamic ``import()`` does not count).
    has_module_syntax: bool


class LexError(ViteError):
    """The source is not valid JavaScript (where the lexer could tell).

    The message reads ``Parse error <name>:<line>:<column>: <reason>`` like
    es-module-lexer's; :attr:`idx` is the offset in the source.
    """

    code = "JS_PARSE"

    def __init__(self, reason: str, *, name: str, source: str, idx: int) -> None:
        # Same line/column arithmetic as es-module-lexer's message: 1-based
        # line, column counted from the previous newline.
        line = source.count("\n", 0, idx) + 1
        column = idx - source.rfind("\n", 0, idx)
        super().__init__(f"Parse error {name}:{line}:{column}: {reason}")
        self.name = name
        self.idx = idx
        self.line = line
        self.column = column
        self.reason = reason


# -- character classes --------------------------------------------------------
# These mirror es-module-lexer exactly, including its quirks: only ASCII
# whitespace and NBSP count as whitespace, and only \n and \r as line breaks.

_BR = "\n\r"
_WS_NOT_BR = "\t\x0b\x0c \xa0"
_BR_OR_WS = "\t\n\x0b\x0c\r \xa0"
_PUNCTUATORS = "!%&()*+,-./:;<=>?[]^{|}~"
# Punctuators after which a `/` starts a regular expression (no `)`, `]`, `}`).
_EXPRESSION_PUNCTUATORS = "!%&(*+,-.:;<=>?[^{|~"
# What may precede a keyword: `.import` is a property, `...import.meta` is not.
_BR_WS_PUNCT_NOT_DOT = _BR_OR_WS + _PUNCTUATORS.replace(".", "")
_DIGITS = "0123456789"
_NUMBER_KEY_CHARS = "0123456789._eEnxXbBoOabcdefABCDEF"

# Identifier-ish "token runs": skipped as a unit so a keyword inside a longer
# name is never seen. NBSP (\xa0) is the one non-ASCII character excluded.
_RUN = r"0-9A-Za-z$_\\\x80-\x9f\xa1-\U0010ffff"
_RUN_RE = re.compile(f"[{_RUN}]*")


class _Matcher(t.Protocol):
    def __call__(self, string: str, pos: int = ..., endpos: int = ...) -> re.Match[str]: ...


def _matcher(pattern: re.Pattern[str]) -> _Matcher:
    # For patterns that can match the empty string: their .match() at a
    # position <= endpos never returns None. Typed so, the hot loops need no
    # None check.
    return t.cast(_Matcher, pattern.match)


_run_match = _matcher(_RUN_RE)
_MAIN_WS = r"\t\n\x0b\x0c\r "  # what the main loop skips (not NBSP)
_MAIN_WS_CHARS = "\t\n\x0b\x0c\r "
_EVENTS = r"/'\"`(){}\[\]"


def _skip_pattern(events: str, ws: str = _MAIN_WS) -> _Matcher:
    # Matches the longest stretch that holds no event character and no run
    # starting with `import`, `export` (as whole words) or `class ` - the only
    # things that change the lexer state. Group 1 is the trailing whitespace,
    # so m.start(1) - 1 is the last significant character: the previous token.
    not_special = f"[^{ws}{events}{_RUN}]+"
    plain_run = f"(?!(?:import|export)(?![{_RUN}])|class[{_BR_OR_WS}])[{_RUN}]+"
    return _matcher(re.compile(f"(?:[{ws}]*(?:{not_special}|{plain_run}))*([{ws}]*)"))


_SKIP = _skip_pattern(_EVENTS)
# Inside the parens of a dynamic import a comma matters too: it ends the
# specifier and starts the attributes argument.
_SKIP_DYN = _skip_pattern(_EVENTS + ",")
# Initializers of `export const` (skip_expression): NBSP is whitespace there;
# at their own depth `,` `;` and line breaks (ASI) can end them.
_EXPR_WS = r"\t\x0b\x0c \xa0"
_SKIP_EXPR_TOP = _skip_pattern(_EVENTS + r",;\n\r", _EXPR_WS)
_SKIP_EXPR_NESTED = _skip_pattern(_EVENTS, _EXPR_WS + r"\n\r")
_SKIP_EXPR_NESTED_DYN = _skip_pattern(_EVENTS + ",", _EXPR_WS + r"\n\r")

# Bodies of literals, unrolled so the regex engine does the walking. Each stops
# at the closing delimiter, or early (at a line break / end) on malformed input.
_STRING_BODY = {
    "'": _matcher(re.compile(r"[^'\\\n\r]*(?:\\(?:\r\n|[\s\S])[^'\\\n\r]*)*")),
    '"': _matcher(re.compile(r'[^"\\\n\r]*(?:\\(?:\r\n|[\s\S])[^"\\\n\r]*)*')),
}
_TEMPLATE_BODY = _matcher(re.compile(r"[^`\\$]*(?:(?:\\[\s\S]|\$(?!\{))[^`\\$]*)*"))
# Unrolled loops ("normal* (special normal*)*"): every character can be
# matched only one way, so a failing match cannot backtrack exponentially.
_REGEX_CLASS = r"\[[^\]\\\n\r]*(?:\\[\s\S][^\]\\\n\r]*)*\]"
_REGEX_BODY = _matcher(re.compile(rf"[^/\\\[\n\r]*(?:(?:\\[\s\S]|{_REGEX_CLASS})[^/\\\[\n\r]*)*"))
_READ_TO_WS_OR_PUNCT = _matcher(re.compile(r"[^\t-\r \xa0!%&(-/:-?\[\]^{-~\0]*"))
_QUOTE = re.compile("['\"]")
_NEWLINE = re.compile("[\n\r]")

# Keywords after which `/` starts a regex (`return /x/`), keyed by last letter.
# The bool says whether `...` may precede it, as es-module-lexer distinguishes.
_EXPRESSION_KEYWORDS: dict[str, tuple[tuple[str, bool], ...]] = {
    "d": (("void", True), ("yield", True)),
    "e": (("else", False), ("case", False), ("delete", True), ("continue", True)),
    "f": (("instanceof", True), ("typeof", True)),
    "k": (("break", True),),
    "n": (("in", False), ("return", True)),
    "o": (("do", False),),
    "r": (("debugger", True),),
    "t": (("await", True),),
    "w": (("new", False), ("throw", True)),
}

# Open-token kinds on the bracket stack.
_PAREN = 1
_BRACE = 2
_TEMPLATE = 3
_TEMPLATE_BRACE = 4
_IMPORT_PAREN = 5
_CLASS_BRACE = 6
_BRACKET = 8

# `e` / `se` not known (yet), and the `d` of static imports and import.meta.
_UNSET = -1
_STANDARD = -1
_META = -2

# Padding so lookahead/lookbehind never needs a bounds check: reads past the
# end (and, via negative indexes, before the start) see NUL, as in the C source.
_PAD = "\0" * 16

_OpenToken = tuple[int, int, int]  # (kind, previous token index, opener index)

#: "No checkpoint work ahead" for :attr:`_Lexer.mark`.
_NEVER = 1 << 62


class _Import:
    __slots__ = ("a", "at", "d", "e", "s", "safe", "se", "ss", "t")

    def __init__(self, ss: int, s: int, e: int, se: int, d: int, kind: int, safe: bool) -> None:
        self.ss = ss
        self.s = s
        self.e = e
        self.se = se
        self.d = d
        self.a = -1
        self.t = kind
        self.safe = safe
        self.at: list[tuple[int, int, int, int]] | None = None


def _preceded_by_keyword(s: str, p: int, word: str, spread_ok: bool) -> bool:
    """Whether ``word`` ends at index ``p`` and starts at a keyword boundary."""
    start = p - len(word) + 1
    if start < 0 or not s.startswith(word, start):
        return False
    if start == 0:
        return True
    before = s[start - 1]
    if before in _BR_WS_PUNCT_NOT_DOT:
        return True
    return spread_ok and before == "." and s[start - 2] == "." and s[start - 3] == "."


def _is_expression_keyword(s: str, p: int) -> bool:
    for word, spread_ok in _EXPRESSION_KEYWORDS.get(s[p], ()):
        if _preceded_by_keyword(s, p, word, spread_ok):
            return True
    return False


def _is_paren_keyword(s: str, p: int) -> bool:
    # `if (...)`, `while (...)`, `for (...)`: a statement follows the `)`.
    return (
        _preceded_by_keyword(s, p, "while", True)
        or _preceded_by_keyword(s, p, "for", True)
        or _preceded_by_keyword(s, p, "if", True)
    )


def _is_expression_terminator(s: str, p: int) -> bool:
    # Tokens after which `{` opens a block, so `}` ends a statement:
    # `=>`, `;`, `)`, `catch`, `finally`, `else`.
    c = s[p]
    if c == ">":
        return s[p - 1] == "="
    if c == ";" or c == ")":
        return True
    if c == "h":
        return _preceded_by_keyword(s, p, "catch", True)
    if c == "y":
        return _preceded_by_keyword(s, p, "finally", True)
    if c == "e":
        return _preceded_by_keyword(s, p, "else", True)
    return False


def _is_for_of_binding(s: str, p: int) -> bool:
    # `for (x of /re/)`: `of` follows a binding ending in a name, `]`, `}` or `)`.
    if s[p] not in _BR_OR_WS and s[p] not in "]})":
        return False
    while p > 0 and s[p] in _BR_OR_WS:
        p -= 1
    return s[p] in "]})" or s[p] not in _PUNCTUATORS


class _Lexer:
    """One lexing run. Positions follow the C original: ``pos`` is left *at*
    the last character a step consumed, ``last`` is the last character of the
    previous significant token (-1 before the first one)."""

    def __init__(self, source: str, name: str) -> None:
        self.source = source
        self.name = name
        self.s = source + _PAD
        self.n = len(source)
        self.pos = 0
        self.last = -1
        self.stack: list[_OpenToken] = []
        # The most recently closed open-token (the C stack slot just above the
        # top), consulted when a `/` follows `)` or `}`. Before anything is
        # closed, a `}` can only end an export list or import attributes, and
        # a `/` right after it (same line) is invalid JS anyway; the C original
        # reads uninitialized memory there, we settle on "regex".
        self.popped: _OpenToken = (_CLASS_BRACE, -1, -1)
        self.dynamic: list[_Import] = []  # dynamic imports whose `(` is open
        self.imports: list[_Import] = []
        self.head_removable = False
        self.exports: list[list[int]] = []  # [s, e, ls, le, ss]
        self.export_start = -1
        self.slash_was_division = False
        self.next_brace_is_class = False
        self.facade = True
        self.has_module_syntax = False
        #: The furthest character read and given back (import attributes that
        #: turned out not to be): what happens next may depend on it.
        self.reach = 0
        #: Where the main loop next hands over to :attr:`relex` (checkpoints).
        self.mark = _NEVER
        self.relex: _Relex | None = None

    # -- errors ----------------------------------------------------------------

    def error(self, idx: int, reason: str) -> t.NoReturn:
        raise LexError(reason, name=self.name, source=self.source, idx=min(idx, self.n))

    # -- records ---------------------------------------------------------------

    def add_import(self, ss: int, s: int, e: int, dynamic: int) -> _Import:
        if dynamic == _META:
            imp = _Import(ss, s, e, e, _META, IMPORT_META, False)
            self.has_module_syntax = True
        elif dynamic == _STANDARD:
            imp = _Import(ss, s, e, e + 1, _STANDARD, IMPORT_STATIC, True)
            self.has_module_syntax = True
        else:
            imp = _Import(ss, s, _UNSET, _UNSET, dynamic, IMPORT_DYNAMIC, False)
        self.imports.append(imp)
        self.head_removable = True
        return imp

    def add_export(self, s: int, e: int, ls: int, le: int) -> None:
        self.exports.append([s, e, ls, le, self.export_start])
        self.has_module_syntax = True

    # -- keyword positions -----------------------------------------------------

    def keyword_start(self, p: int) -> bool:
        if p == 0:
            return True
        s = self.s
        before = s[p - 1]
        return before in _BR_WS_PUNCT_NOT_DOT or (
            before == "." and s[p - 2] == "." and s[p - 3] == "."
        )

    def last_is_spread(self) -> bool:
        s, p = self.s, self.last
        return s[p] == "." and s[p - 1] == "." and s[p - 2] == "."

    # -- the main loop ---------------------------------------------------------

    def run(self) -> None:
        pos = self.facade_prefix()
        self.scan(pos, -1, _SKIP, _SKIP_DYN)
        self.finish()

    def finish(self) -> None:
        """Complain about what the end of the source leaves open."""
        if self.stack:
            kind, _, opener = self.stack[-1]
            what = "template literal" if kind in (_TEMPLATE, _TEMPLATE_BRACE) else repr(self.s[opener])
            self.error(opener, f"unclosed {what}")
        if self.dynamic:
            # Its `(` was closed by a mismatched `]` or `}`.
            self.error(self.dynamic[-1].d, "unclosed '(' of import()")

    def scan(self, pos: int, stop: int, skip: _Matcher, skip_dyn: _Matcher) -> int:
        """The main loop: lex from ``pos`` to the end of the source, or until
        a closing token brings the bracket depth down to ``stop``. Returns the
        next position to lex.

        ``skip`` jumps over text that cannot change the state (``skip_dyn``
        while a dynamic import's parens are open). Brackets and strings are
        handled inline - they are most of the events - everything else by
        :meth:`consume`.
        """
        s, n = self.s, self.n
        stack = self.stack
        dynamic = self.dynamic
        last = self.last
        # Checkpoints are taken (and old ones recognised) in the main loop only.
        mark = self.mark if stop < 0 else _NEVER
        while pos < n:
            if pos >= mark:
                assert self.relex is not None
                self.last = last
                pos = self.relex.at_mark(self, pos)
                last = self.last
                mark = self.mark
                if pos >= n:
                    break
            m = (skip_dyn if dynamic else skip)(s, pos, n)
            w = m.start(1)
            if w > pos:
                last = w - 1
            q = m.end()
            if q >= n:
                pos = q
                break
            c = s[q]
            # `(` `[` `{` and strings: inlined copies of consume() - keep in sync.
            if c == "(":
                stack.append((_PAREN, last, q))
                last = q
                pos = q + 1
                continue
            if c == "'" or c == '"':
                p = _STRING_BODY[c](s, q + 1, n).end()
                if s[p] != c:
                    self.string_error(p)
                last = p
                pos = p + 1
                continue
            if c == "{":
                self.open_brace(q, last)
                last = q
                pos = q + 1
                continue
            if c == "[":
                stack.append((_BRACKET, last, q))
                last = q
                pos = q + 1
                continue
            if c == ")":
                if not stack:
                    self.error(q, "unmatched ')'")
                tok = self.popped = stack.pop()
                if dynamic and tok[0] == _IMPORT_PAREN:
                    self.close_dynamic_import(q, last)
                last = q
                pos = q + 1
            elif c == "}":
                if not stack:
                    self.error(q, "unmatched '}'")
                tok = self.popped = stack.pop()
                if tok[0] == _TEMPLATE_BRACE:
                    self.pos = q
                    self.template()
                    q = self.pos
                last = q
                pos = q + 1
            elif c == "]":
                if not stack:
                    self.error(q, "unmatched ']'")
                self.popped = stack.pop()
                last = q
                pos = q + 1
            else:
                self.last = last
                self.consume(q)
                last = self.last
                pos = self.pos + 1
            if len(stack) == stop:
                break
        self.last = last
        return pos

    def facade_prefix(self) -> int:
        """Lex the leading run of import/export statements; return where the
        general loop takes over. Only this prefix decides ``facade``."""
        s, n = self.s, self.n
        pos = 0
        while pos < n:
            c = s[pos]
            if c in _MAIN_WS_CHARS:
                pos += 1
                continue
            if c == "e" and not self.stack and self.keyword_start(pos) and s.startswith("xport", pos + 1):
                self.try_export(pos)
                self.last = self.pos
                pos = self.pos + 1
                if not self.facade:
                    return pos
                continue
            if c == "i" and s.startswith("mport", pos + 1) and self.keyword_start(pos):
                self.try_import(pos)
            elif c == "/" and s[pos + 1] in "/*":
                pos = (self.line_comment if s[pos + 1] == "/" else self.block_comment)(pos) + 1
                continue
            elif c not in "ie;":
                self.facade = False
                return pos
            else:
                self.pos = pos
            self.last = self.pos
            pos = self.pos + 1
        return pos

    def consume(self, q: int) -> None:
        """Consume the token starting at ``q`` (es-module-lexer's consumeToken).

        Leaves ``pos`` at its last character and, unless it was a comment,
        makes it the previous token. Closing brackets never get here: both
        callers handle them (:meth:`scan` inline, :meth:`skip_expression` as
        the end of the expression).
        """
        s = self.s
        c = s[q]
        if c == "/":
            if self.slash(q):
                return  # a comment is not a token
        elif c == "'" or c == '"':
            self.pos = self.string(q)
        elif c == "`":
            self.stack.append((_TEMPLATE, self.last, q))
            self.pos = q
            self.template()
        elif c == "(":
            self.stack.append((_PAREN, self.last, q))
            self.pos = q
        elif c == "{":
            self.open_brace(q, self.last)
            self.pos = q
        elif c == "[":
            self.stack.append((_BRACKET, self.last, q))
            self.pos = q
        elif c == ",":
            self.pos = q
            stack = self.stack
            if self.dynamic and stack and stack[-1][0] == _IMPORT_PAREN:
                imp = self.dynamic[-1]
                if imp.e == _UNSET:
                    # import(specifier, attributes): the specifier ends here.
                    imp.e = self.last + 1
                    self.pos = q + 1
                    self.comment_ws(True)
                    imp.a = self.pos
                    self.pos -= 1
        elif c == "e":
            if not self.stack and self.keyword_start(q) and s.startswith("xport", q + 1):
                self.try_export(q)
            else:
                self.pos = _run_match(s, q).end() - 1
        elif c == "i":
            if s[q + 1] == "m" and self.keyword_start(q) and s.startswith("port", q + 2):
                self.try_import(q)
            else:
                self.pos = _run_match(s, q).end() - 1
        elif c == "c":
            if s.startswith("lass", q + 1) and self.keyword_start(q) and s[q + 5] in _BR_OR_WS:
                self.next_brace_is_class = True
            self.pos = _run_match(s, q).end() - 1
        else:
            # Any other character: a token run, or a single punctuator.
            self.pos = max(q, _run_match(s, q).end() - 1)
        self.last = self.pos

    def open_brace(self, q: int, last: int) -> None:
        # `{` right after a dynamic import's `)` means it was a method named
        # import (`{ import(a) {} }`, `class { import() {} }`): drop it. This
        # resolves the block/object ambiguity without a parser.
        if self.head_removable and self.s[last] == ")":
            imports = self.imports
            if imports and imports[-1].se == last + 1:
                imports.pop()
                self.head_removable = False
        self.stack.append((_CLASS_BRACE if self.next_brace_is_class else _BRACE, last, q))
        self.next_brace_is_class = False

    def close_dynamic_import(self, q: int, last: int) -> None:
        imp = self.dynamic.pop()
        if imp.e == _UNSET:
            imp.e = last + 1
        imp.se = q + 1

    # -- literals and comments -------------------------------------------------

    def string(self, q: int) -> int:
        """Index of the quote closing the string literal opened at ``q``."""
        s = self.s
        p = _STRING_BODY[s[q]](s, q + 1, self.n).end()
        if s[p] != s[q]:
            self.string_error(p)
        return p

    def string_error(self, p: int) -> t.NoReturn:
        if p < self.n and self.s[p] in _BR:
            self.error(p, "unterminated string literal (strings cannot span lines; end the line with \\ or use a template)")
        self.error(self.n, "unterminated string literal")

    def template(self) -> None:
        """Continue a template literal from ``pos`` (its backtick or a ``}``)
        up to the next ``${`` or the closing backtick."""
        s, n = self.s, self.n
        p = _TEMPLATE_BODY(s, self.pos + 1, n).end()
        if p >= n or s[p] == "\\":
            self.error(n, "unterminated template literal")
        if s[p] == "$":
            # `${`: the matching `}` resumes this template.
            self.stack.append((_TEMPLATE_BRACE, p + 1, p + 1))
            self.pos = p + 1
            return
        stack = self.stack
        if not stack or stack[-1][0] != _TEMPLATE:
            self.error(p, "unexpected '`'")
        self.popped = stack.pop()
        self.pos = p

    def line_comment(self, q: int) -> int:
        m = _NEWLINE.search(self.s, q + 2, self.n)
        return m.start() if m else self.n

    def block_comment(self, q: int) -> int:
        p = self.s.find("*/", q + 2, self.n)
        if p < 0:
            # es-module-lexer silently accepts this; a browser would not.
            self.error(q, "unterminated comment")
        return p + 1

    def regex(self, q: int) -> int:
        """Index of the ``/`` closing the regular expression opened at ``q``."""
        s, n = self.s, self.n
        p = _REGEX_BODY(s, q + 1, n).end()
        if s[p] == "/" and p < n:
            return p
        # Find where it broke: a line break, possibly inside a [class].
        m = _NEWLINE.search(s, q, n)
        self.error(m.start() if m else n, "unterminated regular expression")

    def no_substitution_template(self, q: int) -> int:
        """End of the template at ``q`` if it has no ``${``, else -1."""
        p = _TEMPLATE_BODY(self.s, q + 1, self.n).end()
        return p if p < self.n and self.s[p] == "`" else -1

    def comment_ws(self, br: bool) -> str:
        """Skip whitespace (line breaks too when ``br``) and comments from
        ``pos``; return the character there, leaving ``pos`` at it."""
        s, n = self.s, self.n
        end = n - 1
        ws = _BR_OR_WS if br else _WS_NOT_BR
        pos = self.pos
        while True:
            ch = s[pos]
            if ch == "/":
                nxt = s[pos + 1]
                if nxt == "/":
                    pos = self.line_comment(pos)
                elif nxt == "*":
                    if br:
                        pos = self.block_comment(pos)
                    else:
                        # Without line breaks, stop at the comment's first one.
                        close = s.find("*/", pos + 2, n)
                        m = _NEWLINE.search(s, pos + 2, close if close >= 0 else n)
                        if m:
                            pos = m.start()
                        elif close < 0:
                            self.error(pos, "unterminated comment")
                        else:
                            pos = close + 1
                else:
                    self.pos = pos
                    return ch
            elif ch not in ws:
                self.pos = pos
                return ch
            if pos >= end:
                self.pos = pos + 1
                return ch
            pos += 1

    def read_to_ws_or_punctuator(self) -> str:
        p = _READ_TO_WS_OR_PUNCT(self.s, self.pos).end()
        self.pos = p
        return self.s[p]

    # -- `/`: comment, division or regular expression --------------------------

    def slash(self, q: int) -> bool:
        """Handle the ``/`` at ``q``; return True if it began a comment."""
        s = self.s
        nxt = s[q + 1]
        if nxt == "/":
            self.pos = self.line_comment(q)
            return True
        if nxt == "*":
            self.pos = self.block_comment(q)
            return True
        if self.slash_starts_regex():
            self.pos = self.regex(q)
            self.slash_was_division = False
        else:
            self.pos = q
            self.slash_was_division = True
        return False

    def slash_starts_regex(self) -> bool:
        s, last = self.s, self.last
        lt = s[last]
        if lt in _EXPRESSION_PUNCTUATORS:
            before = s[last - 1]
            # `1./x` is division (a number), `a++ / b` and `a-- / b` too.
            if not ((lt == "." and before in _DIGITS) or (lt == "+" and before == "+") or (lt == "-" and before == "-")):
                return True
        elif lt == ")":
            # `if (a) /re/` - the paren closed a statement head.
            if _is_paren_keyword(s, self.popped[1]):
                return True
        elif lt == "}":
            # `}` closing a block (after `)`, `=>`, `else` ...) or a class body.
            kind, before_open, _ = self.popped
            if kind == _CLASS_BRACE or _is_expression_terminator(s, before_open):
                return True
        elif lt == "f":
            # `for (x of /re/)`
            stack = self.stack
            if (
                stack
                and stack[-1][0] == _PAREN
                and s[last - 1] == "o"
                and _is_for_of_binding(s, last - 2)
                and _preceded_by_keyword(s, stack[-1][1], "for", True)
            ):
                return True
        elif lt == "/":
            if self.slash_was_division:
                return True
        elif lt == "\0":  # start of input
            return True
        if _is_expression_keyword(s, last):
            return True
        if self.exports:
            # Right after an export's name: `export default /re/`.
            head = self.exports[-1]
            if head[0] <= last <= head[1]:
                return True
        # `break label\n/re/` and `continue label\n/re/`.
        p = last
        while p > 0:
            p -= 1
            if s[p] in _BR_WS_PUNCT_NOT_DOT:
                break
        if s[p] in _WS_NOT_BR:
            while p > 0:
                p -= 1
                if s[p] not in _WS_NOT_BR:
                    break
            if s[p] == "k":
                return _preceded_by_keyword(s, p, "break", True)
            if s[p] == "e" and s[p - 1] == "u":
                return _preceded_by_keyword(s, p, "continue", True)
        return False

    # -- import ----------------------------------------------------------------

    def try_import(self, start: int) -> None:
        s = self.s
        self.pos = start + 6
        ch = self.comment_ws(True)
        maybe_phase = self.pos
        phase = 0
        if ch == ".":
            # import.meta, import.source(), import.defer()
            self.pos += 1
            ch = self.comment_ws(True)
            p = self.pos
            member = s[self.last] == "." and not self.last_is_spread()
            if ch == "m" and s.startswith("eta", p + 1) and not member:
                self.add_import(start, start, p + 4, _META)
                return
            if ch == "s" and s.startswith("ource", p + 1) and not member:
                phase = 1
                self.pos += 6
            elif ch == "d" and s.startswith("efer", p + 1) and not member:
                phase = 2
                self.pos += 5
            else:
                return
            ch = self.comment_ws(True)
        elif self.pos > start + 6 and ch == "s" and s.startswith("ource", self.pos + 1) and s[self.pos + 6] in _BR_OR_WS:
            # `import source x from`, but not `import source from`
            phase = 1
            self.pos += 6
            ch = self.comment_ws(True)
            p = self.pos
            if p == maybe_phase + 6 or (
                ch == "f" and s.startswith("rom", p + 1) and s[p + 4] in _BR_WS_PUNCT_NOT_DOT
            ):
                self.pos = maybe_phase
                phase = 0
        elif self.pos > start + 5 and ch == "d" and s.startswith("efer", self.pos + 1) and s[self.pos + 5] in _BR_OR_WS:
            # `import defer * as x from`
            phase = 2
            self.pos += 5
            ch = self.comment_ws(True)
            if ch != "*":
                self.pos = maybe_phase
                phase = 0

        if ch == "(":
            self.try_dynamic_import(start, phase)
            return

        if ch == "{" and phase == 0:
            if self.stack:
                self.pos -= 1  # only at the top level
                return
            end = self.n - 1
            while self.pos < end:
                ch = self.comment_ws(True)
                if ch == "'" or ch == '"':
                    self.pos = self.string(self.pos)
                elif ch == "}":
                    self.pos += 1
                    break
                self.pos += 1
            ch = self.comment_ws(True)
            if ch == "f" and not s.startswith("rom", self.pos + 1):
                self.error(self.pos, "expected 'from' after the import list")
            self.pos += 4
            ch = self.comment_ws(True)
            if ch != "'" and ch != '"':
                self.error(self.pos, "expected a quoted module specifier")
            self.read_import_string(start, ch, 0)
            return

        if ch != "'" and ch != '"' and ch != "*" and self.pos == start + 6:
            # `import` glued to something else: not the keyword.
            self.pos -= 1
            return
        if (phase == 2 and ch != "*") or self.stack:
            self.pos -= 1
            return
        end = self.n - 1
        m = _QUOTE.search(s, self.pos, end) if self.pos < end else None
        if m is None:
            self.error(max(self.pos, end), "expected a quoted module specifier")
        self.pos = m.start()
        self.read_import_string(start, s[self.pos], phase)

    def try_dynamic_import(self, start: int, phase: int) -> None:
        s = self.s
        paren = self.pos
        self.stack.append((_IMPORT_PAREN, paren, paren))
        if s[self.last] == ".":
            return  # obj.import(...) / ...import(...): a method call
        self.pos += 1
        ch = self.comment_ws(True)
        imp = self.add_import(start, self.pos, 0, paren)
        if phase:
            imp.t = IMPORT_DYNAMIC_SOURCE if phase == 1 else IMPORT_DYNAMIC_DEFER
        self.dynamic.append(imp)
        if ch == "'" or ch == '"':
            self.pos = self.string(self.pos)
        elif ch == "`" and (close := self.no_substitution_template(self.pos)) >= 0:
            # A template without ${} is a constant, as safe as a quoted string.
            self.pos = close
        else:
            # An expression: the main loop lexes it; `)` records its end.
            self.pos -= 1
            return
        self.pos += 1
        end = self.pos
        ch = self.comment_ws(True)
        if ch == ",":
            self.pos += 1
            self.comment_ws(True)
            imp.e = end
            imp.a = self.pos
            imp.safe = True
            self.pos -= 1
        elif ch == ")":
            self.popped = self.stack.pop()
            imp.e = end
            imp.se = self.pos + 1
            imp.safe = True
            self.dynamic.pop()
        else:
            self.pos -= 1

    def give_back(self, pos: int) -> None:
        """Return to ``pos`` after reading ahead (noted in :attr:`reach`)."""
        self.reach = max(self.reach, self.pos + 1)
        self.pos = pos

    def read_import_string(self, ss: int, ch: str, phase: int) -> None:
        if ch != "'" and ch != '"':
            self.error(self.pos, "expected a quoted module specifier")
        s = self.s
        spec_start = self.pos + 1
        self.pos = self.string(self.pos)
        imp = self.add_import(ss, spec_start, self.pos, _STANDARD)
        if phase:
            imp.t = IMPORT_STATIC_SOURCE if phase == 1 else IMPORT_STATIC_DEFER
        self.pos += 1
        ch = self.comment_ws(False)
        if not (ch == "w" and s.startswith("ith", self.pos + 1)):
            self.pos -= 1
            return
        # with { key: 'value', ... } - on anything unexpected it is not an
        # attributes clause after all, and lexing resumes at `with`.
        with_pos = self.pos
        self.pos += 4
        ch = self.comment_ws(True)
        if ch != "{":
            self.give_back(with_pos)
            return
        attrs_start = self.pos
        while True:
            self.pos += 1
            ch = self.comment_ws(True)
            ks = self.pos
            if ch == "'" or ch == '"':
                self.pos = self.string(self.pos)
                ke = self.pos + 1
                self.pos += 1
                ch = self.comment_ws(True)
            else:
                ch = self.read_to_ws_or_punctuator()
                ke = self.pos
            if ch != ":":
                self.give_back(with_pos)
                return
            self.pos += 1
            ch = self.comment_ws(True)
            if ch != "'" and ch != '"':
                self.give_back(with_pos)
                return
            vs = self.pos
            self.pos = self.string(self.pos)
            if imp.at is None:
                imp.at = []
            imp.at.append((ks, ke, vs, self.pos + 1))
            self.pos += 1
            ch = self.comment_ws(True)
            if ch == ",":
                # es-module-lexer steps one character past the comma (so a
                # key glued to it loses its first letter); kept for parity.
                self.pos += 1
                continue
            if ch == "}":
                break
            self.give_back(with_pos)
            return
        imp.a = attrs_start
        imp.se = self.pos + 1

    # -- export ----------------------------------------------------------------

    def try_export(self, start: int) -> None:
        s = self.s
        exports_before = len(self.exports)
        self.pos = start + 6
        after_keyword = self.pos
        ch = self.comment_ws(True)
        if self.pos == after_keyword and ch not in _PUNCTUATORS:
            return  # `exports`, `exported`...
        self.export_start = start

        if ch == "{":
            self.pos += 1
            ch = self.comment_ws(True)
            while True:
                name_start = self.pos
                if ch == "'" or ch == '"':
                    self.pos = self.string(self.pos) + 1
                else:
                    ch = self.read_to_ws_or_punctuator()
                name_end = self.pos
                self.comment_ws(True)
                ch = self.read_export_as(name_start, name_end)
                if ch == ",":
                    self.pos += 1
                    ch = self.comment_ws(True)
                if ch == "}":
                    break
                if self.pos == name_start or self.pos >= self.n:
                    self.error(self.pos, "unexpected token in export list")
            self.has_module_syntax = True  # even for `export {}`
            self.pos += 1
            ch = self.comment_ws(True)
        elif ch == "*":
            self.pos += 1
            self.comment_ws(True)
            self.read_export_as(self.pos, self.pos)
            ch = self.comment_ws(True)
        else:
            self.facade = False
            if ch == "d":
                self.export_default()
            elif ch == "a" or ch == "f":
                # export async? function*? name
                if ch == "a":
                    self.pos += 5
                    self.comment_ws(False)
                self.pos += 8
                if self.comment_ws(True) == "*":
                    self.pos += 1
                    self.comment_ws(True)
                self.export_own_name()
            elif ch == "c" and s.startswith("lass", self.pos + 1) and s[self.pos + 5] in _BR_WS_PUNCT_NOT_DOT:
                self.pos += 5
                self.comment_ws(True)
                self.export_own_name()
            elif ch in "cvl":
                self.pos += 5 if ch == "c" else 3  # const / var / let
                self.export_declarations()
            return

        if ch == "f" and s.startswith("rom", self.pos + 1):
            self.pos += 4
            self.read_import_string(start, self.comment_ws(True), 0)
            # Re-exports bind no local names.
            for record in self.exports[exports_before:]:
                record[2] = record[3] = -1
        else:
            self.pos -= 1

    def export_own_name(self) -> None:
        name_start = self.pos
        self.read_to_ws_or_punctuator()
        self.add_export(name_start, self.pos, name_start, self.pos)
        self.pos -= 1

    def export_default(self) -> None:
        s = self.s
        start = self.pos
        self.pos += 7
        ch = self.comment_ws(True)
        named = False
        p = self.pos
        if ch == "a" and s.startswith("sync", p + 1) and s[p + 5] in _WS_NOT_BR:
            self.pos += 5
            self.comment_ws(False)
            ch = "f"
        if ch == "f":
            p = self.pos
            if s.startswith("unction", p + 1) and (s[p + 8] in _BR_OR_WS or s[p + 8] in "*("):
                self.pos += 8
                ch = self.comment_ws(True)
                if ch == "*":
                    self.pos += 1
                    ch = self.comment_ws(True)
                named = ch != "("
        elif ch == "c" and s.startswith("lass", p + 1) and (s[p + 5] in _BR_OR_WS or s[p + 5] == "{"):
            self.pos += 5
            ch = self.comment_ws(True)
            named = ch != "{"
        if named:
            local_start = self.pos
            self.read_to_ws_or_punctuator()
            if self.pos > local_start:
                self.add_export(start, start + 7, local_start, self.pos)
                self.pos -= 1
                return
        self.add_export(start, start + 7, -1, -1)
        self.pos = start + 6

    def read_export_as(self, name_start: int, name_end: int) -> str:
        """At an optional ``as name`` after ``name_start:name_end``: add the
        export and return the character after it."""
        ch = self.s[self.pos]
        local_start, local_end = (-1, -1) if name_start == name_end else (name_start, name_end)
        if ch == "a":
            self.pos += 2
            ch = self.comment_ws(True)
            name_start = self.pos
            if ch == "'" or ch == '"':
                self.pos = self.string(self.pos) + 1
            else:
                self.read_to_ws_or_punctuator()
            name_end = self.pos
            ch = self.comment_ws(True)
        if self.pos != name_start:
            self.add_export(name_start, name_end, local_start, local_end)
        return ch

    def export_declarations(self) -> None:
        # var/let/const binding (, binding)*: each an identifier or a
        # destructuring pattern with an optional initializer. The list ends at
        # `;`, the end, or a line break that automatic semicolons end it at.
        ch = self.comment_ws(True)
        while self.pos < self.n:
            binding_start = self.pos
            ch = self.read_binding_target(ch)
            if self.pos == binding_start:
                break
            if ch == "=":
                ch = self.skip_expression(True)
            if ch != ",":
                break
            self.pos += 1
            ch = self.comment_ws(True)
        self.pos -= 1

    def read_binding_target(self, ch: str) -> str:
        if ch == "{" or ch == "[":
            self.read_binding_pattern()
            self.pos += 1
        else:
            name_start = self.pos
            self.read_to_ws_or_punctuator()
            if self.pos > name_start:
                self.add_export(name_start, self.pos, name_start, self.pos)
        return self.comment_ws(True)

    def read_binding_pattern(self) -> None:
        """Add every name bound by the pattern at ``pos``; stop at its closer."""
        s = self.s
        is_object = s[self.pos] == "{"
        close = "}" if is_object else "]"
        self.pos += 1
        ch = self.comment_ws(True)
        while ch != close and self.pos < self.n:
            if ch == "." and s.startswith("..", self.pos + 1):  # ...rest
                self.pos += 3
                ch = self.read_binding_target(self.comment_ws(True))
                continue
            if is_object:
                key_start = key_end = self.pos
                if ch == "[":  # computed key
                    self.skip_expression(False)
                    self.pos += 1
                    ch = self.comment_ws(True)
                elif ch == "'" or ch == '"':
                    self.pos = self.string(self.pos) + 1
                    ch = self.comment_ws(True)
                elif ch in _DIGITS:
                    p = self.pos + 1
                    while s[p] in _NUMBER_KEY_CHARS or (s[p] in "+-" and s[p - 1] in "eE"):
                        p += 1
                    self.pos = p
                    ch = self.comment_ws(True)
                else:
                    self.read_to_ws_or_punctuator()
                    key_end = self.pos
                    ch = self.comment_ws(True)
                if ch == ":":
                    self.pos += 1
                    ch = self.read_binding_target(self.comment_ws(True))
                elif key_end > key_start:  # shorthand { key } / { key = 1 }
                    self.add_export(key_start, key_end, key_start, key_end)
            elif ch == ",":  # array hole
                self.pos += 1
                ch = self.comment_ws(True)
                continue
            else:
                ch = self.read_binding_target(ch)
            if ch == "=":
                ch = self.skip_expression(False)
            if ch != ",":
                break
            self.pos += 1
            ch = self.comment_ws(True)

    def skip_expression(self, asi: bool) -> str:
        """Skip an initializer from ``pos`` (its ``=``, or a ``[``) to the
        ``,`` / ``;`` / unmatched closer that ends it, or with ``asi`` a line
        break after a value; return that character with ``pos`` at it.

        Tokens go through :meth:`consume` and nested brackets through
        :meth:`scan`, so regex, template and import handling is exactly the
        main loop's.
        """
        s, n = self.s, self.n
        stack = self.stack
        base = len(stack)
        # Whether the previous token can end an expression (so a line break
        # after it is an automatic semicolon).
        last_was_value = False
        self.last = last = self.pos
        pos = self.pos + 1
        while pos < n:
            m = _SKIP_EXPR_TOP(s, pos, n)
            w = m.start(1)
            if w > pos:
                last = w - 1
                c = s[last]
                # A name or number is a value - unless its run starts with a
                # backslash (an escaped identifier), which es-module-lexer
                # does not count as one.
                last_was_value = c >= "\x80" or c.isalnum() or c in "$_\\"
                if last_was_value and "\\" in s[pos:w]:
                    k = last
                    while k > pos and (s[k - 1] >= "\x80" or s[k - 1].isalnum() or s[k - 1] in "$_\\"):
                        k -= 1
                    last_was_value = s[k] != "\\"
            q = m.end()
            if q >= n:
                pos = q
                break
            ch = s[q]
            if ch in ",;)]}":
                self.last = last
                self.pos = q
                return ch
            if ch in _BR:
                if asi and last_was_value:
                    self.last = last
                    self.pos = q
                    return ch
                pos = q + 1
                continue
            self.last = last
            self.consume(q)
            pos = self.pos + 1
            if self.last == last:  # a comment; a line comment stops at a break
                if asi and last_was_value and s[self.pos] in _BR:
                    return s[self.pos]
                continue
            if len(stack) > base:
                # An opened bracket or template: lex its content with the
                # main loop up to the closer, a value.
                pos = self.scan(pos, base, _SKIP_EXPR_NESTED, _SKIP_EXPR_NESTED_DYN)
                last = self.last
                last_was_value = True
                continue
            last = self.last
            if ch == "/":
                last_was_value = not self.slash_was_division
            else:
                last_was_value = ch in ")]}'\"`" or ch >= "\x80" or ch.isalnum() or ch in "$_"
        self.last = last
        self.pos = max(pos, n)
        return "\0"



# -- string values ------------------------------------------------------------

_ESCAPE = re.compile(
    r"\\(?:u\{([0-9a-fA-F]+)\}|u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})"
    r"|([0-3][0-7]{0,2}|[4-7][0-7]?)|(\r\n|[\s\S]))|(\r\n?)"
)
_SINGLE_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\x0b"}
_LINE_CONTINUATIONS = ("\n", "\r", "\r\n", "\u2028", "\u2029")
_SURROGATE_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")


class _BadEscape(Exception):
    pass


def _decode_js_string(literal: str) -> str | None:
    """The value of a quoted string or substitution-free template literal
    (delimiters included), or ``None`` if an escape is invalid - the result of
    es-module-lexer's ``eval`` of the same text."""
    template = literal[0] == "`"
    body = literal[1:-1]
    if "\\" not in body and "\r" not in body:
        return body

    def replace(m: re.Match[str]) -> str:
        braced, u4, x2, octal, other, raw_cr = m.groups()
        if raw_cr is not None:
            return "\n"  # templates normalize CR and CRLF
        if braced is not None:
            code = int(braced, 16)
            if code > 0x10FFFF:
                raise _BadEscape
            return chr(code)
        if u4 is not None:
            return chr(int(u4, 16))
        if x2 is not None:
            return chr(int(x2, 16))
        if octal is not None:
            # Legacy octal escapes are sloppy-mode string syntax only; a
            # template allows just \0 not followed by a digit.
            if template and (octal != "0" or body[m.end():m.end() + 1].isdigit()):
                raise _BadEscape
            return chr(int(octal, 8))
        if other in _LINE_CONTINUATIONS:
            return ""
        if other in ("u", "x") or (template and other in ("8", "9")):
            raise _BadEscape
        return _SINGLE_ESCAPES.get(other, other)

    try:
        value = _ESCAPE.sub(replace, body)
    except _BadEscape:
        return None
    # \uD83D\uDE00 is one character in JavaScript's UTF-16 strings.
    return _SURROGATE_PAIR.sub(
        lambda m: chr(0x10000 + ((ord(m[0][0]) - 0xD800) << 10) + ord(m[0][1]) - 0xDC00), value
    )


def _decode_if_quoted(text: str) -> str:
    if text and text[0] in "'\"":
        return _decode_js_string(text) or text
    return text


# -- public API ---------------------------------------------------------------


def analyze(source: str, name: str = "@") -> LexResult:
    """Lex ``source`` like es-module-lexer's full ``parse``.

    :param source: JavaScript module source (not TypeScript or JSX).
    :param name: Shown in error messages, usually the file name.
    :raises LexError: on malformed input: an unterminated string, template,
        comment or regular expression, or unbalanced brackets.
    """
    lexer = _Lexer(source, name)
    lexer.run()
    return _result(source, lexer.imports, lexer.exports, lexer.facade, lexer.has_module_syntax)


def _result(source: str, raw_imports: list[_Import], raw_exports: list[list[int]], facade: bool,
            has_module_syntax: bool) -> LexResult:
    imports: list[ImportSpec] = []
    for imp in raw_imports:
        n: str | None = None
        if imp.safe:
            n = _decode_js_string(
                source[imp.s - 1:imp.e + 1] if imp.d == _STANDARD else source[imp.s:imp.e]
            )
        at = None
        if imp.at is not None:
            at = [
                (_decode_if_quoted(source[ks:ke]), _decode_if_quoted(source[vs:ve]))
                for ks, ke, vs, ve in imp.at
            ]
        imports.append(ImportSpec(n, imp.t, imp.s, imp.e, imp.ss, imp.se, imp.d, imp.a, at))
    exports = [
        ExportSpec(
            _decode_if_quoted(source[s:e]),
            _decode_if_quoted(source[ls:le]) if ls >= 0 else None,
            s, e, ls, le, ss,
        )
        for s, e, ls, le, ss in raw_exports
    ]
    return LexResult(imports, exports, facade, has_module_syntax)


def parse(source: str, name: str = "@") -> tuple[list[ImportSpec], list[ExportSpec]]:
    """The imports and exports of ``source``, as es-module-lexer's ``parse``.

    :param source: JavaScript module source (not TypeScript or JSX).
    :param name: Shown in error messages, usually the file name.
    :raises LexError: on malformed input (see :func:`analyze`).
    """
    result = analyze(source, name)
    return result.imports, result.exports


# -- lexing an edited module again ---------------------------------------------

#: Characters between two checkpoints of a run: fewer to move over after an
#: edit, more to lex again around it.
_STEP = 512
#: How far past a checkpoint the run may have looked (keywords, `class`
#: followed by white space …): a checkpoint is reused only this far from a change.
_MARGIN = 64
#: How far keyword checks read back from a position the lexer kept.
_LOOKBEHIND = 16
_BREAK_RE = re.compile("[\n\r]")


class _Checkpoint(t.NamedTuple):
    """The lexer's whole state at the top of its main loop."""

    pos: int
    reach: int
    last: int
    stack: tuple[_OpenToken, ...]
    popped: _OpenToken
    imports: int  # how many imports were found before it
    exports: int
    head_removable: bool
    export_start: int
    slash_was_division: bool
    next_brace_is_class: bool
    has_module_syntax: bool
    facade: bool


class _Lexed:
    """One module's last run, kept by :class:`LexCache`."""

    __slots__ = ("by_pos", "checkpoints", "exports", "facade", "has_module_syntax", "imports",
                 "positions", "result", "source")

    def __init__(self, source: str, lexer: _Lexer, checkpoints: list[_Checkpoint]) -> None:
        self.source = source
        self.checkpoints = checkpoints
        self.by_pos = {c.pos: i for i, c in enumerate(checkpoints)}
        self.positions = [c.pos for c in checkpoints]
        self.imports = lexer.imports
        self.exports = lexer.exports
        self.facade = lexer.facade
        self.has_module_syntax = lexer.has_module_syntax
        self.result = _result(source, lexer.imports, lexer.exports, lexer.facade,
                              lexer.has_module_syntax)


class _Segment(t.NamedTuple):
    """A stretch where the old and the new source are the same text."""

    old: int
    new: int
    length: int
    #: New positions before this were read back into the change before it.
    safe: int


class _Relex:
    """Checkpoints for a run, and, given the previous run of an edited
    module, the reuse of its work wherever the two sources agree.

    The new run starts from the last old checkpoint well before the first
    change. Past a change, at each step, it looks for an old checkpoint the
    same text away (the change's length difference, or the whole edit's)
    whose state is its own once positions are moved; from there the old
    run's records and checkpoints are moved over, up to the last checkpoint
    before the next change, and lexing resumes there. Positions are compared
    only where both runs read the same text around them: after a line break
    that follows the change (scans back over names and white space stop
    there) and :data:`_LOOKBEHIND` more.
    """

    def __init__(self, old: _Lexed | None = None) -> None:
        self.old = old
        self.checkpoints: list[_Checkpoint] = []
        self.next_record = 0
        self.segments: list[_Segment] = []
        #: Where the current stretch of agreement ends (new position).
        self.agree_end = _NEVER
        self.near = 0
        self.length_change = 0

    # -- starting ------------------------------------------------------------------
    def start(self, lexer: _Lexer) -> int:
        """Set ``lexer`` up; return where its main loop begins."""
        old = self.old
        if old is not None:
            self.length_change = len(lexer.source) - len(old.source)
            agree = common_prefix(old.source, 0, lexer.source, 0)
            index = self._last_before(0, agree)
            if index >= 0:
                cp = old.checkpoints[index]
                self.segments.append(_Segment(0, 0, agree, 0))
                self.checkpoints = old.checkpoints[:index + 1]
                lexer.imports = old.imports[:cp.imports]
                lexer.exports = old.exports[:cp.exports]
                self._restore(lexer, cp)
                self.agree_end = agree
                self.next_record = cp.pos + _STEP
                lexer.mark = min(self.next_record, agree)
                return cp.pos
            self.old = None  # changed before the first checkpoint: lex in full
        pos = lexer.facade_prefix()
        lexer.mark = pos
        return pos

    def _last_before(self, first: int, limit: int) -> int:
        """Index of the last old checkpoint from index ``first`` whose reads
        end :data:`_MARGIN` before old position ``limit``; -1 if none."""
        assert self.old is not None
        checkpoints = self.old.checkpoints
        for i in range(bisect.bisect_right(self.old.positions, limit) - 1, first - 1, -1):
            if max(checkpoints[i].reach, checkpoints[i].pos) + _MARGIN <= limit:
                return i
        return -1

    # -- the main loop's calls -----------------------------------------------------
    def at_mark(self, lexer: _Lexer, pos: int) -> int:
        resynced = False
        if self.old is not None and pos >= self.agree_end:
            pos, resynced = self._resync(lexer, pos)
            if pos >= lexer.n:
                lexer.mark = _NEVER
                return pos
        if not resynced and pos >= self.next_record:
            self._record(lexer, pos)
        if self.old is not None and pos >= self.agree_end:
            lexer.mark = min(self._next_candidate(pos), self.next_record)
        else:
            lexer.mark = min(self.next_record, self.agree_end)
        return pos

    def _deltas(self) -> t.Iterable[int]:
        """How far the old run may be from the new one past a change: as far
        as before it, by the whole edit's length change (the last change),
        or one more or less (a line number that gained or lost a digit)."""
        assert self.old is not None
        final = self.length_change
        return dict.fromkeys((self.near, final, self.near + 1, self.near - 1))

    def _next_candidate(self, pos: int) -> int:
        """The next new position after ``pos`` where an old checkpoint may be."""
        assert self.old is not None
        positions = self.old.positions
        best = _NEVER
        for delta in self._deltas():
            i = bisect.bisect_right(positions, pos - delta)
            if i < len(positions):
                best = min(best, positions[i] + delta)
        return best

    def _record(self, lexer: _Lexer, pos: int) -> None:
        imports = lexer.imports
        if lexer.dynamic or (lexer.head_removable and imports and imports[-1].se == lexer.last + 1):
            return  # mid dynamic import, or a `{` next could drop the last import
        self.checkpoints.append(_Checkpoint(
            pos, lexer.reach, lexer.last, tuple(lexer.stack), lexer.popped, len(imports),
            len(lexer.exports), lexer.head_removable, lexer.export_start,
            lexer.slash_was_division, lexer.next_brace_is_class, lexer.has_module_syntax,
            lexer.facade))
        self.next_record = pos + _STEP

    # -- finding the old run again -------------------------------------------------
    def _resync(self, lexer: _Lexer, pos: int) -> tuple[int, bool]:
        """Where to go on from ``pos``, and whether the old run was found again."""
        old = self.old
        assert old is not None
        if lexer.dynamic:
            return pos, False
        source, previous = lexer.source, old.source
        for delta in self._deltas():
            index = old.by_pos.get(pos - delta)
            if index is None:
                continue
            cp = old.checkpoints[index]
            back = common_suffix(previous, cp.pos, source, pos)
            last = self.segments[-1]
            # Not before the change, nor over old text the last stretch has.
            start = max(pos - back, self.agree_end, last.old + last.length + delta)
            if start > pos:
                continue
            found = _BREAK_RE.search(source, start, pos)
            if found is None:
                continue
            segment = _Segment(start - delta, start, 0, found.start() + _LOOKBEHIND)
            # A token after the change, too: scans back over white space
            # from tokens to come stop there.
            if lexer.last < segment.safe or not self._same_state(lexer, cp, segment):
                continue
            ahead = common_prefix(previous, cp.pos, source, pos)
            self.segments.append(segment._replace(length=pos - start + ahead))
            self.near = delta
            return self._move_over(lexer, index, delta, cp.pos + ahead), True
        return pos, False

    def _map(self, x: int, candidate: _Segment | None = None) -> int | None:
        """An old position in the new source; ``None`` where it cannot be trusted."""
        if x < 0:
            return x
        if candidate is not None and x >= candidate.old:
            moved = x + candidate.new - candidate.old
            return moved if moved >= candidate.safe else None
        for segment in reversed(self.segments):
            if segment.old <= x < segment.old + segment.length:
                moved = x + segment.new - segment.old
                return moved if moved >= segment.safe else None
        return None

    def _same_state(self, lexer: _Lexer, cp: _Checkpoint, segment: _Segment) -> bool:
        old = self.old
        assert old is not None

        def same(x: int, y: int) -> bool:
            return self._map(x, segment) == y

        if (len(cp.stack) != len(lexer.stack) or cp.head_removable != lexer.head_removable
                or cp.slash_was_division != lexer.slash_was_division
                or cp.next_brace_is_class != lexer.next_brace_is_class
                or cp.has_module_syntax != lexer.has_module_syntax or cp.facade != lexer.facade
                or (cp.exports > 0) != bool(lexer.exports)):
            return False
        if not (same(cp.last, lexer.last) and same(cp.export_start, lexer.export_start)
                and cp.popped[0] == lexer.popped[0] and same(cp.popped[1], lexer.popped[1])
                and same(cp.popped[2], lexer.popped[2])):
            return False
        for (kind, before, at), (kind2, before2, at2) in zip(cp.stack, lexer.stack):
            if kind != kind2 or not same(before, before2) or not same(at, at2):
                return False
        if cp.head_removable and not same(old.imports[cp.imports - 1].se, lexer.imports[-1].se):
            return False
        if cp.exports:
            head, head2 = old.exports[cp.exports - 1], lexer.exports[-1]
            if not (same(head[0], head2[0]) and same(head[1], head2[1])):
                return False
        return True

    # -- moving the old run's work over --------------------------------------------
    def _move_over(self, lexer: _Lexer, index: int, delta: int, agree_old_end: int) -> int:
        old = self.old
        assert old is not None
        cp = old.checkpoints[index]
        if agree_old_end == len(old.source):
            target = len(old.checkpoints) - 1  # the same to the end
            to_end = True
        else:
            target = max(self._last_before(index, agree_old_end), index)
            to_end = False
        end = old.checkpoints[target]
        imports_to = len(old.imports) if to_end else end.imports
        exports_to = len(old.exports) if to_end else end.exports
        offset_imports = len(lexer.imports) - cp.imports
        offset_exports = len(lexer.exports) - cp.exports
        lexer.imports += [_moved_import(i, delta) for i in old.imports[cp.imports:imports_to]]
        lexer.exports += [_moved_export(e, delta) for e in old.exports[cp.exports:exports_to]]
        moving = old.checkpoints[index:target + 1]
        if not delta and not offset_imports and not offset_exports \
                and all(segment.old == segment.new for segment in self.segments):
            self.checkpoints += moving  # nothing moved
        else:
            self.checkpoints += [self._moved_checkpoint(c, delta, offset_imports, offset_exports)
                                 for c in moving]
        if to_end:
            lexer.stack.clear()
            lexer.facade = old.facade
            lexer.has_module_syntax = old.has_module_syntax
            return lexer.n
        self.agree_end = agree_old_end + delta
        self.next_record = end.pos + delta + _STEP
        if target == index:
            return cp.pos + delta  # no checkpoint to jump to: lex on from here
        self._restore(lexer, self.checkpoints[-1])
        return end.pos + delta

    def _moved_checkpoint(self, cp: _Checkpoint, delta: int, imports: int,
                          exports: int) -> _Checkpoint:
        segment = self.segments[-1]
        before = self.segments[0].length  # the start, where nothing moved

        def move(x: int) -> int:
            if x >= segment.old:
                return x + delta
            if x < before:
                return x
            moved = self._map(x)
            return x + delta if moved is None else moved

        return cp._replace(
            pos=cp.pos + delta, reach=move(cp.reach), last=move(cp.last),
            stack=tuple((k, move(b), move(a)) for k, b, a in cp.stack),
            popped=(cp.popped[0], move(cp.popped[1]), move(cp.popped[2])),
            imports=cp.imports + imports, exports=cp.exports + exports,
            export_start=move(cp.export_start))

    @staticmethod
    def _restore(lexer: _Lexer, cp: _Checkpoint) -> None:
        lexer.last = cp.last
        lexer.stack[:] = cp.stack
        lexer.popped = cp.popped
        lexer.head_removable = cp.head_removable
        lexer.export_start = cp.export_start
        lexer.slash_was_division = cp.slash_was_division
        lexer.next_brace_is_class = cp.next_brace_is_class
        lexer.has_module_syntax = cp.has_module_syntax
        lexer.facade = cp.facade
        lexer.reach = cp.reach


def _shift(x: int, delta: int) -> int:
    return x + delta if x >= 0 else x


def _moved_import(imp: _Import, delta: int) -> _Import:
    if not delta:
        return imp
    moved = _Import(_shift(imp.ss, delta), _shift(imp.s, delta), _shift(imp.e, delta),
                    _shift(imp.se, delta), _shift(imp.d, delta), imp.t, imp.safe)
    moved.a = _shift(imp.a, delta)
    if imp.at is not None:
        moved.at = [(ks + delta, ke + delta, vs + delta, ve + delta) for ks, ke, vs, ve in imp.at]
    return moved


def _moved_export(record: list[int], delta: int) -> list[int]:
    return [_shift(x, delta) for x in record] if delta else record


class LexCache:
    """The last lexing of a few modules, so that an edited module is lexed
    again only around what changed (an HMR edit changes a line or two of a
    module that may be tens of kilobytes)::

        result = cache.analyze(id, code, name)   # as analyze(code, name)

    The result is always what :func:`analyze` gives; the old run's records are
    reused only where the sources agree and the lexer's state is the same.
    Safe to share between threads (a module being lexed meanwhile is lexed
    in full by a second caller).

    :param size: How many modules to remember (least recently used dropped).
    """

    def __init__(self, size: int = 16) -> None:
        self._entries: RecentEntries[_Lexed] = RecentEntries(size)

    def analyze(self, key: str, source: str, name: str = "@") -> LexResult:
        """:func:`analyze` of ``source``, reusing ``key``'s previous run.

        :raises LexError: as :func:`analyze` does.
        """
        if "/node_modules/" in key:
            return analyze(source, name)  # dependencies are not edited: kept nothing for them
        old = self._entries.take(key)
        lexed = old if old is not None and old.source == source else self._lex(source, name, old)
        self._entries.keep(key, lexed)
        return lexed.result

    @staticmethod
    def _lex(source: str, name: str, old: _Lexed | None) -> _Lexed:
        relex = _Relex(old)
        lexer = _Lexer(source, name)
        lexer.relex = relex
        try:
            pos = relex.start(lexer)
            lexer.scan(pos, -1, _SKIP, _SKIP_DYN)
            lexer.finish()
        except LexError:
            if relex.old is None:
                raise
            analyze(source, name)  # the error a whole run reports
            raise
        return _Lexed(source, lexer, relex.checkpoints)


# -- import.meta.hot.accept() arguments ----------------------------------------

# JavaScript's \s.
_JS_WHITESPACE = frozenset(
    "\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def lex_accepted_hmr_deps(code: str, start: int, *, name: str = "@") -> tuple[bool, list[tuple[str, int, int]]]:
    """The dependencies accepted by ``import.meta.hot.accept(...)``.

    A port of Vite's ``lexAcceptedHmrDeps``: ``hot.accept()`` may only name
    dependencies with string literals, so a tiny state machine suffices.

    :param code: The module source.
    :param start: Index just after the ``(`` of ``accept(``.
    :returns: ``(self_accepting, deps)``. A callback or no argument means the
        module accepts itself; a string or an array of strings lists deps as
        ``(url, start, end)`` with ``start:end`` spanning the quoted literal.
    :raises LexError: when the array holds something other than strings, or a
        template has a ``${}``.
    """
    deps: list[tuple[str, int, int]] = []
    in_array = False
    i = start
    n = len(code)
    while i < n:
        c = code[i]
        if c in "'\"`":
            # A literal; no escapes, as in Vite: the text between the quotes.
            j = i + 1
            while j < n and code[j] != c:
                if c == "`" and code[j] == "$" and code[j + 1:j + 2] == "{":
                    _hmr_error(code, j, name)
                j += 1
            if j >= n:
                return False, deps  # ran off the end, as Vite's loop does
            deps.append((code[i + 1:j], i, j + 1))
            if not in_array:
                return False, deps  # accept('dep', cb)
            i = j + 1
            continue
        if c in _JS_WHITESPACE:
            pass
        elif not in_array:
            if c != "[":
                return True, deps  # accept(cb) or accept()
            in_array = True
        elif c == "]":
            return False, deps
        elif c != ",":
            _hmr_error(code, i, name)
        i += 1
    return False, deps


def lex_accepted_hmr_exports(code: str, start: int, *, name: str = "@") -> list[str]:
    """The export names given to ``import.meta.hot.acceptExports(...)``
    (Vite's ``lexAcceptedHmrExports``); ``start`` is just after its ``(``."""
    return [url for url, _, _ in lex_accepted_hmr_deps(code, start, name=name)[1]]


def _hmr_error(code: str, idx: int, name: str) -> t.NoReturn:
    raise LexError(
        "import.meta.hot.accept() can only accept string literals or an Array of string literals.",
        name=name,
        source=code,
        idx=idx,
    )
