"""Production SSR benchmark: flask-vite under gunicorn vs the template's Express server.

The page is create-vite-extra 5.0.3's ``template-ssr-react-ts`` (React 19,
``renderToString`` of ``App``), unmodified, copied once per side into the
scratch folder:

* ``express`` -- the template's own ``server.js`` in production:
  ``npm install && npm run build`` with the system's npm (``vite build`` of
  the client and of ``src/entry-server.tsx``), then ``NODE_ENV=production
  node server.js`` (Express 5, ``compression()``, ``sirv``, the built
  template and ``dist/server/entry-server.js``). One Node process, as the
  template runs. Node is used for this side only; a preload
  (``bench-loopback.mjs``) makes its ``listen()`` bind 127.0.0.1.
* ``flask-vite`` -- ``app.py`` next to ``frontend/`` (the template's files,
  dependencies installed with flask-vite's own installer), built with
  ``flask vite build`` (client + ``dist/server/entry-server.js`` for V8),
  no Node at any stage. One view, the Flask translation of ``server.js``'s
  production branch: ``vite.render("src/entry-server.tsx", url=...)``.
  Served by ``gunicorn -k gevent -w 2`` (no access log), the renderer pool
  per worker set by the row:

  - ``flask-vite`` -- the defaults (``VITE_SSR_WORKERS=2``, batching on);
  - ``flask-vite-w1`` -- ``VITE_SSR_WORKERS=1``;
  - ``flask-vite-nobatch`` -- ``VITE_SSR_BATCH=1`` (one round trip per render);
  - ``flask-vite-norecycle`` -- ``VITE_SSR_MAX_RENDERS=0`` (renderers never replaced).

Builds: before serving, each side's production build is run ``--build-rounds``
times, alternating, and timed (wall clock, and the CPU of every process it
ran): ``vite build`` of the client and of ``src/entry-server.tsx`` with the
template's own commands (``build:client`` + ``build:server``; the ``tsc -b``
type check of ``npm run build`` is left out: it builds nothing) against
``flask vite build`` (both outputs in one command).

Each of ``--rounds`` rounds starts every row's server once, in an order
that alternates between rounds (the machine may be shared: a burst of other
work lands in one round, not in one row); the table shows medians over
rounds. Per row and round: the page is checked (200, ``Count is``, the
built script tag), then ``--warmup`` seconds of load (JIT, renderer start),
then ``GET /`` for ``--duration`` seconds with ``--connections`` keep-alive
connections: requests/s and latency p50/p99 from ``wrk`` (Debian's; the
benchmark runs ``apt-get install -y wrk`` if it is missing and it may,
else a Python load generator, one thread per connection), any non-200 or
socket error counted. The CPU time of every process of the server (gunicorn
master and workers, V8 renderers; node) over the measured span is reported
in cores, and per request (CPU ms/request: less sensitive than requests/s
to other work on a shared machine; on an idle machine with C cores the
ceiling is about C / that).

Usage (from the repository root, with the project's virtualenv)::

    .venv/bin/python benchmarks/ssr_prod.py [--connections 10] [--duration 10]
        [--warmup 3] [--rounds 3] [--build-rounds 3] [--rows express,flask-vite,...]
        [--work /tmp/flask-vite-bench/ssr-prod] [--fresh]

Every process started here (each server's process group, and descendants
that left it, such as the renderers, which have their own session) is killed
at the end, also when a row fails.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import resource
import shutil
import statistics
import sys
import time
import typing as t
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks._load import Load, ensure_wrk, get, load_python, load_wrk, write_wrk_script
from benchmarks._node import LOOPBACK_MJS, node_version, npm_install, package_versions
from benchmarks._procs import Server, cpu_seconds, run
from benchmarks._report import dist_versions

TEMPLATE = ("create-vite-extra", "5.0.3", "template-ssr-react-ts")
ROWS: dict[str, dict[str, str]] = {
    "express": {},
    "flask-vite": {},
    "flask-vite-w1": {"VITE_SSR_WORKERS": "1"},
    "flask-vite-nobatch": {"VITE_SSR_BATCH": "1"},
    "flask-vite-norecycle": {"VITE_SSR_MAX_RENDERS": "0"},
}
DEFAULT_ROWS = "express,flask-vite,flask-vite-w1,flask-vite-nobatch"

APP_PY = '''\
"""create-vite-extra's server.js, production branch, in Flask."""
import os

from flask import Flask, Response, request

from flask_vite import FlaskVite

vite = FlaskVite()


def create_app() -> Flask:
    app = Flask(__name__)
    app.config.update(VITE_ROOT="frontend", VITE_APP_TYPE="custom",
                      VITE_SSR_ENTRY="/src/entry-server.tsx")
    for key in ("VITE_SSR_WORKERS", "VITE_SSR_BATCH", "VITE_SSR_MAX_RENDERS"):
        if key in os.environ:
            app.config[key] = int(os.environ[key])
    vite.init_app(app)

    @app.get("/__pool")
    def pool_stats() -> dict:
        """For the benchmark's report: this worker's renderer pool."""
        renderer = app.extensions["vite"].production
        pools = list(renderer.pools().values()) if renderer else []
        stats = pools[0].stats() if pools else None
        return {"pid": os.getpid(), "renders": stats.renders if stats else 0,
                "round_trips": stats.round_trips if stats else 0}

    @app.get("/", defaults={"path": ""})
    @app.get("/<path:path>")
    def page(path: str) -> Response:
        return Response(vite.render("src/entry-server.tsx", url=request.full_path.rstrip("?")),
                        mimetype="text/html")

    return app


app = create_app()
'''

# -- setup -----------------------------------------------------------------------------


def prepare(work: Path, rows: t.Sequence[str], fresh: bool) -> dict[str, Path]:
    from tests.apps import template_source

    source = template_source(TEMPLATE[:2], TEMPLATE[2])
    folders: dict[str, Path] = {}
    if "express" in rows:
        folder = work / "express"
        if fresh:
            shutil.rmtree(folder, ignore_errors=True)
        if not (folder / "dist" / "server" / "entry-server.js").is_file():
            shutil.rmtree(folder, ignore_errors=True)
            shutil.copytree(source, folder)
            print("express: npm install && npm run build", flush=True)
            npm_install(folder)
            run(["npm", "run", "build"], folder)
        (folder / "bench-loopback.mjs").write_text(LOOPBACK_MJS)
        folders["express"] = folder
    if any(r.startswith("flask-vite") for r in rows):
        folder = work / "flask"
        root = folder / "frontend"
        if fresh:
            shutil.rmtree(folder, ignore_errors=True)
        if not (root / "dist" / "server" / "entry-server.js").is_file():
            from flask_vite.npm.installer import install

            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            shutil.copytree(source, root)
            print("flask-vite: install (flask-vite's installer) and flask vite build", flush=True)
            install(root, production=True)
            (folder / "app.py").write_text(APP_PY)
            run([sys.executable, "-m", "flask", "--app", "app", "vite", "build"], folder,
                {**os.environ, "PYTHONPATH": str(REPO)})
        (folder / "app.py").write_text(APP_PY)
        folders["flask-vite"] = folder
    return folders


def time_builds(folders: dict[str, Path], rounds: int) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) seconds of each side's production build, ``rounds`` times,
    in an order that alternates between rounds."""
    sides: dict[str, tuple[Path, list[list[str]], t.Mapping[str, str]]] = {}
    if "express" in folders:
        vite = ["node", "node_modules/vite/bin/vite.js", "build"]
        sides["vite build"] = (folders["express"], [
            vite + ["--outDir", "dist/client"],
            vite + ["--ssr", "src/entry-server.tsx", "--outDir", "dist/server"]], os.environ)
    if "flask-vite" in folders:
        sides["flask vite build"] = (folders["flask-vite"], [
            [sys.executable, "-m", "flask", "--app", "app", "vite", "build"]],
            {**os.environ, "PYTHONPATH": str(REPO)})
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
    names = list(sides)
    for round_ in range(rounds):
        for name in names if round_ % 2 == 0 else names[::-1]:
            folder, commands, env = sides[name]
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            for command in commands:
                run(command, folder, env)
            wall = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            times[name].append((wall, cpu))
            print(f"  {name:22} {wall:6.2f} s wall  {cpu:6.2f} s CPU", flush=True)
    return times


# -- servers ---------------------------------------------------------------------------


def start_server(row: str, folders: dict[str, Path], log: Path) -> Server:
    """The row's server, its port open (everything it starts is killed by its ``stop()``)."""
    if row == "express":
        cmd = ["node", "--import", "./bench-loopback.mjs", "server.js"]
        cwd, env = folders["express"], {**os.environ, "NODE_ENV": "production"}
    else:
        cmd = [sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "2",
               "-b", "127.0.0.1:{port}", "--log-level", "warning", "app:app"]
        cwd, env = folders["flask-vite"], {**os.environ, "PYTHONPATH": str(REPO), **ROWS[row]}
    server = Server(cmd, cwd, log, env)
    server.start()
    server.wait_port(60)
    return server


# -- rows ------------------------------------------------------------------------------


@dataclasses.dataclass
class Result:
    rps: list[float] = dataclasses.field(default_factory=list)
    p50: list[float] = dataclasses.field(default_factory=list)
    p99: list[float] = dataclasses.field(default_factory=list)
    cores: list[float] = dataclasses.field(default_factory=list)
    per_trip: list[float] = dataclasses.field(default_factory=list)
    errors: int = 0
    tool: str = ""


def pool_stats(url: str, row: str) -> dict[int, tuple[int, int]]:
    """Renders and round trips of each gunicorn worker's pool (both are seen
    after a few requests: the kernel spreads connections over the workers)."""
    found: dict[int, tuple[int, int]] = {}
    if row == "express":
        return found
    for _ in range(40):
        data = json.loads(get(url + "__pool")[1])
        found[data["pid"]] = (data["renders"], data["round_trips"])
        if len(found) == 2:
            break
    return found


def check_page(row: str, html: str) -> None:
    if "Count is <!-- -->0" not in html or 'crossorigin src="/assets/' not in html:
        raise RuntimeError(f"{row}: not the expected page:\n{html[:2000]}")


def one_row(row: str, folders: dict[str, Path], args: argparse.Namespace, wrk: str | None,
            script: Path, result: Result) -> None:
    server = start_server(row, folders, args.work / f"{row}.log")
    try:
        status, html = get(server.url)
        if status != 200:
            raise RuntimeError(f"{row}: status {status}")
        check_page(row, html)

        def load(seconds: float) -> Load:
            if wrk:
                return load_wrk(wrk, server.url, args.connections, seconds, script)
            return load_python(server.url, args.connections, seconds)

        load(args.warmup)
        pools_before = pool_stats(server.url, row)
        cpu_before = cpu_seconds(server.tree().values())
        measured = load(args.duration)
        cores = (cpu_seconds(server.tree().values()) - cpu_before) / measured.seconds
        pools_after = pool_stats(server.url, row)
        trips = sum(pools_after.get(p, (0, 0))[1] - pools_before.get(p, (0, 0))[1] for p in pools_after)
        renders = sum(pools_after.get(p, (0, 0))[0] - pools_before.get(p, (0, 0))[0] for p in pools_after)
        per_trip = renders / trips if trips else float("nan")
        result.per_trip.append(per_trip)
        result.rps.append(measured.rps)
        result.p50.append(measured.percentile(50))
        result.p99.append(measured.percentile(99))
        result.cores.append(cores)
        result.errors += measured.errors
        result.tool = measured.tool
        print(f"  {row:22} {measured.rps:8.0f} req/s  p50 {result.p50[-1] * 1000:6.2f} ms  "
              f"p99 {result.p99[-1] * 1000:7.2f} ms  server {cores:4.2f} cores  renders/trip {per_trip:.1f}  "
              f"errors {measured.errors}",
              flush=True)
    finally:
        server.stop()


def versions(folders: dict[str, Path]) -> str:
    parts = [f"Python {platform.python_version()}", f"{os.cpu_count()} CPUs"]
    parts += dist_versions(("gunicorn", "mini-racer"))
    if "express" in folders:
        node = node_version()
        if node:
            parts.append(f"Node {node}")
        parts += package_versions(folders["express"], ("express", "vite", "react-dom"))
    return ", ".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--build-rounds", type=int, default=3, help="Timed builds per side (0: none).")
    parser.add_argument("--rows", default=DEFAULT_ROWS)
    parser.add_argument("--work", type=Path, default=Path("/tmp/flask-vite-bench/ssr-prod"))
    parser.add_argument("--fresh", action="store_true", help="Install and build again.")
    parser.add_argument("--no-install-wrk", action="store_true")
    args = parser.parse_args()
    rows = [r.strip() for r in args.rows.split(",") if r.strip()]
    unknown = [r for r in rows if r not in ROWS]
    if unknown:
        parser.error(f"unknown rows {unknown}; known: {', '.join(ROWS)}")
    args.work.mkdir(parents=True, exist_ok=True)
    folders = prepare(args.work, rows, args.fresh)
    wrk = ensure_wrk(not args.no_install_wrk)
    script = write_wrk_script(args.work)
    builds: dict[str, list[tuple[float, float]]] = {}
    if args.build_rounds > 0:
        print(f"builds ({args.build_rounds} each)", flush=True)
        builds = time_builds(folders, args.build_rounds)
    results = {row: Result() for row in rows}
    for round_ in range(args.rounds):
        order = rows if round_ % 2 == 0 else rows[::-1]
        print(f"round {round_ + 1}/{args.rounds}", flush=True)
        for row in order:
            one_row(row, folders, args, wrk, script, results[row])

    print()
    print(f"GET / of {'/'.join(TEMPLATE[:2])} {TEMPLATE[2]}, {args.connections} connections, "
          f"{args.duration:g} s x {args.rounds} rounds (medians), load: {results[rows[0]].tool}")
    print(versions(folders))
    print()
    base = statistics.median(results["express"].rps) if "express" in results else None
    print("| server | req/s | p50 ms | p99 ms | server CPU (cores) | CPU ms/request | renders/round trip "
          "| errors | vs Express |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        r = results[row]
        rps = statistics.median(r.rps)
        ratio = f"{rps / base:.2f}x" if base else "-"
        label = "Express (node server.js)" if row == "express" else f"{row} (gunicorn -k gevent -w 2)"
        per_request = statistics.median(c / q for c, q in zip(r.cores, r.rps)) * 1000
        print(f"| {label} | {rps:.0f} | {statistics.median(r.p50) * 1000:.2f} | "
              f"{statistics.median(r.p99) * 1000:.2f} | {statistics.median(r.cores):.2f} | "
              f"{per_request:.3f} | {'-' if row == 'express' else f'{statistics.median(r.per_trip):.1f}'} | "
              f"{r.errors} | {ratio} |")
    if builds:
        print()
        print(f"Production build (client + SSR), medians of {args.build_rounds}:")
        print()
        print("| build | wall s | CPU s | vs vite build (wall) |")
        print("|---|---:|---:|---:|")
        base_wall = statistics.median(w for w, _ in builds["vite build"]) if "vite build" in builds else None
        for name, runs in builds.items():
            wall = statistics.median(w for w, _ in runs)
            cpu = statistics.median(c for _, c in runs)
            ratio = f"{wall / base_wall:.2f}x" if base_wall else "-"
            print(f"| {name} | {wall:.2f} | {cpu:.2f} | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
