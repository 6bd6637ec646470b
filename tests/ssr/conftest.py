"""Fixtures for the SSR runtime tests: renderer processes and real renderers.

The renderer bundles (React 19, Preact, Vue 3 -- exact versions) are built
once per pin set and source hash with the project's npm installer and the
esbuild service, into ``user_cache_dir()/ssr-tests/<hash>/``; a re-run needs
neither network nor esbuild. Without both, the renderer tests are skipped.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import tempfile
import time
import typing as t
from pathlib import Path

import pytest

from flask_vite.cache import user_cache_dir

pytest.importorskip("py_mini_racer", reason="the V8 binding (pip install mini-racer) is not installed")

from flask_vite.ssr.process import SsrProcess

APPS = Path(__file__).parent / "apps"

#: Exact versions: results never drift. react-dom 19.2.0 wants scheduler
#: ^0.27.0; Vue's @vue/* packages follow vue's version.
PINNED: dict[str, str] = {
    "react": "19.2.0",
    "react-dom": "19.2.0",
    "preact": "10.27.2",
    "preact-render-to-string": "6.6.1",
    "vue": "3.5.22",
}

#: name -> entry file in apps/. Built for platform "neutral" with no define:
#: the packages read process.env.NODE_ENV at run time, as when the SSR
#: pipeline ships dependencies without replacing it.
BUNDLES = {
    "react": "react_app.jsx",
    "react_deps": "react_deps.js",
    "preact": "preact_app.jsx",
    "vue": "vue_app.js",
}

#: esbuild's CommonJS output, made a runner module: every export of the
#: entry becomes an export of the module.
CJS_TO_RUNNER = (
    "const module = {{ exports: {{}} }};\n{code}\n"
    "for (const name of Object.keys(module.exports)) "
    "__vite_ssr_exportName__(name, () => module.exports[name]);\n"
)


def _cache_key() -> str:
    sources = {name: (APPS / entry).read_text() for name, entry in BUNDLES.items()}
    tag = json.dumps([PINNED, sources, CJS_TO_RUNNER, "bundles-1"], sort_keys=True)
    return hashlib.sha256(tag.encode()).hexdigest()[:12]


def _build(dest: Path) -> None:
    from flask_vite.esbuild.binary import find_esbuild
    from flask_vite.esbuild.service import EsbuildService
    from flask_vite.npm.installer import install

    (dest / "package.json").write_text(json.dumps(
        {"name": "ssr-tests", "private": True, "dependencies": PINNED}, indent=2))
    install(dest)
    shutil.copytree(APPS, dest / "apps")
    (dest / "bundles").mkdir()
    with EsbuildService(find_esbuild()) as service:
        for name, entry in BUNDLES.items():
            result = service.build(
                entry_points=[f"apps/{entry}"], bundle=True, format="cjs", write=False,
                platform="neutral", main_fields=["module", "main"], jsx="automatic",
                abs_working_dir=str(dest), metafile=False)
            code = result.output_files[0].contents.decode("utf-8")
            (dest / "bundles" / f"{name}.js").write_text(CJS_TO_RUNNER.format(code=code))


@pytest.fixture(scope="session")
def bundles() -> dict[str, str]:
    """Renderer bundles as runner modules, by name (see :data:`BUNDLES`)."""
    base = user_cache_dir() / "ssr-tests"
    folder = base / _cache_key()
    if not (folder / ".complete").is_file():
        base.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=base, prefix=".tmp-"))
        try:
            _build(tmp)
        except Exception as e:  # noqa: BLE001 - no network and nothing cached, or no esbuild
            shutil.rmtree(tmp, ignore_errors=True)
            pytest.skip(f"cannot build the renderer bundles: {e}")
        (tmp / ".complete").write_text("")
        try:
            os.rename(tmp, folder)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)  # another run finished first
    return {name: (folder / "bundles" / f"{name}.js").read_text() for name in BUNDLES}


@pytest.fixture(scope="module")
def proc() -> t.Iterator[SsrProcess]:
    """One renderer per test module: tests use distinct module URLs."""
    process = SsrProcess(timeout=10.0)
    yield process
    process.close()


_counter = itertools.count()


class Js:
    """Run a snippet of JavaScript in a renderer: ``js("return 1 + 1")``.

    The snippet is the body of an async function exported by a fresh module,
    so it may ``await``; its return value comes back JSON-decoded.
    """

    def __init__(self, process: SsrProcess) -> None:
        self.process = process

    def __call__(self, body: str, *args: t.Any) -> t.Any:
        url = f"/snippet-{next(_counter)}.js"
        code = (f'__vite_ssr_exportName__("run", () => run);\n'
                f"async function run(...args) {{\n{body}\n}}\n")
        self.process.define_modules({url: code})
        return self.process.call(url, "run", args=list(args))


@pytest.fixture(scope="module")
def js(proc: SsrProcess) -> Js:
    return Js(proc)


def exports(**names: str) -> str:
    """``__vite_ssr_exportName__`` lines for local bindings, as Vite's
    ssrTransform writes them at the top of a module."""
    return "".join(
        f'__vite_ssr_exportName__({json.dumps(name)}, () => {{ try {{ return {local} }} catch {{}} }});\n'
        for name, local in names.items())


def kill_and_wait(pid: int) -> None:
    """SIGKILL ``pid`` and wait until its parent can reap it, so the next call
    sees a dead child, not one still exiting. (A multithreaded process shows
    as a zombie before its other threads are gone; only then can it be
    waited for.)"""
    import signal

    os.kill(pid, signal.SIGKILL)
    status = Path(f"/proc/{pid}/status")
    if not Path("/proc/self/status").exists():
        time.sleep(0.5)  # no /proc (macOS): give the kernel time
        return
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except (FileNotFoundError, ProcessLookupError):
            return
        if fields.get("State", "").strip().startswith("Z") and fields.get("Threads", "1").strip() == "1":
            return
        time.sleep(0.005)
