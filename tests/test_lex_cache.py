"""flask_vite.js_lexer.LexCache: an edited module lexed again only around
the edit, with exactly :func:`analyze`'s result.

The cross-check edits real code at random (a fixed seed: the same cases
every run) the ways an HMR save changes what esbuild prints: tokens added
or removed anywhere, brackets and quotes left open, line numbers that all
move after an added line.
"""
from __future__ import annotations

import lzma
import random
import re
import typing as t
from pathlib import Path

import pytest

from flask_vite import js_lexer
from flask_vite.js_lexer import LexCache, LexError, LexResult, analyze

PACKAGE = Path(js_lexer.__file__).parent
LIBS = Path(__file__).parent / "fixtures" / "js_lexer" / "libs"

SNIPPETS = [
    "\n", " ", '"str"', "'a'", "`t${x}`", "`plain`", "/re/g", "a / b", "(", ")", "{", "}", "[", "]",
    'import("./x")', "import.meta.url", "export const q = 1;", "// c\n", "/* c */", "return /x/",
    "x", "1", ";", "if (a) /r/.test(b)", "for (x of /y/)", "class A {}", "} /z/",
    "import('y').then(f)", "\nbreak\n", "continue l\n/re/", "=> {", "...import.meta",
    "obj.import(1)", "`${`n${1}`}`", "\\", '"', "'", "`", "export { a as b }", "export default /r/",
    "import x from 'q' with { type: 'json' }", "import y from 'q' with { type: 1 }",
]
LINE_NUMBER = re.compile(r"(?<=lineNumber: )\d+")


def jsx_module(components: int) -> str:
    """Code shaped like esbuild's dev JSX output (what Fast Refresh modules are)."""
    parts = ['import { jsxDEV } from "react/jsx-dev-runtime";\nimport { useState } from "react";\n']
    line = 3
    for i in range(components):
        parts.append(
            f"export function C{i}() {{\n  const [n, setN] = useState({i});\n"
            f'  return /* @__PURE__ */ jsxDEV("div", {{ className: "c{i}", children: [\n'
            f'    /* @__PURE__ */ jsxDEV("h1", {{ children: "Title {i}" }}, void 0, false, {{\n'
            f'      fileName: "/src/C.tsx",\n      lineNumber: {line},\n      columnNumber: 7\n'
            f"    }}, this),\n"
            f'    n > 1 ? /* @__PURE__ */ jsxDEV("p", {{ onClick: () => setN(n / 2), children: `${{n}}` }},'
            f' void 0, false, {{ fileName: "/src/C.tsx", lineNumber: {line + 1}, columnNumber: 9 }}, this)'
            f" : import(\"./lazy{i}.js\")\n"
            f"  ] }}, void 0, true, {{ fileName: \"/src/C.tsx\", lineNumber: {line + 2}, columnNumber: 5 }}, this);\n"
            f"}}\n")
        line += 7
    parts.append("if (import.meta.hot) { import.meta.hot.accept(); }\n")
    return "".join(parts)


def corpus() -> list[str]:
    sources = [jsx_module(40)]
    sources += [(PACKAGE / "client" / name).read_text("utf-8") for name in ("client.js", "overlay.js")]
    sources.append((PACKAGE / "ssr" / "runner.js").read_text("utf-8"))
    for lib in ("lit-html@3.2.1-lit-html.js.xz", "preact@10.25.4-dist-preact.module.js.xz"):
        sources.append(lzma.decompress((LIBS / lib).read_bytes()).decode("utf-8"))
    return sources


def edit(source: str, rnd: random.Random) -> str:
    at = rnd.randrange(len(source) + 1)
    what = rnd.random()
    if what < 0.45:
        return source[:at] + rnd.choice(SNIPPETS) + source[at:]
    if what < 0.7:
        return source[:at] + source[at + rnd.randint(1, 20):]
    if what < 0.85:
        return source[:at] + rnd.choice(SNIPPETS) + source[at + rnd.randint(1, 10):]
    # A line added above: every line number printed after it moves.
    return source[:at] + LINE_NUMBER.sub(lambda m: str(int(m.group(0)) + 1), source[at:])


def outcome(lex: t.Callable[[], LexResult]) -> tuple[str, object]:
    try:
        return "ok", lex()
    except LexError as e:
        return "error", (str(e), e.idx)


def test_edited_modules_lex_as_if_new() -> None:
    rnd = random.Random(20261121)
    sources = corpus()
    cache = LexCache()
    for case in range(300):
        source = rnd.choice(sources)
        key = f"/src/m{case % 5}.js"
        cache.analyze(key, source)
        for _ in range(rnd.randint(1, 5)):
            source = edit(source, rnd)
            expected = outcome(lambda: analyze(source, key))
            assert outcome(lambda: cache.analyze(key, source, key)) == expected, (case, source)


def test_only_the_edited_part_is_lexed_again(monkeypatch: pytest.MonkeyPatch) -> None:
    source = jsx_module(60)
    cache = LexCache()
    cache.analyze("/src/App.jsx", source)
    edited = source.replace('"Title 30"', '"Title thirty"')
    events = 0
    consume = js_lexer._Lexer.consume

    def counted(self: t.Any, q: int) -> None:
        nonlocal events
        events += 1
        consume(self, q)

    monkeypatch.setattr(js_lexer._Lexer, "consume", counted)
    analyze(edited)
    whole, events = events, 0
    result = cache.analyze("/src/App.jsx", edited)
    assert events * 10 < whole, (events, whole)
    assert result == analyze(edited)
    # A line added: every line number after it changes too (a change every
    # few lines); what comes before it is still not lexed again.
    at = edited.index('"Title 45"')
    added = edited[:at] + LINE_NUMBER.sub(lambda m: str(int(m.group(0)) + 1),
                                          edited[at:].replace('"Title 45"', '"Title 45",\n x: 1', 1))
    expected = analyze(added)
    events = 0
    assert cache.analyze("/src/App.jsx", added) == expected
    assert events * 2 < whole, (events, whole)


def test_a_syntax_error_is_reported_as_by_a_whole_run_and_then_fixed() -> None:
    source = jsx_module(20)
    cache = LexCache()
    cache.analyze("/src/App.jsx", source)
    broken = source.replace('"Title 10"', '"Title 10', 1)
    with pytest.raises(LexError) as raised:
        cache.analyze("/src/App.jsx", broken)
    with pytest.raises(LexError) as whole:
        analyze(broken)
    assert (str(raised.value), raised.value.idx) == (str(whole.value), whole.value.idx)
    assert cache.analyze("/src/App.jsx", source) == analyze(source)


def test_dependencies_are_not_kept() -> None:
    cache = LexCache()
    cache.analyze("/app/node_modules/.vite/deps/react.js", "export default 1")
    cache.analyze("/app/src/main.js", "import 'x'")
    assert list(cache._entries) == ["/app/src/main.js"]
