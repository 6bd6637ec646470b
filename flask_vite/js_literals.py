"""Two small JavaScript helpers for plugins that read calls in source text.

* :func:`strip_literals` blanks out comments and the contents of strings,
  template literals and regular expressions (keeping offsets and line
  breaks), so a plain regex search for ``import.meta.glob(`` finds only
  code — as Vite does with ``strip-literal``;
* :func:`parse_literal` reads one *literal* value — string, number,
  boolean, ``null``, ``undefined``, array or object of literals — as
  JavaScript writes it, and says where it stopped; anything else raises
  :class:`NotLiteral`.

Pure functions; no attempt at being a full JavaScript parser.
"""
from __future__ import annotations

import re
import typing as t

__all__ = ["NotLiteral", "UNDEFINED", "parse_literal", "skip_space", "strip_literals"]


class _Undefined:
    """JavaScript's ``undefined`` (``None`` stands for ``null``)."""

    def __repr__(self) -> str:
        return "undefined"


UNDEFINED: t.Any = _Undefined()

# After these, "/" starts a regular expression rather than a division.
_REGEX_AFTER_CHARS = frozenset("(,=:[!&|?{};+-*%<>~^")
_REGEX_AFTER_WORDS = frozenset((
    "return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw", "case",
    "do", "else", "yield", "await",
))
_WORD_RE = re.compile(r"[A-Za-z0-9_$\u0080-\uffff]")


def _blank(text: str) -> str:
    return "".join("\n" if c == "\n" else " " for c in text)


def strip_literals(code: str) -> str:
    """``code`` with comments and literal contents replaced by spaces.

    Quotes, backticks, slashes and ``${``/``}`` of template expressions stay;
    the expressions inside templates stay as code. The result has the same
    length and line breaks, so offsets and line numbers carry over.
    """
    out = list(code)
    n = len(code)
    i = 0
    # A stack of brace depths: one entry per template expression we are in.
    template_depths: list[int] = []
    depth = 0
    last_char = ""
    last_word = ""

    def blank(start: int, end: int) -> None:
        for k in range(start, end):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = code[i]
        if c in " \t\r\n\f\v\u00a0\ufeff\u2028\u2029":
            i += 1
            continue
        if c == "/" and code.startswith("//", i):
            end = code.find("\n", i)
            end = n if end < 0 else end
            blank(i, end)
            i = end
            continue
        if c == "/" and code.startswith("/*", i):
            end = code.find("*/", i + 2)
            end = n if end < 0 else end + 2
            blank(i, end)
            i = end
            continue
        if c in "'\"":
            j = i + 1
            while j < n and code[j] != c and code[j] != "\n":
                j += 2 if code[j] == "\\" else 1
            blank(i + 1, min(j, n))
            i = j + 1
            last_char, last_word = c, ""
            continue
        if c == "`" or (c == "}" and template_depths and template_depths[-1] == depth):
            if c == "}":
                template_depths.pop()
            j = i + 1
            while j < n:
                if code[j] == "\\":
                    j += 2
                    continue
                if code[j] == "`":
                    break
                if code.startswith("${", j):
                    break
                j += 1
            blank(i + 1, min(j, n))
            if j < n and code[j] == "$":
                template_depths.append(depth)
                i = j + 2
                last_char, last_word = "{", ""
            else:
                i = j + 1
                last_char, last_word = "`", ""
            continue
        if c == "/" and (last_char in _REGEX_AFTER_CHARS or last_char == ""
                         or last_word in _REGEX_AFTER_WORDS):
            j = i + 1
            in_class = False
            while j < n and code[j] != "\n":
                if code[j] == "\\":
                    j += 2
                    continue
                if code[j] == "[":
                    in_class = True
                elif code[j] == "]":
                    in_class = False
                elif code[j] == "/" and not in_class:
                    break
                j += 1
            blank(i + 1, min(j, n))
            i = j + 1
            last_char, last_word = "/", ""
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        if _WORD_RE.match(c):
            j = i
            while j < n and _WORD_RE.match(code[j]):
                j += 1
            last_word = code[i:j]
            last_char = code[j - 1]
            i = j
            continue
        last_char, last_word = c, ""
        i += 1
    return "".join(out)


class NotLiteral(Exception):
    """The text at :attr:`pos` is not a literal value; :attr:`kind` says what it looks like."""

    def __init__(self, pos: int, kind: str, message: str = "") -> None:
        super().__init__(message or f"expected a literal at offset {pos}, found {kind}")
        self.pos = pos
        self.kind = kind


_NUMBER_RE = re.compile(
    r"0[xX][0-9a-fA-F_]+n?|0[oO][0-7_]+n?|0[bB][01_]+n?"
    r"|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?n?"
)
_IDENT_RE = re.compile(r"[A-Za-z_$\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def skip_space(code: str, pos: int) -> int:
    """The offset of the next character that is not whitespace or a comment."""
    n = len(code)
    while pos < n:
        if code[pos].isspace() or code[pos] == "\ufeff":
            pos += 1
        elif code.startswith("//", pos):
            end = code.find("\n", pos)
            pos = n if end < 0 else end
        elif code.startswith("/*", pos):
            end = code.find("*/", pos + 2)
            pos = n if end < 0 else end + 2
        else:
            break
    return pos


def _string(code: str, pos: int) -> tuple[str, int]:
    quote = code[pos]
    out: list[str] = []
    i = pos + 1
    n = len(code)
    while i < n:
        c = code[i]
        if c == quote:
            return "".join(out), i + 1
        if c == "\n":
            break
        if c == "\\" and i + 1 < n:
            e = code[i + 1]
            if e in _ESCAPES and not (e == "0" and i + 2 < n and code[i + 2].isdigit()):
                out.append(_ESCAPES[e])
                i += 2
            elif e == "x" and re.match(r"[0-9a-fA-F]{2}", code[i + 2:i + 4]):
                out.append(chr(int(code[i + 2:i + 4], 16)))
                i += 4
            elif e == "u" and code.startswith("{", i + 2):
                end = code.find("}", i + 3)
                out.append(chr(int(code[i + 3:end], 16)))
                i = end + 1
            elif e == "u":
                out.append(chr(int(code[i + 2:i + 6], 16)))
                i += 6
            elif e == "\r" and code.startswith("\n", i + 2):
                i += 3  # line continuation
            elif e in "\n\u2028\u2029":
                i += 2
            else:
                out.append(e)
                i += 2
            continue
        out.append(c)
        i += 1
    raise NotLiteral(pos, "string", f"unterminated string at offset {pos}")


def _number(text: str) -> int | float:
    text = text.replace("_", "").rstrip("n")
    lower = text.lower()
    if lower.startswith(("0x", "0o", "0b")):
        return int(text, 0)
    value = float(text)
    return int(value) if value.is_integer() and "." not in text and "e" not in lower else value


def parse_literal(code: str, pos: int) -> tuple[t.Any, int]:
    """The literal value at ``code[pos:]`` (after whitespace and comments) and
    the offset just past it.

    Strings are decoded; a template literal without ``${`` gives its *raw*
    text (as Vite reads glob patterns); objects become dicts, arrays lists
    (a hole is :data:`UNDEFINED`), ``null`` is ``None``.

    :raises NotLiteral: at the first value that is not a literal.
    """
    pos = skip_space(code, pos)
    if pos >= len(code):
        raise NotLiteral(pos, "end of input")
    c = code[pos]
    if c in "'\"":
        return _string(code, pos)
    if c == "`":
        end = pos + 1
        while end < len(code) and code[end] != "`":
            if code[end] == "\\":
                end += 1
            elif code.startswith("${", end):
                raise NotLiteral(pos, "template", "dynamic template literal")
            end += 1
        if end >= len(code):
            raise NotLiteral(pos, "template", "unterminated template literal")
        return code[pos + 1:end], end + 1
    if c == "[":
        items: list[t.Any] = []
        i = skip_space(code, pos + 1)
        while i < len(code) and code[i] != "]":
            if code[i] == ",":
                items.append(UNDEFINED)
                i = skip_space(code, i + 1)
                continue
            if code.startswith("...", i):
                raise NotLiteral(i, "spread")
            value, i = parse_literal(code, i)
            items.append(value)
            i = skip_space(code, i)
            if i < len(code) and code[i] == ",":
                i = skip_space(code, i + 1)
            elif i < len(code) and code[i] != "]":
                raise NotLiteral(i, "expression")
        if i >= len(code):
            raise NotLiteral(pos, "array", "unterminated array")
        return items, i + 1
    if c == "{":
        obj: dict[str, t.Any] = {}
        i = skip_space(code, pos + 1)
        while i < len(code) and code[i] != "}":
            if code[i] in "'\"":
                key, i = _string(code, i)
            else:
                match = _IDENT_RE.match(code, i) or _NUMBER_RE.match(code, i)
                if match is None:
                    raise NotLiteral(i, "property")
                key, i = match.group(), match.end()
            i = skip_space(code, i)
            if i >= len(code) or code[i] != ":":
                raise NotLiteral(i, "shorthand or method")
            obj[key], i = parse_literal(code, i + 1)
            i = skip_space(code, i)
            if i < len(code) and code[i] == ",":
                i = skip_space(code, i + 1)
            elif i < len(code) and code[i] != "}":
                raise NotLiteral(i, "expression")
        if i >= len(code):
            raise NotLiteral(pos, "object", "unterminated object")
        return obj, i + 1
    sign = 1
    start = pos
    if c in "+-":
        sign = -1 if c == "-" else 1
        pos = skip_space(code, pos + 1)
    number = _NUMBER_RE.match(code, pos)
    if number is not None:
        return sign * _number(number.group()), number.end()
    word = _IDENT_RE.match(code, pos)
    if word is not None and start == pos:
        constants = {"true": True, "false": False, "null": None, "undefined": UNDEFINED}
        if word.group() in constants:
            end = skip_space(code, word.end())
            if end >= len(code) or code[end] in ",)]}":
                return constants[word.group()], word.end()
        raise NotLiteral(start, "identifier")
    raise NotLiteral(start, "expression")
