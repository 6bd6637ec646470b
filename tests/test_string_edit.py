from __future__ import annotations

from flask_vite.sourcemap import original_position
from flask_vite.string_edit import StringEdit


def test_apply_and_shift_without_previous_map() -> None:
    code = 'import a from "a";\nconsole.log(a)\n'
    edit = StringEdit(code)
    edit.overwrite(15, 16, "/node_modules/.vite/deps/a.js?v=1")
    edit.prepend("import.meta.env = {};\n")
    out = edit.apply()
    assert out == 'import.meta.env = {};\nimport a from "/node_modules/.vite/deps/a.js?v=1";\nconsole.log(a)\n'
    m = edit.shift_map(None, "/src/x.js")
    # "console" moved down one line (the prelude) and maps to line 2 of the original.
    assert original_position(m, 3, 0) == ("/src/x.js", 2, 0)
    # The closing quote after the rewritten specifier maps to its original column.
    col = out.splitlines()[1].index('";')
    assert original_position(m, 2, col) == ("/src/x.js", 1, 16)


def test_shift_keeps_previous_mappings_exact() -> None:
    code = 'import x from "./x";\nfoo(x, bar)\n'
    # A previous map where each token maps to the original one line lower.
    from flask_vite.sourcemap import encode_mappings

    prev = {"version": 3, "sources": ["a.ts"], "names": [],
            "mappings": encode_mappings([[(0, 0, 1, 0), (14, 0, 1, 14), (19, 0, 1, 19)],
                                         [(0, 0, 2, 0), (4, 0, 2, 4), (7, 0, 2, 7)]])}
    edit = StringEdit(code)
    edit.overwrite(15, 18, "/src/x.ts")  # ./x → /src/x.ts (+6)
    m = edit.shift_map(prev, "ignored")
    assert original_position(m, 1, 0) == ("a.ts", 2, 0)
    assert original_position(m, 1, 14) == ("a.ts", 2, 14)
    assert original_position(m, 1, 25) == ("a.ts", 2, 19)
    assert original_position(m, 2, 7) == ("a.ts", 3, 7)


def _general_shift(edit: StringEdit, previous: dict) -> dict:
    # shift_map with the in-line fast path turned off: the reference.
    fast = StringEdit._shift_mappings_in_lines
    StringEdit._shift_mappings_in_lines = lambda self, mappings: None  # type: ignore[method-assign]
    try:
        return edit.shift_map(previous, "ignored")
    finally:
        StringEdit._shift_mappings_in_lines = fast  # type: ignore[method-assign]


def test_in_line_shift_equals_the_general_one_on_random_edits() -> None:
    # Edits that keep line breaks (what import analysis makes) take a path
    # that leaves unedited lines' mapping text alone; it must decode to
    # exactly what the general path computes, including mappings dropped
    # inside replaced text (their deltas carried to the next mapping) and
    # name indexes.
    import random

    from flask_vite.sourcemap import encode_mappings

    rng = random.Random(7)
    for _ in range(300):
        lines = ["".join(rng.choice("abc ();'\"") for _ in range(rng.randint(0, 30)))
                 for _ in range(rng.randint(1, 8))]
        code = "\n".join(lines) + "\n"
        segments = []
        for number, text in enumerate(lines):
            cols = sorted(rng.sample(range(len(text) + 1), k=min(len(text) + 1, rng.randint(0, 5))))
            segments.append([
                (c,) if rng.random() < 0.1 else
                (c, rng.randint(0, 2), number + rng.randint(0, 3), rng.randint(0, 40))
                + ((rng.randint(0, 5),) if rng.random() < 0.3 else ())
                for c in cols
            ])
        previous = {"version": 3, "sources": ["a", "b", "c"], "names": list("uvwxyz"),
                    "mappings": encode_mappings(segments)}
        edit = StringEdit(code)
        taken: set[int] = set()
        for _ in range(rng.randint(1, 4)):
            number = rng.randrange(len(lines))
            line_start = sum(len(x) + 1 for x in lines[:number])
            a, b = sorted(rng.randint(0, len(lines[number])) for _ in range(2))
            span = set(range(line_start + a, line_start + b + 1))
            if span & taken:
                continue
            taken |= span
            edit.overwrite(line_start + a, line_start + b, "/x" * rng.randint(0, 3))
        if rng.random() < 0.5:
            edit.prepend("import.meta.hot = h();")
        fast = edit.shift_map(previous, "ignored")
        assert edit._shift_mappings_in_lines(previous["mappings"]) is not None
        assert _lines(fast) == _lines(_general_shift(edit, previous))


def _lines(source_map: dict) -> list:
    from flask_vite.sourcemap import decode_mappings

    lines = decode_mappings(source_map["mappings"])
    while lines and not lines[-1]:
        lines.pop()  # trailing lines without mappings mean nothing
    return lines


def test_edits_across_line_breaks_take_the_general_path() -> None:
    edit = StringEdit("a\nb\n")
    edit.overwrite(0, 3, "x")
    assert edit._shift_mappings_in_lines("AAAA;AACA") is None
    edit = StringEdit("a\nb\n")
    edit.prepend("x;\n")
    assert edit._shift_mappings_in_lines("AAAA;AACA") is None
