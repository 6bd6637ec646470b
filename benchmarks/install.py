"""Install benchmark: flask-vite's Node-free installer vs ``npm install``.

The project is create-vite-extra's ``template-ssr-react-ts`` (its package.json
is taken from the npm tarball with flask-vite's own registry client). Each
tool installs into its own scratch folder, with its own cache folder:

* cold  -- empty cache, no lockfile, no node_modules (resolve + download + extract);
* warm  -- cache and lockfile from the cold run, node_modules deleted;
* no-op -- everything already installed.

Both run as subprocesses, so interpreter / Node start-up is counted on both
sides, and neither runs install scripts (flask-vite never does; npm gets
``--ignore-scripts``). Times are medians of ``--repeat`` runs; the ratio is
flask-vite / npm, so below 1.0 means flask-vite is faster.

    python benchmarks/install.py [--repeat 3] [--keep]

Node and npm are used here only, for the reference side.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import typing as t
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from flask_vite.npm.cache import NpmCache  # noqa: E402
from flask_vite.npm.registry import RegistryClient  # noqa: E402
from flask_vite.npm.tarball import extract_tarball  # noqa: E402

TEMPLATE = "template-ssr-react-ts"


def template_package_json(version: str | None) -> tuple[str, dict[str, t.Any]]:
    with RegistryClient() as client:
        doc = client.packument("create-vite-extra")
        version = version or doc["dist-tags"]["latest"]
        data = client.fetch_tarball("create-vite-extra", version, doc["versions"][version]["dist"])
    with tempfile.TemporaryDirectory() as tmp:
        extract_tarball(data, tmp, what=f"create-vite-extra@{version}")
        return version, json.loads((Path(tmp) / TEMPLATE / "package.json").read_text())


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed in {cwd}:\n{proc.stdout}\n{proc.stderr}")
    return elapsed


class Side:
    def __init__(self, name: str, work: Path, package_json: dict[str, t.Any]) -> None:
        self.name = name
        self.project = work / name / "project"
        self.cache = work / name / "cache"
        self.package_json = package_json

    def reset(self, *, cache: bool, lock: bool, modules: bool) -> None:
        if cache and self.cache.exists():
            shutil.rmtree(self.cache)
        self.cache.mkdir(parents=True, exist_ok=True)
        self.project.mkdir(parents=True, exist_ok=True)
        (self.project / "package.json").write_text(json.dumps(self.package_json, indent=2) + "\n")
        if lock:
            (self.project / "package-lock.json").unlink(missing_ok=True)
        if modules and (self.project / "node_modules").exists():
            shutil.rmtree(self.project / "node_modules")

    def install(self) -> float:
        raise NotImplementedError

    def packages(self) -> int:
        lock = json.loads((self.project / "node_modules" / ".package-lock.json").read_text())
        return len([k for k in lock["packages"] if k])


class FlaskVite(Side):
    def install(self) -> float:
        env = {**os.environ, "FLASK_VITE_CACHE_DIR": str(self.cache)}
        code = ("import sys; from flask_vite.npm.commands import install_command; "
                "install_command(['--root', sys.argv[1]])")
        return run([sys.executable, "-c", code, str(self.project)], self.project, env)


class Npm(Side):
    def install(self) -> float:
        npm = shutil.which("npm")
        if npm is None:
            sys.exit("npm is needed for the reference side of this benchmark")
        cmd = [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error",
               f"--cache={self.cache}", "--userconfig=/dev/null"]
        return run(cmd, self.project, dict(os.environ))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--template-version", default=None,
                        help="create-vite-extra version (default: latest)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args()

    version, package_json = template_package_json(args.template_version)
    work = Path(tempfile.mkdtemp(prefix="flask-vite-install-bench-"))
    sides = [FlaskVite("flask-vite", work, package_json), Npm("npm", work, package_json)]
    results: dict[str, dict[str, list[float]]] = {s.name: {} for s in sides}
    print(f"create-vite-extra@{version} {TEMPLATE}: "
          f"{len(package_json.get('dependencies', {}))} deps + "
          f"{len(package_json.get('devDependencies', {}))} devDeps; "
          f"{args.repeat} runs each; scratch {work}")
    try:
        for _ in range(args.repeat):
            for side in sides:
                side.reset(cache=True, lock=True, modules=True)
                results[side.name].setdefault("cold", []).append(side.install())
                side.reset(cache=False, lock=False, modules=True)
                results[side.name].setdefault("warm", []).append(side.install())
                results[side.name].setdefault("no-op", []).append(side.install())
        counts = {s.name: s.packages() for s in sides}
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    print(f"packages in node_modules: flask-vite {counts['flask-vite']}, npm {counts['npm']}")
    print(f"{'scenario':<8} {'flask-vite':>11} {'npm':>9} {'ratio':>7}")
    for scenario in ("cold", "warm", "no-op"):
        fv = statistics.median(results["flask-vite"][scenario])
        npm = statistics.median(results["npm"][scenario])
        print(f"{scenario:<8} {fv:>10.2f}s {npm:>8.2f}s {fv / npm:>7.2f}")


if __name__ == "__main__":
    main()
