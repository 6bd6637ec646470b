"""``flask vite build`` options: which environments, mode, output folder, watch."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import typing as t
from pathlib import Path

from flask_vite.cli import vite_cli

from .conftest import Builder, write

SERVER = "export const render = (): string => import.meta.env.MODE\n"


def invoke(builder: Builder, root: Path, *args: str, **config: t.Any) -> t.Any:
    app = builder.app(root, **config)
    result = app.test_cli_runner().invoke(vite_cli, ["build", *args])
    assert result.exit_code == 0, result.output
    return result


def built(root: Path, out: str = "dist") -> tuple[bool, bool]:
    return ((root / out / "client" / "index.html").is_file(),
            (root / out / "server" / "entry-server.js").is_file())


def test_the_group_lists_build(builder: Builder, small_root: Path) -> None:
    app = builder.app(small_root)
    result = app.test_cli_runner().invoke(vite_cli, ["--help"])
    assert "build" in result.output


def test_which_environments(builder: Builder, small_root: Path) -> None:
    write(small_root, {"src/entry-server.ts": SERVER})
    result = invoke(builder, small_root)
    assert built(small_root) == (True, False)
    assert "building client environment for production" in result.output
    assert "✓ built in" in result.output and "modules transformed." in result.output
    invoke(builder, small_root, "--ssr", "src/entry-server.ts")  # the server only, as vite
    assert built(small_root) == (True, True)
    os.remove(small_root / "dist" / "client" / "index.html")
    invoke(builder, small_root, "--ssr", "src/entry-server.ts")
    assert built(small_root) == (False, True)
    result = invoke(builder, small_root, "--app", "--ssr", "src/entry-server.ts")
    assert built(small_root) == (True, True)
    assert result.output.index("building client") < result.output.index("building ssr")
    # With the SSR entry configured, a plain build makes both.
    for folder in ("client", "server"):
        for file in (small_root / "dist" / folder).rglob("*"):
            if file.is_file():
                file.unlink()
    invoke(builder, small_root, VITE_SSR_ENTRY="src/entry-server.ts")
    assert built(small_root) == (True, True)


def test_mode_outdir_and_minify(builder: Builder, small_root: Path) -> None:
    write(small_root, {
        "src/entry-server.ts": SERVER,
        ".env.staging": "VITE_WHERE=staging server\n",
        "src/main.ts": "import './style.css'\n"
                       "export const where: string = import.meta.env.VITE_WHERE\n"
                       "console.log(where, import.meta.env.MODE)\n",
        "src/style.css": "a { color: red }\n",
    })
    invoke(builder, small_root, "--app", "--ssr", "src/entry-server.ts", "--mode", "staging",
           "--outdir", str(small_root / "out"), "--no-minify")
    assert built(small_root, "out") == (True, True) and not (small_root / "dist").exists()
    js = next((small_root / "out" / "client" / "assets").glob("index-*.js")).read_text()
    assert 'var where = "staging server";' in js  # not minified
    assert "console.log(where, \"staging\")" in js
    css = next((small_root / "out" / "client" / "assets").glob("index-*.css")).read_text()
    assert css == "a {\n  color: red;\n}\n"
    server = (small_root / "out" / "server" / "entry-server.js").read_text()
    assert '"staging"' in server


def test_watch_rebuilds_on_change(small_root: Path, tmp_path: Path) -> None:
    app_py = small_root.parent / "app.py"
    app_py.write_text("from flask import Flask\nfrom flask_vite import FlaskVite\n"
                      "app = Flask(__name__)\napp.config['VITE_ROOT'] = 'app'\nFlaskVite(app)\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "vite", "build",
                             "--watch"], cwd=small_root.parent, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        index = small_root / "dist" / "client" / "index.html"
        deadline = time.monotonic() + 60
        while not index.is_file() and time.monotonic() < deadline:
            time.sleep(0.1)
        first = index.read_text()
        time.sleep(0.5)  # the watcher has started
        (small_root / "src" / "main.ts").write_text("console.log('changed')\n")
        while time.monotonic() < deadline:
            if index.is_file() and index.read_text() != first:
                break
            time.sleep(0.1)
        js = next((small_root / "dist" / "client" / "assets").glob("index-*.js")).read_text()
        assert "changed" in js
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        output, _ = proc.communicate(timeout=30)
    text = output.decode()
    assert "watching for file changes..." in text and "changed: main.ts" in text
