"""Compare V8 bindings for server-side rendering, and measure flask-vite's SSR child.

Both candidate bindings install the import name ``py_mini_racer``, so each is
measured in its own virtualenv (created under ``--workdir`` on first use) by
re-running this file with ``--worker``; worker mode imports only the standard
library and the binding. The React/Preact page is the one described in
``DESIGN.md`` §5: about 400 elements, fresh JSON props per render.

Usage (from the repository root, with the project venv)::

    .venv/bin/python benchmarks/v8_bindings.py                # everything
    .venv/bin/python benchmarks/v8_bindings.py --renders 300 --no-wheels
    .venv/bin/python benchmarks/v8_bindings.py --bindings mini-racer==0.14.1

What is measured, per binding (in-process, one isolate):

* ``react`` / ``preact``: ``renderToString`` of the page, µs per call, props
  passed as a JSON string literal and parsed in V8 (the same work for both).
* ``trivial``: ``eval("1")``, the binding's per-call overhead.
* ``intl``: ``new Intl.NumberFormat('de-DE').format(1234.5)`` and
  ``(1234.5).toLocaleString('de-DE')``.
* ``oom``: a runaway allocation with the binding's memory limit, in a
  subprocess: does the process survive, what is raised, is the isolate usable.
* ``gevent``: ``MiniRacer()`` + ``eval`` after ``gevent.monkey.patch_all()``.
* ``wheels``: which platforms have a wheel (``pip download --platform``).

Then, with the project venv, flask-vite's own renderer
(:class:`flask_vite.ssr.process.SsrProcess`): round trip of a React render,
throughput with two child processes on two threads, and the cost of a
timeout (kill + respawn + re-ship) -- in plain threads and under gevent.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import textwrap
import time
import typing as t
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Candidate bindings: pip requirement -> label.
DEFAULT_BINDINGS = ("py-mini-racer==0.6.0", "mini-racer==0.14.1")

#: Platforms our users run on; a binding without a wheel there needs a V8 build.
WHEEL_PLATFORMS = {
    "macOS arm64": ("macosx_11_0_arm64",),
    "macOS x86_64": ("macosx_10_9_x86_64", "macosx_10_10_x86_64"),
    "Linux x86_64": ("manylinux1_x86_64", "manylinux2014_x86_64", "manylinux_2_27_x86_64"),
    "Linux arm64": ("manylinux2014_aarch64", "manylinux_2_27_aarch64", "manylinux_2_28_aarch64"),
    "Linux musl x86_64": ("musllinux_1_2_x86_64",),
    "Windows x86_64": ("win_amd64",),
}

PACKAGE_JSON = {
    "name": "flask-vite-v8-bench",
    "private": True,
    "dependencies": {
        "react": "^19.0.0",
        "react-dom": "^19.0.0",
        "preact": "^10.24.0",
        "preact-render-to-string": "^6.5.0",
    },
}

# The page: 36 rows of 11 elements + 8 around them = 404 elements. Prices are
# formatted by hand so a binding without Intl renders the same work.
PAGE_BODY = """
const Locale = createContext("en-US");

function formatPrice(value) {
  const [int, frac] = value.toFixed(2).split(".");
  return int.replace(/\\B(?=(\\d{3})+(?!\\d))/g, ".") + "," + frac + " \\u20ac";
}

function Price({ value }) {
  const locale = useContext(Locale);
  const text = useMemo(() => formatPrice(value), [value, locale]);
  return <span className="price">{text}</span>;
}

function Row({ item }) {
  const [open] = useState(item.id % 3 === 0);
  const id = useId();
  return (
    <tr id={id} className={open ? "open" : "closed"}>
      <td>{item.id}</td>
      <td><a href={"/items/" + item.id}>{item.name}</a></td>
      <td><Price value={item.price} /></td>
      <td>{item.tags.map((t) => <em key={t}>{t}</em>)}</td>
      <td>{open ? <b>open</b> : <i>closed</i>}</td>
    </tr>
  );
}

export function Page({ title, items, locale }) {
  return (
    <Locale.Provider value={locale}>
      <html><head><title>{title}</title></head>
        <body><h1>{title}</h1>
          <table><tbody>{items.map((item) => <Row key={item.id} item={item} />)}</tbody></table>
          <footer>{items.length} items</footer>
        </body></html>
    </Locale.Provider>
  );
}
"""

REACT_PAGE = """
import { createContext, useContext, useId, useMemo, useState } from "react";
import { renderToString } from "react-dom/server.browser";
""" + PAGE_BODY + """
export function render(json) { return renderToString(<Page {...JSON.parse(json)} />); }
"""

PREACT_PAGE = """/** @jsxImportSource preact */
import { createContext } from "preact";
import { useContext, useId, useMemo, useState } from "preact/hooks";
import { renderToString } from "preact-render-to-string";
""" + PAGE_BODY + """
export function render(json) { return renderToString(<Page {...JSON.parse(json)} />); }
"""

# React's browser server build needs these two at module load (DESIGN §5);
# the benchmark keeps them minimal so no binding is favoured.
BENCH_SHIMS = """
globalThis.MessageChannel = class { constructor() { const p = {onmessage: null,
  postMessage() {}}; this.port1 = p; this.port2 = {postMessage() {}}; } };
globalThis.TextEncoder = class { encode(s) { const b = unescape(encodeURIComponent(s));
  const u = new Uint8Array(b.length); for (let i = 0; i < b.length; i++)
  u[i] = b.charCodeAt(i); return u; } encodeInto() { throw new Error("unused"); } };
"""


def props_json(i: int) -> str:
    """Fresh props for render ``i`` (the title changes, so nothing is cached)."""
    items = [{"id": n, "name": f"Item {n}", "price": n * 1234.5, "tags": ["new", "sale"]}
             for n in range(36)]
    return json.dumps({"title": f"Page {i}", "items": items, "locale": "de-DE"})


# ---------------------------------------------------------------------------
# Preparation (project venv): npm packages, bundles, one venv per binding.
# ---------------------------------------------------------------------------

def prepare_bundles(workdir: Path) -> dict[str, Path]:
    """Install React/Preact with flask-vite's npm installer and bundle each page
    into one IIFE script (global ``App``) with the esbuild service."""
    sys.path.insert(0, str(ROOT))
    from flask_vite.esbuild.binary import find_esbuild
    from flask_vite.esbuild.service import EsbuildService
    from flask_vite.npm.installer import install

    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "package.json").write_text(json.dumps(PACKAGE_JSON, indent=2))
    if not (workdir / "node_modules" / "react-dom").is_dir():
        install(workdir)
    src = workdir / "src"
    src.mkdir(exist_ok=True)
    (src / "react-page.jsx").write_text(REACT_PAGE)
    (src / "preact-page.jsx").write_text(PREACT_PAGE)
    bundles: dict[str, Path] = {}
    with EsbuildService(find_esbuild()) as service:
        for name in ("react", "preact"):
            result = service.build(
                entry_points=[f"src/{name}-page.jsx"], bundle=True, format="iife",
                global_name="App", platform="browser", write=False, jsx="automatic",
                define={"process.env.NODE_ENV": '"production"'},
                abs_working_dir=str(workdir))
            out = workdir / f"{name}.bundle.js"
            out.write_bytes(result.output_files[0].contents)
            bundles[name] = out
    return bundles


def binding_venv(workdir: Path, requirement: str) -> Path:
    """A venv with ``requirement`` and gevent; created on first use."""
    venv = workdir / ("venv-" + requirement.replace("==", "-"))
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", requirement, "gevent"],
                       check=True)
    return python


def wheel_platforms(requirement: str, workdir: Path) -> dict[str, bool]:
    """Which platforms have a wheel: one ``pip download --platform`` per tag."""
    found: dict[str, bool] = {}
    dest = workdir / "wheels"
    for label, tags in WHEEL_PLATFORMS.items():
        found[label] = False
        for tag in tags:
            proc = subprocess.run(
                [sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                 "--only-binary=:all:", "--platform", tag, "--python-version", "3.11",
                 "-d", str(dest / tag), requirement],
                capture_output=True, text=True, check=False)
            if proc.returncode == 0:
                found[label] = True
                break
    return found


# ---------------------------------------------------------------------------
# Worker mode (binding venv): everything in-process with one binding.
# ---------------------------------------------------------------------------

OOM_PROBE = textwrap.dedent("""
    import sys, time
    from py_mini_racer import MiniRacer
    limit = 256 * 1024 * 1024
    mr = MiniRacer()
    runaway = "let a = []; while (true) a.push(new Array(100000).fill(Math.random()));"
    start = time.perf_counter()
    try:
        if hasattr(mr, "set_hard_memory_limit"):
            mr.set_hard_memory_limit(limit)
            mr.eval(runaway)
        else:
            mr.eval(runaway, max_memory=limit)
        outcome = "returned?!"
    except Exception as e:
        outcome = type(e).__name__
    elapsed = time.perf_counter() - start
    try:
        if hasattr(mr, "low_memory_notification"):
            mr.low_memory_notification()
        usable = mr.eval("1 + 1") == 2
    except Exception as e:
        usable = False
    print(f"{outcome} after {elapsed:.2f}s; isolate usable after: {usable}", flush=True)
    if hasattr(mr, "close"):
        mr.close()
""")

GEVENT_PROBE = textwrap.dedent("""
    from gevent import monkey
    monkey.patch_all()
    from py_mini_racer import MiniRacer
    mr = MiniRacer()
    print("works" if mr.eval("6 * 7") == 42 else "wrong result", flush=True)
    if hasattr(mr, "close"):
        mr.close()
""")


def run_probe(code: str, timeout: float) -> str:
    """Run ``code`` in a fresh interpreter of this venv; describe the outcome."""
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return f"hangs (killed after {timeout:.0f}s)"
    out = proc.stdout.strip().splitlines()
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1][:80]
        return f"process died (exit {proc.returncode}): {tail}"
    return out[-1] if out else "no output"


def time_calls(fn: t.Callable[[int], object], n: int) -> dict[str, float]:
    """µs per call: median and mean over ``n`` calls after a warm-up."""
    for i in range(max(20, n // 10)):
        fn(i)
    samples = []
    for i in range(n):
        start = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - start)
    return {"median_us": statistics.median(samples) * 1e6,
            "mean_us": statistics.fmean(samples) * 1e6}


def worker(bundles: dict[str, str], renders: int) -> dict[str, t.Any]:
    """Measure the binding importable as ``py_mini_racer`` in this interpreter."""
    import asyncio

    import py_mini_racer
    from py_mini_racer import MiniRacer

    report: dict[str, t.Any] = {}

    def measure(mr: t.Any, prefix: str) -> None:
        mr.eval(BENCH_SHIMS)
        for name, path in bundles.items():
            mr.eval(Path(path).read_text() + f"\nglobalThis.{name} = App;")
        html = {name: mr.eval(f"{name}.render({json.dumps(props_json(0))})") for name in bundles}
        report["html_bytes"] = {name: len(text) for name, text in html.items()}
        report["elements"] = {name: text.count("</") for name, text in html.items()}
        for name in bundles:
            def render(i: int, name: str = name) -> object:
                return mr.eval(f"{name}.render({json.dumps(props_json(i))})")
            report[f"{prefix}{name}"] = time_calls(render, renders)
        report[f"{prefix}trivial"] = time_calls(lambda i: mr.eval("1"), renders * 4)

    mr = MiniRacer()
    version = mr.v8_version
    report["v8"] = version.decode() if isinstance(version, bytes) else version
    report["version"] = getattr(py_mini_racer, "__version__", None) or _dist_version()
    measure(mr, "")
    try:
        report["intl"] = [mr.eval("new Intl.NumberFormat('de-DE').format(1234.5)"),
                          mr.eval("(1234.5).toLocaleString('de-DE')")]
    except Exception as e:  # noqa: BLE001 - a missing Intl is the finding
        report["intl"] = f"{type(e).__name__}: {str(e).splitlines()[0][:60]}"
    if hasattr(mr, "close"):
        mr.close()

    # mini-racer >= 0.8 routes every call through an asyncio loop thread; an
    # isolate created inside a running loop takes a synchronous path instead,
    # which is what a dedicated renderer process can afford to do.
    if "event_loop" in MiniRacer.__init__.__code__.co_names or hasattr(MiniRacer, "eval_cancelable"):
        async def in_loop() -> None:
            mr2 = MiniRacer()
            measure(mr2, "loop_")
            mr2.close()
        asyncio.run(in_loop())

    report["oom"] = run_probe(OOM_PROBE, timeout=60)
    report["gevent"] = run_probe(GEVENT_PROBE, timeout=15)
    return report


def _dist_version() -> str:
    from importlib import metadata
    for dist in ("mini-racer", "py-mini-racer"):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return "?"


# ---------------------------------------------------------------------------
# flask-vite's renderer process (project venv).
# ---------------------------------------------------------------------------

def measure_ssr_process(bundle: Path, renders: int) -> dict[str, t.Any]:
    """Round trip and throughput of :class:`SsrProcess` (React page)."""
    import threading

    sys.path.insert(0, str(ROOT))
    from flask_vite.ssr.errors import SsrTimeout
    from flask_vite.ssr.process import SsrProcess

    # The bundle defines a global ``App``; as a runner module it exports render.
    modules = {
        "/bench.js": bundle.read_text() + "\n__vite_ssr_exportName__('render', () => App.render);\n",
        "/noop.js": "__vite_ssr_exportName__('noop', () => () => 0);\n",
        "/spin.js": "__vite_ssr_exportName__('spin', () => () => { for (;;) {} });\n",
    }
    report: dict[str, t.Any] = {}
    start = time.perf_counter()
    first = SsrProcess(timeout=10.0, node_env="production")
    first.define_modules(modules)
    first.call("/bench.js", "render", args=[props_json(0)])
    report["first_render_s"] = time.perf_counter() - start
    report["round_trip"] = time_calls(
        lambda i: first.call("/bench.js", "render", args=[props_json(i)]), renders)
    report["trivial_round_trip"] = time_calls(lambda i: first.call("/noop.js", "noop"), renders)

    # Two children, one thread each: the production shape on a 2-core machine.
    second = SsrProcess(timeout=10.0, node_env="production")
    second.define_modules(modules)
    second.call("/bench.js", "render", args=[props_json(0)])
    procs = [first, second]
    done = [0, 0]

    def loop(k: int) -> None:
        for i in range(renders):
            procs[k].call("/bench.js", "render", args=[props_json(i)])
            done[k] += 1

    threads = [threading.Thread(target=loop, args=(k,)) for k in range(2)]
    start = time.perf_counter()
    cpu0 = time.process_time()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - start
    report["two_children_renders_per_s"] = sum(done) / wall
    report["parent_cores"] = (time.process_time() - cpu0) / wall

    # A runaway render: deadline, kill, respawn, re-ship, next render.
    spin = SsrProcess(timeout=0.5, node_env="production")
    spin.define_modules(modules)
    spin.call("/bench.js", "render", args=[props_json(0)])
    start = time.perf_counter()
    try:
        spin.call("/spin.js", "spin")
    except SsrTimeout:
        pass
    report["timeout_raised_after_s"] = time.perf_counter() - start
    start = time.perf_counter()
    spin.call("/bench.js", "render", args=[props_json(1)])
    report["next_render_after_respawn_s"] = time.perf_counter() - start
    for proc in (first, second, spin):
        proc.close()
    report["gevent"] = _gevent_ssr_probe(modules["/bench.js"])
    return report


def _gevent_ssr_probe(code: str) -> str:
    """Round trip in a ``monkey.patch_all()`` parent, and whether the hub stays
    free: a ticker greenlet counts while renders run."""
    probe = textwrap.dedent(f"""
        from gevent import monkey
        monkey.patch_all()
        import sys, time, gevent
        sys.path.insert(0, {str(ROOT)!r})
        from flask_vite.ssr.process import SsrProcess
        proc = SsrProcess(timeout=10.0, node_env="production")
        proc.define_modules({{"/bench.js": sys.stdin.read()}})
        props = {props_json(0)!r}
        proc.call("/bench.js", "render", args=[props])
        ticks = [0]
        def ticker():
            while True:
                ticks[0] += 1
                gevent.sleep(0.001)
        g = gevent.spawn(ticker)
        n = 300
        start = time.perf_counter()
        for i in range(n):
            proc.call("/bench.js", "render", args=[props])
        wall = time.perf_counter() - start
        g.kill()
        proc.close()
        print(f"{{wall / n * 1e6:.0f}} us/render; a 1 ms ticker greenlet ran {{ticks[0]}} times "
              f"in those {{wall * 1000:.0f}} ms")
    """)
    out = subprocess.run([sys.executable, "-c", probe], input=code, capture_output=True,
                         text=True, timeout=120, check=False)
    if out.returncode != 0:
        return "failed: " + (out.stderr.strip().splitlines() or ["?"])[-1]
    return out.stdout.strip()


# ---------------------------------------------------------------------------
# Report.
# ---------------------------------------------------------------------------

def fmt_us(entry: dict[str, float] | None) -> str:
    if not entry:
        return "-"
    return f"{entry['median_us']:.0f} µs (mean {entry['mean_us']:.0f})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/flask-vite-v8-bench"))
    parser.add_argument("--bindings", nargs="+", default=list(DEFAULT_BINDINGS))
    parser.add_argument("--renders", type=int, default=500)
    parser.add_argument("--no-wheels", action="store_true", help="skip the wheel check")
    parser.add_argument("--no-ssr-process", action="store_true",
                        help="skip flask-vite's renderer process")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        result = worker(json.loads(args.worker), args.renders)
        print(json.dumps(result))
        return

    bundles = prepare_bundles(args.workdir)
    payload = json.dumps({name: str(path) for name, path in bundles.items()})
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    print(f"page: {PACKAGE_JSON['dependencies']}; {os.cpu_count()} cores, load average {load}; "
          f"{args.renders} renders per measurement\n")
    for requirement in args.bindings:
        python = binding_venv(args.workdir, requirement)
        out = subprocess.run([str(python), __file__, "--worker", payload,
                              "--renders", str(args.renders)],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"== {requirement} (V8 {r['v8']})")
        print(f"   page: {r['elements']} elements, {r['html_bytes']} HTML bytes")
        print(f"   React renderToString   {fmt_us(r.get('react'))}")
        print(f"   Preact renderToString  {fmt_us(r.get('preact'))}")
        print(f"   trivial eval           {fmt_us(r.get('trivial'))}")
        if "loop_react" in r:
            print("   -- isolate made inside a running asyncio loop (synchronous path):")
            print(f"   React renderToString   {fmt_us(r.get('loop_react'))}")
            print(f"   Preact renderToString  {fmt_us(r.get('loop_preact'))}")
            print(f"   trivial eval           {fmt_us(r.get('loop_trivial'))}")
        print(f"   Intl de-DE             {r['intl']}")
        print(f"   runaway allocation     {r['oom']}")
        print(f"   after patch_all()      {r['gevent']}")
        if not args.no_wheels:
            wheels = wheel_platforms(requirement, args.workdir)
            print("   wheels                 " + ", ".join(
                f"{label} {'yes' if ok else 'NO'}" for label, ok in wheels.items()))
        print()

    if not args.no_ssr_process:
        r = measure_ssr_process(bundles["react"], args.renders)
        print("== flask_vite.ssr.process.SsrProcess (React page, project venv)")
        print(f"   spawn + ship + first render   {r['first_render_s'] * 1000:.0f} ms")
        print(f"   round trip per render         {fmt_us(r['round_trip'])}")
        print(f"   round trip, noop() export     {fmt_us(r['trivial_round_trip'])}")
        print(f"   2 children on 2 threads       {r['two_children_renders_per_s']:.0f} renders/s"
              f" (parent {r['parent_cores']:.2f} cores)")
        print(f"   runaway loop, timeout 0.5 s   SsrTimeout after "
              f"{r['timeout_raised_after_s']:.2f} s; next render "
              f"{r['next_render_after_respawn_s'] * 1000:.0f} ms (respawn + re-ship)")
        print(f"   gevent-patched parent         {r['gevent']}")


if __name__ == "__main__":
    main()
