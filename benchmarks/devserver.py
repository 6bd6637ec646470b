"""Dev server benchmark: flask-vite in the Flask process vs Vite 8 in Express.

Two apps, each copied from the same files to one folder per side:

* ``react-ts`` -- create-vite 9.3.0's ``template-react-ts``, unmodified;
* ``gen500``   -- a generated React + TS app of 500 modules (50 folders x 10
  modules, 50 CSS files; see :mod:`benchmarks._apps`).

Sides, each started as its own process (own process group) on 127.0.0.1:

* ``flask-vite`` -- ``python app.py PORT`` in a Flask project folder (``app.py``
  next to ``frontend/``, the app's files): a Flask app that only calls
  ``FlaskVite(app, plugins=[react()])`` with ``VITE_ROOT="frontend"``,
  ``VITE_DEV=True`` -- ``react()`` (``flask_vite.plugins.react``, React Fast
  Refresh) because the app's ``vite.config.ts`` has ``@vitejs/plugin-react``;
  a flask-vite without that plugin runs without it and the output says so --
  served by werkzeug's ``run_simple(threaded=True)``: what ``flask run`` does,
  minus the reloader and the debugger; werkzeug's request log is on, to a
  file. Front-end dependencies installed with flask-vite's own installer
  (``flask_vite.npm.installer.install(root, production=True)``). Its ``.pyc``
  files are written once (this machine sets ``PYTHONDONTWRITEBYTECODE``;
  ``pip install`` would have compiled them). ``--ref REF`` runs flask_vite/
  as committed at REF (a snapshot in the scratch folder), so uncommitted
  edits in the working tree cannot change it mid-run.
* ``vite`` -- ``node server.mjs PORT``: ``createServer({server: {middlewareMode:
  true, hmr: {server}}, appType: 'spa'})`` + ``app.use(vite.middlewares)`` in
  Express 5; dependencies installed with the system's ``npm install`` (the
  app's ``package.json``, which has ``vite`` and ``@vitejs/plugin-react``;
  Express added with ``--no-save``). The app's ``vite.config.ts``
  (``plugins: [react()]``) is used as is.
* ``flask-vite-plain``, ``vite-plain`` (not run by default) -- the same
  without any plugin (no ``react()``; Vite with ``configFile: false``).

Scenarios. "Loaded" means: the app's marker element is in the DOM (all
static imports fetched and evaluated, React rendered: ``button.counter`` /
``#bench-ready``) and the page's resource timing list has stopped growing
for 0.3 s; the end time is the later of the marker (a MutationObserver
injected before the page's scripts) and the last resource's ``responseEnd``,
from the page clock, so polling adds nothing. The browser's own icon
fetches are left out. A check of each loaded page (images, CSS applied,
section count) reports problems as ``PROBLEM`` lines.

* ``cold``   -- ``node_modules/.vite`` removed (both sides keep their dependency
  optimizer cache there), server process started, port polled every 5 ms, a
  fresh browser context navigates to ``/``: from process start to loaded.
  ``up`` is the part until the port accepted a connection.
* ``warm``   -- the same server process still running (transform caches
  warm), a new browser context (empty HTTP cache: every module is requested,
  both sides answer 200): from navigation to loaded.
* ``reload`` -- then a plain reload of that page (HTTP cache kept: both sides
  answer the revalidations with 304; ``?v=`` dependency URLs come from the
  cache): from reload to loaded.

Each cold round starts a new server; the warm runs are spread over the
rounds' servers; the sides' order alternates between rounds. Besides wall
times, the server's CPU time (user + system of its whole process group:
Python + esbuild, or Node) over each span is reported: on a shared or small
machine it is steadier than wall time, and it says how much of the time is
the server's (Chromium itself takes ~3 s of CPU to load gen500).

On a shared machine other people's work lands in one side's numbers. So
each measurement also notes how much CPU processes other than the server,
the browser and this script took (``/proc/stat`` minus ours); above
``--max-others`` cores on average it counts as disturbed: a disturbed warm
load is done again (twice at most), rounds go on until each side has
``--runs`` undisturbed cold starts (``--max-rounds``), and the medians are
of undisturbed measurements only (``clean/all`` says how many). Before each
round the script also waits (``--quiet-wait``) for the CPUs to be idle. ``answers`` lines show how the last load of each kind was
answered (status on the wire, ``cache`` = not requested) and the page size.

Usage (from the repository root, with the project's virtualenv)::

    .venv/bin/python benchmarks/devserver.py [--runs 5] [--warm-runs 10]
        [--apps react-ts,gen500] [--sides flask-vite,vite[,flask-vite-plain,vite-plain]]
        [--work /tmp/flask-vite-bench] [--fresh] [--profile DIR]

The scratch folder is reused between invocations (installs are skipped when
its stamp matches); ``--fresh`` rebuilds it. ``--profile DIR`` samples the
Flask process with ``py-spy record --gil`` during each phase (cold, warm,
reload), writes the collapsed stacks per app and phase there and prints the
hottest frames; py-spy must be installed (``pip install py-spy``). Profiled
times are not the benchmark's numbers. Node and npm are used only for the
reference side. Every process started here is killed at the end.
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import traceback
import typing as t
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from benchmarks._apps import READY_SELECTOR, expected_sections, make_generated_app
from benchmarks._node import (
    VITE_IN_EXPRESS_MJS,
    find_node,
    node_version,
    npm_install,
    package_versions,
)
from benchmarks._procs import (
    CLOCK_TICKS,
    Server,
    cpu_by_group,
    machine_ticks,
    py_spy,
    stop_all,
    wait_for_quiet,
)
from benchmarks._report import flask_vite_version, python_and_cpus
from tests.apps import CREATE_VITE, template_source
from tests.browser import Browser, BrowserTimeout, Page

DEFAULT_WORK = Path("/tmp/flask-vite-bench")
SIDES = ("flask-vite", "vite", "flask-vite-plain", "vite-plain")
DEFAULT_SIDES = ("flask-vite", "vite")
APPS = ("react-ts", "gen500")
#: Bump when the way the scratch folder is prepared changes.
SETUP_VERSION = 5
#: Seconds the resource timing list must stay the same size to count as settled.
SETTLE = 0.3
#: Seconds one page may take to load (cold, 500 modules, a slow machine).
LOAD_TIMEOUT = 180.0

APP_PY = """\
# flask-vite's side, laid out as a Flask project: app.py next to frontend/.
# A Flask app that only calls FlaskVite(app) in dev mode -- with the react()
# plugin, as the app's vite.config.ts has @vitejs/plugin-react (unless
# BENCH_PLAIN=1, or this flask-vite has no react() yet) -- served by
# werkzeug's threaded server (what `flask run` uses, minus the reloader and
# the debugger).
import os
import sys

from flask import Flask
from werkzeug.serving import run_simple

from flask_vite import FlaskVite

plugins = []
if os.environ.get("BENCH_PLAIN") != "1":
    try:
        from flask_vite.plugins.react import react
    except ImportError:
        print("flask-vite has no react() plugin: no React Fast Refresh", flush=True)
    else:
        plugins.append(react())

app = Flask(__name__)
app.config.update(VITE_ROOT="frontend", VITE_DEV=True)
FlaskVite(app, plugins=plugins)

if __name__ == "__main__":
    run_simple("127.0.0.1", int(sys.argv[1]), app, threaded=True, use_reloader=False,
               use_debugger=False)
"""

#: Injected into every document before its own scripts: a big enough resource
#: timing buffer (the default 250 entries would drop most of gen500's), and
#: the page-clock time at which the app's marker element first appears.
READY_SCRIPT = """\
(() => {
  performance.setResourceTimingBufferSize(100000);
  const selector = SELECTOR;
  const mark = () => {
    if (window.__benchReady === undefined && document.querySelector(selector)) {
      window.__benchReady = performance.timeOrigin + performance.now();
    }
  };
  new MutationObserver(mark).observe(document, { childList: true, subtree: true });
})()
"""

#: The page's resources, less the browser's own icon fetches (``/favicon.ico``
#: and ``<link rel=icon>``): Chromium makes those after the load, at no fixed
#: time, and the app does not wait for them.
RESOURCES_JS = """\
(() => {
  const icons = new Set([...document.querySelectorAll('link[rel~=icon]')].map(l => l.href));
  icons.add(location.origin + '/favicon.ico');
  return performance.getEntriesByType('resource').filter(e => !icons.has(e.name));
})()"""

SNAPSHOT_JS = """\
(() => {
  const r = RESOURCES;
  return {
    n: r.length,
    end: r.reduce((m, e) => Math.max(m, e.responseEnd), 0),
    bytes: r.reduce((s, e) => s + e.decodedBodySize, 0),
    origin: performance.timeOrigin,
    ready: window.__benchReady ?? null,
    complete: document.readyState === 'complete',
  };
})()
""".replace("RESOURCES", RESOURCES_JS)



# --- CPU time ---------------------------------------------------------------------


def machine_busy_seconds() -> float | None:
    """CPU seconds the whole machine has been busy since boot (``/proc/stat``)."""
    try:
        return machine_ticks()[0] / CLOCK_TICKS
    except (OSError, ValueError, IndexError):
        return None


def server_cpu(server: Server) -> dict[str, float]:
    """CPU seconds (user + system) of the server's process group, by command
    (``python``, ``esbuild``, ``node``)."""
    return cpu_by_group().get(server.process.pid, {}) if server.process else {}


class Meter:
    """Over one measurement: the server's CPU time, and how much CPU *other*
    processes took (the machine's busy time minus the server's, the browser's
    and this script's), so a measurement disturbed by someone else's work on
    a shared machine can be told apart and done again."""

    def __init__(self, server: Server, browser: Browser) -> None:
        self.groups = {server.process.pid if server.process else -1, browser.process.pid,
                       os.getpgrp()}
        self.server = server.process.pid if server.process else -1
        self.start()

    def _ours(self) -> tuple[float, float]:
        groups = cpu_by_group()
        ours = sum(sum(groups.get(g, {}).values()) for g in self.groups)
        return ours, sum(groups.get(self.server, {}).values())

    def start(self, *, server_from_zero: bool = False) -> None:
        self.t0 = time.monotonic()
        self.busy0 = machine_busy_seconds()
        self.ours0, self.server0 = self._ours()
        if server_from_zero:
            self.server0 = 0.0

    def stop(self) -> tuple[float, float | None]:
        """(the server's CPU seconds, other processes' average CPU in cores)."""
        ours, server = self._ours()
        busy = machine_busy_seconds()
        wall = max(time.monotonic() - self.t0, 1e-3)
        others = None
        if busy is not None and self.busy0 is not None:
            others = max(0.0, (busy - self.busy0) - (ours - self.ours0)) / wall
        return server - self.server0, others


# --- apps -------------------------------------------------------------------------


@dataclasses.dataclass
class App:
    name: str
    description: str
    #: CSS selector of the element the app renders once everything is loaded.
    ready_selector: str
    #: JS returning "" when the loaded page looks right, else what is wrong.
    check_js: str
    roots: dict[str, Path]


REACT_TS_CHECK = """\
(() => {
  const problems = [];
  if (!document.querySelector('button.counter')) problems.push('no button.counter');
  const broken = [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src);
  if (broken.length) problems.push('broken images: ' + broken.join(', '));
  if (document.images.length < 3) problems.push(document.images.length + ' images');
  const b = document.querySelector('button.counter');
  if (b && getComputedStyle(b).borderRadius === '0px') problems.push('App.css not applied');
  return problems.join('; ');
})()
"""


def gen_check_js(sections: int) -> str:
    return f"""\
(() => {{
  const el = document.querySelector('#bench-ready');
  const n = el ? Number(el.dataset.sections) : -1;
  const sheets = [...document.querySelectorAll('style')].filter(s => s.textContent.includes('data-m^=')).length;
  const problems = [];
  if (n !== {sections}) problems.push('sections: ' + n + ' (want {sections})');
  if (sheets !== 50) problems.push('folder stylesheets: ' + sheets + ' (want 50)');
  return problems.join('; ');
}})()
"""


def side_root(base: Path, side: str) -> Path:
    """The app's folder for one side: Vite's root has ``server.mjs`` in it;
    flask-vite's is ``frontend/`` next to the Flask project's ``app.py``."""
    if side.startswith("flask-vite"):
        return base / "flask-vite" / "frontend"  # flask-vite-plain runs in this copy too
    return base / "vite"  # vite-plain runs in Vite's copy too


def prepare_app(name: str, work: Path, sides: t.Sequence[str], fresh: bool) -> App:
    """Copy the app's files to one folder per side and install each side's dependencies.

    What is already there is kept (a stamp file per side says it is
    complete and of this script's :data:`SETUP_VERSION`), unless ``fresh``.
    """
    base = work / "apps" / name
    if fresh:
        shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True, exist_ok=True)

    def stamped(what: str) -> tuple[bool, Path]:
        stamp = base / f"{what}.stamp.json"
        ok = stamp.is_file() and json.loads(stamp.read_text()) == {"setup": SETUP_VERSION}
        return ok, stamp

    source = base / "source"
    ok, stamp = stamped("source")
    if not ok:
        shutil.rmtree(source, ignore_errors=True)
        if name == "react-ts":
            shutil.copytree(template_source(CREATE_VITE, "template-react-ts"), source)
            if (source / "_gitignore").exists():
                (source / "_gitignore").rename(source / ".gitignore")
        else:
            make_generated_app(source)
        for other in base.glob("*.stamp.json"):
            other.unlink()  # the copies are of the old files
        stamp.write_text(json.dumps({"setup": SETUP_VERSION}))
    for side in sorted({side.removesuffix("-plain") for side in sides}):
        ok, stamp = stamped(side)
        if ok:
            continue
        root = side_root(base, side)
        shutil.rmtree(base / side, ignore_errors=True)
        shutil.copytree(source, root)
        t0 = time.perf_counter()
        if side == "flask-vite":
            from flask_vite.npm.installer import install

            install(root, production=True)
            what = "flask_vite.npm.installer.install(production=True)"
        else:
            what = npm_install(root, express=True)
        print(f"  {name}/{side}: {what} in {time.perf_counter() - t0:.1f}s", flush=True)
        stamp.write_text(json.dumps({"setup": SETUP_VERSION}))
    roots = {side: side_root(base, side) for side in sides}
    if name == "react-ts":
        return App(name, f"create-vite {CREATE_VITE[1]} template-react-ts",
                   "button.counter", REACT_TS_CHECK, roots)
    sections = expected_sections()
    return App(name, "generated: 500 TS/TSX modules in 50 folders + 50 CSS",
               READY_SELECTOR, gen_check_js(sections), roots)


#: The folder holding the ``flask_vite`` package the Flask side imports: the
#: working tree, or a ``--ref`` snapshot (see :func:`snapshot_flask_vite`).
FLASK_VITE_PATH = REPO


def snapshot_flask_vite(work: Path, ref: str) -> str:
    """Extract ``flask_vite/`` at git ``ref`` into the scratch folder and use it.

    Other people's uncommitted edits in the working tree then cannot change
    (or break) the Flask side in the middle of a run.
    """
    global FLASK_VITE_PATH
    sha = subprocess.run(["git", "rev-parse", "--verify", f"{ref}^{{commit}}"], cwd=REPO, text=True,
                         capture_output=True, check=True).stdout.strip()
    dest = work / "flask-vite-src" / sha
    if not (dest / "flask_vite" / "__init__.py").is_file():
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", "--format=tar", sha, "flask_vite"], cwd=REPO,
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    FLASK_VITE_PATH = dest
    return sha[:7]


def has_react_plugin() -> bool:
    """Whether the flask-vite under test has ``flask_vite.plugins.react.react()``."""
    return (FLASK_VITE_PATH / "flask_vite" / "plugins" / "react.py").is_file()


def flask_env(work: Path) -> dict[str, str]:
    """The Flask process's environment: bytecode cached (in the scratch folder).

    This machine sets ``PYTHONDONTWRITEBYTECODE``, so each start would compile
    flask_vite from source (~0.1 s); a user's ``pip install`` writes the
    ``.pyc`` files once, so the benchmark does too (see :func:`compile_flask_vite`).
    ``PYTHONPATH`` puts :data:`FLASK_VITE_PATH` first (before the editable install).
    """
    env = {**os.environ, "PYTHONPATH": str(FLASK_VITE_PATH),
           "PYTHONPYCACHEPREFIX": str(work / "pycache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


class Profiler:
    """``py-spy record --pid`` on the Flask process for one phase of a round.

    Each :meth:`start` attaches a new py-spy (every thread: werkzeug serves
    each connection on its own; ``--gil``: only the thread holding the GIL is
    sampled, so the samples say where the Python CPU time goes;
    ``--nonblocking``: the process is not paused to be read) that appends
    collapsed stacks to ``<dir>/<app>-<side>--<phase>.txt`` when
    :meth:`stop` interrupts it. esbuild's own CPU time is not in them (see
    the ``cpu`` lines :func:`summarize_profiles` prints).
    """

    def __init__(self, folder: Path, app: str) -> None:
        self.folder, self.app = folder, app
        self.process: subprocess.Popen[bytes] | None = None
        self.out: Path | None = None
        self.phase = ""
        self.cpu: dict[str, dict[str, float]] = {}
        self._cpu_before: dict[str, float] = {}

    def start(self, server: Server, phase: str) -> None:
        assert server.process is not None and self.process is None
        self.folder.mkdir(parents=True, exist_ok=True)
        self.phase = phase
        self.out = self.folder / f".{self.app}-{phase}-{time.monotonic_ns()}.part"
        self.process = subprocess.Popen(
            [py_spy(), "record", "--pid", str(server.process.pid), "--gil", "--nonblocking",
             "--rate", "250", "--format", "raw", "-o", str(self.out)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(0.3)  # let it attach
        if self.process.poll() is not None:
            raise RuntimeError(f"py-spy failed: {self.process.stderr.read().decode()[-2000:]}"
                               if self.process.stderr else "py-spy failed")
        self._cpu_before = server_cpu(server)

    def stop(self, server: Server) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        phase_cpu = self.cpu.setdefault(self.phase, {})
        for command, seconds in server_cpu(server).items():
            phase_cpu[command] = phase_cpu.get(command, 0.0) + seconds - self._cpu_before.get(command, 0.0)
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
        if self.out is not None and self.out.is_file():
            with open(self.folder / f"{self.app}--{self.phase}.txt", "a") as merged:
                merged.write(self.out.read_text())
            self.out.unlink()

    @contextlib.contextmanager
    def phase_of(self, server: Server, phase: str) -> t.Iterator[None]:
        self.start(server, phase)
        try:
            yield
        finally:
            self.stop(server)


#: Where a sample's time goes, for :func:`summarize_profiles`: the first
#: bucket one of whose patterns occurs in the stack wins, so the order says
#: "resolving inside the dep scan counts as the dep scan". Written against
#: flask-vite's module layout of Nov 2026; what no pattern matches is "other".
BUCKETS: list[tuple[str, tuple[str, ...]]] = [
    ("dep optimizer: scan (esbuild on-resolve callbacks)", ("DepsOptimizer.scan", "dep-scan")),
    ("dep optimizer: bundle", ("DepsOptimizer._bundle",)),
    ("dep optimizer: other", ("flask_vite/server/optimizer.py",)),
    ("source maps (compose, encode, inline)", ("StringEdit.shift_map", "flask_vite/sourcemap.py",
                                              "with_inline_source_map")),
    ("resolve (import specifiers, tsconfig, packages)", ("PluginContainer.resolve_id",
                                                        "flask_vite/resolve/")),
    ("react() Fast Refresh transform", ("flask_vite/refresh_transform.py",
                                        "flask_vite/plugins/react.py")),
    ("import analysis: JS lexer", ("flask_vite/js_lexer.py",)),
    ("import analysis: rest", ("ImportAnalysisPlugin",)),
    ("esbuild transform (Python side)", ("EsbuildPlugin.transform", "EsbuildService.transform")),
    ("css plugin", ("flask_vite/plugins/css.py",)),
    ("other plugins", ("PluginContainer.transform", "PluginContainer.load")),
    ("module graph", ("flask_vite/server/module_graph.py",)),
    ("fs access checks (realpath, deny globs)", ("flask_vite/server/fs.py",)),
    ("HMR channel (WebSocket)", ("flask_vite/server/ws.py", "hot_channel", "simple_websocket",
                                 "wsproto")),
    ("file watcher", ("flask_vite/server/watcher.py",)),
    ("esbuild channel threads", ("flask_vite/esbuild/",)),
    ("other flask-vite handlers", ("flask_vite/server/handlers/", "flask_vite/server/chain.py")),
    ("Flask request handling", ("Flask.wsgi_app",)),
    ("werkzeug HTTP server + request log", ("werkzeug/", "socketserver", "http/server.py",
                                           "(app.py")),
]


def summarize_profiles(folder: Path, profilers: dict[str, Profiler], top: int = 20) -> None:
    """Print where each phase's merged py-spy samples go: buckets, then hottest frames."""
    import re

    line_no = re.compile(r":\d+\)$")
    for path in sorted(folder.glob("*--*.txt")):
        self_counts: collections.Counter[str] = collections.Counter()
        inclusive: collections.Counter[str] = collections.Counter()
        buckets: collections.Counter[str] = collections.Counter()
        total = 0
        for line in path.read_text(errors="replace").splitlines():
            if not line.strip():
                continue
            stack, _, count = line.rpartition(" ")
            n = int(count)
            frames = stack.split(";")
            total += n
            self_counts[line_no.sub(")", frames[-1])] += n
            for frame in {line_no.sub(")", f) for f in frames}:
                inclusive[frame] += n
            bucket = next((name for name, patterns in BUCKETS
                           if any(p in stack for p in patterns)), "other")
            buckets[bucket] += n
        if not total:
            continue
        app, _, phase = path.stem.partition("--")
        print(f"\nprofile {path}: {total} samples with the GIL ({total / 250:.2f} s at 250 Hz)")
        profiler = profilers.get(app)
        if profiler is not None and phase in profiler.cpu:
            print("  CPU while sampled: " + ", ".join(
                f"{k} {v:.2f}s" for k, v in sorted(profiler.cpu[phase].items(), key=lambda kv: -kv[1])))
        print("  by bucket (GIL time):")
        for name, n in buckets.most_common():
            print(f"    {100 * n / total:5.1f}%  {n / 250:6.2f}s  {name}")
        print("  hottest frames (self):")
        for frame, n in self_counts.most_common(top):
            print(f"    {100 * n / total:5.1f}% {frame}")
        print("  inclusive (flask-vite frames):")
        shown = 0
        for frame, n in inclusive.most_common():
            if "flask_vite/" in frame:
                print(f"    {100 * n / total:5.1f}% {frame}")
                shown += 1
                if shown >= top:
                    break


def compile_flask_vite(work: Path) -> None:
    """Write the ``.pyc`` files the Flask process imports, as a start would."""
    code = ("import flask, werkzeug.serving, flask_vite, flask_vite.server.dev_server,"
            " flask_vite.server.chain, flask_vite.plugins; import compileall, sys;"
            f" compileall.compile_dir({str(FLASK_VITE_PATH / 'flask_vite')!r}, quiet=1);"
            f" assert flask_vite.__file__.startswith({str(FLASK_VITE_PATH)!r}), flask_vite.__file__")
    subprocess.run([sys.executable, "-c", code], env=flask_env(work), cwd=work, check=True)


def make_server(side: str, app: App, work: Path, tag: str) -> Server:
    root = app.roots[side]
    log = work / "logs" / f"{app.name}-{side}-{tag}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    if side.startswith("flask-vite"):
        project = root.parent
        (project / "app.py").write_text(APP_PY)
        env = {**flask_env(work), "BENCH_PLAIN": "1" if side.endswith("-plain") else "0"}
        return Server([sys.executable, "app.py", "{port}"], project, log, env)
    (root / "server.mjs").write_text(VITE_IN_EXPRESS_MJS)
    env = {**os.environ, "BENCH_PLAIN": "1" if side.endswith("-plain") else "0"}
    return Server([find_node(), "server.mjs", "{port}"], root, log, env)


# --- measuring --------------------------------------------------------------------


@dataclasses.dataclass
class Load:
    seconds: float
    resources: int
    #: Decoded bytes of all resources (the Vite side's pages carry more code).
    bytes: int
    statuses: dict[str, int]
    problems: list[str]


class Answers:
    """How a page's subresources were answered, from the DevTools network events:
    the status on the wire (``304`` for a revalidation -- Chromium's
    ``responseReceived`` reports some of those as the cached ``200``), or
    ``cache`` when the browser did not go to the network. The document and the
    icon fetches are left out."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.lock = threading.Lock()
        self.seen: dict[str, str] = {}  # requestId → status from responseReceived
        self.wire: dict[str, str] = {}  # requestId → status from responseReceivedExtraInfo
        self.cached: set[str] = set()
        page.browser.connection.on_events(page.session_id, self.on_event)

    def on_event(self, method: str, params: t.Any) -> None:
        self.page._on_event(method, params)  # the harness's own bookkeeping
        if method == "Network.responseReceived":
            url = params["response"]["url"].split("#")[0]
            kind = params.get("type")
            if kind == "Document" or (kind == "Other" and url.endswith((".ico", "/favicon.svg"))):
                return
            with self.lock:
                self.seen[params["requestId"]] = str(params["response"]["status"])
        elif method == "Network.responseReceivedExtraInfo":
            with self.lock:
                self.wire[params["requestId"]] = str(params["statusCode"])
        elif method == "Network.requestServedFromCache":
            with self.lock:
                self.cached.add(params["requestId"])

    def take(self) -> dict[str, int]:
        with self.lock:
            counts = collections.Counter(
                "cache" if rid in self.cached else self.wire.get(rid, status)
                for rid, status in self.seen.items())
            self.seen.clear()
            self.wire.clear()
            self.cached.clear()
        return dict(sorted(counts.items()))


def open_page(browser: Browser, app: App) -> Page:
    page = browser.new_page()
    page.answers = Answers(page)  # type: ignore[attr-defined]
    # A private method of the harness: add a script to every new document.
    page._send("Page.addScriptToEvaluateOnNewDocument",
               {"source": READY_SCRIPT.replace("SELECTOR", json.dumps(app.ready_selector))})
    return page


def wait_loaded(page: Page, app: App, started: float) -> Load:
    """Wait for the marker and a settled resource list; seconds since ``started`` (epoch)."""
    try:
        page.wait_for("window.__benchReady !== undefined && document.readyState === 'complete'",
                      timeout=LOAD_TIMEOUT, interval=0.02)
    except BrowserTimeout:
        errors = [f"{m['text'][:300]}" for m in page.console_errors][:3]
        failed = [f"{f['url']} {f['status'] or f['error']}" for f in page.failed_requests][:3]
        raise RuntimeError(
            f"{app.ready_selector!r} not rendered after {LOAD_TIMEOUT:.0f}s;"
            f" console errors: {errors or 'none'}; failed requests: {failed or 'none'}"
        ) from None
    last = None
    since = time.monotonic()
    deadline = since + LOAD_TIMEOUT
    while True:
        snap = page.evaluate(SNAPSHOT_JS)
        if last is None or snap["n"] != last["n"]:
            last, since = snap, time.monotonic()
        elif time.monotonic() - since >= SETTLE:
            break
        if time.monotonic() > deadline:
            raise RuntimeError("resource list never settled")
        time.sleep(0.03)
    end_ms = max(float(snap["ready"]), snap["origin"] + snap["end"])
    problems = []
    check = page.evaluate(app.check_js)
    if check:
        problems.append(check)
    errors = [f"{m['text'][:200]} ({m['url']})" for m in page.console_errors]
    failed = [f"{f['url']} {f['status'] or f['error']}" for f in page.failed_requests]
    problems += [f"console: {e}" for e in errors[:3]] + [f"failed: {f}" for f in failed[:3]]
    return Load(end_ms / 1000 - started, int(snap["n"]), int(snap["bytes"]),
                page.answers.take(), problems)  # type: ignore[attr-defined]


METRICS = ("cold", "up", "warm", "reload", "cold_cpu", "warm_cpu", "reload_cpu")


@dataclasses.dataclass
class Results:
    #: metric (:data:`METRICS`) → (seconds, disturbed), one per measurement.
    times: dict[str, list[tuple[float, bool]]] = dataclasses.field(
        default_factory=lambda: {m: [] for m in METRICS})
    errors: list[str] = dataclasses.field(default_factory=list)
    #: How busy the machine was before each round (see :func:`wait_for_quiet`).
    busy: list[str] = dataclasses.field(default_factory=list)
    problems: set[str] = dataclasses.field(default_factory=set)
    resources: dict[str, set[int]] = dataclasses.field(default_factory=dict)
    bytes: dict[str, int] = dataclasses.field(default_factory=dict)
    statuses: dict[str, dict[str, int]] = dataclasses.field(default_factory=dict)

    def note(self, scenario: str, load: Load, cpu: float | None, disturbed: bool) -> None:
        self.times[scenario].append((load.seconds, disturbed))
        if cpu is not None:
            self.times[f"{scenario}_cpu"].append((cpu, disturbed))
        self.resources.setdefault(scenario, set()).add(load.resources)
        self.statuses[scenario] = load.statuses
        self.bytes[scenario] = load.bytes
        self.problems.update(load.problems)

    def clean(self, metric: str) -> list[float]:
        return [x for x, disturbed in self.times[metric] if not disturbed]

    def values(self, metric: str) -> tuple[list[float], bool]:
        """The undisturbed values, or all of them (and ``True``) if none is."""
        clean = self.clean(metric)
        if clean or not self.times[metric]:
            return clean, False
        return [x for x, _ in self.times[metric]], True


def one_round(browser: Browser, app: App, side: str, work: Path, warm_runs: int,
              profiler: Profiler | None, tag: str, res: Results, max_others: float) -> None:
    """Cold start, then ``warm_runs`` warm loads + reloads, on one server process.

    A measurement during which other processes used more than ``max_others``
    cores on average is marked disturbed; a disturbed warm load (and its
    reload) is done again, up to twice. With a ``profiler`` (flask-vite
    only), each phase is sampled by py-spy; it attaches after the port is
    open, so the cold numbers then leave out the time to attach.
    """
    root = app.roots[side]
    shutil.rmtree(root / "node_modules" / ".vite", ignore_errors=True)
    server = make_server(side, app, work, tag)
    page = open_page(browser, app)
    if profiler is None or not side.startswith("flask-vite"):
        profiler = None

    def phase(name: str) -> t.ContextManager[None]:
        return profiler.phase_of(server, name) if profiler else contextlib.nullcontext()

    def verdict(others: float | None) -> tuple[bool, str]:
        if others is None:
            return False, ""
        disturbed = others > max_others
        return disturbed, f"others {others:.2f} cores" + (" DISTURBED" if disturbed else "")

    try:
        started = time.time()
        server.start()
        meter = Meter(server, browser)
        meter.start(server_from_zero=True)
        server.wait_port()
        up = time.time() - started
        with phase("cold"):
            page.goto(server.url, wait="load", timeout=LOAD_TIMEOUT)
            load = wait_loaded(page, app, started)
        cpu, others = meter.stop()
        disturbed, note = verdict(others)
        res.times["up"].append((up, disturbed))
        res.note("cold", load, cpu, disturbed)
        print(f"    {side:<16} cold {load.seconds:6.3f}s (up {up:.3f}s, server CPU {cpu:.2f}s,"
              f" {load.resources} resources, {load.bytes / 1024:.0f} kB"
              + (f"; machine {res.busy[-1]}" if res.busy and res.busy[-1] else "")
              + (f"; {note}" if note else "") + ")"
              + (f"  !! {'; '.join(load.problems)}" if load.problems else ""), flush=True)
        page.close()
        shown: list[str] = []
        for _ in range(warm_runs):
            for attempt in range(3):
                page = open_page(browser, app)
                meter = Meter(server, browser)
                started = time.time()
                with phase("warm"):
                    page.goto(server.url, wait="load", timeout=LOAD_TIMEOUT)
                    warm = wait_loaded(page, app, started)
                warm_cpu, others = meter.stop()
                warm_disturbed, _ = verdict(others)
                page.clear_logs()
                with phase("reload"):
                    meter = Meter(server, browser)
                    started = time.time()
                    page.reload(wait="load", timeout=LOAD_TIMEOUT)
                    reload = wait_loaded(page, app, started)
                    reload_cpu, others = meter.stop()
                reload_disturbed, _ = verdict(others)
                page.close()
                if (warm_disturbed or reload_disturbed) and attempt < 2:
                    shown.append("(disturbed, again)")
                    continue
                res.note("warm", warm, warm_cpu, warm_disturbed)
                res.note("reload", reload, reload_cpu, reload_disturbed)
                shown.append(f"{warm.seconds:.3f}{'*' if warm_disturbed else ''}"
                             f"/{reload.seconds:.3f}{'*' if reload_disturbed else ''}")
                break
        if shown:
            print(f"    {side:<16} warm/reload {', '.join(shown)}", flush=True)
    finally:
        page.close()
        server.stop()


# --- report -----------------------------------------------------------------------


def median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def fmt(x: float | None) -> str:
    return "-" if x is None else f"{x * 1000:.0f}"


def spread(xs: list[float]) -> str:
    return "" if len(xs) < 2 else f"{min(xs) * 1000:.0f}–{max(xs) * 1000:.0f}"


TARGETS = {"cold": 1.5, "warm": 1.2, "reload": 1.2}


def report(apps: list[App], results: dict[tuple[str, str], Results], sides: t.Sequence[str]) -> None:
    print()
    print("Medians in ms of the undisturbed measurements (min–max and how many below; * = all")
    print("were disturbed, median of all). up: process start to port open (part of cold).")
    print("CPU: the server's process group (Python + esbuild / Node), user + system, over")
    print("the same span (cold: from process start; warm/reload: navigation to loaded).")
    print()
    cols = [("cold", 11), ("up", 10), ("warm", 11), ("reload", 11),
            ("cold_cpu", 11), ("warm_cpu", 10), ("reload_cpu", 11)]
    names = {"cold": "cold", "up": "(up)", "warm": "warm", "reload": "reload",
             "cold_cpu": "CPU cold", "warm_cpu": "CPU warm", "reload_cpu": "CPU reload"}
    head = f"{'app':<9} {'side':<17}" + "".join(f"{names[c]:>{w}}" for c, w in cols)
    print(head)
    print("-" * len(head))
    for app in apps:
        meds: dict[str, dict[str, float | None]] = {}
        for side in sides:
            r = results[(app.name, side)]
            cells, spreads, counts = [], [], []
            meds[side] = {}
            for c, w in cols:
                values, all_disturbed = r.values(c)
                meds[side][c] = median(values)
                cells.append(f"{fmt(meds[side][c]) + ('*' if all_disturbed else ''):>{w}}")
                spreads.append(f"{spread(values):>{w}}")
                counts.append(f"{len(r.clean(c))}/{len(r.times[c])}".rjust(w))
            print(f"{app.name:<9} {side:<17}" + "".join(cells))
            print(f"{'':<9} {'  min–max':<17}" + "".join(spreads))
            print(f"{'':<9} {'  clean/all':<17}" + "".join(counts))
        for ours, ref in (("flask-vite", "vite"), ("flask-vite-plain", "vite-plain")):
            if ours not in sides or ref not in sides:
                continue
            cells, verdicts = [], []
            for c, w in cols:
                x, y = meds[ours][c], meds[ref][c]
                ratio = x / y if x and y else None
                cells.append(f"{'-' if ratio is None else f'{ratio:.2f}x':>{w}}")
                if ref == "vite" and c in TARGETS and ratio is not None:
                    ok = "ok" if ratio <= TARGETS[c] else "MISS"
                    verdicts.append(f"{c} {ratio:.2f}x (target ≤ {TARGETS[c]}x) {ok}")
            label = "fv / vite" if ref == "vite" else "plain ratio"
            print(f"{'':<9} {label:<17}" + "".join(cells))
            if verdicts:
                print(f"{'':<9} {'':<17} " + "; ".join(verdicts))
        print()
    for app in apps:
        for side in sides:
            r = results[(app.name, side)]
            statuses = "; ".join(f"{k}: " + ", ".join(f"{s}×{n}" for s, n in sorted(v.items()))
                                 for k, v in r.statuses.items())
            if statuses:
                kb = r.bytes.get("cold") or r.bytes.get("warm") or 0
                print(f"answers   {app.name}/{side}: {statuses}; page {kb / 1024:.0f} kB")
            for p in sorted(r.problems):
                print(f"PROBLEM   {app.name}/{side}: {p}")
            for e in r.errors:
                lines = e.splitlines()
                shown = lines if len(lines) <= 3 else [*lines[:1], "…", *lines[-2:]]
                print(f"ERROR     {app.name}/{side}: " + " | ".join(s.strip() for s in shown))


def versions(work: Path, apps: list[App], sides: t.Sequence[str], snapshot: str | None) -> str:
    parts = python_and_cpus()
    flask_vite = flask_vite_version(snapshot)
    if flask_vite:
        parts.append(flask_vite)
    with contextlib.suppress(Exception):
        import re

        binary_py = (FLASK_VITE_PATH / "flask_vite" / "esbuild" / "binary.py").read_text()
        found = re.search(r"ESBUILD_VERSION\s*=\s*[\"']([^\"']+)", binary_py)
        if found:
            parts.append(f"esbuild {found.group(1)}")
    if "vite" in sides or "vite-plain" in sides:
        node = node_version()
        if node:
            parts.append(f"node {node}")
        parts += package_versions(side_root(work / "apps" / apps[0].name, "vite"),
                                  ("vite", "@vitejs/plugin-react", "express", "react"))
    return ", ".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="cold runs per app and side (default 5)")
    parser.add_argument("--warm-runs", type=int, default=None,
                        help="warm loads (and reloads) per app and side (default 2 x --runs)")
    parser.add_argument("--apps", default=",".join(APPS), help=f"comma-separated, of {', '.join(APPS)}")
    parser.add_argument("--sides", default=",".join(DEFAULT_SIDES),
                        help=f"comma-separated, of {', '.join(SIDES)} (default: %(default)s)")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="scratch folder (reused)")
    parser.add_argument("--fresh", action="store_true", help="rebuild the scratch folder")
    parser.add_argument("--ref", default=None,
                        help="run the Flask side on flask_vite/ as committed at this git ref"
                             " (a snapshot in the scratch folder) instead of the working tree")
    parser.add_argument("--max-others", type=float, default=0.3,
                        help="a measurement during which other processes used more than this"
                             " many cores on average counts as disturbed (default: %(default)s)")
    parser.add_argument("--max-rounds", type=int, default=None,
                        help="rounds to try for --runs undisturbed cold starts (default: 2 x runs)")
    parser.add_argument("--quiet-wait", type=float, default=30.0,
                        help="before each round, wait up to this many seconds for the CPUs to be"
                             " mostly idle (other processes); 0: don't (default: %(default)s)")
    parser.add_argument("--profile", type=Path, default=None,
                        help="run the Flask process under py-spy; collapsed stacks go here")
    args = parser.parse_args()
    app_names = [a for a in args.apps.split(",") if a]
    sides = [s for s in args.sides.split(",") if s]
    for a in app_names:
        if a not in APPS:
            parser.error(f"unknown app {a!r}")
    for s in sides:
        if s not in SIDES:
            parser.error(f"unknown side {s!r}")
    runs = max(args.runs, 1)
    warm_total = 2 * runs if args.warm_runs is None else max(args.warm_runs, 0)
    # The warm runs are spread over the cold rounds' servers.
    warm_per_round = -(-warm_total // runs)

    def stop(signum: int, frame: t.Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"scratch folder {args.work}; preparing apps", flush=True)
    apps: list[App] = []
    for name in app_names:
        try:
            apps.append(prepare_app(name, args.work, sides, args.fresh))
        except Exception:  # noqa: BLE001 -- report it, go on with the other apps
            print(f"  {name}: setup failed, skipped:\n{traceback.format_exc()}", flush=True)
    if not apps:
        return 1
    snapshot = None
    if any(s.startswith("flask-vite") for s in sides):
        if args.ref:
            snapshot = snapshot_flask_vite(args.work, args.ref)
        compile_flask_vite(args.work)
    print(versions(args.work, apps, sides, snapshot))
    print(f"{runs} cold runs, {warm_total} warm loads + reloads per app and side", flush=True)

    results = {(a.name, s): Results() for a in apps for s in sides}
    profilers: dict[str, Profiler] = {}
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
        for old in args.profile.glob("*--*.txt"):
            old.unlink()
        profilers = {f"{a.name}-{s}": Profiler(args.profile, f"{a.name}-{s}")
                     for a in apps for s in sides if s.startswith("flask-vite")}
        print(f"profiling the Flask process with py-spy into {args.profile}"
              " (profiled times are not the benchmark's numbers)")
    browser = Browser.launch()
    try:
        print(browser.version(), flush=True)
        for app in apps:
            print(f"{app.name}: {app.description}", flush=True)
            # Rounds go on until each side has ``runs`` undisturbed cold starts
            # (or ``--max-rounds`` rounds were run); sides alternate in order.
            for i in range(max(args.max_rounds or 2 * runs, runs)):
                order = sides if i % 2 == 0 else list(reversed(sides))
                todo = [s for s in order if i < runs or (
                    len(results[(app.name, s)].clean("cold")) < runs
                    and not results[(app.name, s)].errors)]
                if not todo:
                    break
                for side in todo:
                    res = results[(app.name, side)]
                    warm_runs = min(warm_per_round, max(warm_total - len(res.clean("warm")), 0))
                    if args.quiet_wait > 0:
                        res.busy.append(wait_for_quiet(args.quiet_wait))
                    try:
                        one_round(browser, app, side, args.work, warm_runs,
                                  profilers.get(f"{app.name}-{side}"), f"run{i}", res,
                                  args.max_others)
                    except KeyboardInterrupt:
                        raise
                    except Exception as e:  # noqa: BLE001 -- report it, go on
                        res.errors.append(f"{type(e).__name__}: {e}")
                        print(f"    {side:<16} FAILED: {type(e).__name__}: {e}", flush=True)
        report(apps, results, sides)
        if args.profile is not None:
            summarize_profiles(args.profile, profilers)
        if "vite" in sides and "flask-vite" in sides:
            if has_react_plugin():
                print("note: both sides do React Fast Refresh as the apps' vite.config.ts asks"
                      " (Vite: @vitejs/plugin-react; flask-vite: flask_vite.plugins.react.react()):"
                      " the /@react-refresh runtime, a preamble, registration code in every"
                      " component. --sides flask-vite-plain,vite-plain compares both without.")
            else:
                print("note: the vite side runs the apps' vite.config.ts with @vitejs/plugin-react"
                      " (React Fast Refresh); this flask-vite has no react() plugin, so its pages"
                      " carry less code (see 'page' above). --sides ...,vite-plain adds Vite"
                      " without the config file for comparison.")
    finally:
        stop_all()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
