"""A failing build exits non-zero with esbuild's messages: file:line:column, then the code."""
from __future__ import annotations

import os
import typing as t
from pathlib import Path

import pytest

from flask_vite.build.environment import BuildError
from flask_vite.cli import vite_cli
from flask_vite.plugin import Plugin

from .conftest import Builder, write


def run_build(builder: Builder, root: Path, *args: str, **config: t.Any) -> t.Any:
    app = builder.app(root, **config)
    cwd = os.getcwd()
    os.chdir(root.parent)  # paths in messages are relative to the current folder
    try:
        return app.test_cli_runner().invoke(vite_cli, ["build", *args])
    finally:
        os.chdir(cwd)


def test_a_typescript_syntax_error(builder: Builder, small_root: Path) -> None:
    write(small_root, {"src/main.ts": "const a: number = 1\nconst b = (a +;\n"})
    result = run_build(builder, small_root)
    assert result.exit_code == 1
    assert "error during build:" in result.output
    assert "app/src/main.ts:2:14: Unexpected \";\"" in result.output
    assert "const b = (a +;" in result.output  # the line, with a caret under the column
    assert not (small_root / "dist").exists()  # nothing half-written


def test_a_javascript_syntax_error_in_a_dependency(builder: Builder, small_root: Path) -> None:
    write(small_root, {
        "src/main.ts": "import { x } from './util.js'\nconsole.log(x)\n",
        "src/util.js": "export const x = {\n  a: 1,,\n}\n",
    })
    result = run_build(builder, small_root)
    assert result.exit_code == 1
    assert 'app/src/util.js:2:7: Expected identifier but found ","' in result.output


def test_an_import_that_resolves_nowhere(builder: Builder, small_root: Path) -> None:
    write(small_root, {"src/main.ts": "// a comment TypeScript drops\n\n"
                                      "import { x } from './missing'\nconsole.log(x)\n"})
    result = run_build(builder, small_root)
    assert result.exit_code == 1
    # The position in the file as written (through the TypeScript transform's map).
    assert "app/src/main.ts:3:18: Could not resolve \"./missing\"\n" \
           "    import { x } from './missing'\n" in result.output


def test_a_node_builtin_in_the_server_bundle_names_the_import_chain(
        builder: Builder, small_root: Path) -> None:
    write(small_root, {
        "src/entry-server.ts": "import { read } from './db'\nexport const render = () => read()\n",
        "src/db.ts": "import fs from 'node:fs'\nexport const read = () => fs.readFileSync('x')\n",
    })
    result = run_build(builder, small_root, "--ssr", "src/entry-server.ts")
    assert result.exit_code == 1
    assert "app/src/db.ts:1:15:" in result.output
    assert ('"node:fs" is a Node.js built-in module, which the V8 renderer does not have'
            " (import chain: /src/entry-server.ts -> /src/db.ts -> node:fs)") in result.output


def test_a_failing_plugin_is_named(builder: Builder, small_root: Path) -> None:
    class Broken(Plugin):
        name = "broken"

        def transform(self, ctx: t.Any, code: str, id: str) -> None:
            if id.endswith("main.ts"):
                raise ValueError("cannot handle this")

    result = run_build(builder, small_root, plugins=[Broken()])
    assert result.exit_code == 1
    assert "[plugin broken] transform failed while processing" in result.output
    assert "main.ts: cannot handle this" in result.output


def test_a_missing_input(builder: Builder, small_root: Path) -> None:
    with pytest.raises(BuildError, match="The build input 'admin.html' does not exist"):
        builder(small_root, config={"VITE_BUILD_INPUT": ["admin.html"]})
    with pytest.raises(BuildError, match="Cannot resolve the SSR entry 'src/nope.ts'"):
        builder(small_root, client=False, ssr="src/nope.ts")


def test_build_end_sees_the_error(builder: Builder, small_root: Path) -> None:
    seen: list[object] = []

    class Watcher(Plugin):
        name = "watcher"

        def build_end(self, ctx: t.Any, error: BaseException | None) -> None:
            seen.append(error)

    write(small_root, {"src/main.ts": "let x = ;\n"})
    with pytest.raises(BuildError):
        builder(small_root, plugins=[Watcher()])
    assert len(seen) == 1 and isinstance(seen[0], BuildError)
