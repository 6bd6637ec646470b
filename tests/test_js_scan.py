"""The tokenizer behind the React Fast Refresh transform (:mod:`flask_vite.js_scan`)."""
from __future__ import annotations

import pytest

from flask_vite.js_scan import NAME, PUNCT, REGEX, STRING, TEMPLATE, ScanError, tokenize


def kinds(code: str) -> list[tuple[str, str]]:
    return [(tok.kind, tok.text) for tok in tokenize(code)]


@pytest.mark.parametrize(("code", "expected"), [
    ("a / b / c", [(NAME, "a"), (PUNCT, "/"), (NAME, "b"), (PUNCT, "/"), (NAME, "c")]),
    ("x = /a\\/b[/]/gi.test(y)", [(NAME, "x"), (PUNCT, "="), (REGEX, "/a\\/b[/]/gi"), (PUNCT, "."),
                                  (NAME, "test"), (PUNCT, "("), (NAME, "y"), (PUNCT, ")")]),
    ("return /}/", [(NAME, "return"), (REGEX, "/}/")]),
    ("f(a) / 2", [(NAME, "f"), (PUNCT, "("), (NAME, "a"), (PUNCT, ")"), (PUNCT, "/"), ("number", "2")]),
    ("a /= 2", [(NAME, "a"), (PUNCT, "/="), ("number", "2")]),
    ("'}' + \"{\" // }\n/* { */", [(STRING, "'}'"), (PUNCT, "+"), (STRING, '"{"')]),
    ("`a${ {b: '}'} }c`", [(TEMPLATE, "`a${"), (PUNCT, "{"), (NAME, "b"), (PUNCT, ":"), (STRING, "'}'"),
                            (PUNCT, "}"), (TEMPLATE, "}c`")]),
    ("`${`${x}`}`", [(TEMPLATE, "`${"), (TEMPLATE, "`${"), (NAME, "x"), (TEMPLATE, "}`"), (TEMPLATE, "}`")]),
    ("`x` / 2", [(TEMPLATE, "`x`"), (PUNCT, "/"), ("number", "2")]),
    ("a?.b ?? c?.[0] ... => ?.5", [(NAME, "a"), (PUNCT, "?."), (NAME, "b"), (PUNCT, "??"), (NAME, "c"),
                                   (PUNCT, "?."), (PUNCT, "["), ("number", "0"), (PUNCT, "]"),
                                   (PUNCT, "..."), (PUNCT, "=>"), (PUNCT, "?"), ("number", ".5")]),
    ("#!/usr/bin/env node\nthis.#x", [(NAME, "this"), (PUNCT, "."), (NAME, "#x")]),
    ("café = \\u0061b", [(NAME, "café"), (PUNCT, "="), (NAME, "\\u0061b")]),
])
def test_tokens(code: str, expected: list[tuple[str, str]]) -> None:
    assert kinds(code) == expected


def test_brackets_are_matched_with_depths() -> None:
    tokens = tokenize("f(a, [b, {c: `${d}`}]) + g()")
    by_text = {(tok.text, tok.start): i for i, tok in enumerate(tokens)}
    open_paren = by_text[("(", 1)]
    assert tokens[tokens[open_paren].match].start == 21
    assert tokens[tokens[open_paren].match].match == open_paren
    assert [tok.depth for tok in tokens if tok.kind == NAME] == [0, 1, 2, 3, 4, 0]
    brace = by_text[("{", 9)]
    assert tokens[tokens[brace].match].text == "}"


@pytest.mark.parametrize(("code", "message"), [
    ("f(a", "'(' at offset 1 is never closed"),
    ("a)", "unbalanced ')'"),
    ("[}", "'[' at offset 0 closed by '}'"),
    ("'abc", "unexpected character"),
    ("`abc", "unterminated template"),
    ("x = /abc", "unterminated regular expression"),
    ("/* no end", "unterminated comment"),
])
def test_errors(code: str, message: str) -> None:
    with pytest.raises(ScanError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[")):
        tokenize(code)
