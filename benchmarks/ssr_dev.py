"""Dev SSR benchmark: flask-vite vs Vite + Express on create-vite-extra's SSR template.

The app is create-vite-extra 5.0.3's ``template-ssr-react-ts``, unmodified,
copied to one folder per row under the scratch folder:

* ``vite`` -- the template's own ``server.js`` in dev (``NODE_ENV`` unset):
  Express 5 + ``createServer({server: {middlewareMode: true}, appType:
  'custom'})``; each request reads ``index.html``, runs
  ``vite.transformIndexHtml`` and ``vite.ssrLoadModule('/src/entry-server.tsx')``
  and renders. Run as ``node --import ./bench-loopback.mjs server.js`` with
  ``PORT`` set; the preload only makes a ``listen()`` that names no host bind
  127.0.0.1 (the template listens on every interface). Dependencies
  installed with the system's ``npm install`` (the template's
  ``package.json``). Node is used for this row only.
* ``werkzeug`` and ``gunicorn`` -- flask-vite: ``app.py`` next to
  ``frontend/`` (the template's files, dependencies installed with
  flask-vite's own installer, ``production=True``, as ``tests/apps.py``
  does), the Flask translation of ``server.js``'s dev branch (the code of
  ``ssr_app`` in ``tests/ssr/test_dev_ssr.py``:
  ``vite.transform_index_html(url, template)``,
  ``vite.ssr_load_module('/src/entry-server.tsx')['render'](url)``), in dev
  mode, served by

  - ``werkzeug`` -- ``run_simple(threaded=True)``, what ``flask run`` uses
    (no reloader, no debugger; its request log on, to a file; it closes the
    connection after each response, so every request is a new connection
    and a new thread);
  - ``gunicorn`` -- ``gunicorn -k gthread -w 1 --threads 8`` (keep-alive,
    no access log).

  The SSR runner has ``VITE_SSR_WORKERS`` (default 2) V8 child processes,
  each running one render at a time; the first free one takes a request,
  so the second starts when requests overlap (before issue 5: one child,
  concurrent requests queued for it).

All servers run at once (idle but for the load sent to one of them), so the
measurements can be interleaved: this machine is shared, and a burst of
someone else's work then lands in every row alike, not in one.

* **throughput** -- each server gets ``--warmup`` seconds of load, then
  ``--duration`` seconds of measured load in ``--slices`` slices, the rows
  taking turns (order alternating): ``GET /`` on ``--connections``
  connections. Requests/s and latency p50/p90/p99 over all slices (merged
  latency histograms) with ``wrk`` (``apt-get install -y wrk`` is run when it
  is missing and this process may) or else a Python load generator, one
  thread per keep-alive connection; the table says which. The CPU time of
  every process of the server (parent / gunicorn worker, SSR child, esbuild;
  node) over the slices is reported in cores (1.00 = one core busy the whole
  time), with the load generator's and that of every other process on the
  machine; on a busy machine the CPU time per request is steadier than
  requests/s. Each server's page is checked first (200, the template's
  ``<h1>`` and ``Count is``).
* **edit → first render** -- ``src/App.tsx`` rewritten in place (one
  ``write`` of the whole text) with a new ``<h1>`` text; the time from just
  before the write until a ``GET /`` returns HTML with the new text
  (requests back to back, so the resolution is one request). The rows take
  turns; ``--edit-warmup`` edits per row are not counted, then ``--edits``
  are: median, min and max. The file watchers run by then (flask-vite starts
  its own on the first request).
* ``--breakdown N`` (after the servers are stopped): the Flask view's steps
  timed one by one in a single thread, no HTTP server.

Usage (from the repository root, with the project's virtualenv)::

    .venv/bin/python benchmarks/ssr_dev.py [--connections 10] [--duration 10]
        [--slices 5] [--warmup 3] [--edits 10] [--rows werkzeug,gunicorn,vite]
        [--work /tmp/flask-vite-bench/ssr] [--fresh] [--ref HEAD] [--nice -10]
        [--breakdown 300] [--profile DIR]

``--ref REF`` runs the Flask side on ``flask_vite/`` as committed at ``REF``
(extracted into the scratch folder), so others' uncommitted edits in the
working tree cannot change it in the middle of a run. ``--nice N`` starts
the servers and wrk at niceness N. ``--profile DIR`` runs ``py-spy record``
on each flask-vite row's Flask process (``--gil``) and SSR child (``--idle``)
during an extra load after the measured one, and prints the hottest frames;
py-spy must be installed (``pip install py-spy``).

Every process started here (each server's process group, and descendants
that left it: the SSR child starts its own session) is killed at the end,
also when a row fails; the other rows go on without it.
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import traceback
import typing as t
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from benchmarks._load import Load, ensure_wrk, get, load_python, load_wrk, write_wrk_script
from benchmarks._node import (
    LOOPBACK_MJS,
    find_node,
    node_version,
    npm_install,
    package_version,
    package_versions,
)
from benchmarks._procs import (
    CLOCK_TICKS,
    ProcStat,
    Server,
    machine_ticks,
    py_spy,
    stop_all,
    wait_for_quiet,
)
from benchmarks._report import dist_versions, flask_vite_version, python_and_cpus
from benchmarks.devserver import compile_flask_vite, flask_env, snapshot_flask_vite
from tests.apps import CREATE_VITE_EXTRA, template_source

TEMPLATE = "template-ssr-react-ts"
DEFAULT_WORK = Path("/tmp/flask-vite-bench/ssr")
ROWS = ("werkzeug", "gunicorn", "vite")
LABELS = {"werkzeug": "flask-vite, werkzeug threaded",
          "gunicorn": "flask-vite, gunicorn gthread 1x8",
          "vite": "Vite + Express (server.js)"}
#: Bump when the way the scratch folder is prepared changes.
SETUP_VERSION = 2
#: Seconds one edit may take to show.
EDIT_TIMEOUT = 10.0
#: Pause after each edit, so one edit's events never run into the next.
EDIT_PAUSE = 0.2
ORIGINAL_H1 = "<h1>Get started</h1>"
#: ``--nice``: the niceness the servers and wrk run at (0: this process's).
NICE = 0

APP_PY = """\
# flask-vite's side: the Flask translation of create-vite-extra's server.js
# (dev branch), as ssr_app() in tests/ssr/test_dev_ssr.py; app.py next to
# frontend/ (the template's files).
import sys
from pathlib import Path

from flask import Flask, Response, request

from flask_vite import FlaskVite

ROOT = Path(__file__).resolve().parent / "frontend"
ENTRY = "/src/entry-server.tsx"

vite = FlaskVite()
app = Flask(__name__)
app.config.update(VITE_ROOT="frontend", VITE_DEV=True, VITE_APP_TYPE="custom")
vite.init_app(app)


@app.get("/", defaults={"path": ""})
@app.get("/<path:path>")
def page(path):
    url = request.full_path.rstrip("?")
    # Always read fresh template in development
    template = (ROOT / "index.html").read_text("utf-8")
    template = vite.transform_index_html(url, template)
    render = vite.ssr_load_module(ENTRY)["render"]
    rendered = render(url)
    html = (template.replace("<!--app-head-->", rendered.get("head") or "")
            .replace("<!--app-html-->", rendered.get("html") or ""))
    return Response(html, mimetype="text/html")


if __name__ == "__main__":  # python app.py PORT: werkzeug's threaded server, as `flask run`
    from werkzeug.serving import run_simple

    run_simple("127.0.0.1", int(sys.argv[1]), app, threaded=True, use_reloader=False,
               use_debugger=False)
"""

# --- processes ----------------------------------------------------------------------


def _cmdline(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


class BenchServer(Server):
    """A row's :class:`~benchmarks._procs.Server`, at ``--nice``, which can
    say what each of its processes is."""

    def __init__(self, row: str, cmd: list[str], cwd: Path, log: Path, env: dict[str, str]) -> None:
        super().__init__(cmd, cwd, log, env, nice=NICE)
        self.row = row

    def roles(self, tree: dict[int, ProcStat]) -> dict[int, str]:
        """pid → what the process is, for the CPU report."""
        assert self.process is not None
        top = self.process.pid
        out = {}
        for pid, st in tree.items():
            argv = _cmdline(pid)
            if self.row == "vite":
                out[pid] = "node" if pid == top else st.comm
            elif pid == top:
                out[pid] = "gunicorn master" if self.row == "gunicorn" else "flask"
            elif argv[1:3] == ["-I", "-c"]:
                out[pid] = "ssr child"
            elif "esbuild" in st.comm:
                out[pid] = "esbuild"
            elif self.row == "gunicorn" and st.ppid == top:
                out[pid] = "flask (worker)"
            else:
                out[pid] = st.comm
        return out


# --- setup --------------------------------------------------------------------------


def prepare(work: Path, rows: t.Sequence[str], fresh: bool) -> dict[str, Path]:
    """Copy the template to one folder per row and install its dependencies.

    What is already there is kept (a stamp per row), unless ``fresh``.
    Returns row → the app's root (flask-vite: ``frontend/`` next to ``app.py``).
    """
    if fresh:
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    source = template_source(CREATE_VITE_EXTRA, TEMPLATE)
    roots = {row: work / row if row == "vite" else work / row / "frontend" for row in rows}
    for row in rows:
        root = roots[row]
        stamp = work / f"{row}.stamp.json"
        want = {"setup": SETUP_VERSION, "template": f"{CREATE_VITE_EXTRA[0]}@{CREATE_VITE_EXTRA[1]}"}
        if not (stamp.is_file() and json.loads(stamp.read_text()) == want):
            stamp.unlink(missing_ok=True)
            shutil.rmtree(work / row, ignore_errors=True)
            shutil.copytree(source, root)
            if (root / "_gitignore").exists():
                (root / "_gitignore").rename(root / ".gitignore")
            t0 = time.perf_counter()
            if row == "vite":
                what = npm_install(root)
            else:
                from flask_vite.npm.installer import install

                install(root, production=True)
                what = "flask_vite.npm.installer.install(production=True)"
            print(f"  {row}: {what} in {time.perf_counter() - t0:.1f}s", flush=True)
            stamp.write_text(json.dumps(want))
        if row == "vite":
            (root / "bench-loopback.mjs").write_text(LOOPBACK_MJS)
        else:
            (root.parent / "app.py").write_text(APP_PY)
        # A run stopped in the middle of an edit: the template's App.tsx back.
        shutil.copyfile(source / "src" / "App.tsx", root / "src" / "App.tsx")
    return roots


def make_server(row: str, root: Path, work: Path) -> BenchServer:
    log = work / "logs" / f"{row}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    if row == "vite":
        env = {k: v for k, v in os.environ.items() if k not in ("NODE_ENV", "BASE")}
        return BenchServer(row, [find_node(), "--import", "./bench-loopback.mjs", "server.js"], root, log, env)
    project = root.parent
    if row == "werkzeug":
        return BenchServer(row, [sys.executable, "app.py", "{port}"], project, log, flask_env(work))
    gunicorn = Path(sys.executable).parent / "gunicorn"
    if not gunicorn.exists():
        raise RuntimeError(f"gunicorn is not installed in {gunicorn.parent}")
    return BenchServer(row, [sys.executable, str(gunicorn), "-k", "gthread", "-w", "1", "--threads",
                             "8", "-b", "127.0.0.1:{port}", "app:app"], project, log, flask_env(work))


# --- the page -----------------------------------------------------------------------


def check_page(url: str) -> int:
    """The template's page, unedited; its size in bytes."""
    status, html = get(url, timeout=120)
    if status != 200 or ORIGINAL_H1 not in html or "Count is <!-- -->0" not in html:
        raise RuntimeError(f"GET / answered {status} without the template's page:\n{html[:1500]}")
    return len(html.encode())


# --- edits --------------------------------------------------------------------------


def time_edit(url: str, app_tsx: Path, original: str, text: str) -> tuple[float, int]:
    """Seconds from just before ``App.tsx`` is written with ``<h1>{text}</h1>``
    until a ``GET /`` shows it, and how many requests that took."""
    parts = urlsplit(url)
    wanted = f"<h1>{text}</h1>"
    new = original.replace(ORIGINAL_H1, wanted)
    assert new != original
    polls = 0
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=EDIT_TIMEOUT)
    try:
        t0 = time.perf_counter()
        with open(app_tsx, "w", encoding="utf-8") as f:
            f.write(new)
        deadline = t0 + EDIT_TIMEOUT
        while True:
            polls += 1
            conn.request("GET", "/")
            r = conn.getresponse()
            body = r.read().decode("utf-8", "replace")
            if r.status == 200 and wanted in body:
                return time.perf_counter() - t0, polls
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{wanted!r} not served after {EDIT_TIMEOUT:.0f}s"
                                   f" (last answer {r.status}: {body[:300]!r})")
            if r.getheader("Connection", "").lower() == "close":
                conn.close()  # werkzeug: http.client reconnects on the next request
    finally:
        conn.close()


# --- rows ---------------------------------------------------------------------------


def children_cpu() -> float:
    """CPU seconds of this process's waited-for children (wrk)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclasses.dataclass
class Row:
    name: str
    root: Path
    server: BenchServer | None = None
    original: str = ""
    load: Load | None = None
    slices: list[float] = dataclasses.field(default_factory=list)  # req/s of each slice
    #: role → CPU seconds over the measured slices; the load generator's; everyone else's.
    cpu: dict[str, float] = dataclasses.field(default_factory=lambda: collections.defaultdict(float))
    loadgen_cpu: float = 0.0
    other_cpu: float = 0.0
    edits: list[float] = dataclasses.field(default_factory=list)
    first_edits: list[float] = dataclasses.field(default_factory=list)
    polls: list[int] = dataclasses.field(default_factory=list)
    page_bytes: int = 0
    up: float | None = None
    errors: list[str] = dataclasses.field(default_factory=list)

    @property
    def app_tsx(self) -> Path:
        return self.root / "src" / "App.tsx"

    @property
    def ok(self) -> bool:
        return self.server is not None and self.server.alive

    def fail(self, what: str) -> None:
        self.errors.append(f"{what}: {traceback.format_exc(limit=3).strip().splitlines()[-1]}")
        tail = self.server.tail() if self.server is not None else ""
        print(f"  {self.name:<9} FAILED {what}:\n{traceback.format_exc(limit=5)}"
              f"  log tail:\n{tail}", flush=True)
        self.stop()

    def stop(self) -> None:
        if self.original:
            with contextlib.suppress(OSError):
                self.app_tsx.write_text(self.original, "utf-8")
        if self.server is not None:
            self.server.stop()


def run_load(url: str, args: argparse.Namespace, wrk: str | None, script: Path,
             duration: float) -> Load:
    if wrk:
        return load_wrk(wrk, url, args.connections, duration, script, threads=args.wrk_threads,
                        nice=NICE)
    return load_python(url, args.connections, duration)


def start(row: Row, work: Path) -> None:
    row.original = row.app_tsx.read_text("utf-8")
    row.server = make_server(row.name, row.root, work)
    started = time.perf_counter()
    row.server.start()
    row.server.wait_port()
    row.page_bytes = check_page(row.server.url)
    row.up = time.perf_counter() - started
    print(f"  {row.name:<9} up, first page after {row.up:.2f}s ({row.page_bytes} bytes)", flush=True)


def measure_slice(row: Row, args: argparse.Namespace, wrk: str | None, script: Path,
                  duration: float) -> None:
    assert row.server is not None
    before, machine0, gen0 = row.server.tree(), machine_ticks(), children_cpu()
    load = run_load(row.server.url, args, wrk, script, duration)
    after, machine1, gen1 = row.server.tree(), machine_ticks(), children_cpu()
    role = row.server.roles(after)
    own = 0.0
    for pid, st in after.items():
        seconds = (st.ticks - (before[pid].ticks if pid in before else 0)) / CLOCK_TICKS
        row.cpu[role[pid]] += seconds
        own += seconds
    gen = gen1 - gen0 if wrk else 0.0  # the Python generator runs in this process
    busy = (machine1[0] - machine0[0]) / CLOCK_TICKS
    row.loadgen_cpu += gen
    row.other_cpu += max(busy - own - gen, 0.0)
    if row.load is None:
        row.load = Load(load.tool)
    row.load.add(load)
    row.slices.append(load.rps)
    if load.errors:
        row.errors.append(f"{load.errors} failed or non-2xx requests in a slice")


# --- profiling ----------------------------------------------------------------------

PROFILE_RATE = 200


def profile_row(row: Row, args: argparse.Namespace, wrk: str | None, script: Path) -> None:
    """Load the server as in the measured phase, with py-spy on the Flask process
    (``--gil``: where its Python time goes) and on the SSR child (``--idle``:
    every sample of its main thread, busy in V8 or waiting for a request)."""
    assert row.server is not None
    folder: Path = args.profile
    folder.mkdir(parents=True, exist_ok=True)
    server = row.server
    role = server.roles(server.tree())
    spies = []
    load = None
    try:
        for pid, name in role.items():
            if name not in ("flask", "flask (worker)", "ssr child"):
                continue
            tag = "child" if name == "ssr child" else "flask"
            out = folder / f"{row.name}-{tag}.txt"
            out.unlink(missing_ok=True)
            spies.append((tag, out, subprocess.Popen(
                [py_spy(), "record", "--pid", str(pid), "--gil" if tag == "flask" else "--idle",
                 "--nonblocking", "--rate", str(PROFILE_RATE), "--format", "raw", "-o", str(out)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)))
        time.sleep(0.5)
        before = server.tree()
        started = time.perf_counter()
        load = run_load(server.url, args, wrk, script, args.duration)
        span = time.perf_counter() - started
        after = server.tree()
        print(f"\n  profiled load ({row.name}): {load.rps:.0f} req/s under py-spy; cores: " + ", ".join(
            f"{role.get(pid, st.comm)} {(st.ticks - before[pid].ticks) / CLOCK_TICKS / span:.2f}"
            for pid, st in after.items() if pid in before), flush=True)
    finally:
        for _, _, spy in spies:
            spy.send_signal(signal.SIGINT)
        for _, _, spy in spies:
            try:
                spy.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                spy.kill()
                spy.communicate()
    for tag, out, _ in spies:
        # The child's parent-watching thread sleeps all the time: left out.
        summarize(out, load.requests if load else 0, f"{row.name} {tag}",
                  skip=("_watch_parent",) if tag == "child" else ())


def summarize(path: Path, requests: int, title: str, top: int = 25,
              skip: t.Sequence[str] = ()) -> None:
    if not path.is_file():
        print(f"  (no profile written to {path})")
        return
    line_no = re.compile(r" \(([^)]*?):\d+\)$")
    self_counts: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit() or any(p in stack for p in skip):
            continue
        n = int(count)
        frames = [line_no.sub(r" (\1)", f) for f in stack.split(";")]
        total += n
        self_counts[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    if not total:
        return
    per_req = 1e6 / PROFILE_RATE / max(requests, 1)
    print(f"\n  profile {title}: {path} -- {total} samples ({total / PROFILE_RATE:.1f} s),"
          f" {requests} requests: {total * per_req:.0f} µs/request in all")
    print("   self:")
    for frame, n in self_counts.most_common(top):
        print(f"    {100 * n / total:5.1f}% {n * per_req:6.0f} µs/req  {frame}")
    print("   inclusive:")
    for frame, n in inclusive.most_common(top * 2):
        print(f"    {100 * n / total:5.1f}% {n * per_req:6.0f} µs/req  {frame}")


#: ``--breakdown``: the view's steps timed one by one in a single thread, in
#: the flask-vite project folder (``python -c``, the server's environment).
#: Steps reaching into internals are skipped when those have moved.
BREAKDOWN_PY = """\
import json, statistics, sys, time
sys.path.insert(0, '.')
import app as m
vite, flask_app = m.vite, m.app
client = flask_app.test_client()
assert client.get('/').status_code == 200
steps = {}
with flask_app.test_request_context('/'):
    template = (m.ROOT / 'index.html').read_text('utf-8')
    render = vite.ssr_load_module(m.ENTRY)['render']
    steps['read index.html'] = lambda: (m.ROOT / 'index.html').read_text('utf-8')
    steps['transform_index_html'] = lambda: vite.transform_index_html('/', template)
    steps['ssr_load_module, of which:'] = lambda: vite.ssr_load_module(m.ENTRY)
    try:
        runner = flask_app.extensions['vite'].dev_server.environments['ssr'].runner
        process = runner.process
        collector = runner.collector
        if hasattr(collector, 'modules'):  # the walk, kept while the graph's generation holds
            steps['  collector.modules() (walk kept)'] = lambda: collector.modules(m.ENTRY)
        else:
            steps['  collector.collect() graph walk'] = lambda: collector.collect(m.ENTRY)
        steps['  import round trip to the child'] = lambda: process.import_(m.ENTRY)
    except Exception as e:
        print('(internals moved: %s)' % e, file=sys.stderr)
    steps['render(url) (round trip + V8 render)'] = lambda: render('/')
    steps['whole request in Flask (test client)'] = lambda: client.get('/')
    times = {k: [] for k in steps}
    for _ in range(int(sys.argv[1])):
        for k, fn in steps.items():
            t0 = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t0)
print(json.dumps({k: [statistics.median(v), sorted(v)[len(v) // 10]] for k, v in times.items()}))
flask_app.extensions['vite'].close()
"""


def breakdown(root: Path, work: Path, iterations: int) -> None:
    nice = ["nice", "-n", str(NICE)] if NICE else []
    proc = subprocess.run([*nice, sys.executable, "-c", BREAKDOWN_PY, str(iterations)],
                          cwd=root.parent, env=flask_env(work), capture_output=True, text=True,
                          check=False, timeout=900)
    if proc.returncode != 0:
        print(f"  breakdown failed ({proc.returncode}):\n{proc.stderr[-2000:]}", flush=True)
        return
    medians = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"\nflask-vite's view step by step (one thread, no HTTP server, {iterations} rounds;"
          f" µs):" + (f"  {proc.stderr.strip()}" if proc.stderr.strip() else ""))
    print(f"  {'':<40}{'median':>8}{'p10':>8}")
    for name, (median, p10) in medians.items():
        print(f"  {name:<40}{median * 1e6:8.0f}{p10 * 1e6:8.0f}")


# --- report -------------------------------------------------------------------------


def report(rows: list[Row], args: argparse.Namespace) -> None:
    print()
    tools = {r.load.tool for r in rows if r.load}
    print(f"GET / on {args.connections} connections, {args.duration:g} s per row in"
          f" {args.slices} interleaved slices, after {args.warmup:g} s of warm-up"
          f" ({', '.join(sorted(tools)) or '-'}). Edit → first render: {args.edits} edits of"
          " src/App.tsx per row, interleaved.")
    head = (f"{'':<33}{'req/s':>7}{'slices':>12}{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}"
            f"{'errors':>7}{'edit ms':>9}{'min-max':>10}{'page B':>8}")
    print(head)
    print("-" * len(head))
    by = {r.name: r for r in rows}
    for r in rows:
        ld = r.load
        if ld and ld.requests:
            cells = (f"{ld.rps:7.0f}" + f"{min(r.slices):.0f}-{max(r.slices):.0f}".rjust(12)
                     + "".join(f"{ld.percentile(q) * 1e3:8.1f}" for q in (50, 90, 99))
                     + f"{ld.errors:7d}")
        else:
            cells = f"{'-':>7}{'-':>12}{'-':>8}{'-':>8}{'-':>8}{'-':>7}"
        if r.edits:
            cells += (f"{statistics.median(r.edits) * 1e3:9.0f}"
                      + f"{min(r.edits) * 1e3:.0f}-{max(r.edits) * 1e3:.0f}".rjust(10))
        else:
            cells += f"{'-':>9}{'-':>10}"
        print(f"{LABELS[r.name]:<33}{cells}{r.page_bytes or '-':>8}")
    ref = by.get("vite")
    for name in ("werkzeug", "gunicorn"):
        fv = by.get(name)
        if fv is None or ref is None:
            continue
        parts = []
        if fv.load and ref.load and fv.load.requests and ref.load.requests:
            parts.append(f"req/s {fv.load.rps / ref.load.rps:.2f}x")
            parts += [f"p{q} {fv.load.percentile(q) / ref.load.percentile(q):.2f}x" for q in (50, 99)]
        if fv.edits and ref.edits:
            parts.append(f"edit → render {statistics.median(fv.edits) / statistics.median(ref.edits):.2f}x")
        print(f"  flask-vite / Vite ({name}): " + (", ".join(parts) or "-"))
    print("\nCPU over the measured slices, in cores (1.00 = one core all the time):")
    for r in rows:
        if not r.load or not r.load.seconds:
            continue
        span = r.load.seconds
        parts = [f"{k} {v / span:.2f}" for k, v in sorted(r.cpu.items(), key=lambda kv: -kv[1])
                 if v / span >= 0.005]
        own = sum(r.cpu.values())
        parts.append(f"(load generator {r.loadgen_cpu / span:.2f}, other processes"
                     f" {r.other_cpu / span:.2f})")
        per_req = own / r.load.requests * 1e3 if r.load.requests else 0.0
        print(f"  {LABELS[r.name]:<33}{per_req:.2f} ms CPU/request: " + ", ".join(parts))
    if any(r.edits for r in rows):
        print("\nedit → render: the uncounted first edit; requests per edit (the hit included):")
        for r in rows:
            if r.edits:
                first = ", ".join(f"{x * 1e3:.0f}" for x in r.first_edits) or "-"
                print(f"  {LABELS[r.name]:<33}first {first} ms; {statistics.mean(r.polls):.1f} requests")
    for r in rows:
        for e in r.errors:
            print(f"ERROR {r.name}: {e}")


def versions(work: Path, rows: t.Sequence[str], snapshot: str | None) -> str:
    parts = python_and_cpus()
    flask_vite = flask_vite_version(snapshot)
    if flask_vite:
        parts.append(flask_vite)
    parts += dist_versions(("flask", "werkzeug", "gunicorn", "mini-racer"))
    if "vite" in rows:
        node = node_version()
        if node:
            parts.append(f"node {node}")
        parts += package_versions(work / "vite", ("vite", "express", "react", "react-dom"))
    for row in rows:
        if row != "vite":
            react_dom = package_version(work / row / "frontend", "react-dom")
            if react_dom:
                parts.append(f"(flask-vite's react-dom {react_dom})")
            break
    if NICE:
        parts.append(f"servers and wrk at nice {NICE}")
    return ", ".join(parts)


# --- main ---------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--duration", type=float, default=10.0,
                        help="seconds of measured load per row (default: %(default)s)")
    parser.add_argument("--slices", type=int, default=5,
                        help="the measured load comes in this many turns per row (default: %(default)s)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before, per row")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--no-wrk", action="store_true", help="use the Python load generator")
    parser.add_argument("--no-install", action="store_true",
                        help="don't apt-get install wrk when it is missing")
    parser.add_argument("--edits", type=int, default=10, help="timed edits per row")
    parser.add_argument("--edit-warmup", type=int, default=1, help="uncounted edits before, per row")
    parser.add_argument("--rows", default=",".join(ROWS), help=f"of {', '.join(ROWS)}")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="scratch folder (reused)")
    parser.add_argument("--fresh", action="store_true", help="rebuild the scratch folder")
    parser.add_argument("--quiet-wait", type=float, default=60.0,
                        help="before the measured load, wait up to this many seconds for the"
                             " CPUs to be mostly idle (default: %(default)s)")
    parser.add_argument("--nice", type=int, default=0,
                        help="run the servers and wrk at this niceness (e.g. -10, as root)")
    parser.add_argument("--ref", default=None,
                        help="run flask-vite as committed at this git ref (a snapshot in the"
                             " scratch folder) instead of the working tree")
    parser.add_argument("--breakdown", type=int, default=300, metavar="N",
                        help="time the Flask view's steps N times in one thread (0: don't)")
    parser.add_argument("--profile", type=Path, default=None,
                        help="py-spy the flask-vite rows in an extra load phase; output here")
    args = parser.parse_args()
    names = [r for r in args.rows.split(",") if r]
    for name in names:
        if name not in ROWS:
            parser.error(f"unknown row {name!r}")
    args.slices = max(args.slices, 1)

    def stop(signum: int, frame: t.Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    global NICE
    NICE = args.nice
    print(f"scratch folder {args.work}; preparing create-vite-extra {CREATE_VITE_EXTRA[1]}"
          f" {TEMPLATE}", flush=True)
    roots = prepare(args.work, names, args.fresh)
    snapshot = None
    if any(n != "vite" for n in names):
        if args.ref:
            snapshot = snapshot_flask_vite(args.work, args.ref)
        compile_flask_vite(args.work)
    wrk = None if args.no_wrk else ensure_wrk(not args.no_install)
    script = write_wrk_script(args.work)
    print(versions(args.work, names, snapshot))
    print(f"load generator: {wrk or 'python threads, one per connection'}", flush=True)
    rows = [Row(name, roots[name]) for name in names]
    try:
        for row in rows:
            try:
                start(row, args.work)
            except Exception:  # noqa: BLE001 -- report it, go on with the other rows
                row.fail("start")
        for row in rows:
            if row.ok and args.warmup > 0:
                try:
                    assert row.server is not None
                    run_load(row.server.url, args, wrk, script, args.warmup)
                except Exception:  # noqa: BLE001
                    row.fail("warm-up")
        if args.quiet_wait > 0:
            busy = wait_for_quiet(args.quiet_wait)
            print(f"measuring ({busy})" if busy else "measuring", flush=True)
        per_slice = args.duration / args.slices
        for i in range(args.slices):
            order = rows if i % 2 == 0 else rows[::-1]
            for row in order:
                if not row.ok:
                    continue
                try:
                    measure_slice(row, args, wrk, script, per_slice)
                except Exception:  # noqa: BLE001
                    row.fail(f"load slice {i + 1}")
            print(f"  slice {i + 1}/{args.slices}: " + ", ".join(
                f"{r.name} {r.slices[-1]:.0f} req/s" for r in rows if r.slices and len(r.slices) == i + 1),
                flush=True)
        if args.profile is not None:
            for row in rows:
                if row.ok and row.name != "vite":
                    try:
                        profile_row(row, args, wrk, script)
                    except Exception as e:  # noqa: BLE001 -- the numbers stand
                        print(f"  profiling {row.name} failed: {type(e).__name__}: {e}", flush=True)
        for row in rows:
            if row.ok:
                assert row.server is not None
                with contextlib.suppress(Exception):
                    check_page(row.server.url)  # the watcher runs by now
        time.sleep(0.5)
        for i in range(args.edit_warmup + args.edits):
            order = rows if i % 2 == 0 else rows[::-1]
            for row in order:
                if not row.ok:
                    continue
                assert row.server is not None
                try:
                    seconds, polls = time_edit(row.server.url, row.app_tsx, row.original,
                                               f"Bench edit {row.name} {i}")
                except Exception:  # noqa: BLE001
                    row.fail(f"edit {i}")
                    continue
                if i < args.edit_warmup:
                    row.first_edits.append(seconds)
                else:
                    row.edits.append(seconds)
                    row.polls.append(polls)
                time.sleep(EDIT_PAUSE)
        for row in rows:
            if row.edits:
                print(f"  {row.name:<9} edit → render: "
                      + ", ".join(f"{x * 1000:.0f}" for x in row.edits) + " ms", flush=True)
    finally:
        for row in rows:
            with contextlib.suppress(Exception):
                row.stop()
        stop_all()
    report(rows, args)
    flask_rows = [r for r in rows if r.name != "vite"]
    if args.breakdown > 0 and flask_rows:
        if args.quiet_wait > 0:
            wait_for_quiet(min(args.quiet_wait, 30))
        breakdown(flask_rows[0].root, args.work, args.breakdown)
    return 0 if all(not r.errors for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
