"""``flask vite preview``: the build served by the app in production mode."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

from flask import Flask

from flask_vite import FlaskVite
from flask_vite.cli import vite_cli

from .conftest import write_fault_app
from .test_gunicorn import gone

REPO = Path(__file__).resolve().parents[2]

APP = textwrap.dedent("""
    import os, sys
    from pathlib import Path

    sys.path.insert(0, {repo!r})
    from tests.production.conftest import prod_app

    app, vite = prod_app(Path(os.environ["TEST_VITE_ROOT"]))
""")


def start_preview(root: Path, tmp_path: Path) -> tuple[subprocess.Popen[str], str, list[str]]:
    """``flask vite preview`` of ``root``'s build: the process, its URL and
    the lines it printed up to the URL's."""
    (tmp_path / "previewapp.py").write_text(APP.format(repo=str(REPO)))
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "previewapp", "vite", "preview", "--port", "0"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "TEST_VITE_ROOT": str(root), "FLASK_DEBUG": "0"})
    assert process.stdout is not None
    url, lines = "", []
    for _ in range(5):
        lines.append(process.stdout.readline())
        if "Local:" in lines[-1]:
            url = lines[-1].split("Local:", 1)[1].strip()
            lines.append(process.stdout.readline())
            break
    return process, url, lines


def stop_preview(process: subprocess.Popen[str]) -> str:
    """Ctrl-C; its standard error."""
    process.send_signal(signal.SIGINT)
    try:
        _, stderr = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        _, stderr = process.communicate()
    return stderr


def test_preview_serves_the_build_and_prints_its_url(fault_root: Path, tmp_path: Path) -> None:
    process, url, _ = start_preview(fault_root, tmp_path)
    try:
        assert url and url.startswith("http://127.0.0.1:") and url.endswith("/"), url
        with urllib.request.urlopen(url + "page?marker=m-1-ab", timeout=30) as r:
            html = r.read().decode()
        assert '<main data-url="/page">m-1-ab</main>' in html
        assert '<script type="module" crossorigin src="/assets/index-' in html
        asset = html.split('crossorigin src="/', 1)[1].split('"', 1)[0]
        with urllib.request.urlopen(url + asset, timeout=30) as r:
            assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        with urllib.request.urlopen(url + "__pids", timeout=30) as r:
            renderers = json.loads(r.read())["renderers"]
        assert len(renderers) == 2
    finally:
        stderr = stop_preview(process)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr, stderr
    deadline = time.monotonic() + 10
    while not all(gone(p) for p in renderers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(gone(p) for p in renderers)


def test_preview_serves_the_prerendered_pages(tmp_path: Path) -> None:
    from flask_vite.build.builder import build as vite_build
    from flask_vite.build.report import Reporter

    root = write_fault_app(tmp_path / "app")
    app = Flask("builder", root_path=str(root.parent))
    app.config.update(VITE_ROOT=root.name, VITE_DEV=False)
    FlaskVite(app)
    try:
        vite_build(app, ssr="src/entry-server.ts", prerender=["/", "/docs/"], reporter=Reporter(quiet=True))
    finally:
        app.extensions["vite"].close()
    process, url, lines = start_preview(root, tmp_path)
    try:
        assert "  Prerendered: /, /docs/\n" in lines, lines
        with urllib.request.urlopen(url + "docs/?marker=m-1-ab", timeout=30) as r:
            assert r.headers["Cache-Control"] == "no-cache"
            assert r.read() == (root / "dist" / "prerendered" / "docs" / "index.html").read_bytes()
        with urllib.request.urlopen(url + "docs?marker=m-1-ab", timeout=30) as r:
            assert '<main data-url="/docs">m-1-ab</main>' in r.read().decode()  # the view's
    finally:
        stop_preview(process)
    assert process.returncode == 0


def test_preview_refuses_the_dev_server(fault_root: Path) -> None:
    app = Flask("dev", root_path=str(fault_root.parent))
    app.config.update(VITE_ROOT=fault_root.name, VITE_DEV=True)
    FlaskVite(app)
    try:
        result = app.test_cli_runner().invoke(vite_cli, ["preview"])
        assert result.exit_code != 0
        assert "VITE_DEV is on" in result.output and "without --debug" in result.output
    finally:
        app.extensions["vite"].close()


def test_preview_without_a_build_says_to_build(tmp_path: Path) -> None:
    root = write_fault_app(tmp_path / "app")
    app = Flask("unbuilt", root_path=str(root.parent))
    app.config.update(VITE_ROOT=root.name, VITE_DEV=False)
    FlaskVite(app)
    result = app.test_cli_runner().invoke(vite_cli, ["preview"])
    assert result.exit_code != 0
    assert f"No build at {root / 'dist' / 'client'}. Run 'flask vite build' first." in result.output


def test_preview_is_listed() -> None:
    assert "preview" in vite_cli.commands
