"""HMR benchmark: file written → DOM updated, flask-vite vs Vite 8 in Express.

The app is create-vite 9.3.0's ``template-vanilla-ts`` (``--app react-ts``:
``template-react-ts``) plus one module that accepts its own updates, copied
to one folder per side:

* ``src/bench.ts`` (added) writes its ``VALUE`` into ``<p id="bench">`` and
  calls ``import.meta.hot.accept()``; ``src/main.ts`` (``main.tsx``) imports
  it (one line appended).

Sides, each its own process (own process group) on 127.0.0.1:

* ``flask-vite`` -- ``python app.py PORT`` next to ``frontend/``: a Flask app
  that only calls ``FlaskVite(app)`` (``VITE_DEV``; React: ``FlaskVite(app,
  plugins=[react()])``), served by werkzeug's ``run_simple(threaded=True)``,
  what ``flask run`` does minus the reloader;
* ``vite`` -- ``node server.mjs PORT``: ``createServer({server:
  {middlewareMode: true, hmr: {server}}, appType: 'spa'})`` mounted in
  Express 5, reading the template's ``vite.config.ts`` (React:
  ``@vitejs/plugin-react``); the template's ``package.json`` and Express
  installed with the system's ``npm`` in the scratch folder. Node is used for
  this side only.

Scenarios, each edit timed from just before the file is written (the
benchmark's clock) to the moment the page's DOM shows the new value (a
``MutationObserver`` in the page notes the page clock; the same machine
clock, so no polling delay is counted):

* ``css``  -- ``src/style.css`` (``src/index.css``): a new ``--accent``
  value; done when ``getComputedStyle(:root)`` has it (the ``<style>``
  swapped in place);
* ``self`` -- ``src/bench.ts``: a new ``VALUE``; done when ``#bench`` shows it
  (the module re-imported with ``?t=`` and run again);
* ``react`` (``--app react-ts``) -- ``src/App.tsx``: new ``<h1>`` text after
  the counter was clicked to 3; done when the ``<h1>`` shows it (React Fast
  Refresh), and the counter must still show 3 (state kept).

Files are saved in place with one ``write`` of the whole new text, of the
same length as the old (``--save inplace``, the default), or as a new file
renamed over the old one (``--save atomic``, as some editors save). Each
edit must be a hot update: a page reload (``window.__marker`` gone)
fails the run. The first ``--warmup`` edits of each scenario are not counted;
then ``--edits`` (20) are, and the median, min, p90 and the ratio
flask-vite / Vite of the medians are printed (below 1: flask-vite faster).

Usage (from the repository root, with the project's virtualenv)::

    .venv/bin/python benchmarks/hmr.py [--app vanilla-ts|react-ts] [--edits 20]
        [--warmup 3] [--sides flask-vite,vite] [--save inplace|atomic]
        [--work /tmp/flask-vite-bench-hmr[-react-ts]] [--fresh]

The scratch folder is reused between runs (installs skipped when its stamp
matches); ``--fresh`` rebuilds it. Every process started here is stopped at
the end.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import sys
import time
import typing as t
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from benchmarks._node import (  # noqa: E402
    VITE_IN_EXPRESS_MJS,
    find_node,
    node_version,
    npm_install,
    package_versions,
)
from benchmarks._procs import Server  # noqa: E402
from benchmarks._report import summary  # noqa: E402
from tests.apps import CREATE_VITE, template_source  # noqa: E402
from tests.browser import Browser, BrowserTimeout, Page  # noqa: E402

DEFAULT_WORK = Path("/tmp/flask-vite-bench-hmr")
SIDES = ("flask-vite", "vite")
#: Bump when the way the scratch folder is prepared changes.
SETUP_VERSION = 3


class App(t.NamedTuple):
    template: str
    entry: str  # imports bench.ts
    css: str  # holds `--accent: #aa3bff;`
    scenarios: tuple[str, ...]
    plugins: str  # FlaskVite(app, plugins=...) on the flask-vite side


APPS = {
    "vanilla-ts": App("template-vanilla-ts", "src/main.ts", "src/style.css", ("css", "self"), "[]"),
    "react-ts": App("template-react-ts", "src/main.tsx", "src/index.css", ("css", "self", "react"),
                    "[react()]"),
}
#: The <h1> text of App.tsx, and same-length replacements ("Edit 001 xx").
REACT_H1 = "<h1>Get started</h1>"
#: Clicks on the counter before the React edits; each edit must keep them.
REACT_CLICKS = 3
#: Seconds one edit may take to show.
EDIT_TIMEOUT = 10.0
#: Pause between edits, so one edit's events never run into the next.
PAUSE = 0.15

BENCH_TS = """\
// Added for the HMR benchmark: a module that accepts its own updates.
export const VALUE = 'v000'

const el =
  document.getElementById('bench') ??
  document.body.appendChild(Object.assign(document.createElement('p'), { id: 'bench' }))
el.textContent = VALUE

import.meta.hot?.accept()
"""

APP_PY = """\
# flask-vite's side: a Flask project with app.py next to frontend/, served by
# werkzeug's threaded server (what `flask run` uses, minus the reloader).
import sys

from flask import Flask
from werkzeug.serving import run_simple

from flask_vite import FlaskVite
from flask_vite.plugins.react import react

app = Flask(__name__)
app.config.update(VITE_ROOT="frontend", VITE_DEV=True)
FlaskVite(app, plugins={plugins})

if __name__ == "__main__":
    run_simple("127.0.0.1", int(sys.argv[1]), app, threaded=True, use_reloader=False,
               use_debugger=False)
"""

#: In every document, before its scripts: note (page clock, epoch ms) when
#: the DOM first shows what ``window.__benchExpect`` says.
OBSERVER_JS = """\
(() => {
  const check = () => {
    const want = window.__benchExpect;
    if (!want || window.__benchDone) return;
    let ok = false;
    if (want.kind === 'css') {
      ok = getComputedStyle(document.documentElement).getPropertyValue('--accent').trim() === want.value;
    } else if (want.kind === 'react') {
      ok = document.querySelector('h1')?.textContent === want.value;
    } else {
      ok = document.getElementById('bench')?.textContent === want.value;
    }
    if (ok) window.__benchDone = performance.timeOrigin + performance.now();
  };
  new MutationObserver(check).observe(document, {
    childList: true, subtree: true, characterData: true, attributes: true,
  });
})()
"""

# --- processes ---------------------------------------------------------------------

# One server process per side, in its own process group: _procs.Server
# (stopped at exit by its stop_all), as the other benchmarks use it too.


# --- the app ------------------------------------------------------------------------


def side_root(work: Path, side: str) -> Path:
    return work / "flask-vite" / "frontend" if side == "flask-vite" else work / "vite"


def prepare(work: Path, sides: t.Sequence[str], fresh: bool, app: App = APPS["vanilla-ts"]) -> None:
    """Copy the app to one folder per side and install each side's dependencies."""
    stamp_data = {"setup": SETUP_VERSION, "sides": sorted(sides), "app": app.template}
    stamp = work / "stamp.json"
    if not fresh and stamp.is_file() and json.loads(stamp.read_text()) == stamp_data:
        return
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for side in sides:
        root = side_root(work, side)
        shutil.copytree(template_source(CREATE_VITE, app.template), root)
        (root / "src" / "bench.ts").write_text(BENCH_TS)
        with open(root / app.entry, "a") as f:
            f.write("\nimport './bench.ts'\n")
        t0 = time.perf_counter()
        if side == "flask-vite":
            from flask_vite.npm.installer import install

            install(root, production=True)
            (root.parent / "app.py").write_text(APP_PY.format(plugins=app.plugins))
            what = "flask_vite.npm.installer.install(production=True)"
        else:
            what = npm_install(root, express=True)
            (root / "server.mjs").write_text(VITE_IN_EXPRESS_MJS)
        print(f"  {side}: {what} in {time.perf_counter() - t0:.1f}s", flush=True)
    stamp.write_text(json.dumps(stamp_data))


def make_server(side: str, work: Path) -> Server:
    root = side_root(work, side)
    log = work / f"{side}.log"
    if side == "flask-vite":
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        return Server([sys.executable, "app.py", "{port}"], root.parent, log, env)
    return Server([find_node(), "server.mjs", "{port}"], root, log, os.environ)


# --- measuring ----------------------------------------------------------------------


class Editor:
    """Writes the two files, each time with a new value of the same length."""

    def __init__(self, root: Path, save: str, app: App = APPS["vanilla-ts"]) -> None:
        self.css = root / app.css
        self.ts = root / "src" / "bench.ts"
        self.tsx = root / "src" / "App.tsx"
        self.css_text = self.css.read_text()
        self.ts_text = self.ts.read_text()
        self.tsx_text = self.tsx.read_text() if "react" in app.scenarios else None
        self.write = write_atomic if save == "atomic" else write_in_place
        self.n = 0

    def edit(self, kind: str) -> tuple[str, t.Callable[[], None]]:
        """The value the page will show, and the write that makes it so."""
        self.n += 1
        if kind == "css":
            # A hex colour no CSS minifier can shorten (Vite's CSS pipeline may rewrite colours).
            value = f"#{self.n % 256:02x}{self.n // 256 % 256:02x}57"
            text = self.css_text.replace("--accent: #aa3bff;", f"--accent: {value};", 1)
            return value, lambda: self.write(self.css, text)
        if kind == "react":
            assert self.tsx_text is not None
            value = f"Edit {self.n:03d} xx"  # as long as "Get started"
            text = self.tsx_text.replace(REACT_H1, f"<h1>{value}</h1>", 1)
            return value, lambda: self.write(self.tsx, text)
        value = f"v{self.n:03d}"
        text = self.ts_text.replace("'v000'", repr(value), 1)
        return value, lambda: self.write(self.ts, text)

    def restore(self) -> None:
        write_atomic(self.css, self.css_text)
        write_atomic(self.ts, self.ts_text)
        if self.tsx_text is not None:
            write_atomic(self.tsx, self.tsx_text)


def write_in_place(path: Path, text: str) -> None:
    """Overwrite the file's bytes with one ``write`` (same length: no truncation).

    Truncating first (``open(path, "w")``) would let a watcher that reads at
    once see an empty file; Vite then sometimes keeps that empty version,
    its next change event never coming, and the run would stop.
    """
    data = text.encode()
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, data)
        os.ftruncate(fd, len(data))
    finally:
        os.close(fd)


def write_atomic(path: Path, text: str) -> None:
    """Save as other editors do: a new file renamed over the old one."""
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(text)
    os.replace(temp, path)


def open_page(browser: Browser, server: Server) -> Page:
    page = browser.new_page()
    # A private method of the harness: add a script to every new document.
    page._send("Page.addScriptToEvaluateOnNewDocument", {"source": OBSERVER_JS})
    page.goto(server.url)
    page.wait_for("document.getElementById('bench')?.textContent === 'v000'"
                  " && document.querySelector('button.counter') !== null", timeout=60)
    # Connected: both clients log this once their socket is open.
    deadline = time.monotonic() + 30
    while not any(m["text"] == "[vite] connected." for m in page.console):
        if time.monotonic() > deadline:
            raise RuntimeError("the page's HMR client did not connect")
        time.sleep(0.01)
    page.evaluate("window.__marker = 'kept'")
    if page.evaluate("document.querySelector('h1')?.textContent === 'Get started'"):
        # The React app: state that Fast Refresh must keep.
        for _ in range(REACT_CLICKS):
            page.click("button.counter")
        page.wait_for(f"document.querySelector('button.counter').textContent === 'Count is {REACT_CLICKS}'")
    return page


def measure(page: Page, editor: Editor, kind: str) -> float:
    """One edit: milliseconds from the write to the DOM showing it."""
    value, write = editor.edit(kind)
    page.evaluate(f"window.__benchDone = null; window.__benchExpect = {json.dumps({'kind': kind, 'value': value})}")
    started = time.time() * 1000
    write()
    try:
        done = page.wait_for("window.__benchDone", timeout=EDIT_TIMEOUT, interval=0.01)
    except BrowserTimeout:
        shown = page.evaluate(
            "[getComputedStyle(document.documentElement).getPropertyValue('--accent').trim(),"
            " document.getElementById('bench')?.textContent]")
        log = [m["text"] for m in page.console][-5:]
        raise RuntimeError(f"{kind} edit #{editor.n} ({value!r}) not shown after {EDIT_TIMEOUT}s;"
                           f" the page shows {shown}; its last console lines: {log}") from None
    if page.evaluate("window.__marker") != "kept":
        raise RuntimeError(f"the page reloaded for a {kind} edit: not a hot update")
    if kind == "react" and page.text("button.counter") != f"Count is {REACT_CLICKS}":
        raise RuntimeError(f"React state lost by edit #{editor.n}: {page.text('button.counter')!r}")
    return float(t.cast(float, done)) - started


def run_side(browser: Browser, side: str, work: Path, edits: int, warmup: int,
             save: str, app: App = APPS["vanilla-ts"]) -> dict[str, list[float]]:
    editor = Editor(side_root(work, side), save, app)
    editor.restore()
    server = make_server(side, work)
    server.start()
    server.wait_port()
    results: dict[str, list[float]] = {kind: [] for kind in app.scenarios}
    try:
        page = open_page(browser, server)
        try:
            if side == "flask-vite":
                # Its watcher starts with the first request and lists folders
                # first; give it that moment (Vite's is ready at start).
                time.sleep(0.5)
            for kind in app.scenarios:
                for i in range(warmup + edits):
                    try:
                        ms = measure(page, editor, kind)
                    except RuntimeError as e:
                        raise RuntimeError(f"{side}: {e}\n{server.tail(10)}") from None
                    if i >= warmup:
                        results[kind].append(ms)
                    time.sleep(PAUSE)
            errors = [m["text"] for m in page.console_errors]
            if errors:
                print(f"  {side}: console errors: {errors[:3]}", flush=True)
        finally:
            page.close()
    finally:
        server.stop()
        editor.restore()
    return results


def versions(work: Path, sides: t.Sequence[str]) -> str:
    parts = [f"python {platform.python_version()}"]
    if "vite" in sides:
        parts += package_versions(side_root(work, "vite"), ("vite", "express"))
        node = node_version()
        if node:
            parts.append(f"node {node}")
    return ", ".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--app", choices=sorted(APPS), default="vanilla-ts",
                        help="the create-vite template (react-ts adds React Fast Refresh edits)")
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--sides", default=",".join(SIDES))
    parser.add_argument("--work", type=Path, default=None,
                        help=f"scratch folder (default {DEFAULT_WORK}, -react-ts appended for React)")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--save", choices=("inplace", "atomic"), default="inplace",
                        help="how files are written (default: in place, one write)")
    args = parser.parse_args()
    sides = [s.strip() for s in args.sides.split(",") if s.strip()]
    unknown = set(sides) - set(SIDES)
    if unknown:
        parser.error(f"unknown sides: {', '.join(sorted(unknown))}")
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))

    app = APPS[args.app]
    if args.work is None:
        args.work = DEFAULT_WORK if args.app == "vanilla-ts" else Path(f"{DEFAULT_WORK}-{args.app}")
    print(f"preparing {args.work} ({app.template}) ...", flush=True)
    prepare(args.work, sides, args.fresh, app)
    print(f"{platform.machine()}, {os.cpu_count()} CPUs; {versions(args.work, sides)}", flush=True)
    results: dict[str, dict[str, list[float]]] = {}
    with Browser.launch() as browser:
        for side in sides:
            results[side] = run_side(browser, side, args.work, args.edits, args.warmup, args.save, app)
    print(f"\nfiles saved {'in place' if args.save == 'inplace' else 'by rename'}")
    titles = {"css": f"CSS edit ({app.css})", "self": "self-accepting module edit (src/bench.ts)",
              "react": f"React component edit (src/App.tsx <h1>, count {REACT_CLICKS} kept)"}
    for kind in app.scenarios:
        title = titles[kind]
        print(f"{title}: file written -> DOM updated")
        for side in sides:
            print(f"  {side:<10} {summary(results[side][kind], p90=True)}")
        if len(sides) == 2:
            a, b = (statistics.median(results[s][kind]) for s in sides)
            print(f"  ratio {sides[0]} / {sides[1]} (medians): {a / b:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
