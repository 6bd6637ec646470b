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
