"""The tokenizer behind the React Fast Refresh transform (:mod:`flask_vite.js_scan`)."""
from __future__ import annotations

import random
import typing as t

import pytest

from flask_vite.js_scan import (
    NAME,
    PUNCT,
    REGEX,
    STRING,
    TEMPLATE,
    ScanError,
    Token,
    TokenCache,
    retokenize,
    tokenize,
)


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


# -- retokenize ------------------------------------------------------------------

_EDITED = """\
import { jsxDEV } from "react/jsx-dev-runtime";
const re = /a\\/b[/]/gi, half = total / 2 /* { */;
let big = 2e+x, hex = 0xZ; // tokens only: 2 e + x, 0 xZ
let ratio = total / 2 / count;
function App({ items }) {
  const label = `Count ${items.map((x) => `<${x}>`).join(", ")} done`;
  return /* @__PURE__ */ jsxDEV("h1", { children: "Get started" }, void 0, false, {
    fileName: "/src/App.tsx",
    lineNumber: 19,
    columnNumber: 11
  }, this);
}
// } a line comment
export default App;
"""


def snapshot(tokens: list[Token]) -> list[tuple[str, str, int, int, int, int]]:
    return [(tok.kind, tok.text, tok.start, tok.end, tok.depth, tok.match) for tok in tokens]


def outcome(fn: t.Callable[..., list[Token]], *args: t.Any) -> object:
    try:
        return snapshot(fn(*args))
    except ScanError as e:
        return str(e)


@pytest.mark.parametrize(("old", "new"), [
    ("Get started", "Edit 001 xx"),
    ("lineNumber: 19", "lineNumber: 119"),
    ("/* { */", "/* { "),                      # an open comment swallows what follows
    ("half = total / 2", "half = total\n/ 2"),
    ("{ items }", "{ items, key }"),
    ("`Count ", "`Count }"),
    ("${items", "{items"),                    # a template hole no more: `}` closes a brace
    ("{ children:", "${ children:"),
    ("done`", "done"),                        # unterminated template
    ("export default App;", "export default App; /"),
    ('"Get started"', "`Get ${started}`"),
    ("return /*", "return /"),                # a regex now, not a comment
    ("const re", "const re = 1, re2"),
    ("import", "#!/usr/bin/env node\nimport"),
    ("2e+x", "2e+5"),                         # a number's end depends on what follows it
    ("0xZ", "0x1"),
])
def test_retokenize_is_tokenize(old: str, new: str) -> None:
    assert old in _EDITED
    edited = _EDITED.replace(old, new, 1)
    expected = outcome(tokenize, edited)
    assert outcome(retokenize, _EDITED, tokenize(_EDITED), edited) == expected
    # And back again.
    if not isinstance(expected, str):
        assert outcome(retokenize, edited, tokenize(edited), _EDITED) == snapshot(tokenize(_EDITED))


@pytest.mark.parametrize("edits", [
    [("total / 2 / count", "yield / 2 / count")],   # a name now a keyword: a regex follows
    [("ratio = total", "ratio =(total"), ("/ count;", "/ count);")],  # deeper in between
    [("lineNumber: 19", "lineNumber: 9"), ("columnNumber: 11", "columnNumber: 100")],
    [("`Count", "`Count ${1}"), ("Get started", "Get ${started}")],
])
def test_retokenize_several_edits(edits: list[tuple[str, str]]) -> None:
    edited = _EDITED
    for old, new in edits:
        assert old in edited
        edited = edited.replace(old, new, 1)
    assert outcome(retokenize, _EDITED, tokenize(_EDITED), edited) == outcome(tokenize, edited)


def test_retokenize_random_edits() -> None:
    rng = random.Random(6)
    pieces = ["`", "${", "}", "{", "(", ")", "/", "/*", "*/", "//", "'", '"', "\n", "x", "1",
              "lineNumber: 20", "a / b", "return /x/", " ", "?.", ">>>", "e"]
    code = _EDITED
    tokens = tokenize(code)
    for _ in range(1500):
        # One to three edits, as an edit above esbuild's line numbers changes them all.
        edited = _EDITED
        for at in sorted(rng.sample(range(len(_EDITED)), rng.randint(1, 3)), reverse=True):
            cut = rng.choice([0, 0, 1, 2, 5])
            edited = edited[:at] + "".join(rng.choices(pieces, k=rng.randint(0, 3))) + edited[at + cut:]
        expected = outcome(tokenize, edited)
        assert outcome(retokenize, code, tokens, edited) == expected, edited
        if isinstance(expected, str):
            tokens = tokenize(code)  # reused by the failed call
        else:
            code, tokens = edited, tokenize(edited)
            if rng.random() < 0.5:
                code, tokens = _EDITED, tokenize(_EDITED)


def test_retokenize_line_numbers_after_an_edit() -> None:
    old = "\n".join(f'  jsxDEV("p", {{ children: "{i}" }}, void 0, false, {{ lineNumber: {i} }}, this),'
                    for i in range(95, 105))
    new = "\n".join(f'  jsxDEV("p", {{ children: "{i}" }}, void 0, false, {{ lineNumber: {i + 1} }}, this),'
                    for i in range(95, 105))
    old, new = f"f([\n{old}\n]);\n", f"f([\n  x,\n{new}\n]);\n"
    assert snapshot(retokenize(old, tokenize(old), new)) == snapshot(tokenize(new))


def test_token_cache_reuses_a_modules_last_tokens() -> None:
    cache = TokenCache(size=2)
    with cache.tokens("/src/App.tsx", _EDITED) as first:
        pass
    edited = _EDITED.replace("Get started", "Edited")
    with cache.tokens("/src/App.tsx", edited) as second:
        assert snapshot(second) == snapshot(tokenize(edited))
    assert second[0] is first[0]  # kept, not tokenized again
    with pytest.raises(RuntimeError), cache.tokens("/src/App.tsx", _EDITED):
        raise RuntimeError  # nothing kept: the next call tokenizes in full
    with cache.tokens("/src/App.tsx", _EDITED) as third:
        assert third[0] is not first[0]
    for name in ("/a.js", "/b.js"):
        with cache.tokens(name, "a"):
            pass
    with cache.tokens("/src/App.tsx", _EDITED) as fourth:
        assert fourth[0] is not third[0]  # dropped: two others since
