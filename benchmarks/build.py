"""Build benchmark: ``flask vite build`` vs ``vite build``, client + SSR.

The app is create-vite-extra 5.0.3's ``template-ssr-react-ts``, copied to one
folder per side:

* ``flask-vite`` -- ``frontend/`` with its ``dependencies`` installed by
  flask-vite's installer, next to an ``app.py`` that calls ``FlaskVite(app)``
  with ``VITE_SSR_ENTRY = "src/entry-server.tsx"``; timed command:
  ``python -m flask --app app vite build`` (client, then the SSR bundle: one
  process, Python start-up and app import included);
* ``vite`` -- the template with everything in its ``package.json`` installed
  by the system's ``npm`` (Vite 8, ``@vitejs/plugin-react``); timed commands:
  the template's ``build:client`` and ``build:server`` scripts run with
  ``node`` directly (no ``npm run``/``npx`` start-up counted), with
  ``--manifest --ssrManifest`` added to the client build so both sides write
  the same files: ``vite build --outDir dist/client --manifest --ssrManifest``
  then ``vite build --ssr src/entry-server.tsx --outDir dist/server``.

``--app generated`` builds instead the generated React + TypeScript app of
``benchmarks/_apps.py`` (500 modules, client only: it has no SSR entry), a
measure of the per-module cost: every module crosses from esbuild to the
Python plugin pipeline and back.

Note the SSR bundles differ in scope: Vite leaves ``react``/``react-dom`` to
Node (``node_modules`` stay external), while flask-vite bundles them (the V8
renderer has no module loader), so its SSR build does more work.

Runs alternate between the sides (``--runs`` each after ``--warmup``
uncounted ones), each a fresh process building into an emptied ``dist/``;
printed: median, min and max wall time per side and the ratio flask-vite /
Vite of the medians (below 1: flask-vite faster). Target: no slower than Vite.

Usage (from the repository root, with the project's virtualenv)::

    .venv/bin/python benchmarks/build.py [--runs 10] [--warmup 2]
        [--app template|generated] [--sides flask-vite,vite]
        [--work /tmp/flask-vite-bench-build] [--fresh]

The scratch folder is reused between runs (installs skipped when its stamp
matches); ``--fresh`` rebuilds it. Node is used for the Vite side only.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import time
import typing as t
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from benchmarks._apps import make_generated_app  # noqa: E402
from benchmarks._node import find_node, node_version, npm_install, package_versions  # noqa: E402
from benchmarks._procs import run  # noqa: E402
from benchmarks._report import summary  # noqa: E402
from tests.apps import CREATE_VITE_EXTRA, template_source  # noqa: E402

DEFAULT_WORK = Path("/tmp/flask-vite-bench-build")
SIDES = ("flask-vite", "vite")
TEMPLATE = "template-ssr-react-ts"
SSR_ENTRY = "src/entry-server.tsx"
#: Bump when the way the scratch folder is prepared changes.
SETUP_VERSION = 2

APP_PY = '''\
from flask import Flask
from flask_vite import FlaskVite

app = Flask(__name__)
app.config.update(VITE_ROOT="frontend", VITE_APP_TYPE="custom", VITE_SSR_ENTRY={ssr!r})
FlaskVite(app)
'''


def side_root(work: Path, side: str) -> Path:
    return work / "flask-vite" / "frontend" if side == "flask-vite" else work / "vite"


def prepare(work: Path, app: str, sides: t.Sequence[str], fresh: bool) -> None:
    """Copy the app to one folder per side and install each side's packages."""
    stamp_data = {"setup": SETUP_VERSION, "app": app, "sides": sorted(sides)}
    stamp = work / "stamp.json"
    if not fresh and stamp.is_file() and json.loads(stamp.read_text()) == stamp_data:
        return
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for side in sides:
        root = side_root(work, side)
        if app == "template":
            shutil.copytree(template_source(CREATE_VITE_EXTRA, TEMPLATE), root)
        else:
            make_generated_app(root)
        t0 = time.perf_counter()
        if side == "flask-vite":
            from flask_vite.npm.installer import install

            install(root, production=True)
            (root.parent / "app.py").write_text(
                APP_PY.format(ssr=SSR_ENTRY if app == "template" else None))
            what = "flask_vite.npm.installer.install(production=True)"
        else:
            what = npm_install(root)
        print(f"  {side}: {what} in {time.perf_counter() - t0:.1f}s", flush=True)
    stamp.write_text(json.dumps(stamp_data))


def commands(work: Path, app: str, side: str) -> tuple[Path, list[list[str]], dict[str, str]]:
    root = side_root(work, side)
    if side == "flask-vite":
        env = {**os.environ, "PYTHONPATH": str(REPO), "FLASK_DEBUG": "0"}
        # An installed package has its bytecode compiled; let the warm-up runs
        # write it here too, rather than compile every module on each run.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        return root.parent, [[sys.executable, "-m", "flask", "--app", "app", "vite", "build"]], env
    node = find_node()
    vite = str(root / "node_modules" / "vite" / "bin" / "vite.js")
    cmds = [[node, vite, "build", "--outDir", "dist/client", "--manifest", "--ssrManifest"]]
    if app == "template":
        cmds.append([node, vite, "build", "--ssr", SSR_ENTRY, "--outDir", "dist/server"])
    return root, cmds, dict(os.environ)


def measure(work: Path, app: str, side: str) -> float:
    """Wall seconds of one complete build (client + SSR) from fresh processes."""
    cwd, cmds, env = commands(work, app, side)
    shutil.rmtree(side_root(work, side) / "dist", ignore_errors=True)
    t0 = time.perf_counter()
    for cmd in cmds:
        run(cmd, cwd, env)
    elapsed = time.perf_counter() - t0
    client = side_root(work, side) / "dist" / "client"
    server = side_root(work, side) / "dist" / "server" / "entry-server.js"
    if not (client / "index.html").is_file() or (app == "template" and not server.is_file()):
        raise RuntimeError(f"{side}: the build did not write index.html (and entry-server.js)")
    return elapsed


def versions(work: Path, sides: t.Sequence[str]) -> str:
    from flask_vite.esbuild.binary import ESBUILD_VERSION

    parts = [f"python {platform.python_version()}", f"esbuild {ESBUILD_VERSION}"]
    if "vite" in sides:
        parts += package_versions(side_root(work, "vite"), ("vite", "rolldown", "@vitejs/plugin-react"))
        node = node_version()
        if node:
            parts.append(f"node {node}")
    return ", ".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--sides", default=",".join(SIDES))
    parser.add_argument("--app", choices=("template", "generated"), default="template",
                        help=f"create-vite-extra's {TEMPLATE} (client + SSR), or the"
                             " generated 500-module app (client)")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    sides = [s.strip() for s in args.sides.split(",") if s.strip()]
    unknown = set(sides) - set(SIDES)
    if unknown:
        parser.error(f"unknown sides: {', '.join(sorted(unknown))}")

    print(f"preparing {args.work} ...", flush=True)
    prepare(args.work, args.app, sides, args.fresh)
    print(f"{platform.machine()}, {os.cpu_count()} CPUs; {versions(args.work, sides)}",
          flush=True)
    results: dict[str, list[float]] = {side: [] for side in sides}
    for index in range(args.warmup + args.runs):
        # Alternate which side goes first, so neither always runs on a warmer machine.
        order = sides if index % 2 == 0 else sides[::-1]
        for side in order:
            elapsed = measure(args.work, args.app, side)
            if index >= args.warmup:
                results[side].append(elapsed)
    what = f"{TEMPLATE}: client + SSR" if args.app == "template" else "generated app: client"
    print(f"\n{what} build, wall time of fresh processes")
    for side in sides:
        print(f"  {side:<10} {summary([s * 1000 for s in results[side]], spec='7.0f')}")
    if len(sides) == 2:
        a, b = (statistics.median(results[s]) for s in sides)
        print(f"  ratio {sides[0]} / {sides[1]} (medians): {a / b:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
